"""Whether a table that exists is the one bakery_io expects under its name.

A database shared with a host may hold a table of the host's under a name
bakery_io uses (``events``). Created over, or written to, it would be adopted
silently, and fail later with the database's own error. Before creating or
dropping tables, and before a load, each existing table is compared with what
bakery_io expects, in one pass of the inspector:

- bakery_io's own tables: every column (by name) with its nullability and a
  compatible kind of type, the primary key and the foreign keys. Types are
  compared by family (integer, number, text, date, datetime, time), as each
  backend reflects them: a ``BOOLEAN`` is a ``TINYINT`` on MariaDB, an exact
  decimal a ``NUMERIC`` everywhere. A column bakery_io does not make is
  accepted when it takes NULL or has a default (bakery_io never writes it).
- a host's tables (models the host binds): the columns the bindings name,
  which must exist; everything else about them is the host's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Dialect,
    Integer,
    Numeric,
    String,
    Table,
    Time,
    TypeDecorator,
    inspect,
)
from sqlalchemy.engine import Inspector
from sqlalchemy.types import TypeEngine

#: Type families, most specific first: what "compatible" means between declared and
#: reflected types (Boolean before Integer: no backend but PostgreSQL keeps booleans).
_FAMILIES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (Boolean, "integer"),
    (Integer, "integer"),
    (Numeric, "number"),
    (DateTime, "datetime"),
    (Date, "date"),
    (Time, "time"),
    (String, "text"),
)


def family(kind: TypeEngine[Any], dialect: Dialect) -> str | None:
    """The family of ``kind`` as ``dialect`` stores it; None when unknown (then any goes)."""
    stored = kind.dialect_impl(dialect)
    if isinstance(stored, TypeDecorator):
        stored = stored.impl_instance
    for base, name in _FAMILIES:
        if isinstance(stored, base):
            return name
    return None


def schema_of(connection: Connection, table: Table) -> str | None:
    """The schema ``table`` is in on this connection: its own, as the connection's
    ``schema_translate_map`` gives it."""
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    schema: str | None = translate.get(table.schema, table.schema)
    return schema


def _by_schema(connection: Connection, tables: Iterable[Table]) -> dict[str | None, list[Table]]:
    grouped: dict[str | None, list[Table]] = defaultdict(list)
    for table in tables:
        grouped[schema_of(connection, table)].append(table)
    return grouped


def existing(
    connection: Connection, tables: Iterable[Table], inspector: Inspector | None = None
) -> list[Table]:
    """Those of ``tables`` that exist in the connected database, in the given order
    (asked through ``inspector``, which caches what it reads, or a new one)."""
    inspector = inspector or inspect(connection)
    found: set[Table] = set()
    for schema, group in _by_schema(connection, tables).items():
        if schema is not None and not inspector.has_schema(schema):
            continue
        names = set(inspector.get_table_names(schema=schema))
        found.update(table for table in group if table.name in names)
    return [table for table in tables if table in found]


def _column_differences(
    table: Table, columns: Sequence[Mapping[str, Any]], dialect: Dialect
) -> list[str]:
    found = {column["name"]: column for column in columns}
    absent = [column.name for column in table.columns if column.name not in found]
    differences = (
        [f"no column{'s' if len(absent) > 1 else ''} {', '.join(absent)}"] if absent else []
    )
    for column in table.columns:
        held = found.get(column.name)
        if held is None:
            continue
        # SQLite reports an INTEGER PRIMARY KEY as taking NULL; no key does.
        if not column.primary_key and bool(held["nullable"]) != bool(column.nullable):
            differences.append(
                f"column {column.name} {'takes' if held['nullable'] else 'refuses'} NULL, "
                f"bakery_io's {'takes' if column.nullable else 'refuses'} it"
            )
        expected, reflected = family(column.type, dialect), family(held["type"], dialect)
        if None not in (expected, reflected) and expected != reflected:
            differences.append(
                f"column {column.name} is {held['type']}, bakery_io's "
                f"{column.type.compile(dialect)}"
            )
    declared = {column.name for column in table.columns}
    for name, held in found.items():
        if name not in declared and not held["nullable"] and held.get("default") is None:
            differences.append(f"column {name} refuses NULL and has no default")
    return differences


def _key_differences(
    table: Table, key: Sequence[str], foreign: Sequence[Mapping[str, Any]]
) -> list[str]:
    differences = []
    expected_key = [column.name for column in table.primary_key.columns]
    if list(key) != expected_key:
        differences.append(f"primary key ({', '.join(key)}), bakery_io's ({expected_key[0]})")
    held = {(tuple(found["constrained_columns"]), found["referred_table"]) for found in foreign}
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: str(c.name)):
        target = constraint.referred_table.name
        columns = tuple(column.name for column in constraint.columns)
        if (columns, target) not in held:
            differences.append(f"no foreign key ({', '.join(columns)}) to {target}")
    return differences


def differences(
    connection: Connection,
    expected: Mapping[Table, frozenset[str] | None],
    *,
    keys: bool = True,
    inspector: Inspector | None = None,
) -> dict[Table, list[str]]:
    """How each existing table of ``expected`` differs from what bakery_io expects, for
    those that differ.

    ``expected`` maps bakery_io's own tables to None (all of their shape is
    compared) and a host's to the names of the columns its bindings name.
    Without ``keys`` the primary and foreign keys of bakery_io's tables are not
    compared: reading them is most of the cost (SQLite's are parsed from the
    table's SQL), and a load or export needs the columns.
    """
    inspector = inspector or inspect(connection)
    found: dict[Table, list[str]] = {}
    present = existing(connection, expected, inspector)
    for schema, group in _by_schema(connection, present).items():
        names = [table.name for table in group]
        columns = inspector.get_multi_columns(schema=schema, filter_names=names)
        own = [table.name for table in group if expected[table] is None]
        primary: Mapping[tuple[str | None, str], Any] = {}
        foreign: Mapping[tuple[str | None, str], Any] = {}
        if keys and own:
            primary = inspector.get_multi_pk_constraint(schema=schema, filter_names=own)
            foreign = inspector.get_multi_foreign_keys(schema=schema, filter_names=own)
        for table in group:
            place = (schema, table.name)
            wanted = expected[table]
            if wanted is None:
                listed = _column_differences(table, columns[place], connection.dialect)
                if keys:
                    key = primary.get(place)
                    held_key = key["constrained_columns"] if key else []
                    listed += _key_differences(table, held_key, foreign.get(place, []))
            else:
                names_held = {column["name"] for column in columns[place]}
                listed = [
                    f"no column {name} (the binding's)"
                    for name in sorted(wanted)
                    if name not in names_held
                ]
            if listed:
                found[table] = listed
    return found
