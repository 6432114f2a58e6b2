"""Pass one of a load: every record checked against the files and the database.

The :class:`Resolver` takes the sections of a source in import order. For
each chunk of records it loads them with their schema (references as natural
keys), reads the rows that already have their keys (one query, plus one per
child table) and compares them field by field, checks values that must be
unique, and notes every reference. References to records of the files are
resolved from memory; the others are looked up in the database in chunks of
keys, one query each. Rules across records (:mod:`bakery_io.format.links`), cycles
and nesting depth are checked on the records as they will be after the load.
Nothing is written: what the resolver learns (each key's row id, or the
record that will create it) resolves references when :mod:`bakery_io.persistence`
writes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Literal, NamedTuple

from marshmallow import ValidationError
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    FromClause,
    UniqueConstraint,
    select,
    tuple_,
)
from sqlalchemy.engine import Dialect

from bakery_io import graphs
from bakery_io.accepting import Accepted, Accepts, load_or_accept
from bakery_io.binding.mapping import binding_of
from bakery_io.codecs import Dumper, Loader, dumper, loader
from bakery_io.format.extensions import is_namespaced
from bakery_io.format.fields import Children, Key, Reference, row_key
from bakery_io.format.links import MaxNesting, TargetValue
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.problems import NOWHERE, Problem, pointer
from bakery_io.queries import (
    CHUNK_SIZE,
    batches,
    one_of,
    plan_columns,
    plan_for,
    read_records,
    row_dumper,
)
from bakery_io.registry import REGISTRY, EntityType, Registry
from bakery_io.sections import Section
from bakery_io.written_ids import WrittenIds

#: What to do with a record whose key exists with different values.
ConflictMode = Literal["skip", "update", "error"]
CONFLICT_MODES: tuple[ConflictMode, ...] = ("skip", "update", "error")


class Action(StrEnum):
    """What a load does with one record; the values name the report's counts."""

    CREATE = "created"
    UNCHANGED = "unchanged"
    SKIP = "skipped"
    UPDATE = "updated"


#: The actions that write.
WRITES = (Action.CREATE, Action.UPDATE)


@dataclass(slots=True)
class Known:
    """A record that exists after the load: from the files, or a row of the database.

    ``id`` is the row's id (``None`` until a created record is written);
    ``action`` is ``None`` for a database row the files do not hold; ``facts``
    holds the fields other records' links read, as they will be after the load
    (``None`` when unknown because the record is flawed).
    """

    id: int | None
    action: Action | None
    facts: dict[str, Any] | None
    file: str | None = None
    position: int | None = None


class Loaded(NamedTuple):
    """A record that loaded with its schema: its position, the record, its data and key."""

    position: int
    record: Any
    data: dict[str, Any]
    key: Key


@dataclass(frozen=True, slots=True)
class _Use:
    """One reference in the files: where it is and what its target must satisfy.

    The pointer and key are kept in parts and formatted only for a problem:
    most references have none.
    """

    file: str
    parts: tuple[str | int, ...]
    record: int
    owner: Key
    checks: tuple[tuple[TargetValue, Any], ...]

    @property
    def pointer(self) -> str:
        """The JSON pointer of the reference."""
        return pointer(*self.parts)

    @property
    def key(self) -> str:
        """The natural key of the record that makes the reference, as messages show it."""
        return key_text(self.owner)


def key_text(key: Key) -> str:
    """A natural key as messages show it: ``slug`` or ``product / unit``."""
    return " / ".join(key) if isinstance(key, tuple) else key


def record_key(entity: EntityType, record: Any) -> Key | None:
    """The natural key of a record as the files write it; ``None`` when malformed."""
    # Called for every record more than once: the common case (a dict, one part) first.
    if type(record) is not dict and not isinstance(record, Mapping):
        return None
    names = entity.natural_key
    if len(names) == 1:
        part = record.get(names[0])
        return part if isinstance(part, str) else None
    texts = tuple(part for name in names if isinstance(part := record.get(name), str))
    return texts if len(texts) == len(names) else None


def key_filter(entity: EntityType, keys: Sequence[Key], dialect: Dialect) -> ColumnElement[bool]:
    """SQL: the row's natural key is one of ``keys`` (over the entity's read plan)."""
    plan = plan_for(entity)
    columns = [plan.column(name) for name in entity.natural_key]
    if len(columns) == 1:
        return one_of(columns[0], keys, dialect)
    return tuple_(*columns).in_(keys)


# ---------------------------------------------------------------------------
# What the schemas say, computed once.


@cache
def _attributes(schema: type[EntitySchema]) -> dict[str, tuple[str, Any]]:
    """Wire name -> (key in loaded data, field) of every field of ``schema``."""
    return {
        field.data_key or name: (field.attribute or name, field)
        for name, field in declared_fields(schema).items()
    }


def wire_value(schema: type[EntitySchema], data: Mapping[str, Any], wire: str) -> Any:
    """The value of wire field ``wire`` in ``data`` as ``schema.load`` returned it."""
    attribute, field = _attributes(schema)[wire]
    value = data.get(attribute)
    if isinstance(field, Reference) and isinstance(value, tuple):
        return value[-1]  # the other parts of a composite key are fields of their own
    return value


