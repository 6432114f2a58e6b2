"""The same data on every backend: what SQLite, PostgreSQL and MariaDB must all keep.

First a backup passes SQLite → PostgreSQL → MariaDB → SQLite and must come out
with the bytes it went in with. Then each backend gets a database of its own
(the *proving ground*) holding a small document of edge values, and the tests
read them back: decimals at full precision, datetimes to the microsecond in
UTC, 4-byte UTF-8, keys that differ only in case, keys sorted by code point,
CHECK constraints in the database, and the export's one snapshot.

The proving ground is made as unlike what bakery_io needs as a server allows,
so that the tables must bring their own settings: on MySQL/MariaDB the
database defaults to ``latin1`` with a case-insensitive collation, on
PostgreSQL to ICU's ``en-US`` collation (which sorts ``a_b`` before ``a-b``
before ``a0``, and ``aaaa`` before ``AAAA``). On the servers each session is
five hours west of UTC and at READ COMMITTED, so that the export's snapshot
must be bakery_io's own doing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Dialect, Engine, insert, inspect, make_url, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable

from bakery_io import (
    REGISTRY,
    EntityCounts,
    Progress,
    create_schema,
    dump_all,
    engine_from_url,
    load_all,
)
from bakery_io.binding.models import metadata
from tests.conftest import BACKENDS, database_url

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

Record = dict[str, Any]
Sections = dict[str, list[Record]]


def directory_files(path: Path) -> dict[str, bytes]:
    return {entry.name: entry.read_bytes() for entry in sorted(path.iterdir())}


def write_document(path: Path, sections: Sections) -> Path:
    document = {"version": "1.1", "exported_at": "2026-11-22T09:30:00Z", **sections}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def records_of(backup: Path, entity_type: str) -> list[Record]:
    content = json.loads((backup / REGISTRY[entity_type].filename).read_text(encoding="utf-8"))
    found: list[Record] = content["records"]
    return found


# ---------------------------------------------------------------------------
# SQLite → PostgreSQL → MariaDB → SQLite.


def _server(*kinds: str) -> str | None:
    """The first URL of BAKERY_IO_TEST_URLS for one of ``kinds``."""
    return next((url for url in BACKENDS[1:] if make_url(url).get_backend_name() in kinds), None)


def test_a_backup_passes_through_every_backend_byte_for_byte(
    sample_dump: Path, tmp_path: Path
) -> None:
    """The sample's backup (from SQLite), loaded into PostgreSQL, dumped, loaded into
    MariaDB, dumped, loaded into SQLite, dumped: every backup has the first's bytes.

    The manifest is compared too. It holds the format version, the export date,
    the producer (``bakery_io <version>``: not the database or its URL) and, per
    file, name, record count, sha256 and dependencies. The export date is the
    ``exported_at`` each dump is given, here the first backup's own, so nothing
    is left that may differ: a difference anywhere is a value some backend changed.
    """
    postgresql = _server("postgresql")
    mysql = _server("mysql", "mariadb")
    if postgresql is None or mysql is None:
        pytest.skip("needs a PostgreSQL and a MySQL/MariaDB URL in BAKERY_IO_TEST_URLS")
    first = directory_files(sample_dump)
    manifest = json.loads(first["manifest.json"])
    exported_at = datetime.fromisoformat(manifest["export_date"])
    records = sum(entry["record_count"] for entry in manifest["files"])
    source = sample_dump
    for step, backend in enumerate([postgresql, mysql, "sqlite"], start=1):
        target = tmp_path / f"backup{step}"
        with database_url(backend, tmp_path, f"step{step}") as url:
            engine = engine_from_url(url)
            try:
                create_schema(engine)
                report = load_all(engine, source)
                dump_all(engine, target, exported_at=exported_at)
            finally:
                engine.dispose()
        kind = "sqlite" if backend == "sqlite" else make_url(backend).get_backend_name()
        assert report.total == EntityCounts(created=records), kind
        again = directory_files(target)
        assert sorted(again) == sorted(first), kind
        assert [name for name in first if again[name] != first[name]] == [], kind
        source = target


# ---------------------------------------------------------------------------
# The proving ground: edge values in a database of each backend.

#: CREATE DATABASE options for defaults unlike bakery_io's (see the module docstring).
UNLIKE_DEFAULTS = {
    "mysql": " CHARACTER SET latin1 COLLATE latin1_swedish_ci",
    "mariadb": " CHARACTER SET latin1 COLLATE latin1_swedish_ci",
    "postgresql": " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'",
}

#: Engine options: sessions five hours west of UTC, at READ COMMITTED.
SESSION_OPTIONS: dict[str, dict[str, Any]] = {
    kind: {"connect_args": connect_args, "isolation_level": "READ COMMITTED"}
    for kind, connect_args in [
        ("mysql", {"init_command": "SET time_zone = '-05:00'"}),
        ("mariadb", {"init_command": "SET time_zone = '-05:00'"}),
        ("postgresql", {"options": "-c TimeZone=America/New_York"}),
    ]
}

LARGEST_UUID = "c0ffee00-beef-4bad-8a11-0123456789ab"
SMALLEST_UUID = "c0ffee00-beef-4bad-8a11-0123456789ac"
LARGEST = "9999999999.9999"  # NUMERIC(14, 4), the widest column
SMALLEST = "0.0001"
# Combining accent (not normalized to é), ZWJ sequence, flag, CJK beyond the BMP, RTL.
MIXED_TEXT = "Bäckerin 👩\u200d🍳 cafe\u0301 🇩🇪 𠜎 蜂蜜 مرحبا — ✅"
FULL_NAME = "🍯" * 200  # String(200): 200 characters, 800 bytes of UTF-8
CODE_POINT_ORDER = ["a-b", "a0", "a_b", "ab"]  # '-' < '0' < '_' < 'b'


def category(slug: str, name: str) -> Record:
    return {"slug": slug, "name": name}


def material_purchase(uuid: str, units_added: str, notes: str | None = None) -> Record:
    return {
        "uuid": uuid,
        "material_product_slug": "largest",
        "supplier_slug": "honig",
        "purchase_date": "2026-11-20",
        "packages_purchased": 1,
        "package_price": "999999.9999",
        "units_added": units_added,
        "unit_cost": SMALLEST,
        "notes": notes,
    }


def material_product(slug: str, quantity: str) -> Record:
    return {
        "slug": slug,
        "material_slug": "ribbon",
        "supplier_slug": "honig",
        "name": slug.title(),
        "package_quantity": "1.0000",
        "package_unit": "roll",
        "quantity_in_base_units": quantity,
    }


EDGES: Sections = {
    "suppliers": [
        {
            "slug": "honig",
            "name": "Honig & Söhne 🍯🐝",
            "supplier_type": "online",
            "notes": MIXED_TEXT,
            "created_at": "1000-01-01T00:00:00.000001Z",
            "updated_at": "9999-12-31T23:59:59.999999Z",
        },
        {
            "slug": "jars",
            "name": FULL_NAME,
            "supplier_type": "online",
            "created_at": "2026-03-01T09:30:00.000001+01:00",
            "updated_at": "2026-07-01T23:59:59.5-04:00",
        },
    ],
    "material_categories": [category(slug, f"Category {slug}") for slug in CODE_POINT_ORDER[::-1]],
    "material_subcategories": [
        {"slug": "ribbons", "category_slug": "ab", "name": "Ribbons"},
    ],
    "materials": [
        {
            "slug": "ribbon",
            "subcategory_slug": "ribbons",
            "name": "Ribbon",
            "base_unit_type": "linear_cm",
        }
    ],
    "material_products": [
        material_product("largest", LARGEST),
        material_product("smallest", SMALLEST),
    ],
    "material_purchases": [
        material_purchase(LARGEST_UUID, LARGEST),
        material_purchase(SMALLEST_UUID, SMALLEST),
    ],
}


@dataclass(frozen=True)
class Ground:
    engine: Engine
    backup: Path  # EDGES as dump_all wrote them from this backend


@pytest.fixture(scope="module")
def ground(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ground]:
    directory = tmp_path_factory.mktemp("ground")
    with database_url(backend, directory, "ground", UNLIKE_DEFAULTS) as url:
        kind = make_url(url).get_backend_name()
        engine = engine_from_url(url, **SESSION_OPTIONS.get(kind, {}))
        try:
            if kind == "sqlite":
                # Readers and a writer at once, as on the servers (for the snapshot test);
                # in SQLite's default journal mode the writer would wait for the reader.
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            create_schema(engine)
            report = load_all(engine, write_document(directory / "edges.json", EDGES))
            assert report.total == EntityCounts(created=sum(map(len, EDGES.values())))
            dump_all(engine, directory / "backup", exported_at=EXPORTED_AT)
            yield Ground(engine, directory / "backup")
        finally:
            engine.dispose()


def rows(engine: Engine, statement: str) -> dict[Any, Any]:
    """The first column of each row to the second, read with plain SQL (no bakery_io types)."""
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(text(statement))}


def test_decimals_keep_every_digit(ground: Ground) -> None:
    """The largest value of the widest column and the smallest nonzero one, exactly."""
    expected_products = {"largest": LARGEST, "smallest": SMALLEST}
    expected_purchases = {LARGEST_UUID: LARGEST, SMALLEST_UUID: SMALLEST}
    products = metadata.tables["material_products"]
    purchases = metadata.tables["material_purchases"]
    with ground.engine.connect() as connection:
        typed = dict(
            connection.execute(select(products.c.slug, products.c.quantity_in_base_units)).all()
        )
        typed_purchases = dict(
            connection.execute(select(purchases.c.uuid, purchases.c.units_added)).all()
        )
    assert {key: str(value) for key, value in typed.items()} == expected_products
    assert {key: str(value) for key, value in typed_purchases.items()} == expected_purchases
    # What the database itself holds (SQLite: a double, whose shortest repr is exact).
    raw = rows(ground.engine, "SELECT slug, quantity_in_base_units FROM material_products")
    assert {key: Decimal(str(value)) for key, value in raw.items()} == {
        key: Decimal(value) for key, value in expected_products.items()
    }
    dumped = records_of(ground.backup, "material_products")
    assert {r["slug"]: r["quantity_in_base_units"] for r in dumped} == expected_products
    dumped = records_of(ground.backup, "material_purchases")
    assert {r["uuid"]: r["units_added"] for r in dumped} == expected_purchases
    assert {r["unit_cost"] for r in dumped} == {SMALLEST}


def test_datetimes_keep_microseconds_in_utc(ground: Ground) -> None:
    """Stored as naive UTC whatever the session's zone; written back in UTC to the microsecond."""
    expected = {
        "honig": ("1000-01-01T00:00:00.000001Z", "9999-12-31T23:59:59.999999Z"),
        "jars": ("2026-03-01T08:30:00.000001Z", "2026-07-02T03:59:59.500000Z"),
    }
    dumped = records_of(ground.backup, "suppliers")
    assert {r["slug"]: (r["created_at"], r["updated_at"]) for r in dumped} == expected
    suppliers = metadata.tables["suppliers"]
    with ground.engine.connect() as connection:
        typed = connection.execute(
            select(suppliers.c.slug, suppliers.c.created_at, suppliers.c.updated_at)
        ).all()
    assert {slug: (created, updated) for slug, created, updated in typed} == {
        slug: tuple(datetime.fromisoformat(moment) for moment in moments)
        for slug, moments in expected.items()
    }
    assert all(created.tzinfo is UTC for _slug, created, _updated in typed)
    # The column holds the UTC wall time ("YYYY-MM-DD HH:MM:SS.ffffff" is also SQLite's text).
    raw = rows(ground.engine, "SELECT slug, created_at FROM suppliers")
    assert {slug: str(value) for slug, value in raw.items()} == {
        "honig": "1000-01-01 00:00:00.000001",
        "jars": "2026-03-01 08:30:00.000001",
    }


