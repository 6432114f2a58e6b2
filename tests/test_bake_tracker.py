"""bake-tracker's current files (app commit 5ba2de31), read through the public API as a user would.

The data under ``tests/data/bake_tracker/`` was written by the app's own exporters
(see the README there): ``shared/`` is the real export of the app's sample catalog, and
``5ba2de31/<dataset>/`` exports of other data at the same app commit. Each dataset is
a full backup directory (and its ZIP), a production history and an assembly history.

What is checked:

- without repairs, every violation of the real data is named by the app's file, record
  position, key and JSON pointer; each repair alone mends exactly its own violations;
- with ``repairs=["all"]``, every combination of the files validates, loads and upgrades;
  a history alone is a partial source (refused against an empty database, loaded into
  one that holds the backup);
- every record of every app file is either loaded or counted as left behind
  (:func:`reconcile`);
- the history documents' consumptions and losses join the backup's runs, whose costs win;
- a re-export of the loaded database is format 1.1 and re-imports unchanged;
- the upgrade of each whole export is byte for byte a golden file
  (``tests/golden/bake-tracker/``; ``BAKERY_IO_UPDATE_GOLDEN=1`` rewrites them);
- bakery_io's own files are never taken for the app's and the other way round;
- mutated files never raise anything but ``SourceError``/``UsageError`` (Hypothesis), and
  the command line never prints a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

import bakery_io
from bakery_io import (
    REGISTRY,
    REPAIRS,
    LoadReport,
    SourceError,
    UsageError,
    create_schema,
    dump_all,
    load_all,
    upgrade,
    validate,
)
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import metadata
from bakery_io.cli import main
from tests.conftest import sqlite_copy
from tests.test_cli import run

DATA = Path(__file__).parent / "data" / "bake_tracker"
GOLDEN = Path(__file__).parent / "golden" / "bake-tracker"
#: Set to 1 to rewrite the golden files from the current output (then review the diff).
UPDATE_GOLDEN = os.environ.get("BAKERY_IO_UPDATE_GOLDEN") == "1"

DATASETS = {
    "shared": DATA / "shared",
    "sample_min": DATA / "5ba2de31" / "sample_min",
    "awkward": DATA / "5ba2de31" / "awkward",
}
PRODUCTION = "production_history.json"
ASSEMBLY = "assembly_history.json"
HISTORIES = (PRODUCTION, ASSEMBLY)
ALL = ["all"]

REPARENT = "reparent-deep-ingredients"
SUFFIX = "suffix-repeated-keys"
ROUND = "round-float-noise"
LOT = "match-depletion-lot"
FIRST = "first-of-shared-name"

#: The app's entity types whose records join bakery_io's runs from the history documents.
RUNS = {PRODUCTION: "production_runs", ASSEMBLY: "assembly_runs"}


# ---------------------------------------------------------------------------
# The datasets and their sources.


def backup_zip(dataset: str, directory: Path) -> Path:
    """The dataset's backup as a ZIP: the app's own where it made one, else made here
    (entries in the manifest's order, as the app writes them)."""
    made = DATASETS[dataset] / "backup.zip"
    if made.exists():
        return made
    target = directory / f"{dataset}-backup.zip"
    if not target.exists():
        backup = DATASETS[dataset] / "backup"
        manifest = json.loads((backup / "manifest.json").read_text())
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(backup / "manifest.json", "manifest.json")
            for entry in manifest["files"]:
                archive.write(backup / entry["filename"], entry["filename"])
    return target


@pytest.fixture(scope="session")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the ZIPs made by :func:`backup_zip` go."""
    return tmp_path_factory.mktemp("bake_tracker_zips")


def sources(dataset: str, combination: str, zips: Path) -> list[Path]:
    """The files of ``dataset`` that ``combination`` names: ``backup``, ``zip``, ``backup+``
    and ``zip+`` (with both histories), or one history alone."""
    folder = DATASETS[dataset]
    if combination in (PRODUCTION, ASSEMBLY):
        return [folder / combination]
    backup = backup_zip(dataset, zips) if combination.startswith("zip") else folder / "backup"
    return (
        [backup, *(folder / name for name in HISTORIES)] if combination.endswith("+") else [backup]
    )


@pytest.fixture
def fresh(schema_template: Path, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Makes engines on fresh SQLite databases with the bakery_io tables (create_schema)."""
    engines: list[Engine] = []

    def make() -> Engine:
        engine = sqlite_copy(schema_template, tmp_path / f"fresh-{len(engines)}.db")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def located(problems: Sequence[bakery_io.Problem]) -> list[tuple[str, str, int | None, str | None]]:
    return sorted((p.file, p.pointer, p.record, p.key) for p in problems)


def violations(engine: Engine, files: Sequence[Path], repairs: Sequence[str]) -> list[Any]:
    """Every problem a (dry-run) load of ``files`` names: validate's and the load's own."""
    try:
        load_all(engine, files, repairs=repairs, dry_run=True)
    except SourceError as exc:
        return list(exc.problems)
    return []


# ---------------------------------------------------------------------------
# The data itself.


def test_the_data_is_the_apps_own_export_with_its_licence() -> None:
    assert "MIT License" in (DATA / "LICENSE").read_text()
    assert "Kent Gale" in (DATA / "LICENSE").read_text()
    assert (DATA / "README.md").is_file()
    for folder in DATASETS.values():
        manifest = json.loads((folder / "backup" / "manifest.json").read_text())
        assert manifest["source"].startswith("Seasonal Baking Tracker")
        listed = {entry["filename"] for entry in manifest["files"]}
        assert listed | {"manifest.json"} == {p.name for p in (folder / "backup").iterdir()}
        for name in HISTORIES:
            assert (folder / name).is_file()


# ---------------------------------------------------------------------------
# The real data's violations, without repairs and repair by repair.

Where = tuple[str, str, int, str]

#: The shared export's violations: the repeated product key (and its two references),
#: the depletion that names a product with two lots, the binary-float quantities, and
#: the four ingredients under a parent of their own level (found by the load only).
SHARED_KEY: list[Where] = [
    ("products.json", "/records/142/slug", 142, "4389b105-4d1f-46ec-b0c1-4832977cbbf4"),
    (
        "inventory_items.json",
        "/records/52/product_slug",
        52,
        "78bfb69c-9b80-4cda-a919-a26f2a13b738",
    ),
    (
        "inventory_items.json",
        "/records/53/product_slug",
        53,
        "73597982-658e-455f-b03e-8fb9163069f3",
    ),
]
SHARED_LOT: list[Where] = [
    (
        "inventory_depletions.json",
        "/records/0/inventory_item_ref",
        0,
        "28a7762c-297f-4f9c-b7be-274c5a592dc6",
    ),
]
SHARED_FLOATS: list[Where] = [
    ("inventory_items.json", "/records/15/quantity", 15, "9bd308e3-941e-4269-85b7-b8af28bcc5c4"),
    ("inventory_items.json", "/records/23/quantity", 23, "3be938a5-c9a0-4978-b0cf-69518bc0c50b"),
    ("inventory_items.json", "/records/29/quantity", 29, "37b042f0-6a63-4264-90fe-94093ea45a07"),
    ("inventory_items.json", "/records/52/quantity", 52, "78bfb69c-9b80-4cda-a919-a26f2a13b738"),
    ("inventory_items.json", "/records/65/quantity", 65, "59108143-1f2e-46b7-a6d0-a6b285461e1c"),
]
DEEP: list[Where] = [
    ("ingredients.json", "/records/409/parent_slug", 409, "almonds_whole"),
    ("ingredients.json", "/records/410/parent_slug", 410, "almonds_sliced"),
    ("ingredients.json", "/records/411/parent_slug", 411, "pecans_halves"),
    ("ingredients.json", "/records/412/parent_slug", 412, "pecans_chopped"),
]
#: What each violation's message says (a part of it), by its pointer's last words.
SHARED_MESSAGES = {
    "/records/142/slug": "2 products share the app's key 'vanilla_extract:Heilala:50.0:ml' "
    "(records 141, 142)",
    "/records/52/product_slug": "2 products in products.json share the key "
    "'vanilla_extract:Heilala:50.0:ml'",
    "/records/0/inventory_item_ref": "2 lots in inventory_items.json are of the product "
    "'flour_all_purpose:King Arthur:25.0:lb'",
    "/records/15/quantity": "0.7183974852908854 has more than 4 decimal places",
    "/records/52/quantity": "42.60662 has more than 4 decimal places",
    "/records/409/parent_slug": "ingredients 'almonds' has hierarchy_level 2 (expected 1)",
    "/records/412/parent_slug": "ingredients 'pecans' has hierarchy_level 2 (expected 1)",
}

#: The other datasets' violations, by the repair that mends them.
SAMPLE_MIN: dict[str, list[Where]] = {
    FIRST: [
        (
            "production_runs.json",
            "/records/0/event_name",
            0,
            "d7ea79c7-165b-432a-9d79-6ec4fa5c8491",
        ),
        (
            ASSEMBLY,
            "/assembly_runs/1/packaging_consumptions/0/product_name",
            1,
            "dc384771-4b5c-4268-b64e-3de24dc0872c",
        ),
    ],
    REPARENT: DEEP,
    ROUND: [
        ("inventory_items.json", f"/records/{record}/{field}", record, key)
        for record, field, key in [
            (0, "quantity", "d0402771-7fd0-4f47-8ad2-da00a8042fe0"),
            (1, "quantity", "8f5f45a5-25bb-47cb-a5c9-7c0765bf6284"),
            (2, "quantity", "ed6942c6-723c-46a4-b864-54cbba1eaafb"),
            (3, "quantity", "6f91d44d-975c-4cf3-93f8-d1b20e32b662"),
            (4, "unit_cost", "9d66b270-be51-44cb-b402-3ca2b12ec63d"),
            (5, "quantity", "211d4fc1-e1ad-42c8-b81b-5dabfad6fb5e"),
            (5, "unit_cost", "211d4fc1-e1ad-42c8-b81b-5dabfad6fb5e"),
            (6, "quantity", "b47905a3-6596-47b7-b80b-2cdd093f9953"),
            (6, "unit_cost", "b47905a3-6596-47b7-b80b-2cdd093f9953"),
            (7, "quantity", "02a09f36-db90-4679-95a0-e68fc75e7297"),
            (7, "unit_cost", "02a09f36-db90-4679-95a0-e68fc75e7297"),
        ]
    ],
}
AWKWARD: dict[str, list[Where]] = {
    FIRST: [
        ("production_runs.json", "/records/0/event_name", 0, "b2150639-cfeb-4982-b0ae-57af52642a93")
    ],
    ROUND: [
        ("inventory_items.json", "/records/0/quantity", 0, "3fbfb47f-73ed-42e1-9eb1-a3e1ff82592b"),
        ("inventory_items.json", "/records/2/unit_cost", 2, "49e9ce53-a25c-4f74-9880-ae5114e5b8f5"),
    ],
}
#: Every dataset's violations (backup and both histories), by the repair that mends them.
BY_REPAIR: dict[str, dict[str, list[Where]]] = {
    "shared": {SUFFIX: SHARED_KEY, LOT: SHARED_LOT, ROUND: SHARED_FLOATS, REPARENT: DEEP},
    "sample_min": SAMPLE_MIN,
    "awkward": AWKWARD,
}


def test_validate_without_repairs_names_the_shared_exports_violations() -> None:
    """validate names what it can see (the deep ingredients need the load's rules)."""
    report = validate(DATASETS["shared"] / "backup")

    assert not report.ok
    assert report.foreign.source_format == "bake-tracker full backup (labelled '1.0')"
    assert report.version == "1.0"
    assert located(report.problems) == sorted(SHARED_KEY + SHARED_LOT + SHARED_FLOATS)
    messages = {problem.pointer: problem.message for problem in report.problems}
    for pointer, said in SHARED_MESSAGES.items():
        if pointer in messages:
            assert said in messages[pointer], pointer
    assert report.foreign.repairs == ()


def test_the_load_without_repairs_names_every_violation_of_the_shared_export(
    fresh: Callable[[], Engine],
) -> None:
    engine = fresh()
    for combination in ("backup", "backup+"):
        files = sources("shared", combination, DATA)
        problems = violations(engine, files, [])
        assert located(problems) == sorted(SHARED_KEY + SHARED_LOT + SHARED_FLOATS + DEEP)
        messages = {problem.pointer: problem.message for problem in problems}
        for pointer, said in SHARED_MESSAGES.items():
            assert said in messages[pointer], pointer
    with pytest.raises(SourceError) as raised:
        load_all(engine, DATASETS["shared"] / "backup")
    assert set(raised.value.repairs) == set(REPAIRS), "the refusal names the repairs"
    with engine.connect() as connection:
        assert sum(count_rows(connection).values()) == 0


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_violation_is_named_at_once(dataset: str, fresh: Callable[[], Engine]) -> None:
    files = sources(dataset, "backup+", DATA)
    wanted = sorted(where for found in BY_REPAIR[dataset].values() for where in found)
    assert located(violations(fresh(), files, [])) == wanted


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_repair_alone_mends_exactly_its_own_violations(
    dataset: str, fresh: Callable[[], Engine]
) -> None:
    """With every repair but one, exactly that repair's violations are left, named; each
    value a repair changes is reported under its name, where its violation was."""
    engine = fresh()
    files = sources(dataset, "backup+", DATA)
    expected = BY_REPAIR[dataset]
    for repair in REPAIRS:
        others = [name for name in REPAIRS if name != repair]
        assert located(violations(engine, files, others)) == sorted(expected.get(repair, [])), (
            f"all repairs but {repair}"
        )
        # The repair alone: the others' violations are left (where none hides the rest:
        # see test_every_violation_is_named_at_once).
        if dataset == "shared" or repair == FIRST:
            left = sorted(w for name, found in expected.items() if name != repair for w in found)
            assert located(violations(engine, files, [repair])) == left, f"{repair} alone"
    report = load_all(engine, files, repairs=ALL, dry_run=True)
    made = Counter(item.repair for item in report.foreign.repairs)
    assert set(made) == set(expected)
    for repair, found in expected.items():
        # A repair reports each value it changed; a shared key's suffix is reported on the
        # product and on each reference to it.
        assert {
            (r.file, r.pointer, r.record, r.key)
            for r in report.foreign.repairs
            if r.repair == repair
        } == set(found)


def test_the_shared_exports_repairs_one_by_one() -> None:
    """What each repair changes, value by value, in the shared export."""
    report = validate(DATASETS["shared"] / "backup", repairs=ALL)
    assert report.ok, report.problems
    made = {(item.repair, item.pointer): (item.old, item.new) for item in report.foreign.repairs}
    assert made[(SUFFIX, "/records/142/slug")] == (
        "vanilla_extract:Heilala:50.0:ml",
        "vanilla_extract-heilala-50-ml-2",
    )
    assert made[(SUFFIX, "/records/52/product_slug")] == (
        "vanilla_extract:Heilala:50.0:ml",
        "vanilla_extract-heilala-50-ml",
    )
    assert made[(LOT, "/records/0/inventory_item_ref")] == (
        "flour_all_purpose:King Arthur:25.0:lb",
        "91c6a627-91b6-46cb-bc11-df7d15801d90",
    )
    assert made[(REPARENT, "/records/409/parent_slug")] == ("almonds", "tree_nuts")
    assert made[(REPARENT, "/records/412/parent_slug")] == ("pecans", "tree_nuts")
    assert made[(ROUND, "/records/15/quantity")] == ("0.7183974852908854", "0.7184")
    assert made[(ROUND, "/records/52/quantity")] == ("42.60662", "42.6066")
    assert len(made) == 3 + 1 + 4 + 5


def test_an_unknown_repair_is_refused_in_one_line() -> None:
    with pytest.raises(UsageError) as raised:
        validate(DATASETS["shared"] / "backup", repairs=["round-everything"])
    assert "'round-everything'" in str(raised.value)
    assert "\n" not in str(raised.value)


# ---------------------------------------------------------------------------
# With every repair: validate, load and upgrade; partial histories.

COMBINATIONS = ("backup", "zip", "backup+", "zip+")


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("combination", COMBINATIONS)
def test_validate_load_and_upgrade_succeed_with_every_repair(
    dataset: str, combination: str, fresh: Callable[[], Engine], zips: Path, tmp_path: Path
) -> None:
    files = sources(dataset, combination, zips)

    report = validate(files, repairs=ALL)
    assert report.ok, report.problems
    assert report.upgraded_to == "1.1"
    kinds = report.foreign.source_format or ""
    assert kinds.startswith("bake-tracker full backup (labelled '1.0')")
    assert ("production history (labelled '1.1')" in kinds) == combination.endswith("+")
    assert ("assembly history (labelled '1.0')" in kinds) == combination.endswith("+")

    engine = fresh()
    loaded = load_all(engine, files, repairs=ALL)
    with engine.connect() as connection:
        reconcile(read_app_files(files), loaded, count_rows(connection))

    target = tmp_path / "upgraded.zip"
    upgraded = upgrade(files, target, repairs=ALL)
    assert upgraded.upgraded_to == "1.1"
    assert validate(target).ok
    assert upgraded.foreign.repairs == loaded.foreign.repairs
    assert upgraded.foreign.left_behind == loaded.foreign.left_behind


#: Where a history alone, against an empty database, names what it references.
ALONE: dict[tuple[str, str], list[tuple[str, int]]] = {
    ("shared", PRODUCTION): [
        (f"/production_runs/{run}/{field}", run)
        for run in (0, 1)
        for field in ("finished_unit_slug", "recipe_name")
    ],
    ("shared", ASSEMBLY): [
        ("/assembly_runs/0/finished_good_slug", 0),
        ("/assembly_runs/0/finished_unit_consumptions/0/finished_unit_name", 0),
    ],
}


@pytest.mark.parametrize("history", HISTORIES)
def test_a_history_alone_against_an_empty_database_names_its_unknown_references(
    history: str, fresh: Callable[[], Engine]
) -> None:
    engine = fresh()
    with pytest.raises(SourceError) as raised:
        load_all(engine, DATASETS["shared"] / history, repairs=ALL)
    problems = raised.value.problems
    assert sorted((p.file, p.pointer, p.record) for p in problems) == sorted(
        (history, pointer, record) for pointer, record in ALONE[("shared", history)]
    )
    for problem in problems:
        assert "neither in the files being loaded nor in the database" in problem.message
        assert "gluten-free-almond-flour-shortbread-cookies" in problem.message
    with engine.connect() as connection:
        assert sum(count_rows(connection).values()) == 0


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_history_alone_loads_into_the_database_that_holds_its_backup(
    dataset: str, fresh: Callable[[], Engine]
) -> None:
    engine = fresh()
    load_all(engine, DATASETS[dataset] / "backup", repairs=ALL)

    # The backup's runs are there already, with the event the history lacks: kept.
    report = load_all(engine, DATASETS[dataset] / PRODUCTION, repairs=ALL)
    assert report.counts["production_runs"].to_dict() == {
        "created": 0,
        "unchanged": 0,
        "skipped": 2,
        "updated": 0,
    }

    history = DATASETS[dataset] / ASSEMBLY
    if dataset == "shared":
        report = load_all(engine, history, repairs=ALL)
        assert report.counts["assembly_runs"].created == 1
        return
    # Their assembly runs consume packaging products named only by the name the app shows,
    # which no database column holds: the backup must come with the history (documented).
    with pytest.raises(SourceError) as raised:
        load_all(engine, history, repairs=ALL)
    (problem,) = raised.value.problems
    assert (problem.file, problem.pointer, problem.record) == (
        ASSEMBLY,
        "/assembly_runs/1/packaging_consumptions/0/product_name",
        1,
    )
    assert "give the app's backup together with this file" in problem.message


# ---------------------------------------------------------------------------
# Accounting: every record of every app file loaded or counted as left behind.


@dataclass(frozen=True)
class AppFile:
    """One of the app's files: its entity type and records (a backup holds many)."""

    name: str
    entity_type: str
    records: list[dict[str, Any]]


def read_app_files(files: Sequence[Path]) -> list[AppFile]:
    """The app's records per file, read with nothing but :mod:`json` (the app's files are
    plain JSON): a backup's by its manifest, a history's by its one array."""
    found: list[AppFile] = []
    for path in files:
        if path.is_dir() or zipfile.is_zipfile(path):
            found.extend(_backup_files(path))
            continue
        content = json.loads(path.read_text())
        entity_type = RUNS[path.name]
        found.append(AppFile(path.name, entity_type, content[entity_type]))
    return found


def _backup_files(path: Path) -> Iterator[AppFile]:
    def read(name: str) -> Any:
        if path.is_dir():
            return json.loads((path / name).read_bytes())
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(name))

    for entry in read("manifest.json")["files"]:
        content = read(entry["filename"])
        assert content["entity_type"] == entry["entity_type"]
        assert len(content["records"]) == entry["record_count"]
        yield AppFile(entry["filename"], entry["entity_type"], content["records"])


