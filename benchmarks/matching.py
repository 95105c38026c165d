"""Matching quality and speed on a real roadmap, side by side with plain BM25.

    python benchmarks/matching.py [--postgres URL] [--no-synthetic] [--fit] [--misses]
                                  [--warm] [--tuning-only]

Roadmap: the 651 Kubernetes enhancement proposals in tests/data/kep/ (owning SIG as area,
status as `canwe import --kep` reads it on 2026-11-27), then the same KEPs among synthetic
items up to 10,000 in all. Questions (an empty target means "not on the roadmap": the right
answer is unknown):
  title-like   the 157 names in tests/data/kep/dev_questions.csv and the hand-written
               benchmarks/data/questions.csv (its odd rows held out)
  real wording benchmarks/data/real_questions.csv: public issue titles and pages nobody on
               the team wrote; a fixed third (by a hash of the text) is held out
The synonyms a PM would add for this roadmap are loaded from benchmarks/data/kep_synonyms.csv.

Figures, per question set:
  recall@1 / recall@3  share of on-roadmap questions whose item is first / in the top three
  MRR                  mean reciprocal rank of the right item (0 when not in the top ten)
  false-confident      share of ALL questions answered confidently with a wrong item, or
                       with any item when nothing on the roadmap is right (false promises)
  unknown-detection    share of off-roadmap questions that came out unknown
  answered             share of on-roadmap questions answered confidently and right, without
                       anyone's help
  resolved w/o PM      share of on-roadmap questions answered right, or not confident with
                       the right item among those offered to the rep ("did you mean")
  offered a choice     share of all questions offered items to pick from
  off-roadmap yes      how many off-roadmap questions were answered confidently (must be 0)
  p50 / p99            latency of one match as the bot asks for it (best three), in
                       milliseconds: every question timed 3 times, alternating with the
                       baseline, in one session with a warm vocabulary (a noisy 2-core machine)

Under each real-wording table, canwe's target figures as counts with their 95% (Wilson)
intervals: on about a hundred questions one question is a point.

The baseline is rank-bm25's BM25Okapi over title + aliases + area + description (lower-cased
words, no stemming), with its confidence the relative gap between its first two scores, its
threshold the lowest that keeps its false-confident rate at or under 2% on the tuning
questions, and its best three offered whenever it is not confident. `--fit` refits our
calibration on the tuning questions (dev questions, even rows of questions.csv, two thirds
of the real wording counted twice), asked of the KEP roadmap and of the 10,000 items (unless
--no-synthetic), and prints the constants and the threshold (see print_fit), then that rule
cross-validated on the tuning questions (print_cross_validation); the held-out questions are
used for neither. `--misses` lists wrong answers to the tuning questions only.
`--tuning-only` prints no figure of the real wording's held-out third (for tuning).

`--warm` then warms each roadmap as reps would: every tuning question is asked, and when its
right item is among those offered the rep's pick is recorded as a phrasing of it
(`add_phrasing`, as bot.questions.picking does); the held-out questions are then asked again
and reported as WARM. The cold figures above are the ones the targets are judged on.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import hashlib
import math
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bot.roadmap import matching  # noqa: E402
from bot.roadmap.importer import kep_aliases, kep_status  # noqa: E402
from store import search  # noqa: E402
from store.db import make_engine, make_session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Area, Item  # noqa: E402
from store.tenancy import DEFAULT_WORKSPACE  # noqa: E402

KEP_CSV = ROOT / "tests" / "data" / "kep" / "kubernetes_keps.csv"
DEV_CSV = ROOT / "tests" / "data" / "kep" / "dev_questions.csv"
QUESTIONS_CSV = ROOT / "benchmarks" / "data" / "questions.csv"
REAL_CSV = ROOT / "benchmarks" / "data" / "real_questions.csv"
SYNONYMS_CSV = ROOT / "benchmarks" / "data" / "kep_synonyms.csv"
SYNTHETIC_TOTAL = 10_000
FC_TARGET = 0.02  # BM25's threshold; ours is fitted to a quarter of it (see print_fit)
# --fit also judges its rule on the tuning questions split this many ways (see
# print_cross_validation)
CV_FOLDS = 5
ROUNDS = 3  # each question is timed this many times; p50 / p99 are over all of them


@dataclass(frozen=True)
class Question:
    text: str
    targets: frozenset[str]  # empty: not on the roadmap
    source: str  # dev | written | real
    tuning: bool


def held_out_real(text: str) -> bool:
    """The fixed held-out third of the real wording: by a hash of the text, never tuned on."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 3 == 0


