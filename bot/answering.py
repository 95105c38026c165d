"""A PM answers an escalation (button + modal, or a thread reply): record it, relay it, keep it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.escalation import escalation_message_kwargs, reply_in_thread
from bot.facts import AnswerFacts, ItemFacts, PMAnswerFacts
from bot.messages import Message, answer_modal, escape, quote, relay_message, user
from bot.parsing import clean_text
from bot.promises import check_promises
from bot.verdicts import VERDICT_LABELS, Verdict, format_date, verdict_from_answer
from store import questions as q
from store.models import Answer, Escalation, Item, Question
from store.outbox import enqueue
from store.phrasings import add_phrasing


class NotAllowed(Exception):
    """Someone who does not own the area tried to answer."""


@dataclass(frozen=True)
class AnswerInput:
    verdict: Verdict
    promise_date: dt.date | None = None
    note: str = ""
    cost_note: str = ""
    scope_note: str = ""
    schedule_note: str = ""
    services_note: str = ""
    marketing_note: str = ""
    valid_days: int = 30
    item_key: str | None = None


def may_answer(ctx: Context, escalation: Escalation, user_id: str) -> bool:
    """The area's PM, its backup, or an admin. Triage questions with no owner: any admin,
    or anyone when no admin is configured (someone must be able to answer)."""
    if ctx.is_admin(user_id):
        return True
    if escalation.owner_id is None and escalation.backup_id is None:
        return not ctx.settings.canwe_admins
    return user_id in (escalation.owner_id, escalation.backup_id)


@dataclass(frozen=True)
class AnswerForm:
    """What a click on an answer button opens: the form, or why this person may not answer."""

    channel_id: str | None = None
    view: View | None = None
    refusal: str | None = None


def answer_form(
    *, session: Session, ctx: Context, escalation_id: int, verdict: Verdict, user_id: str
) -> AnswerForm:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return AnswerForm()
    if not may_answer(ctx, escalation, user_id):
        who = (
            " or ".join(user(u) for u in (escalation.owner_id, escalation.backup_id) if u)
            or "a canwe admin"
        )
        return AnswerForm(
            channel_id=escalation.channel_id,
            refusal=f"Only {who} can answer this question. "
            "Reply in the thread to add a comment instead.",
        )
    question = q.watchers(session=session, escalation_id=escalation.id)[0]
    item = session.get(Item, escalation.item_id) if escalation.item_id else None
    view = answer_modal(
        escalation.id,
        verdict,
        question.text,
        ctx.settings.canwe_answer_valid_days,
        item.key if item else None,
    )
    return AnswerForm(channel_id=escalation.channel_id, view=view)


def check_input(answer: AnswerInput, today: dt.date) -> dict[str, str]:
    """Field errors for the modal, by field name."""
    errors = {}
    if answer.promise_date is not None and answer.promise_date < today:
        errors["date"] = "That date has passed: give a date from today on."
    if answer.verdict in (Verdict.committed, Verdict.not_by_then) and answer.promise_date is None:
        errors["date"] = "Give the date you can promise."
    if not 1 <= answer.valid_days <= 365:
        errors["valid_days"] = "Between 1 and 365 days."
    return errors


def record_answer(
    *,
    session: Session,
    ctx: Context,
    escalation_id: int,
    user_id: str,
    answer_in: AnswerInput,
    source_key: str,
) -> Answer:
    """Store the answer, close the escalation, and queue the relay to every waiting rep."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise LookupError(f"no escalation {escalation_id}")
    if not may_answer(ctx, escalation, user_id):
        raise NotAllowed(escalation.owner_id)
    now = ctx.now()
    item = None
    if answer_in.item_key:
        item = session.scalar(select(Item).where(Item.key == answer_in.item_key.strip()))
        if item is None:
            raise LookupError(f"no roadmap item {answer_in.item_key}")
    elif escalation.item_id:
        item = session.get(Item, escalation.item_id)

    answer = Answer(
        escalation_id=escalation.id,
        item_id=item.id if item else None,
        verdict=answer_in.verdict.value,
        promise_date=answer_in.promise_date,
        note=answer_in.note,
        cost_note=answer_in.cost_note,
        scope_note=answer_in.scope_note,
        schedule_note=answer_in.schedule_note,
        services_note=answer_in.services_note,
        marketing_note=answer_in.marketing_note,
        answered_by=user_id,
        answered_at=now,
        valid_until=now + dt.timedelta(days=answer_in.valid_days),
        item_revised_at=item.revised_at if item else None,
    )
    session.add(answer)
    escalation.status = "answered"
    escalation.answered_at = now
    escalation.next_check_at = None
    if item is not None and escalation.item_id is None:
        escalation.item_id = item.id
    session.flush()

    waiting = q.watchers(session=session, escalation_id=escalation.id)
    for question in waiting:
        question.status = "answered"
        question.answered_at = now
        question.answer_id = answer.id
        if item is not None:
            question.item_id = item.id
        facts = answered_facts(ctx=ctx, question=question, answer=answer, item=item)
        question.verdict = facts.verdict.value
        audience = q.audience_of(session=session, channel_id=question.channel_id)
        send_to_watcher(
            session=session,
            ctx=ctx,
            question=question,
            key=f"relay:{answer.id}:{question.id}",
            message=relay_message(facts, audience, ctx.settings.tz),
        )
        if item is not None:
            # the question becomes another way of naming its item (see bot.matching)
            add_phrasing(session=session, item_id=item.id, text=question.text, now=now)

    summary = f"{VERDICT_LABELS[answer_in.verdict]}"
    if answer_in.promise_date:
        summary += f" by {format_date(answer_in.promise_date)}"
    reps = len({w.asker_id for w in waiting})
    answered = (
        f"Answered by {user(user_id)}: {summary}. Sent to {reps} waiting rep{'' if reps == 1 else 's'}. "
        f"Valid until {format_date(answer.valid_until.date())}."
    )
    enqueue(
        session=session,
        dedupe_key=f"escalation:{escalation.id}:answered:{answer.id}",
        method="chat.update",
        payload={
            "channel": escalation.channel_id,
            "ts": {"$escalation_ts": escalation.id},
            **escalation_message_kwargs(
                session=session, escalation=escalation, ctx=ctx, candidates=[], answered=answered
            ),
        },
        now=now,
    )
    reply_in_thread(
        session=session,
        escalation=escalation,
        dedupe_key=f"answer:{answer.id}:confirm",
        text=f":white_check_mark: Recorded. {answered}",
        now=now,
    )
    if item is not None:  # the answer may move the item's date past a promise
        check_promises(session=session, ctx=ctx, item_ids=[item.id])
    ctx.wake_delivery()
    return answer


