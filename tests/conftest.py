"""Shared fixtures: every database test runs on SQLite and on each server in BAKERY_IO_TEST_URLS.

``BAKERY_IO_TEST_URLS`` holds whitespace-separated SQLAlchemy URLs of servers
the tests may create databases on (for example
``postgresql+psycopg://postgres@127.0.0.1/postgres``). Each test session
creates its own databases there and drops them afterwards; a server that
cannot be reached is skipped, not failed.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bakery_io import create_schema, drop_schema, dump_all, engine_from_url, generate_sample

#: The seed the shared sample database is built with.
SAMPLE_SEED = 3


def _server_urls() -> list[str]:
    return os.environ.get("BAKERY_IO_TEST_URLS", "").split()


def _backend_id(url: str) -> str:
    return url if url == "sqlite" else make_url(url).get_backend_name()


BACKENDS = ["sqlite", *_server_urls()]


class ServerDatabase:
    """A database of its own on a server, created now and dropped by :meth:`drop`.

    ``create_options`` maps backend names (``"postgresql"``, ``"mysql"``) to text
    appended to CREATE DATABASE instead of the default (on MySQL/MariaDB
    ``utf8mb4`` with the binary collation; nothing on PostgreSQL).
    """

    def __init__(self, server_url: str, create_options: Mapping[str, str] | None = None) -> None:
        self.server = make_url(server_url)
        self.name = f"bakery_io_test_{uuid.uuid4().hex[:12]}"
        kind = self.server.get_backend_name()
        mysql = kind in ("mysql", "mariadb")
        options = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if mysql else ""
        options = (create_options or {}).get(kind, options)
        self._admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        try:
            with self._admin.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {self.name}{options}"))
        except DBAPIError as exc:
            self._admin.dispose()
            pytest.skip(f"database server {self.server!r} is not usable: {exc.orig}")
        self.url: URL = self.server.set(database=self.name)

    def drop(self) -> None:
        force = " WITH (FORCE)" if self.server.get_backend_name() == "postgresql" else ""
        with self._admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {self.name}{force}"))
        self._admin.dispose()


@contextmanager
def database_url(
    backend: str, directory: Path, name: str, create_options: Mapping[str, str] | None = None
) -> Iterator[str]:
    """A fresh, empty database on ``backend``: a SQLite file, or a server database
    (created with ``create_options``, see :class:`ServerDatabase`)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{name}.db'}"
        return
    database = ServerDatabase(backend, create_options)
    try:
        yield database.url.render_as_string(hide_password=False)
    finally:
        database.drop()


@pytest.fixture(scope="session", params=BACKENDS, ids=_backend_id)
def backend(request: pytest.FixtureRequest) -> str:
    """``"sqlite"`` or a server URL from BAKERY_IO_TEST_URLS."""
    return str(request.param)


@pytest.fixture(scope="session")
def sample_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database holding the scale-1 sample of :data:`SAMPLE_SEED`. Tests must not change it."""
    directory = tmp_path_factory.mktemp("sample")
    with database_url(backend, directory, "sample") as url:
        engine = engine_from_url(url)
        generate_sample(engine, scale=1, seed=SAMPLE_SEED)
        yield engine
        engine.dispose()


@pytest.fixture(scope="session")
def sample_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample of :data:`SAMPLE_SEED` dumped once, from SQLite, for tests that need its
    files but not each backend (a dump's files are the same from every backend). Its
    database is ``sample.db`` beside it: copy it, never change it."""
    directory = tmp_path_factory.mktemp("sample_dump")
    engine = engine_from_url(f"sqlite:///{directory / 'sample.db'}")
    generate_sample(engine, scale=1, seed=SAMPLE_SEED)
    dump_all(engine, directory / "dump")
    engine.dispose()
    return directory / "dump"


@pytest.fixture(scope="session")
def _scratch_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with database_url(backend, tmp_path_factory.mktemp("scratch"), "scratch") as url:
        yield url


@pytest.fixture
def empty_engine(_scratch_url: str) -> Iterator[Engine]:
    """An engine on a database without bakery_io tables; they are dropped after the test."""
    engine = engine_from_url(_scratch_url)
    drop_schema(engine)
    yield engine
    drop_schema(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with empty bakery_io tables, to copy (creating the tables is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = engine_from_url(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    return path


def sqlite_copy(template: Path, path: Path) -> Engine:
    """An engine on a copy of ``template`` at ``path``."""
    shutil.copyfile(template, path)
    return engine_from_url(f"sqlite:///{path}")