def to_wire(schema: type[EntitySchema], data: Mapping[str, Any]) -> dict[str, Any]:
    """Loaded ``data`` in the canonical wire form that an export would write."""
    return dumper(schema)(_as_row(schema, data))


def _as_row(schema: type[EntitySchema], data: Mapping[str, Any]) -> dict[str, Any]:
    """Loaded ``data`` as the export reads a row: a reference's key under its wire name,
    every other value under its attribute (where a binding stores it), children too."""
    row: dict[str, Any] = {}
    for name, field in declared_fields(schema).items():
        if isinstance(field, Children):
            items = data.get(field.attribute or name) or []
            row[row_key(name, field)] = [_as_row(field.schema_class, item) for item in items]
        else:
            row[row_key(name, field)] = wire_value(schema, data, field.data_key or name)
    return row


def differences(
    schema: type[EntitySchema],
    stated: Mapping[str, Any],
    incoming: Mapping[str, Any],
    existing: Mapping[str, Any],
) -> list[str]:
    """Wire names of the fields where ``incoming`` differs from ``existing``.

    Both are canonical wire forms. A field the record does not state and whose
    value is generated (a uuid, a timestamp) is not compared: the file says
    nothing about it. Children with a ``sort_order`` are compared in that order
    (the file's order among equal ones), as the database keeps them.
    """
    found = []
    for wire, (_attribute, field) in _attributes(schema).items():
        if isinstance(field, Children):
            mine, theirs = incoming.get(wire) or [], existing.get(wire) or []
            given = stated.get(wire)
            items = given if isinstance(given, list) else []
            if "sort_order" in _attributes(field.schema_class):
                ranked = sorted(range(len(mine)), key=lambda i: _sort_rank(mine[i]))
                items = [items[i] if i < len(items) else {} for i in ranked]
                mine = [mine[i] for i in ranked]
            if len(mine) != len(theirs) or any(
                differences(field.schema_class, item, a, b)
                for item, a, b in zip(items, mine, theirs, strict=False)
            ):
                found.append(wire)
        elif wire not in stated and _kept_unstated(wire, field):
            continue
        elif incoming.get(wire) != existing.get(wire):
            found.append(wire)
    return found


def _sort_rank(child: Mapping[str, Any]) -> int:
    order = child.get("sort_order")
    return order if isinstance(order, int) else 0


def _kept_unstated(wire: str, field: Any) -> bool:
    """Whether a field the record does not state keeps the row's value on update: one
    whose value is generated (a uuid, a timestamp), or an extension's, which a backup
    written without the extension says nothing about."""
    return callable(field.load_default) or is_namespaced(wire)


def generated_unstated(schema: type[EntitySchema], stated: Mapping[str, Any]) -> set[str]:
    """Columns an update leaves as they are because the record does not state them: absent
    uuids and timestamps (generated), absent fields of an extension."""
    return {
        attribute
        for wire, (attribute, field) in _attributes(schema).items()
        if wire not in stated and not isinstance(field, Children) and _kept_unstated(wire, field)
    }


@cache
def _facts_needed(registry: Registry) -> dict[str, tuple[str, ...]]:
    """Entity type -> the fields that links of other records read from it."""
    needed = {
        entity.name: tuple(
            sorted({link.field for _schema, link in _links_into(registry, entity.name)})
        )
        for entity in registry
    }
    return {name: fields for name, fields in needed.items() if fields}


@cache
def _kept_by_id(registry: Registry) -> frozenset[str]:
    """The entity types keyed by uuid that records (children included) reference: the
    ids :meth:`Resolver.forget` keeps (those of any other type would only take memory)."""
    return frozenset(
        target
        for entity in registry
        for schema in _schemas_of(entity.schema)
        for _attribute, _wire, target, _links in _plan(schema).references
        if registry[target].natural_key == ("uuid",)
    )


def _schemas_of(schema: type[EntitySchema]) -> Iterator[type[EntitySchema]]:
    yield schema
    for _wire, (_attribute, field) in _attributes(schema).items():
        if isinstance(field, Children):
            yield from _schemas_of(field.schema_class)


@cache
def _links(schema: type[EntitySchema], wire: str) -> tuple[TargetValue, ...]:
    return tuple(
        link
        for link in schema.opts.links
        if isinstance(link, TargetValue) and link.reference == wire
    )


@cache
def _links_into(
    registry: Registry, target: str
) -> tuple[tuple[type[EntitySchema], TargetValue], ...]:
    """(schema, link) of every link whose reference points at ``target``."""
    found = []
    for entity in registry:
        for schema in _schemas_of(entity.schema):
            for link in schema.opts.links:
                if isinstance(link, TargetValue):
                    reference = _attributes(schema)[link.reference][1]
                    if reference.target == target:
                        found.append((schema, link))
    return tuple(found)


@cache
def _owners(registry: Registry) -> dict[type[EntitySchema], tuple[EntityType, Column[Any]]]:
    """Child schema -> (the entity type it is nested in, its column pointing at the parent)."""
    return {
        child.schema: (entity, child.parent) for entity in registry for child in entity.children
    }


