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
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import orjson

_INDENT = orjson.OPT_INDENT_2


def encode_records(records: Sequence[Mapping[str, Any]]) -> bytes:
    """Records as they appear inside an array at depth two: each after a newline, with
    commas between (``\\n    {...},\\n    {...}``); empty for no records.

    One orjson call for them all: the array at depth zero, indented one level more.
    """
    if not records:
        return b""
    text = orjson.dumps(records, option=_INDENT).replace(b"\n", b"\n  ")
    return text[1 : -len(b"\n  ]")]


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


# ---------------------------------------------------------------------------
# Reading an entity file a record at a time.

#: The start of an entity file as bakery_io writes it, up to its records array.
_HEAD = re.compile(
    rb'\{\n  "version": ("(?:[^"\\\n]|\\.)*"),\n  "entity_type": ("(?:[^"\\\n]|\\.)*"),'
    rb'\n  "records": \['
)
_FIRST = b"\n    {"
_SEPARATOR = b"\n    },\n    {"
_RECORD_END = b"\n    }"
_END = b"\n  ]\n}\n"
_EMPTY_END = b"]\n}\n"
_BLOCK = 1 << 20
#: Bytes read before the head must have matched (it takes about a hundred).
_HEAD_ROOM = 4096

_DECODER = json.JSONDecoder(parse_float=JSONFraction, parse_constant=_refuse_constant)


class NotCanonical(Exception):  # noqa: N818 (a signal: read the file whole instead)
    """The file is not laid out as bakery_io writes entity files, or does not parse so."""


class Readable(Protocol):
    """What :func:`read_entity_file` reads from: a binary stream."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""


def read_entity_file(handle: Readable, *, exact: bool = True) -> tuple[Any, Any, Iterator[Any]]:
    """``(version, entity_type, records)`` of an entity file laid out as bakery_io writes it.

    Records are parsed one at a time as ``handle`` is read, so memory holds one
    block of the file, whatever its size. Not ``exact``, they are parsed by
    orjson, several times faster, and a number with a fraction becomes a
    ``float``: for a reader that refuses every float (the current version's
    JSON Schemas and fields accept none), where the exact value would only
    have served its error message. Raises :class:`NotCanonical` (at
    once, or from the iterator) when the layout is another, or a record does
    not parse: read the file whole then, which explains any problem. Records
    are split where a line ``    },`` is followed by ``    {``: JSON text
    cannot hold a raw newline inside a string, and a split anywhere but
    between records would leave a piece that does not parse as an object.
    """
    start = b""
    while len(start) < _HEAD_ROOM:  # a stream may return less than it was asked for
        block = handle.read(_BLOCK)
        if not block:
            break
        start += block
    head = _HEAD.match(start)
    if head is None:
        raise NotCanonical
    try:
        version, entity_type = _DECODER.decode(head[1].decode()), _DECODER.decode(head[2].decode())
    except ValueError:
        raise NotCanonical from None
    return version, entity_type, _records(handle, start[head.end() :], _record if exact else _fast)


def _records(
    handle: Readable, pending: bytes, record: Callable[[bytes, bytes], Any]
) -> Iterator[Any]:
    while len(pending) < len(_FIRST):
        block = handle.read(_BLOCK)
        if not block:
            break
        pending += block
    if not pending.startswith(_FIRST):
        if pending + handle.read() != _EMPTY_END:
            raise NotCanonical
        return
    pending = pending[len(_FIRST) - 1 :]
    first = True
    while True:
        block = handle.read(_BLOCK)
        pieces = (pending + block).split(_SEPARATOR)
        pending = pieces.pop()
        for piece in pieces:
            yield record(piece if first else b"{" + piece, _RECORD_END)
            first = False
        if not block:
            break
    if not pending.endswith(_END):
        raise NotCanonical
    last = pending[: -len(_END)]
    yield record(last if first else b"{" + last, b"")


def _record(text: bytes, end: bytes) -> Any:
    try:
        record = _DECODER.decode((text + end).decode("utf-8"))
    except ValueError:  # not UTF-8 (UnicodeDecodeError), not JSON, or NaN
        raise NotCanonical from None
    if not isinstance(record, dict):
        raise NotCanonical
    return record


def _fast(text: bytes, end: bytes) -> Any:
    try:
        record = orjson.loads(text + end)
    except orjson.JSONDecodeError:  # also NaN, a lone surrogate, an integer beyond 64 bits
        raise NotCanonical from None
    if type(record) is not dict:
        raise NotCanonical
    return record
