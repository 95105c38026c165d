"""/canwe through HAProxy (deploy/haproxy.cfg) in front of one, two and three `canwe serve`
processes on one PostgreSQL database, beside one process without the load balancer; then
the full run: 2,000 signed requests through three processes, one killed with kill -9
halfway, and what became of them.

Two workspaces in a fresh PostgreSQL database, in OAuth mode (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET, no SLACK_BOT_TOKEN): each installed through the load balancer as a
browser installs it, each with 10,000 roadmap items imported with `canwe --team T... import
FILE` and 10,000 questions of the past; the requests take turns between them. The processes'
Web API calls go to the Slack stand-in in this process, which counts what was delivered and
with whose token. Issue 18, "Speed".

    python benchmarks/load_balanced.py [--postgres ADMIN_URL] [--requests 1000]
        [--kill-run 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _common import add_questions, percentile, synthetic_roadmap
from concurrency import cpu_seconds, postgres_pids
from sqlalchemy import create_engine, func, select, text

from sandbox.slack_standin import SlackStandIn
from store.db import make_engine, make_session_factory, session_scope
from store.migrate import upgrade
from store.models import OutboxMessage, Question, Workspace
from store.tenancy import ALL_WORKSPACES
from tests.cluster import (
    HAPROXY,
    SlackRequest,
    add_members,
    app_mention,
    canwe_cli,
    finished,
    install_through,
    retried,
    send_all,
    slack_ids,
    slash_command,
    start_canwe,
    start_haproxy,
)

SECRET = "bench-secret"
CLIENT_ID, CLIENT_SECRET = "1234.5678", "bench-client-secret"
# the two workspaces: team id, the bot token an install there hands out, and the digit in
# each of its channel and user ids (C0SALES001, U1KI000012)
TEAMS = (("T0BENCH", "xoxb-bench-first", "0"), ("T1BENCH", "xoxb-bench-second", "1"))
DIGIT = {team: digit for team, _, digit in TEAMS}
BOT_USER = "UCANWEBOT"
QUESTIONS = [
    "audit log export for Acme by March 15",
    "sso saml okta for Globex by Q2 $120k",
    "webhook api region",
    "dark mode theme mobile",
    "billing invoice quota limit by next month",
    "salesforce hubspot sync",
    "session timeout policy",
    "help",
]


def requests_for(count: int, run: str, mentions_every: int = 0) -> list[SlackRequest]:
    """`count` signed-to-be requests, the two workspaces taking turns, each from its own
    rep; with `mentions_every`, one in that many an @canwe mention instead of /canwe."""
    made = []
    for n in range(count):
        team_id, _, digit = TEAMS[n % len(TEAMS)]
        words = QUESTIONS[(n // len(TEAMS)) % len(QUESTIONS)]
        user = f"U{digit}{run[:2].upper()}{n:06d}"
        channel = f"C{digit}SALES001"
        if mentions_every and n % mentions_every == mentions_every - 1:
            made.append(
                app_mention(
                    team_id=team_id,
                    bot_user_id=BOT_USER,
                    user_id=user,
                    channel_id=channel,
                    text=words,
                    event_id=f"Ev{run}{n:07d}",
                    ts=f"1700000000.{n:06d}",
                )
            )
        else:
            made.append(
                slash_command(
                    team_id=team_id,
                    user_id=user,
                    channel_id=channel,
                    text=words,
                    trigger_id=f"{run}.{n}",
                )
            )
    return made


def sender(slack: SlackStandIn, url: str):
    """Sends a request to canwe at `url`, signed by the stand-in as Slack signs it."""
    events = f"{url}/slack/events"
    return lambda r: slack.send_signed(r.body, r.content_type, url=events, kind=r.kind)


def ended_children_seconds() -> float:
    """CPU time of PostgreSQL's processes that have ended (a backend whose connection
    closed, the parallel workers a query started): the server's main process collects it
    when each one ends. Any database's, so runs on a quiet machine count only their own."""
    pids = set(postgres_pids())
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[1]) not in pids:  # the postmaster: its parent is not PostgreSQL
                return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def database_pids(database: str) -> list[int]:
    """PostgreSQL's processes working for `database`: its backends, and the server's own
    (postmaster, checkpointer, WAL writer, ...), which every database shares. Backends of
    other databases on this machine (another test run's) are left out."""
    found = []
    for pid in postgres_pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().split()
        except (OSError, UnicodeDecodeError):
            continue
        # a backend's title: "postgres: 15/main: USER DATABASE HOST(PORT) STATE", or an
        # autovacuum worker's: "postgres: 15/main: autovacuum worker DATABASE"
        if len(title) >= 5 and (title[4].endswith(")") or title[4] == "[local]"):
            working_for = title[3]
        elif title[2:4] == ["autovacuum", "worker"] and len(title) >= 5:
            working_for = title[4]
        else:
            working_for = database
        if working_for == database:
            found.append(pid)
    return found


