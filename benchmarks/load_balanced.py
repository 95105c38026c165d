"""/canwe through HAProxy (deploy/haproxy.cfg) in front of one, two and three `canwe serve`
processes on one PostgreSQL database, beside one process without the load balancer; then
the full run: 2,000 signed requests through three processes, one killed with kill -9
halfway, and what became of them.

10,000 roadmap items (one workspace, single-token mode; the requests carry its team id) in
a fresh PostgreSQL database. The processes' Web API calls go to the Slack stand-in in this
process, which counts what was delivered. Issue 18, "Speed".

    python benchmarks/load_balanced.py [--postgres ADMIN_URL] [--requests 1000]
        [--kill-run 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _common import fill_store, percentile
from concurrency import cpu_seconds, postgres_pids
from sqlalchemy import create_engine, func, select, text

from sandbox.slack_standin import SlackStandIn
from store.db import make_engine, make_session_factory, session_scope
from store.models import OutboxMessage, Question
from tests.cluster import (
    HAPROXY,
    SlackRequest,
    add_members,
    app_mention,
    retried,
    send_all,
    slash_command,
    start_canwe,
    start_haproxy,
)

SECRET = "bench-secret"
TEAM = "T0BENCH"
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


def requests_for(team_id: str, count: int, run: str, mentions_every: int = 0) -> list[SlackRequest]:
    """`count` signed-to-be requests of one workspace, each from its own rep; with
    `mentions_every`, one in that many an @canwe mention instead of /canwe."""
    made = []
    for n in range(count):
        words = QUESTIONS[n % len(QUESTIONS)]
        user = f"U0{run[:2].upper()}{n:07d}"
        if mentions_every and n % mentions_every == mentions_every - 1:
            made.append(
                app_mention(
                    team_id=team_id,
                    bot_user_id=BOT_USER,
                    user_id=user,
                    channel_id="C0SALES001",
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
                    channel_id="C0SALES001",
                    text=words,
                    trigger_id=f"{run}.{n}",
                )
            )
    return made


def sender(slack: SlackStandIn, url: str):
    """Sends a request to canwe at `url`, signed by the stand-in as Slack signs it."""
    events = f"{url}/slack/events"
    return lambda r: slack.send_signed(r.body, r.content_type, url=events, kind=r.kind)


@dataclass
class Measured:
    rate: float
    samples: list[float]
    failed: int
    cpu_ms: dict[str, float]  # CPU per request, by component (all of it, not only this run)

    def line(self, label: str) -> str:
        cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in self.cpu_ms.items())
        return (
            f"  {label:28s} {self.rate:6.1f} req/s   p50 {percentile(self.samples, 0.5):6.1f} ms"
            f"   p99 {percentile(self.samples, 0.99):7.1f} ms   failed {self.failed}"
            f"   CPU ms/request: {cpu}"
        )


def measure(slack, url, run, count, concurrency, pids: dict[str, list[int]]) -> Measured:
    """Warm up, then `count` requests from `concurrency` clients; CPU used by each of
    `pids`' components (canwe, HAProxy) and by PostgreSQL while they ran."""
    send = sender(slack, url)
    warm, timed = requests_for(TEAM, 100, f"{run}warm"), requests_for(TEAM, count, run)
    add_members(slack, warm + timed)
    send_all(warm, send, concurrency=concurrency)  # caches, pool, the bot's identity
    # "client": this process, the load generator and the Slack stand-in
    components = {**pids, "client": [os.getpid()]}
    before = {pid: cpu_seconds([pid]) for ids in components.values() for pid in ids}
    before.update({pid: cpu_seconds([pid]) for pid in postgres_pids()})
    outcomes, seconds = send_all(timed, send, concurrency=concurrency)
    # PostgreSQL's processes are listed again: a connection opened during the run counts
    # in full, one closed during it is lost (an undercount, never a negative figure)
    components["PostgreSQL"] = postgres_pids()
    cpu_ms = {
        name: sum(max(0.0, cpu_seconds([pid]) - before.get(pid, 0.0)) for pid in ids) * 1000 / count
        for name, ids in components.items()
    }
    failed = sum(o.status != 200 for o in outcomes)
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
    began = time.perf_counter()
    fill_store(url, options.items, 10_000)
    print(
        f"PostgreSQL store: {options.items:,} items, 10,000 questions (built in "
        f"{time.perf_counter() - began:.1f} s); {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; signed /canwe at concurrency {options.concurrency}, "
        f"{options.requests:,} per run after 100 to warm up"
    )
    work = Path(tempfile.mkdtemp(prefix="canwe-bench-lb-"))
    slack = SlackStandIn(signing_secret=SECRET, team_id=TEAM, bot_user_id=BOT_USER).start()
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "CANWE_TRIAGE_CHANNEL": "C0TRIAGE01",
        "CANWE_SYNC_MINUTES": "0",
    }
    servers = start_canwe(3, env, work)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        print("throughput and latency, each configuration in turn (the others idle):")
        measured = {}
        measured[0] = measure(
            slack,
            servers[0].url,
            "direct",
            options.requests,
            options.concurrency,
            {"canwe": [servers[0].process.pid]},
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


def explain(measured: dict[int, Measured]) -> None:
    """How it scaled, and why, from the figures above."""
    one, two, three, alone = measured[1], measured[2], measured[3], measured[0]
    cores = os.cpu_count() or 1
    per_request = sum(three.cpu_ms.values())
    print(
        f"How it scales on this {cores}-core machine: through HAProxy two processes did "
        f"{two.rate / one.rate:.2f}x what one did, three {three.rate / one.rate:.2f}x; HAProxy "
        f"with one process did {one.rate / alone.rate:.2f}x the process alone.\n"
        f"Why: a request costs about {one.cpu_ms['canwe']:.0f} ms of canwe's CPU, "
        f"{one.cpu_ms['PostgreSQL']:.1f} ms of PostgreSQL's and {one.cpu_ms['HAProxy']:.2f} ms "
        f"of HAProxy's; the load generator and the Slack stand-in take "
        f"{one.cpu_ms['client']:.1f} ms more. One canwe process runs its Python on one core at a time (the GIL), so a "
        f"second process can use the second core, and a third has none of its own: with every "
        f"part on {cores} cores, {cores} x 1000 / {per_request:.0f} ms is about "
        f"{cores * 1000 / per_request:.0f} req/s at most, however many processes. HAProxy's "
        f"own cost is small beside canwe's. On machines with a core per process, the "
        f"processes share nothing but PostgreSQL, at about "
        f"{one.cpu_ms['PostgreSQL']:.1f} ms a request, so throughput grows with the number "
        f"of processes until the database is the limit."
    )


def kill_run(slack, servers, sessions, work: Path, options) -> None:
    """2,000 requests (one in five a mention) through three processes; the second one is
    killed with -9 when half have been sent."""
    count = options.kill_run
    requests = requests_for(TEAM, count, "kill", mentions_every=5)
    # which words are a question canwe stores ("help" is not): asked once, directly
    probes = {
        words: slash_command(
            team_id=TEAM, user_id="U0PROBE", channel_id="C0PROBE01", text=words, trigger_id=words
        )
        for words in QUESTIONS
    }
    add_members(slack, [*requests, *probes.values()])
    send = sender(slack, servers[0].url)
    for probe in probes.values():
        send(probe)
    with session_scope(sessions) as session:
        stored_words = {
            words
            for words, probe in probes.items()
            if session.scalar(select(Question.id).where(Question.request_key == probe.key))
        }
        outbox_before = session.scalar(select(func.count(OutboxMessage.id)))
    calls_before = len([c for c in slack.calls() if c.ok])
    expected = {
        r.key for n, r in enumerate(requests) if QUESTIONS[n % len(QUESTIONS)] in stored_words
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
    deadline = time.monotonic() + 60
    while True:
        with session_scope(sessions) as session:
            keys = Counter(
                session.scalars(
                    select(Question.request_key).where(Question.request_key.in_(list(expected)))
                )
            )
            unsent = session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
            )
            queued = Counter(
                session.scalars(
                    select(OutboxMessage.method).where(OutboxMessage.sent_at.is_not(None))
                )
            )
            outbox = session.scalar(select(func.count(OutboxMessage.id)))
            errors = Counter(
                session.scalars(
                    select(OutboxMessage.last_error).where(OutboxMessage.sent_at.is_(None))
                )
            )
        if unsent == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    taken = Counter(c.method for c in slack.calls() if c.ok and c.method in queued)
    duplicates = sum(taken.values()) - sum(queued.values())
    failed = [o for o in outcomes if o.status != 200]
    retries, redispatches = retried(stats)
    samples = [o.milliseconds for o in outcomes]
    print(
        f"kill -9 run: {count:,} requests ({sum(r.kind == 'app_mention' for r in requests)} of "
        f"them @canwe mentions) through HAProxy and 3 processes, canwe2 killed with -9 after "
        f"{count // 2:,}: {count / seconds:.1f} req/s, p50 {percentile(samples, 0.5):.1f} ms, "
        f"p99 {percentile(samples, 0.99):.1f} ms, slowest {max(samples):.0f} ms"
    )
    print(
        f"  failed {len(failed)}; HAProxy retries {retries}, redispatches {redispatches}; "
        + ", ".join(f"{name} served {stats[name]['stot']}" for name in backends)
    )
    print(
        f"  questions: {len(expected):,} requests were questions, {len(keys):,} stored, "
        f"{sum(n > 1 for n in keys.values())} stored twice, {len(expected - set(keys))} missing"
    )
    print(
        f"  outbox: {outbox - outbox_before:,} messages queued in this run, {unsent} still unsent "
        f"after waiting for the dead process's leases; Slack took "
        f"{len([c for c in slack.calls() if c.ok]) - calls_before:,} calls in this run; "
        f"duplicates (calls beyond one per message, whole benchmark) {duplicates}"
    )
    if unsent:
        print(f"  unsent, by last error: {dict(errors)}")


if __name__ == "__main__":
    main()
