"""The promise ledger end to end: the button → the ledger → /canwe promises → slip alerts
through the outbox, once per change → closed when the item ships."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import yaml
from sqlalchemy import select

from bot.promises.tracking import check_after_sync, check_promises
from bot.roadmap.importer import apply_roadmap
from bot.roadmap.schema import RoadmapIn
from store.db import session_scope
from store.models import OutboxMessage, Promise
from tests.conftest import ADMIN, EXAMPLE_ROADMAP, make_settings, run_cli
from tests.helpers import (
    IDENTITY_CHANNEL,
    PM_IDENTITY,
    REP,
    REP2,
    SALES,
    block_text,
    count,
    message_text,
    posts,
    questions,
)

OKTA = "can we promise okta sso to Acme by March 15? $200k"
BIGGER = {"team": "Identity", "optimistic": 50, "likely": 70, "pessimistic": 110}
# any date a message could carry: "Mar 15", "Dec 25, 2026", "2027-03-15"
ANY_DATE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}\b|\d{4}-\d\d")


def okta(**changes) -> dict:
    """ID-12 as examples/roadmap.yaml has it, with `changes`."""
    roadmap = yaml.safe_load(EXAMPLE_ROADMAP.read_text())
    item = next(i for i in roadmap["items"] if i["key"] == "ID-12")
    return {**item, **changes}


def reimport(ctx, *items: dict):
    """What `canwe import` does: apply the roadmap, then check promises, in one transaction."""
    with session_scope(ctx.sessions) as session:
        report = apply_roadmap(
            RoadmapIn.model_validate({"items": list(items)}), session=session, now=ctx.now()
        )
        return check_promises(session=session, ctx=ctx, item_ids=report.revised_item_ids)


def ask(slack, text=OKTA, user=REP, channel=SALES) -> dict:
    response = slack.send_command(user, channel, text)
    assert response.status_code == 200, response.text
    return response.json()


def click_promised(slack, question_id: int, user=REP, channel=SALES) -> dict:
    """Click "Promised to the customer" on the last answer `user` saw; the confirmation."""
    answer = [
        m
        for m in slack.messages(channel)
        if m.get("ephemeral_to") == user and "mark_promised" in block_text(m.get("blocks"))
    ][-1]
    before = len(slack.calls("chat.postEphemeral"))
    response = slack.send_block_action(
        user, channel, answer["ts"], "mark_promised", value=str(question_id)
    )
    assert response.status_code == 200
    confirmations = [c.args for c in slack.calls("chat.postEphemeral")[before:] if c.ok]
    assert len(confirmations) == 1, slack.dump()
    assert confirmations[0]["user"] == user and confirmations[0]["channel"] == channel
    return confirmations[0]


def promise_okta(bot, slack) -> dict:
    body = ask(slack)
    assert body["text"].startswith("Committed") and "mark_promised" in block_text(body["blocks"])
    return click_promised(slack, questions(bot.ctx)[-1].id)


def promises(ctx) -> list[Promise]:
    with session_scope(ctx.sessions) as session:
        return list(session.scalars(select(Promise).order_by(Promise.id)))


def dms(slack, user=REP) -> list[str]:
    """What the bot told `user` in a DM, as readable text."""
    return [
        message_text(m) for m in slack.messages("D" + user) if m.get("user") == slack.bot_user_id
    ]


def pm_lines(slack) -> list[str]:
    return [message_text(p) for p in posts(slack, channel=IDENTITY_CHANNEL)]


# ------------------------------------------------------------------ marking a promise


def test_the_button_records_one_promise_and_confirms_ephemerally(bot, slack):
    confirmation = promise_okta(bot, slack)
    shown = message_text(confirmation)
    assert "Recorded" in shown and "Acme" in shown and "Mar 15, 2027" in shown
    assert "Dec 25" in shown  # the safe date today, beside the promised date
    [promise] = promises(bot.ctx)
    assert (promise.customer, promise.rep_id, promise.channel_id, promise.status) == (
        "Acme",
        REP,
        SALES,
        "open",
    )
    assert promise.promised_date == dt.date(2027, 3, 15) and promise.deal_value == Decimal(200000)
    assert promise.question_id == questions(bot.ctx)[-1].id
    assert "80% likely by Dec 25" in promise.basis

    again = click_promised(slack, promise.question_id)
    assert "already marked" in message_text(again)
    assert count(bot.ctx, Promise) == 1


def test_a_colleague_clicking_the_same_answer_keeps_the_first_promise(bot, slack):
    slack.send_mention(REP, SALES, OKTA)
    bot.deliver()
    question_id = questions(bot.ctx)[-1].id
    reply = next(
        p for p in posts(slack, channel=SALES) if "mark_promised" in block_text(p["blocks"])
    )
    ts = next(m["ts"] for m in slack.messages(SALES) if m.get("text") == reply["text"])
    slack.send_block_action(REP, SALES, ts, "mark_promised", value=str(question_id))
    slack.send_block_action(REP2, SALES, ts, "mark_promised", value=str(question_id))
    [promise] = promises(bot.ctx)
    assert promise.rep_id == REP
    told = [c.args for c in slack.calls("chat.postEphemeral") if c.args["user"] == REP2]
    assert f"<@{REP}> already marked" in message_text(told[-1])


def test_a_promise_on_a_shipped_item_is_kept_at_once(bot, slack):
    body = ask(slack, "salesforce sync for Initech")
    assert body["text"].startswith("Available")
    confirmation = click_promised(slack, questions(bot.ctx)[-1].id)
    assert "nothing to watch" in message_text(confirmation)
    assert [p.status for p in promises(bot.ctx)] == ["closed"]


def test_no_promise_when_the_roadmap_changed_since_the_answer(bot, slack, clock):
    ask(slack)
    clock.advance(minutes=5)
    reimport(bot.ctx, okta(status="declined"))
    confirmation = click_promised(slack, questions(bot.ctx)[-1].id)
    assert "Not recorded" in message_text(confirmation)
    assert count(bot.ctx, Promise) == 0


# ------------------------------------------------------------------ /canwe promises


def test_canwe_promises_lists_open_promises_with_the_current_safe_date(bot, slack, clock):
    promise_okta(bot, slack)
    body = ask(slack, "promises")
    listed = block_text(body["blocks"])
    assert body["text"].startswith("Your open promises: 1")
    for expected in ("Acme", "ID-12", "Mar 15, 2027", "$200k", "80% likely by Dec 25", "on track"):
        assert expected in listed, expected
    assert "at risk" not in listed
    assert count(bot.ctx, Promise) == 1 and len(questions(bot.ctx)) == 1  # not a question

    clock.advance(hours=1)
    reimport(bot.ctx, okta(estimate=BIGGER))
    listed = block_text(ask(slack, "promises")["blocks"])
    assert "at risk" in listed and "expected after your promise" in listed
    assert "80% likely by Dec 25" not in listed  # today's date, not the one at promise time

    other = ask(slack, "promises", user=REP2)
    assert "no open promises" in other["text"]


# ------------------------------------------------------------------ slip alerts


def test_a_bigger_estimate_alerts_the_rep_and_the_pm_once(bot, slack, clock):
    promise_okta(bot, slack)
    clock.advance(hours=1)
    assert reimport(bot.ctx, okta(estimate=BIGGER)).alerts == 1
    bot.deliver()
    [dm] = dms(slack)
    assert "at risk" in dm and "Acme" in dm
    assert "Mar 15, 2027" in dm  # what was promised
    assert "Mar 1, 2027" in dm  # the old date: the team's target, later than the forecast
    [alert] = promises(bot.ctx)
    new = alert.known_date
    assert new > dt.date(2027, 3, 15) and new.strftime("%b %-d") in dm  # the new date
    assert "ask_exception" in dm  # what to do: ask the PM for an exception
    [line] = pm_lines(slack)
    assert f"<@{PM_IDENTITY}>" in line and f"<@{REP}>" in line and "Acme" in line
    assert "Mar 1, 2027" in line and new.strftime("%b %-d") in line and "$200k" in line

    # the same file again: nothing moved, nothing is told
    outbox = count(bot.ctx, OutboxMessage)
    clock.advance(hours=1)
    assert reimport(bot.ctx, okta(estimate=BIGGER)).alerts == 0
    assert count(bot.ctx, OutboxMessage) == outbox
    with session_scope(bot.ctx.sessions) as session:  # a sync re-checking the same item
        assert check_promises(session=session, ctx=bot.ctx, item_ids=[alert.item_id]).alerts == 0
    bot.deliver()
    assert len(dms(slack)) == 1 and len(pm_lines(slack)) == 1

    # a further slip is a new change: told once more, from the last date told
    clock.advance(hours=1)
    reimport(bot.ctx, okta(estimate={**BIGGER, "likely": 100, "pessimistic": 160}))
    bot.deliver()
    assert len(dms(slack)) == 2 and len(pm_lines(slack)) == 2
    assert new.strftime("%b %-d") in dms(slack)[-1]


def test_a_later_target_is_a_slip(bot, slack, clock):
    promise_okta(bot, slack)
    clock.advance(hours=1)
    reimport(bot.ctx, okta(target="2027-06-30"))
    bot.deliver()
    [dm] = dms(slack)
    assert "Jun 30, 2027" in dm and "target" in dm and "Mar 15, 2027" in dm


def test_back_on_track_is_told_after_an_alert(bot, slack, clock):
    promise_okta(bot, slack)
    clock.advance(hours=1)
    reimport(bot.ctx, okta(estimate=BIGGER))
    clock.advance(hours=1)
    assert reimport(bot.ctx, okta(estimate={"team": "Identity", "likely": 12})).recovered == 1
    bot.deliver()
    assert "Back on track" in dms(slack)[-1] and len(dms(slack)) == 2
    assert len(pm_lines(slack)) == 1


def test_declined_alerts_the_rep_and_the_pm(bot, slack, clock):
    promise_okta(bot, slack)
    clock.advance(hours=1)
    reimport(bot.ctx, okta(status="declined"))
    reimport(bot.ctx, okta(status="declined"))
    bot.deliver()
    [dm] = dms(slack)
    assert "cannot be kept" in dm and "declined" in dm and "Acme" in dm and "Mar 15, 2027" in dm
    [line] = pm_lines(slack)
    assert "declined" in line and f"<@{REP}>" in line
    assert "at risk" in block_text(ask(slack, "promises")["blocks"])


def test_shipping_closes_the_promise_and_tells_the_rep(bot, slack, clock):
    promise_okta(bot, slack)
    clock.advance(days=20)
    assert reimport(bot.ctx, okta(status="shipped")).closed == 1
    bot.deliver()
    [dm] = dms(slack)
    assert "you can tell Acme it is live" in dm
    [promise] = promises(bot.ctx)
    assert promise.status == "closed" and promise.closed_at == clock()
    assert "no open promises" in ask(slack, "promises")["text"]
    assert pm_lines(slack) == []
    reimport(bot.ctx, okta(status="shipped", target="2027-01-01"))
    bot.deliver()
    assert len(dms(slack)) == 1


def exception_thread(bot, slack) -> dict:
    """Another rep needs Okta SSO earlier and asks for an exception: the PM's thread root."""
    from tests.test_escalation_loop import escalation_root

    ask(slack, "okta sso for Globex by December 4", user=REP2)
    slack.send_block_action(
        REP2,
        SALES,
        [m for m in slack.messages(SALES) if m.get("ephemeral_to") == REP2][-1]["ts"],
        "ask_exception",
        value=str(questions(bot.ctx)[-1].id),
    )
    bot.deliver()
    return escalation_root(slack)


