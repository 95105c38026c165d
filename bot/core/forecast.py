"""Evidence-based safe promise dates: how long an item could take, from how the team's
past estimates turned out.

The evidence is a team's history of finished work, as ratios actual / estimate (most
recent last). A forecast scales the item's remaining-work estimate by ratios drawn from
the team's recent history, many times over (a seeded Monte Carlo), turns each simulated
effort into working days on the calendar, and reads off the dates by which delivery is
50%, 80% and 90% likely. The safe promise date is the date at the configured confidence.

Which estimate value the ratios scale:

- With history (at least `MIN_HISTORY` finished tasks), effort = likely x ratio. The
  history measures how the team's point estimates turned out, so it already holds the
  uncertainty that an optimistic / pessimistic range tries to express; drawing both
  would count it twice and give dates later than the evidence supports.
- With less history, effort = base x ratio where the ratio comes from a conservative
  prior (`PRIOR_MEDIAN`, `PRIOR_SIGMA`, a lognormal) and the base is drawn from the
  three-point estimate (Beta-PERT) when one was given: with no evidence, the team's own
  range is all we know about this item. `Forecast.used_prior` says so, and so does
  `Forecast.describe()`.

What this module does not decide: an item already shipped needs no forecast, and an item
with no estimate has no date (its verdict is *not committed*). The caller checks both
before calling `forecast`, which needs an estimate and raises `ValueError` without one.

Coverage is "on or before": a date is kept when the work is done on or before it, so a
level's date is the earliest one the simulated effort meets with at least that share.
When many of a team's tasks take exactly their estimate (37% in SiP), the 50% date is
the estimate itself and is kept more often than half the time: nothing between "just
before the estimate" and "on it" exists to promise instead.

The calibration step (`calibrate`, then `effort_quantiles`) is plain numbers in, numbers
out: `benchmarks/calibration.py` runs exactly these functions on real data.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.core.workdays import add_working_days

MIN_HISTORY = 20
"""Fewer finished tasks than this and the forecast uses the conservative prior."""

WINDOW = 200
"""How many of the team's most recent finished tasks the forecast draws from.

On the SiP walk-forward (benchmarks/calibration.py) windows of 100 to 500 gave the same
coverage within a point; 200 follows a team that changes while keeping enough tail."""

DEFAULT_RUNS = 10_000
DEFAULT_CONFIDENCE = 0.8
LEVELS = (0.5, 0.8, 0.9)

PRIOR_MEDIAN = 1.2
PRIOR_SIGMA = 0.72
"""The conservative prior for actual / estimate: lognormal, median 1.2, sigma 0.72.

Its 50 / 80 / 90% points are 1.20 / 2.20 / 3.02. Justification from the SiP data set
(10,022 real tasks, /work/shared/data/estimates/README.md): company-wide the ratio has
median 1.00, 80th percentile 1.45 and 90th percentile 2.05, but teams differ; over the
SiP projects with at least 40 finished tasks, nine in ten have their own 80th percentile
at or below 1.94 and their own 90th percentile at or below 2.90 (developers: 1.74 and
3.03). The prior sits at about those, so a team we know nothing about is rarely slower
than its dates: it is meant to be replaced by evidence, not beaten by the team.
`benchmarks/calibration.py` prints how the prior alone fares on SiP: its 80% date is
kept for 91% of tasks, and for at least 80% of tasks in 13 of the 14 projects with 40+
tasks (the last one: 79%)."""

_CACHE_SIZE = 256


@dataclass(frozen=True)
class Estimate:
    """Remaining work in working days: a single `likely` value, or three points
    (`Estimate(15, optimistic=10, pessimistic=25)`, or `Estimate.three_point(10, 15, 25)`)."""

    likely: float
    optimistic: float | None = field(default=None, kw_only=True)
    pessimistic: float | None = field(default=None, kw_only=True)

    @classmethod
    def three_point(cls, optimistic: float, likely: float, pessimistic: float) -> Estimate:
        return cls(likely, optimistic=optimistic, pessimistic=pessimistic)

    def __post_init__(self) -> None:
        low = self.likely if self.optimistic is None else self.optimistic
        high = self.likely if self.pessimistic is None else self.pessimistic
        for value in (self.likely, low, high):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"estimate values must be finite and >= 0, got {value!r}")
        if not low <= self.likely <= high:
            raise ValueError("estimate must have optimistic <= likely <= pessimistic")

    @property
    def low(self) -> float:
        return self.likely if self.optimistic is None else self.optimistic

    @property
    def high(self) -> float:
        return self.likely if self.pessimistic is None else self.pessimistic

    def sample(self, rng: np.random.Generator, runs: int) -> np.ndarray:
        """Base effort draws: Beta-PERT over (optimistic, likely, pessimistic)."""
        low, mode, high = self.low, self.likely, self.high
        if high == low:
            return np.full(runs, mode, dtype=float)
        alpha = 1 + 4 * (mode - low) / (high - low)
        beta = 1 + 4 * (high - mode) / (high - low)
        return low + (high - low) * rng.beta(alpha, beta, size=runs)


@dataclass(frozen=True, eq=False)
class Calibration:
    """What a team's history says about its estimates: the ratios a forecast draws from."""

    ratios: np.ndarray  # the recent window, read-only; empty when the prior is used
    history_count: int  # finished tasks the forecast rests on (the window, or all if fewer)
    total_count: int  # finished tasks in the history given
    used_prior: bool

    def sample(self, rng: np.random.Generator, runs: int) -> np.ndarray:
        if self.used_prior:
            return rng.lognormal(math.log(PRIOR_MEDIAN), PRIOR_SIGMA, size=runs)
        return self.ratios[rng.integers(0, self.ratios.size, size=runs)]


