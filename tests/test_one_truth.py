"""One truth per item (issue 14): what canwe tells a rep never contradicts itself.

Each example of the issue, through the Slack stand-in: a PM answer is a fact compared with
each rep's own date; an exception holds for its deal only; answers have versions; the same
submission twice is one answer; a PM attaches answers only to their own items; the reuse
window is never shown as a date; two processes asking at once open one thread.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.digest.daily import run_digests
from bot.questions.asking import ask as ask_in_process
from store.db import session_scope
from store.models import Answer, Escalation, OutboxMessage, Promise, Question
from tests.conftest import ADMIN, load_roadmap, make_context, make_settings
from tests.helpers import (
    IDENTITY_CHANNEL,
    PM_IDENTITY,
    REP,
    REP2,
    SALES,
    SERVICES,
    TRIAGE,
    block_text,
    count,
    escalations,
    message_text,
    posts,
    questions,
)
from tests.test_digest import dm_digest
from tests.test_escalation_loop import answer_through_modal, click_answer, escalation_root
from tests.test_promises import ask, dms, exception_thread, promise_okta, promises

REP3 = "U0REP00003"
ENGINEER = "U0SERVENG1"
CONTRADICTIONS = ("valid until", "Valid until")


def answers(ctx) -> list[Answer]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(Answer).order_by(Answer.id)))


def told(slack, user, channel=None) -> list[str]:
    """What the bot told `user` about their questions: DMs, or replies in `channel`'s threads."""
    if channel is None:
        return dms(slack, user)
    return [message_text(p) for p in posts(slack, channel=channel) if p.get("thread_ts")]


def open_form(slack, user, root, verdict="committed", channel=IDENTITY_CHANNEL) -> dict:
    before = len([c for c in slack.calls("views.open") if c.ok])
    click_answer(slack, user, channel, root, verdict)
    opened = [c for c in slack.calls("views.open") if c.ok]
    assert len(opened) == before + 1, slack.dump()
    return list(slack.views.values())[-1]


def select_options(view: dict, block_id: str) -> list[str]:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return [o["value"] for o in block["element"]["options"]]


# ------------------------------------------------------------------ 1, 2: a fact, not a verdict


def test_a_pm_date_is_compared_with_each_reps_own_date(bot, slack):
    """'Committed · Yes … by Mar 1, 2027' sat above 'Answered by @Priya: not by then by
    Mar 1, 2027 (valid until Dec 30, 2026)'."""
    early = ask(slack, "okta sso for Globex by February 1", user=REP2)
    assert early["text"].startswith("Not by then")
    root = exception_thread(bot, slack)
    answer_through_modal(
        slack, PM_IDENTITY, root, verdict="not_by_then", date="2027-03-01", applies_to="item"
    )
    bot.deliver()
    [answer] = answers(bot.ctx)
    assert (answer.verdict, str(answer.promise_date)) == ("committed", "2027-03-01")

    later = ask(slack, "SSO with Okta for Initech by March 15", user=ENGINEER, channel=SERVICES)
    shown = message_text(later)
    assert later["text"].startswith("Committed") and "Mar 1, 2027" in later["text"]
    assert f"Answered by <@{PM_IDENTITY}>, Nov 27: can be promised from Mar 1, 2027" in shown
    assert "not by then" not in shown.lower()
    sooner = message_text(ask(slack, "okta sso for Hooli by February 15", user=REP3))
    assert sooner.startswith("Not by then") and "can be promised from Mar 1, 2027" in sooner
    for text in (shown, sooner, *dms(slack, REP2)):
        assert not any(word in text for word in CONTRADICTIONS), text


def test_the_message_says_which_wins_when_record_and_pm_differ(bot, slack):
    ask(slack, "yubikey for Acme by March 15", user=REP)  # ID-18 is exploring
    bot.deliver()
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack), date="2027-01-08")
    bot.deliver()
    body = ask(slack, "yubikey for Initech by February 1", user=REP2)
    shown = message_text(body)
    assert body["text"].startswith("Committed") and "Jan 8, 2027" in body["text"]
    assert "exploring" in shown  # the item's status, beside a yes:
    assert f"<@{PM_IDENTITY}>'s answer wins over the roadmap (status exploring)" in shown


# ------------------------------------------------------------------ 2: this deal only


