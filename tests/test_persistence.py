"""``persistence.Writer`` hands the driver exactly what SQLAlchemy's own executemany would
(or, through COPY, the same values in the same order)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, ColumnDefault, Connection, Engine, event, insert, select

from bakery_io import (
    SourceError,
    create_schema,
    dump_all,
    engine_from_url,
    generate_sample,
    load_all,
    persistence,
)
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import metadata
from bakery_io.persistence import Writer
from bakery_io.queries import CHUNK_SIZE
from bakery_io.registry import REGISTRY
from tests.conftest import database_url
from tests.hosts.acme import ACME_REGISTRY, Vendor


class _Captured(Exception):  # noqa: N818 (a signal: stop before the driver runs anything)
    pass


def _sent(connection: Connection, run: Callable[[], object]) -> tuple[str, Any]:
    """The statement and parameters ``run`` gives the driver (which then runs nothing)."""
    captured: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        _conn, _cursor, statement, parameters, _context, _many = args
        captured.append((statement, parameters))
        raise _Captured

    event.listen(connection, "before_cursor_execute", capture)
    try:
        with pytest.raises(_Captured):
            run()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    (found,) = captured
    return found


def _sends(
    connection: Connection,
    writer: Writer,
    statement: Any,
    built: list[Any],
    expected: tuple[str, Any],
) -> None:
    """``writer`` sends ``built`` as SQLAlchemy sent ``expected``: the same statement and
    parameters, or through COPY the same values in the INSERT's column order."""
    if statement.copy is None:
        assert _sent(connection, lambda: writer.run(statement, built)) == expected
        return
    sql, parameters = expected
    target = sql.split(" VALUES ")[0].removeprefix("INSERT INTO ")
    assert statement.copy == f"COPY {target} FROM STDIN"
    assert built == [tuple(row.values()) for row in parameters]


#: Each child table's column that holds its parent's row id.
PARENTS = {child.table: child.parent for entity in REGISTRY for child in entity.children}
#: Each table's binding: which field's attribute each column takes its value from.
BINDINGS = {
    **{entity.table: entity.binding for entity in REGISTRY},
    **{child.table: child.binding for entity in REGISTRY for child in entity.children},
}


@pytest.mark.parametrize("table", metadata.sorted_tables, ids=lambda table: table.name)
def test_an_insert_sends_what_sqlalchemy_sends(sample_engine: Engine, table: Any) -> None:
    with sample_engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(select(table))]
        assert rows, f"the sample has no {table.name}"
        for row in rows:
            del row["id"]
        expected = _sent(connection, lambda: connection.execute(insert(table), rows))
        writer = Writer(connection)
        parent = PARENTS.get(table)
        statement = writer.insert(BINDINGS[table], parent)
        if parent is None:
            built = [statement.parameters(row, None) for row in rows]
        else:  # a child's data lacks its parent column, which comes as the parent's id
            built = [
                statement.parameters({**row, parent.key: "unused"}, row[parent.key]) for row in rows
            ]
        _sends(connection, writer, statement, built, expected)


def test_a_column_absent_from_the_data_is_null(sample_engine: Engine) -> None:
    suppliers = metadata.tables["suppliers"]
    given = {"slug": "a", "name": "A"}
    full = {column.key: given.get(column.key) for column in suppliers.columns if column.key != "id"}
    with sample_engine.connect() as connection:
        expected = _sent(connection, lambda: connection.execute(insert(suppliers), [full] * 2))
        writer = Writer(connection)
        statement = writer.insert(BINDINGS[suppliers])
        built = [statement.parameters(given, None)] * 2
        _sends(connection, writer, statement, built, expected)


def _rows_in(engine: Engine, schema: str) -> dict[str, int]:
    """Rows per bakery_io table in ``schema`` of the database of ``engine``."""
    with engine.connect() as connection:
        return {
            table.name: connection.exec_driver_sql(
                f"SELECT count(*) FROM {schema}.{table.name}"
            ).scalar_one()
            for table in metadata.sorted_tables
        }


