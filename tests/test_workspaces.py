"""Two workspaces on one deployment (OAuth installs through the stand-in): each has its own
roadmap, questions, answers, digests and token, and nothing of one reaches the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import delete, func, select, text, update

from app import warm_up
from bot.context import every_workspace
from bot.roadmap.matching import is_warm, match
from bot.slack.install import workspace_tokens
from bot.workers import tick
from store.db import make_engine, make_session_factory, session_scope
from store.models import (
    Escalation,
    Estimate,
    Item,
    OutboxMessage,
    Phrasing,
    Question,
    Synonym,
    Workspace,
)
from store.outbox import enqueue_many
from store.search import count_items
from store.tenancy import ALL_WORKSPACES, DEFAULT_WORKSPACE, NoWorkspace
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    INSTALLED_TOKEN,
    START,
    add_to_slack,
    load_roadmap,
    make_settings,
    run_cli,
)
from tests.helpers import (
    IDENTITY_CHANNEL,
    REP,
    SALES,
    block_text,
    insert_item_as_of_old,
    message_text,
)

OTHER_TEAM, OTHER_TOKEN = "T0OTHERWS", "xoxb-installed-in-the-other-workspace"
OTHER_PM, OTHER_PM_CHANNEL = "U0OTHERPM1", "C0OTHERPM1"
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
  - key: ID-18
    title: Hardware security keys
    description: FIDO2 keys as a second factor
    area: Identity
    status: exploring
    aliases: [yubikey]
"""
QUESTION = "SSO with Okta for Acme by March 15"


@pytest.fixture
def two_workspaces(installer, oauth_slack, clock, tmp_path):
    ctx, browser, delivery = installer
    oauth_slack.team_tokens[OTHER_TEAM] = OTHER_TOKEN
    oauth_slack.add_user(OTHER_PM, "other.pm")
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
    for workspace, keys in ((mine, 30), (theirs, 2)):
        with session_scope(workspace.sessions) as session:
            assert len(session.scalars(select(Item.key)).all()) == keys
            assert session.scalars(select(Question.text)).all() == [QUESTION]


def test_escalations_answers_and_digests_stay_in_their_workspace(
    two_workspaces, oauth_slack, clock
):
    ctx, delivery, env = two_workspaces
    asked = "yubikey for Acme by March 15"  # exploring in both: each asks its own PM
    oauth_slack.send_command(REP, SALES, asked)
    oauth_slack.send_command(REP, SALES, asked, team_id=OTHER_TEAM)
    delivery.drain()
    posted = _posts_by_team(oauth_slack)
    assert [p["channel"] for p in posted[None]] == [IDENTITY_CHANNEL]
    assert [p["channel"] for p in posted[OTHER_TEAM]] == [OTHER_PM_CHANNEL]
    mine, theirs = every_workspace(ctx)
    for workspace in (mine, theirs):
        with session_scope(workspace.sessions) as session:
            rows = session.scalars(select(OutboxMessage)).all()
            assert rows and {row.workspace_id for row in rows} == {workspace.workspace_id}

    # the other workspace's PM says no in its thread: that answer is theirs alone
    [root] = oauth_slack.messages(OTHER_PM_CHANNEL)
    oauth_slack.send_message(
        OTHER_PM, OTHER_PM_CHANNEL, "no, not this year", thread_ts=root["ts"], team_id=OTHER_TEAM
    )
    delivery.drain()
    with session_scope(theirs.sessions) as session:
        assert session.scalars(select(Escalation.status)).all() == ["answered"]
    with session_scope(mine.sessions) as session:
        assert session.scalars(select(Escalation.status)).all() == ["open"]
    again = oauth_slack.send_command("U0REP00003", SALES, asked).json()
    assert "not this year" not in block_text(again["blocks"])
    assert again["text"].startswith("Not committed")  # the roadmap's word, the PM not heard yet
    told = oauth_slack.send_command("U0REP00003", SALES, asked, team_id=OTHER_TEAM).json()
    assert "not this year" in block_text(told["blocks"])

    # the command line will not guess which workspace a command is about
    guessed = run_cli(["ask", QUESTION], env=env, clock=clock)
    assert guessed.exit_code == 2 and "--team" in guessed.output
    unknown = run_cli(["--team", "T0NOSUCH", "ask", QUESTION], env=env, clock=clock)
    assert unknown.exit_code == 2
    assert f"no workspace T0NOSUCH in this store (workspaces: T0CANWE, {OTHER_TEAM})" in (
        unknown.output
    )
    theirs_cli = run_cli(["--team", OTHER_TEAM, "ask", QUESTION], env=env, clock=clock)
    assert theirs_cli.exit_code == 0 and "Yes, you can promise" not in theirs_cli.output
    # ... but `canwe tick` (cron's) works for every workspace
    oauth_env = {
        **env,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": oauth_slack.api_url,
    }
    ticked = run_cli(["tick"], env=oauth_env, clock=clock)
    assert ticked.exit_code == 0 and "digests 0" in ticked.output, ticked.output

    # Monday's digests: the first workspace's open question, with its own token; none in the
    # other, whose question was answered
    clock.advance(days=2, hours=18, minutes=5)  # Friday 15:00 -> Monday 09:05 in New York
    before = {team: len(p) for team, p in _posts_by_team(oauth_slack).items()}
    tick(ctx, delivery)
    tick(ctx, delivery)
    after = _posts_by_team(oauth_slack)
    digests = [p for p in after[None][before[None] :] if "digest" in message_text(p).lower()]
    # the PM channel's and the sales channel's (two reps waiting there), each posted once
    assert sorted(p["channel"] for p in digests) == [IDENTITY_CHANNEL, SALES]
    assert not [p for p in after[OTHER_TEAM] if "digest" in message_text(p).lower()]


