"""Start-up: how long a whole process takes before it does any work (issue 21, point 6).

Each command runs in a new interpreter, timed from spawn to exit, all of them in
turn ``runs`` times; the median of each is reported. The commands are the bare
interpreter, the libraries every job needs (SQLAlchemy's ORM and marshmallow),
a job's imports (``from bakery_io import dump_all, load_all, validate,
upgrade``), and ``bakery-io --help`` and ``--version`` as installed. The
targets: ``--help`` and ``--version`` within 150 ms, and a job's imports at
most 100 ms beyond the libraries'. ``python -X importtime -c "from bakery_io
import load_all"`` says where a job's time goes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import Target

#: The most a command line's --help or --version takes, in ms (wall).
HELP_LIMIT_MS = 150.0
#: The most a job's imports take beyond SQLAlchemy's ORM and marshmallow, in ms.
IMPORT_LIMIT_MS = 100.0

INTERPRETER = "python -c pass"
LIBRARIES = "import sqlalchemy.orm, marshmallow"
JOB = "from bakery_io import dump_all, load_all, validate, upgrade"
HELP = "bakery-io --help"
VERSION = "bakery-io --version"


def _cli() -> list[str]:
    """The installed ``bakery-io`` beside this interpreter, else ``python -m bakery_io``."""
    beside = Path(sys.executable).with_name("bakery-io")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("bakery-io")
    return [found] if found else [sys.executable, "-m", "bakery_io"]


def commands() -> dict[str, list[str]]:
    """What is timed, by name."""
    python = sys.executable
    return {
        INTERPRETER: [python, "-c", "pass"],
        LIBRARIES: [python, "-c", "import sqlalchemy.orm, marshmallow"],
        JOB: [python, "-c", "from bakery_io import dump_all, load_all, validate, upgrade"],
        HELP: [*_cli(), "--help"],
        VERSION: [*_cli(), "--version"],
    }


@dataclass(frozen=True)
class Startup:
    """The median wall time of each command, in ms, over ``runs`` runs."""

    milliseconds: dict[str, float]
    runs: int

    @property
    def job_beyond_libraries(self) -> float:
        """How much longer a job's imports take than the libraries' alone, in ms."""
        return self.milliseconds[JOB] - self.milliseconds[LIBRARIES]

    def targets(self) -> list[Target]:
        """Point 6's start-up targets, judged."""

        def judged(goal: str, value: float, passes: Callable[[float], bool]) -> Target:
            return Target(goal, f"{value:,.0f} ms", passes(value))

        return [
            judged(
                f"{HELP} ≤ {HELP_LIMIT_MS:.0f} ms",
                self.milliseconds[HELP],
                lambda v: v <= HELP_LIMIT_MS,
            ),
            judged(
                f"{VERSION} ≤ {HELP_LIMIT_MS:.0f} ms",
                self.milliseconds[VERSION],
                lambda v: v <= HELP_LIMIT_MS,
            ),
            judged(
                f"a job's imports ≤ {IMPORT_LIMIT_MS:.0f} ms beyond the libraries'",
                self.job_beyond_libraries,
                lambda v: v <= IMPORT_LIMIT_MS,
            ),
        ]

    def lines(self) -> list[str]:
        """Console lines: each command's median, then the targets."""
        found = [f"  {name:<62} {ms:8,.0f} ms" for name, ms in self.milliseconds.items()]
        found.append(f"  targets (medians of {self.runs}):")
        found += [
            f"    {target.verdict:<4}  {target.goal:<52} {target.measured}"
            for target in self.targets()
        ]
        return found


class StartupError(Exception):
    """A timed command failed."""


def measure(runs: int) -> Startup:
    """Time each command ``runs`` times, all of them in turn; fails if one fails.

    The commands run in the temporary directory, not here: from a checkout's root
    ``python -c`` would import the checkout's bakery_io, not the one installed.
    """
    timed = commands()
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    elsewhere = tempfile.gettempdir()
    for _ in range(runs):
        for name, command in timed.items():
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, check=False, cwd=elsewhere)
            seconds[name].append(time.perf_counter() - started)
            if done.returncode != 0:
                raise StartupError(
                    f"{' '.join(command)} failed (exit status {done.returncode}): "
                    f"{done.stderr.decode(errors='replace').strip()[-500:]}"
                )
    return Startup({name: statistics.median(found) * 1000 for name, found in seconds.items()}, runs)


def main() -> None:
    """``python -m bench.startup``: the start-up timings alone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (default 11)")
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error("--runs is a whole number >= 1")
    try:
        found = measure(arguments.runs)
    except StartupError as failure:
        sys.exit(f"bench.startup: {failure}")
    print("\n".join(found.lines()))


if __name__ == "__main__":
    main()
