"""bake-tracker's single-document export (``export_all_to_json``, "4.1"), alone and beside
the full backup of the same export, through the public API; then the document's steps.

The fixtures (tests/data/bake_tracker/documents/) are the app's own exports of its
"awkward" dataset at commits 5ba2de31 and 7234c6b7, unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from bakery_io import LeftBehind, create_schema, dump_all, load_all, upgrade, validate
from bakery_io.problems import pointer
from bakery_io.versions.bake_tracker import document, older, values
from bakery_io.versions.bake_tracker.files import DOCUMENT_HEADER, table
from bakery_io.versions.bake_tracker.records import Export, Table

DATA = Path(__file__).parent / "data" / "bake_tracker" / "documents"
NEW = DATA / "5ba2de31"
OLD = DATA / "7234c6b7"
#: What the awkward document needs: its three events named "Holiday Sale" are referenced
#: by name alone, and a lot's quantity is a binary float with six places.
NEEDED = ["first-of-shared-name", "round-float-noise"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    create_schema(made)
    yield made
    made.dispose()


def _app(path: Path) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _dumped(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    """The database re-exported as a 1.1 single document, checked, and read back."""
    target = tmp_path / "again.json"
    dump_all(engine, target)
    report = validate(target)
    assert report.problems == ()
    assert report.version == "1.1"
    return _app(target)


def _left(report: Any) -> dict[str, LeftBehind]:
    """Whole entity types left behind, by file and entity type."""
    return {
        f"{left.file}:{left.entity_type}": left
        for left in report.foreign.left_behind
        if left.field is None
    }


# ---------------------------------------------------------------------------
# The document alone.


def test_the_document_alone_names_what_stands_in_the_way_where_the_app_wrote_it() -> None:
    report = validate(NEW / "export_all.json")
    assert report.foreign.source_format == "bake-tracker single-document export (labelled '4.1')"
    where = sorted((problem.file, problem.pointer) for problem in report.problems)
    assert where == [
        ("export_all.json", "/event_assembly_targets/0/event_name"),
        ("export_all.json", "/event_production_targets/0/event_name"),
        ("export_all.json", "/event_recipient_packages/0/event_name"),
        ("export_all.json", "/event_recipient_packages/1/event_name"),
        # Float noise in a lot's quantity, named at once with the rest.
        ("export_all.json", "/inventory_items/0/quantity"),
    ]
    named = [problem for problem in report.problems if problem.pointer.endswith("/event_name")]
    assert all("'Holiday Sale'" in problem.message for problem in named)


@pytest.mark.parametrize("commit", [NEW, OLD], ids=["5ba2de31", "7234c6b7"])
def test_the_document_alone_validates_with_the_repairs_it_needs(commit: Path) -> None:
    report = validate(commit / "export_all.json", repairs=NEEDED)
    # 7234c6b7's finished goods have assembly types of its own (gift_box, custom_order),
    # outside 1.1's enum: that is the older app's, not the document's.
    assert all(problem.pointer.endswith("/assembly_type") for problem in report.problems)
    if commit == NEW:
        assert report.problems == ()
        assert report.upgraded_to == "1.1"
    assert {repair.repair for repair in report.foreign.repairs} == set(NEEDED)
    derived = Counter(rewrite.entity_type for rewrite in report.rewrites)
    assert derived["recipes"] == 4
    assert derived["inventory_items"] == 6
    assert derived["event_recipient_packages"] == 2


def test_the_document_alone_loads_and_its_re_export_is_format_1_1(
    engine: Engine, tmp_path: Path
) -> None:
    report = load_all(engine, NEW / "export_all.json", repairs=NEEDED)
    counts = {name: found.total for name, found in report.counts.items()}
    app = _app(NEW / "export_all.json")
    for name in ("recipients", "packages", "events", "event_recipient_packages", "purchases"):
        assert counts[name] == len(app[name])
    again = _dumped(engine, tmp_path)
    recipes = {recipe["name"]: recipe for recipe in again["recipes"]}
    lemon = recipes["Crème Fraîche Shortbread Lemon"]
    assert lemon["slug"] == "creme-fraiche-shortbread-lemon"
    assert lemon["base_recipe_slug"] == "creme-fraiche-shortbread"
    with_crumb = recipes["Shortbread with Crumb"]
    assert [c["component_recipe_slug"] for c in with_crumb["components"]] == [
        "bakers-crumb-topping"
    ]
    box = next(p for p in again["packages"] if p["name"] == "O'Brien Family Box")
    assert box["contents"] == [{"finished_good_slug": "hamper", "quantity": 1}]
    targets = [e for e in again["events"] if e.get("production_targets")]
    assert len(targets) == 1
    assert targets[0]["production_targets"][0]["recipe_slug"] == "creme-fraiche-shortbread"
    assert targets[0]["assembly_targets"][0]["finished_good_slug"] == "hamper"
    assert {e["plan_state"] for e in again["events"]} == {"draft"}
    lots = {lot["purchase_uuid"] for lot in again["inventory_items"]}
    assert lots <= {purchase["uuid"] for purchase in again["purchases"]}
    assert len(again["event_recipient_packages"]) == 2


def test_the_older_document_alone_loads_once_its_assembly_types_are_1_1s(
    engine: Engine, tmp_path: Path
) -> None:
    app = _app(OLD / "export_all.json")
    for good in app["finished_goods"]:
        good["assembly_type"] = "bundle"
    path = tmp_path / "export_all.json"
    path.write_text(json.dumps(app, ensure_ascii=False), encoding="utf-8")
    report = load_all(engine, path, repairs=NEEDED)
    assert report.counts["finished_units"].total == len(app["finished_units"])
    assert report.counts["recipients"].total == 3
    left = _left(report)
    assert left["export_all.json:production_runs"].records == 2
    assert left["export_all.json:assembly_runs"].records == 2
    _dumped(engine, tmp_path)


def test_every_record_of_the_document_is_loaded_or_left_behind(
    engine: Engine, tmp_path: Path
) -> None:
    report = load_all(engine, NEW / "export_all.json", repairs=NEEDED)
    app = _app(NEW / "export_all.json")
    again = _dumped(engine, tmp_path)
    left = _left(report)
    components = sum(len(good.get("components", [])) for good in again["finished_goods"])
    folded = {
        "compositions": components,
        "package_finished_goods": sum(len(p.get("contents", [])) for p in again["packages"]),
        "event_production_targets": sum(
            len(e.get("production_targets", [])) for e in again["events"]
        ),
        "event_assembly_targets": sum(len(e.get("assembly_targets", [])) for e in again["events"]),
    }
    for name, records in app.items():
        if not isinstance(records, list) or not records:
            continue
        loaded = report.counts[name].total if name in report.counts else folded.get(name, 0)
        behind = left[f"export_all.json:{name}"].records if f"export_all.json:{name}" in left else 0
        assert loaded + behind == len(records), name
    # The finished units nested in each recipe are copies of the finished_units table.
    nested = [
        entry
        for entry in report.foreign.left_behind
        if (entry.entity_type, entry.field) == ("recipes", "finished_units")
    ]
    assert nested[0].records == sum(len(r["finished_units"]) for r in app["recipes"])


def test_the_document_alone_upgrades_to_a_1_1_backup(tmp_path: Path) -> None:
    target = tmp_path / "upgraded"
    report = upgrade(NEW / "export_all.json", target, repairs=NEEDED)
    assert report.foreign.left_behind
    checked = validate(target)
    assert checked.problems == ()
    assert checked.version == "1.1"


def test_uuids_derived_for_the_document_are_the_same_each_time() -> None:
    first = validate(NEW / "export_all.json", repairs=NEEDED)
    second = validate(NEW / "export_all.json", repairs=NEEDED)
    derived = [r for r in first.rewrites if r.entity_type == "inventory_items"]
    assert derived == [r for r in second.rewrites if r.entity_type == "inventory_items"]
    assert len({rewrite.new for rewrite in derived}) == len(derived)
    assert derived[0].pointer == "/inventory_items/0"
    assert str(uuid.UUID(derived[0].new)) == derived[0].new


# ---------------------------------------------------------------------------
# The document with the full backup of the same export.


def test_document_and_backup_load_recipients_packages_and_assignments(
    engine: Engine, tmp_path: Path
) -> None:
    files = [NEW / "backup", NEW / "export_all.json"]
    report = load_all(engine, files, repairs=NEEDED)
    counts = {name: found.total for name, found in report.counts.items()}
    assert counts["recipients"] == 3
    assert counts["packages"] == 2
    assert counts["event_recipient_packages"] == 2
    # The backup's events, once each: the document's copies are left behind...
    assert counts["events"] == 4
    left = _left(report)
    assert left["export_all.json:events"].records == 4
    assert left["export_all.json:recipes"].records == 4
    assert left["export_all.json:event_production_targets"].records == 1
    assert left["export_all.json:assembly_runs"].records == 2
    # ...with the field only the document writes merged in, reported.
    merged = [c for c in report.foreign.conversions if c.entity_type == "events"]
    assert [(c.file, c.field, c.records) for c in merged] == [("export_all.json", "plan_state", 4)]
    again = _dumped(engine, tmp_path)
    assert all(event["plan_state"] == "draft" for event in again["events"])
    backup_events = _app(NEW / "backup" / "events.json")["records"]
    assert {e["uuid"] for e in again["events"]} == {e["uuid"] for e in backup_events}
    box = next(p for p in again["packages"] if p["name"] == "O'Brien Family Box")
    assert box["contents"] == [{"finished_good_slug": "hamper", "quantity": 1}]
    # References by name resolve against the backup's events.
    first = next(r for r in report.foreign.repairs if r.entity_type == "event_recipient_packages")
    assert first.new == "events.json /records/0"


def test_document_backup_and_histories_read_the_histories_runs(engine: Engine) -> None:
    files = [
        NEW / "backup",
        NEW / "export_all.json",
        NEW / "production_history.json",
        NEW / "assembly_history.json",
    ]
    report = load_all(engine, files, repairs=NEEDED)
    assert report.counts["assembly_runs"].total == 2
    assert report.counts["production_runs"].total == 2
    left = _left(report)
    assert "the history document given holds them" in left["export_all.json:assembly_runs"].why


def test_a_shared_event_name_is_a_problem_against_the_backup_too() -> None:
    report = validate([NEW / "backup", NEW / "export_all.json"], repairs=["round-float-noise"])
    where = {(problem.file, problem.pointer) for problem in report.problems}
    assert ("export_all.json", "/event_recipient_packages/0/event_name") in where


# ---------------------------------------------------------------------------
# The steps, one by one.


def _export(content: Mapping[str, Any], repairs: tuple[str, ...] = ()) -> Export:
    """A document as the reader gives it to the steps."""
    problems: list[Any] = []
    tables = {
        key: found
        for key, value in content.items()
        if (found := table("doc.json", pointer(key), value, problems)) is not None
    }
    return Export(
        "doc.json", ("document",), {DOCUMENT_HEADER: "doc.json"}, tables, frozenset(repairs)
    )


def test_content_uuid_is_fixed_by_content_and_tells_identical_records_apart() -> None:
    lot = {"ingredient_slug": "flour", "quantity": 1}
    assert document.content_uuid("inventory_items", lot) == document.content_uuid(
        "inventory_items", dict(reversed(list(lot.items())))
    )
    assert document.content_uuid("inventory_items", lot) != document.content_uuid(
        "inventory_items", lot, 2
    )
    assert (
        uuid.uuid5(
            uuid.NAMESPACE_URL, "https://github.com/kentonium3/bake-tracker#export_all_to_json"
        )
        == document.NAMESPACE
    )
    export = values.derive_missing_uuids(
        _export({"inventory_items": [lot, lot], "purchases": [{"uuid": "kept"}]})
    )
    made = [record["uuid"] for record in export.records("inventory_items")]
    assert len(set(made)) == 2
    assert export.records("purchases")[0]["uuid"] == "kept"
    assert [rewrite.pointer for rewrite in export.rewrites] == [
        "/inventory_items/0",
        "/inventory_items/1",
    ]


def test_recipe_slugs_follow_the_apps_rule_and_are_suffixed_on_collision() -> None:
    export = older.derive_recipe_slugs(
        _export({"recipes": [{"name": "Crème Brûlée"}, {"name": "creme brulee!"}]})
    )
    assert [r["slug"] for r in export.records("recipes")] == ["creme-brulee", "creme-brulee-2"]
    assert [rewrite.new for rewrite in export.rewrites] == ["creme-brulee", "creme-brulee-2"]
    assert export.rewrites[1].pointer == "/recipes/1/name"


def test_recipe_name_references_become_slugs_and_are_counted() -> None:
    export = older.derive_recipe_slugs(
        _export(
            {
                "recipes": [
                    {"name": "Crème Shortbread", "components": []},
                    {
                        "name": "Lemon",
                        "base_recipe_slug": "crème_shortbread",
                        "components": [{"recipe_name": "Crème Shortbread", "quantity": 1}],
                    },
                ],
                "finished_units": [{"slug": "u", "recipe_name": "Lemon"}],
                "event_production_targets": [{"event_name": "E", "recipe_name": "Nope"}],
            }
        )
    )
    export = document.resolve_recipe_name_references(export)
    lemon = export.records("recipes")[1]
    assert lemon["base_recipe_slug"] == "creme-shortbread"
    assert lemon["components"][0]["component_recipe_slug"] == "creme-shortbread"
    assert "recipe_name" not in lemon["components"][0]
    assert export.records("finished_units")[0]["recipe_slug"] == "lemon"
    counted = {rewrite.new: rewrite.references for rewrite in export.rewrites}
    assert counted == {"creme-shortbread": 2, "lemon": 1}
    [problem] = export.problems
    assert problem.pointer == "/event_production_targets/0/recipe_name"


def test_products_by_description_one_several_or_none() -> None:
    products = [
        {"slug": "a", "ingredient_slug": "flour", "brand": "KA", "package_unit": "lb"},
        {"slug": "b", "ingredient_slug": "flour", "package_unit": "lb"},
        {"slug": "c", "ingredient_slug": "flour", "package_unit": "lb"},
    ]
    lots = [
        {"ingredient_slug": "flour", "product_brand": "KA", "package_unit": "lb"},
        {"ingredient_slug": "flour", "product_brand": "", "package_unit": "lb"},
        {"ingredient_slug": "sugar", "product_brand": "", "package_unit": "lb", "purchase_id": 9},
    ]
    content = {"products": products, "inventory_items": lots, "purchases": []}
    export = document.resolve_document_products(_export(content))
    assert export.records("inventory_items")[0]["product_slug"] == "a"
    assert "product_brand" not in export.records("inventory_items")[0]
    where = [problem.pointer for problem in export.problems]
    assert where == [
        "/inventory_items/1/ingredient_slug",
        "/inventory_items/2/ingredient_slug",
        "/inventory_items/2/purchase_id",
    ]
    repaired = document.resolve_document_products(_export(content, ("suffix-repeated-keys",)))
    assert repaired.records("inventory_items")[1]["product_slug"] == "b"
    assert [r.pointer for r in repaired.repairs] == ["/inventory_items/1/ingredient_slug"]


def test_purchases_name_supplier_and_lots_purchase_by_the_apps_ids() -> None:
    content = {
        "suppliers": [{"id": 3, "slug": "costco"}],
        "products": [
            {
                "slug": "a",
                "ingredient_slug": "flour",
                "package_unit": "lb",
                "package_unit_quantity": 5,
            }
        ],
        "purchases": [
            {
                "id": 7,
                "uuid": "u-7",
                "product_id": 1,
                "supplier_id": 3,
                "ingredient_slug": "flour",
                "product_brand": "",
                "package_unit": "lb",
            }
        ],
        "inventory_items": [
            {
                "ingredient_slug": "flour",
                "product_brand": "",
                "package_unit": "lb",
                "package_unit_quantity": 5,
                "purchase_id": 7,
            }
        ],
    }
    export = document.resolve_document_products(_export(content))
    assert export.problems == ()
    purchase = export.records("purchases")[0]
    assert (purchase["product_slug"], purchase["supplier_slug"]) == ("a", "costco")
    assert "product_id" not in purchase
    assert "supplier_id" not in purchase
    assert export.records("inventory_items")[0]["purchase_uuid"] == "u-7"


def test_nested_finished_units_are_copies_or_read_when_the_table_lacks_them() -> None:
    recipe = {
        "name": "R",
        "slug": "r",
        "finished_units": [
            {"slug": "kept", "name": "Kept", "yield_mode": "discrete_count"},
            {
                "slug": "only-here",
                "name": "Only Here",
                "yield_mode": "batch_portion",
                "unit_yield_quantity": 50,
                "unit_yield_unit": "half pan",
            },
        ],
    }
    export = document.take_recipe_finished_units(
        _export({"recipes": [recipe], "finished_units": [{"slug": "kept", "recipe_slug": "r"}]})
    )
    assert "finished_units" not in export.records("recipes")[0]
    made = export.records("finished_units")[1]
    assert made == {
        "recipe_slug": "r",
        "slug": "only-here",
        "display_name": "Only Here",
        "yield_mode": "batch_portion",
        "batch_percentage": 50,
        "portion_description": "half pan",
    }
    assert made.origin.at("batch_percentage") == "/recipes/0/finished_units/1/unit_yield_quantity"
    [left] = export.left_behind
    assert (left.field, left.records) == ("finished_units", 1)
    [conversion] = export.conversions
    assert conversion.records == 1


def test_targets_and_contents_nest_by_name_or_say_why_not() -> None:
    content = {
        "events": [{"name": "Sale"}, {"name": "Sale"}, {"name": "Swap"}],
        "event_production_targets": [{"event_name": "Swap", "recipe_slug": "r"}],
        "event_assembly_targets": [{"event_name": "Sale", "finished_good_slug": "g"}],
        "packages": [{"name": "Box"}],
        "package_finished_goods": [
            {"package_name": "Box", "finished_good_slug": "g", "quantity": 2},
            {"package_name": "Tin", "finished_good_slug": "g", "quantity": 1},
        ],
    }
    export = document.nest_package_contents(document.nest_event_targets(_export(content)))
    events = export.records("events")
    assert events[2]["production_targets"] == [{"recipe_slug": "r"}]
    assert "assembly_targets" not in events[0]
    assert export.records("packages")[0]["contents"] == [{"finished_good_slug": "g", "quantity": 2}]
    assert [problem.pointer for problem in export.problems] == [
        "/event_assembly_targets/0/event_name",
        "/package_finished_goods/1/package_name",
    ]
    repaired = document.nest_event_targets(_export(content, ("first-of-shared-name",)))
    assert repaired.records("events")[0]["assembly_targets"] == [{"finished_good_slug": "g"}]
    assert repaired.repairs[0].new == "doc.json /events/0"


def test_events_merge_where_one_backup_event_matches() -> None:
    export = _export({"events": [{"uuid": "x", "name": "Sale", "event_date": "2026-12-01"}]})
    backup = export.tables["events"]
    shadow = _export(
        {
            "events": [
                {"name": "Sale", "event_date": "2026-12-01", "plan_state": "locked"},
                {"name": "New", "event_date": "2026-12-02"},
            ]
        }
    ).tables["events"]
    both = Export(
        "x",
        (),
        {},
        {
            "events": Table("events.json", "/records", backup.records),
            "document:events": shadow,
        },
    )
    merged = document.merge_document_events(both)
    events = merged.records("events")
    assert [e["name"] for e in events] == ["Sale", "New"]
    assert events[0]["plan_state"] == "locked"
    assert events[0]["uuid"] == "x"
    assert [(c.field, c.records) for c in merged.conversions] == [("plan_state", 1)]
    assert [(lb.entity_type, lb.records) for lb in merged.left_behind] == [("events", 1)]
    assert "document:events" not in merged.tables


def test_compositions_of_a_package_and_the_documents_runs_are_left_behind() -> None:
    export = _export(
        {
            "compositions": [
                {"finished_good_slug": None, "package_name": "Box", "packaging_product_id": 3},
                {"finished_good_slug": "g", "package_name": None, "finished_unit_slug": "u"},
            ],
            "production_runs": [{"recipe_name": "R"}],
        }
    )
    export = document.leave_document_runs(document.leave_package_compositions(export))
    assert len(export.records("compositions")) == 1
    assert "production_runs" not in export.tables
    assert [(lb.entity_type, lb.records) for lb in export.left_behind] == [
        ("compositions", 1),
        ("production_runs", 1),
    ]
    assert "expected_yield" in export.left_behind[1].why


def test_steps_leave_a_backups_tables_alone() -> None:
    export = _export({"inventory_items": [{"ingredient_slug": "flour"}]})
    export = Export("b", (), {}, export.tables)
    assert document.resolve_document_products(export) == export


def test_odd_values_in_references_are_problems_not_tracebacks(tmp_path: Path) -> None:
    app = _app(NEW / "export_all.json")
    app["events"][0]["name"] = {"a": 1}
    app["event_recipient_packages"][0]["event_name"] = ["Holiday Sale"]
    app["package_finished_goods"][0]["package_name"] = {}
    app["inventory_items"][0]["purchase_id"] = [1]
    app["recipes"][1]["base_recipe_slug"] = []
    app["finished_units"][0]["slug"] = ["x"]
    app["compositions"][0]["finished_good_slug"] = []
    app["ingredients"][2]["parent_slug"] = {}
    app["products"][0]["ingredient_slug"] = []
    path = tmp_path / "export_all.json"
    path.write_text(json.dumps(app), encoding="utf-8")
    for files in (path, [NEW / "backup", path]):
        report = validate(files, repairs=["all"])
        assert report.problems
    report = validate(path, repairs=["all"])
    where = {problem.pointer for problem in report.problems}
    assert "/package_finished_goods/0/package_name" in where
    assert "/inventory_items/0/purchase_id" in where


SHARED = Path(__file__).parent / "data" / "bake_tracker" / "shared"


def test_the_real_exports_document_alone_and_with_its_backup_loads_whole(
    engine: Engine, tmp_path: Path
) -> None:
    """The app's real single document joins its backup and histories: recipients, packages
    and assignments come from it, everything else from the backup."""
    files = [
        SHARED / "backup",
        SHARED / "export_all_v4.json",
        SHARED / "production_history.json",
        SHARED / "assembly_history.json",
    ]
    report = load_all(engine, files, repairs=["all"])
    assert report.foreign.source_format is not None
    assert "single-document export" in report.foreign.source_format
    created = {name: counts.created for name, counts in report.counts.items()}
    assert created["recipients"] == 3
    assert created["packages"] == 1
    assert created["event_recipient_packages"] == 1
    assert created["ingredients"] == 413  # from the backup; the document's copy is left behind
    shadowed = {
        item.entity_type: item.records
        for item in report.foreign.left_behind
        if item.file == "export_all_v4.json" and item.field is None
    }
    assert shadowed["ingredients"] == 413
    assert load_all(engine, files, repairs=["all"]).total.unchanged == report.total.created
    dump_all(engine, tmp_path / "again.json")
    assert validate(tmp_path / "again.json").ok

    alone = validate(SHARED / "export_all_v4.json", repairs=["all"])
    assert alone.ok, alone.problems


def test_the_older_backup_takes_its_ingredient_tree_from_the_document(engine: Engine) -> None:
    """Given together, the older backup's treeless ingredients gain the document's tree:
    no tree is made up, and no repair is needed for it."""
    backup = Path(__file__).parent / "data" / "bake_tracker" / "7234c6b7" / "awkward" / "backup"
    files = [backup, OLD / "export_all.json"]
    report = load_all(engine, files, repairs=["all"])
    assert not [
        repair
        for repair in report.foreign.repairs
        if repair.repair == "ingredient-tree-by-category"
    ]
    merged = {
        c.field: c.records for c in report.foreign.conversions if c.entity_type == "ingredients"
    }
    assert merged["hierarchy_level"] == report.counts["ingredients"].created


def test_what_only_the_document_writes_joins_the_backups_records_or_is_counted(
    engine: Engine, tmp_path: Path
) -> None:
    """Beside the older backup, the document's plain recipe and supplier fields are merged
    by key; what it writes in a shape of its own is left behind, counted, never lost."""
    backup = Path(__file__).parent / "data" / "bake_tracker" / "7234c6b7" / "awkward" / "backup"
    report = load_all(engine, [backup, OLD / "export_all.json"], repairs=["all"])
    dump_all(engine, tmp_path / "out.json")
    dumped = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    recipes = {recipe["name"]: recipe for recipe in dumped["recipes"]}
    assert recipes["Crème Fraîche Shortbread"]["is_production_ready"] is True
    assert recipes["Crème Fraîche Shortbread Lemon"]["variant_name"] == "Lemon — zest"
    suppliers = {supplier["slug"]: supplier for supplier in dumped["suppliers"]}
    assert suppliers["creme_co_boston_ma"]["created_at"].startswith("2026-12-03T19:05:52.427058")
    merged = {(c.entity_type, c.field) for c in report.foreign.conversions}
    assert {("recipes", "is_production_ready"), ("suppliers", "created_at")} <= merged
    left = {(item.entity_type, item.field) for item in report.foreign.left_behind}
    assert ("recipes", "base_recipe_slug") in left  # the document's own form: counted


def test_a_record_the_upgrade_cannot_take_does_not_hide_the_others(tmp_path: Path) -> None:
    content = json.loads((SHARED / "export_all_v4.json").read_text(encoding="utf-8"))
    content["recipients"][0]["name"] = None
    content["inventory_items"][0]["quantity"] = -5
    path = tmp_path / "export_all.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    report = validate(path, repairs=["all"])
    where = {(problem.file, problem.pointer) for problem in report.problems}
    assert ("export_all.json", "/recipients/0/name") in where
    assert ("export_all.json", "/inventory_items/0/quantity") in where


@pytest.mark.parametrize(
    ("table", "field", "value", "said"),
    [
        ("inventory_items", "ingredient_slug", ["x"], "expected a key"),
        ("event_production_targets", "event_name", {"x": 1}, "expected a key"),
        ("inventory_items", "quantity", "1e999999999", "too large a number"),
        ("purchases", "quantity_purchased", str(10**40), "too large a number"),
        ("suppliers", "zip_code", "DEEP", "nested more than"),
    ],
)
def test_a_value_no_step_can_take_is_named_where_it_is_not_a_traceback(
    tmp_path: Path, table: str, field: str, value: object, said: str
) -> None:
    content = json.loads((SHARED / "export_all_v4.json").read_text(encoding="utf-8"))
    marker = "__ODD__"
    content[table][0][field] = marker
    if value == "DEEP":
        nested: object = "x"
        for _ in range(500):
            nested = [nested]
        literal = json.dumps(nested)
    elif isinstance(value, str):
        literal = value  # a JSON number written as the file holds it
    else:
        literal = json.dumps(value)
    text = json.dumps(content).replace(json.dumps(marker), literal)
    path = tmp_path / "export_all.json"
    path.write_text(text, encoding="utf-8")
    report = validate(path, repairs=["all"])
    found = [p for p in report.problems if p.pointer == f"/{table}/0/{field}"]
    assert found, report.problems
    assert said in found[0].message


def test_a_bad_export_time_is_named_in_the_file_that_says_it(tmp_path: Path) -> None:
    content = json.loads((SHARED / "production_history.json").read_text(encoding="utf-8"))
    content["exported_at"] = "2026-13-01T00:00:00"
    path = tmp_path / "production_history.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    (problem,) = validate(path).problems
    assert (problem.file, problem.pointer) == ("production_history.json", "/exported_at")