# --- the rule underneath: a session sees and writes only its workspace's rows -------------


@pytest.fixture
def second(roadmap):
    """The example roadmap in workspace 1, and a second workspace with the same roadmap."""
    with session_scope(roadmap.sessions) as session:
        session.add(Workspace(enterprise_id=None, team_id="T0SECOND"))
    with session_scope(roadmap.sessions) as session:
        second_id = session.scalar(select(Workspace.id).where(Workspace.team_id == "T0SECOND"))
    other = roadmap.for_workspace(second_id)
    load_roadmap(other)  # the same keys, names and channels: unique per workspace only
    return roadmap, other


def test_a_session_reads_and_changes_only_its_own_workspace(second):
    first, other = second
    with session_scope(first.sessions) as session:
        mine = session.scalar(select(Item).where(Item.key == "ID-12"))
    with session_scope(other.sessions) as session:
        assert session.get(Item, mine.id) is None  # an id from a forged button finds nothing
        theirs = session.scalar(select(Item).where(Item.key == "ID-12"))
        assert theirs.id != mine.id and theirs.workspace_id == other.workspace_id
        assert session.scalar(select(func.count()).select_from(Item)) == 30
        assert count_items(session=session) == 30  # how matching judges a roadmap's size
        session.execute(update(Item).values(title="renamed in the second workspace"))
        session.execute(delete(Phrasing))
    with session_scope(first.sessions) as session:
        assert session.get(Item, mine.id).title == "Single sign-on with Okta (SAML)"
    assert match_key(first, "Single sign-on with Okta") == "ID-12"


def test_a_session_across_workspaces_reads_all_and_writes_nothing(second):
    first, _other = second
    everywhere = make_session_factory(first.engine, ALL_WORKSPACES)
    with session_scope(everywhere) as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 60
    with pytest.raises(NoWorkspace), session_scope(everywhere) as session:
        session.add(Synonym(term="okta", means="single sign-on"))
        session.flush()


def match_key(ctx, text: str) -> str | None:
    with session_scope(ctx.sessions) as session:
        found = match(text, session=session)
        return found.best.key if found.best else None


def test_matching_and_its_full_text_search_see_only_the_workspace_s_items(second):
    first, other = second
    with session_scope(other.sessions) as session:
        session.execute(delete(Estimate))
        session.execute(delete(Item).where(Item.key != "ID-12"))
        session.execute(update(Item).values(title="Teleportation gateway", aliases=[]))
    assert match_key(other, "teleportation gateway") == "ID-12"
    assert match_key(first, "teleportation gateway") != "ID-12"
    assert match_key(first, "okta sso") == "ID-12"
    assert match_key(other, "custom password policies") is None


