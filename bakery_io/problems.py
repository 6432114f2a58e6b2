"""What is wrong with a file, said precisely: file, record, JSON pointer, message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: How a reference to a record found nowhere ends its problem's message (the command line
#: looks for it to suggest restoring the types a partial restore left out).
NOWHERE = "neither in the files being loaded nor in the database"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file.

    ``file`` is the file's name inside the container (or the container's own
    name); ``pointer`` the RFC 6901 JSON pointer of the offending value (``""``
    for the whole file); ``record`` the position of the record in its array
    and ``key`` its natural key, when the problem is inside a record.
    """

    file: str
    pointer: str
    message: str
    record: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}{' ' + self.pointer if self.pointer else ''}"
        if self.record is not None:
            which = f"record {self.record}" + (f" ({self.key})" if self.key else "")
            where += f" [{which}]"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain JSON-ready data."""
        return {
            "file": self.file,
            "pointer": self.pointer,
            "record": self.record,
            "key": self.key,
            "message": self.message,
        }


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer from path parts (``~`` and ``/`` escaped)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
