"""Several machines (issue 18, item 5): three `canwe serve` processes behind HAProxy, run
from the shipped deploy/haproxy.cfg, sharing one PostgreSQL database and the Slack
stand-in, serving two workspaces. Both install canwe through the load balancer (the OAuth
flow: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN) and import their own
roadmap with `canwe --team T... import FILE`. A few hundred signed /canwe commands and
@canwe mentions, half from each workspace, go through the load balancer while one process
is killed with kill -9 halfway; then three processes per workspace run the day's digest at
once.

Per workspace: every question is stored exactly once, in its own workspace; no request
fails (HAProxy sends what the dead process never answered to another one, which finds the
work already done or does it); every outbox message reaches the stand-in with that
workspace's token, with no duplicate beyond the one Web API call the README's
at-least-once window allows; each digest is posted once; and no row or Slack call of one
workspace names anything of the other.

The `canwe serve` processes run on their own clock (the real one, or under `make
test-any-day` the run's fake one), as in tests/test_faults.py's kill -9 test: nothing
asserted here depends on the day.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from sandbox.slack_standin import SlackStandIn
from store.db import make_engine, make_session_factory, session_scope
from store.models import (
    Base,
    DigestClaim,
    OutboxMessage,
    Question,
    Workspace,
    WorkspaceOwned,
)
from store.tenancy import ALL_WORKSPACES
from tests.cluster import (
    HAPROXY,
    SlackRequest,
    add_members,
    another_workspace,
    app_mention,
    canwe_cli,
    finished,
    install_through,
    retried,
    send_all,
    served_by,
    slack_ids,
    slash_command,
    start_canwe,
    start_haproxy,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, EXAMPLE_ROADMAP, SIGNING_SECRET
from tests.helpers import SALES, SERVICES

pytestmark = pytest.mark.postgres

BOT_USER = "UCANWEBOT"
PROCESSES = 3
COMMANDS = 120  # per workspace
MENTIONS = 30
CONCURRENCY = 8
# HAProxy waits this many times the shipped time-outs (2.5 s for an answer, 1 s for a health
# check): this test is about failover, isolation and delivery, not speed, and on the 2-core CI
# machine beside three other test workers (under faketime, slower still) a healthy process's
# answer took longer than 2.5 s in one run out of a few. benchmarks/concurrency.py measures
# how fast answers are.
PATIENCE = 4
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
def two_team_slack():
    """The stand-in as Slack for two workspaces: an install into each hands out its own
    token, and each Web API call says whose token made it (Call.team); no other token is
    taken."""
    standin = SlackStandIn(
        signing_secret=SIGNING_SECRET,
        team_id=TEAMS[0].team_id,
        bot_user_id=BOT_USER,
        bot_token=TEAMS[0].token,
        oauth_client=(CLIENT_ID, CLIENT_SECRET),
    )
    standin.team_tokens.update({team.team_id: team.token for team in TEAMS})
    standin.start()
    yield standin
    standin.stop()


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


@dataclass(frozen=True)
class Team:
    """A workspace of the stand-in: its team id, the bot token an install there hands out,
    and the digit its channel and user ids carry (C0......., U1.......)."""

    team_id: str
    token: str
    digit: str

    def roadmap(self) -> str:
        """examples/roadmap.yaml with this workspace's ids; in the second workspace Okta
        single sign-on is declined, not committed, so the two answer differently."""
        text = another_workspace(EXAMPLE_ROADMAP.read_text(), self.digit)
        if self.digit == "0":
            return text
        committed = "    status: committed\n    target: 2027-03-01\n"
        start = text.index("  - key: ID-12\n")
        at = text.index(committed, start)
        return text[:at] + "    status: declined\n" + text[at + len(committed) :]

    def channel(self, name: str) -> str:
        return another_workspace(name, self.digit)


TEAMS = (
    Team("T0CANWE", "xoxb-first-workspace", "0"),
    Team("T1OTHER", "xoxb-second-workspace", "1"),
)
OKTA = QUESTIONS[0]


def workspace_requests(team: Team, commands: int, mentions: int) -> list[SlackRequest]:
    """`commands` slash commands and `mentions` app mentions in one workspace, mixed, each
    from its own rep (the same words from the same rep at once would be a double submit)."""
    team_id = team.team_id
    requests: list[SlackRequest] = []
    every = (commands + mentions) // mentions if mentions else 0
    for n in range(commands + mentions):
        user = f"U{team.digit}LB{n:06d}"
        text = QUESTIONS[n % len(QUESTIONS)]
        channel = team.channel(SERVICES if n % 7 == 0 else SALES)
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


def _split(*lists: list[SlackRequest]) -> list[SlackRequest]:
    """The workspaces' requests taking turns, as they arrive at one load balancer."""
    return [r for turn in zip(*lists, strict=True) for r in turn]


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


