"""Queries on the history of finished work: the evidence behind promise dates.

A forecast needs, per team, the ratios actual / estimate of its finished work (most
recent last) and a version that changes whenever that history changes, so the
calibration can be cached per (team, version). Usage from `bot/`:

    version = history_version(session=session, team=team)
    forecast(estimate, lambda: team_ratios(session=session, team=team), start=today,
             team=team, history_version=version, ...)
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import FinishedWork


def team_ratios(*, session: Session, team: str, limit: int | None = None) -> list[float]:
    """actual / estimate of the team's finished work, oldest first, most recent last.

    `limit` keeps only the most recent ones. Work is ordered by finish date, then by the
    order it was recorded. Rows without a positive estimate and actual are skipped."""
    query = (
        select(FinishedWork.actual, FinishedWork.estimate)
        .where(FinishedWork.team == team, FinishedWork.estimate > 0, FinishedWork.actual > 0)
        .order_by(FinishedWork.finished.desc(), FinishedWork.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    return [actual / estimate for actual, estimate in reversed(rows)]


def history_version(*, session: Session, team: str) -> tuple:
    """A value that changes when the team's history gains, loses or changes a row (its
    estimate, actual or latest finish date): the cache key for its calibration."""
    query = select(
        func.count(FinishedWork.id),
        func.max(FinishedWork.id),
        func.max(FinishedWork.finished),
        func.sum(FinishedWork.estimate),
        func.sum(FinishedWork.actual),
    ).where(FinishedWork.team == team)
    return tuple(session.execute(query).one())
