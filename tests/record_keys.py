"""Natural keys and references of wire records, worked out from the schemas alone.

The record-level tests check :func:`bakery_io.dump_records` against this: which
records a document holds, what each of them references, and which records a
chosen few reach, computed from a whole backup rather than from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bakery_io import REGISTRY, Registry
from bakery_io.format.fields import Children, Reference
from bakery_io.format.schemas.base import EntitySchema

Key = tuple[str, ...]
#: Natural keys by entity type.
Keys = dict[str, set[Key]]


def key_of(entity_type: str, record: Mapping[str, Any], registry: Registry = REGISTRY) -> Key:
    """The natural key of a wire record of ``entity_type``."""
    return tuple(record[part] for part in registry[entity_type].natural_key)


def keys_of(document: Mapping[str, Any], registry: Registry = REGISTRY) -> Keys:
    """The natural keys of every record of a single document, by entity type present."""
    return {
        entity.name: {key_of(entity.name, record, registry) for record in document[entity.name]}
        for entity in registry
        if entity.name in document
    }


def _references(schema: type[EntitySchema], record: Mapping[str, Any]) -> Iterator[tuple[str, Key]]:
    for name, field_ in schema().fields.items():
        value = record.get(field_.data_key or name)
        if value is None:
            continue
        if isinstance(field_, Reference):
            yield field_.target, (*(record[part] for part in field_.scope), value)
        elif isinstance(field_, Children):
            for child in value:
                yield from _references(field_.schema_class, child)


def references(
    entity_type: str, record: Mapping[str, Any], registry: Registry = REGISTRY
) -> Iterator[tuple[str, Key]]:
    """(target type, natural key) of each reference a wire record makes, children's too."""
    return _references(registry[entity_type].schema, record)


def reached(
    document: Mapping[str, Any], chosen: Mapping[str, Iterable[Key]], registry: Registry = REGISTRY
) -> Keys:
    """The keys of ``chosen`` and of every record of ``document`` they reach, transitively."""
    index = {
        (entity.name, key_of(entity.name, record, registry)): record
        for entity in registry
        for record in document.get(entity.name, [])
    }
    found: Keys = {}
    pending = [(name, tuple(key)) for name, keys in chosen.items() for key in keys]
    while pending:
        name, key = pending.pop()
        if key in found.setdefault(name, set()):
            continue
        found[name].add(key)
        pending.extend(references(name, index[name, key], registry))
    return found


def unresolved(document: Mapping[str, Any], registry: Registry = REGISTRY) -> list[str]:
    """Each reference of ``document`` to a record it does not hold, said as ``type key``."""
    held = keys_of(document, registry)
    return [
        f"{name} {key_of(name, record, registry)} -> {target} {key}"
        for name in held
        for record in document[name]
        for target, key in references(name, record, registry)
        if key not in held.get(target, set())
    ]


def sections(document: Mapping[str, Any], registry: Registry = REGISTRY) -> list[str]:
    """The entity types a single document holds records of, in its order."""
    return [name for name in document if name in registry.names]


def selection(keys: Keys) -> dict[str, list[Key]]:
    """``keys`` as a selection for :func:`bakery_io.dump_records`."""
    return {name: sorted(found) for name, found in keys.items()}


def filtered(document: Mapping[str, Any], keys: Keys) -> dict[str, Any]:
    """The records of ``document`` with those keys, as dump_records writes them."""
    return {
        "version": document["version"],
        "exported_at": document["exported_at"],
        **{
            name: [r for r in document[name] if key_of(name, r) in keys[name]]
            for name in sections(document)
            if keys.get(name)
        },
    }
