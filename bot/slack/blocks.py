"""The Slack layer's building blocks: Block Kit (the only import of slack_sdk's models outside
bot/slack and handlers goes through here), the ids Slack sends back, and `Message`, what every
feature hands to a sender.

Blocks come from `slack_sdk.models.blocks`, which checks Slack's limits when serialised.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

__all__ = [
    "ActionsBlock",
    "Block",
    "ButtonElement",
    "ContextBlock",
    "DatePickerElement",
    "DividerBlock",
    "HeaderBlock",
    "InputBlock",
    "MarkdownTextObject",
    "Option",
    "PlainTextInputElement",
    "PlainTextObject",
    "SectionBlock",
    "StaticSelectElement",
    "View",
]


SECTION_LIMIT = 3000
MAX_BLOCKS = 50


class ActionId(StrEnum):
    answer = "answer"  # value: "<escalation id>:<verdict>"
    ask_exception = "ask_exception"  # value: question id
    mark_promised = "mark_promised"  # value: question id
    why_date = "why_date"  # value: question id
    not_this = "not_this"  # "Not what I meant" on an answer; value: question id
    answer_details = "answer_details"  # in the answer form; value: escalation id


class ModalId(StrEnum):
    answer = "answer_modal"
    answer_details = "answer_details_modal"  # pushed over the answer form


@dataclass(frozen=True)
class Message:
    text: str  # the plain-text fallback (notifications, screen readers, the CLI)
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        if len(self.blocks) > MAX_BLOCKS:
            raise ValueError(f"{len(self.blocks)} blocks: Slack allows {MAX_BLOCKS}")
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def section_block(text: str) -> SectionBlock:
    """A mrkdwn section, cut to Slack's limit."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text))


def context_block(*parts: str) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=part[:SECTION_LIMIT]) for part in parts if part]
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
