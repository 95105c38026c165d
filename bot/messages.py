"""Every message the bot sends, built as Block Kit from plain facts, worded per audience.

Blocks come from `slack_sdk.models.blocks`, which checks Slack's limits when serialised.
Text anyone typed (questions, notes, roadmap text) is escaped so it cannot ping or link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.facts import AnswerFacts, ItemFacts, PMAnswerFacts
from bot.parsing import MAX_QUESTION_CHARS
from bot.slack_text import escape  # noqa: F401  (the one escaping helper, used via here too)
from bot.verdicts import PM_VERDICTS, VERDICT_LABELS, Verdict, format_date

SECTION_LIMIT = 3000
MAX_BLOCKS = 50


class ActionId(StrEnum):
    answer = "answer"  # value: "<escalation id>:<verdict>"
    ask_exception = "ask_exception"  # value: question id
    mark_promised = "mark_promised"  # value: question id


class ModalId(StrEnum):
    answer = "answer_modal"


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


VERDICT_EMOJI = {
    Verdict.available: ":white_check_mark:",
    Verdict.committed: ":large_green_circle:",
    Verdict.not_by_then: ":large_orange_circle:",
    Verdict.not_committed: ":white_circle:",
    Verdict.no: ":red_circle:",
    Verdict.unknown: ":grey_question:",
}

STATUS_WORDS = {
    "shipped": "shipped",
    "in_progress": "in progress",
    "committed": "committed",
    "planned": "planned",
    "exploring": "exploring",
    "declined": "declined",
}


@dataclass(frozen=True)
class Message:
    text: str  # the plain-text fallback (notifications, screen readers, the CLI)
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        if len(self.blocks) > MAX_BLOCKS:
            raise ValueError(f"{len(self.blocks)} blocks: Slack allows {MAX_BLOCKS}")
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def quote(text: str, limit: int = 300) -> str:
    """User text, escaped and shortened, with mrkdwn markers made inert."""
    short = escape(text if len(text) <= limit else text[: limit - 1] + "…")
    # a zero-width space after each marker stops * _ ~ ` from formatting what the user typed
    for marker in "*_~`":
        short = short.replace(marker, marker + "\u200b")
    return short


def section_block(text: str) -> SectionBlock:
    """A mrkdwn section, cut to Slack's limit."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text))


def context_block(*parts: str) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=part[:SECTION_LIMIT]) for part in parts if part]
    )


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "no owner set"


def when(moment: dt.datetime, tz) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%a %b %-d, %H:%M %Z")


def item_link(item: ItemFacts) -> str:
    title = escape(item.title)
    label = f"{escape(item.key)} {title}"
    return f"<{item.url}|{label}>" if item.url and item.url.startswith("https://") else label


def deal_line(customer: str | None, deal_value: Decimal | None, needed_by: dt.date | None) -> str:
    parts = []
    if customer:
        parts.append(f"customer *{quote(customer, 100)}*")
    if deal_value is not None:
        parts.append(f"deal {money(deal_value)}")
    if needed_by is not None:
        parts.append(f"needed by {format_date(needed_by)}")
    return " · ".join(parts)


# ----------------------------------------------------------------- usage and errors


USAGE_EXAMPLES = [
    "/canwe SSO with Okta for Acme by March 15",
    "/canwe audit log export for Globex by Q2, $120k deal",
    "/canwe does the API support SCIM provisioning?",
]


def usage_message(reason: str | None = None) -> Message:
    lines = [
        "*Ask me whether a feature can be promised to a customer, and by when.*",
        "Write the feature, and if you like the customer (`for Acme`), the date you need it by "
        "(`by March 15`, `by Q2`, `by 2027-03-15`) and the deal value (`$120k`).",
        "Examples:\n" + "\n".join(f"• `{example}`" for example in USAGE_EXAMPLES),
        "Other commands: `/canwe audience` shows this channel's audience; "
        "`/canwe audience sales|services|marketing` sets it (admins); "
        "`/canwe promises` lists what you promised customers.",
    ]
    blocks: list[Block] = []
    if reason:
        blocks.append(section_block(f":information_source: {reason}"))
    blocks.extend(section_block(line) for line in lines)
    text = (reason + " " if reason else "") + "Ask: /canwe FEATURE for CUSTOMER by DATE"
    return Message(text=text, blocks=blocks)


def did_you_mean_command_message(typed: str, suggestion: str) -> Message:
    """A single word close to a subcommand: suggest it instead of asking a PM about it."""
    line = (
        f"Did you mean `/canwe {suggestion}`? I don't know a command "
        f"`{escape(typed)}`, and one word is not enough to ask a PM about."
    )
    return usage_message(line)


