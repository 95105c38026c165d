"""Scheduled work inside `canwe serve`, and one pass of it for `canwe tick`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from bot.context import Context, every_workspace
from bot.digest.daily import DigestReport, due_digests
from bot.escalations.chasing import ChaseReport, chase
from bot.promises.tracking import check_after_sync
from bot.roadmap.sync.runner import configured_sources, sync_configured
from bot.slack.client import WebClient
from bot.slack.delivery import Delivery, DeliveryReport
from store.db import session_scope
from store.tenancy import forget_workspace, to_forget

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    chase: ChaseReport = field(default_factory=ChaseReport)
    digest: DigestReport = field(default_factory=DigestReport)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    forgotten: list[int] = field(default_factory=list)  # workspaces whose data was deleted

    def summary(self) -> str:
        return (
            f"reminders {self.chase.reminders}, late notices {self.chase.late}, "
            f"digests {self.digest.digests}, "
            f"messages sent {self.delivery.sent}, retried {self.delivery.retried}, "
            f"waiting {self.delivery.waiting}"
        )


def tick(ctx: Context, delivery: Delivery) -> TickReport:
    """One pass: chase due escalations and queue the day's digests when due, in every
    workspace, then deliver."""
    report = TickReport()
    report.forgotten = forget_uninstalled(ctx)
    for workspace in every_workspace(ctx):
        _add(report.chase, chase(workspace))
        _add(report.digest, due_digests(workspace))
    report.delivery = delivery.drain()
    return report


def forget_uninstalled(ctx: Context) -> list[int]:
    """Delete the data of the workspaces that uninstalled canwe more than
    CANWE_FORGET_UNINSTALLED_DAYS ago (each in its own transaction); their ids."""
    grace = dt.timedelta(days=ctx.settings.canwe_forget_uninstalled_days)
    with session_scope(ctx.sessions) as session:
        due = to_forget(session, uninstalled_before=ctx.now() - grace)
    for workspace_id in due:
        with session_scope(ctx.sessions) as session:
            deleted = forget_workspace(session, workspace_id, ctx.now())
        log.warning(
            "deleted the data of canwe workspace %s, uninstalled over %s days ago: %s rows",
            workspace_id,
            grace.days,
            sum(deleted.values()),
        )
    return due


def _add(total, part) -> None:
    """Adds one workspace's report to the total (counts add up, lists are joined)."""
    for name, value in vars(part).items():
        setattr(total, name, getattr(total, name) + value)


class Workers:
    """The delivery worker and the scheduler, as daemon threads of the server process."""

    def __init__(self, ctx: Context, client: WebClient):
        self.ctx = ctx
        self.delivery = Delivery(ctx, client)
        ctx.wake_delivery = self.delivery.wake
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._threads = [
            threading.Thread(
                target=self.delivery.run_forever,
                args=(self._stop,),
                name="canwe-delivery",
                daemon=True,
            ),
            threading.Thread(target=self._schedule, name="canwe-scheduler", daemon=True),
        ]
        if self.ctx.settings.canwe_sync_minutes and configured_sources(self.ctx.settings):
            # its own thread: a tracker's Retry-After may keep a sync waiting for minutes
            self._threads.append(
                threading.Thread(target=self._sync, name="canwe-sync", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.delivery.wake()
        for thread in self._threads:
            thread.join(timeout=5)

    def _sync(self) -> None:
        interval = self.ctx.settings.canwe_sync_minutes * 60
        while not self._stop.is_set():
            for report in sync_configured(
                session_factory=self.ctx.sessions, settings=self.ctx.settings, now=self.ctx.now
            ):
                log.info("sync: %s", report.summary())
                try:  # slip alerts for the promises on what the sync moved
                    promises = check_after_sync(self.ctx, report)
                    if promises.alerts or promises.recovered or promises.closed:
                        log.info("sync: %s", promises.summary())
                except Exception:
                    log.exception("sync: checking promises failed; the next change retries")
            if self._stop.wait(interval):
                return

    def _schedule(self) -> None:
        while not self._stop.wait(self.ctx.settings.canwe_tick_seconds):
            try:
                forget_uninstalled(self.ctx)
            except Exception:
                log.exception("deleting uninstalled workspaces' data failed; retrying later")
            try:
                workspaces = every_workspace(self.ctx)
            except Exception:
                log.exception("could not list the workspaces; retrying at the next tick")
                continue
            for workspace in workspaces:  # one workspace failing holds up no other
                self._pass(workspace)

    def _pass(self, ctx: Context) -> None:
        try:
            report = chase(ctx)
            if report.reminders or report.late:
                log.info("chased: %s reminders, %s late", report.reminders, report.late)
        except Exception:
            log.exception("scheduler pass failed; retrying at the next tick")
        try:
            digests = due_digests(ctx)
            if digests.digests:
                log.info("digests: %s queued, %s posts", digests.digests, digests.posts)
        except Exception:
            log.exception("digest pass failed; retrying at the next tick")
