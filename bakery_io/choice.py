"""A partial restore: the entity types of a backup an import is asked to load, and only those.

:func:`choose` narrows an opened source to the chosen entity types (with their
dependencies, from the registry's reference graph, when asked): a backup directory or ZIP
archive shows only their files and a manifest that lists only them; a single document
holds only their arrays. The narrowed source is a partial backup like those
``dump_all(entities=...)`` writes, loaded as one: a reference to a type left out must
find its record in the database.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from bakery_io.containers import Archive, FileSource, Source, Stream, Unreadable, parse
from bakery_io.errors import UsageError
from bakery_io.format.manifest import MANIFEST_NAME, listed_files
from bakery_io.jsonio import encode_document
from bakery_io.registry import Registry
from bakery_io.versions import VERSIONS, document_version

__all__ = ["choose", "choose_opened", "chosen_types"]

#: What a single document holds beside its entity types' arrays.
_DOCUMENT_KEYS = frozenset({"version", "exported_at", "extensions"})

# A file's entity type by its name, for a backup without manifest: 02_ingredients.json
# (format 1.1) or ingredients.json (format 1.0).
_FILENAME = re.compile(r"^(?:\d+_)?(?P<name>.+)\.json$")


def chosen_types(
    names: Iterable[str], registry: Registry, *, with_dependencies: bool = False
) -> frozenset[str]:
    """The entity types a partial restore of ``names`` loads: ``names`` themselves and,
    ``with_dependencies``, every type they reference, directly or not.

    Raises :class:`UsageError` for a name the registry does not know (with the closest one).
    """
    if isinstance(names, str):  # it would be taken letter by letter
        raise UsageError(f"entities is a list of entity type names, not the string {names!r}")
    asked = list(dict.fromkeys(names))
    if not asked:
        raise UsageError("a partial restore names no entity type: give at least one")
    unknown = [name for name in asked if name not in registry]
    if unknown:
        raise registry.unknown(unknown)
    chosen = set(asked)
    waiting = list(asked) if with_dependencies else []
    while waiting:
        for dependency in registry[waiting.pop()].dependencies:
            if dependency not in chosen:
                chosen.add(dependency)
                waiting.append(dependency)
    return frozenset(chosen)


def choose(source: Source, chosen: frozenset[str], *, asked: Iterable[str] = ()) -> Source:
    """``source`` narrowed to the entity types ``chosen``.

    Raises :class:`UsageError` when a type in ``asked`` (those named, not those added as
    dependencies) is not in the backup, or when ``source`` is not a backup of this
    format's versions (several files, another program's export).
    """
    narrowed: Source
    if isinstance(source, Archive):
        archive = _ChosenArchive(source, chosen)
        narrowed, held = archive, {name for name in archive.held.values() if name is not None}
    elif isinstance(source, FileSource) and isinstance(source.content, Mapping):
        narrowed, held = _chosen_file(source, chosen)
    elif isinstance(source, FileSource) and source.problems:
        return source  # unreadable: the load says why, as without a choice
    else:
        raise UsageError(
            "a partial restore takes one backup of format "
            f"{' or '.join(VERSIONS)}: a directory, .zip, single document or entity file"
        )
    absent = [name for name in asked if name not in held]
    if absent and not source.problems:
        raise UsageError(
            f"{source.label} holds no {', '.join(absent)} "
            f"(it holds {', '.join(sorted(held)) or 'no entity type'})"
        )
    return narrowed


class _ChosenArchive(Archive):
    """An archive seen through a partial restore: the chosen types' files, and a manifest
    that lists only them."""

    def __init__(self, inner: Archive, chosen: frozenset[str]) -> None:
        super().__init__(inner.path, inner.problems)
        self.inner = inner
        self.kind = inner.kind
        self.readable = inner.readable
        #: The manifest as the inner archive has it (None: none that can be narrowed).
        self._manifest: dict[str, Any] | None = None
        self._narrowed: bytes | None = None
        #: The entity type of each entity file the archive holds or its manifest lists (a
        #: listed file that is missing stays listed: the load says it is missing).
        self.held: dict[str, str | None] = {}
        if inner.readable:
            self.held.update(self._listed())
            for name in inner.entity_names():
                self.held.setdefault(name, _type_of_file(name))
        self.kept = {name for name, entity_type in self.held.items() if entity_type in chosen}

    def _listed(self) -> dict[str, str | None]:
        """The entity type the manifest gives each file (empty without a manifest)."""
        if not self.inner.has(MANIFEST_NAME):
            return {}
        try:
            manifest = parse(MANIFEST_NAME, self.inner.read(MANIFEST_NAME))
        except Unreadable:
            return {}  # the load reads it again and says why it cannot
        if not isinstance(manifest, Mapping) or not isinstance(manifest.get("files"), list):
            return {}
        self._manifest = dict(manifest)
        return {name: _text(entry.get("entity_type")) for name, entry in listed_files(manifest)}

    def names(self) -> list[str]:
        if not self.inner.readable:
            return []
        return [name for name in self.inner.names() if name == MANIFEST_NAME or name in self.kept]

    def open(self, name: str) -> Stream:
        if name != MANIFEST_NAME or self._manifest is None:
            return self.inner.open(name)
        if self._narrowed is None:
            manifest = dict(self._manifest)
            manifest["files"] = [
                entry
                for entry in manifest["files"]
                if isinstance(entry, Mapping)
                and isinstance(entry.get("filename"), str)
                and entry["filename"] in self.kept
            ]
            if isinstance(manifest.get("exceptions"), list):
                manifest["exceptions"] = _exceptions_of(manifest["exceptions"], self.kept)
            self._narrowed = encode_document(manifest)
        return io.BytesIO(self._narrowed)

    def close(self) -> None:
        """Close the archive seen through (a ZIP archive holds its file open)."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def _chosen_file(source: FileSource, chosen: frozenset[str]) -> tuple[FileSource, set[str]]:
    """A single document with only the chosen types' arrays (an entity file as it is, when
    its type is chosen)."""
    content: Mapping[str, Any] = source.content
    if document_version(content) not in VERSIONS:
        raise UsageError(
            f"a partial restore takes a backup of format {' or '.join(VERSIONS)}; "
            f"{source.label} is not one"
        )
    if source.kind == "entity file":
        entity_type = _text(content.get("entity_type"))
        return source, ({entity_type} if entity_type else set())
    held = {
        key
        for key, value in content.items()
        if isinstance(value, list) and key not in _DOCUMENT_KEYS and key != "exceptions"
    }
    narrowed = {
        key: value for key, value in content.items() if key in _DOCUMENT_KEYS or key in chosen
    }
    if isinstance(content.get("exceptions"), list):
        # In a document, an exception names its type's entity file: NN_<type>.json.
        narrowed["exceptions"] = [
            problem
            for problem in content["exceptions"]
            if not isinstance(problem, Mapping) or _type_of_file(str(problem.get("file"))) in chosen
        ]
    chosen_source = FileSource(source.path, narrowed)
    chosen_source.problems = source.problems
    return chosen_source, held


def _exceptions_of(exceptions: list[Any], kept: Collection[str]) -> list[Any]:
    """The exceptions of the files kept."""
    return [
        problem
        for problem in exceptions
        if not isinstance(problem, Mapping) or problem.get("file") in kept
    ]


def _type_of_file(name: str) -> str | None:
    found = _FILENAME.match(name)
    return found["name"] if found else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def choose_opened(
    source: Source, entities: Iterable[str], registry: Registry, *, with_dependencies: bool
) -> Source:
    """``source`` narrowed to ``entities`` (and their dependencies, ``with_dependencies``);
    closed when they cannot be chosen."""
    asked = entities if isinstance(entities, str) else list(entities)
    try:
        chosen = chosen_types(asked, registry, with_dependencies=with_dependencies)
        return choose(source, chosen, asked=asked)
    except BaseException:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        raise
