"""The steps that bring the app's export to bakery_io's format 1.0, one rule each.

Each step is a pure function: an :class:`~bakery_io.versions.bake_tracker.records.Export`
in, a new one out, the records it changed rebuilt and what it did reported.
They run in the order of :data:`STEPS`; afterwards the export has bakery_io's
entity types and field names of format 1.0, and the chain of
:mod:`bakery_io.versions` takes it on to the current format (which drops the
app's ids, turns names of events, recipients and packages into slugs, applies
the slug rule, writes decimals as exact strings and naive datetimes as UTC).

The app's own names for a field and where each record came from travel with
the records, so every problem and rewrite names the value in the file the
user holds. What has no place in bakery_io's format is reported, with counts,
by :func:`leave_unmapped_fields`; nothing is dropped unseen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, partial
from itertools import count
from typing import Any

from bakery_io.fields import Children, DecimalString, Reference
from bakery_io.problems import Problem, pointer
from bakery_io.registry import REGISTRY, declared_fields
from bakery_io.schemas.base import EntitySchema
from bakery_io.slugs import unique_slug
from bakery_io.versions.backup import Conversion, LeftBehind, Repair, Rewrite
from bakery_io.versions.bake_tracker import document, older
from bakery_io.versions.bake_tracker.keys import (
    field_of,
    finished_unit_slug,
    index,
    key_slug,
    product_display_name,
    product_key,
    recipe_slug,
)
from bakery_io.versions.bake_tracker.records import Export, Origin, Rec, has_value
from bakery_io.versions.v1_0_to_v1_1 import NAMED, id_field, name_field, slug_length

Step = Callable[[Export], Export]

# Names of the opt-in repairs, as the library and the CLI take them.
REPARENT = "reparent-deep-ingredients"
SUFFIX = "suffix-repeated-keys"
ROUND = "round-float-noise"
LOT = "match-depletion-lot"
FIRST = "first-of-shared-name"

#: Every opt-in repair, with what it does (the CLI's help and the docs say the same).
REPAIRS: Mapping[str, str] = {
    REPARENT: (
        "an ingredient under a parent of its own hierarchy level (a fourth level) is moved "
        "under that parent's parent"
    ),
    SUFFIX: (
        "products that share the app's key ingredient:brand:quantity:unit get slugs suffixed "
        "-2, -3 in file order, and a reference by that key goes to the first of them, as the "
        "app's own importer resolves it"
    ),
    ROUND: (
        "a decimal the app wrote as a binary float with more places than its field takes is "
        "rounded, half to even, to the field's places"
    ),
    LOT: (
        "an inventory depletion that names a product with several lots goes to the one lot "
        "whose unit cost times the quantity depleted gives the depletion's cost"
    ),
    FIRST: (
        "a reference by a name that several events, recipients or packages share (or an "
        "assembly's packaging product by a name several products show) goes to the first of "
        "them in file order, as the app's own importer resolves it"
    ),
    **older.REPAIRS,
}

#: The app's entity types that the steps below fold into bakery_io's.
FOLDED = frozenset(
    {
        "compositions",
        "history:production_runs",
        "history:assembly_runs",
        "package_finished_goods",
        "event_production_targets",
        "event_assembly_targets",
    }
)

#: Why each of the app's own entity types has no place in format 1.1.
WHY_LEFT: Mapping[str, str] = {
    "recipe_snapshots": "the app's cost-history snapshots: format 1.1 keeps no snapshots",
    "finished_good_snapshots": "the app's cost-history snapshots: format 1.1 keeps no snapshots",
    "finished_unit_snapshots": "the app's cost-history snapshots: format 1.1 keeps no snapshots",
    "material_unit_snapshots": "the app's cost-history snapshots: format 1.1 keeps no snapshots",
    "recipe_categories": "format 1.1 keeps a recipe's category as text on the recipe",
    "material_inventory_items": (
        "lots of material products: format 1.1 keeps material purchases, not their lots"
    ),
    "production_records": "the app's older production records: format 1.1 keeps production runs",
    "event_recipes": "the app's event planning: format 1.1 keeps production targets",
    "event_finished_goods": "the app's event planning: format 1.1 keeps assembly targets",
    "batch_decisions": "the app's event planning decisions: no entity type in format 1.1",
    "plan_amendments": "the app's event plan amendments: no entity type in format 1.1",
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

#: Money fields the app's backup writes as null when they are zero (``str(x) if x else None``).
ZERO_AS_NULL: Mapping[str, tuple[str, ...]] = {
    "purchases": ("unit_price",),
    "material_purchases": ("package_price", "unit_cost"),
    "production_runs": ("total_ingredient_cost", "per_unit_cost"),
    "assembly_runs": ("total_component_cost", "per_unit_cost"),
    "inventory_depletions": ("cost",),
}


# ---------------------------------------------------------------------------
# Helpers.


class Derived:
    """Keys derived for references to records the export does not hold, one rewrite per
    key with the number of references that use it (the load finds them in the database)."""

    def __init__(self, entity_type: str, why: str) -> None:
        self.entity_type = entity_type
        self.why = why
        self.found: dict[str, Rewrite] = {}

    def key(self, old: str, new: str, origin: Origin, field: str) -> str:
        """``new``, derived from ``old`` where ``origin``'s ``field`` referenced it."""
        known = self.found.get(old)
        self.found[old] = (
            Rewrite(
                self.entity_type,
                old,
                new,
                self.why,
                origin.file,
                origin.at(field),
                origin.record,
                1,
            )
            if known is None
            else replace(known, references=known.references + 1)
        )
        return new

    @property
    def rewrites(self) -> tuple[Rewrite, ...]:
        """One rewrite per derived key."""
        return tuple(self.found.values())


