"""Reading records for export: queries built from the schemas, never one per row.

The SELECT of an entity type is derived from its schema: plain fields are
columns, each reference joins its target and selects the target's natural key
(recursively, for a composite key such as a material unit's), labelled with
the wire name. Records are read in natural-key order in chunks, and the
children of a chunk are read with one query per child table; memory holds one
chunk at a time. On SQLite, and on PostgreSQL (psycopg, in a transaction,
through a server-side cursor), one query reads all chunks, so the database
plans and sorts once. Elsewhere each chunk is a query of its own (keyset
pagination: it starts after the last key of the previous one) that completes
before the next begins, so this works on drivers that cannot interleave result
sets (MySQL's streaming cursors).

A value the driver or a column type cannot read (SQLite text that is no date
or not UTF-8, a PostgreSQL year after 9999 or before 1) makes the chunk's
query fail without saying where. Only then, on that error path, the chunk is
read again column by column and the failing column row by row (a bounded
number of queries), so that the :class:`~bakery_io.errors.DatabaseStateError`
names the table, the column and the record's key.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from marshmallow import Schema
from sqlalchemy import (
    ARRAY,
    Alias,
    Column,
    ColumnClause,
    ColumnElement,
    Connection,
    CursorResult,
    Enum,
    FromClause,
    Result,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from bakery_io.binding.mapping import storage_type
from bakery_io.binding.wire_reads import AsWireText, NotWireText, gives_text, wire_read
from bakery_io.codecs import Dumper, dumper, generated
from bakery_io.errors import DatabaseStateError
from bakery_io.format.fields import Children, Reference, row_key
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.registry import EntityType, Registry

#: Rows per chunk: large enough to amortise a query, small enough to bound memory,
#: and a child query's IN list stays under SQLite's old limit of 999 parameters.
CHUNK_SIZE = 500


def batches(items: Iterable[Any], size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """``items`` (a list, or a stream of records) in consecutive lists of at most ``size``."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def one_of(
    column: ColumnElement[Any], values: Iterable[Any], dialect: Dialect
) -> ColumnElement[bool]:
    """SQL: ``column`` holds one of ``values``.

    ``IN`` takes a parameter per value. On PostgreSQL it is ``= ANY`` of one
    array instead: psycopg caches how it parses a statement only when the
    statement is short, and parsed a chunk's list of hundreds of placeholders
    anew for each query (a tenth of an export's time).
    """
    if dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


_ID = "__id__"
_PARENT = "__parent__"
#: The label of the id an optional reference holds (see RecordPlan.optional).
_HOLDS = "__holds__"


def _key_expressions(
    target: EntityType, alias: FromClause, joined: FromClause
) -> tuple[list[ColumnElement[Any]], FromClause]:
    """The natural key of ``target`` (as row ``alias``), joining what the key needs."""
    expressions: list[ColumnElement[Any]] = []
    fields = declared_fields(target.schema)
    columns = target.binding.columns
    for name in target.natural_key:
        part = fields[name]
        if isinstance(part, Reference):
            expressions_of_part, joined = _join_reference(
                target.registry, part, columns, alias, joined
            )
            expressions.extend(expressions_of_part)
        else:
            expressions.append(alias.c[columns[part.attribute or name].key])
    return expressions, joined


def _join_reference(
    registry: Registry,
    reference: Reference,
    columns: Mapping[str, Column[Any]],
    source: FromClause,
    joined: FromClause,
) -> tuple[list[ColumnElement[Any]], FromClause]:
    target = registry[reference.target]
    alias = target.table.alias()
    column = source.c[columns[reference.attribute or ""].key]
    # Always an outer join: a row whose target is missing (a database without
    # enforced foreign keys) must surface as an error, not vanish from the backup.
    joined = joined.join(alias, column == alias.c[target.primary_key.key], isouter=True)
    return _key_expressions(target, alias, joined)


