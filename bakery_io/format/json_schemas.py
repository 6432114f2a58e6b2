"""JSON Schemas (Draft 2020-12) generated from the marshmallow schemas.

Each field class has a hook that says how it looks in JSON Schema (a
:func:`functools.singledispatch` registry); record rules describe themselves
(:meth:`bakery_io.format.rules.Rule.json_schema`). The generated files are committed
under ``schemas_json/<version>/`` and shipped in the wheel; a test fails when
regenerating them would change a byte. Regenerate with
``bakery-io schemas schemas_json``.

A registry with extensions (:class:`bakery_io.Extension`) has schemas of its
own, under ``$id``s of their own (``.../1.1/ext/acme-1/``): its extension
types and fields are declared like the core's. Every 1.1 schema, the
published ones included, lets through what is named in a namespace it does
not know (``other:field`` in a record, ``other:type`` files and document
keys), so any reader checks the core of any extended backup.

Format 1.0's schemas are the current ones widened by exactly the differences
the upgrade step undoes (:mod:`bakery_io.versions.v1_0_to_v1_1`): ids beside
references, names instead of slugs for events, recipients and packages,
id-only references, loose slugs, decimals as numbers, naive datetimes. Once
1.1 stops being current, these folders become frozen files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import singledispatch
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marshmallow import fields, validate

from bakery_io.errors import UsageError
from bakery_io.format import fields as wire
from bakery_io.format.bundles import BUNDLED_FOLDER, bundles
from bakery_io.format.extensions import NAMESPACE_PATTERN, NAMESPACED_PATTERN
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import SLUG_PATTERN
from bakery_io.registry import REGISTRY, EntityType, Registry
from bakery_io.versions import CURRENT_VERSION, filename
from bakery_io.versions import v1_0_to_v1_1 as v1_0

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Identifiers, not addresses: the files refer to each other relatively, so a
#: validator given the directory resolves everything offline.
BASE_ID = "https://bakery-io.dev/schemas/"

MANIFEST_SCHEMA = "manifest.schema.json"
DOCUMENT_SCHEMA = "document.schema.json"
ENTITY_FILE_SCHEMA = "entity-file.schema.json"
SHA256_PATTERN = "^[0-9a-f]{64}$"
#: A core entity file (``01_suppliers.json``) or an extension's (``acme.01_ovens.json``).
ENTITY_FILENAME_PATTERN = (
    rf"^(?:[0-9]{{2}}_[a-z_]+|{NAMESPACE_PATTERN}\.[0-9]{{2}}_[a-z][a-z0-9_]*)\.json$"
)
#: Where the schemas of a registry with extensions live, under the version's base.
#: Where the schemas of a registry of part of the format go (``1.1/subset-<digest>/``).
SUBSET_FOLDER = "subset"
EXTENSIONS_FOLDER = "ext"


#: The end anchor of :func:`portable_pattern`.
PORTABLE_END = "(?!\\n)$"


def portable_pattern(pattern: str) -> str:
    """``pattern`` with its final ``$`` meaning "end of text" in every dialect.

    JSON Schema patterns are ECMA-262 regular expressions, where ``$`` matches
    only at the end; Python's ``re`` (which Python validators use) also lets it
    match before a final newline, so ``"flour\\n"`` would pass as a slug there.
    ``(?!\\n)$`` means the same in both.
    """
    if pattern.endswith("$") and not pattern.endswith(PORTABLE_END):
        return pattern[:-1] + PORTABLE_END
    return pattern


def _portable(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: portable_pattern(value) if key == "pattern" else _portable(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_portable(item) for item in schema]
    return schema


def entity_schema_name(entity_type: str) -> str:
    """File name of the JSON Schema of one entity type's file.

    ``suppliers.schema.json``; ``acme.ovens.schema.json`` for the extension type
    ``acme:ovens``.
    """
    return f"{entity_type.replace(':', '.')}.schema.json"


def schema_base(version: str = CURRENT_VERSION, registry: Registry = REGISTRY) -> str:
    """The base of the ``$id``s of ``registry``'s schemas of ``version``.

    The published set's is ``https://bakery-io.dev/schemas/<version>/``; a
    registry with extensions gets ``<version>/ext/acme-1+other-2/`` (its
    extensions with their versions), so that its set never collides with the
    published one or with that of other extensions.
    """
    if registry.is_stock:
        return f"{BASE_ID}{version}/"
    # Two registries with the same extensions may hold other types or other fields:
    # the ids of each set end in a digest of what it describes.
    digest = _shape_digest(registry)
    extensions = sorted(registry.extensions, key=lambda extension: extension.namespace)
    if not extensions:
        return f"{BASE_ID}{version}/{SUBSET_FOLDER}-{digest}/"
    named = "+".join(f"{e.namespace}-{quote(e.version, safe='')}" for e in extensions)
    return f"{BASE_ID}{version}/{EXTENSIONS_FOLDER}/{named}/{digest}/"


def _shape_digest(registry: Registry) -> str:
    """A short digest of the entity types of ``registry`` and the wire names of their
    fields, children's included: what makes two registries' schemas differ."""
    digest = hashlib.sha256()

    def add(schema: type[EntitySchema]) -> None:
        for name, found in declared_fields(schema).items():
            digest.update(f"{found.data_key or name}\n".encode())
            if isinstance(found, wire.Children):
                add(found.schema_class)

    for entity in registry:
        digest.update(f"[{entity.name}]\n".encode())
        add(entity.schema)
    return digest.hexdigest()[:12]


def foreign_pattern(registry: Registry = REGISTRY) -> str:
    """The pattern of the namespaced names (``other:name``) of extensions ``registry`` lacks.

    What a registry's schemas let through unchecked: a stock one, every
    namespaced name; one with the extension ``acme``, those of other
    namespaces only, so that a misspelt ``acme:`` name is refused.
    """
    known = sorted(extension.namespace for extension in registry.extensions)
    alternatives = "|".join(known) if len(known) < 2 else f"(?:{'|'.join(known)})"
    unknown = f"(?!{alternatives}:)" if known else ""
    return portable_pattern(f"^{unknown}{NAMESPACED_PATTERN}$")


def field_schema(field: fields.Field[Any]) -> dict[str, Any]:
    """The JSON Schema of one marshmallow field (without nullability and default)."""
    schema: dict[str, Any] = _portable(_field_schema(field))
    return schema


@singledispatch
def _field_schema(field: fields.Field[Any]) -> dict[str, Any]:
    raise TypeError(f"no JSON Schema hook for {type(field).__name__}")


@_field_schema.register
def _(field: wire.String) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            schema["maxLength"] = validator.max
    if field.pattern:
        schema["pattern"] = field.pattern
    if isinstance(field, wire.UUID):
        schema["format"] = "uuid"
    return schema


@_field_schema.register
def _(field: wire.Boolean) -> dict[str, Any]:
    return {"type": "boolean"}


@_field_schema.register
def _(field: wire.Integer) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                key = "minimum" if validator.min_inclusive else "exclusiveMinimum"
                schema[key] = validator.min
            if validator.max is not None:
                key = "maximum" if validator.max_inclusive else "exclusiveMaximum"
                schema[key] = validator.max
    return schema


@_field_schema.register
def _(field: wire.Enum) -> dict[str, Any]:
    return {"type": "string", "enum": list(field.values)}


@_field_schema.register
def _(field: wire.DecimalString) -> dict[str, Any]:
    return {"type": "string", "pattern": field.pattern, "description": field.describe()}


@_field_schema.register
def _(field: wire.Date) -> dict[str, Any]:
    return {"type": "string", "format": "date", "pattern": field.pattern}


@_field_schema.register
def _(field: wire.DateTime) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "date-time",
        "pattern": field.pattern,
        "description": "UTC offset required ('Z' or '+HH:MM')",
    }


@_field_schema.register
def _(field: wire.Reference) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": field.pattern,
        "description": f"{field.key_kind} of a record of {field.target}",
    }


@_field_schema.register
def _(field: wire.Children) -> dict[str, Any]:
    child = field.schema_class.opts.entity_type
    return {"type": "array", "items": {"$ref": f"#/$defs/{child}"}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def record_schema(schema_class: type[EntitySchema]) -> dict[str, Any]:
    """The JSON Schema of one record (or nested child) of ``schema_class``: its fields alone.

    The 1.1 entity files add to it the names of extensions they do not know
    (:func:`foreign_pattern`).
    """
    schema = schema_class()
    defaults = schema_class.wire_defaults()
    properties: dict[str, Any] = {}
    required = []
    for name, field in schema.fields.items():
        wire_name = field.data_key or name
        described = field_schema(field)
        if field.allow_none:
            described = _nullable(described)
        if wire_name in defaults:
            described["default"] = defaults[wire_name]
        properties[wire_name] = described
        if field.required:
            required.append(wire_name)
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    rules = schema_class.opts.rules
    fragments = [fragment for rule in rules if (fragment := rule.json_schema(defaults))]
    if fragments:
        result["allOf"] = fragments
    unsaid = [rule.describe() for rule in rules if rule.json_schema(defaults) is None]
    if unsaid:
        result["$comment"] = "Also checked on import: " + "; ".join(unsaid) + "."
    return result


def _header(name: str, title: str, version: str, registry: Registry) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": schema_base(version, registry) + name, "title": title}


def _version(version: str) -> dict[str, Any]:
    return {"const": version, "description": "format version"}


#: The JSON Schema of a record: (schema class, entity type, children key or "") -> schema.
RecordSchema = Callable[[type[EntitySchema], EntityType, str], dict[str, Any]]


def _current_record(
    schema_class: type[EntitySchema], entity: EntityType, children: str
) -> dict[str, Any]:
    """A record as :func:`record_schema` says, open to the fields of unknown extensions."""
    unknown = {"description": "a field of an extension this schema does not know: not checked"}
    return _open(record_schema(schema_class), entity.registry, unknown)


def _open(schema: dict[str, Any], registry: Registry, unknown: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an object's) also taking namespaced properties unknown to ``registry``.

    ``additionalProperties: false`` still refuses everything else, a misspelt
    name of ``registry``'s own extensions included.
    """
    opened: dict[str, Any] = {}
    for key, value in schema.items():
        opened[key] = value
        if key == "properties":
            opened["patternProperties"] = {foreign_pattern(registry): unknown}
    return opened


