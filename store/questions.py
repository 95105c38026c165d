"""Queries about questions, escalations and answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from store import search
from store.models import Answer, Area, Channel, Escalation, Item, Question
from store.tenancy import workspace_of
from store.types import UTCDateTime

_AUDIENCES = "canwe_audiences"  # in session.info: channel id -> audience, for one request


# One statement, written out: the same select built with the ORM cost four times what
# running it costs (the two subqueries, the workspace rule and their cache key, on every
# /canwe). The workspace is filtered here, as store.tenancy asks of statements its hooks do
# not see. `since` is bound as the column's type, so SQLite compares the stored text. The
# roadmap's match version comes with it too: the match that follows needs it.
_ASKED_BEFORE = text(
    f"""
    SELECT
      (SELECT id FROM questions
       WHERE workspace_id = :workspace
         AND (request_key = :request_key
              OR (asker_id = :asker_id AND channel_id = :channel_id AND text = :text
                  AND created_at >= :since))
       ORDER BY request_key = :request_key DESC, id DESC
       LIMIT 1),
      (SELECT audience FROM channels WHERE workspace_id = :workspace AND id = :channel_id),
      {search.MATCH_VERSION_SQL}
    """
).bindparams(bindparam("since", type_=UTCDateTime()))


def asked_before(
    *,
    session: Session,
    request_key: str,
    channel_id: str,
    same_words: tuple[str, str, dt.datetime] | None = None,
) -> Question | None:
    """The question this request already stored (Slack retried it, or it was replayed); else,
    with `same_words` (asker, text, since), the same rep asking the same thing in the same
    channel moments ago: a double submit.

    One round trip for both (each side has its own index), and the channel's audience and the
    roadmap's match version come with it (remembered for `audience_of` and the next match):
    a /canwe asks this before anything else and needs both whatever the answer. The earlier
    question itself is read only when there is one (a retry, a double submit)."""
    asker_id, words, since = same_words if same_words is not None else (None, None, None)
    earlier_id, known_audience, match_version = session.execute(
        _ASKED_BEFORE,
        {
            "workspace": workspace_of(session),
            "request_key": request_key,
            "asker_id": asker_id,  # NULL: equal to nothing, so only the request key counts
            "channel_id": channel_id,
            "text": words,
            "since": since,
        },
    ).one()
    _remember_audience(session, channel_id, known_audience)
    search.remember_match_version(session, match_version)
    return None if earlier_id is None else session.get(Question, earlier_id)


def first_in_thread(*, session: Session, channel_id: str, thread_ts: str) -> Question | None:
    """The first question asked in a channel's thread (a mention's), if any."""
    return session.scalars(
        select(Question)
        .where(Question.channel_id == channel_id, Question.thread_ts == thread_ts)
        .order_by(Question.id)
        .limit(1)
    ).first()


def last_told(
    *, session: Session, asker_id: str, item_id: int, before_id: int | None
) -> Question | None:
    """The rep's latest earlier question about the item that was given a verdict (before
    `before_id`; any, for a question not stored yet)."""
    earlier = [] if before_id is None else [Question.id < before_id]
    return session.scalar(
        select(Question)
        .where(
            Question.asker_id == asker_id,
            Question.item_id == item_id,
            *earlier,
            Question.answered_at.is_not(None),
            Question.verdict != "unknown",
        )
        .order_by(Question.id.desc())
        .limit(1)
    )


def audience_of(*, session: Session, channel_id: str) -> str:
    """The channel's audience (sales when not set). Remembered for the session's life (one
    Slack request): a /canwe asked it twice, a database round trip each time."""
    known = session.info.setdefault(_AUDIENCES, {})
    if channel_id not in known:
        stored = session.scalar(select(Channel.audience).where(Channel.id == channel_id))
        _remember_audience(session, channel_id, stored)
    return known[channel_id]


def _remember_audience(session: Session, channel_id: str, stored: str | None) -> None:
    """The channel's audience as read from its row (None: no row, so sales), for the session."""
    session.info.setdefault(_AUDIENCES, {})[channel_id] = stored or "sales"