def what_feature_message() -> Message:
    """Text with no feature in it ("hi", "test", "can we promise this?")."""
    return usage_message(
        "Which feature do you mean? Tell me what the customer wants, for example "
        "`/canwe SSO with Okta for Acme by March 15`. I have not asked anyone yet."
    )


def several_features_message(titles: list[str]) -> Message:
    """One question naming several roadmap items: each needs an answer of its own."""
    named = "\n".join(f"• {escape(title)}" for title in titles)
    return Message(
        text=f"That question names {len(titles)} features: ask about one at a time.",
        blocks=[
            section_block(
                f":scissors: That question names {len(titles)} features, and each has its own "
                f"answer:\n{named}\nAsk about one at a time (same customer, date and deal), "
                "so nothing is promised by mistake. I have not asked anyone yet."
            )
        ],
    )


def too_long_message(length: int) -> Message:
    return usage_message(
        f"Your question is {length:,} characters long; I read at most "
        f"{MAX_QUESTION_CHARS:,}, and what was cut off could change the answer. Ask about one "
        "feature in a sentence or two. I have not asked anyone yet."
    )


def error_message(text: str) -> Message:
    return Message(text=text, blocks=[section_block(f":warning: {escape(text)}")])


# ----------------------------------------------------------------- answers to reps


def _headline(facts: AnswerFacts, audience: str) -> str:
    verdict = facts.verdict
    item = facts.item
    title = f"*{escape(item.title)}*" if item else "this"
    safe = (
        facts.pm_answer.promise_date
        if facts.pm_answer and facts.pm_answer.promise_date
        else (facts.safe.date if facts.safe else None)
    )
    if audience == "marketing":
        if item is None:
            return "This is not on the roadmap: say nothing about it."
        if not item.public:
            return f"{title} is not public: say nothing about it yet."
        if verdict == Verdict.available:
            return f"{title} is available today."
        if verdict == Verdict.no:
            return f"{title} is not planned."
        public_date = (
            f", publicly targeted for {format_date(item.target_date)}" if item.target_date else ""
        )
        return f"{title} is {STATUS_WORDS.get(item.status, item.status)}{public_date}."
    if verdict == Verdict.available:
        return f"Yes: {title} is available today."
    if verdict == Verdict.committed:
        if safe:
            return f"Yes, you can promise {title} by *{format_date(safe)}*."
        return f"Yes, {title} is committed."
    if verdict == Verdict.not_by_then:
        needed = format_date(facts.needed_by) if facts.needed_by else "then"
        earliest = f" The earliest safe date is *{format_date(safe)}*." if safe else ""
        return f"Not by {needed}: do not promise {title} for that date.{earliest}"
    if verdict == Verdict.not_committed:
        status = STATUS_WORDS.get(item.status, item.status) if item else "not committed"
        return f"Nothing to promise yet: {title} is {status}, not committed. Do not promise it."
    if verdict == Verdict.no:
        return f"No: {title} will not be built. Do not promise it."
    return "I could not find this on the roadmap. Do not promise anything yet."


def _next_step(facts: AnswerFacts) -> str:
    if facts.escalation:
        where = "send it to you in a DM" if facts.reply_by_dm else "bring it here"
        return f"Next: wait for the PM's answer; I will {where}."
    return {
        Verdict.available: "Next: you can tell the customer it exists today.",
        Verdict.committed: "Next: promise the safe date, not an earlier one, and mark it promised.",
        Verdict.not_by_then: "Next: offer the safe date, or ask the PM for an exception.",
        Verdict.not_committed: "Next: do not promise it yet.",
        Verdict.no: "Next: tell the customer it is not planned.",
        Verdict.unknown: "Next: do not promise anything yet.",
    }[facts.verdict]


def _estimate_text(item: ItemFacts) -> str:
    if not item.estimate_days:
        return "no estimate yet"
    optimistic, likely, pessimistic = item.estimate_days
    low = optimistic if optimistic is not None else likely
    high = pessimistic if pessimistic is not None else likely
    team = f", team {escape(item.estimate_team)}" if item.estimate_team else ""
    spread = f" (range {low:g}–{high:g})" if low != high else ""
    return f"{likely:g} working days remaining{spread}{team}"


def _pm_notes(answer: PMAnswerFacts, audience: str, item: ItemFacts | None) -> list[str]:
    if audience == "marketing":
        if item is None or not item.public:
            return []
        note = answer.marketing_note
        return [f"Note for marketing: {quote(note, 1000)}"] if note else []
    scope, cost, schedule = (
        ("Scope", answer.scope_note),
        ("Cost", answer.cost_note),
        ("Schedule", answer.schedule_note),
    )
    if audience == "services":  # services reads scope first; sales reads the schedule first
        note, details = answer.services_note or answer.note, (scope, cost, schedule)
    else:
        note, details = answer.note, (schedule, cost, scope)
    lines = [f"Note: {quote(note, 1000)}"] if note else []
    lines += [f"{label}: {quote(value, 800)}" for label, value in details if value]
    return lines


