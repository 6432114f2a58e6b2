"""The base of every entity schema: fields from the model, rules from ``Meta``.

An entity schema names its model and declares only what the columns cannot
say: references (as natural keys), nested children and record rules. Every
other field is generated from its column (:func:`column_field`), with the
column's facts: type, required or nullable, default, length, and the ranges
and patterns of the model's CHECK constraints. The schema therefore states
the same rules the database enforces.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import cache, cached_property, singledispatch
from typing import Any, ClassVar, Literal

import sqlalchemy as sa
import sqlalchemy.orm
from marshmallow import (
    Schema,
    SchemaOpts,
    ValidationError,
    fields,
    missing,
    validate,
    validates_schema,
)
from marshmallow.schema import SchemaMeta

from bakery_io.binding.models import ColumnRange, Entity
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.errors import UsageError
from bakery_io.format import fields as wire
from bakery_io.format.links import Link
from bakery_io.format.rules import Rule
from bakery_io.format.slugs import SLUG_PATTERN


def _constraint_facts(column: sa.Column[Any]) -> tuple[ColumnRange | None, str | None]:
    """The range and pattern that the table's CHECK constraints put on ``column``."""
    found_range, pattern = None, None
    table = column.table
    for constraint in table.constraints:
        if not isinstance(constraint, sa.CheckConstraint):
            continue
        rule = constraint.info.get("range")
        if isinstance(rule, ColumnRange) and rule.column == column.name:
            found_range = rule
        named = constraint.info.get("pattern")
        if named and named[0] == column.name:
            pattern = named[1]
    return found_range, pattern


@singledispatch
def _field_for_type(kind: sa.types.TypeEngine[Any], column: sa.Column[Any]) -> fields.Field[Any]:
    raise UsageError(
        f"no wire field for column {column} of type {kind!r}: declare the field in the "
        "schema, or use a type bakery_io knows (String, Integer, Boolean, Date, Enum, "
        "bakery_io.binding.sqltypes.ExactDecimal, UTCDateTime)"
    )


@_field_for_type.register
def _(kind: ExactDecimal, column: sa.Column[Any]) -> fields.Field[Any]:
    rule, _pattern = _constraint_facts(column)
    if rule is None:
        return wire.DecimalString(kind.precision, kind.scale)
    return wire.DecimalString(
        kind.precision,
        kind.scale,
        minimum=rule.minimum,
        exclusive_minimum=rule.exclusive_minimum,
        maximum=rule.maximum,
    )


@_field_for_type.register
def _(kind: UTCDateTime, column: sa.Column[Any]) -> fields.Field[Any]:
    return wire.DateTime()


@_field_for_type.register
def _(kind: sa.Date, column: sa.Column[Any]) -> fields.Field[Any]:
    return wire.Date()


@_field_for_type.register
def _(kind: sa.Boolean, column: sa.Column[Any]) -> fields.Field[Any]:
    return wire.Boolean()


@_field_for_type.register
def _(kind: sa.Integer, column: sa.Column[Any]) -> fields.Field[Any]:
    rule, _pattern = _constraint_facts(column)
    bounds: dict[str, Any] = {"min": -wire.MAX_INTEGER, "max": wire.MAX_INTEGER}
    if rule is not None:
        if rule.minimum is not None:
            bounds.update(min=rule.minimum, min_inclusive=not rule.exclusive_minimum)
        if rule.maximum is not None:
            bounds["max"] = rule.maximum
    relation = ">" if not bounds.get("min_inclusive", True) else ">="
    message = f"must be {relation} {bounds['min']} and <= {bounds['max']}"
    return wire.Integer(validate=validate.Range(**bounds, error=message))


@_field_for_type.register
def _(kind: sa.Enum, column: sa.Column[Any]) -> fields.Field[Any]:
    return wire.Enum(kind.enum_class)


@_field_for_type.register
def _(kind: sa.String, column: sa.Column[Any]) -> fields.Field[Any]:
    _rule, pattern = _constraint_facts(column)
    length = [validate.Length(max=kind.length, error="at most {max} characters")]
    if column.name == "uuid":
        return wire.UUID(validate=length)
    if pattern == SLUG_PATTERN:
        return wire.Slug(validate=length)
    return wire.String(pattern=pattern, validate=length if kind.length else [])


