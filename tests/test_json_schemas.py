"""The published JSON Schemas: up to date, valid Draft 2020-12, and in agreement with marshmallow.

The committed files under ``schemas_json/<version>/`` are what bakery_io
validates against and what third parties download, so they must be exactly
what :func:`bakery_io.format.json_schemas.generate` makes, and a JSON Schema
validator must accept exactly the values the marshmallow fields load.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from marshmallow import ValidationError, fields
from referencing import Registry, Resource

from bakery_io.cli import main
from bakery_io.conformance import published_versions
from bakery_io.format import fields as wire
from bakery_io.format.json_schemas import (
    BUNDLED,
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    GENERATED,
    MANIFEST_SCHEMA,
    entity_schema_name,
    generate,
    render,
)
from bakery_io.format.schemas.base import EntitySchema
from bakery_io.registry import REGISTRY
from bakery_io.versions import CURRENT_VERSION, VERSIONS

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "schemas_json" / CURRENT_VERSION
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "run `bakery-io schemas schemas_json` and commit the result"
EXPECTED_FILES = {
    MANIFEST_SCHEMA,
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    *(f"{entity.name}.schema.json" for entity in REGISTRY),
}


def committed_names(version: str = CURRENT_VERSION) -> list[str]:
    folder = REPO / "schemas_json" / version
    return sorted(path.name for path in folder.glob("*.schema.json"))


def committed(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((COMMITTED / name).read_text(encoding="utf-8"))
    return document


def all_committed() -> dict[str, dict[str, Any]]:
    return {name: committed(name) for name in committed_names()}


# ---------------------------------------------------------------------------
# The committed files are the generated ones.


def test_the_published_set_is_manifest_document_entity_file_and_one_per_entity_type() -> None:
    assert len(REGISTRY) == 21
    assert len(EXPECTED_FILES) == 24
    assert set(generate()) == EXPECTED_FILES
    assert set(committed_names()) == EXPECTED_FILES, (
        f"schemas_json/{CURRENT_VERSION} does not hold the generated set of files; {REGENERATE}"
    )


@pytest.mark.parametrize("version", GENERATED)
def test_regenerating_gives_byte_identical_committed_files(version: str) -> None:
    generated = generate(version)
    folder = REPO / "schemas_json" / version
    missing = sorted(set(generated) - set(committed_names(version)))
    extra = sorted(set(committed_names(version)) - set(generated))
    assert not missing, f"not committed: {missing}; {REGENERATE}"
    assert not extra, f"committed but no longer generated: {extra}; {REGENERATE}"
    stale = [
        name
        for name, schema in sorted(generated.items())
        if (folder / name).read_bytes() != render(schema).encode("utf-8")
    ]
    assert not stale, f"schemas_json/{version} is out of date ({', '.join(stale)}); {REGENERATE}"


def test_every_version_read_has_published_schemas() -> None:
    assert GENERATED == VERSIONS
    assert published_versions() == VERSIONS


def test_the_regeneration_command_writes_the_committed_bytes_of_every_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schemas", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == (24 + len(BUNDLED)) * len(GENERATED)
    for version in GENERATED:
        written = tmp_path / version
        assert sorted(path.name for path in written.glob("*.schema.json")) == committed_names(
            version
        )
        for name in BUNDLED:
            committed_bytes = (REPO / "schemas_json" / version / "bundled" / name).read_bytes()
            assert (written / "bundled" / name).read_bytes() == committed_bytes, (version, name)
        for name in committed_names(version):
            committed_bytes = (REPO / "schemas_json" / version / name).read_bytes()
            assert (written / name).read_bytes() == committed_bytes, (version, name)


def test_render_is_two_space_indented_utf8_with_a_final_newline() -> None:
    text = render({"title": "Crème brûlée", "nested": {"a": [1]}})
    assert (
        text == '{\n  "title": "Crème brûlée",\n  "nested": {\n    "a": [\n      1\n    ]\n  }\n}\n'
    )


# ---------------------------------------------------------------------------
# Well-formed Draft 2020-12 documents with stable identities.


@pytest.mark.parametrize("version", GENERATED)
@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_every_committed_schema_is_a_valid_draft_2020_12_schema(name: str, version: str) -> None:
    document = json.loads((REPO / "schemas_json" / version / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == DRAFT_2020_12
    assert document["$id"] == f"https://bakery-io.dev/schemas/{version}/{name}"
    assert document["title"]


def test_ids_are_unique() -> None:
    ids = [document["$id"] for document in all_committed().values()]
    assert len(ids) == len(set(ids)) == 24


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                assert isinstance(value, str)
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves_offline_among_the_committed_files() -> None:
    documents = all_committed()
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    resolved = 0
    for document in documents.values():
        resolver = registry.resolver(base_uri=document["$id"])
        for ref in _refs(document):
            resolver.lookup(ref)  # raises when the target does not exist
            resolved += 1
    # every entity file refers to its record, the document and entity-file schema to each type
    assert resolved >= 3 * len(REGISTRY)


# ---------------------------------------------------------------------------
# Fields as the committed schemas describe them, next to their marshmallow fields.


def _fields_of(
    where: str, definition: dict[str, Any], schema_class: type[EntitySchema]
) -> Iterator[tuple[str, dict[str, Any], fields.Field[Any]]]:
    for name, field in schema_class().fields.items():
        wire_name = field.data_key or name
        yield f"{where}.{wire_name}", definition["properties"][wire_name], field


def wire_fields() -> Iterator[tuple[str, dict[str, Any], fields.Field[Any]]]:
    """(where, committed property schema, marshmallow field) of every field of every record."""
    for entity in REGISTRY:
        definitions = committed(entity_schema_name(entity.name))["$defs"]
        yield from _fields_of(entity.name, definitions["record"], entity.schema)
        for field in entity.schema().fields.values():
            if isinstance(field, wire.Children):
                child = field.schema_class.opts.model.__tablename__
                yield from _fields_of(
                    f"{entity.name}.{child}", definitions[child], field.schema_class
                )


def record_definitions() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, document in all_committed().items():
        for definition_name, definition in document.get("$defs", {}).items():
            yield f"{name}#{definition_name}", definition


def fields_of_class(kind: type[fields.Field[Any]]) -> list[Any]:
    """One parameter per distinct (committed property schema, field) of class ``kind``."""
    seen: set[str] = set()
    chosen = []
    for where, schema, field in wire_fields():
        if not isinstance(field, kind):
            continue
        identity = json.dumps(schema, sort_keys=True) + repr(vars(field).get("pattern"))
        if identity not in seen:
            seen.add(identity)
            chosen.append(pytest.param(schema, field, id=where))
    return chosen


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema["type"]
    return [declared] if isinstance(declared, str) else list(declared)


def test_every_record_schema_refuses_unknown_fields() -> None:
    checked = 0
    for where, definition in record_definitions():
        if definition.get("type") != "object":
            continue  # the manifest's file entry is an object too and is checked the same way
        assert definition.get("additionalProperties") is False, where
        checked += 1
    # a record per entity type plus the 10 kinds of nested children, plus the manifest entry
    assert checked == len(REGISTRY) + 10 + 1
    for name in EXPECTED_FILES - {ENTITY_FILE_SCHEMA}:
        assert committed(name)["additionalProperties"] is False, name


def test_decimal_fields_are_strings_with_a_pattern_never_numbers() -> None:
    decimals = [
        (where, schema, field)
        for where, schema, field in wire_fields()
        if isinstance(field, wire.DecimalString)
    ]
    assert len(decimals) >= 25
    for where, schema, field in decimals:
        assert isinstance(field, wire.DecimalString)
        expected = ["string", "null"] if field.allow_none else ["string"]
        assert _types(schema) == expected, where
        # the field's own expression, its end anchor spelled to mean end-of-text everywhere
        assert schema["pattern"] == field.pattern.removesuffix("$") + r"(?!\n)$", where
        assert schema["pattern"].startswith("^"), where
        assert "number" not in _types(schema), where


def test_a_known_decimal_field_is_described_for_humans() -> None:
    unit_price = committed("purchases.schema.json")["$defs"]["record"]["properties"]["unit_price"]
    assert unit_price["type"] == "string"
    assert "4 places" in unit_price["description"]
    validator = Draft202012Validator(unit_price)
    assert validator.is_valid("4.2500")
    assert validator.is_valid("0")
    assert not validator.is_valid(4.25)
    assert not validator.is_valid("4.25001")
    assert not validator.is_valid("4.25\n")
    assert not validator.is_valid("-1.00")


def test_enum_fields_list_their_values() -> None:
    enums = [
        (where, schema, field)
        for where, schema, field in wire_fields()
        if isinstance(field, wire.Enum)
    ]
    assert len(enums) >= 10
    for where, schema, field in enums:
        assert isinstance(field, wire.Enum)
        values: list[str | None] = list(field.values)
        assert values, where
        assert schema["enum"] == ([*values, None] if field.allow_none else values), where
        assert "string" in _types(schema), where


@pytest.mark.parametrize(
    ("file", "definition", "field", "values"),
    [
        ("suppliers", "record", "supplier_type", ["physical", "online"]),
        ("materials", "record", "base_unit_type", ["each", "linear_cm", "square_cm"]),
        ("finished_units", "record", "yield_mode", ["discrete_count", "batch_portion"]),
        (
            "production_runs",
            "record",
            "production_status",
            ["complete", "partial_loss", "total_loss"],
        ),
        (
            "production_runs",
            "production_losses",
            "loss_category",
            ["burnt", "broken", "contaminated", "dropped", "wrong_ingredients", "other"],
        ),
        (
            "events",
            "record",
            "plan_state",
            ["draft", "locked", "in_production", "completed"],
        ),
        ("events", "record", "output_mode", ["bulk_count", "bundled", None]),
    ],
)
def test_enum_values_are_the_domain_ones(
    file: str, definition: str, field: str, values: list[str | None]
) -> None:
    schema = committed(entity_schema_name(file))["$defs"][definition]["properties"][field]
    assert schema["enum"] == values


# ---------------------------------------------------------------------------
# JSON Schema and marshmallow accept exactly the same strings.


def marshmallow_accepts(field: fields.Field[Any], value: str) -> bool:
    """Whether ``field`` loads ``value``; any error other than a ValidationError propagates."""
    try:
        field.deserialize(value)
    except ValidationError:
        return False
    return True


def assert_agreement(schema: dict[str, Any], field: fields.Field[Any], value: str) -> None:
    by_schema = Draft202012Validator(schema).is_valid(value)
    by_field = marshmallow_accepts(field, value)
    verdict = {True: "accepts", False: "refuses"}
    assert by_schema == by_field, (
        f"{value!r}: the JSON Schema {verdict[by_schema]} it, marshmallow {verdict[by_field]} it"
    )


def _two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda number: f"{number:02d}")


_DIGITS = "0123456789"
_decimal_texts = st.one_of(
    # shaped like a decimal: sign, integer part (leading zeros, many digits), point, places
    st.tuples(
        st.sampled_from(["", "", "-", "+"]),
        st.one_of(
            st.sampled_from(["", "0", "00", "007", "1", "10", "99", "100", "101", "999999"]),
            st.text(_DIGITS, min_size=1, max_size=16),
        ),
        st.sampled_from(["", ".", "."]),
        st.one_of(
            st.sampled_from(["", "0", "00", "01", "5", "99", "0000", "00000", "12345"]),
            st.text(_DIGITS, max_size=10),
        ),
        st.sampled_from(["", "", "", "e2", "E-3", "e", "e+1"]),
        st.sampled_from(["", "", "", " ", "\n"]),
    ).map("".join),
    # anything made of the characters a decimal might hold
    st.text(alphabet="0123456789.-+eE \n", max_size=24),
    st.sampled_from(
        ["NaN", "nan", "Infinity", "-Infinity", "inf", "-0", "-0.0", "0.0000", "1_000", "1,5"]
    ),
)


@pytest.mark.parametrize(("schema", "field"), fields_of_class(wire.DecimalString))
@settings(max_examples=300, deadline=None)
@given(text=_decimal_texts)
@example(text="1")
@example(text="1\n")
@example(text="0\n")
@example(text="-0")
@example(text="0.0000")
@example(text="100.00")
@example(text="100.001")
@example(text="1e2")
@example(text=" 1")
@example(text="01")
@example(text="1.")
@example(text=".5")
def test_decimal_pattern_and_field_accept_the_same_strings(
    schema: dict[str, Any], field: fields.Field[Any], text: str
) -> None:
    assert_agreement(schema, field, text)


_slug_texts = st.one_of(
    st.tuples(
        st.lists(st.text("abz09", min_size=1, max_size=6), min_size=1, max_size=6),
        st.sampled_from(["-", "_", "--", "-_", " ", ".", ""]),
        st.sampled_from(["", "", "-", "_"]),
        st.sampled_from(["", "", "", "\n", " ", "A", "é"]),
    ).map(lambda parts: parts[2] + parts[1].join(parts[0]) + parts[3]),
    st.text(alphabet="abz09-_ A.é\n", max_size=16),
    # around the column lengths (100, 200)
    st.integers(95, 205).map(lambda length: "a" * length),
    st.integers(45, 105).map(lambda count: "a-" * count + "b"),
)


@pytest.mark.parametrize(("schema", "field"), fields_of_class(wire.Slug))
@settings(max_examples=300, deadline=None)
@given(text=_slug_texts)
@example(text="a")
@example(text="a\n")
@example(text="a-b_c")
@example(text="a--b")
@example(text="-a")
@example(text="A")
@example(
    text="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
)
def test_slug_pattern_and_field_accept_the_same_strings(
    schema: dict[str, Any], field: fields.Field[Any], text: str
) -> None:
    assert_agreement(schema, field, text)


_datetime_texts = st.one_of(
    st.tuples(
        st.one_of(
            st.sampled_from(["0000", "0001", "1970", "2024", "2025", "9999", "24", "12024"]),
            st.text(_DIGITS, min_size=4, max_size=4),
        ),
        st.sampled_from(["-", "-", "-", "/"]),
        _two_digits(0, 13),
        st.just("-"),
        _two_digits(0, 32),
        st.sampled_from(["T", "T", "T", "t", " "]),
        _two_digits(0, 24),
        st.just(":"),
        _two_digits(0, 60),
        st.sampled_from([":00", ":59", ":60", ":07", ""]),
        st.sampled_from(["", "", ".", ".5", ".123456", ".1234567"]),
        st.sampled_from(
            [
                *("Z", "Z", "", "z", "+00:00", "-00:00", "+01:00", "-01:00", "+05:30"),
                *("+23:59", "-12:00", "+24:00", "+0100", "+01"),
            ]
        ),
        st.sampled_from(["", "", "", "\n", " "]),
    ).map("".join),
    st.text(alphabet="0123456789-:T.Z+ \n", max_size=32),
)


@pytest.mark.parametrize(("schema", "field"), fields_of_class(wire.DateTime))
@settings(max_examples=500, deadline=None)
@given(text=_datetime_texts)
@example(text="2024-01-01T00:00:00Z")
@example(text="2024-01-01T00:00:00Z\n")
@example(text="2024-01-01T00:00:00")
@example(text="2024-02-30T00:00:00Z")
@example(text="0000-01-01T00:00:00Z")
@example(text="0001-01-01T00:00:00+01:00")
@example(text="9999-12-31T23:59:59-01:00")
def test_datetime_pattern_and_field_accept_the_same_strings(
    schema: dict[str, Any], field: fields.Field[Any], text: str
) -> None:
    assert_agreement(schema, field, text)


_date_texts = st.one_of(
    st.tuples(
        st.one_of(
            st.sampled_from(["0000", "0001", "1900", "2000", "2023", "2024", "9999", "24"]),
            st.text(_DIGITS, min_size=4, max_size=4),
        ),
        st.sampled_from(["-", "-", "-", "/"]),
        _two_digits(0, 13),
        st.sampled_from(["-", "-", "-", ""]),
        _two_digits(0, 32),
        st.sampled_from(["", "", "", "\n", " ", "T00:00:00Z", "Z"]),
    ).map("".join),
    st.text(alphabet="0123456789-/ \n", max_size=14),
)


@pytest.mark.parametrize(("schema", "field"), fields_of_class(wire.Date))
@settings(max_examples=300, deadline=None)
@given(text=_date_texts)
@example(text="2024-02-29")
@example(text="2024-02-30")
@example(text="2023-02-29")
@example(text="0000-01-01")
@example(text="2024-01-01\n")
def test_date_pattern_and_field_accept_the_same_strings(
    schema: dict[str, Any], field: fields.Field[Any], text: str
) -> None:
    assert_agreement(schema, field, text)


def test_the_agreement_tests_cover_every_kind_of_field() -> None:
    decimals = fields_of_class(wire.DecimalString)
    # (10,4) >= 0, (10,4) > 0, (12,4) > 0, (14,4) > 0, (10,3) > 0, (5,2) in (0, 100], ...
    assert len({param.values[1].pattern for param in decimals}) >= 6
    assert fields_of_class(wire.Slug)
    assert fields_of_class(wire.DateTime)
    assert fields_of_class(wire.Date)


def test_the_wheel_ships_the_published_schemas_where_validate_reads_them() -> None:
    # An installed bakery_io finds its schemas in bakery_io/schemas_json (see validation.py).
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = project["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert include == {"schemas_json": "bakery_io/schemas_json"}
