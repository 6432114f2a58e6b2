"""The shop's own tables: customers, their orders and its calendar.

``customers`` holds what bakery_io calls recipients, under the shop's own
column names, with a column the format does not know (``email``) and one it
carries as the shop's extension (``loyalty_points``). ``orders`` is an entity
type of the shop's own. ``events`` is the shop's calendar: a table whose name
bakery_io uses too, which is why the shop places bakery_io's tables under a
prefix (:mod:`hostapp.bakery`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bakery_io.binding.sqltypes import ExactDecimal


class Base(DeclarativeBase):
    """The shop's declarative base; its metadata is the shop's alone."""

    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ix": "ix_%(table_name)s_%(column_0_name)s",
        }
    )


class Customer(Base):
    """A customer: a recipient of bakery_io's planning, in the shop's table."""

    __tablename__ = "customers"

    customer_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    household: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    loyalty_points: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The shop's own: not part of any backup.
    email: Mapped[str | None] = mapped_column(String(200))


class Order(Base):
    """An order a customer placed: an entity type of the shop's own (``shop:orders``)."""

    __tablename__ = "orders"

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(Customer.customer_id))
    placed_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(ExactDecimal(10, 2))


class CalendarEvent(Base):
    """The shop's calendar. Its table is called ``events``, as bakery_io's events are."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
