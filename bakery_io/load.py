"""Import: :func:`load_all`, all-or-nothing, every problem reported before anything is kept.

A backup of the current version laid out as bakery_io writes it is imported
in one pass (:class:`_Streamer`): each chunk of records is checked against
the published JSON Schemas, loaded, resolved and compared
(:mod:`bakery_io.resolution`) and written (:mod:`bakery_io.persistence`) as
it is read, in a savepoint. At the first doubt that savepoint is rolled back
and the import runs in two passes, which report every problem: open the
container → check the manifest and every file against the published JSON
Schemas of its version (what :func:`bakery_io.validate` checks) → upgrade an
older version in memory and check the result as the current version → load
each record with its schema, resolve references against the files and the
database, compare records whose key exists, check the rules across records
(pass one) → write (pass two). Everything runs in one transaction; on any
problem it is rolled back."""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from bakery_io.accepting import Accepted, listed_exceptions
from bakery_io.binding.database import (
    Bind,
    begin_sqlite,
    connected,
    describe,
    flush_pending,
    require_tables,
    transaction,
)
from bakery_io.choice import choose_opened
from bakery_io.containers import (
    Archive,
    FileSource,
    Hashing,
    Source,
    Sources,
    Unreadable,
    open_sources,
    parse,
)
from bakery_io.errors import SourceError, UsageError
from bakery_io.format.extensions import PassedOver
from bakery_io.format.manifest import MANIFEST_NAME, listed_files
from bakery_io.jsonio import NotCanonical, read_entity_file
from bakery_io.persistence import Refused, Writer, write_loaded, write_section
from bakery_io.problems import Problem
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.queries import CHUNK_SIZE
from bakery_io.registry import REGISTRY, Registry
from bakery_io.repair_names import repairs_hint, repairs_left
from bakery_io.resolution import CONFLICT_MODES, Action, ConflictMode, Resolver
from bakery_io.sections import Section, entity_type_of, import_order
from bakery_io.validation import Checker, Doubt, check, passed_over, streamed_sections
from bakery_io.versions import CURRENT_VERSION
from bakery_io.versions.backup import Foreign, Rewrite

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntityCounts:
    """What a load did with the records of one entity type."""

    created: int = 0
    unchanged: int = 0
    skipped: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        """Every record of this type in the source."""
        return self.created + self.unchanged + self.skipped + self.updated

    def to_dict(self) -> dict[str, int]:
        """The counts as plain JSON-ready data."""
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class LoadReport:
    """The result of :func:`load_all`.

    ``counts`` holds each entity type of the source, in import order.
    ``conflicts`` lists the records whose key existed with different values
    (kept with ``skip``, overwritten with ``update``), each naming the fields
    that differ. ``committed`` is false for a dry run. ``version`` is the
    source's format version; when it was older, ``upgraded_to`` is the
    version it was upgraded to before loading and ``rewrites`` lists the
    slugs the upgrade rewrote or derived.
    """

    source: str
    kind: str
    version: str | None
    on_conflict: ConflictMode
    dry_run: bool
    counts: Mapping[str, EntityCounts]
    conflicts: tuple[Problem, ...] = field(default=())
    upgraded_to: str | None = None
    rewrites: tuple[Rewrite, ...] = field(default=())
    #: Problems of records restored as found: exceptions the backup lists, which the
    #: load was told to accept (``accept_exceptions``).
    exceptions: tuple[Problem, ...] = field(default=())
    #: For another program's files: what they are, repaired, converted and left behind.
    foreign: Foreign = field(default=Foreign())
    #: Extension data the registry does not know, not loaded (see ``registry=``).
    passed_over: PassedOver = field(default=PassedOver())

    @property
    def committed(self) -> bool:
        """Whether the load was kept (false for a dry run)."""
        return not self.dry_run

    @property
    def total(self) -> EntityCounts:
        """The counts of every entity type added up."""
        sums: Counter[str] = Counter()
        for counts in self.counts.values():
            sums.update(counts.to_dict())
        return EntityCounts(**sums)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "source": self.source,
            "kind": self.kind,
            "version": self.version,
            "upgraded_to": self.upgraded_to,
            "on_conflict": self.on_conflict,
            "dry_run": self.dry_run,
            "counts": {name: counts.to_dict() for name, counts in self.counts.items()},
            "total": self.total.to_dict(),
            "conflicts": [problem.to_dict() for problem in self.conflicts],
            "rewrites": [rewrite.to_dict() for rewrite in self.rewrites],
            "exceptions": [problem.to_dict() for problem in self.exceptions],
            **self.foreign.to_dict(),
            **self.passed_over.to_dict(),
        }


