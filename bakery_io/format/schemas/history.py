"""Schemas of the production and assembly history, with their consumption ledgers."""

from __future__ import annotations

from bakery_io.binding import models
from bakery_io.format.fields import Children, Reference
from bakery_io.format.links import TargetValue
from bakery_io.format.schemas.base import EntitySchema


class ProductionConsumptionSchema(EntitySchema):
    # ingredient_slug is recorded text, not a reference: history outlives ingredients.
    class Meta(EntitySchema.Meta):
        model = models.ProductionConsumption


class ProductionLossSchema(EntitySchema):
    class Meta(EntitySchema.Meta):
        model = models.ProductionLoss


class ProductionRunSchema(EntitySchema):
    recipe_slug = Reference("recipes", attribute="recipe_id")
    finished_unit_slug = Reference("finished_units", attribute="finished_unit_id")
    event_slug = Reference("events", attribute="event_id")
    consumptions = Children(ProductionConsumptionSchema)
    losses = Children(ProductionLossSchema)

    class Meta(EntitySchema.Meta):
        model = models.ProductionRun
        links = (
            TargetValue(
                "finished_unit_slug",
                "recipe_slug",
                same_as="recipe_slug",
                why="a run's finished unit is a yield of the run's recipe",
            ),
        )


class AssemblyFinishedUnitConsumptionSchema(EntitySchema):
    finished_unit_slug = Reference("finished_units", attribute="finished_unit_id")

    class Meta(EntitySchema.Meta):
        model = models.AssemblyFinishedUnitConsumption


class AssemblyPackagingConsumptionSchema(EntitySchema):
    product_slug = Reference("products", attribute="product_id")

    class Meta(EntitySchema.Meta):
        model = models.AssemblyPackagingConsumption


class AssemblyRunSchema(EntitySchema):
    finished_good_slug = Reference("finished_goods", attribute="finished_good_id")
    event_slug = Reference("events", attribute="event_id")
    finished_unit_consumptions = Children(AssemblyFinishedUnitConsumptionSchema)
    packaging_consumptions = Children(AssemblyPackagingConsumptionSchema)

    class Meta(EntitySchema.Meta):
        model = models.AssemblyRun
