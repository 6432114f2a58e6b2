"""Export: dump_all and dump_history, checked from the files they write, as a user would.

The sample database is dumped once per backend (directory, ZIP and single
document, all with the same ``exported_at``); most tests read those files.
Tests that need a dump of their own keep it small or reuse the sample.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Engine,
    Integer,
    String,
    Table,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from bakery_io import (
    REGISTRY,
    DatabaseStateError,
    Manifest,
    Progress,
    ProgressCallback,
    UsageError,
    __version__,
    create_schema,
    dump_all,
    dump_history,
    engine_from_url,
    generate_sample,
    validate,
)
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import (
    AssemblyRun,
    FinishedGood,
    FinishedGoodComponent,
    FinishedUnit,
    Ingredient,
    MaterialProduct,
    MaterialUnit,
    Product,
    ProductionRun,
    Recipe,
    Supplier,
    metadata,
)
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
EXPORT_DATE = "2026-11-22T09:30:00Z"
MANIFEST = "manifest.json"
ENTITY_FILENAMES = [
    "01_suppliers.json",
    "02_ingredients.json",
    "03_products.json",
    "04_recipes.json",
    "05_finished_units.json",
    "06_purchases.json",
    "07_inventory_items.json",
    "08_material_categories.json",
    "09_material_subcategories.json",
    "10_materials.json",
    "11_material_products.json",
    "12_material_units.json",
    "13_material_purchases.json",
    "14_finished_goods.json",
    "15_recipients.json",
    "16_packages.json",
    "17_events.json",
    "18_event_recipient_packages.json",
    "19_production_runs.json",
    "20_assembly_runs.json",
    "21_inventory_depletions.json",
]
ENTITY_TYPES = [re.sub(r"^\d\d_|\.json$", "", name) for name in ENTITY_FILENAMES]

#: Child table -> (parent entity type, key the children are nested under).
CHILDREN = {
    "recipe_ingredients": ("recipes", "ingredients"),
    "recipe_components": ("recipes", "components"),
    "finished_good_components": ("finished_goods", "components"),
    "package_contents": ("packages", "contents"),
    "event_production_targets": ("events", "production_targets"),
    "event_assembly_targets": ("events", "assembly_targets"),
    "production_consumptions": ("production_runs", "consumptions"),
    "production_losses": ("production_runs", "losses"),
    "assembly_finished_unit_consumptions": ("assembly_runs", "finished_unit_consumptions"),
    "assembly_packaging_consumptions": ("assembly_runs", "packaging_consumptions"),
}

#: Table -> wire reference field -> the entity type it points at (docs/format/entities.md).
REFERENCES: dict[str, dict[str, str]] = {
    "ingredients": {"parent_slug": "ingredients"},
    "products": {"ingredient_slug": "ingredients", "preferred_supplier_slug": "suppliers"},
    "recipes": {"base_recipe_slug": "recipes"},
    "recipe_ingredients": {"ingredient_slug": "ingredients"},
    "recipe_components": {"component_recipe_slug": "recipes"},
    "finished_units": {"recipe_slug": "recipes"},
    "purchases": {"product_slug": "products", "supplier_slug": "suppliers"},
    "inventory_items": {"product_slug": "products", "purchase_uuid": "purchases"},
    "material_subcategories": {"category_slug": "material_categories"},
    "materials": {"subcategory_slug": "material_subcategories"},
    "material_products": {"material_slug": "materials", "supplier_slug": "suppliers"},
    "material_units": {"material_product_slug": "material_products"},
    "material_purchases": {
        "material_product_slug": "material_products",
        "supplier_slug": "suppliers",
    },
    "finished_good_components": {
        "finished_unit_slug": "finished_units",
        "finished_good_slug": "finished_goods",
        "material_product_slug": "material_products",
        "material_unit_slug": "material_units",
    },
    "package_contents": {"finished_good_slug": "finished_goods"},
    "event_production_targets": {"recipe_slug": "recipes"},
    "event_assembly_targets": {"finished_good_slug": "finished_goods"},
    "event_recipient_packages": {
        "event_slug": "events",
        "recipient_slug": "recipients",
        "package_slug": "packages",
    },
    "production_runs": {
        "recipe_slug": "recipes",
        "finished_unit_slug": "finished_units",
        "event_slug": "events",
    },
    "assembly_runs": {"finished_good_slug": "finished_goods", "event_slug": "events"},
    "assembly_finished_unit_consumptions": {"finished_unit_slug": "finished_units"},
    "assembly_packaging_consumptions": {"product_slug": "products"},
    "inventory_depletions": {"inventory_item_uuid": "inventory_items"},
}

DATETIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")
DATE_RE = re.compile(r"\d{4}-\d\d-\d\d")
FORMS = ["backup", "backup.zip", "backup.json"]


# ---------------------------------------------------------------------------
# Helpers.


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _no_float(text: str) -> Any:
    raise AssertionError(f"a JSON number with a fraction or exponent: {text}")


def strict_loads(data: bytes | str) -> Any:
    """Parse JSON, failing on any float (decimals must travel as strings)."""
    return json.loads(data, parse_float=_no_float)


def directory_files(path: Path) -> dict[str, bytes]:
    return {entry.name: entry.read_bytes() for entry in sorted(path.iterdir())}


def zip_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def container_files(path: Path) -> dict[str, bytes]:
    return zip_files(path) if path.suffix == ".zip" else directory_files(path)


def walk_keys(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, key) of every object key at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield where, key
            yield from walk_keys(item, f"{where}/{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from walk_keys(item, f"{where}/{position}")


def natural_key(entity_type: str, record: dict[str, Any]) -> tuple[str, ...]:
    if entity_type == "material_units":
        return (record["material_product_slug"], record["slug"])
    return (record["slug"],) if "slug" in record else (record["uuid"],)


def keys_of(records: list[dict[str, Any]], entity_type: str) -> set[Any]:
    """The values a reference to ``entity_type`` may hold (slug or uuid)."""
    return {natural_key(entity_type, record)[-1] for record in records}


def interrupt_after(count: int, calls: list[str]) -> ProgressCallback:
    """A progress callback that stops the export as it begins its ``count``-th entity type."""

    def progress(event: Progress) -> None:
        if event.entity_type is not None and event.entity_type not in calls:
            calls.append(event.entity_type)
            if len(calls) == count:
                raise StopExportError(f"stopped at {event.entity_type}")

    return progress


class StopExportError(Exception):
    """Raised by a progress callback to stop an export midway."""


def from_wire(column: Column[Any], value: Any) -> Any:
    """A wire value as the database holds it, checking its JSON form on the way."""
    if value is None:
        return None
    kind = column.type
    where = f"{column.table.name}.{column.name} = {value!r}"
    if isinstance(kind, ExactDecimal):
        assert isinstance(value, str), where
        assert re.fullmatch(rf"-?\d+\.\d{{{kind.scale}}}", value), where
        return Decimal(value)
    if isinstance(kind, UTCDateTime):
        assert isinstance(value, str), where
        assert DATETIME_RE.fullmatch(value), where
        moment = datetime.fromisoformat(value)
        assert moment.utcoffset() is not None, where
        return moment
    if isinstance(kind, Date):
        assert isinstance(value, str), where
        assert DATE_RE.fullmatch(value), where
        return date.fromisoformat(value)
    if isinstance(kind, Boolean):
        assert type(value) is bool, where
    elif isinstance(kind, Integer):
        assert type(value) is int, where
    elif isinstance(kind, String):
        assert isinstance(value, str), where
    return value


def from_database(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def plain_columns(table: Table) -> list[Column[Any]]:
    """Columns that travel under their own name: all but ``id`` and foreign keys."""
    return [column for column in table.columns if column.name != "id" and not column.foreign_keys]


# ---------------------------------------------------------------------------
# The sample, exported once per backend.


@dataclass(frozen=True)
class SampleExport:
    directory: Path
    archive: Path
    document: Path
    manifests: dict[str, Manifest]
    files: dict[str, bytes]
    parsed: dict[str, Any]

    def records(self, entity_type: str) -> list[dict[str, Any]]:
        content = self.parsed[REGISTRY[entity_type].filename]
        return cast(list[dict[str, Any]], content["records"])

    def table_records(self, table: str) -> list[dict[str, Any]]:
        """Records of a table: an entity file's, or children gathered from their parents."""
        if table not in CHILDREN:
            return self.records(table)
        parent, key = CHILDREN[table]
        return [child for record in self.records(parent) for child in record[key]]