def _rank(source: Source, registry: Registry) -> Callable[[Problem], tuple[Any, ...]]:
    """Sort problems: the container and manifest first, then files in import order, each
    by section, record and field."""
    order = import_order(registry)
    position = {name: index for index, name in enumerate(registry.names, start=1)}

    def rank(problem: Problem) -> tuple[Any, ...]:
        whole = problem.file in (MANIFEST_NAME, source.name)
        file_rank = 0 if whole else order(problem.file)[0] + 1
        section = problem.pointer.split("/")[1] if problem.pointer.count("/") else ""
        number = position.get(section, 0)
        record = -1 if problem.record is None else problem.record
        return (file_rank, problem.file, number, record, problem.pointer, problem.message)

    return rank


def _present(source: Source, registry: Registry) -> set[str]:
    """The entity types of ``registry`` the source holds, whether or not their files could
    be read."""
    if isinstance(source, Archive):
        found = {name for name in map(entity_type_of, source.entity_names()) if name}
    else:
        content = source.content if isinstance(source, FileSource) else None
        if not isinstance(content, Mapping):
            return set()
        found = {content["entity_type"]} if "entity_type" in content else set(content)
    return {name for name in found if name in registry}


def _records(source: Source, section: Section) -> Iterator[Any]:
    """The records of ``section``, read again for writing (the bytes must not have changed).

    A file checked a record at a time is streamed again; should its bytes
    differ from those checked, the load fails (nothing is kept) when the end
    of the file shows it.
    """
    if isinstance(source, FileSource):
        yield from source.content[section.pointer.lstrip("/")]
        return
    assert isinstance(source, Archive)
    changed = Problem(section.file, "", "changed while it was being loaded")
    try:
        with source.open(section.file) as handle:
            hashing = Hashing(handle)
            if section.streamed:
                yield from read_entity_file(hashing)[2]
            else:
                yield from parse(section.file, hashing.read())["records"]
            digest = hashing.hexdigest()
    except NotCanonical:
        raise Refused(changed) from None
    except Unreadable as exc:
        raise Refused(exc.problem) from None
    if digest != section.sha256:
        raise Refused(changed)


@contextmanager
def _writing(bind: Bind, *, dry_run: bool) -> Iterator[Connection]:
    """One transaction for the whole load, rolled back at the end of a dry run.

    With an Engine it is a transaction of bakery_io's own. In a caller's
    Connection or Session the load runs in a SAVEPOINT, so a failed load
    undoes its own writes and nothing of the caller's. A Session's pending
    changes are flushed first, to be part of what the load sees; a dry run
    changes nothing of the caller's, so it flushes nothing and refuses a
    Session with changes it would not see (:func:`flush_pending`).
    """
    if isinstance(bind, Engine):
        with connected(bind) as connection, connection.begin() as outer:
            # Take SQLite's write lock now: what pass one reads must hold at the writes.
            begin_sqlite(connection, "IMMEDIATE")
            yield connection
            if dry_run:
                outer.rollback()
        return
    if isinstance(bind, Session):
        flush_pending(bind, dry_run=dry_run)
    with transaction(bind) as connection:
        savepoint = connection.begin_nested()
        try:
            yield connection
        except BaseException:
            savepoint.rollback()
            raise
        if dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()


#: Keys of an entity type a streamed load keeps in memory; beyond, they are looked up again.
_REMEMBERED = 4 * CHUNK_SIZE


def _load_streamed(
    connection: Connection,
    source: Source,
    on_conflict: ConflictMode,
    tracker: Tracker,
    registry: Registry,
    *,
    dry_run: bool,
) -> Resolver | None:
    """Check and write a backup of the current version chunk by chunk as it is read.

    This is the fast way, in one pass and bounded memory, for a sound backup.
    It runs in a savepoint; at the first doubt (any problem, any layout but
    the one bakery_io writes, an update) it is rolled back and ``None``
    returned, and the full check (:func:`_load_checked`) finds and explains
    every problem.

    ``tracker`` hears of each chunk checked and written (step ``loading``; a load
    that turns to the full check ends that step where it stands).
    """
    if not isinstance(source, Archive):
        return None
    savepoint = connection.begin_nested()
    resolver = Resolver(connection, on_conflict, registry=registry, dry_run=dry_run)
    # Any refusal of the database rolls back and loads again in full, which names the
    # record refused: no savepoint per statement here.
    streamer = _Streamer(Writer(connection, named=False), resolver, source, tracker)
    try:
        streamer.run()
    except Doubt as exc:
        savepoint.rollback()
        tracker.finish()
        logger.debug("%s: checking in full (%s)", source.name, exc or "a problem")
        return None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    tracker.finish()
    return streamer.resolver


