"""/canwe and @canwe end to end: signed HTTP into the real app, answers checked at the stand-in."""

from __future__ import annotations

import json
import time

import pytest

from store.db import session_scope
from store.models import Question
from tests.helpers import REP, REP2, SALES, block_text, count, posts, questions


def ack_body(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_committed_item_gets_a_yes_with_a_safe_date(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15"))
    text = block_text(body["blocks"])
    assert body["response_type"] == "ephemeral"
    assert "Committed" in body["text"]
    assert "Single sign-on with Okta" in text and "ID-12" in text
    first_line = body["blocks"][0]["text"]["text"]
    assert "Yes, you can promise" in first_line and "Mar 1, 2027" in first_line
    # how sure, in one short line; the reasoning one click away, no match scores
    assert "How sure: the team's target release" in text
    assert "from 25 finished tasks of Identity" in text and "%)" not in text
    assert "Why this date?" in text
    assert "<@U0PMIDENT1>" in text  # who owns it
    stored = questions(bot.ctx)
    assert len(stored) == 1
    assert (stored[0].customer, stored[0].verdict, str(stored[0].needed_by)) == (
        "Acme",
        "committed",
        "2027-03-15",
    )


def test_shipped_item_is_available(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "do we have salesforce sync?"))
    assert body["text"].startswith("Available")


def test_date_too_early_is_not_by_then_with_an_exception_button(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "Teams notifications for Globex by December 4"))
    assert body["text"].startswith("Not by then")
    assert "ask_exception" in block_text(body["blocks"])


@pytest.mark.parametrize(
    "text",
    [
        # the date without "by" was not read: the rep was told "Yes ... by Jun 30, 2027"
        "BYOK for Globex before their renewal on Feb 28",
        # Slack's formatting hid the customer and the date: "Unknown", and a PM was asked
        "*BYOK* for *Globex* by _Feb 28_",
    ],
)
def test_the_date_a_rep_needs_is_read_however_it_is_written(bot, slack, text):
    body = ack_body(slack.send_command(REP, SALES, text))
    assert body["text"].startswith("Not by then"), body["text"]
    assert "Not by Feb 28, 2027" in body["text"]
    stored = questions(bot.ctx)[0]
    assert (stored.customer, str(stored.needed_by)) == ("Globex", "2027-02-28")


def test_a_deadline_said_as_a_holiday_is_the_date_the_rep_needs(bot, slack):
    """ "… before Christmas" was ignored: the rep read "Yes, you can promise … by Apr 30, 2027"
    with nothing to say it was months too late."""
    body = ack_body(slack.send_command(REP, SALES, "Teams notifications for Globex before Xmas"))
    assert body["text"].startswith("Not by then") and "Not by Dec 25, 2026" in body["text"]
    # a holiday whose day moves is not guessed, and the rep is told
    body = ack_body(slack.send_command(REP2, SALES, "Teams notifications for Globex by Easter"))
    assert "I could not read “Easter” as a date" in block_text(body["blocks"])


def test_the_customer_who_asks_is_the_deals_customer(bot, slack):
    """'Acme needs …' was stored without a customer: the PM saw none, and the rep could not
    mark the answer promised ("Name the customer ...")."""
    body = ack_body(slack.send_command(REP, SALES, "Acme needs SSO with Okta by March 15"))
    assert body["text"].startswith("Committed")
    assert "mark_promised" in block_text(body["blocks"])
    assert questions(bot.ctx)[0].customer == "Acme"


def test_declined_item_is_no(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "on-premise deployment for Initech"))
    assert body["text"].startswith("No")


@pytest.mark.parametrize("text", ["", "help", "   "])
def test_empty_command_shows_usage_and_stores_nothing(bot, slack, text):
    body = ack_body(slack.send_command(REP, SALES, text))
    assert "/canwe SSO with Okta for Acme by March 15" in block_text(body["blocks"])
    assert count(bot.ctx, Question) == 0


