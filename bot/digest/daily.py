"""The daily digest: once a day, each channel sees what is still open, most urgent first.

- A channel where reps asked gets the questions asked there that wait for a PM; a PM
  channel gets the answers owed there; each PM gets a DM with what they owe, with the
  answer buttons inline. Overdue first, then by the date the deal needs the answer.
- Building reads the store only (no Slack), so it is fast and can be printed. Links to
  the threads are resolved when the post is sent: a line holds a `thread_link` marker,
  which becomes a link when the post is sent (see bot.slack.sends).
- Exactly once: a digest is claimed per (channel or PM, local day) in `digest_claims`,
  in the same transaction as its outbox rows. Another process, or a restart, finds the
  claim and posts nothing; a crash after the claim still delivers through the outbox.
- Slack's limits (50 blocks a message, 3,000 characters a section) are kept by posting
  what does not fit as replies in the thread of the first post: nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.context import Context
from bot.core.text import escape
from bot.core.verdicts import format_date
from bot.core.workdays import is_business_day
from bot.escalations.messages import answer_buttons
from bot.slack.blocks import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    Block,
    ContextBlock,
    MarkdownTextObject,
    Message,
    SectionBlock,
    plain_text,
)
from bot.slack.sends import (
    Channel,
    DirectMessage,
    EarlierMessage,
    Post,
    post_many,
    thread_link,
    without_thread_links,
)
from bot.slack.wording import money_total, quote, user, when
from store import digests as store
from store.db import session_scope

CHANNEL = "channel"
PERSONAL = "personal"
QUESTION_CHARS = 200
# `canwe ask` without --channel stores the question in "CLI", and with no triage channel
# its thread opens there: not a Slack channel, so it gets no digest
NOT_A_CHANNEL = (CHANNEL, "CLI")


@dataclass(frozen=True)
class Entry:
    """One open question as a digest line: a rep's question, or an escalation a PM owes."""

    escalation_id: int
    text: str
    customers: tuple[str, ...]  # every waiting rep's customer, first asked first
    deals: tuple[tuple[Decimal, str | None], ...]  # every waiting rep's, with its currency
    needed_by: dt.date | None
    owner_id: str | None
    asked_at: dt.datetime
    due_at: dt.datetime
    pm_channel: str
    reps: int = 1
    item: str | None = None  # "ID-18 Hardware security keys (exploring)", unescaped
    askers: tuple[str, ...] = ()  # who asked, first asked first

    def overdue(self, now: dt.datetime) -> bool:
        return self.due_at <= now

    def urgency(self, now: dt.datetime) -> tuple:
        """Overdue first, then the earliest needed-by date, then the earliest due time."""
        return (
            not self.overdue(now),
            self.needed_by or dt.date.max,
            self.due_at,
            self.escalation_id,
        )


@dataclass(frozen=True)
class Digest:
    kind: str  # channel | personal
    target: str  # channel id, or the PM's user id
    audience: str  # sales | services | marketing, or "pm" for a PM's own DM
    posts: list[Message]  # the first post, then the replies in its thread
    open: int

    @property
    def channel(self) -> Channel:
        return DirectMessage(self.target) if self.kind == PERSONAL else self.target


@dataclass
class DigestReport:
    digests: int = 0  # digests claimed and queued by this call
    posts: int = 0  # outbox rows they made
    already: int = 0  # digests another process (or an earlier run) had claimed
    targets: list[str] = field(default_factory=list)


# ----------------------------------------------------------------- when


def due_digests(ctx: Context) -> DigestReport:
    """The scheduler's step: at CANWE_DIGEST_TIME local time on business days, post every
    digest of the day not yet posted. Cheap when there is nothing left to post."""
    settings = ctx.settings
    local = ctx.now().astimezone(settings.tz)
    day = local.date()
    if not is_business_day(day, settings.canwe_holidays):
        return DigestReport()
    if local.time() < settings.canwe_digest_time:
        return DigestReport()
    cutoff = dt.datetime.combine(day, settings.canwe_digest_time, tzinfo=settings.tz)
    # a question first asked after the digest time waits for tomorrow's digest
    return run_digests(ctx, day=day, opened_before=cutoff)


