"""The answer form: validated, recorded, relayed."""

from __future__ import annotations

import datetime as dt
import logging

from slack_bolt import Ack, App

from bot.answering import AnswerInput, NotAllowed, check_input, record_answer
from bot.context import Context
from bot.messages import AnswerField, ModalId
from bot.verdicts import Verdict
from store.db import session_scope

log = logging.getLogger(__name__)


def _value(values: dict, field: AnswerField) -> str | None:
    element = values.get(field, {}).get(field, {})
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value")
    if "selected_date" in element:
        return element["selected_date"]
    return element.get("value")


def read_answer(values: dict, today: dt.date) -> tuple[AnswerInput | None, dict[str, str]]:
    date_text = _value(values, AnswerField.date)
    valid_text = (_value(values, AnswerField.valid_days) or "").strip()
    if not valid_text.isdigit():
        return None, {AnswerField.valid_days: "A whole number of days, e.g. 30."}
    answer = AnswerInput(
        verdict=Verdict(_value(values, AnswerField.verdict) or Verdict.not_committed),
        promise_date=dt.date.fromisoformat(date_text) if date_text else None,
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


def register(app: App, ctx: Context) -> None:
    @app.view(ModalId.answer)
    def answer_submitted(ack: Ack, body: dict, view: dict) -> None:
        answer, errors = read_answer(view["state"]["values"], ctx.today())
        if errors:
            ack(response_action="errors", errors=errors)
            return
        user_id = body["user"]["id"]
        try:
            with session_scope(ctx.sessions) as session:
                record_answer(
                    session=session,
                    ctx=ctx,
                    escalation_id=int(view["private_metadata"]),
                    user_id=user_id,
                    answer_in=answer,
                    # a resent submission carries the same view id and hash: one answer
                    source_key=f"view:{view['id']}:{view.get('hash', '')}",
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
        log.info("answer recorded by %s for escalation %s", user_id, view["private_metadata"])
        ack()
