"""Builds the canwe app once from settings and serves it (HTTP, or Socket Mode)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import Clock as SignatureClock
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.context import Context
from bot.settings import Settings
from bot.slack.client import for_requests
from handlers import register_listeners
from handlers.payloads import MalformedRequest, to_bolt_request
from store.db import ping, request_threads, session_scope

log = logging.getLogger("canwe")


AUTH_RETRY_SECONDS = 60
HEALTH_DEADLINE_SECONDS = 0.8  # /healthz answers within a second, 503 if the database is slow
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller
SIGNATURE_MAX_AGE_SECONDS = 5 * 60  # Slack's rule: older requests may be replays
TURN_WAIT_SECONDS = 0.5  # a request waits this long for a turn, then runs anyway
# uvicorn's supervisor kills a process that does not answer its ping in this long, and starts
# another. Its default, 5 s, is shorter than a new process can take on a busy small machine to
# import canwe (spawn imports the parent's main module first) and start answering: with it, a
# process still starting was killed as hung, and its successor too. A hung one now waits 30 s.
PROCESS_HEALTHCHECK_SECONDS = 30


def authorize_with(client: WebClient):
    """Bolt's authorize step, from our one bot token. The identity from auth.test is cached;
    while Slack is unreachable requests are still served (without the bot's user id) rather
    than failing, and auth.test is tried again a minute later. Only one request at a time
    asks auth.test (with the request client's short timeout): the others do not wait on it."""
    cached: dict[str, object] = {}
    asking = threading.Lock()

    def authorize(enterprise_id, team_id, logger) -> AuthorizeResult:
        result = cached.get("result")
        if (
            result is None
            and time.monotonic() >= cached.get("retry_at", 0)
            and asking.acquire(blocking=False)
        ):
            try:
                response = client.auth_test()
                result = AuthorizeResult.from_auth_test_response(
                    auth_test_response=response, bot_token=client.token
                )
                cached["result"] = result
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.warning("auth.test failed (%s): serving without the bot's identity", error)
                cached["retry_at"] = time.monotonic() + AUTH_RETRY_SECONDS
            finally:
                asking.release()
        return result or AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token=client.token
        )

    return authorize


def build_app(ctx: Context, client: WebClient) -> App:
    """The Bolt app. Listeners run before the HTTP response (`process_before_response`): a
    /canwe answer is decided in milliseconds and goes back in the ack itself, while anything
    slow or fallible (Web API calls) goes through the outbox worker. Web API calls made
    inside a request use a short timeout and no retries (`for_requests`)."""
    secret = ctx.settings.slack_signing_secret
    request_client = for_requests(client)
    if ctx.settings.tokens_from_installs:
        from bot.slack.install import WorkspaceAuthorize, oauth_settings, workspace_tokens

        oauth = oauth_settings(ctx.settings, ctx.engine, ctx.now)
        tokens = workspace_tokens(ctx.settings, ctx.engine, ctx.now)
        authorization = {"oauth_settings": oauth, "authorize": WorkspaceAuthorize(tokens)}
    else:  # answer even while Slack is unreachable
        authorization = {"authorize": authorize_with(request_client)}
    app = App(
        client=request_client,
        signing_secret=secret.get_secret_value() if secret else None,
        process_before_response=True,
        **authorization,
    )
    register_listeners(app, ctx)
    return app


class SlackEndpoint:
    """POST /slack/events: the signature is checked on the raw bytes before anything is
    parsed; a body that is not a well-formed Slack payload is a 400 with one log line; the
    rest is dispatched to Bolt on a worker thread, never on the event loop.

    Requests take turns: CANWE_REQUESTS_AT_ONCE of them run at once, the others wait in
    arrival order (more at once only share the interpreter lock, and the slowest wait on all
    the others). Turns are for requests that are working: one that has waited TURN_WAIT_SECONDS
    while every turn is held (by requests stalled on the database, say) runs anyway, so a
    stall never holds up the rest, up to as many at once as the database pool can serve (so
    none waits for a connection)."""

    def __init__(self, app: App, ctx: Context):
        self.app = app
        secret = ctx.settings.slack_signing_secret
        self.secret = secret.get_secret_value().encode() if secret else None
        self.clock = SignatureClock()  # slack_sdk's, as Bolt's own check uses
        threads = request_threads(ctx.engine)
        self.turns = anyio.CapacityLimiter(min(ctx.settings.canwe_requests_at_once, threads))
        self.threads = anyio.CapacityLimiter(threads)

    @contextlib.asynccontextmanager
    async def _turn(self):
        taken = False
        with anyio.move_on_after(TURN_WAIT_SECONDS):
            await self.turns.acquire()
            taken = True
        # not taken: every turn held for a while, so their holders are waiting, not working
        try:
            yield
        finally:
            if taken:
                self.turns.release()

    async def handle(self, request: Request) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            log.warning("refused a request to /slack/events with content-length %.20s", length)
            return PlainTextResponse("payload too large", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:  # chunked, without a length
            log.warning("refused a %d-byte request to /slack/events", len(body))
            return PlainTextResponse("payload too large", status_code=413)
        if not self._signed(body, request.headers):
            log.warning("refused an unsigned or stale request to /slack/events")
            return PlainTextResponse("invalid signature", status_code=401)
        try:
            bolt_request = to_bolt_request(body, request.headers, request.query_params)
        except MalformedRequest as error:
            log.warning("refused a malformed Slack request: %s", error)
            return PlainTextResponse("malformed request", status_code=400)
        async with self._turn():
            response = await anyio.to_thread.run_sync(
                self.app.dispatch, bolt_request, limiter=self.threads
            )
        return to_starlette_response(response)

    def _signed(self, body: bytes, headers) -> bool:
        """Slack's signature over the raw bytes (slack_sdk's verifier decodes them first,
        so a body that is not UTF-8 would raise before being refused)."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if self.secret is None or not timestamp.isdigit() or len(timestamp) > 12:
            return False
        if abs(self.clock.now() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
            return False
        signed = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)


class InstallEndpoint:
    """The install page (GET /slack/install, "Add to Slack") and Slack's redirect back (GET
    /slack/oauth_redirect), run by Bolt's OAuth flow on a worker thread: its state store and
    installation store are database calls, never made on the event loop."""

    def __init__(self, app: App):
        self.flow = app.oauth_flow

    async def start(self, request: Request) -> Response:
        return await self._run(self.flow.handle_installation, request)

    async def finish(self, request: Request) -> Response:
        return await self._run(self.flow.handle_callback, request)

    async def _run(self, step, request: Request) -> Response:
        bolt_request = BoltRequest(
            body="",
            query=request.url.query,
            headers={key: [value] for key, value in request.headers.items()},
        )
        response = await anyio.to_thread.run_sync(step, bolt_request)
        return to_starlette_response(response)


def build_web(ctx: Context, app: App, extra_routes: list | None = None, lifespan=None) -> Starlette:
    events = SlackEndpoint(app, ctx)
    # its own threads: a health check never queues behind Slack requests
    health_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="canwe-health")

    async def healthz(_request: Request):
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                loop.run_in_executor(health_threads, ping, ctx.engine), HEALTH_DEADLINE_SECONDS
            )
        except TimeoutError:
            return JSONResponse({"ok": False, "database": "no answer in time"}, status_code=503)
        except Exception as error:  # any database failure means "not healthy"
            return JSONResponse({"ok": False, "database": type(error).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    routes = [
        Route("/slack/events", events.handle, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if app.oauth_flow is not None:
        install = InstallEndpoint(app)
        routes += [
            Route(app.oauth_flow.install_path, install.start, methods=["GET"]),
            Route(app.oauth_flow.redirect_uri_path, install.finish, methods=["GET"]),
        ]
    return Starlette(routes=routes + (extra_routes or []), lifespan=lifespan)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("slack_sdk", "slack_bolt", "httpx", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def warm_up(ctx: Context) -> threading.Thread:
    """Build the matcher's in-memory index before the first request: requests run side by
    side, and a cold index would be built by each of the first ones at once; on a large
    roadmap that takes seconds, past Slack's 3. The default workspace's is built now; those of
    the other installed workspaces (OAuth) by the thread returned, while requests are served
    (a question that comes first waits for that build rather than starting its own)."""
    from bot.roadmap.matching import CACHED_INDEXES
    from store.tenancy import workspace_ids

    _warm_workspace(ctx)
    try:
        with session_scope(ctx.sessions) as session:
            others = [w for w in workspace_ids(session) if w != ctx.workspace_id]
    except Exception as error:
        log.warning("could not list the workspaces to warm up: %s", error)
        others = []
    # no more than the matcher keeps: warming one more would push out one just warmed
    thread = threading.Thread(
        target=_warm_workspaces,
        args=(ctx, others[: CACHED_INDEXES - 1]),
        name="matcher warm-up",
        daemon=True,
    )
    thread.start()
    return thread


def _warm_workspaces(ctx: Context, workspace_ids: list[int]) -> None:
    for workspace_id in workspace_ids:
        _warm_workspace(ctx.for_workspace(workspace_id))


def _warm_workspace(ctx: Context) -> None:
    from bot.roadmap.matching import match

    try:
        with session_scope(ctx.sessions) as session:
            match("warm up", session=session)
            session.rollback()  # read only
    except Exception as error:  # its first requests will build it instead
        log.warning("could not warm up the matcher of workspace %s: %s", ctx.workspace_id, error)


def socket_mode(app: App, settings: Settings, client: WebClient):
    """Bolt's Socket Mode handler for the app (SLACK_APP_TOKEN set): Slack sends requests over
    a WebSocket that apps.connections.open hands out, at SLACK_API_URL like every Web API
    call. The socket's own calls may wait and retry: they are not inside a request."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value(), web_client=client)


def serve(
    settings: Settings,
    ctx: Context,
    client: WebClient,
    web: Starlette | None = None,
    host: str = "0.0.0.0",
) -> None:
    """Run until interrupted: the HTTP server (or Socket Mode) plus the background workers;
    with CANWE_PROCESSES above 1, that many processes sharing the port, each with its own."""
    import uvicorn

    from bot.workers import Workers

    if settings.canwe_processes > 1 and web is None:
        ctx.engine.dispose()  # each process opens its own connections
        log.info(
            "canwe listening on :%s in %d processes (POST /slack/events, GET /healthz)",
            settings.port,
            settings.canwe_processes,
        )
        # uvicorn's supervisor starts the processes, shares the socket among them, and
        # starts a process again if one dies
        uvicorn.run(
            "app:one_of_several",
            factory=True,
            workers=settings.canwe_processes,
            timeout_worker_healthcheck=PROCESS_HEALTHCHECK_SECONDS,
            host=host,
            port=settings.port,
            log_level="warning",
        )
        return
    app = build_app(ctx, client)
    warm_up(ctx)
    workers = Workers(ctx, client)
    workers.start()
    web = web or build_web(ctx, app)
    try:
        if settings.slack_app_token:
            # /healthz still answers over HTTP while Slack talks to us over the socket
            config = uvicorn.Config(web, host=host, port=settings.port, log_level="warning")
            threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()
            log.info("canwe in Socket Mode; health on :%s/healthz", settings.port)
            socket_mode(app, settings, client).start()
        else:
            log.info("canwe listening on :%s (POST /slack/events, GET /healthz)", settings.port)
            uvicorn.run(web, host=host, port=settings.port, log_level="warning")
    finally:
        workers.stop()


def one_of_several() -> Starlette:
    """One of the processes of `canwe serve` with CANWE_PROCESSES above 1 (uvicorn starts each
    and calls this): its own connections, Slack client, Bolt app and workers, from the same
    settings as the first process (the environment; the store is migrated by then). Several
    processes are safe on one store: outbox rows and due escalations are claimed and leased."""
    from bot.clock import real_now
    from bot.context import build_context
    from bot.slack.client import make_client
    from bot.workers import Workers

    configure_logging()
    settings = Settings()
    ctx = build_context(settings, real_now, request_timeouts=True)
    client = make_client(settings, engine=ctx.engine, clock=ctx.clock)
    app = build_app(ctx, client)
    warm_up(ctx)
    workers = Workers(ctx, client)

    @contextlib.asynccontextmanager
    async def running(_web: Starlette):
        workers.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(workers.stop)  # it joins threads: not on the loop

    return build_web(ctx, app, lifespan=running)
