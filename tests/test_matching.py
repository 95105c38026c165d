"""Matching on a real roadmap (651 Kubernetes KEPs), on SQLite and on PostgreSQL.

What a rep would notice: a misspelt or abbreviated question still finds its item, a question
about something not on the roadmap comes out unknown (and goes to a PM) instead of a false
promise, an answer a PM gave teaches the bot a new wording, and the answer does not depend
on which database runs the bot.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.roadmap.matching import (
    _PHRASINGS_PER_ITEM,
    REBUILD_BESIDE_FROM,
    add_phrasing,
    match,
    strip_context,
)
from store.db import make_engine, make_session_factory, session_scope
from store.models import Area, Item
from store.search import list_synonyms, remove_synonym, set_synonym
from tests.conftest import load_roadmap, make_context, make_settings, run_cli
from tests.helpers import insert_item_as_of_old

ROOT = Path(__file__).resolve().parent.parent
KEP_CSV = ROOT / "tests" / "data" / "kep" / "kubernetes_keps.csv"
DEV_CSV = ROOT / "tests" / "data" / "kep" / "dev_questions.csv"
QUESTIONS_CSV = ROOT / "benchmarks" / "data" / "questions.csv"


@pytest.fixture
def keps(ctx):
    """The context with the KEP roadmap imported."""
    load_roadmap(ctx, KEP_CSV)
    return ctx


def ask(ctx, text: str):
    with session_scope(ctx.sessions) as session:
        return match(text, session=session)


def item_id(ctx, key: str) -> int:
    with session_scope(ctx.sessions) as session:
        return session.execute(select(Item.id).where(Item.key == key)).scalar_one()


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("sidcar containers", "KEP-753"),  # typo
        ("kubectl evnets", "KEP-1440"),
        ("swapp support", "KEP-2400"),  # one letter too many in a short word
        ("ephermeral containers", "KEP-277"),
        ("does k8s let pods use swap?", "KEP-2400"),  # abbreviation
        ("cronjob tz", "KEP-3140"),  # tz <-> time zone, a seeded synonym
        ("CronJob timezone support?", "KEP-3140"),
        ("can we promise Acme sidecar containers by Q3? $120k deal", "KEP-753"),
        ("Initech needs user namespaces by March 15 - $80k renewal", "KEP-127"),
        ("AdmissionWebhookMatchConditions", "KEP-3716"),  # camelCase, as engineers write it
        ("what's the status of KEP-3140 for Globex?", "KEP-3140"),  # the item's key
    ],
)
def test_typos_abbreviations_and_deal_context_find_the_item(keps, question, key):
    found = ask(keps, question)
    assert found.best is not None and found.best.key == key
    assert found.confident, f"{question!r}: confidence {found.confidence}"


@pytest.mark.parametrize(
    ("question", "key"),
    [
        # two typos, with "Windows Graceful Node Shutdown" and "Pod Priority Based Graceful
        # Node Shutdown" close behind
        ("gracefull node shutdwn for kubelet", "KEP-2000"),
        # one letter missing, "Kubectl Server-Side Apply by default" close behind
        ("kubectl aply", "KEP-555"),
    ],
)
def test_typos_beside_near_duplicate_names_offer_the_item_first(keps, question, key):
    # the confidence a promise needs was fitted on a roadmap of 10,000 items too: a corrected
    # word beside close names is a pick for the rep, the item first
    found = ask(keps, question)
    assert found.best is not None and found.best.key == key
    assert not found.confident
    assert found.offered[0].key == key


def test_near_duplicates_that_would_be_answered_differently_are_offered_not_answered(keps):
    # "Graceful Node Shutdown" (in progress) and "non graceful shutdown" (shipped)
    found = ask(keps, "gracefull node shutdwn")
    assert not found.confident
    assert [c.key for c in found.offered[:2]] == ["KEP-2000", "KEP-2268"]
    # a replaced KEP and the one that shipped share their words: the rep picks
    found = ask(keps, "out of tree credential provider plugins")
    assert not found.confident
    assert {"KEP-2133", "KEP-2133@sig-cloud-provider"} <= {c.key for c in found.offered}
    # named as one of them is named, it is answered
    assert ask(keps, "Out-of-tree credential providers").best.key == "KEP-2133@sig-cloud-provider"
    assert ask(keps, "Out-of-tree credential providers").confident
    assert ask(keps, "kubelet credential providers").confident


@pytest.mark.parametrize("question", ["api support for pods", "node api", "kubelet plugin support"])
def test_sharing_only_generic_words_with_the_best_item_is_never_confident(keps, question):
    found = ask(keps, question)
    assert not found.confident


def test_a_roadmap_word_the_best_item_never_uses_keeps_it_from_being_confident(keps):
    # "apparmor" names an item of its own; "kubectl events" never mentions it: the question is
    # about something else, or more than that item, and no promise is made
    assert ask(keps, "kubectl events").confident
    found = ask(keps, "kubectl events apparmor")
    assert found.best.key == "KEP-1440" and found.held_back and not found.confident
    assert "KEP-1440" in [c.key for c in found.offered]
    found = ask(keps, "sidecar containers for daemonsets")
    assert found.held_back and not found.confident


def test_what_another_item_calls_an_item_finds_it(keps):
    # KEP-1287 is "In-place Update of Pod Resources"; KEP-5554's description calls it
    # "KEP-1287 (In-place Resource Resize)": the roadmap's own other name for it
    found = ask(keps, "in place resize of pods")
    assert found.best is not None and found.best.key == "KEP-1287"
    # ... and that name, as written there, names it outright
    assert ask(keps, "In-place Resource Resize").confident


def test_a_keps_folder_name_names_it(keps):
    # KEP-3325 is "Review attibutes of a current user", in the folder
    # "3325-self-subject-attributes-review-api": people call it by the API's name
    found = ask(keps, "SelfSubjectReview API for Acme")
    assert found.confident and found.best.key == "KEP-3325"


def test_an_unsure_match_offers_the_best_three_items(keps):
    found = ask(keps, "pvc resize")
    assert not found.confident
    # the best three, however far behind the first the others are: on real wording the
    # right item was often a distant second or third
    assert [c.key for c in found.offered] == [c.key for c in found.candidates[:3]]
    assert found.offered[0].key == found.best.key
    # nothing plausible: nothing offered, the PM is asked ("for Initech's security review" is
    # the deal's: its words count for nothing, as in "SOC 2 type II report", whose "type" and
    # "report" are the roadmap's and get a choice)
    assert ask(keps, "SOC 2 type II attestation for Initech's security review").offered == []
    # most of it in words the roadmap never uses: about something it does not know ("carbon
    # emissions" would not do: "emissions" reads as a misspelling of "permission")
    assert ask(keps, "a dashboard of carbon footprint per seat").offered == []


@pytest.mark.parametrize(
    "question",
    [
        "can we promise a built-in billing dashboard to Acme by Q2?",
        "native Salesforce integration",
        "SOC 2 type II report for Initech's security review",
        "dark mode",
        "pricing for 500 seats",
        "can we promise SSO with Okta for the billing portal",
        "support for Windows XP nodes",
        "sweep action",  # "sweep" is not a misspelt "sleep"
        "🙂🙂",
        "   ",
    ],
)
def test_questions_about_things_not_on_the_roadmap_come_out_unknown(keps, question):
    found = ask(keps, question)
    assert not found.confident, f"{question!r} -> {found.best} ({found.confidence})"


def test_a_deprecation_is_not_promised_for_a_question_about_the_feature(keps):
    # "Add an nftables-based kube-proxy backend" (KEP-3866) is the feature; "Make nftables
    # the default kube-proxy backend" (KEP-5343) shares every word of the question but also
    # says "the default": the question is about the feature
    found = ask(keps, "nftables kube-proxy")
    assert found.best.key == "KEP-3866"
    # "Deprecate ipvs mode in kube-proxy" explains every word, yet a rep asking about ipvs
    # mode must not be told what the deprecation's status is as if it were the feature's
    found = ask(keps, "ipvs mode in kube-proxy")
    assert not (found.confident and found.best.key == "KEP-5495")
    # asked about the deprecation itself, in other words, it is found
    found = ask(keps, "are you dropping ipvs mode in kube-proxy?")
    assert found.best.key == "KEP-5495"


def test_a_synonym_a_pm_adds_finds_the_item_and_removing_it_forgets(ctx):
    with session_scope(ctx.sessions) as session:
        area = Area(name="Security", keywords=[])
        session.add(area)
        session.flush()
        for n, title in enumerate(
            ["Customer managed encryption keys", "Audit log export", "Okta single sign-on (SAML)"]
        ):
            session.add(
                Item(
                    key=f"SEC-{n}",
                    title=title,
                    area_id=area.id,
                    status="planned",
                    updated_at=ctx.now(),
                    revised_at=ctx.now(),
                )
            )
    # seeded synonym: sso <-> single sign-on
    found = ask(ctx, "can we do okta sso for Acme by Q2?")
    assert found.confident and found.best.key == "SEC-2"

    assert not ask(ctx, "BYOK for Globex").confident
    with session_scope(ctx.sessions) as session:
        set_synonym(session=session, term="BYOK", means="customer managed encryption keys")
        assert ("byok", "customer managed encryption keys") in list_synonyms(session=session)
    found = ask(ctx, "BYOK for Globex")
    assert found.confident and found.best.key == "SEC-0"

    with session_scope(ctx.sessions) as session:
        assert remove_synonym(session=session, term="byok")
    assert not ask(ctx, "BYOK for Globex").confident


def test_an_answered_question_teaches_the_matcher_a_new_wording(keps):
    question = "can we promise Acme the bluebird runtime hooks by Q2? $120k"
    before = ask(keps, question)
    assert not before.confident

    with session_scope(keps.sessions) as session:
        assert add_phrasing(
            session=session, item_id=item_id(keps, "KEP-753"), text=question, now=keps.now()
        )
        # the same wording again teaches nothing new
        assert not add_phrasing(
            session=session, item_id=item_id(keps, "KEP-753"), text=question, now=keps.now()
        )

    # worded differently, another customer and date: found through the phrasing alone
    later = ask(keps, "Globex asks about bluebird runtime hooks, needed by March 15")
    assert later.confident and later.best.key == "KEP-753"
    # the deal context of the answered question was not learnt as part of the item's name
    assert not ask(keps, "Acme by Q2").confident


def test_a_learnt_phrasing_finds_its_item_for_other_wording_within_a_bound(keps):
    # a rep picked KEP-3299 for these words: a question sharing some of them (not all, and
    # nothing of the item's own text) now offers it
    taught = "secrets encryption at rest with an external key vault"
    question = "encrypted secrets in a key vault"
    assert "KEP-3299" not in [c.key for c in ask(keps, question).offered]
    with session_scope(keps.sessions) as session:
        add_phrasing(
            session=session, item_id=item_id(keps, "KEP-3299"), text=taught, now=keps.now()
        )
    assert "KEP-3299" in [c.key for c in ask(keps, question).offered]
    # only an item's newest phrasings count: many more picks for it push the old words out
    with session_scope(keps.sessions) as session:
        for n in range(_PHRASINGS_PER_ITEM):
            assert add_phrasing(
                session=session,
                item_id=item_id(keps, "KEP-3299"),
                text=f"kms plugin health check {n}",
                now=keps.now(),
            )
    assert "KEP-3299" not in [c.key for c in ask(keps, question).offered]


def _filler_title(n: int) -> str:
    """The made-up title of filler item n: three invented words."""
    syllables = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ve", "zu"]
    stem = syllables[n % 10] + syllables[n // 10 % 10] + syllables[n // 100 % 10]
    return " ".join(stem + s for s in ("x", "y", "z"))


def _keps_and_filler(tmp_path: Path, total: int) -> Path:
    """The KEP roadmap with made-up items (three-word titles of invented words) up to
    `total` items."""
    with open(KEP_CSV, newline="") as source:
        reader = csv.DictReader(source)
        fields, rows = reader.fieldnames, list(reader)
    for n in range(total - len(rows)):
        rows.append({"key": f"FILL-{n}", "title": _filler_title(n), "status": "implementable"})
    path = tmp_path / "large.csv"
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_large_roadmap_is_matched_against_its_old_index_while_a_thread_rebuilds_it(ctx, tmp_path):
    # on REBUILD_BESIDE_FROM items and more, a change (a pick, an import) does not make the
    # next question wait for the index to be rebuilt (seconds on 10,000 items)
    load_roadmap(ctx, _keps_and_filler(tmp_path, REBUILD_BESIDE_FROM))
    question = "can we promise Acme the bluebird runtime hooks by Q2? $120k"
    assert not ask(ctx, question).confident  # the first question builds it

    with session_scope(ctx.sessions) as session:
        session.execute(update(Item).where(Item.key == "KEP-3140").values(status="declined"))
    # the question that finds the change starts the rebuild and is matched against the old
    # copy, but what it shows of the items is what the store has now
    found = ask(ctx, "timezone support for cronjobs")
    assert found.best.key == "KEP-3140" and found.best.status == "declined"

    # a rep picks an item for these words: asked again in them while the thread rebuilds,
    # the question is answered with that item at once, though the old copy has not learnt it
    with session_scope(ctx.sessions) as session:
        add_phrasing(session=session, item_id=item_id(ctx, "KEP-753"), text=question, now=ctx.now())
    learnt = ask(ctx, question)
    assert learnt.confident and learnt.best.key == "KEP-753"
    # other words like them find it once the new copy is in
    similar = "bluebird runtime hooks support"
    deadline = time.monotonic() + 60
    while _best_key(found := ask(ctx, similar)) != "KEP-753" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _best_key(found) == "KEP-753"


def _best_key(found) -> str | None:
    return found.best.key if found.best else None


def test_an_import_that_takes_a_small_roadmap_past_the_mark_is_rebuilt_beside_the_questions(
    keps, tmp_path
):
    # the cached copy is small, but what the store now holds would take seconds to index
    assert ask(keps, "timezone support for cronjobs").best.key == "KEP-3140"
    load_roadmap(keps, _keps_and_filler(tmp_path, REBUILD_BESIDE_FROM))
    new_item = _filler_title(500)  # FILL-500, one of the items the import added
    assert ask(keps, new_item).best is None  # answered from the copy before the import
    deadline = time.monotonic() + 60
    while (found := ask(keps, new_item)).best is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found.best.key == "FILL-500" and found.confident


def test_words_a_rep_picked_another_item_for_keep_the_best_match_from_being_sure(keps):
    # "kubectl debug" is KEP-1441's title; a rep then picked KEP-4292 for these very words
    # (after "Not what I meant", say): two items named by them, so the rep is asked which
    assert ask(keps, "kubectl debug").confident
    with session_scope(keps.sessions) as session:
        add_phrasing(
            session=session, item_id=item_id(keps, "KEP-4292"), text="kubectl debug", now=keps.now()
        )
    found = ask(keps, "kubectl debug")
    assert not found.confident
    assert {"KEP-1441", "KEP-4292"} <= {c.key for c in found.offered}


def test_the_index_follows_roadmap_edits(keps):
    with session_scope(keps.sessions) as session:
        session.execute(
            update(Item)
            .where(Item.key == "KEP-3140")
            .values(title="Quokka scheduling for CronJobs", aliases=["marsupial cron"])
        )
    assert ask(keps, "quokka scheduling").best.key == "KEP-3140"
    assert ask(keps, "marsupial cron").best.key == "KEP-3140"
    with session_scope(keps.sessions) as session:
        session.execute(update(Area).where(Area.name == "sig-apps").values(name="sig-wombats"))
    found = ask(keps, "wombats quokka")
    assert found.best.key == "KEP-3140"


def _eval_questions() -> list[tuple[str, frozenset[str]]]:
    out = []
    with DEV_CSV.open(newline="") as f:
        out += [(r["question"], frozenset([r["target_key"]])) for r in csv.DictReader(f)]
    with QUESTIONS_CSV.open(newline="") as f:
        out += [
            (r["question"], frozenset(k for k in r["target_key"].split(";") if k))
            for r in csv.DictReader(f)
        ]
    return out


def _answers(url: str, clock) -> list[tuple[str | None, bool]]:
    ctx = make_context(make_settings(url), clock)
    try:
        load_roadmap(ctx, KEP_CSV)
        with session_scope(ctx.sessions) as session:
            results = [match(q, session=session) for q, _ in _eval_questions()]
        return [(r.best.key if r.best else None, r.confident) for r in results]
    finally:
        ctx.engine.dispose()


@pytest.mark.postgres
def test_sqlite_and_postgresql_give_the_same_answers(sqlite_url, pg_url, clock):
    questions = _eval_questions()
    on_sqlite = _answers(sqlite_url, clock)
    on_postgres = _answers(pg_url, clock)
    same = sum(1 for a, b in zip(on_sqlite, on_postgres, strict=True) if a == b)
    assert same / len(questions) >= 0.97

    def recall(answers):
        on = [(a, t) for a, (_, t) in zip(answers, questions, strict=True) if t]
        return sum(1 for (key, _), t in on if key in t) / len(on)

    assert abs(recall(on_sqlite) - recall(on_postgres)) <= 0.02
    assert recall(on_sqlite) >= 0.85


def test_matching_works_straight_after_migrating_an_existing_store(tmp_path):
    """Items imported before the matching migration are indexed by it."""
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0003_matching")
    upgrade(url, before.down_revision)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    insert_item_as_of_old(engine)
    upgrade(url)
    with session_scope(sessions) as session:
        assert match("sidecar containers", session=session).best.key == "OLD-1"
    engine.dispose()


@pytest.mark.parametrize(
    "question",
    [
        "'; DROP TABLE items; --",
        'sidecar" OR "x" NEAR(a b) * ^ : -',
        "<!channel> *sidecar* _containers_ <http://evil|click>",
        "sidecar containers " * 4000,
        "side\x00car\x07 containers",
        "the of and",
    ],
)
def test_hostile_text_is_matched_safely(ctx, question):
    with session_scope(ctx.sessions) as session:
        now = ctx.now()
        session.add(
            Item(
                key="ID-1",
                title="Sidecar containers",
                status="planned",
                updated_at=now,
                revised_at=now,
            )
        )
    found = ask(ctx, question)
    assert found.best is None or found.best.key == "ID-1"
    with session_scope(ctx.sessions) as session:
        assert session.execute(select(Item.key)).scalars().all() == ["ID-1"]


def test_pms_edit_synonyms_from_the_command_line(ctx, tmp_path):

    env = {"DATABASE_URL": ctx.settings.database_url}
    added = run_cli(["synonyms", "add", "BYOK", "customer managed keys"], env=env)
    assert added.exit_code == 0, added.output
    listed = run_cli(["synonyms", "list"], env=env)
    assert "byok = customer managed keys" in listed.output
    assert "sso = single sign-on" in listed.output  # seeded by the migration

    sheet = tmp_path / "synonyms.csv"
    sheet.write_text("term,means\nhpa,horizontal pod autoscaler\npvc,\n")
    bad = run_cli(["synonyms", "import", str(sheet)], env=env)
    assert bad.exit_code == 1 and "row 3" in bad.output and "nothing imported" in bad.output
    assert "hpa" not in run_cli(["synonyms", "list"], env=env).output

    removed = run_cli(["synonyms", "remove", "byok"], env=env)
    assert removed.exit_code == 0
    again = run_cli(["synonyms", "remove", "byok"], env=env)
    assert again.exit_code == 1 and "no synonym" in again.output


def test_the_full_text_triggers_survive_every_migration(database_url):
    """A later migration that rebuilds items, phrasings or areas (SQLite batch mode does)
    drops their triggers: the index would silently stop following the roadmap."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT tbl_name, count(*) FROM sqlite_master"
                " WHERE type = 'trigger' AND name LIKE 'match%' GROUP BY tbl_name"
            )
            expected = {"items": 3, "phrasings": 3, "areas": 1, "synonyms": 3}
        else:
            rows = connection.exec_driver_sql(
                "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname LIKE 'match%%' AND NOT t.tgisinternal GROUP BY c.relname"
            )
            # items: inserted, updated, deleted, per statement (migration 0010)
            expected = {"items": 3, "phrasings": 1, "areas": 1, "synonyms": 1}
        assert dict(rows.all()) == expected
    engine.dispose()


