"""Fault injection, on PostgreSQL: what an operator sees when the database or Slack fails,
and when someone sends the bot garbage. Each test reproduces one finding of issue 16.

The database sits behind a TCP proxy (tests/tcp_proxy.py) that can blackhole it:
connections accepted, nothing ever answered (a network partition). Slack is the stand-in,
which can hang, 429 or 500 (sandbox/slack_standin.py).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from bot.slack.client import REQUEST_TIMEOUT_SECONDS
from tests.conftest import load_roadmap, make_settings, run_cli, serve_in_thread
from tests.helpers import PM_IDENTITY, REP, SALES, UNDER_FAKETIME_SLOWER, questions
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

QUESTION = "can we promise SSO with Okta to Acme by March 15?"
SECRET = "s3cr3t-Pa55"  # a database password no output may show
EXPLORING = "can we promise yubikey support to Acme by March 15? $200k"


def _through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(autouse=True)
def no_secret_in_the_logs(caplog):
    """Every test here: whatever failed, no log line carries a token, a signing secret or a
    database password."""
    import logging

    from tests.conftest import BOT_TOKEN, SIGNING_SECRET

    caplog.set_level(logging.INFO)
    yield
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET):
        assert secret not in logged


class FaultyBot:
    def __init__(self, ctx, url: str, proxy: TcpProxy, delivery):
        self.ctx = ctx
        self.url = url
        self.proxy = proxy
        self.delivery = delivery
        self.http = httpx.Client(timeout=20)

    def healthz(self) -> tuple[int, float]:
        started = time.monotonic()
        response = self.http.get(f"{self.url}/healthz")
        return response.status_code, time.monotonic() - started


@pytest.fixture
def faulty(request, pg_url, slack, clock) -> Iterator[FaultyBot]:
    """The real app over HTTP on PostgreSQL through a proxy, with the engine `canwe serve`
    uses (request timeouts on); settings changed by the test's parameter, if any."""
    from app import build_app, build_web
    from bot.context import Context
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery
    from store.db import make_engine, make_session_factory

    proxy = TcpProxy(*_host_port(pg_url)).start()
    settings = make_settings(
        _through(proxy, pg_url), slack_api_url=slack.api_url, **getattr(request, "param", {})
    )
    engine = make_engine(settings.database_url, request_timeouts=True)
    ctx = Context(
        settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock
    )
    load_roadmap(ctx)
    client = make_client(settings)
    (server, thread), url = serve_in_thread(build_web(ctx, build_app(ctx, client)))
    slack.events_url = f"{url}/slack/events"
    bot = FaultyBot(ctx, url, proxy, Delivery(ctx, client))
    yield bot
    bot.http.close()
    server.should_exit = True
    thread.join(timeout=5)
    proxy.forward()
    engine.dispose()
    proxy.close()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def _in_thread(target, *args) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run():
        started = time.monotonic()
        result["response"] = target(*args)
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _ack_text(response) -> str:
    body = response.json()
    return body.get("text", "") + json.dumps(body.get("blocks", []))


# ------------------------------------------------------------------ never stall


def test_a_partitioned_database_fails_fast_and_stalls_nothing_else(faulty, slack):
    assert slack.send_command(REP, SALES, QUESTION).status_code == 200  # warm: pooled
    faulty.proxy.blackhole()

    stuck, asked = _in_thread(slack.send_command, REP, SALES, QUESTION)
    time.sleep(0.2)  # the question is now waiting on the database
    started = time.monotonic()
    help_response = slack.send_command(REP, SALES, "help")
    help_seconds = time.monotonic() - started
    status, health_seconds = faulty.healthz()
    stuck.join(timeout=10)

    assert help_response.status_code == 200 and "/canwe" in _ack_text(help_response)
    assert help_seconds < 1.0, "help needs no database and waits for none"
    assert status == 503 and health_seconds < 1.0
    # the question is told, within Slack's 3 seconds, that it was not saved
    assert asked["seconds"] < 3.0
    assert "not saved" in _ack_text(asked["response"])

    faulty.proxy.forward()
    assert faulty.healthz()[0] == 200
    assert "Okta" in _ack_text(slack.send_command(REP, SALES, QUESTION))


