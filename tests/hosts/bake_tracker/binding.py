"""Format 1.1 bound to bake-tracker's own models: the entity types they can hold.

Four of the 21 entity types bind to the app's tables (kentonium3/bake-tracker
at 5ba2de31) as bakery_io binds today: suppliers, material categories,
material subcategories and materials. Every format field has an app column
of the same name and kind (the app stores ``supplier_type`` and
``base_unit_type`` as plain strings holding the format's values). They load;
they cannot be exported yet: the app's ``DateTime`` columns hold UTC without
a time zone, and the export refuses a naive datetime.

Four more fit the app's columns but bakery_io does not bind them yet:

- ingredients, products, material products, material units: the app keeps
  their exact decimals (densities, package quantities, quantity per unit) in
  ``Float`` columns, and a binding refuses a float column for a decimal field
  (every value of those fields, at most 14 digits, would survive a double);
- ingredients, products, material products also have columns the format does
  not fill (``is_provisional``, BaseModel's ``created_at`` beside the
  ``date_added`` the app exports), whose Python defaults the import does not
  apply yet.

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

from bakery_io import REGISTRY, Registry
from bakery_io.schemas import (
    MaterialCategorySchema,
    MaterialSchema,
    MaterialSubcategorySchema,
    SupplierSchema,
)
from tests.hosts.bake_tracker import models


class BakeTrackerSupplierSchema(SupplierSchema):
    """Suppliers in the app's ``suppliers``."""

    class Meta(SupplierSchema.Meta):
        model = models.Supplier


class BakeTrackerMaterialCategorySchema(MaterialCategorySchema):
    """Material categories in the app's ``material_categories``."""

    class Meta(MaterialCategorySchema.Meta):
        model = models.MaterialCategory


class BakeTrackerMaterialSubcategorySchema(MaterialSubcategorySchema):
    """Material subcategories in the app's ``material_subcategories``."""

    class Meta(MaterialSubcategorySchema.Meta):
        model = models.MaterialSubcategory


class BakeTrackerMaterialSchema(MaterialSchema):
    """Materials in the app's ``materials``."""

    class Meta(MaterialSchema.Meta):
        model = models.Material


#: The entity types the app's models hold, in format order.
ENTITY_TYPES = ("suppliers", "material_categories", "material_subcategories", "materials")

#: Format 1.1 bound to the app's models, limited to the types they hold.
BAKE_TRACKER: Registry = REGISTRY.derive(
    bind=[
        BakeTrackerSupplierSchema,
        BakeTrackerMaterialCategorySchema,
        BakeTrackerMaterialSubcategorySchema,
        BakeTrackerMaterialSchema,
    ],
    only=ENTITY_TYPES,
)