def test_an_exception_for_one_deal_does_not_move_the_item_for_everyone(bot, slack):
    """'Yes for Globex: WebAuthn keys land in the Jan release' was told to every rep."""
    ask(slack, "yubikey for Globex by January 15", user=REP2)
    bot.deliver()
    answer_through_modal(
        slack,
        PM_IDENTITY,
        escalation_root(slack),
        date="2027-01-08",
        note="WebAuthn keys land in the Jan release",
        applies_to="deal",
    )
    bot.deliver()
    [relay] = dms(slack, REP2)
    assert "Yes, you can promise" in relay and "Jan 8, 2027" in relay
    assert "an exception for this deal only (Globex)" in relay
    assert "wins over the roadmap (status exploring) for this customer only" in relay

    other = ask(slack, "yubikey for Initech by March 1", user=REP3)
    assert other["text"].startswith("Not committed")
    assert "Jan 8" not in message_text(other) and "Jan release" not in message_text(other)
    assert len(escalations(bot.ctx)) == 2  # Initech's question goes to the PM again

    same_deal = ask(slack, "webauthn for GLOBEX by February 1", user=REP)
    assert same_deal["text"].startswith("Committed") and "Jan 8, 2027" in same_deal["text"]


def test_an_exception_answered_for_one_deal_does_not_flag_anothers_promise(bot, slack):
    """An exception answered for Initech moved the item and flagged Riley's promise to Acme."""
    promise_okta(bot, slack)  # REP promised Okta SSO to Acme by Mar 15
    root = exception_thread(bot, slack)  # REP2 asks an exception for Globex by Dec 4
    answer_through_modal(
        slack, PM_IDENTITY, root, verdict="not_by_then", date="2027-04-30", note="Okta review"
    )
    bot.deliver()
    [answer] = answers(bot.ctx)
    assert (answer.scope, answer.customer) == ("deal", "Globex")  # the exception's default
    assert dms(slack, REP) == []
    [promise] = promises(bot.ctx)
    assert promise.alerted_state is None
    listed = block_text(ask(slack, "promises")["blocks"])
    assert "at risk" not in listed and "Apr 30" not in listed
    assert "Apr 30, 2027" in dms(slack, REP2)[-1]  # Globex's rep does hear it


def test_a_thread_reply_can_say_every_deal_or_this_deal_only(bot, slack):
    root = exception_thread(bot, slack)
    slack.send_message(
        PM_IDENTITY, IDENTITY_CHANNEL, "yes by 2027-02-01, for every deal", thread_ts=root["ts"]
    )
    bot.deliver()
    assert [a.scope for a in answers(bot.ctx)] == ["item"]
    anyone = ask(slack, "okta sso for Initech by February 10", user=REP3)
    assert anyone["text"].startswith("Committed") and "Feb 1, 2027" in anyone["text"]


# ------------------------------------------------------------------ 3: versions


def test_answering_again_replaces_the_answer_and_tells_what_changed(bot, slack):
    """A PM clicked the answer button of an old digest and answered again: the reps got two
    contradictory DMs with no word that the second replaces the first."""
    slack.add_user(PM_IDENTITY, "identity-pm")
    ask(slack, "can we promise yubikey support to Acme by March 15? $200k", user=REP)
    slack.send_mention(REP2, SALES, "yubikey support for Globex by April 1")
    bot.deliver()
    root = escalation_root(slack)
    run_digests(bot.ctx)  # the PM's DM digest, with answer buttons
    bot.deliver()
    digest = dm_digest(slack, PM_IDENTITY)[0]
    answer_through_modal(slack, PM_IDENTITY, root, verdict="not_committed", date=None)
    bot.deliver()
    assert len(dms(slack, REP)) == 1

    # the old button, in yesterday's digest
    form = open_form(slack, PM_IDENTITY, digest, verdict="not_by_then", channel=digest["channel"])
    shown = json.dumps(form)
    assert "Already answered by" in shown and "replaces" in shown
    verdict = next(b for b in form["blocks"] if b.get("block_id") == "verdict")
    # the button clicked picks the verdict; the rest of the current answer is filled in
    assert verdict["element"]["initial_option"]["value"] == "not_by_then"
    assert form["submit"]["text"] == "Replace answer"
    response = slack.send_view_submission(
        PM_IDENTITY,
        form["id"],
        {"verdict": {"verdict": "not_by_then"}, "date": {"date": "2027-06-30"}},
    )
    assert response.status_code == 200 and not response.content.strip(b"{}")
    bot.deliver()

    first, update = dms(slack, REP)
    assert "Not committed" in first
    assert "Updated answer" in update and "replaces the earlier one" in update
    assert "Was: not committed" in update and "Now: can be promised from Jun 30, 2027" in update
    assert "Not by then" in update  # Acme needs it by Mar 15
    mention_replies = told(slack, REP2, SALES)
    assert "Updated answer" in mention_replies[-1] and "Jun 30, 2027" in mention_replies[-1]
    old, new = answers(bot.ctx)
    assert old.replaced_at is not None and new.replaced_at is None
    thread = [message_text(m) for m in slack.thread(IDENTITY_CHANNEL, root["ts"])]
    assert any("Replaces the earlier answer: not committed" in t for t in thread)

    later = ask(slack, "yubikey for Initech by December 1, 2027", user=REP3)
    assert later["text"].startswith("Committed") and "Jun 30, 2027" in later["text"]
    # someone who heard the first version and asks again is told this one replaces it
    assert "This updated answer replaces the one of Nov 27: not committed" in message_text(later)

    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, "no, dropped", thread_ts=root["ts"])
    bot.deliver()
    assert "Updated answer" in dms(slack, REP)[-1] and "Was: can be promised" in dms(slack, REP)[-1]
    assert [a.replaced_at is None for a in answers(bot.ctx)] == [False, False, True]


