"""The check of a source: ``validate``, and the stage of the import that reads and checks.

Each file is checked against the JSON Schemas of its version
(:mod:`bakery_io.conformance`): for the stock registry the committed files
under ``schemas_json/<version>/`` (shipped in the wheel), not regenerated
ones, so what bakery_io checks is exactly what it publishes; for a host's
registry those generated from it. A backup's manifest is checked too (listed files present, sha256
and record counts right, nothing unlisted). Every problem is reported, each
with its file, JSON pointer, record position and natural key.

A source of an older format version is checked as that version, upgraded in
memory (:mod:`bakery_io.versions`) and the result checked as the current
version; problems found after the upgrade name the source's own files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bakery_io.accepting import listed_exceptions
from bakery_io.conformance import (
    conforms,
    published_versions,
    rule_problems,
    schema_problems,
)
from bakery_io.containers import (
    Archive,
    FileSource,
    Hashing,
    Several,
    Source,
    Sources,
    Unreadable,
    open_sources,
    parse,
    too_deep,
)
from bakery_io.format.extensions import PassedOver, is_namespaced, namespace_of
from bakery_io.format.fields import (
    describe_json,
)
from bakery_io.format.json_schemas import (
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    MANIFEST_SCHEMA,
)
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.jsonio import NotCanonical, read_entity_file
from bakery_io.problems import Problem, pointer
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.queries import batches
from bakery_io.registry import REGISTRY
from bakery_io.registry import Registry as BindingRegistry
from bakery_io.sections import Section, Visitor, entity_type_of, import_order
from bakery_io.upgrading import as_source, backup_of
from bakery_io.versions import (
    CURRENT_VERSION,
    VERSIONS,
    document_version,
    filename,
    is_newer,
    source_field,
    upgrade_backup,
)
from bakery_io.versions.backup import Backup, Foreign, Part, Rewrite

if TYPE_CHECKING:
    from bakery_io.versions import bake_tracker


@dataclass(frozen=True)
class ValidationReport:
    """The result of :func:`validate`: ``ok`` when ``problems`` is empty."""

    source: str
    kind: str
    version: str | None
    files: int
    records: int
    problems: tuple[Problem, ...]
    #: The version the source was upgraded to for checking, when it is older.
    upgraded_to: str | None = None
    #: Slugs the upgrade rewrote or derived.
    rewrites: tuple[Rewrite, ...] = ()
    #: What the backup's export listed as exceptions: records the database held although
    #: the format refuses them (restored, as found, only by an import that accepts them).
    exceptions: tuple[Problem, ...] = ()
    #: For another program's files: what they are, repaired, converted and left behind.
    foreign: Foreign = field(default=Foreign())
    #: Extension data the registry does not know: checked as far as the core allows, not read.
    passed_over: PassedOver = field(default=PassedOver())

    @property
    def ok(self) -> bool:
        """Whether the source is valid."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "source": self.source,
            "kind": self.kind,
            "version": self.version,
            "upgraded_to": self.upgraded_to,
            "ok": self.ok,
            "files": self.files,
            "records": self.records,
            "problems": [problem.to_dict() for problem in self.problems],
            "rewrites": [rewrite.to_dict() for rewrite in self.rewrites],
            "exceptions": [problem.to_dict() for problem in self.exceptions],
            **self.foreign.to_dict(),
            **self.passed_over.to_dict(),
        }


# ---------------------------------------------------------------------------
# Containers.


def _version_of(content: Any, name: str, schema: str) -> tuple[str | None, list[Problem]]:
    if not isinstance(content, Mapping):
        return None, [Problem(name, "", f"expected a JSON object, got {describe_json(content)}")]
    version = document_version(content) if schema == DOCUMENT_SCHEMA else content.get("version")
    if not isinstance(version, str):
        got = "nothing" if version is None else describe_json(version)
        return None, [
            Problem(
                name,
                "/version",
                f"expected the format version as a string ({CURRENT_VERSION!r}), got {got}",
            )
        ]
    known = " and ".join(VERSIONS)
    if is_newer(version):
        return None, [
            Problem(
                name,
                "/version",
                f"format version {version!r} is newer than this bakery_io, which reads {known}: "
                "use a newer bakery_io (nothing is loaded on a guess)",
            )
        ]
    if version not in VERSIONS or version not in published_versions():
        return None, [
            Problem(
                name,
                "/version",
                f"unknown format version {version!r}: this bakery_io reads {known}",
            )
        ]
    return version, []


