"""Databases for the shop's tests: SQLite, and each server in BAKERY_IO_TEST_URLS.

Each test gets a new database of its own (a file, or a database made on the
server and dropped afterwards), as a CI job of the shop's would.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from bakery_io import engine_from_url

SERVERS = os.environ.get("BAKERY_IO_TEST_URLS", "").split()


@pytest.fixture(
    params=["sqlite", *SERVERS],
    ids=lambda url: make_url(url).get_backend_name() if "://" in url else url,
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    server = make_url(request.param)
    name = f"hostapp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if server.get_backend_name() == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}{force}"))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a new, empty database."""
    created = engine_from_url(database_url)
    yield created
    created.dispose()
