"""bake-tracker's older full backup (app commit 7234c6b7, 2026-01), read through the public API.

The fixtures under ``tests/data/bake_tracker/7234c6b7/`` are what the app's own exporter
wrote at that commit (MIT, see ``tests/data/bake_tracker/LICENSE``): the awkward dataset
whole (directory and ZIP), the two sample datasets trimmed (fewer ingredients, products
and lots; the manifest's counts and checksums rewritten to match).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from bakery_io import SourceError, create_schema, dump_all, load_all, upgrade, validate
from bakery_io.repair_names import REPAIRS, ROUND, SUFFIX, TREE, UNITS
from bakery_io.versions.bake_tracker.older import (
    derive_recipe_slugs,
    finished_units_from_runs,
    ingredient_tree,
    leave_material_units_of_materials,
    leave_older_fields,
    map_assembly_types,
    resolve_ids,
)
from bakery_io.versions.bake_tracker.records import Export, Origin, Rec, Table

DATA = Path(__file__).parent / "data" / "bake_tracker" / "7234c6b7"

#: The repairs each dataset needs to validate, and no more.
NEEDED = {
    "awkward": [TREE, ROUND],
    "sample_min": [TREE, ROUND],
    "sample_all": [TREE, SUFFIX],
}
#: ...and to load into an empty database, which holds none of the finished units the
#: older backup's production runs name.
LOAD = {dataset: [*repairs, UNITS] for dataset, repairs in NEEDED.items()}


def backup(dataset: str) -> Path:
    return DATA / dataset / "backup"


def app_records(directory: Path) -> Counter[str]:
    """The records of each entity type in the app's backup, as its manifest lists them."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return Counter({entry["entity_type"]: entry["record_count"] for entry in manifest["files"]})


def edited(tmp_path: Path, file: str, change: Any) -> Path:
    """A copy of the awkward backup with ``change`` applied to ``file``'s records."""
    target = tmp_path / "backup"
    shutil.copytree(backup("awkward"), target)
    path = target / file
    content = json.loads(path.read_text(encoding="utf-8"))
    change(content["records"])
    data = json.dumps(content, indent=2, ensure_ascii=False).encode("utf-8")
    path.write_bytes(data)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["filename"] == file:
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["record_count"] = len(content["records"])
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return target


# ---------------------------------------------------------------------------
# The real exports.


@pytest.mark.parametrize("dataset", sorted(NEEDED))
def test_each_dataset_validates_with_the_repairs_it_needs(dataset: str) -> None:
    report = validate(backup(dataset), repairs=NEEDED[dataset])
    assert report.ok, report.problems[:5]
    assert report.foreign.source_format == "bake-tracker full backup (labelled '1.0')"
    used = {repair.repair for repair in report.foreign.repairs}
    assert used == set(NEEDED[dataset])
    for missing in NEEDED[dataset]:
        fewer = [name for name in NEEDED[dataset] if name != missing]
        assert not validate(backup(dataset), repairs=fewer).ok, missing


def test_without_the_tree_repair_each_ingredient_is_a_problem_in_the_apps_file() -> None:
    report = validate(backup("awkward"), repairs=[ROUND])
    tree = [p for p in report.problems if "ingredient tree" in p.message]
    assert len(tree) == app_records(backup("awkward"))["ingredients"]
    assert {(p.file, p.pointer) for p in tree} >= {("ingredients.json", "/records/0")}
    assert all(TREE in p.message for p in tree)


@pytest.mark.parametrize("dataset", sorted(NEEDED))
def test_each_dataset_loads_and_every_record_is_loaded_or_left_behind(
    dataset: str, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'bakery.db'}")
    create_schema(engine)
    report = load_all(engine, backup(dataset), repairs=LOAD[dataset])
    assert report.committed
    created = {name: counts.created for name, counts in report.counts.items()}
    # Records a repair made: the tree's root and sub-categories, the runs' finished units.
    made = Counter(
        repair.entity_type
        for repair in report.foreign.repairs
        if (repair.repair == TREE and repair.record is None) or repair.repair == UNITS
    )
    left: Counter[str] = Counter()
    for entry in report.foreign.left_behind:
        if entry.field is None:
            left[entry.entity_type] += entry.records
    app = app_records(backup(dataset))
    for entity_type, count in app.items():
        assert created.get(entity_type, 0) - made[entity_type] + left[entity_type] == count, (
            entity_type
        )
    assert sum(created.values()) == sum(app.values()) + sum(made.values()) - sum(left.values())
    engine.dispose()


