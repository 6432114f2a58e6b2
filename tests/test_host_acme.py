"""A host of our own (tests/hosts/acme.py) embeds bakery_io through the documented API.

Its tables hold part of the domain under other names, with an extra field and
an entity type of its own; its backups round-trip on every backend, the stock
tools check their core, and stock backups still load in the same process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bakery_io import (
    REGISTRY,
    SourceError,
    UsageError,
    create_schema,
    dump_all,
    engine_from_url,
    load_all,
    upgrade,
    validate,
)
from bakery_io.binding.models import Recipient
from bakery_io.cli import main
from tests.conftest import database_url
from tests.hosts.acme import (
    ACME,
    ACME_REGISTRY,
    Delivery,
    PantryItem,
    PantryItemSchema,
    Vendor,
    VendorSchema,
)

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CORE = ["suppliers", "ingredients", "products", "recipients"]


@pytest.fixture
def host_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with acme's tables (and the bakery_io table it shares)."""
    with database_url(backend, tmp_path, "acme") as url:
        engine = engine_from_url(url)
        create_schema(engine, registry=ACME_REGISTRY)
        yield engine
        engine.dispose()


@pytest.fixture
def stock_core(sample_engine: Engine, tmp_path: Path) -> Path:
    """The sample's suppliers, ingredients, products and recipients, as stock bakery_io
    exports them."""
    target = tmp_path / "stock-core"
    dump_all(sample_engine, target, entities=CORE, exported_at=MOMENT)
    return target


def _records(path: Path) -> list[dict[str, object]]:
    content = json.loads(path.read_text(encoding="utf-8"))
    records = content["records"]
    assert isinstance(records, list)
    return records


def _load_with_acme_data(engine: Engine, core: Path) -> None:
    """The stock core loaded into acme's tables, and what only acme has: allergen notes
    and deliveries (one to a bakery_io recipient)."""
    load_all(engine, core, registry=ACME_REGISTRY)
    with Session(engine) as session, session.begin():
        items = session.scalars(select(PantryItem).order_by(PantryItem.slug)).all()
        items[0].allergen_notes = "contains gluten"
        items[1].allergen_notes = "may contain nuts"
        vendor = session.scalars(select(Vendor).order_by(Vendor.slug)).first()
        recipients = session.scalars(select(Recipient).order_by(Recipient.slug)).all()
        assert vendor is not None
        assert len(recipients) >= 2
        session.add_all(
            [
                Delivery(
                    slug="monday-round",
                    recipient_id=recipients[0].id,
                    vendor_id=vendor.vendor_id,
                    scheduled_on=date(2026, 12, 7),
                    fee=Decimal("12.50"),
                ),
                Delivery(
                    slug="tuesday-round",
                    recipient_id=recipients[1].id,
                    vendor_id=None,
                    scheduled_on=date(2026, 12, 8),
                    fee=None,
                ),
            ]
        )
        # The host's own column is not part of the format: it never travels.
        session.execute(update(Vendor).values(account_manager="Dana"))


