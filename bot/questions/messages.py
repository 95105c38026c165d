"""What a rep reads: usage and errors, the answer to a question, a PM's answer relayed.

Built as Block Kit from plain facts (bot.roadmap.facts), worded per audience. Text anyone
typed (questions, notes, roadmap text) is escaped so it cannot ping or link.
"""

from __future__ import annotations

import datetime as dt

from bot.core.parsing import MAX_QUESTION_CHARS
from bot.core.text import escape
from bot.core.truth import DEAL
from bot.core.verdicts import VERDICT_LABELS, Verdict, format_date
from bot.roadmap.facts import AnswerFacts, ItemFacts, PMAnswerFacts
from bot.slack.blocks import (
    ActionId,
    ActionsBlock,
    Block,
    ButtonElement,
    Message,
    context_block,
    section_block,
)
from bot.slack.wording import (
    STATUS_WORDS,
    VERDICT_EMOJI,
    deal_line,
    item_link,
    quote,
    user,
    when,
)

# ----------------------------------------------------------------- usage and errors


USAGE_EXAMPLES = [
    "/canwe SSO with Okta for Acme by March 15",
    "/canwe audit log export for Globex by Q2, $120k deal",
    "/canwe does the API support SCIM provisioning?",
]


def usage_message(reason: str | None = None) -> Message:
    lines = [
        "*Ask me whether a feature can be promised to a customer, and by when.*",
        "Write the feature, and if you like the customer (`for Acme`), the date you need it by "
        "(`by March 15`, `by Q2`, `by 2027-03-15`) and the deal value (`$120k`).",
        "Examples:\n" + "\n".join(f"• `{example}`" for example in USAGE_EXAMPLES),
        "Other commands: `/canwe audience` shows this channel's audience; "
        "`/canwe audience sales|services|marketing` sets it (admins); "
        "`/canwe promises` lists what you promised customers.",
    ]
    blocks: list[Block] = []
    if reason:
        blocks.append(section_block(f":information_source: {reason}"))
    blocks.extend(section_block(line) for line in lines)
    text = (reason + " " if reason else "") + "Ask: /canwe FEATURE for CUSTOMER by DATE"
    return Message(text=text, blocks=blocks)


def did_you_mean_command_message(typed: str, suggestion: str) -> Message:
    """A single word close to a subcommand: suggest it instead of asking a PM about it."""
    line = (
        f"Did you mean `/canwe {suggestion}`? I don't know a command "
        f"`{escape(typed)}`, and one word is not enough to ask a PM about."
    )
    return usage_message(line)


def what_feature_message() -> Message:
    """Text with no feature in it ("hi", "test", "can we promise this?")."""
    return usage_message(
        "Which feature do you mean? Tell me what the customer wants, for example "
        "`/canwe SSO with Okta for Acme by March 15`. I have not asked anyone yet."
    )


def unknown_word_message(word: str) -> Message:
    """One word nothing on the roadmap resembles, and no deal ("do we have SOC2?")."""
    word = escape(word[:40])
    return usage_message(
        f"I found nothing on the roadmap called “{word}”. If a customer wants it, ask again "
        f"with who and by when (`/canwe {word} for Acme by March 15`), and I will ask the "
        "product manager. I have not asked anyone yet."
    )


def several_features_message(titles: list[str]) -> Message:
    """One question naming several roadmap items: each needs an answer of its own."""
    named = "\n".join(f"• {escape(title)}" for title in titles)
    return Message(
        text=f"That question names {len(titles)} features: ask about one at a time.",
        blocks=[
            section_block(
                f":scissors: That question names {len(titles)} features, and each has its own "
                f"answer:\n{named}\nAsk about one at a time (same customer, date and deal), "
                "so nothing is promised by mistake. I have not asked anyone yet."
            )
        ],
    )


def too_long_message(length: int) -> Message:
    return usage_message(
        f"Your question is {length:,} characters long; I read at most "
        f"{MAX_QUESTION_CHARS:,}, and what was cut off could change the answer. Ask about one "
        "feature in a sentence or two. I have not asked anyone yet."
    )


def error_message(text: str) -> Message:
    return Message(text=text, blocks=[section_block(f":warning: {escape(text)}")])


# ----------------------------------------------------------------- answers to reps


