"""The command line under signals, closed pipes and bugs: an exit code and one line, never a
traceback, and nothing half written. Real signals go to real processes where the test needs
one; the rest runs in-process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine.base import RootTransaction

import bakery_io.cli.commands
from bakery_io import dump_all, engine_from_url, partials, validate
from bakery_io.binding.database import count_rows
from bakery_io.cli import main
from bakery_io.cli.running import _Stopped, _stopping_on_signals
from bakery_io.errors import UsageError
from tests.conftest import database_url

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

COMMAND = [sys.executable, "-m", "bakery_io"]


def _hidden(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".partial"))


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _when_building(process: subprocess.Popen[str], directory: Path) -> None:
    """Wait until ``process`` has a partial in ``directory``, then stop it there (SIGSTOP),
    so that a signal sent next lands while it writes."""
    deadline = time.monotonic() + 60
    while not _hidden(directory):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the process never started writing"
        time.sleep(0.001)
    process.send_signal(signal.SIGSTOP)


def test_a_signal_during_an_export_exits_with_one_line_and_leaves_nothing(
    sample_dump: Path, tmp_path: Path
) -> None:
    database = sample_dump.parent / "sample.db"
    cases = [
        (signal.SIGINT, 130, "interrupted; nothing was written"),
        (signal.SIGTERM, 143, "stopped by SIGTERM; nothing was written"),
    ]
    for signum, code, said in cases:
        # One at a time: a second export started beside the first could finish while
        # the first is being stopped.
        directory = tmp_path / signal.Signals(signum).name
        directory.mkdir()
        args = ["export", "--db", f"sqlite:///{database}", "backup.zip"]
        process = _start(args, directory)
        _when_building(process, directory)
        process.send_signal(signum)
        process.send_signal(signal.SIGCONT)
        out, err = process.communicate(timeout=60)
        assert (process.returncode, out) == (code, "")
        assert err == f"bakery-io export: {said}\n"
        assert os.listdir(directory) == []  # no backup, no partial


def _rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in tables
            if not name.startswith("sqlite_")
        }


def test_kill_9_during_an_import_into_a_new_sqlite_file_leaves_no_tables(
    sample_dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    complete = _rows(sample_dump.parent / "sample.db")
    delays = [0.0, 0.1, 0.4]  # after the import's hidden database file appears
    runs = []
    for number, _ in enumerate(delays):
        directory = tmp_path / str(number)
        directory.mkdir()
        args = ["import", "--db", f"sqlite:///{directory / 'new.db'}", str(sample_dump)]
        runs.append((directory, _start(args, directory)))  # all at once: one start-up's time
    for (directory, process), delay in zip(runs, delays, strict=True):
        deadline = time.monotonic() + 60
        while not os.listdir(directory) and process.poll() is None:  # it began to write
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=60)
    landed = 0
    for directory, process in runs:
        target = directory / "new.db"
        done = target.exists() and _rows(target) == complete
        # Absent, or complete (the kill came after the import was done): never half.
        assert done or not target.exists(), _rows(target)
        landed += process.returncode == -signal.SIGKILL and not done
    assert landed  # the kills did land during imports
    # Importing again works, and removes what the killed import left.
    directory = runs[0][0]
    url = f"sqlite:///{directory / 'new.db'}"
    assert main(["import", "--db", url, str(sample_dump)]) == 0, capsys.readouterr().err
    assert _rows(directory / "new.db") == complete
    assert os.listdir(directory) == ["new.db"]


def test_a_closed_pipe_ends_quietly_with_exit_141(tmp_path: Path) -> None:
    records = [{"slug": f"s{index}", "name": index} for index in range(3000)]
    source = tmp_path / "suppliers.json"
    document = {"version": "1.1", "entity_type": "suppliers", "records": records}
    source.write_text(json.dumps(document), encoding="utf-8")
    process = _start(["validate", "--limit", "0", str(source)], tmp_path)
    assert process.stdout is not None
    assert process.stdout.readline().startswith(str(source))
    process.stdout.close()  # as `| head -1` does
    process.wait(timeout=60)
    assert process.stderr is not None
    with process.stderr:
        assert process.stderr.read() == ""
    assert process.returncode == 141


# ---------------------------------------------------------------------------
# In-process: each command's word on an interruption, SIGHUP, bugs.


def _raising(exception: BaseException) -> Callable[..., Any]:
    def fail(*_: Any, **__: Any) -> Any:
        raise exception

    return fail


def _hang_up(*_: Any, **__: Any) -> Any:
    os.kill(os.getpid(), signal.SIGHUP)
    time.sleep(5)  # the handler raises before this ends
    raise AssertionError("SIGHUP did not stop the command")


@pytest.mark.parametrize(
    ("args", "patched", "said"),
    [
        (["export", "backup"], "dump_all", "nothing was written"),
        (["export-history", "runs.json"], "dump_history", "nothing was written"),
        (["import", "backup"], "load_all", "nothing was written"),
        (["upgrade", "old", "new"], "upgrade", "nothing was written"),
        (["validate", "backup"], "validate", "nothing was changed"),
        # The command imports the sample generator when it runs: patched where it lives.
        (["sample-db"], "bakery_io.sample.generate_sample", "no sample rows were kept"),
        (["init-db"], "create_schema", "some of the bakery_io tables may have been created"),
        (["schemas", "out"], "write_schemas", "some of the schema files may have been written"),
    ],
)
def test_ctrl_c_in_any_command_is_one_line_and_exit_130(  # noqa: PLR0917 (fixtures)
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
    args: list[str],
    patched: str,
    said: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bakery.db").write_bytes((sample_dump.parent / "sample.db").read_bytes())
    monkeypatch.setenv("BAKERY_IO_DB", f"sqlite:///{tmp_path / 'bakery.db'}")
    target = patched if "." in patched else f"bakery_io.cli.commands.{patched}"
    monkeypatch.setattr(target, _raising(KeyboardInterrupt()))
    before = sorted(os.listdir(tmp_path))
    assert main(args) == 130
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"bakery-io {args[0]}: interrupted; {said}")
    assert err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == before


def test_an_import_into_a_new_file_interrupted_leaves_no_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
) -> None:
    monkeypatch.setattr(bakery_io.cli.commands, "load_all", _raising(KeyboardInterrupt()))
    code = main(["import", "--db", f"sqlite:///{tmp_path / 'new.db'}", str(sample_dump)])
    assert code == 130
    assert capsys.readouterr().err == "bakery-io import: interrupted; nothing was written\n"
    assert os.listdir(tmp_path) == []


def test_sighup_stops_a_command_like_ctrl_c_and_the_handlers_are_restored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(bakery_io.cli.commands, "validate", _hang_up)
    assert main(["validate", str(tmp_path)]) == 128 + signal.SIGHUP
    assert capsys.readouterr().err == "bakery-io validate: stopped by SIGHUP; nothing was changed\n"
    assert (signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGTERM)) == before


def test_an_interruption_after_the_write_says_what_was_written(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
) -> None:
    monkeypatch.setattr(bakery_io.cli.commands, "print_manifest", _raising(KeyboardInterrupt()))
    target = tmp_path / "backup.zip"
    database = sample_dump.parent / "sample.db"
    assert main(["export", "--db", f"sqlite:///{database}", str(target)]) == 130
    assert capsys.readouterr().err == f"bakery-io export: interrupted; {target} was written\n"
    assert target.is_file()


def _then(exception: BaseException, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, run to its end, then ``exception``: a signal landing after the work (while
    connections close), before the command could note what it wrote."""

    def done_then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise exception

    return done_then_fail


