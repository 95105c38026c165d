"""Queries about promises reps made to customers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Promise, Question


def promise_for_question(*, session: Session, question_id: int) -> Promise | None:
    return session.scalar(select(Promise).where(Promise.question_id == question_id))


def open_promises_of_rep(*, session: Session, rep_id: str) -> list[Promise]:
    """A rep's open promises, the soonest promised date first."""
    return list(
        session.scalars(
            select(Promise)
            .where(Promise.rep_id == rep_id, Promise.status == "open")
            .order_by(Promise.promised_date.is_(None), Promise.promised_date, Promise.id)
        )
    )


def open_promises_on_items(*, session: Session, item_ids: Iterable[int] | None) -> list[Promise]:
    """Open promises on `item_ids`, or every open promise when `item_ids` is None."""
    query = select(Promise).where(Promise.status == "open").order_by(Promise.id)
    if item_ids is None:
        return list(session.scalars(query))
    ids = sorted(set(item_ids))
    found: list[Promise] = []
    for start in range(0, len(ids), 1000):  # PostgreSQL takes at most 65,535 parameters
        found += session.scalars(query.where(Promise.item_id.in_(ids[start : start + 1000])))
    return sorted(found, key=lambda promise: promise.id)


def threads_of_questions(*, session: Session, question_ids: Iterable[int]) -> dict[int, int]:
    """The PM thread (escalation id) each of `question_ids` waited in, for those that did."""
    ids = sorted(set(question_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Question.id, Question.escalation_id).where(
            Question.id.in_(ids), Question.escalation_id.is_not(None)
        )
    )
    return {question_id: escalation_id for question_id, escalation_id in rows}
