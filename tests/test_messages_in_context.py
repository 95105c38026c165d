"""Messages that carry their context: the PM's post as it is now, reminders that say how long
is left, comments that say which question they are about, digests that say who asked."""

from __future__ import annotations

import datetime as dt

from bot.digest.daily import run_digests
from bot.escalations.chasing import chase
from tests.helpers import (
    IDENTITY_CHANNEL,
    REP,
    REP2,
    SALES,
    block_text,
    escalations,
    message_text,
    posts,
)

EXPLORING = "can we promise yubikey support to Acme by March 15? $80k"


def root_now(slack) -> dict:
    """The escalation post as a PM sees it now, after any chat.update."""
    [root] = [
        m
        for m in slack.messages(IDENTITY_CHANNEL)
        if m.get("user") == slack.bot_user_id and not m.get("thread_ts")
    ]
    return root


def test_the_pm_post_shows_every_rep_who_joins_and_when_it_is_overdue(bot, slack, clock):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    assert "reps waiting" not in message_text(root_now(slack))
    slack.send_command(REP2, SALES, "yubikey support for Globex by January 20, $150k")
    bot.deliver()
    post = message_text(root_now(slack))
    assert "2 reps waiting" in post and "$230k in deals" in post
    assert "earliest needed Jan 20, 2027" in post
    # the first rep's deal keeps the first rep's date: it read "customer Acme … needed by Jan
    # 20", the second rep's date beside the first rep's customer
    assert "customer *Acme* · deal $80k · needed by Mar 15, 2027" in post
    assert "Overdue" not in post

    [escalation] = escalations(bot.ctx)
    clock.set(escalation.due_at + dt.timedelta(minutes=1))
    chase(bot.ctx)
    bot.deliver()
    post = message_text(root_now(slack))
    assert "Overdue" in post and "2 reps waiting" in post
    assert "Yes, by a date" in post  # still answerable


def test_reminders_say_how_long_is_left_and_which_is_the_last(bot, slack, clock):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    # asked Friday 15:00 in New York, due Monday 15:00
    clock.set(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC))  # Monday 11:00
    chase(bot.ctx)
    clock.set(dt.datetime(2026, 11, 30, 18, 48, tzinfo=dt.UTC))  # Monday 13:48
    chase(bot.ctx)
    bot.deliver()
    reminders = [
        p["text"] for p in posts(slack, channel=IDENTITY_CHANNEL) if "eminder" in p["text"]
    ]
    assert len(reminders) == 2 and reminders[0] != reminders[1]
    assert "1 rep is waiting ($80k in deals)" in reminders[0]
    assert "about 4 hours left" in reminders[0]
    assert reminders[1].startswith(":alarm_clock: Last reminder")
    assert "about 1 hour left" in reminders[1] and "is pulled in" in reminders[1]


def test_a_relayed_comment_says_which_question_it_is_about(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = root_now(slack)
    slack.send_message(
        "U0ENGINEER", IDENTITY_CHANNEL, "we tried this in 2024", thread_ts=root["ts"]
    )
    bot.deliver()
    dm = [p for p in posts(slack) if p["channel"].startswith("D")][-1]
    assert "“can we promise yubikey support to Acme by March 15? $80k”" in message_text(dm)
    assert "we tried this in 2024" in message_text(dm)


def test_digest_lines_name_who_asked(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    slack.send_command(REP2, SALES, "yubikey support for Globex by January 20, $150k")
    bot.deliver()
    run_digests(bot.ctx)
    bot.deliver()

    def digest(channel):
        [post] = [p for p in posts(slack, channel=channel) if "daily digest" in p["text"].lower()]
        return block_text(post["blocks"])

    sales = digest(SALES)  # each rep's own question, with who asked it
    assert "customer *Acme* · deal $80k" in sales and f"asked by <@{REP}>" in sales
    assert "customer *Globex* · deal $150k" in sales and f"asked by <@{REP2}>" in sales
    # the PM's channel: one thread, both askers
    assert f"asked by <@{REP}>, <@{REP2}>" in digest(IDENTITY_CHANNEL)
