"""What happens when a rep asks: store the question, decide, escalate if needed, reply.

Everything runs in the caller's transaction, so a question is stored together with the
messages that report it, or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.parsing import (
    ParsedQuestion,
    clean_text,
    follow_up_of,
    has_words,
    parse_question,
)
from bot.core.requests import feature_words
from bot.core.truth import told_before
from bot.core.verdicts import Verdict, format_date
from bot.escalations.posting import escalate
from bot.questions.choosing import OFFERED, may_offer, offer, offer_again
from bot.questions.messages import (
    answer_message,
    error_message,
    several_features_message,
    too_long_message,
    unknown_word_message,
    usage_message,
    what_feature_message,
    why_date_message,
)
from bot.roadmap.facts import AnswerFacts, EscalationFacts, ItemFacts, PMAnswerFacts
from bot.roadmap.known import answer_for
from bot.roadmap.matching import MatchResult, match
from bot.slack import sends
from bot.slack.blocks import Message
from store import questions as q
from store.models import Answer, Escalation, Item, Question

DOUBLE_SUBMIT_WINDOW = dt.timedelta(minutes=2)
ESCALATED_VERDICTS = (Verdict.unknown, Verdict.not_committed)


@dataclass(frozen=True)
class Asked:
    message: Message
    question_id: int | None  # None when nothing was stored (usage shown instead)
    duplicate: bool = False


def ask(
    *,
    session: Session,
    ctx: Context,
    raw_text: str,
    asker_id: str,
    channel_id: str,
    source: str,
    request_key: str,
    thread_ts: str | None = None,
    needed_by: dt.date | None = None,
    reply_in_thread: bool = False,
) -> Asked:
    """Answer a question. With `reply_in_thread`, the reply goes through the outbox into
    `thread_ts`; otherwise the caller shows `message` (in the ack, or on the terminal)."""
    now = ctx.now()
    today = ctx.today()
    privately = (
        dict(channel_id=channel_id, thread_ts=thread_ts, user_id=asker_id, key=request_key)
        if reply_in_thread and thread_ts
        else None
    )
    parsed = parse_question(raw_text, today)
    if not has_words(parsed.text):
        return _not_a_question(session, ctx, usage_message(), privately)
    follow_up = _only_a_deal(parsed, today)
    if follow_up is not None and not match(parsed.text, session=session).candidates:
        # "what about Globex, by June?": about the feature of the thread's first question
        first = (
            q.first_in_thread(session=session, channel_id=channel_id, thread_ts=thread_ts)
            if reply_in_thread and thread_ts
            else None
        )
        feature = parse_question(first.text, today).feature if first else ""
        if not feature_words(feature):  # nothing to follow: which feature?
            return _not_a_question(session, ctx, what_feature_message(), privately)
        raw_text = f"{feature} {follow_up}"
        parsed = parse_question(raw_text, today)
    if not feature_words(parsed.feature):  # "hi", "test", "can we promise this?"
        message = what_feature_message()
        return _not_a_question(session, ctx, message, privately)
    if parsed.truncated:  # what was cut off could change the answer: never guess at it
        message = too_long_message(len(clean_text(raw_text)))
        return _not_a_question(session, ctx, message, privately)

    # a slash command has no id of its own: the same words again at once are a double submit
    same_words = (
        (asker_id, parsed.text, now - DOUBLE_SUBMIT_WINDOW) if source == "command" else None
    )
    earlier = q.asked_before(
        session=session, request_key=request_key, channel_id=channel_id, same_words=same_words
    )
    if earlier is not None and earlier.status == OFFERED:
        message = offer_again(session=session, question=earlier)
        return Asked(message=message, question_id=earlier.id, duplicate=True)
    if earlier is not None:
        audience = q.audience_of(session=session, channel_id=channel_id)
        # said as the first time: where the PM's answer will come, "Not what I meant"
        facts = facts_for(session=session, ctx=ctx, question=earlier)
        facts = replace(facts, reply_by_dm=earlier.source == "command")
        facts = replace(
            facts, can_say_not_this=may_say_not_this(source=earlier.source, facts=facts)
        )
        return Asked(
            message=answer_message(facts, audience, ctx.settings.tz),
            question_id=earlier.id,
            duplicate=True,
        )

    if needed_by is not None:
        parsed = replace(parsed, needed_by=needed_by, date_unparsed=None)  # the option wins
    # matching strips the deal context itself, with the roadmap vocabulary as a guard
    found = match(parsed.text, session=session)
    about_a_deal = parsed.customer or parsed.needed_by or parsed.deal_value
    if not found.candidates and len(feature_words(parsed.feature)) == 1 and not about_a_deal:
        # one word that nothing on the roadmap resembles, and no deal, is too little to put
        # to a PM ("blorptastic"); with who wants it and by when ("SOC2 for Acme by March")
        # it is a question
        [word] = feature_words(parsed.feature)
        # shown as the rep wrote it ("SOC2", not "soc2")
        written = re.search(re.escape(word), parsed.feature, re.I)
        word = written.group(0) if written else word
        # a letter left of a word ("what's") is no name to repeat back
        message = unknown_word_message(word) if len(word) > 1 else what_feature_message()
        return _not_a_question(session, ctx, message, privately)
    item = session.get(Item, found.best.item_id) if found.confident and found.best else None
    several = several_features(parsed, item, session=session)
    if several:  # one confident answer would hide the others
        message = several_features_message(several)
        return _not_a_question(session, ctx, message, privately)
    if item is not None and parsed.customer and _mentions(item, parsed.customer):
        # "export to SAP": a name the item itself mentions is not who the deal is with
        names = parsed.customer.lower()
        parsed = parse_question(raw_text, today, frozenset({names, *names.split()}))
        if needed_by is not None:
            parsed = replace(parsed, needed_by=needed_by, date_unparsed=None)

    # what the rep is told is decided before the question is stored, so that it is stored
    # once, as it ends up (one INSERT, no UPDATE after it: a round trip less per /canwe)
    audience = q.audience_of(session=session, channel_id=channel_id)
    question = Question(
        request_key=request_key,
        text=parsed.text,
        asker_id=asker_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        source=source,
        customer=parsed.customer,
        deal_value=parsed.deal_value,
        deal_currency=parsed.deal_currency,
        needed_by=parsed.needed_by,
        status="answered",
        verdict=Verdict.unknown,
        confidence=found.confidence,
        item_id=item.id if item else None,
        created_at=now,
    )
    facts = decide(
        session=session, ctx=ctx, question=question, item=item, found=found, parsed=parsed
    )
    record_told(question, facts)
    facts = with_change_since(session=session, ctx=ctx, question=question, facts=facts)
    facts = replace(facts, reply_by_dm=source == "command")
    needs_pm = facts.pm_answer is None and facts.verdict in ESCALATED_VERDICTS
    offering = item is None and may_offer(session=session, question=question, found=found)
    if offering:
        question.status = OFFERED
    elif needs_pm and source == "cli":
        # the command line is for looking things up: nobody in Slack is waiting for the answer
        question.answered_at = now
        facts = replace(
            facts,
            notes=[
                *facts.notes,
                "Asked from the command line, so no PM was asked: ask in Slack to reach the owner.",
            ],
        )
    elif not needs_pm:
        question.answered_at = now
    session.add(question)
    session.flush()
    facts = replace(facts, question_id=question.id)

    offered = None
    if offering:
        # "did you mean": the rep picks among the plausible items, or asks the PM
        offered = offer(session=session, question=question, found=found)
    elif needs_pm and source != "cli":
        escalation = escalate(
            session=session,
            ctx=ctx,
            question=question,
            item=item,
            match=found,
            reason=facts.verdict.value,
            feature=parsed.feature,
        )
        facts = replace(facts, escalation=escalation)
    facts = replace(facts, can_say_not_this=may_say_not_this(source=source, facts=facts))

    message = offered or answer_message(facts, audience, ctx.settings.tz)
    if reply_in_thread:
        sends.post(
            session,
            key=f"reply:{question.id}",
            channel=channel_id,
            thread=thread_ts,
            message=message,
            now=now,
        )
        ctx.wake_delivery()
    return Asked(message=message, question_id=question.id)


def _only_a_deal(parsed: ParsedQuestion, today: dt.date) -> str | None:
    """What the question says of a deal (a customer, a date, money) when it names no feature:
    "for Globex, by June?" for "what about Globex, by June?", a follow-up in a thread; None
    when it names a feature ("what about dark mode for Acme?") or no deal."""
    follow_up = follow_up_of(parsed.text)
    if follow_up is not None:
        return None if feature_words(parse_question(follow_up, today).feature) else follow_up
    about_a_deal = parsed.customer or parsed.needed_by or parsed.deal_value or parsed.date_unparsed
    return parsed.text if about_a_deal and not feature_words(parsed.feature) else None


def may_say_not_this(*, source: str, facts: AnswerFacts) -> bool:
    """A rep in Slack may turn down the item an answer is about while it is only canwe's
    reading of their words (or their own pick): not once a PM was asked or answered."""
    return (
        source in ("command", "mention")
        and facts.item is not None
        and facts.escalation is None
        and facts.pm_answer is None
    )


# "SSO and SCIM", "audit logs, SSO; SCIM": the separators between features in one question
# a part the rep rules out is not asked about: "Teams notifications, not Slack"
_RULED_OUT = re.compile(r"\s*(?:not|no|but\s+not|instead\s+of|rather\s+than|except)\b", re.I)
_FEATURE_SEPARATORS = re.compile(r"\s*(?:[,;]|\s(?:and|plus|&|\+)\s)\s*", re.I)
# ... and, in a question that has none of those, "with"
_WITH = re.compile(r"\s+with\s+", re.I)


def _feature_parts(feature: str, separators: re.Pattern[str]) -> list[str]:
    return [p for p in separators.split(feature) if feature_words(p) and not _RULED_OUT.match(p)]


def several_features(parsed: ParsedQuestion, whole: Item | None, *, session: Session) -> list[str]:
    """Titles of the different roadmap items the parts of one question name with confidence,
    when there are two or more of them; else []."""
    if whole is not None and _FEATURE_SEPARATORS.search(whole.title):
        return []  # "Import and export of dashboards" is one item
    parts = _feature_parts(parsed.feature, _FEATURE_SEPARATORS)
    if len(parts) < 2 and not (whole is not None and _WITH.search(whole.title)):
        # "Okta SSO with SCIM deprovisioning" was answered for SCIM alone; "SSO with Okta"
        # is one item, whose title says "with"
        parts = _feature_parts(parsed.feature, _WITH)
    if len(parts) < 2:
        return []
    titles: dict[int, str] = {}
    for part in parts[:MAX_FEATURES_CHECKED]:
        found = match(part, session=session)
        if found.confident and found.best:
            item = session.get(Item, found.best.item_id)
            titles.setdefault(item.id, item.title)
    return list(titles.values()) if len(titles) > 1 else []


MAX_FEATURES_CHECKED = 5


def _mentions(item: Item, name: str) -> bool:
    """Every word of `name` appears in the item's title, aliases or description."""
    words = set(
        re.findall(r"[\w&.\-']+", " ".join([item.title, *item.aliases, item.description]).lower())
    )
    return all(word in words for word in name.lower().split())


