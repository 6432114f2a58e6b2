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

from collections.abc import Callable, Iterable

from bakery_io.versions.bake_tracker import document, older, references, repairs, tables, values
from bakery_io.versions.bake_tracker.records import Export

Step = Callable[[Export], Export]


#: The steps, in the order they run.
STEPS: tuple[Step, ...] = (
    values.screen_values,
    document.merge_document_events,
    document.merge_document_ingredients,
    document.merge_document_suppliers,
    document.merge_document_recipes,
    tables.leave_app_only_types,
    document.leave_document_runs,
    values.derive_missing_uuids,
    tables.merge_history,
    values.rename_timestamps,
    older.map_assembly_types,
    older.derive_recipe_slugs,
    references.derive_product_slugs,
    older.resolve_ids,
    document.resolve_document_products,
    references.resolve_product_references,
    document.resolve_recipe_name_references,
    document.take_recipe_finished_units,
    document.nest_event_targets,
    document.nest_package_contents,
    document.leave_package_compositions,
    tables.nest_compositions,
    references.resolve_recipe_names,
    references.resolve_finished_unit_names,
    references.resolve_depletion_lots,
    repairs.resolve_shared_names,
    older.finished_units_from_runs,
    older.leave_material_units_of_materials,
    older.leave_older_fields,
    older.ingredient_tree,
    references.rename_material_purchase_products,
    values.zero_null_costs,
    repairs.reparent_deep_ingredients,
    repairs.round_float_noise,
    values.upc_as_gtin,
    values.leave_unmapped_fields,
)


def run(export: Export, steps: Iterable[Step] = STEPS) -> Export:
    """``export`` taken through ``steps`` in order."""
    for step in steps:
        export = step(export)
    return export
