"""The export's check of what it writes: every check the import makes without a database.

A backup holds what the database holds. A row that the format or its rules
refuse (a non-leaf ingredient in a recipe, variants that are each other's base,
a slug that MariaDB's case-blind CHECK let through, an integer column holding
text in SQLite) is still written, exactly as the database holds it: leaving it
out, or changing it, would lose data the user may have nowhere else. But a
backup the import would refuse must not pass for a sound one. So, as each
chunk of records is written, the :class:`Audit` checks it as the import would:
against the published JSON Schemas, the record rules, each field's own
conversion, keys and unique values, the rules across records, cycles and
nesting, with the backup itself as the only data (as if it were restored into
an empty database: :class:`~bakery_io.resolution.Resolver` without a
connection). Every problem becomes one of the backup's exceptions
(:attr:`bakery_io.Manifest.exceptions`), named by entity file, JSON pointer,
record and key; :func:`bakery_io.load_all` refuses them unless told to accept
them, and then restores them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import chain
from typing import Any

from bakery_io.json_schemas import ENTITY_FILE_SCHEMA
from bakery_io.problems import Problem
from bakery_io.queries import CHUNK_SIZE
from bakery_io.registry import EntityType
from bakery_io.resolution import Resolver
from bakery_io.validation import Section, rule_problems, schema_problems
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

    def __init__(self) -> None:
        self._resolver = Resolver(None, "error")
        self._problems: list[Problem] = []

    def records(
        self, entity: EntityType, chunks: Iterable[list[dict[str, Any]]]
    ) -> Iterator[list[dict[str, Any]]]:
        """``chunks`` of ``entity``'s records in wire form, each checked as it passes."""
        count = 0
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
                schema_problems(name, envelope, ENTITY_FILE_SCHEMA, CURRENT_VERSION),
                rule_problems(name, envelope),
            )
        ]
        self._problems.extend(found)
        # A record with a problem already is not loaded again: one message for one fault.
        flawed = frozenset(problem.record for problem in found if problem.record is not None)
        section = Section(entity, name, "/records", None, flawed, start + len(chunk))
        self._resolver.check_chunk(section, list(enumerate(chunk, start)), valid=not found)
        self._resolver.forget(_REMEMBERED)

    def exceptions(self) -> tuple[Problem, ...]:
        """Every problem found, in import order, then by record and field."""
        return tuple(sorted({*self._problems, *self._resolver.problems}, key=_order))
