"""The exception hierarchy: one root, a subclass for each party that must act.

Every error keeps the facts of the failure as attributes so that callers can
act on them without parsing the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bakery_io.problems import Problem


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


class StorageError(BakeryIOError, OSError):
    """The file system refused to read or write a path: whoever runs the job must act
    (free space, permissions, a read-only target).

    ``path`` names the file or directory concerned and ``reason`` what the
    system said (for example ``"No space left on device"``). Also an
    :class:`OSError`, so code that catches those keeps working.
    """

    def __init__(self, message: str, *, path: str, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SourceError(BakeryIOError):
    """The source cannot be loaded as it is: whoever supplied it must fix it.

    ``source`` names the container and ``problems`` holds every problem found,
    most useful first, each with its file, JSON pointer, record and key.
    Nothing was kept in the database.
    """

    #: Problems shown in the message; all of them are in :attr:`problems`.
    SHOWN = 10

    def __init__(
        self,
        source: str,
        problems: Sequence[Problem],
        *,
        hint: str | None = None,
        repairs: Sequence[str] = (),
    ) -> None:
        self.source = source
        self.problems = tuple(problems)
        #: What would let the source load, when there is such a thing to say.
        self.hint = hint
        #: For bake-tracker's files: the opt-in repairs not asked for, which may mend some
        #: of the problems (see :data:`bakery_io.REPAIRS`).
        self.repairs = tuple(repairs)
        count = len(self.problems)
        lines = [f"{source} cannot be loaded: {count} problem{'' if count == 1 else 's'}"]
        lines += [f"  {problem}" for problem in self.problems[: self.SHOWN]]
        if count > self.SHOWN:
            lines.append(f"  ... and {count - self.SHOWN} more (see .problems)")
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class NotFoundError(UsageError):
    """Records the caller named are not in the database (:func:`bakery_io.dump_records`).

    ``entity_type`` is their type and ``keys`` their natural keys, each a tuple
    of the key's parts (one for a slug or uuid).
    """

    def __init__(self, message: str, *, entity_type: str, keys: Sequence[tuple[str, ...]]) -> None:
        super().__init__(message)
        self.entity_type = entity_type
        self.keys = tuple(keys)
