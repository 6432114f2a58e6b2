"""The ids of records a streamed load has written and no longer holds in full.

A streamed load keeps what it knows of each record (:class:`~bakery_io.resolution.Known`)
only for a few chunks, so that memory stays flat (:meth:`Resolver.forget
<bakery_io.resolution.Resolver.forget>`). A later file that references a
forgotten record used to ask the database for its id again: one query per
chunk of references, a twentieth of an import, for the purchases that
inventory items reference and the items that depletions reference. Those
types are keyed by uuid, and a file bakery_io writes lists them in key order,
so their ids fit in 24 bytes a record: the uuid's two 64-bit halves and the
id, in sorted arrays searched by bisection.

Only lowercase canonical uuids are kept (each is exactly one number, and each
number one such text); any other key is asked for as before. Should a file
list its keys out of order, this type's ids stop being kept and its
references are asked for as before. At most :data:`LIMIT` ids are kept per
type (24 MB), so memory stays bounded however large the backup: references
to records beyond are asked for as before.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_LOW = (1 << 64) - 1

#: The most ids kept per entity type: a million, ten times a large bakery's history.
LIMIT = 1_000_000


def _number(key: Any) -> int | None:
    """The uuid ``key`` as a number, or None for any other key."""
    if type(key) is not str or _CANONICAL(key) is None:
        return None
    return int(key.replace("-", ""), 16)


class WrittenIds:
    """Row ids of one entity type's records by uuid, added in key order."""

    def __init__(self) -> None:
        self._high = array("Q")
        self._low = array("Q")
        self._ids = array("q")
        self.kept = True

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, items: Iterable[tuple[Any, int]]) -> None:
        """Keep the ids of ``items`` (key, id): each key must follow every key kept so
        far, else none is kept any more. Keys that are no canonical uuid are left out,
        and so is every batch once :data:`LIMIT` ids are kept."""
        if not self.kept or len(self._ids) >= LIMIT:
            return
        numbered = [
            (number, row_id) for key, row_id in items if (number := _number(key)) is not None
        ]
        numbered.sort()  # in key order already, as a file lists them: one pass
        if not numbered:
            return
        first = numbered[0][0]
        if self._ids and (first >> 64, first & _LOW) <= (self._high[-1], self._low[-1]):
            self.kept = False  # out of order: asked for by key from now on
            self._high, self._low, self._ids = array("Q"), array("Q"), array("q")
            return
        self._high.extend([number >> 64 for number, _ in numbered])
        self._low.extend([number & _LOW for number, _ in numbered])
        self._ids.extend([row_id for _, row_id in numbered])

    def get(self, key: Any) -> int | None:
        """The id kept for ``key``, or None."""
        number = _number(key)
        if number is None or not self._ids:
            return None
        high, low = number >> 64, number & _LOW
        found = bisect_left(self._high, high)
        while found < len(self._high) and self._high[found] == high:
            if self._low[found] == low:
                return self._ids[found]
            found += 1
        return None
