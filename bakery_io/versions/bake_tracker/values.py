"""Steps about values and fields: timestamps renamed, missing uuids, zero costs read
from null, a UPC as gtin, and every field with no place left behind and counted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from functools import cache, partial
from typing import Any

from bakery_io.format.fields import Reference, describe_json
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.versions.backup import Conversion, LeftBehind, Rewrite
from bakery_io.versions.bake_tracker import document
from bakery_io.versions.bake_tracker.records import (
    Export,
    Rec,
    child_schemas,
    children,
    has_value,
    map_table,
)
from bakery_io.versions.v1_0_to_v1_1 import NAMED, id_field, name_field

#: Money fields the app's backup writes as null when they are zero (``str(x) if x else None``).
ZERO_AS_NULL: Mapping[str, tuple[str, ...]] = {
    "purchases": ("unit_price",),
    "material_purchases": ("package_price", "unit_cost"),
    "production_runs": ("total_ingredient_cost", "per_unit_cost"),
    "assembly_runs": ("total_component_cost", "per_unit_cost"),
    "inventory_depletions": ("cost",),
}


#: Why a field of the app has no place in format 1.1, by (entity type, field).
WHY_FIELD: Mapping[tuple[str, str], str] = {
    ("ingredients", "foodon_id"): "food-classification code: no field in format 1.1",
    ("ingredients", "foodex2_code"): "food-classification code: no field in format 1.1",
    ("ingredients", "langual_terms"): "food-classification terms: no field in format 1.1",
    ("ingredients", "fdc_ids"): "FoodData Central ids: no field in format 1.1",
    ("ingredients", "moisture_pct"): "no field in format 1.1",
    ("ingredients", "allergens"): "no field in format 1.1",
    ("ingredients", "is_packaging"): "the app's older packaging flag: no field in format 1.1",
    ("products", "supplier"): (
        "free-text supplier: format 1.1 references a supplier by preferred_supplier_slug"
    ),
    ("products", "is_provisional"): "no field in format 1.1",
    ("products", "upc_code"): (
        "a UPC that cannot be the product's gtin (it has another, or another product has "
        "this code): format 1.1 keeps one gtin, unique"
    ),
    ("recipes", "previous_slug"): "the recipe's former slug: no field in format 1.1",
    ("finished_goods", "components/is_generic"): "no field in format 1.1",
    ("assembly_runs", "finished_good_consumptions"): (
        "finished goods consumed by an assembly: format 1.1 keeps finished-unit and "
        "packaging consumptions only"
    ),
}


#: A field that holds a key or a reference (``slug``, ``supplier_id``, ``inventory_item_ref``).
_KEYISH = re.compile(r"(?:^|_)(?:slug|name|uuid|id|ref)$")
#: No field of the format holds a number this large (nor an exponent this high).
_LARGEST = 2**63
#: Deeper than any record of the app nests; a value this deep cannot be written back.
_DEPTH = 32


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (counted without recursion)."""
    deepest, level = 0, [value]
    while level:
        level = [
            item
            for found in level
            if isinstance(found, (list, dict))
            for item in (found.values() if isinstance(found, dict) else found)
        ]
        deepest += 1 if level else 0
        if deepest > _DEPTH:
            break
    return deepest


def _odd(name: str, value: Any) -> str | None:
    """Why no step can take ``value`` in the field ``name``, or None when one can."""
    if isinstance(value, (list, dict)) and _KEYISH.search(name):
        return f"expected a key (text or a whole number), got {describe_json(value)}"
    if isinstance(value, Decimal) and (not value.is_finite() or value.adjusted() >= 19):
        return f"{str(value)[:40]} is too large a number for any field"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _LARGEST:
        return f"{str(value)[:40]} is too large a number for any field"
    if isinstance(value, (list, dict)) and _depth(value) > _DEPTH:
        return f"nested more than {_DEPTH} levels deep, deeper than any record of the app"
    return None