def test_inserts_follow_the_connection_schema_translate_map(
    sample_dump: Path, tmp_path: Path
) -> None:
    """A load through an engine whose tables live in another schema writes there, as
    Connection.execute would, even where the default schema has the tables too."""
    engine = engine_from_url(f"sqlite:///{tmp_path / 'main.db'}")

    @event.listens_for(engine, "connect")
    def attach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"ATTACH DATABASE '{tmp_path / 'tenant.db'}' AS tenant")

    create_schema(engine)
    tenant = engine.execution_options(schema_translate_map={None: "tenant"})
    create_schema(tenant)
    load_all(tenant, sample_dump)
    sample = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    with sample.connect() as connection:
        expected = count_rows(connection)
    sample.dispose()
    assert _rows_in(engine, "tenant") == expected
    assert set(_rows_in(engine, "main").values()) == {0}
    engine.dispose()


def _stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every bakery_io table, by id."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(select(table).order_by(table.c.id))
            ]
            for table in metadata.sorted_tables
        }


def test_copy_stores_what_the_inserts_store(
    backend: str, sample_dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL through psycopg rows go through COPY; the INSERTs they replace, still
    used by every other driver, store exactly the same rows."""
    if not backend.startswith("postgresql+psycopg:"):
        pytest.skip("COPY is PostgreSQL's through psycopg")
    with database_url(backend, tmp_path, "copied") as url:
        engine = engine_from_url(url)
        with engine.connect() as connection:
            assert Writer(connection).insert(BINDINGS[metadata.tables["suppliers"]]).copy
        create_schema(engine)
        load_all(engine, sample_dump)
        copied = _stored(engine)
        engine.dispose()
    monkeypatch.setattr(persistence, "_copies", lambda _connection: False)
    with database_url(backend, tmp_path, "inserted") as url:
        engine = engine_from_url(url)
        with engine.connect() as connection:
            assert Writer(connection).insert(BINDINGS[metadata.tables["suppliers"]]).copy is None
        create_schema(engine)
        load_all(engine, sample_dump)
        inserted = _stored(engine)
        engine.dispose()
    assert all(copied.values())
    assert copied == inserted


def test_ids_are_drawn_only_from_a_sequence_the_key_owns(
    backend: str, sample_dump: Path, tmp_path: Path
) -> None:
    """Rows copied with ids drawn beforehand need no query for them (a serial key, an
    identity BY DEFAULT); a key numbered otherwise (GENERATED ALWAYS, which refuses a given
    id, or a default from a sequence the column does not own) is left to the database, and
    the load is the same."""
    if not backend.startswith("postgresql+psycopg:"):
        pytest.skip("COPY is PostgreSQL's through psycopg")
    with database_url(backend, tmp_path, "numbered") as url:
        engine = engine_from_url(url)
        create_schema(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "ALTER TABLE suppliers ALTER COLUMN id DROP DEFAULT;"
                " DROP SEQUENCE suppliers_id_seq;"
                " ALTER TABLE suppliers ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;"
                " CREATE SEQUENCE shared_numbers;"
                " ALTER TABLE recipes ALTER COLUMN id SET DEFAULT nextval('shared_numbers');"
                " ALTER TABLE products ALTER COLUMN id DROP DEFAULT;"
                " DROP SEQUENCE products_id_seq;"
                " ALTER TABLE products ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY"
            )
        with engine.connect() as connection:
            writer = Writer(connection)
            assert writer.draw_ids(BINDINGS[metadata.tables["suppliers"]], 2) is None
            assert writer.draw_ids(BINDINGS[metadata.tables["recipes"]], 2) is None
            assert writer.draw_ids(BINDINGS[metadata.tables["ingredients"]], 2) == [1, 2]
            assert writer.draw_ids(BINDINGS[metadata.tables["products"]], 3) == [1, 2, 3]
        load_all(engine, sample_dump)
        stored = _stored(engine)
        engine.dispose()
    sample = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    with sample.connect() as connection:
        expected = count_rows(connection)
    sample.dispose()
    assert {name: len(rows) for name, rows in stored.items()} == expected


def _pairs(engine: Engine, query: str) -> dict[str, str]:
    """The rows of a query of two text columns, as a dict of the first to the second."""
    with engine.connect() as connection:
        return dict(connection.exec_driver_sql(query).all())


def _suppliers_of_purchases(engine: Engine) -> dict[str, str]:
    """Each purchase's uuid with its supplier's slug."""
    return _pairs(
        engine,
        "SELECT p.uuid, s.slug FROM purchases p JOIN suppliers s ON s.id = p.supplier_id",
    )


def test_sqlite_learns_new_ids_from_the_rowids(
    sample_dump: Path, schema_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the ids of new rows are the rowids after the largest one before their
    INSERT (several chunks of purchases included): the rows stored are those stored when
    the ids are asked for by key, and no such query is made."""
    asked = engine_from_url(f"sqlite:///{tmp_path / 'asked.db'}")
    create_schema(asked)
    with monkeypatch.context() as patched:
        patched.setattr(Writer, "_is_rowid", lambda _self, _binding: False)
        load_all(asked, sample_dump)

    def no_query(*_args: Any) -> None:
        raise AssertionError("ids asked for by key")

    monkeypatch.setattr(persistence, "_fetch_ids", no_query)
    numbered = engine_from_url(f"sqlite:///{tmp_path / 'numbered.db'}")
    create_schema(numbered)
    load_all(numbered, sample_dump)
    assert _stored(numbered) == _stored(asked)
    assert len(_stored(numbered)["purchases"]) > CHUNK_SIZE  # chunks after the first
    asked.dispose()
    numbered.dispose()


def test_sqlite_asks_by_key_when_other_rows_come_in_beside_the_new_ones(
    sample_dump: Path, tmp_path: Path
) -> None:
    """A trigger that adds a row for each row the load adds: the rows after the largest
    rowid are not only the load's, so their ids are asked for by key, and every
    reference goes to the right row."""
    engine = engine_from_url(f"sqlite:///{tmp_path / 'triggered.db'}")
    create_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER twin AFTER INSERT ON suppliers WHEN NEW.slug NOT GLOB 'twin-*'"
            " BEGIN INSERT INTO suppliers (uuid, slug, name, supplier_type, is_active,"
            " created_at, updated_at) VALUES (lower(hex(randomblob(16))), 'twin-' || NEW.slug,"
            " NEW.name, 'online', 1, NEW.created_at, NEW.updated_at); END"
        )
    load_all(engine, sample_dump)
    sample = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    expected = _suppliers_of_purchases(sample)
    assert expected
    assert _suppliers_of_purchases(engine) == expected
    with engine.connect() as connection:
        slugs = connection.exec_driver_sql("SELECT slug FROM suppliers").scalars().all()
    with sample.connect() as connection:
        suppliers = connection.exec_driver_sql("SELECT count(*) FROM suppliers").scalar()
    assert len([slug for slug in slugs if slug.startswith("twin-")]) == suppliers
    sample.dispose()
    engine.dispose()


