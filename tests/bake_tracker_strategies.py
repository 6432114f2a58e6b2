"""Hypothesis strategies: full backups written exactly as bake-tracker's exporter writes them.

:func:`app_exports` draws the records of one database of the app (at commit 5ba2de31) in
the shapes its ``coordinated_export_service._export_*`` functions give them, and
:func:`write_backup` writes them as ``_write_entity_file`` and ``export_complete`` do:
one ``<entity_type>.json`` per entity type dumped with ``json.dump(indent=2,
ensure_ascii=False, default=str)``, a ``manifest.json`` with each file's sha256, the app's
import orders (14.5 and 15.5 included) and its ``...+00:00Z`` export date, and optionally
the ZIP the app writes beside the directory.

The app's values, as its exporter prints them:

- its ``Float`` columns (package quantities, recipe quantities, lots' quantity and unit
  cost, material quantities, component quantities, densities) are Python floats, written
  by ``json`` as ``repr`` gives them (``25.0``, ``0.1``); ``batch_percentage`` is
  ``float(Decimal)``;
- its ``Numeric`` money goes through ``str(x) if x else None``, so a zero is ``null``;
- datetimes are naive ``isoformat()`` (microseconds only when non-zero);
- a product is referenced by ``f"{ingredient.slug}:{brand}:{package_unit_quantity}:
  {package_unit}"``, a null brand printing ``None``.

Values stay inside what format 1.1 takes (the slug rule, column lengths, the places of
each decimal, required fields), so that reading needs no repair; :class:`Inject` asks for
the three kinds of damage real exports hold that a named repair mends, and the export
says where it put them (:attr:`AppExport.injected`).

How hypothesis sees an export: it chooses how many records of each type to make and one
seed per entity type; values come from a :class:`random.Random` with that seed. Shrinking
removes records; it does not simplify values.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid as uuid_module
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

Record = dict[str, Any]

#: The app's import order and dependencies of each entity file (its ``DEPENDENCY_ORDER``).
DEPENDENCY_ORDER: Mapping[str, tuple[float, list[str]]] = {
    "suppliers": (1, []),
    "ingredients": (2, []),
    "products": (3, ["ingredients"]),
    "recipes": (4, ["ingredients"]),
    "finished_units": (5, ["recipes"]),
    "purchases": (6, ["products", "suppliers"]),
    "inventory_items": (7, ["products", "purchases"]),
    "material_categories": (8, []),
    "material_subcategories": (9, ["material_categories"]),
    "materials": (10, ["material_subcategories"]),
    "material_products": (11, ["materials", "suppliers"]),
    "material_units": (12, ["material_products"]),
    "material_purchases": (13, ["material_products", "suppliers"]),
    "material_inventory_items": (14, ["material_products", "material_purchases"]),
    "recipe_categories": (14.5, []),
    "finished_goods": (15, []),
    "compositions": (15.5, ["finished_goods", "finished_units", "material_units"]),
    "events": (16, []),
    "production_runs": (17, ["recipes", "events", "finished_units"]),
    "inventory_depletions": (18, ["inventory_items"]),
    "recipe_snapshots": (19, ["recipes"]),
    "finished_good_snapshots": (20, ["finished_goods"]),
    "material_unit_snapshots": (21, ["material_units"]),
    "finished_unit_snapshots": (22, ["finished_units"]),
}

#: The order ``export_complete`` calls the exporters in (the manifest is sorted afterwards).
EXPORT_ORDER = (
    "suppliers",
    "ingredients",
    "products",
    "recipes",
    "finished_units",
    "purchases",
    "inventory_items",
    "material_categories",
    "material_subcategories",
    "materials",
    "material_products",
    "material_units",
    "material_purchases",
    "material_inventory_items",
    "recipe_categories",
    "finished_goods",
    "compositions",
    "events",
    "production_runs",
    "inventory_depletions",
    "recipe_snapshots",
    "finished_good_snapshots",
    "material_unit_snapshots",
    "finished_unit_snapshots",
)

#: The app's own entity types that format 1.1 has no place for.
APP_ONLY = (
    "material_inventory_items",
    "recipe_categories",
    "recipe_snapshots",
    "finished_good_snapshots",
    "material_unit_snapshots",
    "finished_unit_snapshots",
)

#: Text that tends to break things, all of it fine for the app and for format 1.1.
TRICKY = (
    "é",
    "ß",
    "日本",
    "🎂",
    "crème brûlée",
    "Noël",
    'say "hi"',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    " padded ",
    "a:b",
    "None",
    "\u200b",
    "ﬁ",
)
UNITS = ("oz", "lb", "g", "kg", "cup", "tsp", "tbsp", "fl oz", "ml", "each", "dozen", "piece")
CODES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Inject:
    """Damage real exports hold, each mended by the repair named beside it."""

    #: ``round-float-noise``: decimals written as binary floats with more places than
    #: their field takes.
    noise: bool = False
    #: ``suffix-repeated-keys``: products sharing the app's key, and references by it.
    repeat: bool = False
    #: ``reparent-deep-ingredients``: an ingredient under a leaf (a fourth level).
    deep: bool = False


@dataclass(frozen=True)
class Injected:
    """One value the damage put in the files: its repair, file and JSON pointer."""

    repair: str
    file: str
    pointer: str


@dataclass
class AppExport:
    """The records of each of the app's entity files, in file order, and the damage put
    in them."""

    tables: dict[str, list[Record]]
    export_date: str
    injected: list[Injected] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Values.


def text(rng: random.Random, limit: int | None, *, empty: bool = True) -> str:
    """Some text of at most ``limit`` characters: plain, tricky or as long as allowed."""
    roll = rng.random()
    cap = limit or 300
    if empty and roll < 0.05:
        return ""
    if roll < 0.35:
        found = rng.choice(TRICKY)
    elif roll < 0.45:
        found = "".join(rng.choice("xé日🎂 ") for _ in range(cap))
        found = "x" + found[1:]
    else:
        found = " ".join(
            rng.choice(("flour", "Sugar", "box", "Kraft", "ribbon", "Café", "gift", "Über"))
            for _ in range(rng.randint(1, 4))
        )
    return found[:cap]


def maybe(rng: random.Random, make: Callable[[], Any], chance: float = 0.5) -> Any:
    """``make()`` or None."""
    return make() if rng.random() < chance else None


def slug(rng: random.Random, limit: int, taken: set[str], sep: str = "-") -> str:
    """A fresh slug by the 1.1 rule, at most ``limit`` characters."""
    while True:
        roll = rng.random()
        if roll < 0.1:
            words = [rng.choice("abcxyz0123456789") for _ in range(rng.randint(1, 2))]
            found = "".join(words)
        elif roll < 0.15:
            found = ("a" + sep) * limit
            found = found[:limit].strip("-_")
        else:
            words = [
                rng.choice(("flour", "sugar", "box", "kraft", "ribbon", "cafe", "gift", "x1"))
                for _ in range(rng.randint(1, 3))
            ]
            found = rng.choice((sep, "_", "-")).join(words)
            if rng.random() < 0.5:
                found += sep + str(rng.randint(0, 999))
        found = found[:limit].strip("-_")
        if found and found not in taken:
            taken.add(found)
            return found


def decimal(rng: random.Random, places: int, digits: int, *, low: str = "0") -> Decimal:
    """A decimal with at most ``places`` places and ``digits`` digits, at least ``low``
    (greater when ``low`` is ``"0+"``)."""
    positive = low == "0+"
    while True:
        scale = rng.choice((0, 0, 1, 2, places, places))
        top = 10 ** (digits - places + scale) - 1
        roll = rng.random()
        if roll < 0.1:
            units = top
        elif roll < 0.2:
            units = rng.randint(0, 10)
        else:
            units = rng.randint(0, min(top, 10 ** rng.randint(1, digits)))
        value = Decimal(units).scaleb(-scale)
        if positive and value == 0:
            continue
        return value


def float_of(rng: random.Random, places: int, digits: int, *, low: str = "0") -> float:
    """A value of an app's Float column whose ``repr`` has at most ``places`` places."""
    return float(decimal(rng, places, digits, low=low))


