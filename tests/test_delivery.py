"""The outbox on PostgreSQL: two server processes draining it at once send each message once."""

from __future__ import annotations

import threading

from bot.questions.asking import ask
from bot.slack.client import make_client
from bot.slack.delivery import Delivery
from store.db import session_scope
from tests.conftest import load_roadmap, make_context, make_settings
from tests.helpers import REP, SALES, posts, unsent


def test_two_workers_racing_on_postgres_send_each_message_once(pg_url, slack, clock):
    settings = make_settings(pg_url, slack_api_url=slack.api_url)
    ctx = make_context(settings, clock)
    load_roadmap(ctx)
    for i in range(30):  # thirty different unknown questions: thirty escalation messages
        with session_scope(ctx.sessions) as session:
            ask(
                session=session,
                ctx=ctx,
                raw_text=f"teleportation module number {i} for Acme",
                asker_id=REP,
                channel_id=SALES,
                source="command",
                request_key=f"race:{i}",
            )
    workers = [make_context(settings, clock) for _ in range(2)]
    start = threading.Barrier(2)

    def drain(worker_ctx):
        start.wait()
        Delivery(worker_ctx, make_client(worker_ctx.settings)).drain()

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sent = posts(slack, channel="C0TRIAGE01")
    assert len(sent) == 30
    assert len({p["text"] for p in sent}) == 30
    assert unsent(ctx) == 0
    for context in (ctx, *workers):
        context.engine.dispose()


def test_every_placeholder_is_stored_as_json_and_read_back_as_itself():
    import json

    from bot.slack.sends import (
        DirectMessage,
        EarlierMessage,
        EscalationPost,
        Joined,
        ThreadLink,
        decode,
        encode,
    )

    placeholders = [
        DirectMessage("U0REP00001"),
        EscalationPost(7),
        EarlierMessage("digest:channel:C1:2026-11-30:0"),
        ThreadLink("C0PMIDENT1", 7),
        Joined(("see ", ThreadLink("C0PMIDENT1", 7), " now")),
    ]
    for placeholder in placeholders:
        stored = json.loads(json.dumps(encode({"channel": placeholder})))
        assert decode(stored["channel"]) == placeholder
    # the rows written before the typed senders keep their meaning
    assert decode({"$dm": "U0REP00001"}) == DirectMessage("U0REP00001")
    assert decode({"channel": "C1", "text": "x"}) is None
