"""A whole backup in memory, apart from its container: what upgrade steps transform.

A step of the upgrade chain may need several files at once (an id in one file
names a record of another), so it receives the whole backup: the records of
each entity type, the container's own fields, and where every array was read,
so that a problem or a rewrite can name its file, record and JSON pointer in
the source the user holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: One record (or nested child) as parsed from JSON.
Record = dict[str, Any]


@dataclass(frozen=True)
class Part:
    """The records of one entity type, and where they were read.

    ``file`` is the file's name in the source container and ``pointer`` the
    JSON pointer of the records array in it (``/records`` in an entity file,
    ``/<entity_type>`` in a single document).
    """

    file: str
    pointer: str
    records: list[Record]


@dataclass(frozen=True)
class Rewrite:
    """A key the upgrade changed or had to derive, reported to the user.

    ``old`` became ``new`` for ``entity_type``; ``file``, ``pointer`` and
    ``record`` say where (the record holding the key, or the first reference
    to it); ``references`` counts the references rewritten with it; ``why``
    says why.
    """

    entity_type: str
    old: str
    new: str
    why: str
    file: str
    pointer: str
    record: int | None = None
    references: int = 0

    def __str__(self) -> str:
        where = f"{self.file} {self.pointer}"
        if self.record is not None:
            where += f" [record {self.record}]"
        also = f"; {self.references} reference{'' if self.references == 1 else 's'} rewritten"
        return (
            f"{where}: {self.entity_type} {self.old!r} -> {self.new!r} ({self.why}"
            f"{also if self.references else ''})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The rewrite as plain JSON-ready data."""
        return {
            "entity_type": self.entity_type,
            "old": self.old,
            "new": self.new,
            "why": self.why,
            "file": self.file,
            "pointer": self.pointer,
            "record": self.record,
            "references": self.references,
        }


@dataclass(frozen=True)
class Backup:
    """A backup of one format version, whatever container it came in.

    ``source`` names the container (for problems); ``kind`` is the container
    form (``"directory"``, ``"zip"``, ``"document"`` or ``"entity file"``);
    ``header`` holds the container's own fields (a manifest's ``export_date``
    and ``source``, a document's ``exported_at``); ``parts`` the records by
    entity type, in import order; ``rewrites`` what upgrade steps changed.
    """

    source: str
    kind: str
    version: str
    header: Mapping[str, Any]
    parts: Mapping[str, Part]
    rewrites: tuple[Rewrite, ...] = field(default=())

    @property
    def record_count(self) -> int:
        """Top-level records of every entity type together."""
        return sum(len(part.records) for part in self.parts.values())
