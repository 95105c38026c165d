"""matching: phrasings, synonyms, and the full-text index kept in sync by triggers

SQLite: an FTS5 table `match_fts` (rowid = item id; columns name, phrasings, area,
description) ranked with bm25. PostgreSQL: a table `match_documents` with a weighted
tsvector per item and a GIN index, ranked with ts_rank_cd. On both, triggers on items,
phrasings and areas rewrite an item's document, and set `match_state.version` to a new
random number (also on synonyms) so that the matcher knows when to reload its in-memory
vocabulary. Random rather than a counter: a rolled-back transaction can never make an old
version number stand for different content.

Revision ID: 0003_matching
Revises: 0002_sync
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_matching"
down_revision = "0002_sync"
branch_labels = None
depends_on = None

SEED_SYNONYMS = [
    ("sso", "single sign-on"),
    ("saml", "single sign-on"),
    ("k8s", "kubernetes"),
    ("kube", "kubernetes"),
    ("mfa", "multi-factor authentication"),
    ("2fa", "two-factor authentication"),
    ("rbac", "role-based access control"),
    ("ha", "high availability"),
    ("tz", "time zone"),
    ("timezone", "time zone"),
]

SQLITE_DOC = """
    {id_expr},
    {title} || ' ' || COALESCE((SELECT group_concat(value, ' ') FROM json_each({aliases})), ''),
    COALESCE((SELECT group_concat(p.text, ' ') FROM phrasings p WHERE p.item_id = {id_expr}), ''),
    COALESCE((SELECT a.name FROM areas a WHERE a.id = {area_id}), ''),
    COALESCE({description}, '')
"""


def _sqlite_values(prefix: str) -> str:
    return SQLITE_DOC.format(
        id_expr=f"{prefix}id",
        title=f"{prefix}title",
        aliases=f"{prefix}aliases",
        area_id=f"{prefix}area_id",
        description=f"{prefix}description",
    )


FTS_COLUMNS = "rowid, name, phrasings, area, description"
BUMP = "UPDATE match_state SET version = abs(random());"


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE match_fts USING fts5("
        "name, phrasings, area, description, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    refresh_one = (
        "DELETE FROM match_fts WHERE rowid = {item};"
        f" INSERT INTO match_fts ({FTS_COLUMNS}) SELECT {_sqlite_values('i.')}"
        " FROM items i WHERE i.id = {item};"
    )
    op.execute(
        f"CREATE TRIGGER match_items_ai AFTER INSERT ON items BEGIN"
        f" INSERT INTO match_fts ({FTS_COLUMNS}) VALUES ({_sqlite_values('NEW.')}); {BUMP} END"
    )
    op.execute(
        f"CREATE TRIGGER match_items_au AFTER UPDATE ON items BEGIN"
        f" DELETE FROM match_fts WHERE rowid = OLD.id;"
        f" INSERT INTO match_fts ({FTS_COLUMNS}) VALUES ({_sqlite_values('NEW.')}); {BUMP} END"
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
        f" INSERT INTO match_fts ({FTS_COLUMNS}) SELECT {_sqlite_values('i.')}"
        f" FROM items i WHERE i.area_id = NEW.id; {BUMP} END"
    )
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER match_synonyms_{event[0].lower()} AFTER {event} ON synonyms"
            f" BEGIN {BUMP} END"
        )
    op.execute(f"INSERT INTO match_fts ({FTS_COLUMNS}) SELECT {_sqlite_values('i.')} FROM items i")


PG_REFRESH = """
CREATE FUNCTION match_refresh_item(p_item_id integer) RETURNS void AS $$
    DELETE FROM match_documents WHERE item_id = p_item_id;
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
    WHERE i.id = p_item_id;
$$ LANGUAGE sql;
"""

PG_TRIGGERS = """
CREATE FUNCTION match_bump() RETURNS void AS $$
    UPDATE match_state SET version = floor(random() * 9e15)::bigint;
$$ LANGUAGE sql;

CREATE FUNCTION match_items_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM match_refresh_item(NEW.id);
    END IF;
    PERFORM match_bump();
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION match_phrasings_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM match_refresh_item(OLD.item_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM match_refresh_item(NEW.item_id);
    END IF;
    PERFORM match_bump();
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION match_areas_changed() RETURNS trigger AS $$
BEGIN
    PERFORM match_refresh_item(id) FROM items WHERE area_id = NEW.id;
    PERFORM match_bump();
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION match_synonyms_changed() RETURNS trigger AS $$
BEGIN
    PERFORM match_bump();
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER match_items AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION match_items_changed();
CREATE TRIGGER match_phrasings AFTER INSERT OR UPDATE OR DELETE ON phrasings
    FOR EACH ROW EXECUTE FUNCTION match_phrasings_changed();
CREATE TRIGGER match_areas AFTER UPDATE OF name ON areas
    FOR EACH ROW EXECUTE FUNCTION match_areas_changed();
CREATE TRIGGER match_synonyms AFTER INSERT OR UPDATE OR DELETE ON synonyms
    FOR EACH STATEMENT EXECUTE FUNCTION match_synonyms_changed();
"""


def _upgrade_postgresql() -> None:
    op.execute(
        "CREATE TABLE match_documents ("
        " item_id integer PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_match_documents_document ON match_documents USING GIN (document)")
    op.execute(PG_REFRESH)
    op.execute(PG_TRIGGERS)
    op.execute("SELECT match_refresh_item(id) FROM items")


def upgrade() -> None:
    op.create_table(
        "phrasings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_phrasings_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phrasings")),
    )
    op.create_index(op.f("ix_phrasings_item_id"), "phrasings", ["item_id"], unique=False)
    synonyms = op.create_table(
        "synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("means", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonyms")),
        sa.UniqueConstraint("term", name=op.f("uq_synonyms_term")),
    )
    op.create_table(
        "match_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_state")),
    )
    op.execute("INSERT INTO match_state (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()
    op.bulk_insert(synonyms, [{"term": t, "means": m} for t, m in SEED_SYNONYMS])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("synonyms", "areas", "phrasings", "items"):
            name = "match_" + table
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in (
            "match_synonyms_changed()",
            "match_areas_changed()",
            "match_phrasings_changed()",
            "match_items_changed()",
            "match_bump()",
            "match_refresh_item(integer)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        op.execute("DROP TABLE IF EXISTS match_documents")
    else:
        for trigger in (
            "match_items_ai",
            "match_items_au",
            "match_items_ad",
            "match_phrasings_i",
            "match_phrasings_d",
            "match_phrasings_u",
            "match_areas_au",
            "match_synonyms_i",
            "match_synonyms_u",
            "match_synonyms_d",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS match_fts")
    op.drop_table("match_state")
    op.drop_table("synonyms")
    op.drop_index(op.f("ix_phrasings_item_id"), table_name="phrasings")
    op.drop_table("phrasings")
