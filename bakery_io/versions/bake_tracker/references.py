"""Steps that turn the app's references into bakery_io's keys.

The app references products by a composite text key, recipes and finished units by
name, lots by their product, packaging products by the name it shows them by. Each
reference that names exactly one record becomes that record's key; none or several is
a problem (or, where a named repair covers it, a reported repair), never a guess.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from bakery_io.format.slugs import unique_slug
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.repair_names import FIRST, LOT, SUFFIX
from bakery_io.versions.backup import Repair, Rewrite
from bakery_io.versions.bake_tracker.keys import (
    field_of,
    finished_unit_slug,
    index,
    key_slug,
    product_display_name,
    product_key,
    recipe_slug,
)
from bakery_io.versions.bake_tracker.records import (
    Derived,
    Export,
    Origin,
    Rec,
    children,
    map_table,
)
from bakery_io.versions.v1_0_to_v1_1 import id_field, slug_length


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
        self.derived = Derived(
            "products",
            "not in this export: slug derived from the app's key, as the product's own was",
        )
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
            return self.derived.key(key, key_slug(key, self.length), origin, field)
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

    export = map_table(export, "purchases", lambda record: keyed("purchases", record))
    export = map_table(export, "inventory_items", lambda record: keyed("inventory_items", record))
    export = map_table(export, "assembly_runs", packaging)
    # The slugs derived for products are reported with the references that now use them.
    counted = tuple(
        replace(rewrite, references=refs.used[rewrite.new])
        if rewrite.entity_type == "products"
        else rewrite
        for rewrite in export.rewrites
    )
    export = replace(export, rewrites=counted)
    return export.reporting(
        problems=refs.problems, repairs=refs.repairs, rewrites=refs.derived.rewrites
    )


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

    export = map_table(export, "production_runs", change)
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

    export = map_table(export, "assembly_runs", change)
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

    export = map_table(export, "inventory_depletions", change)
    return export.reporting(problems=problems, repairs=repairs)


def _costs(lot: Mapping[str, Any], depletion: Mapping[str, Any]) -> bool:
    """Whether ``lot``'s unit cost times the quantity depleted is the depletion's cost."""
    try:
        unit = Decimal(str(lot.get("unit_cost")))
        quantity = Decimal(str(depletion.get("quantity_depleted")))
        cost = Decimal(str(depletion.get("cost")))
    except ArithmeticError:
        return False
    if not (unit.is_finite() and quantity.is_finite() and cost.is_finite()):
        return False
    # The app keeps the cost rounded to its column's places from a longer unit cost: the
    # product matches when it rounds to the cost, whichever way the app rounded.
    exponent = cost.as_tuple().exponent
    half = Decimal(5).scaleb(exponent - 1) if isinstance(exponent, int) else Decimal(0)
    return abs(unit * quantity - cost) <= half


def rename_material_purchase_products(export: Export) -> Export:
    """A material purchase's ``product_slug`` is 1.1's ``material_product_slug``."""

    def change(record: Rec) -> Rec:
        if "product_slug" in record and "material_product_slug" not in record:
            return record.evolve(renames={"product_slug": "material_product_slug"})
        return record

    return map_table(export, "material_purchases", change)
