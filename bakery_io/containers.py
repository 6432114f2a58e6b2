"""Reading containers: a backup directory, a ZIP archive, a single document or entity file.

A ZIP archive is read in place, never extracted, and its member names are
checked first: flat names only (no directories, absolute paths or ``..``), no
duplicates, and bounded sizes. Whatever is wrong with a container or a file
becomes a :class:`~bakery_io.problems.Problem`, not a traceback.

A checked source can also be read whole into a
:class:`~bakery_io.versions.backup.Backup` (what upgrade steps transform), and
an upgraded backup opened again as a source held in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, Protocol, Self

from bakery_io.errors import UsageError
from bakery_io.jsonio import Readable, loads
from bakery_io.manifest import MANIFEST_NAME
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.versions.backup import Backup, Part
from bakery_io.writers import MemoryContainer, write_backup

#: The largest member bakery_io reads from an archive (uncompressed), against zip bombs.
MAX_MEMBER_SIZE = 4 * 2**30


class Unreadable(Exception):  # noqa: N818 (a signal between this module and its callers)
    """A file cannot be read as JSON; carries the :class:`Problem` that says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def parse(name: str, data: bytes) -> Any:
    """Parse the bytes of file ``name`` as UTF-8 JSON, or raise :class:`Unreadable`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            Problem(name, "", f"not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}")
        ) from None
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            Problem(name, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        ) from None
    except ValueError as exc:  # NaN, Infinity, or a number of more than 4300 digits
        reason = str(exc).split(";")[0]
        raise Unreadable(Problem(name, "", f"not valid JSON: {reason}")) from None
    except RecursionError:
        raise Unreadable(Problem(name, "", "not valid JSON here: nested too deeply")) from None


class Stream(Readable, Protocol):
    """An open member of a container: read, then closed by ``with``."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...


class Hashing:
    """A binary stream that hashes what is read from it."""

    def __init__(self, handle: Readable) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        """The sha256 of everything read (the whole file, once it is read to its end)."""
        self._hash.update(self._handle.read())
        return self._hash.hexdigest()


@dataclass
class Source(ABC):
    """An opened container."""

    path: Path
    problems: list[Problem] = field(default_factory=list)

    kind = "container"

    @property
    def name(self) -> str:
        """The container's name, as problems about the container itself name it."""
        return self.path.name


class Archive(Source):
    """A container of several files: a backup directory or a ZIP archive."""

    #: False when the container itself cannot be read (its problem is in ``problems``).
    readable = True

    @abstractmethod
    def names(self) -> list[str]:
        """The names of the JSON files it holds, sorted."""

    @abstractmethod
    def read(self, name: str) -> bytes:
        """The bytes of one member."""

    def open(self, name: str) -> Stream:
        """A binary stream of one member; raises :class:`Unreadable` when it cannot be opened."""
        return io.BytesIO(self.read(name))

    def has(self, name: str) -> bool:
        """Whether the container holds a file called ``name``."""
        return name in self.names()

    def entity_names(self) -> list[str]:
        """Every JSON member except the manifest."""
        return [name for name in self.names() if name != MANIFEST_NAME]


class DirectorySource(Archive):
    """A backup directory."""

    kind = "directory"

    def names(self) -> list[str]:
        return sorted(
            entry.name
            for entry in self.path.iterdir()
            if entry.is_file() and entry.suffix == ".json" and not entry.name.startswith(".")
        )

    def read(self, name: str) -> bytes:
        try:
            return (self.path / name).read_bytes()
        except OSError as exc:
            raise Unreadable(Problem(name, "", f"cannot be read: {exc.strerror}")) from None

    def open(self, name: str) -> Stream:
        try:
            return (self.path / name).open("rb")
        except OSError as exc:
            raise Unreadable(Problem(name, "", f"cannot be read: {exc.strerror}")) from None


#: What zipfile raises for a damaged, encrypted or unsupported member.
_DAMAGED = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError)


class _Member(io.RawIOBase):
    """A ZIP member being read, whose damage is a :class:`Unreadable` problem, not a crash."""

    def __init__(self, name: str, member: IO[bytes]) -> None:
        super().__init__()
        self._name = name
        self._member = member

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._member.read(size)
        except _DAMAGED as exc:
            raise Unreadable(
                Problem(self._name, "", f"cannot be read from the archive: {exc}")
            ) from None

    def close(self) -> None:
        self._member.close()
        super().close()


