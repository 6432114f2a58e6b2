"""Codecs compiled from the entity schemas: marshmallow's results without its machinery.

Dumping or loading a record through marshmallow costs far more than the fields'
conversions: per field it resolves an accessor, stores errors, wraps the
validators and looks up hooks (about 15,000 loads or 30,000 dumps a second of a
ten-field record). A codec walks a schema once and keeps, for each field, what
marshmallow does with it; per record it runs one loop that calls each field's
own ``_serialize``, ``_deserialize`` and validators and the schema's own record
rules, so the schemas stay the single source of truth. Machinery the codecs do
not reproduce (a hook, an overridden field or schema method, an option other
than the default) is refused when a codec is built; what a codec only meets at
run time (a row without one of its keys, an invalid record) is left to
marshmallow itself. The codecs dump about twice and load about four times as
fast; what remains is mostly the fields' own conversions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, NamedTuple

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate
from marshmallow.decorators import VALIDATES_SCHEMA
from marshmallow.utils import is_collection

from bakery_io.format import fields as wire
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.json_schemas import field_schema
from bakery_io.format.schemas.base import EntitySchema

#: Dumps one row of :func:`bakery_io.queries.read_records` as ``schema().dump(row)`` does.
Dumper = Callable[[Mapping[str, Any]], dict[str, Any]]
#: Loads one record as ``schema().load(record)`` does, or raises ``ValidationError``.
Loader = Callable[[Any], dict[str, Any]]
#: A field's conversion: ``(value, name, whole record)`` as marshmallow calls it.
Convert = Callable[[Any, str, Any], Any]


class UnsupportedSchemaError(TypeError):
    """A schema relies on marshmallow machinery that the codecs do not reproduce."""


#: The schema methods whose marshmallow versions the codecs reproduce.
_SCHEMA_METHODS = (
    "_serialize",
    "get_attribute",
    "_do_load",
    "_deserialize",
    "_call_and_store",
    "_invoke_field_validators",
    "_invoke_schema_validators",
    "_run_validator",
    "_invoke_load_processors",
    "_invoke_processors",
    "handle_error",
)
_FIELD_METHODS = ("serialize", "deserialize", "_validate", "_validate_missing")
#: The hooks whose effect is known: the record rules, called as they are.
_KNOWN_HOOKS: dict[tuple[str, str], Any] = {
    (VALIDATES_SCHEMA, "_check_rules"): EntitySchema._check_rules,
}


def _returns_value(self: Any, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
    return value


def _is_identity(method: Any) -> bool:
    """Whether ``method`` is compiled to ``return value`` (its second argument), nothing else."""
    code = getattr(getattr(method, "__func__", method), "__code__", None)
    reference = _returns_value.__code__
    return code is not None and code.co_code == reference.co_code and code.co_argcount >= 2


def _check_schema(instance: Schema) -> None:
    cls = type(instance)
    problems = [
        f"overrides Schema.{name}"
        for name in _SCHEMA_METHODS
        if getattr(cls, name) is not getattr(Schema, name)
    ]
    # EntitySchema.load is marshmallow's; EntitySchema.dump only refuses model
    # instances, which rows never are.
    problems += [
        f"overrides {name}"
        for name in ("load", "dump")
        if getattr(cls, name) not in (getattr(Schema, name), getattr(EntitySchema, name))
    ]
    for tag, hooks in instance._hooks.items():
        for name, pass_collection, options in hooks:
            known = _KNOWN_HOOKS.get((tag, name))
            if known is None or getattr(cls, name) is not known or pass_collection:
                problems.append(f"has the {tag} hook {name}")
            elif tag == VALIDATES_SCHEMA and not options.get("pass_original"):
                problems.append(f"{name} does not take the original record")
    settings = (instance.many, bool(instance.partial), instance.unknown, instance.dict_class)
    if settings != (False, False, RAISE, dict):
        problems.append(f"has the options many/partial/unknown/dict_class {settings}")
    for name, field in instance.fields.items():
        kind = type(field)
        problems += [
            f"field {name} overrides Field.{method}"
            for method in _FIELD_METHODS
            if getattr(kind, method) is not getattr(fields.Field, method)
        ]
        if kind._validate_all is not fields.Field._validate_all:
            problems.append(f"field {name} overrides Field._validate_all")
        if field.pre_load or field.post_load or not field._CHECK_ATTRIBUTE:
            problems.append(f"field {name} has pre_load/post_load or no attribute")
        if "." in (field.attribute or name):
            problems.append(f"field {name} loads into a dotted path")
    if problems:
        raise UnsupportedSchemaError(f"{cls.__name__}: {'; '.join(problems)}")


def _nested(field: fields.Field[Any]) -> Schema | None:
    """The child schema of a list of nested records that a codec can take over, else None."""
    inner = field.inner if isinstance(field, fields.List) else None
    if not isinstance(inner, fields.Nested) or type(inner) is not fields.Nested:
        return None
    simple = not (inner.many or inner.allow_none or inner.unknown or inner.validators)
    plain = not (inner.pre_load or inner.post_load) and not inner.schema.many
    return inner.schema if simple and plain else None


def _source(field: fields.Field[Any], name: str) -> str:
    """The row key the field's own ``get_value`` reads (it must read exactly one)."""
    asked: list[str] = []

    def accessor(obj: Any, key: str, default: Any) -> Any:
        asked.append(key)
        return _returns_value

    value = field.get_value({}, name, accessor=accessor)
    if value is not _returns_value or len(asked) != 1 or "." in asked[0]:
        raise UnsupportedSchemaError(f"field {name}: get_value does not read one key of the row")
    return asked[0]


