"""Pass two of a load: writing the checked records in bulk, in dependency order.

Records of one section are written in chunks: one executemany INSERT (or
UPDATE) per chunk and table, then one query for the ids the database gave the
new rows (on SQLite, for the rows after the largest rowid before the INSERT;
elsewhere, by their keys). INSERTs skip SQLAlchemy's per-row work (:class:`Writer`): each
table's statement is compiled once per load, and a function generated from
its columns turns a loaded record into the driver's parameters, through the
same bind processors that SQLAlchemy would apply. On PostgreSQL through
psycopg 3 the rows go through ``COPY ... FROM STDIN`` instead, which the
server takes about twice as fast as the INSERTs (``bench/RESULTS.md``). Records that reference
records of their own type are written parents first
(:meth:`Resolver.write_levels`); children are written after every record of
the section, so they may reference any of them.
An updated record's children are replaced. Whatever the database refuses
becomes a :class:`~bakery_io.problems.Problem` naming the records concerned.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from marshmallow import ValidationError
from sqlalchemy import (
    Column,
    Connection,
    Executable,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, StatementError

from bakery_io.accepting import load_or_accept
from bakery_io.binding.checked_binds import SCOPE as CHECKED_SCOPE
from bakery_io.binding.checked_binds import checked_bind
from bakery_io.binding.mapping import Binding, storage_type
from bakery_io.codecs import generated, loader
from bakery_io.errors import UsageError
from bakery_io.format.fields import Key, resolving
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.problems import Problem
from bakery_io.queries import batches, plan_for
from bakery_io.registry import EntityType
from bakery_io.resolution import (
    WRITES,
    Action,
    Known,
    Loaded,
    Resolver,
    attribute_of,
    generated_unstated,
    key_filter,
    key_text,
    record_key,
)
from bakery_io.sections import Section


class Refused(Exception):  # noqa: N818 (a signal between this module and load)
    """The database refused a write, or a reference no longer resolves; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _update(binding: Binding) -> Executable:
    """The UPDATE of one row by its primary key (``row_id``), each column's value bound
    through the type it is written with (a host's datetimes in UTC)."""
    values = {
        column.key: bindparam(column.key, type_=stored)
        for column in binding.columns.values()
        if (stored := storage_type(column)) is not None
    }
    statement = update(binding.table).where(binding.primary_key == bindparam("row_id"))
    return statement.values(values) if values else statement


def _row(binding: Binding, data: Mapping[str, Any]) -> dict[str, Any]:
    """An UPDATE's parameters by column key, from data loaded by attribute."""
    # Loaded data holds non-column fields too: the scope of a composite reference.
    return {column.key: data.get(attribute) for attribute, column in binding.columns.items()}


#: Turns loaded data (and the parent's row id, for a child) into an INSERT's parameters.
Parameters = Callable[[Mapping[str, Any], Any], Any]


class _Insert(NamedTuple):
    """A table's INSERT, compiled for one connection's dialect, and its parameter builder.

    ``copy`` is the ``COPY ... FROM STDIN`` that writes the same rows, where the
    connection takes it (:func:`_copies`): then ``parameters`` gives each row's
    values as a tuple, in the order ``copy`` names the columns. ``numbered`` is
    that COPY with the primary key column last, for rows whose ids were drawn
    beforehand (:meth:`Writer.draw_ids`), and ``table`` the table's name as both render it.
    ``keyed``: the INSERT writes the primary key itself (a host's key with a
    default computed in Python): the database numbers no row.
    """

    sql: str
    parameters: Parameters
    copy: str | None = None
    numbered: str | None = None
    table: str | None = None
    keyed: bool = False


def _copies(connection: Connection) -> bool:
    """Whether rows are written through COPY: on PostgreSQL through psycopg 3, synchronous.

    An async driver (this module runs on its greenlet bridge) and psycopg2 copy
    through other APIs; they write with executemany INSERTs, which store the same
    values.
    """
    dialect = connection.dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg" and not dialect.is_async


