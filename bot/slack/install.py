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

import logging

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.clock import Clock, real_now
from bot.settings import Settings
from store.models import Workspace
from store.tenancy import DEFAULT_WORKSPACE, record_install

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
    "im:write",
    "users:read",
]
STATE_EXPIRATION_SECONDS = 10 * 60
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, which also records the workspace of each install (store/tenancy.py):
    the first install takes the store's first workspace, every other one a new workspace."""

    def __init__(self, *, clock: Clock = real_now, **kwargs):
        super().__init__(**kwargs)
        self.clock = clock

    def save(self, installation: Installation) -> None:
        # an org-wide Enterprise Grid install is one workspace, keyed by its enterprise
        team_id = None if installation.is_enterprise_install else installation.team_id
        with Session(self.engine) as session, session.begin():
            workspace_id = record_install(
                session, enterprise_id=installation.enterprise_id, team_id=team_id, now=self.clock()
            )
        log.info(
            "installed in workspace %s (canwe workspace %s)", installation.team_id, workspace_id
        )
        super().save(installation)

    def bot_token(self, workspace_id: int = DEFAULT_WORKSPACE) -> str | None:
        """The bot token of a workspace's install (None before it is installed)."""
        with Session(self.engine) as session:
            workspace = session.get(Workspace, workspace_id)
        if workspace is None or (workspace.enterprise_id, workspace.team_id) == (None, None):
            return None
        bot = self.find_bot(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.team_id is None,
        )
        return bot.bot_token if bot else None


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


def request_authorize(oauth: OAuthSettings) -> InstallationStoreAuthorize:
    """How a request is authorized: the bot token its workspace's install stored, with the
    identity from auth.test cached per token, so a request does not wait on Slack for it."""
    return InstallationStoreAuthorize(
        logger=log,
        installation_store=oauth.installation_store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        bot_only=True,
        cache_enabled=True,
    )


class InstalledWorkspaceClient(WebClient):
    """The workers' client in OAuth mode: each call carries the bot token of one workspace's
    install, read from the installation store (a reinstall's new token is used at once);
    `for_workspace` gives the client of another workspace. Before that workspace has
    installed canwe a call fails as a client error, so the outbox keeps its messages and
    tries again later."""

    def __init__(
        self, store: WorkspaceInstallationStore, workspace_id: int = DEFAULT_WORKSPACE, **kwargs
    ):
        super().__init__(token=None, **kwargs)
        self._store = store
        self._options = kwargs
        self.workspace_id = workspace_id

    def for_workspace(self, workspace_id: int) -> InstalledWorkspaceClient:
        if workspace_id == self.workspace_id:
            return self
        return InstalledWorkspaceClient(self._store, workspace_id, **self._options)

    def api_call(self, api_method: str, **kwargs):  # type: ignore[override]
        token = self._store.bot_token(self.workspace_id)
        if token is None:
            raise SlackRequestError(f"canwe is not installed in workspace {self.workspace_id}")
        self.token = token
        return super().api_call(api_method, **kwargs)