@dataclass(frozen=True)
class _Relation:
    """References of an entity type to itself through one field (``parent_slug``)."""

    wire: str
    reference: Reference
    children: str | None  # the children key the field is in, None at the top level
    nesting: int | None  # the most records a chain may hold (MaxNesting)


@cache
def _relations(entity: EntityType) -> tuple[_Relation, ...]:
    nesting = {
        link.reference: link.levels
        for link in entity.schema.opts.links
        if isinstance(link, MaxNesting)
    }
    found = []
    for wire, (_attribute, field) in _attributes(entity.schema).items():
        fields: list[tuple[str, Any, str | None]] = [(wire, field, None)]
        if isinstance(field, Children):
            inner = _attributes(field.schema_class)
            fields = [(name, child, wire) for name, (_attribute, child) in inner.items()]
        for name, candidate, children in fields:
            if isinstance(candidate, Reference) and candidate.target == entity.name:
                found.append(_Relation(name, candidate, children, nesting.get(name)))
    return tuple(found)


@cache
def unique_values(entity: EntityType) -> tuple[tuple[str, ...], ...]:
    """Wire names of each set of fields that must be unique, the natural key excepted.

    A rule of the format: read from the table of the format schema (bakery_io's own,
    or an extension type's), whichever table a binding stores the records in.
    """
    format_schema = entity.schema.opts.format or entity.schema
    binding = binding_of(format_schema)
    wires = {attribute: wire for wire, (attribute, _f) in _attributes(format_schema).items()}
    found = []
    for constraint in sorted(binding.table.constraints, key=lambda c: str(c.name)):
        if not isinstance(constraint, UniqueConstraint):
            continue
        names = [column.name for column in constraint.columns]
        if binding.primary_key.name in names or not all(name in wires for name in names):
            continue
        wire_names = tuple(wires[name] for name in names)
        if set(wire_names) != set(entity.natural_key):
            found.append(wire_names)
    return tuple(found)


class _Plan(NamedTuple):
    """Where the references of a schema's loaded data are: (attribute, wire name, target,
    links) of each reference field, and (attribute, wire name, schema) of each kind of child
    that holds references (the others need no walk)."""

    references: tuple[tuple[str, str, str, tuple[TargetValue, ...]], ...]
    children: tuple[tuple[str, str, type[EntitySchema]], ...]


@cache
def _plan(schema: type[EntitySchema]) -> _Plan:
    references, children = [], []
    for wire, (attribute, field) in _attributes(schema).items():
        if isinstance(field, Children):
            plan = _plan(field.schema_class)
            if plan.references or plan.children:
                children.append((attribute, wire, field.schema_class))
        elif isinstance(field, Reference):
            references.append((attribute, wire, field.target, _links(schema, wire)))
    return _Plan(tuple(references), tuple(children))


def _messages(messages: Any, parts: tuple[str | int, ...]) -> Iterator[tuple[str, str]]:
    """(JSON pointer, message) of each message in marshmallow's nested error dict."""
    if isinstance(messages, Mapping):
        for name, inner in messages.items():
            yield from _messages(inner, parts if name == "_schema" else (*parts, name))
    elif isinstance(messages, list):
        for inner in messages:
            yield from _messages(inner, parts)
    else:
        yield pointer(*parts), str(messages)


# ---------------------------------------------------------------------------


