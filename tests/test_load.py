"""Import: load_all, checked from what it writes and what it refuses, as a user would use it.

The sample is dumped once per backend and loaded into an empty database (round
trip, then the same backup again). Everything else uses a tiny bakery written
by hand (:func:`tiny_sections`): as single documents, or as a backup that
``dump_all`` wrote from it once per module. Most failure tests run on SQLite
only; those that exercise SQL a server may treat differently (conflicts,
savepoints in a caller's transaction, dry runs, missing tables, references
resolved against the database) run on every backend.

Every refused load is checked to leave the database exactly as it was: a
snapshot of every bakery_io table, row by row, before and after.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.orm import Session

from bakery_io import (
    REGISTRY,
    DatabaseStateError,
    EntityCounts,
    LoadReport,
    Manifest,
    Problem,
    Progress,
    SourceError,
    UsageError,
    create_schema,
    drop_schema,
    dump_all,
    engine_from_url,
    load_all,
)
from bakery_io.binding.models import Supplier, metadata
from bakery_io.format.enums import SupplierType
from tests.conftest import database_url, sqlite_copy

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
ENTITY_TYPES = [entity.name for entity in REGISTRY]
FILENAMES = {entity.name: entity.filename for entity in REGISTRY}

Record = dict[str, Any]
Sections = dict[str, list[Record]]
Snapshot = dict[str, list[tuple[Any, ...]]]


# ---------------------------------------------------------------------------
# Helpers: files.


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, content: Any) -> Path:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_document(path: Path, sections: Sections) -> Path:
    """A single document holding ``sections``."""
    return write_json(path, {"version": "1.1", "exported_at": "2026-11-22T09:30:00Z", **sections})


def write_entity_file(path: Path, entity_type: str, records: list[Record]) -> Path:
    """A single entity file."""
    return write_json(path, {"version": "1.1", "entity_type": entity_type, "records": records})


def manifest_position(directory: Path, filename: str) -> int:
    files = read_json(directory / "manifest.json")["files"]
    return next(i for i, entry in enumerate(files) if entry["filename"] == filename)


def edit_records(directory: Path, entity_type: str, records: list[Record]) -> None:
    """Rewrite one entity file of a backup directory, and its manifest entry to match."""
    filename = FILENAMES[entity_type]
    path = directory / filename
    content = read_json(path)
    content["records"] = records
    write_json(path, content)
    reseal(directory, filename)


def reseal(directory: Path, filename: str) -> None:
    """Make the manifest's sha256 and record count of ``filename`` those of its bytes."""
    path = directory / filename
    manifest = read_json(directory / "manifest.json")
    entry = manifest["files"][manifest_position(directory, filename)]
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["record_count"] = len(read_json(path)["records"])
    write_json(directory / "manifest.json", manifest)


def rewrite(path: Path, records: list[Record]) -> None:
    """Replace the records of an entity file, leaving the manifest as it is."""
    write_json(path, {**read_json(path), "records": records})


def records_of(directory: Path, entity_type: str) -> list[Record]:
    found: list[Record] = read_json(directory / FILENAMES[entity_type])["records"]
    return found


def directory_files(path: Path) -> dict[str, bytes]:
    return {entry.name: entry.read_bytes() for entry in sorted(path.iterdir())}


# ---------------------------------------------------------------------------
# Helpers: the database.


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every bakery_io table, in id order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(select(table).order_by(table.c.id))
            ]
            for table in metadata.sorted_tables
        }


def refused(engine: Engine, source: Path, **options: Any) -> list[Problem]:
    """Load ``source``, expecting a SourceError; check nothing changed; return the problems."""
    before = snapshot(engine)
    with pytest.raises(SourceError) as caught:
        load_all(engine, source, **options)
    assert snapshot(engine) == before, "a refused load changed the database"
    assert caught.value.source == str(source)
    assert caught.value.problems, "a SourceError without problems"
    return list(caught.value.problems)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(str(problem) for problem in problems)
    return problems[0]


def at(problems: list[Problem], file: str, pointer: str) -> Problem:
    """The one problem at ``pointer`` of ``file``."""
    found = [p for p in problems if p.file == file and p.pointer == pointer]
    assert len(found) == 1, "\n".join(str(problem) for problem in problems)
    return found[0]


def rotations(*keys: str) -> list[str]:
    """A cycle of ``keys`` as a message may show it, starting at any of them: "a → b → a"."""
    turns = [[*keys[i:], *keys[:i]] for i in range(len(keys))]
    return [" → ".join([*turn, turn[0]]) for turn in turns]


def where(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(problem.file, problem.pointer) for problem in problems]


def scalar_rows(engine: Engine, sql_table: str, column: str) -> dict[str, Any]:
    """slug -> ``column`` of every row of ``sql_table``."""
    table = metadata.tables[sql_table]
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(select(table.c.slug, table.c[column]))}


def counts(**created: int) -> dict[str, EntityCounts]:
    return {name: EntityCounts(created=number) for name, number in created.items()}


# ---------------------------------------------------------------------------
# A tiny bakery, written by hand: records state only what they must.


def supplier(slug: str, name: str, **fields: Any) -> Record:
    return {"slug": slug, "name": name, "supplier_type": "online", **fields}


def ingredient(slug: str, name: str, level: int, parent: str | None = None) -> Record:
    return {"slug": slug, "display_name": name, "hierarchy_level": level, "parent_slug": parent}


def product(slug: str, ingredient_slug: str, quantity: str, supplier_slug: str | None) -> Record:
    return {
        "slug": slug,
        "ingredient_slug": ingredient_slug,
        "package_unit": "lb",
        "package_unit_quantity": quantity,
        "preferred_supplier_slug": supplier_slug,
    }


def uses(*items: tuple[str, str, str]) -> list[Record]:
    """Recipe ingredients in the canonical wire form: every field, sort_order by position."""
    return [
        {
            "ingredient_slug": slug,
            "quantity": quantity,
            "unit": unit,
            "notes": None,
            "sort_order": i,
        }
        for i, (slug, quantity, unit) in enumerate(items)
    ]


def recipe(
    slug: str, *, ingredients: Sequence[Record] = (), components: Sequence[str] = (), **fields: Any
) -> Record:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "category": "Cakes",
        "ingredients": list(ingredients),
        "components": [
            {"component_recipe_slug": name, "quantity": "1.0000", "notes": None, "sort_order": i}
            for i, name in enumerate(components)
        ],
        **fields,
    }


def finished_unit(slug: str, recipe_slug: str) -> Record:
    return {
        "slug": slug,
        "recipe_slug": recipe_slug,
        "display_name": slug.replace("-", " ").title(),
        "items_per_batch": 8,
        "item_unit": "slice",
    }