def _compile_insert(
    connection: Connection, binding: Binding, parent: Column[Any] | None
) -> _Insert:
    """The executemany INSERT of the binding's columns, and the function that fills it.

    The function is generated so that a row costs one call: each column's
    value is read from the loaded data by its field's attribute (absent is
    NULL, as when SQLAlchemy is given ``None``) and passed through the column
    type's bind processor for this dialect, exactly as
    :meth:`Connection.execute` would; ``parent`` takes the parent's row id
    instead. Columns the binding does not name keep their defaults. The
    connection's ``schema_translate_map``, which ``execute`` applies, is
    rendered into the SQL.
    """
    dialect = connection.dialect
    table = binding.table
    attributes = {column.key: attribute for attribute, column in binding.columns.items()}
    columns = [*attributes, *([parent.key] if parent is not None else [])]
    translate = connection.get_execution_options().get("schema_translate_map")
    compiled = insert(table).compile(
        dialect=dialect,
        column_keys=list(columns),
        for_executemany=True,
        schema_translate_map=translate,
        render_schema_translate=bool(translate),
    )
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    assert names is not None
    assert not compiled.escaped_bind_names
    copy = numbered = target_name = None
    positional = compiled.positional
    if _copies(connection):
        # The INSERT names its target and columns in the order of its binds; COPY takes
        # the same, rendered by the same compiler (quoting, schema translation).
        target, values_clause = compiled.string.split(" VALUES ", 1)
        assert re.findall(r"%\((\w+)\)s", values_clause) == list(names)
        target = target.removeprefix("INSERT INTO ")
        target_name = target.split(" (", 1)[0]
        copy = f"COPY {target} FROM STDIN"
        key = dialect.identifier_preparer.quote(binding.primary_key.name)
        numbered = f"COPY {target.removesuffix(')')}, {key}) FROM STDIN"
        positional = True
    scope: dict[str, Any] = dict(CHECKED_SCOPE)
    fields = _fields_by_attribute(binding.schema)
    values = []
    for number, name in enumerate(names):
        column = table.c[compiled.binds[name].key]
        checked = None
        if parent is not None and column.key == parent.key:
            value = "parent"
        elif column.key in attributes:
            value = f"get({attributes[column.key]!r})"
            checked = checked_bind(column, fields[attributes[column.key]], dialect)
        else:
            # A host's column the format does not fill, with a default of its own
            # that SQLAlchemy computes in Python: computed here, as execute would.
            scope[f"default{number}"] = _default(column)
            value = f"default{number}()"
        process = (
            (storage_type(column) or column.type).dialect_impl(dialect).bind_processor(dialect)
        )
        if process is not None:
            scope[f"process{number}"] = process
            if checked is None:
                value = f"process{number}({value})"
            else:
                # A value its field checked is written without the processor's checks.
                v = f"value{number}"
                test = checked.test.format(first=f"({v} := {value})", v=v)
                value = f"({checked.write.format(v=v)} if {test} else process{number}({v}))"
        values.append(value if positional else f"{name!r}: {value}")
    built = f"({', '.join(values)},)" if positional else f"{{{', '.join(values)}}}"
    lines = ["def parameters(data, parent):", "    get = data.get", f"    return {built}"]
    parameters = generated(lines, scope, f"<insert into {table.name}>")
    keyed = any(compiled.binds[name].key == binding.primary_key.key for name in names)
    return _Insert(compiled.string, parameters, copy, numbered, target_name, keyed)


def _fields_by_attribute(schema: type[EntitySchema]) -> dict[str, Any]:
    """The fields of ``schema`` by the key their loaded values have."""
    return {field.attribute or name: field for name, field in declared_fields(schema).items()}


def _default(column: Column[Any]) -> Callable[[], Any]:
    """The Python-side default of ``column``, as a function of no arguments."""
    default: Any = column.default
    if default is not None and default.is_scalar:
        value = default.arg
        return lambda: value
    # SQLAlchemy wraps a function of no arguments to take an execution context, which a
    # bulk insert has not: such a default is computed here; one that reads the context
    # (the row's other values) cannot be.
    if (
        default is not None
        and default.is_callable
        and not inspect.signature(default.arg).parameters
    ):
        make = default.arg
        return lambda: make(None)
    raise UsageError(
        f"column {column.table.name}.{column.name} has a default bakery_io cannot compute "
        "(it reads the statement's context); give it a server default or bind a field to it"
    )


