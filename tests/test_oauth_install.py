"""The OAuth install ("Add to Slack") end to end, the stand-in playing Slack's side: its
authorize page hands back a code, oauth.v2.access exchanges it at SLACK_API_URL, and the
installation kept in the store (tables from the alembic migrations) authorizes requests and
gives the workers their token. One workspace per deployment until rows carry their team."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackRequestError

from bot.questions.asking import ask
from bot.slack.client import make_client
from bot.slack.install import installation_store
from store.db import session_scope
from tests.conftest import SIGNING_SECRET, serve_in_thread
from tests.helpers import IDENTITY_CHANNEL, REP, SALES, posts, questions, unsent

CLIENT_ID, CLIENT_SECRET = "1234.5678", "standin-client-secret"
INSTALLED_TOKEN = "xoxb-installed-by-oauth"


@pytest.fixture
def oauth_slack():
    from sandbox.slack_standin import SlackStandIn

    standin = SlackStandIn(
        signing_secret=SIGNING_SECRET,
        bot_token=INSTALLED_TOKEN,  # what the install hands out, and all the stand-in accepts
        oauth_client=(CLIENT_ID, CLIENT_SECRET),
    )
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def installer(roadmap, oauth_slack):
    """`canwe serve` with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET and no SLACK_BOT_TOKEN."""
    from app import build_app, build_web
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery

    ctx = roadmap
    ctx.settings = ctx.settings.model_copy(
        update={
            "slack_api_url": oauth_slack.api_url,
            "slack_bot_token": None,
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
            "slack_authorize_url": oauth_slack.base_url + "/oauth/v2/authorize",
        }
    )
    client = make_client(ctx.settings, engine=ctx.engine)
    (server, thread), url = serve_in_thread(build_web(ctx, build_app(ctx, client)))
    oauth_slack.events_url = f"{url}/slack/events"
    oauth_slack.oauth_redirect_uri = f"{url}/slack/oauth_redirect"  # as set in the app's settings
    with httpx.Client(base_url=url, timeout=10) as browser:
        yield ctx, browser, Delivery(ctx, client)
    server.should_exit = True
    thread.join(timeout=5)


def add_to_slack(browser: httpx.Client, team: str | None = None) -> httpx.Response:
    """What a browser does: the install page, Slack's authorize page, the redirect back."""
    page = browser.get("/slack/install")
    assert page.status_code == 200, page.text
    link = unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text)[1])
    assert f"client_id={CLIENT_ID}" in link and "chat:write" in link
    if team:
        link += f"&team={team}"
    back = httpx.get(link)  # Slack's page
    assert back.status_code in (302, 307), back.text
    # the state cookie Bolt set is Secure (canwe runs behind https): this test's http browser
    # hands it back itself, as a browser on https would
    state_cookie = page.headers["set-cookie"].split(";")[0]
    return browser.get(back.headers["location"], headers={"cookie": state_cookie})


def test_add_to_slack_installs_and_the_install_answers_and_delivers(installer, oauth_slack, clock):
    ctx, browser, delivery = installer
    store = installation_store(ctx.settings, ctx.engine)
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
    assert store.installed_team() == (None, oauth_slack.team_id)
    assert [c.args.get("code") for c in oauth_slack.calls("oauth.v2.access")]  # exchanged

    # the workers now use the installed token: at its next try the escalation reaches the PM
    clock.advance(minutes=1)
    delivery.drain()
    assert unsent(ctx) == 0
    assert posts(oauth_slack, channel=IDENTITY_CHANNEL)
    # and a request is authorized by the install
    answer = oauth_slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15").json()
    assert "Yes, you can promise" in answer["blocks"][0]["text"]["text"]


def test_a_second_workspace_is_refused_while_rows_do_not_carry_their_team(installer, oauth_slack):
    ctx, browser, _ = installer
    assert add_to_slack(browser).status_code == 200
    refused = add_to_slack(browser, team="T0OTHERWS")
    assert refused.status_code == 403
    assert "already installed in another workspace" in refused.text
    store = installation_store(ctx.settings, ctx.engine)
    assert store.installed_team() == (None, oauth_slack.team_id)
    assert store.find_bot(enterprise_id=None, team_id="T0OTHERWS") is None
    # reinstalling into the same workspace is fine
    assert add_to_slack(browser).status_code == 200


def test_the_redirect_with_a_forged_state_installs_nothing(installer, oauth_slack):
    ctx, browser, _ = installer
    forged = browser.get("/slack/oauth_redirect", params={"code": "x", "state": "forged"})
    assert forged.status_code >= 400
    assert installation_store(ctx.settings, ctx.engine).installed_team() is None
    assert oauth_slack.calls("oauth.v2.access") == []


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["UCANWEBOT"]}}],
)
def test_uninstalling_deletes_the_install_and_the_workers_stop(installer, oauth_slack, event):
    ctx, browser, delivery = installer
    assert add_to_slack(browser).status_code == 200
    store = installation_store(ctx.settings, ctx.engine)
    assert store.bot_token() == INSTALLED_TOKEN
    assert oauth_slack.send_event(event).status_code == 200
    assert store.bot_token() is None
    with pytest.raises(SlackRequestError, match="not installed"):
        make_client(ctx.settings, engine=ctx.engine).auth_test()
    # the store still holds this workspace's roadmap and questions: no other may install
    assert add_to_slack(browser, team="T0OTHERWS").status_code == 403
    assert add_to_slack(browser).status_code == 200
    assert store.bot_token() == INSTALLED_TOKEN
