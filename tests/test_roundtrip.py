"""Round trips over generated databases: nothing is lost, not one digit.

Each example is a random small bakery (:func:`tests.strategies.documents`: any
entity types, edge values, nulls, empty children, deep trees). It is loaded into
an empty database (the two-pass import of a document), dumped, loaded into a
second empty database (the one-pass import of a backup directory) and dumped
again: the entity files must be byte-identical, and the first dump must hold
exactly the generated records, field by field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from bakery_io import dump_all, load_all
from bakery_io.registry import REGISTRY
from bakery_io.resolution import record_key, to_wire
from tests.conftest import sqlite_copy
from tests.strategies import documents

# A failing example prints its document; Hypothesis warns when that text is long.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

ROUND_TRIP = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Databases:
    """Fresh SQLite databases in one directory, disposed at the end."""

    def __init__(self, template: Path, directory: Path) -> None:
        self.template = template
        self.directory = directory
        self.made = 0

    def fresh(self) -> Engine:
        self.made += 1
        return sqlite_copy(self.template, self.directory / f"db{self.made}.db")


@pytest.fixture
def databases(schema_template: Path, tmp_path: Path) -> Databases:
    return Databases(schema_template, tmp_path)


def _canonical(entity_type: str, records: list[dict[str, Any]]) -> dict[Any, Any]:
    """Records by natural key in the form an export writes (decimals at full scale, UTC 'Z')."""
    schema = REGISTRY[entity_type].schema
    load = schema().load  # marshmallow itself: the codecs are what is tested
    return {
        record_key(REGISTRY[entity_type], record): to_wire(schema, load(record))
        for record in records
    }


@contextmanager
def _full_checks() -> Iterator[list[logging.LogRecord]]:
    """The log records that say an import fell back from one pass to the full check."""
    found: list[logging.LogRecord] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "checking in full" in record.getMessage():
                found.append(record)

    logger, handler = logging.getLogger("bakery_io"), Catch(logging.DEBUG)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _round_trip(document: dict[str, Any], databases: Databases) -> None:
    work = databases.directory / f"example{databases.made}"
    work.mkdir()
    source = work / "generated.json"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    first, second = databases.fresh(), databases.fresh()
    try:
        report = load_all(first, source)
        held = [name for name in REGISTRY.names if name in document]
        assert {name: report.counts[name].created for name in held} == {
            name: len(document[name]) for name in held
        }
        dump_all(first, work / "a", entities=held, exported_at=EXPORTED_AT)
        with _full_checks() as full:
            load_all(second, work / "a")
        assert not full, "a sound backup was not imported in one pass"
        dump_all(second, work / "b", entities=held, exported_at=EXPORTED_AT)
    finally:
        first.dispose()
        second.dispose()
    for name in held:
        filename = REGISTRY[name].filename
        dumped = (work / "a" / filename).read_bytes()
        assert dumped == (work / "b" / filename).read_bytes(), filename
        records = json.loads(dumped)["records"]
        assert _canonical(name, records) == _canonical(name, document[name]), name


@ROUND_TRIP
@given(document=documents())
def test_a_generated_database_survives_dump_load_dump(
    document: dict[str, Any], databases: Databases
) -> None:
    _round_trip(document, databases)


@ROUND_TRIP
@given(document=documents(complete=False, shuffle=True, min_records=1))
def test_records_out_of_order_and_with_fields_left_out_load_the_same(
    document: dict[str, Any], databases: Databases
) -> None:
    _round_trip(document, databases)
