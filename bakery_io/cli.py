"""The ``bakery-io`` command line.

Exit codes: 0 success, 1 a problem with the data or the database (or a bug:
"internal error"), 2 a usage error (bad arguments, an unusable URL or driver),
130 interrupted by Ctrl-C, 128+N ended by signal N (SIGTERM: 143, SIGHUP: 129),
141 when standard output is a pipe that was closed (``| head``), as the shell
reports a command SIGPIPE ended. None of them prints a traceback (``-v``
shows one for an internal error).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from sqlalchemy import Engine, Transaction
from sqlalchemy.exc import SQLAlchemyError

from bakery_io import __version__
from bakery_io.binding.database import (
    bakery_tables_present,
    begin_sqlite,
    create_schema,
    describe,
    drop_schema,
    engine_from_url,
)
from bakery_io.dump import dump_all, dump_history
from bakery_io.errors import BakeryIOError, DatabaseStateError, SourceError, UsageError
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.json_schemas import GENERATED
from bakery_io.format.json_schemas import write as write_schemas
from bakery_io.format.manifest import Manifest
from bakery_io.load import LoadReport, load_all
from bakery_io.partials import file_aside
from bakery_io.registry import REGISTRY, Registry
from bakery_io.resolution import CONFLICT_MODES
from bakery_io.sample import generate_sample
from bakery_io.upgrades import upgrade
from bakery_io.validation import ValidationReport, validate
from bakery_io.versions import CURRENT_VERSION, VERSIONS
from bakery_io.versions.backup import Foreign, Rewrite
from bakery_io.versions.bake_tracker import repairs_left
from bakery_io.versions.bake_tracker.repairs import REPAIRS

DEFAULT_DB = "sqlite:///bakery.db"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE's number on Linux, macOS and the BSDs

#: What an interrupted command has written, when it is stopped before it is done. The
#: writing commands are all or nothing; init-db and sample-db create tables outside the
#: transaction of their rows where the database commits DDL at once (SQLite, MariaDB).
_INTERRUPTED = {
    "init-db": "some of the bakery_io tables may have been created (init-db again creates "
    "the rest)",
    "sample-db": "no sample rows were kept, but the bakery_io tables may have been created "
    "(or, with --replace, dropped and created anew)",
    "validate": "nothing was changed",
    "schemas": "some of the schema files may have been written",
}

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
            self.active = False


def _init_db(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from_url(args.db)
    registry: Registry = args.registry
    try:
        with engine.connect() as connection:
            before = bakery_tables_present(connection, registry)
        create_schema(engine, registry=registry)
        created = len(registry.tables) - len(before)
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
    args.written = "the sample was written"
    width = max(len(name) for name in report.rows)
    for name, count in report.rows.items():
        print(f"  {name:<{width}}  {count:>9,}", file=out)
    print(
        f"{describe(engine)}: wrote {report.total:,} sample rows "
        f"(scale {report.scale}, seed {report.seed})",
        file=out,
    )
    return EXIT_OK


def _new_sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite engine when it does not exist yet (connecting would create it)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database)
    return None if path.exists() else path


def _require_tables(engine_url: str, registry: Registry) -> None:
    """Refuse to export a database without bakery_io tables (or a SQLite file that is not there)."""
    engine = engine_from_url(engine_url)
    url = engine.url.render_as_string(hide_password=True)
    try:
        if _new_sqlite_file(engine) is not None:
            # Connecting would create an empty file; say what is wrong instead.
            raise DatabaseStateError(f"{url}: no such database file", url=url, reason="missing")
        with engine.connect() as connection:
            present = bakery_tables_present(connection, registry)
    finally:
        engine.dispose()
    if not present:
        raise DatabaseStateError(
            f"{url} has no bakery_io tables (run bakery-io init-db or sample-db first, "
            "or check --db)",
            url=url,
            reason="no tables",
        )


def _print_manifest(manifest: Manifest, target: str, out: TextIO, limit: int = 50) -> None:
    width = max((len(entry.entity_type) for entry in manifest.files), default=0)
    for entry in manifest.files:
        print(f"  {entry.filename:<{width + 8}}  {entry.record_count:>9,}", file=out)
    print(
        f"{target}: wrote {manifest.record_count:,} records of {len(manifest.files)} entity "
        f"types (format {manifest.version})",
        file=out,
    )
    if manifest.exceptions:
        count = len(manifest.exceptions)
        print(
            f"warning: {_count(count, 'problem')} in records the import refuses: written as "
            "the database holds them and listed in the backup; restore them with "
            "bakery-io import --accept-exceptions",
            file=sys.stderr,
        )
        _print_problems(manifest.exceptions, limit, sys.stderr)


def _export(args: argparse.Namespace, out: TextIO) -> int:
    _require_tables(args.db, args.registry)
    engine = engine_from_url(args.db)
    progress = Progress("export", sys.stderr)
    try:
        manifest = dump_all(
            engine,
            args.target,
            entities=args.entities,
            overwrite=args.overwrite,
            progress=progress,
            registry=args.registry,
        )
    finally:
        progress.finish()
        engine.dispose()
    args.written = f"{args.target} was written"
    _print_manifest(manifest, args.target, out)
    return EXIT_OK


def _export_history(args: argparse.Namespace, out: TextIO) -> int:
    _require_tables(args.db, args.registry)
    engine = engine_from_url(args.db)
    try:
        manifest = dump_history(
            engine,
            args.target,
            since=args.since,
            until=args.until,
            recipe=args.recipe,
            overwrite=args.overwrite,
            registry=args.registry,
        )
    finally:
        engine.dispose()
    args.written = f"{args.target} was written"
    _print_manifest(manifest, args.target, out)
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _print_problems(problems: Sequence[object], limit: int, out: TextIO) -> None:
    shown = problems if limit == 0 else problems[:limit]
    for problem in shown:
        print(f"  {problem}", file=out)
    if len(shown) < len(problems):
        print(f"  … and {len(problems) - len(shown):,} more (--limit 0 shows all)", file=out)


def _print_rewrites(rewrites: Sequence[Rewrite], limit: int, out: TextIO) -> None:
    if not rewrites:
        return
    print(f"the upgrade rewrote or derived {_count(len(rewrites), 'slug')}:", file=out)
    _print_problems(rewrites, limit, out)


def _print_foreign(foreign: Foreign, limit: int, out: TextIO) -> None:
    """What was repaired, converted and left behind of another program's files."""
    if foreign.repairs:
        print(f"repaired {_count(len(foreign.repairs), 'value')}:", file=out)
        _print_problems(foreign.repairs, limit, out)
    if foreign.conversions:
        print("converted by the mapping's rules:", file=out)
        _print_problems(foreign.conversions, limit, out)
    if foreign.left_behind:
        print("left behind (no place in the format):", file=out)
        _print_problems(foreign.left_behind, limit, out)


