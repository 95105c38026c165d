"""Replies in an escalation thread: an owner's verdict is an answer; anything else a comment."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answering import AnswerInput, check_input, may_answer, record_answer, relay_comment
from bot.context import Context
from bot.escalation import parse_verdict_reply
from bot.verdicts import Verdict
from store.models import Escalation
from store.outbox import enqueue

LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def escalation_thread(*, session: Session, channel_id: str, thread_ts: str) -> Escalation | None:
    """The escalation whose PM thread this is, if any."""
    return session.scalar(
        select(Escalation).where(
            Escalation.channel_id == channel_id, Escalation.message_ts == thread_ts
        )
    )


def handle_thread_reply(
    *,
    session: Session,
    ctx: Context,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    text: str,
    event_key: str,
) -> str | None:
    escalation = escalation_thread(session=session, channel_id=channel_id, thread_ts=thread_ts)
    if escalation is None:
        return None
    text = LEADING_MENTION.sub("", text)  # "@canwe yes by …" is the same answer
    parsed = parse_verdict_reply(text)
    if parsed and escalation.status == "open" and may_answer(ctx, escalation, user_id):
        verdict, date, note = parsed
        answer_in = AnswerInput(
            verdict=Verdict(verdict),
            promise_date=date,
            note=note,
            valid_days=ctx.settings.canwe_answer_valid_days,
        )
        problems = check_input(answer_in, ctx.today())
        if verdict in (Verdict.committed, Verdict.not_by_then) and date is None:
            problems["date"] = (
                "I need a date with that verdict, e.g. `yes by 2027-04-01 …`, or use the buttons."
            )
        if problems:
            enqueue(
                session=session,
                dedupe_key=f"answer-refused:{event_key}",
                method="chat.postMessage",
                now=ctx.now(),
                payload={
                    "channel": channel_id,
                    "thread_ts": thread_ts,
                    "text": f"<@{user_id}> Not recorded: {' '.join(problems.values())}",
                },
            )
            ctx.wake_delivery()
            return "answer refused"
        record_answer(
            session=session,
            ctx=ctx,
            escalation_id=escalation.id,
            user_id=user_id,
            answer_in=answer_in,
            source_key=event_key,
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
    return "comment"
