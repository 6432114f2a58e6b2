"""bakery_io's JSON bytes are json.dumps's, indent 2, UTF-8, whatever the value."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bakery_io import jsonio
from bakery_io.jsonio import (
    InvalidJSON,
    JSONFraction,
    NotCanonical,
    encode_document,
    encode_records,
    encode_value,
    loads,
    read_entity_file,
)

TEXT = st.text(st.characters(exclude_categories=["Cs"]))  # JSON text holds no lone surrogate
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def reference(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@given(st.dictionaries(TEXT, VALUES, max_size=6))
def test_documents_are_json_dumps_bytes(document: dict[str, Any]) -> None:
    assert encode_document(document) == (reference(document) + "\n").encode()


@given(st.lists(st.dictionaries(TEXT, VALUES, max_size=6), max_size=4))
def test_records_are_json_dumps_bytes_at_depth_two(records: list[dict[str, Any]]) -> None:
    """Each record indented as json.dumps indents it inside ``{"records": [...]}``."""
    indent = "    "  # depth two
    texts = [indent + reference(record).replace("\n", "\n" + indent) for record in records]
    assert encode_records(records) == ",".join("\n" + text for text in texts).encode()


@given(SCALARS)
def test_scalars_are_json_dumps_text(value: Any) -> None:
    assert encode_value(value) == json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------------
# Reading an entity file a record at a time.

#: Records as bakery_io writes them: never empty (a record has at least its key).
RECORDS = st.lists(st.dictionaries(TEXT, VALUES, min_size=1, max_size=5), max_size=6)


def entity_file(records: list[dict[str, Any]]) -> bytes:
    """An entity file as bakery_io writes it (the layout the tests above hold to json.dumps)."""
    head = b'{\n  "version": "1.1",\n  "entity_type": "suppliers",\n  "records": ['
    if not records:
        return head + b"]\n}\n"
    return head + encode_records(records) + b"\n  ]\n}\n"


def read_all(data: bytes, block: int) -> tuple[Any, Any, list[Any]]:
    stream = io.BytesIO(data)

    class Trickle:
        def read(self, size: int = -1, /) -> bytes:
            return stream.read(block if size < 0 else min(size, block))

    version, entity_type, records = read_entity_file(Trickle())
    return version, entity_type, list(records)


@given(RECORDS, st.sampled_from([1, 2, 7, 64, 4096, 1 << 20]))
def test_entity_files_are_read_a_record_at_a_time(records: list[Any], block: int) -> None:
    data = entity_file(records)
    assert json.loads(data)["records"] == records
    assert read_all(data, block) == ("1.1", "suppliers", records)


@given(st.lists(st.dictionaries(TEXT, VALUES, max_size=3), max_size=4))
def test_any_records_are_read_right_or_left_to_the_whole_file_reader(
    records: list[Any],
) -> None:
    data = entity_file(records)
    try:
        assert read_all(data, 5) == ("1.1", "suppliers", records)
    except NotCanonical:
        assert {} in records  # an empty record is written on one line: not this layout


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.replace(b"\n    },\n    {", b"},{", 1),  # another layout
        lambda data: data[:-1],  # no final newline
        lambda data: data + b"\n",  # something after the document
        lambda data: data.replace(b'"version"', b'"version" ', 1),  # another head
        lambda data: data.replace(b'"b": 2', b'"b": NaN', 1),  # not JSON
        lambda data: data.replace(b'"b": 2', b'"b": "\xff"', 1),  # not UTF-8
        lambda data: data.replace(b'"a": 1', b'"a": 1,', 1),  # a record that does not parse
    ],
)
def test_what_is_not_laid_out_so_is_left_to_the_whole_file_reader(
    change: Callable[[bytes], bytes],
) -> None:
    data = change(entity_file([{"a": 1}, {"b": 2}, {"c": [{"d": 3}]}]))
    with pytest.raises(NotCanonical):
        read_all(data, 1 << 20)


def test_numbers_keep_every_digit() -> None:
    data = entity_file([{"a": 1}]).replace(b'"a": 1', b'"a": 2.50')
    ((record,),) = [read_all(data, 3)[2]]
    assert isinstance(record["a"], JSONFraction)
    assert str(record["a"]) == "2.50"


# ---------------------------------------------------------------------------
# What parses but is refused, located: line, column and JSON pointer.


@pytest.mark.parametrize(
    ("text", "pointer", "message"),
    [
        ('{"a": {"b": 1,\n "b": 2}}', "/a", "key 'b' appears twice (line 2, column 2)"),
        ('{"a": [1, NaN]}', "/a/1", "not valid JSON: NaN is not a JSON number (line 1, column 11)"),
        (
            '{"a": "x\\ud800"}',
            "/a",
            "not valid Unicode text: holds a lone surrogate (line 1, column 7)",
        ),
        (
            '{"a": "[", "b": ' + "[" * 2000 + "]" * 2000 + "}",
            "/b/0/0",
            "nested too deeply: 2,001 levels",
        ),
        ('{"n": -' + "9" * 5000 + "}", "/n", "not valid JSON here: an integer of 5,000 digits"),
    ],
)
def test_what_is_refused_is_located(text: str, pointer: str, message: str) -> None:
    with pytest.raises(InvalidJSON) as caught:
        loads(text)
    assert caught.value.pointer == pointer
    assert str(caught.value).startswith(message)


def test_surrogate_pairs_and_escaped_backslashes_are_not_lone_surrogates() -> None:
    assert loads('{"a": "\\ud83e\\udd50", "b": "\\\\ud800"}') == {"a": "\U0001f950", "b": "\\ud800"}


@pytest.mark.parametrize("exact", [True, False])
def test_a_record_with_a_key_twice_is_left_to_the_whole_file_reader(exact: bool) -> None:
    data = entity_file([{"a": 1, "b": 2}]).replace(b'"b": 2', b'"b": 2,\n      "b": 3')
    with pytest.raises(NotCanonical):
        list(read_entity_file(io.BytesIO(data), exact=exact)[2])


def test_the_fast_reader_takes_only_the_bytes_bakery_io_writes() -> None:
    data = entity_file([{"a": "é"}])
    assert list(read_entity_file(io.BytesIO(data), exact=False)[2]) == [{"a": "é"}]
    escaped = data.replace("é".encode(), b"\\u00e9")
    with pytest.raises(NotCanonical):
        list(read_entity_file(io.BytesIO(escaped), exact=False)[2])
    assert list(read_entity_file(io.BytesIO(escaped), exact=True)[2]) == [{"a": "é"}]


def test_a_record_larger_than_the_limit_is_left_to_the_whole_file_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonio, "MAX_RECORD_SIZE", 1000)
    assert read_all(entity_file([{"a": "x" * 900}]), 4096)[2] == [{"a": "x" * 900}]
    with pytest.raises(NotCanonical):
        read_all(entity_file([{"a": "x" * 2000}]), 4096)


def test_trailing_white_space_is_read_in_linear_time() -> None:
    data = entity_file([{"a": 1}])[: -len(b"\n  ]\n}\n")] + b" " * (64 * 2**20)
    started = time.perf_counter()
    with pytest.raises(NotCanonical):
        read_all(data, 1 << 20)
    assert time.perf_counter() - started < 2
