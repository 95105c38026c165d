"""The delivery worker: sends what the outbox holds, at least once, surviving Slack outages.

A message is leased before it is sent, so two processes never send it together; a 429
waits for Retry-After, a 5xx or network error backs off, and nothing is ever dropped.

At least once, not exactly once: a process that dies after Slack took a message but before
it recorded that, sends it again on restart (or another process does). The window is one
Web API call. Leases are short (LEASE) and renewed before each send and while a call is in
flight, so a dead process's claimed messages are taken over within seconds, while a live
one keeps what it is sending.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.slack.install import workspace_gone
from bot.slack.sends import (
    DirectMessage,
    EarlierMessage,
    EscalationPost,
    Joined,
    Placeholder,
    ThreadLink,
    decode,
)
from store.db import make_session_factory, session_scope
from store.models import Escalation, OutboxMessage
from store.outbox import claim_due, renew_leases
from store.tenancy import ALL_WORKSPACES

log = logging.getLogger(__name__)

# short, so another process takes over a dead one's messages within seconds; a live one
# renews it every RENEW_EVERY while a Web API call is in flight (5 s timeout, one retry:
# longer than the lease), so it keeps what it is sending
LEASE = dt.timedelta(seconds=5)
RENEW_EVERY_SECONDS = LEASE.total_seconds() / 3
WAITING_FOR_PARENT = dt.timedelta(seconds=2)
MAX_BACKOFF = dt.timedelta(minutes=30)
# errors that another try will not fix: keep the message, retry rarely, log loudly
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "invalid_blocks",
    "invalid_arguments",
    "is_archived",
    "msg_too_long",
    "no_text",
    "user_not_found",
    "cant_update_message",
    "message_not_found",
    "invalid_auth",
    "not_authed",
    "account_inactive",
}


# what Slack answers once a workspace's token is gone for good (uninstalled, revoked, its
# account deactivated): with OAuth installs the workspace is marked gone (workspace_gone)
TOKEN_GONE_ERRORS = {"invalid_auth", "account_inactive", "token_revoked", "token_expired"}


class NotReady(Exception):
    """The message refers to one that has not been sent yet (a thread reply before its parent)."""


@dataclass
class Claimed:
    rows: list[tuple]  # (id, method, payload, on_sent, attempts, workspace_id)
    held_until: dt.datetime  # the lease this process set: proof the rows are still its own


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    waiting: int = 0


class _Lease:
    """This process's leases on the messages it claimed, renewed before each message and,
    from a thread, while a message's Web API call is in flight. A renewal succeeds only
    while `locked_until` is still what this process set (renew_leases): a message another
    process took over after a stall is not sent here again."""

    def __init__(self, ctx: Context, ids: list[int], held_until: dt.datetime):
        self.ctx = ctx  # its sessions see every workspace's messages
        self.ids = ids
        self.held_until = held_until
        self._lock = threading.Lock()

    def renew(self) -> set[int]:
        with self._lock:
            until = self.ctx.now() + LEASE
            with session_scope(self.ctx.sessions) as session:
                held = renew_leases(
                    session=session, ids=self.ids, held_until=self.held_until, until=until
                )
            self.held_until = until
            self.ids = [i for i in self.ids if i in held]
            return held

    def release(self, message_id: int) -> None:
        """Sent or rescheduled: no longer this process's to renew."""
        with self._lock:
            self.ids = [i for i in self.ids if i != message_id]

    @contextmanager
    def kept_alive(self) -> Iterator[None]:
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(RENEW_EVERY_SECONDS):
                try:
                    self.renew()
                except Exception as error:  # the database is away: the next beat retries
                    log.warning("outbox: could not renew leases (%s)", error)

        thread = threading.Thread(target=beat, name="canwe-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


@dataclass(frozen=True)
class _Sending:
    """Whose message is being sent, and the client that speaks for that workspace."""

    workspace_id: int
    client: WebClient


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=2 ** min(attempts, 11)), MAX_BACKOFF)


