"""Replies to what is not a question: usage, `/canwe audience`, `/canwe promises`, and a
likely typo of one of them. None of them is stored as a question or reaches a PM."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.requests import LikelyTypo, Request, Subcommand
from bot.promises.tracking import list_promises
from bot.questions.audiences import audience_command
from bot.questions.messages import did_you_mean_command_message, usage_message
from bot.slack.blocks import Message


def request_reply(
    *, session: Session, ctx: Context, request: Request, user_id: str, channel_id: str
) -> Message:
    if isinstance(request, LikelyTypo):
        return did_you_mean_command_message(request.typed, request.suggestion)
    if isinstance(request, Subcommand) and request.name == "audience":
        return audience_command(
            session=session,
            ctx=ctx,
            user_id=user_id,
            channel_id=channel_id,
            argument=request.argument,
        )
    if isinstance(request, Subcommand):
        return list_promises(session=session, ctx=ctx, user_id=user_id, channel_id=channel_id)
    return usage_message()
