"""All configuration, read once from the environment (and `.env`) with pydantic-settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def _split_list(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = "sqlite:///canwe.db"
    port: int = 3000

    canwe_timezone: str = "America/New_York"
    canwe_holidays: Annotated[list[dt.date], NoDecode] = Field(default_factory=list)
    canwe_triage_channel: str | None = None
    canwe_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    canwe_answer_lead_days: int = Field(default=2, ge=0)
    canwe_sla_days: int = Field(default=1, ge=1)
    canwe_answer_valid_days: int = Field(default=30, ge=1)
    canwe_promise_confidence: float = Field(default=0.8, gt=0, lt=1)
    canwe_digest_time: dt.time = dt.time(9, 0)
    canwe_tick_seconds: float = Field(default=5.0, gt=0)

    @field_validator("canwe_admins", "canwe_holidays", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return _split_list(value)

    @field_validator("canwe_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone name
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.canwe_timezone)

    def missing_slack_credentials(self) -> list[str]:
        """Names of the variables HTTP mode needs and does not have."""
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET")
        return missing