def _drop_from_full_text_index(ctx, key: str) -> None:
    """Remove an item from the database's full-text index only (not from the roadmap)."""
    with session_scope(ctx.sessions) as session:
        connection = session.connection()
        found = item_id(ctx, key)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DELETE FROM match_documents WHERE item_id = {found}")
        else:
            connection.exec_driver_sql(f"DELETE FROM match_fts WHERE rowid = {found}")


def test_candidates_come_from_the_databases_full_text_search(keps):
    """The roadmap in memory only scores; what the full-text index does not find is not
    a candidate (unless its name is close to the question as a whole string)."""
    question = "can pods use swap memory on linux"
    assert ask(keps, question).best.key == "KEP-2400"
    _drop_from_full_text_index(keps, "KEP-2400")
    assert "KEP-2400" not in [c.key for c in ask(keps, question).candidates]


def test_a_word_written_as_one_finds_the_roadmap_written_apart(keps):
    from store.search import search_items

    with session_scope(keps.sessions) as session:
        # a phrase's words stand together: "In-place Update of Pod Resources"
        assert item_id(keps, "KEP-1287") in search_items(
            session=session, terms=["in place"], limit=1000
        )
        together = search_items(session=session, terms=["pod resources"], limit=1000)
        apart = search_items(session=session, terms=["pod", "resources"], limit=1000)
        assert item_id(keps, "KEP-1287") in together and set(together) < set(apart)
    assert ask(keps, "cgroupsv2 on our nodes").best.key == "KEP-2254"  # "cgroups v2"


