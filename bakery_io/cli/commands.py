"""The ``bakery-io`` commands: each takes the parsed arguments and standard output, and
returns the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine, Transaction

from bakery_io.binding.database import (
    bakery_tables_present,
    begin_sqlite,
    create_schema,
    describe,
    drop_schema,
    engine_from_url,
)
from bakery_io.cli.exits import EXIT_DATA, EXIT_OK
from bakery_io.cli.jsonout import print_json, success, verdict
from bakery_io.cli.progress import ProgressDisplay
from bakery_io.cli.reports import (
    plural,
    print_foreign,
    print_load,
    print_manifest,
    print_rewrites,
    print_summary,
    print_validation,
    warn_exceptions,
)
from bakery_io.dump import dump_all, dump_history
from bakery_io.errors import DatabaseStateError, UsageError
from bakery_io.format.json_schemas import GENERATED
from bakery_io.format.json_schemas import write as write_schemas
from bakery_io.format.manifest import Manifest
from bakery_io.inspection import inspect_backup
from bakery_io.load import LoadReport, load_all
from bakery_io.partials import file_aside
from bakery_io.registry import REGISTRY, Registry
from bakery_io.upgrades import upgrade
from bakery_io.validation import validate
from bakery_io.versions import CURRENT_VERSION


def run_init_db(args: argparse.Namespace, out: TextIO) -> int:
    engine = engine_from_url(args.db)
    registry: Registry = args.registry
    try:
        with engine.connect() as connection:
            before = bakery_tables_present(connection, registry)
        create_schema(engine, registry=registry)
        created = len(registry.tables) - len(before)
        if args.json:
            report = {"database": describe(engine), "created": created, "existing": len(before)}
            print_json(success("init-db", report), out)
        else:
            print(
                f"{describe(engine)}: created {created} tables, {len(before)} were there", file=out
            )
    finally:
        engine.dispose()
    return EXIT_OK


def run_sample_db(args: argparse.Namespace, out: TextIO) -> int:
    # The sample generator (its data, its rows) only for this command: the others start
    # without it.
    from bakery_io.sample import generate_sample  # noqa: PLC0415

    engine = engine_from_url(args.db)
    try:
        with ProgressDisplay("sample-db", quiet=args.json) as progress:
            report = generate_sample(
                engine, scale=args.scale, seed=args.seed, replace=args.replace, progress=progress
            )
    except DatabaseStateError as exc:
        if exc.reason == "not empty":
            exc.add_note("--replace drops and recreates the bakery_io tables (and only those)")
        raise
    finally:
        engine.dispose()
    args.written = "the sample was written"
    if args.json:
        document = {
            "database": describe(engine),
            "scale": report.scale,
            "seed": report.seed,
            "total": report.total,
            "rows": dict(report.rows),
        }
        print_json(success("sample-db", document), out)
        return EXIT_OK
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


def _identity(path: str | Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # ValueError: a name the system cannot hold (a NUL byte)
        return None
    return (found.st_dev, found.st_ino, found.st_mtime_ns)


def _written_if_replaced(
    target: str | Path, written: str | None = None
) -> Callable[[], str | None]:
    """What a command that moves ``target`` into place has written, asked when it is
    stopped: ``written`` (by default "``target`` was written") once ``target`` is there
    and another file or directory than when the command began (a backup, or a new
    database, moves into place whole, in one rename; a stop is held while an old one
    is moved aside), else None.

    Asked then, not set when the job returns: a Ctrl-C landing after the move (while
    connections close) must not be told as "nothing was written".
    """
    before = _identity(target)
    said = written or f"{target} was written"

    def found() -> str | None:
        now = _identity(target)
        return said if now is not None and now != before else None

    return found


def run_export(args: argparse.Namespace, out: TextIO) -> int:
    _require_tables(args.db, args.registry)
    args.written = _written_if_replaced(args.target)
    engine = engine_from_url(args.db)
    try:
        with ProgressDisplay("export", quiet=args.json, backup=args.target) as progress:
            manifest = dump_all(
                engine,
                args.target,
                entities=args.entities,
                overwrite=args.overwrite,
                progress=progress,
                registry=args.registry,
            )
    finally:
        engine.dispose()
    _print_written(args, manifest, out)
    return EXIT_OK


def run_export_history(args: argparse.Namespace, out: TextIO) -> int:
    _require_tables(args.db, args.registry)
    args.written = _written_if_replaced(args.target)
    engine = engine_from_url(args.db)
    try:
        with ProgressDisplay("export-history", quiet=args.json, backup=args.target) as progress:
            manifest = dump_history(
                engine,
                args.target,
                since=args.since,
                until=args.until,
                recipe=args.recipe,
                overwrite=args.overwrite,
                progress=progress,
                registry=args.registry,
            )
    finally:
        engine.dispose()
    _print_written(args, manifest, out)
    return EXIT_OK


def _print_written(args: argparse.Namespace, manifest: Manifest, out: TextIO) -> None:
    """What an export wrote: its files and counts, or the manifest as JSON."""
    if args.json:
        report = {"target": args.target, "manifest": manifest.to_dict()}
        print_json(success(args.command, report), out)
        warn_exceptions(manifest, 0)
    else:
        print_manifest(manifest, args.target, out)


def run_validate(args: argparse.Namespace, out: TextIO) -> int:
    with ProgressDisplay("validate", quiet=args.json, backup=_backup(args.source)) as progress:
        report = validate(
            args.source, repairs=args.repair, progress=progress, registry=args.registry
        )
    if args.json:
        problems = [problem.to_dict() for problem in report.problems]
        print_json(verdict("validate", report.source, report.to_dict(), problems), out)
    else:
        print_validation(report, args.limit, out, args.repair)
    return EXIT_OK if report.ok else EXIT_DATA


def _backup(source: str | list[str]) -> str | None:
    """The backup whose size a closing line states: the one source given, if one is."""
    if isinstance(source, str):
        return source
    return source[0] if len(source) == 1 else None


#: What an import stopped during its commit has written: the database decides.
_COMMITTING = (
    "its commit had begun, so the database holds the whole import or none of it "
    "(import again to see which: records already there are left unchanged)"
)
#: ... and where DDL commits at once, the tables it created stay either way.
_TABLES_STAY = "; the bakery_io tables it created stay, empty if it is none"


def _load(engine: Engine, args: argparse.Namespace, *, in_place: bool) -> tuple[LoadReport, bool]:
    """Create the bakery_io tables if the database has none, and load, in one transaction;
    returns the report and whether the tables were created. ``in_place``: the database
    is the one asked for (not a new file built aside), so its commit is what a stop
    after it has written.

    Where DDL is transactional (SQLite, begun explicitly; PostgreSQL) a failed or
    interrupted import leaves no table behind. MySQL/MariaDB commit DDL at once:
    there the tables are dropped again when the load fails, which a kill -9
    cannot do.
    """
    with (
        ProgressDisplay("import", quiet=args.json, backup=_backup(args.source)) as progress,
        engine.connect() as connection,
    ):
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
                progress=progress,
                registry=args.registry,
                entities=args.entities,
                with_dependencies=args.with_dependencies,
            )
        except BaseException:
            _undo(engine, outer, created=created, registry=args.registry)
            raise
        if args.dry_run:
            _undo(engine, outer, created=created, registry=args.registry)
        else:
            if in_place:
                stay = created and engine.dialect.name in ("mysql", "mariadb")
                args.written = _COMMITTING + (_TABLES_STAY if stay else "")
            outer.commit()
            if in_place:
                args.written = f"{report.source} was loaded"
    return report, created


def _undo(engine: Engine, outer: Transaction, *, created: bool, registry: Registry) -> None:
    """Roll the import back, with the tables it created where DDL committed at once."""
    outer.rollback()
    if created and engine.dialect.name in ("mysql", "mariadb"):
        drop_schema(engine, registry=registry)


def run_import(args: argparse.Namespace, out: TextIO) -> int:
    if args.with_dependencies and args.entities is None:
        raise UsageError("--with-dependencies goes with --entities (a partial restore)")
    engine = engine_from_url(args.db)
    new_file = _new_sqlite_file(engine)
    try:
        if new_file is None:
            report, created = _load(engine, args, in_place=True)
        else:
            # A new SQLite file is built aside and renamed into place when loaded:
            # a killed import leaves no half database under the name asked for.
            if not args.dry_run:
                args.written = _written_if_replaced(
                    new_file, f"the backup was loaded into {new_file}"
                )
            with file_aside(new_file) as aside:
                url = engine.url.set(database=str(aside.path))
                work = engine_from_url(url.render_as_string(hide_password=False))
                try:
                    report, created = _load(work, args, in_place=False)
                finally:
                    work.dispose()
                aside.keep = not args.dry_run
    finally:
        engine.dispose()
    if not args.dry_run:
        args.written = f"{report.source} was loaded"
    if created and not args.dry_run:
        # With --json, standard output is the report alone: the note goes to standard error.
        note = sys.stderr if args.json else out
        print(f"{describe(engine)}: created the bakery_io tables", file=note)
    if args.json:
        print_json(success("import", report.to_dict()), out)
    else:
        print_load(report, args.limit, out)
    return EXIT_OK


def run_upgrade(args: argparse.Namespace, out: TextIO) -> int:
    args.written = _written_if_replaced(args.target)
    with ProgressDisplay("upgrade", quiet=args.json, backup=args.target) as progress:
        report = upgrade(
            args.source,
            args.target,
            overwrite=args.overwrite,
            repairs=args.repair,
            progress=progress,
            registry=args.registry,
        )
    if args.json:
        print_json(success("upgrade", report.to_dict()), out)
        return EXIT_OK
    print_rewrites(report.rewrites, args.limit, out)
    print_foreign(report.foreign, args.limit, out)
    print(
        f"{report.target}: wrote {report.records:,} records of "
        f"{plural(report.files, 'entity type')} ({report.kind}"
        f"{f', {report.foreign.source_format}' if report.foreign.source_format else ''}"
        f"{'' if report.foreign.source_format else f' of format {report.version}'}, "
        f"written as {report.upgraded_to})",
        file=out,
    )
    return EXIT_OK


def run_inspect(args: argparse.Namespace, out: TextIO) -> int:
    summary = inspect_backup(args.source, registry=args.registry)
    if args.json:
        problems = [problem.to_dict() for problem in summary.problems]
        print_json(verdict("inspect", summary.source, summary.to_dict(), problems), out)
    else:
        print_summary(summary, args.limit, out)
    return EXIT_OK if summary.ok else EXIT_DATA


def run_schemas(args: argparse.Namespace, out: TextIO) -> int:
    registry: Registry = args.registry
    # Older versions hold the core alone: a host's registry has schemas of the current one.
    versions = GENERATED if registry is REGISTRY else (CURRENT_VERSION,)
    if Path(args.directory).exists() and not Path(args.directory).is_dir():
        raise UsageError(f"{args.directory} is a file: DIRECTORY is where the schemas go")
    written = [
        str(path)
        for version in versions
        for path in write_schemas(Path(args.directory), version, registry)
    ]
    if args.json:
        print_json(success("schemas", {"directory": args.directory, "files": written}), out)
    else:
        for path in written:
            print(path, file=out)
    return EXIT_OK
