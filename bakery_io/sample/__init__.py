"""A realistic, deterministic sample bakery database to try bakery_io on.

:func:`generate_sample` writes a fixed catalog (suppliers, an ingredient tree,
products, about twenty recipes with variants and sub-recipes, the materials
chain, finished goods, recipients, packages and events) and ``scale`` blocks of
history (purchases, inventory lots, production and assembly runs, depletions):
about 5,000 rows at scale 1 and about a million at scale 200.

The data is made to exercise the edges a round trip can break on: every enum
value, every nullable column both null and set, zero prices, non-ASCII text
and emoji, empty child lists, and, in one *edge record* per table and decimal
column, the largest value the column holds at full precision.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from sqlalchemy import Connection, Table, exists, select, text

from bakery_io.binding.database import (
    Bind,
    create_schema,
    describe,
    drop_schema,
    transaction,
)
from bakery_io.binding.models import metadata
from bakery_io.binding.sqltypes import ExactDecimal
from bakery_io.errors import DatabaseStateError, UsageError
from bakery_io.format.decimals import CONTEXT
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.sample.catalog import build_catalog
from bakery_io.sample.history import history_blocks
from bakery_io.sample.rows import Batch, Row, RowFactory

__all__ = ["SampleReport", "generate_sample"]

# Upper bounds that a column's CHECK sets below its precision's limit.
_DECIMAL_CEILINGS = {"batch_percentage": Decimal("100.00")}
_log = logging.getLogger(__name__)
_CHUNK_ROWS = 5_000
_CATALOG_SEED = "bakery_io sample catalog"


@dataclass(frozen=True)
class SampleReport:
    """What :func:`generate_sample` wrote: rows per table, in dependency order."""

    scale: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def generate_sample(
    bind: Bind,
    *,
    scale: int = 1,
    seed: int = 1,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> SampleReport:
    """Fill the bakery_io tables of ``bind`` with sample data; the same seed gives the same rows.

    The catalog is the same for every seed; the seed varies the history, whose
    size is proportional to ``scale`` (0 writes the catalog alone).

    Creates the tables that are missing. The tables must be empty, unless
    ``replace`` is true: then bakery_io's tables (and no others) are dropped
    and created anew. Everything is written in one transaction.

    Raises :class:`~bakery_io.errors.UsageError` for a negative scale and
    :class:`~bakery_io.errors.DatabaseStateError` when the tables hold rows.

    ``progress`` is called with :class:`~bakery_io.Progress` events of job
    ``"sample"``, step ``"generating"``, for each chunk of rows inserted (unit
    ``"rows"``, of every table); the
    total is not known in advance (``None``).
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 0:
        raise UsageError(f"scale must be a whole number >= 0, got {scale!r}")
    # The sample's arithmetic, whatever the caller's decimal context: the same rows.
    with localcontext(CONTEXT), transaction(bind) as connection:
        if replace:
            # drop_schema, not metadata.drop_all: a host's table of the same name
            # (its events) is refused, not dropped.
            drop_schema(connection)
        create_schema(connection)
        _require_empty(connection, describe(bind))
        # The catalog is the same bakery whatever the seed; the seed varies its history.
        catalog_rows = RowFactory(random.Random(_CATALOG_SEED))
        history_rows = RowFactory(random.Random(f"bakery_io sample history {seed}"))
        tracker = Tracker(progress, "sample")
        tracker.start("generating", None, unit="rows")
        writer = _Writer(connection, tracker)
        catalog = build_catalog(catalog_rows)
        writer.write(_with_edge_values(catalog.rows))
        for number, block in enumerate(history_blocks(catalog, history_rows, scale)):
            writer.write(_with_edge_values(block) if number == 0 else block)
        _advance_sequences(connection, catalog_rows.last_ids() | history_rows.last_ids())
        report = SampleReport(scale=scale, seed=seed, rows=writer.counts())
        tracker.finish()
    _log.info("sample: wrote %d rows (scale %d, seed %d)", report.total, scale, seed)
    return report


def _require_empty(connection: Connection, url: str) -> None:
    filled = [
        table.name
        for table in metadata.tables.values()
        if connection.execute(select(exists().select_from(table))).scalar()
    ]
    if filled:
        shown = ", ".join(filled[:3]) + (", …" if len(filled) > 3 else "")
        raise DatabaseStateError(
            f"{url} already holds bakery data in {len(filled)} tables ({shown}); "
            "sample data goes into empty tables only",
            url=url,
            reason="not empty",
            tables=filled,
        )


def _with_edge_values(batch: Batch) -> Batch:
    """Give one row per decimal column the column's widest value (e.g. 999999.9999)."""
    for name, rows in batch.items():
        for column in metadata.tables[name].columns:
            kind = column.type
            if not isinstance(kind, ExactDecimal):
                continue
            widest = Decimal(10) ** (kind.precision - kind.scale) - Decimal(1).scaleb(-kind.scale)
            value = min(widest, _DECIMAL_CEILINGS.get(column.name, widest))
            holder = next((row for row in reversed(rows) if row[column.name] is not None), None)
            if holder is not None:
                holder[column.name] = value
    return batch


def _advance_sequences(connection: Connection, last_ids: dict[str, int]) -> None:
    # Rows were written with explicit ids; PostgreSQL's sequences must catch up.
    if connection.dialect.name != "postgresql":
        return
    for table, last_id in last_ids.items():
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last_id)"),
            {"table": table, "last_id": last_id},
        )


class _Writer:
    """Bulk-inserts batches in dependency order, in chunks, and counts what it wrote."""

    def __init__(self, connection: Connection, tracker: Tracker) -> None:
        self.connection = connection
        self.tracker = tracker
        self._counts = dict.fromkeys(metadata.tables, 0)

    def write(self, batch: Batch) -> None:
        unknown = set(batch) - set(metadata.tables)
        if unknown:
            raise ValueError(f"sample rows for unknown tables: {sorted(unknown)}")
        for table in metadata.sorted_tables:
            rows = batch.get(table.name)
            if rows:
                self._insert(table, rows)

    def _insert(self, table: Table, rows: list[Row]) -> None:
        columns = [column.name for column in table.columns]
        expected = set(columns)
        for start in range(0, len(rows), _CHUNK_ROWS):
            chunk = rows[start : start + _CHUNK_ROWS]
            for row in chunk:
                if row.keys() != expected:
                    raise ValueError(_describe_mismatch(table.name, row, expected))
            self.connection.execute(table.insert(), chunk)
            self.tracker.advance(len(chunk), table.name)
        self._counts[table.name] += len(rows)

    def counts(self) -> dict[str, int]:
        return dict(self._counts)  # in model definition order, which is the domain's


def _describe_mismatch(table: str, row: Row, expected: Iterable[str]) -> str:
    missing = sorted(set(expected) - row.keys())
    extra = sorted(row.keys() - set(expected))
    return f"sample row for {table} (id {row.get('id')}): missing {missing}, unknown {extra}"
