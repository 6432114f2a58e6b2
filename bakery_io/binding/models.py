"""SQLAlchemy models of the 21 bakery entity types and their child tables (docs/format/entities.md).

The models live in their own :data:`metadata`, so a host application can put
them in its database beside its own tables (:func:`bakery_io.create_schema`).
Every rule of docs/format/entities.md that one row can break is enforced by the database
itself: NOT NULL, unique and composite unique keys, CHECK constraints for
enums, ranges, the slug rule and "all or none", and foreign keys. Rules that
span rows (a leaf ingredient in a recipe, no cycles) are the loader's job.

Decimals are exact (:class:`~bakery_io.binding.sqltypes.ExactDecimal`), datetimes are
UTC (:class:`~bakery_io.binding.sqltypes.UTCDateTime`), text compares case-sensitively
on every backend (binary collation on MySQL/MariaDB).
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.orm.properties import MappedColumn

from bakery_io.binding.dialects import not_on_mysql, not_on_mysql_itself, on_mysql
from bakery_io.binding.sqltypes import ExactDecimal, StoredBoolean, UTCDateTime
from bakery_io.format.enums import (
    AssemblyType,
    BaseUnitType,
    DepletionReason,
    FulfillmentStatus,
    LossCategory,
    OutputMode,
    PlanState,
    ProductionStatus,
    SupplierType,
    YieldMode,
    YieldType,
)
from bakery_io.format.slugs import SLUG_PATTERN

#: Deterministic constraint names, so errors and migrations can name them.
NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

# MySQL/MariaDB default to case-insensitive collations; keys must not fold case.
_TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mariadb_engine": "InnoDB",
    "mariadb_charset": "utf8mb4",
    "mariadb_collate": "utf8mb4_bin",
}


class Base(DeclarativeBase):
    """Declarative base of every bakery_io model; its metadata is bakery_io's own."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_uuid() -> str:
    return str(uuid_module.uuid4())


# ---------------------------------------------------------------------------
# Helpers that spell each kind of rule once.


def _table_args(*items: Any) -> tuple[Any, ...]:
    return (*items, _TABLE_OPTIONS)


@dataclass(frozen=True)
class ColumnRange:
    """The values one numeric column allows.

    Kept in the ``info`` of the CHECK constraint it generates, so the
    marshmallow schemas and the JSON Schemas read the same rule the database
    enforces (see :mod:`bakery_io.format.schemas.base`).
    """

    column: str
    minimum: int | None = None
    maximum: int | None = None
    exclusive_minimum: bool = False

    def sql(self) -> str:
        parts = []
        if self.minimum is not None:
            parts.append(f"{self.column} {'>' if self.exclusive_minimum else '>='} {self.minimum}")
        if self.maximum is not None:
            parts.append(f"{self.column} <= {self.maximum}")
        return " AND ".join(parts)


def _range(rule: ColumnRange, name: str) -> CheckConstraint:
    return CheckConstraint(rule.sql(), name=name, info={"range": rule})


def _positive(column: str) -> CheckConstraint:
    return _range(ColumnRange(column, minimum=0, exclusive_minimum=True), f"{column}_pos")


def _non_negative(column: str) -> CheckConstraint:
    return _range(ColumnRange(column, minimum=0), f"{column}_nonneg")


def _pattern(column: str, name: str, glob: str, regex: str) -> list[CheckConstraint]:
    """A regular-expression CHECK; SQLite has no REGEXP, so it gets a GLOB spelling.

    ``info["pattern"]`` keeps the regular expression for the schemas.
    """
    info = {"pattern": (column, regex)}
    return [
        CheckConstraint(glob, name=name, info=info).ddl_if(dialect="sqlite"),
        CheckConstraint(f"{column} ~ '{regex}'", name=name, info=info).ddl_if(dialect="postgresql"),
        CheckConstraint(f"{column} REGEXP '{regex}'", name=name, info=info).ddl_if(
            callable_=on_mysql
        ),
    ]


