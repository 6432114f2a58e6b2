"""bakery_io's tables under Alembic, as a host application runs it (docs/alembic.md).

Each test builds the host's Alembic environment with ``alembic init``, then puts in
the ``alembic.ini`` options and the ``env.py`` that docs/alembic.md shows (read from
the document itself, so the two cannot drift apart), and a small host package
``myapp`` with a table of its own.
"""

from __future__ import annotations

import configparser
import io
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata, produce_migrations
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import Script, ScriptDirectory
from sqlalchemy import (
    CheckConstraint,
    Column,
    Engine,
    Enum,
    Integer,
    MetaData,
    Table,
    event,
    inspect,
    text,
)

import bakery_io.migrations
from bakery_io import REGISTRY, Registry, UsageError, create_schema, engine_from_url, load_all
from bakery_io.binding.database import count_rows
from bakery_io.binding.sqltypes import ExactDecimal
from bakery_io.migrations import render_item
from tests.conftest import _server_urls, database_url
from tests.hosts.bake_tracker.binding import BAKE_TRACKER

#: Makes a host's Alembic environment on a database URL (the ``host`` fixture).
HostEnv = Callable[..., Config]

DOC = Path(__file__).parents[1] / "docs" / "alembic.md"

#: The host's own module: its metadata (one table) and the bakery_io registry it uses,
#: whose placement the test chooses.
MYAPP_DB = """
from sqlalchemy import Column, Integer, MetaData, String, Table

from bakery_io import REGISTRY

metadata = MetaData()
Table("customers", metadata, Column("id", Integer, primary_key=True), Column("name", String(50)))
bakery_registry = REGISTRY.derive(schema={schema!r}, prefix={prefix!r})
"""


def _doc_block(marker: str) -> str:
    """The code block that follows ``<!-- marker -->`` in docs/alembic.md."""
    found = re.search(
        rf"<!-- {re.escape(marker)} -->\n```\w+\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert found is not None, marker
    return found.group(1)


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HostEnv:
    """Makes a host's Alembic environment: ``host(url, env=..., prefix=..., schema=...)``."""

    def make(
        url: str, *, env: str = "branch", prefix: str = "", schema: str | None = None
    ) -> Config:
        ini = tmp_path / "alembic.ini"
        command.init(Config(ini, stdout=io.StringIO()), str(tmp_path / "migrations"))
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini)
        if env == "branch":
            parser.read_string(_doc_block("alembic.ini"))
        else:
            parser.set("alembic", "script_location", "%(here)s/migrations")
        with ini.open("w", encoding="utf-8") as out:
            parser.write(out)
        (tmp_path / "migrations" / "env.py").write_text(_doc_block(f"env.py: {env}"))
        package = tmp_path / "host" / "myapp"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "db.py").write_text(MYAPP_DB.format(schema=schema, prefix=prefix))
        monkeypatch.syspath_prepend(str(tmp_path / "host"))
        for name in ("myapp", "myapp.db"):
            monkeypatch.delitem(sys.modules, name, raising=False)
        config = Config(ini, stdout=io.StringIO())
        config.set_main_option("sqlalchemy.url", url)
        return config

    return make


def _shape(engine: Engine, schema: str | None = None) -> dict[str, Any]:
    """Everything reflection tells of bakery_io's tables, names of constraints included."""
    inspector = inspect(engine)
    shape: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names(schema)):
        if table in ("alembic_version", "customers"):
            continue
        shape[table] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(table, schema)
            ],
            "pk": inspector.get_pk_constraint(table, schema),
            "fks": sorted(
                (
                    str(key["name"]),
                    tuple(key["constrained_columns"]),
                    key["referred_schema"],
                    key["referred_table"],
                    tuple(key["referred_columns"]),
                    key["options"].get("ondelete"),
                )
                for key in inspector.get_foreign_keys(table, schema)
            ),
            "unique": sorted(
                (str(unique["name"]), tuple(unique["column_names"]))
                for unique in inspector.get_unique_constraints(table, schema)
            ),
            "indexes": sorted(
                (str(index["name"]), tuple(map(str, index["column_names"])), index["unique"])
                for index in inspector.get_indexes(table, schema)
            ),
            "checks": sorted(
                (str(check["name"]), check["sqltext"])
                for check in inspector.get_check_constraints(table, schema)
            ),
        }
    return shape


