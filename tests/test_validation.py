"""``validate``: every container kind, every problem at once, each located precisely.

Validation does not depend on the database backend, so these tests export the
SQLite sample once per module and tamper with copies of the export.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bakery_io import (
    Manifest,
    Problem,
    UsageError,
    ValidationReport,
    dump_all,
    engine_from_url,
    generate_sample,
    validate,
)
from tests.conftest import SAMPLE_SEED

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
#: The entity types of the small partial backup most tests tamper with.
SMALL = ("suppliers", "ingredients", "material_purchases", "finished_goods")

Content = dict[str, Any]


@dataclass(frozen=True)
class Exports:
    """The sample database exported once, in every container kind."""

    directory: Path
    zip: Path
    document: Path
    manifest: Manifest
    small: Path
    small_manifest: Manifest


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    directory = tmp_path_factory.mktemp("validation-sample")
    engine = engine_from_url(f"sqlite:///{directory / 'sample.db'}")
    generate_sample(engine, scale=1, seed=SAMPLE_SEED)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def exports(sample: Engine, tmp_path_factory: pytest.TempPathFactory) -> Exports:
    root = tmp_path_factory.mktemp("validation-exports")
    manifest = dump_all(sample, root / "backup", exported_at=EXPORTED_AT)
    dump_all(sample, root / "backup.zip", exported_at=EXPORTED_AT)
    dump_all(sample, root / "document.json", exported_at=EXPORTED_AT)
    small_manifest = dump_all(sample, root / "small", entities=SMALL, exported_at=EXPORTED_AT)
    return Exports(
        directory=root / "backup",
        zip=root / "backup.zip",
        document=root / "document.json",
        manifest=manifest,
        small=root / "small",
        small_manifest=small_manifest,
    )


@pytest.fixture
def backup(exports: Exports, tmp_path: Path) -> Path:
    """A copy of the small partial backup (suppliers, ingredients, ...) to tamper with."""
    return Path(shutil.copytree(exports.small, tmp_path / "backup"))


# ---------------------------------------------------------------------------
# Helpers.


def read_json(path: Path) -> Content:
    content: Content = json.loads(path.read_text(encoding="utf-8"))
    return content


def write_json(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def manifest_position(directory: Path, filename: str) -> int:
    files = read_json(directory / "manifest.json")["files"]
    return next(i for i, entry in enumerate(files) if entry["filename"] == filename)


def edit(
    directory: Path, filename: str, change: Callable[[Content], None], *, reseal: bool = True
) -> None:
    """Change one entity file; with ``reseal`` the manifest's checksum and count follow it."""
    path = directory / filename
    content = read_json(path)
    change(content)
    write_json(path, content)
    if reseal:
        manifest = read_json(directory / "manifest.json")
        entry = manifest["files"][manifest_position(directory, filename)]
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        entry["record_count"] = len(content["records"])
        write_json(directory / "manifest.json", manifest)


def records(directory: Path, filename: str) -> list[Content]:
    found: list[Content] = read_json(directory / filename)["records"]
    return found


def entity_file(
    exports: Exports, tmp_path: Path, filename: str, change: Callable[[list[Content]], None]
) -> ValidationReport:
    """Validate a single entity file of the first records of an exported file, after ``change``."""
    content = read_json(exports.directory / filename)
    content["records"] = content["records"][:20]
    change(content["records"])
    path = tmp_path / filename
    write_json(path, content)
    report = validate(path)
    assert report.kind == "entity file"
    return report


def only_problem(report: ValidationReport) -> Problem:
    assert not report.ok
    assert len(report.problems) == 1, "\n".join(map(str, report.problems))
    return report.problems[0]


def at(report: ValidationReport, pointer: str) -> Problem:
    found = [problem for problem in report.problems if problem.pointer == pointer]
    assert len(found) == 1, f"no single problem at {pointer}:\n" + "\n".join(
        map(str, report.problems)
    )
    return found[0]


def first_index(rows: list[Content], accept: Callable[[Content], bool]) -> int:
    return next(i for i, row in enumerate(rows) if accept(row))


