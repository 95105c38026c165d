"""A PM answers an escalation (button + modal, or a thread reply): record it, relay it, keep it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.parsing import clean_text
from bot.core.text import escape
from bot.core.truth import DEAL, ITEM, SCOPES
from bot.core.verdicts import Verdict, format_date
from bot.escalations.messages import answer_modal
from bot.escalations.posting import escalation_message, reply_in_thread
from bot.promises.tracking import check_promises
from bot.questions.asking import facts_for, record_told
from bot.questions.messages import relay_message
from bot.roadmap.facts import PMAnswerFacts
from bot.slack import sends
from bot.slack.blocks import MarkdownTextObject, Message, SectionBlock, View
from bot.slack.sends import EscalationPost
from bot.slack.wording import quote, user
from store import questions as q
from store.models import Answer, Escalation, Item, Question
from store.phrasings import TAUGHT_BY_PM, add_phrasing


class NotAllowed(Exception):
    """Someone who does not own the area tried to answer."""


class ItemNotAllowed(LookupError):
    """The item given is not one of the answering PM's areas (or does not exist)."""


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
    scope: str | None = None  # ITEM or DEAL; None: this deal only for an exception request


def default_scope(escalation: Escalation) -> str:
    """An answer to an exception request is for that deal unless the PM says otherwise."""
    return DEAL if escalation.reason == "exception" else ITEM