@dataclass
class Measured:
    rate: float
    samples: list[float]
    failed: Counter  # requests not answered 200, by status (None: no HTTP answer)
    cpu_ms: dict[str, float]  # CPU per request, by component (all of it, not only this run)

    def line(self, label: str) -> str:
        cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in self.cpu_ms.items())
        failed = sum(self.failed.values())
        if failed:
            failed = f"{failed} ({', '.join(f'{n} x {s}' for s, n in self.failed.items())})"
        return (
            f"  {label:28s} {self.rate:6.1f} req/s   p50 {percentile(self.samples, 0.5):6.1f} ms"
            f"   p99 {percentile(self.samples, 0.99):7.1f} ms   failed {failed}"
            f"   CPU ms/request: {cpu}"
        )


def measure(
    slack, url, run, count, concurrency, pids: dict[str, list[int]], database: str
) -> Measured:
    """Warm up, then `count` requests from `concurrency` clients; CPU used by each of
    `pids`' components (canwe, HAProxy) and by PostgreSQL for `database` while they ran."""
    send = sender(slack, url)
    warm, timed = requests_for(100, f"{run}warm"), requests_for(count, run)
    add_members(slack, warm + timed)
    send_all(warm, send, concurrency=concurrency)  # caches, pool, the bot's identity
    # "client": this process, the load generator and the Slack stand-in
    components = {**pids, "client": [os.getpid()]}
    before = {pid: cpu_seconds([pid]) for ids in components.values() for pid in ids}
    before.update({pid: cpu_seconds([pid]) for pid in database_pids(database)})
    ended_before = ended_children_seconds()
    outcomes, seconds = send_all(timed, send, concurrency=concurrency)
    # PostgreSQL's processes are listed again: a connection opened during the run counts in
    # full; what processes that ended during it used (parallel workers of full-text queries,
    # closed connections) is the server's collected children's time, added to its column
    components["PostgreSQL"] = database_pids(database)
    ended = ended_children_seconds() - ended_before
    cpu_ms = {
        name: sum(max(0.0, cpu_seconds([pid]) - before.get(pid, 0.0)) for pid in ids) * 1000 / count
        for name, ids in components.items()
    }
    cpu_ms["PostgreSQL"] += max(0.0, ended) * 1000 / count
    failed = Counter(o.status for o in outcomes if o.status != 200)
    return Measured(count / seconds, [o.milliseconds for o in outcomes], failed, cpu_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CANWE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL: a database is created beside it and dropped afterwards",
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1000, help="per throughput run")
    parser.add_argument("--kill-run", type=int, default=2000, help="requests in the kill -9 run")
    parser.add_argument("--concurrency", type=int, default=16)
    options = parser.parse_args()
    if not HAPROXY.exists():
        raise SystemExit(f"{HAPROXY} is missing (apt-get install -y haproxy)")

    name = f"canwe_bench_lb_{uuid.uuid4().hex[:8]}"
    admin = create_engine(options.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = options.postgres.rsplit("/", 1)[0] + f"/{name}"
    try:
        run(url, options)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, options) -> None:
    work = Path(tempfile.mkdtemp(prefix="canwe-bench-lb-"))
    upgrade(url)
    slack = SlackStandIn(
        signing_secret=SECRET,
        team_id=TEAMS[0][0],
        bot_user_id=BOT_USER,
        bot_token=TEAMS[0][1],
        oauth_client=(CLIENT_ID, CLIENT_SECRET),
    ).start()
    slack.team_tokens.update({team: token for team, token, _ in TEAMS})
    env = {
        "DATABASE_URL": url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "SLACK_AUTHORIZE_URL": slack.base_url + "/oauth/v2/authorize",
        "CANWE_SYNC_MINUTES": "0",
        "SLACK_BOT_TOKEN": "",  # none: each workspace's install has its own
    }
    servers = start_canwe(3, env, work)
    database = url.rsplit("/", 1)[1]
    engine = make_engine(url)
    sessions = make_session_factory(engine, ALL_WORKSPACES)  # reads only
    try:
        setup(slack, servers, env, url, sessions, work, options)
        print("throughput and latency, each configuration in turn (the others idle):")
        measured = {}
        measured[0] = measure(
            slack,
            servers[0].url,
            "direct",
            options.requests,
            options.concurrency,
            {"canwe": [servers[0].process.pid]},
            database,
        )
        print(measured[0].line("1 process, no load balancer"))
        for count in (1, 2, 3):
            backends = {f"canwe{n + 1}": s.port for n, s in enumerate(servers[:count])}
            proxy = start_haproxy(backends, work / f"lb{count}")
            try:
                measured[count] = measure(
                    slack,
                    proxy.url,
                    f"lb{count}",
                    options.requests,
                    options.concurrency,
                    {
                        "canwe": [s.process.pid for s in servers[:count]],
                        "HAProxy": [proxy.process.pid],
                    },
                    database,
                )
            finally:
                proxy.stop()
            print(measured[count].line(f"HAProxy, {count} process{'es' if count > 1 else ''}"))
        kill_run(slack, servers, sessions, work, options)
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
        slack.close()
    explain(measured)


