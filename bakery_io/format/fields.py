"""marshmallow fields for the wire format: exact, strict and JSON-typed.

Each field accepts exactly the JSON a format-1.1 file may hold for it and
nothing that would need a guess: a decimal is a string with no more places
than its column, a boolean is ``true``/``false`` (not ``1``), an integer is not
a boolean, a datetime carries its UTC offset. Fields that test text against a
regular expression expose it as ``pattern``: the published JSON Schemas use
the same expression (with an end anchor that means the same in Python and
ECMA-262, see :func:`bakery_io.format.json_schemas.portable_pattern`), so both
validators agree by construction.

A field whose published JSON Schema makes some of its checks has a
``load_valid`` method: its ``_deserialize`` for a value that schema accepts,
without those checks. The one-pass import, which validates every record
against the schemas first, loads through it (:func:`bakery_io.codecs.loader`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, missing, utils

from bakery_io.format.decimals import CONTEXT
from bakery_io.format.slugs import SLUG_PATTERN

#: Largest value of an ``INTEGER`` column on every supported backend.
MAX_INTEGER = 2**31 - 1

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


_MONTH_DAYS = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
# Leap years by their digits: 0000 is one, and is in no range of years below.
_LEAP_YEARS = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_LEAP_YEARS_FROM_1 = (
    "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
)


def _calendar(years: str, leap_years: str | None, *, lookahead: bool) -> str:
    """Days that exist (month lengths, leap years) in years matching ``years``.

    The published patterns say the range of years once, as a lookahead. Without
    ``lookahead`` the range is said in each alternative instead: ``leap_years`` are
    the leap years in it (None for none), and the language is the same. That form
    is for jsonschema-rs (:mod:`bakery_io.conformance`), which matches a pattern
    with a lookahead by backtracking and one without by an automaton, several
    times faster.
    """
    if lookahead:
        return f"(?=(?:{years})-)(?:[0-9]{{4}}-{_MONTH_DAYS}|{_LEAP_YEARS}-02-29)"
    leap = f"|{leap_years}-02-29" if leap_years else ""
    return f"(?:(?:{years})-{_MONTH_DAYS}{leap})"


# Years 0001-9999: what Python's dates hold, and what PostgreSQL, SQLite and
# MariaDB keep (MariaDB's documented 1000-9999 is what it promises, not what it
# stores), so a backup states every date a database holds. A datetime with an
# offset is 0002-9998, so that no offset can carry it out of that range; in UTC
# ("Z"), which is how bakery_io writes them, 0001-9999.
_YEARS = "000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3}"
_TIME = r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_INNER_YEARS = (
    "000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8]"
)
_ZONE = "[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]"


def date_pattern(*, lookahead: bool = True) -> str:
    """Dates of years 0001-9999 (``lookahead``: see :func:`_calendar`)."""
    return f"^{_calendar(_YEARS, _LEAP_YEARS_FROM_1, lookahead=lookahead)}$"


def datetime_pattern(*, naive: bool = False, utc: str = "Z", lookahead: bool = True) -> str:
    """Datetimes with a UTC offset, or also without one (``naive``, format 1.0).

    ``utc`` is the regular expression of the marks that mean UTC (format 1.0's
    export dates may also end in ``+00:00Z``); ``lookahead``: see :func:`_calendar`.
    """
    optional = "?" if naive else ""
    marks = utc if utc == "Z" else f"(?:{utc})"
    inner = _calendar(_INNER_YEARS, _LEAP_YEARS_FROM_1, lookahead=lookahead)
    # Neither 0001 nor 9999 is a leap year.
    edge = _calendar("0001|9999", None, lookahead=lookahead)
    return f"^(?:{inner}{_TIME}(?:{utc}|{_ZONE}){optional}|{edge}{_TIME}{marks}{optional})$"


DATE_PATTERN = date_pattern()
DATETIME_PATTERN = datetime_pattern()

_SURROGATE = re.compile("[\ud800-\udfff]")

#: A natural key as references carry it: one string, or a tuple for a composite key.
Key = str | tuple[str, ...]
#: Maps (entity type, natural key) to a database id; ``None`` when no such row exists.
Lookup = Callable[[str, Key], int | None]

_lookup: ContextVar[Lookup | None] = ContextVar("bakery_io_reference_lookup", default=None)


@contextmanager
def resolving(lookup: Lookup) -> Iterator[None]:
    """Within this block, :class:`Reference` fields load natural keys as database ids.

    ``lookup`` is the loader's map (built with one query per table), so a load
    never queries per row and never creates a row for an unknown key. Outside
    the block references load as their natural keys, which is what validation
    needs.
    """
    token = _lookup.set(lookup)
    try:
        yield
    finally:
        _lookup.reset(token)


def describe_json(value: Any) -> str:
    """A JSON value in words, for messages: ``the number 42``, ``null``."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return "an object" if isinstance(value, Mapping) else "an array"


