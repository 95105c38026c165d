"""`canwe serve --sandbox` in the test's process, for the page tests with and without a browser:
the bot in OAuth mode, the stand-in with its two workspaces, the page, the workers.

`add_to_slack` installs canwe into a workspace the way a browser does, through the real flow:
Bolt's install page, the stand-in's "Allow" page, the redirect back to the bot."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

import httpx
import pytest

from tests.conftest import Clock, make_context, make_settings

# Friday 27 Nov 2026, 18:30 in New York: after hours, so a question's answering clock starts on
# Monday morning and "+1 day" steps pass through the reminders before the due time
SANDBOX_START = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)


@dataclass
class Site:
    url: str  # the bot's own address; the page is at url + "sandbox/"
    standin: object
    ctx: object
    sandbox: object


@pytest.fixture
def bare_site(sqlite_url) -> Iterator[Site]:
    """The sandbox as `make run` starts it: canwe installed nowhere yet."""
    from app import build_app, build_web
    from bot.slack.client import make_client
    from bot.workers import Workers
    from sandbox.run import build_sandbox, sandbox_settings, with_api_url
    from sandbox.serve import ThreadedServer

    server = ThreadedServer().bind()
    settings = sandbox_settings(make_settings(sqlite_url, port=server.port), host="127.0.0.1")
    # the sandbox starts at a stated moment, and its page buttons move it on from there
    ctx = make_context(settings, clock=Clock(SANDBOX_START))
    sb = build_sandbox(settings, ctx, host="127.0.0.1")
    ctx.settings = settings = with_api_url(settings, sb)
    client = make_client(settings, engine=ctx.engine)
    workers = Workers(ctx, client)
    workers.start()
    server.app = sb.after_installs(build_web(ctx, build_app(ctx, client), extra_routes=sb.routes))
    server.start()
    yield Site(url=f"http://127.0.0.1:{server.port}/", standin=sb.standin, ctx=ctx, sandbox=sb)
    server.stop()
    workers.stop()
    sb.stop()
    ctx.engine.dispose()


@pytest.fixture
def site(bare_site) -> Site:
    """The sandbox with canwe installed in its first workspace (Example Co)."""
    from sandbox.run import TEAM_ID

    done = add_to_slack(bare_site.url, TEAM_ID)
    assert done.status_code == 200, done.text
    return bare_site


def add_to_slack(url: str, team: str) -> httpx.Response:
    """ "Add to Slack" from a browser: canwe's install page (which sets the OAuth state cookie),
    the stand-in's "Allow" page with `team` picked, and the redirect back to canwe."""
    with httpx.Client(base_url=url, timeout=20) as browser:
        page = browser.get("/slack/install")
        assert page.status_code == 200, page.text
        link = unescape(re.search(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.text)[1])
        allow = browser.get(link)
        assert allow.status_code == 200 and 'id="allow"' in allow.text, allow.text
        back = browser.get(f"{link}&team={team}")
        assert back.status_code in (302, 307), back.text
        # Bolt's state cookie is Secure; over plain http the test hands it back itself, as a
        # browser does on localhost
        state_cookie = page.headers["set-cookie"].split(";")[0]
        return browser.get(back.headers["location"], headers={"cookie": state_cookie})