def set_audience(*, session: Session, channel_id: str, audience: str) -> None:
    session.info.get(_AUDIENCES, {}).pop(channel_id, None)
    channel = session.scalar(select(Channel).where(Channel.id == channel_id))
    if channel is None:
        session.add(Channel(id=channel_id, audience=audience))
    else:
        channel.audience = audience


def current_answers(
    *, session: Session, item_id: int | None, escalation_id: int | None, now: dt.datetime
) -> list[Answer]:
    """PM answers about `item_id` or given in `escalation_id` that no later answer replaced
    and whose reuse window is still open, newest first. The caller drops those that
    predate a revision of the item."""
    about = []
    if item_id is not None:
        about.append(Answer.item_id == item_id)
    if escalation_id is not None:
        about.append(Answer.escalation_id == escalation_id)
    if not about:
        return []
    return list(
        session.scalars(
            select(Answer)
            .where(or_(*about), Answer.replaced_at.is_(None), Answer.valid_until > now)
            .order_by(Answer.answered_at.desc(), Answer.id.desc())
        )
    )


def current_answer_of_escalation(*, session: Session, escalation_id: int) -> Answer | None:
    """The answer an escalation has now (None while open): the one a new answer replaces."""
    return session.scalar(
        select(Answer)
        .where(Answer.escalation_id == escalation_id, Answer.replaced_at.is_(None))
        .order_by(Answer.answered_at.desc(), Answer.id.desc())
        .limit(1)
    )


def answer_by_source(*, session: Session, source_key: str) -> Answer | None:
    return session.scalar(select(Answer).where(Answer.source_key == source_key))


def open_escalation_by_key(*, session: Session, open_key: str) -> Escalation | None:
    """The open escalation about `open_key` (see bot.escalations.posting.open_key), if any."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.open_key == open_key, Escalation.status == "open")
        .limit(1)
    )


def watchers(*, session: Session, escalation_id: int) -> list[Question]:
    return list(
        session.scalars(
            select(Question).where(Question.escalation_id == escalation_id).order_by(Question.id)
        )
    )


def has_asked(*, session: Session, escalation_id: int, asker_id: str) -> bool:
    """Whether this rep already waits on the escalation (with another deal, or the same)."""
    return session.scalar(
        select(
            select(Question.id)
            .where(Question.escalation_id == escalation_id, Question.asker_id == asker_id)
            .exists()
        )
    )


def watcher_summary(*, session: Session, escalation_id: int) -> tuple[int, float, dt.date | None]:
    """How many reps wait, the deal value at stake, the earliest date needed."""
    count, total, earliest = session.execute(
        select(
            func.count(func.distinct(Question.asker_id)),
            func.coalesce(func.sum(Question.deal_value), 0),
            func.min(Question.needed_by),
        ).where(Question.escalation_id == escalation_id)
    ).one()
    return int(count), float(total or 0), earliest


def deals_of(*, session: Session, escalation_id: int) -> list[tuple[Decimal, str | None]]:
    """Every waiting rep's deal value, with its currency."""
    return [
        (value, currency)
        for value, currency in session.execute(
            select(Question.deal_value, Question.deal_currency).where(
                Question.escalation_id == escalation_id, Question.deal_value.is_not(None)
            )
        )
    ]


def areas(*, session: Session) -> list[Area]:
    return list(session.scalars(select(Area).order_by(Area.name)))


def items_of_owner(*, session: Session, user_id: str, any_area: bool = False) -> list[Item]:
    """The items of the areas `user_id` owns or backs up (every item with `any_area`)."""
    query = select(Item).order_by(Item.key)
    if not any_area:
        query = query.join(Area, Item.area_id == Area.id).where(
            or_(Area.pm_user_id == user_id, Area.backup_user_id == user_id)
        )
    return list(session.scalars(query))


def offered_before(*, session: Session, before: dt.datetime, limit: int) -> list[Question]:
    """Questions still waiting for their rep to pick an offered item, offered before `before`
    (locked, skipping rows another process is escalating). A choice offered again after the
    rep turned down an answer ("Not what I meant") counts from then: `answered_at` holds
    when (bot.questions.picking.not_this)."""
    offered_at = func.coalesce(Question.answered_at, Question.created_at)
    return list(
        session.scalars(
            select(Question)
            .where(Question.status == "offered", offered_at <= before)
            .order_by(Question.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
