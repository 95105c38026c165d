"""One scheduler pass over 10,000 open escalations whose reminders are due, on SQLite and
PostgreSQL. Target: under 2 s each.

The pass is what `canwe tick` does before delivery: find the due escalations, write each
reminder to the outbox and move its next check. Delivery itself is paced by Slack's rate
limits (about one message a second per channel), so it is not part of this figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

from _common import ROOT  # noqa: F401  (puts the project on sys.path)
from sqlalchemy import create_engine, insert, text

from bot.context import build_context
from bot.escalations.chasing import chase
from bot.settings import Settings
from store.migrate import upgrade
from store.models import Escalation, Question
from store.tenancy import DEFAULT_WORKSPACE

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def fill(url: str, count: int, now: dt.datetime) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        created = now - dt.timedelta(hours=10)
        connection.execute(
            insert(Escalation),
            [
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "channel_id": f"C0PM{i % 20:06d}",
                    "owner_id": f"U0PM{i % 20:06d}",
                    "match_text": f"question {i}",
                    "reason": "unknown",
                    "status": "open",
                    "created_at": created,
                    "due_at": now + dt.timedelta(hours=10),
                    "next_check_at": now - dt.timedelta(minutes=1),
                    "reminders_sent": 0,
                }
                for i in range(count)
            ],
        )
        connection.execute(
            insert(Question),
            [
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "request_key": f"bench:{i}",
                    "text": f"question {i}",
                    "asker_id": f"U0REP{i % 300:05d}",
                    "channel_id": "C0SALES001",
                    "source": "mention",
                    "thread_ts": "1.0",
                    "status": "escalated",
                    "verdict": "unknown",
                    "confidence": 0.1,
                    "escalation_id": i + 1,
                    "created_at": created,
                }
                for i in range(count)
            ],
        )
    engine.dispose()


def run(name: str, url: str, count: int) -> None:
    upgrade(url)
    now = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
    fill(url, count, now)
    ctx = build_context(Settings(_env_file=None, database_url=url), clock=lambda: now)
    start = time.perf_counter()
    report = chase(ctx)
    elapsed = time.perf_counter() - start
    print(
        f"{name:10s} {count:,} open escalations: {report.reminders:,} reminders queued in {elapsed:.2f} s"
        f"   (target < 2 s)"
    )
    ctx.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="canwe-tick-"))
    run("SQLite", f"sqlite:///{workdir / 'tick.db'}", options.count)

    name = f"canwe_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"PostgreSQL: not reachable at {PG_ADMIN} ({type(error).__name__}); skipped")
        return
    try:
        run("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", options.count)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
