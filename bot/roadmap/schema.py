"""The validated shape of roadmap data, whatever its source (YAML, CSV, Jira, Linear).

Every source turns its input into these records; `bot.roadmap.importer.apply_roadmap` writes
them to the store in one transaction.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Limits: the store's columns (store/models.py), and what a sane roadmap holds.
MAX_DAYS = 10_000  # an estimate in working days: about 40 years
MAX_HISTORY_AMOUNT = 100_000  # finished work, in days or hours
MAX_DESCRIPTION_CHARS = 20_000  # longer is cut: indexed for matching (store/search.py)
MAX_LIST_ENTRIES = 200  # keywords or aliases of one area or item

SlackId = Annotated[str, Field(max_length=40)]
Name = Annotated[str, Field(max_length=200)]
Alias = Annotated[str, Field(max_length=500)]


class Status(StrEnum):
    shipped = "shipped"
    in_progress = "in_progress"
    committed = "committed"
    planned = "planned"
    exploring = "exploring"
    declined = "declined"


class Audience(StrEnum):
    sales = "sales"
    services = "services"
    marketing = "marketing"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        """PostgreSQL cannot store a NUL character in text."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("contains a NUL character")
        return value


class AreaIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    pm: SlackId | None = None
    backup: SlackId | None = None
    channel: SlackId | None = None
    keywords: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)


class EstimateIn(_Strict):
    """Remaining work in working days. A single-point estimate sets only `likely`."""

    team: Name | None = None
    optimistic: float | None = Field(default=None, ge=0, le=MAX_DAYS)
    likely: float = Field(ge=0, le=MAX_DAYS)
    pessimistic: float | None = Field(default=None, ge=0, le=MAX_DAYS)

    @field_validator("likely")
    @classmethod
    def _likely_not_below_optimistic(cls, value, info):
        optimistic = info.data.get("optimistic")
        if optimistic is not None and value < optimistic:
            raise ValueError("likely must be >= optimistic")
        return value

    @field_validator("pessimistic")
    @classmethod
    def _pessimistic_not_below_likely(cls, value, info):
        likely = info.data.get("likely")
        if value is not None and likely is not None and value < likely:
            raise ValueError("pessimistic must be >= likely")
        return value


class ItemIn(_Strict):
    key: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)
    description: str = ""
    area: Name | None = None
    status: Status
    target: dt.date | None = None
    public: bool = False
    aliases: list[Alias] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)
    url: str | None = Field(default=None, max_length=1000)
    estimate: EstimateIn | None = None

    @field_validator("description", mode="after")
    @classmethod
    def _description_cut(cls, value: str) -> str:
        # cut, not refused: a tracker's long description is no mistake, but all of it would
        # be indexed and read for every answer
        return value if len(value) <= MAX_DESCRIPTION_CHARS else value[:MAX_DESCRIPTION_CHARS]


class ChannelIn(_Strict):
    id: str = Field(min_length=1, max_length=40)
    audience: Audience = Audience.sales


class HistoryIn(_Strict):
    """One finished piece of work: how long it was estimated, how long it took."""

    team: str = Field(min_length=1, max_length=200)
    estimate: float = Field(gt=0, le=MAX_HISTORY_AMOUNT)
    actual: float = Field(gt=0, le=MAX_HISTORY_AMOUNT)
    finished: dt.date
    unit: str = Field(default="days", max_length=10)
    source_key: str | None = Field(default=None, max_length=200)


class RoadmapIn(_Strict):
    timezone: str | None = None
    areas: list[AreaIn] = Field(default_factory=list)
    items: list[ItemIn] = Field(default_factory=list)
    channels: list[ChannelIn] = Field(default_factory=list)
    history: list[HistoryIn] = Field(default_factory=list)
