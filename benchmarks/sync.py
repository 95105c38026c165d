"""Sync 5,000 changed Jira issues (50 pages of 100) from a mock transport into SQLite.

Target: under 10 s for the first run. Prints the figures; run with
`python benchmarks/sync.py [--issues N] [--page-size N]`.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import real_now  # noqa: E402
from bot.roadmap.sync.runner import run_sync  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.db import make_engine, make_session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "jira" / "search_jql_page1.json"
AREAS = ["Identity", "Billing", "Reporting", "Integrations"]
CATEGORIES = [
    ("Backlog", "new"),
    ("Selected for Development", "new"),
    ("In Progress", "indeterminate"),
    ("Done", "done"),
]


def make_issues(count: int) -> list[dict]:
    template = json.loads(FIXTURE.read_text())["issues"][0]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    issues = []
    for n in range(count):
        issue = copy.deepcopy(template)
        key = f"BEN-{n + 1}"
        issue["id"] = str(20000 + n)
        issue["key"] = key
        fields = issue["fields"]
        fields["summary"] = f"Roadmap item number {n + 1}"
        name, category = CATEGORIES[n % len(CATEGORIES)]
        fields["status"]["name"] = name
        fields["status"]["statusCategory"]["key"] = category
        fields["components"][0]["name"] = AREAS[n % len(AREAS)]
        updated = start + dt.timedelta(minutes=n)
        fields["updated"] = updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        if category == "done":
            fields["resolution"] = {"id": "10000", "name": "Done"}
            fields["resolutiondate"] = fields["updated"]
            fields["timespent"] = (n % 40 + 8) * 3600
        issues.append(issue)
    return issues


def transport(issues: list[dict], page_size: int) -> tuple[httpx.MockTransport, list[int]]:
    calls = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        start = int(request.url.params.get("nextPageToken") or 0)
        chunk = issues[start : start + page_size]
        end = start + len(chunk)
        body: dict = {"issues": chunk, "isLast": end >= len(issues)}
        if end < len(issues):
            body["nextPageToken"] = str(end)
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler), calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()

    issues = make_issues(args.issues)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        settings = Settings(
            _env_file=None,
            database_url=url,
            jira_base_url="https://bench.atlassian.net",
            jira_email="bench@example.com",
            jira_api_token="not-a-real-token",
            jira_jql="project = BEN",
        )
        mock, calls = transport(issues, args.page_size)

        for label, full in (("first sync (all new)", False), ("same data again (--full)", True)):
            calls[0] = 0
            with httpx.Client(transport=mock) as client:
                began = time.perf_counter()
                report = run_sync(
                    "jira",
                    session_factory=factory,
                    settings=settings,
                    client=client,
                    full=full,
                    now=real_now,
                )
                seconds = time.perf_counter() - began
            assert report.ok, report.error
            print(
                f"{label}: {args.issues} issues in {report.pages} pages ({calls[0]} requests) "
                f"into SQLite: {seconds:.2f} s ({args.issues / seconds:,.0f} issues/s); "
                f"counts {dict(sorted(report.counts.items()))}"
            )
            if not full:
                verdict = "OK" if seconds < 10 else "SLOWER THAN TARGET"
                print(f"target < 10 s for the first sync: {verdict}")
        engine.dispose()


if __name__ == "__main__":
    main()