def _stated_total(source: Source) -> int | None:
    """The records a source says it holds (a manifest's counts, a document's arrays),
    for progress only: None where it does not say, or says it wrongly."""
    content: Any = None
    if isinstance(source, Archive):
        if not (source.readable and source.has(MANIFEST_NAME)):
            return None
        try:
            manifest = parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
        except Unreadable:
            return None
        counts = [entry.get("record_count") for _, entry in listed_files(manifest)]
        if not counts or not all(type(count) is int for count in counts):
            return None
        return sum(count for count in counts if isinstance(count, int))
    if isinstance(source, FileSource):
        content = source.content
    if not isinstance(content, Mapping):
        return None
    if "entity_type" in content:
        content = {"records": content.get("records")}
    # A document's exceptions and extensions are lists too, but no records to load.
    return sum(
        len(value)
        for key, value in content.items()
        if isinstance(value, list) and key not in ("exceptions", "extensions")
    )


@dataclass
class _Streamer:
    """One streamed load: each section checked and written a chunk at a time."""

    writer: Writer
    resolver: Resolver
    source: Archive
    tracker: Tracker

    def run(self) -> None:
        tracker = self.tracker
        for number, (section, chunks) in enumerate(
            streamed_sections(self.source, self.resolver.registry)
        ):
            if number == 0:
                # Begun once the manifest is found sound: a source of another version
                # or layout goes to the full check without a step that did nothing.
                tracker.start("loading", _stated_total(self.source) if tracker.active else None)
            self.section(section, tracker.chunked(chunks, section.entity.name))

    def _sound(self) -> None:
        """Raise :class:`Doubt` at a problem, or before an update is written.

        An update can give up a value (a uuid, a name) or a child that a later
        record of the files takes. The two-pass check compares every record
        with the database as it was, and refuses that; here the database would
        already hold the update. So backups that update are checked in full.
        """
        resolver = self.resolver
        if resolver.problems or resolver.unknown:
            raise Doubt
        if any(counts[Action.UPDATE] for counts in resolver.counts.values()):
            raise Doubt("an update")

    def _checked(self, section: Section, count: int) -> None:
        self.resolver.end_section(section)
        self._sound()

    def section(self, section: Section, chunks: Iterable[list[Any]]) -> int:
        """Check and write one section; returns how many records were written."""
        resolver, entity = self.resolver, section.entity
        count = written = 0
        if entity.self_referencing:
            # Written parents first once every record is checked (a catalog: few).
            for chunk in chunks:
                resolver.check_chunk(section, list(enumerate(chunk, count)), valid=True)
                count += len(chunk)
            self._checked(section, count)
            records = _records(self.source, section)
            try:
                return write_section(self.writer, resolver, section, records)
            except Refused as exc:
                raise Doubt from exc
        # The row id of each record: a key the file repeats shows as a repeated id.
        ids = array("q")
        for chunk in chunks:
            loaded = resolver.check_chunk(section, list(enumerate(chunk, count)), valid=True)
            count += len(chunk)
            resolver.flush()
            self._sound()
            try:
                written += write_loaded(self.writer, resolver, section, loaded)
            except Refused as exc:
                raise Doubt from exc
            known = resolver.known[entity.name]
            ids.extend(known[item.key].id or 0 for item in loaded)
            resolver.forget(_REMEMBERED)
        self._checked(section, count)
        if len(set(ids)) != len(ids):
            raise Doubt("a key repeats")
        return written