def run_digests(
    ctx: Context,
    *,
    day: dt.date | None = None,
    opened_before: dt.datetime | None = None,
    channel: str | None = None,
) -> DigestReport:
    """Build, claim and queue the day's digests that nobody has posted yet."""
    day = day or ctx.today()
    with session_scope(ctx.sessions) as session:
        claimed = store.claimed_targets(session=session, day=day)
        waiting = store.waiting_targets(session=session, before=opened_before)
        waiting.discard(NOT_A_CHANNEL)
        if channel is not None:
            waiting &= {(CHANNEL, channel)}
        pending = waiting - claimed
        if not pending:
            return DigestReport(already=len(waiting & claimed))
        digests = build_digests(session=session, ctx=ctx, day=day, targets=pending)
    report = queue_digests(ctx, digests, day=day)
    report.already += len(waiting & claimed)
    return report


# ----------------------------------------------------------------- exactly once


def queue_digests(ctx: Context, digests: Iterable[Digest], *, day: dt.date) -> DigestReport:
    """Claim each digest for `day` and write its posts to the outbox, in one transaction
    per digest. A digest already claimed (by anyone) is skipped, and posts nothing."""
    report = DigestReport()
    for digest in digests:
        try:
            with session_scope(ctx.sessions) as session:
                now = ctx.now()
                store.add_claim(
                    session=session,
                    kind=digest.kind,
                    target=digest.target,
                    day=day,
                    now=now,
                    posts=len(digest.posts),
                )
                _enqueue_posts(session=session, digest=digest, day=day, now=now)
        except IntegrityError:
            report.already += 1
            continue
        report.digests += 1
        report.posts += len(digest.posts)
        report.targets.append(digest.target)
    if report.posts:
        ctx.wake_delivery()
    return report


def _enqueue_posts(*, session: Session, digest: Digest, day: dt.date, now: dt.datetime) -> None:
    prefix = f"digest:{digest.kind}:{digest.target}:{day.isoformat()}"
    first = f"{prefix}:0"
    posts = [
        Post(
            key=f"{prefix}:{index}",
            channel=digest.channel,
            message=message,
            thread=EarlierMessage(first) if index else None,  # the rest in the first's thread
            links=True,
        )
        for index, message in enumerate(digest.posts)
    ]
    post_many(session, posts, now)


def printable(message: Message) -> str:
    """A digest post as terminal text, links shown as the channel holding the thread."""
    return without_thread_links(plain_text(message))


# ----------------------------------------------------------------- building


def build_digests(
    *,
    session: Session,
    ctx: Context,
    day: dt.date,
    targets: set[tuple[str, str]] | None = None,
    channel: str | None = None,
) -> list[Digest]:
    """Every digest with something open (or only `targets`, or only `channel`'s), built
    from the store alone. Nothing is claimed or sent."""
    now = ctx.now()
    tz = ctx.settings.tz
    asked: dict[str, list[Entry]] = defaultdict(list)
    watchers: dict[int, list[Any]] = defaultdict(list)
    for row in store.open_question_rows(session=session):
        watchers[row.escalation_id].append(row)
        if row.source != "cli":  # a terminal has no channel to post to
            asked[row.channel_id].append(_question_entry(row))
    owed: dict[str, list[Entry]] = defaultdict(list)
    owes: dict[str, list[Entry]] = defaultdict(list)
    for rows in watchers.values():
        entry = _escalation_entry(rows)
        owed[entry.pm_channel].append(entry)
        if entry.owner_id:
            owes[entry.owner_id].append(entry)

    def wanted(kind: str, target: str) -> bool:
        if (kind, target) == NOT_A_CHANNEL:
            return False
        if channel is not None and (kind, target) != (CHANNEL, channel):
            return False
        return targets is None or (kind, target) in targets

    audiences = store.channel_audiences(session=session)
    answered = _Answered(session=session, now=now, day=day)
    lines = Lines(now=now, tz=tz, today=day)
    digests = []
    for channel_id in sorted(set(asked) | set(owed)):
        if not wanted(CHANNEL, channel_id):
            continue
        digests.append(
            channel_digest(
                channel_id=channel_id,
                audience=audiences.get(channel_id, "sales"),
                asked=asked.get(channel_id, []),
                owed=owed.get(channel_id, []),
                answered=answered.in_channel(channel_id),
                day=day,
                lines=lines,
            )
        )
    for owner_id in sorted(owes):
        if not wanted(PERSONAL, owner_id):
            continue
        digests.append(
            personal_digest(
                owner_id=owner_id,
                owed=owes[owner_id],
                answered=answered.by_owner(owner_id),
                day=day,
                lines=lines,
            )
        )
    return digests