def test_text_keeps_every_character(ground: Ground) -> None:
    """4-byte UTF-8 in names and notes, unnormalized; a name of 200 emoji fills String(200)."""
    expected = {
        record["slug"]: (record["name"], record.get("notes")) for record in EDGES["suppliers"]
    }
    suppliers = metadata.tables["suppliers"]
    with ground.engine.connect() as connection:
        stored = connection.execute(
            select(suppliers.c.slug, suppliers.c.name, suppliers.c.notes)
        ).all()
    assert {slug: (name, notes) for slug, name, notes in stored} == expected
    dumped = records_of(ground.backup, "suppliers")
    assert {r["slug"]: (r["name"], r["notes"]) for r in dumped} == expected
    assert len(FULL_NAME.encode()) == 800


def test_keys_sort_by_code_point(ground: Ground) -> None:
    """Whatever the database's collation: '-' < '0' < '_' < 'b' (case: see below)."""
    slugs = [r["slug"] for r in records_of(ground.backup, "material_categories")]
    assert slugs == CODE_POINT_ORDER


def test_keys_differing_only_in_case_are_different_records(ground: Ground, tmp_path: Path) -> None:
    """Neither a unique value nor a key matches a row whose spelling differs in case,
    and an export sorts them by code point: upper case first."""
    lower = "decaf000-0000-4000-8000-00000000abcd"
    upper = lower.upper()
    first = {
        "material_categories": [category("case-upper", "Satin")],
        "material_purchases": [material_purchase(lower, "1.0000", notes="lower")],
    }
    report = load_all(ground.engine, write_document(tmp_path / "first.json", first))
    assert report.total == EntityCounts(created=2)
    # A name that must be unique, and a uuid, each taken by a row in another case.
    second = {
        "material_categories": [category("case-lower", "satin")],
        "material_purchases": [material_purchase(upper, "2.0000", notes="upper")],
    }
    report = load_all(ground.engine, write_document(tmp_path / "second.json", second))
    assert report.total == EntityCounts(created=2)
    assert report.conflicts == ()
    # An update by the upper-case key changes that row and no other.
    third = {"material_purchases": [material_purchase(upper, "2.0000", notes="changed")]}
    source = write_document(tmp_path / "third.json", third)
    report = load_all(ground.engine, source, on_conflict="update")
    assert report.counts["material_purchases"] == EntityCounts(updated=1)
    purchases = rows(
        ground.engine,
        f"SELECT uuid, notes FROM material_purchases WHERE uuid IN ('{lower}', '{upper}')",
    )
    assert purchases == {lower: "lower", upper: "changed"}
    categories = rows(
        ground.engine, "SELECT slug, name FROM material_categories WHERE slug LIKE 'case-%'"
    )
    assert categories == {"case-upper": "Satin", "case-lower": "satin"}
    dump_all(ground.engine, tmp_path / "purchases.json", entities=["material_purchases"])
    dumped = json.loads((tmp_path / "purchases.json").read_text(encoding="utf-8"))
    uuids = [record["uuid"] for record in dumped["material_purchases"]]
    assert uuids == [upper, LARGEST_UUID, SMALLEST_UUID, lower]  # 'D' < 'c' < 'd'


