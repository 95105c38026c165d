"""/canwe: a rep's question, or a subcommand (help, audience)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.asking import ask
from bot.channels import audience_command
from bot.context import Context
from bot.messages import usage_message
from store.db import session_scope

log = logging.getLogger(__name__)


def register(app: App, ctx: Context) -> None:
    @app.command("/canwe")
    def canwe(ack: Ack, command: dict) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word in ("", "help", "usage", "?"):
            ack(response_type="ephemeral", **usage_message().as_kwargs())
            return
        with session_scope(ctx.sessions) as session:
            if word == "audience":
                message = audience_command(
                    session=session,
                    ctx=ctx,
                    user_id=command["user_id"],
                    channel_id=command["channel_id"],
                    argument=rest,
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