def reconcile(app: Sequence[AppFile], report: LoadReport, rows: Mapping[str, int]) -> None:
    """Every app record is loaded or left behind, counted; nothing else is loaded.

    ``rows`` are the database's rows after loading ``app`` into an empty database. An
    entity type of bakery_io's is loaded record for record (history runs join the
    backup's by uuid); a composition becomes a finished good's component or is left
    behind; every other entity type of the app is left behind whole, counted, in its file.
    """
    loaded = {name: sum(counts.to_dict().values()) for name, counts in report.counts.items()}
    whole = Counter(
        (item.file, item.entity_type)
        for item in report.foreign.left_behind
        if item.field is None
        for _ in range(item.records)
    )
    runs: dict[str, set[str]] = {}
    seen: set[str] = set()
    for file in app:
        count = len(file.records)
        seen.add(file.entity_type)
        if file.entity_type in RUNS.values():
            runs.setdefault(file.entity_type, set()).update(r["uuid"] for r in file.records)
        elif file.entity_type in REGISTRY.names:
            assert loaded.get(file.entity_type, 0) == count, file.name
            assert rows[file.entity_type] == count, file.name
        elif file.entity_type == "compositions":
            assert rows["finished_good_components"] + whole[(file.name, "compositions")] == count
        else:
            assert whole[(file.name, file.entity_type)] == count, f"{file.name} not accounted for"
    for entity_type, uuids in runs.items():
        assert loaded.get(entity_type, 0) == len(uuids) == rows[entity_type], entity_type
    named = {(file.name, file.entity_type) for file in app}
    assert set(whole) <= named, "left behind what no file holds"
    assert {name for name, count in loaded.items() if count} <= seen, "loaded what no file holds"
    assert all(count == report.counts[name].created for name, count in loaded.items()), "fresh"
    for entity_type in REGISTRY.names:
        assert rows[entity_type] == loaded.get(entity_type, 0), entity_type


