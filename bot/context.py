"""What every piece of the bot needs at run time, built once from settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, real_now
from bot.settings import Settings
from store.db import make_engine, make_session_factory
from store.tenancy import DEFAULT_WORKSPACE


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
