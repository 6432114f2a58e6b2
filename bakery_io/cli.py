"""The ``bakery-io`` command line.

Exit codes: 0 success, 1 a problem with the data or the database, 2 a usage
error (bad arguments, an unusable URL or driver).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from bakery_io import __version__
from bakery_io.database import bakery_tables_present, create_schema, describe, engine_from_url
from bakery_io.errors import BakeryIOError, DatabaseStateError, UsageError
from bakery_io.models import metadata
from bakery_io.sample import generate_sample
from bakery_io.versions import CURRENT_VERSION

DEFAULT_DB = "sqlite:///bakery.db"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

Command = Callable[[argparse.Namespace, TextIO], int]


class Progress:
    """A one-line progress display on a terminal; silent when output is redirected."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.active = stream.isatty()

    def __call__(self, done: int, total: int, rows: int) -> None:
        if self.active:
            self.stream.write(f"\r{self.label}: step {done}/{total}, {rows:,} rows")
            self.stream.flush()

    def finish(self) -> None:
        if self.active:
            self.stream.write("\n")
            self.stream.flush()


def _init_db(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from_url(args.db)
    try:
        with engine.connect() as connection:
            before = bakery_tables_present(connection)
        create_schema(engine)
        created = len(metadata.tables) - len(before)
        print(f"{describe(engine)}: created {created} tables, {len(before)} were there", file=out)
    finally:
        engine.dispose()
    return EXIT_OK


def _sample_db(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from_url(args.db)
    progress = Progress("sample-db", sys.stderr)
    try:
        report = generate_sample(
            engine, scale=args.scale, seed=args.seed, replace=args.replace, progress=progress
        )
    except DatabaseStateError as exc:
        if exc.reason == "not empty":
            exc.add_note("--replace drops and recreates the bakery_io tables (and only those)")
        raise
    finally:
        progress.finish()
        engine.dispose()
    width = max(len(name) for name in report.rows)
    for name, count in report.rows.items():
        print(f"  {name:<{width}}  {count:>9,}", file=out)
    print(
        f"{describe(engine)}: wrote {report.total:,} sample rows "
        f"(scale {report.scale}, seed {report.seed})",
        file=out,
    )
    return EXIT_OK


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``bakery-io`` (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="bakery-io",
        description="Back up, exchange and restore bakery planning data as JSON.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"bakery-io {__version__} (writes format {CURRENT_VERSION})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what happens (-v: steps, -vv: details) on standard error",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--db",
        default=os.environ.get("BAKERY_IO_DB", DEFAULT_DB),
        metavar="URL",
        help="SQLAlchemy database URL (default: $BAKERY_IO_DB or %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init_db = commands.add_parser(
        "init-db",
        parents=[database],
        help="create the bakery_io tables that are missing",
        description="Create the bakery_io tables that do not exist yet; existing ones are kept.",
    )
    init_db.set_defaults(run=_init_db)

    sample = commands.add_parser(
        "sample-db",
        parents=[database],
        help="fill a database with realistic sample data",
        description=(
            "Create the bakery_io tables and fill them with a realistic, deterministic sample "
            "bakery: a fixed catalog plus history proportional to --scale (scale 1 is about "
            "5,000 rows, scale 200 about a million). The tables must be empty unless --replace."
        ),
    )
    sample.add_argument(
        "--scale",
        type=_non_negative_int,
        default=1,
        metavar="N",
        help="history size; 0 writes the catalog alone (default: 1)",
    )
    sample.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="S",
        help="random seed; the same seed gives the same data (default: 1)",
    )
    sample.add_argument(
        "--replace",
        action="store_true",
        help="drop and recreate the bakery_io tables (only those) first",
    )
    sample.set_defaults(run=_sample_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bakery-io`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("bakery_io")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    run: Command = args.run
    try:
        return run(args, sys.stdout)
    except UsageError as exc:
        print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BakeryIOError as exc:
        print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
        for note in getattr(exc, "__notes__", ()):
            print(f"  {note}", file=sys.stderr)
        return EXIT_DATA
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        print(f"bakery-io {args.command}: database error: {cause}", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
