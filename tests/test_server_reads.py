"""Reading decimals, dates and datetimes as the text a server (PostgreSQL, MariaDB)
writes, and on PostgreSQL the records of a query through one server-side cursor.

The text must give exactly what the usual way gives (psycopg's value, the column
type's processor, then the field's ``_serialize``), or be refused, so that the
chunk is read again the usual way; whatever goes wrong in a stream, the records
come once each, in order, or the error the usual reading gives. Every test here
needs PostgreSQL (``BAKERY_IO_TEST_URLS``) and skips elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.dialects import mssql, mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from bakery_io import dump_all
from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.binding.wire_reads import AsWireText, NotWireText, wire_read
from bakery_io.format import fields as wire
from bakery_io.queries import _streams, read_records, row_dumper
from bakery_io.registry import REGISTRY

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]

#: DateStyles psycopg reads; the server writes dates and datetimes as text in each.
DATESTYLES = ("ISO, MDY", "SQL, DMY", "German", "Postgres, MDY")


@pytest.fixture(scope="module")
def engine(_scratch_url: str) -> Iterator[Engine]:
    """An engine on a server database of the test session's own (tables are temporary)."""
    if _scratch_url.startswith("sqlite"):
        pytest.skip("a server's text reads")
    found = create_engine(_scratch_url)
    yield found
    found.dispose()


def _on_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _compare(
    engine: Engine,
    sql_type: str,
    column_type: Any,
    field: Any,
    stored: list[str],
    *,
    style: str = "ISO",
) -> list[bool]:
    """For each value of ``stored`` (SQL literals of ``sql_type``), whether it was read as
    text; each one so read is what the usual way writes."""
    reading = wire_read(sa.Column("v", column_type), field)
    assert reading is not None
    read = reading.result_processor(engine.dialect, None)
    assert read is not None
    table = sa.table("t", sa.column("id", sa.Integer), sa.column("v", column_type))
    as_text = []
    # MariaDB converts the text itself, and keeps zero dates when sql_mode lets it.
    value_sql = f"CAST(:v AS {sql_type})" if _on_postgresql(engine) else ":v"
    with engine.connect() as connection:
        if not _on_postgresql(engine):  # its DDL is no part of a transaction
            connection.exec_driver_sql("DROP TEMPORARY TABLE IF EXISTS t")
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE t (id serial, v {sql_type})")
        if _on_postgresql(engine):
            connection.exec_driver_sql(f"SET DateStyle TO '{style}'")
        else:
            connection.exec_driver_sql("SET SESSION sql_mode = ''")
        for value in stored:
            connection.execute(text(f"INSERT INTO t (v) VALUES ({value_sql})"), {"v": value})
        ids = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
        texts = connection.execute(
            sa.select(sa.cast(table.c.v, sa.Text)).order_by(table.c.id)
        ).scalars()
        for row, server_text in zip(ids, texts, strict=True):
            try:
                fast = read(server_text)
            except NotWireText:
                as_text.append(False)
                continue
            as_text.append(True)
            usual = connection.execute(sa.select(table.c.v).where(table.c.id == row)).scalar()
            assert fast == (None if usual is None else field._serialize(usual, "v", {})), (
                server_text
            )
        connection.rollback()
        if not _on_postgresql(engine):
            connection.exec_driver_sql("SET SESSION sql_mode = DEFAULT")
    return as_text


_decimals = st.one_of(
    st.decimals(min_value=-(10**7), max_value=10**7, places=8).map(str),
    st.integers(min_value=-(10**7), max_value=10**7).map(str),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "-0", "-0.000", "0.0001", "-1e-9", "1e5"]),
)