def _headline(facts: AnswerFacts, audience: str) -> str:
    verdict = facts.verdict
    item = facts.item
    title = f"*{escape(item.title)}*" if item else "this"
    safe = facts.date  # from the one date rule (bot.core.truth): never a second reading
    if audience == "marketing":
        if item is None:
            return "This is not on the roadmap: say nothing about it."
        if not item.public:
            return f"{title} is not public: say nothing about it yet."
        if verdict == Verdict.available:
            return f"{title} is available today."
        if verdict == Verdict.no:
            return f"{title} is not planned."
        public_date = (
            f", publicly targeted for {format_date(item.target_date)}" if item.target_date else ""
        )
        return f"{title} is {STATUS_WORDS.get(item.status, item.status)}{public_date}."
    if audience == "services":
        return _services_headline(facts, title)
    if verdict == Verdict.available:
        return f"Yes: {title} is available today."
    if verdict == Verdict.committed:
        if safe:
            return f"Yes, you can promise {title} by *{format_date(safe)}*."
        return f"Yes, {title} is committed."
    if verdict == Verdict.not_by_then:
        needed = format_date(facts.needed_by) if facts.needed_by else "then"
        earliest = f" The earliest safe date is *{format_date(safe)}*." if safe else ""
        return f"Not by {needed}: do not promise {title} for that date.{earliest}"
    if verdict == Verdict.not_committed:
        if facts.pm_answer is not None:  # the PM's word, whatever the roadmap status says
            return (
                f"Nothing to promise yet: the PM says {title} is not committed. Do not promise it."
            )
        return (
            f"Nothing to promise yet: {title} is {_status_words(item)}, not committed. "
            "Do not promise it."
        )
    if verdict == Verdict.no:
        return f"{title} will not be built. Do not promise it."
    return "I could not find this on the roadmap. Do not promise anything yet."


def _status_words(item: ItemFacts | None) -> str:
    return STATUS_WORDS.get(item.status, item.status) if item else "not committed"


def _services_headline(facts: AnswerFacts, title: str) -> str:
    """The same verdict for the people who deliver it: what they can plan on, and from when;
    sales' promise language is not theirs to give. (The verdict's label stands before it.)"""
    verdict, safe = facts.verdict, facts.date
    if verdict == Verdict.available:
        return f"{title} can be delivered today."
    if verdict == Verdict.committed:
        if safe:
            return f"Plan delivery of {title} from *{format_date(safe)}*."
        return f"{title} is committed; there is no date to plan from yet."
    if verdict == Verdict.not_by_then:
        needed = format_date(facts.needed_by) if facts.needed_by else "then"
        earliest = f" Plan from *{format_date(safe)}* at the earliest." if safe else ""
        return f"Not by {needed}: do not plan delivery of {title} for that date.{earliest}"
    if verdict == Verdict.not_committed:
        if facts.pm_answer is not None:  # the PM's word, whatever the roadmap status says
            said = "the PM says it is not committed"
        else:
            said = f"it is {_status_words(facts.item)}, not committed"
        return f"Nothing to plan yet: {title}, {said}. Do not plan delivery on it."
    if verdict == Verdict.no:
        return f"{title} will not be built. Do not plan delivery on it."
    return "I could not find this on the roadmap. Do not plan delivery on it yet."


def _next_step(facts: AnswerFacts) -> str:
    if facts.escalation:
        where = "send it to you in a DM" if facts.reply_by_dm else "bring it here"
        return f"Next: wait for the PM's answer; I will {where}."
    return {
        Verdict.available: "Next: you can tell the customer it exists today.",
        Verdict.committed: "Next: promise the safe date, not an earlier one, and mark it promised.",
        Verdict.not_by_then: "Next: offer the safe date, or ask the PM for an exception.",
        Verdict.not_committed: "Next: do not promise it yet.",
        Verdict.no: "Next: tell the customer it is not planned.",
        Verdict.unknown: "Next: do not promise anything yet.",
    }[facts.verdict]


def _estimate_text(item: ItemFacts) -> str:
    if not item.estimate_days:
        return "no estimate yet"
    optimistic, likely, pessimistic = item.estimate_days
    low = optimistic if optimistic is not None else likely
    high = pessimistic if pessimistic is not None else likely
    team = f", team {escape(item.estimate_team)}" if item.estimate_team else ""
    spread = f" (range {low:g}–{high:g})" if low != high else ""
    return f"{likely:g} working days remaining{spread}{team}"


def _pm_notes(answer: PMAnswerFacts, audience: str, item: ItemFacts | None) -> list[str]:
    if audience == "marketing":
        if item is None or not item.public:
            return []
        note = answer.marketing_note
        return [f"Note for marketing: {quote(note, 1000)}"] if note else []
    scope, cost, schedule = (
        ("Scope", answer.scope_note),
        ("Cost", answer.cost_note),
        ("Schedule", answer.schedule_note),
    )
    if audience == "services":  # services reads scope first; sales reads the schedule first
        note, details = answer.services_note or answer.note, (scope, cost, schedule)
    else:
        note, details = answer.note, (schedule, cost, scope)
    lines = [f"Note: {quote(note, 1000)}"] if note else []
    lines += [f"{label}: {quote(value, 800)}" for label, value in details if value]
    return lines


