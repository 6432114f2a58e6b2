"""The exception hierarchy: one root, a subclass for each party that must act.

Every error keeps the facts of the failure as attributes so that callers can
act on them without parsing the message.
"""

from __future__ import annotations

from collections.abc import Sequence


class BakeryIOError(Exception):
    """Root of every error bakery_io raises on purpose."""


class UsageError(BakeryIOError, ValueError):
    """The caller asked for something impossible: fix the call, not the data."""


class DatabaseStateError(BakeryIOError):
    """The target database is not in a state the operation can work on.

    ``url`` names the database (password hidden), ``reason`` says what was
    found (for example ``"not empty"``) and ``tables`` the tables concerned.
    """

    def __init__(self, message: str, *, url: str, reason: str, tables: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason
        self.tables = tuple(tables)