def test_the_same_submission_arriving_again_is_one_answer(bot, slack):
    """One signed answer-form submission sent three times stored three answers."""
    ask(slack, "yubikey for Acme by March 15", user=REP)
    ask(slack, "yubikey for Globex by April 1", user=REP2)
    bot.deliver()
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack), date="2027-02-26")
    [submitted] = [s for s in slack.sent if s.kind == "view_submission"]
    for _ in range(2):
        again = slack.send_signed(
            urlencode(submitted.body).encode(),
            "application/x-www-form-urlencoded",
            kind="view_submission",
        )
        assert again.status_code == 200
    bot.deliver()
    assert len(answers(bot.ctx)) == 1
    assert len(dms(slack, REP)) == 1 and len(dms(slack, REP2)) == 1


def test_the_same_thread_message_arriving_again_is_one_answer(bot, slack):
    ask(slack, "yubikey for Acme by March 15", user=REP)
    bot.deliver()
    root = escalation_root(slack)
    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, "no, not this year", thread_ts=root["ts"])
    [reply] = [m for m in slack.thread(IDENTITY_CHANNEL, root["ts"]) if m["user"] == PM_IDENTITY]
    # the same message again under another event id (as message and mention events do)
    slack.send_message(
        PM_IDENTITY, IDENTITY_CHANNEL, "no, not this year", thread_ts=root["ts"], ts=reply["ts"]
    )
    bot.deliver()
    assert len(answers(bot.ctx)) == 1 and len(dms(slack, REP)) == 1


# ------------------------------------------------------------------ 4: only the owner's items


def test_a_pm_attaches_answers_only_to_items_of_their_areas(bot, slack):
    """The Identity PM answered with the key of a declined Integrations item."""
    ask(slack, "yubikey for Acme by March 15", user=REP)
    bot.deliver()
    root = escalation_root(slack)
    form = open_form(slack, PM_IDENTITY, root)
    offered = select_options(form, "item_key")
    assert offered[0] == "ID-18" and all(key.startswith("ID-") for key in offered)
    item = next(b for b in form["blocks"] if b.get("block_id") == "item_key")
    assert item["element"]["initial_option"]["value"] == "ID-18"

    forged = slack.send_view_submission(
        PM_IDENTITY,
        form["id"],
        {
            "verdict": {"verdict": "committed"},
            "date": {"date": "2027-05-01"},
            # not among the options: a forged submission, checked again on submit
            "item_key": {
                "item_key": {"value": "INT-19", "text": {"type": "plain_text", "text": "INT-19"}}
            },
        },
    )
    assert forged.json()["response_action"] == "errors"
    assert "not an item of your areas" in forged.json()["errors"]["item_key"]
    assert answers(bot.ctx) == [] and escalations(bot.ctx)[0].status == "open"
    assert "INT-19" in select_options(open_form(slack, ADMIN, root), "item_key")  # admins: any


