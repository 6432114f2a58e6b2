"""Progress: the events every long job emits, and the bars the command line draws from them."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from bakery_io import (
    Progress,
    SourceError,
    create_schema,
    dump_all,
    dump_history,
    engine_from_url,
    generate_sample,
    load_all,
    upgrade,
    validate,
)
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import metadata
from bakery_io.cli import main
from bakery_io.cli.progress import ProgressDisplay, closing_line
from bakery_io.progress import Tracker

GOLDEN_1_0 = Path(__file__).parent / "golden" / "1.0" / "full-backup" / "input"


@dataclass
class Sample:
    engine: Engine
    url: str
    events: list[Progress]
    rows: int


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    url = f"sqlite:///{tmp_path_factory.mktemp('progress') / 'sample.db'}"
    engine = engine_from_url(url)
    events: list[Progress] = []
    report = generate_sample(engine, scale=1, progress=events.append)
    yield Sample(engine, url, events, report.total)
    engine.dispose()


@pytest.fixture(scope="module")
def backup(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "backup.zip"
    dump_all(sample.engine, path)
    return path


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Engine]:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'empty.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


def steps(events: list[Progress], job: str) -> list[tuple[str, int | None, int]]:
    """Check the events of one job: each step starts at 0, never goes back, ends with its
    one ``finished`` event; returns (step, total, done at its end) of each step."""
    assert events
    assert {event.job for event in events} == {job}
    found: list[tuple[str, int | None, int]] = []
    current: list[Progress] = []
    for event in events:
        current.append(event)
        if event.finished:
            first = current[0]
            assert first.done == 0
            assert all(e.step == first.step and e.total == first.total for e in current)
            assert [e.done for e in current] == sorted(e.done for e in current)
            assert not any(e.finished for e in current[:-1])
            found.append((first.step, first.total, event.done))
            current = []
    assert current == [], "a step did not finish"
    return found


# ---------------------------------------------------------------------------
# The events of each job.


def test_the_sample_generator_counts_every_row(sample: Sample) -> None:
    assert steps(sample.events, "sample") == [("generating", None, sample.rows)]
    assert {event.unit for event in sample.events} == {"rows"}


@pytest.mark.parametrize("form", ["backup", "backup.zip", "backup.json"])
def test_an_export_counts_what_it_writes(sample: Sample, tmp_path: Path, form: str) -> None:
    events: list[Progress] = []
    manifest = dump_all(sample.engine, tmp_path / form, progress=events.append)
    total = manifest.record_count
    assert steps(events, "export") == [("writing", total, total)]
    named = [event.entity_type for event in events if event.entity_type]
    assert list(dict.fromkeys(named)) == [entry.entity_type for entry in manifest.files]


def test_a_history_export_counts_its_runs(sample: Sample, tmp_path: Path) -> None:
    events: list[Progress] = []
    manifest = dump_history(sample.engine, tmp_path / "history.json", progress=events.append)
    total = manifest.record_count
    assert total > 0
    assert steps(events, "export") == [("writing", total, total)]


def test_validate_counts_the_records_it_checks(backup: Path) -> None:
    events: list[Progress] = []
    report = validate(backup, progress=events.append)
    assert steps(events, "validate") == [("checking", report.records, report.records)]
    # Each entity type is named while its file is checked.
    named = {event.entity_type for event in events} - {None}
    with zipfile.ZipFile(backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert named == {entry["entity_type"] for entry in manifest["files"] if entry["record_count"]}


def test_an_import_of_a_sound_backup_loads_in_one_step(backup: Path, empty: Engine) -> None:
    events: list[Progress] = []
    report = load_all(empty, backup, progress=events.append)
    total = report.total.total
    assert steps(events, "import") == [("loading", total, total)]


def test_an_import_of_a_document_checks_then_writes(
    sample: Sample, empty: Engine, tmp_path: Path
) -> None:
    document = tmp_path / "backup.json"
    dump_all(sample.engine, document)
    events: list[Progress] = []
    report = load_all(empty, document, progress=events.append)
    total = report.total.total
    assert steps(events, "import") == [("checking", total, total), ("writing", total, total)]


def test_an_import_the_single_pass_doubts_ends_that_step_and_checks_in_full(
    backup: Path, empty: Engine
) -> None:
    load_all(empty, backup)
    suppliers = metadata.tables["suppliers"]
    with empty.begin() as connection:
        connection.execute(update(suppliers).values(name=suppliers.c.name + " (old)"))
    events: list[Progress] = []
    # The single pass doubts at the first update: it is checked in full, in two passes.
    report = load_all(empty, backup, on_conflict="update", progress=events.append)
    assert report.total.updated > 0
    total = report.total.total
    found = steps(events, "import")
    assert [step for step, _total, _done in found] == ["loading", "checking", "writing"]
    assert found[0][2] < total  # where the single pass stood when it doubted
    assert found[1:] == [("checking", total, total), ("writing", total, total)]


def test_an_import_of_an_older_version_checks_then_writes(empty: Engine) -> None:
    # No "loading" step that did nothing: the single pass is not begun for format 1.0.
    events: list[Progress] = []
    report = load_all(empty, GOLDEN_1_0, progress=events.append)
    total = report.total.total
    assert steps(events, "import") == [("checking", total, total), ("writing", total, total)]


def test_an_upgrade_checks_then_writes(tmp_path: Path) -> None:
    events: list[Progress] = []
    report = upgrade(GOLDEN_1_0, tmp_path / "upgraded", progress=events.append)
    assert steps(events, "upgrade") == [
        ("checking", report.records, report.records),
        ("writing", report.records, report.records),
    ]


# ---------------------------------------------------------------------------
# A callback that fails.


class StopError(Exception):
    """What a caller's callback raises to stop a job."""


