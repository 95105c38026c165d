"""The store: SQLAlchemy 2 typed models. Schema changes go through alembic migrations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Workspace(Base):
    """A Slack workspace (or an Enterprise Grid org, for an org-wide install) whose data this
    store holds. Row 1 is the workspace of a single-token deployment, and the first one an
    OAuth install records; every other install adds a row. Kept when canwe is uninstalled."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id", name="uq_workspaces_team"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    team_id: Mapped[str | None] = mapped_column(String(32))
    installed_at: Mapped[dt.datetime | None]  # None: not installed through OAuth (yet)
    # Slack said canwe was uninstalled (or its token no longer works): no work is done for it
    uninstalled_at: Mapped[dt.datetime | None]
    forgotten_at: Mapped[dt.datetime | None]  # its data deleted, a grace period after that


class WorkspaceOwned:
    """A row that belongs to one workspace. Sessions see and write only their workspace's
    rows (store/tenancy.py), so no query has to remember to filter."""

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)


class Area(WorkspaceOwned, Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_areas_workspace_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    pm_user_id: Mapped[str | None] = mapped_column(String(40))
    backup_user_id: Mapped[str | None] = mapped_column(String(40))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    keywords: Mapped[list[str]] = mapped_column(default=list)


class Item(WorkspaceOwned, Base):
    """A roadmap item. `revised_at` moves only when status, target or estimate change:
    answers given before it no longer hold."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_items_workspace_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    url: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[dt.datetime]
    revised_at: Mapped[dt.datetime]

    area: Mapped[Area | None] = relationship(lazy="joined")
    estimates: Mapped[list[Estimate]] = relationship(
        back_populates="item", order_by="Estimate.id", cascade="all, delete-orphan"
    )

    @property
    def estimate(self) -> Estimate | None:
        """The latest remaining-work estimate."""
        return self.estimates[-1] if self.estimates else None


class Estimate(WorkspaceOwned, Base):
    """Remaining work in working days, as the team estimated it at `recorded_at`."""

    __tablename__ = "estimates"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    team: Mapped[str | None] = mapped_column(String(200))
    optimistic: Mapped[float | None] = mapped_column(Float)
    likely: Mapped[float] = mapped_column(Float)
    pessimistic: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[dt.datetime]

    item: Mapped[Item] = relationship(back_populates="estimates")


class FinishedWork(WorkspaceOwned, Base):
    """History of finished work per team: the evidence behind promise dates."""

    __tablename__ = "finished_work"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source_key", name="uq_finished_work_workspace_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(200), index=True)
    estimate: Mapped[float] = mapped_column(Float)
    actual: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10), default="days")
    finished: Mapped[dt.date] = mapped_column(Date)
    source_key: Mapped[str | None] = mapped_column(String(200))


class Channel(WorkspaceOwned, Base):
    """A channel's settings. Keyed with its workspace: a Slack Connect channel has one id in
    every workspace that shares it."""

    __tablename__ = "channels"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), default="sales")


class Question(WorkspaceOwned, Base):
    """A rep's question, stored before anything else happens."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_asker_channel", "asker_id", "channel_id", "created_at"),
        # both: with an index on each alone SQLite read the whole workspace's (migration 0014)
        Index("ix_questions_escalation_workspace", "escalation_id", "workspace_id"),
        UniqueConstraint("workspace_id", "request_key", name="uq_questions_workspace_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    asker_id: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[str] = mapped_column(String(40), index=True)
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # command | mention | cli
    customer: Mapped[str | None] = mapped_column(String(200))
    deal_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    deal_currency: Mapped[str | None] = mapped_column(String(3))  # "EUR"; None: dollars
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)  # answered | escalated | closed
    verdict: Mapped[str] = mapped_column(String(20))
    told_date: Mapped[dt.date | None] = mapped_column(Date)  # the date given with the verdict
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    # the item the rep said it is not about ("Not what I meant"), never offered or shown again
    # for it (migration 0015: a note, no foreign key)
    turned_down_item_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]

    item: Mapped[Item | None] = relationship()


class Escalation(WorkspaceOwned, Base):
    """One open question thread in a PM channel; every question asking it is a watcher."""

    __tablename__ = "escalations"
    __table_args__ = (
        # one open thread per question asked: a second process asking the same new question
        # at the same moment fails this insert and joins the thread (see bot.escalations.posting)
        Index(
            "uq_escalations_open_key",
            "workspace_id",
            "open_key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    channel_id: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(40))
    backup_id: Mapped[str | None] = mapped_column(String(40))
    match_text: Mapped[str] = mapped_column(Text)  # normalised text, to join unknown repeats
    # what this thread is about while open: "item:12", "item:12:deal:globex" or "text:…"
    open_key: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(20))  # unknown | not_committed | exception
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | answered
    message_ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    next_check_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    late_notified_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]

    item: Mapped[Item | None] = relationship()
    area: Mapped[Area | None] = relationship()


