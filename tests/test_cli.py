"""The command line: help everywhere, clear errors for bad configuration."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli

COMMANDS = ["migrate", "import", "ask", "serve", "tick", "sync", "digest", "synonyms"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_half_a_slack_configuration_names_what_is_missing(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["serve"],
        env={"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
    )
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.output


def test_ask_prints_an_answer_from_the_local_store(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"}
    runner = CliRunner()
    assert runner.invoke(cli, ["import", "examples/roadmap.yaml"], env=env).exit_code == 0
    result = runner.invoke(cli, ["ask", "salesforce sync for Acme"], env=env)
    assert (
        result.exit_code == 0
        and "Available" in result.output
        and "Salesforce two-way sync" in result.output
    )


def test_a_bad_date_option_is_refused(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["ask", "sso", "--needed-by", "soon"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/canwe.db"},
    )
    assert result.exit_code == 2 and "not a date" in result.output


def test_health_is_503_when_the_database_is_unreachable(clock):
    from slack_sdk import WebClient
    from starlette.testclient import TestClient

    from app import build_app, build_web
    from tests.conftest import make_context, make_settings

    ctx = make_context(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"), clock)
    web = build_web(
        ctx, build_app(ctx, WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"))
    )
    response = TestClient(web).get("/healthz")
    assert response.status_code == 503 and response.json()["ok"] is False
