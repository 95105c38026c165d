"""`canwe sync` against a Jira site served over real HTTP on a local port."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import run_cli
from tests.sync_fakes import fixture

TOKEN = "ATATT3xFfGF0-cli-secret-token"


class JiraSite:
    """Answers the enhanced search with the recorded pages; `refuse` answers 401 instead."""

    def __init__(self):
        self.refuse = False
        self.queries: list[dict[str, list[str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                site.queries.append(query)
                if site.refuse or not self.headers.get("Authorization", "").startswith("Basic "):
                    self._send(401, fixture("jira", "error_401.json"))
                elif url.path != "/rest/api/3/search/jql":
                    self._send(404, {"errorMessages": ["Not found"], "errors": {}})
                elif "nextPageToken" in query:
                    self._send(200, fixture("jira", "search_jql_page2.json"))
                else:
                    self._send(200, fixture("jira", "search_jql_page1.json"))

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jira(monkeypatch, tmp_path):
    site = JiraSite()  # its address is known before its thread starts
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("JIRA_BASE_URL", site.url)
    monkeypatch.setenv("JIRA_EMAIL", "pm@acme.example")
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    monkeypatch.setenv("JIRA_JQL", '{"Identity": "project = ID"}')
    with site:
        yield site


def canwe(*args):
    return run_cli(list(args))


def test_sync_prints_counts_and_skipped_issues_then_reads_only_changes(jira):
    first = canwe("sync", "--source", "jira")

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("jira: ok (first run, everything)")
    assert "6 read: 5 new, 0 updated (0 revised), 0 unchanged, 1 skipped" in first.stdout
    assert "1 finished-work record" in first.stdout
    assert "skipped ID-15: the issue has no status / status category" in first.stdout

    again = canwe("sync")  # every configured tracker: only Jira here

    assert again.exit_code == 0, again.output
    assert "jira: ok (since 2026-11-23 07:45 UTC)" in again.stdout
    assert "5 unchanged" in again.stdout
    assert 'updated >= "2026/11/22 07:45"' in jira.queries[-1]["jql"][0]


def test_a_refused_token_fails_with_the_settings_to_check(jira):
    jira.refuse = True
    result = canwe("sync", "--source", "jira", "--full")

    assert result.exit_code == 1
    assert "jira: FAILED (full)" in result.stdout
    assert "check JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN" in result.stdout
    assert TOKEN not in result.output


def test_nothing_configured_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    result = canwe("sync")

    assert result.exit_code == 2
    assert "no tracker is configured" in result.stderr


def test_a_source_without_its_settings_names_them(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    result = canwe("sync", "--source", "linear")

    assert result.exit_code == 2
    assert "linear: not configured: set LINEAR_API_KEY, LINEAR_TEAMS" in result.stderr