class Answer(WorkspaceOwned, Base):
    """A PM's answer, stored as a fact about the item, never as a verdict against one
    rep's date: `verdict` is committed (can be promised from `promise_date`), not_committed
    or no. `scope` "item" holds for every deal; "deal" only for the escalation's own reps
    and later questions for `customer`. Reused while `valid_until` has not passed, the item
    has not been revised since, and no later answer to the same escalation replaced it."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source_key", name="uq_answers_workspace_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    promise_date: Mapped[dt.date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(10), default="item", server_default="item")
    customer: Mapped[str | None] = mapped_column(String(200))
    replaced_at: Mapped[dt.datetime | None]
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    # the submission it came from ("view:V1:hash", "event:Ev1"): the same one twice is one answer
    source_key: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    cost_note: Mapped[str] = mapped_column(Text, default="")
    scope_note: Mapped[str] = mapped_column(Text, default="")
    schedule_note: Mapped[str] = mapped_column(Text, default="")
    services_note: Mapped[str] = mapped_column(Text, default="")
    marketing_note: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(40))
    answered_at: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    item_revised_at: Mapped[dt.datetime | None]

    replaces: Mapped[Answer | None] = relationship(remote_side=[id])


class OutboxMessage(WorkspaceOwned, Base):
    """A Slack Web API call to make, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key", name="uq_outbox_workspace_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]]
    # what to record once sent, e.g. {"escalation_ts": 12}: the ts Slack gives back
    on_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    result_ts: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)


class HandledEvent(Base):
    """Slack event ids already handled: Slack retries must not act twice."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[dt.datetime]


class SyncCursor(WorkspaceOwned, Base):
    """Per tracker: the newest `updated` time applied by the last successful sync."""

    __tablename__ = "sync_cursors"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursor: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SyncRun(WorkspaceOwned, Base):
    """One `canwe sync` (or periodic) run: what it read, what it changed, why it stopped."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    since: Mapped[dt.datetime | None]  # the cursor the run read from (None: everything)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    skipped: Mapped[list[str]] = mapped_column(default=list)  # "KEY: reason", at most 100
    error: Mapped[str | None] = mapped_column(Text)


TAUGHT_BY_PM = "pm"  # a PM answered a question in these words with the item
TAUGHT_BY_REP = "rep"  # a rep picked the item for these words


class Phrasing(WorkspaceOwned, Base):
    """Another way of naming an item: a question a PM answered for it, or the words of a rep
    who picked it from a "did you mean". Used by matching."""

    __tablename__ = "phrasings"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # PM (answering) or REP (picking): a rep's "Not what I meant" takes back only a rep's
    taught_by: Mapped[str] = mapped_column(
        String(10), default=TAUGHT_BY_REP, server_default=TAUGHT_BY_REP
    )
    created_at: Mapped[dt.datetime]


class Synonym(WorkspaceOwned, Base):
    """A term and what it means (`sso` means `single sign-on`); PMs edit these. Both ways."""

    __tablename__ = "synonyms"
    __table_args__ = (UniqueConstraint("workspace_id", "term", name="uq_synonyms_workspace_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200))
    means: Mapped[str] = mapped_column(String(500))


class Promise(WorkspaceOwned, Base):
    """A rep told a customer "yes, by this date": watched until the item ships.

    `known_date` is the item's date when last checked (the "old" date of the next alert);
    `alerted_state` is the risk last told to the rep (None while on track), so each change
    is told once.
    """

    __tablename__ = "promises"
    __table_args__ = (Index("ix_promises_rep_status", "rep_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), unique=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    customer: Mapped[str] = mapped_column(String(200))
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    deal_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    deal_currency: Mapped[str | None] = mapped_column(String(3))
    rep_id: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(Text, default="")  # what the answer said at the time
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | closed
    created_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    known_date: Mapped[dt.date | None] = mapped_column(Date)
    alerted_state: Mapped[str | None] = mapped_column(String(60))
    alerted_at: Mapped[dt.datetime | None]

    item: Mapped[Item] = relationship()


class DigestClaim(WorkspaceOwned, Base):
    """A digest taken for one channel (or one PM's DM) on one local day: the row that makes it
    exactly once. Inserted in the same transaction as the digest's outbox rows."""

    __tablename__ = "digest_claims"
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "kind", "target", "day", name="uq_digest_claims_workspace"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # channel | personal
    target: Mapped[str] = mapped_column(String(40))  # channel id, or the PM's user id
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    claimed_at: Mapped[dt.datetime]
    posts: Mapped[int] = mapped_column(Integer, default=0)
