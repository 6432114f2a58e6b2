"""Reading bake-tracker's current full backup keeps everything that has a place in format 1.1.

Each example is a database of the app written as its exporter (commit 5ba2de31,
``coordinated_export_service.export_complete``) writes it
(:mod:`tests.bake_tracker_strategies`). It is loaded through the public API into an empty
SQLite database and dumped again as one 1.1 document, and then:

- every record of a type with a place in 1.1 is there, each mapped field equal after the
  conversions docs/bake-tracker.md's mapping table names (decimals exactly as the JSON text
  says, naive datetimes as UTC, a null cost as 0, ``date_added`` as ``created_at``, product
  slugs derived from the app's key, compositions nested as components, events' slugs from
  their names);
- every record is accounted for: loaded, nested as a component or counted in
  ``report.foreign.left_behind``, and every field left behind that held a value is listed
  with the number of records that held one;
- loading the same files again changes nothing, and ``validate`` agrees with the load;
- each kind of damage a repair mends fails the default load naming exactly the damaged
  values, and with that repair loads, reporting exactly those values.

``BAKERY_IO_PROPERTY_EXAMPLES`` sets the number of examples (default 12; a quarter of
that, at least 3, for each kind of damage).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

import bakery_io
from bakery_io import LoadReport, SourceError, create_schema, engine_from_url
from bakery_io.format.fields import Children, DateTime, DecimalString
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import slugify
from bakery_io.registry import REGISTRY
from bakery_io.versions.bake_tracker.keys import key_slug
from tests.bake_tracker_strategies import (
    APP_ONLY,
    AppExport,
    Inject,
    app_exports,
    product_key,
    read_back,
    write_backup,
)

Record = dict[str, Any]

EXAMPLES = int(os.environ.get("BAKERY_IO_PROPERTY_EXAMPLES", "12"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: The app's timestamps, by their 1.1 names.
TIMESTAMPS = {
    "date_added": "created_at",
    "last_modified": "updated_at",
    "last_updated": "updated_at",
}
#: Costs the app writes null when zero (``str(x) if x else None``).
ZERO_AS_NULL = {
    "purchases": ("unit_price",),
    "material_purchases": ("package_price", "unit_cost"),
    "production_runs": ("total_ingredient_cost", "per_unit_cost"),
    "inventory_depletions": ("cost",),
}
#: Fields of the app that a rule of the mapping table consumes, by entity type.
CONSUMED = {
    "products": {"upc_code"},
    "purchases": {"product_slug"},
    "inventory_items": {"product_slug"},
    "material_purchases": {"product_slug"},
    "production_runs": {"event_name"},
    "inventory_depletions": {"inventory_item_ref"},
}
#: 1.1 fields the app's backup does not write, and what they are once loaded.
UNWRITTEN: dict[str, dict[str, Any]] = {
    "inventory_items": {"purchase_uuid": None},
    "events": {"plan_state": "draft", "expected_attendees": None},
    "finished_units": {"production_notes": None},
    "materials": {"notes": None},
}
#: A composition's fields that become a component's.
COMPONENT_FIELDS = {
    "assembly_slug",
    "finished_unit_slug",
    "finished_good_slug",
    "material_unit_slug",
    "component_quantity",
    "component_notes",
    "sort_order",
}


# ---------------------------------------------------------------------------
# Loading and dumping through the public API.


def fresh_engine(directory: Path) -> Engine:
    engine = engine_from_url(f"sqlite:///{directory / 'bakery.db'}")
    create_schema(engine)
    return engine


def dumped(engine: Engine, directory: Path) -> dict[str, Any]:
    path = directory / "dump.json"
    bakery_io.dump_all(engine, path)
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


def problems_at(problems: Iterable[bakery_io.Problem]) -> set[tuple[str, str]]:
    return {(problem.file, problem.pointer) for problem in problems}


# ---------------------------------------------------------------------------
# What the mapping table says the 1.1 records hold.


def wire_fields(schema: type[EntitySchema]) -> dict[str, Any]:
    return {field.data_key or name: field for name, field in declared_fields(schema).items()}


def children_of(schema: type[EntitySchema]) -> dict[str, type[EntitySchema]]:
    return {
        name: field.schema_class
        for name, field in wire_fields(schema).items()
        if isinstance(field, Children)
    }


def has_value(value: Any) -> bool:
    """What the docs call holding a value: not null, empty or false."""
    return value is not None and value is not False and value not in ("", [], {})


def unique(base: str, taken: set[str], length: int) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = base[: length - len(f"-{number}")].rstrip("-_") + f"-{number}"
    taken.add(candidate)
    return candidate


class Expected:
    """The 1.1 records the app's records become, by entity type and uuid."""

    def __init__(self, app: Mapping[str, list[Record]], repairs: Sequence[str]) -> None:
        self.app = app
        self.repairs = set(repairs)
        self.product_slugs = self._product_slugs()
        self.event_slugs = self._event_slugs()

    def _product_slugs(self) -> dict[str, str]:
        """Each product's 1.1 slug by uuid: its own, else derived from its key."""
        products = self.app["products"]
        taken = {p["slug"] for p in products if p["slug"]}
        found = {}
        for product in products:
            own = product["slug"]
            found[product["uuid"]] = own or unique(key_slug(product_key(product), 200), taken, 200)
        return found

    def by_key(self, key: str) -> str:
        """The slug of the (first) product the app's key names."""
        for product in self.app["products"]:
            if product_key(product) == key:
                return self.product_slugs[product["uuid"]]
        raise AssertionError(f"no product has the key {key!r}")

    def _event_slugs(self) -> dict[str, str]:
        taken: set[str] = set()
        return {
            event["name"]: unique(slugify(event["name"], 100) or "events", taken, 100)
            for event in self.app["events"]
        }

    def record(self, entity_type: str, record: Record) -> Record:
        """The 1.1 fields ``record`` gives, each from its app field."""
        schema = REGISTRY[entity_type].schema
        known = wire_fields(schema)
        nested = children_of(schema)
        expected: Record = dict(UNWRITTEN.get(entity_type, {}))
        for name, value in record.items():
            ours = TIMESTAMPS.get(name, name)
            if ours in known and ours not in nested and name not in CONSUMED.get(entity_type, ()):
                expected[ours] = value
        for name in ZERO_AS_NULL.get(entity_type, ()):
            if expected.get(name) is None:
                expected[name] = Decimal(0)
        special = getattr(self, f"_{entity_type}", None)
        if special is not None:
            special(record, expected)
        return expected

    def _ingredients(self, record: Record, expected: Record) -> None:
        levels = {i["slug"]: i for i in self.app["ingredients"]}
        parent = levels.get(record["parent_slug"])
        if parent is not None and parent["hierarchy_level"] >= record["hierarchy_level"]:
            expected["parent_slug"] = parent["parent_slug"]

    def _products(self, record: Record, expected: Record) -> None:
        expected["slug"] = self.product_slugs[record["uuid"]]
        if not record["gtin"] and record["upc_code"]:
            expected["gtin"] = record["upc_code"]

    def _purchases(self, record: Record, expected: Record) -> None:
        expected["product_slug"] = self.by_key(record["product_slug"])

    _inventory_items = _purchases

    def _material_purchases(self, record: Record, expected: Record) -> None:
        expected["material_product_slug"] = record["product_slug"]

    def _production_runs(self, record: Record, expected: Record) -> None:
        name = record["event_name"]
        expected["event_slug"] = None if name is None else self.event_slugs[name]

    def _events(self, record: Record, expected: Record) -> None:
        expected["slug"] = self.event_slugs[record["name"]]

    def _inventory_depletions(self, record: Record, expected: Record) -> None:
        lots = [
            lot
            for lot in self.app["inventory_items"]
            if lot["product_slug"] == record["inventory_item_ref"]
        ]
        assert len(lots) == 1
        expected["inventory_item_uuid"] = lots[0]["uuid"]

    @staticmethod
    def record_child(schema: type[EntitySchema], child: Record) -> Record:
        """The 1.1 fields of a child record (a copy of a referenced name is not one)."""
        known = wire_fields(schema)
        return {name: value for name, value in child.items() if name in known}

    def components(self, good: Record) -> list[Record]:
        """A finished good's components: its compositions that name a unit, good or
        material unit."""
        units = {u["slug"]: u for u in self.app["material_units"]}
        found = []
        for composition in self.app["compositions"]:
            if composition["assembly_slug"] != good["slug"]:
                continue
            unit = composition["material_unit_slug"]
            component = {
                "finished_unit_slug": composition["finished_unit_slug"],
                "finished_good_slug": composition["finished_good_slug"],
                "material_product_slug": units[unit]["material_product_slug"] if unit else None,
                "material_unit_slug": unit,
                "quantity": composition["component_quantity"],
                "notes": composition["component_notes"],
                "sort_order": composition["sort_order"],
            }
            if any(
                component[name]
                for name in ("finished_unit_slug", "finished_good_slug", "material_unit_slug")
            ):
                found.append(component)
        return found

    # -- what is left behind ---------------------------------------------------------------

    def unmapped(self, entity_type: str, record: Record) -> Iterable[str]:
        """The app's fields of ``record`` (and its children, as ``children/field``) that
        have no place in 1.1."""
        schema = REGISTRY[entity_type].schema
        known = set(wire_fields(schema)) | set(TIMESTAMPS) | CONSUMED.get(entity_type, set())
        for name, value in record.items():
            if name in children_of(schema):
                child_known = set(wire_fields(children_of(schema)[name]))
                for child in value:
                    yield from (
                        f"{name}/{field}"
                        for field, held in child.items()
                        if field not in child_known and has_value(held)
                    )
            elif name not in known and has_value(value):
                yield name
        upc, gtin = record.get("upc_code"), record.get("gtin")
        if entity_type == "products" and upc and gtin and upc != gtin:
            yield "upc_code"

    def left_fields(self) -> Counter[tuple[str, str, str]]:
        counts: Counter[tuple[str, str, str]] = Counter()
        for entity in REGISTRY:
            for record in self.app.get(entity.name, []):
                for name in self.unmapped(entity.name, record):
                    counts[(f"{entity.name}.json", entity.name, name)] += 1
        goods = {g["slug"] for g in self.app["finished_goods"]}
        for composition in self.app["compositions"]:
            if composition["assembly_slug"] not in goods or not self.nested(composition):
                continue
            for name, value in composition.items():
                if name not in COMPONENT_FIELDS and has_value(value):
                    counts[("compositions.json", "finished_goods", f"components/{name}")] += 1
        return counts

    @staticmethod
    def nested(composition: Record) -> bool:
        return any(
            composition[name]
            for name in ("finished_unit_slug", "finished_good_slug", "material_unit_slug")
        )


