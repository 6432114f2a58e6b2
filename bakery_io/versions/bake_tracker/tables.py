"""Steps about the app's tables as wholes: which have a place, and where the ones that
bakery_io nests go (history runs into the backup's runs, compositions into finished goods).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.versions.backup import LeftBehind
from bakery_io.versions.bake_tracker.keys import (
    field_of,
    index,
)
from bakery_io.versions.bake_tracker.records import (
    Export,
    Rec,
    children,
    left_counts,
    nest_into,
)

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
    (the history rounds costs to cents). A value of the history that differs
    from the backup's otherwise is left behind, counted per field. A run only
    the history holds is taken from it whole. Assembly runs are merged the same
    way.
    """
    differing: Counter[tuple[str, str, str]] = Counter()
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
                    if not isinstance(value, list) and _differs(run[key], value):
                        differing[(found.origin.file, name, key)] += 1
                    continue
                changes[key] = children(found, key) if isinstance(value, list) else value
            merged.append(Rec({**run, **changes}, run.origin))
        merged.extend(run for run in extra if id(run) not in taken)
        export = export.with_table(name, merged).without(history)
    return export.reporting(
        left_behind=[
            LeftBehind(
                file,
                name,
                field,
                count,
                "the history's value differs from the backup's run, whose value is read",
            )
            for (file, name, field), count in differing.items()
        ]
    )


def _differs(kept: Any, other: Any) -> bool:
    """Whether the history's ``other`` says something else than the backup's ``kept``: not
    when it is the same number, the backup's zero written as null, or the backup's value
    rounded to the history's places (the history exporter rounds costs to cents)."""
    if kept == other:
        return False
    try:
        exact = Decimal(0) if kept is None else Decimal(str(kept))
        rounded = Decimal(str(other))
    except (ArithmeticError, ValueError):
        return True
    exponent = rounded.as_tuple().exponent
    if not (exact.is_finite() and rounded.is_finite() and isinstance(exponent, int)):
        return True
    return exact.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) != rounded


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
    components = {key: {"components": rows} for key, rows in nested.items()}
    export = nest_into(export.without("compositions"), "finished_goods", components)
    left_behind = left_counts(
        "compositions",
        None,
        left,
        "compositions of a packaging product (or of nothing): format 1.1's finished-good "
        "components are finished units, finished goods and material units",
    )
    return export.reporting(problems=problems, left_behind=left_behind)