def children(record: Rec, key: str, app_key: str | None = None) -> list[Rec]:
    """The child records under ``key`` as records that know their origin."""
    found = record.get(key)
    if not isinstance(found, list):
        return []
    at = record.origin.at(app_key or key)
    return [
        child
        if isinstance(child, Rec)
        else Rec(
            child,
            Origin(
                record.origin.file, at + pointer(position), record.origin.record, record.origin.key
            ),
        )
        for position, child in enumerate(found)
        if isinstance(child, Mapping)
    ]


def _left(entity_type: str, field: str | None, counts: Counter[str], why: str) -> list[LeftBehind]:
    return [
        LeftBehind(file, entity_type, field, count, why) for file, count in counts.items() if count
    ]


def _map_table(export: Export, entity_type: str, change: Callable[[Rec], Rec]) -> Export:
    if entity_type not in export.tables:
        return export
    return export.with_table(
        entity_type, [change(record) for record in export.records(entity_type)]
    )


# ---------------------------------------------------------------------------
# The steps, in order.


def leave_app_only_types(export: Export) -> Export:
    """The app's entity types that format 1.1 has no place for are left behind, counted.

    Snapshots, recipe categories, material lots and the single document's
    planning tables; compositions, event targets, package contents and the
    history documents' runs are folded into bakery_io's types by later steps.
    """
    left = []
    tables = {}
    for name, table in export.tables.items():
        if name in REGISTRY or name in FOLDED:
            tables[name] = table
            continue
        if table.records:
            why = WHY_LEFT.get(name, "no entity type in format 1.1")
            left.append(LeftBehind(table.file, name, None, len(table.records), why))
    return replace(export, tables=tables).reporting(left_behind=left)


def merge_history(export: Export) -> Export:
    """A history document's runs join the backup's: the history holds what the backup lacks.

    The app's backup writes production runs without their consumptions and
    losses; its production-history document writes them with. A run of the
    history is matched to the backup's by uuid: it gains the history's
    children and any field the backup's run lacks, and the backup's values win
    (the history rounds costs to cents). A run only the history holds is
    taken from it whole. Assembly runs are merged the same way.
    """
    for name in ("production_runs", "assembly_runs"):
        history = f"history:{name}"
        if history not in export.tables:
            continue
        extra = export.records(history)
        if name not in export.tables:
            table = export.tables[history]
            tables = {**export.tables, name: table}
            del tables[history]
            export = replace(export, tables=tables)
            continue
        by_uuid = index(extra, field_of("uuid"))
        taken: set[int] = set()
        merged = []
        for run in export.records(name):
            matches = by_uuid.get(run.get("uuid"), [])
            if len(matches) != 1:
                merged.append(run)
                continue
            found = matches[0]
            taken.add(id(found))
            changes: dict[str, Any] = {}
            for key, value in found.items():
                if key in run:
                    continue
                changes[key] = children(found, key) if isinstance(value, list) else value
            merged.append(Rec({**run, **changes}, run.origin))
        merged.extend(run for run in extra if id(run) not in taken)
        export = export.with_table(name, merged).without(history)
    return export


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
            if isinstance(record.get("uuid"), str) and record["uuid"]:
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
        export = _map_table(export, name, change)
    return export


