"""All configuration, read once from the environment (and `.env`) with pydantic-settings."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.roadmap.schema import Status

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"


def _split_list(value):
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # OAuth install ("Add to Slack", bot/slack/install.py): both set turns it on, and then no
    # SLACK_BOT_TOKEN is needed; the token comes with the install
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None  # default: the one set in the app's settings
    slack_authorize_url: str = DEFAULT_SLACK_AUTHORIZE_URL
    # a workspace that uninstalled canwe keeps its data this long (a reinstall picks it up
    # again), then it is deleted
    canwe_forget_uninstalled_days: int = Field(default=30, ge=0)
    # where the browser goes once an install is done (default: Bolt's page, which opens Slack)
    slack_install_success_url: str | None = None
    database_url: str = "sqlite:///canwe.db"
    port: int = 3000
    # `canwe serve` processes sharing the port (HTTP only): Python runs one request's code at
    # a time per process, so a machine with N cores answers most with about N of them
    canwe_processes: int = Field(default=1, ge=1, le=64)
    # Slack requests over HTTP one process works on at once (at most its database pool);
    # the rest wait their turn in arrival order. The Python of one runs at a time, so beyond
    # a few (enough to overlap one's database round trips with another's code) more at once
    # only take turns at the interpreter lock: each then waits on every other, and the slowest
    # wait longest (benchmarks/concurrency.py, one process: p99 151 to 183 ms with every
    # request at once, up to 16; 85 to 95 ms with 4, in the same hour)
    canwe_requests_at_once: int = Field(default=4, ge=1, le=64)

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

    # --- tracker sync (docs/sync.md) ------------------------------------------------
    # Jira Cloud: one JQL for every area, or a JSON object {"Area name": "JQL", ...}
    jira_base_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_jql: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    jira_status_map: Annotated[dict[str, Status], NoDecode] = Field(default_factory=dict)
    jira_hours_per_day: float = Field(default=8.0, gt=0, le=24)
    jira_paging: Literal["auto", "token", "offset"] = "auto"
    # Linear: team keys, each optionally mapped to an area name: "ENG,BIL=Billing"
    linear_api_key: SecretStr | None = None
    linear_teams: Annotated[dict[str, str | None], NoDecode] = Field(default_factory=dict)
    linear_status_map: Annotated[dict[str, Status], NoDecode] = Field(default_factory=dict)
    linear_days_per_point: float = Field(default=1.0, gt=0)
    linear_api_url: str = "https://api.linear.app/graphql"
    # minutes between periodic syncs inside `canwe serve`; 0 turns them off
    canwe_sync_minutes: int = Field(default=15, ge=0)

    @field_validator("canwe_admins", "canwe_holidays", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        return _split_list(value)

    @field_validator("jira_jql", mode="before")
    @classmethod
    def _jql_per_area(cls, value):
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                return json.loads(text)
            return {"": text}  # one JQL: the area comes from each issue
        return value

    @field_validator("jira_status_map", "linear_status_map", "linear_teams", mode="before")
    @classmethod
    def _key_value_pairs(cls, value):
        """`A=x,B=y` (or a JSON object); a bare `A` maps to None."""
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{"):
                return json.loads(text)
            pairs = {}
            for part in _split_list(text):
                key, _, mapped = part.partition("=")
                pairs[key.strip()] = mapped.strip() or None
            return pairs
        if isinstance(value, list):
            return {key: None for key in value}
        return value

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

    def missing_sync_settings(self, source: str) -> list[str]:
        """Names of the variables a tracker sync needs and does not have."""
        if source == "jira":
            wanted = {
                "JIRA_BASE_URL": self.jira_base_url,
                "JIRA_EMAIL": self.jira_email,
                "JIRA_API_TOKEN": self.jira_api_token,
                "JIRA_JQL": self.jira_jql,
            }
        elif source == "linear":
            wanted = {"LINEAR_API_KEY": self.linear_api_key, "LINEAR_TEAMS": self.linear_teams}
        else:
            raise ValueError(f"unknown sync source {source!r}")
        return [name for name, value in wanted.items() if not value]

    @property
    def installs_with_oauth(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def tokens_from_installs(self) -> bool:
        """Whether tokens come from OAuth installs, one per workspace (the client id and
        secret set, no SLACK_BOT_TOKEN), rather than from the one SLACK_BOT_TOKEN."""
        return self.installs_with_oauth and not self.slack_bot_token

    def missing_slack_credentials(self) -> list[str]:
        """Names of the variables HTTP mode needs and does not have."""
        missing = []
        if self.slack_client_id and not self.slack_client_secret:
            missing.append("SLACK_CLIENT_SECRET")
        if self.slack_client_secret and not self.slack_client_id:
            missing.append("SLACK_CLIENT_ID")
        if not self.slack_bot_token and not self.installs_with_oauth:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET")
        return missing
