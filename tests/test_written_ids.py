"""The ids a streamed load keeps of the records it forgot (``bakery_io.written_ids``)."""

from __future__ import annotations

import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bakery_io import create_schema, engine_from_url, load, load_all, written_ids
from bakery_io.binding.models import metadata
from bakery_io.registry import REGISTRY
from bakery_io.resolution import Resolver, _kept_by_id
from bakery_io.written_ids import WrittenIds

uuids = st.uuids().map(str)


@given(
    keys=st.lists(uuids, min_size=1, max_size=200, unique=True),
    cuts=st.lists(st.integers(0, 200), max_size=6),
    others=st.lists(uuids, max_size=20),
)
def test_every_kept_id_is_found_and_nothing_else(
    keys: list[str], cuts: list[int], others: list[str]
) -> None:
    ordered = sorted(keys)
    ids = {key: number * 7 + 1 for number, key in enumerate(ordered)}
    kept = WrittenIds()
    bounds = [0, *sorted(cut % (len(ordered) + 1) for cut in cuts), len(ordered)]
    for start, end in pairwise(bounds):
        batch = ordered[start:end]
        kept.add(reversed([(key, ids[key]) for key in batch]))  # each batch in any order
    assert kept.kept
    assert len(kept) == len(ordered)
    for key in ordered:
        assert kept.get(key) == ids[key]
    for other in others:
        assert kept.get(other) == ids.get(other)
    for key in ordered[:5]:
        assert kept.get(key.upper()) is None  # another key to the database
        assert kept.get(key.replace("-", "")) is None
        assert kept.get((key,)) is None


def test_keys_out_of_order_are_no_longer_kept() -> None:
    first, second, third = sorted(str(uuid.uuid4()) for _ in range(3))
    kept = WrittenIds()
    kept.add([(first, 1), (third, 3)])
    kept.add([(second, 2)])  # before the last kept key
    assert not kept.kept
    assert [kept.get(key) for key in (first, second, third)] == [None, None, None]
    kept.add([(str(uuid.UUID(int=(1 << 128) - 1)), 4)])
    assert len(kept) == 0


def test_keys_that_are_no_canonical_uuid_are_left_out() -> None:
    kept = WrittenIds()
    kept.add([("flour", 1), ("A" * 8 + "-aaaa-aaaa-aaaa-" + "a" * 12, 2), (("x", "y"), 3)])
    assert len(kept) == 0
    assert kept.kept


def _stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by("id"))]
            for table in metadata.sorted_tables
        }


def test_a_streamed_load_resolves_forgotten_records_from_their_kept_ids(
    sample_dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a few records remembered, the purchases that inventory items reference
    (and the items depletions reference) are forgotten: their ids come from what was
    kept, with no query for their keys, and the rows stored are those stored when
    every forgotten key is asked for."""
    monkeypatch.setattr(load, "_REMEMBERED", 50)
    asked = engine_from_url(f"sqlite:///{tmp_path / 'asked.db'}")
    create_schema(asked)
    with monkeypatch.context() as patched:
        patched.setattr(WrittenIds, "get", lambda _self, _key: None)
        load_all(asked, sample_dump)
    looked_up: list[str] = []
    look_up = Resolver._look_up

    def spy(self: Resolver, target: str) -> None:
        if self._pending.get(target):
            looked_up.append(target)
        look_up(self, target)

    monkeypatch.setattr(Resolver, "_look_up", spy)
    kept = engine_from_url(f"sqlite:///{tmp_path / 'kept.db'}")
    create_schema(kept)
    load_all(kept, sample_dump)
    assert _stored(kept) == _stored(asked)
    assert "purchases" not in looked_up
    assert "inventory_items" not in looked_up
    asked.dispose()
    kept.dispose()


def test_only_the_ids_of_referenced_types_are_kept() -> None:
    """Depletions, production runs and the other uuid-keyed types nobody references
    would only take memory."""
    assert _kept_by_id(REGISTRY) == {"purchases", "inventory_items"}


def test_ids_beyond_the_limit_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded: past the limit, references are asked for by key."""
    monkeypatch.setattr(written_ids, "LIMIT", 3)
    keys = sorted(str(uuid.uuid4()) for _ in range(5))
    kept = WrittenIds()
    kept.add([(key, number) for number, key in enumerate(keys[:3])])
    kept.add([(key, number) for number, key in enumerate(keys[3:], 3)])
    assert len(kept) == 3
    assert [kept.get(key) for key in keys] == [0, 1, 2, None, None]
    assert kept.kept
