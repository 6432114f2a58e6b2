"""Format 1.0 backups through the public API: validate, load_all, upgrade, ``bakery-io upgrade``.

The 1.0 backups are made from a 1.1 dump of the sample bakery by applying
the table of docs/format/versions.md backwards (:mod:`tests.legacy`): ids added, event / recipient /
package slugs replaced by names, id-only references, decimals as bare JSON
numbers, naive datetimes, and one recipe slug with an upper-case letter and an
accent. Upgraded and loaded, they must give back the very same data.
"""

from __future__ import annotations

import random
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bakery_io import (
    SourceError,
    create_schema,
    dump_all,
    dump_history,
    engine_from_url,
    load_all,
    upgrade,
    validate,
)
from bakery_io.binding.models import ProductionRun, metadata
from bakery_io.cli import main
from bakery_io.format.slugs import is_slug
from bakery_io.jsonio import loads
from bakery_io.registry import REGISTRY
from bakery_io.versions.backup import Backup
from bakery_io.versions.v1_0_to_v1_1 import RUN_DEFAULTS
from tests.legacy import downgrade, encode, read_current_directory, sites, write_legacy

SEED = 11
HISTORY = ("production_runs", "assembly_runs")


def entity_files(directory: Path) -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in sorted(directory.iterdir())
        if path.name != "manifest.json"
    }


def break_slug(legacy: Backup, entity_type: str) -> tuple[str, str, int]:
    """Break the most referenced valid slug of ``entity_type`` that has an ``e`` with an
    upper-case letter and an accent, everywhere; returns (slug, broken, references)."""
    references = [site for site in sites(legacy) if site.target == entity_type]
    uses = Counter(site.key for site in references)
    slug = max(
        (r["slug"] for r in legacy.parts[entity_type].records if is_slug(r["slug"])),
        key=lambda candidate: ("e" in candidate[1:], uses[(candidate,)], candidate),
    )
    broken = slug[0].upper() + slug[1:].replace("e", "é", 1)
    (record,) = [r for r in legacy.parts[entity_type].records if r["slug"] == slug]
    record["slug"] = broken
    for site in references:
        if site.key == (slug,):
            site.holder[site.wire_name] = broken
    return slug, broken, uses[(slug,)]


@dataclass(frozen=True)
class Legacy:
    """A 1.1 dump of the sample and the 1.0 backup made from it, with one recipe slug
    broken (``slug`` written as ``broken``, referenced ``references`` times)."""

    current: Path
    legacy: Path
    slug: str
    broken: str
    references: int