def screen_values(export: Export) -> Export:
    """Values no step can take are named and set aside, before any step runs.

    A list or object where the app writes a key or a reference (a field named
    ``slug``, ``name``, ``uuid``, ``id`` or ending in ``_slug``, ``_name``,
    ``_uuid``, ``_id``, ``_ref``), a number beyond what any field holds, a value
    nested deeper than any record of the app: each is a problem at its place,
    and null for the steps that follow, so that they need not each guard against
    it and the check still names every other problem. Such a file never loads.
    """
    problems: list[Problem] = []

    def screen(record: Rec) -> Rec:
        changes: dict[str, Any] = {}
        for name, value in record.items():
            if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                changes[name] = [screen(child) for child in children(record, name)]
                continue
            why = _odd(name, value)
            if why is not None:
                problems.append(record.origin.problem(why, name))
                changes[name] = None
        return Rec({**record, **changes}, record.origin) if changes else record

    for name in list(export.tables):
        export = map_table(export, name, screen)
    return export.reporting(problems=problems)


def derive_missing_uuids(export: Export) -> Export:
    """A record keyed by uuid that the app wrote without one (the single document's lots
    and event assignments, a null ``uuid``) gets one derived from its content; a null
    ``uuid`` of a record keyed by slug is dropped (the import gives it one).

    The derived uuid is :func:`~.document.content_uuid` of the record as the app
    wrote it, so that the same file always gives the same uuids (a second load
    finds the records unchanged); each is reported as a rewrite, each dropped
    null counted as a conversion. It runs before any step changes a record.
    """
    rewrites: list[Rewrite] = []
    dropped: Counter[tuple[str, str]] = Counter()
    for entity in REGISTRY:
        if entity.name not in export.tables:
            continue
        keyed = entity.natural_key == ("uuid",)
        seen: Counter[str] = Counter()
        records = []
        for record in export.records(entity.name):
            if record.get("uuid") not in (None, ""):
                # A uuid of the wrong kind is the check's to name, never replaced.
                records.append(record)
            elif not keyed and "uuid" in record:
                dropped[(record.origin.file, entity.name)] += 1
                records.append(record.evolve(drop=("uuid",)))
            elif not keyed:
                records.append(record)
            else:
                text = document.canonical(record)
                seen[text] += 1
                derived = document.content_uuid(entity.name, record, seen[text])
                origin = record.origin.named("uuid", "uuid")
                rewrites.append(
                    Rewrite(
                        entity.name,
                        "",
                        derived,
                        "the app wrote no uuid for this record: derived from its content "
                        "(uuid5 in bakery_io's namespace for the app's files)",
                        origin.file,
                        origin.pointer,
                        origin.record,
                    )
                )
                records.append(Rec({**record, "uuid": derived}, origin))
        export = export.with_table(entity.name, records)
    conversions = [
        Conversion(file, name, "uuid", count, "null uuid left out: the import gives the record one")
        for (file, name), count in dropped.items()
    ]
    return export.reporting(rewrites=rewrites, conversions=conversions)


#: The app's names for the timestamps, by bakery_io's.
TIMESTAMPS = {
    "date_added": "created_at",
    "last_modified": "updated_at",
    "last_updated": "updated_at",
}


def rename_timestamps(export: Export) -> Export:
    """The app's ``date_added``, ``last_modified`` and ``last_updated`` are 1.1's
    ``created_at`` and ``updated_at`` (kept where the record has those already)."""

    def change(record: Rec) -> Rec:
        renames = {
            old: new for old, new in TIMESTAMPS.items() if old in record and new not in record
        }
        return record.evolve(renames=renames) if renames else record

    for name in list(export.tables):
        export = map_table(export, name, change)
    return export


def zero_null_costs(export: Export) -> Export:
    """A required cost the app's backup wrote as null is zero.

    Its exporter writes ``str(cost) if cost else None``: a zero cost comes out
    as null, and bakery_io writes ``"0"``. Counted per field.
    """
    counts: Counter[tuple[str, str, str]] = Counter()

    def change(entity_type: str, record: Rec) -> Rec:
        fields = ZERO_AS_NULL[entity_type]
        nulls = {field: "0" for field in fields if field in record and record[field] is None}
        for field in nulls:
            counts[(record.origin.file, entity_type, field)] += 1
        return Rec({**record, **nulls}, record.origin) if nulls else record

    for name in ZERO_AS_NULL:
        export = map_table(export, name, partial(change, name))
    return export.reporting(
        conversions=[
            Conversion(
                file, name, field, count, "null read as 0: the app writes a zero cost as null"
            )
            for (file, name, field), count in counts.items()
        ]
    )