# ---------------------------------------------------------------------------
# Comparing values.


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def as_instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same(field: Any, expected: Any, found: Any, repaired: bool) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    if isinstance(field, DecimalString):
        wanted = as_decimal(expected)
        exponent = wanted.as_tuple().exponent
        if repaired and isinstance(exponent, int) and -exponent > field.places:
            wanted = wanted.quantize(Decimal(1).scaleb(-field.places), rounding=ROUND_HALF_EVEN)
        return wanted == Decimal(found)
    if isinstance(field, DateTime):
        return as_instant(expected) == as_instant(found)
    return bool(expected == found)


def compare(
    schema: type[EntitySchema], expected: Record, found: Record, where: str, repaired: bool
) -> list[str]:
    fields = wire_fields(schema)
    wrong = []
    for name, value in expected.items():
        if name not in found:
            wrong.append(f"{where}: {name} missing, expected {value!r}")
        elif not same(fields[name], value, found[name], repaired):
            wrong.append(f"{where}: {name} is {found[name]!r}, expected {value!r}")
    return wrong


def check_records(export: Expected, document: Mapping[str, Any], repaired: bool) -> list[str]:
    """Every app record of a type with a place in 1.1 is in ``document``, its values kept."""
    wrong: list[str] = []
    for entity in REGISTRY:
        records = export.app.get(entity.name, [])
        found = {record["uuid"]: record for record in document.get(entity.name, [])}
        if len(found) != len(records):
            wrong.append(f"{entity.name}: {len(records)} records written, {len(found)} dumped")
        nested = children_of(entity.schema)
        for position, record in enumerate(records):
            where = f"{entity.name}.json /records/{position}"
            dump = found.get(record["uuid"])
            if dump is None:
                wrong.append(f"{where}: not loaded")
                continue
            wrong += compare(
                entity.schema, export.record(entity.name, record), dump, where, repaired
            )
            for name, child_schema in nested.items():
                if name in record:
                    expected_children = [export.record_child(child_schema, c) for c in record[name]]
                elif entity.name == "finished_goods":
                    expected_children = export.components(record)
                else:
                    continue
                wrong += compare_children(
                    child_schema, expected_children, dump[name], f"{where}/{name}", repaired
                )
    return wrong