def test_accounting_on_every_backend(empty_engine: Engine) -> None:
    """The shared export, backup and histories, loaded on SQLite and on each server in
    BAKERY_IO_TEST_URLS: every record is loaded or left behind."""
    create_schema(empty_engine)
    files = sources("shared", "backup+", DATA)
    report = load_all(empty_engine, files, repairs=ALL)
    with empty_engine.connect() as connection:
        reconcile(read_app_files(files), report, count_rows(connection))
    counts = {name: counts.created for name, counts in report.counts.items()}
    assert counts["products"] == 156
    assert counts["ingredients"] == 413
    assert counts["assembly_runs"] == 1
    left = {
        (item.file, item.entity_type): item.records
        for item in report.foreign.left_behind
        if item.field is None
    }
    assert left == {
        ("material_inventory_items.json", "material_inventory_items"): 1,
        ("recipe_snapshots.json", "recipe_snapshots"): 2,
        ("finished_good_snapshots.json", "finished_good_snapshots"): 1,
        ("finished_unit_snapshots.json", "finished_unit_snapshots"): 1,
    }


# ---------------------------------------------------------------------------
# The history merge.


@pytest.mark.parametrize("dataset", DATASETS)
def test_runs_gain_the_historys_consumptions_and_losses_and_keep_the_backups_costs(
    dataset: str, fresh: Callable[[], Engine]
) -> None:
    folder = DATASETS[dataset]
    engine = fresh()
    load_all(engine, sources(dataset, "backup+", DATA), repairs=ALL)
    backup_runs = {
        run["uuid"]: run
        for run in json.loads((folder / "backup" / "production_runs.json").read_text())["records"]
    }
    history = json.loads((folder / PRODUCTION).read_text())["production_runs"]
    assembly = json.loads((folder / ASSEMBLY).read_text())["assembly_runs"]
    runs, consumptions, losses = (
        metadata.tables[name]
        for name in ("production_runs", "production_consumptions", "production_losses")
    )
    with engine.connect() as connection:
        for run in history:
            row = connection.execute(select(runs).where(runs.c.uuid == run["uuid"])).one()
            used = connection.execute(
                select(
                    consumptions.c.uuid,
                    consumptions.c.ingredient_slug,
                    consumptions.c.quantity_consumed,
                    consumptions.c.total_cost,
                ).where(consumptions.c.production_run_id == row.id)
            ).all()
            assert sorted(
                (u.uuid, u.ingredient_slug, u.quantity_consumed, u.total_cost) for u in used
            ) == sorted(
                (
                    c["uuid"],
                    c["ingredient_slug"],
                    Decimal(c["quantity_consumed"]),
                    Decimal(c["total_cost"]),
                )
                for c in run["consumptions"]
            )
            lost = connection.execute(
                select(losses.c.uuid, losses.c.loss_quantity, losses.c.notes).where(
                    losses.c.production_run_id == row.id
                )
            ).all()
            assert sorted(tuple(loss) for loss in lost) == sorted(
                (loss["uuid"], loss["loss_quantity"], loss["notes"]) for loss in run["losses"]
            )
            # The backup's exact costs win over the history's cents (null is a zero cost).
            ours = backup_runs[run["uuid"]]
            for field in ("total_ingredient_cost", "per_unit_cost"):
                assert getattr(row, field) == Decimal(ours[field] or "0"), field
            if dataset == "awkward":
                assert run["total_ingredient_cost"] == "0.39"
                assert row.total_ingredient_cost == Decimal("0.3883")
        assembly_runs = metadata.tables["assembly_runs"]
        units = metadata.tables["assembly_finished_unit_consumptions"]
        for run in assembly:
            row = connection.execute(
                select(assembly_runs).where(assembly_runs.c.uuid == run["uuid"])
            ).one()
            unit_uuids = connection.execute(
                select(units.c.uuid).where(units.c.assembly_run_id == row.id)
            ).scalars()
            assert sorted(unit_uuids) == sorted(
                c["uuid"] for c in run["finished_unit_consumptions"]
            )