def _label(facts: AnswerFacts, audience: str) -> tuple[str, str]:
    """The verdict's emoji and word; marketing sees no internal verdict for a private item."""
    if audience == "marketing":
        if facts.item is None or not facts.item.public:
            return ":no_entry_sign:", "Not announceable"
        if facts.verdict == Verdict.available:
            return VERDICT_EMOJI[Verdict.available], "Announceable"
        if facts.verdict == Verdict.no:
            return VERDICT_EMOJI[Verdict.no], "Not planned"
        return ":calendar:", "Public roadmap"
    return VERDICT_EMOJI[facts.verdict], VERDICT_LABELS[facts.verdict]


def answer_blocks(facts: AnswerFacts, audience: str, tz) -> list[Block]:
    internal = audience != "marketing" or (facts.item is not None and facts.item.public)
    emoji, label = _label(facts, audience)
    blocks: list[Block] = [section_block(f"{emoji} *{label}* · {_headline(facts, audience)}")]
    if facts.date_notes:  # a past or unreadable date changes what the line above means
        blocks.append(section_block("\n".join(f":warning: {escape(n)}" for n in facts.date_notes)))
    if facts.told_before and facts.told_on:  # never two answers that disagree unannounced
        was = f" ({facts.told_before})" if internal else ""
        blocks.append(
            section_block(
                f":arrows_counterclockwise: This replaces what you were told on "
                f"{format_date(facts.told_on, facts.today)}{was}."
            )
        )
    asked = [f"You asked: “{quote(facts.question_text)}”"]
    if audience != "marketing":
        deal = deal_line(facts.customer, facts.deal_value, facts.needed_by, facts.deal_currency)
        if deal:
            asked.append(deal)
    blocks.append(context_block(*asked))

    item = facts.item
    if item and internal:
        status = STATUS_WORDS.get(item.status, item.status)
        line = f"{item_link(item)} · {status}"
        if audience != "marketing":
            line += f" · owner {user(item.owner_id)}"
        blocks.append(section_block(line))

    details: list[str] = []
    # the forecast is shown only when it is what the date rests on: beside a PM's date it
    # would be a second, different answer
    dated_by_forecast = (
        facts.safe
        and facts.pm_answer is None
        and facts.verdict in (Verdict.committed, Verdict.not_by_then)
    )
    if audience == "sales" and dated_by_forecast:
        details.append(f"How sure: {escape(facts.safe.short or facts.safe.describe())}")
    if audience == "services" and item:
        if item.status not in ("shipped", "declined"):
            details.append(f"Effort: {_estimate_text(item)}")
        if dated_by_forecast:
            details.append(f"Expected delivery: {escape(facts.safe.describe())}")
        if item.target_date:
            details.append(f"Target release: {format_date(item.target_date)}")
    if facts.pm_answer and internal:
        answer = facts.pm_answer
        details.append(pm_answer_line(answer, audience, tz, facts.today))
        if audience != "marketing":
            why = overrides_line(facts, tz)
            if why:
                details.append(why)
        details.extend(_pm_notes(answer, audience, item))
    if details:
        blocks.append(section_block("\n".join(details)))

    if facts.escalation:
        escalation = facts.escalation
        who = user(escalation.owner_id) if escalation.owner_id else "the product team"
        if escalation.joined_existing:
            text = f":busy_speech_bubble: This question is already with {who} in <#{escalation.channel_id}>"
            if escalation.watchers > 1:
                text += f": you are now one of {escalation.watchers} reps waiting."
            else:  # only this rep waits: "one of 1 reps" said nothing true
                text += ", from your earlier question: I added this one to it."
        else:
            text = f":speech_balloon: I asked {who} in <#{escalation.channel_id}>."
        if audience != "marketing" or internal:
            text += f" The answer is due by {when(escalation.due_at, tz)}."
        blocks.append(section_block(text))

    if audience == "sales":
        step = _next_step(facts)
        if facts.verdict in (Verdict.committed, Verdict.available) and not facts.customer:
            step += " Name the customer (“for Acme”) to be able to mark this promised."
        blocks.append(section_block(f":point_right: {escape(step)}"))
    if facts.notes:
        blocks.append(context_block(*(escape(note) for note in facts.notes)))

    if facts.others and facts.verdict != Verdict.available and audience != "marketing":
        others = ", ".join(
            f"{escape(c.key)} {escape(c.title)}"
            + (f" ({c.score:.0%})" if audience == "services" else "")  # sales: no scores
            for c in facts.others
        )
        label = "Closest roadmap items, none a sure match" if facts.item is None else "Also close"
        blocks.append(context_block(f"{label}: {others}"))

    actions = []
    if audience == "sales" and dated_by_forecast and facts.question_id is not None:
        actions.append(
            ButtonElement(
                text="Why this date?",
                action_id=ActionId.why_date,
                value=str(facts.question_id),
            )
        )
    if facts.can_ask_exception and audience != "marketing":
        actions.append(
            ButtonElement(
                text="Ask the PM for an exception",
                action_id=ActionId.ask_exception,
                value=str(facts.question_id),
            )
        )
    if (
        facts.verdict in (Verdict.committed, Verdict.available)
        and audience == "sales"
        and facts.customer
    ):
        actions.append(
            ButtonElement(
                text="Promised to the customer",
                action_id=ActionId.mark_promised,
                value=str(facts.question_id),
                style="primary",
            )
        )
    if facts.can_say_not_this:  # about an item, and stored (bot.questions.asking)
        actions.append(
            ButtonElement(
                text="Not what I meant",
                action_id=ActionId.not_this,
                value=str(facts.question_id),
            )
        )
    if actions:
        blocks.append(ActionsBlock(elements=actions))
    return blocks


