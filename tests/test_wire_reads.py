"""Reading SQLite's stored decimals, dates and datetimes straight into their wire text.

Each reader must give exactly what the usual way gives: the column type's own
result processor, then the field's ``_serialize``. These tests hold the two to
the same outcome, value or error, for stored values of every kind SQLite can
hold in such a column (the forms bakery_io writes, and every other).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine
from sqlalchemy.dialects import mssql, sqlite

from bakery_io import dump_all, generate_sample
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.binding.wire_reads import WireRead, gives_text, wire_read
from bakery_io.format import fields as wire
from bakery_io.queries import read_records, row_dumper
from bakery_io.registry import REGISTRY

SQLITE = sqlite.dialect()
EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _outcome(function: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    try:
        found = function(value)
    except Exception as exc:  # noqa: BLE001 (the error itself is the outcome compared)
        return ("error", type(exc), str(exc))
    return ("value", type(found), repr(found))


def _assert_reads_alike(reading: WireRead, field: Any, value: Any) -> None:
    """The reader's outcome for ``value`` is the usual one, as the export writes it."""
    read = reading.result_processor(SQLITE, None)
    usual = reading.stored.dialect_impl(SQLITE).result_processor(SQLITE, None)
    assert read is not None
    assert usual is not None

    def written(found: Any) -> Any:
        return found if isinstance(found, str) else field._serialize(found, "x", {})

    fast, slow = _outcome(read, value), _outcome(usual, value)
    if fast[0] == "error" or slow[0] == "error":
        assert fast == slow, value
        return
    if fast[1] is not str:  # not read as text: exactly the usual value
        assert fast == slow, value
        return
    assert _outcome(written, read(value)) == _outcome(written, usual(value)), value


# ---------------------------------------------------------------------------
# Decimals: SQLite's REAL, INTEGER or TEXT in an ExactDecimal column.

