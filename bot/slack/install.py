"""Installing canwe with Slack's OAuth flow ("Add to Slack"), when SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET are set. Single-token mode (SLACK_BOT_TOKEN) stays the simple default.

Bolt runs the flow (`/slack/install`, `/slack/oauth_redirect`); the code is exchanged with
oauth.v2.access at SLACK_API_URL like every other Web API call. Installations and OAuth
states live in the store, in slack_sdk's SQLAlchemy stores; their tables are created by
the alembic migration 0009, never by the stores' own `create_tables()`.

Any number of workspaces: each install records its workspace (`workspaces`, kept when
canwe is uninstalled), every row of the bot's data belongs to one, and a request works on
its own workspace's rows only (store/tenancy.py, handlers/workspaces.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock, real_now
from bot.context import Context
from bot.settings import Settings
from store.db import session_scope
from store.models import Workspace
from store.tenancy import DEFAULT_WORKSPACE, find_workspace, mark_uninstalled, record_install

log = logging.getLogger("canwe.install")

# what the manifest asks for (manifest.yml, oauth_config.scopes.bot)
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "groups:history",
    "im:history",
    "im:write",
    "users:read",
]
STATE_EXPIRATION_SECONDS = 10 * 60
REFRESH_TIMEOUT_SECONDS = 2  # a refresh may happen inside a request: Slack waits 3 s
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, which also records the workspace of each install (store/tenancy.py):
    the first install takes the store's first workspace, every other one a new workspace."""

    def __init__(self, *, clock: Clock = real_now, **kwargs):
        super().__init__(**kwargs)
        self.clock = clock

    def save(self, installation: Installation) -> None:
        now = self.clock()
        # slack_sdk dates the install, and a rotating token's expiry, by the machine's clock:
        # canwe's own clock decides when a token is refreshed, so they are dated by it
        if installation.bot_token_expires_at is not None:
            lifetime = installation.bot_token_expires_at - int(installation.installed_at)
            installation.bot_token_expires_at = int(now.timestamp()) + lifetime
        installation.installed_at = now.timestamp()
        # an org-wide Enterprise Grid install is one workspace, keyed by its enterprise
        team_id = None if installation.is_enterprise_install else installation.team_id
        with Session(self.engine) as session, session.begin():
            workspace_id = record_install(
                session, enterprise_id=installation.enterprise_id, team_id=team_id, now=now
            )
        log.info(
            "installed in workspace %s (canwe workspace %s)", installation.team_id, workspace_id
        )
        super().save(installation)

    def refreshed(self, key: tuple[str | None, str | None], bot: Bot) -> None:
        """Store a refreshed token in place of the one it replaces (the latest install's rows):
        a refresh is not a new install."""
        enterprise_id, team_id = key
        values = {
            "bot_token": bot.bot_token,
            "bot_refresh_token": bot.bot_refresh_token,
            "bot_token_expires_at": normalize_datetime_for_db(
                dt.datetime.fromtimestamp(bot.bot_token_expires_at, tz=dt.UTC)
            ),
        }
        with self.engine.begin() as connection:
            for table in (self.bots, self.installations):
                mine = [
                    table.c.client_id == self.client_id,
                    table.c.enterprise_id.is_(None)
                    if enterprise_id is None
                    else table.c.enterprise_id == enterprise_id,
                    table.c.team_id.is_(None) if team_id is None else table.c.team_id == team_id,
                ]
                latest = (
                    select(table.c.id)
                    .where(*mine)
                    .order_by(table.c.installed_at.desc(), table.c.id.desc())
                    .limit(1)
                    .scalar_subquery()
                )
                connection.execute(update(table).where(table.c.id == latest).values(**values))


# refresh a rotating token this long before it expires; well inside Slack's 12 hours
REFRESH_BEFORE = dt.timedelta(minutes=30)
# PostgreSQL advisory locks taken for token refreshes: (this class, the workspace's id)
_REFRESH_LOCK_CLASS = 0x63616E77
_refresh_locks: dict[tuple[int, int], threading.Lock] = {}
_refresh_locks_guard = threading.Lock()