def test_camel_case_parts_the_roadmap_writes_as_one_word_are_joined(keps):
    from bot.roadmap.matching import _camel_parts

    # "appArmorProfile" is "apparmor profile": "Add AppArmor Support" writes "AppArmor" as one
    assert ask(keps, "appArmorProfile").best.key == "KEP-24"
    # letters and digits are no camelCase: "k8s" is not the words "k", "8", "s"
    assert _camel_parts("k8s") == [] and _camel_parts("IPv6") == []
    assert _camel_parts("appArmorProfile") == ["app", "armor", "profile"]


@pytest.mark.parametrize(
    ("question", "stripped"),
    [
        # "hi", "q" and "hello" at the start are greetings only as whole words: "HIPAA" was
        # read as "PAA", so the alias "hipaa" was not found
        ("HIPAA for MedCo by Jan 31", "HIPAA for"),
        ("quotas for namespaces", "quotas for namespaces"),
        ("high availability for the API", "high availability for the API"),
        ("hi, SSO for Acme?", "SSO for ?"),
        ("Q: can we promise SCIM?", "SCIM?"),
    ],
)
def test_a_greeting_is_stripped_only_as_a_whole_word(question, stripped):
    assert strip_context(question) == stripped


def test_a_word_beginning_like_a_greeting_finds_its_item(roadmap):
    found = ask(roadmap, "HIPAA for MedCo by Jan 31")
    assert found.confident and found.best.key == "PLT-8"