def generated(lines: list[str], scope: dict[str, Any], origin: str) -> Any:
    """The function that ``lines`` (Python source defining one) define, with the names
    of ``scope``; ``origin`` names it in tracebacks (``<loader>``).

    Source is only ever built from schemas and tables, never from data: names
    and keys enter it through ``repr``.
    """
    namespace = dict(scope)
    exec(compile("\n".join(lines) + "\n", origin, "exec"), namespace)
    (name,) = set(namespace) - set(scope) - {"__builtins__"}
    return namespace[name]


#: The ``_serialize`` methods that return None and a ``str`` as they are (the dumper
#: does so in line).
_WRITES_TEXT = frozenset({fields.String._serialize, wire.String._serialize})


def _dump_list(dump_item: Dumper) -> Convert:
    def convert(value: Any, attr: str, obj: Any) -> Any:
        # fields.List._serialize around fields.Nested._serialize, with the child's dumper.
        if value is None:
            return None
        return [None if item is None else dump_item(item) for item in value]

    return convert


def _typed_view(
    instance: Schema, text: frozenset[tuple[type[Schema], str]]
) -> Callable[[Any], Any] | None:
    """What turns a row whose ``text`` fields may hold their wire text (children's
    included) into the row of values that marshmallow's dump takes; None when no
    field of ``instance`` or its children is in ``text``.

    Each such text is what the field writes for the value its ``load_valid`` gives.
    """
    steps: list[tuple[str, Callable[[Any], Any]]] = []
    for name, field in instance.dump_fields.items():
        child = _nested(field)
        if child is not None:
            inner = _typed_view(child, text)
            if inner is not None:
                steps.append((_source(field, name), _typed_list(inner)))
        elif (type(instance), name) in text:
            steps.append((_source(field, name), _typed_value(field, name)))
    if not steps:
        return None

    def view(row: Any) -> Any:
        if not isinstance(row, Mapping):
            return row
        values = dict(row)
        for source, convert in steps:
            if source in values:
                values[source] = convert(values[source])
        return values

    return view