class _Products:
    """The products of an export by the app's composite key, by id and by the display
    name the app shows (and writes in an assembly's packaging consumptions)."""

    def __init__(self, export: Export) -> None:
        self.present = "products" in export.tables
        self.file = export.tables["products"].file if self.present else "products.json"
        self.records = export.records("products")
        self.by_key = index(self.records, product_key)
        self.by_id = index(self.records, field_of("id"))
        ingredients = {
            record.get("slug"): record.get("display_name")
            for record in export.records("ingredients")
            if isinstance(record.get("slug"), str)
        }
        self.by_name = index(
            self.records,
            lambda record: product_display_name(
                record,
                ingredients.get(record["ingredient_slug"])
                if isinstance(record.get("ingredient_slug"), str)
                else None,
            ),
        )
        self.slugs = {
            record["slug"] for record in self.records if isinstance(record.get("slug"), str)
        }


def derive_product_slugs(export: Export) -> Export:
    """Products get slugs: the app's own where it has one, else one derived from its key.

    The app's products have a null slug and are referenced by the text key
    ``ingredient:brand:quantity:unit``. Each product's slug is derived from
    that key by the slug rule (``flour_all_purpose-king-arthur-25-lb``), with
    ``-2``, ``-3`` where two keys fold alike, and every derivation is reported
    as a rewrite. Two products with the very same key are a problem: a
    reference by that key cannot tell them apart (the repair
    ``suffix-repeated-keys`` suffixes the later ones and sends references to
    the first).
    """
    if "products" not in export.tables:
        return export
    products = _Products(export)
    length = slug_length(REGISTRY["products"]) or 200
    taken = set(products.slugs)
    problems: list[Problem] = []
    rewrites: list[Rewrite] = []
    repairs: list[Repair] = []
    records = []
    for record in products.records:
        if isinstance(record.get("slug"), str) and record["slug"]:
            records.append(record)
            continue
        key = product_key(record)
        sharing = products.by_key.get(key, [record])
        first = sharing[0] is record
        slug = unique_slug(key_slug(key, length), taken, length)
        origin = record.origin.named("slug", "slug")
        if not first and SUFFIX not in export.repairs_asked:
            problems.append(
                origin.problem(
                    f"{len(sharing)} products share the app's key {key!r} (records "
                    f"{', '.join(str(other.origin.record) for other in sharing)}), so a reference "
                    f"by that key cannot tell them apart; the repair {SUFFIX!r} suffixes the "
                    "later ones and sends references to the first",
                    "slug",
                )
            )
        elif not first:
            repairs.append(
                Repair(
                    SUFFIX,
                    "products",
                    origin.file,
                    origin.at("slug"),
                    key,
                    slug,
                    f"the app's key is shared by {len(sharing)} products",
                    origin.record,
                    origin.key,
                )
            )
        rewrites.append(
            Rewrite(
                "products",
                key,
                slug,
                "the app's products have no slug: derived from its key "
                "ingredient:brand:quantity:unit",
                origin.file,
                origin.at("slug"),
                origin.record,
            )
        )
        records.append(Rec({**record, "slug": slug}, origin))
    export = export.with_table("products", records)
    return export.reporting(problems=problems, rewrites=rewrites, repairs=repairs)


