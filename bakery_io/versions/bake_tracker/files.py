"""Recognising the app's files by their shape, and reading them into one :class:`Export`.

bake-tracker labels its files with versions that collide with bakery_io's own
(its full backup says ``"1.0"``, its production history ``"1.1"``), so a file
is recognised by what only the app writes, never by the label:

- a **full backup** (``coordinated_export_service.export_complete``, a
  directory or its ZIP): a manifest whose ``source`` is the app's name
  ("Seasonal Baking Tracker …"), or that lists entity types only the app has
  (``compositions``, ``recipe_categories``, the ``*_snapshots``…) or a
  fractional ``import_order`` (14.5);
- a **production history** (``batch_production_service``): a document of
  production runs that name their recipe by ``recipe_name`` alone;
- an **assembly history** (``assembly_service``): a document of assembly runs
  whose consumptions name finished units and products by id and name;
- a **single-document export** (``import_export_service.export_all_to_json``,
  versions 3.x and 4.x): ``"application": "bake-tracker"``, or a 2.x to 4.x
  version beside tables only the app writes.

Reading checks what the app itself promised (the manifest's checksums and
counts, each file's envelope) and nothing more: what bakery_io requires of the
records is checked once they are in its format.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bakery_io.containers import Archive, FileSource, Source, Unreadable, parse
from bakery_io.format.fields import describe_json
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.problems import Problem, pointer
from bakery_io.versions.backup import LeftBehind
from bakery_io.versions.bake_tracker.records import Export, Origin, Rec, Table, has_value

#: What the app's full backup names as its producer, before its version.
APP_NAME = "Seasonal Baking Tracker"
#: What the app's single document names as its application.
APPLICATION = "bake-tracker"

FULL_BACKUP = "bake-tracker full backup"
PRODUCTION_HISTORY = "bake-tracker production history"
ASSEMBLY_HISTORY = "bake-tracker assembly history"
DOCUMENT = "bake-tracker single-document export"

#: Entity types only the app's backups hold: their presence says who wrote the backup.
APP_ONLY_TYPES = frozenset(
    {
        "compositions",
        "recipe_categories",
        "material_inventory_items",
        "recipe_snapshots",
        "finished_good_snapshots",
        "material_unit_snapshots",
        "finished_unit_snapshots",
    }
)
#: Tables only the app's single document holds.
DOCUMENT_ONLY_TABLES = frozenset(
    {
        "compositions",
        "package_finished_goods",
        "event_production_targets",
        "event_assembly_targets",
        "production_records",
        "event_recipes",
        "event_finished_goods",
        "batch_decisions",
        "plan_amendments",
        "recipe_categories",
    }
)
#: The fields of a document that are not tables.
DOCUMENT_FIELDS = frozenset({"version", "exported_at", "application"})
_DOCUMENT_VERSION = re.compile(r"[2-9]\.[0-9]+")

#: Where each kind of file puts the tables it shares with another kind, when several
#: files of one export are read together: the first kind that holds a table wins.
PRECEDENCE = (FULL_BACKUP, DOCUMENT, PRODUCTION_HISTORY, ASSEMBLY_HISTORY)


@dataclass(frozen=True)
class AppFile:
    """One file (or backup) of the app, read: its kind, label, header and tables."""

    kind: str
    name: str
    label: str | None
    header: Mapping[str, Any]
    tables: Mapping[str, Table]
    problems: tuple[Problem, ...] = ()
    left_behind: tuple[LeftBehind, ...] = ()


def _manifest(source: Archive) -> Any:
    if not source.readable or not source.has(MANIFEST_NAME):
        return None
    try:
        return parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
    except Unreadable:
        return None


def _is_app_manifest(manifest: Any) -> bool:
    if not isinstance(manifest, Mapping):
        return False
    producer = manifest.get("source")
    if isinstance(producer, str) and producer.startswith(APP_NAME):
        return True
    files = manifest.get("files")
    for entry in files if isinstance(files, list) else ():
        if not isinstance(entry, Mapping):
            continue
        if entry.get("entity_type") in APP_ONLY_TYPES:
            return True
        order = entry.get("import_order")
        if isinstance(order, Decimal) and order != order.to_integral_value():
            return True
    return False


def _runs(content: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = content.get(key)
    return [run for run in found if isinstance(run, Mapping)] if isinstance(found, list) else []


def _is_production_history(content: Mapping[str, Any]) -> bool:
    if not set(content) <= {"version", "exported_at", "production_runs"}:
        return False
    return any(
        "recipe_name" in run and "recipe_slug" not in run
        for run in _runs(content, "production_runs")
    )


def _is_assembly_history(content: Mapping[str, Any]) -> bool:
    if not set(content) <= {"version", "exported_at", "assembly_runs"}:
        return False
    for run in _runs(content, "assembly_runs"):
        if "finished_good_consumptions" in run:
            return True
        for key, named in (
            ("finished_unit_consumptions", "finished_unit_name"),
            ("packaging_consumptions", "product_name"),
        ):
            if any(named in child for child in _runs(run, key)):
                return True
    return False


def _is_document(content: Mapping[str, Any]) -> bool:
    if content.get("application") == APPLICATION:
        return True
    version = content.get("version")
    return (
        isinstance(version, str)
        and _DOCUMENT_VERSION.fullmatch(version) is not None
        and bool(DOCUMENT_ONLY_TABLES & set(content))
    )


def recognise(source: Source) -> str | None:
    """What kind of the app's files ``source`` is, or None when it is not one of them."""
    if isinstance(source, Archive):
        return FULL_BACKUP if _is_app_manifest(_manifest(source)) else None
    if not isinstance(source, FileSource) or not isinstance(source.content, Mapping):
        return None
    content = source.content
    if "entity_type" in content:
        return None
    for kind, test in (
        (PRODUCTION_HISTORY, _is_production_history),
        (ASSEMBLY_HISTORY, _is_assembly_history),
        (DOCUMENT, _is_document),
    ):
        if test(content):
            return kind
    return None


