"""The app's records on their way to bakery_io's format, each remembering where it was read.

Every record of the app's files travels through the steps as a :class:`Rec`:
a plain dict of its fields that also carries its :class:`Origin`, the file,
JSON pointer, position and key it was read at and what the app called each
field that a step renamed. The steps move records (compositions into their
finished goods, history runs into the backup's runs) and rename fields, so a
problem found afterwards is traced back through the origins to the value the
user can find in the file they hold.

An :class:`Export` is the whole of one export as the steps see it: the app's
tables by the app's entity type, and what the steps have reported so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from bakery_io.format.fields import Children, DecimalString
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.problems import Problem, pointer
from bakery_io.versions.backup import Conversion, LeftBehind, Repair, Rewrite


@dataclass(frozen=True)
class Origin:
    """Where a record or child was read, and what the app calls the fields a step renamed.

    ``pointer`` is the JSON pointer of the record itself; ``record`` its
    position in its file's records array and ``key`` its natural key there, as
    problems name them; ``names`` maps a field name of bakery_io's to the app's.
    """

    file: str
    pointer: str
    record: int | None = None
    key: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)

    def named(self, ours: str, theirs: str) -> Origin:
        """This origin, knowing that bakery_io's field ``ours`` is the app's ``theirs``."""
        if ours == theirs:
            return self
        return replace(self, names={**self.names, ours: theirs})

    def at(self, ours: str | None = None) -> str:
        """The JSON pointer of bakery_io's field ``ours`` of this record in the app's file."""
        if ours is None:
            return self.pointer
        return self.pointer + pointer(self.names.get(ours, ours))

    def problem(self, message: str, ours: str | None = None) -> Problem:
        """A problem with this record (or its field ``ours``), where the user can find it."""
        return Problem(self.file, self.at(ours), message, self.record, self.key)


class Rec(dict[str, Any]):
    """A record of the app's files: its fields, and :attr:`origin`."""

    __slots__ = ("origin",)

    def __init__(self, fields: Mapping[str, Any], origin: Origin) -> None:
        super().__init__(fields)
        self.origin = origin

    def evolve(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        drop: Iterable[str] = (),
        renames: Mapping[str, str] | None = None,
    ) -> Rec:
        """A new record: ``renames`` (the app's name -> bakery_io's) applied, ``drop``
        removed, then ``changes`` set. The record itself is left as it was."""
        origin = self.origin
        fields: dict[str, Any] = {}
        renames = renames or {}
        dropped = set(drop)
        for name, value in self.items():
            if name in dropped:
                continue
            ours = renames.get(name, name)
            if ours != name:
                origin = origin.named(ours, self.origin.names.get(name, name))
            fields[ours] = value
        fields.update(changes or {})
        return Rec(fields, origin)


def has_value(value: Any) -> bool:
    """Whether a field holds something: not null, not empty, not false."""
    return value is not None and value is not False and value not in ("", [], {})


@dataclass(frozen=True)
class Table:
    """The records of one of the app's entity types, and where their array was read."""

    file: str
    pointer: str
    records: tuple[Rec, ...]

    def with_records(self, records: Iterable[Rec]) -> Table:
        """This table holding ``records`` instead."""
        return replace(self, records=tuple(records))


