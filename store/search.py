"""Queries behind matching: full-text retrieval, the matching vocabulary, synonyms.

Retrieval runs in the database: SQLite FTS5 ranked with bm25 (table `match_fts`), PostgreSQL
a weighted tsvector ranked with ts_rank_cd (table `match_documents`). Both are kept in sync
with items, aliases, areas and phrasings by the triggers of migration 0003_matching.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from store.models import Area, Item, Phrasing, Synonym

_TERM = re.compile(r"[a-z0-9]+")

# bm25 column weights for match_fts(name, phrasings, area, description)
_BM25_WEIGHTS = "4.0, 3.0, 0.5, 1.0"


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


def match_version(*, session: Session) -> int | None:
    """Changes (to a new random number) whenever an item, phrasing, area or synonym changes.

    None if the state row is missing (a table emptied by hand): then nothing may be cached.
    """
    return session.execute(text("SELECT version FROM match_state WHERE id = 1")).scalar()


def load_documents(*, session: Session) -> list[ItemDocument]:
    phrasings: dict[int, list[str]] = defaultdict(list)
    for item_id, phrasing in session.execute(
        select(Phrasing.item_id, Phrasing.text).order_by(Phrasing.id)
    ):
        phrasings[item_id].append(phrasing)
    rows = session.execute(
        select(Item.id, Item.key, Item.title, Item.aliases, Item.description, Area.name)
        .outerjoin(Area, Area.id == Item.area_id)
        .order_by(Item.id)
    )
    return [
        ItemDocument(
            item_id=item_id,
            key=key,
            title=title,
            aliases=tuple(aliases or ()),
            area=area or "",
            description=description or "",
            phrasings=tuple(phrasings.get(item_id, ())),
        )
        for item_id, key, title, aliases, description, area in rows
    ]


def search_items(*, session: Session, terms: list[str], limit: int) -> list[tuple[int, float]]:
    """Items matching any of `terms`, best first, as (item id, database rank score).

    Terms are reduced to [a-z0-9] words, so nothing a user typed reaches the query syntax.
    """
    words = []
    for term in terms:
        for word in _TERM.findall(term.lower()):
            if word not in words:
                words.append(word)
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                "SELECT item_id, ts_rank_cd(document, query) AS score"
                " FROM match_documents, to_tsquery('english', :query) AS query"
                " WHERE document @@ query ORDER BY score DESC, item_id LIMIT :limit"
            ),
            {"query": " | ".join(words), "limit": limit},
        )
        return [(item_id, float(score)) for item_id, score in rows]
    rows = session.execute(
        text(
            f"SELECT rowid, -bm25(match_fts, {_BM25_WEIGHTS}) AS score FROM match_fts"
            " WHERE match_fts MATCH :query ORDER BY score DESC, rowid LIMIT :limit"
        ),
        {"query": " OR ".join(f'"{word}"' for word in words), "limit": limit},
    )
    return [(item_id, float(score)) for item_id, score in rows]


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