@settings(max_examples=60, deadline=None)
@given(
    stored=st.lists(_decimals, min_size=1, max_size=12),
    scale=st.one_of(st.integers(min_value=0, max_value=6), st.none()),
    places=st.integers(min_value=0, max_value=6),
)
@example(stored=["NaN", "Infinity", "-Infinity", "-0.000", "12.5"], scale=None, places=3)
@example(stored=["NaN", "-0.000", "12.5", "-3"], scale=3, places=3)
@example(stored=["12.5", "-0.5", "7"], scale=None, places=2)
@example(stored=["12.5", "-0.5", "7"], scale=1, places=2)
def test_a_decimals_text_reads_as_it_would_be_written(
    engine: Engine, stored: list[str], scale: int | None, places: int
) -> None:
    sql_type = "NUMERIC" if scale is None else f"NUMERIC(15, {scale})"
    if scale is not None:  # only a NUMERIC without precision holds infinity
        stored = [value for value in stored if not value.endswith("Infinity")]
    if not _on_postgresql(engine):  # MariaDB's DECIMAL holds no NaN, and has a scale
        sql_type = "DECIMAL(30, 10)" if scale is None else f"DECIMAL(15, {scale})"
        stored = [value for value in stored if value not in ("NaN", "Infinity", "-Infinity")]
    as_text = _compare(
        engine, sql_type, ExactDecimal(15, places), wire.DecimalString(15, places), stored
    )
    if scale == places:  # the column the field describes: every finite value is its text
        finite = [value not in ("NaN", "Infinity", "-Infinity") for value in stored]
        assert as_text == finite


_moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
#: By server, moments no datetime holds (and one that is), as each keeps them.
_ODD_MOMENTS = {
    "postgresql": [
        "infinity",
        "-infinity",
        "0044-03-15 12:00:00 BC",
        "10000-01-01 00:00:00",
        "0001-01-01 00:00",
    ],
    "mysql": ["0000-00-00 00:00:00", "2023-00-10 10:00:00", "2023-02-00 00:00:00"],
}
_ODD_DAYS = {
    "postgresql": ["infinity", "-infinity", "0044-03-15 BC", "10000-01-01"],
    "mysql": ["0000-00-00", "2023-00-10", "2023-02-00"],
}


def _odd(engine: Engine, table: dict[str, list[str]], picked: list[int]) -> list[str]:
    found = table["postgresql" if _on_postgresql(engine) else "mysql"]
    return [found[index % len(found)] for index in picked]


@settings(max_examples=60, deadline=None)
@given(
    moments=st.lists(_moments, min_size=1, max_size=12),
    picked=st.lists(st.integers(min_value=0, max_value=4), max_size=2),
    style=st.sampled_from(DATESTYLES),
    places=st.integers(min_value=0, max_value=6),
)
@example(moments=[datetime(2023, 5, 1, 2, 3, 4, 500000)], picked=[], style="ISO, MDY", places=6)
@example(moments=[datetime(999, 12, 31, 23, 59, 58)], picked=[0], style="German", places=3)
def test_a_datetimes_text_reads_as_it_would_be_written(
    engine: Engine, moments: list[datetime], picked: list[int], style: str, places: int
) -> None:
    odd = _odd(engine, _ODD_MOMENTS, picked)
    stored = [moment.isoformat(" ") for moment in moments] + odd
    # MariaDB's DATETIME keeps as many places of a second as it says (and rounds).
    sql_type = "TIMESTAMP" if _on_postgresql(engine) else f"DATETIME({places})"
    as_text = _compare(engine, sql_type, UTCDateTime(), wire.DateTime(), stored, style=style)
    in_iso = style.startswith("ISO") or not _on_postgresql(engine)
    assert as_text == [in_iso] * len(moments) + [
        in_iso and value.startswith("0001") for value in odd
    ]


_days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(_days, min_size=1, max_size=12),
    picked=st.lists(st.integers(min_value=0, max_value=3), max_size=2),
    style=st.sampled_from(DATESTYLES),
)
def test_a_dates_text_reads_as_it_would_be_written(
    engine: Engine, days: list[date], picked: list[int], style: str
) -> None:
    odd = _odd(engine, _ODD_DAYS, picked)
    stored = [day.isoformat() for day in days] + odd
    as_text = _compare(engine, "DATE", sa.Date(), wire.Date(), stored, style=style)
    in_iso = style.startswith("ISO") or not _on_postgresql(engine)
    assert as_text == [in_iso] * len(days) + [False] * len(odd)


