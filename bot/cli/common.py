"""What every `canwe` command shares: the clock its caller handed in, the settings, and the
bot's context on the store the command uses."""

from __future__ import annotations

from contextvars import ContextVar

import click
import typer
from pydantic import ValidationError

from bot.clock import Clock, real_now
from bot.settings import Settings

README_HINT = "see README.md, 'Configuration'"
# set by the root group from click's `obj` (typer has its own click, so the commands cannot
# read the root context through `click.get_current_context`)
CLOCK: ContextVar[Clock] = ContextVar("canwe_cli_clock", default=real_now)
DATABASE_URL_KEY = "canwe.database_url"  # click's context meta: the store this command uses
# the root's --team: which workspace's data a command works on (set by the root callback)
TEAM: ContextVar[str | None] = ContextVar("canwe_cli_team", default=None)


def using(database_url: str) -> str:
    """Remember which store this command uses, for the one-line error if it cannot."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.meta[DATABASE_URL_KEY] = database_url
    return database_url


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        typer.echo(f"canwe: bad configuration: {problems} ({README_HINT})", err=True)
        raise typer.Exit(2) from error


def command_context(
    settings: Settings, *, migrate: bool, serving: bool = False, every_workspace: bool = False
):
    """The bot's context for a command: of the workspace --team names (or the store's only
    one); `every_workspace` for the commands that work for all of them (serve, tick)."""
    from bot.context import build_context
    from store.migrate import upgrade

    using(settings.database_url)
    if migrate:
        upgrade(settings.database_url)
    ctx = build_context(settings, clock=CLOCK.get(), request_timeouts=serving)
    if serving or every_workspace:
        return ctx
    return ctx.for_workspace(_workspace(ctx, TEAM.get()))


def _workspace(ctx, team: str | None) -> int:
    """The workspace `--team` names; without it, the store's only one (a store that serves
    several workspaces must be told which, rather than one being picked for the user)."""
    from sqlalchemy import select

    from store.db import session_scope
    from store.models import Workspace
    from store.tenancy import DEFAULT_WORKSPACE

    with session_scope(ctx.sessions) as session:
        known = session.execute(select(Workspace.id, Workspace.team_id, Workspace.enterprise_id))
        teams = {
            team_id or enterprise_id: workspace_id for workspace_id, team_id, enterprise_id in known
        }
    named = sorted(name for name in teams if name)
    if team is not None:
        if team not in teams:
            listed = ", ".join(named) or "none yet"
            typer.echo(f"canwe: no workspace {team} in this store (workspaces: {listed})", err=True)
            raise typer.Exit(2)
        return teams[team]
    if len(teams) > 1:
        typer.echo(
            f"canwe: this store serves several workspaces: say which with --team "
            f"({', '.join(named)})",
            err=True,
        )
        raise typer.Exit(2)
    return DEFAULT_WORKSPACE