@dataclass
class Writer:
    """Writes checked records through ``connection``; one per load (it caches statements).

    ``named``: each statement runs in a savepoint of its own, so that rows the
    database refuses can be tried one by one to name the record refused
    (:func:`_execute`). A load that, at any refusal, rolls back and loads again
    in full (the streamed load) does without: a savepoint costs two round trips
    a statement.
    """

    connection: Connection
    named: bool = True
    _inserts: dict[Table, _Insert] = field(default_factory=dict)
    _sequences: dict[Table, str | None] = field(default_factory=dict)
    _rowids: dict[Table, tuple[str, str] | None] = field(default_factory=dict)
    _last: dict[Table, int] = field(default_factory=dict)

    def insert(self, binding: Binding, parent: Column[Any] | None = None) -> _Insert:
        """The INSERT of ``binding``'s table (a child table names its ``parent`` column)."""
        found = self._inserts.get(binding.table)
        if found is None:
            found = _compile_insert(self.connection, binding, parent)
            self._inserts[binding.table] = found
        return found

    def draw_ids(self, binding: Binding, count: int) -> list[int] | None:
        """``count`` new ids for rows of ``binding``'s table written through COPY, drawn
        from the sequence its primary key takes its default from, in order: then the
        rows are written with their ids, and need no query to learn them.

        ``None`` where rows are not copied, or the key has no such sequence (a host's
        key of another kind, or an identity column GENERATED ALWAYS, which refuses a
        given id): then the database numbers the rows and :func:`_fetch_ids` asks.
        """
        table = binding.table
        if table not in self._sequences:
            self._sequences[table] = self._sequence(binding)
        sequence = self._sequences[table]
        if sequence is None:
            return None
        drawn = self.connection.exec_driver_sql(
            "SELECT nextval(%(sequence)s::regclass) FROM generate_series(1, %(count)s)",
            {"sequence": sequence, "count": count},
        )
        return [row[0] for row in drawn]

    def _sequence(self, binding: Binding) -> str | None:
        statement = self.insert(binding)
        key = binding.primary_key
        if statement.table is None or statement.keyed or not isinstance(key.type, Integer):
            return None
        # The sequence the key owns, where the key's default draws from it: an identity
        # BY DEFAULT, or a serial whose default still calls its nextval.
        found = self.connection.exec_driver_sql(
            "SELECT s.sequence FROM pg_attribute a"
            " CROSS JOIN LATERAL (SELECT pg_get_serial_sequence(%(table)s, %(column)s)"
            "  AS sequence) s"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE a.attrelid = %(table)s::regclass AND a.attname = %(column)s"
            " AND s.sequence IS NOT NULL AND (a.attidentity = 'd' OR EXISTS ("
            "  SELECT FROM pg_depend WHERE classid = 'pg_attrdef'::regclass"
            "  AND objid = d.oid AND refobjid = s.sequence::regclass))",
            {"table": statement.table, "column": key.name},
        ).scalar()
        return None if found is None else str(found)

    def last_rowid(self, binding: Binding) -> int | None:
        """On SQLite, where ``binding``'s primary key is the table's rowid: the largest
        key now (0 for an empty table), so that :meth:`rowids_after` can tell the rows
        an INSERT adds. ``None`` elsewhere: then :func:`_fetch_ids` asks by key.

        After the first INSERT the largest key is the last one this writer added:
        no query (should another row have come in between, the count shows it).
        """
        table = binding.table
        if table not in self._rowids:
            self._rowids[table] = self._rowid_queries(binding)
        queries = self._rowids[table]
        if queries is None:
            return None
        last = self._last.get(table)
        if last is None:
            last = int(self.connection.exec_driver_sql(queries[0]).scalar() or 0)
        return last

    def rowids_after(self, binding: Binding, last: int, count: int) -> list[int] | None:
        """The keys of the ``count`` rows just inserted into ``binding``'s table, in the
        order they were inserted, after :meth:`last_rowid` gave ``last``; ``None`` unless
        exactly ``count`` rows have a larger key.

        SQLite gives a new row the rowid one past the largest (or past the largest it
        ever gave, for AUTOINCREMENT), so the rows of one INSERT have increasing keys,
        all above ``last``. Once the INSERT has run, this transaction holds the
        database's write lock: no other connection adds rows. One that added some
        between ``last`` and the INSERT shows in the count; so does a table at the
        largest rowid, where SQLite picks free ones at random.
        """
        table = binding.table
        queries = self._rowids[table]
        assert queries is not None
        found = self.connection.exec_driver_sql(queries[1], (last,))
        ids = [row[0] for row in found]
        if len(ids) != count:
            self._last.pop(table, None)
            return None
        self._last[table] = ids[-1]
        return ids

    def _rowid_queries(self, binding: Binding) -> tuple[str, str] | None:
        """The queries of :meth:`last_rowid` and :meth:`rowids_after` for ``binding``'s
        table, where its primary key is its rowid (:meth:`_is_rowid`) and SQLite numbers
        the rows (the INSERT writes no key of its own), else ``None``."""
        if self.insert(binding).keyed or not self._is_rowid(binding):
            return None
        key = binding.primary_key
        dialect = self.connection.dialect
        translate = self.connection.get_execution_options().get("schema_translate_map")
        after = select(key).where(key > bindparam("last")).order_by(key)
        return tuple(  # type: ignore[return-value]
            query.compile(
                dialect=dialect,
                schema_translate_map=translate,
                render_schema_translate=bool(translate),
            ).string
            for query in (select(func.max(key)), after)
        )

    def _is_rowid(self, binding: Binding) -> bool:
        """Whether ``binding``'s primary key is its SQLite table's rowid, as the database
        declares the table: a single INTEGER key column without an index of its own (a
        WITHOUT ROWID table and an ``INTEGER PRIMARY KEY DESC`` have one)."""
        connection = self.connection
        key = binding.primary_key
        if connection.dialect.name != "sqlite" or len(binding.table.primary_key.columns) != 1:
            return False
        translate = connection.get_execution_options().get("schema_translate_map") or {}
        schema = translate.get(binding.table.schema, binding.table.schema)
        where = (binding.table.name,) if schema is None else (binding.table.name, schema)
        holes = ", ?" if schema is not None else ""
        columns = connection.exec_driver_sql(
            f"SELECT name, upper(type) FROM pragma_table_info(?{holes}) WHERE pk > 0", where
        ).all()
        indexed = connection.exec_driver_sql(
            f"SELECT count(*) FROM pragma_index_list(?{holes}) WHERE origin = 'pk'", where
        ).scalar()
        return columns == [(key.name, "INTEGER")] and indexed == 0

    def run(self, statement: Executable | _Insert, rows: Sequence[Any]) -> None:
        """Execute ``statement`` once per row of parameters (executemany), or COPY the rows."""
        if not isinstance(statement, _Insert):
            self.connection.execute(statement, list(rows))
        elif statement.copy is None:
            self.connection.exec_driver_sql(statement.sql, list(rows))
        else:
            self._copy(statement.copy, rows)

    def _copy(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY ``rows`` in text form, each value adapted by psycopg as for an INSERT.

        The driver's refusal is raised as SQLAlchemy's (:class:`DBAPIError`, whose
        ``orig`` is psycopg's), as :meth:`Connection.execute` would raise it.
        """
        dialect = self.connection.dialect
        error: type[Exception] = dialect.loaded_dbapi.Error  # psycopg's
        driver: Any = self.connection.connection.driver_connection
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        except error as exc:
            raise DBAPIError.instance(sql, None, exc, error, dialect=dialect) from exc
        except BaseException:
            # Interrupted (Ctrl-C, a signal) as the COPY began or ended, psycopg may leave
            # it unfinished, and the connection takes no other command, a rollback
            # included. SQLAlchemy never saw this statement: it is told to drop the
            # connection, whose transaction the server then rolls back.
            from psycopg.pq import TransactionStatus  # noqa: PLC0415 (only psycopg copies)

            if driver.pgconn.transaction_status == TransactionStatus.ACTIVE:
                self.connection.invalidate()
            raise


def _reason(exc: StatementError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)


def _execute(
    writer: Writer,
    section: Section,
    statement: Executable | _Insert,
    rows: Sequence[Any],
    owners: Sequence[tuple[int, Key]],
) -> None:
    """Run ``statement`` for ``rows`` (of the records ``owners``) in a savepoint.

    Should the database refuse, the rows are tried one by one to name the
    record it refuses; the load fails either way. Without ``writer.named``
    there is no savepoint, and a refusal names the records of the chunk.
    """
    connection = writer.connection
    if not writer.named:
        try:
            writer.run(statement, rows)
        except StatementError as exc:
            raise _refused_chunk(section, owners, exc) from exc
        return
    try:
        with connection.begin_nested():
            writer.run(statement, rows)
    except StatementError as exc:  # the database's refusal, or a column type's
        for row, (position, key) in zip(rows, owners, strict=True):
            try:
                with connection.begin_nested():
                    writer.run(statement, [row])
            except StatementError as refused:
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
        raise _refused_chunk(section, owners, exc) from exc


def _refused_chunk(
    section: Section, owners: Sequence[tuple[int, Key]], exc: StatementError
) -> Refused:
    """The refusal of a statement that wrote the records ``owners``, naming them all."""
    first, last = owners[0][0], owners[-1][0]
    return Refused(
        Problem(
            section.file,
            f"{section.pointer}/{first}",
            f"the database refused records {first}-{last}: {_reason(exc)}",
            first,
        )
    )


def _unstorable(section: Section, item: Written, exc: Exception) -> Refused:
    """A column type refused a value of the record ``item`` (or of its child): what it
    cannot store exactly, such as a decimal with more places than its scale restored as
    found. The record is named, as for the database's own refusals."""
    return Refused(
        Problem(
            section.file,
            f"{section.pointer}/{item.position}",
            f"{section.entity.name} {key_text(item.key)!r} cannot be stored: {exc}",
            item.position,
            key_text(item.key),
        )
    )


def _load(
    resolver: Resolver, section: Section, schema: type[EntitySchema], where: str, data: Any
) -> dict[str, Any]:
    """``data`` (a record, or a child at ``where``) loaded again for writing."""
    position = int(where.split("/")[2])
    try:
        return load_or_accept(loader(schema), schema, data, resolver.accepts(section, where))[0]
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
    writer: Writer, resolver: Resolver, section: Section, records: Iterable[Any]
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
        _drop_children(writer, entity, section, chunk)
    with resolving(resolver.lookup):
        if not entity.self_referencing:
            for batch in batches(written):
                _write_rows(writer, resolver, entity, section, batch)
                _write_children(writer, resolver, entity, section, batch)
                count += len(batch)
            return count
        gathered = list(written)
        levels, deferred = resolver.write_levels(entity)
        by_level: dict[int, list[Written]] = defaultdict(list)
        later: list[tuple[Written, str, Any]] = []
        for item in gathered:
            wires = deferred.get(item.key)
            written_now = item
            if wires:  # written without these references first: they close a cycle
                record = dict(item.record)
                later += [(item, wire, record[wire]) for wire in sorted(wires)]
                record.update(dict.fromkeys(wires))
                written_now = item._replace(record=record)
            by_level[levels.get(item.key, 0)].append(written_now)
        for level in sorted(by_level):
            for chunk in batches(by_level[level]):
                _write_rows(writer, resolver, entity, section, chunk)
        _write_later(writer, resolver, entity, section, later)
        # Children may reference any record of the section: they come after all of them.
        for chunk in batches(gathered):
            _write_children(writer, resolver, entity, section, chunk)
    return len(gathered)


def _write_later(
    writer: Writer,
    resolver: Resolver,
    entity: EntityType,
    section: Section,
    later: Sequence[tuple[Written, str, Any]],
) -> None:
    """Set the references that close cycles, now that every record they point at exists."""
    binding = entity.binding
    table = binding.table
    by_wire: dict[str, tuple[list[dict[str, Any]], list[tuple[int, Key]]]] = defaultdict(
        lambda: ([], [])
    )
    for item, wire, target in later:
        rows, owners = by_wire[wire]
        rows.append({"row_id": item.known.id, "target_id": resolver.lookup(entity.name, target)})
        owners.append((item.position, item.key))
    for wire, (rows, owners) in by_wire.items():
        column = binding.columns[attribute_of(entity.schema, wire)]
        # Each column with an ON UPDATE default set to itself: a timestamp the file
        # states must stay as it is.
        kept = {other.key: other for other in table.columns if other.onupdate is not None}
        statement = (
            update(table)
            .where(binding.primary_key == bindparam("row_id"))
            .values({**kept, column.key: bindparam("target_id")})
        )
        _execute(writer, section, statement, rows, owners)


def write_loaded(
    writer: Writer, resolver: Resolver, section: Section, loaded: Sequence[Loaded]
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
        _write_rows(writer, resolver, entity, section, chunk)
        _write_children(writer, resolver, entity, section, chunk)
    return len(chunk)


def _write_rows(
    writer: Writer,
    resolver: Resolver,
    entity: EntityType,
    section: Section,
    chunk: Sequence[Written],
) -> None:
    binding = entity.binding
    children = {child.name for child in entity.children}
    statement = writer.insert(binding)
    created: list[Written] = []
    inserts: list[Any] = []
    updates: dict[frozenset[str], tuple[list[dict[str, Any]], list[tuple[int, Key]]]] = {}
    for item in chunk:
        data = item.data
        if data is None:
            stated = {name: value for name, value in item.record.items() if name not in children}
            where = f"{section.pointer}/{item.position}"
            data = _load(resolver, section, entity.schema, where, stated)
        if item.known.action is Action.CREATE:
            created.append(item)
            try:
                inserts.append(statement.parameters(data, None))
            except (ValueError, TypeError, LookupError) as exc:
                raise _unstorable(section, item, exc) from exc
        else:
            row = _row(binding, data)
            for attribute in generated_unstated(entity.schema, item.record):
                # Keep the row's uuid and timestamps the file does not state.
                del row[binding.columns[attribute].key]
            row["row_id"] = item.known.id
            rows, owners = updates.setdefault(frozenset(row), ([], []))
            rows.append(row)
            owners.append((item.position, item.key))
    ids = writer.draw_ids(binding, len(inserts)) if inserts else None
    if ids is not None:
        for item, row_id in zip(created, ids, strict=True):
            item.known.id = row_id
        inserts = [(*row, row_id) for row, row_id in zip(inserts, ids, strict=True)]
        statement = statement._replace(copy=statement.numbered)
    last = writer.last_rowid(binding) if inserts and ids is None else None
    if inserts:
        owners = [(item.position, item.key) for item in created]
        _execute(writer, section, statement, inserts, owners)
    for rows, owners in updates.values():
        changing = _update(binding)
        _execute(writer, section, changing, rows, owners)
    if created and ids is None:
        _learn_ids(writer, entity, created, last)


def _learn_ids(
    writer: Writer, entity: EntityType, created: Sequence[Written], last: int | None
) -> None:
    """Learn the ids the database gave the new rows: on SQLite from the rows after the
    largest rowid before the INSERT (``last``), else by a query for their keys."""
    ids = None if last is None else writer.rowids_after(entity.binding, last, len(created))
    if ids is None:
        _fetch_ids(writer.connection, entity, created)
        return
    for item, row_id in zip(created, ids, strict=True):
        item.known.id = row_id


def _fetch_ids(connection: Connection, entity: EntityType, created: Sequence[Written]) -> None:
    """Learn the ids the database gave the new rows: one query for the chunk."""
    plan = plan_for(entity)
    by_key = {item.key: item.known for item in created}
    columns = [plan.column(name) for name in entity.natural_key]
    statement = (
        select(plan.row_id, *columns)
        .select_from(plan.joined)
        .where(key_filter(entity, list(by_key), connection.dialect))
    )
    width = len(columns)
    for row in connection.execute(statement):
        parts = tuple(row[1:])
        by_key[parts[0] if width == 1 else parts].id = row[0]


def _drop_children(
    writer: Writer,
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
        _execute(writer, section, statement, rows, owners)


def _write_children(
    writer: Writer,
    resolver: Resolver,
    entity: EntityType,
    section: Section,
    chunk: Sequence[Written],
) -> None:
    for child in entity.children:
        statement = writer.insert(child.binding, child.parent)
        parameters = statement.parameters
        rows: list[Any] = []
        owners = []
        for item in chunk:
            if item.data is not None:
                items = item.data[child.attribute]
            else:
                stated = item.record.get(child.name) or []
                where = f"{section.pointer}/{item.position}/{child.name}"
                items = [
                    _load(resolver, section, child.schema, f"{where}/{index}", record)
                    for index, record in enumerate(stated)
                ]
            parent = item.known.id
            try:
                rows.extend(parameters(data, parent) for data in items)
            except (ValueError, TypeError, LookupError) as exc:
                raise _unstorable(section, item, exc) from exc
            owners.extend([(item.position, item.key)] * len(items))
        if rows:
            _execute(writer, section, statement, rows, owners)