def test_a_usage_example_pasted_whole_is_read_past_its_command(bot, slack):
    """The usage message shows `/canwe SSO with Okta for Acme by March 15`; reps paste it."""
    body = ack_body(slack.send_command(REP, SALES, "/canwe help"))
    assert "/canwe SSO with Okta for Acme by March 15" in block_text(body["blocks"])
    assert count(bot.ctx, Question) == 0
    body = ack_body(slack.send_command(REP, SALES, "/canwe SSO with Okta for Acme by March 15"))
    assert body["text"].startswith("Committed")
    assert slack.send_mention(REP2, SALES, "/canwe SCIM for Acme by Q2").status_code == 200
    bot.deliver()
    assert "SCIM 2.0 user provisioning" in block_text(posts(slack, channel=SALES)[0]["blocks"])
    assert [q.text for q in questions(bot.ctx)] == [
        "SSO with Okta for Acme by March 15",
        "SCIM for Acme by Q2",
    ]


def test_mention_is_answered_in_its_thread(bot, slack):
    response = slack.send_mention(REP, SALES, "can we promise SCIM provisioning to Acme by Q2?")
    assert response.status_code == 200
    bot.deliver()
    replies = posts(slack, channel=SALES)
    assert len(replies) == 1
    mention_ts = next(m["ts"] for m in slack.messages(SALES) if m.get("user") == REP)
    assert replies[0]["thread_ts"] == mention_ts
    assert "SCIM 2.0 user provisioning" in block_text(replies[0]["blocks"])


def test_a_follow_up_in_the_thread_is_about_the_threads_feature(bot, slack):
    """'what about Globex, by Feb 1?' under an answer got "Which feature do you mean?"."""
    slack.send_mention(REP, SALES, "Teams notifications for Acme by June 30")
    bot.deliver()
    root = next(m["ts"] for m in slack.messages(SALES) if m.get("user") == REP)
    slack.send_mention(REP, SALES, "what about Globex, by Dec 4?", thread_ts=root)
    bot.deliver()
    later = [p for p in posts(slack, channel=SALES) if p.get("thread_ts") == root][-1]
    assert later["text"].startswith("Not by then"), later["text"]
    assert "Microsoft Teams notifications" in block_text(later["blocks"])
    first, follow_up = questions(bot.ctx)
    assert (follow_up.customer, str(follow_up.needed_by)) == ("Globex", "2026-12-04")
    assert follow_up.item_id == first.item_id
    # ... a feature of its own is asked about
    slack.send_mention(REP, SALES, "and SCIM?", thread_ts=root)
    bot.deliver()
    later = [p for p in posts(slack, channel=SALES) if p.get("thread_ts") == root][-1]
    assert "SCIM 2.0 user provisioning" in block_text(later["blocks"])
    # ... and with no question in the thread it is still asked which feature
    slack.send_mention(REP2, SALES, "what about Initech?")
    bot.deliver()
    assert count(bot.ctx, Question) == 3
    # ... while a question worded so that names a feature is that feature's, even unknown
    body = ack_body(slack.send_command(REP2, SALES, "what about dark mode for Acme?"))
    assert body["text"].startswith("Unknown"), body["text"]
    slack.send_mention(REP, SALES, "what about dark mode?", thread_ts=root)
    bot.deliver()
    later = [p for p in posts(slack, channel=SALES) if p.get("thread_ts") == root][-1]
    assert later["text"].startswith("Unknown"), later["text"]
    assert questions(bot.ctx)[-1].customer is None


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("dark mode for Acme", "I will send it to you in a DM"),  # not "bring it here"
        ("on-premise deployment for Initech", "Not what I meant"),
    ],
)
def test_a_double_submit_is_told_what_the_first_was(bot, slack, words, said):
    first = ack_body(slack.send_command(REP, SALES, words))
    again = ack_body(slack.send_command(REP, SALES, words))
    assert len(questions(bot.ctx)) == 1
    assert said in block_text(first["blocks"]) and said in block_text(again["blocks"])


def test_the_same_command_again_at_once_is_answered_from_the_first_question(bot, slack, clock):
    """A slash command has no id of its own: the same rep sending the same words in the same
    channel within two minutes is a double submit; later, or elsewhere, it is a new question."""
    words = "SSO with Okta for Acme by March 15"
    first = ack_body(slack.send_command(REP, SALES, words))
    clock.advance(seconds=119)
    again = ack_body(slack.send_command(REP, SALES, words))
    assert again["text"] == first["text"] and len(questions(bot.ctx)) == 1
    ack_body(slack.send_command(REP2, SALES, words))  # another rep
    ack_body(slack.send_command(REP, "C0SALES002", words))  # another channel
    ack_body(slack.send_command(REP, SALES, "SCIM provisioning for Acme"))  # other words
    assert len(questions(bot.ctx)) == 4
    clock.advance(seconds=2)  # two minutes after the first
    ack_body(slack.send_command(REP, SALES, words))
    assert len(questions(bot.ctx)) == 5