class Delivery:
    """Sends every workspace's messages, each with its workspace's client (`client`, or what
    `client.for_workspace(id)` gives with OAuth installs).

    Fair between workspaces, since Slack's rate limits are per workspace and method: each
    pass claims a share of every workspace's due messages (store/outbox.py) and sends them
    in turn, and a 429 pauses that workspace's calls of that method only, until its
    Retry-After: the other workspaces' messages go on."""

    def __init__(self, ctx: Context, client: WebClient):
        self.ctx = ctx
        # claiming, leases and marking sent work across workspaces (by message id)
        self.everywhere = Context(
            settings=ctx.settings,
            engine=ctx.engine,
            sessions=make_session_factory(ctx.engine, ALL_WORKSPACES),
            clock=ctx.clock,
            workspace_id=ALL_WORKSPACES,
        )
        self.client = client
        self._wake = threading.Event()
        self._dm_channels: dict[tuple[int, str], str] = {}
        self._permalinks: dict[tuple[int, str, str], str] = {}
        self._paused: dict[tuple[int, str], dt.datetime] = {}  # (workspace, method): until

    def client_for(self, workspace_id: int) -> WebClient:
        for_workspace = getattr(self.client, "for_workspace", None)
        return for_workspace(workspace_id) if for_workspace else self.client

    def wake(self) -> None:
        self._wake.set()

    def run_once(self, limit: int = 200) -> DeliveryReport:
        return self.send(self.claim(limit))

    def claim(self, limit: int = 200) -> Claimed:
        """Lease up to `limit` due messages for this process."""
        now = self.ctx.now()
        with session_scope(self.everywhere.sessions) as session:
            rows = [
                (m.id, m.method, m.payload, m.on_sent, m.attempts, m.workspace_id)
                for m in claim_due(session=session, now=now, lease=LEASE, limit=limit)
            ]
        return Claimed(rows=rows, held_until=now + LEASE)

    def send(self, claimed: Claimed) -> DeliveryReport:
        """Send what `claim` leased, renewing the leases of the rest before each message; a
        message whose lease ran out and went to another process is left to that process."""
        report = DeliveryReport()
        lease = _Lease(self.everywhere, [row[0] for row in claimed.rows], claimed.held_until)
        for message_id, method, payload, on_sent, attempts, workspace_id in claimed.rows:
            held = lease.renew()
            if message_id not in held:
                log.warning("outbox %s: lease lost to another process; not sending", message_id)
                continue
            paused_until = self._paused.get((workspace_id, method))
            if paused_until is not None and paused_until > self.ctx.now():
                # Slack asked this workspace to slow down on this method: wait, untried
                self._reschedule(message_id, paused_until, None, count_attempt=False)
                report.retried += 1
            else:
                with lease.kept_alive():
                    self._deliver(
                        _Sending(workspace_id, self.client_for(workspace_id)),
                        message_id,
                        method,
                        payload,
                        on_sent,
                        attempts,
                        report,
                    )
            lease.release(message_id)
        return report

    def drain(self, max_passes: int = 50) -> DeliveryReport:
        """Send everything that is due now (used by `canwe tick` and tests)."""
        total = DeliveryReport()
        for _ in range(max_passes):
            report = self.run_once()
            total.sent += report.sent
            total.retried += report.retried
            total.waiting += report.waiting
            if report.sent == 0:
                break
        return total

    def _deliver(
        self, sending: _Sending, message_id, method, payload, on_sent, attempts, report
    ) -> None:
        try:
            # placeholders are filled from the message's own workspace's rows
            with session_scope(self.ctx.for_workspace(sending.workspace_id).sessions) as session:
                resolved = self._resolve(payload, session, sending)
            response = sending.client.api_call(method, json=resolved)
        except NotReady:
            self._reschedule(
                message_id, self.ctx.now() + WAITING_FOR_PARENT, None, count_attempt=False
            )
            report.waiting += 1
            return
        except SlackApiError as error:
            status = error.response.status_code
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            if status == 429:
                retry_after = int(
                    error.response.headers.get(
                        "Retry-After", error.response.headers.get("retry-after", 1)
                    )
                )
                delay = dt.timedelta(seconds=retry_after)
                self._paused[(sending.workspace_id, method)] = self.ctx.now() + delay
            elif code in TOKEN_GONE_ERRORS and self.ctx.settings.tokens_from_installs:
                delay = MAX_BACKOFF  # waits for a reinstall, which sends it at once
                workspace_gone(
                    self.ctx.for_workspace(sending.workspace_id), f"Slack answered {code}"
                )
            elif code in PERMANENT_ERRORS:
                delay = MAX_BACKOFF
                log.error(
                    "outbox %s: Slack refused %s (%s); will retry in %s",
                    message_id,
                    method,
                    code,
                    delay,
                )
            else:
                delay = backoff(attempts)
            self._reschedule(
                message_id, self.ctx.now() + delay, f"{status} {code or error}", count_attempt=True
            )
            report.retried += 1
            return
        except (SlackRequestError, OSError) as error:  # Slack unreachable
            self._reschedule(
                message_id, self.ctx.now() + backoff(attempts), repr(error), count_attempt=True
            )
            report.retried += 1
            return
        ts = response.get("ts") or response.get("message_ts")
        with session_scope(self.everywhere.sessions) as session:
            message = session.get(OutboxMessage, message_id)
            message.sent_at = self.ctx.now()
            message.result_ts = ts
            message.attempts += 1
            message.locked_until = None
            if on_sent and "escalation_ts" in on_sent:
                escalation = session.get(Escalation, on_sent["escalation_ts"])
                escalation.message_ts = ts
        report.sent += 1

    def _reschedule(
        self, message_id: int, when: dt.datetime, error: str | None, *, count_attempt: bool
    ) -> None:
        with session_scope(self.everywhere.sessions) as session:
            message = session.get(OutboxMessage, message_id)
            message.next_attempt_at = when
            message.locked_until = None
            if count_attempt:
                message.attempts += 1
                message.last_error = error
                log.warning(
                    "outbox %s: %s failed (%s); next try at %s",
                    message_id,
                    message.method,
                    error,
                    when.isoformat(timespec="seconds"),
                )

    def _resolve(self, value: Any, session: Session, sending: _Sending) -> Any:
        """Fill in the placeholders of bot.slack.sends: what was unknown when the message was
        written (a DM channel, the ts of a post, a link to a thread)."""
        if isinstance(value, dict):
            placeholder = decode(value)
            if placeholder is None:
                return {key: self._resolve(inner, session, sending) for key, inner in value.items()}
            return self._fill(placeholder, session, sending)
        if isinstance(value, list):
            return [self._resolve(inner, session, sending) for inner in value]
        return value

    def _fill(self, placeholder: Placeholder, session: Session, sending: _Sending) -> str:
        match placeholder:
            case DirectMessage(user_id):
                return self._dm_channel(sending, user_id)
            case EscalationPost(escalation_id):
                escalation = session.get(Escalation, escalation_id)
                if escalation is None or escalation.message_ts is None:
                    raise NotReady()
                return escalation.message_ts
            case EarlierMessage(key):  # a reply in the thread of another outbox message
                parent_ts = session.scalar(
                    select(OutboxMessage.result_ts).where(OutboxMessage.dedupe_key == key)
                )
                if parent_ts is None:
                    raise NotReady()
                return parent_ts
            case ThreadLink(channel_id, escalation_id):
                return self._thread_link(session, sending, channel_id, escalation_id)
            case Joined(parts):
                return "".join(
                    part if isinstance(part, str) else self._fill(part, session, sending)
                    for part in parts
                )

    def _thread_link(
        self, session: Session, sending: _Sending, channel: str, escalation: int
    ) -> str:
        """A link to an escalation's thread (chat.getPermalink); the channel when the thread
        is not posted yet or Slack cannot find it, rather than holding the message back."""
        row = session.get(Escalation, escalation)
        ts = row.message_ts if row is not None else None
        if ts is None:
            return f"<#{channel}>"
        known = (sending.workspace_id, channel, ts)
        if known not in self._permalinks:
            try:
                response = sending.client.chat_getPermalink(channel=channel, message_ts=ts)
            except SlackApiError as error:
                data = error.response.data
                if not isinstance(data, dict) or data.get("error") not in PERMANENT_ERRORS:
                    raise  # retried with the message, like any Slack error
                return f"<#{channel}>"
            self._permalinks[known] = response["permalink"]
        return f"<{self._permalinks[known]}|thread>"

    def _dm_channel(self, sending: _Sending, user_id: str) -> str:
        known = (sending.workspace_id, user_id)
        if known not in self._dm_channels:
            response = sending.client.conversations_open(users=user_id)
            self._dm_channels[known] = response["channel"]["id"]
        return self._dm_channels[known]

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:  # the worker must outlive a database hiccup
                log.exception("delivery pass failed; retrying")
                report = DeliveryReport()
            if report.sent == 0:
                self._wake.wait(poll_seconds)
                self._wake.clear()
