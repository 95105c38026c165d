"""Find the roadmap item a question is about, and say how sure we are.

1. The deal context (customer, dates, money, "can we promise") is stripped from the text.
2. Words are expanded with the synonym table (`sso` <-> `single sign-on`) and misspelt
   words are corrected against the roadmap's own vocabulary (rapidfuzz).
3. Candidates come from the database's full-text search (SQLite FTS5 ranked by bm25,
   PostgreSQL tsvector ranked by ts_rank): the question's rarest words, their synonyms
   and other forms ("inplace" is also the phrase "in place"). When the question has a word
   the roadmap does not use as written, rapidfuzz's closest titles, aliases and phrasings
   are added.
4. Every candidate is scored in Python the same way on both databases, against an in-memory
   copy of the roadmap's words (rebuilt when the store's match version changes; on a large
   roadmap by a thread of its own, the old copy serving meanwhile: see `_index_for`): how much
   of the question its names (title, aliases, phrasings PMs answered, and what other items'
   descriptions call it: "KEP-1287 (In-place Resource Resize)") explain, weighted by
   how rare each word is, how much its whole text (with area and description) explains,
   how much of its name the question covers, and whole-string similarity; an item whose
   name says "Deprecate", "Remove" or "by default" when the question does not scores less.
   Only the candidates that can still reach the top are scored to the end. An item key
   written in the question ("KEP-3140") names that item outright.
5. Confidence is a logistic function of the best score, its gap to the runner-up, how much
   of the question is left unexplained, such an unasked qualifier, and how much of the
   question is in words that name things on the roadmap the best item never uses ("CronJob
   daemonset" of an item that never says daemonset), fitted on labelled
   questions, real public wording among them (see benchmarks/matching.py). Below one
   threshold the verdict is unknown: a confident wrong match would be a false promise.
6. Three rules hold a match back whatever its confidence: near-duplicates that would be
   answered differently (names sharing most words, or one naming the other's key, with
   another status: an item and its fix, a declined one and its shipped successor), a
   best item that shares only generic words ("pod", "api", "support") with the question,
   and one whose text lacks LACKING_MAX of the question in such roadmap words.
7. When not confident and the best item is plausible, the best three are offered
   (`MatchResult.offered`): the rep picks one ("did you mean", see bot.questions.choosing),
   or asks the PM.

A question a PM answered for an item, or worded so when a rep picked the item, becomes a
phrasing of it (`add_phrasing`): later questions worded like it find the item even when the
roadmap text shares no word with them (its words count as the item's, the newest
_PHRASINGS_PER_ITEM of an item's phrasings), and the very same words are answered with it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import heapq
import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy.orm import Session

from bot.core import parsing
from store import phrasings, search
from store.tenancy import session_factory, workspace_of

log = logging.getLogger(__name__)

# "Did you mean": when not confident, the best OFFER_MAX candidates are offered if the best
# one scores at least OFFER_FLOOR (however far behind it the others are: "none of these" costs
# the rep one click, a right item left out costs a PM's time)
OFFER_MAX = 3
OFFER_FLOOR = 0.20
# ... and when no more than this share of the question (by weight) is in words the roadmap
# never uses: "a dashboard of carbon footprint per seat" is about something it does not know
OFFER_UNKNOWN_MAX = 0.6
# siblings: within SIBLING_MARGIN of the best score, names sharing SIBLING_OVERLAP of the
# longer one's words (SIBLING_SAME_AREA in the same area)
SIBLING_MARGIN = 0.12
# ... or within SIBLING_MARGIN_DECLINED when one of them is declined (the verdict flips to no)
SIBLING_MARGIN_DECLINED = 0.20
SIBLING_OVERLAP = 0.5
SIBLING_SAME_AREA = 0.4
# a best item whose text lacks this share of the question (by weight) in words that name
# things on the roadmap ("CronJob daemonset" for an item that never says daemonset) is never
# confident: the question is about something else, or more than it
LACKING_MAX = 0.4
# ... and so is one when 60% of the question (by weight) or more is words the roadmap never
# uses, names aside: "webhooks with HMAC signatures" (73%) asks for more than "Outbound
# webhooks with retries" says, and was told yes. An unknown word weighs the most, so at half a
# two-word question with one ("is yubikey support coming?") was held back too. On the tuning
# questions 0.6 and 0.5 moved nothing but one title-like answer at 0.5; 0.4 cost a real one
UNKNOWN_MAX = 0.6
# One threshold: below it the verdict is unknown: the rep is offered the plausible items, or
# the question escalates.
CONFIDENCE_THRESHOLD = 0.9655
# confidence = sigmoid(w . (1, best, best - runner_up, coverage, precision, unknown, qualifier,
# lacking)):
# the best candidate's score and its gap to the runner-up, how much of the question the best
# item's text explains, how much of its name the question covers, the share of the question
# in words the roadmap never uses, whether the best item's name says "Deprecate", "Remove",
# "by default"... when the question does not, and the share of the question in words naming
# things on the roadmap (not generic ones) that the best item's text never has. Fitted (and
# the threshold chosen) on the tuning questions, title-like and two-thirds of the real
# wording, asked of the KEP roadmap alone and among 10,000 items, by `python
# benchmarks/matching.py --fit`; the other third of the real wording is held out. The
# threshold was the lowest with no confident wrong answer to the real wording on either
# roadmap (a refit on the real wording grown by half, 2026-12-02, answered no more of it:
# kept); --fit also cross-validates that rule on the tuning questions (0.5% confident and
# wrong).
_CALIBRATION = (-3.60, 0.89, 12.77, 0.00, 3.72, -2.06, -3.58, -0.93)

# a candidate's score: weights of how much of the question its names explain, how much its
# whole text explains, how much of its name the question covers, whole-string similarity
_WEIGHTS = (0.10, 0.60, 0.25, 0.05)

# where these sit in a candidate's features (see _Index.score): the share of the question in
# words the roadmap never uses, in roadmap words the item lacks, whether it shares only
# generic words, `said` (the question is its name, or a phrasing learnt for it), and the share
# in capitalised words the roadmap never uses
_UNKNOWN, _LACKING, _GENERIC_ONLY, _SAID, _UNKNOWN_NAMES = 2, 4, 5, 6, 7
# ... and whether the question says a number (a version, a level) the item does not, where the
# item's names say one: "99.99% uptime" is not what "99.95% uptime SLA" promises
_OTHER_NUMBER = 8
_ANY_DAY = dt.date(2026, 1, 1)
# a word is generic when at least this many items' names (or one in this many) have it
_GENERIC_NAME_MIN = 10
_GENERIC_NAME_PER = 50
# an item key written in the question ("KEP-3140", "ID-12") names that item
_KEY = re.compile(r"\b[A-Za-z][A-Za-z0-9]*-\d+(?:@[\w-]+)?")
# how many of the database's best matches are scored: 30, or one per 70 items up to 150
_DB_CANDIDATES = 30
_ITEMS_PER_CANDIDATE = 70
_MAX_CANDIDATES = 150
_FUZZY_CANDIDATES = 8
# a "did you mean" shows one line of an item's description, from this much of its start
_OPENING_CHARS = 400
# a learnt phrasing's words become words of its item (a question worded like it finds the item
# even when the roadmap shares no word with it): only the newest this many of an item count,
# so that picks and answers for one item cannot make it the answer to everything
_PHRASINGS_PER_ITEM = 50
# an item whose name has a qualifier the question lacks ("Deprecate", "by default") scores less
_QUALIFIER_FACTOR = 0.85
# the database's full-text query stops adding words (rarest first) past this many rows (or
# a fifth of the roadmap, if more), or at this many words
_RETRIEVAL_POSTINGS = 300
_RETRIEVAL_WORDS = 8


@dataclass(frozen=True)
class Candidate:
    item_id: int
    key: str
    title: str
    score: float  # 0..1
    # what a "did you mean" shows of it, as the store has it in this match's transaction
    status: str = ""
    opening: str = ""  # the start of its description
    url: str | None = None


@dataclass(frozen=True)
class MatchResult:
    candidates: list[Candidate]  # best first, up to `limit`
    confidence: float  # calibrated 0..1
    confident: bool  # confidence >= threshold; if False the verdict is unknown
    # when not confident: up to three plausible items to offer the rep ("did you mean"),
    # best first; empty when nothing is plausible enough to offer
    offered: list[Candidate] = dataclasses.field(default_factory=list)
    # a rule keeps it from being confident whatever its confidence: near-duplicates that would
    # be answered differently, or only generic words shared with the best item
    held_back: bool = False

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def without(self, item_id: int | None) -> MatchResult:
        """The same result without the item `item_id` among its candidates (the item a rep
        said their question is not about, "Not what I meant"); itself when None."""
        if item_id is None:
            return self
        kept = [c for c in self.candidates if c.item_id != item_id]
        return dataclasses.replace(self, candidates=kept)


def match(text: str, *, session: Session, limit: int = 3) -> MatchResult:
    """The roadmap items `text` is most likely about, best first, with a confidence; when not
    confident, the plausible ones to offer the rep."""
    index, current = _index_for(session)
    # the old copy does not know the phrasings recorded since it was built (a rep's pick a
    # moment ago): a question worded exactly as one of them is still answered with its item
    learnt = {} if current else _learnt_since(session, index)
    ranked = _rank(text, session, max(limit, OFFER_MAX), index, learnt)
    if not ranked:
        return MatchResult(candidates=[], confidence=0.0, confident=False)
    confidence = confidence_from(_features(ranked))
    plausible = _plausible(ranked)
    candidates = [_candidate(score, doc) for score, _, doc in ranked[: max(limit, 1)]]
    features = ranked[0][1]
    lacking, generic_only, said = features[_LACKING], features[_GENERIC_ONLY], features[_SAID]
    # these very words name another plausible item: its name, or a rep picked it for them
    said_elsewhere = any(other[_SAID] for _, other, _ in plausible[1:])
    if said and not said_elsewhere:
        # the question is the item's name, or a rep picked it (a PM answered for it) for
        # these very words: nothing to choose between
        siblings, held_back, confident = set(), False, True
    else:
        siblings = _siblings(plausible)
        held_back = (
            bool(siblings)
            or generic_only
            or lacking >= LACKING_MAX
            or said_elsewhere
            or features[_OTHER_NUMBER]
            or features[_UNKNOWN] - features[_UNKNOWN_NAMES] >= UNKNOWN_MAX
        )
        confident = confidence >= CONFIDENCE_THRESHOLD and not held_back
    offered = []
    if not confident:
        # near-duplicates that would be answered differently are offered side by side
        docs = [doc for _, _, doc in plausible]
        first = [d for d in docs if d in siblings] if siblings else []
        order = first + [d for d in docs if d not in first]
        scores = {id(doc): score for score, _, doc in plausible}
        offered = [_candidate(scores[id(doc)], doc) for doc in order[:OFFER_MAX]]
    if not current:  # what is shown of them comes from the store, not the old copy
        candidates, offered = _as_stored(session, candidates, offered)
        if not candidates:
            return MatchResult(candidates=[], confidence=0.0, confident=False)
    return MatchResult(
        candidates=candidates,
        confidence=confidence,
        confident=confident,
        offered=offered,
        held_back=held_back,
    )


def alternatives(text: str, *, session: Session, excluding: int) -> list[Candidate]:
    """What "did you mean" offers when the rep said `text` is not about item `excluding`: up
    to three plausible items other than that one, best first (none when nothing is)."""
    index, current = _index_for(session)
    ranked = _rank(text, session, OFFER_MAX + 1, index)
    if not ranked or not _plausible(ranked):
        return []
    others = [
        _candidate(score, doc)
        for score, _, doc in ranked[: OFFER_MAX + 1]
        if doc.item_id != excluding
    ][:OFFER_MAX]
    if not current:
        [others] = _as_stored(session, others)
    return others


def _candidate(score: float, doc: _Doc) -> Candidate:
    return Candidate(
        item_id=doc.item_id,
        key=doc.key,
        title=doc.title,
        score=round(score, 4),
        status=doc.status,
        opening=doc.opening,
        url=doc.url,
    )


def _as_stored(session: Session, *groups: list[Candidate]) -> list[list[Candidate]]:
    """Each group of candidates with the title, status, opening and link the store has for
    them now, without those it no longer has (one query for all the groups)."""
    item_ids = {c.item_id for group in groups for c in group}
    by_id = {d.item_id: d for d in search.load_documents(session=session, item_ids=item_ids)}
    return [
        [
            dataclasses.replace(
                c,
                title=d.title,
                status=d.status,
                opening=d.description[:_OPENING_CHARS],
                url=d.url,
            )
            for c in group
            if (d := by_id.get(c.item_id)) is not None
        ]
        for group in groups
    ]


def _plausible(ranked):
    """The candidates worth offering a rep: when the best one explains enough of the question,
    the best three. On real wording the right item was often second or third a long way
    behind the first: cutting the runners-up by their distance to it lost more right items
    than it spared reps a wrong one."""
    best, features, _ = ranked[0]
    # a capitalised word the roadmap never uses is most often a name, the customer's ("Acme is
    # churning unless we ship Teams notifications"): no sign the question is about something
    # the roadmap does not know, so it does not keep the items from being offered
    if best < OFFER_FLOOR or features[_UNKNOWN] - features[_UNKNOWN_NAMES] > OFFER_UNKNOWN_MAX:
        return []
    return ranked[:OFFER_MAX]


def _siblings(plausible) -> set:
    """The plausible candidates that are near-duplicates of the best one but would get another
    verdict (another status): an item and its successor, fix or replacement. The roadmap says
    so by names sharing most of their words (fewer in the same area), or by one naming the
    other's key."""
    if len(plausible) < 2:
        return set()
    top, _, best = plausible[0]
    found = {
        doc
        for score, _, doc in plausible[1:]
        if doc.status != best.status
        and score >= top - _sibling_margin(best, doc)
        and _near_duplicates(best, doc)
    }
    return found | {best} if found else set()


