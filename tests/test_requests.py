"""Reading what a /canwe or @canwe text asks for, before anything is stored."""

from __future__ import annotations

import pytest

from bot.core.requests import (
    FeatureQuestion,
    LikelyTypo,
    Subcommand,
    Usage,
    feature_words,
    read_request,
)


@pytest.mark.parametrize("text", ["", "  ", "help", "HELP", "?", "usage", "help audience"])
def test_help_and_nothing_are_usage(text):
    assert read_request(text) == Usage()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("promises", Subcommand("promises", "")),
        ("audience services", Subcommand("audience", "services")),
        ("promisses", LikelyTypo("promisses", "promises")),
        ("promise", LikelyTypo("promise", "promises")),
        ("audiance", LikelyTypo("audiance", "audience")),
        ("hlep", LikelyTypo("hlep", "help")),
    ],
)
def test_subcommands_and_their_typos(text, expected):
    assert read_request(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SSO with Okta for Acme by March 15",
        "okta",
        "promise SSO to Acme",
        "audit log export",
        "promises about SSO for Acme",
    ],
)
def test_anything_else_is_a_question(text):
    assert read_request(text) == FeatureQuestion(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/canwe help", Usage()),
        ("/CANWE promises", Subcommand("promises", "")),
        ("/canwe SSO for Acme by March 15", FeatureQuestion("SSO for Acme by March 15")),
    ],
)
def test_the_command_typed_again_is_read_past(text, expected):
    """An example from the usage message pasted whole, after /canwe or in a mention."""
    assert read_request(text) == expected


@pytest.mark.parametrize(
    ("feature", "words"),
    [
        ("hi", []),
        ("can we promise this?", []),
        ("thanks!", []),
        ("SSO with Okta", ["sso", "okta"]),
        ("the C++ SDK", ["c++", "sdk"]),
        ("Acme needs SCIM", ["acme", "scim"]),
        ("what about acme", ["acme"]),  # one word nothing resembles: which feature?
    ],
)
def test_feature_words_leave_out_greetings_and_the_words_of_asking(feature, words):
    assert feature_words(feature) == words
