"""The escalation loop end to end: ask → PM thread → answer → every rep told → reused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.roadmap.importer import apply_roadmap
from bot.roadmap.schema import RoadmapIn
from store.db import session_scope
from store.models import Escalation, OutboxMessage, Question
from tests.helpers import (
    IDENTITY_CHANNEL,
    PM_IDENTITY,
    PM_LEAD,
    REP,
    REP2,
    SALES,
    TRIAGE,
    block_text,
    count,
    escalations,
    message_text,
    posts,
    questions,
    unsent,
)

EXPLORING = "can we promise yubikey support to Acme by March 15? $200k"


def escalation_root(slack, channel=IDENTITY_CHANNEL) -> dict:
    roots = [
        m
        for m in slack.messages(channel)
        if m.get("user") == slack.bot_user_id and not m.get("thread_ts")
    ]
    assert len(roots) == 1, roots
    return roots[0]


def click_answer(slack, user, channel, root, verdict):
    return slack.send_block_action(
        user, channel, root["ts"], f"answer:{verdict}", value=f"{escalations_id(root)}:{verdict}"
    )


def escalations_id(root) -> int:
    for block in root["blocks"]:
        if block.get("block_id", "").startswith("answer:"):
            return int(block["block_id"].split(":")[1])
    raise AssertionError("no answer buttons")


def answer_through_modal(
    slack,
    user,
    root,
    verdict="committed",
    date="2027-02-26",
    note="Yes with 2 extra devs",
    applies_to=None,
    item=None,
    channel=IDENTITY_CHANNEL,
):
    response = click_answer(slack, user, channel, root, verdict)
    assert response.status_code == 200
    opened = [c for c in slack.calls("views.open") if c.ok]
    assert opened, slack.dump()
    view_id = list(slack.views)[-1]
    values = {
        "verdict": {"verdict": verdict},
        "note": {"note": note},
    }
    if date:
        values["date"] = {"date": date}
    if applies_to:  # "item": every deal; "deal": this deal only
        values["applies_to"] = {"applies_to": applies_to}
    if item:
        values["item_key"] = {"item_key": item}
    return slack.send_view_submission(user, view_id, values)


def test_not_committed_item_escalates_to_the_owning_pm(bot, slack):
    body = slack.send_command(REP, SALES, EXPLORING).json()
    text = block_text(body["blocks"])
    assert body["text"].startswith("Not committed")
    assert f"<@{PM_IDENTITY}>" in text and f"<#{IDENTITY_CHANNEL}>" in text and "due by" in text
    bot.deliver()
    root = escalation_root(slack)
    shown = message_text(root)
    for expected in ("yubikey", f"<@{REP}>", "Acme", "$200k", "Mar 15", "Answer due by", "ID-18"):
        assert expected in shown, expected


def test_unknown_question_goes_to_triage(bot, slack):
    slack.send_command(REP, SALES, "quantum teleportation for Acme")
    bot.deliver()
    root = escalation_root(slack, TRIAGE)
    assert "could not match" in message_text(root)


def test_unknown_question_routes_by_keywords(bot, slack):
    body = slack.send_command(REP, SALES, "does login work with duo push for Acme").json()
    assert body["text"].startswith("Did you mean")  # Okta SSO is plausible: the rep is asked
    offer = [m for m in slack.messages(SALES) if m.get("ephemeral_to") == REP][-1]
    [value] = [e["value"] for b in offer["blocks"] for e in b.get("elements", []) if e.get("value")]
    slack.send_block_action(REP, SALES, offer["ts"], "pick_none", value=value)
    bot.deliver()
    assert escalation_root(slack, IDENTITY_CHANNEL)


def test_a_rep_asking_again_for_another_deal_is_told_so_not_one_of_one(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    body = slack.send_command(REP, SALES, "yubikey support for Globex by April 1").json()
    bot.deliver()
    told = block_text(body["blocks"])
    # it said "you are now one of 1 reps waiting", and the PM read "asked this too"
    assert "from your earlier question: I added this one to it" in told
    assert "one of 1" not in told
    reply = message_text(slack.thread(IDENTITY_CHANNEL, escalation_root(slack)["ts"])[-1])
    assert "asked this again" in reply and "1 rep waiting" in reply


def test_a_direct_message_to_canwe_is_a_question_answered_in_its_thread(bot, slack):
    """A rep writing to canwe directly got nothing at all: a dropped question."""
    assert slack.send_message(REP, REP, "<@UCANWEBOT> " + EXPLORING).status_code == 200
    bot.deliver()
    dm = "D" + REP
    [asked] = [m for m in slack.messages(dm) if m.get("user") == REP]
    [reply] = [p for p in posts(slack, channel=dm) if p.get("thread_ts") == asked["ts"]]
    assert "Not committed" in message_text(reply) and "I asked" in block_text(reply["blocks"])
    [stored] = questions(bot.ctx)
    assert (stored.customer, stored.channel_id) == ("Acme", dm)
    # the PM's answer comes back to the same thread
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack))
    bot.deliver()
    replies = [p for p in posts(slack, channel=dm) if p.get("thread_ts") == asked["ts"]]
    assert len(replies) == 2 and "answered" in message_text(replies[-1])
    # a follow-up in its thread is about the thread's feature
    slack.send_message(REP, REP, "what about Globex, by April 1?", thread_ts=asked["ts"])
    bot.deliver()
    assert [q.customer for q in questions(bot.ctx)] == ["Acme", "Globex"]
    assert "Hardware security keys" in message_text(posts(slack, channel=dm)[-1])
    # "help" in a DM shows how to ask, to the asker alone, and is no question
    slack.send_message(REP, REP, "help")
    bot.deliver()
    [usage] = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert usage["channel"] == dm and "Ask me whether" in block_text(usage["blocks"])
    assert count(bot.ctx, Question) == 2


def test_full_loop_pm_answers_rep_is_told_and_the_answer_is_reused(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    slack.send_mention(REP2, SALES, "yubikey support for Globex by April 1")
    bot.deliver()
    root = escalation_root(slack)  # one thread for both reps
    assert "asked this too" in message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])
    assert "2 reps waiting" in message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])

    response = answer_through_modal(slack, PM_IDENTITY, root)
    assert response.status_code == 200 and not response.content.strip(b"{}")
    bot.deliver()
    # the rep who used /canwe gets a DM, the rep who mentioned gets a thread reply
    dms = [p for p in posts(slack) if p["channel"].startswith("D")]
    assert len(dms) == 1 and "answered your question" in message_text(dms[0])
    mention_ts = next(m["ts"] for m in slack.messages(SALES) if m.get("user") == REP2)
    thread_replies = [p for p in posts(slack, channel=SALES) if p.get("thread_ts") == mention_ts]
    assert len(thread_replies) == 2  # the first answer, then the PM's
    assert "Yes with 2 extra devs" in message_text(thread_replies[-1])
    updated = [c.args for c in slack.calls("chat.update") if c.ok]
    assert (
        updated
        and "Answered by" in message_text(updated[-1])
        and "answer:" not in block_text(updated[-1]["blocks"])
    )

    later = slack.send_command("U0REP00003", SALES, "yubikey for Initech by June 30").json()
    assert "Answered by" in block_text(later["blocks"])
    assert later["text"].startswith("Committed")
    assert len(escalations(bot.ctx)) == 1


def test_pm_reply_with_a_verdict_word_is_an_answer(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    slack.send_message(
        PM_IDENTITY,
        IDENTITY_CHANNEL,
        "no, we will not support hardware keys this year",
        thread_ts=root["ts"],
    )
    bot.deliver()
    [escalation] = escalations(bot.ctx)
    assert escalation.status == "answered"
    assert "Recorded" in message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])
    dm = [p for p in posts(slack) if p["channel"].startswith("D")][-1]
    assert "will not support hardware keys" in message_text(dm)


@pytest.mark.parametrize("lead", ["<!here>", "<!channel> <@U0PMLEAD01>", "<@UCANWEBOT>"])
def test_a_pm_reply_that_starts_by_naming_people_is_still_an_answer(bot, slack, lead):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, f"{lead} yes by June 2", thread_ts=root["ts"])
    bot.deliver()
    [escalation] = escalations(bot.ctx)
    assert escalation.status == "answered"
    assert "Jun 2, 2027" in message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])


def test_a_pm_reply_naming_the_reps_date_then_the_earliest_records_the_earliest(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    reply = "Not by March, earliest is June 1"
    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, reply, thread_ts=root["ts"])
    bot.deliver()
    [escalation] = escalations(bot.ctx)
    assert escalation.status == "answered"
    recorded = message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])
    assert "Jun 1, 2027" in recorded and "Mar 31" not in recorded


def test_a_pm_reply_with_a_date_that_does_not_exist_says_so(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, "yes, by 2027-02-30", thread_ts=root["ts"])
    bot.deliver()
    said = message_text(slack.thread(IDENTITY_CHANNEL, root["ts"])[-1])
    assert "Not recorded: “2027-02-30” is not a day of the calendar" in said
    assert escalations(bot.ctx)[0].status == "open"


def test_a_non_owner_reply_is_a_comment_not_an_answer(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    slack.send_message(
        "U0ENGINEER", IDENTITY_CHANNEL, "yes by 2027-01-10, I think it's easy", thread_ts=root["ts"]
    )
    bot.deliver()
    assert escalations(bot.ctx)[0].status == "open"
    dm = [p for p in posts(slack) if p["channel"].startswith("D")][-1]
    assert "Comment from <@U0ENGINEER>" in message_text(dm) and "not an answer" in message_text(dm)


def test_a_non_owner_click_is_refused_ephemerally(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    click_answer(slack, "U0ENGINEER", IDENTITY_CHANNEL, root, "committed")
    refusals = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert refusals and refusals[-1]["user"] == "U0ENGINEER" and "Only" in refusals[-1]["text"]
    assert not [c for c in slack.calls("views.open") if c.ok]


def test_modal_without_a_date_for_yes_is_rejected_with_a_field_error(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    response = answer_through_modal(slack, PM_IDENTITY, escalation_root(slack), date=None)
    assert response.json()["response_action"] == "errors" and "date" in response.json()["errors"]
    assert escalations(bot.ctx)[0].status == "open"


def test_an_answer_expires_and_the_next_question_escalates_again(bot, slack, clock):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack))
    bot.deliver()
    clock.advance(days=bot.ctx.settings.canwe_answer_valid_days + 1)  # reuse is internal
    body = slack.send_command(REP2, SALES, "yubikey for Globex").json()
    assert body["text"].startswith("Not committed") and "I asked" in block_text(body["blocks"])
    assert len(escalations(bot.ctx)) == 2


def test_a_roadmap_change_invalidates_an_answer(bot, slack, clock):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack))
    bot.deliver()
    clock.advance(hours=1)
    with session_scope(bot.ctx.sessions) as session:
        report = apply_roadmap(
            RoadmapIn.model_validate(
                {
                    "items": [
                        {
                            "key": "ID-18",
                            "title": "Hardware security keys for MFA (WebAuthn)",
                            "area": "Identity",
                            "status": "planned",
                            "aliases": ["yubikey", "passkeys", "webauthn", "fido2"],
                            "description": "Passkeys and FIDO2 security keys as a second factor",
                            "url": "https://tracker.example.com/ID-18",
                        }
                    ]
                }
            ),
            session=session,
            now=clock(),
        )
    assert report.revised_item_ids
    body = slack.send_command(REP2, SALES, "yubikey for Globex").json()
    assert "Answered by" not in block_text(body["blocks"])
    assert len(escalations(bot.ctx)) == 2


# ------------------------------------------------------------------ deadlines


def test_reminders_then_late_notice_to_backup_and_reps(bot, slack, clock):
    from bot.escalations.chasing import chase

    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    [escalation] = escalations(bot.ctx)
    # asked Friday 15:00 in New York, due Monday 15:00: eight working hours, none at the weekend
    clock.set(dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC))  # Sunday
    assert chase(bot.ctx).reminders == 0
    clock.set(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC))  # Monday 11:00, half the time
    assert chase(bot.ctx).reminders == 1
    assert chase(bot.ctx).reminders == 0  # not twice
    clock.set(dt.datetime(2026, 11, 30, 18, 48, tzinfo=dt.UTC))  # Monday 13:48, near the end
    assert chase(bot.ctx).reminders == 1
    clock.set(escalation.due_at + dt.timedelta(minutes=1))
    assert chase(bot.ctx).late == 1
    bot.deliver()
    thread = [message_text(m) for m in slack.thread(IDENTITY_CHANNEL, root["ts"])]
    assert sum("Reminder" in t or "Last reminder" in t for t in thread) == 2
    assert any("late" in t and f"<@{PM_LEAD}>" in t for t in thread)
    dm = [p for p in posts(slack) if p["channel"].startswith("D")][-1]
    assert "late" in message_text(dm) and "yubikey" in message_text(dm)
    clock.advance(days=3)
    assert chase(bot.ctx).late == 0
    assert escalations(bot.ctx)[0].status == "open"  # overdue stays open until answered


def test_due_time_is_before_the_deal_and_within_the_sla(bot, slack):
    slack.send_command(REP, SALES, "yubikey for Acme by 2026-12-04")  # next Friday
    [escalation] = escalations(bot.ctx)
    # 2 business days before Fri Dec 4 is Wed Dec 2 noon New York; the 1-day SLA (Mon 15:00) is earlier
    assert escalation.due_at == dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------ faults


def test_rate_limited_then_delivered_once(bot, slack):
    slack.fail("chat.postMessage", status=429, times=1, retry_after=1)
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    escalation_root(slack)
    assert unsent(bot.ctx) == 0


def test_slack_down_for_a_while_then_everything_is_delivered_once(bot, slack, clock):
    slack.fail("chat.postMessage", status=500, times=None)
    slack.send_command(REP, SALES, EXPLORING)
    slack.send_mention(REP2, SALES, "salesforce sync for Acme")
    for _ in range(3):
        bot.deliver()
        clock.advance(minutes=5)
    assert unsent(bot.ctx) == 2
    slack.clear_failures()
    bot.deliver()
    assert unsent(bot.ctx) == 0
    escalation_root(slack)
    assert len([p for p in posts(slack, channel=SALES)]) == 1


def test_a_crash_between_the_state_change_and_delivery_loses_nothing(bot, slack, clock):
    from bot.slack.client import make_client
    from bot.slack.delivery import Delivery
    from tests.conftest import make_context

    slack.send_command(
        REP, SALES, EXPLORING
    )  # stored with its outbox rows; the process "dies" here
    assert count(bot.ctx, OutboxMessage) == 1 and posts(slack) == []
    restarted = make_context(bot.ctx.settings, clock)
    Delivery(restarted, make_client(restarted.settings)).drain()
    escalation_root(slack)
    Delivery(restarted, make_client(restarted.settings)).drain()
    assert len(posts(slack, channel=IDENTITY_CHANNEL)) == 1
    restarted.engine.dispose()


def test_a_leased_message_is_not_sent_twice_until_its_lease_expires(bot, slack, clock):
    from store.outbox import claim_due

    slack.send_command(REP, SALES, EXPLORING)
    with session_scope(bot.ctx.sessions) as session:  # another process took it and died
        claimed = claim_due(session=session, now=clock(), lease=dt.timedelta(seconds=60))
    assert len(claimed) == 1
    bot.deliver()
    assert posts(slack) == []
    clock.advance(seconds=61)
    bot.deliver()
    assert len(posts(slack, channel=IDENTITY_CHANNEL)) == 1


def test_exception_button_escalates_a_not_by_then(bot, slack):
    body = slack.send_command(REP, SALES, "Teams notifications for Globex by December 4")
    assert body.json()["text"].startswith("Not by then")
    [question] = questions(bot.ctx)
    ephemeral = [m for m in slack.messages(SALES) if m.get("ephemeral_to") == REP][-1]
    slack.send_block_action(REP, SALES, ephemeral["ts"], "ask_exception", value=str(question.id))
    bot.deliver()
    root = escalation_root(slack, "C0PMINTEG1")
    assert "exception" in message_text(root)
    thread = [message_text(m) for m in slack.thread("C0PMINTEG1", root["ts"])]
    assert any("Safe promise date today" in t and "needs it by Dec 4" in t for t in thread)
    assert count(bot.ctx, Question, Question.status == "escalated") == 1
    assert count(bot.ctx, Escalation) == 1


def test_an_answer_dated_in_the_past_is_refused(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    response = answer_through_modal(slack, PM_IDENTITY, escalation_root(slack), date="2026-11-01")
    assert response.json()["response_action"] == "errors"
    assert "passed" in response.json()["errors"]["date"]
    assert escalations(bot.ctx)[0].status == "open"


def test_unmatched_questions_worded_alike_share_one_thread(bot, slack):
    slack.send_command(REP, SALES, "can we promise a blockchain ledger for Hooli by June? $300k")
    slack.send_command(REP2, SALES, "blockchain ledger for Massive Dynamic by May 1, $150k")
    slack.send_command("U0REP00003", SALES, "quantum ledger for Initech")
    bot.deliver()
    assert len(escalations(bot.ctx)) == 2
    roots = [p for p in posts(slack) if "Can we promise this?" in p.get("text", "")]
    assert len(roots) == 2
    assert "asked this too" in message_text(posts(slack)[-1]) or any(
        "asked this too" in p.get("text", "") for p in posts(slack)
    )


def test_the_safe_date_is_never_before_the_teams_target(bot, slack):
    body = slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15").json()
    text = block_text(body["blocks"])
    assert "Mar 1, 2027" in body["text"]  # ID-12's target release, later than the raw forecast
    assert "How sure: the team's target release" in text
    early = slack.send_command(REP2, SALES, "SSO with Okta for Globex by February 1").json()
    assert early["text"].startswith("Not by then")


def test_a_pm_mentioning_the_bot_in_the_thread_answers_once(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    text = "yes by 2027-02-26, with two more engineers"
    slack.send_mention(PM_IDENTITY, IDENTITY_CHANNEL, text, thread_ts=root["ts"], also_message=True)
    bot.deliver()
    [escalation] = escalations(bot.ctx)
    assert escalation.status == "answered"
    assert len(questions(bot.ctx)) == 1  # the mention did not become a question of its own
    dms = [p for p in posts(slack) if p["channel"].startswith("D")]
    assert len(dms) == 1 and "two more engineers" in message_text(dms[0])


def test_a_reply_before_the_thread_is_recorded_waits_for_it(bot, slack):
    """Slack shows the escalation before delivery has stored its ts: a PM that fast is not
    dropped; the reply waits (briefly) for the thread to be known, then answers."""
    from bot.escalations.threads import reply_in_thread

    slack.send_command(REP, SALES, EXPLORING)  # escalation queued, its post not yet recorded
    [escalation] = escalations(bot.ctx)
    assert escalation.message_ts is None
    waits = []

    def delivery_records_the_thread(seconds):
        waits.append(seconds)
        with session_scope(bot.ctx.sessions) as session:
            session.get(Escalation, escalation.id).message_ts = "1764273600.000100"

    outcome = reply_in_thread(
        ctx=bot.ctx,
        channel_id=IDENTITY_CHANNEL,
        thread_ts="1764273600.000100",
        user_id=PM_IDENTITY,
        text="no, we will not support hardware keys this year",
        event_key="Ev0FASTPM01",
        sleep=delivery_records_the_thread,
    )
    assert outcome == "answer" and len(waits) == 1
    assert escalations(bot.ctx)[0].status == "answered"


def test_a_reply_in_an_unknown_thread_gives_up_after_a_bounded_wait(bot, slack):
    from bot.escalations.threads import THREAD_WAIT_SECONDS, reply_in_thread

    def reply(event_key, sleep):
        return reply_in_thread(
            ctx=bot.ctx,
            channel_id=IDENTITY_CHANNEL,
            thread_ts="1764273600.000200",
            user_id=PM_IDENTITY,
            text="no",
            event_key=event_key,
            sleep=sleep,
        )

    waits: list[float] = []
    assert reply("Ev0NOTHREAD1", waits.append) is None
    assert waits == []  # nothing being posted in that channel: no wait at all
    slack.send_command(REP, SALES, EXPLORING)  # an escalation whose post is never recorded
    assert reply("Ev0NOTHREAD2", waits.append) is None
    assert 0 < sum(waits) <= THREAD_WAIT_SECONDS + 0.1
    assert escalations(bot.ctx)[0].status == "open"


@pytest.mark.parametrize(
    ("reply", "verdict", "date"),
    [
        ("yes by Apr 1 2027", "committed", dt.date(2027, 4, 1)),
        ("not by then: Mar 1 is the earliest", "not_by_then", dt.date(2027, 3, 1)),
        ("not by then 2027-03-01 at the earliest", "not_by_then", dt.date(2027, 3, 1)),
        ("no - we won't build it", "no", None),
        ("not committed yet, ask again in January", "not_committed", None),
        ("Nope.", "no", None),
        ("yes by next month", "committed", dt.date(2026, 12, 31)),
        ("yes, end of next quarter", "committed", dt.date(2027, 3, 31)),
        ("yes, by the end of the month", "committed", dt.date(2026, 11, 30)),
        ("Definitely, by end of Q1", "committed", dt.date(2027, 3, 31)),
        ("Absolutely, by H1", "committed", dt.date(2027, 6, 30)),
        ("yup, mid-March", "committed", dt.date(2027, 3, 15)),
        # the rep's date, then the earliest: the answer is the earliest
        ("Not by March, earliest is June 1", "not_by_then", dt.date(2027, 6, 1)),
        ("not by Feb 1 - Apr 15 at the earliest", "not_by_then", dt.date(2027, 4, 15)),
        ("not by March", "not_by_then", None),  # the earliest is asked for
        ("Not planned", "not_committed", None),
        # a "no" that says when is not by then: it was "no", and the rep read "will not be
        # built" beside the PM's "earliest July 15"
        ("No way before Q3, earliest July 15", "not_by_then", dt.date(2027, 7, 15)),
        ("no, not before April", "not_by_then", None),
        ("not before Q2; earliest May 15", "not_by_then", dt.date(2027, 5, 15)),
        ("no, not by then; June 1 at the earliest", "not_by_then", dt.date(2027, 6, 1)),
        ("no, not this year", "no", None),
        ("No - we won't build it", "no", None),
        ("nope, declined", "no", None),
    ],
)
def test_thread_replies_in_the_words_pms_use(reply, verdict, date):
    from bot.escalations.posting import parse_verdict_reply

    parsed = parse_verdict_reply(reply, dt.date(2026, 11, 27))
    assert parsed is not None and parsed[:2] == (verdict, date)


@pytest.mark.parametrize(
    "reply",
    [
        "I'll check with the team",
        "maybe in Q2?",
        "nobody knows",
        "sure, let me check",
        # a hedged yes or no is nothing a rep can repeat to a customer: it was read as
        # "Committed, April 1" and "No, will not be built"
        "yes, April 1 probably",
        "no - but Q3 maybe",
        "yes, I think by March",
        # nor is a conditional one: "yes if they sign by Jan" was committed for Jan 31
        "yes if they sign by Jan",
        "Yes, March 1, provided legal signs off",
        "no, unless they pay for it",
        "yes - depends on the SAML work",
    ],
)
def test_what_is_not_an_answer_is_not_read_as_one(reply):
    from bot.escalations.posting import parse_verdict_reply

    assert parse_verdict_reply(reply, dt.date(2026, 11, 27)) is None


def test_an_owner_reply_in_own_words_answers_and_a_chat_gets_one_hint(bot, slack):
    slack.send_command(REP, SALES, EXPLORING)
    bot.deliver()
    root = escalation_root(slack)
    for text in ("let me check with the team", "still checking"):
        slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, text, thread_ts=root["ts"])
    bot.deliver()
    hints = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert len(hints) == 1 and hints[0]["user"] == PM_IDENTITY  # once, to the owner only
    assert "`yes, April 1`" in hints[0]["text"]
    assert escalations(bot.ctx)[0].status == "open"

    slack.send_message(
        PM_IDENTITY, IDENTITY_CHANNEL, "not by then: Apr 20 is the earliest", thread_ts=root["ts"]
    )
    bot.deliver()
    assert escalations(bot.ctx)[0].status == "answered"
    dm = [p for p in posts(slack) if p["channel"].startswith("D")][-1]
    assert "Apr 20, 2027" in message_text(dm)
