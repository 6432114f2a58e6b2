"""Connecting to the caller's database: engines, binds and the bakery_io tables.

bakery_io never keeps a connection or engine of its own between calls. Every
operation takes a *bind* (an Engine, a Connection or a Session) and works
inside the caller's transaction where there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Constraint,
    Engine,
    Index,
    Table,
    create_engine,
    event,
    func,
    inspect,
    make_url,
    select,
)
from sqlalchemy.engine import Inspector
from sqlalchemy.exc import ArgumentError, MissingGreenlet, NoSuchModuleError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from bakery_io.binding import urls
from bakery_io.binding.models import metadata
from bakery_io.binding.placement import Placement, is_own, placed_tables
from bakery_io.binding.shapes import differences, existing, schema_of
from bakery_io.errors import DatabaseStateError, UsageError

if TYPE_CHECKING:
    from bakery_io.registry import Registry

logger = logging.getLogger(__name__)

#: What every operation accepts as its database.
Bind = Engine | Connection | Session


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless each connection asks for them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_from_url(url: str, **options: Any) -> Engine:
    """Create an Engine for ``url`` with the settings bakery_io relies on.

    SQLite gets foreign-key enforcement on every connection. ``options`` go to
    :func:`sqlalchemy.create_engine`.
    """
    try:
        parsed = make_url(url)
        engine = create_engine(parsed, **options)
    except NoSuchModuleError as exc:  # an ArgumentError too: catch it first
        raise UsageError(urls.unknown_kind(url)) from exc
    except ArgumentError as exc:
        raise UsageError(
            f"not a database URL: {urls.shown(url)!r}; use one of {', '.join(urls.FORMS)}"
        ) from exc
    except ImportError as exc:
        raise UsageError(urls.missing_driver(parsed, exc.name)) from exc
    if engine.dialect.name == "sqlite" and (problem := urls.sqlite_problem(parsed)):
        engine.dispose()
        raise UsageError(problem)
    if engine.dialect.is_async:
        engine.dispose()
        raise UsageError(
            f"{parsed.drivername} is an asyncio driver: give a synchronous one in the URL "
            "(sqlite://, postgresql+psycopg://, mysql+pymysql://), or make an AsyncEngine "
            "(sqlalchemy.ext.asyncio.create_async_engine) and await bakery_io.aio's functions"
        )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _unusable(bind: object) -> UsageError:
    kind = type(bind).__name__
    # By the module's name: importing sqlalchemy.ext.asyncio to ask would cost every
    # caller, and an async bind exists only where that module was imported.
    if type(bind).__module__.startswith("sqlalchemy.ext.asyncio"):
        return UsageError(
            f"got a SQLAlchemy {kind}: from asyncio code await the functions of "
            "bakery_io.aio, which take an AsyncEngine, AsyncConnection or AsyncSession"
        )
    return UsageError(f"expected a SQLAlchemy Engine, Connection or Session, got {kind}")


def describe(bind: Bind) -> str:
    """The bind's database URL with any password hidden, for messages."""
    if not isinstance(bind, (Engine, Connection, Session)):
        raise _unusable(bind)
    target = bind.get_bind() if isinstance(bind, Session) else bind
    return target.engine.url.render_as_string(hide_password=True)


@contextmanager
def connected(engine: Engine) -> Iterator[Connection]:
    """``engine.connect()``, closed at the end.

    The sync side of an ``AsyncEngine`` (``AsyncEngine.sync_engine``) can only
    connect inside ``run_sync``; elsewhere that is a :class:`UsageError`.
    """
    try:
        connection = engine.connect()
    except MissingGreenlet as exc:
        raise UsageError(
            "an AsyncEngine's sync_engine works only inside AsyncConnection.run_sync (or "
            "AsyncSession.run_sync): await bakery_io.aio's functions with the AsyncEngine itself"
        ) from exc
    with connection:
        yield connection


@contextmanager
def transaction(bind: Bind) -> Iterator[Connection]:
    """A connection in a transaction on ``bind``.

    An Engine gets a new connection and transaction that commit on success and
    roll back on error. A Connection or Session is the caller's: the work joins
    its transaction (beginning one if none is open) and the caller commits.
    """
    if isinstance(bind, Engine):
        with connected(bind) as connection, connection.begin():
            yield connection
    elif isinstance(bind, Session):
        connection = bind.connection()
        # Python's sqlite3 would leave a SAVEPOINT outside any transaction, and
        # its RELEASE would commit what the caller may still roll back.
        begin_sqlite(connection)
        yield connection
    elif isinstance(bind, Connection):
        if not bind.in_transaction():
            bind.begin()
        begin_sqlite(bind)
        yield bind
    else:
        raise _unusable(bind)