def _format(version: str | None, upgraded_to: str | None, foreign: Foreign) -> str:
    said = foreign.source_format or f"format {version or '?'}"
    return f"{said}, upgraded to {upgraded_to}" if upgraded_to else said


def _print_report(
    report: ValidationReport, limit: int, out: TextIO, asked: Sequence[str] = ()
) -> None:
    what = (
        f"{report.kind}, {_format(report.version, report.upgraded_to, report.foreign)}, "
        f"{_count(report.files, 'file')}, {_count(report.records, 'record')}"
    )
    _print_rewrites(report.rewrites, limit, out)
    _print_foreign(report.foreign, limit, out)
    if report.passed_over:
        print(f"extension data {report.passed_over.describe()}", file=out)
    if report.ok:
        print(f"{report.source}: valid ({what})", file=out)
        return
    print(f"{report.source}: {_count(len(report.problems), 'problem')} ({what})", file=out)
    _print_problems(report.problems, limit, out)
    left = repairs_left(asked) if report.foreign.source_format else ()
    if left:
        print(
            "bake-tracker's real data often breaks a rule that an opt-in repair mends, "
            f"reported value by value: --repair {' / '.join(left)} (or --repair all)",
            file=out,
        )
    if report.exceptions:
        print(
            f"its export listed {_count(len(report.exceptions), 'exception')}: records the "
            "database held although the format refuses them; bakery-io import "
            "--accept-exceptions restores them as found",
            file=out,
        )


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    report = validate(args.source, repairs=args.repair, registry=args.registry)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        _print_report(report, args.limit, out, args.repair)
    return EXIT_OK if report.ok else EXIT_DATA


