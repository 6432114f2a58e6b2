"""The wire fields: exactly the JSON a format-1.1 file may hold, nothing guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from marshmallow import Schema, ValidationError

from bakery_io.format.decimals import CONTEXT
from bakery_io.format.enums import SupplierType
from bakery_io.format.fields import (
    MAX_INTEGER,
    UUID,
    Boolean,
    Date,
    DateTime,
    DecimalString,
    Enum,
    Integer,
    Key,
    Reference,
    Slug,
    String,
    format_datetime,
    resolving,
)
from bakery_io.format.json_schemas import field_schema

A_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def messages(error: ValidationError) -> str:
    """Every message of a field's error as one string."""
    found = error.messages
    assert isinstance(found, list)
    return " | ".join(str(message) for message in found)


def refused(field: Any, value: Any) -> str:
    """Load ``value`` with ``field``, expecting a refusal; returns its message."""
    with pytest.raises(ValidationError) as caught:
        field.deserialize(value)
    return messages(caught.value)


# ---------------------------------------------------------------------------
# DecimalString


def dec_10_4() -> DecimalString:
    return DecimalString(10, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.25", Decimal("4.2500")),
        ("4.2500", Decimal("4.2500")),
        ("0", Decimal("0")),
        ("0.0001", Decimal("0.0001")),
        ("-3.5", Decimal("-3.5")),
        ("999999.9999", Decimal("999999.9999")),
        ("-999999.9999", Decimal("-999999.9999")),
        ("123456", Decimal("123456")),
    ],
)
def test_decimal_loads_strings_exactly(text: str, expected: Decimal) -> None:
    loaded = dec_10_4().deserialize(text)
    assert isinstance(loaded, Decimal)
    assert loaded == expected
    # Loaded at the column's scale, so it dumps as it will be stored.
    assert loaded.as_tuple().exponent == -4


@pytest.mark.parametrize("number", [4.25, 4, 0, Decimal("4.25")])
def test_decimal_refuses_json_numbers(number: Any) -> None:
    message = refused(dec_10_4(), number)
    assert "decimals travel as strings" in message
    assert "expected a decimal as a string" in message


def test_decimal_refuses_booleans_and_arrays() -> None:
    assert "decimals travel as strings" in refused(dec_10_4(), True)
    assert "decimals travel as strings" in refused(dec_10_4(), ["1.0"])


@pytest.mark.parametrize(
    "text",
    ["NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e3", "1E3", "1.5e-2", "1E+2"],
)
def test_decimal_refuses_nan_infinities_and_exponents(text: str) -> None:
    message = refused(dec_10_4(), text)
    assert message.startswith(f"{text!r} is not a decimal as a string")


@pytest.mark.parametrize(
    "text", ["", " ", "1.", ".5", "+1", "01", "00.5", "1,5", "1.0 ", " 1.0", "1_000", "abc", "--1"]
)
def test_decimal_refuses_malformed_text(text: str) -> None:
    assert "is not a decimal as a string" in refused(dec_10_4(), text)


@pytest.mark.parametrize("text", ["0.00001", "1.23456", "-1.00000", "999999.99999"])
def test_decimal_refuses_more_places_than_the_column(text: str) -> None:
    message = refused(dec_10_4(), text)
    assert message == f"{text} has more than 4 decimal places (nothing is rounded)"


@pytest.mark.parametrize("text", ["1000000", "1000000.0", "-1000000", "12345678901"])
def test_decimal_refuses_too_many_digits(text: str) -> None:
    assert refused(dec_10_4(), text) == f"{text} is too large: at most 6 digits before the point"


def test_decimal_exclusive_minimum_refuses_the_boundary() -> None:
    positive = DecimalString(10, 4, minimum=0, exclusive_minimum=True)
    for text in ["0", "0.0", "0.0000", "-0", "-0.0001", "-5"]:
        assert "out of range: must be > 0" in refused(positive, text), text
    assert positive.deserialize("0.0001") == Decimal("0.0001")


