"""The promise ledger: what reps promised customers, and telling them when it slips.

- `mark_promised`: the "Promised to the customer" button records one promise per answer.
- `list_promises`: `/canwe promises`, a rep's open promises with each one's date today.
- `check_promises`: after an import, a sync or a PM's answer moved items, tell the rep (DM)
  and the item's PM (a line in the area's PM channel) about every promise that is now at
  risk, once per change; close promises whose item shipped and tell the rep.

An item's date, for a promise, is what the one date rule (`bot.core.truth`, through
`bot.roadmap.known.answer_for`) says for that promise's customer today: a PM's answer
that applies to the deal, else the safe promise date (never before the team's target).
An exception granted to another customer moves nothing here. A promise is at risk when
that date is after the promised date, when the item is declined (or a PM said no), or
when it is no longer committed.

Everything runs in the caller's transaction: alerts go through the outbox with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.truth import Record
from bot.core.verdicts import VERDICT_LABELS, Verdict, format_date
from bot.promises.messages import (
    DECLINED,
    LATE,
    UNCOMMITTED,
    Outlook,
    PromiseFacts,
    already_recorded,
    back_on_track,
    pm_risk_line,
    promise_kept,
    promise_list,
    promise_recorded,
    risk_alert,
)
from bot.questions.asking import facts_for
from bot.questions.messages import error_message
from bot.roadmap.facts import ItemFacts
from bot.roadmap.known import answer_for, record_for
from bot.slack import sends
from bot.slack.blocks import Message
from store import promises as store
from store import questions as q
from store.db import session_scope
from store.models import Item, Promise, Question


@dataclass
class PromiseCheck:
    """What `check_promises` did."""

    alerts: int = 0  # promises newly at risk (or at risk in a new way): rep and PM told
    recovered: int = 0  # promises back on track after an alert
    closed: int = 0  # promises whose item shipped

    def summary(self) -> str:
        return (
            f"promises: {self.alerts} at risk (reps and PMs told), "
            f"{self.recovered} back on track, {self.closed} kept and closed"
        )


def outlook_for(
    *,
    session: Session,
    ctx: Context,
    item: Item,
    customer: str | None = None,
    escalation_id: int | None = None,
    record: Record | None = None,
) -> Outlook:
    """Where `item` stands now for a promise to `customer`: shipped, declined, not
    committed, or expected by a date."""
    truth = answer_for(
        session=session,
        ctx=ctx,
        item=item,
        customer=customer,
        needed_by=None,
        escalation_id=escalation_id,
        record=record,
    )
    by = {}
    if truth.pm is not None:
        by = {
            "answer_id": truth.pm.answer_id,
            "answered_by": truth.pm.answered_by,
            "answered_on": truth.pm.answered_at.astimezone(ctx.settings.tz).date(),
        }
    if truth.verdict == Verdict.available:
        return Outlook(state="shipped", status=item.status)
    if truth.verdict == Verdict.no:
        return Outlook(state=DECLINED, status=item.status, **by)
    if truth.date is None:
        return Outlook(state=UNCOMMITTED, status=item.status, safe=truth.safe, **by)
    safe = None if truth.pm is not None else truth.safe
    return Outlook(state="dated", status=item.status, date=truth.date, safe=safe, **by)


class _Outlooks:
    """Outlooks for many promises: one forecast per item, one answer per deal."""

    def __init__(self, session: Session, ctx: Context, promises: list[Promise]):
        self.session, self.ctx = session, ctx
        self.threads = store.threads_of_questions(
            session=session, question_ids=[p.question_id for p in promises]
        )
        self.records: dict[int, Record | None] = {}
        self.seen: dict[tuple, Outlook] = {}

    def of(self, promise: Promise) -> Outlook:
        item = promise.item
        escalation_id = self.threads.get(promise.question_id)
        key = (item.id, " ".join(promise.customer.lower().split()), escalation_id)
        if key not in self.seen:
            if item.id not in self.records:
                self.records[item.id] = record_for(session=self.session, ctx=self.ctx, item=item)
            self.seen[key] = outlook_for(
                session=self.session,
                ctx=self.ctx,
                item=item,
                customer=promise.customer,
                escalation_id=escalation_id,
                record=self.records[item.id],
            )
        return self.seen[key]


def risk_of(promised_date: dt.date | None, outlook: Outlook) -> str | None:
    """None when the promise holds; else declined, uncommitted, or late:<new date>."""
    if outlook.state == "shipped":
        return None
    if outlook.state in (DECLINED, UNCOMMITTED):
        return outlook.state
    if outlook.date is None:
        return UNCOMMITTED
    if promised_date is not None and outlook.date > promised_date:
        return f"{LATE}:{outlook.date.isoformat()}"
    return None


def _facts(promise: Promise, item: Item) -> PromiseFacts:
    return PromiseFacts(
        promise_id=promise.id,
        question_id=promise.question_id,
        customer=promise.customer,
        deal_value=promise.deal_value,
        deal_currency=promise.deal_currency,
        promised_date=promise.promised_date,
        rep_id=promise.rep_id,
        item=ItemFacts.of(item),
    )


# ----------------------------------------------------------------- the button


def mark_promised(*, session: Session, ctx: Context, question_id: int, user_id: str) -> Message:
    """Record that `user_id` promised the customer what the answer to `question_id` said.

    Clicking twice (or a colleague clicking the same answer) keeps one promise. The answer
    is decided again first: if the roadmap changed since and it no longer says yes,
    nothing is recorded and the rep is told why.
    """
    today = ctx.today()
    existing = store.promise_for_question(session=session, question_id=question_id)
    if existing is not None:
        return already_recorded(
            _facts(existing, existing.item), by_you=existing.rep_id == user_id, today=today
        )
    question = session.get(Question, question_id)
    if question is None:
        return error_message("I could not find that answer any more: please ask again.")
    if not question.customer:
        return error_message(
            "This question names no customer: ask again with “for CUSTOMER”, "
            "then mark the answer promised."
        )
    item = session.get(Item, question.item_id) if question.item_id else None
    facts = facts_for(session=session, ctx=ctx, question=question)
    if item is None or facts.verdict not in (Verdict.committed, Verdict.available):
        return error_message(
            f"Not recorded: the answer is now “{VERDICT_LABELS[facts.verdict]}”, "
            "so there is nothing to promise. Ask again to see why."
        )

    outlook = outlook_for(
        session=session,
        ctx=ctx,
        item=item,
        customer=question.customer,
        escalation_id=question.escalation_id,
    )
    shipped = facts.verdict == Verdict.available
    said = facts.date
    # the rep promises the date the customer needs, which the answer said is safe;
    # without one, the date the answer gave
    promised = None if shipped else (question.needed_by or said)
    if shipped:
        basis = "Available: shipped"
    elif facts.pm_answer is not None:
        basis = f"Committed by {format_date(said) if said else 'no date'}: PM answer by {facts.pm_answer.answered_by}"
    else:
        basis = f"Committed: {facts.safe.describe() if facts.safe else 'no safe date'}"
    now = ctx.now()
    promise = Promise(
        question_id=question.id,
        answer_id=outlook.answer_id or question.answer_id,
        item_id=item.id,
        customer=question.customer,
        promised_date=promised,
        deal_value=question.deal_value,
        deal_currency=question.deal_currency,
        rep_id=user_id,
        channel_id=question.channel_id,
        basis=basis,
        status="closed" if shipped else "open",
        created_at=now,
        closed_at=now if shipped else None,
        known_date=outlook.date,
    )
    session.add(promise)
    session.flush()
    facts = _facts(promise, item)
    risk = risk_of(promised, outlook)
    if risk is not None:
        # already past the item's date (the team's target can be later than the forecast):
        # the confirmation tells the rep, the PM hears it now, and only a change is told again
        _tell_pm(session, ctx, item, facts, outlook, risk, outlook.date, key="made")
        promise.alerted_state = risk
        promise.alerted_at = now
        ctx.wake_delivery()
    return promise_recorded(facts, outlook, risk, today=today)


def _tell_pm(
    session: Session,
    ctx: Context,
    item: Item,
    facts: PromiseFacts,
    outlook: Outlook,
    risk: str,
    old_date: dt.date | None,
    *,
    key: str,
) -> None:
    """One line in the item's PM channel (the triage channel for an area without one)."""
    channel = (item.area.channel_id if item.area else None) or ctx.settings.canwe_triage_channel
    if not channel:
        return
    sends.post(
        session,
        key=f"promise:{facts.promise_id}:risk:{risk}:{key}:pm",
        channel=channel,
        message=pm_risk_line(facts, outlook, risk, old_date, ctx.today()),
        now=ctx.now(),
    )


