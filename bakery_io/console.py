"""The ``bakery-io`` command's entry point: light, so that a Ctrl-C is handled from the start.

Importing the command line (:mod:`bakery_io.cli`) takes a few tens of milliseconds
(the library it runs is imported when a command runs, where a Ctrl-C is handled as
in the rest of the command). A Ctrl-C in that time would end in a traceback; here
it ends in one line, as everywhere else, and nothing has been done yet.
"""

from __future__ import annotations

import signal
import sys


def main() -> int:
    """Run ``bakery-io``; see :func:`bakery_io.cli.main`.

    For the process's entry point only: the run counts as the whole process
    (``whole_process=True``), so it freezes the garbage collector's heap once the
    command's library is imported, and once the command has ended it ignores
    Ctrl-C, SIGTERM and SIGHUP. A program running the command line inside its own
    process calls :func:`bakery_io.cli.main` instead.
    """
    try:
        from bakery_io.cli import main as run  # noqa: PLC0415 (late on purpose: see above)
    except KeyboardInterrupt:
        print("bakery-io: interrupted while starting; nothing was done", file=sys.stderr)
        return 130
    code = run(whole_process=True)
    _ignore_stops()
    return code


def _ignore_stops() -> None:
    """Ignore Ctrl-C, SIGTERM and SIGHUP for the rest of the process.

    The command has done its work and said so. What remains is the interpreter's
    teardown, a few milliseconds. A stop landing there printed a
    ``KeyboardInterrupt`` traceback from a finalizer, or killed the process after
    its report, and the exit status then contradicted what the command said.
    """
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_IGN)
