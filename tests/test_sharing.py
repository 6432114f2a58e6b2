"""Sharing a database with a host: a clashing table is refused, bakery_io's tables placed.

A host's own table under a name bakery_io uses (``events``) is never adopted:
``create_schema`` refuses it before creating anything, and loads and exports
refuse it too. A registry derived with ``schema=``/``prefix=`` keeps bakery_io's
tables out of the host's way, on every backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    event,
    inspect,
    make_url,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import CreateIndex, CreateTable

from bakery_io import (
    REGISTRY,
    DatabaseStateError,
    Placement,
    UsageError,
    create_schema,
    drop_schema,
    dump_all,
    dump_records,
    engine_from_url,
    generate_sample,
    load_all,
)
from bakery_io.binding.models import metadata
from bakery_io.binding.placement import placed_tables
from bakery_io.format.schemas import RecipientSchema
from bakery_io.registry import Registry
from tests.conftest import database_url
from tests.hosts.acme import ACME_REGISTRY
from tests.hosts.bake_tracker import models as bake_tracker_app
from tests.hosts.bake_tracker.binding import BAKE_TRACKER

#: A host's own table under the name of bakery_io's events.
HOST_EVENTS = "CREATE TABLE events (id INTEGER PRIMARY KEY, title VARCHAR(100) NOT NULL)"


@pytest.fixture
def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, its own for the test."""
    with database_url(backend, tmp_path, "shared") as url:
        found = engine_from_url(url)
        yield found
        found.dispose()


def _host_events(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(HOST_EVENTS))
        connection.execute(text("INSERT INTO events (id, title) VALUES (1, 'open day')"))


def _tables(engine: Engine, schema: str | None = None) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names(schema=schema))


def _host_rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT id, title FROM events")).all())


def _round_trip(engine: Engine, registry: Registry, backup: Path, target: Path) -> None:
    """``backup`` loaded through ``registry`` and exported again is the same bytes."""
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    moment = datetime.fromisoformat(manifest["export_date"])
    create_schema(engine, registry=registry)
    load_all(engine, backup, registry=registry)
    dump_all(engine, target, registry=registry, exported_at=moment)
    files = sorted(path.name for path in backup.iterdir())
    assert sorted(path.name for path in target.iterdir()) == files
    for name in files:
        assert (target / name).read_bytes() == (backup / name).read_bytes(), name


# ---------------------------------------------------------------------------
# A clashing table.


def test_a_clashing_table_is_refused_before_anything_is_created(engine: Engine) -> None:
    _host_events(engine)
    with pytest.raises(DatabaseStateError) as refused:
        create_schema(engine)
    assert refused.value.reason == "table differs"
    assert refused.value.tables == ("events",)
    message = str(refused.value)
    assert "events: no columns uuid, slug" in message
    assert "column title refuses NULL and has no default" in message
    assert 'derive(prefix="bk_")' in message
    assert _tables(engine) == {"events"}
    assert _host_rows(engine) == [(1, "open day")]


def test_loads_and_exports_refuse_a_clashing_table(
    engine: Engine, sample_dump: Path, tmp_path: Path
) -> None:
    """The host's events beside every other bakery_io table: a typed refusal, not the
    database's error at the first row."""
    _host_events(engine)
    with engine.begin() as connection:
        others = [table for table in metadata.sorted_tables if table.name != "events"]
        metadata.create_all(connection, tables=others)
    with pytest.raises(DatabaseStateError) as loading:
        load_all(engine, sample_dump)
    assert (loading.value.reason, loading.value.tables) == ("table differs", ("events",))
    with pytest.raises(DatabaseStateError) as dumping:
        dump_all(engine, tmp_path / "out")
    assert dumping.value.reason == "table differs"
    assert _host_rows(engine) == [(1, "open day")]


# ---------------------------------------------------------------------------
# Placement.


