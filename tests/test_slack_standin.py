"""The Slack stand-in behaves like Slack for a real slack_sdk client and a real Bolt app."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from sandbox.serve import ThreadedServer
from sandbox.slack_standin import SlackStandIn

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    s = SlackStandIn(signing_secret=SECRET, bot_token=TOKEN).start()
    s.add_user("UREP1", "rita", real_name="Rita Rep")
    s.add_user("UPM1", "paul", real_name="Paul PM")
    s.add_channel("CSALES", "sales")
    yield s
    s.close()


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.api_url)


def serve(app) -> ThreadedServer:
    return ThreadedServer(app).start()


# ------------------------------------------------------------------ Web API


def test_post_message_is_recorded_with_slacks_response_shape(slack, client):
    r = client.chat_postMessage(channel="CSALES", text="hello", blocks=[{"type": "divider"}])
    assert r["ok"] and r["channel"] == "CSALES"
    assert r["message"]["ts"] == r["ts"]
    reply = client.chat_postMessage(channel="CSALES", text="in thread", thread_ts=r["ts"])
    assert reply["message"]["thread_ts"] == r["ts"]

    msgs = slack.messages("CSALES")
    assert [m["text"] for m in msgs] == ["hello", "in thread"]
    assert msgs[0]["blocks"][0]["type"] == "divider"
    assert msgs[0]["blocks"][0]["block_id"]  # Slack assigns block ids
    assert [m["text"] for m in slack.thread("CSALES", r["ts"])] == ["hello", "in thread"]
    assert slack.messages("CSALES")[0]["reply_count"] == 1


def test_form_encoded_and_json_bodies_are_both_understood(slack, client):
    client.api_call(
        "chat.postMessage",
        data={"channel": "CSALES", "text": "form", "blocks": json.dumps([{"type": "divider"}])},
    )
    client.api_call("chat.postMessage", json={"channel": "CSALES", "text": "json"})
    first, second = slack.calls("chat.postMessage")
    assert first.args["blocks"] == [{"type": "divider"}]
    assert second.args["text"] == "json"
    assert [m["text"] for m in slack.messages("CSALES")] == ["form", "json"]


def test_every_method_the_bot_uses_answers(slack, client):
    assert client.auth_test()["user_id"] == slack.bot_user_id
    ts = client.chat_postMessage(channel="CSALES", text="v1")["ts"]
    updated = client.chat_update(channel="CSALES", ts=ts, text="v2")
    assert updated["text"] == "v2"
    eph = client.chat_postEphemeral(channel="CSALES", user="UREP1", text="only you")
    link = client.chat_getPermalink(channel="CSALES", message_ts=ts)["permalink"]
    assert link.startswith(slack.base_url + "/archives/CSALES/p")
    assert client.users_info(user="UREP1")["user"]["real_name"] == "Rita Rep"
    dm = client.conversations_open(users="UREP1")["channel"]["id"]
    assert dm == "DUREP1"
    assert client.conversations_info(channel=dm)["channel"]["is_im"]
    client.chat_postMessage(channel="UPM1", text="dm by user id")

    msgs = slack.messages("CSALES")
    assert msgs[0]["text"] == "v2" and msgs[0]["edited"]
    assert msgs[1]["ts"] == eph["message_ts"] and msgs[1]["ephemeral_to"] == "UREP1"
    assert slack.messages("DUPM1")[0]["text"] == "dm by user id"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_errors_come_back_as_slack_errors(slack, client):
    for call, code in [
        (lambda: client.users_info(user="UNOBODY"), "user_not_found"),
        (lambda: client.chat_postMessage(channel="CSALES"), "no_text"),
        (
            lambda: client.chat_update(channel="CSALES", ts="1.000000", text="x"),
            "message_not_found",
        ),
        (lambda: client.views_open(trigger_id="made-up", view=_modal()), "invalid_trigger_id"),
        (lambda: client.api_call("chat.unknownThing"), "unknown_method"),
        (
            lambda: client.chat_postMessage(
                channel="CSALES", blocks=[{"type": "section", "text": _mrkdwn("x" * 3001)}]
            ),
            "invalid_blocks",
        ),
    ]:
        with pytest.raises(SlackApiError) as e:
            call()
        assert e.value.response["error"] == code
    bad = WebClient(token="xoxb-wrong", base_url=slack.api_url)
    with pytest.raises(SlackApiError) as e:
        bad.auth_test()
    assert e.value.response["error"] == "invalid_auth"


def test_rate_limit_then_success_with_slack_sdk_retry_handler(slack):
    client = WebClient(
        token=TOKEN, base_url=slack.api_url, retry_handlers=[RateLimitErrorRetryHandler(1)]
    )
    slack.fail("chat.postMessage", status=429, retry_after=0)
    r = client.chat_postMessage(channel="CSALES", text="after the wait")
    assert r["ok"]
    attempts = slack.calls("chat.postMessage")
    assert [(c.status, c.ok) for c in attempts] == [(429, False), (200, True)]
    assert [m["text"] for m in slack.messages("CSALES")] == ["after the wait"]


def test_429_carries_retry_after(slack):
    slack.fail("chat.postMessage", status=429, retry_after=7)
    r = httpx.post(
        slack.api_url + "chat.postMessage",
        json={"channel": "CSALES", "text": "x"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.json() == {"ok": False, "error": "ratelimited"}


def test_server_errors_for_a_while_then_recovery(slack, client):
    slack.fail("chat.postMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as e:
            client.chat_postMessage(channel="CSALES", text="x")
        assert e.value.response.status_code == 500
    assert client.chat_postMessage(channel="CSALES", text="x")["ok"]
    assert len(slack.messages("CSALES")) == 1


def test_ok_false_failure_and_reset(slack, client):
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="CSALES", text="x")
    assert e.value.response.status_code == 200
    assert e.value.response["error"] == "channel_not_found"
    slack.fail("chat.postMessage", status=500, times=None)
    client.auth_test()
    slack.reset()
    assert slack.calls() == [] and slack.messages("CSALES") == []
    assert client.chat_postMessage(channel="CSALES", text="x")["ok"]


def test_wait_for_times_out_with_a_dump_of_recent_calls(slack, client):
    client.auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        slack.wait_for(lambda: slack.messages("CSALES"), timeout=0.05)


# ------------------------------------------------------------ Slack -> the bot


class Receiver:
    """A plain endpoint that records what Slack sent, to check the signing."""

    def __init__(self) -> None:
        self.requests: list[tuple[bytes, dict[str, str]]] = []

    async def handle(self, request: Request) -> JSONResponse:
        self.requests.append((await request.body(), dict(request.headers)))
        return JSONResponse({})


@pytest.fixture
def receiver(slack) -> Iterator[Receiver]:
    rec = Receiver()
    server = serve(Starlette(routes=[Route("/slack/events", rec.handle, methods=["POST"])]))
    slack.events_url = server.base_url + "/slack/events"
    yield rec
    server.stop()


def test_requests_are_signed_as_slack_signs_them(slack, receiver):
    slack.send_command("UREP1", "CSALES", "SSO for Acme")
    slack.send_mention("UREP1", "CSALES", "hi")
    slack.send_event(
        {"type": "message", "channel": "CSALES", "user": "UREP1", "text": "x", "ts": "1.000001"},
        event_id="Ev1",
        retry_num=2,
    )
    verifier = SignatureVerifier(SECRET)
    assert len(receiver.requests) == 3
    for body, headers in receiver.requests:
        assert verifier.is_valid(
            body, headers["x-slack-request-timestamp"], headers["x-slack-signature"]
        )
    _, retry_headers = receiver.requests[2]
    assert retry_headers["x-slack-retry-num"] == "2"
    envelope = json.loads(receiver.requests[2][0])
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev1"


def test_send_signed_can_forge(slack, receiver):
    slack.send_signed(b"x=1", "application/x-www-form-urlencoded", signature="v0=forged")
    slack.send_signed(b"x=1", "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    verifier = SignatureVerifier(SECRET)
    for body, headers in receiver.requests:
        assert not verifier.is_valid(
            body, headers["x-slack-request-timestamp"], headers["x-slack-signature"]
        )


# ----------------------------------------------- a real Bolt app against it


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _modal() -> dict:
    return {
        "type": "modal",
        "callback_id": "answer",
        "private_metadata": "q-42",
        "title": {"type": "plain_text", "text": "Answer"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "verdict",
                "label": {"type": "plain_text", "text": "Verdict"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Yes"}, "value": "yes"},
                        {"text": {"type": "plain_text", "text": "No"}, "value": "no"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "date",
                "label": {"type": "plain_text", "text": "By"},
                "element": {"type": "datepicker", "action_id": "pick"},
            },
            {
                "type": "input",
                "block_id": "notes",
                "optional": True,
                "label": {"type": "plain_text", "text": "Notes"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
        ],
    }


@pytest.fixture
def bolt(slack) -> Iterator[dict]:
    """A small Bolt app served over HTTP, pointed at the stand-in."""
    seen: dict = {"submissions": []}
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=slack.api_url),
        process_before_response=True,
    )

    @app.command("/canwe")
    def command(ack, command, respond, say):
        if command["text"] == "later":
            ack()
            respond(text="answered later", response_type="in_channel")
            return
        ack(
            text=f"you asked: {command['text']}",
            blocks=[
                {"type": "section", "text": _mrkdwn("verdict")},
                {
                    "type": "actions",
                    "block_id": "act",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "answer",
                            "text": {"type": "plain_text", "text": "Answer"},
                            "value": "q-42",
                        }
                    ],
                },
            ],
        )

    @app.event("app_mention")
    def mention(event, say):
        say(text=f"got: {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    @app.event("message")
    def message(event):
        seen.setdefault("messages", []).append(event)

    @app.action("answer")
    def answer(ack, body, client):
        ack()
        seen["action"] = body
        client.views_open(trigger_id=body["trigger_id"], view=_modal())

    @app.view("answer")
    def submitted(ack, view):
        values = view["state"]["values"]
        seen["submissions"].append(view)
        if values["verdict"]["pick"]["selected_option"] is None:
            ack(response_action="errors", errors={"verdict": "Pick one"})
        else:
            ack()

    handler = SlackRequestHandler(app)

    async def events(request: Request):
        return await handler.handle(request)

    server = serve(Starlette(routes=[Route("/slack/events", events, methods=["POST"])]))
    slack.events_url = server.base_url + "/slack/events"
    yield seen
    server.stop()


def test_bolt_rejects_forged_and_stale_signatures(slack, bolt):
    body = b"command=%2Fcanwe&text=x&user_id=UREP1&channel_id=CSALES"
    forged = slack.send_signed(body, "application/x-www-form-urlencoded", signature="v0=bad")
    stale = slack.send_signed(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
    )
    assert forged.status_code == 401 and stale.status_code == 401
    assert slack.messages("CSALES") == []


def test_command_ack_is_shown_ephemerally_and_response_url_in_channel(slack, bolt):
    r = slack.send_command("UREP1", "CSALES", "SSO for Acme")
    assert r.status_code == 200
    (shown,) = slack.messages("CSALES")
    assert shown["text"] == "you asked: SSO for Acme"
    assert shown["ephemeral_to"] == "UREP1"

    slack.send_command("UREP1", "CSALES", "later")
    assert slack.responses == [{"text": "answered later", "response_type": "in_channel"}]
    assert slack.messages("CSALES")[-1]["ephemeral_to"] is None


def test_mention_is_answered_in_its_thread(slack, bolt):
    slack.send_mention("UREP1", "CSALES", "can we do SSO?")
    mention, reply = slack.wait_for(
        lambda: len(slack.messages("CSALES")) == 2 and slack.messages("CSALES")
    )
    assert mention["user"] == "UREP1" and mention["text"].startswith(f"<@{slack.bot_user_id}>")
    assert reply["thread_ts"] == mention["ts"]
    assert reply["text"] == f"got: <@{slack.bot_user_id}> can we do SSO?"


def test_thread_reply_is_a_message_event_with_thread_ts(slack, bolt, client):
    parent = client.chat_postMessage(channel="CSALES", text="escalation")["ts"]
    slack.send_message("UPM1", "CSALES", "yes by 2027-04-01", thread_ts=parent)
    (event,) = bolt["messages"]
    assert event["thread_ts"] == parent and event["user"] == "UPM1"
    assert event["channel_type"] == "channel"
    assert [m["text"] for m in slack.thread("CSALES", parent)] == [
        "escalation",
        "yes by 2027-04-01",
    ]


def test_button_opens_modal_and_submission_carries_state(slack, bolt):
    slack.send_command("UPM1", "CSALES", "q")
    (msg,) = slack.messages("CSALES")
    r = slack.send_block_action("UPM1", "CSALES", msg["ts"], "answer")
    assert r.status_code == 200
    action = bolt["action"]
    assert action["actions"][0]["value"] == "q-42"
    assert action["container"]["is_ephemeral"] is True
    assert action["response_url"].startswith(slack.base_url + "/response/")

    ((view_id, view),) = slack.views.items()
    assert view["open"] and view["callback_id"] == "answer" and view["user_id"] == "UPM1"

    slack.send_view_submission("UPM1", view_id, {"notes": {"text": "cheap"}})
    assert slack.views[view_id]["errors"] == {"verdict": "Pick one"}
    assert slack.views[view_id]["open"]

    slack.send_view_submission(
        "UPM1", view_id, {"verdict": {"pick": "yes"}, "date": {"pick": "2027-04-01"}}
    )
    values = bolt["submissions"][-1]["state"]["values"]
    assert values["verdict"]["pick"]["selected_option"]["value"] == "yes"
    assert values["date"]["pick"]["selected_date"] == "2027-04-01"
    assert values["notes"]["text"]["value"] is None  # left empty, still present
    assert bolt["submissions"][-1]["private_metadata"] == "q-42"
    assert not slack.views[view_id]["open"]


def test_trigger_ids_are_single_use(slack, bolt, client):
    slack.send_command("UPM1", "CSALES", "q")
    (msg,) = slack.messages("CSALES")
    slack.send_block_action("UPM1", "CSALES", msg["ts"], "answer")
    trigger = bolt["action"]["trigger_id"]
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=trigger, view=_modal())
    assert e.value.response["error"] == "exchanged_trigger_id"


def test_clicking_a_missing_button_is_a_test_error(slack, client):
    ts = client.chat_postMessage(channel="CSALES", text="no buttons")["ts"]
    with pytest.raises(LookupError):
        slack.send_block_action("UREP1", "CSALES", ts, "answer")


# ------------------------------------------------------------- mounted


def test_mounted_under_a_prefix_honours_it():
    s = SlackStandIn(signing_secret=SECRET)
    server = serve(Starlette(routes=[Mount("/sandbox", app=s.asgi_app())]))
    s.public_base_url = server.base_url + "/sandbox"
    auth = {"Authorization": "Bearer xoxb-any"}
    try:
        with httpx.Client(base_url=server.base_url, headers=auth) as http:
            r = http.post("/sandbox/api/chat.postMessage", json={"channel": "C1", "text": "hi"})
            ts = r.json()["ts"]
            r = http.post(
                "/sandbox/api/chat.getPermalink", data={"channel": "C1", "message_ts": ts}
            )
            link = r.json()["permalink"]
            assert link.startswith(server.base_url + "/sandbox/archives/C1/p")
            r = http.get(link)
            assert r.status_code in (302, 307)
            assert r.headers["location"].startswith("/sandbox/")
    finally:
        server.stop()
        s.close()