def check_constraint_names(dialect: Dialect) -> dict[str, set[str]]:
    """Table name -> names of the CHECK constraints its CREATE TABLE has on ``dialect``."""
    return {
        table.name: set(
            re.findall(
                r'CONSTRAINT [`"]?(\w+)[`"]? CHECK',
                str(CreateTable(table).compile(dialect=dialect)),
            )
        )
        for table in metadata.sorted_tables
    }


def test_every_check_constraint_is_in_the_database(ground: Ground) -> None:
    """A server that parses CHECK and drops it (MySQL before 8.0.16 did) would fail here."""
    declared = check_constraint_names(ground.engine.dialect)
    assert sum(map(len, declared.values())) > 80
    inspector = inspect(ground.engine)
    found = {
        name: {str(check["name"]) for check in inspector.get_check_constraints(name)}
        for name in declared
    }
    assert found == declared


PROBE_SUPPLIER: Record = {
    "uuid": "00000000-0000-4000-8000-000000000001",
    "slug": "probe",
    "name": "Probe",
    "supplier_type": "online",
    "city": None,
    "state": None,
    "is_active": True,
    "created_at": "2026-01-01 00:00:00",
    "updated_at": "2026-01-01 00:00:00",
}


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param({}, None, id="valid"),
        pytest.param({"slug": "Probe"}, "ck_suppliers_slug_rule", id="upper-case-slug"),
        pytest.param({"slug": "probé"}, "ck_suppliers_slug_rule", id="accented-slug"),
        pytest.param({"state": "ny"}, "ck_suppliers_state_code", id="lower-case-state"),
        pytest.param({"supplier_type": "Online"}, "ck_suppliers_supplier_type", id="enum-case"),
        pytest.param(
            {"supplier_type": "physical"}, "ck_suppliers_physical_city", id="physical-no-city"
        ),
    ],
)
def test_the_database_refuses_an_insert_that_breaks_a_check(
    ground: Ground, change: Record, rule: str | None
) -> None:
    """Plain INSERTs, past bakery_io: the case-sensitive rules hold under any database default."""
    values = {**PROBE_SUPPLIER, **change}
    names = ", ".join(values)
    statement = text(f"INSERT INTO suppliers ({names}) VALUES (:{', :'.join(values)})")
    with ground.engine.connect() as connection:
        transaction = connection.begin()
        try:
            if rule is None:
                connection.execute(statement, values)  # the probe itself is fine
                return
            with pytest.raises(DBAPIError) as failure:
                connection.execute(statement, values)
        finally:
            transaction.rollback()
    assert re.search(rule, str(failure.value.orig)), failure.value.orig