def _key_string(length: int) -> String:
    """Text of a natural key: compared and sorted by code point on every backend.

    MySQL/MariaDB tables are ``utf8mb4_bin`` already; PostgreSQL gets the "C"
    collation, so exports sort keys the same everywhere and an index serves
    that order.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _not_own(column: str, name: str) -> CheckConstraint:
    """``column`` may not point at its own row.

    MySQL/MariaDB refuse CHECKs on an AUTO_INCREMENT column; there the loader's
    cycle check is the only guard.
    """
    return CheckConstraint(f"{column} <> id", name=name).ddl_if(callable_=not_on_mysql)


def _slug_rule(column: str = "slug") -> list[CheckConstraint]:
    # ASCII letters/digits in runs joined by single '-' or '_', as SLUG_PATTERN says.
    glob = (
        f"{column} <> '' AND {column} NOT GLOB '*[^a-z0-9_-]*' AND {column} NOT GLOB '[_-]*'"
        f" AND {column} NOT GLOB '*[_-]' AND {column} NOT GLOB '*[_-][_-]*'"
    )
    return _pattern(column, f"{column}_rule", glob, SLUG_PATTERN)


def _enum(enum_class: type[StrEnum]) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint listing the values."""
    name = "".join(f"_{c.lower()}" if c.isupper() else c for c in enum_class.__name__)[1:]
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def _flag(name: str, default: bool) -> MappedColumn[bool]:
    return mapped_column(StoredBoolean(create_constraint=True, name=name), default=default)


def _reference(target: str, on_delete: str, *, nullable: bool = False) -> MappedColumn[Any]:
    return mapped_column(
        ForeignKey(f"{target}.id", ondelete=on_delete), nullable=nullable, index=True
    )


def _children(target: str, order_by: str = "id") -> Any:
    return relationship(
        target,
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=f"[{target}.{order_by}, {target}.id]" if order_by != "id" else f"{target}.id",
    )


# ---------------------------------------------------------------------------
# Shared columns.


class _Row(Base):
    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-10)


class _HasUuid(_Row):
    __abstract__ = True

    uuid: Mapped[str] = mapped_column(
        _key_string(36), unique=True, default=_new_uuid, sort_order=-9
    )


class Entity(_HasUuid):
    """A top-level entity type: surrogate ``id``, ``uuid`` and UTC timestamps."""

    __abstract__ = True

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_utc_now, sort_order=90)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=_utc_now, onupdate=_utc_now, sort_order=91
    )


# ---------------------------------------------------------------------------
# Suppliers, ingredients, products, recipes.


class Supplier(Entity):
    __tablename__ = "suppliers"
    __table_args__ = _table_args(
        *_slug_rule(),
        CheckConstraint("supplier_type <> 'physical' OR city IS NOT NULL", name="physical_city"),
        *_pattern("state", "state_code", "state GLOB '[A-Z][A-Z]'", "^[A-Z]{2}$"),
    )

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    supplier_type: Mapped[SupplierType] = mapped_column(
        _enum(SupplierType), default=SupplierType.PHYSICAL
    )
    website_url: Mapped[str | None] = mapped_column(String(500))
    street_address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = _flag("is_active", True)


