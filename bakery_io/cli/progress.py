"""Progress shown on a terminal while a command runs."""

from __future__ import annotations

from typing import TextIO


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


class LoadProgressLine(Progress):
    def phase(self, phase: str, entity_type: str, records: int) -> None:
        if self.active:
            self.stream.write(f"\r{self.label}: {phase} {entity_type:<26} {records:>9,} records")
            self.stream.flush()
