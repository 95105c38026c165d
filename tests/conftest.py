"""Shared fixtures: real databases (SQLite and PostgreSQL), a controllable clock, the bot
served over real HTTP, and the Slack stand-in it talks to."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from bot.context import Context
from bot.settings import Settings
from store.db import make_engine, make_session_factory, session_scope
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ROADMAP = ROOT / "examples" / "roadmap.yaml"
PG_ADMIN_URL = os.environ.get(
    "CANWE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
ADMIN = "U0ADMIN001"
# Friday 27 Nov 2026, 15:00 in New York: a business afternoon
START = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
# How long the stand-in waits for the bot's HTTP answer: a guard against a hang, not a
# measure of speed (benchmarks measure that; tests that are about a bound time it themselves).
# CI's runs under faketime on two busy cores once took a first /canwe past the stand-in's own
# 10 s.
BOT_ANSWER_GUARD_SECONDS = 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that failed because the bot (served in this process) did not answer in time
    reports where every thread was: whether a request was stuck, and on what, or only slow."""
    outcome = yield
    if call.excinfo is not None and call.excinfo.errisinstance(httpx.TimeoutException):
        outcome.get_result().sections.append(("threads at the time-out", _thread_stacks()))


def _thread_stacks() -> str:
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n" + "".join(traceback.format_stack(frame))
        for ident, frame in sys._current_frames().items()
    )


def postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("CANWE_REQUIRE_POSTGRES"))


# ------------------------------------------------------------------ databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "canwe.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"canwe_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # server down or unreachable
        admin.dispose()
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {error}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message + " (set CI=1 to make this a failure)")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                # kept: the schema version, matching's seeded synonyms and index version, and
                # the first workspace (the seeded synonyms are its own), as migrations left them
                " AND tablename NOT IN"
                " ('alembic_version', 'synonyms', 'match_state', 'workspaces')"
            )
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables)
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        connection.execute(text("DELETE FROM synonyms WHERE workspace_id <> 1"))
        connection.execute(text("DELETE FROM workspaces WHERE id <> 1"))
        connection.execute(
            text(
                "UPDATE workspaces SET enterprise_id = NULL, team_id = NULL, installed_at = NULL;"
                " SELECT setval(pg_get_serial_sequence('workspaces', 'id'), 1)"
            )
        )
    engine.dispose()


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "canwe.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """A clean, migrated database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def pg_url(postgres_url) -> str:
    """A clean PostgreSQL database, for tests that are about PostgreSQL only."""
    _truncate_postgres(postgres_url)
    return postgres_url


# ------------------------------------------------------------------ settings, clock, context


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's own configuration."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CANWE_", "JIRA_", "LINEAR_")) or name in (
            "DATABASE_URL",
            "PORT",
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(ROOT)


class Clock:
    """The bot's notion of now, moved by tests instead of sleeping."""

    def __init__(self, start: dt.datetime = START):
        self.current = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.current

    def advance(self, **delta) -> dt.datetime:
        with self._lock:
            self.current += dt.timedelta(**delta)
            return self.current

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self.current = moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


def run_cli(args: list[str], *, clock: Clock | None = None, **options):
    """`canwe ARGS` in this process, on a stated clock (the test's, else START), the way a
    test hands the command line its clock: as click's `obj`."""
    from typer.testing import CliRunner

    from bot.cli import app

    return CliRunner().invoke(app, args, obj=clock or Clock(), **options)


def make_settings(database_url: str, **overrides) -> Settings:
    values = dict(
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        canwe_admins=[ADMIN],
        canwe_triage_channel="C0TRIAGE01",
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url) -> Settings:
    return make_settings(database_url)


def make_context(settings: Settings, clock: Clock) -> Context:
    engine = make_engine(settings.database_url)
    return Context(
        settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock
    )


@pytest.fixture
def ctx(settings, clock) -> Iterator[Context]:
    context = make_context(settings, clock)
    yield context
    context.engine.dispose()


def load_roadmap(ctx: Context, path: Path = EXAMPLE_ROADMAP):
    from bot.roadmap.importer import apply_roadmap, load_file

    with session_scope(ctx.sessions) as session:
        return apply_roadmap(load_file(path, ctx.today()), session=session, now=ctx.now())


@pytest.fixture
def roadmap(ctx) -> Context:
    """The context, with examples/roadmap.yaml loaded."""
    load_roadmap(ctx)
    return ctx


# ------------------------------------------------------------------ Slack stand-in and the served bot


@pytest.fixture
def slack():
    from sandbox.slack_standin import SlackStandIn

    standin = SlackStandIn(
        signing_secret=SIGNING_SECRET,
        team_id="T0CANWE",
        bot_user_id="UCANWEBOT",
        http_timeout=BOT_ANSWER_GUARD_SECONDS,
    )
    standin.start()
    yield standin
    standin.stop()


@dataclass
class ServedBot:
    ctx: Context
    url: str
    delivery: object  # bot.slack.delivery.Delivery, driven by the test instead of a thread

    def deliver(self):
        """Send everything the outbox holds that is due now."""
        return self.delivery.drain()


def serve_in_thread(web) -> tuple[object, str]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return (server, thread), f"http://127.0.0.1:{port}"


@pytest.fixture
def bot(roadmap, slack) -> Iterator[ServedBot]:
    """The real app over real HTTP, its Web API calls going to the stand-in."""
    from app import build_app, build_web
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery

    ctx = roadmap
    ctx.settings = ctx.settings.model_copy(update={"slack_api_url": slack.api_url})
    client = make_client(ctx.settings)
    web = build_web(ctx, build_app(ctx, client))
    (server, thread), url = serve_in_thread(web)
    slack.events_url = f"{url}/slack/events"
    yield ServedBot(ctx=ctx, url=url, delivery=Delivery(ctx, client))
    server.should_exit = True
    thread.join(timeout=5)


# ------------------------------------------------------------------ OAuth installs

CLIENT_ID, CLIENT_SECRET = "1234.5678", "standin-client-secret"
INSTALLED_TOKEN = "xoxb-installed-by-oauth"


@pytest.fixture
def oauth_slack():
    from sandbox.slack_standin import SlackStandIn

    standin = SlackStandIn(
        signing_secret=SIGNING_SECRET,
        bot_token=INSTALLED_TOKEN,  # what the install hands out, and all the stand-in accepts
        oauth_client=(CLIENT_ID, CLIENT_SECRET),
        http_timeout=BOT_ANSWER_GUARD_SECONDS,
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
    client = make_client(ctx.settings, engine=ctx.engine, clock=ctx.clock)
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