@contextmanager
def snapshot(bind: Bind) -> Iterator[Connection]:
    """A connection that sees one consistent state of the database while it is open.

    With an Engine: a new transaction at REPEATABLE READ on PostgreSQL and
    MySQL/MariaDB (a snapshot taken at the first read) and an explicit read
    transaction on SQLite, rolled back at the end: reading changes nothing.
    With a Connection or Session the caller's transaction is used (a Session's
    pending changes are flushed first, to be part of what is read); on SQLite
    it is made a real read transaction, and where its isolation level is
    weaker than REPEATABLE READ (PostgreSQL's default) a warning is logged,
    because rows committed meanwhile by others may then show up.
    """
    if isinstance(bind, Engine):
        with connected(bind) as connection:
            if bind.dialect.name in ("postgresql", "mysql", "mariadb"):
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin() as outer:
                begin_sqlite(connection)
                yield connection
                outer.rollback()
        return
    if isinstance(bind, Session):
        flush_pending(bind)
    with transaction(bind) as connection:
        begin_sqlite(connection)
        if connection.dialect.name != "sqlite":
            level = connection.get_isolation_level()
            if level not in ("REPEATABLE READ", "SERIALIZABLE"):
                logger.warning(
                    "reading in the caller's transaction at %s: rows others commit meanwhile "
                    "may appear; pass an Engine, or use REPEATABLE READ, for one snapshot",
                    level,
                )
        yield connection


def begin_sqlite(connection: Connection, mode: str = "DEFERRED") -> None:
    """On SQLite, begin the transaction now (``IMMEDIATE``: with the write lock).

    Python's sqlite3 begins only before the first write; reads before it would
    each see the latest data. Elsewhere, and when a transaction is open, nothing.
    """
    if connection.dialect.name != "sqlite":
        return
    # The driver's own connection: sqlite3's, or aiosqlite's (whose DBAPI adapter
    # hides in_transaction).
    driver: Any = connection.connection.driver_connection
    if not driver.in_transaction:
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_schema(bind: Bind, *, registry: Registry | None = None) -> None:
    """Create the tables that do not exist yet in the database of ``bind``.

    The tables are bakery_io's own, or with ``registry`` those its bindings
    store records in (a host's included), bakery_io's where the registry's
    :attr:`~bakery_io.registry.Registry.placement` puts them. Existing tables
    are left as they are, once checked: a table of the same name that is not
    what bakery_io expects (a host's own ``events``) is refused with a
    :class:`DatabaseStateError` (reason ``"table differs"``) before anything is
    created. Database schemas are not created: a placement's schema must exist
    (reason ``"no schema"``). With a Connection or Session the DDL runs in the
    caller's transaction and is committed by the caller.
    """
    if registry is not None:
        registry.check_storage()
    expected = _expected(registry)
    tables = list(expected)
    with transaction(bind) as connection:
        inspector = inspect(connection)
        _check_names(connection, tables, inspector)
        _refuse_differences(connection, expected, inspector)
        _create_missing_tables(connection, existing(connection, tables, inspector), tables)


def _expected(registry: Registry | None) -> dict[Table, frozenset[str] | None]:
    """The tables of ``registry`` (bakery_io's own without one), each with what is
    compared when it exists: None for all of bakery_io's own, a host's bound columns."""
    if registry is None:
        return dict.fromkeys(metadata.sorted_tables)
    return {
        table: None if is_own(table) else registry.stored_columns(table)
        for table in registry.tables
    }


def _url(connection: Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=True)


#: The longest table name MySQL and MariaDB take.
_MYSQL_TABLE_NAME_LENGTH = 64


