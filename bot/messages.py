"""Every message the bot sends, built as Block Kit from plain facts, worded per audience.

Blocks come from `slack_sdk.models.blocks`, which checks Slack's limits when serialised.
Text anyone typed (questions, notes, roadmap text) is escaped so it cannot ping or link.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
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

from bot.core.parsing import MAX_QUESTION_CHARS
from bot.core.text import escape  # noqa: F401  (the one escaping helper, used via here too)
from bot.core.truth import DEAL, ITEM
from bot.core.verdicts import PM_VERDICTS, VERDICT_LABELS, Verdict, format_date
from bot.roadmap.facts import AnswerFacts, ItemFacts, PMAnswerFacts

SECTION_LIMIT = 3000
MAX_BLOCKS = 50


class ActionId(StrEnum):
    answer = "answer"  # value: "<escalation id>:<verdict>"
    ask_exception = "ask_exception"  # value: question id
    mark_promised = "mark_promised"  # value: question id
    why_date = "why_date"  # value: question id
    answer_details = "answer_details"  # in the answer form; value: escalation id


class ModalId(StrEnum):
    answer = "answer_modal"
    answer_details = "answer_details_modal"  # pushed over the answer form


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


CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(value: Decimal | None, currency: str | None = None) -> str:
    """A deal value as a rep writes it, in its own currency ("€80k"; no currency: dollars)."""
    if value is None:
        return ""
    sign = CURRENCY_SIGNS.get(currency or "USD", f"{currency} ")
    if value >= 1_000_000:
        return f"{sign}{value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"{sign}{value / 1_000:.0f}k"
    return f"{sign}{value:.0f}"


def money_total(deals: Iterable[tuple[Decimal | None, str | None]]) -> str:
    """Deal values added up per currency, never across: "$230k", or "€80k + $150k"."""
    totals: dict[str, Decimal] = {}
    for value, currency in deals:
        if value is not None:
            key = currency or "USD"
            totals[key] = totals.get(key, Decimal(0)) + Decimal(value)
    return " + ".join(money(total, currency) for currency, total in sorted(totals.items()))


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "no owner set"


def when(moment: dt.datetime, tz) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%a %b %-d, %H:%M %Z")


def item_link(item: ItemFacts) -> str:
    title = escape(item.title)
    label = f"{escape(item.key)} {title}"
    return f"<{item.url}|{label}>" if item.url and item.url.startswith("https://") else label


def deal_line(
    customer: str | None,
    deal_value: Decimal | None,
    needed_by: dt.date | None,
    currency: str | None = None,
) -> str:
    parts = []
    if customer:
        parts.append(f"customer *{quote(customer, 100)}*")
    if deal_value is not None:
        parts.append(f"deal {money(deal_value, currency)}")
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
    safe = facts.date  # from the one date rule (bot.core.truth): never a second reading
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
        if facts.pm_answer is not None:  # the PM's word, whatever the roadmap status says
            return (
                f"Nothing to promise yet: the PM says {title} is not committed. Do not promise it."
            )
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
    if facts.date_notes:  # a past or unreadable date changes what the line above means
        blocks.append(section_block("\n".join(f":warning: {escape(n)}" for n in facts.date_notes)))
    asked = [f"You asked: “{quote(facts.question_text)}”"]
    if audience != "marketing":
        deal = deal_line(facts.customer, facts.deal_value, facts.needed_by, facts.deal_currency)
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
    # the forecast is shown only when it is what the date rests on: beside a PM's date it
    # would be a second, different answer
    dated_by_forecast = (
        facts.safe
        and facts.pm_answer is None
        and facts.verdict in (Verdict.committed, Verdict.not_by_then)
    )
    if audience == "sales" and dated_by_forecast:
        details.append(f"How sure: {escape(facts.safe.short or facts.safe.describe())}")
    if audience == "services" and item:
        if item.status not in ("shipped", "declined"):
            details.append(f"Effort: {_estimate_text(item)}")
        if dated_by_forecast:
            details.append(f"Expected delivery: {escape(facts.safe.describe())}")
        if item.target_date:
            details.append(f"Target release: {format_date(item.target_date)}")
    if facts.pm_answer and internal:
        answer = facts.pm_answer
        details.append(pm_answer_line(answer, audience, tz, facts.today))
        if audience != "marketing":
            why = overrides_line(facts, tz)
            if why:
                details.append(why)
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

    if audience == "sales":
        step = _next_step(facts)
        if facts.verdict in (Verdict.committed, Verdict.available) and not facts.customer:
            step += " Name the customer (“for Acme”) to be able to mark this promised."
        blocks.append(section_block(f":point_right: {escape(step)}"))
    if facts.notes:
        blocks.append(context_block(*(escape(note) for note in facts.notes)))

    if facts.others and facts.verdict != Verdict.available and audience != "marketing":
        others = ", ".join(
            f"{escape(c.key)} {escape(c.title)}"
            + (f" ({c.score:.0%})" if audience == "services" else "")  # sales: no scores
            for c in facts.others
        )
        label = "Closest roadmap items, none a sure match" if facts.item is None else "Also close"
        blocks.append(context_block(f"{label}: {others}"))

    actions = []
    if audience == "sales" and dated_by_forecast and facts.question_id is not None:
        actions.append(
            ButtonElement(
                text="Why this date?",
                action_id=ActionId.why_date,
                value=str(facts.question_id),
            )
        )
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


def why_date_message(facts: AnswerFacts) -> Message:
    """The reasoning behind a safe date, for whoever asks "Why this date?"."""
    item = facts.item
    lines = []
    if facts.safe is not None:
        lines.append(f"*Safe promise date:* {escape(facts.safe.describe())}")
    if item is not None:
        lines.append(f"*Remaining work:* {_estimate_text(item)}")
        if item.target_date:
            lines.append(f"*Team's target release:* {format_date(item.target_date)}")
    lines.append(
        "The date is the estimate scaled by how this team's past estimates turned out, read "
        "at the confidence shown, and never before the team's own target release."
    )
    return Message(
        text="Why this date: " + _plain(lines[0]), blocks=[section_block("\n".join(lines))]
    )


def answered_on(answer: PMAnswerFacts, tz) -> dt.date:
    return answer.answered_at.astimezone(tz).date()


def pm_answer_line(answer: PMAnswerFacts, audience: str, tz, today: dt.date) -> str:
    """Who answered and when ("<@Priya>, Nov 30") and the fact they gave, never a reuse
    window: how long an answer is reused is ours, not a date for the customer."""
    line = f"Answered by {user(answer.answered_by)}, {format_date(answered_on(answer, tz), today)}"
    if audience == "marketing":
        return line
    line += f": {answer.describe()}"
    if answer.scope == DEAL:
        deal = f" ({quote(answer.customer, 100)})" if answer.customer else ""
        line += f", an exception for this deal only{deal}"
    if answer.replaces is not None:
        earlier = answer.replaces
        on = format_date(answered_on(earlier, tz), today)
        line += f" This updated answer replaces the one of {on}: {earlier.describe(today)}"
    return line + "."


def overrides_line(facts: AnswerFacts, tz) -> str:
    """Where the roadmap and the PM's answer differ, which one wins and why, in one line."""
    answer = facts.pm_answer
    if answer is None or not facts.overrides:
        return ""
    whose = f"{user(answer.answered_by)}'s answer"
    if answer.scope == DEAL:
        return (
            f"{whose} is an exception for this deal: it wins over the roadmap "
            f"({escape(facts.overrides)}) for this customer only."
        )
    return (
        f"{whose} wins over the roadmap ({escape(facts.overrides)}): it was given after "
        "the item last changed, and a change to the item ends it."
    )