def setup(slack, servers, env, url, sessions, work: Path, options) -> None:
    """Both workspaces installed through HAProxy in front of the three processes, then each
    one's roadmap imported from the command line and its past questions added."""
    proxy = start_haproxy(
        {f"canwe{n + 1}": s.port for n, s in enumerate(servers)}, work / "install"
    )
    slack.oauth_redirect_uri = f"{proxy.url}/slack/oauth_redirect"  # the app's settings
    try:
        for team, _, _ in TEAMS:
            installed = install_through(proxy.url, team)
            if installed.status_code != 200:
                raise SystemExit(f"installing in {team} failed: {installed.text[:300]}")
    finally:
        proxy.stop()
    began = time.perf_counter()
    imported = []
    for team, _, digit in TEAMS:
        path = synthetic_roadmap(work / f"roadmap-{team}.yaml", options.items, digit=digit)
        imported += finished([canwe_cli(["--team", team, "import", str(path)], env)], 600)
    import_seconds = time.perf_counter() - began
    with session_scope(sessions) as session:
        workspace_of = dict(session.execute(select(Workspace.team_id, Workspace.id)).all())
    for team, _, digit in TEAMS:
        add_questions(url, 10_000, workspace_of[team], digit=digit)
    print(
        f"PostgreSQL store: {len(TEAMS)} workspaces, each installed through HAProxy (OAuth) "
        f"with {options.items:,} items (`canwe --team T... import`, "
        f"{import_seconds / len(TEAMS):.1f} s each: {_summary(imported[-1])}) "
        f"and 10,000 questions; {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; signed /canwe at concurrency {options.concurrency}, "
        f"{options.requests:,} per run after 100 to warm up, the workspaces taking turns"
    )