def compare_children(
    schema: type[EntitySchema],
    expected: list[Record],
    found: list[Record],
    where: str,
    repaired: bool,
) -> list[str]:
    """Children compared as the 1.1 document orders them: by sort_order where the app has
    one, the app's order kept among equal ones (and where it has none)."""
    if len(expected) != len(found):
        return [f"{where}: {len(expected)} children written, {len(found)} dumped: {found}"]
    if expected and "sort_order" in expected[0]:
        expected = sorted(expected, key=lambda child: child["sort_order"])
        # Equal sort orders: any order of them is the same data.
        wrong = []
        for order in {child["sort_order"] for child in expected}:
            mine = [c for c in expected if c["sort_order"] == order]
            theirs = [c for c in found if c.get("sort_order") == order]
            unmatched = list(theirs)
            for child in mine:
                match = next(
                    (t for t in unmatched if not compare(schema, child, t, where, repaired)), None
                )
                if match is None:
                    wrong.append(f"{where}: no child like {child} among {theirs}")
                else:
                    unmatched.remove(match)
        return wrong
    wrong = []
    for position, (child, dump) in enumerate(zip(expected, found, strict=True)):
        wrong += compare(schema, child, dump, f"{where}/{position}", repaired)
    return wrong


# ---------------------------------------------------------------------------
# Accounting.