# ---------------------------------------------------------------------------
# The loaded database re-exported.


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_reexport_is_format_1_1_and_reimports_unchanged(
    dataset: str, fresh: Callable[[], Engine], tmp_path: Path
) -> None:
    engine = fresh()
    first = load_all(engine, sources(dataset, "backup+", DATA), repairs=ALL)
    dumped = tmp_path / "dump"
    dump_all(engine, dumped)

    report = validate(dumped)
    assert report.ok, report.problems
    assert report.version == "1.1"
    assert report.foreign.source_format is None

    again = load_all(engine, dumped)
    assert again.foreign.source_format is None
    for name, counts in again.counts.items():
        assert counts.to_dict() == {
            "created": 0,
            "unchanged": first.counts[name].created if name in first.counts else 0,
            "skipped": 0,
            "updated": 0,
        }, name

    # The app's files loaded again: everything is there already, unchanged.
    second = load_all(engine, sources(dataset, "backup+", DATA), repairs=ALL)
    assert {name: counts.unchanged for name, counts in second.counts.items()} == {
        name: counts.created for name, counts in first.counts.items()
    }
    assert all(
        counts.unchanged == sum(counts.to_dict().values()) for counts in second.counts.values()
    )


# ---------------------------------------------------------------------------
# Golden files of the upgrade.