def test_a_decimals_text_other_than_its_fields_is_refused() -> None:
    # Forms PostgreSQL's NUMERIC(p, 2) does not write, but a field would write otherwise.
    reading = wire_read(sa.Column("v", ExactDecimal(10, 2)), wire.DecimalString(10, 2))
    assert reading is not None
    read = reading.result_processor(POSTGRESQL, None)
    assert read is not None
    assert [read(value) for value in ("12.50", "-0.01", "0.00", None)] == [
        "12.50",
        "-0.01",
        "0.00",
        None,
    ]
    for value in ("-0.00", "-0", "007.50", "12.5", "12.500", "1.2E+3", ".50", "+1.00", "NaN"):
        with pytest.raises(NotWireText):
            read(value)


def test_a_date_or_datetimes_text_that_is_no_moment_is_refused() -> None:
    # PostgreSQL's own types hold none of these; a column that is text may.
    for kind, field, texts in (
        (sa.Date(), wire.Date(), ["2023-02-29", "0000-01-01", "2023-13-01"]),
        (
            UTCDateTime(),
            wire.DateTime(),
            ["2023-02-29 10:00:00", "2023-01-05 24:00:00", "2023-01-05 10:00:60", "2023-01-05 1"],
        ),
    ):
        reading = wire_read(sa.Column("v", kind), field)
        assert reading is not None
        read = reading.result_processor(POSTGRESQL, None)
        assert read is not None
        for value in texts:
            with pytest.raises(NotWireText):
                read(value)


@given(
    moment=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    places=st.integers(min_value=0, max_value=6),
)
def test_a_datetimes_text_reads_as_its_field_writes_it(moment: datetime, places: int) -> None:
    # A server's text with as many places as its column (MariaDB) or without the
    # fraction's trailing zeros (PostgreSQL).
    moment = moment.replace(
        microsecond=moment.microsecond // 10 ** (6 - places) * 10 ** (6 - places)
    )
    fraction = f".{moment.microsecond:06d}"[: places + 1] if places else ""
    padded = moment.isoformat(" ", "seconds") + fraction
    stripped = padded.rstrip("0").rstrip(".") if places else padded
    reading = wire_read(sa.Column("v", UTCDateTime()), wire.DateTime())
    assert reading is not None
    read = reading.result_processor(POSTGRESQL, None)
    assert read is not None
    written = wire.DateTime()._serialize(moment.replace(tzinfo=UTC), "v", {})
    assert read(padded) == read(stripped) == written


def test_the_server_writes_the_text_on_postgresql_and_mariadb_only() -> None:
    column: sa.Column[Any] = sa.Column("v", ExactDecimal(10, 2))
    reading = wire_read(column, wire.DecimalString(10, 2))
    assert reading is not None
    statement = sa.select(AsWireText(column, reading).label("v"))
    assert "CAST(v AS TEXT)" in str(statement.compile(dialect=POSTGRESQL))
    for server in (mysql.dialect(), mysql.dialect(is_mariadb=True)):
        assert "CAST(v AS CHAR)" in str(statement.compile(dialect=server))
    for other in (sqlite.dialect(), mssql.dialect()):  # type: ignore[no-untyped-call]
        assert str(statement.compile(dialect=other)).startswith("SELECT v AS v")
    # A decimal field of another scale than its column, or a variant: as usual.
    for kind, places in (
        (ExactDecimal(10, 2), 3),
        (ExactDecimal(10, 2).with_variant(sa.Float(), "sqlite"), 2),
    ):
        other_reading = wire_read(sa.Column("v", kind), wire.DecimalString(10, places))
        assert other_reading is not None
        assert not other_reading.reads_text(POSTGRESQL)


# ---------------------------------------------------------------------------
# Whole exports: the same files whatever way the records were read.


@pytest.fixture
def postgresql_sample(sample_engine: Engine) -> Engine:
    if sample_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's text reads and server-side cursors")
    return sample_engine


ENTITIES = ["purchases", "inventory_items", "production_runs", "events"]


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _export(bind: Engine | Connection, path: Path) -> dict[str, bytes]:
    dump_all(bind, path, entities=ENTITIES, exported_at=EXPORTED_AT)
    return _files(path)


