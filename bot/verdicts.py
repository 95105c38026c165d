"""Deciding the verdict for a question, from the matched item, its estimate and the date needed.

No Slack and no SQL here: the caller hands in the item it found and the date rule to use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    available = "available"
    committed = "committed"
    not_by_then = "not_by_then"
    not_committed = "not_committed"
    no = "no"
    unknown = "unknown"


VERDICT_LABELS = {
    Verdict.available: "Available",
    Verdict.committed: "Committed",
    Verdict.not_by_then: "Not by then",
    Verdict.not_committed: "Not committed",
    Verdict.no: "No",
    Verdict.unknown: "Unknown",
}

# Verdicts a PM may give when answering an escalation
PM_VERDICTS = (Verdict.committed, Verdict.not_by_then, Verdict.not_committed, Verdict.no)

# Statuses that can carry a date to promise; the rest are not commitments
_DELIVERING = {"committed", "in_progress"}


@dataclass(frozen=True)
class SafeDate:
    """The date we may promise, how sure we are of it, and the evidence behind it."""

    date: dt.date
    confidence: float
    p50: dt.date
    summary: str  # "80% likely by Apr 20 (50%: Apr 2), based on 143 finished tasks of team X"

    def describe(self) -> str:
        return self.summary


def format_date(day: dt.date, today: dt.date | None = None) -> str:
    if today is not None and day.year == today.year:
        return day.strftime("%b %-d")
    return day.strftime("%b %-d, %Y")


def verdict_for(status: str | None, safe: SafeDate | None, needed_by: dt.date | None) -> Verdict:
    """The verdict for an item of `status`, given its safe date and the date the rep needs."""
    if status is None:
        return Verdict.unknown
    if status == "shipped":
        return Verdict.available
    if status == "declined":
        return Verdict.no
    if status in _DELIVERING and safe is not None:
        if needed_by is not None and safe.date > needed_by:
            return Verdict.not_by_then
        return Verdict.committed
    return Verdict.not_committed


def verdict_from_answer(
    verdict: Verdict, promise_date: dt.date | None, needed_by: dt.date | None
) -> Verdict:
    """A PM's dated answer, read against the date this rep needs: a "yes by D" is *not by
    then* for a rep who needs it before D, and a "not by then" is a yes for one who can wait."""
    if promise_date is None or needed_by is None:
        return verdict
    if verdict == Verdict.committed and promise_date > needed_by:
        return Verdict.not_by_then
    if verdict == Verdict.not_by_then and promise_date <= needed_by:
        return Verdict.committed
    return verdict
