"""bakery_io.aio: the operations from asyncio code, on aiosqlite and (with a PostgreSQL
server in BAKERY_IO_TEST_URLS) on asyncpg and psycopg's async side."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

from bakery_io import (
    Progress,
    SourceError,
    UsageError,
    drop_schema,
    dump_all,
    dump_history,
    engine_from_url,
    generate_sample,
    load_all,
)
from tests.conftest import ServerDatabase, _server_urls
from tests.test_export_reads import EXPORTED_AT, files

pytest.importorskip("greenlet")
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    create_async_engine,
)

from bakery_io import aio


@dataclass(frozen=True)
class Target:
    """One empty database, by the URLs of its asyncio driver and of a synchronous one."""

    async_url: str
    sync_url: str


def _drivers() -> list[Any]:
    """(async driver, server URL or None for SQLite) for each database the tests run on."""
    servers = [url for url in _server_urls() if make_url(url).get_backend_name() == "postgresql"]
    return [
        pytest.param(("aiosqlite", None), id="aiosqlite"),
        *(
            pytest.param((driver, url), id=driver)
            for url in servers
            for driver in ("asyncpg", "psycopg_async")
        ),
    ]


@pytest.fixture(scope="module", params=_drivers())
def _database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    driver, server = request.param
    pytest.importorskip("psycopg" if driver == "psycopg_async" else driver)
    if server is None:
        path = tmp_path_factory.mktemp("async") / "async.db"
        yield Target(f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}")
        return
    try:
        database = ServerDatabase(server)
    except ModuleNotFoundError as missing:  # the server URL's own (synchronous) driver
        pytest.skip(f"{make_url(server).drivername} is not installed ({missing.name})")
    try:
        yield Target(
            database.url.set(drivername=f"postgresql+{driver}").render_as_string(False),
            database.url.render_as_string(hide_password=False),
        )
    finally:
        database.drop()


@pytest.fixture
def target(_database: Target) -> Target:
    """A database without bakery_io tables, on each asyncio driver in turn."""
    engine = engine_from_url(_database.sync_url)
    drop_schema(engine)
    engine.dispose()
    return _database


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog sample, exported by the synchronous API."""
    directory = tmp_path_factory.mktemp("async_backup")
    engine = engine_from_url(f"sqlite:///{directory / 'source.db'}")
    generate_sample(engine, scale=0)
    dump_all(engine, directory / "backup", exported_at=EXPORTED_AT)
    dump_history(engine, directory / "history.json", exported_at=EXPORTED_AT)
    engine.dispose()
    return directory