def _count(content: Any) -> int:
    records = content.get("records") if isinstance(content, Mapping) else None
    return len(records) if isinstance(records, list) else 0


class Checker:
    """The check of one source, as :func:`check` returns it: the problems and counts it
    found, the version, and for an older version the upgraded backup; sound sections
    went to ``visit`` as they were checked.

    What a caller reads is ``problems``, ``files``, ``records``, ``version``,
    ``upgraded``, ``loaded`` (the source the sections came from) and
    :meth:`origin`; the rest is the check's own.
    """

    def __init__(
        self,
        source: Source,
        visit: Visitor | None = None,
        *,
        registry: BindingRegistry = REGISTRY,
        tracker: Tracker | None = None,
    ) -> None:
        self.source = source
        self.visit = visit
        #: Hears of each chunk of records checked (step ``checking``).
        self.tracker = tracker or Tracker(None, "")
        # Records of the file in hand already counted by the tracker.
        self._counted = 0
        #: The entity types the check knows, and their JSON Schemas.
        self.registry = registry
        #: Extension entity types the registry does not hold: their files, by type, with
        #: their record counts (checked as files, not loaded).
        self.passed_over: dict[str, int] = {}
        #: Extensions the source declares that the registry does not have.
        self.unknown_extensions: list[dict[str, str]] = []
        #: The namespaces its manifest or document declares (None: it has neither), and
        #: where each namespace's records first are.
        self.declared: set[str] | None = None
        self._used: dict[str, tuple[str, str]] = {}
        self._order_of = import_order(registry)
        self.problems: list[Problem] = list(source.problems)
        self.files = 0
        self.records = 0
        self.version: str | None = None
        #: The source the visitor's sections come from: ``source``, or its upgrade.
        self.loaded = source
        #: The upgraded backup, when the source was of an older version.
        self.upgraded: Backup | None = None
        #: Names of the upgraded files -> names of the source's files.
        self.names: dict[str, str] = {}
        #: For another program's files: what they are, the version they state, and how
        #: a problem about their 1.0 form is traced back to them.
        self.source_format: str | None = None
        self.stated: str | None = None
        self.locate: Callable[[Problem], Problem] | None = None

    def origin(self, problem: Problem) -> Problem:
        """``problem`` found after the upgrade, located in the source: its own file, and
        the field as its version names it (``event_name`` for 1.1's ``event_slug``)."""
        found = self._origin(problem)
        return found if self.locate is None else self.locate(found)

    def _origin(self, problem: Problem) -> Problem:
        if self.upgraded is None or self.version is None:
            return problem
        where = problem.pointer
        parts = where.split("/")[1:]
        if len(parts) in (3, 5) and parts[1].isdigit():
            section = parts[0]
            if section == "records":
                section = entity_type_of(problem.file) or next(iter(self.upgraded.parts))
            if section in REGISTRY:  # a core type: only the core has older versions
                children = parts[2] if len(parts) == 5 else ""
                named = source_field(self.version, section, children, parts[-1])
                where = where.removesuffix(parts[-1]) + named
        return replace(problem, file=self.names.get(problem.file, problem.file), pointer=where)

    def run(self) -> Checker:
        if isinstance(self.source, Archive):
            self.archive(self.source)
        elif isinstance(self.source, FileSource):
            self.single(self.source)
        self._undeclared()
        self.tracker.finish()
        return self

    def _undeclared(self) -> None:
        """Records of an extension the manifest or document does not declare: its version,
        and so what its records mean, cannot be checked."""
        if self.declared is None:
            return
        for namespace, (file, where) in self._used.items():
            if namespace not in self.declared:
                self.problems.append(
                    Problem(
                        file,
                        where,
                        f"records of extension {namespace}, which the backup does not declare "
                        f'(its "extensions" list names {sorted(self.declared) or "none"}): '
                        "what version of it they are cannot be told",
                    )
                )

    def file(self, filename: str, content: Any, schema: str, version: str | None = None) -> None:
        """Check one parsed file against ``schema`` of its version (``version`` if given)."""
        found, problems = _version_of(content, filename, schema)
        self.problems.extend(problems)
        if found is None:
            return
        if version is not None and found != version:
            self.problems.append(
                Problem(
                    filename,
                    "/version",
                    f"version {found!r} differs from the manifest's {version!r}",
                )
            )
            return
        self.version = self.version or found
        try:
            self.problems.extend(schema_problems(filename, content, schema, found, self.registry))
            if schema != MANIFEST_SCHEMA:
                self.problems.extend(rule_problems(filename, content, self.registry))
            self._extensions(filename, content, schema)
        except RecursionError:  # parsed, but too deep for the recursive validator
            self.problems.append(too_deep(filename, content))

    def archive(self, archive: Archive) -> None:
        if not archive.readable:
            return
        entries = self._manifest(archive)
        listed: dict[str, tuple[str, Mapping[str, Any]]] = {}
        if entries is not None:
            for where, entry in entries:
                if entry["filename"] in listed:
                    self._restate(Problem(MANIFEST_NAME, where, "file listed twice"))
                listed[entry["filename"]] = (where, entry)
            self._order(entries)
        # The manifest's counts, if it states them all: the files are checked against them.
        counts = [entry.get("record_count") for _where, entry in entries or ()]
        whole = entries is not None and all(type(count) is int for count in counts)
        total = sum(count for count in counts if isinstance(count, int))
        self.tracker.start("checking", total if whole else None)
        for name in sorted(archive.entity_names(), key=self._order_of):
            if entries is not None and name not in listed:
                self.problems.append(Problem(name, "", "entity file not listed in the manifest"))
            self._entity_file(archive, name, listed.get(name))
        for name, (where, _entry) in listed.items():
            if not archive.has(name):
                self.problems.append(
                    Problem(MANIFEST_NAME, where + "/filename", f"listed file {name} is missing")
                )

    def _manifest(self, archive: Archive) -> list[tuple[str, Mapping[str, Any]]] | None:
        """The manifest's well-formed entries (with their pointers), checked against its schema."""
        if not archive.has(MANIFEST_NAME):
            self.problems.append(
                Problem(
                    MANIFEST_NAME, "", f"missing: a {archive.kind} backup needs {MANIFEST_NAME}"
                )
            )
            return None
        try:
            content = parse(MANIFEST_NAME, archive.read(MANIFEST_NAME))
        except Unreadable as exc:
            self.problems.append(exc.problem)
            return None
        self.file(MANIFEST_NAME, content, MANIFEST_SCHEMA)
        files = content.get("files") if isinstance(content, Mapping) else None
        if not isinstance(files, list):
            return None
        # Entries that are malformed are reported above; the others are still checked.
        return [
            (pointer("files", position), entry)
            for position, entry in enumerate(files)
            if isinstance(entry, Mapping) and isinstance(entry.get("filename"), str)
        ]

    def _restate(self, problem: Problem, *, below: bool = False) -> None:
        """Report ``problem`` of a manifest entry in place of what the manifest's schema said
        at its pointer (and, ``below``, inside it): the schema states what the registry fixes
        for each entry, and this says the same once, in the registry's words."""
        inside = problem.pointer + "/"
        self.problems = [
            found
            for found in self.problems
            if found.file != problem.file
            or not (
                found.pointer == problem.pointer or (below and found.pointer.startswith(inside))
            )
        ]
        self.problems.append(problem)

    def _order(self, entries: list[tuple[str, Mapping[str, Any]]]) -> None:
        """Each entry's number, name and dependencies are its entity type's; the list is sorted."""
        previous, said = 0, False
        position = {name: index for index, name in enumerate(self.registry.names)}
        for where, entry in entries:
            entity_type = entry.get("entity_type")
            if not isinstance(entity_type, str) or entity_type not in self.registry:
                continue
            entity = self.registry[entity_type]
            if entry.get("import_order") != entity.number:
                self._restate(
                    Problem(
                        MANIFEST_NAME,
                        where + "/import_order",
                        f"the import order of {entity_type} is {entity.number}",
                    )
                )
            elif position[entity_type] < previous and not said:
                self.problems.append(
                    Problem(MANIFEST_NAME, where, "files are not listed in import order")
                )
                said = True
            previous = max(previous, position[entity_type])
            expected = filename(entity, self.version or CURRENT_VERSION)
            if entry["filename"] != expected:
                self._restate(
                    Problem(
                        MANIFEST_NAME,
                        where + "/filename",
                        f"the file of {entity_type} is named {expected}",
                    )
                )
            dependencies = entry.get("dependencies")
            if isinstance(dependencies, list) and (
                set(dependencies) != set(entity.dependencies)
                or len(dependencies) != len(entity.dependencies)
            ):
                expected = ", ".join(entity.dependencies) or "none"
                self._restate(
                    Problem(
                        MANIFEST_NAME,
                        where + "/dependencies",
                        f"{entity_type} depends on {expected}",
                    ),
                    below=True,
                )

    def _entity_file(
        self, archive: Archive, name: str, listed: tuple[str, Mapping[str, Any]] | None
    ) -> None:
        self.files += 1
        self._counted = 0
        if self._streamed(archive, name, listed):
            return
        try:
            data = archive.read(name)
            content = parse(name, data)
        except Unreadable as exc:
            self.problems.append(exc.problem)
            return
        digest = hashlib.sha256(data).hexdigest()
        del data
        found = len(self.problems)
        self.file(name, content, ENTITY_FILE_SCHEMA, self.version)
        self.records += _count(content)
        # A file the streamed check gave up on was partly counted already.
        self.tracker.advance(max(0, _count(content) - self._counted), entity_type_of(name) or name)
        if listed is not None:
            entity_type = content.get("entity_type") if isinstance(content, Mapping) else None
            self._listed(name, entity_type, _count(content), digest, listed)
        self._visit(name, content, "records", self.problems[found:], digest)

    def _streamed(
        self, archive: Archive, name: str, listed: tuple[str, Mapping[str, Any]] | None
    ) -> bool:
        """Check an entity file laid out as bakery_io writes it a chunk of records at a time,
        in bounded memory. False when the file must be read whole instead: another
        layout, or a problem (the whole-file check explains it, from the same rules)."""
        found = len(self.problems)
        try:
            with archive.open(name) as handle:
                hashing = Hashing(handle)
                version, entity_type, records = read_entity_file(hashing)
                envelope = {"version": version, "entity_type": entity_type, "records": []}
                self.file(name, envelope, ENTITY_FILE_SCHEMA, self.version)
                count = 0
                for chunk in batches(records):
                    envelope["records"] = chunk
                    self.file(name, envelope, ENTITY_FILE_SCHEMA, self.version)
                    if len(self.problems) > found:
                        break  # the whole-file check explains it; no need to hash the rest
                    count += len(chunk)
                    self._counted = count
                    self.tracker.advance(len(chunk), entity_type_of(name) or name)
                else:
                    digest = hashing.hexdigest()
        except (NotCanonical, Unreadable):
            del self.problems[found:]
            return False
        if len(self.problems) > found or not isinstance(entity_type, str):
            del self.problems[found:]
            return False
        self.records += count
        if listed is not None:
            self._listed(name, entity_type, count, digest, listed)
        if (
            self._held(name, entity_type, count, "/entity_type")
            and self.visit is not None
            and len(self.problems) == found
        ):
            entity = self.registry[entity_type]
            section = Section(entity, name, "/records", digest, frozenset(), count, streamed=True)
            try:
                self.visit(section, _reread(archive, name))
            except Unreadable as exc:
                self.problems.append(exc.problem)
        return True

    def _listed(
        self,
        name: str,
        entity_type: Any,
        count: int,
        digest: str,
        listed: tuple[str, Mapping[str, Any]],
    ) -> None:
        """The file is what its manifest entry says: bytes, record count, type and name."""
        where, entry = listed
        if digest != entry.get("sha256"):
            self.problems.append(
                Problem(
                    MANIFEST_NAME, where + "/sha256", f"{name}: checksum does not match its bytes"
                )
            )
        if count != entry.get("record_count"):
            self.problems.append(
                Problem(
                    MANIFEST_NAME,
                    where + "/record_count",
                    f"{name}: the manifest says {entry.get('record_count')} records, "
                    f"the file holds {count}",
                )
            )
        held = isinstance(entity_type, str) and entity_type in self.registry
        version = self.version or CURRENT_VERSION
        expected = filename(self.registry[entity_type], version) if held else name
        if entity_type != entry.get("entity_type"):
            self.problems.append(
                Problem(
                    name, "/entity_type", f"manifest lists this file as {entry.get('entity_type')}"
                )
            )
        elif name != expected:
            self.problems.append(
                Problem(name, "", f"an entity file of {entity_type} must be named {expected}")
            )

    def _visit(
        self, filename: str, content: Any, key: str, problems: list[Problem], digest: str | None
    ) -> None:
        """Hand the section under ``key`` to the visitor unless its envelope is broken.

        A file whose type, name or version is in doubt is not visited: its
        records would be checked against the wrong schema.
        """
        if not isinstance(content, Mapping):
            return
        entity_type = content.get("entity_type") if key == "records" else key
        records = content.get(key)
        if not isinstance(entity_type, str) or not isinstance(records, list):
            return
        where = pointer(key)
        held_at = "/entity_type" if key == "records" else where
        if not self._held(filename, entity_type, len(records), held_at) or self.visit is None:
            return
        envelope = {"", "/version", "/entity_type", where}
        if any(
            problem.file == filename and problem.record is None and problem.pointer in envelope
            for problem in problems
        ):
            return
        flawed = frozenset(
            problem.record
            for problem in problems
            if problem.record is not None and problem.pointer.startswith(where + "/")
        )
        entity = self.registry[entity_type]
        section = Section(entity, filename, where, digest, flawed, len(records))
        self.visit(section, records)

    def single(self, source: FileSource) -> None:
        content = source.content
        self.files += 1
        if content is None:
            return
        found = len(self.problems)
        if source.kind == "entity file":
            self.tracker.start("checking", _count(content))
            self.file(source.name, content, ENTITY_FILE_SCHEMA)
            self._visit(source.name, content, "records", self.problems[found:], None)
            self.records += _count(content)
            self.tracker.advance(_count(content), entity_type_of(source.name) or source.name)
            return
        self.file(source.name, content, DOCUMENT_SCHEMA)
        if isinstance(content, Mapping):
            position = {name: index for index, name in enumerate(self.registry.names)}
            sections = sorted(
                (name for name in content if name in REGISTRY or is_namespaced(name)),
                key=lambda name: (position.get(name, len(position)), name),
            )
            sizes = {
                name: len(content[name]) for name in sections if isinstance(content[name], list)
            }
            self.tracker.start("checking", sum(sizes.values()))
            for name in sections:
                self._visit(source.name, content, name, self.problems[found:], None)
                self.tracker.advance(sizes.get(name, 0), name)
            self.records += sum(sizes.values())

    def _held(self, filename: str, entity_type: str, count: int, where: str) -> bool:
        """Whether the registry holds ``entity_type``; if not, its records are passed
        over (an extension's the registry lacks) or refused (a core type it does not store)."""
        namespace = namespace_of(entity_type)
        if namespace is not None and count:
            self._used.setdefault(namespace, (filename, where))
        if entity_type in self.registry:
            return True
        known = {extension.namespace for extension in self.registry.extensions}
        if is_namespaced(entity_type) and namespace not in known:
            self.passed_over[entity_type] = self.passed_over.get(entity_type, 0) + count
        elif (entity_type in REGISTRY or is_namespaced(entity_type)) and count:
            stored = ", ".join(self.registry.names)
            self.problems.append(
                Problem(
                    filename,
                    where,
                    f"{count} record{'' if count == 1 else 's'} of {entity_type}, which this "
                    f"registry does not store (it stores {stored}): load them into a database "
                    "that does, or leave the file out",
                )
            )
        return False

    def _extensions(self, filename: str, content: Any, schema: str) -> None:
        """The extensions a manifest or document declares are the registry's, in its versions."""
        if schema == ENTITY_FILE_SCHEMA or not isinstance(content, Mapping):
            return
        declared = content.get("extensions")
        self.declared = {
            item["namespace"]
            for item in (declared if isinstance(declared, list) else [])
            if isinstance(item, Mapping) and isinstance(item.get("namespace"), str)
        }
        if not isinstance(declared, list):
            return
        known = {extension.namespace: extension for extension in self.registry.extensions}
        for position, item in enumerate(declared):
            if not isinstance(item, Mapping):
                continue
            namespace, version = item.get("namespace"), item.get("version")
            extension = known.get(str(namespace))
            if extension is None:
                self.unknown_extensions.append(
                    {"namespace": str(namespace), "version": str(version)}
                )
            elif extension.version != version:
                self.problems.append(
                    Problem(
                        filename,
                        pointer("extensions", position, "version"),
                        f"extension {namespace} version {version!r}: this registry has "
                        f"version {extension.version!r} of it, and reads no other",
                    )
                )