def test_a_customers_name_does_not_keep_the_items_from_being_offered(roadmap):
    # "Acme", "churning", "unless" are words the roadmap never uses, most of the question: it
    # got "I could not find this on the roadmap" beside an item it names. "Acme is churning"
    # is now read as the deal's (and answered); names with no such cue still are words the
    # roadmap never uses. A capitalised unknown word is most often a name, and does not count
    # against offering the items
    found = ask(roadmap, "Acme is churning unless we ship Teams notifications by Jan")
    assert found.confident and found.best.key == "INT-9"
    found = ask(roadmap, "Teams notifications Vandelay Kramerica Pendant Monks Bania")
    assert not found.confident and [c.key for c in found.offered][:1] == ["INT-9"]
    # words it does not know in lower case still do: nothing is offered
    assert not ask(roadmap, "teams notifications vandelay kramerica pendant monks bania").offered
    assert not ask(roadmap, "a carbon footprint dashboard per seat with emissions").offered


@pytest.mark.parametrize(
    "question",
    [
        # the item is "99.95% uptime SLA": a rep told "yes" would promise 99.99%
        "Can we commit to 99.99% uptime for Acme?",
        "uptime SLA of 99.999% for Globex",
        "Public REST API v3",  # the item is v2
    ],
)
def test_a_number_the_item_does_not_say_keeps_it_from_being_sure(roadmap, question):
    found = ask(roadmap, question)
    assert not found.confident and found.offered, "offered, so the rep sees the item's own"