def _sibling_margin(a: _Doc, b: _Doc) -> float:
    return SIBLING_MARGIN_DECLINED if "declined" in (a.status, b.status) else SIBLING_MARGIN


def _near_duplicates(a: _Doc, b: _Doc) -> bool:
    if a.key.lower() in b.mentions or b.key.lower() in a.mentions:
        return True
    if not a.name_stems or not b.name_stems:
        return False
    # of the longer name: "Sidecar Containers" is not a near-duplicate of every longer name
    # about sidecar containers
    shared = len(a.name_stems & b.name_stems) / max(len(a.name_stems), len(b.name_stems))
    return shared >= (SIBLING_SAME_AREA if a.area and a.area == b.area else SIBLING_OVERLAP)


def confidence_from(features: tuple[float, ...]) -> float:
    """Calibrated probability that the best candidate is the item the question is about."""
    z = _CALIBRATION[0] + sum(w * x for w, x in zip(_CALIBRATION[1:], features, strict=True))
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def explain(text: str, *, session: Session, limit: int = 10) -> tuple[list[str], tuple]:
    """Keys of the best candidates and the features confidence is computed from (for fitting)."""
    ranked = _rank(text, session, limit, _index_for(session)[0])
    return [doc.key for _, _, doc in ranked[:limit]], _features(ranked) if ranked else (0,) * 7


def _candidates(query: _Query, index: _Index, session: Session) -> set[int]:
    """Positions of the items worth scoring: the database's full-text hits, fuzzy name hits.

    Retrieval runs in the database (see store.search). Its query is the question's rarest
    words, up to about `index.retrieval_rows` matching rows (fewer on PostgreSQL, see
    store.search.rows_to_rank): on a large roadmap a word like
    "pod" matches thousands of items, and ranking them all costs the database more than
    every other step of a match together, while the rare words find the same items. When
    the question has a word the roadmap does not use as written (a typo, a squashed name),
    rapidfuzz's whole-string similarity on titles, aliases and phrasings adds its best hits.
    """
    hits = search.search_items(
        session=session,
        terms=_retrieval_terms(query, index, search.rows_to_rank(session, index.retrieval_rows)),
        limit=index.retrieve,
    )
    positions = {index.position[item_id] for item_id in hits if item_id in index.position}
    if not query.as_written or not positions:
        positions |= index.fuzzy_candidates(query.clean, _FUZZY_CANDIDATES)
    return positions