def _key_of(record: Mapping[str, Any]) -> str | None:
    for name in ("slug", "name", "display_name", "uuid"):
        value = record.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def table(file: str, where: str, records: Any, problems: list[Problem]) -> Table | None:
    """The records array at ``where`` in ``file`` as a table; None (and a problem) when it
    is not an array of objects."""
    if not isinstance(records, list):
        problems.append(
            Problem(file, where, f"expected an array of records, got {describe_json(records)}")
        )
        return None
    kept = []
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            problems.append(
                Problem(
                    file,
                    where + pointer(position),
                    f"expected a record (an object), got {describe_json(record)}",
                    position,
                )
            )
            continue
        origin = Origin(file, where + pointer(position), position, _key_of(record))
        kept.append(Rec(record, origin))
    return Table(file, where, tuple(kept))


def _read_backup(source: Archive) -> AppFile:
    problems: list[Problem] = []
    left: list[LeftBehind] = []
    manifest = _manifest(source)
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("files"), list):
        problems.append(Problem(MANIFEST_NAME, "/files", "expected the list of the backup's files"))
        return AppFile(FULL_BACKUP, source.name, None, {}, {}, tuple(problems))
    tables: dict[str, Table] = {}
    listed: set[str] = set()
    entries: list[tuple[float, int, Mapping[str, Any]]] = []
    for position, entry in enumerate(manifest["files"]):
        where = pointer("files", position)
        if not isinstance(entry, Mapping) or not isinstance(entry.get("filename"), str):
            problems.append(Problem(MANIFEST_NAME, where, "expected a file entry with a filename"))
            continue
        order = entry.get("import_order")
        rank = (
            float(order)
            if isinstance(order, (int, Decimal)) and not isinstance(order, bool)
            else 1e9
        )
        entries.append((rank, position, entry))
    for _rank, position, entry in sorted(entries, key=lambda item: (item[0], item[1])):
        name = entry["filename"]
        listed.add(name)
        read = _entity_file(source, name, entry, pointer("files", position), problems)
        if read is not None:
            tables[read[0]] = read[1]
    for name in source.entity_names():
        if name not in listed:
            left.append(
                LeftBehind(
                    name,
                    name.removesuffix(".json"),
                    None,
                    0,
                    "not listed in the manifest, so not part of the export: not read",
                )
            )
    header = {name: manifest[name] for name in ("export_date", "source") if name in manifest}
    problems.extend(_export_time(MANIFEST_NAME, manifest, "export_date"))
    label = manifest.get("version")
    return AppFile(
        FULL_BACKUP,
        source.name,
        label if isinstance(label, str) else None,
        header,
        tables,
        tuple(problems),
        tuple(left),
    )