class Doubt(Exception):  # noqa: N818 (a signal: check the source in full instead)
    """A streamed check met something it cannot vouch for; the full check decides and explains."""


def streamed_sections(
    archive: Archive, registry: BindingRegistry = REGISTRY
) -> Iterator[tuple[Section, Iterator[list[Any]]]]:
    """The sections of a backup of the current version, each with its records in chunks.

    A chunk comes only once it is valid against the published JSON Schemas;
    the manifest is checked before the first file, and each file's record
    count and checksum when its last chunk has been read, so a caller must
    consume each section's chunks before asking for the next section. Raises
    :class:`Doubt` at the first problem of any kind, or a layout other than
    the one bakery_io writes: :func:`check` then finds and explains it.
    Records are parsed by orjson (``exact=False`` in
    :func:`~bakery_io.jsonio.read_entity_file`): a number with a fraction,
    which no field of the current version takes, is then refused as a float.
    """
    checker = Checker(archive, registry=registry)
    if checker.problems or not archive.readable:
        raise Doubt
    entries = checker._manifest(archive)
    if entries is None or checker.version != CURRENT_VERSION:
        raise Doubt
    listed = {entry["filename"]: (where, entry) for where, entry in entries}
    checker._order(entries)
    names = sorted(archive.entity_names(), key=import_order(registry))
    if checker.problems or len(listed) != len(entries) or set(names) != set(listed):
        raise Doubt
    if checker.unknown_extensions:
        raise Doubt("extensions this registry lacks")
    for name in names:
        try:
            opened = archive.open(name)
        except Unreadable:
            raise Doubt from None
        with opened as handle:
            hashing = Hashing(handle)
            try:
                version, entity_type, records = read_entity_file(hashing, exact=False)
            except (NotCanonical, Unreadable):
                raise Doubt from None
            envelope = {"version": version, "entity_type": entity_type, "records": []}
            checker.file(name, envelope, ENTITY_FILE_SCHEMA, CURRENT_VERSION)
            entry = listed[name][1]
            if checker.problems or entity_type != entry["entity_type"]:
                raise Doubt
            if entity_type not in registry:
                raise Doubt("a type this registry does not hold")
            namespace = namespace_of(entity_type)
            if namespace is not None and namespace not in (checker.declared or set()):
                raise Doubt("records of an extension the manifest does not declare")
            entity = registry[entity_type]
            if name != filename(entity, CURRENT_VERSION):
                raise Doubt
            section = Section(entity, name, "/records", entry["sha256"], frozenset(), 0, True)
            yield section, _valid_chunks(checker, hashing, envelope, records, listed[name])


