"""Queries about questions, escalations and answers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Answer, Area, Channel, Escalation, Item, Question


def question_by_key(*, session: Session, request_key: str) -> Question | None:
    return session.scalar(select(Question).where(Question.request_key == request_key))


def recent_same_question(
    *, session: Session, asker_id: str, channel_id: str, text: str, since: dt.datetime
) -> Question | None:
    """The same rep asking the same thing in the same place moments ago: a double submit."""
    return session.scalar(
        select(Question)
        .where(
            Question.asker_id == asker_id,
            Question.channel_id == channel_id,
            Question.text == text,
            Question.created_at >= since,
        )
        .order_by(Question.id.desc())
        .limit(1)
    )


def audience_of(*, session: Session, channel_id: str) -> str:
    return session.scalar(select(Channel.audience).where(Channel.id == channel_id)) or "sales"


def set_audience(*, session: Session, channel_id: str, audience: str) -> None:
    channel = session.get(Channel, channel_id)
    if channel is None:
        session.add(Channel(id=channel_id, audience=audience))
    else:
        channel.audience = audience


def valid_answer_for_item(*, session: Session, item: Item, now: dt.datetime) -> Answer | None:
    """The latest PM answer about `item` that has not expired and predates no revision of it."""
    answer = session.scalar(
        select(Answer)
        .where(Answer.item_id == item.id, Answer.valid_until > now)
        .order_by(Answer.answered_at.desc(), Answer.id.desc())
        .limit(1)
    )
    if answer is None:
        return None
    if answer.item_revised_at is not None and item.revised_at > answer.item_revised_at:
        return None
    return answer


def open_escalation_for_item(*, session: Session, item_id: int) -> Escalation | None:
    return session.scalar(
        select(Escalation)
        .where(Escalation.item_id == item_id, Escalation.status == "open")
        .limit(1)
    )


def open_escalation_for_text(*, session: Session, match_text: str) -> Escalation | None:
    """The open escalation of an unmatched question asked in the same words."""
    if not match_text:
        return None
    return session.scalar(
        select(Escalation)
        .where(
            Escalation.item_id.is_(None),
            Escalation.match_text == match_text,
            Escalation.status == "open",
        )
        .limit(1)
    )


def watchers(*, session: Session, escalation_id: int) -> list[Question]:
    return list(
        session.scalars(
            select(Question).where(Question.escalation_id == escalation_id).order_by(Question.id)
        )
    )


def watcher_summary(*, session: Session, escalation_id: int) -> tuple[int, float, dt.date | None]:
    """How many reps wait, the deal value at stake, the earliest date needed."""
    count, total, earliest = session.execute(
        select(
            func.count(func.distinct(Question.asker_id)),
            func.coalesce(func.sum(Question.deal_value), 0),
            func.min(Question.needed_by),
        ).where(Question.escalation_id == escalation_id)
    ).one()
    return int(count), float(total or 0), earliest


def areas(*, session: Session) -> list[Area]:
    return list(session.scalars(select(Area).order_by(Area.name)))