def _retrieval_terms(query: _Query, index: _Index, budget: int) -> list[str]:
    """The question's words and phrases (and their other forms), rarest first, while the
    rows they match stay affordable; stopwords alone, which the database indexes, are not
    looked for."""
    terms = dict.fromkeys(w for t in query.search_terms for w in _words(t) if w not in STOPWORDS)
    terms.update(dict.fromkeys(query.search_phrases))
    kept, rows = [], 0
    for matching_rows, term in sorted((index.rows_matching(t), t) for t in terms):
        # terms that find nothing ("single sign on" where the roadmap says SAML) do not stop
        # the search: the rarest term that finds something is looked for whatever it costs
        if rows and (rows + matching_rows > budget or len(kept) >= _RETRIEVAL_WORDS):
            break
        rows += matching_rows
        kept.append(term)
    return kept


def _scored(query: _Query, index: _Index, session: Session, keep: int):
    """(score, confidence features, position) of the candidates that can reach the best `keep`."""
    scored = index.score(query, _candidates(query, index, session), keep)
    return [(score, features, pos) for score, features, _, pos in scored]


def _features(ranked) -> tuple[float, ...]:
    best, (coverage, precision, unknown_share, unasked, lacking, *_), _ = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    return best, best - runner_up, coverage, precision, unknown_share, unasked, lacking


def _rank(
    text: str,
    session: Session,
    limit: int,
    index: _Index,
    learnt: dict[str, set[int]] | None = None,
) -> list[tuple[float, tuple[float, ...], _Doc]]:
    """`learnt`: the phrasings `index` does not have yet (see _learnt_since)."""
    query = _Query.build(strip_context(text, index.knows_or_near), index)
    if not query.weighted and not _KEY.search(text):
        return []
    named = {index.by_key[k.lower()] for k in _KEY.findall(text) if k.lower() in index.by_key}
    said = (learnt or {}).get(_said_string(query.clean), set()) - named
    scored = [
        (1.0, (1.0, 1.0, 0.0, 0.0, 0.0, False, False, 0.0, False), index.docs[pos]) for pos in named
    ]
    scored += [
        (1.0, (1.0, 1.0, 0.0, 0.0, 0.0, False, True, 0.0, False), index.docs[pos]) for pos in said
    ]
    if query.weighted:
        scored.extend(
            (score, features, index.docs[pos])
            for score, features, pos in _scored(
                query, index, session, max(limit, 2) + len(named) + len(said)
            )
            if pos not in named and pos not in said
        )
    # an item named for what the rep ruled out is neither the answer nor offered: "SSO via
    # SAML (not Okta, they use OneLogin)" was told yes for "Single sign-on with Okta (SAML)"
    ruled_out = _ruled_out(text)
    if ruled_out:
        scored = [entry for entry in scored if not ruled_out & entry[2].name_all]
    # on a tie, an item named by these very words comes first
    scored.sort(key=lambda entry: (-entry[0], not entry[1][_SAID], entry[2].item_id))
    return scored


# what the rep says the question is not about: ", not Okta", "(not with Okta)", "but not
# Slack": a name. A lower-case word after "not" says how something behaves ("Jobs not
# terminating"); "instead of" and "rather than" name what an item may move away from
# ("WebSockets instead of SPDY" is "Transition from SPDY to WebSockets")
_RULING_OUT = re.compile(
    r"(?:[,(;]\s*|\b(?i:but)\s+)(?i:not)\s+(?:(?i:with|via|through|using|the|a|an|for)\s+)?"
    r"(?P<name>[A-Z][\w&.-]*)"
)


def _ruled_out(text: str) -> set[str]:
    """The stems of the names the rep rules out, each the first word after "not"."""
    return {
        token for found in _RULING_OUT.finditer(text) for token in _name_tokens(found.group("name"))
    }


def _learnt_since(session: Session, index: _Index) -> dict[str, set[int]]:
    """The phrasings recorded since `index` was built, as its said strings (see _said_string),
    each with the positions of the items it names."""
    learnt: dict[str, set[int]] = {}
    newer = phrasings.phrasings_after(session=session, phrasing_id=index.newest_phrasing_id)
    for item_id, text in newer:
        pos = index.position.get(item_id)
        words = strip_context(text, index.knows)
        if pos is not None and words:
            learnt.setdefault(_said_string(_content(words)), set()).add(pos)
    return learnt


def add_phrasing(
    *,
    session: Session,
    item_id: int,
    text: str,
    now: dt.datetime,
    taught_by: str = phrasings.TAUGHT_BY_REP,
):
    """Teach the matcher: `text` (a rep's words for the item they picked, or a question a PM
    answered for it: `taught_by`) names that item.

    Stored as written; the deal context ("for Acme by Q2") is stripped whenever the matcher
    reads it. Does not commit. Returns False when there is nothing new to learn.
    """
    return phrasings.add_phrasing(
        session=session, item_id=item_id, text=text, now=now, taught_by=taught_by
    )


# --- cleaning ---------------------------------------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = (
    rf"(?:q[1-4](?:\s*\d{{4}})?|h[12]|(?:{_MONTHS})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?"
    rf"(?:,?\s*\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:year|quarter|month)|eoy|eoq|next\s+(?:month|quarter|year|week)"
    r"|go-?live|launch)"
)
_CONTEXT_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"<[@#!][^>]*>",  # Slack mentions, channels, broadcasts
        r"<(https?://[^|>]*)(?:\|[^>]*)?>",  # Slack links
        r"https?://\S+",
        # money: $120k, 120,000 USD, ~$1.2M ARR, 45k deal
        r"~?\$\s?\d[\d,.]*\s*(?:k|m|mm|bn|million|thousand)?\b(?:\s*(?:arr|acv|tcv|deal))?",
        r"\b\d[\d,.]*\s*(?:k|m|mm|million|thousand)?\s*(?:usd|eur|gbp|dollars)\b",
        r"\b\d[\d,.]*\s*(?:k|m|mm)\s*(?:arr|acv|tcv|deal|renewal|opportunity|opp)\b",
        rf"\b(?:by|before|until|in|for|on|due|no later than)\s+{_DATE}\b",
        rf"\bneed(?:ed|s)?\s+(?:it\s+)?(?:by|before)\s+{_DATE}\b",
        r"\bis\s+that\s+committed\b",
        # when it is out, which the verdict says: "when will SSO be GA", "is it live yet"
        r"\b(?:be|is|are|go|goes|going|get|gets)\s+"
        r"(?:GA|live|released|launched|shipped|generally\s+available)\b",
        r"\b(?:they|we)\s+(?:sign|close)\b",  # "they sign next week"
        # asking after it: "any movement?", "what's the ETA for", "what can I tell them?"
        r"\bany\s+(?:news|update|updates|movement|progress)(?:\s+on)?\b",
        r"\b(?:what'?s\s+the\s+)?eta(?:\s+(?:on|for))?\b",
        r"\bwhat\s+(?:can|should|do)\s+(?:i|we)\s+tell\s+(?:them|him|her|the\s+customer)\b",
        # the deal's size: "25 seats", "for 500 users", "Acme's 3 subsidiaries"
        r"\b(?:for\s+)?\d[\d,.]*\s*k?\s+(?:seats?|users?|licen[cs]es?|employees|people|reps|agents"
        r"|subsidiaries|sites|offices|locations|entities|brands)\b",
    )
] + [
    # (case matters below: a name is capitalised)
    # the customer's own event: "before Acme's go-live", "for Initech's security review"
    re.compile(r"\b[A-Z][\w&.-]*['\u2019]s\s+" + parsing.DEAL_EVENTS + r"\b"),
    # what it is not about: "SSO with Okta, not Azure AD" (a name, then the end of a clause;
    # not "instead of": see _RULING_OUT)
    re.compile(
        r"(?:,\s*|\s+|\()(?i:but\s+)?(?i:not)\s+"
        r"[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*(?=\s*(?:$|[,.;:!?)]))"
    ),
]
_LEAD_INS = re.compile(
    # a greeting is a whole word: "HIPAA", "quotas" and "high availability" keep their start
    r"^\s*(?:(?:hi|hey|hello|quick question|q)\b(?:\s+(?:team|all|folks|everyone|there|canwe)\b)?)?"
    r"[\s,:!-]*"
    r"(?:(?:can|could|do|does|will|would|are|is)\s+(?:we|you|u|i|they|it|canwe)\s+"
    r"(?:promise|commit(?:\s+to)?|offer|tell\s+\S+(?:\s+that)?|say(?:\s+that)?|deliver|support|do"
    r"|have|get)?)?",
    re.IGNORECASE,
)
# "for Acme", "to Globex", "Initech wants", "customer Hooli", "prospect Stark Industries:"
_CUSTOMER = re.compile(
    r"(?:\b(?:for|to)\s+(?:customer\s+|prospect\s+|client\s+)?"
    r"(?P<a>[A-Z][\w&.-]*(?:\s+(?:[A-Z][\w&.-]*|&|and(?=\s+[A-Z])))*)(?:'s)?(?=\s*(?:$|[,.;:!?(-]|\s+by\b|\s+in\b|\s+before\b)))"
    r"|(?:\b(?:customer|prospect|client|account)(?:\s+is|\s*:)?\s+(?P<b>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:'s)?)"
    r"|(?:\b(?:deal|contract|renewal|opportunity|opp)\s+(?:with|for|at)\s+"
    r"(?P<e>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:'s)?)"
    r"|(?:\b(?:promise|offer|give|tell|sell|show)\s+(?P<d>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:'s)?"
    # "promise Acme sidecar containers": a name the roadmap does not know, then lower case
    r"(?=\s+(?:the|a|an|our|that|we)\b|\s+[a-z]))"
    r"|(?:^|(?<=[\s(:,-]))(?P<c>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:'s)?\s+"
    r"(?=(?:" + parsing.ASKING_VERBS + r"|renewal)\b)"
    # "an API that Acme could use": the customer as who would use it (the verb goes too)
    r"|(?:\b(?:that|which|so)\s+(?P<f>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)\s+"
    r"(?:can|could|would|will|might)\s+(?:use|get|have|try|see)\b)"
)
_SALES_WORDS = re.compile(
    r"\b(?:deal|renewal|opportunity|opp|arr|acv|prospect|customer|client|contract|"
    r"hinges on it|go-?live|asap|today|right now|immediately|please|thanks|pls|"
    r"blocked on|waiting (?:on|for)|evaluating|churning)\b",
    re.IGNORECASE,
)


