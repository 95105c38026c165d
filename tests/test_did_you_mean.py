""" "Did you mean": an unsure match offers the rep a few items; a pick answers at once, is
learnt, and never reaches a PM; "none of these" asks the PM with the candidates shown.
End to end through the Slack stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.db import session_scope
from store.models import Escalation, Item, Phrasing, Question
from tests.conftest import ADMIN
from tests.helpers import (
    IDENTITY_CHANNEL,
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
)
from tests.test_escalation_loop import answer_through_modal, escalation_root

REP3 = "U0REP00003"
# SAML SSO (shipped), SSO with Okta (committed), Entra ID SSO (planned): near-duplicates
UNSURE = "SSO for Acme"


def choice_buttons(blocks) -> list[dict]:
    """The "This one" buttons of a did-you-mean reply, in order."""
    return [
        b["accessory"]
        for b in blocks
        if b.get("accessory", {}).get("action_id", "").startswith("pick_item:")
    ]


def ephemeral_to(slack, user) -> dict:
    return [m for m in slack.messages(SALES) if m.get("ephemeral_to") == user][-1]


def pick(slack, user, message, title):
    """Click "This one" beside the item called `title`."""
    for block in message["blocks"]:
        accessory = block.get("accessory", {})
        if accessory.get("action_id", "").startswith("pick_item:") and title in block_text([block]):
            return slack.send_block_action(
                user, SALES, message["ts"], accessory["action_id"], value=accessory["value"]
            )
    raise AssertionError(f"no choice {title!r} in {message_text(message)}")


def click(slack, user, message, action_id: str):
    """Click the button `action_id` of a message's row of buttons."""
    [value] = [
        e["value"]
        for b in message["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == action_id
    ]
    return slack.send_block_action(user, SALES, message["ts"], action_id, value=value)


def click_none(slack, user, message):
    return click(slack, user, message, "pick_none")


def item_key(ctx, item_id) -> str:
    with session_scope(ctx.sessions) as session:
        return session.get(Item, item_id).key


def test_an_unsure_question_offers_up_to_three_items_and_asks_no_pm_yet(bot, slack):
    body = slack.send_command(REP, SALES, UNSURE).json()
    text = block_text(body["blocks"])
    assert body["text"].startswith("Did you mean")
    buttons = choice_buttons(body["blocks"])
    assert 2 <= len(buttons) <= 3
    # each with its title, status and a line of description
    assert "SAML single sign-on (generic IdP)" in text and "shipped" in text
    assert "Single sign-on with Okta (SAML)" in text and "committed" in text
    assert "None of these, ask the PM" in text
    [question] = questions(bot.ctx)
    assert question.status == "offered" and question.escalation_id is None
    bot.deliver()
    assert posts(slack, channel=IDENTITY_CHANNEL) == []
    assert count(bot.ctx, Escalation) == 0


@pytest.mark.parametrize(
    ("question", "customer"),
    [
        ("sso for acme", "Acme"),
        ("sso for acme by march", "Acme"),
        ("SSO for a $200k deal with Acme", "Acme"),
        ("SSO for Acme and Globex", "Acme and Globex"),
    ],
)
def test_the_customer_is_not_read_as_part_of_the_feature_however_it_is_written(
    bot, slack, question, customer
):
    """Reps type names in lower case, and name the deal as they like: the customer is the
    deal's, not words of the feature to look up (it made these "unknown", straight to a PM)."""
    body = slack.send_command(REP, SALES, question).json()
    assert body["text"].startswith("Did you mean"), body["text"]
    [asked] = questions(bot.ctx)
    assert (asked.status, asked.customer) == ("offered", customer)


@pytest.mark.parametrize("question", ["SSO for Acme by FY27", "SSO for Acme by March 32"])
def test_a_date_it_cannot_read_is_said_and_does_not_hide_the_feature(bot, slack, question):
    """Left in the words to look up, the date made these "unknown", straight to a PM; and a
    pick's answer did not say the date was ignored."""
    body = slack.send_command(REP, SALES, question).json()
    assert body["text"].startswith("Did you mean"), body["text"]
    pick(slack, REP, ephemeral_to(slack, REP), "Single sign-on with Okta")
    answered = message_text(ephemeral_to(slack, REP))
    assert "Committed" in answered and "as a date, so I ignored it" in answered


def test_picking_an_item_answers_at_once_learns_the_wording_and_never_escalates(bot, slack):
    slack.send_command(REP, SALES, UNSURE)
    offer = ephemeral_to(slack, REP)
    response = pick(slack, REP, offer, "Single sign-on with Okta")
    assert response.status_code == 200
    answered = slack.message(SALES, offer["ts"])  # the answer replaced the choice
    assert answered["text"].startswith("Committed")
    assert "Single sign-on with Okta" in message_text(answered)
    assert "pick_item" not in message_text(answered)

    [question] = questions(bot.ctx)
    assert (question.status, question.verdict) == ("answered", "committed")
    assert item_key(bot.ctx, question.item_id) == "ID-12"
    with session_scope(bot.ctx.sessions) as session:
        learnt = session.scalars(select(Phrasing.text).where(Phrasing.item_id == question.item_id))
        assert question.text in list(learnt)
    bot.deliver()
    assert posts(slack, channel=IDENTITY_CHANNEL) == []
    assert count(bot.ctx, Escalation) == 0

    # the next rep asking in these words is answered without a choice
    body = slack.send_command(REP2, SALES, UNSURE).json()
    assert body["text"].startswith("Committed")
    assert "Single sign-on with Okta" in block_text(body["blocks"])


def test_a_second_pick_for_the_same_question_changes_nothing(bot, slack):
    slack.send_command(REP, SALES, UNSURE)
    first = ephemeral_to(slack, REP)
    slack.send_command(REP, SALES, UNSURE)  # a double submit: the same choice, shown again
    second = ephemeral_to(slack, REP)
    assert second["ts"] != first["ts"] and "pick_item" in message_text(second)
    assert len(questions(bot.ctx)) == 1
    pick(slack, REP, first, "Single sign-on with Okta")
    pick(slack, REP, second, "SAML single sign-on")
    [question] = questions(bot.ctx)
    assert item_key(bot.ctx, question.item_id) == "ID-12"
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP]
    assert "already picked" in message_text(told[-1])


