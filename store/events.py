"""Idempotency for Slack events: each event id is acted on once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from store.models import HandledEvent


def first_time(*, session: Session, event_id: str, now: dt.datetime) -> bool:
    """Record `event_id`; False if it was already recorded (Slack retried the event).

    The row commits with the work it guards, so a failure leaves the event free to retry.
    """
    if session.get(HandledEvent, event_id) is not None:
        return False
    session.add(HandledEvent(event_id=event_id, received_at=now))
    session.flush()
    return True
