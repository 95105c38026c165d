"""The safe promise date for an item: the one place that decides it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import Context
from bot.verdicts import SafeDate, simple_safe_date
from store.models import Item


def safe_date_for(*, session: Session, ctx: Context, item: Item) -> SafeDate | None:
    """None when there is nothing to date: shipped, declined, or no estimate."""
    if item.status in ("shipped", "declined"):
        return None
    estimate = item.estimate
    if estimate is None:
        return None
    return simple_safe_date(
        likely=estimate.likely,
        pessimistic=estimate.pessimistic,
        today=ctx.today(),
        holidays=ctx.settings.canwe_holidays,
    )
