"""`canwe import`: read a roadmap file (YAML, CSV, or the Kubernetes KEP CSV) and upsert it.

A file is validated whole before anything is written; one bad row rejects the file with
its row and field named, and the store is left as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.roadmap.schema import EstimateIn, HistoryIn, ItemIn, RoadmapIn
from store.bulk import ids_by, insert_rows
from store.models import Area, Channel, Estimate, FinishedWork, Item

BATCH = 1000  # rows per statement in bulk reads and writes


class RoadmapFileError(Exception):
    """A file that cannot be imported; the message names file, row and field."""


@dataclass
class ImportReport:
    created: dict[str, int] = field(
        default_factory=lambda: {
            "areas": 0,
            "items": 0,
            "channels": 0,
            "estimates": 0,
            "history": 0,
        }
    )
    updated: dict[str, int] = field(default_factory=lambda: {"areas": 0, "items": 0, "channels": 0})
    unchanged: int = 0
    revised_item_ids: list[int] = field(default_factory=list)  # status, target or estimate moved

    def summary(self) -> str:
        made = ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n) or "nothing new"
        changed = ", ".join(f"{n} {kind}" for kind, n in self.updated.items() if n) or "nothing"
        return f"created {made}; updated {changed}; {self.unchanged} unchanged"


# ---------------------------------------------------------------- reading files


@dataclass
class RoadmapFile:
    """A validated roadmap file, and for a CSV the line each row came from (for messages)."""

    path: Path
    roadmap: RoadmapIn
    lines: dict[str, list[int]] = field(default_factory=dict)

    def where(self, section: str, index: int) -> str:
        return _where(self.lines, section, index)


def _where(lines: dict[str, list[int]], section: str, index: int) -> str:
    """Where a row is: its line in a CSV (the header is line 1), its number in YAML."""
    if section in lines and index < len(lines[section]):
        return f"line {lines[section][index]}"
    return f"{section} row {index + 1}"


def _where_both(lines: dict[str, list[int]], section: str, first: int, second: int) -> str:
    if section in lines:
        return f"lines {lines[section][first]} and {lines[section][second]}"
    return f"{section} rows {first + 1} and {second + 1}"


def load_file(path: Path, today: dt.date) -> RoadmapIn:
    return read_file(path, today).roadmap


def read_file(path: Path, today: dt.date) -> RoadmapFile:
    """Read and validate a whole file; RoadmapFileError names file, row and field."""
    if not path.exists():
        raise RoadmapFileError(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RoadmapFileError(f"{path}: not UTF-8 text ({error})") from error
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _from_yaml(path, text)
    if suffix == ".csv":
        return _from_csv(path, text, today)
    raise RoadmapFileError(
        f"{path}: unknown file type {suffix or '(none)'}; use .yaml, .yml or .csv"
    )


def _validate(
    path: Path, data: dict[str, Any], lines: dict[str, list[int]] | None = None
) -> RoadmapFile:
    lines = lines or {}
    try:
        roadmap = RoadmapIn.model_validate(data)
    except ValidationError as error:
        problems = []
        for issue in error.errors()[:20]:
            location = list(issue["loc"])
            where = ""
            if len(location) >= 2 and isinstance(location[1], int):
                section, index = location[0], location[1]
                row = data.get(section, [])[index] if isinstance(data.get(section), list) else {}
                label = (
                    row.get("key") or row.get("name") or row.get("id")
                    if isinstance(row, dict)
                    else None
                )
                where = _where(lines, str(section), index) + (f" ({label})" if label else "")
                location = location[2:]
            else:
                where = str(location.pop(0)) if location else "file"
            field_name = ".".join(str(part) for part in location) or "(row)"
            problems.append(f"{path}: {where}, field {field_name}: {issue['msg']}")
        more = f"\n… and {len(error.errors()) - 20} more" if len(error.errors()) > 20 else ""
        raise RoadmapFileError("\n".join(problems) + more) from error
    loaded = RoadmapFile(path, roadmap, lines)
    _check_repeats(loaded)
    return loaded


_UNIQUE = {"areas": "name", "items": "key", "channels": "id"}


def _check_repeats(loaded: RoadmapFile) -> None:
    """One area name, item key or channel id twice in a file is a mistake: say where."""
    problems = []
    for section, attribute in _UNIQUE.items():
        seen: dict[str, int] = {}
        for index, row in enumerate(getattr(loaded.roadmap, section)):
            value = getattr(row, attribute)
            if value not in seen:
                seen[value] = index
                continue
            both = _where_both(loaded.lines, section, seen[value], index)
            problems.append(
                f"{loaded.path}: {both}, field {attribute}: {value!r} is in the file twice"
            )
    if problems:
        raise RoadmapFileError("\n".join(problems))


def check_areas(loaded: RoadmapFile, *, session: Session) -> None:
    """For `canwe import`: each item's area is defined in the file or already stored.

    A misspelt area would otherwise become a new area with no PM and no channel. (A tracker
    sync makes its areas as it goes, and does not call this.)
    """
    known = {area.name for area in loaded.roadmap.areas}
    known |= set(session.scalars(select(Area.name)))
    csv_file = bool(loaded.lines)
    problems = []
    for index, item in enumerate(loaded.roadmap.items):
        if not item.area or item.area in known:
            continue
        advice = (
            "define it under areas in a YAML file and import that first"
            if csv_file
            else "define it under areas"
        )
        close = difflib.get_close_matches(item.area, sorted(known), n=1)
        if close:
            advice += f" (or did you mean {close[0]!r}?)"
        problems.append(
            f"{loaded.path}: {loaded.where('items', index)} ({item.key}), field area: "
            f"unknown area {item.area!r} — {advice}"
        )
    if problems:
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise RoadmapFileError("\n".join(problems[:20]) + more)


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML, except that an impossible date (2027-13-45) stays text, so validation
    reports it with its row and field instead of PyYAML failing on the whole file."""

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_mapping(self, node, deep=False):
        """A key twice in one mapping is refused: YAML keeps the last silently, so a repeated
        `status:` or a second `items:` section would quietly replace the first."""
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
                seen[key] = line
            except TypeError:  # an unhashable key: PyYAML's own error says where
                break
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, again: int):
        self.key, self.first, self.again = key, first, again


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _YamlLoader.construct_yaml_timestamp)


