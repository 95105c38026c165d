"""Button clicks: a PM opens the answer form; a rep asks for an exception, marks a promise,
picks one of the items a "did you mean" reply offered, or says an answer is not about the
feature they meant."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.context import Context
from bot.escalations.answering import answer_form
from bot.escalations.exceptions import ask_for_exception
from bot.escalations.messages import details_modal
from bot.promises.tracking import mark_promised
from bot.questions.asking import why_this_date
from bot.questions.choice_messages import ChoiceAction
from bot.questions.picking import Clicked, Picked, not_this, pick_item, pick_none
from bot.slack.blocks import ActionId
from handlers.payloads import ButtonClick, DetailsClick
from handlers.workspaces import workspace_context
from store.db import session_scope

log = logging.getLogger(__name__)

SLACK_BUSY = (
    "Slack is busy right now and the answer form could not open. "
    "Please click the button again in a few seconds."
)


def register(app: App) -> None:
    @app.action(re.compile(rf"^{ActionId.answer}:"))
    def answer_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)  # malformed: a 400 (handlers/errors.py)
        escalation_id, verdict = click.answer()
        ack()
        user_id = click.user.id
        with session_scope(ctx.sessions) as session:
            form = answer_form(
                session=session,
                ctx=ctx,
                escalation_id=escalation_id,
                verdict=verdict,
                user_id=user_id,
            )
        if form.refusal:
            _tell(client, click.channel_id or form.channel_id, user_id, form.refusal)
            log.info("refused answer click by %s on escalation %s", user_id, escalation_id)
        elif form.view and click.trigger_id:
            try:
                client.views_open(trigger_id=click.trigger_id, view=form.view.to_dict())
            except (SlackApiError, SlackClientError, OSError) as error:
                # a trigger lasts 3 seconds: waiting out a 429 here would only fail later
                log.warning("views.open for escalation %s failed: %s", escalation_id, error)
                _tell(client, click.channel_id or form.channel_id, user_id, SLACK_BUSY)

    @app.action(ActionId.ask_exception)
    def exception_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id = click.row_id()
        ack()
        with session_scope(ctx.sessions) as session:
            text = ask_for_exception(
                session=session, ctx=ctx, question_id=question_id, user_id=click.user.id
            )
        if click.channel_id:
            _tell(client, click.channel_id, click.user.id, text)

    @app.action(ActionId.answer_details)
    def details_button(ack: Ack, body: dict, client: WebClient) -> None:
        click = DetailsClick.model_validate(body)
        form = click.view.form()
        ack()
        view = details_modal(
            escalation_id=form.escalation,
            parent_view_id=click.view.id,
            verdict=form.verdict,
            details=form.details,
        )
        try:
            client.views_push(trigger_id=click.trigger_id, view=view.to_dict())
        except (SlackApiError, SlackClientError, OSError) as error:
            log.warning("views.push of the details for %s failed: %s", form.escalation, error)

    @app.action(ActionId.why_date)
    def why_date_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id = click.row_id()
        ack()
        with session_scope(ctx.sessions) as session:
            message = why_this_date(session=session, ctx=ctx, question_id=question_id)
        _tell(client, click.channel_id, click.user.id, **message.as_kwargs())

    @app.action(ActionId.mark_promised)
    def promised_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id = click.row_id()
        ack()
        with session_scope(ctx.sessions) as session:
            message = mark_promised(
                session=session, ctx=ctx, question_id=question_id, user_id=click.user.id
            )
        log.info("promise marked by %s: %s", click.user.id, message.text[:80])
        if click.channel_id:
            _tell(client, click.channel_id, click.user.id, **message.as_kwargs())

    @app.action(re.compile(rf"^{ChoiceAction.pick}:"))
    def pick_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id, item_id = click.pick()
        ack()
        _on_question(pick_item, ctx, body, click, client, question_id, item_id=item_id)
        log.info("question %s: %s picked item %s", question_id, click.user.id, item_id)

    @app.action(ChoiceAction.none)
    def none_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id = click.row_id()
        ack()
        _on_question(pick_none, ctx, body, click, client, question_id)
        log.info("question %s: %s picked none of the offered items", question_id, click.user.id)

    @app.action(ActionId.not_this)
    def not_this_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ctx = workspace_context(context)
        click = ButtonClick.model_validate(body)
        question_id = click.row_id()
        ack()
        _on_question(not_this, ctx, body, click, client, question_id)
        log.info("question %s: %s said it is not what they meant", question_id, click.user.id)


def _on_question(
    act: Callable[..., Picked],
    ctx: Context,
    body: dict,
    click: ButtonClick,
    client: WebClient,
    question_id: int,
    **rest,
) -> None:
    """A rep's click that changes what their question's message says (a pick, "none of
    these", "not what I meant"): `act` decides, and its reply replaces the message."""
    container = click.container
    clicked = Clicked(
        channel_id=container.channel_id if container else None,
        message_ts=container.message_ts if container else None,
        click_id=click.click_id,
    )
    with session_scope(ctx.sessions) as session:
        shown = act(
            session=session,
            ctx=ctx,
            question_id=question_id,
            user_id=click.user.id,
            clicked=clicked,
            **rest,
        )
    _show(shown, body, click, client)


# replacing an ephemeral choice through its response_url runs before Slack gets the click's
# response (process_before_response): Slack waits three seconds
RESPONSE_URL_TIMEOUT = 2


def _tell(client: WebClient, channel_id: str | None, user_id: str, text: str, **rest) -> None:
    """An ephemeral note to whoever clicked; when Slack cannot take it, the log says so."""
    if not channel_id:
        return
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, **rest)
    except (SlackApiError, SlackClientError, OSError) as error:
        log.warning("could not tell %s in %s: %s", user_id, channel_id, error)


def _show(picked: Picked, body: dict, click: ButtonClick, client: WebClient) -> None:
    """An answer to show replaces the ephemeral choice; a refusal is shown only to whoever
    clicked."""
    response_url = body.get("response_url")
    if picked.message is not None and isinstance(response_url, str):
        try:
            webhook = WebhookClient(url=response_url, timeout=RESPONSE_URL_TIMEOUT)
            webhook.send(replace_original=True, **picked.message.as_kwargs())
        except (SlackClientError, OSError) as error:
            log.warning("could not replace the choice for %s: %s", click.user.id, error)
        return
    if picked.refusal:
        _tell(client, click.channel_id, click.user.id, picked.refusal)
