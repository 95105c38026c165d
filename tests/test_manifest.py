"""manifest.yml creates the app the code expects: valid, and wired to what we handle."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).parent / "data" / "slack" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema():
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_manifest_has_the_command_events_and_scopes_the_bot_uses():
    data = manifest()
    assert [c["command"] for c in data["features"]["slash_commands"]] == ["/canwe"]
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_mention", "message.channels"} <= set(events)
    assert data["settings"]["interactivity"]["is_enabled"]
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "app_mentions:read", "channels:history", "im:write"} <= scopes
    urls = {
        data["settings"]["event_subscriptions"]["request_url"],
        data["settings"]["interactivity"]["request_url"],
        data["features"]["slash_commands"][0]["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
