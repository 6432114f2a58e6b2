"""Where an export may go: what --overwrite replaces, what it refuses, partials, storage errors."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bakery_io import dump_all, dump_history, engine_from_url, upgrade, validate
from bakery_io.errors import StorageError, UsageError

FORMS = ["backup", "backup.zip", "backup.json"]
SUPPLIERS = ["suppliers"]


@pytest.fixture(scope="module")
def engine(sample_dump: Path) -> Iterator[Engine]:
    """The shared scale-1 sample, read only."""
    engine = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    yield engine
    engine.dispose()


def snapshot(path: Path) -> dict[str, bytes | None]:
    """Everything under ``path`` (directories as None), to show it was left untouched."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {
        str(item.relative_to(path)): None if item.is_dir() else item.read_bytes()
        for item in sorted(path.rglob("*"))
    }


def names(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir())


# ---------------------------------------------------------------------------
# --overwrite replaces a bakery_io backup of the same kind, and nothing else.


def test_overwrite_refuses_a_folder_that_is_not_a_backup(engine: Engine, tmp_path: Path) -> None:
    thesis = tmp_path / "thesis"
    (thesis / "photos").mkdir(parents=True)
    (thesis / "thesis.txt").write_text("four years of work")
    (thesis / "photos" / "lab.jpg").write_bytes(b"\xff\xd8")
    before = snapshot(thesis)
    with pytest.raises(UsageError) as refused:
        dump_all(engine, thesis, entities=SUPPLIERS, overwrite=True)
    message = str(refused.value)
    assert f"{thesis} holds files that are not part of a bakery_io backup" in message
    assert "photos/, thesis.txt" in message
    assert "left untouched" in message
    assert snapshot(thesis) == before
    assert names(tmp_path) == ["thesis"]


def test_overwrite_refuses_a_backup_directory_holding_anything_else(
    engine: Engine, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    dump_all(engine, target, entities=SUPPLIERS)
    (target / "notes.txt").write_text("mine")
    before = snapshot(target)
    with pytest.raises(UsageError, match=r"not part of a bakery_io backup: notes\.txt"):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert snapshot(target) == before


def test_overwrite_refuses_a_directory_whose_manifest_is_not_bakery_ios(
    engine: Engine, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    target.mkdir()
    (target / "manifest.json").write_text('{"name": "my web app", "files": "*"}')
    with pytest.raises(UsageError, match="not a bakery_io manifest"):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert names(target) == ["manifest.json"]


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"precious", "not a ZIP archive"),
        ({"photo.jpg": b"\xff\xd8"}, "without manifest.json"),
        ({"manifest.json": b"[]"}, "not a bakery_io manifest"),
        (
            {
                "manifest.json": b'{"version": "1.1", "files": [{"filename": "01_s.json"}]}',
                "01_s.json": b"{}",
                "thesis.txt": b"mine",
            },
            "members that are not part of a bakery_io backup: thesis.txt",
        ),
    ],
    ids=["not-zip", "no-manifest", "other-manifest", "extra-member"],
)
def test_overwrite_refuses_a_zip_that_is_not_a_backup(
    engine: Engine, tmp_path: Path, content: bytes | dict[str, bytes], found: str
) -> None:
    target = tmp_path / "backup.zip"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        _zip(target, content)
    before = target.read_bytes()
    with pytest.raises(UsageError, match=found):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert target.read_bytes() == before
    assert names(tmp_path) == ["backup.zip"]


@pytest.mark.parametrize(
    "content",
    [
        b"null",
        b'{"thesis": "four years"}',
        b'{"version": "1.1"}',
        b'{"version": "1.1", "entity_type": "cakes", "records": []}',
        b'{"version": 1, "suppliers": []}',
        b'{"suppliers": [], "version": "1.1"}',
        b"\xff\xfe not text",
        b"",
    ],
)
def test_overwrite_refuses_a_json_file_that_is_not_a_backup(
    engine: Engine, tmp_path: Path, content: bytes
) -> None:
    target = tmp_path / "backup.json"
    target.write_bytes(content)
    with pytest.raises(UsageError, match=r"not a bakery_io \.json backup"):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert target.read_bytes() == content