def _valid_chunks(
    checker: Checker,
    hashing: Hashing,
    envelope: dict[str, Any],
    records: Iterator[Any],
    listed: tuple[str, Mapping[str, Any]],
) -> Iterator[list[Any]]:
    count = 0
    try:
        for chunk in batches(records):
            envelope["records"] = chunk
            if not conforms(envelope, ENTITY_FILE_SCHEMA, CURRENT_VERSION, checker.registry):
                raise Doubt
            count += len(chunk)
            yield chunk
        digest = hashing.hexdigest()
    except (NotCanonical, Unreadable):
        raise Doubt from None
    name = listed[1]["filename"]
    checker._listed(name, envelope["entity_type"], count, digest, listed)
    if checker.problems:
        raise Doubt


def _reread(archive: Archive, name: str) -> Iterator[Any]:
    """The records of a streamed entity file, read again as they are iterated."""
    try:
        with archive.open(name) as handle:
            yield from read_entity_file(handle)[2]
    except NotCanonical:
        raise Unreadable(Problem(name, "", "changed while it was being loaded")) from None


def _stated_version(source: Source) -> str | None:
    """The version a source says it is (its manifest's or its own), before any check."""
    content: Any = None
    if isinstance(source, FileSource):
        content = source.content
    elif isinstance(source, Archive) and source.readable and source.has(MANIFEST_NAME):
        try:
            content = parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
        except Unreadable:
            return None  # the check reports it
    if not isinstance(content, Mapping):
        return None
    document = isinstance(source, FileSource) and source.kind == "document"
    version = document_version(content) if document else content.get("version")
    return version if isinstance(version, str) else None


