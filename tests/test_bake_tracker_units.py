"""Focused tests of the pieces that read bake-tracker's files: keys, records, the locator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bakery_io import UsageError
from bakery_io.problems import Problem
from bakery_io.versions.backup import Rewrite
from bakery_io.versions.bake_tracker import REPAIRS, Locator, Trail, repairs_left, repairs_named
from bakery_io.versions.bake_tracker.keys import (
    finished_unit_slug,
    key_slug,
    product_display_name,
    product_key,
    quantity_text,
    recipe_slug,
)
from bakery_io.versions.bake_tracker.records import Origin, Rec, has_value


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (Decimal("25.0"), "25.0"),
        (Decimal("0.1"), "0.1"),
        (Decimal("1E-5"), "1e-05"),  # as Python prints the float the app keeps
        (25, "25.0"),
        (None, "None"),
        ("3", "3"),
    ],
)
def test_a_package_quantity_prints_as_the_app_prints_its_float(value: object, printed: str) -> None:
    assert quantity_text(value) == printed


def test_the_product_key_is_the_apps_f_string_with_none_for_a_missing_brand() -> None:
    record = {
        "ingredient_slug": "flour_all_purpose",
        "brand": None,
        "package_unit_quantity": Decimal("25.0"),
        "package_unit": "lb",
    }
    assert product_key(record) == "flour_all_purpose:None:25.0:lb"


@pytest.mark.parametrize(
    ("key", "slug"),
    [
        ("flour_all_purpose:King Arthur:25.0:lb", "flour_all_purpose-king-arthur-25-lb"),
        ("flour_all_purpose:None:25.0:lb", "flour_all_purpose-25-lb"),
        ("allspice_whole:Penzeys:0.6:oz", "allspice_whole-penzeys-0-6-oz"),
        ("x:Brand: With Colon:2.0:fl oz", "x-brand-with-colon-2-fl-oz"),
        (":::", "product"),
    ],
)
def test_a_product_slug_is_derived_from_the_key_by_the_slug_rule(key: str, slug: str) -> None:
    assert key_slug(key, 200) == slug


def test_recipe_and_unit_slugs_follow_the_apps_own_rules() -> None:
    assert recipe_slug("Mom's Café Cake") == "moms-cafe-cake"
    assert recipe_slug("   ") == "unknown-recipe"
    assert recipe_slug("a" * 250) == "a" * 200
    assert finished_unit_slug("Gluten-Free Almond Flour Shortbread Cookies") == (
        "gluten-free-almond-flour-shortbread-cookies"
    )
    assert finished_unit_slug("Crème  brûlée_bites") == "creme-brulee-bites"
    assert finished_unit_slug("!!!") == "unknown-item"


def test_a_product_shows_brand_name_size_and_type_or_its_ingredient() -> None:
    full = {
        "brand": "Knox",
        "product_name": "Gelatin",
        "package_size": "1 oz",
        "package_type": "box",
    }
    assert product_display_name(full, "Gelatin powder") == "Knox Gelatin 1 oz box"
    assert product_display_name({}, "Gift Box, Kraft") == "Gift Box, Kraft (generic)"
    assert product_display_name({}, None) is None


def test_a_renamed_field_is_located_by_the_apps_name() -> None:
    record = Rec(
        {"component_quantity": 2, "x": 1}, Origin("compositions.json", "/records/4", 4, "k")
    )
    moved = record.evolve(
        {"sort_order": 0}, drop=("x",), renames={"component_quantity": "quantity"}
    )
    assert dict(moved) == {"quantity": 2, "sort_order": 0}
    assert dict(record) == {"component_quantity": 2, "x": 1}  # the original is left as it was
    problem = moved.origin.problem("must be positive", "quantity")
    assert problem == Problem(
        "compositions.json", "/records/4/component_quantity", "must be positive", 4, "k"
    )


def test_has_value_counts_what_would_be_lost() -> None:
    values: list[object] = [None, False, "", [], {}, 0, "a", True, [1]]
    assert [has_value(value) for value in values] == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_the_locator_follows_children_back_to_their_own_files() -> None:
    good = Origin("finished_goods.json", "/records/1", 1, "box")
    component = Origin(
        "compositions.json", "/records/7", 7, None, {"quantity": "component_quantity"}
    )
    locator = Locator(
        {
            "finished_goods": [
                Trail(Origin("f", "/x")),
                Trail(good, {"components": [Trail(component)]}),
            ]
        }
    )
    found = locator.problem(
        Problem("finished_goods.json", "/records/1/components/0/quantity", "must be positive", 1)
    )
    assert found == Problem(
        "compositions.json", "/records/7/component_quantity", "must be positive", 7, None
    )
    assert locator.problem(Problem("finished_goods.json", "/records/1/slug", "bad", 1)) == Problem(
        "finished_goods.json", "/records/1/slug", "bad", 1, "box"
    )
    elsewhere = Problem("suppliers.json", "/records/0/slug", "bad", 0)
    assert locator.problem(elsewhere) == elsewhere
    rewrite = Rewrite(
        "finished_goods", "a", "b", "why", "finished_goods.json", "/records/1/slug", 1
    )
    assert locator.rewrite(rewrite).pointer == "/records/1/slug"


def test_repairs_are_named_or_all_and_an_unknown_name_is_refused() -> None:
    assert repairs_named(["all"]) == frozenset(REPAIRS)
    assert repairs_left(["round-float-noise"]) == tuple(
        n for n in REPAIRS if n != "round-float-noise"
    )
    with pytest.raises(UsageError, match="unknown repair 'round'"):
        repairs_named(["round"])


def test_a_history_value_that_differs_from_the_backups_is_counted_not_dropped() -> None:
    from bakery_io.versions.bake_tracker.records import Export, Table
    from bakery_io.versions.bake_tracker.tables import merge_history

    def rec(file: str, position: int, fields: dict[str, object]) -> Rec:
        return Rec(fields, Origin(file, f"/records/{position}", position))

    backup = rec(
        "production_runs.json",
        0,
        {"uuid": "u", "notes": "a", "per_unit_cost": None, "total_ingredient_cost": "0.3883"},
    )
    history = rec(
        "history.json",
        0,
        {
            "uuid": "u",
            "notes": "b",
            "per_unit_cost": "0.00",
            "total_ingredient_cost": "0.39",
            "consumptions": [],
        },
    )
    export = Export(
        "x",
        (),
        {},
        {
            "production_runs": Table("production_runs.json", "/records", (backup,)),
            "history:production_runs": Table("history.json", "/production_runs", (history,)),
        },
    )
    merged = merge_history(export)
    (run,) = merged.records("production_runs")
    assert run["notes"] == "a"
    assert run["consumptions"] == []
    assert [(item.file, item.field, item.records) for item in merged.left_behind] == [
        ("history.json", "notes", 1)  # rounded costs and a zero written as null say the same
    ]