class _LoadProgress(Progress):
    def phase(self, phase: str, entity_type: str, records: int) -> None:
        if self.active:
            self.stream.write(f"\r{self.label}: {phase} {entity_type:<26} {records:>9,} records")
            self.stream.flush()


def _print_load(report: LoadReport, limit: int, out: TextIO) -> None:
    width = max((len(name) for name in report.counts), default=0)
    columns = ("created", "unchanged", "skipped", "updated")
    print(f"  {'':<{width}}  " + "  ".join(f"{name:>9}" for name in columns), file=out)
    for name, counts in [*report.counts.items(), ("total", report.total)]:
        numbers = counts.to_dict()
        print(f"  {name:<{width}}  " + "  ".join(f"{numbers[c]:>9,}" for c in columns), file=out)
    if report.conflicts:
        print(f"{_count(len(report.conflicts), 'record')} differed from the database:", file=out)
        _print_problems(report.conflicts, limit, out)
    _print_rewrites(report.rewrites, limit, out)
    _print_foreign(report.foreign, limit, out)
    if report.passed_over:
        print(f"extension data {report.passed_over.describe()}", file=out)
    if report.exceptions:
        listed = _count(len(report.exceptions), "exception")
        print(f"restored as found, as the backup lists them ({listed}):", file=out)
        _print_problems(report.exceptions, limit, out)
    total = report.total
    verb = "would load" if report.dry_run else "loaded"
    upgraded = (
        f" ({_format(report.version, report.upgraded_to, report.foreign)})"
        if report.upgraded_to
        else ""
    )
    print(
        f"{report.source}{upgraded}: {verb} {total.total:,} records: {total.created:,} created, "
        f"{total.updated:,} updated, {total.unchanged:,} unchanged, {total.skipped:,} skipped"
        f"{' (dry run: nothing was written)' if report.dry_run else ''}",
        file=out,
    )


def _load(
    engine: Engine, args: argparse.Namespace, progress: _LoadProgress
) -> tuple[LoadReport, bool]:
    """Create the bakery_io tables if the database has none, and load, in one transaction;
    returns the report and whether the tables were created.

    Where DDL is transactional (SQLite, begun explicitly; PostgreSQL) a failed or
    interrupted import leaves no table behind. MySQL/MariaDB commit DDL at once:
    there the tables are dropped again when the load fails, which a kill -9
    cannot do.
    """
    with engine.connect() as connection:
        outer = connection.begin()
        created = False
        try:
            begin_sqlite(connection, "IMMEDIATE")  # the DDL too is inside the transaction
            if not bakery_tables_present(connection, args.registry):
                create_schema(connection, registry=args.registry)
                created = True
            report = load_all(
                connection,
                args.source,
                on_conflict=args.on_conflict,
                dry_run=args.dry_run,
                accept_exceptions=args.accept_exceptions,
                repairs=args.repair,
                progress=progress.phase,
                registry=args.registry,
            )
        except BaseException:
            _undo(engine, outer, created=created, registry=args.registry)
            raise
        if args.dry_run:
            _undo(engine, outer, created=created, registry=args.registry)
        else:
            outer.commit()
    return report, created


def _undo(engine: Engine, outer: Transaction, *, created: bool, registry: Registry) -> None:
    """Roll the import back, with the tables it created where DDL committed at once."""
    outer.rollback()
    if created and engine.dialect.name in ("mysql", "mariadb"):
        drop_schema(engine, registry=registry)


def _import(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from_url(args.db)
    new_file = _new_sqlite_file(engine)
    progress = _LoadProgress("import", sys.stderr)
    try:
        if new_file is None:
            report, created = _load(engine, args, progress)
        else:
            # A new SQLite file is built aside and renamed into place when loaded:
            # a killed import leaves no half database under the name asked for.
            with file_aside(new_file) as aside:
                url = engine.url.set(database=str(aside.path))
                work = engine_from_url(url.render_as_string(hide_password=False))
                try:
                    report, created = _load(work, args, progress)
                finally:
                    work.dispose()
                aside.keep = not args.dry_run
    finally:
        progress.finish()
        engine.dispose()
    if not args.dry_run:
        args.written = f"{report.source} was loaded"
    if created and not args.dry_run:
        # With --json, standard output is the report alone: the note goes to standard error.
        note = sys.stderr if args.json else out
        print(f"{describe(engine)}: created the bakery_io tables", file=note)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), file=out)
    else:
        _print_load(report, args.limit, out)
    return EXIT_OK


