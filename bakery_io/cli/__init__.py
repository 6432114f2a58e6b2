"""The ``bakery-io`` command line.

Exit codes: 0 success, 1 a problem with the data or the database (or a bug:
"internal error"), 2 a usage error (bad arguments, an unusable URL or driver),
130 interrupted by Ctrl-C, 128+N ended by signal N (SIGTERM: 143, SIGHUP: 129),
141 when standard output is a pipe that was closed (``| head``), as the shell
reports a command SIGPIPE ended. None of them prints a traceback (``-v``
shows one for an internal error).
"""

from __future__ import annotations

from bakery_io.cli.parser import build_parser
from bakery_io.cli.running import main

__all__ = ["build_parser", "main"]