def answered_facts(
    *, ctx: Context, question: Question, answer: Answer, item: Item | None
) -> AnswerFacts:
    pm_answer = PMAnswerFacts.of(answer)
    verdict = verdict_from_answer(pm_answer.verdict, answer.promise_date, question.needed_by)
    return AnswerFacts(
        question_id=question.id,
        verdict=verdict,
        question_text=question.text,
        today=ctx.today(),
        customer=question.customer,
        deal_value=question.deal_value,
        needed_by=question.needed_by,
        item=ItemFacts.of(item) if item else None,
        pm_answer=pm_answer,
    )


def send_to_watcher(
    *, session: Session, ctx: Context, question: Question, key: str, message: Message
) -> None:
    """Reply where the rep asked: under their mention, or by DM for an ephemeral /canwe answer."""
    if question.source == "mention" and question.thread_ts:
        target = {"channel": question.channel_id, "thread_ts": question.thread_ts}
    elif question.source == "cli":
        return  # asked on a terminal: nobody to tell in Slack
    else:
        target = {"channel": {"$dm": question.asker_id}}
    enqueue(
        session=session,
        dedupe_key=key,
        method="chat.postMessage",
        payload={**target, "unfurl_links": False, **message.as_kwargs()},
        now=ctx.now(),
    )


def relay_comment(
    *,
    session: Session,
    ctx: Context,
    escalation: Escalation,
    user_id: str,
    text: str,
    event_key: str,
) -> int:
    """A reply from someone who may not answer: passed on to the waiting reps as a comment."""
    body = f":speech_balloon: Comment from {user(user_id)} on your question (not an answer yet):\n> {quote(text, 2000)}"
    message = Message(
        text=f"Comment from a colleague on your question: {escape(clean_text(text)[:200])}",
        blocks=[SectionBlock(text=MarkdownTextObject(text=body))],
    )
    waiting = q.watchers(session=session, escalation_id=escalation.id)
    for question in waiting:
        send_to_watcher(
            session=session,
            ctx=ctx,
            question=question,
            key=f"comment:{event_key}:{question.id}",
            message=message,
        )
    ctx.wake_delivery()
    return len(waiting)