def production_run(uuid: str, recipe_slug: str, finished_unit_slug: str) -> Record:
    return {
        "uuid": uuid,
        "recipe_slug": recipe_slug,
        "finished_unit_slug": finished_unit_slug,
        "num_batches": 1,
        "expected_yield": 8,
        "actual_yield": 8,
        "produced_at": "2026-11-20T08:00:00Z",
        "total_ingredient_cost": "0.0000",
        "per_unit_cost": "0.0000",
    }


RUN_UUID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def tiny_sections() -> Sections:
    """Suppliers, an ingredient tree, products, a chain of three recipes, finished units."""
    return {
        "suppliers": [
            supplier("flour-co", "Flour Co"),
            supplier("mill-street", "Mill Street", supplier_type="physical", city="Albany"),
        ],
        "ingredients": [
            ingredient("flours", "Flours", 0),
            ingredient("wheat-flours", "Wheat Flours", 1, "flours"),
            ingredient("all-purpose-flour", "All-Purpose Flour", 2, "wheat-flours"),
            ingredient("bread-flour", "Bread Flour", 2, "wheat-flours"),
            ingredient("sweeteners", "Sweeteners", 0),
            ingredient("sugars", "Sugars", 1, "sweeteners"),
            ingredient("granulated-sugar", "Granulated Sugar", 2, "sugars"),
        ],
        "products": [
            product("ap-flour-5-lb", "all-purpose-flour", "5.0000", "flour-co"),
            product("sugar-4-lb", "granulated-sugar", "4.0000", "mill-street"),
        ],
        "recipes": [
            # party-cake -> layer-cake -> sponge: three levels, the most allowed.
            recipe("party-cake", components=("layer-cake",)),
            recipe(
                "layer-cake",
                ingredients=uses(("bread-flour", "1.5000", "cup")),
                components=("sponge",),
            ),
            recipe(
                "sponge",
                ingredients=uses(
                    ("all-purpose-flour", "2.0000", "cup"), ("granulated-sugar", "1.0000", "cup")
                ),
            ),
        ],
        "finished_units": [
            finished_unit("sponge-slice", "sponge"),
            finished_unit("party-slice", "party-cake"),
        ],
    }


TINY_COUNTS = {name: len(records) for name, records in tiny_sections().items()}


# ---------------------------------------------------------------------------
# Fixtures.