@pytest.mark.parametrize("form", FORMS)
def test_overwrite_replaces_a_backup_of_the_same_kind_again_and_again(
    engine: Engine, tmp_path: Path, form: str
) -> None:
    target = tmp_path / form
    for _ in range(3):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
        assert validate(target).ok
    assert names(tmp_path) == [form]


def test_a_json_entity_file_and_a_document_replace_each_other(
    engine: Engine, tmp_path: Path, sample_dump: Path
) -> None:
    target = tmp_path / "suppliers.json"
    upgrade(sample_dump / "01_suppliers.json", target)  # a single entity file
    dump_all(engine, target, entities=SUPPLIERS, overwrite=True)  # a single document
    assert "exported_at" in json.loads(target.read_bytes())
    upgrade(sample_dump / "01_suppliers.json", target, overwrite=True)
    assert json.loads(target.read_bytes())["entity_type"] == "suppliers"


@pytest.mark.parametrize(
    ("existing", "form", "found"),
    [
        ("backup", "backup.zip", "is a directory"),
        ("backup", "backup.json", "is a directory"),
        ("backup.zip", "backup", "is a file, not a bakery_io backup directory"),
        ("backup.json", "backup", "is a file, not a bakery_io backup directory"),
    ],
)
def test_a_backup_of_another_kind_is_not_replaced(
    engine: Engine, tmp_path: Path, existing: str, form: str, found: str
) -> None:
    made = tmp_path / "made"
    made.mkdir()
    dump_all(engine, made / existing, entities=SUPPLIERS)
    target = tmp_path / form
    (made / existing).replace(target)  # a real backup, under a name that asks for another kind
    before = snapshot(target)
    with pytest.raises(UsageError, match=found):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert snapshot(target) == before


@pytest.mark.parametrize("form", ["backup.zip", "backup.json"])
def test_an_empty_directory_where_a_file_goes_is_refused(
    engine: Engine, tmp_path: Path, form: str
) -> None:
    (tmp_path / form).mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        dump_all(engine, tmp_path / form, entities=SUPPLIERS, overwrite=True)
    assert (tmp_path / form).is_dir()


def test_a_symbolic_link_is_not_replaced(engine: Engine, tmp_path: Path) -> None:
    real = tmp_path / "real"
    dump_all(engine, real, entities=SUPPLIERS)
    (tmp_path / "backup").symlink_to(real)
    with pytest.raises(UsageError, match="symbolic link"):
        dump_all(engine, tmp_path / "backup", entities=SUPPLIERS, overwrite=True)
    assert (tmp_path / "backup").is_symlink()


# ---------------------------------------------------------------------------
# Targets that are never replaced, and names that are not a directory's.


@pytest.mark.parametrize("target", [".", "..", "./", "sub/..", "../work"])
def test_the_working_directory_and_its_ancestors_are_never_replaced(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="working directory"):
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    assert snapshot(tmp_path) == before


