"""Reading a rep's question: the needed-by date, the customer, the deal value, the feature.

Pure functions, no store and no Slack, so every rule can be tested on its own.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.core.text import without_format_characters

MAX_QUESTION_CHARS = 1000
# a deal above this is a typo (the column holds up to $10^12): ignored, and the rep told
MAX_DEAL_VALUE = Decimal("10_000_000_000")

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

# Slack's markup for mentions, channels, broadcasts and links: <@U123>, <#C1|name>, <!here>, <url|label>
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# the end of a span: "by end of Q1", "by the end of next month"
_END_OF = r"(?:(?:the\s+)?end\s+of\s+(?:the\s+)?)?"
# in the order they are tried: the first kind found in the question is its date
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b"), "iso"),
    (
        re.compile(
            rf"\b({_MONTH_RE})\.?(?:\s+|-)(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I
        ),
        "month_day",
    ),
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\.?(?:,?\s+(\d{{4}}))?\b",
            re.I,
        ),
        "day_month",
    ),
    # 15.03.2027, as most of Europe writes it (with the year: "1.30.2" is a version)
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "day_dot_month"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"), "slash"),
    (
        re.compile(r"\b(early|mid|late)[\s-]+q([1-4])(?:\s*(?:'|fy)?\s*(\d{2,4}))?\b", re.I),
        "part_quarter",
    ),
    (
        re.compile(
            rf"\b{_END_OF}q([1-4])(?:\s*(?:'|fy)?\s*(\d{{2,4}})|\s+(next|this)\s+year)?\b", re.I
        ),
        "quarter",
    ),
    # H1, 2H 2027: the end of the half year
    (re.compile(rf"\b{_END_OF}(?:h([12])|([12])h)(?:\s*(?:'|fy)?\s*(\d{{2,4}}))?\b", re.I), "half"),
    # a fiscal year depends on the company: not guessed, the rep is told it was not read
    (re.compile(r"\bfy\s*'?(\d{2,4})\b", re.I), "fiscal_year"),
    # "the first week of March": by its last day
    (
        re.compile(
            rf"\b(first|1st|second|2nd|third|3rd|fourth|4th|last)\s+week\s+of\s+({_MONTH_RE})\.?"
            rf"(?:\s+(\d{{4}}))?\b",
            re.I,
        ),
        "week_of_month",
    ),
    (re.compile(rf"\b(early|mid|late)[\s-]+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b", re.I), "part"),
    # "early next year", "mid-2027": the end of its first, second or last part
    (
        re.compile(r"\b(early|mid|late)[\s-]+(?:(next|this)\s+year|(20\d\d))\b", re.I),
        "part_year",
    ),
    # a month named for the customer's event says when with no "by": "for their March
    # launch" (the month's end); it was ignored, and the rep told yes for a date after it
    (
        re.compile(
            rf"\b({_MONTH_RE})(?:\s+(\d{{4}}))?\s+(?:launch|go-?live|renewal|deadline|kick-?off"
            r"|rollout|roll-out|release|cutover|start|audit)\b",
            re.I,
        ),
        "month_event",
    ),
    (re.compile(rf"\b(?:end\s+of\s+)?({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b", re.I), "month"),
    (re.compile(r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?year\b|\beoy\b|\byear[- ]end\b", re.I), "eoy"),
    (re.compile(r"\bthis\s+year\b", re.I), "eoy"),
    (re.compile(r"\bnext\s+year\b", re.I), "next_year"),
    # a holiday on the same day every year: "before Christmas", "by New Year's Eve"
    (
        re.compile(
            r"\b(christmas\s+eve|christmas|xmas|new\s+year'?s'?\s+eve|new\s+year'?s'?(?:\s+day)?"
            r"|halloween|valentine'?s'?(?:\s+day)?)(?:\s+(\d{4}))?\b",
            re.I,
        ),
        "holiday",
    ),
    # ... and one whose day moves, or differs from country to country, a season, a fiscal year
    # (when does it end?) and sprints (how long is one?): not guessed, the rep is told it was
    # not read
    (
        re.compile(
            r"\b(?:the\s+)?(?:easter|thanksgiving|black\s+friday|cyber\s+monday|diwali"
            r"|(?:chinese|lunar)\s+new\s+year|ramadan|golden\s+week|holidays"
            # a season is another half of the year south of the equator
            r"|(?:spring|summer|fall|autumn|winter)(?:\s+(?:of\s+)?\d{4})?)\b",
            re.I,
        ),
        "not_guessed",
    ),
    (re.compile(rf"\b{_END_OF}(?:this\s+|next\s+|our\s+)?fiscal\s+year\b", re.I), "not_guessed"),
    (
        re.compile(
            r"\b(?:the\s+)?(?:next\s+)?(?:\d+|a|one|two|three|four|five|six|a\s+few|a\s+couple\s+of)"
            r"\s+sprints?\b|\b(?:the\s+)?(?:next|this)\s+sprint\b",
            re.I,
        ),
        "not_guessed",
    ),
    (re.compile(rf"\b{_END_OF}next\s+month\b", re.I), "next_month"),
    (re.compile(rf"\b{_END_OF}next\s+quarter\b", re.I), "next_quarter"),
    (re.compile(rf"\b{_END_OF}(?:this|the)\s+quarter\b|\beoq\b", re.I), "this_quarter"),
    (re.compile(r"\bnext\s+week\b", re.I), "next_week"),
    (re.compile(r"\bend\s+of\s+(?:the\s+|this\s+)?month\b|\beom\b", re.I), "eom"),
    (re.compile(r"\btomorrow\b", re.I), "tomorrow"),
    (re.compile(r"\b(yesterday|today)\b", re.I), "day_word"),
    (
        re.compile(
            r"\b(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
            r"\s+(days?|weeks?|months?|quarters?)\b",
            re.I,
        ),
        "relative",
    ),
    (
        re.compile(
            r"\b(?:(?:cob|eod|close\s+of\s+business|end\s+of\s+day)\s+(?:on\s+)?)?"
            r"((?:next|last)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
            re.I,
        ),
        "weekday",
    ),
    # "by the 15th": the next 15th
    (re.compile(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", re.I), "day_of_month"),
    (re.compile(r"\b(20\d\d)\b"), "year"),
]
# (month, day) of the holidays read as dates, by name as _holiday_name writes it
_HOLIDAYS = {
    "christmas eve": (12, 24),
    "christmas": (12, 25),
    "xmas": (12, 25),
    "new year eve": (12, 31),
    "new year": (1, 1),
    "halloween": (10, 31),
    "valentine": (2, 14),
}


def _holiday_name(written: str) -> str:
    """The key of `_HOLIDAYS` for a holiday as written ("New Year's Day" -> "new year")."""
    words = re.sub(r"'s?'?|\bday\b", " ", written.lower()).split()
    return " ".join(words).replace("years", "year").replace("valentines", "valentine")


# "a month", "two weeks": the counts written as words
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve"
_COUNTS = {word: n for n, word in enumerate(_NUMBER_WORDS.split())} | {"a": 1, "an": 1}
# the last day of the first, second... week of a month ("last": the month's end)
_WEEKS = {"fir": 7, "1st": 7, "sec": 14, "2nd": 14, "thi": 21, "3rd": 21, "fou": 28, "4th": 28}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# "by <date>", "before <date>", "until <date>", "no later than <date>": the word that says a
# date is when the rep needs it (and leaves the feature with it)
_WHEN_LEADS = r"(?:by|before|until|till|no\s+later\s+than|in|within|for|due|on|needed)"
# ... or the customer's event, then its date: "Globex renewal 1/31", "go-live 3/15" (the event
# stays when the date leaves: it says whose deal it is)
_LEADS = rf"(?:{_WHEN_LEADS}|renewal|go-?live|launch|deadline|kick-?off)"
# words that end a question without naming anyone: "EU residency for backups too?", "for now"
_FILLERS = r"(?:too|also|either|only|again|now|yet|please|pls|thanks)"
_DATE_LEAD = re.compile(rf"\b{_LEADS}\s+(?:the\s+)?$", re.I)  # "by the first week of March"
# a day of a month or a quarter says when wherever it stands ("renewal on Feb 28", "go-live
# March 15", "Acme, Q1"): no version or size is written so; but "may" in lower case is a word
# too ("Okta may 2 factor"), and "h2" is HTTP/2 as often as a half year
_STANDS_ALONE = {
    "iso",
    "month_day",
    "day_month",
    "day_dot_month",
    "quarter",
    "part_quarter",
    "month_event",
}
_ALONE_PATTERNS = [(pattern, kind) for pattern, kind in _DATE_PATTERNS if kind in _STANDS_ALONE]
# Slack's emphasis as a rep types it: *bold*, _italics_, ~strike~, `code`; not the underscores
# inside a name (pod_security_admission)
_EMPHASIS = re.compile(r"(?<![\w*_~`])([*_~`]+)(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])")

_MONEY = re.compile(
    r"(?:(?P<cur1>[$€£])\s?(?P<num1>\d[\d,]*(?:\.\d+)?)\s*(?P<mul1>k|m|mm|million|thousand)?\b)"
    r"|(?:\b(?P<num2>\d[\d,]*(?:\.\d+)?)\s*(?P<mul2>k|m|mm|million|thousand)?\s*(?P<cur2>usd|eur|gbp|dollars|euros)\b)"
    # no currency, but said to be the deal: "250k deal", "deal size 80k" (read as dollars)
    r"|(?:\b(?P<num3>\d[\d,]*(?:\.\d+)?)\s*(?P<mul3>k|m|mm)\s+"
    r"(?=(?:deal|arr|acv|tcv|renewal|opportunity|opp|contract)\b))"
    r"|(?:\bdeal\s+(?:size|value|worth)\s*(?:of\s+|is\s+|:\s*)?"
    r"(?P<num4>\d[\d,]*(?:\.\d+)?)\s*(?P<mul4>k|m|mm|million|thousand)\b)",
    re.I,
)
_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "million": 1_000_000,
}
# "Acme", "Acme Corp", "Procter & Gamble", "Acme and Globex" (two deals, one question)
_NAME = r"(?P<name>(?:[A-Z][\w&.\-']*)(?:\s+(?:[A-Z][\w&.\-']*|&|and(?=\s+[A-Z])))*)"
# what a customer who asks does: "Acme needs SSO", "Globex is asking whether ...", "Initech
# asking, $50k" (bot.roadmap.matching strips the same names from what it matches)
ASKING_VERBS = (
    r"(?i:wants?|needs?|requires?|asks?|asked|has\s+asked|(?:is\s+|are\s+)?asking"
    r"|would\s+like|(?:is\s+|are\s+)?looking\s+for|requests|requested"
    r"|(?:is\s+|are\s+)?requesting|(?:is\s+|are\s+)?interested\s+in"
    # "Acme is blocked on SCIM", "Globex is waiting for BYOK", "Initech is evaluating us"
    r"|(?:is\s+|are\s+)?(?:blocked\s+on|waiting\s+(?:on|for)|evaluating|churning)"
    # "Acme is a $40k opp", "Globex is our biggest customer"
    r"|(?:is|are)\s+(?:a|an|our)\s+(?:\S+\s+){0,2}?(?:opp|opportunity|customer|prospect|account|logo)s?)"
)
_ASKER = re.compile(r"(?:^|(?<=[\s(:,-]))" + _NAME + r"(?:'s)?\s+(?=" + ASKING_VERBS + r"\b)")
# the customer's own events, which belong to the deal, not the feature: "Acme's go-live",
# "for Initech's security review"; written without the possessive, only these few ("Acme
# renewal"): "Audit log export" is no customer "Export" with an audit
DEAL_EVENTS = (
    r"(?i:security\s+review|go-?live|renewal|launch|deadline|procurement|audit|rfp|pilot|poc"
    r"|trial|kick-?off|contract|deal)"
)
_BARE_DEAL_EVENTS = r"(?i:renewal|go-?live|deal|contract|rfp|pilot|poc)"
_EVENT_OWNER = re.compile(r"(?:^|(?<=[\s(:,-]))" + _NAME + r"\s+(?=" + _BARE_DEAL_EVENTS + r"\b)")
_EVENT_AFTER = re.compile(r"\s+" + DEAL_EVENTS + r"\b")
_POSSESSIVE = re.compile(r"['\u2019]s$")
# "Can Acme get early access to SCIM?": the customer as the one who would get it
_GETTER = re.compile(
    r"\b(?i:can|could|will|would|does|do)\s+" + _NAME + r"\s+(?=(?i:get|have|use|see|try)\b)"
)
# "Initech: EU data residency by Jan 15?": the deal first, as a heading
_HEADING = re.compile(r"^\s*" + _NAME + r":(?!//)")
# "a Zapier integration that Acme could use": the customer as the one who would use it
# (what it says of them is the deal's, not the feature's: the phrase runs to the verb)
_USER = re.compile(
    r"\b(?i:that|which|so)\s+"
    + _NAME
    + r"\s+(?i:can|could|would|will|might)\s+(?i:use|get|have|try|see)\b"
)
# Who the deal is with, most telling first: "customer Acme", "for Acme"; "deal with Acme"
# (the name in any case); then "for acme" (any case) when it closes the question or comes
# just before the date or the money; last "to Acme" / "at Acme", which also introduce
# vendors ("export to SAP").
_CUSTOMER_PATTERNS = [
    # "customer Acme", "prospect is Acme", "the client: Globex"
    re.compile(r"\b(?i:customer|client|prospect)(?:\s+is|\s*:)?\s+" + _NAME),
    re.compile(r"\bfor\s+" + _NAME),
    # "a $200k deal with Acme", "the renewal with acme"
    re.compile(
        r"\b(?i:deal|contract|renewal|opportunity|opp)\s+(?i:with|for|at)\s+"
        r"(?P<name>[\w&.\-']+(?:\s+[A-Z][\w&.\-']*)*)"
    ),
    re.compile(
        # (its second word is no date's lead: "for globex by 12/24" is Globex)
        rf"\bfor\s+(?!{_FILLERS}\b)"
        rf"(?P<name>[a-z][\w&.\-']*(?:\s+(?!(?:{_LEADS}|{_FILLERS})\b)[a-z][\w&.\-']*)?)"
        rf"(?=\s*(?:$|[,;:!?]|\.(?:\s|$)|\s+(?:{_LEADS}|next)\b|\s*[$€£\d]))",
        re.I,
    ),
    _ASKER,
    _EVENT_OWNER,
    _GETTER,
    _USER,
    re.compile(r"\b(?:to|at|with customer)\s+" + _NAME),
    # "can we tell Acme that ...", "promise Initech the ...", "give Acme a date": a name, then
    # lower case
    re.compile(
        r"\b(?i:promise|offer|give|tell|sell)\s+"
        + _NAME
        # ... not its date: "can we promise SCIM by March 15" is about SCIM
        + rf"(?=\s+(?:the|a|an|our|that|we)\b|\s+(?!(?:{_LEADS}|next)\b)[a-z])"
    ),
    _HEADING,
]
# the patterns that read the customer as who asks, gets or uses it: "They need", "Legal wants"
# name no customer
_ASKING = (_ASKER, _EVENT_OWNER, _GETTER, _USER, _HEADING)
# what heads a message as "Word:" without being a customer ("Question: ...", "FYI: ...")
_HEADING_WORDS = """
    question questions q update fyi psa urgent re note request ask help feature hi hey hello
    quick asap status deal context background
