"""Jira Cloud connector against responses shaped like the documented REST v3 answers."""

from __future__ import annotations

import base64
import datetime as dt
import logging

import httpx
import pytest
from pydantic import SecretStr

from bot.roadmap.schema import Status
from bot.roadmap.sync.base import (
    SourceAuthError,
    SourceResponseError,
    SourceUnavailable,
    SyncNotConfigured,
)
from bot.roadmap.sync.http import RetryPolicy
from bot.roadmap.sync.jira import ANY_AREA, JiraConfig, JiraSource, map_status
from tests.sync_fakes import FakeTracker, Script, fail, fixture, reply

TOKEN = "ATATT3xFfGF0-very-secret-token"
BASE = "https://acme.atlassian.net"


def config(**overrides) -> JiraConfig:
    values = dict(
        base_url=BASE + "/",
        email="pm@acme.example",
        api_token=SecretStr(TOKEN),
        jql={ANY_AREA: "project = ID ORDER BY rank"},
        page_size=3,
    )
    values.update(overrides)
    return JiraConfig(**values)


def token_paging(request: httpx.Request) -> httpx.Response:
    """The enhanced search: page 2 only for the token page 1 handed out."""
    assert request.url.path == "/rest/api/3/search/jql"
    token = request.url.params.get("nextPageToken")
    if token is None:
        return httpx.Response(200, json=fixture("jira", "search_jql_page1.json"))
    if token == "CAEaAggD":
        return httpx.Response(200, json=fixture("jira", "search_jql_page2.json"))
    return httpx.Response(400, json={"errorMessages": ["bad token"], "errors": {}})


def source(tracker: FakeTracker, sleeps: list[float] | None = None, **overrides) -> JiraSource:
    return JiraSource(
        config(**overrides),
        tracker.client(),
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC),
    )


def all_pages(src: JiraSource, since=None):
    return list(src.fetch_changes(since))


def test_pages_through_next_page_token_and_maps_every_field():
    tracker = FakeTracker(token_paging)
    pages = all_pages(source(tracker))

    assert len(pages) == 2
    assert [r.url.params.get("nextPageToken") for r in tracker.requests] == [None, "CAEaAggD"]
    first = tracker.requests[0]
    assert first.url.params["maxResults"] == "3"
    fields = first.url.params["fields"].split(",")
    for name in ("summary", "status", "fixVersions", "timeoriginalestimate", "resolutiondate"):
        assert name in fields
    expected_auth = base64.b64encode(f"pm@acme.example:{TOKEN}".encode()).decode()
    assert first.headers["Authorization"] == f"Basic {expected_auth}"

    items = {item.key: item for page in pages for item in page.items}
    assert set(items) == {"ID-12", "ID-13", "ID-14", "ID-9", "ID-7"}

    okta = items["ID-12"]
    assert okta.title == "Single sign-on with Okta (SAML)"
    assert okta.description == "SP-initiated SAML 2.0 login for Okta tenants.\n\nNeeds SCIM later."
    assert okta.status is Status.in_progress
    assert okta.area == "Identity"  # first component
    assert okta.target == dt.date(2027, 3, 1)  # the fix version's release date
    assert okta.public is True  # labelled "public"
    assert okta.url == f"{BASE}/browse/ID-12"
    assert okta.estimate.likely == 7.5  # 60 h remaining at 8 h a day

    scim = items["ID-13"]
    assert scim.status is Status.committed  # To Do, but with a due date
    assert scim.target == dt.date(2027, 4, 15)
    assert scim.estimate.likely == 15  # no remaining estimate: original 120 h, nothing spent

    assert items["ID-14"].status is Status.planned  # To Do, unscheduled
    assert items["ID-14"].area == "Identity"  # no component: the project's name
    assert items["ID-14"].estimate is None
    assert items["ID-9"].status is Status.shipped
    assert items["ID-9"].estimate is None
    assert items["ID-7"].status is Status.declined  # Done, resolved as Won't Do


