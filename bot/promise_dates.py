"""The safe promise date for an item: the one place that decides it.

The developers' remaining-work estimate, corrected by how the team's past estimates
turned out (see bot.forecast); with too little history, a conservative prior.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import Context
from bot.forecast import Estimate as Remaining
from bot.forecast import forecast
from bot.verdicts import SafeDate
from store.history import history_version, team_ratios
from store.models import Item


def safe_date_for(*, session: Session, ctx: Context, item: Item) -> SafeDate | None:
    """None when there is nothing to date: shipped, declined, or no estimate."""
    if item.status in ("shipped", "declined"):
        return None
    estimate = item.estimate
    if estimate is None:
        return None
    team = estimate.team
    result = forecast(
        Remaining(
            estimate.likely, optimistic=estimate.optimistic, pessimistic=estimate.pessimistic
        ),
        (lambda: team_ratios(session=session, team=team)) if team else [],
        start=ctx.today(),
        confidence=ctx.settings.canwe_promise_confidence,
        holidays=ctx.settings.canwe_holidays,
        team=team,
        history_version=history_version(session=session, team=team) if team else None,
    )
    return SafeDate(
        date=result.safe_date,
        confidence=result.confidence,
        p50=result.p50,
        summary=result.describe(),
    )
