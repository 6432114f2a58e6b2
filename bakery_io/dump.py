"""Export: :func:`dump_all` (a backup) and :func:`dump_history` (production history)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect, and_, select

from bakery_io.audit import Audit
from bakery_io.binding.database import Bind, check_tables, describe, snapshot
from bakery_io.errors import UsageError
from bakery_io.format.fields import format_datetime
from bakery_io.format.manifest import Manifest, producer
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.queries import (
    column_of,
    count_records,
    read_records,
    row_dumper,
    unexportable,
    unwritable,
)
from bakery_io.registry import REGISTRY, EntityType, Registry
from bakery_io.targets import building
from bakery_io.versions import CURRENT_VERSION
from bakery_io.writers import Container, DocumentContainer, container_for, write_entity

logger = logging.getLogger(__name__)


def export_time(exported_at: datetime | None) -> str:
    """The export's moment as the format writes it: ``exported_at``, else now."""
    moment = exported_at if exported_at is not None else datetime.now(UTC).replace(microsecond=0)
    if not isinstance(moment, datetime):
        raise UsageError(f"exported_at is a timezone-aware datetime, not {moment!r}")
    if moment.tzinfo is None:
        raise UsageError("exported_at must be timezone-aware")
    if not 1980 <= moment.astimezone(UTC).year <= 2107:
        # The years a ZIP archive can date its members with.
        raise UsageError(f"exported_at {moment.isoformat()} is not between 1980 and 2107")
    return format_datetime(moment)


@contextmanager
def reading(bind: Bind, registry: Registry) -> Iterator[Connection]:
    """A :func:`~bakery_io.binding.database.snapshot` of ``bind`` whose tables are
    checked before the first read: a host's table under a name ``registry`` reads is a
    :class:`~bakery_io.DatabaseStateError`, not the database's error at the query."""
    with snapshot(bind) as connection:
        check_tables(connection, registry)
        yield connection


def write_records(
    connection: Connection,
    container: Container,
    selected: Iterable[tuple[EntityType, ColumnElement[bool] | None]],
    moment: str,
    tracker: Tracker,
    *,
    registry: Registry,
) -> Manifest:
    """Write the selected records, read through ``connection`` (one snapshot), into
    ``container``, each checked as the import would check it; returns the finished
    container's manifest, with its exceptions.

    ``tracker`` hears of each chunk written (step ``writing``); when it listens, the
    records to write are counted first, one COUNT per entity type in the same snapshot."""
    entries = []
    plan = list(selected)
    audit = Audit(registry)
    url = connection.engine.url.render_as_string(hide_password=True)
    total = (
        sum(count_records(connection, entity, where=where) for entity, where in plan)
        if tracker.active
        else None
    )
    tracker.start("writing", total)
    for entity, where in plan:
        read = read_records(connection, entity, where=where)
        chunks = tracker.chunked(
            (dumped(entity, chunk, url, connection.dialect) for chunk in read), entity.name
        )
        try:
            with closing(read):  # its cursor closed now, whatever happens
                records = audit.records(entity, chunks)
                entry = write_entity(container, entity, entity.filename, records)
        except TypeError as exc:  # JSON has no type for a value read: name its record
            found = unwritable(connection, entity, where)
            if found is None:
                raise
            raise found from exc
        entries.append(entry)
        logger.info("exported %d %s", entry.record_count, entity.name)
    exceptions = audit.exceptions()
    if exceptions:
        logger.warning(
            "%d problem%s in records the import refuses: written as the database holds them "
            "and listed as the backup's exceptions (first: %s)",
            len(exceptions),
            "" if len(exceptions) == 1 else "s",
            exceptions[0],
        )
    extensions = tuple(extension.to_dict() for extension in registry.extensions)
    manifest = Manifest(CURRENT_VERSION, moment, producer(), tuple(entries), exceptions, extensions)
    container.finish(manifest)
    tracker.finish()
    return manifest


def dumped(
    entity: EntityType, chunk: list[dict[str, Any]], url: str, dialect: Dialect
) -> list[dict[str, Any]]:
    """The wire records of rows read from ``dialect``
    (:func:`~bakery_io.queries.read_records`); a value the format cannot carry is
    named with its record (:class:`~bakery_io.DatabaseStateError`)."""
    dump = row_dumper(entity, dialect)
    try:
        return [dump(row) for row in chunk]
    except ValueError as exc:
        # A value the format cannot carry (a PostgreSQL NUMERIC 'NaN'); name its record.
        for row in chunk:
            try:
                dump(row)
            except ValueError as found:
                raise unexportable(entity, row, found, url, dialect) from found
        raise exc from None


