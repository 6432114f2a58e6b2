"""Conformance: whether a file is valid against JSON Schemas, and why not, in words.

The published JSON Schemas of each format version (or those generated from a
host's registry) are compiled once: jsonschema-rs decides fast whether a file
conforms, python-jsonschema explains what does not, one hook per keyword, so
that every problem reads as a sentence with its JSON pointer, record and key.
The record rules JSON Schema cannot say are checked here too. The check of a
whole source (:mod:`bakery_io.validation`) calls these for each file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from bakery_io.format import json_schemas
from bakery_io.format.fields import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    UUID_PATTERN,
    Children,
    DecimalString,
    describe_json,
)
from bakery_io.format.json_schemas import (
    portable_pattern,
)
from bakery_io.format.rules import Rule
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import SLUG_PATTERN
from bakery_io.problems import Problem, pointer
from bakery_io.registry import REGISTRY
from bakery_io.registry import Registry as BindingRegistry
from bakery_io.versions import (
    CURRENT_VERSION,
)

# The validators are imported where a file is first checked, not with this module, so
# that importing a job stays quick; and python-jsonschema, which only explains what is
# not valid, is not imported at all for a sound backup.
if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError


def schemas_directory() -> Traversable:
    """Where the published JSON Schemas are: inside the installed wheel, else the source tree."""
    packaged = resources.files("bakery_io").joinpath("schemas_json")
    if packaged.is_dir():
        return packaged
    return resources.files("bakery_io").joinpath("..", "schemas_json")


def published_versions() -> tuple[str, ...]:
    """The format versions with published JSON Schemas."""
    return tuple(sorted(entry.name for entry in schemas_directory().iterdir() if entry.is_dir()))


@cache
def _documents(version: str) -> dict[str, Any]:
    """The published JSON Schemas of ``version`` by file name."""
    folder = schemas_directory().joinpath(version)
    return {
        entry.name: json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".schema.json")
    }


def _documents_for(version: str, registry: BindingRegistry) -> dict[str, Any]:
    """The JSON Schemas a file of ``version`` is checked against: the published ones, or
    for a registry other than the stock one those generated from it (its extensions)."""
    if registry.is_stock or version != CURRENT_VERSION:
        return _documents(version)
    return _generated(registry)


@cache
def _generated(registry: BindingRegistry) -> dict[str, Any]:
    return json_schemas.generate(CURRENT_VERSION, registry)


@cache
def _validators(
    version: str, registry: BindingRegistry = REGISTRY
) -> dict[str, Draft202012Validator]:
    """python-jsonschema's validators: the reference, and the source of every message."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415 (see the imports)
    from referencing import Registry, Resource  # noqa: PLC0415

    documents = _documents_for(version, registry)
    resources: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    return {
        name: Draft202012Validator(document, registry=resources)
        for name, document in documents.items()
    }


@cache
def _fast_validators(
    version: str, registry: BindingRegistry = REGISTRY
) -> dict[str, jsonschema_rs.Validator]:
    """jsonschema-rs validators of the same documents: the same Draft 2020-12, compiled.

    Formats are annotations, as for python-jsonschema without a format checker.
    """
    import jsonschema_rs  # noqa: PLC0415 (see the imports)

    documents = {
        name: _for_automata(document)
        for name, document in _documents_for(version, registry).items()
    }
    resources = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents.values()])
    return {
        name: jsonschema_rs.validator_for(document, registry=resources, validate_formats=False)
        for name, document in documents.items()
    }


