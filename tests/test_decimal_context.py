"""bakery_io uses a decimal context of its own: the caller's thread context changes nothing.

A host application may lower the precision of its decimal context or trap
``Inexact`` and ``Rounded``; every operation gives the same results under such
a context as under Python's default one, and raises nothing it would not.
"""

from __future__ import annotations

import decimal
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bakery_io import (
    create_schema,
    dump_all,
    engine_from_url,
    generate_sample,
    load_all,
    upgrade,
    validate,
)
from bakery_io.binding.sqltypes import ExactDecimal
from bakery_io.format.fields import DecimalString

EXPORTED_AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LEGACY = Path(__file__).parent / "golden" / "1.0" / "full-backup" / "input"


@contextmanager
def hostile() -> Iterator[None]:
    """A thread context with 5 digits of precision that traps every rounding."""
    context = decimal.Context(
        prec=5, traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Rounded]
    )
    with decimal.localcontext(context):
        yield


def files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path, with its bytes."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def both(run: Callable[[Path], Any], tmp_path: Path) -> tuple[Any, Any]:
    """``run`` in a fresh directory under the default context, then under the hostile one."""
    (tmp_path / "default").mkdir()
    (tmp_path / "hostile").mkdir()
    expected = run(tmp_path / "default")
    with hostile():
        got = run(tmp_path / "hostile")
    return expected, got


def test_generate_sample_and_dump_all_ignore_the_callers_context(tmp_path: Path) -> None:
    def run(directory: Path) -> dict[str, bytes]:
        engine = engine_from_url(f"sqlite:///{directory / 'sample.db'}")
        generate_sample(engine, scale=0, seed=5)
        dump_all(engine, directory / "backup", exported_at=EXPORTED_AT)
        engine.dispose()
        return files(directory / "backup")

    expected, got = both(run, tmp_path)
    assert got == expected
    assert any(b'"999999.9999"' in data for data in got.values())  # a wide value went through


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the sample's catalog (scale 0: small, with every kind of decimal)."""
    directory = tmp_path_factory.mktemp("catalog")
    engine = engine_from_url(f"sqlite:///{directory / 'catalog.db'}")
    generate_sample(engine, scale=0)
    dump_all(engine, directory / "backup", exported_at=EXPORTED_AT)
    engine.dispose()
    return directory / "backup"


def test_load_all_validate_and_upgrade_ignore_the_callers_context(
    catalog: Path, tmp_path: Path
) -> None:
    def run(directory: Path) -> tuple[Any, ...]:
        engine = engine_from_url(f"sqlite:///{directory / 'loaded.db'}")
        create_schema(engine)
        report = load_all(engine, catalog)
        dump_all(engine, directory / "again", exported_at=EXPORTED_AT)
        engine.dispose()
        upgraded = upgrade(LEGACY, directory / "upgraded")
        checked = validate(catalog).to_dict()
        legacy = validate(LEGACY).to_dict()
        return (
            report.counts,
            files(directory / "again"),
            upgraded.records,
            files(directory / "upgraded"),
            checked,
            legacy,
        )

    expected, got = both(run, tmp_path)
    assert got == expected
    assert expected[4]["problems"] == []


def test_an_invalid_backup_is_explained_the_same_way(catalog: Path, tmp_path: Path) -> None:
    def run(directory: Path) -> Any:
        copy = shutil.copytree(catalog, directory / "backup")
        products = copy / "03_products.json"
        text = products.read_text()
        # Too many digits before the point: the explanation computes 10 ** digits.
        first = text.index('"package_unit_quantity": "') + len('"package_unit_quantity": "')
        end = text.index('"', first)
        products.write_text(text[:first] + "123456789012.5" + text[end:])
        return [(problem.pointer, problem.message) for problem in validate(copy).problems]

    expected, got = both(run, tmp_path)
    assert got == expected
    assert "too large" in str(expected)


def test_fields_and_column_types_ignore_the_callers_context() -> None:
    field = DecimalString(14, 4)
    column = ExactDecimal(14, 4)
    with hostile():
        assert field._serialize(Decimal("1234567890.25"), "x", None) == "1234567890.2500"
        assert field.load_valid("1234567890.25", None, None) == Decimal("1234567890.2500")
        assert column.process_bind_param(Decimal("1234567890.25"), None) == Decimal(  # type: ignore[arg-type]
            "1234567890.25"
        )
        assert field.explain("12345678901.5") == (
            "12345678901.5 is too large: at most 10 digits before the point"
        )


def test_the_hostile_context_is_hostile() -> None:
    """The context the tests run under does trap what bakery_io must not do in it."""
    with hostile(), pytest.raises(decimal.Inexact):
        Decimal(1) / 3