class WorkspaceTokens:
    """The one place a workspace's bot token comes from in OAuth mode, for requests and for
    the background work alike.

    With token rotation on (the install came with a refresh token and an expiry), a token
    that expires within REFRESH_BEFORE is refreshed first (oauth.v2.access at SLACK_API_URL).
    A refresh token works once, so two refreshes at once would lock the workspace out: a
    refresh is guarded per workspace by a lock in this process and, on PostgreSQL, by an
    advisory lock every process takes; whoever waited finds the token the first one stored
    and uses it. A workspace that uninstalled canwe has no token."""

    def __init__(self, store: WorkspaceInstallationStore, settings: Settings, clock: Clock):
        assert settings.slack_client_id and settings.slack_client_secret
        self.store = store
        self.clock = clock
        self.client_id = settings.slack_client_id
        self.client_secret = settings.slack_client_secret.get_secret_value()
        self.slack = WebClient(base_url=settings.slack_api_url, timeout=REFRESH_TIMEOUT_SECONDS)

    def bot(self, workspace_id: int) -> Bot | None:
        # read at each use, not kept: an uninstall or a reinstall counts from the next call
        key = self._slack_team(workspace_id)
        if key is None:
            return None
        bot = self._find(key)
        if bot is None or not self._expiring(bot):
            return bot
        return self._refresh(workspace_id, key)

    def bot_token(self, workspace_id: int = DEFAULT_WORKSPACE) -> str | None:
        bot = self.bot(workspace_id)
        return bot.bot_token if bot else None

    def _slack_team(self, workspace_id: int) -> tuple[str | None, str | None] | None:
        with Session(self.store.engine) as session:
            workspace = session.get(Workspace, workspace_id)
        if workspace is None or workspace.uninstalled_at is not None:
            return None
        if (workspace.enterprise_id, workspace.team_id) == (None, None):
            return None  # nobody has installed canwe yet
        return workspace.enterprise_id, workspace.team_id

    def _find(self, key: tuple[str | None, str | None]) -> Bot | None:
        return self.store.find_bot(
            enterprise_id=key[0], team_id=key[1], is_enterprise_install=key[1] is None
        )

    def _expiring(self, bot: Bot) -> bool:
        if not bot.bot_refresh_token or bot.bot_token_expires_at is None:
            return False
        return bot.bot_token_expires_at <= (self.clock() + REFRESH_BEFORE).timestamp()

    def _refresh(self, workspace_id: int, key: tuple[str | None, str | None]) -> Bot | None:
        with _refresh_lock(self.store.engine, workspace_id), self._across_processes(workspace_id):
            bot = self._find(key)  # another thread or process may have refreshed it meanwhile
            if bot is None or not self._expiring(bot):
                return bot
            response = self.slack.oauth_v2_access(
                client_id=self.client_id,
                client_secret=self.client_secret,
                grant_type="refresh_token",
                refresh_token=bot.bot_refresh_token,
            )
            refreshed = Bot(**bot.to_dict_for_copying())
            refreshed.bot_token = response["access_token"]
            refreshed.bot_refresh_token = response.get("refresh_token")
            refreshed.bot_token_expires_at = int(self.clock().timestamp()) + int(
                response["expires_in"]
            )
            self.store.refreshed(key, refreshed)
            log.info("refreshed the bot token of canwe workspace %s", workspace_id)
            return refreshed

    @contextmanager
    def _across_processes(self, workspace_id: int) -> Iterator[None]:
        """PostgreSQL's advisory lock for this workspace's refresh, held by a connection of
        its own while the refresh runs (SQLite serves one process: the thread lock is it)."""
        if self.store.engine.dialect.name != "postgresql":
            yield
            return
        with self.store.engine.connect() as connection, connection.begin():
            connection.execute(
                select(func.pg_advisory_xact_lock(_REFRESH_LOCK_CLASS, workspace_id))
            )
            yield


