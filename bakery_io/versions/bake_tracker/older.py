"""Steps for the app's older full backup (app commit 7234c6b7, 2026-01), one rule each.

Up to then the app's backup wrote its database ids: ``id`` on every record and
``<relation>_id`` beside each reference, which is often a name rather than a
slug (``supplier_name``, ``component_recipe_name``, ``recipe_name``). Recipes
had no slug, ingredients no tree, finished goods other assembly types, and the
backup held no finished units (a recipe carried its own yield). These steps
bring that shape to the current one, which :mod:`.steps` takes on from there;
on the current shape each of them does nothing.

Like :mod:`.steps`, every step is a pure function of the
:class:`~bakery_io.versions.bake_tracker.records.Export`, and what it did is
reported: keys derived (rewrites), values mapped (conversions), what has no
place in format 1.1 (left behind, counted) and the opt-in repairs used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import Any

from bakery_io.format.fields import Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import slugify, unique_slug
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.repair_names import TREE, UNITS
from bakery_io.versions.backup import Conversion, LeftBehind, Repair, Rewrite
from bakery_io.versions.bake_tracker.keys import field_of, index, recipe_slug
from bakery_io.versions.bake_tracker.records import (
    Export,
    Rec,
    Table,
    child_schemas,
    children,
    has_value,
    map_table,
)
from bakery_io.versions.v1_0_to_v1_1 import ID_ONLY, NAMED, id_field, name_field, slug_length

#: What the app's older finished goods called their assembly types, by the current name.
#: The app itself consolidated them (its commit fb32146a, "Consolidate AssemblyType to
#: BARE and BUNDLE"): every multi-component type became ``bundle``.
ASSEMBLY_TYPES: Mapping[str, str] = {
    "gift_box": "bundle",
    "variety_pack": "bundle",
    "holiday_set": "bundle",
    "bulk_pack": "bundle",
    "custom_order": "bundle",
}

#: Fields of the older backup with no place in format 1.1, and why, by entity type.
OLDER_FIELDS: Mapping[str, Mapping[str, str]] = {
    "recipes": {
        "yield_quantity": (
            "the recipe's own yield, which the app later moved to finished units (its F056; "
            "its importer ignores it): format 1.1 keeps yields on finished units"
        ),
        "yield_unit": (
            "the recipe's own yield unit, which the app later moved to finished units: "
            "format 1.1 keeps yields on finished units"
        ),
        "yield_description": (
            "the recipe's own yield description, which the app later moved to finished "
            "units: format 1.1 keeps yields on finished units"
        ),
    },
    "material_products": {
        "current_inventory": (
            "the app's running stock of the material product: format 1.1 keeps material "
            "purchases, not a stock count"
        ),
        "weighted_avg_cost": (
            "the app's running average cost of the material product: format 1.1 keeps the "
            "costs of material purchases"
        ),
    },
    "production_runs": {
        "recipe_snapshot_id": (
            "the id of the app's cost-history snapshot of the recipe, which the older backup "
            "does not write: format 1.1 keeps no snapshots"
        ),
    },
}

#: Fields that only copy what a resolved reference names, consumed with it.
COPIES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("inventory_depletions", "inventory_item_uuid"): ("inventory_item_ref",),
}


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def map_assembly_types(export: Export) -> Export:
    """A finished good's older assembly type (``gift_box``, ``variety_pack``,
    ``holiday_set``, ``bulk_pack``, ``custom_order``) is ``bundle``.

    The app made the same change to its own data (commit fb32146a): the five
    multi-component types became one, ``bundle``, beside ``bare``. Counted per
    file as a conversion.
    """
    counts: Counter[str] = Counter()

    def change(record: Rec) -> Rec:
        old = record.get("assembly_type")
        new = ASSEMBLY_TYPES.get(old) if isinstance(old, str) else None
        if new is None:
            return record
        counts[record.origin.file] += 1
        return Rec({**record, "assembly_type": new}, record.origin)

    export = map_table(export, "finished_goods", change)
    return export.reporting(
        conversions=[
            Conversion(
                file,
                "finished_goods",
                "assembly_type",
                number,
                "gift_box, variety_pack, holiday_set, bulk_pack and custom_order read as "
                "bundle, as the app itself consolidated them",
            )
            for file, number in counts.items()
        ]
    )


def derive_recipe_slugs(export: Export) -> Export:
    """Recipes without a slug get the one the app gives them: derived from the name by
    its rule, ``-2``, ``-3`` on collision, in id order.

    The app's older backup writes no recipe slug; its later importer derives
    one from the name when a file lacks it (``_generate_unique_slug``), in the
    order the records come, that is by id. A recipe that has a slug keeps it;
    every derived slug is reported as a rewrite of the name.
    """
    records = export.records("recipes")
    if not any(not isinstance(r.get("slug"), str) or not r["slug"] for r in records):
        return export
    taken = {r["slug"] for r in records if isinstance(r.get("slug"), str) and r["slug"]}
    order = sorted(
        range(len(records)),
        key=lambda i: (0, records[i]["id"]) if _is_id(records[i].get("id")) else (1, i),
    )
    slugs: dict[int, str] = {}
    rewrites: list[Rewrite] = []
    for position in order:
        record = records[position]
        if isinstance(record.get("slug"), str) and record["slug"]:
            continue
        name = record.get("name")
        if not isinstance(name, str):
            continue
        slug = unique_slug(recipe_slug(name), taken)
        slugs[position] = slug
        origin = record.origin.named("slug", "name")
        rewrites.append(
            Rewrite(
                "recipes",
                name,
                slug,
                "the app's older recipes have no slug: derived from the name by the app's own "
                "rule, -2, -3 on collision in id order",
                origin.file,
                origin.at("slug"),
                origin.record,
            )
        )
    changed = [
        Rec({**r, "slug": slugs[i]}, r.origin.named("slug", "name")) if i in slugs else r
        for i, r in enumerate(records)
    ]
    return export.with_table("recipes", changed).reporting(rewrites=rewrites)


class _Targets:
    """The records of each entity type of an export by id and by name."""

    def __init__(self, export: Export) -> None:
        self.export = export
        self.by_id: dict[str, dict[Any, list[Rec]]] = {}
        self.by_name: dict[str, dict[Any, list[Rec]]] = {}

    def ids(self, target: str) -> dict[Any, list[Rec]]:
        if target not in self.by_id:
            self.by_id[target] = index(self.export.records(target), field_of("id"))
        return self.by_id[target]

    def names(self, target: str) -> dict[Any, list[Rec]]:
        if target not in self.by_name:
            self.by_name[target] = index(self.export.records(target), field_of("name"))
        return self.by_name[target]


def _reference_fields(schema: type[EntitySchema]) -> list[tuple[str, Reference]]:
    return [
        (field.data_key or name, field)
        for name, field in declared_fields(schema).items()
        if isinstance(field, Reference) and field.target not in NAMED
    ]


def resolve_ids(export: Export) -> Export:
    """A reference the older backup writes with an id (``supplier_id``,
    ``component_recipe_id``, ``inventory_item_id``…) names the record with that id.

    An id that matches exactly one record of the export is exact and wins: the
    reference becomes that record's key and the name or key beside it is
    consumed. Otherwise the slug or key beside it stands as written (checked
    later), and the name beside it (``supplier_name``,
    ``component_recipe_name``) names the one record of that name; none or
    several is a problem. Where the target's records carry no ids at all (the
    single document's products), the reference is left to the steps for that
    file. References to events stay for format 1.0's own
    step, which tells events of one name apart by these ids.
    """
    targets = _Targets(export)
    problems: list[Problem] = []

    def resolve(entity_type: str, schema: type[EntitySchema], record: Rec, where: str = "") -> Rec:
        changes: dict[str, Any] = {}
        drop: list[str] = []
        origin = record.origin
        for wire, field in _reference_fields(schema):
            sibling, named = id_field(wire), name_field(wire)
            if sibling not in record:
                continue
            target = field.target
            key = REGISTRY[target].natural_key[-1]
            held = target in export.tables
            number = record.get(sibling)
            found = targets.ids(target).get(number, []) if held and _is_id(number) else []
            if len(found) == 1 and _is_id(record.get(sibling)):
                changes[wire] = found[0].get(key)
                origin = origin.named(wire, sibling)
                drop += [sibling, *COPIES.get((entity_type, wire), ())]
                if named != wire:
                    drop.append(named)
                continue
            if isinstance(record.get(wire), str) or named not in record or named == wire:
                continue
            if not targets.ids(target):
                # Ids that name nothing in this export (the single document's products, a
                # history's database ids): the steps for those files resolve the reference.
                continue
            if (entity_type, where, wire) in ID_ONLY:
                # By id or a display name (history documents): later steps resolve these.
                continue
            name = record.get(named)
            origin = origin.named(wire, named)
            drop.append(named)
            if name is None:
                changes[wire] = None
                continue
            matches = targets.names(target).get(name, []) if held else []
            if len(matches) == 1:
                changes[wire] = matches[0].get(key)
                continue
            file = export.tables[target].file if held else f"{target}.json"
            said = (
                f"{len(matches)} {target} in {file} are named {name!r}"
                if matches
                else f"no {target} in {file} is named {name!r}"
                if held
                else f"the export holds no {target}, so the one named {name!r} cannot be told"
            )
            ref = record.get(sibling)
            also = f" and {sibling} {ref!r} is none of theirs" if ref is not None else ""
            problems.append(origin.problem(said + also, wire))
            changes[wire] = None
        for key, child_schema in child_schemas(schema).items():
            if isinstance(record.get(key), list):
                changes[key] = [
                    resolve(entity_type, child_schema, child, key)
                    for child in children(record, key)
                ]
        if not changes and not drop:
            return record
        return Rec({**record, **changes}, origin).evolve(drop=[d for d in drop if d not in changes])

    for entity in REGISTRY:
        export = map_table(export, entity.name, partial(resolve, entity.name, entity.schema))
    return export.reporting(problems=problems)


def leave_material_units_of_materials(export: Export) -> Export:
    """Material units of a *material* (the older backup's ``material_slug``) are left
    behind, counted: format 1.1's material units belong to a material product, and
    which of the material's products a unit meant cannot be told."""
    records = export.records("material_units")
    older = [r for r in records if "material_product_slug" not in r and "material_slug" in r]
    if not older:
        return export
    kept = [r for r in records if r not in older]
    counts = Counter(r.origin.file for r in older)
    return export.with_table("material_units", kept).reporting(
        left_behind=[
            LeftBehind(
                file,
                "material_units",
                None,
                number,
                "units of a material (the app's older shape): format 1.1's material units "
                "belong to a material product, and which product the unit meant is not said",
            )
            for file, number in counts.items()
        ]
    )


def leave_older_fields(export: Export) -> Export:
    """Fields only the older backup writes, with no place in format 1.1, are left
    behind, counted per file: a recipe's own yield, a material product's running stock
    and average cost, a production run's snapshot id (see :data:`OLDER_FIELDS`)."""
    counts: Counter[tuple[str, str, str]] = Counter()

    def change(entity_type: str, record: Rec) -> Rec:
        fields = [name for name in OLDER_FIELDS[entity_type] if name in record]
        for name in fields:
            if has_value(record[name]):
                counts[(record.origin.file, entity_type, name)] += 1
        return record.evolve(drop=fields) if fields else record

    for name in OLDER_FIELDS:
        export = map_table(export, name, partial(change, name))
    return export.reporting(
        left_behind=[
            LeftBehind(file, entity_type, name, number, OLDER_FIELDS[entity_type][name])
            for (file, entity_type, name), number in counts.items()
        ]
    )


def _treeless(export: Export) -> list[Rec]:
    return [
        r
        for r in export.records("ingredients")
        if "hierarchy_level" not in r and "parent_slug" not in r
    ]


#: What the made root ingredient of repair ``ingredient-tree-by-category`` is called.
TREE_ROOT = ("bake-tracker", "Ingredients from bake-tracker")


def ingredient_tree(export: Export) -> Export:
    """The older backup's ingredients carry no tree (no ``hierarchy_level``, no
    ``parent_slug``), though the app's database had one: each is a problem, naming the
    repair ``ingredient-tree-by-category``.

    With that repair (opt-in) each such ingredient becomes a leaf, as the app's
    own importer makes it (its level defaults to 2), under a sub-category made
    for its ``category`` (``Flours & Meals (category)``), under one root made
    for them all; each made record and each placement is reported. The same
    export's single document (``export_all``) keeps the tree: given together
    with the backup, its tree is merged in first
    (:func:`~.document.merge_document_ingredients`) and nothing is made.
    """
    treeless = _treeless(export)
    if not treeless:
        return export
    if TREE not in export.repairs_asked:
        return export.reporting(
            problems=[
                record.origin.problem(
                    "the app's older backup writes no ingredient tree (hierarchy_level, "
                    "parent_slug), and format 1.1 keeps every ingredient in one: give the same "
                    "export's single document (export_all) with it for the app's own tree, or "
                    f"the repair {TREE!r} places it under a sub-category made for its category"
                )
                for record in treeless
            ]
        )
    records = export.records("ingredients")
    length = slug_length(REGISTRY["ingredients"]) or 200
    slugs = {r["slug"] for r in records if isinstance(r.get("slug"), str)}
    names = {r["display_name"] for r in records if isinstance(r.get("display_name"), str)}
    file = export.tables["ingredients"].file
    root_slug = unique_slug(TREE_ROOT[0], slugs, length)
    root_name = _unique_name(TREE_ROOT[1], names)
    made: list[Rec] = []
    repairs: list[Repair] = []
    origin = export.tables["ingredients"]
    first = treeless[0].origin

    def make(slug: str, name: str, level: int, parent: str | None, category: str | None) -> None:
        made.append(
            Rec(
                {
                    "slug": slug,
                    "display_name": name,
                    "hierarchy_level": level,
                    "parent_slug": parent,
                    "category": category,
                },
                first.named("slug", "category"),
            )
        )
        repairs.append(
            Repair(
                TREE,
                "ingredients",
                file,
                origin.pointer,
                None,
                f"{slug} ({name}, level {level})",
                "made: the older backup's ingredients need a tree in format 1.1",
            )
        )

    make(root_slug, root_name, 0, None, None)
    groups: dict[str | None, str] = {}
    changed: dict[int, Rec] = {}
    for record in treeless:
        category = record.get("category") if isinstance(record.get("category"), str) else None
        if category not in groups:
            label = category or "Uncategorised"
            slug = unique_slug(slugify(f"{label} category", length) or "category", slugs, length)
            groups[category] = slug
            make(slug, _unique_name(f"{label} (category)", names), 1, root_slug, category)
        parent = groups[category]
        repairs.append(
            Repair(
                TREE,
                "ingredients",
                record.origin.file,
                record.origin.pointer,
                None,
                f"level 2 under {parent}",
                f"no tree in the older backup: a leaf under its category {category!r}",
                record.origin.record,
                record.origin.key,
            )
        )
        changed[id(record)] = Rec(
            {**record, "hierarchy_level": 2, "parent_slug": parent}, record.origin
        )
    kept = [changed.get(id(r), r) for r in records]
    return export.with_table("ingredients", [*made, *kept]).reporting(repairs=repairs)


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} {number}"
    taken.add(candidate)
    return candidate


