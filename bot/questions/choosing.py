"""'Did you mean': when no item is confident but a few are plausible, the rep is offered
them to pick from (see bot.questions.picking for the pick)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.verdicts import Verdict
from bot.questions.choice_messages import OfferedItem, did_you_mean_message
from bot.roadmap.matching import MatchResult, match
from bot.slack.blocks import Message
from store import questions as q
from store.models import Item, Question

# Question.status while the rep has the candidates in front of them and has not picked
OFFERED = "offered"


def offered_items(*, session: Session, found: MatchResult) -> list[OfferedItem]:
    ids = [candidate.item_id for candidate in found.offered]
    if not ids:
        return []
    # one query for all of them: one round trip an item was a fifth of a /canwe under load
    rows = {
        row.id: row
        for row in session.execute(
            select(Item.id, Item.key, Item.title, Item.status, Item.description, Item.url).where(
                Item.id.in_(ids)
            )
        )
    }
    return [
        OfferedItem(
            item_id=row.id,
            key=row.key,
            title=row.title,
            status=row.status,
            description=row.description or "",
            url=row.url,
        )
        for row in (rows.get(item_id) for item_id in ids)
        if row is not None
    ]


def may_offer(*, session: Session, question: Question, found: MatchResult) -> bool:
    """Offer a choice when something is plausible, to someone in Slack who can pick. Marketing
    channels are not offered internal statuses of items nobody matched."""
    if found.confident or not found.offered or question.source not in ("command", "mention"):
        return False
    return q.audience_of(session=session, channel_id=question.channel_id) != "marketing"


def offer(*, session: Session, question: Question, found: MatchResult) -> Message:
    """Mark `question` as waiting for the rep's pick and build the reply that offers the items."""
    question.status = OFFERED
    question.verdict = Verdict.unknown
    return did_you_mean_message(
        question_id=question.id,
        question_text=question.text,
        items=offered_items(session=session, found=found),
        asker_id=question.asker_id,
        in_channel=question.source == "mention",
    )


def offer_again(*, session: Session, question: Question) -> Message:
    """The same choice for a repeated request (a double submit, a Slack retry)."""
    found = match(question.text, session=session)
    return did_you_mean_message(
        question_id=question.id,
        question_text=question.text,
        items=offered_items(session=session, found=found),
        asker_id=question.asker_id,
        in_channel=question.source == "mention",
    )
