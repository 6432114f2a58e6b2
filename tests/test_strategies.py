"""The document strategy of tests/strategies.py: valid, loadable, and reaching the edges.

The checkers here restate the rules across records that the importer enforces, independently
of how the strategy builds documents, so the strategy is proven rather than assumed; each
checker is itself shown to catch a broken document.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from bakery_io import REGISTRY, validate
from bakery_io.format import fields as wire
from tests.strategies import (
    bound_fields,
    dependency_closure,
    documents,
    field_values,
    max_length,
    value_maker,
    walk,
)

Document = Mapping[str, Any]
Record = Mapping[str, Any]

#: Documents are large by design: drawing one takes up to tens of milliseconds.
SLOW_OK = [HealthCheck.too_slow]

# Hypothesis warns when the repr of a drawn value passes 30 kB; a whole database does.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)


#: The most recipes a chain of sub-recipes may hold: "sub-recipes at most three recipes
#: deep" (README; docs/format/entities.md: "at most 3 levels"). A recipe with sub-recipes that have
#: sub-recipes of their own is three deep: two component references in a row.
RECIPES_PER_CHAIN = 3


def _records(document: Document, entity_type: str) -> list[Record]:
    found: list[Record] = document.get(entity_type, [])
    return found


def _get(entity_type: str, record: Record, name: str) -> Any:
    """A field's value, its default when absent (as the loader reads it)."""
    return record.get(name, REGISTRY[entity_type].schema.wire_defaults().get(name))


def _padded(text: str) -> str:
    # MySQL/MariaDB compare VARCHARs with PAD SPACE: "a" and "a " collide in a unique index.
    return text.rstrip(" ")


# ---------------------------------------------------------------------------
# Checkers of the rules across records.


def _references(
    schema: Any, record: Record, where: str
) -> Iterator[tuple[str, str, str | tuple[str, ...]]]:
    for name, field in bound_fields(schema).items():
        value = record.get(name)
        if isinstance(field, wire.Reference) and value is not None:
            key = (*(record.get(part) for part in field.scope), value) if field.scope else value
            yield f"{where}/{name}", field.target, key
        elif isinstance(field, wire.Children):
            for position, item in enumerate(record.get(name, [])):
                yield from _references(field.schema_class, item, f"{where}/{name}/{position}")


def _keys(document: Document, entity_type: str) -> list[Any]:
    key = REGISTRY[entity_type].natural_key
    parts = [tuple(record[name] for name in key) for record in _records(document, entity_type)]
    return [part[0] if len(part) == 1 else part for part in parts]


def dangling_references(document: Document) -> list[str]:
    """Every reference resolves to a record of the document (it is self-contained)."""
    keys = {entity.name: set(_keys(document, entity.name)) for entity in REGISTRY}
    problems = []
    for entity in REGISTRY:
        for position, record in enumerate(_records(document, entity.name)):
            where = f"/{entity.name}/{position}"
            for pointer, target, key in _references(entity.schema, record, where):
                if key not in keys[target]:
                    problems.append(f"{pointer}: no {target} {key!r} in the document")
    return problems


def ingredient_tree_problems(document: Document) -> list[str]:
    """Level 0 has no parent; a level-n ingredient's parent is at level n - 1."""
    levels = {
        record["slug"]: _get("ingredients", record, "hierarchy_level")
        for record in _records(document, "ingredients")
    }
    problems = []
    for record in _records(document, "ingredients"):
        level, parent = levels[record["slug"]], record.get("parent_slug")
        if level == 0 and parent is not None:
            problems.append(f"root {record['slug']} has parent {parent}")
        elif level != 0 and (parent not in levels or levels[parent] != level - 1):
            problems.append(f"{record['slug']} (level {level}) has parent {parent!r}")
    return problems


def leaf_problems(document: Document) -> list[str]:
    """Products and recipe ingredients use only leaf (level 2) ingredients."""
    leaves = {
        record["slug"]
        for record in _records(document, "ingredients")
        if _get("ingredients", record, "hierarchy_level") == 2
    }
    used = [("product", record["ingredient_slug"]) for record in _records(document, "products")]
    used += [
        ("recipe " + recipe["slug"], item["ingredient_slug"])
        for recipe in _records(document, "recipes")
        for item in recipe.get("ingredients", [])
    ]
    return [f"{user} uses non-leaf {slug}" for user, slug in used if slug not in leaves]


