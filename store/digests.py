"""Queries for the daily digest: what is open, what was answered, which digests are taken.

Rows come back as plain tuples (no ORM objects): a digest reads every open question at
once, and building 10,000 lines must stay fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from store.models import Channel, DigestClaim, Escalation, Item, Question


def open_question_rows(*, session: Session) -> list[Row[Any]]:
    """Every question waiting for a PM, with its escalation (and matched item, if any)."""
    return list(
        session.execute(
            select(
                Question.id,
                Question.text,
                Question.asker_id,
                Question.channel_id,
                Question.source,
                Question.customer,
                Question.deal_value,
                Question.deal_currency,
                Question.needed_by,
                Question.created_at,
                Escalation.id.label("escalation_id"),
                Escalation.channel_id.label("pm_channel"),
                Escalation.owner_id,
                Escalation.created_at.label("escalated_at"),
                Escalation.due_at,
                Item.key.label("item_key"),
                Item.title.label("item_title"),
                Item.status.label("item_status"),
            )
            .join(Escalation, Question.escalation_id == Escalation.id)
            .outerjoin(Item, Escalation.item_id == Item.id)
            .where(Question.status == "escalated", Escalation.status == "open")
            .order_by(Question.id)
        )
    )


def waiting_targets(*, session: Session, before: dt.datetime | None) -> set[tuple[str, str]]:
    """(kind, target) of every digest with something open (that was open before `before`,
    if given): the cheap check the scheduler makes on each tick."""
    open_escalation = [Escalation.status == "open"]
    open_question = [Question.status == "escalated", Question.source != "cli"]
    if before is not None:
        open_escalation.append(Escalation.created_at <= before)
        open_question.append(Question.created_at <= before)
    targets: set[tuple[str, str]] = set()
    for (channel,) in session.execute(
        select(Escalation.channel_id).where(*open_escalation).distinct()
    ):
        targets.add(("channel", channel))
    for (owner,) in session.execute(
        select(Escalation.owner_id)
        .where(*open_escalation, Escalation.owner_id.is_not(None))
        .distinct()
    ):
        targets.add(("personal", owner))
    for (channel,) in session.execute(select(Question.channel_id).where(*open_question).distinct()):
        targets.add(("channel", channel))
    return targets


def answered_question_rows(*, session: Session, since: dt.datetime) -> list[Row[Any]]:
    """(channel_id, answered_at) of escalated questions answered since `since`."""
    return list(
        session.execute(
            select(Question.channel_id, Question.answered_at).where(
                Question.escalation_id.is_not(None),
                Question.status == "answered",
                Question.source != "cli",
                Question.answered_at >= since,
            )
        )
    )


def answered_escalation_rows(*, session: Session, since: dt.datetime) -> list[Row[Any]]:
    """(channel_id, owner_id, answered_at) of escalations answered since `since`."""
    return list(
        session.execute(
            select(Escalation.channel_id, Escalation.owner_id, Escalation.answered_at).where(
                Escalation.status == "answered", Escalation.answered_at >= since
            )
        )
    )


def channel_audiences(*, session: Session) -> dict[str, str]:
    """Each known channel's audience; a channel not listed is a sales channel."""
    return dict(session.execute(select(Channel.id, Channel.audience)).all())


def claimed_targets(*, session: Session, day: dt.date) -> set[tuple[str, str]]:
    return {
        (kind, target)
        for kind, target in session.execute(
            select(DigestClaim.kind, DigestClaim.target).where(DigestClaim.day == day)
        )
    }


def last_digests(*, session: Session, before: dt.date) -> dict[tuple[str, str], dt.datetime]:
    """When each target last had a digest, on a day before `before`."""
    rows = session.execute(
        select(DigestClaim.kind, DigestClaim.target, func.max(DigestClaim.claimed_at))
        .where(DigestClaim.day < before)
        .group_by(DigestClaim.kind, DigestClaim.target)
    )
    return {(kind, target): claimed_at for kind, target, claimed_at in rows}


def add_claim(
    *, session: Session, kind: str, target: str, day: dt.date, now: dt.datetime, posts: int
) -> DigestClaim:
    """Claim the (kind, target, day) digest. Flushes at once, so a digest another process
    claimed raises IntegrityError here (on PostgreSQL after waiting for its transaction)."""
    claim = DigestClaim(kind=kind, target=target, day=day, claimed_at=now, posts=posts)
    session.add(claim)
    session.flush()
    return claim
