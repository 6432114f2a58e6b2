"""What a backup holds, without a database: like ``pg_restore --list``.

:func:`inspect_backup` reads a backup directory, ZIP archive, single document or entity
file and says what it is (container kind, format version, the program that wrote it, when)
and what it holds (each entity type's file and record count), with every listed file's
checksum verified. Entity files are read a block at a time: memory holds one block of a
file, whatever its size. Nothing is checked against the JSON Schemas: that is
:func:`bakery_io.validate`'s work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, Literal

from bakery_io.containers import (
    Archive,
    FileSource,
    Hashing,
    Source,
    Unreadable,
    open_source,
    parse,
)
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.manifest import MANIFEST_NAME, listed_files
from bakery_io.jsonio import NotCanonical, read_entity_file
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY, Registry
from bakery_io.versions import document_version

__all__ = ["BackupSummary", "Checksum", "FileSummary", "inspect_backup"]

#: A file's checksum against its manifest entry: ``ok``, ``mismatch``, ``missing`` (listed,
#: not in the backup), ``unlisted`` (in the backup, not in its manifest), ``unreadable``
#: (its problem is in :attr:`BackupSummary.problems`) or ``none`` (a
#: container without checksums: a single document or entity file, a backup without manifest).
Checksum = Literal["ok", "mismatch", "missing", "unlisted", "unreadable", "none"]

#: The checksums that mean the backup is not as its manifest says.
_BAD: frozenset[str] = frozenset({"mismatch", "missing", "unlisted", "unreadable"})


@dataclass(frozen=True)
class FileSummary:
    """One entity type of a backup: its file, its records and its checksum.

    ``records`` is the number of records the file holds (``None`` when it cannot be
    read; its problem is in :attr:`BackupSummary.problems`); ``listed_records`` what the
    manifest says, when there is one.
    """

    entity_type: str | None
    filename: str
    records: int | None
    checksum: Checksum
    listed_records: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the file is what its manifest says (or there is no manifest to say)."""
        counted = self.listed_records is None or self.listed_records == self.records
        return self.checksum not in _BAD and self.records is not None and counted

    def to_dict(self) -> dict[str, Any]:
        """The file's summary as plain JSON-ready data."""
        return {
            "entity_type": self.entity_type,
            "filename": self.filename,
            "records": self.records,
            "listed_records": self.listed_records,
            "checksum": self.checksum,
            "ok": self.ok,
        }


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, as :func:`inspect_backup` found it.

    ``kind`` is the container (``directory``, ``zip``, ``document``, ``entity file``);
    ``version`` the format version it states; ``producer`` the program its manifest names
    (``source``); ``exported_at`` the export time it states; ``files`` one entry per
    entity type, in the backup's order; ``missing`` the entity types of the registry it
    does not hold (a partial backup holds some); ``problems`` every file that could not be
    read or is not what the manifest says.
    """

    source: str
    kind: str
    version: str | None
    producer: str | None
    exported_at: str | None
    files: tuple[FileSummary, ...]
    missing: tuple[str, ...] = ()
    exceptions: int = 0
    extensions: tuple[Mapping[str, str], ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    @property
    def records(self) -> int:
        """Records of every entity type together (those that could be read)."""
        return sum(entry.records or 0 for entry in self.files)

    @property
    def partial(self) -> bool:
        """Whether the backup holds only some of the registry's entity types."""
        return bool(self.missing)

    @property
    def ok(self) -> bool:
        """Whether every file could be read and is what the manifest says."""
        return not self.problems

    @property
    def verified(self) -> bool:
        """Whether checksums were there to verify, and every one matched."""
        return self.ok and any(entry.checksum == "ok" for entry in self.files)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return {
            "source": self.source,
            "kind": self.kind,
            "version": self.version,
            "producer": self.producer,
            "exported_at": self.exported_at,
            "partial": self.partial,
            "missing": list(self.missing),
            "records": self.records,
            "files": [entry.to_dict() for entry in self.files],
            "exceptions": self.exceptions,
            "extensions": [dict(extension) for extension in self.extensions],
            "verified": self.verified,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def inspect_backup(source: str | PathLike[str], *, registry: Registry = REGISTRY) -> BackupSummary:
    """Say what the backup ``source`` holds, with every checksum its manifest lists verified.

    ``source`` is a backup directory, a ``.zip`` archive, a single document or a single
    entity file. ``registry`` names the entity types a full backup holds. No database is
    needed and nothing is written. Raises :class:`~bakery_io.errors.UsageError` when
    ``source`` does not exist; what cannot be read is in the summary's ``problems``.
    """
    opened = open_source(source)
    try:
        if isinstance(opened, Archive):
            return _archive(opened, registry)
        assert isinstance(opened, FileSource)  # open_source opens nothing else
        return _file(opened, registry)
    finally:
        close = getattr(opened, "close", None)
        if close is not None:
            close()


def _summary(
    opened: Source, registry: Registry, files: list[FileSummary], **facts: Any
) -> BackupSummary:
    held = {entry.entity_type for entry in files}
    # An entity file holds one type by design: it is no partial backup.
    missing = (
        () if opened.kind == "entity file" else tuple(n for n in registry.names if n not in held)
    )
    return BackupSummary(
        source=opened.label,
        kind=opened.kind,
        files=tuple(files),
        missing=missing if held else (),
        problems=(
            *opened.problems,
            *_not_a_backup(opened, registry, files, facts.get("version")),
            *(
                _problem(entry)
                for entry in files
                if not entry.ok and entry.checksum != "unreadable"
            ),
        ),
        **facts,
    )


def _not_a_backup(
    opened: Source, registry: Registry, files: list[FileSummary], version: str | None
) -> list[Problem]:
    """What makes a readable source no backup of this format: no version, no entity file,
    entity types the registry does not know (left to the reading problems when there are)."""
    if opened.problems:
        return []
    problems = []
    if version is None:
        where = MANIFEST_NAME if isinstance(opened, Archive) else opened.label
        problems.append(Problem(where, "/version", "states no format version: not a backup"))
    if not files:
        problems.append(Problem(opened.label, "", "holds no entity file or array of records"))
    problems += [
        Problem(entry.filename, "", f"{entry.entity_type or '?'} is no entity type it knows")
        for entry in files
        if entry.entity_type is None
        or (entry.entity_type not in registry and not is_namespaced(entry.entity_type))
    ]
    return problems


def _problem(entry: FileSummary) -> Problem:
    """What is wrong with a file that is not what its manifest says."""
    if entry.checksum == "missing":
        said = "listed in the manifest, not in the backup"
    elif entry.checksum == "unlisted":
        said = "in the backup, not listed in the manifest"
    elif entry.checksum == "mismatch":
        said = "its checksum does not match the manifest's"
    elif entry.records is None:
        said = "holds no array of records"
    else:
        said = f"the manifest says {entry.listed_records} records, the file holds {entry.records}"
    return Problem(entry.filename, "", said)


def _archive(archive: Archive, registry: Registry) -> BackupSummary:
    manifest: Any = {}
    if archive.readable and archive.has(MANIFEST_NAME):
        try:
            manifest = parse(MANIFEST_NAME, archive.read(MANIFEST_NAME))
        except Unreadable as exc:
            archive.problems.append(exc.problem)
    if not isinstance(manifest, Mapping):
        archive.problems.append(Problem(MANIFEST_NAME, "", "expected a JSON object"))
        manifest = {}
    if manifest and not isinstance(manifest.get("files"), list):
        archive.problems.append(Problem(MANIFEST_NAME, "/files", "expected an array of entries"))
    listed = dict(listed_files(manifest))
    present = archive.entity_names() if archive.readable else []
    files = [_listed(archive, name, entry, name in present) for name, entry in listed.items()]
    files += [_unlisted(archive, name, bool(manifest)) for name in present if name not in listed]
    exceptions = manifest.get("exceptions", ())
    return _summary(
        archive,
        registry,
        files,
        version=_text(manifest.get("version")),
        producer=_text(manifest.get("source")),
        exported_at=_text(manifest.get("export_date")),
        exceptions=len(exceptions) if isinstance(exceptions, list) else 0,
        extensions=tuple(e for e in _list(manifest.get("extensions")) if isinstance(e, Mapping)),
    )


def _listed(archive: Archive, name: Any, entry: Mapping[str, Any], present: bool) -> FileSummary:
    entity_type = _text(entry.get("entity_type"))
    count = entry.get("record_count")
    listed_records = count if isinstance(count, int) else None
    if not present:
        return FileSummary(entity_type, str(name), None, "missing", listed_records)
    counted = _read(archive, str(name))
    if counted is None:
        return FileSummary(entity_type, str(name), None, "unreadable", listed_records)
    records, digest, _ = counted
    checksum: Checksum = "ok" if digest == entry.get("sha256") else "mismatch"
    return FileSummary(entity_type, str(name), records, checksum, listed_records)


def _unlisted(archive: Archive, name: str, has_manifest: bool) -> FileSummary:
    counted = _read(archive, name)
    if counted is None:
        return FileSummary(None, name, None, "unreadable")
    records, _, entity_type = counted
    return FileSummary(entity_type, name, records, "unlisted" if has_manifest else "none")


def _read(archive: Archive, name: str) -> tuple[int, str, str | None] | None:
    """``(records, sha256, entity_type)`` of entity file ``name``, read a block at a time
    (whole when it is not laid out as bakery_io writes it); ``None`` when it cannot be read,
    the problem noted in the archive's problems."""
    try:
        with archive.open(name) as handle:
            hashing = Hashing(handle)
            try:
                _, entity_type, records = read_entity_file(hashing, exact=False)
                count = sum(1 for _ in records)
                return count, hashing.hexdigest(), _text(entity_type)
            except NotCanonical:
                pass
        data = archive.read(name)
        content = parse(name, data)
    except Unreadable as exc:
        archive.problems.append(exc.problem)
        return None
    digest = hashlib.sha256(data).hexdigest()
    if not isinstance(content, Mapping) or not isinstance(content.get("records"), list):
        archive.problems.append(Problem(name, "", "not an entity file: no records array"))
        return None
    return len(content["records"]), digest, _text(content.get("entity_type"))


def _file(opened: FileSource, registry: Registry) -> BackupSummary:
    content: Any = opened.content if isinstance(opened.content, Mapping) else {}
    name = opened.name
    if opened.kind == "entity file":
        records = content.get("records")
        files = [
            FileSummary(
                _text(content.get("entity_type")),
                name,
                len(records) if isinstance(records, list) else None,
                "none",
            )
        ]
    else:
        files = [
            FileSummary(key, name, len(value), "none")
            for key, value in content.items()
            if isinstance(value, list) and key not in ("exceptions", "extensions")
        ]
    extensions = content.get("extensions", ())
    exceptions = content.get("exceptions", ())
    return _summary(
        opened,
        registry,
        files,
        version=_text(document_version(content)),
        producer=None,
        exported_at=_text(content.get("exported_at")),
        exceptions=len(exceptions) if isinstance(exceptions, list) else 0,
        extensions=tuple(e for e in extensions if isinstance(e, Mapping))
        if isinstance(extensions, list)
        else (),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