@pytest.fixture(scope="module")
def bad_backup(backup: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The backup with a late file changed after export: refused once the records before it
    have been written."""
    directory = tmp_path_factory.mktemp("async_bad") / "backup"
    shutil.copytree(backup / "backup", directory)
    events = directory / "17_events.json"
    events.write_text(events.read_text(encoding="utf-8").replace("2025", "2024"), "utf-8")
    return directory


@asynccontextmanager
async def async_engine(target: Target) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(target.async_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def committed(target: Target, table: str = "events") -> int:
    """The rows of ``table`` committed in the database, as another connection sees them."""
    engine = engine_from_url(target.sync_url)
    with engine.connect() as connection:
        found = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return int(found)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


def test_an_async_engine_loads_and_commits_and_dumps_the_same_bytes(
    target: Target, backup: Path, bad_backup: Path, tmp_path: Path
) -> None:
    async def main() -> None:
        async with async_engine(target) as engine:
            await aio.create_schema(engine)
            with pytest.raises(SourceError, match=r"17_events\.json"):
                await aio.load_all(engine, bad_backup)
            assert committed(target, "suppliers") == 0  # written before the refusal, undone
            dry = await aio.load_all(engine, backup / "backup", dry_run=True)
            assert dry.dry_run
            assert dry.counts["events"].created == 7
            assert committed(target) == 0
            report = await aio.load_all(engine, backup / "backup")
            assert report.counts["events"].created == 7
            assert committed(target) == 7  # committed by bakery_io
            await aio.dump_all(engine, tmp_path / "again", exported_at=EXPORTED_AT)
            await aio.dump_history(engine, tmp_path / "history.json", exported_at=EXPORTED_AT)
            await aio.drop_schema(engine)

    run(main)
    assert files(tmp_path / "again") == files(backup / "backup")
    assert (tmp_path / "history.json").read_bytes() == (backup / "history.json").read_bytes()


def test_a_load_in_an_async_session_is_the_callers_to_commit(
    target: Target, backup: Path, bad_backup: Path
) -> None:
    pending = text(
        "INSERT INTO material_categories (uuid, slug, name, sort_order, created_at, updated_at) "
        "VALUES ('0b4c2d9e-1f7a-4c1e-9a53-000000000001', 'pending', 'Pending', 0, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    mine = text("SELECT count(*) FROM material_categories WHERE slug = 'pending'")

    async def main() -> None:
        async with async_engine(target) as engine:
            await aio.create_schema(engine)
            async with AsyncSession(engine) as session:
                await session.execute(pending)
                with pytest.raises(SourceError, match=r"17_events\.json"):
                    await aio.load_all(session, bad_backup)
                # The failed load took back its own writes and none of the caller's.
                assert (await session.execute(mine)).scalar_one() == 1
                assert (
                    await session.execute(text("SELECT count(*) FROM suppliers"))
                ).scalar_one() == 0
                report = await aio.load_all(session, backup / "backup")
                assert report.counts["events"].created == 7
                assert committed(target) == 0  # not until the caller commits
                await session.commit()
                # The record-level API, as an async endpoint calls it.
                document = await aio.dump_records(
                    session, {"material_categories": ["pending"]}, exported_at=EXPORTED_AT
                )
                assert [record["name"] for record in document["material_categories"]] == ["Pending"]
                document["material_categories"][0]["name"] = "Pending, renamed"
                again = await aio.load_records(session, document, on_conflict="update")
                assert again.counts["material_categories"].updated == 1
                body = await aio.dumps_records(session, {"material_categories": ["pending"]})
                assert b"Pending, renamed" in body
                await session.commit()
            assert committed(target) == 7
            async with engine.connect() as connection:
                assert (await connection.execute(mine)).scalar_one() == 1

    run(main)


def test_a_cancelled_load_leaves_the_database_as_it_was(target: Target, backup: Path) -> None:
    # A web request's task is cancelled when its client goes away: the load's own
    # transaction (AsyncEngine) or savepoint (AsyncSession) must be rolled back.
    async def cancelled(bind: aio.AsyncBind) -> None:
        task = asyncio.current_task()
        assert task is not None

        def cancel_once_written(event: Progress) -> None:
            if (event.step, event.entity_type) == ("loading", "ingredients"):
                task.cancel()  # delivered at the load's next database round trip

        with pytest.raises(asyncio.CancelledError):
            await aio.load_all(bind, backup / "backup", progress=cancel_once_written)
        task.uncancel()

    async def main() -> None:
        async with async_engine(target) as engine:
            await aio.create_schema(engine)
            await cancelled(engine)
            async with AsyncSession(engine) as session:
                await cancelled(session)
                # SQLAlchemy drops a connection whose call was cancelled mid-way: the
                # caller's transaction is over and must be rolled back, as after any
                # cancelled call.
                await session.rollback()
                assert (
                    await session.execute(text("SELECT count(*) FROM suppliers"))
                ).scalar_one() == 0
                await session.commit()
            report = await aio.load_all(engine, backup / "backup")
            assert report.counts["suppliers"].created == 8
        assert committed(target) == 7

    run(main)


def test_an_async_connection_is_the_callers_too(target: Target, backup: Path) -> None:
    async def main() -> None:
        async with async_engine(target) as engine, engine.connect() as connection:
            await aio.create_schema(connection)
            await connection.commit()
            await aio.load_all(connection, backup / "backup")
            await connection.rollback()
            assert committed(target) == 0
            await aio.generate_sample(connection, scale=0)
            await connection.commit()
        assert committed(target) == 7

    run(main)


# ---------------------------------------------------------------------------
# Refusals: each side's functions name the other's


@pytest.fixture
def aiosqlite_engine(tmp_path: Path) -> Iterator[AsyncEngine]:
    pytest.importorskip("aiosqlite")
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'async.db'}")
    yield engine
    asyncio.run(engine.dispose())


@pytest.mark.parametrize("kind", ["AsyncEngine", "AsyncConnection", "AsyncSession"])
def test_the_sync_functions_refuse_async_binds_naming_bakery_io_aio(
    aiosqlite_engine: AsyncEngine, kind: str, backup: Path, tmp_path: Path
) -> None:
    bind = {
        "AsyncEngine": aiosqlite_engine,
        "AsyncConnection": aiosqlite_engine.connect(),
        "AsyncSession": AsyncSession(aiosqlite_engine),
    }[kind]
    message = f"got a SQLAlchemy {kind}: from asyncio code await the functions of bakery_io.aio"
    with pytest.raises(UsageError, match=message):
        load_all(bind, backup / "backup")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message):
        dump_all(bind, tmp_path / "out")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_bakery_io_aio_refuses_a_sync_engine(backup: Path, tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'sync.db'}")

    async def main() -> None:
        with pytest.raises(UsageError, match="got Engine; for an Engine"):
            await aio.load_all(engine, backup / "backup")  # type: ignore[arg-type]

    run(main)
    engine.dispose()