def load_questions() -> list[Question]:
    out = []
    with DEV_CSV.open(newline="") as f:
        for row in csv.DictReader(f):
            out.append(Question(row["question"], frozenset([row["target_key"]]), "dev", True))
    with QUESTIONS_CSV.open(newline="") as f:
        for n, row in enumerate(csv.DictReader(f)):
            keys = frozenset(k for k in row["target_key"].split(";") if k)
            out.append(Question(row["question"], keys, "written", n % 2 == 0))
    with REAL_CSV.open(newline="") as f:
        for row in csv.DictReader(f):
            keys = frozenset(k for k in row["target_key"].split(";") if k)
            text = row["question"]
            out.append(Question(text, keys, "real", not held_out_real(text)))
    return out


def kep_rows() -> list[dict]:
    with KEP_CSV.open(newline="") as f:
        return list(csv.DictReader(f))


def synthetic_rows(keps: list[dict], total: int, seed: int = 7) -> list[dict]:
    """Items built from the KEPs' own words: plausible distractors, none a real item.

    A title is 2 to 5 words that carry meaning (no "for", "the"), drawn from all KEP titles;
    a description 15 to 45 words drawn from all KEP summaries.
    """
    rng = random.Random(seed)
    title_words = [
        w
        for r in keps
        for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", r["title"])
        if w.lower() not in matching.STOPWORDS
    ]
    summary_words = [w for r in keps for w in re.findall(r"[A-Za-z][A-Za-z0-9-]+", r["summary"])]
    areas = sorted({r["area"] for r in keps})
    rows = []
    for n in range(total - len(keps)):
        title = " ".join(rng.choice(title_words) for _ in range(rng.randint(2, 5)))
        summary = " ".join(rng.choice(summary_words) for _ in range(rng.randint(15, 45)))
        rows.append(
            {"key": f"SYN-{n}", "title": title, "area": rng.choice(areas), "summary": summary}
        )
    return rows


# the day the KEP statuses are read at (as `canwe import --kep` would on that day)
STATUS_DAY = dt.date(2026, 11, 27)


def status_of(row: dict) -> str:
    """canwe's status for a KEP row (synthetic items are planned)."""
    if "status" not in row:
        return "planned"
    target = dt.date.fromisoformat(row["target_date"]) if row.get("target_date") else None
    return kep_status(row.get("status", ""), row.get("stage", ""), target, STATUS_DAY)


def build_store(url: str, rows: list[dict]):
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as session:
        area_ids = {}
        for name in sorted({r["area"] for r in rows}):
            area = Area(name=name, keywords=[])
            session.add(area)
            session.flush()
            area_ids[name] = area.id
        session.execute(
            insert(Item),
            [
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "key": r["key"],
                    "title": r["title"],
                    "description": r["summary"],
                    "area_id": area_ids[r["area"]],
                    "status": status_of(r),
                    "public": False,
                    "aliases": kep_aliases(r),  # as `canwe import` gives a KEP
                    "url": r.get("url"),
                    "updated_at": now,
                    "revised_at": now,
                }
                for r in rows
            ],
        )
        search.optimize_index(session=session)  # as `canwe import` and the tracker sync do
        if PM_SYNONYMS:
            with SYNONYMS_CSV.open(newline="") as f:
                for row in csv.DictReader(f):
                    search.set_synonym(session=session, term=row["term"], means=row["means"])
    return engine, factory


_TOKEN = re.compile(r"[a-z0-9]+")