def _question_entry(row: Any) -> Entry:
    return Entry(
        escalation_id=row.escalation_id,
        text=row.text,
        customers=(row.customer,) if row.customer else (),
        deals=((row.deal_value, row.deal_currency),) if row.deal_value is not None else (),
        needed_by=row.needed_by,
        owner_id=row.owner_id,
        asked_at=row.created_at,
        due_at=row.due_at,
        pm_channel=row.pm_channel,
        item=_item(row),
        askers=(row.asker_id,),
    )


def _escalation_entry(rows: list[Any]) -> Entry:
    """An escalation, from its watchers: the first question's words, every customer, the
    deal value of them all, the earliest date any of them needs."""
    first = rows[0]
    dates = [row.needed_by for row in rows if row.needed_by is not None]
    return Entry(
        escalation_id=first.escalation_id,
        text=first.text,
        customers=tuple(dict.fromkeys(row.customer for row in rows if row.customer)),
        deals=tuple((row.deal_value, row.deal_currency) for row in rows if row.deal_value),
        needed_by=min(dates) if dates else None,
        owner_id=first.owner_id,
        asked_at=first.escalated_at,
        due_at=first.due_at,
        pm_channel=first.pm_channel,
        reps=len({row.asker_id for row in rows}),
        item=_item(first),
        askers=tuple(dict.fromkeys(row.asker_id for row in rows)),
    )


def _item(row: Any) -> str | None:
    if row.item_key is None:
        return None
    return f"{row.item_key} {row.item_title} ({row.item_status.replace('_', ' ')})"


class _Answered:
    """How many questions were answered since each target's previous digest (or in the
    last day, for a target that never had one)."""

    def __init__(self, *, session: Session, now: dt.datetime, day: dt.date):
        self.last = store.last_digests(session=session, before=day)
        self.default = now - dt.timedelta(days=1)
        earliest = min([self.default, *self.last.values()])
        self.in_channels: dict[str, list[dt.datetime]] = defaultdict(list)
        self.by_owners: dict[str, list[dt.datetime]] = defaultdict(list)
        for row in store.answered_question_rows(session=session, since=earliest):
            self.in_channels[row.channel_id].append(row.answered_at)
        for row in store.answered_escalation_rows(session=session, since=earliest):
            self.in_channels[row.channel_id].append(row.answered_at)
            if row.owner_id:
                self.by_owners[row.owner_id].append(row.answered_at)

    def _count(self, times: list[dt.datetime], kind: str, target: str) -> int:
        since = self.last.get((kind, target), self.default)
        return sum(1 for moment in times if moment >= since)

    def in_channel(self, channel_id: str) -> int:
        return self._count(self.in_channels.get(channel_id, []), CHANNEL, channel_id)

    def by_owner(self, owner_id: str) -> int:
        return self._count(self.by_owners.get(owner_id, []), PERSONAL, owner_id)