def test_a_pm_answer_with_a_later_date_alerts(bot, slack, clock):
    from tests.test_escalation_loop import answer_through_modal

    promise_okta(bot, slack)
    answer_through_modal(
        slack,
        PM_IDENTITY,
        exception_thread(bot, slack),
        verdict="not_by_then",
        date="2027-04-30",
        note="Okta review takes longer",
        applies_to="item",  # an exception request, answered for every deal
    )
    bot.deliver()
    [dm] = dms(slack)
    assert "Apr 30, 2027" in dm and f"<@{PM_IDENTITY}>'s answer" in dm and "Acme" in dm
    assert any("Promise at risk" in line for line in pm_lines(slack))
    listed = block_text(ask(slack, "promises")["blocks"])
    assert "PM date Apr 30, 2027" in listed and "at risk" in listed


def test_a_pm_replying_no_in_the_thread_alerts(bot, slack):
    promise_okta(bot, slack)
    root = exception_thread(bot, slack)
    slack.send_message(
        PM_IDENTITY,
        IDENTITY_CHANNEL,
        "no, Okta is off this year for every deal",
        thread_ts=root["ts"],
    )
    bot.deliver()
    [dm] = dms(slack)
    assert "cannot be kept" in dm and f"<@{PM_IDENTITY}> answered no" in dm
    assert any("answered no" in line and "Acme" in line for line in pm_lines(slack))