def test_decimal_inclusive_minimum_accepts_the_boundary() -> None:
    non_negative = DecimalString(10, 4, minimum=0)
    assert non_negative.deserialize("0") == 0
    assert non_negative.deserialize("0.0000") == 0
    for text in ["-0.0001", "-1"]:
        assert "out of range: must be >= 0" in refused(non_negative, text), text


def test_decimal_maximum_is_inclusive() -> None:
    percentage = DecimalString(5, 2, minimum=0, exclusive_minimum=True, maximum=100)
    assert percentage.deserialize("100") == Decimal(100)
    assert percentage.deserialize("100.00") == Decimal(100)
    assert percentage.deserialize("99.99") == Decimal("99.99")
    assert percentage.deserialize("0.01") == Decimal("0.01")
    for text in ["100.01", "101", "1000"]:
        assert "out of range: must be <= 100" in refused(percentage, text), text
    assert "out of range: must be > 0" in refused(percentage, "0")
    assert "more than 2 decimal places" in refused(percentage, "50.005")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("4.25"), "4.2500"),
        (Decimal(0), "0.0000"),
        (Decimal("-0"), "0.0000"),
        (Decimal("-0.0000"), "0.0000"),
        (Decimal("999999.9999"), "999999.9999"),
        (Decimal("-999999.9999"), "-999999.9999"),
        (Decimal("1E+1"), "10.0000"),
        (Decimal("1E-4"), "0.0001"),
        (7, "7.0000"),
    ],
)
def test_decimal_dumps_exactly_the_column_places(value: Any, text: str) -> None:
    assert dec_10_4().serialize("v", {"v": value}) == text


def test_decimal_dumps_null_as_null() -> None:
    assert dec_10_4().serialize("v", {"v": None}) is None


#: (precision, places) of every decimal column kind in docs/format/entities.md.
DECIMAL_KINDS = [(10, 4), (12, 4), (14, 4), (10, 3), (5, 2)]


def largest(precision: int, places: int) -> Decimal:
    """The largest value of a ``Numeric(precision, places)`` column: 999999.9999 for (10, 4)."""
    return Decimal(10) ** (precision - places) - Decimal(1).scaleb(-places)


@pytest.mark.parametrize(("precision", "places"), DECIMAL_KINDS)
@pytest.mark.parametrize("sign", [1, -1])
def test_decimal_extremes_round_trip(precision: int, places: int, sign: int) -> None:
    field = DecimalString(precision, places)
    for value in [Decimal(0), sign * largest(precision, places), sign * Decimal(1).scaleb(-places)]:
        text = field.serialize("v", {"v": value})
        assert field.deserialize(text) == value
    assert largest(10, 4) == Decimal("999999.9999")
    one_more = largest(precision, places) + Decimal(1).scaleb(-places)
    assert "too large" in refused(field, format(sign * one_more, "f"))


@pytest.mark.parametrize(("precision", "places"), DECIMAL_KINDS)
@given(data=st.data())
def test_decimal_dump_load_round_trip(precision: int, places: int, data: st.DataObject) -> None:
    limit = largest(precision, places)
    value = data.draw(
        st.decimals(
            min_value=-limit,
            max_value=limit,
            places=places,
            allow_nan=False,
            allow_infinity=False,
        )
    )
    field = DecimalString(precision, places)
    text = field.serialize("v", {"v": value})
    assert isinstance(text, str)
    whole, _, fraction = text.partition(".")
    assert len(fraction) == places
    assert "e" not in text.lower()
    assert text != f"-{'0' * len(whole.lstrip('-'))}.{'0' * places}"  # never "-0.0000"
    loaded = field.deserialize(text)
    assert loaded == value
    assert field.serialize("v", {"v": loaded}) == text
    # One more non-zero place is refused, never rounded.
    assert "decimal places" in refused(field, text + "1")


