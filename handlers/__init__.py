"""Thin Bolt listeners. Registration order matters (Bolt runs the first match): keep it here."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Context
from handlers import actions, commands, errors, events, views, workspaces


def register_listeners(app: App, ctx: Context) -> None:
    workspaces.register(app, ctx)  # first: every listener works in the request's workspace
    commands.register(app)
    events.register(app)
    actions.register(app)
    views.register(app)
    errors.register(app)
