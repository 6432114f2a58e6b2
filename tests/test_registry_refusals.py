"""What a host may not declare: each mistake is a UsageError that says what to change.

And what a host's tables keep: an update from a backup without the host's
extension leaves the extension's values as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bakery_io import (
    REGISTRY,
    Extension,
    UsageError,
    create_schema,
    dump_all,
    engine_from_url,
    load_all,
)
from bakery_io.cli import main
from bakery_io.format import fields
from bakery_io.format.schemas import EntitySchema, RecipeIngredientSchema, SupplierSchema
from tests.hosts.acme import ACME, ACME_REGISTRY, PantryItem, Vendor, VendorSchema
from tests.test_host_children import FormulaLine, FormulaSchema, PantrySchema

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class _Base(DeclarativeBase):
    metadata = MetaData()


class Keyless(_Base):
    """An extension model with neither slug nor uuid."""

    __tablename__ = "keyless"
    keyless_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20))


class KeylessSchema(EntitySchema):
    class Meta(EntitySchema.Meta):
        model = Keyless
        entity_type = "acme:keyless"


def test_an_extension_type_without_a_natural_key_is_refused() -> None:
    with pytest.raises(UsageError, match="the natural key of acme:keyless names no field uuid"):
        REGISTRY.derive(extensions=[Extension("acme", "1", types=[KeylessSchema])])


def test_two_fields_on_one_column_are_refused() -> None:
    class Doubled(SupplierSchema):
        class Meta:
            model = Vendor
            attributes: ClassVar[dict[str, str]] = {
                "name": "vendor_name",
                "supplier_type": "kind",
                "city": "notes",
            }

    with pytest.raises(UsageError, match="which another field holds already"):
        REGISTRY.derive(bind=[Doubled], only=["suppliers"])


def test_a_model_that_is_no_mapped_class_is_refused() -> None:
    table = Table("loose", MetaData(), Column("id", Integer, primary_key=True))

    class Loose(SupplierSchema):
        class Meta:
            model = table

    with pytest.raises(UsageError, match=r"Meta\.model must be a mapped SQLAlchemy model class"):
        REGISTRY.derive(bind=[Loose], only=["suppliers"])


@pytest.mark.parametrize("option", ["load_instance", "include_fk", "sqla_session", "table"])
def test_an_option_of_marshmallow_sqlalchemy_is_refused_not_ignored(option: str) -> None:
    # bakery_io's schemas were marshmallow-sqlalchemy's once; such an option now means
    # nothing, and a schema that silently loaded no instances would surprise its author.
    meta = type("Meta", (SupplierSchema.Meta,), {option: True})
    with pytest.raises(UsageError, match=f"Meta names {option}: options of marshmallow-sqlalchemy"):
        type("Loading", (SupplierSchema,), {"Meta": meta})


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"bind": [Vendor]}, "bind is a list of binding schemas"),
        ({"bind": "suppliers"}, "bind is a list of binding schemas"),
        ({"extensions": ["acme"]}, "extensions is a list of Extension values"),
        ({"only": "suppliers"}, "only is a list of entity type names"),
        ({"bind": [VendorSchema, VendorSchema]}, "suppliers is bound twice"),
    ],
)
def test_derive_names_what_is_wrong_with_its_arguments(
    arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        REGISTRY.derive(**arguments)


def test_a_field_a_child_binding_adds_follows_the_extension_rules() -> None:
    class Lined(RecipeIngredientSchema):
        extra = fields.String(allow_none=True, load_default=None)

        class Meta:
            model = FormulaLine
            attributes: ClassVar[dict[str, str]] = {"ingredient_slug": "pantry_id"}

    class Recipes(FormulaSchema):
        ingredients = fields.Children(Lined, attribute="lines")

    with pytest.raises(UsageError, match=r"field extra is not part of the format"):
        REGISTRY.derive(bind=[PantrySchema, Recipes], only=["ingredients", "recipes"])


def test_children_left_in_the_formats_tables_under_a_hosts_parent_are_refused() -> None:
    class Unbound(FormulaSchema):
        ingredients = fields.Children(RecipeIngredientSchema, attribute="lines")

    with pytest.raises(UsageError, match="declare ingredients = Children"):
        REGISTRY.derive(bind=[PantrySchema, Unbound], only=["ingredients", "recipes"])


@pytest.fixture
def acme_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'acme.db'}")
    create_schema(engine, registry=ACME_REGISTRY)
    yield engine
    engine.dispose()


def test_an_update_from_a_backup_without_the_extension_keeps_its_values(
    acme_engine: Engine, sample_engine: Engine, tmp_path: Path
) -> None:
    core = tmp_path / "core"
    dump_all(
        sample_engine,
        core,
        entities=["suppliers", "ingredients", "products", "recipients"],
        exported_at=MOMENT,
    )
    load_all(acme_engine, core, registry=ACME_REGISTRY)
    with Session(acme_engine) as session, session.begin():
        first = session.scalars(select(PantryItem).order_by(PantryItem.slug)).first()
        assert first is not None
        session.execute(
            update(PantryItem)
            .where(PantryItem.item_id == first.item_id)
            .values(allergen_notes="contains nuts")
        )
    for mode in ("skip", "update"):
        report = load_all(acme_engine, core, on_conflict=mode, registry=ACME_REGISTRY)
        assert report.total.unchanged == report.total.total, mode
    with Session(acme_engine) as session:
        notes = session.scalars(
            select(PantryItem.allergen_notes).where(PantryItem.allergen_notes.is_not(None))
        ).all()
    assert notes == ["contains nuts"]


def test_the_command_finds_a_registry_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "myhost.py").write_text(
        "from bakery_io import REGISTRY\nHOST = REGISTRY.derive(only=['suppliers'])\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", ".")])
    target = tmp_path / "out"
    assert (
        main(["init-db", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--registry", "myhost:HOST"])
        == 0
    )
    assert "created 1 tables" in capsys.readouterr().out
    assert not target.exists()
    assert ACME.namespace == "acme"


def _from_context(context: Any) -> str:
    return str(context.get_current_parameters()["slug"]).upper()


class ContextVendor(_Base):
    """Suppliers with a column whose Python default reads the statement's context."""

    __tablename__ = "context_vendors"
    vendor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    supplier_type: Mapped[str] = mapped_column(String(20))
    website_url: Mapped[str | None] = mapped_column(String(500))
    street_address: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(String(1000))
    is_active: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    code: Mapped[str] = mapped_column(String(100), default=_from_context)


class ContextVendorSchema(SupplierSchema):
    class Meta:
        model = ContextVendor


def test_a_default_that_reads_the_statements_context_is_refused(
    sample_engine: Engine, tmp_path: Path
) -> None:
    suppliers = tmp_path / "suppliers"
    dump_all(sample_engine, suppliers, entities=["suppliers"], exported_at=MOMENT)
    registry = REGISTRY.derive(bind=[ContextVendorSchema], only=["suppliers"])
    engine = engine_from_url(f"sqlite:///{tmp_path / 'context.db'}")
    try:
        create_schema(engine, registry=registry)
        with pytest.raises(UsageError, match="code has a default bakery_io cannot compute"):
            load_all(engine, suppliers, registry=registry)
        with Session(engine) as session:
            assert session.scalars(select(ContextVendor)).first() is None
    finally:
        engine.dispose()
