"""One error handler: a clear message the user can quote, and the traceback in the log."""

from __future__ import annotations

import json
import logging
import uuid

from pydantic import ValidationError
from slack_bolt import App, BoltResponse

from bot.questions.messages import error_message
from handlers.payloads import MalformedRequest, one_line

log = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.error
    def on_error(error: Exception, body: dict) -> BoltResponse | None:
        if isinstance(error, (ValidationError, MalformedRequest)):
            # signed, but not a payload canwe sent or Slack would send: one line, no traceback
            detail = one_line(error) if isinstance(error, ValidationError) else str(error)
            log.warning("refused a malformed %s payload: %s", _kind(body), detail)
            return BoltResponse(status=400, body="malformed payload")
        error_id = uuid.uuid4().hex[:8]
        log.exception(
            "error %s handling %s",
            error_id,
            _kind(body),
            exc_info=error,
        )
        if body.get("command"):
            # a slash command gets no retry from Slack: say so, and that nothing was kept
            message = error_message(
                f"Sorry, something went wrong on our side (error {error_id}). "
                "Your question was not saved: please ask again in a minute."
            )
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", **message.as_kwargs()}),
                headers={"content-type": ["application/json;charset=utf-8"]},
            )
        # events: a 500 makes Slack retry, and the event id keeps the retry from acting twice
        return None


def _kind(body: dict) -> str:
    kind = body.get("command") or body.get("type")
    return kind if isinstance(kind, str) else "unknown"