def _not_a_question(
    session: Session, ctx: Context, message: Message, privately: dict | None
) -> Asked:
    """Nothing is stored: the caller shows `message`; under a mention it goes, through the
    outbox, to the asker alone (`privately`: where, to whom, and the request's key)."""
    if privately is not None:
        reply_privately(session=session, ctx=ctx, message=message, **privately)
    return Asked(message=message, question_id=None)


def reply_privately(
    *,
    session: Session,
    ctx: Context,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    message: Message,
    key: str,
) -> None:
    """An ephemeral reply to a mention (usage, a subcommand's answer): only the asker sees it,
    in the thread of the mention."""
    sends.post_privately(
        session,
        key=f"private:{key}",  # one reply per request, however often Slack sends it
        channel_id=channel_id,
        user_id=user_id,
        thread=thread_ts,
        message=message,
        now=ctx.now(),
    )
    ctx.wake_delivery()


def decide(
    *,
    session: Session,
    ctx: Context,
    question: Question,
    item: Item | None,
    found: MatchResult,
    parsed: ParsedQuestion | None = None,
) -> AnswerFacts:
    """The verdict and everything said with it, from the store as it is now."""
    today = ctx.today()
    needed_by = question.needed_by
    notes: list[str] = []
    date_notes: list[str] = []
    if parsed is not None and parsed.date_unparsed:
        date_notes.append(f"I could not read “{parsed.date_unparsed}” as a date, so I ignored it.")
    if parsed is not None and parsed.deal_value_ignored:
        notes.append(
            f"I ignored the deal value “{parsed.deal_value_ignored.strip()[:40]}”: "
            "it is more than $10 billion."
        )
    if needed_by is not None and needed_by < today:
        date_notes.append(f"The date you need it by, {format_date(needed_by)}, has already passed.")

    said = dict(
        question_id=question.id,
        question_text=question.text,
        today=today,
        customer=question.customer,
        deal_value=question.deal_value,
        deal_currency=question.deal_currency,
        needed_by=needed_by,
        notes=notes,
        date_notes=date_notes,
    )
    if item is None:
        facts = AnswerFacts(verdict=Verdict.unknown, others=list(found.candidates[:3]), **said)
        if question.escalation_id is None:
            return facts
        # an unmatched question a PM answered in its thread without naming an item
        truth = answer_for(
            session=session,
            ctx=ctx,
            item=None,
            customer=question.customer,
            needed_by=needed_by,
            escalation_id=question.escalation_id,
        )
        if truth.pm is None:
            return facts
        answer = PMAnswerFacts.of(session.get(Answer, truth.pm.answer_id))
        return replace(facts, verdict=truth.verdict, date=truth.date, pm_answer=answer, others=[])

    others = [c for c in found.candidates[1:3] if found.best and found.best.score - c.score < 0.15]
    truth = answer_for(
        session=session,
        ctx=ctx,
        item=item,
        customer=question.customer,
        needed_by=needed_by,
        audience=q.audience_of(session=session, channel_id=question.channel_id),
        escalation_id=question.escalation_id,
    )
    pm_answer = None
    if truth.pm is not None:
        pm_answer = PMAnswerFacts.of(session.get(Answer, truth.pm.answer_id))
    return AnswerFacts(
        verdict=truth.verdict,
        item=ItemFacts.of(item),
        safe=truth.safe,
        date=truth.date,
        overrides=truth.overrides,
        others=others,
        pm_answer=pm_answer,
        can_ask_exception=truth.verdict == Verdict.not_by_then,
        **said,
    )


