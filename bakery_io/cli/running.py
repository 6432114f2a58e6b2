"""Running a command: logging, signals, and every way it can end turned into an exit code
and a message, never a traceback."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, TextIO

from bakery_io.cli.exits import EXIT_BROKEN_PIPE, EXIT_DATA, EXIT_INTERRUPTED, EXIT_USAGE, Command
from bakery_io.cli.jsonout import failure, print_json
from bakery_io.cli.parser import CommandLineError, build_parser
from bakery_io.cli.reports import plural, print_problems
from bakery_io.cli.suggestions import command_parser, unrecognized
from bakery_io.errors import (
    BakeryIOError,
    DatabaseStateError,
    SourceError,
    StorageError,
    UsageError,
)
from bakery_io.problems import NOWHERE, Problem

#: What an interrupted command has written, when it is stopped before it is done. The
#: writing commands are all or nothing; init-db and sample-db create tables outside the
#: transaction of their rows where the database commits DDL at once (SQLite, MariaDB).
_INTERRUPTED = {
    "init-db": "some of the bakery_io tables may have been created (init-db again creates "
    "the rest)",
    "sample-db": "no sample rows were kept, but the bakery_io tables may have been created "
    "(or, with --replace, dropped and created anew)",
    "validate": "nothing was changed",
    "inspect": "nothing was changed",
    "schemas": "some of the schema files may have been written",
}


class _Stopped(SystemExit):
    """SIGTERM or SIGHUP arrived: raised where the command is, so that its cleanup runs
    (partials removed, transactions rolled back) as for Ctrl-C.

    A ``SystemExit``, which drivers take for an interruption as they take Ctrl-C:
    psycopg then cancels the statement it is waiting for, and the rollback can run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
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


def _interrupted(args: argparse.Namespace, how: str) -> str:
    """Say on standard error how the command was stopped and what it had written; return
    that message."""
    written = getattr(args, "written", None)
    if callable(written):
        written = written()
    message = f"{how}; {written or _INTERRUPTED.get(args.command, 'nothing was written')}"
    print(f"bakery-io {args.command}: {message}", file=sys.stderr)
    return message


def main(argv: Sequence[str] | None = None, *, whole_process: bool = False) -> int:
    """Run ``bakery-io`` with ``argv`` (default: the process arguments); return the exit code.

    ``whole_process``: this run is the whole process (the ``bakery-io`` command), so
    it may tune the interpreter for itself (:func:`_settling_imports`); a caller that
    runs the command line inside its own process leaves it false.
    """
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parsed(words)
    except CommandLineError as problem:
        return _usage_problem(problem, words)
    args.verbose += getattr(args, "verbose_after", 0)
    args.json = args.json or args.json_first
    handler = None
    logger = logging.getLogger("bakery_io")
    if args.verbose:
        handler = _one_line_handler()
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if args.verbose > 1 else logging.INFO)
    if whole_process:
        _quiet_libraries(verbose=bool(args.verbose))
    try:
        return _run(args, whole_process=whole_process)
    finally:
        if handler is not None:
            logger.removeHandler(handler)


