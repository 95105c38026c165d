"""Words every feature shares in its messages: a user, a moment, money, an item, a deal.

User text is escaped (bot.core.text) so it cannot ping or link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.core.text import escape
from bot.core.verdicts import Verdict, format_date

if TYPE_CHECKING:
    from bot.roadmap.facts import ItemFacts


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


def quote(text: str, limit: int = 300) -> str:
    """User text, escaped and shortened, with mrkdwn markers made inert."""
    short = escape(text if len(text) <= limit else text[: limit - 1] + "…")
    # a zero-width space after each marker stops * _ ~ ` from formatting what the user typed
    for marker in "*_~`":
        short = short.replace(marker, marker + "\u200b")
    return short


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