def _summary(said: str) -> str:
    """What `canwe import` printed, without the file's path."""
    return said.strip().splitlines()[-1].rsplit(".yaml: ", 1)[-1]


def explain(measured: dict[int, Measured]) -> None:
    """How it scaled, and why, from the figures above."""
    one, two, three, alone = measured[1], measured[2], measured[3], measured[0]
    cores = os.cpu_count() or 1
    per_request = sum(three.cpu_ms.values())  # every part, all on this machine
    ceiling = cores * 1000 / per_request
    canwe_alone = 1000 / one.cpu_ms["canwe"]
    database = three.cpu_ms["PostgreSQL"]
    share = ", ".join(
        f"{label} {m.rate / ceiling:.0%}"
        for label, m in (("one process", one), ("two", two), ("three", three))
    )
    print(
        f"How it scales on this {cores}-core machine: through HAProxy two processes did "
        f"{two.rate / one.rate:.2f}x what one did, three {three.rate / one.rate:.2f}x; HAProxy "
        f"with one process did {one.rate / alone.rate:.2f}x the process alone.\n"
        f"Why: a request costs about {three.cpu_ms['canwe']:.1f} ms of canwe's CPU, "
        f"{database:.1f} ms of PostgreSQL's and {three.cpu_ms['HAProxy']:.2f} ms of HAProxy's; "
        f"the load generator and the Slack stand-in take {three.cpu_ms['client']:.1f} ms more: "
        f"{per_request:.1f} ms of CPU in all, so {cores} cores serve at most {cores} x 1000 / "
        f"{per_request:.1f} = {ceiling:.0f} req/s, however many processes ({share} of that). "
        f"One canwe process runs its Python on one core at a time (the GIL), so alone it "
        f"could do about 1000 / {one.cpu_ms['canwe']:.1f} = {canwe_alone:.0f} req/s if it had "
        f"a core to itself, less here where it shares its core with the rest; a second process "
        f"can use the second core, and past {cores} processes more of them only share the "
        f"same cores. HAProxy's own cost is small beside canwe's. On machines with a "
        f"core per process, the processes share nothing but PostgreSQL, at about "
        f"{database:.1f} ms of its CPU a request (about {1000 / max(database, 0.01):.0f} req/s "
        f"per database core), so throughput grows with the number of processes until the "
        f"database is the limit."
    )