def _typed_value(field: fields.Field[Any], name: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return field.load_valid(value, name, None) if value.__class__ is str else value  # type: ignore[attr-defined]

    return convert


def _typed_list(view: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(items: Any) -> Any:
        return [view(item) for item in items] if isinstance(items, list) else items

    return convert


def _build_dumper(instance: Schema, text: frozenset[tuple[type[Schema], str]]) -> Dumper:
    _check_schema(instance)
    plan: list[tuple[str, str, str, Convert | None]] = []
    for name, field in instance.dump_fields.items():
        child = _nested(field)
        convert: Convert | None = field._serialize
        if child is not None:
            convert = _dump_list(_build_dumper(child, text))
        elif _is_identity(field._serialize):
            convert = None
        plan.append((field.data_key or name, _source(field, name), name, convert))

    # One generated function: the record as one dict display, a field's value read
    # and converted in line.
    scope: dict[str, Any] = {"fallback": instance.dump}
    typed = _typed_view(instance, text)
    if typed is not None:
        # marshmallow's fields take values, not their wire text.
        scope["fallback"] = lambda row: instance.dump(typed(row))
    values = []
    for number, (key, source, name, convert) in enumerate(plan):
        value = f"row[{source!r}]"
        if convert is not None:
            scope[f"convert{number}"] = convert
            value = f"convert{number}({value}, {name!r}, row)"
            if (type(instance), name) in text or getattr(convert, "__func__", None) in _WRITES_TEXT:
                # A str is written as it is, in line (no call); anything else is converted.
                value = (
                    f"(value if (value := row[{source!r}]).__class__ is str or value is None "
                    f"else convert{number}(value, {name!r}, row))"
                )
        values.append(f"{key!r}: {value}")
    lines = [
        "def dump(row):",
        "    try:",
        f"        return {{{', '.join(values)}}}",
        # What marshmallow's accessor takes for "not there" (it then tries an
        # attribute, and omits what it does not find): marshmallow decides. An
        # error of a conversion instead is raised again by marshmallow itself.
        "    except (KeyError, IndexError, TypeError, AttributeError):",
        "        pass",
        "    return fallback(row)",
    ]
    dump: Dumper = generated(lines, scope, "<dumper>")
    return dump


def _load_list(load_item: Loader) -> Convert:
    def convert(value: Any, attr: str, data: Any) -> Any:
        # fields.List._deserialize around fields.Nested, with the child's loader.
        if not is_collection(value):
            raise ValidationError("Not a valid list.")
        return [load_item(item) for item in value]

    return convert


def _validator(validators: list[Callable[[Any], Any]]) -> Callable[[Any], Any] | None:
    """What Field._validate does: ``And`` of the validators (a lone Validator raises as it)."""
    if len(validators) == 1 and isinstance(validators[0], validate.Validator):
        return validators[0]
    return validate.And(*validators) if validators else None


class _Step(NamedTuple):
    """What loading does with one field (unpacked in this order per record)."""

    key: str  # data_key or name: where the record holds the value
    attribute: str  # attribute or name: where the loaded dict holds it
    required: bool
    allow_none: bool
    default: Any  # load_default: a value, a callable, or missing
    convert: Convert  # the field's _deserialize (a list of children: the child's loader)
    check: Callable[[Any], Any] | None  # the field's validators


def _owner(kind: type, name: str) -> type | None:
    """The class in ``kind``'s MRO that defines ``name``."""
    return next((cls for cls in kind.__mro__ if name in vars(cls)), None)


def _valid_conversion(field: fields.Field[Any]) -> Convert:
    """The field's ``load_valid`` (see :mod:`bakery_io.format.fields`) where it belongs with its
    ``_deserialize``, else ``_deserialize``: what loads a value its JSON Schema accepts."""
    kind = type(field)
    checked, valid = _owner(kind, "_deserialize"), _owner(kind, "load_valid")
    if valid is not None and checked is not None and issubclass(valid, checked):
        convert: Convert = field.load_valid  # type: ignore[attr-defined]
        return convert
    return field._deserialize


def _said(field: fields.Field[Any], validator: Any) -> bool:
    """Whether the field's JSON Schema makes the check of ``validator`` itself: a
    length's maximum (``maxLength`` counts characters, as ``len`` does) or a whole
    number's range, exactly as the validator states it."""
    said = field_schema(field)
    if isinstance(validator, validate.Length):
        return (
            validator.min is None
            and validator.equal is None
            and validator.max is not None
            and said.get("maxLength") == validator.max
        )
    if isinstance(validator, validate.Range) and said.get("type") == "integer":
        bounds = {
            ("minimum" if validator.min_inclusive else "exclusiveMinimum"): validator.min,
            ("maximum" if validator.max_inclusive else "exclusiveMaximum"): validator.max,
        }
        return all(said.get(name) == bound for name, bound in bounds.items() if bound is not None)
    return False


def _build_loader(instance: Schema, valid: bool) -> Loader:
    """The loader of ``instance`` that stops at the first error it finds (its own message).

    ``valid``: for records that conform to the published JSON Schemas, which
    make some of the fields' checks already (:func:`_valid_conversion`, :func:`_said`).

    marshmallow goes on after an error to collect every message, and still
    raises: stopping early changes only the message, since neither the fields
    nor the record rules raise anything but ``ValidationError`` on a JSON value.
    """
    _check_schema(instance)
    plan: list[_Step] = []
    for name, field in instance.load_fields.items():
        child = _nested(field)
        if child is not None:
            convert = _load_list(_build_loader(child, valid))
        else:
            convert = _valid_conversion(field) if valid else field._deserialize
        plan.append(
            _Step(
                key=field.data_key or name,
                attribute=field.attribute or name,
                required=field.required,
                allow_none=bool(field.allow_none),
                default=field.load_default,
                convert=convert,
                check=_validator([v for v in field.validators if not (valid and _said(field, v))]),
            )
        )
    keys = frozenset(step.key for step in plan)
    rules = getattr(instance.opts, "rules", ())
    check_rules = getattr(instance, "_check_rules", None) if rules else None
    return _generated_loader(plan, keys, check_rules)


def _passed_over(record: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """``record`` without the fields of extensions the schema does not know; any other
    field the schema lacks (its own namespace's included) is refused."""
    own = {key.partition(":")[0] for key in keys if is_namespaced(key)}
    unknown = [
        key
        for key in record
        if key not in keys
        and not (isinstance(key, str) and is_namespaced(key) and key.partition(":")[0] not in own)
    ]
    if unknown:
        raise ValidationError(f"Unknown field: {unknown}")
    return {key: value for key, value in record.items() if key in keys}


def _generated_loader(
    plan: list[_Step], keys: frozenset[str], check_rules: Callable[..., Any] | None
) -> Loader:
    """The loader of ``plan`` as one generated function: each field's steps in line.

    Schema._do_load, _deserialize and Field.deserialize for one record,
    flattened: per field it reads the value, then takes the missing, null or
    given branch, with what does not apply to the field left out.
    """
    scope: dict[str, Any] = {
        "Mapping": Mapping,
        "ValidationError": ValidationError,
        "missing": missing,
        "keys": keys,
        "check_rules": check_rules,
        "passed_over": _passed_over,
    }
    lines = [
        "def load(record):",
        "    if not isinstance(record, Mapping):",
        "        raise ValidationError('Invalid input type.')",
        "    if not keys.issuperset(record):",
        "        record = passed_over(record, keys)",
        "    loaded = {}",
        "    get = record.get",
    ]
    for number, step in enumerate(plan):
        key, attribute = repr(step.key), repr(step.attribute)
        scope[f"convert{number}"], scope[f"check{number}"] = step.convert, step.check
        scope[f"default{number}"] = step.default
        if step.required:
            absent = f"raise ValidationError('Missing data for required field.', {key})"
        elif callable(step.default):
            absent = f"value = default{number}()"
        else:
            absent = f"value = default{number}"
        null = (
            "pass" if step.allow_none else f"raise ValidationError('Field may not be null.', {key})"
        )
        lines += [
            f"    value = get({key}, missing)",
            "    if value is missing:",
            f"        {absent}",
            "    elif value is None:",
            f"        {null}",
            "    else:",
            f"        value = convert{number}(value, {key}, record)",
        ]
        if step.check is not None:
            lines.append(f"        check{number}(value)")
        lines += ["    if value is not missing:", f"        loaded[{attribute}] = value"]
    if check_rules is not None:
        lines.append("    check_rules(loaded, record)")
    lines.append("    return loaded")
    load: Loader = generated(lines, scope, "<loader>")
    return load


@cache
def dumper(
    schema: type[EntitySchema], *, text: frozenset[tuple[type[Schema], str]] = frozenset()
) -> Dumper:
    """What ``schema().dump(row)`` returns, children included, in the same key order.

    Each field's own ``_serialize`` converts its value (skipped where it is
    compiled to ``return value``); a row that lacks one of the keys goes to
    marshmallow, and so does a row that is not a mapping. Raises
    :class:`UnsupportedSchemaError` for a schema it cannot reproduce.

    ``text`` names fields (by schema class and field name, children's included)
    whose ``str`` value is the field's wire text already, read from its stored
    form (:mod:`bakery_io.binding.wire_reads`): it is written as it is. Rows read
    by :func:`bakery_io.queries.read_records` say which with
    :func:`bakery_io.queries.row_dumper`.
    """
    return _build_dumper(schema(), text)


@cache
def loader(schema: type[EntitySchema], *, recheck: bool = True, valid: bool = False) -> Loader:
    """What ``schema().load(record)`` returns, or ``ValidationError`` where it raises one.

    The loader runs marshmallow's algorithm with the fields' own conversions
    and validators and the schema's record rules, stopping at the first error.
    With ``recheck`` (the default) a record it finds invalid is loaded again by
    marshmallow, so the error carries marshmallow's messages; without, the
    error is the codec's own and names only the first problem. References load
    as ids inside :func:`bakery_io.format.fields.resolving`, as the field does. With
    ``valid``, it takes only records that conform to the published JSON
    Schemas, and skips the checks those make. Raises
    :class:`UnsupportedSchemaError` for a schema it cannot reproduce.
    """
    instance = schema()
    load = _build_loader(instance, valid)
    if not recheck:
        return load

    def load_or_explain(record: Any) -> dict[str, Any]:
        try:
            return load(record)
        except ValidationError:
            pass
        result: dict[str, Any] = instance.load(record)  # raises with marshmallow's messages
        return result

    return load_or_explain
