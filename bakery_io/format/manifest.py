"""The manifest of a backup: what each entity file holds and how to check it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bakery_io.jsonio import encode_document
from bakery_io.problems import Problem

#: The manifest's file name inside a backup directory or ZIP archive.
MANIFEST_NAME = "manifest.json"


def producer() -> str:
    """What a manifest's ``source`` says of the backups this library writes."""
    from bakery_io import __version__  # noqa: PLC0415 (the package imports this module)

    return f"bakery_io {__version__}"


@dataclass(frozen=True)
class FileEntry:
    """One entity file of a backup, as the manifest lists it."""

    filename: str
    entity_type: str
    record_count: int
    sha256: str
    dependencies: tuple[str, ...]
    import_order: int

    def to_dict(self) -> dict[str, Any]:
        """The entry as it is written in ``manifest.json``."""
        return {
            "filename": self.filename,
            "entity_type": self.entity_type,
            "record_count": self.record_count,
            "sha256": self.sha256,
            "dependencies": list(self.dependencies),
            "import_order": self.import_order,
        }


@dataclass(frozen=True)
class Manifest:
    """A backup's manifest: format version, export time, producer, and its entity files.

    ``exceptions`` lists the records the export wrote as the database held
    them although the format or its rules refuse them (see
    :mod:`bakery_io.audit`), each a :class:`~bakery_io.problems.Problem` in the
    terms of its entity file (``02_ingredients.json``, ``/records/3/...``),
    whatever the container. A backup with exceptions is restored only when
    the import is told to accept them.
    """

    version: str
    export_date: str
    source: str
    files: tuple[FileEntry, ...]
    exceptions: tuple[Problem, ...] = ()
    #: The extensions the backup uses (``{"namespace", "version"}``); a stock backup has none.
    extensions: tuple[dict[str, str], ...] = ()

    @property
    def record_count(self) -> int:
        """Records of all entity files together (top-level records, not children)."""
        return sum(entry.record_count for entry in self.files)

    def entry(self, entity_type: str) -> FileEntry | None:
        """The entry of ``entity_type``, if the backup holds it."""
        return next((entry for entry in self.files if entry.entity_type == entity_type), None)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as it is written in ``manifest.json``."""
        return {
            "version": self.version,
            "export_date": self.export_date,
            "source": self.source,
            **({"extensions": list(self.extensions)} if self.extensions else {}),
            "files": [entry.to_dict() for entry in self.files],
            # Only when there are some: a sound backup's manifest stays as it always was.
            **({"exceptions": self.exceptions_data()} if self.exceptions else {}),
        }

    def exceptions_data(self) -> list[dict[str, Any]]:
        """The exceptions as they are written (in a manifest, or a single document)."""
        return [problem.to_dict() for problem in self.exceptions]

    def to_bytes(self) -> bytes:
        """The bytes of ``manifest.json``."""
        return encode_document(self.to_dict())


def listed_files(manifest: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """The entries of a parsed, unchecked ``manifest`` that name a file, as (filename,
    entry): what a reader can go by before the manifest is validated (which says what is
    wrong with the rest)."""
    files = manifest.get("files") if isinstance(manifest, Mapping) else None
    if not isinstance(files, list):
        return []
    return [
        (entry["filename"], entry)
        for entry in files
        if isinstance(entry, Mapping) and isinstance(entry.get("filename"), str)
    ]
