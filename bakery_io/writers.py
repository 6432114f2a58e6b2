"""Output containers: a backup directory, a ZIP archive, a single document or entity file.

Every container is built aside (a hidden ``.<name>.<12 hex digits>.partial``
sibling, locked with ``flock`` while it is built) and moved into place with
one rename only when it is complete, so an interrupted export never leaves
something that looks like a finished backup. Partials of earlier exports that
were killed are removed when the next export to the same target starts; one
that a live export holds locked is never touched. Entity files are streamed:
each record is encoded, written and hashed as it comes.

A target that exists is replaced (with ``overwrite``) only when it is
recognisably a bakery_io backup of the same form; see :func:`building`.

Whatever the container, each entity type's sha256 and record count are those
of its entity file (``NN_<type>.json``): a single document holds the same
records at the same indentation, so the manifest :func:`bakery_io.dump_all`
returns is the same for all three forms.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import sys
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bakery_io.errors import BakeryIOError, StorageError, UsageError
from bakery_io.jsonio import encode_document, encode_records, encode_value
from bakery_io.manifest import MANIFEST_NAME, FileEntry, Manifest
from bakery_io.queries import batches
from bakery_io.registry import REGISTRY, EntityType
from bakery_io.versions import filename
from bakery_io.versions.backup import Backup

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

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


_TOKEN = "[0-9a-f]{12}"


def _aside(target: Path, kind: str = "partial") -> Path:
    """A hidden sibling of ``target`` (``.<name>.<token>.<kind>``); never mistaken for a
    finished backup."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{kind}")


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if a live process holds one.

    The lock goes with the process: a killed export's partial is unlocked.
    """
    if sys.platform == "win32":
        return True  # no flock: partials are reported, never removed (clean_partials)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _locked(target: Path, make: Callable[[Path], int]) -> tuple[Path, int]:
    """A new partial sibling of ``target`` made by ``make`` (which returns an open fd), locked.

    Between its creation and the lock, a cleaner may take the partial for a stale one
    and remove it: then it is given up and another name made.
    """
    for _ in range(8):
        path = _aside(target)
        fd = make(path)
        try:
            if _try_lock(fd) and os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                return path, fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise StorageError(
        f"cannot build {target} aside: its partial was removed as it was made, again and again",
        path=str(target),
        reason="partial removed",
    )


def _new_file(path: Path) -> int:
    # Unlike mkstemp (0600), os.open honours the umask, so the backup gets the usual mode.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)


def _new_directory(path: Path) -> int:
    path.mkdir(mode=0o777)  # the umask applies, as for any new directory
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def _create(target: Path) -> tuple[Path, IO[bytes]]:
    """A new locked partial file for ``target``, open for writing; the handle holds the lock."""
    path, fd = _locked(target, _new_file)
    return path, os.fdopen(fd, "wb")


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


class DirectoryContainer(Container):
    """A backup directory: ``NN_<type>.json`` files and ``manifest.json``."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._dir, self._fd = _locked(target, _new_directory)

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
        _remove(self._dir)

    def release(self) -> None:
        os.close(self._fd)


class ZipContainer(Container):
    """A ZIP archive of the backup directory's files, flat at the root, deterministic."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._path, self._file = _create(target)
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED)
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
        _remove(self._path)

    def release(self) -> None:
        with suppress(OSError):  # unwritten bytes of a discarded partial (a full disk)
            self._file.close()


class _FileContainer(Container):
    """A container that is one file, written through a handle."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._path, self._handle = _create(target)

    @property
    def built(self) -> Path:
        return self._path

    def finish(self, manifest: Manifest) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def discard(self) -> None:
        _remove(self._path)

    def release(self) -> None:
        with suppress(OSError):  # unwritten bytes of a discarded partial (a full disk)
            self._handle.close()


class DocumentContainer(_FileContainer):
    """A single document: ``{"version", "exported_at", "<type>": [records], ...}``."""

    def __init__(self, target: Path, version: str, exported_at: str | None) -> None:
        super().__init__(target, version, exported_at)
        self._handle.write(f'{{\n  "version": {encode_value(version)}'.encode())
        if exported_at is not None:
            self._handle.write(f',\n  "exported_at": {encode_value(exported_at)}'.encode())

    @contextmanager
    def entity(self, entity_type: str, filename: str) -> Iterator[RecordStream]:
        self._handle.write(f",\n  {encode_value(entity_type)}: ".encode())
        yield RecordStream(
            self._handle,
            entity_file_head(self.version, entity_type),
            ENTITY_FILE_TAIL,
            write_frame=False,
        )

    def finish(self, manifest: Manifest) -> None:
        if manifest.exceptions:
            # Last, once every record has been checked: the manifest's list, which a
            # single document, having no manifest, carries itself.
            listed = encode_document({"exceptions": manifest.exceptions_data()})
            self._handle.write(b",\n" + listed.strip()[1:-1].strip(b"\n"))
        self._handle.write(b"\n}\n")
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