def test_a_resolved_issue_with_estimate_and_time_spent_becomes_history():
    pages = all_pages(source(FakeTracker(token_paging)))
    history = [h for page in pages for h in page.history]

    assert len(history) == 1
    done = history[0]
    assert (done.team, done.estimate, done.actual) == ("Identity", 5, 7)
    assert done.finished == dt.date(2026, 8, 28)
    assert done.source_key == "jira:ID-9"


def test_a_malformed_issue_is_skipped_and_reported_while_the_rest_import():
    pages = all_pages(source(FakeTracker(token_paging)))
    skipped = [s for page in pages for s in page.skipped]

    assert [s.key for s in skipped] == ["ID-15"]
    assert "status" in skipped[0].reason
    assert len(pages[1].items) == 2  # the two good issues on the same page


def test_the_older_start_at_paging():
    def offset_paging(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/rest/api/3/search"
        start = request.url.params["startAt"]
        return httpx.Response(200, json=fixture("jira", f"search_page{1 + int(start) // 3}.json"))

    tracker = FakeTracker(offset_paging)
    pages = all_pages(source(tracker, paging="offset"))

    assert [r.url.params["startAt"] for r in tracker.requests] == ["0", "3"]
    assert sum(len(p.items) for p in pages) == 5


def test_auto_paging_falls_back_to_start_at_when_the_enhanced_search_is_missing():
    def old_site(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/api/3/search/jql":
            return httpx.Response(404, json={"errorMessages": ["Not found"], "errors": {}})
        start = int(request.url.params["startAt"])
        return httpx.Response(200, json=fixture("jira", f"search_page{1 + start // 3}.json"))

    pages = all_pages(source(FakeTracker(old_site)))

    assert sum(len(p.items) for p in pages) == 5


def test_incremental_run_asks_only_for_what_changed_and_returns_the_newest_update():
    tracker = FakeTracker(token_paging)
    since = dt.datetime(2026, 11, 20, 9, 5, tzinfo=dt.UTC)
    pages = all_pages(source(tracker), since=since)

    jql = tracker.requests[0].url.params["jql"]
    # a day of overlap (JQL reads dates in the API user's zone); the user's ORDER BY replaced
    assert jql == '(project = ID) AND updated >= "2026/11/19 09:05" ORDER BY updated ASC'
    assert max(p.cursor for p in pages) == dt.datetime(2026, 11, 23, 7, 45, tzinfo=dt.UTC)


def test_one_jql_per_area_names_the_area():
    seen_jql = []

    def per_area(request: httpx.Request) -> httpx.Response:
        seen_jql.append(request.url.params["jql"])
        return httpx.Response(200, json=fixture("jira", "search_jql_page2.json"))

    jql = {"Identity": "project = ID", "Billing": "project = BIL AND component = Invoices"}
    pages = all_pages(source(FakeTracker(per_area), jql=jql))

    assert seen_jql == [
        "project = ID ORDER BY updated ASC",
        jql["Billing"] + " ORDER BY updated ASC",
    ]
    assert {i.area for i in pages[0].items} == {"Identity"}
    assert {i.area for i in pages[1].items} == {"Billing"}


def test_status_mapping_defaults_and_overrides():
    assert map_status("new", "Backlog", None, scheduled=False) is Status.planned
    assert map_status("new", "To Do", None, scheduled=True) is Status.committed
    assert map_status("indeterminate", "In Review", None, scheduled=False) is Status.in_progress
    assert map_status("done", "Closed", "Fixed", scheduled=False) is Status.shipped
    assert map_status("done", "Closed", "Duplicate", scheduled=False) is Status.declined
    assert map_status("undefined", "Odd", None, scheduled=False) is Status.exploring
    overrides = {"backlog": Status.exploring, "indeterminate": Status.committed}
    assert map_status("new", "Backlog", None, False, overrides) is Status.exploring
    assert map_status("indeterminate", "In Review", None, False, overrides) is Status.committed

    pages = all_pages(
        source(FakeTracker(token_paging), status_map={"Selected for Development": "in_progress"})
    )
    items = {i.key: i for p in pages for i in p.items}
    assert items["ID-13"].status is Status.in_progress


def test_429_waits_as_long_as_retry_after_says_then_goes_on():
    sleeps: list[float] = []
    script = Script(
        reply(429, fixture("jira", "error_429.json"), {"Retry-After": "7"}),
        reply(
            429, fixture("jira", "error_429.json"), {"Retry-After": "Fri, 27 Nov 2026 12:00:30 GMT"}
        ),
        reply(200, fixture("jira", "search_jql_empty.json")),
    )
    pages = all_pages(source(FakeTracker(script), sleeps))

    assert sleeps == [7, 30]  # the HTTP-date is 30 s after the injected clock
    assert pages[0].items == []


def test_5xx_and_time_outs_back_off_exponentially():
    sleeps: list[float] = []
    script = Script(
        reply(502, "<html>Bad Gateway</html>"),
        fail(httpx.ReadTimeout),
        reply(503, fixture("jira", "error_503.json")),
        reply(200, fixture("jira", "search_jql_empty.json")),
    )
    all_pages(source(FakeTracker(script), sleeps))

    assert sleeps == [1, 2, 4]


def test_a_tracker_that_keeps_failing_gives_up_with_a_clear_error():
    sleeps: list[float] = []
    tracker = FakeTracker(Script(reply(503, fixture("jira", "error_503.json"))))
    src = JiraSource(
        config(),
        tracker.client(),
        sleep=sleeps.append,
        now=lambda: dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC),
        policy=RetryPolicy(4),
    )

    with pytest.raises(SourceUnavailable) as raised:
        all_pages(src)

    assert str(raised.value).startswith("jira: HTTP 503")
    assert "gave up after 4 attempts" in str(raised.value)
    assert len(tracker.requests) == 4
    assert sleeps == [1, 2, 4]


def test_a_bad_token_is_a_clear_error_naming_jira_and_never_shows_the_token(caplog):
    caplog.set_level(logging.DEBUG)
    tracker = FakeTracker(Script(reply(401, fixture("jira", "error_401.json"))))

    with pytest.raises(SourceAuthError) as raised:
        all_pages(source(tracker))

    message = str(raised.value)
    assert message.startswith("jira: the credentials were refused (HTTP 401)")
    assert "JIRA_API_TOKEN" in message
    assert len(tracker.requests) == 1  # no retrying a refused token
    assert TOKEN not in message
    assert TOKEN not in caplog.text
    assert base64.b64encode(f"pm@acme.example:{TOKEN}".encode()).decode() not in caplog.text


def test_a_bad_jql_reports_jiras_own_message():
    tracker = FakeTracker(Script(reply(400, fixture("jira", "error_400_jql.json"))))

    with pytest.raises(SourceResponseError) as raised:
        all_pages(source(tracker))

    assert "Field 'sprintt' does not exist" in str(raised.value)


def test_the_token_is_never_sent_over_plain_http():
    tracker = FakeTracker(token_paging)
    with pytest.raises(SyncNotConfigured) as raised:
        source(tracker, base_url="http://acme.atlassian.net")

    assert "JIRA_BASE_URL must be an https:// URL" in str(raised.value)
    assert tracker.requests == []


def test_an_area_name_too_long_for_the_store_skips_only_that_issue():
    body = fixture("jira", "search_jql_page1.json")
    body["isLast"] = True
    body["issues"][0]["fields"]["components"][0]["name"] = "x" * 250
    tracker = FakeTracker(Script(reply(200, body)))
    [page] = all_pages(source(tracker))

    assert [s.key for s in page.skipped] == ["ID-12"]
    assert "area name longer than 200 characters" in page.skipped[0].reason
    assert [i.key for i in page.items] == ["ID-13", "ID-14"]
