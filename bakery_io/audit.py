"""The export's check of what it writes: every check the import makes without a database.

A backup holds what the database holds. A row that the format or its rules
refuse (a non-leaf ingredient in a recipe, variants that are each other's base,
a slug that MariaDB's CHECK let through, an integer column holding
text in SQLite) is still written, exactly as the database holds it: leaving it
out, or changing it, would lose data the user may have nowhere else. But a
backup the import would refuse must not pass for a sound one. So, as each
chunk of records is written, the :class:`Audit` checks it as the import would:
against the published JSON Schemas, the record rules, each field's own
conversion, keys and unique values, the rules across records, cycles and
nesting, with the backup itself as the only data (as if it were restored into
an empty database: :class:`~bakery_io.resolution.Resolver` without a
connection). Records of types that take part in no rule across records (most
of the history: purchases, lots, depletions) need no more than the JSON
Schemas, the record rules and a key of their own: they come in key order, so
a repeated key is the one just seen. Every problem becomes one of the backup's exceptions
(:attr:`bakery_io.Manifest.exceptions`), named by entity file, JSON pointer,
record and key; :func:`bakery_io.load_all` refuses them unless told to accept
them, and then restores them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import Any

from bakery_io.conformance import rule_problems, schema_problems
from bakery_io.format.json_schemas import ENTITY_FILE_SCHEMA
from bakery_io.problems import Problem
from bakery_io.queries import CHUNK_SIZE
from bakery_io.registry import EntityType, Registry
from bakery_io.resolution import (
    Resolver,
    key_text,
    needs_whole_records,
    record_key,
    references_loader,
    relates,
)
from bakery_io.sections import Section
from bakery_io.versions import CURRENT_VERSION

#: Keys of an entity type the audit keeps; beyond, references to it are not followed
#: (the export's read has found each reference's row already).
_REMEMBERED = 4 * CHUNK_SIZE


def _shifted(problem: Problem, start: int) -> Problem:
    """``problem`` of a chunk's record, placed in the whole file (the chunk starts at
    record ``start``)."""
    if problem.record is None or not start:
        return problem
    parts = problem.pointer.split("/", 3)
    parts[2] = str(problem.record + start)
    return replace(problem, pointer="/".join(parts), record=problem.record + start)


def _order(problem: Problem) -> tuple[Any, ...]:
    """Files in import order (their numbers), then records, then fields."""
    record = -1 if problem.record is None else problem.record
    return (problem.file, record, problem.pointer, problem.message)


class Audit:
    """Checks the records of one export as they are written, entity types in import order."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._resolver = Resolver(None, "error", registry=registry)
        self._problems: list[Problem] = []
        #: The key of the record before, and where the records with it start.
        self._last: tuple[Any, int] | None = None

    def records(
        self, entity: EntityType, chunks: Iterable[list[dict[str, Any]]]
    ) -> Iterator[list[dict[str, Any]]]:
        """``chunks`` of ``entity``'s records in wire form, each checked as it passes."""
        count = 0
        self._last = None
        for chunk in chunks:
            self._check(entity, count, chunk)
            count += len(chunk)
            yield chunk
        self._resolver.end_section(
            Section(entity, entity.filename, "/records", None, frozenset(), count)
        )

    def _check(self, entity: EntityType, start: int, chunk: list[dict[str, Any]]) -> None:
        envelope = {"version": CURRENT_VERSION, "entity_type": entity.name, "records": chunk}
        name = entity.filename
        found = [
            _shifted(problem, start)
            for problem in chain(
                schema_problems(
                    name, envelope, ENTITY_FILE_SCHEMA, CURRENT_VERSION, self._registry
                ),
                rule_problems(name, envelope, self._registry),
            )
        ]
        self._problems.extend(found)
        if not relates(entity):
            self._repeated_keys(entity, start, chunk)
            return
        # A record with a problem already is not loaded again: one message for one fault.
        flawed = frozenset(problem.record for problem in found if problem.record is not None)
        section = Section(entity, name, "/records", None, flawed, start + len(chunk))
        # Checked against the JSON Schemas already, a record's fields need no conversion
        # unless the checks compare it whole.
        lighter = not found and not needs_whole_records(entity)
        load = references_loader(entity.schema) if lighter else None
        records = list(enumerate(chunk, start))
        self._resolver.check_chunk(section, records, valid=not found, load=load)
        self._resolver.forget(_REMEMBERED)

    def _repeated_keys(self, entity: EntityType, start: int, chunk: list[dict[str, Any]]) -> None:
        """A key the records repeat, said as the import says it (records come in key order)."""
        for position, record in enumerate(chunk, start):
            key = record_key(entity, record)
            if key is None or self._last is None or key != self._last[0]:
                self._last = (key, position)
                continue
            first = self._last[1]
            self._problems.append(
                Problem(
                    entity.filename,
                    f"/records/{position}",
                    f"a second record with the key {key_text(key)!r}: record {first} of "
                    f"{entity.filename} has it already",
                    position,
                    key_text(key),
                )
            )

    def exceptions(self) -> tuple[Problem, ...]:
        """Every problem found, in import order, then by record and field."""
        return tuple(sorted({*self._problems, *self._resolver.problems}, key=_order))
