"""JSON Schemas (Draft 2020-12) generated from the marshmallow schemas.

Each field class has a hook that says how it looks in JSON Schema (a
:func:`functools.singledispatch` registry); record rules describe themselves
(:meth:`bakery_io.rules.Rule.json_schema`). The generated files are committed
under ``schemas_json/<version>/`` and shipped in the wheel; a test fails when
regenerating them would change a byte. Regenerate with
``bakery-io schemas schemas_json``.
"""

from __future__ import annotations

import json
from functools import singledispatch
from pathlib import Path
from typing import Any

from marshmallow import fields, validate

from bakery_io import fields as wire
from bakery_io.manifest import MANIFEST_NAME
from bakery_io.registry import REGISTRY, EntityType
from bakery_io.schemas.base import EntitySchema
from bakery_io.versions import CURRENT_VERSION

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


def entity_file_schema(entity: EntityType, version: str = CURRENT_VERSION) -> dict[str, Any]:
    """The JSON Schema of the entity file of ``entity`` (``NN_<type>.json``)."""
    definitions = {"record": record_schema(entity.schema)}
    for field in entity.schema().fields.values():
        if isinstance(field, wire.Children):
            child = field.schema_class
            definitions[child.opts.model.__tablename__] = record_schema(child)
    dependencies = ", ".join(entity.dependencies) or "nothing"
    return {
        **_header(
            entity_schema_name(entity.name),
            f"bakery_io {version} entity file: {entity.name}",
            version,
        ),
        "description": (
            f"Records of {entity.name}, keyed by {' + '.join(entity.natural_key)}; "
            f"references {dependencies}. File name {entity.filename}."
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


def generate(version: str = CURRENT_VERSION) -> dict[str, dict[str, Any]]:
    """Every published JSON Schema of ``version``, by file name."""
    if version != CURRENT_VERSION:
        raise ValueError(f"schemas are generated for the current version {CURRENT_VERSION} only")
    generated = {
        MANIFEST_SCHEMA: manifest_schema(version),
        DOCUMENT_SCHEMA: document_schema(version),
        ENTITY_FILE_SCHEMA: any_entity_file_schema(version),
    }
    for entity in REGISTRY:
        generated[entity_schema_name(entity.name)] = entity_file_schema(entity, version)
    return {name: _portable(schema) for name, schema in generated.items()}


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
