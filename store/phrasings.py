"""Phrasings: other ways people named an item, learnt from questions PMs answered and from
the items reps picked for their words.

The full-text index picks them up through the triggers of migration 0003_matching; the
matcher strips the deal context (customer, dates, money) from them when it reads them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import TAUGHT_BY_PM, TAUGHT_BY_REP, Item, Phrasing

MAX_PHRASING_CHARS = 1000


def add_phrasing(
    *, session: Session, item_id: int, text: str, now: dt.datetime, taught_by: str = TAUGHT_BY_REP
) -> bool:
    """Record `text` as another wording of the item. Does not commit.

    False (and nothing stored) when the text is empty, the item does not exist, or the item
    already has this exact wording; a PM's answer in a rep's words makes them the PM's.
    """
    text = " ".join((text or "").split())[:MAX_PHRASING_CHARS]
    if not text or session.get(Item, item_id) is None:
        return False
    exists = session.scalar(
        select(Phrasing).where(Phrasing.item_id == item_id, Phrasing.text == text).limit(1)
    )
    if exists is not None:
        if taught_by == TAUGHT_BY_PM:
            exists.taught_by = TAUGHT_BY_PM
        return False
    session.add(Phrasing(item_id=item_id, text=text, taught_by=taught_by, created_at=now))
    session.flush()
    return True


def forget_phrasing(*, session: Session, item_id: int, text: str) -> bool:
    """Take back `text` as a wording of the item, if a rep's pick taught it (a rep said it was
    not about that item; what a PM's answer taught stays). Does not commit. False when it
    was not a rep's wording of the item."""
    text = " ".join((text or "").split())[:MAX_PHRASING_CHARS]
    gone = session.execute(
        delete(Phrasing).where(
            Phrasing.item_id == item_id,
            Phrasing.text == text,
            Phrasing.taught_by == TAUGHT_BY_REP,
        )
    )
    return bool(gone.rowcount)


def phrasings_of(*, session: Session, item_id: int) -> list[str]:
    return list(
        session.execute(
            select(Phrasing.text).where(Phrasing.item_id == item_id).order_by(Phrasing.id)
        ).scalars()
    )


def newest_phrasing_id(*, session: Session) -> int:
    """The id of the workspace's newest phrasing (0 if none): those after it are new."""
    return session.scalar(select(func.max(Phrasing.id))) or 0


def phrasings_after(*, session: Session, phrasing_id: int) -> list[tuple[int, str]]:
    """(item id, text) of the workspace's phrasings newer than `phrasing_id`, oldest first."""
    chosen = (
        select(Phrasing.item_id, Phrasing.text)
        .where(Phrasing.id > phrasing_id)
        .order_by(Phrasing.id)
    )
    return [(item_id, text) for item_id, text in session.execute(chosen)]