def noisy_float(rng: random.Random, places: int) -> float:
    """A binary float with more than ``places`` places, as arithmetic leaves them
    (``0.1 + 0.2``), not rounding to zero."""
    while True:
        roll = rng.random()
        if roll < 0.3:
            value = 0.1 * rng.randint(1, 9) + 0.2 * rng.randint(1, 9)
        elif roll < 0.6:
            value = rng.randint(1, 50) / rng.choice((3, 7, 9, 11, 13))
        else:
            value = round(rng.uniform(0.01, 500.0), rng.randint(places + 1, 12))
        text_ = repr(value)
        if "e" in text_ or "." not in text_:
            continue
        if len(text_.split(".")[1]) > places and value >= 0.01:
            return value


def money(rng: random.Random) -> str | None:
    """A Numeric(10, 4) amount as the backup writes it: ``str(x) if x else None``."""
    value = decimal(rng, 4, 10)
    if rng.random() < 0.5:
        value = value.quantize(Decimal("0.0001"))
    return str(value) if value else None


def naive(rng: random.Random) -> str:
    """A naive datetime, ``isoformat()`` as the app writes it."""
    moment = datetime(2020, 1, 1) + timedelta(seconds=rng.randint(0, 10**9))
    if rng.random() < 0.5:
        moment = moment.replace(microsecond=rng.randint(0, 999_999))
    return moment.isoformat()


def day(rng: random.Random) -> str:
    return (date(2020, 1, 1) + timedelta(days=rng.randint(0, 4000))).isoformat()


def uuid(rng: random.Random) -> str:
    return str(uuid_module.UUID(int=rng.getrandbits(128), version=4))


def product_key(product: Mapping[str, Any]) -> str:
    """The app's f-string key of a product."""
    return (
        f"{product['ingredient_slug']}:{product['brand']}:"
        f"{product['package_unit_quantity']}:{product['package_unit']}"
    )


# ---------------------------------------------------------------------------
# The export.


def _left_behind(entity_type: str, record: Mapping[str, Any]) -> bool:
    """Whether format 1.1 has no place for ``record`` (a composition of a packaging
    product: its values are never checked)."""
    return entity_type == "compositions" and not any(
        record[name] for name in ("finished_unit_slug", "finished_good_slug", "material_unit_slug")
    )