class _OneLine(logging.Formatter):
    """A record in one line: a logged exception is named by its last line, in brackets,
    not by its traceback (the command says what went wrong in its own words)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if record.exc_info and record.exc_info[1] is not None:
            cause = traceback.format_exception_only(record.exc_info[1])[-1].strip()
            line = f"{line} ({cause})"
        return line

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return ""


def _one_line_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("%(levelname)s %(name)s: %(message)s"))
    return handler


#: Libraries whose log records would otherwise reach standard error through logging's
#: last resort, with tracebacks: SQLAlchemy logs one when closing a connection or cursor
#: that a Ctrl-C or SIGTERM interrupted, psycopg when a rollback after one fails.
_LIBRARY_LOGGERS = ("sqlalchemy", "psycopg")
#: The name of the handlers :func:`_quiet_libraries` adds, so that it adds them once.
_QUIETING = "bakery-io"


def _quiet_libraries(*, verbose: bool) -> None:
    """In the command's own process, keep the libraries' log records to one line each with
    ``-v`` (warnings and errors), and off standard error without it.

    A library that logs with no handler configured reaches logging's last resort,
    which prints the record and its traceback; after an interruption that was
    SQLAlchemy cleaning up the connection it stopped in, under the command's own
    one line. The handler stays until the process ends, when such records are
    still logged. A program running :func:`main` in its own process keeps its
    logging as it is.
    """
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if any(handler.name == _QUIETING for handler in library.handlers):
            continue
        handler = _one_line_handler() if verbose else logging.NullHandler()
        handler.set_name(_QUIETING)
        handler.setLevel(logging.WARNING)
        library.addHandler(handler)


def _parsed(words: Sequence[str]) -> argparse.Namespace:
    """The command line ``words`` parsed; arguments no option takes are refused here, where
    the command they were given to is known, so that suggestions come from its options."""
    parser = build_parser()
    args, extra = parser.parse_known_args(words)
    if extra:
        command = command_parser(parser, getattr(args, "command", None))
        raise CommandLineError(command, unrecognized(command, extra))
    return args


def _usage_problem(problem: CommandLineError, words: Sequence[str]) -> int:
    """Say what is wrong with the command line, as argparse would (and as JSON with
    ``--json``); exit 2."""
    problem.parser.print_usage(sys.stderr)
    print(f"{problem.parser.prog}: error: {problem.message}", file=sys.stderr)
    if "--json" in words:
        # The subcommand, when the error is its own (its parser's prog names it).
        command = problem.parser.prog.partition(" ")[2] or None
        document = failure(command, kind="usage", message=problem.message, exit_code=EXIT_USAGE)
        print_json(document, _safe(sys.stdout))
    return EXIT_USAGE


def _run(args: argparse.Namespace, *, whole_process: bool = False) -> int:
    """Run the command ``args`` names; whatever ends it ends in an exit code and a message,
    never a traceback (and, with ``--json``, in one JSON document on standard output)."""
    out = _safe(sys.stdout)
    try:
        with _stopping_on_signals():
            with _settling_imports(whole_process):
                command = _command(args)
            code = command(args, out)
            out.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        # The reader went away (| head): say nothing, as a command SIGPIPE ends.
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except (KeyboardInterrupt, _Stopped, BakeryIOError, OSError) as exc:
        ending = _ending(args, exc)
    except Exception as exc:  # noqa: BLE001 (a database error, or the last resort: a bug)
        ending = _ending(args, exc) if _from_database(exc) else _internal_error(args, exc)
    else:
        return code
    if getattr(args, "json", False):
        document = failure(
            args.command,
            kind=ending.kind,
            message=ending.message,
            exit_code=ending.code,
            problems=[problem.to_dict() for problem in ending.problems],
            hint=ending.hint,
        )
        try:
            print_json(document, out)
            out.flush()
        except BrokenPipeError:
            _quiet_stdout()
    return ending.code


def _command(args: argparse.Namespace) -> Command:
    """The function that runs the command ``args`` names, imported only now: the commands
    import the library (SQLAlchemy, marshmallow), which the parser, and so --help and
    --version, do without. ``--registry``'s default, bakery_io's own registry, is filled
    in here for the same reason."""
    from bakery_io.cli import commands  # noqa: PLC0415 (see above)
    from bakery_io.registry import REGISTRY  # noqa: PLC0415

    if "registry" in args and args.registry is None:
        args.registry = REGISTRY
    run: Command = getattr(commands, args.run)
    return run


@contextmanager
def _settling_imports(whole_process: bool) -> Iterator[None]:
    """Import a command's library with the garbage collector off, then freeze every
    object tracked so far out of later collections (only where the run is
    ``whole_process``).

    The modules, classes and mappings imported live until the process exits, yet
    collections walk them again and again: during the imports (about a tenth of
    their time) and in each full collection of the job after. A whole scale-5
    export or import took 14-18% less time without those walks. The price: the
    few hundred KiB of cyclic garbage the imports leave is frozen too, and kept.
    Only the command, which owns its process, does this; the library never
    changes a host's collector.
    """
    if not whole_process:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        try:
            # Frozen first, so that the first collection once enabled skips the imports.
            gc.freeze()
        finally:
            gc.enable()


def _from_database(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLAlchemy's error; it cannot be when the command never imported
    SQLAlchemy (and then neither does this)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


def _internal_error(args: argparse.Namespace, exc: Exception) -> _Ending:
    """The last resort: a bug ends in one line, exit 1 (``-v`` shows the traceback)."""
    message = f"internal error: {type(exc).__name__}: {exc}"
    print(
        f"bakery-io {args.command}: {message} (a bug: please report it; -v shows the traceback)",
        file=sys.stderr,
    )
    if args.verbose:
        traceback.print_exc(file=sys.stderr)
    return _Ending(EXIT_DATA, "internal", message)


@dataclass(frozen=True)
class _Ending:
    """How a failed command ended: its exit code and, for ``--json``, what went wrong."""

    code: int
    kind: str
    message: str
    problems: Sequence[Problem] = ()
    hint: str | None = None


def _ending(args: argparse.Namespace, exc: BaseException) -> _Ending:
    """Print (on standard error) what ``exc`` says went wrong; return how the command ends."""
    if isinstance(exc, _Stopped):
        how = f"stopped by {signal.Signals(exc.signum).name}"
        return _Ending(128 + exc.signum, "stopped", _interrupted(args, how))
    if not isinstance(exc, Exception):  # KeyboardInterrupt: Ctrl-C
        return _Ending(EXIT_INTERRUPTED, "interrupted", _interrupted(args, "interrupted"))
    if isinstance(exc, UsageError):
        print(f"bakery-io {args.command}: {exc}", file=sys.stderr)
        return _Ending(EXIT_USAGE, "usage", str(exc))
    if isinstance(exc, SourceError):
        return _source_error(args, exc)
    kind, message, notes = "os", str(exc), list(getattr(exc, "__notes__", ()))
    if isinstance(exc, DatabaseStateError):
        kind = "database_state"
    elif isinstance(exc, StorageError):
        kind = "storage"
    elif isinstance(exc, BakeryIOError):
        kind = "error"
    elif _from_database(exc):
        kind, message = "database", f"database error: {getattr(exc, 'orig', None) or exc}"
    print(f"bakery-io {args.command}: {message}", file=sys.stderr)
    for note in notes:
        print(f"  {note}", file=sys.stderr)
    return _Ending(EXIT_DATA, kind, message, hint="; ".join(notes) or None)


def _source_error(args: argparse.Namespace, exc: SourceError) -> _Ending:
    """A source with problems: every one listed (up to ``--limit``) and the way out, if any."""
    count = len(exc.problems)
    summary = f"{exc.source}: {plural(count, 'problem')}; nothing was written"
    print(f"bakery-io {args.command}: {summary}", file=sys.stderr)
    print_problems(exc.problems, getattr(args, "limit", 50), sys.stderr)
    hint = None
    if exc.repairs:
        hint = (
            "bake-tracker's real data often breaks a rule that an opt-in repair mends, "
            f"reported value by value: --repair {' / '.join(exc.repairs)} (or --repair all)"
        )
    elif exc.hint and args.command == "upgrade":  # extensions the registry lacks
        hint = "upgrade with the registry that holds those extensions: --registry MODULE:NAME"
    elif exc.hint:  # the backup's export listed them: the command's own words for the cure
        hint = (
            "the backup's export listed exceptions (records the database held although "
            "the format refuses them): bakery-io import --accept-exceptions restores those "
            "as found"
        )
    elif (
        getattr(args, "entities", None)
        and not getattr(args, "with_dependencies", True)
        and any(problem.message.endswith(NOWHERE) for problem in exc.problems)
    ):
        hint = (
            "a partial restore finds the records its types reference in the database: "
            "--with-dependencies restores the types they depend on too"
        )
    if hint:
        print(f"  {hint}", file=sys.stderr)
    return _Ending(EXIT_DATA, "source", summary, exc.problems, hint)


def _safe(stream: TextIO) -> TextIO:
    """``stream``, printing text it cannot encode (a lone surrogate) as escapes."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
    return stream