# ----------------------------------------------------------------- wording


def channel_digest(
    *,
    channel_id: str,
    audience: str,
    asked: list[Entry],
    owed: list[Entry],
    answered: int,
    day: dt.date,
    lines: Lines,
) -> Digest:
    now = lines.now
    entries = [*owed, *asked]
    # marketing: no deal values, due times or dates: what is open, and who has it
    overdue, summary = _summary(
        entries, answered, now, f"{len(entries)} open", figures=audience != "marketing"
    )
    units: list[list[Block]] = [
        [
            _section(f":newspaper: *canwe daily digest* · {day.strftime('%a %b %-d')}"),
            _context(" · ".join(summary)),
        ]
    ]
    if owed:
        units.append([_section("*Answers owed in this channel*, most urgent first:")])
        units.extend([lines.owed(entry, audience)] for entry in _ordered(owed, now))
    if asked:
        units.append([_section(ASKED_HEADING.get(audience, ASKED_HEADING["sales"]))])
        units.extend([lines.asked(entry, audience)] for entry in _ordered(asked, now))
    headline = f"canwe daily digest: {len(entries)} open"
    if audience != "marketing":
        headline += f", {overdue} overdue"
    return Digest(
        kind=CHANNEL,
        target=channel_id,
        audience=audience,
        posts=_pack(units, headline),
        open=len(entries),
    )


ASKED_HEADING = {
    "sales": "*Asked here and waiting for a PM*, most urgent first. Do not promise these yet.",
    "services": "*Asked here and waiting for a PM*, most urgent first: "
    "scope, effort and dates are not confirmed yet.",
    "marketing": "*Asked here and still open*. None of this is announceable until a PM answers.",
}


def personal_digest(
    *, owner_id: str, owed: list[Entry], answered: int, day: dt.date, lines: Lines
) -> Digest:
    now = lines.now
    overdue, summary = _summary(owed, answered, now, f"{len(owed)} waiting for your answer")
    units: list[list[Block]] = [
        [
            _section(f":inbox_tray: *What you owe today* · {day.strftime('%a %b %-d')}"),
            _context(" · ".join(summary) + ". Most urgent first; answer right here."),
        ]
    ]
    for entry in _ordered(owed, now):
        units.append([lines.owed(entry, "pm"), answer_buttons(entry.escalation_id)])
    headline = f"You owe {len(owed)} answer{'s' if len(owed) != 1 else ''}, {overdue} overdue"
    return Digest(
        kind=PERSONAL,
        target=owner_id,
        audience="pm",
        posts=_pack(units, headline),
        open=len(owed),
    )


def _summary(
    entries: list[Entry], answered: int, now: dt.datetime, opened: str, *, figures: bool = True
) -> tuple[int, list[str]]:
    """How many entries are overdue, and the parts of a digest's summary line: what is open,
    then (with `figures`) how many are overdue, what was answered, the deals waiting."""
    overdue = sum(entry.overdue(now) for entry in entries)
    if not figures:
        return overdue, [opened, f"{answered} answered since the last digest"]
    summary = [opened, f"{overdue} overdue", f"{answered} answered since the last digest"]
    deals = money_total(deal for entry in entries for deal in entry.deals)
    if deals:
        summary.append(f"{deals} in deals waiting")
    return overdue, summary


class Lines:
    """Digest lines as section blocks. An escalation reads the same in its PM channel's
    digest and in its PM's DM, so it is rendered once for both."""

    def __init__(self, *, now: dt.datetime, tz, today: dt.date):
        self.now = now
        self.tz = tz
        self.today = today
        self._owed: dict[tuple[int, str], SectionBlock] = {}

    def asked(self, entry: Entry, audience: str) -> SectionBlock:
        return _section(_line(entry, audience, self.now, self.tz, self.today))

    def owed(self, entry: Entry, audience: str) -> SectionBlock:
        """A PM channel is internal: full detail, unless it was set to marketing."""
        detail = "marketing" if audience == "marketing" else "pm"
        key = (entry.escalation_id, detail)
        if key not in self._owed:
            self._owed[key] = _section(_line(entry, detail, self.now, self.tz, self.today))
        return self._owed[key]


