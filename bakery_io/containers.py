"""Reading containers: a backup directory, a ZIP archive, a single document or entity file.

A ZIP archive is read in place, never extracted, and its member names are
checked first: flat names only (no directories, absolute paths or ``..``), no
duplicates, no encryption, and bounded sizes. Reading is bounded too: members
are decompressed in pieces, within a size per member and for the archive, and
an expansion ratio measured as they are read (declared sizes can lie); a file
read whole (a manifest, a single document, a file not laid out as bakery_io
writes entity files) is at most :data:`MAX_WHOLE_SIZE` bytes. A backup
directory's members that are symbolic links are read only when they lead to a
file inside it. Whatever is wrong with a container or a file becomes a
:class:`~bakery_io.problems.Problem`, not a traceback.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any, Protocol, Self

from bakery_io.errors import UsageError
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.fields import describe_json
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.jsonio import DEPTH_SHOWN, InvalidJSON, Readable, deepest, loads
from bakery_io.problems import Problem, pointer
from bakery_io.registry import REGISTRY

#: Limits on what is read, against zip bombs and files built to exhaust memory or time.
#: Fixed for every caller (tests lower them to build small bombs). The largest member
#: bakery_io reads from an archive (uncompressed bytes, counted as they are read).
MAX_MEMBER_SIZE = 4 * 2**30
#: The most all members of an archive may hold together (uncompressed, as declared: a
#: member never yields more than its declared size, or it fails its CRC).
MAX_TOTAL_SIZE = 16 * 2**30
#: The most a member may expand: uncompressed bytes per compressed byte, checked as it
#: is read (declared sizes can lie). bakery_io's own backups expand about 6-fold.
MAX_RATIO = 100
#: Bytes a member yields before its expansion is judged (small files may expand more).
RATIO_GRACE = 2**20
#: The largest file read whole: a manifest, a single document, an entity file not
#: laid out as bakery_io writes it (one that is, is read a record at a time).
MAX_WHOLE_SIZE = 512 * 2**20
#: Bytes of a file read whole before its first byte must show it can be JSON (an object).
_EXPLAINED = 2**20
_BLOCK = 2**20
_PIECE = 2**16


class Unreadable(Exception):  # noqa: N818 (a signal between this module and its callers)
    """A file cannot be read as JSON; carries the :class:`Problem` that says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _record_of(where: str) -> int | None:
    """The position of the record ``where`` (a JSON pointer) is in, if it is in one."""
    parts = where.split("/")
    section = len(parts) > 2 and (
        parts[1] in ("records", *REGISTRY.names) or is_namespaced(parts[1])
    )
    if section and parts[2].isdigit():
        return int(parts[2])
    return None


def parse(name: str, data: bytes) -> Any:
    """Parse the bytes of file ``name`` as UTF-8 JSON, or raise :class:`Unreadable`."""
    if data.startswith(codecs.BOM_UTF8):
        # Editors on Windows add one; JSON text must not begin with it (RFC 8259).
        raise Unreadable(
            Problem(
                name,
                "",
                "not valid JSON: it begins with a byte order mark (BOM); save it as UTF-8 "
                "without BOM",
            )
        )
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
    except InvalidJSON as exc:
        raise Unreadable(Problem(name, exc.pointer, str(exc), _record_of(exc.pointer))) from None


def too_deep(name: str, content: Any) -> Problem:
    """The problem of parsed ``content`` of file ``name`` that nests too deeply for a
    recursive check: the depth, and the pointer of the field it is in."""
    depth, path = deepest(content)
    where = pointer(*path[:DEPTH_SHOWN])
    return Problem(name, where, f"nested too deeply: {depth:,} levels", _record_of(where))


