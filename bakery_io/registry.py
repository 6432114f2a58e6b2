"""The registry: the entity types a job works on, in import order, with their bindings.

A :class:`Registry` is a value, like a cattrs ``Converter``: every public entry
point takes one (``registry=``, by default :data:`REGISTRY`), nothing global is
ever changed, and two registries work side by side in one process.

:data:`REGISTRY` is format 1.1 bound to bakery_io's own models. A host derives
its own from it with :meth:`Registry.derive`, which returns a new registry:

- ``bind=`` stores format types in the host's models (binding schemas,
  :mod:`bakery_io.binding.mapping`);
- ``extensions=`` adds :class:`~bakery_io.format.extensions.Extension` s: entity types
  and fields of the host's own, under its namespace;
- ``only=`` keeps the types the host stores;
- ``schema=`` and ``prefix=`` place bakery_io's own tables in a database schema
  and under a table-name prefix of the host's choosing (:attr:`Registry.placement`,
  docs/sharing.md).

The position of a core type in the format gives its file number; the order of
a registry is the format's, with each extension type placed after what it
references. Dependencies are derived from the reference fields, children
included, and a registry refuses an order in which a type comes before one it
references.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.exc import NoReferenceError
from sqlalchemy.schema import sort_tables

from bakery_io.binding.mapping import Binding, binding_of, child_relationship
from bakery_io.binding.placement import (
    Placement,
    is_own,
    placed_binding,
    placed_column,
    placed_tables,
)
from bakery_io.errors import UsageError
from bakery_io.format.extensions import Extension, namespace_of, split_name
from bakery_io.format.fields import Children, Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields, wire_fields
from bakery_io.format.schemas.catalog import (
    FinishedUnitSchema,
    IngredientSchema,
    ProductSchema,
    RecipeSchema,
    SupplierSchema,
)
from bakery_io.format.schemas.history import AssemblyRunSchema, ProductionRunSchema
from bakery_io.format.schemas.inventory import (
    InventoryDepletionSchema,
    InventoryItemSchema,
    PurchaseSchema,
)
from bakery_io.format.schemas.materials import (
    MaterialCategorySchema,
    MaterialProductSchema,
    MaterialPurchaseSchema,
    MaterialSchema,
    MaterialSubcategorySchema,
    MaterialUnitSchema,
)
from bakery_io.format.schemas.planning import (
    EventRecipientPackageSchema,
    EventSchema,
    FinishedGoodSchema,
    PackageSchema,
    RecipientSchema,
)


def references(schema: type[EntitySchema]) -> Iterator[tuple[str, Reference]]:
    """(wire name, field) of every reference of ``schema`` and of its nested children."""
    for name, found in declared_fields(schema).items():
        if isinstance(found, Reference):
            yield found.data_key or name, found
        elif isinstance(found, Children):
            yield from references(found.schema_class)


@dataclass(frozen=True)
class ChildType:
    """Records nested in another's: their key in the parent, schema and storage.

    ``name`` is their key in the parent record on the wire; ``attribute`` the
    key the parent's schema loads them under (the host's relationship).
    ``table`` and ``parent`` are where the registry places them.
    """

    name: str
    schema: type[EntitySchema]
    table: Table
    parent: Column[Any]
    relationship: Any
    attribute: str
    #: The registry the children belong to: it says where they are stored.
    registry: Registry = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @property
    def binding(self) -> Binding:
        """Where the children are stored."""
        return self.registry.binding(self.schema)

    @property
    def order(self) -> tuple[Any, ...]:
        """The order of one parent's children: the relationship's, else as they were
        written (a host's relationship may name none)."""
        given = self.relationship.order_by or (self.binding.primary_key,)
        return tuple(
            self.registry.place(column) if isinstance(column, Column) else column
            for column in given
        )


@dataclass(frozen=True, eq=False)
class EntityType:
    """One entity type of a registry: its wire name, file number, schema and dependencies.

    ``number`` is the type's place in the core format (``01`` suppliers), or in
    its extension for an extension type (``acme.01_ovens.json``).
    Each registry has its own entity types (compared by identity), so what is
    derived from one (reading plans, lookups) never leaks into another.
    """

    name: str
    number: int
    schema: type[EntitySchema]
    dependencies: tuple[str, ...]
    extension: str | None = field(default=None)
    #: The registry the type belongs to: its references resolve there.
    registry: Registry = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def binding(self) -> Binding:
        """Where the records are stored: model, table, primary key, columns."""
        return self.registry.binding(self.schema)

    @property
    def model(self) -> Any:
        """The SQLAlchemy model class."""
        return self.schema.opts.model

    @property
    def table(self) -> Table:
        """The table that holds the records."""
        return self.binding.table

    @property
    def primary_key(self) -> Column[Any]:
        """The table's primary key column (its ids are what references store)."""
        return self.binding.primary_key

    @property
    def natural_key(self) -> tuple[str, ...]:
        """Wire names of the natural key: ``("slug",)``, ``("uuid",)`` or a composite."""
        key = self.schema.opts.natural_key
        assert key is not None
        return key

    @property
    def filename(self) -> str:
        """The entity file's name: ``01_suppliers.json``, ``acme.01_ovens.json``."""
        namespace, local = split_name(self.name)
        numbered = f"{self.number:02d}_{local}.json"
        return f"{namespace}.{numbered}" if namespace else numbered

    @cached_property
    def children(self) -> tuple[ChildType, ...]:
        """The kinds of records nested in this type's records, in wire order."""
        found = []
        for name, candidate in declared_fields(self.schema).items():
            if isinstance(candidate, Children):
                relationship = child_relationship(self.schema, name)
                ((_local, parent),) = relationship.local_remote_pairs
                if parent.table is not binding_of(candidate.schema_class).table:
                    raise UsageError(
                        f"{self.schema.__name__}: the children {name} are in table "
                        f"{parent.table.name} (relationship {candidate.attribute or name}), "
                        f"but {candidate.schema_class.__name__} binds them to "
                        f"{binding_of(candidate.schema_class).table.name}: declare "
                        f"{name} = Children(<a binding of {candidate.schema_class.__name__} "
                        "to your child model>)"
                    )
                placed = self.registry.place(parent)
                found.append(
                    ChildType(
                        name,
                        candidate.schema_class,
                        placed.table,
                        placed,
                        relationship,
                        candidate.attribute or name,
                        self.registry,
                    )
                )
        return tuple(found)

    @property
    def self_referencing(self) -> bool:
        """Whether records of this type reference each other (trees, variants, nesting)."""
        return any(reference.target == self.name for _name, reference in references(self.schema))


def _check_references(types: dict[str, EntityType]) -> None:
    for entity in types.values():
        for wire_name, reference in references(entity.schema):
            if reference.target not in types:
                raise UsageError(
                    f"{entity.name}: {wire_name} references {reference.target}, which this "
                    "registry does not hold"
                )
            target = types[reference.target].natural_key
            kind = "uuid" if target == ("uuid",) else "slug"
            if not wire_name.endswith(f"_{kind}") or len(reference.scope) + 1 != len(target):
                raise UsageError(
                    f"{entity.name}: reference {wire_name} does not match the key "
                    f"{target} of {reference.target}"
                )


def _check_foreign_keys(types: dict[str, EntityType]) -> None:
    """A reference's column may only have foreign keys into its target's table: a type
    left in bakery_io's tables cannot reference one a host stores in its own."""
    for entity in types.values():
        schemas = [entity.schema, *(child.schema for child in entity.children)]
        for schema in schemas:
            binding = binding_of(schema)
            for name, found in declared_fields(schema).items():
                if not isinstance(found, Reference):
                    continue
                column = binding.columns[found.attribute or name]
                target = types[found.target]
                stored = binding_of(target.schema).table
                # Composite keys (a run's finished unit of its recipe) tie other tables too.
                single = [
                    key
                    for key in column.foreign_keys
                    if key.constraint is not None and len(key.constraint.columns) == 1
                ]
                for key in single:
                    if key.column.table is not stored:
                        model = f"{target.model.__module__}.{target.model.__name__}"
                        raise UsageError(
                            f"{schema.__name__}: column {column.table.name}.{column.name} of "
                            f"{found.data_key or name} has a foreign key to another table "
                            f"{key.column.table.name} than the one this registry stores "
                            f"{found.target} in (that of {model}): keep {entity.name} and "
                            f"{found.target} in the same application's tables (bind both "
                            f"to your models, or neither), or leave {entity.name} out with only="
                        )


def _order(
    core: Sequence[type[EntitySchema]], added: Sequence[type[EntitySchema]]
) -> list[type[EntitySchema]]:
    """Core types in format order, each added type right after the last one it references."""
    ordered = list(core)
    for schema in added:
        targets = {reference.target for _name, reference in references(schema)}
        names = [other.opts.entity_type for other in ordered]
        place = max((names.index(target) + 1 for target in targets if target in names), default=0)
        ordered.insert(place, schema)
    return ordered


class Registry:
    """The ordered entity types of a job; iteration gives them in import order.

    Build a host's registry from :data:`REGISTRY` with :meth:`derive`.
    """

    def __init__(
        self,
        schemas: Sequence[type[EntitySchema]],
        *,
        extensions: Sequence[Extension] = (),
        numbers: dict[str, int] | None = None,
        placement: Placement = Placement(),  # noqa: B008 (a frozen value)
    ) -> None:
        #: Where bakery_io's own tables are: a database schema, a table-name prefix.
        self.placement = placement
        self._bindings: dict[type[EntitySchema], Binding] = {}
        self.extensions: tuple[Extension, ...] = tuple(extensions)
        self._schemas = tuple(schemas)
        names = [schema.opts.entity_type or "" for schema in schemas]
        if len(set(names)) != len(names):
            raise UsageError(f"an entity type is registered twice: {names}")
        numbers = dict(numbers or {})
        for extension in self.extensions:
            for place, schema in enumerate(extension.types, start=1):
                numbers[schema.opts.entity_type or ""] = place
        position = {name: index for index, name in enumerate(names)}
        types = []
        for schema, name in zip(schemas, names, strict=True):
            self._check_names(schema, name)
            for nested in _child_schemas(schema):
                self._check_names(nested, nested.opts.entity_type or "")
            absent = set(schema.opts.natural_key or ()) - set(wire_fields(schema))
            if absent:
                raise UsageError(
                    f"{schema.__name__}: the natural key of {name} names no field "
                    f"{', '.join(sorted(absent))}; give the model a slug or uuid column, or "
                    "name the key's fields in Meta.natural_key"
                )
            targets = {reference.target for _name, reference in references(schema)}
            later = [t for t in targets if t in position and position[t] > position[name]]
            if later:
                raise UsageError(f"{name} comes before {sorted(later)}, which it references")
            dependencies = sorted(
                (t for t in targets - {name} if t in position), key=position.__getitem__
            )
            number = numbers.get(name, position[name] + 1)
            types.append(EntityType(name, number, schema, tuple(dependencies), namespace_of(name)))
        for entity in types:
            object.__setattr__(entity, "registry", self)
        self._types = tuple(types)
        self._numbers = {entity.name: entity.number for entity in types}
        self._by_name = {entity.name: entity for entity in types}
        _check_references(self._by_name)
        for entity in types:
            entity.binding  # noqa: B018 (refuse a model that cannot hold the type now, not mid-job)
            for child in entity.children:
                child.binding  # noqa: B018

    def binding(self, schema: type[EntitySchema]) -> Binding:
        """Where this registry stores records of ``schema`` (an entity type's or a child
        kind's): its binding, with bakery_io's own tables where :attr:`placement` puts them."""
        found = self._bindings.get(schema)
        if found is None:
            found = self._bindings[schema] = placed_binding(binding_of(schema), self.placement)
        return found

    def place(self, column: Column[Any]) -> Column[Any]:
        """``column`` where this registry keeps it: a column of bakery_io's own tables
        in its placed table, any other as it is."""
        return placed_column(column, self.placement)

    def _check_names(self, schema: type[EntitySchema], name: str) -> None:
        """Namespaced names (types, fields) belong to an extension of this registry."""
        known = {extension.namespace for extension in self.extensions}
        namespace = namespace_of(name)
        if namespace is not None and namespace not in known:
            raise UsageError(f"entity type {name}: no extension {namespace!r} in this registry")
        format_schema = schema.opts.format
        format_names = (
            set()
            if format_schema is schema or format_schema is None
            else set(wire_fields(format_schema))
        )
        for wire_name, (_name, declared) in wire_fields(schema).items():
            if wire_name in format_names:
                continue
            found = namespace_of(wire_name)
            if format_names and found is None:
                raise UsageError(
                    f"{schema.__name__}: field {wire_name} is not part of the format; a host's "
                    'own field is named "<namespace>:<name>" (data_key) of its extension'
                )
            if found is not None and found not in known:
                raise UsageError(
                    f"{schema.__name__}: field {wire_name}: no extension {found!r} in this registry"
                )
            if format_names and declared.required:
                raise UsageError(
                    f"{schema.__name__}: extension field {wire_name} must be optional "
                    "(a default or null), so that backups without it still load"
                )

    def __iter__(self) -> Iterator[EntityType]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __getitem__(self, name: str) -> EntityType:
        try:
            return self._by_name[name]
        except KeyError:
            raise self.unknown([name]) from None

    def unknown(self, names: Sequence[str]) -> UsageError:
        """The error for entity type ``names`` this registry does not hold: each with the
        closest name it holds ("did you mean"), or the list of them when none is close."""
        close = {
            name: found[0]
            for name in names
            if (found := difflib.get_close_matches(name, self.names, n=1))
        }
        said = [f"{name}: did you mean {close[name]}?" for name in names if name in close]
        if len(close) < len(names):
            said.append(f"known: {', '.join(self.names)}")
        listed = ", ".join(repr(name) for name in names)
        return UsageError(f"unknown entity type {listed} ({'; '.join(said)})")

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        extensions = ", ".join(f"{e.namespace} {e.version}" for e in self.extensions)
        placed = "" if self.placement.is_default else f" in {self.placement}"
        return (
            f"<Registry of {len(self)} entity types{'; ' + extensions if extensions else ''}"
            f"{placed}>"
        )

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Entity type names in import order."""
        return tuple(entity.name for entity in self._types)

    @cached_property
    def is_stock(self) -> bool:
        """Whether this is the format as bakery_io publishes it: all core types, no extension."""
        return not self.extensions and self.names == REGISTRY.names

    def check_storage(self) -> None:
        """Refuse a registry whose tables cannot hold its records together: a reference's
        column with a foreign key into another table than its target's (a type left in
        bakery_io's tables referencing one a host stores in its own). Checked before
        tables are created or written, not when the registry is built: checking files
        and writing JSON Schemas need no database."""
        _check_foreign_keys(self._by_name)
        if self.placement.is_default:
            return
        for table in self.tables:
            if is_own(table):
                continue
            for key in table.foreign_keys:
                try:
                    target = key.column.table
                except NoReferenceError:  # the host's own business
                    continue
                if is_own(target) and target not in self.tables:
                    raise UsageError(
                        f"table {table.name} has a foreign key to bakery_io's table "
                        f"{target.name}, which this registry places in {self.placement}: "
                        "the key would name a table that is not there; keep bakery_io's "
                        "tables unplaced, or drop the key"
                    )

    @cached_property
    def tables(self) -> tuple[Table, ...]:
        """Every table the bindings store records in, children's included, parents first.

        bakery_io's own in their metadata's order (so DDL is always issued the
        same way), then a host's.
        """
        used = {entity.table for entity in self._types}
        used.update(child.table for entity in self._types for child in entity.children)
        own = [table for table in placed_tables(self.placement).values() if table in used]
        others = sort_tables(sorted(used - set(own), key=lambda table: table.fullname))
        return (*own, *others)

    def stored_columns(self, table: Table) -> frozenset[str]:
        """Names of the columns of ``table`` this registry reads and writes: the bound
        columns, primary keys and children's parent columns."""
        return self._stored_columns.get(table, frozenset())

    @cached_property
    def _stored_columns(self) -> dict[Table, frozenset[str]]:
        found: dict[Table, set[str]] = {}
        for entity in self._types:
            kinds = [(entity.binding, None), *((c.binding, c.parent) for c in entity.children)]
            for binding, parent in kinds:
                names = found.setdefault(binding.table, set())
                names.update(column.name for column in binding.columns.values())
                names.add(binding.primary_key.name)
                if parent is not None:
                    names.add(parent.name)
        return {table: frozenset(names) for table, names in found.items()}

    def select(self, names: Iterable[str] | None) -> tuple[EntityType, ...]:
        """The named entity types (all when ``names`` is None), in import order."""
        if names is None:
            return self._types
        wanted = {self[name].name for name in names}
        return tuple(entity for entity in self._types if entity.name in wanted)

    def derive(
        self,
        *,
        bind: Sequence[type[EntitySchema]] = (),
        extensions: Sequence[Extension] = (),
        only: Iterable[str] | None = None,
        schema: str | None = None,
        prefix: str | None = None,
    ) -> Registry:
        """A new registry from this one: what a host stores, and where.

        ``extensions`` adds each :class:`~bakery_io.format.extensions.Extension`'s entity
        types (placed after what they reference); ``bind`` stores types in the
        host's models, each schema subclassing the format schema of a type
        (``class PantrySchema(IngredientSchema)`` with ``Meta.model``); ``only``
        keeps the named types (every type a kept one references must be kept
        too; a backup's records of a type left out are refused on import, and
        exports never hold them). ``schema`` and ``prefix`` place bakery_io's own
        tables (not a host's bound models) in that database schema and under that
        table-name prefix (:class:`~bakery_io.binding.placement.Placement`); left
        out (None), this registry's placement is kept. The result is checked as a
        whole, once.
        """
        _check_arguments(bind, extensions, only)
        placement = Placement(
            self.placement.schema if schema is None else schema,
            self.placement.prefix if prefix is None else prefix,
        )
        known = {extension.namespace for extension in self.extensions}
        for extension in extensions:
            if extension.namespace in known:
                raise UsageError(f"extension {extension.namespace!r} is in this registry already")
            known.add(extension.namespace)
        added = [schema for extension in extensions for schema in extension.types]
        schemas = _order(self._schemas, added)
        every = (*self.extensions, *extensions)
        held = {schema.opts.entity_type for schema in schemas}
        replaced: dict[str, type[EntitySchema]] = {}
        for bound in bind:
            name = bound.opts.entity_type or ""
            if name not in held:
                raise UsageError(
                    f"{bound.__name__} binds {name!r}, which this registry does not hold"
                )
            if name in replaced:
                raise UsageError(
                    f"{name} is bound twice: {replaced[name].__name__} and {bound.__name__}"
                )
            replaced[name] = bound
        wanted = held if only is None else {self._name(name, held) for name in only}
        dropped = sorted(set(replaced) - wanted)
        if dropped:
            raise UsageError(f"bind names {', '.join(dropped)}, which only= leaves out")

        def kept(types: Iterable[type[EntitySchema]]) -> list[type[EntitySchema]]:
            return [
                replaced.get(schema.opts.entity_type or "", schema)
                for schema in types
                if schema.opts.entity_type in wanted
            ]

        return Registry(
            kept(schemas),
            extensions=[extension.with_types(kept(extension.types)) for extension in every],
            numbers=self._numbers,
            placement=placement,
        )

    def _name(self, name: str, held: set[str | None]) -> str:
        if name not in held:
            raise UsageError(f"unknown entity type {name!r}; known: {', '.join(map(str, held))}")
        return name


def _child_schemas(schema: type[EntitySchema]) -> Iterator[type[EntitySchema]]:
    """The schemas of the children nested in ``schema``'s records, at any depth."""
    for found in declared_fields(schema).values():
        if isinstance(found, Children):
            yield found.schema_class
            yield from _child_schemas(found.schema_class)


def _check_arguments(bind: Any, extensions: Any, only: Any) -> None:
    """``derive``'s arguments are what it takes, or a usage error says what is wrong."""
    if isinstance(bind, (str, type)) or not all(
        isinstance(schema, type) and issubclass(schema, EntitySchema) for schema in bind
    ):
        raise UsageError(f"bind is a list of binding schemas (EntitySchema classes), not {bind!r}")
    if isinstance(extensions, (str, Extension)) or not all(
        isinstance(extension, Extension) for extension in extensions
    ):
        raise UsageError(f"extensions is a list of Extension values, not {extensions!r}")
    if isinstance(only, str):
        raise UsageError(f"only is a list of entity type names, not the string {only!r}")


#: Every entity type of format 1.1, in import order (its file numbers), bound to
#: bakery_io's own models.
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
