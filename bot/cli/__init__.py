"""The `canwe` command line: migrate, import, ask, serve, tick, sync, digest."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import click
import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from bot.cli.common import (
    CLOCK,
    DATABASE_URL_KEY,
    README_HINT,
    TEAM,
    command_context,
    load_settings,
    using,
)
from bot.clock import real_now
from bot.roadmap.sync.base import SyncSource
from bot.settings import Settings
from store.urls import hide_url_in, shown_url


def _database_problem(error: BaseException) -> BaseException | None:
    """The unreachable or misconfigured database behind `error` (alembic wraps some)."""
    library = type(error).__module__.partition(".")[0]
    if library not in ("sqlalchemy", "alembic") and not isinstance(
        error, (ImportError, ValueError)
    ):
        return None  # typer's Exit (`canwe ask --help` ends with one), a bug: not the database
    # imported here, not above: alembic and SQLAlchemy take seconds to import, and `canwe
    # --help` or a typo needs neither
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (OperationalError, InterfaceError, ArgumentError, CommandError)):
            return seen
        if isinstance(seen, (ImportError, ValueError)) and _raised_in_sqlalchemy(seen):
            # a URL for a database whose driver is not installed (mysql://), or a URL
            # SQLAlchemy half parsed (a port that is not a number)
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _raised_in_sqlalchemy(error: BaseException) -> bool:
    frames = list(traceback.walk_tb(error.__traceback__))
    return bool(frames) and "sqlalchemy" in Path(frames[-1][0].f_code.co_filename).parts


class _Commands(TyperGroup):
    """Every command: a database that cannot be used is one line and exit 2, no traceback.

    Every command runs on the clock its caller handed in as the root context's `obj` (a test
    states its moment: `CliRunner().invoke(app, args, obj=clock)`), else on the real one."""

    def invoke(self, ctx: click.Context):
        handed_in = ctx.obj if callable(ctx.obj) else real_now
        clock_token = CLOCK.set(handed_in)
        try:
            return super().invoke(ctx)
        except Exception as error:  # the database's own errors, alembic's, a bad URL's
            problem = _database_problem(error)
            if problem is None:
                raise
            url = ctx.meta.get(DATABASE_URL_KEY)
            if url is None:
                try:
                    url = Settings().database_url
                except ValidationError:
                    url = "(DATABASE_URL)"
            orig = getattr(problem, "orig", None)
            reason = " ".join(str(orig if orig is not None else problem).split())
            if isinstance(problem, ImportError):
                reason += " (canwe works with sqlite:/// and postgresql:// URLs)"
            elif isinstance(problem, ValueError):
                reason = f"not a valid URL ({reason})"
            reason = hide_url_in(reason, url)  # SQLAlchemy quotes a URL it cannot parse
            typer.echo(f"canwe: cannot use the database {shown_url(url)}: {reason}", err=True)
            raise typer.Exit(2) from error
        finally:
            CLOCK.reset(clock_token)


app = typer.Typer(
    cls=_Commands,
    help="canwe: can we promise this feature to the customer, and by when?",
    no_args_is_help=True,
    add_completion=False,
    # a traceback must not print local variables: they hold the settings and their secrets
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    team: Annotated[
        str | None,
        typer.Option(
            "--team",
            help="The Slack workspace (team id, T…; an enterprise id for an org-wide install) "
            "whose data the command works on. Needed only when the store serves several.",
        ),
    ] = None,
) -> None:
    TEAM.set(team)


def _revisions(database_url: str) -> set[str]:
    """The schema revisions the database is at (empty for a new database)."""
    from alembic.runtime.migration import MigrationContext

    from store.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "(empty)"


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (DATABASE_URL) to the latest version."""
    from store.migrate import upgrade

    url = using(load_settings().database_url)
    before = _revisions(url)
    upgrade(url)
    after = _revisions(url)
    if after == before:
        typer.echo(f"{shown_url(url)}: already at {_names(after)}")
    else:
        typer.echo(f"migrated {shown_url(url)} from {_names(before)} to {_names(after)}")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="roadmap file: .yaml/.yml, or .csv (items, history, or KEP)")
    ],
) -> None:
    """Load areas, items, estimates, channels and history from FILE (an upsert: safe to repeat).

    An item's area must be defined in the file's areas section or be in the store already.
    """
    from bot.promises.tracking import check_promises
    from bot.roadmap.importer import RoadmapFileError, apply_roadmap, check_areas, read_file
    from store import search
    from store.db import session_scope

    ctx = command_context(load_settings(), migrate=True)
    try:
        with session_scope(ctx.sessions) as session:
            loaded = read_file(file, ctx.today())
            check_areas(loaded, session=session)
            report = apply_roadmap(loaded.roadmap, session=session, now=ctx.now())
            search.optimize_index(session=session)
            # promises on items that moved (all of them when new history moved the forecasts):
            # slip alerts are queued with the import, or not at all
            moved = None if report.created["history"] else report.revised_item_ids
            promises = check_promises(session=session, ctx=ctx, item_ids=moved)
    except RoadmapFileError as error:
        typer.echo(f"canwe import: nothing imported.\n{error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{file}: {report.summary()}")
    if promises.alerts or promises.recovered or promises.closed:
        typer.echo(promises.summary() + " (sent by `canwe serve` or `canwe tick`)")


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date like 2027-03-15") from error