class Ingredient(Entity):
    """A node of the three-level ingredient tree; only leaves (level 2) are used."""

    __tablename__ = "ingredients"
    __table_args__ = _table_args(
        *_slug_rule(),
        _range(ColumnRange("hierarchy_level", minimum=0, maximum=2), "hierarchy_level"),
        CheckConstraint(
            "(hierarchy_level = 0 AND parent_id IS NULL)"
            " OR (hierarchy_level > 0 AND parent_id IS NOT NULL)",
            name="root_has_no_parent",
        ),
        _not_own("parent_id", "not_own_parent"),
        CheckConstraint(
            "(density_volume_value IS NULL AND density_volume_unit IS NULL"
            " AND density_weight_value IS NULL AND density_weight_unit IS NULL)"
            " OR (density_volume_value IS NOT NULL AND density_volume_unit IS NOT NULL"
            " AND density_weight_value IS NOT NULL AND density_weight_unit IS NOT NULL)",
            name="density_all_or_none",
        ),
        _positive("density_volume_value"),
        _positive("density_weight_value"),
    )

    slug: Mapped[str] = mapped_column(_key_string(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = _reference("ingredients", "NO ACTION", nullable=True)
    hierarchy_level: Mapped[int] = mapped_column(default=2)
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    density_volume_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_volume_unit: Mapped[str | None] = mapped_column(String(20))
    density_weight_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_weight_unit: Mapped[str | None] = mapped_column(String(20))

    parent: Mapped[Ingredient | None] = relationship(
        remote_side="Ingredient.id", back_populates="children"
    )
    children: Mapped[list[Ingredient]] = relationship(
        back_populates="parent", order_by="Ingredient.slug"
    )


class Product(Entity):
    """A purchasable package of a leaf ingredient."""

    __tablename__ = "products"
    __table_args__ = _table_args(*_slug_rule(), _positive("package_unit_quantity"))

    slug: Mapped[str] = mapped_column(_key_string(200), unique=True)
    ingredient_id: Mapped[int] = _reference("ingredients", "NO ACTION")
    brand: Mapped[str | None] = mapped_column(String(200))
    product_name: Mapped[str | None] = mapped_column(String(200))
    package_size: Mapped[str | None] = mapped_column(String(100))
    package_type: Mapped[str | None] = mapped_column(String(50))
    package_unit: Mapped[str] = mapped_column(String(50))
    package_unit_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    gtin: Mapped[str | None] = mapped_column(String(20), unique=True)
    supplier_sku: Mapped[str | None] = mapped_column(String(100))
    preferred: Mapped[bool] = _flag("preferred", False)
    preferred_supplier_id: Mapped[int | None] = _reference("suppliers", "SET NULL", nullable=True)
    is_hidden: Mapped[bool] = _flag("is_hidden", False)
    notes: Mapped[str | None] = mapped_column(Text)

    ingredient: Mapped[Ingredient] = relationship()
    preferred_supplier: Mapped[Supplier | None] = relationship()


class Recipe(Entity):
    __tablename__ = "recipes"
    __table_args__ = _table_args(
        *_slug_rule(),
        _non_negative("estimated_time_minutes"),
        _not_own("base_recipe_id", "not_own_base"),
    )

    slug: Mapped[str] = mapped_column(_key_string(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(500))
    estimated_time_minutes: Mapped[int | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    is_archived: Mapped[bool] = _flag("is_archived", False)
    base_recipe_id: Mapped[int | None] = _reference("recipes", "SET NULL", nullable=True)
    variant_name: Mapped[str | None] = mapped_column(String(100))
    is_production_ready: Mapped[bool] = _flag("is_production_ready", False)

    base_recipe: Mapped[Recipe | None] = relationship(remote_side="Recipe.id")
    ingredients: Mapped[list[RecipeIngredient]] = _children("RecipeIngredient", "sort_order")
    components: Mapped[list[RecipeComponent]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="RecipeComponent.recipe_id",
        order_by="[RecipeComponent.sort_order, RecipeComponent.id]",
    )
    finished_units: Mapped[list[FinishedUnit]] = relationship(
        back_populates="recipe", passive_deletes=True, order_by="FinishedUnit.slug"
    )


class RecipeIngredient(_Row):
    __tablename__ = "recipe_ingredients"
    __table_args__ = _table_args(_positive("quantity"), _non_negative("sort_order"))

    recipe_id: Mapped[int] = _reference("recipes", "CASCADE")
    ingredient_id: Mapped[int] = _reference("ingredients", "NO ACTION")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    unit: Mapped[str] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(default=0)

    ingredient: Mapped[Ingredient] = relationship()


class RecipeComponent(_Row):
    """A sub-recipe used by a recipe."""

    __tablename__ = "recipe_components"
    __table_args__ = _table_args(
        UniqueConstraint("recipe_id", "component_recipe_id"),
        CheckConstraint("component_recipe_id <> recipe_id", name="not_own_component").ddl_if(
            callable_=not_on_mysql_itself
        ),
        _positive("quantity"),
        _non_negative("sort_order"),
    )

    recipe_id: Mapped[int] = _reference("recipes", "CASCADE")
    component_recipe_id: Mapped[int] = _reference("recipes", "NO ACTION")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4), default=Decimal(1))
    notes: Mapped[str | None] = mapped_column(String(500))
    sort_order: Mapped[int] = mapped_column(default=0)

    component_recipe: Mapped[Recipe] = relationship(foreign_keys=[component_recipe_id])


class FinishedUnit(Entity):
    """A yield definition of a recipe."""

    __tablename__ = "finished_units"
    __table_args__ = _table_args(
        *_slug_rule(),
        # Lets a production run prove that its finished unit belongs to its recipe.
        UniqueConstraint("id", "recipe_id"),
        CheckConstraint(
            "yield_mode <> 'discrete_count'"
            " OR (items_per_batch IS NOT NULL AND item_unit IS NOT NULL)",
            name="discrete_count_fields",
        ),
        CheckConstraint(
            "yield_mode <> 'batch_portion' OR batch_percentage IS NOT NULL",
            name="batch_portion_fields",
        ),
        _positive("items_per_batch"),
        _range(
            ColumnRange("batch_percentage", minimum=0, maximum=100, exclusive_minimum=True),
            "percentage",
        ),
        _non_negative("inventory_count"),
    )

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    recipe_id: Mapped[int] = _reference("recipes", "CASCADE")
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    yield_mode: Mapped[YieldMode] = mapped_column(
        _enum(YieldMode), default=YieldMode.DISCRETE_COUNT
    )
    yield_type: Mapped[YieldType] = mapped_column(_enum(YieldType), default=YieldType.SERVING)
    items_per_batch: Mapped[int | None] = mapped_column()
    item_unit: Mapped[str | None] = mapped_column(String(50))
    batch_percentage: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 2))
    portion_description: Mapped[str | None] = mapped_column(String(200))
    inventory_count: Mapped[int] = mapped_column(default=0)
    category: Mapped[str | None] = mapped_column(String(100))
    production_notes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    recipe: Mapped[Recipe] = relationship(back_populates="finished_units")


