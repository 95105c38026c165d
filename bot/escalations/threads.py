"""Replies in an escalation thread: an owner's verdict is an answer; anything else a comment."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.parsing import unreadable_date
from bot.core.text import escape
from bot.core.truth import DEAL, ITEM
from bot.core.verdicts import Verdict
from bot.escalations.answering import (
    AnswerInput,
    check_input,
    may_answer,
    record_answer,
    relay_comment,
)
from bot.escalations.posting import ANSWER_EXAMPLES, parse_verdict_reply
from bot.slack import sends
from store.db import session_scope
from store.events import first_time
from store.models import Escalation

# "@canwe yes by …", "@here yes by …": who a reply calls first is not part of the answer
LEADING_MENTIONS = re.compile(r"^\s*(?:<[@!][^<>]*>\s*)+")
# A PM can reply the moment Slack shows the escalation, before delivery has recorded its ts:
# such a reply waits this long (in short steps) for the thread to be known, instead of being
# dropped as a reply in some other thread.
THREAD_WAIT_SECONDS = 2.0
THREAD_WAIT_STEP = 0.05
DELIBERATE_NO = re.compile(r"^\s*no\s*(?:[,.:;!-]|$)", re.I)
THIS_DEAL = re.compile(
    r"\b(this deal only|only (for )?this deal|just (for )?this deal|this customer only)\b", re.I
)
EVERY_DEAL = re.compile(r"\b(every deal|all deals|everyone|every customer|all customers)\b", re.I)


def scope_in(note: str) -> str | None:
    """The scope a thread reply states ("… this deal only", "… for every deal"); None: the
    escalation's default (this deal only for an exception request)."""
    if THIS_DEAL.search(note):
        return DEAL
    if EVERY_DEAL.search(note):
        return ITEM
    return None


def escalation_thread(*, session: Session, channel_id: str, thread_ts: str) -> Escalation | None:
    """The escalation whose PM thread this is, if any."""
    return session.scalar(
        select(Escalation).where(
            Escalation.channel_id == channel_id, Escalation.message_ts == thread_ts
        )
    )


def escalation_post_unrecorded(*, session: Session, channel_id: str) -> bool:
    """An open escalation in this channel whose thread ts delivery has not recorded yet."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Escalation.channel_id == channel_id,
                    Escalation.message_ts.is_(None),
                    Escalation.status == "open",
                )
            )
        )
    )


def reply_in_thread(
    *,
    ctx: Context,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    text: str,
    event_key: str,
    message_ts: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Handle a message in a thread once (Slack retries are ignored): an answer or a comment
    in an escalation thread, nothing elsewhere. A reply to an escalation posted a moment ago
    waits, briefly, for delivery to record the thread."""
    waited = 0.0
    while True:
        with session_scope(ctx.sessions) as session:
            if escalation_thread(session=session, channel_id=channel_id, thread_ts=thread_ts):
                if not first_time(session=session, event_id=event_key, now=ctx.now()):
                    return None
                return handle_thread_reply(
                    session=session,
                    ctx=ctx,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    user_id=user_id,
                    text=text,
                    event_key=event_key,
                    message_ts=message_ts,
                )
            if waited >= THREAD_WAIT_SECONDS or not escalation_post_unrecorded(
                session=session, channel_id=channel_id
            ):
                return None
        sleep(THREAD_WAIT_STEP)
        waited += THREAD_WAIT_STEP


def handle_thread_reply(
    *,
    session: Session,
    ctx: Context,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    text: str,
    event_key: str,
    message_ts: str | None = None,
) -> str | None:
    escalation = escalation_thread(session=session, channel_id=channel_id, thread_ts=thread_ts)
    if escalation is None:
        return None
    text = LEADING_MENTIONS.sub("", text)
    parsed = parse_verdict_reply(text, ctx.today())
    # an owner's verdict in an answered thread is a new version of the answer, on purpose:
    # there a bare "no" must stand alone ("no, …"), so "no problem, thanks" stays a comment
    answered = escalation.status != "open"
    if parsed and parsed[0] == Verdict.no and answered and not DELIBERATE_NO.match(text):
        parsed = None
    if parsed and may_answer(ctx, escalation, user_id):
        verdict, date, note = parsed
        answer_in = AnswerInput(
            verdict=Verdict(verdict),
            promise_date=date,
            note=note,
            valid_days=ctx.settings.canwe_answer_valid_days,
            scope=scope_in(note),
        )
        problems = check_input(answer_in, ctx.today())
        if verdict in (Verdict.committed, Verdict.not_by_then) and date is None:
            written = unreadable_date(note, ctx.today())
            problems["date"] = (
                f"“{escape(written)}” is not a day of the calendar: write the date like "
                "`April 1` or `2027-04-01`, or use the buttons."
                if written
                else "I need a date with that verdict, e.g. `yes, April 1` or "
                "`not by then: Mar 1 is the earliest`, or use the buttons."
            )
        if problems:
            _say_in_thread(
                session,
                ctx,
                channel_id,
                thread_ts,
                key=f"answer-refused:{event_key}",
                text=f"<@{user_id}> Not recorded: {' '.join(problems.values())}",
            )
            return "answer refused"
        record_answer(
            session=session,
            ctx=ctx,
            escalation_id=escalation.id,
            user_id=user_id,
            answer_in=answer_in,
            # one message is one answer, whichever events (message, mention, retry) bring it
            source_key=f"message:{channel_id}:{message_ts}" if message_ts else f"event:{event_key}",
        )
        return "answer"
    relay_comment(
        session=session,
        ctx=ctx,
        escalation=escalation,
        user_id=user_id,
        text=text,
        event_key=event_key,
    )
    if may_answer(ctx, escalation, user_id):
        # the owner said something that is not an answer: say how to answer, once a thread
        _say_in_thread(
            session,
            ctx,
            channel_id,
            thread_ts,
            key=f"answer-hint:{escalation.id}",
            text="Sent to the waiting reps as a comment. To answer, start with a "
            f"verdict: {ANSWER_EXAMPLES}, or use the buttons.",
            only_to=user_id,
        )
    return "comment"


def _say_in_thread(
    session: Session,
    ctx: Context,
    channel_id: str,
    thread_ts: str,
    *,
    key: str,
    text: str,
    only_to: str | None = None,
) -> None:
    """A line from the bot in the escalation thread, once per `key`; `only_to` makes it
    visible to that person alone."""
    if only_to is None:
        sends.post(
            session, key=key, channel=channel_id, thread=thread_ts, message=text, now=ctx.now()
        )
    else:
        sends.post_privately(
            session,
            key=key,
            channel_id=channel_id,
            user_id=only_to,
            thread=thread_ts,
            message=text,
            now=ctx.now(),
        )
    ctx.wake_delivery()