def test_an_answer_naming_an_item_that_has_shipped_is_relayed_as_available(bot, slack):
    """The PM answered "yes, by Mar 1" and named an item that has shipped: the roadmap wins
    over the date, and the rep hears both who answered and that it is available today."""
    slack.send_command(REP, SALES, "quantum teleportation for Acme")
    bot.deliver()
    submitted = answer_through_modal(
        slack, ADMIN, escalation_root(slack, TRIAGE), date="2027-03-01", item="ID-1", channel=TRIAGE
    )
    assert submitted.status_code == 200 and submitted.text == ""
    bot.deliver()
    [relay] = dms(slack, REP)
    assert f"<@{ADMIN}> answered your question" in relay
    assert "Available" in relay and "SAML single sign-on" in relay
    [answer] = answers(bot.ctx)
    [question] = questions(bot.ctx)
    assert (question.status, question.answer_id) == ("answered", answer.id)


def test_an_unmatched_question_answered_without_an_item_is_relayed(bot, slack):
    slack.send_command(REP, SALES, "quantum teleportation for Acme")
    bot.deliver()
    root = escalation_root(slack, TRIAGE)
    slack.send_message(ADMIN, TRIAGE, "no, never", thread_ts=root["ts"])
    bot.deliver()
    [relay] = dms(slack, REP)
    assert "No" in relay and "never" in relay and "can be promised" not in relay


# ------------------------------------------------------------------ 5: reuse is not a date


def test_the_rep_sees_who_answered_and_when_never_a_reuse_date(bot, slack):
    """Every PM answer read 'valid until' a date 30 days out, often before the date promised."""
    ask(slack, "yubikey for Acme by December 1, 2027", user=REP)
    bot.deliver()
    answer_through_modal(slack, PM_IDENTITY, escalation_root(slack), date="2027-06-30")
    bot.deliver()
    reused = ask(slack, "yubikey for Initech by December 1, 2027", user=REP2)
    for text in (*dms(slack, REP), message_text(reused)):
        assert f"Answered by <@{PM_IDENTITY}>, Nov 27" in text
        assert "valid" not in text.lower() and "Dec 27" not in text


# ------------------------------------------------------------------ 6: concurrency


