"""Targets: where an export may write, and what ``overwrite`` may replace.

A target that exists is replaced only when it is recognisably a bakery_io
backup of the same kind as the one being written: a directory holding a
bakery_io ``manifest.json`` and nothing but the files it lists, a ZIP archive
of exactly those, a ``.json`` single document or entity file. Anything else
(a folder of the user's, the working directory or one that holds it, the file
system root, a directory named like a file type) is refused and left
untouched. :func:`building` builds the container aside
(:mod:`bakery_io.partials`) and moves it into place.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bakery_io import partials
from bakery_io.errors import BakeryIOError, UsageError
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.registry import REGISTRY
from bakery_io.writers import (
    Container,
    DirectoryContainer,
    ZipContainer,
)

#: A suffix that names a file type (``.gz``, ``.tar``, ``.txt``): not a directory backup's.
_FILE_SUFFIX = re.compile(r"\.[A-Za-z]+")
#: How much of a manifest or a .json target is read to recognise a bakery_io backup.
_HEAD = 1 << 20
_MAX_MANIFEST = 16 << 20
#: How many of the names that are not part of a backup a refusal lists.
_SHOWN = 5


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
            if key == "extensions" and key not in seen:  # a document of an extended registry
                seen[key], position = decoder.raw_decode(text, position)
                position = skip(position, ",")
                continue
            if "entity_type" in seen:
                entity_type = seen["entity_type"]
                known = isinstance(entity_type, str) and (
                    entity_type in REGISTRY or is_namespaced(entity_type)
                )
                return key == "records" and known
            return isinstance(key, str) and (key in REGISTRY or is_namespaced(key))
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
        path = partials.resolved(target)
        _check_target(kind, path, shown, overwrite=overwrite)
        partials.clean_partials(path)
        with partials.signals_held():  # until the container is ours to discard
            container = kind(path, version, exported_at)
        yield container
        _check_target(kind, path, shown, overwrite=overwrite)  # it may have appeared meanwhile
        partials.move_into_place(container.built, path)
    except BaseException as exc:
        if container is not None:
            container.discard()
        if isinstance(exc, OSError) and not isinstance(exc, BakeryIOError):
            raise partials.storage_error(shown, exc) from exc
        raise
    finally:
        if container is not None:
            container.release()