def record_told(question: Question, facts: AnswerFacts) -> None:
    """Keep what the rep is told: the verdict, and the date given with it."""
    question.verdict = facts.verdict
    dated = facts.verdict in (Verdict.committed, Verdict.not_by_then)
    question.told_date = facts.date if dated else None


def with_change_since(
    *, session: Session, ctx: Context, question: Question, facts: AnswerFacts
) -> AnswerFacts:
    """An answer that differs from what this rep was told about the item before says that it
    replaces it (a PM answered since, or the roadmap moved)."""
    if question.item_id is None:
        return facts
    earlier = q.last_told(
        session=session, asker_id=question.asker_id, item_id=question.item_id, before_id=question.id
    )
    if earlier is None or earlier.answered_at is None:
        return facts
    before = told_before(
        (Verdict(earlier.verdict), earlier.told_date), (facts.verdict, facts.date), ctx.today()
    )
    if before is None:
        return facts
    told_on = earlier.answered_at.astimezone(ctx.settings.tz).date()
    return replace(facts, told_before=before, told_on=told_on)


def facts_for(*, session: Session, ctx: Context, question: Question) -> AnswerFacts:
    """Rebuild what was said for a stored question (for a repeat or a relay)."""
    item = session.get(Item, question.item_id) if question.item_id else None
    found = MatchResult(candidates=[], confidence=question.confidence, confident=item is not None)
    facts = decide(session=session, ctx=ctx, question=question, item=item, found=found)
    if question.escalation_id is not None and question.status == "escalated":
        escalation = session.get(Escalation, question.escalation_id)
        facts = replace(
            facts,
            escalation=EscalationFacts(
                escalation_id=escalation.id,
                channel_id=escalation.channel_id,
                owner_id=escalation.owner_id,
                due_at=escalation.due_at,
            ),
        )
    return facts


def why_this_date(*, session: Session, ctx: Context, question_id: int) -> Message:
    """The longer reasoning behind the date an answer gave ("Why this date?")."""
    question = session.get(Question, question_id)
    if question is None:
        return error_message("I no longer have that question; ask it again.")
    return why_date_message(facts_for(session=session, ctx=ctx, question=question))