class Resolver:
    """Checks the sections of one load and remembers what every key resolves to.

    Without a ``connection`` it checks the records as if they were loaded into
    an empty database (what the export does to prove a backup restorable,
    :mod:`bakery_io.audit`): nothing exists but the records themselves, and a
    reference to a record it has not seen is taken as the export's read found
    it, pointing at a row.
    """

    def __init__(
        self,
        connection: Connection | None,
        on_conflict: ConflictMode,
        accepted: Accepted | None = None,
        *,
        registry: Registry = REGISTRY,
        dry_run: bool = False,
    ) -> None:
        self.connection = connection
        self.registry = registry
        self.on_conflict = on_conflict
        #: Whether the load is a dry run, kept by nobody: its conflicts say "would".
        self.dry_run = dry_run
        #: The backup's exceptions the load accepts (:mod:`bakery_io.accepting`).
        self.accepted = accepted
        #: (file, position) of the records loaded as found.
        self.as_found: set[tuple[str, int]] = set()
        #: Problems no acceptance covers (a key the files repeat); part of :attr:`problems`.
        self.unacceptable: list[Problem] = []
        self.known: dict[str, dict[Key, Known]] = defaultdict(dict)
        self.problems: list[Problem] = []
        #: References to keys found nowhere, by target entity type (reported with the problems).
        self.unknown: dict[str, list[Problem]] = defaultdict(list)
        #: Records that exist with different values and were kept or overwritten.
        self.conflicts: list[Problem] = []
        self.counts: dict[str, Counter[Action]] = {}
        #: Entity type -> key -> (target, pointer) of each reference to its own type.
        self.edges: dict[tuple[str, str], dict[Key, list[tuple[Key, str]]]] = defaultdict(dict)
        self._pending: dict[str, dict[Key, list[_Use]]] = defaultdict(dict)
        self._deferred: list[tuple[str, Key, _Use]] = []
        self._seen: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], str]] = {}
        #: Entity type -> row id -> (key, changed fields) of updates that change what links read.
        self._moved: dict[str, dict[int, tuple[Key, set[str], str]]] = defaultdict(dict)
        self._has_rows: dict[str, bool] = {}
        #: Entity type -> the ids of its records :meth:`forget` dropped, where kept.
        self._written: dict[str, WrittenIds] = {}

    # -- the checks of one section -------------------------------------------

    def check(self, section: Section, records: Iterable[Any]) -> None:
        """Check the records of ``section``; problems go to :attr:`problems`."""
        for chunk in batches(enumerate(records)):
            self.check_chunk(section, chunk)
        self.end_section(section)

    def check_chunk(
        self,
        section: Section,
        chunk: Sequence[tuple[int, Any]],
        *,
        valid: bool = False,
        load: Loader | None = None,
    ) -> list[Loaded]:
        """Check one chunk of (position, record) of ``section``; returns the records loaded.

        References to other entity types may stay pending until :meth:`flush`
        (or the end of the section) looks them up. ``valid``: every record
        conforms to the published JSON Schemas, so the fields skip the checks
        those make. ``load`` replaces the schema's loader (:func:`references_loader`).
        """
        entity = section.entity
        load = load or loader(entity.schema, valid=valid)
        loaded = []
        for position, record in chunk:
            key = record_key(entity, record)
            if key is not None:
                if not self._first(section, position, key):
                    continue
                # Known at once, so a repeat is caught and references to it resolve;
                # _classify replaces it with what the database says.
                placeholder = Known(None, Action.CREATE, None, section.file, position)
                self._remember(entity, key, placeholder)
            data = None
            if position not in section.flawed:
                data = self._load(section, load, position, record, key)
            elif self.accepted:
                # Its problems are reported already; loaded only if all are accepted.
                with suppress(ValidationError):
                    data = self.load_record(section, load, position, record)
            if data is None or key is None:
                continue
            loaded.append(Loaded(position, record, data, key))
        counts = self.counts.setdefault(entity.name, Counter())
        counts.update(self._classify(section, loaded))
        return loaded

    def flush(self) -> None:
        """Look up every pending reference now (one query per entity type)."""
        for target in list(self._pending):
            self._look_up(target)

    def to_ids(self, schema: type[EntitySchema], data: dict[str, Any]) -> None:
        """Replace each reference in loaded ``data`` (children included) by its row id.

        Every reference must be known already (:meth:`flush`).
        """
        references, children = _plan(schema)
        for attribute, _wire, target, _links in references:
            key = data.get(attribute)
            if key is not None:
                found = self.known[target][key].id
                assert found is not None, f"{target} {key!r} is not written yet"
                data[attribute] = found
        for attribute, _wire, child in children:
            for item in data.get(attribute) or ():
                self.to_ids(child, item)

    def forget(self, keep: int) -> None:
        """Drop what is known of entity types that hold more than ``keep`` keys, except
        those that reference their own type (their checks need every key).

        Only for a load that writes as it checks: what is dropped is in the
        database and is looked up again when referenced, unless its id is kept
        (:mod:`bakery_io.written_ids`: the records of the files of a type keyed by
        uuid that records reference).
        Targets of links are kept too (few, and without a database their facts
        could not be read again).
        """
        kept = _facts_needed(self.registry)
        by_id = _kept_by_id(self.registry)
        for name, known in self.known.items():
            if len(known) > keep and not self.registry[name].self_referencing and name not in kept:
                if name in by_id:
                    ids = self._written.setdefault(name, WrittenIds())
                    ids.add(
                        (key, found.id)
                        for key, found in known.items()
                        if found.file is not None and found.id is not None
                    )
                known.clear()

    def _first(self, section: Section, position: int, key: Key) -> bool:
        """Whether this is the first record with ``key`` in the files."""
        earlier = self.known[section.entity.name].get(key)
        if earlier is None or earlier.file is None:
            return True
        said = (
            f"a second record with the key {key_text(key)!r}: record {earlier.position} "
            f"of {earlier.file} has it already"
        )
        # Loads tell records apart by their keys: the second cannot be restored, even
        # as an accepted exception of the backup.
        problem = Problem(
            section.file, f"{section.pointer}/{position}", said, position, key_text(key)
        )
        self.problems.append(problem)
        self.unacceptable.append(problem)
        return False

    def _load(
        self,
        section: Section,
        load: Loader,
        position: int,
        record: Any,
        key: Key | None,
    ) -> dict[str, Any] | None:
        try:
            data = self.load_record(section, load, position, record)
        except ValidationError as exc:
            shown = key_text(key) if key is not None else None
            for where, message in _messages(exc.messages, ()):
                self.problems.append(
                    Problem(
                        section.file,
                        f"{section.pointer}/{position}{where}",
                        message,
                        position,
                        shown,
                    )
                )
            return None
        return data

    def load_record(
        self, section: Section, load: Loader, position: int, record: Any
    ) -> dict[str, Any]:
        """``record`` loaded with ``load``; with accepted exceptions where it fails, as found.

        Raises ``ValidationError`` for a failure that is not accepted.
        """
        accepts = self.accepts(section, f"{section.pointer}/{position}")
        data, found = load_or_accept(load, section.entity.schema, record, accepts)
        if found:
            self.as_found.add((section.file, position))
        return data

    def accepts(self, section: Section, where: str) -> Accepts | None:
        """What the load accepts inside the record or child at ``where`` of ``section``."""
        return self.accepted.within(section.file, where) if self.accepted else None

    def _remember(self, entity: EntityType, key: Key, known: Known) -> None:
        self.known[entity.name][key] = known

    def _existing(
        self, entity: EntityType, keys: list[Key], dump: Dumper
    ) -> dict[Key, tuple[int, dict[str, Any]]]:
        """(row id, wire record) of the rows of ``entity`` with one of ``keys``, by key."""
        existing: dict[Key, tuple[int, dict[str, Any]]] = {}
        if self.connection is None or not self._filled(entity):
            return existing
        where = key_filter(entity, keys, self.connection.dialect)
        with closing(read_records(self.connection, entity, where=where)) as chunks:
            for rows in chunks:
                for row in rows:
                    current = dump(row)
                    found = record_key(entity, current)
                    assert found is not None
                    existing[found] = (row["__id__"], current)
        return existing

    def _classify(self, section: Section, loaded: list[Loaded]) -> list[Action]:
        """Compare each record with the row of the same key, if any; note its references."""
        if not loaded:
            return []
        entity = section.entity
        schema = entity.schema
        dump = row_dumper(entity, self.connection.dialect) if self.connection else dumper(schema)
        existing = self._existing(entity, [item.key for item in loaded], dump)
        facts_needed = _facts_needed(self.registry).get(entity.name, ())
        # The canonical form is needed to compare with a row, and for what links and
        # unique values read; most records of a history need none of it.
        always = bool(facts_needed or unique_values(entity))
        written: list[tuple[int, Key, dict[str, Any]]] = []
        actions = []
        for position, record, data, key in loaded:
            if (section.file, position) in self.as_found:
                incoming = dict(record)  # what the export wrote is the row as it was
            else:
                incoming = to_wire(schema, data) if always or key in existing else {}
            action, row_id = Action.CREATE, None
            facts_from: Mapping[str, Any] = incoming
            if key in existing:
                row_id, current = existing[key]
                changed = differences(schema, record, incoming, current)
                action, facts_from = self._conflict(section, position, key, changed, current)
                if action is Action.UPDATE:
                    facts_from = incoming
            facts = {name: facts_from.get(name) for name in facts_needed} or None
            self._remember(entity, key, Known(row_id, action, facts, section.file, position))
            if action is Action.UPDATE and row_id is not None:
                before = {name: current.get(name) for name in facts_needed}
                moved = {name for name, value in before.items() if facts and facts[name] != value}
                if moved:
                    self._moved[entity.name][row_id] = (key, moved, f"{section.pointer}/{position}")
            base = (section.pointer.lstrip("/"), position)
            self._note_references(section, (position, key, action in WRITES), schema, data, base)
            if action in WRITES:
                written.append((position, key, incoming))
            actions.append(action)
        self._check_unique(section, written)
        return actions

    def _filled(self, entity: EntityType) -> bool:
        """Whether the table of ``entity`` held rows when its records were first compared.

        When it held none, no key can exist but one the files repeat, which the
        checks or the database's unique natural key refuse: no query per chunk.
        """
        filled = self._has_rows.get(entity.name)
        if self.connection is None:
            return False
        if filled is None:
            reading = select(entity.primary_key).limit(1)
            filled = self.connection.execute(reading).first() is not None
            self._has_rows[entity.name] = filled
        return filled

    def _conflict(
        self, section: Section, position: int, key: Key, changed: list[str], current: Any
    ) -> tuple[Action, Mapping[str, Any]]:
        if not changed:
            return Action.UNCHANGED, current
        entity = section.entity.name
        fields = ", ".join(changed)
        where = f"{section.pointer}/{position}"
        if self.on_conflict == "error":
            self.problems.append(
                Problem(
                    section.file,
                    where,
                    f"{entity} {key_text(key)!r} exists in the database with different values "
                    f"({fields}): the conflict mode skip keeps the database's, update "
                    "overwrites them",
                    position,
                    key_text(key),
                )
            )
            return Action.SKIP, current
        if self.on_conflict == "update":
            said, action = ("would overwrite" if self.dry_run else "overwrote"), Action.UPDATE
        else:
            said, action = ("would keep" if self.dry_run else "kept"), Action.SKIP
        self.conflicts.append(
            Problem(
                section.file,
                where,
                f"differs in {fields}: {said} the database's values",
                position,
                key_text(key),
            )
        )
        return action, current

    def _note_references(
        self,
        section: Section,
        use: tuple[int, Key, bool],
        schema: type[EntitySchema],
        data: dict[str, Any],
        parts: tuple[str | int, ...],
    ) -> None:
        """Note each reference of ``data`` (of the record at ``use``: position, key, and
        whether it is written); those to a known record without links need nothing more."""
        position, key, writes = use
        entity = section.entity
        references, children = _plan(schema)
        for attribute, wire, target, links in references:
            target_key = data.get(attribute)
            if target_key is None:
                continue
            checks: tuple[tuple[TargetValue, Any], ...] = ()
            if writes and links:

                def get(name: str, schema: type[EntitySchema] = schema, item: Any = data) -> Any:
                    return wire_value(schema, item, name)

                checks = tuple((link, link.expected(get)) for link in links)
            if target == entity.name:
                noted = _Use(section.file, (*parts, wire), position, key, checks)
                self._deferred.append((target, target_key, noted))
                if writes and wire in {relation.wire for relation in _relations(entity)}:
                    self.edges[(entity.name, wire)].setdefault(key, []).append(
                        (target_key, noted.pointer)
                    )
            elif checks or target_key not in self.known[target]:
                noted = _Use(section.file, (*parts, wire), position, key, checks)
                self._use(target, target_key, noted)
        for attribute, wire, child in children:
            for index, item in enumerate(data.get(attribute) or ()):
                self._note_references(section, use, child, item, (*parts, wire, index))

    def _use(self, target: str, key: Key, use: _Use) -> None:
        known = self.known[target].get(key)
        if known is None and target in self._written:
            row_id = self._written[target].get(key)
            if row_id is not None:
                # A record of the files, forgotten: its id is all a reference needs.
                known = Known(row_id, None, None)
                self._remember(self.registry[target], key, known)
        if known is not None:
            self._satisfies(target, key, known, use)
            return
        pending = self._pending[target]
        pending.setdefault(key, []).append(use)
        if len(pending) >= CHUNK_SIZE:
            self._look_up(target)

    def _satisfies(self, target: str, key: Key, known: Known, use: _Use) -> None:
        if known.facts is None:
            return
        for link, expected in use.checks:
            actual = known.facts.get(link.field)
            if actual != expected:
                self.problems.append(
                    Problem(
                        use.file,
                        use.pointer,
                        f"{link.why}: {target} {key_text(key)!r} has {link.field} "
                        f"{actual!r} (expected {expected!r})",
                        use.record,
                        use.key,
                    )
                )

    def _look_up(self, target: str) -> None:
        """Find the pending keys of ``target`` in the database: one query for them all."""
        pending = self._pending.pop(target, {})
        if not pending or self.connection is None:
            return
        entity = self.registry[target]
        plan = plan_for(entity)
        facts = _facts_needed(self.registry).get(target, ())
        fields = _attributes(entity.schema)
        columns = [plan.column(name) for name in (*entity.natural_key, *facts)]
        statement = (
            select(plan.row_id, *columns)
            .select_from(plan.joined)
            .where(key_filter(entity, list(pending), self.connection.dialect))
        )
        width = len(entity.natural_key)
        for row in self.connection.execute(statement):
            parts = tuple(row[1 : 1 + width])
            key: Key = parts[0] if width == 1 else parts
            values = {
                name: fields[name][1]._serialize(value, name, None)
                for name, value in zip(facts, row[1 + width :], strict=True)
            }
            known = Known(row[0], None, values or None)
            self._remember(entity, key, known)
            for use in pending.pop(key, []):
                self._satisfies(target, key, known, use)
        for key, uses in pending.items():
            for use in uses:
                self.unknown[target].append(
                    Problem(
                        use.file,
                        use.pointer,
                        f"no record of {target} has the {_kind(entity)} {key_text(key)!r}, "
                        f"{NOWHERE}",
                        use.record,
                        use.key,
                    )
                )

    def _check_unique(
        self, section: Section, written: list[tuple[int, Key, dict[str, Any]]]
    ) -> None:
        """Values that must be unique are not used by another record or row."""
        entity = section.entity
        plan = plan_for(entity)
        for names in unique_values(entity):
            seen = self._seen.setdefault((entity.name, names), {})
            owners: dict[tuple[Any, ...], tuple[int, Key]] = {}
            for position, key, incoming in written:
                values = tuple(incoming.get(name) for name in names)
                if any(value is None for value in values):
                    continue
                here = f"record {position} of {section.file}"
                first = seen.setdefault(values, here)
                if first != here:
                    self._unique_problem(section, position, key, names, values, holder=first)
                    continue
                owners[values] = (position, key)
            if not owners or self.connection is None:
                continue
            columns = [plan.column(name) for name in names]
            keys = [plan.column(name) for name in entity.natural_key]
            match = (
                one_of(columns[0], [v[0] for v in owners], self.connection.dialect)
                if len(columns) == 1
                else (tuple_(*columns).in_(list(owners)))
            )
            statement = select(*keys, *columns).select_from(plan.joined).where(match)
            width = len(keys)
            for row in self.connection.execute(statement):
                parts = tuple(row[:width])
                other: Key = parts[0] if width == 1 else parts
                values = tuple(row[width:])
                position, key = owners.get(values, (-1, other))
                if key != other:
                    where = f"{entity.name} {key_text(other)!r} in the database"
                    self._unique_problem(section, position, key, names, values, holder=where)

    def _unique_problem(
        self,
        section: Section,
        position: int,
        key: Key,
        names: tuple[str, ...],
        values: tuple[Any, ...],
        *,
        holder: str,
    ) -> None:
        shown = ", ".join(f"{name} {value!r}" for name, value in zip(names, values, strict=True))
        self.problems.append(
            Problem(
                section.file,
                f"{section.pointer}/{position}/{names[-1]}",
                f"{shown} must be unique and is already used by {holder}",
                position,
                key_text(key),
            )
        )

    # -- what needs every record of a section --------------------------------

    def end_section(self, section: Section) -> None:
        """Resolve what waited for every record of ``section``; check its graphs."""
        self.counts.setdefault(section.entity.name, Counter())  # an empty section counts too
        deferred, self._deferred = self._deferred, []
        for target, key, use in deferred:
            self._use(target, key, use)
        for target in list(self._pending):
            self._look_up(target)
        for relation in _relations(section.entity):
            self._check_graph(section, relation)

    def _check_graph(self, section: Section, relation: _Relation) -> None:
        """No cycles, and no chain longer than the nesting allows, after the load."""
        entity = section.entity
        incoming = self.edges.get((entity.name, relation.wire), {})
        if not incoming:
            return
        known = self.known[entity.name]
        edges: dict[Key, list[Key]] = {}
        for source, target in self._database_edges(entity, relation):
            record = known.get(source)
            if record is None or record.action not in WRITES:
                edges.setdefault(source, []).append(target)
        for source, targets in incoming.items():
            edges[source] = [target for target, _where in targets]
        on_cycles: set[Key] = set()
        for cycle in graphs.cycles(edges):
            on_cycles.update(cycle)
            shown = " → ".join(key_text(key) for key in [*cycle, cycle[0]])
            self._graph_problem(
                section,
                relation,
                cycle,
                f"{entity.name} reference each other in a cycle: {shown}",
                cycle=True,
            )
        if relation.nesting is None:
            return
        reported: set[Key] = set()
        lengths = graphs.chain_lengths(edges, on_cycles)
        for node, length in lengths.items():
            if length > relation.nesting and node not in reported:
                chain = graphs.longest_chain(edges, lengths, node)
                reported.update(chain)
                shown = " → ".join(key_text(key) for key in chain)
                self._graph_problem(
                    section,
                    relation,
                    chain,
                    f"{relation.children or relation.wire} nest {len(chain)} levels deep "
                    f"({shown}); at most {relation.nesting}",
                    cycle=False,
                )

    def _graph_problem(
        self,
        section: Section,
        relation: _Relation,
        members: list[Key],
        message: str,
        *,
        cycle: bool,
    ) -> None:
        """Report at the reference that one record of the files makes along the cycle or chain.

        On a cycle that is the record first in the file; on a chain the one
        nearest its head (a chain's last record references none of it).
        """
        known = self.known[section.entity.name]
        following = [*members[1:], members[0]] if cycle else members[1:]
        successors = dict(zip(members, following, strict=False))
        coming = [
            (index if not cycle else record.position, record.position, key)
            for index, key in enumerate(members)
            if key in successors
            and (record := known.get(key)) is not None
            and record.action in WRITES
            and record.file == section.file
            and record.position is not None
        ]
        if not coming:
            return
        _rank, position, key = min(coming)
        assert position is not None
        targets = self.edges[(section.entity.name, relation.wire)].get(key, [])
        where = next(
            (place for target, place in targets if target == successors[key]),
            f"{section.pointer}/{position}",
        )
        self.problems.append(Problem(section.file, where, message, position, key_text(key)))

    def _database_edges(self, entity: EntityType, relation: _Relation) -> Iterator[tuple[Key, Key]]:
        """(source key, target key) of every row's reference through ``relation``."""
        if self.connection is None:
            return
        binding = entity.binding
        table = binding.table
        (name,) = entity.natural_key  # self-referencing types are keyed by one field
        key, row_id = binding.column(name).key, binding.primary_key.key
        target = table.alias()
        source: FromClause = table
        attribute = relation.reference.attribute or ""
        if relation.children is None:
            joined = table.join(target, binding.columns[attribute] == target.c[row_id])
        else:
            (kind,) = [child for child in entity.children if child.name == relation.children]
            source = table.alias()
            joined = kind.table.join(source, kind.parent == source.c[row_id]).join(
                target, kind.binding.columns[attribute] == target.c[row_id]
            )
        statement = select(source.c[key], target.c[key]).select_from(joined)
        for row in self.connection.execute(statement):
            yield row[0], row[1]

    # -- for the writes ----------------------------------------------------

    def finish(self) -> None:
        """Check the rows of the database that rely on what updates change."""
        for target, moved in self._moved.items():
            for schema, link in _links_into(self.registry, target):
                if any(link.field in fields for _key, fields, _where in moved.values()):
                    self._check_referrers(target, moved, schema, link)

    def _check_referrers(
        self,
        target: str,
        moved: Mapping[int, tuple[Key, set[str], str]],
        schema: type[EntitySchema],
        link: TargetValue,
    ) -> None:
        """Rows of the database that reference an updated record must still follow ``link``.

        Rows the files write again were checked against the new values already.
        """
        connection = self.connection
        assert connection is not None  # updates are of rows, so there is a database
        plan = plan_columns(self.registry, schema)
        attribute = _attributes(schema)[link.reference][0]
        column = self.registry.binding(schema).columns[attribute]
        joined: FromClause = plan.joined
        owner = _owners(self.registry).get(schema)
        if owner is None:
            entity = self.registry[schema.opts.entity_type or ""]
            identity = [plan.column(name) for name in entity.natural_key]
        else:
            entity, parent_column = owner
            parent = entity.table.alias()
            joined = joined.join(parent, parent_column == parent.c[entity.primary_key.key])
            identity = [parent.c[entity.binding.column(name).key] for name in entity.natural_key]
        own = [plan.column(link.same_as)] if link.same_as else []
        width = len(identity)
        for ids in batches(sorted(moved)):
            match = one_of(column, ids, connection.dialect)
            statement = select(column, *identity, *own).select_from(joined).where(match)
            for row in connection.execute(statement):
                parts = tuple(row[1 : 1 + width])
                referrer: Key = parts[0] if width == 1 else parts
                record = self.known[entity.name].get(referrer)
                if record is not None and record.action in WRITES:
                    continue
                own_value = row[1 + width] if link.same_as else None

                def get(name: str, value: Any = own_value) -> Any:
                    return _attributes(schema)[name][1]._serialize(value, name, None)

                key, _fields, where = moved[row[0]]
                known = self.known[target][key]
                actual = known.facts.get(link.field) if known.facts else None
                expected = link.expected(get)
                if actual == expected or known.file is None:
                    continue
                self.problems.append(
                    Problem(
                        known.file,
                        f"{where}/{link.field}",
                        f"{link.why}: {entity.name} {key_text(referrer)!r} in the database "
                        f"needs {target} {key_text(key)!r} to have {link.field} {expected!r}, "
                        f"not {actual!r}",
                        known.position,
                        key_text(key),
                    )
                )

    def lookup(self, target: str, key: Key) -> int | None:
        """The row id of ``key`` of ``target``, for :func:`bakery_io.format.fields.resolving`."""
        known = self.known[target].get(key)
        return None if known is None else known.id

    def write_levels(self, entity: EntityType) -> tuple[dict[Key, int], dict[Key, set[str]]]:
        """The order to write records that reference records of their own type (parents
        first), and the references to write after every record, by record and wire name.

        Those close cycles, which a load refuses unless they are accepted exceptions
        of the backup: each cycle is broken at one reference, written once its target
        exists.
        """
        edges: dict[Key, list[Key]] = defaultdict(list)
        wires: dict[tuple[Key, Key], str] = {}
        for relation in _relations(entity):
            if relation.children is None:
                for source, targets in self.edges.get((entity.name, relation.wire), {}).items():
                    for target, _where in targets:
                        edges[source].append(target)
                        wires[source, target] = relation.wire
        if not edges:
            return {}, {}
        later: dict[Key, set[str]] = defaultdict(set)
        while found := graphs.cycles(edges):
            for cycle in found:
                source, target = cycle[-1], cycle[0]
                edges[source].remove(target)
                later[source].add(wires[source, target])
        writes = [key for key, record in self.known[entity.name].items() if record.action in WRITES]
        return graphs.levels(edges, writes), dict(later)