@dataclass
class _ChildPlan:
    name: str  # the children's key on the wire
    key: str  # their key in the parent's row, as its dumper reads it
    statements: dict[bool, Select[Any]]  # by wire_text (RecordPlan.statement)
    parent_column: ColumnElement[Any]
    required: list[str]
    columns: RecordPlan
    order: list[ColumnElement[Any]]


@dataclass
class RecordPlan:
    """How to read the records of one schema: columns, joins, order.

    ``columns`` are keyed as the schema's fields read a row (a plain field by its
    attribute, a reference by its wire name); ``keys`` maps each wire name to
    that key. ``required`` names the references that may not be null.
    ``field_of`` gives the name and field that write each plain column outside
    the natural key, which may then be read as its wire text
    (:mod:`bakery_io.binding.wire_reads`); the key is read as a value, since the
    next chunk's query starts after it.
    """

    schema: type[EntitySchema]
    table: Table
    row_id: Column[Any]
    columns: dict[str, ColumnElement[Any]]
    joined: FromClause
    required: list[str]
    keys: dict[str, str]
    field_of: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: (wire name, label of the id it holds) of each reference that may be null.
    optional: list[tuple[str, str]] = field(default_factory=list)
    order: list[ColumnElement[Any]] = field(default_factory=list)
    children: list[_ChildPlan] = field(default_factory=list)
    #: :meth:`text_fields` by dialect (two SQLite engines may differ: native_datetime),
    #: as :func:`row_dumper` asks for them; an engine's dialect is not kept alive here.
    texts: WeakKeyDictionary[Dialect, frozenset[tuple[type[Schema], str]]] = field(
        default_factory=WeakKeyDictionary
    )

    def column(self, wire_name: str) -> ColumnElement[Any]:
        """The expression that reads the field written as ``wire_name``."""
        return self.columns[self.keys[wire_name]]

    def text_fields(self, dialect: Dialect) -> frozenset[tuple[type[Schema], str]]:
        """The fields (schema, name), its children's included, whose values this plan
        may read as their wire text on ``dialect``."""
        if not gives_text(dialect):
            return frozenset()
        found: set[tuple[type[Schema], str]] = {
            (self.schema, name)
            for key, (name, field_) in self.field_of.items()
            if isinstance(column := self.columns[key], Column)
            and (reading := wire_read(column, field_)) is not None
            and reading.reads_text(dialect)
        }
        for child in self.children:
            found |= child.columns.text_fields(dialect)
        return frozenset(found)

    def statement(self, *, wire_text: bool = True) -> Select[Any]:
        """SELECT of the columns, each labelled with its wire name, plus the row id.

        An enum column is read as its text: a value outside the enum (a database
        without the CHECK) is then written as found, and listed as an exception,
        rather than lost with the whole backup. The columns of :attr:`field_of` are
        read through :func:`~bakery_io.binding.wire_reads.wire_read` with
        ``wire_text``, and through its usual reading without.
        """
        labelled = [
            _as_read(column, self.field_of.get(name, ("", None))[1], wire_text).label(name)
            for name, column in self.columns.items()
        ]
        return select(self.row_id.label(_ID), *labelled).select_from(self.joined)


def _as_read(column: ColumnElement[Any], field: Any, wire_text: bool) -> ColumnElement[Any]:
    if isinstance(column.type, Enum):
        return type_coerce(column, String())
    if not isinstance(column, Column):
        return column
    reading = None if field is None else wire_read(column, field)
    if reading is not None:
        return AsWireText(column, reading) if wire_text else type_coerce(column, reading.usual())
    stored = storage_type(column)
    return column if stored is None else type_coerce(column, stored)


