"""The one way user text is made safe for anything Slack renders (blocks and text fallbacks).

Slack turns `<!channel>`, `<@U123>` and `<https://…|label>` into a broadcast, a mention and a
live link. Removing such markup is not enough (`<!chan<x>nel>` becomes `<!channel>` once the
inner `<x>` is removed), so text is escaped at the last step, always: `&`, `<` and `>` become
entities and no markup survives however it is nested. Format characters (Unicode category
Cf: bidi overrides and isolates such as U+202E and U+2066, zero-width joiners) are removed
first: they can make what a reader sees differ from what was written.
"""

from __future__ import annotations

import unicodedata


def without_format_characters(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def escape(text: str) -> str:
    """Slack's escaping for user text: & < > become entities, so no mention or link survives."""
    text = without_format_characters(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