def _entity_file(
    source: Archive, name: str, entry: Mapping[str, Any], where: str, problems: list[Problem]
) -> tuple[str, Table] | None:
    """One entity file of an app backup, checked against its manifest entry."""
    if not source.has(name):
        problems.append(
            Problem(MANIFEST_NAME, where + "/filename", f"listed file {name} is missing")
        )
        return None
    try:
        data = source.read(name)
        content = parse(name, data)
    except Unreadable as exc:
        problems.append(exc.problem)
        return None
    if entry.get("sha256") is not None and hashlib.sha256(data).hexdigest() != entry["sha256"]:
        problems.append(
            Problem(MANIFEST_NAME, where + "/sha256", f"{name}: checksum does not match its bytes")
        )
    if not isinstance(content, Mapping):
        problems.append(
            Problem(name, "", f"expected an object with records, got {describe_json(content)}")
        )
        return None
    entity_type = content.get("entity_type", entry.get("entity_type"))
    if not isinstance(entity_type, str) or entity_type != entry.get("entity_type"):
        problems.append(
            Problem(
                name,
                "/entity_type",
                f"the manifest lists this file as {entry.get('entity_type')!r}",
            )
        )
        return None
    read = table(name, "/records", content.get("records"), problems)
    if read is None:
        return None
    count = entry.get("record_count")
    if isinstance(count, int) and count != len(content["records"]):
        problems.append(
            Problem(
                MANIFEST_NAME,
                where + "/record_count",
                f"{name}: the manifest says {count} records, "
                f"the file holds {len(content['records'])}",
            )
        )
    return entity_type, read


def _export_time(file: str, content: Mapping[str, Any], name: str) -> list[Problem]:
    """The problem with the export time a file of the app states, if any: the app always
    writes one, as text."""
    value = content.get(name)
    if isinstance(value, str) and _EXPORT_TIME.fullmatch(value):
        try:
            datetime.fromisoformat(value.removesuffix("Z"))
        except ValueError:  # the 13th month, the 30th of February
            pass
        else:
            return []
    got = "nothing" if name not in content else describe_json(value)
    return [
        Problem(
            file,
            pointer(name),
            f"expected the export time as an ISO 8601 datetime, as the app writes it, got {got}",
        )
    ]


#: An export time as the app writes it: naive, with an offset, or both an offset and ``Z``.
_EXPORT_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:[+-][0-9]{2}:[0-9]{2})?Z?"
)


def _read_document(source: FileSource, kind: str) -> AppFile:
    content = source.content
    assert isinstance(content, Mapping)  # recognise() said so
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    for key, value in content.items():
        if key in DOCUMENT_FIELDS:
            continue
        read = table(source.name, pointer(key), value, problems)
        if read is not None:
            tables[key] = read
    header = {name: content[name] for name in ("exported_at", "application") if name in content}
    problems.extend(_export_time(source.name, content, "exported_at"))
    if kind == DOCUMENT:
        # Which tables are the single document's: the steps of .document map only those.
        header[DOCUMENT_HEADER] = source.name
    label = content.get("version")
    return AppFile(
        kind,
        source.name,
        label if isinstance(label, str) else None,
        header,
        tables,
        tuple(problems),
    )