def passed_over(checker: Checker) -> PassedOver:
    """What ``checker`` passed over, for a report."""
    return PassedOver(tuple(checker.unknown_extensions), tuple(checker.passed_over.items()))


def keeping(parts: dict[str, Part]) -> Visitor:
    """A visitor that keeps each section's records in ``parts``, by entity type."""

    def keep(section: Section, records: Iterable[Any]) -> None:
        parts[section.entity.name] = Part(section.file, section.pointer, list(records))

    return keep


def check(
    source: Source,
    visit: Visitor | None = None,
    *,
    repairs: Iterable[str] = (),
    registry: BindingRegistry = REGISTRY,
    tracker: Tracker | None = None,
) -> Checker:
    """Check an opened source as :func:`validate` does; hand sound sections to ``visit``.

    Sections come in import order. The checker returned holds the problems,
    the counts and the version found. A source of an older version is checked
    as that version, then upgraded and checked again as the current version;
    the visitor then sees the upgraded sections (``checker.loaded`` holds
    them) and ``checker.upgraded`` the upgraded backup.

    The files of bake-tracker (:mod:`bakery_io.versions.bake_tracker`), one or
    several of one export, are read into a 1.0 backup with the ``repairs``
    named, which is then checked the same way; every problem names the app's
    file, record and field.

    ``registry`` names the entity types the check knows; older versions and
    bake-tracker's files hold the core alone, and are checked as the core
    before their upgrade is checked against ``registry``.

    ``tracker`` hears of the records checked (step ``checking``): those of the
    source, or for bake-tracker's files those of the 1.0 backup read from them.
    """
    # Imported when a check runs, not with this module: importing the job must stay quick.
    from bakery_io.versions import bake_tracker  # noqa: PLC0415

    members = source.members if isinstance(source, Several) else [source]
    reading = bake_tracker.read(members, repairs)
    if reading is not None:
        return _check_app(source, reading, visit, registry, tracker)
    return _check_own(source, visit, registry, tracker)