def test_the_migrations_make_the_schema_the_models_describe(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.models import Base

    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                # the full-text tables are made by raw SQL (0003_matching), not by models
                "include_object": lambda obj, name, kind, reflected, compare_to: (
                    not (kind == "table" and reflected and compare_to is None)
                )
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_a_process_warms_up_the_matcher_of_every_installed_workspace(second):
    # the first question of each workspace would otherwise build its index within the
    # request: seconds on a large roadmap, past Slack's 3
    first, other = second
    with session_scope(other.sessions) as session:
        assert not is_warm(session=session)
    warm_up(first).join(timeout=60)
    for ctx in (first, other):
        with session_scope(ctx.sessions) as session:
            assert is_warm(session=session)


def test_rows_of_a_store_from_before_belong_to_its_first_workspace(tmp_path):
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0010")
    engine = make_engine(url)
    insert_item_as_of_old(engine)
    upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT workspace_id FROM items")).scalars().all() == [1]
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:  # the full-text triggers survived the rebuild
        session.execute(update(Item).values(title="Sidecar containers, renamed gateway"))
    with session_scope(sessions) as session:
        assert match("renamed gateway", session=session).best.key == "OLD-1"
    engine.dispose()


# --- tokens that stay valid, workspaces that leave, and fair delivery ----------------------


def _sent_by_team(slack, team: str | None) -> list[dict]:
    return [c.args for c in slack.calls("chat.postMessage") if c.team == team and c.ok]


def _queue(workspace, count: int, channel: str) -> None:
    with session_scope(workspace.sessions) as session:
        enqueue_many(
            session=session,
            messages=[
                {
                    "dedupe_key": f"test:{channel}:{n}",
                    "method": "chat.postMessage",
                    "payload": {"channel": channel, "text": f"message {n}"},
                }
                for n in range(count)
            ],
            now=workspace.now(),
        )


def test_a_busy_workspace_does_not_hold_up_another_and_its_429_pauses_only_it(
    two_workspaces, oauth_slack
):
    ctx, delivery, _env = two_workspaces
    mine, theirs = every_workspace(ctx)
    _queue(mine, 300, SALES)
    _queue(theirs, 1, OTHER_PM_CHANNEL)
    # Slack rate-limits the busy workspace's posts for a minute
    oauth_slack.team_tokens[oauth_slack.team_id] = INSTALLED_TOKEN  # to tell its calls apart
    busy = oauth_slack.team_id
    oauth_slack.fail("chat.postMessage", status=429, retry_after=60, times=None, team=busy)
    claimed = delivery.claim(limit=50)
    assert {row[5] for row in claimed.rows} == {mine.workspace_id, theirs.workspace_id}
    assert [row[5] for row in claimed.rows][:2] == [mine.workspace_id, theirs.workspace_id]
    delivery.send(claimed)
    # one call found the busy workspace limited: the rest of its messages wait untried,
    # the other workspace's message went out in the same pass
    limited = [c for c in oauth_slack.calls("chat.postMessage") if c.status == 429]
    assert len(limited) == 1
    assert [p["text"] for p in _sent_by_team(oauth_slack, OTHER_TEAM)] == ["message 0"]


def test_a_rotating_token_is_refreshed_once_before_it_expires(installer, oauth_slack, clock):
    ctx, browser, delivery = installer
    oauth_slack.token_rotation = True
    assert add_to_slack(browser).status_code == 200
    tokens = workspace_tokens(ctx.settings, ctx.engine, ctx.now)
    first = tokens.bot_token()
    assert first.startswith("xoxe.xoxb-")
    clock.advance(hours=11)  # 12-hour tokens: not yet within REFRESH_BEFORE
    assert tokens.bot_token() == first
    clock.advance(minutes=40)
    second = tokens.bot_token()
    assert second != first and second.startswith("xoxe.xoxb-")
    refreshes = [c for c in oauth_slack.calls("oauth.v2.access") if c.args.get("grant_type")]
    assert len(refreshes) == 1
    # requests and the workers use the new token
    answer = oauth_slack.send_command(REP, SALES, QUESTION).json()
    assert "Yes, you can promise" in answer["blocks"][0]["text"]["text"]
    oauth_slack.send_command(REP, SALES, "yubikey for Acme by March 15")
    delivery.drain()
    assert oauth_slack.calls("chat.postMessage")[-1].team == oauth_slack.team_id
    assert tokens.bot_token() == second


@pytest.mark.postgres
def test_two_processes_refreshing_at_once_do_not_lock_the_workspace_out(pg_url, oauth_slack, clock):
    """Two processes (two engines: nothing shared but PostgreSQL) find the token expiring at
    the same moment; Slack takes its time answering the refresh. Refresh tokens work once:
    only one may use it, the other must take the token the first one stored."""
    from bot.slack.install import WorkspaceInstallationStore
    from tests.conftest import CLIENT_ID, CLIENT_SECRET

    oauth_slack.token_rotation = True
    settings = make_settings(
        pg_url,
        slack_api_url=oauth_slack.api_url,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    )
    engines = [make_engine(pg_url), make_engine(pg_url)]
    processes = [workspace_tokens(settings, engine, clock) for engine in engines]
    installed = oauth_slack._new_rotated_token(oauth_slack.team_id)  # what an install gave
    WorkspaceInstallationStore(client_id=CLIENT_ID, engine=engines[0], clock=clock).save(
        Installation(
            app_id="ACANWE",
            team_id=oauth_slack.team_id,
            user_id="U0INSTALLR",
            bot_token=installed["access_token"],
            bot_refresh_token=installed["refresh_token"],
            bot_token_expires_in=installed["expires_in"],
            bot_id="BCANWE",
            bot_user_id="UCANWEBOT",
        )
    )
    clock.advance(hours=12)
    oauth_slack.hang("oauth.v2.access", 0.5)
    with ThreadPoolExecutor(max_workers=2) as pool:
        got = list(pool.map(lambda tokens: tokens.bot_token(), processes))
    refreshes = [c for c in oauth_slack.calls("oauth.v2.access") if c.args.get("grant_type")]
    assert [c.ok for c in refreshes] == [True]
    assert got[0] == got[1] != installed["access_token"]
    assert processes[1].bot_token() == got[0]  # and the workspace still works
    for engine in engines:
        engine.dispose()


def test_an_uninstalled_workspace_stops_and_its_data_goes_after_the_grace_period(
    two_workspaces, oauth_slack, clock
):
    ctx, delivery, _env = two_workspaces
    mine, theirs = every_workspace(ctx)
    oauth_slack.send_command(REP, SALES, "yubikey for Acme by March 15", team_id=OTHER_TEAM)
    assert (
        oauth_slack.send_event({"type": "app_uninstalled"}, team_id=OTHER_TEAM).status_code == 200
    )
    assert [w.workspace_id for w in every_workspace(ctx)] == [mine.workspace_id]
    delivery.drain()
    assert _sent_by_team(oauth_slack, OTHER_TEAM) == []  # its escalation waits, unsent
    # Slack sends nothing more from it; a request that claims to be from it is refused
    oauth_slack.send_command(REP, SALES, QUESTION, team_id=OTHER_TEAM)
    with session_scope(theirs.sessions) as session:
        assert len(session.scalars(select(Question)).all()) == 1
    # the first workspace goes on
    answer = oauth_slack.send_command(REP, SALES, QUESTION).json()
    assert "Yes, you can promise" in answer["blocks"][0]["text"]["text"]

    clock.advance(days=29)
    assert tick(ctx, delivery).forgotten == []
    clock.advance(days=2)
    assert tick(ctx, delivery).forgotten == [theirs.workspace_id]
    with session_scope(theirs.sessions) as session:
        for model in (Item, Question, Escalation, OutboxMessage, Synonym):
            assert session.scalars(select(model)).all() == []
    with session_scope(mine.sessions) as session:
        assert len(session.scalars(select(Item)).all()) == 30
    assert tick(ctx, delivery).forgotten == []  # once


def test_a_token_slack_no_longer_takes_stops_that_workspace_only(two_workspaces, oauth_slack):
    ctx, delivery, _env = two_workspaces
    oauth_slack.fail("chat.postMessage", error="account_inactive", times=None, team=OTHER_TEAM)
    oauth_slack.send_command(REP, SALES, "yubikey for Acme by March 15", team_id=OTHER_TEAM)
    oauth_slack.send_command(REP, SALES, "yubikey for Acme by March 15")
    delivery.drain()
    assert [w.workspace_id for w in every_workspace(ctx)] == [1]
    assert [p["channel"] for p in _sent_by_team(oauth_slack, None)] == [IDENTITY_CHANNEL]


def test_an_org_wide_enterprise_grid_install_is_one_workspace_keyed_by_its_enterprise(
    roadmap, clock
):
    from slack_bolt import BoltContext

    from bot.context import WorkspaceDirectory
    from bot.slack.install import WorkspaceAuthorize, WorkspaceInstallationStore

    settings = roadmap.settings.model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": SecretStr(CLIENT_SECRET),
        }
    )
    ctx = roadmap
    ctx.settings = settings
    store = WorkspaceInstallationStore(client_id=CLIENT_ID, engine=ctx.engine, clock=clock)
    for enterprise, team, org_wide, token in (
        (None, "T0CANWE", False, "xoxb-first"),  # the store's first workspace
        ("E0GRID", None, True, "xoxb-org-wide"),
    ):
        store.save(
            Installation(
                app_id="ACANWE",
                enterprise_id=enterprise,
                team_id=team,
                is_enterprise_install=org_wide,
                user_id="U0INSTALLR",
                bot_token=token,
                bot_id="BCANWE",
                bot_user_id="UCANWEBOT",
            )
        )
    directory = WorkspaceDirectory(ctx)
    # a request from any workspace of the org comes with its own team id
    grid = directory.context_for(
        enterprise_id="E0GRID", team_id="T0SALES", is_enterprise_install=True
    )
    assert grid is not None and grid.workspace_id != DEFAULT_WORKSPACE
    assert (
        directory.context_for(
            enterprise_id="E0GRID", team_id="T0HR", is_enterprise_install=True
        ).workspace_id
        == grid.workspace_id
    )
    assert (
        directory.context_for(
            enterprise_id="E0GRID", team_id="T0SALES", is_enterprise_install=False
        )
        is None
    )
    authorize = WorkspaceAuthorize(workspace_tokens(settings, ctx.engine, clock))
    found = authorize(
        context=BoltContext(is_enterprise_install=True),
        enterprise_id="E0GRID",
        team_id="T0SALES",
        user_id="U0REP00001",
    )
    assert found.bot_token == "xoxb-org-wide"
    with session_scope(grid.sessions) as session:
        assert session.scalars(select(Item)).all() == []  # its own, empty roadmap


