"""The chain of format versions, and how a file's version is found and refused.

The step's own behaviour is covered by the golden corpus (tests/golden/1.0,
tests/test_upgrade_golden.py) and by property tests (tests/test_upgrade_property.py).
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bakery_io import SourceError, UsageError, load_all, upgrade, validate
from bakery_io.binding.models import metadata
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.versions import (
    CURRENT_VERSION,
    STEPS,
    VERSIONS,
    Step,
    chain,
    document_version,
    filename,
    is_newer,
    steps_from,
    upgrade_backup,
)
from bakery_io.versions import v1_0_to_v1_1 as step
from bakery_io.versions.backup import Backup, Part
from tests.conftest import sqlite_copy


def same(backup: Backup, problems: list[Problem] | None = None) -> Backup:
    return backup


# ---------------------------------------------------------------------------
# The chain.


def test_the_chain_reads_1_0_and_writes_1_1() -> None:
    assert VERSIONS == ("1.0", "1.1")
    assert CURRENT_VERSION == "1.1"
    assert [(s.source, s.target) for s in steps_from("1.0")] == [("1.0", "1.1")]
    assert steps_from("1.1") == ()


def test_the_chain_links_steps_in_any_order() -> None:
    steps = [Step("1.1", "1.2", same), Step("1.0", "1.1", same), Step("1.2", "2.0", same)]
    assert chain(steps) == ("1.0", "1.1", "1.2", "2.0")


@pytest.mark.parametrize(
    ("steps", "refusal"),
    [
        ([], "no steps"),
        ([Step("1.0", "1.1", same), Step("1.2", "1.3", same)], "gap"),
        (
            [Step("1.0", "1.1", same), Step("1.0", "1.2", same)],
            "two upgrade steps start at version 1.0",
        ),
        ([Step("1.0", "1.1", same), Step("1.1", "1.1", same)], "cycle through version 1.1"),
        ([Step("1.0", "1.1", same), Step("1.1", "1.0", same)], "cycle"),
        (
            [Step("1.0", "1.1", same), Step("1.1", "1.2", same), Step("1.2", "1.1", same)],
            "cycle through version 1.1",
        ),
        ([Step("1.0", "1.1", same), Step("2.0", "2.1", same), Step("2.1", "2.0", same)], "gap"),
    ],
)
def test_the_chain_refuses_gaps_forks_and_cycles(steps: list[Step], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        chain(steps)


def test_every_step_has_a_docstring_that_says_what_changed() -> None:
    for registered in STEPS:
        module = __import__(registered.upgrade.__module__, fromlist=["__doc__"])
        assert module.__doc__
        assert f"{registered.source} to {registered.target}" in module.__doc__
        assert registered.upgrade.__doc__


@pytest.mark.parametrize(
    ("version", "newer"),
    [("1.2", True), ("9.0", True), ("2", True), ("1.1", False), ("1.0", False), ("0.9", False)],
)
def test_is_newer_compares_version_numbers(version: str, newer: bool) -> None:
    assert is_newer(version) is newer


@pytest.mark.parametrize("version", ["banana", "", "1.x", "1..2", "v2"])
def test_text_that_is_no_version_number_is_not_newer(version: str) -> None:
    assert not is_newer(version)


def test_unknown_versions_have_no_steps() -> None:
    with pytest.raises(ValueError, match=r"unknown format version '0\.9'"):
        steps_from("0.9")


def test_file_names_follow_the_version() -> None:
    products = REGISTRY["products"]
    assert filename(products, "1.0") == "products.json"
    assert filename(products, "1.1") == "03_products.json"


@pytest.mark.parametrize(
    ("content", "version"),
    [
        ({"version": "1.1", "suppliers": []}, "1.1"),
        ({"version": 2}, 2),
        ({"production_runs": []}, "1.0"),
        ({"exported_at": "2025-12-09T12:00:00", "production_runs": [], "assembly_runs": []}, "1.0"),
        ({"assembly_runs": []}, "1.0"),
        ({"exported_at": "2025-12-09T12:00:00"}, None),
        ({"production_runs": [], "recipes": []}, None),
        ({"suppliers": []}, None),
    ],
)
def test_only_a_production_history_document_may_omit_its_version(
    content: dict[str, Any], version: Any
) -> None:
    assert document_version(content) == version


# ---------------------------------------------------------------------------
# The step is pure.


def _legacy_backup() -> Backup:
    events = [
        {
            "id": 4,
            "uuid": "0b0f9a43-6a3e-4a1e-9f38-3ad2a6e8b0a1",
            "name": "Fête des Rois",
            "event_date": "2026-01-06",
            "year": 2026,
        }
    ]
    return Backup(
        "legacy.json",
        "document",
        "1.0",
        {"exported_at": "2026-01-07T08:00:00+00:00Z"},
        {"events": Part("legacy.json", "/events", events)},
    )


def test_the_step_does_not_change_its_input() -> None:
    backup = _legacy_backup()
    before = copy.deepcopy(backup)
    upgraded = upgrade_backup(backup)
    assert backup == before
    assert upgraded.version == "1.1"
    assert upgraded.parts["events"].records[0]["slug"] == "fete-des-rois"
    assert "id" not in upgraded.parts["events"].records[0]
    assert upgraded.header == {"exported_at": "2026-01-07T08:00:00Z"}


def test_the_step_refuses_a_backup_of_another_version() -> None:
    with pytest.raises(ValueError, match=r"upgrades format 1\.0, not 1\.1"):
        step.upgrade(Backup("x.json", "document", "1.1", {}, {}))


def test_a_binary_float_is_refused_rather_than_guessed() -> None:
    backup = _legacy_backup()
    record = {
        "id": 1,
        "slug": "flour",
        "display_name": "Flour",
        "hierarchy_level": 0,
        "density_volume_value": 0.1,
    }
    backup = Backup(
        "x.json", "document", "1.0", {}, {"ingredients": Part("x.json", "/ingredients", [record])}
    )
    with pytest.raises(SourceError) as raised:
        upgrade_backup(backup)
    (problem,) = raised.value.problems
    assert problem.pointer == "/ingredients/0/density_volume_value"
    assert "binary float" in problem.message


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal("0.1"), "0.1"),
        (Decimal("25.0"), "25.0"),
        (25, "25"),
        (Decimal("1E+2"), "100"),
        (Decimal("2.5e-3"), "0.0025"),
        (Decimal("-0.0"), "0.0"),
        ("4.2500", "4.2500"),
    ],
)
def test_decimals_keep_the_digits_of_their_json_text(number: Any, text: str) -> None:
    record = {"id": 1, "slug": "flour", "display_name": "Flour", "hierarchy_level": 0}
    record["density_volume_value"] = number
    backup = Backup(
        "x.json", "document", "1.0", {}, {"ingredients": Part("x.json", "/ingredients", [record])}
    )
    (upgraded,) = upgrade_backup(backup).parts["ingredients"].records
    assert upgraded["density_volume_value"] == text


# ---------------------------------------------------------------------------
# Detection and refusal through the public API.


def write_json(path: Path, content: Any) -> Path:
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def test_a_history_document_without_version_is_read_as_1_0(tmp_path: Path) -> None:
    source = write_json(
        tmp_path / "history.json",
        {"exported_at": "2025-12-09T12:00:00.123456", "production_runs": []},
    )
    report = validate(source)
    assert report.ok, report.problems
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")


def test_another_document_without_version_is_refused(tmp_path: Path) -> None:
    source = write_json(tmp_path / "doc.json", {"suppliers": []})
    (problem,) = validate(source).problems
    assert (problem.file, problem.pointer) == ("doc.json", "/version")
    assert "expected the format version as a string ('1.1'), got nothing" in problem.message


@pytest.mark.parametrize("kind", ["document", "entity file", "directory"])
def test_a_newer_version_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    if kind == "document":
        source = write_json(tmp_path / "future.json", {"version": "9.0", "suppliers": []})
        where = ("future.json", "/version")
    elif kind == "entity file":
        content = {"version": "9.0", "entity_type": "suppliers", "records": []}
        source = write_json(tmp_path / "future.json", content)
        where = ("future.json", "/version")
    else:
        source = tmp_path / "future"
        source.mkdir()
        manifest = {"version": "9.0", "export_date": "2030-01-01T00:00:00Z", "files": []}
        write_json(source / "manifest.json", manifest)
        where = ("manifest.json", "/version")
    problems = validate(source).problems
    problem = next(p for p in problems if (p.file, p.pointer) == where)
    assert "format version '9.0' is newer than this bakery_io, which reads 1.0 and 1.1" in (
        problem.message
    )


def test_an_unknown_version_is_named(tmp_path: Path) -> None:
    source = write_json(tmp_path / "old.json", {"version": "0.9", "suppliers": []})
    (problem,) = validate(source).problems
    assert problem.message == "unknown format version '0.9': this bakery_io reads 1.0 and 1.1"


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


def test_a_newer_document_is_loaded_nowhere_and_nothing_is_written(
    schema_template: Path, tmp_path: Path
) -> None:
    engine = sqlite_copy(schema_template, tmp_path / "db.db")
    supplier = {"slug": "mill", "name": "Mill", "supplier_type": "online"}
    source = write_json(tmp_path / "future.json", {"version": "9.0", "suppliers": [supplier]})
    with pytest.raises(SourceError) as raised:
        load_all(engine, source)
    assert "'9.0' is newer" in str(raised.value)
    assert set(_row_counts(engine).values()) == {0}
    engine.dispose()


def test_upgrade_will_not_write_over_its_source(tmp_path: Path) -> None:
    source = write_json(tmp_path / "history.json", {"production_runs": []})
    with pytest.raises(UsageError, match="beside it, not over it"):
        upgrade(source, source, overwrite=True)


def test_upgrade_writes_nothing_when_the_source_has_problems(tmp_path: Path) -> None:
    source = write_json(tmp_path / "future.json", {"version": "9.0", "suppliers": []})
    with pytest.raises(SourceError, match="newer"):
        upgrade(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["future.json"]
