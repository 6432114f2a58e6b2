"""The registry of entity types: the one list that drives export, import and JSON Schemas.

Each entity type is one line of :data:`REGISTRY`: its schema (which names its
model). The position gives the file number and import order; the natural key
comes from the schema; the dependencies are derived from the schema's
reference fields, children included, and the registry refuses an order in
which an entity type comes before one it references.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from marshmallow import fields
from sqlalchemy import Column, Table

from bakery_io.errors import UsageError
from bakery_io.fields import Children, Reference
from bakery_io.schemas.base import EntitySchema
from bakery_io.schemas.catalog import (
    FinishedUnitSchema,
    IngredientSchema,
    ProductSchema,
    RecipeSchema,
    SupplierSchema,
)
from bakery_io.schemas.history import AssemblyRunSchema, ProductionRunSchema
from bakery_io.schemas.inventory import (
    InventoryDepletionSchema,
    InventoryItemSchema,
    PurchaseSchema,
)
from bakery_io.schemas.materials import (
    MaterialCategorySchema,
    MaterialProductSchema,
    MaterialPurchaseSchema,
    MaterialSchema,
    MaterialSubcategorySchema,
    MaterialUnitSchema,
)
from bakery_io.schemas.planning import (
    EventRecipientPackageSchema,
    EventSchema,
    FinishedGoodSchema,
    PackageSchema,
    RecipientSchema,
)


def declared_fields(schema: type[EntitySchema]) -> dict[str, fields.Field[Any]]:
    """The schema's fields in wire order (excluded columns left out)."""
    return {name: field for name, field in schema._declared_fields.items() if field is not None}


def references(schema: type[EntitySchema]) -> Iterator[tuple[str, Reference]]:
    """(wire name, field) of every reference of ``schema`` and of its nested children."""
    for name, field in declared_fields(schema).items():
        if isinstance(field, Reference):
            yield field.data_key or name, field
        elif isinstance(field, Children):
            yield from references(field.schema_class)


@dataclass(frozen=True)
class ChildType:
    """Records nested in another's: their key in the parent, schema, table and parent column."""

    name: str
    schema: type[EntitySchema]
    table: Table
    parent: Column[Any]
    relationship: Any


@dataclass(frozen=True)
class EntityType:
    """One entity type: its wire name, file number, schema and what it depends on."""

    name: str
    number: int
    schema: type[EntitySchema]
    dependencies: tuple[str, ...]

    @property
    def model(self) -> Any:
        """The SQLAlchemy model class."""
        return self.schema.opts.model

    @property
    def natural_key(self) -> tuple[str, ...]:
        """Wire names of the natural key: ``("slug",)``, ``("uuid",)`` or a composite."""
        key = self.schema.opts.natural_key
        assert key is not None
        return key

    @property
    def filename(self) -> str:
        """The entity file's name in format 1.1: ``01_suppliers.json``."""
        return f"{self.number:02d}_{self.name}.json"

    @cached_property
    def children(self) -> tuple[ChildType, ...]:
        """The kinds of records nested in this type's records, in wire order."""
        relationships = self.model.__mapper__.relationships
        found = []
        for name, field in declared_fields(self.schema).items():
            if isinstance(field, Children):
                relationship = relationships[name]
                ((_local, parent),) = relationship.local_remote_pairs
                found.append(
                    ChildType(name, field.schema_class, parent.table, parent, relationship)
                )
        return tuple(found)

    @property
    def self_referencing(self) -> bool:
        """Whether records of this type reference each other (trees, variants, nesting)."""
        return any(reference.target == self.name for _name, reference in references(self.schema))


class Registry:
    """The ordered entity types; iteration gives them in import order."""

    def __init__(self, schemas: Sequence[type[EntitySchema]]) -> None:
        names = [schema.opts.model.__tablename__ for schema in schemas]
        number = {name: position for position, name in enumerate(names, start=1)}
        types = []
        for schema, name in zip(schemas, names, strict=True):
            targets = {reference.target for _name, reference in references(schema)}
            unknown = targets - set(number)
            if unknown:
                raise ValueError(f"{name} references unregistered {sorted(unknown)}")
            later = [target for target in targets if number[target] > number[name]]
            if later:
                raise ValueError(f"{name} comes before {sorted(later)}, which it references")
            dependencies = sorted(targets - {name}, key=number.__getitem__)
            types.append(EntityType(name, number[name], schema, tuple(dependencies)))
        self._types = tuple(types)
        self._by_name = {entity.name: entity for entity in types}
        for entity in types:
            self._check_references(entity)

    def _check_references(self, entity: EntityType) -> None:
        for wire_name, reference in references(entity.schema):
            target = self._by_name[reference.target].natural_key
            kind = "uuid" if target == ("uuid",) else "slug"
            if not wire_name.endswith(f"_{kind}") or len(reference.scope) + 1 != len(target):
                raise ValueError(
                    f"{entity.name}: reference {wire_name} does not match the key "
                    f"{target} of {reference.target}"
                )

    def __iter__(self) -> Iterator[EntityType]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __getitem__(self, name: str) -> EntityType:
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(
                f"unknown entity type {name!r}; known: {', '.join(self.names)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Entity type names in import order."""
        return tuple(entity.name for entity in self._types)

    def select(self, names: Iterable[str] | None) -> tuple[EntityType, ...]:
        """The named entity types (all when ``names`` is None), in import order."""
        if names is None:
            return self._types
        wanted = {self[name].name for name in names}
        return tuple(entity for entity in self._types if entity.name in wanted)


#: Every entity type of format 1.1, in import order (the file numbers of DOMAIN.md).
REGISTRY = Registry(
    [
        SupplierSchema,
        IngredientSchema,
        ProductSchema,
        RecipeSchema,
        FinishedUnitSchema,
        PurchaseSchema,
        InventoryItemSchema,
        MaterialCategorySchema,
        MaterialSubcategorySchema,
        MaterialSchema,
        MaterialProductSchema,
        MaterialUnitSchema,
        MaterialPurchaseSchema,
        FinishedGoodSchema,
        RecipientSchema,
        PackageSchema,
        EventSchema,
        EventRecipientPackageSchema,
        ProductionRunSchema,
        AssemblyRunSchema,
        InventoryDepletionSchema,
    ]
)