def _longest_chains(edges: Mapping[str, list[str]]) -> tuple[dict[str, int], list[str]]:
    """Longest path (in edges) from each node, and the nodes that sit on a cycle."""
    longest: dict[str, int] = {}
    cyclic: list[str] = []

    def visit(node: str, path: tuple[str, ...]) -> int:
        if node in path:
            cyclic.append(node)
            return 0
        if node not in longest:
            longest[node] = max(
                (1 + visit(target, (*path, node)) for target in edges.get(node, [])), default=0
            )
        return longest[node]

    for node in edges:
        visit(node, ())
    return longest, cyclic


def recipe_problems(document: Document) -> list[str]:
    """Base recipes and components: not the recipe itself, acyclic, at most 3 recipes deep."""
    recipes = _records(document, "recipes")
    problems = []
    bases: dict[str, list[str]] = {
        record["slug"]: [record["base_recipe_slug"]] if record.get("base_recipe_slug") else []
        for record in recipes
    }
    components = {
        record["slug"]: [item["component_recipe_slug"] for item in record.get("components", [])]
        for record in recipes
    }
    for slug, parts in components.items():
        if slug in parts or slug in bases[slug]:
            problems.append(f"recipe {slug} references itself")
        if len(set(parts)) != len(parts):
            problems.append(f"recipe {slug} lists a component twice")
    _depth, base_cycles = _longest_chains(bases)
    depth, cycles = _longest_chains(components)
    problems += [f"base recipe cycle through {slug}" for slug in base_cycles]
    problems += [f"component cycle through {slug}" for slug in cycles]
    problems += [
        f"recipe {slug} nests {1 + edges} recipes deep"
        for slug, edges in depth.items()
        if 1 + edges > RECIPES_PER_CHAIN
    ]
    return problems


def finished_good_problems(document: Document) -> list[str]:
    """Each component is exactly one part; goods do not contain themselves, even indirectly."""
    problems = []
    edges: dict[str, list[str]] = {}
    groups: tuple[tuple[str, ...], ...] = (
        ("finished_unit_slug",),
        ("finished_good_slug",),
        ("material_product_slug", "material_unit_slug"),
    )
    for good in _records(document, "finished_goods"):
        edges[good["slug"]] = []
        for item in good.get("components", []):
            chosen = [g for g in groups if any(item.get(name) is not None for name in g)]
            complete = all(item.get(name) is not None for group in chosen for name in group)
            if len(chosen) != 1 or not complete:
                problems.append(f"good {good['slug']}: component {item} is not exactly one part")
            if item.get("finished_good_slug") is not None:
                edges[good["slug"]].append(item["finished_good_slug"])
    _depth, cycles = _longest_chains(edges)
    return problems + [f"finished good cycle through {slug}" for slug in cycles]


def production_run_problems(document: Document) -> list[str]:
    """A production run's finished unit is a yield of the run's recipe."""
    recipe_of = {unit["slug"]: unit["recipe_slug"] for unit in _records(document, "finished_units")}
    return [
        f"run {run['uuid']}: {run['finished_unit_slug']} is not a yield of {run['recipe_slug']}"
        for run in _records(document, "production_runs")
        if recipe_of.get(run["finished_unit_slug"]) != run["recipe_slug"]
    ]


