"""The safe promise date for an item: the one place that decides it.

The developers' remaining-work estimate, corrected by how the team's past estimates
turned out (see bot.forecast); with too little history, a conservative prior.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.context import Context
from bot.forecast import Estimate as Remaining
from bot.forecast import forecast
from bot.verdicts import SafeDate, format_date
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
    safe = SafeDate(
        date=result.safe_date,
        confidence=result.confidence,
        p50=result.p50,
        summary=result.describe(),
    )
    return not_before_target(safe, item.target_date)


def not_before_target(safe: SafeDate, target: dt.date | None) -> SafeDate:
    """The forecast counts from today, but a team does not deliver before its own target
    release: a date earlier than the target would be a promise the plan does not back."""
    if target is None or target <= safe.date:
        return safe
    return SafeDate(
        date=target,
        confidence=safe.confidence,
        p50=max(safe.p50, target),
        summary=f"not before the team's target release, {format_date(target)} "
        f"(the estimate alone: {safe.summary})",
    )
