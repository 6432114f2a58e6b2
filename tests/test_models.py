"""The models are the contract of docs/format/entities.md, and live in their own MetaData."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, Engine, Float, inspect, select, text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.schema import CreateTable

from bakery_io import UsageError, create_schema
from bakery_io.binding.database import Bind
from bakery_io.binding.models import Entity, FinishedGood, Recipe, metadata
from bakery_io.binding.sqltypes import MAX_EXACT_PRECISION, ExactDecimal, UTCDateTime

#: The 21 entity types of docs/format/entities.md, in its dependency order.
ENTITY_TYPES = [
    "suppliers",
    "ingredients",
    "products",
    "recipes",
    "finished_units",
    "purchases",
    "inventory_items",
    "material_categories",
    "material_subcategories",
    "materials",
    "material_products",
    "material_units",
    "material_purchases",
    "finished_goods",
    "recipients",
    "packages",
    "events",
    "event_recipient_packages",
    "production_runs",
    "assembly_runs",
    "inventory_depletions",
]
CHILD_TABLES = {
    "recipe_ingredients",
    "recipe_components",
    "finished_good_components",
    "package_contents",
    "event_production_targets",
    "event_assembly_targets",
    "production_consumptions",
    "production_losses",
    "assembly_finished_unit_consumptions",
    "assembly_packaging_consumptions",
}


def test_tables_are_the_entity_types_and_their_children() -> None:
    entity_tables = [
        mapper.class_.__tablename__
        for mapper in Entity.registry.mappers
        if issubclass(mapper.class_, Entity)
    ]
    assert sorted(entity_tables) == sorted(ENTITY_TYPES)
    assert set(metadata.tables) == set(ENTITY_TYPES) | CHILD_TABLES


def test_domain_order_is_a_dependency_order() -> None:
    position = {name: index for index, name in enumerate(ENTITY_TYPES)}
    for name in ENTITY_TYPES:
        for key in metadata.tables[name].foreign_keys:
            target = key.column.table.name
            assert position[target] <= position[name], f"{name} -> {target}"


def test_every_top_level_entity_has_uuid_and_utc_timestamps() -> None:
    for name in ENTITY_TYPES:
        columns = metadata.tables[name].c
        assert columns.uuid.unique, name
        for stamp in ("created_at", "updated_at"):
            assert isinstance(columns[stamp].type, UTCDateTime), (name, stamp)
            assert not columns[stamp].nullable, (name, stamp)


def test_numbers_are_exact_and_instants_are_utc() -> None:
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            assert not isinstance(kind, Float), f"{table.name}.{column.name} is a float"
            if isinstance(kind, ExactDecimal):
                # SQLite keeps decimals as doubles: exact only up to 15 digits.
                assert kind.precision <= MAX_EXACT_PRECISION
            if isinstance(kind, DateTime):
                pytest.fail(f"{table.name}.{column.name} is a DateTime, not a UTCDateTime")
            if column.name.endswith(("_at", "depletion_date")):
                assert isinstance(kind, UTCDateTime), f"{table.name}.{column.name}"
            elif column.name.endswith("_date"):
                assert isinstance(kind, Date), f"{table.name}.{column.name}"


def test_metadata_is_bakery_ios_own() -> None:
    assert all(table.metadata is metadata for table in metadata.tables.values())
    assert metadata.naming_convention["ck"] == "ck_%(table_name)s_%(constraint_name)s"


# --- create_schema ------------------------------------------------------------------------------


def _as_engine(engine: Engine) -> tuple[Bind, Callable[[], None]]:
    return engine, lambda: None


def _as_connection(engine: Engine) -> tuple[Bind, Callable[[], None]]:
    connection = engine.connect()

    def finish() -> None:
        connection.commit()
        connection.close()

    return connection, finish


def _as_session(engine: Engine) -> tuple[Bind, Callable[[], None]]:
    session = Session(engine)

    def finish() -> None:
        session.commit()
        session.close()

    return session, finish


@pytest.mark.parametrize(
    "make_bind", [_as_engine, _as_connection, _as_session], ids=["engine", "connection", "session"]
)
def test_create_schema_accepts_engine_connection_and_session(
    empty_engine: Engine, make_bind: Callable[[Engine], tuple[Bind, Callable[[], None]]]
) -> None:
    bind, finish = make_bind(empty_engine)
    create_schema(bind)
    finish()
    assert set(metadata.tables) <= set(inspect(empty_engine).get_table_names())


def test_create_schema_leaves_other_tables_and_existing_ones_alone(empty_engine: Engine) -> None:
    with empty_engine.begin() as connection:
        connection.execute(text("CREATE TABLE host_notes (id INTEGER PRIMARY KEY, body TEXT)"))
        connection.execute(text("INSERT INTO host_notes (id, body) VALUES (1, 'keep me')"))
    try:
        create_schema(empty_engine)
        with empty_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO recipients (uuid, slug, name, created_at, updated_at) VALUES "
                    "('00000000-0000-4000-8000-000000000001', 'ann', 'Ann', "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
        create_schema(empty_engine)  # a second call changes nothing
        with empty_engine.connect() as connection:
            assert connection.execute(text("SELECT body FROM host_notes")).scalar() == "keep me"
            assert connection.execute(text("SELECT slug FROM recipients")).scalar() == "ann"
    finally:
        with empty_engine.begin() as connection:
            connection.execute(text("DROP TABLE host_notes"))


@pytest.mark.parametrize("bind", [None, "sqlite://", 42])
def test_create_schema_refuses_what_is_not_a_bind(bind: Any) -> None:
    with pytest.raises(UsageError, match="Engine, Connection or Session"):
        create_schema(bind)


# --- the ORM side, for host applications -----------------------------------------------------


def test_relationships_load_children_in_their_stable_order(sample_engine: Engine) -> None:
    with Session(sample_engine) as session:
        cake = session.scalars(
            select(Recipe)
            .where(Recipe.slug == "celebration-cake")
            .options(selectinload(Recipe.components), selectinload(Recipe.ingredients))
        ).one()
        assert cake.ingredients == []
        assert [part.component_recipe.slug for part in cake.components] == [
            "classic-yellow-cake",
            "vanilla-buttercream",
        ]
        cookies = session.scalars(
            select(Recipe).where(Recipe.slug == "chocolate-chip-cookies")
        ).one()
        orders = [line.sort_order for line in cookies.ingredients]
        assert orders == sorted(orders)
        assert len(orders) == 9
        assert cookies.ingredients[0].ingredient.slug == "all-purpose-flour"
        hamper = session.scalars(
            select(FinishedGood).where(FinishedGood.slug == "grand-holiday-hamper")
        ).one()
        nested = [part.component_good.slug for part in hamper.components if part.component_good]
        assert nested[0] == "holiday-gift-basket"


def test_values_come_back_as_python_types(sample_engine: Engine) -> None:
    with Session(sample_engine) as session:
        recipe = session.scalars(select(Recipe).order_by(Recipe.id).limit(1)).one()
        assert isinstance(recipe.created_at, datetime)
        assert recipe.created_at.utcoffset() is not None
        assert recipe.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_dates_come_back_as_dates(sample_engine: Engine) -> None:
    purchases = metadata.tables["purchases"]
    with sample_engine.connect() as connection:
        days = connection.execute(select(purchases.c.purchase_date).limit(20)).scalars().all()
    assert days
    assert all(type(day) is date for day in days)


def _cascading(table: Any) -> set[str]:
    """Columns of ``table`` that a foreign key's ON DELETE action changes."""
    return {
        key.parent.name
        for key in table.foreign_keys
        if (key.ondelete or "").upper() in ("CASCADE", "SET NULL", "SET DEFAULT")
    }


def _checks(table: Any, dialect: Any) -> dict[str, set[str]]:
    """Name -> the words of each CHECK in ``table``'s CREATE TABLE for ``dialect``."""
    ddl = str(CreateTable(table).compile(dialect=dialect))
    found = re.findall(r"CONSTRAINT (\w+) CHECK \((.*)\),? *$", ddl, re.MULTILINE)
    return {name: set(re.findall(r"\w+", condition)) for name, condition in found}


def test_no_check_on_mysql_names_a_column_a_cascade_changes() -> None:
    """MySQL 8.0.16+ refuses such a CHECK; MariaDB takes it, and keeps it."""
    mysql_itself, mariadb = mysql.dialect(), mysql.dialect(is_mariadb=True)
    kept, seen = set(), 0
    for table in metadata.sorted_tables:
        for name, words in _checks(table, mysql_itself).items():
            assert not words & _cascading(table), name
            seen += 1
        kept |= {
            name for name, words in _checks(table, mariadb).items() if words & _cascading(table)
        }
    assert seen > 50  # the CHECKs were found at all
    assert kept == {
        "ck_recipe_components_not_own_component",
        "ck_finished_good_components_not_own_component",
    }
