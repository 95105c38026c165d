"""Messages about promises to customers, built from plain facts and worded per audience.

sales hears what to tell the customer and what to do next; services hears the delivery
date and the effort; marketing hears only what may be said in public: for an item that
is not public, no date of any kind (promised, expected, or target).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from bot.core.text import escape
from bot.core.verdicts import SafeDate, format_date
from bot.roadmap.facts import ItemFacts
from bot.slack.blocks import (
    MAX_BLOCKS,
    ActionId,
    ActionsBlock,
    Block,
    ButtonElement,
    Message,
    context_block,
    section_block,
)
from bot.slack.wording import STATUS_WORDS, item_link, money, quote, user

# what can put a promise at risk; "late" carries the new date: "late:2027-04-20"
DECLINED = "declined"
UNCOMMITTED = "uncommitted"
LATE = "late"


@dataclass(frozen=True)
class Outlook:
    """Where an item stands now, for the promises made on it."""

    state: str  # shipped | declined | uncommitted | dated
    status: str  # the item's status
    date: dt.date | None = None  # when it can be expected: the PM's date, or safe date / target
    safe: SafeDate | None = None  # the forecast, when no PM answer gives the date
    target: dt.date | None = None  # the team's target, when it is what sets `date`
    answer_id: int | None = None  # the PM answer that sets the date or the verdict
    answered_by: str | None = None
    answered_on: dt.date | None = None

    def driver(self, today: dt.date) -> str:
        """What the date rests on, in words."""
        if self.answered_by:
            on = f" on {format_date(self.answered_on, today)}" if self.answered_on else ""
            return f"{user(self.answered_by)}'s answer{on}"
        if self.target is not None and self.safe is not None:
            return f"the team's target release; forecast: {escape(self.safe.describe())}"
        if self.safe is not None:
            return escape(self.safe.describe())
        return ""


@dataclass(frozen=True)
class PromiseFacts:
    promise_id: int
    question_id: int
    customer: str
    deal_value: Decimal | None
    deal_currency: str | None
    promised_date: dt.date | None
    rep_id: str
    item: ItemFacts


def risk_kind(risk: str | None) -> str | None:
    return risk.split(":", 1)[0] if risk else None


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "")


def _public(item: ItemFacts) -> str:
    """What marketing may say about an item."""
    if not item.public:
        return f"*{escape(item.title)}* is not public: not announceable"
    status = STATUS_WORDS.get(item.status, item.status)
    if item.status == "shipped":
        return f"*{escape(item.title)}* is available: announceable"
    if item.status == "declined":
        return f"*{escape(item.title)}* is not planned: not announceable"
    target = f", publicly targeted for {format_date(item.target_date)}" if item.target_date else ""
    return f"*{escape(item.title)}* is {status} on the public roadmap{target}"


def _estimate(item: ItemFacts) -> str:
    if not item.estimate_days:
        return "no estimate"
    optimistic, likely, pessimistic = item.estimate_days
    low = optimistic if optimistic is not None else likely
    high = pessimistic if pessimistic is not None else likely
    return f"{likely:g} working days remaining (range {low:g}–{high:g})"


def _deal(promise: PromiseFacts, today: dt.date) -> str:
    parts = [f"customer *{quote(promise.customer, 100)}*"]
    if promise.deal_value is not None:
        parts.append(f"deal {money(promise.deal_value, promise.deal_currency)}")
    if promise.promised_date is not None:
        parts.append(f"promised by {format_date(promise.promised_date, today)}")
    return " · ".join(parts)


def _dropped(kind: str | None, item: ItemFacts, outlook: Outlook) -> str:
    """Why the item no longer holds, after its title: "was declined", "is no longer ..."."""
    pm = user(outlook.answered_by) if outlook.answered_by else None
    if kind == DECLINED:
        return f"will not be built ({pm} answered no)" if pm else "was declined"
    if pm:
        return f"is no longer committed ({pm} answered “not committed”)"
    return f"is no longer committed (now {STATUS_WORDS.get(item.status, item.status)})"


def _on(day: dt.date | None, today: dt.date) -> str:
    return format_date(day, today) if day else "no date"


# ----------------------------------------------------------------- marking a promise


def promise_recorded(
    promise: PromiseFacts, outlook: Outlook, risk: str | None, today: dt.date
) -> Message:
    """The rep's confirmation, in the channel where they clicked (always a sales answer)."""
    customer = quote(promise.customer, 100)
    title = item_link(promise.item)
    if outlook.state == "shipped":
        text = (
            f":white_check_mark: Recorded: you told *{customer}* that {title} is available "
            "today. It is live, so there is nothing to watch."
        )
        return Message(text=_plain(text), blocks=[section_block(text)])
    promised = format_date(promise.promised_date, today) if promise.promised_date else "no date"
    text = f":handshake: Recorded: you promised *{customer}* {title} by *{promised}*."
    details = [f"Expected by {_on(outlook.date, today)}: {outlook.driver(today)}"]
    if risk_kind(risk) == LATE:
        details.append(
            f":warning: That is already after the date you promised: tell {customer} "
            "the later date, or ask the PM for an exception."
        )
    details.append(
        f"I will DM you if it slips past {promised} or is dropped, and when it ships. "
        "`/canwe promises` lists your promises."
    )
    blocks: list[Block] = [
        section_block(text),
        context_block(_deal(promise, today)),
        section_block("\n".join(details)),
    ]
    return Message(text=_plain(text), blocks=blocks)


