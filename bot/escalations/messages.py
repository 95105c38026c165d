"""What a PM reads and fills in: the escalation post, its answer buttons and the answer form."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import StrEnum

from bot.core.text import escape
from bot.core.truth import DEAL, ITEM
from bot.core.verdicts import PM_VERDICTS, Verdict, format_date
from bot.roadmap.facts import PMAnswerFacts
from bot.slack.blocks import (
    ActionId,
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Message,
    ModalId,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    View,
    context_block,
    section_block,
)
from bot.slack.wording import deal_line, quote, user, when


class AnswerField(StrEnum):
    verdict = "verdict"
    date = "date"
    note = "note"
    cost = "cost"
    scope = "scope"
    schedule = "schedule"
    valid_days = "valid_days"
    services_note = "services_note"
    marketing_note = "marketing_note"
    item_key = "item_key"
    applies_to = "applies_to"


# ----------------------------------------------------------------- escalations (PM side)


def escalation_blocks(
    *,
    escalation_id: int,
    question_text: str,
    asker_id: str,
    channel_id: str,
    customer: str | None,
    deal_value: Decimal | None,
    needed_by: dt.date | None,
    due_at: dt.datetime,
    owner_id: str | None,
    reason: str,
    candidates: list[tuple[str, str, float]],
    tz,
    answered: str | None = None,
    reps_waiting: int = 1,
    deals_total: str = "",  # money_total of every waiting rep's deal
    deal_currency: str | None = None,
    overdue: bool = False,
    turned_down: tuple[str, str] | None = None,  # (key, title) the rep said they did not mean
    earliest_needed: dt.date | None = None,  # of every waiting rep's dates
) -> Message:
    reason_text = {
        "unknown": "I could not match this to the roadmap.",
        "not_committed": "The item is not committed, so I could not give a date.",
        "exception": "The rep asks for an exception: the safe date is after the date they need.",
    }.get(reason, "")
    blocks: list[Block] = [
        section_block(
            f":incoming_envelope: *Can we promise this?* {user(owner_id)}, a rep needs an answer.\n"
            f"> {quote(question_text, 1500)}"
        ),
        context_block(
            f"Asked by {user(asker_id)} in <#{channel_id}>",
            deal_line(customer, deal_value, needed_by, deal_currency)
            or "no customer or date given",
        ),
    ]
    if reps_waiting > 1:  # kept up to date as reps join (a chat.update of this post)
        waiting = [f":busy_speech_bubble: *{reps_waiting} reps waiting*"]
        if deals_total:
            waiting.append(f"{deals_total} in deals")
        if earliest_needed is not None:
            waiting.append(f"earliest needed {format_date(earliest_needed)}")
        blocks.append(section_block(" · ".join(waiting)))
    if answered is None and overdue:
        blocks.append(
            section_block(f":rotating_light: *Overdue*: the answer was due {when(due_at, tz)}.")
        )
    elif answered is None:
        blocks.append(section_block(f"Answer due by *{when(due_at, tz)}*"))
    if answered:  # once answered, what the bot found no longer matters
        blocks.append(section_block(f":white_check_mark: {answered}"))
    else:
        found = "\n".join(
            f"• {escape(key)} {escape(title)}: {score:.0%}" for key, title, score in candidates
        )
        blocks.append(section_block(f"{reason_text}\n*What I found:*\n{found or 'nothing close'}"))
        if turned_down is not None:  # so the PM does not answer with it ("Not what I meant")
            key, title = turned_down
            blocks.append(
                context_block(
                    f"{user(asker_id)} said it is not about {escape(key)} {escape(title)}, "
                    "which I had answered with."
                )
            )
        blocks.append(
            context_block(
                "Answer with a button, or reply in this thread starting with a verdict: "
                "`yes, April 1`, `not by then: Mar 1 is the earliest`, `not committed yet`, "
                "`no - we won't build it`."
            )
        )
        blocks.append(answer_buttons(escalation_id))
    text = f"Can we promise this? {escape(question_text[:200])}"
    return Message(text=text, blocks=blocks)


# what a PM picks, worded the same on the thread's buttons and in the form
ANSWER_LABELS = {
    Verdict.committed: "Yes, by a date",
    Verdict.not_by_then: "Not by then",
    Verdict.not_committed: "Not committed",
    Verdict.no: "No",
}
# the notes one step away from the form, for services and marketing (and their lengths:
# they travel in the form's private_metadata, 3,000 characters in all)
DETAIL_FIELDS = {
    AnswerField.cost: ("cost_note", "Cost", "e.g. 40 engineer-days, or $30k of contractor time"),
    AnswerField.scope: ("scope_note", "Scope", "e.g. SP-initiated SAML only; no SCIM"),
    AnswerField.schedule: ("schedule_note", "Schedule", "e.g. after the Q1 code freeze"),
    AnswerField.services_note: (
        "services_note",
        "For services",
        "e.g. each tenant configures its own Okta app",
    ),
    AnswerField.marketing_note: (
        "marketing_note",
        "For marketing",
        "e.g. may say: Okta single sign-on is coming in 2027",
    ),
}
DETAIL_CHARS = 400


def answer_buttons(escalation_id: int) -> ActionsBlock:
    labels = ANSWER_LABELS
    return ActionsBlock(
        block_id=f"answer:{escalation_id}",
        elements=[
            ButtonElement(
                text=labels[verdict],
                action_id=f"{ActionId.answer}:{verdict}",
                value=f"{escalation_id}:{verdict}",
                style="primary" if verdict == Verdict.committed else None,
            )
            for verdict in PM_VERDICTS
        ],
    )


def answer_modal(
    *,
    escalation_id: int,
    question_text: str,
    verdict: Verdict,
    items: list[tuple[str, str]],
    item_key: str | None,
    scope: str,
    customer: str | None,
    reps_waiting: int = 1,
    details: dict[str, str] | None = None,
    current: PMAnswerFacts | None = None,
    tz=None,
) -> View:
    """The PM's answer form: five inputs at most (verdict, date, message to the rep, who it
    applies to, the item); cost, scope, schedule and the notes for services and marketing
    sit one step away, in a pushed view (`details_modal`), and ride back in this view's
    private_metadata. `items` are the (key, title) pairs this PM may attach the answer to;
    `current` is the answer this one will replace, filled in."""
    options = [Option(value=v.value, label=ANSWER_LABELS[v]) for v in PM_VERDICTS]
    initial = next(o for o in options if o.value == verdict.value)  # the button clicked
    details = details if details is not None else answer_details(current)

    blocks: list[Block] = [section_block(f"> {quote(question_text, 1500)}")]
    if current is not None:
        on = format_date(current.answered_at.astimezone(tz).date()) if tz else ""
        blocks.append(
            section_block(
                f":warning: Already answered by {user(current.answered_by)}"
                f"{', ' + on if on else ''}: {current.describe()}. Sending this form "
                "*replaces* that answer, and the waiting reps are told what changed."
            )
        )
    blocks += [
        InputBlock(
            block_id=AnswerField.verdict,
            label="Your answer",
            element=StaticSelectElement(
                action_id=AnswerField.verdict, options=options, initial_option=initial
            ),
        ),
        InputBlock(
            block_id=AnswerField.date,
            label="Date it can be promised from",
            hint="Needed for “Yes, by a date” and “Not by then”; leave it empty otherwise.",
            optional=True,
            element=DatePickerElement(
                action_id=AnswerField.date,
                placeholder="Pick the earliest safe date",
                initial_date=current.promise_date.isoformat()
                if current and current.promise_date
                else None,
            ),
        ),
        InputBlock(
            block_id=AnswerField.note,
            label="Message to the rep",
            hint="Every waiting rep reads this as your words.",
            optional=True,
            element=PlainTextInputElement(
                action_id=AnswerField.note,
                multiline=True,
                max_length=2000,
                placeholder="e.g. Yes for Okta; Azure AD follows in Q3.",
                initial_value=(current.note if current else None) or None,
            ),
        ),
        scope_input(scope, customer),
    ]
    if items:
        blocks.append(item_input(items, item_key))
    added = [DETAIL_FIELDS[f][1].lower() for f in DETAIL_FIELDS if details.get(f)]
    blocks.append(
        SectionBlock(
            block_id="details",
            text=MarkdownTextObject(
                text=f"Details added: {', '.join(added)}."
                if added
                else "Cost, scope, schedule, and notes for services and marketing: optional."
            ),
            accessory=ButtonElement(
                text="Edit details" if added else "Add details for services and marketing",
                action_id=ActionId.answer_details,
                value=str(escalation_id),
            ),
        )
    )
    reps = f"{reps_waiting} waiting rep{'s' if reps_waiting != 1 else ''}"
    about = f"about {escape(item_key)}" if item_key else "worded like this one"
    blocks.append(
        context_block(
            f":outbox_tray: On submit: sent to {reps}; reused for later questions {about} "
            "until the item changes."
        )
    )
    return View(
        type="modal",
        callback_id=ModalId.answer,
        private_metadata=answer_form_metadata(escalation_id, verdict, details),
        title=PlainTextObject(text="Answer the rep"),
        submit=PlainTextObject(text="Replace answer" if current else "Send answer"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )


def answer_details(answer: PMAnswerFacts | None) -> dict[str, str]:
    """The details of an answer, by form field (empty ones left out)."""
    if answer is None:
        return {}
    found = {field: getattr(answer, name) for field, (name, _, _) in DETAIL_FIELDS.items()}
    return {field: value[:DETAIL_CHARS] for field, value in found.items() if value}


def answer_form_metadata(escalation_id: int, verdict: Verdict, details: dict[str, str]) -> str:
    return json.dumps({"escalation": escalation_id, "verdict": verdict.value, "details": details})


def details_modal(
    *, escalation_id: int, parent_view_id: str, verdict: Verdict, details: dict[str, str]
) -> View:
    """One step away from the answer form: what services and marketing need to know."""
    blocks: list[Block] = [
        InputBlock(
            block_id=field,
            label=label,
            optional=True,
            element=PlainTextInputElement(
                action_id=field,
                multiline=field in (AnswerField.services_note, AnswerField.marketing_note),
                max_length=DETAIL_CHARS,
                placeholder=placeholder,
                initial_value=details.get(field) or None,
            ),
        )
        for field, (_, label, placeholder) in DETAIL_FIELDS.items()
    ]
    blocks.append(
        context_block("Saved into the answer form; nothing is sent until you send the answer.")
    )
    return View(
        type="modal",
        callback_id=ModalId.answer_details,
        private_metadata=json.dumps(
            {"escalation": escalation_id, "parent": parent_view_id, "verdict": verdict.value}
        ),
        title=PlainTextObject(text="Details"),
        submit=PlainTextObject(text="Save details"),
        close=PlainTextObject(text="Back"),
        blocks=blocks,
    )


SCOPE_LABELS = {ITEM: "Every deal (a fact about the item)", DEAL: "This deal only (an exception)"}
MAX_OPTIONS = 100  # Slack's limit for a static select


def scope_input(scope: str, customer: str | None) -> InputBlock:
    labels = dict(SCOPE_LABELS)
    if customer:
        labels[DEAL] = f"Only this deal: {customer}"[:75]
    options = [Option(value=value, label=label) for value, label in labels.items()]
    return InputBlock(
        block_id=AnswerField.applies_to,
        label="Applies to",
        element=StaticSelectElement(
            action_id=AnswerField.applies_to,
            options=options,
            initial_option=next(o for o in options if o.value == scope),
        ),
    )


def item_input(items: list[tuple[str, str]], item_key: str | None) -> InputBlock:
    """The roadmap item the answer is about, chosen among the items of the PM's own areas."""
    options = [Option(value=key, label=f"{key} {title}"[:75]) for key, title in items[:MAX_OPTIONS]]
    initial = next((o for o in options if o.value == item_key), None)
    return InputBlock(
        block_id=AnswerField.item_key,
        label="Roadmap item",
        optional=True,
        element=StaticSelectElement(
            action_id=AnswerField.item_key, options=options, initial_option=initial
        ),
    )
