"""Property: any choice of the sample's records round-trips through dump_records/load_records.

A random selection across entity types (keys given in each accepted form,
repeats included) is dumped from the SQLite sample with its dependencies,
loaded into an empty database and dumped again: the same document, holding
exactly the records the chosen ones reach. Dumped without dependencies from
there, it is exactly the chosen records, as the first document has them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bakery_io import REGISTRY, dump_all, dump_records, load_records
from tests.conftest import sqlite_copy
from tests.record_keys import Key, filtered, key_of, keys_of, reached

EXPORTED_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ROUND_TRIPS = settings(max_examples=12, deadline=None, database=None)


class Source:
    """The sample on SQLite (a copy, read only here) and its whole dump_all document."""

    def __init__(self, engine: Engine, document: dict[str, Any]) -> None:
        self.engine = engine
        self.document = document
        #: Every key by entity type that has records.
        self.keys = {
            entity.name: sorted(key_of(entity.name, record) for record in document[entity.name])
            for entity in REGISTRY
            if document[entity.name]
        }

    def __repr__(self) -> str:
        # Hypothesis shows the fixtures of a failing case: not the whole sample.
        return f"Source({self.engine!r})"


@pytest.fixture(scope="module")
def source(sample_dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    engine = sqlite_copy(sample_dump.parent / "sample.db", tmp_path_factory.mktemp("rp") / "s.db")
    with tempfile.TemporaryDirectory() as folder:
        dump_all(engine, Path(folder) / "x.json", exported_at=EXPORTED_AT)
        document = json.loads((Path(folder) / "x.json").read_bytes())
    yield Source(engine, document)
    engine.dispose()


def _written(key: Key, form: str) -> str | Sequence[str]:
    """A key as a caller may give it: a slug alone, or its parts as a tuple or a list."""
    if form == "text" and len(key) == 1:
        return key[0]
    return list(key) if form == "list" else key


#: Picks of keys: (entity type, key, form) as indexes, taken modulo what the sample holds
#: (the keys are the fixture's, so they cannot be strategies' arguments).
PICKS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.sampled_from(["text", "tuple", "list"])),
    min_size=1,
    max_size=8,
)
#: Which one to four entity types the picks fall into.
TYPES = st.permutations(range(len(REGISTRY.names)))


def chosen_from(
    keys: dict[str, list[Key]], order: list[int], picks: list[tuple[int, int, str]]
) -> dict[str, list[Any]]:
    """The selection the picks name: keys of some types, each written in the form picked."""
    names = sorted(keys)
    types = [names[i % len(names)] for i in order[:4]]
    chosen: dict[str, list[Any]] = {}
    for which, index, form in picks:
        name = types[which % len(types)]
        chosen.setdefault(name, []).append(_written(keys[name][index % len(keys[name])], form))
    return chosen


def _as_keys(chosen: dict[str, list[Any]]) -> dict[str, set[Key]]:
    return {
        name: {(key,) if isinstance(key, str) else tuple(key) for key in given}
        for name, given in chosen.items()
    }


@ROUND_TRIPS
@given(order=TYPES, picks=PICKS)
def test_any_selection_round_trips_with_exactly_what_it_reaches(
    source: Source, schema_template: Path, order: list[int], picks: list[tuple[int, int, str]]
) -> None:
    chosen = chosen_from(source.keys, order, picks)
    wanted = _as_keys(chosen)
    first = dump_records(source.engine, chosen, with_dependencies=True, exported_at=EXPORTED_AT)
    assert keys_of(first) == reached(source.document, wanted)
    assert first == filtered(source.document, keys_of(first))

    with tempfile.TemporaryDirectory() as folder:
        engine = sqlite_copy(schema_template, Path(folder) / "target.db")
        try:
            report = load_records(engine, first)
            assert report.total.created == sum(len(keys) for keys in keys_of(first).values())
            again = dump_records(engine, chosen, with_dependencies=True, exported_at=EXPORTED_AT)
            alone = dump_records(engine, chosen, exported_at=EXPORTED_AT)
        finally:
            engine.dispose()
    assert again == first
    assert keys_of(alone) == wanted
    assert alone == filtered(first, wanted)
