"""The database itself refuses what the format forbids (docs/format/entities.md), on every backend.

Each case runs raw SQL against the sample database, bypassing SQLAlchemy's
own checks, inside a transaction that is rolled back afterwards, and requires
the error to name the rule that caught it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from bakery_io.format.slugs import SLUG_RE, is_slug

Statement = Callable[[Connection], object]


def sql(statement: str) -> Statement:
    return lambda connection: connection.execute(text(statement))


def copy_value(select: str, update: str) -> Statement:
    """Run ``update`` with ``:value`` bound to what ``select`` returns."""

    def run(connection: Connection) -> object:
        value = connection.execute(text(select)).scalar_one()
        return connection.execute(text(update), {"value": value})

    return run


MYSQL = ("mysql", "mariadb")
# (id, statement, regex the error must match, backends where the rule cannot be a CHECK)
REFUSED: list[tuple[str, Statement, str, tuple[str, ...]]] = [
    (
        "duplicate slug",
        sql(
            "UPDATE suppliers SET slug = 'millbrook-farm-store' "
            "WHERE slug = 'costello-restaurant-depot'"
        ),
        r"uq_suppliers_slug|suppliers\.slug",
        (),
    ),
    (
        "duplicate uuid",
        copy_value(
            "SELECT uuid FROM recipients WHERE slug = 'zoe-park'",
            "UPDATE recipients SET uuid = :value WHERE slug = 'amelie-laurent'",
        ),
        r"uq_recipients_uuid|recipients\.uuid",
        (),
    ),
    (
        "duplicate gtin",
        copy_value(
            "SELECT MIN(gtin) FROM products",
            "UPDATE products SET gtin = :value WHERE gtin = (SELECT MAX(g.gtin) FROM "
            "(SELECT gtin FROM products) g)",
        ),
        r"uq_products_gtin|products\.gtin",
        (),
    ),
    (
        "upper-case slug",
        sql("UPDATE recipes SET slug = 'Apple-Pie' WHERE slug = 'apple-pie'"),
        "ck_recipes_slug_rule",
        (),
    ),
    (
        "accented slug",
        sql("UPDATE recipes SET slug = 'tarte-à-la-crème' WHERE slug = 'apple-pie'"),
        "ck_recipes_slug_rule",
        (),
    ),
    (
        "slug with space",
        sql("UPDATE events SET slug = 'bake sale' WHERE year = 2025"),
        "ck_events_slug_rule",
        (),
    ),
    (
        "slug with doubled separator",
        sql("UPDATE packages SET slug = 'gift--box' WHERE slug = 'neighbor-gift-box'"),
        "ck_packages_slug_rule",
        (),
    ),
    (
        "material unit slug breaking the rule",
        sql("UPDATE material_units SET slug = '-bow' WHERE slug = '6-inch-bow'"),
        "ck_material_units_slug_rule",
        (),
    ),
    (
        "slug longer than its column",
        sql(f"UPDATE suppliers SET slug = '{'a' * 101}' WHERE slug = 'millbrook-farm-store'"),
        r"ck_suppliers_slug_len|too long",
        (),
    ),
    (
        "missing required name",
        sql("UPDATE suppliers SET name = NULL"),
        r"suppliers\.name|\bname\b.*null|null.*\bname\b",
        (),
    ),
    (
        "negative price",
        sql("UPDATE purchases SET unit_price = -0.01"),
        "ck_purchases_unit_price_nonneg",
        (),
    ),
    (
        "negative material price",
        sql("UPDATE material_purchases SET package_price = -1"),
        "ck_material_purchases_package_price_nonneg",
        (),
    ),
    (
        "zero package quantity",
        sql("UPDATE products SET package_unit_quantity = 0"),
        "ck_products_package_unit_quantity_pos",
        (),
    ),
    (
        "unknown supplier type",
        sql("UPDATE suppliers SET supplier_type = 'virtual'"),
        "ck_suppliers_supplier_type",
        (),
    ),
    (
        "unknown depletion reason",
        sql("UPDATE inventory_depletions SET depletion_reason = 'theft'"),
        "ck_inventory_depletions_depletion_reason",
        (),
    ),
    (
        "enum value in the wrong case",
        sql("UPDATE finished_units SET yield_type = 'ea'"),
        "ck_finished_units_yield_type",
        (),
    ),
    (
        "boolean that is not a boolean",
        sql("UPDATE suppliers SET is_active = 2"),
        r"ck_suppliers_is_active|boolean",
        (),
    ),
    (
        "physical supplier without a city",
        sql("UPDATE suppliers SET city = NULL WHERE slug = 'millbrook-farm-store'"),
        "ck_suppliers_physical_city",
        (),
    ),
    (
        "state not two capitals",
        sql("UPDATE suppliers SET state = 'ny' WHERE slug = 'millbrook-farm-store'"),
        "ck_suppliers_state_code",
        (),
    ),
    (
        "root ingredient with a parent",
        sql("UPDATE ingredients SET hierarchy_level = 0 WHERE slug = 'honey'"),
        "ck_ingredients_root_has_no_parent",
        (),
    ),
    (
        "leaf ingredient without a parent",
        sql("UPDATE ingredients SET parent_id = NULL WHERE slug = 'honey'"),
        "ck_ingredients_root_has_no_parent",
        (),
    ),
    (
        "hierarchy level out of range",
        sql("UPDATE ingredients SET hierarchy_level = 3 WHERE slug = 'honey'"),
        "ck_ingredients_hierarchy_level",
        (),
    ),
    (
        "ingredient that is its own parent",
        sql("UPDATE ingredients SET parent_id = id WHERE slug = 'honey'"),
        "ck_ingredients_not_own_parent",
        MYSQL,
    ),
    (
        "density not all four",
        sql("UPDATE ingredients SET density_weight_unit = NULL WHERE slug = 'honey'"),
        "ck_ingredients_density_all_or_none",
        (),
    ),
    (
        "duplicate ingredient display name",
        sql("UPDATE ingredients SET display_name = 'Molasses' WHERE slug = 'honey'"),
        r"uq_ingredients_display_name|ingredients\.display_name",
        (),
    ),
    (
        "recipe that is its own base",
        sql("UPDATE recipes SET base_recipe_id = id WHERE slug = 'apple-pie'"),
        "ck_recipes_not_own_base",
        MYSQL,
    ),
    (
        "negative preparation time",
        sql("UPDATE recipes SET estimated_time_minutes = -5"),
        "ck_recipes_estimated_time_minutes_nonneg",
        (),
    ),
    (
        "recipe that is its own component",
        sql("UPDATE recipe_components SET component_recipe_id = recipe_id"),
        "ck_recipe_components_not_own_component",
        (),
    ),
    (
        "component recipe listed twice",
        sql(
            "INSERT INTO recipe_components (recipe_id, component_recipe_id, quantity, sort_order) "
            "SELECT recipe_id, component_recipe_id, 1, 99 FROM recipe_components"
        ),
        r"uq_recipe_components_recipe_id_component_recipe_id|recipe_components\.recipe_id",
        (),
    ),
    (
        "zero ingredient quantity",
        sql("UPDATE recipe_ingredients SET quantity = 0"),
        "ck_recipe_ingredients_quantity_pos",
        (),
    ),
    (
        "discrete yield without items per batch",
        sql("UPDATE finished_units SET items_per_batch = NULL WHERE yield_mode = 'discrete_count'"),
        "ck_finished_units_discrete_count_fields",
        (),
    ),
    (
        "batch portion without a percentage",
        sql("UPDATE finished_units SET batch_percentage = NULL WHERE yield_mode = 'batch_portion'"),
        "ck_finished_units_batch_portion_fields",
        (),
    ),
    (
        "batch percentage above 100",
        sql(
            "UPDATE finished_units SET batch_percentage = 100.01 WHERE yield_mode = 'batch_portion'"
        ),
        "ck_finished_units_percentage",
        (),
    ),
    (
        "finished good that is its own component",
        sql(
            "UPDATE finished_good_components SET component_good_id = finished_good_id "
            "WHERE component_good_id IS NOT NULL"
        ),
        "ck_finished_good_components_not_own_component",
        (),
    ),
    (
        "component with two parts",
        sql(
            "UPDATE finished_good_components SET finished_unit_id = "
            "(SELECT id FROM finished_units WHERE slug = 'lemon-bar') "
            "WHERE component_good_id IS NOT NULL"
        ),
        "ck_finished_good_components_exactly_one_part",
        (),
    ),
    (
        "component with no part",
        sql(
            "UPDATE finished_good_components SET finished_unit_id = NULL "
            "WHERE finished_unit_id IS NOT NULL"
        ),
        "ck_finished_good_components_exactly_one_part",
        (),
    ),
    (
        "negative inventory count",
        sql("UPDATE finished_goods SET inventory_count = -1"),
        "ck_finished_goods_inventory_count_nonneg",
        (),
    ),
    (
        "production run of a finished unit from another recipe",
        sql(
            "UPDATE production_runs SET finished_unit_id = "
            "(SELECT id FROM finished_units WHERE slug = 'lemon-bar') WHERE recipe_id <> "
            "(SELECT recipe_id FROM finished_units WHERE slug = 'lemon-bar')"
        ),
        r"fk_production_runs_finished_unit_of_recipe|FOREIGN KEY constraint failed",
        (),
    ),
    (
        "loss of nothing",
        sql("UPDATE production_losses SET loss_quantity = 0"),
        "ck_production_losses_loss_quantity_pos",
        (),
    ),
    (
        "depletion for 'other' without notes",
        sql("UPDATE inventory_depletions SET notes = NULL WHERE depletion_reason = 'other'"),
        "ck_inventory_depletions_other_has_notes",
        (),
    ),
    (
        "duplicate material unit slug within a product",
        sql("UPDATE material_units SET slug = '6-inch-bow' WHERE slug = '12-inch-tie'"),
        r"uq_material_units_material_product_id_slug|material_units\.material_product_id",
        (),
    ),
    (
        "duplicate subcategory name within a category",
        sql("UPDATE material_subcategories SET name = 'Satin Ribbon' WHERE slug = 'twine'"),
        r"uq_material_subcategories_category_id_name|material_subcategories\.category_id",
        (),
    ),
    (
        "event target recipe listed twice",
        sql(
            "INSERT INTO event_production_targets (event_id, recipe_id, target_batches) "
            "SELECT event_id, recipe_id, 1 FROM event_production_targets"
        ),
        r"uq_event_production_targets_event_id_recipe_id|event_production_targets\.event_id",
        (),
    ),
    (
        "zero expected attendees",
        sql("UPDATE events SET expected_attendees = 0"),
        "ck_events_expected_attendees_pos",
        (),
    ),
    (
        "empty package line",
        sql("UPDATE package_contents SET quantity = 0"),
        "ck_package_contents_quantity_pos",
        (),
    ),
    (
        "reference to a missing row",
        sql("UPDATE products SET ingredient_id = 999999"),
        r"fk_products_ingredient_id|FOREIGN KEY constraint failed",
        (),
    ),
    (
        "deleting a supplier that history references",
        sql("DELETE FROM suppliers WHERE slug = 'sweetwater-packaging-co'"),
        r"fk_material_purchases_supplier_id|FOREIGN KEY constraint failed|foreign key",
        (),
    ),
]


@pytest.fixture
def connection(sample_engine: Engine) -> Iterator[Connection]:
    """A connection to the sample database whose changes are always rolled back."""
    with sample_engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.mark.parametrize(
    ("statement", "expected", "not_on"),
    [
        pytest.param(statement, expected, not_on, id=name)
        for name, statement, expected, not_on in REFUSED
    ],
)
def test_database_refuses(
    connection: Connection, statement: Statement, expected: str, not_on: tuple[str, ...]
) -> None:
    if connection.dialect.name in not_on:
        pytest.skip(f"{connection.dialect.name} cannot hold this rule (see README)")
    with pytest.raises(DBAPIError) as failure:
        statement(connection)
    assert re.search(expected, str(failure.value.orig), re.IGNORECASE), failure.value.orig


def test_keys_are_case_sensitive(connection: Connection) -> None:
    # 'Honey' exists; a collation that folds case would call 'honey' a duplicate.
    connection.execute(
        text("UPDATE ingredients SET display_name = 'honey' WHERE slug = 'molasses'")
    )
    names = (
        connection.execute(
            text("SELECT display_name FROM ingredients WHERE display_name = 'honey'")
        )
        .scalars()
        .all()
    )
    assert names == ["honey"]


def test_material_unit_slugs_repeat_across_products(connection: Connection) -> None:
    repeated = connection.execute(
        text("SELECT COUNT(*) FROM material_units WHERE slug = 'one-box'")
    ).scalar_one()
    assert repeated > 1


def test_deleting_a_parent_cascades_to_its_children(connection: Connection) -> None:
    run_id = connection.execute(
        text("SELECT MIN(production_run_id) FROM production_losses")
    ).scalar_one()
    connection.execute(text("DELETE FROM production_runs WHERE id = :id"), {"id": run_id})
    left = connection.execute(
        text("SELECT COUNT(*) FROM production_losses WHERE production_run_id = :id"), {"id": run_id}
    ).scalar_one()
    assert left == 0


def test_deleting_an_event_keeps_its_runs_as_standalone(connection: Connection) -> None:
    event_id = connection.execute(
        text("SELECT MIN(event_id) FROM production_runs WHERE event_id IS NOT NULL")
    ).scalar_one()
    runs = connection.execute(
        text("SELECT COUNT(*) FROM production_runs WHERE event_id = :id"), {"id": event_id}
    ).scalar_one()
    standalone_before = connection.execute(
        text("SELECT COUNT(*) FROM production_runs WHERE event_id IS NULL")
    ).scalar_one()
    connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": event_id})
    standalone_after = connection.execute(
        text("SELECT COUNT(*) FROM production_runs WHERE event_id IS NULL")
    ).scalar_one()
    assert standalone_after == standalone_before + runs


slug_like = st.text(alphabet="ab09-_ Aé.", min_size=0, max_size=8) | st.from_regex(
    SLUG_RE, fullmatch=True
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(candidates=st.lists(slug_like, min_size=1, max_size=5, unique=True))
def test_database_slug_rule_is_the_libraries(sample_engine: Engine, candidates: list[str]) -> None:
    # SQLite spells the rule with GLOB, the servers with a regex: all must agree with is_slug.
    for number, candidate in enumerate(candidates):
        with sample_engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(
                    text(
                        "INSERT INTO recipients (uuid, slug, name, created_at, updated_at) "
                        "VALUES (:uuid, :slug, 'Probe', '2026-01-01 00:00:00', "
                        "'2026-01-01 00:00:00')"
                    ),
                    {"uuid": f"00000000-0000-4000-8000-{number:012d}", "slug": candidate},
                )
                accepted = True
            except DBAPIError:
                accepted = False
            finally:
                transaction.rollback()
        assert accepted == (is_slug(candidate) and len(candidate) <= 100), repr(candidate)