def _check_names(connection: Connection, tables: Sequence[Table], inspector: Inspector) -> None:
    """Refuse a placement whose names the database cannot hold, before any DDL:
    PostgreSQL would cut a long table name short, MySQL/MariaDB refuse it.
    (Constraint and index names are shortened with a hash by SQLAlchemy.)"""
    # SQLAlchemy's MySQL dialect says 255 (the length of an alias); a table name
    # holds at most 64 characters on MySQL and MariaDB.
    mysql = connection.dialect.name in ("mysql", "mariadb")
    limit = _MYSQL_TABLE_NAME_LENGTH if mysql else connection.dialect.max_identifier_length
    schemas = {schema_of(connection, table) for table in tables if is_own(table)}
    for schema in sorted(schema for schema in schemas if schema is not None):
        if not inspector.has_schema(schema):
            raise DatabaseStateError(
                f"{_url(connection)} has no schema {schema} for bakery_io's tables: create it "
                "first (create_schema makes tables, not database schemas)",
                url=_url(connection),
                reason="no schema",
            )
    long = sorted(t.name for t in tables if is_own(t) and len(t.name) > limit)
    if long:
        raise UsageError(
            f"{connection.dialect.name} names hold at most {limit} characters; the prefix "
            f"makes {long[0]} ({len(long[0])}): choose a shorter prefix"
        )
    if connection.dialect.name == "postgresql":
        _check_bytes([table for table in tables if is_own(table)], limit)


def _check_bytes(tables: Sequence[Table], limit: int) -> None:
    """PostgreSQL counts the bytes of a name, SQLAlchemy its characters: a name within
    the limit in characters but not in bytes (a prefix beyond ASCII) would be cut short
    silently, and two names cut alike clash (the database's error, half-way)."""
    for table in tables:
        items: list[Constraint | Index] = [*table.constraints, *table.indexes]
        for name in (table.name, *(str(item.name) for item in items if item.name)):
            # What SQLAlchemy sends: a name too long is cut to limit - 8 and a hash.
            sent = name if len(name) <= limit else f"{name[: limit - 8]}_0000"
            if len(sent.encode()) > limit:
                raise UsageError(
                    f"postgresql names hold at most {limit} bytes; the prefix makes "
                    f"{sent} ({len(sent.encode())} bytes): choose a shorter prefix, or "
                    "one in ASCII"
                )


def _refuse_differences(
    connection: Connection,
    expected: Mapping[Table, frozenset[str] | None],
    inspector: Inspector,
    *,
    keys: bool = True,
) -> None:
    """A :class:`DatabaseStateError` when an existing table is not what bakery_io expects
    (its primary and foreign keys too, with ``keys``)."""
    found = differences(connection, expected, keys=keys, inspector=inspector)
    if not found:
        return
    lines = [
        f"  {table.fullname}: {'; '.join(listed)}"
        for table, listed in sorted(found.items(), key=lambda item: item[0].fullname)
    ]
    raise DatabaseStateError(
        f"{_url(connection)} has tables under the names bakery_io uses that are not what it "
        "expects (another application's, or altered):\n"
        + "\n".join(lines)
        + "\nDrop them if nothing in them is needed, or place bakery_io's tables beside "
        'them: REGISTRY.derive(prefix="bk_") or derive(schema=...), given to every call '
        "(see docs/sharing.md)",
        url=_url(connection),
        reason="table differs",
        tables=sorted(table.fullname for table in found),
    )


def _create_missing_tables(
    connection: Connection, present: Iterable[Table], tables: Iterable[Table]
) -> None:
    # Like MetaData.create_all, but with indexes in name order: create_all takes
    # them from a set, and the order of DDL ends up in the bytes of a SQLite file.
    skipped = set(present)
    for table in tables:
        if table in skipped:
            continue
        connection.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            connection.execute(CreateIndex(index))


def drop_schema(bind: Bind, *, registry: Registry | None = None) -> None:
    """Drop bakery_io's own tables (and only those) from the database of ``bind``.

    With ``registry``, where its placement puts them; a host's tables, even those
    the registry binds, are never dropped. A table of one of those names that is
    not bakery_io's (it differs from what bakery_io makes) is refused with a
    :class:`DatabaseStateError` (reason ``"table differs"``) before anything is
    dropped.
    """
    placement = Placement() if registry is None else registry.placement
    # A host table the registry binds may have the name of one of bakery_io's
    # (bake_tracker's suppliers): it is the host's, whatever its columns.
    hosts = set() if registry is None else {t.key for t in registry.tables if not is_own(t)}
    own = [table for table in placed_tables(placement).values() if table.key not in hosts]
    with transaction(bind) as connection:
        inspector = inspect(connection)
        present = existing(connection, own, inspector)
        _refuse_differences(connection, dict.fromkeys(present), inspector)
        _refuse_references(connection, present, inspector)
        if present:
            present[0].metadata.drop_all(connection, tables=present, checkfirst=False)


