"""The sandbox page's endpoints and the sandbox set-up, without a browser."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.serve import ThreadedServer
from sandbox.slack_standin import SlackStandIn
from tests.conftest import make_settings
from tests.helpers import REP, REP2, SALES

SECRET = "page-secret"
# the `site` and `bare_site` fixtures: the sandbox served in this process, in OAuth mode
pytest_plugins = ["tests.sandbox_site"]


class FakeBot:
    """Records what reached /slack/events; acks commands with a small ephemeral reply."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def handle(self, request: Request) -> Response:
        raw = (await request.body()).decode()
        if request.headers["content-type"].startswith("application/json"):
            body = json.loads(raw)
        else:
            body = dict(httpx.QueryParams(raw))
        self.received.append(body)
        if body.get("command"):
            return JSONResponse({"text": f"echo {body['text']}"})
        return Response(status_code=200)


@pytest.fixture
def sandbox() -> Iterator[tuple[SlackStandIn, FakeBot, httpx.Client]]:
    fake = FakeBot()
    bot = ThreadedServer(Starlette(routes=[Route("/slack/events", fake.handle, methods=["POST"])]))
    bot.start()
    standin = SlackStandIn(signing_secret=SECRET, events_url=bot.base_url + "/slack/events")
    standin.start()
    standin.add_user(REP, "riley", real_name="Riley Rep", title="Sales rep")
    standin.add_user(REP2, "sam", real_name="Sam Seller", title="Sales rep")
    standin.add_channel(SALES, "sales-deals", kind="sales")
    with httpx.Client(base_url=standin.base_url) as http:
        yield standin, fake, http
    standin.close()
    bot.stop()


def test_composer_sends_a_command_a_mention_or_a_message(sandbox):
    standin, fake, http = sandbox
    r = http.post("/ui/send", json={"as": REP, "channel": SALES, "text": "/canwe SSO for Acme"})
    assert r.json()["sent"] == "slash command"
    r = http.post("/ui/send", json={"as": REP, "channel": SALES, "text": "@canwe SSO for Acme?"})
    assert r.json()["sent"] == "app_mention event"
    root = standin.messages(SALES)[-1]["ts"]  # the mention
    r = http.post(
        "/ui/send", json={"as": REP2, "channel": SALES, "text": "me too", "thread_ts": root}
    )
    assert r.json()["sent"] == "message event"

    command, mention, mention_as_message, message = fake.received
    assert command["command"] == "/canwe" and command["text"] == "SSO for Acme"
    assert mention["event"]["type"] == "app_mention"
    assert mention["event"]["text"] == f"<@{standin.bot_user_id}> SSO for Acme?"
    # as on Slack, the mention also arrives as a message event, with its own event id
    assert mention_as_message["event"]["type"] == "message"
    assert mention_as_message["event"]["ts"] == mention["event"]["ts"]
    assert mention_as_message["event_id"] != mention["event_id"]
    assert [m["text"] for m in standin.messages(SALES)].count(mention["event"]["text"]) == 1
    assert message["event"]["type"] == "message"
    assert message["event"]["thread_ts"] == root


def test_state_shows_each_person_only_their_own_ephemerals_and_dms(sandbox):
    standin, _, http = sandbox
    http.post("/ui/send", json={"as": REP, "channel": SALES, "text": "/canwe hello"})
    standin.add_channel("D" + REP, "riley", is_im=True, user=REP)

    mine = http.get("/ui/state", params={"as": REP}).json()
    theirs = http.get("/ui/state", params={"as": REP2}).json()
    assert [m["text"] for m in mine["messages"][SALES]] == ["echo hello"]
    assert mine["messages"][SALES][0]["ephemeral_to"] == REP
    assert theirs["messages"][SALES] == []
    assert "D" + REP in [c["id"] for c in mine["channels"]]
    assert "D" + REP not in [c["id"] for c in theirs["channels"]]
    assert {u["real_name"] for u in mine["users"].values()} >= {"Riley Rep", "Sam Seller"}


def test_state_waits_for_a_change_when_asked_since_a_version(sandbox):
    standin, _, http = sandbox
    version = http.get("/ui/state", params={"as": REP}).json()["version"]
    standin.add_user("U0NEW", "newbie")
    after = http.get("/ui/state", params={"as": REP, "since": version}).json()
    assert after["version"] > version
    assert "U0NEW" in after["users"]