def needs_whole_records(entity: EntityType) -> bool:
    """Whether checking records of ``entity`` needs each whole record loaded: other records'
    links read its fields, or values must be unique (both compare canonical forms)."""
    return bool(entity.name in _facts_needed(entity.registry) or unique_values(entity))


@cache
def references_loader(schema: type[EntitySchema]) -> Loader:
    """What :meth:`Resolver.check_chunk` reads of a record that conforms to the published
    JSON Schemas, when no whole record is needed (:func:`needs_whole_records`): each
    reference as the loader gives it (its key), the fields its links compare, and the
    children that hold references; nothing else is converted, since the JSON Schemas
    have made every check those conversions would."""
    references, children = _plan(schema)
    compared = {
        link.same_as for link in schema.opts.links if isinstance(link, TargetValue) and link.same_as
    }
    fields = _attributes(schema)
    wanted = [(wire, *fields[wire]) for _attribute, wire, _target, _links in references]
    wanted += [(wire, *fields[wire]) for wire in sorted(compared) if wire in fields]
    nested = [(attribute, wire, references_loader(child)) for attribute, wire, child in children]

    def load(record: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for wire, attribute, field in wanted:
            value = record.get(wire)
            if value is not None and isinstance(field, Reference):
                value = field.load_valid(value, attribute, record)
            data[attribute] = value
        for attribute, wire, load_child in nested:
            data[attribute] = [load_child(item) for item in record.get(wire) or ()]
        return data

    return load


@cache
def relates(entity: EntityType) -> bool:
    """Whether records of ``entity`` take part in checks across records beyond their keys:
    references to their own type, links (from them or to them), values that must be unique."""
    return bool(
        entity.self_referencing
        or entity.name in _facts_needed(entity.registry)
        or unique_values(entity)
        or any(schema.opts.links for schema in _schemas_of(entity.schema))
    )


def attribute_of(schema: type[EntitySchema], wire: str) -> str:
    """The attribute (column) that the wire field ``wire`` of ``schema`` loads into."""
    return _attributes(schema)[wire][0]


def _kind(entity: EntityType) -> str:
    """How messages name the natural key: ``slug``, ``uuid``, ``material_product_slug / slug``."""
    return " / ".join(entity.natural_key)