class _ProductReferences:
    """Turns the app's references to products into product slugs, reporting as it goes."""

    def __init__(self, export: Export) -> None:
        self.export = export
        self.products = _Products(export)
        self.problems: list[Problem] = []
        self.repairs: list[Repair] = []
        self.derived: dict[str, Rewrite] = {}
        #: How many references went to each product slug.
        self.used: Counter[str] = Counter()
        length = slug_length(REGISTRY["products"]) or 200
        self.length = length

    def by_key(self, entity_type: str, key: str, origin: Origin, field: str) -> str | None:
        """The slug of the product the app's key names (``field`` holds it)."""
        found = self.products.by_key.get(key, [])
        if len(found) == 1 or (found and SUFFIX in self.export.repairs_asked):
            if len(found) > 1:
                self.repairs.append(
                    Repair(
                        SUFFIX,
                        entity_type,
                        origin.file,
                        origin.at(field),
                        key,
                        found[0]["slug"],
                        f"the key is shared by {len(found)} products: the first is taken",
                        origin.record,
                        origin.key,
                    )
                )
            self.used[found[0]["slug"]] += 1
            return str(found[0]["slug"])
        if found:
            self.problems.append(
                origin.problem(
                    f"{len(found)} products in {self.products.file} share the key {key!r}, so this "
                    f"reference cannot tell them apart (the repair {SUFFIX!r} takes the first)",
                    field,
                )
            )
            return None
        if key in self.products.slugs:
            return key
        if not self.products.present:
            derived = key_slug(key, self.length)
            known = self.derived.get(key)
            self.derived[key] = (
                Rewrite(
                    "products",
                    key,
                    derived,
                    "not in this export: slug derived from the app's key, as the product's own was",
                    origin.file,
                    origin.at(field),
                    origin.record,
                    1,
                )
                if known is None
                else replace(known, references=known.references + 1)
            )
            return derived
        self.problems.append(
            origin.problem(f"no product in {self.products.file} has the key {key!r}", field)
        )
        return None

    def by_id_or_name(self, record: Rec, id_name: str, name_name: str, field: str) -> Rec:
        """``record`` with ``field`` set from the product its id (or else its name) names."""
        number = record.get(id_name)
        if self.products.by_id and number in self.products.by_id:
            found = self.products.by_id[number]
            how, value = id_name, number
        else:
            name = record.get(name_name)
            found = self.products.by_name.get(name, []) if isinstance(name, str) else []
            how, value = name_name, name
        origin = record.origin.named(field, how).named(id_field(field), how)
        if len(found) > 1 and FIRST in self.export.repairs_asked:
            self.repairs.append(
                Repair(
                    FIRST,
                    "assembly_runs",
                    origin.file,
                    origin.at(field),
                    value,
                    found[0]["slug"],
                    f"{len(found)} products show this name; the first is taken",
                    origin.record,
                    origin.key,
                )
            )
            found = found[:1]
        if len(found) != 1:
            what = "no product" if not found else f"{len(found)} products"
            also = f" (the repair {FIRST!r} takes the first)" if found else ""
            said = f"{what} in {self.products.file} with {how} {value!r}{also}"
            if not self.products.present:
                said = (
                    f"the export holds no products, so the one with {how} {value!r} cannot be "
                    "told: give the app's backup together with this file"
                )
            self.problems.append(origin.problem(said, field))
            return Rec({**record, field: None}, origin).evolve(drop=(id_name, name_name))
        self.used[found[0]["slug"]] += 1
        return Rec({**record, field: found[0]["slug"]}, origin).evolve(drop=(id_name, name_name))


def resolve_product_references(export: Export) -> Export:
    """References to products become product slugs.

    Purchases and inventory items name their product by the app's key, or (the
    older backups) by ``product_id`` beside it, which is exact and preferred;
    an assembly's packaging consumptions name it by ``product_id`` and
    ``product_name``. A key, id or name that matches no product, or several,
    is a problem. When the export holds no products at all (a history document
    alone), a key becomes the slug derived from it, reported, for the load to
    find in the database.
    """
    if not any(name in export.tables for name in ("purchases", "inventory_items", "assembly_runs")):
        return export
    refs = _ProductReferences(export)

    def keyed(entity_type: str, record: Rec) -> Rec:
        number = record.get("product_id")
        if refs.products.by_id and number in refs.products.by_id:
            found = refs.products.by_id[number]
            if len(found) == 1:
                refs.used[found[0]["slug"]] += 1
                origin = record.origin.named("product_slug", "product_id")
                return Rec({**record, "product_slug": found[0]["slug"]}, origin).evolve(
                    drop=("product_id",)
                )
        key = record.get("product_slug")
        if not isinstance(key, str):
            return record
        slug = refs.by_key(entity_type, key, record.origin, "product_slug")
        return Rec({**record, "product_slug": slug}, record.origin).evolve(drop=("product_id",))

    def packaging(run: Rec) -> Rec:
        if "packaging_consumptions" not in run:
            return run
        used = [
            child
            if "product_slug" in child
            else refs.by_id_or_name(child, "product_id", "product_name", "product_slug")
            for child in children(run, "packaging_consumptions")
        ]
        return Rec({**run, "packaging_consumptions": used}, run.origin)

    export = _map_table(export, "purchases", lambda record: keyed("purchases", record))
    export = _map_table(export, "inventory_items", lambda record: keyed("inventory_items", record))
    export = _map_table(export, "assembly_runs", packaging)
    # The slugs derived for products are reported with the references that now use them.
    counted = tuple(
        replace(rewrite, references=refs.used[rewrite.new])
        if rewrite.entity_type == "products"
        else rewrite
        for rewrite in export.rewrites
    )
    export = replace(export, rewrites=counted)
    return export.reporting(
        problems=refs.problems, repairs=refs.repairs, rewrites=refs.derived.values()
    )