def plan_columns(registry: Registry, schema: type[EntitySchema]) -> RecordPlan:
    """The columns (by wire name) and joins of records of ``schema``, unordered, no children."""
    binding = registry.binding(schema)
    table, stored = binding.table, binding.columns
    joined: FromClause = table
    columns: dict[str, ColumnElement[Any]] = {}
    keys: dict[str, str] = {}
    field_of: dict[str, Any] = {}
    required = []
    optional: list[tuple[str, str]] = []
    natural_key = schema.opts.natural_key or ()
    for name, field_ in declared_fields(schema).items():
        wire_name = field_.data_key or name
        if isinstance(field_, Children):
            continue
        if isinstance(field_, Reference):
            local = stored[field_.attribute or ""]
            if not local.nullable:
                required.append(wire_name)
            else:
                # The id it holds, beside the key read through it: a key that is null
                # while the id is not points at a row that is gone.
                optional.append((wire_name, f"{_HOLDS}{wire_name}"))
                columns[f"{_HOLDS}{wire_name}"] = local
            expressions, joined = _join_reference(registry, field_, stored, table, joined)
            for label, expression in zip((*field_.scope, wire_name), expressions, strict=True):
                columns[label] = expression
                keys[label] = label
        elif (key := row_key(name, field_)) in stored:
            keys[wire_name] = key
            columns[key] = stored[key]
            if wire_name not in natural_key:  # natural_key holds wire names
                field_of[key] = (name, field_)
    return RecordPlan(
        schema, table, binding.primary_key, columns, joined, required, keys, field_of, optional
    )


@cache
def plan_for(entity: EntityType) -> RecordPlan:
    """The reading plan of an entity type: its records with their children, by natural key."""
    plan = plan_columns(entity.registry, entity.schema)
    plan.order = [plan.column(name) for name in entity.natural_key]
    for kind in entity.children:
        child = plan_columns(entity.registry, kind.schema)
        order = [kind.parent, *kind.order]
        statements = {
            wire_text: child.statement(wire_text=wire_text)
            .add_columns(kind.parent.label(_PARENT))
            .order_by(*order)
            for wire_text in (True, False)
        }
        plan.children.append(
            _ChildPlan(
                kind.name,
                kind.attribute,
                statements,
                kind.parent,
                child.required,
                child,
                order,
            )
        )
    return plan