def _queued(said: str) -> int:
    # "queued 3 digest(s) in 5 post(s); 2 already posted today; messages sent ..."
    words = said.split()
    return int(words[words.index("queued") + 1]) if "queued" in words else 0


def test_two_workspaces_three_processes_behind_haproxy_one_killed_halfway(
    pg_url, two_team_slack, tmp_path, haproxy
):
    slack = two_team_slack
    env = {
        "DATABASE_URL": pg_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_AUTHORIZE_URL": slack.base_url + "/oauth/v2/authorize",
        "CANWE_SYNC_MINUTES": "0",
    }
    roadmaps = {}
    for team in TEAMS:
        roadmaps[team.team_id] = tmp_path / f"roadmap-{team.team_id}.yaml"
        roadmaps[team.team_id].write_text(team.roadmap())
        for pm in sorted(slack_ids(team.roadmap())):
            if pm.startswith("U"):
                slack.add_user(pm, pm.lower())  # PMs: asked in their DMs, digests too
    asked = {team.team_id: workspace_requests(team, COMMANDS, MENTIONS) for team in TEAMS}
    requests = _split(*asked.values())
    add_members(slack, requests)
    # what belongs to each workspace: its team id and every channel and user id it uses
    owned = {
        team.team_id: {team.team_id}
        | slack_ids(team.roadmap())
        | {r.user_id for r in asked[team.team_id]}
        | slack_ids(" ".join(r.body.decode() for r in asked[team.team_id]))
        for team in TEAMS
    }
    engine = make_engine(pg_url)
    everywhere = make_session_factory(engine, ALL_WORKSPACES)  # reads only

    servers = start_canwe(PROCESSES, env, tmp_path)
    victim = servers[1]
    proxy = None
    try:
        proxy = start_haproxy(
            {f"canwe{n + 1}": s.port for n, s in enumerate(servers)}, tmp_path, patience=PATIENCE
        )
        # the app's redirect URL, as set in its Slack settings: the load balancer's
        slack.oauth_redirect_uri = f"{proxy.url}/slack/oauth_redirect"
        for team in TEAMS:
            installed = install_through(proxy.url, team.team_id)
            assert installed.status_code == 200, installed.text
        installs = [(server, path) for server, _, path in served_by(proxy, at_least=4)]
        imports = [
            canwe_cli(["--team", team.team_id, "import", str(roadmaps[team.team_id])], env)
            for team in TEAMS
        ]
        finished(imports)
        events_url = f"{proxy.url}/slack/events"
        outcomes, seconds = send_all(
            requests,
            lambda r: slack.send_signed(r.body, r.content_type, url=events_url, kind=r.kind),
            concurrency=CONCURRENCY,
            at={len(requests) // 2: victim.kill_9},
        )
        stats = proxy.stats()
        unsent_after_load = _wait_until_all_sent(everywhere, 30)
        runs = {
            team.team_id: [
                canwe_cli(["--team", team.team_id, "digest", "--post"], env)
                for _ in range(PROCESSES)
            ]
            for team in TEAMS
        }
        digests = {team: finished(started, timeout=90) for team, started in runs.items()}
        unsent = _wait_until_all_sent(everywhere, 30)
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()

    logs = proxy.log_path.read_text() if proxy else ""
    retries, redispatches = retried(stats)
    print(
        f"{len(requests)} requests in {seconds:.1f} s through HAProxy "
        f"(slowest {max(o.milliseconds for o in outcomes):.0f} ms); "
        f"retries {retries}, redispatches {redispatches}; "
        + ", ".join(f"{name} served {stats[name]['stot']}" for name in proxy.servers)
    )

    # both installs went through the load balancer, each in two requests; the state the
    # install page set (cookie and store) was good in whichever process took the redirect
    print(f"installs: {installs}")
    assert [path for _, path in installs] == ["/slack/install", "/slack/oauth_redirect"] * 2
    assert any(a != b for (a, _), (b, _) in zip(installs[::2], installs[1::2], strict=True)), (
        "at least one install's redirect reached another process than its install page"
    )
    with session_scope(everywhere) as session:
        workspace_of = dict(session.execute(select(Workspace.team_id, Workspace.id)).all())
    assert set(workspace_of) == {team.team_id for team in TEAMS}
    team_of = {w: t for t, w in workspace_of.items()}

    # no request failed: the dead process's requests were sent again, to another process.
    # Except one whose answer the kill cut off halfway through writing it (its headers out,
    # its body not): HAProxy cannot send that again, and nothing can, under kill -9. Its
    # question was stored before the answer was written (every request's is, checked below),
    # so Slack's retry is answered from it; at most the requests in flight on the victim
    cut_off = [o for o in outcomes if o.status is None and "complete message body" in o.error]
    failed = [
        (o.request.key, o.status, o.error or o.body[:200])
        for o in outcomes
        if o.status != 200 and o not in cut_off
    ]
    assert not failed, (failed[:5], logs[-3000:])
    assert len(cut_off) <= CONCURRENCY, [o.request.key for o in cut_off]
    assert victim.process.returncode == -9
    assert all(int(stats[name]["stot"]) > 0 for name in proxy.servers), "all three served"
    acks = [o for o in outcomes if o.request.kind == "command" and o not in cut_off]
    assert not [o for o in acks if "not saved" in o.body or not o.body.strip()], "all answered"
    # each workspace answered from its own roadmap: Okta SSO is declined in the second only
    # (what the first says depends on the day these processes run on, a declined item not)
    declined = {
        team.team_id: {
            "will not be built" in o.body
            for o in acks
            if o.request.team_id == team.team_id
            and parse_qs(o.request.body.decode())["text"] == [OKTA]
        }
        for team in TEAMS
    }
    assert declined == {TEAMS[0].team_id: {False}, TEAMS[1].team_id: {True}}, declined

    # every question stored exactly once, in its own workspace
    with session_scope(everywhere) as session:
        keys = Counter(session.execute(select(Question.workspace_id, Question.request_key)))
        outbox = list(session.scalars(select(OutboxMessage)))
        claims = list(session.scalars(select(DigestClaim)))
        rows = {
            cls.__tablename__: list(session.scalars(select(cls)))
            for cls in _workspace_owned_models()
        }
        crossed = _rows_pointing_across(session)
    assert keys == Counter((workspace_of[r.team_id], r.key) for r in requests)

    # every outbox message delivered, with its workspace's token, and no duplicate beyond
    # the at-least-once window: each Web API call the stand-in took, beyond one per outbox
    # message, is one a process made and did not live to record (another one sent it again)
    assert unsent_after_load == 0 and unsent == 0, [m.dedupe_key for m in outbox if not m.sent_at]
    queued = Counter((team_of[m.workspace_id], m.method) for m in outbox)
    calls = [c for c in slack.calls() if c.ok and c.method != "oauth.v2.access"]
    assert {c.team for c in calls} == {team.team_id for team in TEAMS}, "no call without one"
    taken = Counter((c.team, c.method) for c in calls if (c.team, c.method) in queued)
    assert all(taken[key] >= n for key, n in queued.items()), (taken, queued)
    duplicates = sum(taken.values()) - sum(queued.values())
    by_ts = {m["ts"]: m for channel in slack.channels for m in slack.messages(channel)}
    posts = [m for m in outbox if m.method == "chat.postMessage"]
    assert posts and all(m.result_ts in by_ts for m in posts)
    copies = Counter(_what_was_said(m) for m in by_ts.values() if m.get("bot_id"))
    per_team = {
        team.team_id: {
            "questions": sum(n for (w, _), n in keys.items() if team_of[w] == team.team_id),
            "outbox": sum(n for (t, _), n in queued.items() if t == team.team_id),
            "calls": sum(n for (t, _), n in taken.items() if t == team.team_id),
            "digests": sum(team_of[c.workspace_id] == team.team_id for c in claims),
        }
        for team in TEAMS
    }
    print(f"per workspace: {per_team}; duplicates {duplicates}")
    assert duplicates <= DUPLICATES_ALLOWED_PER_KILL
    assert sum(n - 1 for n in copies.values()) <= duplicates, [
        k for k, n in copies.items() if n > 1
    ]
    # a call made with one workspace's token names nothing of the other's (so each message,
    # posted in a channel of its own workspace, was posted with that workspace's token)
    for call in calls:
        foreign = slack_ids(json.dumps(call.args)) - owned[call.team] - {BOT_USER}
        assert not foreign, (call.team, call.method, foreign)
    for message in posts:
        where = by_ts[message.result_ts]["channel"]
        assert where.removeprefix("D") in owned[team_of[message.workspace_id]], message.dedupe_key

    # nothing of one workspace in the other's rows: no row names the other workspace's ids,
    # no row points at a row of the other workspace
    for table, found in rows.items():
        for row in found:
            said = json.dumps(_columns(row), default=str)
            foreign = slack_ids(said) - owned[team_of[row.workspace_id]] - {BOT_USER}
            foreign |= {t for t in workspace_of if t in said} - {team_of[row.workspace_id]}
            assert not foreign, (table, row.workspace_id, foreign, said[:300])
    assert not crossed, crossed
    assert {team_of[w] for w, _ in keys} == set(workspace_of)

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

    # the day's digests, run by three processes at once in each workspace: each claimed
    # once, posted once, in its own workspace
    digest_posts = [m for m in posts if m.dedupe_key.startswith("digest:")]
    for team in TEAMS:
        mine = [c for c in claims if team_of[c.workspace_id] == team.team_id]
        assert mine, f"escalated questions are open in {team.team_id}: there is a digest"
        said = digests[team.team_id]
        assert sum(_queued(out) for out in said) == len(mine), said
        posted = [m for m in digest_posts if team_of[m.workspace_id] == team.team_id]
        assert len(posted) == sum(c.posts for c in mine)
        for message in posted:
            assert copies[_what_was_said(by_ts[message.result_ts])] == 1, message.dedupe_key
    engine.dispose()


def _workspace_owned_models() -> list[type]:
    return [
        mapper.class_
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, WorkspaceOwned)
    ]


def _columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _rows_pointing_across(session) -> dict[str, int]:
    """Per foreign key between two tables that both have a workspace_id: how many rows point
    at a row of another workspace (none should)."""
    found = {}
    for table in Base.metadata.sorted_tables:
        if "workspace_id" not in table.c:
            continue
        for key in table.foreign_keys:
            target = key.column.table
            if key.parent.name == "workspace_id" or "workspace_id" not in target.c:
                continue
            other = target.alias()
            count = session.scalar(
                select(func.count())
                .select_from(table.join(other, key.parent == other.c[key.column.name]))
                .where(table.c.workspace_id != other.c.workspace_id)
            )
            if count:
                found[f"{table.name}.{key.parent.name}"] = count
    return found


def _what_was_said(message: dict) -> str:
    """A message as its readers see it: where, in which thread, the words and blocks."""
    return json.dumps(
        [message["channel"], message.get("thread_ts"), message["text"], message.get("blocks")],
        sort_keys=True,
    )
