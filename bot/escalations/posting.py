"""Routing a question to the PM who owns it, and keeping one thread per open question."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.deadlines import answer_due, next_check
from bot.core.parsing import find_date, normalise
from bot.core.verdicts import format_date
from bot.escalations.messages import escalation_blocks
from bot.roadmap.facts import EscalationFacts
from bot.roadmap.matching import MatchResult
from bot.roadmap.matching import match as match_question
from bot.slack import sends
from bot.slack.blocks import Message
from bot.slack.sends import EscalationPost
from bot.slack.wording import money_total, user
from store import questions as q
from store.models import Area, Escalation, Item, Question


@dataclass(frozen=True)
class Route:
    area: Area | None
    channel_id: str | None
    via: str  # item | keywords | triage | none


def route(*, session: Session, item: Item | None, text: str, triage_channel: str | None) -> Route:
    """The owner is the matched item's area; else the area whose keywords fit; else triage."""
    if item is not None and item.area is not None and item.area.channel_id:
        return Route(item.area, item.area.channel_id, "item")
    words = set(normalise(text).split())
    normalised = " " + normalise(text) + " "
    best: tuple[int, Area] | None = None
    for area in q.areas(session=session):
        if not area.channel_id:
            continue
        hits = 0
        for keyword in area.keywords or []:
            key = normalise(keyword)
            if key and (key in words or (" " in key and f" {key} " in normalised)):
                hits += 1
        if hits and (best is None or hits > best[0]):
            best = (hits, area)
    if best is not None:
        return Route(best[1], best[1].channel_id, "keywords")
    if triage_channel:
        return Route(None, triage_channel, "triage")
    return Route(None, None, "none")


def escalation_message(
    *,
    session: Session,
    escalation: Escalation,
    ctx: Context,
    candidates: list[tuple[str, str, float]],
    answered: str | None = None,
) -> Message:
    first = q.watchers(session=session, escalation_id=escalation.id)[0]
    count, _, earliest = q.watcher_summary(session=session, escalation_id=escalation.id)
    turned_down = (
        session.get(Item, first.turned_down_item_id) if first.turned_down_item_id else None
    )
    return escalation_blocks(
        reps_waiting=count,
        deals_total=money_total(q.deals_of(session=session, escalation_id=escalation.id)),
        deal_currency=first.deal_currency,
        overdue=escalation.status == "open" and ctx.now() >= escalation.due_at,
        escalation_id=escalation.id,
        question_text=first.text,
        asker_id=first.asker_id,
        channel_id=first.channel_id,
        customer=first.customer,
        deal_value=first.deal_value,
        needed_by=first.needed_by,  # the first rep's date, beside the first rep's deal
        earliest_needed=earliest,
        due_at=escalation.due_at,
        owner_id=escalation.owner_id,
        reason=escalation.reason,
        candidates=candidates,
        tz=ctx.settings.tz,
        answered=answered,
        turned_down=(turned_down.key, turned_down.title) if turned_down else None,
    )


_FILLER = {
    "a",
    "an",
    "the",
    "we",
    "our",
    "us",
    "you",
    "it",
    "its",
    "any",
    "some",
    "support",
    "supports",
    "feature",
    "features",
    "please",
    "can",
    "could",
    "do",
    "does",
    "is",
    "are",
    "have",
    "has",
    "of",
    "to",
    "for",
    "with",
    "and",
    "or",
    "in",
    "on",
}


def question_key(feature: str) -> str:
    """The words that say what is asked for, in any order and without filler: two unmatched
    questions with the same key are the same question and share one PM thread."""
    return " ".join(sorted({w for w in normalise(feature).split() if w not in _FILLER}))


def open_key(
    *, item: Item | None, reason: str, customer: str | None, match_text: str
) -> str | None:
    """What an open thread is about, the same for every question that should join it: the
    item; for an exception, the item for one customer (its answer is for that deal); for
    an unmatched question, its key words. None: nothing to join on."""
    if item is not None:
        if reason == "exception":
            deal = " ".join((customer or "").lower().split())
            return f"item:{item.id}:deal:{deal}"[:300]
        return f"item:{item.id}"
    return f"text:{match_text}"[:300] if match_text else None


def reply_in_thread(
    *, session: Session, escalation: Escalation, dedupe_key: str, text: str, now: dt.datetime
) -> None:
    """A message under the escalation's PM thread (sent once the thread itself is posted)."""
    sends.post(
        session,
        key=dedupe_key,
        channel=escalation.channel_id,
        thread=EscalationPost(escalation.id),
        message=text,
        now=now,
    )


