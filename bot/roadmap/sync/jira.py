"""Jira Cloud (REST API v3): issues found by a JQL filter per area become roadmap items.

Read only: we call the two search endpoints and nothing else.

Paging: `GET /rest/api/3/search/jql` with `nextPageToken` / `isLast` (the current API);
`GET /rest/api/3/search` with `startAt` / `total` (the older one, still answered by some
sites). `paging="auto"` uses the first and falls back to the second on a 404 / 410.

Incremental: the area's JQL gets `AND updated >= "<since minus one day>"` and
`ORDER BY updated ASC`. JQL reads dates in the API user's own time zone, which we
cannot know, so we re-read a day of overlap; applying an unchanged issue changes nothing.

Status mapping (see `DEFAULT_CATEGORY_MAP`, overridable by status name or category key):

- To Do (`new`): committed if it has a fix version or a due date, else planned
- In Progress (`indeterminate`): in_progress
- Done (`done`): shipped; declined when resolved as Won't Do, Won't Fix, Declined,
  Duplicate or Cannot Reproduce
- No category (`undefined`): exploring

Times: Jira keeps `timeoriginalestimate`, `timeestimate` (remaining) and `timespent` in
seconds; we turn them into working days of `hours_per_day` hours (default 8, Jira's own
default working day).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from bot.clock import Clock
from bot.roadmap.schema import EstimateIn, HistoryIn, ItemIn, Status
from bot.roadmap.sync.base import (
    BadRecord,
    Page,
    SourceResponseError,
    checked_area,
    collect_page,
)
from bot.roadmap.sync.http import RetryPolicy, TrackerHTTP, json_body, require_https

SOURCE = "jira"

FIELDS = (
    "summary",
    "description",
    "status",
    "resolution",
    "fixVersions",
    "duedate",
    "labels",
    "components",
    "project",
    "timeoriginalestimate",
    "timeestimate",
    "timespent",
    "resolutiondate",
    "updated",
)

DEFAULT_CATEGORY_MAP: dict[str, Status] = {
    "new": Status.planned,  # committed instead when scheduled, see map_status
    "indeterminate": Status.in_progress,
    "done": Status.shipped,
    "undefined": Status.exploring,
}

DEFAULT_DECLINED_RESOLUTIONS = frozenset(
    {"won't do", "won't fix", "declined", "duplicate", "cannot reproduce"}
)

# One JQL for every area: the area comes from the issue (first component, else project).
ANY_AREA = ""

_ORDER_BY = re.compile(r"\border\s+by\b.*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class JiraConfig:
    base_url: str
    email: str
    api_token: SecretStr
    # area name -> JQL; the key ANY_AREA ("") means one JQL whose area comes from the issue
    jql: Mapping[str, str]
    hours_per_day: float = 8.0
    page_size: int = 100
    paging: str = "auto"  # auto | token | offset
    # status name or status-category key (case-insensitive) -> our status
    status_map: Mapping[str, Status] = field(default_factory=dict)
    declined_resolutions: frozenset[str] = DEFAULT_DECLINED_RESOLUTIONS
    public_label: str = "public"
    overlap: dt.timedelta = dt.timedelta(days=1)


def map_status(
    category_key: str,
    status_name: str,
    resolution: str | None,
    scheduled: bool,
    overrides: Mapping[str, Status] | None = None,
    declined_resolutions: frozenset[str] = DEFAULT_DECLINED_RESOLUTIONS,
) -> Status:
    """Our status for a Jira status; an override for the status name wins over everything."""
    lowered = {k.lower(): Status(v) for k, v in (overrides or {}).items()}
    if status_name.lower() in lowered:
        return lowered[status_name.lower()]
    category_key = category_key.lower()
    if category_key == "done" and resolution and resolution.lower() in declined_resolutions:
        return Status.declined
    if category_key in lowered:
        return lowered[category_key]
    if category_key == "new" and scheduled:
        return Status.committed
    return DEFAULT_CATEGORY_MAP.get(category_key, Status.exploring)


def adf_to_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format tree (v3 descriptions are ADF, not strings)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    blocks: list[str] = []

    def walk(n: Any, out: list[str]) -> None:
        if not isinstance(n, dict):
            return
        kind = n.get("type")
        if kind == "text":
            out.append(n.get("text", ""))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind in ("mention", "emoji"):
            out.append(n.get("attrs", {}).get("text", ""))
        for child in n.get("content", []) or []:
            walk(child, out)

    for block in node.get("content", []) or []:
        parts: list[str] = []
        walk(block, parts)
        text = "".join(parts).strip()
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)


def parse_jira_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def describe_error(response: httpx.Response) -> str:
    """Jira's error body is `{"errorMessages": [...], "errors": {field: message}}`."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if not isinstance(body, dict):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or []]
    messages += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return "; ".join(messages)


