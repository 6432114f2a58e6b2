"""Start-up: how long a whole process takes before it does any work (issue 21, point 6).

Each command runs in a new interpreter, timed from spawn to exit, all of them in
turn ``runs`` times; the median of each is reported. The commands are the bare
interpreter, the libraries every job needs (SQLAlchemy's ORM and marshmallow),
a job's imports (``from bakery_io import dump_all, load_all, validate,
upgrade``), and ``bakery-io --help`` and ``--version`` as installed beside the
interpreter. The targets: ``--help`` and ``--version`` within 150 ms, and a
job's imports at most 100 ms beyond the libraries'. ``python -X importtime -c
"from bakery_io import load_all"`` says where a job's time goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import Target, judge

#: The most a command line's --help or --version takes, in ms (wall).
HELP_LIMIT_MS = 150.0
#: The most a job's imports take beyond SQLAlchemy's ORM and marshmallow, in ms.
IMPORT_LIMIT_MS = 100.0

#: What ``python -c`` runs for the interpreter alone, the libraries, and a job.
INTERPRETER = "pass"
LIBRARIES = "import sqlalchemy.orm, marshmallow"
JOB = "from bakery_io import dump_all, load_all, validate, upgrade"
#: Compiles the bytecode of the bakery_io those commands import, as pip does on install.
_COMPILE = (
    "import compileall, os, bakery_io; "
    "compileall.compile_dir(os.path.dirname(bakery_io.__file__), quiet=1)"
)
HELP = "bakery-io --help"
VERSION = "bakery-io --version"


class StartupError(Exception):
    """A timed command failed, or there is no ``bakery-io`` to time."""


def commands() -> dict[str, list[str]]:
    """What is timed, by name."""
    python = sys.executable
    cli = Path(python).with_name("bakery-io")
    if not cli.exists():
        # Another installation's bakery-io (on PATH) would time another bakery_io.
        raise StartupError(f"no bakery-io beside {python}: install bakery_io for it")
    return {
        f"python -c {INTERPRETER}": [python, "-c", INTERPRETER],
        LIBRARIES: [python, "-c", LIBRARIES],
        JOB: [python, "-c", JOB],
        HELP: [str(cli), "--help"],
        VERSION: [str(cli), "--version"],
    }


@dataclass(frozen=True)
class Startup:
    """Each command's wall times, in ms, one per run (all commands ran in turn each run)."""

    runs: dict[str, list[float]]

    @property
    def count(self) -> int:
        """How many times each command ran."""
        return len(self.runs[JOB])

    @property
    def milliseconds(self) -> dict[str, float]:
        """Each command's median, in ms."""
        return {name: statistics.median(found) for name, found in self.runs.items()}

    @property
    def job_beyond_libraries(self) -> float:
        """How much longer a job's imports take than the libraries' alone, in ms: the
        median of each run's difference, so that the host's pace drifting between runs
        does not count."""
        differences = map(float.__sub__, self.runs[JOB], self.runs[LIBRARIES])
        return statistics.median(differences)

    def targets(self) -> list[Target]:
        """Point 6's start-up targets, judged."""
        milliseconds = self.milliseconds

        def within(limit: float) -> Callable[[float], bool]:
            return lambda value: value <= limit

        return [
            judge(
                f"{name} ≤ {HELP_LIMIT_MS:.0f} ms",
                milliseconds[name],
                "{:,.0f} ms",
                within(HELP_LIMIT_MS),
            )
            for name in (HELP, VERSION)
        ] + [
            judge(
                f"a job's imports ≤ {IMPORT_LIMIT_MS:.0f} ms beyond the libraries'",
                self.job_beyond_libraries,
                "{:,.0f} ms",
                within(IMPORT_LIMIT_MS),
            )
        ]

    def lines(self) -> list[str]:
        """Console lines: each command's median, then the targets."""
        found = [f"  {name:<62} {ms:8,.0f} ms" for name, ms in self.milliseconds.items()]
        found.append(f"  targets (medians of {self.count}):")
        found += [
            f"    {target.verdict:<4}  {target.goal:<52} {target.measured}"
            for target in self.targets()
        ]
        return found


def _run(command: list[str], directory: str) -> None:
    done = subprocess.run(command, capture_output=True, check=False, cwd=directory)
    if done.returncode != 0:
        raise StartupError(
            f"{' '.join(command)} failed (exit status {done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()[-500:]}"
        )


def measure(runs: int) -> Startup:
    """Time each command ``runs`` times, all of them in turn; fails if one fails.

    The commands run in an empty directory of their own: from a checkout's root
    ``python -c`` would import the checkout's bakery_io, not the one installed.
    Its bytecode is compiled first, as installing compiles it; a checkout run
    under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile it in every run.
    """
    timed = commands()
    found: dict[str, list[float]] = {name: [] for name in timed}
    with tempfile.TemporaryDirectory(prefix="bakery-startup-") as directory:
        _run([sys.executable, "-c", _COMPILE], directory)
        for _ in range(runs):
            for name, command in timed.items():
                started = time.perf_counter()
                _run(command, directory)
                found[name].append((time.perf_counter() - started) * 1000)
    return Startup(found)


def main() -> None:
    """``python -m bench.startup``: the start-up timings alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (default 11)")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs is a whole number >= 1")
    try:
        startup = measure(arguments.runs)
    except StartupError as failure:
        sys.exit(f"bench.startup: {failure}")
    print("\n".join(startup.lines()))


if __name__ == "__main__":
    main()
