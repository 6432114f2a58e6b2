"""Connecting to the caller's database: engines, binds and the bakery_io tables.

bakery_io never keeps a connection or engine of its own between calls. Every
operation takes a *bind* (an Engine, a Connection or a Session) and works
inside the caller's transaction where there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    func,
    inspect,
    make_url,
    select,
)
from sqlalchemy.exc import ArgumentError, MissingGreenlet, NoSuchModuleError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from bakery_io.binding.models import metadata
from bakery_io.errors import UsageError

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
        raise UsageError(f"unknown database kind in {url!r}: {exc}") from exc
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {url!r} ({exc})") from exc
    except ImportError as exc:
        raise UsageError(
            f"the driver for {parsed.drivername} is not installed ({exc.name}); install "
            "bakery-io[postgresql] or bakery-io[mysql], or the driver the URL names"
        ) from exc
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
    store records in (a host's included). Existing tables are left as they
    are. With a Connection or Session the DDL runs in the caller's
    transaction and is committed by the caller.
    """
    if registry is not None:
        registry.check_storage()
    tables = metadata.sorted_tables if registry is None else registry.tables
    with transaction(bind) as connection:
        _create_missing_tables(connection, tables)


def _existing_tables(connection: Connection) -> set[str]:
    """Names of the tables where the connection puts bakery_io's: the schema its
    ``schema_translate_map`` gives the tables (which have none), else the default."""
    translate = connection.get_execution_options().get("schema_translate_map") or {}
    return set(inspect(connection).get_table_names(schema=translate.get(None)))


def _create_missing_tables(connection: Connection, tables: Iterable[Table]) -> None:
    # Like MetaData.create_all, but with indexes in name order: create_all takes
    # them from a set, and the order of DDL ends up in the bytes of a SQLite file.
    existing = _existing_tables(connection)
    for table in tables:
        if table.name in existing:
            continue
        connection.execute(CreateTable(table))
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            connection.execute(CreateIndex(index))


def drop_schema(bind: Bind) -> None:
    """Drop the bakery_io tables (and only those) from the database of ``bind``."""
    with transaction(bind) as connection:
        metadata.drop_all(connection)


def bakery_tables_present(connection: Connection, registry: Registry | None = None) -> set[str]:
    """Names of the bakery_io tables (or of ``registry``'s) that exist in the connected
    database."""
    names = set(metadata.tables) if registry is None else {t.name for t in registry.tables}
    return _existing_tables(connection) & names


def count_rows(connection: Connection) -> dict[str, int]:
    """Rows per bakery_io table, in dependency order."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in metadata.sorted_tables
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
