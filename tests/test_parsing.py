"""Reading dates, customers and deal values out of how reps write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.core.parsing import clean_text, follow_up_of, has_words, parse_question

TODAY = dt.date(2026, 11, 27)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSO with Okta for Acme by March 15", dt.date(2027, 3, 15)),
        ("okta sso by 2027-03-15", dt.date(2027, 3, 15)),
        ("okta sso by Q2", dt.date(2027, 6, 30)),
        ("okta sso by next month", dt.date(2026, 12, 31)),
        ("okta sso by end of year", dt.date(2026, 12, 31)),
        ("okta sso by Dec 1", dt.date(2026, 12, 1)),
        ("okta sso before 15 January", dt.date(2027, 1, 15)),
        ("okta sso by 3/15", dt.date(2027, 3, 15)),
        ("okta sso in June", dt.date(2027, 6, 30)),
        ("okta sso in 2 weeks", dt.date(2026, 12, 11)),
        ("okta sso within 10 days", dt.date(2026, 12, 7)),
        ("okta sso in 3 months", dt.date(2027, 2, 27)),
        ("okta sso by Friday", dt.date(2026, 12, 4)),
        ("okta sso by next Tuesday", dt.date(2026, 12, 8)),
        ("okta sso by 2027", dt.date(2027, 12, 31)),
        ("Windows 2022 nodes", None),
        ("okta sso", None),
        ("Kubernetes 1.30 support", None),
        ("SAML 2.0 for Acme", None),
    ],
)
def test_needed_by(text, expected):
    assert parse_question(text, TODAY).needed_by == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a day of a month says when wherever it stands: no version or size is written so
        ("BYOK for Globex before their renewal on Feb 28", dt.date(2027, 2, 28)),
        ("SSO for Acme, go-live March 15", dt.date(2027, 3, 15)),
        ("SSO for Acme, contract signs 15 March", dt.date(2027, 3, 15)),
        ("SSO for Acme on 2027-03-15", dt.date(2027, 3, 15)),
        ("audit log export for Acme on 3/15", dt.date(2027, 3, 15)),
        ("SCIM for Acme, kickoff May 4", dt.date(2027, 5, 4)),
        # ... after any date said with "by"
        ("since the March 3 release, SSO for Acme by Q2", dt.date(2027, 6, 30)),
        ("SSO for Acme by June 1, kickoff was March 3", dt.date(2027, 6, 1)),
        # a month named for the customer's event: it was ignored, and the rep told "yes" for
        # a date after their launch
        ("Teams notifications for Acme for their March launch", dt.date(2027, 3, 31)),
        ("SSO for Acme, May rollout", dt.date(2027, 5, 31)),
        ("SSO by March for the April launch", dt.date(2027, 3, 31)),  # "by" first
        ("okta may launch soon", None),
        ("Jira integration - any movement? Globex renewal 1/31", dt.date(2027, 1, 31)),
        ("SSO for Acme, go-live 3/15", dt.date(2027, 3, 15)),
        # ... but "may" in lower case is a word too
        ("SSO for Acme, Okta may 2 factor", None),
    ],
)
def test_needed_by_without_by(text, expected):
    assert parse_question(text, TODAY).needed_by == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # as reps write deadlines; each was ignored before, and the verdict said nothing of it
        ("SSO for Acme by mid-March", dt.date(2027, 3, 15)),
        ("SSO for Acme by early March", dt.date(2027, 3, 10)),
        ("SSO for Acme by late March", dt.date(2027, 3, 31)),
        ("SSO for Acme by early Q2", dt.date(2027, 4, 30)),
        ("SSO for Acme by mid Q2", dt.date(2027, 5, 15)),
        ("SSO for Acme by H1", dt.date(2027, 6, 30)),
        ("SSO for Acme by 2H 2027", dt.date(2027, 12, 31)),
        ("SSO for Acme by the 15th", dt.date(2026, 12, 15)),
        ("SSO for Acme by 15/03", dt.date(2027, 3, 15)),  # only a day can be 15
        ("SSO for Acme by 15.03.2027", dt.date(2027, 3, 15)),
        ("SSO for Acme by 2027/03/15", dt.date(2027, 3, 15)),
        ("SSO for Acme by Jan-15", dt.date(2027, 1, 15)),
        ("SSO for Acme by Q1 next year", dt.date(2027, 3, 31)),
        ("SSO for Acme by end of this quarter", dt.date(2026, 12, 31)),
        ("SSO for Acme this year", dt.date(2026, 12, 31)),
        ("SSO for Acme by next year", dt.date(2027, 12, 31)),
        ("SSO for Acme, Q1", dt.date(2027, 3, 31)),
        ("h2 support for Acme", None),  # HTTP/2, not a half year
        # a holiday on the same day every year; "before Christmas" was ignored, and the rep
        # was told "Yes" for a date four months after it
        ("SSO for Acme before Christmas", dt.date(2026, 12, 25)),
        ("SSO for Acme by xmas", dt.date(2026, 12, 25)),
        ("SSO for Acme by Christmas Eve", dt.date(2026, 12, 24)),
        ("SSO for Acme by New Year's Eve", dt.date(2026, 12, 31)),
        ("SSO for Acme by new years", dt.date(2027, 1, 1)),
        ("SSO for Acme by Valentine's Day", dt.date(2027, 2, 14)),
        ("SSO for Acme by Halloween 2027", dt.date(2027, 10, 31)),
        ("Christmas campaign builder for Acme", None),  # a name, not when
        # each was ignored, or read later than meant (a later date can only say yes wrongly):
        # "early next year" was Dec 31, 2027
        ("SSO for Acme by early next year", dt.date(2027, 3, 31)),
        ("SSO for Acme by mid-2027", dt.date(2027, 6, 30)),
        ("SSO for Acme by late 2027", dt.date(2027, 12, 31)),
        ("SSO for Acme in two weeks", dt.date(2026, 12, 11)),
        ("SSO for Acme within a month", dt.date(2026, 12, 27)),
        ("SSO for Acme within a quarter", dt.date(2027, 2, 27)),
        ("SSO for Acme by the first week of March", dt.date(2027, 3, 7)),
        ("SSO for Acme by the last week of February", dt.date(2027, 2, 28)),
        ("SSO for Acme by COB Friday", dt.date(2026, 12, 4)),
        ("SSO for Acme by end of 1H", dt.date(2027, 6, 30)),
        ("SSO for Acme by the end of March", dt.date(2027, 3, 31)),
        ("SSO trial for Acme for a month", None),  # how long, not by when
        ("SSO for Acme by last Friday", dt.date(2026, 11, 20)),  # read, then called out as past
        ("SSO for Acme, needed 3/15", dt.date(2027, 3, 15)),  # "needed" with no "by" was ignored
    ],
)
def test_needed_by_as_deadlines_are_written(text, expected):
    parsed = parse_question(text, TODAY)
    assert parsed.needed_by == expected
    if expected:  # ... and none of the date is left in the feature
        assert parsed.feature == "SSO", parsed.feature


def test_a_fiscal_year_is_not_guessed():
    """Fiscal years start when each company says: the rep is told it was not read."""
    parsed = parse_question("SSO for Acme by FY27", TODAY)
    assert parsed.needed_by is None and parsed.date_unparsed == "FY27"


@pytest.mark.parametrize(
    "when",
    [
        "Easter",
        "Thanksgiving",
        "the holidays",
        "Lunar New Year",
        "spring",
        "summer 2027",
        # when does their fiscal year end, and how long is a sprint? Both were left in the
        # feature, unread, and the reply said nothing of a date
        "the end of the fiscal year",
        "the next 2 sprints",
    ],
)
def test_a_holiday_whose_day_moves_is_not_guessed(when):
    """Easter, Thanksgiving (Canada's or the US's?), "the holidays", a season (whose
    hemisphere?), a fiscal year, sprints: the rep is told."""
    parsed = parse_question(f"SSO for Acme before {when}", TODAY)
    assert (parsed.needed_by, parsed.date_unparsed, parsed.feature) == (None, when, "SSO")


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("salesforce sync for Acme within 30 days", "salesforce sync"),
        ("salesforce sync for Q2", "salesforce sync"),
        ("BYOK for Globex before their renewal on Feb 28", "BYOK before their renewal"),
        ("SSO for Acme, go-live March 15", "SSO, go-live"),
    ],
)
def test_the_date_and_its_lead_word_leave_the_feature(text, feature):
    assert parse_question(text, TODAY).feature == feature


def test_slack_formatting_is_read_through():
    """*bold*, _italics_, ~strike~ and `code` as a rep types them in Slack."""
    parsed = parse_question("`SSO` for *Acme* by _March 15_, *$120k*", TODAY)
    assert (parsed.customer, parsed.needed_by) == ("Acme", dt.date(2027, 3, 15))
    assert parsed.feature == "SSO" and parsed.deal_value == Decimal(120_000)
    assert parse_question("~okta~ SAML sso", TODAY).feature == "okta SAML sso"
    # a name written with underscores keeps them
    assert parse_question("pod_security_admission for Acme", TODAY).feature == (
        "pod_security_admission"
    )


def test_an_impossible_date_is_reported_not_guessed():
    parsed = parse_question("okta sso by 31/31", TODAY)
    assert parsed.needed_by is None and parsed.date_unparsed == "31/31"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$120k deal", Decimal(120_000)),
        ("120,000 USD", Decimal(120_000)),
        ("a $1.5M account", Decimal(1_500_000)),
        ("€80k", Decimal(80_000)),
        ("no money here", None),
        # no currency sign, but said to be the deal (read as dollars); each was not read
        ("Teams for Initech ASAP, 250k deal", Decimal(250_000)),
        ("SSO for Acme (deal size 80k)", Decimal(80_000)),
        ("SSO for Acme, deal value: 2.5M", Decimal(2_500_000)),
        ("SSO for Acme, 10k users", None),  # users, not money
        # a decimal comma, as most of Europe writes it: it was fifteen million
        ("SSO for Acme, €1,5M", Decimal(1_500_000)),
        ("SSO for Acme, €1,500k", Decimal(1_500_000)),
    ],
)
def test_deal_value(text, value):
    assert parse_question(f"okta sso {text}", TODAY).deal_value == value


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        ("SSO with Okta for Acme by March 15", "Acme"),
        ("okta sso for Acme Corp by Q2", "Acme Corp"),
        ("can we promise SCIM to Globex?", "Globex"),
        ("SSO for Okta users", None),
        ("sso by March", None),
        ("sso for acme by March", "Acme"),
        ("SSO for a $200k deal with Acme", "Acme"),
        ("audit logs, the renewal with initech hinges on it", "Initech"),
        ("SSO for Acme and Globex by Q2", "Acme and Globex"),
        ("SSO for Acme and audit logs", "Acme"),
        # the customer as the one who asks, as reps write it most
        ("Acme needs SSO by March 15", "Acme"),
        ("Acme Corp requires EU data residency", "Acme Corp"),
        ("Globex is asking if we support SCIM", "Globex"),
        ("Initech would like Teams notifications", "Initech"),
        ("Acme and Globex need SSO", "Acme and Globex"),
        ("Customer Acme: SSO by Q2", "Acme"),
        ("Prospect Initech asks for BYOK", "Initech"),
        ("Can we tell Acme that SCIM ships in Q1?", "Acme"),
        ("Teams for Initech ASAP, 250k deal", "Initech"),  # it was "Initech ASAP"
        ("Can Acme get early access to SCIM?", "Acme"),  # it was "SCIM"
        ("Can they get SCIM early?", None),
        ("Can we get SCIM to Globex by Q2?", "Globex"),
        ("any update on Teams notifications? Globex asking, $50k", "Globex"),
        # a lower-case name ends before the date's lead: it was "Globex By", and "on" ended none
        ("teams notifications for globex by 12/24", "Globex"),
        # the deal first, as a heading; not a heading that says what the message is
        ("Initech: EU data residency by Jan 15?", "Initech"),
        ("Acme Corp: need SSO", "Acme Corp"),
        ("FYI: SSO by Q2", None),
        ("Urgent: Okta SSO", None),
        ("Legal: BYOK by Q2", None),
        ("sso for acme on 3/1", "Acme"),
        ("sso for acme corp by 3/1", "Acme Corp"),
        ("Initech is interested in BYOK", "Initech"),
        ("Hooli has asked about SCIM", "Hooli"),
        ("Legal is asking about BYOK", None),
        ("Okta SSO needs SAML", None),
        ("They need SSO by March", None),
        ("Legal requires BYOK", None),
        ("IT wants SCIM", None),
        # the customer said as who the deal is with, or who would use it: they stored none
        ("do we support okta sso yet? prospect is Acme, they need it by end of Q1", "Acme"),
        ("BYOK by Q2, the customer is Initech", "Initech"),
        ("Client: Globex. Need SCIM", "Globex"),
        ("Does canwe have a Zapier integration that Acme could use today?", "Acme"),
        ("is there an API that Umbrella Corp can use?", "Umbrella Corp"),
        # the word itself is not a name: it stored "Customer"
        ("Customer asks if we can export audit logs by Jan 31", None),
        ("Client wants SCIM", None),
        ("Our prospect needs BYOK", None),
        # a name said with its possessive is the name: it stored "Initech's"
        ("EU data residency for Initech's security review by end of March", "Initech"),
        ("is salesforce sync done? Acme renewal is on Jan 15", "Acme"),
        ("Will the Australia region be live before Acme's go-live on 1 Feb?", "Acme"),
        ("will hubspot be ready by next quarter? Acme is a $40k opp", "Acme"),
        ("Acme is blocked on SCIM - can we promise it by 3/15?", "Acme"),
        ("Globex is waiting on BYOK", "Globex"),
        ("Initech is our biggest customer, they need SCIM", "Initech"),
        ("SCIM is a big deal for us", None),
        # what is promised, and then only its date, is the feature ("promise Acme SSO" is not)
        ("can we promise SCIM by March 15", None),
        ("promise Acme sso by March", "Acme"),
        ("SSO w/ Okta 4 Acme by 3/15", "Acme"),  # chat shorthand: it named none
        ("SCIM 4 seats", None),
        ("Can we give Acme a date for the Salesforce integration?", "Acme"),
        ("HIPAA BAA for Acme's EU entity", "Acme"),  # it was "Acme's EU"
        ("EU data residency for backups too?", None),  # it was "Backups Too"
        ("okta sso for now", None),
    ],
)
def test_customer(text, customer):
    assert parse_question(text, TODAY).customer == customer


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        # what the customer's own event is, is the deal's: "BYOK security review" was matched
        ("BYOK for Initech's security review by end of March", "BYOK"),
        ("Australia region before Acme's go-live on 1 Feb", "Australia region"),
    ],
)
def test_the_customers_own_event_is_not_the_feature(text, feature):
    assert parse_question(text, TODAY).feature == feature


def test_deal_context_is_stripped_from_the_feature():
    parsed = parse_question("can we promise okta sso to Acme Corp by Q2? $120k deal", TODAY)
    assert parsed.feature.lower() == "okta sso"


def test_slack_markup_is_removed():
    text = clean_text(
        "<!channel> hi <@U123> see <https://evil.example|this> and <#C1|general> \x07ok"
    )
    assert text == "hi see this and general ok"


def test_words_are_needed():
    assert not has_words(":tada: 🎉 ?!")
    assert has_words("sso?")


def test_long_text_is_cut_and_says_so():
    parsed = parse_question("x" * 40_000, TODAY)
    assert parsed.truncated and len(parsed.text) == 1000


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("what about Globex, by Dec 4?", "for Globex, by Dec 4?"),
        ("And for Initech by June?", "for Initech by June?"),
        ("and by Q3?", "by Q3?"),
        ("what about", None),
        ("SSO for Acme", None),
        ("what about dark mode?", None),  # lower case: a feature, not a customer
    ],
)
def test_a_follow_up_is_read_as_what_it_asks_for(text, asks):
    assert follow_up_of(text) == asks
