"""Reading a stored value straight into its wire text, where both forms are known.

SQLite keeps bakery_io's decimals as doubles (or integers) and its dates and
datetimes as text. Read the usual way, SQLAlchemy turns each stored value into
a Python object (a :class:`~decimal.Decimal`, a :class:`~datetime.date`, an aware
:class:`~datetime.datetime`), and the export's fields then write that object as
text again: a quarter of a SQLite export went to this round trip.

A column read through :class:`WireRead` gives, for a stored value in the form
bakery_io itself stores, its wire text at once, as a ``str``; any other value
takes the usual way, through the column type's own result processor, so what it
gives, or the error it raises, is unchanged. That processor never gives a
``str`` for these types (a Decimal, a date, a datetime), so a ``str`` read from
such a column is its wire text, and the export writes it as it is
(:func:`bakery_io.queries.row_dumper`). A plain ``str``, not an object of its
own: one more object tracked by the garbage collector per value cost a tenth of
an export.

The servers' drivers give the same objects, parsed from text the server wrote
(PyMySQL in pure Python) and written as text again by the fields. There the
SELECT asks the server for each value as text (:class:`AsWireText`: ``CAST AS
TEXT`` on PostgreSQL, ``AS CHAR`` on MariaDB and MySQL), which is nearly its
wire text: ``NUMERIC(p, s)`` writes the column's ``s`` places, a date is
``YYYY-MM-DD`` and a datetime ``YYYY-MM-DD HH:MM:SS.ffffff`` (PostgreSQL drops
the fraction's trailing zeros, in its default DateStyle, ISO). A value whose
text is not in that form (a column of another scale, a year before 1 or after
9999, infinity, another DateStyle, MariaDB's zero dates) raises
:class:`NotWireText`, and :func:`bakery_io.queries.read_records` reads that
chunk again the usual way, so what it gives, or the error it raises, is
unchanged there too. Read the usual way where text may be read, a ``str`` (a
column that is text in the database) comes as a :class:`StoredText`, so that it
never passes for wire text.

For columns of other types or fields nothing changes: a host's field may write
its values its own way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Dialect, TypeDecorator
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeEngine

from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.format import fields as wire
from bakery_io.format.decimals import CONTEXT

#: How a result processor looks: a stored value in, the value read out.
Processor = Callable[[Any], Any]

#: How SQLAlchemy stores a datetime in SQLite (``DATETIME``'s storage format).
_STORED_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


def _decimal_reader(places: int, process: Processor) -> Processor:
    """SQLite's double or integer as the text :class:`~bakery_io.format.fields.DecimalString`
    writes: the shortest decimal that is the double (as
    :class:`~bakery_io.binding.sqltypes.ExactDecimal` reads it), padded to ``places``.

    Only where that text is plain: a value with more places than the field, an
    exponent, zero (whose sign is dropped), or more digits than the decimal
    context holds takes the usual way.
    """
    zeros = "0" * places
    digits = CONTEXT.prec - places
    limit = 10 ** max(digits, 0)

    def read(value: Any) -> Any:
        kind = value.__class__
        if kind is float and value:
            text = repr(value)
            point = text.find(".")  # -1 for "inf", "nan" and "1e-05"
            shown = len(text) - point - 1  # places the text has
            if 0 < point <= digits and shown <= places and "e" not in text:
                return text + zeros[shown:]
        elif kind is int and places and -limit < value < limit:
            return f"{value}.{zeros}"
        return process(value)

    return read


def _date_reader(process: Processor) -> Processor:
    """SQLite's ``YYYY-MM-DD`` text, a day that exists, as it is: the date's wire text."""
    parse = date.fromisoformat

    def read(value: Any) -> Any:
        if value is None:
            return None
        # fromisoformat takes more forms than this one (week dates, no dashes); with
        # the dashes where they are, what it parses is the canonical text.
        if value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                parse(value)
            except ValueError:
                return process(value)
            return value
        return process(value)

    return read


def _datetime_reader(process: Processor) -> Processor:
    """SQLite's ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC, a moment that exists) as the
    datetime's wire text: ``T`` between date and time, microseconds only when not
    zero, and ``Z``."""
    parse = datetime.fromisoformat
    stored = _STORED_DATETIME.fullmatch

    def read(value: Any) -> Any:
        if value is None:
            return None
        # The hour below 24 whatever a newer fromisoformat makes of "24:00".
        if value.__class__ is str and stored(value) is not None and value[11:13] < "24":
            try:
                parse(value)
            except ValueError:
                return process(value)
            if value.endswith(".000000"):
                return f"{value[:10]}T{value[11:19]}Z"
            return f"{value[:10]}T{value[11:]}Z"
        return process(value)

    return read


class NotWireText(Exception):  # noqa: N818 (a signal to read again, not an error)
    """A value a server wrote as text that is not its wire text: read the chunk again
    the usual way (:func:`bakery_io.queries.read_records` does, and nothing else sees it)."""


#: The servers whose text of a value :class:`AsWireText` asks for.
SERVERS = ("postgresql", "mysql", "mariadb")

#: A server's text of a date and of a datetime in years 1 to 9999: PostgreSQL's with
#: DateStyle ISO (its default; a year BC ends in " BC", a fraction of a second loses
#: its trailing zeros), MariaDB's and MySQL's with as many places as the column has.
_SERVER_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SERVER_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
)


#: The zeros that pad a fraction of a second to six places, from its own.
_PLACES = "000000"


def _server_reader(kind: str, places: int) -> Processor:
    """A server's text of a value (see :class:`AsWireText`) as its wire text; any other
    text raises :class:`NotWireText`."""
    if kind == "decimal":
        # NUMERIC(p, s) writes s places, no exponent, no leading zero and no "-0";
        # the checks hold it to that all the same (a column of another scale).
        number = r"-?(?:0|[1-9][0-9]*)" + (rf"\.[0-9]{{{places}}}" if places else "")
        decimal = re.compile(r"(?!-[0.]*$)" + number).fullmatch

        def read_decimal(value: Any) -> Any:
            if value is None or decimal(value) is not None:
                return value
            raise NotWireText(value)

        return read_decimal
    # A server's own date and timestamp hold only moments that exist (but MariaDB's
    # zero dates), and a column declared so may be text in the database (a host's):
    # the text is parsed too.
    if kind == "date":
        day, parse_day = _SERVER_DATE.fullmatch, date.fromisoformat

        def read_date(value: Any) -> Any:
            if value is None:
                return None
            if day(value) is None:
                raise NotWireText(value)
            try:
                parse_day(value)
            except ValueError:
                raise NotWireText(value) from None
            return value

        return read_date
    moment, parse_moment = _SERVER_DATETIME.fullmatch, datetime.fromisoformat

    def read_datetime(value: Any) -> Any:
        if value is None:
            return None
        # The hour below 24 whatever a newer fromisoformat makes of "24:00".
        if moment(value) is None or value[11:13] >= "24":
            raise NotWireText(value)
        try:
            parsed = parse_moment(value)
        except ValueError:
            raise NotWireText(value) from None
        if not parsed.microsecond:  # a fraction of none, or zero: none on the wire either
            return f"{value[:10]}T{value[11:19]}Z"
        # The one space is the T; the fraction's places, 1 to 6, padded to 6.
        return value.replace(" ", "T") + _PLACES[len(value) - 20 :] + "Z"

    return read_datetime


def gives_text(dialect: Dialect) -> bool:
    """Whether columns read through :class:`WireRead` may give wire text on ``dialect``."""
    return dialect.name == "sqlite" or dialect.name in SERVERS


#: Stored values in the form each reader takes, and what the usual way must read them as.
_PROBES: dict[str, tuple[tuple[Any, Any], ...]] = {
    "decimal": ((12.5, Decimal("12.5")), (3, Decimal(3)), (-0.25, Decimal("-0.25"))),
    "date": (("2023-05-01", date(2023, 5, 1)), ("0999-12-31", date(999, 12, 31))),
    "datetime": (
        ("2023-05-01 02:03:04.000005", datetime(2023, 5, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("0999-12-31 23:59:58.000000", datetime(999, 12, 31, 23, 59, 58, tzinfo=UTC)),
    ),
}


class WireRead(TypeDecorator[Any]):
    """Reads a column of type ``stored`` for a field, giving wire text where it can.

    ``kind`` is ``"decimal"`` (with the field's ``places``), ``"date"`` or
    ``"datetime"``; see the module's description. Only for reading (a SELECT's
    columns): it binds nothing.
    """

    impl = sa.types.NullType
    cache_ok = True

    def __init__(self, stored: TypeEngine[Any], kind: str, places: int = 0) -> None:
        super().__init__()
        self.stored = stored
        self.kind = kind
        self.places = places

    def result_processor(self, dialect: Dialect, coltype: Any) -> Processor | None:
        if dialect.name in SERVERS:
            if self._plain_on_servers():
                return _server_reader(self.kind, self.places)
            return self._usual(dialect, coltype)
        usual = self._usual(dialect, coltype)
        if not self._reads_as_stored(dialect, usual):
            return usual
        assert usual is not None
        if self.kind == "decimal":
            return _decimal_reader(self.places, usual)
        if self.kind == "date":
            return _date_reader(usual)
        return _datetime_reader(usual)

    def usual(self) -> UsualRead:
        """The usual reading of the same column (see :class:`UsualRead`)."""
        return UsualRead(self.stored, self.kind, self.places)

    def reads_text(self, dialect: Dialect) -> bool:
        """Whether, on ``dialect``, the column may give its values' wire text."""
        if dialect.name in SERVERS:
            return self._plain_on_servers()
        return self._reads_as_stored(dialect, self._usual(dialect, None))

    def _plain_on_servers(self) -> bool:
        """Whether a server stores the column as bakery_io declares it (no variant, no
        type of a host's own), so that its text is the one :class:`AsWireText` expects.

        A decimal column of another scale than its field would be read again every
        chunk: its own way at once."""
        stored = self.stored
        if stored._variant_mapping:
            return False
        if self.kind == "decimal":
            return type(stored) is ExactDecimal and stored.scale == self.places
        return type(stored) is (sa.Date if self.kind == "date" else UTCDateTime)

    def _usual(self, dialect: Dialect, coltype: Any) -> Processor | None:
        """The column type's own result processor on ``dialect``."""
        usual: Processor | None = self.stored.dialect_impl(dialect).result_processor(
            dialect, coltype
        )
        return usual

    def _reads_as_stored(self, dialect: Dialect, usual: Processor | None) -> bool:
        """Whether ``usual`` reads what bakery_io stores as the readers assume.

        A type whose SQLite form is another (a variant, a storage format of its own)
        reads the same text as some other value; the probes show it.
        """
        if dialect.name != "sqlite" or usual is None:
            return False
        try:
            return all(usual(stored) == value for stored, value in _PROBES[self.kind])
        except Exception:  # noqa: BLE001 (whatever a processor raises: read the usual way)
            return False