class Purchase(Entity):
    """An immutable purchase of a product."""

    __tablename__ = "purchases"
    __table_args__ = _table_args(_non_negative("unit_price"), _positive("quantity_purchased"))

    product_id: Mapped[int] = _reference("products", "NO ACTION")
    supplier_id: Mapped[int] = _reference("suppliers", "NO ACTION")
    purchase_date: Mapped[date] = mapped_column(Date)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    quantity_purchased: Mapped[int] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship()
    supplier: Mapped[Supplier] = relationship()


class InventoryItem(Entity):
    """A FIFO inventory lot of a product."""

    __tablename__ = "inventory_items"
    __table_args__ = _table_args(_non_negative("quantity"), _non_negative("unit_cost"))

    product_id: Mapped[int] = _reference("products", "NO ACTION")
    purchase_id: Mapped[int | None] = _reference("purchases", "SET NULL", nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    unit_cost: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    expiration_date: Mapped[date | None] = mapped_column(Date)
    opened_date: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(100))
    lot_or_batch: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship()
    purchase: Mapped[Purchase | None] = relationship()


# ---------------------------------------------------------------------------
# Materials (packaging and decoration).


class MaterialCategory(Entity):
    __tablename__ = "material_categories"
    __table_args__ = _table_args(*_slug_rule(), _non_negative("sort_order"))

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)


