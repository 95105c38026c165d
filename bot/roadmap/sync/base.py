"""The one interface every tracker connector offers, and the errors they raise.

A connector reads; it never writes back to the tracker. `fetch_changes(since)` yields
pages of records already turned into our own shapes (`ItemIn`, `HistoryIn`), each page
small enough to apply in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from pydantic import ValidationError

from bot.roadmap.schema import HistoryIn, ItemIn


class SyncSource(StrEnum):
    jira = "jira"
    linear = "linear"


@dataclass(frozen=True)
class SkippedItem:
    """A tracker record we could not turn into an item: reported, never applied."""

    key: str
    reason: str


class BadRecord(ValueError):
    """A tracker record we cannot turn into an item; the message is the reason shown."""


@dataclass
class Page:
    """One page from the tracker, ready to apply in one transaction.

    `cursor` is the newest `updated` time seen in this page (None if the page was
    empty). The runner stores the largest cursor of a run only once every page of the
    run has been applied, so a failed run is simply read again next time.
    """

    items: list[ItemIn] = field(default_factory=list)
    history: list[HistoryIn] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    cursor: dt.datetime | None = None


AREA_NAME_MAX = 200  # store.models.Area.name


def checked_area(name: str | None) -> str | None:
    name = (name or "").strip() or None
    if name is not None and len(name) > AREA_NAME_MAX:
        raise BadRecord(f"area name longer than {AREA_NAME_MAX} characters: {name[:40]}...")
    return name


class Source(Protocol):
    name: str

    def fetch_changes(self, since: dt.datetime | None) -> Iterator[Page]:
        """Pages of everything changed at or after `since` (everything when None)."""
        ...


class SyncError(Exception):
    """A sync could not go on. The message names the source and says what to check."""

    def __init__(self, source: str, message: str, *, status: int | None = None):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.status = status


class SyncNotConfigured(SyncError):
    """The settings a tracker needs are missing or unsafe."""


class SourceAuthError(SyncError):
    """The tracker refused our credentials (HTTP 401 / 403)."""


class SourceUnavailable(SyncError):
    """The tracker kept failing (5xx, 429, time-outs) after every retry."""


class SourceResponseError(SyncError):
    """The tracker answered with an error we cannot retry, or a body we cannot read."""


def newest(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def validation_reason(exc: ValidationError) -> str:
    """Why a tracker's record did not make a valid roadmap item, in one line."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'item'}: {err['msg']}" for err in exc.errors()
    )


def collect_page(
    records: list,
    *,
    key_of: Callable[[object], str],
    convert: Callable[[object], tuple[ItemIn, HistoryIn | None, dt.datetime | None]],
    updated_of: Callable[[object], dt.datetime | None],
) -> Page:
    """One page of tracker records as roadmap records. A record that cannot be read is
    skipped with its reason, and the rest of the page still counts."""
    page = Page()
    for record in records:
        key = key_of(record) if isinstance(record, dict) else "?"
        try:
            item, history, updated = convert(record)
        except ValidationError as exc:
            page.skipped.append(SkippedItem(key, validation_reason(exc)))
            updated = updated_of(record)
        except BadRecord as exc:
            page.skipped.append(SkippedItem(key, str(exc)))
            updated = updated_of(record)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            page.skipped.append(SkippedItem(key, f"unreadable issue ({type(exc).__name__}: {exc})"))
            updated = updated_of(record)
        else:
            page.items.append(item)
            if history is not None:
                page.history.append(history)
        page.cursor = newest(page.cursor, updated)
    return page