def _after(order: list[ColumnElement[Any]], last: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows whose key comes after ``last`` in ``order`` (a portable row-value comparison)."""
    terms = []
    for position, column in enumerate(order):
        equal = [order[index] == last[index] for index in range(position)]
        terms.append(and_(*equal, column > last[position]))
    return or_(*terms)


def read_records(
    connection: Connection,
    entity: EntityType,
    *,
    where: ColumnElement[bool] | None = None,
    chunk_size: int = CHUNK_SIZE,
    wire_text: bool = True,
) -> Generator[list[dict[str, Any]], None, None]:
    """Chunks of records of ``entity`` as dicts by wire name, children attached.

    Natural-key order; ``where`` (over :attr:`RecordPlan.columns`) filters. With
    ``wire_text`` (the default), a value may be read as its wire text (a ``str``,
    :mod:`bakery_io.binding.wire_reads`), which :func:`row_dumper` writes as it is;
    without, every value is read as its column type gives it.
    """
    plan = plan_for(entity)
    bases = {mode: plan.statement(wire_text=mode) for mode in {wire_text, False}}
    if where is not None:
        bases = {mode: base.where(where) for mode, base in bases.items()}
    resume = _Resume(None, wire_text)
    # A filtered read (by keys, most often) is small: one query a chunk costs less
    # than declaring a cursor.
    if where is None and _streams(connection):
        ordered = bases[wire_text].order_by(*plan.order)
        found = yield from _streamed(
            connection, entity, ordered, chunk_size=chunk_size, wire_text=wire_text
        )
        if found is None:
            return
        resume = found
    yield from _by_key(
        connection,
        entity,
        bases,
        last=resume.last,
        chunk_size=chunk_size,
        wire_text=resume.wire_text,
    )


@dataclass(frozen=True)
class _Resume:
    """Where :func:`_by_key` goes on after a stream stopped: after the record of natural
    key ``last`` (from the first with None), reading wire text or not."""

    last: tuple[Any, ...] | None
    wire_text: bool


def _streamed(
    connection: Connection,
    entity: EntityType,
    statement: Select[Any],
    *,
    chunk_size: int,
    wire_text: bool,
) -> Generator[list[dict[str, Any]], None, _Resume | None]:
    """The chunks of :func:`read_records` through one query (see :func:`_streams`);
    returns None at the end, or where :func:`_by_key` reads on when a chunk was not
    wire text or could not be read (and it says which value failed).

    An error after which the transaction takes no more queries (the server refused
    the query, the connection was lost) is raised as it is, as reading by key would."""
    plan = plan_for(entity)
    keys = [plan.keys[name] for name in entity.natural_key]
    last = None
    stream = _stream(connection, plan, statement, chunk_size, wire_text)
    with closing(stream):
        while True:
            try:
                records = next(stream, None)
            except NotWireText:
                return _Resume(last, wire_text=False)
            except _UNREADABLE as exc:
                if not _usable(connection, exc):
                    raise
                return _Resume(last, wire_text)
            if records is None:
                return None
            _check_references(connection, entity, plan, records)
            yield records
            last = tuple(records[-1][name] for name in keys)


def _usable(connection: Connection, error: BaseException) -> bool:
    """Whether ``connection``'s transaction still takes queries after ``error``: not once
    the connection is lost, nor on PostgreSQL once the server refused a command (it
    then ignores every other until the transaction ends). A value that the driver or
    a column type could not convert fails on the client, and leaves it usable."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return False
    if connection.dialect.name != "postgresql":
        return True
    info = getattr(connection.connection.driver_connection, "info", None)
    status = getattr(getattr(info, "transaction_status", None), "name", None)
    return status != "INERROR"


def _by_key(
    connection: Connection,
    entity: EntityType,
    bases: dict[bool, Select[Any]],
    *,
    last: tuple[Any, ...] | None,
    chunk_size: int,
    wire_text: bool,
) -> Iterator[list[dict[str, Any]]]:
    """The chunks of :func:`read_records` after the record of natural key ``last`` (from
    the first with None), a query each, ``bases`` being the statement of each way of
    reading (:meth:`RecordPlan.statement`)."""
    plan = plan_for(entity)
    keys = [plan.keys[name] for name in entity.natural_key]

    def chunk(mode: bool) -> Select[Any]:
        base = bases[mode]
        statement = base if last is None else base.where(_after(plan.order, last))
        return statement.order_by(*plan.order).limit(chunk_size)

    while True:
        try:
            try:
                records = _read_chunk(connection, plan, chunk(wire_text), wire_text)
            except NotWireText:
                # The server wrote a value otherwise (another DateStyle, a column of
                # another scale, a zero date): the usual way, from here on, since the
                # cause stays.
                wire_text = False
                records = _read_chunk(connection, plan, chunk(False), False)
        except _UNREADABLE as exc:
            diagnosis = _unreadable(connection, entity, chunk(False))
            if diagnosis is None:
                raise
            raise diagnosis from exc
        if not records:
            return
        _check_references(connection, entity, plan, records)
        yield records
        if len(records) < chunk_size:
            return
        last = tuple(records[-1][name] for name in keys)


def row_dumper(entity: EntityType, dialect: Dialect) -> Dumper:
    """The dumper (:func:`bakery_io.codecs.dumper`) of the rows that :func:`read_records`
    reads from ``dialect``: a value read as its wire text is written as it is."""
    plan = plan_for(entity)
    text = plan.texts.get(dialect)
    if text is None:
        text = plan.texts[dialect] = plan.text_fields(dialect)
    return dumper(entity.schema, text=text)


def count_records(
    connection: Connection, entity: EntityType, *, where: ColumnElement[bool] | None = None
) -> int:
    """How many records of ``entity`` :func:`read_records` would read: one COUNT."""
    plan = plan_for(entity)
    statement = select(func.count()).select_from(plan.joined)
    if where is not None:
        statement = statement.where(where)
    return int(connection.execute(statement).scalar_one())


def _dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """The rows of ``result`` as dicts by label."""
    as_dict = _row_dict(tuple(result.keys()))
    return [as_dict(row) for row in result]


@cache
def _row_dict(keys: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    """A row (by position) as a dict by ``keys``: one dict display, twice as fast as
    ``dict(zip(keys, row))`` and several times RowMapping. Keys are a plan's labels,
    never data."""
    items = ", ".join(f"{key!r}: row[{position}]" for position, key in enumerate(keys))
    row_dict: Callable[[Any], dict[str, Any]] = generated(
        ["def row_dict(row):", f"    return {{{items}}}"], {}, "<row>"
    )
    return row_dict


def _streams(connection: Connection) -> bool:
    """Whether records are read through one query, read a chunk at a time while other
    queries read the chunks' children, rather than a query per chunk: SQLite's cursors
    do that, and PostgreSQL's server-side cursors through psycopg in a transaction
    (which they need). No chunk's query is then planned and sorted again; on
    PostgreSQL it was a scan of the whole table whenever the tables have no
    statistics (right after a restore, until they are analyzed)."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        return True
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return False
    return connection.connection.driver_connection.autocommit is False  # type: ignore[union-attr]


def _cursor(connection: Connection, statement: Select[Any]) -> CursorResult[Any]:
    """``statement`` (with ``yield_per``) executed to be read a chunk at a time; on
    PostgreSQL through a server-side cursor planned for reading every row.

    PostgreSQL plans a cursor for its first tenth of rows (``cursor_tuple_fraction``):
    index scans and a nested loop per reference, twice as slow as a sort and hash
    joins for a whole table. It is read whole, so it is planned so; the setting is
    then what it was (a transaction-local value, gone when the transaction ends).
    """
    if connection.dialect.name != "postgresql":
        return connection.execute(statement)
    previous = connection.execute(_PLAN_FOR_ALL).scalar_one()
    try:
        result = connection.execute(statement)
    except _UNREADABLE as exc:
        if _usable(connection, exc):
            connection.execute(_RESTORE_PLANNING, {"previous": previous})
        raise
    try:
        connection.execute(_RESTORE_PLANNING, {"previous": previous})
    except BaseException:
        result.close()
        raise
    return result


_PLAN_FOR_ALL = sql_text(
    "SELECT current_setting('cursor_tuple_fraction'), "
    "set_config('cursor_tuple_fraction', '1', true)"
)
_RESTORE_PLANNING = sql_text("SELECT set_config('cursor_tuple_fraction', :previous, true)")


def _stream(
    connection: Connection,
    plan: RecordPlan,
    statement: Select[Any],
    chunk_size: int,
    wire_text: bool,
) -> Generator[list[dict[str, Any]], None, None]:
    """The records ``statement`` reads, in chunks, children attached."""
    result = _cursor(connection, statement.execution_options(yield_per=chunk_size))
    try:
        as_dict = _row_dict(tuple(result.keys()))
        for rows in result.partitions():
            records = [as_dict(row) for row in rows]
            _attach_children(connection, plan, records, wire_text)
            yield records
    finally:
        # A reader abandoned by an error may be finalised only after its connection
        # closed (the error's traceback held it): its cursor went with the connection.
        if not connection.closed:
            result.close()


def _read_chunk(
    connection: Connection, plan: RecordPlan, statement: Select[Any], wire_text: bool
) -> list[dict[str, Any]]:
    """The records ``statement`` reads, their children attached."""
    records = _dicts(connection.execute(statement))
    _attach_children(connection, plan, records, wire_text)
    return records


def _attach_children(
    connection: Connection, plan: RecordPlan, records: list[dict[str, Any]], wire_text: bool
) -> None:
    if not plan.children:
        return
    by_id: Mapping[int, dict[str, Any]] = {record[_ID]: record for record in records}
    for child in plan.children:
        for record in records:
            record[child.key] = []
        where = one_of(child.parent_column, by_id, connection.dialect)
        statement = child.statements[wire_text].where(where)
        for row in _dicts(connection.execute(statement)):
            by_id[row[_PARENT]][child.key].append(row)


def _check_references(
    connection: Connection, entity: EntityType, plan: RecordPlan, records: list[dict[str, Any]]
) -> None:
    """Refuse to export a record whose required reference points at no row."""
    if not _any_broken(plan, records):
        return
    for record in records:
        broken = _broken(plan, record)
        for child in plan.children:
            for position, item in enumerate(record[child.key]):
                broken += [
                    f"{child.name}/{position}/{name}" for name in _broken(child.columns, item)
                ]
        if broken:
            key = " / ".join(str(record[plan.keys[name]]) for name in entity.natural_key)
            url = connection.engine.url.render_as_string(hide_password=True)
            raise DatabaseStateError(
                f"{entity.name} {key!r}: {', '.join(broken)} points at a row that does not "
                "exist (the database does not enforce its foreign keys); fix the data first",
                url=url,
                reason="broken reference",
                tables=(entity.name,),
            )


def _broken(plan: RecordPlan, record: dict[str, Any]) -> list[str]:
    """The references of ``record`` (not its children's) that point at no row."""
    broken = [name for name in plan.required if record[name] is None]
    return broken + [
        name for name, holds in plan.optional if record[name] is None and record[holds] is not None
    ]


def _any_broken(plan: RecordPlan, records: list[dict[str, Any]]) -> bool:
    """Whether a reference of ``records`` (children's included) points at no row: a
    required one a column at a time, in C (``map`` and ``in``), rather than a loop per
    record; an optional one where its key is null and its id is not."""
    if _any_broken_here(plan, records):
        return True
    for child in plan.children:
        if child.required or child.columns.optional:
            items = [item for record in records for item in record[child.key]]
            if _any_broken_here(child.columns, items):
                return True
    return False


def _any_broken_here(plan: RecordPlan, records: list[dict[str, Any]]) -> bool:
    for name in plan.required:
        if None in map(itemgetter(name), records):
            return True
    return any(
        record[name] is None and record[holds] is not None
        for name, holds in plan.optional
        for record in records
    )


# ---------------------------------------------------------------------------
# The error path: which row and column of a chunk cannot be read.

#: What reading a value that the driver or a column type cannot convert raises: a
#: ValueError or TypeError from a result processor (SQLite dates, ExactDecimal),
#: a LookupError from an Enum's (a value not among its members), a DBAPIError
#: from the driver (SQLite's UTF-8 decoding, psycopg's year 10000).
_UNREADABLE = (ValueError, TypeError, LookupError, ArithmeticError, DBAPIError)


def _cause(exc: BaseException) -> str:
    """What the driver or type said, on one line (without SQLAlchemy's background link)."""
    found = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(found).strip()
    return text.splitlines()[0] if text else type(found).__name__


def _fails(connection: Connection, statement: Select[Any]) -> BaseException | None:
    """The error that reading every row of ``statement`` raises, or None."""
    try:
        connection.execute(statement).all()
    except _UNREADABLE as exc:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise
        return exc
    return None


def _stored(expression: ColumnElement[Any]) -> tuple[str, str]:
    """(table, column) that an expression of a reading plan reads."""
    assert isinstance(expression, ColumnClause)
    table = expression.table
    original = table.element if isinstance(table, Alias) else table
    assert isinstance(original, Table)
    return original.name, expression.name


def _failing_value(
    connection: Connection, plan: RecordPlan, ids: list[Any]
) -> tuple[Any, str, BaseException] | None:
    """(row id, wire name, error) of the first value of rows ``ids`` that cannot be read.

    One query per column over all of ``ids``, then one per row for the failing column.
    """
    row_id = plan.row_id
    for name, key in plan.keys.items():
        reading = select(row_id, plan.columns[key]).select_from(plan.joined)
        if _fails(connection, reading.where(row_id.in_(ids))) is None:
            continue
        for one in ids:
            error = _fails(connection, reading.where(row_id == one))
            if error is not None:
                return one, name, error
    return None


def _key_of(connection: Connection, entity: EntityType, row: Any) -> str:
    """The record's natural key as messages show it, or its id when the key cannot be read."""
    plan = plan_for(entity)
    key = [plan.column(name) for name in entity.natural_key]
    reading = select(*key).select_from(plan.joined).where(plan.row_id == row)
    try:
        parts = connection.execute(reading).one()
    except _UNREADABLE:
        return f"with id {row} (its key cannot be read either)"
    return repr(" / ".join(str(part) for part in parts))


def _unreadable(
    connection: Connection, entity: EntityType, statement: Select[Any]
) -> DatabaseStateError | None:
    """The error naming the table, column and record of a value that the chunk
    ``statement`` reads and that cannot be read; None when no single value is to
    blame (the original error then stands: a lost connection, say)."""
    plan = plan_for(entity)
    try:
        ids = list(connection.execute(statement.with_only_columns(plan.row_id)).scalars())
    except _UNREADABLE:
        return None
    found = _failing_value(connection, plan, ids)
    if found is not None:
        row, name, error = found
        table, where = _place(plan, name, plan.column(name))
        return _unreadable_error(connection, entity, row, where, error=error, table=table)
    for child in plan.children:
        found = _failing_value(connection, child.columns, _children_of(connection, child, ids))
        if found is None:
            continue
        row, name, error = found
        parent, position = _parent_of(connection, child, row)
        table, column = _stored(child.columns.column(name))
        where = f"{child.name}/{position} ({child.columns.table.name} id {row}): {table}.{column}"
        return _unreadable_error(connection, entity, parent, where, error=error, table=table)
    return None


def _children_of(connection: Connection, child: _ChildPlan, parents: list[Any]) -> list[Any]:
    """Ids of the child rows of ``parents``."""
    row_id = child.columns.row_id
    reading = select(row_id).where(child.parent_column.in_(parents)).order_by(row_id)
    return list(connection.execute(reading).scalars())


def _parent_of(connection: Connection, child: _ChildPlan, row: Any) -> tuple[Any, int]:
    """The parent id of child row ``row``, and the child's position among its siblings."""
    row_id = child.columns.row_id
    parent = connection.execute(select(child.parent_column).where(row_id == row)).scalar_one()
    siblings = select(row_id).where(child.parent_column == parent).order_by(*child.order)
    return parent, list(connection.execute(siblings).scalars()).index(row)


def _unreadable_error(
    connection: Connection,
    entity: EntityType,
    row: Any,
    where: str,
    *,
    error: BaseException,
    table: str,
) -> DatabaseStateError:
    return DatabaseStateError(
        f"{entity.name} {_key_of(connection, entity, row)} cannot be exported: {where} "
        f"holds a value that cannot be read ({_cause(error)}); fix the row first",
        url=connection.engine.url.render_as_string(hide_password=True),
        reason="unreadable value",
        tables=tuple(dict.fromkeys((entity.name, table))),
    )


def unexportable(
    entity: EntityType, record: dict[str, Any], error: ValueError, url: str, dialect: Dialect
) -> DatabaseStateError:
    """The error for ``record``, read from ``dialect`` but not writable in the format (its
    dumper raised ``error``), naming the table and column of the value to blame where
    one is."""
    plan = plan_for(entity)
    where = "a value"
    found = _failing_field(plan, entity.schema, record, plan.text_fields(dialect))
    if found is None:
        table = entity.name
    else:
        pointer, column = found
        table, where = _place(plan, pointer, column)
    holds = f"a value that cannot be written ({error})"
    return _unexportable_error(entity, record, where, table=table, holds=holds, url=url)


def _unexportable_error(
    entity: EntityType, record: dict[str, Any], where: str, *, table: str, holds: str, url: str
) -> DatabaseStateError:
    """The error for ``record`` of ``entity``, read but not writable in the format: at
    ``where`` (a place in ``table``) it ``holds`` what the format cannot carry."""
    return DatabaseStateError(
        f"{entity.name} {_shown_key(entity, record)} cannot be exported: {where} holds "
        f"{holds}; fix the row first",
        url=url,
        reason="unexportable value",
        tables=tuple(dict.fromkeys((entity.name, table))),
    )


def _place(plan: RecordPlan, pointer: str, column: ColumnElement[Any]) -> tuple[str, str]:
    """(table, words) for the value at ``pointer`` in a record of ``plan``, read from ``column``:
    ``purchases.unit_price``, ``consumptions/2/total_cost (production_consumptions.total_cost)``,
    ``supplier_slug (suppliers.slug of the row it refers to)``."""
    table, name = _stored(column)
    if "/" in pointer:
        return table, f"{pointer} ({table}.{name})"
    if table != plan.table.name:
        return table, f"{pointer} ({table}.{name} of the row it refers to)"
    return table, f"{table}.{name}"


def _shown_key(entity: EntityType, record: dict[str, Any]) -> str:
    """The natural key of a record read, as messages show it (its id when it is not text)."""
    plan = plan_for(entity)
    parts = [record[plan.keys[name]] for name in entity.natural_key]
    if all(isinstance(part, str) for part in parts):
        return repr(" / ".join(parts))
    return f"with id {record[_ID]} (its key is not text)"


def unwritable(
    connection: Connection, entity: EntityType, where: ColumnElement[bool] | None
) -> DatabaseStateError | None:
    """The error for the first record of ``entity`` holding bytes (a BLOB, which SQLite
    keeps in a column of any type) where JSON has no type for them, or None.

    Reads the records again: only called once writing them failed.
    """
    url = connection.engine.url.render_as_string(hide_password=True)
    plan = plan_for(entity)
    with closing(read_records(connection, entity, where=where)) as chunks:
        for chunk in chunks:
            for record in chunk:
                found = _bytes_in(plan, record)
                if found is not None:
                    pointer, column = found
                    table, at = _place(plan, pointer, column)
                    holds = "bytes (a BLOB), which JSON cannot carry"
                    return _unexportable_error(
                        entity, record, at, table=table, holds=holds, url=url
                    )
    return None


def _bytes_in(plan: RecordPlan, record: dict[str, Any]) -> tuple[str, ColumnElement[Any]] | None:
    """(JSON pointer, column) of the first bytes value of ``record``, children included."""
    for wire_name, key in plan.keys.items():
        if isinstance(record.get(key), (bytes, bytearray, memoryview)):
            return wire_name, plan.columns[key]
    for child in plan.children:
        for position, item in enumerate(record[child.key]):
            found = _bytes_in(child.columns, item)
            if found is not None:
                return f"{child.name}/{position}/{found[0]}", found[1]
    return None


def _failing_field(
    plan: RecordPlan,
    schema: type[EntitySchema],
    record: dict[str, Any],
    text: frozenset[tuple[type[Schema], str]],
) -> tuple[str, ColumnElement[Any]] | None:
    """(JSON pointer, column) of the first value of ``record`` its field cannot write.

    A value read as its wire text (``text``: :meth:`RecordPlan.text_fields`) is one
    its field wrote already."""
    children = {child.name: child for child in plan.children}
    for name, field_ in declared_fields(schema).items():
        wire_name = field_.data_key or name
        if isinstance(field_, Children):
            child = children[wire_name]
            for position, item in enumerate(record[child.key]):
                found = _failing_field(child.columns, field_.schema_class, item, text)
                if found is not None:
                    return f"{wire_name}/{position}/{found[0]}", found[1]
            continue
        if wire_name not in plan.keys:
            continue
        value = record[plan.keys[wire_name]]
        if value.__class__ is str and (schema, name) in text:
            continue
        try:
            field_._serialize(value, name, record)
        except ValueError:
            return wire_name, plan.column(wire_name)
    return None


def column_of(entity: EntityType, wire_name: str) -> ColumnElement[Any]:
    """The SQL expression behind a wire field of ``entity``, for ``where`` filters."""
    return plan_for(entity).column(wire_name)
