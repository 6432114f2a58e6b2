"""Output containers: a backup directory, a ZIP archive, a single document or entity file.

Every container is built aside, as a locked partial (:mod:`bakery_io.partials`),
and moved into place by :func:`bakery_io.targets.building` only when it is
complete. Entity files are streamed: each record is encoded, written and
hashed as it comes.

Whatever the container, each entity type's sha256 and record count are those
of its entity file (``NN_<type>.json``): a single document holds the same
records at the same indentation, so the manifest :func:`bakery_io.dump_all`
returns is the same for all three forms.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bakery_io import partials
from bakery_io.errors import UsageError
from bakery_io.format.manifest import MANIFEST_NAME, FileEntry, Manifest
from bakery_io.jsonio import encode_document, encode_records, encode_value
from bakery_io.progress import Tracker
from bakery_io.queries import batches
from bakery_io.registry import REGISTRY, EntityType, Registry
from bakery_io.versions import filename
from bakery_io.versions.backup import Backup

_ARRAY_OPEN = b"["
_ARRAY_CLOSE_EMPTY = b"]"
_ARRAY_CLOSE = b"\n  ]"


class RecordStream:
    """Writes one entity type's records as a JSON array, hashing its entity file.

    ``sink`` receives the bytes that belong in the container; ``head`` and
    ``tail`` are the entity file's framing around the array, hashed whether
    or not the container writes them.
    """

    def __init__(self, sink: IO[bytes], head: bytes, tail: bytes, *, write_frame: bool) -> None:
        self._sink = sink
        self._tail = tail
        self._write_frame = write_frame
        self._hash = hashlib.sha256()
        self.count = 0
        self._emit(head, framing=True)
        self._emit(_ARRAY_OPEN)

    def _emit(self, data: bytes, *, framing: bool = False) -> None:
        self._hash.update(data)
        if self._write_frame or not framing:
            self._sink.write(data)

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        """Append records (already dumped to wire form)."""
        if records:
            body = encode_records(records)
            self._emit(b"," + body if self.count else body)
            self.count += len(records)

    def close(self) -> str:
        """Close the array; returns the sha256 of the entity file."""
        self._emit(_ARRAY_CLOSE if self.count else _ARRAY_CLOSE_EMPTY)
        self._emit(self._tail, framing=True)
        return self._hash.hexdigest()


def entity_file_head(version: str, entity_type: str) -> bytes:
    """The bytes of an entity file before its records array."""
    return (
        f'{{\n  "version": {encode_value(version)},\n'
        f'  "entity_type": {encode_value(entity_type)},\n  "records": '
    ).encode()


ENTITY_FILE_TAIL = b"\n}\n"


class Container(ABC):
    """Where an export goes; subclasses are the container forms.

    ``exported_at`` is the export time the container states (a single document
    omits it when it is None).
    """

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        # Subclasses use ``target`` (where to build aside) as they need.
        self.version = version
        self.exported_at = exported_at

    @abstractmethod
    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        """A stream for the records of one entity type."""

    @abstractmethod
    def finish(self, manifest: Manifest) -> None:
        """Complete the container aside (before it is moved into place)."""

    @abstractmethod
    def discard(self) -> None:
        """Remove what was built aside."""

    @property
    @abstractmethod
    def built(self) -> Path:
        """The path of the container being built aside."""

    @abstractmethod
    def release(self) -> None:
        """Close what the container holds open (and with it the lock on its partial);
        after it is moved into place or discarded."""


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


class DirectoryContainer(Container):
    """A backup directory: ``NN_<type>.json`` files and ``manifest.json``."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._dir, self._fd = partials.locked(target, partials.new_directory)

    @property
    def built(self) -> Path:
        return self._dir

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        path = self._dir / filename
        with path.open("wb") as handle:
            stream = RecordStream(
                handle,
                entity_file_head(self.version, entity_type),
                ENTITY_FILE_TAIL,
                write_frame=True,
            )
            yield stream
            handle.flush()
            os.fsync(handle.fileno())

    def finish(self, manifest: Manifest) -> None:
        path = self._dir / MANIFEST_NAME
        path.write_bytes(manifest.to_bytes())
        _fsync(path)

    def discard(self) -> None:
        partials.remove(self._dir)

    def release(self) -> None:
        os.close(self._fd)


