"""One sync run: read what changed in a tracker since the stored cursor and apply it.

- Each page is applied in its own transaction (through the importer's upsert), so a
  failure half way leaves the page it failed on exactly as the store had it.
- The cursor moves only when every page of the run went in. A failed run is read again
  from the old cursor next time; pages it already applied change nothing the second time.
- Every run is recorded (`sync_runs`: source, started, finished, counts, skipped items,
  error) and logged.

`sync_configured(session_factory=..., settings=...)` syncs every configured tracker and
never raises for a tracker error: that is what `canwe serve` calls every
`CANWE_SYNC_MINUTES`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.roadmap.importer import ImportReport, apply_roadmap
from bot.roadmap.schema import RoadmapIn
from bot.roadmap.sync.base import (
    SkippedItem,
    Source,
    SyncError,
    SyncNotConfigured,
    SyncSource,
    newest,
)
from bot.roadmap.sync.http import make_client
from bot.roadmap.sync.jira import JiraConfig, JiraSource
from bot.roadmap.sync.linear import LinearConfig, LinearSource
from bot.settings import Settings
from store import search, sync_state
from store.db import session_scope

log = logging.getLogger("canwe.sync")


SOURCES = tuple(source.value for source in SyncSource)


@dataclass
class SyncReport:
    source: str
    full: bool
    run_id: int | None
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    since: dt.datetime | None = None
    cursor: dt.datetime | None = None
    pages: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    skipped: list[SkippedItem] = field(default_factory=list)
    # items whose status, target or estimate moved: answers resting on them are stale,
    # and promises made on them need checking for slips
    revised_item_ids: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        """`6 read: 5 new, 0 updated (0 revised), 0 unchanged, 1 skipped; 2 estimates, ...`"""
        c = self.counts
        text = (
            f"{c['read']} read: {c['created']} new, {c['updated']} updated "
            f"({c['revised']} revised), {c['unchanged']} unchanged, {c['skipped']} skipped"
        )
        extras = [
            f"{c['estimates']} estimate{'s' if c['estimates'] != 1 else ''}",
            f"{c['history']} finished-work record{'s' if c['history'] != 1 else ''}",
            f"{c['areas']} new area{'s' if c['areas'] != 1 else ''}",
        ]
        return text + "; " + ", ".join(extras)

    def lines(self) -> list[str]:
        """What `canwe sync` prints: one headline, then skipped items and the error."""
        if self.full:
            mode = "full"
        elif self.since:
            mode = f"since {self.since:%Y-%m-%d %H:%M} UTC"
        else:
            mode = "first run, everything"
        seconds = (self.finished_at - self.started_at).total_seconds() if self.finished_at else 0.0
        pages = f"{self.pages} page{'s' if self.pages != 1 else ''}"
        outcome = "ok" if self.ok else "FAILED"
        out = [f"{self.source}: {outcome} ({mode}), {pages} in {seconds:.1f}s; {self.summary()}"]
        for skipped in self.skipped:
            out.append(f"  skipped {skipped.key}: {skipped.reason}")
        if self.error:
            out.append(f"  error: {self.error.removeprefix(self.source + ': ')}")
            kept = (
                f"the {pages} before the error are applied" if self.pages else "nothing was applied"
            )
            out.append(f"  {kept}; the cursor did not move, so the next run starts from it again")
        return out


def configured_sources(settings: Settings) -> list[str]:
    return [name for name in SOURCES if not settings.missing_sync_settings(name)]


def build_source(
    name: str,
    settings: Settings,
    client: httpx.Client,
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Clock,
) -> Source:
    if name not in SOURCES:
        raise SyncNotConfigured(name, f"unknown source; choose one of {', '.join(SOURCES)}")
    missing = settings.missing_sync_settings(name)
    if missing:
        raise SyncNotConfigured(
            name, f"not configured: set {', '.join(missing)} (see docs/sync.md)"
        )
    if name == "jira":
        config = JiraConfig(
            base_url=settings.jira_base_url or "",
            email=settings.jira_email or "",
            api_token=settings.jira_api_token,
            jql=settings.jira_jql,
            hours_per_day=settings.jira_hours_per_day,
            paging=settings.jira_paging,
            status_map=settings.jira_status_map,
        )
        return JiraSource(config, client, sleep=sleep, now=now)
    config = LinearConfig(
        api_key=settings.linear_api_key,
        teams=settings.linear_teams,
        url=settings.linear_api_url,
        days_per_point=settings.linear_days_per_point,
        status_map=settings.linear_status_map,
    )
    return LinearSource(config, client, sleep=sleep, now=now)


def run_sync(
    source: str,
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    full: bool = False,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Clock,
) -> SyncReport:
    """Sync one tracker. Tracker and data errors end up in the report (and the run
    record), not as exceptions; `SyncNotConfigured` is raised before anything starts."""
    own_client = client is None
    http_client = client or make_client()
    try:
        tracker = build_source(source, settings, http_client, sleep=sleep, now=now)
        return _run(tracker, session_factory, full=full, now=now)
    finally:
        if own_client:
            http_client.close()


def _run(
    tracker: Source,
    session_factory: sessionmaker[Session],
    *,
    full: bool,
    now: Callable[[], dt.datetime],
) -> SyncReport:
    with session_scope(session_factory) as session:
        cursor = sync_state.get_cursor(session=session, source=tracker.name)
        since = None if full else cursor
        run = sync_state.start_run(
            session=session, source=tracker.name, full=full, since=since, now=now()
        )
        report = SyncReport(tracker.name, full, run.id, run.started_at, since=since, cursor=cursor)
    log.info("%s: sync started (%s)", tracker.name, "full" if since is None else f"since {since}")

    seen: dt.datetime | None = None
    unexpected: BaseException | None = None
    try:
        for page in tracker.fetch_changes(since):
            # one record per key, the last: a tracker may repeat an issue within a page
            items = list({item.key: item for item in page.items}.values())
            history = list({h.source_key or id(h): h for h in page.history}.values())
            roadmap = RoadmapIn(items=items, history=history)
            with session_scope(session_factory) as session:
                result = apply_roadmap(roadmap, session=session, now=now())
            report.pages += 1
            report.counts.update(_counts(result))
            unchanged = len(items) - result.created["items"] - result.updated["items"]
            report.counts["unchanged"] += unchanged
            report.revised_item_ids.extend(result.revised_item_ids)
            report.counts["read"] += len(page.items) + len(page.skipped)
            if page.skipped:
                report.counts["skipped"] += len(page.skipped)
                report.skipped.extend(page.skipped)
                for skipped in page.skipped:
                    log.warning("%s: skipped %s: %s", tracker.name, skipped.key, skipped.reason)
            seen = newest(seen, page.cursor)
    except SyncError as exc:
        report.error = str(exc)
    except SQLAlchemyError as exc:
        log.exception("%s: the store refused page %d", tracker.name, report.pages + 1)
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        report.error = (
            f"{tracker.name}: the store refused page {report.pages + 1} "
            f"({type(exc).__name__}: {first_line})"
        )
    except Exception as exc:  # a bug: record it, then let it surface
        report.error = f"{tracker.name}: {type(exc).__name__}: {exc}"
        unexpected = exc
    except KeyboardInterrupt as exc:  # the run record must not stay "running"
        report.error = f"{tracker.name}: interrupted"
        unexpected = exc

    with session_scope(session_factory) as session:
        if report.pages:
            search.optimize_index(session=session)
        finished = now()
        if report.error is None and seen is not None:
            report.cursor = newest(report.cursor, seen)
            sync_state.set_cursor(
                session=session, source=tracker.name, cursor=report.cursor, now=finished
            )
        sync_state.finish_run(
            session=session,
            run_id=report.run_id,
            now=finished,
            pages=report.pages,
            counts=dict(report.counts),
            skipped=[f"{s.key}: {s.reason}" for s in report.skipped],
            error=report.error,
        )
        report.finished_at = finished

    if report.error:
        log.error("%s: sync failed after %d pages: %s", tracker.name, report.pages, report.error)
    else:
        log.info("%s: sync finished: %s", tracker.name, dict(report.counts))
    if unexpected is not None:
        raise unexpected
    return report


def _counts(result: ImportReport) -> dict[str, int]:
    return {
        "created": result.created["items"],
        "updated": result.updated["items"],
        "revised": len(result.revised_item_ids),
        "estimates": result.created["estimates"],
        "history": result.created["history"],
        "areas": result.created["areas"],
    }


def sync_configured(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    client: httpx.Client | None = None,
    now: Clock,
) -> list[SyncReport]:
    """Sync every configured tracker; the periodic job. Never raises: failures are in the
    reports, the run records and the log. It may wait out a tracker's Retry-After, so run
    it on its own thread, not on the request path."""
    reports = []
    for name in configured_sources(settings):
        try:
            reports.append(
                run_sync(
                    name, session_factory=session_factory, settings=settings, client=client, now=now
                )
            )
        except Exception:
            log.exception("%s: sync crashed", name)
    return reports