@pytest.mark.parametrize("faulty", [{"canwe_requests_at_once": 1}], indirect=True)
def test_a_request_stalled_on_the_database_holds_its_turn_only_briefly(faulty, slack):
    # one turn (CANWE_REQUESTS_AT_ONCE=1), taken by a question the partition stalls
    assert slack.send_command(REP, SALES, QUESTION).status_code == 200  # warm: pooled
    faulty.proxy.blackhole()

    stuck, asked = _in_thread(slack.send_command, REP, SALES, QUESTION)
    time.sleep(0.2)
    started = time.monotonic()
    help_response = slack.send_command(REP, SALES, "help")
    help_seconds = time.monotonic() - started
    stuck.join(timeout=10)

    assert help_response.status_code == 200 and "/canwe" in _ack_text(help_response)
    # it waited for the turn (TURN_WAIT_SECONDS), then ran without it
    assert 0.45 < help_seconds < 1.0
    assert asked["seconds"] < 3.0 and "not saved" in _ack_text(asked["response"])


def test_a_partition_in_the_middle_of_the_full_text_search_fails_fast(faulty, slack):
    # matching's full-text queries go straight to the driver (store/search.py): the
    # watchdog must cover them as it covers every statement SQLAlchemy runs
    assert "Okta" in _ack_text(slack.send_command(REP, SALES, QUESTION))  # warm: pooled
    faulty.proxy.blackhole_on(b"match_documents")

    asked, result = _in_thread(slack.send_command, REP, SALES, EXPLORING)
    asked.join(timeout=10)
    assert faulty.proxy.mode == "blackhole", "the search reached the database"
    assert result.get("seconds", 99) < 3.0, "answered within Slack's 3 seconds"
    assert "not saved" in _ack_text(result["response"])
    status, health_seconds = faulty.healthz()
    assert status == 503 and health_seconds < 1.0

    faulty.proxy.forward()
    assert "yubikey" in _ack_text(slack.send_command(REP, SALES, EXPLORING)).lower()
    assert len(questions(faulty.ctx)) == 2  # the one cut off was not half-kept


def test_a_hanging_auth_test_holds_up_only_the_request_that_asked(faulty, slack):
    slack.hang("auth.test", seconds=6)  # longer than the client waits, and than any bound below
    first, asked = _in_thread(slack.send_command, REP, SALES, QUESTION)
    time.sleep(0.1)
    started = time.monotonic()
    others = [slack.send_command(REP, SALES, "help") for _ in range(3)]
    others_seconds = time.monotonic() - started
    status, health_seconds = faulty.healthz()
    first.join(timeout=10)

    assert all(r.status_code == 200 for r in others) and others_seconds < 1.0
    assert status == 200 and health_seconds < 1.0
    assert "Okta" in _ack_text(asked["response"])
    # Slack's 3 s: the client's wait for auth.test, then the question's own work (under
    # faketime, slower; on CI once 2.3 s of work beside three busy workers)
    work_allowed = (3.0 - REQUEST_TIMEOUT_SECONDS) * UNDER_FAKETIME_SLOWER
    assert asked["seconds"] < REQUEST_TIMEOUT_SECONDS + work_allowed


def test_a_rate_limited_views_open_tells_the_pm_to_click_again(faulty, slack):
    from tests.test_escalation_loop import click_answer, escalation_root

    slack.send_command(REP, SALES, EXPLORING)
    faulty.delivery.drain()
    root = escalation_root(slack)
    slack.fail("views.open", status=429, retry_after=8)

    started = time.monotonic()
    response = click_answer(slack, PM_IDENTITY, root["channel"], root, "committed")
    assert response.status_code == 200 and time.monotonic() - started < 3.0
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert told and told[-1]["user"] == PM_IDENTITY and "click" in told[-1]["text"]
    assert len(slack.calls("views.open")) == 1, "no retry in place"

    click_answer(slack, PM_IDENTITY, root["channel"], root, "committed")  # again: it opens
    assert [c for c in slack.calls("views.open") if c.ok]


# ------------------------------------------------------------------ bad requests are 4xx


def _post(faulty, body: bytes, content_type: str, headers: dict | None = None):
    return faulty.http.post(
        f"{faulty.url}/slack/events",
        content=body,
        headers={"Content-Type": content_type, **(headers or {})},
    )


