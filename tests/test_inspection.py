"""inspect_backup and ``bakery-io inspect``: what a backup holds, checksums verified,
without a database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bakery_io import BackupSummary, inspect_backup
from bakery_io.cli import main

GOLDEN_10 = Path(__file__).parent / "golden" / "1.0"


@pytest.fixture(scope="module")
def backups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scale-0 sample exported as a ZIP, a directory, a document and a partial directory."""
    directory = tmp_path_factory.mktemp("inspect")
    url = f"sqlite:///{directory / 'bakery.db'}"
    assert main(["sample-db", "--db", url, "--scale", "0"]) == 0
    for target in ("backup.zip", "backup", "backup.json"):
        assert main(["export", "--db", url, str(directory / target)]) == 0
    partial = ["export", "--db", url, str(directory / "partial"), "--entities", "recipes"]
    assert main([*partial, "--entities", "ingredients"]) == 0
    return directory


@pytest.mark.parametrize(("name", "kind"), [("backup.zip", "zip"), ("backup", "directory")])
def test_a_full_backup_is_listed_with_every_checksum_verified(
    backups: Path, name: str, kind: str
) -> None:
    summary = inspect_backup(backups / name)
    assert isinstance(summary, BackupSummary)
    assert (summary.kind, summary.version, summary.ok, summary.partial) == (
        kind,
        "1.1",
        True,
        False,
    )
    assert summary.producer is not None
    assert summary.producer.startswith("bakery_io ")
    assert summary.exported_at is not None
    assert len(summary.files) == 21
    assert {entry.checksum for entry in summary.files} == {"ok"}
    manifest = json.loads((backups / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert {entry.entity_type: entry.records for entry in summary.files} == {
        entry["entity_type"]: entry["record_count"] for entry in manifest["files"]
    }
    assert summary.records == sum(entry["record_count"] for entry in manifest["files"])


def test_a_partial_backup_says_which_types_it_lacks(backups: Path) -> None:
    summary = inspect_backup(backups / "partial")
    assert [entry.entity_type for entry in summary.files] == ["ingredients", "recipes"]
    assert summary.partial
    assert "suppliers" in summary.missing
    assert "recipes" not in summary.missing


def test_a_document_has_counts_and_no_checksums(backups: Path) -> None:
    summary = inspect_backup(backups / "backup.json")
    assert summary.kind == "document"
    assert summary.ok
    assert {entry.checksum for entry in summary.files} == {"none"}
    assert summary.records == inspect_backup(backups / "backup.zip").records


def test_legacy_files_are_inspected_as_they_are() -> None:
    backup = inspect_backup(GOLDEN_10 / "full-backup" / "input")
    assert (backup.version, backup.producer) == ("1.0", "BakePlanner 2.4.1 (legacy export)")
    assert backup.ok
    entity_file = inspect_backup(GOLDEN_10 / "entity-file" / "input.json")
    assert (entity_file.kind, entity_file.partial) == ("entity file", False)
    assert [entry.entity_type for entry in entity_file.files] == ["event_recipient_packages"]


def test_a_changed_or_missing_file_is_reported(backups: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup"
    shutil.copytree(backups / "backup", copy)
    changed = copy / "02_ingredients.json"
    changed.write_bytes(changed.read_bytes().replace(b'"slug": "', b'"slug": "x', 1))
    (copy / "04_recipes.json").unlink()
    (copy / "99_extra.json").write_text(
        '{"version": "1.1", "entity_type": "suppliers", "records": []}', encoding="utf-8"
    )
    summary = inspect_backup(copy)
    checksums = {entry.filename: entry.checksum for entry in summary.files}
    assert checksums["02_ingredients.json"] == "mismatch"
    assert checksums["04_recipes.json"] == "missing"
    assert checksums["99_extra.json"] == "unlisted"
    assert checksums["01_suppliers.json"] == "ok"
    assert not summary.ok
    assert {problem.file for problem in summary.problems} == {
        "02_ingredients.json",
        "04_recipes.json",
        "99_extra.json",
    }


def test_a_damaged_zip_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    summary = inspect_backup(damaged)
    assert not summary.ok
    assert summary.problems


def test_the_command_lists_the_backup(capsys: pytest.CaptureFixture[str], backups: Path) -> None:
    assert main(["inspect", str(backups / "partial")]) == 0
    out = capsys.readouterr().out
    assert "directory, format 1.1, written by bakery_io" in out
    assert "04_recipes.json" in out
    assert "checksum ok" in out
    assert "(partial backup, 19 entity types not held)" in out
    assert "2 checksums verified" in out


def test_the_command_as_json_on_success_and_failure(
    capsys: pytest.CaptureFixture[str], backups: Path, tmp_path: Path
) -> None:
    assert main(["inspect", str(backups / "backup.zip"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["ok"], document["command"], document["kind"]) == (True, "inspect", "zip")
    assert document["verified"] is True
    assert len(document["files"]) == 21
    copy = tmp_path / "backup"
    shutil.copytree(backups / "backup", copy)
    (copy / "04_recipes.json").write_text("{}", encoding="utf-8")
    assert main(["inspect", str(copy), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    assert document["error"]["kind"] == "source"
    assert [problem["file"] for problem in document["problems"]] == ["04_recipes.json"]


def test_a_source_that_does_not_exist_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["inspect", str(tmp_path / "nothing.zip"), "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["kind"] == "usage"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [({"files": 5}, "/files"), ({"files": None}, "/files"), ({"extensions": 7}, None)],
)
def test_a_malformed_manifest_is_a_problem_not_a_crash(
    backups: Path, tmp_path: Path, change: dict[str, object], pointer: str | None
) -> None:
    target = tmp_path / "backup"
    shutil.copytree(backups / "backup", target)
    manifest = target / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text("utf-8")), **change}))
    summary = inspect_backup(target)
    if pointer is not None:
        assert not summary.ok
        assert ("manifest.json", pointer) in {(p.file, p.pointer) for p in summary.problems}


def test_what_is_no_backup_is_not_called_one(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "other.json").write_text('{"foo": 1}', encoding="utf-8")
    for source in (tmp_path / "empty", tmp_path / "other.json"):
        summary = inspect_backup(source)
        assert not summary.ok
        assert not summary.to_dict()["verified"]
        assert any("not a backup" in problem.message for problem in summary.problems)


def test_verified_means_checksums_were_verified(backups: Path) -> None:
    assert inspect_backup(backups / "backup.zip").to_dict()["verified"] is True
    document = inspect_backup(backups / "backup.json")
    assert (document.ok, document.to_dict()["verified"]) == (True, False)
