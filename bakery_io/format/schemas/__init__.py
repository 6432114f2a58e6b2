"""Declarative marshmallow schemas of the entity types, one module per domain area.

The schemas are the single source of truth for the wire format: export,
import, and the published JSON Schemas are all derived from them.

- :mod:`~bakery_io.format.schemas.base`: :class:`EntitySchema`, plain fields from the model
- :mod:`~bakery_io.format.schemas.catalog`: suppliers, ingredients, products, recipes,
  finished units
- :mod:`~bakery_io.format.schemas.inventory`: purchases, inventory items, inventory depletions
- :mod:`~bakery_io.format.schemas.materials`: material categories down to material purchases
- :mod:`~bakery_io.format.schemas.planning`: finished goods, recipients, packages, events
- :mod:`~bakery_io.format.schemas.history`: production and assembly runs
"""

from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.schemas.catalog import (
    FinishedUnitSchema,
    IngredientSchema,
    ProductSchema,
    RecipeComponentSchema,
    RecipeIngredientSchema,
    RecipeSchema,
    SupplierSchema,
)
from bakery_io.format.schemas.history import (
    AssemblyFinishedUnitConsumptionSchema,
    AssemblyPackagingConsumptionSchema,
    AssemblyRunSchema,
    ProductionConsumptionSchema,
    ProductionLossSchema,
    ProductionRunSchema,
)
from bakery_io.format.schemas.inventory import (
    InventoryDepletionSchema,
    InventoryItemSchema,
    PurchaseSchema,
)
from bakery_io.format.schemas.materials import (
    MaterialCategorySchema,
    MaterialProductSchema,
    MaterialPurchaseSchema,
    MaterialSchema,
    MaterialSubcategorySchema,
    MaterialUnitSchema,
)
from bakery_io.format.schemas.planning import (
    EventAssemblyTargetSchema,
    EventProductionTargetSchema,
    EventRecipientPackageSchema,
    EventSchema,
    FinishedGoodComponentSchema,
    FinishedGoodSchema,
    PackageContentSchema,
    PackageSchema,
    RecipientSchema,
)

__all__ = [
    "AssemblyFinishedUnitConsumptionSchema",
    "AssemblyPackagingConsumptionSchema",
    "AssemblyRunSchema",
    "EntitySchema",
    "EventAssemblyTargetSchema",
    "EventProductionTargetSchema",
    "EventRecipientPackageSchema",
    "EventSchema",
    "FinishedGoodComponentSchema",
    "FinishedGoodSchema",
    "FinishedUnitSchema",
    "IngredientSchema",
    "InventoryDepletionSchema",
    "InventoryItemSchema",
    "MaterialCategorySchema",
    "MaterialProductSchema",
    "MaterialPurchaseSchema",
    "MaterialSchema",
    "MaterialSubcategorySchema",
    "MaterialUnitSchema",
    "PackageContentSchema",
    "PackageSchema",
    "ProductSchema",
    "ProductionConsumptionSchema",
    "ProductionLossSchema",
    "ProductionRunSchema",
    "PurchaseSchema",
    "RecipeComponentSchema",
    "RecipeIngredientSchema",
    "RecipeSchema",
    "RecipientSchema",
    "SupplierSchema",
    "declared_fields",
]