@pytest.fixture(scope="module")
def sample_export(sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> SampleExport:
    folder = tmp_path_factory.mktemp("export")
    directory, archive, document = (folder / name for name in FORMS)
    manifests = {
        "directory": dump_all(sample_engine, directory, exported_at=EXPORTED_AT),
        "zip": dump_all(sample_engine, archive, exported_at=EXPORTED_AT),
        "json": dump_all(sample_engine, document, exported_at=EXPORTED_AT),
    }
    files = directory_files(directory)
    parsed = {name: json.loads(data, parse_float=Decimal) for name, data in files.items()}
    return SampleExport(directory, archive, document, manifests, files, parsed)


@pytest.fixture(scope="module")
def database_rows(sample_engine: Engine) -> dict[str, int]:
    with sample_engine.connect() as connection:
        return count_rows(connection)


# ---------------------------------------------------------------------------
# The backup directory and its manifest.


def test_directory_holds_the_numbered_entity_files_and_a_manifest(
    sample_export: SampleExport,
) -> None:
    assert sorted(sample_export.files) == [*ENTITY_FILENAMES, MANIFEST]
    assert [entity.filename for entity in REGISTRY] == ENTITY_FILENAMES
    for filename, entity_type in zip(ENTITY_FILENAMES, ENTITY_TYPES, strict=True):
        content = sample_export.parsed[filename]
        assert list(content) == ["version", "entity_type", "records"]
        assert content["version"] == "1.1"
        assert content["entity_type"] == entity_type


def test_manifest_lists_every_file_in_import_order(sample_export: SampleExport) -> None:
    written = sample_export.parsed[MANIFEST]
    assert written["version"] == "1.1"
    assert written["export_date"] == EXPORT_DATE
    assert written["source"] == f"bakery_io {__version__}"
    entries = written["files"]
    assert [entry["filename"] for entry in entries] == ENTITY_FILENAMES
    assert [entry["entity_type"] for entry in entries] == ENTITY_TYPES
    assert [entry["import_order"] for entry in entries] == list(range(1, 22))
    # The returned manifest is the one written.
    assert written == sample_export.manifests["directory"].to_dict()


def test_manifest_checksums_and_counts_match_the_files_and_the_database(
    sample_export: SampleExport, database_rows: dict[str, int]
) -> None:
    for entry in sample_export.parsed[MANIFEST]["files"]:
        data = sample_export.files[entry["filename"]]
        assert entry["sha256"] == sha256(data), entry["filename"]
        records = sample_export.parsed[entry["filename"]]["records"]
        assert entry["record_count"] == len(records), entry["filename"]
        assert entry["record_count"] == database_rows[entry["entity_type"]], entry["filename"]
    assert sample_export.manifests["directory"].record_count == sum(
        database_rows[name] for name in ENTITY_TYPES
    )
    assert all(database_rows[name] > 0 for name in ENTITY_TYPES)  # the sample fills every table


def test_nested_children_hold_every_row_of_their_table(
    sample_export: SampleExport, database_rows: dict[str, int]
) -> None:
    assert set(metadata.tables) == set(ENTITY_TYPES) | set(CHILDREN)
    for table, (parent, key) in CHILDREN.items():
        relationship = getattr(REGISTRY[parent].model, key).property
        assert relationship.mapper.local_table.name == table
        assert len(sample_export.table_records(table)) == database_rows[table], table
        assert database_rows[table] > 0, table


def test_manifest_dependencies_are_the_registrys_and_come_earlier(
    sample_export: SampleExport,
) -> None:
    position: dict[str, int] = {}
    for entry in sample_export.parsed[MANIFEST]["files"]:
        entity_type = entry["entity_type"]
        assert tuple(entry["dependencies"]) == REGISTRY[entity_type].dependencies, entity_type
        for dependency in entry["dependencies"]:
            assert dependency != entity_type
            assert dependency in position, f"{entity_type} depends on later {dependency}"
        position[entity_type] = entry["import_order"]
    # A few that docs/format/entities.md spells out.
    dependencies = {
        entry.entity_type: entry.dependencies
        for entry in sample_export.manifests["directory"].files
    }
    assert dependencies["suppliers"] == ()
    assert dependencies["products"] == ("suppliers", "ingredients")
    assert set(dependencies["event_recipient_packages"]) == {"events", "recipients", "packages"}
    assert set(dependencies["inventory_depletions"]) == {"inventory_items"}


def test_progress_reports_each_entity_type_with_a_running_total(
    sample_engine: Engine, tmp_path: Path
) -> None:
    events: list[Progress] = []
    manifest = dump_all(
        sample_engine,
        tmp_path / "partial",
        entities=["suppliers", "ingredients", "material_categories"],
        progress=events.append,
    )
    counts = [entry.record_count for entry in manifest.files]
    assert {(event.job, event.step, event.total) for event in events} == {
        ("export", "writing", sum(counts))
    }
    # Each type is begun once the types before it are written in full.
    begun: dict[str | None, int] = {}
    for event in events:
        begun.setdefault(event.entity_type, event.done)
    expected: dict[str | None, int] = {None: 0}
    written = 0
    for entry in manifest.files:
        expected[entry.entity_type] = written
        written += entry.record_count
    assert begun == expected
    assert events[-1].finished
    assert events[-1].done == sum(counts)


# ---------------------------------------------------------------------------
# What the records hold.


def test_no_database_id_anywhere(sample_export: SampleExport) -> None:
    for name, content in sample_export.parsed.items():
        for where, key in walk_keys(content):
            assert key != "id", f"{name}{where}"
            assert not key.endswith("_id"), f"{name}{where}/{key}"


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_records_carry_exactly_the_documented_fields(
    sample_export: SampleExport, table: str
) -> None:
    model_table = metadata.tables[table]
    references = REFERENCES.get(table, {})
    # Every foreign key (but a child's link to its parent) is written as a reference.
    parent_link = set()
    if table in CHILDREN:
        parent, key = CHILDREN[table]
        relationship = getattr(REGISTRY[parent].model, key).property
        parent_link = {remote.name for _local, remote in relationship.local_remote_pairs}
    for column in model_table.columns:
        if column.name in parent_link:
            continue
        for foreign_key in column.foreign_keys:
            target = foreign_key.column.table.name
            assert target in references.values(), f"{table}.{column.name} -> {target}"
    children = {key for child, (parent, key) in CHILDREN.items() if parent == table}
    expected = {column.name for column in plain_columns(model_table)} | set(references) | children
    records = sample_export.table_records(table)
    assert records
    for position, record in enumerate(records):
        assert set(record) == expected, f"{table}[{position}]"


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_column_values_equal_the_database(
    sample_export: SampleExport, sample_engine: Engine, table: str
) -> None:
    columns = plain_columns(metadata.tables[table])
    with sample_engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
    records = sample_export.table_records(table)
    for position, column in enumerate(columns):
        on_wire = Counter(from_wire(column, record[column.name]) for record in records)
        in_database = Counter(from_database(row[position]) for row in rows)
        assert on_wire == in_database, f"{table}.{column.name}"


@pytest.mark.parametrize(
    ("table", "field", "target"),
    [
        (table, field, target)
        for table, fields in sorted(REFERENCES.items())
        for field, target in fields.items()
    ],
)
def test_references_resolve_to_records_of_the_target(
    sample_export: SampleExport, table: str, field: str, target: str
) -> None:
    known = keys_of(sample_export.records(target), target)
    values = [record[field] for record in sample_export.table_records(table)]
    dangling = {value for value in values if value is not None and value not in known}
    assert not dangling


def test_material_unit_references_name_product_and_unit(sample_export: SampleExport) -> None:
    units = {
        natural_key("material_units", unit) for unit in sample_export.records("material_units")
    }
    pairs = [
        (component["material_product_slug"], component["material_unit_slug"])
        for component in sample_export.table_records("finished_good_components")
    ]
    used = [pair for pair in pairs if pair != (None, None)]
    assert used
    assert all(pair in units for pair in used)


def test_product_references_equal_the_database(
    sample_export: SampleExport, sample_engine: Engine
) -> None:
    statement = (
        select(Product.slug, Ingredient.slug, Supplier.slug)
        .join(Ingredient, Product.ingredient_id == Ingredient.id)
        .outerjoin(Supplier, Product.preferred_supplier_id == Supplier.id)
    )
    with sample_engine.connect() as connection:
        expected = {row[0]: (row[1], row[2]) for row in connection.execute(statement)}
    on_wire = {
        record["slug"]: (record["ingredient_slug"], record["preferred_supplier_slug"])
        for record in sample_export.records("products")
    }
    assert on_wire == expected
    assert any(supplier is None for _ingredient, supplier in expected.values())
    assert any(supplier is not None for _ingredient, supplier in expected.values())


def test_finished_good_components_equal_the_database_in_order(
    sample_export: SampleExport, sample_engine: Engine
) -> None:
    component_good = aliased(FinishedGood)
    statement = (
        select(
            FinishedGood.slug,
            FinishedUnit.slug,
            component_good.slug,
            MaterialProduct.slug,
            MaterialUnit.slug,
        )
        .select_from(FinishedGoodComponent)
        .join(FinishedGood, FinishedGoodComponent.finished_good_id == FinishedGood.id)
        .outerjoin(FinishedUnit, FinishedGoodComponent.finished_unit_id == FinishedUnit.id)
        .outerjoin(component_good, FinishedGoodComponent.component_good_id == component_good.id)
        .outerjoin(MaterialUnit, FinishedGoodComponent.material_unit_id == MaterialUnit.id)
        .outerjoin(MaterialProduct, MaterialUnit.material_product_id == MaterialProduct.id)
        .order_by(FinishedGoodComponent.sort_order, FinishedGoodComponent.id)
    )
    with sample_engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(statement)]
    expected = sorted(rows, key=lambda row: row[0])  # stable: keeps each good's order
    on_wire = [
        (
            good["slug"],
            component["finished_unit_slug"],
            component["finished_good_slug"],
            component["material_product_slug"],
            component["material_unit_slug"],
        )
        for good in sample_export.records("finished_goods")
        for component in good["components"]
    ]
    assert on_wire == expected
    for kind in range(1, 4):  # the sample uses all three kinds of component
        assert any(row[kind] is not None for row in on_wire)