@pytest.mark.parametrize(("precision", "places"), [*DECIMAL_KINDS, (40, 3)])
@given(data=st.data())
def test_a_decimal_loads_with_its_places_whether_written_with_them_or_not(
    precision: int, places: int, data: st.DataObject
) -> None:
    # Text with all its places skips the padding: the result is the padded one, its
    # exponent included, and a number too long for the context still fails alike.
    field = DecimalString(precision, places)
    whole = data.draw(st.text(alphabet="0123456789", min_size=1, max_size=precision - places))
    shown = data.draw(st.integers(min_value=0, max_value=places))
    fraction = data.draw(st.text(alphabet="0123456789", min_size=shown, max_size=shown))
    sign = data.draw(st.sampled_from(["", "-"]))
    text = f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"

    def outcome(function: Any) -> tuple[Any, ...]:
        try:
            found = function()
        except InvalidOperation as exc:
            return ("error", type(exc))
        return ("value", found.as_tuple())

    quantum = Decimal(1).scaleb(-places)
    expected = outcome(lambda: Decimal(text).quantize(quantum, context=CONTEXT))
    assert outcome(lambda: field.load_valid(text, None, None)) == expected
    if precision > CONTEXT.prec:  # and past the context's digits, as padding would
        longest = "9" * (precision - places) + "." + "0" * places
        with pytest.raises(InvalidOperation):
            field.load_valid(longest, None, None)


@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(min_value=-23 * 60, max_value=23 * 60),
)
def test_a_datetime_loads_in_utc_whatever_its_offset(moment: datetime, minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    for text in (aware.isoformat(), aware.astimezone(UTC).isoformat().replace("+00:00", "Z")):
        loaded = DateTime().load_valid(text, None, None)
        assert loaded == aware
        assert loaded.tzinfo is UTC
        assert loaded.isoformat() == aware.astimezone(UTC).isoformat()


@given(
    st.decimals(
        min_value=0, max_value=largest(10, 4), places=4, allow_nan=False, allow_infinity=False
    )
)
def test_positive_decimal_accepts_exactly_the_values_above_zero(value: Decimal) -> None:
    field = DecimalString(10, 4, minimum=0, exclusive_minimum=True)
    text = format(value, "f")
    if value > 0:
        assert field.deserialize(text) == value
    else:
        assert "out of range: must be > 0" in refused(field, text)


def test_decimal_describes_itself() -> None:
    field = DecimalString(12, 4, minimum=0, exclusive_minimum=True)
    assert field.describe() == (
        "a decimal as a string (like '1.0000') with at most 4 places "
        "and 8 digits before the point, > 0"
    )


# ---------------------------------------------------------------------------
# Boolean, Integer, String, Slug, UUID, Enum


def test_boolean_accepts_true_and_false_only() -> None:
    field = Boolean()
    assert field.deserialize(True) is True
    assert field.deserialize(False) is False
    for value, shown in [
        (1, "the number 1"),
        (0, "the number 0"),
        ("true", "the string 'true'"),
        ("yes", "the string 'yes'"),
        (1.0, "the number 1.0"),
    ]:
        assert refused(field, value) == f"expected true or false, got {shown}"
    assert field.serialize("v", {"v": True}) is True


def test_integer_accepts_whole_numbers_in_range() -> None:
    field = Integer()
    for value in [0, 1, -1, MAX_INTEGER, -MAX_INTEGER]:
        loaded = field.deserialize(value)
        assert loaded == value
        assert type(loaded) is int
    assert MAX_INTEGER == 2**31 - 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "true"),
        (False, "false"),
        (1.0, "the number 1.0"),
        (1.5, "the number 1.5"),
        ("1", "the string '1'"),
        (Decimal(1), "the number 1"),
    ],
)
def test_integer_refuses_other_json_types(value: Any, shown: str) -> None:
    assert refused(Integer(), value) == f"expected a whole number, got {shown}"


@pytest.mark.parametrize("value", [2**31, -(2**31), 2**63, -(2**63)])
def test_integer_refuses_values_beyond_an_integer_column(value: int) -> None:
    assert refused(Integer(), value) == f"{value} is too large: at most {MAX_INTEGER}"