@pytest.mark.parametrize(
    ("question", "key"),
    [
        ("99.95% uptime for Acme", "PLT-6"),
        ("REST API 2.0 by March", "INT-17"),  # v2, 2.0 and 2 are one number
        ("audit logs to SIEM for Globex, $80k", "REP-12"),  # the deal's money is no number
        ("SCIM for Acme by 2027-03-01", "ID-14"),  # nor is its date
    ],
)
def test_the_items_own_number_or_none_keeps_it_sure(roadmap, question, key):
    found = ask(roadmap, question)
    assert found.confident and found.best.key == key


@pytest.mark.parametrize(
    "question",
    [
        # who the deal is with, said as who it is or who would use it: the name was matched
        # as a word the roadmap never uses, and the answer was "Unknown"
        "do we support okta sso yet? prospect is Acme, they need it by end of Q1",
        # "canwe" is the bot's own name, asked as one asks "can we"
        "Does canwe have Okta SSO that Acme could use today?",
        # what it is not about is not what it is about
        "Acme wants SSO with Okta, not Azure AD",
        "can we say we have Okta SSO? they sign next week",
        "When will Okta SSO be GA?",
        "Will Okta SSO be live before Acme's go-live on 1 Feb 2027?",
        "okta sso for Initech's security review by end of March",
        # a greeting to the team, and what the customer runs now (a tool the roadmap never
        # names: a tool it names, "they use Okta", is what they ask about)
        "Hi team, Acme is asking about Okta SSO (they use PingFederate for now). Need by Jan 31.",
        "SSO w/ Okta 4 Acme by 3/15",  # chat shorthand: Unknown
        "okta sso for acme corp, 25 seats, needed 2/1",  # the deal's size: Unknown
        "Okta SSO for Acme's 3 subsidiaries by April",
        "Can I promise Okta SSO to Acme for their March launch?",
        # asking after it: Unknown, or held back as mostly words the roadmap never uses
        "Hey canwe, what's the ETA for Okta SSO? Acme asked.",
        "Okta SSO - any movement? Globex renewal 1/31",
    ],
)
def test_the_deal_said_in_other_words_is_not_matched(roadmap, question):
    found = ask(roadmap, question)
    assert found.confident and found.best.key == "ID-12"


