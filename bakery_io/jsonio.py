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
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import orjson

from bakery_io.problems import pointer

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


class InvalidJSON(ValueError):  # noqa: N818 (a ValueError, as json's own errors are)
    """JSON text that parses but that bakery_io refuses, or that is nested too deeply:
    a duplicate key, ``NaN``, an integer of more digits than Python converts, a lone
    surrogate. ``pointer`` is the JSON pointer of the offending value (or of the object
    holding a duplicate key) and ``line``, ``column`` where it starts (both from 1)."""

    def __init__(self, reason: str, pointer: str, line: int | None, column: int | None) -> None:
        super().__init__(reason if line is None else f"{reason} (line {line}, column {column})")
        self.reason = reason
        self.pointer = pointer
        self.line = line
        self.column = column


class _Duplicate(ValueError):  # noqa: N818 (a signal, located by loads)
    """A key repeats in an object (raised while parsing; :func:`loads` locates it)."""


class _Constant(ValueError):  # noqa: N818 (a signal, located by loads)
    """``NaN`` or ``Infinity`` (raised while parsing; :func:`loads` locates it)."""


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        raise _Duplicate
    return record


#: Where a lone surrogate can come from: a ``\uD800``-``\uDFFF`` escape (a pair decodes
#: to one character). A match only sends the text to the slow search that locates one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(data: bytes | bytearray | str) -> Any:
    """Parse JSON text; fractions become Decimals.

    Refused with :class:`InvalidJSON`, which says where: ``NaN`` and ``Infinity``
    (not JSON), an integer beyond Python's conversion limit, a key that appears
    twice in an object (another reader would see other data), a lone surrogate
    (not Unicode text) and nesting deeper than Python's recursion allows.
    Syntax errors raise :class:`json.JSONDecodeError`.
    """
    text = data if isinstance(data, str) else data.decode("utf-8")
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        what = "depth"
    except _Duplicate:
        what = "duplicate"
    except _Constant:
        what = "constant"
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError) or "digits" not in str(exc):
            raise
        what = "digits"
    else:
        if not _SURROGATE_ESCAPE.search(text):
            return value
        what = "surrogate"
    found = _locate(text, what)
    if found is None and what == "surrogate":
        return value  # the escapes are of pairs, or escaped backslashes
    raise found or InvalidJSON(_UNLOCATED[what], "", None, None)


#: What a refusal says should the search not find it (text ``json`` reads otherwise).
_UNLOCATED = {
    "depth": "nested too deeply",
    "duplicate": "a key appears twice in an object",
    "constant": "not valid JSON: NaN or Infinity is not a JSON number",
    "digits": "not valid JSON here: an integer of too many digits",
}


#: How much of the pointer of a value nested too deeply is shown (the rest is ``/0/0/0...``).
DEPTH_SHOWN = 3


#: JSON's tokens that matter to a pointer: strings (skipped whole), punctuation, and
#: the numbers and constants a search may be looking for.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|NaN|-?Infinity|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')


@dataclass
class _Container:
    """An object or array open at some point of a scan."""

    is_object: bool
    #: The key of the value being read (objects), or its index (arrays).
    at: str | int = 0
    keys: set[str] = field(default_factory=set)
    expecting_key: bool = False


class _Scan:
    """A scan of JSON text that json has parsed (up to an error) for ``what``: ``depth``
    (the first point of the deepest nesting), ``duplicate``, ``constant``, ``digits`` or
    ``surrogate``. An error path: slow, in Python."""

    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.stack: list[_Container] = []
        self.deepest = 0
        #: Where the deepest nesting is first reached: offset, and path (its start).
        self.found: tuple[int, tuple[str | int, ...]] | None = None
        self.limit = sys.get_int_max_str_digits()

    def path(self, depth: int | None = None) -> tuple[str | int, ...]:
        """The path of the value being read (of its first ``depth`` parts)."""
        containers = self.stack if depth is None else self.stack[:depth]
        return tuple(container.at for container in containers)

    def here(self, token: re.Match[str], reason: str, depth: int | None = None) -> InvalidJSON:
        """``reason`` at ``token``, with the pointer of the value (of its first ``depth``)."""
        return self.at(token.start(), reason, self.path(depth))

    def at(self, start: int, reason: str, path: tuple[str | int, ...]) -> InvalidJSON:
        line = self.text.count("\n", 0, start) + 1
        column = start - self.text.rfind("\n", 0, start)
        return InvalidJSON(reason, pointer(*path), line, column)

    def run(self) -> InvalidJSON | None:
        for token in _TOKEN.finditer(self.text):
            first = token[0][0]
            if first in "{[":
                self.open(token)
            elif first in "}]":
                if self.stack:
                    self.stack.pop()
            elif first in ",:":
                self.punctuation(first)
            elif first == '"':
                found = self.string(token)
                if found is not None:
                    return found
            else:
                found = self.number(token)
                if found is not None:
                    return found
        if self.what == "depth" and self.found is not None:
            start, path = self.found
            return self.at(start, f"nested too deeply: {self.deepest:,} levels", path)
        return None

    def open(self, token: re.Match[str]) -> None:
        is_object = token[0] == "{"
        self.stack.append(_Container(is_object, expecting_key=is_object))
        if self.what == "depth" and len(self.stack) > self.deepest:
            # The pointer stops at the field the nesting is in: /records/3/name.
            self.deepest, self.found = len(self.stack), (token.start(), self.path(DEPTH_SHOWN))

    def punctuation(self, mark: str) -> None:
        if not self.stack:
            return
        container = self.stack[-1]
        if mark == ":":
            container.expecting_key = False
        elif container.is_object:
            container.expecting_key = True
        else:
            assert isinstance(container.at, int)
            container.at += 1

    def string(self, token: re.Match[str]) -> InvalidJSON | None:
        container = self.stack[-1] if self.stack else None
        if container is not None and container.is_object and container.expecting_key:
            key = json.loads(token[0])
            container.at = key
            if self.what == "duplicate" and key in container.keys:
                return self.here(token, f"key {key!r} appears twice", len(self.stack) - 1)
            container.keys.add(key)
        lone = self.what == "surrogate" and _SURROGATE_ESCAPE.search(token[0]) is not None
        if lone and _LONE_SURROGATE.search(json.loads(token[0])):
            return self.here(token, "not valid Unicode text: holds a lone surrogate")
        return None

    def number(self, token: re.Match[str]) -> InvalidJSON | None:
        unsigned = token[0].lstrip("-")
        if self.what == "constant" and unsigned[0] in "NI":
            return self.here(token, f"not valid JSON: {token[0]} is not a JSON number")
        if self.what == "digits" and unsigned.isdigit() and len(unsigned) > self.limit:
            digits = len(unsigned)
            reason = (
                f"not valid JSON here: an integer of {digits:,} digits (at most {self.limit:,})"
            )
            return self.here(token, reason)
        return None


