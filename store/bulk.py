"""Writing many new rows at once (an import of a large roadmap)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import JSON, Table, insert, select
from sqlalchemy.orm import Session

from store.db import watched
from store.tenancy import workspace_of

BATCH = 1000  # rows per statement where rows go as parameters (SQLite; reads by key)


def insert_rows(*, session: Session, table: Table, rows: Sequence[dict]) -> None:
    """Insert `rows` (dicts of column name to value, all with the same columns) in the
    session's transaction.

    On PostgreSQL through COPY: a multi-row INSERT holds at most 65,535 parameters, and
    building and parsing tens of thousands of them cost an import of 66,000 items more than
    the database took to store them. COPY fires the same triggers (the matching index).
    """
    if not rows:
        return
    if "workspace_id" in table.c:  # plain rows pass no ORM hook: stamp them here
        workspace_id = workspace_of(session)
        rows = [{**row, "workspace_id": workspace_id} for row in rows]
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), BATCH):
            session.execute(insert(table), rows[start : start + BATCH])
        return
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    with (
        watched(session.connection()) as driver,
        driver.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(
                [json.dumps(row[name]) if name in as_json else row[name] for name in columns]
            )


def ids_by(*, session: Session, column, values: Iterable) -> dict:
    """`column`'s value -> the row's id, for the rows of the session's workspace whose
    `column` is among `values`."""
    values = list(values)
    table = column.table
    mine = table.c.workspace_id == workspace_of(session)
    found = {}
    for start in range(0, len(values), BATCH):  # PostgreSQL takes at most 65,535 parameters
        found.update(
            session.execute(
                select(column, table.c.id).where(mine, column.in_(values[start : start + BATCH]))
            ).all()
        )
    return found
