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


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    pm_user_id: Mapped[str | None] = mapped_column(String(40))
    backup_user_id: Mapped[str | None] = mapped_column(String(40))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    keywords: Mapped[list[str]] = mapped_column(default=list)


class Item(Base):
    """A roadmap item. `revised_at` moves only when status, target or estimate change:
    answers given before it no longer hold."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
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


class Estimate(Base):
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


class FinishedWork(Base):
    """History of finished work per team: the evidence behind promise dates."""

    __tablename__ = "finished_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str] = mapped_column(String(200), index=True)
    estimate: Mapped[float] = mapped_column(Float)
    actual: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10), default="days")
    finished: Mapped[dt.date] = mapped_column(Date)
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), default="sales")


class Question(Base):
    """A rep's question, stored before anything else happens."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_asker_channel", "asker_id", "channel_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    asker_id: Mapped[str] = mapped_column(String(40))
    channel_id: Mapped[str] = mapped_column(String(40), index=True)
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # command | mention | cli
    customer: Mapped[str | None] = mapped_column(String(200))
    deal_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)  # answered | escalated | closed
    verdict: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]

    item: Mapped[Item | None] = relationship()


class Escalation(Base):
    """One open question thread in a PM channel; every question asking it is a watcher."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    channel_id: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[str | None] = mapped_column(String(40))
    backup_id: Mapped[str | None] = mapped_column(String(40))
    match_text: Mapped[str] = mapped_column(Text)  # normalised text, to join unknown repeats
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


class Answer(Base):
    """A PM's answer. Reused while valid and while the item has not been revised since."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    promise_date: Mapped[dt.date | None] = mapped_column(Date)
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


class OutboxMessage(Base):
    """A Slack Web API call to make, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
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


class SyncCursor(Base):
    """Per tracker: the newest `updated` time applied by the last successful sync."""

    __tablename__ = "sync_cursors"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursor: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SyncRun(Base):
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


class Phrasing(Base):
    """Another way of naming an item: a question a PM answered for it. Used by matching."""

    __tablename__ = "phrasings"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class Synonym(Base):
    """A term and what it means (`sso` means `single sign-on`); PMs edit these. Both ways."""

    __tablename__ = "synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    means: Mapped[str] = mapped_column(String(500))