def test_the_same_event_three_times_makes_one_question_and_one_reply(bot, slack):
    for retry in (None, 1, 2):
        response = slack.send_mention(
            REP,
            SALES,
            "salesforce sync for Acme",
            event_id="Ev0SAME0001",
            ts="1790000000.000100",
            retry_num=retry,
        )
        assert response.status_code == 200
    bot.deliver()
    assert count(bot.ctx, Question) == 1
    assert len(posts(slack, channel=SALES)) == 1


def test_a_double_submitted_command_stores_one_question(bot, slack):
    first = ack_body(slack.send_command(REP, SALES, "audit log export for Acme"))
    second = ack_body(slack.send_command(REP, SALES, "audit log export for Acme"))
    assert first["text"] == second["text"]
    assert count(bot.ctx, Question) == 1


def test_forged_signature_is_refused_and_nothing_is_stored(bot, slack):
    body = b"command=%2Fcanwe&text=salesforce&user_id=U1&channel_id=C1&trigger_id=t1"
    response = slack.send_signed(
        body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64
    )
    assert response.status_code == 401
    assert count(bot.ctx, Question) == 0


def test_stale_timestamp_is_refused(bot, slack):
    body = b"command=%2Fcanwe&text=salesforce&user_id=U1&channel_id=C1&trigger_id=t2"
    response = slack.send_signed(
        body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
    )
    assert response.status_code == 401
    assert count(bot.ctx, Question) == 0


def test_health_answers_when_the_database_is_reachable(bot):
    import httpx

    response = httpx.get(f"{bot.url}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


# ------------------------------------------------------------------ bad input


def test_broadcasts_mentions_and_links_are_never_echoed(bot, slack):
    text = "<!channel> <!here> <@U0BOSS0001> SSO with Okta <http://evil.example|click here> *now*"
    body = ack_body(slack.send_command(REP, SALES, text))
    rendered = json.dumps(body)
    for forbidden in ("<!channel>", "<!here>", "<@U0BOSS0001>", "<http://evil", "evil.example"):
        assert forbidden not in rendered
    assert "click here" in rendered  # the label survives as plain text


def test_forty_thousand_characters_are_never_answered_from_their_first_part(bot, slack):
    """What was cut off could change the answer (another feature, another customer)."""
    body = ack_body(slack.send_command(REP, SALES, "okta sso " + "a" * 40_000))
    assert "40,009 characters long" in block_text(body["blocks"])
    assert "Committed" not in body["text"] and count(bot.ctx, Question) == 0


@pytest.mark.parametrize("text", [":tada: :rocket:", "🎉🚀", "\x00\x01\x02", "?!?"])
def test_text_without_words_gets_usage(bot, slack, text):
    body = ack_body(slack.send_command(REP, SALES, text))
    assert "Examples" in block_text(body["blocks"])
    assert count(bot.ctx, Question) == 0


def test_sql_fragments_are_just_text(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "'; DROP TABLE questions; -- okta sso"))
    assert body["text"]
    assert count(bot.ctx, Question) == 1


def test_past_date_is_called_out(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "salesforce sync for Acme by 2026-01-15"))
    assert "has already passed" in block_text(body["blocks"])


def test_unparseable_date_is_ignored_and_said(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "salesforce sync for Acme by 31/31"))
    assert "could not read" in block_text(body["blocks"])
    assert questions(bot.ctx)[0].needed_by is None


def test_questions_are_answered_while_slack_is_unreachable(bot, slack):
    slack.fail("auth.test", status=503, times=None)
    body = ack_body(slack.send_command(REP, SALES, "do we have salesforce sync?"))
    assert body["text"].startswith("Available")


def test_a_database_failure_gets_a_clear_message_and_stores_nothing(bot, slack):
    from sqlalchemy import text

    with bot.ctx.engine.begin() as connection:  # the store breaks under the bot
        connection.execute(text("ALTER TABLE questions RENAME TO questions_gone"))
    body = ack_body(slack.send_command(REP, SALES, "salesforce sync for Acme"))
    assert body["response_type"] == "ephemeral"
    assert "something went wrong on our side (error " in body["text"]
    assert "was not saved" in body["text"]
    with bot.ctx.engine.begin() as connection:
        connection.execute(text("ALTER TABLE questions_gone RENAME TO questions"))
    assert count(bot.ctx, Question) == 0