class Baseline:
    def __init__(self, rows: list[dict]):
        self.keys = [r["key"] for r in rows]
        docs = [f"{r['title']} {r['area']} {r['summary']}" for r in rows]
        self.bm25 = BM25Okapi([_TOKEN.findall(d.lower()) or ["_"] for d in docs])

    def rank(self, text: str) -> tuple[list[str], float]:
        scores = self.bm25.get_scores(_TOKEN.findall(text.lower()))
        top = sorted(range(len(scores)), key=lambda i: -scores[i])[:10]
        s1, s2 = scores[top[0]], scores[top[1]]
        gap = (s1 - s2) / s1 if s1 > 0 else 0.0
        return [self.keys[i] for i in top if scores[i] > 0], gap


@dataclass
class Outcome:
    question: Question
    ranked: list[str]
    confidence: float
    features: tuple = ()
    ms: tuple[float, ...] = ()  # one latency per round
    offered: tuple[str, ...] = ()  # the candidates a rep is offered when not confident
    confident: bool | None = None  # None: decided by a threshold on `confidence`
    held_back: bool = False  # a rule of the matcher keeps it from being confident


VIA_PARSING = False
PM_SYNONYMS = True
TUNING_ONLY = False  # --tuning-only: print no figure of a held-out set (while tuning)


def as_bot_sends(text: str) -> str:
    """What the bot hands to match(): with --via-parsing, bot.core.parsing's `feature`."""
    if not VIA_PARSING:
        return text
    from bot.core.parsing import parse_question

    return parse_question(text, dt.date(2026, 11, 27)).feature


def run_both(factory, baseline: Baseline, questions) -> tuple[list[Outcome], list[Outcome]]:
    """Our outcomes and the baseline's. Each question is timed ROUNDS times on each, the two
    alternating, so that a noisy moment of the machine falls on both alike. Ours is timed as
    the bot calls it (top three); its ranking to ten (for MRR) is read untimed."""
    ours, base = [], []
    with factory() as session:
        matching.match("warm up the vocabulary", session=session)
        for q in questions:
            text = as_bot_sends(q.text)
            ms, base_ms = [], []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                matching.match(text, session=session)
                ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                ranked, gap = baseline.rank(q.text)
                base_ms.append((time.perf_counter() - start) * 1000)
            result = matching.match(text, session=session, limit=10)
            _, features = matching.explain(text, session=session)
            keys = [c.key for c in result.candidates]
            offered = tuple(c.key for c in result.offered)
            ours.append(
                Outcome(
                    q,
                    keys,
                    result.confidence,
                    features,
                    tuple(ms),
                    offered,
                    result.confident,
                    result.held_back,
                )
            )
            # BM25 has no notion of plausible: it offers its best three whenever unsure
            base.append(Outcome(q, ranked, gap, ms=tuple(base_ms), offered=tuple(ranked[:3])))
    return ours, base


def lowest_safe_threshold(outcomes: list[Outcome], target: float = FC_TARGET) -> float:
    """The lowest confidence threshold that keeps false-confident <= target on these outcomes."""
    for t in sorted({round(o.confidence, 4) for o in outcomes} | {1.01}):
        if false_confident(outcomes, t) <= target:
            return t
    return 1.01


def is_right(o: Outcome) -> bool:
    return bool(o.ranked) and o.ranked[0] in o.question.targets


def is_confident(o: Outcome, threshold: float) -> bool:
    """As the matcher decided; with `confident` cleared (BM25, or a refit), by `threshold`,
    unless one of the matcher's rules held the match back."""
    if o.confident is not None:
        return o.confident
    return o.confidence >= threshold and not o.held_back


def false_confident(outcomes, threshold) -> float:
    bad = sum(1 for o in outcomes if is_confident(o, threshold) and not is_right(o))
    return bad / len(outcomes)


def resolved(o: Outcome, threshold: float) -> bool:
    """Resolved without a PM: answered right, or the right item is among those offered."""
    if is_confident(o, threshold):
        return is_right(o)
    return any(key in o.question.targets for key in o.offered)


