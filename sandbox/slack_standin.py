"""A local stand-in for Slack, at the network boundary.

One fake Slack for the whole project: the end-to-end tests use it as their fixture and the
sandbox (``canwe serve --sandbox``) serves it to a browser.  It plays both sides of Slack:

* the Web API the bot calls (``POST /api/<method>``, answered in Slack's response shapes), and
  ``response_url`` (``POST /response/<n>``);
* the requests Slack sends the bot (slash commands, events, ``block_actions``,
  ``view_submission``), signed exactly as Slack signs them and sent with httpx to
  ``events_url``.

Everything the bot does is recorded in thread-safe memory for assertions (``calls``,
``messages``, ``thread``, ``responses``, ``views``) and ``wait_for`` blocks until a condition
holds.  ``fail`` injects HTTP errors, 429s with ``Retry-After`` or ``ok: false`` answers;
``hang`` makes a method answer only after a delay (a Slack that does not answer).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from sandbox.blockkit import (
    SlackError,
    action_ids,
    action_payload,
    check_view,
    find_element,
    message_content,
    public_message,
    public_view,
    view_state,
    with_block_ids,
)
from sandbox.serve import ThreadedServer

log = logging.getLogger(__name__)

# Fields that slack_sdk and Bolt send as JSON strings inside form-encoded bodies.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass(frozen=True)
class Call:
    """One Web API call the bot made, including calls answered with an injected failure."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    error: str | None = None
    team: str | None = None  # whose token made it (None: the stand-in's own workspace)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class Sent:
    """One request the stand-in sent to the bot, with the bot's answer."""

    kind: str
    body: dict[str, Any]
    status: int
    response_body: str


@dataclass
class _FailRule:
    status: int
    times: int | None
    retry_after: int | None
    error: str | None
    delay: float = 0.0  # seconds before answering (hang)
    team: str | None = None  # only calls with this workspace's token (None: every call)


@dataclass
class _ResponseUrl:
    kind: str  # "command" or "block_actions"
    channel: str
    user: str
    message_ts: str | None = None
    thread_ts: str | None = None
    uses: int = 0


@dataclass
class _Trigger:
    user: str
    channel: str | None
    used: bool = False


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    failures: dict[str, list[_FailRule]] = field(default_factory=dict)
    response_urls: dict[int, _ResponseUrl] = field(default_factory=dict)
    triggers: dict[str, _Trigger] = field(default_factory=dict)
    holding: dict[str, int] = field(default_factory=dict)  # calls held by `hang`, by method
    version: int = 0


