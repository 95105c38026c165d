"""Routes of the sandbox page (filled in with the page itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from sandbox.slack_standin import SlackStandIn


def routes(standin: SlackStandIn) -> list[BaseRoute]:
    return []
