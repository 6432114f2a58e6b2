"""The sample catalog: a fixed-size, realistic bakery built from :mod:`.data`.

Besides the rows, the catalog keeps the facts the history generator needs
(prices, yields, recipe lines) so history never has to read the database back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bakery_io.format.enums import YieldMode, YieldType
from bakery_io.format.slugs import slugify, unique_slug
from bakery_io.sample import data
from bakery_io.sample.rows import Batch, Row, RowFactory, quantize

_CATALOG_START = datetime(2023, 9, 1, 8, 0, tzinfo=UTC)
_CATALOG_SECONDS = 120 * 24 * 3600
_ML_PER_CUP = Decimal("236.5882")
_GRAMS_PER_OZ = Decimal("28.3495")
_CATALOG_NOTES = [
    "Buy in bulk before the holidays.",
    "Crème de la crème — worth the price.",
    "Keep away from the Süßwaren shelf (ants).",
    "Best seller ⭐",
    "Check the date: this one goes stale fast.",
]


@dataclass(frozen=True)
class ProductInfo:
    id: int
    unit_quantity: Decimal
    price: Decimal
    supplier_id: int | None
    is_packaging: bool
    is_hidden: bool


@dataclass(frozen=True)
class YieldInfo:
    id: int
    per_batch: int
    unit_cost: Decimal


@dataclass(frozen=True)
class RecipeInfo:
    id: int
    lines: list[tuple[str, Decimal, str]]
    yields: list[YieldInfo]


@dataclass(frozen=True)
class GoodInfo:
    id: int
    unit_parts: list[tuple[YieldInfo, int]]


@dataclass(frozen=True)
class MaterialProductInfo:
    id: int
    supplier_id: int | None
    base_units: Decimal
    price: Decimal


@dataclass
class Catalog:
    """Catalog rows plus what history needs to know about them."""

    rows: Batch = field(default_factory=dict)
    supplier_ids: list[int] = field(default_factory=list)
    products: list[ProductInfo] = field(default_factory=list)
    recipes: list[RecipeInfo] = field(default_factory=list)
    goods: list[GoodInfo] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    material_products: list[MaterialProductInfo] = field(default_factory=list)

    def add(self, table: str, row: Row) -> Row:
        self.rows.setdefault(table, []).append(row)
        return row


def build_catalog(rows: RowFactory) -> Catalog:
    """Build the whole catalog; the same random state gives the same catalog."""
    builder = _CatalogBuilder(rows)
    builder.suppliers()
    builder.ingredients()
    builder.products()
    builder.recipes()
    builder.materials()
    builder.finished_goods()
    builder.recipients_packages_events()
    return builder.catalog


class _CatalogBuilder:
    def __init__(self, rows: RowFactory) -> None:
        self.rows = rows
        self.rng = rows.rng
        self.catalog = Catalog()
        self.supplier_by_name: dict[str, int] = {}
        self.leaf_by_name: dict[str, tuple[int, str, str]] = {}  # id, slug, root category
        self.recipe_by_name: dict[str, int] = {}
        self.yield_by_name: dict[str, YieldInfo] = {}
        self.material_unit_ids: dict[tuple[str, str], int] = {}
        self.good_by_name: dict[str, int] = {}
        self.recipient_by_name: dict[str, int] = {}
        self.package_by_name: dict[str, int] = {}
        self.event_by_name: dict[str, int] = {}

    def _created(self) -> datetime:
        return self.rows.instant(_CATALOG_START, _CATALOG_SECONDS)

    def _entity(self, table: str, **values: object) -> Row:
        row = self.rows.entity(table, self._created(), edited=self.rng.random() < 0.4, **values)
        return self.catalog.add(table, row)

    def _note(self, probability: float) -> str | None:
        return self.rows.maybe(probability, self.rng.choice(_CATALOG_NOTES))

    def suppliers(self) -> None:
        for name, kind, website, street, city, state, zip_code, notes, active in data.SUPPLIERS:
            row = self._entity(
                "suppliers",
                slug=slugify(name, 100),
                name=name,
                supplier_type=kind,
                website_url=website,
                street_address=street,
                city=city,
                state=state,
                zip_code=zip_code,
                notes=notes,
                is_active=active,
            )
            self.supplier_by_name[name] = row["id"]
            self.catalog.supplier_ids.append(row["id"])

    def ingredients(self) -> None:
        density_count = 0
        for root, subcategories in data.INGREDIENT_TREE.items():
            root_row = self._entity(
                "ingredients",
                slug=slugify(root, 200),
                display_name=root,
                parent_id=None,
                hierarchy_level=0,
                category=None,
                description=f"Top-level category: {root}.",
                notes=None,
                **_no_density(),
            )
            for subcategory, leaves in subcategories.items():
                sub_row = self._entity(
                    "ingredients",
                    slug=slugify(subcategory, 200),
                    display_name=subcategory,
                    parent_id=root_row["id"],
                    hierarchy_level=1,
                    category=root,
                    description=None,
                    notes=None,
                    **_no_density(),
                )
                for leaf, cup_ounces in leaves:
                    density = _no_density()
                    if cup_ounces is not None:
                        density_count += 1
                        density = _density(Decimal(cup_ounces), metric=density_count % 5 == 0)
                    row = self._entity(
                        "ingredients",
                        slug=slugify(leaf, 200),
                        display_name=leaf,
                        parent_id=sub_row["id"],
                        hierarchy_level=2,
                        category=root,
                        description=self.rows.maybe(0.3, f"{leaf}, kept under {subcategory}."),
                        notes=self._note(0.2),
                        **density,
                    )
                    self.leaf_by_name[leaf] = (row["id"], row["slug"], root)

    def products(self) -> None:
        gtins: set[str] = set()
        slugs: set[str] = set()
        for leaf, (leaf_id, leaf_slug, root) in self.leaf_by_name.items():
            count = self.rng.choices([0, 1, 2], weights=[15, 55, 30])[0]
            for index in range(count):
                brand = self.rows.maybe(0.9, self.rng.choice(data.BRANDS))
                size, kind, unit, quantity, price = self.rng.choice(data.PACKAGE_STYLES[root])
                gtin = None
                if self.rng.random() < 0.8:
                    gtin = _new_gtin(self.rng.randrange(10**11, 10**12), gtins)
                supplier_id = self.rows.maybe(0.7, self.rng.choice(self.catalog.supplier_ids))
                hidden = self.rng.random() < 0.08
                row = self._entity(
                    "products",
                    slug=unique_slug(
                        slugify(f"{brand or 'generic'} {leaf} {size}", 200), slugs, 200
                    ),
                    ingredient_id=leaf_id,
                    brand=brand,
                    product_name=self.rows.maybe(0.9, f"{brand or 'Store brand'} {leaf}"),
                    package_size=self.rows.maybe(0.92, size),
                    package_type=self.rows.maybe(0.9, kind),
                    package_unit=unit,
                    package_unit_quantity=Decimal(quantity),
                    gtin=gtin,
                    supplier_sku=self.rows.maybe(
                        0.5, f"{leaf_slug[:3].upper()}-{self.rng.randrange(10000, 99999)}"
                    ),
                    preferred=count == 2 and index == 0,
                    preferred_supplier_id=supplier_id,
                    is_hidden=hidden,
                    notes=self._note(0.15),
                )
                self.catalog.products.append(
                    ProductInfo(
                        id=row["id"],
                        unit_quantity=Decimal(quantity),
                        price=quantize(Decimal(price) * Decimal(self.rng.uniform(0.85, 1.25)), 2),
                        supplier_id=supplier_id,
                        is_packaging=root == data.PACKAGING_ROOT,
                        is_hidden=hidden,
                    )
                )

    def recipes(self) -> None:
        for spec in data.RECIPES:
            name, category, source, minutes, base, variant, lines, parts, yields = spec
            base_id = self.recipe_by_name[base] if base else None
            row = self._entity(
                "recipes",
                slug=slugify(f"{name} {variant or ''}", 200),
                name=name,
                category=category,
                source=source,
                estimated_time_minutes=minutes,
                notes=self._note(0.4),
                is_archived=variant == "Brown Butter",
                base_recipe_id=base_id,
                variant_name=variant,
                is_production_ready=bool(yields) and variant != "Gluten-Free",
            )
            recipe_id = row["id"]
            if variant is None:
                self.recipe_by_name[name] = recipe_id
            recipe_lines: list[tuple[str, Decimal, str]] = []
            for order, line in enumerate(lines):
                leaf, quantity, unit, *note = (part.strip() for part in line.split("|"))
                leaf_id, leaf_slug, _root = self.leaf_by_name[leaf]
                self.catalog.add(
                    "recipe_ingredients",
                    self.rows.child(
                        "recipe_ingredients",
                        recipe_id=recipe_id,
                        ingredient_id=leaf_id,
                        quantity=Decimal(quantity),
                        unit=unit,
                        notes=note[0] if note else None,
                        sort_order=order * 10,
                    ),
                )
                recipe_lines.append((leaf_slug, Decimal(quantity), unit))
            for order, part in enumerate(parts):
                component, quantity = (piece.strip() for piece in part.split("|"))
                self.catalog.add(
                    "recipe_components",
                    self.rows.child(
                        "recipe_components",
                        recipe_id=recipe_id,
                        component_recipe_id=self.recipe_by_name[component],
                        quantity=Decimal(quantity),
                        notes="Make a day ahead — keeps 3 days chilled ❄️" if order == 0 else None,
                        sort_order=order,
                    ),
                )
            infos = [self._finished_unit(recipe_id, category, spec) for spec in yields]
            if infos:
                self.catalog.recipes.append(RecipeInfo(recipe_id, recipe_lines, infos))

    def _finished_unit(
        self, recipe_id: int, category: str, spec: tuple[str, str, str, str | None]
    ) -> YieldInfo:
        name, mode, amount, item_unit = spec
        discrete = mode == YieldMode.DISCRETE_COUNT
        per_batch = int(amount) if discrete else max(1, int(Decimal(100) / Decimal(amount)))
        row = self._entity(
            "finished_units",
            slug=slugify(name, 100),
            recipe_id=recipe_id,
            display_name=name,
            description=self.rows.maybe(0.5, f"One {name.lower()}, as sold."),
            yield_mode=mode,
            yield_type=self.rng.choice([YieldType.EA, YieldType.SERVING]),
            items_per_batch=int(amount) if discrete else None,
            item_unit=item_unit,
            batch_percentage=None if discrete else Decimal(amount),
            portion_description=None if discrete else f"{amount}% of one batch",
            inventory_count=self.rng.choice([0, 0, 3, 12, 40]),
            category=self.rows.maybe(0.7, category),
            production_notes=self.rows.maybe(0.4, "Cool completely before packing — ça colle!"),
            notes=self._note(0.2),
        )
        info = YieldInfo(row["id"], per_batch, quantize(Decimal(self.rng.uniform(0.15, 9)), 4))
        self.yield_by_name[name] = info
        return info

    def materials(self) -> None:
        for category_order, (category, subcategories) in enumerate(data.MATERIALS.items()):
            category_row = self._entity(
                "material_categories",
                slug=slugify(category, 100),
                name=category,
                description=f"Everything under {category}." if category_order % 2 else None,
                sort_order=category_order,
            )
            for sub_order, (subcategory, materials) in enumerate(subcategories.items()):
                sub_row = self._entity(
                    "material_subcategories",
                    slug=slugify(subcategory, 100),
                    category_id=category_row["id"],
                    name=subcategory,
                    description=self.rows.maybe(0.5, f"{subcategory} ({category})"),
                    sort_order=sub_order,
                )
                for material, base_unit_type, products in materials:
                    material_row = self._entity(
                        "materials",
                        slug=slugify(material, 200),
                        subcategory_id=sub_row["id"],
                        name=material,
                        base_unit_type=base_unit_type,
                        description=self.rows.maybe(
                            0.5, f"{material}, counted in {base_unit_type}."
                        ),
                        notes=self._note(0.3),
                    )
                    for product in products:
                        self._material_product(material_row["id"], product)

    def _material_product(self, material_id: int, spec: data.MaterialProductSpec) -> None:
        name, brand, quantity, unit, base_units, units = spec
        supplier_id = self.supplier_by_name["Sweetwater Packaging Co."] if brand else None
        row = self._entity(
            "material_products",
            slug=slugify(name, 200),
            material_id=material_id,
            supplier_id=supplier_id,
            name=name,
            brand=brand,
            sku=self.rows.maybe(0.6, f"SW-{self.rng.randrange(1000, 9999)}"),
            package_quantity=Decimal(quantity),
            package_unit=unit,
            quantity_in_base_units=Decimal(base_units),
            is_hidden=self.rng.random() < 0.1,
            notes=self._note(0.2),
        )
        for unit_name, per_unit in units:
            unit_row = self._entity(
                "material_units",
                material_product_id=row["id"],
                slug=slugify(unit_name, 200),
                name=unit_name,
                quantity_per_unit=Decimal(per_unit),
                description=self.rows.maybe(0.5, f"{unit_name} of {name}"),
            )
            self.material_unit_ids[(name, unit_name)] = unit_row["id"]
        self.catalog.material_products.append(
            MaterialProductInfo(
                row["id"],
                supplier_id,
                Decimal(base_units),
                quantize(Decimal(self.rng.uniform(4, 40)), 2),
            )
        )

    def finished_goods(self) -> None:
        for name, assembly_type, description, parts in data.FINISHED_GOODS:
            row = self._entity(
                "finished_goods",
                slug=slugify(name, 100),
                display_name=name,
                description=description,
                assembly_type=assembly_type,
                packaging_instructions=self.rows.maybe(
                    0.5, "Line the box with parchment; ribbon last."
                ),
                inventory_count=self.rng.choice([0, 0, 2, 5, 10]),
                notes=self._note(0.3),
            )
            self.good_by_name[name] = row["id"]
            unit_parts: list[tuple[YieldInfo, int]] = []
            for order, part in enumerate(parts):
                kind, rest = part.split(":", 1)
                target, quantity = (piece.strip() for piece in rest.split("|"))
                refs: dict[str, int | None] = {
                    "finished_unit_id": None,
                    "component_good_id": None,
                    "material_unit_id": None,
                }
                if kind == "unit":
                    unit = self.yield_by_name[target]
                    refs["finished_unit_id"] = unit.id
                    unit_parts.append((unit, int(quantity)))
                elif kind == "good":
                    refs["component_good_id"] = self.good_by_name[target]
                else:
                    product, unit_name = target.rsplit("/", 1)
                    refs["material_unit_id"] = self.material_unit_ids[(product, unit_name)]
                self.catalog.add(
                    "finished_good_components",
                    self.rows.child(
                        "finished_good_components",
                        finished_good_id=row["id"],
                        **refs,
                        quantity=Decimal(quantity),
                        notes="Étiquette face up ↑" if order == 1 else None,
                        sort_order=order,
                    ),
                )
            if parts:
                self.catalog.goods.append(GoodInfo(row["id"], unit_parts))

    def recipients_packages_events(self) -> None:
        for name, household, address, notes in data.RECIPIENTS:
            row = self._entity(
                "recipients",
                slug=slugify(name, 100),
                name=name,
                household_name=household,
                address=address,
                notes=notes,
            )
            self.recipient_by_name[name] = row["id"]
        for name, description, template, notes, contents in data.PACKAGES:
            row = self._entity(
                "packages",
                slug=slugify(name, 100),
                name=name,
                description=description,
                is_template=template,
                notes=notes,
            )
            self.package_by_name[name] = row["id"]
            for good, quantity in contents:
                self.catalog.add(
                    "package_contents",
                    self.rows.child(
                        "package_contents",
                        package_id=row["id"],
                        finished_good_id=self.good_by_name[good],
                        quantity=quantity,
                    ),
                )
        for spec in data.EVENTS:
            self._event(spec)
        for (
            event,
            recipient,
            package,
            quantity,
            status,
            delivered_to,
            notes,
        ) in data.EVENT_RECIPIENT_PACKAGES:
            self._entity(
                "event_recipient_packages",
                event_id=self.event_by_name[event],
                recipient_id=self.recipient_by_name[recipient],
                package_id=self.package_by_name[package],
                quantity=quantity,
                fulfillment_status=status,
                delivered_to=delivered_to,
                notes=notes,
            )

    def _event(self, spec: data.EventSpec) -> None:
        name, day, year, output_mode, attendees, plan_state, notes, production, assembly = spec
        event_day = date.fromisoformat(day)
        created = datetime(event_day.year, event_day.month, event_day.day, 9, tzinfo=UTC)
        row = self.catalog.add(
            "events",
            self.rows.entity(
                "events",
                created - timedelta(days=self.rng.randrange(20, 90)),
                edited=plan_state != "draft",
                slug=slugify(name, 100),
                name=name,
                event_date=event_day,
                year=year,
                output_mode=output_mode,
                expected_attendees=attendees,
                plan_state=plan_state,
                notes=notes,
            ),
        )
        self.event_by_name[name] = row["id"]
        self.catalog.event_ids.append(row["id"])
        for recipe, batches in production:
            self.catalog.add(
                "event_production_targets",
                self.rows.child(
                    "event_production_targets",
                    event_id=row["id"],
                    recipe_id=self.recipe_by_name[recipe],
                    target_batches=batches,
                    notes=self.rows.maybe(0.4, "Bake the week before; Teig über Nacht einfrieren."),
                ),
            )
        for good, quantity in assembly:
            self.catalog.add(
                "event_assembly_targets",
                self.rows.child(
                    "event_assembly_targets",
                    event_id=row["id"],
                    finished_good_id=self.good_by_name[good],
                    target_quantity=quantity,
                    notes=self.rows.maybe(0.4, "Assemble the night before — à la minute if fresh."),
                ),
            )


def _no_density() -> dict[str, object]:
    return {
        "density_volume_value": None,
        "density_volume_unit": None,
        "density_weight_value": None,
        "density_weight_unit": None,
    }


def _density(cup_ounces: Decimal, *, metric: bool) -> dict[str, object]:
    if metric:
        return {
            "density_volume_value": _ML_PER_CUP,
            "density_volume_unit": "ml",
            "density_weight_value": quantize(cup_ounces * _GRAMS_PER_OZ, 4),
            "density_weight_unit": "g",
        }
    return {
        "density_volume_value": Decimal(1),
        "density_volume_unit": "cup",
        "density_weight_value": cup_ounces,
        "density_weight_unit": "oz",
    }


def _new_gtin(body: int, taken: set[str]) -> str:
    """A valid, unused GTIN-13: 12 digits and the GS1 check digit."""
    while True:
        digits = f"{body:012d}"
        total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
        gtin = digits + str((10 - total % 10) % 10)
        if gtin not in taken:
            taken.add(gtin)
            return gtin
        body = (body + 1) % 10**12