def _load_checked(
    connection: Connection,
    source: Source,
    on_conflict: ConflictMode,
    tracker: Tracker,
    accepted: Accepted | None,
    *,
    repairs: Iterable[str] = (),
    registry: Registry,
    dry_run: bool,
) -> tuple[Resolver, Checker, tuple[Problem, ...]]:
    """Check everything, reporting every problem, then write: pass one, then pass two.

    Returns the resolver, the checker and the problems accepted as the backup's
    exceptions (``accepted``: those the load was told to accept). ``tracker``
    hears of the records of each section as they are checked (step ``checking``,
    after each file's JSON Schema check) and written (step ``writing``)."""
    resolver = Resolver(connection, on_conflict, accepted, registry=registry, dry_run=dry_run)
    sections: list[Section] = []

    def visit(section: Section, records: Iterable[Any]) -> None:
        sections.append(section)
        resolver.check(section, tracker.counted(records, section.entity.name, CHUNK_SIZE))

    tracker.start("checking", _stated_total(source) if tracker.active else None)
    checker = check(source, visit, repairs=repairs, registry=registry)
    tracker.finish()
    resolver.finish()
    problems = list(checker.problems)
    problems.extend(map(checker.origin, resolver.problems))
    # References into a file that could not be checked say nothing new.
    # (Another program's files are known by what was read of them.)
    present = _present(checker.loaded if checker.source_format else source, registry)
    unchecked = present - {section.entity.name for section in sections}
    for target, unknown in resolver.unknown.items():
        if target not in unchecked:
            problems.extend(map(checker.origin, unknown))
    problems.sort(key=_rank(source, registry))
    unacceptable = set(map(checker.origin, resolver.unacceptable))
    excepted = tuple(
        problem
        for problem in problems
        if accepted and accepted.covers(problem) and problem not in unacceptable
    )
    problems = [problem for problem in problems if problem not in excepted]
    if problems:
        if checker.source_format:
            raise SourceError(
                source.label, problems, hint=repairs_hint(repairs), repairs=repairs_left(repairs)
            )
        raise SourceError(source.label, problems, hint=_hint(source, accepted))
    writer = Writer(connection)
    tracker.start("writing", sum(section.count for section in sections))
    for section in sections:
        records = tracker.counted(
            _records(checker.loaded, section), section.entity.name, CHUNK_SIZE
        )
        try:
            write_section(writer, resolver, section, records)
        except Refused as exc:
            raise SourceError(source.label, [checker.origin(exc.problem)]) from exc.__cause__
    tracker.finish()
    return resolver, checker, excepted


def _hint(source: Source, accepted: Accepted | None) -> str | None:
    listed = listed_exceptions(source)
    if accepted is not None or not listed:
        return None
    return (
        f"its export listed {len(listed)} problem{'' if len(listed) == 1 else 's'} of records "
        "the database held although the format refuses them; load with "
        "accept_exceptions=True (bakery-io import --accept-exceptions) to restore them as found"
    )


def load_all(
    bind: Bind,
    source: Sources,
    *,
    on_conflict: ConflictMode = "skip",
    dry_run: bool = False,
    accept_exceptions: bool = False,
    repairs: Iterable[str] = (),
    progress: ProgressCallback | None = None,
    registry: Registry = REGISTRY,
    entities: Iterable[str] | None = None,
    with_dependencies: bool = False,
) -> LoadReport:
    """Load a backup directory, ZIP archive, single document or entity file into ``bind``.

    A source of an older format version (1.0) is checked as that version,
    upgraded in memory and checked again as the current one; the report says
    so (``upgraded_to``) and lists the slugs the upgrade rewrote.

    bake-tracker's own files are read the same way, one or several of one
    export given together (``[backup, "production_history.json", ...]``: the
    history documents hold what its backup lacks), with the opt-in
    ``repairs`` named (:data:`~bakery_io.REPAIRS`, or ``"all"``). Without a
    repair, a record that breaks a rule fails the load, named; the report's
    ``foreign`` lists each repair made, the mapping's conversions and what had
    no place in the format.

    Everything is checked before anything is kept: the manifest (files,
    checksums, counts), every file against the published JSON Schemas, every
    record against its schema's rules, every reference against the files and
    the database, and the rules across records (leaf ingredients, a run's
    finished unit of its recipe, no cycles, sub-recipes at most three deep).
    A record whose natural key exists is compared field by field: identical
    ones are counted unchanged; different ones are kept (``on_conflict=
    "skip"``), overwritten with their children replaced (``"update"``) or
    refused (``"error"``).

    The load is all-or-nothing: on any problem :class:`~bakery_io.SourceError`
    is raised with every problem found, and the database is as it was. A
    ``dry_run`` does everything but keep the result. With an Engine the load
    commits; with a Connection or Session it runs in a savepoint of the
    caller's transaction, which the caller commits. The bakery_io tables must
    exist (:func:`~bakery_io.create_schema`).

    A backup whose export listed exceptions (records the database held
    although the format or its rules refuse them, :attr:`Manifest.exceptions
    <bakery_io.Manifest.exceptions>`) is refused like any other, unless
    ``accept_exceptions``: then each problem the backup lists is accepted,
    where it lists it and nowhere else, the record is restored as found and
    the report's ``exceptions`` names it.

    ``registry`` says which entity types there are and where they are stored
    (default: format 1.1 in bakery_io's own tables). Records of a core type
    it does not store are refused; what an extension it lacks holds is passed
    over and named in the report's ``passed_over``.

    ``progress`` is called with :class:`~bakery_io.Progress` events of job
    ``"import"``, a chunk of records at a time. A sound backup of the current
    version laid out as bakery_io writes it is checked and written in one step,
    ``"loading"``; any other source (and one the single pass doubts, which ends
    ``"loading"`` where it stands) in two: ``"checking"`` then ``"writing"``.
    Totals are the records the manifest or the file states. An exception the
    callback raises ends the load, as any error does: nothing is kept.

    ``entities`` restores only those entity types of the backup (a partial restore,
    :mod:`bakery_io.choice`): the records they reference must then be in the database
    already, unless ``with_dependencies`` loads the types they depend on too.
    """
    check_conflict_mode(on_conflict)
    describe(bind)  # refuses what is not a database
    opened = open_sources(source)
    if entities is not None:
        opened = choose_opened(opened, entities, registry, with_dependencies=with_dependencies)
    return load_opened(
        bind,
        opened,
        on_conflict=on_conflict,
        dry_run=dry_run,
        accept_exceptions=accept_exceptions,
        repairs=repairs,
        progress=progress,
        registry=registry,
    )