class SlackStandIn:
    """A fake Slack workspace served over real HTTP on 127.0.0.1."""

    def __init__(
        self,
        signing_secret: str = "secret",
        team_id: str = "T0CANWE",
        bot_user_id: str = "UCANWEBOT",
        *,
        bot_token: str | None = None,
        bot_id: str = "BCANWE",
        app_id: str = "ACANWE",
        team_domain: str = "canwe-sandbox",
        events_url: str = "http://127.0.0.1:3000/slack/events",
        public_base_url: str | None = None,
        strict_channels: bool = False,
        clock: Callable[[], float] | None = None,
        http_timeout: float = 10.0,
        app_token: str | None = None,
        oauth_client: tuple[str, str] | None = None,
    ) -> None:
        self.signing_secret = signing_secret
        # Socket Mode: the app-level token apps.connections.open takes (xapp-...)
        self.app_token = app_token
        self._sockets: list[_Socket] = []
        self._socket_acks: dict[str, dict[str, Any]] = {}
        # OAuth install: the app's (client id, client secret), and the codes handed out by
        # the authorize page, each good once: code -> (team id, redirect_uri, scopes)
        self.oauth_client = oauth_client
        self.oauth_redirect_uri: str | None = None  # the app settings' redirect URL
        self._oauth_codes: dict[str, tuple[str, str, str]] = {}
        self._installed: list[str] = []  # teams whose code was exchanged, in order
        # other workspaces the app can be installed into: team id -> the bot token an install
        # there hands out (a call with it is that workspace's; see Call.team)
        self.team_tokens: dict[str, str] = {}
        # token rotation: installs hand out tokens that expire and refresh tokens good once
        self.token_rotation = False
        self.token_lifetime_seconds = 12 * 3600
        self._rotated_tokens: dict[str, str] = {}  # access token -> team
        self._refresh_tokens: dict[str, str] = {}  # unused refresh token -> team
        # workspace names (team id -> name), shown on the Allow page and by the sandbox page
        self.team_names: dict[str, str] = {}
        # show Slack's "Allow" page, with its workspace picker, before handing out a code (the
        # sandbox's browser); off, the authorize URL answers at once (tests drive it with httpx)
        self.show_allow_page = False
        # where the sandbox page's "Add to Slack" goes (the app's install path), if anywhere
        self.install_url: str | None = None
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_token = bot_token
        self.bot_id = bot_id
        self.app_id = app_id
        self.team_domain = team_domain
        self.events_url = events_url
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.strict_channels = strict_channels
        self._clock = clock or time.time
        self._cond = threading.Condition(threading.RLock())
        self._state = _State()
        self._seq = 0
        self._last_ts = (0, 0)
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self._server: ThreadedServer | None = None
        self._local_base_url: str | None = None
        self._http = httpx.Client(timeout=http_timeout)
        self._app: Starlette | None = None
        # buttons on the sandbox page that act on the bot's side (skip time, post the digest)
        self.controls: dict[str, tuple[str, Callable[[], str]]] = {}
        # the sandbox page's clock (the bot's, skipped ahead by the page): each message notes
        # when it was posted by it, as the timestamps Slack signs with must stay real time
        self.page_clock: Callable[[], dt.datetime] | None = None
        self.add_user(bot_user_id, "canwe", real_name="canwe", is_bot=True)

    # ------------------------------------------------------------------ server

    @property
    def base_url(self) -> str:
        """Where the bot reaches the stand-in (its own server when started)."""
        if self._local_base_url:
            return self._local_base_url
        if self.public_base_url:
            return self.public_base_url
        raise RuntimeError("SlackStandIn is not started and has no public_base_url")

    @property
    def api_url(self) -> str:
        """The Web API base URL, for ``WebClient(base_url=...)`` or ``SLACK_API_URL``."""
        return self.base_url + "/api/"

    @property
    def browser_base_url(self) -> str:
        """Where a browser reaches the stand-in (permalinks point here)."""
        return self.public_base_url or self.base_url

    def start(self) -> SlackStandIn:
        """Serve on 127.0.0.1 on a free port, in a background thread."""
        if self._server is None:
            self._server = ThreadedServer(self.asgi_app()).start()
            self._local_base_url = self._server.base_url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
        self._local_base_url = None

    def close(self) -> None:
        self.stop()
        self._http.close()

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def asgi_app(self) -> Starlette:
        """The Starlette app: mount it under a prefix, or let ``start()`` serve it."""
        if self._app is None:
            routes = [
                Route("/api/{method}", self._http_api, methods=["GET", "POST"]),
                Route("/response/{n:int}", self._http_response_url, methods=["POST"]),
                Route("/archives/{channel}/{p}", self._http_permalink, methods=["GET"]),
                WebSocketRoute("/socket-mode", self._socket_mode),
                Route("/oauth/v2/authorize", self._http_oauth_authorize, methods=["GET"]),
            ]
            from sandbox import page  # the browser page's routes (sandbox/page.py)

            routes.extend(page.routes(self))
            self._app = Starlette(routes=routes)
        return self._app

    # ------------------------------------------------------------ workspace data

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "America/New_York",
        *,
        is_bot: bool = False,
        is_admin: bool = False,
        title: str = "",
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """A member of `team_id`'s workspace (by default the stand-in's own)."""
        real = real_name or name
        team_id = team_id or self.team_id
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": 0,
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {
                "real_name": real,
                "display_name": name,
                "real_name_normalized": real,
                "display_name_normalized": name,
                "title": title,
                "team": team_id,
            },
        }
        with self._cond:
            self.users[user_id] = user
            self._changed()
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_im: bool = False,
        *,
        team_id: str | None = None,
        **extra: Any,
    ) -> dict:
        """A channel of `team_id`'s workspace (a DM: its user's; else the stand-in's own)."""
        if team_id is None and is_im:
            team_id = self.team_of(extra.get("user") or channel_id[1:])
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_im and not channel_id.startswith("G"),
            "is_group": channel_id.startswith("G"),
            "is_im": is_im,
            "is_mpim": False,
            "is_private": is_im or channel_id.startswith("G"),
            "is_member": True,
            "is_archived": False,
            "created": int(self._clock()),
            "context_team_id": team_id or self.team_id,
            **extra,
        }
        if is_im:
            channel["user"] = extra.get("user") or channel_id[1:]
        with self._cond:
            self.channels[channel_id] = channel
            self._state.messages.setdefault(channel_id, [])
            self._changed()
        return channel

    def add_control(self, control_id: str, label: str, action: Callable[[], str]) -> None:
        """A button on the sandbox page; ``action`` runs in a worker thread and returns the
        line the page shows when it is done."""
        with self._cond:
            self.controls[control_id] = (label, action)
            self._changed()

    def _ensure_channel(self, channel_id: str) -> str:
        """Resolve a channel argument the way Slack does (a user id means the bot's DM)."""
        if not channel_id:
            raise SlackError("channel_not_found")
        if channel_id.startswith("#"):
            for cid, ch in self.channels.items():
                if ch["name"] == channel_id[1:]:
                    return cid
            raise SlackError("channel_not_found")
        if channel_id[0] in "UW":
            return self._open_im(channel_id)
        if channel_id not in self.channels:
            if self.strict_channels or channel_id[0] not in "CGD":
                raise SlackError("channel_not_found")
            is_im = channel_id.startswith("D")
            self.add_channel(channel_id, channel_id.lower(), is_im=is_im)
        return channel_id

    def _open_im(self, user_id: str) -> str:
        cid = "D" + user_id
        if cid not in self.channels:
            name = self.users.get(user_id, {}).get("name", user_id.lower())
            self.add_channel(cid, name, is_im=True, user=user_id)
        return cid

    def _user(self, user_id: str, user_name: str | None = None) -> dict[str, Any]:
        """The user record; a user who acts in the workspace exists in it."""
        if user_id not in self.users:
            self.add_user(user_id, user_name or user_id.lower())
        return self.users[user_id]

    def team_of(self, user_id: str | None) -> str:
        """The workspace a person belongs to, and acts in (unknown: the stand-in's own)."""
        user = self.users.get(user_id or "")
        return user["team_id"] if user else self.team_id

    def channel_team(self, channel_id: str) -> str:
        channel = self.channels.get(channel_id)
        return channel["context_team_id"] if channel else self.team_id

    @property
    def installed_teams(self) -> list[str]:
        """Workspaces the app was installed into (their code exchanged), first install first."""
        with self._cond:
            return list(self._installed)

    # ------------------------------------------------------------- recorded state

    def reset(self) -> None:
        """Forget every recorded call, message, response, view and failure rule."""
        with self._cond:
            self._state = _State(version=self._state.version + 1)
            for cid in self.channels:
                self._state.messages[cid] = []
            self._cond.notify_all()

    def calls(self, method: str | None = None) -> list[Call]:
        """Every Web API call in order, failed attempts included (see ``Call.ok``)."""
        with self._cond:
            return [c for c in self._state.calls if method is None or c.method == method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in a channel, in posting order: top-level, replies and ephemerals."""
        with self._cond:
            return copy.deepcopy(self._state.messages.get(channel, []))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._cond:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found else None

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent message followed by its replies (like ``conversations.replies``)."""
        with self._cond:
            return [
                copy.deepcopy(m)
                for m in self._state.messages.get(channel, [])
                if m["ts"] == ts or m.get("thread_ts") == ts
            ]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Bodies the bot POSTed to ``response_url``s, in order."""
        with self._cond:
            return copy.deepcopy(self._state.responses)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Views opened, pushed or updated, by view id (``open`` says if still shown)."""
        with self._cond:
            return copy.deepcopy(self._state.views)

    @property
    def sent(self) -> list[Sent]:
        """Requests the stand-in sent to the bot, with the bot's answers."""
        with self._cond:
            return list(self._state.sent)

    @property
    def version(self) -> int:
        """Increases on every change of state; the page polls on it."""
        with self._cond:
            return self._state.version

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Block until ``predicate()`` is truthy (re-checked on every change of state)."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout=timeout)
            if result:
                return result
            raise AssertionError(f"condition not met within {timeout}s\n" + self.dump(), predicate)

    def wait_version(self, since: int, timeout: float) -> int:
        """Block until the state changes after version ``since`` (or timeout)."""
        with self._cond:
            self._cond.wait_for(lambda: self._state.version != since, timeout=timeout)
            return self._state.version

    def dump(self, last: int = 20) -> str:
        """Recent calls and requests, for failure messages."""
        with self._cond:
            lines = ["recent Web API calls:"]
            for c in self._state.calls[-last:]:
                args = {k: v for k, v in c.args.items() if k not in ("blocks", "view")}
                note = "" if c.ok else f" -> {c.status} {c.error or ''}"
                lines.append(f"  {c.method} {json.dumps(args, default=str)[:300]}{note}")
            lines.append("recent requests to the bot:")
            for s in self._state.sent[-last:]:
                lines.append(f"  {s.kind} -> {s.status} {s.response_body[:200]}")
            return "\n".join(lines)

    def _changed(self) -> None:
        self._state.version += 1
        self._cond.notify_all()

    # ---------------------------------------------------------- fault injection

    def fail(
        self,
        method: str,
        status: int | None = None,
        times: int | None = 1,
        retry_after: int | None = None,
        error: str | None = None,
        team: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with a failure (None: until reset),
        only those made with `team`'s token when it is given (see `team_tokens`).

        ``status`` alone gives that HTTP status (429 carries ``Retry-After`` when given);
        ``error`` gives HTTP 200 with ``{"ok": false, "error": error}``.
        """
        if status is None:
            status = 200 if error else 500
        with self._cond:
            rule = _FailRule(
                status=status, times=times, retry_after=retry_after, error=error, team=team
            )
            self._state.failures.setdefault(method, []).append(rule)

    def hang(self, method: str, seconds: float, times: int | None = 1) -> None:
        """Answer the next ``times`` calls to ``method`` only after ``seconds`` (None: until
        reset), the way a Slack that does not answer looks to a client with a timeout."""
        with self._cond:
            rule = _FailRule(status=200, times=times, retry_after=None, error=None, delay=seconds)
            self._state.failures.setdefault(method, []).append(rule)

    def holding(self, method: str) -> int:
        """How many calls to ``method`` are being held by ``hang`` right now (in flight)."""
        with self._cond:
            return self._state.holding.get(method, 0)

    def clear_failures(self) -> None:
        with self._cond:
            self._state.failures.clear()

    def _take_failure(self, method: str, team: str | None) -> _FailRule | None:
        rules = self._state.failures.get(method) or []
        for rule in list(rules):
            if rule.team is not None and rule.team != team:
                continue  # another workspace's failure
            if rule.times is None:
                return rule
            if rule.times > 0:
                rule.times -= 1
                if rule.times == 0:
                    rules.remove(rule)
                return rule
            rules.remove(rule)
        return None

    def _team_of(self, token: str | None) -> str | None:
        """Whose token this is: a team of `team_tokens`, or of a rotated token."""
        if token is None:
            return None
        found = next((t for t, known in self.team_tokens.items() if known == token), None)
        return found or self._rotated_tokens.get(token)

    # -------------------------------------------------------------- id makers

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _new_ts(self) -> str:
        sec = int(self._clock())
        last_sec, last_micro = self._last_ts
        if sec <= last_sec:
            sec, micro = last_sec, last_micro + 1
            if micro >= 1_000_000:
                sec, micro = sec + 1, 0
        else:
            micro = 0
        self._last_ts = (sec, micro)
        return f"{sec}.{micro:06d}"

    def _new_trigger(self, user: str, channel: str | None) -> str:
        n = self._next()
        trigger = f"{n}.{int(self._clock())}.{uuid.uuid4().hex[:24]}"
        self._state.triggers[trigger] = _Trigger(user=user, channel=channel)
        return trigger

    def _new_response_url(self, entry: _ResponseUrl) -> str:
        n = self._next()
        self._state.response_urls[n] = entry
        return f"{self.base_url}/response/{n}"

    # ------------------------------------------------------------- Web API

    async def _http_api(self, request: Request) -> Response:
        method = request.path_params["method"]
        args: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        ctype = request.headers.get("content-type", "")
        if raw:
            if "json" in ctype:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return JSONResponse({"ok": False, "error": "invalid_json"})
                if isinstance(body, dict):
                    args.update(body)
            else:
                args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        for key in _JSON_FIELDS:
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    return self._record_and_answer(method, args, 200, "invalid_" + key)
        token = _bearer(request.headers.get("authorization")) or args.pop("token", None)
        with self._cond:
            team = self._team_of(token)
            rule = self._take_failure(method, team)
        if rule is not None and rule.delay:
            with self._cond:
                self._state.holding[method] = self._state.holding.get(method, 0) + 1
                self._changed()
            try:
                await asyncio.sleep(rule.delay)  # then answer as usual
            finally:
                with self._cond:
                    self._state.holding[method] -= 1
            rule = None
        with self._cond:
            if rule is not None:
                return self._record_and_answer(
                    method, args, rule.status, rule.error, retry_after=rule.retry_after
                )
            if method == "oauth.v2.access":
                # the app's client id and secret (HTTP Basic, as slack_sdk sends them)
                if not self._oauth_client_matches(request.headers.get("authorization"), args):
                    return self._record_and_answer(method, args, 200, "invalid_client_id")
            elif not token:
                return self._record_and_answer(method, args, 200, "not_authed")
            elif method == "apps.connections.open":
                # Slack wants the app-level token here, and only that
                if self.app_token is None or token != self.app_token:
                    return self._record_and_answer(method, args, 200, "invalid_auth")
            elif self.bot_token is not None and token != self.bot_token and team is None:
                return self._record_and_answer(method, args, 200, "invalid_auth")
            handler = _API_METHODS.get(method)
            if handler is None:
                return self._record_and_answer(method, args, 200, "unknown_method")
            try:
                result = handler(self, args)
                if method == "auth.test" and team is not None:
                    result = {**result, "team_id": team}
            except SlackError as e:
                return self._record_and_answer(method, args, 200, e.code, extra=e.extra)
            self._state.calls.append(Call(method, args, self._clock(), team=team))
            self._changed()
        return JSONResponse({"ok": True, **result})

    def _record_and_answer(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        error: str | None,
        *,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        with self._cond:
            self._state.calls.append(Call(method, args, self._clock(), status, error))
            self._changed()
        headers = {}
        if status == 429:
            error = error or "ratelimited"
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
        elif status >= 500:
            error = error or "fatal_error"
        return JSONResponse(
            {"ok": False, "error": error, **(extra or {})}, status_code=status, headers=headers
        )

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": self.users[self.bot_user_id]["name"],
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        text, blocks = message_content(args)
        thread_ts = self._thread_root(channel, args.get("thread_ts"))
        msg = self._add_message(
            channel,
            user=self.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            bot=True,
            metadata=args.get("metadata"),
        )
        return {"channel": channel, "ts": msg["ts"], "message": public_message(msg)}

    def _api_chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        user = args.get("user")
        if not user:
            raise SlackError("user_not_found")
        if user not in self.users:
            raise SlackError("user_not_found")
        text, blocks = message_content(args)
        thread_ts = self._thread_root(channel, args.get("thread_ts"))
        msg = self._add_message(
            channel,
            user=self.bot_user_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            bot=True,
            ephemeral_to=user,
        )
        return {"message_ts": msg["ts"]}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        msg = self._find_message(channel, ts)
        if msg is None or msg.get("ephemeral_to"):
            raise SlackError("message_not_found")
        if msg["user"] != self.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks = message_content(args, require=False)
        if "text" in args:
            msg["text"] = text
        if "blocks" in args:
            msg["blocks"] = blocks
        self._mark_edited(msg)
        return {
            "channel": channel,
            "ts": ts,
            "text": msg["text"],
            "message": public_message(msg),
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        ts = str(args.get("ts") or "")
        msg = self._find_message(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        self._state.messages[channel].remove(msg)
        return {"channel": channel, "ts": ts}

    def _api_chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        ts = str(args.get("message_ts") or "")
        msg = self._find_message(channel, ts)
        if msg is None:
            raise SlackError("message_not_found")
        return {"channel": channel, "permalink": self.permalink(channel, ts)}

    def permalink(self, channel: str, ts: str) -> str:
        link = f"{self.browser_base_url}/archives/{channel}/p{ts.replace('.', '')}"
        msg = self._find_message(channel, ts)
        if msg and msg.get("thread_ts"):
            link += "?" + urlencode({"thread_ts": msg["thread_ts"], "cid": channel})
        return link

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if args.get("channel"):
            channel = self._ensure_channel(str(args["channel"]))
            return {"channel": copy.deepcopy(self.channels[channel])}
        if len(users) != 1:
            raise SlackError("not_implemented" if users else "users_list_not_supplied")
        if users[0] not in self.users:
            raise SlackError("user_not_found")
        already = ("D" + users[0]) in self.channels
        cid = self._open_im(users[0])
        out: dict[str, Any] = {"channel": {"id": cid}}
        if args.get("return_im") in (True, "true", "1", 1):
            out["channel"] = copy.deepcopy(self.channels[cid])
        if already:
            out["already_open"] = True
        return out

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(args.get("channel") or "")
        if cid not in self.channels:
            raise SlackError("channel_not_found")
        return {"channel": copy.deepcopy(self.channels[cid])}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(args.get("channel") or "")
        if cid not in self.channels:
            raise SlackError("channel_not_found")
        msgs = [
            public_message(m)
            for m in self._state.messages.get(cid, [])
            if not m.get("thread_ts") and not m.get("ephemeral_to")
        ]
        return {"messages": list(reversed(msgs)), "has_more": False}

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = str(args.get("channel") or "")
        ts = str(args.get("ts") or "")
        if cid not in self.channels:
            raise SlackError("channel_not_found")
        root = self._find_message(cid, ts)
        if root is None:
            raise SlackError("thread_not_found")
        msgs = [
            public_message(m)
            for m in self._state.messages.get(cid, [])
            if (m["ts"] == ts or m.get("thread_ts") == ts) and not m.get("ephemeral_to")
        ]
        return {"messages": msgs, "has_more": False}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        uid = str(args.get("user") or "")
        if uid not in self.users:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(self.users[uid])}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(str(args.get("trigger_id") or ""))
        view = self._new_view(args.get("view"), user=trigger.user, channel=trigger.channel)
        return {"view": public_view(view)}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(str(args.get("trigger_id") or ""))
        stack = self._open_views(trigger.user)
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        view = self._new_view(
            args.get("view"), user=trigger.user, channel=trigger.channel, parent=stack[-1]
        )
        return {"view": public_view(view)}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._view_by_ref(args.get("view_id"), args.get("external_id"))
        if args.get("hash") and args["hash"] != view["hash"]:
            raise SlackError("hash_conflict")
        new = check_view(args.get("view"))
        self._replace_view(view, new)
        return {"view": public_view(view)}

    def _api_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._ensure_channel(str(args.get("channel") or ""))
        msg = self._find_message(channel, str(args.get("timestamp") or ""))
        if msg is None:
            raise SlackError("message_not_found")
        name = str(args.get("name") or "")
        if name in msg.setdefault("reactions", []):
            raise SlackError("already_reacted")
        msg["reactions"].append(name)
        return {}

    # ------------------------------------------------------- messages and views

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for m in self._state.messages.get(channel, []):
            if m["ts"] == ts:
                return m
        return None

    def _thread_root(self, channel: str, thread_ts: Any) -> str | None:
        if not thread_ts:
            return None
        thread_ts = str(thread_ts)
        parent = self._find_message(channel, thread_ts)
        if parent is not None and parent.get("thread_ts"):
            return parent["thread_ts"]  # a reply to a reply lands in the same thread
        return thread_ts

    def _add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None = None,
        bot: bool = False,
        ephemeral_to: str | None = None,
        ts: str | None = None,
        metadata: Any = None,
        source: str = "api",
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "ts": ts or self._new_ts(),
            "thread_ts": thread_ts,
            "user": user,
            "bot_id": self.bot_id if bot else None,
            "text": text,
            "blocks": blocks,
            "ephemeral_to": ephemeral_to,
            "edited": False,
            "reply_count": 0,
            "source": source,
        }
        if metadata:
            msg["metadata"] = metadata
        if self.page_clock is not None:
            msg["posted_at"] = self.page_clock()
        self._state.messages.setdefault(channel, []).append(msg)
        if thread_ts and not ephemeral_to:
            parent = self._find_message(channel, thread_ts)
            if parent is not None:
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = msg["ts"]
        self._changed()
        return msg

    def _mark_edited(self, msg: dict[str, Any]) -> None:
        msg["edited"] = True
        msg["edited_ts"] = self._new_ts()
        msg["updates"] = msg.get("updates", 0) + 1
        self._changed()

    def _use_trigger(self, trigger_id: str) -> _Trigger:
        trigger = self._state.triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        trigger.used = True
        return trigger

    def _open_views(self, user: str) -> list[dict[str, Any]]:
        return [v for v in self._state.views.values() if v["user_id"] == user and v["open"]]

    def _new_view(
        self,
        raw: Any,
        *,
        user: str,
        channel: str | None,
        parent: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        spec = check_view(raw)
        view_id = f"V{self._next():010d}"
        view = {
            **spec,
            "id": view_id,
            "team_id": self.team_of(user),
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "external_id": spec.get("external_id", ""),
            "state": {"values": {}},
            "hash": uuid.uuid4().hex[:16],
            "root_view_id": parent["root_view_id"] if parent else view_id,
            "previous_view_id": parent["id"] if parent else None,
            "user_id": user,
            "channel_id": channel,
            "open": True,
            "errors": {},
        }
        self._state.views[view_id] = view
        self._changed()
        return view

    def _replace_view(self, view: dict[str, Any], spec: dict[str, Any]) -> None:
        keep = {
            k: view[k]
            for k in (
                "id",
                "team_id",
                "app_id",
                "bot_id",
                "root_view_id",
                "previous_view_id",
                "user_id",
                "channel_id",
                "open",
            )
        }
        view.clear()
        view.update(spec)
        view.update(keep)
        view.setdefault("private_metadata", "")
        view.setdefault("callback_id", "")
        view.setdefault("external_id", "")
        view["state"] = {"values": {}}
        view["hash"] = uuid.uuid4().hex[:16]
        view["errors"] = {}
        self._changed()

    def _view_by_ref(self, view_id: Any, external_id: Any) -> dict[str, Any]:
        if view_id:
            view = self._state.views.get(str(view_id))
            if view is not None:
                return view
        elif external_id:
            for view in self._state.views.values():
                if view.get("external_id") == external_id:
                    return view
        raise SlackError("not_found")

    # ------------------------------------------------------------ response_url

    async def _http_response_url(self, request: Request) -> Response:
        n = request.path_params["n"]
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(body, dict):
            return PlainTextResponse("invalid_payload", status_code=400)
        with self._cond:
            entry = self._state.response_urls.get(n)
            if entry is None:
                return PlainTextResponse("no_such_response_url", status_code=404)
            if entry.uses >= 5:  # Slack allows five uses in thirty minutes
                return PlainTextResponse("used_url", status_code=404)
            entry.uses += 1
            self._state.responses.append(copy.deepcopy(body))
            self._apply_response(entry, body)
            self._changed()
        return PlainTextResponse("ok")

    def _apply_response(self, entry: _ResponseUrl, body: dict[str, Any]) -> None:
        """Show a ``response_url`` (or slash command ack) body the way Slack would."""
        original = self._find_message(entry.channel, entry.message_ts) if entry.message_ts else None
        if _truthy(body.get("delete_original")) and original is not None:
            self._state.messages[entry.channel].remove(original)
            return
        blocks = body.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if _truthy(body.get("replace_original")) and original is not None:
            original["text"] = str(body.get("text") or "")
            original["blocks"] = with_block_ids(blocks, self) if blocks else None
            self._mark_edited(original)
            return
        if not body.get("text") and not blocks:
            return
        in_channel = body.get("response_type") == "in_channel"
        thread_ts = body.get("thread_ts") or entry.thread_ts
        self._add_message(
            entry.channel,
            user=self.bot_user_id,
            text=str(body.get("text") or ""),
            blocks=with_block_ids(blocks, self) if blocks else None,
            thread_ts=self._thread_root(entry.channel, thread_ts),
            bot=True,
            ephemeral_to=None if in_channel else entry.user,
            source="response_url" if entry.uses else "command_ack",
        )

    async def _http_permalink(self, request: Request) -> Response:
        channel = request.path_params["channel"]
        p = request.path_params["p"].lstrip("p")
        ts = f"{p[:-6]}.{p[-6:]}" if len(p) > 6 else p
        thread_ts = request.query_params.get("thread_ts") or ts
        root = request.scope.get("root_path", "")
        team = self.channel_team(channel)  # the page opens that workspace
        target = f"{root}/#workspace={team}&channel={channel}&thread={thread_ts}&ts={ts}"
        return RedirectResponse(target)

    # ------------------------------------------------------- Slack -> the bot

    def sign(self, body: bytes, timestamp: int | str) -> str:
        base = b"v0:" + str(timestamp).encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return "v0=" + digest

    def send_signed(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        url: str | None = None,
        kind: str = "raw",
    ) -> httpx.Response:
        """POST ``body`` to the bot signed as Slack signs it.

        ``timestamp`` (default now) and ``signature`` can be forced to test rejection.
        """
        ts = int(self._clock()) if timestamp is None else int(timestamp)
        sig = signature if signature is not None else self.sign(body, ts)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sig,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        response = self._http.post(url or self.events_url, content=body, headers=all_headers)
        with self._cond:
            try:
                if "json" in content_type:
                    parsed = json.loads(body)
                else:
                    parsed = dict(parse_qsl(body.decode()))
            except ValueError:
                parsed = {"raw": body.decode("utf-8", "replace")}
            self._state.sent.append(Sent(kind, parsed, response.status_code, response.text))
            self._changed()
        return response

    def _send_form(self, form: dict[str, str], kind: str) -> httpx.Response:
        return self.send_signed(
            urlencode(form).encode(), "application/x-www-form-urlencoded", kind=kind
        )

    def _team(self, user_id: str) -> dict[str, Any]:
        """The workspace a request from `user_id` comes from: their own."""
        return {"id": self.team_of(user_id), "domain": self.team_domain}

    def _payload_user(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        return {
            "id": user_id,
            "username": user["name"],
            "name": user["name"],
            "team_id": user["team_id"],
        }

    def send_command(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        command: str = "/canwe",
        user_name: str | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> httpx.Response:
        """Send a slash command (from `team_id`'s workspace, by default the user's own);
        a body in the bot's ack is shown as Slack shows it."""
        with self._cond:
            user = self._user(user_id, user_name)
            channel = self._ensure_channel(channel_id)
            entry = _ResponseUrl(kind="command", channel=channel, user=user_id)
            response_url = self._new_response_url(entry)
            trigger = trigger_id or self._new_trigger(user_id, channel)
            if trigger_id and trigger_id not in self._state.triggers:
                self._state.triggers[trigger_id] = _Trigger(user=user_id, channel=channel)
        form = self._command_form(
            user_id, user_name or user["name"], channel, command, text, response_url, trigger
        )
        if team_id is not None:
            form["team_id"] = team_id
        response = self._send_form(form, "command")
        self._show_ack(response, entry)
        return response

    def _command_form(
        self,
        user_id: str,
        user_name: str,
        channel: str,
        command: str,
        text: str,
        response_url: str,
        trigger: str,
    ) -> dict[str, str]:
        form = {
            "token": "sandbox-verification-token",
            "team_id": self.team_of(user_id),
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self.channels[channel]["name"],
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger,
        }
        if channel.startswith("D"):
            form["channel_name"] = "directmessage"
        return form

    # ------------------------------------------------------------ OAuth install

    async def _http_oauth_authorize(self, request: Request) -> Response:
        """Slack's "Allow" page: back to the app's redirect_uri with a code (`team` picks the
        workspace, as the picker on Slack's page does; default this stand-in's). With
        `show_allow_page` and no `team` chosen yet, the page itself, for a person to click."""
        query = request.query_params
        if self.oauth_client is None or query.get("client_id") != self.oauth_client[0]:
            return PlainTextResponse("invalid_client_id", status_code=400)
        redirect_uri = query.get("redirect_uri") or self.oauth_redirect_uri
        if not redirect_uri:
            return PlainTextResponse("bad_redirect_uri", status_code=400)
        if self.show_allow_page and not query.get("team"):
            return HTMLResponse(self._allow_page(query), headers={"Cache-Control": "no-store"})
        code = uuid.uuid4().hex
        with self._cond:
            self._oauth_codes[code] = (
                query.get("team") or self.team_id,
                redirect_uri,
                query.get("scope", ""),
            )
        state = query.get("state", "")
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    def _oauth_client_matches(self, authorization: str | None, args: dict[str, Any]) -> bool:
        if self.oauth_client is None:
            return False
        client_id, secret = args.get("client_id"), args.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
            except ValueError:
                return False
            client_id, _, secret = decoded.partition(":")
        return (client_id, secret) == self.oauth_client

    def _api_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("grant_type") == "refresh_token":
            return self._refreshed(str(args.get("refresh_token")))
        found = self._oauth_codes.pop(str(args.get("code")), None)
        if found is None:
            raise SlackError("invalid_code")
        team_id, redirect_uri, scopes = found
        if args.get("redirect_uri") and args["redirect_uri"] != redirect_uri:
            raise SlackError("bad_redirect_uri")
        if team_id not in self._installed:
            self._installed.append(team_id)
        answer = {
            "app_id": self.app_id,
            "authed_user": {"id": "U0INSTALLR"},
            "scope": scopes,
            "token_type": "bot",
            "access_token": self.team_tokens.get(team_id)
            or self.bot_token
            or "xoxb-standin-installed",
            "bot_user_id": self.bot_user_id,
            "team": {"id": team_id, "name": self.team_names.get(team_id, self.team_domain)},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if self.token_rotation:
            answer.update(self._new_rotated_token(team_id))
        return answer

    def _new_rotated_token(self, team_id: str) -> dict[str, Any]:
        """With token rotation on, Slack hands out a token that expires and a refresh token
        that can be used once."""
        n = self._next()
        access, refresh = f"xoxe.xoxb-{team_id}-{n}", f"xoxe-1-{team_id}-{n}"
        self._rotated_tokens[access] = team_id
        self._refresh_tokens[refresh] = team_id
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.token_lifetime_seconds,
        }

    def _refreshed(self, refresh_token: str) -> dict[str, Any]:
        team_id = self._refresh_tokens.pop(refresh_token, None)
        if team_id is None:  # used already: a second refresher is locked out
            raise SlackError("invalid_refresh_token")
        return {
            "app_id": self.app_id,
            "token_type": "bot",
            "scope": ",".join(["commands", "chat:write"]),
            "bot_user_id": self.bot_user_id,
            "team": {"id": team_id, "name": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            **self._new_rotated_token(team_id),
        }

    def _allow_page(self, query: Any) -> str:
        """Slack's authorize page in brief: the app, its scopes, which workspace, "Allow".
        Workspaces not yet installed come first, so "Allow" installs the next one."""
        teams = list(self.team_names) or [self.team_id]
        teams.sort(key=lambda team: team in self._installed)
        options = "".join(
            f'<option value="{escape(team)}">{escape(self.team_names.get(team, team))}'
            f"{' (installed)' if team in self._installed else ''}</option>"
            for team in teams
        )
        kept = "".join(
            f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
            for key, value in query.multi_items()
            if key != "team"
        )
        scopes = "".join(
            f"<li><code>{escape(scope)}</code></li>" for scope in query.get("scope", "").split(",")
        )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Install canwe (Slack stand-in)</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;"
            "padding:0 1rem}button{font-size:1rem;padding:.5rem 1.5rem;background:#007a5a;"
            "color:#fff;border:0;border-radius:4px}select{font-size:1rem}</style></head><body>"
            "<p><small>Slack stand-in: the authorize page, not Slack</small></p>"
            "<h1>canwe is requesting permission to access a workspace</h1>"
            '<form method="get" aria-label="Allow">'
            f'<label>Workspace <select name="team" id="team">{options}</select></label>{kept}'
            f"<p>It will be able to:</p><ul>{scopes}</ul>"
            '<button type="submit" id="allow">Allow</button></form></body></html>'
        )

    # ------------------------------------------------------------ Socket Mode

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "ws" + self.base_url.removeprefix("http") + "/socket-mode"}

    async def _socket_mode(self, websocket: WebSocket) -> None:
        """One Socket Mode connection: hello, then the app's acks to what was sent."""
        await websocket.accept()
        socket = _Socket(websocket, asyncio.get_running_loop())
        await websocket.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._cond:
            self._sockets.append(socket)
            self._changed()
        try:
            while True:
                ack = await websocket.receive_json()
                if isinstance(ack, dict) and isinstance(ack.get("envelope_id"), str):
                    with self._cond:
                        self._socket_acks[ack["envelope_id"]] = ack
                        self._changed()
        except (WebSocketDisconnect, ValueError):
            pass
        finally:
            with self._cond:
                self._sockets.remove(socket)
                self._changed()

    def wait_for_socket(self, timeout: float = 10.0) -> None:
        """Wait until the app has connected in Socket Mode."""
        self.wait_for(lambda: self._sockets, timeout=timeout)

    def send_command_over_socket(
        self, user_id: str, channel_id: str, text: str, command: str = "/canwe"
    ) -> dict[str, Any]:
        """A slash command sent as Slack sends it in Socket Mode: an envelope on the socket,
        acked by the app with the envelope's id (a payload in the ack is shown as the reply).
        Returns the ack."""
        with self._cond:
            user = self._user(user_id, None)
            channel = self._ensure_channel(channel_id)
            entry = _ResponseUrl(kind="command", channel=channel, user=user_id)
            response_url = self._new_response_url(entry)
            trigger = self._new_trigger(user_id, channel)
            socket = self._sockets[-1] if self._sockets else None
        if socket is None:
            raise RuntimeError("no app is connected in Socket Mode")
        envelope_id = str(uuid.uuid4())
        form = self._command_form(
            user_id, user["name"], channel, command, text, response_url, trigger
        )
        envelope = {
            "envelope_id": envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": form,
        }
        asyncio.run_coroutine_threadsafe(socket.websocket.send_json(envelope), socket.loop).result(
            timeout=5
        )
        ack = self.wait_for(lambda: self._socket_acks.get(envelope_id), timeout=5)
        with self._cond:
            self._state.sent.append(Sent("command", form, 200, json.dumps(ack)))
            if isinstance(ack.get("payload"), dict) and ack["payload"]:
                self._apply_response(entry, ack["payload"])
            self._changed()
        return ack

    def _show_ack(self, response: httpx.Response, entry: _ResponseUrl) -> None:
        if response.status_code != 200 or not response.content:
            return
        if "json" in response.headers.get("content-type", ""):
            try:
                body = response.json()
            except ValueError:
                return
            if not isinstance(body, dict):
                return
        else:
            body = {"text": response.text}
        with self._cond:
            self._apply_response(entry, body)
            self._changed()

    def send_event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
    ) -> httpx.Response:
        """Send an Events API ``event_callback`` (with ``X-Slack-Retry-Num`` for a retry),
        from `team_id`'s workspace (by default that of the event's user, else the stand-in's
        own)."""
        team_id = team_id or self.team_of(event.get("user"))
        with self._cond:
            event = dict(event)
            event.setdefault("event_ts", event.get("ts") or self._new_ts())
            eid = event_id or f"Ev{self._next():010d}"
        envelope = {
            "token": "sandbox-verification-token",
            "team_id": team_id,
            "context_team_id": team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": eid,
            "event_time": int(self._clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.send_signed(
            json.dumps(envelope).encode(), "application/json", headers, kind=event["type"]
        )

    def _human_message(
        self,
        event_type: str,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None,
        ts: str | None,
    ) -> dict[str, Any]:
        with self._cond:
            self._user(user_id)
            channel = self._ensure_channel(channel_id)
            root = self._thread_root(channel, thread_ts)
            existing = self._find_message(channel, ts) if ts else None
            if existing is None:
                msg = self._add_message(
                    channel,
                    user=user_id,
                    text=text,
                    blocks=None,
                    thread_ts=root,
                    ts=ts,
                    source="human",
                )
                ts = msg["ts"]
            ch = self.channels[channel]
        event: dict[str, Any] = {
            "type": event_type,
            "user": user_id,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "team": self.team_of(user_id),
            "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{ts}")),
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": uuid.uuid4().hex[:5],
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                    ],
                }
            ],
        }
        if event_type == "message":
            event["channel_type"] = (
                "im" if ch["is_im"] else "group" if ch["is_group"] else "channel"
            )
        if root:
            event["thread_ts"] = root
            with self._cond:
                parent = self._find_message(channel, root)
            if parent is not None:
                event["parent_user_id"] = parent["user"]
        return event

    def send_mention(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        event_id: str | None = None,
        *,
        ts: str | None = None,
        retry_num: int | None = None,
        also_message: bool = False,
    ) -> httpx.Response:
        """A user posts ``<@bot> text``: recorded in the channel, sent as ``app_mention``.

        Slack also delivers the same post as a ``message`` event (``message.channels``), with
        its own event id; ``also_message=True`` sends that one too, after the mention (the
        sandbox page does).  The ``app_mention`` response is returned.
        """
        full = f"<@{self.bot_user_id}> {text}"
        event = self._human_message("app_mention", user_id, channel_id, full, thread_ts, ts)
        response = self.send_event(event, event_id=event_id, retry_num=retry_num)
        if also_message:
            message = self._human_message(
                "message", user_id, event["channel"], full, thread_ts, event["ts"]
            )
            self.send_event(message)
        return response

    def send_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        event_id: str | None = None,
        *,
        ts: str | None = None,
        retry_num: int | None = None,
        team_id: str | None = None,
    ) -> httpx.Response:
        """A user posts a message (a thread reply with ``thread_ts``), sent as ``message``."""
        event = self._human_message("message", user_id, channel_id, text, thread_ts, ts)
        return self.send_event(event, event_id=event_id, retry_num=retry_num, team_id=team_id)

    def send_block_action(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        selected_option: dict[str, Any] | str | None = None,
    ) -> httpx.Response:
        """Click a button (or pick an option) in a recorded message."""
        with self._cond:
            user = self._payload_user(user_id)
            channel = self._ensure_channel(channel_id)
            msg = self._find_message(channel, message_ts)
            if msg is None:
                raise LookupError(f"no message {message_ts} in {channel}\n{self.dump()}")
            if msg.get("ephemeral_to") and msg["ephemeral_to"] != user_id:
                raise LookupError(f"message {message_ts} is ephemeral to someone else")
            found = find_element(msg.get("blocks") or [], action_id, block_id)
            if found is None:
                ids = [a for _, a in action_ids(msg.get("blocks") or [])]
                raise LookupError(f"no element {action_id!r} in message; it has {ids}")
            blk_id, element = found
            action = action_payload(element, blk_id, value, selected_option, self._new_ts())
            ephemeral = bool(msg.get("ephemeral_to"))
            entry = _ResponseUrl(
                kind="block_actions",
                channel=channel,
                user=user_id,
                message_ts=message_ts,
                thread_ts=msg.get("thread_ts"),
            )
            response_url = self._new_response_url(entry)
            trigger = self._new_trigger(user_id, channel)
            public = public_message(msg)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": user,
            "api_app_id": self.app_id,
            "token": "sandbox-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": trigger,
            "team": self._team(user_id),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": self.channels[channel]["name"]},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
        if msg.get("thread_ts"):
            payload["container"]["thread_ts"] = msg["thread_ts"]
        if not ephemeral:
            payload["message"] = public
        return self._send_form({"payload": json.dumps(payload)}, "block_actions")

    def send_view_action(
        self,
        user_id: str,
        view_id: str,
        action_id: str,
        values: dict[str, dict[str, Any]] | None = None,
    ) -> httpx.Response:
        """Click a button inside an open modal, with what its inputs hold so far (``values``,
        as for ``send_view_submission``): Slack sends ``block_actions`` with the view."""
        with self._cond:
            view = self._state.views.get(view_id)
            if view is None or not view["open"] or view["user_id"] != user_id:
                raise LookupError(f"no open view {view_id} for {user_id}")
            found = find_element(view.get("blocks") or [], action_id, None)
            if found is None:
                ids = [a for _, a in action_ids(view.get("blocks") or [])]
                raise LookupError(f"no element {action_id!r} in view; it has {ids}")
            blk_id, element = found
            action = action_payload(element, blk_id, None, None, self._new_ts())
            view["state"] = {"values": view_state(view, values or {})}
            payload: dict[str, Any] = {
                "type": "block_actions",
                "user": self._payload_user(user_id),
                "api_app_id": self.app_id,
                "token": "sandbox-verification-token",
                "container": {"type": "view", "view_id": view_id},
                "trigger_id": self._new_trigger(user_id, view.get("channel_id")),
                "team": self._team(user_id),
                "enterprise": None,
                "is_enterprise_install": False,
                "view": public_view(view),
                "actions": [action],
            }
        return self._send_form({"payload": json.dumps(payload)}, "block_actions")

    def send_view_submission(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]] | None = None
    ) -> httpx.Response:
        """Submit an open modal.

        ``values`` is Slack's ``state.values`` shape, ``{block_id: {action_id: state}}``; a
        state may also be a bare value (a string, or a list for multi-selects), which is
        shaped after the element's type.  Inputs left out are sent empty, as Slack does.
        """
        with self._cond:
            view = self._state.views.get(view_id)
            if view is None:
                raise LookupError(f"no view {view_id}")
            if view["user_id"] != user_id:
                raise LookupError(f"view {view_id} was opened for {view['user_id']}")
            if not view["open"]:
                raise LookupError(f"view {view_id} is closed")
            state = view_state(view, values or {})
            view["state"] = {"values": state}
            submitted = public_view(view)
            payload = {
                "type": "view_submission",
                "team": self._team(user_id),
                "user": self._payload_user(user_id),
                "api_app_id": self.app_id,
                "token": "sandbox-verification-token",
                "trigger_id": self._new_trigger(user_id, view.get("channel_id")),
                "view": submitted,
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }
        response = self._send_form({"payload": json.dumps(payload)}, "view_submission")
        self._after_submission(view_id, response)
        return response

    def close_view(self, user_id: str, view_id: str) -> None:
        """The user dismisses a modal (no ``view_closed`` is sent: the bot does not ask)."""
        with self._cond:
            view = self._state.views.get(view_id)
            if view is not None and view["user_id"] == user_id:
                view["open"] = False
                self._changed()

    def _after_submission(self, view_id: str, response: httpx.Response) -> None:
        with self._cond:
            view = self._state.views[view_id]
            if response.status_code != 200:
                view["errors"] = {"": f"the app answered {response.status_code}"}
                self._changed()
                return
            body: dict[str, Any] = {}
            if response.content:
                try:
                    parsed = response.json()
                    body = parsed if isinstance(parsed, dict) else {}
                except ValueError:
                    body = {}
            action = body.get("response_action")
            if action == "errors":
                view["errors"] = dict(body.get("errors") or {})
            elif action == "update":
                self._replace_view(view, check_view(body.get("view")))
            elif action == "push":
                self._new_view(
                    body.get("view"),
                    user=view["user_id"],
                    channel=view.get("channel_id"),
                    parent=view,
                )
            elif action == "clear":
                for v in self._open_views(view["user_id"]):
                    v["open"] = False
            else:
                view["open"] = False
            self._changed()


# ------------------------------------------------------------------ helpers


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass
class _Socket:
    websocket: WebSocket
    loop: asyncio.AbstractEventLoop


_API_METHODS: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": SlackStandIn._api_auth_test,
    "apps.connections.open": SlackStandIn._api_apps_connections_open,
    "oauth.v2.access": SlackStandIn._api_oauth_v2_access,
    "chat.postMessage": SlackStandIn._api_chat_post_message,
    "chat.postEphemeral": SlackStandIn._api_chat_post_ephemeral,
    "chat.update": SlackStandIn._api_chat_update,
    "chat.delete": SlackStandIn._api_chat_delete,
    "chat.getPermalink": SlackStandIn._api_chat_get_permalink,
    "conversations.open": SlackStandIn._api_conversations_open,
    "conversations.info": SlackStandIn._api_conversations_info,
    "conversations.history": SlackStandIn._api_conversations_history,
    "conversations.replies": SlackStandIn._api_conversations_replies,
    "users.info": SlackStandIn._api_users_info,
    "views.open": SlackStandIn._api_views_open,
    "views.push": SlackStandIn._api_views_push,
    "views.update": SlackStandIn._api_views_update,
    "reactions.add": SlackStandIn._api_reactions_add,
}
