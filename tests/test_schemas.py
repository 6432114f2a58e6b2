"""The entity schemas: what a record of each type loads as, and every rule about one record."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from marshmallow import ValidationError

from bakery_io.format.enums import (
    AssemblyType,
    DepletionReason,
    FulfillmentStatus,
    LossCategory,
    PlanState,
    ProductionStatus,
    SupplierType,
    YieldMode,
    YieldType,
)
from bakery_io.format.fields import Children, resolving
from bakery_io.format.json_schemas import record_schema
from bakery_io.format.rules import (
    AllOrNone,
    Differs,
    ExactlyOne,
    NotSelfIn,
    NullExactlyWhen,
    RequiredWhen,
    Rule,
    UniqueIn,
)
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.schemas.catalog import (
    FinishedUnitSchema,
    IngredientSchema,
    RecipeSchema,
    SupplierSchema,
)
from bakery_io.format.schemas.history import ProductionRunSchema
from bakery_io.format.schemas.inventory import InventoryDepletionSchema
from bakery_io.format.schemas.planning import FinishedGoodSchema, PackageSchema
from bakery_io.registry import REGISTRY
from tests.test_fields import Recorder

U1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
U2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
U3 = "16fd2706-8baf-433b-82eb-8c7fada847da"
STAMP = "2025-11-22T09:30:00+01:00"
STAMPED = datetime(2025, 11, 22, 8, 30, tzinfo=UTC)
MISSING = "Missing data for required field."

#: A small valid record of every entity type: only required fields (and what rules need).
MINIMAL: dict[str, dict[str, Any]] = {
    "suppliers": {"slug": "acme", "name": "Acme", "city": "Springfield"},
    "ingredients": {"slug": "flour", "display_name": "Flour", "hierarchy_level": 0},
    "products": {
        "slug": "flour-5lb",
        "ingredient_slug": "all-purpose-flour",
        "package_unit": "lb",
        "package_unit_quantity": "5",
    },
    "recipes": {"slug": "sugar-cookies", "name": "Sugar Cookies", "category": "Cookies"},
    "finished_units": {
        "slug": "sugar-cookie",
        "recipe_slug": "sugar-cookies",
        "display_name": "Sugar Cookie",
        "items_per_batch": 24,
        "item_unit": "cookie",
    },
    "purchases": {
        "uuid": U1,
        "product_slug": "flour-5lb",
        "supplier_slug": "acme",
        "purchase_date": "2025-01-05",
        "unit_price": "4.99",
        "quantity_purchased": 2,
    },
    "inventory_items": {"uuid": U1, "product_slug": "flour-5lb", "quantity": "5"},
    "material_categories": {"slug": "ribbons", "name": "Ribbons"},
    "material_subcategories": {"slug": "satin", "category_slug": "ribbons", "name": "Satin"},
    "materials": {
        "slug": "red-satin",
        "subcategory_slug": "satin",
        "name": "Red Satin",
        "base_unit_type": "linear_cm",
    },
    "material_products": {
        "slug": "red-ribbon",
        "material_slug": "red-satin",
        "name": "Red Ribbon",
        "package_quantity": "10",
        "package_unit": "yards",
        "quantity_in_base_units": "914.4",
    },
    "material_units": {
        "material_product_slug": "red-ribbon",
        "slug": "cm-30",
        "name": "30 cm",
        "quantity_per_unit": "30",
    },
    "material_purchases": {
        "uuid": U1,
        "material_product_slug": "red-ribbon",
        "supplier_slug": "acme",
        "purchase_date": "2025-01-05",
        "packages_purchased": 1,
        "package_price": "7.5",
        "units_added": "914.4",
        "unit_cost": "0.0082",
    },
    "finished_goods": {"slug": "cookie-box", "display_name": "Cookie Box"},
    "recipients": {"slug": "nana-rosa", "name": "Nana Rosa"},
    "packages": {"slug": "holiday-box", "name": "Holiday Box"},
    "events": {
        "slug": "christmas-2025",
        "name": "Christmas",
        "event_date": "2025-12-24",
        "year": 2025,
    },
    "event_recipient_packages": {
        "uuid": U1,
        "event_slug": "christmas-2025",
        "recipient_slug": "nana-rosa",
        "package_slug": "holiday-box",
    },
    "production_runs": {
        "uuid": U1,
        "recipe_slug": "sugar-cookies",
        "finished_unit_slug": "sugar-cookie",
        "num_batches": 1,
        "expected_yield": 24,
        "actual_yield": 24,
        "produced_at": "2025-12-20T10:00:00Z",
        "total_ingredient_cost": "3.5",
        "per_unit_cost": "0.1458",
    },
    "assembly_runs": {
        "uuid": U1,
        "finished_good_slug": "cookie-box",
        "quantity_assembled": 3,
        "assembled_at": "2025-12-21T10:00:00Z",
        "total_component_cost": "10",
        "per_unit_cost": "3.3333",
    },
    "inventory_depletions": {
        "uuid": U1,
        "inventory_item_uuid": U2,
        "quantity_depleted": "1.5",
        "depletion_reason": "spoilage",
        "depletion_date": "2025-12-01T00:00:00Z",
        "cost": "0.5",
    },
}


def schema_of(entity_type: str) -> EntitySchema:
    return REGISTRY[entity_type].schema()


def record(entity_type: str, **changes: Any) -> dict[str, Any]:
    """A copy of the minimal record of ``entity_type``; a change to ``...`` removes the field."""
    result = copy.deepcopy(MINIMAL[entity_type])
    for name, value in changes.items():
        if value is ...:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def load(entity_type: str, data: dict[str, Any]) -> dict[str, Any]:
    loaded = schema_of(entity_type).load(data)
    assert isinstance(loaded, dict)
    return loaded


def errors(entity_type: str, data: dict[str, Any]) -> dict[Any, Any]:
    """The messages of the one ValidationError that loading ``data`` raises."""
    with pytest.raises(ValidationError) as caught:
        schema_of(entity_type).load(data)
    found = caught.value.messages
    assert isinstance(found, dict)
    return found


def stamped(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "created_at": STAMP, "updated_at": STAMP}


# ---------------------------------------------------------------------------
# Valid records load as dicts by column name


def test_every_entity_type_has_a_minimal_record() -> None:
    assert set(MINIMAL) == set(REGISTRY.names)


@pytest.mark.parametrize("entity_type", REGISTRY.names)
def test_minimal_records_load(entity_type: str) -> None:
    loaded = load(entity_type, record(entity_type))
    assert isinstance(loaded["uuid"], str)
    assert loaded["created_at"].tzinfo is not None
    assert loaded["updated_at"].tzinfo is not None


def test_slug_keyed_records_get_a_uuid_and_timestamps_when_absent() -> None:
    first = load("suppliers", record("suppliers"))
    second = load("suppliers", record("suppliers"))
    assert first["uuid"] != second["uuid"]
    assert len(first["uuid"]) == 36


def test_supplier_loads_with_defaults() -> None:
    data = stamped(
        {
            "uuid": U1,
            "slug": "king-arthur",
            "name": "King Arthur Baking",
            "city": "Norwich",
            "state": "VT",
            "zip_code": "05055",
            "website_url": None,
        }
    )
    assert load("suppliers", data) == {
        "uuid": U1,
        "slug": "king-arthur",
        "name": "King Arthur Baking",
        "supplier_type": SupplierType.PHYSICAL,
        "website_url": None,
        "city": "Norwich",
        "state": "VT",
        "zip_code": "05055",
        "is_active": True,
        "created_at": STAMPED,
        "updated_at": STAMPED,
    }


def test_online_supplier_needs_no_city() -> None:
    loaded = load("suppliers", record("suppliers", city=..., supplier_type="online"))
    assert loaded["supplier_type"] is SupplierType.ONLINE
    assert "city" not in loaded
    loaded = load("suppliers", record("suppliers", city=None, supplier_type="online"))
    assert loaded["city"] is None


def test_ingredient_with_density_loads() -> None:
    data = stamped(
        {
            "uuid": U1,
            "slug": "all-purpose-flour",
            "display_name": "All-Purpose Flour",
            "parent_slug": "wheat-flours",
            "category": "Flour",
            "density_volume_value": "1",
            "density_volume_unit": "cup",
            "density_weight_value": "4.25",
            "density_weight_unit": "oz",
        }
    )
    loaded = load("ingredients", data)
    assert loaded == {
        "uuid": U1,
        "slug": "all-purpose-flour",
        "display_name": "All-Purpose Flour",
        "parent_id": "wheat-flours",
        "hierarchy_level": 2,
        "category": "Flour",
        "density_volume_value": Decimal("1.0000"),
        "density_volume_unit": "cup",
        "density_weight_value": Decimal("4.2500"),
        "density_weight_unit": "oz",
        "created_at": STAMPED,
        "updated_at": STAMPED,
    }
    assert str(loaded["density_weight_value"]) == "4.2500"


def test_recipe_with_children_loads() -> None:
    data = stamped(
        {
            "uuid": U1,
            "slug": "apple-pie",
            "name": "Apple Pie",
            "category": "Pies",
            "estimated_time_minutes": 90,
            "base_recipe_slug": None,
            "ingredients": [
                {"ingredient_slug": "granny-smith", "quantity": "6", "unit": "each"},
                {
                    "ingredient_slug": "sugar",
                    "quantity": "0.75",
                    "unit": "cup",
                    "notes": "divided",
                    "sort_order": 1,
                },
            ],
            "components": [{"component_recipe_slug": "pie-crust", "quantity": "2"}],
        }
    )
    assert load("recipes", data) == {
        "uuid": U1,
        "slug": "apple-pie",
        "name": "Apple Pie",
        "category": "Pies",
        "estimated_time_minutes": 90,
        "is_archived": False,
        "base_recipe_id": None,
        "is_production_ready": False,
        "created_at": STAMPED,
        "updated_at": STAMPED,
        "ingredients": [
            {
                "ingredient_id": "granny-smith",
                "quantity": Decimal("6"),
                "unit": "each",
                "sort_order": 0,
            },
            {
                "ingredient_id": "sugar",
                "quantity": Decimal("0.75"),
                "unit": "cup",
                "notes": "divided",
                "sort_order": 1,
            },
        ],
        "components": [
            {"component_recipe_id": "pie-crust", "quantity": Decimal(2), "sort_order": 0}
        ],
    }


def test_recipe_children_default_to_empty_lists_and_component_quantity_to_one() -> None:
    loaded = load("recipes", record("recipes"))
    assert loaded["ingredients"] == []
    assert loaded["components"] == []
    loaded = load("recipes", record("recipes", components=[{"component_recipe_slug": "crust"}]))
    assert loaded["components"] == [
        {"component_recipe_id": "crust", "quantity": Decimal(1), "sort_order": 0}
    ]


def test_recipe_references_resolve_to_ids_children_included() -> None:
    lookup = Recorder(
        {
            ("recipes", "plain-pie"): 1,
            ("recipes", "pie-crust"): 2,
            ("ingredients", "granny-smith"): 30,
        }
    )
    data = record(
        "recipes",
        base_recipe_slug="plain-pie",
        ingredients=[{"ingredient_slug": "granny-smith", "quantity": "6", "unit": "each"}],
        components=[{"component_recipe_slug": "pie-crust"}],
    )
    with resolving(lookup):
        loaded = load("recipes", data)
    assert loaded["base_recipe_id"] == 1
    assert loaded["ingredients"][0]["ingredient_id"] == 30
    assert loaded["components"][0]["component_recipe_id"] == 2
    assert sorted(lookup.calls) == [
        ("ingredients", "granny-smith"),
        ("recipes", "pie-crust"),
        ("recipes", "plain-pie"),
    ]


def test_finished_unit_loads_with_defaults() -> None:
    loaded = load("finished_units", stamped(record("finished_units", uuid=U1)))
    assert loaded == {
        "uuid": U1,
        "slug": "sugar-cookie",
        "recipe_id": "sugar-cookies",
        "display_name": "Sugar Cookie",
        "yield_mode": YieldMode.DISCRETE_COUNT,
        "yield_type": YieldType.SERVING,
        "items_per_batch": 24,
        "item_unit": "cookie",
        "inventory_count": 0,
        "created_at": STAMPED,
        "updated_at": STAMPED,
    }


def test_finished_good_with_a_material_unit_component_loads() -> None:
    data = stamped(
        {
            "uuid": U1,
            "slug": "cookie-box",
            "display_name": "Cookie Box",
            "assembly_type": "bare",
            "components": [
                {"finished_unit_slug": "sugar-cookie", "quantity": "12", "sort_order": 0},
                {
                    "material_product_slug": "red-ribbon",
                    "material_unit_slug": "cm-30",
                    "sort_order": 1,
                },
                {"finished_good_slug": "truffle-bag", "quantity": "0.5", "sort_order": 2},
            ],
        }
    )
    loaded = load("finished_goods", data)
    assert loaded == {
        "uuid": U1,
        "slug": "cookie-box",
        "display_name": "Cookie Box",
        "assembly_type": AssemblyType.BARE,
        "inventory_count": 0,
        "created_at": STAMPED,
        "updated_at": STAMPED,
        "components": [
            {
                "finished_unit_id": "sugar-cookie",
                "material_product_slug": None,
                "quantity": Decimal(12),
                "sort_order": 0,
            },
            {
                "material_product_slug": "red-ribbon",
                "material_unit_id": ("red-ribbon", "cm-30"),
                "quantity": Decimal(1),
                "sort_order": 1,
            },
            {
                "component_good_id": "truffle-bag",
                "material_product_slug": None,
                "quantity": Decimal("0.5"),
                "sort_order": 2,
            },
        ],
    }

    lookup = Recorder(
        {
            ("finished_units", "sugar-cookie"): 5,
            ("material_units", ("red-ribbon", "cm-30")): 6,
            ("finished_goods", "truffle-bag"): 7,
        }
    )
    with resolving(lookup):
        resolved = load("finished_goods", data)
    assert [
        {key: value for key, value in part.items() if key.endswith("_id")}
        for part in resolved["components"]
    ] == [{"finished_unit_id": 5}, {"material_unit_id": 6}, {"component_good_id": 7}]
    assert ("material_units", ("red-ribbon", "cm-30")) in lookup.calls


def test_production_run_with_consumptions_and_losses_loads() -> None:
    data = stamped(
        {
            **record("production_runs"),
            "event_slug": None,
            "consumptions": [
                {
                    "uuid": U2,
                    # Recorded text, not a reference: any string survives a renamed ingredient.
                    "ingredient_slug": "All-Purpose Flour (old)",
                    "quantity_consumed": "2.5",
                    "unit": "cup",
                    "total_cost": "0.75",
                }
            ],
            "losses": [
                {
                    "uuid": U3,
                    "loss_quantity": 2,
                    "per_unit_cost": "0.1458",
                    "total_loss_cost": "0.2916",
                }
            ],
        }
    )
    assert load("production_runs", data) == {
        "uuid": U1,
        "recipe_id": "sugar-cookies",
        "finished_unit_id": "sugar-cookie",
        "event_id": None,
        "num_batches": 1,
        "expected_yield": 24,
        "actual_yield": 24,
        "produced_at": datetime(2025, 12, 20, 10, tzinfo=UTC),
        "production_status": ProductionStatus.COMPLETE,
        "loss_quantity": 0,
        "total_ingredient_cost": Decimal("3.5"),
        "per_unit_cost": Decimal("0.1458"),
        "created_at": STAMPED,
        "updated_at": STAMPED,
        "consumptions": [
            {
                "uuid": U2,
                "ingredient_slug": "All-Purpose Flour (old)",
                "quantity_consumed": Decimal("2.5"),
                "unit": "cup",
                "total_cost": Decimal("0.75"),
            }
        ],
        "losses": [
            {
                "uuid": U3,
                "loss_category": LossCategory.OTHER,
                "loss_quantity": 2,
                "per_unit_cost": Decimal("0.1458"),
                "total_loss_cost": Decimal("0.2916"),
            }
        ],
    }


def test_other_defaults() -> None:
    assert (
        load("ingredients", record("ingredients", hierarchy_level=..., parent_slug="flours"))[
            "hierarchy_level"
        ]
        == 2
    )
    assert load("events", record("events"))["plan_state"] is PlanState.DRAFT
    erp = load("event_recipient_packages", record("event_recipient_packages"))
    assert erp["quantity"] == 1
    assert erp["fulfillment_status"] is FulfillmentStatus.PENDING
    product = load("products", record("products"))
    assert (product["preferred"], product["is_hidden"]) == (False, False)
    assert load("packages", record("packages", contents=[{"finished_good_slug": "box"}]))[
        "contents"
    ] == [{"finished_good_id": "box", "quantity": 1}]
    assert load("assembly_runs", record("assembly_runs"))["packaging_bypassed"] is False
    assert load("material_categories", record("material_categories"))["sort_order"] == 0


def test_dates_load_as_dates_and_enums_as_members() -> None:
    purchase = load("purchases", record("purchases"))
    assert purchase["purchase_date"] == date(2025, 1, 5)
    depletion = load("inventory_depletions", record("inventory_depletions"))
    assert depletion["depletion_reason"] is DepletionReason.SPOILAGE
    assert depletion["inventory_item_id"] == U2


# ---------------------------------------------------------------------------
# Required fields, unknown fields, field errors


def test_required_fields_are_reported_by_wire_name() -> None:
    assert errors("suppliers", {}) == {
        "slug": [MISSING],
        "name": [MISSING],
        "city": ["required when supplier_type is 'physical'"],
    }
    assert set(errors("production_runs", {})) == {
        "uuid",
        "recipe_slug",
        "finished_unit_slug",
        "num_batches",
        "expected_yield",
        "actual_yield",
        "produced_at",
        "total_ingredient_cost",
        "per_unit_cost",
    }
    assert errors("products", record("products", ingredient_slug=...)) == {
        "ingredient_slug": [MISSING]
    }


def test_uuid_keyed_records_need_their_uuid() -> None:
    for entity_type in REGISTRY.names:
        if REGISTRY[entity_type].natural_key == ("uuid",):
            assert errors(entity_type, record(entity_type, uuid=...)) == {"uuid": [MISSING]}


@pytest.mark.parametrize(
    ("entity_type", "field"),
    [
        ("suppliers", "name"),
        ("products", "preferred_supplier_slug"),
        ("suppliers", "is_active"),
        ("recipes", "category"),
        ("events", "year"),
    ],
)
def test_null_only_where_the_column_is_nullable(entity_type: str, field: str) -> None:
    nullable = REGISTRY[entity_type].schema().fields[field].allow_none
    data = record(entity_type, **{field: None})
    if nullable:
        assert load(entity_type, data)
    else:
        assert errors(entity_type, data) == {field: ["Field may not be null."]}
    assert nullable == (field == "preferred_supplier_slug")


def test_required_child_fields_are_reported_under_the_child() -> None:
    found = errors(
        "recipes", record("recipes", ingredients=[{"ingredient_slug": "sugar", "unit": "cup"}])
    )
    assert found == {"ingredients": {0: {"quantity": [MISSING]}}}


def test_unknown_fields_are_refused() -> None:
    assert errors("suppliers", record("suppliers", id=3, colour="red")) == {
        "id": ["Unknown field."],
        "colour": ["Unknown field."],
    }
    # The id column is internal; a reference is never written as its id column.
    assert errors("products", record("products", ingredient_id=4)) == {
        "ingredient_id": ["Unknown field."]
    }
    found = errors(
        "recipes",
        record("recipes", components=[{"component_recipe_slug": "crust", "recipe_slug": "x"}]),
    )
    assert found == {"components": {0: {"recipe_slug": ["Unknown field."]}}}


def test_field_errors_and_rule_errors_are_reported_together() -> None:
    data = {"slug": "Acme Inc", "name": 5, "supplier_type": "physical", "state": "ny", "fax": "1"}
    found = errors("suppliers", data)
    assert found == {
        "slug": [
            "'Acme Inc' is not a slug: use lower-case ASCII letters and digits joined by "
            "single '-' or '_'"
        ],
        "name": ["expected a string, got the number 5"],
        "state": ["'ny' does not match ^[A-Z]{2}$"],
        "fax": ["Unknown field."],
        "city": ["required when supplier_type is 'physical'"],
    }


def test_rule_errors_of_several_rules_together() -> None:
    found = errors(
        "recipes",
        record(
            "recipes",
            estimated_time_minutes=-1,
            base_recipe_slug="sugar-cookies",
            components=[
                {"component_recipe_slug": "sugar-cookies"},
                {"component_recipe_slug": "crust"},
                {"component_recipe_slug": "crust"},
            ],
        ),
    )
    assert found == {
        "estimated_time_minutes": ["must be >= 0 and <= 2147483647"],
        "base_recipe_slug": ["may not be the record's own slug ('sugar-cookies')"],
        "components": [
            "item 0: component_recipe_slug is the record itself ('sugar-cookies')",
            "item 2 repeats component_recipe_slug 'crust'",
        ],
    }


def test_a_rule_is_not_run_on_an_invalid_field() -> None:
    # supplier_type "shop" is refused; the city rule cannot tell what it would need.
    assert errors("suppliers", record("suppliers", supplier_type="shop", city=...)) == {
        "supplier_type": ["expected one of physical, online, got the string 'shop'"]
    }


# ---------------------------------------------------------------------------
# The rules of docs/format/entities.md about one record


def test_physical_supplier_needs_a_city() -> None:
    message = {"city": ["required when supplier_type is 'physical'"]}
    assert errors("suppliers", record("suppliers", city=...)) == message
    assert errors("suppliers", record("suppliers", city=None)) == message
    # The default supplier type is physical.
    assert errors("suppliers", record("suppliers", supplier_type="physical", city=None)) == message
    assert load("suppliers", record("suppliers", supplier_type="physical"))["city"] == "Springfield"


def test_supplier_state_is_two_upper_case_letters() -> None:
    assert load("suppliers", record("suppliers", state="VT"))["state"] == "VT"
    assert errors("suppliers", record("suppliers", state="Vt")) == {
        "state": ["'Vt' does not match ^[A-Z]{2}$"]
    }
    assert errors("suppliers", record("suppliers", state="VTX")) == {
        "state": ["'VTX' does not match ^[A-Z]{2}$"]
    }


def test_ingredient_parent_is_null_exactly_at_level_0() -> None:
    assert load("ingredients", record("ingredients"))["hierarchy_level"] == 0
    assert load("ingredients", record("ingredients", parent_slug=None))["parent_id"] is None
    assert errors("ingredients", record("ingredients", parent_slug="baking")) == {
        "parent_slug": ["must be null when hierarchy_level is 0"]
    }
    for level in (1, 2):
        loaded = load("ingredients", record("ingredients", hierarchy_level=level, parent_slug="p"))
        assert loaded["parent_id"] == "p"
        assert errors("ingredients", record("ingredients", hierarchy_level=level)) == {
            "parent_slug": ["required when hierarchy_level is not 0"]
        }
    # Absent, the level is 2, so a parent is needed.
    assert errors("ingredients", record("ingredients", hierarchy_level=...)) == {
        "parent_slug": ["required when hierarchy_level is not 0"]
    }


@pytest.mark.parametrize("level", [-1, 3])
def test_ingredient_levels_are_0_to_2(level: int) -> None:
    assert errors("ingredients", record("ingredients", hierarchy_level=level, parent_slug="p")) == {
        "hierarchy_level": ["must be >= 0 and <= 2"]
    }


def test_ingredient_is_not_its_own_parent() -> None:
    assert errors("ingredients", record("ingredients", hierarchy_level=1, parent_slug="flour")) == {
        "parent_slug": ["may not be the record's own slug ('flour')"]
    }


DENSITY = {
    "density_volume_value": "1",
    "density_volume_unit": "cup",
    "density_weight_value": "4.25",
    "density_weight_unit": "oz",
}


@pytest.mark.parametrize("left_out", list(DENSITY))
@pytest.mark.parametrize("how", ["absent", "null"])
def test_density_is_all_four_or_none(left_out: str, how: str) -> None:
    data = record("ingredients", **DENSITY)
    if how == "absent":
        del data[left_out]
    else:
        data[left_out] = None
    assert errors("ingredients", data) == {
        left_out: [
            "density_volume_value, density_volume_unit, density_weight_value, "
            "density_weight_unit go together: all set or none"
        ]
    }


def test_density_all_or_none_accepts_all_and_none() -> None:
    assert load("ingredients", record("ingredients", **DENSITY))["density_weight_value"] == Decimal(
        "4.25"
    )
    nothing = dict.fromkeys(DENSITY)
    assert load("ingredients", record("ingredients", **nothing))["density_volume_unit"] is None


def test_density_values_are_positive() -> None:
    found = errors("ingredients", record("ingredients", **{**DENSITY, "density_weight_value": "0"}))
    assert found == {"density_weight_value": ["0 is out of range: must be > 0"]}


def test_recipe_is_not_its_own_base() -> None:
    assert errors("recipes", record("recipes", base_recipe_slug="sugar-cookies")) == {
        "base_recipe_slug": ["may not be the record's own slug ('sugar-cookies')"]
    }
    assert load("recipes", record("recipes", base_recipe_slug="plain"))["base_recipe_id"] == "plain"


def test_recipe_component_is_not_the_recipe_itself() -> None:
    data = record("recipes", components=[{"component_recipe_slug": "sugar-cookies"}])
    assert errors("recipes", data) == {
        "components": ["item 0: component_recipe_slug is the record itself ('sugar-cookies')"]
    }


def test_recipe_lists_a_component_once() -> None:
    data = record(
        "recipes",
        components=[
            {"component_recipe_slug": "crust", "sort_order": 0},
            {"component_recipe_slug": "glaze", "sort_order": 1},
            {"component_recipe_slug": "crust", "sort_order": 2, "quantity": "2"},
        ],
    )
    assert errors("recipes", data) == {
        "components": ["item 2 repeats component_recipe_slug 'crust'"]
    }


def test_finished_unit_discrete_count_needs_items_per_batch_and_item_unit() -> None:
    for mode in (..., "discrete_count"):
        for left_out in ("items_per_batch", "item_unit"):
            data = record("finished_units", yield_mode=mode, **{left_out: ...})
            assert errors("finished_units", data) == {
                left_out: ["required when yield_mode is 'discrete_count'"]
            }
    data = record("finished_units", items_per_batch=None, item_unit=None)
    assert errors("finished_units", data) == {
        "items_per_batch": ["required when yield_mode is 'discrete_count'"],
        "item_unit": ["required when yield_mode is 'discrete_count'"],
    }


def test_finished_unit_batch_portion_needs_batch_percentage() -> None:
    data = record("finished_units", yield_mode="batch_portion", items_per_batch=..., item_unit=...)
    assert errors("finished_units", data) == {
        "batch_percentage": ["required when yield_mode is 'batch_portion'"]
    }
    loaded = load("finished_units", {**data, "batch_percentage": "12.5"})
    assert loaded["yield_mode"] is YieldMode.BATCH_PORTION
    assert loaded["batch_percentage"] == Decimal("12.5")


@pytest.mark.parametrize(
    ("percentage", "problem"),
    [
        ("0", "0 is out of range: must be > 0"),
        ("0.00", "0.00 is out of range: must be > 0"),
        ("-5", "-5 is out of range: must be > 0"),
        ("100.01", "100.01 is out of range: must be <= 100"),
        ("250", "250 is out of range: must be <= 100"),
        ("33.333", "33.333 has more than 2 decimal places (nothing is rounded)"),
        ("0.01", None),
        ("100", None),
        ("100.00", None),
    ],
)
def test_batch_percentage_is_in_0_to_100(percentage: str, problem: str | None) -> None:
    data = record(
        "finished_units",
        yield_mode="batch_portion",
        items_per_batch=...,
        item_unit=...,
        batch_percentage=percentage,
    )
    if problem is None:
        assert load("finished_units", data)["batch_percentage"] == Decimal(percentage)
    else:
        assert errors("finished_units", data) == {"batch_percentage": [problem]}


EXACTLY_ONE = (
    "exactly one of finished_unit_slug | finished_good_slug | "
    "material_product_slug + material_unit_slug must be set, found {}"
)
PAIR = "material_product_slug + material_unit_slug go together"


@pytest.mark.parametrize(
    ("component", "problems"),
    [
        ({"finished_unit_slug": "cookie"}, None),
        ({"finished_good_slug": "bag"}, None),
        ({"material_product_slug": "ribbon", "material_unit_slug": "cm-30"}, None),
        ({"finished_unit_slug": "cookie", "finished_unit_slug_x": None}, "unknown"),
        ({}, {"finished_unit_slug": [EXACTLY_ONE.format(0)]}),
        (
            {"finished_unit_slug": None, "finished_good_slug": None, "material_unit_slug": None},
            {"finished_unit_slug": [EXACTLY_ONE.format(0)]},
        ),
        (
            {"finished_unit_slug": "cookie", "finished_good_slug": "bag"},
            {"finished_unit_slug": [EXACTLY_ONE.format(2)]},
        ),
        (
            {
                "finished_good_slug": "bag",
                "material_product_slug": "ribbon",
                "material_unit_slug": "cm-30",
            },
            {"finished_unit_slug": [EXACTLY_ONE.format(2)]},
        ),
        ({"material_product_slug": "ribbon"}, {"material_unit_slug": [PAIR]}),
        (
            {"material_product_slug": "ribbon", "finished_unit_slug": "cookie"},
            {"material_unit_slug": [PAIR], "finished_unit_slug": [EXACTLY_ONE.format(2)]},
        ),
        (
            {"material_unit_slug": "cm-30"},
            {
                "material_unit_slug": [
                    "a reference to material_units also needs material_product_slug"
                ]
            },
        ),
    ],
)
def test_finished_good_component_is_exactly_one_part(
    component: dict[str, Any], problems: dict[str, list[str]] | str | None
) -> None:
    data = record("finished_goods", components=[component])
    if problems is None:
        assert len(load("finished_goods", data)["components"]) == 1
    elif problems == "unknown":
        assert errors("finished_goods", data) == {
            "components": {0: {"finished_unit_slug_x": ["Unknown field."]}}
        }
    else:
        assert errors("finished_goods", data) == {"components": {0: problems}}


def test_finished_good_is_not_its_own_component() -> None:
    data = record("finished_goods", components=[{"finished_good_slug": "cookie-box"}])
    assert errors("finished_goods", data) == {
        "components": ["item 0: finished_good_slug is the record itself ('cookie-box')"]
    }


def test_package_contents_are_unique() -> None:
    data = record(
        "packages",
        contents=[
            {"finished_good_slug": "cookie-box"},
            {"finished_good_slug": "truffle-bag", "quantity": 2},
            {"finished_good_slug": "cookie-box", "quantity": 3},
        ],
    )
    assert errors("packages", data) == {
        "contents": ["item 2 repeats finished_good_slug 'cookie-box'"]
    }
    del data["contents"][2]
    assert [part["quantity"] for part in load("packages", data)["contents"]] == [1, 2]


def test_event_targets_are_unique() -> None:
    data = record(
        "events",
        production_targets=[
            {"recipe_slug": "sugar-cookies", "target_batches": 2},
            {"recipe_slug": "sugar-cookies", "target_batches": 1},
        ],
        assembly_targets=[
            {"finished_good_slug": "cookie-box", "target_quantity": 10},
            {"finished_good_slug": "cookie-box", "target_quantity": 5},
        ],
    )
    assert errors("events", data) == {
        "production_targets": ["item 1 repeats recipe_slug 'sugar-cookies'"],
        "assembly_targets": ["item 1 repeats finished_good_slug 'cookie-box'"],
    }
    data["production_targets"][1]["recipe_slug"] = "gingerbread"
    data["assembly_targets"][1]["finished_good_slug"] = "truffle-bag"
    loaded = load("events", data)
    assert [target["recipe_id"] for target in loaded["production_targets"]] == [
        "sugar-cookies",
        "gingerbread",
    ]


def test_depletion_for_other_reasons_needs_notes() -> None:
    message = {"notes": ["required when depletion_reason is 'other'"]}
    assert errors(
        "inventory_depletions", record("inventory_depletions", depletion_reason="other")
    ) == (message)
    assert (
        errors(
            "inventory_depletions",
            record("inventory_depletions", depletion_reason="other", notes=None),
        )
        == message
    )
    loaded = load(
        "inventory_depletions",
        record("inventory_depletions", depletion_reason="other", notes="dropped the jar"),
    )
    assert loaded["notes"] == "dropped the jar"
    assert load("inventory_depletions", record("inventory_depletions", notes=None))["notes"] is None


# ---------------------------------------------------------------------------
# Ranges, refused at their boundary; string lengths


@pytest.mark.parametrize(
    ("entity_type", "field", "accepted", "refused", "message"),
    [
        ("products", "package_unit_quantity", "0.0001", "0", "0 is out of range: must be > 0"),
        ("recipes", "estimated_time_minutes", 0, -1, "must be >= 0 and <= 2147483647"),
        ("finished_units", "items_per_batch", 1, 0, "must be > 0 and <= 2147483647"),
        ("finished_units", "inventory_count", 0, -1, "must be >= 0 and <= 2147483647"),
        ("purchases", "unit_price", "0", "-0.0001", "-0.0001 is out of range: must be >= 0"),
        ("purchases", "quantity_purchased", 1, 0, "must be > 0 and <= 2147483647"),
        ("inventory_items", "quantity", "0", "-1", "-1 is out of range: must be >= 0"),
        ("inventory_items", "unit_cost", "0", "-0.01", "-0.01 is out of range: must be >= 0"),
        ("material_categories", "sort_order", 0, -1, "must be >= 0 and <= 2147483647"),
        ("material_subcategories", "sort_order", 0, -1, "must be >= 0 and <= 2147483647"),
        ("material_products", "package_quantity", "0.0001", "0", "0 is out of range: must be > 0"),
        (
            "material_products",
            "quantity_in_base_units",
            "9999999999.9999",
            "0.0000",
            "0.0000 is out of range: must be > 0",
        ),
        ("material_units", "quantity_per_unit", "0.0001", "0", "0 is out of range: must be > 0"),
        ("material_purchases", "packages_purchased", 1, 0, "must be > 0 and <= 2147483647"),
        ("material_purchases", "package_price", "0", "-1", "-1 is out of range: must be >= 0"),
        ("material_purchases", "units_added", "0.0001", "0", "0 is out of range: must be > 0"),
        ("material_purchases", "unit_cost", "0", "-1", "-1 is out of range: must be >= 0"),
        ("finished_goods", "inventory_count", 0, -1, "must be >= 0 and <= 2147483647"),
        ("events", "expected_attendees", 1, 0, "must be > 0 and <= 2147483647"),
        ("event_recipient_packages", "quantity", 1, 0, "must be > 0 and <= 2147483647"),
        ("production_runs", "num_batches", 1, 0, "must be > 0 and <= 2147483647"),
        ("production_runs", "expected_yield", 0, -1, "must be >= 0 and <= 2147483647"),
        ("production_runs", "actual_yield", 0, -1, "must be >= 0 and <= 2147483647"),
        ("production_runs", "loss_quantity", 0, -1, "must be >= 0 and <= 2147483647"),
        ("production_runs", "total_ingredient_cost", "0", "-1", "-1 is out of range: must be >= 0"),
        ("production_runs", "per_unit_cost", "0", "-1", "-1 is out of range: must be >= 0"),
        ("assembly_runs", "quantity_assembled", 1, 0, "must be > 0 and <= 2147483647"),
        ("assembly_runs", "total_component_cost", "0", "-1", "-1 is out of range: must be >= 0"),
        ("assembly_runs", "per_unit_cost", "0", "-1", "-1 is out of range: must be >= 0"),
        (
            "inventory_depletions",
            "quantity_depleted",
            "0.001",
            "0",
            "0 is out of range: must be > 0",
        ),
        ("inventory_depletions", "cost", "0", "-0.0001", "-0.0001 is out of range: must be >= 0"),
    ],
)
def test_ranges_are_refused_at_the_boundary(
    entity_type: str, field: str, accepted: Any, refused: Any, message: str
) -> None:
    loaded = load(entity_type, record(entity_type, **{field: accepted}))
    assert loaded[field] == (Decimal(accepted) if isinstance(accepted, str) else accepted)
    assert errors(entity_type, record(entity_type, **{field: refused})) == {field: [message]}


INGREDIENT = {"ingredient_slug": "sugar", "unit": "cup", "quantity": "1"}
COMPONENT = {"component_recipe_slug": "crust"}


@pytest.mark.parametrize(
    ("children", "child", "field", "limits"),
    [
        ("ingredients", INGREDIENT, "quantity", ("0.0001", "0", "0 is out of range: must be > 0")),
        ("ingredients", INGREDIENT, "sort_order", (0, -1, "must be >= 0 and <= 2147483647")),
        ("components", COMPONENT, "quantity", ("0.0001", "0", "0 is out of range: must be > 0")),
        ("components", COMPONENT, "sort_order", (0, -1, "must be >= 0 and <= 2147483647")),
    ],
)
def test_child_ranges_are_refused_at_the_boundary(
    children: str, child: dict[str, Any], field: str, limits: tuple[Any, Any, str]
) -> None:
    accepted, refused, message = limits
    loaded = load("recipes", record("recipes", **{children: [{**child, field: accepted}]}))
    assert loaded[children][0][field] == (
        Decimal(accepted) if isinstance(accepted, str) else accepted
    )
    found = errors("recipes", record("recipes", **{children: [{**child, field: refused}]}))
    assert found == {children: {0: {field: [message]}}}


def test_history_child_ranges() -> None:
    consumption = {"uuid": U2, "ingredient_slug": "sugar", "unit": "cup", "total_cost": "0"}
    loss = {"uuid": U3, "loss_quantity": 1, "per_unit_cost": "0", "total_loss_cost": "0"}
    data = record(
        "production_runs",
        consumptions=[{**consumption, "quantity_consumed": "0.001"}],
        losses=[loss],
    )
    assert load("production_runs", data)["consumptions"][0]["quantity_consumed"] == Decimal("0.001")
    data = record(
        "production_runs",
        consumptions=[
            {**consumption, "quantity_consumed": "0.000"},
            {**consumption, "quantity_consumed": "1.0001", "total_cost": "-1"},
        ],
        losses=[{**loss, "loss_quantity": 0}],
    )
    assert errors("production_runs", data) == {
        "consumptions": {
            0: {"quantity_consumed": ["0.000 is out of range: must be > 0"]},
            1: {
                "quantity_consumed": ["1.0001 has more than 3 decimal places (nothing is rounded)"],
                "total_cost": ["-1 is out of range: must be >= 0"],
            },
        },
        "losses": {0: {"loss_quantity": ["must be > 0 and <= 2147483647"]}},
    }
    run = record(
        "assembly_runs",
        finished_unit_consumptions=[
            {
                "uuid": U2,
                "finished_unit_slug": "sugar-cookie",
                "quantity_consumed": 0,
                "unit_cost_at_consumption": "0",
                "total_cost": "0",
            }
        ],
        packaging_consumptions=[
            {
                "uuid": U3,
                "product_slug": "box",
                "quantity_consumed": "0",
                "unit": "each",
                "total_cost": "0",
            }
        ],
    )
    assert errors("assembly_runs", run) == {
        "finished_unit_consumptions": {0: {"quantity_consumed": ["must be > 0 and <= 2147483647"]}},
        "packaging_consumptions": {0: {"quantity_consumed": ["0 is out of range: must be > 0"]}},
    }


def test_package_content_quantity_is_positive() -> None:
    data = record("packages", contents=[{"finished_good_slug": "box", "quantity": 0}])
    assert errors("packages", data) == {
        "contents": {0: {"quantity": ["must be > 0 and <= 2147483647"]}}
    }


@pytest.mark.parametrize(
    ("entity_type", "field", "length"),
    [
        ("suppliers", "slug", 100),
        ("suppliers", "name", 200),
        ("suppliers", "zip_code", 10),
        ("ingredients", "slug", 200),
        ("ingredients", "display_name", 200),
        ("products", "gtin", 20),
        ("recipes", "source", 500),
        ("finished_units", "slug", 100),
        ("material_categories", "name", 100),
        ("events", "slug", 100),
        ("event_recipient_packages", "delivered_to", 500),
        ("inventory_depletions", "created_by", 100),
    ],
)
def test_string_lengths(entity_type: str, field: str, length: int) -> None:
    longest = "a" * length
    assert load(entity_type, record(entity_type, **{field: longest}))[field] == longest
    found = errors(entity_type, record(entity_type, **{field: longest + "a"}))
    assert found == {field: [f"at most {length} characters"]}


def test_text_columns_are_unbounded() -> None:
    notes = "n" * 100_000
    assert load("suppliers", record("suppliers", notes=notes))["notes"] == notes


@pytest.mark.parametrize("entity_type", ["suppliers", "ingredients", "recipes", "events"])
@pytest.mark.parametrize(
    "slug", ["Sugar", "sugar cookies", "sugar--cookies", "-sugar", "cr\u00e8me"]
)
def test_slugs_follow_the_slug_rule(entity_type: str, slug: str) -> None:
    found = errors(entity_type, record(entity_type, slug=slug))
    assert list(found) == ["slug"]
    assert "is not a slug" in found["slug"][0]


# ---------------------------------------------------------------------------
# Malformed children are refused, never a crash


@pytest.mark.parametrize(
    ("entity_type", "children", "good", "bad"),
    [
        ("recipes", "components", {"component_recipe_slug": "crust"}, "crust"),
        (
            "recipes",
            "components",
            {"component_recipe_slug": "crust"},
            {"component_recipe_slug": ["x"]},
        ),
        (
            "recipes",
            "components",
            {"component_recipe_slug": "crust"},
            {"component_recipe_slug": {}},
        ),
        ("finished_goods", "components", {"finished_unit_slug": "cookie"}, 7),
        ("packages", "contents", {"finished_good_slug": "box"}, ["box"]),
        ("packages", "contents", {"finished_good_slug": "box"}, {"finished_good_slug": ["box"]}),
        ("events", "production_targets", {"recipe_slug": "pie", "target_batches": 1}, None),
    ],
)
def test_malformed_children_are_validation_errors(
    entity_type: str, children: str, good: dict[str, Any], bad: Any
) -> None:
    found = errors(entity_type, record(entity_type, **{children: [good, bad]}))
    assert list(found) == [children]
    assert 1 in found[children]


# ---------------------------------------------------------------------------
# Each rule's JSON Schema fragment says what its check says


def schema_classes() -> list[type[EntitySchema]]:
    """Every entity schema and every child schema, once."""
    found: list[type[EntitySchema]] = []

    def walk(schema: type[EntitySchema]) -> None:
        if schema in found:
            return
        found.append(schema)
        for field in declared_fields(schema).values():
            if isinstance(field, Children):
                walk(field.schema_class)

    for entity in REGISTRY:
        walk(entity.schema)
    return found


RULES = [(schema, rule) for schema in schema_classes() for rule in schema.opts.rules]
FRAGMENTS = [
    pytest.param(
        schema, rule, id=f"{schema.__name__}-{type(rule).__name__}-{'-'.join(rule.fields)}"
    )
    for schema, rule in RULES
    if rule.json_schema(schema.wire_defaults()) is not None
]


def test_every_rule_of_domain_md_is_declared() -> None:
    declared = {(schema.__name__, rule) for schema, rule in RULES}
    assert declared == {
        ("SupplierSchema", RequiredWhen("city", "supplier_type", "physical")),
        ("IngredientSchema", NullExactlyWhen("parent_slug", "hierarchy_level", 0)),
        ("IngredientSchema", Differs("parent_slug", "slug")),
        (
            "IngredientSchema",
            AllOrNone(
                (
                    "density_volume_value",
                    "density_volume_unit",
                    "density_weight_value",
                    "density_weight_unit",
                )
            ),
        ),
        ("RecipeSchema", Differs("base_recipe_slug", "slug")),
        ("RecipeSchema", NotSelfIn("components", "component_recipe_slug")),
        ("RecipeSchema", UniqueIn("components", ("component_recipe_slug",))),
        ("FinishedUnitSchema", RequiredWhen("items_per_batch", "yield_mode", "discrete_count")),
        ("FinishedUnitSchema", RequiredWhen("item_unit", "yield_mode", "discrete_count")),
        ("FinishedUnitSchema", RequiredWhen("batch_percentage", "yield_mode", "batch_portion")),
        (
            "FinishedGoodComponentSchema",
            ExactlyOne(
                (
                    ("finished_unit_slug",),
                    ("finished_good_slug",),
                    ("material_product_slug", "material_unit_slug"),
                )
            ),
        ),
        ("FinishedGoodSchema", NotSelfIn("components", "finished_good_slug")),
        ("PackageSchema", UniqueIn("contents", ("finished_good_slug",))),
        ("EventSchema", UniqueIn("production_targets", ("recipe_slug",))),
        ("EventSchema", UniqueIn("assembly_targets", ("finished_good_slug",))),
        ("InventoryDepletionSchema", RequiredWhen("notes", "depletion_reason", "other")),
    }
    kinds = {type(rule) for schema, rule in RULES if rule.json_schema(schema.wire_defaults())}
    assert kinds == {RequiredWhen, NullExactlyWhen, AllOrNone, ExactlyOne}


ABSENT = object()


def candidates(rule: Rule, name: str, defaults: dict[str, Any]) -> list[Any]:
    """Values to try for one field of ``rule``: the condition value, others, null, absent."""
    values: list[Any] = [ABSENT, None, "x", "y"]
    if name == getattr(rule, "other", None):
        condition = rule.value  # type: ignore[attr-defined]
        values.append(condition)
        values.extend([condition + 1, condition + 2] if isinstance(condition, int) else ["z"])
    if defaults.get(name) is not None:
        values.append(defaults[name])
    return values


@pytest.mark.parametrize(("schema", "rule"), FRAGMENTS)
@given(data=st.data())
def test_rule_fragment_agrees_with_the_check(
    schema: type[EntitySchema], rule: Rule, data: st.DataObject
) -> None:
    defaults = schema.wire_defaults()
    fragment = rule.json_schema(defaults)
    assert fragment is not None
    Draft202012Validator.check_schema(fragment)
    generated: dict[str, Any] = {}
    for name in rule.fields:
        value = data.draw(st.sampled_from(candidates(rule, name, defaults)), label=name)
        if value is not ABSENT:
            generated[name] = value

    def get(name: str) -> Any:
        return generated.get(name, defaults.get(name))

    follows = not rule.check(get)
    assert Draft202012Validator(fragment).is_valid(generated) == follows, (generated, rule)


@pytest.mark.parametrize(
    ("schema", "data", "ok"),
    [
        (SupplierSchema, {"slug": "a", "name": "A"}, False),
        (SupplierSchema, {"slug": "a", "name": "A", "supplier_type": "online"}, True),
        (IngredientSchema, {"slug": "a", "display_name": "A"}, False),
        (IngredientSchema, {"slug": "a", "display_name": "A", "hierarchy_level": 0}, True),
        (FinishedUnitSchema, {"slug": "a", "recipe_slug": "r", "display_name": "A"}, False),
        (InventoryDepletionSchema, MINIMAL["inventory_depletions"], True),
        (RecipeSchema, MINIMAL["recipes"], True),
        (PackageSchema, MINIMAL["packages"], True),
        (ProductionRunSchema, MINIMAL["production_runs"], True),
        (FinishedGoodSchema, MINIMAL["finished_goods"], True),
    ],
)
def test_record_schema_and_load_agree(
    schema: type[EntitySchema], data: dict[str, Any], ok: bool
) -> None:
    document = record_schema(schema)
    document["$defs"] = {
        field.schema_class.opts.model.__tablename__: record_schema(field.schema_class)
        for field in declared_fields(schema).values()
        if isinstance(field, Children)
    }
    assert Draft202012Validator(document).is_valid(data) == ok
    if ok:
        schema().load(data)
    else:
        with pytest.raises(ValidationError):
            schema().load(data)