@pytest.fixture(scope="module")
def legacy(sample_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Legacy:
    directory = tmp_path_factory.mktemp("legacy")
    current = sample_dump
    backup = read_current_directory(current)
    old = downgrade(backup, random.Random(SEED))
    slug, broken, references = break_slug(old, "recipes")
    legacy = write_legacy(old, directory / "legacy", "directory")
    return Legacy(current, legacy, slug, broken, references)


def test_the_legacy_backup_is_really_format_1_0(legacy: Legacy) -> None:
    names = sorted(path.name for path in legacy.legacy.iterdir())
    assert names == sorted(["manifest.json", *(f"{entity.name}.json" for entity in REGISTRY)])
    events = loads((legacy.legacy / "events.json").read_bytes())["records"]
    assert events
    assert all("slug" not in event and isinstance(event["id"], int) for event in events)
    packages = loads((legacy.legacy / "event_recipient_packages.json").read_bytes())["records"]
    assert all("event_name" in row and "event_slug" not in row for row in packages)
    purchases = loads((legacy.legacy / "purchases.json").read_bytes())["records"]
    assert any(isinstance(row["unit_price"], Decimal) for row in purchases)
    assert any(not row["created_at"].endswith("Z") for row in purchases)
    assert legacy.references > 0


def test_it_validates_as_1_0_and_says_what_the_upgrade_rewrites(legacy: Legacy) -> None:
    report = validate(legacy.legacy)
    assert report.ok, report.problems[:5]
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")
    (rewrite,) = [r for r in report.rewrites if r.old == legacy.broken]
    assert (rewrite.entity_type, rewrite.new, rewrite.file) == (
        "recipes",
        legacy.slug,
        "recipes.json",
    )
    assert rewrite.references == legacy.references
    assert rewrite.pointer.startswith("/records/")
    assert rewrite.pointer.endswith("/slug")


def test_it_loads_into_an_empty_database_and_dumps_back_the_same_data(
    legacy: Legacy, empty_engine: Engine, tmp_path: Path
) -> None:
    create_schema(empty_engine)
    report = load_all(empty_engine, legacy.legacy)
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")
    assert report.total.created == sum(
        len(loads(data)["records"]) for data in entity_files(legacy.current).values()
    )
    assert any(rewrite.old == legacy.broken for rewrite in report.rewrites)
    dump_all(empty_engine, tmp_path / "again")
    again = entity_files(tmp_path / "again")
    original = entity_files(legacy.current)
    assert [name for name in original if again[name] != original[name]] == []


def test_bakery_io_upgrade_writes_a_valid_1_1_backup_with_the_1_1_run_defaults(
    legacy: Legacy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "upgraded"
    assert main(["upgrade", "--limit", "0", str(legacy.legacy), str(target)]) == 0
    out = capsys.readouterr().out
    assert "directory of format 1.0, written as 1.1" in out
    assert legacy.broken in out
    report = validate(target)
    assert report.ok, report.problems[:5]
    assert (report.version, report.upgraded_to) == ("1.1", None)
    # Records in their order, fields in 1.1 order, values as 1.1 writes them: the dump itself.
    assert entity_files(target) == entity_files(legacy.current)

    runs = loads((legacy.legacy / "production_runs.json").read_bytes())["records"]
    bare = [run for run in runs if "production_status" not in run]
    assert bare, "the legacy runs should lack the loss fields"
    upgraded = loads((target / "19_production_runs.json").read_bytes())["records"]
    by_uuid = {run["uuid"]: run for run in upgraded}
    for run in bare:
        found = by_uuid[run["uuid"]]
        assert (found["production_status"], found["loss_quantity"], found["losses"]) == (
            "complete",
            0,
            [],
        )


@pytest.mark.parametrize("kind", ["zip", "document"])
def test_the_other_containers_upgrade_to_the_same_records(
    legacy: Legacy, tmp_path: Path, kind: str
) -> None:
    backup = read_current_directory(legacy.current)
    source = write_legacy(downgrade(backup, random.Random(SEED)), tmp_path / "old", kind)
    target = tmp_path / ("new.zip" if kind == "zip" else "new.json")
    report = upgrade(source, target)
    assert (report.version, report.upgraded_to, report.kind) == ("1.0", "1.1", kind)
    original = entity_files(legacy.current)
    if kind == "zip":
        with zipfile.ZipFile(target) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        assert {name: data for name, data in members.items() if name in original} == original
    else:
        document = loads(target.read_bytes())
        assert document["version"] == "1.1"
        for entity in REGISTRY:
            expected = loads(original[entity.filename])["records"]
            assert document[entity.name] == expected, entity.name


def _history_1_0(document: dict[str, Any], events: dict[str, str]) -> dict[str, Any]:
    """A 1.1 history document as the 1.0 exporters wrote it: no version, no loss
    fields where they hold the defaults, events by name, numbers, naive times, ids."""
    runs = []
    for number, run in enumerate(document["production_runs"], start=1):
        old: dict[str, Any] = {"id": number}
        for name, value in run.items():
            if name == "event_slug":
                old["event_name"] = None if value is None else events[value]
            elif name in RUN_DEFAULTS:
                if value != RUN_DEFAULTS[name]:
                    old[name] = value
            elif name == "produced_at":
                old[name] = value.removesuffix("Z")
            elif name in ("total_ingredient_cost", "per_unit_cost"):
                old[name] = Decimal(value)
            else:
                old[name] = value
        runs.append(old)
    return {"exported_at": document["exported_at"].removesuffix("Z"), "production_runs": runs}


def test_a_1_0_history_document_loads_into_a_database_holding_the_catalog(
    sample_engine: Engine, empty_engine: Engine, tmp_path: Path
) -> None:
    catalog = [entity.name for entity in REGISTRY if entity.name not in HISTORY]
    dump_all(sample_engine, tmp_path / "catalog", entities=catalog)
    dump_history(sample_engine, tmp_path / "history.json")
    current = loads((tmp_path / "history.json").read_bytes())
    events = {
        event["slug"]: event["name"]
        for event in loads((tmp_path / "catalog" / "17_events.json").read_bytes())["records"]
    }
    assert any(run["event_slug"] for run in current["production_runs"])
    old = _history_1_0(current, events)
    (tmp_path / "old.json").write_bytes(encode(old))

    create_schema(empty_engine)
    load_all(empty_engine, tmp_path / "catalog")
    report = load_all(empty_engine, tmp_path / "old.json")
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")
    assert report.counts["production_runs"].created == len(current["production_runs"])
    derived = {rewrite.new for rewrite in report.rewrites if rewrite.entity_type == "events"}
    assert derived == {run["event_slug"] for run in current["production_runs"]} - {None}
    with empty_engine.connect() as connection:
        stored = connection.execute(select(ProductionRun.uuid)).scalars().all()
    assert sorted(stored) == sorted(run["uuid"] for run in current["production_runs"])
    dump_history(empty_engine, tmp_path / "again.json", exported_at=None)
    again = loads((tmp_path / "again.json").read_bytes())
    assert again["production_runs"] == current["production_runs"]


def test_a_1_0_history_document_naming_an_unknown_event_is_refused_with_nothing_written(
    sample_dump: Path, tmp_path: Path
) -> None:
    # The sample's own database (SQLite) holds the catalog and these very runs.
    shutil.copyfile(sample_dump.parent / "sample.db", tmp_path / "sample.db")
    engine = engine_from_url(f"sqlite:///{tmp_path / 'sample.db'}")
    events = loads((sample_dump / "17_events.json").read_bytes())["records"]
    runs = loads((sample_dump / "19_production_runs.json").read_bytes())["records"]
    current = {"exported_at": "2026-11-22T09:30:00Z", "production_runs": runs}
    old = _history_1_0(current, {event["slug"]: event["name"] for event in events})
    with_event = next(run for run in old["production_runs"] if run.get("event_name"))
    with_event["event_name"] = "The Great Bake-Off That Never Was"
    (tmp_path / "old.json").write_bytes(encode(old))
    before = _rows(engine)
    with pytest.raises(SourceError) as raised:
        load_all(engine, tmp_path / "old.json", on_conflict="update")
    unknown = [p for p in raised.value.problems if "the-great-bake-off-that-never-was" in p.message]
    assert len(unknown) == 1
    # Named in the user's 1.0 terms: the field there is event_name, not 1.1's event_slug.
    assert unknown[0].file == "old.json"
    assert unknown[0].pointer.startswith("/production_runs/")
    assert unknown[0].pointer.endswith("/event_name")
    assert _rows(engine) == before
    engine.dispose()


def _rows(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
            for name, table in metadata.tables.items()
        }
