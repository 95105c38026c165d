"""Several machines (issue 18, item 5): three `canwe serve` processes behind HAProxy, run
from the shipped deploy/haproxy.cfg, sharing one PostgreSQL database and the Slack
stand-in. A few hundred signed /canwe commands and @canwe mentions go through the load
balancer while one process is killed with kill -9 halfway; then three processes run the
day's digest at once.

Every question is stored exactly once, no request fails (HAProxy sends what the dead
process never answered to another one, which finds the work already done or does it),
every outbox message reaches the stand-in with no duplicate beyond the one Web API call
the README's at-least-once window allows, and each digest is posted once.

One workspace in single-token mode; requests take the team id, so a second workspace is
one more list of requests. The `canwe serve` processes run on their own clock (the real
one, or under `make test-any-day` the run's fake one), as in tests/test_faults.py's kill -9
test: nothing asserted here depends on the day.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from store.db import session_scope
from store.models import Area, DigestClaim, OutboxMessage, Question
from tests.cluster import (
    CANWE,
    HAPROXY,
    ROOT,
    SlackRequest,
    add_members,
    app_mention,
    retried,
    send_all,
    slash_command,
    start_canwe,
    start_haproxy,
)
from tests.conftest import (
    BOT_TOKEN,
    SIGNING_SECRET,
    Clock,
    load_roadmap,
    make_context,
    make_settings,
)
from tests.helpers import SALES, SERVICES

pytestmark = pytest.mark.postgres

TEAM = "T0CANWE"  # the stand-in's workspace
BOT_USER = "UCANWEBOT"
PROCESSES = 3
COMMANDS = 240
MENTIONS = 60
CONCURRENCY = 8
# the README's at-least-once window: a process killed while Slack was taking a message
# sends it again (or another process does); each process sends one message at a time
DUPLICATES_ALLOWED_PER_KILL = 1

# answered from the roadmap, and escalated to a PM (which opens threads, joins reps to
# them, and leaves questions open for the digest)
QUESTIONS = [
    "can we promise SSO with Okta to Acme by March 15?",
    "can we promise yubikey support to Globex by March 15? $200k",
    "Salesforce two-way sync for Initech",
    "HIPAA compliance with BAA for Umbrella by Q3, $90k",
    "Tableau connector for Hooli by next month",
    "scheduled report emails for Stark by June 1",
]


@pytest.fixture
def haproxy():
    """HAProxy's binary (Debian's package): a failure under CI=true, else a skip, as the
    PostgreSQL and Chromium tests treat theirs."""
    if not HAPROXY.exists():
        message = f"{HAPROXY} is missing (apt-get install -y haproxy)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return HAPROXY


def workspace_requests(team_id: str, commands: int, mentions: int) -> list[SlackRequest]:
    """`commands` slash commands and `mentions` app mentions in one workspace, mixed, each
    from its own rep (the same words from the same rep at once would be a double submit)."""
    requests: list[SlackRequest] = []
    every = (commands + mentions) // mentions if mentions else 0
    for n in range(commands + mentions):
        user = f"U0LB{n:06d}"
        text = QUESTIONS[n % len(QUESTIONS)]
        channel = SERVICES if n % 7 == 0 else SALES
        if every and n % every == every - 1 and mentions:
            mentions -= 1
            requests.append(
                app_mention(
                    team_id=team_id,
                    bot_user_id=BOT_USER,
                    user_id=user,
                    channel_id=channel,
                    text=text,
                    event_id=f"Ev{team_id}{n:06d}",
                    ts=f"1700000000.{n:06d}",
                )
            )
        else:
            requests.append(
                slash_command(
                    team_id=team_id,
                    user_id=user,
                    channel_id=channel,
                    text=text,
                    trigger_id=f"{team_id}.{n}.trigger",
                )
            )
    return requests


def _wait_until_all_sent(sessions, seconds: float) -> int:
    """Unsent outbox messages left after waiting up to `seconds` (a dead process's leased
    messages are taken over when the lease runs out)."""
    deadline = time.monotonic() + seconds
    while True:
        with session_scope(sessions) as session:
            left = session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
            )
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _digest_everywhere(env: dict[str, str], count: int) -> list[str]:
    """The day's digest posted by `count` processes at once, as each machine's cron (or
    scheduler) would: `canwe digest --post`. Returns what each printed."""
    runs = [
        subprocess.Popen(
            [str(CANWE), "digest", "--post"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    said = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), said
    return said


def _queued(said: str) -> int:
    # "queued 3 digest(s) in 5 post(s); 2 already posted today; messages sent ..."
    words = said.split()
    return int(words[words.index("queued") + 1]) if "queued" in words else 0


def test_three_processes_behind_haproxy_one_killed_halfway(pg_url, slack, tmp_path, haproxy):
    ctx = make_context(make_settings(pg_url), Clock())
    load_roadmap(ctx)
    with session_scope(ctx.sessions) as session:
        for pm in session.scalars(select(Area.pm_user_id)):
            slack.add_user(pm, pm.lower())  # their digests go to them by DM
    env = {
        "DATABASE_URL": pg_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "CANWE_TRIAGE_CHANNEL": "C0TRIAGE01",
        "CANWE_SYNC_MINUTES": "0",
    }
    requests = workspace_requests(TEAM, COMMANDS, MENTIONS)
    add_members(slack, requests)
    servers = start_canwe(PROCESSES, env, tmp_path)
    victim = servers[1]
    proxy = None
    try:
        proxy = start_haproxy({f"canwe{n + 1}": s.port for n, s in enumerate(servers)}, tmp_path)
        events_url = f"{proxy.url}/slack/events"
        outcomes, seconds = send_all(
            requests,
            lambda r: slack.send_signed(r.body, r.content_type, url=events_url, kind=r.kind),
            concurrency=CONCURRENCY,
            at={len(requests) // 2: victim.kill_9},
        )
        stats = proxy.stats()
        unsent_after_load = _wait_until_all_sent(ctx.sessions, 30)
        digests = _digest_everywhere(env, PROCESSES)
        unsent = _wait_until_all_sent(ctx.sessions, 30)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
        ctx.engine.dispose()

    logs = proxy.log_path.read_text() if proxy else ""
    retries, redispatches = retried(stats)
    print(
        f"{len(requests)} requests in {seconds:.1f} s through HAProxy; "
        f"retries {retries}, redispatches {redispatches}; "
        + ", ".join(f"{name} served {stats[name]['stot']}" for name in proxy.servers)
    )

    # no request failed: the dead process's requests were sent again, to another process
    failed = [
        (o.request.key, o.status, o.error or o.body[:200]) for o in outcomes if o.status != 200
    ]
    assert not failed, (failed[:5], logs[-3000:])
    assert victim.process.returncode == -9
    assert all(int(stats[name]["stot"]) > 0 for name in proxy.servers), "all three served"
    acks = [o.body for o in outcomes if o.request.kind == "command"]
    assert not [a for a in acks if "not saved" in a or not a.strip()], "every ack answers"

    # every question stored exactly once
    with session_scope(ctx.sessions) as session:
        keys = Counter(session.scalars(select(Question.request_key)))
        outbox = list(session.scalars(select(OutboxMessage)))
        claims = list(session.scalars(select(DigestClaim)))
    assert keys == Counter(r.key for r in requests)

    # every outbox message delivered, and no duplicate beyond the at-least-once window:
    # each Web API call the stand-in took, beyond one per outbox message, is one a process
    # made and did not live to record (another process sent it again)
    assert unsent_after_load == 0 and unsent == 0, [m.dedupe_key for m in outbox if not m.sent_at]
    queued = Counter(m.method for m in outbox)
    taken = Counter(c.method for c in slack.calls() if c.ok and c.method in queued)
    assert all(taken[method] >= n for method, n in queued.items()), (taken, queued)
    duplicates = sum(taken.values()) - sum(queued.values())
    by_ts = {m["ts"]: m for channel in slack.channels for m in slack.messages(channel)}
    posts = [m for m in outbox if m.method == "chat.postMessage"]
    assert posts and all(m.result_ts in by_ts for m in posts)
    copies = Counter(_what_was_said(m) for m in by_ts.values() if m.get("bot_id"))
    print(
        f"questions stored {sum(keys.values())}; outbox messages {len(outbox)} "
        f"({dict(queued)}), Slack calls taken {dict(taken)}; duplicates {duplicates}; "
        f"digests claimed {len(claims)}"
    )
    assert duplicates <= DUPLICATES_ALLOWED_PER_KILL
    assert sum(n - 1 for n in copies.values()) <= duplicates, [
        k for k, n in copies.items() if n > 1
    ]

    # each mention answered in its own thread
    for request in requests:
        if request.kind == "app_mention":
            event = json.loads(request.body)["event"]
            replies = [
                m
                for m in slack.messages(event["channel"])
                if m.get("thread_ts") == event["ts"] and m.get("bot_id")
            ]
            assert 1 <= len(replies) <= 1 + DUPLICATES_ALLOWED_PER_KILL, event

    # the day's digest, run by three processes at once: each claimed once, posted once
    assert claims, "escalated questions are open: there is a digest to post"
    assert sum(_queued(said) for said in digests) == len(claims), digests
    digest_posts = [m for m in posts if m.dedupe_key.startswith("digest:")]
    assert len(digest_posts) == sum(c.posts for c in claims)
    for message in digest_posts:
        assert copies[_what_was_said(by_ts[message.result_ts])] == 1, message.dedupe_key


def _what_was_said(message: dict) -> str:
    """A message as its readers see it: where, in which thread, the words and blocks."""
    return json.dumps(
        [message["channel"], message.get("thread_ts"), message["text"], message.get("blocks")],
        sort_keys=True,
    )
