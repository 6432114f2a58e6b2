"""bake-tracker's own models hold a backup: load through the binding, dump, same bytes.

The app's tables (:mod:`tests.hosts.bake_tracker.models`, copied from the app)
are created on SQLite; a stock core backup of the entity types they can hold
is loaded into them through :data:`~tests.hosts.bake_tracker.binding.BAKE_TRACKER`
and dumped again through it: every file is byte-identical to the stock one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine, create_engine, select, update
from sqlalchemy.orm import Session

from bakery_io import (
    REGISTRY,
    UsageError,
    dump_all,
    generate_sample,
    load_all,
)
from bakery_io.binding.models import Ingredient
from bakery_io.format.fields import DecimalString
from bakery_io.format.schemas import IngredientSchema
from tests.hosts.bake_tracker import models as app
from tests.hosts.bake_tracker.binding import BAKE_TRACKER, ENTITY_TYPES

EXPORTED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def stock_backup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stock backup of the types the app holds, written from bakery_io's own tables."""
    work = tmp_path_factory.mktemp("bake_tracker_stock")
    engine = create_engine(f"sqlite:///{work / 'stock.db'}")
    try:
        generate_sample(engine, scale=0)
        with engine.begin() as connection:
            # The app requires a category of every ingredient, the format does not.
            nameless = Ingredient.category.is_(None)
            connection.execute(update(Ingredient).where(nameless).values(category="uncategorized"))
        dump_all(engine, work / "backup", entities=ENTITY_TYPES, exported_at=EXPORTED_AT)
    finally:
        engine.dispose()
    return work / "backup"


@pytest.fixture
def app_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty SQLite database with the app's tables, created from the app's own metadata."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bake_tracker.db'}")
    app.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_backup_round_trips_through_the_apps_tables(
    stock_backup: Path, app_engine: Engine, tmp_path: Path
) -> None:
    report = load_all(app_engine, stock_backup, registry=BAKE_TRACKER)
    assert tuple(report.counts) == ENTITY_TYPES
    assert all(counts.created == counts.total > 0 for counts in report.counts.values())
    dump_all(
        app_engine,
        tmp_path / "again",
        entities=ENTITY_TYPES,
        exported_at=EXPORTED_AT,
        registry=BAKE_TRACKER,
    )
    names = sorted(path.name for path in stock_backup.iterdir())
    assert sorted(path.name for path in (tmp_path / "again").iterdir()) == names
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (stock_backup / name).read_bytes(), name


def test_references_are_the_apps_own_ids(stock_backup: Path, app_engine: Engine) -> None:
    load_all(app_engine, stock_backup, registry=BAKE_TRACKER)
    (materials,) = stock_backup.glob("*_materials.json")
    written = {
        record["slug"]: record["subcategory_slug"]
        for record in json.loads(materials.read_text(encoding="utf-8"))["records"]
    }
    with Session(app_engine) as session:
        stored: dict[str, str] = dict(
            session.execute(
                select(app.Material.slug, app.MaterialSubcategory.slug).join(
                    app.MaterialSubcategory,
                    app.Material.subcategory_id == app.MaterialSubcategory.id,
                )
            ).all()
        )
    assert stored == written


def test_a_decimal_wider_than_a_double_is_refused_in_a_float_column() -> None:
    class Wide(IngredientSchema):
        class Meta:
            model = app.Ingredient
            attributes: ClassVar[dict[str, str]] = {"parent_slug": "parent_ingredient_id"}

    wide = Wide._declared_fields["density_volume_value"]
    assert isinstance(wide, DecimalString)
    wide.precision = 16
    with pytest.raises(UsageError, match="cannot hold exactly; use a Numeric"):
        REGISTRY.derive(bind=[Wide], only=["ingredients"])