def write_backup(backup: Backup, container: Container, source: str) -> Manifest:
    """Write a whole in-memory backup into ``container``, in its version's file names.

    The manifest states the container's export time and ``source`` as the producer.
    """
    entries = tuple(
        write_entity(
            container,
            REGISTRY[name],
            filename(REGISTRY[name], backup.version),
            batches(part.records),
        )
        for name, part in backup.parts.items()
    )
    manifest = Manifest(backup.version, container.exported_at or "", source, entries)
    container.finish(manifest)
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


#: A suffix that names a file type (``.gz``, ``.tar``, ``.txt``): not a directory backup's.
_FILE_SUFFIX = re.compile(r"\.[A-Za-z]+")
#: How much of a manifest or a .json target is read to recognise a bakery_io backup.
_HEAD = 1 << 20
_MAX_MANIFEST = 16 << 20
#: How many of the names that are not part of a backup a refusal lists.
_SHOWN = 5
#: The files SQLite keeps beside a database, removed with a stale partial database.
_SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")


def _resolved(target: Path) -> Path:
    """``target`` as an absolute path, its parent resolved; the name is kept as it is
    (a symbolic link at the target is replaced, not followed)."""
    absolute = Path(os.path.abspath(target))
    if not absolute.name:
        raise UsageError(f"cannot write a backup to {target}: it is the file system root")
    resolved = absolute.parent.resolve() / absolute.name
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise UsageError(
            f"cannot write a backup to {target}: it is the working directory or holds it; "
            "name a new directory (for example backup/), a .zip or a .json file"
        )
    return resolved


def _listed_files(manifest: object) -> set[str] | None:
    """The file names a parsed ``manifest.json`` lists, or None if it is no bakery_io manifest."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("version"), str):
        return None
    files = manifest.get("files")
    if not isinstance(files, list):
        return None
    names = set()
    for entry in files:
        name = entry.get("filename") if isinstance(entry, dict) else None
        if not isinstance(name, str) or name in ("", ".", "..", MANIFEST_NAME) or "/" in name:
            return None
        names.add(name)
    return names


def _parsed(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
        return None


def _names(names: Iterable[str]) -> str:
    shown = sorted(names)
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(shown[:_SHOWN]) + more


def _not_a_backup_directory(path: Path) -> str | None:
    """Why the directory ``path`` is not a bakery_io backup, or None if it is one: a
    ``manifest.json`` of bakery_io and nothing but the regular files it lists."""
    manifest = path / MANIFEST_NAME
    listed = None
    if manifest.is_file() and not manifest.is_symlink():
        with manifest.open("rb") as handle:
            listed = _listed_files(_parsed(handle.read(_MAX_MANIFEST + 1)))
    strays = [
        f"{entry.name}/" if entry.is_dir(follow_symlinks=False) else entry.name
        for entry in os.scandir(path)
        if listed is None
        or entry.name not in {*listed, MANIFEST_NAME}
        or not entry.is_file(follow_symlinks=False)
    ]
    if not strays:
        return None
    if listed is None and MANIFEST_NAME not in strays:
        return f"holds files that are not part of a bakery_io backup: {_names(strays)}"
    if listed is None:
        return f"has a {MANIFEST_NAME} that is not a bakery_io manifest, and {_names(strays)}"
    return f"holds files that are not part of a bakery_io backup: {_names(strays)}"


def _not_a_backup_zip(path: Path) -> str | None:
    """Why the file ``path`` is not a bakery_io ZIP backup, or None if it is one: its members
    are exactly ``manifest.json`` and the files it lists."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if MANIFEST_NAME not in names:
                return f"a ZIP archive without {MANIFEST_NAME}"
            info = archive.getinfo(MANIFEST_NAME)
            if info.file_size > _MAX_MANIFEST:
                return f"its {MANIFEST_NAME} is too large for a manifest"
            listed = _listed_files(_parsed(archive.read(info)))
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError):
        # Not a ZIP, damaged, encrypted or compressed in a way Python cannot read.
        return "not a ZIP archive bakery_io can read"
    if listed is None:
        return f"its {MANIFEST_NAME} is not a bakery_io manifest"
    strays = [name for name in names if name not in {*listed, MANIFEST_NAME}]
    if strays or len(names) != len(set(names)):
        return f"it holds members that are not part of a bakery_io backup: {_names(strays)}"
    return None