def test_without_finished_units_the_runs_name_them_for_the_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'bakery.db'}")
    create_schema(engine)
    with pytest.raises(SourceError) as raised:
        load_all(engine, backup("awkward"), repairs=NEEDED["awkward"])
    engine.dispose()
    where = {(p.file, p.pointer) for p in raised.value.problems}
    assert where == {
        ("production_runs.json", "/records/0/finished_unit_slug"),
        ("production_runs.json", "/records/1/finished_unit_slug"),
    }


@pytest.mark.parametrize("dataset", sorted(NEEDED))
def test_a_reexport_of_the_loaded_database_validates_as_1_1(dataset: str, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'bakery.db'}")
    create_schema(engine)
    load_all(engine, backup(dataset), repairs=LOAD[dataset])
    dump_all(engine, tmp_path / "again")
    engine.dispose()
    report = validate(tmp_path / "again")
    assert report.ok, report.problems[:5]
    assert report.version == "1.1"
    assert report.foreign.source_format is None


def test_the_report_lists_what_was_left_behind_with_counts() -> None:
    report = validate(backup("awkward"), repairs=NEEDED["awkward"])
    left = {(e.file, e.entity_type, e.field): e.records for e in report.foreign.left_behind}
    assert left[("recipes.json", "recipes", "yield_quantity")] == 4
    assert left[("recipes.json", "recipes", "yield_unit")] == 4
    assert left[("material_products.json", "material_products", "current_inventory")] == 1
    assert left[("production_runs.json", "production_runs", "recipe_snapshot_id")] == 2
    assert left[("ingredients.json", "ingredients", "is_packaging")] == 3
    assert all(e.why for e in report.foreign.left_behind)


def test_assembly_types_are_mapped_as_the_app_migrated_them() -> None:
    report = validate(backup("awkward"), repairs=NEEDED["awkward"])
    (conversion,) = [c for c in report.foreign.conversions if c.field == "assembly_type"]
    assert (conversion.file, conversion.entity_type, conversion.records) == (
        "finished_goods.json",
        "finished_goods",
        2,
    )


def test_recipe_slugs_are_derived_and_reported() -> None:
    report = validate(backup("awkward"), repairs=NEEDED["awkward"])
    derived = {r.old: r.new for r in report.rewrites if r.entity_type == "recipes"}
    assert derived["Crème Fraîche Shortbread"] == "creme-fraiche-shortbread"
    assert derived["Baker's Crumb Topping"] == "bakers-crumb-topping"
    (rewrite,) = [r for r in report.rewrites if r.old == "Baker's Crumb Topping"]
    assert (rewrite.file, rewrite.pointer) == ("recipes.json", "/records/1/name")


def test_the_zip_reads_as_the_directory() -> None:
    zipped = validate(DATA / "awkward" / "backup.zip", repairs=NEEDED["awkward"])
    directory = validate(backup("awkward"), repairs=NEEDED["awkward"])
    assert zipped.ok, zipped.problems[:5]
    assert zipped.records == directory.records
    assert len(zipped.foreign.repairs) == len(directory.foreign.repairs)


def test_upgrade_writes_a_1_1_backup(tmp_path: Path) -> None:
    report = upgrade(backup("awkward"), tmp_path / "up", repairs=NEEDED["awkward"])
    assert report.upgraded_to == "1.1"
    assert validate(tmp_path / "up").ok