class MaterialSubcategory(Entity):
    __tablename__ = "material_subcategories"
    __table_args__ = _table_args(
        *_slug_rule(), UniqueConstraint("category_id", "name"), _non_negative("sort_order")
    )

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    category_id: Mapped[int] = _reference("material_categories", "NO ACTION")
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)

    category: Mapped[MaterialCategory] = relationship()


class Material(Entity):
    __tablename__ = "materials"
    __table_args__ = _table_args(*_slug_rule())

    slug: Mapped[str] = mapped_column(_key_string(200), unique=True)
    subcategory_id: Mapped[int] = _reference("material_subcategories", "NO ACTION")
    name: Mapped[str] = mapped_column(String(200))
    base_unit_type: Mapped[BaseUnitType] = mapped_column(_enum(BaseUnitType))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    subcategory: Mapped[MaterialSubcategory] = relationship()


class MaterialProduct(Entity):
    __tablename__ = "material_products"
    __table_args__ = _table_args(
        *_slug_rule(), _positive("package_quantity"), _positive("quantity_in_base_units")
    )

    slug: Mapped[str] = mapped_column(_key_string(200), unique=True)
    material_id: Mapped[int] = _reference("materials", "NO ACTION")
    supplier_id: Mapped[int | None] = _reference("suppliers", "SET NULL", nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100))
    package_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    package_unit: Mapped[str] = mapped_column(String(20))
    quantity_in_base_units: Mapped[Decimal] = mapped_column(ExactDecimal(14, 4))
    is_hidden: Mapped[bool] = _flag("is_hidden", False)
    notes: Mapped[str | None] = mapped_column(Text)

    material: Mapped[Material] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    units: Mapped[list[MaterialUnit]] = relationship(
        back_populates="material_product", passive_deletes=True, order_by="MaterialUnit.slug"
    )


class MaterialUnit(Entity):
    """How much of a material product one use takes; keyed within its product."""

    __tablename__ = "material_units"
    __table_args__ = _table_args(
        *_slug_rule(),
        UniqueConstraint("material_product_id", "slug"),
        UniqueConstraint("material_product_id", "name"),
        _positive("quantity_per_unit"),
    )

    material_product_id: Mapped[int] = _reference("material_products", "CASCADE")
    slug: Mapped[str] = mapped_column(_key_string(200))
    name: Mapped[str] = mapped_column(String(200))
    quantity_per_unit: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    description: Mapped[str | None] = mapped_column(Text)

    material_product: Mapped[MaterialProduct] = relationship(back_populates="units")


class MaterialPurchase(Entity):
    """An immutable purchase of a material product."""

    __tablename__ = "material_purchases"
    __table_args__ = _table_args(
        _positive("packages_purchased"),
        _non_negative("package_price"),
        _positive("units_added"),
        _non_negative("unit_cost"),
    )

    material_product_id: Mapped[int] = _reference("material_products", "NO ACTION")
    supplier_id: Mapped[int] = _reference("suppliers", "NO ACTION")
    purchase_date: Mapped[date] = mapped_column(Date)
    packages_purchased: Mapped[int] = mapped_column()
    package_price: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    units_added: Mapped[Decimal] = mapped_column(ExactDecimal(14, 4))
    unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    notes: Mapped[str | None] = mapped_column(Text)

    material_product: Mapped[MaterialProduct] = relationship()
    supplier: Mapped[Supplier] = relationship()


# ---------------------------------------------------------------------------
# Finished goods, recipients, packages, events.


class FinishedGood(Entity):
    __tablename__ = "finished_goods"
    __table_args__ = _table_args(*_slug_rule(), _non_negative("inventory_count"))

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    assembly_type: Mapped[AssemblyType] = mapped_column(
        _enum(AssemblyType), default=AssemblyType.BUNDLE
    )
    packaging_instructions: Mapped[str | None] = mapped_column(Text)
    inventory_count: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)

    components: Mapped[list[FinishedGoodComponent]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="FinishedGoodComponent.finished_good_id",
        order_by="[FinishedGoodComponent.sort_order, FinishedGoodComponent.id]",
    )


