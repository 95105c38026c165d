"""Which workspace a session works for, and the rule that it sees and writes nothing else.

Every session carries a workspace id in `session.info`. Each ORM SELECT, UPDATE and DELETE
it runs is limited to that workspace's rows (SQLAlchemy's `with_loader_criteria`, applied to
every model that is `WorkspaceOwned`), and each row it adds is stamped with it, so a query
cannot forget the filter and a button from one workspace cannot reach another's rows.

`ALL_WORKSPACES` is for the few places that work across workspaces and know it: the outbox
worker claims due messages of every workspace (each message says whose it is). Such a
session reads every row and may not add any.

Statements sent to the driver directly (store/search.py) and bulk inserts of plain dicts
(store/bulk.py, store/outbox.py) bypass these hooks: they filter and stamp with
`workspace_of(session)` themselves.
"""

from __future__ import annotations

import functools

from sqlalchemy import Engine, Select, delete, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from store.models import Base, OutboxMessage, Synonym, Workspace, WorkspaceOwned

DEFAULT_WORKSPACE = 1  # the workspace of a single-token deployment (migration 0011)
ALL_WORKSPACES = 0  # no workspace row has id 0
_KEY = "workspace_id"
SEED_SYNONYMS = [
    ("sso", "single sign-on"),
    ("saml", "single sign-on"),
    ("k8s", "kubernetes"),
    ("kube", "kubernetes"),
    ("mfa", "multi-factor authentication"),
    ("2fa", "two-factor authentication"),
    ("rbac", "role-based access control"),
    ("ha", "high availability"),
    ("tz", "time zone"),
    ("timezone", "time zone"),
]


class NoWorkspace(RuntimeError):
    """A session that works across workspaces was asked for its one workspace (a row to
    stamp, a search to filter): whose would it be?"""


def session_factory(engine: Engine, workspace_id: int = DEFAULT_WORKSPACE) -> sessionmaker[Session]:
    """Sessions for one workspace (or `ALL_WORKSPACES`)."""
    factory = sessionmaker(engine, expire_on_commit=False, info={_KEY: workspace_id})
    event.listen(factory, "do_orm_execute", _only_this_workspace)
    event.listen(factory, "before_flush", _stamp_new_rows)
    return factory


def workspace_of(session: Session) -> int:
    """The session's workspace, for statements the hooks do not see."""
    workspace_id = session.info.get(_KEY, DEFAULT_WORKSPACE)
    if workspace_id == ALL_WORKSPACES:
        raise NoWorkspace("a session working across workspaces has no one workspace to use")
    return workspace_id


def _only_this_workspace(state: ORMExecuteState) -> None:
    workspace_id = state.session.info.get(_KEY, DEFAULT_WORKSPACE)
    if workspace_id == ALL_WORKSPACES or state.is_column_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(_criteria_for(workspace_id))


@functools.lru_cache(maxsize=1024)
def _criteria_for(workspace_id: int):
    """The option that keeps a statement to one workspace, built once per workspace: building
    it (a lambda SQLAlchemy analyses) was a tenth of a /canwe's Python under load."""
    return with_loader_criteria(
        WorkspaceOwned, lambda cls: cls.workspace_id == workspace_id, include_aliases=True
    )


def _stamp_new_rows(session: Session, _context, _instances) -> None:
    for row in session.new:
        if isinstance(row, WorkspaceOwned) and row.workspace_id is None:
            row.workspace_id = workspace_of(session)


def find_workspace(
    session: Session, *, enterprise_id: str | None, team_id: str | None
) -> int | None:
    """The id of the workspace Slack calls (enterprise_id, team_id), if canwe knows it."""
    return session.scalar(
        select(Workspace.id).where(
            Workspace.enterprise_id.is_(None)
            if enterprise_id is None
            else Workspace.enterprise_id == enterprise_id,
            Workspace.team_id.is_(None) if team_id is None else Workspace.team_id == team_id,
        )
    )


def workspace_ids(session: Session) -> list[int]:
    """The workspaces canwe works for: all but those that uninstalled it."""
    return list(
        session.scalars(
            select(Workspace.id).where(Workspace.uninstalled_at.is_(None)).order_by(Workspace.id)
        )
    )


def uninstalled_workspaces() -> Select:
    """The ids of workspaces that uninstalled canwe (their messages wait, unsent)."""
    return select(Workspace.id).where(Workspace.uninstalled_at.is_not(None))


def mark_uninstalled(session: Session, workspace_id: int, now) -> bool:
    """Record that a workspace uninstalled canwe (or its token stopped working); True the
    first time. Its data stays until `forget_workspace`, for a reinstall to pick up."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None or workspace.uninstalled_at is not None:
        return False
    workspace.uninstalled_at = now
    return True


def to_forget(session: Session, uninstalled_before) -> list[int]:
    """Workspaces uninstalled before then whose data is still kept."""
    return list(
        session.scalars(
            select(Workspace.id).where(
                Workspace.uninstalled_at < uninstalled_before, Workspace.forgotten_at.is_(None)
            )
        )
    )


def forget_workspace(session: Session, workspace_id: int, now) -> dict[str, int]:
    """Delete every row of a workspace's data, dependent rows first; the workspace row
    stays (a later install into it starts afresh). Rows deleted per table."""
    deleted = {}
    for table in reversed(Base.metadata.sorted_tables):
        if "workspace_id" in table.c and table.name != Workspace.__tablename__:
            result = session.execute(delete(table).where(table.c.workspace_id == workspace_id))
            deleted[table.name] = result.rowcount
    session.get_one(Workspace, workspace_id).forgotten_at = now
    return deleted


def record_install(session: Session, *, enterprise_id: str | None, team_id: str | None, now) -> int:
    """The workspace an install is into, recorded if new: the first install takes workspace
    1 (whose rows a single-token deployment, or nobody yet, wrote), every other one a row of
    its own. Installs wait for each other on workspace 1's row, so two at once cannot both
    take it or both add the same workspace."""
    first = session.scalar(
        select(Workspace).where(Workspace.id == DEFAULT_WORKSPACE).with_for_update()
    )
    known = find_workspace(session, enterprise_id=enterprise_id, team_id=team_id)
    if (
        known is None
        and first is not None
        and first.team_id is None
        and first.enterprise_id is None
    ):
        first.enterprise_id, first.team_id = enterprise_id, team_id
        known = first.id
    elif known is None:
        workspace = Workspace(enterprise_id=enterprise_id, team_id=team_id)
        session.add(workspace)
        session.flush()
        known = workspace.id
        # the synonyms migration 0003 gave the first workspace, for a new one to start with
        session.add_all(
            Synonym(workspace_id=known, term=term, means=means) for term, means in SEED_SYNONYMS
        )
    workspace = session.get_one(Workspace, known)
    workspace.installed_at = now
    workspace.uninstalled_at = workspace.forgotten_at = None  # installed again
    # what waited for the install goes out now
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.workspace_id == known, OutboxMessage.sent_at.is_(None))
        .values(next_attempt_at=now)
    )
    return known
