"""Schemas of packaging and decoration materials, from categories to purchases."""

from __future__ import annotations

from bakery_io.binding import models
from bakery_io.format.fields import Reference
from bakery_io.format.schemas.base import EntitySchema


class MaterialCategorySchema(EntitySchema):
    class Meta(EntitySchema.Meta):
        model = models.MaterialCategory


class MaterialSubcategorySchema(EntitySchema):
    category_slug = Reference("material_categories", attribute="category_id")

    class Meta(EntitySchema.Meta):
        model = models.MaterialSubcategory


class MaterialSchema(EntitySchema):
    subcategory_slug = Reference("material_subcategories", attribute="subcategory_id")

    class Meta(EntitySchema.Meta):
        model = models.Material


class MaterialProductSchema(EntitySchema):
    material_slug = Reference("materials", attribute="material_id")
    supplier_slug = Reference("suppliers", attribute="supplier_id")

    class Meta(EntitySchema.Meta):
        model = models.MaterialProduct


class MaterialUnitSchema(EntitySchema):
    material_product_slug = Reference("material_products", attribute="material_product_id")

    class Meta(EntitySchema.Meta):
        model = models.MaterialUnit
        # A unit's slug is unique only within its product.
        natural_key = ("material_product_slug", "slug")


class MaterialPurchaseSchema(EntitySchema):
    material_product_slug = Reference("material_products", attribute="material_product_id")
    supplier_slug = Reference("suppliers", attribute="supplier_id")

    class Meta(EntitySchema.Meta):
        model = models.MaterialPurchase
