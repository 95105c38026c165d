"""Block Kit as the Slack stand-in needs it: Slack's limits, block ids, interactive elements,
and the payload pieces (``actions``, ``state.values``) Slack builds from them.  Pure functions."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from typing import Any

_MAX_TEXT = 40_000


class SlackError(Exception):
    """A Web API method answers ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def message_content(args: dict[str, Any], require: bool = True) -> tuple[str, list[dict] | None]:
    text = args.get("text")
    text = "" if text is None else str(text)
    blocks = args.get("blocks") or None
    if require and not text and not blocks and not args.get("attachments"):
        raise SlackError("no_text")
    if len(text) > _MAX_TEXT:
        raise SlackError("msg_too_long")
    if blocks is not None:
        errors = block_errors(blocks, limit=50)
        if errors:
            raise SlackError("invalid_blocks", errors=errors)
        blocks = with_block_ids(blocks, None)
    return text, blocks


_BLOCK_TYPES = {
    "section",
    "context",
    "divider",
    "actions",
    "header",
    "input",
    "image",
    "rich_text",
    "markdown",
    "file",
    "video",
}


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def block_errors(blocks: Any, limit: int) -> list[str]:
    """A light check of Slack's Block Kit limits, so a bad message fails as on Slack."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    errors = []
    if len(blocks) > limit:
        errors.append(f"must be less than {limit + 1} items")
    for i, b in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(b, dict) or b.get("type") not in _BLOCK_TYPES:
            errors.append(f"unknown block type {where}")
            continue
        kind = b["type"]
        if kind == "section":
            if not b.get("text") and not b.get("fields"):
                errors.append(f"section needs text or fields {where}")
            if _text_len(b.get("text")) > 3000:
                errors.append(f"must be less than 3001 characters {where}/text")
            fields = b.get("fields") or []
            if len(fields) > 10:
                errors.append(f"must be less than 11 items {where}/fields")
            if any(_text_len(f) > 2000 for f in fields):
                errors.append(f"must be less than 2001 characters {where}/fields")
        elif kind == "header" and _text_len(b.get("text")) > 150:
            errors.append(f"must be less than 151 characters {where}/text")
        elif kind == "actions":
            elements = b.get("elements") or []
            if not elements or len(elements) > 25:
                errors.append(f"must have 1 to 25 elements {where}/elements")
        elif kind == "context":
            elements = b.get("elements") or []
            if not elements or len(elements) > 10:
                errors.append(f"must have 1 to 10 elements {where}/elements")
        for _, el in elements_of(b):
            if el.get("type") == "button" and _text_len(el.get("text")) > 75:
                errors.append(f"must be less than 76 characters {where} button text")
            if len(str(el.get("action_id", ""))) > 255:
                errors.append(f"action_id too long {where}")
    return errors


def with_block_ids(blocks: list[dict[str, Any]] | None, _: Any) -> list[dict] | None:
    """Slack gives every block without a ``block_id`` one of its own."""
    if not blocks:
        return blocks
    out = []
    for b in blocks:
        b = dict(b)
        if "block_id" not in b:
            seed = json.dumps(b, sort_keys=True).encode()
            b["block_id"] = hashlib.sha1(seed).hexdigest()[:5]
        out.append(b)
    return out


def elements_of(block: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Interactive elements of a block, as (block_id, element)."""
    bid = block.get("block_id", "")
    if block.get("type") == "actions":
        for el in block.get("elements") or []:
            yield bid, el
    elif block.get("type") in ("section", "input"):
        key = "accessory" if block["type"] == "section" else "element"
        el = block.get(key)
        if isinstance(el, dict):
            yield bid, el


def action_ids(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(bid, el.get("action_id", "")) for b in blocks for bid, el in elements_of(b)]


def find_element(
    blocks: list[dict[str, Any]], action_id: str, block_id: str | None
) -> tuple[str, dict[str, Any]] | None:
    for b in blocks:
        for bid, el in elements_of(b):
            if el.get("action_id") == action_id and (block_id is None or bid == block_id):
                return bid, el
    return None


def find_option(element: dict[str, Any], chosen: dict[str, Any] | str | None) -> dict | None:
    if chosen is None or isinstance(chosen, dict):
        return chosen
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for opt in options:
        if opt.get("value") == chosen:
            return opt
    raise LookupError(f"no option {chosen!r} in {element.get('action_id')!r}")