def kill_run(slack, servers, sessions, work: Path, options) -> None:
    """2,000 requests (one in five a mention), the two workspaces taking turns, through three
    processes; the second one is killed with -9 when half have been sent."""
    count = options.kill_run
    requests = requests_for(count, "kill", mentions_every=5)
    # which words are a question canwe stores ("help" is not): asked once, directly, in the
    # first workspace (both roadmaps are the same but for their ids)
    probes = {
        words: slash_command(
            team_id=TEAMS[0][0],
            user_id="U0PROBE001",
            channel_id="C0PROBE001",
            text=words,
            trigger_id=words,
        )
        for words in QUESTIONS
    }
    add_members(slack, [*requests, *probes.values()])
    send = sender(slack, servers[0].url)
    for probe in probes.values():
        send(probe)
    with session_scope(sessions) as session:
        workspace_of = dict(session.execute(select(Workspace.team_id, Workspace.id)).all())
        stored_words = {
            words
            for words, probe in probes.items()
            if session.scalar(select(Question.id).where(Question.request_key == probe.key))
        }
        outbox_before = Counter(session.scalars(select(OutboxMessage.workspace_id)))
    calls_before = len(slack.calls())
    expected = {
        (workspace_of[r.team_id], r.key)
        for n, r in enumerate(requests)
        if QUESTIONS[(n // len(TEAMS)) % len(QUESTIONS)] in stored_words
    }

    backends = {f"canwe{n + 1}": s.port for n, s in enumerate(servers)}
    proxy = start_haproxy(backends, work / "kill")
    victim = servers[1]
    try:
        outcomes, seconds = send_all(
            requests,
            sender(slack, proxy.url),
            concurrency=options.concurrency,
            at={count // 2: victim.kill_9},
        )
        stats = proxy.stats()
    finally:
        proxy.stop()
    keys_asked = [key for _, key in expected]
    deadline = time.monotonic() + 60
    while True:
        with session_scope(sessions) as session:
            stored = Counter(
                session.execute(
                    select(Question.workspace_id, Question.request_key).where(
                        Question.request_key.in_(keys_asked)
                    )
                )
            )
            unsent = session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
            )
            sent = Counter(
                session.execute(
                    select(OutboxMessage.workspace_id, OutboxMessage.method).where(
                        OutboxMessage.sent_at.is_not(None)
                    )
                )
            )
            outbox = Counter(session.scalars(select(OutboxMessage.workspace_id)))
            errors = Counter(
                session.scalars(
                    select(OutboxMessage.last_error).where(OutboxMessage.sent_at.is_(None))
                )
            )
        if unsent == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    calls = [c for c in slack.calls() if c.ok and c.method != "oauth.v2.access"]
    run_calls = [c for c in slack.calls()[calls_before:] if c.ok]
    failed = [o for o in outcomes if o.status != 200]
    by_status = dict(Counter(o.status for o in failed))  # None: no HTTP answer
    retries, redispatches = retried(stats)
    samples = [o.milliseconds for o in outcomes]
    print(
        f"kill -9 run: {count:,} requests ({sum(r.kind == 'app_mention' for r in requests)} of "
        f"them @canwe mentions, half from each workspace) through HAProxy and 3 processes, "
        f"canwe2 killed with -9 after {count // 2:,}: {count / seconds:.1f} req/s, "
        f"p50 {percentile(samples, 0.5):.1f} ms, p99 {percentile(samples, 0.99):.1f} ms, "
        f"slowest {max(samples):.0f} ms"
    )
    print(
        f"  failed {len(failed)}{f' {by_status}' if failed else ''}; "
        f"HAProxy retries {retries}, redispatches {redispatches}; "
        + ", ".join(f"{name} served {stats[name]['stot']}" for name in backends)
    )
    for team, _, digit in TEAMS:
        mine = workspace_of[team]
        wanted = {key for w, key in expected if w == mine}
        here = {key: n for (w, key), n in stored.items() if w == mine}
        elsewhere = sum(1 for (w, key) in stored if w != mine and key in wanted)
        taken = Counter(c.method for c in calls if c.team == team)
        delivered = Counter({m: n for (w, m), n in sent.items() if w == mine})
        duplicates = sum(taken[m] for m in delivered) - sum(delivered.values())
        crossed = sum(
            any(i[1] != digit for i in slack_ids(json.dumps(c.args)))
            for c in calls
            if c.team == team
        )
        print(
            f"  workspace {team}: {len(wanted):,} requests were questions, {len(here):,} stored "
            f"in it, {sum(n > 1 for n in here.values())} stored twice, "
            f"{len(wanted - set(here))} missing, {elsewhere} in the other workspace; "
            f"{outbox[mine] - outbox_before[mine]:,} outbox messages queued, Slack took "
            f"{sum(c.team == team for c in run_calls):,} calls with its token; duplicates "
            f"(calls beyond one per message, whole benchmark) {duplicates}; calls with its "
            f"token naming the other workspace's ids {crossed}"
        )
    print(
        f"  {unsent} outbox messages still unsent after waiting for the dead process's leases; "
        f"calls with no workspace's token {sum(c.team is None for c in calls)}"
    )
    if unsent:
        print(f"  unsent, by last error: {dict(errors)}")


if __name__ == "__main__":
    main()
