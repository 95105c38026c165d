"""Sandbox mode: the real bot against the built-in Slack stand-in, with a page to drive it.

``canwe serve --sandbox`` (or ``canwe serve`` without Slack credentials) calls, in order::

    settings = sandbox_settings(settings)          # credentials, a separate SQLite file
    fresh_store(settings)                          # each start begins on a new store
    ctx = ...migrate and seed the store...          # as `canwe serve --seed` does
    sb = build_sandbox(settings, ctx)              # the stand-in, its people and channels
    web = build_web(ctx, build_app(ctx, client), extra_routes=sb.routes)

The page and the stand-in are mounted under ``/sandbox`` on the bot's own port (``/``
redirects there).  The bot's Web API client talks to the same stand-in over a second, loopback
only port, so a listener's ``views.open`` never waits on the server that is running it.

``build_sandbox`` also puts buttons on the page (``add_controls``): skip the bot's clock ahead
an hour or a day (the bot's ``ctx.clock`` becomes a ``SandboxClock``, which the page shows in
its banner and beside each message), and post today's digest when the bot has one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import make_url, select
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from bot.context import Context
from bot.settings import Settings
from sandbox.page import shown_time
from sandbox.slack_standin import SlackStandIn
from store.db import session_scope
from store.models import Area, Channel

PREFIX = "/sandbox"
EXAMPLE_ROADMAP = Path(__file__).resolve().parent.parent / "examples" / "roadmap.yaml"
SANDBOX_DATABASE = "sqlite:///canwe-sandbox.db"
TEAM_ID = "T0CANWE"
BOT_USER_ID = "UCANWEBOT"
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
AUDIENCE_NAMES = {
    "sales": "sales-deals",
    "services": "services-delivery",
    "marketing": "marketing-launches",
}


@dataclass
class Sandbox:
    standin: SlackStandIn
    url: str
    routes: list[BaseRoute] = field(default_factory=list)

    def stop(self) -> None:
        self.standin.close()


def sandbox_settings(settings: Settings) -> Settings:
    """Settings for sandbox mode: stand-in credentials, a triage channel and an admin.

    Without an explicit DATABASE_URL the sandbox keeps its own SQLite file, so playing in it
    never writes questions into a real store.
    """
    update: dict = {
        "slack_bot_token": SecretStr("xoxb-canwe-sandbox"),
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


def build_sandbox(settings: Settings, ctx: Context, host: str = "localhost") -> Sandbox:
    """Start the stand-in and fill its workspace from the store; return the routes to mount.

    ``settings`` must come from ``sandbox_settings``; afterwards ``settings.slack_api_url``
    is still to be pointed at ``sandbox.standin.api_url`` (``with_api_url`` does it).
    """
    secret = settings.slack_signing_secret
    if secret is None or settings.slack_bot_token is None:
        raise ValueError("build_sandbox needs sandbox_settings(settings)")
    standin = SlackStandIn(
        signing_secret=secret.get_secret_value(),
        team_id=TEAM_ID,
        bot_user_id=BOT_USER_ID,
        bot_token=settings.slack_bot_token.get_secret_value(),
        events_url=f"http://127.0.0.1:{settings.port}/slack/events",
        public_base_url=f"http://{host}:{settings.port}{PREFIX}",
    )
    populate(standin, settings, ctx)
    add_controls(standin, ctx)
    standin.start()

    async def home(_request: Request):
        return RedirectResponse(PREFIX + "/")

    routes: list[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        Mount(PREFIX, app=standin.asgi_app()),
    ]
    return Sandbox(standin=standin, url=f"http://{host}:{settings.port}{PREFIX}/", routes=routes)


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
            report = chase(ctx)
            ctx.wake_delivery()
            return (
                f"Sandbox time is now {shown_time(now)}: "
                f"{report.reminders} reminder(s), {report.late} late notice(s)."
            )

        return run

    standin.add_control("skip-hour", "+1 hour", skip(dt.timedelta(hours=1)))
    standin.add_control("skip-day", "+1 day", skip(dt.timedelta(days=1)))

    try:
        from bot.digest.daily import run_digests
    except ImportError:  # the digest is a later piece of the bot
        return

    def post_digest() -> str:
        report = run_digests(ctx)
        ctx.wake_delivery()
        if not report.digests:
            if report.already:
                return "Today's digests are already posted (skip a day for the next ones)."
            return "Nothing is open: no digest to post."
        return f"Posted {report.digests} digest(s) in {report.posts} message(s)."

    standin.add_control("digest", "Post today's digest", post_digest)


def with_api_url(settings: Settings, sandbox: Sandbox) -> Settings:
    return settings.model_copy(update={"slack_api_url": sandbox.standin.api_url})


def populate(standin: SlackStandIn, settings: Settings, ctx: Context) -> None:
    """People and channels of the sandbox workspace, from the store's areas and audiences."""
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

    for uid, handle, name, title in PEOPLE:
        standin.add_user(uid, handle, real_name=name, tz=tz, title=title)
    seen_audiences: dict[str, int] = {}
    for cid, audience in channel_rows:
        n = seen_audiences[audience] = seen_audiences.get(audience, 0) + 1
        base = AUDIENCE_NAMES.get(audience, audience)
        standin.add_channel(cid, base if n == 1 else f"{base}-{n}", kind=audience)
    if not channel_rows:
        standin.add_channel("C0SALES001", "sales-deals", kind="sales")

    backups: set[str] = set()
    for i, (area, pm, backup, channel) in enumerate(area_rows):
        slug = area.lower().replace(" ", "-")
        if pm and pm not in standin.users:
            first = PM_NAMES[i % len(PM_NAMES)]
            standin.add_user(
                pm, first.lower(), real_name=f"{first} ({area} PM)", tz=tz, title=f"PM, {area}"
            )
        if backup:
            backups.add(backup)
        if channel:
            standin.add_channel(channel, f"pm-{slug}", kind="pm")
    for backup in sorted(backups - set(standin.users)):
        standin.add_user(backup, "lee", real_name="Lee (PM lead)", tz=tz, title="PM lead, backup")
    for admin in settings.canwe_admins:
        if admin not in standin.users:
            if admin == ADMIN[0]:
                standin.add_user(admin, ADMIN[1], real_name=ADMIN[2], tz=tz, title=ADMIN[3])
            else:
                standin.add_user(admin, admin.lower(), tz=tz, title="canwe admin")
    triage = settings.canwe_triage_channel
    if triage and triage not in standin.channels:
        standin.add_channel(triage, "canwe-triage", kind="triage")
