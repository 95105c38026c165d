"""The sandbox page: a browser view of the stand-in's workspace, and its JSON endpoints.

The page (``static/``) polls ``ui/state`` and acts through ``ui/send``, ``ui/action``,
``ui/submit`` and ``ui/close``.  With several workspaces the page shows one at a time
(``ui/state?team=T``: its people and channels); a request goes out from the workspace of the
person making it, as on Slack.  Every action reaches the bot the way Slack would send it:
the endpoints call the stand-in's ``send_*`` methods, which sign and POST to ``events_url``.
The endpoints that talk to the bot are plain functions, so Starlette runs them in its thread
pool and the event loop stays free to serve the bot when both share one server.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from sandbox.slack_standin import SlackStandIn

STATIC = Path(__file__).with_name("static")
_POLL_WAIT = 2.0  # seconds a state request waits for a change before answering
_MENTION = re.compile(r"^\s*@(\S+)\s*")


def routes(standin: SlackStandIn) -> list[BaseRoute]:
    def index(request: Request) -> Response:
        if not request.url.path.endswith("/"):
            return RedirectResponse(request.url.path + "/")
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    def state(request: Request) -> JSONResponse:
        viewer = request.query_params.get("as", "")
        team = request.query_params.get("team") or None
        since = request.query_params.get("since")
        if since is not None and since.isdigit():
            standin.wait_version(int(since), timeout=_POLL_WAIT)
        return JSONResponse(snapshot(standin, viewer, team))

    def send(request: Request, body: dict[str, Any]) -> JSONResponse:
        viewer = str(body.get("as") or "")
        channel = str(body.get("channel") or "")
        text = str(body.get("text") or "").strip()
        thread_ts = body.get("thread_ts") or None
        if not viewer or not channel or not text:
            return JSONResponse({"error": "who, where and what are needed"}, status_code=400)
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            r = standin.send_command(viewer, channel, rest.strip(), command=command)
            return _outcome("slash command", r)
        m = _MENTION.match(text)
        bot_name = standin.users[standin.bot_user_id]["name"]
        if m and m.group(1).lower() == bot_name.lower():
            # Slack sends both: app_mention, and the post as a message event
            r = standin.send_mention(
                viewer, channel, text[m.end() :], thread_ts=thread_ts, also_message=True
            )
            return _outcome("app_mention event", r)
        r = standin.send_message(viewer, channel, text, thread_ts=thread_ts)
        return _outcome("message event", r)

    def action(request: Request, body: dict[str, Any]) -> JSONResponse:
        r = standin.send_block_action(
            str(body.get("as") or ""),
            str(body.get("channel") or ""),
            str(body.get("ts") or ""),
            str(body.get("action_id") or ""),
            value=body.get("value"),
            block_id=body.get("block_id"),
            selected_option=body.get("selected_option"),
        )
        return _outcome("block_actions", r)

    def view_action(request: Request, body: dict[str, Any]) -> JSONResponse:
        r = standin.send_view_action(
            str(body.get("as") or ""),
            str(body.get("view_id") or ""),
            str(body.get("action_id") or ""),
            body.get("values") or {},
        )
        return _outcome("block_actions", r)

    def submit(request: Request, body: dict[str, Any]) -> JSONResponse:
        r = standin.send_view_submission(
            str(body.get("as") or ""), str(body.get("view_id") or ""), body.get("values") or {}
        )
        return _outcome("view_submission", r)

    def control(request: Request, body: dict[str, Any]) -> JSONResponse:
        found = standin.controls.get(str(body.get("id") or ""))
        if found is None:
            return JSONResponse({"error": "no such sandbox control"}, status_code=404)
        return JSONResponse({"ok": True, "message": found[1]()})

    def close(request: Request, body: dict[str, Any]) -> JSONResponse:
        standin.close_view(str(body.get("as") or ""), str(body.get("view_id") or ""))
        return JSONResponse({"ok": True})

    return [
        Route("/", index, methods=["GET"]),
        Route("/ui/state", state, methods=["GET"]),
        Route("/ui/send", _json_endpoint(send), methods=["POST"]),
        Route("/ui/action", _json_endpoint(action), methods=["POST"]),
        Route("/ui/view-action", _json_endpoint(view_action), methods=["POST"]),
        Route("/ui/submit", _json_endpoint(submit), methods=["POST"]),
        Route("/ui/close", _json_endpoint(close), methods=["POST"]),
        Route("/ui/control", _json_endpoint(control), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


def _json_endpoint(fn):
    """Read the JSON body on the loop, then run ``fn`` in the thread pool."""
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "a JSON body is needed"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "a JSON object is needed"}, status_code=400)
        try:
            return await run_in_threadpool(fn, request, body)
        except LookupError as e:
            return JSONResponse({"error": str(e)}, status_code=404)
        except httpx.HTTPError as e:
            return JSONResponse({"error": f"the app did not answer: {e}"}, status_code=502)

    return endpoint


def _outcome(kind: str, r: httpx.Response) -> JSONResponse:
    ok = r.status_code == 200
    return JSONResponse(
        {"ok": ok, "sent": kind, "status": r.status_code, "body": r.text[:500]},
        status_code=200 if ok else 502,
    )


def snapshot(standin: SlackStandIn, viewer: str, team: str | None = None) -> dict[str, Any]:
    """What ``viewer`` sees: channels, messages (their own ephemerals only), open modals; with
    ``team``, only that workspace's people and channels (the bot is in every workspace)."""
    with standin._cond:
        version = standin.version
        users = {
            uid: {
                "id": uid,
                "name": u["name"],
                "real_name": u["real_name"],
                "title": u["profile"].get("title", ""),
                "is_bot": u["is_bot"],
            }
            for uid, u in standin.users.items()
            if team is None or u["team_id"] == team or u["is_bot"]
        }
        channels = []
        messages: dict[str, list[dict[str, Any]]] = {}
        for cid, ch in standin.channels.items():
            if ch["is_im"] and ch.get("user") != viewer:
                continue
            if team is not None and ch["context_team_id"] != team:
                continue
            channels.append(
                {
                    "id": cid,
                    "name": ch["name"],
                    "is_im": ch["is_im"],
                    "kind": ch.get("kind") or ("dm" if ch["is_im"] else "channel"),
                    "user": ch.get("user"),
                }
            )
            messages[cid] = [
                _visible(m)
                for m in standin.messages(cid)
                if not m.get("ephemeral_to") or m["ephemeral_to"] == viewer
            ]
        views = [
            {
                k: v[k]
                for k in ("id", "title", "submit", "close", "blocks", "errors", "callback_id")
                if k in v
            }
            for v in standin.views.values()
            if v["open"] and v["user_id"] == viewer and v.get("type") == "modal"
        ]
        failures = [
            {"kind": s.kind, "status": s.status, "body": s.response_body[:300]}
            for s in standin.sent[-5:]
            if s.status != 200
        ]
    return {
        "version": version,
        "bot": {"id": standin.bot_user_id, "name": users[standin.bot_user_id]["name"]},
        "users": users,
        "channels": channels,
        "messages": messages,
        "views": views,
        "failures": failures,
        "controls": [{"id": k, "label": label} for k, (label, _) in standin.controls.items()],
        "clock": _clock(standin),
        "workspace": team,
        "workspaces": _workspaces(standin),
        "install_url": standin.install_url,
    }


def _workspaces(standin: SlackStandIn) -> list[dict[str, Any]]:
    """The workspaces canwe is installed in, first install first (the page's switcher)."""
    return [
        {"id": team, "name": standin.team_names.get(team, team)} for team in standin.installed_teams
    ]


def _clock(standin: SlackStandIn) -> dict[str, str] | None:
    """The bot's sandbox time, in its time zone (settings canwe_timezone), for the banner."""
    if standin.page_clock is None:
        return None
    now = standin.page_clock()
    return {"now": f"{shown_time(now)} {now.tzname()}", "zone": str(now.tzinfo)}


def shown_time(moment: dt.datetime) -> str:
    """How the page writes a moment of sandbox time: ``Tue Dec 1, 19:30``."""
    return f"{moment:%a %b} {moment.day}, {moment:%H:%M}"


def _visible(msg: dict[str, Any]) -> dict[str, Any]:
    keys = ("ts", "thread_ts", "user", "text", "blocks", "ephemeral_to", "edited", "reply_count")
    shown = {k: msg.get(k) for k in keys}
    # in sandbox time when the stand-in has the page's clock; else the page shows ``ts``
    posted_at = msg.get("posted_at")
    shown["time"] = shown_time(posted_at) if posted_at is not None else None
    return shown
