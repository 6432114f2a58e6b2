"""Building sample rows: ids, uuids and timestamps from one seeded random source."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

Row = dict[str, Any]
#: Rows of one write step, by table name.
Batch = dict[str, list[Row]]

#: Sample history happens between these two instants.
HISTORY_START = datetime(2024, 1, 2, 6, 0, tzinfo=UTC)
HISTORY_END = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)
_T = TypeVar("_T")
_HISTORY_SECONDS = int((HISTORY_END - HISTORY_START).total_seconds())


def quantize(value: Decimal, scale: int) -> Decimal:
    """``value`` rounded half-up to ``scale`` decimal places (for computed sample values)."""
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


class RowFactory:
    """Hands out explicit ids per table, deterministic uuids and instants."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._last_id: Counter[str] = Counter()

    def next_id(self, table: str) -> int:
        self._last_id[table] += 1
        return self._last_id[table]

    def last_ids(self) -> dict[str, int]:
        return dict(self._last_id)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def instant(self, start: datetime = HISTORY_START, seconds: int = _HISTORY_SECONDS) -> datetime:
        """A UTC instant within ``seconds`` after ``start``, microseconds included."""
        return start + timedelta(
            seconds=self.rng.randrange(seconds), microseconds=self.rng.randrange(1_000_000)
        )

    def maybe(self, probability: float, value: _T) -> _T | None:
        """``value`` with the given probability, else None."""
        return value if self.rng.random() < probability else None

    def child(self, table: str, **values: Any) -> Row:
        return {"id": self.next_id(table), **values}

    def child_with_uuid(self, table: str, **values: Any) -> Row:
        return {"id": self.next_id(table), "uuid": self.uuid(), **values}

    def entity(self, table: str, created_at: datetime, *, edited: bool, **values: Any) -> Row:
        """A top-level row; ``edited`` rows were updated some time after creation."""
        updated_at = created_at
        if edited:
            updated_at += timedelta(
                days=self.rng.randrange(1, 200), microseconds=self.rng.randrange(1_000_000)
            )
        return {
            "id": self.next_id(table),
            "uuid": self.uuid(),
            "created_at": created_at,
            "updated_at": updated_at,
            **values,
        }