class String(fields.String):
    """Text; never a number or other JSON type converted to text."""

    def __init__(self, *, pattern: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern else None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None or value.__class__ is str:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            # A BLOB (SQLite keeps one in any column): JSON has no bytes, and
            # decoding them would pass them off as the text they are not. A
            # ValueError, as for every value a field cannot write (dump.dumped).
            blob = bytes(value)[:20]
            raise ValueError(f"{blob!r} is bytes (a BLOB), not text")  # noqa: TRY004
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(f"expected a string, got {describe_json(value)}")
        text = self.load_valid(value, attr, data)
        if self._regex is not None and self._regex.fullmatch(text) is None:
            raise ValidationError(self.mismatch(text))
        return text

    def load_valid(self, value: str, attr: str | None, data: Any) -> str:
        """``value``, known to be a string that matches :attr:`pattern`."""
        # JSON Schema's "string" admits a lone surrogate; some validators refuse one
        # only where there is a pattern. (isascii() reads a flag: most text is ASCII.)
        if not value.isascii() and _SURROGATE.search(value):
            raise ValidationError(
                "not valid Unicode text: holds a lone surrogate (\\ud800-\\udfff)"
            )
        return value

    def mismatch(self, value: str) -> str:
        """The message for ``value`` not matching :attr:`pattern`."""
        return f"{value!r} does not match {self.pattern}"


class Slug(String):
    """A slug: lower-case ASCII letters and digits joined by single ``-`` or ``_``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pattern=SLUG_PATTERN, **kwargs)

    def mismatch(self, value: str) -> str:
        return (
            f"{value!r} is not a slug: use lower-case ASCII letters and digits joined by "
            "single '-' or '_'"
        )


class UUID(String):
    """A UUID in its 8-4-4-4-12 hex form, kept exactly as written."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pattern=UUID_PATTERN, **kwargs)

    def mismatch(self, value: str) -> str:
        return f"{value!r} is not a UUID (8-4-4-4-12 hexadecimal digits)"


class Boolean(fields.Field[bool]):
    """``true`` or ``false``; ``1``, ``0`` and ``"yes"`` are refused."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"expected true or false, got {describe_json(value)}")
        return value


class Integer(fields.Field[int]):
    """A whole JSON number that fits an ``INTEGER`` column (booleans are not numbers)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        # JSON Schema's "integer" is a number without a fraction part: 1.0 is not one here.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"expected a whole number, got {describe_json(value)}")
        if abs(value) > MAX_INTEGER:
            raise ValidationError(f"{value} is too large: at most {MAX_INTEGER}")
        return value


class Enum(fields.Enum):  # type: ignore[type-arg]
    """One of an enum's values, written as the value (``"physical"``)."""

    def __init__(self, enum: Any, **kwargs: Any) -> None:
        super().__init__(enum, by_value=True, **kwargs)
        self.values: tuple[str, ...] = tuple(member.value for member in enum)
        self._members = {member.value: member for member in enum}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or value not in self.values:
            raise ValidationError(
                f"expected one of {', '.join(self.values)}, got {describe_json(value)}"
            )
        return super()._deserialize(value, attr, data, **kwargs)

    def load_valid(self, value: str, attr: str | None, data: Any) -> Any:
        """The member whose value is ``value``, known to be one of :attr:`values`."""
        return self._members[value]

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        # The export reads the column's text: a value outside the enum is written as found.
        if value is None or isinstance(value, str):
            return None if value is None else str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            # A BLOB, as for String: a ValueError, which the export names with its record.
            blob = bytes(value)[:20]
            raise ValueError(f"{blob!r} is bytes (a BLOB), not text")  # noqa: TRY004
        return super()._serialize(value, attr, obj, **kwargs)


def _decimal_pattern(
    digits: int, places: int, minimum: int | None, exclusive: bool, maximum: int | None
) -> str:
    fraction = rf"(?:\.[0-9]{{1,{places}}})?" if places else ""

    def integer(width: int) -> str:
        return "0" if width == 0 else rf"(?:0|[1-9][0-9]{{0,{width - 1}}})"

    if maximum is None:
        body = integer(digits) + fraction
    else:
        # Only powers of ten are supported as maxima: 100 is "100" (with zero places)
        # or anything with fewer digits.
        width = len(str(maximum)) - 1
        if maximum != 10**width or width > digits:
            raise ValueError(f"unsupported decimal maximum {maximum}")
        zeros = rf"(?:\.0{{1,{places}}})?" if places else ""
        body = rf"(?:{maximum}{zeros}|{integer(width)}{fraction})"
    sign = "-?" if minimum is None or minimum < 0 else ""
    guard = r"(?!-?0+(?:\.0+)?$)" if exclusive and minimum == 0 else ""
    if minimum not in (None, 0):
        raise ValueError(f"unsupported decimal minimum {minimum}")
    return f"^{guard}{sign}{body}$"


class DecimalString(fields.Field[Decimal]):
    """An exact decimal that travels as a string (``"4.2500"``).

    Loading refuses JSON numbers (a float has already lost the exact value),
    more places than the column's scale, more digits than its precision,
    NaN, infinities and exponents; nothing is ever rounded. Dumping writes
    ``places`` decimal places, or all of a value's places when the database
    holds more: the export writes what it finds (such a record then does not
    conform, and the export reports it), never a rounded value.
    """

    def __init__(
        self,
        precision: int,
        places: int,
        *,
        minimum: int | None = None,
        exclusive_minimum: bool = False,
        maximum: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.precision = precision
        self.places = places
        self.minimum = minimum
        self.exclusive_minimum = exclusive_minimum
        self.maximum = maximum
        self.pattern = _decimal_pattern(
            precision - places, places, minimum, exclusive_minimum, maximum
        )
        self._regex = re.compile(self.pattern)
        self._quantum = Decimal(1).scaleb(-places, context=CONTEXT)
        self._limit = Decimal(1).scaleb(precision - places, context=CONTEXT)
        self._fits = precision <= CONTEXT.prec

    def describe(self) -> str:
        """What the field accepts, in words (for messages and JSON Schema descriptions)."""
        bound = ""
        if self.minimum is not None:
            bound = f", {'>' if self.exclusive_minimum else '>='} {self.minimum}"
        if self.maximum is not None:
            bound += f", <= {self.maximum}"
        example = format(Decimal(1).quantize(self._quantum, context=CONTEXT), "f")
        return (
            f"a decimal as a string (like {example!r}) with at most {self.places} places "
            f"and {self.precision - self.places} digits before the point{bound}"
        )

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, float):  # the decimal a double was written as
            number = Decimal(repr(value))
        else:
            number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"{value} is not a finite decimal")
        try:
            exact = number.quantize(self._quantum, context=CONTEXT)
        except InvalidOperation:  # too many digits to pad: written as found
            exact = number
        if exact != number:  # more places than the column: written as found, not rounded
            exact = number
        return format(exact if exact else exact.copy_abs(), "f")  # -0 is written as 0

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError(
                f"expected {self.describe()}; got {describe_json(value)} "
                "(decimals travel as strings so that no digit is lost)"
            )
        if self._regex.fullmatch(value) is None:
            raise ValidationError(self.explain(value))
        return self.load_valid(value, attr, data)

    def load_valid(self, value: str, attr: str | None, data: Any) -> Decimal:
        """The decimal ``value``, known to match :attr:`pattern`, with :attr:`places` places."""
        point = value.find(".")
        # Written with all its places already (as bakery_io writes it): nothing to pad,
        # and padding is half the cost of this conversion.
        # (Unless it has more digits than the context, where padding raises.)
        if (len(value) - point - 1 if point >= 0 else 0) == self.places and self._fits:
            return Decimal(value)
        return Decimal(value).quantize(self._quantum, context=CONTEXT)

    def explain(self, text: str) -> str:
        """Why the string ``text`` is not a value of this field, in words."""
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not re.fullmatch(r"-?[0-9.]+", text):
            return f"{text!r} is not {self.describe()}"
        if number.as_tuple().exponent < -self.places:  # type: ignore[operator]
            return f"{text} has more than {self.places} decimal places (nothing is rounded)"
        if self.minimum is not None and (
            number < self.minimum or (self.exclusive_minimum and number == self.minimum)
        ):
            relation = ">" if self.exclusive_minimum else ">="
            return f"{text} is out of range: must be {relation} {self.minimum}"
        if self.maximum is not None and number > self.maximum:
            return f"{text} is out of range: must be <= {self.maximum}"
        if number.copy_abs() >= self._limit:
            digits = self.precision - self.places
            return f"{text} is too large: at most {digits} digits before the point"
        return f"{text!r} is not {self.describe()}"


