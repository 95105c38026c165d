"""Finding the roadmap item a question is about, with a score and a confidence.

First version: fuzzy matching on titles and aliases over an in-memory index of the items,
rebuilt when the roadmap changes. Below the threshold the answer is *unknown*: a confident
wrong match would be a false promise.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Area, Item

CONFIDENCE_THRESHOLD = 0.72
_STOPWORDS = {
    "the",
    "a",
    "an",
    "of",
    "to",
    "for",
    "with",
    "in",
    "on",
    "and",
    "or",
    "we",
    "can",
    "does",
    "do",
    "is",
    "it",
    "our",
    "support",
    "supported",
    "feature",
}


@dataclass(frozen=True)
class Candidate:
    item_id: int
    key: str
    title: str
    score: float  # 0..1


@dataclass(frozen=True)
class MatchResult:
    candidates: list[Candidate]
    confidence: float
    confident: bool

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass
class _Index:
    version: tuple
    texts: list[str]
    owners: list[tuple[int, str, str]]  # (item_id, key, title) per text


_lock = threading.Lock()
_indexes: dict[str, _Index] = {}


def _words(text: str) -> str:
    return " ".join(w for w in utils.default_process(text).split() if w not in _STOPWORDS)


def _index(session: Session) -> _Index:
    version = tuple(session.execute(select(func.count(Item.id), func.max(Item.updated_at))).one())
    cache_key = str(session.get_bind().url)
    with _lock:
        cached = _indexes.get(cache_key)
        if cached and cached.version == version:
            return cached
    texts: list[str] = []
    owners: list[tuple[int, str, str]] = []
    rows = session.execute(
        select(Item.id, Item.key, Item.title, Item.aliases, Area.name).outerjoin(Area)
    ).all()
    for item_id, key, title, aliases, _area in rows:
        for text in [title, key, *(aliases or [])]:
            words = _words(text)
            if words:
                texts.append(words)
                owners.append((item_id, key, title))
    index = _Index(version=version, texts=texts, owners=owners)
    with _lock:
        _indexes[cache_key] = index
    return index


def match(text: str, *, session: Session, limit: int = 3) -> MatchResult:
    query = _words(text)
    if not query:
        return MatchResult(candidates=[], confidence=0.0, confident=False)
    index = _index(session)
    exact_key = re.search(r"\b([A-Z][A-Z0-9]*-\d+)\b", text)
    hits = process.extract(query, index.texts, scorer=fuzz.token_set_ratio, limit=limit * 4)
    best_by_item: dict[int, Candidate] = {}
    for _text, score, position in hits:
        item_id, key, title = index.owners[position]
        # token_set_ratio is generous to short texts contained in long ones: temper by length
        balance = fuzz.ratio(query, _text) / 100
        value = 0.8 * score / 100 + 0.2 * balance
        if exact_key and exact_key.group(1).lower() == key.lower():
            value = 1.0
        if item_id not in best_by_item or best_by_item[item_id].score < value:
            best_by_item[item_id] = Candidate(item_id, key, title, round(value, 3))
    candidates = sorted(best_by_item.values(), key=lambda c: c.score, reverse=True)[:limit]
    if not candidates:
        return MatchResult(candidates=[], confidence=0.0, confident=False)
    top = candidates[0].score
    gap = top - (candidates[1].score if len(candidates) > 1 else 0.0)
    confidence = round(min(1.0, top * (0.85 + min(gap, 0.3) / 2)), 3)
    return MatchResult(candidates, confidence, confidence >= CONFIDENCE_THRESHOLD)