@pytest.mark.parametrize("style", DATESTYLES[1:])
def test_an_export_in_another_datestyle_writes_the_same_files(
    postgresql_sample: Engine, tmp_path: Path, style: str
) -> None:
    expected = _export(postgresql_sample, tmp_path / "iso")
    with postgresql_sample.connect() as connection:
        connection.exec_driver_sql(f"SET DateStyle TO '{style}'")
        try:
            assert _export(connection, tmp_path / "other") == expected
        finally:
            connection.exec_driver_sql("RESET DateStyle")


def test_an_export_without_a_transaction_reads_by_key_and_writes_the_same_files(
    postgresql_sample: Engine, tmp_path: Path
) -> None:
    expected = _export(postgresql_sample, tmp_path / "usual")
    with postgresql_sample.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        assert not _streams(connection)  # a server-side cursor needs a transaction
        assert _export(connection, tmp_path / "autocommit") == expected
    with postgresql_sample.connect() as connection:
        assert _streams(connection)


def _read_all(connection: Connection, name: str, **options: Any) -> list[dict[str, Any]]:
    entity = REGISTRY[name]
    dump = row_dumper(entity, connection.dialect)
    return [dump(row) for chunk in read_records(connection, entity, **options) for row in chunk]


def test_a_stream_that_stops_reading_text_goes_on_by_key_from_its_last_record(
    postgresql_sample: Engine,
) -> None:
    # The DateStyle changed between two chunks of one stream: the rest is read by key,
    # the usual way, and every record comes once, in order.
    entity = REGISTRY["purchases"]
    with postgresql_sample.connect() as connection:
        expected = _read_all(connection, "purchases", wire_text=False)
        dump = row_dumper(entity, connection.dialect)
        chunks = read_records(connection, entity, chunk_size=7)
        found = [dump(row) for row in next(chunks)]
        connection.exec_driver_sql("SET DateStyle TO 'German'")
        try:
            found += [dump(row) for chunk in chunks for row in chunk]
        finally:
            connection.exec_driver_sql("RESET DateStyle")
    assert len(expected) > 14
    assert found == expected


def test_the_cursors_planning_setting_is_left_as_the_caller_had_it(
    postgresql_sample: Engine, tmp_path: Path
) -> None:
    with postgresql_sample.connect() as connection:
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 0.3")
        dump_all(connection, tmp_path / "backup", entities=["purchases"])
        assert connection.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "0.3"
        connection.rollback()
        assert connection.exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "0.1"


def test_a_date_column_that_is_text_in_the_database_is_still_refused_where_it_holds_no_date(
    postgresql_sample: Engine, tmp_path: Path
) -> None:
    # A host's column declared a date may be text in the database (bakery_io's own
    # tables are refused before: their column types are checked): its text passes for
    # wire text neither read as text nor read the usual way, and the field refuses it.
    for stored, written in (("2026-02-30", None), ("hello", None), ("2026-02-03", "2026-02-03")):
        with postgresql_sample.connect() as connection:
            key, row = connection.execute(
                text("SELECT uuid, id FROM purchases ORDER BY uuid LIMIT 1 OFFSET 3")
            ).one()
            connection.execute(text("ALTER TABLE purchases ALTER purchase_date TYPE text"))
            connection.execute(
                text("UPDATE purchases SET purchase_date = :stored WHERE id = :row"),
                {"stored": stored, "row": row},
            )
            try:
                if written is None:
                    with pytest.raises(ValueError, match="is not a date"):
                        _read_all(connection, "purchases")
                else:
                    found = {item["uuid"]: item for item in _read_all(connection, "purchases")}
                    assert found[key]["purchase_date"] == written
            finally:
                connection.rollback()


def test_an_error_the_server_raises_while_reading_is_the_one_said(
    postgresql_sample: Engine, tmp_path: Path
) -> None:
    # After the server refused a command, the transaction takes no more: the stream
    # does not read on by key (which would only say so), it raises the server's error.
    role = f"bakery_io_test_reader_{uuid.uuid4().hex[:8]}"
    with postgresql_sample.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role}")
        connection.commit()
        try:
            connection.exec_driver_sql(f"SET LOCAL ROLE {role}")
            with pytest.raises(DBAPIError) as caught:
                _read_all(connection, "purchases")
            connection.rollback()
        finally:
            connection.exec_driver_sql(f"DROP ROLE {role}")
            connection.commit()
    assert "permission denied for table purchases" in str(caught.value)
