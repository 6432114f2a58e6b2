"""bake-tracker's own files, read as an upgrade source of bakery_io's format.

bakery_io's format grew from the public app kentonium3/bake-tracker (MIT).
The files that app writes are the real "1.0" its users hold: its full backup
(a directory or ZIP with a manifest), its production-history and
assembly-history documents, and its single-document export. This package
reads them, beside bakery_io's own versions:

1. :mod:`.files` recognises each file by its shape (the app's version labels
   collide with bakery_io's) and reads it; several files of one export are
   combined (a backup and its history documents).
2. :mod:`.steps` brings the records to bakery_io's format 1.0, one small
   documented rule per step, with the opt-in repairs the caller names.
3. The 1.0 backup is then checked and upgraded like any other 1.0 backup, and
   every problem and rewrite is traced back to the app's file, record and
   field (:class:`Locator`).

Nothing here touches a database: what the load needs of one is checked by the
load, as for any source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from bakery_io.containers import Source
from bakery_io.format.fields import describe_json
from bakery_io.format.manifest import producer
from bakery_io.format.schemas.base import EntitySchema
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.repair_names import REPAIRS, repairs_hint, repairs_left, repairs_named
from bakery_io.sections import entity_type_of
from bakery_io.versions.backup import Backup, Conversion, Part, Rewrite
from bakery_io.versions.bake_tracker.files import (
    APPLICATION,
    FULL_BACKUP,
    combine,
    read_file,
    recognise,
)
from bakery_io.versions.bake_tracker.records import (
    Export,
    Origin,
    Rec,
    child_schemas,
    children,
    decimal_fields,
)
from bakery_io.versions.bake_tracker.steps import STEPS, run
from bakery_io.versions.v1_0_to_v1_1 import NAMED, SOURCE

__all__ = [
    "REPAIRS",
    "STEPS",
    "Conversion",
    "Locator",
    "Reading",
    "read",
    "recognise",
    "repairs_hint",
    "repairs_left",
    "repairs_named",
]

#: What the whole export is called when its files are named in a report.
SEVERAL = " + "


@dataclass(frozen=True)
class Trail:
    """Where a record of the 1.0 backup came from, and where each of its children did."""

    origin: Origin
    children: Mapping[str, Sequence[Trail]] = field(default_factory=dict)


class Locator:
    """Traces a problem or rewrite about the 1.0 backup back to the app's files.

    The 1.0 backup names its files ``<entity_type>.json`` and its records by
    position; each record's :class:`Trail` says where in the app's files it
    was read and what the app called its fields.
    """

    def __init__(self, trails: Mapping[str, Sequence[Trail]]) -> None:
        self.trails = trails

    def _find(self, file: str, where: str) -> tuple[Origin, str | None, list[str]] | None:
        entity_type = entity_type_of(file) or ""
        parts = [part.replace("~1", "/").replace("~0", "~") for part in where.split("/")[1:]]
        if entity_type not in self.trails or len(parts) < 2 or not parts[1].isdigit():
            return None
        records = self.trails[entity_type]
        if int(parts[1]) >= len(records):
            return None
        trail = records[int(parts[1])]
        rest = parts[2:]
        while len(rest) >= 2 and rest[0] in trail.children and rest[1].isdigit():
            kids = trail.children[rest[0]]
            if int(rest[1]) >= len(kids):
                break
            trail = kids[int(rest[1])]
            rest = rest[2:]
        return trail.origin, (rest[0] if rest else None), rest[1:]

    def _located(self, file: str, where: str) -> tuple[Origin, str] | None:
        """The record's origin and the pointer in the app's file of ``where`` in ``file``."""
        found = self._find(file, where)
        if found is None:
            return None
        origin, name, deeper = found
        return origin, origin.at(name) + "".join("/" + part for part in deeper)

    def problem(self, problem: Problem) -> Problem:
        """``problem`` where the user finds it in the app's files."""
        found = self._located(problem.file, problem.pointer)
        if found is None:
            return problem
        origin, where = found
        return Problem(origin.file, where, problem.message, origin.record, origin.key)

    def rewrite(self, rewrite: Rewrite) -> Rewrite:
        """``rewrite`` where the user finds the rewritten value in the app's files."""
        found = self._located(rewrite.file, rewrite.pointer)
        if found is None:
            return rewrite
        origin, where = found
        return replace(rewrite, file=origin.file, pointer=where, record=origin.record)


@dataclass(frozen=True)
class Reading:
    """The app's export read: as a bakery_io 1.0 backup when nothing stood in the way.

    ``backup`` is None when ``problems`` stopped the reading (files that cannot
    be read, records the upgrade cannot take); otherwise it is checked even
    when the steps found problems, so that all are named at once. ``export`` holds
    what the steps reported (rewrites, repairs, conversions, what was left
    behind) located in the app's files; ``locate`` traces later problems about
    the 1.0 backup back to them.
    """

    source_format: str
    label: str | None
    export: Export
    backup: Backup | None
    locate: Locator
    #: The records the app's files hold, as read (top-level records of every table).
    records: int = 0
    #: The files read: each entity file of a backup, and each document.
    files: int = 0

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Problems the reading found, in the app's files."""
        return self.export.problems


