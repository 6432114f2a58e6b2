"""The shop's own tests: its data in its tables, bakery_io's beside them, through its functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from hostapp.bakery import PREFIX, REGISTRY
from hostapp.models import Base, CalendarEvent, Customer, Order
from hostapp.service import backup, create_tables, get_customer, get_recipe, put_records, restore
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

import bakery_io
import bakery_io.migrations
from bakery_io import DatabaseStateError, create_schema, dump_all, engine_from_url, generate_sample

HOSTAPP = Path(__file__).parents[1]

#: A recipe of the sample bakery with sub-recipes.
LAYERED = "gingerbread-cut-out-cookies"


@pytest.fixture(scope="session")
def bakery_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stock backup of the sample bakery, of the types the shop stores."""
    directory = tmp_path_factory.mktemp("stock")
    stock = engine_from_url(f"sqlite:///{directory / 'stock.db'}")
    generate_sample(stock, scale=1, seed=7)
    target = directory / "bakery.zip"
    dump_all(
        stock, target, entities=[name for name in REGISTRY.names if name in bakery_io.REGISTRY]
    )
    stock.dispose()
    return target


@pytest.fixture
def shop(engine: Engine, bakery_backup: Path) -> Engine:
    """The shop's database: the bakery's data, customers with orders, a calendar entry."""
    create_tables(engine)
    restore(engine, bakery_backup)
    with Session(engine) as session:
        customer = session.execute(select(Customer).order_by(Customer.slug)).scalars().first()
        assert customer is not None
        customer.email = "first@example.com"
        customer.loyalty_points = 120
        session.add(
            Order(
                slug="order-1",
                customer_id=customer.customer_id,
                placed_on=date(2026, 12, 1),
                total=Decimal("42.50"),
            )
        )
        session.add(
            CalendarEvent(title="Market day", starts_at=datetime(2026, 12, 5, 8, tzinfo=UTC))
        )
        session.commit()
    return engine


@pytest.fixture
def other_shop(tmp_path: Path) -> Iterator[Engine]:
    """A second shop, empty."""
    engine = engine_from_url(f"sqlite:///{tmp_path / 'other.db'}")
    create_tables(engine)
    yield engine
    engine.dispose()


def _entity_files(directory: Path) -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in directory.glob("*.json")
        if path.name != "manifest.json"
    }


def test_bakery_ios_tables_sit_beside_the_shops_under_their_prefix(shop: Engine) -> None:
    tables = set(inspect(shop).get_table_names())
    assert {"customers", "orders", "events"} <= tables
    assert f"{PREFIX}events" in tables
    assert f"{PREFIX}recipients" not in tables  # recipients are the shop's customers
    with Session(shop) as session:
        assert session.execute(select(CalendarEvent.title)).scalars().all() == ["Market day"]
        assert get_recipe(session, "no-such-recipe") == (
            404,
            {"error": "no recipe 'no-such-recipe'"},
        )
    # bakery_io's own tables, unprefixed, would clash with the shop's calendar.
    with pytest.raises(DatabaseStateError) as caught:
        create_schema(shop)
    assert "events" in caught.value.tables


def test_a_backup_restores_into_another_shop_byte_for_byte(
    shop: Engine, other_shop: Engine, tmp_path: Path
) -> None:
    first = backup(shop, tmp_path / "first")
    assert "shop" in {extension["namespace"] for extension in first.extensions}
    report = restore(other_shop, tmp_path / "first")
    assert report.total.created == first.record_count
    backup(other_shop, tmp_path / "second")
    assert _entity_files(tmp_path / "second") == _entity_files(tmp_path / "first")
    with Session(other_shop) as session:
        customer = session.execute(
            select(Customer).where(Customer.loyalty_points == 120)
        ).scalar_one()
        assert customer.email is None  # the shop's own column is no part of a backup
        order = session.execute(select(Order)).scalar_one()
        assert (order.customer_id, order.total) == (customer.customer_id, Decimal("42.50"))


def test_a_recipe_travels_to_another_shop_through_the_endpoints(
    shop: Engine, other_shop: Engine
) -> None:
    with Session(shop) as session:
        status, document = get_recipe(session, LAYERED)
    assert status == 200
    assert LAYERED in {recipe["slug"] for recipe in document["recipes"]}
    assert len(document["recipes"]) > 1  # its sub-recipes came with it
    body = json.dumps(document).encode()
    with Session(other_shop) as session:
        status, answer = put_records(session, body)
    assert status == 200
    assert answer["counts"]["recipes"]["created"] == len(document["recipes"])
    with Session(other_shop) as session:
        status, again = get_recipe(session, LAYERED)
        status_twice, answer_twice = put_records(session, body)
    assert status == 200
    assert {key: value for key, value in again.items() if key != "exported_at"} == {
        key: value for key, value in document.items() if key != "exported_at"
    }
    assert status_twice == 200
    assert all(counts["created"] == 0 for counts in answer_twice["counts"].values())


def test_a_bad_body_is_refused_with_every_problem_and_nothing_kept(shop: Engine) -> None:
    with Session(shop) as session:
        status, customer = get_customer(
            session, session.execute(select(Customer.slug)).scalars().first() or ""
        )
    assert status == 200
    record = customer["recipients"][0]
    body = {
        "version": "1.1",
        "recipients": [
            {**record, "name": "Renamed", "shop:loyalty_points": -5},
            {**record, "slug": "second-customer", "name": 42},
        ],
    }
    with Session(shop) as session:
        status, answer = put_records(session, json.dumps(body).encode())
        names = session.execute(select(Customer.full_name)).scalars().all()
    assert status == 422
    assert {(problem["file"], problem["pointer"]) for problem in answer["problems"]} == {
        ("request body", "/recipients/0/shop:loyalty_points"),
        ("request body", "/recipients/1/name"),
    }
    assert "Renamed" not in names


def test_alembic_builds_the_shops_database_and_finds_nothing_to_change(
    engine: Engine, database_url: str, bakery_backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(str(HOSTAPP / "alembic.ini"))
    monkeypatch.setenv("SHOP_DATABASE_URL", database_url)
    command.upgrade(config, "heads")
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "orders", "events", f"{PREFIX}recipes"} <= tables
    with engine.connect() as connection:
        heads = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert heads == {"shop_0001", "bakery_io_0001"}
        # The shop's next autogenerate: its models and the database agree, and bakery_io's
        # tables are its branch's, not the shop's to drop.
        context = MigrationContext.configure(
            connection,
            opts={
                **bakery_io.migrations.configure_options(REGISTRY),
                **bakery_io.migrations.autogenerate_options(),
            },
        )
        assert compare_metadata(context, Base.metadata) == []
    create_schema(engine, registry=REGISTRY)  # every table is there, in its shape
    assert restore(engine, bakery_backup).total.created > 0
    with Session(engine) as session:
        assert get_recipe(session, LAYERED)[0] == 200
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
