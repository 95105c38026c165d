"""The daily digest end to end: what each channel and each PM receives, once a day."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import select

from bot.digest.daily import build_digests, due_digests, queue_digests, run_digests
from bot.questions.asking import ask
from bot.slack.client import make_client
from bot.slack.delivery import Delivery
from store.db import session_scope
from store.models import DigestClaim, OutboxMessage
from tests.conftest import load_roadmap, make_context, make_settings, run_cli
from tests.helpers import (
    IDENTITY_CHANNEL,
    MARKETING,
    PM_IDENTITY,
    REP,
    REP2,
    SALES,
    SERVICES,
    TRIAGE,
    block_text,
    count,
    escalations,
    message_text,
    posts,
)

PM_REPORTING = "U0PMREPRT1"
REPORTING_CHANNEL = "C0PMREPRT1"
NY = dt.timezone(dt.timedelta(hours=-5))  # New York in winter (EST)


def at_ny(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(dt.UTC)


def roots(slack, channel: str) -> list[dict]:
    """The bot's top-level posts in a channel (the digests, in these tests)."""
    return [p for p in posts(slack, channel=channel) if not p.get("thread_ts")]


def digest_posts(slack, channel: str) -> list[dict]:
    """The digest posted in `channel`: its first post, then the replies in its thread."""
    [first] = [
        m
        for m in slack.messages(channel)
        if "daily digest" in (m.get("text") or "") and not m.get("thread_ts")
    ]
    return [first, *slack.thread(channel, first["ts"])[1:]]


def dm_digest(slack, user_id: str) -> list[dict]:
    channel = "D" + user_id
    [first] = [
        m
        for m in slack.messages(channel)
        if (m.get("text") or "").startswith("You owe") and not m.get("thread_ts")
    ]
    return [first, *slack.thread(channel, first["ts"])[1:]]


def ask_many(ctx, texts: list[str], channel: str = SALES, asker: str = REP) -> None:
    with session_scope(ctx.sessions) as session:
        for n, text in enumerate(texts):
            ask(
                session=session,
                ctx=ctx,
                raw_text=text,
                asker_id=asker,
                channel_id=channel,
                source="command",
                request_key=f"test:{channel}:{asker}:{n}:{text}",
            )


def check_limits(message: dict) -> None:
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000


def order_of(text: str, *needles: str) -> list[int]:
    return [text.index(needle) for needle in needles]


# ------------------------------------------------------------------ content and order


def test_each_channel_gets_its_open_questions_overdue_first_then_by_needed_by(bot, slack, clock):
    slack.add_user(PM_IDENTITY, "identity-pm")
    # Friday 15:00: an unknown question, due Monday 15:00
    slack.send_command(REP, SALES, "quantum teleportation for Initech")
    clock.set(at_ny(30, 16))  # Monday 16:00: it is overdue now; two more questions come in
    slack.send_command(REP, SALES, "can we promise yubikey support to Acme by March 15? $200k")
    slack.send_command(REP2, SALES, "zapier app for Globex by 2027-01-20, $50k")
    bot.deliver()  # the escalation threads open
    clock.set(at_ny(1, 9, month=12))  # Tuesday 09:00, the digest time

    report = due_digests(bot.ctx)
    # sales, three PM channels (identity, integrations, triage), two PMs' DMs
    assert report.digests == 6
    bot.deliver()

    [digest] = roots(slack, SALES)
    text = message_text(digest)
    assert "3 open · 1 overdue · 0 answered since the last digest · $250k in deals waiting" in text
    # overdue first, then by the date the deal needs the answer
    teleport, zapier, yubikey = order_of(text, "quantum teleportation", "zapier", "yubikey")
    assert teleport < zapier < yubikey
    assert "Overdue" in text and text.index("Overdue") < zapier
    for expected in ("Acme", "$200k", "Mar 15", f"<@{PM_IDENTITY}>", "Globex", "Jan 20"):
        assert expected in text, expected
    assert "Do not promise these yet" in text
    # each line links to its thread, resolved with chat.getPermalink when sent
    identity = next(e for e in escalations(bot.ctx) if e.channel_id == IDENTITY_CHANNEL)
    assert f"<{slack.permalink(IDENTITY_CHANNEL, identity.message_ts)}|thread>" in text
    assert "\u27e6" not in text  # no marker left unresolved

    [owed] = roots(slack, IDENTITY_CHANNEL)[1:]  # after the escalation itself
    owed_text = message_text(owed)
    assert "yubikey" in owed_text and "zapier" not in owed_text and "teleportation" not in owed_text
    assert "Answers owed in this channel" in owed_text
    assert "quantum teleportation" in message_text(roots(slack, TRIAGE)[-1])

    [dm] = dm_digest(slack, PM_IDENTITY)
    assert "yubikey" in message_text(dm) and f"answer:{identity.id}" in block_text(dm["blocks"])


