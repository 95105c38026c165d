"""@canwe mentions (a question, answered in its thread) and replies in escalation threads."""

from __future__ import annotations

import logging
import re

from slack_bolt import App

from bot.asking import ask, reply_privately
from bot.context import Context
from bot.requests import FeatureQuestion, read_request
from bot.subcommands import request_reply
from bot.threads import escalation_thread, reply_in_thread
from store.db import session_scope
from store.events import first_time

log = logging.getLogger(__name__)
MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def register(app: App, ctx: Context) -> None:
    @app.event("app_mention")
    def mention(event: dict, body: dict) -> None:
        event_id = body.get("event_id") or f"{event['channel']}:{event['ts']}"
        with session_scope(ctx.sessions) as session:
            if not first_time(session=session, event_id=event_id, now=ctx.now()):
                log.info("event %s already handled (Slack retry)", event_id)
                return
            if event.get("thread_ts") and escalation_thread(
                session=session, channel_id=event["channel"], thread_ts=event["thread_ts"]
            ):
                return  # a PM mentioning the bot in its own thread: the message event answers
            text = MENTION.sub("", event.get("text", ""))
            thread_ts = event.get("thread_ts") or event["ts"]
            user_id = event.get("user", "")
            request = read_request(text)
            if isinstance(request, FeatureQuestion):
                message = ask(
                    session=session,
                    ctx=ctx,
                    raw_text=text,
                    asker_id=user_id,
                    channel_id=event["channel"],
                    source="mention",
                    request_key=f"event:{event_id}",
                    thread_ts=thread_ts,
                    reply_in_thread=True,
                ).message
            else:  # usage, a subcommand or a typo of one: only the asker sees the reply
                message = request_reply(
                    session=session,
                    ctx=ctx,
                    request=request,
                    user_id=user_id,
                    channel_id=event["channel"],
                )
                reply_privately(
                    session=session,
                    ctx=ctx,
                    channel_id=event["channel"],
                    thread_ts=thread_ts,
                    user_id=user_id,
                    message=message,
                )
        log.info("mention %s from %s: %s", event_id, event.get("user"), message.text[:80])

    @app.event("message")
    def message(event: dict, body: dict) -> None:
        if event.get("subtype") or event.get("bot_id"):
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        event_id = body.get("event_id") or f"{event['channel']}:{event['ts']}"
        outcome = reply_in_thread(
            ctx=ctx,
            channel_id=event["channel"],
            thread_ts=thread_ts,
            user_id=event.get("user", ""),
            text=event.get("text", ""),
            event_key=event_id,
        )
        if outcome:
            log.info("thread reply %s in %s: %s", event_id, event["channel"], outcome)
