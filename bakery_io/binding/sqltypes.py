"""Column types that behave the same on every backend.

SQLite has no exact decimal and no time zones, PostgreSQL and MariaDB round a
decimal to the column's scale without a word, and MariaDB drops microseconds
unless asked. These types make all three store exactly what they are given or
refuse it, and read back exactly what is stored: a value that breaks the
column's rules (written by other software, or by SQLite's type affinity) is
returned as found, never rounded or coerced, or refused with a
:class:`ValueError` when it is no value of the column's kind at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, DateTime, Dialect, Numeric, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from bakery_io.format.decimals import CONTEXT

#: SQLite keeps decimals as IEEE doubles, which round-trip every decimal of up
#: to 15 significant digits exactly; wider columns would lose digits there.
MAX_EXACT_PRECISION = 15

#: Text that is a decimal number as SQL writes one (no spaces, no underscores).
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(precision, scale)`` that refuses, never rounds, what does not fit.

    Accepts :class:`~decimal.Decimal` and :class:`int`; a ``float`` is refused
    because it has already lost the exact value.

    Reads give the stored value exactly, padded to the column's scale (which
    PostgreSQL and MariaDB do themselves): a value with more places (SQLite does
    not enforce the scale) keeps all of them. On
    SQLite the stored double is read as the shortest decimal that is that
    double (``repr``), which is the decimal written, and text that is no
    number raises :class:`ValueError`.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        if not 0 <= scale <= precision <= MAX_EXACT_PRECISION:
            raise ValueError(f"unsupported decimal size ({precision}, {scale})")
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale, context=CONTEXT)
        self._limit = Decimal(1).scaleb(precision - scale, context=CONTEXT)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # SQLAlchemy's Numeric formats SQLite's double to the scale (rounding it);
            # the raw value goes to _from_sqlite instead.
            return Numeric(self.precision, self.scale, asdecimal=False)
        return super().load_dialect_impl(dialect)

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
        exact = number.quantize(self._quantum, context=CONTEXT)
        if (exact != number or exact.copy_abs() >= self._limit) and _kept_by_sqlite(value, dialect):
            # More than the column says, as SQLite itself held it (a backup's exception
            # restored as found): its REAL keeps the value exactly, so nothing is lost.
            return Decimal(number)
        if exact != number:
            raise ValueError(f"{number} has more than {self.scale} decimal places")
        if exact.copy_abs() >= self._limit:
            raise ValueError(
                f"{number} does not fit NUMERIC({self.precision}, {self.scale}): "
                f"at most {self.precision - self.scale} digits before the point"
            )
        return exact

    def result_processor(
        self, dialect: Dialect, coltype: Any
    ) -> Callable[[Any], Decimal | None] | None:
        if dialect.name == "sqlite":
            return self._from_sqlite
        if dialect.name in ("postgresql", "mysql", "mariadb"):
            # NUMERIC(p, s) there returns every value with the column's s places: no
            # per-value padding (a tenth of an export's conversions).
            impl = self.impl_instance.dialect_impl(dialect)
            return impl.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return self._padded(value if isinstance(value, Decimal) else Decimal(value))

    def _from_sqlite(self, value: Any) -> Decimal | None:
        """SQLite's value (by its storage class) as the exact decimal it is."""
        if value is None:
            return None
        if value.__class__ is float:
            return self._padded(Decimal(repr(value)))
        if value.__class__ is int:
            return self._padded(Decimal(value))
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
            return self._padded(Decimal(value))
        raise ValueError(f"{value!r} is not a number")

    def _padded(self, number: Decimal) -> Decimal:
        """``number`` with the column's places, or as it is when it has more (or is huge)."""
        try:
            exact = number.quantize(self._quantum, context=CONTEXT)
        except InvalidOperation:  # more digits than CONTEXT holds: nothing to pad
            return number
        return exact if exact == number else number


class AsFoundDecimal(Decimal):
    """A decimal as a database held it, beyond its column (more places or digits than
    the column says): a backup's exception, restored as found
    (:mod:`bakery_io.accepting`). Only SQLite, which keeps such a value, takes it back."""

    __slots__ = ()


def _kept_by_sqlite(value: Any, dialect: Dialect) -> bool:
    """Whether ``value`` is a decimal as found that SQLite stores exactly: its REAL reads
    back as the same decimal (as :meth:`ExactDecimal._from_sqlite` reads it)."""
    return (
        isinstance(value, AsFoundDecimal)
        and dialect.name == "sqlite"
        and Decimal(repr(float(value))) == value
    )


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

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        usual = super().bind_processor(dialect)
        if dialect.name != "sqlite" or usual is None:
            return usual
        to_utc = self.process_bind_param

        def bind(value: Any) -> Any:
            # SQLite's DATETIME text as SQLAlchemy stores it ("%04d-%02d-%02d
            # %02d:%02d:%02d.%06d"), written by isoformat: its %-formatting of a dict
            # of seven fields was a tenth of an import's conversions. A subclass of
            # datetime may write itself otherwise: SQLAlchemy's way for it.
            moment = to_utc(value, dialect)
            if moment is None:
                return None
            if moment.__class__ is datetime:
                return moment.isoformat(" ", "microseconds")
            return usual(value)

        return bind

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
        try:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        except (TypeError, AttributeError):  # text the driver could not read (a zero date)
            raise ValueError(f"{value!r} is not a datetime") from None


class AsUTC(TypeDecorator[datetime]):
    """How bakery_io reads and writes a host's own datetime column: in UTC.

    A column without a time zone is taken to hold UTC (the convention of most
    applications, bake-tracker's included): bakery_io writes naive UTC there and
    reads its values back as aware UTC. A column with a time zone gets aware
    UTC values. Used only through a binding (:mod:`bakery_io.binding.mapping`), never
    in DDL.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self, *, aware: bool) -> None:
        super().__init__(timezone=aware)
        self.aware = aware

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"{value!r} is not a datetime with a time zone")
        moment = value.astimezone(UTC)
        return moment if self.aware else moment.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: What a boolean column reads as: its two values, and nothing else.
_TRUTH: dict[Any, bool] = {0: False, 1: True}


class StoredBoolean(Boolean):
    """``BOOLEAN`` that reads any other stored value as it is, not as ``True``.

    SQLite and MariaDB keep booleans as integers; a row written around the
    column's CHECK constraint may hold ``2``, which SQLAlchemy would read as
    ``True``. This type reads 0 and 1 as ``False`` and ``True`` and every
    other value unchanged, so an export writes what is stored.
    """

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        return self._read

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        process = super().bind_processor(dialect)  # type: ignore[no-untyped-call]
        if process is None:
            return None

        def bind(value: Any) -> Any:
            # What is not a boolean goes as it is: a value read as found (``2``), restored
            # from a backup's exception, for the database to keep or refuse.
            return process(value) if value is None or isinstance(value, bool) else value

        return bind

    @staticmethod
    def _read(value: Any) -> Any:
        # A dict lookup: the booleans and None PostgreSQL gives map to themselves.
        try:
            return _TRUTH.get(value, value)
        except TypeError:  # unhashable: no boolean either
            return value
