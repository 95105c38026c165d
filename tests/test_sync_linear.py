"""Linear connector against responses shaped like the documented GraphQL answers."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest
from pydantic import SecretStr

from bot.roadmap.schema import Status
from bot.roadmap.sync.base import SourceAuthError, SourceResponseError, SourceUnavailable
from bot.roadmap.sync.http import RetryPolicy
from bot.roadmap.sync.linear import LinearConfig, LinearSource, map_state
from tests.sync_fakes import FakeTracker, Script, fail, fixture, reply

KEY = "lin_api_0123456789abcdefSECRET"


def config(**overrides) -> LinearConfig:
    values = dict(api_key=SecretStr(KEY), teams={"ENG": None, "BIL": "Billing & Tax"}, page_size=3)
    values.update(overrides)
    return LinearConfig(**values)


def variables(request: httpx.Request) -> dict:
    return json.loads(request.content)["variables"]


def cursor_paging(request: httpx.Request) -> httpx.Response:
    assert request.method == "POST" and request.url == "https://api.linear.app/graphql"
    after = variables(request)["after"]
    if after is None:
        return httpx.Response(200, json=fixture("linear", "issues_page1.json"))
    if after == "b2Zmc2V0OjM=":
        return httpx.Response(200, json=fixture("linear", "issues_page2.json"))
    return httpx.Response(400, json=fixture("linear", "error_validation.json"))


def source(tracker: FakeTracker, sleeps: list[float] | None = None, **overrides) -> LinearSource:
    return LinearSource(
        config(**overrides),
        tracker.client(),
        sleep=(sleeps if sleeps is not None else []).append,
        now=lambda: dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC),
    )


def all_pages(src: LinearSource, since=None):
    return list(src.fetch_changes(since))


def test_follows_end_cursor_while_has_next_page_and_maps_every_field():
    tracker = FakeTracker(cursor_paging)
    pages = all_pages(source(tracker))

    assert [variables(r)["after"] for r in tracker.requests] == [None, "b2Zmc2V0OjM="]
    first = tracker.requests[0]
    assert first.headers["Authorization"] == KEY
    body = json.loads(first.content)
    assert "issues(first: $first, after: $after, filter: $filter" in body["query"]
    assert "mutation" not in body["query"]
    assert body["variables"]["first"] == 3
    assert body["variables"]["filter"] == {"team": {"key": {"in": ["ENG", "BIL"]}}}

    items = {item.key: item for page in pages for item in page.items}
    assert set(items) == {"ENG-101", "ENG-102", "BIL-7", "BIL-3", "ENG-99"}

    audit = items["ENG-101"]
    assert audit.title == "Audit log export"
    assert audit.status is Status.in_progress
    assert audit.area == "Platform"  # the team's own name
    assert audit.target == dt.date(2027, 2, 15)  # the project's target date
    assert audit.public is True
    assert audit.url.startswith("https://linear.app/acme/issue/eng-101/")
    assert audit.estimate.likely == 5

    residency = items["ENG-102"]
    assert residency.status is Status.committed  # Todo, in a cycle
    assert residency.target == dt.date(2026, 12, 14)  # the cycle's end

    assert items["BIL-7"].status is Status.planned
    assert items["BIL-7"].area == "Billing & Tax"  # mapped in the team setting
    assert items["BIL-3"].status is Status.shipped
    assert items["BIL-3"].target == dt.date(2026, 10, 15)  # its due date
    assert items["ENG-99"].status is Status.declined


def test_a_completed_issue_with_an_estimate_becomes_history():
    pages = all_pages(source(FakeTracker(cursor_paging), days_per_point=0.5))
    history = [h for page in pages for h in page.history]

    assert len(history) == 1
    done = history[0]
    assert done.team == "Billing & Tax"
    assert done.estimate == 1.5  # 3 points at half a day each
    assert done.actual == 4  # started Monday Oct 5, completed Friday Oct 9
    assert done.finished == dt.date(2026, 10, 9)
    assert done.source_key == "linear:BIL-3"


def test_a_malformed_issue_is_skipped_and_reported_while_the_rest_import():
    pages = all_pages(source(FakeTracker(cursor_paging)))

    skipped = [s for page in pages for s in page.skipped]
    assert [s.key for s in skipped] == ["ENG-103"]
    assert "workflow state" in skipped[0].reason
    assert len(pages[1].items) == 2


def test_incremental_run_filters_on_updated_at_and_returns_the_newest_update():
    tracker = FakeTracker(cursor_paging)
    since = dt.datetime(2026, 11, 20, 9, 5, tzinfo=dt.UTC)
    pages = all_pages(source(tracker), since=since)

    assert variables(tracker.requests[0])["filter"]["updatedAt"] == {
        "gte": "2026-11-20T09:05:00.000Z"
    }
    assert max(p.cursor for p in pages) == dt.datetime(2026, 11, 23, 7, 45, tzinfo=dt.UTC)


def test_state_mapping_defaults_and_overrides():
    assert map_state("triage", "Triage", False) is Status.exploring
    assert map_state("backlog", "Backlog", True) is Status.planned
    assert map_state("unstarted", "Todo", False) is Status.planned
    assert map_state("unstarted", "Todo", True) is Status.committed
    assert map_state("started", "In Review", False) is Status.in_progress
    assert map_state("completed", "Done", False) is Status.shipped
    assert map_state("canceled", "Duplicate", False) is Status.declined
    assert map_state("backlog", "Next up", False, {"Next up": Status.committed}) is Status.committed

    pages = all_pages(source(FakeTracker(cursor_paging), status_map={"backlog": "exploring"}))
    items = {i.key: i for p in pages for i in p.items}
    assert items["BIL-7"].status is Status.exploring


@pytest.mark.parametrize(
    ("limited", "waited"),
    [
        (reply(429, fixture("linear", "error_ratelimited.json"), {"Retry-After": "12"}), [12]),
        # Linear may also answer a rate limit as a GraphQL error with code RATELIMITED
        (reply(400, fixture("linear", "error_ratelimited.json")), [1]),
    ],
)
def test_rate_limits_are_waited_out(limited, waited):
    sleeps: list[float] = []
    tracker = FakeTracker(Script(limited, reply(200, fixture("linear", "issues_empty.json"))))
    pages = all_pages(source(tracker, sleeps))

    assert len(tracker.requests) == 2
    assert sleeps == waited
    assert pages[0].items == []


def test_5xx_and_network_errors_back_off_then_give_up_clearly():
    sleeps: list[float] = []
    tracker = FakeTracker(Script(fail(httpx.ConnectError), reply(500, "Internal Server Error")))
    src = LinearSource(
        config(),
        tracker.client(),
        sleep=sleeps.append,
        now=lambda: dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC),
        policy=RetryPolicy(3),
    )

    with pytest.raises(SourceUnavailable) as raised:
        all_pages(src)

    assert str(raised.value).startswith("linear: HTTP 500")
    assert sleeps == [1, 2]


def test_a_bad_key_is_a_clear_error_naming_linear_and_never_shows_the_key(caplog):
    caplog.set_level(logging.DEBUG)
    tracker = FakeTracker(Script(reply(400, fixture("linear", "error_authentication.json"))))

    with pytest.raises(SourceAuthError) as raised:
        all_pages(source(tracker))

    message = str(raised.value)
    assert message.startswith("linear: the credentials were refused")
    assert "LINEAR_API_KEY" in message
    assert "You need to authenticate" in message
    assert len(tracker.requests) == 1
    assert KEY not in message and KEY not in caplog.text


def test_a_query_error_reports_linears_message():
    tracker = FakeTracker(Script(reply(200, fixture("linear", "error_validation.json"))))

    with pytest.raises(SourceResponseError) as raised:
        all_pages(source(tracker))

    assert 'Field "teem" is not defined' in str(raised.value)
