"""A whole backup in memory, apart from its container: what upgrade steps transform.

A step of the upgrade chain may need several files at once (an id in one file
names a record of another), so it receives the whole backup: the records of
each entity type, the container's own fields, and where every array was read,
so that a problem or a rewrite can name its file, record and JSON pointer in
the source the user holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
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
class Repair:
    """A value an opt-in repair changed so that the record can load, reported to the user.

    ``repair`` names the repair (as the caller asked for it); ``file``,
    ``pointer``, ``record`` and ``key`` say where the value was read; ``old``
    and ``new`` are the value before and after, as JSON text would show them;
    ``why`` says what rule the old value broke.
    """

    repair: str
    entity_type: str
    file: str
    pointer: str
    old: Any
    new: Any
    why: str
    record: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = f"{self.file} {self.pointer}"
        if self.record is not None:
            where += f" [record {self.record}" + (f" ({self.key})" if self.key else "") + "]"
        return f"{where}: {self.old!s} -> {self.new!s} ({self.repair}: {self.why})"

    def to_dict(self) -> dict[str, Any]:
        """The repair as plain JSON-ready data."""
        return {
            "repair": self.repair,
            "entity_type": self.entity_type,
            "file": self.file,
            "pointer": self.pointer,
            "record": self.record,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "why": self.why,
        }


@dataclass(frozen=True)
class LeftBehind:
    """What a source holds that has no place in the current format, with counts.

    ``field`` is None when a whole entity type is left behind (``records``
    records of it); otherwise ``records`` counts the records whose ``field``
    held a value (not null, not empty). ``file`` names where they were read.
    """

    file: str
    entity_type: str
    field: str | None
    records: int
    why: str

    def __str__(self) -> str:
        what = self.entity_type if self.field is None else f"{self.entity_type}.{self.field}"
        plural = "" if self.records == 1 else "s"
        held = "" if self.field is None else " with a value"
        return f"{self.file}: {what}: {self.records} record{plural}{held} left behind ({self.why})"

    def to_dict(self) -> dict[str, Any]:
        """The entry as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Conversion:
    """A rule of the mapping that changed values of a field, with counts.

    Not a repair (the app's exporter meant the value that bakery_io writes),
    but never silent either: ``records`` records of ``entity_type`` in
    ``file`` had their ``field`` converted, as ``why`` says.
    """

    file: str
    entity_type: str
    field: str
    records: int
    why: str

    def __str__(self) -> str:
        plural = "" if self.records == 1 else "s"
        what = f"{self.entity_type}.{self.field}"
        return f"{self.file}: {what}: {self.records} record{plural}: {self.why}"

    def to_dict(self) -> dict[str, Any]:
        """The conversion as plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class Foreign:
    """What a report says of a source another program wrote (bake-tracker's files).

    ``source_format`` says what was found; ``repairs`` what the opt-in repairs
    changed, value by value; ``conversions`` which rules of the mapping changed
    values, counted; ``left_behind`` what had no place in the format, counted.
    All are empty for bakery_io's own formats.
    """

    source_format: str | None = None
    repairs: tuple[Repair, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    left_behind: tuple[LeftBehind, ...] = ()

    @classmethod
    def of(cls, backup: Backup | None) -> Foreign:
        """What ``backup`` (the upgraded source, if any) says of where it came from."""
        if backup is None:
            return cls()
        return cls(backup.source_format, backup.repairs, backup.conversions, backup.left_behind)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-ready data."""
        return {
            "source_format": self.source_format,
            "repairs": [repair.to_dict() for repair in self.repairs],
            "conversions": [conversion.to_dict() for conversion in self.conversions],
            "left_behind": [left.to_dict() for left in self.left_behind],
        }


@dataclass(frozen=True)
class Backup:
    """A backup of one format version, whatever container it came in.

    ``source`` names the container (for problems); ``kind`` is the container
    form (``"directory"``, ``"zip"``, ``"document"`` or ``"entity file"``);
    ``header`` holds the container's own fields (a manifest's ``export_date``
    and ``source``, a document's ``exported_at``); ``parts`` the records by
    entity type, in import order; ``rewrites`` what upgrade steps changed.

    A backup read from another program's files (:mod:`bakery_io.versions.bake_tracker`)
    also says what it was (``source_format``), what opt-in repairs changed
    (``repairs``), which of the mapping's rules changed values (``conversions``)
    and what had no place in the format (``left_behind``).
    """

    source: str
    kind: str
    version: str
    header: Mapping[str, Any]
    parts: Mapping[str, Part]
    rewrites: tuple[Rewrite, ...] = field(default=())
    source_format: str | None = None
    repairs: tuple[Repair, ...] = field(default=())
    conversions: tuple[Conversion, ...] = field(default=())
    left_behind: tuple[LeftBehind, ...] = field(default=())

    @property
    def record_count(self) -> int:
        """Top-level records of every entity type together."""
        return sum(len(part.records) for part in self.parts.values())