def calibrate(ratios: Sequence[float] | np.ndarray, *, window: int = WINDOW) -> Calibration:
    """The calibration for a history of actual / estimate ratios, most recent last."""
    values = np.asarray(ratios, dtype=float)
    if values.ndim != 1:
        raise ValueError("ratios must be a flat sequence")
    if values.size and (not np.all(np.isfinite(values)) or np.any(values <= 0)):
        raise ValueError("ratios must be finite and > 0 (actual / estimate of finished work)")
    if values.size < MIN_HISTORY:
        empty = np.empty(0)
        empty.flags.writeable = False
        return Calibration(empty, int(values.size), int(values.size), used_prior=True)
    recent = values[-window:].copy()
    recent.flags.writeable = False
    return Calibration(recent, int(recent.size), int(values.size), used_prior=False)


def _quantiles(ordered: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """For each level, the smallest sample that at least that share of samples is <= to.

    `ordered` is sorted ascending."""
    index = np.ceil(np.asarray(levels, dtype=float) * ordered.size).astype(int) - 1
    return ordered[np.clip(index, 0, ordered.size - 1)]


def _ratio_samples(calibration: Calibration, seed: int, runs: int) -> np.ndarray:
    """The Monte Carlo ratio draws, sorted (the base draws are independent of them, so
    their order does not matter). Read-only: they may be cached and shared."""
    draws = np.sort(calibration.sample(np.random.default_rng([seed, 0]), runs))
    draws.flags.writeable = False
    return draws


def effort_quantiles(
    estimate: Estimate | float,
    calibration: Calibration,
    levels: Sequence[float] = LEVELS,
    *,
    seed: int = 0,
    runs: int = DEFAULT_RUNS,
) -> np.ndarray:
    """Simulated remaining effort (in the estimate's unit) at each level, for one seed."""
    estimate = _as_estimate(estimate)
    ratios = _ratio_samples(calibration, seed, runs)
    return _effort_quantiles(estimate, calibration, ratios, levels, seed, runs)


def _effort_quantiles(estimate, calibration, ratios, levels, seed, runs) -> np.ndarray:
    if calibration.used_prior and estimate.high > estimate.low:
        base = estimate.sample(np.random.default_rng([seed, 1]), runs)
        return _quantiles(np.sort(base * ratios), levels)
    # A constant base: the effort quantiles are the ratio quantiles, scaled.
    return estimate.likely * _quantiles(ratios, levels)


@dataclass(frozen=True)
class Forecast:
    p50: dt.date
    p80: dt.date
    p90: dt.date
    safe_date: dt.date  # the date at `confidence`
    confidence: float
    history_count: int  # how many finished tasks back it
    team: str | None
    used_prior: bool  # fewer than MIN_HISTORY finished tasks: conservative prior
    total_count: int = 0  # finished tasks known for the team (history_count is the window)
    start: dt.date | None = None  # the day the forecast counts from

    def describe(self) -> str:
        """One line for the answer: '80% likely by Apr 20 (50%: Apr 2), based on ...'."""
        year = self.start.year if self.start else None
        dates = f"{self.confidence:.0%} likely by {_day(self.safe_date, year)}"
        if self.confidence != 0.5:
            dates += f" (50%: {_day(self.p50, year)})"
        team = f"team {self.team}" if self.team else "the team"
        if self.used_prior:
            if self.history_count == 0:
                basis = f"no history for {team}: conservative estimate"
            else:
                tasks = _tasks(self.history_count)
                basis = f"only {tasks} of {team}: conservative estimate"
            return f"{dates}; {basis}"
        if self.total_count > self.history_count:
            basis = f"based on the last {_tasks(self.history_count)} of {team}"
        else:
            basis = f"based on {_tasks(self.history_count)} of {team}"
        return f"{dates}, {basis}"

    def short(self) -> str:
        """How sure and why, in a few words: '80% likely by then, from 25 finished tasks of
        Identity'."""
        team = self.team or "the team"
        if self.used_prior:
            return f"{self.confidence:.0%} likely by then; little history for {team}, so cautious"
        return f"{self.confidence:.0%} likely by then, from {_tasks(self.history_count)} of {team}"


def _tasks(count: int) -> str:
    return f"{count:,} finished task" + ("" if count == 1 else "s")


def _day(day: dt.date, year: int | None) -> str:
    """'Apr 20', with the year when it is not the year the forecast starts in."""
    text = f"{day:%b} {day.day}"
    return text if day.year == year else f"{text}, {day.year}"


def _as_estimate(estimate: Estimate | float | None) -> Estimate:
    if estimate is None:
        raise ValueError(
            "an item with no estimate has no date: answer 'not committed' instead of forecasting"
        )
    if isinstance(estimate, Estimate):
        return estimate
    if isinstance(estimate, bool) or not isinstance(estimate, int | float):
        raise TypeError(f"estimate must be an Estimate or a number of days, not {estimate!r}")
    return Estimate(likely=float(estimate))


class _CalibrationCache:
    """Per (team, history version): the calibration and its sorted Monte Carlo draws.

    Least recently used entries go first; safe to share between Bolt's worker threads."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()  # outside the lock: two threads may build the same entry, harmlessly
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _CalibrationCache()


def clear_cache() -> None:
    _cache.clear()


def forecast(
    estimate: Estimate | float | None,
    ratios: Sequence[float] | np.ndarray | Callable[[], Sequence[float]],
    *,
    start: dt.date,
    confidence: float = DEFAULT_CONFIDENCE,
    holidays: Iterable[dt.date] = (),
    capacity: float = 1.0,
    team: str | None = None,
    history_version: Hashable | None = None,
    seed: int = 0,
    runs: int = DEFAULT_RUNS,
    window: int = WINDOW,
) -> Forecast:
    """The 50 / 80 / 90% dates and the safe promise date for one item.

    `estimate`: remaining working days (an `Estimate`, or a number for a single point);
    required: an item without one is *not committed* and gets no date (see module doc).
    `ratios`: the team's finished work as actual / estimate, most recent last; or a
    function returning them, called only when the cache does not hold this version.
    `start`: the day work is counted from (the work is done on working days after it).
    `capacity`: the fraction of each working day the team spends on this item.
    `team`, `history_version`: when both are given, the calibration and its Monte Carlo
    draws are cached under them; pass a new version whenever the team's history changes
    (`ratios` is then not read again for a cached version).
    Deterministic for a seed.
    """
    est = _as_estimate(estimate)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not 0 < capacity <= 1:
        raise ValueError(f"capacity must be in (0, 1], got {capacity!r}")
    if runs < 1:
        raise ValueError("runs must be >= 1")

    def build() -> tuple[Calibration, np.ndarray]:
        calibration = calibrate(ratios() if callable(ratios) else ratios, window=window)
        return calibration, _ratio_samples(calibration, seed, runs)

    if team is not None and history_version is not None:
        calibration, draws = _cache.get((team, history_version, window, seed, runs), build)
    else:
        calibration, draws = build()

    levels = (*LEVELS, confidence)
    efforts = _effort_quantiles(est, calibration, draws, levels, seed, runs)
    holiday_set = frozenset(holidays)
    p50, p80, p90, safe = (
        add_working_days(start, round(float(effort) / capacity, 6), holiday_set)
        for effort in efforts
    )
    return Forecast(
        p50=p50,
        p80=p80,
        p90=p90,
        safe_date=safe,
        confidence=confidence,
        history_count=calibration.history_count,
        team=team,
        used_prior=calibration.used_prior,
        total_count=calibration.total_count,
        start=start,
    )