def test_none_of_these_asks_the_pm_with_the_candidates_shown(bot, slack):
    slack.send_command(REP, SALES, UNSURE)
    offer = ephemeral_to(slack, REP)
    click_none(slack, REP, offer)
    replaced = slack.message(SALES, offer["ts"])
    assert "wait for the PM" in message_text(replaced)

    [question] = questions(bot.ctx)
    assert question.status == "escalated" and question.item_id is None
    bot.deliver()
    [escalation] = escalations(bot.ctx)  # no item, no keyword: the triage channel
    [root] = [m for m in slack.messages(escalation.channel_id) if not m.get("thread_ts")]
    shown = message_text(root)
    assert "SSO for Acme" in shown
    assert "ID-1" in shown and "ID-12" in shown  # the candidates the rep turned down


def test_in_a_channel_only_the_asker_may_pick(bot, slack):
    slack.send_mention(REP, SALES, UNSURE)
    bot.deliver()
    [offer] = [
        m for m in slack.messages(SALES) if m.get("thread_ts") and "pick_item" in message_text(m)
    ]
    assert f"Only <@{REP}>, who asked, can pick" in message_text(offer)

    pick(slack, REP2, offer, "SAML single sign-on")
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP2]
    assert f"Only <@{REP}>" in message_text(told[-1])
    [question] = questions(bot.ctx)
    assert question.status == "offered" and question.item_id is None
    click_none(slack, REP2, offer)
    assert count(bot.ctx, Escalation) == 0

    pick(slack, REP, offer, "SAML single sign-on")
    bot.deliver()  # the answer replaces the choice through the outbox
    answered = slack.message(SALES, offer["ts"])
    assert answered["text"].startswith("Available")
    assert count(bot.ctx, Question, Question.status == "answered") == 1


def test_a_choice_left_unpicked_goes_to_the_pm_after_a_while(bot, slack, clock):
    """An accepted question is never dropped: an unpicked choice is escalated by the chaser."""
    from bot.escalations.chasing import chase
    from bot.questions.picking import UNPICKED_WAIT

    body = slack.send_command(REP, SALES, UNSURE).json()
    assert choice_buttons(body["blocks"])
    clock.advance(hours=1)
    assert chase(bot.ctx).unpicked == 0  # the rep may still pick
    clock.advance(seconds=UNPICKED_WAIT.total_seconds())
    assert chase(bot.ctx).unpicked == 1
    assert chase(bot.ctx).unpicked == 0  # once
    bot.deliver()
    [question] = questions(bot.ctx)
    assert question.status == "escalated" and len(escalations(bot.ctx)) == 1
    [dm] = [p for p in posts(slack) if p["channel"].startswith("D")]
    assert "You did not pick one of the items I offered" in message_text(dm)
    [escalation] = escalations(bot.ctx)
    assert posts(slack, channel=escalation.channel_id)  # the PM's thread is open


# --- "Not what I meant": the rep turns down the item an answer is about -------------------