# ---------------------------------------------------------------------------
# Our own output is valid.


def test_a_backup_directory_validates(exports: Exports) -> None:
    report = validate(exports.directory)
    assert report.problems == ()
    assert report.ok
    assert report.kind == "directory"
    assert report.version == "1.1"
    assert report.files == 21
    assert report.records == exports.manifest.record_count > 0


def test_a_zip_archive_validates(exports: Exports) -> None:
    report = validate(exports.zip)
    assert report.problems == ()
    assert report.ok
    assert report.kind == "zip"
    assert report.version == "1.1"
    assert report.files == 21
    assert report.records == exports.manifest.record_count


def test_a_single_document_validates(exports: Exports) -> None:
    report = validate(exports.document)
    assert report.problems == ()
    assert report.ok
    assert report.kind == "document"
    assert report.version == "1.1"
    assert report.records == exports.manifest.record_count


def test_a_single_entity_file_validates(exports: Exports, tmp_path: Path) -> None:
    path = tmp_path / "suppliers-from-elsewhere.json"
    shutil.copyfile(exports.directory / "01_suppliers.json", path)
    report = validate(path)
    assert report.problems == ()
    assert report.ok
    assert report.kind == "entity file"
    assert report.version == "1.1"
    assert report.files == 1
    suppliers = exports.manifest.entry("suppliers")
    assert suppliers is not None
    assert report.records == suppliers.record_count > 0


def test_a_partial_backup_validates(exports: Exports) -> None:
    report = validate(exports.small)
    assert report.problems == ()
    assert report.files == len(SMALL)
    assert report.records == exports.small_manifest.record_count


# ---------------------------------------------------------------------------
# Record problems: located by file, pointer, record position and natural key.


def test_a_supplier_name_that_is_a_number_is_located_exactly(backup: Path) -> None:
    suppliers = records(backup, "01_suppliers.json")
    index = 2
    slug = suppliers[index]["slug"]

    def change(content: Content) -> None:
        content["records"][index]["name"] = 42

    edit(backup, "01_suppliers.json", change)
    report = validate(backup)
    assert not report.ok
    problem = only_problem(report)
    assert problem.file == "01_suppliers.json"
    assert problem.pointer == f"/records/{index}/name"
    assert problem.record == index
    assert problem.key == slug
    assert "string" in problem.message
    assert "42" in problem.message


def test_every_problem_is_reported_at_once(backup: Path) -> None:
    suppliers = records(backup, "01_suppliers.json")
    purchases = records(backup, "13_material_purchases.json")

    def change_suppliers(content: Content) -> None:
        content["records"][0]["name"] = 1
        content["records"][3]["is_active"] = "yes"

    def change_purchases(content: Content) -> None:
        content["records"][5]["package_price"] = "-5.0000"

    # Not resealed: the checksums of both files are wrong too.
    edit(backup, "01_suppliers.json", change_suppliers, reseal=False)
    edit(backup, "13_material_purchases.json", change_purchases, reseal=False)
    report = validate(backup)
    assert not report.ok
    assert len(report.problems) >= 3
    located = {
        (problem.file, problem.pointer, problem.record, problem.key)
        for problem in report.problems
        if problem.record is not None
    }
    assert located == {
        ("01_suppliers.json", "/records/0/name", 0, suppliers[0]["slug"]),
        ("01_suppliers.json", "/records/3/is_active", 3, suppliers[3]["slug"]),
        ("13_material_purchases.json", "/records/5/package_price", 5, purchases[5]["uuid"]),
    }
    checksums = {
        problem.message.split(":")[0]
        for problem in report.problems
        if "checksum" in problem.message
    }
    assert checksums == {"01_suppliers.json", "13_material_purchases.json"}
    assert len(report.problems) == 5