def _component(
    composition: Rec, units: Mapping[Any, list[Rec]], units_file: str | None
) -> Rec | Problem | None:
    """One composition as a 1.1 component; a problem; or None when it names no
    finished unit, finished good or material unit (a packaging product, say)."""
    origin = composition.origin
    # The single document names a component good finished_good_component_slug (its
    # finished_good_slug is the assembly); the backup says assembly_slug and finished_good_slug.
    good_field = (
        "finished_good_slug" if "assembly_slug" in composition else "finished_good_component_slug"
    )
    component: dict[str, Any] = {}
    if composition.get("finished_unit_slug") is not None:
        component["finished_unit_slug"] = composition["finished_unit_slug"]
    if composition.get(good_field) is not None:
        component["finished_good_slug"] = composition[good_field]
        origin = origin.named("finished_good_slug", good_field)
    unit = composition.get("material_unit_slug")
    if unit is not None:
        matches = units.get(unit, [])
        if len(matches) != 1:
            if units_file is None:
                return origin.problem(
                    f"the export holds no material units, so the product of {unit!r} is unknown",
                    "material_unit_slug",
                )
            many = f"{len(matches)} material units in {units_file} have"
            return origin.problem(
                f"{many if matches else f'no material unit in {units_file} has'} the slug {unit!r}",
                "material_unit_slug",
            )
        component["material_product_slug"] = matches[0].get("material_product_slug")
        component["material_unit_slug"] = unit
        origin = origin.named("material_product_slug", "material_unit_slug")
    if not component:
        return None
    for ours, theirs in (("quantity", "component_quantity"), ("notes", "component_notes")):
        if theirs in composition:
            component[ours] = composition[theirs]
            origin = origin.named(ours, theirs)
    component.update(
        (name, composition[name])
        for name in ("sort_order", "is_generic", "uuid")
        if name in composition
    )
    return Rec(component, origin)


def nest_compositions(export: Export) -> Export:
    """The app keeps a finished good's components apart, as compositions: each becomes
    a component nested in its finished good (``assembly_slug``).

    ``component_quantity`` and ``component_notes`` are 1.1's ``quantity`` and
    ``notes``; a material unit is named by its product and its slug, the
    product found from the export's material units. A composition of a
    packaging product has no place in 1.1's components (finished units,
    finished goods and material units) and is left behind, counted.
    """
    if "compositions" not in export.tables:
        return export
    table = export.tables["compositions"]
    goods = export.records("finished_goods")
    goods_file = export.tables["finished_goods"].file if goods else "finished_goods.json"
    by_slug = index(goods, field_of("slug"))
    units = index(export.records("material_units"), field_of("slug"))
    units_file = export.tables["material_units"].file if "material_units" in export.tables else None
    problems: list[Problem] = []
    left: Counter[str] = Counter()
    nested: dict[int, list[Rec]] = {id(good): [] for good in goods}
    for composition in table.records:
        field = "assembly_slug" if "assembly_slug" in composition else "finished_good_slug"
        assembly = composition.get(field)
        found = by_slug.get(assembly, []) if isinstance(assembly, str) else []
        if len(found) != 1:
            said = f"{len(found)} finished goods" if found else "no finished good"
            problems.append(
                composition.origin.problem(
                    f"{said} in {goods_file} with the slug {assembly!r}", field
                )
            )
            continue
        component = _component(composition, units, units_file)
        if isinstance(component, Problem):
            problems.append(component)
        elif component is None:
            left[composition.origin.file] += 1
        else:
            nested[id(found[0])].append(component)

    def nest(good: Rec) -> Rec:
        return Rec(
            {**good, "components": [*children(good, "components"), *nested[id(good)]]}, good.origin
        )

    export = _map_table(export.without("compositions"), "finished_goods", nest)
    left_behind = _left(
        "compositions",
        None,
        left,
        "compositions of a packaging product (or of nothing): format 1.1's finished-good "
        "components are finished units, finished goods and material units",
    )
    return export.reporting(problems=problems, left_behind=left_behind)


