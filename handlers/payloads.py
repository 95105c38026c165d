"""What canwe reads from Slack's payloads, validated: the parts Bolt routes on (the envelope)
and the parts each listener uses. Anything else in a payload is ignored.

A request that is signed but does not fit is a 400 with one log line (`MalformedRequest` in
the endpoint, pydantic's `ValidationError` in a listener, turned into a 400 by the error
handler), never a 500 and a traceback.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt import BoltRequest
from slack_bolt.request.internals import parse_body

from bot.core.verdicts import Verdict

SlackId = Annotated[str, Field(min_length=1, max_length=64)]
Ts = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,9})?$")]
RowId = Annotated[str, Field(pattern=r"^\d{1,18}$")]  # fits a 64-bit id column
Text = str  # the bot shortens long text itself (bot/questions/asking.py)


class MalformedRequest(ValueError):
    """A signed request whose body is not a Slack payload canwe can route."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Named(_Part):
    id: SlackId


class _EventEnvelope(_Part):
    type: SlackId


class _ActionEnvelope(_Part):
    action_id: SlackId


class _ViewEnvelope(_Part):
    type: str  # Bolt reads it on every view payload
    callback_id: str = ""


class Envelope(_Part):
    """The top level, as Bolt reads it to route and authorize a request."""

    type: str | None = None
    command: str | None = None
    text: Text | None = None
    challenge: str | None = None
    team_id: str | None = None
    event: _EventEnvelope | None = None
    actions: list[_ActionEnvelope] | None = None
    view: _ViewEnvelope | None = None
    user: _Named | SlackId | None = None
    team: _Named | SlackId | None = None
    channel: _Named | SlackId | None = None


def to_bolt_request(body: bytes, headers, query) -> BoltRequest:
    """The Bolt request for a signed body, or MalformedRequest saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("the body is not UTF-8") from error
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    try:
        parsed = parse_body(text, content_type)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise MalformedRequest(f"the body is not valid JSON ({error})") from error
    if not isinstance(parsed, dict):
        raise MalformedRequest(f"the payload is {type(parsed).__name__}, not an object")
    try:
        Envelope.model_validate(parsed)
    except ValidationError as error:
        raise MalformedRequest(one_line(error)) from error
    try:
        return BoltRequest(body=text, query=dict(query), headers=dict(headers))
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise MalformedRequest(f"{type(error).__name__}: {error}") from error


def one_line(error: ValidationError) -> str:
    """A pydantic error in one short line (no values: they may be long or hostile)."""
    problems = [
        f"{'.'.join(str(part) for part in e['loc']) or 'payload'}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)[:3]
    ]
    return "; ".join(problems)


# ------------------------------------------------------------------ what listeners read


class SlashCommand(_Part):
    text: Text = ""
    user_id: SlackId
    channel_id: SlackId
    trigger_id: str | None = Field(default=None, max_length=200)


class Mention(_Part):
    channel: SlackId
    ts: Ts
    text: Text = ""
    user: str = Field(default="", max_length=64)
    thread_ts: Ts | None = None


class ThreadMessage(_Part):
    channel: SlackId
    ts: Ts
    text: Text = ""
    user: str = Field(default="", max_length=64)
    thread_ts: Ts | None = None
    subtype: str | None = None
    bot_id: str | None = None


class _RevokedTokens(_Part):
    oauth: list[str] = []
    bot: list[str] = []


class TokensRevoked(_Part):
    """tokens_revoked: the user ids whose user tokens, and bot ids whose tokens, are gone."""

    tokens: _RevokedTokens


class EventCallback(_Part):
    event_id: str | None = Field(default=None, max_length=200)


class _Click(_Part):
    value: str = Field(max_length=200)
    action_ts: str | None = Field(default=None, max_length=40)  # this click's own id


class _AnswerValue(_Part):
    escalation_id: RowId
    verdict: Verdict


class _RowValue(_Part):
    id: RowId


class _Container(_Part):
    """The message a button was on."""

    channel_id: SlackId | None = None
    message_ts: Ts | None = None


class ButtonClick(_Part):
    """A click on one of canwe's buttons: who clicked, where, and the button's value."""

    user: _Named
    trigger_id: str | None = Field(default=None, max_length=200)
    channel: _Named | None = None
    container: _Container | None = None
    actions: list[_Click] = Field(min_length=1)

    @property
    def value(self) -> str:
        return self.actions[0].value

    @property
    def channel_id(self) -> str | None:
        return self.channel.id if self.channel else None

    @property
    def click_id(self) -> str | None:
        """Slack's id of this click (its action_ts): the same when Slack sends it again."""
        return self.actions[0].action_ts

    def row_id(self) -> int:
        """The value of a button that names a question: its id."""
        return int(_RowValue.model_validate({"id": self.value}).id)

    def pick(self) -> tuple[int, int]:
        """The value of a "did you mean" button: `<question id>:<item id>`."""
        question_id, _, item_id = self.value.partition(":")
        return (
            int(_RowValue.model_validate({"id": question_id}).id),
            int(_RowValue.model_validate({"id": item_id}).id),
        )

    def answer(self) -> tuple[int, Verdict]:
        """The value of an answer button: `<escalation id>:<verdict>`."""
        escalation_id, _, verdict = self.value.partition(":")
        parsed = _AnswerValue.model_validate({"escalation_id": escalation_id, "verdict": verdict})
        return int(parsed.escalation_id), parsed.verdict