def read_file(source: Source, kind: str) -> AppFile:
    """The app's file ``source`` (of ``kind``, as :func:`recognise` said), read."""
    if isinstance(source, Archive):
        return _read_backup(source)
    assert isinstance(source, FileSource)
    return _read_document(source, kind)


#: The table an entity type of a history document goes to, beside the backup's own.
HISTORY_TABLES = {
    PRODUCTION_HISTORY: {"production_runs": "history:production_runs"},
    ASSEMBLY_HISTORY: {"assembly_runs": "history:assembly_runs"},
}
#: The header field that names the single document's file, when one was read.
DOCUMENT_HEADER = "document"
#: Tables of another file's kind that a file earlier in :data:`PRECEDENCE` shadows but that
#: a step still reads, under another name: the document's events hold fields the backup's
#: lack (``plan_state``, ``expected_attendees``), its ingredients the tree the older
#: backup lacks; ``merge_document_events`` and ``merge_document_ingredients`` add them.
SHADOWED = {
    DOCUMENT: {
        name: f"document:{name}" for name in ("events", "ingredients", "suppliers", "recipes")
    }
}


def fields_only_in(copy: Table, read: Table, entity_type: str) -> list[LeftBehind]:
    """The fields that hold a value in ``copy`` (a table another file holds too, whose
    records are the ones ``read``) but that no record read writes: each is left behind,
    counted, as what only the copy could have said (a lot's purchase, say)."""
    written = {name for record in read.records for name in record}
    counts: Counter[str] = Counter(
        name
        for record in copy.records
        for name, value in record.items()
        if name not in written and has_value(value)
    )
    return [
        LeftBehind(
            copy.file,
            entity_type,
            name,
            count,
            f"only this file writes it, and {read.file}'s records are the ones read: "
            "it cannot be matched to them",
        )
        for name, count in counts.items()
    ]


def combine(name: str, files: Sequence[AppFile], repairs: Iterable[str]) -> Export:
    """Several files of one export as one :class:`Export`.

    At most one file of each kind is taken. A history document's runs go to a
    table of their own (``history:production_runs``), which a step merges into
    the backup's runs. A table that two other files both hold is taken from
    the first in :data:`PRECEDENCE`; the other copy is reported as left behind,
    unless :data:`SHADOWED` keeps it for a step, which then reports it.
    """
    problems: list[Problem] = []
    left: list[LeftBehind] = []
    kinds: dict[str, AppFile] = {}
    for file in files:
        problems.extend(file.problems)
        left.extend(file.left_behind)
        if file.kind in kinds:
            problems.append(
                Problem(
                    file.name,
                    "",
                    f"a second {file.kind} ({kinds[file.kind].name} is one): "
                    "give the files of one export, each kind at most once",
                )
            )
            continue
        kinds[file.kind] = file
    tables: dict[str, Table] = {}
    header: dict[str, Any] = {}
    for kind in PRECEDENCE:
        if kind not in kinds:
            continue
        file = kinds[kind]
        for key, value in file.header.items():
            header.setdefault(key, value)
        renamed = HISTORY_TABLES.get(kind, {})
        for entity_type, found in file.tables.items():
            key = renamed.get(entity_type, entity_type)
            if key in tables and entity_type in SHADOWED.get(kind, {}):
                tables[SHADOWED[kind][entity_type]] = found
                continue
            if key in tables:
                if found.records:
                    left.append(
                        LeftBehind(
                            file.name,
                            entity_type,
                            None,
                            len(found.records),
                            f"{tables[key].file} holds {entity_type} too, "
                            "and its records are the ones read",
                        )
                    )
                    left.extend(fields_only_in(found, tables[key], entity_type))
                continue
            tables[key] = found
    formats = tuple(
        f"{kinds[kind].kind} (labelled {kinds[kind].label!r})" if kinds[kind].label else kind
        for kind in PRECEDENCE
        if kind in kinds
    )
    export = Export(name, formats, header, tables, frozenset(repairs))
    return replace(export, problems=tuple(problems), left_behind=tuple(left))
