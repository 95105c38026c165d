"""Verdicts, their labels, and the safe date a forecast gives. Which verdict and date a
question gets is decided in one place, bot.core.truth."""

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


@dataclass(frozen=True)
class SafeDate:
    """The date we may promise, how sure we are of it, and the evidence behind it."""

    date: dt.date
    confidence: float
    p50: dt.date
    summary: str  # "80% likely by Apr 20 (50%: Apr 2), based on 143 finished tasks of team X"
    short: str = ""  # one line a rep reads at a glance: "80% likely by then, from 25 finished …"

    def describe(self) -> str:
        return self.summary


def format_date(day: dt.date, today: dt.date | None = None) -> str:
    if today is not None and day.year == today.year:
        return day.strftime("%b %-d")
    return day.strftime("%b %-d, %Y")
