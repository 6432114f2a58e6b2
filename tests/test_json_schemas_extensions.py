"""JSON Schemas of a host's registry, and extensions in the published ones.

A host binds format types to its own models and adds an extension (``acme``):
its schemas declare the ``acme:`` types and fields, refuse a misspelt ``acme:``
name and let through the names of other extensions; the published (stock)
schemas let through every namespaced name, so that any reader checks the core
of an extended backup. Every check runs on python-jsonschema and jsonschema-rs,
which must agree (bakery_io decides with the second, explains with the first).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry as References
from referencing import Resource
from sqlalchemy import DateTime, ForeignKey, MetaData, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bakery_io.binding.models import Supplier
from bakery_io.errors import UsageError
from bakery_io.format import fields as wire
from bakery_io.format.extensions import NAMESPACED_PATTERN, Extension
from bakery_io.format.json_schemas import (
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    MANIFEST_SCHEMA,
    entity_schema_name,
    generate,
    generate_bundled,
    portable_pattern,
    render,
    schema_base,
    write,
)
from bakery_io.format.schemas.base import EntitySchema
from bakery_io.format.schemas.catalog import IngredientSchema
from bakery_io.registry import REGISTRY, Registry
from bakery_io.versions import CURRENT_VERSION

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "schemas_json"

# ---------------------------------------------------------------------------
# A host: its own models (own metadata, own table and key names) and extension.


class HostBase(DeclarativeBase):
    metadata = MetaData()


class PantryItem(HostBase):
    """The host's ingredients: another table, primary key and name column."""

    __tablename__ = "host_pantry"

    item_id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_item_id: Mapped[int | None] = mapped_column(ForeignKey("host_pantry.item_id"))
    hierarchy_level: Mapped[int] = mapped_column(default=2)
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    density_volume_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    density_volume_unit: Mapped[str | None] = mapped_column(String(20))
    density_weight_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    density_weight_unit: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    allergen_notes: Mapped[str | None] = mapped_column(Text)


class Oven(HostBase):
    """An entity type of the host's own: the extension type ``acme:ovens``."""

    __tablename__ = "host_ovens"

    oven_id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey(Supplier.id))


class OvenSchema(EntitySchema):
    supplier_slug = wire.Reference("suppliers", attribute="supplier_id")

    class Meta(EntitySchema.Meta):
        model = Oven
        entity_type = "acme:ovens"
        # The base excludes a primary key named ``id``; this one is named otherwise.
        exclude = ("oven_id",)


_PANTRY_ATTRIBUTES = {"display_name": "name", "parent_slug": "parent_item_id"}


class HostIngredientSchema(IngredientSchema):
    allergen_notes = wire.String(data_key="acme:allergen_notes", allow_none=True, load_default=None)

    class Meta(IngredientSchema.Meta):
        model: Any = PantryItem  # Any: the format's Meta says type[Ingredient]
        attributes = _PANTRY_ATTRIBUTES


class PlainHostIngredientSchema(IngredientSchema):
    """The same binding without a field of an extension: the format unchanged."""

    class Meta(IngredientSchema.Meta):
        model: Any = PantryItem  # Any: the format's Meta says type[Ingredient]
        attributes = _PANTRY_ATTRIBUTES


ACME = REGISTRY.derive(
    extensions=[Extension("acme", "1", types=[OvenSchema])], bind=[HostIngredientSchema]
)
ACME_BASE = schema_base(CURRENT_VERSION, ACME)

# ---------------------------------------------------------------------------
# Both validators over one set of schemas.


