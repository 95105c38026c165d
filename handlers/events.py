"""@canwe mentions and direct messages to canwe (a question, answered in its thread), and
replies in escalation threads."""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners

from bot.core.requests import FeatureQuestion, read_request
from bot.escalations.threads import escalation_thread, reply_in_thread
from bot.questions.asking import ask, reply_privately
from bot.questions.subcommands import request_reply
from bot.slack.blocks import Message
from bot.slack.install import workspace_gone
from handlers.payloads import EventCallback, Mention, ThreadMessage, TokensRevoked
from handlers.workspaces import workspace_context
from store.db import session_scope
from store.events import first_time

log = logging.getLogger(__name__)
MENTION = re.compile(r"^\s*<@[A-Z0-9]+>\s*")


def register(app: App) -> None:
    @app.event("app_mention")
    def mention(event: dict, body: dict, context: BoltContext) -> None:
        ctx = workspace_context(context)
        said = Mention.model_validate(event)  # malformed: a 400 (handlers/errors.py)
        event_id = EventCallback.model_validate(body).event_id or f"{said.channel}:{said.ts}"
        with session_scope(ctx.sessions) as session:
            if not first_time(session=session, event_id=event_id, now=ctx.now()):
                log.info("event %s already handled (Slack retry)", event_id)
                return
            if said.thread_ts and escalation_thread(
                session=session, channel_id=said.channel, thread_ts=said.thread_ts
            ):
                return  # a PM mentioning the bot in its own thread: the message event answers
            message = _answer(ctx, session, said, _without_bot_name(said.text, context), event_id)
        log.info("mention %s from %s: %s", event_id, said.user, message.text[:80])

    @app.event("message")
    def message(event: dict, body: dict, context: BoltContext) -> None:
        ctx = workspace_context(context)
        if event.get("subtype") or event.get("bot_id"):
            return  # edits, joins, bots: none of them is a reply to read
        said = ThreadMessage.model_validate(event)
        if event.get("channel_type") == "im":
            # a rep writing to canwe directly is asking as with a mention, in a thread too (a
            # follow-up: "what about Globex?"): no question dropped
            direct = Mention(
                channel=said.channel,
                ts=said.ts,
                text=said.text,
                user=said.user,
                thread_ts=said.thread_ts,
            )
            event_id = EventCallback.model_validate(body).event_id or f"{said.channel}:{said.ts}"
            text = _without_bot_name(said.text, context)
            with session_scope(ctx.sessions) as session:
                if first_time(session=session, event_id=event_id, now=ctx.now()):
                    _answer(ctx, session, direct, text, event_id)
            return
        if not said.thread_ts or said.thread_ts == said.ts:
            return
        event_id = EventCallback.model_validate(body).event_id or f"{said.channel}:{said.ts}"
        outcome = reply_in_thread(
            ctx=ctx,
            channel_id=said.channel,
            thread_ts=said.thread_ts,
            user_id=said.user,
            text=said.text,
            event_key=event_id,
            message_ts=said.ts,
        )
        if outcome:
            log.info("thread reply %s in %s: %s", event_id, said.channel, outcome)

    if app.oauth_flow is not None:
        # Bolt's listeners delete the install; canwe stops the workspace's work and, after
        # a grace period, deletes its data (bot/workers.py)
        installs = TokenRevocationListeners(app.installation_store)

        @app.event("app_uninstalled")
        def app_uninstalled(context: BoltContext) -> None:
            installs.handle_app_uninstalled_events(context)
            workspace_gone(workspace_context(context), "canwe was uninstalled")

        @app.event("tokens_revoked")
        def tokens_revoked(event: dict, context: BoltContext) -> None:
            installs.handle_tokens_revoked_events(event, context)
            if TokensRevoked.model_validate(event).tokens.bot:
                workspace_gone(workspace_context(context), "its bot token was revoked")

    else:

        @app.event("app_uninstalled")
        @app.event("tokens_revoked")
        def uninstalled(event: dict) -> None:
            log.warning(
                "Slack says canwe was uninstalled or its token revoked (%s): SLACK_BOT_TOKEN "
                "no longer works; messages wait in the outbox until a new token is set",
                str(event.get("type"))[:40],
            )


def _without_bot_name(text: str, context: BoltContext) -> str:
    """The text without canwe's name: "hey @canwe help", the name anywhere, is no word."""
    text = MENTION.sub("", text)
    if context.bot_user_id:
        text = text.replace(f"<@{context.bot_user_id}>", " ").strip()
    return text


def _answer(ctx, session, said: Mention, text: str, event_id: str) -> Message:
    """A question asked by mention or direct message, answered in its thread; usage, a
    subcommand or a typo of one get a reply only the asker sees."""
    thread_ts = said.thread_ts or said.ts
    request = read_request(text)
    if isinstance(request, FeatureQuestion):
        return ask(
            session=session,
            ctx=ctx,
            raw_text=request.text,
            asker_id=said.user,
            channel_id=said.channel,
            source="mention",
            request_key=f"event:{event_id}",
            thread_ts=thread_ts,
            reply_in_thread=True,
        ).message
    message = request_reply(
        session=session, ctx=ctx, request=request, user_id=said.user, channel_id=said.channel
    )
    reply_privately(
        session=session,
        ctx=ctx,
        channel_id=said.channel,
        thread_ts=thread_ts,
        user_id=said.user,
        message=message,
        key=f"event:{event_id}",
    )
    return message