"""
_HEADINGS = frozenset(_HEADING_WORDS.split())
_NOT_CUSTOMERS = {
    "okta",
    "saml",
    "sso",
    "q1",
    "q2",
    "q3",
    "q4",
    "the",
    "a",
    "an",
    "our",
    "us",
    "them",
    "kubernetes",
    "k8s",
    "eoy",
    "eom",
    "asap",
    "i",
    "we",
}
# who asks without being the customer: "They need SSO", "Legal requires BYOK" (only as the one
# who asks: "SSO for Security Scorecard" is a customer)
_NOT_ASKER_WORDS = """
    they he she it you everyone everybody someone somebody this that my your their
    sales legal security marketing product engineering support finance procurement
    customer customers client clients prospect prospects
"""
_NOT_ASKERS = frozenset(_NOT_ASKER_WORDS.split())
_ASK_PHRASES = re.compile(
    r"\b(?:can|could|do|does|will|would|is|are)\s+(?:we|you|u|i|it|they|canwe)\s+"
    r"(?:promise|commit(?:\s+to)?|deliver|ship|support|offer|have|do|get|provide)?\b"
    r"|\b(?:is\s+there|are\s+there|do\s+we\s+have|any\s+chance|when\s+will|when\s+can|"
    r"please|pls|plz|thanks|thank\s+you|hey|hi|hello)\b"
    r"|\b(?:the\s+)?(?:customer|client|prospect|deal|account)\b|\?",
    re.I,
)


@dataclass(frozen=True)
class ParsedQuestion:
    text: str  # cleaned, safe to show (Slack markup removed)
    feature: str  # the text left for matching once the deal context is stripped
    needed_by: dt.date | None
    date_phrase: str | None  # what the rep wrote, e.g. "March 15"
    date_unparsed: str | None  # something after "by" that looked like a date and was not one
    customer: str | None
    deal_value: Decimal | None
    truncated: bool
    deal_value_ignored: str | None = None  # what the rep wrote, when it was too large to be real
    deal_currency: str | None = None  # "USD", "EUR", "GBP": as the rep wrote the value


def clean_text(raw: str) -> str:
    """Remove Slack markup a user typed (mentions, broadcasts, links) and control characters.

    Links keep their visible label only, as plain text; mentions and broadcasts vanish,
    so nothing the bot repeats can ping a channel or carry a live link.
    """
    text = without_format_characters(unicodedata.normalize("NFKC", raw or ""))
    text = _CONTROL.sub(" ", text)

    def _replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith(("@", "!", "#")):
            label = inner.split("|", 1)[1] if "|" in inner and inner.startswith("#") else ""
            return label
        if "|" in inner:
            return inner.split("|", 1)[1]
        return ""  # a bare link: not repeated

    # again until none is left: removing `<x>` from `<!chan<x>nel>` makes a new `<!channel>`
    # (what is shown is escaped anyway: bot/core/text.py)
    while (removed := _SLACK_TOKEN.sub(_replace, text)) != text:
        text = removed
    return re.sub(r"\s+", " ", text).strip()


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only emoji or punctuation)."""
    text = re.sub(r":[a-z0-9_+\-]+:", " ", text)  # :emoji: codes
    return any(ch.isalnum() for ch in text)