# ------------------------------------------------------------------ audiences


def test_marketing_never_sees_internal_dates_for_a_non_public_item(bot, slack, clock):
    promise_okta(bot, slack)
    admin = ask(slack, "audience marketing", user=ADMIN)
    assert "now *marketing*" in block_text(admin["blocks"])
    clock.advance(hours=1)
    reimport(bot.ctx, okta(estimate=BIGGER))
    bot.deliver()
    [dm] = dms(slack)
    assert "Acme" in dm and "not announceable" in dm
    assert not ANY_DATE.search(dm), dm
    for internal in ("likely", "working days", "Okta review", "$200k"):
        assert internal not in dm
    listed = block_text(ask(slack, "promises")["blocks"])
    assert "not announceable" in listed and not ANY_DATE.search(listed)
    # the PM channel is internal: the PM still gets the dates
    assert ANY_DATE.search(pm_lines(slack)[0])

    clock.advance(days=30)
    reimport(bot.ctx, okta(status="shipped"))
    bot.deliver()
    kept = dms(slack)[-1]
    assert "you can tell Acme it is live" in kept and not ANY_DATE.search(kept)


def test_services_hears_the_delivery_date_and_the_effort(bot, slack, clock):
    promise_okta(bot, slack)
    ask(slack, "audience services", user=ADMIN)
    clock.advance(hours=1)
    reimport(bot.ctx, okta(estimate=BIGGER))
    bot.deliver()
    [dm] = dms(slack)
    assert "Expected delivery" in dm and "70 working days remaining" in dm
    assert "Target release: Mar 1, 2027" in dm