@pytest.fixture
def db(schema_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database with empty bakery_io tables."""
    engine = sqlite_copy(schema_template, tmp_path / "bakery.db")
    yield engine
    engine.dispose()


@pytest.fixture
def target(
    backend: str, schema_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """Empty bakery_io tables on the current backend (SQLite, or each server)."""
    if backend == "sqlite":
        engine = sqlite_copy(schema_template, tmp_path / "target.db")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("empty_engine")
    create_schema(engine)
    yield engine


@dataclass(frozen=True)
class Tiny:
    """The tiny bakery as dump_all writes it: a directory, a ZIP archive, a single document."""

    directory: Path
    archive: Path
    document: Path


@pytest.fixture(scope="module")
def tiny(schema_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    root = tmp_path_factory.mktemp("tiny")
    engine = sqlite_copy(schema_template, root / "tiny.db")
    load_all(engine, write_document(root / "source.json", tiny_sections()))
    found = Tiny(root / "backup", root / "backup.zip", root / "backup.json")
    for path in (found.directory, found.archive, found.document):
        dump_all(engine, path, exported_at=EXPORTED_AT)
    engine.dispose()
    return found


@pytest.fixture
def backup(tiny: Tiny, tmp_path: Path) -> Path:
    """A copy of the tiny backup directory to tamper with."""
    return Path(shutil.copytree(tiny.directory, tmp_path / "backup"))


@pytest.fixture
def loaded(db: Engine, tmp_path: Path) -> Engine:
    """The SQLite database holding the tiny bakery."""
    load_all(db, write_document(tmp_path / "tiny.json", tiny_sections()))
    return db


# ---------------------------------------------------------------------------
# The sample: dump, load into an empty database, dump again; then load it once more.


@dataclass(frozen=True)
class Restored:
    backup: Path
    manifest: Manifest
    first: LoadReport
    again: Path
    second: LoadReport
    before_second: Snapshot
    after_second: Snapshot


@pytest.fixture(scope="module")
def restored(
    backend: str, sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Restored:
    folder = tmp_path_factory.mktemp("restored")
    manifest = dump_all(sample_engine, folder / "backup", exported_at=EXPORTED_AT)
    with database_url(backend, folder, "restored") as url:
        engine = engine_from_url(url)
        try:
            create_schema(engine)
            first = load_all(engine, folder / "backup")
            dump_all(engine, folder / "again", exported_at=EXPORTED_AT)
            before = snapshot(engine)
            second = load_all(engine, folder / "backup")
            after = snapshot(engine)
        finally:
            engine.dispose()
    return Restored(folder / "backup", manifest, first, folder / "again", second, before, after)


def test_the_sample_round_trips_to_identical_entity_files(restored: Restored) -> None:
    original = directory_files(restored.backup)
    again = directory_files(restored.again)
    assert sorted(again) == sorted(original)
    for name in sorted(original):
        if name != "manifest.json":
            assert again[name] == original[name], name
    # Same bytes, same checksums: the manifests differ in nothing either.
    assert again["manifest.json"] == original["manifest.json"]


def test_the_first_load_creates_every_record_of_the_manifest(restored: Restored) -> None:
    report = restored.first
    assert report.kind == "directory"
    assert report.version == "1.1"
    assert report.on_conflict == "skip"
    assert not report.dry_run
    assert report.committed
    assert report.source == str(restored.backup)
    assert list(report.counts) == ENTITY_TYPES
    expected = {entry.entity_type: entry.record_count for entry in restored.manifest.files}
    assert report.counts == counts(**expected)
    assert report.total == EntityCounts(created=restored.manifest.record_count)
    assert report.conflicts == ()
    json.dumps(report.to_dict())  # plain data


def test_loading_the_same_backup_again_changes_nothing(restored: Restored) -> None:
    report = restored.second
    expected = {entry.entity_type: entry.record_count for entry in restored.manifest.files}
    assert report.counts == {
        name: EntityCounts(unchanged=number) for name, number in expected.items()
    }
    assert report.conflicts == ()
    assert restored.after_second == restored.before_second


# ---------------------------------------------------------------------------
# Containers.


@pytest.mark.parametrize(
    ("form", "kind"),
    [("directory", "directory"), ("archive", "zip"), ("document", "document")],
)
def test_every_container_loads(tiny: Tiny, db: Engine, form: str, kind: str) -> None:
    source: Path = getattr(tiny, form)
    report = load_all(db, source)
    assert report.kind == kind
    assert report.version == "1.1"
    assert report.source == str(source)
    # A full backup lists every entity type, the empty ones too.
    assert report.counts == counts(**{name: TINY_COUNTS.get(name, 0) for name in ENTITY_TYPES})
    assert scalar_rows(db, "suppliers", "name") == {
        "flour-co": "Flour Co",
        "mill-street": "Mill Street",
    }


@pytest.mark.parametrize("form", ["directory", "archive"])
def test_entity_files_laid_out_otherwise_load_the_same(
    tiny: Tiny, db: Engine, tmp_path: Path, form: str
) -> None:
    # Files bakery_io did not write (minified, keys in another order) are read whole.
    backup = Path(shutil.copytree(tiny.directory, tmp_path / "backup"))
    for path in backup.glob("[0-9]*.json"):
        content = read_json(path)
        path.write_text(json.dumps({"records": content.pop("records"), **content}))
        reseal(backup, path.name)
    source = backup
    if form == "archive":
        source = tmp_path / "backup.zip"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(backup.iterdir()):
                archive.write(path, path.name)
    report = load_all(db, source)
    assert report.counts == counts(**{name: TINY_COUNTS.get(name, 0) for name in ENTITY_TYPES})
    dump_all(db, tmp_path / "again", exported_at=EXPORTED_AT)
    assert directory_files(tmp_path / "again") == directory_files(tiny.directory)


def test_a_file_changed_between_check_and_write_is_refused(
    tiny: Tiny, db: Engine, backup: Path
) -> None:
    """A file that is not read in one streamed pass (here: laid out by another tool) is read
    again to be written; should its bytes differ from those checked, nothing is kept."""
    path = backup / FILENAMES["suppliers"]
    path.write_text(json.dumps(read_json(path)), encoding="utf-8")
    reseal(backup, FILENAMES["suppliers"])

    def change_once_checked(event: Progress) -> None:
        if (event.step, event.entity_type) == ("checking", "recipes"):
            path.write_bytes(path.read_bytes().replace(b"Flour Co", b"Flour Co."))

    before = snapshot(db)
    with pytest.raises(SourceError) as caught:
        load_all(db, backup, progress=change_once_checked)
    assert snapshot(db) == before
    problem = only(list(caught.value.problems))
    assert (problem.file, problem.pointer) == (FILENAMES["suppliers"], "")
    assert problem.message == "changed while it was being loaded"


def test_a_streamed_file_is_read_once(tiny: Tiny, db: Engine, backup: Path) -> None:
    """A backup as bakery_io writes it is checked and written in one read of each file: a
    file changed once it has been read changes nothing of what is loaded."""
    path = backup / FILENAMES["suppliers"]

    seen: list[str | None] = []

    def change_once_read(event: Progress) -> None:
        # Once the type after suppliers is begun, their file has been read to its end.
        if seen[-1:] == ["suppliers"] and event.entity_type != "suppliers":
            path.write_bytes(path.read_bytes().replace(b"Flour Co", b"Flour Co."))
        seen.append(event.entity_type)

    report = load_all(db, backup, progress=change_once_read)
    assert report.counts == counts(**{name: TINY_COUNTS.get(name, 0) for name in ENTITY_TYPES})
    assert b"Flour Co." in path.read_bytes()
    assert "Flour Co" in scalar_rows(db, "suppliers", "name").values()
    assert "Flour Co." not in scalar_rows(db, "suppliers", "name").values()


def test_a_single_entity_file_loads(db: Engine, tmp_path: Path) -> None:
    source = write_entity_file(
        tmp_path / "suppliers.json", "suppliers", tiny_sections()["suppliers"]
    )
    report = load_all(db, source)
    assert report.kind == "entity file"
    assert report.counts == counts(suppliers=2)
    assert scalar_rows(db, "suppliers", "supplier_type") == {
        "flour-co": SupplierType.ONLINE,
        "mill-street": SupplierType.PHYSICAL,
    }


def test_a_document_of_minimal_records_loads_twice_unchanged(db: Engine, tmp_path: Path) -> None:
    """Records that leave uuid and timestamps to be generated compare equal the second time."""
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    assert load_all(db, source).counts == counts(**TINY_COUNTS)
    before = snapshot(db)
    report = load_all(db, source)
    assert report.counts == {
        name: EntityCounts(unchanged=number) for name, number in TINY_COUNTS.items()
    }
    assert snapshot(db) == before


def test_records_may_come_in_any_order(db: Engine, tmp_path: Path) -> None:
    """Sections load in import order, and parents before children, however the file lists them."""
    backwards = {name: records[::-1] for name, records in reversed(tiny_sections().items())}
    assert next(iter(backwards)) == "finished_units"
    assert backwards["ingredients"][0]["slug"] == "granulated-sugar"  # before its parent
    report = load_all(db, write_document(tmp_path / "backwards.json", backwards))
    assert list(report.counts) == list(TINY_COUNTS)  # import order
    assert report.counts == counts(**TINY_COUNTS)
    ingredients = metadata.tables["ingredients"]
    parents = ingredients.alias()
    with db.connect() as connection:
        tree = dict(
            connection.execute(
                select(ingredients.c.slug, parents.c.slug).join(
                    parents, ingredients.c.parent_id == parents.c.id
                )
            ).all()
        )
    assert tree == {
        record["slug"]: record["parent_slug"]
        for record in tiny_sections()["ingredients"]
        if record["parent_slug"] is not None
    }


def test_a_source_that_does_not_exist_is_a_usage_error(db: Engine, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_all(db, tmp_path / "no-such-backup")


# ---------------------------------------------------------------------------
# Partial backups: references outside the files must be in the database.


def test_a_partial_backup_resolves_references_against_the_database(
    sample_engine: Engine, target: Engine, tmp_path: Path
) -> None:
    products = tmp_path / "products"
    basics = tmp_path / "basics"
    manifest = dump_all(sample_engine, products, entities=["products"])
    dump_all(sample_engine, basics, entities=["suppliers", "ingredients"])

    problems = refused(target, products)
    assert {problem.file for problem in problems} == {"03_products.json"}
    first = problems[0]
    record = records_of(products, "products")[0]
    assert first.pointer == "/records/0/ingredient_slug"
    assert first.record == 0
    assert first.key == record["slug"]
    assert repr(record["ingredient_slug"]) in first.message
    assert "neither in the files being loaded nor in the database" in first.message
    assert all(
        "neither in the files being loaded nor in the database" in p.message for p in problems
    )
    positions = [-1 if problem.record is None else problem.record for problem in problems]
    assert positions == sorted(positions)
    assert positions[0] == 0

    load_all(target, basics)
    report = load_all(target, products)
    entry = manifest.entry("products")
    assert entry is not None
    assert report.counts == counts(products=entry.record_count)


# ---------------------------------------------------------------------------
# Bad values, each refused at its JSON pointer.


def test_an_unknown_reference_is_named_at_its_pointer(loaded: Engine, tmp_path: Path) -> None:
    records = [
        product("rye-5-lb", "bread-flour", "5.0000", None),
        product("spelt-5-lb", "spelt-flour", "5.0000", "flour-co"),
    ]
    source = write_entity_file(tmp_path / "products.json", "products", records)
    problem = only(refused(loaded, source))
    assert (problem.file, problem.pointer) == ("products.json", "/records/1/ingredient_slug")
    assert (problem.record, problem.key) == (1, "spelt-5-lb")
    assert "ingredients" in problem.message
    assert "'spelt-flour'" in problem.message


def test_a_decimal_written_as_a_json_number_is_refused(db: Engine, backup: Path) -> None:
    records = records_of(backup, "products")
    records[1]["package_unit_quantity"] = 2.5
    edit_records(backup, "products", records)
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer) == (
        "03_products.json",
        "/records/1/package_unit_quantity",
    )
    assert (problem.record, problem.key) == (1, "sugar-4-lb")
    assert "expected a string" in problem.message
    assert "2.5" in problem.message


def test_a_decimal_with_too_many_places_is_refused(db: Engine, tmp_path: Path) -> None:
    sections = tiny_sections()
    sections["products"][0]["package_unit_quantity"] = "2.12345"
    problem = only(refused(db, write_document(tmp_path / "tiny.json", sections)))
    assert (problem.file, problem.pointer) == ("tiny.json", "/products/0/package_unit_quantity")
    assert (problem.record, problem.key) == (0, "ap-flour-5-lb")
    assert "more than 4 decimal places" in problem.message
    assert "2.12345" in problem.message


# ---------------------------------------------------------------------------
# The manifest and the container.


def test_a_tampered_file_is_refused_at_its_manifest_entry(db: Engine, backup: Path) -> None:
    records = records_of(backup, "suppliers")
    records[0]["name"] = "Flour Company"  # a valid change: only the checksum tells
    rewrite(backup / "01_suppliers.json", records)
    problem = only(refused(db, backup))
    position = manifest_position(backup, "01_suppliers.json")
    assert (problem.file, problem.pointer) == ("manifest.json", f"/files/{position}/sha256")
    assert "01_suppliers.json" in problem.message
    assert "checksum" in problem.message


def test_a_wrong_record_count_is_refused(db: Engine, backup: Path) -> None:
    manifest = read_json(backup / "manifest.json")
    position = manifest_position(backup, "02_ingredients.json")
    manifest["files"][position]["record_count"] = 8
    write_json(backup / "manifest.json", manifest)
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer) == ("manifest.json", f"/files/{position}/record_count")
    assert "02_ingredients.json" in problem.message
    assert "says 8 records" in problem.message
    assert "holds 7" in problem.message


def test_a_directory_without_manifest_is_refused(db: Engine, backup: Path) -> None:
    (backup / "manifest.json").unlink()
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer) == ("manifest.json", "")
    assert "missing" in problem.message


def test_malformed_json_is_refused_with_line_and_column(db: Engine, backup: Path) -> None:
    path = backup / "05_finished_units.json"
    path.write_text('{"version": "1.1",\n "entity_type": "finished_units", "records": [}\n')
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer, problem.record) == ("05_finished_units.json", "", None)
    assert "not valid JSON" in problem.message
    assert "line 2" in problem.message


def test_a_file_that_is_not_utf8_is_refused(db: Engine, backup: Path) -> None:
    path = backup / "05_finished_units.json"
    path.write_bytes(path.read_bytes().replace(b"Sponge Slice", b"Sponge Slic\xe9", 1))
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer) == ("05_finished_units.json", "")
    assert "not UTF-8" in problem.message
    assert "0xe9" in problem.message


def test_a_file_with_the_wrong_entity_type_is_refused(db: Engine, backup: Path) -> None:
    path = backup / "05_finished_units.json"
    write_json(path, {**read_json(path), "entity_type": "recipes"})
    reseal(backup, "05_finished_units.json")
    problems = refused(db, backup)
    problem = at(problems, "05_finished_units.json", "/entity_type")
    assert "finished_units" in problem.message
    assert problems[0] == problem  # the file's own problem comes before its records'


def rezip(source: Path, target: Path, extra: tuple[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as archive:
        for name in original.namelist():
            archive.writestr(name, original.read(name))
        archive.writestr(*extra)
    return target


def test_a_zip_member_outside_the_root_is_refused(tiny: Tiny, db: Engine, tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    source = rezip(tiny.archive, tmp_path / "archive" / "evil.zip", ("../evil.json", b"{}"))
    problem = only(refused(db, source))
    assert (problem.file, problem.pointer) == ("evil.zip", "")
    assert "'../evil.json'" in problem.message
    assert "not a plain file" in problem.message
    assert not (tmp_path / "evil.json").exists()


def test_a_duplicate_zip_member_is_refused(tiny: Tiny, db: Engine, tmp_path: Path) -> None:
    member = (tiny.directory / "01_suppliers.json").read_bytes()
    with pytest.warns(UserWarning, match="Duplicate name"):
        source = rezip(tiny.archive, tmp_path / "twice.zip", ("01_suppliers.json", member))
    problem = only(refused(db, source))
    assert (problem.file, problem.pointer) == ("twice.zip", "")
    assert "'01_suppliers.json' appears more than once" in problem.message


def test_a_file_that_is_not_a_zip_archive_is_refused(db: Engine, tmp_path: Path) -> None:
    source = tmp_path / "backup.zip"
    source.write_bytes(b"PK\x03\x04 but not really a zip archive")
    problem = only(refused(db, source))
    assert problem.file == "backup.zip"
    assert "not a ZIP archive" in problem.message


# ---------------------------------------------------------------------------
# Rules across records.


@pytest.mark.parametrize(
    ("section", "record", "pointer"),
    [
        (
            "products",
            product("wheat-5-lb", "wheat-flours", "5.0000", None),
            "/products/0/ingredient_slug",
        ),
        (
            "recipes",
            recipe("bread", ingredients=uses(("wheat-flours", "3.0000", "cup"))),
            "/recipes/0/ingredients/0/ingredient_slug",
        ),
    ],
    ids=["product", "recipe-ingredient"],
)
def test_only_leaf_ingredients_are_used(
    loaded: Engine, tmp_path: Path, section: str, record: Record, pointer: str
) -> None:
    source = write_document(tmp_path / "new.json", {section: [record]})
    problem = only(refused(loaded, source))
    assert (problem.file, problem.pointer, problem.record) == ("new.json", pointer, 0)
    assert problem.key == record["slug"]
    assert "only leaf ingredients" in problem.message
    assert "'wheat-flours'" in problem.message


def test_a_runs_finished_unit_must_be_a_yield_of_its_recipe(loaded: Engine, tmp_path: Path) -> None:
    runs = [production_run(RUN_UUID, "sponge", "party-slice")]  # party-slice is party-cake's
    source = write_document(tmp_path / "runs.json", {"production_runs": runs})
    problem = only(refused(loaded, source))
    assert (problem.file, problem.pointer) == ("runs.json", "/production_runs/0/finished_unit_slug")
    assert (problem.record, problem.key) == (0, RUN_UUID)
    assert "'party-slice'" in problem.message
    assert "'party-cake'" in problem.message
    assert "'sponge'" in problem.message


def test_a_cycle_of_ingredient_parents_is_refused(db: Engine, tmp_path: Path) -> None:
    sections: Sections = {
        "ingredients": [
            ingredient("nuts", "Nuts", 1, "seeds"),
            ingredient("seeds", "Seeds", 1, "nuts"),
        ]
    }
    problems = refused(db, write_document(tmp_path / "cycle.json", sections))
    cycles = [problem for problem in problems if "cycle" in problem.message]
    assert len(cycles) == 1, problems
    (cycle,) = cycles
    assert (cycle.file, cycle.pointer, cycle.record, cycle.key) == (
        "cycle.json",
        "/ingredients/0/parent_slug",
        0,
        "nuts",
    )
    assert "nuts → seeds → nuts" in cycle.message


def test_a_cycle_of_recipe_components_is_refused(db: Engine, tmp_path: Path) -> None:
    sections = {
        "recipes": [
            recipe("dough", components=("filling",)),
            recipe("filling", components=("glaze",)),
            recipe("glaze", components=("dough",)),
        ]
    }
    problem = only(refused(db, write_document(tmp_path / "cycle.json", sections)))
    assert (problem.file, problem.pointer, problem.record, problem.key) == (
        "cycle.json",
        "/recipes/0/components/0/component_recipe_slug",
        0,
        "dough",
    )
    assert "dough → filling → glaze → dough" in problem.message


def test_a_cycle_of_base_recipes_is_refused(db: Engine, tmp_path: Path) -> None:
    sections = {
        "recipes": [
            recipe("vanilla-cake", base_recipe_slug="lemon-cake"),
            recipe("lemon-cake", base_recipe_slug="vanilla-cake"),
        ]
    }
    problem = only(refused(db, write_document(tmp_path / "cycle.json", sections)))
    assert (problem.pointer, problem.key) == ("/recipes/0/base_recipe_slug", "vanilla-cake")
    assert "vanilla-cake → lemon-cake → vanilla-cake" in problem.message


def test_a_cycle_through_the_database_is_refused(loaded: Engine, tmp_path: Path) -> None:
    """party-cake -> layer-cake -> sponge are in the database; sponge now lists party-cake."""
    sponge = next(r for r in tiny_sections()["recipes"] if r["slug"] == "sponge")
    sponge = recipe("sponge", ingredients=sponge["ingredients"], components=("party-cake",))
    source = write_document(tmp_path / "sponge.json", {"recipes": [sponge]})
    problem = only(refused(loaded, source, on_conflict="update"))
    assert (problem.pointer, problem.key) == (
        "/recipes/0/components/0/component_recipe_slug",
        "sponge",
    )
    assert "cycle" in problem.message
    assert any(
        cycle in problem.message for cycle in rotations("sponge", "party-cake", "layer-cake")
    )


def test_sub_recipes_three_deep_are_fine(db: Engine, tmp_path: Path) -> None:
    sections = {
        "recipes": [
            recipe("a", components=("b",)),
            recipe("b", components=("c",)),
            recipe("c"),
        ]
    }
    report = load_all(db, write_document(tmp_path / "three.json", sections))
    assert report.counts == counts(recipes=3)


def test_sub_recipes_four_deep_are_refused(db: Engine, tmp_path: Path) -> None:
    sections = {
        "recipes": [
            recipe("a", components=("b",)),
            recipe("b", components=("c",)),
            recipe("c", components=("d",)),
            recipe("d"),
        ]
    }
    problem = only(refused(db, write_document(tmp_path / "four.json", sections)))
    assert (problem.pointer, problem.record, problem.key) == (
        "/recipes/0/components/0/component_recipe_slug",
        0,
        "a",
    )
    assert "4 levels" in problem.message
    assert "a → b → c → d" in problem.message
    assert "at most 3" in problem.message


def test_sub_recipes_four_deep_through_the_database_are_refused(
    loaded: Engine, tmp_path: Path
) -> None:
    """The database holds party-cake -> layer-cake -> sponge; one more on top is too many."""
    source = write_document(
        tmp_path / "banquet.json", {"recipes": [recipe("banquet", components=("party-cake",))]}
    )
    problem = only(refused(loaded, source))
    assert (problem.pointer, problem.key) == (
        "/recipes/0/components/0/component_recipe_slug",
        "banquet",
    )
    assert "banquet → party-cake → layer-cake → sponge" in problem.message


@pytest.mark.parametrize(
    "second",
    [1, 1000],
    ids=["same-chunk", "next-chunk"],
)
def test_a_duplicate_key_within_a_file_is_refused(db: Engine, tmp_path: Path, second: int) -> None:
    records = [supplier(f"supplier-{i:04}", f"Supplier {i}") for i in range(second + 1)]
    records[second] = supplier("supplier-0000", "Another name")
    source = write_entity_file(tmp_path / "suppliers.json", "suppliers", records)
    problems = refused(db, source)
    problem = at(problems, "suppliers.json", f"/records/{second}")
    assert (problem.record, problem.key) == (second, "supplier-0000")
    assert "a second record with the key 'supplier-0000'" in problem.message
    assert "record 0" in problem.message


@pytest.mark.parametrize("filled", [False, True], ids=["empty-table", "key-in-database"])
@pytest.mark.parametrize(
    "second", [1, 1000, 3000], ids=["same-chunk", "next-chunk", "beyond-what-is-remembered"]
)
def test_a_key_repeated_in_a_streamed_file_is_refused(
    db: Engine, backup: Path, tmp_path: Path, second: int, *, filled: bool
) -> None:
    """A backup read in one pass forgets what it has written; a key repeated with the same
    values, far apart, is still refused with the message of the two-pass check."""
    records = [supplier(f"supplier-{i:04}", f"Supplier {i}") for i in range(second + 1)]
    records[second] = supplier("supplier-0000", "Supplier 0")
    path = backup / FILENAMES["suppliers"]
    edit_records(backup, "suppliers", [*read_json(path)["records"], *records])
    if filled:
        first = [supplier("supplier-0000", "Supplier 0")]
        load_all(db, write_entity_file(tmp_path / "first.json", "suppliers", first))
    problem = only(refused(db, backup))
    assert (problem.file, problem.pointer) == (FILENAMES["suppliers"], f"/records/{second + 2}")
    assert (problem.record, problem.key) == (second + 2, "supplier-0000")
    assert "a second record with the key 'supplier-0000': record 2" in problem.message


@pytest.mark.parametrize("reuse", ["created", "updated"])
def test_a_value_an_update_gives_up_is_still_taken_for_the_rest_of_the_file(
    db: Engine, backup: Path, tmp_path: Path, reuse: str
) -> None:
    """Records are compared with the database as it was before the load, whichever way
    the backup is read: a uuid that an update changes, 600 records earlier, stays taken."""
    old, new = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    before = [supplier("aaa", "A", uuid=old)]
    records = [supplier("aaa", "A", uuid=new)]
    records += [supplier(f"s-{i:04}", f"S {i}") for i in range(600)]
    if reuse == "updated":
        before.append(supplier("zzz", "Z"))
    records.append(supplier("zzz", "Z", uuid=old))
    load_all(db, write_entity_file(tmp_path / "before.json", "suppliers", before))
    path = backup / FILENAMES["suppliers"]
    edit_records(backup, "suppliers", [*read_json(path)["records"], *records])
    problem = only(refused(db, backup, on_conflict="update"))
    assert (problem.pointer, problem.key) == (f"/records/{len(records) + 1}/uuid", "zzz")
    assert "must be unique and is already used by suppliers 'aaa' in the database" in (
        problem.message
    )


def test_a_child_uuid_may_move_from_an_updated_record_to_any_other(
    db: Engine, tmp_path: Path
) -> None:
    """An updated record's children are dropped before any child of its file is written,
    so a child's uuid may move to a record written in an earlier batch."""
    moved, fresh = "cccccccc-cccc-4ccc-8ccc-cccccccccccc", "dddddddd-dddd-4ddd-8ddd-dddddddddddd"

    def run(number: int, consumption: str | None = None, **fields: Any) -> Record:
        uuid = f"00000000-0000-4000-8000-{number:012}"
        record = production_run(uuid, "sponge", "sponge-slice")
        if consumption is not None:
            record["consumptions"] = [
                {
                    "uuid": consumption,
                    "ingredient_slug": "all-purpose-flour",
                    "quantity_consumed": "1.000",
                    "unit": "cup",
                    "total_cost": "0.0000",
                }
            ]
        return {**record, **fields}

    before = {**tiny_sections(), "production_runs": [run(9000, moved)]}
    load_all(db, write_document(tmp_path / "before.json", before))
    runs = [run(1, moved), *(run(number) for number in range(2, 501))]
    runs.append(run(9000, fresh, notes="recounted"))  # the 501st record written: a later batch
    source = write_document(tmp_path / "after.json", {**tiny_sections(), "production_runs": runs})
    report = load_all(db, source, on_conflict="update")
    assert report.counts["production_runs"] == EntityCounts(created=500, updated=1)
    consumptions = metadata.tables["production_consumptions"]
    production_runs = metadata.tables["production_runs"]
    with db.connect() as connection:
        owners = dict(
            connection.execute(
                select(consumptions.c.uuid, production_runs.c.uuid).join(
                    production_runs, consumptions.c.production_run_id == production_runs.c.id
                )
            ).all()
        )
    assert owners == {moved: runs[0]["uuid"], fresh: runs[-1]["uuid"]}


def test_only_a_doubt_makes_the_import_check_in_full(
    tiny: Tiny, db: Engine, backup: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A sound backup as bakery_io writes it is imported in one pass; one file laid out by
    another tool makes it check in full, with the same result."""
    caplog.set_level(logging.DEBUG, logger="bakery_io")
    load_all(db, tiny.directory)
    assert not [record for record in caplog.records if "checking in full" in record.message]
    streamed = snapshot(db)
    drop_schema(db)
    create_schema(db)
    path = backup / FILENAMES["products"]
    path.write_text(json.dumps(read_json(path)), encoding="utf-8")
    reseal(backup, FILENAMES["products"])
    load_all(db, backup)
    assert [record for record in caplog.records if "checking in full" in record.message]
    assert snapshot(db) == streamed


def test_a_display_name_used_by_another_record_of_the_file_is_refused(
    db: Engine, tmp_path: Path
) -> None:
    sections = {
        "ingredients": [
            ingredient("nuts", "Nuts & Seeds", 0),
            ingredient("seeds", "Nuts & Seeds", 0),
        ]
    }
    problem = only(refused(db, write_document(tmp_path / "names.json", sections)))
    assert (problem.pointer, problem.record, problem.key) == (
        "/ingredients/1/display_name",
        1,
        "seeds",
    )
    assert "display_name 'Nuts & Seeds' must be unique" in problem.message
    assert "record 0" in problem.message


def test_a_uuid_used_by_a_row_of_the_database_is_refused(loaded: Engine, tmp_path: Path) -> None:
    taken = scalar_rows(loaded, "suppliers", "uuid")["flour-co"]
    records = [supplier("new-co", "New Co", uuid=taken)]
    source = write_entity_file(tmp_path / "suppliers.json", "suppliers", records)
    problem = only(refused(loaded, source))
    assert (problem.pointer, problem.record, problem.key) == ("/records/0/uuid", 0, "new-co")
    assert f"uuid {taken!r} must be unique" in problem.message
    assert "suppliers 'flour-co' in the database" in problem.message


# ---------------------------------------------------------------------------
# Records whose key exists: skip, update or error.


def changed_tiny() -> Sections:
    """The tiny bakery with flour-co renamed and sponge's ingredients changed."""
    sections = tiny_sections()
    sections["suppliers"][0]["name"] = "Flour Company"
    sponge = sections["recipes"][2]
    assert sponge["slug"] == "sponge"
    sponge["ingredients"] = uses(
        ("bread-flour", "1.0000", "cup"), ("all-purpose-flour", "1.2500", "cup")
    )
    return sections


def test_on_conflict_skip_keeps_the_database_values(target: Engine, tmp_path: Path) -> None:
    load_all(target, write_document(tmp_path / "tiny.json", tiny_sections()))
    before = snapshot(target)
    report = load_all(target, write_document(tmp_path / "changed.json", changed_tiny()))
    assert report.on_conflict == "skip"
    assert report.counts["suppliers"] == EntityCounts(unchanged=1, skipped=1)
    assert report.counts["recipes"] == EntityCounts(unchanged=2, skipped=1)
    assert report.total == EntityCounts(unchanged=sum(TINY_COUNTS.values()) - 2, skipped=2)
    assert [(c.file, c.pointer, c.record, c.key) for c in report.conflicts] == [
        ("changed.json", "/suppliers/0", 0, "flour-co"),
        ("changed.json", "/recipes/2", 2, "sponge"),
    ]
    assert "name" in report.conflicts[0].message
    assert "ingredients" in report.conflicts[1].message
    assert "kept" in report.conflicts[0].message
    assert snapshot(target) == before


def test_on_conflict_update_overwrites_and_replaces_children(
    target: Engine, tmp_path: Path
) -> None:
    load_all(target, write_document(tmp_path / "tiny.json", tiny_sections()))
    uuids = scalar_rows(target, "recipes", "uuid")
    sections = changed_tiny()
    report = load_all(
        target, write_document(tmp_path / "changed.json", sections), on_conflict="update"
    )
    assert report.counts["suppliers"] == EntityCounts(unchanged=1, updated=1)
    assert report.counts["recipes"] == EntityCounts(unchanged=2, updated=1)
    assert [(c.pointer, c.key) for c in report.conflicts] == [
        ("/suppliers/0", "flour-co"),
        ("/recipes/2", "sponge"),
    ]
    assert "name" in report.conflicts[0].message
    assert "overwrote" in report.conflicts[0].message
    assert scalar_rows(target, "suppliers", "name")["flour-co"] == "Flour Company"
    # The file states no uuid: the row keeps the one it was given.
    assert scalar_rows(target, "recipes", "uuid") == uuids
    # The children are the file's, no more, no less.
    dump_all(target, tmp_path / "recipes.json", entities=["recipes"])
    dumped = {r["slug"]: r for r in read_json(tmp_path / "recipes.json")["recipes"]}
    assert dumped["sponge"]["ingredients"] == sections["recipes"][2]["ingredients"]
    assert dumped["layer-cake"]["ingredients"] == sections["recipes"][1]["ingredients"]
    # The same file again finds nothing left to change.
    again = load_all(target, tmp_path / "changed.json", on_conflict="update")
    assert again.total == EntityCounts(unchanged=sum(TINY_COUNTS.values()))


def test_on_conflict_error_refuses_and_names_the_record(target: Engine, tmp_path: Path) -> None:
    load_all(target, write_document(tmp_path / "tiny.json", tiny_sections()))
    source = write_document(tmp_path / "changed.json", changed_tiny())
    problems = refused(target, source, on_conflict="error")
    assert [(p.file, p.pointer, p.record, p.key) for p in problems] == [
        ("changed.json", "/suppliers/0", 0, "flour-co"),
        ("changed.json", "/recipes/2", 2, "sponge"),
    ]
    assert "suppliers 'flour-co' exists in the database with different values" in (
        problems[0].message
    )
    assert "(name)" in problems[0].message
    assert "(ingredients)" in problems[1].message


def test_an_update_may_not_break_rows_that_reference_it(loaded: Engine, tmp_path: Path) -> None:
    moved = ingredient("all-purpose-flour", "All-Purpose Flour", 1, "flours")
    source = write_document(tmp_path / "moved.json", {"ingredients": [moved]})
    problems = refused(loaded, source, on_conflict="update")
    assert problems
    for problem in problems:
        assert (problem.file, problem.pointer, problem.key) == (
            "moved.json",
            "/ingredients/0/hierarchy_level",
            "all-purpose-flour",
        )
        assert "only leaf ingredients" in problem.message
        assert "in the database needs ingredients 'all-purpose-flour'" in problem.message


def test_an_update_that_would_break_a_run_in_the_database_is_refused(
    loaded: Engine, tmp_path: Path
) -> None:
    """A production run in the database uses sponge-slice as a yield of sponge."""
    runs = [production_run(RUN_UUID, "sponge", "sponge-slice")]
    load_all(loaded, write_document(tmp_path / "runs.json", {"production_runs": runs}))
    before = snapshot(loaded)
    moved = {"finished_units": [finished_unit("sponge-slice", "layer-cake")]}
    source = write_document(tmp_path / "moved.json", moved)
    problem = only(refused(loaded, source, on_conflict="update"))
    assert (problem.file, problem.pointer, problem.record, problem.key) == (
        "moved.json",
        "/finished_units/0/recipe_slug",
        0,
        "sponge-slice",
    )
    assert f"production_runs {RUN_UUID!r} in the database" in problem.message
    assert snapshot(loaded) == before


def test_a_row_the_database_refuses_is_named_and_nothing_is_kept(
    loaded: Engine, tmp_path: Path
) -> None:
    """Two runs whose consumptions share a uuid: only the database's unique index sees it."""
    first = production_run(RUN_UUID, "sponge", "sponge-slice")
    second = production_run("0b7c9a52-3f1e-4c55-9d2a-6c1f0e8b7a44", "sponge", "sponge-slice")
    consumption = {
        "uuid": "5d0c1a3e-8f7b-4b8e-9a41-2c6e7d9f0b12",
        "ingredient_slug": "flour",
        "quantity_consumed": "1.000",
        "unit": "cup",
        "total_cost": "0.5000",
    }
    first["consumptions"] = [consumption]
    second["consumptions"] = [dict(consumption)]
    before = snapshot(loaded)
    source = write_document(tmp_path / "runs.json", {"production_runs": [first, second]})
    problem = only(refused(loaded, source))
    assert problem.file == "runs.json"
    assert problem.record is not None
    assert problem.pointer == f"/production_runs/{problem.record}"
    assert problem.key in (RUN_UUID, second["uuid"])
    assert problem.message.startswith("the database refused production_runs ")
    assert snapshot(loaded) == before


# ---------------------------------------------------------------------------
# Dry runs.


def test_a_dry_run_writes_nothing_and_counts_what_would_happen(
    target: Engine, tmp_path: Path
) -> None:
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    empty = snapshot(target)
    report = load_all(target, source, dry_run=True)
    assert report.dry_run
    assert not report.committed
    assert report.counts == counts(**TINY_COUNTS)
    assert snapshot(target) == empty

    load_all(target, source)
    before = snapshot(target)
    changed = write_document(tmp_path / "changed.json", changed_tiny())
    report = load_all(target, changed, on_conflict="update", dry_run=True)
    assert report.total.updated == 2
    assert len(report.conflicts) == 2
    assert snapshot(target) == before


def test_a_dry_run_still_reports_problems(db: Engine, tmp_path: Path) -> None:
    sections = tiny_sections()
    sections["products"][0]["ingredient_slug"] = "rye-flour"
    problems = refused(db, write_document(tmp_path / "tiny.json", sections), dry_run=True)
    assert where(problems) == [("tiny.json", "/products/0/ingredient_slug")]


# ---------------------------------------------------------------------------
# In the caller's transaction.


def test_a_failed_load_in_a_session_keeps_the_callers_own_writes(
    target: Engine, tmp_path: Path
) -> None:
    sections = tiny_sections()
    sections["products"][1]["package_unit_quantity"] = "-4.0000"
    source = write_document(tmp_path / "bad.json", sections)
    with Session(target) as session:
        session.connection().execute(
            insert(metadata.tables["suppliers"]).values(
                slug="callers-own", name="Caller's Own", city="Troy"
            )
        )
        with pytest.raises(SourceError) as caught:
            load_all(session, source)
        assert where(list(caught.value.problems)) == [
            ("bad.json", "/products/1/package_unit_quantity")
        ]
        session.commit()
    assert scalar_rows(target, "suppliers", "name") == {"callers-own": "Caller's Own"}
    assert all(not rows for name, rows in snapshot(target).items() if name != "suppliers")


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_a_load_in_a_session_is_the_callers_to_end(
    target: Engine, tmp_path: Path, end: str
) -> None:
    sections = tiny_sections()
    sections["products"][0]["preferred_supplier_slug"] = "callers-own"
    source = write_document(tmp_path / "tiny.json", sections)
    with Session(target) as session:
        # Pending, not yet flushed: the load sees it all the same.
        session.add(Supplier(slug="callers-own", name="Caller's Own", city="Troy"))
        report = load_all(session, source)
        assert report.counts == counts(**TINY_COUNTS)
        getattr(session, end)()
    suppliers = scalar_rows(target, "suppliers", "name")
    if end == "rollback":
        assert suppliers == {}
        return
    assert suppliers == {
        "callers-own": "Caller's Own",
        "flour-co": "Flour Co",
        "mill-street": "Mill Street",
    }
    products = metadata.tables["products"]
    suppliers_table = metadata.tables["suppliers"]
    with target.connect() as connection:
        preferred = connection.execute(
            select(suppliers_table.c.slug)
            .join(products, products.c.preferred_supplier_id == suppliers_table.c.id)
            .where(products.c.slug == "ap-flour-5-lb")
        ).scalar_one()
    assert preferred == "callers-own"


@pytest.mark.parametrize("form", ["document", "directory"])
@pytest.mark.parametrize("kind", ["session", "connection"])
def test_a_load_the_caller_rolls_back_leaves_nothing(
    tiny: Tiny, target: Engine, kind: str, form: str
) -> None:
    """With nothing of the caller's pending (SQLite's driver would then see the load's
    SAVEPOINT outside a transaction, and commit at its release)."""
    source = tiny.document if form == "document" else tiny.directory
    with Session(target) if kind == "session" else target.connect() as bind:
        assert load_all(bind, source).total.created == sum(TINY_COUNTS.values())
        bind.rollback()
    assert all(not rows for rows in snapshot(target).values())


def test_a_load_on_a_connection_commits_with_the_caller(db: Engine, tmp_path: Path) -> None:
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    with db.connect() as connection:
        load_all(connection, source)
        connection.commit()
    assert len(scalar_rows(db, "suppliers", "name")) == 2


# ---------------------------------------------------------------------------
# What must change in the call or the database.


def test_missing_tables_are_a_database_state_error(empty_engine: Engine, tmp_path: Path) -> None:
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    with pytest.raises(DatabaseStateError) as caught:
        load_all(empty_engine, source)
    assert caught.value.reason == "no tables"
    assert "suppliers" in caught.value.tables
    assert "create_schema" in str(caught.value)
    assert not set(inspect(empty_engine).get_table_names()) & set(metadata.tables)


def test_an_unknown_conflict_mode_is_a_usage_error(db: Engine, tmp_path: Path) -> None:
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    with pytest.raises(UsageError, match="on_conflict"):
        load_all(db, source, on_conflict="replace")  # type: ignore[arg-type]
    assert all(not rows for rows in snapshot(db).values())


# ---------------------------------------------------------------------------
# Every problem at once, in a useful order.


def test_problems_of_several_files_are_reported_together(db: Engine, backup: Path) -> None:
    suppliers = records_of(backup, "suppliers")
    suppliers[1]["name"] = 42
    edit_records(backup, "suppliers", suppliers)
    products = records_of(backup, "products")
    products[0]["package_unit_quantity"] = 2.5
    edit_records(backup, "products", products)
    problems = refused(db, backup)
    assert where(problems) == [
        ("01_suppliers.json", "/records/1/name"),
        ("03_products.json", "/records/0/package_unit_quantity"),
    ]
    assert (problems[0].record, problems[0].key) == (1, "mill-street")
    assert "expected a string, got the number 42" in problems[0].message
    assert (problems[1].record, problems[1].key) == (0, "ap-flour-5-lb")


def test_problems_are_sorted_manifest_first_then_files_then_records(
    db: Engine, backup: Path
) -> None:
    products = records_of(backup, "products")
    products[1]["package_unit_quantity"] = 2.5
    products[0]["package_unit"] = 7
    edit_records(backup, "products", products)
    # Last: tamper suppliers without fixing the manifest.
    suppliers = records_of(backup, "suppliers")
    suppliers[1]["name"] = None
    rewrite(backup / "01_suppliers.json", suppliers)
    problems = refused(db, backup)
    position = manifest_position(backup, "01_suppliers.json")
    assert where(problems) == [
        ("manifest.json", f"/files/{position}/sha256"),
        ("01_suppliers.json", "/records/1/name"),
        ("03_products.json", "/records/0/package_unit"),
        ("03_products.json", "/records/1/package_unit_quantity"),
    ]


def test_a_manifest_problem_comes_before_an_unreadable_file(db: Engine, backup: Path) -> None:
    suppliers = records_of(backup, "suppliers")
    suppliers[0]["name"] = "Flour Company"
    rewrite(backup / "01_suppliers.json", suppliers)
    path = backup / "05_finished_units.json"
    path.write_bytes(path.read_bytes().replace(b"Sponge Slice", b"Sponge Slic\xe9", 1))
    problems = refused(db, backup)
    assert where(problems) == [
        ("manifest.json", f"/files/{manifest_position(backup, '01_suppliers.json')}/sha256"),
        ("05_finished_units.json", ""),
    ]


# ---------------------------------------------------------------------------
# Progress.


def test_progress_reports_checking_then_writing_each_entity_type(
    db: Engine, tmp_path: Path
) -> None:
    events: list[Progress] = []
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    load_all(db, source, progress=events.append)
    names = [name for name, count in TINY_COUNTS.items() if count]
    for step in ("checking", "writing"):
        seen = [event.entity_type for event in events if event.step == step]
        assert list(dict.fromkeys(name for name in seen if name)) == names
    total = sum(TINY_COUNTS.values())
    # A single document is checked, then written: two steps, each ending at every record.
    ends = [event for event in events if event.finished]
    assert [(event.step, event.done, event.total) for event in ends] == [
        ("checking", total, total),
        ("writing", total, total),
    ]


#: (entity type, field, a number the one pass parses inexactly, what the full check says).
INEXACT = [
    ("ingredients", "hierarchy_level", 2.0, "expected a whole number, got the number 2.0"),
    ("ingredients", "hierarchy_level", 1.5, "expected a whole number, got the number 1.5"),
    ("ingredients", "hierarchy_level", 2**64, "must be <= 2, got 18446744073709551616"),
    ("products", "package_unit_quantity", 5.25, "got the number 5.25"),
]


@pytest.mark.parametrize("case", INEXACT, ids=[f"{case[1]}={case[2]}" for case in INEXACT])
def test_a_number_the_one_pass_reads_inexactly_is_refused_as_written(
    db: Engine, backup: Path, case: tuple[str, str, float, str]
) -> None:
    """The one pass parses numbers with a fraction as floats (and refuses integers past 64
    bits): the files' schemas accept neither, and the full check reports the number as it
    is written."""
    entity_type, field, value, message = case
    records = records_of(backup, entity_type)
    records[0][field] = value
    edit_records(backup, entity_type, records)
    problems = refused(db, backup)
    assert [problem.record for problem in problems] == [0] * len(problems)
    assert message in at(problems, FILENAMES[entity_type], f"/records/0/{field}").message
