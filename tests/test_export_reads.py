"""What the export reads: every stored value is written exactly as found, or the export
stops with a DatabaseStateError naming the table, the column and the record.

Rows are changed with raw SQL inside a connection's transaction, the export reads
in that transaction, and the change is rolled back: the shared sample stays as it
was. What a backend cannot hold is tested on the backends that can.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from bakery_io import (
    DatabaseStateError,
    UsageError,
    create_schema,
    dump_all,
    engine_from_url,
    generate_sample,
    load_all,
    queries,
)
from bakery_io.queries import read_records
from bakery_io.registry import REGISTRY

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

#: The first purchase and the first production consumption, by id.
PURCHASE = "SELECT uuid, id FROM purchases ORDER BY id LIMIT 1"
CONSUMPTION = (
    "SELECT r.uuid, c.id FROM production_consumptions c "
    "JOIN production_runs r ON r.id = c.production_run_id ORDER BY c.id LIMIT 1"
)
SUPPLIER = "SELECT slug, id FROM suppliers ORDER BY id LIMIT 1"
EVENT = "SELECT slug, id FROM events ORDER BY id LIMIT 1"


@contextmanager
def changed(engine: Engine, *statements: str, row: Any) -> Iterator[Connection]:
    """A connection whose transaction ran ``statements`` (with ``:row``); rolled back after.

    CHECK constraints are off meanwhile, as for software that wrote around them.
    """
    backend = engine.dialect.name
    with engine.connect() as connection:
        if backend == "sqlite":
            connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        elif backend in ("mysql", "mariadb"):
            connection.exec_driver_sql("SET SESSION check_constraint_checks = 0")
        try:
            for statement in statements:
                connection.execute(text(statement), {"row": row})
            yield connection
        finally:
            connection.rollback()
            if backend == "sqlite":
                connection.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
            elif backend in ("mysql", "mariadb"):
                connection.exec_driver_sql("SET SESSION check_constraint_checks = 1")


def first(engine: Engine, query: str) -> tuple[Any, Any]:
    """(natural key, id) of the row ``query`` selects."""
    with engine.connect() as connection:
        key, row = connection.execute(text(query)).one()
    return key, row


def records(directory: Path, entity_type: str) -> list[dict[str, Any]]:
    """The records of ``entity_type`` in the backup directory, as parsed JSON."""
    (path,) = directory.glob(f"*_{entity_type}.json")
    found: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["records"]
    return found


def files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its bytes."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def by_key(directory: Path, entity_type: str, field: str, key: Any) -> dict[str, Any]:
    """The record of ``entity_type`` whose ``field`` is ``key``."""
    (record,) = [item for item in records(directory, entity_type) if item[field] == key]
    return record


# ---------------------------------------------------------------------------
# Written as found


def test_a_decimal_with_more_places_than_its_column_is_written_exactly(
    sample_engine: Engine, tmp_path: Path
) -> None:
    if sample_engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps more places than a NUMERIC column's scale")
    key, row = first(sample_engine, PURCHASE)
    run, child = first(sample_engine, CONSUMPTION)
    with changed(
        sample_engine,
        "UPDATE purchases SET unit_price = 1.23456 WHERE id = :row",
        f"UPDATE production_consumptions SET total_cost = 0.123456789 WHERE id = {child}",
        row=row,
    ) as connection:
        dump_all(connection, tmp_path / "backup", entities=["purchases", "production_runs"])
    assert by_key(tmp_path / "backup", "purchases", "uuid", key)["unit_price"] == "1.23456"
    consumptions = by_key(tmp_path / "backup", "production_runs", "uuid", run)["consumptions"]
    assert "0.123456789" in [item["total_cost"] for item in consumptions]


def test_a_decimal_too_wide_for_its_column_is_written_exactly_and_short_ones_padded(
    sample_engine: Engine, tmp_path: Path
) -> None:
    if sample_engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps more digits than a NUMERIC column's precision")
    key, row = first(sample_engine, PURCHASE)
    with changed(
        sample_engine,
        "UPDATE purchases SET unit_price = 123456789.5, quantity_purchased = 2 WHERE id = :row",
        "UPDATE purchases SET unit_price = 4.25 WHERE id = :row + 1",
        row=row,
    ) as connection:
        dump_all(connection, tmp_path / "backup", entities=["purchases"])
        next_key = connection.execute(
            text("SELECT uuid FROM purchases WHERE id = :row + 1"), {"row": row}
        ).scalar_one()
    assert by_key(tmp_path / "backup", "purchases", "uuid", key)["unit_price"] == "123456789.5000"
    assert by_key(tmp_path / "backup", "purchases", "uuid", next_key)["unit_price"] == "4.2500"


def test_a_boolean_column_holding_another_number_is_written_as_found(
    sample_engine: Engine, tmp_path: Path
) -> None:
    if sample_engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's boolean holds true and false only")
    key, row = first(sample_engine, SUPPLIER)
    with changed(
        sample_engine, "UPDATE suppliers SET is_active = 2 WHERE id = :row", row=row
    ) as connection:
        dump_all(connection, tmp_path / "backup", entities=["suppliers"])
    written = records(tmp_path / "backup", "suppliers")
    assert by_key(tmp_path / "backup", "suppliers", "slug", key)["is_active"] == 2
    # The others are still the JSON booleans.
    assert {type(item["is_active"]) for item in written if item["slug"] != key} == {bool}


def test_sqlite_type_affinity_values_are_written_as_found(
    sample_engine: Engine, tmp_path: Path
) -> None:
    if sample_engine.dialect.name != "sqlite":
        pytest.skip("type affinity is SQLite's")
    key, row = first(sample_engine, PURCHASE)
    with changed(
        sample_engine,
        "UPDATE purchases SET quantity_purchased = 1.5, notes = 42 WHERE id = :row",
        "UPDATE purchases SET quantity_purchased = 'several' WHERE id = :row + 1",
        row=row,
    ) as connection:
        dump_all(connection, tmp_path / "backup", entities=["purchases"])
        other = connection.execute(
            text("SELECT uuid FROM purchases WHERE id = :row + 1"), {"row": row}
        ).scalar_one()
    record = by_key(tmp_path / "backup", "purchases", "uuid", key)
    # A REAL in an INTEGER column stays the float; an INTEGER in a TEXT column became
    # text when stored (affinity), and is written as that text.
    assert (record["quantity_purchased"], record["notes"]) == (1.5, "42")
    assert by_key(tmp_path / "backup", "purchases", "uuid", other)["quantity_purchased"] == (
        "several"
    )


# ---------------------------------------------------------------------------
# Refused, naming the table, the column and the record

#: (backend, case id, query for (key, row id), change, entity type, where the message says)
UNREADABLE = [
    (
        "sqlite",
        "impossible date",
        PURCHASE,
        "UPDATE purchases SET purchase_date = '2026-02-30' WHERE id = :row",
        "purchases",
        "purchases.purchase_date",
    ),
    (
        "sqlite",
        "datetime that is no datetime",
        PURCHASE,
        "UPDATE purchases SET created_at = 'yesterday' WHERE id = :row",
        "purchases",
        "purchases.created_at",
    ),
    (
        "sqlite",
        "text not UTF-8",
        SUPPLIER,
        "UPDATE suppliers SET name = CAST(x'ff41' AS TEXT) WHERE id = :row",
        "suppliers",
        "suppliers.name",
    ),
    (
        "sqlite",
        "a date stored as a number",
        PURCHASE,
        "UPDATE purchases SET purchase_date = 20260101 WHERE id = :row",
        "purchases",
        "purchases.purchase_date",
    ),
    (
        "sqlite",
        "text in a NUMERIC column",
        PURCHASE,
        "UPDATE purchases SET unit_price = 'abc' WHERE id = :row",
        "purchases",
        "purchases.unit_price",
    ),
    (
        "sqlite",
        "a child's value",
        CONSUMPTION,
        "UPDATE production_consumptions SET total_cost = 'abc' WHERE id = :row",
        "production_runs",
        "(production_consumptions id {row}): production_consumptions.total_cost",
    ),
    (
        "postgresql",
        "year 10000",
        PURCHASE,
        "UPDATE purchases SET purchase_date = '10000-01-01' WHERE id = :row",
        "purchases",
        "purchases.purchase_date",
    ),
    (
        "postgresql",
        "a date BC",
        PURCHASE,
        "UPDATE purchases SET purchase_date = '0044-03-15 BC' WHERE id = :row",
        "purchases",
        "purchases.purchase_date",
    ),
    (
        "postgresql",
        "a timestamp in year 10000",
        PURCHASE,
        "UPDATE purchases SET created_at = '10000-01-01 00:00' WHERE id = :row",
        "purchases",
        "purchases.created_at",
    ),
    (
        "mysql",
        "a zero datetime",
        PURCHASE,
        "UPDATE purchases SET created_at = '0000-00-00 00:00:00' WHERE id = :row",
        "purchases",
        "purchases.created_at",
    ),
]


@pytest.mark.parametrize("case", UNREADABLE, ids=[f"{case[0]}-{case[1]}" for case in UNREADABLE])
def test_a_value_that_cannot_be_read_names_table_column_and_record(
    sample_engine: Engine, tmp_path: Path, case: tuple[str, ...]
) -> None:
    backend_name, _name, query, change, entity_type, where = case
    if sample_engine.dialect.name.replace("mariadb", "mysql") != backend_name:
        pytest.skip(f"a {backend_name} case")
    key, row = first(sample_engine, query)
    with (
        changed(sample_engine, change, row=row) as connection,
        pytest.raises(DatabaseStateError) as caught,
    ):
        dump_all(connection, tmp_path / "backup", entities=[entity_type])
    message = str(caught.value)
    assert message.startswith(f"{entity_type} '{key}' cannot be exported: ")
    assert where.format(row=row) in message
    assert "cannot be read" in message
    assert caught.value.reason == "unreadable value"
    assert caught.value.tables[0] == entity_type
    assert caught.value.url == sample_engine.url.render_as_string(hide_password=True)
    assert not (tmp_path / "backup").exists()


def _blob(column: str, query: str, entity_type: str) -> tuple[str, str, str, str, str, str]:
    """The case of a BLOB in ``column`` of the first row of ``entity_type``."""
    change = f"UPDATE {entity_type} SET {column} = x'6162' WHERE id = :row"
    return (column, query, change, entity_type, f"{entity_type}.{column}", "bytes (a BLOB)")


#: (id, query for (key, row id), change, entity type, where the message says, its cause)
UNWRITABLE = [
    _blob("name", SUPPLIER, "suppliers"),  # text: not decoded silently
    _blob("is_active", SUPPLIER, "suppliers"),
    _blob("quantity_purchased", PURCHASE, "purchases"),
    # After fields that SQLite gives as their wire text (purchase_date, unit_price),
    # which are not to blame.
    _blob("notes", PURCHASE, "purchases"),
    _blob("output_mode", EVENT, "events"),
    (
        "infinite",
        PURCHASE,
        "UPDATE purchases SET unit_price = 9e999 WHERE id = :row",
        "purchases",
        "purchases.unit_price",
        "Infinity is not a finite decimal",
    ),
    (
        "infinite-child",
        CONSUMPTION,
        "UPDATE production_consumptions SET total_cost = -9e999 WHERE id = :row",
        "production_runs",
        "(production_consumptions.total_cost)",
        "Infinity is not a finite decimal",
    ),
]


@pytest.mark.parametrize("case", UNWRITABLE, ids=[case[0] for case in UNWRITABLE])
def test_a_value_that_cannot_be_written_names_table_column_and_record(
    sample_engine: Engine, tmp_path: Path, case: tuple[str, str, str, str, str, str]
) -> None:
    _id, query, change, entity_type, where, cause = case
    if sample_engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps a BLOB, or an infinite REAL, in a column of another type")
    key, row = first(sample_engine, query)
    with (
        changed(sample_engine, change, row=row) as connection,
        pytest.raises(DatabaseStateError) as caught,
    ):
        dump_all(connection, tmp_path / "backup", entities=[entity_type])
    message = str(caught.value)
    assert message.startswith(f"{entity_type} '{key}' cannot be exported: ")
    assert f"{where} holds " in message
    assert cause in message
    assert caught.value.reason == "unexportable value"
    assert caught.value.url == sample_engine.url.render_as_string(hide_password=True)


#: A value no reading takes, by backend: the export must name its record.
UNREADABLE_BY_BACKEND = {
    "sqlite": ("purchase_date = '2026-02-30'", "purchases.purchase_date"),
    "postgresql": ("created_at = 'infinity'", "purchases.created_at"),
    "mysql": ("created_at = '0000-00-00 00:00:00'", "purchases.created_at"),
}


def test_a_value_that_cannot_be_read_after_the_first_chunks_names_its_record(
    sample_engine: Engine,
) -> None:
    # Read in one query where the database can (SQLite, PostgreSQL), the records before
    # the broken one still come, in order, and the error names it as the first would.
    purchases = REGISTRY["purchases"]
    change, where = UNREADABLE_BY_BACKEND[sample_engine.dialect.name.replace("mariadb", "mysql")]
    with sample_engine.connect() as connection:
        expected = next(read_records(connection, purchases, chunk_size=14))
    key, row = first(
        sample_engine, "SELECT uuid, id FROM purchases ORDER BY uuid LIMIT 1 OFFSET 20"
    )
    statement = f"UPDATE purchases SET {change} WHERE id = :row"
    with changed(sample_engine, statement, row=row) as connection:
        chunks = read_records(connection, purchases, chunk_size=7)
        read = [*next(chunks), *next(chunks)]
        with pytest.raises(DatabaseStateError) as caught:
            next(chunks)
    assert read == expected
    assert f"purchases '{key}' cannot be exported: {where}" in str(caught.value)
    assert caught.value.reason == "unreadable value"


# psycopg's server-side cursor warns (ResourceWarning, silent by default) when it goes
# unclosed: closing it would query a connection that is back in the pool.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_reader_abandoned_open_is_finalised_quietly_after_its_connection_closed(
    sample_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # An error's traceback may keep a reader alive until after its connection closed:
    # its cursor went with the connection, and nothing is logged when it goes.
    engine = engine_from_url(sample_engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        chunks = read_records(connection, REGISTRY["purchases"], chunk_size=2)
        assert len(next(chunks)) == 2
    engine.dispose()
    with caplog.at_level(logging.DEBUG):
        del chunks
        gc.collect()
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", ["production_runs", "material_units", "recipes", "purchases"])
def test_records_read_in_one_query_or_a_query_per_chunk_are_the_same(
    sample_engine: Engine, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    entity = REGISTRY[name]

    def read() -> list[list[dict[str, Any]]]:
        with sample_engine.connect() as connection:
            return list(read_records(connection, entity, chunk_size=9))

    as_usual = read()
    monkeypatch.setattr(queries, "_streams", lambda connection: False)
    by_key = read()
    assert as_usual == by_key
    assert len(by_key) > 2


def test_a_key_that_cannot_be_read_names_the_row_id(sample_engine: Engine, tmp_path: Path) -> None:
    if sample_engine.dialect.name != "sqlite":
        pytest.skip("only SQLite keeps text that is not UTF-8")
    _key, row = first(sample_engine, SUPPLIER)
    with (
        changed(
            sample_engine,
            "UPDATE suppliers SET slug = CAST(x'ff41' AS TEXT) WHERE id = :row",
            row=row,
        ) as connection,
        pytest.raises(DatabaseStateError) as caught,
    ):
        dump_all(connection, tmp_path / "backup", entities=["suppliers"])
    assert str(caught.value).startswith(
        f"suppliers with id {row} (its key cannot be read either) cannot be exported: "
        "suppliers.slug holds a value that cannot be read"
    )


def test_a_date_the_driver_gives_as_text_names_table_column_and_record(
    sample_engine: Engine, tmp_path: Path
) -> None:
    if sample_engine.dialect.name not in ("mysql", "mariadb"):
        pytest.skip("MariaDB keeps zero dates, which its driver gives as text")
    key, row = first(sample_engine, PURCHASE)
    with (
        changed(
            sample_engine,
            "UPDATE purchases SET purchase_date = '0000-00-00' WHERE id = :row",
            row=row,
        ) as connection,
        pytest.raises(DatabaseStateError) as caught,
    ):
        dump_all(connection, tmp_path / "backup", entities=["purchases"])
    assert str(caught.value).startswith(
        f"purchases '{key}' cannot be exported: purchases.purchase_date holds a value"
    )
    assert "'0000-00-00' is not a date" in str(caught.value)


# ---------------------------------------------------------------------------
# aiosqlite: an async engine's sync side, as AsyncConnection.run_sync gives it


def test_an_aiosqlite_engine_works_through_run_sync(tmp_path: Path) -> None:
    pytest.importorskip("aiosqlite")
    pytest.importorskip("greenlet")
    from sqlalchemy.ext.asyncio import create_async_engine  # importing it needs greenlet

    async def main() -> None:
        source = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'source.db'}")
        async with source.connect() as connection:
            await connection.run_sync(generate_sample, scale=0)
            await connection.commit()
            await connection.run_sync(dump_all, tmp_path / "backup", exported_at=EXPORTED_AT)
        target = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'target.db'}")
        async with target.connect() as connection:
            await connection.run_sync(create_schema)
            await connection.run_sync(load_all, tmp_path / "backup")
            await connection.commit()
        await source.dispose()
        await target.dispose()

    asyncio.run(main())
    engine = engine_from_url(f"sqlite:///{tmp_path / 'target.db'}")
    dump_all(engine, tmp_path / "again", exported_at=EXPORTED_AT)
    engine.dispose()
    assert files(tmp_path / "again") == files(tmp_path / "backup")
    assert len(files(tmp_path / "backup")) > 10


def test_an_asyncio_driver_url_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("aiosqlite")
    with pytest.raises(UsageError, match="asyncio driver"):
        engine_from_url(f"sqlite+aiosqlite:///{tmp_path / 'async.db'}")


def test_an_aiosqlite_sync_engine_outside_run_sync_is_a_usage_error(tmp_path: Path) -> None:
    pytest.importorskip("aiosqlite")
    pytest.importorskip("greenlet")
    from sqlalchemy.ext.asyncio import create_async_engine  # importing it needs greenlet

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'async.db'}")
    with pytest.raises(UsageError, match="run_sync"):
        dump_all(engine.sync_engine, tmp_path / "backup")
    asyncio.run(engine.dispose())
    assert not (tmp_path / "backup").exists()
