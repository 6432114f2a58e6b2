"""The registry: the 21 entity types of docs/format/entities.md, their keys, dependencies
and order."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from bakery_io import REGISTRY, UsageError
from bakery_io.format.fields import Children, Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.schemas.catalog import IngredientSchema, ProductSchema, SupplierSchema
from bakery_io.registry import EntityType, Registry, references
from tests.test_models import ENTITY_TYPES

#: What each entity type references (other than itself), from docs/format/entities.md.
DEPENDENCIES: dict[str, set[str]] = {
    "suppliers": set(),
    "ingredients": set(),
    "products": {"ingredients", "suppliers"},
    "recipes": {"ingredients"},
    "finished_units": {"recipes"},
    "purchases": {"products", "suppliers"},
    "inventory_items": {"products", "purchases"},
    "material_categories": set(),
    "material_subcategories": {"material_categories"},
    "materials": {"material_subcategories"},
    "material_products": {"materials", "suppliers"},
    "material_units": {"material_products"},
    "material_purchases": {"material_products", "suppliers"},
    "finished_goods": {"finished_units", "material_units"},
    "recipients": set(),
    "packages": {"finished_goods"},
    "events": {"recipes", "finished_goods"},
    "event_recipient_packages": {"events", "recipients", "packages"},
    "production_runs": {"recipes", "finished_units", "events"},
    "assembly_runs": {"products", "finished_units", "finished_goods", "events"},
    "inventory_depletions": {"inventory_items"},
}

SELF_REFERENCING = {"ingredients", "recipes", "finished_goods"}


def test_registry_lists_the_21_entity_types_in_domain_order() -> None:
    assert len(REGISTRY) == 21
    assert list(REGISTRY.names) == ENTITY_TYPES
    assert [entity.name for entity in REGISTRY] == ENTITY_TYPES
    assert [entity.number for entity in REGISTRY] == list(range(1, 22))
    assert all(isinstance(entity, EntityType) for entity in REGISTRY)


def test_file_names() -> None:
    assert [entity.filename for entity in REGISTRY] == [
        f"{number:02d}_{name}.json" for number, name in enumerate(ENTITY_TYPES, start=1)
    ]
    assert REGISTRY["suppliers"].filename == "01_suppliers.json"
    assert REGISTRY["material_units"].filename == "12_material_units.json"
    assert REGISTRY["inventory_depletions"].filename == "21_inventory_depletions.json"


def test_each_entity_type_is_its_models_table() -> None:
    for entity in REGISTRY:
        assert entity.model.__tablename__ == entity.name
        assert entity.schema.opts.model is entity.model


UUID_KEYED = {
    "purchases",
    "inventory_items",
    "material_purchases",
    "event_recipient_packages",
    "production_runs",
    "assembly_runs",
    "inventory_depletions",
}


@pytest.mark.parametrize("name", ENTITY_TYPES)
def test_natural_keys(name: str) -> None:
    key = REGISTRY[name].natural_key
    if name == "material_units":
        assert key == ("material_product_slug", "slug")
    elif name in UUID_KEYED:
        assert key == ("uuid",)
    else:
        assert key == ("slug",)
    # The key's fields are fields of the schema.
    assert set(key) <= set(declared_fields(REGISTRY[name].schema))


@pytest.mark.parametrize("name", ENTITY_TYPES)
def test_dependencies_follow_the_reference_fields(name: str) -> None:
    dependencies = REGISTRY[name].dependencies
    assert set(dependencies) == DEPENDENCIES[name]
    assert len(dependencies) == len(set(dependencies))
    assert name not in dependencies


def test_self_referencing_entity_types() -> None:
    found = {entity.name for entity in REGISTRY if entity.self_referencing}
    assert found == SELF_REFERENCING


def test_the_order_is_topological() -> None:
    position = {name: index for index, name in enumerate(REGISTRY.names)}
    for entity in REGISTRY:
        for dependency in entity.dependencies:
            assert position[dependency] < position[entity.name], (entity.name, dependency)
        # Dependencies are listed in import order.
        assert list(entity.dependencies) == sorted(entity.dependencies, key=position.__getitem__)


def test_every_reference_names_a_registered_entity_type_by_its_key() -> None:
    for entity in REGISTRY:
        for wire_name, reference in references(entity.schema):
            target = REGISTRY[reference.target]
            kind = "uuid" if target.natural_key == ("uuid",) else "slug"
            assert wire_name.endswith(f"_{kind}"), (entity.name, wire_name)
            assert len(reference.scope) + 1 == len(target.natural_key)


def test_bound_references_check_the_key_kind_of_their_target() -> None:
    for schema, _parent in SCHEMA_TABLES:
        for name, field in schema().fields.items():
            if isinstance(field, Reference):
                target = REGISTRY[field.target]
                kind = "uuid" if target.natural_key == ("uuid",) else "slug"
                assert field.key_kind == kind, (schema.__name__, name)


def test_a_registry_in_a_wrong_order_is_refused() -> None:
    with pytest.raises(ValueError, match=r"products comes before \['ingredients'\]"):
        Registry([SupplierSchema, ProductSchema, IngredientSchema])


def test_a_registry_missing_a_referenced_type_is_refused() -> None:
    expected = "products: ingredient_slug references ingredients, which this registry does not"
    with pytest.raises(UsageError, match=expected):
        Registry([SupplierSchema, ProductSchema])
    with pytest.raises(UsageError, match=expected):
        REGISTRY.derive(only=["suppliers", "products"])


def test_a_registry_in_the_right_order_is_built() -> None:
    small = Registry([SupplierSchema, IngredientSchema, ProductSchema])
    assert small.names == ("suppliers", "ingredients", "products")
    assert small["products"].dependencies == ("suppliers", "ingredients")
    assert small["products"].filename == "03_products.json"


def test_unknown_names_raise_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"'supplier' \(supplier: did you mean suppliers\?\)"):
        REGISTRY["supplier"]
    with pytest.raises(UsageError) as caught:
        REGISTRY["zzz"]
    message = str(caught.value)
    assert "unknown entity type 'zzz'" in message
    for name in ENTITY_TYPES:
        assert name in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UsageError, match="unknown entity type 'cakes'"):
        REGISTRY.select(["suppliers", "cakes"])


def test_membership_and_selection() -> None:
    assert "recipes" in REGISTRY
    assert "recipe" not in REGISTRY
    assert 3 not in REGISTRY
    selected = REGISTRY.select(["events", "suppliers", "events"])
    assert [entity.name for entity in selected] == ["suppliers", "events"]
    assert REGISTRY.select(None) == tuple(REGISTRY)


# ---------------------------------------------------------------------------
# Every column travels


def schema_tables() -> list[tuple[type[EntitySchema], frozenset[str]]]:
    """Each entity and child schema with the columns that its parent fills (the parent FK)."""
    found: list[tuple[type[EntitySchema], frozenset[str]]] = []

    def walk(schema: type[EntitySchema], parent_columns: frozenset[str]) -> None:
        found.append((schema, parent_columns))
        mapper: Any = sa.inspect(schema.opts.model)
        for name, field in declared_fields(schema).items():
            if isinstance(field, Children):
                relationship = mapper.relationships[field.attribute or name]
                filled = frozenset(column.key for _local, column in relationship.synchronize_pairs)
                walk(field.schema_class, filled)

    for entity in REGISTRY:
        walk(entity.schema, frozenset())
    return found


SCHEMA_TABLES = schema_tables()


def test_child_tables_are_the_nested_ones() -> None:
    children = {
        schema.opts.model.__tablename__: sorted(parent)
        for schema, parent in SCHEMA_TABLES
        if parent
    }
    assert children == {
        "recipe_ingredients": ["recipe_id"],
        "recipe_components": ["recipe_id"],
        "finished_good_components": ["finished_good_id"],
        "package_contents": ["package_id"],
        "event_production_targets": ["event_id"],
        "event_assembly_targets": ["event_id"],
        "production_consumptions": ["production_run_id"],
        "production_losses": ["production_run_id"],
        "assembly_finished_unit_consumptions": ["assembly_run_id"],
        "assembly_packaging_consumptions": ["assembly_run_id"],
    }


def test_every_table_of_the_metadata_has_a_schema() -> None:
    tables = {schema.opts.model.__tablename__ for schema, _parent in SCHEMA_TABLES}
    metadata = REGISTRY["suppliers"].model.metadata
    assert tables == set(metadata.tables)


@pytest.mark.parametrize(
    ("schema", "parent_columns"),
    [pytest.param(schema, parent, id=schema.__name__) for schema, parent in SCHEMA_TABLES],
)
def test_every_column_is_covered_by_a_field(
    schema: type[EntitySchema], parent_columns: frozenset[str]
) -> None:
    table: sa.Table = schema.opts.model.__table__
    fields = declared_fields(schema)
    plain = {name for name, field in fields.items() if not isinstance(field, (Reference, Children))}
    referenced = {
        field.attribute: field for field in fields.values() if isinstance(field, Reference)
    }
    uncovered = []
    for column in table.columns:
        if column.key == "id" or column.key in parent_columns:
            continue
        if column.foreign_keys or column.key in referenced:
            reference = referenced.get(column.key)
            if reference is None:
                uncovered.append(column.key)
                continue
            targets = {key.column.table.name for key in column.foreign_keys} or {reference.target}
            # production_runs.finished_unit_id belongs to a composite FK with recipe_id.
            assert reference.target in targets, (column.key, reference.target, targets)
        elif column.key not in plain:
            uncovered.append(column.key)
    assert uncovered == []
    assert "id" not in fields
    for parent_column in parent_columns:
        assert parent_column not in fields
        assert parent_column not in referenced


def test_reference_fields_name_foreign_key_columns() -> None:
    for schema, _parent in SCHEMA_TABLES:
        table: sa.Table = schema.opts.model.__table__
        for name, field in declared_fields(schema).items():
            if isinstance(field, Reference):
                assert field.attribute is not None
                assert field.attribute in table.columns, (schema.__name__, name)
                assert name not in table.columns, (schema.__name__, name)
