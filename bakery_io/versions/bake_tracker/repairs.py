"""The opt-in repairs: the steps of those that are not tied to one of the app's files (the
older backup's own two are in :mod:`.older`); their names and what each does are in
:mod:`bakery_io.repair_names`.

Real data breaks rules. Without a repair the load stays all or nothing and names every
violation; each repair is asked for by name and reports every value it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from itertools import count
from typing import Any

from bakery_io.format.fields import Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.registry import REGISTRY
from bakery_io.repair_names import FIRST, REPARENT, ROUND
from bakery_io.versions.backup import Repair
from bakery_io.versions.bake_tracker.keys import (
    field_of,
    index,
)
from bakery_io.versions.bake_tracker.records import (
    Export,
    Rec,
    child_schemas,
    children,
    decimal_fields,
    map_table,
)
from bakery_io.versions.v1_0_to_v1_1 import NAMED, id_field, name_field


def reparent_deep_ingredients(export: Export) -> Export:
    """Repair ``reparent-deep-ingredients`` (opt-in): an ingredient under a parent of its
    own hierarchy level or deeper is moved under that parent's parent, reported one by one.

    Without the repair such an ingredient is refused by the load, named: a
    parent's level must be one less than its child's.
    """
    if REPARENT not in export.repairs_asked or "ingredients" not in export.tables:
        return export
    by_slug = index(export.records("ingredients"), field_of("slug"))
    repairs: list[Repair] = []

    def change(record: Rec) -> Rec:
        parent_slug = record.get("parent_slug")
        parent = by_slug.get(parent_slug, []) if isinstance(parent_slug, str) else []
        level = record.get("hierarchy_level")
        if len(parent) != 1 or not isinstance(level, int):
            return record
        parent_level = parent[0].get("hierarchy_level")
        if not isinstance(parent_level, int) or parent_level < level:
            return record
        grandparent = parent[0].get("parent_slug")
        origin = record.origin
        repairs.append(
            Repair(
                REPARENT,
                "ingredients",
                origin.file,
                origin.at("parent_slug"),
                record.get("parent_slug"),
                grandparent,
                f"its parent is at hierarchy level {parent_level}, its own level",
                origin.record,
                origin.key,
            )
        )
        return Rec({**record, "parent_slug": grandparent}, origin)

    export = map_table(export, "ingredients", change)
    return export.reporting(repairs=repairs)


def round_float_noise(export: Export) -> Export:
    """Repair ``round-float-noise`` (opt-in): a decimal the app wrote as a binary float
    (a JSON number) with more places than its field takes is rounded to them, half to
    even, reported value by value.

    Only JSON numbers are rounded: the app writes exact decimals as strings,
    and those are never changed. Without the repair such a value is refused by
    the check, named.
    """
    if ROUND not in export.repairs_asked:
        return export
    repairs: list[Repair] = []

    def fix(entity_type: str, schema: type[EntitySchema], record: Rec) -> Rec:
        changes: dict[str, Any] = {}
        for name, field in decimal_fields(schema).items():
            value = record.get(name)
            if not isinstance(value, Decimal) or not value.is_finite():
                continue
            exponent = value.as_tuple().exponent
            if not isinstance(exponent, int) or -exponent <= field.places:
                continue
            rounded = value.quantize(Decimal(1).scaleb(-field.places), rounding=ROUND_HALF_EVEN)
            changes[name] = rounded
            origin = record.origin
            repairs.append(
                Repair(
                    ROUND,
                    entity_type,
                    origin.file,
                    origin.at(name),
                    str(value),
                    str(rounded),
                    f"a binary float with more than the field's {field.places} places",
                    origin.record,
                    origin.key,
                )
            )
        for key, child_schema in child_schemas(schema).items():
            if key in record and isinstance(record[key], list):
                changes[key] = [
                    fix(entity_type, child_schema, child) for child in children(record, key)
                ]
        return Rec({**record, **changes}, record.origin) if changes else record

    for entity in REGISTRY:
        export = map_table(export, entity.name, partial(fix, entity.name, entity.schema))
    return export.reporting(repairs=repairs)


def first_taken(entity_type: str, record: Rec, field: str, target: str, found: list[Rec]) -> Repair:
    """The report of the repair ``first-of-shared-name``: ``record``'s ``field`` names
    several records of ``target`` (``found``, in file order) and the first is taken."""
    first = found[0].origin
    return Repair(
        FIRST,
        entity_type,
        record.origin.file,
        record.origin.at(field),
        record.get(field),
        f"{first.file} {first.pointer}",
        f"{len(found)} {target} share the name; the first is taken",
        record.origin.record,
        record.origin.key,
    )


def _first_of_shared(
    target: str,
    shared: Mapping[Any, list[Rec]],
    repairs: list[Repair],
    entity_type: str,
    record: Rec,
) -> Rec:
    """``record`` with each reference by a shared name of ``target`` told apart by the
    first such record's id."""
    changes: dict[str, Any] = {}
    for name, field in declared_fields(REGISTRY[entity_type].schema).items():
        wire_name = field.data_key or name
        if not isinstance(field, Reference) or field.target != target:
            continue
        named, numbered = name_field(wire_name), id_field(wire_name)
        said = record.get(named)
        found = shared.get(said) if isinstance(said, str) else None
        if found is None or record.get(numbered) is not None:
            continue
        changes[numbered] = found[0]["id"]
        repairs.append(first_taken(entity_type, record, named, target, found))
    return Rec({**record, **changes}, record.origin) if changes else record


def resolve_shared_names(export: Export) -> Export:
    """Repair ``first-of-shared-name`` (opt-in): a reference by a name that several
    events, recipients or packages share goes to the first of them in file order,
    reported one by one.

    The app allows two events of one name and references events, recipients
    and packages by name only; its own importer takes the first match. Without
    the repair such a reference is a problem (named by the upgrade of format
    1.0, which tells records of one name apart only by an id). The repair says
    which record it means by that id: records that have none get one after the
    highest the file holds, in file order.
    """
    if FIRST not in export.repairs_asked:
        return export
    repairs: list[Repair] = []
    for target in NAMED:
        if target not in export.tables:
            continue
        records = export.records(target)
        numbers = [record["id"] for record in records if isinstance(record.get("id"), int)]
        fresh = count(max(numbers, default=0) + 1)
        records = tuple(
            record
            if isinstance(record.get("id"), int)
            else Rec({**record, "id": next(fresh)}, record.origin)
            for record in records
        )
        export = export.with_table(target, records)
        shared = {
            name: found
            for name, found in index(records, field_of("name")).items()
            if len(found) > 1
        }
        if shared:
            for entity in REGISTRY:
                change = partial(_first_of_shared, target, shared, repairs, entity.name)
                export = map_table(export, entity.name, change)
    return export.reporting(repairs=repairs)