def check_conflict_mode(on_conflict: str) -> None:
    """Refuse an ``on_conflict`` that is none of :data:`CONFLICT_MODES`."""
    if on_conflict not in CONFLICT_MODES:
        raise UsageError(
            f"on_conflict must be one of {', '.join(CONFLICT_MODES)}, not {on_conflict!r}"
        )


def load_opened(
    bind: Bind,
    opened: Source,
    *,
    on_conflict: ConflictMode,
    dry_run: bool,
    accept_exceptions: bool,
    repairs: Iterable[str],
    progress: ProgressCallback | None,
    registry: Registry,
) -> LoadReport:
    """:func:`load_all` of a source already opened (closed here, whatever happens)."""
    tracker = Tracker(progress, "import")
    checker: Checker | None = None
    excepted: tuple[Problem, ...] = ()
    accepted = Accepted(listed_exceptions(opened)) if accept_exceptions else None
    try:
        with _writing(bind, dry_run=dry_run) as connection:
            require_tables(connection, registry)
            # A backup with exceptions would only make the one pass doubt.
            resolver = (
                None
                if accepted
                else _load_streamed(
                    connection, opened, on_conflict, tracker, registry, dry_run=dry_run
                )
            )
            if resolver is None:
                resolver, checker, excepted = _load_checked(
                    connection,
                    opened,
                    on_conflict,
                    tracker,
                    accepted,
                    repairs=repairs,
                    registry=registry,
                    dry_run=dry_run,
                )
    finally:
        close = getattr(opened, "close", None)
        if close is not None:
            close()
    counts = {
        name: EntityCounts(**{action.value: count for action, count in counter.items()})
        for name, counter in resolver.counts.items()
    }
    written = any(
        counter[Action.CREATE] or counter[Action.UPDATE] for counter in resolver.counts.values()
    )
    if isinstance(bind, Session) and written and not dry_run:
        # Objects the caller holds may show what the load replaced: reload them on use.
        bind.expire_all()
    upgraded = checker.upgraded if checker else None
    report = LoadReport(
        source=opened.label,
        kind=opened.kind,
        version=(checker.stated if checker.source_format else checker.version)
        if checker
        else CURRENT_VERSION,
        on_conflict=on_conflict,
        dry_run=dry_run,
        counts=counts,
        conflicts=tuple(map(checker.origin, resolver.conflicts) if checker else resolver.conflicts),
        upgraded_to=upgraded.version if upgraded else None,
        rewrites=upgraded.rewrites if upgraded else (),
        exceptions=excepted,
        foreign=Foreign.of(upgraded) if upgraded else Foreign(),
        passed_over=passed_over(checker) if checker else PassedOver(),
    )
    if report.passed_over:
        logger.warning("%s: %s", opened.label, report.passed_over.describe())
    if excepted:
        logger.warning("%d exceptions of the backup restored as found", len(excepted))
    for name, entity_counts in counts.items():
        logger.info("%s: %s", name, entity_counts.to_dict())
    return report
