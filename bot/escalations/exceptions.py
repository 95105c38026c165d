"""A rep whose date is too early asks the PM for an exception: an escalation of its own."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.text import escape
from bot.core.verdicts import format_date
from bot.escalations.posting import escalate, reply_in_thread
from bot.roadmap.known import answer_for
from bot.roadmap.matching import Candidate, MatchResult
from bot.slack.wording import user, when
from store.models import Escalation, Item, Question


def ask_for_exception(*, session: Session, ctx: Context, question_id: int, user_id: str) -> str:
    question = session.get(Question, question_id)
    if question is None:
        return "I could not find that question any more."
    if question.escalation_id is not None and question.status == "escalated":
        return "A PM already has this question; I will send you the answer."
    item = session.get(Item, question.item_id) if question.item_id else None
    found = MatchResult(
        candidates=[Candidate(item.id, item.key, item.title, question.confidence)] if item else [],
        confidence=question.confidence,
        confident=item is not None,
    )
    escalation = escalate(
        session=session,
        ctx=ctx,
        question=question,
        item=item,
        match=found,
        reason="exception",
        feature=question.text,
    )
    truth = (
        answer_for(
            session=session,
            ctx=ctx,
            item=item,
            customer=question.customer,
            needed_by=question.needed_by,
            escalation_id=question.escalation_id,
        )
        if item
        else None
    )
    if truth is not None and truth.date is not None and not escalation.joined_existing:
        if truth.pm is not None:
            on = truth.pm.answered_at.astimezone(ctx.settings.tz).date()
            basis = f"{user(truth.pm.answered_by)}'s answer, {format_date(on)}"
        else:
            basis = escape(truth.safe.describe()) if truth.safe else "the roadmap"
        needed = (
            f" The rep needs it by {format_date(question.needed_by)}." if question.needed_by else ""
        )
        reply_in_thread(
            session=session,
            escalation=session.get(Escalation, escalation.escalation_id),
            dedupe_key=f"exception:{escalation.escalation_id}:safe-date",
            text=f"Safe promise date today: {format_date(truth.date)} ({basis}).{needed} "
            "Your answer is for this deal only unless you say “every deal”.",
            now=ctx.now(),
        )
    return (
        f"I asked {user(escalation.owner_id)} for an exception in <#{escalation.channel_id}>; "
        f"the answer is due by {when(escalation.due_at, ctx.settings.tz)}."
    )
