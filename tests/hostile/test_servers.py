"""A few hostile inputs on PostgreSQL and MariaDB (servers in BAKERY_IO_TEST_URLS): a
refused load leaves a database that holds data exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakery_io import BakeryIOError, create_schema, drop_schema, engine_from_url, load_all
from tests.conftest import _server_urls, database_url
from tests.hostile.invariants import snapshot
from tests.hostile.mutations import Pristine, all_cases

#: Case families whose refusal depends on the database: rules across records, keys,
#: values a server stores differently (a lone surrogate, NaN), duplicate keys.
FAMILIES = (
    "cross-dangling-ingredient",
    "cross-recipes-nested-5-deep",
    "cross-duplicate-ingredient-key",
    "schema-bad-uuid",
    "schema-huge-integer",
    "json-lone-surrogate",
    "json-nan",
    "json-duplicate-key",
)
CASES = [
    case for case in all_cases() if any(case.id.rsplit("-", 1)[0] == family for family in FAMILIES)
]


def test_the_server_cases_are_found() -> None:
    """Each family names a case (a renamed case must not silently drop out)."""
    assert len(CASES) == len(FAMILIES)


@pytest.mark.parametrize("server", _server_urls())
def test_a_refused_load_leaves_a_server_database_as_it_was(
    server: str, pristine: Pristine, held: Path, tmp_path: Path
) -> None:
    """Each case into one database holding rows: refused, and every row as it was."""
    with database_url(server, tmp_path, "hostile") as url:
        engine = engine_from_url(url)
        try:
            create_schema(engine)
            load_all(engine, held)
            before = snapshot(engine)
            accepted = []
            for case in CASES:
                path = case.build(pristine, tmp_path / case.id)
                try:
                    load_all(engine, path)
                except BakeryIOError:
                    assert snapshot(engine) == before, f"{case.id}: a refused load changed rows"
                else:
                    accepted.append(case.id)
                    # Back to the rows the next case starts from.
                    drop_schema(engine)
                    create_schema(engine)
                    load_all(engine, held)
            assert not accepted, f"loaded on {engine.dialect.name}: {accepted}"
        finally:
            engine.dispose()