def _for_automata(schema: Any) -> Any:
    """``schema`` with the same patterns said without lookaheads where we know how, for
    jsonschema-rs.

    It matches a pattern with a lookaround by backtracking, and one without by a
    compiled automaton: the two changes below took the check of a production run
    from 12.6 to 5.0 µs. Each pattern's portable end (:func:`portable_pattern`'s
    ``(?!\\n)$``) is a plain ``$`` again: jsonschema-rs reads ``$`` as ECMA-262
    does, the end of the text only. A calendar pattern then takes its form without
    a lookahead on the year (``WITHOUT_LOOKAHEADS``).
    """
    if isinstance(schema, dict):
        return {
            key: (
                _automaton_pattern(value)
                if key == "pattern" and isinstance(value, str)
                else _for_automata(value)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_for_automata(item) for item in schema]
    return schema


def _automaton_pattern(pattern: str) -> str:
    if not pattern.endswith(json_schemas.PORTABLE_END):
        return pattern
    plain = pattern[: -len(json_schemas.PORTABLE_END)] + "$"
    return json_schemas.WITHOUT_LOOKAHEADS.get(plain, plain)


def conforms(content: Any, schema: str, version: str, registry: BindingRegistry = REGISTRY) -> bool:
    """Whether ``content`` is valid against the published ``schema``, decided fast.

    Content the fast validator cannot take as it is (a JSON number with a
    fraction, a lone surrogate) counts as not valid here, so that the exact
    validator decides and explains.
    """
    try:
        return _fast_validators(version, registry)[schema].is_valid(content)
    except (ValueError, UnicodeEncodeError):
        return False


# ---------------------------------------------------------------------------
# Messages: one hook per JSON Schema keyword, so each error reads as a sentence.

_PATTERN_NAMES = {
    portable_pattern(SLUG_PATTERN): (
        "a slug (lower-case ASCII letters and digits joined by single '-' or '_')"
    ),
    portable_pattern(UUID_PATTERN): "a UUID (8-4-4-4-12 hexadecimal digits)",
    portable_pattern(DATE_PATTERN): "a date as 'YYYY-MM-DD'",
    portable_pattern(DATETIME_PATTERN): (
        "a datetime with a UTC offset, like '2026-11-22T09:30:00Z'"
    ),
}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

Located = tuple[tuple[str | int, ...], str]


# jsonschema types these attributes loosely (``Any | Unset``); they are set on every error.
def _expected(error: SchemaError) -> Any:
    return error.validator_value


def _got(error: SchemaError) -> Any:
    return error.instance


def _schema(error: SchemaError) -> Mapping[str, Any]:
    schema = error.schema
    return schema if isinstance(schema, Mapping) else {}


def _why(error: SchemaError) -> str:
    description = _schema(error).get("description")
    return f" ({description})" if description else ""


def _type(error: SchemaError) -> Iterator[Located]:
    expected = _expected(error)
    names = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
    yield (), f"expected {wanted}, got {describe_json(_got(error))}"


def _required(error: SchemaError) -> Iterator[Located]:
    instance = _got(error) if isinstance(_got(error), Mapping) else {}
    for name in _expected(error):
        if name not in instance:
            yield (name,), f"required field is missing{_why(error)}"


def _additional(error: SchemaError) -> Iterator[Located]:
    schema = _schema(error)
    allowed = set(schema.get("properties", {}))
    # Names of extensions the schema does not know are let through by pattern.
    passed = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    for name in _got(error):
        if name not in allowed and not any(pattern.search(name) for pattern in passed):
            yield (name,), "unknown field: not part of this format version"


@cache
def _decimals() -> dict[str, DecimalString]:
    """The decimal fields of every schema by their published pattern, to explain a mismatch."""
    found: dict[str, DecimalString] = {}
    schemas = [entity.schema for entity in REGISTRY]
    while schemas:
        schema = schemas.pop()
        for declared in declared_fields(schema).values():
            if isinstance(declared, DecimalString):
                found[portable_pattern(declared.pattern)] = declared
            elif isinstance(declared, Children):
                schemas.append(declared.schema_class)
    return found


def _pattern(error: SchemaError) -> Iterator[Located]:
    decimal = _decimals().get(_expected(error))
    if decimal is not None and isinstance(_got(error), str):
        yield (), decimal.explain(_got(error))
        return
    expected = _PATTERN_NAMES.get(_expected(error)) or _schema(error).get("description")
    expected = expected or f"text matching {_expected(error)}"
    yield (), f"expected {expected}, got {describe_json(_got(error))}"


def _enum(error: SchemaError) -> Iterator[Located]:
    choices = ", ".join(json.dumps(choice) for choice in _expected(error))
    yield (), f"expected one of {choices}, got {describe_json(_got(error))}"


def _const(error: SchemaError) -> Iterator[Located]:
    yield (), f"expected {json.dumps(_expected(error))}, got {describe_json(_got(error))}"


def _max_length(error: SchemaError) -> Iterator[Located]:
    yield (), f"at most {_expected(error)} characters, got {len(_got(error))}"


def _bound(relation: str) -> Callable[[SchemaError], Iterator[Located]]:
    def hook(error: SchemaError) -> Iterator[Located]:
        yield (), f"must be {relation} {_expected(error)}, got {_got(error)}"

    return hook


def _unique(error: SchemaError) -> Iterator[Located]:
    """Each repeated item, at its own pointer, naming the first it repeats."""
    first: dict[str, int] = {}
    for position, item in enumerate(_got(error)):
        text = json.dumps(item, sort_keys=True)
        if text in first:
            yield (position,), f"the same as item {first[text]}: each may be listed once"
        else:
            first[text] = position


def _not(error: SchemaError) -> Iterator[Located]:
    if _expected(error) == {"type": "null"}:
        yield (), f"may not be null{_why(error)}"
    else:
        yield (), error.message


def _null_only(error: SchemaError) -> Iterator[Located]:
    yield (), f"must be null or absent{_why(error)}"


def _combination(error: SchemaError) -> Iterator[Located]:
    yield (), f"breaks the rule: {_schema(error).get('description') or error.message}"


def _any_of(error: SchemaError) -> Iterator[Located]:
    """An ``anyOf`` of one branch per JSON type, several besides null (a 1.0 decimal:
    number, string or null), reads as the problem of the branch of the value's type,
    as a union ``type`` would; any other ``anyOf`` is a rule broken."""
    types = [branch.get("type") for branch in _expected(error)]
    unions = all(isinstance(name, str) for name in types) and len(set(types) - {"null"}) > 1
    if not unions:
        yield from _combination(error)
        return
    from jsonschema import Draft202012Validator  # noqa: PLC0415 (see the imports)

    checker = Draft202012Validator.TYPE_CHECKER
    matching = [i for i, name in enumerate(types) if checker.is_type(_got(error), name)]
    if not matching:
        names = " or ".join(_TYPE_NAMES.get(name, name) for name in types)
        yield (), f"expected {names}, got {describe_json(_got(error))}"
        return
    for sub in error.context or ():
        if sub.relative_schema_path and sub.relative_schema_path[0] in matching:
            yield from _messages(sub)


_HOOKS: dict[str, Callable[[SchemaError], Iterator[Located]]] = {
    "type": _type,
    "required": _required,
    "additionalProperties": _additional,
    "pattern": _pattern,
    "enum": _enum,
    "const": _const,
    "maxLength": _max_length,
    "minimum": _bound(">="),
    "exclusiveMinimum": _bound(">"),
    "maximum": _bound("<="),
    "exclusiveMaximum": _bound("<"),
    "not": _not,
    "uniqueItems": _unique,
    "oneOf": _combination,
    "anyOf": _any_of,
}


def _messages(error: SchemaError) -> Iterator[Located]:
    if error.validator == "type" and _expected(error) == "null":
        yield from _null_only(error)
        return
    hook = _HOOKS.get(str(error.validator))
    if hook is None:
        yield (), error.message
    else:
        yield from hook(error)


def _natural_key(record: Any, entity_type: Any, registry: BindingRegistry) -> str | None:
    if not isinstance(record, Mapping) or entity_type not in registry:
        return None
    parts = [record.get(name) for name in registry[entity_type].natural_key]
    texts = [part for part in parts if isinstance(part, str)]
    return " / ".join(texts) if len(texts) == len(parts) else None


def schema_problems(
    filename: str,
    content: Any,
    schema: str,
    version: str,
    registry: BindingRegistry = REGISTRY,
) -> Iterator[Problem]:
    """Every problem of ``content`` against the JSON Schema ``schema`` of ``registry``."""
    if conforms(content, schema, version, registry):
        return
    validator = _validators(version, registry)[schema]
    entity_type = content.get("entity_type") if isinstance(content, Mapping) else None
    # A schema may require a field in several of its branches (a record's own required
    # fields, and again where a rule applies): the same problem is said once.
    said: set[tuple[str, str]] = set()
    for error in validator.iter_errors(content):
        path = tuple(error.absolute_path)
        record: int | None = None
        key = None
        in_records = bool(path) and (path[0] == "records" or path[0] in registry)
        if in_records and len(path) >= 2 and isinstance(path[1], int):
            # records/<i>/... in an entity file, <type>/<i>/... in a document
            record = path[1]
            kind = entity_type if path[0] == "records" else str(path[0])
            records = content.get(path[0]) if isinstance(content, Mapping) else None
            if isinstance(records, list) and record < len(records):
                key = _natural_key(records[record], kind, registry)
        for extra, message in _messages(error):
            where = pointer(*path, *extra)
            if (where, message) not in said:
                said.add((where, message))
                yield Problem(filename, where, message, record, key)


@cache
def _unsaid(schema: type[EntitySchema]) -> tuple[tuple[Rule, ...], dict[str, Any], dict[str, Any]]:
    """The rules of ``schema`` that its JSON Schema cannot say, its defaults, its children."""
    defaults = schema.wire_defaults()
    rules = tuple(rule for rule in schema.opts.rules if rule.json_schema(defaults) is None)
    children = {
        name: field.schema_class
        for name, field in declared_fields(schema).items()
        if isinstance(field, Children)
    }
    return rules, defaults, children


@cache
def _has_unsaid(schema: type[EntitySchema]) -> bool:
    """Whether ``schema`` or a schema of its children has a rule its JSON Schema cannot say."""
    rules, _defaults, children = _unsaid(schema)
    return bool(rules) or any(_has_unsaid(child) for child in children.values())


def _record_rules(
    filename: str, schema: type[EntitySchema], record: Any, path: tuple[str | int, ...]
) -> Iterator[Problem]:
    if not isinstance(record, Mapping):
        return
    rules, defaults, children = _unsaid(schema)

    def get(name: str) -> Any:
        return record.get(name, defaults.get(name))

    for rule in rules:
        for name, message in rule.check(get).items():
            yield Problem(filename, pointer(*path, name), f"{message} ({rule.describe()})")
    for name, child_schema in children.items():
        items = record.get(name)
        for position, item in enumerate(items if isinstance(items, list) else []):
            yield from _record_rules(filename, child_schema, item, (*path, name, position))


def rule_problems(
    filename: str, content: Any, registry: BindingRegistry = REGISTRY
) -> Iterator[Problem]:
    """Problems with the record rules that JSON Schema cannot express (checked on load too)."""
    if not isinstance(content, Mapping):
        return
    if "entity_type" in content:
        sections = [("records", content.get("entity_type"))]
    else:
        sections = [(name, name) for name in content if name in registry]
    for key, entity_type in sections:
        records = content.get(key)
        if not isinstance(entity_type, str) or entity_type not in registry:
            continue
        schema = registry[entity_type].schema
        if not _has_unsaid(schema):  # most of the history: nothing to look at in a record
            continue
        for position, record in enumerate(records if isinstance(records, list) else []):
            for problem in _record_rules(filename, schema, record, (key, position)):
                key_text = _natural_key(record, entity_type, registry)
                yield replace(problem, record=position, key=key_text)
