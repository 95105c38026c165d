"""The outbox: Slack calls recorded in the same transaction as the change they report."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from store.models import OutboxMessage
from store.tenancy import uninstalled_workspaces, workspace_of


def enqueue(
    *,
    session: Session,
    dedupe_key: str,
    method: str,
    payload: dict[str, Any],
    now: dt.datetime,
    on_sent: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Add a message unless one with the same key exists (then it is the same message)."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        method=method,
        payload=payload,
        on_sent=on_sent,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    session.add(message)
    session.flush()
    return message


def enqueue_many(*, session: Session, messages: list[dict[str, Any]], now: dt.datetime) -> int:
    """`enqueue` for many messages at once (each a dict of dedupe_key, method, payload and
    optionally on_sent): one query for the keys already there, one insert for the rest."""
    if not messages:
        return 0
    keys = [m["dedupe_key"] for m in messages]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        existing.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_(keys[start : start + 500])
                )
            )
        )
    workspace_id = workspace_of(session)  # a bulk insert of dicts passes no ORM hook
    fresh = [
        {
            "on_sent": None,
            **m,
            "workspace_id": workspace_id,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for m in {m["dedupe_key"]: m for m in messages}.values()
        if m["dedupe_key"] not in existing
    ]
    if fresh:
        session.execute(insert(OutboxMessage), fresh)
    return len(fresh)


def claim_due(
    *, session: Session, now: dt.datetime, lease: dt.timedelta, limit: int = 50
) -> list[OutboxMessage]:
    """Lease up to `limit` unsent messages that are due: an equal share of each workspace's,
    oldest first, taken in turn (one workspace after another), so a workspace with
    thousands waiting does not hold up another's one.

    On PostgreSQL rows another process holds are skipped (FOR UPDATE SKIP LOCKED), and the
    lease keeps them from being sent twice if that process dies before marking them sent.
    """
    due = (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
        # an uninstalled workspace's messages wait: a reinstall sends them
        OutboxMessage.workspace_id.not_in(uninstalled_workspaces()),
    )
    workspaces = list(session.scalars(select(OutboxMessage.workspace_id).where(*due).distinct()))
    share = max(1, limit // max(1, len(workspaces)))
    each: list[list[OutboxMessage]] = []
    for workspace_id in sorted(workspaces):
        query = (
            select(OutboxMessage)
            .where(*due, OutboxMessage.workspace_id == workspace_id)
            .order_by(OutboxMessage.id)
            .limit(share)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        each.append(list(session.scalars(query)))
    messages = [m for turn in itertools.zip_longest(*each) for m in turn if m is not None]
    if messages:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([m.id for m in messages]))
            .values(locked_until=now + lease)
        )
    return messages


def pending_count(*, session: Session) -> int:

    return (
        session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None)))
        or 0
    )


def renew_leases(
    *, session: Session, ids: list[int], held_until: dt.datetime, until: dt.datetime
) -> set[int]:
    """Extend this process's leases on `ids` to `until`; the ids it still holds.

    A lease is this process's only while `locked_until` is still the value it set
    (`held_until`): once it ran out and another process claimed the row, it is not renewed,
    and this process must not send that message.
    """
    if not ids:
        return set()
    renewed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.locked_until == held_until,
        )
        .values(locked_until=until)
        .returning(OutboxMessage.id)
    )
    return set(renewed.scalars())