def _year_for(month: int, day: int, today: dt.date, explicit: str | None) -> int:
    if explicit:
        year = int(explicit)
        return year + 2000 if year < 100 else year
    year = today.year
    try:
        if dt.date(year, month, day) < today:
            year += 1
    except ValueError:
        pass
    return year


def _end_of_month(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _end_of_span(month: int, today: dt.date, year: str | None, this_or_next: str | None):
    """The end of a quarter, half year or month that ends in `month`: of the year written,
    "this" or "next" year, or else the next one that has not ended."""
    if this_or_next:
        return _end_of_month(today.year + (this_or_next.lower() == "next"), month)
    return _end_of_month(
        _year_for(month, calendar.monthrange(today.year, month)[1], today, year), month
    )


def _resolve(kind: str, groups: tuple, today: dt.date) -> dt.date:
    if kind == "iso":
        return dt.date(int(groups[0]), int(groups[1]), int(groups[2]))
    if kind == "month_day":
        month, day = MONTHS[groups[0].lower()], int(groups[1])
        return dt.date(_year_for(month, day, today, groups[2]), month, day)
    if kind == "day_month":
        month, day = MONTHS[groups[1].lower()], int(groups[0])
        return dt.date(_year_for(month, day, today, groups[2]), month, day)
    if kind == "day_dot_month":
        day, month = int(groups[0]), int(groups[1])
        return dt.date(_year_for(month, day, today, groups[2]), month, day)
    if kind == "slash":
        month, day = int(groups[0]), int(groups[1])
        if month > 12 >= day:  # 15/03: only a day first reads so
            month, day = day, month
        return dt.date(_year_for(month, day, today, groups[2]), month, day)
    if kind == "quarter":
        return _end_of_span(int(groups[0]) * 3, today, groups[1], groups[2])
    if kind == "part_quarter":  # early Q2: by April 30; mid Q2: May 15; late Q2: June 30
        end = _end_of_span(int(groups[1]) * 3, today, groups[2], None)
        part = groups[0].lower()
        if part == "late":
            return end
        if part == "mid":
            return end.replace(month=end.month - 1, day=15)
        return _end_of_month(end.year, end.month - 2)
    if kind == "half":
        return _end_of_span(int(groups[0] or groups[1]) * 6, today, groups[2], None)
    if kind == "fiscal_year":
        raise ValueError("a fiscal year")
    if kind == "week_of_month":
        month = MONTHS[groups[1].lower()]
        end = _end_of_span(month, today, groups[2], None)
        nth = _WEEKS.get(groups[0].lower()[:3], end.day)
        return end.replace(day=min(nth, end.day))
    if kind == "part_year":
        year = today.year + (1 if (groups[1] or "").lower() == "next" else 0)
        year = int(groups[2]) if groups[2] else year
        return _end_of_month(year, {"early": 3, "mid": 6}.get(groups[0].lower(), 12))
    if kind == "holiday":
        month, day = _HOLIDAYS[_holiday_name(groups[0])]
        return dt.date(_year_for(month, day, today, groups[1]), month, day)
    if kind == "not_guessed":
        raise ValueError("a day that depends on the customer's calendar or the team's")
    if kind == "part":
        month = MONTHS[groups[1].lower()]
        end = _end_of_span(month, today, groups[2], None)
        return end.replace(day={"early": 10, "mid": 15}.get(groups[0].lower(), end.day))
    if kind in ("month", "month_event"):
        month = MONTHS[groups[0].lower()]
        year = int(groups[1]) if groups[1] else today.year
        if not groups[1] and _end_of_month(year, month) < today:
            year += 1
        return _end_of_month(year, month)
    if kind == "eoy":
        return dt.date(today.year, 12, 31)
    if kind == "next_year":
        return dt.date(today.year + 1, 12, 31)
    if kind == "this_quarter":
        return _end_of_month(today.year, (today.month - 1) // 3 * 3 + 3)
    if kind == "next_month":
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _end_of_month(year, month)
    if kind == "next_quarter":
        quarter = (today.month - 1) // 3 + 2
        year = today.year + (1 if quarter > 4 else 0)
        quarter = quarter - 4 if quarter > 4 else quarter
        return _end_of_month(year, quarter * 3)
    if kind == "next_week":
        return today + dt.timedelta(days=7 - today.weekday() + 4)  # Friday of next week
    if kind == "eom":
        return _end_of_month(today.year, today.month)
    if kind == "tomorrow":
        return today + dt.timedelta(days=1)
    if kind == "day_word":  # "by yesterday" is read, and then called out as past
        return today - dt.timedelta(days=1) if groups[0].lower() == "yesterday" else today
    if kind == "relative":
        written, unit = groups[0].lower(), groups[1].lower().rstrip("s")
        count = _COUNTS[written] if written in _COUNTS else int(written)
        if unit == "quarter":
            count, unit = count * 3, "month"
        if unit == "month":
            month = today.month - 1 + count
            year, month = today.year + month // 12, month % 12 + 1
            return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        return today + dt.timedelta(days=count * (7 if unit == "week" else 1))
    if kind == "weekday":
        if groups[0] and groups[0].lower().startswith("last"):  # read, then called out as past
            back = (today.weekday() - WEEKDAYS.index(groups[1].lower())) % 7 or 7
            return today - dt.timedelta(days=back)
        ahead = (WEEKDAYS.index(groups[1].lower()) - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead + (7 if groups[0] and ahead < 7 else 0))
    if kind == "day_of_month":
        day = int(groups[0])
        month = today.month if day >= today.day else today.month % 12 + 1
        year = today.year + (1 if month < today.month else 0)
        return dt.date(year, month, day)
    if kind == "year":
        return dt.date(int(groups[0]), 12, 31)
    raise ValueError(kind)


def _said_when(kind: str, match: re.Match[str], text: str) -> bool:
    """Whether the date is said as when the rep needs it: after "by", "in"... or in words
    that say so themselves ("next month", "end of Q2", an ISO date)."""
    if kind == "month_event":
        return False  # it stands alone, after any date said with "by"
    lead = _DATE_LEAD.search(text[: match.start()])
    if kind == "relative" and lead and lead.group(0).lower().startswith("for"):
        return False  # "a trial for a month" says how long, not by when
    return (
        kind == "iso"
        or bool(lead)
        or match.group(0).lower().startswith(("end of", "the end", "next ", "this ", "eo", "year"))
    )


def _stands_alone(kind: str, match: re.Match[str], _text: str) -> bool:
    """Whether the date says when without a word such as "by" before it."""
    return kind in _STANDS_ALONE and "may" not in match.groups()


# a follow-up under an answer: "what about Globex?", "and for Initech by June?"
_FOLLOW_UP = re.compile(r"^\s*(?:and\s+)?(?:(?:what|how)\s+about|and)\s+(?:for\s+)?", re.I)


def follow_up_of(text: str) -> str | None:
    """What a follow-up asks about, as "for …" ("what about Globex, by June?" -> "for Globex,
    by June?", "and by Q3?" -> "by Q3?"); None when `text` is not worded as one, or goes on in
    lower case ("what about dark mode?" is about a feature: a customer is a name)."""
    lead = _FOLLOW_UP.match(text)
    rest = text[lead.end() :] if lead else ""
    if re.match(rf"{_LEADS}\s", rest, re.I):
        return rest
    return f"for {rest}" if rest[:1].isupper() else None


def without_emphasis(text: str) -> str:
    """The text with Slack's emphasis markers taken off the words they wrap."""
    while (plain := _EMPHASIS.sub(r"\2", text)) != text:
        text = plain
    return text


# chat shorthand, read as the words it stands for: "SSO w/ Okta 4 Acme"
_SHORTHANDS = [
    (re.compile(r"(?<!\S)w/o(?!\S)", re.I), "without"),
    (re.compile(r"(?<!\S)w/(?=\s|$)", re.I), "with"),
    (re.compile(r"(?<!\S)4(?=\s+[A-Z][a-z])"), "for"),  # "4 Acme", not "4 seats"
]


def read_through(text: str) -> str:
    """What the rep wrote, as it is read: Slack's emphasis off, chat shorthand spelt out."""
    text = without_emphasis(text)
    for shorthand, words in _SHORTHANDS:
        text = shorthand.sub(words, text)
    return text


def without_date(text: str, phrase: str) -> str:
    """`text` without the date `phrase` and the word before it that says when ("by")."""
    # "by the end of March": the lead, and the "the" before the phrase ("for their March
    # launch": whose it is)
    lead = rf"\b(?:{_WHEN_LEADS}\s+(?:the\s+|their\s+|our\s+)?)?"
    return re.sub(lead + re.escape(phrase), " ", text, count=1, flags=re.I)


def parse_needed_by(text: str, today: dt.date) -> tuple[dt.date | None, str | None, str | None]:
    """Find the date the rep needs the feature by. Returns (date, phrase as written, unparsed).

    Only a date introduced by "by", "before", "until", "in"... or a day of a month (March 15,
    2027-03-15) anywhere counts, so "Kubernetes 1.30" or "SAML 2.0" are not read as dates.
    """
    # a date said as when comes first: "since the March 3 release ... by Q2" is Q2
    for said, patterns in ((_said_when, _DATE_PATTERNS), (_stands_alone, _ALONE_PATTERNS)):
        best: tuple[int, dt.date, str] | None = None
        for pattern, kind in patterns:
            for match in pattern.finditer(text):
                if not said(kind, match, text):
                    continue
                try:
                    value = _resolve(kind, match.groups(), today)
                except (ValueError, KeyError):
                    return None, None, match.group(0)
                if best is None or match.start() < best[0]:
                    best = (match.start(), value, match.group(0))
            if best is not None:
                return best[1], best[2], None
    after_by = re.search(r"\bby\s+(\d[\w/\-.]*|[A-Z][a-z]+\s+\d+\w*)", text)
    if (
        after_by
        and re.search(r"\d", after_by.group(1))
        and not re.match(r"v?\d+\.\d+$", after_by.group(1))
    ):
        return None, None, after_by.group(1)
    return None, None, None


# a date a PM writes in a reply, with or without "by": not years, spans or bare weekdays,
# which read too easily into other words ("2027 roadmap", "2 weeks of work"); "next month"
# and "end of the month" say nothing else
_ANSWER_DATE_KINDS = {
    "iso",
    "month_day",
    "day_month",
    "day_dot_month",
    "slash",
    "quarter",
    "half",
    "part",
    "part_quarter",
    "month",
    "eoy",
    "next_month",
    "next_quarter",
    "eom",
}


def _answer_dates(text: str, today: dt.date) -> Iterator[tuple[re.Match, dt.date | None]]:
    """Every date a PM's reply may give in `text`, pattern by pattern, with the day it names
    (None: written like a date, but no day of the calendar)."""
    for pattern, kind in _DATE_PATTERNS:
        if kind in _ANSWER_DATE_KINDS:
            for match in pattern.finditer(text):
                try:
                    value = _resolve(kind, match.groups(), today)
                except (ValueError, KeyError):
                    value = None
                yield match, value


def find_date(text: str, today: dt.date) -> tuple[dt.date | None, str | None]:
    """The first date written anywhere in `text` ("April 1", "2027-03-01", "Q2"), with the
    words it was written in; (None, None) when there is none or it is not a real date."""
    real = [(match, value) for match, value in _answer_dates(text, today) if value is not None]
    if not real:
        return None, None
    match, value = min(real, key=lambda found: found[0].start())
    return value, match.group(0)


def unreadable_date(text: str, today: dt.date) -> str | None:
    """A date written in `text` the way find_date reads dates that is not a real day
    ("2027-02-30", "Feb 30"), as written; None when there is none."""
    return next((m.group(0) for m, value in _answer_dates(text, today) if value is None), None)


# what a deal value's sign or word says about its currency
CURRENCIES = {
    "$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "€": "EUR",
    "eur": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
}


def deal_currency(phrase: str | None) -> str | None:
    """The currency of a deal value as written ("€80k": EUR), None when there is none."""
    match = _MONEY.search(phrase or "")
    if not match:
        return None
    return CURRENCIES.get((match.group("cur1") or match.group("cur2") or "").lower())


def parse_deal_value(text: str) -> tuple[Decimal | None, str | None]:
    """The deal value and the words that said it; (None, words) when it is above
    MAX_DEAL_VALUE."""
    match = _MONEY.search(text)
    if not match:
        return None, None
    number = next((match.group(f"num{n}") for n in range(1, 5) if match.group(f"num{n}")), "")
    multiplier = next((match.group(f"mul{n}") for n in range(1, 5) if match.group(f"mul{n}")), "")
    multiplier = multiplier.lower()
    # "€1,5M" is one and a half million as most of Europe writes it, not fifteen
    if multiplier and re.fullmatch(r"\d+,\d{1,2}", number):
        number = number.replace(",", ".")
    number = number.replace(",", "")
    try:
        value = Decimal(number) * _MULTIPLIERS.get(multiplier, 1)
    except InvalidOperation:
        return None, None
    if not value.is_finite() or value > MAX_DEAL_VALUE:
        return None, match.group(0)
    return value, match.group(0)


def parse_customer(
    text: str, not_customers: frozenset[str] = frozenset()
) -> tuple[str | None, str | None]:
    """(the customer, the phrase that names it), or (None, None). Names in `not_customers`
    (lower case: what the matched item itself mentions, a vendor like "SAP") are skipped."""
    for pattern in _CUSTOMER_PATTERNS:
        for match in reversed(list(pattern.finditer(text))):  # the last "for …" is the deal's
            words = _one_sentence(match.group("name").split())
            while words and _not_a_customer(words[-1], not_customers):
                words.pop()
            if not words or _not_a_customer(words[0], not_customers):
                continue
            if pattern in _ASKING and words[0].lower() in _NOT_ASKERS:
                continue
            if pattern is _HEADING and words[0].lower() in _HEADINGS:
                continue
            if " ".join(words).lower() in not_customers:
                continue
            said = " ".join(words)
            # the phrase is what the pattern read ("that Acme could use", "Initech:"), or,
            # when words of the name were left out, up to the words kept
            if said == " ".join(match.group("name").split()):
                phrase = match.group(0).rstrip()
            else:
                phrase = match.group(0)[: match.start("name") - match.start()] + said
            if text.startswith(phrase, match.start()):
                # the customer's own event belongs to the deal: "for Initech's security review"
                event = _EVENT_AFTER.match(text, match.start() + len(phrase))
                phrase += event.group(0) if event else ""
            name = _POSSESSIVE.sub("", said)
            if name.islower():  # "for acme": shown as a name
                name = " ".join(word[:1].upper() + word[1:] for word in name.split())
            return name[:200], phrase
    return None, None


# a name's own abbreviations, which end in a full stop without ending the sentence
_ABBREVIATION_WORDS = "inc corp co ltd llc plc bros intl dept st mr ms dr"
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())


def _one_sentence(words: list[str]) -> list[str]:
    """The name's words up to a full stop that ends a sentence ("Client: Globex. Need SCIM"
    is Globex; "Acme Inc. Europe" is one name) or a possessive ("for Acme's EU entity" is
    Acme), without the stops and commas around it."""
    kept = []
    for word in words:
        kept.append(word)
        if word.endswith(".") and word.rstrip(".").lower() not in _ABBREVIATIONS:
            break
        if _POSSESSIVE.search(word):
            break
    return " ".join(kept).strip(" .,").split()


def _not_a_customer(word: str, not_customers: frozenset[str]) -> bool:
    word = word.lower()
    return word in _NOT_CUSTOMERS or word in MONTHS or word in not_customers


def parse_question(
    raw: str, today: dt.date, not_customers: frozenset[str] = frozenset()
) -> ParsedQuestion:
    cleaned = clean_text(raw)
    truncated = len(cleaned) > MAX_QUESTION_CHARS
    text = cleaned[:MAX_QUESTION_CHARS]
    plain = read_through(text)  # `text` is kept as the rep wrote it
    needed_by, date_phrase, unparsed = parse_needed_by(plain, today)
    deal_value, money_phrase = parse_deal_value(plain)
    customer, customer_phrase = parse_customer(plain, not_customers)

    feature = plain
    for phrase in (money_phrase, customer_phrase):
        if phrase:
            feature = feature.replace(phrase, " ")
    # a date it could not read leaves the feature too: "SSO by FY27" is about SSO
    if date_phrase or unparsed:
        feature = without_date(feature, date_phrase or unparsed)
    feature = re.sub(r"\b(?:deal|worth|a|for|before|ahead of)\s*$", " ", feature, flags=re.I)
    feature = _ASK_PHRASES.sub(" ", feature)
    feature = re.sub(r"[^\w\s\-./+#,;]", " ", feature)  # commas kept: they separate features
    feature = re.sub(r"\s+", " ", feature).strip(" ,;.")
    feature = re.sub(r"\s+([,;])", r"\1", feature)
    return ParsedQuestion(
        text=text,
        feature=feature,  # empty when the question is only a date, a customer or money
        needed_by=needed_by,
        date_phrase=date_phrase,
        date_unparsed=unparsed,
        customer=customer,
        deal_value=deal_value,
        truncated=truncated,
        deal_value_ignored=money_phrase if money_phrase and deal_value is None else None,
        deal_currency=deal_currency(money_phrase) if deal_value is not None else None,
    )


def normalise(text: str) -> str:
    """Lower-case words only: the key that joins near-identical questions."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
