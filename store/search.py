"""Queries behind matching: full-text retrieval, the matching vocabulary, synonyms.

Retrieval runs in the database: SQLite FTS5 ranked with bm25 (table `match_fts`), PostgreSQL
a weighted tsvector ranked with ts_rank (table `match_documents`). Both are kept in sync
with items, aliases, areas and phrasings by the triggers of migration 0003_matching, and
compacted after bulk changes (`optimize_index`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from store.db import watched
from store.models import Area, Item, Phrasing, Synonym
from store.tenancy import workspace_of

_TERM = re.compile(r"[a-z0-9]+")

# bm25 column weights for match_fts(name, phrasings, area, description, workspace)
_BM25_WEIGHTS = "4.0, 3.0, 0.5, 1.0, 0.0"
# PostgreSQL returns this many times the matches asked for (see search_items)
_TS_RANK_SLACK = 2
# ... and its ranking costs about this many times bm25's per row (see rows_to_rank; set for
# ts_rank_cd, which costs twice ts_rank: kept, since a larger budget changed no result)
_TS_RANK_COST = 4
_RANKED_ROWS_FLOOR = 300


INDEXED_DESCRIPTION_CHARS = 20_000


@dataclass(frozen=True)
class ItemDocument:
    """What matching reads of one item."""

    item_id: int
    key: str
    title: str
    aliases: tuple[str, ...]
    area: str
    description: str
    phrasings: tuple[str, ...]
    status: str = ""  # shipped, planned, declined...: near-duplicates that differ are siblings
    url: str | None = None


# the version as a scalar subquery, for a statement that reads it with other things
MATCH_VERSION_SQL = "(SELECT version FROM match_state WHERE id = 1)"
_READ_VERSION = "canwe_match_version"  # in session.info: read moments ago, for the next match


def match_version(*, session: Session) -> int | None:
    """Changes (to a new random number) whenever an item, phrasing, area or synonym changes.

    None if the state row is missing (a table emptied by hand): then nothing may be cached.
    A version another statement of this transaction read for the match about to run
    (`remember_match_version`) is used once instead of a round trip of its own.
    """
    if _READ_VERSION in session.info:
        return session.info.pop(_READ_VERSION)
    with _driver(session) as driver:
        row = driver.execute(f"SELECT {MATCH_VERSION_SQL}").fetchone()
    return row[0] if row else None


def remember_match_version(session: Session, version: int | None) -> None:
    """`version`, just read with `MATCH_VERSION_SQL`, for the session's next match."""
    session.info[_READ_VERSION] = version


def _driver(session: Session):
    """The session's own DB-API connection, in its transaction, under the request timeouts.

    Matching runs these two statements on every question, and SQLAlchemy's statement
    handling costs several times what SQLite takes to run them; the SQL here is fixed and
    its only parameters are bound, so nothing is lost by going straight to the driver. What
    SQLAlchemy's events would do is done by `watched`: the watchdog (store/db.py) cuts off
    a statement the server never answers, as it does for every other statement.
    """
    return watched(session.connection())


def load_documents(
    *, session: Session, item_ids: Collection[int] | None = None
) -> list[ItemDocument]:
    """Every item's document, or those of `item_ids`."""
    phrasings: dict[int, list[str]] = defaultdict(list)
    chosen_phrasings = select(Phrasing.item_id, Phrasing.text).order_by(Phrasing.id)
    if item_ids is not None:
        chosen_phrasings = chosen_phrasings.where(Phrasing.item_id.in_(item_ids))
    for item_id, phrasing in session.execute(chosen_phrasings):
        phrasings[item_id].append(phrasing)
    chosen = (
        select(
            Item.id,
            Item.key,
            Item.title,
            Item.aliases,
            # an import cuts descriptions to this (bot/roadmap/schema.py); older rows may be
            # longer, and matching reads every document for every answer
            func.substr(Item.description, 1, INDEXED_DESCRIPTION_CHARS),
            Area.name,
            Item.status,
            Item.url,
        )
        .outerjoin(Area, Area.id == Item.area_id)
        .order_by(Item.id)
    )
    if item_ids is not None:
        chosen = chosen.where(Item.id.in_(item_ids))
    rows = session.execute(chosen)
    return [
        ItemDocument(
            item_id=item_id,
            key=key,
            title=title,
            aliases=tuple(aliases or ()),
            area=area or "",
            description=description or "",
            phrasings=tuple(phrasings.get(item_id, ())),
            status=status or "",
            url=url,
        )
        for item_id, key, title, aliases, description, area, status, url in rows
    ]