def test_an_unknown_field_is_refused(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[1]["colour"] = "red"

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    assert problem.pointer == "/records/1/colour"
    assert problem.record == 1
    assert "unknown field" in problem.message


def test_a_decimal_written_as_a_json_number_is_refused(backup: Path) -> None:
    def change(content: Content) -> None:
        content["records"][0]["package_price"] = 4.25

    edit(backup, "13_material_purchases.json", change)
    assert '"package_price": 4.25,' in (backup / "13_material_purchases.json").read_text("utf-8")
    problem = only_problem(validate(backup))
    assert problem.file == "13_material_purchases.json"
    assert problem.pointer == "/records/0/package_price"
    assert problem.record == 0
    assert "string" in problem.message
    assert "4.25" in problem.message


def test_a_decimal_with_too_many_places_is_refused(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[0]["unit_price"] = "4.12345"

    problem = only_problem(entity_file(exports, tmp_path, "06_purchases.json", change))
    assert problem.file == "06_purchases.json"
    assert problem.pointer == "/records/0/unit_price"
    assert "4.12345" in problem.message
    assert "more than 4 decimal places" in problem.message


@pytest.mark.parametrize("price", ["-1.0000", "-0.01", "-3"])
def test_a_negative_price_is_refused(exports: Exports, tmp_path: Path, price: str) -> None:
    def change(rows: list[Content]) -> None:
        rows[1]["unit_price"] = price

    problem = only_problem(entity_file(exports, tmp_path, "06_purchases.json", change))
    assert problem.pointer == "/records/1/unit_price"
    assert problem.record == 1
    assert price in problem.message
    assert ">= 0" in problem.message


def test_a_zero_price_is_fine(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[1]["unit_price"] = "0.0000"

    assert entity_file(exports, tmp_path, "06_purchases.json", change).ok


def test_an_enum_value_outside_the_list_is_refused(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[0]["supplier_type"] = "mail_order"

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    assert problem.pointer == "/records/0/supplier_type"
    assert "mail_order" in problem.message
    assert '"physical"' in problem.message
    assert '"online"' in problem.message


def test_a_datetime_without_offset_is_refused(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[0]["created_at"] = "2024-03-01T09:30:00"

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    assert problem.pointer == "/records/0/created_at"
    assert "offset" in problem.message
    assert "2024-03-01T09:30:00" in problem.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "costello-restaurant-depot\n"),
        ("created_at", "2024-01-01T09:30:00Z\n"),
        ("created_at", "2024-02-30T09:30:00Z"),
    ],
    ids=["slug-trailing-newline", "datetime-trailing-newline", "datetime-february-30"],
)
def test_a_value_the_loader_refuses_is_not_valid(
    exports: Exports, tmp_path: Path, field: str, value: str
) -> None:
    # The marshmallow schema that load_all uses refuses each of these values.
    def change(rows: list[Content]) -> None:
        rows[1][field] = value

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    assert problem.pointer == f"/records/1/{field}"
    assert problem.record == 1


# ---------------------------------------------------------------------------
# Record rules that the JSON Schemas state.


@pytest.mark.parametrize("supplier_type", ["physical", None], ids=["physical", "absent"])
def test_a_physical_supplier_without_a_city_is_refused(
    exports: Exports, tmp_path: Path, supplier_type: str | None
) -> None:
    index = 0

    def change(rows: list[Content]) -> None:
        nonlocal index
        index = first_index(rows, lambda row: row["city"] is not None)
        if supplier_type is None:
            del rows[index]["supplier_type"]  # the default is physical
        else:
            rows[index]["supplier_type"] = supplier_type
        rows[index]["city"] = None

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    assert problem.pointer == f"/records/{index}/city"
    assert problem.record == index
    assert "city is required when supplier_type is 'physical'" in problem.message


def test_an_online_supplier_may_have_no_city(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        for row in rows:
            row["supplier_type"] = "online"
            row["city"] = None

    assert entity_file(exports, tmp_path, "01_suppliers.json", change).ok


DENSITY = (
    "density_volume_value",
    "density_volume_unit",
    "density_weight_value",
    "density_weight_unit",
)


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_an_ingredient_with_some_density_fields_is_refused(
    exports: Exports, tmp_path: Path, keep: int
) -> None:
    index = 0

    def change(rows: list[Content]) -> None:
        nonlocal index
        index = first_index(rows, lambda row: row["density_volume_value"] is not None)
        for name in DENSITY[keep:]:
            rows[index][name] = None

    problem = only_problem(entity_file(exports, tmp_path, "02_ingredients.json", change))
    assert problem.record == index
    assert problem.pointer.startswith(f"/records/{index}")
    assert "all set or none" in problem.message
    assert all(name in problem.message for name in DENSITY)


def test_an_ingredient_with_no_density_fields_is_fine(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        for row in rows:
            for name in DENSITY:
                row[name] = None

    assert entity_file(exports, tmp_path, "02_ingredients.json", change).ok


def test_a_finished_good_component_with_two_targets_is_refused(
    exports: Exports, tmp_path: Path
) -> None:
    index = 0
    finished_goods = records(exports.directory, "14_finished_goods.json")
    other = finished_goods[-1]["slug"]

    def change(rows: list[Content]) -> None:
        nonlocal index
        index = first_index(
            rows,
            lambda row: (
                bool(row["components"])
                and row["components"][0]["finished_unit_slug"] is not None
                and row["slug"] != other
            ),
        )
        component = rows[index]["components"][0]
        component["finished_good_slug"] = other

    problem = only_problem(entity_file(exports, tmp_path, "14_finished_goods.json", change))
    assert problem.pointer == f"/records/{index}/components/0"
    assert problem.record == index
    assert problem.key == finished_goods[index]["slug"]
    assert "exactly one of" in problem.message
    assert "finished_unit_slug" in problem.message
    assert "finished_good_slug" in problem.message


# ---------------------------------------------------------------------------
# The manifest: checksums, counts, files listed and present.


def test_tampered_bytes_give_a_checksum_problem_naming_the_file(backup: Path) -> None:
    path = backup / "01_suppliers.json"
    data = path.read_bytes()
    name = records(backup, "01_suppliers.json")[0]["name"].encode("utf-8")
    path.write_bytes(data.replace(name, name.upper(), 1))
    assert path.read_bytes() != data
    problem = only_problem(validate(backup))
    assert problem.file == "manifest.json"
    assert problem.pointer == f"/files/{manifest_position(backup, '01_suppliers.json')}/sha256"
    assert "01_suppliers.json" in problem.message
    assert "checksum" in problem.message


def test_a_record_count_that_does_not_match_is_reported(backup: Path) -> None:
    manifest = read_json(backup / "manifest.json")
    position = manifest_position(backup, "02_ingredients.json")
    actual = manifest["files"][position]["record_count"]
    manifest["files"][position]["record_count"] = actual + 1
    write_json(backup / "manifest.json", manifest)
    problem = only_problem(validate(backup))
    assert problem.file == "manifest.json"
    assert problem.pointer == f"/files/{position}/record_count"
    assert "02_ingredients.json" in problem.message
    assert str(actual) in problem.message
    assert str(actual + 1) in problem.message


def test_a_missing_manifest_is_reported(backup: Path) -> None:
    (backup / "manifest.json").unlink()
    report = validate(backup)
    problem = only_problem(report)
    assert problem.file == "manifest.json"
    assert "missing" in problem.message
    # the entity files are still checked
    assert report.files == len(SMALL)


def test_a_missing_manifest_does_not_hide_record_problems(backup: Path) -> None:
    (backup / "manifest.json").unlink()
    path = backup / "01_suppliers.json"
    content = read_json(path)
    content["records"][0]["name"] = None
    write_json(path, content)
    report = validate(backup)
    assert {(problem.file, problem.pointer) for problem in report.problems} == {
        ("manifest.json", ""),
        ("01_suppliers.json", "/records/0/name"),
    }


def test_an_entity_file_not_listed_in_the_manifest_is_reported(backup: Path) -> None:
    manifest = read_json(backup / "manifest.json")
    manifest["files"] = [
        entry for entry in manifest["files"] if entry["filename"] != "14_finished_goods.json"
    ]
    write_json(backup / "manifest.json", manifest)
    problem = only_problem(validate(backup))
    assert problem.file == "14_finished_goods.json"
    assert "not listed" in problem.message


def test_an_extra_entity_file_is_reported(backup: Path, exports: Exports) -> None:
    shutil.copyfile(exports.directory / "15_recipients.json", backup / "15_recipients.json")
    problem = only_problem(validate(backup))
    assert problem.file == "15_recipients.json"
    assert "not listed" in problem.message


def test_a_listed_file_that_is_missing_is_reported(backup: Path) -> None:
    position = manifest_position(backup, "13_material_purchases.json")
    (backup / "13_material_purchases.json").unlink()
    problem = only_problem(validate(backup))
    assert problem.file == "manifest.json"
    assert problem.pointer == f"/files/{position}/filename"
    assert "13_material_purchases.json" in problem.message
    assert "missing" in problem.message


# ---------------------------------------------------------------------------
# Unreadable files and unknown versions.


def test_malformed_json_names_line_and_column(backup: Path) -> None:
    (backup / "01_suppliers.json").write_bytes(
        b'{\n  "version": "1.1",\n  "entity_type": "suppliers"\n  "records": []\n}\n'
    )
    report = validate(backup)
    problems = [problem for problem in report.problems if problem.file == "01_suppliers.json"]
    assert len(problems) == 1
    assert "not valid JSON" in problems[0].message
    assert "line 4" in problems[0].message
    assert "column 3" in problems[0].message
    # the other files are still checked, and the broken one still counts as a file
    assert report.files == len(SMALL)


def test_a_truncated_single_document_is_reported(exports: Exports, tmp_path: Path) -> None:
    path = tmp_path / "document.json"
    path.write_bytes(exports.document.read_bytes()[:5000])
    problem = only_problem(validate(path))
    assert problem.file == "document.json"
    assert "not valid JSON" in problem.message
    assert "line" in problem.message
    assert "column" in problem.message


def test_non_utf8_bytes_are_reported(backup: Path) -> None:
    path = backup / "01_suppliers.json"
    data = path.read_bytes()
    offset = data.index("ä".encode())
    path.write_bytes(data.replace("ä".encode(), b"\xe4", 1))  # Latin-1, not UTF-8
    report = validate(backup)
    problems = [problem for problem in report.problems if problem.file == "01_suppliers.json"]
    assert len(problems) == 1
    assert "UTF-8" in problems[0].message
    assert "0xe4" in problems[0].message
    assert f"offset {offset}" in problems[0].message
    assert not report.ok


def test_an_unknown_version_in_an_entity_file_is_named(exports: Exports, tmp_path: Path) -> None:
    content = read_json(exports.directory / "01_suppliers.json")
    content["version"] = "9.9"
    path = tmp_path / "01_suppliers.json"
    write_json(path, content)
    report = validate(path)
    problem = only_problem(report)
    assert problem.pointer == "/version"
    assert "9.9" in problem.message
    assert report.version is None


def test_an_unknown_version_of_a_backup_is_named(backup: Path) -> None:
    manifest = read_json(backup / "manifest.json")
    manifest["version"] = "9.9"
    write_json(backup / "manifest.json", manifest)
    for entry in manifest["files"]:

        def change(content: Content) -> None:
            content["version"] = "9.9"

        edit(backup, entry["filename"], change)
    report = validate(backup)
    assert not report.ok
    assert report.version is None
    manifest_problems = [problem for problem in report.problems if problem.file == "manifest.json"]
    assert manifest_problems
    assert manifest_problems[0].pointer == "/version"
    assert "9.9" in manifest_problems[0].message
    assert all("9.9" in problem.message for problem in report.problems)


def test_an_unknown_version_of_a_document_is_named(exports: Exports, tmp_path: Path) -> None:
    content = read_json(exports.document)
    content["version"] = "9.9"
    path = tmp_path / "document.json"
    write_json(path, content)
    problem = only_problem(validate(path))
    assert problem.pointer == "/version"
    assert "9.9" in problem.message


# ---------------------------------------------------------------------------
# ZIP archives are read in place, and only flat names are accepted.


@pytest.mark.parametrize("member", ["../evil.json", "dir/x.json"])
def test_a_zip_member_outside_the_archive_root_is_reported(
    exports: Exports, tmp_path: Path, member: str
) -> None:
    path = tmp_path / "archive" / "backup.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(exports.small.iterdir()):
            archive.write(file, file.name)
        archive.writestr(member, b'{"version": "1.1", "entity_type": "suppliers", "records": []}')
    report = validate(path)
    assert report.kind == "zip"
    problem = only_problem(report)
    assert problem.file == "backup.zip"
    assert member in problem.message
    assert not (tmp_path / "evil.json").exists()
    assert not (tmp_path / "archive" / "dir").exists()


def test_a_file_that_is_not_a_zip_archive_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "backup.zip"
    path.write_bytes(b"PK\x03\x04 but not really a zip archive")
    report = validate(path)
    assert not report.ok
    assert report.kind == "zip"
    assert report.problems[0].file == "backup.zip"
    assert "not a ZIP archive" in report.problems[0].message


# ---------------------------------------------------------------------------
# The report and its problems.


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-backup"
    with pytest.raises(UsageError, match="no-such-backup"):
        validate(missing)


def test_the_report_is_json_serialisable(backup: Path) -> None:
    def change(content: Content) -> None:
        content["records"][0]["name"] = 42
        content["records"][1]["supplier_type"] = "mail_order"

    edit(backup, "01_suppliers.json", change)
    report = validate(backup)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False
    assert data["kind"] == "directory"
    assert data["version"] == "1.1"
    assert data["files"] == len(SMALL)
    assert data["records"] == report.records
    assert data["source"] == str(backup)
    assert data["problems"] == [
        {
            "file": problem.file,
            "pointer": problem.pointer,
            "record": problem.record,
            "key": problem.key,
            "message": problem.message,
        }
        for problem in report.problems
    ]
    assert len(data["problems"]) == 2


def test_a_valid_report_is_json_serialisable(exports: Exports) -> None:
    data = json.loads(json.dumps(validate(exports.small).to_dict()))
    assert data["ok"] is True
    assert data["problems"] == []


def test_a_problem_reads_with_its_file_and_pointer(exports: Exports, tmp_path: Path) -> None:
    def change(rows: list[Content]) -> None:
        rows[2]["name"] = 42

    problem = only_problem(entity_file(exports, tmp_path, "01_suppliers.json", change))
    text = str(problem)
    assert "01_suppliers.json" in text
    assert "/records/2/name" in text
    assert problem.message in text
    assert problem.key is not None
    assert problem.key in text


def test_a_problem_without_a_record_reads_with_its_file() -> None:
    problem = Problem("manifest.json", "", "missing: a directory backup needs manifest.json")
    assert str(problem) == "manifest.json: missing: a directory backup needs manifest.json"
    assert Problem("x.json", "/a~1b", "m", 3, "k").to_dict() == {
        "file": "x.json",
        "pointer": "/a~1b",
        "record": 3,
        "key": "k",
        "message": "m",
    }


# ---------------------------------------------------------------------------
# What the review of this code found, kept found.


@pytest.fixture
def full(exports: Exports, tmp_path: Path) -> Path:
    """A copy of the full backup directory to tamper with."""
    return Path(shutil.copytree(exports.directory, tmp_path / "backup"))


def test_one_manifest_problem_does_not_switch_off_the_other_checks(full: Path) -> None:
    backup = full
    manifest = read_json(backup / "manifest.json")
    del manifest["source"]
    write_json(backup / "manifest.json", manifest)
    (backup / "05_finished_units.json").unlink()
    suppliers = backup / "01_suppliers.json"
    suppliers.write_bytes(suppliers.read_bytes().replace(b'"name": "', b'"name": "X', 1))
    report = validate(backup)
    messages = {(problem.file, problem.pointer): problem.message for problem in report.problems}
    assert ("manifest.json", "/source") in messages
    position = manifest_position(backup, "05_finished_units.json")
    assert "is missing" in messages["manifest.json", f"/files/{position}/filename"]
    position = manifest_position(backup, "01_suppliers.json")
    assert "checksum" in messages["manifest.json", f"/files/{position}/sha256"]


def test_manifest_order_numbers_names_and_dependencies_are_checked(full: Path) -> None:
    backup = full
    manifest = read_json(backup / "manifest.json")
    manifest["files"][2]["dependencies"] = ["inventory_depletions"]
    manifest["files"][3]["import_order"] = 99
    manifest["files"].reverse()
    write_json(backup / "manifest.json", manifest)
    report = validate(backup)
    assert not report.ok
    messages = [problem.message for problem in report.problems]
    assert "products depends on suppliers, ingredients" in messages
    assert "the import order of recipes is 4" in messages
    assert messages.count("files are not listed in import order") == 1


def test_a_wrong_manifest_entry_is_said_once_in_the_registrys_words(full: Path) -> None:
    backup = full
    manifest = read_json(backup / "manifest.json")
    manifest["files"][2]["dependencies"] = ["suppliers", "suppliers", "recipes"]
    manifest["files"][3]["import_order"] = 99
    manifest["files"].append(dict(manifest["files"][0]))
    write_json(backup / "manifest.json", manifest)
    said = [
        (problem.pointer, problem.message)
        for problem in validate(backup).problems
        if problem.file == "manifest.json"
    ]
    last = len(manifest["files"]) - 1
    assert said == [
        (f"/files/{last}", "file listed twice"),
        ("/files/2/dependencies", "products depends on suppliers, ingredients"),
        ("/files/3/import_order", "the import order of recipes is 4"),
        (f"/files/{last}", "files are not listed in import order"),
    ]


def test_rules_json_schema_cannot_say_are_checked_too(full: Path) -> None:
    backup = full

    def own_base(content: Content) -> None:
        record = content["records"][0]
        record["base_recipe_slug"] = record["slug"]
        record["components"] = [
            {
                "component_recipe_slug": "brownies",
                "quantity": "1.0000",
                "notes": None,
                "sort_order": 0,
            }
        ] * 2

    edit(backup, "04_recipes.json", own_base)
    report = validate(backup)
    slug = records(backup, "04_recipes.json")[0]["slug"]
    problem = at(report, "/records/0/base_recipe_slug")
    assert (problem.file, problem.record, problem.key) == ("04_recipes.json", 0, slug)
    assert "may not be the record's own slug" in problem.message
    assert "repeats component_recipe_slug 'brownies'" in at(report, "/records/0/components").message


def test_a_damaged_zip_member_is_a_problem_not_a_crash(exports: Exports, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.zip"
    data = bytearray(exports.zip.read_bytes())
    with zipfile.ZipFile(exports.zip) as archive:
        offset = archive.getinfo("01_suppliers.json").header_offset
    # The member's data follows its local header: 30 bytes, then its name and extra field.
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    data[start + 10] ^= 0xFF  # flips compressed bits: a bad CRC or a broken stream
    damaged.write_bytes(bytes(data))
    report = validate(damaged)
    problem = at(report, "")
    assert problem.file == "01_suppliers.json"
    assert "cannot be read from the archive" in problem.message


def test_json_nested_too_deeply_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    problem = only_problem(validate(path))
    assert "nested too deeply" in problem.message


def test_a_byte_order_mark_is_named(tmp_path: Path) -> None:
    """Windows editors add a BOM; the report says so, not "Expecting value"."""
    path = tmp_path / "document.json"
    path.write_bytes(b'\xef\xbb\xbf{"version": "1.1"}')
    (problem,) = validate(path).problems
    assert (problem.file, problem.pointer) == ("document.json", "")
    assert "begins with a byte order mark (BOM)" in problem.message
