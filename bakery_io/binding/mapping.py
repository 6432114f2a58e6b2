"""Where a schema's records are stored: the model, table, primary key and columns.

The format says what a record holds (wire names, types, rules); a binding says
which SQLAlchemy model holds it. bakery_io's own models are the default
binding; a host binds a format type to its own model by subclassing the format
schema (see :mod:`bakery_io.format.schemas.base`). Everything here is read from the
model's mapper, once per schema, never assumed: the primary key need not be
``id``, a column need not carry its wire name, and only the columns a binding
names are ever read or written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from marshmallow import fields
from sqlalchemy import Column, Table
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeEngine

from bakery_io.binding.sqltypes import AsUTC, UTCDateTime
from bakery_io.errors import UsageError
from bakery_io.format import fields as wire
from bakery_io.format.schemas.base import EntitySchema, declared_fields, wire_fields


def scoped(schema: type[EntitySchema]) -> frozenset[str]:
    """Fields that only hold the leading part of a composite reference: stored nowhere."""
    return frozenset(
        name
        for field in declared_fields(schema).values()
        if isinstance(field, wire.Reference)
        for name in field.scope
    )


#: The Python values each kind of wire field loads, so a host column can be checked.
_VALUES: tuple[tuple[type[fields.Field[Any]], tuple[type, ...]], ...] = (
    (wire.DecimalString, (Decimal,)),
    (wire.DateTime, (datetime,)),
    (wire.Date, (date,)),
    (wire.Boolean, (bool,)),
    (wire.Integer, (int,)),
    (wire.String, (str,)),
)


def _python_type(column: Column[Any]) -> type | None:
    try:
        found: type = column.type.python_type
    except NotImplementedError:
        return None
    return found


#: The most significant digits a double holds exactly (every decimal of 15 digits).
_DOUBLE_DIGITS = 15


def storage_type(column: Column[Any]) -> TypeEngine[Any] | None:
    """The type to read and write ``column`` through instead of its own, or None.

    A host's plain ``DateTime`` column (bakery_io's own are
    :class:`~bakery_io.binding.sqltypes.UTCDateTime`) is read and written in UTC
    (:class:`~bakery_io.binding.sqltypes.AsUTC`): the format's datetimes are aware.
    """
    kind = column.type
    if isinstance(kind, sa.DateTime) and not isinstance(kind, UTCDateTime):
        return AsUTC(aware=bool(kind.timezone))
    return None


def _check_type(schema: type[EntitySchema], name: str, field: Any, column: Column[Any]) -> None:
    if isinstance(field, (wire.Reference, wire.Enum)):
        return
    held = _python_type(column)
    if isinstance(field, wire.DecimalString) and held is float:
        # A double holds every decimal of up to 15 significant digits exactly; the
        # export quantizes what it reads to the field's places, and names a value
        # that does not fit rather than round it.
        if field.precision <= _DOUBLE_DIGITS:
            return
        raise UsageError(
            f"{schema.__name__}: field {name} holds decimals of {field.precision} digits, "
            f"which column {column.table.name}.{column.name} (a float, exact to "
            f"{_DOUBLE_DIGITS}) cannot hold exactly; use a Numeric or ExactDecimal column"
        )
    for kind, values in _VALUES:
        if isinstance(field, kind):
            if held not in (None, object) and not issubclass(held, values):
                raise UsageError(
                    f"{schema.__name__}: field {name} holds {values[0].__name__} values, "
                    f"but column {column.table.name}.{column.name} holds {held.__name__}"
                )
            return


@dataclass(frozen=True)
class Binding:
    """The storage of one schema's records (an entity type's or a child kind's).

    ``columns`` maps each stored field, by its attribute (the key the schema
    loads it under), to its column; a reference's column holds the target's
    primary key.
    """

    schema: type[EntitySchema]
    table: Table
    primary_key: Column[Any]
    columns: Mapping[str, Column[Any]]

    @property
    def model(self) -> Any:
        """The SQLAlchemy model class."""
        return self.schema.opts.model

    def column(self, wire_name: str) -> Column[Any]:
        """The column of the field written as ``wire_name``."""
        name, field = wire_fields(self.schema)[wire_name]
        return self.columns[field.attribute or name]


def mapper_of(schema: type[EntitySchema]) -> Mapper[Any]:
    """The mapper of ``schema``'s model; refuses a model that is not a mapped class."""
    model = schema.opts.model
    mapper = sa.inspect(model, raiseerr=False)
    if not isinstance(mapper, Mapper):
        raise UsageError(
            f"{schema.__name__}: Meta.model must be a mapped SQLAlchemy model class, not {model!r}"
        )
    return mapper


@cache
def binding_of(schema: type[EntitySchema]) -> Binding:
    """The binding of ``schema``, read from its model's mapper; refuses what cannot hold it."""
    model = schema.opts.model
    if model is None:
        raise UsageError(f"{schema.__name__} names no model (Meta.model)")
    mapper = mapper_of(schema)
    table = mapper.local_table
    if not isinstance(table, Table):
        raise UsageError(f"{schema.__name__}: {model.__name__} is not mapped to one table")
    keys = list(table.primary_key.columns)
    if len(keys) != 1:
        raise UsageError(
            f"{schema.__name__}: table {table.name} needs a primary key of one column, "
            f"has {[column.name for column in keys]}"
        )
    columns: dict[str, Column[Any]] = {}
    # Columns held so far, found by identity: == of two columns builds an SQL expression,
    # and looking through columns.values() built hundreds of them for each registry.
    held: set[Column[Any]] = set()
    missing = []
    skip = scoped(schema)
    for name, field in declared_fields(schema).items():
        if isinstance(field, wire.Children) or name in skip:
            continue
        attribute = field.attribute or name
        prop = mapper.column_attrs.get(attribute)
        if prop is None or len(prop.columns) != 1 or not isinstance(prop.columns[0], Column):
            missing.append(f"{field.data_key or name} (attribute {attribute!r})")
            continue
        column = prop.columns[0]
        _check_type(schema, field.data_key or name, field, column)
        if attribute in columns or column in held:
            raise UsageError(
                f"{schema.__name__}: field {field.data_key or name} is bound to "
                f"{column.table.name}.{column.name}, which another field holds already; "
                "each field needs a column of its own"
            )
        columns[attribute] = column
        held.add(column)
    if missing:
        raise UsageError(
            f"{schema.__name__}: {model.__name__} has no column for {', '.join(missing)}; "
            "bind each field to a column of the model with Meta.attributes"
        )
    return Binding(schema, table, keys[0], columns)


def child_relationship(parent: type[EntitySchema], name: str) -> Any:
    """The host relationship that holds the children declared as ``name`` in ``parent``."""
    field = declared_fields(parent)[name]
    attribute = field.attribute or name
    relationships = mapper_of(parent).relationships
    if attribute not in relationships:
        raise UsageError(
            f"{parent.__name__}: {parent.opts.model.__name__} has no relationship {attribute!r} "
            f"for the children {name}; name it with the field's attribute="
        )
    relationship = relationships[attribute]
    pairs = relationship.local_remote_pairs
    if len(pairs) != 1:
        raise UsageError(f"{parent.__name__}: relationship {attribute} must join on one column")
    return relationship
