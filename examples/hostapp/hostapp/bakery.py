"""What the shop stores of the bakery_io format, and where: its registry.

- recipients are the shop's customers (:class:`CustomerSchema` binds them);
- the shop's extension ``shop`` adds a field (``shop:loyalty_points``) and an
  entity type (``shop:orders``);
- event recipient packages are left out: the shop plans deliveries with its
  orders, and bakery_io's table of them could only point at bakery_io's own
  recipients;
- everything else stays in bakery_io's tables, under the prefix ``bakery_``,
  since the shop's calendar has the table name ``events`` already.

``REGISTRY`` here is a value like bakery_io's own: every call the shop makes
passes it as ``registry=``.
"""

from __future__ import annotations

from typing import ClassVar

from marshmallow.validate import Range

import bakery_io
from bakery_io import Extension
from bakery_io.format import fields
from bakery_io.format.schemas import EntitySchema, RecipientSchema
from hostapp.models import Customer, Order

#: The prefix of bakery_io's tables in the shop's database.
PREFIX = "bakery_"


class CustomerSchema(RecipientSchema):
    """Recipients, stored as the shop's customers."""

    loyalty_points = fields.Integer(
        data_key="shop:loyalty_points",
        allow_none=True,
        load_default=None,
        validate=Range(min=0, error="at least {min}"),
    )

    class Meta:
        model = Customer
        attributes: ClassVar[dict[str, str]] = {"name": "full_name", "household_name": "household"}


class OrderSchema(EntitySchema):
    """The shop's orders: ``shop:orders``, each of a customer."""

    recipient_slug = fields.Reference("recipients", attribute="customer_id")

    class Meta(EntitySchema.Meta):
        model = Order
        entity_type = "shop:orders"


SHOP = Extension("shop", "1", types=[OrderSchema])

#: The shop's registry: pass it to every bakery_io call.
REGISTRY = bakery_io.REGISTRY.derive(
    bind=[CustomerSchema],
    extensions=[SHOP],
    only=[name for name in bakery_io.REGISTRY.names if name != "event_recipient_packages"]
    + ["shop:orders"],
    prefix=PREFIX,
)
