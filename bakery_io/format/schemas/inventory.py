"""Schemas of purchases and inventory: purchases, inventory lots, depletions."""

from __future__ import annotations

from bakery_io.binding import models
from bakery_io.format.fields import Reference
from bakery_io.format.rules import RequiredWhen
from bakery_io.format.schemas.base import EntitySchema


class PurchaseSchema(EntitySchema):
    product_slug = Reference("products", attribute="product_id")
    supplier_slug = Reference("suppliers", attribute="supplier_id")

    class Meta(EntitySchema.Meta):
        model = models.Purchase


class InventoryItemSchema(EntitySchema):
    product_slug = Reference("products", attribute="product_id")
    purchase_uuid = Reference("purchases", attribute="purchase_id")

    class Meta(EntitySchema.Meta):
        model = models.InventoryItem


class InventoryDepletionSchema(EntitySchema):
    inventory_item_uuid = Reference("inventory_items", attribute="inventory_item_id")

    class Meta(EntitySchema.Meta):
        model = models.InventoryDepletion
        rules = (RequiredWhen("notes", "depletion_reason", "other"),)