def resolve_recipe_names(export: Export) -> Export:
    """Production runs that name their recipe by ``recipe_name`` alone get its slug.

    The app's production history writes the recipe's name, which need not be
    unique, beside the run's finished unit: the recipe is the one of that name
    whose finished unit it is, or the only one of that name. Several
    candidates are a problem, not a guess. Without the export's recipes (a
    history document alone) the recipe is the finished unit's, when the export
    holds finished units, and otherwise the slug derived from the name,
    reported, for the load to find in the database.
    """
    if "production_runs" not in export.tables:
        return export
    recipes_table = export.tables.get("recipes")
    recipes = index(export.records("recipes"), field_of("name"))
    units = index(export.records("finished_units"), field_of("slug"))
    problems: list[Problem] = []
    derived = Derived(
        "recipes",
        "not in this export: slug derived from the recipe's name by the app's own rule",
    )

    def change(run: Rec) -> Rec:
        name = run.get("recipe_name")
        if "recipe_slug" in run or not isinstance(name, str):
            return run
        origin = run.origin.named("recipe_slug", "recipe_name")
        unit = units.get(run.get("finished_unit_slug"), [])
        owner = unit[0].get("recipe_slug") if len(unit) == 1 else None
        candidates = recipes.get(name, [])
        slug: Any = None
        if recipes_table is not None:
            matching = [recipe for recipe in candidates if recipe.get("slug") == owner]
            chosen = matching or candidates
            if len(chosen) == 1:
                slug = chosen[0].get("slug")
            else:
                problems.append(
                    origin.problem(
                        f"no recipe in {recipes_table.file} is named {name!r}"
                        if not chosen
                        else f"{len(chosen)} recipes in {recipes_table.file} are named {name!r} "
                        "and the run's finished unit does not tell them apart",
                        "recipe_slug",
                    )
                )
        elif owner is not None:
            slug = owner
        else:
            slug = derived.key(name, recipe_slug(name), origin, "recipe_slug")
        return Rec({**run, "recipe_slug": slug}, origin).evolve(drop=("recipe_name",))

    export = _map_table(export, "production_runs", change)
    return export.reporting(problems=problems, rewrites=derived.rewrites)


