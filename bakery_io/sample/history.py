"""Sample history that grows linearly with the scale: one block of rows per scale unit.

A block holds purchases and their inventory lots, material purchases,
production runs with consumptions and losses, assembly runs with their
consumptions, and depletions of the block's lots. Blocks are produced one at a
time so memory stays flat however large the scale.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from bakery_io.format.enums import DepletionReason, LossCategory, ProductionStatus
from bakery_io.sample import data
from bakery_io.sample.catalog import Catalog, ProductInfo, RecipeInfo
from bakery_io.sample.rows import Batch, Row, RowFactory, quantize

#: Top-level records of each kind per scale unit (children come on top).
PURCHASES = 660
MATERIAL_PURCHASES = 80
PRODUCTION_RUNS = 270
ASSEMBLY_RUNS = 150
DEPLETIONS = 660

#: One purchase in this many was free: zero prices are real data.
FREE_EVERY = 40

#: Consumptions keep the slug they were recorded with; this ingredient no longer exists.
RETIRED_INGREDIENT_SLUG = "vanilla-sugar"
_DEPLETION_WEIGHTS = {
    DepletionReason.PRODUCTION: 40,
    DepletionReason.ASSEMBLY: 15,
    DepletionReason.SPOILAGE: 10,
    DepletionReason.GIFT: 8,
    DepletionReason.CORRECTION: 10,
    DepletionReason.AD_HOC_USAGE: 12,
    DepletionReason.OTHER: 5,
}
_STAFF = ["Maëlle", "Jürgen (assistant)", "inventory-script", "Zoë"]


def history_blocks(catalog: Catalog, rows: RowFactory, scale: int) -> Iterator[Batch]:
    """Yield ``scale`` blocks of history rows, parents before children within each."""
    generator = _HistoryGenerator(catalog, rows)
    for _ in range(scale):
        yield generator.block()


class _HistoryGenerator:
    def __init__(self, catalog: Catalog, rows: RowFactory) -> None:
        self.catalog = catalog
        self.rows = rows
        self.rng: random.Random = rows.rng
        self.buyable = [p for p in catalog.products if not p.is_hidden and not p.is_packaging]
        self.packaging = [p for p in catalog.products if p.is_packaging]

    def _note(self, probability: float) -> str | None:
        return self.rows.maybe(probability, self.rng.choice(data.HISTORY_NOTES))

    def _supplier(self, usual: int | None) -> int:
        """The product's usual supplier, or any supplier when it has none."""
        return usual or self.rng.choice(self.catalog.supplier_ids)

    def _event_id(self, probability: float) -> int | None:
        return self.rows.maybe(probability, self.rng.choice(self.catalog.event_ids))

    def block(self) -> Batch:
        batch: Batch = {}
        lots = self._purchases(batch)
        self._material_purchases(batch)
        for _ in range(PRODUCTION_RUNS):
            self._production_run(batch)
        for _ in range(ASSEMBLY_RUNS):
            self._assembly_run(batch)
        self._depletions(batch, lots)
        return batch

    def _purchases(self, batch: Batch) -> list[tuple[int, Decimal | None]]:
        """Purchases, each usually with its inventory lot, plus a few lots bought off-book."""
        lots: list[tuple[int, Decimal | None]] = []
        for number in range(PURCHASES):
            product = self.rng.choice(self.buyable)
            at = self.rows.instant()
            price = self._price(product.price, free=number % FREE_EVERY == 0)
            quantity = self.rng.choices([1, 2, 3, 4, 6], weights=[50, 25, 10, 10, 5])[0]
            purchase = self.rows.entity(
                "purchases",
                at,
                edited=False,
                product_id=product.id,
                supplier_id=self._supplier(product.supplier_id),
                purchase_date=at.date(),
                unit_price=price,
                quantity_purchased=quantity,
                notes=self._note(0.1),
            )
            batch.setdefault("purchases", []).append(purchase)
            if self.rng.random() < 0.92:
                lots.append(self._lot(batch, product, purchase, price, quantity))
            if self.rng.random() < 0.08:
                lots.append(self._lot(batch, self.rng.choice(self.buyable), None, None, 1))
        return lots

    def _price(self, base: Decimal, *, free: bool) -> Decimal:
        if free:
            return Decimal("0.0000")  # a free sample or a promotion
        price = base * Decimal(self.rng.uniform(0.9, 1.15))
        return quantize(price, 4 if self.rng.random() < 0.25 else 2)

    def _lot(
        self,
        batch: Batch,
        product: ProductInfo,
        purchase: Row | None,
        price: Decimal | None,
        quantity: int,
    ) -> tuple[int, Decimal | None]:
        bought = purchase["created_at"] if purchase else self.rows.instant()
        full = product.unit_quantity * quantity
        remaining = self.rng.choice([Decimal(1), Decimal(0), Decimal(self.rng.random())])
        unit_cost = None
        if price is not None and self.rng.random() < 0.85:
            unit_cost = quantize(price / product.unit_quantity, 4)
        day = bought.date()
        lot = self.rows.entity(
            "inventory_items",
            bought,
            edited=self.rng.random() < 0.5,
            product_id=product.id,
            purchase_id=purchase["id"] if purchase else None,
            quantity=quantize(full * remaining, 4),
            unit_cost=unit_cost,
            purchase_date=self.rows.maybe(0.9, day),
            expiration_date=self.rows.maybe(0.6, day + timedelta(days=self.rng.randrange(30, 720))),
            opened_date=self.rows.maybe(0.4, day + timedelta(days=self.rng.randrange(0, 60))),
            location=self.rows.maybe(0.7, self.rng.choice(data.STORAGE_LOCATIONS)),
            lot_or_batch=self.rows.maybe(0.3, f"LOT-{day:%Y%m}-{self.rng.randrange(1000, 9999)}"),
            notes=self._note(0.08),
        )
        batch.setdefault("inventory_items", []).append(lot)
        return lot["id"], unit_cost

    def _material_purchases(self, batch: Batch) -> None:
        for number in range(MATERIAL_PURCHASES):
            product = self.rng.choice(self.catalog.material_products)
            at = self.rows.instant()
            packages = self.rng.randint(1, 5)
            price = self._price(product.price, free=number % FREE_EVERY == 0)
            batch.setdefault("material_purchases", []).append(
                self.rows.entity(
                    "material_purchases",
                    at,
                    edited=False,
                    material_product_id=product.id,
                    supplier_id=self._supplier(product.supplier_id),
                    purchase_date=at.date(),
                    packages_purchased=packages,
                    package_price=price,
                    units_added=product.base_units * packages,
                    unit_cost=quantize(price / product.base_units, 4),
                    notes=self._note(0.1),
                )
            )

    def _production_run(self, batch: Batch) -> None:
        recipe: RecipeInfo = self.rng.choice(self.catalog.recipes)
        unit = self.rng.choice(recipe.yields)
        batches = self.rng.choices([1, 2, 3, 4], weights=[50, 30, 12, 8])[0]
        expected = unit.per_batch * batches
        status = self.rng.choices(list(ProductionStatus), weights=[85, 12, 3])[0]
        if status is ProductionStatus.PARTIAL_LOSS and expected < 2:
            status = ProductionStatus.TOTAL_LOSS
        lost = {
            ProductionStatus.COMPLETE: 0,
            ProductionStatus.PARTIAL_LOSS: self.rng.randint(1, max(1, expected // 3)),
            ProductionStatus.TOTAL_LOSS: expected,
        }[status]
        at = self.rows.instant()
        run = self.rows.entity(
            "production_runs",
            at,
            edited=self.rng.random() < 0.1,
            recipe_id=recipe.id,
            finished_unit_id=unit.id,
            event_id=self._event_id(0.25),
            num_batches=batches,
            expected_yield=expected,
            actual_yield=expected - lost,
            produced_at=at,
            notes=self._note(0.2),
            production_status=status,
            loss_quantity=lost,
        )
        run_id = run["id"]
        consumptions = [self._consumption(run_id, line, batches) for line in recipe.lines]
        total = sum((c["total_cost"] for c in consumptions), Decimal(0))
        per_unit = quantize(total / max(expected - lost, 1), 4)
        run.update(total_ingredient_cost=total, per_unit_cost=per_unit)
        batch.setdefault("production_runs", []).append(run)
        batch.setdefault("production_consumptions", []).extend(consumptions)
        remaining = lost
        while remaining > 0:
            part = remaining if self.rng.random() < 0.6 else self.rng.randint(1, remaining)
            remaining -= part
            batch.setdefault("production_losses", []).append(
                self.rows.child_with_uuid(
                    "production_losses",
                    production_run_id=run_id,
                    loss_category=self.rng.choice(list(LossCategory)),
                    loss_quantity=part,
                    per_unit_cost=per_unit,
                    total_loss_cost=per_unit * part,
                    notes=self.rng.choice(data.LOSS_NOTES),
                )
            )

    def _consumption(self, run_id: int, line: tuple[str, Decimal, str], batches: int) -> Row:
        slug, quantity, unit = line
        if self.rng.random() < 0.01:
            slug = RETIRED_INGREDIENT_SLUG
        used = max(
            quantize(quantity * batches * Decimal(self.rng.uniform(0.97, 1.05)), 3),
            Decimal("0.001"),
        )
        cost = (
            Decimal(0)
            if slug == "filtered-water"
            else quantize(used * Decimal(self.rng.uniform(0.05, 2.5)), 4)
        )
        return self.rows.child_with_uuid(
            "production_consumptions",
            production_run_id=run_id,
            ingredient_slug=slug,
            quantity_consumed=used,
            unit=unit,
            total_cost=cost,
        )

    def _assembly_run(self, batch: Batch) -> None:
        good = self.rng.choice(self.catalog.goods)
        quantity = self.rng.choices([1, 2, 4, 6, 12], weights=[30, 25, 20, 15, 10])[0]
        bypassed = self.rng.random() < 0.1
        at = self.rows.instant()
        run = self.rows.entity(
            "assembly_runs",
            at,
            edited=False,
            finished_good_id=good.id,
            event_id=self._event_id(0.3),
            quantity_assembled=quantity,
            assembled_at=at,
            notes=self._note(0.15),
            packaging_bypassed=bypassed,
            packaging_bypass_notes=(
                self.rows.maybe(0.5, "Customer brought their own tin 🎁") if bypassed else None
            ),
        )
        run_id = run["id"]
        unit_rows = [
            self.rows.child_with_uuid(
                "assembly_finished_unit_consumptions",
                assembly_run_id=run_id,
                finished_unit_id=unit.id,
                quantity_consumed=per_good * quantity,
                unit_cost_at_consumption=unit.unit_cost,
                total_cost=unit.unit_cost * per_good * quantity,
            )
            for unit, per_good in good.unit_parts
        ]
        packaging_rows = []
        for product in self.rng.sample(self.packaging, k=self.rng.choice([0, 1, 1, 2])):
            used = quantize(Decimal(quantity) * Decimal(self.rng.uniform(1, 1.2)), 3)
            packaging_rows.append(
                self.rows.child_with_uuid(
                    "assembly_packaging_consumptions",
                    assembly_run_id=run_id,
                    product_id=product.id,
                    quantity_consumed=used,
                    unit="each",
                    total_cost=quantize(used * product.price / product.unit_quantity, 4),
                )
            )
        total = sum((r["total_cost"] for r in unit_rows + packaging_rows), Decimal(0))
        run.update(total_component_cost=total, per_unit_cost=quantize(total / quantity, 4))
        batch.setdefault("assembly_runs", []).append(run)
        batch.setdefault("assembly_finished_unit_consumptions", []).extend(unit_rows)
        batch.setdefault("assembly_packaging_consumptions", []).extend(packaging_rows)

    def _depletions(self, batch: Batch, lots: list[tuple[int, Decimal | None]]) -> None:
        reasons = list(_DEPLETION_WEIGHTS)
        weights = list(_DEPLETION_WEIGHTS.values())
        for _ in range(DEPLETIONS):
            lot_id, unit_cost = self.rng.choice(lots)
            reason = self.rng.choices(reasons, weights=weights)[0]
            quantity = quantize(Decimal(self.rng.uniform(0.05, 12)), 3)
            free = reason is DepletionReason.GIFT or unit_cost is None
            at = self.rows.instant()
            batch.setdefault("inventory_depletions", []).append(
                self.rows.entity(
                    "inventory_depletions",
                    at,
                    edited=False,
                    inventory_item_id=lot_id,
                    quantity_depleted=quantity,
                    depletion_reason=reason,
                    depletion_date=at,
                    notes=(
                        "Donated to the food bank — nicht verkäuflich."
                        if reason is DepletionReason.OTHER
                        else self._note(0.2)
                    ),
                    cost=Decimal("0.0000") if free else quantize(quantity * (unit_cost or 0), 4),
                    created_by=self.rows.maybe(0.4, self.rng.choice(_STAFF)),
                )
            )
