"""The workspaces canwe serves, and the context of each (its sessions see only its rows)."""

from __future__ import annotations

import threading

from bot.context import Context
from store.db import session_scope
from store.models import Workspace
from store.tenancy import DEFAULT_WORKSPACE, find_workspace, workspace_ids


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
        if not self.ctx.settings.installs_with_oauth or self.ctx.settings.slack_bot_token:
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
    """A context for each workspace, for the scheduled work (reminders, digests, promises)."""
    if not ctx.settings.installs_with_oauth or ctx.settings.slack_bot_token:
        return [ctx.for_workspace(DEFAULT_WORKSPACE)]
    with session_scope(ctx.sessions) as session:
        ids = workspace_ids(session)
    return [ctx.for_workspace(workspace_id) for workspace_id in ids]


def slack_team(ctx: Context) -> tuple[str | None, str | None]:
    """(enterprise id, team id) of the context's workspace (both None before any install)."""
    with session_scope(ctx.sessions) as session:
        workspace = session.get_one(Workspace, ctx.workspace_id)
        return workspace.enterprise_id, workspace.team_id