@pytest.mark.parametrize("form", ["backup.zip", "backup.json"])
def test_a_failing_callback_aborts_the_import_and_nothing_is_kept(
    sample: Sample, empty: Engine, tmp_path: Path, form: str
) -> None:
    source = tmp_path / form
    dump_all(sample.engine, source)
    stopped: list[Progress] = []

    def progress(event: Progress) -> None:
        stopped.append(event)
        if event.entity_type == "purchases":  # after suppliers ... products are written
            raise StopError("enough")

    with pytest.raises(StopError, match="enough"):
        load_all(empty, source, progress=progress)
    assert stopped[-1].entity_type == "purchases"
    with empty.connect() as connection:
        assert set(count_rows(connection).values()) == {0}


def test_a_failing_callback_aborts_validate_and_export(
    sample: Sample, backup: Path, tmp_path: Path
) -> None:
    def progress(event: Progress) -> None:
        if event.entity_type == "purchases":
            raise StopError

    with pytest.raises(StopError):
        validate(backup, progress=progress)
    with pytest.raises(StopError):
        dump_all(sample.engine, tmp_path / "out.zip", progress=progress)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_import_ends_its_events_unfinished(empty: Engine, tmp_path: Path) -> None:
    # A source the check refuses raises SourceError; no step claims to have finished writing.
    document = tmp_path / "bad.json"
    document.write_text('{"version": "1.1", "suppliers": [{"slug": 5}]}', encoding="utf-8")
    events: list[Progress] = []
    with pytest.raises(SourceError):
        load_all(empty, document, progress=events.append)
    assert "writing" not in {event.step for event in events}


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04 then nothing"])
def test_a_damaged_zip_is_refused_the_same_with_progress(
    empty: Engine, tmp_path: Path, content: bytes
) -> None:
    """Progress reads the manifest for its total: an archive that could not be opened must
    not fail there, but as it does without progress."""
    archive = tmp_path / "damaged.zip"
    archive.write_bytes(content)
    with pytest.raises(SourceError) as without:
        load_all(empty, archive)
    with pytest.raises(SourceError) as with_progress:
        load_all(empty, archive, progress=lambda _event: None)
    assert with_progress.value.problems == without.value.problems


# ---------------------------------------------------------------------------
# The tracker.


def test_the_tracker_throttles_chunks_but_not_steps_or_entity_types() -> None:
    events: list[Progress] = []
    tracker = Tracker(events.append, "export", interval=3600)
    tracker.start("writing", 30)
    for name in ("a", "a", "b", "b", "b"):
        tracker.advance(6, name)
    tracker.finish()
    assert [(e.entity_type, e.done, e.finished) for e in events] == [
        (None, 0, False),
        ("a", 6, False),
        ("b", 18, False),
        ("b", 30, True),
    ]