def test_the_working_directory_is_refused_even_when_it_is_a_backup(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump_all(engine, tmp_path / "backup", entities=SUPPLIERS)
    monkeypatch.chdir(tmp_path / "backup")
    with pytest.raises(UsageError, match="working directory"):
        dump_all(engine, ".", entities=SUPPLIERS, overwrite=True)
    assert validate(tmp_path / "backup").ok


def test_the_root_is_never_replaced(engine: Engine) -> None:
    with pytest.raises(UsageError, match="root"):
        dump_all(engine, "/", entities=SUPPLIERS, overwrite=True)


@pytest.mark.parametrize("name", ["backup.tar.gz", "backup.tar", "notes.txt", "backup.ZIPX"])
def test_a_directory_backup_under_a_file_name_is_refused(
    engine: Engine, tmp_path: Path, name: str
) -> None:
    with pytest.raises(
        UsageError, match=r"use a directory name, or end the name in \.zip or \.json"
    ):
        dump_all(engine, tmp_path / name, entities=SUPPLIERS)
    assert names(tmp_path) == []


def test_names_with_digits_after_a_dot_are_directories(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "backup-2026.12.03"
    dump_all(engine, target, entities=SUPPLIERS)
    assert (target / "manifest.json").is_file()


def test_a_backup_directory_under_a_file_name_may_be_replaced(
    engine: Engine, tmp_path: Path
) -> None:
    dump_all(engine, tmp_path / "backup", entities=SUPPLIERS)
    (tmp_path / "backup").replace(tmp_path / "backup.old")
    dump_all(engine, tmp_path / "backup.old", entities=SUPPLIERS, overwrite=True)
    assert validate(tmp_path / "backup.old").ok


# ---------------------------------------------------------------------------
# Partials of exports that were killed.


@pytest.mark.parametrize("form", FORMS)
def test_stale_partials_of_the_target_are_removed_and_logged(
    engine: Engine, tmp_path: Path, form: str, caplog: pytest.LogCaptureFixture
) -> None:
    stale_dir = tmp_path / f".{form}.0123456789ab.partial"
    stale_dir.mkdir()
    (stale_dir / "01_suppliers.json").write_text("[")
    stale_file = tmp_path / f".{form}.ba9876543210.partial"
    stale_file.write_bytes(b"PK")
    others = [
        f".{form}.0123456789ab.partial.keep",
        f".{form}.0123456789AB.partial",
        f".{form}.12345.partial",
        ".other.0123456789ab.partial",
        f"{form}.0123456789ab.partial",
    ]
    for other in others:
        (tmp_path / other).write_text("not ours")
    with caplog.at_level(logging.INFO, logger="bakery_io.partials"):
        dump_all(engine, tmp_path / form, entities=SUPPLIERS)
    assert names(tmp_path) == sorted([form, *others])
    removed = [record.getMessage() for record in caplog.records if "removed" in record.getMessage()]
    assert len(removed) == 2
    assert any(str(stale_dir) in message for message in removed)


def test_a_partial_a_live_export_holds_is_left_alone(engine: Engine, tmp_path: Path) -> None:
    live = tmp_path / ".backup.0123456789ab.partial"
    live.mkdir()
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the export building it holds it
        dump_all(engine, tmp_path / "backup", entities=SUPPLIERS)
        assert live.is_dir()
    finally:
        os.close(fd)
    dump_all(engine, tmp_path / "backup", entities=SUPPLIERS, overwrite=True)
    assert names(tmp_path) == ["backup"]


def test_a_backup_moved_aside_by_a_killed_export_is_reported_not_removed(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = tmp_path / ".backup.0123456789ab.old"
    dump_all(engine, tmp_path / "made", entities=SUPPLIERS)
    (tmp_path / "made").replace(old)
    with caplog.at_level(logging.WARNING, logger="bakery_io.partials"):
        dump_all(engine, tmp_path / "backup", entities=SUPPLIERS)
    assert validate(old).ok
    assert str(old) in caplog.text


# ---------------------------------------------------------------------------
# What the file system refuses becomes a StorageError naming the path.


def _disk_full(*_: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("form", FORMS)
def test_a_full_disk_is_a_storage_error_and_keeps_the_old_backup(
    engine: Engine, tmp_path: Path, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / form
    dump_all(engine, target, entities=SUPPLIERS)
    before = snapshot(target)
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(StorageError) as refused:
        dump_all(engine, target, entities=SUPPLIERS, overwrite=True)
    monkeypatch.undo()
    assert refused.value.path == str(target)
    assert refused.value.reason == "No space left on device"
    assert str(target) in str(refused.value)
    assert isinstance(refused.value.__cause__, OSError)
    assert snapshot(target) == before
    assert names(tmp_path) == [form]


def test_a_full_disk_in_history_and_upgrade_is_a_storage_error(
    engine: Engine, tmp_path: Path, sample_dump: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(StorageError, match="No space left on device"):
        dump_history(engine, tmp_path / "history.json")
    with pytest.raises(StorageError, match="No space left on device"):
        upgrade(sample_dump, tmp_path / "upgraded.zip")
    assert names(tmp_path) == []


def test_a_directory_where_nothing_can_be_created_is_a_storage_error(engine: Engine) -> None:
    proc = Path("/proc")
    if not (proc / "self").is_dir():
        pytest.skip("needs Linux's /proc, where no file can be created")
    target = proc / "bakery-io-backup.zip"
    with pytest.raises(StorageError) as refused:
        dump_all(engine, target, entities=SUPPLIERS)
    assert refused.value.path == str(target)
    assert refused.value.reason == "No such file or directory"


def test_a_working_directory_that_was_removed_is_a_storage_error(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(StorageError, match="No such file or directory"):
        dump_all(engine, "backup", entities=SUPPLIERS)