def action_payload(
    element: dict[str, Any],
    block_id: str,
    value: str | None,
    selected_option: dict[str, Any] | str | None,
    action_ts: str,
) -> dict[str, Any]:
    kind = element.get("type", "button")
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if kind == "button":
        action["text"] = element.get("text")
        action["value"] = value if value is not None else element.get("value")
        if element.get("style"):
            action["style"] = element["style"]
    elif kind in ("static_select", "overflow", "radio_buttons"):
        action["selected_option"] = find_option(element, selected_option or value)
    elif kind == "datepicker":
        action["selected_date"] = value
    elif kind == "users_select":
        action["selected_user"] = value
    elif kind == "conversations_select":
        action["selected_conversation"] = value
    elif kind == "channels_select":
        action["selected_channel"] = value
    else:
        action["value"] = value
    return action


def check_view(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as e:
            raise SlackError("invalid_arguments") from e
    if not isinstance(raw, dict) or raw.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments")
    if raw["type"] == "modal" and not raw.get("title"):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["no title"]})
    errors = block_errors(raw.get("blocks") or [], limit=100)
    if errors:
        raise SlackError("invalid_arguments", response_metadata={"messages": errors})
    spec = copy.deepcopy(raw)
    spec["blocks"] = with_block_ids(spec.get("blocks") or [], None) or []
    return spec


_VIEW_PRIVATE = ("user_id", "channel_id", "open", "errors")


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in view.items() if k not in _VIEW_PRIVATE}


def public_message(msg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "message",
        "user": msg["user"],
        "text": msg["text"],
        "ts": msg["ts"],
    }
    if msg.get("bot_id"):
        out["bot_id"] = msg["bot_id"]
        out["app_id"] = "ACANWE"
    if msg.get("blocks"):
        out["blocks"] = copy.deepcopy(msg["blocks"])
    if msg.get("thread_ts"):
        out["thread_ts"] = msg["thread_ts"]
    if msg.get("reply_count"):
        out["thread_ts"] = msg["ts"]
        out["reply_count"] = msg["reply_count"]
        out["latest_reply"] = msg.get("latest_reply")
    if msg.get("edited"):
        out["edited"] = {"user": msg["user"], "ts": msg.get("edited_ts")}
    if msg.get("metadata"):
        out["metadata"] = msg["metadata"]
    return out


def _empty_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element.get("type", "plain_text_input")
    state: dict[str, Any] = {"type": kind}
    if kind == "datepicker":
        state["selected_date"] = element.get("initial_date")
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = element.get("initial_option")
    elif kind in ("multi_static_select", "checkboxes"):
        state["selected_options"] = element.get("initial_options") or []
    elif kind == "users_select":
        state["selected_user"] = element.get("initial_user")
    elif kind == "timepicker":
        state["selected_time"] = element.get("initial_time")
    else:
        state["value"] = element.get("initial_value")
    return state


def _shaped(element: dict[str, Any], given: Any) -> dict[str, Any]:
    if isinstance(given, dict):
        return {"type": element.get("type", "plain_text_input"), **given}
    state = _empty_state(element)
    kind = state["type"]
    if kind == "datepicker":
        state["selected_date"] = given
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = find_option(element, given) if given else None
    elif kind in ("multi_static_select", "checkboxes"):
        state["selected_options"] = [find_option(element, g) for g in (given or [])]
    elif kind == "users_select":
        state["selected_user"] = given
    elif kind == "timepicker":
        state["selected_time"] = given
    else:
        state["value"] = given
    return state


def view_state(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Slack's ``state.values``: every input in the view, filled from ``values``."""
    state: dict[str, dict[str, Any]] = {}
    known: set[tuple[str, str]] = set()
    for block in view.get("blocks") or []:
        for bid, el in elements_of(block):
            aid = el.get("action_id", "")
            if not aid:
                continue
            known.add((bid, aid))
            given = (values.get(bid) or {}).get(aid)
            if block.get("type") == "input" or given is not None:
                entry = _shaped(el, given) if given is not None else _empty_state(el)
                state.setdefault(bid, {})[aid] = entry
    for bid, actions in values.items():
        for aid in actions:
            if (bid, aid) not in known:
                raise LookupError(f"view {view['id']} has no input {bid}/{aid}; it has {known}")
    return state