def _upgrade(args: argparse.Namespace, out: TextIO) -> int:
    report = upgrade(
        args.source,
        args.target,
        overwrite=args.overwrite,
        repairs=args.repair,
        registry=args.registry,
    )
    args.written = f"{report.target} was written"
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), file=out)
        return EXIT_OK
    _print_rewrites(report.rewrites, args.limit, out)
    _print_foreign(report.foreign, args.limit, out)
    print(
        f"{report.target}: wrote {report.records:,} records of "
        f"{_count(report.files, 'entity type')} ({report.kind}"
        f"{f', {report.foreign.source_format}' if report.foreign.source_format else ''}"
        f"{'' if report.foreign.source_format else f' of format {report.version}'}, "
        f"written as {report.upgraded_to})",
        file=out,
    )
    return EXIT_OK


def _schemas(args: argparse.Namespace, out: TextIO) -> int:
    registry: Registry = args.registry
    # Older versions hold the core alone: a host's registry has schemas of the current one.
    versions = GENERATED if registry is REGISTRY else (CURRENT_VERSION,)
    for version in versions:
        for path in write_schemas(Path(args.directory), version, registry):
            print(path, file=out)
    return EXIT_OK


def _entity_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    # A host's registry (--registry) names its own types; the stock names are checked here.
    unknown = [name for name in names if name not in REGISTRY and not is_namespaced(name)]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown entity type {', '.join(unknown)} (known: {', '.join(REGISTRY.names)})"
        )
    return names


