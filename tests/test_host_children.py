"""A host stores nested children in its own tables, under relationships of its own names.

Recipes and their lines live in a host's ``formulas``, ``formula_lines`` and
``formula_parts``; the relationships are called ``lines`` and ``parts``
(bound with ``attribute=``), one of them without an ``order_by``. A stock
backup of ingredients and recipes goes in and comes out byte for byte.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Integer, MetaData, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bakery_io import REGISTRY, create_schema, dump_all, load_all
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.format.fields import Children
from bakery_io.format.schemas import (
    IngredientSchema,
    RecipeComponentSchema,
    RecipeIngredientSchema,
    RecipeSchema,
)

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData()


class Pantry(Base):
    __tablename__ = "pantry"

    pantry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("pantry.pantry_id"))
    hierarchy_level: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    density_volume_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_volume_unit: Mapped[str | None] = mapped_column(String(20))
    density_weight_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_weight_unit: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FormulaLine(Base):
    __tablename__ = "formula_lines"

    line_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    formula_id: Mapped[int] = mapped_column(ForeignKey("formulas.formula_id"))
    pantry_id: Mapped[int] = mapped_column(ForeignKey("pantry.pantry_id"))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    unit: Mapped[str] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(Integer)


class FormulaPart(Base):
    __tablename__ = "formula_parts"

    part_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    formula_id: Mapped[int] = mapped_column(ForeignKey("formulas.formula_id"))
    sub_formula_id: Mapped[int] = mapped_column(ForeignKey("formulas.formula_id"))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    notes: Mapped[str | None] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(Integer)


class Formula(Base):
    __tablename__ = "formulas"

    formula_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(500))
    estimated_time_minutes: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    is_archived: Mapped[bool] = mapped_column(Boolean)
    base_formula_id: Mapped[int | None] = mapped_column(ForeignKey("formulas.formula_id"))
    variant_name: Mapped[str | None] = mapped_column(String(100))
    is_production_ready: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # No order_by: the lines come back in the order they were written.
    lines: Mapped[list[FormulaLine]] = relationship()
    parts: Mapped[list[FormulaPart]] = relationship(
        foreign_keys=[FormulaPart.formula_id],
        order_by=[FormulaPart.sort_order, FormulaPart.part_id],
    )


class PantrySchema(IngredientSchema):
    class Meta:
        model = Pantry


class FormulaLineSchema(RecipeIngredientSchema):
    class Meta:
        model = FormulaLine
        attributes: ClassVar[dict[str, str]] = {"ingredient_slug": "pantry_id"}


class FormulaPartSchema(RecipeComponentSchema):
    class Meta:
        model = FormulaPart
        attributes: ClassVar[dict[str, str]] = {"component_recipe_slug": "sub_formula_id"}


class FormulaSchema(RecipeSchema):
    ingredients = Children(FormulaLineSchema, attribute="lines")
    components = Children(FormulaPartSchema, attribute="parts")

    class Meta:
        model = Formula
        attributes: ClassVar[dict[str, str]] = {"base_recipe_slug": "base_formula_id"}


KITCHEN = REGISTRY.derive(bind=[PantrySchema, FormulaSchema], only=["ingredients", "recipes"])


def test_children_under_the_hosts_own_relationships_round_trip(
    sample_engine: object, tmp_path: Path
) -> None:
    stock = tmp_path / "stock"
    dump_all(sample_engine, stock, entities=["ingredients", "recipes"], exported_at=MOMENT)  # type: ignore[arg-type]
    engine = create_engine(f"sqlite:///{tmp_path / 'kitchen.db'}")
    try:
        create_schema(engine, registry=KITCHEN)
        report = load_all(engine, stock, registry=KITCHEN)
        assert report.counts["recipes"].created > 0
        again = tmp_path / "again"
        dump_all(engine, again, exported_at=MOMENT, registry=KITCHEN)
        # A second load finds every record, children included, unchanged.
        second = load_all(engine, stock, registry=KITCHEN)
        assert second.total.unchanged == report.total.created
    finally:
        engine.dispose()
    for path in sorted(stock.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    recipes = (again / "04_recipes.json").read_text(encoding="utf-8")
    assert '"ingredients": [' in recipes
    assert '"components": [' in recipes
