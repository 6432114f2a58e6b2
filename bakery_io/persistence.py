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
from typing import Any, NamedTuple

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
    Loaded,
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
    return dict(zip(columns, map(data.get, columns), strict=True))


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


class Written(NamedTuple):
    """A record to write, what the resolver knows of it, and its data loaded with
    references as row ids (``None``: loaded from the record when it is written)."""

    position: int
    record: Any
    key: Key
    known: Known
    data: dict[str, Any] | None = None


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
        Written(position, record, key, found)
        for position, record in enumerate(records)
        if (key := record_key(entity, record)) is not None
        and (found := known.get(key)) is not None
        and found.action in WRITES
        and found.position == position
    )
    count = 0
    updated = [
        (found.position, key, found.id)
        for key, found in known.items()
        if found.action is Action.UPDATE and found.file == section.file
    ]
    for chunk in batches(updated):
        _drop_children(connection, entity, section, chunk)
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
            by_level[levels.get(item.key, 0)].append(item)
        for level in sorted(by_level):
            for chunk in batches(by_level[level]):
                _write_rows(connection, entity, section, chunk)
        # Children may reference any record of the section: they come after all of them.
        for chunk in batches(gathered):
            _write_children(connection, entity, section, chunk)
    return len(gathered)


def write_loaded(
    connection: Connection, resolver: Resolver, section: Section, loaded: Sequence[Loaded]
) -> int:
    """Create the records of a checked chunk as pass one loaded them; returns how many.

    For a load that writes as it checks: the section's type references no
    record of its own type, every reference of the chunk is known
    (:meth:`Resolver.flush`), and no record is to be updated (such a load
    checks in full instead).
    """
    entity = section.entity
    assert not entity.self_referencing
    known = resolver.known[entity.name]
    chunk = []
    for item in loaded:
        found = known[item.key]
        assert found.action is not Action.UPDATE
        if found.action is Action.CREATE:
            resolver.to_ids(entity.schema, item.data)
            chunk.append(Written(item.position, item.record, item.key, found, item.data))
    if chunk:
        _write_rows(connection, entity, section, chunk)
        _write_children(connection, entity, section, chunk)
    return len(chunk)


def _write_rows(
    connection: Connection, entity: EntityType, section: Section, chunk: Sequence[Written]
) -> None:
    shape = _shape(entity)
    children = {child.name for child in entity.children}
    created: list[Written] = []
    inserts: list[dict[str, Any]] = []
    updates: dict[frozenset[str], tuple[list[dict[str, Any]], list[tuple[int, Key]]]] = {}
    for item in chunk:
        data = item.data
        if data is None:
            stated = {name: value for name, value in item.record.items() if name not in children}
            data = _load(section, loader(entity.schema), item.position, stated)
        row = _row(shape.columns, data)
        if item.known.action is Action.CREATE:
            created.append(item)
            inserts.append(row)
        else:
            for column in generated_unstated(entity.schema, item.record):
                del row[column]  # keep the row's uuid and timestamps the file does not state
            row["row_id"] = item.known.id
            rows, owners = updates.setdefault(frozenset(row), ([], []))
            rows.append(row)
            owners.append((item.position, item.key))
    if inserts:
        owners = [(item.position, item.key) for item in created]
        _execute(connection, section, insert(shape.table), inserts, owners)
    for rows, owners in updates.values():
        statement = update(shape.table).where(shape.table.c.id == bindparam("row_id"))
        _execute(connection, section, statement, rows, owners)
    if created:
        _fetch_ids(connection, entity, created)


def _fetch_ids(connection: Connection, entity: EntityType, created: Sequence[Written]) -> None:
    """Learn the ids the database gave the new rows: one query for the chunk."""
    plan = plan_for(entity)
    by_key = {item.key: item.known for item in created}
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


def _drop_children(
    connection: Connection,
    entity: EntityType,
    section: Section,
    updated: Sequence[tuple[int | None, Key, int | None]],
) -> None:
    """Delete the children of updated records (position, key, row id): they are replaced.

    Before any child is written, so that a child's unique value may move
    from an updated record to any other record of the section.
    """
    if not updated or not entity.children:
        return
    rows = [{"parent_id": row_id} for _position, _key, row_id in updated]
    owners = [(position or 0, key) for position, key, _row_id in updated]
    for child in entity.children:
        statement = delete(child.table).where(child.parent == bindparam("parent_id"))
        _execute(connection, section, statement, rows, owners)


def _write_children(
    connection: Connection, entity: EntityType, section: Section, chunk: Sequence[Written]
) -> None:
    for child in entity.children:
        load = loader(child.schema)
        columns = _columns(child.table)
        rows, owners = [], []
        for item in chunk:
            if item.data is not None:
                items = item.data[child.name]
            else:
                stated = item.record.get(child.name) or []
                items = [_load(section, load, item.position, record) for record in stated]
            for data in items:
                row = _row(columns, data)
                row[child.parent.key] = item.known.id
                rows.append(row)
                owners.append((item.position, item.key))
        if rows:
            _execute(connection, section, insert(child.table), rows, owners)