class AsWireText(ColumnElement[Any]):
    """A column read through ``reading`` (a :class:`WireRead`): the column itself in SQL,
    except on a server (:data:`SERVERS`), which writes its text (see the module's
    description) when ``reading`` reads text there."""

    inherit_cache = True
    # SQLAlchemy's own declaration (a list, read-only by convention): the cache key's parts.
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("type", InternalTraversal.dp_type),
    ]

    def __init__(self, column: ColumnElement[Any], reading: WireRead) -> None:
        self.column = column
        self.type = reading


@compiles(AsWireText)
def _as_stored(element: AsWireText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(AsWireText, "postgresql")
@compiles(AsWireText, "mysql")
@compiles(AsWireText, "mariadb")
def _as_text_on_servers(element: AsWireText, compiler: SQLCompiler, **kw: Any) -> str:
    reading = element.type
    assert isinstance(reading, WireRead)
    if not reading.reads_text(compiler.dialect):
        return compiler.process(element.column, **kw)
    # CAST AS TEXT on PostgreSQL, AS CHAR on MariaDB and MySQL.
    return compiler.process(sa.cast(element.column, sa.Text), **kw)


class StoredText(str):
    """A ``str`` that a column read the usual way gave (its type in the database is
    text): the value as stored, not wire text, so the export's dumper converts it
    through its field, which refuses what is no decimal, date or datetime."""

    __slots__ = ()


class UsualRead(WireRead):
    """Reads a column as its type does, where :class:`WireRead` would read wire text;
    a ``str`` it gives comes as a :class:`StoredText`. Where a dialect may read a
    field's values as wire text, the export writes a plain ``str`` of that field as it
    is: read the usual way, a ``str`` must not pass for wire text."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Processor | None:
        usual = self._usual(dialect, coltype)
        if not self.reads_text(dialect):
            return usual

        def read(value: Any) -> Any:
            found = value if usual is None else usual(value)
            return StoredText(found) if found.__class__ is str else found

        return read


def wire_read(column: sa.Column[Any], field: Any) -> WireRead | None:
    """The :class:`WireRead` of ``column`` for ``field``, or None where the usual reading
    stays: a type or field other than bakery_io's own (a host's field may write its
    value its own way)."""
    kind = column.type
    writes = type(field)._serialize
    if isinstance(kind, ExactDecimal) and writes is wire.DecimalString._serialize:
        return WireRead(kind, "decimal", field.places)
    if type(kind) is sa.Date and writes is wire.Date._serialize:
        return WireRead(kind, "date")
    if isinstance(kind, UTCDateTime) and writes is wire.DateTime._serialize:
        return WireRead(kind, "datetime")
    return None
