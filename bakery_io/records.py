"""The record-level API: chosen records out as data, records given as data in.

:func:`dump_records` writes the records a caller names (one recipe, say),
optionally with every record they depend on, as a single document: plain
data or its bytes, exactly what :func:`~bakery_io.dump_all` writes to a
``.json`` file for those records. :func:`load_records` loads a document, an
entity file or a ZIP backup given as data, bytes or a file object, through
the same open → check → upgrade → resolve → write path as
:func:`~bakery_io.load_all`, all or nothing.

This is what an API endpoint calls; the per-entity schemas are not, because a
record's references and the rules across records need the database
(``RecipeSchema().dump`` refuses a model instance, see
:class:`~bakery_io.format.schemas.base.EntitySchema`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import ColumnElement, Connection, bindparam, tuple_

from bakery_io.binding.database import Bind, describe
from bakery_io.containers import open_data
from bakery_io.dump import dumped, export_time, reading, write_records
from bakery_io.errors import NotFoundError, UsageError
from bakery_io.format.fields import Children, Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.load import LoadReport, check_conflict_mode, load_opened
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.queries import batches, column_of, read_records
from bakery_io.registry import REGISTRY, EntityType, Registry
from bakery_io.resolution import ConflictMode
from bakery_io.versions import CURRENT_VERSION
from bakery_io.writers import MemoryDocument

logger = logging.getLogger(__name__)

#: A natural key: the slug or uuid, or the parts of a composite key in order
#: (``("flour-bag", "each")`` for a material unit: its product's slug, its own).
Key = str | Sequence[str]

#: What :func:`dump_records` dumps: natural keys by entity type.
Selection = Mapping[str, Iterable[Key]]

#: What :func:`load_records` reads: a document or entity file as data (a mapping),
#: the bytes or text of a JSON file or ZIP backup, or a binary file object of one.
RecordData = Mapping[str, Any] | bytes | bytearray | memoryview | str | IO[bytes]

#: Keys looked up in one statement (well below every backend's parameter limit).
_KEYS_PER_QUERY = 500

#: Records listed in a :class:`NotFoundError`'s message (all are in its ``keys``).
_SHOWN = 5


def _is_text(part: object) -> bool:
    """Whether ``part`` is text a database can be asked about: a string without lone
    surrogates (what a web framework's surrogateescape leaves of bytes not UTF-8)."""
    if not isinstance(part, str):
        return False
    try:
        part.encode()
    except UnicodeEncodeError:
        return False
    return True


def _keys(entity: EntityType, given: Iterable[Key]) -> list[tuple[str, ...]]:
    if isinstance(given, str):
        raise UsageError(f"the keys of {entity.name} are a list of keys, not the string {given!r}")
    if not isinstance(given, Iterable):
        raise UsageError(f"the keys of {entity.name} are a list of keys, not {given!r}")
    parts = len(entity.natural_key)
    keys = []
    for key in given:
        # Anything else (a number, a set) is no key: refused below, not a TypeError.
        found = (key,) if isinstance(key, str) else tuple(key) if isinstance(key, Sequence) else ()
        if len(found) != parts or not all(_is_text(part) for part in found):
            raise UsageError(
                f"a key of {entity.name} is {parts} text part{'' if parts == 1 else 's'} "
                f"({', '.join(entity.natural_key)}), not {key!r}"
            )
        keys.append(found)
    return keys


def _where(entity: EntityType, keys: Sequence[tuple[str, ...]]) -> ColumnElement[bool]:
    columns = [column_of(entity, name) for name in entity.natural_key]
    # Beyond a batch, the keys are written into the statement (quoted by the dialect):
    # as parameters, tens of thousands would pass PostgreSQL's limit of 65,535.
    literal = len(keys) > _KEYS_PER_QUERY
    if len(columns) == 1:
        values = [key[0] for key in keys]
        return columns[0].in_(bindparam("keys", values, expanding=True, literal_execute=literal))
    return tuple_(*columns).in_(
        bindparam("keys", list(keys), expanding=True, literal_execute=literal)
    )


def _read(
    connection: Connection, entity: EntityType, keys: Iterable[tuple[str, ...]], url: str
) -> Iterator[dict[str, Any]]:
    """The wire records of ``entity`` with those keys (those that exist)."""
    for part in batches(sorted(keys), _KEYS_PER_QUERY):
        with closing(read_records(connection, entity, where=_where(entity, part))) as chunks:
            for chunk in chunks:
                yield from dumped(entity, chunk, url, connection.dialect)


def _referenced(
    schema: type[EntitySchema], record: Mapping[str, Any]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(target type, key) of every reference a wire record makes, its children's included."""
    for name, found in declared_fields(schema).items():
        value = record.get(found.data_key or name)
        if value is None:
            continue
        if isinstance(found, Reference):
            yield found.target, (*(record[part] for part in found.scope), value)
        elif isinstance(found, Children):
            for child in value:
                yield from _referenced(found.schema_class, child)


def _walk(
    connection: Connection,
    registry: Registry,
    wanted: dict[str, set[tuple[str, ...]]],
    url: str,
    *,
    follow: bool,
) -> dict[str, set[tuple[str, ...]]]:
    """The keys of ``wanted`` the database holds, by type; with ``follow``, ``wanted``
    gains every record its records depend on, transitively.

    References point to a type earlier in import order, or to the same type (a
    tree), so one walk from the last type back, repeating a type while its own
    records add keys of it, reaches every one; each round is one query per
    type (per :data:`_KEYS_PER_QUERY` keys), never one per record.
    """
    found: dict[str, set[tuple[str, ...]]] = {}
    for entity in reversed(tuple(registry)):
        pending = set(wanted.get(entity.name, ()))
        seen: set[tuple[str, ...]] = set()
        held = found.setdefault(entity.name, set())
        while pending:
            seen |= pending
            for record in _read(connection, entity, pending, url):
                held.add(tuple(record[name] for name in entity.natural_key))
                if follow:
                    for target, key in _referenced(entity.schema, record):
                        wanted.setdefault(target, set()).add(key)
            pending = wanted.get(entity.name, set()) - seen
    return found


def _refuse_missing(
    entity: EntityType, keys: Sequence[tuple[str, ...]], held: set[tuple[str, ...]], url: str
) -> None:
    missing = sorted(set(keys) - held)
    if missing:
        shown = ", ".join(repr(" / ".join(key)) for key in missing[:_SHOWN])
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        raise NotFoundError(
            f"{url} holds no {entity.name} {shown}{more}",
            entity_type=entity.name,
            keys=missing,
        )


def dumps_records(
    bind: Bind,
    selection: Selection,
    *,
    with_dependencies: bool = False,
    exported_at: datetime | None = None,
    registry: Registry = REGISTRY,
) -> bytes:
    """The records named in ``selection`` as the bytes of a single document.

    ``selection`` maps entity types to natural keys: ``{"recipes":
    ["white-bread"]}``; a composite key is a tuple of its parts. Children come
    with their parents, as in every backup. With ``with_dependencies`` the
    document also holds every record they reference, transitively (the
    recipe's ingredients and sub-recipes, their parents in the ingredient
    tree...), so it loads into an empty database; without, what they reference
    must exist where it is loaded.

    The bytes are those :func:`~bakery_io.dump_all` writes to a ``.json``
    document for the same records: read in one snapshot, each record checked
    as the import would check it, a record the format refuses listed in the
    document's ``exceptions``. A key the database does not hold raises
    :class:`~bakery_io.NotFoundError` (nothing is returned). A Session's
    pending changes are flushed first, as for every export.
    """
    if not isinstance(selection, Mapping):
        raise UsageError(f"selection maps entity types to keys, not {type(selection).__name__}")
    wanted = {registry[name].name: _keys(registry[name], keys) for name, keys in selection.items()}
    if not any(wanted.values()):
        raise UsageError("selection names no record: nothing to dump")
    moment = export_time(exported_at)
    document = MemoryDocument(Path("records.json"), CURRENT_VERSION, moment)
    with reading(bind, registry) as connection:
        url = connection.engine.url.render_as_string(hide_password=True)
        chosen = {name: set(keys) for name, keys in wanted.items()}
        # One read of every record, chosen or reached, before the write reads them again.
        held = _walk(connection, registry, chosen, url, follow=with_dependencies)
        for name, keys in wanted.items():
            _refuse_missing(registry[name], keys, held[name], url)
        selected = [
            (entity, _where(entity, sorted(chosen[entity.name])))
            for entity in registry
            if chosen.get(entity.name)
        ]
        # A handful of records: no progress to show.
        tracker = Tracker(None, "export")
        write_records(connection, document, selected, moment, tracker, registry=registry)
    logger.info(
        "dumped %d records of %s", sum(map(len, chosen.values())), ", ".join(sorted(chosen))
    )
    return document.data


def dump_records(
    bind: Bind,
    selection: Selection,
    *,
    with_dependencies: bool = False,
    exported_at: datetime | None = None,
    registry: Registry = REGISTRY,
) -> dict[str, Any]:
    """The records named in ``selection`` as a single document in plain data.

    What :func:`dumps_records` writes, parsed: ``{"version": "1.1",
    "exported_at": ..., "recipes": [{...}], ...}``, JSON-ready (decimals,
    dates and times as the format's strings). :func:`load_records` takes it
    back as it is.
    """
    parsed: dict[str, Any] = orjson.loads(
        dumps_records(
            bind,
            selection,
            with_dependencies=with_dependencies,
            exported_at=exported_at,
            registry=registry,
        )
    )
    return parsed


def _as_dict(value: object) -> dict[Any, Any]:
    """What json.dumps writes for a mapping that is no dict (a MappingProxyType)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _as_bytes(data: RecordData) -> bytes:
    if isinstance(data, Mapping):
        try:
            return json.dumps(data, ensure_ascii=False, allow_nan=False, default=_as_dict).encode()
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"data holds what JSON cannot ({exc}); the format writes decimals, dates and "
                "times as strings: pass the records as dump_records returns them"
            ) from exc
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    read = getattr(data, "read", None)
    if read is None:
        raise UsageError(
            "data is a document or entity file as a mapping, JSON text or bytes, "
            f"or a binary file object, not {type(data).__name__}"
        )
    content = read()
    return content.encode() if isinstance(content, str) else bytes(content)


def load_records(
    bind: Bind,
    data: RecordData,
    *,
    name: str = "records.json",
    on_conflict: ConflictMode = "skip",
    dry_run: bool = False,
    accept_exceptions: bool = False,
    progress: ProgressCallback | None = None,
    registry: Registry = REGISTRY,
) -> LoadReport:
    """Load records given as data, bytes or a file object into ``bind``, as
    :func:`~bakery_io.load_all` loads a file.

    ``data`` is a single document (``{"version": "1.1", "recipes": [...]}``, as
    :func:`dump_records` returns it) or a single entity file, as a mapping,
    JSON text or bytes, or a binary file object; or the bytes of a ZIP backup.
    ``name`` is how errors name it (the file of each
    :class:`~bakery_io.Problem`). Everything else is :func:`load_all`'s:
    an older format version is upgraded, references resolve against the data
    and the database, every rule is checked (across records too), and on any
    problem :class:`~bakery_io.SourceError` names each one and nothing is
    kept. ``progress`` hears of it as of :func:`~bakery_io.load_all`.
    """
    check_conflict_mode(on_conflict)
    describe(bind)  # refuses what is not a database
    if not isinstance(name, str):
        raise UsageError(f"name is the text errors name the data by, not {name!r}")
    opened = open_data(_as_bytes(data), name)
    return load_opened(
        bind,
        opened,
        on_conflict=on_conflict,
        dry_run=dry_run,
        accept_exceptions=accept_exceptions,
        repairs=(),
        progress=progress,
        registry=registry,
    )
