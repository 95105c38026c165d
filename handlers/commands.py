"""/canwe: a rep's question, or a subcommand (help, audience, promises)."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext

from bot.core.requests import FeatureQuestion, Usage, read_request
from bot.questions.asking import ask
from bot.questions.messages import usage_message
from bot.questions.subcommands import request_reply
from handlers.payloads import SlashCommand
from handlers.workspaces import workspace_context
from store.db import session_scope

log = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.command("/canwe")
    def canwe(ack: Ack, command: dict, context: BoltContext) -> None:
        ctx = workspace_context(context)
        asked = SlashCommand.model_validate(command)  # malformed: a 400 (handlers/errors.py)
        text = asked.text.strip()
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
                    user_id=asked.user_id,
                    channel_id=asked.channel_id,
                )
            else:
                message = ask(
                    session=session,
                    ctx=ctx,
                    raw_text=request.text,
                    asker_id=asked.user_id,
                    channel_id=asked.channel_id,
                    source="command",
                    request_key=f"command:{asked.trigger_id or asked.user_id}",
                ).message
        log.info("/canwe from %s in %s: %s", asked.user_id, asked.channel_id, message.text[:80])
        ack(response_type="ephemeral", **message.as_kwargs())