def _value(value: Any, decimal: bool) -> Any:
    """A parsed JSON value as the 1.0 backup's writer takes it (decimals exact)."""
    if isinstance(value, Decimal):
        if decimal or not value.is_finite():
            return format(value.copy_abs() if value.is_zero() else value, "f")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_value(item, False) for item in value]
    if isinstance(value, Mapping):
        return {key: _value(item, False) for key, item in value.items()}
    return value


def _plain(schema: type[EntitySchema], record: Rec) -> tuple[dict[str, Any], Trail]:
    decimals = decimal_fields(schema)
    nested = child_schemas(schema)
    plain: dict[str, Any] = {}
    trails: dict[str, list[Trail]] = {}
    for name, value in record.items():
        if name in nested and isinstance(value, list):
            kids = [_plain(nested[name], child) for child in children(record, name)]
            plain[name] = [kid for kid, _trail in kids]
            trails[name] = [trail for _kid, trail in kids]
        else:
            plain[name] = _value(value, name in decimals)
    return plain, Trail(record.origin, trails)


def _sound(export: Export) -> tuple[Export, list[Problem]]:
    """The export without the records the upgrade of format 1.0 cannot take, and the
    problems of those: a slug-keyed record's slug and a named record's name must be
    text, children lists of objects (odd values were set aside by :func:`.values.screen_values`).

    Anything else about the records is checked, completely, as the current
    format once they are upgraded; the unsound records are left out of that
    check (their problems are named already) so that the others' are named too.
    """
    problems: list[Problem] = []
    for entity in REGISTRY:
        table = export.tables.get(entity.name)
        if table is None:
            continue
        keys = ("name",) if entity.name in NAMED else entity.natural_key
        nested = child_schemas(entity.schema)
        kept = []
        for record in table.records:
            before = len(problems)
            for name in keys:
                if not isinstance(record.get(name), str):
                    problems.append(
                        record.origin.problem(
                            f"expected text, the {entity.name} record's key, got "
                            f"{describe_json(record.get(name))}",
                            name,
                        )
                    )
            for name in nested:
                value = record.get(name, [])
                if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
                    problems.append(
                        record.origin.problem(
                            f"expected a list of objects, got {describe_json(value)}", name
                        )
                    )
            if len(problems) == before:
                kept.append(record)
        if len(kept) < len(table.records):
            export = export.with_table(entity.name, kept)
    return export, problems


def _backup(export: Export, source_format: str) -> tuple[Backup, Locator]:
    """The export, once every step has run, as a bakery_io 1.0 backup."""
    parts: dict[str, Part] = {}
    trails: dict[str, list[Trail]] = {}
    for entity in REGISTRY:
        table = export.tables.get(entity.name)
        if table is None:
            continue
        plain = [_plain(entity.schema, record) for record in table.records]
        parts[entity.name] = Part(
            f"{entity.name}.json", "/records", [record for record, _ in plain]
        )
        trails[entity.name] = [trail for _record, trail in plain]
    header = export.header
    moment = header.get("export_date") or header.get("exported_at")
    backup = Backup(
        export.source,
        "directory",
        SOURCE,
        # Said so that nothing takes the result for the app's own backup.
        {
            "export_date": moment,
            "source": f"{producer()}, from {header.get('source') or APPLICATION}",
        },
        parts,
        source_format=source_format,
        repairs=export.repairs,
        left_behind=export.left_behind,
    )
    return backup, Locator(trails)


def read(sources: Sequence[Source], repairs: Iterable[str] = ()) -> Reading | None:
    """The app's export in ``sources`` read and brought to format 1.0, or None when
    ``sources`` are not the app's files (a single one of bakery_io's own, say).

    Several sources must all be the app's; one that is not is a problem.
    """
    kinds = [recognise(source) for source in sources]
    if len(sources) == 1 and kinds[0] is None:
        return None
    name = SEVERAL.join(str(source.path) for source in sources)
    files = []
    strangers = []
    for source, kind in zip(sources, kinds, strict=True):
        if kind is None:
            strangers.append(
                Problem(
                    source.name,
                    "",
                    "not a file of bake-tracker: several sources are read together only when "
                    "they are files of one bake-tracker export (a backup and its history "
                    "documents)",
                )
            )
            continue
        files.append(read_file(source, kind))
    export = combine(name, files, repairs_named(repairs))
    export = export.reporting(problems=strangers)
    source_format = ", ".join(export.formats) or "bake-tracker files"
    label = files[0].label if len(files) == 1 else None
    records = sum(len(table.records) for table in export.tables.values())
    count = sum(len(file.tables) if file.kind == FULL_BACKUP else 1 for file in files)
    if export.problems:
        return Reading(source_format, label, export, None, Locator({}), records, count)
    export, unsound = _sound(run(export, STEPS))
    # A value the first step set aside is named there, not again as a null key.
    said = {(problem.file, problem.pointer) for problem in export.problems}
    export = export.reporting(problems=[p for p in unsound if (p.file, p.pointer) not in said])
    backup, locate = _backup(export, source_format)
    # With problems of its records, the backup is still checked whole, so that every
    # problem is named at once.
    return Reading(source_format, label, export, backup, locate, records, count)