SURE = "SSO with Okta for Acme"  # ID-12, with confidence


def click_not_this(slack, user, message):
    return click(slack, user, message, "not_this")


def test_not_what_i_meant_offers_the_other_items_and_the_pick_is_learnt(bot, slack):
    answer = slack.send_command(REP, SALES, SURE).json()
    assert answer["text"].startswith("Committed")
    assert "Not what I meant" in block_text(answer["blocks"])
    shown = ephemeral_to(slack, REP)
    assert click_not_this(slack, REP, shown).status_code == 200

    offer = slack.message(SALES, shown["ts"])  # the choice replaced the answer
    text = message_text(offer)
    assert "Not *Single sign-on with Okta (SAML)*, then" in text
    assert "SAML single sign-on (generic IdP)" in text
    assert "ID-12" not in [
        b["accessory"]["value"].split(":")[1] for b in offer["blocks"] if "accessory" in b
    ]
    [question] = questions(bot.ctx)
    assert (question.status, question.item_id, question.verdict) == ("offered", None, "unknown")

    pick(slack, REP, offer, "SAML single sign-on")
    answered = slack.message(SALES, shown["ts"])
    assert answered["text"].startswith("Available")
    [question] = questions(bot.ctx)
    assert item_key(bot.ctx, question.item_id) == "ID-1"
    bot.deliver()
    assert count(bot.ctx, Escalation) == 0

    # these words no longer get the item the rep turned down with confidence: the next rep
    # is offered the choice, the item the rep picked first
    again = slack.send_command(REP2, SALES, SURE).json()
    assert again["text"].startswith("Did you mean")
    [first, *_] = choice_buttons(again["blocks"])
    assert item_key(bot.ctx, int(first["value"].split(":")[1])) == "ID-1"


def test_not_what_i_meant_after_a_pick_forgets_the_wording_and_none_of_these_asks_the_pm(
    bot, slack
):
    slack.send_command(REP, SALES, UNSURE)
    first = ephemeral_to(slack, REP)
    pick(slack, REP, first, "Single sign-on with Okta")
    [question] = questions(bot.ctx)
    with session_scope(bot.ctx.sessions) as session:
        assert session.scalar(select(Phrasing).where(Phrasing.text == question.text))

    click_not_this(slack, REP, slack.message(SALES, first["ts"]))
    offer = slack.message(SALES, first["ts"])
    assert "Single sign-on with Okta" not in block_text(offer["blocks"][1:])
    with session_scope(bot.ctx.sessions) as session:
        assert session.scalar(select(Phrasing).where(Phrasing.text == question.text)) is None

    click_none(slack, REP, offer)
    [question] = questions(bot.ctx)
    assert question.status == "escalated" and question.item_id is None
    bot.deliver()
    [escalation] = escalations(bot.ctx)
    [root] = [m for m in slack.messages(escalation.channel_id) if not m.get("thread_ts")]
    # the item the rep turned down is not among what canwe found, and the PM is told why
    found = block_text([b for b in root["blocks"] if "What I found" in block_text([b])])
    assert "ID-1 " in found and "ID-12" not in found
    assert f"<@{REP}> said it is not about ID-12 Single sign-on with Okta" in message_text(root)


def test_not_what_i_meant_leaves_the_wording_a_pm_taught(bot, slack):
    # nothing on the roadmap is worded so: the question goes to triage, where an admin
    # answers it with an item, for that deal only; the words now name the item
    slack.send_command(REP, SALES, "quantum teleportation for Acme")
    bot.deliver()
    answered = answer_through_modal(
        slack,
        ADMIN,
        escalation_root(slack, TRIAGE),
        date="2027-03-01",
        applies_to="deal",
        item="ID-1",
        channel=TRIAGE,
    )
    assert answered.status_code == 200
    with session_scope(bot.ctx.sessions) as session:
        [taught] = session.scalars(select(Phrasing)).all()
        assert (taught.taught_by, taught.item_id) == ("pm", _item_id(session, "ID-1"))

    # another deal, the same words: answered with the item, and the rep says it is not it
    answer = slack.send_command(REP2, SALES, "quantum teleportation for Globex").json()
    assert "SAML single sign-on" in block_text(answer["blocks"])
    click_not_this(slack, REP2, ephemeral_to(slack, REP2))
    [_, question] = questions(bot.ctx)
    assert question.item_id is None

    # one rep's click does not undo what a PM taught: the next rep is answered as before
    with session_scope(bot.ctx.sessions) as session:
        assert session.scalar(select(Phrasing.taught_by)) == "pm"
    again = slack.send_command(REP3, SALES, "quantum teleportation for Initech").json()
    assert "SAML single sign-on" in block_text(again["blocks"])
    assert not again["text"].startswith("Did you mean")