def test_records_are_in_natural_key_order(sample_export: SampleExport) -> None:
    for entity_type in ENTITY_TYPES:
        keys = [natural_key(entity_type, record) for record in sample_export.records(entity_type)]
        assert keys == sorted(keys), entity_type
        assert len(set(keys)) == len(keys), entity_type


def test_children_with_sort_order_are_in_that_order(sample_export: SampleExport) -> None:
    for table, (parent, key) in CHILDREN.items():
        if "sort_order" not in metadata.tables[table].c:
            continue
        for record in sample_export.records(parent):
            orders = [child["sort_order"] for child in record[key]]
            assert orders == sorted(orders), f"{parent} {record['slug']} {key}"


# ---------------------------------------------------------------------------
# Decimals.


def test_no_json_number_is_a_float_in_any_container(sample_export: SampleExport) -> None:
    for data in sample_export.files.values():
        strict_loads(data)
    for data in zip_files(sample_export.archive).values():
        strict_loads(data)
    strict_loads(sample_export.document.read_bytes())


def test_decimal_edge_values_and_zeros_are_exact_strings(sample_export: SampleExport) -> None:
    purchases = sample_export.records("purchases")
    prices = [record["unit_price"] for record in purchases]
    assert "999999.9999" in prices  # the widest NUMERIC(10,4)
    assert "0.0000" in prices  # a free item: zero, not null
    assert None not in prices
    quantities = [record["quantity"] for record in sample_export.records("inventory_items")]
    assert "99999999.9999" in quantities  # the widest NUMERIC(12,4)
    units_added = [record["units_added"] for record in sample_export.records("material_purchases")]
    assert "9999999999.9999" in units_added  # the widest NUMERIC(14,4)
    package_prices = [
        record["package_price"] for record in sample_export.records("material_purchases")
    ]
    assert "0.0000" in package_prices
    consumed = [
        record["quantity_consumed"]
        for record in sample_export.table_records("production_consumptions")
    ]
    assert "9999999.999" in consumed  # NUMERIC(10,3)
    percentages = [record["batch_percentage"] for record in sample_export.records("finished_units")]
    assert "100.00" in percentages  # NUMERIC(5,2), capped by its range
    text = sample_export.files["06_purchases.json"].decode()
    assert '"unit_price": "0.0000"' in text
    assert '"unit_price": 0' not in text


