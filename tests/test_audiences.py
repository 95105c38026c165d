"""One answer, three audiences: marketing never sees internal dates, estimates, confidence
or PM notes for an item that is not public; sales and services get what they need."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from bot.core.verdicts import SafeDate, Verdict
from bot.questions.messages import answer_message, relay_message
from bot.roadmap.facts import AnswerFacts, EscalationFacts, ItemFacts, PMAnswerFacts
from tests.conftest import ADMIN
from tests.helpers import MARKETING, REP, SALES, SERVICES, block_text

TZ = ZoneInfo("America/New_York")
TODAY = dt.date(2026, 11, 27)
SAFE = SafeDate(
    date=dt.date(2027, 4, 20),
    confidence=0.8,
    p50=dt.date(2027, 4, 2),
    summary="80% likely by Apr 20, 2027 (50%: Apr 2, 2027), based on 143 finished tasks of team Platform",
)
PM_NOTE = "needs two extra engineers from Platform"
ANSWER = PMAnswerFacts(
    verdict=Verdict.committed,
    answered_by="U0PMIDENT1",
    answered_at=dt.datetime(2026, 11, 20, 15, tzinfo=dt.UTC),
    promise_date=dt.date(2027, 5, 14),
    note=PM_NOTE,
    cost_note="costs 40 engineer-days",
    scope_note="SP-initiated only",
    schedule_note="after the Q1 freeze",
    services_note="configure the Okta app per tenant",
    marketing_note="say: single sign-on with Okta is coming",
)


def item(public: bool) -> ItemFacts:
    return ItemFacts(
        key="ID-12",
        title="Single sign-on with Okta (SAML)",
        url="https://tracker.example.com/ID-12",
        status="committed",
        public=public,
        target_date=dt.date(2027, 3, 1),
        area="Identity",
        owner_id="U0PMIDENT1",
        estimate_team="Platform",
        estimate_days=(10, 15, 25),
    )


def facts(kind: str, public: bool) -> AnswerFacts:
    base = dict(
        question_id=1,
        question_text="okta sso for Acme",
        today=TODAY,
        customer="Acme",
        item=item(public),
    )
    if kind == "answer":
        return AnswerFacts(verdict=Verdict.committed, safe=SAFE, **base)
    if kind == "not_by_then":
        return AnswerFacts(
            verdict=Verdict.not_by_then,
            safe=SAFE,
            needed_by=dt.date(2027, 3, 1),
            can_ask_exception=True,
            **base,
        )
    if kind in ("reused", "relay"):
        return AnswerFacts(
            verdict=Verdict.committed, pm_answer=ANSWER, date=ANSWER.promise_date, **base
        )
    if kind == "escalated":
        escalation = EscalationFacts(
            escalation_id=1,
            channel_id="C0PMIDENT1",
            owner_id="U0PMIDENT1",
            due_at=dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC),
        )
        return AnswerFacts(verdict=Verdict.not_committed, escalation=escalation, **base)
    raise ValueError(kind)


KINDS = ["answer", "not_by_then", "reused", "relay", "escalated"]
INTERNAL = [
    "Apr 20",
    "Apr 2",
    "Mar 1",
    "May 14",
    "Dec 20",
    "Nov 30",
    "80%",
    "likely",
    "143 finished",
    "working days",
    "15",
    PM_NOTE,
    "40 engineer-days",
    "SP-initiated",
    "Q1 freeze",
    "Okta app per tenant",
    "is coming",
    "Platform",
]


def rendered(kind: str, audience: str, public: bool) -> str:
    said = facts(kind, public)
    if kind == "relay":
        message = relay_message(said, said.pm_answer, audience, TZ)
    else:
        message = answer_message(said, audience, TZ)
    return message.text + json.dumps(message.as_kwargs()["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("kind", KINDS)
def test_marketing_sees_nothing_internal_about_a_private_item(kind):
    shown = rendered(kind, "marketing", public=False)
    assert "Not announceable" in shown
    for secret in INTERNAL:
        assert secret not in shown, f"{secret!r} leaked into a {kind} message for marketing"


@pytest.mark.parametrize("kind", ["answer", "reused"])
def test_marketing_sees_public_status_and_date_of_a_public_item(kind):
    shown = rendered(kind, "marketing", public=True)
    assert "Public roadmap" in shown and "Mar 1" in shown
    assert PM_NOTE not in shown and "80%" not in shown
    if kind == "reused":
        assert "single sign-on with Okta is coming" in shown


@pytest.mark.parametrize("kind", ["answer", "not_by_then"])
def test_sales_gets_promise_language_date_confidence_and_next_step(kind):
    shown = rendered(kind, "sales", public=False)
    assert "Apr 20" in shown and "80% likely" in shown and "Next:" in shown
    assert "promise" in shown.lower()


def test_sales_reused_answer_says_who_answered_and_when():
    shown = rendered("reused", "sales", public=False)
    assert "Answered by <@U0PMIDENT1>, Nov 20: can be promised from May 14, 2027" in shown
    assert PM_NOTE in shown and "valid until" not in shown.lower()


@pytest.mark.parametrize("kind", ["answer", "reused"])
def test_services_gets_scope_effort_and_target_release(kind):
    shown = rendered(kind, "services", public=False)
    assert "15 working days remaining (range 10–25)" in shown and "Target release: Mar 1" in shown
    if kind == "reused":
        assert "configure the Okta app per tenant" in shown and "SP-initiated only" in shown


@pytest.mark.parametrize("kind", ["answer", "not_by_then", "reused"])
def test_services_is_told_what_to_plan_on_not_what_to_promise(kind):
    # it read "Yes, you can promise …": sales' words, not what delivery plans on
    message = answer_message(facts(kind, public=False), "services", TZ)
    headline = message.as_kwargs()["blocks"][0]["text"]["text"]
    assert "promise" not in (message.text + headline).lower() and "plan" in headline.lower()


def test_no_audience_sees_a_raw_date_format_that_leaks_iso_dates():
    for audience in ("sales", "services", "marketing"):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", rendered("answer", audience, public=False))


# ------------------------------------------------------------------ end to end


def test_channel_audience_shapes_the_answer(bot, slack):
    sales = slack.send_command(REP, SALES, "okta sso for Acme").json()
    services = slack.send_command(REP, SERVICES, "okta sso for Acme").json()
    marketing = slack.send_command(REP, MARKETING, "okta sso for Acme").json()
    assert "How sure:" in block_text(sales["blocks"])  # sales: one short line
    assert "working days remaining" in block_text(services["blocks"])
    assert "(50%: " in block_text(services["blocks"])  # the forecast in full
    assert "based on 25 finished tasks of team Identity" in block_text(services["blocks"])
    assert "Not announceable" in block_text(marketing["blocks"]) and "likely" not in block_text(
        marketing["blocks"]
    )


def test_audience_is_shown_to_anyone_and_changed_only_by_admins(bot, slack):
    shown = slack.send_command(REP, SALES, "audience").json()
    assert "audience is *sales*" in block_text(shown["blocks"])
    refused = slack.send_command(REP, SALES, "audience marketing").json()
    assert "Only a canwe admin" in block_text(refused["blocks"])
    changed = slack.send_command(ADMIN, SALES, "audience marketing").json()
    assert "now *marketing*" in block_text(changed["blocks"])
    answer = slack.send_command(REP, SALES, "okta sso for Acme").json()
    assert "Not announceable" in block_text(answer["blocks"])
    wrong = slack.send_command(ADMIN, SALES, "audience everyone").json()
    assert "Unknown audience" in block_text(wrong["blocks"])
