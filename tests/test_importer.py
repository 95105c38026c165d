"""`canwe import`: YAML, CSV and the real KEP roadmap; upserts; bad rows reject the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.roadmap.importer import RoadmapFileError, kep_status, load_file
from store.db import session_scope
from store.models import Area, Channel, FinishedWork, Item
from tests.conftest import EXAMPLE_ROADMAP, load_roadmap, run_cli
from tests.helpers import count

KEP_CSV = Path(__file__).parent / "data" / "kep" / "kubernetes_keps.csv"
TODAY = dt.date(2026, 11, 27)


def test_example_roadmap_has_every_status_over_four_areas():
    roadmap = load_file(EXAMPLE_ROADMAP, TODAY)
    assert len(roadmap.items) >= 30
    assert {item.status.value for item in roadmap.items} == {
        "shipped",
        "in_progress",
        "committed",
        "planned",
        "exploring",
        "declined",
    }
    assert len(roadmap.areas) == 4


def test_importing_twice_changes_nothing(ctx):
    first = load_roadmap(ctx)
    assert first.created["items"] == 30
    second = load_roadmap(ctx)
    assert second.created == {k: 0 for k in second.created} and not any(second.updated.values())
    assert count(ctx, Item) == 30 and count(ctx, Area) == 4 and count(ctx, Channel) == 3
    assert count(ctx, FinishedWork) == 32


def test_a_bad_row_names_file_row_and_field_and_applies_nothing(ctx, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "items:\n  - {key: A-1, title: Good, status: planned}\n"
        "  - {key: A-2, title: Bad, status: someday}\n"
    )
    with pytest.raises(RoadmapFileError) as error:
        load_file(bad, TODAY)
    assert "bad.yaml: items row 2 (A-2), field status" in str(error.value)
    result = run_cli(["import", str(bad)], env={"DATABASE_URL": ctx.settings.database_url})
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert count(ctx, Item) == 0


def test_csv_items_with_estimate_columns(ctx, tmp_path):
    sheet = tmp_path / "items.csv"
    sheet.write_text(
        "key,title,area,status,target,public,aliases,estimate_team,estimate_likely,estimate_pessimistic\n"
        "X-1,Dark mode,UI,committed,2027-02-01,yes,night mode;dark theme,Web,5,9\n"
    )
    roadmap = load_file(sheet, TODAY)
    item = roadmap.items[0]
    assert item.public and item.aliases == ["night mode", "dark theme"]
    assert (item.estimate.team, item.estimate.likely, item.estimate.pessimistic) == ("Web", 5, 9)


def test_csv_history(tmp_path):
    sheet = tmp_path / "history.csv"
    sheet.write_text("team,estimate,actual,finished\nWeb,5,7,2026-05-01\n")
    assert load_file(sheet, TODAY).history[0].actual == 7


def test_an_estimate_change_revises_the_item(ctx, tmp_path):
    load_roadmap(ctx)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        "items:\n  - key: ID-12\n    title: Single sign-on with Okta (SAML)\n"
        "    description: Okta integration network app with SP- and IdP-initiated SAML login for Okta tenants\n"
        "    area: Identity\n    status: committed\n    target: 2027-03-01\n"
        "    aliases: [okta sso, okta saml, okta login]\n    url: https://tracker.example.com/ID-12\n"
        "    estimate: {team: Identity, optimistic: 10, likely: 20, pessimistic: 30}\n"
    )
    ctx.clock.advance(hours=1)
    report = load_roadmap(ctx, changed)
    assert len(report.revised_item_ids) == 1


@pytest.mark.parametrize(
    ("status", "stage", "target", "expected"),
    [
        ("implemented", "stable", "2020-01-01", "shipped"),
        ("implementable", "stable", "2024-04-17", "shipped"),
        ("implementable", "beta", "2027-04-22", "committed"),
        ("implementable", "alpha", "2025-08-27", "in_progress"),
        ("implementable", "", None, "planned"),
        ("provisional", "alpha", None, "exploring"),
        ("withdrawn", "", None, "declined"),
        ("rejected", "", None, "declined"),
        ("", "", None, "exploring"),
    ],
)
def test_kep_status_mapping(status, stage, target, expected):
    target_date = dt.date.fromisoformat(target) if target else None
    assert kep_status(status, stage, target_date, TODAY) == expected


def test_the_real_kep_roadmap_imports(ctx):
    roadmap = load_file(KEP_CSV, TODAY)
    assert len(roadmap.items) == 651
    with session_scope(ctx.sessions) as session:
        from bot.roadmap.importer import apply_roadmap

        report = apply_roadmap(roadmap, session=session, now=ctx.now())
    assert report.created["items"] == 651 and report.created["areas"] >= 20
    with session_scope(ctx.sessions) as session:
        cronjob = session.scalar(select(Item).where(Item.key == "KEP-3140"))
        assert cronjob.status == "shipped" and cronjob.area.name == "sig-apps"
        aliases = dict(session.execute(select(Item.key, Item.aliases)).all())
    # a KEP's folder name is another name of it, when it says what the title does not
    assert aliases["KEP-3325"] == ["self subject attributes review api"]
    assert aliases["KEP-2021"] == ["scale from zero"]
    assert aliases["KEP-127"] == []  # "127-user-namespaces": "Support User Namespaces"
    assert aliases["KEP-2313"] == []  # "2313-aws-k8s-tester": the title "aws-k8s-tester"


def _import(ctx, path):
    return run_cli(["import", str(path)], env={"DATABASE_URL": ctx.settings.database_url})


def test_an_impossible_date_is_a_bad_row_not_a_crash(ctx, tmp_path):
    bad = tmp_path / "dates.yaml"
    bad.write_text(
        "items:\n  - {key: A-1, title: Good, status: planned, target: 2027-03-15}\n"
        "  - {key: A-2, title: Bad, status: planned, target: 2027-13-45}\n"
    )
    result = _import(ctx, bad)
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert "dates.yaml: items row 2 (A-2), field target:" in result.output
    assert "Traceback" not in result.output and count(ctx, Item) == 0


def test_a_key_twice_in_one_file_names_both_rows(ctx, tmp_path):
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        "channels:\n  - {id: C1}\n  - {id: C1, audience: services}\n"
        "items:\n  - {key: A-1, title: One, status: planned}\n"
        "  - {key: A-2, title: Two, status: planned}\n"
        "  - {key: A-1, title: Three, status: planned}\n"
    )
    result = _import(ctx, twice)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "twice.yaml: items rows 1 and 3, field key: 'A-1' is in the file twice" in result.output
    assert "twice.yaml: channels rows 1 and 2, field id: 'C1'" in result.output
    assert count(ctx, Item) == 0 and count(ctx, Channel) == 0


def test_a_key_twice_in_a_csv_names_both_lines(tmp_path):
    sheet = tmp_path / "twice.csv"
    sheet.write_text("key,title,status\nA-1,One,planned\nA-2,Two,planned\nA-1,Three,planned\n")
    with pytest.raises(RoadmapFileError) as error:
        load_file(sheet, TODAY)
    assert "twice.csv: lines 2 and 4, field key: 'A-1'" in str(error.value)


def test_a_misspelt_area_is_refused_and_nothing_applied(ctx, tmp_path):
    typo = tmp_path / "typo.yaml"
    typo.write_text(
        "areas:\n  - {name: Platform, pm: U0PM000001}\n"
        "items:\n  - {key: P-1, title: Fine, area: Platform, status: planned}\n"
        "  - {key: P-2, title: Typo, area: Platfrom, status: planned}\n"
    )
    result = _import(ctx, typo)
    assert result.exit_code == 1
    assert (
        "typo.yaml: items row 2 (P-2), field area: unknown area 'Platfrom' — define it under areas"
        in result.output
    )
    assert "did you mean 'Platform'?" in result.output
    assert count(ctx, Area) == 0 and count(ctx, Item) == 0


def test_an_item_may_use_an_area_already_in_the_store(ctx, tmp_path):
    load_roadmap(ctx)  # Identity, among others
    sheet = tmp_path / "more.csv"
    sheet.write_text("key,title,status,area\nNEW-1,Passkeys,exploring,Identity\n")
    assert _import(ctx, sheet).exit_code == 0
    typo = tmp_path / "typo.csv"
    typo.write_text("key,title,status,area\nNEW-2,Magic links,exploring,Identiy\n")
    result = _import(ctx, typo)
    assert result.exit_code == 1
    assert "typo.csv: line 2 (NEW-2), field area: unknown area 'Identiy'" in result.output
    assert count(ctx, Area) == 4 and count(ctx, Item) == 31


def test_a_tracker_sync_still_makes_its_areas(ctx):
    from bot.roadmap.importer import apply_roadmap
    from bot.roadmap.schema import RoadmapIn

    synced = RoadmapIn.model_validate(
        {"items": [{"key": "ENG-1", "title": "Audit log", "area": "ENG", "status": "planned"}]}
    )
    with session_scope(ctx.sessions) as session:
        report = apply_roadmap(synced, session=session, now=ctx.now())
    assert report.created["areas"] == 1 and count(ctx, Area) == 1


def test_csv_problems_name_the_line_in_the_file(tmp_path):
    sheet = tmp_path / "items.csv"
    sheet.write_text("key,title,status\nA-1,Good,planned\nA-2,Bad,someday\n")
    with pytest.raises(RoadmapFileError) as error:
        load_file(sheet, TODAY)
    assert "items.csv: line 3 (A-2), field status" in str(error.value)
    history = tmp_path / "history.csv"
    history.write_text("team,estimate,actual,finished\nWeb,5,7,2026-05-01\nWeb,5,-1,2026-05-02\n")
    with pytest.raises(RoadmapFileError) as error:
        load_file(history, TODAY)
    assert "history.csv: line 3, field actual" in str(error.value)


def test_a_csv_row_with_more_values_than_columns(tmp_path):
    sheet = tmp_path / "wide.csv"
    sheet.write_text("key,title,status\nA-1,Good,planned,oops\n")
    with pytest.raises(RoadmapFileError) as error:
        load_file(sheet, TODAY)
    assert "wide.csv: line 2: more values than the 3 columns" in str(error.value)


def test_a_kep_csv_with_a_bad_target_date_names_its_line(tmp_path):
    header = KEP_CSV.read_text().splitlines()[0]
    columns = header.split(",")
    row = {name: "" for name in columns} | {
        "key": "KEP-1",
        "title": "T",
        "target_date": "2027-02-30",
    }
    sheet = tmp_path / "keps.csv"
    sheet.write_text(header + "\n" + ",".join(row[name] for name in columns) + "\n")
    with pytest.raises(RoadmapFileError) as error:
        load_file(sheet, TODAY)
    assert "keps.csv: line 2 (KEP-1), field target_date" in str(error.value)


OVER_PG_PARAMETERS = 66_000  # PostgreSQL takes at most 65,535 parameters in one statement


@pytest.mark.postgres
def test_a_roadmap_of_more_items_than_postgresql_takes_parameters_imports(pg_url, tmp_path):
    from sqlalchemy import func

    from store.db import make_engine, make_session_factory
    from store.models import Estimate
    from store.search import search_items

    path = tmp_path / "roadmap.csv"
    rows = ["key,title,status,aliases,estimate_team,estimate_likely"]
    rows += [
        f"BIG-{n},Generated feature {n},planned,gen {n},Platform,{n % 20 + 1}"
        for n in range(OVER_PG_PARAMETERS)
    ]
    path.write_text("\n".join(rows) + "\n")

    result = run_cli(["import", str(path)], env={"DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert f"{OVER_PG_PARAMETERS} items" in result.output

    engine = make_engine(pg_url)
    with session_scope(make_session_factory(engine)) as session:
        assert session.scalar(select(func.count(Item.id))) == OVER_PG_PARAMETERS
        assert session.scalar(select(func.count(Estimate.id))) == OVER_PG_PARAMETERS
        last = session.scalar(select(Item).where(Item.key == f"BIG-{OVER_PG_PARAMETERS - 1}"))
        assert last.aliases == [f"gen {OVER_PG_PARAMETERS - 1}"]
        # bulk writes fire the triggers that index items for matching, as row by row did
        assert search_items(session=session, terms=[last.aliases[0]], limit=5) == [last.id]
    engine.dispose()