def escalate(
    *,
    session: Session,
    ctx: Context,
    question: Question,
    item: Item | None,
    match: MatchResult,
    reason: str,
    feature: str,
) -> EscalationFacts:
    """Open (or join) the PM thread for `question`, with its messages in the outbox.

    Two processes asking the same new question at the same moment both get here with no
    thread open: the unique index on open escalations' `open_key` lets one insert win;
    the other's insert fails (on PostgreSQL it waits for the winner's commit first) and
    joins the winner's thread instead.
    """
    now = ctx.now()
    match_text = question_key(feature)
    key = open_key(item=item, reason=reason, customer=question.customer, match_text=match_text)
    existing = q.open_escalation_by_key(session=session, open_key=key) if key else None
    if existing is not None:
        return _join(session=session, ctx=ctx, escalation=existing, question=question, match=match)

    where = route(
        session=session, item=item, text=feature, triage_channel=ctx.settings.canwe_triage_channel
    )
    # with no PM channel at all the thread opens where the rep asked: visible, never dropped
    channel_id = where.channel_id or question.channel_id
    settings = ctx.settings
    due_at = answer_due(
        now,
        question.needed_by,
        tz=settings.tz,
        lead_days=settings.canwe_answer_lead_days,
        sla_days=settings.canwe_sla_days,
        holidays=settings.canwe_holidays,
    )
    escalation = Escalation(
        item_id=item.id if item else None,
        area_id=where.area.id if where.area else None,
        channel_id=channel_id,
        owner_id=where.area.pm_user_id if where.area else None,
        backup_id=where.area.backup_user_id if where.area else None,
        match_text=match_text,
        open_key=key,
        reason=reason,
        status="open",
        created_at=now,
        due_at=due_at,
        reminders_sent=0,
    )
    escalation.next_check_at = next_check(now, due_at, 0, settings.tz, settings.canwe_holidays)
    try:
        with session.begin_nested():
            session.add(escalation)
            session.flush()
    except IntegrityError:
        winner = q.open_escalation_by_key(session=session, open_key=key) if key else None
        if winner is None:
            raise
        return _join(session=session, ctx=ctx, escalation=winner, question=question, match=match)
    question.escalation_id = escalation.id
    question.status = "escalated"
    session.flush()
    candidates = candidates_of(match)
    sends.post_escalation(
        session,
        key=f"escalation:{escalation.id}",
        channel_id=channel_id,
        escalation_id=escalation.id,
        message=escalation_message(
            session=session, escalation=escalation, ctx=ctx, candidates=candidates
        ),
        now=now,
    )
    ctx.wake_delivery()
    return EscalationFacts(
        escalation_id=escalation.id,
        channel_id=channel_id,
        owner_id=escalation.owner_id,
        due_at=due_at,
    )


def update_post(
    *,
    session: Session,
    ctx: Context,
    escalation: Escalation,
    dedupe_key: str,
    candidates: list[tuple[str, str, float]] | None = None,
) -> None:
    """Show the open thread's post as it is now: who waits, for how much, and whether the
    answer is overdue. What the bot found is found again when not given."""
    if candidates is None:
        first = q.watchers(session=session, escalation_id=escalation.id)[0]
        found = match_question(first.text, session=session)
        # not the item its rep said it is not about ("Not what I meant")
        candidates = candidates_of(found.without(first.turned_down_item_id))
    sends.update(
        session,
        key=dedupe_key,
        channel_id=escalation.channel_id,
        ts=EscalationPost(escalation.id),
        message=escalation_message(
            session=session, escalation=escalation, ctx=ctx, candidates=candidates
        ),
        now=ctx.now(),
    )


def candidates_of(match: MatchResult) -> list[tuple[str, str, float]]:
    return [(c.key, c.title, c.score) for c in match.candidates]