def test_string_refuses_non_strings() -> None:
    field = String()
    assert field.deserialize("caf\u00e9 \U0001f370") == "caf\u00e9 \U0001f370"
    assert refused(field, 5) == "expected a string, got the number 5"
    assert refused(field, True) == "expected a string, got true"
    assert refused(field, {"a": 1}) == "expected a string, got an object"
    assert refused(field, [1]) == "expected a string, got an array"


def test_string_with_pattern() -> None:
    field = String(pattern="^[A-Z]{2}$")
    assert field.deserialize("NY") == "NY"
    assert refused(field, "ny") == "'ny' does not match ^[A-Z]{2}$"


@pytest.mark.parametrize("slug", ["a", "all-purpose-flour", "type_00", "x-1_b", "9"])
def test_slug_accepts_slugs(slug: str) -> None:
    assert Slug().deserialize(slug) == slug


@pytest.mark.parametrize(
    "text", ["", "Flour", "a b", "-a", "a-", "a--b", "a_-b", "cr\u00e8me", "a\n"]
)
def test_slug_refuses_non_slugs(text: str) -> None:
    assert refused(Slug(), text) == (
        f"{text!r} is not a slug: use lower-case ASCII letters and digits joined by "
        "single '-' or '_'"
    )


def test_slug_refuses_non_strings() -> None:
    assert refused(Slug(), 12) == "expected a string, got the number 12"


def test_uuid_keeps_its_text() -> None:
    upper = A_UUID.upper()
    assert UUID().deserialize(upper) == upper
    assert UUID().deserialize(A_UUID) == A_UUID


@pytest.mark.parametrize(
    "text", ["", "0f8fad5bd9cb469fa16570867728950e", A_UUID + "0", "{" + A_UUID + "}", "g" * 36]
)
def test_uuid_refuses_other_text(text: str) -> None:
    assert refused(UUID(), text) == f"{text!r} is not a UUID (8-4-4-4-12 hexadecimal digits)"


class Colour(StrEnum):
    RED = "red"
    DARK_BLUE = "dark_blue"


def test_enum_loads_by_value() -> None:
    field = Enum(SupplierType)
    assert field.deserialize("online") is SupplierType.ONLINE
    assert field.deserialize("physical") is SupplierType.PHYSICAL
    assert Enum(Colour).deserialize("dark_blue") is Colour.DARK_BLUE
    assert field.serialize("v", {"v": SupplierType.ONLINE}) == "online"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("ONLINE", "the string 'ONLINE'"),
        ("Physical", "the string 'Physical'"),
        ("PHYSICAL", "the string 'PHYSICAL'"),
        (1, "the number 1"),
        (True, "true"),
    ],
)
def test_enum_refuses_names_and_other_values(value: Any, shown: str) -> None:
    field = Enum(SupplierType)
    assert refused(field, value) == f"expected one of physical, online, got {shown}"


# ---------------------------------------------------------------------------
# Date and DateTime


def test_date_loads_and_dumps_iso_dates() -> None:
    field = Date()
    assert field.deserialize("2025-12-24") == date(2025, 12, 24)
    assert field.deserialize("2024-02-29") == date(2024, 2, 29)
    assert field.serialize("v", {"v": date(2025, 1, 5)}) == "2025-01-05"


@pytest.mark.parametrize(
    "value",
    ["2025-1-05", "25-01-05", "2025/01/05", "20250105", "2025-01-05T00:00:00Z", "2025-13-01", 2025],
)
def test_date_refuses_other_forms(value: Any) -> None:
    assert refused(Date(), value).startswith("expected a date as 'YYYY-MM-DD' (a day that exists")


@pytest.mark.parametrize("text", ["2025-02-29", "2025-04-31", "1900-02-29", "0000-12-31"])
def test_date_refuses_impossible_days_and_year_zero(text: str) -> None:
    # The pattern itself knows the calendar, so JSON Schema validation refuses them too.
    assert refused(Date(), text) == (
        "expected a date as 'YYYY-MM-DD' (a day that exists, years 0001-9999), "
        f"got the string {text!r}"
    )


