"""The ``bakery-io`` command's entry point: light, so that a Ctrl-C is handled from the start.

Importing the command line (:mod:`bakery_io.cli`) takes a few tens of milliseconds
(the library it runs is imported when a command runs, where a Ctrl-C is handled as
in the rest of the command). A Ctrl-C in that time would end in a traceback; here
it ends in one line, as everywhere else, and nothing has been done yet.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run ``bakery-io``; see :func:`bakery_io.cli.main`.

    For the process's entry point only: the run counts as the whole process
    (``whole_process=True``), so it freezes the garbage collector's heap once the
    command's library is imported. A program running the command line inside
    its own process calls :func:`bakery_io.cli.main` instead.
    """
    try:
        from bakery_io.cli import main as run  # noqa: PLC0415 (late on purpose: see above)
    except KeyboardInterrupt:
        print("bakery-io: interrupted while starting; nothing was done", file=sys.stderr)
        return 130
    return run(whole_process=True)