def test_the_pm_answers_from_the_digest_dm(bot, slack):
    slack.add_user(PM_IDENTITY, "identity-pm")
    slack.send_command(REP, SALES, "can we promise yubikey support to Acme by March 15? $200k")
    bot.deliver()
    run_digests(bot.ctx)
    bot.deliver()
    [dm] = dm_digest(slack, PM_IDENTITY)
    [escalation] = escalations(bot.ctx)
    slack.send_block_action(
        PM_IDENTITY,
        dm["channel"],
        dm["ts"],
        "answer:committed",
        value=f"{escalation.id}:committed",
    )
    assert [c for c in slack.calls("views.open") if c.ok]


def test_answered_since_the_last_digest_and_once_a_day(bot, slack, clock):
    slack.send_command(REP, SALES, "can we promise yubikey support to Acme by March 15? $200k")
    slack.send_command(REP, SALES, "zapier app for Globex by 2027-01-20, $50k")
    bot.deliver()
    clock.set(at_ny(30, 9))  # Monday
    assert due_digests(bot.ctx).digests > 0
    bot.deliver()
    assert len(roots(slack, SALES)) == 1
    # a restart later the same day posts nothing again
    clock.set(at_ny(30, 17))
    restarted = make_context(bot.ctx.settings, clock)
    assert due_digests(restarted).digests == 0
    restarted.engine.dispose()

    identity = next(e for e in escalations(bot.ctx) if e.channel_id == IDENTITY_CHANNEL)
    slack.send_message(
        PM_IDENTITY, IDENTITY_CHANNEL, "no, not this year", thread_ts=identity.message_ts
    )
    bot.deliver()
    clock.set(at_ny(1, 9, month=12))  # Tuesday
    due_digests(bot.ctx)
    bot.deliver()
    assert len(roots(slack, SALES)) == 2
    text = message_text(roots(slack, SALES)[-1])
    assert "1 open · 1 overdue · 1 answered since the last digest" in text
    assert "zapier" in text and "yubikey" not in text
    # the identity channel has nothing open any more: no digest there on Tuesday
    identity_digests = [p for p in roots(slack, IDENTITY_CHANNEL) if "daily digest" in p["text"]]
    assert len(identity_digests) == 1


def test_worded_for_the_channel_audience(bot, slack, clock):
    question = "yubikey support for Acme by March 15, $200k"
    slack.send_command(REP, SALES, question)
    slack.send_command(REP, SERVICES, question)
    slack.send_command(REP2, MARKETING, "is yubikey support coming?")  # joins the same thread
    bot.deliver()
    run_digests(bot.ctx)
    bot.deliver()
    sales, services, marketing = (
        message_text(roots(slack, channel)[0]) for channel in (SALES, SERVICES, MARKETING)
    )
    assert "Do not promise" in sales and "Mar 15" in sales and "$200k" in sales
    assert "scope, effort and dates are not confirmed" in services
    assert "ID-18" in services and "Mar 15" in services
    # marketing: what is open and who has it; no deal, no internal dates or due times
    assert "yubikey" in marketing and f"<@{PM_IDENTITY}>" in marketing
    assert "announceable" in marketing
    for internal in ("Mar 15", "$", "due", "needed by", "ID-18", "Overdue", "EST"):
        assert internal not in marketing, internal
    # the PM's channel sees one line for the one thread both reps wait on
    owed = message_text(roots(slack, IDENTITY_CHANNEL)[-1])
    assert "1 open" in owed and "2 reps waiting" in owed and "customer *Acme*" in owed


def test_a_channel_with_nothing_open_gets_no_post(bot, slack):
    assert run_digests(bot.ctx).digests == 0
    slack.send_command(REP, SALES, "yubikey support for Acme")
    slack.send_command(REP2, SERVICES, "what is on the roadmap for scim")  # answered at once
    bot.deliver()
    report = run_digests(bot.ctx)
    bot.deliver()
    assert SERVICES not in report.targets and roots(slack, SERVICES) == []
    assert len(roots(slack, SALES)) == 1


def test_a_thread_not_posted_yet_is_linked_by_its_channel(bot, slack):
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    slack.fail("chat.postMessage", error="channel_not_found")  # the escalation post fails
    bot.deliver()
    run_digests(bot.ctx)
    bot.deliver()
    text = message_text(roots(slack, SALES)[0])
    assert f"<#{IDENTITY_CHANNEL}>" in text and "|thread>" not in text