def _label(facts: AnswerFacts, audience: str) -> tuple[str, str]:
    """The verdict's emoji and word; marketing sees no internal verdict for a private item."""
    if audience == "marketing":
        if facts.item is None or not facts.item.public:
            return ":no_entry_sign:", "Not announceable"
        if facts.verdict == Verdict.available:
            return VERDICT_EMOJI[Verdict.available], "Announceable"
        if facts.verdict == Verdict.no:
            return VERDICT_EMOJI[Verdict.no], "Not planned"
        return ":calendar:", "Public roadmap"
    return VERDICT_EMOJI[facts.verdict], VERDICT_LABELS[facts.verdict]


def answer_blocks(facts: AnswerFacts, audience: str, tz) -> list[Block]:
    internal = audience != "marketing" or (facts.item is not None and facts.item.public)
    emoji, label = _label(facts, audience)
    blocks: list[Block] = [section_block(f"{emoji} *{label}* · {_headline(facts, audience)}")]
    asked = [f"You asked: “{quote(facts.question_text)}”"]
    if audience != "marketing":
        deal = deal_line(facts.customer, facts.deal_value, facts.needed_by)
        if deal:
            asked.append(deal)
    blocks.append(context_block(*asked))

    item = facts.item
    if item and internal:
        status = STATUS_WORDS.get(item.status, item.status)
        line = f"{item_link(item)} · {status}"
        if audience != "marketing":
            line += f" · owner {user(item.owner_id)}"
        blocks.append(section_block(line))

    details: list[str] = []
    if (
        audience == "sales"
        and facts.safe
        and facts.verdict in (Verdict.committed, Verdict.not_by_then)
    ):
        details.append(f"Safe promise date: {escape(facts.safe.describe())}")
    if audience == "services" and item:
        if item.status not in ("shipped", "declined"):
            details.append(f"Effort: {_estimate_text(item)}")
        if facts.safe and facts.verdict in (Verdict.committed, Verdict.not_by_then):
            details.append(f"Expected delivery: {escape(facts.safe.describe())}")
        if item.target_date:
            details.append(f"Target release: {format_date(item.target_date)}")
    if facts.pm_answer and internal:
        answer = facts.pm_answer
        confirmed = (
            f"Answered by {user(answer.answered_by)} on {format_date(answer.answered_at.date())}"
        )
        if audience != "marketing":
            if answer.promise_date:
                confirmed += f": {VERDICT_LABELS[answer.verdict].lower()} by {format_date(answer.promise_date)}"
            confirmed += f" (valid until {format_date(answer.valid_until.date())})"
        details.append(confirmed)
        details.extend(_pm_notes(answer, audience, item))
    if details:
        blocks.append(section_block("\n".join(details)))

    if facts.escalation:
        escalation = facts.escalation
        who = user(escalation.owner_id) if escalation.owner_id else "the product team"
        if escalation.joined_existing:
            text = (
                f":busy_speech_bubble: This question is already with {who} in <#{escalation.channel_id}>: "
                f"you are now one of {escalation.watchers} reps waiting."
            )
        else:
            text = f":speech_balloon: I asked {who} in <#{escalation.channel_id}>."
        if audience != "marketing" or internal:
            text += f" The answer is due by {when(escalation.due_at, tz)}."
        blocks.append(section_block(text))

    notes = list(facts.notes)
    if audience == "sales":
        notes.append(_next_step(facts))
        if facts.verdict in (Verdict.committed, Verdict.available) and not facts.customer:
            notes.append("Name the customer (“for Acme”) to be able to mark this promised.")
    if notes:
        blocks.append(context_block(*(escape(note) for note in notes)))

    if facts.others and facts.verdict != Verdict.available and audience != "marketing":
        others = ", ".join(
            f"{escape(c.key)} {escape(c.title)} ({c.score:.0%})" for c in facts.others
        )
        label = "Closest roadmap items, none a sure match" if facts.item is None else "Also close"
        blocks.append(context_block(f"{label}: {others}"))

    actions = []
    if facts.can_ask_exception and audience != "marketing":
        actions.append(
            ButtonElement(
                text="Ask the PM for an exception",
                action_id=ActionId.ask_exception,
                value=str(facts.question_id),
            )
        )
    if (
        facts.verdict in (Verdict.committed, Verdict.available)
        and audience == "sales"
        and facts.customer
    ):
        actions.append(
            ButtonElement(
                text="Promised to the customer",
                action_id=ActionId.mark_promised,
                value=str(facts.question_id),
                style="primary",
            )
        )
    if actions:
        blocks.append(ActionsBlock(elements=actions))
    return blocks


