"""Round trips through a host's binding (tests/hosts/acme.py) keep every value, over random data.

Each example is a random small database of the core types acme stores (suppliers,
ingredients, products, recipients: :func:`tests.strategies.documents`, edge values
included) plus random data only acme has: allergen notes on ingredients (null, empty,
any Unicode, up to the 500 characters the field allows) and deliveries (to an existing
recipient, from an existing supplier or none, on any date, with a fee or none).

- Loaded through ``ACME_REGISTRY`` into acme's own tables and dumped again, the document
  comes back record for record and value for value (in the export's canonical form:
  decimals at the column's scale, datetimes in UTC), in the export's order; loaded into a
  second database and dumped, it is byte-identical.
- The core alone, through the stock registry into bakery_io's tables and through acme's
  into the host's, dumps to the same sections; acme's ingredients only add a null
  ``acme:allergen_notes``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bakery_io import REGISTRY, Registry, create_schema, dump_all, engine_from_url, load_all
from bakery_io.format import fields as wire
from bakery_io.format.schemas.base import EntitySchema
from tests.conftest import sqlite_copy
from tests.hosts.acme import ACME_REGISTRY, DeliverySchema, PantryItemSchema
from tests.strategies import SEEDS, bound_fields, dates, documents, field_values, slugs

# A failing example prints its document; Hypothesis warns when that text is long.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)

EXPORTED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
#: The core entity types acme stores (closed under references: products need the others).
CORE = ("suppliers", "ingredients", "products", "recipients")
DELIVERIES = "acme:deliveries"
NOTES = "acme:allergen_notes"
#: How an extended backup declares acme (the manifest's, or a document's, ``extensions``).
ACME_DECLARED = [{"namespace": "acme", "version": "1"}]

ROUND_TRIP = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any Unicode a text column stores: no surrogate (not UTF-8), no NUL (the strategies'
# convention: PostgreSQL refuses it).
_CHARACTERS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_NOTES_FIELD = bound_fields(PantryItemSchema)[NOTES]
#: Allergen notes: null, the strategies' edge texts (special ones, exactly 500 characters),
#: any Unicode, and always-full 500 characters.
ALLERGEN_NOTES = st.one_of(
    st.none(),
    field_values(_NOTES_FIELD),
    st.text(_CHARACTERS, max_size=40),
    st.text(_CHARACTERS, min_size=500, max_size=500),
)
_DELIVERY_FIELDS = bound_fields(DeliverySchema)
#: Delivery slugs: acme declares a plain text of up to 100 characters (its model's column),
#: so slugs of the format and any text of that length both occur.
DELIVERY_SLUGS = st.one_of(
    SEEDS.map(lambda seed: str(slugs(100)(random.Random(seed)))),
    field_values(_DELIVERY_FIELDS["slug"]),
)
FEES = st.one_of(st.none(), field_values(_DELIVERY_FIELDS["fee"]))
SCHEDULED = SEEDS.map(lambda seed: dates(random.Random(seed)))


#: Core documents, mostly with records of every type (so that deliveries have recipients):
#: complete, or out of order with fields left to their defaults; sometimes with empty sections.
CORE_DOCUMENTS = st.one_of(
    documents(entity_types=CORE, min_records=1),
    documents(entity_types=CORE, min_records=1, complete=False, shuffle=True),
    documents(entity_types=CORE),
)


@st.composite
def acme_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A core document of the types acme stores, with acme's data added and declared."""
    document = draw(CORE_DOCUMENTS)
    for ingredient in document["ingredients"]:
        notes = draw(ALLERGEN_NOTES)
        # Acme's field is optional: left out, it is null.
        if notes is not None or draw(st.booleans()):
            ingredient[NOTES] = notes
    recipients = [record["slug"] for record in document["recipients"]]
    suppliers = [record["slug"] for record in document["suppliers"]]
    deliveries: list[dict[str, Any]] = []
    if recipients:
        taken = draw(st.lists(DELIVERY_SLUGS, max_size=4, unique=True))
        for slug in taken:
            deliveries.append(
                {
                    "slug": slug,
                    "recipient_slug": draw(st.sampled_from(recipients)),
                    "supplier_slug": draw(st.none() | st.sampled_from(suppliers))
                    if suppliers
                    else None,
                    "scheduled_on": draw(SCHEDULED),
                    "fee": draw(FEES),
                }
            )
    header = {key: document.pop(key) for key in ("version", "exported_at")}
    return {**header, "extensions": ACME_DECLARED, **document, DELIVERIES: deliveries}


