"""PostgreSQL: the matching index is refreshed once per statement, not once per item row

Revision ID: 0010
Revises: 0009

0003's row triggers on `items` refreshed one item's document and bumped `match_state`
for every row. An import sends its items as multi-row inserts, and bumping one row tens of
thousands of times in one transaction grows quadratically (each update walks the row's
versions left by the ones before): 66,000 items took over five minutes. Now the items
triggers are per statement, with the changed rows as a transition table: one set-based
refresh and one bump per statement. Phrasings, areas and synonyms keep their triggers
(they change a few rows at a time). SQLite is unchanged: its triggers cost little per row.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PG_UPGRADE = """
CREATE FUNCTION match_refresh_items(p_item_ids integer[]) RETURNS void AS $$
    DELETE FROM match_documents WHERE item_id = ANY(p_item_ids);
    INSERT INTO match_documents (item_id, document)
    SELECT i.id,
        setweight(to_tsvector('english', i.title || ' ' || COALESCE(
            (SELECT string_agg(value, ' ') FROM json_array_elements_text(i.aliases::json)),
            '')), 'A')
        || setweight(to_tsvector('english', COALESCE(
            (SELECT string_agg(p.text, ' ') FROM phrasings p WHERE p.item_id = i.id), '')), 'B')
        || setweight(to_tsvector('english', COALESCE(a.name, '')), 'C')
        || setweight(to_tsvector('english', COALESCE(i.description, '')), 'D')
    FROM items i LEFT JOIN areas a ON a.id = i.area_id
    WHERE i.id = ANY(p_item_ids);
$$ LANGUAGE sql;

CREATE FUNCTION match_items_written() RETURNS trigger AS $$
DECLARE
    ids integer[] := ARRAY(SELECT id FROM changed_items);
BEGIN
    -- a statement that touched no row (an UPDATE that matched nothing) changes nothing
    IF cardinality(ids) > 0 THEN
        PERFORM match_refresh_items(ids);
        PERFORM match_bump();
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION match_items_deleted() RETURNS trigger AS $$
BEGIN
    -- their documents go with them (ON DELETE CASCADE)
    IF EXISTS (SELECT 1 FROM changed_items) THEN
        PERFORM match_bump();
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

DROP TRIGGER match_items ON items;
CREATE TRIGGER match_items_inserted AFTER INSERT ON items
    REFERENCING NEW TABLE AS changed_items
    FOR EACH STATEMENT EXECUTE FUNCTION match_items_written();
CREATE TRIGGER match_items_updated AFTER UPDATE ON items
    REFERENCING NEW TABLE AS changed_items
    FOR EACH STATEMENT EXECUTE FUNCTION match_items_written();
CREATE TRIGGER match_items_deleted AFTER DELETE ON items
    REFERENCING OLD TABLE AS changed_items
    FOR EACH STATEMENT EXECUTE FUNCTION match_items_deleted();
"""

PG_DOWNGRADE = """
DROP TRIGGER IF EXISTS match_items_inserted ON items;
DROP TRIGGER IF EXISTS match_items_updated ON items;
DROP TRIGGER IF EXISTS match_items_deleted ON items;
DROP FUNCTION IF EXISTS match_items_written();
DROP FUNCTION IF EXISTS match_items_deleted();
DROP FUNCTION IF EXISTS match_refresh_items(integer[]);
CREATE TRIGGER match_items AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION match_items_changed();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DOWNGRADE)