def answerable_items(*, session: Session, ctx: Context, user_id: str, first: Item | None):
    """The (key, title) of the items `user_id` may attach an answer to: those of the areas
    they own or back up (admins: any), the escalation's own item first when allowed."""
    items = q.items_of_owner(session=session, user_id=user_id, any_area=ctx.is_admin(user_id))
    pairs = [(item.key, item.title) for item in items]
    if first is not None and (first.key, first.title) in pairs:
        pairs.remove((first.key, first.title))
        pairs.insert(0, (first.key, first.title))
    return pairs


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
    *,
    session: Session,
    ctx: Context,
    escalation_id: int,
    verdict: Verdict,
    user_id: str,
    details: dict[str, str] | None = None,
) -> AnswerForm:
    """The form for an answer button, also an old one (a digest, a thread): when the
    escalation is already answered, the current answer is filled in and will be replaced."""
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
    current = q.current_answer_of_escalation(session=session, escalation_id=escalation.id)
    item = session.get(Item, escalation.item_id) if escalation.item_id else None
    if current is not None and current.item_id:
        item = session.get(Item, current.item_id)
    reps_waiting, _, _ = q.watcher_summary(session=session, escalation_id=escalation.id)
    view = answer_modal(
        escalation_id=escalation.id,
        question_text=question.text,
        verdict=verdict,
        reps_waiting=reps_waiting,
        details=details,
        items=answerable_items(session=session, ctx=ctx, user_id=user_id, first=item),
        item_key=item.key if item else None,
        scope=current.scope if current else default_scope(escalation),
        customer=question.customer,
        current=PMAnswerFacts.of(current) if current else None,
        tz=ctx.settings.tz,
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
    if answer.scope is not None and answer.scope not in SCOPES:
        errors["applies_to"] = "Every deal, or this deal only."
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
    """Store the answer, close the escalation, and queue the relay to every waiting rep.

    An escalation already answered gets a new version: the earlier answer is replaced and
    the waiting reps are told what changed. The same submission again (`source_key`: a
    view id and hash, a thread message) is the answer already recorded, sent nowhere.
    """
    already = q.answer_by_source(session=session, source_key=source_key)
    if already is not None:
        return already
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise LookupError(f"no escalation {escalation_id}")
    if not may_answer(ctx, escalation, user_id):
        raise NotAllowed(escalation.owner_id)
    now = ctx.now()
    item = None
    if answer_in.item_key:
        item = session.scalar(select(Item).where(Item.key == answer_in.item_key.strip()))
        allowed = {
            key
            for key, _ in answerable_items(session=session, ctx=ctx, user_id=user_id, first=None)
        }
        # the escalation's own item is never foreign to it; any other must be the PM's own
        if item is None or (item.id != escalation.item_id and item.key not in allowed):
            raise ItemNotAllowed(
                f"{answer_in.item_key} is not an item of your areas: choose one from the list."
            )
    elif escalation.item_id:
        item = session.get(Item, escalation.item_id)

    waiting = q.watchers(session=session, escalation_id=escalation.id)
    previous = q.current_answer_of_escalation(session=session, escalation_id=escalation.id)
    scope = answer_in.scope or default_scope(escalation)
    answer = Answer(
        escalation_id=escalation.id,
        item_id=item.id if item else None,
        # a fact, not a verdict against one rep's date: "not by then, Jun 30" and "yes by
        # Jun 30" both say it can be promised from Jun 30 (see bot.core.truth)
        verdict=(
            Verdict.committed if answer_in.verdict == Verdict.not_by_then else answer_in.verdict
        ).value,
        promise_date=answer_in.promise_date,
        scope=scope,
        customer=waiting[0].customer if scope == DEAL else None,
        source_key=source_key,
        replaces_id=previous.id if previous else None,
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
    try:
        with session.begin_nested():
            session.add(answer)
            session.flush()
    except IntegrityError:  # the same submission, recorded by another process meanwhile
        already = q.answer_by_source(session=session, source_key=source_key)
        if already is None:
            raise
        return already
    was = None
    if previous is not None:
        previous.replaced_at = now
        was = (
            f"{PMAnswerFacts.of(previous).describe(ctx.today())} "
            f"({user(previous.answered_by)}, {format_date(answered_date(ctx, previous), ctx.today())})"
        )
    escalation.status = "answered"
    escalation.answered_at = now
    escalation.next_check_at = None
    if item is not None and escalation.item_id is None:
        escalation.item_id = item.id
    session.flush()

    for question in waiting:
        question.status = "answered"
        question.answered_at = now
        question.answer_id = answer.id
        if item is not None:
            question.item_id = item.id
        session.flush()
        facts = replace(facts_for(session=session, ctx=ctx, question=question), updated_from=was)
        record_told(question, facts)
        audience = q.audience_of(session=session, channel_id=question.channel_id)
        send_to_watcher(
            session=session,
            ctx=ctx,
            question=question,
            key=f"relay:{answer.id}:{question.id}",
            message=relay_message(facts, PMAnswerFacts.of(answer), audience, ctx.settings.tz),
        )
        if item is not None:
            # the question becomes another way of naming its item (see bot.roadmap.matching)
            add_phrasing(
                session=session,
                item_id=item.id,
                text=question.text,
                now=now,
                taught_by=TAUGHT_BY_PM,
            )

    summary = PMAnswerFacts.of(answer).describe(ctx.today())
    if scope == DEAL:
        deal = f" ({escape(answer.customer)})" if answer.customer else ""
        summary += f", for this deal only{deal}"
    else:
        summary += ", for every deal"
    reps = len({w.asker_id for w in waiting})
    answered = f"Answered by {user(user_id)}: {summary}."
    if was:
        answered += f" Replaces the earlier answer: {was}."
    answered += (
        f" Sent to {reps} waiting rep{'' if reps == 1 else 's'}. Reused for later questions "
        f"for {answer_in.valid_days} days, or until the item changes."
    )
    sends.update(
        session,
        key=f"escalation:{escalation.id}:answered:{answer.id}",
        channel_id=escalation.channel_id,
        ts=EscalationPost(escalation.id),
        message=escalation_message(
            session=session, escalation=escalation, ctx=ctx, candidates=[], answered=answered
        ),
        now=now,
    )
    reply_in_thread(
        session=session,
        escalation=escalation,
        dedupe_key=f"answer:{answer.id}:confirm",
        text=f":white_check_mark: Recorded. {answered}",
        now=now,
    )
    moved = {i for i in (item.id if item else None, previous.item_id if previous else None) if i}
    if moved:  # the answer may move the item's date past a promise
        check_promises(session=session, ctx=ctx, item_ids=sorted(moved))
    ctx.wake_delivery()
    return answer


def answered_date(ctx: Context, answer: Answer) -> dt.date:
    return answer.answered_at.astimezone(ctx.settings.tz).date()


def send_to_watcher(
    *, session: Session, ctx: Context, question: Question, key: str, message: Message
) -> None:
    """Reply where the rep asked: under their mention, or by DM for an ephemeral /canwe answer."""
    if question.source == "cli":
        return  # asked on a terminal: nobody to tell in Slack
    if question.source == "mention" and question.thread_ts:
        channel: sends.Channel = question.channel_id
    else:
        channel = sends.DirectMessage(question.asker_id)
    thread = question.thread_ts if question.source == "mention" else None
    sends.post(session, key=key, channel=channel, thread=thread, message=message, now=ctx.now())


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
    waiting = q.watchers(session=session, escalation_id=escalation.id)
    for question in waiting:
        # each rep may wait on several questions: say which one the comment is about
        body = (
            f":speech_balloon: Comment from {user(user_id)} on your question "
            f"“{quote(question.text, 150)}” (not an answer yet):\n> {quote(text, 2000)}"
        )
        message = Message(
            text=f"Comment from a colleague on your question “{escape(question.text[:80])}”: "
            f"{escape(clean_text(text)[:200])}",
            blocks=[SectionBlock(text=MarkdownTextObject(text=body))],
        )
        send_to_watcher(
            session=session,
            ctx=ctx,
            question=question,
            key=f"comment:{event_key}:{question.id}",
            message=message,
        )
    ctx.wake_delivery()
    return len(waiting)