def deepest(value: Any) -> tuple[int, tuple[str | int, ...]]:
    """How deep ``value`` nests (a scalar: 0) and the path to where that depth is first
    reached; without recursion, for values that parsed but are too deep for a recursive
    reader (a JSON Schema validator) to go through."""
    depth, path = 0, tuple[str | int, ...]()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            children: Iterator[tuple[str | int, Any]] = iter(item.items())
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if len(where) + 1 > depth:
            depth, path = len(where) + 1, where
        stack.extend((child, (*where, key)) for key, child in reversed(list(children)))
    return depth, path


def _locate(text: str, what: str) -> InvalidJSON | None:
    """The :class:`InvalidJSON` that says where ``what`` is in ``text``, if it is there."""
    return _Scan(text, what).run()


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
#: The largest record (in bytes of its JSON text) read a record at a time: a file with
#: a larger one, or that is not laid out as bakery_io writes it, is read whole instead
#: (within the container's limit on what is read whole).
MAX_RECORD_SIZE = 16 * 2**20
#: Bytes read before the head must have matched (it takes about a hundred).
_HEAD_ROOM = 4096

_DECODER = json.JSONDecoder(
    parse_float=JSONFraction, parse_constant=_refuse_constant, object_pairs_hook=_unique
)


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


def _records(handle: Readable, pending: bytes, record: Callable[[bytearray], Any]) -> Iterator[Any]:
    while len(pending) < len(_FIRST):
        block = handle.read(_BLOCK)
        if not block:
            break
        pending += block
    if not pending.startswith(_FIRST):
        rest = pending + _read_up_to(handle, len(_EMPTY_END) + 1 - len(pending))
        if rest != _EMPTY_END:
            raise NotCanonical
        return
    # From the "{" of the record being read: only its last bytes and each new block are
    # searched, so reading is linear in the file, whatever its layout. A record ends
    # where the separator starts with its closing "\n    }"; the next starts at its "{".
    buffer = bytearray(pending[len(_FIRST) - 1 :])
    searched = 0
    while True:
        block = handle.read(_BLOCK)
        buffer += block
        while (found := buffer.find(_SEPARATOR, searched)) >= 0:
            text = buffer[: found + len(_RECORD_END)]
            del buffer[: found + len(_SEPARATOR) - 1]  # O(1) at the front of a bytearray
            searched = 0
            yield record(text)
        searched = max(0, len(buffer) - len(_SEPARATOR) + 1)
        if len(buffer) > MAX_RECORD_SIZE + len(_END):
            raise NotCanonical  # a record this large is read with its file whole, if at all
        if not block:
            break
    if not buffer.endswith(_END):
        raise NotCanonical
    del buffer[-len(_END) :]
    yield record(buffer)


def _read_up_to(handle: Readable, size: int) -> bytes:
    """Up to ``size`` bytes of ``handle`` (fewer only at its end)."""
    data = b""
    while len(data) < size:
        block = handle.read(size - len(data))
        if not block:
            break
        data += block
    return data


def _record(text: bytearray) -> Any:
    try:
        record = loads(text)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, NaN, a duplicate key...
        raise NotCanonical from None
    if not isinstance(record, dict):
        raise NotCanonical
    return record


def _fast(text: bytearray) -> Any:
    """A record parsed by orjson, when it is exactly what bakery_io writes: encoding it
    again gives back its bytes. So a key that repeats (orjson keeps the last), an escape
    where the character would do, or a number written otherwise sends the file to the
    exact reader, which reports or reads it."""
    try:
        record = orjson.loads(text)
        again = orjson.dumps(record, option=_INDENT)
    except (orjson.JSONDecodeError, TypeError):  # NaN, a lone surrogate, depth, 64 bits...
        raise NotCanonical from None
    if type(record) is not dict or again.replace(b"\n", b"\n    ") != text:
        raise NotCanonical
    return record
