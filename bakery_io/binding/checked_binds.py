"""Writing values their fields have checked: the column type's own checks left out.

The counterpart of :mod:`bakery_io.binding.wire_reads` for writes. A value a
load writes went through its field first: a :class:`~bakery_io.format.fields.DecimalString`
gives a :class:`~decimal.Decimal` with the field's places and digits, a
:class:`~bakery_io.format.fields.DateTime` an aware datetime in UTC. Where the
column is bakery_io's own type of the same size (or, for a date on SQLite,
SQLAlchemy's plain ``Date``), the column type's bind
processor would check all of that again (quantize, compare, convert the time
zone) for every value, a tenth of an import's work on SQLite. Here each such
column gets the expression that writes exactly what that processor writes for
such a value, used by the generated INSERT parameters
(:mod:`bakery_io.persistence`) when the value is of the checked class; any
other value (a decimal restored as found, a host's own object) still goes
through the processor.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from marshmallow import fields
from sqlalchemy import Column, Dialect

from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.format import fields as wire

#: The names the expressions use, for the generated code's scope.
SCOPE: dict[str, Any] = {"Decimal": Decimal, "datetime": datetime, "date": date, "UTC": UTC}


class CheckedBind(NamedTuple):
    """How to write a checked value of one column, as Python expressions over
    :data:`SCOPE`: ``test`` tells such a value (named ``{first}`` where it is first
    read, ``{v}`` after), and ``write`` gives what the column's bind processor gives
    for it (``{v}``)."""

    test: str
    write: str


def checked_bind(
    column: Column[Any], field: fields.Field[Any], dialect: Dialect
) -> CheckedBind | None:
    """The :class:`CheckedBind` of ``column`` holding ``field``'s values on ``dialect``, or
    ``None`` where the column's bind processor must see every value: a host's own type,
    a type with variants, a decimal column of another size than its field, or a type
    whose processor does nothing to these values anyway."""
    stored = column.type
    if stored._variant_mapping:
        return None
    sqlite = dialect.name == "sqlite"
    kind = type(stored)
    if kind is ExactDecimal and type(field) is wire.DecimalString:
        assert isinstance(stored, ExactDecimal)
        digits = field.precision - field.places
        if field.places != stored.scale or digits > stored.precision - stored.scale:
            return None
        # Every Decimal the field loads has the column's places and fits its digits:
        # what ExactDecimal checks. SQLite stores it as the double SQLAlchemy makes.
        return CheckedBind("{first}.__class__ is Decimal", "float({v})" if sqlite else "{v}")
    if kind is UTCDateTime and type(field) is wire.DateTime:
        # UTCDateTime writes naive UTC; on SQLite as its text, which isoformat writes
        # (the aware value's "+00:00" cut off).
        write = "{v}.isoformat(' ', 'microseconds')[:-6]" if sqlite else "{v}.replace(tzinfo=None)"
        return CheckedBind("{first}.__class__ is datetime and {v}.tzinfo is UTC", write)
    if kind is sa.Date and type(field) is wire.Date and sqlite:
        # SQLite's DATE text ("%04d-%02d-%02d") is isoformat's for every year it holds.
        return CheckedBind("{first}.__class__ is date", "{v}.isoformat()")
    return None