@pytest.mark.parametrize(
    "question", ["Are custom dashboards coming this year?", "drag and drop dashboards for Acme"]
)
def test_drag_and_drop_is_no_removal(roadmap, question):
    # "Custom dashboards with drag-and-drop charts" was read as the removal of something (its
    # "drop"), so a question that did not ask for a removal was not sure of it: Unknown
    found = ask(roadmap, question)
    assert found.confident and found.best.key == "REP-8"


@pytest.mark.parametrize(
    "question",
    [
        # it was told yes for "Single sign-on with Okta (SAML)"
        "SSO via SAML for Acme (not Okta, they use OneLogin)",
        "SAML SSO (not with Okta)",
        "SAML SSO, not the Okta one",
        "SAML single sign-on, but not Okta",
    ],
)
def test_an_item_named_for_what_the_rep_rules_out_is_neither_answered_nor_offered(
    roadmap, question
):
    found = ask(roadmap, question)
    assert "ID-12" not in [c.key for c in (*found.candidates, *found.offered)]
    assert found.best.key == "ID-1"


def test_a_question_mostly_in_words_the_roadmap_never_uses_is_never_answered(roadmap):
    # "HMAC signatures" are more than "Outbound webhooks with retries" says: it was told yes
    # (now the PM is asked: so much of it unknown, nothing is offered either)
    assert not ask(roadmap, "webhooks with HMAC signatures for Globex").confident
    assert not ask(roadmap, "webhooks with HMAC signatures").confident
    assert ask(roadmap, "outbound webhooks for Globex").confident  # names aside


def test_a_misspelt_field_name_finds_the_item_whose_text_names_the_field(keps):
    # KEP-3017's description names the field "unhealthyPodEvictionPolicy"; one letter off,
    # the camelCase word is still that field, not only its parts
    found = ask(keps, "add unhealhtyPodEvictionPolicy to our chart")
    assert found.best is not None and found.best.key == "KEP-3017"


@pytest.mark.parametrize("text", ['"', "NEAR(a b)", "pod* OR", "a AND NOT b", "x:y", "'; --"])
def test_search_syntax_in_a_question_is_only_text(keps, text):
    from store.search import search_items

    with session_scope(keps.sessions) as session:
        assert isinstance(search_items(session=session, terms=[text], limit=5), list)
        match(f"{text} swap", session=session)