def test_an_unknown_supplier_name_is_a_problem_at_the_apps_field(tmp_path: Path) -> None:
    def change(records: list[dict[str, Any]]) -> None:
        records[0]["supplier_id"] = 99
        records[0]["supplier_name"] = "Nobody"

    report = validate(edited(tmp_path, "purchases.json", change), repairs=NEEDED["awkward"])
    (problem,) = report.problems
    assert (problem.file, problem.pointer, problem.record) == (
        "purchases.json",
        "/records/0/supplier_name",
        0,
    )
    assert "Nobody" in problem.message
    assert "99" in problem.message


def test_a_recipe_component_follows_its_id_over_its_name(tmp_path: Path) -> None:
    def change(records: list[dict[str, Any]]) -> None:
        records[2]["components"][0]["component_recipe_name"] = "Renamed since"

    report = validate(edited(tmp_path, "recipes.json", change), repairs=NEEDED["awkward"])
    assert report.ok, report.problems


def test_the_repairs_are_listed_with_their_descriptions() -> None:
    assert REPAIRS[TREE].startswith("the app's older backup writes no ingredient tree")
    assert REPAIRS[UNITS].startswith("the app's older backup writes no finished units")


# ---------------------------------------------------------------------------
# The steps, on small hand-made records.


def export(repairs: tuple[str, ...] = (), /, **tables: list[dict[str, Any]]) -> Export:
    return Export(
        "test",
        ("bake-tracker full backup",),
        {},
        {
            name: Table(
                f"{name}.json",
                "/records",
                tuple(
                    Rec(record, Origin(f"{name}.json", f"/records/{i}", i))
                    for i, record in enumerate(records)
                ),
            )
            for name, records in tables.items()
        },
        frozenset(repairs),
    )


def test_map_assembly_types_counts_each_file() -> None:
    done = map_assembly_types(
        export(finished_goods=[{"assembly_type": "gift_box"}, {"assembly_type": "bare"}])
    )
    assert [r["assembly_type"] for r in done.records("finished_goods")] == ["bundle", "bare"]
    assert [c.records for c in done.conversions] == [1]


def test_recipe_slugs_collide_in_id_order() -> None:
    done = derive_recipe_slugs(
        export(recipes=[{"id": 2, "name": "Café Cake"}, {"id": 1, "name": "Cafe cake"}])
    )
    assert [r["slug"] for r in done.records("recipes")] == ["cafe-cake-2", "cafe-cake"]
    assert [(w.old, w.new) for w in done.rewrites] == [
        ("Cafe cake", "cafe-cake"),
        ("Café Cake", "cafe-cake-2"),
    ]


def test_a_recipe_with_a_slug_keeps_it() -> None:
    done = derive_recipe_slugs(export(recipes=[{"id": 1, "name": "A", "slug": "a"}]))
    assert done.records("recipes")[0]["slug"] == "a"
    assert not done.rewrites


def test_an_id_wins_over_a_name() -> None:
    done = resolve_ids(
        export(
            suppliers=[{"id": 1, "slug": "one", "name": "Same"}, {"id": 2, "slug": "two"}],
            purchases=[{"supplier_id": 2, "supplier_name": "Same", "uuid": "u"}],
        )
    )
    (purchase,) = done.records("purchases")
    assert purchase["supplier_slug"] == "two"
    assert "supplier_id" not in purchase
    assert "supplier_name" not in purchase
    assert not done.problems


def test_a_name_shared_by_two_is_a_problem_never_a_guess() -> None:
    done = resolve_ids(
        export(
            suppliers=[
                {"id": 1, "slug": "a", "name": "Same"},
                {"id": 2, "slug": "b", "name": "Same"},
            ],
            purchases=[{"supplier_id": None, "supplier_name": "Same"}],
        )
    )
    (problem,) = done.problems
    assert (problem.file, problem.pointer) == ("purchases.json", "/records/0/supplier_name")
    assert "2 suppliers" in problem.message
    assert done.records("purchases")[0]["supplier_slug"] is None


def test_child_references_resolve_by_id() -> None:
    done = resolve_ids(
        export(
            recipes=[
                {"id": 1, "slug": "base", "name": "Base"},
                {
                    "id": 2,
                    "slug": "top",
                    "components": [{"component_recipe_id": 1, "component_recipe_name": "Old"}],
                },
            ]
        )
    )
    (component,) = done.records("recipes")[1]["components"]
    assert component["component_recipe_slug"] == "base"
    assert component.origin.pointer == "/records/1/components/0"