class _Maker:
    def __init__(self, sizes: Mapping[str, int], seeds: Mapping[str, int], inject: Inject):
        self.sizes = sizes
        self.seeds = seeds
        self.inject = inject
        self.tables: dict[str, list[Record]] = {}
        self.injected: list[Injected] = []

    def rng(self, entity_type: str) -> random.Random:
        return random.Random(self.seeds[entity_type])

    def n(self, entity_type: str) -> int:
        return self.sizes.get(entity_type, 0)

    # -- catalog ---------------------------------------------------------------------------

    def suppliers(self) -> None:
        rng = self.rng("suppliers")
        taken: set[str] = set()
        records = []
        for _ in range(self.n("suppliers")):
            kind = rng.choice(("physical", "online"))
            records.append(
                {
                    "uuid": uuid(rng),
                    "name": text(rng, 200, empty=False),
                    "slug": slug(rng, 100, taken, "_"),
                    "supplier_type": kind,
                    "website_url": maybe(rng, lambda: "https://example.com/" + text(rng, 50)),
                    "street_address": maybe(rng, lambda: text(rng, 200)),
                    "city": text(rng, 100) if kind == "physical" else maybe(rng, lambda: "Oslo"),
                    "state": maybe(rng, lambda: rng.choice(CODES) + rng.choice(CODES)),
                    "zip_code": maybe(rng, lambda: str(rng.randint(0, 99999)).zfill(5)),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "is_active": rng.random() < 0.8,
                }
            )
        self.tables["suppliers"] = records

    def ingredients(self) -> None:
        rng = self.rng("ingredients")
        taken: set[str] = set()
        names: set[str] = set()
        records: list[Record] = []

        def make(level: int, parent: str | None) -> Record:
            name = text(rng, 200, empty=False)
            while name in names:
                name = (name + str(rng.randint(0, 9)))[-200:]
            names.add(name)
            density = rng.random() < 0.3
            record = {
                "uuid": uuid(rng),
                "slug": slug(rng, 200, taken, "_"),
                "display_name": name,
                "category": text(rng, 100, empty=False),
                "description": maybe(rng, lambda: text(rng, None)),
                "notes": maybe(rng, lambda: text(rng, None)),
                "hierarchy_level": level,
                "parent_slug": parent,
                "density_volume_value": float_of(rng, 4, 10, low="0+") if density else None,
                "density_volume_unit": rng.choice(UNITS) if density else None,
                "density_weight_value": float_of(rng, 4, 10, low="0+") if density else None,
                "density_weight_unit": rng.choice(UNITS) if density else None,
                "foodon_id": maybe(rng, lambda: f"FOODON_{rng.randint(0, 10**8)}", 0.3),
                "foodex2_code": maybe(rng, lambda: rng.choice(("A0EZS", "", "B1")), 0.3),
                "langual_terms": maybe(rng, lambda: rng.choice(([], ["A0001"], ["B1", "C2"])), 0.3),
                "fdc_ids": maybe(rng, lambda: rng.choice(([], [123], [1, 2])), 0.3),
                # Left behind, so any binary float, noise included.
                "moisture_pct": maybe(rng, lambda: rng.choice((0.0, 12.5, 0.1 + 0.2)), 0.3),
                "allergens": maybe(rng, lambda: rng.choice(([], ["nuts"])), 0.3),
                "date_added": naive(rng),
                "last_modified": naive(rng),
            }
            records.append(record)
            return record

        total = self.n("ingredients")
        roots = [make(0, None) for _ in range(max(1, total // 6))]
        middles = [make(1, rng.choice(roots)["slug"]) for _ in range(max(1, total // 4))]
        for _ in range(max(1, total - len(roots) - len(middles))):
            make(2, rng.choice(middles)["slug"])
        if self.inject.deep:
            leaves = [record for record in records if record["hierarchy_level"] == 2]
            for _ in range(rng.randint(1, 2)):
                make(2, rng.choice(leaves)["slug"])
        rng.shuffle(records)  # the app writes rowid order: children may come first
        levels = {record["slug"]: record["hierarchy_level"] for record in records}
        self.injected += [
            Injected(
                "reparent-deep-ingredients", "ingredients.json", f"/records/{position}/parent_slug"
            )
            for position, record in enumerate(records)
            if record["parent_slug"] is not None
            and levels[record["parent_slug"]] >= record["hierarchy_level"]
        ]
        self.tables["ingredients"] = records

    def leaves(self) -> list[str]:
        return [r["slug"] for r in self.tables["ingredients"] if r["hierarchy_level"] == 2]

    def products(self) -> None:
        rng = self.rng("products")
        leaves = self.leaves()
        suppliers = [s["slug"] for s in self.tables["suppliers"]]
        keys: set[str] = set()
        codes: set[str] = set()
        own: set[str] = set()
        records: list[Record] = []

        def code() -> str:
            while True:
                found = str(rng.randint(0, 10**12)).zfill(12)
                if found not in codes:
                    codes.add(found)
                    return found

        brands = ("King Arthur", "king arthur", "King-Arthur", "Penzeys", "a:b", "", "Café")
        attempts = 0
        while len(records) < self.n("products") and attempts < 200:
            attempts += 1
            brand = rng.choice((None, None, text(rng, 200), rng.choice(brands)))
            record = {
                "uuid": uuid(rng),
                "ingredient_slug": rng.choice(leaves),
                "brand": brand,
                "product_name": maybe(rng, lambda: text(rng, 200)),
                "package_size": maybe(rng, lambda: text(rng, 100)),
                "package_type": maybe(rng, lambda: text(rng, 50)),
                "package_unit": rng.choice((*UNITS, "x" * 50)),
                "package_unit_quantity": float_of(rng, 4, 12, low="0+"),
                "upc_code": None,
                "supplier": maybe(rng, lambda: text(rng, 200), 0.3),
                "supplier_sku": maybe(rng, lambda: text(rng, 100)),
                "preferred": rng.random() < 0.3,
                "preferred_supplier_slug": maybe(rng, lambda: rng.choice(suppliers))
                if suppliers
                else None,
                "is_hidden": rng.random() < 0.2,
                "is_provisional": rng.random() < 0.2,
                "slug": None,
                "gtin": None,
                "brand_owner": maybe(rng, lambda: text(rng, 200), 0.2),
                "gpc_brick_code": maybe(rng, lambda: str(rng.randint(0, 10**8)), 0.2),
                "net_content_value": maybe(rng, lambda: rng.choice((0.0, 1.5, 0.1 + 0.2)), 0.2),
                "net_content_uom": maybe(rng, lambda: rng.choice(UNITS), 0.2),
                "country_of_sale": maybe(rng, lambda: "USA", 0.2),
                "off_id": maybe(rng, lambda: str(rng.randint(0, 10**8)), 0.2),
                "notes": maybe(rng, lambda: text(rng, None)),
                "date_added": naive(rng),
                "last_modified": naive(rng),
            }
            codes_roll = rng.random()
            if codes_roll < 0.2:
                record["upc_code"] = code()
            elif codes_roll < 0.35:
                record["gtin"] = code()
            elif codes_roll < 0.45:
                record["upc_code"] = record["gtin"] = code()
            elif codes_roll < 0.55:
                record["upc_code"], record["gtin"] = code(), code()
            if rng.random() < 0.1:
                record["slug"] = slug(rng, 200, own)
            if brand == "None" or product_key(record) in keys:
                continue  # "None" prints as a missing brand does: the same key
            keys.add(product_key(record))
            records.append(record)
        # A product's own slug must not be one another's key folds to: bakery_io keeps
        # the product's own and suffixes the derived one, which the expectation follows.
        if self.inject.repeat and records:
            for _ in range(rng.randint(1, 2)):
                first = rng.choice(records)
                twin = {
                    **first,
                    "uuid": uuid(rng),
                    "product_name": text(rng, 200),
                    "package_size": maybe(rng, lambda: text(rng, 100)),
                    "upc_code": None,
                    "gtin": None,
                    "slug": None,
                }
                records.insert(rng.randint(records.index(first) + 1, len(records)), twin)
        self.tables["products"] = records

    def recipes(self) -> None:
        rng = self.rng("recipes")
        leaves = self.leaves()
        taken: set[str] = set()
        records: list[Record] = []
        depth: dict[str, int] = {}
        for _ in range(self.n("recipes")):
            ingredients = []
            used: set[str] = set()
            for _ in range(rng.randint(0, 4)):
                leaf = rng.choice(leaves)
                if leaf in used:
                    continue
                used.add(leaf)
                ingredients.append(
                    {
                        "ingredient_slug": leaf,
                        "quantity": float_of(rng, 4, 10, low="0+"),
                        "unit": rng.choice(UNITS),
                        "notes": maybe(rng, lambda: text(rng, 500)),
                    }
                )
            components = []
            # Sub-recipes at most three deep: a recipe that is itself three deep is no
            # component, and one using a recipe n deep is n + 1 deep.
            candidates = [r for r in records if depth[r["slug"]] < 3]
            rng.shuffle(candidates)
            mine = 1
            for position, component in enumerate(candidates[: rng.randint(0, 2)]):
                mine = max(mine, depth[component["slug"]] + 1)
                components.append(
                    {
                        "component_recipe_slug": component["slug"],
                        "component_recipe_name": component["name"],
                        "quantity": float_of(rng, 4, 10, low="0+"),
                        "notes": maybe(rng, lambda: text(rng, 500)),
                        "sort_order": rng.choice((position, 0, rng.randint(0, 100))),
                    }
                )
            own = slug(rng, 200, taken)
            depth[own] = mine
            base = maybe(rng, lambda: rng.choice(records)["slug"], 0.3) if records else None
            records.append(
                {
                    "uuid": uuid(rng),
                    "name": rng.choice(("Cookies", text(rng, 200, empty=False))),
                    "slug": own,
                    "previous_slug": maybe(rng, lambda: text(rng, 200), 0.3),
                    "category": text(rng, 100, empty=False),
                    "source": maybe(rng, lambda: text(rng, 500)),
                    "estimated_time_minutes": maybe(rng, lambda: rng.randint(0, 10**6)),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "is_archived": rng.random() < 0.2,
                    "is_production_ready": rng.random() < 0.5,
                    "base_recipe_slug": base,
                    "variant_name": maybe(rng, lambda: text(rng, 100)) if base else None,
                    "ingredients": ingredients,
                    "components": components,
                    "date_added": naive(rng),
                    "last_modified": naive(rng),
                }
            )
        self.tables["recipes"] = records

    def finished_units(self) -> None:
        rng = self.rng("finished_units")
        recipes = self.tables["recipes"]
        taken: set[str] = set()
        records = []
        for _ in range(self.n("finished_units") if recipes else 0):
            recipe = rng.choice(recipes)
            mode = rng.choice(("discrete_count", "batch_portion"))
            discrete = mode == "discrete_count"
            percentage = decimal(rng, 2, 5, low="0+")
            percentage = min(percentage, Decimal(100))
            records.append(
                {
                    "uuid": uuid(rng),
                    "slug": slug(rng, 100, taken),
                    "display_name": text(rng, 200, empty=False),
                    "recipe_slug": recipe["slug"],
                    "recipe_name": recipe["name"],
                    "category": maybe(rng, lambda: text(rng, 100)),
                    "yield_mode": mode,
                    "yield_type": rng.choice(("EA", "SERVING")),
                    "items_per_batch": rng.randint(1, 10**6) if discrete else None,
                    "item_unit": rng.choice(UNITS) if discrete else None,
                    "batch_percentage": None if discrete else float(percentage),
                    "portion_description": maybe(rng, lambda: text(rng, 200)),
                    "inventory_count": rng.randint(0, 10**6),
                    "description": maybe(rng, lambda: text(rng, None)),
                    "notes": maybe(rng, lambda: text(rng, None)),
                }
            )
        self.tables["finished_units"] = records

    def purchases(self) -> None:
        rng = self.rng("purchases")
        products, suppliers = self.tables["products"], self.tables["suppliers"]
        records = []
        for _ in range(self.n("purchases") if products and suppliers else 0):
            records.append(
                {
                    "uuid": uuid(rng),
                    "product_slug": product_key(rng.choice(products)),
                    "supplier_slug": rng.choice(suppliers)["slug"],
                    "purchase_date": day(rng),
                    "unit_price": money(rng),
                    "quantity_purchased": rng.randint(1, 10**6),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "created_at": naive(rng),
                }
            )
        self.tables["purchases"] = records

    def inventory_items(self) -> None:
        rng = self.rng("inventory_items")
        products = self.tables["products"]
        records = []
        for _ in range(self.n("inventory_items") if products else 0):
            records.append(
                {
                    "uuid": uuid(rng),
                    "product_slug": product_key(rng.choice(products)),
                    "quantity": float_of(rng, 4, 12),
                    "unit_cost": maybe(rng, lambda: float_of(rng, 4, 10), 0.7),
                    "purchase_date": maybe(rng, lambda: day(rng)),
                    "expiration_date": maybe(rng, lambda: day(rng)),
                    "opened_date": maybe(rng, lambda: day(rng)),
                    "location": maybe(rng, lambda: text(rng, 100)),
                    "lot_or_batch": maybe(rng, lambda: text(rng, 100)),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "last_updated": naive(rng),
                }
            )
        self.tables["inventory_items"] = records

    # -- materials -------------------------------------------------------------------------

    def materials(self) -> None:
        rng = self.rng("materials")
        taken: set[str] = set()
        names: set[str] = set()
        categories = []
        for position in range(self.n("material_categories")):
            name = text(rng, 90, empty=False) + str(position)
            names.add(name)
            categories.append(
                {
                    "uuid": uuid(rng),
                    "name": name,
                    "slug": slug(rng, 100, taken, "_"),
                    "description": maybe(rng, lambda: text(rng, None)),
                    "sort_order": rng.randint(0, 100),
                }
            )
        subcategories = []
        for position in range(self.n("material_subcategories") if categories else 0):
            subcategories.append(
                {
                    "uuid": uuid(rng),
                    "category_slug": rng.choice(categories)["slug"],
                    "name": text(rng, 90, empty=False) + str(position),
                    "slug": slug(rng, 100, taken, "_"),
                    "description": maybe(rng, lambda: text(rng, None)),
                    "sort_order": rng.randint(0, 100),
                }
            )
        materials = []
        for _ in range(self.n("materials") if subcategories else 0):
            materials.append(
                {
                    "uuid": uuid(rng),
                    "subcategory_slug": rng.choice(subcategories)["slug"],
                    "name": text(rng, 200, empty=False),
                    "slug": slug(rng, 200, taken, "_"),
                    "base_unit_type": rng.choice(("each", "linear_cm", "square_cm")),
                    "description": maybe(rng, lambda: text(rng, None)),
                }
            )
        suppliers = [s["slug"] for s in self.tables["suppliers"]]
        products = []
        for _ in range(self.n("material_products") if materials else 0):
            products.append(
                {
                    "uuid": uuid(rng),
                    "material_slug": rng.choice(materials)["slug"],
                    "name": text(rng, 200, empty=False),
                    "slug": slug(rng, 200, taken, "_"),
                    "brand": maybe(rng, lambda: text(rng, 100)),
                    "package_quantity": float_of(rng, 4, 12, low="0+"),
                    "package_unit": rng.choice((*UNITS[:6], "y" * 20)),
                    "quantity_in_base_units": float_of(rng, 4, 14, low="0+"),
                    "supplier_slug": maybe(rng, lambda: rng.choice(suppliers))
                    if suppliers
                    else None,
                    "sku": maybe(rng, lambda: text(rng, 100)),
                    "is_hidden": rng.random() < 0.2,
                    "notes": maybe(rng, lambda: text(rng, None)),
                }
            )
        units = []
        unit_taken: set[str] = set()
        for position in range(self.n("material_units") if products else 0):
            units.append(
                {
                    "uuid": uuid(rng),
                    "material_product_slug": rng.choice(products)["slug"],
                    "name": text(rng, 190, empty=False) + str(position),
                    "slug": slug(rng, 200, unit_taken),
                    "quantity_per_unit": float_of(rng, 4, 12, low="0+"),
                    "description": maybe(rng, lambda: text(rng, None)),
                }
            )
        purchases = []
        for _ in range(self.n("material_purchases") if products and suppliers else 0):
            purchases.append(
                {
                    "uuid": uuid(rng),
                    "product_slug": rng.choice(products)["slug"],
                    "supplier_slug": rng.choice(suppliers),
                    "purchase_date": day(rng),
                    "packages_purchased": rng.randint(1, 10**6),
                    "package_price": money(rng),
                    "units_added": float_of(rng, 4, 14, low="0+"),
                    "unit_cost": money(rng),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "created_at": naive(rng),
                }
            )
        lots = []
        for _ in range(self.n("material_inventory_items") if purchases else 0):
            bought = rng.choice(purchases)
            lots.append(
                {
                    "uuid": uuid(rng),
                    "product_slug": bought["product_slug"],
                    "purchase_uuid": bought["uuid"],
                    "quantity_purchased": 0.1 + 0.2,
                    "quantity_remaining": 0.0,
                    "cost_per_unit": money(rng),
                    "purchase_date": bought["purchase_date"],
                    "location": maybe(rng, lambda: text(rng, 100)),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "created_at": naive(rng),
                }
            )
        self.tables.update(
            material_categories=categories,
            material_subcategories=subcategories,
            materials=materials,
            material_products=products,
            material_units=units,
            material_purchases=purchases,
            material_inventory_items=lots,
        )

    # -- planning --------------------------------------------------------------------------

    def finished_goods(self) -> None:
        rng = self.rng("finished_goods")
        taken: set[str] = set()
        goods = []
        for _ in range(self.n("finished_goods")):
            goods.append(
                {
                    "uuid": uuid(rng),
                    "slug": slug(rng, 100, taken),
                    "display_name": text(rng, 200, empty=False),
                    "description": maybe(rng, lambda: text(rng, None)),
                    "assembly_type": rng.choice(("bare", "bundle")),
                    "packaging_instructions": maybe(rng, lambda: text(rng, None)),
                    "inventory_count": rng.randint(0, 10**6),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "created_at": naive(rng),
                    "updated_at": naive(rng),
                }
            )
        units = self.tables["finished_units"]
        material_units = self.tables["material_units"]
        compositions = []
        # A good contains only goods made before it: no cycles.
        for position, good in enumerate(goods):
            for sort_order in range(rng.randint(0, 3)):
                kinds = ["packaging"]
                kinds += ["unit"] * 2 if units else []
                kinds += ["good"] if position else []
                kinds += ["material"] if material_units else []
                kind = rng.choice(kinds)
                composition = {
                    "uuid": uuid(rng),
                    "assembly_slug": good["slug"],
                    "finished_unit_slug": rng.choice(units)["slug"] if kind == "unit" else None,
                    "finished_good_slug": rng.choice(goods[:position])["slug"]
                    if kind == "good"
                    else None,
                    "material_unit_slug": rng.choice(material_units)["slug"]
                    if kind == "material"
                    else None,
                    # The product's own slug, which is normally null.
                    "packaging_product_slug": None,
                    "component_quantity": float_of(rng, 4, 10, low="0+"),
                    "component_notes": maybe(rng, lambda: text(rng, None)),
                    "sort_order": rng.choice((sort_order, 0, rng.randint(0, 50))),
                    "is_generic": rng.random() < 0.2,
                }
                compositions.append(composition)
        rng.shuffle(compositions)
        self.tables["finished_goods"] = goods
        self.tables["compositions"] = compositions

    def events(self) -> None:
        rng = self.rng("events")
        recipes, goods = self.tables["recipes"], self.tables["finished_goods"]
        names: set[str] = set()
        records = []
        for _ in range(self.n("events")):
            # Names collide once folded (Noël / noel), never exactly: runs name events.
            name = rng.choice(("Noël", "noel", "NOEL", "日本", "Holiday Sale", text(rng, 200)))
            if not name or name in names:
                name = f"Event {len(names)}"
            names.add(name)
            targets = rng.sample(recipes, rng.randint(0, min(2, len(recipes))))
            assembled = rng.sample(goods, rng.randint(0, min(2, len(goods))))
            moment = date(2020, 1, 1) + timedelta(days=rng.randint(0, 4000))
            records.append(
                {
                    "uuid": uuid(rng),
                    "name": name,
                    "event_date": moment.isoformat(),
                    "year": moment.year,
                    "output_mode": rng.choice((None, "bulk_count", "bundled")),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "date_added": naive(rng),
                    "last_modified": naive(rng),
                    "production_targets": [
                        {
                            "recipe_slug": recipe["slug"],
                            "recipe_name": recipe["name"],
                            "target_batches": rng.randint(1, 1000),
                            "notes": maybe(rng, lambda: text(rng, None)),
                        }
                        for recipe in targets
                    ],
                    "assembly_targets": [
                        {
                            "finished_good_slug": good["slug"],
                            "target_quantity": rng.randint(1, 1000),
                            "notes": maybe(rng, lambda: text(rng, None)),
                        }
                        for good in assembled
                    ],
                }
            )
        self.tables["events"] = records

    def production_runs(self) -> None:
        rng = self.rng("production_runs")
        units, events = self.tables["finished_units"], self.tables["events"]
        recipes = {r["slug"]: r for r in self.tables["recipes"]}
        records = []
        for _ in range(self.n("production_runs") if units else 0):
            unit = rng.choice(units)
            recipe = recipes[unit["recipe_slug"]]
            records.append(
                {
                    "uuid": uuid(rng),
                    "recipe_slug": recipe["slug"],
                    "recipe_name": recipe["name"],
                    "finished_unit_slug": unit["slug"],
                    "event_name": maybe(rng, lambda: rng.choice(events)["name"])
                    if events
                    else None,
                    "num_batches": rng.randint(1, 100),
                    "expected_yield": rng.randint(0, 1000),
                    "actual_yield": rng.randint(0, 1000),
                    "produced_at": naive(rng),
                    "notes": maybe(rng, lambda: text(rng, None)),
                    "production_status": rng.choice(("complete", "partial_loss", "total_loss")),
                    "loss_quantity": rng.randint(0, 100),
                    "total_ingredient_cost": money(rng),
                    "per_unit_cost": money(rng),
                }
            )
        self.tables["production_runs"] = records

    def inventory_depletions(self) -> None:
        """Depletions of lots whose product has that one lot (the app names the product)."""
        rng = self.rng("inventory_depletions")
        lots: dict[str, list[Record]] = {}
        for lot in self.tables["inventory_items"]:
            lots.setdefault(lot["product_slug"], []).append(lot)
        keys = [product_key(p) for p in self.tables["products"]]
        single = [key for key, found in lots.items() if len(found) == 1 and keys.count(key) == 1]
        records = []
        for _ in range(self.n("inventory_depletions") if single else 0):
            reason = rng.choice(("spoilage", "other", "gift", "correction", "production"))
            records.append(
                {
                    "uuid": uuid(rng),
                    "inventory_item_ref": rng.choice(single),
                    "quantity_depleted": str(decimal(rng, 3, 10, low="0+")),
                    "depletion_reason": reason,
                    "depletion_date": naive(rng),
                    "notes": text(rng, None, empty=False)
                    if reason == "other"
                    else maybe(rng, lambda: text(rng, None)),
                    "cost": money(rng),
                    "created_by": maybe(rng, lambda: "desktop-user"),
                    "created_at": naive(rng),
                }
            )
        self.tables["inventory_depletions"] = records

    def app_only(self) -> None:
        rng = self.rng("app_only")
        self.tables["recipe_categories"] = [
            {
                "uuid": uuid(rng),
                "name": name,
                "slug": name.lower(),
                "sort_order": position,
                "description": None,
            }
            for position, name in enumerate(
                ("Cookies", "Cakes", "Bars")[: self.n("recipe_categories")]
            )
        ]
        snapshots = {
            "recipe_snapshots": ("recipe_slug", self.tables["recipes"]),
            "finished_good_snapshots": ("finished_good_slug", self.tables["finished_goods"]),
            "material_unit_snapshots": ("material_unit_slug", self.tables["material_units"]),
            "finished_unit_snapshots": ("finished_unit_slug", self.tables["finished_units"]),
        }
        for name, (reference, targets) in snapshots.items():
            records = []
            for _ in range(self.n(name) if targets else 0):
                record: Record = {
                    "uuid": uuid(rng),
                    reference: rng.choice(targets)["slug"],
                    "snapshot_date": naive(rng),
                }
                if name == "recipe_snapshots":
                    record["scale_factor"] = 1.0
                record["is_backfilled"] = rng.random() < 0.5
                if name == "recipe_snapshots":
                    record["recipe_data"] = json.dumps({"name": "x", "id": 3})
                    record["ingredients_data"] = json.dumps([{"ingredient_id": 1}])
                else:
                    record["definition_data"] = json.dumps({"recipe_id": 7, "cost": "0.39"})
                records.append(record)
            records.sort(key=lambda record: str(record["snapshot_date"]))
            self.tables[name] = records

    # -- damage ----------------------------------------------------------------------------

    def _noise_places(self) -> list[tuple[str, str, Record, str, int]]:
        """Where the app writes a binary float into a decimal of 1.1: (entity type,
        pointer, record, field, places)."""
        places: list[tuple[str, str, Record, str, int]] = []
        for name, field_, digits in (
            ("products", "package_unit_quantity", 4),
            ("inventory_items", "quantity", 4),
            ("inventory_items", "unit_cost", 4),
            ("material_products", "package_quantity", 4),
            ("material_products", "quantity_in_base_units", 4),
            ("material_units", "quantity_per_unit", 4),
            ("material_purchases", "units_added", 4),
            ("compositions", "component_quantity", 4),
            ("finished_units", "batch_percentage", 2),
        ):
            for position, record in enumerate(self.tables.get(name, [])):
                if record.get(field_) is not None and not _left_behind(name, record):
                    places.append((name, f"/records/{position}/{field_}", record, field_, digits))
        for position, recipe in enumerate(self.tables.get("recipes", [])):
            for child, used in enumerate(recipe["ingredients"]):
                where = f"/records/{position}/ingredients/{child}/quantity"
                places.append(("recipes", where, used, "quantity", 4))
        return places

    def noise(self) -> None:
        """Binary floats with more places than their field, where the app writes floats."""
        rng = self.rng("noise")
        places = self._noise_places()
        if not places:
            return
        for name, where, record, field_, digits in rng.sample(places, min(3, len(places))):
            old_key = product_key(record) if name == "products" else None
            value = noisy_float(rng, digits)
            if field_ == "batch_percentage":
                value = min(value, 99.99 + 0.001)
            record[field_] = value
            self.injected.append(Injected("round-float-noise", f"{name}.json", where))
            if old_key is not None:
                # References print the product's key: they follow its quantity.
                for table in ("purchases", "inventory_items"):
                    for ref in self.tables.get(table, []):
                        if ref["product_slug"] == old_key:
                            ref["product_slug"] = product_key(record)
                for depletion in self.tables.get("inventory_depletions", []):
                    if depletion["inventory_item_ref"] == old_key:
                        depletion["inventory_item_ref"] = product_key(record)

    def repeats(self) -> None:
        """Where products share a key: the later ones' slugs and every reference by it."""
        keys: dict[str, list[int]] = {}
        for position, product in enumerate(self.tables["products"]):
            keys.setdefault(product_key(product), []).append(position)
        for key, positions in keys.items():
            if len(positions) < 2:
                continue
            for position in positions[1:]:
                self.injected.append(
                    Injected("suffix-repeated-keys", "products.json", f"/records/{position}/slug")
                )
            for table in ("purchases", "inventory_items"):
                for position, ref in enumerate(self.tables[table]):
                    if ref["product_slug"] == key:
                        self.injected.append(
                            Injected(
                                "suffix-repeated-keys",
                                f"{table}.json",
                                f"/records/{position}/product_slug",
                            )
                        )

    def build(self) -> dict[str, list[Record]]:
        self.suppliers()
        self.ingredients()
        self.products()
        self.recipes()
        self.finished_units()
        self.purchases()
        self.inventory_items()
        self.materials()
        self.finished_goods()
        self.events()
        self.production_runs()
        self.inventory_depletions()
        self.app_only()
        if self.inject.noise:
            self.noise()
        if self.inject.repeat:
            self.repeats()
        return {name: self.tables.get(name, []) for name in EXPORT_ORDER}


#: How many records of each type an export may hold, at most.
SIZES: Mapping[str, int] = {
    "suppliers": 3,
    "ingredients": 12,
    "products": 8,
    "recipes": 6,
    "finished_units": 5,
    "purchases": 5,
    "inventory_items": 6,
    "material_categories": 2,
    "material_subcategories": 3,
    "materials": 3,
    "material_products": 4,
    "material_units": 4,
    "material_purchases": 3,
    "material_inventory_items": 2,
    "recipe_categories": 3,
    "finished_goods": 5,
    "events": 4,
    "production_runs": 5,
    "inventory_depletions": 3,
    "recipe_snapshots": 2,
    "finished_good_snapshots": 2,
    "material_unit_snapshots": 1,
    "finished_unit_snapshots": 1,
}
SEEDED = (
    *SIZES,
    "app_only",
    "noise",
)


@st.composite
def app_exports(draw: st.DrawFn, inject: Inject = Inject()) -> AppExport:
    """A database of the app, as its full backup holds it (see the module's docstring)."""
    sizes = {name: draw(st.integers(0, most), label=name) for name, most in SIZES.items()}
    sizes["ingredients"] = max(sizes["ingredients"], 3)
    if inject.repeat:
        sizes["products"] = max(sizes["products"], 1)
    if inject.noise:
        sizes["inventory_items"] = max(sizes["inventory_items"], 1)
        sizes["products"] = max(sizes["products"], 1)
    seeds = {name: draw(st.integers(0, 2**32 - 1)) for name in SEEDED}
    maker = _Maker(sizes, seeds, inject)
    tables = maker.build()
    moment = datetime(2026, 6, 13, 12, 0) + timedelta(seconds=draw(st.integers(0, 10**7)))
    return AppExport(tables, moment.isoformat() + "+00:00Z", maker.injected)


# ---------------------------------------------------------------------------
# Writing it.


def write_backup(export: AppExport, directory: Path, *, as_zip: bool = False) -> Path:
    """``export`` written as ``export_complete`` writes it; the ZIP (beside the directory,
    files flat) when ``as_zip``. Returns what to read: the directory or the ZIP."""
    directory.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for entity_type in EXPORT_ORDER:
        records = export.tables[entity_type]
        path = directory / f"{entity_type}.json"
        data = {"version": "1.0", "entity_type": entity_type, "records": records}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False, default=str)
        order, dependencies = DEPENDENCY_ORDER[entity_type]
        entries.append(
            {
                "filename": path.name,
                "entity_type": entity_type,
                "record_count": len(records),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "dependencies": dependencies,
                "import_order": order,
            }
        )
    entries.sort(key=lambda entry: entry["import_order"])
    manifest = {
        "version": "1.0",
        "export_date": export.export_date,
        "source": "Seasonal Baking Tracker v0.1.0",
        "files": entries,
    }
    with open(directory / "manifest.json", "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
    if not as_zip:
        return directory
    archive = directory.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in directory.iterdir():
            zipped.write(file, file.name)
    return archive


def read_back(directory: Path) -> dict[str, list[Record]]:
    """The records of each entity file as their JSON text says: numbers as Decimals."""
    found = {}
    for entity_type in EXPORT_ORDER:
        content = json.loads(
            (directory / f"{entity_type}.json").read_text(encoding="utf-8"),
            parse_float=Decimal,
        )
        found[entity_type] = content["records"]
    return found


def positions(records: Sequence[Record], key: str) -> dict[Any, int]:
    return {record[key]: position for position, record in enumerate(records)}
