"""Format 1.1 bound to bake-tracker's own models: the entity types they can hold.

Eight of the 21 entity types bind to the app's tables (kentonium3/bake-tracker
at 5ba2de31): suppliers, ingredients, products, material categories,
material subcategories, materials, material products and material units.
Their format fields have app columns of the same kind, bound by name or
through ``Meta.attributes`` (ingredients' ``parent_ingredient_id``; the
``date_added`` and ``last_modified`` that the app's own exporter writes as
created and updated times). What the binding relies on:

- the app's ``DateTime`` columns hold UTC without a time zone, which a binding
  reads and writes as UTC (:class:`bakery_io.binding.sqltypes.AsUTC`);
- the app keeps exact decimals (densities, package quantities) in ``Float``
  columns, which hold every value of those fields (at most 14 digits) exactly;
- columns the format does not fill (``is_provisional``, BaseModel's
  ``created_at``, the ingredient ontology codes) keep the app's defaults;
- the app's ``ingredients.category`` is NOT NULL where the format allows null:
  an ingredient without a category is refused by the database, named.

The others do not fit, for reasons of the app's schema:

- purchases, material purchases: the app removed ``updated_at`` (``updated_at = None``),
  so the format's ``updated_at`` has no column;
- recipes: the app's recipe ingredients have no ``sort_order``;
- recipients, packages, events: no ``slug`` column (the app keys them by name);
- finished units, finished goods, events: ``yield_mode``, ``assembly_type``,
  ``output_mode``, ``plan_state`` are SQLAlchemy ``Enum`` columns, which store
  the member's name (``DISCRETE_COUNT``), not the format's value (``discrete_count``);
- production runs: the app's production losses need a ``finished_unit_id``
  that the format's losses do not carry;
- inventory items, inventory depletions, event recipient packages, assembly
  runs: they fit column by column but reference types that do not.
"""

from __future__ import annotations

from typing import ClassVar

from bakery_io import REGISTRY, Registry
from bakery_io.format.schemas import (
    IngredientSchema,
    MaterialCategorySchema,
    MaterialProductSchema,
    MaterialSchema,
    MaterialSubcategorySchema,
    MaterialUnitSchema,
    ProductSchema,
    SupplierSchema,
)
from tests.hosts.bake_tracker import models


class BakeTrackerSupplierSchema(SupplierSchema):
    """Suppliers in the app's ``suppliers``."""

    class Meta:
        model = models.Supplier


class BakeTrackerMaterialCategorySchema(MaterialCategorySchema):
    """Material categories in the app's ``material_categories``."""

    class Meta:
        model = models.MaterialCategory


class BakeTrackerMaterialSubcategorySchema(MaterialSubcategorySchema):
    """Material subcategories in the app's ``material_subcategories``."""

    class Meta:
        model = models.MaterialSubcategory


class BakeTrackerMaterialSchema(MaterialSchema):
    """Materials in the app's ``materials``."""

    class Meta:
        model = models.Material


#: The app's exporter writes ``date_added``/``last_modified`` as created/updated times.
_APP_TIMESTAMPS = {"created_at": "date_added", "updated_at": "last_modified"}


class BakeTrackerIngredientSchema(IngredientSchema):
    """Ingredients in the app's ``ingredients``: the tree by ``parent_ingredient_id``."""

    class Meta:
        model = models.Ingredient
        attributes: ClassVar[dict[str, str]] = {
            "parent_slug": "parent_ingredient_id",
            **_APP_TIMESTAMPS,
        }


class BakeTrackerProductSchema(ProductSchema):
    """Products in the app's ``products``."""

    class Meta:
        model = models.Product
        attributes: ClassVar[dict[str, str]] = _APP_TIMESTAMPS


class BakeTrackerMaterialProductSchema(MaterialProductSchema):
    """Material products in the app's ``material_products``."""

    class Meta:
        model = models.MaterialProduct


class BakeTrackerMaterialUnitSchema(MaterialUnitSchema):
    """Material units in the app's ``material_units``."""

    class Meta:
        model = models.MaterialUnit


#: The entity types the app's models hold, in format order.
ENTITY_TYPES = (
    "suppliers",
    "ingredients",
    "products",
    "material_categories",
    "material_subcategories",
    "materials",
    "material_products",
    "material_units",
)

#: Format 1.1 bound to the app's models, limited to the types they hold.
BAKE_TRACKER: Registry = REGISTRY.derive(
    bind=[
        BakeTrackerSupplierSchema,
        BakeTrackerIngredientSchema,
        BakeTrackerProductSchema,
        BakeTrackerMaterialCategorySchema,
        BakeTrackerMaterialSubcategorySchema,
        BakeTrackerMaterialSchema,
        BakeTrackerMaterialProductSchema,
        BakeTrackerMaterialUnitSchema,
    ],
    only=ENTITY_TYPES,
)