# ------------------------------------------------------------------ what is not a question


def nothing_reached_a_pm(bot, slack):
    from bot.digest.daily import build_digests

    assert count(bot.ctx, Question) == 0
    assert posts(slack) == []  # no triage or PM channel post, no DM
    with session_scope(bot.ctx.sessions) as session:
        assert build_digests(session=session, ctx=bot.ctx, day=bot.ctx.today()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("promisses", "Did you mean `/canwe promises`?"),
        ("audiance", "Did you mean `/canwe audience`?"),
        ("hi", "Which feature do you mean?"),
        ("can we promise this?", "Which feature do you mean?"),
        # one word nothing resembles, and no deal: the rep is told how to have it asked
        ("blorptastic", "I found nothing on the roadmap called “blorptastic”"),
        ("do we have SOC2?", "`/canwe SOC2 for Acme by March 15`"),
        ("by March 15", "Which feature do you mean?"),  # a date, a deal, no feature
        ("for Acme by Q2, $120k", "Which feature do you mean?"),
        ("what's on the roadmap?", "Which feature do you mean?"),
        # asking after something without naming it: "status?" was offered Jira issue linking
        ("status?", "Which feature do you mean?"),
        ("any update?", "Which feature do you mean?"),
    ],
)
def test_typos_and_text_without_a_feature_are_never_escalated(bot, slack, text, expected):
    body = ack_body(slack.send_command(REP, SALES, text))
    assert body["response_type"] == "ephemeral"
    assert expected in block_text(body["blocks"]) and "/canwe SSO with Okta" in body["text"] + (
        block_text(body["blocks"])
    )
    bot.deliver()
    nothing_reached_a_pm(bot, slack)


def test_one_word_the_roadmap_lacks_with_a_deal_is_a_question_for_the_pm(bot, slack):
    """ "SOC2 for Acme by March 15" got "Which feature do you mean?", however often asked."""
    body = ack_body(slack.send_command(REP, SALES, "SOC2 for Acme by March 15"))
    assert body["text"].startswith("Unknown")
    bot.deliver()
    [stored] = questions(bot.ctx)
    assert (stored.customer, stored.status) == ("Acme", "escalated")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Ask me whether a feature can be promised"),
        ("help", "Ask me whether a feature can be promised"),
        ("hey, can you help me?", "Ask me whether a feature can be promised"),
        ("<@UCANWEBOT> help", "Ask me whether a feature can be promised"),  # named twice
        ("promisses", "Did you mean `/canwe promises`?"),
        ("hello!", "Which feature do you mean?"),
    ],
)
def test_a_mention_that_is_not_a_question_gets_usage_only_the_asker_sees(
    bot, slack, text, expected
):
    assert slack.send_mention(REP, SALES, text).status_code == 200
    bot.deliver()
    [reply] = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert reply["user"] == REP and reply["thread_ts"]
    assert expected in block_text(reply["blocks"])
    assert count(bot.ctx, Question) == 0
    assert [c for c in slack.calls("chat.postMessage") if c.ok] == []


def test_a_subcommand_by_mention_is_answered_privately(bot, slack):
    slack.send_mention(REP, SALES, "audience")
    bot.deliver()
    [reply] = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert reply["user"] == REP and "sales" in block_text(reply["blocks"]).lower()
    assert count(bot.ctx, Question) == 0


# ------------------------------------------------------------------ reading a question right


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("blockchain ledger export to SAP for Initech", "Initech"),
        ("SAP ERP connector for acme by March 15", "Acme"),
        ("connector to SAP by March 15", None),  # SAP is what the item connects to
        ("okta sso for acme corp, $80k", "Acme Corp"),
        # the feature right after "promise" was taken for the customer, and the rep got
        # "Which feature do you mean?"
        ("can we promise SCIM by the 15th?", None),
        ("can we promise HubSpot by March 15", None),
        ("can we promise HubSpot to Globex by March 15", "Globex"),
    ],
)
def test_the_customer_follows_for_and_is_never_a_name_the_item_mentions(bot, slack, text, customer):
    ack_body(slack.send_command(REP, SALES, text))
    [question] = questions(bot.ctx)
    assert question.customer == customer


