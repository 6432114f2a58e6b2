"""The fast validator (jsonschema-rs) agrees with python-jsonschema on our corpus.

bakery_io decides validity with the compiled validator and asks python-jsonschema
only for the messages of what is invalid, so the two must never disagree: on
every file of the golden corpus and the sample backup, and on records changed
in every way hypothesis finds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bakery_io.conformance import _validators, conforms, published_versions
from bakery_io.format.json_schemas import (
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    MANIFEST_SCHEMA,
    WITHOUT_LOOKAHEADS,
)
from bakery_io.jsonio import JSONFraction, loads
from bakery_io.registry import REGISTRY

GOLDEN = Path(__file__).parent / "golden"


def exact(content: Any, schema: str, version: str) -> bool:
    return not any(_validators(version)[schema].iter_errors(content))


def takes(content: Any) -> bool:
    """Whether the fast validator surely takes ``content``: no fraction, no lone surrogate."""
    if isinstance(content, dict):
        return all(takes(key) and takes(value) for key, value in content.items())
    if isinstance(content, list):
        return all(map(takes, content))
    if isinstance(content, str):
        return not any(0xD800 <= ord(char) <= 0xDFFF for char in content)
    return not isinstance(content, JSONFraction)


def agree(content: Any, schema: str, version: str) -> bool:
    """What the fast validator passes is valid, and where it can take the content its
    verdict is the exact one (else the exact validator decides)."""
    fast, right = conforms(content, schema, version), exact(content, schema, version)
    return (right or not fast) and (fast == right or not takes(content))


def schema_of(path: Path, content: Any) -> str:
    if path.name == "manifest.json":
        return MANIFEST_SCHEMA
    if isinstance(content, dict) and "entity_type" in content:
        return ENTITY_FILE_SCHEMA
    return DOCUMENT_SCHEMA


def corpus(sample_dump: Path) -> list[Path]:
    return sorted([*GOLDEN.rglob("*.json"), *sample_dump.glob("*.json")])


def test_agrees_on_the_corpus(sample_dump: Path) -> None:
    checked = decided = 0
    for path in corpus(sample_dump):
        content = loads(path.read_bytes())
        for version in published_versions():
            schema = schema_of(path, content)
            assert agree(content, schema, version), path
            checked += 1
            decided += takes(content)
    assert checked > 40
    assert decided > checked / 2


def test_the_sample_backup_is_valid_by_both(sample_dump: Path) -> None:
    for path in sample_dump.glob("*.json"):
        content = loads(path.read_bytes())
        assert conforms(content, schema_of(path, content), "1.1")


#: Values a field can be changed to: each type, each boundary, each oddity of JSON text.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**31,
    2**63,
    10**30,
    "",
    " ",
    "x" * 256,
    "NoT-a-SLUG",
    "2026-02-30",
    "2026-11-22T09:30:00",
    "2026-11-22T09:30:00+00:00",
    "12.34567",
    "-0.5",
    "1e3",
    "\ud800",
    "a\nb",
    [],
    {},
    [{}],
    JSONFraction("1.0"),
    JSONFraction("2.5"),
]


@pytest.fixture(scope="module")
def records(sample_dump: Path) -> dict[str, list[Any]]:
    found = {}
    for entity in REGISTRY:
        content = loads((sample_dump / entity.filename).read_bytes())
        found[entity.name] = content["records"][:3]
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_agrees_on_changed_records(records: dict[str, list[Any]], data: st.DataObject) -> None:
    entity = data.draw(st.sampled_from([name for name in REGISTRY.names if records[name]]))
    record: dict[str, Any] = json.loads(json.dumps(data.draw(st.sampled_from(records[entity]))))
    target: dict[str, Any] = record
    children = [name for name, value in record.items() if isinstance(value, list) and value]
    if len(children) > 0 and data.draw(st.booleans()):
        target = data.draw(st.sampled_from(record[data.draw(st.sampled_from(children))]))
    change = data.draw(st.sampled_from(["set", "delete", "add"]))
    name = data.draw(st.sampled_from(sorted(target)))
    if change == "set":
        target[name] = data.draw(st.sampled_from(ODD_VALUES))
    elif change == "delete":
        del target[name]
    else:
        target["unexpected"] = data.draw(st.sampled_from(ODD_VALUES))
    content = {"version": "1.1", "entity_type": entity, "records": [record]}
    assert agree(content, ENTITY_FILE_SCHEMA, "1.1")
    document = {"version": "1.1", "exported_at": "2026-11-22T09:30:00Z", entity: [record]}
    assert agree(document, DOCUMENT_SCHEMA, "1.1")


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of the strings in ``value``."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def test_a_final_newline_fails_every_pattern_in_both(records: dict[str, list[Any]]) -> None:
    # The compiled validator's patterns end in a plain "$" (the published ones in
    # "(?!\n)$", for Python's re): the end of the text, so "flour\n" is no slug.
    refused = 0
    for entity, found in records.items():
        for record in found:
            for path in _strings(record):
                changed = json.loads(json.dumps(record))
                place = changed
                for step in path[:-1]:
                    place = place[step]
                place[path[-1]] += "\n"
                content = {"version": "1.1", "entity_type": entity, "records": [changed]}
                assert agree(content, ENTITY_FILE_SCHEMA, "1.1"), (entity, path)
                refused += not conforms(content, ENTITY_FILE_SCHEMA, "1.1")
    assert refused > 100


@pytest.mark.parametrize("published", sorted(WITHOUT_LOOKAHEADS))
def test_a_calendar_pattern_without_lookaheads_is_the_same_language(published: str) -> None:
    plain = WITHOUT_LOOKAHEADS[published]
    assert "(?=" not in plain
    assert "(?!" not in plain
    said, faster = re.compile(published).match, re.compile(plain).match
    # Every year, with the days and ends whose validity depends on it.
    for year in range(10000):
        for day in ("01-01", "02-28", "02-29", "02-30", "12-31"):
            for end in ("", "T10:11:12.5", "T10:11:12.5Z", "T00:00:00+01:00", "T10:11:12+00:00Z"):
                text = f"{year:04d}-{day}{end}"
                assert bool(said(text)) == bool(faster(text)), text
    for text in ("10000-01-01", "202-01-01", "2024-1-01", "2024-01-01T24:00:00Z", "2024-01-01\n"):
        assert bool(said(text)) == bool(faster(text)), text


def test_what_the_fast_validator_cannot_take_goes_to_the_exact_one() -> None:
    # jsonschema-rs counts 1.0 as an integer (as JSON Schema does); the import does not.
    record = {"version": "1.1", "entity_type": "suppliers", "records": [{"x": JSONFraction("1.0")}]}
    assert not conforms(record, ENTITY_FILE_SCHEMA, "1.1")
    surrogate = {"version": "1.1", "entity_type": "suppliers", "records": [{"name": "\ud800"}]}
    assert not conforms(surrogate, ENTITY_FILE_SCHEMA, "1.1")