def _repeats(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    repeated = []
    for value in values:
        if value in seen:
            repeated.append(value)
        seen.add(value)
    return repeated


#: Unique columns beyond natural keys: (entity type, scope fields, unique text field).
UNIQUE_TEXT = (
    ("ingredients", (), "display_name"),
    ("products", (), "gtin"),
    ("material_categories", (), "name"),
    ("material_subcategories", ("category_slug",), "name"),
    ("material_units", ("material_product_slug",), "name"),
)
#: Children whose key appears at most once per parent: (entity type, children, key).
UNIQUE_CHILDREN = (
    ("recipes", "components", "component_recipe_slug"),
    ("packages", "contents", "finished_good_slug"),
    ("events", "production_targets", "recipe_slug"),
    ("events", "assembly_targets", "finished_good_slug"),
)


def uniqueness_problems(document: Document) -> list[str]:
    """Distinct uuids (all of them), natural keys, unique names, unique children keys."""
    uuids = [value for _owner, name, _f, value in walk(document) if name == "uuid"]
    problems = [f"uuid {value} repeats" for value in _repeats(uuids)]
    for entity in REGISTRY:
        problems += [
            f"{entity.name} key {key} repeats" for key in _repeats(_keys(document, entity.name))
        ]
    for entity_type, scope, name in UNIQUE_TEXT:
        values = [
            (*(record[part] for part in scope), _padded(record[name]))
            for record in _records(document, entity_type)
            if record.get(name) is not None
        ]
        problems += [f"{entity_type} {name} {value} repeats" for value in _repeats(values)]
    for entity_type, children, key in UNIQUE_CHILDREN:
        for record in _records(document, entity_type):
            repeated = _repeats([item[key] for item in record.get(children, [])])
            problems += [f"{entity_type} {record['slug']} {children} repeat {repeated}"] * bool(
                repeated
            )
    return problems


def sort_order_problems(document: Document) -> list[str]:
    """Children with a sort_order are written in it: values >= 0, strictly increasing."""
    problems = []
    for owner, name, field, value in walk(document):
        if not isinstance(field, wire.Children):
            continue
        orders = [item["sort_order"] for item in value if "sort_order" in item]
        if any(order < 0 for order in orders) or orders != sorted(set(orders)):
            problems.append(f"{owner} {name}: sort_order {orders}")
    return problems


CHECKERS: tuple[Callable[[Document], list[str]], ...] = (
    dangling_references,
    ingredient_tree_problems,
    leaf_problems,
    recipe_problems,
    finished_good_problems,
    production_run_problems,
    uniqueness_problems,
    sort_order_problems,
)


def cross_record_problems(document: Document) -> list[str]:
    """Everything the checkers find."""
    return [problem for checker in CHECKERS for problem in checker(document)]


# ---------------------------------------------------------------------------
# The documents are valid and loadable.


@pytest.fixture(scope="module")
def document_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("strategies") / "document.json"


STYLES: dict[str, dict[str, Any]] = {
    "complete": {},
    "sparse-shuffled": {"complete": False, "shuffle": True},
}


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=60, deadline=None, suppress_health_check=SLOW_OK)
@given(data=st.data())
def test_documents_are_valid(document_path: Path, style: str, data: st.DataObject) -> None:
    document = data.draw(documents(**STYLES[style]))
    document_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    report = validate(document_path)
    assert report.ok, "\n".join(str(problem) for problem in report.problems[:20])
    assert report.records == sum(len(_records(document, entity.name)) for entity in REGISTRY)
    # The marshmallow schemas, which load_all uses, accept every record too.
    for entity in REGISTRY:
        try:
            entity.schema().load(document.get(entity.name, []), many=True)
        except ValidationError as exc:
            pytest.fail(f"{entity.name}: {exc.messages}")


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=40, deadline=None, suppress_health_check=SLOW_OK)
@given(data=st.data())
def test_documents_keep_the_rules_across_records(style: str, data: st.DataObject) -> None:
    document = data.draw(documents(**STYLES[style]))
    assert cross_record_problems(document) == []


@settings(max_examples=15, deadline=None, suppress_health_check=SLOW_OK)
@given(data=st.data(), names=st.sets(st.sampled_from(REGISTRY.names), min_size=1, max_size=3))
def test_entity_types_are_closed_under_dependencies(data: st.DataObject, names: set[str]) -> None:
    document = data.draw(documents(entity_types=names, max_records=2))
    held = {name for name in document if name in REGISTRY}
    assert held == set(dependency_closure(names))
    assert names <= held
    for name in held:
        assert set(REGISTRY[name].dependencies) <= held


def test_sizes_follow_the_parameters() -> None:
    @settings(max_examples=10, deadline=None, suppress_health_check=SLOW_OK)
    @given(documents(entity_types=["recipients", "suppliers"], min_records=2, max_records=3))
    def sized(document: dict[str, Any]) -> None:
        assert 2 <= len(document["recipients"]) <= 3
        assert 2 <= len(document["suppliers"]) <= 3

    sized()
    with pytest.raises(ValueError, match="min_records"):
        documents(min_records=3, max_records=2)


def _plain_fields(schema: Any) -> Iterator[tuple[str, Any]]:
    """(name, field) of the fields with values of their own (not references), children too."""
    for name, field in bound_fields(schema).items():
        if isinstance(field, wire.Children):
            yield from _plain_fields(field.schema_class)
        elif not isinstance(field, wire.Reference):
            yield f"{schema.__name__}.{name}", field


@pytest.mark.parametrize("entity_type", REGISTRY.names)
def test_value_makers_make_what_their_field_accepts(entity_type: str) -> None:
    for name, field in _plain_fields(REGISTRY[entity_type].schema):
        make = value_maker(field)
        for seed in range(200):
            value = make(random.Random(seed))
            try:
                field.deserialize(value)
            except ValidationError as exc:
                pytest.fail(f"{name}: {value!r} refused: {exc.messages}")
            json.dumps(value, ensure_ascii=False).encode("utf-8")  # no lone surrogates


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_field_values_is_the_seeded_maker(data: st.DataObject) -> None:
    field = bound_fields(REGISTRY["finished_units"].schema)["batch_percentage"]
    assert 0 < Decimal(data.draw(field_values(field))) <= 100