def _join(
    *,
    session: Session,
    ctx: Context,
    escalation: Escalation,
    question: Question,
    match: MatchResult,
) -> EscalationFacts:
    asked_again = q.has_asked(
        session=session, escalation_id=escalation.id, asker_id=question.asker_id
    )
    question.escalation_id = escalation.id
    question.status = "escalated"
    session.flush()
    count, _, earliest = q.watcher_summary(session=session, escalation_id=escalation.id)
    summary = f"{count} rep{'s' if count != 1 else ''} waiting"
    deals = money_total(q.deals_of(session=session, escalation_id=escalation.id))
    if deals:
        summary += f", {deals} in deals"
    if earliest:
        summary += f", earliest needed {format_date(earliest)}"
    reply_in_thread(
        session=session,
        escalation=escalation,
        dedupe_key=f"escalation:{escalation.id}:watcher:{question.id}",
        text=f":busy_speech_bubble: {user(question.asker_id)} asked this "
        f"{'again' if asked_again else 'too'}. {summary}.",
        now=ctx.now(),
    )
    update_post(
        session=session,
        ctx=ctx,
        escalation=escalation,
        dedupe_key=f"escalation:{escalation.id}:joined:{question.id}",
        candidates=candidates_of(match),
    )
    ctx.wake_delivery()
    return EscalationFacts(
        escalation_id=escalation.id,
        channel_id=escalation.channel_id,
        owner_id=escalation.owner_id,
        due_at=escalation.due_at,
        joined_existing=True,
        watchers=count,
        asked_again=asked_again,
    )


# A reply that answers starts with a verdict word, in the words PMs use; any date the
# rep-side parser reads may follow ("yes, April 1", "not by then: Mar 1 is the earliest").
# "Not by <the rep's date>" says not by then too; its answer is the date after that one ("not
# by March, June 1 at the earliest").
VERDICT_WORDS = re.compile(
    r"^\s*(?P<verdict>not\s+by\s+then|not\s+(?:by|before)(?=\s)|not\s+committed(?:\s+yet)?|not\s+planned"
    r"|committed|yes|yep|yup|yeah|absolutely|definitely|no|nope)"
    r"\b[\s,:;.!-]*(?P<rest>.*)$",
    re.I | re.S,
)
_VERDICT_OF_WORD = {
    "yes": "committed",
    "yep": "committed",
    "yup": "committed",
    "yeah": "committed",
    "absolutely": "committed",
    "definitely": "committed",
    "committed": "committed",
    "not by then": "not_by_then",
    "not by": "not_by_then",
    "not before": "not_by_then",
    "not committed": "not_committed",
    "not committed yet": "not_committed",
    "not planned": "not_committed",  # not yet: "no" says it will not be built
    "no": "no",
    "nope": "no",
}
# a hedge makes a "yes" or a "no" no answer to repeat to a customer ("no - but Q3 maybe",
# "yes, probably by March"), and so does a condition ("yes if they sign by Jan" was read as
# committed for Jan 31, the signing date): the reps get it as a comment, and the PM is shown
# how to answer instead
_HEDGES = re.compile(
    r"\b(?:maybe|might|perhaps|possibly|probably|hopefully|tentative(?:ly)?|i\s+think|not\s+sure"
    r"|if|unless|provided|assuming|as\s+long\s+as|depends|depending)\b",
    re.I,
)
# a "no" that says when: "no way before Q3, earliest July 15" and "no, not by then" are not
# by then, not never ("no, not this year" stays a no)
_NOT_BEFORE = re.compile(r"\b(?:before|until|till|by|earliest)\b", re.I)
_NOT_THEN = re.compile(r"^not\s+by\s+then\b", re.I)
ANSWER_EXAMPLES = (
    "`yes, April 1`, `not by then: Mar 1 is the earliest`, `not committed yet`, "
    "`no - we won't build it`"
)


def parse_verdict_reply(text: str, today: dt.date) -> tuple[str, dt.date | None, str] | None:
    """A PM's thread reply that starts with a verdict word: (verdict, date, note), else None.
    The note is the rest of the reply, as written."""
    match = VERDICT_WORDS.match(text)
    if not match:
        return None
    word = re.sub(r"\s+", " ", match.group("verdict").lower())
    verdict = _VERDICT_OF_WORD[word]
    rest = match.group("rest").strip()
    if verdict in ("committed", "no") and _HEDGES.search(rest):
        return None
    then = _NOT_THEN.match(rest) if verdict == "no" else None
    if then:  # the date after "not by then" is the earliest
        return "not_by_then", find_date(rest[then.end() :], today)[0], rest
    if verdict == "no" and _NOT_BEFORE.search(rest) and find_date(rest, today)[0]:
        verdict, word = "not_by_then", "not by"
    if word in (
        "not by",
        "not before",
    ):  # "not by March, June 1 at the earliest": the date after the rep's
        _, theirs = find_date(rest, today)
        after = rest.split(theirs, 1)[1] if theirs else rest
        return verdict, find_date(after, today)[0], rest
    date, _ = find_date(rest, today) if verdict in ("committed", "not_by_then") else (None, None)
    return verdict, date, rest