def _check_own(
    source: Source, visit: Visitor | None, registry: BindingRegistry, tracker: Tracker | None
) -> Checker:
    """The check of a source of one of bakery_io's own format versions."""
    version = _stated_version(source)
    if version is None or version == CURRENT_VERSION or version not in VERSIONS:
        return Checker(source, visit, registry=registry, tracker=tracker).run()
    parts: dict[str, Part] = {}
    checker = Checker(source, keeping(parts), tracker=tracker).run()
    if not checker.problems:
        _check_upgraded(checker, backup_of(source, version, parts), visit, registry)
    return checker


def _check_upgraded(
    checker: Checker,
    backup: Backup,
    visit: Visitor | None,
    registry: BindingRegistry,
    tracker: Tracker | None = None,
) -> None:
    """Upgrade ``backup`` (of an older version, found sound) and check the result as the
    current version, its problems located in the source by ``checker``."""
    unresolved: list[Problem] = []
    upgraded = upgrade_backup(backup, unresolved)
    loaded = as_source(upgraded)
    after = Checker(loaded, visit, registry=registry, tracker=tracker).run()
    checker.registry = registry
    checker.upgraded, checker.loaded = upgraded, loaded
    checker.names = {
        filename(REGISTRY[name], upgraded.version): part.file
        for name, part in upgraded.parts.items()
    }
    said = list(map(checker.origin, unresolved))
    checker.problems.extend(said)
    # A reference the upgrade could not resolve is named once, not again as a null.
    where = {(problem.file, problem.pointer) for problem in said}
    checker.problems.extend(
        problem
        for problem in map(checker.origin, after.problems)
        if (problem.file, problem.pointer) not in where
    )


