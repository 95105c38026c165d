"""A scripted tracker behind `httpx.MockTransport`, shared by the sync tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(source: str, name: str) -> dict:
    return json.loads((FIXTURES / source / name).read_text())


class FakeTracker:
    """Answers each request with `respond(request)` and keeps every request it saw.

    `respond` may return an `httpx.Response` or raise an `httpx` transport error.
    """

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response]):
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def reply(status: int = 200, body: object = None, headers: dict | None = None):
    """An answer for `Script`: a fresh response each time it is used."""

    def make(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return make


def fail(exc_type: type[httpx.TransportError]):
    """An answer for `Script`: the request never gets a response."""

    def make(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return make


class Script:
    """Answers requests in order; the last answer repeats for every later request."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request)
