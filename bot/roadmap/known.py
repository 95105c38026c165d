"""What is known about an item now, read from the store, and the one answer it gives.

- `safe_date_for`: the forecast, the one place that computes it: the developers'
  remaining-work estimate, corrected by how the team's past estimates turned out (see
  bot.core.forecast); with too little history, a conservative prior; never before the target.
- `pm_facts`: the PM answers that are still current for an item (or a question's thread).
- `answer_for`: both, handed to the one date rule (`bot.core.truth.answer_question`). Every
  message that states a verdict or a date gets it from here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.forecast import Estimate as Remaining
from bot.core.forecast import forecast
from bot.core.truth import Asked, PMFact, Record, Truth, answer_question
from bot.core.verdicts import SafeDate, Verdict, format_date
from store import questions as q
from store.history import history_version, team_ratios
from store.models import Answer, Item


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
        short=result.short(),
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
        # "the team's target release; the work itself 80% likely done by Dec 28, from 25 …"
        short="the team's target release; the work itself "
        + safe.short.replace("by then", f"done by {format_date(safe.date)}", 1),
    )


def record_for(*, session: Session, ctx: Context, item: Item | None) -> Record | None:
    if item is None:
        return None
    return Record(status=item.status, safe=safe_date_for(session=session, ctx=ctx, item=item))


def pm_fact(answer: Answer) -> PMFact:
    return PMFact(
        answer_id=answer.id,
        kind=Verdict(answer.verdict),
        earliest=answer.promise_date,
        answered_by=answer.answered_by,
        answered_at=answer.answered_at,
        scope=answer.scope,
        customer=answer.customer,
        escalation_id=answer.escalation_id,
    )


def pm_facts(
    *, session: Session, ctx: Context, item: Item | None, escalation_id: int | None = None
) -> list[PMFact]:
    """PM answers still current for `item`, or given in the thread `escalation_id`: not
    replaced, inside their reuse window, and not older than the item's last change."""
    answers = q.current_answers(
        session=session,
        item_id=item.id if item else None,
        escalation_id=escalation_id,
        now=ctx.now(),
    )
    return [
        pm_fact(answer)
        for answer in answers
        if item is None
        or answer.item_id != item.id
        or answer.item_revised_at is None
        or item.revised_at <= answer.item_revised_at
    ]


def answer_for(
    *,
    session: Session,
    ctx: Context,
    item: Item | None,
    customer: str | None,
    needed_by: dt.date | None,
    audience: str = "sales",
    escalation_id: int | None = None,
    record: Record | None = None,
) -> Truth:
    """The verdict, the date to promise, and why, for one question about `item` today.
    `record` may be passed in when the caller already has it (one forecast per item)."""
    if record is None:
        record = record_for(session=session, ctx=ctx, item=item)
    facts = pm_facts(session=session, ctx=ctx, item=item, escalation_id=escalation_id)
    asked = Asked(
        customer=customer, needed_by=needed_by, audience=audience, escalation_id=escalation_id
    )
    return answer_question(record, facts, asked)