def read_whole(name: str, handle: Readable) -> bytes:
    """All of file ``name``, to be parsed whole: at most :data:`MAX_WHOLE_SIZE` bytes.

    A large file whose first byte is not that of a JSON object is refused at
    once (a small one is read, for :func:`parse` to explain).
    """
    blocks: list[bytes] = []
    size = 0
    judged = False
    while block := handle.read(_BLOCK):
        blocks.append(block)
        size += len(block)
        if size > MAX_WHOLE_SIZE:
            raise Unreadable(
                Problem(
                    name,
                    "",
                    f"larger than {MAX_WHOLE_SIZE:,} bytes, the most bakery_io reads whole "
                    "(an entity file laid out as bakery_io writes it is read a record at a time)",
                )
            )
        if not judged and size > _EXPLAINED:
            judged = True
            start = b"".join(blocks)[:_EXPLAINED].lstrip(b" \t\r\n")
            if start[:1] != b"{":
                what = f"byte {start[0]:#04x}" if start else "more than a MiB of white space"
                raise Unreadable(Problem(name, "", f"not a JSON object: it starts with {what}"))
    return b"".join(blocks)


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
        while block := self._handle.read(_BLOCK):
            self._hash.update(block)
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

    @property
    def label(self) -> str:
        """The container's path, as reports and errors name the source."""
        return str(self.path)


class Archive(Source):
    """A container of several files: a backup directory or a ZIP archive."""

    #: False when the container itself cannot be read (its problem is in ``problems``).
    readable = True

    @abstractmethod
    def names(self) -> list[str]:
        """The names of the JSON files it holds, sorted."""

    def read(self, name: str) -> bytes:
        """The bytes of one member, read whole (see :func:`read_whole`)."""
        with self.open(name) as handle:
            return read_whole(name, handle)

    @abstractmethod
    def open(self, name: str) -> Stream:
        """A binary stream of one member; raises :class:`Unreadable` when it cannot be opened."""

    def has(self, name: str) -> bool:
        """Whether the container holds a file called ``name``."""
        return name in self.names()

    def entity_names(self) -> list[str]:
        """Every JSON member except the manifest."""
        return [name for name in self.names() if name != MANIFEST_NAME]


class DirectorySource(Archive):
    """A backup directory (itself possibly a symbolic link).

    A member that is a symbolic link is read only when it leads to a file
    inside the directory: a backup cannot make bakery_io read other files.
    """

    kind = "directory"

    def names(self) -> list[str]:
        return sorted(
            entry.name
            for entry in self.path.iterdir()
            if (entry.is_file() or entry.is_symlink())
            and entry.suffix == ".json"
            and not entry.name.startswith(".")
        )

    def _followed(self, name: str) -> str | None:
        """Why member ``name``, a symbolic link, is not read (None when it may be)."""
        entry = self.path / name
        if not entry.is_symlink():
            return None
        try:
            target = entry.resolve(strict=True)
        except (OSError, RuntimeError):  # leads nowhere, or in a loop
            return "is a symbolic link that leads to no file: not read"
        if not target.is_relative_to(self.path.resolve()):
            return "is a symbolic link to a file outside the backup directory: not read"
        if not target.is_file():
            return "is a symbolic link to something other than a file: not read"
        return None

    def open(self, name: str) -> Stream:
        refused = self._followed(name)
        if refused is not None:
            raise Unreadable(Problem(name, "", refused))
        try:
            return (self.path / name).open("rb")
        except OSError as exc:
            raise Unreadable(Problem(name, "", f"cannot be read: {exc.strerror}")) from None


#: What zipfile raises for a damaged, encrypted or unsupported member.
_DAMAGED = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError, OSError)
#: Compression methods zipfile reads: stored, deflate, bzip2, LZMA.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _damage(name: str, exc: BaseException) -> Unreadable:
    """The problem of a member zipfile cannot read, said without Python reprs."""
    said = re.sub(r"<ZipInfo [^>]*>", repr(name), str(exc)) or type(exc).__name__
    return Unreadable(Problem(name, "", f"cannot be read from the archive: {said}"))


