"""Schemas of the catalog: suppliers, ingredients, products, recipes, finished units."""

from __future__ import annotations

from bakery_io.binding import models
from bakery_io.format.fields import Children, Reference
from bakery_io.format.links import MaxNesting, TargetValue
from bakery_io.format.rules import (
    AllOrNone,
    Differs,
    NotSelfIn,
    NullExactlyWhen,
    RequiredWhen,
    UniqueIn,
)
from bakery_io.format.schemas.base import EntitySchema


class SupplierSchema(EntitySchema):
    class Meta(EntitySchema.Meta):
        model = models.Supplier
        rules = (RequiredWhen("city", "supplier_type", "physical"),)


class IngredientSchema(EntitySchema):
    parent_slug = Reference("ingredients", attribute="parent_id")

    class Meta(EntitySchema.Meta):
        model = models.Ingredient
        rules = (
            NullExactlyWhen("parent_slug", "hierarchy_level", 0),
            Differs("parent_slug", "slug"),
            AllOrNone(
                (
                    "density_volume_value",
                    "density_volume_unit",
                    "density_weight_value",
                    "density_weight_unit",
                )
            ),
        )
        links = (
            TargetValue(
                "parent_slug",
                "hierarchy_level",
                same_as="hierarchy_level",
                offset=-1,
                why="an ingredient's parent is one level above it",
            ),
        )


#: Only leaves of the ingredient tree are bought or used in recipes.
LEAF_INGREDIENT = TargetValue(
    "ingredient_slug",
    "hierarchy_level",
    equals=2,
    why="only leaf ingredients (hierarchy_level 2) are bought or used in recipes",
)


class ProductSchema(EntitySchema):
    ingredient_slug = Reference("ingredients", attribute="ingredient_id")
    preferred_supplier_slug = Reference("suppliers", attribute="preferred_supplier_id")

    class Meta(EntitySchema.Meta):
        model = models.Product
        links = (LEAF_INGREDIENT,)


class RecipeIngredientSchema(EntitySchema):
    ingredient_slug = Reference("ingredients", attribute="ingredient_id")

    class Meta(EntitySchema.Meta):
        model = models.RecipeIngredient
        links = (LEAF_INGREDIENT,)


class RecipeComponentSchema(EntitySchema):
    component_recipe_slug = Reference("recipes", attribute="component_recipe_id")

    class Meta(EntitySchema.Meta):
        model = models.RecipeComponent


class RecipeSchema(EntitySchema):
    base_recipe_slug = Reference("recipes", attribute="base_recipe_id")
    ingredients = Children(RecipeIngredientSchema)
    components = Children(RecipeComponentSchema)

    class Meta(EntitySchema.Meta):
        model = models.Recipe
        rules = (
            Differs("base_recipe_slug", "slug"),
            NotSelfIn("components", "component_recipe_slug"),
            UniqueIn("components", ("component_recipe_slug",)),
        )
        links = (MaxNesting("component_recipe_slug", levels=3),)


class FinishedUnitSchema(EntitySchema):
    recipe_slug = Reference("recipes", attribute="recipe_id")

    class Meta(EntitySchema.Meta):
        model = models.FinishedUnit
        rules = (
            RequiredWhen("items_per_batch", "yield_mode", "discrete_count"),
            RequiredWhen("item_unit", "yield_mode", "discrete_count"),
            RequiredWhen("batch_percentage", "yield_mode", "batch_portion"),
        )
