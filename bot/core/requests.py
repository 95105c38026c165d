"""What a `/canwe …` or `@canwe …` text asks for: usage, a subcommand, a likely typo of one,
or a question about a feature.

Only questions are stored and may reach a PM: `help`, a mistyped subcommand, a bare mention
or a greeting never become an escalation, a triage post or a digest line.

Pure functions, no store and no Slack.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

HELP_WORDS = frozenset({"", "help", "usage", "?", "-h", "--help", "commands"})
SUBCOMMANDS = ("help", "audience", "promises")  # what a single mistyped word is compared with
# a single word this close to a subcommand is taken for a typo of it ("promisses", "audiance")
TYPO_CUTOFF = 0.75

# Words that never name a feature on their own: greetings, thanks, filler and the words of
# asking itself. A text made only of these ("hi", "test", "can we promise this?") is not a
# question about anything.
_NOT_A_FEATURE_WORDS = """
    a an and are as at be but by can could do does for from have hello help hey hi how i if
    in is it me my of ok okay on or our please promise promised question test testing thank
    thanks that the there this thx to us we what whats when will with would yes yo you your
    feature features something anything stuff roadmap
    want wants need needs require requires ask asks asked asking like looking requests requested
    whether about
    status update updates eta news progress any
"""
NOT_A_FEATURE = frozenset(_NOT_A_FEATURE_WORDS.split())


@dataclass(frozen=True)
class Usage:
    """Show how to ask (help, a bare command or mention)."""


@dataclass(frozen=True)
class Subcommand:
    name: str
    argument: str


@dataclass(frozen=True)
class LikelyTypo:
    """A single word close to a subcommand: ask rather than escalate it as a question."""

    typed: str
    suggestion: str


@dataclass(frozen=True)
class FeatureQuestion:
    text: str


Request = Usage | Subcommand | LikelyTypo | FeatureQuestion


# the command written again, as the usage message's examples show it: "/canwe help"
_COMMAND_AGAIN = re.compile(r"^/canwe\b\s*", re.I)


def read_request(text: str) -> Request:
    text = _COMMAND_AGAIN.sub("", (text or "").strip())
    word, _, rest = text.partition(" ")
    word = word.lower()
    if word in HELP_WORDS or _asks_for_help(text):
        return Usage()
    if word == "audience" or (word == "promises" and not rest.strip()):
        return Subcommand(word, rest.strip())
    if not rest.strip():
        close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=TYPO_CUTOFF)
        if close:
            return LikelyTypo(word, close[0])
    return FeatureQuestion(text)


def feature_words(feature: str) -> list[str]:
    """The words of `feature` that could name something on a roadmap."""
    return [w for w in re.findall(r"[\w\-+#.]+", feature.lower()) if w not in NOT_A_FEATURE]


def _asks_for_help(text: str) -> bool:
    """Asking for help in words that name no feature ("hey, help", "can you help me?")."""
    words = re.findall(r"[\w'-]+", text.lower())
    return "help" in words and all(w in NOT_A_FEATURE for w in words)