class ZipSource(Archive):
    """A ZIP archive of a backup, read without extracting it."""

    kind = "zip"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._zip: zipfile.ZipFile | None
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            self._zip = None
            self.readable = False
            self.problems.append(Problem(path.name, "", f"not a ZIP archive: {exc}"))
            self._members: dict[str, zipfile.ZipInfo] = {}
            return
        self._members = {}
        for info in self._zip.infolist():
            problem = self._check_member(info)
            if problem:
                self.problems.append(Problem(path.name, "", problem))
            else:
                self._members[info.filename] = info

    def _check_member(self, info: zipfile.ZipInfo) -> str | None:
        name = info.filename
        parts = PurePosixPath(name).parts
        if info.is_dir() or len(parts) != 1 or name.startswith(("/", "\\")) or ".." in parts:
            return f"member {name!r} is not a plain file at the archive root"
        if "\\" in name or ":" in name:
            return f"member {name!r} has a path in its name"
        if name in self._members:
            return f"member {name!r} appears more than once"
        if info.file_size > MAX_MEMBER_SIZE:
            return f"member {name!r} is {info.file_size:,} bytes, more than {MAX_MEMBER_SIZE:,}"
        return None

    def close(self) -> None:
        """Close the archive."""
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        return sorted(name for name in self._members if name.endswith(".json"))

    def read(self, name: str) -> bytes:
        assert self._zip is not None
        try:
            with self._zip.open(self._members[name]) as member:
                data = member.read(MAX_MEMBER_SIZE + 1)
        except _DAMAGED as exc:
            raise Unreadable(Problem(name, "", f"cannot be read from the archive: {exc}")) from None
        if len(data) > MAX_MEMBER_SIZE:
            raise Unreadable(Problem(name, "", f"larger than {MAX_MEMBER_SIZE:,} bytes"))
        return data

    def open(self, name: str) -> Stream:
        assert self._zip is not None
        try:
            return _Member(name, self._zip.open(self._members[name]))
        except _DAMAGED as exc:
            raise Unreadable(Problem(name, "", f"cannot be read from the archive: {exc}")) from None


class MemoryArchive(Archive):
    """A backup held in memory as the bytes of its files: an upgraded backup being loaded."""

    def __init__(self, path: Path, kind: str, files: Mapping[str, bytes]) -> None:
        super().__init__(path)
        self.kind = kind
        self._files = dict(files)

    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes:
        return self._files[name]


class FileSource(Source):
    """A single JSON file: a single document or a single entity file."""

    def __init__(self, path: Path, content: Any) -> None:
        super().__init__(path)
        self.content = content

    @property
    def kind(self) -> str:  # type: ignore[override]
        is_entity_file = isinstance(self.content, dict) and "entity_type" in self.content
        return "entity file" if is_entity_file else "document"


def open_source(source: str | PathLike[str]) -> Source:
    """Open ``source``: a directory, a ``.zip`` file, or a JSON file.

    A JSON file that cannot be parsed gives a :class:`FileSource` without
    content and the parse problem in :attr:`Source.problems`.
    """
    path = Path(source)
    if path.is_dir():
        return DirectorySource(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist (expected a backup directory, .zip or .json)")
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return ZipSource(path)
    try:
        content = parse(path.name, path.read_bytes())
    except Unreadable as exc:
        opened = FileSource(path, None)
        opened.problems.append(exc.problem)
        return opened
    return FileSource(path, content)


def backup_of(source: Source, version: str, parts: Mapping[str, Part]) -> Backup:
    """``source`` as a whole backup of format ``version``, from its checked ``parts``.

    Only the container's own fields are read here (a manifest's export date and
    producer, a document's export time); the records come from the check that
    read them, so no file is parsed twice.
    """
    header: dict[str, Any] = {}
    if isinstance(source, Archive):
        manifest = parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
        header = {"export_date": manifest["export_date"], "source": manifest["source"]}
    elif isinstance(source, FileSource) and source.kind == "document":
        header = {name: source.content[name] for name in ("exported_at",) if name in source.content}
    ordered = {name: parts[name] for name in REGISTRY.names if name in parts}
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
