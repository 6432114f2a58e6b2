"""The sample database: deterministic, realistic, referentially complete, and full of edges.

The coverage tests walk the models, so a column added later without sample
data makes them fail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Enum,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from bakery_io import DatabaseStateError, UsageError, engine_from_url, generate_sample
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import Supplier, metadata
from bakery_io.binding.sqltypes import ExactDecimal
from bakery_io.format.slugs import is_slug
from tests.conftest import SAMPLE_SEED

HISTORY_TABLES = {
    "purchases",
    "inventory_items",
    "material_purchases",
    "production_runs",
    "production_consumptions",
    "production_losses",
    "assembly_runs",
    "assembly_finished_unit_consumptions",
    "assembly_packaging_consumptions",
    "inventory_depletions",
}
CATALOG_TABLES = set(metadata.tables) - HISTORY_TABLES


def all_columns() -> Iterator[tuple[Table, Column[Any]]]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            yield table, column


def columns_where(keep: Callable[[Column[Any]], bool]) -> list[Any]:
    """One test parameter per model column that ``keep`` accepts, named table.column."""
    return [
        pytest.param((table, column), id=f"{table.name}.{column.name}")
        for table, column in all_columns()
        if keep(column)
    ]


def values(connection: Connection, column: Column[Any]) -> list[Any]:
    return list(connection.execute(select(column).where(column.is_not(None))).scalars())


@pytest.fixture(scope="module")
def sample(sample_engine: Engine) -> Iterator[Connection]:
    with sample_engine.connect() as connection:
        yield connection


def snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every bakery table, ordered by id: the database's content."""
    return {
        table.name: [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]
        for table in metadata.sorted_tables
    }


# --- size and shape -------------------------------------------------------------------------


def test_every_table_has_rows_and_scale_one_is_about_5000(sample: Connection) -> None:
    counts = count_rows(sample)
    assert set(counts) == set(metadata.tables)
    assert all(counts.values()), [name for name, count in counts.items() if not count]
    assert 4_500 <= sum(counts.values()) <= 6_000


def test_history_grows_linearly_and_the_catalog_stays(tmp_path: Path) -> None:
    counts = {}
    for scale in (0, 1, 3):
        engine = engine_from_url(f"sqlite:///{tmp_path / f'scale{scale}.db'}")
        counts[scale] = generate_sample(engine, scale=scale, seed=5).rows
        engine.dispose()
    for name in CATALOG_TABLES:
        assert counts[0][name] == counts[1][name] == counts[3][name] > 0, name
    for name in HISTORY_TABLES:
        assert counts[0][name] == 0, name
        assert counts[3][name] == pytest.approx(3 * counts[1][name], rel=0.15), name
    for name in ("purchases", "production_runs", "assembly_runs", "inventory_depletions"):
        assert counts[3][name] == 3 * counts[1][name], name


def test_catalog_looks_like_a_bakery(sample: Connection) -> None:
    def scalars(query: str) -> list[Any]:
        return list(sample.execute(text(query)).scalars())

    assert len(scalars("SELECT id FROM recipes")) >= 20
    assert "all-purpose-flour" in scalars("SELECT slug FROM ingredients WHERE hierarchy_level = 2")
    assert scalars("SELECT COUNT(*) FROM recipes WHERE base_recipe_id IS NOT NULL")[0] >= 2
    assert scalars("SELECT COUNT(*) FROM products WHERE brand IS NOT NULL")[0] >= 50
    gtins = scalars("SELECT gtin FROM products WHERE gtin IS NOT NULL")
    assert gtins
    assert all(_valid_gtin13(gtin) for gtin in gtins)
    assert all(is_slug(slug) for slug in scalars("SELECT slug FROM products"))


def _valid_gtin13(gtin: str) -> bool:
    digits = [int(d) for d in gtin]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return len(digits) == 13 and (10 - total % 10) % 10 == digits[12]


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_sqlite_files(tmp_path: Path) -> None:
    digests = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.db"
        engine = engine_from_url(f"sqlite:///{path}")
        generate_sample(engine, scale=1, seed=SAMPLE_SEED)
        engine.dispose()
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_every_backend_stores_exactly_the_same_rows(sample: Connection, tmp_path: Path) -> None:
    reference = engine_from_url(f"sqlite:///{tmp_path / 'reference.db'}")
    generate_sample(reference, scale=1, seed=SAMPLE_SEED)
    with reference.connect() as connection:
        expected = snapshot(connection)
    reference.dispose()
    assert snapshot(sample) == expected