def test_unsigned_garbage_is_refused_before_it_is_read(faulty, caplog):
    for body in [b"{not json", b"\xff\xfe\x00garbage", b"payload=%7Bbroken", b"[]", b"\0" * 99]:
        response = _post(faulty, body, "application/json")
        assert response.status_code == 401, body
    assert _post(faulty, b"x" * 2_000_000, "application/json").status_code == 413
    assert not any(r.exc_info for r in caplog.records)


def test_a_timestamp_that_is_not_a_number_is_refused(faulty, slack):
    body = b"command=%2Fcanwe&text=help&user_id=U1&channel_id=C1"
    response = slack.send_signed(
        body, "application/x-www-form-urlencoded", signature="v0=abc", timestamp=0
    )
    assert response.status_code == 401
    response = _post(
        faulty,
        body,
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": slack.sign(body, "abc")},
    )
    assert response.status_code == 401


def _event(event) -> bytes:
    return json.dumps(
        {"type": "event_callback", "team_id": "T0CANWE", "event_id": "Ev1", "event": event}
    ).encode()


def _action(user="U0PMIDENT1", **action) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T0CANWE"},
        "trigger_id": "1.2.abc",
        "channel": {"id": "C0PMIDENT1"},
        "actions": [{"type": "button", "block_id": "b", **action}],
    }
    return b"payload=" + httpx.QueryParams({"p": json.dumps(payload)}).get("p").encode()


def _form(payload) -> bytes:
    return str(httpx.QueryParams({"payload": json.dumps(payload)})).encode()


def _submission(private_metadata="1", valid_days="30", verdict="committed") -> bytes:
    return _form(
        {
            "type": "view_submission",
            "team": {"id": "T0CANWE"},
            "user": {"id": "U0PMIDENT1"},
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": "answer_modal",
                "private_metadata": private_metadata,
                "state": {
                    "values": {
                        "verdict": {"verdict": {"selected_option": {"value": verdict}}},
                        "valid_days": {"valid_days": {"value": valid_days}},
                    }
                },
            },
        }
    )


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

MALFORMED = {
    "empty list": (b"[]", JSON),
    "null": (b"null", JSON),
    "a number": (b"42", JSON),
    "invalid JSON": (b'{"type": ', JSON),
    "invalid UTF-8": (b'{"type": "\xff"}', JSON),
    "event is a string": (_event("app_mention"), JSON),
    "event without a type": (_event({"channel": "C1"}), JSON),
    "mention without a channel": (_event({"type": "app_mention", "ts": "1.2", "text": "x"}), JSON),
    "mention with a list for text": (
        _event({"type": "app_mention", "channel": "C1", "ts": "1.2", "text": ["x"]}),
        JSON,
    ),
    "payload not JSON": (b"payload=%7Bnope", FORM),
    "payload a list": (_form([1, 2]), FORM),
    "actions a string": (_form({"type": "block_actions", "actions": "x"}), FORM),
    "answer button without a verdict": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "answer:committed", "value": "12"}],
            }
        ),
        FORM,
    ),
    "answer button with a bad verdict": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "answer:x", "value": "12:maybe"}],
            }
        ),
        FORM,
    ),
    "answer button with a 5,000-digit id": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "answer:no", "value": "9" * 5000 + ":no"}],
            }
        ),
        FORM,
    ),
    "promise button with a word": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "channel": {"id": "C1"},
                "actions": [{"action_id": "mark_promised", "value": "twelve"}],
            }
        ),
        FORM,
    ),
    "pick on a message that is a string": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "container": "C1",
                "actions": [{"action_id": "pick_item:0", "value": "1:2"}],
            }
        ),
        FORM,
    ),
    "not what I meant with a click id that is a list": (
        _form(
            {
                "type": "block_actions",
                "user": {"id": "U1"},
                "actions": [{"action_id": "not_this", "value": "1", "action_ts": ["1"]}],
            }
        ),
        FORM,
    ),
    "button without a user": (
        _form(
            {
                "type": "block_actions",
                "actions": [{"action_id": "ask_exception", "value": "1"}],
            }
        ),
        FORM,
    ),
    "modal with bad metadata": (_submission(private_metadata="escalation 1"), FORM),
    "modal without a type": (
        _form({"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1"}}),
        FORM,
    ),
    "modal with a verdict it never offered": (_submission(verdict="maybe"), FORM),
    "command without a user": (b"command=%2Fcanwe&text=sso&channel_id=C1", FORM),
}