def strip_context(text: str, known: Callable[[str], bool] | None = None) -> str:
    """The question without its deal context: customer, dates, money, "can we promise".

    `known(word)` says whether a word is roadmap vocabulary: "for Jobs" is not a customer.
    """
    # bot.core.parsing finds the money and the needed-by date (the same reading the verdict uses);
    # the date it resolves to is not needed here, so any reference day will do
    text = parsing.clean_text(text or "")[: parsing.MAX_QUESTION_CHARS]
    text = parsing.read_through(text)
    _, money = parsing.parse_deal_value(text)
    _, date_phrase, unparsed = parsing.parse_needed_by(text, _ANY_DAY)
    if money:
        text = text.replace(money, " ")
    if date_phrase or unparsed:  # a date it could not read too: "SSO by FY27" is about SSO
        text = parsing.without_date(text, date_phrase or unparsed)
    for pattern in _CONTEXT_PATTERNS:
        text = pattern.sub(" ", text)

    def _drop_customer(m: re.Match) -> str:
        name = next((m.group(g) for g in "abcdef" if m.group(g)), "")
        # a capitalised roadmap word ("for Windows", "to CSI") is not a customer
        first = name.split()[0].lower() if name else ""
        if first in _NOT_CUSTOMERS or (known is not None and known(first)):
            return m.group(0)
        return m.group(0)[: m.start(m.lastgroup) - m.start()] + " "

    text = _CUSTOMER.sub(_drop_customer, text)
    # the customer as the verdict reads it when written in lower case ("sso for acme", "for
    # acme by Q2"), which _CUSTOMER leaves, unless a word of it is roadmap vocabulary
    # ("quotas for namespaces", "mode for kube-proxy") or a misspelling of it ("for windos")
    name, phrase = parsing.parse_customer(text)
    words = re.split(r"[\s\-_./]+", name.lower()) if name else []
    if (
        phrase
        and phrase.islower()
        and known is not None
        and not any(map(known, filter(None, words)))
    ):
        text = text.replace(phrase, " ", 1)
    text = _LEAD_INS.sub(" ", text, count=1)
    text = _SALES_WORDS.sub(" ", text)

    def _drop_their_tool(m: re.Match) -> str:
        # a tool the roadmap names is what they ask about: "they use Okta" stays
        if known is not None and any(map(known, _words(m.group("tool")))):
            return m.group(0)
        return " "

    text = _THEIR_TOOLS.sub(_drop_their_tool, text)
    return " ".join(text.split())


# what the customer already runs, told as background: "(they use PingFederate)"
_THEIR_TOOLS = re.compile(
    r"\(?\b(?i:they|we|customer)\s+(?i:use|uses|are\s+using|run|runs|are\s+on|is\s+on)\s+"
    r"(?P<tool>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)\)?"
)


_NOT_CUSTOMERS = {
    "windows",
    "linux",
    "kubernetes",
    "k8s",
    "csi",
    "cri",
    "pod",
    "pods",
    "gpu",
    "gpus",
    "okta",
    "sso",
    "azure",
    "aws",
    "gce",
    "vault",
    "ipv6",
    "ipv4",
    "the",
    "a",
    "an",
    "all",
    "every",
}


# --- words --------------------------------------------------------------------------------

