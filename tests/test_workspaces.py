"""Two workspaces on one deployment (OAuth installs through the stand-in): each has its own
roadmap, questions, answers, digests and token, and nothing of one reaches the other."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.workers import tick
from bot.workspaces import every_workspace
from store.db import session_scope
from store.models import Item, OutboxMessage, Question
from tests.conftest import add_to_slack, run_cli
from tests.helpers import IDENTITY_CHANNEL, REP, SALES

OTHER_TEAM, OTHER_TOKEN = "T0OTHERWS", "xoxb-installed-in-the-other-workspace"
OTHER_PM_CHANNEL = "C0OTHERPM1"
OTHER_ROADMAP = """
timezone: Europe/Berlin
areas:
  - name: Identity
    pm: U0OTHERPM1
    channel: C0OTHERPM1
    keywords: [sso, okta]
items:
  - key: ID-12
    title: Single sign-on with Okta (SAML)
    description: Okta login for every tenant
    area: Identity
    status: declined
"""
QUESTION = "SSO with Okta for Acme by March 15"


@pytest.fixture
def two_workspaces(installer, oauth_slack, clock, tmp_path):
    ctx, browser, delivery = installer
    oauth_slack.team_tokens[OTHER_TEAM] = OTHER_TOKEN
    assert add_to_slack(browser).status_code == 200  # the first: the store's workspace 1
    assert add_to_slack(browser, team=OTHER_TEAM).status_code == 200
    path = tmp_path / "other.yaml"
    path.write_text(OTHER_ROADMAP)
    env = {"DATABASE_URL": ctx.settings.database_url, "SLACK_BOT_TOKEN": ""}
    imported = run_cli(["--team", OTHER_TEAM, "import", str(path)], env=env, clock=clock)
    assert imported.exit_code == 0, imported.output
    return ctx, delivery, env


def _posts_by_team(slack) -> dict[str | None, list[dict]]:
    found: dict[str | None, list[dict]] = {}
    for call in slack.calls("chat.postMessage"):
        found.setdefault(call.team, []).append(call.args)
    return found


def test_the_same_question_in_two_workspaces_is_answered_from_each_ones_roadmap(
    two_workspaces, oauth_slack
):
    ctx, _delivery, _env = two_workspaces
    first = oauth_slack.send_command(REP, SALES, QUESTION).json()
    other = oauth_slack.send_command(REP, SALES, QUESTION, team_id=OTHER_TEAM).json()
    assert "Yes, you can promise" in first["blocks"][0]["text"]["text"]
    assert "Yes, you can promise" not in other["text"] and "No" in other["text"]
    mine, theirs = every_workspace(ctx)
    for workspace, keys in ((mine, 30), (theirs, 1)):
        with session_scope(workspace.sessions) as session:
            assert len(session.scalars(select(Item.key)).all()) == keys
            assert session.scalars(select(Question.text)).all() == [QUESTION]


def test_escalations_answers_and_digests_stay_in_their_workspace(
    two_workspaces, oauth_slack, clock
):
    ctx, delivery, env = two_workspaces
    unknown = "teleportation between data centers for Globex by June 1"
    oauth_slack.send_command(REP, SALES, unknown)
    oauth_slack.send_command(REP, SALES, unknown, team_id=OTHER_TEAM)
    delivery.drain()
    posted = _posts_by_team(oauth_slack)
    # each workspace's question went to its own PM channel, with its own token
    assert posted[None] and all(p["channel"] != OTHER_PM_CHANNEL for p in posted[None])
    assert posted[OTHER_TEAM] and all(p["channel"] != IDENTITY_CHANNEL for p in posted[OTHER_TEAM])

    # one escalation in each, each seeing only its own outbox rows
    mine, theirs = every_workspace(ctx)
    for workspace in (mine, theirs):
        with session_scope(workspace.sessions) as session:
            rows = session.scalars(select(OutboxMessage)).all()
            assert rows and {row.workspace_id for row in rows} == {workspace.workspace_id}

    # the CLI will not guess which workspace a command is about
    guessed = run_cli(["ask", QUESTION], env=env, clock=clock)
    assert guessed.exit_code == 2 and "--team" in guessed.output
    theirs_cli = run_cli(["--team", OTHER_TEAM, "ask", QUESTION], env=env, clock=clock)
    assert theirs_cli.exit_code == 0 and "Yes, you can promise" not in theirs_cli.output

    # the digest of each workspace is posted once, each with its own token
    clock.advance(days=2, hours=18, minutes=5)  # Friday 15:00 -> Monday 09:05 in New York
    before = {team: len(p) for team, p in _posts_by_team(oauth_slack).items()}
    tick(ctx, delivery)
    tick(ctx, delivery)
    after = _posts_by_team(oauth_slack)
    assert len(after[None]) > before[None] and len(after[OTHER_TEAM]) > before[OTHER_TEAM]