def entity_file_schema(
    entity: EntityType,
    version: str = CURRENT_VERSION,
    record: RecordSchema = _current_record,
) -> dict[str, Any]:
    """The JSON Schema of the entity file of ``entity`` (``NN_<type>.json``)."""
    definitions = {"record": record(entity.schema, entity, "")}
    for name, field in entity.schema().fields.items():
        if isinstance(field, wire.Children):
            child = field.schema_class
            definitions[child.opts.entity_type or ""] = record(
                child, entity, field.data_key or name
            )
    dependencies = ", ".join(entity.dependencies) or "nothing"
    return {
        **_header(
            entity_schema_name(entity.name),
            f"bakery_io {version} entity file: {entity.name}",
            version,
            entity.registry,
        ),
        "description": (
            f"Records of {entity.name}, keyed by {' + '.join(entity.natural_key)}; "
            f"references {dependencies}. File name {filename(entity, version)}."
        ),
        "type": "object",
        "properties": {
            "version": _version(version),
            "entity_type": {"const": entity.name},
            "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
        },
        "required": ["version", "entity_type", "records"],
        "additionalProperties": False,
        "$defs": definitions,
    }


def any_entity_file_schema(
    version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> dict[str, Any]:
    """The JSON Schema of a single entity file of any type: dispatches on ``entity_type``."""
    return {
        **_header(ENTITY_FILE_SCHEMA, f"bakery_io {version} single entity file", version, registry),
        "type": "object",
        "properties": {
            "version": _version(version),
            "entity_type": {"enum": list(registry.names)},
            "records": {"type": "array"},
        },
        "required": ["version", "entity_type", "records"],
        "allOf": [
            {
                "if": {"properties": {"entity_type": {"const": entity.name}}},
                "then": {"$ref": entity_schema_name(entity.name)},
            }
            for entity in registry
        ],
    }


def document_schema(
    version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> dict[str, Any]:
    """The JSON Schema of a single document holding any subset of entity types."""
    properties: dict[str, Any] = {
        "version": _version(version),
        "exported_at": {"type": "string", "format": "date-time", "pattern": wire.DATETIME_PATTERN},
    }
    for entity in registry:
        properties[entity.name] = {
            "type": "array",
            "items": {"$ref": f"{entity_schema_name(entity.name)}#/$defs/record"},
        }
    return {
        **_header(DOCUMENT_SCHEMA, f"bakery_io {version} single document", version, registry),
        "type": "object",
        "properties": properties,
        "required": ["version"],
        "additionalProperties": False,
    }


def _fixed_entry(entity: EntityType, version: str) -> dict[str, Any]:
    """What the registry fixes in the manifest entry of ``entity``'s file: its name, its
    import order, and its dependencies in any order (each listed once by ``uniqueItems``).

    In the current format an extension may add dependencies of its own, named in its
    namespace; :func:`_current` lets those of extensions the schema does not know through.
    """
    dependencies = list(entity.dependencies)
    listed: dict[str, Any] = {
        "type": "array",
        "items": {"enum": dependencies} if dependencies else False,
        "description": f"{entity.name} depends on {', '.join(dependencies) or 'nothing'}",
    }
    if dependencies:
        listed["allOf"] = [{"contains": {"const": name}} for name in dependencies]
    return {
        "if": {"properties": {"entity_type": {"const": entity.name}}, "required": ["entity_type"]},
        "then": {
            "properties": {
                "filename": {"const": filename(entity, version)},
                "import_order": {"const": entity.number},
                "dependencies": listed,
            },
        },
    }


def manifest_schema(
    version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> dict[str, Any]:
    """The JSON Schema of ``manifest.json``."""
    entry = {
        "type": "object",
        "properties": {
            "filename": {"type": "string", "pattern": ENTITY_FILENAME_PATTERN},
            "entity_type": {"enum": list(registry.names)},
            "record_count": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": SHA256_PATTERN},
            "dependencies": {
                "type": "array",
                "items": {"enum": list(registry.names)},
                "uniqueItems": True,
            },
            "import_order": {"type": "integer", "minimum": 1},
        },
        "required": [
            "filename",
            "entity_type",
            "record_count",
            "sha256",
            "dependencies",
            "import_order",
        ],
        "additionalProperties": False,
        "allOf": [_fixed_entry(entity, version) for entity in registry],
    }
    return {
        **_header(
            MANIFEST_SCHEMA,
            f"bakery_io {version} backup manifest ({MANIFEST_NAME})",
            version,
            registry,
        ),
        "type": "object",
        "properties": {
            "version": _version(version),
            "export_date": {
                "type": "string",
                "format": "date-time",
                "pattern": wire.DATETIME_PATTERN,
            },
            "source": {"type": "string", "description": "producer name and version"},
            "files": {"type": "array", "items": {"$ref": "#/$defs/file"}, "uniqueItems": True},
        },
        "required": ["version", "export_date", "source", "files"],
        "additionalProperties": False,
        "$defs": {"file": entry},
    }


def extensions_schema() -> dict[str, Any]:
    """The extensions a backup holds data of (:attr:`bakery_io.Extension.to_dict`)."""
    return {
        "type": "array",
        "description": "the extensions whose entity types and fields the backup holds",
        "items": {
            "type": "object",
            "properties": {
                "namespace": {"type": "string", "pattern": f"^{NAMESPACE_PATTERN}$"},
                "version": {"type": "string", "minLength": 1},
            },
            "required": ["namespace", "version"],
            "additionalProperties": False,
        },
        "uniqueItems": True,
    }


def _left_out(registry: Registry) -> list[str]:
    """The format's entity types ``registry`` does not hold (a host's partial binding)."""
    return [name for name in REGISTRY.names if name not in registry]


def _entity_type_name(registry: Registry) -> dict[str, Any]:
    """An entity type's name: one of the format's or ``registry``'s, or one of an extension
    it does not know. A core type the registry does not hold is named, and refused with
    its records, by bakery_io's own check, not by this schema."""
    return {
        "description": "an entity type of this format, or one of an extension (namespace:name)",
        "anyOf": [
            {"enum": [*registry.names, *_left_out(registry)]},
            {
                "type": "string",
                "pattern": foreign_pattern(registry),
                "description": "an entity type of an extension this schema does not know",
            },
        ],
    }


def _foreign_entity_file(registry: Registry) -> dict[str, Any]:
    """An entity file of an extension ``registry`` does not know: its envelope alone."""
    return {
        "if": {
            "properties": {"entity_type": {"type": "string", "pattern": foreign_pattern(registry)}},
            "required": ["entity_type"],
        },
        "then": {
            "properties": {
                "version": True,
                "entity_type": True,
                "records": {"type": "array", "items": {"type": "object"}},
            },
            "additionalProperties": False,
            "description": "records of an extension this schema does not know: not checked",
        },
    }


def _left_out_entity_file(name: str) -> dict[str, Any]:
    """An entity file of a core type the registry does not hold: its envelope alone."""
    return {
        "if": {"properties": {"entity_type": {"const": name}}, "required": ["entity_type"]},
        "then": {"properties": {"records": {"type": "array", "items": {"type": "object"}}}},
    }


#: What a document holds under the name of an entity type of an unknown extension.
_UNKNOWN_RECORDS = {
    "type": "array",
    "items": {"type": "object"},
    "description": "records of an extension this schema does not know: not checked",
}


def exceptions_schema() -> dict[str, Any]:
    """The records a backup holds as the database held them although the format refuses
    them (:attr:`bakery_io.Manifest.exceptions`): one problem each, in the terms of its
    entity file."""
    optional_integer = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}
    return {
        "type": "array",
        "description": (
            "records written as the database held them although the format or its rules "
            "refuse them; an import restores them only when told to accept them"
        ),
        "items": {
            "type": "object",
            "properties": {
                "file": {"type": "string"},
                "pointer": {"type": "string"},
                "record": optional_integer,
                "key": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "message": {"type": "string"},
            },
            "required": ["file", "pointer", "record", "key", "message"],
            "additionalProperties": False,
        },
    }


def _current(version: str, registry: Registry) -> dict[str, dict[str, Any]]:
    manifest, document = manifest_schema(version, registry), document_schema(version, registry)
    any_file = any_entity_file_schema(version, registry)
    # Only the current format has them: an older exporter never wrote exceptions,
    # nor data of extensions.
    for schema in (manifest, document):
        schema["properties"]["exceptions"] = exceptions_schema()
        schema["properties"]["extensions"] = extensions_schema()
    entry = manifest["$defs"]["file"]["properties"]
    entry["entity_type"] = _entity_type_name(registry)
    entry["dependencies"]["items"] = _entity_type_name(registry)
    unknown = {"type": "string", "pattern": foreign_pattern(registry)}
    for fixed in manifest["$defs"]["file"]["allOf"]:
        listed = fixed["then"]["properties"]["dependencies"]
        known = listed["items"]
        listed["items"] = {"anyOf": [known, unknown]} if known else unknown
    any_file["properties"]["entity_type"] = _entity_type_name(registry)
    any_file["allOf"].append(_foreign_entity_file(registry))
    for name in _left_out(registry):
        any_file["allOf"].append(_left_out_entity_file(name))
        document["properties"][name] = _UNKNOWN_RECORDS
    document = _open(document, registry, _UNKNOWN_RECORDS)
    generated = {MANIFEST_SCHEMA: manifest, DOCUMENT_SCHEMA: document, ENTITY_FILE_SCHEMA: any_file}
    for entity in registry:
        generated[entity_schema_name(entity.name)] = entity_file_schema(entity, version)
    return generated


# ---------------------------------------------------------------------------
# Format 1.0: the current schemas, widened by what the 1.0 -> 1.1 step undoes.

_LOOSE_SLUG = "format 1.0 allows text that breaks the slug rule; the upgrade rewrites it"
_LEGACY_DATETIME = wire.datetime_pattern(naive=True)
#: Export dates of 1.0 may also end in ``+00:00Z``.
_LEGACY_UTC = r"Z|\+00:00Z"
_LEGACY_EXPORT_DATETIME = wire.datetime_pattern(naive=True, utc=_LEGACY_UTC)

#: Each calendar pattern of the schemas (1.0's too), and the same language without
#: a lookahead, which jsonschema-rs matches several times faster (see
#: :func:`bakery_io.format.fields._calendar`).
WITHOUT_LOOKAHEADS = {
    wire.DATE_PATTERN: wire.date_pattern(lookahead=False),
    wire.DATETIME_PATTERN: wire.datetime_pattern(lookahead=False),
    _LEGACY_DATETIME: wire.datetime_pattern(naive=True, lookahead=False),
    _LEGACY_EXPORT_DATETIME: wire.datetime_pattern(naive=True, utc=_LEGACY_UTC, lookahead=False),
}
_LEGACY_FILENAME_PATTERN = r"^[a-z_]+\.json$"


def _id(*, nullable: bool) -> dict[str, Any]:
    return {
        "type": ["integer", "null"] if nullable else "integer",
        "description": "the exporting app's id of the record referenced (dropped by the upgrade)",
    }


def _legacy_decimal(field: wire.DecimalString, described: dict[str, Any]) -> dict[str, Any]:
    """A decimal as a string (as in 1.1) or a JSON number within the column's range.

    One ``anyOf`` branch per JSON type rather than a union ``type``: ajv's strict
    mode takes a union with ``null`` alone, and each branch's keywords then
    apply to the type they are meant for.
    """
    limit = 10 ** (field.precision - field.places)
    number: dict[str, Any] = {"type": "number"}
    if field.minimum is not None:
        number["exclusiveMinimum" if field.exclusive_minimum else "minimum"] = field.minimum
    else:
        number["exclusiveMinimum"] = -limit
    if field.maximum is not None:
        number["maximum"] = field.maximum
    else:
        number["exclusiveMaximum"] = limit
    branches = [number, {"type": "string", "pattern": described["pattern"]}]
    if field.allow_none:
        branches.append({"type": "null"})
    widened = {key: value for key, value in described.items() if key not in ("type", "pattern")}
    widened["description"] += "; format 1.0 may write it as a JSON number"
    return {"anyOf": branches, **widened}


def _legacy_record(
    schema_class: type[EntitySchema], entity: EntityType, children: str
) -> dict[str, Any]:
    """A 1.0 record: the 1.1 record with 1.0's ids, names, id-only references and looser values."""
    current = record_schema(schema_class)
    required = list(current["required"])
    properties: dict[str, Any] = {"id": {"type": "integer", "description": "the record's id"}}
    slug = portable_pattern(SLUG_PATTERN)
    for name, field in declared_fields(schema_class).items():
        wire_name = field.data_key or name
        described = dict(current["properties"][wire_name])
        if isinstance(field, wire.Reference) and (entity.name, children, wire_name) in v1_0.ID_ONLY:
            # Rows 5 and 6: the reference is the id alone.
            properties[v1_0.id_field(wire_name)] = _id(nullable=field.allow_none)
            required = [v1_0.id_field(wire_name) if n == wire_name else n for n in required]
            continue
        if isinstance(field, wire.Reference) and field.target in v1_0.NAMED:
            # Row 3: by name, with the id beside it.
            target_name = declared_fields(entity.registry[field.target].schema)["name"]
            properties[v1_0.name_field(wire_name)] = {
                "type": ["string", "null"] if field.allow_none else "string",
                "maxLength": v1_0.max_length(target_name),
                "description": f"the name of a record of {field.target}",
            }
            properties[v1_0.id_field(wire_name)] = _id(nullable=True)
            required = [v1_0.name_field(wire_name) if n == wire_name else n for n in required]
            continue
        if wire_name == "slug" and not children and entity.name in v1_0.NAMED:
            required.remove("slug")  # row 3: no slug yet
            continue
        if described.get("pattern") == slug:
            del described["pattern"]
            described["minLength"] = 1
            said = described.get("description")
            described["description"] = f"{said}; {_LOOSE_SLUG}" if said else _LOOSE_SLUG
        elif isinstance(field, wire.DecimalString):
            described = _legacy_decimal(field, described)
        elif isinstance(field, wire.DateTime):
            described["pattern"] = portable_pattern(_LEGACY_DATETIME)
            # RFC 3339's date-time requires the offset this pattern lets go: the
            # pattern carries the rule, a format would contradict it.
            del described["format"]
            described["description"] = "format 1.0: a datetime without offset is in UTC"
        properties[wire_name] = described
        if isinstance(field, wire.Reference):
            properties[v1_0.id_field(wire_name)] = _id(nullable=True)
    return {**current, "properties": properties, "required": required}


def _legacy_exported_at(schema: dict[str, Any], name: str) -> None:
    schema["properties"][name] = {
        "type": "string",
        "pattern": portable_pattern(_LEGACY_EXPORT_DATETIME),
        "description": "format 1.0: UTC when the offset is missing; '+00:00Z' is accepted",
    }


def _version_1_0(version: str, registry: Registry) -> dict[str, dict[str, Any]]:
    manifest = manifest_schema(version, registry)
    _legacy_exported_at(manifest, "export_date")
    manifest["$defs"]["file"]["properties"]["filename"]["pattern"] = _LEGACY_FILENAME_PATTERN
    document = document_schema(version, registry)
    _legacy_exported_at(document, "exported_at")
    # A production-history document of 1.0 may lack its version.
    history = ["version", "exported_at", *v1_0.HISTORY_TYPES]
    document["required"] = []
    document["anyOf"] = [
        # Named in the branch too, as ajv's strictRequired wants what is required declared.
        {"properties": {"version": True}, "required": ["version"]},
        {"propertyNames": {"enum": history}, "description": "a production-history document"},
    ]
    generated = {
        MANIFEST_SCHEMA: manifest,
        DOCUMENT_SCHEMA: document,
        ENTITY_FILE_SCHEMA: any_entity_file_schema(version, registry),
    }
    for entity in registry:
        generated[entity_schema_name(entity.name)] = entity_file_schema(
            entity, version, _legacy_record
        )
    return generated


#: How the schemas of each version are made.
_GENERATORS: dict[str, Callable[[str, Registry], dict[str, dict[str, Any]]]] = {
    CURRENT_VERSION: _current,
    v1_0.SOURCE: _version_1_0,
}


def generate(
    version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> dict[str, dict[str, Any]]:
    """Every JSON Schema of ``registry``'s format ``version``, by file name.

    Those of :data:`~bakery_io.REGISTRY` are the published ones. Older versions
    are the stock format's alone: a host's registry (its own types, its
    extensions) has schemas of the current version only.
    """
    if version not in _GENERATORS:
        raise ValueError(f"no JSON Schemas are generated for format {version}")
    if version != CURRENT_VERSION and not registry.is_stock:
        raise UsageError(
            f"format {version} has the published JSON Schemas alone; those of {registry!r} "
            f"exist for format {CURRENT_VERSION} only"
        )
    generated = _GENERATORS[version](version, registry)
    return {name: _portable(schema) for name, schema in generated.items()}


#: The versions whose schemas :func:`generate` makes, oldest first.
GENERATED = tuple(sorted(_GENERATORS))
#: The entry schemas bundled into one self-contained file each: one per container kind.
BUNDLED = (MANIFEST_SCHEMA, ENTITY_FILE_SCHEMA, DOCUMENT_SCHEMA)


def generate_bundled(
    version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> dict[str, dict[str, Any]]:
    """The bundled schemas of ``version`` (:mod:`bakery_io.format.bundles`), by file name:
    the manifest, a single entity file and a single document, each with everything it
    refers to inside, for validators given one file."""
    return bundles(generate(version, registry), BUNDLED)


def render(schema: dict[str, Any]) -> str:
    """A schema as it is committed: two-space indent, UTF-8, final newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write(
    directory: Path, version: str = CURRENT_VERSION, registry: Registry = REGISTRY
) -> list[Path]:
    """Write the schemas of ``version`` into their folder under ``directory``; returns the files.

    The folder mirrors the ``$id``s: ``directory/<version>/`` for the published
    set, ``directory/<version>/ext/acme-1/`` for a registry with extensions; the
    bundles (:data:`BUNDLED`) go to its ``bundled/`` folder.
    """
    folder = directory / schema_base(version, registry).removeprefix(BASE_ID)
    generated = generate(version, registry)
    written = []
    for where, schemas in (
        (folder, generated),
        (folder / BUNDLED_FOLDER, bundles(generated, BUNDLED)),
    ):
        where.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            path = where / name
            path.write_text(render(schema), encoding="utf-8")
            written.append(path)
    return written
