"""The sandbox page's endpoints and the sandbox set-up, without a browser."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
    assert explicit.slack_bot_token and explicit.slack_signing_secret
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
