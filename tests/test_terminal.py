"""`canwe ask` and `canwe digest --print` show Slack messages as readable terminal text."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.core.terminal import readable
from bot.slack.blocks import Message, plain_text
from bot.slack.wording import quote


@pytest.mark.parametrize(
    ("mrkdwn", "shown"),
    [
        ("owner <@U0PMIDENT1>", "owner @U0PMIDENT1"),
        ("I asked them in <#C0PMIDENT1>.", "I asked them in #C0PMIDENT1."),
        ("in <#C0PMIDENT1|identity-pm>", "in #identity-pm"),
        ("<!here> look", "@here look"),
        (
            "<https://x.example/ID-12|ID-12 Okta SSO> · shipped",
            "ID-12 Okta SSO (https://x.example/ID-12) · shipped",
        ),
        ("see <https://x.example/a>", "see https://x.example/a"),
        ("Yes, by *Mon Mar 15*.", "Yes, by Mon Mar 15."),
        (":white_check_mark: *Available* · Yes", "✓ Available · Yes"),
        (":warning: careful", "⚠ careful"),
        (":grey_question: *Unknown* · not on the roadmap", "Unknown · not on the roadmap"),
        ("  :thread: Continued in the thread", "  Continued in the thread"),
        ("first\n:speech_balloon: I asked", "first\nI asked"),
        ("due at 10:30: soon", "due at 10:30: soon"),
        ("2 * 3 and 4 * 5", "2 * 3 and 4 * 5"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("&lt;@U1&gt; typed by a user", "<@U1> typed by a user"),
    ],
)
def test_mrkdwn_reads_as_plain_text(mrkdwn, shown):
    assert readable(mrkdwn) == shown


def test_stars_someone_typed_are_kept():
    assert readable(f"You asked: “{quote('is *this* SSO?')}”") == "You asked: “is *this* SSO?”"
    assert readable(f"customer *{quote('Acme*')}*") == "customer Acme*"


def test_a_message_as_terminal_text():
    message = Message(
        text="fallback",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=":white_check_mark: *Available* · Yes.")),
            ContextBlock(elements=[MarkdownTextObject(text="owner <@U0PM1>")]),
        ],
    )
    assert plain_text(message) == "✓ Available · Yes.\n  owner @U0PM1"
