"""Running a command: logging, signals, and every way it can end turned into an exit code
and a message, never a traceback."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from bakery_io.cli.exits import EXIT_BROKEN_PIPE, EXIT_DATA, EXIT_INTERRUPTED, EXIT_USAGE, Command
from bakery_io.cli.parser import build_parser
from bakery_io.cli.reports import plural, print_problems
from bakery_io.errors import BakeryIOError, SourceError, UsageError

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
            f"bakery-io {args.command}: {exc.source}: {plural(count, 'problem')}; "
            "nothing was written",
            file=sys.stderr,
        )
        print_problems(exc.problems, getattr(args, "limit", 50), sys.stderr)
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