def upc_as_gtin(export: Export) -> Export:
    """A product's ``upc_code`` is its 1.1 ``gtin`` when it has none: a UPC is a GTIN-12.

    Counted as a conversion. A gtin is unique and a UPC in the app is not: a UPC
    beside a different gtin, or one that another product has too, stays behind,
    and :func:`leave_unmapped_fields` reports it.
    """
    counts: Counter[str] = Counter()
    products = export.records("products")
    # Only text is counted: anything else in these fields is for the check to name.
    upcs = Counter(r["upc_code"] for r in products if isinstance(r.get("upc_code"), str))
    gtins = Counter(r["gtin"] for r in products if isinstance(r.get("gtin"), str))

    def change(record: Rec) -> Rec:
        upc, gtin = record.get("upc_code"), record.get("gtin")
        if not isinstance(upc, str) or not upc or upc == gtin:
            return record.evolve(drop=("upc_code",)) if upc == gtin and upc else record
        if gtin not in (None, "") or upcs[upc] > 1 or gtins[upc]:
            # A gtin is unique: a UPC that another product shares stays behind, reported.
            return record
        counts[record.origin.file] += 1
        return record.evolve(renames={"upc_code": "gtin"}, drop=("gtin",))

    export = map_table(export, "products", change)
    return export.reporting(
        conversions=[
            Conversion(
                file, "products", "gtin", number, "upc_code read as gtin: a UPC is a GTIN-12"
            )
            for file, number in counts.items()
        ]
    )


@cache
def _known(schema: type[EntitySchema]) -> frozenset[str]:
    """Field names a record of ``schema`` may carry in format 1.0: its 1.1 fields, the
    app's ``id`` and each reference's ``<relation>_id`` (and ``_name`` for the types 1.0
    names by name), which the 1.0 step consumes."""
    known = {"id"}
    for name, field in declared_fields(schema).items():
        wire_name = field.data_key or name
        known.add(wire_name)
        if isinstance(field, Reference):
            known.add(id_field(wire_name))
            if field.target in NAMED:
                known.add(name_field(wire_name))
    return frozenset(known)


def _why(entity_type: str, path: str, record: Mapping[str, Any], name: str) -> str:
    said = WHY_FIELD.get((entity_type, path))
    if said is not None:
        return said
    stem = name.removesuffix("_name")
    if name.endswith("_name") and any(
        f"{stem}_{kind}" in record for kind in ("slug", "uuid", "id")
    ):
        return "a copy of the referenced record's name, which that record keeps"
    return "no field in format 1.1"


def leave_unmapped_fields(export: Export) -> Export:
    """Every field that format 1.1 has no place for is left behind and reported, counted.

    The last step: what remains outside bakery_io's fields (industry codes,
    the app's flags, copies of referenced names, nested consumptions of
    finished goods, any field an app version added) is removed, and each
    field that held a value in some record is listed with the number of such
    records, per file. A field that is empty everywhere is removed unlisted:
    nothing is lost with it.
    """
    counts: Counter[tuple[str, str, str]] = Counter()
    reasons: dict[tuple[str, str, str], str] = {}

    def strip(entity_type: str, schema: type[EntitySchema], record: Rec, prefix: str) -> Rec:
        known = _known(schema)
        extra = [name for name in record if name not in known]
        for name in extra:
            if has_value(record[name]):
                where = (record.origin.file, entity_type, prefix + name)
                counts[where] += 1
                reasons.setdefault(where, _why(entity_type, prefix + name, record, name))
        changes: dict[str, Any] = {}
        for key, child_schema in child_schemas(schema).items():
            if isinstance(record.get(key), list):
                changes[key] = [
                    strip(entity_type, child_schema, child, f"{key}/")
                    for child in children(record, key)
                ]
        if not extra and not changes:
            return record
        return Rec({**record, **changes}, record.origin).evolve(drop=extra)

    for entity in REGISTRY:
        export = map_table(
            export, entity.name, partial(strip, entity.name, entity.schema, prefix="")
        )
    left = [
        LeftBehind(file, entity_type, field, count, reasons[(file, entity_type, field)])
        for (file, entity_type, field), count in counts.items()
    ]
    return export.reporting(left_behind=left)