# words; what follows an apostrophe is dropped ("pod's" is "pod", "isn't" is "isn")
_WORD = re.compile(r"(?<!['\u2019])[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

STOPWORDS = frozenset(
    [
        "isn",
        "aren",
        "don",
        "doesn",
        "didn",
        "won",
        "wasn",
        "weren",
        "haven",
        "hasn",
        "couldn",
        "wouldn",
        "shouldn",
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yet",
        "also",
        "via",
        "let",
        "lets",
        "us",
        "get",
        "got",
        "make",
        "able",
        "any",
        "anything",
        "way",
        "ways",
        "promise",
        "promised",
        "commit",
        "committed",
        "customer",
        "customers",
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "wanted",
        "like",
        "would",
        "please",
        "thanks",
        "ask",
        "asks",
        "asking",
        "support",
        "supports",
        "supported",
        "supporting",
        "feature",
        "features",
        "thing",
        "things",
        "something",
        "someone",
        "possible",
        "available",
        "availability",
        "roadmap",
        "plan",
        "planned",
        "question",
        "tell",
        "know",
        "working",
        "work",
        "works",
        "go",
        "going",
        "still",
        "already",
        "ever",
        "when",
        "soon",
        "yes",
        "maybe",
        "really",
        "actually",
        "new",
        "native",
        "unless",
        "ship",
        "ships",
        "asked",
        "coming",
    ]
)


_NUMBER = re.compile(r"(?<![\w.,])v?(\d+(?:[.,]\d+)*)(?!\w)", re.IGNORECASE)


def _numbers(text: str) -> frozenset[str]:
    """The numbers `text` says, each in one form: "v2", "2.0" and "2" are 2; "10,000" is
    10000. A number inside a word ("cgroupv2", "S3", "IPv6") is part of a name, not one."""
    numbers = set()
    for found in _NUMBER.finditer(text):
        number = found.group(1).replace(",", "")
        while number.endswith(".0"):
            number = number[:-2]
        numbers.add(number)
    return frozenset(numbers)


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """A light English stemmer: enough to join plurals and verb forms of roadmap words."""
    w = word.lower()
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    for suffix, repl in (("ation", "ate"), ("ization", "ize"), ("ability", "able")):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"
    return w


def _camel_parts(word: str) -> list[str]:
    """The lower-case parts of a camelCase word ("appArmorProfile": app, armor, profile); none
    unless two of them are words of two letters or more ("k8s", "IPv6" are one word each)."""
    parts = _CAMEL.findall(word)
    if len(parts) < 2 or sum(1 for p in parts if len(p) >= 2 and p.isalpha()) < 2:
        return []
    return [p.lower() for p in parts]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _name_tokens(text: str) -> set[str]:
    """Stems of a name, with camelCase parts and adjacent words joined ("cgroups v2")."""
    raw = _WORD.findall(text)
    out: set[str] = set()
    lowered = [w.lower() for w in raw]
    for original, word in zip(raw, lowered, strict=True):
        out.add(_stem(word))
        parts = _CAMEL.findall(original)
        if len(parts) > 1:
            out.update(_stem(p.lower()) for p in parts)
    for left, right in zip(lowered, lowered[1:], strict=False):
        out.add(_stem(left + right))
    return {t for t in out if t not in STOPWORDS}


@dataclass(frozen=True)
class _Unit:
    """One word of a name, and the other forms a question may give it in."""

    stem: str
    parts: tuple[str, ...]  # camelCase parts: "CronJob" is also "cron job"
    joins: tuple[str, ...]  # joined with a neighbour: "Node Local" is also "nodelocal"


def _units(text: str) -> list[_Unit]:
    raw = _WORD.findall(text)
    lowered = [w.lower() for w in raw]
    units = []
    for i, (original, word) in enumerate(zip(raw, lowered, strict=True)):
        if word in STOPWORDS:
            continue
        parts = tuple(_stem(p.lower()) for p in _CAMEL.findall(original))
        joins = []
        if i > 0:
            joins.append(_stem(lowered[i - 1] + word))
        if i + 1 < len(lowered):
            joins.append(_stem(word + lowered[i + 1]))
        units.append(_Unit(_stem(word), parts if len(parts) > 1 else (), tuple(joins)))
    return units


def _covered(unit: _Unit, expanded: set[str]) -> bool:
    if unit.stem in expanded:
        return True
    if unit.parts and all(p in expanded for p in unit.parts):
        return True
    return any(j in expanded for j in unit.joins)


_PARENTHESES = re.compile(r"\([^)]*\)")
# another item named in a description with what it is called there: "This proposal enhances
# KEP-1287 (In-place Resource Resize)", "building upon KEP-2837: Pod Level Resource
# Specifications"
_REFERENCE = re.compile(
    r"\b([A-Za-z][A-Za-z0-9]*-\d+)(?:\s*\(([^()]{3,80})\)|:\s+([A-Z][^.,;:()]{2,80}))"
)
_REFERENCE_WORDS = 8  # longer than this, it is a sentence rather than a name


def _names_used_elsewhere(documents: list[search.ItemDocument]) -> dict[str, list[str]]:
    """What other items' descriptions call each item (by its key, lower case): the roadmap's
    own other names for it, matched like its aliases. Real questions often use the name a
    follow-up item gives its base feature ("in-place resize") rather than the base's title."""
    keys = {document.key.lower() for document in documents}
    out: dict[str, list[str]] = {}
    for document in documents:
        for m in _REFERENCE.finditer(document.description):
            key, name = m.group(1).lower(), (m.group(2) or m.group(3)).strip()
            if (
                key in keys
                and key != document.key.lower()
                and 1 <= len(_words(name)) <= _REFERENCE_WORDS
                and name not in out.get(key, [])
            ):
                out.setdefault(key, []).append(name)
    return out


def _content(text: str) -> str:
    """The words of a name that carry meaning, lower case: for whole-string similarity."""
    return " ".join(w for w in _words(text) if w not in STOPWORDS)


def _said_string(content: str) -> str:
    """Words as `_content` gives them, sorted: how a name or phrasing is compared whole with
    a question (a question worded exactly as one names its item)."""
    return " ".join(sorted(content.split()))


def _plain_tokens(text: str) -> set[str]:
    return {_stem(w) for w in _words(text) if w not in STOPWORDS}


# Words that, in an item's name, make it about ending or forcing a feature rather than the
# feature itself: "Deprecate ipvs mode", "Kubectl Server-Side Apply by default". A question
# about "ipvs mode" that says nothing of the kind is most likely about the feature itself.
_REMOVAL_WORDS = (
    "deprecate deprecated deprecates deprecating deprecation remove removed removes removing"
    " removal drop dropped dropping disable disabled disabling retire retired retiring"
    " retirement sunset sunsetting freeze freezing kill killing eliminate"
)
# a question also asks about ending a feature with these (stopwords included)
_NEGATIONS = "don dont no not without off avoid never stop stopping rid"
_QUALIFIER_FAMILIES = {
    **{w: "removal" for w in _REMOVAL_WORDS.split()},
    **{_stem(w): "removal" for w in _REMOVAL_WORDS.split()},
    "default": "default",
    "defaults": "default",
}
_QUESTION_FAMILIES = {**_QUALIFIER_FAMILIES, **{w: "removal" for w in _NEGATIONS.split()}}
# "by default", "the default", "as default": a name that forces a feature on
_BY_DEFAULT = re.compile(r"\b(?:by|the|as)\s+default\b", re.IGNORECASE)


# where a removal word says nothing is removed: "drag-and-drop charts", "a drop-in
# replacement", "a drop-down" (a dashboard "with drag-and-drop charts" was held to be its
# removal, and "custom dashboards" got Unknown)
_NOT_REMOVING = re.compile(
    r"\bdrag\s*(?:-|\s)\s*(?:and|&|n)\s*(?:-|\s)\s*drop\b|\bdrop[-\s]?(?:in|down)s?\b",
    re.IGNORECASE,
)


def _qualifying_words(text: str) -> list[str]:
    """The words of `text` that may say what is done to a feature (see _QUALIFIER_FAMILIES)."""
    return _words(_NOT_REMOVING.sub(" ", text))


def _name_qualifiers(name: str) -> set[str]:
    out = {
        _QUALIFIER_FAMILIES[w]
        for w in _qualifying_words(name)
        if _QUALIFIER_FAMILIES.get(w) == "removal"
    }
    if _BY_DEFAULT.search(name):
        out.add("default")
    return out


# --- the in-memory index --------------------------------------------------------------------


@dataclass
class _Doc:
    item_id: int
    key: str
    title: str
    name_all: set[str]  # title and aliases
    phrasings: list[set[str]]
    full: set[str]  # names, phrasings, area, description
    # title, aliases and phrasings: their content words, lower case and sorted (so that
    # rapidfuzz's plain ratio is token_sort_ratio), for whole-string similarity
    strings: list[str]
    units: list[list[_Unit]]  # the words of the title, each alias and each phrasing
    # the same, with each word's idf and their sum (filled in once the idf is known)
    weighted_units: list = dataclasses.field(default_factory=list)
    # what its names say is done to a feature: "removal" (Deprecate, Remove), "default"
    qualifiers: frozenset[str] = frozenset()
    status: str = ""
    area: str = ""
    name_stems: frozenset[str] = frozenset()  # the title's words that carry meaning
    mentions: frozenset[str] = frozenset()  # item keys its description names, lower case
    # its names and phrasings as `strings` has them: a question worded exactly so names it (a
    # phrasing: a PM answered, or a rep picked, the item for these words)
    said_strings: frozenset[str] = frozenset()
    opening: str = ""  # the start of its description, for a "did you mean"
    url: str | None = None
    numbers: frozenset[str] = frozenset()  # the numbers its whole text says (see _numbers)
    names_a_number: bool = False  # its title or an alias says one: "99.95% uptime SLA"

    __hash__ = object.__hash__  # one per item: compared by identity
    __eq__ = object.__eq__

    def unasked_qualifier(self, query: _Query) -> bool:
        """Its name says "Deprecate", "Remove", "by default"... and the question does not."""
        return bool(self.qualifiers) and not self.qualifiers <= query.qualifiers

    def other_number(self, query: _Query) -> bool:
        """The question says a number its text does not, and its names say one of their own."""
        return self.names_a_number and not query.numbers <= self.numbers


class _Index:
    def __init__(
        self,
        documents: list[search.ItemDocument],
        synonyms: list[tuple[str, str]],
        newest_phrasing_id: int = 0,
    ):
        # the phrasings it has: those up to this id (see _learnt_since)
        self.newest_phrasing_id = newest_phrasing_id
        self.docs: list[_Doc] = []
        self.position: dict[int, int] = {}
        self.phrased: set[int] = set()  # positions of the items reps have phrasings for
        df: Counter[str] = Counter()
        vocabulary: set[str] = set()
        self.fuzzy_strings: list[str] = []
        self.fuzzy_owner: list[int] = []
        self.by_key: dict[str, int] = {}
        # each token: the items whose whole text / whose title or aliases have it
        self.postings: dict[str, set[int]] = {}
        self.name_postings: dict[str, set[int]] = {}
        roadmap_words = set()
        for document in documents:
            for text in (document.title, *document.aliases, document.description):
                roadmap_words.update(_stem(w) for w in _words(text))
        known = roadmap_words.__contains__
        documents = [
            dataclasses.replace(
                document,
                phrasings=tuple(
                    p
                    for p in (
                        strip_context(p, lambda w: known(_stem(w)))
                        for p in document.phrasings[-_PHRASINGS_PER_ITEM:]
                    )
                    if p
                ),
            )
            for document in documents
        ]
        used_elsewhere = _names_used_elsewhere(documents)
        for pos, document in enumerate(documents):
            self.by_key[document.key.lower()] = pos
            # "CronJobs (previously ScheduledJobs)" is also just "CronJobs"
            short = _PARENTHESES.sub(" ", document.title).strip()
            titles = (
                (document.title, short) if short and short != document.title else (document.title,)
            )
            name_texts = (*titles, *document.aliases, *used_elsewhere.get(document.key.lower(), ()))
            names = [_name_tokens(t) for t in name_texts]
            phrasings = [_name_tokens(p) for p in document.phrasings]
            name_all = set().union(*names)
            full = name_all.union(*phrasings) | _plain_tokens(
                document.area + " " + document.description
            )
            self.docs.append(
                _Doc(
                    item_id=document.item_id,
                    key=document.key,
                    title=document.title,
                    name_all=name_all,
                    phrasings=phrasings,
                    full=full,
                    units=[_units(t) for t in (*name_texts, *document.phrasings)],
                    strings=[_said_string(_content(t)) for t in (*name_texts, *document.phrasings)],
                    qualifiers=frozenset().union(*(_name_qualifiers(t) for t in name_texts)),
                    status=document.status,
                    area=document.area,
                    name_stems=frozenset(_plain_tokens(short or document.title)),
                    said_strings=frozenset(
                        _said_string(_content(t)) for t in (*name_texts, *document.phrasings)
                    ),
                    mentions=frozenset(k.lower() for k in _KEY.findall(document.description)),
                    opening=document.description[:_OPENING_CHARS],
                    url=document.url,
                    numbers=_numbers(
                        " ".join((*name_texts, *document.phrasings, document.description))
                    ),
                    names_a_number=bool(_numbers(" ".join(name_texts))),
                )
            )
            self.position[document.item_id] = pos
            if phrasings:
                self.phrased.add(pos)
            df.update(full)
            for token in full:
                self.postings.setdefault(token, set()).add(pos)
            for token in name_all:
                self.name_postings.setdefault(token, set()).add(pos)
            self.fuzzy_strings.extend(self.docs[-1].strings)
            self.fuzzy_owner.extend([pos] * len(self.docs[-1].strings))
            for text in (*name_texts, *document.phrasings):
                vocabulary.update(_words(text))
            vocabulary.update(_words(document.description))
        n = max(len(self.docs), 1)
        self.df = df
        # the more items, the more of them share the question's words without being about it:
        # the database hands over more of its best matches, and may look at more rows
        self.retrieve = min(max(_DB_CANDIDATES, n // _ITEMS_PER_CANDIDATE), _MAX_CANDIDATES)
        self.retrieval_rows = max(_RETRIEVAL_POSTINGS, n // 5)
        self.idf = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        # words in the names of many items ("pod", "api", "support"): sharing only these with
        # an item's names is no sign of being about it
        generic = max(_GENERIC_NAME_MIN, n // _GENERIC_NAME_PER)
        self.generic_name_words = frozenset(
            token for token, items in self.name_postings.items() if len(items) >= generic
        )
        for doc in self.docs:
            for units in doc.units:
                if units:
                    weights = tuple(self.idf_of(u.stem) for u in units)
                    forms = frozenset(k for u in units for k in (u.stem, *u.parts, *u.joins))
                    doc.weighted_units.append((units, weights, sum(weights), forms))
        self.stems = set(df)
        self.vocabulary = sorted(
            w for w in vocabulary if len(w) >= 4 and not w.isdigit() and w not in STOPWORDS
        )
        self.words = frozenset(w for w in vocabulary if w not in STOPWORDS)
        self.word_stems = frozenset(_stem(w) for w in self.words)
        self._by_length: dict[int, list[str]] = {}  # see _within_reach
        self.synonyms: dict[str, list[str]] = {}
        for term, means in synonyms:
            t, m = " ".join(_words(term)), " ".join(_words(means))
            if t and m:
                self.synonyms.setdefault(t, []).append(m)
                self.synonyms.setdefault(m, []).append(t)
        self.max_synonym_words = max((len(k.split()) for k in self.synonyms), default=1)

    def knows(self, word: str) -> bool:
        return _stem(word.lower()) in self.stems

    def knows_or_near(self, word: str) -> bool:
        """A roadmap word, a synonym, or a misspelling of a roadmap word."""
        word = word.lower()
        return self.knows(word) or word in self.synonyms or self.correct(word) is not None

    def rows_matching(self, term: str) -> int:
        """About how many items the database's full-text search finds for `term` (a phrase
        is found where all its words are)."""
        return min(
            (self.df.get(_stem(w), 0) for w in _words(term) if w not in STOPWORDS), default=0
        )

    def idf_of(self, stem: str) -> float:
        return self.idf.get(stem, self.max_idf)

    def split(self, word: str) -> tuple[str, str] | None:
        """Two roadmap words written as one: "usernamespace" is "user namespace"."""
        if len(word) < 6 or word in self.words:
            return None
        for cut in range(3, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self.words and (right in self.words or _stem(right) in self.stems):
                return left, right
        return None

    def join_parts(self, parts: list[str]) -> list[str]:
        """Neighbouring parts of a camelCase word joined where the roadmap writes them as one
        word ("app" "armor" is "apparmor", "back" "off" is "backoff"), left to right."""
        out: list[str] = []
        for part in parts:
            if out and len(out[-1]) >= 2 and (out[-1] + part) in self.words:
                out[-1] += part
            else:
                out.append(part)
        return out

    def written_apart(self, word: str) -> str | None:
        """The two words (the first maybe a stopword) the roadmap writes `word` as, if any."""
        if len(word) < 5 or word in self.words:
            return None
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if (left in self.words or left in STOPWORDS) and right in self.words:
                return f"{left} {right}"
        return None

    def correct(self, word: str) -> str | None:
        """The roadmap word `word` is most likely a misspelling of, if any."""
        if len(word) < 4 or not self.vocabulary:
            return None
        # optimal string alignment: a swapped pair of letters ("evnets") is one edit
        cutoff = 0.75 if len(word) >= 6 else 0.8
        found = process.extractOne(
            word,
            self._within_reach(len(word), cutoff),
            scorer=OSA.normalized_similarity,
            # rapidfuzz turns the cutoff into a whole number of edits and, at exactly 0.8 of
            # five letters, rounds to none ("aply" is not "apply"): just below keeps the one
            score_cutoff=cutoff - 0.005,
        )
        return found[0] if found else None

    def _within_reach(self, size: int, cutoff: float) -> list[str]:
        """The vocabulary (in its order) of the lengths a word of `size` letters can be within
        `cutoff` of: at least |difference in length| edits are needed, out of the longer one.

        A short word (under six letters) is only corrected by a letter missing or doubled:
        one letter changed too often makes another real word ("white" is not "write")."""
        words = self._by_length.get(size)
        if words is None:
            low, high = math.ceil(cutoff * size - 1e-9), math.floor(size / cutoff + 1e-9)
            words = [
                w
                for w in self.vocabulary
                if low <= len(w) <= high and (size >= 6 or len(w) != size)
            ]
            self._by_length[size] = words
        return words

    def fuzzy_candidates(self, clean: str, limit: int) -> set[int]:
        if not clean or not self.fuzzy_strings:
            return set()
        found = process.extract(
            " ".join(sorted(clean.lower().split())),
            self.fuzzy_strings,
            scorer=fuzz.ratio,
            limit=limit,
            score_cutoff=60,
        )
        return {self.fuzzy_owner[i] for _, _, i in found}

    def score(self, query: _Query, positions: set[int], keep: int | None = None):
        """(score, confidence features, score components, position) of the candidates.

        Coverage is computed for all candidates at once (each word's postings intersected
        with them), so the cost follows the candidates, not the roadmap. With `keep`, only
        the candidates that can still reach the best `keep` are scored to the end, similarity
        and precision included: the rest would need more than a perfect similarity and
        precision (on a large roadmap that is a few of the hundreds retrieved).
        """
        full = self._cover(query, self.postings, positions)
        names = self._cover(query, self.name_postings, positions)
        w_names, w_full, w_precision, w_similar = _WEIGHTS
        worded = _said_string(query.clean)
        named = self.named_slots(query)
        for pos in positions & self.phrased:
            for phrasing in self.docs[pos].phrasings:
                names[pos] = max(names.get(pos, 0.0), query.cover(phrasing))
        # (minus the score without similarity and precision, position, names, full): sorted
        # as they are, best first (and by position on a tie)
        partial = []
        for pos in positions:
            cov_names, cov_full = names.get(pos, 0.0), full.get(pos, 0.0)
            partial.append((-(w_names * cov_names + w_full * cov_full), pos, cov_names, cov_full))
        partial.sort()
        out: list = []
        best: list[float] = []  # the best `keep` scores so far, lowest first
        for minus_value, pos, cov_names, cov_full in partial:
            value = -minus_value
            if keep and len(best) >= keep and value + w_similar + w_precision < best[0]:
                break
            doc = self.docs[pos]
            similarity = self._similarity(worded, doc) if worded else 0.0
            precision = self._precision(query, doc)
            score = value + w_similar * similarity + w_precision * precision
            unasked = doc.unasked_qualifier(query)
            if unasked:
                score *= _QUALIFIER_FACTOR
            # the question shares only generic words ("pod", "api", "support") with its names
            generic_only = (
                query.expanded & doc.name_all.union(*doc.phrasings)
            ) <= self.generic_name_words
            said = worded in doc.said_strings  # its name, or asked in these words before
            # the share of the question in words that name things on the roadmap and that its
            # text never has: "CronJob daemonset" is not about an item that never says daemonset
            lacking = sum(w for slot, w in named if slot_hit(slot, doc.full) == 0)
            features = (
                cov_full,
                precision,
                query.unknown_share,
                float(unasked),
                lacking / query.total_weight,
                generic_only,
                said,
                query.unknown_names_share,
                doc.other_number(query),
            )
            components = (cov_names, cov_full, precision, similarity)
            out.append((score, features, components, pos))
            if keep:
                heapq.heappush(best, score)
                if len(best) > keep:
                    heapq.heappop(best)
        return out

    def named_slots(self, query: _Query) -> list:
        """The question's words (with their weights) that name things on the roadmap: in
        any of their forms, words of items' names that are not generic ("daemonset",
        "apparmor"; not "pod")."""
        return [
            (slot, weight)
            for slot, weight in query.weighted
            if any(
                token in self.name_postings and token not in self.generic_name_words
                for alternative, _ in slot
                for token in alternative
            )
        ]

    @staticmethod
    def _precision(query: _Query, doc: _Doc) -> float:
        """The most of one of the item's names (title, alias, phrasing) the question covers,
        weighted by idf."""
        precision = 0.0
        expanded = query.expanded
        for units, weights, weight, forms in doc.weighted_units:
            if forms.isdisjoint(expanded):
                continue
            covered_weight = sum(
                w for u, w in zip(units, weights, strict=True) if _covered(u, expanded)
            )
            if covered_weight > precision * weight:
                precision = covered_weight / weight
        return precision

    @staticmethod
    def _similarity(worded: str, doc: _Doc) -> float:
        """The best whole-string similarity of the item's names and phrasings to the question
        (`worded`: its words sorted, as `strings` has theirs, so plain ratio is
        token_sort_ratio)."""
        found = process.extractOne(worded, doc.strings, scorer=fuzz.ratio)
        return found[1] / 100 if found else 0.0

    @staticmethod
    def _cover(query: _Query, postings: dict[str, set[int]], positions: set[int]):
        """`_Query.cover` of each of `positions` whose text is in `postings`, all at once."""
        total = query.total_weight
        out: dict[int, float] = {}
        for slot, weight in query.weighted:
            hits: dict[int, float] = {}
            for alternative, factor in slot:
                if len(alternative) == 1:
                    for pos in postings.get(alternative[0], _NONE) & positions:
                        if factor > hits.get(pos, 0.0):
                            hits[pos] = factor
                    continue
                counts: Counter[int] = Counter()
                for token in alternative:
                    counts.update(postings.get(token, _NONE) & positions)
                share = factor / len(alternative)
                for pos, n in counts.items():
                    if n * share > hits.get(pos, 0.0):
                        hits[pos] = n * share
            for pos, value in hits.items():
                out[pos] = out.get(pos, 0.0) + value * weight / total
        return out


_NONE: frozenset[int] = frozenset()


def slot_hit(slot: list[tuple[tuple[str, ...], float]], tokens: set[str]) -> float:
    best = 0.0
    for alternative, factor in slot:
        hit = sum(1 for t in alternative if t in tokens) / len(alternative)
        best = max(best, hit * factor)
    return best


@dataclass
class _Query:
    clean: str
    weighted: list[tuple[list[tuple[tuple[str, ...], float]], float]]
    total_weight: float
    expanded: set[str]
    search_terms: list[str]  # what the database's full-text search looks for: its words...
    search_phrases: list[str]  # ... and these phrases, their words together
    unknown_share: float  # share of the question's weight in words the roadmap never uses
    unknown_names_share: float  # ... of them, in words written as names ("Acme")
    numbers: frozenset[str]  # the numbers it says (see _numbers)
    qualifiers: frozenset[str] = frozenset()  # "removal", "default": see _QUALIFIER_FAMILIES
    as_written: bool = False  # every word is roadmap vocabulary as written: no typo to forgive
    # each token any form of the question's words has, and the words (slots) it stands in
    slots_of: dict[str, list[int]] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.slots_of = {}
        for n, (slot, _) in enumerate(self.weighted):
            for token in {t for alternative, _ in slot for t in alternative}:
                self.slots_of.setdefault(token, []).append(n)

    def cover(self, tokens: set[str]) -> float:
        """How much of the question (by weight) `tokens` explain: each word counts its best
        form, a phrase its share of words found. Only words sharing a token are looked at."""
        hit = self.slots_of.keys() & tokens
        if not hit:
            return 0.0
        slots = {n for token in hit for n in self.slots_of[token]}
        weighted = self.weighted
        found = sum(weighted[n][1] * slot_hit(weighted[n][0], tokens) for n in slots)
        return found / self.total_weight

    @classmethod
    def build(cls, clean: str, index: _Index) -> _Query:
        raw = _WORD.findall(clean)
        words = [w.lower() for w in raw]
        weighted = []
        expanded: set[str] = set()
        search_terms: list[str] = []
        search_phrases: list[str] = []
        used = [False] * len(words)
        unknown = unknown_names = 0.0
        # misspelt words first, so that "dynamic resource alocation" is still a synonym phrase
        fixes: dict[int, str] = {}
        for i, (original, word) in enumerate(zip(raw, words, strict=True)):
            if (
                word in STOPWORDS
                or word in index.synonyms
                or _stem(word) in index.stems
                or _camel_parts(original)
            ):
                continue
            fixed = index.correct(word)
            if fixed:
                fixes[i] = fixed
                words[i] = fixed
        # multi-word synonyms first ("single sign on"), longest first
        for size in range(index.max_synonym_words, 1, -1):
            for start in range(0, len(words) - size + 1):
                if any(used[start : start + size]):
                    continue
                phrase = " ".join(words[start : start + size])
                if phrase in index.synonyms:
                    alts = [(tuple(_plain_tokens(phrase)) or (phrase,), 1.0)]
                    for means in index.synonyms[phrase]:
                        tokens = tuple(_stem(w) for w in means.split() if w not in STOPWORDS)
                        if tokens:
                            alts.append((tokens, 0.95))
                    weight = max(index.idf_of(t) for alt, _ in alts for t in alt)
                    weighted.append((alts, weight))
                    for alt, _ in alts:
                        expanded.update(alt)
                    search_terms.extend([phrase, *index.synonyms[phrase]])
                    for i in range(start, start + size):
                        used[i] = True
        for i, (original, word) in enumerate(zip(raw, words, strict=True)):
            if used[i] or word in STOPWORDS:
                continue
            stem = _stem(word)
            alts = [((stem,), 0.85 if i in fixes else 1.0)]
            search_terms.append(word)
            for means in index.synonyms.get(word, []):
                tokens = tuple(_stem(w) for w in means.split() if w not in STOPWORDS)
                if tokens:
                    alts.append((tokens, 0.95))
                    search_terms.append(means)
            parts = _camel_parts(original)
            if parts:
                alts.append((tuple(_stem(p) for p in parts), 0.9))
                search_terms.extend(parts)
                # a misspelt field name ("UnhealthtPodEvictionPolicy") is the field the
                # roadmap's text names ("unhealthyPodEvictionPolicy")
                whole = None if stem in index.stems else index.correct(word)
                if whole:
                    alts.append(((_stem(whole),), 0.85))
                    search_terms.append(whole)
                # "appArmorProfile", "CrashBackOffLoop": parts the roadmap writes as one word
                joined = index.join_parts(parts)
                if joined != parts:
                    alts.append((tuple(_stem(p) for p in joined), 0.9))
                    search_terms.extend(joined)
            else:
                halves = index.split(word)
                if halves:
                    alts.append((tuple(_stem(h) for h in halves), 0.9))
            # "inplace", "cgroupsv2": the database looks for "in place", "cgroups v2"
            written_apart = index.written_apart(word)
            if written_apart:
                search_phrases.append(written_apart)
            known = [index.idf[t] for alt, _ in alts for t in alt if t in index.idf]
            weight = max(known) if known else index.max_idf
            if not known:
                unknown += weight  # a word the roadmap never uses, in any form
                if len(original) >= 3 and original[0].isupper() and original[1:].islower():
                    unknown_names += weight
            weighted.append((alts, weight))
            for alt, _ in alts:
                expanded.update(alt)
        # adjacent words joined: "node local" finds "NodeLocal", "cgroups v2" -> "cgroupsv2"
        content = [w for w in words if w not in STOPWORDS]
        for left, right in zip(content, content[1:], strict=False):
            expanded.add(_stem(left + right))
        # ... and the database's full-text search looks for such a word as the roadmap writes
        # it ("AdminNetworkPolicy" for "admin network policies")
        for size in (2, 3):
            for start in range(len(content) - size + 1):
                joined = "".join(content[start : start + size])
                if _stem(joined) in index.word_stems:
                    search_terms.append(joined)
        total = sum(w for _, w in weighted) or 1.0
        return cls(
            clean=" ".join(content),
            weighted=weighted,
            total_weight=total,
            expanded=expanded,
            search_terms=search_terms,
            search_phrases=search_phrases,
            unknown_share=unknown / total,
            unknown_names_share=unknown_names / total,
            numbers=_numbers(clean),
            as_written=not fixes and not unknown,
            qualifiers=frozenset(
                _QUESTION_FAMILIES[form]
                for w in _qualifying_words(clean)
                for form in (w, _stem(w))
                if form in _QUESTION_FAMILIES
            ),
        )


# --- cache ----------------------------------------------------------------------------------

# From this many items a roadmap takes a second or more to index (10,000: 1.5 to 4 s on the
# development VM), and every change to its items, phrasings or synonyms (an import, a sync,
# each rep's pick) would make the next question in every process wait that long, past
# Slack's 3 seconds, with every other question about that workspace queued behind it.
# There, the copy from before the change keeps answering while one thread builds the new
# one. A smaller roadmap is rebuilt within the question (milliseconds), so that a pick
# counts from the very next question.
REBUILD_BESIDE_FROM = 2_000

_cache_lock = threading.Lock()
# per engine and workspace, most recent last
_cache: OrderedDict[tuple[int, int], tuple[int, _Index]] = OrderedDict()
CACHED_INDEXES = 16
_build_locks: dict[tuple[int, int], threading.Lock] = {}  # one rebuild of each at a time
_rebuilding: set[tuple[int, int]] = set()  # rebuilt by a thread beside the questions


def is_warm(*, session: Session) -> bool:
    """Whether this process has the workspace's index as the store is now."""
    bind = session.get_bind()
    key = (id(getattr(bind, "engine", bind)), workspace_of(session))
    with _cache_lock:
        cached = _cache.get(key)
    return cached is not None and cached[0] == search.match_version(session=session)


def _index_for(session: Session) -> tuple[_Index, bool]:
    """The in-memory vocabulary, and whether it is as the store is now (its match version).

    When the version changed, one thread rebuilds the copy while the others wait for that
    one (under load, every request rebuilding the same index at once took seconds each); or,
    on a roadmap of REBUILD_BESIDE_FROM items or more, a thread of its own rebuilds it while
    questions are matched against the old copy (not current)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    version = search.match_version(session=session)
    workspace_id = workspace_of(session)
    key = (id(engine), workspace_id)
    with _cache_lock:
        cached = _cache.get(key)
    if cached and version is not None:
        if cached[0] == version:
            return cached[1], True
        # the old copy's size, or else the store's: an import that takes a small roadmap
        # past the mark would otherwise be rebuilt within the question once (seconds)
        if (
            len(cached[1].docs) >= REBUILD_BESIDE_FROM
            or search.count_items(session=session) >= REBUILD_BESIDE_FROM
        ):
            _start_rebuild_beside(engine, workspace_id)
            return cached[1], False
    return _rebuilt(session, key), True


def _start_rebuild_beside(engine, workspace_id: int) -> None:
    """A thread of its own rebuilds the workspace's index, unless one already does."""
    key = (id(engine), workspace_id)
    with _cache_lock:
        if key in _rebuilding:
            return
        _rebuilding.add(key)
    threading.Thread(
        target=_rebuild_beside,
        args=(engine, workspace_id),
        name=f"matcher index {workspace_id}",
        daemon=True,
    ).start()


def _rebuilt(session: Session, key: tuple[int, int]) -> _Index:
    """The index built from what `session` reads, cached under the version it read (unless
    another thread built that version while this one waited its turn)."""
    with _cache_lock:
        build_lock = _build_locks.setdefault(key, threading.Lock())
    with build_lock:
        version = search.match_version(session=session)
        with _cache_lock:
            cached = _cache.get(key)
            if cached and version is not None and cached[0] == version:
                return cached[1]
        # read first: a phrasing recorded meanwhile is then in both, never in neither
        newest_phrasing_id = phrasings.newest_phrasing_id(session=session)
        documents = search.load_documents(session=session)
        with _collector_paused():
            index = _Index(documents, search.list_synonyms(session=session), newest_phrasing_id)
            if len(index.docs) >= REBUILD_BESIDE_FROM:
                # before collection resumes: its first pass would walk every new object
                _out_of_the_collectors_reach()
        if version is not None:
            with _cache_lock:
                _cache[key] = (version, index)
                _cache.move_to_end(key)
                while len(_cache) > CACHED_INDEXES:
                    _cache.popitem(last=False)
    return index


_builds_under_way = 0  # builds that paused the collector (under _cache_lock)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an index is built (in any thread).

    A build allocates containers by the million; as the heap grew, full collections came
    every half second, each longer than the last (up to 300 ms at 10,000 items), and every
    question in the process waited on each. Collection resumes when the last build ends."""
    global _builds_under_way
    with _cache_lock:
        _builds_under_way += 1
        gc.disable()
    try:
        yield
    finally:
        with _cache_lock:
            _builds_under_way -= 1
            if _builds_under_way == 0:
                gc.enable()


def _out_of_the_collectors_reach() -> None:
    """Move every object the process has now, a big index's included, out of the cyclic
    garbage collector's generations (gc.freeze).

    A 10,000-item index is some 420,000 sets, lists and records that live as long as the
    process, and each full collection walked them all while every thread waited on the
    interpreter lock: 350 ms pauses of every question in the process, twice in 2,000
    requests at concurrency 16 (benchmarks/concurrency.py, p99 140 -> 700 ms). Frozen
    objects are still freed when nothing refers to them (an old copy of the index, when the
    new one replaces it: it has no reference cycles); what is lost is collecting any cycle
    that was garbage already at this moment, a small leak once per big rebuild."""
    gc.freeze()


def _rebuild_beside(engine, workspace_id: int) -> None:
    """Rebuild a workspace's index in its own transaction; the old one serves until then."""
    key = (id(engine), workspace_id)
    try:
        with session_factory(engine, workspace_id)() as session, session.begin():
            _rebuilt(session, key)
    except Exception:  # the next question after a change tries again
        log.exception("could not rebuild the matcher's index of workspace %s", workspace_id)
    finally:
        with _cache_lock:
            _rebuilding.discard(key)
