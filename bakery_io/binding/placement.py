"""Where bakery_io's own tables go in a shared database: a schema, a name prefix.

A host that shares its database with bakery_io may want bakery_io's tables out
of its way: in a database schema of their own (``bakery.events``), or under a
name prefix (``bk_events``), or both. A :class:`Placement` says where; the
tables placed there are copies of bakery_io's own (:mod:`bakery_io.binding.models`)
in a MetaData of their own, made once per placement and shared by every
registry with that placement. Constraint and index names follow the placed
table names, so two placements never clash on them (PostgreSQL names indexes
per schema, MySQL/MariaDB name foreign keys per database).

Only bakery_io's own tables are placed; a host's bound models stay where the
host declared them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Constraint, ForeignKeyConstraint, Index, MetaData, Table
from sqlalchemy.sql.elements import conv

from bakery_io.binding.mapping import Binding
from bakery_io.binding.models import NAMING_CONVENTION, metadata
from bakery_io.errors import UsageError

#: The kinds of names the naming convention gives: ``<kind>_<table>...``.
_KINDS = ("pk", "fk", "uq", "ix", "ck")

#: Characters of quoting, which some backends' reflection does not read back.
_UNQUOTABLE = frozenset("\"`'\\")

#: The key in a placed MetaData's ``info`` that marks its tables as bakery_io's.
_PLACED = "bakery_io.placement"


@dataclass(frozen=True)
class Placement:
    """Where a registry keeps bakery_io's own tables: ``schema`` and table-name ``prefix``.

    ``schema`` is a database schema (a database on MySQL/MariaDB, an attached
    database on SQLite), None for the connection's default; ``prefix`` is put
    before every table name (``"bk_"`` makes ``bk_events``). Both default to
    bakery_io's own places. A host's bound models are never placed.
    """

    schema: str | None = None
    prefix: str = ""

    def __post_init__(self) -> None:
        if self.schema is not None and (
            not isinstance(self.schema, str) or not self.schema.strip() or "." in self.schema
        ):
            raise UsageError(
                f"schema is the name of a database schema (no dots) or None, not {self.schema!r}"
            )
        if not isinstance(self.prefix, str) or self.prefix != self.prefix.strip():
            raise UsageError(
                f"prefix is a string without spaces at its ends (or ''), not {self.prefix!r}"
            )
        if "." in self.prefix:
            raise UsageError(f"prefix {self.prefix!r}: a table name holds no dots")
        for what, name in (("schema", self.schema or ""), ("prefix", self.prefix)):
            # Quotes a backend's reflection cannot read back would make the tables, then
            # refuse them as not bakery_io's.
            odd = sorted({char for char in name if char in _UNQUOTABLE or not char.isprintable()})
            if odd:
                raise UsageError(
                    f"{what} {name!r} holds {', '.join(map(repr, odd))}, which no table name "
                    "of bakery_io's may hold"
                )

    @property
    def is_default(self) -> bool:
        """Whether the tables are where bakery_io puts them unplaced."""
        return self.schema is None and not self.prefix

    def table(self, name: str) -> str:
        """The name bakery_io's table ``name`` has here."""
        return f"{self.prefix}{name}"

    def column(self, table: str, column: str = "id") -> str:
        """A foreign key's target: ``column`` of bakery_io's table ``table``, placed."""
        qualified = (
            self.table(table) if self.schema is None else f"{self.schema}.{self.table(table)}"
        )
        return f"{qualified}.{column}"

    def name(self, kind: str, table: str, suffix: str = "") -> conv:
        """The name of a constraint or index of bakery_io's table ``table``, placed, as
        the naming convention makes it (``pk_bk_suppliers``): final (a ``conv``), so a
        host's own naming convention leaves it alone (the Alembic revisions use it)."""
        tail = f"_{suffix}" if suffix else ""
        return conv(f"{kind}_{self.table(table)}{tail}")

    def __str__(self) -> str:
        where = f"schema {self.schema}" if self.schema is not None else "the default schema"
        return f"{where}, prefix {self.prefix!r}" if self.prefix else where


def _renamed(name: str, table: str, placed: str) -> str:
    """A constraint or index name of ``table`` made one of ``placed``."""
    if any(name.startswith(f"{kind}_{placed}") for kind in _KINDS):
        return name  # named after the copy already (by the naming convention)
    for kind in _KINDS:
        start = f"{kind}_{table}"
        if name == start or name.startswith(f"{start}_"):
            return f"{kind}_{placed}{name[len(start) :]}"
    return f"{placed}_{name}"


