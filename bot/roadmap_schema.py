"""The validated shape of roadmap data, whatever its source (YAML, CSV, Jira, Linear).

Every source turns its input into these records; `bot.importer.apply_roadmap` writes
them to the store in one transaction.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaIn(_Strict):
    name: str = Field(min_length=1, max_length=200)
    pm: str | None = None
    backup: str | None = None
    channel: str | None = None
    keywords: list[str] = Field(default_factory=list)


class EstimateIn(_Strict):
    """Remaining work in working days. A single-point estimate sets only `likely`."""

    team: str | None = None
    optimistic: float | None = Field(default=None, ge=0)
    likely: float = Field(ge=0)
    pessimistic: float | None = Field(default=None, ge=0)

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
    area: str | None = None
    status: Status
    target: dt.date | None = None
    public: bool = False
    aliases: list[str] = Field(default_factory=list)
    url: str | None = None
    estimate: EstimateIn | None = None


class ChannelIn(_Strict):
    id: str = Field(min_length=1, max_length=40)
    audience: Audience = Audience.sales


class HistoryIn(_Strict):
    """One finished piece of work: how long it was estimated, how long it took."""

    team: str = Field(min_length=1)
    estimate: float = Field(gt=0)
    actual: float = Field(gt=0)
    finished: dt.date
    unit: str = "days"
    source_key: str | None = None


class RoadmapIn(_Strict):
    timezone: str | None = None
    areas: list[AreaIn] = Field(default_factory=list)
    items: list[ItemIn] = Field(default_factory=list)
    channels: list[ChannelIn] = Field(default_factory=list)
    history: list[HistoryIn] = Field(default_factory=list)