def dump_all(
    bind: Bind,
    target: str | PathLike[str],
    *,
    entities: Iterable[str] | None = None,
    exported_at: datetime | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    registry: Registry = REGISTRY,
) -> Manifest:
    """Export the database of ``bind`` to ``target`` in the current format (1.1).

    ``target`` is a directory (numbered entity files plus ``manifest.json``), a
    path ending in ``.zip`` (the same files in a ZIP archive) or in ``.json``
    (a single document). ``entities`` limits the export to those entity types
    (a partial export: what they reference must exist where it is loaded).

    All rows are read in one transaction, so the backup is one consistent
    snapshot. With an Engine bakery_io opens that transaction itself
    (REPEATABLE READ on PostgreSQL and MySQL/MariaDB); with a Connection or a
    Session it reads inside the caller's transaction. The backup is built
    beside ``target`` and moved there when complete; ``target`` must not
    exist unless ``overwrite``. ``exported_at`` (default: now) is the time
    the manifest states: with it fixed, two exports of the same data are
    byte-identical. Returns the manifest, for the single document too.

    ``registry`` says which entity types there are and where they are stored
    (default: format 1.1 in bakery_io's own tables); an extended registry's
    backup lists its extensions in the manifest.

    ``progress`` is called with :class:`~bakery_io.Progress` events of job
    ``"export"``, step ``"writing"``: its total is counted first (one COUNT per
    entity type, only when ``progress`` is given).
    """
    path = Path(target)
    if isinstance(entities, str):
        raise UsageError(f"entities is a list of entity type names, not the string {entities!r}")
    selected = registry.select(entities)
    if not selected:
        raise UsageError("entities names no entity type: nothing to export")
    moment = export_time(exported_at)
    logger.info("exporting %d entity types from %s to %s", len(selected), describe(bind), path)
    with building(
        container_for(path), path, CURRENT_VERSION, moment, overwrite=overwrite
    ) as container:
        selection = ((entity, None) for entity in selected)
        with reading(bind, registry) as connection:
            tracker = Tracker(progress, "export")
            return write_records(
                connection, container, selection, moment, tracker, registry=registry
            )


def _start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UsageError(f"naive datetime {value.isoformat()}: give it a time zone")
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def _end(value: date | datetime) -> datetime:
    # A date ends with its day: history "until 2026-11-30" includes that day.
    start = _start(value)
    return start if isinstance(value, datetime) else start + timedelta(days=1)


def dump_history(
    bind: Bind,
    target: str | PathLike[str],
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    recipe: str | None = None,
    exported_at: datetime | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    registry: Registry = REGISTRY,
) -> Manifest:
    """Export production and assembly runs to a single document (``target`` ends ``.json``).

    ``since`` and ``until`` bound the run time (dates are whole UTC days, both
    ends included; a datetime ``until`` is exclusive). With ``recipe`` (a
    slug) the document holds that recipe's production runs only: assembly runs
    belong to finished goods, not recipes. Returns the manifest of what was
    written, as :func:`dump_all` does. ``progress`` hears of it as of
    :func:`dump_all`.
    """
    path = Path(target)
    if path.suffix.lower() != ".json":
        raise UsageError(f"a history export is a single document: {path} must end in .json")
    runs, assemblies = registry["production_runs"], registry["assembly_runs"]
    moment = export_time(exported_at)
    if recipe is not None:
        recipes = registry["recipes"]
        by_slug = recipes.binding.column("slug") == recipe
        with reading(bind, registry) as connection:
            found = connection.execute(select(recipes.primary_key).where(by_slug)).first()
        if found is None:
            raise UsageError(f"no recipe has the slug {recipe!r}")

    def window(entity: EntityType, time_field: str) -> ColumnElement[bool] | None:
        column = column_of(entity, time_field)
        terms: list[Any] = []
        if since is not None:
            terms.append(column >= _start(since))
        if until is not None:
            terms.append(column < _end(until))
        if entity is runs and recipe is not None:
            terms.append(column_of(entity, "recipe_slug") == recipe)
        return and_(*terms) if terms else None

    selected = [(runs, window(runs, "produced_at"))]
    if recipe is None:
        selected.append((assemblies, window(assemblies, "assembled_at")))
    with (
        building(DocumentContainer, path, CURRENT_VERSION, moment, overwrite=overwrite) as doc,
        reading(bind, registry) as connection,
    ):
        tracker = Tracker(progress, "export")
        return write_records(connection, doc, selected, moment, tracker, registry=registry)
