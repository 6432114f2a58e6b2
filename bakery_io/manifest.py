"""The manifest of a backup: what each entity file holds and how to check it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bakery_io.jsonio import encode_document

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
    """A backup's manifest: format version, export time, producer, and its entity files."""

    version: str
    export_date: str
    source: str
    files: tuple[FileEntry, ...]

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
            "files": [entry.to_dict() for entry in self.files],
        }

    def to_bytes(self) -> bytes:
        """The bytes of ``manifest.json``."""
        return encode_document(self.to_dict())
