"""Column types that behave the same on every backend.

SQLite has no exact decimal and no time zones, PostgreSQL and MariaDB round a
decimal to the column's scale without a word, and MariaDB drops microseconds
unless asked. These types make all three store exactly what they are given or
refuse it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

#: SQLite keeps decimals as IEEE doubles, which round-trip every decimal of up
#: to 15 significant digits exactly; wider columns would lose digits there.
MAX_EXACT_PRECISION = 15


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(precision, scale)`` that refuses, never rounds, what does not fit.

    Accepts :class:`~decimal.Decimal` and :class:`int`; a ``float`` is refused
    because it has already lost the exact value.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        if not 0 <= scale <= precision <= MAX_EXACT_PRECISION:
            raise ValueError(f"unsupported decimal size ({precision}, {scale})")
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)
        self._limit = Decimal(10) ** (precision - scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if type(value) is Decimal:  # most values: no copy needed
            number = value
        elif isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"expected a Decimal, got {type(value).__name__} {value!r}")
        else:
            number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{number} is not a finite decimal")
        exact = number.quantize(self._quantum)
        if exact != number:
            raise ValueError(f"{number} has more than {self.scale} decimal places")
        if abs(exact) >= self._limit:
            raise ValueError(
                f"{number} does not fit NUMERIC({self.precision}, {self.scale}): "
                f"at most {self.precision - self.scale} digits before the point"
            )
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(self._quantum)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored as naive UTC and returned as an aware UTC datetime.

    Naive datetimes are refused: guessing their zone is how history shifts by
    hours. Microseconds are kept on every backend.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.__class__ is datetime and value.tzinfo is UTC:  # what the codecs give
            return value.replace(tzinfo=None)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__} {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        moment: datetime = value if value.tzinfo is UTC else value.astimezone(UTC)
        return moment.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
