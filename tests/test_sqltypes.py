"""ExactDecimal and UTCDateTime store exactly what they are given, or refuse it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from bakery_io.binding.sqltypes import AsFoundDecimal, ExactDecimal, UTCDateTime

DIALECT = sqlite.dialect()
PRICE = ExactDecimal(10, 4)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (Decimal("4.25"), Decimal("4.2500")),
        (Decimal("0"), Decimal("0.0000")),
        (Decimal("-999999.9999"), Decimal("-999999.9999")),
        (Decimal("1.50000"), Decimal("1.5000")),  # extra zeros lose nothing
        (7, Decimal("7.0000")),
        (None, None),
    ],
)
def test_decimal_accepts_what_fits(value: Any, stored: Decimal | None) -> None:
    result = PRICE.process_bind_param(value, DIALECT)
    assert result == stored
    if stored is not None:
        assert str(result) == str(stored)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (Decimal("1.23456"), ValueError, "more than 4 decimal places"),
        (Decimal("1000000"), ValueError, "at most 6 digits before the point"),
        (Decimal("NaN"), ValueError, "not a finite"),
        (Decimal("Infinity"), ValueError, "not a finite"),
        (0.1, TypeError, "expected a Decimal, got float"),
        ("4.25", TypeError, "expected a Decimal, got str"),
        (True, TypeError, "expected a Decimal, got bool"),
    ],
)
def test_decimal_refuses_what_would_be_rounded_or_guessed(
    value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        PRICE.process_bind_param(value, DIALECT)


@pytest.mark.parametrize(("precision", "scale"), [(16, 4), (4, 5), (5, -1)])
def test_decimal_sizes_are_limited_to_what_every_backend_holds(precision: int, scale: int) -> None:
    with pytest.raises(ValueError, match="unsupported decimal size"):
        ExactDecimal(precision, scale)


def test_datetime_refuses_naive_values() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1, 12), DIALECT)
    with pytest.raises(TypeError, match="expected a datetime"):
        UTCDateTime().process_bind_param("2026-01-01T12:00:00Z", DIALECT)


def test_datetime_converts_other_zones_to_utc() -> None:
    local = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-5)))
    stored = UTCDateTime().process_bind_param(local, DIALECT)
    assert stored == datetime(2026, 3, 1, 14, 30, 0, 123456)
    assert UTCDateTime().process_result_value(stored, DIALECT) == local


# --- through real databases -------------------------------------------------------------------

probe_metadata = MetaData()
PROBE = Table(
    "bakery_io_type_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True),
    Column("wide", ExactDecimal(14, 4)),
    Column("narrow", ExactDecimal(10, 3)),
    Column("percent", ExactDecimal(5, 2)),
    Column("at", UTCDateTime()),
)


def fitting(precision: int, scale: int) -> st.SearchStrategy[Decimal]:
    limit = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    return st.decimals(min_value=-limit, max_value=limit, places=scale, allow_nan=False)


rows = st.lists(
    st.fixed_dictionaries(
        {
            "wide": fitting(14, 4),
            "narrow": fitting(10, 3),
            "percent": fitting(5, 2),
            "at": st.datetimes(
                min_value=datetime(1970, 1, 2),
                max_value=datetime(9999, 12, 30),
                timezones=st.just(UTC),
            ),
        }
    ),
    min_size=1,
    max_size=50,
)


@pytest.fixture
def probe_engine(empty_engine: Engine) -> Iterator[Engine]:
    probe_metadata.create_all(empty_engine)
    yield empty_engine
    probe_metadata.drop_all(empty_engine)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=rows)
def test_values_round_trip_exactly_through_the_database(
    probe_engine: Engine, values: list[dict[str, Any]]
) -> None:
    with probe_engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(insert(PROBE), values)
            stored = (
                connection.execute(
                    select(PROBE.c.wide, PROBE.c.narrow, PROBE.c.percent, PROBE.c.at).order_by(
                        PROBE.c.id
                    )
                )
                .mappings()
                .all()
            )
        finally:
            transaction.rollback()
    assert [dict(row) for row in stored] == values
    assert [str(row["wide"]) for row in stored] == [str(v["wide"]) for v in values]


def test_database_write_refuses_rounding(probe_engine: Engine) -> None:
    with (
        probe_engine.connect() as connection,
        pytest.raises(StatementError, match="decimal places"),
    ):
        connection.execute(insert(PROBE), {"narrow": Decimal("1.2345")})


@pytest.mark.parametrize("text", ["1.23456", "1000000.5", "-0.00001"])
def test_sqlite_takes_back_a_decimal_as_found_that_its_real_keeps(text: str) -> None:
    # What SQLite itself held beyond the column (a backup's exception): nothing is lost.
    assert PRICE.process_bind_param(AsFoundDecimal(text), DIALECT) == Decimal(text)
    with pytest.raises(ValueError, match=r"more than 4 decimal places|digits before"):
        PRICE.process_bind_param(Decimal(text), DIALECT)  # any other decimal: refused


@pytest.mark.parametrize("text", ["1.234567890123456789", "0.1000000000000000055"])
def test_a_decimal_as_found_that_a_real_would_change_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="more than 4 decimal places"):
        PRICE.process_bind_param(AsFoundDecimal(text), DIALECT)


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7))])),
)
def test_sqlite_stores_a_datetime_as_sqlalchemys_datetime_would(moment: datetime) -> None:
    # UTCDateTime writes SQLite's text itself (faster): it is SQLAlchemy's, to the character.
    dialect = sqlite.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    usual = sqlite.DATETIME().bind_processor(dialect)  # type: ignore[no-untyped-call]
    assert bind is not None
    assert usual is not None
    try:
        naive = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # outside the years a datetime holds, once in UTC
        with pytest.raises(OverflowError):
            bind(moment)
        return
    assert bind(moment) == usual(naive)
    assert bind(None) is None


class _OwnText(datetime):
    """A datetime that writes itself otherwise (as pandas' Timestamp may)."""

    def isoformat(self, *args: Any, **kwargs: Any) -> str:
        return "its own text"


def test_sqlite_stores_a_datetime_subclass_as_sqlalchemy_does() -> None:
    dialect = sqlite.dialect()
    bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert bind is not None
    moment = _OwnText(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert bind(moment) == "2020-01-02 03:04:05.000000"
