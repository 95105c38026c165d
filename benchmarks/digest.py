"""How long building every daily digest takes: 10,000 open questions over 500 channels.

A fresh SQLite file gets the example roadmap, 25 PM areas and 10,000 open questions (one
escalation each, the worst case for the PMs' DMs) asked in 500 sales channels, a third of
them overdue. The script times `build_digests` (every channel digest and every PM's DM,
read from the store, no Slack), then claiming and queueing them all (`queue_digests`),
then the scheduler's check once everything is claimed, and prints the figures.

    python benchmarks/digest.py [--questions N] [--channels N] [--runs N]

The issue's target: building every digest takes under 2 s on SQLite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bot.context import build_context  # noqa: E402
from bot.digest.daily import build_digests, queue_digests, run_digests  # noqa: E402
from bot.roadmap.importer import apply_roadmap, load_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.db import session_scope  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Area, Escalation, Item, OutboxMessage, Question  # noqa: E402
from store.tenancy import DEFAULT_WORKSPACE  # noqa: E402

NOW = dt.datetime(2026, 11, 30, 14, 0, tzinfo=dt.UTC)  # Monday 09:00 in New York
WORDS = [
    "sso",
    "export",
    "api",
    "webhook",
    "dashboard",
    "region",
    "audit",
    "sync",
    "report",
    "chart",
    "login",
    "connector",
]
CUSTOMERS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark & Sons", None]


def seed(ctx, questions: int, channels: int, areas: int) -> None:
    rng = random.Random(7)
    with session_scope(ctx.sessions) as session:
        apply_roadmap(
            load_file(ROOT / "examples" / "roadmap.yaml", NOW.date()), session=session, now=NOW
        )
        for n in range(areas):
            session.add(
                Area(
                    name=f"Bench area {n}",
                    pm_user_id=f"U0BENCHPM{n:02d}",
                    backup_user_id="U0PMLEAD01",
                    channel_id=f"C0BENCHPM{n:02d}",
                    keywords=[],
                )
            )
        session.flush()
        area_rows = session.execute(select(Area.id, Area.pm_user_id, Area.channel_id)).all()
        item_ids = list(session.scalars(select(Item.id)))
        escalation_rows = []
        for n in range(questions):
            area = area_rows[n % len(area_rows)]
            created = NOW - dt.timedelta(hours=rng.randint(1, 24 * 20))
            overdue = rng.random() < 0.33
            due = (
                NOW - dt.timedelta(hours=rng.randint(1, 72))
                if overdue
                else NOW + dt.timedelta(hours=rng.randint(1, 96))
            )
            escalation_rows.append(
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "id": n + 1,
                    "item_id": rng.choice(item_ids) if rng.random() < 0.5 else None,
                    "area_id": area.id,
                    "channel_id": area.channel_id,
                    "owner_id": area.pm_user_id,
                    "backup_id": "U0PMLEAD01",
                    "match_text": f"bench question {n}",
                    "reason": "unknown",
                    "status": "open",
                    "message_ts": f"1795000000.{n:06d}",
                    "created_at": created,
                    "due_at": due,
                    "next_check_at": due,
                    "reminders_sent": 0,
                }
            )
        session.execute(insert(Escalation), escalation_rows)
        question_rows = []
        for n, escalation in enumerate(escalation_rows):
            words = " ".join(rng.choice(WORDS) for _ in range(8))
            needed = (
                NOW.date() + dt.timedelta(days=rng.randint(3, 200)) if rng.random() < 0.8 else None
            )
            question_rows.append(
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "request_key": f"bench:{n}",
                    "text": f"can we promise {words} <by> the date? question {n}",
                    "asker_id": f"U0REP{n % 300:05d}",
                    "channel_id": f"C0SALES{n % channels:04d}",
                    "thread_ts": None,
                    "source": "command",
                    "customer": rng.choice(CUSTOMERS),
                    "deal_value": Decimal(rng.randint(5, 900) * 1000)
                    if rng.random() < 0.7
                    else None,
                    "needed_by": needed,
                    "status": "escalated",
                    "verdict": "unknown",
                    "confidence": 0.0,
                    "item_id": escalation["item_id"],
                    "escalation_id": escalation["id"],
                    "created_at": escalation["created_at"],
                }
            )
        session.execute(insert(Question), question_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--areas", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        ctx = build_context(Settings(_env_file=None, database_url=url), clock=lambda: NOW)
        seed(ctx, args.questions, args.channels, args.areas)
        day = ctx.today()

        timings = []
        digests = []
        for _ in range(args.runs):
            digests = []  # let the previous run's posts go before timing the next
            started = time.perf_counter()
            with session_scope(ctx.sessions) as session:
                digests = build_digests(session=session, ctx=ctx, day=day)
            timings.append(time.perf_counter() - started)
        posts = sum(len(d.posts) for d in digests)
        channel_digests = sum(d.kind == "channel" for d in digests)
        build = min(timings)
        print(
            f"build every digest: {build:.3f} s (best of {args.runs}; "
            f"runs {', '.join(f'{t:.3f}' for t in timings)}) for {args.questions:,} open questions "
            f"in {args.channels} channels -> {len(digests)} digests "
            f"({channel_digests} channels, {len(digests) - channel_digests} PM DMs), {posts} posts"
        )

        started = time.perf_counter()
        report = queue_digests(ctx, digests, day=day)
        queued = time.perf_counter() - started
        with session_scope(ctx.sessions) as session:
            rows = len(session.scalars(select(OutboxMessage.id)).all())
        print(f"claim and queue them: {queued:.3f} s ({report.digests} claims, {rows} outbox rows)")

        started = time.perf_counter()
        again = run_digests(ctx, day=day)
        check = time.perf_counter() - started
        print(
            f"scheduler check once all are claimed: {check * 1000:.1f} ms "
            f"({again.digests} queued, {again.already} already posted)"
        )
        verdict = "PASS" if build < 2.0 else "FAIL"
        print(f"{verdict}: building every digest {'<' if build < 2 else '>='} 2 s on SQLite")
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