def _from_yaml(path: Path, text: str) -> RoadmapFile:
    try:
        data = yaml.load(text, Loader=_YamlLoader)  # a SafeLoader
    except yaml.YAMLError as error:
        raise RoadmapFileError(f"{path}: not valid YAML: {error}") from error
    except _DuplicateKey as twice:
        raise RoadmapFileError(
            f"{path}: line {twice.again}: {str(twice.key)[:80]!r} is given twice in one "
            f"mapping (first on line {twice.first}); YAML would silently keep only the last"
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RoadmapFileError(
            f"{path}: expected a mapping with areas/items/channels/history at the top"
        )
    return _validate(path, data)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").replace("|", ";").split(";") if part.strip()]


def _csv_rows(path: Path, text: str) -> tuple[set[str], list[dict[str, str]], list[int]]:
    """The columns, the rows, and the line of the file each row ends on."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    rows, lines = [], []
    try:
        for row in reader:
            if None in row:  # DictReader's place for values beyond the header
                raise RoadmapFileError(
                    f"{path}: line {reader.line_num}: more values than the "
                    f"{len(reader.fieldnames or [])} columns in the header"
                )
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise RoadmapFileError(f"{path}: line {reader.line_num}: not valid CSV: {error}") from error
    return columns, rows, lines


def _from_csv(path: Path, text: str, today: dt.date) -> RoadmapFile:
    columns, rows, lines = _csv_rows(path, text)
    if {"kep_number", "stage", "target_date"} <= columns:
        for row, line in zip(rows, lines, strict=True):
            try:
                if row.get("target_date"):
                    dt.date.fromisoformat(row["target_date"])
            except ValueError as error:
                raise RoadmapFileError(
                    f"{path}: line {line} ({row.get('key')}), field target_date: "
                    f"{row['target_date']!r} is not a date like 2027-03-15"
                ) from error
        return _validate(path, kep_roadmap(rows, today), {"items": lines})
    if {"team", "estimate", "actual", "finished"} <= columns:
        history = [{k: v for k, v in row.items() if v not in (None, "")} for row in rows]
        return _validate(path, {"history": history}, {"history": lines})
    if not {"key", "title", "status"} <= columns:
        raise RoadmapFileError(
            f"{path}: a CSV needs the columns key, title, status (items), or team, estimate, "
            "actual, finished (history); see the README"
        )
    items = []
    for row in rows:
        item: dict[str, Any] = {
            k: v for k, v in row.items() if v not in (None, "") and not k.startswith("estimate_")
        }
        if "aliases" in item:
            item["aliases"] = _split(item["aliases"])
        if "public" in item:
            item["public"] = item["public"].strip().lower() in ("1", "true", "yes", "y")
        estimate = {
            k.removeprefix("estimate_"): v
            for k, v in row.items()
            if k.startswith("estimate_") and v
        }
        if estimate:
            item["estimate"] = estimate
        items.append(item)
    return _validate(path, {"items": items}, {"items": lines})


# The KEP mapping: see README "Importing the Kubernetes KEP roadmap".
KEP_DECLINED = {"withdrawn", "rejected", "replaced", "superseded", "removed"}


def kep_status(status: str, stage: str, target_date: dt.date | None, today: dt.date) -> str:
    status = status.strip().lower()
    stage = stage.strip().lower()
    if status.startswith(("implemented", "imlpemented")):
        return "shipped"
    if stage == "stable" and target_date is not None and target_date <= today:
        return "shipped"
    if status in KEP_DECLINED or stage in ("removed", "disabled"):
        return "declined"
    if status == "implementable":
        if target_date is None:
            return "planned"
        return "committed" if target_date > today else "in_progress"
    if status == "deferred":
        return "planned"
    return "exploring"  # provisional, or left empty


_WORD = re.compile(r"[a-z0-9]+")


def kep_aliases(row: dict[str, str]) -> list[str]:
    """The KEP's folder name as another name of it, when it has words its title lacks:
    "3325-self-subject-attributes-review-api" for "Review attibutes of a current user". It is
    the short name the KEP is known by in its repository, so people quote it too."""
    folder = PurePosixPath(row.get("path") or "").parent.name
    number, _, name = folder.partition("-")
    alias = name.replace("-", " ").strip()
    if not number.isdigit() or not alias:
        return []
    if set(_WORD.findall(alias.lower())) <= set(_WORD.findall(row.get("title", "").lower())):
        return []  # only the title's own words again
    return [alias]


def kep_roadmap(rows: list[dict[str, str]], today: dt.date) -> dict[str, Any]:
    items = []
    areas: dict[str, dict[str, Any]] = {}
    for row in rows:
        target = dt.date.fromisoformat(row["target_date"]) if row.get("target_date") else None
        area = row.get("area") or "unowned"
        areas.setdefault(
            area, {"name": area, "keywords": [area.removeprefix("sig-").replace("-", " ")]}
        )
        items.append(
            {
                "key": row["key"],
                "title": row["title"],
                "description": row.get("summary") or "",
                "area": area,
                "status": kep_status(row.get("status", ""), row.get("stage", ""), target, today),
                "target": target,
                "public": True,  # KEPs are public documents
                "aliases": kep_aliases(row),
                "url": row.get("url") or None,
            }
        )
    return {"areas": list(areas.values()), "items": items}


# ---------------------------------------------------------------- applying


def _estimate_changed(current: Estimate | None, new: EstimateIn | None) -> bool:
    if new is None:
        return False
    if current is None:
        return True
    return (current.team, current.optimistic, current.likely, current.pessimistic) != (
        new.team,
        new.optimistic,
        new.likely,
        new.pessimistic,
    )


def apply_roadmap(roadmap: RoadmapIn, *, session: Session, now: dt.datetime) -> ImportReport:
    """Upsert everything in `roadmap` by key or name. Running it twice changes nothing."""
    report = ImportReport()
    areas = {area.name: area for area in session.scalars(select(Area))}
    for area_in in roadmap.areas:
        area = areas.get(area_in.name)
        values = {
            "pm_user_id": area_in.pm,
            "backup_user_id": area_in.backup,
            "channel_id": area_in.channel,
            "keywords": area_in.keywords,
        }
        if area is None:
            area = Area(name=area_in.name, **values)
            session.add(area)
            areas[area.name] = area
            report.created["areas"] += 1
        elif any(getattr(area, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(area, k, v)
            report.updated["areas"] += 1
        else:
            report.unchanged += 1
    session.flush()

    keys = [item.key for item in roadmap.items]
    existing: dict[str, Item] = {}
    for start in range(0, len(keys), BATCH):  # PostgreSQL takes at most 65,535 parameters
        chunk = keys[start : start + BATCH]
        existing.update(
            (item.key, item)
            for item in session.scalars(
                # each item's estimate is compared: loaded with it, not one query an item
                select(Item).where(Item.key.in_(chunk)).options(selectinload(Item.estimates))
            )
        )
    changed = [item_in for item_in in roadmap.items if item_in.key in existing]
    for index, item_in in enumerate(changed, start=1):
        upsert_item(
            item_in,
            session=session,
            now=now,
            areas=areas,
            existing=existing[item_in.key],
            report=report,
            flush=False,
        )
        if index % BATCH == 0:
            session.flush()
    session.flush()
    _insert_new_items(
        [item_in for item_in in roadmap.items if item_in.key not in existing],
        session=session,
        now=now,
        areas=areas,
        report=report,
    )

    for channel_in in roadmap.channels:
        channel = session.scalar(select(Channel).where(Channel.id == channel_in.id))
        if channel is None:
            session.add(Channel(id=channel_in.id, audience=channel_in.audience.value))
            report.created["channels"] += 1
        elif channel.audience != channel_in.audience.value:
            channel.audience = channel_in.audience.value
            report.updated["channels"] += 1
        else:
            report.unchanged += 1

    for record in roadmap.history:
        if add_history(record, session=session):
            report.created["history"] += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def _insert_new_items(
    new: list[ItemIn],
    *,
    session: Session,
    now: dt.datetime,
    areas: dict[str, Area],
    report: ImportReport,
) -> None:
    """Insert items not yet in the store, and their estimates, as bulk writes: one ORM
    object per row cost an import of 66,000 items about a millisecond an item."""
    for name in dict.fromkeys(item_in.area for item_in in new if item_in.area):
        if name not in areas:
            areas[name] = Area(name=name, keywords=[])
            session.add(areas[name])
            report.created["areas"] += 1
    session.flush()
    insert_rows(
        session=session,
        table=Item.__table__,
        rows=[
            {
                "key": item_in.key,
                "title": item_in.title,
                "description": item_in.description,
                "area_id": areas[item_in.area].id if item_in.area else None,
                "status": item_in.status.value,
                "target_date": item_in.target,
                "public": item_in.public,
                "aliases": item_in.aliases,
                "url": item_in.url,
                "updated_at": now,
                "revised_at": now,
            }
            for item_in in new
        ],
    )
    report.created["items"] += len(new)
    estimated = [item_in for item_in in new if item_in.estimate is not None]
    ids = ids_by(session=session, column=Item.key, values=[i.key for i in estimated])
    insert_rows(
        session=session,
        table=Estimate.__table__,
        rows=[
            {
                "item_id": ids[item_in.key],
                "team": item_in.estimate.team,
                "optimistic": item_in.estimate.optimistic,
                "likely": item_in.estimate.likely,
                "pessimistic": item_in.estimate.pessimistic,
                "recorded_at": now,
            }
            for item_in in estimated
            if item_in.estimate is not None
        ],
    )
    report.created["estimates"] += len(estimated)


def upsert_item(
    item_in: ItemIn,
    *,
    session: Session,
    now: dt.datetime,
    areas: dict[str, Area],
    existing: Item | None,
    report: ImportReport,
    flush: bool = True,
) -> Item:
    """Insert or update one item. With `flush=False` a new item is only added to the
    session (the caller flushes many at once); its id is not known until then."""
    area = None
    if item_in.area:
        area = areas.get(item_in.area)
        if area is None:
            area = Area(name=item_in.area, keywords=[])
            session.add(area)
            session.flush()
            areas[area.name] = area
            report.created["areas"] += 1
    values = {
        "title": item_in.title,
        "description": item_in.description,
        "area_id": area.id if area else None,
        "status": item_in.status.value,
        "target_date": item_in.target,
        "public": item_in.public,
        "aliases": item_in.aliases,
        "url": item_in.url,
    }
    if existing is None:
        item = Item(key=item_in.key, updated_at=now, revised_at=now, **values)
        session.add(item)
        report.created["items"] += 1
        if item_in.estimate is not None:
            _add_estimate(session, item, item_in.estimate, now, flush=False)
            report.created["estimates"] += 1
        if flush:
            session.flush()
        return item

    item = existing
    revised = item.status != values["status"] or item.target_date != values["target_date"]
    estimate_moved = _estimate_changed(item.estimate, item_in.estimate)
    changed = estimate_moved or any(getattr(item, k) != v for k, v in values.items())
    if not changed:
        report.unchanged += 1
        return item
    for k, v in values.items():
        setattr(item, k, v)
    if estimate_moved:
        _add_estimate(session, item, item_in.estimate, now)
        report.created["estimates"] += 1
    item.updated_at = now
    if revised or estimate_moved:
        item.revised_at = now
        report.revised_item_ids.append(item.id)
    report.updated["items"] += 1
    return item


def _add_estimate(
    session: Session, item: Item, estimate: EstimateIn, now: dt.datetime, flush: bool = True
) -> None:
    item.estimates.append(
        Estimate(
            team=estimate.team,
            optimistic=estimate.optimistic,
            likely=estimate.likely,
            pessimistic=estimate.pessimistic,
            recorded_at=now,
        )
    )
    if flush:
        session.flush()


def add_history(record: HistoryIn, *, session: Session) -> bool:
    """Add one finished piece of work unless it is already there."""
    if record.source_key:
        if session.scalar(
            select(FinishedWork.id).where(FinishedWork.source_key == record.source_key)
        ):
            return False
    elif session.scalar(
        select(FinishedWork.id).where(
            FinishedWork.team == record.team,
            FinishedWork.estimate == record.estimate,
            FinishedWork.actual == record.actual,
            FinishedWork.finished == record.finished,
        )
    ):
        return False
    session.add(
        FinishedWork(
            team=record.team,
            estimate=record.estimate,
            actual=record.actual,
            unit=record.unit,
            finished=record.finished,
            source_key=record.source_key,
        )
    )
    return True