def _check_app(
    source: Source,
    reading: bake_tracker.Reading,
    visit: Visitor | None,
    registry: BindingRegistry,
    tracker: Tracker | None,
) -> Checker:
    """The check of bake-tracker's files: read into a 1.0 backup by the app's steps, then
    upgraded and checked as the current version, every problem traced to the app's files.

    The 1.0 backup is not held to the published 1.0 schemas: it is bakery_io's own
    intermediate (a reference 1.0 says by id may already be the key), and the
    current version's check that follows is complete.
    """
    checker = Checker(source)
    checker.files = reading.files
    checker.records = reading.records
    checker.source_format, checker.stated = reading.source_format, reading.label
    checker.locate = reading.locate.problem
    checker.problems.extend(reading.problems)
    if reading.backup is None:
        return checker
    checker.version = reading.backup.version
    _check_upgraded(checker, reading.backup, visit, registry, tracker)
    # A value the steps could not map is named once, by them, not again as a null.
    said = {(problem.file, problem.pointer) for problem in reading.problems}
    checker.problems[len(reading.problems) :] = [
        problem
        for problem in checker.problems[len(reading.problems) :]
        if (problem.file, problem.pointer) not in said
    ]
    if checker.upgraded is not None:
        own = tuple(map(reading.locate.rewrite, checker.upgraded.rewrites))
        checker.upgraded = replace(
            checker.upgraded,
            rewrites=(*reading.export.rewrites, *own),
            source_format=reading.source_format,
            repairs=reading.export.repairs,
            conversions=reading.export.conversions,
            left_behind=reading.export.left_behind,
        )
    return checker


