"""A host application of our own, "acme": its tables hold part of the domain.

It is written as an application embedding bakery_io would be, with the
documented API alone:

- its own declarative base and metadata, beside bakery_io's;
- suppliers, ingredients and products in tables of its own, with other table
  and column names and its own primary key names (``vendor_id``, ``item_id``,
  ``product_id``), and a column of its own (``account_manager``) that the format
  knows nothing of;
- an extra field on ingredients (``acme:allergen_notes``);
- an entity type of its own, ``acme:deliveries``, with a foreign key into a
  bakery_io table (``recipients``) and one into its own (``acme_vendors``);
- recipients kept in bakery_io's own table.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from marshmallow.validate import Length
from sqlalchemy import Boolean, Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bakery_io import REGISTRY, Extension
from bakery_io.binding.models import Recipient
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.format import fields
from bakery_io.format.schemas import EntitySchema, IngredientSchema, ProductSchema, SupplierSchema


class HostBase(DeclarativeBase):
    """The host's own declarative base."""

    metadata = MetaData()


class _Stamped:
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Vendor(_Stamped, HostBase):
    """The host's suppliers."""

    __tablename__ = "acme_vendors"

    vendor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    vendor_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    website_url: Mapped[str | None] = mapped_column(String(500))
    street_address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean)
    #: The host's own: not part of the format, never read or written by bakery_io.
    account_manager: Mapped[str | None] = mapped_column(String(100))


class PantryItem(_Stamped, HostBase):
    """The host's ingredients, with a column of its own the format gains as acme's."""

    __tablename__ = "acme_pantry_items"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_item_id: Mapped[int | None] = mapped_column(ForeignKey("acme_pantry_items.item_id"))
    hierarchy_level: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    density_volume_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_volume_unit: Mapped[str | None] = mapped_column(String(20))
    density_weight_value: Mapped[Decimal | None] = mapped_column(ExactDecimal(10, 4))
    density_weight_unit: Mapped[str | None] = mapped_column(String(20))
    allergen_notes: Mapped[str | None] = mapped_column(String(500))


class CatalogProduct(_Stamped, HostBase):
    """The host's products."""

    __tablename__ = "acme_products"

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("acme_pantry_items.item_id"))
    brand: Mapped[str | None] = mapped_column(String(200))
    product_name: Mapped[str | None] = mapped_column(String(200))
    package_size: Mapped[str | None] = mapped_column(String(100))
    package_type: Mapped[str | None] = mapped_column(String(50))
    package_unit: Mapped[str] = mapped_column(String(50))
    package_unit_quantity: Mapped[Decimal] = mapped_column(ExactDecimal(12, 4))
    gtin: Mapped[str | None] = mapped_column(String(20), unique=True)
    supplier_sku: Mapped[str | None] = mapped_column(String(100))
    preferred: Mapped[bool] = mapped_column(Boolean)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("acme_vendors.vendor_id"))
    is_hidden: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)


class Delivery(HostBase):
    """An entity type of the host's own: a delivery round to a recipient."""

    __tablename__ = "acme_deliveries"

    delivery_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey(Recipient.id))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("acme_vendors.vendor_id"))
    scheduled_on: Mapped[date] = mapped_column(Date)
    fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(8, 2))


# ---------------------------------------------------------------------------
# The binding: format types in the host's models, and the host's extension.


class VendorSchema(SupplierSchema):
    class Meta:
        model = Vendor
        attributes: ClassVar[dict[str, str]] = {"name": "vendor_name", "supplier_type": "kind"}


class PantryItemSchema(IngredientSchema):
    allergen_notes = fields.String(
        data_key="acme:allergen_notes",
        allow_none=True,
        load_default=None,
        validate=Length(max=500, error="at most {max} characters"),
    )

    class Meta:
        model = PantryItem
        attributes: ClassVar[dict[str, str]] = {
            "display_name": "name",
            "parent_slug": "parent_item_id",
        }


class CatalogProductSchema(ProductSchema):
    class Meta:
        model = CatalogProduct
        attributes: ClassVar[dict[str, str]] = {
            "ingredient_slug": "item_id",
            "preferred_supplier_slug": "vendor_id",
        }


class DeliverySchema(EntitySchema):
    recipient_slug = fields.Reference("recipients", attribute="recipient_id")
    supplier_slug = fields.Reference("suppliers", attribute="vendor_id")

    class Meta(EntitySchema.Meta):
        model = Delivery
        entity_type = "acme:deliveries"


ACME = Extension("acme", "1", types=[DeliverySchema])

#: What acme stores, and where.
ACME_REGISTRY = REGISTRY.derive(
    bind=[VendorSchema, PantryItemSchema, CatalogProductSchema],
    extensions=[ACME],
    only=["suppliers", "ingredients", "products", "recipients", "acme:deliveries"],
)
