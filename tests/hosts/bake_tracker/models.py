"""bake-tracker's own SQLAlchemy models, trimmed to the tables that can hold format 1.1.

Copied from kentonium3/bake-tracker (MIT License, Copyright (c) 2025 Kent Gale) at
commit 5ba2de31cdde4f3834c22de8288b19754d3f94fa, ``src/models/``: ``base.py``,
``supplier.py``, ``ingredient.py``, ``product.py``, ``material_category.py``,
``material_subcategory.py``, ``material.py``, ``material_product.py``,
``material_unit.py``. The app's own declarative base (``declarative_base()``),
its table, column and constraint names, column types, nullability, defaults,
CHECKs, unique keys and indexes are kept as they are, including the columns
the format does not know. Every field of the eight entity types these tables
hold has a column of its own here; four of them are bound today
(:mod:`tests.hosts.bake_tracker.binding` says why the other four are not).

Trimmed: every other model of the app (recipes, events, purchases, snapshots …;
the binding says why those do not fit), the relationships to them, the models'
methods (``to_dict``, display helpers, validators) and the supplier's
before-insert slug generator. ``utc_now`` is the app's
``src.utils.datetime_utils.utc_now``.
"""

from __future__ import annotations

import uuid as uuid_lib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import backref, declarative_base, relationship

#: The app's declarative base (``src/models/base.py``): its own MetaData.
Base: Any = declarative_base()


def utc_now() -> datetime:
    """The current time in UTC, time-zone aware (the app's ``utc_now``)."""
    return datetime.now(UTC)


class BaseModel(Base):  # type: ignore[misc]  # the app's base is untyped declarative_base()
    """The app's abstract base: ``id``, ``uuid`` and UTC timestamps on every table."""

    __abstract__ = True

    id = Column(Integer, primary_key=True, autoincrement=True)
    uuid = Column(
        String(36), unique=True, nullable=False, default=lambda: str(uuid_lib.uuid4()), index=True
    )
    created_at = Column(DateTime, nullable=False, default=utc_now)
    updated_at = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)


class Supplier(BaseModel):
    """A store or online vendor (``src/models/supplier.py``)."""

    __tablename__ = "suppliers"

    name = Column(String(200), nullable=False)
    slug = Column(String(100), nullable=False, unique=True, index=True)
    supplier_type = Column(String(20), nullable=False, default="physical")
    website_url = Column(String(500), nullable=True)
    street_address = Column(String(200), nullable=True)
    city = Column(String(100), nullable=True)
    state = Column(String(2), nullable=True)
    zip_code = Column(String(10), nullable=True)
    notes = Column(Text, nullable=True)
    is_active = Column(Boolean, nullable=False, default=True)

    __table_args__ = (
        CheckConstraint(
            "state IS NULL OR (state = UPPER(state) AND LENGTH(state) = 2)",
            name="ck_supplier_state_format",
        ),
        CheckConstraint("supplier_type IN ('physical', 'online')", name="ck_supplier_type_valid"),
        Index("idx_supplier_slug", "slug", unique=True),
        Index("idx_supplier_name_city", "name", "city"),
        Index("idx_supplier_active", "is_active"),
        Index("idx_supplier_type", "supplier_type"),
    )


class Ingredient(BaseModel):
    """A node of the three-level ingredient tree (``src/models/ingredient.py``)."""

    __tablename__ = "ingredients"

    display_name = Column(String(200), nullable=False, unique=True, index=True)
    slug = Column(String(200), nullable=True, unique=True, index=True)
    parent_ingredient_id = Column(Integer, ForeignKey("ingredients.id"), nullable=True, index=True)
    hierarchy_level = Column(Integer, nullable=False, default=2)
    category = Column(String(100), nullable=False, index=True)
    description = Column(Text, nullable=True)
    notes = Column(Text, nullable=True)
    foodon_id = Column(String(50), nullable=True, index=True)
    foodex2_code = Column(String(50), nullable=True)
    langual_terms = Column(JSON, nullable=True)
    fdc_ids = Column(JSON, nullable=True)
    density_volume_value = Column(Float, nullable=True)
    density_volume_unit = Column(String(20), nullable=True)
    density_weight_value = Column(Float, nullable=True)
    density_weight_unit = Column(String(20), nullable=True)
    moisture_pct = Column(Float, nullable=True)
    allergens = Column(JSON, nullable=True)
    date_added = Column(DateTime, nullable=False, default=utc_now)
    last_modified = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)

    products = relationship(
        "Product", back_populates="ingredient", cascade="all, delete-orphan", lazy="select"
    )
    children = relationship(
        "Ingredient",
        backref=backref("parent", remote_side="Ingredient.id"),
        lazy="dynamic",
        foreign_keys=[parent_ingredient_id],
    )

    __table_args__ = (
        Index("idx_ingredient_display_name", "display_name"),
        Index("idx_ingredient_category", "category"),
        Index("idx_ingredient_parent", "parent_ingredient_id"),
        Index("idx_ingredient_hierarchy_level", "hierarchy_level"),
        CheckConstraint("hierarchy_level IN (0, 1, 2)", name="ck_ingredient_hierarchy_level"),
    )