def test_permalink_lookup_failing_delays_the_digest_and_loses_nothing(bot, slack, clock):
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    bot.deliver()
    slack.fail("chat.getPermalink", status=500, times=2)
    run_digests(bot.ctx)
    bot.deliver()
    assert roots(slack, SALES) == []
    clock.advance(minutes=5)
    bot.deliver()
    [digest] = roots(slack, SALES)
    assert "|thread>" in message_text(digest)


# ------------------------------------------------------------------ Slack's limits


def test_overflow_continues_in_the_thread_and_drops_nothing(bot, slack):
    slack.add_user(PM_REPORTING, "reporting-pm")
    texts = [
        f"analytics gizmo number {n} for Acme by 2027-02-{n % 28 + 1:02d}, ${n + 1}k"
        for n in range(130)
    ]
    ask_many(bot.ctx, texts)
    run_digests(bot.ctx)
    bot.deliver()

    for channel, thread in (
        (SALES, digest_posts(slack, SALES)),
        (REPORTING_CHANNEL, digest_posts(slack, REPORTING_CHANNEL)),
        ("D" + PM_REPORTING, dm_digest(slack, PM_REPORTING)),
    ):
        assert len(thread) >= 3, channel  # 130 lines never fit one message
        for message in thread:
            check_limits(message)
        shown = " ".join(message_text(m) for m in thread)
        found = re.findall(r"analytics gizmo number (\d+) ", shown)
        assert sorted(map(int, found)) == list(range(130)), channel  # every one, once
        assert "Continued in the thread" in message_text(thread[0])
        assert f"part {len(thread)} of {len(thread)}" in message_text(thread[-1])
    # in the DM each question keeps its buttons in the same message
    for message in dm_digest(slack, PM_REPORTING):
        sections = [b for b in message["blocks"] if "gizmo" in block_text([b])]
        buttons = [b for b in message["blocks"] if b["type"] == "actions"]
        assert len(sections) == len(buttons)
    # ordered by needed-by date across the parts
    days = re.findall(
        r"needed by Feb (\d+)", " ".join(message_text(m) for m in digest_posts(slack, SALES))
    )
    assert list(map(int, days)) == sorted(map(int, days))


# ------------------------------------------------------------------ exactly once