def test_seed_varies_history_but_not_the_catalog(sample: Connection, tmp_path: Path) -> None:
    other = engine_from_url(f"sqlite:///{tmp_path / 'other.db'}")
    generate_sample(other, scale=1, seed=SAMPLE_SEED + 1)
    with other.connect() as connection:
        theirs = snapshot(connection)
    other.dispose()
    ours = snapshot(sample)
    for name in CATALOG_TABLES:
        assert ours[name] == theirs[name], name
    for name in ("purchases", "production_runs", "inventory_depletions"):
        assert ours[name] != theirs[name], name


# --- coverage: walks the models ---------------------------------------------------------------


@pytest.mark.parametrize("item", columns_where(lambda column: bool(column.nullable)))
def test_nullable_column_is_both_null_and_set(
    sample: Connection, item: tuple[Table, Column[Any]]
) -> None:
    _, column = item
    nulls = sample.execute(select(func.count()).where(column.is_(None))).scalar_one()
    assert nulls > 0, "never null"
    assert values(sample, column), "never set"


@pytest.mark.parametrize("item", columns_where(lambda column: isinstance(column.type, Enum)))
def test_enum_column_holds_every_value(sample: Connection, item: tuple[Table, Column[Any]]) -> None:
    _, column = item
    assert isinstance(column.type, Enum)
    assert {str(value) for value in values(sample, column)} == set(column.type.enums)


@pytest.mark.parametrize("item", columns_where(lambda column: isinstance(column.type, Boolean)))
def test_boolean_column_is_both_true_and_false(
    sample: Connection, item: tuple[Table, Column[Any]]
) -> None:
    _, column = item
    assert set(values(sample, column)) == {True, False}


@pytest.mark.parametrize(
    "item", columns_where(lambda column: isinstance(column.type, ExactDecimal))
)
def test_decimal_column_is_used_at_full_precision(
    sample: Connection, item: tuple[Table, Column[Any]]
) -> None:
    _, column = item
    assert isinstance(column.type, ExactDecimal)
    numbers: list[Decimal] = values(sample, column)
    assert numbers
    assert max(len(number.as_tuple().digits) for number in numbers) == column.type.precision
    assert {number.as_tuple().exponent for number in numbers} == {-column.type.scale}


@pytest.mark.parametrize(
    "table", [t for t in metadata.sorted_tables if "notes" in t.c], ids=lambda t: t.name
)
def test_notes_hold_non_ascii_text(sample: Connection, table: Table) -> None:
    assert any(not note.isascii() for note in values(sample, table.c.notes))


def test_text_has_accents_sharp_s_and_emoji(sample: Connection) -> None:
    text_values = [
        value
        for _, column in all_columns()
        if isinstance(column.type, String) and not isinstance(column.type, Enum)
        for value in values(sample, column)
    ]
    for needle in ("é", "ß", "ü"):
        assert any(needle in value for value in text_values), needle
    # Astral-plane characters need utf8mb4 on MySQL/MariaDB.
    assert any(any(ord(char) > 0xFFFF for char in value) for value in text_values)


@pytest.mark.parametrize(
    "column",
    [
        "purchases.unit_price",
        "material_purchases.package_price",
        "inventory_depletions.cost",
        "production_consumptions.total_cost",
    ],
)
def test_zero_prices_are_present(sample: Connection, column: str) -> None:
    table, name = column.split(".")
    assert Decimal(0) in values(sample, metadata.tables[table].c[name])


def test_empty_child_lists_are_present(sample: Connection) -> None:
    def childless(parent: str, child: str, key: str) -> int:
        query = f"SELECT COUNT(*) FROM {parent} p WHERE NOT EXISTS (SELECT 1 FROM {child} c WHERE c.{key} = p.id)"  # noqa: E501
        return int(sample.execute(text(query)).scalar_one())

    assert childless("recipes", "recipe_ingredients", "recipe_id")
    assert childless("recipes", "recipe_components", "recipe_id")
    assert childless("finished_goods", "finished_good_components", "finished_good_id")
    assert childless("packages", "package_contents", "package_id")
    assert childless("events", "event_production_targets", "event_id")
    assert childless("events", "event_assembly_targets", "event_id")
    assert childless("production_runs", "production_losses", "production_run_id")
    assert childless("assembly_runs", "assembly_finished_unit_consumptions", "assembly_run_id")
    assert childless("assembly_runs", "assembly_packaging_consumptions", "assembly_run_id")


