"""Business-day arithmetic on the workspace calendar (weekends and holidays skipped)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable


def is_business_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> bool:
    return day.weekday() < 5 and day not in set(holidays)


def add_working_days(start: dt.date, days: float, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The date on which `days` working days of effort, begun after `start`, are done.

    Fractional days round up: half a day of work still lands on the next working day.
    Zero days means `start` itself.
    """
    remaining = math.ceil(days)
    holiday_set = set(holidays)
    day = start
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day, holiday_set):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, holidays: Iterable[dt.date] = ()) -> int:
    """Working days after `start` up to and including `end` (negative if end is earlier)."""
    if end < start:
        return -working_days_between(end, start, holidays)
    holiday_set = set(holidays)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_business_day(day, holiday_set):
            count += 1
    return count
