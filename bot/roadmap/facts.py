"""What the bot knows about an answer, as plain data: the input of every message builder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from bot.core.truth import ITEM, describe_fact
from bot.core.verdicts import SafeDate, Verdict
from bot.roadmap.matching import Candidate
from store.models import Answer, Item


@dataclass(frozen=True)
class ItemFacts:
    key: str
    title: str
    url: str | None
    status: str
    public: bool
    target_date: dt.date | None
    area: str | None
    owner_id: str | None
    estimate_team: str | None = None
    estimate_days: tuple[float | None, float, float | None] | None = (
        None  # optimistic, likely, pessimistic
    )

    @classmethod
    def of(cls, item: Item) -> ItemFacts:
        estimate = item.estimate
        return cls(
            key=item.key,
            title=item.title,
            url=item.url,
            status=item.status,
            public=item.public,
            target_date=item.target_date,
            area=item.area.name if item.area else None,
            owner_id=item.area.pm_user_id if item.area else None,
            estimate_team=estimate.team if estimate else None,
            estimate_days=(estimate.optimistic, estimate.likely, estimate.pessimistic)
            if estimate
            else None,
        )


@dataclass(frozen=True)
class PMAnswerFacts:
    """A PM's answer as stored: a fact about the item (see bot.core.truth), with the notes."""

    verdict: Verdict  # committed (from promise_date), not_committed or no
    answered_by: str
    answered_at: dt.datetime
    promise_date: dt.date | None
    scope: str = ITEM
    customer: str | None = None
    note: str = ""
    cost_note: str = ""
    scope_note: str = ""
    schedule_note: str = ""
    services_note: str = ""
    marketing_note: str = ""
    replaces: PMAnswerFacts | None = None  # the earlier answer this version replaced

    @classmethod
    def of(cls, answer: Answer, *, with_earlier: bool = True) -> PMAnswerFacts:
        return cls(
            verdict=Verdict(answer.verdict),
            answered_by=answer.answered_by,
            answered_at=answer.answered_at,
            promise_date=answer.promise_date,
            scope=answer.scope,
            customer=answer.customer,
            note=answer.note,
            cost_note=answer.cost_note,
            scope_note=answer.scope_note,
            schedule_note=answer.schedule_note,
            services_note=answer.services_note,
            marketing_note=answer.marketing_note,
            replaces=cls.of(answer.replaces, with_earlier=False)
            if with_earlier and answer.replaces is not None
            else None,
        )

    def describe(self, today: dt.date | None = None) -> str:
        """What the PM said, never against one rep's date: "can be promised from Mar 1"."""
        return describe_fact(self.verdict, self.promise_date, today)


@dataclass(frozen=True)
class EscalationFacts:
    escalation_id: int
    channel_id: str
    owner_id: str | None
    due_at: dt.datetime
    joined_existing: bool = False
    watchers: int = 1  # reps waiting, each counted once
    asked_again: bool = False  # this rep had already asked it: another deal, or the same again


@dataclass(frozen=True)
class AnswerFacts:
    question_id: int
    verdict: Verdict
    question_text: str
    today: dt.date
    customer: str | None = None
    deal_value: Decimal | None = None
    deal_currency: str | None = None
    needed_by: dt.date | None = None
    item: ItemFacts | None = None
    safe: SafeDate | None = None
    date: dt.date | None = (
        None  # the date to promise, from bot.core.truth (earliest, if not by then)
    )
    overrides: str | None = None  # the record a PM answer wins over, when they differ
    updated_from: str | None = None  # a relay replacing an earlier answer: what that one said
    # an answer that differs from what this rep was told about the item before: what that
    # was, and the day it was said
    told_before: str | None = None
    told_on: dt.date | None = None
    others: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    date_notes: list[str] = field(default_factory=list)  # a past or unreadable date: said first
    pm_answer: PMAnswerFacts | None = None
    escalation: EscalationFacts | None = None
    can_ask_exception: bool = False
    # the item was matched (or picked) for the rep's words and nobody else has answered yet:
    # the rep may say it is not the feature they meant (bot.questions.picking.not_this)
    can_say_not_this: bool = False
    reply_by_dm: bool = False  # an ephemeral /canwe answer: later news goes by DM