@pytest.fixture(scope="session")
def reference(backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The :func:`_shape` of the tables create_schema makes on ``backend``."""
    with database_url(backend, tmp_path_factory.mktemp("reference"), "reference") as url:
        engine = engine_from_url(url)
        create_schema(engine)
        shape = _shape(engine)
        engine.dispose()
    # Reflection sees the constraints the comparisons are about.
    assert sum(len(table["checks"]) for table in shape.values()) > 50
    return shape


@contextmanager
def _ddl_statements(engine: Engine) -> Iterator[list[str]]:
    """Collects the CREATE/ALTER/DROP statements run on ``engine`` while iterated."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if statement.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _loads_sample(engine: Engine, sample_dump: Path, registry: Registry = REGISTRY) -> None:
    """The sample backup loads, and the database then holds what the sample's does."""
    report = load_all(engine, sample_dump, registry=registry)
    assert report.committed
    source = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    with source.connect() as expected, engine.connect() as loaded:
        placed = count_rows(loaded, registry)
        prefix = registry.placement.prefix
        assert {name.removeprefix(prefix): rows for name, rows in placed.items()} == count_rows(
            expected
        )
    source.dispose()


def test_branch_creates_create_schemas_tables(
    backend: str,
    reference: dict[str, Any],
    tmp_path: Path,
    host: HostEnv,
    sample_dump: Path,
) -> None:
    """``alembic upgrade heads`` makes exactly the tables create_schema makes; the host's
    autogenerate leaves them alone; bakery_io works on them; downgrade drops them."""
    with database_url(backend, tmp_path, "migrated") as url:
        config = host(url)
        command.upgrade(config, "heads")
        engine = engine_from_url(url)
        assert _shape(engine) == reference

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts=bakery_io.migrations.configure_options()
            )
            assert compare_metadata(context, bakery_io.migrations.metadata) == []

        # The host's own autogenerate: its table, nothing of bakery_io's.
        script = command.revision(
            config,
            "customers",
            autogenerate=True,
            head="base",
            branch_label="myapp",
            version_path=str(Path(config.get_main_option("script_location") or "") / "versions"),
        )
        assert isinstance(script, Script)
        source = Path(script.path).read_text(encoding="utf-8")
        assert "op.create_table('customers'" in source
        assert "suppliers" not in source
        command.upgrade(config, "heads")
        assert "customers" in inspect(engine).get_table_names()

        with _ddl_statements(engine) as statements:
            create_schema(engine)
            assert statements == []  # every table is there already

        _loads_sample(engine, sample_dump)

        command.downgrade(config, "bakery_io@base")
        assert sorted(inspect(engine).get_table_names()) == ["alembic_version", "customers"]
        engine.dispose()


def test_stamping_tables_create_schema_made(tmp_path: Path, host: HostEnv) -> None:
    """A host adopting Alembic over tables create_schema made stamps the revision."""
    url = f"sqlite:///{tmp_path / 'adopted.db'}"
    engine = engine_from_url(url)
    create_schema(engine)
    before = _shape(engine)
    config = host(url)
    command.stamp(config, "bakery_io_0001")
    with _ddl_statements(engine) as statements:
        command.upgrade(config, "heads")
        assert statements == []
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == ("bakery_io_0001",)
    assert _shape(engine) == before
    engine.dispose()