def test_migration_0016_keeps_the_wordings_pms_taught_as_theirs(bot, slack):
    """Wordings from before revision 0016 have no teacher: the migration marks a PM's those
    a PM's answer taught (the answered question in those words, with that item)."""
    from alembic import command

    from store.migrate import alembic_config, upgrade

    slack.send_command(REP, SALES, "quantum teleportation for Acme")
    bot.deliver()
    answer_through_modal(
        slack, ADMIN, escalation_root(slack, TRIAGE), date="2027-03-01", item="ID-1", channel=TRIAGE
    )
    slack.send_command(REP2, SALES, UNSURE)
    pick(slack, REP2, ephemeral_to(slack, REP2), "Single sign-on with Okta")

    url = bot.ctx.settings.database_url
    bot.ctx.engine.dispose()
    command.downgrade(alembic_config(url), "0015")
    upgrade(url)
    with session_scope(bot.ctx.sessions) as session:
        taught = {
            (key, taught_by)
            for key, taught_by in session.execute(
                select(Item.key, Phrasing.taught_by).join(Item, Item.id == Phrasing.item_id)
            )
        }
    assert taught == {("ID-1", "pm"), ("ID-12", "rep")}


def _item_id(session, key: str) -> int:
    return session.scalar(select(Item.id).where(Item.key == key))


def test_only_the_asker_may_say_not_what_i_meant_and_only_once(bot, slack):
    slack.send_mention(REP, SALES, SURE)
    bot.deliver()
    [answer] = [
        m for m in slack.messages(SALES) if m.get("thread_ts") and "not_this" in message_text(m)
    ]
    click_not_this(slack, REP2, answer)
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP2]
    assert f"Only <@{REP}>, who asked" in message_text(told[-1])
    [question] = questions(bot.ctx)
    assert question.status == "answered" and item_key(bot.ctx, question.item_id) == "ID-12"

    click_not_this(slack, REP, answer)
    click_not_this(slack, REP, answer)  # again, before the answer is replaced
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP]
    assert "already taken back" in message_text(told[-1])
    bot.deliver()  # in a channel the choice replaces the answer through the outbox
    offer = slack.message(SALES, answer["ts"])
    assert "pick_item" in message_text(offer) and "not_this" not in message_text(offer)

    pick(slack, REP, offer, "SAML single sign-on")
    bot.deliver()  # a second replacement of the same message, by another click
    assert slack.message(SALES, answer["ts"])["text"].startswith("Available")


def test_a_choice_offered_again_is_escalated_counting_from_when_it_was(bot, slack, clock):
    from bot.escalations.chasing import chase
    from bot.questions.picking import UNPICKED_WAIT

    slack.send_command(REP, SALES, SURE)
    shown = ephemeral_to(slack, REP)
    clock.advance(hours=5)
    click_not_this(slack, REP, shown)
    clock.advance(hours=1)
    assert chase(bot.ctx).unpicked == 0  # asked five hours ago, but offered an hour ago
    clock.advance(seconds=UNPICKED_WAIT.total_seconds())
    assert chase(bot.ctx).unpicked == 1


@pytest.mark.parametrize(
    ("asked", "first_click", "refusal"),
    [
        (SURE, "mark_promised", "You marked this promised"),
        (f"{SURE} by tomorrow", "ask_exception", "A PM was asked about this answer"),
    ],
    ids=["marked promised", "exception asked of a PM"],
)
def test_an_answer_promised_or_put_to_a_pm_stays_what_it_was_about(
    bot, slack, asked, first_click, refusal
):
    slack.send_command(REP, SALES, asked)
    shown = ephemeral_to(slack, REP)
    [question] = questions(bot.ctx)
    slack.send_block_action(REP, SALES, shown["ts"], first_click, value=str(question.id))
    click_not_this(slack, REP, shown)
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP]
    assert refusal in message_text(told[-1])
    [question] = questions(bot.ctx)
    assert item_key(bot.ctx, question.item_id) == "ID-12"


def test_a_choice_offered_again_for_a_double_submit_still_leaves_out_the_turned_down_item(
    bot, slack
):
    slack.send_command(REP, SALES, SURE)
    click_not_this(slack, REP, ephemeral_to(slack, REP))
    again = slack.send_command(REP, SALES, SURE).json()  # the same words at once
    assert again["text"].startswith("Did you mean")
    offered = [int(b["value"].split(":")[1]) for b in choice_buttons(again["blocks"])]
    assert offered and "ID-12" not in [item_key(bot.ctx, i) for i in offered]
    assert len(questions(bot.ctx)) == 1