def _race(contexts, text: str, reps: int, tag: str) -> list[BaseException]:
    barrier = threading.Barrier(reps)
    errors: list[BaseException] = []

    def rep(n: int) -> None:
        ctx = contexts[n % len(contexts)]
        try:
            barrier.wait(timeout=10)
            with session_scope(ctx.sessions) as session:
                ask_in_process(
                    session=session,
                    ctx=ctx,
                    raw_text=text,
                    asker_id=f"U0RACE{n:04d}",
                    channel_id=SALES,
                    source="command",
                    request_key=f"race:{tag}:{n}",
                )
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)

    threads = [threading.Thread(target=rep, args=(n,)) for n in range(reps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
def test_the_same_new_question_on_two_processes_opens_one_thread(pg_url, clock):
    """Eight reps, two `canwe serve` processes, one PostgreSQL: two PM threads every time."""
    settings = make_settings(pg_url)
    processes = [make_context(settings, clock) for _ in range(2)]
    try:
        load_roadmap(processes[0])
        rounds = [
            ("yubikey support for Acme by March 15", "item"),
            *[(f"a quantum teleporter in flavour {n} for Hooli", f"text{n}") for n in range(4)],
        ]
        for text, tag in rounds:
            assert _race(processes, text, reps=8, tag=tag) == []
        ctx = processes[0]
        assert count(ctx, Question) == 8 * len(rounds)
        assert count(ctx, Escalation) == len(rounds)
        with session_scope(ctx.sessions) as session:
            threads_of = {
                tag: set(
                    session.scalars(
                        select(Question.escalation_id).where(
                            Question.request_key.like(f"race:{tag}:%")
                        )
                    )
                )
                for _, tag in rounds
            }
        assert all(len(ids) == 1 and None not in ids for ids in threads_of.values()), threads_of
        roots = count(ctx, OutboxMessage, OutboxMessage.dedupe_key.like("escalation:%"))
        joined = count(ctx, OutboxMessage, OutboxMessage.dedupe_key.like("escalation:%:watcher:%"))
        updated = count(ctx, OutboxMessage, OutboxMessage.dedupe_key.like("escalation:%:joined:%"))
        assert roots - joined - updated == len(rounds)  # one thread posted per question
        assert joined == 7 * len(rounds)  # everyone else joined it, and the PM hears of it
        assert updated == 7 * len(rounds)  # and the post shows each of them
    finally:
        for process in processes:
            process.engine.dispose()


def test_promises_follow_the_answer_for_their_own_deal(bot, slack):
    """A promise to Globex made on Globex's exception is checked against that exception."""
    ask(slack, "yubikey for Globex by March 1", user=REP)
    bot.deliver()
    answer_through_modal(
        slack, PM_IDENTITY, escalation_root(slack), date="2027-01-08", applies_to="deal"
    )
    bot.deliver()
    [question] = [q for q in questions(bot.ctx) if q.asker_id == REP]
    message = [
        m for m in slack.messages("D" + REP) if "mark_promised" in block_text(m.get("blocks"))
    ]
    assert message, dms(slack, REP)
    slack.send_block_action(
        REP, "D" + REP, message[-1]["ts"], "mark_promised", value=str(question.id)
    )
    [promise] = promises(bot.ctx)
    assert (promise.customer, str(promise.promised_date)) == ("Globex", "2027-03-01")
    listed = block_text(ask(slack, "promises")["blocks"])
    assert "at risk" not in listed and "Jan 8, 2027" in listed
    assert count(bot.ctx, Promise, Promise.alerted_state.is_not(None)) == 0


def test_a_pm_saying_not_committed_about_a_committed_item_says_which_wins(bot, slack):
    root = exception_thread(bot, slack)  # ID-12 is committed, safe from Mar 1, 2027
    answer_through_modal(
        slack,
        PM_IDENTITY,
        root,
        verdict="not_committed",
        date=None,
        applies_to="item",
        note="Okta is on hold",
    )
    bot.deliver()
    body = ask(slack, "okta sso for Initech by June 1", user=REP3)
    shown = message_text(body)
    assert body["text"].startswith("Not committed")
    assert "is committed, not committed" not in shown and "Yes" not in shown
    assert "the PM says" in shown and "wins over the roadmap (committed, Mar 1, 2027)" in shown


def test_a_casual_no_in_an_answered_thread_is_a_comment_not_a_new_answer(bot, slack):
    ask(slack, "yubikey for Acme by March 15", user=REP)
    bot.deliver()
    root = escalation_root(slack)
    answer_through_modal(slack, PM_IDENTITY, root, date="2027-02-26")
    bot.deliver()
    slack.send_message(PM_IDENTITY, IDENTITY_CHANNEL, "no problem, thanks!", thread_ts=root["ts"])
    bot.deliver()
    assert len(answers(bot.ctx)) == 1
    assert "Comment from" in dms(slack, REP)[-1] and "Updated answer" not in dms(slack, REP)[-1]


# ------------------------------------------------------------------ one rep, two answers


def test_an_answer_that_differs_from_what_the_rep_was_told_says_it_replaces_it(bot, slack):
    """A rep told 'Mar 1' who asks again after the PM moved the date must not get 'Apr 1'
    as if it were the first word on it."""
    first = ask(slack, "SSO with Okta for Acme by March 15", user=REP)
    assert "Mar 1, 2027" in first["text"]
    root = exception_thread(bot, slack)
    answer_through_modal(
        slack, PM_IDENTITY, root, verdict="not_by_then", date="2027-04-01", applies_to="item"
    )
    bot.deliver()

    again = message_text(ask(slack, "okta single sign-on for Acme by May 1", user=REP))
    assert "can be promised from Apr 1, 2027" in again
    assert "This replaces what you were told on Nov 27 (can be promised from Mar 1, 2027)" in again
    # told the same since: nothing to replace, even for a date that turns the verdict
    third = ask(slack, "okta SSO for Acme by March 20", user=REP)
    assert third["text"].startswith("Not by then") and "replaces" not in message_text(third)
    # another rep was never told Mar 1
    assert "replaces" not in message_text(ask(slack, "okta sso for Hooli by May 1", user=REP3))


def test_marketing_is_told_an_answer_changed_without_internal_dates(bot, slack):
    ask(slack, "SSO with Okta", user=REP3, channel=SALES)
    root = exception_thread(bot, slack)
    answer_through_modal(slack, PM_IDENTITY, root, verdict="not_committed", applies_to="item")
    bot.deliver()
    set_audience = slack.send_command(ADMIN, "C0MARKETNG", "audience marketing")
    assert "marketing" in message_text(set_audience.json())
    later = message_text(ask(slack, "okta single sign-on", user=REP3, channel="C0MARKETNG"))
    assert "This replaces what you were told on Nov 27." in later
    assert "Mar 1" not in later