def test_a_question_naming_several_features_is_not_answered_for_one(bot, slack):
    body = ack_body(
        slack.send_command(
            REP, SALES, "SSO with Okta, SCIM provisioning and audit log export for Acme"
        )
    )
    text = block_text(body["blocks"])
    assert "names 3 features" in text
    assert "Single sign-on with Okta" in text and "SCIM 2.0" in text and "Audit log export" in text
    assert "Committed" not in body["text"] and count(bot.ctx, Question) == 0


@pytest.mark.parametrize(
    ("text", "answered"),
    [
        # it was answered for SCIM alone ("Yes, by Jan 29"), a date Okta SSO does not make
        ("Okta SSO with SCIM deprovisioning for Acme", None),
        ("SSO with Okta for Acme", "Single sign-on with Okta"),  # "with" in its own title
        ("webhooks with retries for Acme", "Outbound webhooks with retries"),
    ],
)
def test_two_features_joined_by_with_are_not_answered_for_one(bot, slack, text, answered):
    body = ack_body(slack.send_command(REP, SALES, text))
    if answered is None:
        assert "names 2 features" in block_text(body["blocks"])
    else:
        assert answered in body["text"] and "features" not in body["text"]


def test_a_feature_the_rep_rules_out_is_not_another_feature_asked_about(bot, slack):
    """ "Teams notifications, not Slack" got "That question names 2 features": Teams and the
    Slack app home the rep had just ruled out."""
    body = ack_body(slack.send_command(REP, SALES, "Teams notifications, not Slack, for Acme"))
    assert body["text"].startswith("Committed") and "Microsoft Teams" in body["text"]


def test_by_yesterday_is_read_and_called_out_right_under_the_verdict(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "okta sso for Acme by yesterday"))
    assert "has already passed" in block_text(body["blocks"][1:2])


def test_why_this_date_shows_the_reasoning_to_whoever_clicks(bot, slack):
    ack_body(slack.send_command(REP, SALES, "SSO with Okta for Acme by March 15"))
    [question] = questions(bot.ctx)
    [answer] = [m for m in slack.messages(SALES) if m.get("ephemeral_to") == REP]
    response = slack.send_block_action(REP, SALES, answer["ts"], "why_date", value=str(question.id))
    assert response.status_code == 200
    [told] = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    said = block_text(told["blocks"])
    assert told["user"] == REP
    assert "80% likely by" in said and "based on 25 finished tasks of team Identity" in said
    assert "Team's target release:* Mar 1, 2027" in said


def test_a_deal_value_keeps_its_currency_everywhere_it_is_shown(bot, slack):
    body = ack_body(slack.send_command(REP, SALES, "yubikey support for Acme by March 15, €80k"))
    assert "deal €80k" in block_text(body["blocks"]) and "$80k" not in block_text(body["blocks"])
    slack.send_command(REP2, SALES, "yubikey support for Globex by March 20, $150k")
    bot.deliver()
    [question, _] = questions(bot.ctx)
    assert (question.deal_value, question.deal_currency) == (80_000, "EUR")
    [root] = [m for m in slack.messages("C0PMIDENT1") if not m.get("thread_ts")]
    post = block_text(root["blocks"])
    assert "deal €80k" in post and "€80k + $150k in deals" in post  # never added across


def test_two_helps_in_one_thread_get_two_replies(bot, slack):
    slack.send_mention(REP, SALES, "help")
    [mention] = [m for m in slack.messages(SALES) if m.get("user") == REP]
    thread_ts = mention["ts"]
    slack.send_mention(REP, SALES, "help", thread_ts=thread_ts)
    slack.send_mention(REP, SALES, "audiance", thread_ts=thread_ts)
    bot.deliver()
    replies = [c.args for c in slack.calls("chat.postEphemeral") if c.ok]
    assert [r["thread_ts"] for r in replies] == [thread_ts] * 3  # all in the one thread
    assert "Did you mean" in block_text(replies[-1]["blocks"])


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
def test_an_uninstall_in_single_token_mode_is_acknowledged_and_logged(bot, slack, caplog, kind):
    with caplog.at_level("WARNING"):
        assert slack.send_event({"type": kind}).status_code == 200
    assert "SLACK_BOT_TOKEN no longer works" in caplog.text
