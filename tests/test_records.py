"""The record-level API (dump_records, dumps_records, load_records), as a host app uses it.

Chosen records of the sample (a recipe with components, a finished good holding
a material unit, a production run with its children, an event) are dumped with
what they depend on, loaded into an empty database and dumped again, on every
backend. Each document is checked against a whole ``dump_all`` of the sample:
the same records, byte for byte the same encoding, and exactly those the chosen
ones reach (:mod:`tests.record_keys` works that out from the schemas alone).
Every refused load is checked to leave the database as it was.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import bakery_io.records
from bakery_io import (
    REGISTRY,
    NotFoundError,
    SourceError,
    UsageError,
    create_schema,
    dump_all,
    dump_records,
    dumps_records,
    engine_from_url,
    load_records,
)
from bakery_io.binding.models import Product, Recipe, metadata
from bakery_io.format.schemas import RecipeSchema
from bakery_io.format.schemas.base import EntitySchema
from bakery_io.queries import read_records
from tests.conftest import database_url, sqlite_copy
from tests.hosts.acme import ACME_REGISTRY
from tests.record_keys import (
    Key,
    filtered,
    key_of,
    keys_of,
    reached,
    sections,
    selection,
    unresolved,
)
from tests.test_host_acme import CORE, _load_with_acme_data

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
T = TypeVar("T")
Document = dict[str, Any]
Snapshot = dict[str, list[tuple[Any, ...]]]


# ---------------------------------------------------------------------------
# Helpers.


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every bakery_io table, in id order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row) for row in connection.execute(select(table).order_by(table.c.id))
            ]
            for table in metadata.sorted_tables
        }


def snapshot_of_empty(engine: Engine) -> Snapshot:
    return {table: [] for table in snapshot(engine)}


def schema(entity_type: str, *, many: bool = False) -> EntitySchema:
    """The stock schema of ``entity_type``, as a host would make one."""
    return REGISTRY[entity_type].schema(many=many)


def refused(engine: Engine, data: Any, **options: Any) -> SourceError:
    """load_records ``data`` expecting a SourceError; check that nothing changed."""
    before = snapshot(engine)
    with pytest.raises(SourceError) as caught:
        load_records(engine, data, **options)
    assert snapshot(engine) == before, "a refused load changed the database"
    assert caught.value.problems
    return caught.value


# ---------------------------------------------------------------------------
# Fixtures: the sample as one document, the records chosen from it.


@dataclass(frozen=True)
class Sample:
    """The sample dumped whole (``dump_all`` to ``.json``) and the records chosen from it."""

    database: Path
    document: Document
    chosen: dict[str, list[Key]]
    #: A material unit slug that other units share, under other products.
    shared_unit: Key


def _first(items: list[T], test: Callable[[T], Any]) -> T:
    return next(item for item in items if test(item))


@pytest.fixture(scope="module")
def sample(sample_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    folder = tmp_path_factory.mktemp("records")
    engine = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    dump_all(engine, folder / "x.json", exported_at=EXPORTED_AT)
    engine.dispose()
    document = json.loads((folder / "x.json").read_bytes())
    recipe = _first(document["recipes"], lambda r: r["components"] and r["ingredients"])
    good = _first(
        document["finished_goods"],
        lambda g: any(c["material_unit_slug"] for c in g["components"]),
    )
    run = _first(
        document["production_runs"],
        lambda r: r["event_slug"] and r["consumptions"] and r["losses"],
    )
    event = _first(document["events"], lambda e: e["production_targets"] and e["assembly_targets"])
    units = [key_of("material_units", unit) for unit in document["material_units"]]
    shared = _first(units, lambda key: sum(other[1] == key[1] for other in units) > 1)
    chosen: dict[str, list[Key]] = {
        "recipes": [(recipe["slug"],)],
        "finished_goods": [(good["slug"],)],
        "material_units": [shared],
        "production_runs": [(run["uuid"],)],
        "events": [(event["slug"],)],
    }
    return Sample(sample_dump.parent / "sample.db", document, chosen, shared)


@pytest.fixture
def target(
    backend: str, schema_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """Empty bakery_io tables on the current backend (SQLite, or each server)."""
    if backend == "sqlite":
        engine = sqlite_copy(schema_template, tmp_path / "target.db")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("empty_engine")
    create_schema(engine)
    yield engine


@pytest.fixture
def db(schema_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """Empty bakery_io tables on SQLite."""
    engine = sqlite_copy(schema_template, tmp_path / "empty.db")
    yield engine
    engine.dispose()


@pytest.fixture
def copy(sample: Sample, tmp_path: Path) -> Iterator[Engine]:
    """A SQLite copy of the sample database, to change."""
    engine = sqlite_copy(sample.database, tmp_path / "copy.db")
    yield engine
    engine.dispose()


# ---------------------------------------------------------------------------
# Round trips, and what a document holds.


def test_chosen_records_round_trip_through_an_empty_database(
    sample: Sample, sample_engine: Engine, target: Engine
) -> None:
    document = dump_records(
        sample_engine, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT
    )
    report = load_records(target, document, name="chosen.json")
    assert report.committed
    assert report.source == "chosen.json"
    held = keys_of(document)
    assert {name: counts.created for name, counts in report.counts.items()} == {
        name: len(keys) for name, keys in held.items()
    }
    again = dump_records(target, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT)
    assert again == document
    # Each record named, without dependencies: the same document.
    assert dump_records(target, selection(held), exported_at=EXPORTED_AT) == document
    second = load_records(target, document)
    assert second.total.unchanged == second.total.total == report.total.created


def test_the_bytes_are_those_dump_all_writes_for_the_same_records(
    sample: Sample, sample_engine: Engine, db: Engine, tmp_path: Path
) -> None:
    data = dumps_records(
        sample_engine, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT
    )
    document = json.loads(data)
    assert document == dump_records(
        sample_engine, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT
    )
    # The records of the whole sample's document, the same on every backend.
    assert document == filtered(sample.document, reached(sample.document, sample.chosen))
    assert list(document)[:2] == ["version", "exported_at"]
    assert document["exported_at"] == "2026-11-22T09:30:00Z"
    assert sections(document) == [e.name for e in REGISTRY if e.name in document]
    # Byte for byte: dump_all of a database holding just those records, limited to their
    # types, writes the same document.
    load_records(db, data)
    dump_all(db, tmp_path / "x.json", entities=sections(document), exported_at=EXPORTED_AT)
    assert (tmp_path / "x.json").read_bytes() == data


@pytest.mark.parametrize(
    "which",
    [
        "recipes",
        "finished_goods",
        "material_units",
        "production_runs",
        "events",
        "inventory_depletions",
        "assembly_runs",
        "event_recipient_packages",
    ],
)
def test_the_dependencies_are_exactly_what_the_chosen_records_reach(
    sample: Sample, copy: Engine, which: str
) -> None:
    chosen = sample.chosen.get(which) or [key_of(which, sample.document[which][0])]
    document = dump_records(copy, {which: chosen}, with_dependencies=True)
    assert unresolved(document) == []
    assert keys_of(document) == reached(sample.document, {which: chosen})


def test_a_recipe_brings_its_ingredient_tree_and_sub_recipes_but_nothing_else(
    sample: Sample, copy: Engine
) -> None:
    (recipe,) = sample.chosen["recipes"]
    document = dump_records(copy, {"recipes": [recipe]}, with_dependencies=True)
    assert sections(document) == ["ingredients", "recipes"]
    ingredients = {record["slug"]: record for record in document["ingredients"]}
    # Parents up to the roots come along; a sibling leaf nobody uses does not.
    assert {record["hierarchy_level"] for record in ingredients.values()} == {0, 1, 2}
    for record in ingredients.values():
        assert record["parent_slug"] is None or record["parent_slug"] in ingredients
    assert len(ingredients) < len(sample.document["ingredients"])
    components = {c["component_recipe_slug"] for c in document["recipes"][0]["components"]}
    assert components <= {record["slug"] for record in document["recipes"]}


def test_without_dependencies_only_the_chosen_records_are_dumped(
    sample: Sample, sample_engine: Engine
) -> None:
    document = dump_records(sample_engine, sample.chosen, exported_at=EXPORTED_AT)
    assert keys_of(document) == {name: set(keys) for name, keys in sample.chosen.items()}
    assert sections(document) == [e.name for e in REGISTRY if e.name in sample.chosen]
    assert document == filtered(sample.document, keys_of(document))
    # A composite key picks one unit, not every unit of that slug.
    (unit,) = document["material_units"]
    assert key_of("material_units", unit) == sample.shared_unit


def test_refused_loads_name_each_problem_and_keep_nothing(
    sample: Sample, sample_engine: Engine, apple_pie: Document, target: Engine
) -> None:
    # Without their dependencies, the chosen records refer to what an empty database lacks.
    document = dump_records(sample_engine, sample.chosen, exported_at=EXPORTED_AT)
    error = refused(target, document, name="chosen.json")
    assert error.source == "chosen.json"
    assert {problem.file for problem in error.problems} == {"chosen.json"}
    recipe = document["recipes"][0]
    component = recipe["components"][0]["component_recipe_slug"]
    pointer = "/recipes/0/components/0/component_recipe_slug"
    (problem,) = [p for p in error.problems if p.pointer == pointer]
    assert (problem.record, problem.key) == (0, recipe["slug"])
    assert f"no record of recipes has the slug {component!r}" in problem.message
    assert "neither in the files being loaded nor in the database" in problem.message
    assert f"chosen.json {pointer} [record 0 ({recipe['slug']})]" in str(error)
    assert {p.pointer.split("/")[1] for p in error.problems} == set(sample.chosen)

    # One bad record among good ones: the good ones are not kept either.
    bad = {**apple_pie["recipes"][-1], "slug": "bad-pie", "name": "Bad Pie"}
    del bad["uuid"]  # a new record: the import gives it one
    bad["ingredients"] = [{**bad["ingredients"][0], "quantity": "-1.0000"}]
    batch = {**apple_pie, "recipes": [*apple_pie["recipes"], bad]}
    error = refused(target, batch, name="batch.json")
    assert [(p.pointer, p.key) for p in error.problems] == [
        (f"/recipes/{len(apple_pie['recipes'])}/ingredients/0/quantity", "bad-pie")
    ]
    assert snapshot(target) == snapshot_of_empty(target)


def test_without_dependencies_they_load_unchanged_where_they_came_from(
    sample: Sample, copy: Engine
) -> None:
    document = dump_records(copy, sample.chosen)
    before = snapshot(copy)
    report = load_records(copy, document, on_conflict="error")
    assert report.total.unchanged == report.total.total == len(sample.chosen)
    assert snapshot(copy) == before


# ---------------------------------------------------------------------------
# What load_records reads.


@pytest.fixture(scope="module")
def apple_pie(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Document:
    """A recipe with what it depends on, as dump_records returns it."""
    folder = tmp_path_factory.mktemp("apple")
    engine = sqlite_copy(sample.database, folder / "sample.db")
    try:
        chosen = {"recipes": sample.chosen["recipes"]}
        return dump_records(engine, chosen, with_dependencies=True, exported_at=EXPORTED_AT)
    finally:
        engine.dispose()


def _as_zip(document: Document, folder: Path, template: Path) -> bytes:
    engine = sqlite_copy(template, folder / "zip.db")
    try:
        load_records(engine, document)
        dump_all(engine, folder / "b.zip", exported_at=EXPORTED_AT)
    finally:
        engine.dispose()
    return (folder / "b.zip").read_bytes()


FORMS = ["dict", "mapping", "bytes", "str", "bytearray", "memoryview", "BytesIO", "file", "zip"]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_data_loads_the_same_records(
    apple_pie: Document, db: Engine, form: str, tmp_path: Path, schema_template: Path
) -> None:
    text = json.dumps(apple_pie, ensure_ascii=False)
    (tmp_path / "given.json").write_text(text, encoding="utf-8")
    forms: dict[str, Callable[[], Any]] = {
        "dict": lambda: apple_pie,
        "mapping": lambda: MappingProxyType(
            {**apple_pie, "recipes": [MappingProxyType(r) for r in apple_pie["recipes"]]}
        ),
        "bytes": text.encode,
        "str": lambda: text,
        "bytearray": lambda: bytearray(text.encode()),
        "memoryview": lambda: memoryview(text.encode()),
        "BytesIO": lambda: io.BytesIO(text.encode()),
        "file": lambda: (tmp_path / "given.json").open("rb"),
        "zip": lambda: _as_zip(apple_pie, tmp_path, schema_template),
    }
    given = forms[form]()
    try:
        report = load_records(db, given)
    finally:
        if hasattr(given, "close"):
            given.close()
    assert report.total.created == sum(len(apple_pie[name]) for name in sections(apple_pie))
    assert dump_records(db, selection(keys_of(apple_pie)), exported_at=EXPORTED_AT) == apple_pie


def test_an_entity_file_as_data_loads_its_records(apple_pie: Document, db: Engine) -> None:
    entity_file = {
        "version": "1.1",
        "entity_type": "ingredients",
        "records": apple_pie["ingredients"],
    }
    report = load_records(db, entity_file, name="02_ingredients.json")
    assert dict(report.counts)["ingredients"].created == len(apple_pie["ingredients"])
    ingredients = keys_of(apple_pie)["ingredients"]
    found = dump_records(db, {"ingredients": sorted(ingredients)})
    assert found["ingredients"] == apple_pie["ingredients"]


@pytest.mark.parametrize("value", [Decimal("1.5000"), math.nan, math.inf, datetime(2026, 1, 1)])
def test_data_json_cannot_hold_is_a_usage_error(
    apple_pie: Document, db: Engine, value: Any
) -> None:
    recipe = {**apple_pie["recipes"][0], "estimated_time_minutes": value}
    with pytest.raises(UsageError, match="as dump_records returns them"):
        load_records(db, {**apple_pie, "recipes": [recipe]})
    assert snapshot(db) == snapshot_of_empty(db)


@pytest.mark.parametrize("given", [42, None, ["recipes"], object()])
def test_data_of_another_type_is_a_usage_error(db: Engine, given: Any) -> None:
    with pytest.raises(UsageError, match="binary file object, not"):
        load_records(db, given)


@pytest.mark.parametrize("name", [None, 3, Path("upload.json")])
def test_a_name_that_is_no_text_is_a_usage_error(db: Engine, name: Any) -> None:
    with pytest.raises(UsageError, match="name is the text errors name the data by"):
        load_records(db, b"{}", name=name)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{"version": "1.1", "recipes": [', "not valid JSON"),
        (b"\xff\xfe not text", ""),
        (b"[1, 2]", "expected a JSON object"),
        (b"", ""),
    ],
)
def test_data_that_is_no_document_is_a_source_error_naming_it(
    db: Engine, data: bytes, said: str
) -> None:
    error = refused(db, data, name="upload.json")
    assert error.source == "upload.json"
    assert [problem.file for problem in error.problems] == ["upload.json"]
    assert said in error.problems[0].message


def test_an_empty_zip_is_read_as_a_zip(db: Engine) -> None:
    """An empty archive begins PK\\x05\\x06, not PK\\x03\\x04: still no JSON."""
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    error = refused(db, empty.getvalue(), name="upload.zip")
    assert [problem.message for problem in error.problems] == [
        "missing: a zip backup needs manifest.json"
    ]


# ---------------------------------------------------------------------------
# The rules across records: the case.


def test_a_non_leaf_ingredient_passes_the_schema_alone_but_load_records_refuses_it(
    apple_pie: Document, copy: Engine
) -> None:
    ingredients = {record["slug"]: record for record in apple_pie["ingredients"]}
    recipe = json.loads(json.dumps(apple_pie["recipes"][0]))
    parent = ingredients[recipe["ingredients"][0]["ingredient_slug"]]["parent_slug"]
    assert ingredients[parent]["hierarchy_level"] == 1
    recipe["ingredients"][0]["ingredient_slug"] = parent
    recipe.update(slug="apple-pie-by-family", uuid="0b7c7a3e-5f0e-4c1a-9a44-3c1f4f3c2b11")
    recipe["name"] += " (by family)"

    # RecipeSchema is a record's own check: the reference is a slug like any other.
    assert isinstance(schema("recipes"), RecipeSchema)
    loaded = schema("recipes").load(recipe)
    assert loaded["ingredients"][0]["ingredient_id"] == parent

    error = refused(copy, {"version": "1.1", "recipes": [recipe]}, name="api.json")
    (problem,) = error.problems
    assert problem.pointer == "/recipes/0/ingredients/0/ingredient_slug"
    assert problem.key == "apple-pie-by-family"
    assert "only leaf ingredients (hierarchy_level 2)" in problem.message


# ---------------------------------------------------------------------------
# Conflicts, dry runs, all or nothing.


def _renamed(document: Document) -> Document:
    recipes = [{**record, "name": record["name"] + " (revised)"} for record in document["recipes"]]
    return {**document, "recipes": recipes}


def _names(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {recipe.slug: recipe.name for recipe in session.scalars(select(Recipe))}


def test_conflict_modes_and_dry_runs_count_what_they_do(
    apple_pie: Document, target: Engine
) -> None:
    load_records(target, apple_pie)
    names = _names(target)
    changed = _renamed(apple_pie)
    recipes = len(apple_pie["recipes"])
    ingredients = len(apple_pie["ingredients"])

    skipped = load_records(target, changed)
    assert skipped.counts["recipes"].skipped == recipes
    assert skipped.counts["ingredients"].unchanged == ingredients
    assert _names(target) == names

    error = refused(target, changed, on_conflict="error")
    assert len(error.problems) == recipes

    tried = load_records(target, changed, on_conflict="update", dry_run=True)
    assert tried.dry_run
    assert not tried.committed
    assert tried.counts["recipes"].updated == recipes
    assert _names(target) == names

    updated = load_records(target, changed, on_conflict="update")
    assert updated.committed
    assert updated.counts["recipes"].updated == recipes
    assert _names(target) == {slug: name + " (revised)" for slug, name in names.items()}


# ---------------------------------------------------------------------------
# Refused selections.


def test_keys_the_database_lacks_raise_not_found(sample: Sample, copy: Engine) -> None:
    (recipe,) = sample.chosen["recipes"]
    with pytest.raises(NotFoundError) as caught:
        dump_records(copy, {"recipes": ["no-such-cake", recipe[0], "none-either"]})
    error = caught.value
    assert isinstance(error, UsageError)
    assert error.entity_type == "recipes"
    assert error.keys == (("no-such-cake",), ("none-either",))
    assert "'no-such-cake'" in str(error)
    assert "'none-either'" in str(error)
    assert recipe[0] not in str(error)

    product, _slug = sample.shared_unit
    with pytest.raises(NotFoundError) as caught:
        dumps_records(copy, {"material_units": [(product, "no-such-unit")]})
    assert caught.value.keys == ((product, "no-such-unit"),)
    assert f"'{product} / no-such-unit'" in str(caught.value)


def test_many_missing_keys_are_all_in_the_error(copy: Engine) -> None:
    missing = [f"missing-{i:02}" for i in range(12)]
    with pytest.raises(NotFoundError) as caught:
        dump_records(copy, {"events": missing})
    assert caught.value.keys == tuple((slug,) for slug in missing)
    assert "and 7 more" in str(caught.value)


def test_not_found_leaves_a_callers_session_as_it_was(sample: Sample, copy: Engine) -> None:
    before = snapshot(copy)
    with Session(copy) as session:
        recipe = session.scalars(select(Recipe).where(Recipe.slug == "no-such-cake")).first()
        assert recipe is None
        with pytest.raises(NotFoundError):
            dump_records(session, {**sample.chosen, "events": ["no-such-event"]})
        # The session goes on: the same transaction reads, and dumps what exists.
        found = dump_records(session, {"recipes": sample.chosen["recipes"]})
        assert [r["slug"] for r in found["recipes"]] == [sample.chosen["recipes"][0][0]]
    assert snapshot(copy) == before


@pytest.mark.parametrize(
    ("chosen", "said"),
    [
        ({"recipes": "apple-pie"}, "a list of keys, not the string 'apple-pie'"),
        ({"recipes": [("apple-pie", "extra")]}, "a key of recipes is 1 text part (slug)"),
        ({"recipes": [1]}, "a key of recipes is 1 text part (slug), not 1"),
        ({"recipes": None}, "the keys of recipes are a list of keys, not None"),
        ({"recipes": ["apple\udcff"]}, "a key of recipes is 1 text part (slug)"),
        ({"recipes": 7}, "the keys of recipes are a list of keys, not 7"),
        ({"material_units": ["box-with-board"]}, "is 2 text parts (material_product_slug, slug)"),
        ({"material_units": [("a", 2)]}, "is 2 text parts"),
        ({}, "selection names no record"),
        ({"recipes": [], "events": ()}, "selection names no record"),
        ({"cakes": ["apple-pie"]}, "unknown entity type 'cakes'"),
        (["recipes"], "selection maps entity types to keys, not list"),
    ],
)
def test_a_selection_of_the_wrong_shape_is_a_usage_error(
    copy: Engine, chosen: Any, said: str
) -> None:
    for dump in (dump_records, dumps_records):
        with pytest.raises(UsageError) as caught:
            dump(copy, chosen)
        assert not isinstance(caught.value, NotFoundError)
        assert said in str(caught.value)


@pytest.mark.parametrize("moment", ["2026-12-01T00:00:00Z", date(2026, 12, 1)])
def test_an_export_time_that_is_no_datetime_is_a_usage_error(copy: Engine, moment: Any) -> None:
    for dump in (dump_records, dumps_records):
        with pytest.raises(UsageError, match="exported_at is a timezone-aware datetime"):
            dump(copy, {"recipes": ["apple-pie"]}, exported_at=moment)


# ---------------------------------------------------------------------------
# The per-entity schemas: mappings yes, model instances no.


def test_a_schema_refuses_model_instances_and_points_to_dump_records(copy: Engine) -> None:
    with Session(copy) as session:
        recipe = session.scalars(select(Recipe)).first()
        products = session.scalars(select(Product)).all()
        attempts: list[Callable[[], Any]] = [
            lambda: schema("recipes").dump(recipe),
            lambda: schema("recipes", many=True).dump([recipe]),
            lambda: schema("recipes").dump([recipe], many=True),
            lambda: schema("products", many=True).dump(products),
            # Not only a list's first item: a query's result, a list mixing both.
            lambda: schema("products", many=True).dump(session.scalars(select(Product))),
            lambda: schema("products", many=True).dump([{}, products[0]]),
        ]
        for attempt in attempts:
            with pytest.raises(UsageError, match=r"takes records as mappings.*dump_records"):
                attempt()


def test_a_schema_still_dumps_records_read_as_values(copy: Engine, sample: Sample) -> None:
    slug = sample.document["products"][0]["slug"]
    with copy.connect() as connection:
        # Values as their columns give them: the export's own reading may give a value's
        # wire text instead (bakery_io.binding.wire_reads), which only its dumper takes.
        (rows,) = read_records(
            connection,
            REGISTRY["products"],
            where=Product.__table__.c.slug == slug,
            wire_text=False,
        )
    assert schema("products").dump(rows[0]) == sample.document["products"][0]
    assert schema("products", many=True).dump(iter(rows)) == sample.document["products"][:1]
    supplier = sample.document["suppliers"][0]
    assert schema("suppliers").dump(schema("suppliers").load(supplier)) == supplier


# ---------------------------------------------------------------------------
# A host's registry: acme's deliveries (tests/hosts/acme.py).


def test_a_hosts_records_round_trip_with_their_dependencies(
    backend: str, sample_engine: Engine, tmp_path: Path
) -> None:
    core = tmp_path / "core"
    dump_all(sample_engine, core, entities=CORE, exported_at=EXPORTED_AT)
    with (
        database_url(backend, tmp_path, "acme-from") as source_url,
        database_url(backend, tmp_path, "acme-to") as target_url,
    ):
        source = engine_from_url(source_url)
        destination = engine_from_url(target_url)
        try:
            create_schema(source, registry=ACME_REGISTRY)
            create_schema(destination, registry=ACME_REGISTRY)
            _load_with_acme_data(source, core)
            chosen = {"acme:deliveries": ["monday-round"]}
            document = dump_records(
                source,
                chosen,
                with_dependencies=True,
                exported_at=EXPORTED_AT,
                registry=ACME_REGISTRY,
            )
            assert sections(document, ACME_REGISTRY) == [
                "suppliers",
                "recipients",
                "acme:deliveries",
            ]
            assert document["extensions"] == [{"namespace": "acme", "version": "1"}]
            (delivery,) = document["acme:deliveries"]
            assert delivery["fee"] == "12.50"
            assert [r["slug"] for r in document["suppliers"]] == [delivery["supplier_slug"]]
            assert [r["slug"] for r in document["recipients"]] == [delivery["recipient_slug"]]

            report = load_records(destination, document, registry=ACME_REGISTRY)
            assert report.total.created == 3
            again = dump_records(
                destination,
                chosen,
                with_dependencies=True,
                exported_at=EXPORTED_AT,
                registry=ACME_REGISTRY,
            )
            assert again == document
            with pytest.raises(UsageError, match="unknown entity type 'acme:deliveries'"):
                dump_records(source, chosen)
        finally:
            source.dispose()
            destination.dispose()


def test_the_stock_registry_loads_no_records_of_a_host(sample: Sample, db: Engine) -> None:
    delivery = {
        "slug": "monday-round",
        "recipient_slug": sample.document["recipients"][0]["slug"],
        "supplier_slug": None,
        "scheduled_on": "2026-12-07",
        "fee": None,
    }
    document = {
        "version": "1.1",
        "extensions": [{"namespace": "acme", "version": "1"}],
        "acme:deliveries": [delivery],
    }
    report = load_records(db, document)
    assert report.total.total == 0
    assert dict(report.passed_over.types) == {"acme:deliveries": 1}


def test_keys_beyond_a_batch_are_written_into_the_statement(
    sample: Sample, sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a batch the keys are literals, not parameters (PostgreSQL takes at most 65,535):
    the same document, composite keys included, on every backend."""
    expected = dump_records(
        sample_engine, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT
    )
    monkeypatch.setattr(bakery_io.records, "_KEYS_PER_QUERY", 1)
    assert (
        dump_records(sample_engine, sample.chosen, with_dependencies=True, exported_at=EXPORTED_AT)
        == expected
    )
