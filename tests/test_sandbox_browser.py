"""The sandbox page in headless Chromium, against the real bot and the Slack stand-in.

Each journey takes a screenshot at each step (``snap``: ``01-asked.png``, ``02-…`` in its
pytest temp directory, and ``final.png``), so a run can be read afterwards.  The README's
screenshots are some of these steps: ``CANWE_DOCS_SCREENSHOTS=docs`` also writes them as
``docs/sandbox-NAME.png``::

    CANWE_DOCS_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/test_sandbox_browser.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import MARKETING, PM_IDENTITY, REP, SALES, SERVICES

# the `site` and `bare_site` fixtures: the sandbox served in this process
pytest_plugins = ["tests.sandbox_site"]

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPORTING_PM = "U0PMREPRT1"
REPORTING_CHANNEL = "C0PMREPRT1"
TIMEOUT_MS = 15_000
# read at import: the autouse clean_environment fixture removes CANWE_* variables
DOCS_SCREENSHOTS = os.environ.get("CANWE_DOCS_SCREENSHOTS")
SERVICES_PERSON = "U0SERVICE1"
EMOJI_CODE = re.compile(r":[a-z][a-z0-9_+-]*:")  # e.g. :outbox_tray:, as Slack would not show it
MARKETING_PERSON = "U0MARKET01"
GLOBEX_REP, GLOBEX_SALES = "U0GXREP001", "C0GXSALES1"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def _page_at(browser, url: str, tmp_path: Path) -> Iterator:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    expect(pg.locator("#banner")).to_contain_text("Sandbox — not Slack")
    yield pg
    final = tmp_path / "final.png"
    pg.screenshot(path=str(final))
    print(f"screenshot: {final}")
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser, site, tmp_path) -> Iterator:
    """The page, canwe installed in the first workspace."""
    with _page_at(browser, site.url, tmp_path) as pg:
        yield pg


@pytest.fixture
def bare_page(browser, bare_site, tmp_path) -> Iterator:
    """The page as `make run` first shows it: canwe installed nowhere."""
    with _page_at(browser, bare_site.url, tmp_path) as pg:
        yield pg


# ------------------------------------------------------------------ steps a person takes


def be(page, user_id: str) -> None:
    page.select_option("#who", user_id)


def open_channel(page, channel_id: str) -> None:
    page.click(f"#sidebar a[data-channel='{channel_id}']")


def type_in(page, text: str, *, thread: bool = False) -> None:
    box = "#thread-input" if thread else "#composer-input"
    page.fill(box, text)
    page.press(box, "Enter")


def last_message(page, pane: str = "#messages"):
    return page.locator(f"{pane} .msg").last


def snap(page, tmp_path: Path, name: str, *, docs: str | None = None) -> None:
    """A screenshot of this step, numbered in the order taken; ``docs`` names the README's
    copy, written to ``$CANWE_DOCS_SCREENSHOTS/sandbox-DOCS.png`` when that is set."""
    shown_as_code = EMOJI_CODE.findall(page.inner_text("body"))
    assert not shown_as_code, f"{name}: emoji codes the page shows as text: {shown_as_code}"
    step = len(list(tmp_path.glob("[0-9][0-9]-*.png"))) + 1
    page.mouse.move(0, 0)  # no hover highlight on whatever the last click left the mouse
    page.screenshot(path=str(tmp_path / f"{step:02d}-{name}.png"))
    if docs and DOCS_SCREENSHOTS:
        page.screenshot(path=str(ROOT / DOCS_SCREENSHOTS / f"sandbox-{docs}.png"))


def ask_unknown_dashboard(page, tmp_path: Path):
    """A rep asks about something the roadmap does not have; it goes to the Reporting PM."""
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "/canwe a dashboard of carbon emissions per seat for Initech by March 1, $80k")
    reply = last_message(page)
    expect(reply).to_contain_text("Unknown")
    expect(reply).to_contain_text("Only visible to you")
    expect(reply).to_contain_text("Omar (Reporting PM)")
    snap(page, tmp_path, "rep-asks-unknown")


def open_escalation(page, tmp_path: Path):
    """The Reporting PM opens their channel and finds the escalation."""
    from playwright.sync_api import expect

    be(page, REPORTING_PM)
    open_channel(page, REPORTING_CHANNEL)
    escalation = page.locator("#messages .msg", has_text="carbon emissions per seat")
    expect(escalation).to_have_count(1)
    snap(page, tmp_path, "pm-finds-escalation")
    return escalation


# ------------------------------------------------------------------ scenarios


def test_rep_asks_about_a_shipped_item_and_sees_the_verdict(page, tmp_path):
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "/canwe SAML single sign-on for Acme")
    reply = last_message(page)
    expect(reply).to_contain_text("Available")
    expect(reply).to_contain_text("SAML single sign-on (generic IdP)")
    expect(reply).to_contain_text("Only visible to you")
    expect(reply.get_by_role("button", name="Promised to the customer")).to_be_visible()
    expect(reply).to_contain_text("👉 Next")  # Slack's emoji, not its :point_right: code
    snap(page, tmp_path, "verdict", docs="rep-answer")

    # Ephemeral: another rep in the same channel does not see it.
    be(page, "U0REP00002")
    expect(page.locator("#messages .msg")).to_have_count(0)
    snap(page, tmp_path, "other-rep-sees-nothing")


def test_an_unsure_question_offers_a_choice_and_a_pick_answers(page, tmp_path):
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "/canwe SSO for Acme")
    choice = last_message(page)
    expect(choice).to_contain_text("Did you mean one of these?")
    expect(choice).to_contain_text("Single sign-on with Okta (SAML)")
    expect(choice).to_contain_text("committed")
    expect(choice.get_by_role("button", name="None of these, ask the PM")).to_be_visible()
    snap(page, tmp_path, "did-you-mean")
    choice.get_by_role("button", name="This one").nth(1).click()
    answer = last_message(page)
    expect(answer).to_contain_text("Committed")
    expect(answer).to_contain_text("Single sign-on with Okta")
    expect(answer.get_by_role("button", name="This one")).to_have_count(0)
    snap(page, tmp_path, "picked")


def test_mention_is_answered_in_its_thread(page, tmp_path):
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "@canwe SAML single sign-on for Acme?")
    mention = page.locator("#messages .msg", has_text="SAML single sign-on for Acme?")
    expect(mention).to_contain_text("@canwe")
    snap(page, tmp_path, "mention")
    mention.get_by_role("button", name=re.compile(r"1 reply")).click()
    expect(last_message(page, "#thread-pane")).to_contain_text("Available")
    snap(page, tmp_path, "answer-in-thread")


def test_unknown_question_is_escalated_into_the_pm_channel_thread(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    escalation = open_escalation(page, tmp_path)
    expect(escalation).to_contain_text("Riley Rep")
    expect(escalation).to_contain_text("Initech")
    expect(escalation).to_contain_text("$80k")
    expect(escalation.locator("button.bk").first).to_be_visible()

    # A second rep asks the same: no second thread, the first one shows two waiting.
    be(page, "U0REP00002")
    open_channel(page, SALES)
    type_in(page, "/canwe a dashboard of carbon emissions per seat for Initech by March 1")
    expect(last_message(page)).to_contain_text("Unknown")
    snap(page, tmp_path, "second-rep-asks")
    escalation = open_escalation(page, tmp_path)
    expect(escalation.locator(".replies")).to_have_text("1 reply")
    escalation.locator(".replies").click()
    expect(page.locator("#thread-pane")).to_contain_text(
        "Sam Seller asked this too. 2 reps waiting"
    )
    expect(page.locator("#thread-pane .msg").first).to_contain_text("carbon emissions per seat")
    snap(page, tmp_path, "two-reps-waiting")


def test_pm_answers_with_button_and_modal_and_the_rep_sees_it(page, site, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    escalation = open_escalation(page, tmp_path)
    escalation.get_by_role("button", name=re.compile(r"^Yes", re.I)).first.click()

    modal = page.get_by_role("dialog")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("sandbox modal")
    expect(modal).to_contain_text("On submit: sent to 1 waiting rep")
    snap(page, tmp_path, "form")
    modal.locator("input[type=date]").first.fill("2027-02-15")
    text_inputs = modal.locator("input[type=text], textarea")
    text_inputs.first.fill(
        "About two sprints of Reporting work; carbon data from the billing feed."
    )
    snap(page, tmp_path, "form-filled", docs="form")
    # the details for services and marketing are one step away, in a pushed view
    modal.get_by_role("button", name="Add details for services and marketing").click()
    details = page.get_by_role("dialog", name="Details")
    expect(details).to_be_visible()
    snap(page, tmp_path, "details")
    details.locator("textarea").first.fill("Needs the billing feed's carbon export enabled.")
    details.get_by_role("button", name="Save details").click()
    answer = page.get_by_role("dialog", name="Answer the rep")
    expect(answer).to_contain_text("Details added: for services.")
    expect(answer.locator("input[type=date]").first).to_have_value("2027-02-15")  # kept
    snap(page, tmp_path, "details-added")
    answer.get_by_role("button", name=re.compile("send answer", re.I)).click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    expect(escalation).to_contain_text(re.compile("answered", re.I))
    escalation.hover()
    escalation.locator(".replies, .reply-link").first.click()
    expect(page.locator("#thread-pane")).to_be_visible()
    page.evaluate("document.getElementById('toast').hidden = true")
    snap(page, tmp_path, "answered")

    # The rep asked with /canwe (an ephemeral reply), so the answer comes as a DM.
    be(page, REP)
    dm = f"D{REP}"
    open_channel(page, dm)
    relay = page.locator("#messages .msg", has_text="carbon emissions")
    expect(relay.last).to_contain_text("Omar (Reporting PM)")
    expect(relay.last).to_contain_text("Feb 15")
    snap(page, tmp_path, "rep-gets-the-answer", docs="rep-dm")


def test_someone_else_cannot_answer(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    open_escalation(page, tmp_path)
    be(page, PM_IDENTITY)  # a PM, but of another area
    escalation = page.locator("#messages .msg", has_text="carbon emissions per seat")
    escalation.get_by_role("button", name=re.compile(r"^Yes", re.I)).first.click()
    refusal = page.locator("#messages .msg.ephemeral", has_text="can answer this question")
    expect(refusal).to_contain_text("Only visible to you")
    expect(page.get_by_role("dialog")).to_have_count(0)
    snap(page, tmp_path, "refused")


def test_a_thread_reply_by_the_owner_answers(page, site, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    escalation = open_escalation(page, tmp_path)
    escalation.hover()
    escalation.get_by_role("button", name="Reply in thread").click()
    type_in(page, "no, not this year: the billing feed has no carbon data", thread=True)
    thread = page.locator("#thread-pane")
    expect(thread.locator(".msg", has_text="not this year")).to_have_count(1)
    expect(thread.locator(".msg", has_text="Recorded")).to_contain_text("will not be built")
    snap(page, tmp_path, "answered-by-thread-reply", docs="thread-reply")
    assert any(
        s.kind == "message" and s.body["event"]["thread_ts"] == escalation.get_attribute("data-ts")
        for s in site.standin.sent
    ), "the reply reaches the bot as a message event in the thread"

    be(page, REP)
    open_channel(page, f"D{REP}")
    relay = page.locator("#messages .msg", has_text="carbon emissions").last
    expect(relay).to_contain_text("Omar (Reporting PM)")
    expect(relay).to_contain_text("this will not be built")
    expect(relay).to_contain_text("the billing feed has no carbon data")
    snap(page, tmp_path, "rep-gets-the-answer")


def test_skipping_ahead_brings_reminders_then_the_late_notice(page, tmp_path):
    from playwright.sync_api import expect

    clock = page.locator("#sandbox-clock")
    # the banner shows the bot's clock in the workspace's time zone, not the browser's
    expect(clock).to_have_text("🕐 Sandbox time Fri Nov 27, 18:30 EST")
    ask_unknown_dashboard(page, tmp_path)
    escalation = open_escalation(page, tmp_path)
    escalation.hover()
    escalation.get_by_role("button", name="Reply in thread").click()
    thread = page.locator("#thread-pane")
    page.locator("#controls button[data-control='skip-hour']").click()
    expect(page.locator("#toast")).to_contain_text("Sandbox time is now Fri Nov 27, 19:30")
    expect(clock).to_have_text("🕐 Sandbox time Fri Nov 27, 19:30 EST")
    skip_day = page.locator("#controls button[data-control='skip-day']")
    # asked Friday evening: due Tuesday 09:00; Monday evening has the reminder, Tuesday the
    # late notice
    for day in ("Sat Nov 28", "Sun Nov 29", "Mon Nov 30", "Tue Dec 1"):
        skip_day.click()
        expect(page.locator("#toast")).to_contain_text(f"Sandbox time is now {day}, 19:30")
        expect(clock).to_have_text(f"🕐 Sandbox time {day}, 19:30 EST")
        snap(page, tmp_path, f"skipped-to-{day.replace(' ', '-').lower()}")
    reminder = thread.locator(".msg", has_text="Reminder").first
    expect(reminder.locator(".time")).to_have_text("Mon Nov 30, 19:30")  # in sandbox time
    late = thread.locator(".msg", has_text="This answer is late")
    expect(late).to_have_count(1)
    expect(late.locator(".time")).to_have_text("Tue Dec 1, 19:30")
    expect(thread).to_contain_text("Lee (PM lead), can you take it?")
    snap(page, tmp_path, "late", docs="late")

    be(page, REP)
    open_channel(page, f"D{REP}")
    expect(page.locator("#messages .msg", has_text="is late").last).to_contain_text(
        "make no promise about it"
    )
    snap(page, tmp_path, "rep-told-it-is-late")


def test_digest_can_be_triggered_and_shows_up(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    page.locator("#controls button[data-control='digest']").click()
    expect(page.locator("#toast")).to_contain_text("Posted")
    digest = page.locator("#messages .msg:not(.ephemeral)", has_text="carbon emissions").last
    expect(digest).to_contain_text("Omar (Reporting PM)")
    snap(page, tmp_path, "sales-digest", docs="digest")

    # the PM's channel gets its own digest of what is owed there
    be(page, REPORTING_PM)
    open_channel(page, REPORTING_CHANNEL)
    owed = page.locator("#messages .msg", has_text="carbon emissions")
    expect(owed).to_have_count(2)  # the escalation, and the digest line
    snap(page, tmp_path, "pm-digest")

    # once a day: a second click posts nothing new
    page.locator("#controls button[data-control='digest']").click()
    expect(page.locator("#toast")).to_contain_text("already posted")
    snap(page, tmp_path, "digest-once-a-day")


def test_one_question_is_answered_for_each_audience(page, tmp_path):
    """Sales gets the date to promise, services the effort behind it, and marketing, for an
    item that is not public, only that there is nothing to announce."""
    from playwright.sync_api import expect

    question = "/canwe okta sso for Acme"
    be(page, REP)
    open_channel(page, SALES)
    type_in(page, question)
    sales = last_message(page)
    expect(sales).to_contain_text("Yes, you can promise Single sign-on with Okta (SAML)")
    expect(sales).to_contain_text("Mar 1, 2027")
    snap(page, tmp_path, "sales")

    be(page, SERVICES_PERSON)
    open_channel(page, SERVICES)
    type_in(page, question)
    services = last_message(page)
    expect(services).to_contain_text("Single sign-on with Okta (SAML)")
    expect(services).to_contain_text("15 working days remaining")
    snap(page, tmp_path, "services")

    be(page, MARKETING_PERSON)
    open_channel(page, MARKETING)
    type_in(page, question)
    marketing = last_message(page)
    expect(marketing).to_contain_text("Not announceable")
    expect(marketing).to_contain_text("say nothing about it yet")
    expect(marketing).not_to_contain_text("Mar 1")
    expect(marketing).not_to_contain_text("working days")
    snap(page, tmp_path, "marketing", docs="audiences")


def test_permalink_opens_the_thread(page, site, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page, tmp_path)
    escalation = open_escalation(page, tmp_path)
    ts = escalation.get_attribute("data-ts")
    link = site.standin.permalink(REPORTING_CHANNEL, ts)
    page.goto(link)
    expect(page.locator("#channel-head")).to_contain_text("pm-reporting")
    expect(page.locator("#thread-pane")).to_be_visible()
    snap(page, tmp_path, "permalink-opens-the-thread")


# ------------------------------------------------------------------ several workspaces


def add_to_slack(page, tmp_path: Path, button: str, workspace: str, name: str) -> None:
    """ "Add to Slack" as a person clicks through it: canwe's install page, the stand-in's
    "Allow" page (the next workspace to install is already picked), back on the sandbox page."""
    from playwright.sync_api import expect

    page.click(button)
    page.get_by_role("link", name="Add to Slack").click()  # Bolt's install page
    expect(page.locator("#team")).to_have_value(workspace)
    snap(page, tmp_path, f"allow-{workspace.lower()}")
    page.click("#allow")
    expect(page.locator(f"#workspaces button[data-team='{workspace}']")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#workspaces .workspace.active")).to_have_text(name)


def test_two_workspaces_added_to_slack_answer_the_same_question_each_from_its_roadmap(
    bare_page, tmp_path
):
    from playwright.sync_api import expect

    from sandbox.run import GLOBEX_TEAM_ID, TEAM_ID

    page = bare_page
    expect(page.locator("#install-first")).to_contain_text("not installed in a workspace yet")
    snap(page, tmp_path, "installed-nowhere")
    add_to_slack(page, tmp_path, "#install-first-button", TEAM_ID, "Example Co")
    question = "/canwe okta sso for Acme"
    be(page, REP)
    open_channel(page, SALES)
    type_in(page, question)
    expect(last_message(page)).to_contain_text(
        "Yes, you can promise Single sign-on with Okta (SAML)"
    )
    snap(page, tmp_path, "first-workspace-answers")

    add_to_slack(page, tmp_path, "#add-to-slack", GLOBEX_TEAM_ID, "Globex Subsidiary")
    # only Globex's channels and people now, and none of the first workspace's messages
    expect(page.locator(f"#sidebar a[data-channel='{SALES}']")).to_have_count(0)
    be(page, GLOBEX_REP)
    open_channel(page, GLOBEX_SALES)
    expect(page.locator("#messages .msg")).to_have_count(0)
    type_in(page, question)
    theirs = last_message(page)
    expect(theirs).to_contain_text("Single sign-on with Okta (SAML) will not be built")
    expect(theirs).to_contain_text("GX-1")
    expect(theirs).not_to_contain_text("Yes, you can promise")
    snap(page, tmp_path, "second-workspace-answers", docs="workspaces")

    # back to the first workspace: its answer is where it was, as its rep left it
    page.click(f"#workspaces button[data-team='{TEAM_ID}']")
    expect(page.locator("#who")).to_have_value(REP)
    open_channel(page, SALES)
    expect(last_message(page)).to_contain_text("Yes, you can promise")
    expect(page.locator(f"#sidebar a[data-channel='{GLOBEX_SALES}']")).to_have_count(0)
    snap(page, tmp_path, "back-in-the-first-workspace")