def test_signed_malformed_payloads_are_a_400_and_one_log_line(faulty, slack, caplog):
    for name, (body, content_type) in MALFORMED.items():
        caplog.clear()
        response = slack.send_signed(body, content_type)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert not any(r.exc_info for r in caplog.records), name
        said = [r.getMessage() for r in caplog.records if r.name != "httpx"]  # the test client
        assert len([m for m in said if "malformed" in m]) == 1 and len(said) == 1, (name, said)


def test_a_5000_digit_validity_is_a_form_error_not_a_crash(faulty, slack):
    response = slack.send_signed(_submission(valid_days="9" * 5000), FORM)
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors"
    assert "valid_days" in response.json()["errors"]


def test_a_replayed_command_is_answered_once_and_stored_once(faulty, slack):
    first = slack.send_command(REP, SALES, EXPLORING, trigger_id="1.2.same")
    again = slack.send_command(REP, SALES, EXPLORING, trigger_id="1.2.same")
    assert first.status_code == again.status_code == 200
    assert len(questions(faulty.ctx)) == 1


# ------------------------------------------------------------------ never leak


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://canwe:{SECRET}@127.0.0.1:1/canwe",
        f"postgresql://canwe:{SECRET.replace('-', '%2D')}@127.0.0.1:1/canwe",  # encoded
        f"postgresql+psycopg://canwe:{SECRET}@x@127.0.0.1:1/canwe",  # an unencoded @
        f"postgresql+psycopg://canwe:{SECRET}/x?y@127.0.0.1:1/canwe",  # unencoded / and ?
        f"postgresql+psycopg://canwe@127.0.0.1:1/canwe?password={SECRET}",
        f"postgresql+psycopg://canwe@127.0.0.1:1/canwe?sslmode=prefer&sslpassword={SECRET}",
        f"postgresql+psycopg://canwe:{SECRET}@127.0.0.1:notaport/canwe",  # unparsable
        f"postgres ql://canwe:{SECRET}@127.0.0.1/canwe",
        f"mysql://canwe:{SECRET}@127.0.0.1/canwe",  # no driver
        f"canwe:{SECRET}@127.0.0.1/canwe",  # no scheme at all
    ],
)
def test_no_database_url_prints_its_password(url):
    from store.urls import shown_url

    assert SECRET not in shown_url(url) and "Pa55" not in shown_url(url)
    for command in (["migrate"], ["digest"], ["ask", "sso"]):
        result = run_cli(command, env={"DATABASE_URL": url})
        said = result.output + str(result.stderr_bytes or b"")
        assert result.exit_code == 2, (command, said)
        assert "Pa55" not in said and "Traceback" not in said, said
        assert said.count("\n") == 1, said  # one line


NESTED = (
    "can we promise yubikey support <!chan<x>nel> <@U0VIC<x>TIM01> "
    "<https://evil.example.com/l<x>ogin|verify here> \u202eexe.gnp\u202c \u2066x\u2069 to Acme?"
)
LIVE = ("<!channel", "<@U0VIC", "<https://evil", "\u202e", "\u2066", "\u202c")


def test_nested_markup_and_bidi_never_reach_slack_live(faulty, slack):
    from tests.helpers import posts

    ack = slack.send_command(REP, SALES, NESTED)
    faulty.delivery.drain()
    # the question's one thread, wherever it opened: most of it is words the roadmap never
    # uses, so it is not sure of yubikey's item and goes to triage, not the Identity PM
    [pm_post] = [p for p in posts(slack) if not p["channel"].startswith("D")]
    shown = [ack.text, json.dumps(pm_post, ensure_ascii=False)]
    shown += [json.dumps(c.args, ensure_ascii=False) for c in slack.calls() if c.ok]
    for text in shown:
        assert not any(live in text for live in LIVE), text
    assert "yubikey" in pm_post["text"]  # the notification still says what was asked


def test_escaping_is_entities_after_everything_else():
    from bot.core.text import escape
    from bot.slack.wording import quote

    assert escape("<!chan<x>nel> & \u202e") == "&lt;!chan&lt;x&gt;nel&gt; &amp; "
    assert quote("*<b>*") == "*\u200b&lt;b&gt;*\u200b"


