"""The "did you mean" reply: a few roadmap items as buttons, and "none of these, ask the PM".

Built from plain facts like every other message (see bot.questions.messages); everything anyone typed
(the question, roadmap titles and descriptions) is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.text import escape
from bot.slack.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    Message,
    PlainTextObject,
    SectionBlock,
    context_block,
    section_block,
)
from bot.slack.wording import STATUS_WORDS, quote, user

# one line of an item's description: what fits on a phone without wrapping twice
DESCRIPTION_CHARS = 140


class ChoiceAction(StrEnum):
    pick = "pick_item"  # action_id "pick_item:<n>", value "<question id>:<item id>"
    none = "pick_none"  # value: question id


@dataclass(frozen=True)
class OfferedItem:
    item_id: int
    key: str
    title: str
    status: str
    description: str
    url: str | None


def first_line(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The description's first line (or sentence), cut to `limit` characters."""
    line = " ".join((text or "").strip().splitlines()[:1])
    sentence = line.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def _title(item: OfferedItem) -> str:
    key = escape(item.key)
    if item.url and item.url.startswith("https://"):
        key = f"<{item.url}|{key}>"
    return f"{key} · *{escape(item.title)}*"


def did_you_mean_message(
    *,
    question_id: int,
    question_text: str,
    items: list[OfferedItem],
    asker_id: str,
    in_channel: bool,
    turned_down: str | None = None,
) -> Message:
    """Up to three items to pick from, each with its status and a line of its description;
    `turned_down`: the title of the item the rep said they did not mean."""
    if turned_down is not None:
        intro = (
            f":ok_hand: Not *{escape(turned_down)}*, then. Which roadmap item do you mean by "
            f"“{quote(question_text)}”?"
        )
    else:
        intro = (
            f":thinking_face: I am not sure which roadmap item you mean by "
            f"“{quote(question_text)}”. Did you mean one of these?"
        )
    blocks: list[Block] = [section_block(intro)]
    for n, item in enumerate(items):
        status = STATUS_WORDS.get(item.status, item.status)
        about = first_line(item.description)
        text = f"{_title(item)}\n_{escape(status)}_" + (f" — {quote(about)}" if about else "")
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=text),
                accessory=ButtonElement(
                    text=PlainTextObject(text="This one"),
                    action_id=f"{ChoiceAction.pick}:{n}",
                    value=f"{question_id}:{item.item_id}",
                ),
            )
        )
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="None of these, ask the PM"),
                    action_id=ChoiceAction.none,
                    value=str(question_id),
                )
            ]
        )
    )
    if in_channel:
        blocks.append(context_block(f"Only {user(asker_id)}, who asked, can pick."))
    names = "; ".join(f"{i.key} {i.title}" for i in items)
    return Message(
        text=f"Did you mean one of these? {escape(names)[:500]} (or ask the PM)",
        blocks=blocks,
    )
