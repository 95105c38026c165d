"""Every message the bot sends to Slack outside a request's own reply goes through here.

A send is written to the outbox in the same transaction as the change it reports, and the
delivery worker (bot/slack/delivery.py) makes the Slack call. Some of what a call needs is
unknown when it is written: the DM channel of a user, the ts of an escalation's post that is
not posted yet, the ts of an earlier outbox message, a link to a thread. Those are written as
the typed placeholders below, never as hand-built dicts; `encode` stores them in the row and
`decode` gives them back to the worker, which fills them in at the moment it sends.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.slack.blocks import Message
from store.outbox import enqueue, enqueue_many


@dataclass(frozen=True)
class DirectMessage:
    """The DM channel with a user (opened with conversations.open when sent)."""

    user_id: str


@dataclass(frozen=True)
class EscalationPost:
    """The ts of an escalation's post in its PM channel: its thread, or the post to update."""

    escalation_id: int


@dataclass(frozen=True)
class EarlierMessage:
    """The ts of an earlier message of the outbox (by its key): a reply goes in its thread."""

    key: str


@dataclass(frozen=True)
class ThreadLink:
    """A link to an escalation's thread (chat.getPermalink), inside text."""

    channel_id: str
    escalation_id: int


@dataclass(frozen=True)
class Joined:
    """Text made of plain parts and thread links, joined when sent."""

    parts: tuple[str | ThreadLink, ...]


Channel = str | DirectMessage  # a channel id, or a user's DM
Thread = str | EscalationPost | EarlierMessage  # a ts, known now or when sent
Placeholder = DirectMessage | EscalationPost | EarlierMessage | ThreadLink | Joined


def encode(value: Any) -> Any:
    """A payload with its placeholders in the outbox's JSON form."""
    if isinstance(value, DirectMessage):
        return {"$dm": value.user_id}
    if isinstance(value, EscalationPost):
        return {"$escalation_ts": value.escalation_id}
    if isinstance(value, EarlierMessage):
        return {"$outbox_ts": value.key}
    if isinstance(value, ThreadLink):
        return {"$permalink": {"channel": value.channel_id, "escalation": value.escalation_id}}
    if isinstance(value, Joined):
        return {"$join": [encode(part) for part in value.parts]}
    if isinstance(value, dict):
        return {key: encode(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [encode(inner) for inner in value]
    return value


def decode(value: dict[str, Any]) -> Placeholder | None:
    """The placeholder a stored dict stands for, or None for an ordinary dict."""
    if len(value) != 1:
        return None
    ((tag, inner),) = value.items()
    if tag == "$dm":
        return DirectMessage(inner)
    if tag == "$escalation_ts":
        return EscalationPost(int(inner))
    if tag == "$outbox_ts":
        return EarlierMessage(inner)
    if tag == "$permalink":
        return ThreadLink(inner["channel"], int(inner["escalation"]))
    if tag == "$join":
        # parts are text, or the stored form of a ThreadLink
        return Joined(tuple(p if isinstance(p, str) else decode(p) for p in inner))  # type: ignore[misc]
    return None


@dataclass(frozen=True)
class Post:
    """One chat.postMessage: `message` is a Message, or a line of plain text."""

    key: str  # the outbox's dedupe key: the same key is the same message, sent once
    channel: Channel
    message: Message | str
    thread: Thread | None = None
    links: bool = False  # turn thread_link markers in the text into links when sent

    def payload(self) -> dict[str, Any]:
        body = _body(self.message)
        if self.links:
            body = _with_thread_links(body)
        payload: dict[str, Any] = {"channel": self.channel, "unfurl_links": False, **body}
        if self.thread is not None:
            payload["thread_ts"] = self.thread
        return encode(payload)


def post(
    session: Session,
    *,
    key: str,
    channel: Channel,
    message: Message | str,
    now: dt.datetime,
    thread: Thread | None = None,
    links: bool = False,
) -> None:
    """Post a message (once per key)."""
    one = Post(key=key, channel=channel, message=message, thread=thread, links=links)
    enqueue(
        session=session, dedupe_key=key, method="chat.postMessage", payload=one.payload(), now=now
    )


def post_escalation(
    session: Session,
    *,
    key: str,
    channel_id: str,
    escalation_id: int,
    message: Message,
    now: dt.datetime,
) -> None:
    """Post an escalation to its PM channel; once sent, its ts becomes the escalation's."""
    one = Post(key=key, channel=channel_id, message=message)
    enqueue(
        session=session,
        dedupe_key=key,
        method="chat.postMessage",
        payload=one.payload(),
        on_sent={"escalation_ts": escalation_id},
        now=now,
    )


def post_many(session: Session, posts: list[Post], now: dt.datetime) -> int:
    """Many posts in one insert (digests, reminders); returns how many were new."""
    rows = [
        {"dedupe_key": p.key, "method": "chat.postMessage", "payload": p.payload()} for p in posts
    ]
    return enqueue_many(session=session, messages=rows, now=now)


def post_privately(
    session: Session,
    *,
    key: str,
    channel_id: str,
    user_id: str,
    message: Message | str,
    now: dt.datetime,
    thread: Thread | None = None,
) -> None:
    """A chat.postEphemeral: only `user_id` sees it."""
    payload: dict[str, Any] = {"channel": channel_id, "user": user_id, **_body(message)}
    if thread is not None:
        payload["thread_ts"] = thread
    enqueue(
        session=session,
        dedupe_key=key,
        method="chat.postEphemeral",
        payload=encode(payload),
        now=now,
    )


def update(
    session: Session,
    *,
    key: str,
    channel_id: str,
    ts: str | EscalationPost,
    message: Message,
    now: dt.datetime,
) -> None:
    """Replace a message the bot posted (chat.update), once per key."""
    payload = {"channel": channel_id, "ts": ts, **message.as_kwargs()}
    enqueue(session=session, dedupe_key=key, method="chat.update", payload=encode(payload), now=now)


def _body(message: Message | str) -> dict[str, Any]:
    return {"text": message} if isinstance(message, str) else message.as_kwargs()


# A link to a thread inside a message's text, written while the thread may not be posted yet:
# a marker no user text can contain (user text is escaped, and these brackets are not typed)
_LINK = re.compile("\u27e6thread:([^:\u27e7]+):(\\d+)\u27e7")


def thread_link(channel_id: str, escalation_id: int) -> str:
    """A marker in mrkdwn that becomes a link to the escalation's thread when sent."""
    return f"\u27e6thread:{channel_id}:{escalation_id}\u27e7"


def without_thread_links(text: str) -> str:
    """The markers as words, for a terminal."""
    return _LINK.sub(lambda m: f"(thread in #{m[1]})", text)


def _with_thread_links(body: dict[str, Any]) -> dict[str, Any]:
    """Each section text holding thread_link markers becomes a Joined of its parts."""
    for block in body.get("blocks", []):
        text = block.get("text")
        if isinstance(text, dict) and "\u27e6" in text.get("text", ""):
            parts: list[str | ThreadLink] = []
            position = 0
            for match in _LINK.finditer(text["text"]):
                parts.append(text["text"][position : match.start()])
                parts.append(ThreadLink(match[1], int(match[2])))
                position = match.end()
            parts.append(text["text"][position:])
            text["text"] = Joined(tuple(part for part in parts if part != ""))
    return body
