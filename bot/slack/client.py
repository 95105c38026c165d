"""The Slack Web API clients, pointed at SLACK_API_URL.

Two kinds: the workers' client (the outbox, reminders, digests), which may wait a little
and retries a dropped connection once, and the client a Slack request uses, which waits
briefly and never retries in place: Slack gives a request 3 seconds in all, and what must
not be lost goes through the outbox instead (its worker honours Retry-After itself).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.clock import Clock, real_now
from bot.settings import Settings

WORKER_TIMEOUT_SECONDS = 5  # well inside the outbox lease (bot/slack/delivery.py)
REQUEST_TIMEOUT_SECONDS = 1.5
SHORT_RETRY_AFTER_SECONDS = 2  # a worker waits out a 429 this short; a longer one is rescheduled


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Retries a 429 in place only when Slack asks to wait a moment; a long Retry-After is
    left to the outbox, which reschedules the message instead of holding its lease asleep."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        wait = wait[0] if isinstance(wait, list) else wait
        return str(wait).isdigit() and int(wait) <= SHORT_RETRY_AFTER_SECONDS


def make_client(
    settings: Settings,
    timeout: int = WORKER_TIMEOUT_SECONDS,
    engine: Engine | None = None,
    clock: Clock = real_now,
) -> WebClient:
    """The workers' client: SLACK_BOT_TOKEN's, or with OAuth installs (and the store's
    `engine`) each workspace's token, read at each call (refreshed by `clock` when it
    rotates; bot/slack/install.py)."""
    options = dict(
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            ShortRateLimitRetry(max_retry_count=1),
        ],
    )
    if settings.tokens_from_installs and engine is not None:
        from bot.slack.install import InstalledWorkspaceClient, workspace_tokens

        return InstalledWorkspaceClient(workspace_tokens(settings, engine, clock), **options)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, **options)


def for_requests(client: WebClient) -> WebClient:
    """`client` as a Slack request may use it: a short timeout and no retries in place."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=REQUEST_TIMEOUT_SECONDS,
        retry_handlers=[],
    )
