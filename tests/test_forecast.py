"""Safe promise dates from a team's history (bot.core.forecast)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bot.core.forecast import (
    MIN_HISTORY,
    Estimate,
    calibrate,
    clear_cache,
    effort_quantiles,
    forecast,
)
from bot.core.workdays import add_working_days

MONDAY = dt.date(2027, 3, 1)
FRIDAY = dt.date(2027, 3, 5)


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_cache()
    yield
    clear_cache()


def history(n: int, *, seed: int = 1, sigma: float = 0.5) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(0.0, sigma, size=n)


def test_same_seed_gives_the_same_dates():
    ratios = history(300)
    estimate = Estimate.three_point(8, 12, 30)
    first = forecast(estimate, ratios, start=MONDAY, seed=42)
    again = forecast(estimate, ratios, start=MONDAY, seed=42)
    assert first == again
    # Without history the prior and the three-point draws are random too: still repeatable.
    assert forecast(estimate, [], start=MONDAY, seed=3) == forecast(
        estimate, [], start=MONDAY, seed=3
    )


def test_seed_changes_the_simulation():
    efforts = {
        tuple(effort_quantiles(Estimate(10), calibrate(history(300)), seed=s, runs=50))
        for s in range(5)
    }
    assert len(efforts) > 1


def test_cached_forecast_matches_a_fresh_one_and_follows_new_versions():
    ratios = history(2000)
    fresh = forecast(15, ratios, start=MONDAY)
    cached = forecast(15, ratios, start=MONDAY, team="Platform", history_version=1)
    again = forecast(15, ratios, start=MONDAY, team="Platform", history_version=1)
    assert fresh.p80 == cached.p80 == again.p80
    slower = forecast(15, ratios * 2, start=MONDAY, team="Platform", history_version=2)
    assert slower.p80 > cached.p80


def test_dates_are_kept_at_their_levels_for_a_team_with_a_known_error_distribution():
    """A synthetic team whose work takes estimate x lognormal(0.1, 0.6): walking forward,
    each item forecast from the items finished before it, the share delivered by each
    date matches its level."""
    rng = np.random.default_rng(2027)
    ratios = rng.lognormal(0.1, 0.6, size=1700)
    estimates = rng.uniform(20, 120, size=ratios.size)
    kept = {0.5: [], 0.8: [], 0.9: []}
    for i in range(200, ratios.size):
        result = forecast(
            float(estimates[i]),
            ratios[:i],
            start=MONDAY,
            team="Synthetic",
            history_version=i,
            runs=2000,
        )
        delivered = add_working_days(MONDAY, estimates[i] * ratios[i])
        for level, date in ((0.5, result.p50), (0.8, result.p80), (0.9, result.p90)):
            kept[level].append(delivered <= date)
    for level, outcomes in kept.items():
        assert abs(np.mean(outcomes) - level) <= 0.03, (level, np.mean(outcomes))


def test_safe_date_is_the_date_at_the_configured_confidence():
    ratios = history(500)
    at_80 = forecast(20, ratios, start=MONDAY)
    at_90 = forecast(20, ratios, start=MONDAY, confidence=0.9)
    assert at_80.safe_date == at_80.p80
    assert at_90.safe_date == at_90.p90
    assert at_80.p50 <= at_80.p80 <= at_80.p90


def test_fewer_than_20_finished_tasks_use_the_conservative_prior_and_say_so():
    on_time = [1.0] * (MIN_HISTORY - 1)
    thin = forecast(10, on_time, start=MONDAY, team="Platform")
    assert thin.used_prior
    assert thin.history_count == MIN_HISTORY - 1
    assert "only 19 finished tasks of team Platform: conservative estimate" in thin.describe()

    enough = forecast(10, [*on_time, 1.0], start=MONDAY, team="Platform")
    assert not enough.used_prior
    assert enough.describe().endswith("based on 20 finished tasks of team Platform")
    # The prior is conservative: later than a team that always hits its estimates.
    assert thin.safe_date > enough.safe_date == add_working_days(MONDAY, 10)

    none = forecast(10, [], start=MONDAY, team="Mobile")
    assert none.used_prior and none.history_count == 0
    assert "no history for team Mobile: conservative estimate" in none.describe()


def test_describe_gives_both_dates_and_the_history_behind_them():
    ratios = [1.0] * 143
    result = forecast(15, ratios, start=dt.date(2027, 3, 26), team="Platform")
    assert result.safe_date == dt.date(2027, 4, 16)
    assert result.describe() == (
        "80% likely by Apr 16 (50%: Apr 16), based on 143 finished tasks of team Platform"
    )
    long_history = forecast(15, [1.0] * 2000, start=dt.date(2027, 12, 20), team="Platform")
    assert long_history.describe() == (
        "80% likely by Jan 10, 2028 (50%: Jan 10, 2028), "
        "based on the last 200 finished tasks of team Platform"
    )


def test_dates_skip_weekends_holidays_and_part_time_capacity():
    on_time = [1.0] * 50  # the team always takes exactly its estimate
    assert forecast(3, on_time, start=FRIDAY).p50 == dt.date(2027, 3, 10)  # Wednesday
    holiday = dt.date(2027, 3, 8)  # the Monday after
    assert forecast(3, on_time, start=FRIDAY, holidays=[holiday]).p50 == dt.date(2027, 3, 11)
    # Half of each working day on this item: 3 days of effort take 6 working days.
    assert forecast(3, on_time, start=FRIDAY, capacity=0.5).p50 == dt.date(2027, 3, 15)
    for date in (forecast(7, history(300), start=FRIDAY, holidays=[holiday]).p90,):
        assert date.weekday() < 5 and date != holiday


def test_with_history_the_ratios_scale_the_likely_value():
    """History measures how the team's point estimates turn out; the three-point range
    is not counted a second time on top of it."""
    ratios = history(400)
    assert forecast(Estimate.three_point(5, 10, 40), ratios, start=MONDAY) == forecast(
        10, ratios, start=MONDAY
    )


def test_without_history_a_wider_range_gives_later_dates():
    narrow = forecast(Estimate.three_point(9, 10, 11), [], start=MONDAY)
    wide = forecast(Estimate.three_point(9, 10, 40), [], start=MONDAY)
    assert wide.p90 > narrow.p90


def test_no_remaining_work_is_done_at_the_start():
    done = forecast(0, history(100), start=MONDAY)
    assert done.p50 == done.p80 == done.p90 == MONDAY


def test_an_item_without_an_estimate_has_no_date():
    """The caller answers 'not committed' for an unestimated item (and needs no forecast
    for a shipped one); forecast refuses rather than invent a date."""
    with pytest.raises(ValueError, match="not committed"):
        forecast(None, history(100), start=MONDAY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0}, "confidence"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 1.5}, "capacity"),
    ],
)
def test_out_of_range_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        forecast(5, history(100), start=MONDAY, **kwargs)


def test_bad_estimates_and_history_are_refused():
    with pytest.raises(ValueError, match="optimistic <= likely <= pessimistic"):
        Estimate.three_point(10, 5, 20)
    with pytest.raises(ValueError, match=">= 0"):
        Estimate(-1)
    with pytest.raises(ValueError, match="ratios"):
        forecast(5, [1.0] * 30 + [0.0], start=MONDAY)
    with pytest.raises(TypeError):
        forecast("5", history(100), start=MONDAY)
