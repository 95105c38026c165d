"""A Bolt app that only acks /canwe: the framework's own cost, for comparison."""

import os

from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from starlette.applications import Starlette
from starlette.routing import Route


def authorize(enterprise_id, team_id, logger):
    # no auth.test call: this app never talks to Slack
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bare")


bolt = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    authorize=authorize,
    process_before_response=True,
)


@bolt.command("/canwe")
def only_ack(ack):
    ack("ok")


handler = SlackRequestHandler(bolt)


async def events(request):
    return await handler.handle(request)


app = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