def answer_message(facts: AnswerFacts, audience: str, tz) -> Message:
    blocks = answer_blocks(facts, audience, tz)
    text = f"{_label(facts, audience)[1]}: {_plain(_headline(facts, audience))}"
    return Message(text=text, blocks=blocks)


def relay_message(facts: AnswerFacts, audience: str, tz) -> Message:
    """A PM's answer brought back to a rep who was waiting for it."""
    answer = facts.pm_answer
    internal = audience != "marketing" or (facts.item is not None and facts.item.public)
    on = f" ({format_date(answered_on(answer, tz), facts.today)})" if internal else ""
    if facts.updated_from is not None:
        header = (
            f":arrows_counterclockwise: *Updated answer:* {user(answer.answered_by)}{on} "
            "changed the answer to your question; this replaces the earlier one."
        )
        if audience != "marketing":
            header += f"\nWas: {facts.updated_from}. Now: {answer.describe(facts.today)}."
    else:
        header = f":envelope_with_arrow: {user(answer.answered_by)} answered your question{on}."
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
    reps_waiting: int = 1,
    deals_total: str = "",  # money_total of every waiting rep's deal
    deal_currency: str | None = None,
    overdue: bool = False,
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
        if needed_by is not None:
            waiting.append(f"earliest needed {format_date(needed_by)}")
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
    from bot.core.terminal import readable

    return readable("\n".join(lines))