class JiraSource:
    name = SOURCE

    def __init__(
        self,
        config: JiraConfig,
        client: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Clock,
        policy: RetryPolicy | None = None,
    ):
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        require_https(SOURCE, self.base_url, "JIRA_BASE_URL")
        self.http = TrackerHTTP(
            SOURCE,
            client,
            credentials_hint="JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN",
            describe_error=describe_error,
            now=now,
            sleep=sleep,
            policy=policy,
        )
        self._auth = httpx.BasicAuth(config.email, config.api_token.get_secret_value())
        self._paging = config.paging

    # --- reading -------------------------------------------------------------------

    def fetch_changes(self, since: dt.datetime | None) -> Iterator[Page]:
        for area, jql in self.config.jql.items():
            query = self.build_jql(jql, since)
            for issues in self._search(query):
                yield self.to_page(issues, area or None)

    def build_jql(self, jql: str, since: dt.datetime | None) -> str:
        base = _ORDER_BY.sub("", jql).strip()
        if since is not None:
            start = (since - self.config.overlap).astimezone(dt.UTC)
            clause = f'updated >= "{start:%Y/%m/%d %H:%M}"'
            base = f"({base}) AND {clause}" if base else clause
        return f"{base} ORDER BY updated ASC"

    def _search(self, jql: str) -> Iterator[list[dict]]:
        if self._paging in ("auto", "token"):
            try:
                yield from self._search_token(jql)
                return
            except SourceResponseError as exc:
                if self._paging == "token" or exc.status not in (404, 410):
                    raise
                self._paging = "offset"  # an older site: the enhanced search is not there
        yield from self._search_offset(jql)

    def _get(self, path: str, params: dict[str, Any]) -> dict:
        response = self.http.request("GET", self.base_url + path, params=params, auth=self._auth)
        body = json_body(SOURCE, response)
        if not isinstance(body, dict) or not isinstance(body.get("issues"), list):
            raise SourceResponseError(SOURCE, f"{path} answered without an issues list")
        return body

    def _search_token(self, jql: str) -> Iterator[list[dict]]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {
                "jql": jql,
                "fields": ",".join(FIELDS),
                "maxResults": self.config.page_size,
            }
            if token:
                params["nextPageToken"] = token
            body = self._get("/rest/api/3/search/jql", params)
            yield body["issues"]
            next_token = body.get("nextPageToken")
            if body.get("isLast", not next_token) or not next_token or next_token == token:
                return
            token = next_token

    def _search_offset(self, jql: str) -> Iterator[list[dict]]:
        start = 0
        while True:
            params = {
                "jql": jql,
                "fields": ",".join(FIELDS),
                "startAt": start,
                "maxResults": self.config.page_size,
            }
            body = self._get("/rest/api/3/search", params)
            issues = body["issues"]
            yield issues
            start = int(body.get("startAt", start)) + len(issues)
            if not issues or start >= int(body.get("total", 0)):
                return

    # --- mapping -------------------------------------------------------------------

    def to_page(self, issues: list[dict], area: str | None) -> Page:
        return collect_page(
            issues,
            key_of=lambda issue: str(issue.get("key") or issue.get("id") or "?"),
            convert=lambda issue: self.to_records(issue, area),
            updated_of=_safe_updated,
        )

    def to_records(
        self, issue: dict, area: str | None
    ) -> tuple[ItemIn, HistoryIn | None, dt.datetime | None]:
        key = issue["key"]
        fields = issue["fields"]
        status = fields.get("status")
        if not isinstance(status, dict) or not isinstance(status.get("statusCategory"), dict):
            raise BadRecord("the issue has no status / status category")
        category = str(status["statusCategory"].get("key", "undefined"))
        resolution = (fields.get("resolution") or {}).get("name")

        if area is None:
            components = fields.get("components") or []
            project = fields.get("project") or {}
            area = (components[0].get("name") if components else None) or project.get("name")
        area = checked_area(area)

        due = fields.get("duedate")
        releases = sorted(
            v["releaseDate"] for v in fields.get("fixVersions") or [] if v.get("releaseDate")
        )
        target = (
            dt.date.fromisoformat(due)
            if due
            else (dt.date.fromisoformat(releases[0]) if releases else None)
        )
        status_value = map_status(
            category,
            str(status.get("name", "")),
            resolution,
            scheduled=target is not None or bool(fields.get("fixVersions")),
            overrides=self.config.status_map,
            declined_resolutions=self.config.declined_resolutions,
        )

        original = _seconds(fields.get("timeoriginalestimate"))
        remaining = _seconds(fields.get("timeestimate"))
        spent = _seconds(fields.get("timespent"))
        estimate = None
        if status_value not in (Status.shipped, Status.declined):
            if remaining is None and original is not None:
                remaining = max(original - (spent or 0), 0)
            if remaining is not None:
                estimate = EstimateIn(team=area, likely=self.days(remaining))

        labels = [str(label) for label in fields.get("labels") or []]
        item = ItemIn(
            key=key,
            title=fields.get("summary") or "",
            description=adf_to_text(fields.get("description")),
            area=area,
            status=status_value,
            target=target,
            public=self.config.public_label.lower() in (label.lower() for label in labels),
            url=f"{self.base_url}/browse/{key}",
            estimate=estimate,
        )

        history = None
        resolved_at = fields.get("resolutiondate")
        if (
            status_value is Status.shipped
            and resolved_at
            and original
            and spent
            and (area or "").strip()
        ):
            history = HistoryIn(
                team=area,
                estimate=self.days(original),
                actual=self.days(spent),
                finished=parse_jira_datetime(resolved_at).date(),
                unit="days",
                source_key=f"{SOURCE}:{key}",
            )
        updated = parse_jira_datetime(fields["updated"]) if fields.get("updated") else None
        return item, history, updated

    def days(self, seconds: int) -> float:
        return round(seconds / 3600 / self.config.hours_per_day, 2)


def _seconds(value: Any) -> int | None:
    if value is None:
        return None
    seconds = int(value)
    if seconds < 0:
        raise ValueError(f"negative time {seconds}")
    return seconds


def _safe_updated(issue: Any) -> dt.datetime | None:
    try:
        return parse_jira_datetime(issue["fields"]["updated"])
    except (KeyError, TypeError, ValueError):
        return None
