"""Where the benchmark's databases live: cached sample databases and fresh empty ones.

A sample database is built once per (scale, seed, source hash) and kept: as a
SQLite file in ``bench/.cache/`` or as a database on a server. Loading steps
get a fresh empty database each, removed again afterwards.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.engine import URL

import bakery_io
from bakery_io import engine_from_url, generate_sample

CACHE = Path(__file__).resolve().parent / ".cache"

#: Marks a server sample database as complete: generate_sample commits once, but
#: a crash between CREATE DATABASE and that commit leaves an empty database behind.
_MARKER = "bench_sample_complete"


def source_hash() -> str:
    """A short hash of the sources that decide the sample data, so a change rebuilds it."""
    package = Path(bakery_io.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in [package / "binding" / "models.py", *sorted((package / "sample").glob("*.py"))]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def sample_name(scale: int, seed: int) -> str:
    """The name of a cached sample: scale, seed and source hash."""
    return f"bakery_bench_s{scale}_r{seed}_{source_hash()}"


class Backend(Protocol):
    """A kind of database the benchmark runs on."""

    label: str
    #: The SQLAlchemy backend name: sqlite, postgresql, mysql or mariadb.
    kind: str

    def version(self) -> str:
        """The database's version, for the report."""
        ...

    def sample(self, scale: int, seed: int) -> str:
        """The URL of the sample database at ``scale``, built first when not cached."""
        ...

    def fresh(self) -> AbstractContextManager[str]:
        """A new empty database (its URL), removed when the context ends."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SQLiteBackend:
    """SQLite files: samples cached in ``bench/.cache/``, empty targets in a temp directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.kind = "sqlite"
        self.label = self.version()

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def sample(self, scale: int, seed: int) -> str:
        path = CACHE / f"{sample_name(scale, seed)}.db"
        if not path.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            # Built under a temporary name and renamed when complete, so an
            # interrupted build is never mistaken for a sample.
            partial = path.with_suffix(f".partial-{os.getpid()}")
            partial.unlink(missing_ok=True)
            engine = engine_from_url(f"sqlite:///{partial}")
            try:
                generate_sample(engine, scale=scale, seed=seed)
            finally:
                engine.dispose()
            partial.replace(path)
        return f"sqlite:///{path}"

    @contextmanager
    def fresh(self) -> Iterator[str]:
        path = self.workdir / f"target-{uuid.uuid4().hex[:12]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in (path, path.with_name(path.name + "-journal")):
                leftover.unlink(missing_ok=True)

    def close(self) -> None:
        pass


class ServerBackend:
    """A PostgreSQL or MySQL/MariaDB server: samples kept as databases, targets made and dropped."""

    def __init__(self, url: str) -> None:
        self.server: URL = make_url(url)
        self.kind = self.server.get_backend_name()
        if self.kind not in ("postgresql", "mysql", "mariadb"):
            raise ValueError(f"unsupported server {url!r}: PostgreSQL or MySQL/MariaDB only")
        self.admin: Engine = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.label = self.version()

    @property
    def _mysql(self) -> bool:
        return self.kind in ("mysql", "mariadb")

    def version(self) -> str:
        with self.admin.connect() as connection:
            if self._mysql:
                found = str(connection.execute(text("SELECT VERSION()")).scalar_one())
                name = "MariaDB" if "mariadb" in found.lower() else "MySQL"
                return f"{name} {found.split('-', maxsplit=1)[0]}"
            found = str(connection.execute(text("SHOW server_version")).scalar_one())
            return f"PostgreSQL {found.split()[0]}"

    def _url(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    def _exists(self, database: str) -> bool:
        query = (
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"
            if self._mysql
            else "SELECT 1 FROM pg_database WHERE datname = :name"
        )
        with self.admin.connect() as connection:
            return connection.execute(text(query), {"name": database}).first() is not None

    def _create(self, database: str) -> None:
        options = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if self._mysql else ""
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {database}{options}"))

    def _drop(self, database: str) -> None:
        force = "" if self._mysql else " WITH (FORCE)"
        with self.admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database}{force}"))

    def _complete(self, database: str) -> bool:
        engine = create_engine(self._url(database))
        try:
            with engine.connect() as connection:
                if not engine.dialect.has_table(connection, _MARKER):
                    return False
                return connection.execute(text(f"SELECT 1 FROM {_MARKER}")).first() is not None
        finally:
            engine.dispose()

    def sample(self, scale: int, seed: int) -> str:
        database = sample_name(scale, seed)
        if self._exists(database) and self._complete(database):
            return self._url(database)
        self._drop(database)
        self._create(database)
        engine = engine_from_url(self._url(database))
        try:
            report = generate_sample(engine, scale=scale, seed=seed)
            with engine.begin() as connection:
                connection.execute(text(f"CREATE TABLE {_MARKER} (total_rows INTEGER)"))
                connection.execute(
                    text(f"INSERT INTO {_MARKER} VALUES (:total)"), {"total": report.total}
                )
        finally:
            engine.dispose()
        return self._url(database)

    @contextmanager
    def fresh(self) -> Iterator[str]:
        database = f"bakery_bench_tmp_{uuid.uuid4().hex[:12]}"
        self._create(database)
        try:
            yield self._url(database)
        finally:
            self._drop(database)

    def close(self) -> None:
        self.admin.dispose()