def resolve_finished_unit_names(export: Export) -> Export:
    """Assembly consumptions of finished units get the unit's slug.

    The app's assembly history names a consumed finished unit by its database
    id and display name. The id matches a unit of the export when the export
    carries ids (older backups); otherwise the name does: among the run's
    finished good's components first, then among all finished units. No
    match, or several, is a problem.
    """
    if "assembly_runs" not in export.tables:
        return export
    units = export.records("finished_units")
    file = (
        export.tables["finished_units"].file
        if "finished_units" in export.tables
        else "finished_units.json"
    )
    by_id = index(units, field_of("id"))
    by_name = index(units, field_of("display_name"))
    goods = index(export.records("finished_goods"), field_of("slug"))
    problems: list[Problem] = []
    derived = Derived(
        "finished_units",
        "not in this export: slug derived from the unit's name by the app's own rule",
    )

    def consumed(run: Rec, child: Rec) -> Rec:
        if "finished_unit_slug" in child:
            return child
        number, name = child.get("finished_unit_id"), child.get("finished_unit_name")
        if "finished_units" not in export.tables and isinstance(name, str):
            origin = child.origin.named("finished_unit_slug", "finished_unit_name").named(
                "finished_unit_id", "finished_unit_name"
            )
            slug = derived.key(name, finished_unit_slug(name), origin, "finished_unit_slug")
            return Rec({**child, "finished_unit_slug": slug}, origin).evolve(
                drop=("finished_unit_id", "finished_unit_name")
            )
        found = by_id.get(number, []) if by_id else []
        how = "finished_unit_id"
        if len(found) != 1:
            how = "finished_unit_name"
            found = by_name.get(name, [])
            good = goods.get(run.get("finished_good_slug"), [])
            if len(found) > 1 and len(good) == 1:
                inside = {c.get("finished_unit_slug") for c in children(good[0], "components")}
                found = [unit for unit in found if unit.get("slug") in inside] or found
        # Format 1.0 says this reference by id: problems about it may name either field.
        origin = child.origin.named("finished_unit_slug", how).named("finished_unit_id", how)
        if len(found) != 1:
            problems.append(
                origin.problem(
                    f"no finished unit in {file} is named {name!r} or has the id {number!r}"
                    if not found
                    else f"{len(found)} finished units in {file} are named {name!r}",
                    "finished_unit_slug",
                )
            )
            return Rec({**child, "finished_unit_slug": None}, origin).evolve(
                drop=("finished_unit_id", "finished_unit_name")
            )
        return Rec({**child, "finished_unit_slug": found[0].get("slug")}, origin).evolve(
            drop=("finished_unit_id", "finished_unit_name")
        )

    def change(run: Rec) -> Rec:
        if "finished_unit_consumptions" not in run:
            return run
        used = [consumed(run, child) for child in children(run, "finished_unit_consumptions")]
        return Rec({**run, "finished_unit_consumptions": used}, run.origin)

    export = _map_table(export, "assembly_runs", change)
    return export.reporting(problems=problems, rewrites=derived.rewrites)


def resolve_depletion_lots(export: Export) -> Export:
    """An inventory depletion's ``inventory_item_ref`` becomes the lot's uuid.

    The app names the depleted lot by its product's key only. When the export
    holds one lot of that product it is that lot; several are a problem (the
    repair ``match-depletion-lot`` takes the one lot whose unit cost times the
    quantity depleted gives the depletion's cost); none is a problem.
    """
    if "inventory_depletions" not in export.tables:
        return export
    lots_table = export.tables.get("inventory_items")
    lots = export.records("inventory_items")
    by_product: dict[Any, list[Rec]] = {}
    keys = {
        record["slug"]: product_key(record)
        for record in export.records("products")
        if isinstance(record.get("slug"), str)
    }
    for lot in lots:
        # Lots name their product by key in the app's files, by slug once resolved.
        product = lot.get("product_slug")
        by_product.setdefault(keys.get(product, product), []).append(lot)
    problems: list[Problem] = []
    repairs: list[Repair] = []

    def change(record: Rec) -> Rec:
        ref = record.get("inventory_item_ref")
        if (
            "inventory_item_uuid" in record
            or "inventory_item_id" in record
            or not isinstance(ref, str)
        ):
            return record
        origin = record.origin.named("inventory_item_uuid", "inventory_item_ref").named(
            "inventory_item_id", "inventory_item_ref"
        )
        found = by_product.get(ref, [])
        if len(found) > 1 and LOT in export.repairs_asked:
            matching = [lot for lot in found if _costs(lot, record)]
            if len(matching) == 1:
                repairs.append(
                    Repair(
                        LOT,
                        "inventory_depletions",
                        origin.file,
                        origin.at("inventory_item_uuid"),
                        ref,
                        matching[0].get("uuid"),
                        f"{len(found)} lots of the product: the one whose unit cost gives the cost",
                        origin.record,
                        origin.key,
                    )
                )
                found = matching
        if len(found) != 1:
            where = lots_table.file if lots_table else "the export"
            problems.append(
                origin.problem(
                    f"no lot in {where} is of the product {ref!r}"
                    if not found
                    else f"{len(found)} lots in {where} are of the product {ref!r}, so the "
                    "app's reference cannot tell which was depleted "
                    f"(the repair {LOT!r} matches by cost)",
                    "inventory_item_uuid",
                )
            )
            return Rec({**record, "inventory_item_uuid": None}, origin).evolve(
                drop=("inventory_item_ref",)
            )
        return Rec({**record, "inventory_item_uuid": found[0].get("uuid")}, origin).evolve(
            drop=("inventory_item_ref",)
        )

    export = _map_table(export, "inventory_depletions", change)
    return export.reporting(problems=problems, repairs=repairs)


