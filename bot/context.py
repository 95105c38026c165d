"""What every piece of the bot needs at run time, built once from settings."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, real_now
from bot.settings import Settings
from store.db import make_engine, make_session_factory, session_scope
from store.models import Workspace
from store.tenancy import DEFAULT_WORKSPACE, find_workspace, workspace_ids


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = real_now  # tests, the sandbox and the command line may hand in another
    # set by the delivery worker so new outbox rows go out at once instead of at the next poll
    wake_delivery: Callable[[], None] = field(default=lambda: None)
    # whose data `sessions` reads and writes (store/tenancy.py)
    workspace_id: int = DEFAULT_WORKSPACE
    # one session factory per workspace, shared by the contexts for_workspace makes
    _factories: dict[int, sessionmaker[Session]] = field(default_factory=dict, repr=False)

    def for_workspace(self, workspace_id: int) -> Context:
        """The same context, its sessions seeing only `workspace_id`'s rows."""
        if workspace_id == self.workspace_id:
            return self
        sessions = self._factories.get(workspace_id)
        if sessions is None:
            sessions = self._factories.setdefault(
                workspace_id, make_session_factory(self.engine, workspace_id)
            )
        return replace(self, workspace_id=workspace_id, sessions=sessions)

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.now().astimezone(self.settings.tz).date()

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.canwe_admins


def build_context(
    settings: Settings,
    clock: Clock = real_now,
    *,
    request_timeouts: bool = False,
) -> Context:
    """`request_timeouts` for a server: no database call on a Slack request waits long
    (store/db.py); batch commands (import, sync) leave it off."""
    engine = make_engine(settings.database_url, request_timeouts=request_timeouts)
    return Context(
        settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock
    )


# --- the workspaces canwe serves, and the context of each ---------------------------------


class WorkspaceDirectory:
    """Slack's (enterprise id, team id) -> canwe's workspace, remembered once found.

    A single-token deployment serves one workspace, whatever team a request names. With
    OAuth installs each install is a workspace; an org-wide Enterprise Grid install is keyed
    by its enterprise alone, as Slack keys its token."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._known: dict[tuple[str | None, str | None], int] = {}
        self._lock = threading.Lock()

    def context_for(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> Context | None:
        if not self.ctx.settings.tokens_from_installs:
            return self.ctx.for_workspace(DEFAULT_WORKSPACE)
        key = (enterprise_id, None if is_enterprise_install else team_id)
        with self._lock:
            workspace_id = self._known.get(key)
        if workspace_id is None:
            with session_scope(self.ctx.sessions) as session:
                workspace_id = find_workspace(session, enterprise_id=key[0], team_id=key[1])
            if workspace_id is None:
                return None
            with self._lock:
                self._known[key] = workspace_id
        return self.ctx.for_workspace(workspace_id)


def every_workspace(ctx: Context) -> list[Context]:
    """A context for each installed workspace, for the scheduled work (reminders, digests)."""
    if not ctx.settings.tokens_from_installs:
        return [ctx.for_workspace(DEFAULT_WORKSPACE)]
    with session_scope(ctx.sessions) as session:
        ids = workspace_ids(session)
    return [ctx.for_workspace(workspace_id) for workspace_id in ids]


def slack_team(ctx: Context) -> tuple[str | None, str | None]:
    """(enterprise id, team id) of the context's workspace (both None before any install)."""
    with session_scope(ctx.sessions) as session:
        workspace = session.get_one(Workspace, ctx.workspace_id)
        return workspace.enterprise_id, workspace.team_id
