"""Builds the canwe app once from settings and serves it (HTTP, or Socket Mode)."""

from __future__ import annotations

import logging
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.context import Context
from bot.settings import Settings
from handlers import register_listeners
from store.db import ping

log = logging.getLogger("canwe")


AUTH_RETRY_SECONDS = 60


def authorize_with(client: WebClient):
    """Bolt's authorize step, from our one bot token. The identity from auth.test is cached;
    while Slack is unreachable requests are still served (without the bot's user id) rather
    than failing, and auth.test is tried again a minute later."""
    cached: dict[str, object] = {}

    def authorize(enterprise_id, team_id, logger) -> AuthorizeResult:
        result = cached.get("result")
        if result is None and time.monotonic() >= cached.get("retry_at", 0):
            try:
                response = client.auth_test()
                result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response, bot_token=client.token
                )
                cached["result"] = result
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning("auth.test failed (%s): serving without the bot's identity", error)
                cached["retry_at"] = time.monotonic() + AUTH_RETRY_SECONDS
        return result or AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=client.token
        )

    return authorize


def build_app(ctx: Context, client: WebClient) -> App:
    """The Bolt app. Listeners run before the HTTP response (`process_before_response`): a
    /canwe answer is decided in milliseconds and goes back in the ack itself, while anything
    slow or fallible (Web API calls) goes through the outbox worker."""
    secret = ctx.settings.slack_signing_secret
    app = App(
        client=client,
        signing_secret=secret.get_secret_value() if secret else None,
        process_before_response=True,
        authorize=authorize_with(client),  # start and answer even while Slack is unreachable
    )
    register_listeners(app, ctx)
    return app


def build_web(ctx: Context, app: App, extra_routes: list | None = None) -> Starlette:
    handler = SlackRequestHandler(app)

    async def events(request: Request):
        return await handler.handle(request)

    async def healthz(_request: Request):
        try:
            ping(ctx.engine)
        except Exception as error:  # any database failure means "not healthy"
            return JSONResponse({"ok": False, "database": type(error).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    routes = [
        Route("/slack/events", events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes + (extra_routes or []))


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("slack_sdk", "slack_bolt", "httpx", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(
    settings: Settings,
    ctx: Context,
    client: WebClient,
    web: Starlette | None = None,
    host: str = "0.0.0.0",
) -> None:
    """Run until interrupted: the HTTP server (or Socket Mode) plus the background workers."""
    import uvicorn

    from bot.workers import Workers

    app = build_app(ctx, client)
    workers = Workers(ctx, client)
    workers.start()
    web = web or build_web(ctx, app)
    try:
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            # /healthz still answers over HTTP while Slack talks to us over the socket
            config = uvicorn.Config(web, host=host, port=settings.port, log_level="warning")
            threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
            log.info("canwe in Socket Mode; health on :%s/healthz", settings.port)
            SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
        else:
            log.info("canwe listening on :%s (POST /slack/events, GET /healthz)", settings.port)
            uvicorn.run(web, host=host, port=settings.port, log_level="warning")
    finally:
        workers.stop()


if __name__ == "__main__":
    from bot.cli import main

    main(["serve"])
