"""The floor: copying every table through SQLAlchemy Core and orjson, with no schemas or checks.

Whatever bakery_io does beyond this (natural keys, validation, a manifest) is
its overhead; the floor is the speed a backup cannot beat on this stack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Date, Engine, Table, select

from bakery_io.binding.models import metadata
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime

CHUNK = 10_000

Row = dict[str, Any]


def table_file(directory: Path, table: Table) -> Path:
    """The file one table is written to."""
    return directory / f"{table.name}.json"


def floor_dump(engine: Engine, directory: Path) -> None:
    """Write every table to ``directory/<table>.json``, ids included, streamed in chunks."""
    directory.mkdir(parents=True)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            _dump_table(connection, table, directory)


def _dump_table(connection: Connection, table: Table, directory: Path) -> None:
    statement = select(table).order_by(*table.primary_key.columns)
    result = connection.execute(statement.execution_options(yield_per=CHUNK))
    keys = list(result.keys())
    with table_file(directory, table).open("wb") as out:
        out.write(b"[")
        for number, rows in enumerate(result.partitions()):
            if number:
                out.write(b",")
            # Decimals are the only values orjson needs help with; it writes
            # datetimes, dates and enums (by value) itself.
            chunk = [dict(zip(keys, row, strict=True)) for row in rows]
            out.write(orjson.dumps(chunk, default=str)[1:-1])
        out.write(b"]")


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    """What turns a JSON value back into what the column's bind processor accepts.

    Enum columns take their value strings as they are; the rest is JSON already.
    """
    if isinstance(column_type, ExactDecimal):
        return Decimal
    if isinstance(column_type, UTCDateTime):
        return datetime.fromisoformat
    if isinstance(column_type, Date):
        return date.fromisoformat
    return None


def converters(table: Table) -> list[tuple[str, Callable[[Any], Any]]]:
    """(column, converter) for each column of ``table`` whose JSON value needs one."""
    found = []
    for column in table.columns:
        convert = _converter(column.type)
        if convert is not None:
            found.append((column.key, convert))
    return found


def parents_first(table: Table, rows: list[Row]) -> list[Row]:
    """``rows`` (in id order) reordered so that a row referencing its own table follows its parent.

    Foreign keys are checked row by row, so id order only works when every
    parent has the smaller id; it usually does, and then nothing is moved.
    """
    own = [key.parent.key for key in table.foreign_keys if key.column.table is table]
    if all(row[name] is None or row[name] < row["id"] for row in rows for name in own):
        return rows
    by_id = {row["id"]: row for row in rows}
    graph = {row["id"]: {row[name] for name in own if row[name] is not None} for row in rows}
    return [by_id[key] for key in TopologicalSorter(graph).static_order()]


def floor_load(engine: Engine, directory: Path) -> None:
    """Insert every table's file in ``directory`` with Core executemany, ids kept.

    One transaction, tables in dependency order.
    """
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            _load_table(connection, table, directory)


def _load_table(connection: Connection, table: Table, directory: Path) -> None:
    rows: list[Row] = orjson.loads(table_file(directory, table).read_bytes())
    convert = converters(table)
    for row in rows:
        for name, function in convert:
            value = row[name]
            if value is not None:
                row[name] = function(value)
    rows = parents_first(table, rows)
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start : start + CHUNK])


def floor_copy(engine: Engine, directory: Path) -> None:
    """Load every table's file in ``directory`` with PostgreSQL's COPY through psycopg 3.

    The files are parsed with orjson and each row goes to ``copy.write_row`` as
    parsed: COPY's text format takes the JSON strings of decimals, dates and
    UTC timestamps (their ``+00:00`` is ignored by a column without a time
    zone) as they are. One transaction, tables in dependency order; foreign
    keys are checked at the end of each COPY, so rows need no reordering.
    """
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        raise ValueError(f"floor-copy needs PostgreSQL through psycopg, not {engine.url!r}")
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        if driver is None:
            raise ValueError("no psycopg connection behind the engine")
        preparer = engine.dialect.identifier_preparer
        with driver.cursor() as cursor:
            for table in metadata.sorted_tables:
                rows: list[Row] = orjson.loads(table_file(directory, table).read_bytes())
                names = [column.name for column in table.columns]
                columns = ", ".join(preparer.quote(name) for name in names)
                statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in names])
