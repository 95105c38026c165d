"""each full-text document says whose workspace its item is in

Revision ID: 0013
Revises: 0012

Matching searches only the asking workspace's items. Joining `items` to find them cost more
than the search itself: on PostgreSQL the planner walked every item of the workspace and
tested each document (10 ms a question at 10,000 items), on SQLite each match was looked up
in `items` (7x the search). Now the workspace is on the document, where the full-text index
is: PostgreSQL `match_documents.workspace_id` (indexed), SQLite a fifth FTS5 column
`workspace` holding the token `w<id>`, so the search is `workspace : w1 AND (...)` inside
FTS5. An item never changes workspace. The FTS5 table is made anew (a column cannot be
added to it), with the triggers of 0003_matching writing the new column.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DOCUMENT = """
        setweight(to_tsvector('english', i.title || ' ' || COALESCE(
            (SELECT string_agg(value, ' ') FROM json_array_elements_text(i.aliases::json)),
            '')), 'A')
        || setweight(to_tsvector('english', COALESCE(
            (SELECT string_agg(p.text, ' ') FROM phrasings p WHERE p.item_id = i.id), '')), 'B')
        || setweight(to_tsvector('english', COALESCE(a.name, '')), 'C')
        || setweight(to_tsvector('english', COALESCE(i.description, '')), 'D')
"""


def _functions(with_workspace: bool) -> str:
    columns = "item_id, workspace_id, document" if with_workspace else "item_id, document"
    values = "i.id, i.workspace_id," if with_workspace else "i.id,"
    return f"""
CREATE OR REPLACE FUNCTION match_refresh_item(p_item_id integer) RETURNS void AS $$
    DELETE FROM match_documents WHERE item_id = p_item_id;
    INSERT INTO match_documents ({columns})
    SELECT {values} {DOCUMENT}
    FROM items i LEFT JOIN areas a ON a.id = i.area_id
    WHERE i.id = p_item_id;
$$ LANGUAGE sql;

CREATE OR REPLACE FUNCTION match_refresh_items(p_item_ids integer[]) RETURNS void AS $$
    DELETE FROM match_documents WHERE item_id = ANY(p_item_ids);
    INSERT INTO match_documents ({columns})
    SELECT {values} {DOCUMENT}
    FROM items i LEFT JOIN areas a ON a.id = i.area_id
    WHERE i.id = ANY(p_item_ids);
$$ LANGUAGE sql;
"""


SQLITE_DOCUMENT = """
    {id_expr},
    {title} || ' ' || COALESCE((SELECT group_concat(value, ' ') FROM json_each({aliases})), ''),
    COALESCE((SELECT group_concat(p.text, ' ') FROM phrasings p WHERE p.item_id = {id_expr}), ''),
    COALESCE((SELECT a.name FROM areas a WHERE a.id = {area_id}), ''),
    COALESCE({description}, '')
"""
BUMP = "UPDATE match_state SET version = abs(random());"
SQLITE_ITEM_TRIGGERS = (
    "match_items_ai",
    "match_items_au",
    "match_items_ad",
    "match_phrasings_i",
    "match_phrasings_d",
    "match_phrasings_u",
    "match_areas_au",
)


def _sqlite_index(with_workspace: bool) -> None:
    """match_fts made anew, with or without the workspace column, its triggers and rows."""
    columns = "name, phrasings, area, description" + (", workspace" if with_workspace else "")
    inserted = "rowid, " + columns

    def values(prefix: str) -> str:
        document = SQLITE_DOCUMENT.format(
            id_expr=f"{prefix}id",
            title=f"{prefix}title",
            aliases=f"{prefix}aliases",
            area_id=f"{prefix}area_id",
            description=f"{prefix}description",
        )
        return document + (f", 'w' || {prefix}workspace_id" if with_workspace else "")

    for trigger in SQLITE_ITEM_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE match_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE match_fts USING fts5({columns}, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    refresh_one = (
        "DELETE FROM match_fts WHERE rowid = {item};"
        f" INSERT INTO match_fts ({inserted}) SELECT {values('i.')}"
        " FROM items i WHERE i.id = {item};"
    )
    op.execute(
        f"CREATE TRIGGER match_items_ai AFTER INSERT ON items BEGIN"
        f" INSERT INTO match_fts ({inserted}) VALUES ({values('NEW.')}); {BUMP} END"
    )
    op.execute(
        f"CREATE TRIGGER match_items_au AFTER UPDATE ON items BEGIN"
        f" DELETE FROM match_fts WHERE rowid = OLD.id;"
        f" INSERT INTO match_fts ({inserted}) VALUES ({values('NEW.')}); {BUMP} END"
    )
    op.execute(
        f"CREATE TRIGGER match_items_ad AFTER DELETE ON items BEGIN"
        f" DELETE FROM match_fts WHERE rowid = OLD.id; {BUMP} END"
    )
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER match_phrasings_{event[0].lower()} AFTER {event} ON phrasings BEGIN "
            + refresh_one.format(item=f"{row}.item_id")
            + f" {BUMP} END"
        )
    op.execute(
        "CREATE TRIGGER match_phrasings_u AFTER UPDATE ON phrasings BEGIN "
        + refresh_one.format(item="OLD.item_id")
        + " "
        + refresh_one.format(item="NEW.item_id")
        + f" {BUMP} END"
    )
    op.execute(
        f"CREATE TRIGGER match_areas_au AFTER UPDATE OF name ON areas BEGIN"
        f" DELETE FROM match_fts WHERE rowid IN (SELECT id FROM items WHERE area_id = NEW.id);"
        f" INSERT INTO match_fts ({inserted}) SELECT {values('i.')}"
        f" FROM items i WHERE i.area_id = NEW.id; {BUMP} END"
    )
    op.execute(f"INSERT INTO match_fts ({inserted}) SELECT {values('i.')} FROM items i")
    op.execute("INSERT INTO match_fts (match_fts) VALUES ('optimize')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_index(with_workspace=True)
        return
    op.execute("ALTER TABLE match_documents ADD COLUMN workspace_id integer")
    op.execute(
        "UPDATE match_documents d SET workspace_id = i.workspace_id FROM items i"
        " WHERE i.id = d.item_id"
    )
    op.execute("ALTER TABLE match_documents ALTER COLUMN workspace_id SET NOT NULL")
    op.execute("CREATE INDEX ix_match_documents_workspace ON match_documents (workspace_id)")
    op.execute(_functions(with_workspace=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_index(with_workspace=False)
        return
    op.execute(_functions(with_workspace=False))
    op.execute("DROP INDEX ix_match_documents_workspace")
    op.execute("ALTER TABLE match_documents DROP COLUMN workspace_id")