def test_a_depletion_names_its_lot_by_id() -> None:
    done = resolve_ids(
        export(
            inventory_items=[{"id": 7, "uuid": "lot-7"}],
            inventory_depletions=[{"inventory_item_id": 7, "inventory_item_ref": "a:b:1.0:lb"}],
        )
    )
    assert dict(done.records("inventory_depletions")[0]) == {"inventory_item_uuid": "lot-7"}


def test_material_units_of_a_material_are_left_behind_counted() -> None:
    done = leave_material_units_of_materials(
        export(material_units=[{"material_id": 1, "material_slug": "m", "slug": "u"}])
    )
    assert not done.records("material_units")
    (left,) = done.left_behind
    assert (left.entity_type, left.field, left.records) == ("material_units", None, 1)


def test_older_fields_are_left_behind_counted_when_they_hold_a_value() -> None:
    done = leave_older_fields(
        export(
            recipes=[
                {"slug": "a", "yield_quantity": 6, "yield_description": None},
                {"slug": "b", "yield_quantity": 2},
            ]
        )
    )
    assert all("yield_quantity" not in r for r in done.records("recipes"))
    assert [(e.field, e.records) for e in done.left_behind] == [("yield_quantity", 2)]


def test_ingredients_without_a_tree_are_problems_unless_repaired() -> None:
    records: list[dict[str, Any]] = [
        {"slug": "flour", "display_name": "Flour", "category": "Flours"},
        {"slug": "salt", "display_name": "Salt", "category": None},
    ]
    plain = ingredient_tree(export(ingredients=records))
    assert [p.pointer for p in plain.problems] == ["/records/0", "/records/1"]
    repaired = ingredient_tree(export((TREE,), ingredients=records))
    assert not repaired.problems
    tree = {
        r["slug"]: (r["hierarchy_level"], r["parent_slug"]) for r in repaired.records("ingredients")
    }
    assert tree == {
        "bake-tracker": (0, None),
        "flours-category": (1, "bake-tracker"),
        "uncategorised-category": (1, "bake-tracker"),
        "flour": (2, "flours-category"),
        "salt": (2, "uncategorised-category"),
    }
    assert len(repaired.repairs) == 5


def test_finished_units_are_made_from_runs_only_when_asked() -> None:
    tables: dict[str, list[dict[str, Any]]] = {
        "recipes": [{"slug": "cookies", "yield_unit": "cookie"}],
        "production_runs": [
            {
                "recipe_slug": "cookies",
                "finished_unit_slug": "dozen",
                "expected_yield": 24,
                "num_batches": 2,
            },
        ],
    }
    assert "finished_units" not in finished_units_from_runs(export((), **tables)).tables
    done = finished_units_from_runs(export((UNITS,), **tables))
    (unit,) = done.records("finished_units")
    assert dict(unit) == {
        "slug": "dozen",
        "display_name": "Dozen",
        "recipe_slug": "cookies",
        "yield_mode": "discrete_count",
        "items_per_batch": 12,
        "item_unit": "cookie",
    }
    (repair,) = done.repairs
    assert (repair.file, repair.pointer) == (
        "production_runs.json",
        "/records/0/finished_unit_slug",
    )


def test_runs_that_disagree_on_a_unit_are_a_problem() -> None:
    done = finished_units_from_runs(
        export(
            (UNITS,),
            recipes=[{"slug": "a", "name": "A"}, {"slug": "b", "name": "B"}],
            production_runs=[
                {
                    "recipe_slug": "a",
                    "finished_unit_slug": "u",
                    "expected_yield": 6,
                    "num_batches": 1,
                },
                {
                    "recipe_slug": "b",
                    "finished_unit_slug": "u",
                    "expected_yield": 6,
                    "num_batches": 1,
                },
            ],
        )
    )
    (problem,) = done.problems
    assert problem.pointer == "/records/0/finished_unit_slug"
