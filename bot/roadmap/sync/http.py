"""How every connector talks to a tracker: time-outs, retries, and clear errors.

- 429 and 503 honour `Retry-After` (seconds or an HTTP date); without it, and for the
  other 5xx answers and network errors / time-outs, we back off exponentially
  (1 s, 2 s, 4 s ... capped at 60 s) for at most `max_attempts` tries.
- 401 / 403 become `SourceAuthError` naming the source and the settings to check.
- Other 4xx become `SourceResponseError` with the tracker's own error text.
- A connector may `classify` a response itself ("retry" / "auth"), for trackers such as
  Linear that report rate limits and bad keys inside a GraphQL error body.
- Secrets travel only in request headers; we log method, path and status, never headers
  or query strings, and no error message carries a header.

The `httpx.Client` is injected (tests give one built on `httpx.MockTransport`), and so
are `sleep` and `now`, so retries are tested without waiting.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import Clock
from bot.roadmap.sync.base import (
    SourceAuthError,
    SourceResponseError,
    SourceUnavailable,
    SyncNotConfigured,
)

log = logging.getLogger("canwe.sync")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRY_STATUSES = {429, 500, 502, 503, 504}


def make_client() -> httpx.Client:
    """The client used outside tests: bounded time-outs, no redirects to other hosts."""
    return httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def require_https(source: str, url: str, setting: str) -> None:
    """Credentials never travel in clear text: plain http only to this machine (tests)."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.host in LOCAL_HOSTS):
        return
    raise SyncNotConfigured(source, f"{setting} must be an https:// URL, not {url!r}")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0


class TrackerHTTP:
    def __init__(
        self,
        source: str,
        client: httpx.Client,
        *,
        credentials_hint: str,
        describe_error: Callable[[httpx.Response], str],
        classify: Callable[[httpx.Response], str | None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Clock,
        policy: RetryPolicy | None = None,
    ):
        self.source = source
        self.client = client
        self.credentials_hint = credentials_hint
        self.describe_error = describe_error
        self.classify = classify
        self.sleep = sleep
        self.now = now
        self.policy = policy or RetryPolicy()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        policy = self.policy
        path = httpx.URL(url).path
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__} on {method} {path}"
                if last:
                    raise SourceUnavailable(
                        self.source, f"{problem}; gave up after {attempt} attempts"
                    ) from None
                self._wait(self._backoff(attempt), problem, attempt)
                continue

            status = response.status_code
            verdict = self.classify(response) if self.classify else None
            if status in RETRY_STATUSES or verdict == "retry":
                problem = f"HTTP {status} on {method} {path}"
                if last:
                    detail = self.describe_error(response)
                    raise SourceUnavailable(
                        self.source,
                        f"{problem}; gave up after {attempt} attempts"
                        + (f" ({detail})" if detail else ""),
                    )
                delay = self._retry_after(response)
                self._wait(delay if delay is not None else self._backoff(attempt), problem, attempt)
                continue
            if status in (401, 403) or verdict == "auth":
                detail = self.describe_error(response)
                raise SourceAuthError(
                    self.source,
                    f"the credentials were refused (HTTP {status}); check {self.credentials_hint}"
                    + (f" ({detail})" if detail else ""),
                    status=status,
                )
            if status >= 400:
                detail = self.describe_error(response) or response.reason_phrase
                raise SourceResponseError(
                    self.source, f"HTTP {status} on {method} {path}: {detail}", status=status
                )
            log.debug("%s: %s %s -> %s", self.source, method, path, status)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.base_delay * 2 ** (attempt - 1), self.policy.max_delay)

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            seconds = max((when - self.now()).total_seconds(), 0.0)
        return min(seconds, self.policy.max_retry_after)

    def _wait(self, seconds: float, problem: str, attempt: int) -> None:
        log.warning(
            "%s: %s, retrying in %.1fs (attempt %d of %d)",
            self.source,
            problem,
            seconds,
            attempt + 1,
            self.policy.max_attempts,
        )
        self.sleep(seconds)


def json_body(source: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SourceResponseError(
            source, f"expected JSON from {response.request.url.path}, got something else"
        ) from None