def figures(outcomes: list[Outcome], threshold: float) -> dict[str, float]:
    on = [o for o in outcomes if o.question.targets]
    off = [o for o in outcomes if not o.question.targets]

    def rank_of(o):
        for n, key in enumerate(o.ranked[:10], 1):
            if key in o.question.targets:
                return n
        return None

    ranks = [rank_of(o) for o in on]
    ms = sorted(m for o in outcomes for m in o.ms)
    return {
        "recall@1": sum(1 for r in ranks if r == 1) / len(on),
        "recall@3": sum(1 for r in ranks if r and r <= 3) / len(on),
        "MRR": sum(1 / r for r in ranks if r) / len(on),
        "false-confident": false_confident(outcomes, threshold),
        "unknown-detection": (
            sum(1 for o in off if not is_confident(o, threshold)) / len(off)
            if off
            else float("nan")
        ),
        "answered": sum(1 for o in on if is_confident(o, threshold) and is_right(o)) / len(on),
        "resolved w/o PM": sum(1 for o in on if resolved(o, threshold)) / len(on),
        "offered a choice": sum(1 for o in outcomes if not is_confident(o, threshold) and o.offered)
        / len(outcomes),
        "off-roadmap yes": float(sum(1 for o in off if is_confident(o, threshold))),
        "p50 ms": statistics.median(ms),
        "p99 ms": ms[min(len(ms) - 1, math.ceil(0.99 * len(ms)) - 1)],
    }


HIGHER_IS_BETTER = {
    "false-confident": False,
    "off-roadmap yes": False,
    "offered a choice": False,
    "p50 ms": False,
    "p99 ms": False,
}


def print_table(title: str, ours: dict, base: dict, n_on: int, n_off: int) -> None:
    print(f"\n{title}  ({n_on} on-roadmap + {n_off} off-roadmap questions)")
    print(f"  {'figure':<18} {'canwe':>9} {'BM25':>9}")
    for name in ours:
        a, b = ours[name], base[name]
        fmt = "{:9.2f}" if name.endswith("ms") else "{:9.3f}"
        better = a >= b if HIGHER_IS_BETTER.get(name, True) else a <= b
        mark = "" if better or (math.isnan(a) and math.isnan(b)) else "   <- BM25 better"
        print(f"  {name:<18} {fmt.format(a)} {fmt.format(b)}{mark}")


# the sign each confidence feature's weight must have (see bot.roadmap.matching._features)
SIGNS = (1, 1, 1, 1, -1, -1, -1)


# each real phrasing counts this many times the title-like questions when fitting: there are
# three times fewer of them, and they are how reps ask
REAL_WEIGHT = 2.0


def fit_calibration(outcomes: list[Outcome]) -> tuple[float, ...]:
    """Logistic regression of 'the best candidate is right' on the confidence features."""
    xs = np.array([(1.0, *o.features) for o in outcomes], dtype=float)
    ys = np.array([1.0 if is_right(o) else 0.0 for o in outcomes])
    ks = np.array([REAL_WEIGHT if o.question.source == "real" else 1.0 for o in outcomes])
    signs = np.array(SIGNS)
    w = np.zeros(xs.shape[1])
    for _ in range(4000):
        p = 1 / (1 + np.exp(-np.clip(xs @ w, -30.0, 30.0)))
        w = w - 2.0 * (xs.T @ (ks * (p - ys))) / ks.sum() - 1e-4 * w
        # more score, gap, coverage, precision or name coverage never makes a match less
        # certain; words the roadmap never uses, or a qualifier the question lacks
        # ("Deprecate ipvs mode" for "ipvs mode"), never make it more certain
        w[1:] = np.where(signs > 0, np.maximum(w[1:], 0.0), np.minimum(w[1:], 0.0))
    return tuple(float(x) for x in w)


def print_fit(tuning: list[Outcome]) -> None:
    """Refit the calibration on the tuning questions and print the constants and threshold
    (see threshold_for), then how that rule does on tuning questions it was not fitted on."""
    # rounded as printed: the threshold below is then the one for the constants pasted
    w = tuple(round(x, 2) for x in fit_calibration(tuning))
    print(
        "fitted on the tuning questions: _CALIBRATION = (" + ", ".join(f"{x:.2f}" for x in w) + ")"
    )
    threshold = threshold_for(calibrated(tuning, w))
    if threshold is None:
        print("  no threshold meets the targets")
    else:
        print(f"  threshold: {threshold:.4f} (CONFIDENCE_THRESHOLD)")
    print_cross_validation(tuning)