def _refresh_lock(engine: Engine, workspace_id: int) -> threading.Lock:
    with _refresh_locks_guard:
        return _refresh_locks.setdefault((id(engine), workspace_id), threading.Lock())


def installation_store(
    settings: Settings, engine: Engine, clock: Clock = real_now
) -> WorkspaceInstallationStore:
    assert settings.slack_client_id is not None
    return WorkspaceInstallationStore(
        client_id=settings.slack_client_id, engine=engine, clock=clock
    )


def oauth_settings(settings: Settings, engine: Engine, clock: Clock = real_now) -> OAuthSettings:
    """Bolt's OAuth settings, on the store's tables."""
    assert settings.slack_client_id and settings.slack_client_secret
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        success_url=settings.slack_install_success_url,
        installation_store=installation_store(settings, engine, clock),
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine
        ),
    )


def workspace_tokens(
    settings: Settings, engine: Engine, clock: Clock = real_now
) -> WorkspaceTokens:
    return WorkspaceTokens(installation_store(settings, engine, clock), settings, clock)


class WorkspaceAuthorize(Authorize):
    """How Bolt authorizes a request: the bot of the install of the request's workspace,
    from WorkspaceTokens (refreshed there when it expires), its identity as the install
    recorded it, so a request never waits on auth.test. A workspace canwe does not know, or
    that uninstalled it, is not authorized (Bolt then refuses the request)."""

    def __init__(self, tokens: WorkspaceTokens):
        super().__init__()
        self.tokens = tokens
        self._workspaces: dict[tuple[str | None, str | None], int] = {}  # never change

    def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor):
        key = (enterprise_id, None if context.is_enterprise_install else team_id)
        workspace_id = self._workspaces.get(key)
        if workspace_id is None:
            with Session(self.tokens.store.engine) as session:
                workspace_id = find_workspace(session, enterprise_id=key[0], team_id=key[1])
            if workspace_id is not None:
                self._workspaces[key] = workspace_id
        bot = self.tokens.bot(workspace_id) if workspace_id is not None else None
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
        )


class InstalledWorkspaceClient(WebClient):
    """The workers' client in OAuth mode: each call carries the bot token of one workspace's
    install, read from the installation store (a reinstall's new token is used at once);
    `for_workspace` gives the client of another workspace. Before that workspace has
    installed canwe a call fails as a client error, so the outbox keeps its messages and
    tries again later."""

    def __init__(self, tokens: WorkspaceTokens, workspace_id: int = DEFAULT_WORKSPACE, **kwargs):
        super().__init__(token=None, **kwargs)
        self._tokens = tokens
        self._options = kwargs
        self.workspace_id = workspace_id

    def for_workspace(self, workspace_id: int) -> InstalledWorkspaceClient:
        if workspace_id == self.workspace_id:
            return self
        return InstalledWorkspaceClient(self._tokens, workspace_id, **self._options)

    def api_call(self, api_method: str, **kwargs):  # type: ignore[override]
        token = self._tokens.bot_token(self.workspace_id)
        if token is None:
            raise SlackRequestError(f"canwe is not installed in workspace {self.workspace_id}")
        self.token = token
        return super().api_call(api_method, **kwargs)


def workspace_gone(ctx: Context, why: str) -> None:
    """A workspace uninstalled canwe, or its token no longer works: its scheduled work and
    its messages stop (they wait, for a reinstall), and its data is deleted after
    CANWE_FORGET_UNINSTALLED_DAYS (bot/workers.py)."""
    with session_scope(ctx.sessions) as session:
        first_time = mark_uninstalled(session, ctx.workspace_id, ctx.now())
    if first_time:
        log.warning(
            "canwe workspace %s: %s; its work stops, and its data is deleted in %s days "
            "unless canwe is installed there again",
            ctx.workspace_id,
            why,
            ctx.settings.canwe_forget_uninstalled_days,
        )