@app.command()
def ask(
    text: Annotated[
        str, typer.Argument(help='the question, e.g. "SSO with Okta for Acme by March 15"')
    ],
    needed_by: Annotated[
        str | None, typer.Option(help="date needed, YYYY-MM-DD (overrides the text)")
    ] = None,
    channel: Annotated[str, typer.Option(help="channel id whose audience to answer for")] = "CLI",
    user: Annotated[str, typer.Option(help="who asks (a Slack user id)")] = "CLI",
) -> None:
    """Ask a question against the local store and print the answer (no Slack needed).

    It is stored like a question in Slack, but no PM is asked when the store cannot answer (nobody in Slack waits for it): ask in Slack to reach the owner.
    """
    import uuid

    from sqlalchemy import func, select

    from bot.core.requests import Usage, read_request
    from bot.questions.asking import ask as ask_question
    from bot.questions.messages import usage_message
    from bot.slack.blocks import plain_text
    from store.db import session_scope
    from store.models import Item

    date = _parse_date(needed_by)
    if isinstance(read_request(text), Usage):  # `canwe ask help`: how to ask, as /canwe help
        typer.echo(plain_text(usage_message()))
        return
    settings = load_settings()
    ctx = command_context(settings, migrate=True)
    with session_scope(ctx.sessions) as session:
        if not session.scalar(select(func.count(Item.id))):
            # an empty store answers every question "unknown": say why instead
            typer.echo(
                f"canwe ask: the roadmap in {shown_url(settings.database_url)} is empty: load one "
                "with `canwe import FILE` (e.g. examples/roadmap.yaml). The sandbox of "
                "`make run` keeps its own store: DATABASE_URL=sqlite:///canwe-sandbox.db "
                "canwe ask …",
                err=True,
            )
            raise typer.Exit(1)
        asked = ask_question(
            session=session,
            ctx=ctx,
            raw_text=text,
            asker_id=user,
            channel_id=channel,
            source="cli",
            request_key=f"cli:{uuid.uuid4()}",
            needed_by=date,
        )
    typer.echo(plain_text(asked.message))


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="HTTP port (default PORT, 3000)")] = None,
    seed: Annotated[
        Path | None, typer.Option(help="roadmap file to import when the store is empty")
    ] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="run against the built-in Slack stand-in")
    ] = False,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="processes sharing the port, about one a core (default CANWE_PROCESSES, 1); "
            "HTTP only, not Socket Mode or the sandbox",
        ),
    ] = None,
) -> None:
    """Serve the Slack app: POST /slack/events, GET /healthz, and the background workers.

    With --sandbox, or with no Slack credentials, the app runs against a local Slack stand-in and serves a page at /sandbox/ to drive it (see README, 'Try it').
    """
    from app import configure_logging
    from app import serve as run_server
    from bot.slack.client import make_client

    settings = load_settings()
    if port is not None:
        settings = settings.model_copy(update={"port": port})
    if processes is not None:
        settings = settings.model_copy(update={"canwe_processes": processes})
    missing = settings.missing_slack_credentials()
    nothing_set = not (
        settings.slack_bot_token
        or settings.slack_signing_secret
        or settings.slack_app_token
        or settings.slack_client_id
        or settings.slack_client_secret
    )
    if sandbox or nothing_set:
        _refuse_a_sandbox_on_another_store(settings)  # before anything else is touched
    several = settings.canwe_processes > 1 and not (sandbox or nothing_set)  # sandbox: one
    if several and settings.slack_app_token:
        typer.echo(
            "canwe serve: Socket Mode runs in one process: unset CANWE_PROCESSES (or "
            "--processes), or serve over HTTP without SLACK_APP_TOKEN.",
            err=True,
        )
        raise typer.Exit(2)
    if several and settings.database_url.startswith("sqlite"):
        # SQLite has no SKIP LOCKED claims: two processes' workers could send a message twice
        typer.echo(
            "canwe serve: several processes need PostgreSQL (DATABASE_URL): on SQLite run "
            "one (unset CANWE_PROCESSES, or --processes 1).",
            err=True,
        )
        raise typer.Exit(2)
    _check_port_free(settings.port)  # before any banner says where to go
    if sandbox or nothing_set:
        if not sandbox:
            typer.echo(
                "canwe serve: no Slack credentials are set (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): "
                f"starting the local sandbox instead of connecting to Slack ({README_HINT})."
            )
        _serve_sandbox(settings, seed)
        return
    if missing:
        # half a configuration is a mistake, not a wish for the sandbox
        typer.echo(
            f"canwe serve: {missing[0]} is not set ({README_HINT}, 'Creating the Slack app').",
            err=True,
        )
        raise typer.Exit(2)
    configure_logging()
    ctx = _prepare(settings, seed)
    if settings.canwe_processes > 1:
        # the other processes read their settings from the environment, as this one did
        os.environ["PORT"] = str(settings.port)
    run_server(settings, ctx, make_client(settings, engine=ctx.engine, clock=ctx.clock))