def _is_backup_document(path: Path) -> bool:
    """Whether the file ``path`` begins as a bakery_io single document or entity file does.

    Only the head is read, however large the file: a JSON object whose first keys are
    ``version`` (and ``exported_at`` or ``entity_type``, strings), followed by an entity
    type's array, or by ``records`` after an ``entity_type`` that names one.
    """
    with path.open("rb") as handle:
        text = handle.read(_HEAD).decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    space = re.compile(r"[ \t\n\r]*")
    seen: dict[str, object] = {}

    def skip(position: int, expected: str) -> int:
        position = space.match(text, position).end()  # type: ignore[union-attr]
        if not text.startswith(expected, position):
            raise ValueError(expected)
        return space.match(text, position + len(expected)).end()  # type: ignore[union-attr]

    try:
        position = skip(0, "{")
        while True:
            key, position = decoder.raw_decode(text, position)
            position = skip(position, ":")
            if key in ("version", "exported_at", "entity_type") and key not in seen:
                seen[key], position = decoder.raw_decode(text, position)
                if not isinstance(seen[key], str):
                    return False
                position = skip(position, ",")
                continue
            if "version" not in seen:
                return False
            if "entity_type" in seen:
                return key == "records" and seen["entity_type"] in REGISTRY
            return key in REGISTRY
    except (ValueError, RecursionError):  # the head is not that JSON
        return False


def _why_not_replaceable(kind: type[Container], path: Path) -> str | None:
    """Why ``overwrite`` may not replace what is at ``path``, or None if it is a bakery_io
    backup of ``kind``'s form (the same container kind)."""
    if path.is_symlink():
        return "is a symbolic link, not a bakery_io backup"
    if kind is DirectoryContainer:
        if path.is_dir():
            return _not_a_backup_directory(path)
        return "is a file, not a bakery_io backup directory"
    return _not_a_backup_file(kind, path)


def _not_a_backup_file(kind: type[Container], path: Path) -> str | None:
    """Why ``path`` is not a bakery_io backup of the file form ``kind``, or None."""
    if path.is_dir():
        return "is a directory; this name asks for a file (a .zip or .json backup)"
    if not path.is_file():
        return "is not a regular file"
    if kind is ZipContainer:
        why = _not_a_backup_zip(path)
        return None if why is None else f"is not a bakery_io backup ({why})"
    return (
        None
        if _is_backup_document(path)
        else "is not a bakery_io .json backup (a single document or entity file)"
    )


def _check_target(kind: type[Container], path: Path, shown: str, *, overwrite: bool) -> None:
    """Refuse a target that is taken, unless ``overwrite`` and it is a backup of ``kind``.

    Free is: nothing there, or an empty directory for a backup directory. A name
    whose suffix names a file type (``backup.tar.gz``) is no directory backup's,
    unless it is one already.
    """
    exists = path.exists() or path.is_symlink()
    free = not exists or (
        kind is DirectoryContainer
        and path.is_dir()
        and not path.is_symlink()
        and not any(path.iterdir())
    )
    if (
        kind is DirectoryContainer
        and _FILE_SUFFIX.fullmatch(path.suffix)
        and (free or _why_not_replaceable(kind, path) is not None)
    ):
        raise UsageError(
            f"{shown}: a name ending in {path.suffix} looks like a file, but a backup "
            "written there would be a directory; use a directory name, or end the name in "
            ".zip or .json"
        )
    if free:
        return
    if not overwrite:
        raise UsageError(
            f"{shown} already exists; choose a new path or allow overwriting (--overwrite)"
        )
    why = _why_not_replaceable(kind, path)
    if why is not None:
        raise UsageError(
            f"{shown} {why}; --overwrite replaces only a bakery_io backup of the same kind, "
            "so it was left untouched"
        )


def _partials(target: Path, kind: str) -> list[Path]:
    """Siblings of ``target`` with bakery_io's own name for its asides of ``kind``, exactly."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{_TOKEN}\.{kind}")
    return sorted(
        target.parent / entry.name
        for entry in os.scandir(target.parent)
        if pattern.fullmatch(entry.name)
    )


def clean_partials(target: Path) -> list[Path]:
    """Remove the partials of ``target`` that earlier bakery_io runs left when killed;
    returns those removed.

    A partial is stale when its lock can be taken: the run that built it is
    gone. One a live run still holds is left alone. Where ``flock`` does not
    exist, partials are reported (logged), never removed. An old backup moved
    aside by a run killed while it replaced it (``.<name>.<token>.old``) is
    reported, never removed: it may be the only copy.
    """
    removed = []
    for partial in _partials(target, "partial"):
        if sys.platform == "win32":
            logger.warning("%s was left by an export that did not finish, or is running", partial)
            continue
        try:
            fd = os.open(partial, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            logger.warning("left %s alone: %s", partial, exc.strerror)
            continue
        try:
            if not _try_lock(fd):
                logger.debug("left %s alone: a running bakery_io process is building it", partial)
                continue
            if not _remove(partial):
                continue
            for companion in _SQLITE_COMPANIONS:
                _remove(Path(f"{partial}{companion}"))
        finally:
            os.close(fd)
        logger.info("removed %s, left by an earlier run that did not finish", partial)
        removed.append(partial)
    for old in _partials(target, "old"):
        logger.warning(
            "kept %s: a backup moved aside by an earlier export that was stopped while it "
            "replaced %s; remove it once you no longer need it",
            old,
            target,
        )
    return removed


def _remove(path: Path) -> bool:
    """Remove a partial (file or directory); False if it could not be. A failure is logged,
    not raised: the error that made the partial useless is the one to report."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not remove %s: %s", path, exc.strerror or exc)
        return False
    return True