class _Archive(zipfile.ZipFile):
    """A ZIP being written that is closed only on purpose, never when collected.

    ``ZipFile`` closes itself when collected, writing its central directory into its
    file. An archive abandoned by an error or a signal (even one that lands in the
    constructor, before the container holds it) belongs to a partial whose file is closed
    and removed by then: that late close would print a traceback on stderr.
    """

    def __del__(self) -> None:
        self.fp = None


class ZipContainer(Container):
    """A ZIP archive of the backup directory's files, flat at the root, deterministic."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        # Members carry the export time, so the same export gives the same bytes; a
        # time a ZIP cannot state (before 1980, after 2107) gives its earliest date.
        moment = datetime.fromisoformat(exported_at or "1980-01-01T00:00:00Z").astimezone(UTC)
        if not 1980 <= moment.year <= 2107:
            moment = datetime(1980, 1, 1, tzinfo=UTC)
        self._date_time = (
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )
        self._path, self._file = partials.create(target)
        with partials.removed_on_error(self._path, self._file):
            self._zip = _Archive(self._file, "w", compression=zipfile.ZIP_DEFLATED)

    @property
    def built(self) -> Path:
        return self._path

    def _member(self, filename: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(filename, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 3  # Unix, on every platform: the same bytes everywhere
        return info

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        with self._zip.open(self._member(filename), "w", force_zip64=True) as handle:
            yield RecordStream(
                handle,
                entity_file_head(self.version, entity_type),
                ENTITY_FILE_TAIL,
                write_frame=True,
            )

    def finish(self, manifest: Manifest) -> None:
        self._zip.writestr(self._member(MANIFEST_NAME), manifest.to_bytes())
        self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())

    def discard(self) -> None:
        # The member being written was closed as the error left it; the central
        # directory goes into a file about to be removed, so its failure does not matter.
        with suppress(OSError, ValueError):
            self._zip.close()
        partials.remove(self._path)

    def release(self) -> None:
        with suppress(OSError):  # unwritten bytes of a discarded partial (a full disk)
            self._file.close()


class _FileContainer(Container):
    """A container that is one file, written through a handle."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._path, self._handle = partials.create(target)

    @property
    def built(self) -> Path:
        return self._path

    def finish(self, manifest: Manifest) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def discard(self) -> None:
        partials.remove(self._path)

    def release(self) -> None:
        with suppress(OSError):  # unwritten bytes of a discarded partial (a full disk)
            self._handle.close()


def _document_head(version: str, exported_at: str | None) -> bytes:
    head = f'{{\n  "version": {encode_value(version)}'
    if exported_at is not None:
        head += f',\n  "exported_at": {encode_value(exported_at)}'
    return head.encode()


def _document_part(handle: IO[bytes], version: str, entity_type: str) -> RecordStream:
    """Start the records of ``entity_type`` in a single document being written to ``handle``."""
    handle.write(f",\n  {encode_value(entity_type)}: ".encode())
    return RecordStream(
        handle, entity_file_head(version, entity_type), ENTITY_FILE_TAIL, write_frame=False
    )


def _document_tail(manifest: Manifest) -> bytes:
    # What a manifest would say besides its files, which a single document, having
    # no manifest, carries itself: last, once every record has been checked.
    trailer: dict[str, Any] = {}
    if manifest.extensions:
        trailer["extensions"] = list(manifest.extensions)
    if manifest.exceptions:
        trailer["exceptions"] = manifest.exceptions_data()
    tail = b"\n}\n"
    if trailer:
        listed = encode_document(trailer)
        tail = b",\n" + listed.strip()[1:-1].strip(b"\n") + tail
    return tail


