"""Writing checked values without the column type's checks (``bakery_io.binding.checked_binds``).

For every value a field loads, the checked expression must give exactly what
the column type's bind processor gives (value and type), on every dialect;
every other value must still meet the processor, refusals included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Dialect
from sqlalchemy.dialects import mssql, mysql, sqlite
from sqlalchemy.dialects.postgresql import psycopg

from bakery_io.binding.checked_binds import SCOPE, checked_bind
from bakery_io.binding.sqltypes import AsFoundDecimal, ExactDecimal, UTCDateTime
from bakery_io.format import fields as wire

POSTGRESQL: Dialect = psycopg.dialect()  # type: ignore[no-untyped-call]
MSSQL: Dialect = mssql.dialect()  # type: ignore[no-untyped-call]
DIALECTS = [sqlite.dialect(), POSTGRESQL, mysql.dialect(), MSSQL]
IDS = ["sqlite", "postgresql", "mysql", "mssql"]


def _written(column: Column[Any], field: Any, dialect: Dialect, value: Any) -> Any:
    """What the checked expression writes for ``value`` (None where it does not apply)."""
    checked = checked_bind(column, field, dialect)
    assert checked is not None
    scope = {**SCOPE, "value": value}
    if not eval(checked.test.format(first="value", v="value"), scope):
        return None
    return eval(checked.write.format(v="value"), scope)


def _processed(column: Column[Any], dialect: Dialect, value: Any) -> Any:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def _same(column: Column[Any], field: Any, dialect: Dialect, value: Any) -> None:
    written, processed = _written(column, field, dialect, value), _processed(column, dialect, value)
    assert (type(written), written) == (type(processed), processed), value


@pytest.mark.parametrize("dialect", DIALECTS, ids=IDS)
@given(st.data())
def test_a_decimal_the_field_loads_is_written_as_the_column_writes_it(
    dialect: Dialect, data: st.DataObject
) -> None:
    precision = data.draw(st.integers(1, 15))
    places = data.draw(st.integers(0, precision))
    field = wire.DecimalString(precision=precision, places=places)
    column: Column[Any] = Column("x", ExactDecimal(precision, places))
    number = data.draw(st.integers(-(10**precision) + 1, 10**precision - 1))
    text = format(Decimal(number).scaleb(-places), "f")
    value = field._deserialize(text, "x", {})
    assert type(value) is Decimal
    _same(column, field, dialect, value)


@pytest.mark.parametrize("dialect", DIALECTS, ids=IDS)
@given(moment=st.datetimes(timezones=st.just(UTC)))
def test_a_utc_datetime_is_written_as_the_column_writes_it(
    dialect: Dialect, moment: datetime
) -> None:
    column: Column[Any] = Column("x", UTCDateTime())
    _same(column, wire.DateTime(), dialect, moment)


@given(day=st.dates())
def test_a_date_is_written_as_sqlite_writes_it(day: date) -> None:
    column: Column[Any] = Column("x", sa.Date())
    _same(column, wire.Date(), sqlite.dialect(), day)


@pytest.mark.parametrize("dialect", DIALECTS, ids=IDS)
def test_other_values_meet_the_column_types_checks(dialect: Dialect) -> None:
    column: Column[Any] = Column("x", ExactDecimal(5, 2))
    field = wire.DecimalString(precision=5, places=2)
    values: tuple[Any, ...] = (AsFoundDecimal("1.234"), 1, None)
    for value in values:
        assert _written(column, field, dialect, value) is None
    moments: Column[Any] = Column("y", UTCDateTime())
    east = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    for value in (east, datetime(2026, 1, 1, 12), None):
        assert _written(moments, wire.DateTime(), dialect, value) is None


def test_columns_the_field_does_not_guarantee_keep_their_checks() -> None:
    dialect = sqlite.dialect()
    field = wire.DecimalString(precision=5, places=2)
    for kind in (ExactDecimal(5, 3), ExactDecimal(4, 2), sa.Numeric(5, 2)):
        assert checked_bind(Column("x", kind), field, dialect) is None
    varied = ExactDecimal(5, 2).with_variant(sa.Numeric(5, 2), "sqlite")
    assert checked_bind(Column("x", varied), field, dialect) is None
    assert checked_bind(Column("x", ExactDecimal(5, 2)), wire.DateTime(), dialect) is None
    assert checked_bind(Column("x", sa.DateTime()), wire.DateTime(), dialect) is None
    # A date needs nothing on the servers: their drivers take the date itself.
    assert checked_bind(Column("x", sa.Date()), wire.Date(), POSTGRESQL) is None
    # A wider column than the field: every value of the field fits it.
    assert checked_bind(Column("x", ExactDecimal(8, 2)), field, dialect) is not None
