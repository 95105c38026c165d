"""Button clicks: a PM opens the answer form; a rep asks for an exception, marks a promise, or
picks one of the items a "did you mean" reply offered."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.answering import answer_form
from bot.choice_messages import ChoiceAction
from bot.context import Context
from bot.exceptions import ask_for_exception
from bot.messages import ActionId
from bot.picking import Picked, pick_item, pick_none
from bot.promises import mark_promised
from bot.verdicts import Verdict
from store.db import session_scope

log = logging.getLogger(__name__)


def register(app: App, ctx: Context) -> None:
    @app.action(re.compile(rf"^{ActionId.answer}:"))
    def answer_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        escalation_id, verdict = action["value"].split(":", 1)
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            form = answer_form(
                session=session,
                ctx=ctx,
                escalation_id=int(escalation_id),
                verdict=Verdict(verdict),
                user_id=user_id,
            )
        if form.refusal:
            client.chat_postEphemeral(
                channel=body.get("channel", {}).get("id") or form.channel_id,
                user=user_id,
                text=form.refusal,
            )
            log.info("refused answer click by %s on escalation %s", user_id, escalation_id)
        elif form.view:
            client.views_open(trigger_id=body["trigger_id"], view=form.view.to_dict())

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

    @app.action(ActionId.mark_promised)
    def promised_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            message = mark_promised(
                session=session, ctx=ctx, question_id=int(action["value"]), user_id=user_id
            )
        channel_id = body.get("channel", {}).get("id")
        log.info("promise marked by %s: %s", user_id, message.text[:80])
        if channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message.as_kwargs())

    @app.action(re.compile(rf"^{ChoiceAction.pick}:"))
    def pick_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        question_id, item_id = (int(part) for part in action["value"].split(":", 1))
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            picked = pick_item(
                session=session,
                ctx=ctx,
                question_id=question_id,
                item_id=item_id,
                user_id=user_id,
                **_clicked_message(body),
            )
        log.info("question %s: %s picked item %s", question_id, user_id, item_id)
        _show(picked, body, user_id, client)

    @app.action(ChoiceAction.none)
    def none_button(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        with session_scope(ctx.sessions) as session:
            picked = pick_none(
                session=session,
                ctx=ctx,
                question_id=int(action["value"]),
                user_id=user_id,
                **_clicked_message(body),
            )
        log.info("question %s: %s picked none of the offered items", action["value"], user_id)
        _show(picked, body, user_id, client)


# replacing an ephemeral choice through its response_url runs before Slack gets the click's
# response (process_before_response): Slack waits three seconds
RESPONSE_URL_TIMEOUT = 2


def _clicked_message(body: dict) -> dict:
    container = body.get("container") or {}
    return {"channel_id": container.get("channel_id"), "message_ts": container.get("message_ts")}


def _show(picked: Picked, body: dict, user_id: str, client: WebClient) -> None:
    """An answer to show replaces the ephemeral choice; a refusal is shown only to whoever
    clicked."""
    if picked.message is not None and body.get("response_url"):
        webhook = WebhookClient(url=body["response_url"], timeout=RESPONSE_URL_TIMEOUT)
        webhook.send(replace_original=True, **picked.message.as_kwargs())
        return
    channel_id = body.get("channel", {}).get("id")
    if picked.refusal and channel_id:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=picked.refusal)
