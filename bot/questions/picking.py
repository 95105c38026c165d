"""The rep's pick on a "did you mean" reply (see bot.questions.choosing), and "Not what I
meant" on an answer.

Picking an item answers at once with that item's verdict (as if the matcher had found it),
teaches the matcher the question as a wording of the item, and never asks a PM. "None of
these" asks the PM as an unmatched question always did, with the candidates shown to them.
"Not what I meant" on an answer takes back the item it was about (and the wording, if it was
learnt), and offers the other plausible items instead, or asks the PM when there are none.
Only the rep who asked may click: in a channel anyone can see the buttons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.parsing import parse_question
from bot.core.text import escape
from bot.core.verdicts import Verdict
from bot.escalations.answering import send_to_watcher
from bot.escalations.posting import escalate
from bot.questions.asking import decide, may_say_not_this, record_told, with_change_since
from bot.questions.choice_messages import did_you_mean_message
from bot.questions.choosing import OFFERED, offered_items
from bot.questions.messages import answer_message
from bot.roadmap.matching import MatchResult, alternatives, match
from bot.slack import sends
from bot.slack.blocks import Message, section_block
from bot.slack.wording import user
from store import questions as q
from store.models import Item, Question
from store.phrasings import add_phrasing, forget_phrasing
from store.promises import promise_for_question


@dataclass(frozen=True)
class Picked:
    """What a click on the choice leads to: a reply to show in place of the choice (for a
    /canwe answer only Slack's response_url can replace), a refusal shown only to the person
    who clicked, or neither: the reply replaces the choice through the outbox."""

    message: Message | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class Clicked:
    """The click: the message it was on (under a mention, one of the bot's own), and Slack's
    id of the click (its action_ts)."""

    channel_id: str | None = None
    message_ts: str | None = None
    click_id: str | None = None


def _reply(
    *, session: Session, ctx: Context, question: Question, message: Message, clicked: Clicked
) -> Picked:
    """Under a mention the choice is a message of the bot's own: the outbox replaces it with
    the reply, retried until Slack has it. An ephemeral /canwe choice can only be replaced
    through the click's response_url, by the caller. The outbox's key is the click's own
    (Slack's action_ts): one question's message may be replaced several times (an answer,
    "Not what I meant", a choice, another answer), each click once."""
    if question.source == "mention" and clicked.channel_id and clicked.message_ts:
        sends.update(
            session,
            key=f"picked:{question.id}:{clicked.click_id or ctx.now().isoformat()}",
            channel_id=clicked.channel_id,
            ts=clicked.message_ts,
            message=message,
            now=ctx.now(),
        )
        ctx.wake_delivery()
        return Picked()
    return Picked(message=message)


def _waiting(session: Session, question_id: int, user_id: str) -> tuple[Question | None, str]:
    question = session.get(Question, question_id, with_for_update=True)
    if question is None:
        return None, "I no longer have that question: please ask again."
    if user_id != question.asker_id:
        return None, f"Only {user(question.asker_id)}, who asked, can pick for this question."
    if question.status != OFFERED:
        return None, "You already picked for this question: its answer is above."
    return question, ""


def pick_item(
    *,
    session: Session,
    ctx: Context,
    question_id: int,
    item_id: int,
    user_id: str,
    clicked: Clicked = Clicked(),
) -> Picked:
    """The rep picked `item_id`: answer with its verdict, learn the wording, ask no PM."""
    question, refusal = _waiting(session, question_id, user_id)
    if question is None:
        return Picked(refusal=refusal)
    item = session.get(Item, item_id)
    if item is None:
        return Picked(refusal="That roadmap item was removed: please ask again.")
    now = ctx.now()
    question.item_id = item.id
    # read again for what the answer says about the question itself: a date it could not
    # read ("by FY27"), a deal value it ignored
    parsed = parse_question(question.text, ctx.today())
    if question.needed_by is not None:  # read when asked, or given as an option
        parsed = replace(parsed, date_unparsed=None)
    facts = decide(
        session=session,
        ctx=ctx,
        question=question,
        item=item,
        found=MatchResult(candidates=[], confidence=question.confidence, confident=True),
        parsed=parsed,
    )
    record_told(question, facts)
    facts = with_change_since(session=session, ctx=ctx, question=question, facts=facts)
    question.status = "answered"
    question.answered_at = now
    # the rep's own words now name the item (see bot.roadmap.matching)
    add_phrasing(session=session, item_id=item.id, text=question.text, now=now)
    facts = replace(facts, others=[], reply_by_dm=question.source == "command")
    facts = replace(facts, can_say_not_this=may_say_not_this(source=question.source, facts=facts))
    audience = q.audience_of(session=session, channel_id=question.channel_id)
    message = answer_message(facts, audience, ctx.settings.tz)
    return _reply(session=session, ctx=ctx, question=question, message=message, clicked=clicked)


def pick_none(
    *,
    session: Session,
    ctx: Context,
    question_id: int,
    user_id: str,
    clicked: Clicked = Clicked(),
) -> Picked:
    """None of the offered items: ask the PM as for any unmatched question, showing them the
    candidates the rep turned down."""
    question, refusal = _waiting(session, question_id, user_id)
    if question is None:
        return Picked(refusal=refusal)
    message = _ask_the_pm(session=session, ctx=ctx, question=question)
    return _reply(session=session, ctx=ctx, question=question, message=message, clicked=clicked)


def not_this(
    *,
    session: Session,
    ctx: Context,
    question_id: int,
    user_id: str,
    clicked: Clicked = Clicked(),
) -> Picked:
    """The rep says their question is not about the item canwe answered it with: take the
    item back (and these words as a wording of it), then offer the other plausible items,
    or ask the PM when there are none (or the channel is not offered internal statuses)."""
    question = session.get(Question, question_id, with_for_update=True)
    if question is None:
        return Picked(refusal="I no longer have that question: please ask again.")
    if user_id != question.asker_id:
        return Picked(
            refusal=f"Only {user(question.asker_id)}, who asked, can say which feature they meant."
        )
    if question.escalation_id is not None or question.answer_id is not None:
        return Picked(
            refusal="A PM was asked about this answer, so it stays: tell them in their thread."
        )
    if question.item_id is None or question.status != "answered":
        return Picked(refusal="This answer was already taken back: what replaced it is above.")
    wrong = session.get(Item, question.item_id)
    if promise_for_question(session=session, question_id=question.id) is not None:
        return Picked(
            refusal=f"You marked this promised to the customer for {escape(wrong.title)}: "
            "ask again in other words for another feature."
        )
    now = ctx.now()
    forget_phrasing(session=session, item_id=wrong.id, text=question.text)
    question.item_id = None
    question.turned_down_item_id = wrong.id
    question.verdict = Verdict.unknown
    question.told_date = None
    others = alternatives(question.text, session=session, excluding=wrong.id)
    audience = q.audience_of(session=session, channel_id=question.channel_id)
    if others and audience != "marketing":
        question.status = OFFERED
        question.answered_at = now  # a choice left unpicked is escalated counting from now
        message = did_you_mean_message(
            question_id=question.id,
            question_text=question.text,
            items=offered_items(others),
            asker_id=question.asker_id,
            in_channel=question.source == "mention",
            turned_down=wrong.title,
        )
    else:
        question.answered_at = None
        message = _ask_the_pm(session=session, ctx=ctx, question=question)
    return _reply(session=session, ctx=ctx, question=question, message=message, clicked=clicked)


def _ask_the_pm(*, session: Session, ctx: Context, question: Question) -> Message:
    """Escalate an offered question as an unmatched one; the reply that says so. The item the
    rep turned down, if any, is not among the candidates the PM is shown."""
    found = match(question.text, session=session).without(question.turned_down_item_id)
    parsed = parse_question(question.text, ctx.today())
    escalation = escalate(
        session=session,
        ctx=ctx,
        question=question,
        item=None,
        match=found,
        reason=Verdict.unknown.value,
        feature=parsed.feature,
    )
    facts = decide(session=session, ctx=ctx, question=question, item=None, found=found)
    facts = replace(facts, escalation=escalation, reply_by_dm=question.source == "command")
    audience = q.audience_of(session=session, channel_id=question.channel_id)
    return answer_message(facts, audience, ctx.settings.tz)


# A choice nobody picks is not a question dropped: after this long the PM is asked anyway.
UNPICKED_WAIT = dt.timedelta(hours=4)


def escalate_unpicked(*, session: Session, ctx: Context, limit: int = 200) -> int:
    """Ask the PM about questions whose rep left the "did you mean" choice unpicked, and tell
    the rep where their question went. Returns how many."""
    waiting = q.offered_before(session=session, before=ctx.now() - UNPICKED_WAIT, limit=limit)
    for question in waiting:
        message = _ask_the_pm(session=session, ctx=ctx, question=question)
        note = "You did not pick one of the items I offered, so I asked the PM instead."
        send_to_watcher(
            session=session,
            ctx=ctx,
            question=question,
            key=f"unpicked:{question.id}",
            message=Message(
                text=f"{note} {message.text}",
                blocks=[section_block(f":hourglass: {note}"), *message.blocks],
            ),
        )
    if waiting:
        ctx.wake_delivery()
    return len(waiting)