_stored_numbers = st.one_of(
    st.floats(),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(float),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from([0.0, -0.0, 1e-05, 1e16, 123456789012345.6, 0.1, 2.5, -2.505, 5e-324]),
    st.text(max_size=8),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(
    value=_stored_numbers,
    scale=st.integers(min_value=0, max_value=6),
    places=st.integers(min_value=0, max_value=6),
)
@example(value=-0.0, scale=2, places=2)
@example(value=3.0, scale=0, places=0)
@example(value=10**26, scale=2, places=4)
@example(value=2.505, scale=4, places=2)
@example(value=float("inf"), scale=2, places=2)
@example(value=1.5e-05, scale=6, places=6)
@example(value=1.5e16, scale=6, places=6)
def test_a_stored_number_reads_as_its_decimal_would_be_written(
    value: Any, scale: int, places: int
) -> None:
    field = wire.DecimalString(15, places)
    reading = wire_read(sa.Column("x", ExactDecimal(15, scale)), field)
    assert reading is not None
    _assert_reads_alike(reading, field, value)


# ---------------------------------------------------------------------------
# Dates: SQLite's text in a DATE column.


_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
_stored_dates = st.one_of(
    _dates.map(date.isoformat),
    _dates.map(lambda day: f"{day.year}-{day.month}-{day.day}"),  # unpadded
    _dates.map(lambda day: day.strftime("%Y%m%d")),
    _dates.map(lambda day: "{:04d}-W{:02d}-{}".format(*day.isocalendar())),
    st.text(alphabet="0123456789-W ", min_size=10, max_size=10),
    st.sampled_from(
        ["2023-02-29", "2024-02-30", "0000-01-01", "2023-13-01", "\uff12\uff10\uff12\uff13-01-05"]
    ),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(value=_stored_dates)
def test_a_stored_date_reads_as_its_date_would_be_written(value: Any) -> None:
    field = wire.Date()
    reading = wire_read(sa.Column("x", sa.Date()), field)
    assert reading is not None
    _assert_reads_alike(reading, field, value)


# ---------------------------------------------------------------------------
# Datetimes: SQLite's text in a UTCDateTime column (naive UTC).

_moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
_stored_datetimes = st.one_of(
    _moments.map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S.%f")),
    _moments.map(lambda moment: moment.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.%f")),
    _moments.map(lambda moment: moment.isoformat()),
    _moments.map(lambda moment: moment.isoformat(sep=" ", timespec="milliseconds") + "+00"),
    _moments.map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")),
    st.text(alphabet="0123456789-:. T+Z", min_size=26, max_size=26),
    st.sampled_from(
        [
            "2023-01-05 24:00:00.000000",
            "2023-02-29 10:00:00.000000",
            "2023-01-05 10:00:60.000000",
            "2023-W01-1 10:00:00.000000",
            "2023-01-05 10:00:00.1+0000",
            "2023-01-05 10:00:00.123456",
        ]
    ),
    st.text(max_size=30),
    st.integers(),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(value=_stored_datetimes)
def test_a_stored_datetime_reads_as_its_datetime_would_be_written(value: Any) -> None:
    field = wire.DateTime()
    reading = wire_read(sa.Column("x", UTCDateTime()), field)
    assert reading is not None
    _assert_reads_alike(reading, field, value)


# ---------------------------------------------------------------------------
# Where it applies, and where it does not.


def test_only_bakery_io_types_with_bakery_io_fields_are_read_as_text() -> None:
    assert wire_read(sa.Column("x", sa.Numeric(10, 2)), wire.DecimalString(10, 2)) is None
    assert wire_read(sa.Column("x", sa.DateTime()), wire.DateTime()) is None
    day_first = sqlite.DATE(storage_format="%(day)02d")  # type: ignore[no-untyped-call]
    assert wire_read(sa.Column("x", day_first), wire.Date()) is None

    class OwnDate(wire.Date):
        def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
            return "always"

    assert wire_read(sa.Column("x", sa.Date()), OwnDate()) is None


def test_other_databases_read_as_the_column_type_reads() -> None:
    dialect = mssql.dialect()  # type: ignore[no-untyped-call]
    numeric = 3  # a type code a driver may describe a DECIMAL column with
    for kind in (ExactDecimal(10, 2), UTCDateTime(), sa.Date()):
        reading = WireRead(kind, "decimal", 2)
        assert not reading.reads_text(dialect)
        usual = kind.dialect_impl(dialect).result_processor(dialect, numeric)
        read = reading.result_processor(dialect, numeric)
        moment = datetime(2026, 1, 2, 3, 4, 5)
        for value in (None, Decimal("2.50"), moment, date(2026, 1, 2)):
            assert _outcome(read or (lambda v: v), value) == _outcome(usual or (lambda v: v), value)


def test_the_export_reads_values_as_text_where_it_can_and_writes_them_alike(
    sample_engine: Engine,
) -> None:
    entity = REGISTRY["purchases"]
    with sample_engine.connect() as connection:
        (text, *_) = read_records(connection, entity)
        (typed, *_) = read_records(connection, entity, wire_text=False)
        dump = row_dumper(entity, connection.dialect)
        as_text = gives_text(connection.dialect)
    assert as_text  # SQLite's stored values, a server's text
    for name, kind in (
        ("unit_price", Decimal),
        ("purchase_date", date),
        ("created_at", datetime),
    ):
        assert {type(row[name]) for row in text} == {str if as_text else kind}, name
        assert {type(row[name]) for row in typed} == {kind}, name
    assert [dump(row) for row in text] == [dump(row) for row in typed]
    # The written datetime is the stored moment in UTC, microseconds when not zero.
    first = typed[0]["created_at"]
    assert dump(text[0])["created_at"] == (first.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    assert first - first.replace(microsecond=0) < timedelta(seconds=1)


def test_a_type_whose_sqlite_form_is_another_is_read_as_usual() -> None:
    # A variant storing day before month reads "2023-05-01" as 5 January, not 1 May.
    day_first = sqlite.DATE(  # type: ignore[no-untyped-call]
        storage_format="%(year)04d-%(day)02d-%(month)02d",
        regexp=r"(?P<year>\d+)-(?P<day>\d+)-(?P<month>\d+)",
    )
    reading = wire_read(sa.Column("x", sa.Date().with_variant(day_first, "sqlite")), wire.Date())
    assert reading is not None
    assert not reading.reads_text(SQLITE)
    read = reading.result_processor(SQLITE, None)
    assert read is not None
    assert read("2023-05-01") == date(2023, 1, 5)


def test_sqlite_reading_dates_itself_gives_no_text() -> None:
    # With native_datetime the driver converts dates, and the column type has no
    # processor: whatever str comes is no text of bakery_io's.
    native = sqlite.dialect(native_datetime=True)
    reading = wire_read(sa.Column("x", sa.Date()), wire.Date())
    assert reading is not None
    assert reading.reads_text(SQLITE)
    assert not reading.reads_text(native)
    assert reading.result_processor(native, None) is None


def test_a_row_read_as_text_that_marshmallow_must_dump_is_given_its_values(
    sample_engine: Engine,
) -> None:
    # A row the dumper cannot take (here: a key missing) goes to marshmallow, whose
    # fields take values, not wire text; children's values included.
    for name, missing in (("purchases", "notes"), ("production_runs", "notes")):
        entity = REGISTRY[name]
        with sample_engine.connect() as connection:
            (text, *_) = read_records(connection, entity)
            (typed, *_) = read_records(connection, entity, wire_text=False)
            dump = row_dumper(entity, connection.dialect)
        for row, typed_row in zip(text[:20], typed[:20], strict=True):
            without = {key: value for key, value in row.items() if key != missing}
            expected = schema_dump(entity.schema, typed_row, missing)
            assert dump(without) == expected
            assert missing not in expected


def schema_dump(schema: Any, row: dict[str, Any], missing: str) -> dict[str, Any]:
    """marshmallow's own dump of ``row`` without ``missing``."""
    found: dict[str, Any] = schema().dump({key: v for key, v in row.items() if key != missing})
    return found


def test_sqlite_engines_that_read_dates_differently_each_export_their_own_way(
    tmp_path: Path,
) -> None:
    # Which fields are read as text is the dialect's own: one engine reading dates
    # itself (native_datetime) must not decide it for another in the same process.
    database = tmp_path / "bakery.db"
    plain = create_engine(f"sqlite:///{database}")
    generate_sample(plain, scale=0)
    native = create_engine(
        f"sqlite:///{database}",
        native_datetime=True,
        connect_args={"detect_types": sqlite3.PARSE_DECLTYPES},
    )
    try:
        dump_all(native, tmp_path / "native", exported_at=EXPORTED_AT)
        dump_all(plain, tmp_path / "plain", exported_at=EXPORTED_AT)
        dump_all(native, tmp_path / "native-again", exported_at=EXPORTED_AT)
    finally:
        native.dispose()
        plain.dispose()
    for other in ("native", "native-again"):
        for path in (tmp_path / "plain").iterdir():
            assert (tmp_path / other / path.name).read_bytes() == path.read_bytes(), path.name
