"""bakery_io's JSON bytes are json.dumps's, indent 2, UTF-8, whatever the value."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bakery_io.jsonio import RECORD_INDENT, encode_document, encode_record, encode_value

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
def test_documents_and_records_are_json_dumps_bytes(document: dict[str, Any]) -> None:
    assert encode_document(document) == (reference(document) + "\n").encode()
    indented = reference(document).replace("\n", "\n" + RECORD_INDENT.decode())
    assert encode_record(document) == (RECORD_INDENT.decode() + indented).encode()


@given(SCALARS)
def test_scalars_are_json_dumps_text(value: Any) -> None:
    assert encode_value(value) == json.dumps(value, ensure_ascii=False)