def test_branch_is_found_as_documented() -> None:
    """The branch label and the version location the documentation names."""
    script = ScriptDirectory(
        str(Path(__file__).parent), version_locations=[bakery_io.migrations.VERSION_LOCATION]
    )
    assert script.get_bases() == ["bakery_io_0001"]
    base = script.get_revision("bakery_io_0001")
    assert base is not None
    assert base.branch_labels == {"bakery_io"}
    assert (bakery_io.migrations.versions_directory() / Path(base.path).name).is_file()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_offline_sql_has_only_the_backends_own_checks(host: HostEnv, dialect: str) -> None:
    """``alembic upgrade --sql``: each backend gets its own spelling of the pattern
    CHECKs and nothing of the others' (the failure on PostgreSQL the issue reports)."""
    config = host(f"{dialect}://")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "bakery_io@head", sql=True)
    sql = config.output_buffer.getvalue()
    assert sql.count("CREATE TABLE") == len(bakery_io.migrations.metadata.tables) + 1
    spellings = {"sqlite": " GLOB ", "postgresql": " ~ '", "mysql": " REGEXP '"}
    for backend, spelling in spellings.items():
        assert (spelling in sql) == (backend == dialect), backend
    assert ("length(" in sql) == (dialect == "sqlite")


def test_prefix_goes_into_every_name(tmp_path: Path, host: HostEnv, sample_dump: Path) -> None:
    """A placement's prefix: every table, constraint and index name carries it, as
    create_schema makes them for the registry; the host's autogenerate leaves the
    prefixed tables alone, and the registry loads into them."""
    placed = REGISTRY.derive(prefix="bk_")
    plain = engine_from_url(f"sqlite:///{tmp_path / 'plain.db'}")
    create_schema(plain, registry=placed)
    url = f"sqlite:///{tmp_path / 'prefixed.db'}"
    config = host(url, prefix="bk_")
    command.upgrade(config, "heads")
    engine = engine_from_url(url)
    prefixed = _shape(engine)
    assert set(prefixed) == {f"bk_{name}" for name in bakery_io.migrations.metadata.tables}
    # The same tables, constraints and indexes as create_schema makes for the registry.
    assert prefixed == _shape(plain)
    with engine.connect() as connection:
        options = bakery_io.migrations.configure_options(placed)
        # Without the hook, a host metadata lacking them would drop every table.
        changes = produce_migrations(
            MigrationContext.configure(connection, opts=options), MetaData()
        ).upgrade_ops
        assert changes is not None
        assert changes.is_empty()
    create_schema(engine, registry=placed)  # they are the registry's tables: nothing to do
    _loads_sample(engine, sample_dump, placed)
    plain.dispose()
    engine.dispose()


