"""JSON as bakery_io writes and reads it: deterministic bytes, exact numbers.

Writing produces exactly what ``json.dumps(document, indent=2,
ensure_ascii=False)`` would (UTF-8, two-space indent, fields in schema order)
plus a final newline, but one record at a time, so a file of any size is
written in bounded memory. orjson writes those bytes several times faster
than ``json`` (the tests hold the two to the same bytes). Reading turns JSON
numbers with a fraction into :class:`JSONFraction`, a
:class:`~decimal.Decimal` (never a binary float), and refuses ``NaN`` and
``Infinity``, which are not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson

#: Indentation of a record inside ``"records": [...]`` (and of a document's arrays).
RECORD_INDENT = b"    "

_INDENT = orjson.OPT_INDENT_2


def encode_record(record: Mapping[str, Any]) -> bytes:
    """One record as it appears inside an array at depth two, without separators."""
    text = orjson.dumps(record, option=_INDENT)
    return RECORD_INDENT + text.replace(b"\n", b"\n" + RECORD_INDENT)


def encode_value(value: Any) -> str:
    """A scalar as JSON text."""
    return orjson.dumps(value).decode("utf-8")


def encode_document(document: Mapping[str, Any]) -> bytes:
    """A small document (a manifest) with the same layout as the streamed files."""
    return orjson.dumps(document, option=_INDENT) + b"\n"


class JSONFraction(Decimal):
    """A JSON number written with a fraction or exponent, exactly as written.

    A type of its own so that what must not meet one can tell: the fast JSON
    Schema validator refuses it, which sends the file to the exact validator
    (for which ``1.0`` is not an integer, as for the import).
    """

    __slots__ = ()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(data: bytes | str) -> Any:
    """Parse JSON text; fractions become Decimals, NaN and Infinity are refused."""
    return json.loads(data, parse_float=JSONFraction, parse_constant=_refuse_constant)