@pytest.mark.parametrize(
    "text", ["2024-02-29", "2000-02-29", "0400-02-29", "0001-01-01", "0999-12-31", "9999-12-31"]
)
def test_date_accepts_leap_days_and_the_edge_years(text: str) -> None:
    assert Date().deserialize(text) == date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2025-11-22T09:30:00Z", datetime(2025, 11, 22, 9, 30, tzinfo=UTC)),
        ("2025-11-22T09:30:00+00:00", datetime(2025, 11, 22, 9, 30, tzinfo=UTC)),
        ("2025-11-22T09:30:00-00:00", datetime(2025, 11, 22, 9, 30, tzinfo=UTC)),
        ("2025-11-22T09:30:00+05:30", datetime(2025, 11, 22, 4, 0, tzinfo=UTC)),
        ("2025-11-22T20:15:00-08:00", datetime(2025, 11, 23, 4, 15, tzinfo=UTC)),
        ("2025-11-22T09:30:00.5Z", datetime(2025, 11, 22, 9, 30, 0, 500000, tzinfo=UTC)),
        ("2025-11-22T09:30:00.123456Z", datetime(2025, 11, 22, 9, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_datetime_loads_as_aware_utc(text: str, instant: datetime) -> None:
    loaded = DateTime().deserialize(text)
    assert loaded == instant
    assert loaded.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "2025-11-22T09:30:00",  # no offset: which time zone?
        "2025-11-22 09:30:00Z",
        "2025-11-22T09:30Z",
        "2025-11-22T09:30:00z",
        "2025-11-22T09:30:00+0530",
        "2025-11-22T09:30:00+05",
        "2025-11-22T24:00:00Z",
        "2025-11-22T09:30:00.1234567Z",
        "2025-11-22",
        1732267800,
    ],
)
def test_datetime_refuses_other_forms(value: Any) -> None:
    message = refused(DateTime(), value)
    assert message.startswith(
        "expected a datetime as 'YYYY-MM-DDTHH:MM:SS[.ffffff]' with 'Z' or a '+HH:MM' offset"
    )


def test_datetime_refuses_impossible_days() -> None:
    text = "2025-02-30T10:00:00Z"
    assert refused(DateTime(), text).startswith("expected a datetime as 'YYYY-MM-DDTHH:MM:SS")


@pytest.mark.parametrize(
    "text",
    [
        # Years a datetime may not have: the UTC instant would fall outside 1-9999.
        "9999-12-31T23:30:00-01:00",
        "0001-01-01T00:30:00+01:00",
    ],
)
def test_datetime_out_of_range_is_a_validation_error(text: str) -> None:
    # A well-formed value that no datetime can hold is refused, never a crash.
    with pytest.raises(ValidationError):
        DateTime().deserialize(text)


def test_datetime_dumps_utc_with_z() -> None:
    field = DateTime()
    plus_two = timezone(timedelta(hours=2))
    assert field.serialize("v", {"v": datetime(2025, 1, 1, 1, 0, tzinfo=plus_two)}) == (
        "2024-12-31T23:00:00Z"
    )
    assert field.serialize("v", {"v": datetime(2025, 1, 1, 0, 0, 0, 7, tzinfo=UTC)}) == (
        "2025-01-01T00:00:00.000007Z"
    )
    assert field.serialize("v", {"v": None}) is None


def test_format_datetime_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        format_datetime(datetime(2025, 1, 1))


offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware = st.datetimes(
    min_value=datetime(1001, 1, 1),
    max_value=datetime(9998, 12, 30),
    timezones=offsets,
)


@pytest.mark.parametrize(
    "text",
    ["0002-01-01T00:00:00+05:45", "9998-12-31T23:59:59-05:00", "0001-01-01T00:00:00Z"],
)
def test_a_datetime_whose_utc_time_leaves_0002_9998_round_trips(text: str) -> None:
    field = DateTime()
    written = field.serialize("v", {"v": field.deserialize(text)})
    assert field.deserialize(written) == field.deserialize(text)


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00", "0000-12-31T23:00:00Z"]
)
def test_years_0001_and_9999_are_for_utc_only(text: str) -> None:
    with pytest.raises(ValidationError, match="0001 and 9999 in UTC"):
        DateTime().deserialize(text)


