"""Chasing open escalations: remind the PM at half time and near the end, and at the due
time pull in the backup and tell the waiting reps. Nothing closes by itself."""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.core.deadlines import reminder_times, time_left
from bot.escalations.answering import send_to_watcher
from bot.escalations.posting import update_post
from bot.questions.picking import escalate_unpicked
from bot.slack import sends
from bot.slack.blocks import MarkdownTextObject, Message, SectionBlock
from bot.slack.wording import money_total, quote, user, when
from store import questions as q
from store.db import session_scope
from store.escalations import due_for_check


@dataclass
class ChaseReport:
    reminders: int = 0
    late: int = 0
    unpicked: int = 0  # "did you mean" choices left unpicked, now with the PM


def reps_waiting(session, escalation_id: int) -> str:
    count, _, _ = q.watcher_summary(session=session, escalation_id=escalation_id)
    said = f"{count} rep{'s are' if count != 1 else ' is'} waiting"
    deals = money_total(q.deals_of(session=session, escalation_id=escalation_id))
    return said + (f" ({deals} in deals)" if deals else "")


def chase(ctx: Context, batch: int = 1000) -> ChaseReport:
    report = ChaseReport()
    while True:
        with session_scope(ctx.sessions) as session:
            now = ctx.now()
            due = due_for_check(session=session, now=now, limit=batch)
            outgoing: list[sends.Post] = []
            for escalation in due:
                thread = sends.EscalationPost(escalation.id)
                due_text = when(escalation.due_at, ctx.settings.tz)
                if now < escalation.due_at:
                    # reminders that fall due together (say, both over a weekend) go out as one
                    times = reminder_times(
                        escalation.created_at,
                        escalation.due_at,
                        ctx.settings.tz,
                        ctx.settings.canwe_holidays,
                    )
                    escalation.reminders_sent = max(
                        escalation.reminders_sent + 1, sum(1 for t in times if t <= now)
                    )
                    last = escalation.reminders_sent >= len(times)
                    waiting = reps_waiting(session, escalation.id)
                    backup = escalation.backup_id or escalation.owner_id
                    then = f" Then {user(backup)} is pulled in." if last else ""
                    outgoing.append(
                        sends.Post(
                            key=f"reminder:{escalation.id}:{escalation.reminders_sent}",
                            channel=escalation.channel_id,
                            thread=thread,
                            message=f":alarm_clock: {'Last reminder' if last else 'Reminder'} "
                            f"{user(escalation.owner_id)}: {waiting} for this answer, due by "
                            f"{due_text}: {time_left(now, escalation.due_at)} left.{then}",
                        )
                    )
                    escalation.next_check_at = (
                        times[escalation.reminders_sent]
                        if escalation.reminders_sent < len(times)
                        else escalation.due_at
                    )
                    report.reminders += 1
                    continue
                # due time reached: escalate to the backup and tell the reps; it stays open
                backup = escalation.backup_id or escalation.owner_id
                outgoing.append(
                    sends.Post(
                        key=f"late:{escalation.id}",
                        channel=escalation.channel_id,
                        thread=thread,
                        message=f":rotating_light: This answer is late (was due {due_text}). "
                        f"{user(backup)}, can you take it? {user(escalation.owner_id)} owns it.",
                    )
                )
                owner = user(escalation.owner_id)
                for question in q.watchers(session=session, escalation_id=escalation.id):
                    about = f"“{quote(question.text, 150)}”"
                    if question.customer:
                        about += f" for {quote(question.customer, 60)}"
                    text = (
                        f":hourglass: The answer to your question {about} is late (was due {due_text}). "
                        f"{owner} has it and {user(backup)} has been pulled in. Until it comes, "
                        "make no promise about it."
                    )
                    send_to_watcher(
                        session=session,
                        ctx=ctx,
                        question=question,
                        key=f"late:{escalation.id}:{question.id}",
                        message=Message(
                            text=f"The answer to your question is late (was due {due_text}).",
                            blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
                        ),
                    )
                escalation.late_notified_at = now
                escalation.next_check_at = None
                update_post(
                    session=session,
                    ctx=ctx,
                    escalation=escalation,
                    dedupe_key=f"escalation:{escalation.id}:overdue",
                )
                report.late += 1
            sends.post_many(session, outgoing, now)
        if len(due) < batch:
            break
    with session_scope(ctx.sessions) as session:
        report.unpicked = escalate_unpicked(session=session, ctx=ctx)
    if report.reminders or report.late:
        ctx.wake_delivery()
    return report
