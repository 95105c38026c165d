"""Which workspace a Slack request is from: every listener works on that workspace's rows."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext, BoltResponse

from bot.context import Context, WorkspaceDirectory

log = logging.getLogger(__name__)
_KEY = "canwe"


def register(app: App, ctx: Context) -> None:
    directory = WorkspaceDirectory(ctx)

    @app.middleware
    def in_its_workspace(context: BoltContext, next) -> BoltResponse | None:
        workspace = directory.context_for(
            enterprise_id=context.enterprise_id,
            team_id=context.team_id,
            is_enterprise_install=bool(context.is_enterprise_install),
        )
        if workspace is None:
            # signed by our app, but from a workspace canwe has no install for (an install
            # removed a moment ago): nothing of any other workspace may answer it
            log.warning("refused a request from workspace %.32s: not installed", context.team_id)
            return BoltResponse(status=404, body="canwe is not installed in this workspace")
        context[_KEY] = workspace
        return next()


def workspace_context(context: BoltContext) -> Context:
    """The context of the request's workspace, set by the middleware above."""
    return context[_KEY]