# ------------------------------------------------------------------ the command line


def test_canwe_import_queues_the_alerts_in_its_transaction(bot, slack, tmp_path):
    promise_okta(bot, slack)
    roadmap = tmp_path / "roadmap.yaml"
    roadmap.write_text(yaml.safe_dump({"items": [okta(estimate=BIGGER)]}))
    env = {"DATABASE_URL": bot.ctx.settings.database_url}
    result = run_cli(["import", str(roadmap)], env=env, clock=bot.ctx.clock)
    assert result.exit_code == 0, result.output
    assert "promises: 1 at risk" in result.output
    bot.deliver()
    assert len(dms(slack)) == 1 and len(pm_lines(slack)) == 1
    again = run_cli(["import", str(roadmap)], env=env, clock=bot.ctx.clock)
    assert again.exit_code == 0 and "promises:" not in again.output


# ------------------------------------------------------------------ a tracker sync


def test_a_sync_that_moves_the_target_alerts_through_check_promises(bot, slack, clock):
    """After run_sync: check_after_sync(ctx, report) checks report.revised_item_ids."""
    from bot.roadmap.sync.runner import run_sync
    from tests.sync_fakes import FakeTracker
    from tests.test_sync_runner import Jira

    promise_okta(bot, slack)
    site = Jira()
    site.issue("ID-12")["fields"]["duedate"] = "2027-06-30"  # the team now targets June
    settings = make_settings(
        bot.ctx.settings.database_url,
        jira_base_url="https://acme.atlassian.net",
        jira_email="pm@acme.example",
        jira_api_token="ATATT3xFfGF0-token",
        jira_jql="project = ID",
    )
    clock.advance(hours=1)
    report = run_sync(
        "jira",
        session_factory=bot.ctx.sessions,
        settings=settings,
        client=FakeTracker(site).client(),
        now=clock,
    )
    assert report.ok
    assert check_after_sync(bot.ctx, report).alerts == 1  # what canwe sync and serve call
    bot.deliver()
    [dm] = dms(slack)
    assert "Jun 30, 2027" in dm and "Mar 15, 2027" in dm and "Acme" in dm
    assert len(pm_lines(slack)) == 1


def test_no_promise_can_be_made_before_the_teams_target(bot, slack):
    # the raw forecast would allow Jan 29, but the team's target (Mar 1) does not
    body = ask(slack, "okta sso for Acme by January 29")
    assert body["text"].startswith("Not by then")
    assert "mark_promised" not in block_text(body["blocks"])