class FinishedGoodComponent(_Row):
    """One part of a finished good: a finished unit, another good, or a material unit."""

    __tablename__ = "finished_good_components"
    __table_args__ = _table_args(
        CheckConstraint(
            "(CASE WHEN finished_unit_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN component_good_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN material_unit_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_part",
        ),
        CheckConstraint("component_good_id <> finished_good_id", name="not_own_component").ddl_if(
            callable_=not_on_mysql_itself
        ),
        _positive("quantity"),
        _non_negative("sort_order"),
    )

    finished_good_id: Mapped[int] = _reference("finished_goods", "CASCADE")
    finished_unit_id: Mapped[int | None] = _reference("finished_units", "NO ACTION", nullable=True)
    component_good_id: Mapped[int | None] = _reference("finished_goods", "NO ACTION", nullable=True)
    material_unit_id: Mapped[int | None] = _reference("material_units", "NO ACTION", nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4), default=Decimal(1))
    notes: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)

    finished_unit: Mapped[FinishedUnit | None] = relationship()
    component_good: Mapped[FinishedGood | None] = relationship(foreign_keys=[component_good_id])
    material_unit: Mapped[MaterialUnit | None] = relationship()


class Recipient(Entity):
    __tablename__ = "recipients"
    __table_args__ = _table_args(*_slug_rule())

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    household_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class Package(Entity):
    __tablename__ = "packages"
    __table_args__ = _table_args(*_slug_rule())

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    is_template: Mapped[bool] = _flag("is_template", False)
    notes: Mapped[str | None] = mapped_column(Text)

    contents: Mapped[list[PackageContent]] = _children("PackageContent")


class PackageContent(_Row):
    __tablename__ = "package_contents"
    __table_args__ = _table_args(
        UniqueConstraint("package_id", "finished_good_id"), _positive("quantity")
    )

    package_id: Mapped[int] = _reference("packages", "CASCADE")
    finished_good_id: Mapped[int] = _reference("finished_goods", "NO ACTION")
    quantity: Mapped[int] = mapped_column(default=1)

    finished_good: Mapped[FinishedGood] = relationship()


class Event(Entity):
    __tablename__ = "events"
    __table_args__ = _table_args(*_slug_rule(), _positive("expected_attendees"))

    slug: Mapped[str] = mapped_column(_key_string(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    event_date: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column()
    output_mode: Mapped[OutputMode | None] = mapped_column(_enum(OutputMode))
    expected_attendees: Mapped[int | None] = mapped_column()
    plan_state: Mapped[PlanState] = mapped_column(_enum(PlanState), default=PlanState.DRAFT)
    notes: Mapped[str | None] = mapped_column(Text)

    production_targets: Mapped[list[EventProductionTarget]] = _children("EventProductionTarget")
    assembly_targets: Mapped[list[EventAssemblyTarget]] = _children("EventAssemblyTarget")


class EventProductionTarget(_Row):
    __tablename__ = "event_production_targets"
    __table_args__ = _table_args(
        UniqueConstraint("event_id", "recipe_id"), _positive("target_batches")
    )

    event_id: Mapped[int] = _reference("events", "CASCADE")
    recipe_id: Mapped[int] = _reference("recipes", "NO ACTION")
    target_batches: Mapped[int] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)

    recipe: Mapped[Recipe] = relationship()


class EventAssemblyTarget(_Row):
    __tablename__ = "event_assembly_targets"
    __table_args__ = _table_args(
        UniqueConstraint("event_id", "finished_good_id"), _positive("target_quantity")
    )

    event_id: Mapped[int] = _reference("events", "CASCADE")
    finished_good_id: Mapped[int] = _reference("finished_goods", "NO ACTION")
    target_quantity: Mapped[int] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)

    finished_good: Mapped[FinishedGood] = relationship()