def _refuse_a_sandbox_on_another_store(settings: Settings) -> None:
    """The sandbox delivers to its stand-in: on a real store it would "send" that store's
    pending messages where no one reads them. It runs only on its own store."""
    from sandbox.run import SANDBOX_DATABASE

    url = settings.database_url
    if "database_url" in settings.model_fields_set and url != SANDBOX_DATABASE:
        typer.echo(
            f"canwe serve: refusing to start the sandbox on DATABASE_URL {shown_url(url)}: "
            "its pending messages would go to the local stand-in, not to Slack. Set "
            "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to serve Slack, or unset DATABASE_URL "
            f"for the sandbox's own store ({README_HINT}).",
            err=True,
        )
        raise typer.Exit(2)


def _check_port_free(port: int) -> None:
    """One line and exit 2 when another program listens on the port."""
    import errno
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            typer.echo(
                f"canwe serve: port {port} is in use by another program; set PORT "
                "(or --port) to a free one.",
                err=True,
            )
            raise typer.Exit(2) from error


def _serve_sandbox(settings: Settings, seed: Path | None) -> None:
    """The real app against the Slack stand-in, with its page (sandbox/run.py)."""
    from app import build_app, build_web, configure_logging
    from app import serve as run_server
    from bot.roadmap.importer import RoadmapFileError
    from bot.slack.client import make_client
    from sandbox.run import (
        EXAMPLE_ROADMAP,
        build_sandbox,
        fresh_store,
        sandbox_settings,
        with_api_url,
    )

    settings = sandbox_settings(settings)
    # the stand-in's messages live in memory: a store kept from the last run would hold
    # questions the page no longer shows, so the sandbox starts on a new store; each
    # workspace's roadmap is imported into it when canwe is installed there ("Add to Slack")
    fresh_store(settings)
    configure_logging()
    ctx = _prepare(settings, None)
    try:
        sb = build_sandbox(settings, ctx, seed=seed)
    except RoadmapFileError as error:
        typer.echo(f"canwe serve: cannot seed the store, nothing imported.\n{error}", err=True)
        raise typer.Exit(1) from error
    ctx.settings = settings = with_api_url(settings, sb)
    client = make_client(settings, engine=ctx.engine)
    web = sb.after_installs(build_web(ctx, build_app(ctx, client), extra_routes=sb.routes))
    typer.echo(
        f"canwe sandbox (not Slack; a new store each start, {shown_url(settings.database_url)}, "
        f"the first workspace's roadmap from {seed or EXAMPLE_ROADMAP}): open {sb.url} and "
        'click "Add to Slack"'
    )
    try:
        run_server(
            settings, ctx, client, web, host="127.0.0.1"
        )  # the sandbox is for this machine only
    finally:
        sb.stop()


