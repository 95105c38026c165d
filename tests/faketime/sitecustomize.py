"""Loaded only by the runs under Debian's faketime (`make test-any-day`), never by canwe.

libfaketime 0.9.10 answers EINVAL to clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), the
call Python 3.11's time.sleep makes, when FAKETIME_DONT_FAKE_MONOTONIC=1; and faking the
monotonic clock instead makes every lock time-out hang. So under faketime a sleep waits on an
event that is never set, which goes through another call and times out as it should.
"""

import os
import threading
import time

_never_set = threading.Event()


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    _never_set.wait(seconds)


time.sleep = _sleep


# Tests change environment variables (monkeypatch.setenv, CliRunner's env) while other threads
# run: the stand-ins' servers, the database watchdogs. Under libfaketime, which reads its
# settings with getenv from whichever thread asks the time, a setenv in one thread racing a
# getenv in another crashed the interpreter (a segmentation fault, once in a few runs). Here
# the C environment is left as it was at start: os.environ, which canwe and its settings
# read, still changes; a child process gets what a test hands it in `env=`.
def _keep_c_environment(*_args) -> None:
    return None


os.putenv = _keep_c_environment
os.unsetenv = _keep_c_environment