@pytest.mark.parametrize(
    ("command", "patched"),
    [("export", "dump_all"), ("export-history", "dump_history"), ("upgrade", "upgrade")],
)
def test_a_stop_after_the_backup_is_in_place_says_it_was_written(  # noqa: PLR0917 (fixtures)
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
    command: str,
    patched: str,
) -> None:
    real = getattr(bakery_io.cli.commands, patched)
    monkeypatch.setattr(bakery_io.cli.commands, patched, _then(_Stopped(signal.SIGTERM), real))
    target = tmp_path / ("runs.json" if command == "export-history" else "backup.zip")
    database = f"sqlite:///{sample_dump.parent / 'sample.db'}"
    args = [str(sample_dump)] if command == "upgrade" else ["--db", database]
    assert main([command, *args, str(target)]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == (
        f"bakery-io {command}: stopped by SIGTERM; {target} was written\n"
    )
    assert validate(target).ok


def test_a_stop_while_an_old_backup_is_replaced_lands_once_the_new_one_is_in_place(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
) -> None:
    """The old backup is moved aside, then the new one in: a Ctrl-C between the two would
    leave neither under the name asked for, so it is held until the new one is there."""
    database = f"sqlite:///{sample_dump.parent / 'sample.db'}"
    target = tmp_path / "backup.zip"
    assert main(["export", "--db", database, str(target)]) == 0
    old = target.stat().st_ino
    real = os.replace

    def replace_then_ctrl_c(source: Any, destination: Any) -> None:
        real(source, destination)
        if str(destination).endswith(".old"):
            # To this thread, now: os.kill may reach another thread, and be handled late.
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(os, "replace", replace_then_ctrl_c)
    capsys.readouterr()
    assert main(["export", "--db", database, "--overwrite", str(target)]) == 130
    monkeypatch.undo()
    assert capsys.readouterr().err == f"bakery-io export: interrupted; {target} was written\n"
    assert target.stat().st_ino != old
    assert validate(target).ok
    assert os.listdir(tmp_path) == ["backup.zip"]  # the old one is gone, not left aside


def test_an_import_stopped_in_its_commit_says_the_database_decides(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    assert main(["init-db", "--db", url]) == 0
    capsys.readouterr()
    committing = _then(KeyboardInterrupt(), RootTransaction.commit)
    monkeypatch.setattr(RootTransaction, "commit", committing)
    assert main(["import", "--db", url, str(sample_dump)]) == 130
    assert capsys.readouterr().err == (
        "bakery-io import: interrupted; its commit had begun, so the database holds the whole "
        "import or none of it (import again to see which: records already there are left "
        "unchanged)\n"
    )
    monkeypatch.undo()
    engine = engine_from_url(url)
    try:
        with engine.connect() as connection:
            loaded = sum(count_rows(connection).values())
    finally:
        engine.dispose()
    assert loaded == sum(_rows(sample_dump.parent / "sample.db").values())


def test_an_import_into_a_new_file_stopped_after_it_is_in_place_says_it_was_loaded(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sample_dump: Path,
) -> None:
    real = partials.file_aside

    @contextmanager
    def then_stopped(target: Path) -> Iterator[Any]:
        with real(target) as aside:
            yield aside
        raise KeyboardInterrupt

    monkeypatch.setattr(bakery_io.cli.commands, "file_aside", then_stopped)
    database = tmp_path / "new.db"
    assert main(["import", "--db", f"sqlite:///{database}", str(sample_dump)]) == 130
    assert capsys.readouterr().err == (
        f"bakery-io import: interrupted; the backup was loaded into {database}\n"
    )
    assert _rows(database) == _rows(sample_dump.parent / "sample.db")


#: Runs the command line as ``bakery-io`` does, or as a program inside its own process
#: does, then logs what SQLAlchemy logs when a stop cuts a connection's closing.
_LOGGING_AFTER = """
import logging, sys
from bakery_io.cli import main
code = main(sys.argv[2:], whole_process=sys.argv[1] == "whole")
try:
    raise ValueError("the driver's complaint")
except ValueError:
    logging.getLogger("sqlalchemy.pool.impl.QueuePool").error(
        "Exception closing connection", exc_info=True
    )
sys.exit(code)
"""


@pytest.mark.parametrize(
    ("process", "verbose", "shown"),
    [
        ("whole", [], ""),
        (
            "whole",
            ["-v"],
            "ERROR sqlalchemy.pool.impl.QueuePool: Exception closing connection "
            "(ValueError: the driver's complaint)\n",
        ),
        ("inside", [], "Exception closing connection\nTraceback (most recent call last):\n"),
    ],
)
def test_the_command_keeps_library_log_records_to_one_line_or_none(
    sample_dump: Path, process: str, verbose: list[str], shown: str
) -> None:
    """A library logging with no handler reaches logging's last resort, which prints the
    record's traceback: SQLAlchemy does when a Ctrl-C cuts the closing of a connection.
    The command's own process keeps such records off standard error, or to one line
    with -v; a program running the command line inside its own process keeps its
    logging as it is."""
    found = subprocess.run(
        [sys.executable, "-c", _LOGGING_AFTER, process, "validate", *verbose, str(sample_dump)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    library = [line for line in found.stderr.splitlines(keepends=True) if "bakery_io" not in line]
    assert "".join(library).startswith(shown)
    if process == "whole":
        assert "".join(library) == shown


class _ClosedPipe:
    def write(self, _: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError


def test_a_closed_pipe_in_process_is_exit_141_and_silent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sample_dump: Path
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["validate", str(sample_dump / "01_suppliers.json")]) == 141
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_a_bug_is_one_line_and_exit_1_with_the_traceback_under_v(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, verbose: list[str]
) -> None:
    monkeypatch.setattr(
        bakery_io.cli.commands, "validate", _raising(ZeroDivisionError("division by zero"))
    )
    assert main([*verbose, "validate", "backup"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    line = (
        "bakery-io validate: internal error: ZeroDivisionError: division by zero "
        "(a bug: please report it; -v shows the traceback)"
    )
    assert err.splitlines()[0] == line
    assert ("Traceback" in err) == bool(verbose)
    if not verbose:
        assert err == line + "\n"


def test_usage_errors_still_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bakery_io.cli.commands, "validate", _raising(UsageError("no such thing")))
    assert main(["validate", "x"]) == 2
    assert capsys.readouterr().err == "bakery-io validate: no such thing\n"


class _InterruptedImport:
    """A finder that raises KeyboardInterrupt for one module, as Ctrl-C during its import."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == self.name:
            raise KeyboardInterrupt


def test_ctrl_c_while_the_command_starts_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bakery_io.console

    monkeypatch.delitem(sys.modules, "bakery_io.cli")
    monkeypatch.setattr(sys, "meta_path", [_InterruptedImport("bakery_io.cli"), *sys.meta_path])
    assert bakery_io.console.main() == 130
    assert capsys.readouterr().err == "bakery-io: interrupted while starting; nothing was done\n"


def test_importing_the_package_imports_none_of_its_work() -> None:
    """What the command imports before it can handle a Ctrl-C is the package alone."""
    code = (
        "import sys, bakery_io; print(sorted(m for m in sys.modules if m.startswith('bakery_io')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['bakery_io']"


def test_a_signal_inside_the_zip_constructor_leaves_no_late_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window a SIGTERM hit in CI: the archive exists, the container does not hold it
    yet. Collected later, a plain ZipFile would write into its removed partial's closed
    file and print "Exception ignored" (pytest turns that into an error here)."""
    import gc
    import zipfile

    from bakery_io import writers

    def interrupted(self: zipfile.ZipFile, *args: Any, **kwargs: Any) -> None:
        zipfile.ZipFile.__init__(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(writers._Archive, "__init__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writers.ZipContainer(tmp_path / "backup.zip", "1.1", None)
    gc.collect()
    assert os.listdir(tmp_path) == []


class _SignalError(Exception):
    pass


def _raise(signum: int, frame: object) -> None:
    raise _SignalError(signum)


def test_a_signal_in_a_held_block_arrives_when_it_ends() -> None:
    previous = signal.signal(signal.SIGINT, _raise)
    reached: list[str | None] = []

    def held() -> None:
        with partials.signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # bytecode boundaries, where a handler would run
                reached.append(None)
            reached.append("end")

    try:
        with pytest.raises(_SignalError):
            held()
        assert signal.getsignal(signal.SIGINT) is _raise  # the handler before, put back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert reached[-1] == "end"


@pytest.fixture
def signal_on_creation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SIGINT (raising :class:`_SignalError`) sent as soon as a partial exists, before
    its container or owner holds it: where Ctrl-C once left the partial behind, or
    closed its descriptor twice."""
    made = partials.locked

    def interrupted(*args: Any) -> Any:
        found = made(*args)
        os.kill(os.getpid(), signal.SIGINT)
        return found

    monkeypatch.setattr(partials, "locked", interrupted)
    previous = signal.signal(signal.SIGINT, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("name", ["backup.zip", "backup.json", "backup"])
@pytest.mark.usefixtures("signal_on_creation")
def test_a_signal_as_a_backup_is_begun_leaves_nothing(
    sample_dump: Path, tmp_path: Path, name: str
) -> None:
    engine = engine_from_url(f"sqlite:///{sample_dump.parent / 'sample.db'}")
    try:
        with pytest.raises(_SignalError):
            dump_all(engine, tmp_path / name)
    finally:
        engine.dispose()
    assert os.listdir(tmp_path) == []


@pytest.mark.usefixtures("signal_on_creation")
def test_a_signal_as_a_new_database_is_begun_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(_SignalError), partials.file_aside(tmp_path / "new.db"):
        pass
    assert os.listdir(tmp_path) == []


def test_sigterm_while_postgresql_works_leaves_its_connection_usable(
    backend: str, tmp_path: Path
) -> None:
    """SIGTERM in the middle of a statement run on psycopg's own connection, as the
    import's COPY is (the server still working, psycopg waiting for it): psycopg cancels
    the statement, as for Ctrl-C, so the import's rollback runs and the command ends as
    stopped. It once left the statement unfinished: the rollback failed ("another
    command is already in progress"), and the command ended in a database error with
    tracebacks."""
    if not backend.startswith("postgresql+psycopg:"):
        pytest.skip("psycopg's interruption of a statement")
    with database_url(backend, tmp_path, "stopped") as url:
        engine = engine_from_url(url)
        with engine.connect() as connection:
            outer = connection.begin()  # as the import's
            driver: Any = connection.connection.driver_connection

            def sleep() -> None:
                with driver.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(5)")

            timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
            timer.start()
            with _stopping_on_signals(), pytest.raises(_Stopped):
                sleep()
            timer.join()
            outer.rollback()
            assert connection.exec_driver_sql("SELECT 2").scalar() == 2
        engine.dispose()