def test_a_crash_between_claim_and_send_still_delivers_once(bot, slack, clock):
    slack.add_user(PM_IDENTITY, "identity-pm")
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    bot.deliver()
    clock.set(at_ny(30, 9))
    report = due_digests(bot.ctx)  # claimed and queued; the process "dies" before sending
    assert report.digests and roots(slack, SALES) == []
    restarted = make_context(bot.ctx.settings, clock)
    assert due_digests(restarted).digests == 0  # the claim is there: nothing built again
    Delivery(restarted, make_client(restarted.settings)).drain()
    Delivery(restarted, make_client(restarted.settings)).drain()
    assert len(roots(slack, SALES)) == 1 and len(dm_digest(slack, PM_IDENTITY)) == 1
    assert count(restarted, OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0
    restarted.engine.dispose()


@pytest.mark.postgres
def test_two_processes_racing_on_postgresql_post_once(pg_url, slack, clock):
    settings = make_settings(pg_url, slack_api_url=slack.api_url)
    first, second = make_context(settings, clock), make_context(settings, clock)
    load_roadmap(first)
    ask_many(first, ["yubikey support for Acme by March 15", "zapier app for Globex"])
    ask_many(first, ["analytics gizmo for Initech"], channel=SERVICES)
    clock.set(at_ny(30, 9))
    day = first.today()
    # both processes built every digest before either claimed one
    built = []
    for ctx in (first, second):
        with session_scope(ctx.sessions) as session:
            built.append(build_digests(session=session, ctx=ctx, day=day))
    assert len(built[0]) == len(built[1]) > 0
    start = threading.Barrier(2)
    reports = [None, None]

    def process(index: int) -> None:
        start.wait()
        reports[index] = queue_digests((first, second)[index], built[index], day=day)

    threads = [threading.Thread(target=process, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert reports[0].digests + reports[1].digests == len(built[0])
    assert reports[0].already + reports[1].already == len(built[0])
    # and both running the whole scheduler step at once: still nothing more
    again = [None, None]

    def scheduler(index: int) -> None:
        again[index] = due_digests((first, second)[index])

    threads = [threading.Thread(target=scheduler, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert again[0].digests == again[1].digests == 0
    for ctx in (first, second):
        Delivery(ctx, make_client(settings)).drain()
    assert len(roots(slack, SALES)) == 1 and len(roots(slack, SERVICES)) == 1
    with session_scope(first.sessions) as session:
        claims = session.scalars(select(DigestClaim)).all()
    assert len(claims) == len(built[0]) and {c.day for c in claims} == {day}
    first.engine.dispose()
    second.engine.dispose()


# ------------------------------------------------------------------ when: business days, timezone


def test_business_days_and_timezone_friday_evening_in_new_york_monday_in_berlin(bot, slack, clock):
    bot.ctx.settings = bot.ctx.settings.model_copy(update={"canwe_timezone": "Europe/Berlin"})
    clock.set(at_ny(27, 18, 30))  # Friday 18:30 in New York is Saturday 00:30 in Berlin
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    bot.deliver()
    berlin = bot.ctx.settings.tz
    saturday = dt.datetime(2026, 11, 28, 9, 0, tzinfo=berlin)
    for moment in (
        saturday,
        saturday + dt.timedelta(days=1),  # Sunday
        dt.datetime(2026, 11, 30, 8, 59, tzinfo=berlin),  # Monday, before the digest time
    ):
        clock.set(moment.astimezone(dt.UTC))
        assert due_digests(bot.ctx).digests == 0, moment
    monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=berlin)  # 03:00 in New York
    clock.set(monday.astimezone(dt.UTC))
    new_york = bot.ctx.settings.model_copy(update={"canwe_timezone": "America/New_York"})
    elsewhere = make_context(new_york, clock)
    assert due_digests(elsewhere).digests == 0  # still night in New York
    elsewhere.engine.dispose()
    assert due_digests(bot.ctx).digests > 0
    bot.deliver()
    [digest] = roots(slack, SALES)
    text = message_text(digest)
    assert "Mon Nov 30" in text  # the Berlin day
    # asked on a Berlin Saturday: the clock starts Monday 09:00 Berlin, due a business day later
    assert "due Tue Dec 1, 09:00 CET" in text and "Overdue" not in text


def test_no_digest_on_a_holiday(bot, slack, clock):
    bot.ctx.settings = bot.ctx.settings.model_copy(
        update={"canwe_holidays": [dt.date(2026, 11, 30)]}
    )
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    clock.set(at_ny(30, 10))  # Monday, a holiday
    assert due_digests(bot.ctx).digests == 0
    clock.set(at_ny(1, 9, month=12))  # Tuesday
    assert due_digests(bot.ctx).digests > 0


def test_a_question_asked_after_the_digest_time_waits_for_tomorrow(bot, slack, clock):
    clock.set(at_ny(30, 11))  # Monday, after the digest time, nothing open before it
    slack.send_command(REP, SALES, "yubikey support for Acme by March 15")
    assert due_digests(bot.ctx).digests == 0
    clock.set(at_ny(1, 9, month=12))
    assert due_digests(bot.ctx).digests > 0


# ------------------------------------------------------------------ the command line


def test_canwe_digest_print_shows_text_and_claims_nothing(roadmap, monkeypatch):
    ask_many(roadmap, ["yubikey support for Acme by March 15, $200k"])

    monkeypatch.setenv("DATABASE_URL", roadmap.settings.database_url)
    result = run_cli(["digest", "--print", "--channel", SALES], clock=roadmap.clock)
    assert result.exit_code == 0, result.output
    assert "yubikey support for Acme" in result.output and "$200k" in result.output
    assert f"(thread in #{IDENTITY_CHANNEL})" in result.output
    assert "DM to" not in result.output  # --channel: that channel only
    assert count(roadmap, DigestClaim) == 0 and count(roadmap, OutboxMessage) == 1


def test_canwe_digest_post_posts_once(roadmap, slack, monkeypatch):
    ask_many(roadmap, ["yubikey support for Acme by March 15, $200k"])
    from tests.conftest import BOT_TOKEN

    monkeypatch.setenv("DATABASE_URL", roadmap.settings.database_url)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    for _ in range(2):
        result = run_cli(["digest", "--post", "--channel", SALES], clock=roadmap.clock)
        assert result.exit_code == 0, result.output
    assert "1 already posted today" in result.output
    assert len(roots(slack, SALES)) == 1


def test_canwe_digest_post_without_a_token_claims_nothing(roadmap, monkeypatch):
    ask_many(roadmap, ["yubikey support for Acme by March 15, $200k"])

    monkeypatch.setenv("DATABASE_URL", roadmap.settings.database_url)
    result = run_cli(["digest", "--post"], clock=roadmap.clock)
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN" in result.output
    assert count(roadmap, DigestClaim) == 0