def _registry(text: str) -> Registry:
    """The registry ``module:name`` names (a host's), imported."""
    module_name, colon, name = text.partition(":")
    if not colon or not module_name or not name:
        raise argparse.ArgumentTypeError(f"expected MODULE:NAME, got {text!r}")
    # As uvicorn and gunicorn do with MODULE:NAME: the application's own directory counts.
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 (a host's module may raise anything; say what)
        raise argparse.ArgumentTypeError(
            f"cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from None
    found = getattr(module, name, None)
    if not isinstance(found, Registry):
        got = "nothing" if found is None else type(found).__name__
        raise argparse.ArgumentTypeError(f"{text} is not a bakery_io Registry (found {got})")
    return found


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _add_sources(command: argparse.ArgumentParser) -> None:
    """The sources a reading command takes, and the repairs it may make to the app's files."""
    command.add_argument(
        "source",
        metavar="SOURCE",
        nargs="+",
        help="the backup directory, .zip or .json file; or several files of one bake-tracker "
        "export (its backup and its history documents), read together",
    )
    command.add_argument(
        "--repair",
        action="append",
        default=[],
        choices=[*REPAIRS, "all"],
        metavar="NAME",
        help="for bake-tracker's files: make this opt-in repair, reported value by value "
        "(repeatable; all makes every one): "
        + "; ".join(f"{name}: {what}" for name, what in REPAIRS.items()),
    )


def _shared_options() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The options several commands share: the registry, and the database (with it)."""
    registry = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    registry.add_argument(
        "--registry",
        type=_registry,
        default=REGISTRY,
        metavar="MODULE:NAME",
        help="the registry of a host application (its bindings and extensions), imported "
        "from MODULE; default: format 1.1 in bakery_io's own tables",
    )
    database = argparse.ArgumentParser(add_help=False, allow_abbrev=False, parents=[registry])
    database.add_argument(
        "--db",
        default=os.environ.get("BAKERY_IO_DB", DEFAULT_DB),
        metavar="URL",
        help="SQLAlchemy database URL (default: $BAKERY_IO_DB or %(default)s)",
    )
    return registry, database


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``bakery-io`` (exposed for documentation and tests)."""
    # No abbreviated options anywhere: --overwrit must not pass for --overwrite.
    parser = argparse.ArgumentParser(
        prog="bakery-io",
        description="Back up, exchange and restore bakery planning data as JSON.",
        allow_abbrev=False,
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
    registry, database = _shared_options()
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init_db = commands.add_parser(
        "init-db",
        allow_abbrev=False,
        parents=[database],
        help="create the bakery_io tables that are missing",
        description="Create the bakery_io tables that do not exist yet; existing ones are kept.",
    )
    init_db.set_defaults(run=_init_db)

    sample = commands.add_parser(
        "sample-db",
        allow_abbrev=False,
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

    overwrite = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    overwrite.add_argument("--overwrite", action="store_true", help="replace TARGET if it exists")
    export = commands.add_parser(
        "export",
        allow_abbrev=False,
        parents=[database, overwrite],
        help="write a backup: a directory, a .zip or a single .json document",
        description=(
            f"Export the database in format {CURRENT_VERSION}: TARGET is a directory (numbered "
            "entity files and manifest.json), a path ending in .zip, or one ending in .json "
            "(a single document). The backup is one consistent snapshot, built aside and "
            "moved into place when complete."
        ),
    )
    export.add_argument("target", metavar="TARGET", help="where to write the backup")
    export.add_argument(
        "--entities",
        type=_entity_names,
        action="extend",
        metavar="TYPE[,TYPE...]",
        help="export only these entity types (a partial backup); default: all",
    )
    export.set_defaults(run=_export)

    history = commands.add_parser(
        "export-history",
        allow_abbrev=False,
        parents=[database, overwrite],
        help="write production and assembly runs to a single .json document",
        description=(
            "Export production runs and assembly runs, optionally for a date range (UTC days, "
            "both included) and/or one recipe (then production runs of that recipe only)."
        ),
    )
    history.add_argument("target", metavar="TARGET.json", help="the document to write")
    history.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="first day")
    history.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="last day")
    history.add_argument("--recipe", metavar="SLUG", help="only this recipe's production runs")
    history.set_defaults(run=_export_history)

    limit_args = ("--limit",)
    limit_options: dict[str, Any] = {
        "type": _non_negative_int,
        "default": 50,
        "metavar": "N",
        "help": "show at most N problems; 0 shows all (default: %(default)s)",
    }
    check = commands.add_parser(
        "validate",
        allow_abbrev=False,
        parents=[registry],
        help="check a backup or file against the published JSON Schemas",
        description=(
            "Check a backup directory, .zip, single document or single entity file against "
            "the published JSON Schemas of its format version, and a backup's manifest "
            "(checksums, record counts, listed files). Exit 1 when there are problems."
        ),
    )
    _add_sources(check)
    check.add_argument(
        "--json", action="store_true", help="print the report as JSON (all problems)"
    )
    check.add_argument(*limit_args, **limit_options)
    check.set_defaults(run=_validate)

    load = commands.add_parser(
        "import",
        allow_abbrev=False,
        parents=[database],
        help="load a backup or file into the database, all or nothing",
        description=(
            "Load a backup directory, .zip, single document or entity file. Everything is "
            "checked first (manifest, JSON Schemas, references, rules across records); on any "
            "problem nothing is written and the problems are listed (exit 1). Records whose "
            "key exists are compared: identical ones are left alone, different ones follow "
            "--on-conflict. Creates the bakery_io tables when the database has none."
        ),
    )
    _add_sources(load)
    load.add_argument(
        "--on-conflict",
        choices=CONFLICT_MODES,
        default="skip",
        help="a record that exists with different values: keep the database's (skip, the "
        "default), overwrite it (update) or fail (error)",
    )
    load.add_argument(
        "--dry-run", action="store_true", help="check and count everything, write nothing"
    )
    load.add_argument(
        "--accept-exceptions",
        action="store_true",
        help="restore, as found, the records the backup's export listed as exceptions "
        "(the database held them although the format or its rules refuse them)",
    )
    load.add_argument("--json", action="store_true", help="print the report as JSON")
    load.add_argument(*limit_args, **limit_options)
    load.set_defaults(run=_import)

    lift = commands.add_parser(
        "upgrade",
        allow_abbrev=False,
        parents=[registry, overwrite],
        help=f"rewrite a backup of an older format as format {CURRENT_VERSION}, no database",
        description=(
            f"Read SOURCE (a backup directory, .zip, single document or entity file of format "
            f"{' or '.join(VERSIONS)}), check it as its version, upgrade it and check the result "
            f"as format {CURRENT_VERSION}, then write it to TARGET (a directory, a path ending in "
            ".zip, or one ending in .json). On any problem nothing is written (exit 1). Slugs "
            "the upgrade rewrites are listed."
        ),
    )
    _add_sources(lift)
    lift.add_argument("target", metavar="TARGET", help="where to write the upgraded backup")
    lift.add_argument("--json", action="store_true", help="print the report as JSON")
    lift.add_argument(*limit_args, **limit_options)
    lift.set_defaults(run=_upgrade)

    schemas = commands.add_parser(
        "schemas",
        allow_abbrev=False,
        parents=[registry],
        help="write the published JSON Schemas of every format version to a directory",
        description=(
            f"Write the JSON Schemas of every format ({', '.join(GENERATED)}) into "
            "DIRECTORY/<version>/"
            " (the files published in the project's schemas_json/), for other tools; with "
            f"--registry, the {CURRENT_VERSION} schemas of that registry and its extensions."
        ),
    )
    schemas.add_argument("directory", metavar="DIRECTORY", help="where to write them")
    schemas.set_defaults(run=_schemas)
    return parser


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: raised where the command is, so that its cleanup runs
    (partials removed, transactions rolled back) as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: FrameType | None) -> None:
    # A second signal must not cut the cleanup the first one started.
    signal.signal(signum, signal.SIG_IGN)
    raise _Stopped(signum)


@contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise :class:`_Stopped` (main thread only:
    elsewhere Python cannot set handlers, and the caller's handlers stay)."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, _stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _quiet_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush finds
    no closed pipe (Python's documented recipe for SIGPIPE)."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (captured, replaced)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _interrupted(args: argparse.Namespace, how: str) -> None:
    written: str | None = getattr(args, "written", None)
    what = written or _INTERRUPTED.get(args.command, "nothing was written")
    print(f"bakery-io {args.command}: {how}; {what}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bakery-io`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = None
    logger = logging.getLogger("bakery_io")
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    try:
        return _run(args)
    finally:
        if handler is not None:
            logger.removeHandler(handler)


def _run(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; whatever ends it ends in an exit code and a message,
    never a traceback."""
    run: Command = args.run
    try:
        with _stopping_on_signals():
            out = _safe(sys.stdout)
            code = run(args, out)
            out.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except KeyboardInterrupt:
        _interrupted(args, "interrupted")
        code = EXIT_INTERRUPTED
    except _Stopped as exc:
        _interrupted(args, f"stopped by {signal.Signals(exc.signum).name}")
        code = 128 + exc.signum
    except BrokenPipeError:
        # The reader went away (| head): say nothing, as a command SIGPIPE ends.
        _quiet_stdout()
        code = EXIT_BROKEN_PIPE
    except (BakeryIOError, SQLAlchemyError, OSError) as exc:
        code = _report(args, exc)
    except Exception as exc:  # noqa: BLE001 (the last resort: a bug ends in one line, exit 1)
        print(
            f"bakery-io {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; -v shows the traceback)",
            file=sys.stderr,
        )
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        code = EXIT_DATA
    return code


def _report(args: argparse.Namespace, exc: BakeryIOError | SQLAlchemyError | OSError) -> int:
    """Print what ``exc`` says went wrong; return the exit code it calls for."""
    if isinstance(exc, UsageError):
        print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, SourceError):
        count = len(exc.problems)
        print(
            f"bakery-io {args.command}: {exc.source}: {_count(count, 'problem')}; "
            "nothing was written",
            file=sys.stderr,
        )
        _print_problems(exc.problems, getattr(args, "limit", 50), sys.stderr)
        if exc.repairs:
            print(
                "  bake-tracker's real data often breaks a rule that an opt-in repair mends, "
                f"reported value by value: --repair {' / '.join(exc.repairs)} (or --repair all)",
                file=sys.stderr,
            )
        elif exc.hint:  # the backup's export listed them: the command's own words for the cure
            print(
                "  the backup's export listed exceptions (records the database held although "
                "the format refuses them): bakery-io import --accept-exceptions restores those "
                "as found",
                file=sys.stderr,
            )
        return EXIT_DATA
    if isinstance(exc, BakeryIOError):
        print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
        for note in getattr(exc, "__notes__", ()):
            print(f"  {note}", file=sys.stderr)
        return EXIT_DATA
    if isinstance(exc, SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        print(f"bakery-io {args.command}: database error: {cause}", file=sys.stderr)
        return EXIT_DATA
    print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
    return EXIT_DATA


def _safe(stream: TextIO) -> TextIO:
    """``stream``, printing text it cannot encode (a lone surrogate) as escapes."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    return stream


if __name__ == "__main__":
    sys.exit(main())
