"""Queries for the chasing pass over open escalations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Escalation


def due_for_check(*, session: Session, now: dt.datetime, limit: int = 1000) -> list[Escalation]:
    """Open escalations whose next reminder or deadline has come, locked against other processes."""
    query = (
        select(Escalation)
        .where(
            Escalation.status == "open",
            Escalation.next_check_at.is_not(None),
            Escalation.next_check_at <= now,
        )
        .order_by(Escalation.next_check_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))
