"""/canwe: a rep's question, or a subcommand (help, audience, promises)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.asking import ask
from bot.context import Context
from bot.messages import usage_message
from bot.requests import FeatureQuestion, Usage, read_request
from bot.subcommands import request_reply
from store.db import session_scope

log = logging.getLogger(__name__)


def register(app: App, ctx: Context) -> None:
    @app.command("/canwe")
    def canwe(ack: Ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        request = read_request(text)
        if isinstance(request, Usage):  # no database needed
            ack(response_type="ephemeral", **usage_message().as_kwargs())
            return
        with session_scope(ctx.sessions) as session:
            if not isinstance(request, FeatureQuestion):
                message = request_reply(
                    session=session,
                    ctx=ctx,
                    request=request,
                    user_id=command["user_id"],
                    channel_id=command["channel_id"],
                )
            else:
                message = ask(
                    session=session,
                    ctx=ctx,
                    raw_text=text,
                    asker_id=command["user_id"],
                    channel_id=command["channel_id"],
                    source="command",
                    request_key=f"command:{command.get('trigger_id') or command['user_id']}",
                ).message
        log.info(
            "/canwe from %s in %s: %s", command["user_id"], command["channel_id"], message.text[:80]
        )
        ack(response_type="ephemeral", **message.as_kwargs())
