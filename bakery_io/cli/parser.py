"""The ``bakery-io`` command line's arguments: commands, options and their checks."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from bakery_io.cli.facts import CONFLICT_MODES, CURRENT_VERSION, GENERATED, VERSIONS
from bakery_io.cli.suggestions import did_you_mean, suggest
from bakery_io.errors import UsageError
from bakery_io.format.extensions import is_namespaced
from bakery_io.repair_names import REPAIRS

# The parser is built without the library (SQLAlchemy, marshmallow), so that --help and
# --version answer at once: each command's function is named here and imported when it
# runs (bakery_io.cli.running), and what the help says of the library is in .facts.
if TYPE_CHECKING:
    from bakery_io.registry import Registry

DEFAULT_DB = "sqlite:///bakery.db"


class CommandLineError(UsageError):
    """The command line is wrong: argparse's message, with a suggestion where one is close.

    Raised instead of argparse's exit, so that :func:`bakery_io.cli.main` can say it as
    JSON too when ``--json`` was asked for.
    """

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors suggest the closest names and reach ``main``."""

    def error(self, message: str) -> NoReturn:
        hint = suggest(message)
        raise CommandLineError(self, f"{message}; {hint}" if hint else message)


class _Version(argparse.Action):
    """``--version``, as argparse's own, with the installed version looked up only when
    asked: :mod:`importlib.metadata` takes a while to import."""

    def __init__(self, option_strings: Sequence[str], dest: str) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> NoReturn:
        from bakery_io import __version__  # noqa: PLC0415 (see the class)

        print(f"bakery-io {__version__} (writes format {CURRENT_VERSION})")
        parser.exit()


def _entity_names(text: str) -> list[str]:
    # Only now: the command that takes --entities is about to import the library anyway.
    from bakery_io.registry import REGISTRY  # noqa: PLC0415

    names = [name.strip() for name in text.split(",") if name.strip()]
    # A host's registry (--registry) names its own types; the stock names are checked here.
    unknown = [name for name in names if name not in REGISTRY and not is_namespaced(name)]
    if unknown:
        hints = [hint for name in unknown if (hint := did_you_mean(name, REGISTRY.names))]
        raise argparse.ArgumentTypeError(
            f"unknown entity type {', '.join(unknown)}"
            + (f"; {'; '.join(hints)}" if hints else f" (known: {', '.join(REGISTRY.names)})")
        )
    return names


def _registry(text: str) -> Registry:
    """The registry ``module:name`` names (a host's), imported."""
    from bakery_io.registry import Registry  # noqa: PLC0415 (see _entity_names)

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


def _add_partial_restore(command: argparse.ArgumentParser) -> None:
    """The options of a partial restore: which entity types, and their dependencies."""
    command.add_argument(
        "--entities",
        type=_entity_names,
        action="extend",
        metavar="TYPE[,TYPE...]",
        help="restore only these entity types of the backup (a partial restore); the records "
        "they reference must be in the database already, or --with-dependencies",
    )
    command.add_argument(
        "--with-dependencies",
        action="store_true",
        help="with --entities: restore the entity types they depend on too",
    )


def _shared_options() -> tuple[_Parser, _Parser]:
    """The options every command shares (the registry, --json, -v), and the database (with
    them)."""
    registry = _Parser(add_help=False, allow_abbrev=False)
    # -v after the command counts apart: a subcommand's default would reset the count given
    # before it (argparse copies the subcommand's namespace over the main one).
    registry.add_argument(
        "-v",
        "--verbose",
        dest="verbose_after",
        action="count",
        default=argparse.SUPPRESS,
        help="log what happens (-v: steps, -vv: details) on standard error",
    )
    registry.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on standard output, on success and failure alike "
        "(every problem in it); notes stay on standard error",
    )
    registry.add_argument(
        "--registry",
        type=_registry,
        # None is bakery_io's own registry, filled in when the command runs (as it is
        # imported then: bakery_io.cli.running).
        default=None,
        metavar="MODULE:NAME",
        help="the registry of a host application (its bindings and extensions), imported "
        "from MODULE; default: format 1.1 in bakery_io's own tables",
    )
    database = _Parser(add_help=False, allow_abbrev=False, parents=[registry])
    database.add_argument(
        "--db",
        default=os.environ.get("BAKERY_IO_DB", DEFAULT_DB),
        metavar="URL",
        help="SQLAlchemy database URL (default: $BAKERY_IO_DB or %(default)s)",
    )
    return registry, database


def _add_inspect(
    commands: argparse._SubParsersAction[_Parser],
    registry: _Parser,
    limit_args: tuple[str, ...],
    limit_options: dict[str, Any],
) -> None:
    """The inspect command: what a backup holds, without a database."""
    look = commands.add_parser(
        "inspect",
        allow_abbrev=False,
        parents=[registry],
        help="show what a backup holds, no database: version, dates, counts, checksums",
        description=(
            "Show what a backup directory, .zip, single document or entity file holds, as "
            "pg_restore --list does: the container, its format version, the program that "
            "wrote it and when, each entity type's file and record count, and whether each "
            "file matches the checksum its manifest lists. Exit 1 when one does not (or "
            "cannot be read). Nothing is checked against the JSON Schemas (validate does "
            "that) and no database is needed."
        ),
    )
    look.add_argument("source", metavar="SOURCE", help="the backup to look into")
    look.add_argument(*limit_args, **limit_options)
    look.set_defaults(run="run_inspect")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``bakery-io`` (exposed for documentation and tests)."""
    # No abbreviated options anywhere: --overwrit must not pass for --overwrite.
    parser = _Parser(
        prog="bakery-io",
        description="Back up, exchange and restore bakery planning data as JSON.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what happens (-v: steps, -vv: details) on standard error",
    )
    # --json before the command counts as after it (json_first: see -v below).
    parser.add_argument("--json", dest="json_first", action="store_true", help="see COMMAND --help")
    registry, database = _shared_options()
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init_db = commands.add_parser(
        "init-db",
        allow_abbrev=False,
        parents=[database],
        help="create the bakery_io tables that are missing",
        description="Create the bakery_io tables that do not exist yet; existing ones are kept.",
    )
    init_db.set_defaults(run="run_init_db")

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
    sample.set_defaults(run="run_sample_db")

    overwrite = _Parser(add_help=False, allow_abbrev=False)
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
    export.set_defaults(run="run_export")

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
    history.set_defaults(run="run_export_history")

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
    check.add_argument(*limit_args, **limit_options)
    check.set_defaults(run="run_validate")

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
    _add_partial_restore(load)
    load.add_argument(*limit_args, **limit_options)
    load.set_defaults(run="run_import")

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
    lift.add_argument(*limit_args, **limit_options)
    lift.set_defaults(run="run_upgrade")

    _add_inspect(commands, registry, limit_args, limit_options)

    schemas = commands.add_parser(
        "schemas",
        allow_abbrev=False,
        parents=[registry],
        help="write the published JSON Schemas of every format version to a directory",
        description=(
            f"Write the JSON Schemas of every format ({', '.join(GENERATED)}) into "
            "DIRECTORY/<version>/, with a self-contained bundle per container kind in "
            "DIRECTORY/<version>/bundled/"
            " (the files published in the project's schemas_json/), for other tools; with "
            f"--registry, the {CURRENT_VERSION} schemas of that registry and its extensions."
        ),
    )
    schemas.add_argument("directory", metavar="DIRECTORY", help="where to write them")
    schemas.set_defaults(run="run_schemas")
    return parser
