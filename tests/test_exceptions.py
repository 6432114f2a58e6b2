"""Backups of rows the import refuses: written as found, listed, restored when accepted.

A database can hold rows that the format or its rules refuse (a database
without bakery_io's CHECKs, a host app writing directly, SQLite's type
affinity). The export never leaves them out or changes them; it lists each
problem as one of the backup's exceptions, and the import restores them only
when told to accept them. These databases are made with SQLite's
``ignore_check_constraints``, which is what a database without the CHECKs is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from bakery_io import (
    SourceError,
    create_schema,
    drop_schema,
    dump_all,
    engine_from_url,
    generate_sample,
    load_all,
)
from bakery_io.accepting import Accepted
from bakery_io.cli import main
from bakery_io.codecs import loader
from bakery_io.registry import REGISTRY
from bakery_io.resolution import needs_whole_records, references_loader

CONTAINERS = ["backup", "backup.zip", "backup.json"]


def _lax(url: str) -> Engine:
    """An engine whose connections do not enforce CHECK constraints."""
    engine = engine_from_url(url)

    def ignore_checks(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA ignore_check_constraints=1")

    event.listen(engine, "connect", ignore_checks)
    return engine


@pytest.fixture(scope="module")
def odd_database(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The catalog, plus rows the database takes but the format or its rules refuse."""
    engine = _lax(f"sqlite:///{tmp_path_factory.mktemp('odd') / 'odd.db'}")
    create_schema(engine)
    generate_sample(engine, scale=0)
    with engine.begin() as connection:
        run = connection.execute
        top = run(text("SELECT id FROM ingredients WHERE hierarchy_level = 0 LIMIT 1")).scalar()
        line = "(SELECT min(id) FROM recipe_ingredients)"
        run(text(f"UPDATE recipe_ingredients SET ingredient_id = :i WHERE id = {line}"), {"i": top})
        run(
            text(
                "UPDATE suppliers SET slug = 'Flour-Co' WHERE id = (SELECT min(id) FROM suppliers)"
            )
        )
        run(text("UPDATE events SET year = 'abc' WHERE id = (SELECT min(id) FROM events)"))
        first, second = run(text("SELECT id FROM recipes ORDER BY id LIMIT 2")).scalars()
        run(text("UPDATE recipes SET base_recipe_id = :b WHERE id = :a"), {"a": first, "b": second})
        run(text("UPDATE recipes SET base_recipe_id = :a WHERE id = :b"), {"a": first, "b": second})
    return engine


def _where(problems: Any) -> set[tuple[str, str]]:
    return {(problem.file, problem.pointer) for problem in problems}


EXPECTED = {
    ("01_suppliers.json", "/records/0/slug"),
    ("04_recipes.json", "/records/3/base_recipe_slug"),
    ("04_recipes.json", "/records/3/ingredients/0/ingredient_slug"),
    ("17_events.json", "/records/0/year"),
}


@pytest.mark.parametrize("name", CONTAINERS)
def test_the_export_writes_what_the_import_refuses_as_found_and_lists_it(
    odd_database: Engine, tmp_path: Path, name: str
) -> None:
    manifest = dump_all(odd_database, tmp_path / name)
    where = _where(manifest.exceptions)
    assert where >= EXPECTED
    # Products name the supplier by its odd slug too; each is listed where it is.
    assert {file for file, _pointer in where - EXPECTED} == {"03_products.json"}
    cycle = [p for p in manifest.exceptions if p.pointer == "/records/3/base_recipe_slug"]
    assert "cycle" in cycle[0].message
    if name == "backup":
        listed = json.loads((tmp_path / name / "manifest.json").read_text())["exceptions"]
        events = json.loads((tmp_path / name / "17_events.json").read_text())["records"]
        assert events[0]["year"] == "abc"  # as the database holds it, not left out
    elif name == "backup.json":
        document = json.loads((tmp_path / name).read_text())
        listed = document["exceptions"]
        assert document["suppliers"][0]["slug"] == "Flour-Co"
    else:
        return
    assert listed == [problem.to_dict() for problem in manifest.exceptions]


def test_every_form_lists_the_same_exceptions(odd_database: Engine, tmp_path: Path) -> None:
    manifests = {name: dump_all(odd_database, tmp_path / name) for name in CONTAINERS}
    assert len({manifest.exceptions for manifest in manifests.values()}) == 1