# ------------------------------------------------------------------ never lose


def test_the_sandbox_refuses_another_store_and_touches_nothing(pg_url, tmp_path, monkeypatch):
    from store.db import make_engine, make_session_factory, session_scope
    from store.models import OutboxMessage
    from store.outbox import enqueue, pending_count
    from tests.conftest import START

    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        for n in range(3):
            enqueue(
                session=session,
                dedupe_key=f"prod:{n}",
                method="chat.postMessage",
                payload={"channel": "C0SALES001", "text": f"production message {n}"},
                now=START,
            )
    monkeypatch.chdir(tmp_path)
    url = pg_url.replace("postgres@", f"postgres:{SECRET}@")
    for args in (["serve"], ["serve", "--sandbox"]):
        result = run_cli(args, env={"DATABASE_URL": url})
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and "refusing to start the sandbox" in result.output
        assert SECRET not in result.output
    with session_scope(sessions) as session:
        assert pending_count(session=session) == 3  # still waiting for the real Slack
        assert session.query(OutboxMessage).filter(OutboxMessage.attempts > 0).count() == 0
    assert not (tmp_path / "canwe-sandbox.db").exists()
    engine.dispose()


def test_a_dead_process_s_claims_are_taken_over_in_seconds_and_sent_once(faulty, slack, clock):
    from bot.slack.client import make_client
    from bot.slack.delivery import LEASE, Delivery
    from tests.helpers import IDENTITY_CHANNEL, posts, unsent

    slack.send_command(REP, SALES, EXPLORING)
    dead = Delivery(faulty.ctx, make_client(faulty.ctx.settings))
    claimed = dead.claim()  # ... and the process is killed (-9) before it sends anything
    assert len(claimed.rows) == 1 and LEASE.total_seconds() <= 5

    assert faulty.delivery.run_once().sent == 0  # the lease holds while it may be alive
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert faulty.delivery.run_once().sent == 1  # taken over, seconds later
    # had it only stalled, it finds its lease gone and does not send a second copy
    assert dead.send(claimed).sent == 0
    assert len(posts(slack, channel=IDENTITY_CHANNEL)) == 1 and unsent(faulty.ctx) == 0


def test_kill_9_while_slack_holds_a_message_then_another_process_delivers_it(
    pg_url, slack, tmp_path
):
    import datetime as dt

    from sqlalchemy import select

    from bot.slack.delivery import LEASE
    from store.db import make_engine, make_session_factory, session_scope
    from store.models import OutboxMessage
    from store.outbox import enqueue
    from tests.cluster import start_canwe
    from tests.helpers import posts, serve_env

    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    queued = dt.datetime(2020, 1, 6, 9, 0, tzinfo=dt.UTC)  # long due by any clock
    with session_scope(sessions) as session:
        enqueue(
            session=session,
            dedupe_key="kill-9",
            method="chat.postMessage",
            payload={"channel": SALES, "text": "the answer the rep is waiting for"},
            now=queued,
        )

    def sent_at():
        with session_scope(sessions) as session:
            return session.scalar(
                select(OutboxMessage.sent_at).where(OutboxMessage.dedupe_key == "kill-9")
            )

    # Slack takes the call and answers after the dead process's timeout: it may count it
    slack.hang("chat.postMessage", seconds=8)
    (first,) = start_canwe(1, serve_env(pg_url, slack), tmp_path, name="first")
    second = None
    try:
        slack.wait_for(lambda: slack.holding("chat.postMessage") == 1, timeout=15)
        first.kill_9()  # mid-delivery: the message is in flight
        killed = time.monotonic()
        assert sent_at() is None  # the dead process never recorded it
        with session_scope(sessions) as session:
            claimed = session.scalar(
                select(OutboxMessage.locked_until).where(OutboxMessage.dedupe_key == "kill-9")
            )
        # the dead process held a claim; how long it had left is read below by the monotonic
        # clock alone (the process's clock, the database's and this test's may differ: under
        # faketime each process starts its own fake day)
        assert claimed is not None

        (second,) = start_canwe(1, serve_env(pg_url, slack), tmp_path, name="second")
        second_up = time.monotonic() - killed  # starting canwe takes seconds on a busy machine
        deadline = killed + 30
        while sent_at() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        taken_over = time.monotonic() - killed
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
        engine.dispose()

    assert sent_at() is not None, (tmp_path / "second-1.log").read_text()
    # the second process took the message over as soon as the dead one's lease ran out
    # (or as soon as it was up, if that was later): within its first passes
    # (a lease renewed every RENEW_EVERY has at most LEASE left when its process dies)
    assert taken_over < max(LEASE.total_seconds(), second_up) + 3, (taken_over, second_up)
    delivered = posts(slack, channel=SALES)
    assert delivered and all(p["text"] == "the answer the rep is waiting for" for p in delivered)
    assert len(delivered) <= 2  # at least once: the dead process's call may have landed too