class EventRecipientPackage(Entity):
    """A package planned for a recipient at an event."""

    __tablename__ = "event_recipient_packages"
    __table_args__ = _table_args(_positive("quantity"))

    event_id: Mapped[int] = _reference("events", "CASCADE")
    recipient_id: Mapped[int] = _reference("recipients", "NO ACTION")
    package_id: Mapped[int] = _reference("packages", "NO ACTION")
    quantity: Mapped[int] = mapped_column(default=1)
    fulfillment_status: Mapped[FulfillmentStatus] = mapped_column(
        _enum(FulfillmentStatus), default=FulfillmentStatus.PENDING
    )
    delivered_to: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship()
    recipient: Mapped[Recipient] = relationship()
    package: Mapped[Package] = relationship()


# ---------------------------------------------------------------------------
# Production and assembly history.


class ProductionRun(Entity):
    __tablename__ = "production_runs"
    __table_args__ = _table_args(
        # The finished unit must be a yield of the run's recipe.
        ForeignKeyConstraint(
            ["finished_unit_id", "recipe_id"],
            ["finished_units.id", "finished_units.recipe_id"],
            ondelete="NO ACTION",
            name="fk_production_runs_finished_unit_of_recipe",
        ),
        _positive("num_batches"),
        _non_negative("expected_yield"),
        _non_negative("actual_yield"),
        _non_negative("loss_quantity"),
        _non_negative("total_ingredient_cost"),
        _non_negative("per_unit_cost"),
    )

    recipe_id: Mapped[int] = _reference("recipes", "NO ACTION")
    finished_unit_id: Mapped[int] = mapped_column(index=True)
    event_id: Mapped[int | None] = _reference("events", "SET NULL", nullable=True)
    num_batches: Mapped[int] = mapped_column()
    expected_yield: Mapped[int] = mapped_column()
    actual_yield: Mapped[int] = mapped_column()
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    production_status: Mapped[ProductionStatus] = mapped_column(
        _enum(ProductionStatus), default=ProductionStatus.COMPLETE
    )
    loss_quantity: Mapped[int] = mapped_column(default=0)
    total_ingredient_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    per_unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))

    recipe: Mapped[Recipe] = relationship()
    finished_unit: Mapped[FinishedUnit] = relationship(
        primaryjoin="FinishedUnit.id == ProductionRun.finished_unit_id",
        foreign_keys=[finished_unit_id],
    )
    event: Mapped[Event | None] = relationship()
    consumptions: Mapped[list[ProductionConsumption]] = _children("ProductionConsumption")
    losses: Mapped[list[ProductionLoss]] = _children("ProductionLoss")


class ProductionConsumption(_HasUuid):
    """An ingredient used by a run; the ingredient slug is recorded text, not a reference."""

    __tablename__ = "production_consumptions"
    __table_args__ = _table_args(_positive("quantity_consumed"), _non_negative("total_cost"))

    production_run_id: Mapped[int] = _reference("production_runs", "CASCADE")
    ingredient_slug: Mapped[str] = mapped_column(String(200))
    quantity_consumed: Mapped[Decimal] = mapped_column(ExactDecimal(10, 3))
    unit: Mapped[str] = mapped_column(String(50))
    total_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))


class ProductionLoss(_HasUuid):
    __tablename__ = "production_losses"
    __table_args__ = _table_args(
        _positive("loss_quantity"), _non_negative("per_unit_cost"), _non_negative("total_loss_cost")
    )

    production_run_id: Mapped[int] = _reference("production_runs", "CASCADE")
    loss_category: Mapped[LossCategory] = mapped_column(
        _enum(LossCategory), default=LossCategory.OTHER
    )
    loss_quantity: Mapped[int] = mapped_column()
    per_unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    total_loss_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    notes: Mapped[str | None] = mapped_column(Text)


