"""Faults: kill -9 during an export or an import, and a disk that fails during dump_all."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

import bakery_io
from bakery_io import StorageError, dump_all, engine_from_url, generate_sample
from tests.hostile.invariants import snapshot

#: A child that runs the CLI once bakery_io is imported, saying so first, so that the
#: delays before kill -9 fall in the work, not in Python's start.
_CHILD = (
    "import sys\n"
    "from bakery_io.cli import main\n"
    "print('ready', flush=True)\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
#: Where in the work (as a fraction of an uninterrupted run's time) the kill falls.
FRACTIONS = (0.3, 0.8)


@pytest.fixture(scope="session")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the scale-1 sample: copy it, never change it."""
    path = tmp_path_factory.mktemp("sampled") / "sampled.db"
    engine = engine_from_url(f"sqlite:///{path}")
    generate_sample(engine, scale=1, seed=5)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sample_backup(sampled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scale-1 sample as a backup directory."""
    target = tmp_path_factory.mktemp("sampled-backup") / "backup"
    engine = engine_from_url(f"sqlite:///{sampled}")
    dump_all(engine, target)
    engine.dispose()
    return target


def _start(*args: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"
    return child


def _timed(*args: str) -> float:
    """Seconds an uninterrupted run takes once bakery_io is imported; it must succeed."""
    child = _start(*args)
    began = time.monotonic()
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    return time.monotonic() - began


@pytest.fixture(scope="session")
def work_times(
    sampled: Path, sample_backup: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    """How long an export and an import of the scale-1 sample take, uninterrupted."""
    directory = tmp_path_factory.mktemp("timing")
    return {
        "export": _timed("export", "--db", f"sqlite:///{sampled}", str(directory / "backup")),
        "import": _timed("import", "--db", f"sqlite:///{directory / 'new.db'}", str(sample_backup)),
    }


def _killed(delay: float, *args: str) -> bool:
    """Run, kill -9 after ``delay`` seconds of work; True when it was killed (not done)."""
    child = _start(*args)
    time.sleep(delay)
    done = child.poll() is not None
    if not done:
        child.send_signal(signal.SIGKILL)
    child.communicate(timeout=60)
    return not done


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _partials(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir() if entry.name.endswith(".partial"))


def test_kill_9_during_export_leaves_no_half_backup(
    sampled: Path, sample_backup: Path, work_times: dict[str, float], tmp_path: Path
) -> None:
    """After kill -9 the target is absent or a complete backup, the database is as it
    was, and a re-run succeeds and leaves no stale partial files behind."""
    source = tmp_path / "source.db"
    shutil.copyfile(sampled, source)
    url = f"sqlite:///{source}"
    engine = engine_from_url(url)
    before = snapshot(engine)
    engine.dispose()
    manifest_total = bakery_io.validate(sample_backup).records
    work = work_times["export"]
    # A directory, then a ZIP archive (each kill costs a run: two of them in all).
    kills = []
    for number, (fraction, suffix) in enumerate(zip(FRACTIONS, ["", ".zip"], strict=True)):
        target = tmp_path / f"backup-{number}{suffix}"
        kills.append(_killed(work * fraction, "export", "--db", url, str(target)))
        if target.exists():
            report = bakery_io.validate(target)
            assert report.ok, f"a killed export left a broken backup: {report.problems[:3]}"
            assert report.records == manifest_total
        engine = engine_from_url(url)
        assert snapshot(engine) == before, "a killed export changed the database"
        engine.dispose()
    assert any(kills), "every export was done before its kill: nothing was tested"
    # A partial belongs to its target: the next export to each target removes its own.
    said = ""
    for target in (tmp_path / "backup-0", tmp_path / "backup-1.zip"):
        rerun = subprocess.run(
            [sys.executable, "-m", "bakery_io", "export", "--overwrite", "--db", url, str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert bakery_io.validate(target).ok
        said += rerun.stdout + rerun.stderr
    leftover = _partials(tmp_path)
    assert not leftover or "partial" in said, (
        f"partial files of killed exports left behind, unreported: {leftover}"
    )


def _tables(path: Path) -> list[str]:
    engine = engine_from_url(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def _counts(path: Path) -> dict[str, int]:
    engine = engine_from_url(f"sqlite:///{path}")
    try:
        return {table: len(rows) for table, rows in snapshot(engine).items()}
    finally:
        engine.dispose()


def test_kill_9_during_import_leaves_the_database_as_it_was(
    sample_backup: Path, occupied_template: Path, work_times: dict[str, float], tmp_path: Path
) -> None:
    """Killed early into a new SQLite file: no bakery_io tables (or no file). Killed late
    into a database holding rows: exactly those rows. Either may have been killed after
    its commit, with everything loaded: never anything in between. A re-run then loads
    everything."""
    work = work_times["import"]
    complete = tmp_path / "complete.db"
    shutil.copyfile(occupied_template, complete)
    engine = engine_from_url(f"sqlite:///{complete}")
    bakery_io.load_all(engine, sample_backup)
    engine.dispose()
    loaded = _counts(complete)
    held = _counts(occupied_template)
    loaded_new = {table: loaded[table] - held[table] for table in loaded}

    new = tmp_path / "new.db"
    early = _killed(work * FRACTIONS[0], "import", "--db", f"sqlite:///{new}", str(sample_backup))
    if early and new.exists() and _tables(new):
        assert _counts(new) == loaded_new, "a killed import left a part of a load in a new file"
    occupied = tmp_path / "occupied.db"
    shutil.copyfile(occupied_template, occupied)
    engine = engine_from_url(f"sqlite:///{occupied}")
    before = snapshot(engine)
    engine.dispose()
    late = _killed(
        work * FRACTIONS[1], "import", "--db", f"sqlite:///{occupied}", str(sample_backup)
    )
    if late:
        engine = engine_from_url(f"sqlite:///{occupied}")
        after = snapshot(engine)
        engine.dispose()
        if after != before:
            counts = {table: len(rows) for table, rows in after.items()}
            assert counts == loaded, "a killed import left a part of a load in the database"
    assert early or late, "every import was done before its kill: nothing was tested"
    rerun = subprocess.run(
        [
            sys.executable,
            "-m",
            "bakery_io",
            "import",
            "--db",
            f"sqlite:///{new}",
            str(sample_backup),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(new) == loaded_new


def _full_disk(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _state(target: Path) -> dict[str, str]:
    if target.is_dir():
        return {entry.name: _digest(entry) for entry in sorted(target.iterdir())}
    return {target.name: _digest(target)}


@pytest.mark.parametrize("suffix", ["", ".zip", ".json"])
def test_a_full_disk_during_dump_all_is_a_storage_error_and_keeps_the_old_backup(
    suffix: str, pristine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fsync (and write) failing with ENOSPC: StorageError naming the path; the old
    backup is as it was (or, if the failure came after the new one was in place, the
    new one is complete); no partial file is left."""
    target = tmp_path / f"backup{suffix}"
    engine = engine_from_url(pristine_url)
    try:
        dump_all(engine, target)
        old = _state(target)
        monkeypatch.setattr(os, "fsync", _full_disk)
        monkeypatch.setattr(os, "write", _full_disk)
        with pytest.raises(StorageError) as caught:
            dump_all(engine, target, overwrite=True)
    finally:
        monkeypatch.undo()
        engine.dispose()
    assert str(target.name) in str(caught.value) or target.name in caught.value.path, (
        f"the error does not name the backup's path: {caught.value}"
    )
    assert caught.value.reason
    if _state(target) != old:
        assert bakery_io.validate(target).ok, "a failing disk left a half backup in place"
    assert _partials(tmp_path) == []


def test_a_file_size_limit_during_export_is_a_storage_error(
    pristine_url: str, tmp_path: Path
) -> None:
    """Real writes failing (RLIMIT_FSIZE, as a full disk would, EFBIG) in a child process:
    the CLI says so in one line, exit 1, and leaves nothing behind."""
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from bakery_io.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    target = tmp_path / "backup"
    child = subprocess.run(
        [sys.executable, "-c", script, "export", "--db", pristine_url, str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert child.returncode == 1, child.stderr
    assert "Traceback" not in child.stderr, child.stderr
    assert str(target.name) in child.stderr
    assert not target.exists()
    assert _partials(tmp_path) == []