def check_accounting(export: Expected, report: Any, document: Mapping[str, Any]) -> list[str]:
    app = export.app
    wrong = []
    left = report.foreign.left_behind
    whole = {(item.file, item.entity_type, item.records) for item in left if item.field is None}
    goods = {g["slug"] for g in app["finished_goods"]}
    packaging = sum(
        1 for c in app["compositions"] if c["assembly_slug"] in goods and not export.nested(c)
    )
    expected_whole = {(f"{name}.json", name, len(app[name])) for name in APP_ONLY if app[name]}
    if packaging:
        expected_whole.add(("compositions.json", "compositions", packaging))
    if whole != expected_whole:
        wrong.append(f"types left behind {sorted(whole)}, expected {sorted(expected_whole)}")
    components = sum(len(good["components"]) for good in document.get("finished_goods", []))
    if components + packaging != len(app["compositions"]):
        wrong.append(
            f"{len(app['compositions'])} compositions: {components} components, "
            f"{packaging} left behind"
        )
    fields = Counter(
        {
            (item.file, item.entity_type, item.field): item.records
            for item in left
            if item.field is not None
        }
    )
    expected_fields = export.left_fields()
    if fields != expected_fields:
        wrong.append(
            f"fields left behind {sorted(fields.items())}, "
            f"expected {sorted(expected_fields.items())}"
        )
    conversions = Counter(
        {(c.file, c.entity_type, c.field): c.records for c in report.foreign.conversions}
    )
    expected_conversions: Counter[tuple[str, str, str]] = Counter()
    for name, costs in ZERO_AS_NULL.items():
        for record in app[name]:
            for cost in costs:
                if record[cost] is None:
                    expected_conversions[(f"{name}.json", name, cost)] += 1
    for product in app["products"]:
        if product["upc_code"] and not product["gtin"]:
            expected_conversions[("products.json", "products", "gtin")] += 1
    if conversions != expected_conversions:
        wrong.append(f"conversions {conversions}, expected {expected_conversions}")
    return wrong