def test_sqlite_reads_an_escalations_questions_through_its_index_not_the_workspaces(sqlite_url):
    # one workspace's 2,000 questions waiting on 400 escalations: with an index on each
    # column alone, SQLite (no statistics) read them through the workspace's, every row
    engine = make_engine(sqlite_url)
    moment = START
    with engine.begin() as connection:
        connection.execute(
            Escalation.__table__.insert(),
            [
                dict(
                    id=n + 1,
                    workspace_id=DEFAULT_WORKSPACE,
                    channel_id="C0TRIAGE01",
                    match_text=f"feature {n}",
                    reason="unknown",
                    status="open",
                    created_at=moment,
                    due_at=moment,
                )
                for n in range(400)
            ],
        )
        connection.execute(
            Question.__table__.insert(),
            [
                dict(
                    workspace_id=DEFAULT_WORKSPACE,
                    request_key=f"command:{n}",
                    text=f"feature {n % 400}",
                    asker_id=f"U0REP{n:05d}",
                    channel_id="C0SALES001",
                    source="command",
                    status="escalated",
                    verdict="unknown",
                    escalation_id=n % 400 + 1,
                    created_at=moment,
                )
                for n in range(2000)
            ],
        )
    waiting = text(
        "EXPLAIN QUERY PLAN SELECT asker_id FROM questions"
        " WHERE questions.escalation_id = 7 AND questions.workspace_id = 1"
    )

    with engine.connect() as connection:
        plan = " ".join(row[-1] for row in connection.execute(waiting))
    engine.dispose()
    assert "ix_questions_escalation_workspace (escalation_id=? AND workspace_id=?)" in plan