# ---------------------------------------------------------------------------
# The checkers catch what they check.


def _ingredient(slug: str, level: int, parent: str | None) -> dict[str, Any]:
    return {"slug": slug, "display_name": slug, "hierarchy_level": level, "parent_slug": parent}


def _recipe(slug: str, *components: str, base: str | None = None) -> dict[str, Any]:
    items = [{"component_recipe_slug": component} for component in components]
    return {"slug": slug, "base_recipe_slug": base, "components": items}


BROKEN: dict[str, tuple[Callable[[Document], list[str]], dict[str, Any]]] = {
    "root with a parent": (
        ingredient_tree_problems,
        {"ingredients": [_ingredient("a", 0, None), _ingredient("b", 0, "a")]},
    ),
    "level skipped": (
        ingredient_tree_problems,
        {"ingredients": [_ingredient("a", 0, None), _ingredient("b", 2, "a")]},
    ),
    "level by default": (
        ingredient_tree_problems,
        {"ingredients": [{"slug": "a", "display_name": "a", "parent_slug": None}]},
    ),
    "product of a category": (
        leaf_problems,
        {"ingredients": [_ingredient("a", 0, None)], "products": [{"ingredient_slug": "a"}]},
    ),
    "four recipes deep": (
        recipe_problems,
        {"recipes": [_recipe("a"), _recipe("b", "a"), _recipe("c", "b"), _recipe("d", "c")]},
    ),
    "component cycle": (recipe_problems, {"recipes": [_recipe("a", "b"), _recipe("b", "a")]}),
    "base cycle": (
        recipe_problems,
        {"recipes": [_recipe("a", base="b"), _recipe("b", base="a")]},
    ),
    "component twice": (recipe_problems, {"recipes": [_recipe("a"), _recipe("b", "a", "a")]}),
    "good of two parts": (
        finished_good_problems,
        {
            "finished_goods": [
                {
                    "slug": "g",
                    "components": [{"finished_unit_slug": "u", "finished_good_slug": "h"}],
                }
            ]
        },
    ),
    "half a material unit": (
        finished_good_problems,
        {"finished_goods": [{"slug": "g", "components": [{"material_unit_slug": "each"}]}]},
    ),
    "unit of another recipe": (
        production_run_problems,
        {
            "finished_units": [{"slug": "u", "recipe_slug": "a"}],
            "production_runs": [{"uuid": "x", "recipe_slug": "b", "finished_unit_slug": "u"}],
        },
    ),
    "names equal but for padding": (
        uniqueness_problems,
        {
            "ingredients": [
                _ingredient("a", 0, None),
                {**_ingredient("b", 0, None), "display_name": "a "},
            ]
        },
    ),
    "dangling reference": (
        dangling_references,
        {
            "products": [
                {"slug": "p", "ingredient_slug": "nowhere", "preferred_supplier_slug": None}
            ]
        },
    ),
    "unordered children": (
        sort_order_problems,
        {"recipes": [{"slug": "r", "ingredients": [{"sort_order": 2}, {"sort_order": 1}]}]},
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_checkers_catch_broken_documents(case: str) -> None:
    checker, document = BROKEN[case]
    assert checker(document) != []


# ---------------------------------------------------------------------------
# The strategy reaches the edges.


def _values(document: Document, kind: type[Any]) -> Iterator[tuple[Any, Any]]:
    """(field, value) of every present, non-null value of a field of class ``kind``."""
    for _owner, _name, field, value in walk(document):
        if type(field) is kind and value is not None:
            yield field, value


def _largest(field: wire.DecimalString) -> str:
    digits = field.precision - field.places
    return "9" * digits + ("." + "9" * field.places if field.places else "")


def _smallest(field: wire.DecimalString) -> str:
    return "0." + "0" * (field.places - 1) + "1" if field.places else "1"


def _ingredient_depth(document: Document) -> int:
    parent = {r["slug"]: r.get("parent_slug") for r in _records(document, "ingredients")}

    def depth(slug: str) -> int:
        above = parent.get(slug)
        return 0 if above is None else 1 + depth(above)

    return max(map(depth, parent), default=-1)


def _component_edges(document: Document) -> int:
    """Component references in the document's longest chain of sub-recipes."""
    edges = {
        record["slug"]: [item["component_recipe_slug"] for item in record.get("components", [])]
        for record in _records(document, "recipes")
    }
    depth, _cycles = _longest_chains(edges)
    return max(depth.values(), default=0)


def _omits_a_field(document: Document) -> bool:
    return any(
        set(bound_fields(entity.schema)) - set(record)
        for entity in REGISTRY
        for record in _records(document, entity.name)
    )


def _unit_slug_shared(document: Document) -> bool:
    units = _records(document, "material_units")
    return len({u["slug"] for u in units}) < len(
        {(u["material_product_slug"], u["slug"]) for u in units}
    )


def _nested_good(document: Document) -> bool:
    return any(
        item.get("finished_good_slug") is not None
        for good in _records(document, "finished_goods")
        for item in good.get("components", [])
    )


TEXT, SLUG = wire.String, wire.Slug
EDGES: dict[str, tuple[dict[str, Any], Callable[[Document], bool]]] = {
    "zero decimal": (
        {},
        lambda d: any(Decimal(v) == 0 for _f, v in _values(d, wire.DecimalString)),
    ),
    "largest decimal of its column": (
        {},
        lambda d: any(
            f.maximum is None and v == _largest(f) for f, v in _values(d, wire.DecimalString)
        ),
    ),
    "decimal at its maximum (100.00)": (
        {"entity_types": ["finished_units"]},
        lambda d: any(v == "100.00" for _f, v in _values(d, wire.DecimalString)),
    ),
    "smallest positive decimal": (
        {"entity_types": ["recipes"]},
        lambda d: any(
            f.exclusive_minimum and f.places == 4 and v == _smallest(f)
            for f, v in _values(d, wire.DecimalString)
        ),
    ),
    "decimal without places": (
        {},
        lambda d: any("." not in v for _f, v in _values(d, wire.DecimalString)),
    ),
    "non-ASCII text": ({}, lambda d: any(not v.isascii() for _f, v in _values(d, TEXT))),
    "text outside the BMP (emoji)": (
        {},
        lambda d: any(max(v, default="") > "\uffff" for _f, v in _values(d, TEXT)),
    ),
    "empty text": ({}, lambda d: any(v == "" for _f, v in _values(d, TEXT))),
    "text at its column length": (
        {},
        lambda d: any(len(v) == max_length(f) for f, v in _values(d, TEXT)),
    ),
    "slug at its column length": (
        {},
        lambda d: any(len(v) == max_length(f) for f, v in _values(d, SLUG)),
    ),
    "integer at its upper bound": (
        {},
        lambda d: any(v == wire.MAX_INTEGER for _f, v in _values(d, wire.Integer)),
    ),
    "datetime with an offset and microseconds": (
        {},
        lambda d: any(
            re.search(r"\.[0-9]{6}[+-][0-9:]{5}$", v) for _f, v in _values(d, wire.DateTime)
        ),
    ),
    "datetime at the UTC extremes (years 0001 and 9999)": (
        {},
        lambda d: any(
            v.startswith(("0001-", "9999-")) and v.endswith("Z")
            for _f, v in _values(d, wire.DateTime)
        ),
    ),
    "null optional field": (
        {},
        lambda d: any(f.allow_none and v is None for _o, _n, f, v in walk(d)),
    ),
    "omitted optional field": ({"complete": False}, _omits_a_field),
    "empty children list": (
        {},
        lambda d: any(isinstance(f, wire.Children) and v == [] for _o, _n, f, v in walk(d)),
    ),
    "three-level ingredient tree": (
        {"entity_types": ["ingredients"]},
        lambda d: _ingredient_depth(d) == 2,
    ),
    "sub-recipes three recipes deep": (
        {"entity_types": ["recipes"]},
        lambda d: 1 + _component_edges(d) == RECIPES_PER_CHAIN,
    ),
    "material unit slug under two products": (
        {"entity_types": ["material_units"], "min_records": 2},
        _unit_slug_shared,
    ),
    "finished good inside a finished good": ({"entity_types": ["finished_goods"]}, _nested_good),
}

#: Search without shrinking; derandomized, so an edge found once is found every time.
FIND = settings(
    max_examples=1000,
    derandomize=True,
    phases=[Phase.generate],
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("edge", EDGES)
def test_documents_reach_the_edge(edge: str) -> None:
    options, reached = EDGES[edge]
    find(documents(**options), reached, settings=FIND)


def _children_fields(entity_type: str) -> list[str]:
    return [
        name
        for name, field in bound_fields(REGISTRY[entity_type].schema).items()
        if isinstance(field, wire.Children)
    ]


@pytest.mark.parametrize("entity_type", REGISTRY.names)
def test_every_entity_type_gets_records_and_children(entity_type: str) -> None:
    def filled(document: Document) -> bool:
        held = _records(document, entity_type)
        return len(held) >= 2 and all(
            any(record[name] for record in held) for name in _children_fields(entity_type)
        )

    find(documents(entity_types=[entity_type]), filled, settings=FIND)