# --- rules that span rows (the loader will insist on them) ------------------------------------


def test_ingredient_tree_is_three_levels_and_only_leaves_are_used(sample: Connection) -> None:
    broken = sample.execute(
        text(
            "SELECT c.slug FROM ingredients c JOIN ingredients p ON c.parent_id = p.id "
            "WHERE p.hierarchy_level <> c.hierarchy_level - 1"
        )
    ).all()
    assert broken == []
    for table in ("products", "recipe_ingredients"):
        non_leaves = sample.execute(
            text(
                f"SELECT COUNT(*) FROM {table} t JOIN ingredients i ON t.ingredient_id = i.id "
                "WHERE i.hierarchy_level <> 2"
            )
        ).scalar_one()
        assert non_leaves == 0, table


def _depths(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Longest chain below each node of an acyclic graph; fails on a cycle."""
    children: dict[int, list[int]] = {}
    for parent, child in edges:
        children.setdefault(parent, []).append(child)
    depth: dict[int, int] = {}

    def visit(node: int, path: frozenset[int]) -> int:
        assert node not in path, f"cycle through {node}"
        if node not in depth:
            depth[node] = 1 + max(
                (visit(c, path | {node}) for c in children.get(node, [])), default=0
            )
        return depth[node]

    for parent in list(children):
        visit(parent, frozenset())
    return depth


def test_sub_recipes_nest_at_most_three_deep_without_cycles(sample: Connection) -> None:
    edges = [
        tuple(row)
        for row in sample.execute(
            text("SELECT recipe_id, component_recipe_id FROM recipe_components")
        )
    ]
    assert max(_depths(edges).values()) == 3  # the data reaches the limit, not beyond


def test_finished_goods_nest_without_cycles(sample: Connection) -> None:
    edges = [
        tuple(row)
        for row in sample.execute(
            text(
                "SELECT finished_good_id, component_good_id FROM finished_good_components "
                "WHERE component_good_id IS NOT NULL"
            )
        )
    ]
    assert max(_depths(edges).values()) == 3


def test_losses_add_up_to_the_runs_loss_quantity(sample: Connection) -> None:
    mismatched = sample.execute(
        text(
            "SELECT r.id FROM production_runs r LEFT JOIN production_losses l "
            "ON l.production_run_id = r.id GROUP BY r.id, r.loss_quantity, r.expected_yield, "
            "r.actual_yield HAVING COALESCE(SUM(l.loss_quantity), 0) <> r.loss_quantity "
            "OR r.actual_yield <> r.expected_yield - r.loss_quantity"
        )
    ).all()
    assert mismatched == []


# --- the database is left ready for use -------------------------------------------------------


def test_new_rows_get_fresh_ids_after_the_sample(empty_engine: Engine) -> None:
    generate_sample(empty_engine, scale=0)
    with Session(empty_engine) as session:
        supplier = Supplier(slug="new-mill", name="New Mill", city="Troy")
        session.add(supplier)
        session.commit()
        highest = session.scalar(select(func.max(Supplier.id)))
        assert supplier.id == highest
        assert session.scalar(select(func.count()).select_from(Supplier)) == 9


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_a_database_that_holds_bakery_data(empty_engine: Engine) -> None:
    generate_sample(empty_engine, scale=0)
    with pytest.raises(DatabaseStateError) as failure:
        generate_sample(empty_engine, scale=1)
    assert failure.value.reason == "not empty"
    assert failure.value.tables[0] == "suppliers"
    assert "suppliers" in str(failure.value)
    with empty_engine.connect() as connection:
        assert count_rows(connection)["purchases"] == 0


def test_replace_starts_over(empty_engine: Engine) -> None:
    first = generate_sample(empty_engine, scale=0)
    second = generate_sample(empty_engine, scale=1, replace=True)
    with empty_engine.connect() as connection:
        assert count_rows(connection) == second.rows
    assert second.total > first.total


@pytest.mark.parametrize("scale", [-1, 1.5, True, "2"])
def test_refuses_a_scale_that_is_not_a_whole_number(empty_engine: Engine, scale: Any) -> None:
    with pytest.raises(UsageError, match="scale"):
        generate_sample(empty_engine, scale=scale)