def validate(
    source: Sources,
    *,
    repairs: Iterable[str] = (),
    progress: ProgressCallback | None = None,
    registry: BindingRegistry = REGISTRY,
) -> ValidationReport:
    """Check a backup directory, ZIP archive, single document or entity file.

    ``source`` may also be one of bake-tracker's own files, or several files
    of one bake-tracker export given together (its backup and its history
    documents), read as :mod:`bakery_io.versions.bake_tracker` says, with the
    opt-in ``repairs`` named (:data:`~bakery_io.REPAIRS`, or ``"all"``); the
    report's ``foreign`` says what was found, repaired, converted and left
    behind.

    Returns a :class:`ValidationReport` with every problem found, not only the
    first. Raises :class:`~bakery_io.UsageError` only when ``source`` does not
    exist. The record rules that JSON Schema cannot express (a record not
    referencing itself, unique children) are checked too; what needs the
    database or other files (references, cycles, rules across records) is
    checked by :func:`~bakery_io.load_all`.

    ``registry`` (default: format 1.1 as published) says which entity types
    and extensions the source may hold; what is namespaced by an extension it
    lacks is checked as far as the published core allows and listed in the
    report's ``passed_over``, never loaded.

    ``progress`` is called with :class:`~bakery_io.Progress` events of job
    ``"validate"``, step ``"checking"``, a chunk of records at a time; the total
    is what the manifest or the file states.
    """
    opened = open_sources(source)
    try:
        tracker = Tracker(progress, "validate")
        checker = check(opened, repairs=repairs, registry=registry, tracker=tracker)
        listed = listed_exceptions(opened)
    finally:
        close = getattr(opened, "close", None)
        if close is not None:
            close()
    upgraded = checker.upgraded
    return ValidationReport(
        source=opened.label,
        kind=opened.kind,
        version=checker.stated if checker.source_format else checker.version,
        files=checker.files,
        records=checker.records,
        problems=tuple(checker.problems),
        upgraded_to=upgraded.version if upgraded else None,
        rewrites=upgraded.rewrites if upgraded else (),
        exceptions=listed,
        foreign=Foreign.of(upgraded) if upgraded else Foreign(checker.source_format),
        passed_over=passed_over(checker),
    )