def test_canwe_sync_checks_promises_on_what_it_moved(bot, slack, monkeypatch):
    from tests.test_sync_cli import JiraSite

    body = ask(slack, "scim provisioning for Acme by March 1")
    assert body["text"].startswith("Committed") and "ID-14" in block_text(body["blocks"])
    click_promised(slack, questions(bot.ctx)[-1].id)
    with JiraSite() as site:  # Jira has ID-14 in its backlog: no longer committed
        monkeypatch.setenv("DATABASE_URL", bot.ctx.settings.database_url)
        monkeypatch.setenv("JIRA_BASE_URL", site.url)
        monkeypatch.setenv("JIRA_EMAIL", "pm@acme.example")
        monkeypatch.setenv("JIRA_API_TOKEN", "ATATT3xFfGF0-token")
        monkeypatch.setenv("JIRA_JQL", '{"Identity": "project = ID"}')
        result = run_cli(["sync", "--source", "jira"], clock=bot.ctx.clock)
    assert result.exit_code == 0, result.output
    assert "promises: 1 at risk" in result.stdout
    bot.deliver()
    [dm] = dms(slack)
    assert "no longer committed" in dm and "Acme" in dm and "Mar 1, 2027" in dm


# ------------------------------------------------------------------ every promise message × audience


def test_every_promise_message_keeps_marketing_to_what_is_public():
    from bot.core.verdicts import SafeDate
    from bot.promises.messages import (
        Outlook,
        PromiseFacts,
        back_on_track,
        promise_kept,
        promise_list,
        risk_alert,
    )
    from bot.roadmap.facts import ItemFacts

    today = dt.date(2026, 11, 27)
    safe = SafeDate(
        date=dt.date(2027, 4, 5),
        confidence=0.8,
        p50=dt.date(2027, 3, 5),
        summary="80% likely by Apr 5, 2027 (50%: Mar 5, 2027), based on 25 finished tasks",
    )

    def item(public: bool) -> ItemFacts:
        return ItemFacts(
            key="ID-12",
            title="Okta <!channel> SSO",
            url=None,
            status="committed",
            public=public,
            target_date=dt.date(2027, 3, 1),
            area="Identity",
            owner_id=PM_IDENTITY,
            estimate_team="Identity",
            estimate_days=(50, 70, 110),
        )

    def promise(public: bool) -> PromiseFacts:
        return PromiseFacts(
            1, 2, "Acme <@U0BOSS>", Decimal(200000), None, dt.date(2027, 3, 15), REP, item(public)
        )

    late = Outlook(state="dated", status="committed", date=safe.date, safe=safe)
    declined = Outlook(state="declined", status="declined")
    uncommitted = Outlook(state="uncommitted", status="planned")
    old = dt.date(2027, 3, 1)

    def messages(public: bool, audience: str):
        p = promise(public)
        yield risk_alert(p, late, "late:2027-04-05", old, audience, today)
        yield risk_alert(p, declined, "declined", old, audience, today)
        yield risk_alert(p, uncommitted, "uncommitted", old, audience, today)
        yield back_on_track(p, late, old, audience, today)
        yield promise_kept(p, audience, today)
        yield promise_list([(p, late, "late:2027-04-05")], audience, today)

    for audience in ("sales", "services", "marketing"):
        for public in (False, True):
            for message in messages(public, audience):
                shown = message.text + block_text([b.to_dict() for b in message.blocks])
                assert "<!channel>" not in shown and "<@U0BOSS>" not in shown  # escaped
                if audience == "marketing":
                    assert "likely" not in shown and "working days" not in shown
                    assert "$200k" not in shown and "Apr 5" not in shown
                    if not public:
                        assert not ANY_DATE.search(shown), shown
                if audience == "sales" and "at risk" in shown and "Apr 5" in shown:
                    assert "Next:" in shown
    sales = risk_alert(promise(False), late, "late:2027-04-05", old, "sales", today)
    shown = block_text([b.to_dict() for b in sales.blocks])
    assert all(d in shown for d in ("Mar 15, 2027", "Mar 1, 2027", "Apr 5, 2027", "Next:"))
    services = risk_alert(promise(False), late, "late:2027-04-05", old, "services", today)
    assert "70 working days remaining (range 50–110)" in block_text(
        [b.to_dict() for b in services.blocks]
    )