GOLDEN_DATASETS = ("shared", "awkward")


def _report_document(report: bakery_io.UpgradeReport) -> str:
    document = {
        "source_format": report.foreign.source_format,
        "rewrites": [rewrite.to_dict() for rewrite in report.rewrites],
        "repairs": [repair.to_dict() for repair in report.foreign.repairs],
        "conversions": [conversion.to_dict() for conversion in report.foreign.conversions],
        "left_behind": [item.to_dict() for item in report.foreign.left_behind],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("dataset", GOLDEN_DATASETS)
def test_the_upgrade_of_the_whole_export_is_the_golden_document(
    dataset: str, tmp_path: Path
) -> None:
    """upgrade([backup, histories], document.json, repairs=["all"]), byte for byte; run with
    BAKERY_IO_UPDATE_GOLDEN=1 to rewrite the golden files, then review their diff."""
    target = tmp_path / "upgraded.json"
    report = upgrade(sources(dataset, "backup+", DATA), target, repairs=ALL)
    written = {
        "expected.json": target.read_bytes(),
        "report.json": _report_document(report).encode(),
    }
    folder = GOLDEN / dataset
    if UPDATE_GOLDEN:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in written.items():
            (folder / name).write_bytes(data)
    for name, data in written.items():
        assert (folder / name).is_file(), f"no golden {name}: run with BAKERY_IO_UPDATE_GOLDEN=1"
        assert data == (folder / name).read_bytes(), (
            f"{dataset}/{name} differs from the golden file"
        )
    assert validate(folder / "expected.json").ok


def test_the_golden_documents_validate_as_1_1() -> None:
    for dataset in GOLDEN_DATASETS:
        report = validate(GOLDEN / dataset / "expected.json")
        assert report.ok, report.problems
        assert report.version == "1.1"
        assert report.foreign.source_format is None


# ---------------------------------------------------------------------------
# Detection: never by the version label.

OWN_GOLDEN = Path(__file__).parent / "golden" / "1.0"


def _own_sources(sample_dump: Path) -> list[Path]:
    entity_files = [
        next(sample_dump.glob(f"*_{name}.json")) for name in ("events", "production_runs")
    ]
    found = [sample_dump, *entity_files]
    for case in sorted(OWN_GOLDEN.iterdir()):
        for name in ("input", "input.json", "expected", "expected.json"):
            if (case / name).exists():
                found.append(case / name)
    return found


def test_bakery_ios_own_files_are_never_taken_for_the_apps(sample_dump: Path) -> None:
    for path in _own_sources(sample_dump):
        report = validate(path)
        assert report.foreign.source_format is None, path
        assert report.version in ("1.0", "1.1"), path


def test_own_files_with_the_apps_labels_are_still_ours(sample_dump: Path, tmp_path: Path) -> None:
    """A bakery_io 1.0 history document labelled as the app's production history ("1.1")."""
    source = OWN_GOLDEN / "history-document" / "input.json"
    content = json.loads(source.read_text())
    for label in ("1.1", "1.0"):
        relabelled = tmp_path / f"history-{label}.json"
        relabelled.write_text(json.dumps({**content, "version": label}))
        assert validate(relabelled).foreign.source_format is None


def test_own_files_are_refused_beside_the_apps(sample_dump: Path) -> None:
    report = validate([DATASETS["shared"] / "backup", sample_dump], repairs=ALL)
    assert not report.ok
    assert any("not a file of bake-tracker" in problem.message for problem in report.problems)


def _relabel(folder: Path, target: Path, label: str | None) -> list[Path]:
    shutil.copytree(folder / "backup", target / "backup")
    files = [target / "backup", target / PRODUCTION, target / ASSEMBLY]
    for path, source in zip(
        [files[0] / "manifest.json", files[1], files[2]],
        [folder / "backup" / "manifest.json", folder / PRODUCTION, folder / ASSEMBLY],
        strict=True,
    ):
        content = json.loads(source.read_text())
        if label is None:
            del content["version"]
        else:
            content["version"] = label
        path.write_text(json.dumps(content, indent=2))
    return files


@pytest.mark.parametrize("label", ["1.0", "1.1", "2.0", "4.1", None])
def test_the_apps_files_are_the_apps_whatever_their_label(
    label: str | None, tmp_path: Path
) -> None:
    files = _relabel(DATASETS["awkward"], tmp_path, label)
    for path in files:
        report = validate(path, repairs=ALL)
        assert (report.foreign.source_format or "").startswith("bake-tracker"), (label, path.name)
    together = validate(files, repairs=ALL)
    assert together.ok, together.problems
    assert (together.foreign.source_format or "").count("bake-tracker") == 3


# ---------------------------------------------------------------------------
# Robustness: mutated files never raise anything but SourceError / UsageError.

ROBUST = DATASETS["awkward"]
#: The files a mutation may change: the backup's, and the histories.
MUTABLE = sorted([f"backup/{p.name}" for p in (ROBUST / "backup").iterdir()] + list(HISTORIES))
ODD_VALUES = st.sampled_from(
    [None, "", "x", -1, 0, 2**70, 1.5, True, [], {}, [1], {"a": None}, "NaN", "1e999", "-0", "∞"]
)
BAD_NUMBERS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999999", "-0", "1E+2", "0.1e-400"]
)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, Any]:
    """(file, what, argument) to do to a copy of the awkward dataset."""
    file = draw(st.sampled_from(MUTABLE))
    what = draw(
        st.sampled_from(
            [
                "drop_key",
                "rename_key",
                "set_value",
                "duplicate_key",
                "bad_number",
                "delete",
                "extra_file",
                "truncate",
                "replace",
                "garble_manifest",
            ]
        )
    )
    if what in ("drop_key", "rename_key", "duplicate_key"):
        argument: Any = draw(st.integers(0, 10_000))
    elif what == "set_value":
        argument = (draw(st.integers(0, 10_000)), draw(ODD_VALUES))
    elif what == "bad_number":
        argument = (draw(st.integers(0, 10_000)), draw(BAD_NUMBERS))
    elif what == "truncate":
        argument = draw(st.floats(0, 1))
    elif what in ("replace", "extra_file"):
        argument = draw(
            st.sampled_from(['"text"', "[]", "{}", "null", '{"records": 1}', "{", "\x00\xff", ""])
        )
    elif what == "garble_manifest":
        argument = draw(
            st.sampled_from(
                [
                    ("files", {}),
                    ("files", [None, 1, "x"]),
                    ("files", [{"filename": "../../etc/passwd", "entity_type": "suppliers"}]),
                    ("files", [{"filename": "suppliers.json", "entity_type": "products"}]),
                    ("source", None),
                    ("export_date", "yesterday"),
                    (
                        "files",
                        [
                            {
                                "filename": "suppliers.json",
                                "entity_type": "suppliers",
                                "import_order": "x",
                                "record_count": -1,
                                "sha256": 5,
                            }
                        ],
                    ),
                ]
            )
        )
    else:
        argument = None
    combination = draw(st.sampled_from(["backup", "backup+", "zip+", PRODUCTION, ASSEMBLY]))
    return file, what, (argument, combination)