@dataclass(frozen=True)
class Export:
    """One export of the app, read from one or more of its files, as the steps see it.

    ``tables`` holds the records by the app's entity type name (``compositions``
    included); ``formats`` says what files were read (``"bake-tracker full
    backup"``); ``header`` the export's date and producer; ``repairs_asked``
    the opt-in repairs the caller named. The rest is what steps reported.
    """

    source: str
    formats: tuple[str, ...]
    header: Mapping[str, Any]
    tables: Mapping[str, Table]
    repairs_asked: frozenset[str] = frozenset()
    problems: tuple[Problem, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    repairs: tuple[Repair, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    left_behind: tuple[LeftBehind, ...] = ()

    def records(self, entity_type: str) -> tuple[Rec, ...]:
        """The records of the app's ``entity_type`` (none when the export lacks it)."""
        table = self.tables.get(entity_type)
        return () if table is None else table.records

    def with_table(self, entity_type: str, records: Iterable[Rec]) -> Export:
        """This export with ``entity_type`` holding ``records`` (its place kept)."""
        table = self.tables[entity_type].with_records(records)
        return replace(self, tables={**self.tables, entity_type: table})

    def without(self, entity_type: str) -> Export:
        """This export without the app's ``entity_type``."""
        return replace(
            self, tables={name: t for name, t in self.tables.items() if name != entity_type}
        )

    def reporting(
        self,
        *,
        problems: Iterable[Problem] = (),
        rewrites: Iterable[Rewrite] = (),
        repairs: Iterable[Repair] = (),
        conversions: Iterable[Conversion] = (),
        left_behind: Iterable[LeftBehind] = (),
    ) -> Export:
        """This export with more reported."""
        return replace(
            self,
            problems=(*self.problems, *problems),
            rewrites=(*self.rewrites, *rewrites),
            repairs=(*self.repairs, *repairs),
            conversions=(*self.conversions, *conversions),
            left_behind=(*self.left_behind, *left_behind),
        )


def walk(record: Mapping[str, Any], children: Iterable[str]) -> Iterator[Rec]:
    """The child records of ``record`` under each key of ``children`` that holds a list."""
    for key in children:
        found = record.get(key)
        if isinstance(found, list):
            yield from (child for child in found if isinstance(child, Rec))


# ---------------------------------------------------------------------------
# What the steps share.


class Derived:
    """Keys derived for references to records the export does not hold, one rewrite per
    key with the number of references that use it (the load finds them in the database)."""

    def __init__(self, entity_type: str, why: str) -> None:
        self.entity_type = entity_type
        self.why = why
        self.found: dict[str, Rewrite] = {}

    def key(self, old: str, new: str, origin: Origin, field: str) -> str:
        """``new``, derived from ``old`` where ``origin``'s ``field`` referenced it."""
        known = self.found.get(old)
        self.found[old] = (
            Rewrite(
                self.entity_type,
                old,
                new,
                self.why,
                origin.file,
                origin.at(field),
                origin.record,
                1,
            )
            if known is None
            else replace(known, references=known.references + 1)
        )
        return new

    @property
    def rewrites(self) -> tuple[Rewrite, ...]:
        """One rewrite per derived key."""
        return tuple(self.found.values())


def children(record: Rec, key: str, app_key: str | None = None) -> list[Rec]:
    """The child records under ``key`` as records that know their origin."""
    found = record.get(key)
    if not isinstance(found, list):
        return []
    at = record.origin.at(app_key or key)
    return [
        child
        if isinstance(child, Rec)
        else Rec(
            child,
            Origin(
                record.origin.file, at + pointer(position), record.origin.record, record.origin.key
            ),
        )
        for position, child in enumerate(found)
        if isinstance(child, Mapping)
    ]


def map_table(export: Export, entity_type: str, change: Callable[[Rec], Rec]) -> Export:
    """``export`` with each record of ``entity_type`` replaced by ``change`` of it."""
    if entity_type not in export.tables:
        return export
    return export.with_table(
        entity_type, [change(record) for record in export.records(entity_type)]
    )


@cache
def decimal_fields(schema: type[EntitySchema]) -> dict[str, DecimalString]:
    """The exact-decimal fields of ``schema``, by wire name."""
    return {
        field.data_key or name: field
        for name, field in declared_fields(schema).items()
        if isinstance(field, DecimalString)
    }


@cache
def child_schemas(schema: type[EntitySchema]) -> dict[str, type[EntitySchema]]:
    """The schemas of the children ``schema`` nests, by the key they are nested under."""
    return {
        field.data_key or name: field.schema_class
        for name, field in declared_fields(schema).items()
        if isinstance(field, Children)
    }


def left_counts(
    entity_type: str, field: str | None, counts: Counter[str], why: str
) -> list[LeftBehind]:
    """One entry of what was left behind per file of ``counts``."""
    return [
        LeftBehind(file, entity_type, field, count, why) for file, count in counts.items() if count
    ]


def nest_into(
    export: Export, entity_type: str, found: Mapping[int, Mapping[str, list[Rec]]]
) -> Export:
    """``export`` with each record of ``entity_type`` gaining, after its own children,
    the children ``found`` holds for it (by the record's ``id()``, under their key)."""
    if not any(found.values()):
        return export

    def nest(record: Rec) -> Rec:
        kids = found.get(id(record))
        if not kids:
            return record
        more = {key: [*children(record, key), *rows] for key, rows in kids.items()}
        return Rec({**record, **more}, record.origin)

    return map_table(export, entity_type, nest)
