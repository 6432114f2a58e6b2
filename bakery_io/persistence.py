"""Pass two of a load: writing the checked records in bulk, in dependency order.

Records of one section are written in chunks: one multi-row INSERT (or an
executemany UPDATE) per chunk and table, then one query for the ids the
database gave the new rows. Records that reference records of their own type
are written parents first (:meth:`Resolver.write_levels`); children are
written after every record of the section, so they may reference any of them.
An updated record's children are replaced. Whatever the database refuses
becomes a :class:`~bakery_io.problems.Problem` naming the records concerned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import (
    Connection,
    Executable,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from bakery_io.codecs import Loader, loader
from bakery_io.fields import Key, resolving
from bakery_io.problems import Problem
from bakery_io.queries import batches, plan_for
from bakery_io.registry import EntityType
from bakery_io.resolution import (
    WRITES,
    Action,
    Known,
    Resolver,
    generated_unstated,
    key_filter,
    key_text,
    record_key,
)
from bakery_io.validation import Section


class Refused(Exception):  # noqa: N818 (a signal between this module and load)
    """The database refused a write, or a reference no longer resolves; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class _Shape:
    """How an entity type's records map to its table and child tables."""

    table: Table
    columns: tuple[str, ...]


def _columns(table: Table) -> tuple[str, ...]:
    return tuple(column.key for column in table.columns if column.key != "id")


@cache
def _shape(entity: EntityType) -> _Shape:
    table: Table = entity.model.__table__
    return _Shape(table, _columns(table))


def _row(columns: Sequence[str], data: Mapping[str, Any]) -> dict[str, Any]:
    # Loaded data holds non-column fields too: the scope of a composite reference.
    return {column: data.get(column) for column in columns}


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def _execute(
    connection: Connection,
    section: Section,
    statement: Executable,
    rows: Sequence[dict[str, Any]],
    owners: Sequence[tuple[int, Key]],
) -> None:
    """Run ``statement`` for ``rows`` (of the records ``owners``) in a savepoint.

    Should the database refuse, the rows are tried one by one to name the
    record it refuses; the load fails either way.
    """
    try:
        with connection.begin_nested():
            connection.execute(statement, list(rows))
    except DBAPIError as exc:
        for row, (position, key) in zip(rows, owners, strict=True):
            try:
                with connection.begin_nested():
                    connection.execute(statement, [row])
            except DBAPIError as refused:
                raise Refused(
                    Problem(
                        section.file,
                        f"{section.pointer}/{position}",
                        f"the database refused {section.entity.name} {key_text(key)!r}: "
                        f"{_reason(refused)}",
                        position,
                        key_text(key),
                    )
                ) from refused
        first, last = owners[0][0], owners[-1][0]
        raise Refused(
            Problem(
                section.file,
                f"{section.pointer}/{first}",
                f"the database refused records {first}-{last}: {_reason(exc)}",
                first,
            )
        ) from exc


def _load(section: Section, load: Loader, position: int, data: Any) -> dict[str, Any]:
    try:
        return load(data)
    except ValidationError as exc:
        # Everything was checked in pass one; only a change in between can get here.
        raise Refused(
            Problem(
                section.file,
                f"{section.pointer}/{position}",
                f"changed while it was being loaded: {exc.messages}",
                position,
            )
        ) from exc


Written = tuple[int, dict[str, Any], Known]


