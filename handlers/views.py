"""The answer form: validated, recorded, relayed."""

from __future__ import annotations

import datetime as dt
import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.verdicts import Verdict
from bot.escalations.answering import (
    AnswerInput,
    NotAllowed,
    answer_form,
    check_input,
    record_answer,
)
from bot.escalations.messages import AnswerField
from bot.slack.blocks import ModalId
from handlers.payloads import (
    AnswerSubmission,
    DetailsSubmission,
    FormElement,
    MalformedRequest,
    Submitter,
)
from handlers.workspaces import workspace_context
from store.db import session_scope

log = logging.getLogger(__name__)


def _value(values: dict[str, dict[str, FormElement]], field: AnswerField) -> str | None:
    return values.get(field, {}).get(field, FormElement()).text()


def read_answer(
    values: dict[str, dict[str, FormElement]],
    today: dt.date,
    *,
    details: dict[str, str],
    valid_days: int,
) -> tuple[AnswerInput | None, dict[str, str]]:
    """The answer in the form, with the details saved from its pushed view. How long it is
    reused is internal (`valid_days`); a form that still sends the field is checked."""
    date_text = _value(values, AnswerField.date)
    valid_text = (_value(values, AnswerField.valid_days) or str(valid_days)).strip()
    if not valid_text.isdigit() or len(valid_text) > 4:
        return None, {AnswerField.valid_days: "A whole number of days, e.g. 30."}
    verdict = _value(values, AnswerField.verdict) or Verdict.not_committed
    if verdict not in set(Verdict):
        raise MalformedRequest(f"the answer form has no verdict {verdict[:40]!r}")
    answer = AnswerInput(
        verdict=Verdict(verdict),
        promise_date=_date(date_text),
        note=_value(values, AnswerField.note) or "",
        cost_note=details.get(AnswerField.cost, ""),
        scope_note=details.get(AnswerField.scope, ""),
        schedule_note=details.get(AnswerField.schedule, ""),
        services_note=details.get(AnswerField.services_note, ""),
        marketing_note=details.get(AnswerField.marketing_note, ""),
        valid_days=int(valid_text),
        item_key=(_value(values, AnswerField.item_key) or "").strip() or None,
        scope=_value(values, AnswerField.applies_to),
    )
    return answer, check_input(answer, today)


def _date(text: str | None) -> dt.date | None:
    """A datepicker's date; anything else was not sent by Slack's datepicker."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise MalformedRequest(f"the answer form's date is not a date: {text[:40]!r}") from error


def _update(client: WebClient, view_id: str, view) -> None:
    try:
        client.views_update(view_id=view_id, view=view.to_dict())
    except (SlackApiError, SlackClientError, OSError) as error:
        log.warning("views.update of the answer form %s failed: %s", view_id, error)


def register(app: App) -> None:
    @app.view(ModalId.answer)
    def answer_submitted(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
        ctx = workspace_context(context)
        # malformed (not a form canwe opened): a 400 (handlers/errors.py)
        submitted = AnswerSubmission.model_validate(view)
        form = submitted.form()
        user_id = Submitter.model_validate(body).user.id
        answer, errors = read_answer(
            submitted.state.values,
            ctx.today(),
            details=form.details,
            valid_days=ctx.settings.canwe_answer_valid_days,
        )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            with session_scope(ctx.sessions) as session:
                record_answer(
                    session=session,
                    ctx=ctx,
                    escalation_id=form.escalation,
                    user_id=user_id,
                    answer_in=answer,
                    # a resent submission carries the same view id and hash: one answer
                    source_key=f"view:{submitted.id}:{submitted.hash or ''}",
                )
        except NotAllowed:
            ack(
                response_action="errors",
                errors={
                    AnswerField.verdict: "Only the area's PM, backup or an admin "
                    "can answer this question."
                },
            )
            return
        except LookupError as error:
            ack(response_action="errors", errors={AnswerField.item_key: str(error)})
            return
        log.info("answer recorded by %s for escalation %s", user_id, form.escalation)
        ack()

    @app.view(ModalId.answer_details)
    def details_submitted(
        ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext
    ) -> None:
        ctx = workspace_context(context)
        submitted = DetailsSubmission.model_validate(view)
        escalation_id, parent_view_id, verdict = submitted.parent()
        user_id = Submitter.model_validate(body).user.id
        with session_scope(ctx.sessions) as session:
            form = answer_form(
                session=session,
                ctx=ctx,
                escalation_id=escalation_id,
                verdict=verdict,
                user_id=user_id,
                details=submitted.details(),
            )
        ack()  # back to the answer form
        if form.view is not None:
            # the same inputs keep what the PM typed; the details ride in the metadata
            _update(client, parent_view_id, form.view)