class _Option(_Part):
    value: Text


class FormElement(_Part):
    """One input of a submitted form: typed text, a picked date or a picked option."""

    value: Text | None = None
    selected_date: Annotated[str, Field(max_length=10)] | None = None
    selected_option: _Option | None = None

    def text(self) -> str | None:
        if self.selected_option is not None:
            return self.selected_option.value
        return self.selected_date or self.value


class _ViewState(_Part):
    values: dict[str, dict[str, FormElement]]


DetailText = Annotated[str, Field(max_length=400)]  # bot.escalations.messages.DETAIL_CHARS
_DETAIL_FIELDS = ("cost", "scope", "schedule", "services_note", "marketing_note")


class AnswerFormState(_Part):
    """What the answer form carries in its private_metadata: which escalation it answers,
    the verdict its button chose, and the details saved from the pushed view."""

    escalation: int = Field(ge=1, le=2**63 - 1)
    verdict: Verdict = Verdict.committed
    details: dict[str, DetailText] = Field(default_factory=dict)

    @classmethod
    def read(cls, metadata: str) -> AnswerFormState:
        if metadata.isdigit() and len(metadata) <= 18:  # a form opened before details existed
            return cls(escalation=int(metadata))
        state = cls.model_validate_json(metadata)
        if set(state.details) - set(_DETAIL_FIELDS):
            raise MalformedRequest("the answer form carries details it never had")
        return state


class AnswerSubmission(_Part):
    """The answer modal as submitted: which escalation it answers, and the form's state."""

    id: SlackId
    hash: str | None = None  # with the id: the same submission sent again is one answer
    private_metadata: Annotated[str, Field(max_length=3000)]
    state: _ViewState

    def form(self) -> AnswerFormState:
        return AnswerFormState.read(self.private_metadata)


class DetailsSubmission(_Part):
    """The pushed details view as submitted: its answer form, and the notes typed."""

    id: SlackId
    private_metadata: Annotated[str, Field(max_length=300)]
    state: _ViewState

    def parent(self) -> tuple[int, str, Verdict]:
        """(escalation id, the answer form's view id, the verdict the form opened with)."""
        meta = _DetailsMeta.model_validate_json(self.private_metadata)
        return meta.escalation, meta.parent, meta.verdict

    def details(self) -> dict[str, str]:
        found = {
            field: (self.state.values.get(field, {}).get(field, FormElement()).text() or "")
            for field in _DETAIL_FIELDS
        }
        return {field: value.strip()[:400] for field, value in found.items() if value.strip()}


class _DetailsMeta(_Part):
    escalation: int = Field(ge=1, le=2**63 - 1)
    parent: SlackId
    verdict: Verdict = Verdict.committed


class _OpenView(_Part):
    id: SlackId
    private_metadata: Annotated[str, Field(max_length=3000)]

    def form(self) -> AnswerFormState:
        return AnswerFormState.read(self.private_metadata)


class DetailsClick(_Part):
    """A click on "Add details" inside the answer form: the form it was in."""

    user: _Named
    trigger_id: str = Field(min_length=1, max_length=200)
    view: _OpenView


class Submitter(_Part):
    user: _Named