def answer_message(facts: AnswerFacts, audience: str, tz) -> Message:
    blocks = answer_blocks(facts, audience, tz)
    text = f"{_label(facts, audience)[1]}: {_plain(_headline(facts, audience))}"
    return Message(text=text, blocks=blocks)


def relay_message(facts: AnswerFacts, audience: str, tz) -> Message:
    """A PM's answer brought back to a rep who was waiting for it."""
    answer = facts.pm_answer
    header = f":envelope_with_arrow: {user(answer.answered_by)} answered your question"
    internal = audience != "marketing" or (facts.item is not None and facts.item.public)
    header += f" ({format_date(answer.answered_at.date())})." if internal else "."
    message = answer_message(facts, audience, tz)
    return Message(
        text=f"{_plain(header)} {message.text}", blocks=[section_block(header), *message.blocks]
    )


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "")


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
            deal_line(customer, deal_value, needed_by) or "no customer or date given",
            f"Answer due by *{when(due_at, tz)}*",
        ),
    ]
    if answered:  # once answered, what the bot found no longer matters
        blocks.append(section_block(f":white_check_mark: {answered}"))
    else:
        found = "\n".join(
            f"• {escape(key)} {escape(title)}: {score:.0%}" for key, title, score in candidates
        )
        blocks.append(section_block(f"{reason_text}\n*What I found:*\n{found or 'nothing close'}"))
        blocks.append(
            context_block(
                "Answer with a button, or reply in this thread starting with a verdict: "
                "`yes by 2027-04-01 …`, `not by then …`, `not committed …`, `no …`."
            )
        )
        blocks.append(answer_buttons(escalation_id))
    text = f"Can we promise this? {escape(question_text[:200])}"
    return Message(text=text, blocks=blocks)


def answer_buttons(escalation_id: int) -> ActionsBlock:
    labels = {
        Verdict.committed: "Yes, by a date",
        Verdict.not_by_then: "Not by then",
        Verdict.not_committed: "Not committed",
        Verdict.no: "No",
    }
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
    escalation_id: int, verdict: Verdict, question_text: str, valid_days: int, item_key: str | None
) -> View:
    options = [Option(value=v.value, label=VERDICT_LABELS[v]) for v in PM_VERDICTS]
    initial = next(o for o in options if o.value == verdict.value)

    def text_input(
        field: AnswerField,
        label: str,
        multiline: bool = False,
        initial_value: str | None = None,
        optional: bool = True,
    ) -> InputBlock:
        return InputBlock(
            block_id=field,
            label=label,
            optional=optional,
            element=PlainTextInputElement(
                action_id=field, multiline=multiline, initial_value=initial_value, max_length=2000
            ),
        )

    return View(
        type="modal",
        callback_id=ModalId.answer,
        private_metadata=str(escalation_id),
        title=PlainTextObject(text="Answer the rep"),
        submit=PlainTextObject(text="Send answer"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            section_block(f"> {quote(question_text, 1500)}"),
            InputBlock(
                block_id=AnswerField.verdict,
                label="Verdict",
                element=StaticSelectElement(
                    action_id=AnswerField.verdict, options=options, initial_option=initial
                ),
            ),
            InputBlock(
                block_id=AnswerField.date,
                label="Promise date (for yes / not by then)",
                optional=True,
                element=DatePickerElement(action_id=AnswerField.date),
            ),
            text_input(AnswerField.note, "Answer for the rep", multiline=True),
            text_input(AnswerField.cost, "Cost"),
            text_input(AnswerField.scope, "Scope"),
            text_input(AnswerField.schedule, "Schedule"),
            text_input(AnswerField.services_note, "For services", multiline=True),
            text_input(AnswerField.marketing_note, "For marketing", multiline=True),
            text_input(AnswerField.item_key, "Roadmap item key", initial_value=item_key),
            text_input(
                AnswerField.valid_days,
                "Valid for how many days",
                initial_value=str(valid_days),
                optional=False,
            ),
        ],
    )


def plain_text(message: Message) -> str:
    """The message as readable terminal text (for `canwe ask` and `canwe digest --print`)."""
    lines: list[str] = []
    for block in message.blocks:
        data = block.to_dict()
        if data["type"] == "section":
            lines.append(data["text"]["text"])
        elif data["type"] == "context":
            lines.append("  " + " · ".join(e.get("text", "") for e in data["elements"]))
        elif data["type"] == "actions":
            lines.append("  [" + "] [".join(e["text"]["text"] for e in data["elements"]) + "]")
        elif data["type"] == "header":
            lines.append(data["text"]["text"].upper())
        elif data["type"] == "divider":
            lines.append("-" * 40)
    from bot.terminal import readable

    return readable("\n".join(lines))
