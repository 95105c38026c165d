"""Loaded only by the runs under Debian's faketime (`make test-any-day`), never by canwe.

libfaketime 0.9.10 answers EINVAL to clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), the
call Python 3.11's time.sleep makes, when FAKETIME_DONT_FAKE_MONOTONIC=1; and faking the
monotonic clock instead makes every lock time-out hang. So under faketime a sleep waits on an
event that is never set, which goes through another call and times out as it should.
"""

import threading
import time

_never_set = threading.Event()


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _never_set.wait(seconds)


time.sleep = _sleep
