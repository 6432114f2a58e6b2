"""One measured step, run in a process of its own: ``python -m bench.steps STEP ...``.

Prints one JSON line: ``{"step", "seconds", "rows", "peak_mb"}``. Only the
operation itself is timed: imports, engines and creating the target's tables
come before the timer starts, the checks after it stops. ``rows`` is the
number of rows in all tables of the source database, ``peak_mb`` the process's
peak resident memory.

The ``cli-*`` steps time a whole ``bakery-io`` process instead, from spawn to
exit (interpreter start and imports included); their ``peak_mb`` is that
process's peak, sampled from ``/proc`` while it runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, make_url

from bakery_io import create_schema, dump_all, engine_from_url, load_all, validate
from bakery_io.binding.database import count_rows
from bench import peer_django
from bench.floor import floor_copy, floor_dump, floor_load
from bench.naive import naive_load

#: The export time written into the manifest, so that dumps are byte-identical.
EXPORTED_AT = datetime(2026, 1, 1, tzinfo=UTC)

#: Every step, in the order they run.
STEPS = (
    "dump",
    "load",
    "validate",
    "floor-dump",
    "floor-load",
    "floor-copy",
    "naive",
    "cli-export",
    "cli-import",
    "peer-django-export",
    "peer-django-import",
)

#: The steps of each outside peer (``--peer``), which run only when asked for.
PEERS = {"django": ("peer-django-export", "peer-django-import")}

#: The step that writes what another reads.
NEEDS = {
    "load": "dump",
    "validate": "dump",
    "naive": "dump",
    "floor-load": "floor-dump",
    "floor-copy": "floor-dump",
    "cli-import": "cli-export",
    "peer-django-import": "peer-django-export",
}

#: Steps that run on one kind of database only: (backend name, driver name).
#: Django's peer runs on SQLite: its own database is a SQLite file whatever the backend.
ONLY_ON = {
    "floor-copy": ("postgresql", "psycopg"),
    "peer-django-export": ("sqlite", "pysqlite"),
    "peer-django-import": ("sqlite", "pysqlite"),
}

#: How often a ``cli-*`` step reads the process's peak memory from ``/proc``.
SAMPLE_SECONDS = 0.05


def applies(step: str, url: str) -> bool:
    """Whether ``step`` runs on the database at ``url``."""
    if step not in ONLY_ON:
        return True
    found = make_url(url)
    return (found.get_backend_name(), found.get_driver_name()) == ONLY_ON[step]


@dataclass(frozen=True)
class Paths:
    """The databases and directories of one benchmark run."""

    source: str
    backup: Path
    floor: Path
    target: str | None
    #: The backup written by ``bakery-io export`` (the ``cli-*`` steps).
    cli: Path
    #: Django's project, databases and dump (the ``peer-django-*`` steps).
    peer: Path


def _dump(engine: Engine, paths: Paths) -> None:
    dump_all(engine, paths.backup, exported_at=EXPORTED_AT)


def _load(engine: Engine, paths: Paths) -> None:
    load_all(engine, paths.backup)


def _floor_dump(engine: Engine, paths: Paths) -> None:
    floor_dump(engine, paths.floor)


def _floor_load(engine: Engine, paths: Paths) -> None:
    floor_load(engine, paths.floor)


def _floor_copy(engine: Engine, paths: Paths) -> None:
    floor_copy(engine, paths.floor)


def _naive(engine: Engine, paths: Paths) -> None:
    naive_load(engine, paths.backup)


def _peak_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (``VmHWM``), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_process(
    command: list[str], environment: dict[str, str] | None = None
) -> tuple[float, float]:
    """Run ``command`` and return its wall-clock seconds, spawn to exit, and its peak MB.

    The peak is sampled, not read at exit: a child's ``ru_maxrss`` would
    carry over this process's own (the fork's memory before the exec).
    Raises SystemExit with the command's output when it fails.
    """
    peak = 0.0
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
        while True:
            try:
                status = process.wait(timeout=SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                peak = max(peak, _peak_mb(process.pid) or 0.0)
        seconds = time.perf_counter() - start
        if status != 0:
            output.seek(0)
            shown = output.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(command)} failed (exit status {status}):\n{shown}")
    return seconds, peak


def run_cli(arguments: list[str]) -> tuple[float, float]:
    """Run ``bakery-io ARGUMENTS`` (this environment's) as :func:`run_process` does."""
    return run_process([str(Path(sys.executable).with_name("bakery-io")), *arguments])


def _peer_django_export(paths: Paths, source: Engine) -> tuple[float, float]:
    """Django's project made and filled from the sample (untimed), then its dumpdata timed."""
    project, database = paths.peer / "project", paths.peer / "source.sqlite3"
    peer_django.make_project(project)
    peer_django.create_tables(project, database)
    peer_django.fill(source, database)
    return run_process(*peer_django.export_command(project, database, paths.peer / "dump.json"))


def _peer_django_import(paths: Paths, source: Engine) -> tuple[float, float]:
    """Django's loaddata of that dump into an empty database (its tables made untimed)."""
    project, database = paths.peer / "project", paths.peer / "target.sqlite3"
    database.unlink(missing_ok=True)
    peer_django.create_tables(project, database)
    found = run_process(*peer_django.import_command(project, database, paths.peer / "dump.json"))
    target = engine_from_url(f"sqlite:///{database}")
    try:
        _check_counts("peer-django-import", source, target)
    finally:
        target.dispose()
    return found


#: Steps that read the source database, and steps that write an empty target.
READING: dict[str, Callable[[Engine, Paths], None]] = {"dump": _dump, "floor-dump": _floor_dump}
LOADING: dict[str, Callable[[Engine, Paths], None]] = {
    "load": _load,
    "floor-load": _floor_load,
    "floor-copy": _floor_copy,
    "naive": _naive,
}

#: Steps that are given a fresh empty database to fill.
TARGETED = frozenset({*LOADING, "cli-import"})


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return count_rows(connection)


def _check_counts(step: str, source: Engine, target: Engine) -> None:
    """Raise SystemExit unless every table of ``target`` holds as many rows as ``source``'s."""
    expected, found = _counts(source), _counts(target)
    if found != expected:
        wrong = {
            name: (rows, found.get(name))
            for name, rows in expected.items()
            if found.get(name) != rows
        }
        raise SystemExit(f"{step}: rows per table differ (source, target): {wrong}")


def _timed(operation: Callable[[], object]) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def run(step: str, paths: Paths, source: Engine) -> tuple[float, float | None]:
    """Run ``step``; return its seconds and, for a ``cli-*`` step, the process's peak MB.

    Raises SystemExit on a wrong result.
    """
    if step == "cli-export":
        return run_cli(["export", "--db", paths.source, str(paths.cli)])
    if step == "peer-django-export":
        return _peer_django_export(paths, source)
    if step == "peer-django-import":
        return _peer_django_import(paths, source)
    if step in READING:
        return _timed(lambda: READING[step](source, paths)), None
    if step == "validate":
        start = time.perf_counter()
        report = validate(paths.backup)
        seconds = time.perf_counter() - start
        if not report.ok:
            shown = "\n".join(str(problem) for problem in report.problems[:20])
            raise SystemExit(f"validate found {len(report.problems)} problems:\n{shown}")
        return seconds, None
    if paths.target is None:
        raise SystemExit(f"{step} needs --target")
    target = engine_from_url(paths.target)
    try:
        # Preparing the empty database is not part of the load (nor of the import).
        create_schema(target)
        peak = None
        if step == "cli-import":
            seconds, peak = run_cli(["import", "--db", paths.target, str(paths.cli)])
        else:
            seconds = _timed(lambda: LOADING[step](target, paths))
        _check_counts(step, source, target)
        return seconds, peak
    finally:
        target.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the step, print its JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.steps")
    parser.add_argument("step", choices=STEPS)
    parser.add_argument("--source", required=True, help="URL of the sample database")
    parser.add_argument("--backup", type=Path, required=True, help="bakery_io backup directory")
    parser.add_argument("--floor", type=Path, required=True, help="floor-dump directory")
    parser.add_argument("--target", help="URL of an empty database (loading steps)")
    parser.add_argument("--cli", type=Path, required=True, help="bakery-io export's directory")
    parser.add_argument("--peer", type=Path, required=True, help="the peers' directory")
    args = parser.parse_args(argv)
    paths = Paths(args.source, args.backup, args.floor, args.target, args.cli, args.peer)
    source = engine_from_url(paths.source)
    try:
        rows = sum(_counts(source).values())
        seconds, peak_mb = run(args.step, paths, source)
    finally:
        source.dispose()
    if peak_mb is None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": args.step, "seconds": seconds, "rows": rows, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
