"""The sandbox page in headless Chromium, against the real bot and the Slack stand-in.

Each test leaves a screenshot in its pytest temp directory (``final.png`` plus named steps),
so a failing run can be read afterwards.  Set ``CANWE_DOCS_SCREENSHOT=docs/sandbox.png`` to
refresh the README's screenshot from ``test_pm_answers_with_button_and_modal``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, Clock, load_roadmap, make_context, make_settings
from tests.helpers import PM_IDENTITY, REP, SALES

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
# Friday 27 Nov 2026, 18:30 in New York: after hours, so a question's answering clock starts on
# Monday morning and "+1 day" steps pass through the reminders before the due time
SANDBOX_START = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
# read at import: the autouse clean_environment fixture removes CANWE_* variables
DOCS_SCREENSHOT = os.environ.get("CANWE_DOCS_SCREENSHOT")


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


@dataclass
class Site:
    url: str
    standin: object
    ctx: object


@pytest.fixture
def site(sqlite_url) -> Iterator[Site]:
    """`canwe serve --sandbox`, in this process: the bot, the stand-in, the page, the workers."""
    from app import build_app, build_web
    from bot.slack_client import make_client
    from bot.workers import Workers
    from sandbox.run import build_sandbox, sandbox_settings, with_api_url
    from sandbox.serve import ThreadedServer

    server = ThreadedServer().bind()
    settings = sandbox_settings(make_settings(sqlite_url, port=server.port))
    # the sandbox starts at a stated moment, and its page buttons move it on from there
    ctx = make_context(settings, clock=Clock(SANDBOX_START))
    load_roadmap(ctx)
    sb = build_sandbox(settings, ctx, host="127.0.0.1")
    ctx.settings = settings = with_api_url(settings, sb)
    client = make_client(settings)
    workers = Workers(ctx, client)
    workers.start()
    server.app = build_web(ctx, build_app(ctx, client), extra_routes=sb.routes)
    server.start()
    yield Site(url=f"http://127.0.0.1:{server.port}/", standin=sb.standin, ctx=ctx)
    server.stop()
    workers.stop()
    sb.stop()
    ctx.engine.dispose()


@pytest.fixture
def page(browser, site, tmp_path) -> Iterator:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(site.url)
    expect(pg.locator("#banner")).to_contain_text("Sandbox — not Slack")
    yield pg
    final = tmp_path / "final.png"
    pg.screenshot(path=str(final))
    print(f"screenshot: {final}")
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


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


def snap(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"))


def ask_unknown_dashboard(page):
    """A rep asks about something the roadmap does not have; it goes to the Reporting PM."""
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "/canwe a dashboard of carbon emissions per seat for Initech by March 1, $80k")
    reply = last_message(page)
    expect(reply).to_contain_text("Unknown")
    expect(reply).to_contain_text("Only visible to you")
    expect(reply).to_contain_text("Omar (Reporting PM)")


def open_escalation(page):
    """The Reporting PM opens their channel and finds the escalation."""
    from playwright.sync_api import expect

    be(page, REPORTING_PM)
    open_channel(page, REPORTING_CHANNEL)
    escalation = page.locator("#messages .msg", has_text="carbon emissions per seat")
    expect(escalation).to_have_count(1)
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
    snap(page, tmp_path, "verdict")

    # Ephemeral: another rep in the same channel does not see it.
    be(page, "U0REP00002")
    expect(page.locator("#messages .msg")).to_have_count(0)


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


def test_mention_is_answered_in_its_thread(page):
    from playwright.sync_api import expect

    be(page, REP)
    open_channel(page, SALES)
    type_in(page, "@canwe SAML single sign-on for Acme?")
    mention = page.locator("#messages .msg", has_text="SAML single sign-on for Acme?")
    expect(mention).to_contain_text("@canwe")
    mention.get_by_role("button", name=re.compile(r"1 reply")).click()
    expect(last_message(page, "#thread-pane")).to_contain_text("Available")


def test_unknown_question_is_escalated_into_the_pm_channel_thread(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    escalation = open_escalation(page)
    expect(escalation).to_contain_text("Riley Rep")
    expect(escalation).to_contain_text("Initech")
    expect(escalation).to_contain_text("$80k")
    expect(escalation.locator("button.bk").first).to_be_visible()
    snap(page, tmp_path, "escalation")

    # A second rep asks the same: no second thread, the first one shows two waiting.
    be(page, "U0REP00002")
    open_channel(page, SALES)
    type_in(page, "/canwe a dashboard of carbon emissions per seat for Initech by March 1")
    expect(last_message(page)).to_contain_text("Unknown")
    escalation = open_escalation(page)
    expect(escalation.locator(".replies")).to_have_text("1 reply")
    escalation.locator(".replies").click()
    expect(page.locator("#thread-pane")).to_contain_text(
        "Sam Seller asked this too. 2 reps waiting"
    )
    expect(page.locator("#thread-pane .msg").first).to_contain_text("carbon emissions per seat")


def test_pm_answers_with_button_and_modal_and_the_rep_sees_it(page, site, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    escalation = open_escalation(page)
    escalation.get_by_role("button", name=re.compile(r"^Yes", re.I)).first.click()

    modal = page.get_by_role("dialog")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("sandbox modal")
    snap(page, tmp_path, "modal")
    expect(modal).to_contain_text("On submit: sent to 1 waiting rep")
    modal.locator("input[type=date]").first.fill("2027-02-15")
    text_inputs = modal.locator("input[type=text], textarea")
    text_inputs.first.fill(
        "About two sprints of Reporting work; carbon data from the billing feed."
    )
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
    answer.get_by_role("button", name=re.compile("send answer", re.I)).click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    expect(escalation).to_contain_text(re.compile("answered", re.I))
    if DOCS_SCREENSHOT:
        escalation.hover()
        escalation.locator(".replies, .reply-link").first.click()
        expect(page.locator("#thread-pane")).to_be_visible()
        page.mouse.move(0, 0)
        page.evaluate("document.getElementById('toast').hidden = true")
        page.screenshot(path=str(ROOT / DOCS_SCREENSHOT))

    # The rep asked with /canwe (an ephemeral reply), so the answer comes as a DM.
    be(page, REP)
    dm = f"D{REP}"
    open_channel(page, dm)
    relay = page.locator("#messages .msg", has_text="carbon emissions")
    expect(relay.last).to_contain_text("Omar (Reporting PM)")
    expect(relay.last).to_contain_text("Feb 15")
    snap(page, tmp_path, "relay")


def test_someone_else_cannot_answer(page):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    open_escalation(page)
    be(page, PM_IDENTITY)  # a PM, but of another area
    escalation = page.locator("#messages .msg", has_text="carbon emissions per seat")
    escalation.get_by_role("button", name=re.compile(r"^Yes", re.I)).first.click()
    refusal = page.locator("#messages .msg.ephemeral", has_text="can answer this question")
    expect(refusal).to_contain_text("Only visible to you")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_a_thread_reply_by_the_owner_answers(page, site):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    escalation = open_escalation(page)
    escalation.hover()
    escalation.get_by_role("button", name="Reply in thread").click()
    type_in(page, "no, not this year: the billing feed has no carbon data", thread=True)
    thread = page.locator("#thread-pane")
    expect(thread.locator(".msg", has_text="not this year")).to_have_count(1)
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


def test_skipping_ahead_brings_reminders_then_the_late_notice(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    escalation = open_escalation(page)
    escalation.hover()
    escalation.get_by_role("button", name="Reply in thread").click()
    thread = page.locator("#thread-pane")
    skip_day = page.locator("#controls button[data-control='skip-day']")
    # asked Friday evening: due Tuesday 09:00; Monday evening has the reminder, Tuesday the
    # late notice
    for _ in range(4):
        skip_day.click()
        expect(page.locator("#toast")).to_contain_text("Sandbox time is now")
    expect(thread.locator(".msg", has_text="Reminder")).not_to_have_count(0)
    expect(thread.locator(".msg", has_text="This answer is late")).to_have_count(1)
    expect(thread).to_contain_text("Lee (PM lead), can you take it?")
    snap(page, tmp_path, "late")

    be(page, REP)
    open_channel(page, f"D{REP}")
    expect(page.locator("#messages .msg", has_text="is late").last).to_contain_text(
        "make no promise about it"
    )


def test_digest_can_be_triggered_and_shows_up(page, tmp_path):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    page.locator("#controls button[data-control='digest']").click()
    expect(page.locator("#toast")).to_contain_text("Posted")
    digest = page.locator("#messages .msg:not(.ephemeral)", has_text="carbon emissions").last
    expect(digest).to_contain_text("Omar (Reporting PM)")
    snap(page, tmp_path, "sales-digest")

    # the PM's channel gets its own digest of what is owed there
    be(page, REPORTING_PM)
    open_channel(page, REPORTING_CHANNEL)
    owed = page.locator("#messages .msg", has_text="carbon emissions")
    expect(owed).to_have_count(2)  # the escalation, and the digest line

    # once a day: a second click posts nothing new
    page.locator("#controls button[data-control='digest']").click()
    expect(page.locator("#toast")).to_contain_text("already posted")


def test_permalink_opens_the_thread(page, site):
    from playwright.sync_api import expect

    ask_unknown_dashboard(page)
    escalation = open_escalation(page)
    ts = escalation.get_attribute("data-ts")
    link = site.standin.permalink(REPORTING_CHANNEL, ts)
    page.goto(link)
    expect(page.locator("#channel-head")).to_contain_text("pm-reporting")
    expect(page.locator("#thread-pane")).to_be_visible()