def _ordered(entries: list[Entry], now: dt.datetime) -> list[Entry]:
    return sorted(entries, key=lambda entry: entry.urgency(now))


def _line(entry: Entry, audience: str, now: dt.datetime, tz, today: dt.date) -> str:
    question = f"“{quote(entry.text, QUESTION_CHARS)}”"
    link = thread_link(entry.pm_channel, entry.escalation_id)
    owner = user(entry.owner_id) if entry.owner_id else "the product team (triage)"
    age = _age(now - entry.asked_at, entry.askers)
    if audience == "marketing":
        return f"• {question}\n{owner} has it · {age} · {link}"
    overdue = entry.overdue(now)
    flag = ":rotating_light: *Overdue*" if overdue else ":hourglass_flowing_sand:"
    details = []
    if entry.reps > 1:
        details.append(f"{entry.reps} reps waiting")
    if entry.customers:
        shown = ", ".join(f"*{quote(name, 100)}*" for name in entry.customers[:3])
        more = len(entry.customers) - 3
        label = "customers" if len(entry.customers) > 1 else "customer"
        details.append(f"{label} {shown}" + (f" and {more} more" if more > 0 else ""))
    if entry.deals:
        details.append(f"{'deals' if entry.reps > 1 else 'deal'} {money_total(entry.deals)}")
    if entry.needed_by is not None:
        details.append(f"needed by {format_date(entry.needed_by, today)}")
    due = when(entry.due_at, tz)
    details.append(f"{owner} owes the answer, {'was due' if overdue else 'due'} {due}")
    if audience in ("services", "pm") and entry.item:
        details.append(f"item {escape(entry.item)}")
    details.append(age)
    details.append(link)
    return f"{flag} {question}\n" + " · ".join(details)


def _age(age: dt.timedelta, askers: tuple[str, ...] = ()) -> str:
    """ "asked by @Riley 3 h ago": who asked, and how long they have waited."""
    asked = "asked"
    if askers:
        more = len(askers) - 3
        asked += " by " + ", ".join(user(a) for a in askers[:3])
        asked += f" and {more} more" if more > 0 else ""
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return f"{asked} just now"
    if minutes < 60:
        return f"{asked} {minutes} min ago"
    if minutes < 48 * 60:
        return f"{asked} {minutes // 60} h ago"
    return f"{asked} {minutes // (24 * 60)} days ago"


def _section(text: str) -> SectionBlock:
    # lines are built short (the question is cut to 200 characters), so this never cuts a link
    if len(text) > SECTION_LIMIT:
        raise ValueError(f"digest section of {len(text)} characters")
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _pack(units: list[list[Block]], headline: str) -> list[Message]:
    """Blocks into posts of at most 50 blocks, never splitting a unit (a line and its
    buttons). The first post says more follows; each reply says which part it is."""
    posts: list[list[Block]] = []
    current: list[Block] = []
    for unit in units:
        room = MAX_BLOCKS - 1 - len(current)  # one block left for the part / "more" line
        if current and len(unit) > room:
            posts.append(current)
            current = []
        current.extend(unit)
    posts.append(current)
    total = len(posts)
    messages = []
    for index, blocks in enumerate(posts):
        if index == 0:
            if total > 1:
                blocks = [*blocks, _context(f":thread: Continued in the thread ({total} parts).")]
            messages.append(Message(text=headline, blocks=blocks))
        else:
            part = f"part {index + 1} of {total}"
            messages.append(
                Message(
                    text=f"{headline} ({part})", blocks=[_context(f"Continued: {part}."), *blocks]
                )
            )
    return messages