def test_schema_placement_on_postgresql(tmp_path: Path, host: HostEnv) -> None:
    """A placement's schema: the tables, and their foreign keys' targets, are there."""
    servers = [url for url in _server_urls() if url.startswith("postgresql")]
    if not servers:
        pytest.skip("no PostgreSQL server in BAKERY_IO_TEST_URLS")
    with database_url(servers[0], tmp_path, "placed") as url:
        engine = engine_from_url(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE SCHEMA bakery"))
        config = host(url, schema="bakery")
        command.upgrade(config, "heads")
        shape = _shape(engine, "bakery")
        assert set(shape) == set(bakery_io.migrations.metadata.tables)
        assert {key[2] for key in shape["products"]["fks"]} == {"bakery"}
        assert "suppliers" not in inspect(engine).get_table_names()
        engine.dispose()


def test_autogenerated_migration_runs(
    backend: str,
    reference: dict[str, Any],
    tmp_path: Path,
    host: HostEnv,
    sample_dump: Path,
) -> None:
    """The host's own history: autogenerate against an empty database writes a
    migration that runs on the backend and makes create_schema's tables, names of
    enum and boolean CHECKs included."""
    with database_url(backend, tmp_path, "autogenerated") as url:
        config = host(url, env="autogenerate")
        script = command.revision(config, "tables", autogenerate=True)
        assert isinstance(script, Script)
        source = Path(script.path).read_text(encoding="utf-8")
        assert "import bakery_io.binding.sqltypes" in source
        assert "name=op.f('ck_suppliers_supplier_type')" in source
        command.upgrade(config, "head")
        engine = engine_from_url(url)
        migrated = _shape(engine)
        assert migrated == reference
        _loads_sample(engine, sample_dump)
        engine.dispose()


def _autogen_context() -> AutogenContext:
    context = MigrationContext.configure(
        dialect_name="sqlite",
        opts={"sqlalchemy_module_prefix": "sa.", "alembic_module_prefix": "op."},
    )
    return AutogenContext(context)


def _supplier_check(name: str, sql: str | None = None) -> CheckConstraint:
    """A CHECK of bakery_io's ``suppliers`` table as Alembic renders it: of a copy of
    the table (by name, and by text where one name has a spelling per backend)."""
    table = bakery_io.migrations.metadata.tables["suppliers"].to_metadata(MetaData())
    return next(
        constraint
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
        and constraint.name == name
        and sql in (None, str(constraint.sqltext))
    )


def test_render_item_keeps_conditions_names_and_imports_types() -> None:
    """A copy has lost the ddl_if conditions, and its enum and boolean CHECKs have
    lost bakery_io's naming convention (named ``is_active``): the rendering has both."""
    context = _autogen_context()
    assert render_item("check", _supplier_check("ck_suppliers_state_len"), context) == (
        "sa.CheckConstraint('length(state) <= 2', name=op.f('ck_suppliers_state_len'))"
        ".ddl_if(dialect='sqlite')"
    )
    assert render_item("check", _supplier_check("is_active"), context) == (
        "sa.CheckConstraint('is_active IN (0, 1)', name=op.f('ck_suppliers_is_active'))"
        ".ddl_if(callable_=bakery_io.binding.dialects.without_native_boolean)"
    )
    assert render_item("check", _supplier_check("supplier_type"), context) == (
        "sa.CheckConstraint(\"supplier_type IN ('physical', 'online')\","
        " name=op.f('ck_suppliers_supplier_type'))"
    )
    assert render_item("type", ExactDecimal(5, 2), context) == (
        "bakery_io.binding.sqltypes.ExactDecimal(5, 2)"
    )
    assert context.imports == {
        "import bakery_io.binding.dialects",
        "import bakery_io.binding.sqltypes",
    }
    # The host's own objects are Alembic's to render.
    host = CheckConstraint("code <> ''")
    Table("codes", MetaData(), Column("code", Integer), host)
    assert render_item("check", host, context) is False
    assert render_item("type", Enum("a", "b", native_enum=False), context) is False
    assert render_item("type", Integer(), context) is False


def test_render_item_refuses_a_condition_no_migration_can_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model CHECK whose condition is a private function cannot be written out."""
    model = next(
        constraint
        for constraint in bakery_io.migrations.metadata.tables["suppliers"].constraints
        if isinstance(constraint, CheckConstraint) and constraint.name == "ck_suppliers_state_code"
    )
    assert model._ddl_if is not None

    def _private(*_args: Any, **_kw: Any) -> bool:
        return True

    monkeypatch.setattr(model, "_ddl_if", model._ddl_if._replace(dialect=None, callable_=_private))
    with pytest.raises(UsageError, match="public module-level function"):
        render_item(
            "check",
            _supplier_check("ck_suppliers_state_code", str(model.sqltext)),
            _autogen_context(),
        )


def test_revisions_refuse_a_placement_that_is_not_one(tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'wrong.db'}")
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={bakery_io.migrations.PLACEMENT_OPTION: "bk_"}
        )
        with Operations.context(context), pytest.raises(UsageError, match="configure_options"):
            bakery_io.migrations.current_placement()
    engine.dispose()


def test_include_object_leaves_a_hosts_bound_table_to_the_host() -> None:
    """bake_tracker binds its own suppliers table, under bakery_io's name: the host's
    autogenerate must see it; bakery_io's events (not bound) it must not."""
    include = bakery_io.migrations.configure_options(BAKE_TRACKER)["include_object"]
    suppliers = Table("suppliers", MetaData())
    events = Table("events", MetaData())
    assert include(suppliers, "suppliers", "table", False, None)
    assert not include(events, "events", "table", False, None)