def storage_error(shown: str, exc: OSError) -> StorageError:
    """The :class:`StorageError` for ``exc``, raised while writing ``shown``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return StorageError(f"cannot write {shown}: {reason}", path=shown, reason=reason)


@contextmanager
def building(
    kind: type[Container],
    target: Path,
    version: str,
    exported_at: str | None,
    *,
    overwrite: bool,
) -> Iterator[Container]:
    """Build a container aside, then move it to ``target`` in one step.

    ``target`` must not exist (an empty directory is fine for a directory
    backup) unless ``overwrite``, and then it must be a bakery_io backup of the
    same kind: a directory holding a bakery_io ``manifest.json`` and only the
    files it lists; a ZIP archive whose members are exactly those; a ``.json``
    file that begins as a single document or entity file does. Anything else,
    the working directory or one that holds it, the file system root, and a
    directory backup under a name ending in a file type (``backup.tar.gz``)
    are refused with a :class:`UsageError`. Stale partials of ``target`` are
    removed first (:func:`clean_partials`). On any error the partial is
    removed and ``target`` is untouched; an :class:`OSError` (a full disk, a
    read-only directory) becomes a :class:`StorageError` naming ``target``.
    """
    shown = str(target)
    if not target.parent.is_dir():
        raise UsageError(f"cannot export to {target}: {target.parent} is not a directory")
    container = None
    try:
        path = _resolved(target)
        _check_target(kind, path, shown, overwrite=overwrite)
        clean_partials(path)
        container = kind(path, version, exported_at)
        yield container
        _check_target(kind, path, shown, overwrite=overwrite)  # it may have appeared meanwhile
        _move_into_place(container.built, path)
    except BaseException as exc:
        if container is not None:
            container.discard()
        if isinstance(exc, OSError) and not isinstance(exc, BakeryIOError):
            raise storage_error(shown, exc) from exc
        raise
    finally:
        if container is not None:
            container.release()


def _move_into_place(built: Path, target: Path) -> None:
    if not (target.exists() or target.is_symlink()):
        os.replace(built, target)
        return
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()
        os.replace(built, target)
        return
    # Keep the old backup until the new one is in place, then remove it.
    old = _aside(target, "old")
    os.replace(target, old)
    try:
        os.replace(built, target)
    except BaseException:
        os.replace(old, target)  # the old backup stays where it was
        raise
    try:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    except OSError as exc:  # the new backup is in place: a leftover is worth a warning only
        logger.warning("could not remove the replaced backup %s: %s", old, exc.strerror or exc)


class FileAside:
    """A new file built aside, under a hidden locked name, and moved to its target only if
    :attr:`keep` is still true when its :func:`file_aside` block ends without error."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        #: Where the file is built.
        self.path = path
        self._handle = handle
        #: Whether to move the file into place at the end (False: remove it).
        self.keep = True

    def close(self) -> None:
        """Release the lock (after the file is moved or removed)."""
        self._handle.close()


@contextmanager
def file_aside(target: Path) -> Iterator[FileAside]:
    """An empty file beside ``target`` to build ``target`` in (a new SQLite database).

    Stale partials of ``target`` are removed first. At the end of the block
    the file becomes ``target`` (which must still not exist) if it is kept,
    and is removed (with SQLite's journal files) otherwise or on any error.
    A killed process leaves a hidden ``.partial`` the next run removes,
    never a half-built file under ``target``'s name.
    """
    shown = str(target)
    try:
        path = _resolved(target)
        clean_partials(path)
        built, handle = _create(path)
    except OSError as exc:
        raise storage_error(shown, exc) from exc
    aside = FileAside(built, handle)
    try:
        yield aside
        if aside.keep:
            if path.exists() or path.is_symlink():
                raise UsageError(f"{shown} appeared while it was built; it was left as it is")
            os.replace(built, path)
    except OSError as exc:
        if not isinstance(exc, BakeryIOError):
            raise storage_error(shown, exc) from exc
        raise
    finally:
        if not aside.keep or built.exists():
            _remove(built)
            for companion in _SQLITE_COMPANIONS:
                _remove(Path(f"{built}{companion}"))
        aside.close()
