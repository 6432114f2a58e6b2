"""One measured step, run in a process of its own: ``python -m bench.steps STEP ...``.

Prints one JSON line: ``{"step", "seconds", "rows", "peak_mb"}``. Only the
operation itself is timed: imports, engines and creating the target's tables
come before the timer starts, the checks after it stops. ``rows`` is the
number of rows in all tables of the source database, ``peak_mb`` the process's
peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from bakery_io import create_schema, dump_all, engine_from_url, load_all, validate
from bakery_io.binding.database import count_rows
from bench.floor import floor_dump, floor_load
from bench.naive import naive_load

#: The export time written into the manifest, so that dumps are byte-identical.
EXPORTED_AT = datetime(2026, 1, 1, tzinfo=UTC)

#: Every step, in the order they run.
STEPS = ("dump", "load", "validate", "floor-dump", "floor-load", "naive")

#: The step that writes what another reads.
NEEDS = {"load": "dump", "validate": "dump", "naive": "dump", "floor-load": "floor-dump"}


@dataclass(frozen=True)
class Paths:
    """The databases and directories of one benchmark run."""

    source: str
    backup: Path
    floor: Path
    target: str | None


def _dump(engine: Engine, paths: Paths) -> None:
    dump_all(engine, paths.backup, exported_at=EXPORTED_AT)


def _load(engine: Engine, paths: Paths) -> None:
    load_all(engine, paths.backup)


def _floor_dump(engine: Engine, paths: Paths) -> None:
    floor_dump(engine, paths.floor)


def _floor_load(engine: Engine, paths: Paths) -> None:
    floor_load(engine, paths.floor)


def _naive(engine: Engine, paths: Paths) -> None:
    naive_load(engine, paths.backup)


#: Steps that read the source database, and steps that write an empty target.
READING: dict[str, Callable[[Engine, Paths], None]] = {"dump": _dump, "floor-dump": _floor_dump}
LOADING: dict[str, Callable[[Engine, Paths], None]] = {
    "load": _load,
    "floor-load": _floor_load,
    "naive": _naive,
}


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return count_rows(connection)


def _timed(operation: Callable[[], object]) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def run(step: str, paths: Paths, source: Engine) -> float:
    """Run ``step`` and return the seconds it took; raise SystemExit on a wrong result."""
    if step in READING:
        return _timed(lambda: READING[step](source, paths))
    if step == "validate":
        start = time.perf_counter()
        report = validate(paths.backup)
        seconds = time.perf_counter() - start
        if not report.ok:
            shown = "\n".join(str(problem) for problem in report.problems[:20])
            raise SystemExit(f"validate found {len(report.problems)} problems:\n{shown}")
        return seconds
    if paths.target is None:
        raise SystemExit(f"{step} needs --target")
    target = engine_from_url(paths.target)
    try:
        create_schema(target)  # preparing the empty database is not part of the load
        seconds = _timed(lambda: LOADING[step](target, paths))
        expected, found = _counts(source), _counts(target)
        if found != expected:
            wrong = {
                name: (rows, found.get(name))
                for name, rows in expected.items()
                if found.get(name) != rows
            }
            raise SystemExit(f"{step}: rows per table differ (source, target): {wrong}")
        return seconds
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
    args = parser.parse_args(argv)
    paths = Paths(args.source, args.backup, args.floor, args.target)
    source = engine_from_url(paths.source)
    try:
        rows = sum(_counts(source).values())
        seconds = run(args.step, paths, source)
    finally:
        source.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": args.step, "seconds": seconds, "rows": rows, "peak_mb": peak_mb}))


if __name__ == "__main__":
    main()
