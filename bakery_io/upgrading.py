"""The upgrade stage of a check: an older source as a whole backup, and back as a source.

A source of an older format version is checked as that version
(:mod:`bakery_io.validation`), read whole into a
:class:`~bakery_io.versions.backup.Backup` from the records that check kept,
upgraded by the chain of steps (:mod:`bakery_io.versions`), and opened again,
in memory, as a source of the current version to check and load. This module
holds the two crossings between sources and backups, so that reading
containers needs nothing of writing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bakery_io.containers import Archive, FileSource, MemoryArchive, Source, parse
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.registry import REGISTRY, Registry
from bakery_io.versions.backup import Backup, Part
from bakery_io.writers import MemoryContainer, write_backup


def backup_of(
    source: Source, version: str, parts: Mapping[str, Part], registry: Registry = REGISTRY
) -> Backup:
    """``source`` as a whole backup of format ``version``, from its checked ``parts``.

    Only the container's own fields are read here (a manifest's export date and
    producer, a document's export time); the records come from the check that
    read them, so no file is parsed twice.
    """
    header: dict[str, Any] = {}
    if isinstance(source, Archive):
        manifest = parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
        header = {
            name: manifest[name]
            for name in ("export_date", "source", "extensions")
            if name in manifest
        }
    elif isinstance(source, FileSource) and source.kind == "document":
        header = {
            name: source.content[name]
            for name in ("exported_at", "extensions")
            if name in source.content
        }
    ordered = {name: parts[name] for name in registry.names if name in parts}
    return Backup(str(source.path), source.kind, version, header, ordered)


def as_source(backup: Backup) -> Source:
    """An in-memory source holding ``backup`` in its version's form, to check and load."""
    path = Path(backup.source)
    if backup.kind == "entity file":
        ((name, part),) = backup.parts.items()
        return FileSource(
            path, {"version": backup.version, "entity_type": name, "records": part.records}
        )
    if backup.kind == "document":
        content: dict[str, Any] = {"version": backup.version, **backup.header}
        content.update((name, part.records) for name, part in backup.parts.items())
        return FileSource(path, content)
    container = MemoryContainer(path, backup.version, backup.header.get("export_date"))
    write_backup(backup, container, str(backup.header.get("source", "")))
    return MemoryArchive(path, backup.kind, container.files)