def already_recorded(promise: PromiseFacts, by_you: bool, today: dt.date) -> Message:
    who = "You" if by_you else user(promise.rep_id)
    promised = f" by {format_date(promise.promised_date, today)}" if promise.promised_date else ""
    text = (
        f":information_source: {who} already marked this as promised to "
        f"*{quote(promise.customer, 100)}*{promised}: one promise is kept, nothing changed."
    )
    return Message(text=_plain(text), blocks=[section_block(text)])


# ----------------------------------------------------------------- /canwe promises


def _row(
    promise: PromiseFacts, outlook: Outlook, risk: str | None, audience: str, today: dt.date
) -> str:
    item = promise.item
    kind = risk_kind(risk)
    flag = ":warning: *at risk*" if kind else ":large_green_circle: on track"
    head = f"*{quote(promise.customer, 100)}* · {item_link(item)}"
    if audience == "marketing":
        # what may be said in public only: no promised, expected or internal dates
        return f"{flag} · {head}\n{_public(item)}"
    promised = _on(promise.promised_date, today)
    line = f"{flag} · {head} · promised by *{promised}*"
    if promise.deal_value is not None:
        line += f" · {money(promise.deal_value, promise.deal_currency)}"
    now: list[str] = []
    if outlook.answered_by:
        now.append(f"PM date {_on(outlook.date, today)} ({outlook.driver(today)})")
    elif outlook.safe is not None:
        now.append(f"safe date now {escape(outlook.safe.describe())}")
    if outlook.target is not None:
        now.append(f"team target {format_date(outlook.target, today)}")
    if audience == "services":
        now.append(f"effort {_estimate(item)}")
    if kind == DECLINED:
        now.append(_dropped(kind, item, outlook).replace("was declined", "declined"))
    elif kind == UNCOMMITTED:
        now.append(_dropped(kind, item, outlook).removeprefix("is "))
    elif kind == LATE:
        now.append(f"expected after your promise, by {_on(outlook.date, today)}")
    text = line + "\n" + " · ".join(now)
    if audience == "sales" and kind:
        step = {
            DECLINED: "tell the customer it is not planned",
            UNCOMMITTED: f"do not confirm the date again; ask {user(item.owner_id)}",
            LATE: f"tell the customer and offer {_on(outlook.date, today)}, "
            f"or ask {user(item.owner_id)} for an exception",
        }[kind]
        text += f"\nNext: {step}."
    return text


def promise_list(
    rows: list[tuple[PromiseFacts, Outlook, str | None]], audience: str, today: dt.date
) -> Message:
    if not rows:
        text = (
            "You have no open promises. Click “Promised to the customer” on an answer "
            "to have it watched here."
        )
        return Message(text=text, blocks=[section_block(text)])
    at_risk = sum(1 for _, _, risk in rows if risk)
    head = f"*Your open promises: {len(rows)}*" + (f", *{at_risk} at risk*" if at_risk else "")
    blocks: list[Block] = [section_block(head)]
    shown = rows[: MAX_BLOCKS - 2]
    blocks.extend(section_block(_row(p, o, r, audience, today)) for p, o, r in shown)
    if len(rows) > len(shown):
        blocks.append(context_block(f"… and {len(rows) - len(shown)} more."))
    return Message(text=_plain(head), blocks=blocks)


# ----------------------------------------------------------------- slip alerts


