"""Linear (GraphQL): the issues of the configured teams become roadmap items.

Read only: we send one query, `issues`, and never a mutation.

Paging is Relay style: `first` / `after`, following `pageInfo.endCursor` while
`pageInfo.hasNextPage`. Incremental runs add `updatedAt: {gte: since}` to the filter.

Status mapping (by workflow state type; overridable by state name or type):

- triage: exploring
- backlog: planned
- unstarted (Todo): committed if it has a due date, a project target date or a cycle,
  else planned
- started: in_progress
- completed: shipped
- canceled: declined

Target date: the issue's `dueDate`, else its project's `targetDate`, else the end of
its cycle. Estimates are Linear points; `days_per_point` (default 1) turns them into
working days. A completed issue with an estimate and a `startedAt` becomes history:
estimated days against the working days from started to completed (at least one).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.clock import Clock
from bot.core.workdays import working_days_between
from bot.roadmap.schema import EstimateIn, HistoryIn, ItemIn, Status
from bot.roadmap.sync.base import (
    BadRecord,
    Page,
    SourceResponseError,
    checked_area,
    collect_page,
)
from bot.roadmap.sync.http import RetryPolicy, TrackerHTTP, json_body, require_https

SOURCE = "linear"
DEFAULT_URL = "https://api.linear.app/graphql"

ISSUES_QUERY = """
query CanweIssues($first: Int!, $after: String, $filter: IssueFilter) {
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {
    nodes {
      id
      identifier
      title
      description
      url
      updatedAt
      startedAt
      completedAt
      dueDate
      estimate
      state { name type }
      team { key name }
      project { name targetDate }
      cycle { number name startsAt endsAt }
      labels { nodes { name } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
""".strip()

DEFAULT_STATE_MAP: dict[str, Status] = {
    "triage": Status.exploring,
    "backlog": Status.planned,
    "unstarted": Status.planned,  # committed instead when scheduled, see map_state
    "started": Status.in_progress,
    "completed": Status.shipped,
    "canceled": Status.declined,
}

RATE_LIMIT_CODES = {"RATELIMITED", "RATE_LIMITED"}
AUTH_CODES = {"AUTHENTICATION_ERROR", "UNAUTHENTICATED", "FORBIDDEN"}
AUTH_TYPES = {"authentication error", "forbidden"}


@dataclass(frozen=True)
class LinearConfig:
    api_key: SecretStr
    # team key -> area name (None: the team's own name is the area)
    teams: Mapping[str, str | None]
    url: str = DEFAULT_URL
    page_size: int = 100
    days_per_point: float = 1.0
    # state name or state type (case-insensitive) -> our status
    status_map: Mapping[str, Status] = field(default_factory=dict)
    public_label: str = "public"


def map_state(
    state_type: str,
    state_name: str,
    scheduled: bool,
    overrides: Mapping[str, Status] | None = None,
) -> Status:
    lowered = {k.lower(): Status(v) for k, v in (overrides or {}).items()}
    for key in (state_name.lower(), state_type.lower()):
        if key in lowered:
            return lowered[key]
    state_type = state_type.lower()
    if state_type == "unstarted" and scheduled:
        return Status.committed
    return DEFAULT_STATE_MAP.get(state_type, Status.exploring)


def _errors(response: httpx.Response) -> list[dict]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors or [] if isinstance(e, dict)]


def describe_error(response: httpx.Response) -> str:
    """Linear's error body is `{"errors": [{"message": ..., "extensions": {...}}]}`."""
    errors = _errors(response)
    if not errors:
        return response.text.strip()[:200] if response.status_code >= 400 else ""
    messages = []
    for error in errors:
        extensions = error.get("extensions") or {}
        messages.append(str(extensions.get("userPresentableMessage") or error.get("message", "")))
    return "; ".join(m for m in messages if m)


def classify(response: httpx.Response) -> str | None:
    for error in _errors(response):
        extensions = error.get("extensions") or {}
        code = str(extensions.get("code", "")).upper()
        kind = str(extensions.get("type", "")).lower()
        if code in RATE_LIMIT_CODES or kind == "ratelimited":
            return "retry"
        if code in AUTH_CODES or kind in AUTH_TYPES:
            return "auth"
    return None


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


class LinearSource:
    name = SOURCE

    def __init__(
        self,
        config: LinearConfig,
        client: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Clock,
        policy: RetryPolicy | None = None,
    ):
        self.config = config
        require_https(SOURCE, config.url, "LINEAR_API_URL")
        self.http = TrackerHTTP(
            SOURCE,
            client,
            credentials_hint="LINEAR_API_KEY",
            describe_error=describe_error,
            classify=classify,
            sleep=sleep,
            now=now,
            policy=policy,
        )
        key = config.api_key.get_secret_value()
        self._headers = {"Authorization": key, "Content-Type": "application/json"}

    def build_filter(self, since: dt.datetime | None) -> dict[str, Any]:
        issue_filter: dict[str, Any] = {"team": {"key": {"in": list(self.config.teams)}}}
        if since is not None:
            stamp = since.astimezone(dt.UTC).isoformat(timespec="milliseconds")
            issue_filter["updatedAt"] = {"gte": stamp.replace("+00:00", "Z")}
        return issue_filter

    def fetch_changes(self, since: dt.datetime | None) -> Iterator[Page]:
        after: str | None = None
        issue_filter = self.build_filter(since)
        while True:
            variables = {"first": self.config.page_size, "after": after, "filter": issue_filter}
            response = self.http.request(
                "POST",
                self.config.url,
                json={"query": ISSUES_QUERY, "variables": variables},
                headers=self._headers,
            )
            body = json_body(SOURCE, response)
            if _errors(response):
                raise SourceResponseError(SOURCE, describe_error(response))
            try:
                connection = body["data"]["issues"]
                nodes = connection["nodes"]
                page_info = connection["pageInfo"]
            except (KeyError, TypeError):
                raise SourceResponseError(SOURCE, "the answer has no data.issues.nodes") from None
            yield self.to_page(nodes)
            end = page_info.get("endCursor")
            if not page_info.get("hasNextPage") or not end or end == after:
                return
            after = end

    def to_page(self, nodes: list[Any]) -> Page:
        return collect_page(
            nodes,
            key_of=lambda node: str(node.get("identifier") or node.get("id") or "?"),
            convert=self.to_records,
            updated_of=_safe_updated,
        )

    def to_records(self, node: dict) -> tuple[ItemIn, HistoryIn | None, dt.datetime | None]:
        key = node["identifier"]
        state = node.get("state")
        if not isinstance(state, dict) or not state.get("type"):
            raise BadRecord("the issue has no workflow state")
        team = node.get("team") or {}
        area = checked_area(self.config.teams.get(team.get("key", "")) or team.get("name"))

        cycle = node.get("cycle") or {}
        project = node.get("project") or {}
        target = None
        if node.get("dueDate"):
            target = dt.date.fromisoformat(node["dueDate"])
        elif project.get("targetDate"):
            target = dt.date.fromisoformat(project["targetDate"])
        elif cycle.get("endsAt"):
            target = _parse_datetime(cycle["endsAt"]).date()
        status = map_state(
            str(state["type"]),
            str(state.get("name", "")),
            scheduled=target is not None,
            overrides=self.config.status_map,
        )

        points = node.get("estimate")
        estimate = None
        if points is not None and status not in (Status.shipped, Status.declined):
            estimate = EstimateIn(team=area, likely=self.days(float(points)))

        labels = [str(n.get("name", "")) for n in (node.get("labels") or {}).get("nodes") or []]
        item = ItemIn(
            key=key,
            title=node.get("title") or "",
            description=node.get("description") or "",
            area=area,
            status=status,
            target=target,
            public=self.config.public_label.lower() in (label.lower() for label in labels),
            url=node.get("url"),
            estimate=estimate,
        )

        history = None
        if (
            status is Status.shipped
            and points
            and node.get("startedAt")
            and node.get("completedAt")
            and (area or "").strip()
        ):
            started = _parse_datetime(node["startedAt"]).date()
            finished = _parse_datetime(node["completedAt"]).date()
            history = HistoryIn(
                team=area,
                estimate=self.days(float(points)),
                actual=max(working_days_between(started, finished), 1),
                finished=finished,
                unit="days",
                source_key=f"{SOURCE}:{key}",
            )
        updated = _parse_datetime(node["updatedAt"]) if node.get("updatedAt") else None
        return item, history, updated

    def days(self, points: float) -> float:
        return round(points * self.config.days_per_point, 2)


def _safe_updated(node: Any) -> dt.datetime | None:
    try:
        return _parse_datetime(node["updatedAt"])
    except (KeyError, TypeError, ValueError):
        return None
