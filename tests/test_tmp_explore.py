import logging
import pytest
from tests.helpers import REP, SALES, message_text

TEXTS = ["", "help", "HELP me", "audience", "audience marketing", "audience foo", "promises", "promise", "promisses",
 "🚀🚀", "SSO", "sso for acme by yesterday", "sso by 31/02", "sso for Acme by March 15 2020", "$1e9 sso",
 "sso for <@U123>", "sso for <!here>", "SSO with Okta for Acme by March 15 and audit logs",
 "can we promise SSO, SCIM and audit logs to Acme by Q2?", "sso for acme by Q5", "sso by next friday", "sso by end of year",
 "sso by EOY", "by March 15", "for Acme", "SSO for Acme by March 15 for $5k", "x" * 4000, "what's on the roadmap?",
 "roadmap", "list", "status", "ID-12", "id-12", "ID-999", "https://example.com/feature", "Can we do SSO? No wait, SAML",
 "单点登录 for Acme", "\u202eSSO for Acme", "sso for acme by 2027-02-30", "sso for acme by 15/03", "sso for acme by 03/15/2027",
 "sso for acme $-5k", "sso for acme $0", "sso for acme by march", "sso for acme by Q1 2030", "SSO for Acme by Dec 25 1999",
 "audience sales extra words", "promises all", "sso " * 300, "help?", "?", "...", "a", "SSO and", "and and and",
 "SSO for Acme by March 15 by April 1", "SSO for Acme and Globex", "SSO for €200k deal with Acme", "sso for acme ¥1000000",
 "yubikey support for Acme by March 15? $200k", "quantum teleportation", "audit log export for Acme by tomorrow",
]

def test_explore(bot, slack, caplog):
    caplog.set_level(logging.WARNING)
    bad = []
    for n, t in enumerate(TEXTS):
        r = slack.send_command(REP, SALES, t, trigger_id=f"x.{n}")
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
        txt = body.get("text", "") if isinstance(body, dict) else body
        print("CMD", repr(t[:60]), r.status_code, "->", repr(txt[:150]))
        if r.status_code != 200:
            bad.append((t, r.status_code))
    for n, t in enumerate(TEXTS[:30]):
        r = slack.send_mention(REP, SALES, t)
        if r.status_code != 200:
            bad.append(("mention", t, r.status_code))
    bot.deliver()
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    for e in errors: print("ERR", e.getMessage()[:300])
    assert not bad and not errors
