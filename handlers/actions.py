"""Button clicks: a PM opens the answer form; a rep asks for an exception."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answering import may_answer
from bot.context import Context
from bot.exceptions import ask_for_exception
from bot.messages import ActionId, answer_modal, user
from bot.verdicts import Verdict
from store import questions as q
from store.db import session_scope
from store.models import Escalation, Item

log = logging.getLogger(__name__)


def register(app: App, ctx: Context) -> None:
    @app.action(re.compile(rf"^{ActionId.answer}:"))
    def answer_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        escalation_id, verdict = action["value"].split(":", 1)
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            escalation = session.get(Escalation, int(escalation_id))
            if escalation is None:
                return
            allowed = may_answer(ctx, escalation, user_id)
            question = q.watchers(session=session, escalation_id=escalation.id)[0]
            item = session.get(Item, escalation.item_id) if escalation.item_id else None
            owner, backup = escalation.owner_id, escalation.backup_id
        channel_id = body.get("channel", {}).get("id") or escalation.channel_id
        if not allowed:
            who = " or ".join(user(u) for u in (owner, backup) if u) or "a canwe admin"
            client.chat_postEphemeral(
                channel=channel_id,
                user=user_id,
                text=f"Only {who} can answer this question. "
                "Reply in the thread to add a comment instead.",
            )
            log.info("refused answer click by %s on escalation %s", user_id, escalation_id)
            return
        view = answer_modal(
            escalation.id,
            Verdict(verdict),
            question.text,
            ctx.settings.canwe_answer_valid_days,
            item.key if item else None,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view.to_dict())

    @app.action(ActionId.ask_exception)
    def exception_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            text = ask_for_exception(
                session=session, ctx=ctx, question_id=int(action["value"]), user_id=user_id
            )
        channel_id = body.get("channel", {}).get("id")
        if channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