def _records_of(content: Any) -> list[dict[str, Any]]:
    """Every object of a parsed file, outermost first."""
    found: list[dict[str, Any]] = []
    stack = [content]
    while stack:
        value = stack.pop(0)
        if isinstance(value, dict):
            found.append(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def mutate(folder: Path, file: str, what: str, argument: Any) -> None:
    """Do ``what`` to ``file`` of the dataset copied to ``folder``."""
    path = folder / file
    if what == "delete":
        path.unlink()
    elif what == "extra_file":
        (path.parent / "unknown_things.json").write_text(argument)
    elif what == "truncate":
        text = path.read_text()
        path.write_text(text[: int(len(text) * argument)])
    elif what == "replace":
        path.write_text(argument)
    elif what == "garble_manifest":
        manifest = folder / "backup" / "manifest.json"
        content = json.loads(manifest.read_text())
        key, value = argument
        content[key] = value
        manifest.write_text(json.dumps(content))
    else:
        path.write_text(_changed_record(json.loads(path.read_text()), what, argument))


def _changed_record(content: Any, what: str, argument: Any) -> str:
    """The text of ``content`` with one of its objects changed as ``what`` says."""
    objects = [obj for obj in _records_of(content) if obj]
    if not objects:
        return json.dumps(content)
    index = argument[0] if isinstance(argument, tuple) else argument
    target = objects[index % len(objects)]
    key = sorted(target)[index % len(target)]
    if what == "drop_key":
        del target[key]
    elif what == "rename_key":
        target[key + "_renamed"] = target.pop(key)
    elif what == "set_value":
        target[key] = argument[1]
    else:  # duplicate_key, bad_number: text JSON cannot hold as a value
        marker = "\x00MARK\x00"
        original = target[key]
        target[key] = marker
        written = json.dumps(content, ensure_ascii=False)
        if what == "duplicate_key":
            value = f"{json.dumps(original)}, {json.dumps(key)}: {json.dumps(original)}"
        else:
            value = argument[1]
        return written.replace(json.dumps(marker), value, 1)
    return json.dumps(content, ensure_ascii=False)


def _zip(folder: Path) -> Path:
    target = folder / "backup.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted((folder / "backup").iterdir()):
            archive.write(path, path.name)
    return target


def _attempt(call: Callable[[], object]) -> tuple[bool, str]:
    """Whether ``call`` succeeded (a report that is ok), and what a refusal said; anything
    but SourceError or UsageError propagates and fails the test."""
    try:
        result = call()
    except (SourceError, UsageError) as exc:
        return False, str(exc)
    return not isinstance(result, bakery_io.ValidationReport) or result.ok, "ok"


@pytest.fixture(scope="module")
def robust_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database for every example: the loads are dry runs."""
    engine = bakery_io.engine_from_url(f"sqlite:///{tmp_path_factory.mktemp('robust') / 'r.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


@settings(
    max_examples=int(os.environ.get("BAKERY_IO_BT_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=mutations(), repairs=st.sampled_from([[], ALL, [FIRST], [ROUND, LOT]]))
def test_mutated_files_raise_only_source_or_usage_errors(
    mutation: tuple[str, str, Any],
    repairs: list[str],
    robust_db: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file, what, (argument, combination) = mutation
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shutil.copytree(ROBUST / "backup", folder / "backup")
        for name in HISTORIES:
            shutil.copyfile(ROBUST / name, folder / name)
        mutate(folder, file, what, argument)
        note(f"{what} {file} {argument!r} as {combination}")
        if combination in (PRODUCTION, ASSEMBLY):
            files = [folder / combination]
        else:
            backup = _zip(folder) if combination.startswith("zip") else folder / "backup"
            files = (
                [backup, *(folder / n for n in HISTORIES)]
                if combination.endswith("+")
                else [backup]
            )
        if not all(path.exists() for path in files):
            files = [path for path in files if path.exists()] or [folder / "backup"]

        outcome: dict[str, bool] = {}
        for name, call in (
            ("validate", lambda: validate(files, repairs=repairs)),
            ("load_all", lambda: load_all(robust_db, files, repairs=repairs, dry_run=True)),
            (
                "upgrade",
                lambda: upgrade(files, folder / "out.json", repairs=repairs, overwrite=True),
            ),
        ):
            outcome[name], said = _attempt(call)
            assert said, f"{name} raised without a message"
        # validate and upgrade check the same; a load checks more.
        assert outcome["validate"] == outcome["upgrade"], outcome
        assert outcome["validate"] or not outcome["load_all"], outcome

        args = ["validate", *map(str, files)]
        for repair in repairs:
            args += ["--repair", repair]
        code, out, err = run(capsys, *args)
        assert code in (0, 1, 2), (code, err)
        assert "Traceback" not in out + err
        assert (code == 0) == outcome["validate"], (code, err)


# ---------------------------------------------------------------------------
# The command line.


def _shared_args() -> list[str]:
    return [str(path) for path in sources("shared", "backup+", DATA)]


def test_cli_validate_several_files_with_every_repair(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", *_shared_args(), "--repair", "all")
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "bake-tracker full backup" in out
    assert "left behind" in out

    code, out, err = run(capsys, "validate", *_shared_args())
    assert code == 1
    assert "--repair" in out + err
    assert "vanilla_extract:Heilala:50.0:ml" in out + err


def test_cli_validate_json_says_what_was_read_repaired_and_left_behind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "validate", *_shared_args(), "--repair", "all", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["source_format"].startswith("bake-tracker full backup")
    assert {item["repair"] for item in report["repairs"]} == {SUFFIX, LOT, REPARENT, ROUND}
    assert {"file": "recipe_snapshots.json", "entity_type": "recipe_snapshots"}.items() <= (
        next(i for i in report["left_behind"] if i["entity_type"] == "recipe_snapshots").items()
    )


def test_cli_import_several_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    code, out, err = run(
        capsys, "import", "--db", url, *_shared_args(), "--repair", "all", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    for key in ("source_format", "repairs", "left_behind"):
        assert report[key], key
    engine = bakery_io.engine_from_url(url)
    with engine.connect() as connection:
        rows = count_rows(connection)
    engine.dispose()
    assert rows["products"] == 156
    assert rows["production_consumptions"] == 10
    assert rows["assembly_runs"] == 1


def test_cli_import_without_repairs_fails_and_names_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    code, out, err = run(capsys, "import", "--db", url, *_shared_args())
    assert code == 1
    assert "Traceback" not in out + err
    assert "ingredients.json /records/409/parent_slug" in err
    assert "--repair" in err


def test_cli_upgrade_several_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "upgraded"
    code, out, err = run(
        capsys, "upgrade", *_shared_args(), str(target), "--repair", "all", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    for key in ("source_format", "repairs", "left_behind"):
        assert report[key], key
    assert validate(target).ok


@pytest.mark.parametrize("command", ["validate", "import", "upgrade"])
def test_cli_refuses_an_unknown_repair_in_one_line(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [command, *_shared_args(), "--repair", "bogus"]
    if command == "import":
        args[1:1] = ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    if command == "upgrade":
        args.insert(-2, str(tmp_path / "out"))
    assert main(args) == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "bogus" in line]
    assert "invalid choice: 'bogus'" in line
    assert all(name in line for name in REPAIRS)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "damage",
    [
        ("backup/manifest.json", "{"),
        ("backup/manifest.json", '{"source": "Seasonal Baking Tracker", "files": 3}'),
        ("backup/products.json", '{"version": "1.0", "entity_type": "products", "records": [1]}'),
        (PRODUCTION, '{"version": "1.1", "production_runs": [{"recipe_name": null}]}'),
    ],
)
def test_cli_damaged_files_exit_1_without_a_traceback(
    damage: tuple[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copytree(ROBUST / "backup", tmp_path / "backup")
    for name in HISTORIES:
        shutil.copyfile(ROBUST / name, tmp_path / name)
    (tmp_path / damage[0]).write_text(damage[1])
    files = [str(tmp_path / name) for name in ("backup", *HISTORIES)]
    for command in (
        ["validate"],
        ["import", "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        ["upgrade"],
    ):
        args = [*command, *files, "--repair", "all"]
        if command == ["upgrade"]:
            args.insert(-2, str(tmp_path / "out"))
        code, out, err = run(capsys, *args)
        assert code == 1, (command, out, err)
        assert "Traceback" not in out + err