def _prepare(settings: Settings, seed: Path | None):
    """Migrate SQLite on start (a production PostgreSQL is migrated with `canwe migrate`)."""
    is_sqlite = settings.database_url.startswith("sqlite")
    ctx = command_context(settings, migrate=is_sqlite, serving=True)
    if not is_sqlite:
        _check_migrated(settings)
    if seed is not None:  # an import is batch work: no request timeouts while seeding
        _seed(command_context(settings, migrate=False), seed)
    return ctx


def _seed(ctx, seed: Path) -> None:
    from sqlalchemy import func, select

    from bot.roadmap.importer import RoadmapFileError, apply_roadmap, check_areas, read_file
    from store import search
    from store.db import session_scope
    from store.models import Item

    try:
        with session_scope(ctx.sessions) as session:
            if not session.scalar(select(func.count(Item.id))):
                loaded = read_file(seed, ctx.today())
                check_areas(loaded, session=session)
                report = apply_roadmap(loaded.roadmap, session=session, now=ctx.now())
                search.optimize_index(session=session)
                typer.echo(f"seeded the empty store from {seed}: {report.summary()}")
    except RoadmapFileError as error:
        typer.echo(f"canwe serve: cannot seed the store, nothing imported.\n{error}", err=True)
        raise typer.Exit(1) from error
    finally:
        ctx.engine.dispose()


def _check_migrated(settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads())
    if _revisions(using(settings.database_url)) != heads:
        typer.echo(
            "canwe serve: the database schema is not up to date; run `canwe migrate` first.",
            err=True,
        )
        raise typer.Exit(2)


