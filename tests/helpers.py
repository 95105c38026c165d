"""Small readers over what the Slack stand-in recorded, and over the store."""

from __future__ import annotations

import json
import os

from sqlalchemy import func, select, text

from store.db import session_scope
from store.models import Escalation, OutboxMessage, Question

SALES = "C0SALES001"
SERVICES = "C0SERVICE1"
MARKETING = "C0MARKET01"
REP = "U0REP00001"
REP2 = "U0REP00002"
PM_IDENTITY = "U0PMIDENT1"
PM_LEAD = "U0PMLEAD01"
IDENTITY_CHANNEL = "C0PMIDENT1"
TRIAGE = "C0TRIAGE01"

# Under faketime (`make test-any-day`) a request's own work takes about 2.5 times as long:
# libfaketime stands between the interpreter and every clock it reads. Time-outs run on the
# real monotonic clock and are not slowed. Those runs are about dates, not speed.
UNDER_FAKETIME_SLOWER = 2.5 if "FAKETIME" in os.environ else 1.0


def block_text(blocks) -> str:
    """Everything a person could read in some blocks, as one string."""
    return json.dumps(blocks or [], ensure_ascii=False)


def message_text(message: dict) -> str:
    return (message.get("text") or "") + block_text(message.get("blocks"))


def count(ctx, model, *where) -> int:
    with session_scope(ctx.sessions) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def questions(ctx) -> list[Question]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(Question).order_by(Question.id)))


def escalations(ctx) -> list[Escalation]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)))


def unsent(ctx) -> int:
    return count(ctx, OutboxMessage, OutboxMessage.sent_at.is_(None))


def posts(slack, method="chat.postMessage", channel=None) -> list[dict]:
    """Successful Web API calls of `method` (optionally to `channel`), as their arguments."""
    return [
        c.args
        for c in slack.calls(method)
        if c.ok and (channel is None or c.args.get("channel") == channel)
    ]


def insert_item_as_of_old(engine, key: str = "OLD-1", title: str = "Sidecar containers") -> None:
    """An item written as an older schema had it (before migration 0011 added workspaces):
    today's model has columns the old tables lack, so it is written in SQL."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO items (key, title, description, status, public, aliases,"
                " updated_at, revised_at) VALUES (:key, :title, '', 'planned', false, '[]',"
                " '2026-11-27 00:00:00', '2026-11-27 00:00:00')"
            ),
            {"key": key, "title": title},
        )


def serve_env(database_url: str, slack) -> dict[str, str]:
    """What a `canwe serve` started by a test needs: the store, and Slack's stand-in."""
    from tests.conftest import BOT_TOKEN, SIGNING_SECRET

    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
