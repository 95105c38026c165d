"""The one date rule: what canwe may tell a rep about an item now, and why.

Every message that states a verdict or a date (the rep's answer, a PM's answer relayed,
`/canwe promises`, slip alerts, exception requests) gets it from `answer_question`, so no
two of them can disagree. Pure: no Slack, no SQL; the caller hands in what is known.

What is known about an item now:
- its record: status and the forecast (the safe date, never before the team's target);
- the PM answers that still apply. A PM answer is a fact about the item, never a verdict
  against someone else's date: "can be promised from Mar 1, 2027", "not committed", "no".
  Its scope is every deal (`ITEM`) or this deal only (`DEAL`: an exception, for the reps
  who waited in its thread and later questions for the same customer).

The newest PM answer that applies wins over the record (it was given after the item's
last change, or it would not be offered here); a shipped item is available whatever
anyone said. The verdict compares the winning date with the rep's own needed-by date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.verdicts import SafeDate, Verdict, format_date

ITEM = "item"  # every deal: a fact about the item
DEAL = "deal"  # this deal only: an exception for one customer
SCOPES = (ITEM, DEAL)

# Statuses that can carry a date to promise; the rest are not commitments
DELIVERING = ("committed", "in_progress")


@dataclass(frozen=True)
class Record:
    """The roadmap's side: the item's status and its forecast (None: nothing to date)."""

    status: str
    safe: SafeDate | None = None

    def date(self) -> dt.date | None:
        """The date the record alone lets us promise."""
        return self.safe.date if self.status in DELIVERING and self.safe else None

    def describe(self, today: dt.date | None = None) -> str:
        """The record in a few words: "status exploring", "committed, Mar 1, 2027"."""
        date = self.date()
        status = self.status.replace("_", " ")
        return f"{status}, {format_date(date, today)}" if date else f"status {status}"


@dataclass(frozen=True)
class PMFact:
    """A PM's answer as a fact: `kind` committed (from `earliest`), not_committed or no."""

    answer_id: int
    kind: Verdict
    earliest: dt.date | None
    answered_by: str
    answered_at: dt.datetime
    scope: str = ITEM
    customer: str | None = None
    escalation_id: int | None = None

    def describe(self, today: dt.date | None = None) -> str:
        return describe_fact(self.kind, self.earliest, today)


def describe_fact(kind: Verdict, earliest: dt.date | None, today: dt.date | None = None) -> str:
    """What a PM said, without any rep's date: "can be promised from Mar 1, 2027"."""
    if kind == Verdict.committed and earliest:
        return f"can be promised from {format_date(earliest, today)}"
    if kind == Verdict.no:
        return "no, it will not be built"
    return "not committed"


@dataclass(frozen=True)
class Asked:
    """The question, as far as the rule cares."""

    customer: str | None = None
    needed_by: dt.date | None = None
    # who reads it: the verdict and date are the same for all; the messages word them
    # (marketing never sees an internal date)
    audience: str = "sales"
    escalation_id: int | None = None  # the PM thread the question waits (or waited) in


@dataclass(frozen=True)
class Truth:
    verdict: Verdict
    date: dt.date | None = None  # the date to promise (or the earliest, for not by then)
    pm: PMFact | None = None  # the PM answer that decides, if one does
    safe: SafeDate | None = None  # the forecast, whether or not it decides
    overrides: str | None = None  # the record a PM answer overrides, when they differ

    @property
    def from_pm(self) -> bool:
        return self.pm is not None


def same_customer(a: str | None, b: str | None) -> bool:
    return bool(a and b and " ".join(a.lower().split()) == " ".join(b.lower().split()))


def applies(fact: PMFact, asked: Asked) -> bool:
    """An every-deal answer applies to everyone; a this-deal answer to the reps of its own
    thread and to questions for the same customer."""
    if fact.scope == ITEM:
        return True
    if fact.escalation_id is not None and fact.escalation_id == asked.escalation_id:
        return True
    return same_customer(fact.customer, asked.customer)


def compare(date: dt.date | None, needed_by: dt.date | None) -> Verdict:
    """A date we can promise, read against the date this rep needs."""
    if date is not None and needed_by is not None and date > needed_by:
        return Verdict.not_by_then
    return Verdict.committed


def answer_question(record: Record | None, facts: Sequence[PMFact], asked: Asked) -> Truth:
    """The verdict, the date to promise, and what it rests on.

    `record` is None when the question matched no item; `facts` are the PM answers still
    current for the item (or the question's thread), in any order.
    """
    safe = record.safe if record else None
    if record is not None and record.status == "shipped":
        return Truth(verdict=Verdict.available, safe=safe)
    applying = [f for f in facts if applies(f, asked)]
    if applying:
        pm = max(applying, key=lambda f: (f.answered_at, f.answer_id))
        if pm.kind == Verdict.committed and pm.earliest is not None:
            verdict, date = compare(pm.earliest, asked.needed_by), pm.earliest
        else:
            verdict, date = (Verdict.no if pm.kind == Verdict.no else Verdict.not_committed), None
        overrides = None
        if record is not None and _differs(record, pm):
            overrides = record.describe()
        return Truth(verdict=verdict, date=date, pm=pm, safe=safe, overrides=overrides)
    if record is None:
        return Truth(verdict=Verdict.unknown)
    if record.status == "declined":
        return Truth(verdict=Verdict.no, safe=safe)
    date = record.date()
    if date is None:
        return Truth(verdict=Verdict.not_committed, safe=safe)
    return Truth(verdict=compare(date, asked.needed_by), date=date, safe=safe)


def _differs(record: Record, pm: PMFact) -> bool:
    """Whether the record alone would say something else than the PM's answer."""
    if pm.kind == Verdict.no:
        return record.status != "declined"
    if pm.kind == Verdict.not_committed:
        return record.date() is not None or record.status == "declined"
    return record.date() != pm.earliest


def standing(verdict: Verdict, date: dt.date | None, today: dt.date | None = None) -> str | None:
    """What an answer says about the item whatever date the rep needed ("can be promised from
    Mar 1, 2027", "no"), or None when it says nothing comparable (unknown; a yes kept without
    its date). Two answers for different needed-by dates can differ in verdict and still
    agree here."""
    if verdict in (Verdict.committed, Verdict.not_by_then):
        return describe_fact(Verdict.committed, date, today) if date else None
    if verdict == Verdict.available:
        return "available today"
    if verdict in (Verdict.no, Verdict.not_committed):
        return describe_fact(verdict, None)
    return None


def told_before(
    then: tuple[Verdict, dt.date | None], now: tuple[Verdict, dt.date | None], today: dt.date
) -> str | None:
    """What a rep was told earlier about an item, when the answer now says otherwise."""
    before, after = standing(*then, today), standing(*now, today)
    return before if before is not None and after is not None and before != after else None
