"""Installing canwe with Slack's OAuth flow ("Add to Slack"), when SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET are set. Single-token mode (SLACK_BOT_TOKEN) stays the simple default.

Bolt runs the flow (`/slack/install`, `/slack/oauth_redirect`); the code is exchanged with
oauth.v2.access at SLACK_API_URL like every other Web API call. Installations and OAuth
states live in the store, in slack_sdk's SQLAlchemy stores; their tables are created by
the alembic migration 0009, never by the stores' own `create_tables()`.

One workspace per deployment, for now: the roadmap, questions and answers do not carry a
workspace yet, so a second workspace would see the first one's data. The first install
records the store's workspace (`workspaces`, kept when canwe is uninstalled); an install
into any other is refused with a page that says why, until rows carry their team.
"""

from __future__ import annotations

import logging

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock, real_now
from bot.settings import Settings
from store.models import Workspace

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


class AnotherWorkspace(BoltError):
    """An install into a second workspace, refused (see the module's docstring)."""


def _failure(args: FailureArgs) -> BoltResponse:
    """Slack's failure page, except for a second workspace: say why, in a sentence."""
    if isinstance(args.error, AnotherWorkspace):
        return BoltResponse(
            status=403,
            headers={"content-type": "text/plain; charset=utf-8"},
            body="canwe is already installed in another workspace, and one canwe serves one "
            "workspace for now: ask whoever runs it for a deployment of your own.",
        )
    return args.default.failure(args)


class OneWorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, refusing an install into a workspace other than the installed one
    (reinstalling into the same workspace, say with new scopes, is fine)."""

    def __init__(self, *, clock: Clock = real_now, **kwargs):
        super().__init__(**kwargs)
        self.clock = clock

    def save(self, installation: Installation) -> None:
        team = (installation.enterprise_id, installation.team_id)
        try:
            owner = self._owner(claim=team)
        except IntegrityError:  # another install claimed the store at the same moment
            owner = self._owner(claim=team)
        if owner != team:
            log.warning(
                "refused an install into workspace %s: this store holds %s's data (one "
                "workspace per deployment for now)",
                installation.team_id,
                owner[1],
            )
            raise AnotherWorkspace(installation.team_id)
        super().save(installation)

    def _owner(self, claim: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
        """The workspace the store's data belongs to: the one row of `workspaces` (id 1, so
        two first installs at once cannot both insert it), written by the first install."""
        with Session(self.engine) as session, session.begin():
            owner = session.get(Workspace, 1)
            if owner is None:
                session.add(
                    Workspace(
                        id=1, enterprise_id=claim[0], team_id=claim[1], installed_at=self.clock()
                    )
                )
                return claim
            return (owner.enterprise_id, owner.team_id)

    def installed_team(self) -> tuple[str | None, str | None] | None:
        """(enterprise id, team id) of the installed workspace, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(self.bots.c.enterprise_id, self.bots.c.team_id)
                .where(self.bots.c.client_id == self.client_id)
                .order_by(self.bots.c.installed_at.desc())
                .limit(1)
            ).first()
        return (row[0], row[1]) if row else None

    def bot_token(self) -> str | None:
        """The installed workspace's bot token (None before the first install)."""
        team = self.installed_team()
        if team is None:
            return None
        bot = self.find_bot(enterprise_id=team[0], team_id=team[1])
        return bot.bot_token if bot else None


def installation_store(
    settings: Settings, engine: Engine, clock: Clock = real_now
) -> OneWorkspaceInstallationStore:
    assert settings.slack_client_id is not None
    return OneWorkspaceInstallationStore(
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
        installation_store=installation_store(settings, engine, clock),
        callback_options=CallbackOptions(
            success=lambda args: args.default.success(args), failure=_failure
        ),
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
    """The workers' client in OAuth mode: each call carries the installed workspace's bot
    token, read from the installation store (a reinstall's new token is used at once).
    Before anyone has installed canwe a call fails as a client error, so the outbox keeps
    its messages and tries again later."""

    def __init__(self, store: OneWorkspaceInstallationStore, **kwargs):
        super().__init__(token=None, **kwargs)
        self._store = store

    def api_call(self, api_method: str, **kwargs):  # type: ignore[override]
        token = self._store.bot_token()
        if token is None:
            raise SlackRequestError("canwe is not installed in a workspace yet (/slack/install)")
        self.token = token
        return super().api_call(api_method, **kwargs)