class SchemaSet:
    """The schemas of one set, by file name, validated by both validators at once."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        references: References[Any] = References().with_resources(
            (document["$id"], Resource.from_contents(document)) for document in documents.values()
        )
        fast = jsonschema_rs.Registry([(doc["$id"], doc) for doc in documents.values()])
        self._exact = {
            name: Draft202012Validator(document, registry=references)
            for name, document in documents.items()
        }
        self._fast = {
            name: jsonschema_rs.validator_for(document, registry=fast, validate_formats=False)
            for name, document in documents.items()
        }

    def is_valid(self, name: str, instance: Any) -> bool:
        """Whether ``instance`` is valid against ``name``; both validators must say the same."""
        exact = self._exact[name].is_valid(instance)
        assert self._fast[name].is_valid(instance) == exact, (name, instance)
        return exact


def published() -> SchemaSet:
    folder = PUBLISHED / CURRENT_VERSION
    return SchemaSet(
        {
            path.name: json.loads(path.read_text(encoding="utf-8"))
            for path in folder.glob("*.schema.json")
        }
    )


@pytest.fixture(scope="module")
def stock() -> SchemaSet:
    return published()


@pytest.fixture(scope="module")
def acme() -> SchemaSet:
    return SchemaSet(generate(registry=ACME))


def ingredient(**extra: Any) -> dict[str, Any]:
    return {"slug": "flour", "display_name": "Flour", "hierarchy_level": 0, **extra}


def entity_file(entity_type: str, *records: Any) -> dict[str, Any]:
    return {"version": CURRENT_VERSION, "entity_type": entity_type, "records": list(records)}


OVEN = {"slug": "deck-1", "display_name": "Deck oven", "supplier_slug": None}
SHA256 = "0" * 64


def manifest(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": CURRENT_VERSION,
        "export_date": "2026-12-03T10:00:00Z",
        "source": "acme-bakery 3.2",
        "files": list(entries),
        **extra,
    }


def entry(filename: str, entity_type: str, *dependencies: str, order: int = 1) -> dict[str, Any]:
    return {
        "filename": filename,
        "entity_type": entity_type,
        "record_count": 1,
        "sha256": SHA256,
        "dependencies": list(dependencies),
        "import_order": order,
    }


EXTENSIONS = [{"namespace": "acme", "version": "1"}]

# ---------------------------------------------------------------------------
# Records: declared extension fields, other namespaces let through, typos refused.


@pytest.mark.parametrize("field", ["acme:foo", "acme:allergen_notes", "other:foo"])
def test_the_published_schema_lets_through_fields_of_any_extension(
    stock: SchemaSet, field: str
) -> None:
    assert stock.is_valid(ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient()))
    assert stock.is_valid(
        ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient(**{field: {"any": "value"}}))
    )
    assert stock.is_valid(
        entity_schema_name("ingredients"), entity_file("ingredients", ingredient(**{field: 1}))
    )


@pytest.mark.parametrize(
    "field",
    [
        "allergen_notes",  # not namespaced: an unknown field of the format
        "Acme:foo",
        "acme:",
        ":foo",
        "acme:foo:bar",
        "acme:foo\n",
        "acme-x:foo",
    ],
)
def test_names_that_are_not_namespaced_stay_refused(
    stock: SchemaSet, acme: SchemaSet, field: str
) -> None:
    for schemas in (stock, acme):
        assert not schemas.is_valid(
            ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient(**{field: "x"}))
        )


def test_the_extended_schema_checks_its_own_fields_and_refuses_a_misspelt_one(
    acme: SchemaSet,
) -> None:
    def valid(**extra: Any) -> bool:
        return acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient(**extra)))

    assert valid()
    assert valid(**{"acme:allergen_notes": "nuts"})
    assert valid(**{"acme:allergen_notes": None})
    assert not valid(**{"acme:allergen_notes": 3})  # declared: a string or null
    assert not valid(**{"acme:typo": "nuts"})
    assert valid(**{"other:foo": "bar"})
    # A field of acme on a type it does not extend is as unknown as a typo.
    supplier = {"slug": "mill", "name": "Mill", "supplier_type": "online", "acme:foo": 1}
    assert not acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("suppliers", supplier))
    del supplier["acme:foo"]
    assert acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("suppliers", supplier))


def test_nested_children_are_open_to_other_extensions_too(
    stock: SchemaSet, acme: SchemaSet
) -> None:
    recipe: dict[str, Any] = {
        "slug": "bread",
        "name": "Bread",
        "category": "Breads",
        "ingredients": [{"ingredient_slug": "flour", "quantity": "1.000", "unit": "kg"}],
    }
    for schemas in (stock, acme):
        assert schemas.is_valid(ENTITY_FILE_SCHEMA, entity_file("recipes", recipe))
        child = dict(recipe["ingredients"][0], **{"other:note": "x"})
        assert schemas.is_valid(
            ENTITY_FILE_SCHEMA, entity_file("recipes", {**recipe, "ingredients": [child]})
        )
    child = dict(recipe["ingredients"][0], **{"acme:note": "x"})
    opened = {**recipe, "ingredients": [child]}
    assert stock.is_valid(ENTITY_FILE_SCHEMA, entity_file("recipes", opened))
    assert not acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("recipes", opened))


def test_two_extensions_are_both_known(acme: SchemaSet) -> None:
    both = SchemaSet(generate(registry=ACME.derive(extensions=[Extension("beta", "2.0")])))
    record = entity_file("ingredients", ingredient(**{"beta:x": 1}))
    assert acme.is_valid(ENTITY_FILE_SCHEMA, record)
    assert not both.is_valid(ENTITY_FILE_SCHEMA, record)
    assert not both.is_valid(
        ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient(**{"acme:x": 1}))
    )
    assert both.is_valid(
        ENTITY_FILE_SCHEMA, entity_file("ingredients", ingredient(**{"gamma:x": 1}))
    )
    found = both.documents[MANIFEST_SCHEMA]["$id"]
    assert found.startswith(f"https://bakery-io.dev/schemas/{CURRENT_VERSION}/ext/acme-1+beta-2.0/")
    assert found.endswith("/manifest.schema.json")


# ---------------------------------------------------------------------------
# Entity files of extension types.


def test_an_extension_entity_file_is_checked_by_its_own_schema(acme: SchemaSet) -> None:
    assert set(generate(registry=ACME)) == {*generate(), "acme.ovens.schema.json"}
    ovens = entity_file("acme:ovens", OVEN)
    assert acme.is_valid(ENTITY_FILE_SCHEMA, ovens)
    assert acme.is_valid("acme.ovens.schema.json", ovens)
    assert not acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("acme:ovens", {"slug": "deck-1"}))
    assert not acme.is_valid(
        ENTITY_FILE_SCHEMA, entity_file("acme:ovens", {**OVEN, "acme:typo": 1})
    )
    assert acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("acme:ovens", {**OVEN, "other:x": 1}))
    # Another type of acme's does not exist: not an unknown extension's.
    assert not acme.is_valid(ENTITY_FILE_SCHEMA, entity_file("acme:fridges", {"any": 1}))


def test_an_entity_file_of_an_unknown_extension_is_checked_as_an_envelope(
    stock: SchemaSet, acme: SchemaSet
) -> None:
    for schemas, entity_type in ((stock, "acme:ovens"), (stock, "acme:fridges"), (acme, "other:x")):
        assert schemas.is_valid(ENTITY_FILE_SCHEMA, entity_file(entity_type, {"any": 1}, {}))
        assert not schemas.is_valid(ENTITY_FILE_SCHEMA, entity_file(entity_type, "not a record"))
        extra = {**entity_file(entity_type), "exported_at": "2026-12-03T10:00:00Z"}
        assert not schemas.is_valid(ENTITY_FILE_SCHEMA, extra)
        wrong_version = {**entity_file(entity_type), "version": "1.0"}
        assert not schemas.is_valid(ENTITY_FILE_SCHEMA, wrong_version)
        assert not schemas.is_valid(ENTITY_FILE_SCHEMA, entity_file(entity_type.upper()))


# ---------------------------------------------------------------------------
# Manifests and documents.


def test_a_manifest_with_extensions_validates_against_stock_and_extended_manifests(
    stock: SchemaSet, acme: SchemaSet
) -> None:
    listed = manifest(
        entry("01_suppliers.json", "suppliers"),
        entry("acme.01_ovens.json", "acme:ovens", "suppliers"),
        entry("02_ingredients.json", "ingredients", order=2),
        extensions=EXTENSIONS,
    )
    for schemas in (stock, acme):
        assert schemas.is_valid(MANIFEST_SCHEMA, listed)
        assert schemas.is_valid(MANIFEST_SCHEMA, manifest(entry("01_suppliers.json", "suppliers")))
        other = entry("other.01_things.json", "other:things", "acme:ovens", "other:x")
        assert schemas.is_valid(MANIFEST_SCHEMA, manifest(other, extensions=EXTENSIONS))
    typo = manifest(entry("acme.01_ovens.json", "acme:oven", "suppliers"))
    assert stock.is_valid(MANIFEST_SCHEMA, typo)
    assert not acme.is_valid(MANIFEST_SCHEMA, typo)
    typo_dependency = manifest(entry("other.01_things.json", "other:things", "acme:oven"))
    assert not acme.is_valid(MANIFEST_SCHEMA, typo_dependency)


@pytest.mark.parametrize(
    "extensions",
    [
        [{"namespace": "Acme", "version": "1"}],
        [{"namespace": "acme", "version": ""}],
        [{"namespace": "acme", "version": 1}],
        [{"namespace": "acme"}],
        [{"namespace": "acme", "version": "1", "url": "https://acme.example"}],
        [{"namespace": "acme", "version": "1"}, {"namespace": "acme", "version": "1"}],
        {"acme": "1"},
    ],
)
def test_a_malformed_extensions_list_is_refused(
    stock: SchemaSet, acme: SchemaSet, extensions: Any
) -> None:
    for schemas in (stock, acme):
        assert not schemas.is_valid(MANIFEST_SCHEMA, manifest(extensions=extensions))
        document = {"version": CURRENT_VERSION, "extensions": extensions}
        assert not schemas.is_valid(DOCUMENT_SCHEMA, document)


@pytest.mark.parametrize(
    "filename",
    ["acme.1_ovens.json", "Acme.01_ovens.json", "acme.01_Ovens.json", "acme_01_ovens.json"],
)
def test_a_malformed_extension_file_name_is_refused(stock: SchemaSet, filename: str) -> None:
    assert not stock.is_valid(MANIFEST_SCHEMA, manifest(entry(filename, "acme:ovens")))


def test_documents_hold_extension_types_and_let_through_unknown_ones(
    stock: SchemaSet, acme: SchemaSet
) -> None:
    document = {
        "version": CURRENT_VERSION,
        "extensions": EXTENSIONS,
        "suppliers": [],
        "acme:ovens": [OVEN],
        "ingredients": [ingredient(**{"acme:allergen_notes": "nuts"})],
    }
    for schemas in (stock, acme):
        assert schemas.is_valid(DOCUMENT_SCHEMA, document)
        assert schemas.is_valid(DOCUMENT_SCHEMA, {**document, "other:things": [{"a": 1}]})
        assert not schemas.is_valid(DOCUMENT_SCHEMA, {**document, "other:things": [1]})
        assert not schemas.is_valid(DOCUMENT_SCHEMA, {**document, "other:things": {}})
        assert not schemas.is_valid(DOCUMENT_SCHEMA, {**document, "things": []})
    broken = {**document, "acme:ovens": [{"slug": "deck-1"}]}
    assert stock.is_valid(DOCUMENT_SCHEMA, broken)
    assert not acme.is_valid(DOCUMENT_SCHEMA, broken)
    assert not acme.is_valid(DOCUMENT_SCHEMA, {**document, "acme:fridges": []})


# ---------------------------------------------------------------------------
# Identities, versions, files.


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            ref
            for key, value in node.items()
            for ref in ([value] if key == "$ref" else _refs(value))
        ]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def test_an_extended_set_has_ids_of_its_own_that_resolve_among_themselves(
    acme: SchemaSet,
) -> None:
    ids = {name: document["$id"] for name, document in acme.documents.items()}
    assert ids == {name: ACME_BASE + name for name in acme.documents}
    stock_ids = {document["$id"] for document in generate().values()}
    assert not stock_ids & set(ids.values())
    references: References[Any] = References().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in acme.documents.values()
    )
    for document in acme.documents.values():
        resolver = references.resolver(base_uri=document["$id"])
        for ref in _refs(document):
            resolver.lookup(ref)
    Draft202012Validator.check_schema(acme.documents["acme.ovens.schema.json"])


def test_entity_types_are_named_by_the_format_never_by_the_host_tables(acme: SchemaSet) -> None:
    text = "".join(render(document) for document in acme.documents.values())
    assert "host_pantry" not in text
    assert "host_ovens" not in text
    assert "item_id" not in text
    assert acme.documents[MANIFEST_SCHEMA]["properties"]["extensions"]
    recipes = acme.documents[entity_schema_name("recipes")]["$defs"]
    assert set(recipes) == set(generate()[entity_schema_name("recipes")]["$defs"])


def test_a_binding_without_extension_fields_has_the_published_schemas() -> None:
    bound = REGISTRY.derive(bind=[PlainHostIngredientSchema])
    assert bound is not REGISTRY
    assert generate(registry=bound) == generate()


def test_format_1_0_has_the_published_schemas_alone() -> None:
    with pytest.raises(UsageError, match=r"1\.0"):
        generate("1.0", registry=ACME)
    plain = REGISTRY.derive(bind=[PlainHostIngredientSchema])
    assert generate("1.0", registry=plain) == generate("1.0")


def test_the_1_0_schemas_know_no_extensions() -> None:
    text = "".join(render(document) for document in generate("1.0").values())
    assert "patternProperties" not in text
    assert '"extensions"' not in text
    assert ":[a-z]" not in text


def test_write_puts_an_extended_set_in_the_folder_of_its_ids(tmp_path: Path) -> None:
    written = write(tmp_path, registry=ACME)
    folder = tmp_path / ACME_BASE.removeprefix("https://bakery-io.dev/schemas/")
    assert folder.parent == tmp_path / CURRENT_VERSION / "ext" / "acme-1"
    bundled = folder / "bundled"
    assert sorted(written) == sorted(
        [
            *(folder / name for name in generate(registry=ACME)),
            *(bundled / name for name in generate_bundled(registry=ACME)),
        ]
    )
    ovens = folder / "acme.ovens.schema.json"
    assert ovens.read_text(encoding="utf-8") == render(generate(registry=ACME)[ovens.name])
    manifest = bundled / MANIFEST_SCHEMA
    assert manifest.read_text(encoding="utf-8") == render(
        generate_bundled(registry=ACME)[MANIFEST_SCHEMA]
    )
    stock = write(tmp_path)
    assert {path.parent for path in stock} == {
        tmp_path / CURRENT_VERSION,
        tmp_path / CURRENT_VERSION / "bundled",
    }


def test_a_registry_value_is_kept_apart_from_the_stock_one(acme: SchemaSet) -> None:
    assert isinstance(ACME, Registry)
    assert "acme:ovens" not in REGISTRY
    assert generate() == generate(registry=REGISTRY)
    assert "acme:ovens" in json.dumps(acme.documents[MANIFEST_SCHEMA])
    assert "acme:ovens" not in json.dumps(generate()[MANIFEST_SCHEMA])


def test_every_published_record_and_child_lets_through_every_namespace(stock: SchemaSet) -> None:
    opened = 0
    for name, document in stock.documents.items():
        for definition_name, definition in document.get("$defs", {}).items():
            if name == MANIFEST_SCHEMA:
                assert "patternProperties" not in definition  # a file entry, not a record
                continue
            assert definition["additionalProperties"] is False
            assert definition["patternProperties"] == {
                portable_pattern(f"^{NAMESPACED_PATTERN}$"): {
                    "description": "a field of an extension this schema does not know: not checked"
                }
            }, (name, definition_name)
            opened += 1
    # a record per entity type plus the 10 kinds of nested children
    assert opened == len(REGISTRY) + 10


def test_registries_with_one_extension_but_other_types_or_fields_have_other_ids() -> None:
    full = REGISTRY.derive(extensions=[Extension("acme", "1", types=[OvenSchema])])
    part = full.derive(only=["suppliers", "acme:ovens"])
    bases = {schema_base(CURRENT_VERSION, registry) for registry in (ACME, full, part)}
    assert len(bases) == 3
    assert all("/ext/acme-1/" in base for base in bases)
    assert schema_base(CURRENT_VERSION, full) == schema_base(
        CURRENT_VERSION, REGISTRY.derive(extensions=[Extension("acme", "1", types=[OvenSchema])])
    )
