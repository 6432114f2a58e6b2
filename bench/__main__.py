"""``python -m bench``: build (or reuse) sample databases, then measure each step in a process."""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.report import (
    BackendResults,
    StepResult,
    backend_summary,
    markdown,
    scale_summary,
    step_line,
)
from bench.samples import Backend, ServerBackend, SQLiteBackend
from bench.startup import Startup, StartupError, measure
from bench.steps import NEEDS, ONLY_ON, PEERS, STEPS, TARGETED, Paths, applies

#: The outside peers' steps, and the steps run by default: all but those.
PEER_STEPS = frozenset(step for steps in PEERS.values() for step in steps)
OWN_STEPS = [step for step in STEPS if step not in PEER_STEPS]

ROOT = Path(__file__).resolve().parent.parent


class StepError(Exception):
    """A step process failed or printed no result."""


def _steps(text: str) -> list[str]:
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(STEPS))
    if not wanted:
        raise argparse.ArgumentTypeError("no steps given")
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown steps {unknown}; known: {', '.join(STEPS)}")
    # A step runs with the one that writes its input, in the fixed order.
    wanted += [NEEDS[name] for name in wanted if name in NEEDS]
    return [name for name in STEPS if name in wanted]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure bakery_io's dump, load and validate against floors "
        "(SQLAlchemy Core + orjson; COPY on PostgreSQL) and a naive ORM import, and whole "
        "bakery-io export and import processes, each step in its own process.",
    )
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        help="sample scale (repeatable; default 20 and 200; 1 is about 5,000 rows)",
    )
    parser.add_argument("--seed", type=int, default=1, help="sample seed (default 1)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run the steps N times at each scale, in turn, and report each step's median "
        "time and highest peak memory (default 1); a ratio near its target then says "
        "more than one run's noise",
    )
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="URL",
        help="also run on this database server (repeatable), e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument(
        "--steps",
        type=_steps,
        default=OWN_STEPS,
        help=f"comma-separated steps (default: {','.join(OWN_STEPS)}); "
        "a step's input is made by the step it needs",
    )
    parser.add_argument(
        "--naive-scale",
        type=int,
        metavar="N",
        help="run the slow naive import at scale N only (one of --scale) and compare "
        "its rows/s with every scale's load; default: at every scale",
    )
    parser.add_argument(
        "--peer",
        action="append",
        choices=sorted(PEERS),
        default=[],
        help="also time an outside tool on the same data (repeatable; on SQLite): django runs "
        "its dumpdata and loaddata with natural keys (needs pip install -e '.[bench]')",
    )
    parser.add_argument(
        "--peer-scale",
        type=int,
        metavar="N",
        help="run the outside tools at scale N only (one of --scale; Django's loaddata holds "
        "the whole backup in memory); default: at every scale",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=11,
        metavar="N",
        help="time the start-up of whole processes (the interpreter, the libraries, a job's "
        "imports, bakery-io --help and --version) N times each and report the medians "
        "(default 11; 0 leaves it out)",
    )
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write a Markdown report")
    arguments = parser.parse_args(argv)
    arguments.scale = sorted(set(arguments.scale or [20, 200]))
    # Django runs in its own processes, so its absence would show only after the samples.
    if "django" in arguments.peer and importlib.util.find_spec("django") is None:
        parser.error("--peer django needs Django: pip install -e '.[bench]'")
    wanted = set(arguments.steps).union(*(PEERS[peer] for peer in arguments.peer))
    arguments.steps = [step for step in STEPS if step in wanted]
    if arguments.scale[0] < 0:
        parser.error("scales are whole numbers >= 0")
    if arguments.repeat < 1:
        parser.error("--repeat is a whole number >= 1")
    if arguments.startup_runs < 0:
        parser.error("--startup-runs is a whole number >= 0")
    if arguments.naive_scale is not None and arguments.naive_scale not in arguments.scale:
        parser.error("--naive-scale must be one of the scales given with --scale")
    if arguments.peer_scale is not None and arguments.peer_scale not in arguments.scale:
        parser.error("--peer-scale must be one of the scales given with --scale")
    return arguments


def run_step(step: str, paths: Paths) -> StepResult:
    """Run one step in a new process and return what it reported."""
    command = [sys.executable, "-m", "bench.steps", step, "--source", paths.source]
    command += ["--backup", str(paths.backup), "--floor", str(paths.floor), "--cli", str(paths.cli)]
    command += ["--peer", str(paths.peer)]
    if paths.target is not None:
        command += ["--target", paths.target]
    # stderr passes through: a failing step's traceback is the message.
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    lines = finished.stdout.strip().splitlines()
    if finished.returncode != 0 or not lines:
        raise StepError(f"step {step} failed (exit status {finished.returncode})")
    found = json.loads(lines[-1])
    return StepResult(found["step"], found["seconds"], found["rows"], found["peak_mb"])


