"""What must hold for any input: only bakery_io errors, nothing written by a refused load,
validate and load_all agreeing, every problem placed, and a CLI without tracebacks."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text

import bakery_io
from bakery_io import BakeryIOError, Problem, SourceError, ValidationReport
from bakery_io.cli import main
from bakery_io.registry import REGISTRY
from tests.hostile.mutations import Expect

#: A pointer into a record: ``/records/N...`` in an entity file, ``/<type>/N...`` in a document.
_IN_RECORD = re.compile(r"^/(?P<array>[a-z_]+)/(?P<index>\d+)(?:/|$)")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted, so the order the database returns does not matter)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        preparer = engine.dialect.identifier_preparer
        for table in sorted(inspect(connection).get_table_names()):
            result = connection.execute(text(f"SELECT * FROM {preparer.quote(table)}"))
            rows[table] = sorted((tuple(row) for row in result), key=repr)
    return rows


def check_problems(problems: Sequence[Problem], record: tuple[str, int] | None) -> None:
    """Every problem names a file and, inside a record, its position; ``record`` is found."""
    for problem in problems:
        assert isinstance(problem, Problem), problem
        assert problem.file, f"a problem names no file: {problem}"
        assert problem.message, f"a problem says nothing: {problem!r}"
        assert "ZipInfo" not in problem.message, f"a Python repr as a message: {problem}"
        match = _IN_RECORD.match(problem.pointer)
        if match and (match["array"] == "records" or match["array"] in REGISTRY):
            assert problem.record == int(match["index"]), (
                f"a problem inside record {match['index']} does not name its position: {problem}"
            )
    if record is None:
        return
    entity, index = record
    where = [p for p in problems if p.record == index]
    assert where, f"no problem names record {index} of {entity}; problems: " + "; ".join(
        map(str, problems[:5])
    )


@dataclass
class Outcome:
    """What validate and the loads made of one input."""

    report: ValidationReport | None
    loaded: bool
    problems: tuple[Problem, ...]


def _validate(path: Path) -> ValidationReport | None:
    try:
        return bakery_io.validate(path)
    except BakeryIOError:
        return None  # refused outright: allowed, though a report is expected
    # Anything else escapes: the test fails with its traceback, which is the point.


def _load(engine: Engine, path: Path) -> tuple[bool, tuple[Problem, ...]]:
    """Load into ``engine``; True when it loaded. A refused load must leave no trace."""
    before = snapshot(engine)
    try:
        bakery_io.load_all(engine, path)
    except SourceError as exc:
        problems = exc.problems
    except BakeryIOError:
        problems = ()
    else:
        return True, ()
    assert snapshot(engine) == before, "a refused load changed the database"
    return False, problems


def run_cli(*args: str) -> tuple[int, str, str]:
    """``bakery-io ARGS`` in this process: (exit code, stdout, stderr). An exception that
    escapes main() is what a user sees as a traceback: it fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 1, 2), code
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


def check_input(
    path: Path,
    *,
    expect: Expect,
    record: tuple[str, int] | None,
    work: Path,
    empty_template: Path,
    occupied_template: Path,
    strict_agreement: bool = True,
) -> Outcome:
    """Run validate, load_all (into a database holding rows of other keys, which must load
    as into an empty one) and the CLI (validate, and import into empty tables) on
    ``path`` and assert every invariant; ``expect`` is what the input must give."""
    report = _validate(path)
    valid = report is not None and report.ok

    occupied = work / "occupied.db"
    shutil.copyfile(occupied_template, occupied)
    engine = bakery_io.engine_from_url(f"sqlite:///{occupied}")
    try:
        loaded, problems = _load(engine, path)
    finally:
        engine.dispose()

    code, _, _ = run_cli("validate", str(path))
    assert code == (0 if valid else 1), f"bakery-io validate exits {code}, validate ok={valid}"
    empty = work / "empty.db"
    shutil.copyfile(empty_template, empty)
    code, _, err = run_cli("import", "--db", f"sqlite:///{empty}", str(path))
    assert code == (0 if loaded else 1), (
        f"bakery-io import exits {code} where load_all {'loaded' if loaded else 'refused'}: {err}"
    )

    if expect == "refused":
        assert not valid, "validate accepts a hostile input"
    if expect in ("refused", "refused-by-load"):
        assert not loaded, "load_all accepts a hostile input"
    # validate's checks are a part of the load's: what it refuses, no load accepts.
    if not valid:
        assert not loaded, "validate refuses what load_all loads"
    elif strict_agreement and expect != "refused-by-load":
        assert loaded, "validate accepts what load_all refuses: " + "; ".join(
            map(str, problems[:5])
        )
    if report is not None:
        check_problems(report.problems, record if expect == "refused" else None)
    check_problems(problems, record if expect != "any" else None)
    return Outcome(report, loaded, problems)
