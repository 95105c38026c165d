"""Helpers shared by the benchmarks: a big synthetic store, signed requests, percentiles."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import random
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
# The servers every HTTP benchmark runs side by side ("{port}" is filled in before start):
# canwe itself, and Bolt that only acks, the limit of this stack.
CANWE_SERVER = [sys.executable, "-m", "bot.cli", "serve", "--port", "{port}"]
BARE_BOLT_SERVER = [
    sys.executable,
    "-m",
    "uvicorn",
    "--app-dir",
    str(ROOT / "benchmarks"),
    "_bare_app:app",
    "--port",
    "{port}",
    "--log-level",
    "warning",
]
sys.path.insert(0, str(ROOT))

from store.db import make_engine, make_session_factory, session_scope  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Area, Estimate, Item, Question  # noqa: E402
from store.search import optimize_index  # noqa: E402
from store.tenancy import DEFAULT_WORKSPACE  # noqa: E402

WORDS = [
    "audit",
    "log",
    "export",
    "sso",
    "saml",
    "okta",
    "scim",
    "provisioning",
    "dashboard",
    "report",
    "webhook",
    "api",
    "region",
    "encryption",
    "backup",
    "teams",
    "slack",
    "salesforce",
    "hubspot",
    "zapier",
    "csv",
    "pdf",
    "branding",
    "mfa",
    "passkey",
    "session",
    "timeout",
    "policy",
    "retention",
    "archive",
    "search",
    "filter",
    "tag",
    "label",
    "workflow",
    "approval",
    "billing",
    "invoice",
    "quota",
    "limit",
    "sandbox",
    "staging",
    "migration",
    "import",
    "sync",
    "calendar",
    "reminder",
    "notification",
    "mobile",
    "offline",
    "dark",
    "mode",
    "theme",
]
STATUSES = ("shipped", "in_progress", "committed", "planned", "exploring", "declined")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def synthetic_store(path: Path, items: int, questions: int, seed: int = 1) -> str:
    """A migrated SQLite file with `items` roadmap items and `questions` stored questions."""
    url = f"sqlite:///{path}"
    if path.exists():
        path.unlink()
    return fill_store(url, items, questions, seed)


def fill_store(url: str, items: int, questions: int, seed: int = 1) -> str:
    """Migrate the empty database at `url` and fill it as `synthetic_store` does."""
    upgrade(url)
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(Area),
            [
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "name": f"Area {i}",
                    "channel_id": f"C0AREA{i:04d}",
                    "pm_user_id": f"U0PM{i:06d}",
                    "keywords": [],
                }
                for i in range(20)
            ],
        )
        rows = []
        for i in range(items):
            title = " ".join(rng.sample(WORDS, 4))
            rows.append(
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "key": f"SYN-{i}",
                    "title": title.capitalize(),
                    "description": " ".join(rng.sample(WORDS, 8)),
                    "area_id": 1 + i % 20,
                    "status": STATUSES[i % 6],
                    "public": bool(i % 2),
                    "aliases": [" ".join(rng.sample(WORDS, 2))],
                    "url": None,
                    "updated_at": now,
                    "revised_at": now,
                    "target_date": None,
                }
            )
        connection.execute(insert(Item), rows)
        connection.execute(
            insert(Estimate),
            [
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "item_id": i + 1,
                    "team": f"Team {i % 10}",
                    "optimistic": 5,
                    "likely": 8,
                    "pessimistic": 13,
                    "recorded_at": now,
                }
                for i in range(items)
                if STATUSES[i % 6] in ("committed", "in_progress")
            ],
        )
        batch = []
        for i in range(questions):
            batch.append(
                {
                    "workspace_id": DEFAULT_WORKSPACE,
                    "request_key": f"bench:{i}",
                    "text": " ".join(rng.sample(WORDS, 5)),
                    "asker_id": f"U0REP{i % 500:05d}",
                    "channel_id": f"C0SALES{i % 50:03d}",
                    "source": "command",
                    "status": "answered",
                    "verdict": "committed",
                    "confidence": 0.9,
                    "item_id": 1 + i % items,
                    "created_at": now - dt.timedelta(minutes=i),
                }
            )
            if len(batch) == 10_000:
                connection.execute(insert(Question), batch)
                batch = []
        if batch:
            connection.execute(insert(Question), batch)
    with session_scope(make_session_factory(engine)) as session:
        optimize_index(session=session)  # as an import ends
    engine.dispose()
    return url


def synthetic_roadmap(path: Path, items: int, *, digit: str = "0", seed: int = 1) -> Path:
    """A roadmap file for `canwe import` with what `fill_store` writes: 20 areas and `items`
    items, with estimates on the committed and in-progress ones. `digit` goes into every
    channel and user id (C0AREA0001, U1PM000001), so each workspace has its own."""
    import json

    rng = random.Random(seed)
    target = (dt.date.today() + dt.timedelta(days=120)).isoformat()
    roadmap = {
        "areas": [
            {"name": f"Area {i}", "channel": f"C{digit}AREA{i:04d}", "pm": f"U{digit}PM{i:06d}"}
            for i in range(20)
        ],
        "items": [],
    }
    for i in range(items):
        status = STATUSES[i % 6]
        item = {
            "key": f"SYN-{i}",
            "title": " ".join(rng.sample(WORDS, 4)).capitalize(),
            "description": " ".join(rng.sample(WORDS, 8)),
            "area": f"Area {i % 20}",
            "status": status,
            "public": bool(i % 2),
            "aliases": [" ".join(rng.sample(WORDS, 2))],
        }
        if status in ("committed", "in_progress"):
            item["target"] = target
            item["estimate"] = {
                "team": f"Team {i % 10}",
                "optimistic": 5,
                "likely": 8,
                "pessimistic": 13,
            }
        roadmap["items"].append(item)
    path.write_text(json.dumps(roadmap))  # JSON is YAML
    return path


def add_questions(
    url: str, questions: int, workspace_id: int, *, digit: str = "0", seed: int = 1
) -> None:
    """`questions` answered questions of the past in one workspace, on its items, as
    `fill_store` adds them (asked by its users in its channels: `digit` as above)."""
    from sqlalchemy import select

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    engine = make_engine(url)
    with engine.begin() as connection:
        item_ids = connection.scalars(
            select(Item.id).where(Item.workspace_id == workspace_id).order_by(Item.id)
        ).all()
        rows = [
            {
                "workspace_id": workspace_id,
                "request_key": f"bench:{i}",
                "text": " ".join(rng.sample(WORDS, 5)),
                "asker_id": f"U{digit}REP{i % 500:05d}",
                "channel_id": f"C{digit}SALES{i % 50:03d}",
                "source": "command",
                "status": "answered",
                "verdict": "committed",
                "confidence": 0.9,
                "item_id": item_ids[i % len(item_ids)],
                "created_at": now - dt.timedelta(minutes=i),
            }
            for i in range(questions)
        ]
        for start in range(0, len(rows), 5_000):
            connection.execute(insert(Question), rows[start : start + 5_000])
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    log = open(Path(env.get("BENCH_LOG", "/dev/null")), "ab")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {args} did not start")


def signed_command(
    secret: str, text: str, user: str, channel: str, trigger: str
) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(
        {
            "command": "/canwe",
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "team_id": "T0BENCH",
            "trigger_id": trigger,
            "response_url": "http://127.0.0.1:9/response",
        }
    ).encode()
    timestamp = str(int(time.time()))
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def round_trips(
    url: str, secret: str, texts: list[str], count: int, *, run: str = "measured"
) -> list[float]:
    """`count` commands one after another, each's milliseconds. Trigger ids are unique to
    the `run`: one seen before is answered as Slack's retry, without the work measured."""
    samples = []
    with httpx.Client(timeout=10) as client:
        for i in range(count):
            body, headers = signed_command(
                secret, texts[i % len(texts)], f"U0B{i:06d}", "C0SALES001", f"{run}-{i}"
            )
            start = time.perf_counter()
            response = client.post(url, content=body, headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
    return samples
