"""When an escalated question must be answered, and when to chase it (business time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.core.workdays import add_working_days, is_business_day

MIN_ANSWER_WINDOW = dt.timedelta(hours=1)
LEAD_DEADLINE_TIME = dt.time(12, 0)  # noon local, on the day the lead time begins
WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 0)


def business_start(
    moment: dt.datetime, tz: ZoneInfo, holidays: Iterable[dt.date] = ()
) -> dt.datetime:
    """When the answering clock starts: `moment` during working hours, else the next
    working morning, so a question asked at 2 a.m. is not due at 2 a.m."""
    holidays = set(holidays)
    local = moment.astimezone(tz)
    day = local.date()
    if is_business_day(day, holidays) and WORKDAY_START <= local.time() <= WORKDAY_END:
        return local
    if not (is_business_day(day, holidays) and local.time() < WORKDAY_START):
        day = add_working_days(day, 1, holidays)
    return dt.datetime.combine(day, WORKDAY_START, tzinfo=tz)


def subtract_working_days(day: dt.date, days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    holiday_set = set(holidays)
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_business_day(day, holiday_set):
            days -= 1
    return day


def answer_due(
    asked_at: dt.datetime,
    needed_by: dt.date | None,
    *,
    tz: ZoneInfo,
    lead_days: int,
    sla_days: int,
    holidays: Iterable[dt.date] = (),
) -> dt.datetime:
    """The answer is due `lead_days` business days before the deal's date, and never later
    than `sla_days` business days after asking. At least an hour is always given."""
    holidays = list(holidays)
    local = business_start(asked_at, tz, holidays)
    sla_day = add_working_days(local.date(), sla_days, holidays)
    due = dt.datetime.combine(sla_day, local.time(), tzinfo=tz)
    if needed_by is not None:
        lead_day = subtract_working_days(needed_by, lead_days, holidays)
        due = min(due, dt.datetime.combine(lead_day, LEAD_DEADLINE_TIME, tzinfo=tz))
    due = max(due, asked_at + MIN_ANSWER_WINDOW)
    return due.astimezone(dt.UTC)


def _working_spans(start: dt.datetime, end: dt.datetime, tz: ZoneInfo, holidays: set[dt.date]):
    """The working-hours pieces of [start, end), in order."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    day = local_start.date()
    while day <= local_end.date():
        if is_business_day(day, holidays):
            opens = max(local_start, dt.datetime.combine(day, WORKDAY_START, tzinfo=tz))
            closes = min(local_end, dt.datetime.combine(day, WORKDAY_END, tzinfo=tz))
            if opens < closes:
                yield opens, closes
        day += dt.timedelta(days=1)


def reminder_times(
    created_at: dt.datetime, due_at: dt.datetime, tz: ZoneInfo, holidays: Iterable[dt.date] = ()
) -> list[dt.datetime]:
    """Remind when half, and then 85%, of the working time to answer has passed: a
    question asked on Friday for Monday morning is chased on Friday, not on Sunday."""
    spans = list(_working_spans(created_at, due_at, tz, set(holidays)))
    total = sum((closes - opens for opens, closes in spans), dt.timedelta())
    times = []
    for share in (0.5, 0.85):
        left = total * share
        moment = due_at  # no working time at all: the due time is the only check
        for opens, closes in spans:
            if left <= closes - opens:
                moment = (opens + left).astimezone(dt.UTC)
                break
            left -= closes - opens
        times.append(min(moment, due_at) if total else due_at)
    return times


def next_check(
    created_at: dt.datetime,
    due_at: dt.datetime,
    reminders_sent: int,
    tz: ZoneInfo,
    holidays: Iterable[dt.date] = (),
) -> dt.datetime | None:
    """The next moment the escalation needs attention: a reminder, or the due time itself."""
    times = reminder_times(created_at, due_at, tz, holidays)
    if reminders_sent < len(times):
        return times[reminders_sent]
    return due_at


def time_left(now: dt.datetime, due: dt.datetime) -> str:
    """How long until `due`, as a person says it: "about 5 hours", "about 2 days"."""
    minutes = max(int((due - now).total_seconds() // 60), 0)
    if minutes < 60:
        return "less than an hour" if minutes > 1 else "a minute or so"
    hours = round(minutes / 60)
    if hours < 36:
        return f"about {hours} hour{'s' if hours != 1 else ''}"
    days = round(minutes / (60 * 24))
    return f"about {days} days"
