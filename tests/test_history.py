"""Team history queries (store.history) on SQLite and PostgreSQL, and a forecast from them."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from sqlalchemy import update

from bot.core.forecast import clear_cache, forecast
from store.db import make_engine, make_session_factory, session_scope
from store.history import history_version, team_ratios
from store.migrate import upgrade
from store.models import FinishedWork

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request, tmp_path):
    """A session factory on a freshly migrated database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'history.db'}"
        drop = None
    else:
        name = f"canwe_history_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

        def drop():
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    upgrade(url)
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        if drop:
            drop()


def add_work(session, team, estimate, actual, finished, key=None):
    session.add(
        FinishedWork(team=team, estimate=estimate, actual=actual, finished=finished, source_key=key)
    )


def test_ratios_are_per_team_oldest_first(sessions):
    with session_scope(sessions) as s:
        add_work(s, "Platform", 4, 6, dt.date(2026, 5, 3))
        add_work(s, "Platform", 2, 2, dt.date(2026, 5, 1))
        add_work(s, "Mobile", 10, 30, dt.date(2026, 5, 2))
        add_work(s, "Platform", 5, 4, dt.date(2026, 5, 2))
    with session_scope(sessions) as s:
        assert team_ratios(session=s, team="Platform") == [1.0, 0.8, 1.5]
        assert team_ratios(session=s, team="Platform", limit=2) == [0.8, 1.5]
        assert team_ratios(session=s, team="Mobile") == [3.0]
        assert team_ratios(session=s, team="Nobody") == []


def test_version_changes_when_the_history_changes(sessions):
    with session_scope(sessions) as s:
        empty = history_version(session=s, team="Platform")
        add_work(s, "Platform", 4, 6, dt.date(2026, 5, 3), key="T-1")
        s.flush()
        one = history_version(session=s, team="Platform")
        add_work(s, "Mobile", 1, 1, dt.date(2026, 6, 3))
        s.flush()
        assert history_version(session=s, team="Platform") == one  # other teams do not count
        s.execute(update(FinishedWork).where(FinishedWork.source_key == "T-1").values(actual=8))
        corrected = history_version(session=s, team="Platform")
    assert len({empty, one, corrected}) == 3


def test_a_forecast_from_the_store_uses_the_team_history_and_its_cache(sessions):
    clear_cache()
    start = dt.date(2027, 3, 1)
    with session_scope(sessions) as s:
        for i in range(30):
            add_work(s, "Platform", 5, 10, start - dt.timedelta(days=60 - i))  # always 2x
    with session_scope(sessions) as s:
        result = forecast(
            10,
            lambda: team_ratios(session=s, team="Platform"),
            start=start,
            team="Platform",
            history_version=history_version(session=s, team="Platform"),
        )
    assert result.p80 == dt.date(2027, 3, 29)  # 20 working days: twice the estimate
    assert result.describe().endswith("based on 30 finished tasks of team Platform")

    with session_scope(sessions) as s:
        for i in range(30):
            add_work(s, "Platform", 5, 5, start - dt.timedelta(days=20 - i % 10))  # on time
    with session_scope(sessions) as s:
        version = history_version(session=s, team="Platform")
        later = forecast(
            10,
            lambda: team_ratios(session=s, team="Platform", limit=30),
            start=start,
            team="Platform",
            history_version=version,
        )
    assert later.p80 == dt.date(2027, 3, 15)  # the 30 most recent took their estimate
    clear_cache()