def test_prefixed_tables_round_trip_beside_the_hosts(
    engine: Engine, sample_dump: Path, tmp_path: Path
) -> None:
    """What create_schema made passes its check again (in the load and export too);
    drop_schema drops only bakery_io's tables, and refuses the host's."""
    _host_events(engine)
    placed = REGISTRY.derive(prefix="bk_")
    _round_trip(engine, placed, sample_dump, tmp_path / "again")
    create_schema(engine, registry=placed)
    assert _host_rows(engine) == [(1, "open day")]
    assert _tables(engine) == {
        "events",
        *(table.name for table in placed_tables(placed.placement).values()),
    }
    with pytest.raises(DatabaseStateError) as refused:
        drop_schema(engine)
    assert refused.value.tables == ("events",)
    drop_schema(engine, registry=placed)
    assert _tables(engine) == {"events"}
    assert _host_rows(engine) == [(1, "open day")]


@contextmanager
def _other_schema(backend: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A schema beside the default one: an attached database on SQLite (on every
    connection), a schema on PostgreSQL, another database on MariaDB."""
    if backend == "sqlite":
        attached = engine_from_url(str(engine.url))

        @event.listens_for(attached, "connect")
        def _attach(connection: Any, _record: Any) -> None:
            connection.execute(f"ATTACH DATABASE '{tmp_path / 'bakery.db'}' AS bakery")

        yield attached, "bakery"
        attached.dispose()
        return
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("CREATE SCHEMA bakery"))
        yield engine, "bakery"
        return
    name = f"{engine.url.database}_bk"
    admin = create_engine(make_url(backend), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        )
    try:
        yield engine, name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def test_tables_placed_in_a_schema_round_trip(
    backend: str, engine: Engine, sample_dump: Path, tmp_path: Path
) -> None:
    _host_events(engine)
    with _other_schema(backend, engine, tmp_path) as (bind, schema):
        placed = REGISTRY.derive(schema=schema, prefix="bk_")
        _round_trip(bind, placed, sample_dump, tmp_path / "again")
        assert "bk_events" in _tables(bind, schema)
        assert _host_rows(bind) == [(1, "open day")]
        drop_schema(bind, registry=placed)
        assert _tables(bind, schema) == set()
    assert _tables(engine) == {"events"}


def test_create_schema_does_not_create_a_database_schema(engine: Engine) -> None:
    with pytest.raises(DatabaseStateError) as refused:
        create_schema(engine, registry=REGISTRY.derive(schema="nowhere"))
    assert refused.value.reason == "no schema"
    assert "nowhere" in str(refused.value)
    assert _tables(engine) == set()


def test_a_prefix_too_long_for_the_backend_is_refused(engine: Engine) -> None:
    limit = engine.dialect.max_identifier_length
    if limit > 1000:
        pytest.skip(f"{engine.dialect.name} names have no practical limit")
    with pytest.raises(UsageError, match="choose a shorter prefix"):
        create_schema(engine, registry=REGISTRY.derive(prefix="p" * (limit - 5)))
    assert _tables(engine) == set()


# ---------------------------------------------------------------------------
# Unit tests: placements and the copies of bakery_io's tables.


def test_tables_create_schema_made_pass_its_check(tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'twice.db'}")
    create_schema(engine)
    create_schema(engine)
    drop_schema(engine)
    assert _tables(engine) == set()
    engine.dispose()


@pytest.mark.parametrize(
    ("schema", "prefix"),
    [
        ("", None),
        (" ", None),
        ("a.b", None),
        (None, " bk"),
        (None, "a."),
        (None, "bk`"),
        ('my"schema', None),
        (None, "o'bk_"),
        (None, "bk\\"),
        (None, "bk\n"),
    ],
)
def test_a_placement_is_checked(schema: str | None, prefix: str | None) -> None:
    with pytest.raises(UsageError):
        REGISTRY.derive(schema=schema, prefix=prefix)


def test_derive_keeps_the_placement_unless_told() -> None:
    assert REGISTRY.placement == Placement()
    placed = REGISTRY.derive(prefix="bk_")
    kept = placed.derive(only=["suppliers"])
    assert kept.placement == Placement(None, "bk_")
    assert [table.name for table in kept.tables] == ["bk_suppliers"]
    assert placed.derive(schema="s").placement == Placement("s", "bk_")
    assert placed.derive(prefix="").placement == Placement()
    assert "bk_" in repr(placed)


def test_a_placed_registry_writes_and_reads_only_placed_tables() -> None:
    placed = REGISTRY.derive(schema="s", prefix="bk_")
    own = set(placed_tables(placed.placement).values())
    for entity in placed:
        assert entity.table in own
        assert {column.table for column in entity.binding.columns.values()} == {entity.table}
        for child in entity.children:
            assert child.table in own
            assert child.parent.table is child.table
            assert all(column.table is child.table for column in child.order)
    assert {table.fullname for table in placed.tables} == {
        f"s.bk_{table.name}" for table in REGISTRY.tables
    }


def test_a_placed_registry_with_a_hosts_bound_models(sample_dump: Path, tmp_path: Path) -> None:
    """acme's models stay where acme declared them, bakery_io's recipients are placed;
    the stock core goes in and comes out the same (with acme's own field beside it)."""
    core = ["suppliers", "ingredients", "products", "recipients"]
    placed = ACME_REGISTRY.derive(prefix="bk_", only=core)
    source = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    dump_all(source, tmp_path / "core", entities=core, exported_at=moment)
    source.dispose()
    engine = engine_from_url(f"sqlite:///{tmp_path / 'acme.db'}")
    create_schema(engine, registry=placed)
    assert _tables(engine) == {
        "acme_vendors",
        "acme_pantry_items",
        "acme_products",
        "bk_recipients",
    }
    load_all(engine, tmp_path / "core", registry=placed)
    dump_all(engine, tmp_path / "again", registry=placed, exported_at=moment)
    engine.dispose()
    for entity in REGISTRY.select(core):
        given = json.loads((tmp_path / "core" / entity.filename).read_bytes())
        again = json.loads((tmp_path / "again" / entity.filename).read_bytes())
        assert given["records"]
        assert [
            {key: value for key, value in record.items() if not key.startswith("acme:")}
            for record in again["records"]
        ] == given["records"]


def test_a_host_key_into_a_placed_table_is_refused() -> None:
    """acme's deliveries reference bakery_io's recipients: placed elsewhere, the key
    would name a table that is not there."""
    with pytest.raises(UsageError, match="acme_deliveries has a foreign key"):
        ACME_REGISTRY.derive(prefix="bk_").check_storage()


def _ddl(table: Any, dialect: Any) -> list[str]:
    statements = [str(CreateTable(table).compile(dialect=dialect))]
    statements += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return sorted(line.strip().rstrip(",") for text_ in statements for line in text_.split("\n"))


@pytest.mark.parametrize("url", ["sqlite://", "postgresql://", "mariadb://", "mysql://"])
def test_placed_tables_make_the_same_ddl_under_their_names(url: str) -> None:
    """Every constraint (each dialect's CHECKs too), index and foreign key, named after
    the placed table; names too long are shortened with a hash, so those are left out."""
    dialect = make_url(url).get_dialect()()
    placement = Placement("bakery", "bk_")
    for table, copy in placed_tables(placement).items():
        expected = [line for line in _ddl(table, dialect) if not re.search(r"_[0-9a-f]{4} ", line)]
        found = [
            line.replace("bk_", "")
            .replace("bakery.", "")
            .replace("`bakery`.", "")
            .replace('"bakery".', "")
            for line in _ddl(copy, dialect)
            if not re.search(r"_[0-9a-f]{4} ", line)
        ]
        assert found == expected, table.name


@pytest.mark.parametrize("prefix", ["Bk_", "b k_", "bäk_"])
def test_a_prefix_that_needs_quoting_places_every_table(engine: Engine, prefix: str) -> None:
    """A prefix the database quotes (upper case, a space, not ASCII) names each table's
    constraints too: its copies are matched with bakery_io's whatever the quoting."""
    placed = REGISTRY.derive(prefix=prefix)
    create_schema(engine, registry=placed)
    assert _tables(engine) == {f"{prefix}{table.name}" for table in metadata.sorted_tables}
    drop_schema(engine, registry=placed)
    assert _tables(engine) == set()


def test_a_table_name_one_past_the_servers_limit_is_refused(engine: Engine) -> None:
    """64 characters on MySQL/MariaDB, 63 on PostgreSQL: refused before any table is
    made (MySQL's DDL commits each table, so a late error would leave some behind)."""
    if engine.dialect.name == "sqlite":
        pytest.skip("sqlite names have no practical limit")
    prefix = "p" * (65 - len("events"))
    with pytest.raises(UsageError, match="choose a shorter prefix"):
        create_schema(engine, registry=REGISTRY.derive(prefix=prefix))
    assert _tables(engine) == set()


class _HostBase(DeclarativeBase):
    metadata = MetaData()


class _HostRecipient(_HostBase):
    """A host's recipients, under bakery_io's table name and with its columns."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    household_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _HostRecipientSchema(RecipientSchema):
    class Meta:
        model = _HostRecipient


@pytest.mark.parametrize("registry", ["alike", "bake_tracker"])
def test_drop_schema_leaves_the_tables_a_registry_binds(engine: Engine, registry: str) -> None:
    """A host table the registry binds under one of bakery_io's names is the host's:
    drop_schema leaves it, whether its columns are bakery_io's or not."""
    if registry == "alike":
        bound = REGISTRY.derive(
            bind=[_HostRecipientSchema],
            only=[name for name in REGISTRY.names if name != "event_recipient_packages"],
        )
        hosts: set[str] = {"recipients"}
        _HostBase.metadata.create_all(engine)
    else:
        bound = BAKE_TRACKER
        hosts = set(bake_tracker_app.Base.metadata.tables)
        bake_tracker_app.Base.metadata.create_all(engine)
    create_schema(engine, registry=bound)
    assert hosts <= _tables(engine)
    drop_schema(engine, registry=bound)
    assert _tables(engine) == hosts


def test_a_sample_that_replaces_the_tables_leaves_a_hosts_table(engine: Engine) -> None:
    """``replace`` drops bakery_io's tables: a host's of the same name is refused."""
    _host_events(engine)
    with pytest.raises(DatabaseStateError) as refused:
        generate_sample(engine, scale=0, replace=True)
    assert refused.value.tables == ("events",)
    assert _tables(engine) == {"events"}
    assert _host_rows(engine) == [(1, "open day")]


def test_dump_records_refuses_a_clashing_table_before_reading(engine: Engine) -> None:
    """As dump_all: the host's events are a typed refusal, not the database's error."""
    _host_events(engine)
    with pytest.raises(DatabaseStateError) as refused:
        dump_records(engine, {"events": ["open-day"]})
    assert (refused.value.reason, refused.value.tables) == ("table differs", ("events",))


def test_drop_schema_refuses_tables_a_hosts_table_references(engine: Engine) -> None:
    """acme's deliveries reference bakery_io's recipients: dropping those would fail on a
    server with its own error, and on SQLite leave acme's key pointing at nothing."""
    create_schema(engine, registry=ACME_REGISTRY)
    before = _tables(engine)
    with pytest.raises(DatabaseStateError) as refused:
        drop_schema(engine, registry=ACME_REGISTRY)
    assert (refused.value.reason, refused.value.tables) == (
        "table referenced",
        ("acme_deliveries",),
    )
    assert _tables(engine) == before


def test_a_prefix_too_long_in_bytes_is_refused_on_postgresql(engine: Engine) -> None:
    """26 two-byte letters: every table name fits 63 characters, but some constraint
    names do not fit PostgreSQL's 63 bytes, which it would cut short, clashing."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL counts the bytes of a name")
    with pytest.raises(UsageError, match="63 bytes"):
        create_schema(engine, registry=REGISTRY.derive(prefix="é" * 26))
    assert _tables(engine) == set()