@given(aware)
def test_datetime_dump_load_round_trip(value: datetime) -> None:
    field = DateTime()
    text = field.serialize("v", {"v": value})
    assert isinstance(text, str)
    assert text.endswith("Z")
    loaded = field.deserialize(text)
    assert loaded == value  # the same instant
    assert loaded.utcoffset() == timedelta(0)
    assert loaded.microsecond == value.astimezone(UTC).microsecond
    assert field.serialize("v", {"v": loaded}) == text


@given(aware)
def test_datetime_loads_any_offset_as_the_same_instant(value: datetime) -> None:
    loaded = DateTime().deserialize(value.isoformat())
    assert loaded == value
    assert loaded.tzinfo is UTC


# ---------------------------------------------------------------------------
# Reference


class Holder(Schema):
    """References as entity schemas declare them: wire name, id column as attribute."""

    supplier_slug = Reference("suppliers", attribute="supplier_id")
    purchase_uuid = Reference("purchases", attribute="purchase_id", allow_none=True)
    material_product_slug = Slug(allow_none=True, load_default=None)
    material_unit_slug = Reference(
        "material_units",
        attribute="material_unit_id",
        scope=("material_product_slug",),
        allow_none=True,
    )


class Recorder:
    """A lookup that records its calls and knows a few rows."""

    def __init__(self, rows: dict[tuple[str, Key], int]) -> None:
        self.rows = rows
        self.calls: list[tuple[str, Key]] = []

    def __call__(self, target: str, key: Key) -> int | None:
        self.calls.append((target, key))
        return self.rows.get((target, key))


def test_reference_loads_the_natural_key_outside_resolving() -> None:
    loaded = Holder().load({"supplier_slug": "king-arthur", "purchase_uuid": A_UUID})
    assert loaded == {
        "supplier_id": "king-arthur",
        "purchase_id": A_UUID,
        "material_product_slug": None,
    }


def test_reference_loads_the_id_inside_resolving() -> None:
    lookup = Recorder({("suppliers", "king-arthur"): 7, ("purchases", A_UUID): 12})
    with resolving(lookup):
        loaded = Holder().load({"supplier_slug": "king-arthur", "purchase_uuid": A_UUID})
    assert loaded["supplier_id"] == 7
    assert loaded["purchase_id"] == 12
    assert sorted(lookup.calls) == [("purchases", A_UUID), ("suppliers", "king-arthur")]
    # Outside the block again: keys, not ids.
    assert Holder().load({"supplier_slug": "king-arthur"})["supplier_id"] == "king-arthur"


def test_resolving_is_restored_after_an_error() -> None:
    lookup = Recorder({})
    with pytest.raises(RuntimeError), resolving(lookup):
        raise RuntimeError
    assert Holder().load({"supplier_slug": "acme"})["supplier_id"] == "acme"
    assert lookup.calls == []


def test_reference_to_an_unknown_key_names_it() -> None:
    lookup = Recorder({})
    with resolving(lookup), pytest.raises(ValidationError) as caught:
        Holder().load({"supplier_slug": "nobody"})
    assert caught.value.messages == {
        "supplier_slug": [
            "no record of suppliers has the slug 'nobody', "
            "neither in the files being loaded nor in the database"
        ]
    }
    assert lookup.calls == [("suppliers", "nobody")]


def test_reference_composite_key() -> None:
    record = {
        "supplier_slug": "acme",
        "material_product_slug": "red-ribbon",
        "material_unit_slug": "cm-30",
    }
    loaded = Holder().load(record)
    assert loaded["material_unit_id"] == ("red-ribbon", "cm-30")
    assert loaded["material_product_slug"] == "red-ribbon"

    lookup = Recorder({("suppliers", "acme"): 1, ("material_units", ("red-ribbon", "cm-30")): 44})
    with resolving(lookup):
        loaded = Holder().load(record)
    assert loaded["material_unit_id"] == 44
    assert ("material_units", ("red-ribbon", "cm-30")) in lookup.calls


