"""'Did you mean': when no item is confident but a few are plausible, the rep is offered
them to pick from (see bot.questions.picking for the pick)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.verdicts import Verdict
from bot.questions.choice_messages import OfferedItem, did_you_mean_message
from bot.roadmap.matching import Candidate, MatchResult, alternatives, match
from bot.slack.blocks import Message
from store import questions as q
from store.models import Question

# Question.status while the rep has the candidates in front of them and has not picked
OFFERED = "offered"


def offered_items(candidates: list[Candidate]) -> list[OfferedItem]:
    # from the matcher's copy of the roadmap, which is the store's as of this match (any change
    # to an item makes it reload): a round trip fewer for every "did you mean"
    return [
        OfferedItem(
            item_id=candidate.item_id,
            key=candidate.key,
            title=candidate.title,
            status=candidate.status,
            description=candidate.opening,
            url=candidate.url,
        )
        for candidate in candidates
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
        items=offered_items(found.offered),
        asker_id=question.asker_id,
        in_channel=question.source == "mention",
    )


def offer_again(*, session: Session, question: Question) -> Message:
    """The same choice for a repeated request (a double submit, a Slack retry)."""
    if question.turned_down_item_id is not None:  # offered after "Not what I meant"
        items = alternatives(question.text, session=session, excluding=question.turned_down_item_id)
    else:
        items = match(question.text, session=session).offered
    return did_you_mean_message(
        question_id=question.id,
        question_text=question.text,
        items=offered_items(items),
        asker_id=question.asker_id,
        in_channel=question.source == "mention",
    )