def write_section(
    connection: Connection, resolver: Resolver, section: Section, records: Iterable[Any]
) -> int:
    """Write the records of ``section`` that the resolver marked to create or update.

    Returns how many records were written. Records of a type that references
    no record of its own type are written as they stream by, a chunk at a
    time; the others are written parents first, so they are gathered first.
    """
    entity = section.entity
    known = resolver.known[entity.name]
    written = (
        (position, record, found)
        for position, record in enumerate(records)
        if (key := record_key(entity, record)) is not None
        and (found := known.get(key)) is not None
        and found.action in WRITES
        and found.position == position
    )
    count = 0
    with resolving(resolver.lookup):
        if not entity.self_referencing:
            for batch in batches(written):
                _write_rows(connection, entity, section, batch)
                _write_children(connection, entity, section, batch)
                count += len(batch)
            return count
        gathered = list(written)
        levels = resolver.write_levels(entity)
        by_level: dict[int, list[Written]] = defaultdict(list)
        for item in gathered:
            by_level[levels.get(_key(entity, item), 0)].append(item)
        for level in sorted(by_level):
            for chunk in batches(by_level[level]):
                _write_rows(connection, entity, section, chunk)
        # Children may reference any record of the section: they come after all of them.
        for chunk in batches(gathered):
            _write_children(connection, entity, section, chunk)
    return len(gathered)


def _key(entity: EntityType, item: Written) -> Key:
    key = record_key(entity, item[1])
    assert key is not None
    return key


def _write_rows(
    connection: Connection, entity: EntityType, section: Section, chunk: Sequence[Written]
) -> None:
    shape = _shape(entity)
    children = {child.name for child in entity.children}
    created: list[Written] = []
    inserts: list[dict[str, Any]] = []
    updates: dict[frozenset[str], tuple[list[dict[str, Any]], list[tuple[int, Key]]]] = {}
    for item in chunk:
        position, record, known = item
        stated = {name: value for name, value in record.items() if name not in children}
        row = _row(shape.columns, _load(section, loader(entity.schema), position, stated))
        if known.action is Action.CREATE:
            created.append(item)
            inserts.append(row)
        else:
            for column in generated_unstated(entity.schema, record):
                del row[column]  # keep the row's uuid and timestamps the file does not state
            row["row_id"] = known.id
            rows, owners = updates.setdefault(frozenset(row), ([], []))
            rows.append(row)
            owners.append((position, _key(entity, item)))
    if inserts:
        owners = [(item[0], _key(entity, item)) for item in created]
        _execute(connection, section, insert(shape.table), inserts, owners)
    for rows, owners in updates.values():
        statement = update(shape.table).where(shape.table.c.id == bindparam("row_id"))
        _execute(connection, section, statement, rows, owners)
    if created:
        _fetch_ids(connection, entity, created)


def _fetch_ids(connection: Connection, entity: EntityType, created: Sequence[Written]) -> None:
    """Learn the ids the database gave the new rows: one query for the chunk."""
    plan = plan_for(entity)
    by_key = {_key(entity, item): item[2] for item in created}
    columns = [plan.columns[name] for name in entity.natural_key]
    statement = (
        select(plan.table.c.id, *columns)
        .select_from(plan.joined)
        .where(key_filter(entity, list(by_key)))
    )
    width = len(columns)
    for row in connection.execute(statement):
        parts = tuple(row[1:])
        by_key[parts[0] if width == 1 else parts].id = row[0]


def _write_children(
    connection: Connection, entity: EntityType, section: Section, chunk: Sequence[Written]
) -> None:
    if not entity.children:
        return
    # An updated record's children are replaced: the old ones go first.
    replaced = [item for item in chunk if item[2].action is Action.UPDATE]
    for child in entity.children:
        if replaced:
            statement = delete(child.table).where(child.parent == bindparam("parent_id"))
            rows = [{"parent_id": item[2].id} for item in replaced]
            owners = [(item[0], _key(entity, item)) for item in replaced]
            _execute(connection, section, statement, rows, owners)
    for child in entity.children:
        load = loader(child.schema)
        columns = _columns(child.table)
        rows, owners = [], []
        for item in chunk:
            position, record, known = item
            for child_record in record.get(child.name) or []:
                row = _row(columns, _load(section, load, position, child_record))
                row[child.parent.key] = known.id
                rows.append(row)
                owners.append((position, _key(entity, item)))
        if rows:
            _execute(connection, section, insert(child.table), rows, owners)
