"""Sync state: the cursor per tracker and the record of each run. Callers commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SyncCursor, SyncRun

MAX_SKIPPED_KEPT = 100


def _cursor_row(session: Session, source: str) -> SyncCursor | None:
    return session.scalar(select(SyncCursor).where(SyncCursor.source == source))


def get_cursor(*, session: Session, source: str) -> dt.datetime | None:
    row = _cursor_row(session, source)
    return row.cursor if row else None


def set_cursor(*, session: Session, source: str, cursor: dt.datetime, now: dt.datetime) -> None:
    row = _cursor_row(session, source)
    if row is None:
        session.add(SyncCursor(source=source, cursor=cursor, updated_at=now))
    else:
        row.cursor = cursor
        row.updated_at = now


def start_run(
    *, session: Session, source: str, full: bool, since: dt.datetime | None, now: dt.datetime
) -> SyncRun:
    run = SyncRun(
        source=source,
        full=full,
        status="running",
        started_at=now,
        since=since,
        pages=0,
        counts={},
        skipped=[],
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    *,
    session: Session,
    run_id: int,
    now: dt.datetime,
    pages: int,
    counts: dict[str, Any],
    skipped: list[str],
    error: str | None,
) -> SyncRun:
    run = session.get_one(SyncRun, run_id)
    run.finished_at = now
    run.status = "failed" if error else "ok"
    run.pages = pages
    run.counts = dict(counts)
    run.skipped = list(skipped[:MAX_SKIPPED_KEPT])
    run.error = error
    return run


def recent_runs(*, session: Session, source: str | None = None, limit: int = 10) -> list[SyncRun]:
    query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
    if source is not None:
        query = query.where(SyncRun.source == source)
    return list(session.scalars(query))


def last_successful_run(*, session: Session, source: str) -> SyncRun | None:
    query = (
        select(SyncRun)
        .where(SyncRun.source == source, SyncRun.status == "ok")
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