def _costs(lot: Mapping[str, Any], depletion: Mapping[str, Any]) -> bool:
    """Whether ``lot``'s unit cost times the quantity depleted is the depletion's cost."""
    try:
        unit = Decimal(str(lot.get("unit_cost")))
        quantity = Decimal(str(depletion.get("quantity_depleted")))
        cost = Decimal(str(depletion.get("cost")))
    except ArithmeticError:
        return False
    return unit.is_finite() and quantity.is_finite() and unit * quantity == cost


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
        first = found[0].origin
        repairs.append(
            Repair(
                FIRST,
                entity_type,
                record.origin.file,
                record.origin.at(named),
                record[named],
                f"{first.file} {first.pointer}",
                f"{len(found)} {target} share the name; the first is taken",
                record.origin.record,
                record.origin.key,
            )
        )
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
                export = _map_table(export, entity.name, change)
    return export.reporting(repairs=repairs)


def rename_material_purchase_products(export: Export) -> Export:
    """A material purchase's ``product_slug`` is 1.1's ``material_product_slug``."""

    def change(record: Rec) -> Rec:
        if "product_slug" in record and "material_product_slug" not in record:
            return record.evolve(renames={"product_slug": "material_product_slug"})
        return record

    return _map_table(export, "material_purchases", change)


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
        export = _map_table(export, name, partial(change, name))
    return export.reporting(
        conversions=[
            Conversion(
                file, name, field, count, "null read as 0: the app writes a zero cost as null"
            )
            for (file, name, field), count in counts.items()
        ]
    )


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

    export = _map_table(export, "ingredients", change)
    return export.reporting(repairs=repairs)


@cache
def decimal_fields(schema: type[EntitySchema]) -> dict[str, DecimalString]:
    return {
        field.data_key or name: field
        for name, field in declared_fields(schema).items()
        if isinstance(field, DecimalString)
    }


@cache
def child_schemas(schema: type[EntitySchema]) -> dict[str, type[EntitySchema]]:
    return {
        field.data_key or name: field.schema_class
        for name, field in declared_fields(schema).items()
        if isinstance(field, Children)
    }


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
        export = _map_table(export, entity.name, partial(fix, entity.name, entity.schema))
    return export.reporting(repairs=repairs)


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

    export = _map_table(export, "products", change)
    return export.reporting(
        conversions=[
            Conversion(
                file, "products", "gtin", number, "upc_code read as gtin: a UPC is a GTIN-12"
            )
            for file, number in counts.items()
        ]
    )


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
        export = _map_table(
            export, entity.name, partial(strip, entity.name, entity.schema, prefix="")
        )
    left = [
        LeftBehind(file, entity_type, field, count, reasons[(file, entity_type, field)])
        for (file, entity_type, field), count in counts.items()
    ]
    return export.reporting(left_behind=left)


#: The steps, in the order they run.
STEPS: tuple[Step, ...] = (
    document.merge_document_events,
    leave_app_only_types,
    document.leave_document_runs,
    merge_history,
    derive_missing_uuids,
    rename_timestamps,
    older.map_assembly_types,
    older.derive_recipe_slugs,
    derive_product_slugs,
    older.resolve_ids,
    document.resolve_document_products,
    resolve_product_references,
    document.resolve_recipe_name_references,
    document.take_recipe_finished_units,
    document.nest_event_targets,
    document.nest_package_contents,
    document.leave_package_compositions,
    nest_compositions,
    resolve_recipe_names,
    resolve_finished_unit_names,
    resolve_depletion_lots,
    resolve_shared_names,
    older.finished_units_from_runs,
    older.leave_material_units_of_materials,
    older.leave_older_fields,
    older.ingredient_tree,
    rename_material_purchase_products,
    zero_null_costs,
    reparent_deep_ingredients,
    round_float_noise,
    upc_as_gtin,
    leave_unmapped_fields,
)


def run(export: Export, steps: Iterable[Step] = STEPS) -> Export:
    """``export`` taken through ``steps`` in order."""
    for step in steps:
        export = step(export)
    return export