def risk_alert(
    promise: PromiseFacts,
    outlook: Outlook,
    risk: str,
    old_date: dt.date | None,
    audience: str,
    today: dt.date,
) -> Message:
    """A DM to the rep: the promise is at risk, with old and new dates (not for marketing,
    unless the item is public, and then only its public status)."""
    item = promise.item
    kind = risk_kind(risk)
    customer = quote(promise.customer, 100)
    pm = user(item.owner_id)
    title = item_link(item)
    promised = _on(promise.promised_date, today)
    old, new = _on(old_date, today), _on(outlook.date, today)
    blocks: list[Block]
    if audience == "marketing":
        what = {
            DECLINED: "was dropped from the roadmap",
            UNCOMMITTED: "is no longer committed",
            LATE: "is now expected later than promised",
        }[kind]
        text = f":warning: Your promise to *{customer}* may not hold: {title} {what}."
        blocks = [
            section_block(text),
            section_block(
                f"{_public(item)}. Say nothing new in public; ask {pm} what may be said."
            ),
        ]
        return Message(text=_plain(text), blocks=blocks)

    if audience == "services":
        if kind == DECLINED:
            text = f":red_circle: {title} {_dropped(kind, item, outlook)}: the work for *{customer}* (due {promised}) will not be done."
        elif kind == UNCOMMITTED:
            text = f":large_orange_circle: {title} {_dropped(kind, item, outlook)}: the work for *{customer}* (due {promised}) has no delivery date."
        else:
            text = f":warning: Schedule change on the work for *{customer}*: {title}, due {promised}, is now expected by *{new}* (was {old})."
        details = [f"Effort: {_estimate(item)}"]
        if outlook.date and kind == LATE:
            details.append(f"Expected delivery: {new}, {outlook.driver(today)}")
        if item.target_date:
            details.append(f"Target release: {format_date(item.target_date, today)}")
        details.append(f"Owner: {pm}")
        blocks = [section_block(text), section_block("\n".join(details))]
        return Message(text=_plain(text), blocks=blocks)

    if kind == DECLINED:
        text = f":red_circle: *Your promise to {customer} cannot be kept:* {title} {_dropped(kind, item, outlook)}."
        facts = f"You promised it by *{promised}*; it was expected by {old}."
        step = f"Next: tell {customer} it is not planned, before the date; ask {pm} about alternatives."
    elif kind == UNCOMMITTED:
        text = f":large_orange_circle: *Your promise to {customer} is at risk:* {title} {_dropped(kind, item, outlook)}."
        facts = f"You promised it by *{promised}*; it was expected by {old}, and now there is no date to promise."
        step = f"Next: do not confirm the date again; ask {pm} where it stands."
    else:
        text = f":warning: *Your promise to {customer} is at risk:* {title} slipped past the date you promised."
        facts = (
            f"You promised it by *{promised}*. It was expected by {old}; now by *{new}*.\n"
            f"Now resting on: {outlook.driver(today)}"
        )
        step = f"Next: tell {customer} now and offer {new}, or ask {pm} for an exception."
    blocks = [section_block(text), section_block(facts), context_block(_deal(promise, today), step)]
    if kind == LATE:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Ask the PM for an exception",
                        action_id=ActionId.ask_exception,
                        value=str(promise.question_id),
                    )
                ]
            )
        )
    return Message(text=_plain(text), blocks=blocks)


def pm_risk_line(
    promise: PromiseFacts, outlook: Outlook, risk: str, old_date: dt.date | None, today: dt.date
) -> Message:
    """One line in the area's PM channel (internal: the full dates)."""
    item = promise.item
    kind = risk_kind(risk)
    who = f"{user(promise.rep_id)} promised *{quote(promise.customer, 100)}*"
    if promise.deal_value is not None:
        who += f" ({money(promise.deal_value, promise.deal_currency)})"
    who += f" {escape(item.key)} by {_on(promise.promised_date, today)}"
    if kind in (DECLINED, UNCOMMITTED):
        change = f"{item_link(item)} {_dropped(kind, item, outlook)}"
    else:
        change = (
            f"{item_link(item)} moved from {_on(old_date, today)} to "
            f"*{_on(outlook.date, today)}* — {outlook.driver(today)}"
        )
    status = "Promise cannot be kept" if kind == DECLINED else "Promise at risk"
    text = f"{user(item.owner_id)} :warning: {status}: {who}. {change}."
    return Message(text=_plain(text), blocks=[section_block(text)])


def back_on_track(
    promise: PromiseFacts, outlook: Outlook, old_date: dt.date | None, audience: str, today: dt.date
) -> Message:
    item = promise.item
    customer = quote(promise.customer, 100)
    if audience == "marketing":
        text = f":white_check_mark: Your promise to *{customer}* holds again: {_public(item)}."
    else:
        text = (
            f":white_check_mark: *Back on track:* {item_link(item)} is expected by "
            f"*{_on(outlook.date, today)}* ({outlook.driver(today)}), within the "
            f"{_on(promise.promised_date, today)} you promised *{customer}*."
        )
    return Message(text=_plain(text), blocks=[section_block(text)])


def promise_kept(promise: PromiseFacts, audience: str, today: dt.date) -> Message:
    """The item shipped: the promise is closed and the rep may tell the customer."""
    item = promise.item
    customer = quote(promise.customer, 100)
    text = f":tada: *{escape(item.title)} is live:* you can tell {customer} it is live."
    if audience == "marketing":
        extra = f"{_public(item)}."
    elif audience == "services":
        extra = (
            f"{item_link(item)} shipped: the work for *{customer}* is delivered; plan the rollout."
        )
    else:
        extra = f"{item_link(item)} shipped. Your promise to *{customer}* is kept and closed."
        if promise.promised_date:
            extra += f" (You promised it by {format_date(promise.promised_date, today)}.)"
    return Message(text=_plain(text), blocks=[section_block(text), section_block(extra)])