def test_a_dump_sees_nothing_committed_while_it_runs(ground: Ground, tmp_path: Path) -> None:
    """Rows another connection commits between two entity types are not in the backup."""
    categories = metadata.tables["material_categories"]
    products = metadata.tables["material_products"]
    entities = ["suppliers", "material_categories", "material_products"]
    largest = products.c.slug == "largest"
    with ground.engine.connect() as connection:
        updated_at = connection.execute(select(products.c.updated_at).where(largest)).scalar_one()
    dump_all(ground.engine, tmp_path / "before", entities=entities, exported_at=EXPORTED_AT)
    committed: list[int] = []

    def commit_elsewhere(event: Progress) -> None:
        # Suppliers are written; categories and products not yet read.
        if event.entity_type == "material_categories" and not committed:
            with ground.engine.begin() as other:
                other.execute(insert(categories).values(slug="late", name="Late"))
                other.execute(update(products).where(largest).values(notes="late"))
            committed.append(1)

    try:
        dump_all(
            ground.engine,
            tmp_path / "during",
            entities=entities,
            exported_at=EXPORTED_AT,
            progress=commit_elsewhere,
        )
        dump_all(ground.engine, tmp_path / "after", entities=entities, exported_at=EXPORTED_AT)
    finally:  # the proving ground as it was
        with ground.engine.begin() as connection:
            connection.execute(categories.delete().where(categories.c.slug == "late"))
            connection.execute(
                update(products).where(largest).values(notes=None, updated_at=updated_at)
            )
    assert committed == [1]
    assert directory_files(tmp_path / "during") == directory_files(tmp_path / "before")
    # The changes were committed: an export after them has them.
    after = tmp_path / "after"
    assert "late" in [r["slug"] for r in records_of(after, "material_categories")]
    assert {r["slug"]: r["notes"] for r in records_of(after, "material_products")}["largest"] == (
        "late"
    )