class _Member(io.RawIOBase):
    """A ZIP member being read within the limits on size and expansion, whose damage is
    a :class:`Unreadable` problem, not a crash."""

    def __init__(self, name: str, member: IO[bytes], info: zipfile.ZipInfo) -> None:
        super().__init__()
        self._name = name
        self._member = member
        self._info = info
        self._out = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; all that is left (within the limits) when ``size`` < 0."""
        if size is None or size < 0:
            return read_whole(self._name, self)
        try:
            # In small pieces: zipfile reads ahead at most as many compressed bytes as
            # asked for, so what it has read tells how much the member expands.
            data = self._member.read(min(size, _PIECE))
        except _DAMAGED as exc:
            raise _damage(self._name, exc) from None
        self._out += len(data)
        if self._out > MAX_MEMBER_SIZE:
            raise Unreadable(Problem(self._name, "", f"larger than {MAX_MEMBER_SIZE:,} bytes"))
        if self._out > RATIO_GRACE and self._out > MAX_RATIO * self._consumed():
            raise Unreadable(
                Problem(
                    self._name,
                    "",
                    f"expands more than {MAX_RATIO}-fold in the archive: refused as a zip bomb",
                )
            )
        return data

    def _consumed(self) -> int:
        """Compressed bytes read so far (CPython's ZipExtFile counts what is left; where it
        does not, the declared compressed size)."""
        left = getattr(self._member, "_compress_left", None)
        size = self._info.compress_size
        return max(size - left, 1) if isinstance(left, int) else max(size, 1)

    def close(self) -> None:
        self._member.close()
        super().close()


def _unreadable(info: zipfile.ZipInfo) -> str | None:
    """Why a member at its place cannot be read, if it cannot: encrypted, compressed
    another way, or too large, in itself or for what it takes in the archive."""
    name = info.filename
    if info.flag_bits & 0x1:
        return f"member {name!r} is encrypted: bakery_io reads unencrypted archives only"
    if info.compress_type not in _METHODS:
        return (
            f"member {name!r} is compressed with method {info.compress_type}: bakery_io "
            "reads stored, deflate, bzip2 and LZMA members"
        )
    if info.file_size > MAX_MEMBER_SIZE:
        return f"member {name!r} is {info.file_size:,} bytes, more than {MAX_MEMBER_SIZE:,}"
    if info.file_size > RATIO_GRACE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (
            f"member {name!r} expands {info.file_size:,} bytes from {info.compress_size:,}, "
            f"more than {MAX_RATIO}-fold: refused as a zip bomb"
        )
    return None


class ZipSource(Archive):
    """A ZIP archive of a backup, read without extracting it, within bounds: see
    :data:`MAX_MEMBER_SIZE`, :data:`MAX_TOTAL_SIZE`, :data:`MAX_RATIO`, :data:`MAX_WHOLE_SIZE`."""

    kind = "zip"

    def __init__(self, path: Path, file: IO[bytes] | None = None) -> None:
        """Open the archive at ``path``, or given as ``file`` (then ``path`` only names it)."""
        super().__init__(path)
        self._zip: zipfile.ZipFile | None
        self._members: dict[str, zipfile.ZipInfo] = {}
        try:
            self._zip = zipfile.ZipFile(path if file is None else file)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            self._zip = None
            self.readable = False
            said = getattr(exc, "strerror", None) or str(exc)
            self.problems.append(Problem(path.name, "", f"not a ZIP archive: {said}"))
            return
        total = 0
        for info in self._zip.infolist():
            problem = self._check_member(info)
            if problem:
                self.problems.append(Problem(path.name, "", problem))
            else:
                self._members[info.filename] = info
                total += info.file_size
        if total > MAX_TOTAL_SIZE:
            self.problems.append(
                Problem(
                    path.name,
                    "",
                    f"its members hold {total:,} bytes, more than {MAX_TOTAL_SIZE:,} together",
                )
            )
            self.readable = False

    def _check_member(self, info: zipfile.ZipInfo) -> str | None:
        name = info.filename
        parts = PurePosixPath(name).parts
        if info.is_dir() or len(parts) != 1 or name.startswith(("/", "\\")) or ".." in parts:
            return f"member {name!r} is not a plain file at the archive root"
        if "\\" in name or ":" in name:
            return f"member {name!r} has a path in its name"
        if name in self._members:
            return f"member {name!r} appears more than once"
        return _unreadable(info)

    def close(self) -> None:
        """Close the archive."""
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        return sorted(name for name in self._members if name.endswith(".json"))

    def open(self, name: str) -> Stream:
        assert self._zip is not None
        info = self._members[name]
        try:
            return _Member(name, self._zip.open(info), info)
        except _DAMAGED as exc:
            raise _damage(name, exc) from None


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

    def open(self, name: str) -> Stream:
        return io.BytesIO(self._files[name])


class FileSource(Source):
    """A single JSON file: a single document or a single entity file."""

    def __init__(self, path: Path, content: Any) -> None:
        super().__init__(path)
        self.content = content

    @property
    def kind(self) -> str:  # type: ignore[override]
        is_entity_file = isinstance(self.content, dict) and "entity_type" in self.content
        return "entity file" if is_entity_file else "document"


class Several(Source):
    """Several files given together: the files of one bake-tracker export (a backup and
    its history documents). Each member is opened as :func:`open_source` opens it."""

    kind = "several files"

    def __init__(self, members: Sequence[Source]) -> None:
        super().__init__(members[0].path)
        self.members = list(members)

    @property
    def label(self) -> str:
        """The members' paths, as reports name the source."""
        return " + ".join(str(member.path) for member in self.members)

    def close(self) -> None:
        """Close every member that holds something open (a ZIP archive)."""
        for member in self.members:
            close = getattr(member, "close", None)
            if close is not None:
                close()