def test_a_new_step_finishes_the_one_before_and_without_a_callback_nothing_happens() -> None:
    events: list[Progress] = []
    tracker = Tracker(events.append, "import", interval=0)
    tracker.start("loading", 10)
    tracker.advance(4, "suppliers")
    tracker.start("checking", 10)
    assert [(e.step, e.done, e.finished) for e in events] == [
        ("loading", 0, False),
        ("loading", 4, False),
        ("loading", 4, True),
        ("checking", 0, False),
    ]
    silent = Tracker(None, "import")
    assert not silent.active
    silent.start("loading", 10)
    assert list(silent.counted(range(3), "x", 2)) == [0, 1, 2]
    assert list(silent.chunked([[1, 2]], "x")) == [[1, 2]]


def test_counted_and_chunked_report_what_was_consumed() -> None:
    events: list[Progress] = []
    tracker = Tracker(events.append, "import", interval=0)
    tracker.start("writing", 7)
    assert list(tracker.counted(range(5), "a", 2)) == list(range(5))
    assert list(tracker.chunked([[1], [2]], "b")) == [[1], [2]]
    tracker.finish()
    assert [(e.entity_type, e.done) for e in events] == [
        (None, 0),
        ("a", 0),
        ("a", 2),
        ("a", 4),
        ("a", 5),
        ("b", 5),
        ("b", 6),
        ("b", 7),
        ("b", 7),
    ]
    assert events[-1].fraction == 1.0


# ---------------------------------------------------------------------------
# The command line.


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_display_draws_clears_and_closes_on_a_terminal(tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    backup.write_bytes(b"x" * 2_500)
    terminal = FakeTerminal()
    with ProgressDisplay("import", backup=backup, stream=terminal) as progress:
        assert progress is not None
        progress(Progress("import", "loading", None, 0, 200))
        progress(Progress("import", "loading", "suppliers", 100, 200))
        progress(Progress("import", "loading", "suppliers", 200, 200, finished=True))
    drawn = terminal.getvalue()
    assert "loading suppliers" in drawn
    assert "100/200" in drawn
    assert "50%" in drawn
    assert "records/s" in drawn
    last = drawn.split("\r")[-1]
    assert last.startswith("import: 200 records, 2.5 kB backup, in ")
    assert last.endswith(" s\n")
    assert last.count("\n") == 1


def test_the_display_is_silent_off_a_terminal_and_with_json() -> None:
    pipe, terminal = io.StringIO(), FakeTerminal()
    with ProgressDisplay("export", stream=pipe) as progress:
        assert progress is None
    with ProgressDisplay("export", quiet=True, stream=terminal) as progress:
        assert progress is None
    assert pipe.getvalue() == terminal.getvalue() == ""


def test_no_closing_line_after_a_failure() -> None:
    terminal = FakeTerminal()

    def fail() -> None:
        with ProgressDisplay("import", stream=terminal) as progress:
            assert progress is not None
            progress(Progress("import", "loading", "suppliers", 0, 10))
            raise StopError

    with pytest.raises(StopError):
        fail()
    drawn = terminal.getvalue()
    assert "loading suppliers" in drawn
    assert "import:" not in drawn


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, ""), (999, ", 999 bytes backup"), (34_600_000, ", 34.6 MB backup")],
)
def test_the_closing_line(size: int | None, shown: str) -> None:
    last = Progress("import", "loading", None, 50_108, 50_108, finished=True)
    assert closing_line("import", last, size, 7.46) == f"import: 50,108 records{shown}, in 7.5 s"


def test_the_command_prints_nothing_more_when_not_on_a_terminal(
    backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(backup)]) == 0
    out, err = capsys.readouterr()
    assert "valid" in out
    assert err == ""


def test_the_command_draws_on_a_pseudo_terminal(backup: Path) -> None:
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "bakery_io", "validate", str(backup)],
            stdout=subprocess.PIPE,
            stderr=follower,
        ) as command:
            os.close(follower)
            drawn = b""
            while chunk := _read(leader):  # as it runs: a full terminal would block it
                drawn += chunk
            out = command.stdout.read() if command.stdout else b""
    finally:
        os.close(leader)
    assert command.returncode == 0
    text = drawn.decode()
    assert "checking" in text
    assert "%|" in text
    assert "records/s" in text
    closing = text.replace("\r\n", "\n").split("\r")[-1]
    assert closing.startswith("validate: ")
    assert " records, " in closing
    assert " backup, in " in closing
    assert b"valid" in out
    assert b"%|" not in out


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # Linux: the other end is closed
        return b""
