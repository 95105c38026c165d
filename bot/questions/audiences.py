"""`/canwe audience`: show or set who a channel speaks to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import Context
from bot.questions.messages import error_message
from bot.roadmap.schema import Audience
from bot.slack.blocks import MarkdownTextObject, Message, SectionBlock
from store import questions as q

AUDIENCE_HELP = {
    "sales": "promise language and the safe date",
    "services": "scope, effort, dependencies and target release",
    "marketing": "only what may be said in public",
}


def audience_command(
    *, session: Session, ctx: Context, user_id: str, channel_id: str, argument: str
) -> Message:
    argument = argument.strip().lower()
    current = q.audience_of(session=session, channel_id=channel_id)
    if not argument:
        text = (
            f"This channel's audience is *{current}*: answers here give {AUDIENCE_HELP[current]}."
        )
        return Message(text=text.replace("*", ""), blocks=_one(text))
    if argument not in Audience.__members__:
        return error_message(
            f"Unknown audience “{argument[:40]}”. Use sales, services or marketing."
        )
    if not ctx.is_admin(user_id):
        return error_message("Only a canwe admin can change a channel's audience.")
    q.set_audience(session=session, channel_id=channel_id, audience=argument)
    text = (
        f"This channel's audience is now *{argument}*: answers here give {AUDIENCE_HELP[argument]}."
    )
    return Message(text=text.replace("*", ""), blocks=_one(text))


def _one(text: str) -> list[SectionBlock]:
    return [SectionBlock(text=MarkdownTextObject(text=text))]