#: What the reading functions take as a source: one path, or several of one export.
Sources = str | PathLike[str] | Sequence[str | PathLike[str]]


def open_sources(source: Sources) -> Source:
    """Open one source, or several as :class:`Several` (each opened by :func:`open_source`).

    A sequence of one path is that path; an empty sequence is refused.
    """
    if isinstance(source, (str, PathLike)):
        return open_source(source)
    paths = list(source)
    if not paths:
        raise UsageError("no source given")
    if len(paths) == 1:
        return open_source(paths[0])
    opened: list[Source] = []
    try:
        for path in paths:
            opened.append(open_source(path))
    except BaseException:
        if opened:
            Several(opened).close()
        raise
    return Several(opened)


def open_source(source: str | PathLike[str]) -> Source:
    """Open ``source``: a directory, a ``.zip`` file, or a JSON file.

    A JSON file that cannot be parsed, or whose top level is not an object,
    gives a :class:`FileSource` without content and the problem in
    :attr:`Source.problems`.
    """
    path = Path(source)
    if path.is_dir():
        return DirectorySource(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist (expected a backup directory, .zip or .json)")
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return ZipSource(path)
    return _file_source(path, lambda: _read_file(path))


def open_data(data: bytes, name: str) -> Source:
    """Open the bytes of a ZIP archive or a JSON file (``name`` names them in problems)."""
    path = Path(name)
    # "PK" begins every ZIP archive (an empty one with PK\x05\x06) and no JSON text.
    if data.startswith(b"PK"):
        return ZipSource(path, io.BytesIO(data))
    return _file_source(path, lambda: read_whole(name, io.BytesIO(data)))


def _file_source(path: Path, read: Callable[[], bytes]) -> FileSource:
    """A JSON file as a :class:`FileSource`; without content, and the problem in
    :attr:`Source.problems`, when it cannot be parsed or is not an object."""
    try:
        content = _document(path.name, read)
    except Unreadable as exc:
        opened = FileSource(path, None)
        opened.problems.append(exc.problem)
        return opened
    return FileSource(path, content)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return read_whole(path.name, handle)
    except OSError as exc:
        raise Unreadable(Problem(path.name, "", f"cannot be read: {exc.strerror}")) from None


def _document(name: str, read: Callable[[], bytes]) -> dict[str, Any]:
    """The top-level object of a single JSON file, or :class:`Unreadable`."""
    content = parse(name, read())
    if not isinstance(content, dict):
        what = "a single document or entity file"
        got = describe_json(content)
        raise Unreadable(Problem(name, "", f"expected a JSON object ({what}), got {got}"))
    return content
