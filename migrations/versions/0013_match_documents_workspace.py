"""PostgreSQL: each full-text document says whose workspace its item is in

Revision ID: 0013
Revises: 0012

Matching searches only the asking workspace's items. Joining `items` to find them made the
planner walk every item of the workspace and test each document (10 ms a question at 10,000
items, where the index alone takes well under one); with the workspace on the document, the
search filters in the same table the full-text index is on. An item never changes workspace.
SQLite joins its FTS5 results to `items` by primary key instead (store/search.py).
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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
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
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_functions(with_workspace=False))
    op.execute("DROP INDEX ix_match_documents_workspace")
    op.execute("ALTER TABLE match_documents DROP COLUMN workspace_id")