def test_state_tells_the_time_by_the_sandbox_clock_in_its_time_zone(sandbox):
    import datetime as dt
    from zoneinfo import ZoneInfo

    standin, _, http = sandbox
    # the bot's clock, not the real time the stand-in signs its requests with
    sandbox_now = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    standin.page_clock = lambda: sandbox_now.astimezone(ZoneInfo("America/New_York"))
    http.post("/ui/send", json={"as": REP, "channel": SALES, "text": "/canwe hello"})

    state = http.get("/ui/state", params={"as": REP}).json()
    assert state["clock"] == {"now": "Fri Nov 27, 18:30 EST", "zone": "America/New_York"}
    assert [m["time"] for m in state["messages"][SALES]] == ["Fri Nov 27, 18:30"]


def test_clicking_what_is_not_there_is_a_clear_error(sandbox):
    _, _, http = sandbox
    r = http.post(
        "/ui/action", json={"as": REP, "channel": SALES, "ts": "1.000000", "action_id": "x"}
    )
    assert r.status_code == 404
    assert "no message" in r.json()["error"]
    assert http.post("/ui/send", json={"as": REP, "channel": SALES, "text": " "}).status_code == 400


def test_the_page_is_served_and_plainly_labelled(sandbox):
    _, _, http = sandbox
    page = http.get("/")
    assert page.status_code == 200
    assert "Sandbox — not Slack" in page.text
    assert http.get("/static/app.js").status_code == 200


# ------------------------------------------------------------------ sandbox set-up


def test_sandbox_settings_keep_an_explicit_database_and_fill_in_the_rest():
    from sandbox.run import sandbox_settings

    explicit = sandbox_settings(make_settings("sqlite:///mine.db", canwe_admins=[]))
    assert explicit.database_url == "sqlite:///mine.db"
    # canwe installs with OAuth against the stand-in, which is on the sandbox's own port
    assert explicit.installs_with_oauth and explicit.slack_signing_secret
    assert explicit.slack_bot_token is None
    assert explicit.slack_authorize_url == "http://localhost:3000/sandbox/oauth/v2/authorize"
    assert explicit.slack_redirect_uri == "http://localhost:3000/slack/oauth_redirect"
    assert explicit.slack_install_success_url == "http://localhost:3000/sandbox/#installed"
    assert explicit.canwe_admins == ["U0ADMIN001"]
    assert explicit.canwe_triage_channel

    from bot.settings import Settings

    default = sandbox_settings(Settings(_env_file=None))
    assert default.database_url == "sqlite:///canwe-sandbox.db"


def test_the_workspace_is_filled_from_the_roadmap(roadmap):
    from sandbox.run import populate, sandbox_settings

    standin = SlackStandIn()
    populate(standin, sandbox_settings(roadmap.settings), roadmap)
    kinds = {c["name"]: c.get("kind") for c in standin.channels.values()}
    assert kinds["sales-deals"] == "sales"
    assert kinds["services-delivery"] == "services"
    assert kinds["marketing-launches"] == "marketing"
    assert kinds["pm-identity"] == "pm"
    titles = {u["profile"]["title"] for u in standin.users.values()}
    assert {"Sales rep", "PM, Identity", "PM lead, backup", "canwe admin"} <= titles
    standin.close()


def test_starting_afresh_never_deletes_another_store(tmp_path):
    from sandbox.run import fresh_store, sandbox_settings

    mine = tmp_path / "mine.db"
    mine.write_bytes(b"a store someone keeps")
    with pytest.raises(ValueError, match="only on its own store"):
        fresh_store(sandbox_settings(make_settings(f"sqlite:///{mine}")))
    assert mine.read_bytes() == b"a store someone keeps"


# ------------------------------------------------------------------ workspaces ("Add to Slack")

GLOBEX_REP, GLOBEX_SALES, GLOBEX_IDENTITY = "U0GXREP001", "C0GXSALES1", "C0GXPMID01"
OKTA = "/canwe okta sso for Acme"


def _state(site, team: str | None = None, viewer: str = REP) -> dict:
    params = {"as": viewer} | ({"team": team} if team else {})
    return httpx.get(f"{site.url}sandbox/ui/state", params=params, timeout=10).json()


def _ask(site, viewer: str, channel: str, text: str) -> str:
    """What the page shows `viewer` in `channel` after sending `text` (the last message)."""
    sent = httpx.post(
        f"{site.url}sandbox/ui/send",
        json={"as": viewer, "channel": channel, "text": text},
        timeout=20,
    )
    assert sent.status_code == 200, sent.text
    return json.dumps(site.standin.messages(channel)[-1], ensure_ascii=False, default=str)


def _items(site, team: str) -> int:
    from sqlalchemy import func, select

    from store.db import session_scope
    from store.models import Item
    from store.tenancy import find_workspace

    with session_scope(site.ctx.sessions) as session:
        workspace_id = find_workspace(session, enterprise_id=None, team_id=team)
    with session_scope(site.ctx.for_workspace(workspace_id).sessions) as session:
        return session.scalar(select(func.count(Item.id)))


