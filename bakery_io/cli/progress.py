"""Progress bars on a terminal while a command runs, drawn from the library's events.

The bars are tqdm's, one per step, cleared when the step ends; a closing line
on standard error then says what the job did and how long it took. Nothing
is drawn when standard error is not a terminal, or with ``--json``: then the
job is not even asked for events, so it does no counting for them.
"""

from __future__ import annotations

import os
import sys
import time
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from bakery_io.progress import Progress, ProgressCallback

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["ProgressDisplay", "closing_line"]


class ProgressDisplay:
    """``with ProgressDisplay("import", quiet=args.json, backup=path) as progress:`` gives
    the job's ``progress=`` callback, or ``None`` when nothing is to be drawn.

    ``backup`` is the backup the job reads or writes, whose size the closing line
    states once the job has succeeded (none is printed after a failure).
    """

    def __init__(
        self,
        command: str,
        *,
        quiet: bool = False,
        backup: str | PathLike[str] | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.command = command
        self.backup = backup
        self.stream = sys.stderr if stream is None else stream
        self.active = not quiet and self.stream.isatty()
        self._bar: tqdm[Any] | None = None
        self._last: Progress | None = None
        self._started = 0.0

    def __enter__(self) -> ProgressCallback | None:
        self._started = time.monotonic()
        return self.show if self.active else None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close_bar()
        if self.active and error is None and self._last is not None:
            size = _size(Path(self.backup)) if self.backup is not None else None
            elapsed = time.monotonic() - self._started
            print(closing_line(self.command, self._last, size, elapsed), file=self.stream)

    def show(self, event: Progress) -> None:
        """Draw ``event``: a new bar at a step's start, cleared at its end."""
        bar = self._bar
        if bar is None:
            from tqdm import tqdm  # noqa: PLC0415 (only a terminal draws: start-up stays fast)

            columns, lines = _size_of(self.stream)

            bar = self._bar = tqdm(
                desc=_describe(event),
                total=event.total,
                unit=f" {event.unit}",
                file=self.stream,
                leave=False,
                ncols=columns,
                nrows=lines,
                unit_scale=event.unit == "bytes",
            )
        if event.done > bar.n:
            bar.update(event.done - bar.n)
        described = _describe(event)
        if described != bar.desc:
            # Drawn at once, whatever tqdm's pace: the bar must name what is done now.
            bar.set_description_str(described)
        self._last = event
        if event.finished:
            self._close_bar()

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _size_of(stream: TextIO) -> tuple[int, int]:
    """The terminal's columns and lines; 80 by 24 where it states none (a pseudo-terminal
    may state 0 by 0, for which tqdm would draw nothing at all)."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):  # a stream with no descriptor (a test's fake terminal)
        return 80, 24
    return size.columns or 80, size.lines or 24


def _describe(event: Progress) -> str:
    if event.entity_type is None:
        return event.step
    return f"{event.step} {event.entity_type}"


def closing_line(command: str, last: Progress, size: int | None, elapsed: float) -> str:
    """``import: 50,108 records, 34.6 MB backup, in 7.5 s``: the job's last step's count,
    the size of its backup (if any) and the time it took."""
    parts = [f"{last.done:,} {last.unit}"]
    if size is not None:
        parts.append(f"{_bytes(size)} backup")
    return f"{command}: {', '.join(parts)}, in {elapsed:.1f} s"


def _bytes(size: int) -> str:
    if size < 1000:
        return f"{size:,} bytes"
    amount = size / 1000
    for unit in ("kB", "MB"):
        if amount < 1000:
            return f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} GB"


def _size(path: Path) -> int | None:
    """The bytes of a backup file, or of every file of a backup directory."""
    try:
        if path.is_dir():
            return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
        return path.stat().st_size
    except OSError:
        return None
