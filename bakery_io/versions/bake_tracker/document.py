"""The steps for the app's single-document export (``import_export_service.export_all_to_json``).

The document (``"version": "4.1"``, ``"application": "bake-tracker"``) writes
most of what the full backup writes, but by other keys, and it alone holds
recipients, packages, their contents and the event assignments. It drops every
field that is falsy, so an absent field means null, ``""``, ``0`` or false.
What it writes, and what each step below makes of it:

============================  =============================================================
the document                  format 1.0 (then 1.1)
============================  =============================================================
recipes by ``name``, no slug  ``slug`` by the app's own rule (``older.derive_recipe_slugs``)
``recipe_name`` references    ``recipe_slug`` / ``component_recipe_slug``;
                              ``base_recipe_slug`` (a lower-cased name) the recipe's slug
``recipes[].finished_units``  copies of ``finished_units`` (:func:`take_recipe_finished_units`)
products, no slug, no id      slug from the app's key (the backup's rule, a later step)
purchases by db ids           ``product_slug`` by the product's description, ``supplier_slug``
                              by the supplier's id (:func:`resolve_document_products`)
inventory items, no uuid      uuid derived (``steps.derive_missing_uuids``); ``product_slug``
                              by description, ``purchase_uuid`` by the purchase's id
packages, recipients          keyed by name: slugs by the 1.0 step
``package_finished_goods``    ``packages[].contents`` (:func:`nest_package_contents`)
``event_*_targets``           ``events[].production_targets`` / ``assembly_targets``
``event_recipient_packages``  uuid derived; names resolved by the 1.0 step
compositions of a package     left behind (:func:`leave_package_compositions`)
production, assembly runs     left behind: no costs (:func:`leave_document_runs`)
============================  =============================================================

**The document alone** maps everything that has a place in format 1.1.

**The document with the full backup of the same export**: the backup's records
win for every table both hold (:func:`~.files.combine` leaves the document's
copy behind, counted), and what only the document holds joins them; its
references by name resolve against the backup's records (a name several
records share is a problem, or with the repair ``first-of-shared-name`` the
first). Events are in both: the backup's are read, and the fields only the
document writes (``plan_state``, ``expected_attendees``) are merged in where
one backup event matches (:func:`merge_document_events`). Event targets are in
the backup's events already, so the document's target tables are left behind.

The app's older backup (7234c6b7) has no finished units and no compositions:
beside it, the document's join the backup's records, their references by
recipe name resolved against the backup's recipes. Given with the history
documents, the histories' runs are read and the document's left behind.

A record of a uuid-keyed type that the document writes without a uuid (lots,
event assignments, and purchases should a version lack one) gets
:func:`content_uuid`: ``uuid5`` in the fixed :data:`NAMESPACE` over its entity
type and its content as the file holds it, so that reading the same document
again gives the same uuids; each derivation is reported as a rewrite.

Each step maps only the tables read from the document (the header's
``document`` names its file), except where its docstring says otherwise, and
reports what it did: derived keys as rewrites, values taken by an opt-in
repair as repairs, what has no place as left behind, with counts.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bakery_io.problems import Problem, pointer
from bakery_io.repair_names import FIRST, SUFFIX
from bakery_io.versions.backup import Conversion, LeftBehind, Repair
from bakery_io.versions.bake_tracker.files import DOCUMENT_HEADER
from bakery_io.versions.bake_tracker.keys import field_of, index
from bakery_io.versions.bake_tracker.records import (
    Export,
    Rec,
    Table,
    children,
    has_value,
    nest_into,
)
from bakery_io.versions.bake_tracker.repairs import first_taken

#: The namespace of the uuids derived for the document's records that have none:
#: ``uuid5(NAMESPACE_URL, "https://github.com/kentonium3/bake-tracker#export_all_to_json")``.
NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://github.com/kentonium3/bake-tracker#export_all_to_json"
)


#: What format 1.1 requires of a run that the document does not write, by run type,
#: and which file of the app holds the runs whole.
RUNS_LACK: Mapping[str, tuple[str, str]] = {
    "production_runs": (
        "uuid, finished_unit_slug, expected_yield, total_ingredient_cost and per_unit_cost",
        "the full backup's production_runs.json, or production_history.json",
    ),
    "assembly_runs": (
        "uuid, total_component_cost and per_unit_cost",
        "assembly_history.json",
    ),
}

#: The fields by which the document's purchases and lots describe their product (the
#: reference's own name -> the product's field); absent means falsy, as on the product.
PRODUCT_DESCRIPTION = {
    "product_brand": "brand",
    "product_name": "product_name",
    "package_size": "package_size",
    "package_unit": "package_unit",
}


# ---------------------------------------------------------------------------
# Helpers.


def document_file(export: Export) -> str | None:
    """The name of the single document the export was read from, if it was."""
    found = export.header.get(DOCUMENT_HEADER)
    return found if isinstance(found, str) else None


def is_documents(export: Export, name: str, key: str | None = None) -> bool:
    """Whether the table ``name`` was read from the single document (as its ``key``)."""
    table = export.tables.get(name)
    document = document_file(export)
    return (
        document is not None
        and table is not None
        and table.file == document
        and table.pointer == pointer(key or name)
    )


def _set_table(export: Export, name: str, like: Table, records: Iterable[Rec]) -> Export:
    """``export`` with ``name`` holding ``records`` (a new table where ``like``'s array was)."""
    if name in export.tables:
        return export.with_table(name, records)
    return replace(export, tables={**export.tables, name: like.with_records(records)})


def _scalar(value: Any) -> Any:
    """``value`` when it can be a key (text, number, null), else None."""
    return None if isinstance(value, (list, dict)) else value


def _falsy(value: Any) -> Any:
    """A value as the document compares it: every falsy value is absent, i.e. None."""
    return value if has_value(value) and value != 0 else None


def canonical(record: Mapping[str, Any]) -> str:
    """A record's content as one text: JSON, keys sorted, decimals by their digits."""
    return json.dumps(
        record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def content_uuid(entity_type: str, record: Mapping[str, Any], occurrence: int = 1) -> str:
    """The uuid derived for a record of ``entity_type`` that the app wrote without one.

    ``uuid5(NAMESPACE, "<entity_type>:<canonical content>")``, and ``#<n>`` after
    it for the n-th record of the very same content (n > 1), so that the same
    document always gives the same uuids and identical records distinct ones.
    """
    name = f"{entity_type}:{canonical(record)}"
    if occurrence > 1:
        name += f"#{occurrence}"
    return str(uuid.uuid5(NAMESPACE, name))


class _Named:
    """Records of events or packages by name, as the document references them.

    One record of the name is the one meant. Several are a problem, or with
    the repair ``first-of-shared-name`` the first in file order, reported; none
    is a problem.
    """

    def __init__(self, export: Export, target: str) -> None:
        self.target = target
        self.table = export.tables.get(target)
        self.by_name = index(export.records(target), field_of("name"))
        self.first = FIRST in export.repairs_asked
        self.problems: list[Problem] = []
        self.repairs: list[Repair] = []

    def find(self, entity_type: str, record: Rec, field: str) -> Rec | None:
        """The record ``record``'s ``field`` names, or None (and a problem)."""
        name = record.get(field)
        found = self.by_name.get(name, []) if isinstance(name, str) else []
        where = self.table.file if self.table is not None else "the export"
        if len(found) > 1 and self.first:
            self.repairs.append(first_taken(entity_type, record, field, self.target, found))
        elif len(found) != 1:
            self.problems.append(
                record.origin.problem(
                    f"no record of {self.target} in {where} is named {name!r}"
                    if not found
                    else f"{len(found)} records of {self.target} in {where} are named {name!r}, "
                    f"so the name cannot be resolved (the repair {FIRST!r} takes the first)",
                    field,
                )
            )
            return None
        return found[0]


# ---------------------------------------------------------------------------
# The steps, in the order steps.STEPS runs them.


def _merge_shadowed(
    export: Export,
    entity_type: str,
    keys: tuple[str, ...],
    fields: frozenset[str] | None = None,
) -> Export:
    """The backup's records of ``entity_type`` gain the fields only the document writes of
    them, matched by ``keys``; what the document alone holds joins them (see the steps
    below).

    With ``fields``, only those are merged (the document writes the others in a
    shape of its own), and a document record that matches none stays out: the
    rest of what only the document holds is left behind, counted.
    """
    shadow = f"document:{entity_type}"
    shadowed = export.tables.get(shadow)
    if shadowed is None:
        return export
    export = export.without(shadow)
    records = list(export.records(entity_type))
    by_key: dict[tuple[Any, ...], list[int]] = {}
    for position, record in enumerate(records):
        by_key.setdefault(tuple(_scalar(record.get(k)) for k in keys), []).append(position)
    merged: Counter[str] = Counter()
    unmerged: Counter[str] = Counter()
    copies = 0
    joined = []
    alone = 0
    for record in shadowed.records:
        matches = by_key.get(tuple(_scalar(record.get(k)) for k in keys), [])
        if not matches and fields is not None:
            alone += 1
            continue
        if not matches:
            joined.append(record)
            continue
        copies += 1
        if len(matches) > 1:
            for name, value in record.items():
                if has_value(value) and name not in keys:
                    unmerged[name] += 1
            continue
        target = records[matches[0]]
        gained = {
            name: value
            for name, value in record.items()
            if name not in target and (fields is None or name in fields)
        }
        for name, value in record.items():
            if name not in target and name not in gained and has_value(value):
                unmerged[name] += 1
        if gained:
            merged.update(name for name, value in gained.items() if has_value(value))
            records[matches[0]] = Rec({**target, **gained}, target.origin)
    export = export.with_table(entity_type, [*records, *joined])
    file = shadowed.file
    backup_file = export.tables[entity_type].file
    matched = " and ".join(keys)
    return export.reporting(
        conversions=[
            Conversion(
                file,
                entity_type,
                name,
                count,
                f"merged into the record of {backup_file} of the same {matched}, which lacks it",
            )
            for name, count in merged.items()
        ],
        left_behind=[
            *(
                [
                    LeftBehind(
                        file,
                        entity_type,
                        None,
                        copies,
                        f"{backup_file} holds these records too, and its records are the ones "
                        "read (with the fields only this file writes merged in)",
                    )
                ]
                if copies
                else []
            ),
            *(
                LeftBehind(
                    file,
                    entity_type,
                    name,
                    count,
                    f"the document writes it in a shape of its own, or the record's {matched} "
                    f"match several records of {backup_file}: it is not merged",
                )
                for name, count in unmerged.items()
            ),
            *(
                [
                    LeftBehind(
                        file,
                        entity_type,
                        None,
                        alone,
                        f"no record of {backup_file} has the same {matched}, and a record "
                        "of this file's shape cannot join those read",
                    )
                ]
                if alone
                else []
            ),
        ],
    )


def merge_document_events(export: Export) -> Export:
    """With the full backup, the backup's events are read and gain the fields only the
    document writes of them.

    The backup writes events with their uuids and targets; the document writes
    the same events with ``plan_state`` and ``expected_attendees`` (5ba2de31),
    which the backup lacks. A document event matches the backup's event of the
    same ``name`` and ``event_date``; where exactly one matches, each field the
    backup's record does not hold is taken from the document, counted as a
    conversion per field. A document event that matches none is an event only
    the document holds and joins the backup's events. One that matches several
    is not merged: its fields with a value are left behind, counted. The
    document's copies of the backup's events are left behind, counted.
    """
    return _merge_shadowed(export, "events", ("name", "event_date"))


def merge_document_suppliers(export: Export) -> Export:
    """With the full backup, the backup's suppliers gain the ``created_at`` and
    ``updated_at`` only the document writes, matched by slug, counted per field."""
    return _merge_shadowed(export, "suppliers", ("slug",), frozenset({"created_at", "updated_at"}))


def merge_document_recipes(export: Export) -> Export:
    """With the app's older backup, which writes neither, the backup's recipes gain the
    document's ``is_production_ready`` and ``variant_name``, matched by name.

    Only these plain fields are merged: the document names a base recipe and
    components by recipe name, which the backup's records say their own way.
    A name several recipes share merges nothing; each field left is counted.
    """
    return _merge_shadowed(
        export, "recipes", ("name",), frozenset({"is_production_ready", "variant_name"})
    )


def merge_document_ingredients(export: Export) -> Export:
    """With the app's older backup, whose ingredients have no tree, the backup's
    ingredients gain the document's ``hierarchy_level`` and ``parent_slug``.

    The older backup writes its ingredients without their tree; the document of
    the same export writes the tree. A document ingredient matches the backup's
    of the same slug and gives it each field it lacks, counted as a conversion
    per field, as :func:`merge_document_events` does for events; so the tree is
    the app's own, not one the repair ``ingredient-tree-by-category`` would
    have to make. The current backup writes the tree itself: then nothing is
    gained, and the document's copies are left behind, counted.
    """
    return _merge_shadowed(export, "ingredients", ("slug",))


def leave_document_runs(export: Export) -> Export:
    """The document's production and assembly runs are left behind, counted.

    It writes a production run without its uuid, finished unit, expected yield
    and costs, and an assembly run without its uuid and costs. Format 1.1
    requires them; the finished unit would follow from a recipe with one
    finished unit, but the costs follow from nothing in the document, and
    bakery_io does not make them up. The full backup and the history documents
    hold the runs whole: given with the document, theirs are read.
    """
    left = []
    for name, (lacks, whole) in RUNS_LACK.items():
        if not is_documents(export, name):
            continue
        table = export.tables[name]
        export = export.without(name)
        given = f"history:{name}" in export.tables
        if table.records:
            left.append(
                LeftBehind(
                    table.file,
                    name,
                    None,
                    len(table.records),
                    f"this file writes no {lacks}, which format 1.1 requires and nothing "
                    + (
                        "here determines: the history document given holds them, and its runs "
                        "are read"
                        if given
                        else f"here determines: {whole} holds them"
                    ),
                )
            )
    return export.reporting(left_behind=left)


def resolve_document_products(export: Export) -> Export:
    """The document's purchases and lots name their product by description, their
    supplier and purchase by the app's database ids: each becomes the record's key.

    A product is the one whose ingredient, brand, product name, package size and
    unit (and for a lot, the quantity per package) are those the record writes;
    a field absent from the record means the product's is empty, as the app
    writes both. Several such products are a problem, or with the repair
    ``suffix-repeated-keys`` the first, reported. A purchase's ``supplier_id``
    is the supplier of that ``id`` in the export, and a lot's ``purchase_id``
    the purchase of that ``id``. The description is consumed by the reference.
    """
    names = [name for name in ("purchases", "inventory_items") if is_documents(export, name)]
    if not names:
        return export
    products = [product for product in export.records("products") if "slug" in product]
    products_file = export.tables["products"].file if "products" in export.tables else "the export"
    suppliers = index(export.records("suppliers"), field_of("id"))
    purchases = index(export.records("purchases"), field_of("id"))
    problems: list[Problem] = []
    repairs: list[Repair] = []

    def describes(record: Rec, product: Rec) -> bool:
        if product.get("ingredient_slug") != record.get("ingredient_slug"):
            return False
        for ours, theirs in PRODUCT_DESCRIPTION.items():
            if _falsy(record.get(ours)) != _falsy(product.get(theirs)):
                return False
        if "package_unit_quantity" in record:
            mine, its = record["package_unit_quantity"], product.get("package_unit_quantity")
            if not isinstance(mine, (int, Decimal)) or not isinstance(its, (int, Decimal)):
                return bool(mine == its)
            return Decimal(mine) == Decimal(its)
        return True

    def product(name: str, record: Rec) -> dict[str, Any]:
        found = [candidate for candidate in products if describes(record, candidate)]
        origin = record.origin
        said = ", ".join(
            f"{theirs} {record.get(ours)!r}"
            for ours, theirs in (("ingredient_slug", "ingredient"), *PRODUCT_DESCRIPTION.items())
            if ours in record
        )
        if len(found) > 1 and SUFFIX in export.repairs_asked:
            repairs.append(
                Repair(
                    SUFFIX,
                    name,
                    origin.file,
                    origin.at("ingredient_slug"),
                    said,
                    found[0]["slug"],
                    f"{len(found)} products fit the description: the first is taken",
                    origin.record,
                    origin.key,
                )
            )
        elif len(found) != 1:
            problems.append(
                origin.problem(
                    f"no product in {products_file} fits this description ({said})"
                    if not found
                    else f"{len(found)} products in {products_file} fit this description "
                    f"({said}), so it cannot tell them apart (the repair {SUFFIX!r} takes "
                    "the first)",
                    "ingredient_slug",
                )
            )
            return {}
        return {"product_slug": found[0]["slug"]}

    def by_id(record: Rec, field: str, found: Mapping[Any, list[Rec]], key: str) -> Any:
        number = _scalar(record.get(field))
        matches = found.get(number, [])
        if len(matches) != 1:
            target = field.removesuffix("_id")
            problems.append(
                record.origin.problem(
                    f"no {target} in this export has the id {number!r}"
                    if not matches
                    else f"{len(matches)} records of {target} have the id {number!r}",
                    field,
                )
            )
            return None
        return matches[0].get(key)

    def change(name: str, record: Rec) -> Rec:
        if "product_slug" in record or "ingredient_slug" not in record:
            return record
        origin = record.origin.named("product_slug", "ingredient_slug")
        changes = product(name, record)
        drop = ["ingredient_slug", *PRODUCT_DESCRIPTION, "product_id"]
        if name == "inventory_items":
            drop.append("package_unit_quantity")
        if name == "purchases" and "supplier_slug" not in record and "supplier_id" in record:
            changes["supplier_slug"] = by_id(record, "supplier_id", suppliers, "slug")
            origin = origin.named("supplier_slug", "supplier_id")
            drop.append("supplier_id")
        if name == "inventory_items" and record.get("purchase_id") is not None:
            changes["purchase_uuid"] = by_id(record, "purchase_id", purchases, "uuid")
            origin = origin.named("purchase_uuid", "purchase_id")
            drop.append("purchase_id")
        kept = Rec(record, origin).evolve(drop=drop)
        return Rec({**kept, **changes}, origin)

    for name in names:
        export = export.with_table(name, [change(name, record) for record in export.records(name)])
    return export.reporting(problems=problems, repairs=repairs)


def _base_key(name: Any) -> Any:
    """How the document writes a base recipe: its name, lower-cased, spaces to ``_``."""
    return name.lower().replace(" ", "_") if isinstance(name, str) else None


def resolve_recipe_name_references(export: Export) -> Export:
    """References to recipes by name become the recipe's slug.

    The document names a recipe by ``recipe_name`` (finished units, recipe
    components, event production targets) and a variant's base recipe by
    ``base_recipe_slug``, which is not a slug but the base's name lower-cased
    with spaces as ``_`` (the app's importer reverses it the same way). A
    ``base_recipe_slug`` that is a recipe's slug is kept. A name that matches
    no recipe, or several, is a problem. A reference that carries the app's
    id (``recipe_id``, older backups) is left to the 1.0 step.
    """
    recipes = export.records("recipes")
    if not recipes:
        return export
    file = export.tables["recipes"].file
    by_name = index(recipes, field_of("name"))
    by_base = index(recipes, lambda record: _base_key(record.get("name")))
    slugs = {_scalar(record.get("slug")) for record in recipes}
    problems: list[Problem] = []
    uses: Counter[str] = Counter()

    def resolve(record: Rec, named: str, field: str, found: list[Rec], said: str) -> Rec:
        origin = record.origin.named(field, named)
        if len(found) != 1:
            problems.append(
                origin.problem(
                    f"no recipe in {file} {said}"
                    if not found
                    else f"{len(found)} recipes in {file} {said}, so the reference cannot "
                    "tell them apart",
                    field,
                )
            )
            return Rec(record, origin).evolve(drop=(named,))
        slug = found[0].get("slug")
        uses[str(slug)] += 1
        return Rec({**record, field: slug}, origin).evolve(drop=(named,) if named != field else ())

    def by_name_of(record: Rec, field: str, id_name: str) -> Rec:
        name = record.get("recipe_name")
        if field in record or id_name in record or not isinstance(name, str):
            return record
        return resolve(record, "recipe_name", field, by_name.get(name, []), f"is named {name!r}")

    def recipe(record: Rec) -> Rec:
        base = record.get("base_recipe_slug")
        if isinstance(base, str) and base not in slugs:
            found = by_base.get(base, [])
            record = resolve(
                record,
                "base_recipe_slug",
                "base_recipe_slug",
                found,
                f"has the name {base!r} once lower-cased with spaces as '_'",
            )
        components = children(record, "components")
        if any("recipe_name" in child for child in components):
            kids = [
                by_name_of(child, "component_recipe_slug", "component_recipe_id")
                for child in components
            ]
            record = Rec({**record, "components": kids}, record.origin)
        return record

    export = export.with_table("recipes", [recipe(record) for record in recipes])
    for name in ("finished_units", "event_production_targets"):
        if name in export.tables:
            export = export.with_table(
                name,
                [by_name_of(record, "recipe_slug", "recipe_id") for record in export.records(name)],
            )
    rewrites = [
        replace(rewrite, references=rewrite.references + uses[rewrite.new])
        if rewrite.entity_type == "recipes" and uses[rewrite.new]
        else rewrite
        for rewrite in export.rewrites
    ]
    return replace(export, rewrites=tuple(rewrites)).reporting(problems=problems)


def _finished_unit(recipe: Rec, nested: Rec) -> Rec:
    """A finished unit as the document writes it inside its recipe, as a record of
    the top-level table: ``name`` is ``display_name``, ``unit_yield_quantity`` and
    ``unit_yield_unit`` are ``items_per_batch`` and ``item_unit`` (discrete count)
    or ``batch_percentage`` and ``portion_description`` (batch portion)."""
    portion = nested.get("yield_mode") == "batch_portion"
    renames = {
        "name": "display_name",
        "unit_yield_quantity": "batch_percentage" if portion else "items_per_batch",
        "unit_yield_unit": "portion_description" if portion else "item_unit",
    }
    made = nested.evolve(renames=renames)
    return Rec({"recipe_slug": recipe.get("slug"), **made}, made.origin)


def take_recipe_finished_units(export: Export) -> Export:
    """The finished units the document nests in each recipe are copies of its
    ``finished_units`` table: that table's records are read, and the copies left
    behind, counted.

    A nested unit whose slug the table does not hold (or a document without the
    table) is read from the recipe instead, as a finished unit of that recipe,
    counted as a conversion.
    """
    if "recipes" not in export.tables:
        return export
    recipes = export.records("recipes")
    if not any("finished_units" in recipe for recipe in recipes):
        return export
    held = {_scalar(record.get("slug")) for record in export.records("finished_units")}
    copies: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    added = []
    changed = []
    for recipe in recipes:
        for nested in children(recipe, "finished_units"):
            slug = _scalar(nested.get("slug"))
            if slug in held and slug is not None:
                copies[recipe.origin.file] += 1
            else:
                held.add(slug)
                taken[recipe.origin.file] += 1
                added.append(_finished_unit(recipe, nested))
        changed.append(
            recipe.evolve(drop=("finished_units",)) if "finished_units" in recipe else recipe
        )
    export = export.with_table("recipes", changed)
    if added:
        table = export.tables["recipes"]
        units = Table(table.file, pointer("finished_units"), ())
        export = _set_table(
            export,
            "finished_units",
            export.tables.get("finished_units", units),
            [*export.records("finished_units"), *added],
        )
    return export.reporting(
        left_behind=[
            LeftBehind(
                file,
                "recipes",
                "finished_units",
                count,
                "copies of the finished units this file writes whole in finished_units, "
                "which are read",
            )
            for file, count in copies.items()
        ],
        conversions=[
            Conversion(
                file,
                "finished_units",
                "recipes/finished_units",
                count,
                "finished units this file writes only inside their recipe: read from there",
            )
            for file, count in taken.items()
        ],
    )


def nest_event_targets(export: Export) -> Export:
    """The document's ``event_production_targets`` and ``event_assembly_targets``
    become each event's ``production_targets`` and ``assembly_targets``.

    A target names its event by ``event_name``: the document's event of that
    name (several are a problem, or with ``first-of-shared-name`` the first).
    When the events are the full backup's, they hold their targets already,
    and the document's targets of them are left behind, counted; an event only
    the document holds (joined to the backup's) still gets its own.
    """
    mine = is_documents(export, "events")
    named = _Named(export, "events")
    nested: dict[int, dict[str, list[Rec]]] = {}
    left = []
    for table_name, key in (
        ("event_production_targets", "production_targets"),
        ("event_assembly_targets", "assembly_targets"),
    ):
        table = export.tables.get(table_name)
        if table is None:
            continue
        export = export.without(table_name)
        records = list(table.records)
        if not mine and "events" in export.tables:
            # The backup's events hold their targets; only an event the document alone
            # holds (joined to them) takes its targets from the document's table.
            joined = {
                event.get("name")
                for event in export.records("events")
                if event.origin.file == table.file and isinstance(event.get("name"), str)
            }
            records = [t for t in table.records if t.get("event_name") in joined]
            held = len(table.records) - len(records)
            if held:
                left.append(
                    LeftBehind(
                        table.file,
                        table_name,
                        None,
                        held,
                        f"the events of {export.tables['events'].file} hold their targets "
                        "already, and those are read",
                    )
                )
        for target in records:
            event = named.find(table_name, target, "event_name")
            if event is not None:
                kids = nested.setdefault(id(event), {})
                kids.setdefault(key, []).append(target.evolve(drop=("event_name",)))
    export = nest_into(export, "events", nested)
    return export.reporting(problems=named.problems, repairs=named.repairs, left_behind=left)


def nest_package_contents(export: Export) -> Export:
    """The document's ``package_finished_goods`` become each package's ``contents``
    (``finished_good_slug``, ``quantity``).

    A row names its package by ``package_name``: the package of that name
    (several are a problem, or with ``first-of-shared-name`` the first; none
    is a problem).
    """
    table = export.tables.get("package_finished_goods")
    if table is None:
        return export
    export = export.without("package_finished_goods")
    named = _Named(export, "packages")
    nested: dict[int, list[Rec]] = {}
    for row in table.records:
        package = named.find("package_finished_goods", row, "package_name")
        if package is not None:
            nested.setdefault(id(package), []).append(row.evolve(drop=("package_name",)))
    export = nest_into(
        export, "packages", {key: {"contents": rows} for key, rows in nested.items()}
    )
    return export.reporting(problems=named.problems, repairs=named.repairs)


def leave_package_compositions(export: Export) -> Export:
    """Compositions whose parent is a package (``package_name``, no finished good)
    are left behind, counted.

    The app lets a package hold packaging and goods as compositions beside its
    ``package_finished_goods``; format 1.1's packages hold finished goods
    only, by their contents (which ``package_finished_goods`` gives).
    """
    if not is_documents(export, "compositions"):
        return export
    kept = []
    left: Counter[str] = Counter()
    for composition in export.records("compositions"):
        if (
            composition.get("package_name") is not None
            and composition.get("finished_good_slug") is None
        ):
            left[composition.origin.file] += 1
        else:
            kept.append(composition)
    if not left:
        return export
    export = export.with_table("compositions", kept)
    return export.reporting(
        left_behind=[
            LeftBehind(
                file,
                "compositions",
                None,
                count,
                "compositions of a package: format 1.1's packages hold finished goods only, "
                "by their contents (the app's package_finished_goods)",
            )
            for file, count in left.items()
        ]
    )
