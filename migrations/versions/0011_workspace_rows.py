"""every row belongs to a workspace

Revision ID: 0011
Revises: 0010

A `workspace_id` (-> workspaces.id) on every table of the bot's data, and the keys that were
unique in the store made unique per workspace (an item key, an area's name, a synonym, a
request, an outbox message, a digest, a channel: two workspaces may use the same). Rows
already there belong to workspace 1, the workspace of a single-token deployment or of the
first OAuth install; `workspaces.installed_at` may now be empty (not installed through OAuth).

SQLite cannot drop a constraint in place, so its tables are rebuilt (alembic's batch mode);
the full-text index's triggers (0003_matching) name those tables, so they are dropped
before and made again after. Foreign keys are not checked while tables are rebuilt.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# table -> (constraints dropped, unique constraints added as (name, columns))
UNIQUE_PER_WORKSPACE = {
    "areas": (["uq_areas_name"], [("uq_areas_workspace_name", ["workspace_id", "name"])]),
    "items": (["uq_items_key"], [("uq_items_workspace_key", ["workspace_id", "key"])]),
    "estimates": ([], []),
    "finished_work": (
        ["uq_finished_work_source_key"],
        [("uq_finished_work_workspace_source", ["workspace_id", "source_key"])],
    ),
    "channels": ([], []),  # the primary key becomes (workspace_id, id)
    "questions": (
        ["uq_questions_request_key"],
        [("uq_questions_workspace_request", ["workspace_id", "request_key"])],
    ),
    "escalations": ([], []),  # its partial unique index is made again below
    "answers": (
        ["uq_answers_source_key"],
        [("uq_answers_workspace_source", ["workspace_id", "source_key"])],
    ),
    "outbox": (
        ["uq_outbox_dedupe_key"],
        [("uq_outbox_workspace_dedupe_key", ["workspace_id", "dedupe_key"])],
    ),
    "sync_cursors": ([], []),  # the primary key becomes (workspace_id, source)
    "sync_runs": ([], []),
    "phrasings": ([], []),
    "synonyms": (["uq_synonyms_term"], [("uq_synonyms_workspace_term", ["workspace_id", "term"])]),
    "promises": ([], []),
    "digest_claims": (
        ["uq_digest_claims_kind"],
        [("uq_digest_claims_workspace", ["workspace_id", "kind", "target", "day"])],
    ),
}
NEW_PRIMARY_KEYS = {"channels": ["workspace_id", "id"], "sync_cursors": ["workspace_id", "source"]}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _sqlite_triggers() if sqlite else []

    with op.batch_alter_table("workspaces") as batch:
        batch.alter_column("installed_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.create_unique_constraint("uq_workspaces_team", ["enterprise_id", "team_id"])
    op.execute(
        "INSERT INTO workspaces (id, enterprise_id, team_id, installed_at)"
        " SELECT 1, NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM workspaces WHERE id = 1)"
    )
    if not sqlite:  # the row above was given its id by hand: move the sequence past it
        op.execute(
            "SELECT setval(pg_get_serial_sequence('workspaces', 'id'),"
            " (SELECT max(id) FROM workspaces))"
        )

    for table, (dropped, added) in UNIQUE_PER_WORKSPACE.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("workspace_id", sa.Integer(), nullable=False, server_default="1")
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("workspace_id", existing_type=sa.Integer(), server_default=None)
            batch.create_foreign_key(
                f"fk_{table}_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"]
            )
            if table in NEW_PRIMARY_KEYS:
                batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(f"pk_{table}", NEW_PRIMARY_KEYS[table])
            else:
                batch.create_index(f"ix_{table}_workspace_id", ["workspace_id"])
            for name in dropped:
                batch.drop_constraint(name, type_="unique")
            for name, columns in added:
                batch.create_unique_constraint(name, columns)

    op.drop_index("uq_escalations_open_key", table_name="escalations")
    op.create_index(
        "uq_escalations_open_key",
        "escalations",
        ["workspace_id", "open_key"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    for sql in triggers:
        op.execute(sql)


def _sqlite_triggers() -> list[str]:
    """Drops the triggers, and returns them to be made again once the tables are rebuilt:
    renaming a rebuilt table fails while a trigger names a table that is being rebuilt."""
    rows = (
        op.get_bind()
        .exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .fetchall()
    )
    for name, _sql in rows:
        op.execute(f"DROP TRIGGER {name}")
    return [sql for _name, sql in rows]


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _sqlite_triggers() if sqlite else []
    op.drop_index("uq_escalations_open_key", table_name="escalations")
    for table, (dropped, added) in reversed(UNIQUE_PER_WORKSPACE.items()):
        with op.batch_alter_table(table) as batch:
            for name, _columns in added:
                batch.drop_constraint(name, type_="unique")
            if table in NEW_PRIMARY_KEYS:
                batch.drop_constraint(f"pk_{table}", type_="primary")
                batch.create_primary_key(f"pk_{table}", NEW_PRIMARY_KEYS[table][1:])
            else:
                batch.drop_index(f"ix_{table}_workspace_id")
            batch.drop_constraint(f"fk_{table}_workspace_id_workspaces", type_="foreignkey")
            batch.drop_column("workspace_id")
            for name in dropped:
                column = name.removeprefix(f"uq_{table}_")
                batch.create_unique_constraint(
                    name, ["kind", "target", "day"] if table == "digest_claims" else [column]
                )
    op.create_index(
        "uq_escalations_open_key",
        "escalations",
        ["open_key"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_constraint("uq_workspaces_team", type_="unique")
    for sql in triggers:
        op.execute(sql)