def _refuse_references(
    connection: Connection, dropped: Sequence[Table], inspector: Inspector
) -> None:
    """A :class:`DatabaseStateError` (reason ``"table referenced"``) when a table that is
    not dropped has a foreign key into one that is (a host's deliveries into bakery_io's
    recipients): PostgreSQL and MySQL/MariaDB would refuse the drop with their own
    error, SQLite would drop it and leave the host's key pointing at nothing."""
    places = {(schema_of(connection, table), table.name) for table in dropped}
    referencing: set[str] = set()
    # The default schema too: a host's tables there may reference placed ones.
    for schema in {schema for schema, _name in places} | {None}:
        keys = inspector.get_multi_foreign_keys(schema=schema)
        for (owner_schema, owner), found in keys.items():
            if (owner_schema, owner) in places:
                continue
            for key in found:
                target = (key["referred_schema"] or owner_schema, key["referred_table"])
                if target in places:
                    referencing.add(owner if owner_schema is None else f"{owner_schema}.{owner}")
    if referencing:
        listed = sorted(referencing)
        raise DatabaseStateError(
            f"{_url(connection)}: {', '.join(listed)} "
            f"{'has foreign keys' if len(listed) == 1 else 'have foreign keys'} into "
            "bakery_io's tables; drop those keys (or the tables) first: drop_schema drops "
            "bakery_io's tables only",
            url=_url(connection),
            reason="table referenced",
            tables=listed,
        )


def bakery_tables_present(connection: Connection, registry: Registry | None = None) -> set[str]:
    """Names of the bakery_io tables (or of ``registry``'s) that exist in the connected
    database."""
    return {table.name for table in existing(connection, _expected(registry))}


def require_tables(connection: Connection, registry: Registry) -> None:
    """Refuse (:class:`DatabaseStateError`) a database that lacks a table ``registry``
    reads and writes (reason ``"no tables"``), or holds one whose columns are not what
    bakery_io expects under its name (reason ``"table differs"``; keys are compared
    by :func:`create_schema`, the columns are what a load needs)."""
    registry.check_storage()
    expected = _expected(registry)
    inspector = inspect(connection)
    present = set(existing(connection, expected, inspector))
    missing = sorted(table.fullname for table in expected if table not in present)
    if missing:
        raise DatabaseStateError(
            f"{_url(connection)} lacks tables bakery_io reads and writes ({', '.join(missing[:5])}"
            f"{', ...' if len(missing) > 5 else ''}); create them with create_schema() "
            "(or bakery-io init-db) first, given the same registry",
            url=_url(connection),
            reason="no tables",
            tables=missing,
        )
    _refuse_differences(connection, expected, inspector, keys=False)


def check_tables(connection: Connection, registry: Registry) -> None:
    """Refuse (:class:`DatabaseStateError`, reason ``"table differs"``) a database in
    which the columns of a table ``registry`` reads are not what bakery_io expects under
    its name."""
    _refuse_differences(connection, _expected(registry), inspect(connection), keys=False)


def count_rows(connection: Connection, registry: Registry | None = None) -> dict[str, int]:
    """Rows per bakery_io table (or per table of ``registry``), in dependency order."""
    tables = metadata.sorted_tables if registry is None else registry.tables
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in tables
    }


def flush_pending(session: Session, *, dry_run: bool = False) -> None:
    """Flush ``session``'s pending changes, for bakery_io to see them in its transaction.

    A dry run must change nothing of the caller's, its Session included, so it
    flushes nothing; a Session holding changes not yet flushed is refused then,
    as the dry run would not see them and could answer otherwise than the load.
    """
    if not dry_run:
        session.flush()
        return
    pending = (
        len(session.new)
        + len(session.deleted)
        + sum(1 for instance in session.dirty if session.is_modified(instance))
    )
    if pending:
        raise UsageError(
            f"the Session holds {pending} change{'' if pending == 1 else 's'} not yet flushed, "
            "which a dry run would not see (it changes nothing of the caller's, so it does not "
            "flush): flush() the Session first, or load without dry_run"
        )
