"""Thin Bolt listeners. Registration order matters (Bolt runs the first match): keep it here."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Context
from handlers import actions, commands, errors, events, views


def register_listeners(app: App, ctx: Context) -> None:
    commands.register(app, ctx)
    events.register(app, ctx)
    actions.register(app, ctx)
    views.register(app, ctx)
    errors.register(app, ctx)
