"""Socket Mode end to end: the stand-in hands out a WebSocket (apps.connections.open), the bot
connects with Bolt's Socket Mode handler as `canwe serve` builds it, and /canwe is answered
over the socket, in the ack, exactly as over HTTP."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.conftest import SIGNING_SECRET
from tests.helpers import REP, SALES, block_text, questions

APP_TOKEN = "xapp-1-standin"


@pytest.fixture
def socket_slack():
    from sandbox.slack_standin import SlackStandIn

    standin = SlackStandIn(signing_secret=SIGNING_SECRET, app_token=APP_TOKEN)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def socket_bot(roadmap, socket_slack):
    from app import build_app, socket_mode
    from bot.slack.client import make_client

    ctx = roadmap
    ctx.settings = ctx.settings.model_copy(
        update={"slack_api_url": socket_slack.api_url, "slack_app_token": SecretStr(APP_TOKEN)}
    )
    client = make_client(ctx.settings)
    handler = socket_mode(build_app(ctx, client), ctx.settings, client)
    handler.connect()  # what `canwe serve` does in start(), without blocking the test
    socket_slack.wait_for_socket()
    yield ctx
    handler.close()


def test_a_command_over_the_socket_is_answered_in_its_ack(socket_bot, socket_slack):
    ack = socket_slack.send_command_over_socket(REP, SALES, "SSO with Okta for Acme by March 15")
    answer = ack["payload"]
    first_line = answer["blocks"][0]["text"]["text"]
    assert "Yes, you can promise" in first_line and "Mar 1, 2027" in first_line
    assert "Single sign-on with Okta" in block_text(answer["blocks"])
    # the rep alone sees it in the channel, as Slack shows an ack's body
    (shown,) = socket_slack.messages(SALES)
    assert shown["ephemeral_to"] == REP and "Yes, you can promise" in block_text(shown["blocks"])
    stored = questions(socket_bot)
    assert [(q.customer, q.verdict) for q in stored] == [("Acme", "committed")]


def test_help_over_the_socket_is_answered_and_not_stored(socket_bot, socket_slack):
    ack = socket_slack.send_command_over_socket(REP, SALES, "help")
    assert "/canwe SSO with Okta for Acme by March 15" in block_text(ack["payload"]["blocks"])
    assert questions(socket_bot) == []


def test_the_socket_is_opened_with_the_app_token_only(socket_slack):
    import httpx

    url = socket_slack.api_url + "apps.connections.open"
    wrong = httpx.post(url, headers={"Authorization": "Bearer xoxb-bot-token"}).json()
    right = httpx.post(url, headers={"Authorization": f"Bearer {APP_TOKEN}"}).json()
    assert wrong == {"ok": False, "error": "invalid_auth"}
    assert right["ok"] and right["url"].startswith("ws://127.0.0.1:")
