"""`run_sync` end to end: recorded tracker answers through the importer into a real store."""

from __future__ import annotations

import copy
import datetime as dt
import logging

import httpx
import pytest
from sqlalchemy import select, text

from bot.roadmap.sync.runner import SyncNotConfigured, run_sync, sync_configured
from bot.settings import Settings
from store import sync_state
from store.db import make_engine, make_session_factory, session_scope
from store.models import FinishedWork, Item, SyncRun
from tests.conftest import START, make_settings
from tests.sync_fakes import FakeTracker, fixture

TOKEN = "ATATT3xFfGF0-very-secret-token"
LINEAR_KEY = "lin_api_0123456789abcdefSECRET"


@pytest.fixture
def store(database_url):
    """A clean, migrated store (SQLite, and PostgreSQL: see tests/conftest.py)."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def settings(database_url):
    return make_settings(
        database_url,
        jira_base_url="https://acme.atlassian.net",
        jira_email="pm@acme.example",
        jira_api_token=TOKEN,
        jira_jql="project = ID",
        linear_api_key=LINEAR_KEY,
        linear_teams="ENG,BIL=Billing",
    )


class Jira:
    """A Jira site serving the two recorded pages; tests edit `pages` to change the data."""

    def __init__(self):
        self.pages = [
            fixture("jira", "search_jql_page1.json"),
            fixture("jira", "search_jql_page2.json"),
        ]
        self.fail_from_page: int | None = None
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("nextPageToken")
        index = 0 if token is None else 1
        if self.status != 200:
            return httpx.Response(self.status, json=fixture("jira", "error_401.json"))
        if self.fail_from_page is not None and index >= self.fail_from_page:
            return httpx.Response(503, json=fixture("jira", "error_503.json"))
        return httpx.Response(200, json=self.pages[index])

    def issue(self, key: str) -> dict:
        for page in self.pages:
            for issue in page["issues"]:
                if issue["key"] == key:
                    return issue
        raise KeyError(key)


def sync(source, store, settings, tracker, **kwargs):
    sleeps: list[float] = []
    report = run_sync(
        source,
        session_factory=store,
        settings=settings,
        client=tracker.client(),
        sleep=sleeps.append,
        **({"now": lambda: START} | kwargs),
    )
    return report


def items(store) -> dict[str, Item]:
    with session_scope(store) as session:
        return {item.key: item for item in session.scalars(select(Item))}


def runs(store) -> list[SyncRun]:
    with session_scope(store) as session:
        return list(session.scalars(select(SyncRun).order_by(SyncRun.id)))


def test_first_sync_fills_the_store_records_the_run_and_the_cursor(store, settings):
    report = sync("jira", store, settings, FakeTracker(Jira()))

    assert report.ok
    stored = items(store)
    assert set(stored) == {"ID-12", "ID-13", "ID-14", "ID-9", "ID-7"}
    assert stored["ID-12"].status == "in_progress"
    assert stored["ID-12"].area.name == "Identity"
    assert stored["ID-12"].target_date == dt.date(2027, 3, 1)
    with session_scope(store) as session:
        okta = session.scalars(select(Item).where(Item.key == "ID-12")).one()
        assert okta.estimate.likely == 7.5
        history = session.scalars(select(FinishedWork)).all()
        assert [(h.team, h.estimate, h.actual) for h in history] == [("Identity", 5, 7)]
        assert sync_state.get_cursor(session=session, source="jira") == dt.datetime(
            2026, 11, 23, 7, 45, tzinfo=dt.UTC
        )

    [run] = runs(store)
    assert (run.source, run.status, run.pages, run.error) == ("jira", "ok", 2, None)
    assert run.finished_at >= run.started_at
    assert run.counts["read"] == 6
    assert run.counts["skipped"] == 1
    assert run.skipped == ["ID-15: the issue has no status / status category"]

    text = "\n".join(report.lines())
    assert text.startswith("jira: ok (first run, everything)")
    assert "skipped ID-15" in text


def test_next_sync_asks_only_for_changes_and_notices_a_moved_target(store, settings):
    site = Jira()
    sync("jira", store, settings, FakeTracker(site))
    before = items(store)

    site.issue("ID-13")["fields"]["duedate"] = "2027-06-30"
    site.issue("ID-13")["fields"]["updated"] = "2026-11-25T10:00:00.000+0000"
    tracker = FakeTracker(site)
    report = sync("jira", store, settings, tracker, now=lambda: START + dt.timedelta(hours=1))

    assert report.ok
    assert 'updated >= "2026/11/22 07:45"' in tracker.requests[0].url.params["jql"]
    after = items(store)
    assert after["ID-13"].target_date == dt.date(2027, 6, 30)
    assert after["ID-13"].revised_at > before["ID-13"].revised_at
    assert after["ID-12"].revised_at == before["ID-12"].revised_at  # untouched
    assert report.cursor == dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def test_a_failure_half_way_keeps_the_cursor_and_the_next_run_catches_up(store, settings):
    site = Jira()
    site.fail_from_page = 1  # page 1 answers, page 2 keeps failing with 503
    report = sync("jira", store, settings, FakeTracker(site))

    assert not report.ok
    assert report.error.startswith("jira: HTTP 503")
    assert set(items(store)) == {"ID-12", "ID-13", "ID-14"}  # page 1 only, page 2 not at all
    with session_scope(store) as session:
        assert sync_state.get_cursor(session=session, source="jira") is None
    [run] = runs(store)
    assert (run.status, run.pages) == ("failed", 1)
    assert "HTTP 503" in run.error
    assert any("the cursor did not move" in line for line in report.lines())

    site.fail_from_page = None
    again = sync("jira", store, settings, FakeTracker(site))
    assert again.ok
    assert set(items(store)) == {"ID-12", "ID-13", "ID-14", "ID-9", "ID-7"}


def test_a_refused_token_changes_nothing_and_says_which_settings_to_check(store, settings, caplog):
    caplog.set_level(logging.DEBUG)
    site = Jira()
    site.status = 401
    report = sync("jira", store, settings, FakeTracker(site))

    assert "JIRA_API_TOKEN" in report.error
    assert items(store) == {}
    assert runs(store)[0].status == "failed"
    assert TOKEN not in caplog.text and TOKEN not in "\n".join(report.lines())


def test_full_sync_ignores_the_cursor(store, settings):
    sync("jira", store, settings, FakeTracker(Jira()))
    tracker = FakeTracker(Jira())
    report = sync("jira", store, settings, tracker, full=True)

    assert "updated >=" not in tracker.requests[0].url.params["jql"]
    assert report.ok and report.full


def test_linear_sync_through_the_store(store, settings):
    def linear(request: httpx.Request) -> httpx.Response:
        body = request.read().decode()
        page = "issues_page2.json" if "b2Zmc2V0OjM=" in body else "issues_page1.json"
        return httpx.Response(200, json=fixture("linear", page))

    report = sync("linear", store, settings, FakeTracker(linear))

    assert report.ok
    stored = items(store)
    assert set(stored) == {"ENG-101", "ENG-102", "BIL-7", "BIL-3", "ENG-99"}
    assert stored["BIL-7"].area.name == "Billing"
    assert stored["ENG-101"].area.name == "Platform"
    assert [s.key for s in report.skipped] == ["ENG-103"]


def test_an_unconfigured_source_names_the_missing_settings(store, settings):
    bare = Settings(_env_file=None, database_url="sqlite://")
    with pytest.raises(SyncNotConfigured) as raised:
        run_sync(
            "linear",
            session_factory=store,
            settings=bare,
            client=httpx.Client(),
            now=lambda: START,
        )
    assert "LINEAR_API_KEY" in str(raised.value) and "LINEAR_TEAMS" in str(raised.value)
    assert runs(store) == []


def test_the_periodic_job_syncs_every_configured_source_and_survives_failures(store, settings):
    jira = Jira()

    def both(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.linear.app":
            return httpx.Response(400, json=fixture("linear", "error_authentication.json"))
        return jira(request)

    reports = sync_configured(
        session_factory=store,
        settings=settings,
        client=FakeTracker(both).client(),
        now=lambda: START,
    )

    assert [(r.source, r.ok) for r in reports] == [("jira", True), ("linear", False)]
    assert "LINEAR_API_KEY" in reports[1].error


def test_a_reopened_item_replaces_the_old_status(store, settings):
    site = Jira()
    sync("jira", store, settings, FakeTracker(site))
    reopened = site.issue("ID-9")["fields"]
    reopened["status"] = copy.deepcopy(site.issue("ID-12")["fields"]["status"])
    reopened["resolution"] = None
    reopened["updated"] = "2026-11-26T09:00:00.000+0000"
    report = sync("jira", store, settings, FakeTracker(site))

    assert report.ok
    assert items(store)["ID-9"].status == "in_progress"


REFUSE_ID9 = {
    "sqlite": [
        "CREATE TRIGGER refuse_id9 BEFORE INSERT ON items WHEN NEW.key = 'ID-9' "
        "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_id9() RETURNS trigger AS $$ BEGIN "
        "IF NEW.key = 'ID-9' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_id9 BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_id9()",
    ],
}
ALLOW_ID9 = {
    "sqlite": ["DROP TRIGGER refuse_id9"],
    "postgresql": ["DROP TRIGGER refuse_id9 ON items", "DROP FUNCTION refuse_id9()"],
}


def run_sql(database_url: str, statements: list[str]) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def test_a_store_failure_mid_page_leaves_that_page_out_entirely(store, settings, database_url):
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    run_sql(database_url, REFUSE_ID9[dialect])  # the database refuses ID-9, on page 2
    try:
        report = sync("jira", store, settings, FakeTracker(Jira()))
    finally:
        run_sql(database_url, ALLOW_ID9[dialect])

    assert report.error.startswith("jira: the store refused page 2")
    assert set(items(store)) == {"ID-12", "ID-13", "ID-14"}  # not ID-7, its page-mate
    with session_scope(store) as session:
        assert session.scalars(select(FinishedWork)).all() == []  # ID-9's history: rolled back
        assert sync_state.get_cursor(session=session, source="jira") is None
    [run] = runs(store)
    assert (run.status, run.pages) == ("failed", 1)

    again = sync("jira", store, settings, FakeTracker(Jira()))
    assert again.ok
    assert set(items(store)) == {"ID-12", "ID-13", "ID-14", "ID-9", "ID-7"}


def test_an_issue_repeated_within_a_page_is_applied_once(store, settings):
    site = Jira()
    repeated = copy.deepcopy(site.issue("ID-12"))
    repeated["fields"]["summary"] = "Okta SSO, renamed"
    site.pages[0]["issues"].append(repeated)
    report = sync("jira", store, settings, FakeTracker(site))

    assert report.ok
    assert items(store)["ID-12"].title == "Okta SSO, renamed"