def test_a_stock_backup_of_the_core_round_trips_through_the_host_tables(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    report = load_all(host_engine, stock_core, registry=ACME_REGISTRY)
    assert report.total.created == sum(
        entry["record_count"]
        for entry in json.loads((stock_core / "manifest.json").read_text())["files"]
    )
    again = tmp_path / "again"
    manifest = dump_all(host_engine, again, exported_at=MOMENT, registry=ACME_REGISTRY)
    # The host's rows hold the format exactly: each core file is the stock one, byte
    # for byte, although no table or primary key is bakery_io's; ingredients carry
    # acme's field besides (null: the stock backup has no allergen notes).
    for entry in manifest.files:
        if entry.filename in ("02_ingredients.json", "acme.01_deliveries.json"):
            continue
        found = (again / entry.filename).read_bytes()
        assert found == (stock_core / entry.filename).read_bytes(), entry.filename
    ingredients = _records(again / "02_ingredients.json")
    assert {record.pop("acme:allergen_notes") for record in ingredients} == {None}
    assert ingredients == _records(stock_core / "02_ingredients.json")
    assert _records(again / "acme.01_deliveries.json") == []
    assert [entry.entity_type for entry in manifest.files] == [*CORE, "acme:deliveries"]
    assert manifest.extensions == ({"namespace": "acme", "version": "1"},)


def test_an_extended_backup_round_trips_and_keeps_the_hosts_data(
    host_engine: Engine, stock_core: Path, tmp_path: Path, backend: str
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    first = tmp_path / "first"
    dump_all(host_engine, first, exported_at=MOMENT, registry=ACME_REGISTRY)

    deliveries = _records(first / "acme.01_deliveries.json")
    assert [record["slug"] for record in deliveries] == ["monday-round", "tuesday-round"]
    assert deliveries[0]["fee"] == "12.50"
    assert deliveries[1]["supplier_slug"] is None
    notes = [r.get("acme:allergen_notes") for r in _records(first / "02_ingredients.json")]
    assert notes[:2] == ["contains gluten", "may contain nuts"]
    assert "account_manager" not in (first / "01_suppliers.json").read_text()

    # Without acme's fields the ingredients are the stock export's.
    plain = [
        {key: value for key, value in record.items() if key != "acme:allergen_notes"}
        for record in _records(first / "02_ingredients.json")
    ]
    assert plain == _records(stock_core / "02_ingredients.json")

    with database_url(backend, tmp_path, "acme-second") as url:
        engine = engine_from_url(url)
        try:
            create_schema(engine, registry=ACME_REGISTRY)
            report = load_all(engine, first, registry=ACME_REGISTRY)
            assert report.counts["acme:deliveries"].created == 2
            second = tmp_path / "second"
            dump_all(engine, second, exported_at=MOMENT, registry=ACME_REGISTRY)
            again = load_all(engine, first, registry=ACME_REGISTRY)
            # A second load finds every record as it is: the host's columns compare
            # under their own names, acme's field included.
            assert again.total.unchanged == again.total.total > 0
        finally:
            engine.dispose()
    for path in sorted(first.iterdir()):
        assert (second / path.name).read_bytes() == path.read_bytes(), path.name


def test_stock_backups_still_load_in_the_same_process(
    sample_dump: Path, tmp_path: Path, host_engine: Engine
) -> None:
    # A full stock backup holds types acme does not store: refused, named, nothing kept.
    with pytest.raises(SourceError) as caught:
        load_all(host_engine, sample_dump, registry=ACME_REGISTRY)
    messages = " ".join(problem.message for problem in caught.value.problems)
    assert "which this registry does not store" in messages
    assert "recipes" in messages
    with Session(host_engine) as session:
        assert session.scalars(select(Vendor)).first() is None
    # ...and the stock registry, in the same process, loads it as always.
    stock = engine_from_url(f"sqlite:///{tmp_path / 'stock.db'}")
    try:
        create_schema(stock)
        assert load_all(stock, sample_dump).total.created > 0
        assert validate(sample_dump).ok
        assert validate(sample_dump, registry=REGISTRY).ok
    finally:
        stock.dispose()


def test_stock_tools_check_the_core_of_an_extended_backup_and_say_what_they_pass_over(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    extended = tmp_path / "extended.zip"
    dump_all(host_engine, extended, exported_at=MOMENT, registry=ACME_REGISTRY)

    own = validate(extended, registry=ACME_REGISTRY)
    assert own.ok, own.problems
    assert not own.passed_over

    stock = validate(extended)
    assert stock.ok, stock.problems
    assert stock.passed_over.extensions == ({"namespace": "acme", "version": "1"},)
    assert dict(stock.passed_over.types) == {"acme:deliveries": 2}
    assert stock.to_dict()["passed_over"] == {
        "extensions": [{"namespace": "acme", "version": "1"}],
        "types": {"acme:deliveries": 2},
    }

    # The stock registry loads the core into bakery_io's tables and names what it left.
    plain = engine_from_url(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        create_schema(plain)
        report = load_all(plain, extended)
        assert report.counts["ingredients"].created == len(
            _records(stock_core / "02_ingredients.json")
        )
        assert "acme:deliveries" not in report.counts
        assert dict(report.passed_over.types) == {"acme:deliveries": 2}
    finally:
        plain.dispose()


def test_a_typo_in_the_hosts_own_namespace_is_refused_by_its_registry(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    load_all(host_engine, stock_core, registry=ACME_REGISTRY)
    target = tmp_path / "typo.json"
    dump_all(host_engine, target, exported_at=MOMENT, registry=ACME_REGISTRY)
    content = json.loads(target.read_text(encoding="utf-8"))
    content["ingredients"][0]["acme:alergen_notes"] = "typo"
    content["ingredients"][0]["other:colour"] = "blue"  # another host's: passed over
    content["ingredients"][1]["other:colour"] = "green"
    target.write_text(json.dumps(content), encoding="utf-8")
    report = validate(target, registry=ACME_REGISTRY)
    assert [(p.pointer, p.message) for p in report.problems] == [
        ("/ingredients/0/acme:alergen_notes", "unknown field: not part of this format version")
    ]


def test_a_single_document_states_its_extensions_too(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    target = tmp_path / "acme.json"
    dump_all(host_engine, target, exported_at=MOMENT, registry=ACME_REGISTRY)
    content = json.loads(target.read_text(encoding="utf-8"))
    assert content["extensions"] == [{"namespace": "acme", "version": "1"}]
    assert len(content["acme:deliveries"]) == 2
    stock = validate(target)
    assert stock.ok, stock.problems
    assert stock.passed_over.extensions == ({"namespace": "acme", "version": "1"},)
    assert dict(stock.passed_over.types) == {"acme:deliveries": 2}
    # A backup of another version of acme is refused by acme's registry, named.
    content["extensions"] = [{"namespace": "acme", "version": "2"}]
    target.write_text(json.dumps(content), encoding="utf-8")
    report = validate(target, registry=ACME_REGISTRY)
    assert [(p.pointer, p.message) for p in report.problems] == [
        (
            "/extensions/0/version",
            "extension acme version '2': this registry has version '1' of it, and reads no other",
        )
    ]


def test_a_registry_whose_tables_cannot_hold_its_records_is_refused_before_any_write(
    tmp_path: Path, sample_dump: Path
) -> None:
    # Ingredients in acme's table, products left in bakery_io's: products.ingredient_id
    # would point into the wrong table.
    mixed = REGISTRY.derive(
        extensions=[ACME],
        bind=[VendorSchema, PantryItemSchema],
        only=["suppliers", "ingredients", "products", "recipients", "acme:deliveries"],
    )
    engine = engine_from_url(f"sqlite:///{tmp_path / 'mixed.db'}")
    try:
        expected = "products.ingredient_id of ingredient_slug has a foreign key to another table"
        with pytest.raises(UsageError, match=expected):
            create_schema(engine, registry=mixed)
        create_schema(engine)
        with pytest.raises(UsageError, match="keep products and ingredients in the same"):
            load_all(engine, sample_dump, registry=mixed)
    finally:
        engine.dispose()
    # Checking files needs no database: the registry still validates.
    assert validate(sample_dump, registry=mixed).problems


def test_upgrade_keeps_extension_data_or_refuses_to_drop_it(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    source = tmp_path / "acme.json"
    dump_all(host_engine, source, exported_at=MOMENT, registry=ACME_REGISTRY)
    with pytest.raises(SourceError) as caught:
        upgrade(source, tmp_path / "stock.zip")
    assert "acme:deliveries" in str(caught.value)
    assert not (tmp_path / "stock.zip").exists()
    report = upgrade(source, tmp_path / "kept.zip", registry=ACME_REGISTRY)
    content = json.loads(source.read_text(encoding="utf-8"))
    assert report.records == sum(len(content[name]) for name in ACME_REGISTRY.names)
    again = validate(tmp_path / "kept.zip", registry=ACME_REGISTRY)
    assert again.ok, again.problems
    assert dict(validate(tmp_path / "kept.zip").passed_over.types) == {"acme:deliveries": 2}


def test_the_command_takes_a_hosts_registry_by_name(
    host_engine: Engine, stock_core: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    url = host_engine.url.render_as_string(hide_password=False)
    target = tmp_path / "cli.zip"
    named = "tests.hosts.acme:ACME_REGISTRY"
    assert main(["export", "--db", url, "--registry", named, str(target)]) == 0
    assert "acme.01_deliveries.json" in capsys.readouterr().out
    assert main(["validate", str(target)]) == 0
    said = capsys.readouterr().out
    assert "not loaded, this registry lacks them: extension acme 1" in said
    assert "acme:deliveries: 2" in said
    assert main(["validate", "--registry", named, "--json", str(target)]) == 0
    assert "passed_over" not in json.loads(capsys.readouterr().out)
    # Upgraded without the host's registry, its data would be lost: the way out, in the
    # command's words.
    assert main(["upgrade", str(target), str(tmp_path / "lost.zip"), "--json"]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["hint"] == (
        "upgrade with the registry that holds those extensions: --registry MODULE:NAME"
    )
    assert main(["validate", "--registry", "tests.hosts.acme:Vendor", str(target)]) == 2
    assert "is not a bakery_io Registry (found DeclarativeAttributeIntercept)" in (
        capsys.readouterr().err
    )


def test_records_of_an_extension_the_backup_does_not_declare_are_refused(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    _load_with_acme_data(host_engine, stock_core)
    target = tmp_path / "undeclared.json"
    dump_all(host_engine, target, exported_at=MOMENT, registry=ACME_REGISTRY)
    content = json.loads(target.read_text(encoding="utf-8"))
    del content["extensions"]
    target.write_text(json.dumps(content), encoding="utf-8")
    expected = [
        (
            "/acme:deliveries",
            "records of extension acme, which the backup does not declare (its "
            '"extensions" list names none): what version of it they are cannot be told',
        )
    ]
    for registry in (ACME_REGISTRY, REGISTRY):
        report = validate(target, registry=registry)
        assert [(p.pointer, p.message) for p in report.problems] == expected


def test_the_published_json_schemas_alone_accept_an_extended_backup(
    host_engine: Engine, stock_core: Path, tmp_path: Path
) -> None:
    # As a third party would check it: the files under schemas_json/1.1, any validator.
    _load_with_acme_data(host_engine, stock_core)
    backup = tmp_path / "extended"
    dump_all(host_engine, backup, exported_at=MOMENT, registry=ACME_REGISTRY)
    folder = Path(__file__).parent.parent / "schemas_json" / "1.1"
    documents = [json.loads(path.read_text()) for path in folder.glob("*.schema.json")]
    resources = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents
    )
    by_name = {document["$id"].rsplit("/", 1)[1]: document for document in documents}

    def errors(document: str, path: Path) -> list[str]:
        validator = Draft202012Validator(by_name[document], registry=resources)
        instance = json.loads(path.read_text(encoding="utf-8"))
        return [error.message for error in validator.iter_errors(instance)]

    assert errors("manifest.schema.json", backup / "manifest.json") == []
    for path in sorted(backup.glob("*.json")):
        if path.name != "manifest.json":
            assert errors("entity-file.schema.json", path) == [], path.name
    # ...while a typo outside any namespace is still refused by them.
    ingredients = json.loads((backup / "02_ingredients.json").read_text(encoding="utf-8"))
    ingredients["records"][0]["alergen_notes"] = "typo"
    broken = tmp_path / "02_ingredients.json"
    broken.write_text(json.dumps(ingredients), encoding="utf-8")
    assert errors("entity-file.schema.json", broken)