class AssemblyRun(Entity):
    __tablename__ = "assembly_runs"
    __table_args__ = _table_args(
        _positive("quantity_assembled"),
        _non_negative("total_component_cost"),
        _non_negative("per_unit_cost"),
    )

    finished_good_id: Mapped[int] = _reference("finished_goods", "NO ACTION")
    event_id: Mapped[int | None] = _reference("events", "SET NULL", nullable=True)
    quantity_assembled: Mapped[int] = mapped_column()
    assembled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    total_component_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    per_unit_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    packaging_bypassed: Mapped[bool] = _flag("packaging_bypassed", False)
    packaging_bypass_notes: Mapped[str | None] = mapped_column(Text)

    finished_good: Mapped[FinishedGood] = relationship()
    event: Mapped[Event | None] = relationship()
    finished_unit_consumptions: Mapped[list[AssemblyFinishedUnitConsumption]] = _children(
        "AssemblyFinishedUnitConsumption"
    )
    packaging_consumptions: Mapped[list[AssemblyPackagingConsumption]] = _children(
        "AssemblyPackagingConsumption"
    )


class AssemblyFinishedUnitConsumption(_HasUuid):
    __tablename__ = "assembly_finished_unit_consumptions"
    __table_args__ = _table_args(
        _positive("quantity_consumed"),
        _non_negative("unit_cost_at_consumption"),
        _non_negative("total_cost"),
    )

    assembly_run_id: Mapped[int] = _reference("assembly_runs", "CASCADE")
    finished_unit_id: Mapped[int] = _reference("finished_units", "NO ACTION")
    quantity_consumed: Mapped[int] = mapped_column()
    unit_cost_at_consumption: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    total_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))

    finished_unit: Mapped[FinishedUnit] = relationship()


class AssemblyPackagingConsumption(_HasUuid):
    __tablename__ = "assembly_packaging_consumptions"
    __table_args__ = _table_args(_positive("quantity_consumed"), _non_negative("total_cost"))

    assembly_run_id: Mapped[int] = _reference("assembly_runs", "CASCADE")
    product_id: Mapped[int] = _reference("products", "NO ACTION")
    quantity_consumed: Mapped[Decimal] = mapped_column(ExactDecimal(10, 3))
    unit: Mapped[str] = mapped_column(String(50))
    total_cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))

    product: Mapped[Product] = relationship()


class InventoryDepletion(Entity):
    """An immutable record of inventory taken out of a lot."""

    __tablename__ = "inventory_depletions"
    __table_args__ = _table_args(
        _positive("quantity_depleted"),
        _non_negative("cost"),
        CheckConstraint("depletion_reason <> 'other' OR notes IS NOT NULL", name="other_has_notes"),
    )

    inventory_item_id: Mapped[int] = _reference("inventory_items", "NO ACTION")
    quantity_depleted: Mapped[Decimal] = mapped_column(ExactDecimal(10, 3))
    depletion_reason: Mapped[DepletionReason] = mapped_column(_enum(DepletionReason))
    depletion_date: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Decimal] = mapped_column(ExactDecimal(10, 4))
    created_by: Mapped[str | None] = mapped_column(String(100))

    inventory_item: Mapped[InventoryItem] = relationship()


# ---------------------------------------------------------------------------
# SQLite ignores VARCHAR lengths; give it the CHECKs that other backends have built in.


def _sqlite_length_checks(metadata: MetaData) -> None:
    for table in metadata.tables.values():
        for column in table.columns:
            # Enum is a String too, but its CHECK already lists every allowed value.
            kind = column.type
            if isinstance(kind, String) and not isinstance(kind, Enum) and kind.length:
                table.append_constraint(
                    CheckConstraint(
                        f"length({column.name}) <= {kind.length}",
                        name=f"{column.name}_len",
                    ).ddl_if(dialect="sqlite")
                )


_sqlite_length_checks(Base.metadata)

#: bakery_io's own MetaData: every table of the domain, and nothing else.
metadata: MetaData = Base.metadata