def column_field(column: sa.Column[Any]) -> fields.Field[Any]:
    """The wire field of a plain column, with the column's facts."""
    field = _field_for_type(column.type, column)
    field.allow_none = bool(column.nullable)
    default: Any = column.default
    if default is not None and default.is_scalar:
        field.load_default = default.arg
    elif default is not None and default.is_callable:
        make = default.arg  # SQLAlchemy wraps it to take an execution context
        field.load_default = lambda: make(None)
    field.required = not column.nullable and default is None
    return field


@cache
def _wire_defaults(schema_class: type[EntitySchema]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for name, field in schema_class().fields.items():
        default = field.load_default
        if default is missing or callable(default):
            continue
        defaults[field.data_key or name] = field._serialize(default, name, None)
    return defaults


def declared_fields(schema: type[EntitySchema]) -> dict[str, fields.Field[Any]]:
    """The schema's fields in wire order (excluded columns left out)."""
    return {name: field for name, field in schema._declared_fields.items() if field is not None}


@cache
def wire_fields(schema: type[EntitySchema]) -> dict[str, tuple[str, fields.Field[Any]]]:
    """Wire name -> (declared name, field) of every field of ``schema``."""
    return {
        field.data_key or name: (name, field) for name, field in declared_fields(schema).items()
    }


def _generated_fields(
    model: Any, declared: dict[str, fields.Field[Any]], opts: EntitySchemaOpts
) -> dict[str, fields.Field[Any] | None]:
    """A field for each plain column of ``model`` that ``declared`` does not hold, in order.

    A foreign key column is left out: a reference travels as the natural key of
    the row it names, so the schema declares it (:class:`~bakery_io.format.fields.Reference`).
    So is a mapped SQL expression, which no row stores. A column left out by
    ``Meta.exclude`` (or not named by ``Meta.fields``) is given as None, which
    marshmallow then leaves out of the schema.
    """
    generated: dict[str, fields.Field[Any] | None] = {}
    # The mapper's columns, not its attributes: reading those would configure every
    # mapper (resolving all relationships) just to list one table's columns.
    for name, column in sa.inspect(model).columns.items():
        if name in opts.exclude or (opts.fields and name not in opts.fields):
            generated[name] = None
        elif name in declared:
            generated[name] = declared[name]
        elif isinstance(column, sa.Column) and not column.foreign_keys:
            generated[name] = column_field(column)
    return generated


#: Options of marshmallow-sqlalchemy's schemas, which bakery_io's schemas once were.
#: They mean nothing here (a record loads as a dict, a reference by natural key), so
#: naming one is refused rather than ignored.
_FOREIGN_OPTIONS = (
    "include_fk",
    "include_relationships",
    "load_instance",
    "model_converter",
    "sqla_session",
    "table",
    "transient",
)


class EntitySchemaOpts(SchemaOpts):
    """The options of ``Meta`` that bakery_io adds to marshmallow's.

    ``model`` (the mapped class whose columns give the plain fields),
    ``rules`` (record rules), ``links`` (rules across records), ``natural_key``,
    ``entity_type`` (the wire name of the type or child: the model's table name
    unless given) and, for a binding (:mod:`bakery_io.binding.mapping`), ``attributes``
    (wire name to the host model's attribute). ``format`` is the format schema
    whose fields this schema carries: itself, or the one a binding subclasses.
    """

    model: Any

    def __init__(self, meta: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(meta, *args, **kwargs)
        foreign = [name for name in _FOREIGN_OPTIONS if hasattr(meta, name)]
        if foreign:
            raise UsageError(
                f"Meta names {', '.join(foreign)}: options of marshmallow-sqlalchemy, which "
                "bakery_io's schemas do not take (records load as dicts, references by "
                "natural key); leave them out"
            )
        self.model = getattr(meta, "model", None)
        self.rules: tuple[Rule, ...] = tuple(getattr(meta, "rules", ()))
        self.links: tuple[Link, ...] = tuple(getattr(meta, "links", ()))
        self.natural_key: tuple[str, ...] | None = getattr(meta, "natural_key", None)
        self.entity_type: str | None = getattr(meta, "entity_type", None)
        self.attributes: dict[str, str] = dict(getattr(meta, "attributes", {}))
        self.format: type[EntitySchema] | None = None


class EntitySchemaMeta(SchemaMeta):
    """Generates the plain fields from the model's columns and puts every field in wire order.

    Wire order is the model's column order, each reference at its column and
    children last.
    """

    @classmethod
    def get_declared_fields(
        cls,
        klass: Any,
        cls_fields: list[tuple[str, fields.Field[Any]]],
        inherited_fields: list[tuple[str, fields.Field[Any]]],
        dict_cls: type[dict[str, Any]] = dict,
    ) -> dict[str, fields.Field[Any]]:
        model = klass.opts.model
        format_schema = _format_of(klass)
        if format_schema is not None:
            return _bound_fields(klass, format_schema, cls_fields, dict_cls)
        if model is not None and not isinstance(sa.inspect(model, raiseerr=False), sa.orm.Mapper):
            raise UsageError(
                f"{klass.__name__}: Meta.model must be a mapped SQLAlchemy model class, "
                f"not {model!r}"
            )
        declared: dict[str, Any] = super().get_declared_fields(
            klass, cls_fields, inherited_fields, dict_cls
        )
        if model is None:
            return declared
        declared.update(_generated_fields(model, declared, klass.opts))
        klass.opts.format = klass
        klass.opts.entity_type = klass.opts.entity_type or model.__tablename__
        explicit = {name for name, _field in cls_fields}
        # A surrogate key is the database's, never on the wire, whatever its name;
        # the base Meta's ``exclude`` names bakery_io's ``id``, which a host's table may lack.
        surrogates = [
            name
            for name, column in model.__table__.columns.items()
            if column.primary_key and name not in explicit
        ]
        declared.update(dict.fromkeys(surrogates))
        kept = [name for name in klass.opts.exclude if name in declared]
        klass.opts.exclude = tuple(dict.fromkeys([*kept, *surrogates]))
        table: sa.Table = model.__table__
        positions = {name: index for index, name in enumerate(table.columns.keys())}
        scoped: dict[str, float] = {}
        for field in declared.values():
            if isinstance(field, wire.Reference):
                column = table.columns[field.attribute or ""]
                field.required = not column.nullable
                field.allow_none = bool(column.nullable)
                for offset, name in enumerate(field.scope):
                    scoped[name] = positions[column.key] - 0.5 + offset / 100

        def position(item: tuple[str, fields.Field[Any]]) -> float:
            name, field = item
            if field is None:  # an excluded column (``id``)
                return -1
            if isinstance(field, wire.Children):
                return len(positions) + 1
            if name in scoped:
                return scoped[name]
            return positions.get(field.attribute or name, len(positions))

        ordered = dict_cls(sorted(declared.items(), key=position))
        natural_key = klass.opts.natural_key or (("slug",) if "slug" in ordered else ("uuid",))
        klass.opts.natural_key = natural_key
        if natural_key == ("uuid",) and issubclass(model, Entity):
            # The key of a uuid-keyed entity type cannot be made up on import.
            ordered["uuid"].required = True
            ordered["uuid"].load_default = missing
        return ordered


def _format_of(klass: Any) -> type[EntitySchema] | None:
    """The schema whose fields ``klass`` binds, or None if it is no binding.

    A binding subclasses a format schema and names another model, or subclasses
    a binding; its fields are the format's (as that binding stores them), never
    generated from the host's columns.
    """
    for base in klass.__mro__[1:]:
        opts = getattr(base, "opts", None)
        if isinstance(opts, EntitySchemaOpts) and opts.format is not None:
            is_binding = opts.format is not base
            return base if is_binding or opts.model is not klass.opts.model else None
    return None


def _bound_fields(
    klass: Any,
    format_schema: type[EntitySchema],
    cls_fields: list[tuple[str, fields.Field[Any]]],
    dict_cls: type[dict[str, Any]],
) -> dict[str, fields.Field[Any]]:
    """The format's fields with their attributes on the host model, then the host's own.

    Everything the format states (wire names, types, validators, rules, key)
    comes from the format schema; the binding says only where each value is
    stored (``Meta.attributes``), which child schemas bind its children, and
    which fields of its extension it adds (each under a namespaced data_key).
    """
    opts = klass.opts
    source = format_schema.opts
    opts.format = source.format
    opts.entity_type = source.entity_type
    opts.natural_key = source.natural_key
    opts.rules, opts.links = source.rules, source.links
    opts.exclude = ()
    formats = {
        name: copy.deepcopy(field)
        for name, field in format_schema._declared_fields.items()
        if field is not None
    }
    wires = {field.data_key or name: name for name, field in formats.items()}
    unknown = set(opts.attributes) - set(wires)
    if unknown:
        raise UsageError(
            f"{klass.__name__}: Meta.attributes names {sorted(unknown)}, which are not fields "
            f"of {source.entity_type} (its fields: {', '.join(wires)})"
        )
    for wire_name, attribute in opts.attributes.items():
        formats[wires[wire_name]].attribute = attribute
    added: dict[str, fields.Field[Any]] = {}
    for name, field in cls_fields:
        if name in formats and isinstance(formats[name], wire.Children):
            if not isinstance(field, wire.Children):
                raise UsageError(
                    f"{klass.__name__}.{name}: the children of the format stay Children"
                )
            field.data_key = formats[name].data_key
            formats[name] = field
        elif name in formats:
            raise UsageError(
                f"{klass.__name__}.{name} is a field of the format: bind it to another "
                "attribute with Meta.attributes rather than declaring it again"
            )
        else:
            added[name] = field
    children = {name: field for name, field in formats.items() if isinstance(field, wire.Children)}
    plain = {name: field for name, field in formats.items() if name not in children}
    return dict_cls({**plain, **added, **children})


class EntitySchema(Schema, metaclass=EntitySchemaMeta):
    """Base of the schema of an entity type or of a nested child.

    ``Meta.model`` names the model; ``Meta.rules`` lists record rules and
    ``Meta.links`` rules across records (:mod:`bakery_io.format.links`);
    ``Meta.natural_key`` overrides the default key (``slug``, else ``uuid``).
    Loading returns a dict by column name (references as natural keys, or as
    ids inside :func:`bakery_io.format.fields.resolving`), with children as lists
    under the name of the model's relationship.
    """

    OPTIONS_CLASS = EntitySchemaOpts
    opts: ClassVar[EntitySchemaOpts]  # type: ignore[misc]

    class Meta:
        exclude = ("id",)

    def load(  # type: ignore[override]
        self,
        data: Any,
        *,
        many: bool | None = None,
        partial: bool | Sequence[str] | None = None,
        unknown: Literal["exclude", "include", "raise"] | None = None,
    ) -> Any:
        """Check one record and load it as a dict by attribute (never a model instance).

        This is the check of a record on its own: its fields and its own rules.
        References are returned as the natural keys given, not resolved, and the
        rules across records (a recipe's ingredients are leaves, no cycles) are
        not checked: they need the other records and the database.
        :func:`bakery_io.load_records` loads records with every check.
        """
        return super().load(data, many=many, partial=partial, unknown=unknown)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """Dump rows as bakery_io reads them: mappings by field, references as natural keys.

        A model instance is refused: its reference columns hold the ids of other
        rows, not the natural keys the format writes, and only the database can
        tell one from the other. :func:`bakery_io.dump_records` dumps chosen
        records, references and children included.
        """
        items = [obj]
        if self.many if many is None else many:
            # Every item, not the first: a query's result is no Sequence, and a list
            # may hold mappings and instances both.
            obj = items = list(obj)
        for item in items:
            if isinstance(sa.inspect(item, raiseerr=False), sa.orm.InstanceState):
                raise UsageError(
                    f"{type(self).__name__}.dump() takes records as mappings, not a "
                    f"{type(item).__name__} instance: a model holds the ids of the rows it "
                    "references, not the natural keys the format writes; dump chosen records "
                    "with bakery_io.dump_records(bind, {entity type: [keys]})"
                )
        return super().dump(obj, many=many)

    @classmethod
    def wire_defaults(cls) -> dict[str, Any]:
        """Each optional field's default as written on the wire."""
        return _wire_defaults(cls)

    @cached_property
    def _names(self) -> tuple[tuple[str, str, str], ...]:
        """(name, wire name, attribute) of every field."""
        return tuple(
            (name, field.data_key or name, field.attribute or name)
            for name, field in self.fields.items()
        )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_rules(self, data: Mapping[str, Any], original: Any, **_kwargs: Any) -> None:
        if not self.opts.rules or not isinstance(original, Mapping):
            return
        defaults = type(self).wire_defaults()
        invalid = {
            name
            for name, wire_name, attribute in self._names
            if wire_name in original and attribute not in data
        }

        def get(name: str) -> Any:
            return original.get(name, defaults.get(name))

        errors: dict[str, list[str]] = {}
        for rule in self.opts.rules:
            if invalid and invalid.intersection(rule.fields):
                continue
            for name, message in rule.check(get).items():
                errors.setdefault(name, []).append(message)
        if errors:
            raise ValidationError(errors)