class Date(fields.Field[date]):
    """A calendar date, ``YYYY-MM-DD``."""

    pattern = DATE_PATTERN
    _regex = re.compile(DATE_PATTERN)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        try:
            return value.isoformat()
        except AttributeError:  # a driver's text for a date it cannot read (MariaDB's zero date)
            raise ValueError(f"{value!r} is not a date") from None

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or self._regex.fullmatch(value) is None:
            raise ValidationError(
                "expected a date as 'YYYY-MM-DD' (a day that exists, years 0001-9999), "
                f"got {describe_json(value)}"
            )
        return self.load_valid(value, attr, data)

    def load_valid(self, value: str, attr: str | None, data: Any) -> date:
        """The date ``value``, known to match :attr:`pattern` (only days that exist)."""
        return date.fromisoformat(value)


class DateTime(fields.Field[datetime]):
    """A point in time, ISO 8601 with its UTC offset; written in UTC with ``Z``."""

    pattern = DATETIME_PATTERN
    _regex = re.compile(DATETIME_PATTERN)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        try:
            return format_datetime(value)
        except AttributeError:  # not a datetime: text a driver could not read
            raise ValueError(f"{value!r} is not a datetime") from None

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or self._regex.fullmatch(value) is None:
            raise ValidationError(
                "expected a datetime as 'YYYY-MM-DDTHH:MM:SS[.ffffff]' with 'Z' or a "
                "'+HH:MM' offset (years 0002-9998; 0001 and 9999 in UTC with 'Z'), "
                f"got {describe_json(value)}"
            )
        return self.load_valid(value, attr, data)

    def load_valid(self, value: str, attr: str | None, data: Any) -> datetime:
        """``value`` in UTC, known to match :attr:`pattern`.

        The pattern admits only days that exist, in years no offset can push out of range.
        """
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """``value`` in UTC as written on the wire: ``2026-11-22T09:30:00.123456Z``."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
    if value.tzinfo is not UTC:  # what the database gives is UTC already
        value = value.astimezone(UTC)
    return value.isoformat()[:-6] + "Z"  # "+00:00" written as "Z"


_SLUG, _UUID = re.compile(SLUG_PATTERN), re.compile(UUID_PATTERN)


class Reference(fields.Field[Any]):
    """A reference to another row, written as that row's natural key.

    Declared under its wire name (``supplier_slug``) with ``attribute`` naming
    the foreign-key column (``supplier_id``). Dumping writes the key that the
    export query selected under the wire name. Loading checks the key's form
    and, inside :func:`resolving`, turns it into the row's id through the
    loader's lookup; an unknown key is an error, never a new row.

    ``scope`` names sibling fields that hold the leading parts of a composite
    key: a material unit is ``(material_product_slug, material_unit_slug)``.
    """

    def __init__(self, target: str, *, scope: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.scope = scope
        self.key_kind = "slug"
        self.pattern = SLUG_PATTERN
        self._regex = _SLUG

    def _bind_to_schema(self, field_name: str, parent: Any) -> None:
        super()._bind_to_schema(field_name, parent)
        # The wire name says what the key is: ``purchase_uuid`` or ``supplier_slug``.
        if (self.data_key or field_name).endswith("_uuid"):
            self.key_kind, self.pattern, self._regex = "uuid", UUID_PATTERN, _UUID

    def get_value(
        self,
        obj: Any,
        attr: str,
        accessor: Callable[[Any, str, Any], Any] | None = None,
        default: Any = missing,
    ) -> Any:
        # The export query labels the key with the wire name; the attribute is the id column.
        get = accessor or utils.get_value
        return get(obj, self.data_key or self.name or attr, default)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or self._regex.fullmatch(value) is None:
            got = describe_json(value)
            raise ValidationError(
                f"expected the {self.key_kind} of a record of {self.target}, got {got}"
            )
        return self.load_valid(value, attr, data)

    def load_valid(self, value: str, attr: str | None, data: Any) -> Any:
        """The key ``value`` (known to match :attr:`pattern`) with its scope, or its row id."""
        key: Key = value
        if self.scope:
            parts = [data.get(name) if data else None for name in self.scope]
            leading = [part for part in parts if isinstance(part, str)]
            if len(leading) != len(parts):
                raise ValidationError(
                    f"a reference to {self.target} also needs {', '.join(self.scope)}"
                )
            key = (*leading, value)
        lookup = _lookup.get()
        if lookup is None:
            return key
        found = lookup(self.target, key)
        if found is None:
            shown = " / ".join(key) if isinstance(key, tuple) else key
            raise ValidationError(
                f"no record of {self.target} has the {self.key_kind} {shown!r}, "
                "neither in the files being loaded nor in the database"
            )
        return found


def row_key(name: str, field: fields.Field[Any]) -> str:
    """The key ``field`` (declared as ``name``) reads from a row of the export's query: a
    reference's under its wire name (the query labels the target's key with it, see
    :meth:`Reference.get_value`), any other field's under its attribute (its column)."""
    if isinstance(field, Reference):
        return field.data_key or name
    return field.attribute or name


class Children(fields.List):  # type: ignore[type-arg]
    """The child records nested in a parent under the name of the model's relationship."""

    def __init__(self, schema: Any, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", list)
        super().__init__(fields.Nested(schema), **kwargs)

    @property
    def schema_class(self) -> Any:
        """The child schema class."""
        nested = self.inner
        assert isinstance(nested, fields.Nested)
        return nested.nested
