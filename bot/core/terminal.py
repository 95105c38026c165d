"""Slack mrkdwn made readable in a terminal (`canwe ask`, `canwe digest --print`).

Mentions and links lose their angle brackets, *bold* loses its stars, and the emoji codes
that start a line are dropped (a few common ones become a symbol instead).
"""

from __future__ import annotations

import re

# <@U123>, <#C123|name>, <!here>, <https://x|label>: Slack's references
_REFERENCE = re.compile(r"<([^<>\n]+)>")
# *bold*: a star that opens before a non-space and closes after one. quote() puts a
# zero-width space after each star someone typed, so their stars never open or close.
_BOLD = re.compile(r"(?<![\w*])\*(?![\s\u200b*])((?:[^*\n]|\*\u200b)+?)(?<!\s)\*(?![\w\u200b])")
_EMOJI = re.compile(r":([a-z][a-z0-9_+-]*):")
_LEADING_EMOJI = re.compile(r"^(\s*):[a-z][a-z0-9_+-]*: ?", re.MULTILINE)

SYMBOLS = {
    "white_check_mark": "✓",
    "heavy_check_mark": "✓",
    "x": "✗",
    "warning": "⚠",
    "rotating_light": "!",
}


def _reference(match: re.Match[str]) -> str:
    target, _, label = match[1].partition("|")
    if target[0] in "@#":  # a user or a channel
        return target[0] + (label.lstrip("@#") or target[1:])
    if target[0] == "!":  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return label or "@" + target[1:].split("^")[0]
    if label and label != target:
        return f"{label} ({target})"
    return target


def _symbol(match: re.Match[str]) -> str:
    return SYMBOLS.get(match[1], match[0])


def readable(mrkdwn: str) -> str:
    """`mrkdwn` as plain text: `<@U1>` → `@U1`, `<https://x|label>` → `label (https://x)`,
    `*bold*` → `bold`, emoji codes as symbols or dropped, &lt; &gt; &amp; decoded."""
    text = _REFERENCE.sub(_reference, mrkdwn)
    text = _BOLD.sub(r"\1", text)
    text = _EMOJI.sub(_symbol, text)
    text = _LEADING_EMOJI.sub(r"\1", text)
    text = text.replace("\u200b", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