# ---------------------------------------------------------------------------
# What an export writes, said independently of bakery_io's codecs.


def _canonical_value(field_: Any, value: Any) -> Any:
    """``value`` as an export writes it: decimals at the field's scale, datetimes in UTC."""
    if value is None:
        return None
    if isinstance(field_, wire.DecimalString):
        return format(Decimal(value).quantize(Decimal(1).scaleb(-field_.places)), "f")
    if isinstance(field_, wire.DateTime):
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()[:-6] + "Z"
    if isinstance(field_, wire.Children):
        return [_canonical(field_.schema_class, item) for item in value]
    return value


def _canonical(schema: type[EntitySchema], record: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of ``record`` (which must hold no other) in the export's form; a field
    left out is its default (null where it has none, no children)."""
    found = bound_fields(schema)
    assert set(record) <= set(found), f"fields the schema does not have: {set(record) - set(found)}"
    defaults = schema.wire_defaults()
    return {
        name: _canonical_value(
            field_, record[name] if name in record else _default(name, field_, defaults)
        )
        for name, field_ in found.items()
    }


def _default(name: str, field_: Any, defaults: Mapping[str, Any]) -> Any:
    return [] if isinstance(field_, wire.Children) else defaults.get(name)


def _expected(
    registry: Registry, names: Iterable[str], document: Mapping[str, Any]
) -> dict[str, Any]:
    """Sections ``names`` as an export of ``document``'s records writes them: in canonical
    form, by natural key."""
    expected: dict[str, Any] = {}
    for entity in registry.select(names):
        records = [_canonical(entity.schema, record) for record in document.get(entity.name, [])]
        # Every type acme stores is keyed by its slug.
        assert entity.natural_key == ("slug",), entity.name
        expected[entity.name] = sorted(records, key=lambda record: record["slug"])
    return expected


# ---------------------------------------------------------------------------
# Fresh databases and directories for each example.


class Workspace:
    """A fresh directory per example, and fresh SQLite databases copied from templates."""

    def __init__(self, factory: pytest.TempPathFactory, templates: Mapping[str, Path]) -> None:
        self.factory = factory
        self.templates = templates
        self.made = 0

    def directory(self) -> Path:
        """A new empty directory."""
        return self.factory.mktemp("example")

    def database(self, kind: str, directory: Path) -> Engine:
        """An empty database of ``kind`` (``"acme"`` or ``"stock"``) in ``directory``."""
        self.made += 1
        return sqlite_copy(self.templates[kind], directory / f"{kind}{self.made}.db")


@pytest.fixture(scope="module")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with acme's tables (and the bakery_io table it shares), to copy."""
    path = tmp_path_factory.mktemp("acme-template") / "acme.db"
    engine = engine_from_url(f"sqlite:///{path}")
    create_schema(engine, registry=ACME_REGISTRY)
    engine.dispose()
    return path


@pytest.fixture
def workspace(
    tmp_path_factory: pytest.TempPathFactory, acme_template: Path, schema_template: Path
) -> Workspace:
    return Workspace(tmp_path_factory, {"acme": acme_template, "stock": schema_template})


def _write(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _load_and_dump(
    engine: Engine,
    source: Path,
    target: Path,
    registry: Registry,
    entities: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Load ``source`` into the empty ``engine``, dump it to the single document ``target``."""
    try:
        report = load_all(engine, source, registry=registry)
        held = json.loads(source.read_text(encoding="utf-8"))
        created = {name: report.counts[name].created for name in registry.names if name in held}
        assert created == {name: len(held[name]) for name in created}
        dump_all(engine, target, entities=entities, exported_at=EXPORTED_AT, registry=registry)
    finally:
        engine.dispose()
    content = json.loads(target.read_text(encoding="utf-8"))
    assert isinstance(content, dict)
    return content


# ---------------------------------------------------------------------------
# The properties.


@ROUND_TRIP
@given(document=acme_documents())
def test_a_random_acme_database_round_trips_through_the_hosts_tables_losing_nothing(
    document: dict[str, Any], workspace: Workspace
) -> None:
    work = workspace.directory()
    source = _write(work / "generated.json", document)
    dumped = _load_and_dump(
        workspace.database("acme", work), source, work / "a.json", ACME_REGISTRY
    )

    assert dumped["version"] == "1.1"
    assert dumped["exported_at"] == "2026-12-01T09:30:00Z"
    sections = {name: dumped[name] for name in ACME_REGISTRY.names}
    # Every record, every field (acme's included), every digit; in the export's order.
    assert sections == _expected(ACME_REGISTRY, ACME_REGISTRY.names, document)
    # Nothing else is written: no field, section or header the input did not have.
    assert set(dumped) == {"version", "exported_at", "extensions", *ACME_REGISTRY.names}
    assert dumped["extensions"] == ACME_DECLARED

    # The dump itself loads into a second host database and dumps to the same bytes.
    again = _load_and_dump(
        workspace.database("acme", work), work / "a.json", work / "b.json", ACME_REGISTRY
    )
    assert again == dumped
    assert (work / "b.json").read_bytes() == (work / "a.json").read_bytes()


@ROUND_TRIP
@given(document=CORE_DOCUMENTS)
def test_the_core_dumps_the_same_from_the_hosts_tables_as_from_bakery_ios(
    document: dict[str, Any], workspace: Workspace
) -> None:
    work = workspace.directory()
    source = _write(work / "core.json", document)
    stock = _load_and_dump(
        workspace.database("stock", work), source, work / "stock.json", REGISTRY, CORE
    )
    acme = _load_and_dump(
        workspace.database("acme", work), source, work / "acme.json", ACME_REGISTRY
    )

    for name in ("suppliers", "products", "recipients"):
        assert acme[name] == stock[name], name
    # Acme's ingredients are the stock ones with acme's field, null, written last.
    assert all(list(record)[-1] == NOTES for record in acme["ingredients"])
    assert [record.pop(NOTES) for record in acme["ingredients"]] == [None] * len(
        stock["ingredients"]
    )
    assert acme["ingredients"] == stock["ingredients"]
    assert acme[DELIVERIES] == []
    # Same fields in the same order (dict equality above ignores the order).
    for name in CORE:
        assert [list(record) for record in acme[name]] == [list(r) for r in stock[name]], name
    # And both are the input, in the export's form.
    assert {name: stock[name] for name in CORE} == _expected(REGISTRY, CORE, document)


# ---------------------------------------------------------------------------
# Found by these tests: a single document once lost its extensions.


def test_a_single_document_of_an_extended_registry_declares_its_extensions(
    workspace: Workspace,
) -> None:
    """A single document, having no manifest, states the extensions it uses itself, as
    a directory's manifest does, so that readers without them say what they pass over."""
    work = workspace.directory()
    engine = workspace.database("acme", work)
    try:
        directory = dump_all(engine, work / "dir", exported_at=EXPORTED_AT, registry=ACME_REGISTRY)
        document = dump_all(
            engine, work / "doc.json", exported_at=EXPORTED_AT, registry=ACME_REGISTRY
        )
    finally:
        engine.dispose()
    assert directory.extensions == document.extensions == tuple(ACME_DECLARED)
    manifest = json.loads((work / "dir" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["extensions"] == ACME_DECLARED
    written = json.loads((work / "doc.json").read_text(encoding="utf-8"))
    assert written.get("extensions") == ACME_DECLARED