def test_a_live_process_keeps_its_lease_while_slack_is_slow(faulty, slack, clock):
    from sqlalchemy import func, select

    from bot.slack.client import make_client
    from bot.slack.delivery import LEASE, RENEW_EVERY_SECONDS, Delivery
    from store.db import session_scope
    from store.models import OutboxMessage
    from tests.conftest import START
    from tests.helpers import IDENTITY_CHANNEL, posts, unsent

    def lease_end():
        with session_scope(faulty.ctx.sessions) as session:
            return session.scalar(
                select(func.max(OutboxMessage.locked_until)).where(OutboxMessage.sent_at.is_(None))
            )

    slack.send_command(REP, SALES, EXPLORING)
    slack.hang("chat.postMessage", seconds=RENEW_EVERY_SECONDS * 2.5)  # within the timeout
    sending, result = _in_thread(faulty.delivery.run_once)
    other = Delivery(faulty.ctx, make_client(faulty.ctx.settings))
    slack.wait_for(lambda: slack.holding("chat.postMessage") == 1)
    while sending.is_alive():
        held_until = lease_end()
        if held_until is None:  # sent
            break
        # moments before this lease runs out, another process finds nothing to take...
        clock.set(max(clock(), held_until - dt.timedelta(milliseconds=500)))
        assert other.run_once().sent == 0, "taken from a process that is still sending"
        # ... because the one sending renews it while Slack has not answered
        deadline = time.monotonic() + RENEW_EVERY_SECONDS * 3
        while lease_end() == held_until and sending.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
    sending.join(timeout=10)
    # renewed at least once: the clock went past the first lease, and nothing was lost
    assert result["response"].sent >= 1 and clock() - START > LEASE
    assert len(posts(slack, channel=IDENTITY_CHANNEL)) == 1 and unsent(faulty.ctx) == 0


