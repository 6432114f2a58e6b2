"""A partial restore: load_all(entities=...) and bakery-io import --entities, with the
dependencies either in the database already or restored too (--with-dependencies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bakery_io import REGISTRY, SourceError, UsageError, create_schema, engine_from_url, load_all
from bakery_io.binding.models import metadata
from bakery_io.choice import chosen_types
from bakery_io.cli import main


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scale-0 sample exported as a ZIP, a single document and a partial directory."""
    directory = tmp_path_factory.mktemp("partial")
    url = f"sqlite:///{directory / 'bakery.db'}"
    assert main(["sample-db", "--db", url, "--scale", "0"]) == 0
    for target in ("backup.zip", "backup.json"):
        assert main(["export", "--db", url, str(directory / target)]) == 0
    assert main(["export", "--db", url, str(directory / "part"), "--entities", "recipes"]) == 0
    return directory


@pytest.fixture
def empty(tmp_path: Path) -> Engine:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    create_schema(engine)
    return engine


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


def test_the_dependencies_of_a_type_come_from_the_reference_graph() -> None:
    assert chosen_types(["recipes"], REGISTRY) == {"recipes"}
    assert chosen_types(["recipes"], REGISTRY, with_dependencies=True) == {
        "recipes",
        "ingredients",
    }
    runs = chosen_types(["production_runs"], REGISTRY, with_dependencies=True)
    assert {"recipes", "ingredients", "finished_units", "events"} <= runs
    assert "purchases" not in runs


def test_unknown_types_get_the_closest_name() -> None:
    with pytest.raises(UsageError, match=r"ingredents: did you mean ingredients\?"):
        chosen_types(["ingredents"], REGISTRY)
    with pytest.raises(UsageError, match=r"recipe: did you mean recipes\?.*known: suppliers"):
        chosen_types(["recipe", "zzz"], REGISTRY)
    with pytest.raises(UsageError, match=r"did you mean suppliers\?"):
        REGISTRY["supplier"]


@pytest.mark.parametrize("name", ["backup.zip", "backup.json"])
def test_only_the_chosen_types_and_their_dependencies_are_restored(
    backups: Path, empty: Engine, name: str
) -> None:
    report = load_all(empty, backups / name, entities=["recipes"], with_dependencies=True)
    assert set(report.counts) == {"ingredients", "recipes"}
    rows = _rows(empty)
    assert rows["recipes"] == report.counts["recipes"].created > 0
    assert rows["ingredients"] == report.counts["ingredients"].created > 0
    assert rows["suppliers"] == rows["products"] == rows["events"] == 0


def test_a_dependency_not_in_the_database_fails_the_restore_and_writes_nothing(
    backups: Path, empty: Engine
) -> None:
    with pytest.raises(SourceError) as raised:
        load_all(empty, backups / "backup.zip", entities=["recipes"])
    assert all("ingredients" in problem.message for problem in raised.value.problems)
    assert not any(_rows(empty).values())


def test_a_dependency_already_in_the_database_is_found_there(backups: Path, empty: Engine) -> None:
    load_all(empty, backups / "backup.zip", entities=["ingredients"])
    report = load_all(empty, backups / "backup.json", entities=["recipes"])
    assert set(report.counts) == {"recipes"}
    assert report.counts["recipes"].created == _rows(empty)["recipes"] > 0


def test_a_type_the_backup_does_not_hold_is_a_usage_error(backups: Path, empty: Engine) -> None:
    with pytest.raises(UsageError, match="holds no suppliers"):
        load_all(empty, backups / "part", entities=["suppliers"])
    # Its dependencies need not be in it: a partial backup leaves them to the database.
    load_all(empty, backups / "backup.zip", entities=["ingredients"])
    report = load_all(empty, backups / "part", entities=["recipes"], with_dependencies=True)
    assert set(report.counts) == {"recipes"}


def test_the_command_restores_some_types_as_json(
    capsys: pytest.CaptureFixture[str], backups: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    args = ["import", "--db", url, str(backups / "backup.zip"), "--json"]
    assert main([*args, "--entities", "recipes"]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["ok"] is False
    assert "--with-dependencies" in failed["hint"]
    assert failed["problems"]
    assert main([*args, "--entities", "recipes", "--with-dependencies"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document["counts"]) == {"ingredients", "recipes"}


def test_the_command_refuses_with_dependencies_alone_and_unknown_types(
    capsys: pytest.CaptureFixture[str], backups: Path, tmp_path: Path
) -> None:
    args = ["import", "--db", f"sqlite:///{tmp_path / 'x.db'}", str(backups / "backup.zip")]
    assert main([*args, "--with-dependencies"]) == 2
    assert "--with-dependencies goes with --entities" in capsys.readouterr().err
    assert main([*args, "--entities", "recipes,ingredents"]) == 2
    assert "did you mean ingredients?" in capsys.readouterr().err


def test_a_chosen_file_the_manifest_lists_but_the_backup_lacks_is_a_problem(
    backups: Path, empty: Engine, tmp_path: Path
) -> None:
    copy = tmp_path / "backup"
    assert main(["export", "--db", f"sqlite:///{backups / 'bakery.db'}", str(copy)]) == 0
    (copy / "02_ingredients.json").unlink()
    with pytest.raises(SourceError) as raised:
        load_all(empty, copy, entities=["recipes"], with_dependencies=True)
    assert any("02_ingredients.json" in problem.message for problem in raised.value.problems)
    assert not any(_rows(empty).values())
    # The types not chosen are not looked at: recipes' file is sound, and restored.
    load_all(empty, backups / "backup.zip", entities=["ingredients"])
    (copy / "01_suppliers.json").write_text("not json", encoding="utf-8")
    assert set(load_all(empty, copy, entities=["recipes"]).counts) == {"recipes"}


def test_a_legacy_backup_is_restored_in_part_and_upgraded(empty: Engine) -> None:
    legacy = Path(__file__).parent / "golden" / "1.0" / "full-backup" / "input"
    report = load_all(empty, legacy, entities=["recipes"], with_dependencies=True)
    assert report.upgraded_to == "1.1"
    assert set(report.counts) == {"ingredients", "recipes"}
    assert _rows(empty)["suppliers"] == 0


def test_a_damaged_file_is_reported_as_without_a_choice(tmp_path: Path, empty: Engine) -> None:
    source = tmp_path / "cut.json"
    source.write_text('{"version": "1.1", "recipes": [{"slug": "a', encoding="utf-8")
    with pytest.raises(SourceError) as failure:
        load_all(empty, source, entities=["recipes"])
    assert "not valid JSON" in failure.value.problems[0].message


def test_entities_as_one_string_is_a_usage_error(backups: Path, empty: Engine) -> None:
    with pytest.raises(UsageError, match="not the string 'recipes'"):
        load_all(empty, backups / "backup.zip", entities="recipes")