class DocumentContainer(_FileContainer):
    """A single document: ``{"version", "exported_at", "<type>": [records], ...}``."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        with partials.removed_on_error(self._path, self._handle):
            self._handle.write(_document_head(version, exported_at))

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        yield _document_part(self._handle, self.version, entity_type)

    def finish(self, manifest: Manifest) -> None:
        self._handle.write(_document_tail(manifest))
        super().finish(manifest)


class EntityFileContainer(_FileContainer):
    """A single entity file: ``{"version", "entity_type", "records"}`` of one entity type."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._written = False

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        if self._written:
            raise UsageError("a single entity file holds one entity type")
        self._written = True
        yield RecordStream(
            self._handle,
            entity_file_head(self.version, entity_type),
            ENTITY_FILE_TAIL,
            write_frame=True,
        )


class MemoryContainer(Container):
    """A backup held in memory: the bytes of each entity file and of the manifest."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._target = target
        #: The bytes of each file, by name.
        self.files: dict[str, bytes] = {}

    @property
    def built(self) -> Path:
        return self._target

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        sink = io.BytesIO()
        yield RecordStream(
            sink, entity_file_head(self.version, entity_type), ENTITY_FILE_TAIL, write_frame=True
        )
        self.files[filename] = sink.getvalue()

    def finish(self, manifest: Manifest) -> None:
        self.files[MANIFEST_NAME] = manifest.to_bytes()

    def discard(self) -> None:
        self.files.clear()

    def release(self) -> None:
        """Nothing to release: the files are in memory."""


class MemoryDocument(Container):
    """A single document built in memory (:func:`bakery_io.dump_records`): its bytes."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._target = target
        self._sink = io.BytesIO()
        self._sink.write(_document_head(version, exported_at))
        #: The finished document (empty until :meth:`finish`).
        self.data = b""

    @property
    def built(self) -> Path:
        return self._target

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        yield _document_part(self._sink, self.version, entity_type)

    def finish(self, manifest: Manifest) -> None:
        self._sink.write(_document_tail(manifest))
        self.data = self._sink.getvalue()

    def discard(self) -> None:
        self.data = b""

    def release(self) -> None:
        """Nothing to release: the document is in memory."""


def write_entity(
    container: Container,
    entity: EntityType,
    filename: str,
    chunks: Iterable[Sequence[dict[str, Any]]],
) -> FileEntry:
    """Write the records of ``entity``, in chunks, into ``container``; returns their
    manifest entry."""
    with container.entity(entity.name, filename) as stream:
        for chunk in chunks:
            stream.add(chunk)
        digest = stream.close()
    return FileEntry(
        filename=filename,
        entity_type=entity.name,
        record_count=stream.count,
        sha256=digest,
        dependencies=entity.dependencies,
        import_order=entity.number,
    )


def write_backup(
    backup: Backup,
    container: Container,
    source: str,
    registry: Registry = REGISTRY,
    tracker: Tracker | None = None,
) -> Manifest:
    """Write a whole in-memory backup into ``container``, in its version's file names.

    The manifest states the container's export time, ``source`` as the producer
    and the extensions the backup's own header declares. ``tracker`` hears of each
    chunk written (step ``writing``).
    """
    tracker = tracker or Tracker(None, "")
    tracker.start("writing", sum(len(part.records) for part in backup.parts.values()))
    entries = tuple(
        write_entity(
            container,
            registry[name],
            filename(registry[name], backup.version),
            tracker.chunked(batches(part.records), name),
        )
        for name, part in backup.parts.items()
    )
    extensions = tuple(backup.header.get("extensions") or ())
    manifest = Manifest(
        backup.version, container.exported_at or "", source, entries, extensions=extensions
    )
    container.finish(manifest)
    tracker.finish()
    return manifest


def container_for(target: Path, *, single: bool = False) -> type[Container]:
    """The container form a target path asks for: ``.zip``, ``.json``, else a directory.

    With ``single``, a ``.json`` target is a single entity file rather than a document.
    """
    suffix = target.suffix.lower()
    if suffix == ".zip":
        return ZipContainer
    if suffix == ".json":
        return EntityFileContainer if single else DocumentContainer
    return DirectoryContainer
