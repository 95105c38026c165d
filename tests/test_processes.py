"""`canwe serve --processes 2`: several processes share the port, and one that dies is started
again while the others go on answering (PostgreSQL, the Slack stand-in, signed requests)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from store.db import session_scope
from store.models import Question
from tests.cluster import send_all, slash_command, start_canwe
from tests.conftest import load_roadmap, make_context, make_settings
from tests.helpers import SALES, serve_env

QUESTION = "do we have salesforce sync?"  # shipped: the same answer on any day


def children(pid: int) -> set[int]:
    """The worker processes `pid` started: uvicorn spawns each (`spawn_main` on its command
    line). Not multiprocessing's resource tracker, nor a child caught between fork and exec,
    which still shows the parent's command line."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and "spawn_main" in command:
            found.add(int(entry.name))
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def roadmap_on_postgres(pg_url, clock):
    ctx = make_context(make_settings(pg_url), clock)
    load_roadmap(ctx)
    yield ctx
    ctx.engine.dispose()


def test_two_processes_answer_and_a_dead_one_is_started_again(
    roadmap_on_postgres, pg_url, slack, tmp_path
):
    (server,) = start_canwe(1, serve_env(pg_url, slack), tmp_path, "--processes", "2")
    events = f"{server.url}/slack/events"

    def send_all_anew(requests):
        # connections of their own: a connection kept alive to the killed process dies with it
        # (what was in flight on it too; HAProxy in front retries those, deploy/haproxy.cfg)
        with httpx.Client(timeout=10) as http:

            def send(request):
                stamp = int(time.time())  # the server checks signatures by the real clock
                headers = {
                    "Content-Type": request.content_type,
                    "X-Slack-Request-Timestamp": str(stamp),
                    "X-Slack-Signature": slack.sign(request.body, stamp),
                }
                return http.post(events, content=request.body, headers=headers)

            return send_all(requests, send, concurrency=8)[0]

    def commands(first: int, count: int):
        return [
            slash_command(
                team_id="T0CANWE",
                user_id=f"U0REP{n:05d}",  # one rep each: the same words again are a double submit
                channel_id=SALES,
                text=QUESTION,
                trigger_id=f"trigger-{n}",
            )
            for n in range(first, first + count)
        ]

    parent = server.process.pid

    def two_processes(without: int | None = None) -> set[int] | None:
        found = children(parent)
        return found if len(found) == 2 and without not in found else None

    try:
        first = wait_for(two_processes, 60, "two processes")
        before = send_all_anew(commands(0, 40))

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # while it is gone the other process answers everything
        during = send_all_anew(commands(40, 40))
        again = wait_for(
            lambda: two_processes(without=victim), 60, "a new process in the dead one's place"
        )
        after = send_all_anew(commands(80, 40))
    finally:
        server.stop()

    assert len(again - first) == 1  # the dead one's successor
    for outcome in before + during + after:
        assert outcome.status == 200, (outcome.status, outcome.error, outcome.body[:200])
        assert json.loads(outcome.body)["text"].startswith("Available"), outcome.body[:200]
    with session_scope(roadmap_on_postgres.sessions) as session:
        stored = session.execute(
            select(Question.request_key, func.count()).group_by(Question.request_key)
        ).all()
    assert sorted(key for key, _ in stored) == sorted(f"command:trigger-{n}" for n in range(120))
    assert all(count == 1 for _, count in stored)
    # it stops as one: no process is left behind
    assert not (first | again) & {int(p) for p in os.listdir("/proc") if p.isdigit()}


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            {"SLACK_APP_TOKEN": "xapp-test"},
            "canwe serve: Socket Mode runs in one process: unset CANWE_PROCESSES (or "
            "--processes), or serve over HTTP without SLACK_APP_TOKEN.",
        ),
        (
            {"DATABASE_URL": "sqlite:///{tmp}/canwe.db"},
            "canwe serve: several processes need PostgreSQL (DATABASE_URL): on SQLite run one "
            "(unset CANWE_PROCESSES, or --processes 1).",
        ),
    ],
    ids=["socket mode", "sqlite"],
)
def test_several_processes_where_they_cannot_work_are_refused_in_one_line(
    pg_url, tmp_path, settings, line
):
    from tests.conftest import run_cli

    env = {
        "DATABASE_URL": pg_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        **{name: value.replace("{tmp}", str(tmp_path)) for name, value in settings.items()},
    }
    result = run_cli(["serve", "--processes", "2"], env=env)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [line]
    assert not (tmp_path / "canwe.db").exists()  # refused before anything was touched