@app.command()
def sync(
    source: Annotated[
        SyncSource | None,
        typer.Option(help="the tracker to read (default: every configured one)"),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="read everything, not only what changed since last time")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="log each request retry and page")
    ] = False,
) -> None:
    """Read roadmap items, estimates and history from Jira and/or Linear (never writes back).

    Configure with the JIRA_* and LINEAR_* settings (docs/sync.md). Exits 1 when a tracker failed, 2 when none is configured.
    """
    import logging

    from bot.promises.tracking import check_after_sync
    from bot.roadmap.sync.runner import SyncNotConfigured, configured_sources, run_sync

    logging.basicConfig(
        level=logging.INFO if verbose else logging.CRITICAL,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    names = [source.value] if source else configured_sources(settings)
    if not names:
        typer.echo(
            "canwe sync: no tracker is configured; set JIRA_BASE_URL, JIRA_EMAIL, "
            "JIRA_API_TOKEN and JIRA_JQL, or LINEAR_API_KEY and LINEAR_TEAMS (see docs/sync.md)",
            err=True,
        )
        raise typer.Exit(2)
    ctx = command_context(settings, migrate=settings.database_url.startswith("sqlite"))
    failed = False
    for name in names:
        try:
            report = run_sync(
                name, session_factory=ctx.sessions, settings=settings, full=full, now=ctx.now
            )
        except SyncNotConfigured as error:
            typer.echo(f"canwe sync: {error}", err=True)
            raise typer.Exit(2) from error
        for line in report.lines():
            typer.echo(line)
        promises = check_after_sync(ctx, report)  # slip alerts for what the sync moved
        if promises.alerts or promises.recovered or promises.closed:
            typer.echo(f"  {promises.summary()} (sent by `canwe serve` or `canwe tick`)")
        failed = failed or not report.ok
    if failed:
        raise typer.Exit(1)


@app.command()
def tick() -> None:
    """One pass of the scheduled work, for cron: reminders, late notices, the day's digests, delivery.

    For every workspace the store serves. It sends to Slack, so it needs SLACK_BOT_TOKEN (or the OAuth client id and secret); `canwe serve` does the same work itself.
    """
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery
    from bot.workers import tick as run_tick

    settings = load_settings()
    if not settings.slack_bot_token and not settings.installs_with_oauth:
        typer.echo(f"canwe tick: SLACK_BOT_TOKEN is not set ({README_HINT}).", err=True)
        raise typer.Exit(2)
    # every workspace's reminders and digests (bot/workers.py), whatever --team says
    ctx = command_context(
        settings, migrate=settings.database_url.startswith("sqlite"), every_workspace=True
    )
    report = run_tick(ctx, Delivery(ctx, make_client(settings, engine=ctx.engine, clock=ctx.clock)))
    typer.echo(report.summary())


@app.command()
def digest(
    post: Annotated[
        bool, typer.Option("--post", help="claim today's digests, queue and send them")
    ] = False,
    print_: Annotated[
        bool, typer.Option("--print", help="print the digests as text (the default; no Slack)")
    ] = False,
    channel: Annotated[
        str | None, typer.Option(help="only this channel's digest (no personal DMs)")
    ] = None,
) -> None:
    """The daily digest of open questions, per channel and per PM, on demand.

    --post sends each digest not yet posted today (once per channel per day, shared with the one `canwe serve` posts at CANWE_DIGEST_TIME); --print only shows them.
    """
    from bot.digest.daily import build_digests, printable, run_digests
    from store.db import session_scope

    if post and print_:
        raise typer.BadParameter("use --post or --print, not both")
    settings = load_settings()
    ctx = command_context(settings, migrate=settings.database_url.startswith("sqlite"))
    if not post:
        with session_scope(ctx.sessions) as session:
            digests = build_digests(session=session, ctx=ctx, day=ctx.today(), channel=channel)
        for one in digests:
            where = f"DM to {one.target}" if one.kind == "personal" else f"#{one.target}"
            typer.echo(f"=== {where} ({one.audience}, {one.open} open) ===")
            for index, message in enumerate(one.posts):
                if index:
                    typer.echo("--- in the thread ---")
                typer.echo(printable(message))
            typer.echo("")
        if digests:
            typer.echo(f"{len(digests)} digest(s); nothing was posted or claimed.")
        else:
            typer.echo(f"nothing open{_in_channel(channel)}: no digest to show.")
        return
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery

    if not settings.slack_bot_token and not settings.installs_with_oauth:
        typer.echo(f"canwe digest --post: SLACK_BOT_TOKEN is not set ({README_HINT}).", err=True)
        raise typer.Exit(2)
    report = run_digests(ctx, channel=channel)
    delivery = Delivery(ctx, make_client(settings, engine=ctx.engine, clock=ctx.clock)).drain()
    if report.digests or report.already:
        queued = (
            f"queued {report.digests} digest(s) in {report.posts} post(s); "
            f"{report.already} already posted today"
        )
    else:
        queued = f"nothing open{_in_channel(channel)}: no digest to post"
    typer.echo(
        f"{queued}; messages sent {delivery.sent}, "
        f"retried {delivery.retried}, waiting {delivery.waiting}"
    )


def _in_channel(channel: str | None) -> str:
    return f" in channel {channel}" if channel else ""


from bot.cli.synonyms import synonyms_app  # noqa: E402

app.add_typer(synonyms_app, name="synonyms")


def main(argv: list[str] | None = None) -> None:
    app(args=argv if argv is not None else sys.argv[1:], prog_name="canwe")


if __name__ == "__main__":
    main()