def test_reference_composite_key_unknown() -> None:
    lookup = Recorder({("suppliers", "acme"): 1})
    record = {
        "supplier_slug": "acme",
        "material_product_slug": "red-ribbon",
        "material_unit_slug": "cm-99",
    }
    with resolving(lookup), pytest.raises(ValidationError) as caught:
        Holder().load(record)
    assert caught.value.messages == {
        "material_unit_slug": [
            "no record of material_units has the slug 'red-ribbon / cm-99', "
            "neither in the files being loaded nor in the database"
        ]
    }


@pytest.mark.parametrize("leading", [None, 5, "absent"])
def test_reference_composite_key_needs_its_scope(leading: Any) -> None:
    record: dict[str, Any] = {"supplier_slug": "acme", "material_unit_slug": "cm-30"}
    if leading != "absent":
        record["material_product_slug"] = leading
    lookup = Recorder({})
    with resolving(lookup), pytest.raises(ValidationError) as caught:
        Holder().load(record)
    found = caught.value.messages
    assert isinstance(found, dict)
    assert found["material_unit_slug"] == [
        "a reference to material_units also needs material_product_slug"
    ]
    assert ("material_units", "cm-30") not in lookup.calls


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "supplier_slug",
            "King Arthur",
            "expected the slug of a record of suppliers, got the string 'King Arthur'",
        ),
        ("supplier_slug", 3, "expected the slug of a record of suppliers, got the number 3"),
        (
            "supplier_slug",
            A_UUID.upper(),
            "expected the slug of a record of suppliers, got the string " + repr(A_UUID.upper()),
        ),
        (
            "purchase_uuid",
            "some-purchase",
            "expected the uuid of a record of purchases, got the string 'some-purchase'",
        ),
    ],
)
def test_reference_checks_the_key_form_before_any_lookup(
    field: str, value: Any, message: str
) -> None:
    record: dict[str, Any] = {"supplier_slug": "acme", field: value}
    lookup = Recorder({("suppliers", "acme"): 1})
    with resolving(lookup), pytest.raises(ValidationError) as caught:
        Holder().load(record)
    assert caught.value.messages == {field: [message]}
    assert all(key != value for _target, key in lookup.calls)


def test_reference_kind_follows_the_wire_name() -> None:
    fields = Holder().fields
    supplier = fields["supplier_slug"]
    purchase = fields["purchase_uuid"]
    assert isinstance(supplier, Reference)
    assert isinstance(purchase, Reference)
    assert (supplier.key_kind, supplier.target) == ("slug", "suppliers")
    assert (purchase.key_kind, purchase.target) == ("uuid", "purchases")


def test_reference_dumps_the_key_under_its_wire_name() -> None:
    row = {"supplier_slug": "acme", "supplier_id": 9, "purchase_uuid": None}
    dumped = Holder(only=("supplier_slug", "purchase_uuid")).dump(row)
    assert dumped == {"supplier_slug": "acme", "purchase_uuid": None}


# ---------------------------------------------------------------------------
# Fields and their JSON Schemas say the same thing


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        (Slug(), "flour", "flour\n"),
        (UUID(), A_UUID, A_UUID + "\n"),
        (DecimalString(10, 4), "1.2500", "1.2500\n"),
        (Date(), "2025-01-05", "2025-01-05\n"),
        (DateTime(), "2025-01-05T10:00:00Z", "2025-01-05T10:00:00Z\n"),
    ],
)
def test_field_and_its_json_schema_agree_on_text(field: Any, good: str, bad: str) -> None:
    validator = Draft202012Validator(field_schema(field))
    field.deserialize(good)
    assert validator.is_valid(good)
    with pytest.raises(ValidationError):
        field.deserialize(bad)
    # The published JSON Schema must refuse what the field refuses.
    assert not validator.is_valid(bad)