def finished_units_from_runs(export: Export) -> Export:
    """Repair ``finished-units-from-runs`` (opt-in): the finished units the older
    backup's production runs name, which it does not write, are made from them.

    A unit gets the runs' ``finished_unit_slug``, their recipe, ``discrete_count``
    of ``expected_yield / num_batches`` items in the recipe's ``yield_unit``, and
    a display name from its slug; each made unit is reported. Runs that give one
    unit different recipes or counts are a problem. Without the repair, or
    without the backup's recipes (a history document alone), such a reference
    stays for the load to find the unit in the database.
    """
    if UNITS not in export.repairs_asked or "finished_units" in export.tables:
        return export
    if "production_runs" not in export.tables or "recipes" not in export.tables:
        # A history document alone: its units are the database's, not made here.
        return export
    recipes = index(export.records("recipes"), field_of("slug"))
    wanted: dict[str, list[Rec]] = {}
    for run in export.records("production_runs"):
        slug = run.get("finished_unit_slug")
        if isinstance(slug, str) and slug:
            wanted.setdefault(slug, []).append(run)
    if not wanted:
        return export
    problems: list[Problem] = []
    repairs: list[Repair] = []
    units: list[Rec] = []
    for slug, runs in wanted.items():
        said = {(run.get("recipe_slug"), _per_batch(run)) for run in runs}
        first = runs[0].origin
        if len(said) != 1 or None in next(iter(said)):
            problems.append(
                first.problem(
                    f"the runs of finished unit {slug!r} do not give it one recipe and one "
                    f"whole number of items per batch ({sorted(map(str, said))}), so the "
                    f"repair {UNITS!r} cannot make it",
                    "finished_unit_slug",
                )
            )
            continue
        recipe, per_batch = next(iter(said))
        owner = recipes.get(recipe, [])
        item_unit = owner[0].get("yield_unit") if len(owner) == 1 else None
        unit = {
            "slug": slug,
            "display_name": slug.replace("-", " ").replace("_", " ").title(),
            "recipe_slug": recipe,
            "yield_mode": "discrete_count",
            "items_per_batch": per_batch,
            "item_unit": item_unit if isinstance(item_unit, str) and item_unit else "each",
        }
        units.append(Rec(unit, first.named("slug", "finished_unit_slug")))
        repairs.append(
            Repair(
                UNITS,
                "finished_units",
                first.file,
                first.at("finished_unit_slug"),
                slug,
                f"{unit['display_name']}: {per_batch} {unit['item_unit']} per batch of {recipe}",
                "the older backup writes no finished units: made from its production runs",
                first.record,
                first.key,
            )
        )
    held = export.tables["production_runs"]
    table = Table(held.file, held.pointer, tuple(units))
    tables = {**export.tables, "finished_units": table}
    return replace(export, tables=tables).reporting(problems=problems, repairs=repairs)


def _per_batch(run: Rec) -> int | None:
    expected, batches = run.get("expected_yield"), run.get("num_batches")
    if not _is_id(expected) and not isinstance(expected, Decimal):
        return None
    if not _is_id(batches) and not isinstance(batches, Decimal):
        return None
    if not batches or expected % batches:
        return None
    return int(expected // batches)
