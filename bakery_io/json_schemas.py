"""JSON Schemas (Draft 2020-12) generated from the marshmallow schemas.

Each field class has a hook that says how it looks in JSON Schema (a
:func:`functools.singledispatch` registry); record rules describe themselves
(:meth:`bakery_io.rules.Rule.json_schema`). The generated files are committed
under ``schemas_json/<version>/`` and shipped in the wheel; a test fails when
regenerating them would change a byte. Regenerate with
``bakery-io schemas schemas_json``.

Format 1.0's schemas are the current ones widened by exactly the differences
the upgrade step undoes (:mod:`bakery_io.versions.v1_0_to_v1_1`): ids beside
references, names instead of slugs for events, recipients and packages,
id-only references, loose slugs, decimals as numbers, naive datetimes. Once
1.1 stops being current, these folders become frozen files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import singledispatch
from pathlib import Path
from typing import Any

from marshmallow import fields, validate

from bakery_io import fields as wire
from bakery_io.manifest import MANIFEST_NAME
from bakery_io.registry import REGISTRY, EntityType
from bakery_io.schemas.base import EntitySchema, declared_fields
from bakery_io.slugs import SLUG_PATTERN
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
ENTITY_FILENAME_PATTERN = r"^[0-9]{2}_[a-z_]+\.json$"


def portable_pattern(pattern: str) -> str:
    """``pattern`` with its final ``$`` meaning "end of text" in every dialect.

    JSON Schema patterns are ECMA-262 regular expressions, where ``$`` matches
    only at the end; Python's ``re`` (which Python validators use) also lets it
    match before a final newline, so ``"flour\\n"`` would pass as a slug there.
    ``(?!\\n)$`` means the same in both.
    """
    if pattern.endswith("$") and not pattern.endswith("(?!\\n)$"):
        return pattern[:-1] + "(?!\\n)$"
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
    """File name of the JSON Schema of one entity type's file."""
    return f"{entity_type}.schema.json"


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
    child = field.schema_class.opts.model.__tablename__
    return {"type": "array", "items": {"$ref": f"#/$defs/{child}"}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def record_schema(schema_class: type[EntitySchema]) -> dict[str, Any]:
    """The JSON Schema of one record (or nested child) of ``schema_class``."""
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


def _header(name: str, title: str, version: str) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": f"{BASE_ID}{version}/{name}", "title": title}


def _version(version: str) -> dict[str, Any]:
    return {"const": version, "description": "format version"}


#: The JSON Schema of a record: (schema class, entity type, children key or "") -> schema.
RecordSchema = Callable[[type[EntitySchema], str, str], dict[str, Any]]


def _current_record(schema_class: type[EntitySchema], entity: str, children: str) -> dict[str, Any]:
    return record_schema(schema_class)


def entity_file_schema(
    entity: EntityType,
    version: str = CURRENT_VERSION,
    record: RecordSchema = _current_record,
) -> dict[str, Any]:
    """The JSON Schema of the entity file of ``entity`` (``NN_<type>.json``)."""
    definitions = {"record": record(entity.schema, entity.name, "")}
    for name, field in entity.schema().fields.items():
        if isinstance(field, wire.Children):
            child = field.schema_class
            definitions[child.opts.model.__tablename__] = record(
                child, entity.name, field.data_key or name
            )
    dependencies = ", ".join(entity.dependencies) or "nothing"
    return {
        **_header(
            entity_schema_name(entity.name),
            f"bakery_io {version} entity file: {entity.name}",
            version,
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


def any_entity_file_schema(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The JSON Schema of a single entity file of any type: dispatches on ``entity_type``."""
    return {
        **_header(ENTITY_FILE_SCHEMA, f"bakery_io {version} single entity file", version),
        "type": "object",
        "properties": {
            "version": _version(version),
            "entity_type": {"enum": list(REGISTRY.names)},
            "records": {"type": "array"},
        },
        "required": ["version", "entity_type", "records"],
        "allOf": [
            {
                "if": {"properties": {"entity_type": {"const": entity.name}}},
                "then": {"$ref": entity_schema_name(entity.name)},
            }
            for entity in REGISTRY
        ],
    }


def document_schema(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The JSON Schema of a single document holding any subset of entity types."""
    properties: dict[str, Any] = {
        "version": _version(version),
        "exported_at": {"type": "string", "format": "date-time", "pattern": wire.DATETIME_PATTERN},
    }
    for entity in REGISTRY:
        properties[entity.name] = {
            "type": "array",
            "items": {"$ref": f"{entity_schema_name(entity.name)}#/$defs/record"},
        }
    return {
        **_header(DOCUMENT_SCHEMA, f"bakery_io {version} single document", version),
        "type": "object",
        "properties": properties,
        "required": ["version"],
        "additionalProperties": False,
    }


def manifest_schema(version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The JSON Schema of ``manifest.json``."""
    entry = {
        "type": "object",
        "properties": {
            "filename": {"type": "string", "pattern": ENTITY_FILENAME_PATTERN},
            "entity_type": {"enum": list(REGISTRY.names)},
            "record_count": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": SHA256_PATTERN},
            "dependencies": {
                "type": "array",
                "items": {"enum": list(REGISTRY.names)},
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
    }
    return {
        **_header(
            MANIFEST_SCHEMA, f"bakery_io {version} backup manifest ({MANIFEST_NAME})", version
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
            "files": {"type": "array", "items": {"$ref": "#/$defs/file"}},
        },
        "required": ["version", "export_date", "source", "files"],
        "additionalProperties": False,
        "$defs": {"file": entry},
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


def _current(version: str) -> dict[str, dict[str, Any]]:
    manifest, document = manifest_schema(version), document_schema(version)
    # Only the current format has them: an older exporter never wrote exceptions.
    manifest["properties"]["exceptions"] = exceptions_schema()
    document["properties"]["exceptions"] = exceptions_schema()
    generated = {
        MANIFEST_SCHEMA: manifest,
        DOCUMENT_SCHEMA: document,
        ENTITY_FILE_SCHEMA: any_entity_file_schema(version),
    }
    for entity in REGISTRY:
        generated[entity_schema_name(entity.name)] = entity_file_schema(entity, version)
    return generated


# ---------------------------------------------------------------------------
# Format 1.0: the current schemas, widened by what the 1.0 -> 1.1 step undoes.

_LOOSE_SLUG = "format 1.0 allows text that breaks the slug rule; the upgrade rewrites it"
_LEGACY_DATETIME = wire.datetime_pattern(naive=True)
#: Export dates of 1.0 may also end in ``+00:00Z``.
_LEGACY_EXPORT_DATETIME = wire.datetime_pattern(naive=True, utc=r"Z|\+00:00Z")
_LEGACY_FILENAME_PATTERN = r"^[a-z_]+\.json$"


def _types(described: dict[str, Any], *names: str) -> list[str]:
    found = described["type"]
    return [*names, *(found if isinstance(found, list) else [found])]


def _id(*, nullable: bool) -> dict[str, Any]:
    return {
        "type": ["integer", "null"] if nullable else "integer",
        "description": "the exporting app's id of the record referenced (dropped by the upgrade)",
    }


def _legacy_decimal(field: wire.DecimalString, described: dict[str, Any]) -> dict[str, Any]:
    """A decimal as a string (as in 1.1) or a JSON number within the column's range."""
    widened = dict(described)
    widened["type"] = _types(described, "number")
    widened["description"] += "; format 1.0 may write it as a JSON number"
    limit = 10 ** (field.precision - field.places)
    if field.minimum is not None:
        widened["exclusiveMinimum" if field.exclusive_minimum else "minimum"] = field.minimum
    else:
        widened["exclusiveMinimum"] = -limit
    if field.maximum is not None:
        widened["maximum"] = field.maximum
    else:
        widened["exclusiveMaximum"] = limit
    return widened


def _legacy_record(schema_class: type[EntitySchema], entity: str, children: str) -> dict[str, Any]:
    """A 1.0 record: the 1.1 record with 1.0's ids, names, id-only references and looser values."""
    current = record_schema(schema_class)
    required = list(current["required"])
    properties: dict[str, Any] = {"id": {"type": "integer", "description": "the record's id"}}
    slug = portable_pattern(SLUG_PATTERN)
    for name, field in declared_fields(schema_class).items():
        wire_name = field.data_key or name
        described = dict(current["properties"][wire_name])
        if isinstance(field, wire.Reference) and (entity, children, wire_name) in v1_0.ID_ONLY:
            # Rows 5 and 6: the reference is the id alone.
            properties[v1_0.id_field(wire_name)] = _id(nullable=field.allow_none)
            required = [v1_0.id_field(wire_name) if n == wire_name else n for n in required]
            continue
        if isinstance(field, wire.Reference) and field.target in v1_0.NAMED:
            # Row 3: by name, with the id beside it.
            target_name = declared_fields(REGISTRY[field.target].schema)["name"]
            properties[v1_0.name_field(wire_name)] = {
                "type": ["string", "null"] if field.allow_none else "string",
                "maxLength": v1_0.max_length(target_name),
                "description": f"the name of a record of {field.target}",
            }
            properties[v1_0.id_field(wire_name)] = _id(nullable=True)
            required = [v1_0.name_field(wire_name) if n == wire_name else n for n in required]
            continue
        if wire_name == "slug" and not children and entity in v1_0.NAMED:
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


def _version_1_0(version: str) -> dict[str, dict[str, Any]]:
    manifest = manifest_schema(version)
    _legacy_exported_at(manifest, "export_date")
    manifest["$defs"]["file"]["properties"]["filename"]["pattern"] = _LEGACY_FILENAME_PATTERN
    document = document_schema(version)
    _legacy_exported_at(document, "exported_at")
    # A production-history document of 1.0 may lack its version.
    history = ["version", "exported_at", *v1_0.HISTORY_TYPES]
    document["required"] = []
    document["anyOf"] = [
        {"required": ["version"]},
        {"propertyNames": {"enum": history}, "description": "a production-history document"},
    ]
    generated = {
        MANIFEST_SCHEMA: manifest,
        DOCUMENT_SCHEMA: document,
        ENTITY_FILE_SCHEMA: any_entity_file_schema(version),
    }
    for entity in REGISTRY:
        generated[entity_schema_name(entity.name)] = entity_file_schema(
            entity, version, _legacy_record
        )
    return generated


#: How the published schemas of each version are made.
_GENERATORS: dict[str, Callable[[str], dict[str, dict[str, Any]]]] = {
    CURRENT_VERSION: _current,
    v1_0.SOURCE: _version_1_0,
}


def generate(version: str = CURRENT_VERSION) -> dict[str, dict[str, Any]]:
    """Every published JSON Schema of ``version``, by file name."""
    if version not in _GENERATORS:
        raise ValueError(f"no JSON Schemas are generated for format {version}")
    return {name: _portable(schema) for name, schema in _GENERATORS[version](version).items()}


#: The versions whose schemas :func:`generate` makes, oldest first.
GENERATED = tuple(sorted(_GENERATORS))


def render(schema: dict[str, Any]) -> str:
    """A schema as it is committed: two-space indent, UTF-8, final newline."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write(directory: Path, version: str = CURRENT_VERSION) -> list[Path]:
    """Write the schemas of ``version`` into ``directory/<version>/``; returns the files."""
    folder = directory / version
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate(version).items():
        path = folder / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
