"""Schemas of planning: finished goods, recipients, packages, events and their packages."""

from __future__ import annotations

from marshmallow.validate import Length
from sqlalchemy import String

from bakery_io.binding import models
from bakery_io.format.fields import Children, Reference, Slug
from bakery_io.format.rules import ExactlyOne, NotSelfIn, UniqueIn
from bakery_io.format.schemas.base import EntitySchema

_slug_type = models.MaterialProduct.__table__.c.slug.type
assert isinstance(_slug_type, String)
_SLUG_LENGTH = _slug_type.length


class FinishedGoodComponentSchema(EntitySchema):
    finished_unit_slug = Reference("finished_units", attribute="finished_unit_id")
    finished_good_slug = Reference("finished_goods", attribute="component_good_id")
    # The leading part of the material unit's composite key, not a column of its own.
    material_product_slug = Slug(
        allow_none=True,
        load_default=None,
        validate=Length(max=_SLUG_LENGTH, error="at most {max} characters"),
    )
    material_unit_slug = Reference(
        "material_units", attribute="material_unit_id", scope=("material_product_slug",)
    )

    class Meta(EntitySchema.Meta):
        model = models.FinishedGoodComponent
        rules = (
            ExactlyOne(
                (
                    ("finished_unit_slug",),
                    ("finished_good_slug",),
                    ("material_product_slug", "material_unit_slug"),
                )
            ),
        )


class FinishedGoodSchema(EntitySchema):
    components = Children(FinishedGoodComponentSchema)

    class Meta(EntitySchema.Meta):
        model = models.FinishedGood
        rules = (NotSelfIn("components", "finished_good_slug"),)


class RecipientSchema(EntitySchema):
    class Meta(EntitySchema.Meta):
        model = models.Recipient


class PackageContentSchema(EntitySchema):
    finished_good_slug = Reference("finished_goods", attribute="finished_good_id")

    class Meta(EntitySchema.Meta):
        model = models.PackageContent


class PackageSchema(EntitySchema):
    contents = Children(PackageContentSchema)

    class Meta(EntitySchema.Meta):
        model = models.Package
        rules = (UniqueIn("contents", ("finished_good_slug",)),)


class EventProductionTargetSchema(EntitySchema):
    recipe_slug = Reference("recipes", attribute="recipe_id")

    class Meta(EntitySchema.Meta):
        model = models.EventProductionTarget


class EventAssemblyTargetSchema(EntitySchema):
    finished_good_slug = Reference("finished_goods", attribute="finished_good_id")

    class Meta(EntitySchema.Meta):
        model = models.EventAssemblyTarget


class EventSchema(EntitySchema):
    production_targets = Children(EventProductionTargetSchema)
    assembly_targets = Children(EventAssemblyTargetSchema)

    class Meta(EntitySchema.Meta):
        model = models.Event
        rules = (
            UniqueIn("production_targets", ("recipe_slug",)),
            UniqueIn("assembly_targets", ("finished_good_slug",)),
        )


class EventRecipientPackageSchema(EntitySchema):
    event_slug = Reference("events", attribute="event_id")
    recipient_slug = Reference("recipients", attribute="recipient_id")
    package_slug = Reference("packages", attribute="package_id")

    class Meta(EntitySchema.Meta):
        model = models.EventRecipientPackage