# ---------------------------------------------------------------------------
# Determinism, and the three containers.


def test_same_exported_at_gives_byte_identical_backups(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    directory = tmp_path / "again"
    archive = tmp_path / "again.zip"
    assert (
        dump_all(sample_engine, directory, exported_at=EXPORTED_AT)
        == (sample_export.manifests["directory"])
    )
    dump_all(sample_engine, archive, exported_at=EXPORTED_AT)
    assert directory_files(directory) == sample_export.files
    assert archive.read_bytes() == sample_export.archive.read_bytes()


def test_exports_at_different_times_have_identical_entity_files(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    first = dump_all(sample_engine, tmp_path / "first")
    second = dump_all(sample_engine, tmp_path / "second")
    assert first.files == second.files == sample_export.manifests["directory"].files
    stated = datetime.fromisoformat(first.export_date)  # default: now, in UTC
    assert stated.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stated) < timedelta(minutes=5)
    for files in (directory_files(tmp_path / "first"), directory_files(tmp_path / "second")):
        entity_files = {name: data for name, data in files.items() if name != MANIFEST}
        assert entity_files == {
            name: data for name, data in sample_export.files.items() if name != MANIFEST
        }


def test_zip_members_equal_the_directory_files(sample_export: SampleExport) -> None:
    members = zip_files(sample_export.archive)
    assert members == sample_export.files
    with zipfile.ZipFile(sample_export.archive) as archive:
        for info in archive.infolist():
            assert "/" not in info.filename  # flat at the root
            assert info.date_time == (2026, 11, 22, 9, 30, 0)  # the export time, not now


def test_single_document_holds_the_entity_files_records(sample_export: SampleExport) -> None:
    document = json.loads(sample_export.document.read_bytes(), parse_float=Decimal)
    assert list(document) == ["version", "exported_at", *ENTITY_TYPES]
    assert document["version"] == "1.1"
    assert document["exported_at"] == EXPORT_DATE
    for entity_type in ENTITY_TYPES:
        assert document[entity_type] == sample_export.records(entity_type), entity_type


def test_the_three_forms_return_the_same_manifest(sample_export: SampleExport) -> None:
    manifests = sample_export.manifests
    assert manifests["directory"] == manifests["zip"] == manifests["json"]
    assert manifests["directory"].export_date == EXPORT_DATE


@pytest.mark.parametrize("form", ["directory", "zip", "json"])
def test_validate_accepts_each_container(sample_export: SampleExport, form: str) -> None:
    path = {
        "directory": sample_export.directory,
        "zip": sample_export.archive,
        "json": sample_export.document,
    }[form]
    report = validate(path)
    assert report.ok, report.problems
    assert report.version == "1.1"
    assert report.records == sample_export.manifests["directory"].record_count


def test_exported_at_is_written_in_utc(sample_engine: Engine, tmp_path: Path) -> None:
    later_zone = datetime(2026, 11, 22, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    manifest = dump_all(
        sample_engine, tmp_path / "out", entities=["suppliers"], exported_at=later_zone
    )
    assert manifest.export_date == EXPORT_DATE
    assert strict_loads((tmp_path / "out" / MANIFEST).read_bytes())["export_date"] == EXPORT_DATE


def test_naive_exported_at_is_refused(sample_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="timezone"):
        dump_all(sample_engine, tmp_path / "out", exported_at=datetime(2026, 11, 22, 9, 30))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# An empty database, and partial exports.


@pytest.mark.parametrize("form", FORMS)
def test_empty_database_gives_every_entity_type_with_no_records(
    empty_engine: Engine, tmp_path: Path, form: str
) -> None:
    create_schema(empty_engine)
    target = tmp_path / form
    manifest = dump_all(empty_engine, target, exported_at=EXPORTED_AT)
    assert [entry.filename for entry in manifest.files] == ENTITY_FILENAMES
    assert all(entry.record_count == 0 for entry in manifest.files)
    assert validate(target).ok
    if form.endswith(".json"):
        document = strict_loads(target.read_bytes())
        expected: dict[str, Any] = {"version": "1.1", "exported_at": EXPORT_DATE}
        expected |= {entity_type: [] for entity_type in ENTITY_TYPES}
        assert document == expected
        return
    files = container_files(target)
    assert sorted(files) == [*ENTITY_FILENAMES, MANIFEST]
    for entry in manifest.files:
        data = files[entry.filename]
        assert '"records": []' in data.decode()
        assert strict_loads(data)["records"] == []
        assert entry.sha256 == sha256(data)
    assert strict_loads(files[MANIFEST]) == manifest.to_dict()


@pytest.mark.parametrize("form", ["backup", "backup.zip"])
def test_partial_export_holds_only_the_chosen_entity_types(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path, form: str
) -> None:
    target = tmp_path / form
    manifest = dump_all(sample_engine, target, entities=["recipes", "suppliers"])
    files = container_files(target)
    assert sorted(files) == ["01_suppliers.json", "04_recipes.json", MANIFEST]
    written = strict_loads(files[MANIFEST])
    assert written == manifest.to_dict()
    assert [entry["entity_type"] for entry in written["files"]] == ["suppliers", "recipes"]
    assert [entry["import_order"] for entry in written["files"]] == [1, 4]
    assert written["files"][0]["dependencies"] == []
    assert written["files"][1]["dependencies"] == ["ingredients"]  # full list, though not exported
    for name in ("01_suppliers.json", "04_recipes.json"):
        assert files[name] == sample_export.files[name]  # the same file as in a full backup
    assert validate(target).ok


def test_partial_single_document(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    target = tmp_path / "partial.json"
    manifest = dump_all(sample_engine, target, entities=["recipes", "suppliers"])
    document = strict_loads(target.read_bytes())
    assert list(document) == ["version", "exported_at", "suppliers", "recipes"]
    assert document["recipes"] == sample_export.records("recipes")
    assert [entry.entity_type for entry in manifest.files] == ["suppliers", "recipes"]


def test_unknown_entity_type_is_refused_by_name(sample_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cupcakes"):
        dump_all(sample_engine, tmp_path / "out", entities=["recipes", "cupcakes"])
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# Safety: never a half-written or clobbered backup.


def _occupy(target: Path) -> dict[str, bytes]:
    """Put an old bakery_io backup (of suppliers, none) at ``target``; returns its content."""
    entity = b'{"version": "1.1", "entity_type": "suppliers", "records": []}\n'
    manifest = json.dumps({"version": "1.1", "files": [{"filename": "01_suppliers.json"}]}).encode()
    if target.suffix == ".json":
        target.write_bytes(entity)
    elif target.suffix == ".zip":
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("01_suppliers.json", entity)
            archive.writestr(MANIFEST, manifest)
    else:
        target.mkdir()
        (target / "01_suppliers.json").write_bytes(entity)
        (target / MANIFEST).write_bytes(manifest)
        return directory_files(target)
    return {target.name: target.read_bytes()}


def _content(target: Path) -> dict[str, bytes]:
    return directory_files(target) if target.is_dir() else {target.name: target.read_bytes()}


@pytest.mark.parametrize("form", FORMS)
def test_existing_target_is_refused_and_left_alone(
    sample_engine: Engine, tmp_path: Path, form: str
) -> None:
    target = tmp_path / form
    before = _occupy(target)
    with pytest.raises(UsageError, match="exists"):
        dump_all(sample_engine, target, entities=["suppliers"])
    assert _content(target) == before
    assert [entry.name for entry in tmp_path.iterdir()] == [form]


@pytest.mark.parametrize("form", FORMS)
def test_overwrite_replaces_the_existing_target(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path, form: str
) -> None:
    target = tmp_path / form
    _occupy(target)
    manifest = dump_all(
        sample_engine, target, entities=["suppliers"], exported_at=EXPORTED_AT, overwrite=True
    )
    assert [entry.name for entry in tmp_path.iterdir()] == [form]  # no old copy left beside it
    assert validate(target).ok
    if form.endswith(".json"):
        assert strict_loads(target.read_bytes())["suppliers"] == sample_export.records("suppliers")
    else:
        files = container_files(target)
        assert sorted(files) == ["01_suppliers.json", MANIFEST]
        assert files["01_suppliers.json"] == sample_export.files["01_suppliers.json"]
    assert manifest.files == sample_export.manifests["directory"].files[:1]


def test_existing_empty_directory_is_accepted(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    target.mkdir()
    dump_all(sample_engine, target, entities=["suppliers"], exported_at=EXPORTED_AT)
    assert sorted(directory_files(target)) == ["01_suppliers.json", MANIFEST]
    assert [entry.name for entry in tmp_path.iterdir()] == ["backup"]


@pytest.mark.parametrize("form", FORMS)
def test_interrupted_export_leaves_nothing_behind(
    sample_engine: Engine, tmp_path: Path, form: str
) -> None:
    calls: list[str] = []
    with pytest.raises(StopExportError):
        dump_all(sample_engine, tmp_path / form, progress=interrupt_after(3, calls))
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []  # no target, no hidden .partial sibling


@pytest.mark.parametrize("form", FORMS)
def test_interrupted_overwrite_keeps_the_old_backup(
    sample_engine: Engine, tmp_path: Path, form: str
) -> None:
    target = tmp_path / form
    before = _occupy(target)
    with pytest.raises(StopExportError):
        dump_all(sample_engine, target, overwrite=True, progress=interrupt_after(3, []))
    assert _content(target) == before
    assert [entry.name for entry in tmp_path.iterdir()] == [form]


@pytest.mark.parametrize("form", FORMS)
def test_target_in_a_missing_directory_is_refused(
    sample_engine: Engine, tmp_path: Path, form: str
) -> None:
    with pytest.raises(UsageError, match="not a directory"):
        dump_all(sample_engine, tmp_path / "missing" / form)
    assert list(tmp_path.iterdir()) == []


def test_something_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="str"):
        dump_all(cast(Any, "sqlite://"), tmp_path / "backup")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# Binds: Engine, Connection, Session.


def test_connection_bind_gives_the_same_bytes(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    with sample_engine.connect() as connection, connection.begin():
        manifest = dump_all(connection, tmp_path / "backup", exported_at=EXPORTED_AT)
        assert connection.in_transaction()  # the caller's transaction, left open
    assert manifest == sample_export.manifests["directory"]
    assert directory_files(tmp_path / "backup") == sample_export.files


def test_session_bind_gives_the_same_bytes(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    with Session(sample_engine) as session:
        manifest = dump_all(session, tmp_path / "backup.zip", exported_at=EXPORTED_AT)
    assert manifest == sample_export.manifests["zip"]
    assert (tmp_path / "backup.zip").read_bytes() == sample_export.archive.read_bytes()


# ---------------------------------------------------------------------------
# dump_history.


def _history(path: Path) -> dict[str, Any]:
    return cast(dict[str, Any], strict_loads(path.read_bytes()))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def test_history_holds_all_production_and_assembly_runs(
    sample_engine: Engine, sample_export: SampleExport, tmp_path: Path
) -> None:
    target = tmp_path / "history.json"
    manifest = dump_history(sample_engine, target, exported_at=EXPORTED_AT)
    document = _history(target)
    assert list(document) == ["version", "exported_at", "production_runs", "assembly_runs"]
    assert document["version"] == "1.1"
    assert document["exported_at"] == EXPORT_DATE
    parsed = json.loads(target.read_bytes(), parse_float=Decimal)
    for entity_type in ("production_runs", "assembly_runs"):
        assert parsed[entity_type] == sample_export.records(entity_type)
    full = sample_export.manifests["directory"]
    assert manifest.files == (full.files[18], full.files[19])
    report = validate(target)
    assert report.ok, report.problems


@pytest.mark.parametrize("bounds", ["since and until", "since", "until"])
def test_history_window_includes_whole_utc_days(
    sample_engine: Engine, tmp_path: Path, bounds: str
) -> None:
    with sample_engine.connect() as connection:
        produced = connection.execute(
            select(ProductionRun.uuid, ProductionRun.produced_at).order_by(
                ProductionRun.produced_at
            )
        ).all()
        first, last = produced[len(produced) // 4], produced[3 * len(produced) // 4]
        since = first.produced_at.date() if "since" in bounds else None
        until = last.produced_at.date() if "until" in bounds else None
        start = _day_start(since) if since else datetime.min.replace(tzinfo=UTC)
        end = _day_start(until + timedelta(days=1)) if until else datetime.max.replace(tzinfo=UTC)

        def uuids_between(column: Any) -> set[str]:
            statement = select(column.class_.uuid).where(column >= start, column < end)
            return set(connection.execute(statement).scalars())

        expected_runs = uuids_between(ProductionRun.produced_at)
        expected_assemblies = uuids_between(AssemblyRun.assembled_at)
        total_runs = connection.execute(select(func.count(ProductionRun.id))).scalar_one()

    target = tmp_path / "history.json"
    manifest = dump_history(sample_engine, target, since=since, until=until)
    document = _history(target)
    runs, assemblies = document["production_runs"], document["assembly_runs"]
    assert 0 < len(runs) < total_runs
    assert {run["uuid"] for run in runs} == expected_runs
    assert len(runs) == len(expected_runs)
    assert {run["uuid"] for run in assemblies} == expected_assemblies
    assert len(assemblies) == len(expected_assemblies)
    # The runs on the boundary days themselves are in.
    if since:
        assert first.uuid in expected_runs
    if until:
        assert last.uuid in expected_runs
    for run in runs:
        assert start <= datetime.fromisoformat(run["produced_at"]) < end
    for run in assemblies:
        assert start <= datetime.fromisoformat(run["assembled_at"]) < end
    counts = {entry.entity_type: entry.record_count for entry in manifest.files}
    assert counts == {"production_runs": len(runs), "assembly_runs": len(assemblies)}


def test_history_datetime_bounds_include_since_and_exclude_until(
    sample_engine: Engine, tmp_path: Path
) -> None:
    with sample_engine.connect() as connection:
        produced = connection.execute(
            select(ProductionRun.uuid, ProductionRun.produced_at).order_by(
                ProductionRun.produced_at, ProductionRun.uuid
            )
        ).all()
    first, last = produced[10], produced[20]
    assert first.produced_at < last.produced_at
    target = tmp_path / "history.json"
    dump_history(sample_engine, target, since=first.produced_at, until=last.produced_at)
    exported = {run["uuid"] for run in _history(target)["production_runs"]}
    expected = {
        row.uuid for row in produced if first.produced_at <= row.produced_at < last.produced_at
    }
    assert exported == expected
    assert first.uuid in exported
    assert last.uuid not in exported


def test_history_of_one_recipe(sample_engine: Engine, tmp_path: Path) -> None:
    with sample_engine.connect() as connection:
        slug, count = connection.execute(
            select(Recipe.slug, func.count(ProductionRun.id))
            .join(ProductionRun, ProductionRun.recipe_id == Recipe.id)
            .group_by(Recipe.slug)
            .order_by(func.count(ProductionRun.id).desc(), Recipe.slug)
            .limit(1)
        ).one()
        expected = set(
            connection.execute(
                select(ProductionRun.uuid)
                .join(Recipe, ProductionRun.recipe_id == Recipe.id)
                .where(Recipe.slug == slug)
            ).scalars()
        )
    target = tmp_path / "history.json"
    manifest = dump_history(sample_engine, target, recipe=slug)
    document = _history(target)
    assert list(document) == ["version", "exported_at", "production_runs"]
    runs = document["production_runs"]
    assert len(runs) == count > 1
    assert {run["uuid"] for run in runs} == expected
    assert all(run["recipe_slug"] == slug for run in runs)
    assert [entry.entity_type for entry in manifest.files] == ["production_runs"]
    assert manifest.files[0].record_count == count


def test_history_of_an_unknown_recipe_is_refused(sample_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no-such-recipe"):
        dump_history(sample_engine, tmp_path / "history.json", recipe="no-such-recipe")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["history", "history.zip", "history.txt"])
def test_history_must_be_a_single_document(
    sample_engine: Engine, tmp_path: Path, name: str
) -> None:
    with pytest.raises(UsageError, match=r"\.json"):
        dump_history(sample_engine, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_history_refuses_an_existing_target_and_naive_bounds(
    sample_engine: Engine, tmp_path: Path
) -> None:
    target = tmp_path / "history.json"
    target.write_bytes(b"{}\n")
    with pytest.raises(UsageError, match="exists"):
        dump_history(sample_engine, target)
    assert target.read_bytes() == b"{}\n"
    with pytest.raises(UsageError, match="naive"):
        dump_history(sample_engine, tmp_path / "other.json", since=datetime(2025, 1, 1))
    assert [entry.name for entry in tmp_path.iterdir()] == ["history.json"]


# ---------------------------------------------------------------------------
# What the review of this code found, kept found.


def _broken_export(
    tmp_path: Path, scale: int, damage: Callable[[Connection], Any]
) -> tuple[Any, DatabaseStateError]:
    """What ``damage`` returns, and the error of exporting a sample it damaged.

    A plain SQLite engine does not enforce foreign keys, so its rows can point at
    rows that are gone. The error is checked to be a broken reference, and the
    export to have left no backup.
    """
    engine = create_engine(f"sqlite:///{tmp_path / 'broken.db'}")
    generate_sample(engine, scale=scale)
    with engine.begin() as connection:
        found = damage(connection)
    try:
        with pytest.raises(DatabaseStateError) as caught:
            dump_all(engine, tmp_path / "backup")
    finally:
        engine.dispose()
    assert caught.value.reason == "broken reference"
    assert not (tmp_path / "backup").exists()
    return found, caught.value


def test_a_row_whose_required_reference_is_gone_stops_the_export(tmp_path: Path) -> None:
    def damage(connection: Connection) -> None:
        recipe = connection.execute(text("SELECT recipe_id FROM finished_units LIMIT 1")).scalar()
        for child in ("recipe_ingredients", "event_production_targets"):
            connection.execute(text(f"DELETE FROM {child} WHERE recipe_id = :r"), {"r": recipe})
        connection.execute(
            text("DELETE FROM recipe_components WHERE recipe_id = :r OR component_recipe_id = :r"),
            {"r": recipe},
        )
        # Its variants' optional link to it goes too: this test is about the required one.
        connection.execute(
            text("UPDATE recipes SET base_recipe_id = NULL WHERE base_recipe_id = :r"),
            {"r": recipe},
        )
        connection.execute(text("DELETE FROM recipes WHERE id = :r"), {"r": recipe})

    _, error = _broken_export(tmp_path, 0, damage)
    assert "finished_units" in str(error)
    assert "recipe_slug points at a row that does not exist" in str(error)


def test_a_child_whose_required_reference_is_gone_stops_the_export(tmp_path: Path) -> None:
    def damage(connection: Connection) -> str:
        recipe, child = connection.execute(
            text("SELECT recipe_id, id FROM recipe_ingredients ORDER BY id LIMIT 1")
        ).one()
        connection.execute(
            text("UPDATE recipe_ingredients SET ingredient_id = 999999 WHERE id = :c"), {"c": child}
        )
        slug: str = connection.execute(
            text("SELECT slug FROM recipes WHERE id = :r"), {"r": recipe}
        ).scalar_one()
        return slug

    slug, error = _broken_export(tmp_path, 0, damage)
    assert str(error).startswith(f"recipes {slug!r}: ingredients/")
    assert "ingredient_slug points at a row that does not exist" in str(error)


def test_an_optional_reference_to_a_row_that_is_gone_stops_the_export(tmp_path: Path) -> None:
    # Written as null it would silently lose the link: the id is there, its row is not.
    def damage(connection: Connection) -> str:
        uuid, item = connection.execute(
            text("SELECT uuid, id FROM inventory_items WHERE purchase_id IS NOT NULL LIMIT 1")
        ).one()
        connection.execute(
            text("UPDATE inventory_items SET purchase_id = 999999 WHERE id = :i"), {"i": item}
        )
        return str(uuid)

    uuid, error = _broken_export(tmp_path, 1, damage)
    assert str(error).startswith(
        f"inventory_items {uuid!r}: purchase_uuid points at a row that does not exist"
    )


def test_an_optional_reference_that_is_null_is_exported_as_null(tmp_path: Path) -> None:
    database = tmp_path / "nulls.db"
    engine = create_engine(f"sqlite:///{database}")
    generate_sample(engine, scale=1)
    with engine.begin() as connection:
        uuid = connection.execute(
            text("SELECT uuid FROM inventory_items WHERE purchase_id IS NOT NULL LIMIT 1")
        ).scalar_one()
        connection.execute(
            text("UPDATE inventory_items SET purchase_id = NULL WHERE uuid = :u"), {"u": uuid}
        )
    dump_all(engine, tmp_path / "backup")
    engine.dispose()
    (found,) = [
        record
        for path in (tmp_path / "backup").glob("*inventory_items*.json")
        for record in json.loads(path.read_text(encoding="utf-8"))["records"]
        if record["uuid"] == uuid
    ]
    assert found["purchase_uuid"] is None


def test_a_sqlite_connection_bind_reads_one_snapshot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'snap.db'}"
    engine = engine_from_url(url)
    generate_sample(engine, scale=0)
    other = create_engine(url, connect_args={"timeout": 0.1})
    with engine.connect() as connection:
        dump_all(connection, tmp_path / "backup", entities=["suppliers"])
        # The export's read transaction holds its view (and SQLite's read lock) ...
        assert connection.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        with pytest.raises(OperationalError), other.begin() as writer:
            writer.execute(text("UPDATE suppliers SET name = 'changed'"))
        connection.rollback()
    # ... until the caller ends it.
    with other.begin() as writer:
        writer.execute(text("UPDATE suppliers SET name = 'changed'"))
    other.dispose()
    engine.dispose()


def test_a_weak_isolation_level_of_the_callers_transaction_is_logged(
    sample_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if sample_engine.dialect.name == "sqlite":
        pytest.skip("SQLite's read transaction is always a snapshot")
    caplog.set_level("WARNING", logger="bakery_io")
    weak = sample_engine.execution_options(isolation_level="READ COMMITTED")
    with weak.connect() as connection:
        dump_all(connection, tmp_path / "backup", entities=["suppliers"])
        connection.rollback()
    assert "READ COMMITTED" in caplog.text
    caplog.clear()
    dump_all(sample_engine, tmp_path / "again", entities=["suppliers"])
    assert caplog.text == ""


def test_a_failed_overwrite_keeps_the_old_backup(
    sample_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "backup"
    dump_all(sample_engine, target, entities=["suppliers"])
    before = _content(target)
    real_replace = os.replace
    moves: list[str] = []

    def failing_second_move(source: Any, destination: Any) -> None:
        moves.append(str(source))
        if len(moves) == 2:
            raise OSError("disk gone")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", failing_second_move)
    with pytest.raises(OSError, match="disk gone"):
        dump_all(sample_engine, target, entities=["suppliers"], overwrite=True)
    monkeypatch.undo()
    assert _content(target) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup"]


@pytest.mark.parametrize("entities", [[], "suppliers"])
def test_entities_must_name_entity_types(
    sample_engine: Engine, tmp_path: Path, entities: Any
) -> None:
    with pytest.raises(UsageError, match="entit"):
        dump_all(sample_engine, tmp_path / "backup", entities=entities)
    assert not (tmp_path / "backup").exists()


@pytest.mark.parametrize("year", [1979, 2108])
def test_an_export_time_a_zip_cannot_hold_is_refused(
    sample_engine: Engine, tmp_path: Path, year: int
) -> None:
    with pytest.raises(UsageError, match="between 1980 and 2107"):
        dump_all(sample_engine, tmp_path / "b.zip", exported_at=datetime(year, 6, 1, tzinfo=UTC))


def test_history_refuses_a_naive_until(sample_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="naive"):
        dump_history(sample_engine, tmp_path / "h.json", until=datetime(2025, 1, 1))


@pytest.mark.parametrize(
    ("entity_type", "row", "change"),
    [
        (
            "purchases",
            "SELECT uuid, id FROM purchases LIMIT 1",
            "UPDATE purchases SET unit_price = 'NaN' WHERE id = :row",
        ),
        (  # a child's value names its parent record
            "production_runs",
            "SELECT r.uuid, c.id FROM production_consumptions c "
            "JOIN production_runs r ON r.id = c.production_run_id LIMIT 1",
            "UPDATE production_consumptions SET total_cost = 'NaN' WHERE id = :row",
        ),
    ],
    ids=["record", "child"],
)
def test_a_decimal_that_is_not_a_number_names_its_record(
    sample_engine: Engine, tmp_path: Path, entity_type: str, row: str, change: str
) -> None:
    if sample_engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's NUMERIC holds NaN")
    with sample_engine.connect() as connection:
        key, row_id = connection.execute(text(row)).one()
        connection.execute(text(change), {"row": row_id})
        try:
            with pytest.raises(DatabaseStateError) as caught:
                dump_all(connection, tmp_path / "backup", entities=[entity_type])
        finally:
            connection.rollback()  # the shared sample stays as it was
    assert caught.value.reason == "unexportable value"
    assert f"{entity_type} '{key}' cannot be exported" in str(caught.value)
    assert "NaN" in str(caught.value)