def count_items(*, session: Session) -> int:
    """How many items the workspace's roadmap has now."""
    return session.scalar(select(func.count(Item.id))) or 0


def rows_to_rank(session: Session, rows: int) -> int:
    """How many matching rows a search may reach for `rows` worth of bm25 ranking: ts_rank
    costs PostgreSQL several times what bm25 costs SQLite per row."""
    if session.get_bind().dialect.name == "postgresql":
        return max(_RANKED_ROWS_FLOOR, rows // _TS_RANK_COST)
    return rows


def search_items(*, session: Session, terms: list[str], limit: int) -> list[int]:
    """Ids of items matching any of `terms` (words, or phrases whose words must stand
    together): the best `limit` by the database's rank (bm25 / ts_rank; twice as many on
    PostgreSQL), best first.

    One query: the matcher picks its terms so that they match only as many rows as the
    database can rank cheaply (`rows_to_rank`), so ranking them all costs less than a
    round trip to first count them. Terms are reduced to [a-z0-9] words, so nothing a user
    typed reaches the query syntax.
    """
    phrases = [" ".join(_TERM.findall(term.lower())) for term in terms]
    phrases = [p for p in dict.fromkeys(phrases) if p]
    if not phrases:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # ts_rank's order agrees less with the matcher's than bm25's: hand over more. Not
        # ts_rank_cd: ranking was most of PostgreSQL's work for a question (a word in 2,400 of
        # 10,000 items: 4.9 ms against 2.5), and benchmarks/matching.py --postgres gives the
        # same figures with either
        limit *= _TS_RANK_SLACK
        query = " | ".join(f"({p.replace(' ', ' <-> ')})" for p in phrases)
        ranked = (
            "SELECT item_id FROM match_documents, to_tsquery('english', %s) AS query"
            " WHERE document @@ query AND workspace_id = %s"
            " ORDER BY ts_rank(document, query) DESC, item_id LIMIT %s"
        )
        arguments = (query, workspace_of(session))
    else:
        # the workspace is a token of the document's `workspace` column (migration 0013):
        # FTS5 intersects it with the words in its own index
        words = " OR ".join(f'"{p}"' for p in phrases)
        arguments = (f"workspace : w{workspace_of(session)} AND ({words})",)
        ranked = (
            f"SELECT rowid FROM match_fts WHERE match_fts MATCH ?"
            f" ORDER BY bm25(match_fts, {_BM25_WEIGHTS}), rowid LIMIT ?"
        )
    # the index holds every workspace's items: only the session's own are found
    with _driver(session) as driver:
        return [row[0] for row in driver.execute(ranked, (*arguments, limit)).fetchall()]


def optimize_index(*, session: Session) -> None:
    """Compact the full-text index after many items changed at once (an import, a sync).

    The triggers add each change to the index as a small segment; searching many segments
    costs more than one (FTS5 'optimize' merges them, PostgreSQL moves its GIN pending list
    into the index).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT gin_clean_pending_list('ix_match_documents_document')"))
        # and fresh statistics: with those of an empty table the planner scans every document
        session.execute(text("ANALYZE match_documents"))
    else:
        session.execute(text("INSERT INTO match_fts (match_fts) VALUES ('optimize')"))


def list_synonyms(*, session: Session) -> list[tuple[str, str]]:
    return [
        (term, means)
        for term, means in session.execute(
            select(Synonym.term, Synonym.means).order_by(Synonym.term)
        )
    ]


def set_synonym(*, session: Session, term: str, means: str) -> None:
    """Add a synonym, or change what an existing term means."""
    term = " ".join(term.lower().split())
    means = " ".join(means.lower().split())
    if not term or not means:
        raise ValueError("a synonym needs a term and what it means")
    row = session.execute(select(Synonym).where(Synonym.term == term)).scalar_one_or_none()
    if row is None:
        session.add(Synonym(term=term, means=means))
    else:
        row.means = means
    session.flush()


def remove_synonym(*, session: Session, term: str) -> bool:
    term = " ".join(term.lower().split())
    result = session.execute(delete(Synonym).where(Synonym.term == term))
    return bool(result.rowcount)
