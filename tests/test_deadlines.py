"""Answer due times and reminders run on business time in the workspace timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.deadlines import answer_due, next_check, reminder_times
from bot.core.workdays import add_working_days, working_days_between

NY = ZoneInfo("America/New_York")


def test_working_days_skip_weekends_and_holidays():
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 30)
    assert add_working_days(friday, 1, holidays=[dt.date(2026, 11, 30)]) == dt.date(2026, 12, 1)
    assert add_working_days(friday, 0.5) == dt.date(2026, 11, 30)
    assert working_days_between(friday, dt.date(2026, 12, 4)) == 5


def test_sla_applies_when_no_date_is_needed():
    asked = dt.datetime(2026, 11, 27, 22, 0, tzinfo=dt.UTC)  # Friday 17:00 New York
    due = answer_due(asked, None, tz=NY, lead_days=2, sla_days=1)
    assert due.astimezone(NY) == dt.datetime(2026, 11, 30, 17, 0, tzinfo=NY)  # Monday 17:00


def test_lead_time_before_the_deal_wins_when_earlier():
    asked = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 New York
    due = answer_due(asked, dt.date(2026, 11, 25), tz=NY, lead_days=2, sla_days=5)
    # two business days before Wednesday is Monday: noon that day
    assert due.astimezone(NY) == dt.datetime(2026, 11, 23, 12, 0, tzinfo=NY)


def test_at_least_an_hour_is_given():
    asked = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
    due = answer_due(asked, dt.date(2026, 11, 27), tz=NY, lead_days=2, sla_days=1)
    assert due == asked + dt.timedelta(hours=1)


def test_reminders_at_half_time_and_near_the_end_then_the_due_time():
    start = dt.datetime(2026, 11, 30, 13, 0, tzinfo=dt.UTC)  # Monday 08:00 New York
    due = start + dt.timedelta(hours=10)  # 18:00
    # working time is 09:00 to 17:00, eight hours: reminders at 13:00 and 15:48
    assert reminder_times(start, due, NY) == [
        start + dt.timedelta(hours=5),
        start + dt.timedelta(hours=7, minutes=48),
    ]
    assert next_check(start, due, 2, NY) == due


def test_reminders_fall_in_working_hours():
    start = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)  # Friday 09:00 New York
    due = dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)  # Monday 09:00
    first, second = reminder_times(start, due, NY)
    # eight working hours in between, all on Friday
    assert first.astimezone(NY) == dt.datetime(2026, 11, 27, 13, 0, tzinfo=NY)
    assert second.astimezone(NY) == dt.datetime(2026, 11, 27, 15, 48, tzinfo=NY)