# ---------------------------------------------------------------------------
# The properties.


def written(export: AppExport, directory: Path, as_zip: bool) -> tuple[Path, dict[str, Any]]:
    source = write_backup(export, directory / "backup", as_zip=as_zip)
    note(f"written to {source}")
    return source, read_back(directory / "backup")


def check_load(
    source: Path, app: dict[str, Any], directory: Path, repairs: Sequence[str] = ()
) -> LoadReport:
    """Load ``source``, dump it, and hold it to the mapping table; load it again."""
    engine = fresh_engine(directory)
    try:
        report = bakery_io.load_all(engine, source, repairs=repairs)
        document = dumped(engine, directory)
        expected = Expected(app, repairs)
        wrong = check_records(expected, document, bool(repairs))
        wrong += check_accounting(expected, report, document)
        again = bakery_io.load_all(engine, source, repairs=repairs)
        changed = {
            name: counts
            for name, counts in again.counts.items()
            if counts.unchanged != counts.total
        }
        if changed:
            wrong.append(f"a second load changed {changed}: {again.conflicts}")
    finally:
        engine.dispose()
    assert not wrong, "\n".join(wrong)
    return report


@PROPERTY
@given(export=app_exports(), as_zip=st.booleans())
def test_a_backup_loads_whole(export: AppExport, as_zip: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        source, app = written(export, directory, as_zip)
        validated = bakery_io.validate(source)
        assert validated.ok, validated.problems
        report = check_load(source, app, directory)
        assert report.foreign.repairs == ()


DAMAGE = {
    "round-float-noise": Inject(noise=True),
    "suffix-repeated-keys": Inject(repeat=True),
    "reparent-deep-ingredients": Inject(deep=True),
}


@pytest.mark.parametrize("repair", list(DAMAGE))
@settings(PROPERTY, max_examples=max(3, EXAMPLES // 4))
@given(data=st.data(), as_zip=st.booleans())
def test_damage_is_named_then_repaired(repair: str, data: st.DataObject, as_zip: bool) -> None:
    export = data.draw(app_exports(DAMAGE[repair]), label="export")
    injected = {(i.file, i.pointer) for i in export.injected}
    assert {i.repair for i in export.injected} <= {repair}
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        source, app = written(export, directory, as_zip)
        validated = bakery_io.validate(source)
        engine = fresh_engine(directory)
        try:
            with pytest.raises(SourceError) as failed:
                bakery_io.load_all(engine, source)
        finally:
            engine.dispose()
        assert problems_at(failed.value.problems) == injected
        if repair == "reparent-deep-ingredients":
            # validate checks no rule across records (a parent's level): load_all does.
            assert validated.ok
        else:
            assert problems_at(validated.problems) == injected
        (directory / "bakery.db").unlink()
        assert bakery_io.validate(source, repairs=[repair]).ok
        report = check_load(source, app, directory, [repair])
        assert {(r.file, r.pointer) for r in report.foreign.repairs} == injected
        assert {r.repair for r in report.foreign.repairs} == {repair}