def test_the_sandbox_starts_installed_nowhere_and_add_to_slack_installs_a_workspace(bare_site):
    from sandbox.run import TEAM_ID
    from tests.sandbox_site import add_to_slack

    before = _state(bare_site)
    assert before["workspaces"] == [] and before["install_url"] == "/slack/install"
    # the stand-in's "Allow" page offers the workspaces, names and query escaped
    bare_site.standin.team_names["T0MARKUP"] = "<b>Markup</b> & Co"
    install = httpx.get(f"{bare_site.url}slack/install")
    link = re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', install.text)[1]
    allow = httpx.get(unescape(link) + '&note="><script>').text
    assert allow.index("Example Co") < allow.index("Globex Subsidiary")
    assert "&lt;b&gt;Markup&lt;/b&gt; &amp; Co" in allow and "<b>Markup" not in allow
    assert "<script>" not in allow and "&quot;&gt;&lt;script&gt;" in allow
    del bare_site.standin.team_names["T0MARKUP"]

    done = add_to_slack(bare_site.url, TEAM_ID)
    # Bolt's success page sends the browser back to the sandbox page, which opens the newest
    assert "/sandbox/#installed" in done.text
    after = _state(bare_site, TEAM_ID)
    assert after["workspaces"] == [{"id": TEAM_ID, "name": "Example Co"}]
    assert {"C0SALES001", "C0PMIDENT1"} <= {c["id"] for c in after["channels"]}
    assert _items(bare_site, TEAM_ID) == 30  # its roadmap, imported once installed
    assert "Available" in _ask(bare_site, REP, SALES, "/canwe SAML single sign-on for Acme")

    # installing again (a reinstall) keeps the workspace and imports nothing twice
    assert add_to_slack(bare_site.url, TEAM_ID).status_code == 200
    assert _state(bare_site)["workspaces"] == after["workspaces"]
    assert _items(bare_site, TEAM_ID) == 30


def test_a_second_workspace_shows_only_its_own_and_answers_from_its_own_roadmap(site):
    from sandbox.run import GLOBEX_TEAM_ID, TEAM_ID
    from tests.sandbox_site import add_to_slack

    assert add_to_slack(site.url, GLOBEX_TEAM_ID).status_code == 200
    assert [w["name"] for w in _state(site)["workspaces"]] == ["Example Co", "Globex Subsidiary"]
    assert _items(site, GLOBEX_TEAM_ID) == 8

    # switching: each workspace shows its own people and channels (the bot is in both)
    globex, example = _state(site, GLOBEX_TEAM_ID, GLOBEX_REP), _state(site, TEAM_ID)
    assert {c["id"] for c in globex["channels"]} == {GLOBEX_SALES, GLOBEX_IDENTITY, "C0GXPMLOG1"}
    assert {u["real_name"] for u in globex["users"].values()} == {
        "canwe",
        "Gina Globex",
        "Hank (Identity PM)",
        "Noor (Logistics PM)",
    }
    assert not {c["id"] for c in example["channels"]} & {c["id"] for c in globex["channels"]}
    assert "Gina Globex" not in {u["real_name"] for u in example["users"].values()}

    # the same question, answered from each workspace's roadmap
    assert "Yes, you can promise Single sign-on with Okta" in _ask(site, REP, SALES, OKTA)
    theirs = _ask(site, GLOBEX_REP, GLOBEX_SALES, OKTA)
    assert "Yes, you can promise" not in theirs and "Single sign-on with Okta" in theirs
    assert "GX-1" in theirs
    # each answer is on its own workspace's page only
    messages = json.dumps(_state(site, TEAM_ID)["messages"])
    assert "GX-1" not in messages and "ID-12" in messages
    assert "ID-12" not in json.dumps(_state(site, GLOBEX_TEAM_ID, GLOBEX_REP)["messages"])

    # what Globex does not know goes to Globex's PM, sent with Globex's token
    _ask(site, GLOBEX_REP, GLOBEX_SALES, "/canwe scim for Initech by March 1")
    site.standin.wait_for(lambda: site.standin.messages(GLOBEX_IDENTITY), timeout=10)
    posts = site.standin.calls("chat.postMessage")
    assert {c.team for c in posts if c.args["channel"] == GLOBEX_IDENTITY} == {GLOBEX_TEAM_ID}
    assert not site.standin.messages("C0PMIDENT1")
    # a permalink opens the page on the channel's workspace
    ts = site.standin.messages(GLOBEX_IDENTITY)[0]["ts"]
    opened = httpx.get(site.standin.permalink(GLOBEX_IDENTITY, ts))
    assert f"#workspace={GLOBEX_TEAM_ID}&channel={GLOBEX_IDENTITY}" in opened.headers["location"]