class Product(BaseModel):
    """A purchasable package of an ingredient (``src/models/product.py``)."""

    __tablename__ = "products"

    ingredient_id = Column(
        Integer, ForeignKey("ingredients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    brand = Column(String(200), nullable=True, index=True)
    product_name = Column(String(200), nullable=True)
    package_size = Column(String(100), nullable=True)
    package_type = Column(String(50), nullable=True)
    package_unit = Column(String(50), nullable=False)
    package_unit_quantity = Column(Float, nullable=False)
    upc_code = Column(String(20), nullable=True, index=True)
    slug = Column(
        String(200),
        nullable=True,
        unique=True,
        index=True,
        comment="Unique human-readable identifier for export/import portability",
    )
    supplier = Column(String(200), nullable=True)
    supplier_sku = Column(String(100), nullable=True)
    gtin = Column(String(20), nullable=True, unique=True, index=True)
    brand_owner = Column(String(200), nullable=True)
    gpc_brick_code = Column(String(20), nullable=True)
    net_content_value = Column(Float, nullable=True)
    net_content_uom = Column(String(20), nullable=True)
    country_of_sale = Column(String(3), nullable=True)
    off_id = Column(String(50), nullable=True)
    preferred = Column(Boolean, nullable=False, default=False)
    preferred_supplier_id = Column(
        Integer, ForeignKey("suppliers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    is_hidden = Column(Boolean, nullable=False, default=False, index=True)
    is_provisional = Column(
        Boolean,
        default=False,
        nullable=False,
        index=True,
        comment="True if product was created during purchase entry and needs review",
    )
    notes = Column(Text, nullable=True)
    date_added = Column(DateTime, nullable=False, default=utc_now)
    last_modified = Column(DateTime, nullable=False, default=utc_now, onupdate=utc_now)

    ingredient = relationship("Ingredient", back_populates="products")
    preferred_supplier = relationship("Supplier", foreign_keys=[preferred_supplier_id])

    __table_args__ = (
        Index("idx_product_ingredient", "ingredient_id"),
        Index("idx_product_brand", "brand"),
        Index("idx_product_upc", "upc_code"),
        Index("idx_product_preferred_supplier", "preferred_supplier_id"),
        Index("idx_product_hidden", "is_hidden"),
        Index("idx_product_provisional", "is_provisional"),
        UniqueConstraint(
            "ingredient_id",
            "brand",
            "product_name",
            "package_size",
            "package_unit",
            name="uq_product_variant",
        ),
    )


class MaterialCategory(BaseModel):
    """The top level of the material tree (``src/models/material_category.py``)."""

    __tablename__ = "material_categories"

    name = Column(String(100), nullable=False, unique=True)
    slug = Column(String(100), nullable=False, unique=True, index=True)
    description = Column(Text, nullable=True)
    sort_order = Column(Integer, nullable=False, default=0)

    subcategories = relationship(
        "MaterialSubcategory",
        back_populates="category",
        cascade="all, delete-orphan",
        lazy="select",
    )

    __table_args__ = (
        Index("idx_material_category_name", "name"),
        Index("idx_material_category_slug", "slug"),
    )


class MaterialSubcategory(BaseModel):
    """The middle level of the material tree (``src/models/material_subcategory.py``)."""

    __tablename__ = "material_subcategories"

    category_id = Column(
        Integer,
        ForeignKey("material_categories.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name = Column(String(100), nullable=False)
    slug = Column(String(100), nullable=False, unique=True, index=True)
    description = Column(Text, nullable=True)
    sort_order = Column(Integer, nullable=False, default=0)

    category = relationship("MaterialCategory", back_populates="subcategories")
    materials = relationship(
        "Material", back_populates="subcategory", cascade="all, delete-orphan", lazy="select"
    )

    __table_args__ = (
        Index("idx_material_subcategory_category", "category_id"),
        Index("idx_material_subcategory_slug", "slug"),
        UniqueConstraint("category_id", "name", name="uq_material_subcategory_name_category"),
    )


class Material(BaseModel):
    """An abstract material, e.g. red satin ribbon (``src/models/material.py``)."""

    __tablename__ = "materials"

    subcategory_id = Column(
        Integer,
        ForeignKey("material_subcategories.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name = Column(String(200), nullable=False)
    slug = Column(String(200), nullable=False, unique=True, index=True)
    description = Column(Text, nullable=True)
    base_unit_type = Column(String(20), nullable=False)
    notes = Column(Text, nullable=True)

    subcategory = relationship("MaterialSubcategory", back_populates="materials")
    products = relationship(
        "MaterialProduct", back_populates="material", cascade="all, delete-orphan", lazy="select"
    )

    __table_args__ = (
        Index("idx_material_subcategory", "subcategory_id"),
        Index("idx_material_slug", "slug"),
        Index("idx_material_name", "name"),
        CheckConstraint(
            "base_unit_type IN ('each', 'linear_cm', 'square_cm')",
            name="ck_material_base_unit_type",
        ),
    )


class MaterialProduct(BaseModel):
    """A purchasable package of a material (``src/models/material_product.py``)."""

    __tablename__ = "material_products"

    material_id = Column(
        Integer, ForeignKey("materials.id", ondelete="CASCADE"), nullable=False, index=True
    )
    supplier_id = Column(
        Integer, ForeignKey("suppliers.id", ondelete="SET NULL"), nullable=True, index=True
    )
    name = Column(String(200), nullable=False)
    slug = Column(String(200), nullable=True, unique=True, index=True)
    brand = Column(String(100), nullable=True)
    sku = Column(String(100), nullable=True)
    package_quantity = Column(Float, nullable=False)
    package_unit = Column(String(20), nullable=False)
    quantity_in_base_units = Column(Float, nullable=False)
    is_hidden = Column(Boolean, nullable=False, default=False, index=True)
    is_provisional = Column(Boolean, nullable=False, default=False, index=True)
    notes = Column(Text, nullable=True)

    material = relationship("Material", back_populates="products")
    supplier = relationship("Supplier", foreign_keys=[supplier_id])
    material_units = relationship(
        "MaterialUnit",
        back_populates="material_product",
        cascade="all, delete-orphan",
        lazy="select",
    )

    __table_args__ = (
        Index("idx_material_product_material", "material_id"),
        Index("idx_material_product_supplier", "supplier_id"),
        Index("idx_material_product_slug", "slug"),
        Index("idx_material_product_hidden", "is_hidden"),
        Index("idx_material_product_provisional", "is_provisional"),
        CheckConstraint("package_quantity > 0", name="ck_material_product_quantity_positive"),
        CheckConstraint(
            "quantity_in_base_units > 0", name="ck_material_product_base_units_positive"
        ),
    )


class MaterialUnit(BaseModel):
    """How much of a material product one use takes (``src/models/material_unit.py``)."""

    __tablename__ = "material_units"

    material_product_id = Column(
        Integer,
        ForeignKey("material_products.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name = Column(String(200), nullable=False)
    slug = Column(String(200), nullable=False, index=True)
    quantity_per_unit = Column(Float, nullable=False)
    description = Column(Text, nullable=True)

    material_product = relationship(
        "MaterialProduct", back_populates="material_units", lazy="joined"
    )

    __table_args__ = (
        Index("idx_material_unit_material_product", "material_product_id"),
        Index("idx_material_unit_slug", "slug"),
        UniqueConstraint("material_product_id", "slug", name="uq_material_unit_product_slug"),
        UniqueConstraint("material_product_id", "name", name="uq_material_unit_product_name"),
        CheckConstraint("quantity_per_unit > 0", name="ck_material_unit_quantity_positive"),
    )
