"""The one clock.

Everything in canwe that asks "what time is it?" asks the context's clock (`ctx.now()`,
`ctx.today()`), never the machine. `real_now` below is the only place that reads the real
time; the command line, `canwe serve`, the sandbox and the workers are handed it through the
context, and tests hand them a clock of their own instead, so a test states the moment it
runs at and gives the same result on any day, in any time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Returns the current moment as an aware datetime (UTC)."""


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # real clock: the one read of the machine's time
