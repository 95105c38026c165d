"""The command line: help everywhere, clear errors for bad configuration."""

from __future__ import annotations

import pytest

from bot.cli import app as cli
from tests.conftest import run_cli

COMMANDS = ["migrate", "import", "ask", "serve", "tick", "sync", "digest", "synonyms"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command):
    result = run_cli([command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_help_loads_no_database_or_slack_library():
    """`canwe --help`, `canwe ask --help` or a mistyped command answer at once: the libraries
    a command uses (seconds of imports on a small machine) are imported by that command, not
    by the CLI."""
    import subprocess
    import sys

    heavy = ("alembic", "sqlalchemy", "slack_bolt", "slack_sdk", "numpy", "rapidfuzz", "httpx")
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from bot.cli import app\n"
        "for args in (['--help'], ['ask', '--help'], ['asq']):\n"
        "    CliRunner().invoke(app, args)\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"


def test_half_a_slack_configuration_names_what_is_missing(tmp_path):
    result = run_cli(
        ["serve"],
        env={"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
    )
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.output


def test_ask_prints_an_answer_from_the_local_store(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"}
    assert run_cli(["import", "examples/roadmap.yaml"], env=env).exit_code == 0
    result = run_cli(["ask", "salesforce sync for Acme"], env=env)
    assert (
        result.exit_code == 0
        and "Available" in result.output
        and "Salesforce two-way sync" in result.output
    )


def test_ask_help_shows_how_to_ask_and_stores_nothing(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"}
    result = run_cli(["ask", "help"], env=env)
    assert result.exit_code == 0
    assert result.output.startswith("Ask me whether a feature can be promised")
    assert "Which feature do you mean" not in result.output
    assert not (tmp_path / "canwe.db").exists()  # no store needed, none created


def test_a_busy_port_is_one_line_naming_port(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            # with Slack's variables: without them serve would refuse a sandbox on this store
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
        }
        result = run_cli(["serve", "--port", str(port)], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"canwe serve: port {port} is in use by another program; set PORT (or --port) to a "
        "free one."
    )


def test_ask_on_an_empty_store_says_how_to_load_a_roadmap(tmp_path):
    result = run_cli(
        ["ask", "SSO with Okta for Acme"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert result.exit_code == 1
    assert "is empty: load one with `canwe import FILE`" in result.output
    assert "canwe-sandbox.db" in result.output  # where `make run` keeps its store


def test_a_bad_date_option_is_refused(tmp_path):
    result = run_cli(
        ["ask", "sso", "--needed-by", "soon"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"},
    )
    assert result.exit_code == 2 and "not a date" in result.output


def test_health_is_503_when_the_database_is_unreachable(clock):
    import httpx
    from slack_sdk import WebClient

    from app import build_app, build_web
    from tests.conftest import make_context, make_settings, serve_in_thread

    ctx = make_context(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"), clock)
    web = build_web(
        ctx, build_app(ctx, WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"))
    )
    (server, thread), url = serve_in_thread(web)
    try:
        response = httpx.get(f"{url}/healthz")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
    assert response.status_code == 503 and response.json()["ok"] is False


def _heads() -> str:
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config

    return ", ".join(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


def test_migrate_says_what_it_did(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    first = run_cli(["migrate"], env={"DATABASE_URL": url})
    assert first.exit_code == 0
    assert first.output.strip() == f"migrated {url} from (empty) to {_heads()}"
    again = run_cli(["migrate"], env={"DATABASE_URL": url})
    assert again.exit_code == 0 and again.output.strip() == f"{url}: already at {_heads()}"


@pytest.mark.postgres
def test_migrate_hides_the_password(pg_url):
    url = pg_url.replace("postgres@", "postgres:s3cret@")  # trust auth: any password will do
    result = run_cli(["migrate"], env={"DATABASE_URL": url})
    assert result.exit_code == 0 and "already at" in result.output
    assert "postgres:***@" in result.output and "s3cret" not in result.output


UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nowhere"


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["import", "examples/roadmap.yaml"],
        ["ask", "sso for Acme"],
        ["tick"],
        ["digest"],
        ["digest", "--post"],
        ["synonyms", "list"],
    ],
)
def test_an_unreachable_database_is_one_line_not_a_traceback(command):
    env = {"DATABASE_URL": UNREACHABLE, "SLACK_BOT_TOKEN": "xoxb-1"}
    result = run_cli(command, env=env)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(
        "canwe: cannot use the database postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere: "
    )
    assert "Connection refused" in lines[0] and "s3cret" not in lines[0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a database url", "Could not parse SQLAlchemy URL"),
        ("nosuchdb://user:pw@host/db", "Can't load plugin"),
        ("mysql://user:pw@host/db", "canwe works with sqlite:/// and postgresql://"),
        ("sqlite:////no/such/directory/canwe.db", "unable to open database file"),
    ],
)
def test_a_malformed_database_url_is_one_line(url, reason):
    result = run_cli(["migrate"], env={"DATABASE_URL": url})
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and reason in result.output
    assert "pw@" not in result.output


def test_half_an_oauth_configuration_names_what_is_missing(tmp_path):
    result = run_cli(
        ["serve"],
        env={
            "SLACK_CLIENT_ID": "1234.5678",
            "SLACK_SIGNING_SECRET": "s",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
    )
    assert result.exit_code == 2
    assert "SLACK_CLIENT_SECRET is not set" in result.output


def test_tick_without_a_bot_token_sends_nothing(tmp_path):
    result = run_cli(["tick"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"})
    assert result.exit_code == 2
    assert result.output.strip().startswith("canwe tick: SLACK_BOT_TOKEN is not set")


def test_digest_for_a_channel_with_nothing_open_says_so(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"}
    result = run_cli(["digest", "--channel", "NOPE"], env=env)
    assert result.exit_code == 0
    assert "nothing open in channel NOPE" in result.output and "0 digest" not in result.output


def test_serve_help_points_at_the_sandbox_page():
    result = run_cli(["serve", "--help"], terminal_width=200)
    assert "/sandbox/" in result.output and "page at / " not in result.output


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_help_paragraphs_are_not_broken_mid_sentence():
    """typer keeps a docstring's line breaks, so each paragraph must be one line."""
    import inspect

    from typer.main import get_command

    for name, command in _commands(get_command(cli)):
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n"):
            assert "\n" not in paragraph.strip(), f"canwe {' '.join(name)}: {paragraph!r}"


def test_a_bad_seed_file_stops_serve_before_it_starts(tmp_path, monkeypatch):
    seed = tmp_path / "seed.yaml"
    seed.write_text("items:\n  - {key: A-1, title: T, status: planned, area: Nowhere}\n")
    monkeypatch.chdir(tmp_path)  # the sandbox's own store is canwe-sandbox.db in the cwd
    result = run_cli(["serve", "--sandbox", "--seed", str(seed)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "seed.yaml: items row 1 (A-1), field area: unknown area 'Nowhere'" in result.output


def test_synonyms_import_of_a_missing_file_is_a_usage_error(tmp_path):
    result = run_cli(
        ["synonyms", "import", str(tmp_path / "nope.csv")],
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"},
    )
    # click's error box wraps a long path (pytest's tmp_path) across lines
    said = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "does not exist" in said


OPEN_ESCALATIONS = "select count(*) from escalations where status = 'open'"
UNKNOWN_QUESTION = "/canwe a dashboard of carbon emissions per seat for Initech by March 1"


def test_a_restarted_sandbox_starts_afresh_so_its_page_and_its_store_agree(tmp_path):
    """`canwe serve --sandbox`, twice, as a newcomer runs `make run`: the stand-in keeps its
    messages in memory, so the second start must not keep the first one's open questions."""
    import json
    import socket
    import sqlite3
    import subprocess
    import sys
    import time
    from contextlib import closing
    from pathlib import Path

    import httpx

    from tests.helpers import REP, SALES

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = f"http://127.0.0.1:{port}/sandbox"
    store = tmp_path / "canwe-sandbox.db"

    def start() -> subprocess.Popen:
        canwe = Path(sys.executable).with_name("canwe")
        server = subprocess.Popen(
            [str(canwe), "serve", "--sandbox", "--port", str(port)],
            cwd=tmp_path,  # the sandbox's own store is canwe-sandbox.db in the cwd
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{page}/ui/state", params={"as": REP}).status_code == 200:
                    return server
            except httpx.TransportError:
                time.sleep(0.2)
        server.kill()
        raise AssertionError(f"the sandbox did not start:\n{server.communicate()[0]}")

    def stop(server: subprocess.Popen) -> str:
        server.terminate()
        return server.communicate(timeout=20)[0]

    def open_escalations() -> int:
        with closing(sqlite3.connect(store)) as db:
            (count,) = db.execute(OPEN_ESCALATIONS).fetchone()
        return count

    def shown_messages() -> int:
        state = httpx.get(f"{page}/ui/state", params={"as": REP}).json()
        return sum(len(messages) for messages in state["messages"].values())

    def install() -> None:  # "Add to Slack" on the page, as a newcomer does first
        from sandbox.run import TEAM_ID
        from tests.sandbox_site import add_to_slack

        assert add_to_slack(f"http://127.0.0.1:{port}/", TEAM_ID).status_code == 200

    first = start()
    try:
        install()
        asked = httpx.post(
            f"{page}/ui/send",
            json={"as": REP, "channel": SALES, "text": UNKNOWN_QUESTION},
            timeout=30,
        )
        assert asked.status_code == 200, asked.text
        assert open_escalations() == 1
        assert shown_messages() >= 1
    finally:
        said = stop(first)
    assert "a new store each start" in said

    second = start()
    try:
        assert shown_messages() == 0
        assert open_escalations() == 0
        install()
        # installed again, its roadmap imported again: the sandbox still answers from it
        httpx.post(
            f"{page}/ui/send",
            json={"as": REP, "channel": SALES, "text": "/canwe SAML single sign-on for Acme"},
            timeout=30,
        )
        state = httpx.get(f"{page}/ui/state", params={"as": REP}).json()
        assert "Available" in json.dumps(state["messages"][SALES])
    finally:
        stop(second)