def run_scale(
    backend: Backend, scale: int, seed: int, steps: list[str], work: Path, *, repeat: int = 1
) -> dict[str, StepResult]:
    """Every step at one scale on one backend, ``repeat`` times in turn (each step's
    median time and highest peak); each round's backups are removed after it."""
    started = time.perf_counter()
    source = backend.sample(scale, seed)
    ready = time.perf_counter() - started
    print(f"\n== {backend.label}, scale {scale} (sample ready in {ready:.1f} s)")
    runs: dict[str, list[StepResult]] = {}
    for number in range(1, repeat + 1):
        if repeat > 1:
            print(f"  -- run {number} of {repeat}")
        for step, result in _round(backend, source, steps, work, scale).items():
            runs.setdefault(step, []).append(result)
    if repeat == 1:
        return {step: found for step, (found,) in runs.items()}
    results = {step: _median(found) for step, found in runs.items()}
    print(f"  -- medians of {repeat} runs")
    for result in results.values():
        print(step_line(result), flush=True)
    return results


def _round(
    backend: Backend, source: str, steps: list[str], work: Path, scale: int
) -> dict[str, StepResult]:
    """Every step once, each writing what the next reads in a directory of its own."""
    results: dict[str, StepResult] = {}
    with tempfile.TemporaryDirectory(prefix=f"scale{scale}-", dir=work) as directory:
        work_directory = Path(directory)
        base = Paths(
            source,
            work_directory / "backup",
            work_directory / "floor",
            None,
            work_directory / "cli",
            work_directory / "peer",
        )
        for step in steps:
            if not applies(step, source):
                print(f"  {step:<18} skipped ({' with '.join(ONLY_ON[step])} only)")
                continue
            if step in TARGETED:
                with backend.fresh() as target:
                    result = run_step(step, replace(base, target=target))
            else:
                result = run_step(step, base)
            results[step] = result
            print(step_line(result), flush=True)
    return results


def _median(runs: list[StepResult]) -> StepResult:
    """One step's runs as one: the median time, the highest peak memory."""
    seconds = statistics.median(run.seconds for run in runs)
    return StepResult(runs[0].step, seconds, runs[0].rows, max(run.peak_mb for run in runs))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every step ran (whatever the targets say), 1 otherwise."""
    arguments = parse_arguments(argv)
    # A whole bakery-io process is timed as an installed package runs, with its bytecode
    # compiled (pip does so on install); a checkout under PYTHONDONTWRITEBYTECODE would
    # otherwise compile every module again in each process, about 80 ms of each run.
    compileall.compile_dir(ROOT / "bakery_io", quiet=1)
    startup: Startup | None = None
    if arguments.startup_runs:
        print(f"== Start-up (medians of {arguments.startup_runs} runs)")
        try:
            startup = measure(arguments.startup_runs)
        except StartupError as failure:
            print(f"\nbench: {failure}", file=sys.stderr)
            return 1
        for line in startup.lines():
            print(line, flush=True)
    all_results: list[BackendResults] = []
    with tempfile.TemporaryDirectory(prefix="bakery-bench-") as temporary:
        work = Path(temporary)
        backends: list[Backend] = [SQLiteBackend(work)]
        try:
            backends += [ServerBackend(url) for url in arguments.server]
            for backend in backends:
                results = BackendResults(backend.label, backend.kind, arguments.naive_scale)
                all_results.append(results)
                for scale in arguments.scale:
                    steps = [
                        step
                        for step in arguments.steps
                        if (step != "naive" or arguments.naive_scale in (None, scale))
                        and (step not in PEER_STEPS or arguments.peer_scale in (None, scale))
                    ]
                    results.scales[scale] = run_scale(
                        backend, scale, arguments.seed, steps, work, repeat=arguments.repeat
                    )
                    print(f"  rows: {results.rows(scale):,}")
                    for line in scale_summary(results, scale):
                        print(line)
                print(f"\n== {backend.label}: summary")
                for line in backend_summary(results):
                    print(line, flush=True)
        except StepError as failure:
            print(f"\nbench: {failure}", file=sys.stderr)
            return 1
        finally:
            for backend in backends:
                backend.close()
    if arguments.markdown is not None:
        path: Path = arguments.markdown
        previous = path.read_text(encoding="utf-8") if path.exists() else None
        command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
        report = markdown(all_results, command, previous, arguments.repeat, startup)
        path.write_text(report, encoding="utf-8")
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