def _items(table: Table) -> list[Constraint | Index]:
    return [*table.constraints, *table.indexes]


def _key(item: Constraint | Index, name: str) -> tuple[str, str]:
    """What tells ``item`` from the rest of its table's: a pattern's CHECKs share one
    name, one for each dialect. The text leaves the table out: an enum's CHECK names
    it, quoted where the placed name needs quotes (``"Bk_events".plan_state``)."""
    sqltext = getattr(item, "sqltext", None)
    if sqltext is None:
        return name, ""
    return name, str(sqltext.compile(compile_kwargs={"include_table": False}))


def _copy(table: Table, target: MetaData, placement: Placement) -> Table:
    """``table`` copied into ``target`` under its placed name, with what
    :meth:`Table.to_metadata` leaves behind put back: names that follow the new
    table name, and each constraint's condition for its DDL (``ddl_if``)."""
    name = placement.table(table.name)
    originals = {
        _key(item, _renamed(str(item.name), table.name, name)): item for item in _items(table)
    }
    # schema=None: the target MetaData's, which is none, as bakery_io's own tables have.
    copy = table.to_metadata(target, schema=placement.schema, name=name)  # type: ignore[arg-type]
    for item in _items(copy):
        if item.name is None:
            continue
        new = _renamed(str(item.name), table.name, name)
        item.name = conv(new)
        original = originals[_key(item, new)]
        # DDL lists constraints in their order of creation; to_metadata copies them
        # from a set, so a copy's DDL would change from one process to the next.
        if isinstance(item, Constraint):
            item._creation_order = original._creation_order  # type: ignore[union-attr]
        # Conditions (a CHECK for one dialect only) are not copied by to_metadata.
        condition = getattr(original, "_ddl_if", None)
        if condition is not None:
            item.ddl_if(*condition)
    return copy


def _retarget(table: Table, copy: Table, placed: Mapping[Table, Table]) -> None:
    """Point the copy's foreign keys at the placed tables, as ``table``'s point at the
    unplaced ones (to_metadata keeps the unplaced names)."""
    originals = {
        _renamed(str(constraint.name), table.name, copy.name): constraint
        for constraint in table.foreign_key_constraints
    }
    for constraint in list(copy.foreign_key_constraints):
        original = originals[str(constraint.name)]
        targets = [
            placed[element.column.table].c[element.column.key] for element in original.elements
        ]
        # A ForeignKeyConstraint cannot be retargeted: it is replaced.
        copy.constraints.discard(constraint)
        for element in constraint.elements:
            element.parent.foreign_keys.discard(element)
            copy.foreign_keys.discard(element)
        replacement = ForeignKeyConstraint(
            [column.name for column in constraint.columns],
            targets,
            name=constraint.name,
            onupdate=constraint.onupdate,
            ondelete=constraint.ondelete,
            deferrable=constraint.deferrable,
            initially=constraint.initially,
            use_alter=constraint.use_alter,
            match=constraint.match,
        )
        replacement._creation_order = constraint._creation_order
        copy.append_constraint(replacement)


@cache
def placed_tables(placement: Placement) -> Mapping[Table, Table]:
    """Each of bakery_io's own tables → its copy where ``placement`` puts it.

    The default placement maps each table to itself. The copies of one
    placement are made once and shared, so registries with the same placement
    use the same tables.
    """
    if placement.is_default:
        return MappingProxyType({table: table for table in metadata.sorted_tables})
    target = MetaData(naming_convention=NAMING_CONVENTION, info={_PLACED: placement})
    copies = {table: _copy(table, target, placement) for table in metadata.sorted_tables}
    if placement.prefix:
        for table, copy in copies.items():
            _retarget(table, copy, copies)
    return MappingProxyType(copies)


def placed_column(column: Column[Any], placement: Placement) -> Column[Any]:
    """``column`` of bakery_io's own tables where ``placement`` puts it; any other as is."""
    table = placed_tables(placement).get(column.table)
    return column if table is None else table.c[column.key]


def is_own(table: Table) -> bool:
    """Whether ``table`` is one of bakery_io's own tables, placed anywhere."""
    return table.metadata is metadata or _PLACED in table.metadata.info


def placed_binding(binding: Binding, placement: Placement) -> Binding:
    """``binding`` with bakery_io's own table replaced by its copy where ``placement``
    puts it; a host's binding as it is."""
    table = placed_tables(placement).get(binding.table)
    if table is None or table is binding.table:
        return binding
    columns = {attribute: table.c[column.key] for attribute, column in binding.columns.items()}
    return Binding(binding.schema, table, table.c[binding.primary_key.key], columns)