@pytest.mark.parametrize("name", CONTAINERS)
def test_a_backup_with_exceptions_is_refused_unless_accepted(
    odd_database: Engine, tmp_path: Path, name: str
) -> None:
    manifest = dump_all(odd_database, tmp_path / name)
    target = _lax(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    with pytest.raises(SourceError) as refused:
        load_all(target, tmp_path / name)
    # The same problems, where the container puts them (a document names its sections).
    listed = Accepted(manifest.exceptions)
    assert len(refused.value.problems) == len(manifest.exceptions)
    assert all(listed.covers(problem) for problem in refused.value.problems)
    assert refused.value.hint is not None
    assert "accept_exceptions=True" in refused.value.hint
    with target.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM suppliers")).scalar() == 0

    report = load_all(target, tmp_path / name, accept_exceptions=True)
    assert len(report.exceptions) == len(manifest.exceptions)
    assert all(listed.covers(problem) for problem in report.exceptions)
    assert report.total.created == manifest.record_count
    again = dump_all(target, tmp_path / "again")
    assert again.exceptions == manifest.exceptions
    # Restored exactly: the cycle too, with its timestamps as they were.
    first = dump_all(odd_database, tmp_path / "first")
    for entry in first.files:
        assert (tmp_path / "again" / entry.filename).read_bytes() == (
            tmp_path / "first" / entry.filename
        ).read_bytes(), entry.filename


def test_accepting_covers_only_what_the_backup_lists(odd_database: Engine, tmp_path: Path) -> None:
    manifest = dump_all(odd_database, tmp_path / "backup.json")
    document = json.loads((tmp_path / "backup.json").read_text())
    document["recipients"][0]["slug"] = "Not A Slug"  # a problem of the file, not of the data
    (tmp_path / "backup.json").write_text(json.dumps(document, indent=2))
    target = _lax(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    with pytest.raises(SourceError) as refused:
        load_all(target, tmp_path / "backup.json", accept_exceptions=True)
    assert ("backup.json", "/recipients/0/slug") in _where(refused.value.problems)
    listed = Accepted(manifest.exceptions)
    assert not any(listed.covers(problem) for problem in refused.value.problems)


def test_a_database_the_rows_do_not_fit_refuses_them(odd_database: Engine, tmp_path: Path) -> None:
    dump_all(odd_database, tmp_path / "backup")
    strict = engine_from_url(f"sqlite:///{tmp_path / 'strict.db'}")  # CHECKs enforced
    create_schema(strict)
    with pytest.raises(SourceError, match="the database refused suppliers 'Flour-Co'"):
        load_all(strict, tmp_path / "backup", accept_exceptions=True)
    with strict.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM suppliers")).scalar() == 0


def test_the_command_line_warns_and_restores_with_the_option(
    odd_database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(odd_database.url)
    assert main(["export", "--db", url, str(tmp_path / "backup")]) == 0
    said = capsys.readouterr()
    assert "warning:" in said.err
    assert "--accept-exceptions" in said.err
    assert "04_recipes.json /records/3/base_recipe_slug" in said.err

    assert main(["validate", str(tmp_path / "backup")]) == 1
    assert "its export listed" in capsys.readouterr().out
    restored = tmp_path / "restored.db"
    assert main(["import", "--db", f"sqlite:///{restored}", str(tmp_path / "backup")]) == 1
    assert "--accept-exceptions" in capsys.readouterr().err
    # What the CLI makes enforces the CHECKs: restore into a lax database of the same kind.
    lax = _lax(f"sqlite:///{restored}")
    create_schema(lax)
    lax.dispose()
    lax = _lax(f"sqlite:///{restored}")
    report = load_all(lax, tmp_path / "backup", accept_exceptions=True)
    assert report.exceptions


def test_a_clean_backup_lists_no_exceptions(sample_dump: Path) -> None:
    manifest = json.loads((sample_dump / "manifest.json").read_text())
    assert "exceptions" not in manifest


def test_years_before_1000_are_kept_without_an_exception(tmp_path: Path) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'old.db'}")
    create_schema(engine)
    generate_sample(engine, scale=0)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE events SET event_date = '0999-12-31', "
                "created_at = '0001-01-01 00:00:00.000001' WHERE id = (SELECT min(id) FROM events)"
            )
        )
    manifest = dump_all(engine, tmp_path / "backup")
    assert manifest.exceptions == ()
    events = json.loads((tmp_path / "backup" / "17_events.json").read_text())["records"]
    assert events[0]["event_date"] == "0999-12-31"
    target = engine_from_url(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    load_all(target, tmp_path / "backup")
    dump_all(target, tmp_path / "again")
    for entry in manifest.files:
        assert (tmp_path / "again" / entry.filename).read_bytes() == (
            tmp_path / "backup" / entry.filename
        ).read_bytes()


def test_rules_across_records_break_on_every_backend_and_still_restore(
    empty_engine: Engine, tmp_path: Path
) -> None:
    """No database enforces the rules across records: a backup of such rows restores as
    found, here into the same database after it is emptied, and is then the same."""
    create_schema(empty_engine)
    generate_sample(empty_engine, scale=0)
    with empty_engine.begin() as connection:
        run = connection.execute
        top = run(text("SELECT min(id) FROM ingredients WHERE hierarchy_level = 0")).scalar()
        line = run(text("SELECT min(id) FROM recipe_ingredients")).scalar()
        run(
            text("UPDATE recipe_ingredients SET ingredient_id = :i WHERE id = :l"),
            {"i": top, "l": line},
        )
        first, second = run(text("SELECT id FROM recipes ORDER BY id LIMIT 2")).scalars()
        for row, base in ((first, second), (second, first)):
            run(text("UPDATE recipes SET base_recipe_id = :b WHERE id = :a"), {"a": row, "b": base})
    manifest = dump_all(empty_engine, tmp_path / "backup")
    assert {problem.pointer for problem in manifest.exceptions} == {
        "/records/3/base_recipe_slug",
        "/records/3/ingredients/0/ingredient_slug",
    }
    drop_schema(empty_engine)
    create_schema(empty_engine)
    with pytest.raises(SourceError):
        load_all(empty_engine, tmp_path / "backup")
    report = load_all(empty_engine, tmp_path / "backup", accept_exceptions=True)
    assert len(report.exceptions) == 2
    again = dump_all(empty_engine, tmp_path / "again")
    assert again.files == manifest.files  # every checksum: the same bytes


@pytest.mark.parametrize("listed", [[{"file": 3}], [7], "all", [{"file": "x", "pointer": ""}]])
def test_a_malformed_list_of_exceptions_is_a_problem_of_the_manifest(
    sample_dump: Path, tmp_path: Path, listed: Any
) -> None:
    backup = tmp_path / "backup"
    shutil.copytree(sample_dump, backup)
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["exceptions"] = listed
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = engine_from_url(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    with pytest.raises(SourceError) as refused:
        load_all(target, backup, accept_exceptions=True)
    assert {problem.file for problem in refused.value.problems} == {"manifest.json"}
    assert all(problem.pointer.startswith("/exceptions") for problem in refused.value.problems)


def test_a_repeated_key_is_never_accepted(odd_database: Engine, tmp_path: Path) -> None:
    dump_all(odd_database, tmp_path / "backup.json")
    document = json.loads((tmp_path / "backup.json").read_text())
    document["recipients"].append(dict(document["recipients"][0]))
    position = len(document["recipients"]) - 1
    document["exceptions"].append(
        {
            "file": "15_recipients.json",
            "pointer": f"/records/{position}",
            "record": position,
            "key": document["recipients"][0]["slug"],
            "message": "listed by hand",
        }
    )
    (tmp_path / "backup.json").write_text(json.dumps(document, indent=2))
    target = _lax(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    with pytest.raises(SourceError, match="a second record with the key"):
        load_all(target, tmp_path / "backup.json", accept_exceptions=True)


def test_sqlite_values_beyond_their_column_restore_as_found(tmp_path: Path) -> None:
    """A boolean 2 and a decimal with more places than its column, as SQLite keeps them:
    written as found, listed, and restored exactly into a SQLite database that takes them."""
    engine = _lax(f"sqlite:///{tmp_path / 'odd.db'}")
    create_schema(engine)
    generate_sample(engine, scale=0)
    first_supplier = "(SELECT min(id) FROM suppliers)"
    first_line = "(SELECT min(id) FROM recipe_ingredients)"
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE suppliers SET is_active = 2 WHERE id = {first_supplier}"))
        six_places = "UPDATE recipe_ingredients SET quantity = 1.23456 WHERE id = "
        connection.execute(text(six_places + first_line))
    manifest = dump_all(engine, tmp_path / "backup")
    fields = {(p.file, p.pointer.rsplit("/", 1)[-1]) for p in manifest.exceptions}
    assert fields == {("01_suppliers.json", "is_active"), ("04_recipes.json", "quantity")}
    suppliers = json.loads((tmp_path / "backup" / "01_suppliers.json").read_text())["records"]
    assert 2 in [supplier["is_active"] for supplier in suppliers]  # as found, not true
    recipes = (tmp_path / "backup" / "04_recipes.json").read_text()
    assert '"quantity": "1.23456"' in recipes  # every place, none rounded away
    strict = engine_from_url(f"sqlite:///{tmp_path / 'strict.db'}")
    create_schema(strict)
    with pytest.raises(SourceError, match=r"cannot be stored|refused"):
        load_all(strict, tmp_path / "backup", accept_exceptions=True)
    target = _lax(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    load_all(target, tmp_path / "backup", accept_exceptions=True)
    again = dump_all(target, tmp_path / "again")
    assert again.files == manifest.files
    assert again.exceptions == manifest.exceptions


def test_a_run_of_another_recipes_unit_is_listed(tmp_path: Path) -> None:
    """The export checks the links of the history too: a production run whose finished
    unit is a yield of another recipe (possible where foreign keys are not enforced)."""
    engine = _lax(f"sqlite:///{tmp_path / 'odd.db'}")
    create_schema(engine)
    generate_sample(engine, scale=1)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        run, recipe = connection.execute(
            text("SELECT id, recipe_id FROM production_runs ORDER BY id LIMIT 1")
        ).one()
        other = connection.execute(
            text("SELECT id FROM finished_units WHERE recipe_id != :r LIMIT 1"), {"r": recipe}
        ).scalar()
        connection.execute(
            text("UPDATE production_runs SET finished_unit_id = :u WHERE id = :r"),
            {"u": other, "r": run},
        )
    manifest = dump_all(engine, tmp_path / "backup")
    ((problem,),) = [manifest.exceptions]
    assert problem.file == "19_production_runs.json"
    assert problem.pointer.endswith("/finished_unit_slug")
    assert "recipe_slug" in problem.message


def test_the_lighter_loader_reads_what_the_loader_reads(sample_dump: Path) -> None:
    """What the audit reads of records that need no whole loading is what the loader gives."""
    for entity in REGISTRY:
        if needs_whole_records(entity):
            continue
        light, full = references_loader(entity.schema), loader(entity.schema)
        name = sample_dump / entity.filename
        for record in json.loads(name.read_text())["records"]:
            _same(light(record), full(record))


def _same(light: dict[str, Any], full: dict[str, Any]) -> None:
    for attribute, value in light.items():
        if isinstance(value, list):
            assert len(value) == len(full[attribute])
            for item, whole in zip(value, full[attribute], strict=True):
                _same(item, whole)
        else:
            assert value == full.get(attribute), attribute


def test_an_enum_value_outside_its_enum_is_backed_up_as_found(tmp_path: Path) -> None:
    """Not refused with the whole backup: written, listed, and refused by name only where
    the restore cannot store it (bakery_io's enum columns take their values only)."""
    engine = _lax(f"sqlite:///{tmp_path / 'odd.db'}")
    create_schema(engine)
    generate_sample(engine, scale=0)
    first = "(SELECT min(id) FROM suppliers)"
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE suppliers SET supplier_type = 'wholesale' WHERE id = {first}")
        )
    manifest = dump_all(engine, tmp_path / "backup")
    ((problem,),) = [manifest.exceptions]
    assert (problem.file, problem.pointer.rsplit("/", 1)[-1]) == (
        "01_suppliers.json",
        "supplier_type",
    )
    assert '"supplier_type": "wholesale"' in (tmp_path / "backup" / "01_suppliers.json").read_text()
    target = _lax(f"sqlite:///{tmp_path / 'restored.db'}")
    create_schema(target)
    with pytest.raises(SourceError, match="cannot be stored: 'wholesale' is not among"):
        load_all(target, tmp_path / "backup", accept_exceptions=True)
