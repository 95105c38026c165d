"""The answer form: validated, recorded, relayed."""

from __future__ import annotations

import datetime as dt
import logging

from slack_bolt import Ack, App

from bot.answering import AnswerInput, NotAllowed, check_input, record_answer
from bot.context import Context
from bot.messages import AnswerField, ModalId
from bot.verdicts import Verdict
from handlers.payloads import AnswerSubmission, FormElement, MalformedRequest, Submitter
from store.db import session_scope

log = logging.getLogger(__name__)


def _value(values: dict[str, dict[str, FormElement]], field: AnswerField) -> str | None:
    return values.get(field, {}).get(field, FormElement()).text()


def read_answer(
    values: dict[str, dict[str, FormElement]], today: dt.date
) -> tuple[AnswerInput | None, dict[str, str]]:
    date_text = _value(values, AnswerField.date)
    valid_text = (_value(values, AnswerField.valid_days) or "").strip()
    if not valid_text.isdigit() or len(valid_text) > 4:
        return None, {AnswerField.valid_days: "A whole number of days, e.g. 30."}
    verdict = _value(values, AnswerField.verdict) or Verdict.not_committed
    if verdict not in set(Verdict):
        raise MalformedRequest(f"the answer form has no verdict {verdict[:40]!r}")
    answer = AnswerInput(
        verdict=Verdict(verdict),
        promise_date=_date(date_text),
        note=_value(values, AnswerField.note) or "",
        cost_note=_value(values, AnswerField.cost) or "",
        scope_note=_value(values, AnswerField.scope) or "",
        schedule_note=_value(values, AnswerField.schedule) or "",
        services_note=_value(values, AnswerField.services_note) or "",
        marketing_note=_value(values, AnswerField.marketing_note) or "",
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


def register(app: App, ctx: Context) -> None:
    @app.view(ModalId.answer)
    def answer_submitted(ack: Ack, body: dict, view: dict) -> None:
        # malformed (not a form canwe opened): a 400 (handlers/errors.py)
        submitted = AnswerSubmission.model_validate(view)
        user_id = Submitter.model_validate(body).user.id
        answer, errors = read_answer(submitted.state.values, ctx.today())
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            with session_scope(ctx.sessions) as session:
                record_answer(
                    session=session,
                    ctx=ctx,
                    escalation_id=int(submitted.private_metadata),
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
        log.info("answer recorded by %s for escalation %s", user_id, submitted.private_metadata)
        ack()