@pytest.mark.parametrize(
    ("declared", "rowid"),
    [
        ("id INTEGER NOT NULL, x TEXT, PRIMARY KEY (id)", True),
        ("id integer PRIMARY KEY AUTOINCREMENT, x TEXT", True),
        ("id INTEGER PRIMARY KEY DESC, x TEXT", False),  # SQLite's exception: no alias
        ("id INTEGER PRIMARY KEY, x TEXT) WITHOUT ROWID --", False),
        ("id BIGINT PRIMARY KEY, x TEXT", False),
        ("id INTEGER, x INTEGER, PRIMARY KEY (id, x)", False),
    ],
)
def test_only_a_key_that_is_sqlites_rowid_is_learnt_from_it(declared: str, rowid: bool) -> None:
    engine = engine_from_url("sqlite://")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE TABLE suppliers ({declared})")
        writer = Writer(connection)
        binding = BINDINGS[metadata.tables["suppliers"]]
        assert (writer.last_rowid(binding) is not None) is rowid
    engine.dispose()


def _savepoints(engine: Engine) -> list[str]:
    """The SAVEPOINT statements run through ``engine`` from now on (a list it fills)."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        statement = args[2]
        if statement.lstrip().upper().startswith("SAVEPOINT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    return seen


def test_a_streamed_load_writes_without_a_savepoint_per_statement(
    backend: str, sample_dump: Path, tmp_path: Path
) -> None:
    """A sound backup is loaded in one savepoint: any refusal rolls it back and the load
    starts again in full, which names the record refused."""
    with database_url(backend, tmp_path, "streamed") as url:
        engine = engine_from_url(url)
        create_schema(engine)
        seen = _savepoints(engine)
        load_all(engine, sample_dump)
        assert len(seen) == 1
        engine.dispose()


def test_a_refusal_of_a_streamed_load_names_its_record_and_keeps_nothing(
    backend: str, sample_dump: Path, tmp_path: Path
) -> None:
    """A constraint of the database that no check of bakery_io knows refuses a purchase
    past the first chunk: the error names that purchase, and no row is kept."""
    purchases = json.loads((sample_dump / "06_purchases.json").read_text())["records"]
    position = CHUNK_SIZE + 7
    refused = purchases[position]["uuid"]
    with database_url(backend, tmp_path, "refusing") as url:
        engine = engine_from_url(url)
        create_schema(engine)
        constraint = (
            f"CREATE TRIGGER not_this BEFORE INSERT ON purchases WHEN NEW.uuid = '{refused}'"
            " BEGIN SELECT RAISE(ABORT, 'not this purchase'); END"
            if backend.startswith("sqlite")
            else f"ALTER TABLE purchases ADD CONSTRAINT ck_not_this CHECK (uuid <> '{refused}')"
        )
        with engine.begin() as connection:
            connection.exec_driver_sql(constraint)
        with pytest.raises(SourceError) as raised:
            load_all(engine, sample_dump)
        (problem,) = raised.value.problems
        assert (problem.file, problem.pointer, problem.record, problem.key) == (
            "06_purchases.json",
            f"/records/{position}",
            position,
            refused,
        )
        assert problem.message.startswith(f"the database refused purchases '{refused}': ")
        with engine.connect() as connection:
            assert set(count_rows(connection).values()) == {0}
        engine.dispose()


def test_a_host_key_numbered_in_python_is_never_taken_for_the_databases(
    backend: str, tmp_path: Path
) -> None:
    """A host whose vendors' key the database numbers (SQLite's rowid, a serial, an
    AUTO_INCREMENT) but whose model gives it a default of its own, counting down: the
    INSERT writes the key, so the database numbers nothing. Every product still
    references its own vendor: on SQLite the rows after the largest key are not in the
    order of the records, and on PostgreSQL no id is drawn from the sequence too (the
    COPY would name the key twice)."""
    source = engine_from_url(f"sqlite:///{tmp_path / 'source.db'}")
    generate_sample(source, scale=0, seed=1)
    dump_all(source, tmp_path / "core", entities=["suppliers", "ingredients", "products"])
    expected = _pairs(
        source,
        "SELECT p.slug, s.slug FROM products p JOIN suppliers s ON s.id = p.preferred_supplier_id",
    )
    source.dispose()
    numbers = itertools.count(10**6, -1)
    key = Vendor.__table__.c.vendor_id
    assert isinstance(key, Column)
    with database_url(backend, tmp_path, "numbered_by_host") as url:
        host = engine_from_url(url)
        create_schema(host, registry=ACME_REGISTRY)
        ColumnDefault(lambda: next(numbers))._set_parent_with_dispatch(key)
        try:
            load_all(host, tmp_path / "core", registry=ACME_REGISTRY)
        finally:
            key.default = None
        stored = _pairs(
            host,
            "SELECT p.slug, v.slug FROM acme_products p"
            " JOIN acme_vendors v ON v.vendor_id = p.vendor_id",
        )
        with host.connect() as connection:
            lowest = connection.exec_driver_sql("SELECT min(vendor_id) FROM acme_vendors")
            assert lowest.scalar_one() > 10**6 - 100  # the host's numbers
        host.dispose()
    assert expected
    assert stored == expected


def test_an_interrupted_copy_leaves_a_connection_that_rolls_back(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or a signal just as psycopg begins a COPY (the server waiting for rows
    that no Copy object will send or end): the connection would take no other
    command, so the writer drops it, and the import's rollback runs (the server rolls
    back the dropped connection's transaction)."""
    if not backend.startswith("postgresql+psycopg:"):
        pytest.skip("COPY is PostgreSQL's through psycopg")
    import psycopg.cursor

    def interrupted(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    with database_url(backend, tmp_path, "interrupted") as url:
        engine = engine_from_url(url)
        create_schema(engine)
        with engine.connect() as connection:
            outer = connection.begin()
            writer = Writer(connection)
            statement = writer.insert(BINDINGS[metadata.tables["suppliers"]])
            with monkeypatch.context() as patched:
                patched.setattr(psycopg.cursor, "Copy", interrupted)
                with pytest.raises(KeyboardInterrupt):
                    writer.run(statement, [])
            assert connection.invalidated
            outer.rollback()
            assert connection.exec_driver_sql("SELECT count(*) FROM suppliers").scalar() == 0
        engine.dispose()
