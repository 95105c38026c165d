"""The OAuth install ("Add to Slack") end to end, the stand-in playing Slack's side: its
authorize page hands back a code, oauth.v2.access exchanges it at SLACK_API_URL, and the
installation kept in the store (tables from the alembic migrations) authorizes requests and
gives the workers their token. Each install is a workspace of its own: tests/test_workspaces.py
shows two of them sharing nothing."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackRequestError

from bot.context import slack_team
from bot.questions.asking import ask
from bot.slack.client import make_client
from bot.slack.install import workspace_tokens
from store.db import session_scope
from tests.conftest import INSTALLED_TOKEN, add_to_slack
from tests.helpers import IDENTITY_CHANNEL, REP, SALES, posts, questions, unsent


def test_add_to_slack_installs_and_the_install_answers_and_delivers(installer, oauth_slack, clock):
    ctx, browser, delivery = installer
    store = workspace_tokens(ctx.settings, ctx.engine, ctx.now)
    assert store.bot_token() is None
    # Slack sends nothing from a workspace that has not installed canwe: Bolt refuses it
    oauth_slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15")
    assert questions(ctx) == []
    # what the bot wrote to send before then (an escalation from `canwe ask --escalate`
    # style work in the store) waits in the outbox: not sent, not lost
    with session_scope(ctx.sessions) as session:
        ask(
            session=session,
            ctx=ctx,
            raw_text="yubikey for Acme by March 15",
            asker_id=REP,
            channel_id=SALES,
            source="command",
            request_key="before-install",
        )
    delivery.drain()
    assert unsent(ctx) >= 1 and posts(oauth_slack, channel=IDENTITY_CHANNEL) == []

    done = add_to_slack(browser)
    assert done.status_code == 200, done.text
    assert store.bot_token() == INSTALLED_TOKEN
    assert slack_team(ctx) == (None, oauth_slack.team_id)  # the store's first workspace
    assert [c.args.get("code") for c in oauth_slack.calls("oauth.v2.access")]  # exchanged

    # the workers now use the installed token: at its next try the escalation reaches the PM
    clock.advance(minutes=1)
    delivery.drain()
    assert unsent(ctx) == 0
    assert posts(oauth_slack, channel=IDENTITY_CHANNEL)
    # and a request is authorized by the install
    answer = oauth_slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15").json()
    assert "Yes, you can promise" in answer["blocks"][0]["text"]["text"]


def test_the_redirect_with_a_forged_state_installs_nothing(installer, oauth_slack):
    ctx, browser, _ = installer
    forged = browser.get("/slack/oauth_redirect", params={"code": "x", "state": "forged"})
    assert forged.status_code >= 400
    assert workspace_tokens(ctx.settings, ctx.engine, ctx.now).bot_token() is None
    assert slack_team(ctx) == (None, None)
    assert oauth_slack.calls("oauth.v2.access") == []


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["UCANWEBOT"]}}],
)
def test_uninstalling_deletes_the_install_and_the_workers_stop(installer, oauth_slack, event):
    ctx, browser, delivery = installer
    assert add_to_slack(browser).status_code == 200
    store = workspace_tokens(ctx.settings, ctx.engine, ctx.now)
    assert store.bot_token() == INSTALLED_TOKEN
    assert oauth_slack.send_event(event).status_code == 200
    assert store.bot_token() is None
    with pytest.raises(SlackRequestError, match="not installed"):
        make_client(ctx.settings, engine=ctx.engine, clock=ctx.clock).auth_test()
    # the store still holds this workspace's roadmap and questions, for a reinstall
    assert slack_team(ctx) == (None, oauth_slack.team_id)
    assert add_to_slack(browser).status_code == 200
    assert store.bot_token() == INSTALLED_TOKEN
