"""The one date rule (bot.core.truth), as a table: record, PM answers, the rep's question."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.truth import DEAL, ITEM, Asked, PMFact, Record, answer_question
from bot.core.verdicts import SafeDate, Verdict

MAR_1 = dt.date(2027, 3, 1)
JAN_8 = dt.date(2027, 1, 8)
SAFE = SafeDate(date=MAR_1, confidence=0.8, p50=MAR_1, summary="80% likely by Mar 1, 2027")
COMMITTED = Record(status="committed", safe=SAFE)
EXPLORING = Record(status="exploring")


def pm(kind=Verdict.committed, earliest=JAN_8, scope=ITEM, customer=None, n=1, thread=9):
    return PMFact(
        answer_id=n,
        kind=kind,
        earliest=earliest if kind == Verdict.committed else None,
        answered_by="U0PM",
        answered_at=dt.datetime(2026, 11, 30, 15, n, tzinfo=dt.UTC),
        scope=scope,
        customer=customer,
        escalation_id=thread,
    )


@pytest.mark.parametrize(
    ("record", "facts", "asked", "verdict", "date", "overrides"),
    [
        # the record alone: the safe date against the rep's date
        (COMMITTED, [], Asked(needed_by=dt.date(2027, 3, 15)), "committed", MAR_1, None),
        (COMMITTED, [], Asked(needed_by=dt.date(2027, 2, 1)), "not_by_then", MAR_1, None),
        (EXPLORING, [], Asked(), "not_committed", None, None),
        (Record(status="declined"), [], Asked(), "no", None, None),
        (None, [], Asked(), "unknown", None, None),
        # a PM's date is a fact, read against each rep's own date
        (
            COMMITTED,
            [pm(earliest=MAR_1)],
            Asked(needed_by=dt.date(2027, 3, 15)),
            "committed",
            MAR_1,
            None,
        ),
        (
            COMMITTED,
            [pm(earliest=MAR_1)],
            Asked(needed_by=dt.date(2027, 2, 1)),
            "not_by_then",
            MAR_1,
            None,
        ),
        # where it differs from the record, the record it overrides is named
        (
            EXPLORING,
            [pm()],
            Asked(needed_by=dt.date(2027, 2, 1)),
            "committed",
            JAN_8,
            "status exploring",
        ),
        (COMMITTED, [pm(Verdict.no)], Asked(), "no", None, "committed, Mar 1, 2027"),
        # this deal only: its own thread and its customer, nobody else
        (
            EXPLORING,
            [pm(scope=DEAL, customer="Globex")],
            Asked(customer="Initech"),
            "not_committed",
            None,
            None,
        ),
        (
            EXPLORING,
            [pm(scope=DEAL, customer="Globex")],
            Asked(customer=" globex "),
            "committed",
            JAN_8,
            "status exploring",
        ),
        (
            EXPLORING,
            [pm(scope=DEAL, customer=None)],
            Asked(escalation_id=9),
            "committed",
            JAN_8,
            "status exploring",
        ),
        # the newest answer that applies wins
        (
            EXPLORING,
            [pm(n=1), pm(Verdict.not_committed, n=2)],
            Asked(),
            "not_committed",
            None,
            None,
        ),
        (
            EXPLORING,
            [pm(Verdict.no, n=2, scope=DEAL, customer="Acme"), pm(n=1)],
            Asked(customer="Hooli"),
            "committed",
            JAN_8,
            "status exploring",
        ),
        # shipped is available, whatever anyone said before
        (Record(status="shipped"), [pm(Verdict.no)], Asked(), "available", None, None),
    ],
)
def test_the_one_date_rule(record, facts, asked, verdict, date, overrides):
    truth = answer_question(record, facts, asked)
    assert (truth.verdict, truth.date, truth.overrides) == (Verdict(verdict), date, overrides)


def test_what_a_rep_was_told_is_compared_whatever_date_they_needed():
    from bot.core.truth import told_before

    today = dt.date(2026, 11, 30)
    mar1, apr1 = dt.date(2027, 3, 1), dt.date(2027, 4, 1)
    # the same fact read against two needed-by dates is not a change
    assert told_before((Verdict.committed, mar1), (Verdict.not_by_then, mar1), today) is None
    assert (
        told_before((Verdict.committed, mar1), (Verdict.committed, apr1), today)
        == "can be promised from Mar 1, 2027"
    )
    assert told_before((Verdict.no, None), (Verdict.committed, apr1), today) == (
        "no, it will not be built"
    )
    assert told_before((Verdict.not_committed, None), (Verdict.available, None), today) == (
        "not committed"
    )
    # nothing was said, or nothing is said now: nothing to replace
    assert told_before((Verdict.unknown, None), (Verdict.committed, apr1), today) is None
    assert told_before((Verdict.committed, mar1), (Verdict.unknown, None), today) is None
    # a yes stored before the date was kept says nothing comparable
    assert told_before((Verdict.committed, None), (Verdict.committed, apr1), today) is None