def calibrated(outcomes: list[Outcome], w: tuple[float, ...]) -> list[Outcome]:
    """Copies of `outcomes` with the confidence `w` gives them, decided by a threshold."""
    out = []
    for o in outcomes:
        z = sum(wi * xi for wi, xi in zip(w, (1.0, *o.features), strict=True))
        # rounded as matching.confidence_from rounds it, so the threshold holds there too
        confidence = round(1 / (1 + math.exp(-z)), 4)
        out.append(replace(o, confidence=confidence, confident=None))
    return out


def threshold_for(outcomes: list[Outcome]) -> float | None:
    """The lowest threshold with false-confident at or under half the 1% target on all
    of them, none on the real wording, and no off-roadmap question answered (the rules
    that hold a match back apply whatever the threshold); None if there is none."""
    real = [o for o in outcomes if o.question.source == "real"]
    off = [o for o in outcomes if not o.question.targets]
    for t in sorted({o.confidence for o in outcomes} | {1.01}):
        if (
            false_confident(outcomes, t) <= FC_TARGET / 4
            and false_confident(real, t) == 0
            and not any(is_confident(o, t) for o in off)
        ):
            return t
    return None


def print_cross_validation(tuning: list[Outcome]) -> None:
    """The fitting rule (calibration, then threshold_for) judged on tuning questions it did
    not see: the tuning questions split into CV_FOLDS folds by a hash of their text (a
    question's outcomes on both roadmaps in the same fold), each fold answered with the
    constants fitted on the others. The threshold is the lowest with no confident wrong
    answer to the real tuning wording, so on that wording it is right at the edge; this says
    how often such a rule is confidently wrong on wording it was not fitted on, without
    reading the held-out third."""
    folds = [[o for o in tuning if fold_of(o.question.text) == k] for k in range(CV_FOLDS)]
    tested: list[Outcome] = []
    thresholds = []
    for k, fold in enumerate(folds):
        rest = [o for j, other in enumerate(folds) if j != k for o in other]
        w = tuple(round(x, 2) for x in fit_calibration(rest))
        threshold = threshold_for(calibrated(rest, w))
        threshold = 1.01 if threshold is None else threshold
        thresholds.append(threshold)
        tested.extend(
            replace(o, confident=o.confidence >= threshold and not o.held_back)
            for o in calibrated(fold, w)
        )
    real = [o for o in tested if o.question.source == "real"]
    for name, group in (("all tuning", tested), ("real wording", real)):
        on = [o for o in group if o.question.targets]
        wrong = sum(1 for o in group if o.confident and not is_right(o))
        answered = sum(1 for o in on if o.confident and is_right(o))
        off_yes = sum(1 for o in group if o.confident and not o.question.targets)
        print(
            f"  cross-validated ({CV_FOLDS} folds, thresholds "
            f"{', '.join(f'{t:.4f}' for t in thresholds)}), {name}: confident and wrong "
            f"{wrong} of {len(group)} ({wrong / len(group):.1%}), answered right "
            f"{answered / len(on):.3f}, off-roadmap yes {off_yes}"
        )


def fold_of(text: str) -> int:
    return int(hashlib.sha256(f"fold:{text}".encode()).hexdigest()[:8], 16) % CV_FOLDS