def test_two_processes_send_each_message_once(faulty, slack, clock):
    from bot.slack.client import make_client
    from bot.slack.delivery import WAITING_FOR_PARENT, Delivery
    from tests.helpers import posts, unsent

    for n in range(6):
        slack.send_command(REP, SALES, f"{EXPLORING} deal {n}", trigger_id=f"1.2.{n}")
        slack.send_mention(REP, SALES, f"salesforce sync number {n} for Acme")
    other = Delivery(faulty.ctx, make_client(faulty.ctx.settings))
    failures: list[BaseException] = []

    def drain(delivery: Delivery) -> None:
        try:
            delivery.drain()
        except BaseException as error:  # a failure in a thread must fail the test
            failures.append(error)

    # A thread reply whose parent the other process holds waits WAITING_FOR_PARENT for it
    # (when the two claims split a thread between them, as they may under load): each
    # round, both drain at once, then the clock moves past that wait.
    for _ in range(5):
        threads = [threading.Thread(target=drain, args=(d,)) for d in (faulty.delivery, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not failures and not any(thread.is_alive() for thread in threads)
        if unsent(faulty.ctx) == 0:
            break
        clock.advance(seconds=WAITING_FOR_PARENT.total_seconds())
    sent = [json.dumps(p, sort_keys=True) for p in posts(slack)]
    assert unsent(faulty.ctx) == 0 and len(sent) == len(set(sent)) and sent


# ------------------------------------------------------------------ limits on input


def _import(url: str, path) -> tuple[int, str]:
    result = run_cli(["import", str(path)], env={"DATABASE_URL": url})
    return result.exit_code, result.output


def _items(url: str) -> int:
    from sqlalchemy import func, select

    from store.db import make_engine, make_session_factory, session_scope
    from store.models import Item

    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        count = session.scalar(select(func.count(Item.id)))
    engine.dispose()
    return count


@pytest.mark.parametrize(
    "text, line, key",
    [
        (
            "items:\n  - key: A-1\n    title: T\n    status: planned\n    status: declined\n",
            5,
            "status",
        ),
        (
            "items:\n  - {key: A-1, title: T, status: planned}\n"
            "items:\n  - {key: A-2, title: U, status: planned}\n",
            3,
            "items",
        ),
        ("items:\n  - {key: A-1, title: T, status: planned, title: U}\n", 2, "title"),
    ],
)
def test_a_key_given_twice_is_refused_with_its_line(pg_url, tmp_path, text, line, key):
    path = tmp_path / "roadmap.yaml"
    path.write_text(text)
    code, output = _import(pg_url, path)
    assert code == 1 and "Traceback" not in output
    assert f"{path}: line {line}: '{key}' is given twice" in output
    assert _items(pg_url) == 0


def test_values_that_do_not_fit_the_store_are_one_line_each(pg_url, tmp_path):
    path = tmp_path / "roadmap.yaml"
    path.write_text(
        "areas:\n"
        f"  - {{name: Identity, pm: {'U' * 300}}}\n"
        "items:\n"
        f"  - {{key: A-1, title: T, status: planned, url: 'https://x.example/{'u' * 5000}'}}\n"
        '  - {key: A-2, title: "nul \\0 inside", status: planned}\n'
        "  - {key: A-3, title: T, status: planned, estimate: {likely: 5, pessimistic: .inf}}\n"
        "  - {key: A-4, title: T, status: planned, estimate: {likely: .nan}}\n"
        "  - {key: A-5, title: T, status: planned, estimate: {likely: 99999999}}\n"
    )
    code, output = _import(pg_url, path)
    assert code == 1 and "Traceback" not in output
    problems = output.strip().splitlines()[1:]
    assert len(problems) == 6, output
    assert all(len(line) < 200 for line in problems)
    assert "field pm: String should have at most 40 characters" in problems[0]
    assert (
        "(A-1), field url" in output and "(A-2), field title: Value error, contains a NUL" in output
    )
    assert "(A-3), field estimate.pessimistic: Input should be a finite number" in output
    assert _items(pg_url) == 0


def test_a_huge_description_is_cut_before_it_is_indexed(faulty, slack, tmp_path):
    from sqlalchemy import func, select

    from bot.roadmap.schema import MAX_DESCRIPTION_CHARS
    from store.db import session_scope
    from store.models import Item

    path = tmp_path / "roadmap.yaml"
    path.write_text(
        "items:\n  - key: BIG-1\n    title: Quantum widget export\n    status: planned\n"
        f"    description: '{'lorem ipsum dolor ' * 120_000}'\n"  # 2 MB
    )
    code, output = _import(faulty.ctx.settings.database_url, path)
    assert code == 0, output
    with session_scope(faulty.ctx.sessions) as session:
        longest = session.scalar(select(func.max(func.length(Item.description))))
    assert longest == MAX_DESCRIPTION_CHARS
    assert "Quantum widget export" in _ack_text(slack.send_command(REP, SALES, "quantum widget"))


def test_a_deal_value_too_large_to_be_real_is_ignored_with_a_note(faulty, slack):
    ack = slack.send_command(REP, SALES, f"{QUESTION} $9999999999999k")
    assert ack.status_code == 200 and "ignored the deal value" in _ack_text(ack)
    mention = slack.send_mention(
        REP, SALES, "<@UCANWEBOT> can we promise yubikey support to Acme? $9999999999999k"
    )
    assert mention.status_code == 200
    stored = questions(faulty.ctx)
    assert len(stored) == 2 and all(q.deal_value is None for q in stored)


def test_more_ids_than_postgresql_takes_parameters_are_read_in_batches(pg_url):
    from store.db import make_engine, make_session_factory, session_scope
    from store.promises import open_promises_on_items

    engine = make_engine(pg_url)
    with session_scope(make_session_factory(engine)) as session:
        assert open_promises_on_items(session=session, item_ids=range(1, 70_001)) == []
    engine.dispose()