# ----------------------------------------------------------------- /canwe promises


def list_promises(*, session: Session, ctx: Context, user_id: str, channel_id: str) -> Message:
    """The rep's open promises with each one's date today, worded for this channel."""
    rows = []
    promises = store.open_promises_of_rep(session=session, rep_id=user_id)
    outlooks = _Outlooks(session, ctx, promises)
    for promise in promises:
        outlook = outlooks.of(promise)
        rows.append(
            (_facts(promise, promise.item), outlook, risk_of(promise.promised_date, outlook))
        )
    audience = q.audience_of(session=session, channel_id=channel_id)
    return promise_list(rows, audience, ctx.today())


# ----------------------------------------------------------------- slip alerts


def check_promises(
    *, session: Session, ctx: Context, item_ids: Iterable[int] | None
) -> PromiseCheck:
    """Tell reps and PMs about promises on `item_ids` (None: every open promise) that a
    change put at risk.

    Call it in the same transaction as the change: after `apply_roadmap` (with the
    report's `revised_item_ids`), after a sync run, after a PM's answer. Each change is
    told once: a promise remembers the risk it last told, and the outbox keys carry the
    item's revision and the PM answer, so running it again changes nothing.
    """
    report = PromiseCheck()
    promises = store.open_promises_on_items(session=session, item_ids=item_ids)
    if not promises:
        return report
    now, today = ctx.now(), ctx.today()
    outlooks = _Outlooks(session, ctx, promises)
    for promise in promises:
        item = promise.item
        outlook = outlooks.of(promise)
        facts = _facts(promise, item)
        audience = q.audience_of(session=session, channel_id=promise.channel_id)
        change = f"{int(item.revised_at.timestamp())}:{outlook.answer_id or 0}"
        rep_dm = sends.DirectMessage(promise.rep_id)

        if outlook.state == "shipped":
            promise.status = "closed"
            promise.closed_at = now
            sends.post(
                session,
                key=f"promise:{promise.id}:kept",
                channel=rep_dm,
                message=promise_kept(facts, audience, today),
                now=now,
            )
            report.closed += 1
            continue

        risk = risk_of(promise.promised_date, outlook)
        old_date = promise.known_date
        if risk is not None and risk != promise.alerted_state:
            message = risk_alert(facts, outlook, risk, old_date, audience, today)
            sends.post(
                session,
                key=f"promise:{promise.id}:risk:{risk}:{change}",
                channel=rep_dm,
                message=message,
                now=now,
            )
            _tell_pm(session, ctx, item, facts, outlook, risk, old_date, key=change)
            promise.alerted_state = risk
            promise.alerted_at = now
            report.alerts += 1
        elif risk is None and promise.alerted_state is not None:
            sends.post(
                session,
                key=f"promise:{promise.id}:ok:{change}",
                channel=rep_dm,
                message=back_on_track(facts, outlook, old_date, audience, today),
                now=now,
            )
            promise.alerted_state = None
            promise.alerted_at = now
            report.recovered += 1
        promise.known_date = outlook.date
    session.flush()
    if report.alerts or report.closed or report.recovered:
        ctx.wake_delivery()
    return report


def check_after_sync(ctx: Context, report) -> PromiseCheck:
    """After a tracker sync (a `bot.roadmap.sync.runner.SyncReport`), in a transaction of its own:
    the promises on the items it moved, or every open promise when it brought new history
    (new history moves every forecast of its team)."""
    moved = None if report.counts["history"] else report.revised_item_ids
    if moved == []:
        return PromiseCheck()
    with session_scope(ctx.sessions) as session:
        return check_promises(session=session, ctx=ctx, item_ids=moved)