def why_date_message(facts: AnswerFacts) -> Message:
    """The reasoning behind a safe date, for whoever asks "Why this date?"."""
    item = facts.item
    lines = []
    if facts.safe is not None:
        lines.append(f"*Safe promise date:* {escape(facts.safe.describe())}")
    if item is not None:
        lines.append(f"*Remaining work:* {_estimate_text(item)}")
        if item.target_date:
            lines.append(f"*Team's target release:* {format_date(item.target_date)}")
    lines.append(
        "The date is the estimate scaled by how this team's past estimates turned out, read "
        "at the confidence shown, and never before the team's own target release."
    )
    return Message(
        text="Why this date: " + _plain(lines[0]), blocks=[section_block("\n".join(lines))]
    )


def answered_on(answer: PMAnswerFacts, tz) -> dt.date:
    return answer.answered_at.astimezone(tz).date()


def pm_answer_line(answer: PMAnswerFacts, audience: str, tz, today: dt.date) -> str:
    """Who answered and when ("<@Priya>, Nov 30") and the fact they gave, never a reuse
    window: how long an answer is reused is ours, not a date for the customer."""
    line = f"Answered by {user(answer.answered_by)}, {format_date(answered_on(answer, tz), today)}"
    if audience == "marketing":
        return line
    line += f": {answer.describe()}"
    if answer.scope == DEAL:
        deal = f" ({quote(answer.customer, 100)})" if answer.customer else ""
        line += f", an exception for this deal only{deal}"
    if answer.replaces is not None:
        earlier = answer.replaces
        on = format_date(answered_on(earlier, tz), today)
        line += f" This updated answer replaces the one of {on}: {earlier.describe(today)}"
    return line + "."


def overrides_line(facts: AnswerFacts, tz) -> str:
    """Where the roadmap and the PM's answer differ, which one wins and why, in one line."""
    answer = facts.pm_answer
    if answer is None or not facts.overrides:
        return ""
    whose = f"{user(answer.answered_by)}'s answer"
    if answer.scope == DEAL:
        return (
            f"{whose} is an exception for this deal: it wins over the roadmap "
            f"({escape(facts.overrides)}) for this customer only."
        )
    return (
        f"{whose} wins over the roadmap ({escape(facts.overrides)}): it was given after "
        "the item last changed, and a change to the item ends it."
    )


def answer_message(facts: AnswerFacts, audience: str, tz) -> Message:
    blocks = answer_blocks(facts, audience, tz)
    text = f"{_label(facts, audience)[1]}: {_plain(_headline(facts, audience))}"
    return Message(text=text, blocks=blocks)


def relay_message(facts: AnswerFacts, answer: PMAnswerFacts, audience: str, tz) -> Message:
    """A PM's `answer` brought back to a rep who was waiting for it, with what canwe says now
    (`facts`: the answer itself, unless the roadmap wins over it, as when the item it names
    has shipped)."""
    internal = audience != "marketing" or (facts.item is not None and facts.item.public)
    on = f" ({format_date(answered_on(answer, tz), facts.today)})" if internal else ""
    if facts.updated_from is not None:
        header = (
            f":arrows_counterclockwise: *Updated answer:* {user(answer.answered_by)}{on} "
            "changed the answer to your question; this replaces the earlier one."
        )
        if audience != "marketing":
            header += f"\nWas: {facts.updated_from}. Now: {answer.describe(facts.today)}."
    else:
        header = f":envelope_with_arrow: {user(answer.answered_by)} answered your question{on}."
    message = answer_message(facts, audience, tz)
    return Message(
        text=f"{_plain(header)} {message.text}", blocks=[section_block(header), *message.blocks]
    )


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "")
