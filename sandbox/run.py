"""Sandbox mode: the real bot against the built-in Slack stand-in, with a page to drive it.

``canwe serve --sandbox`` (or ``canwe serve`` without Slack credentials) calls, in order::

    settings = sandbox_settings(settings)          # OAuth credentials, a separate SQLite file
    fresh_store(settings)                          # each start begins on a new store
    ctx = ...migrate the store...
    sb = build_sandbox(settings, ctx, seed=...)    # the stand-in and its two workspaces
    web = sb.after_installs(build_web(ctx, build_app(ctx, client), extra_routes=sb.routes))

canwe runs in OAuth mode, as a deployment serving several workspaces does: the stand-in
plays Slack's authorize page and ``oauth.v2.access``, so the page's "Add to Slack" runs the
real flow (``/slack/install`` -> the stand-in's "Allow" page -> ``/slack/oauth_redirect``).
The stand-in knows two workspaces (``WORKSPACES``); each install adds one to canwe's store, and
``after_installs`` then does what that workspace's admin would do next, ``canwe --team T import
ROADMAP``, and puts the workspace's people and channels in the stand-in.

The page and the stand-in are mounted under ``/sandbox`` on the bot's own port (``/``
redirects there).  The bot's Web API client talks to the same stand-in over a second, loopback
only port, so a listener's ``views.open`` never waits on the server that is running it.

``build_sandbox`` also puts buttons on the page (``add_controls``): skip the bot's clock ahead
an hour or a day (the bot's ``ctx.clock`` becomes a ``SandboxClock``, which the page shows in
its banner and beside each message), and post today's digest when the bot has one.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import SecretStr
from sqlalchemy import func, make_url, select
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.context import Context, every_workspace
from bot.settings import Settings
from sandbox.page import shown_time
from sandbox.slack_standin import SlackStandIn
from store.db import session_scope
from store.models import Area, Channel, Item
from store.tenancy import find_workspace

log = logging.getLogger("canwe.sandbox")

PREFIX = "/sandbox"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_ROADMAP = EXAMPLES / "roadmap.yaml"
GLOBEX_ROADMAP = EXAMPLES / "globex-roadmap.yaml"
SANDBOX_DATABASE = "sqlite:///canwe-sandbox.db"
TEAM_ID = "T0CANWE"
GLOBEX_TEAM_ID = "T0GLOBEX1"
BOT_USER_ID = "UCANWEBOT"
# The sandbox app's OAuth client: known to this machine's stand-in only, so not a secret
CLIENT_ID, CLIENT_SECRET = "4242.0001", "sandbox-client-secret"
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"  # Bolt's, as canwe sets
TRIAGE_CHANNEL = "C0TRIAGE01"
ADMIN = ("U0ADMIN001", "ada", "Ada Admin", "canwe admin")

# People who are not in the roadmap file: (user id, handle, name, title)
PEOPLE = [
    ("U0REP00001", "riley", "Riley Rep", "Sales rep"),
    ("U0REP00002", "sam", "Sam Seller", "Sales rep"),
    ("U0SERVICE1", "sasha", "Sasha Services", "Solutions engineer"),
    ("U0MARKET01", "mia", "Mia Marketing", "Product marketing"),
]
PM_NAMES = ["Priya", "Tomas", "Grace", "Omar", "Lena", "Kofi", "Ines", "Yuki"]
GLOBEX_PEOPLE = [
    ("U0GXREP001", "gina", "Gina Globex", "Sales rep"),
]
GLOBEX_PM_NAMES = ["Hank", "Noor"]
AUDIENCE_NAMES = {
    "sales": "sales-deals",
    "services": "services-delivery",
    "marketing": "marketing-launches",
}


@dataclass(frozen=True)
class SandboxWorkspace:
    """A Slack workspace the stand-in knows, and the roadmap the sandbox imports into it once
    canwe is installed there."""

    team_id: str
    name: str
    token: str  # the bot token an install there hands out
    roadmap: Path
    people: list[tuple[str, str, str, str]]  # who is not in the roadmap file
    pm_names: list[str]


def sandbox_workspaces(seed: Path | None = None) -> list[SandboxWorkspace]:
    """The first workspace (its roadmap: `seed`, else examples/roadmap.yaml), and Globex."""
    return [
        SandboxWorkspace(
            TEAM_ID,
            "Example Co",
            "xoxb-sandbox-example-co",
            seed or EXAMPLE_ROADMAP,
            PEOPLE,
            PM_NAMES,
        ),
        SandboxWorkspace(
            GLOBEX_TEAM_ID,
            "Globex Subsidiary",
            "xoxb-sandbox-globex",
            GLOBEX_ROADMAP,
            GLOBEX_PEOPLE,
            GLOBEX_PM_NAMES,
        ),
    ]


@dataclass
class Sandbox:
    standin: SlackStandIn
    url: str
    ctx: Context
    settings: Settings
    workspaces: dict[str, SandboxWorkspace]
    routes: list[BaseRoute] = field(default_factory=list)
    _ready: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        self.standin.close()

    def after_installs(self, web: Any) -> Any:
        """`web` (the bot's ASGI app), which after each redirect back from Slack's authorize
        page sets up the workspaces just installed (`set_up_installed`) before the browser
        is answered, so the page it goes on to shows the new workspace filled in."""

        async def app(scope, receive, send) -> None:
            if scope["type"] != "http" or scope["path"] != REDIRECT_PATH:
                await web(scope, receive, send)
                return
            held: list[dict] = []

            async def hold(message: dict) -> None:
                held.append(message)

            await web(scope, receive, hold)
            await anyio.to_thread.run_sync(self.set_up_installed)
            for message in held:
                await send(message)

        return app

    def set_up_installed(self) -> list[str]:
        """For each workspace canwe was installed into and the sandbox has not set up yet:
        import its roadmap into its (empty) part of the store, as its admin would with
        `canwe --team T import FILE`, and add its people and channels to the stand-in."""
        done = []
        with self._lock:
            for team in self.standin.installed_teams:
                workspace = self.workspaces.get(team)
                if team in self._ready or workspace is None:
                    continue
                with session_scope(self.ctx.sessions) as session:
                    workspace_id = find_workspace(session, enterprise_id=None, team_id=team)
                if workspace_id is None:  # the code was exchanged but the install not kept
                    continue
                local = self.ctx.for_workspace(workspace_id)
                report = import_roadmap(local, workspace.roadmap)
                if report is not None:
                    log.info("sandbox: %s's roadmap imported: %s", workspace.name, report)
                populate(self.standin, self.settings, local, workspace)
                self._ready.add(team)
                done.append(team)
        return done


def import_roadmap(ctx: Context, path: Path) -> str | None:
    """`canwe import PATH` into the context's workspace, if it has no roadmap yet."""
    from bot.roadmap.importer import apply_roadmap, check_areas, read_file
    from store import search

    with session_scope(ctx.sessions) as session:
        if session.scalar(select(func.count(Item.id))):
            return None
        loaded = read_file(path, ctx.today())
        check_areas(loaded, session=session)
        report = apply_roadmap(loaded.roadmap, session=session, now=ctx.now())
        search.optimize_index(session=session)
        return report.summary()


def check_roadmaps(ctx: Context, workspaces: list[SandboxWorkspace]) -> None:
    """Read each workspace's roadmap file now (RoadmapFileError names file, row and field),
    so a broken `--seed` stops the sandbox at start, not at "Add to Slack"."""
    from bot.roadmap.importer import check_areas, read_file

    for workspace in workspaces:
        loaded = read_file(workspace.roadmap, ctx.today())
        with session_scope(ctx.sessions) as session:
            check_areas(loaded, session=session)
            session.rollback()


def sandbox_settings(settings: Settings, host: str = "localhost") -> Settings:
    """Settings for sandbox mode: canwe installs with OAuth against the stand-in (whose
    authorize page is on the sandbox's own port, under PREFIX), a triage channel, an admin.

    Without an explicit DATABASE_URL the sandbox keeps its own SQLite file, so playing in it
    never writes questions into a real store.
    """
    base = f"http://{host}:{settings.port}"
    update: dict = {
        "slack_bot_token": None,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": SecretStr(CLIENT_SECRET),
        "slack_authorize_url": f"{base}{PREFIX}/oauth/v2/authorize",
        "slack_redirect_uri": f"{base}{REDIRECT_PATH}",
        # back to the page, which opens the workspace just installed
        "slack_install_success_url": f"{base}{PREFIX}/#installed",
        "slack_signing_secret": SecretStr(secrets.token_hex(16)),
        "slack_app_token": None,
    }
    if "database_url" not in settings.model_fields_set:
        update["database_url"] = SANDBOX_DATABASE
    if not settings.canwe_triage_channel:
        update["canwe_triage_channel"] = TRIAGE_CHANNEL
    if not settings.canwe_admins:
        update["canwe_admins"] = [ADMIN[0]]
    return settings.model_copy(update=update)


def fresh_store(settings: Settings) -> Path:
    """Delete the sandbox's own SQLite file, so that each start migrates and seeds a new one.

    The stand-in keeps its messages in memory: a store that outlived them would hold open
    questions that the page no longer shows.  Only the sandbox's own store is ever deleted.
    """
    if settings.database_url != SANDBOX_DATABASE:
        raise ValueError(f"the sandbox starts afresh only on its own store, {SANDBOX_DATABASE}")
    path = Path(make_url(SANDBOX_DATABASE).database or "")
    for suffix in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return path


def build_sandbox(
    settings: Settings, ctx: Context, host: str = "localhost", seed: Path | None = None
) -> Sandbox:
    """Start the stand-in, which knows the sandbox's workspaces and plays Slack's side of
    installing canwe into them; return the routes to mount (and ``after_installs``).

    ``settings`` must come from ``sandbox_settings``; afterwards ``settings.slack_api_url``
    is still to be pointed at ``sandbox.standin.api_url`` (``with_api_url`` does it).
    Each workspace's roadmap file is read now (``seed`` is the first one's): a broken one
    raises ``RoadmapFileError``.
    """
    secret = settings.slack_signing_secret
    if secret is None or not settings.tokens_from_installs:
        raise ValueError("build_sandbox needs sandbox_settings(settings)")
    workspaces = sandbox_workspaces(seed)
    check_roadmaps(ctx, workspaces)
    standin = SlackStandIn(
        signing_secret=secret.get_secret_value(),
        team_id=TEAM_ID,
        bot_user_id=BOT_USER_ID,
        # only the tokens the installs hand out are good
        bot_token=workspaces[0].token,
        events_url=f"http://127.0.0.1:{settings.port}/slack/events",
        public_base_url=f"http://{host}:{settings.port}{PREFIX}",
        oauth_client=(CLIENT_ID, CLIENT_SECRET),
    )
    for workspace in workspaces:
        standin.team_tokens[workspace.team_id] = workspace.token
        standin.team_names[workspace.team_id] = workspace.name
    standin.oauth_redirect_uri = settings.slack_redirect_uri
    standin.show_allow_page = True  # a person picks the workspace and clicks "Allow"
    standin.install_url = INSTALL_PATH  # the bot's, on the same origin as the page
    add_controls(standin, ctx)
    standin.start()

    async def home(_request: Request):
        return RedirectResponse(PREFIX + "/")

    routes: list[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        Mount(PREFIX, app=standin.asgi_app()),
    ]
    return Sandbox(
        standin=standin,
        url=f"http://{host}:{settings.port}{PREFIX}/",
        ctx=ctx,
        settings=settings,
        workspaces={workspace.team_id: workspace for workspace in workspaces},
        routes=routes,
    )


class SandboxClock:
    """The bot's clock in the sandbox: real time, plus however far the page skipped ahead."""

    def __init__(self, base: Callable[[], dt.datetime]) -> None:
        self.base = base
        self.offset = dt.timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.base() + self.offset

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        with self._lock:
            self.offset += delta
        return self()


def add_controls(standin: SlackStandIn, ctx: Context) -> None:
    """Page buttons that skip the bot's clock ahead and run the scheduled work at once, so
    reminders and late notices can be seen without waiting.  Sets ``ctx.clock``."""
    from bot.escalations.chasing import chase

    clock = SandboxClock(ctx.clock)
    ctx.clock = clock
    tz = ctx.settings.tz
    standin.page_clock = lambda: clock().astimezone(tz)

    def skip(delta: dt.timedelta) -> Callable[[], str]:
        def run() -> str:
            now = clock.advance(delta).astimezone(ctx.settings.tz)
            reminders = late = 0
            for workspace in every_workspace(ctx):  # as the scheduler does
                report = chase(workspace)
                reminders, late = reminders + report.reminders, late + report.late
            ctx.wake_delivery()
            return (
                f"Sandbox time is now {shown_time(now)}: "
                f"{reminders} reminder(s), {late} late notice(s)."
            )

        return run

    standin.add_control("skip-hour", "+1 hour", skip(dt.timedelta(hours=1)))
    standin.add_control("skip-day", "+1 day", skip(dt.timedelta(days=1)))

    try:
        from bot.digest.daily import run_digests
    except ImportError:  # the digest is a later piece of the bot
        return

    def post_digest() -> str:
        digests = posts = already = 0
        for workspace in every_workspace(ctx):
            report = run_digests(workspace)
            digests, posts = digests + report.digests, posts + report.posts
            already += report.already
        ctx.wake_delivery()
        if not digests:
            if already:
                return "Today's digests are already posted (skip a day for the next ones)."
            return "Nothing is open: no digest to post."
        return f"Posted {digests} digest(s) in {posts} message(s)."

    standin.add_control("digest", "Post today's digest", post_digest)


def with_api_url(settings: Settings, sandbox: Sandbox) -> Settings:
    return settings.model_copy(update={"slack_api_url": sandbox.standin.api_url})


def populate(
    standin: SlackStandIn,
    settings: Settings,
    ctx: Context,
    workspace: SandboxWorkspace | None = None,
) -> None:
    """People and channels of a sandbox workspace (by default the first), from its areas and
    audiences in the store (`ctx` is that workspace's)."""
    workspace = workspace or sandbox_workspaces()[0]
    team = workspace.team_id
    first = team == TEAM_ID  # the admin and the triage channel are the first workspace's
    tz = settings.canwe_timezone
    with session_scope(ctx.sessions) as session:
        areas = list(session.scalars(select(Area).order_by(Area.name)))
        audiences = list(session.scalars(select(Channel).order_by(Channel.id)))
        area_rows = [(a.name, a.pm_user_id, a.backup_user_id, a.channel_id) for a in areas]
        order = list(AUDIENCE_NAMES)
        channel_rows = sorted(
            ((c.id, c.audience) for c in audiences),
            key=lambda row: (order.index(row[1]) if row[1] in order else len(order), row[0]),
        )

    for uid, handle, name, title in workspace.people:
        standin.add_user(uid, handle, real_name=name, tz=tz, title=title, team_id=team)
    seen_audiences: dict[str, int] = {}
    for cid, audience in channel_rows:
        n = seen_audiences[audience] = seen_audiences.get(audience, 0) + 1
        base = AUDIENCE_NAMES.get(audience, audience)
        standin.add_channel(cid, base if n == 1 else f"{base}-{n}", kind=audience, team_id=team)
    if not channel_rows:
        sales = "C0SALES001" if first else f"C{team}SALES"
        standin.add_channel(sales, "sales-deals", kind="sales", team_id=team)

    backups: set[str] = set()
    for i, (area, pm, backup, channel) in enumerate(area_rows):
        slug = area.lower().replace(" ", "-")
        if pm and pm not in standin.users:
            name = workspace.pm_names[i % len(workspace.pm_names)]
            standin.add_user(
                pm,
                name.lower(),
                real_name=f"{name} ({area} PM)",
                tz=tz,
                title=f"PM, {area}",
                team_id=team,
            )
        if backup:
            backups.add(backup)
        if channel:
            standin.add_channel(channel, f"pm-{slug}", kind="pm", team_id=team)
    for backup in sorted(backups - set(standin.users)):
        standin.add_user(
            backup, "lee", real_name="Lee (PM lead)", tz=tz, title="PM lead, backup", team_id=team
        )
    if not first:
        return
    for admin in settings.canwe_admins:
        if admin not in standin.users:
            if admin == ADMIN[0]:
                standin.add_user(admin, ADMIN[1], real_name=ADMIN[2], tz=tz, title=ADMIN[3])
            else:
                standin.add_user(admin, admin.lower(), tz=tz, title="canwe admin")
    triage = settings.canwe_triage_channel
    if triage and triage not in standin.channels:
        standin.add_channel(triage, "canwe-triage", kind="triage")