def evaluate(label: str, factory, rows, questions) -> list[Outcome]:
    """Print the figures on one roadmap; return our outcomes (for --fit)."""
    ours, base = run_both(factory, Baseline(rows), questions)
    tuning_base = [o for o in base if o.question.tuning]
    base_threshold = lowest_safe_threshold(tuning_base)
    threshold = matching.CONFIDENCE_THRESHOLD
    print(
        f"\n=== {label}: {len(rows)} items; canwe threshold {threshold}, "
        f"BM25 relative-gap threshold {base_threshold:.3f} (chosen on the tuning half)"
    )
    for name, keep in (
        ("title-like: dev_questions.csv + questions.csv", lambda q: q.source != "real"),
        (
            "title-like: questions.csv held-out half (odd rows)",
            lambda q: q.source == "written" and not q.tuning,
        ),
        ("real wording: tuning two-thirds", lambda q: q.source == "real" and q.tuning),
        ("real wording: HELD-OUT third", lambda q: q.source == "real" and not q.tuning),
    ):
        if TUNING_ONLY and name.startswith("real wording: HELD-OUT"):
            continue
        o1 = [o for o in ours if keep(o.question)]
        o2 = [o for o in base if keep(o.question)]
        n_on = sum(1 for o in o1 if o.question.targets)
        print_table(name, figures(o1, threshold), figures(o2, base_threshold), n_on, len(o1) - n_on)
        if name.startswith("real wording"):
            print_intervals(o1, threshold)
    return ours


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion k of n (sound near 0 and 1)."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def print_intervals(outcomes: list[Outcome], threshold: float) -> None:
    """The target figures as counts with their 95% intervals: on a hundred questions one
    question moves a figure by a point, so a figure near its target says little alone."""
    on = [o for o in outcomes if o.question.targets]
    off = [o for o in outcomes if not o.question.targets]
    counts = (
        ("resolved w/o PM", sum(1 for o in on if resolved(o, threshold)), len(on)),
        (
            "confident-wrong",
            sum(1 for o in outcomes if is_confident(o, threshold) and not is_right(o)),
            len(outcomes),
        ),
        ("off-roadmap yes", sum(1 for o in off if is_confident(o, threshold)), len(off)),
    )
    shown = []
    for label, k, n in counts:
        low, high = wilson(k, n)
        shown.append(f"{label} {k} of {n} [{low:.3f}, {high:.3f}]")
    print("  canwe, 95% intervals: " + "; ".join(shown))


def learn_picks(factory, questions) -> int:
    """Warm the roadmap as reps would: each tuning question asked, and when its right item is
    among those offered, the rep's pick of it recorded as a phrasing of that item (as
    bot.questions.picking does). Returns how many picks were recorded."""
    picks = 0
    now = dt.datetime.now(dt.UTC)
    with factory.begin() as session:
        for q in questions:
            if not q.tuning or not q.targets:
                continue
            result = matching.match(as_bot_sends(q.text), session=session)
            if result.confident:
                continue
            pick = next((c for c in result.offered if c.key in q.targets), None)
            if pick is not None and matching.add_phrasing(
                session=session, item_id=pick.item_id, text=q.text, now=now
            ):
                picks += 1
                # the next question sees the pick, whatever the roadmap's size: a server
                # rebuilds a large roadmap's index beside the questions, from what is
                # committed, and these picks are all in this one transaction
                matching._cache.clear()
    return picks


