"""The command's exit codes, and the shape of a command function."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable
from typing import TextIO

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


EXIT_INTERRUPTED = 128 + signal.SIGINT


EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE's number on Linux, macOS and the BSDs


Command = Callable[[argparse.Namespace, TextIO], int]