def evaluate_warm(label: str, factory, rows, questions) -> None:
    """The held-out questions asked again after the tuning questions' picks were learnt."""
    picks = learn_picks(factory, questions)
    held_out = [q for q in questions if not q.tuning]
    ours, base = run_both(factory, Baseline(rows), held_out)
    threshold = matching.CONFIDENCE_THRESHOLD
    print(
        f"\n=== WARM {label}: {len(rows)} items, after {picks} reps' picks on the tuning "
        "questions were learnt (BM25 learns nothing: its figures are cold)"
    )
    base_threshold = lowest_safe_threshold(base)  # only for its columns, not comparable
    for name, keep in (
        ("WARM title-like: questions.csv held-out half", lambda q: q.source == "written"),
        ("WARM real wording: HELD-OUT third", lambda q: q.source == "real"),
    ):
        o1 = [o for o in ours if keep(o.question)]
        o2 = [o for o in base if keep(o.question)]
        n_on = sum(1 for o in o1 if o.question.targets)
        if n_on:
            fig1, fig2 = figures(o1, threshold), figures(o2, base_threshold)
            print_table(name, fig1, fig2, n_on, len(o1) - n_on)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="also run on this PostgreSQL database URL (emptied)")
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument("--fit", action="store_true", help="refit the confidence calibration")
    parser.add_argument(
        "--misses",
        action="store_true",
        help="list wrong answers to the tuning questions (never the held-out ones)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="then learn the reps' picks on the tuning questions and ask the held-out again",
    )
    parser.add_argument(
        "--tuning-only",
        action="store_true",
        help="print the tuning sets' figures only (for tuning: nothing held out is shown)",
    )
    parser.add_argument(
        "--via-parsing", action="store_true", help="match bot.core.parsing's feature text"
    )
    parser.add_argument(
        "--no-pm-synonyms",
        action="store_true",
        help="only the seeded synonyms, not benchmarks/data/kep_synonyms.csv",
    )
    args = parser.parse_args()
    global VIA_PARSING, PM_SYNONYMS, TUNING_ONLY
    VIA_PARSING = args.via_parsing
    TUNING_ONLY = args.tuning_only
    PM_SYNONYMS = not args.no_pm_synonyms
    questions = load_questions()
    keps = kep_rows()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/kep.db"
        engine, factory = build_store(url, keps)
        # --fit: on the tuning questions asked of both roadmaps, the KEPs alone and among
        # 10,000 items: a threshold safe on 651 items gave confident wrong answers on 10,000
        # (short distractor names a long question covers whole)
        tuning = [
            o
            for o in evaluate("SQLite, KEP roadmap", factory, keps, questions)
            if o.question.tuning
        ]
        if args.misses:
            print_misses(factory, questions)
        if args.warm and not TUNING_ONLY:
            evaluate_warm("SQLite, KEP roadmap", factory, keps, questions)
        engine.dispose()
        if args.postgres:
            reset_postgres(args.postgres)
            engine, factory = build_store(args.postgres, keps)
            evaluate("PostgreSQL, KEP roadmap", factory, keps, questions)
            engine.dispose()
        if not args.no_synthetic:
            rows = keps + synthetic_rows(keps, SYNTHETIC_TOTAL)
            engine, factory = build_store(f"sqlite:///{tmp}/synthetic.db", rows)
            ours = evaluate("SQLite, KEPs among synthetic items", factory, rows, questions)
            tuning += [o for o in ours if o.question.tuning]
            print_collection_pause(len(rows))
            if args.warm and not TUNING_ONLY:
                evaluate_warm("SQLite, KEPs among synthetic items", factory, rows, questions)
            engine.dispose()
            if args.postgres:
                reset_postgres(args.postgres)
                engine, factory = build_store(args.postgres, rows)
                label = "PostgreSQL, KEPs among synthetic items"
                evaluate(label, factory, rows, questions)
                engine.dispose()
    if args.fit:
        print_fit(tuning)


def print_collection_pause(items: int) -> None:
    """How long one full garbage collection holds every thread of the process, the index of
    `items` items built: as the bot keeps the index (frozen, out of the collector's reach),
    beside the baseline of the same index in reach (gc.unfreeze: how it was kept before)."""
    start = time.perf_counter()
    gc.collect()
    frozen = time.perf_counter() - start
    gc.unfreeze()
    start = time.perf_counter()
    gc.collect()
    in_reach = time.perf_counter() - start
    gc.freeze()
    print(
        f"\none full garbage collection with the index of {items:,} items built: "
        f"{frozen * 1000:.0f} ms as canwe keeps it (frozen), {in_reach * 1000:.0f} ms with it "
        "in the collector's reach (baseline): every thread of the process waits that long"
    )


def print_misses(factory, questions) -> None:
    with factory() as session:
        for q in questions:
            if not q.tuning:  # the held-out questions are only ever counted, never read
                continue
            r = matching.match(as_bot_sends(q.text), session=session)
            right = r.best is not None and r.best.key in q.targets
            if not right and (r.confident or q.targets):
                got = r.best.key + " " + r.best.title if r.best else "-"
                print(
                    f"{'CONF ' if r.confident else '     '}{r.confidence:.2f} "
                    f"{q.text!r} want={'/'.join(sorted(q.targets)) or 'unknown'} got={got}"
                )


def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    main()
