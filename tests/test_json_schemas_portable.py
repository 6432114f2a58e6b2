"""The published schemas outside Python: bundled, self-contained, and saying one thing.

Validators in other languages are given one file (a bundle) and may assert
``format``: a bundle must need nothing else and validate exactly as the
multi-file set, and no ``format`` may refuse what its ``pattern`` admits.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from bakery_io import validate
from bakery_io.format.bundles import BundleError, bundle
from bakery_io.format.json_schemas import (
    BUNDLED,
    DOCUMENT_SCHEMA,
    ENTITY_FILE_SCHEMA,
    GENERATED,
    MANIFEST_SCHEMA,
    generate,
    generate_bundled,
    render,
)

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "schemas_json"
GOLDEN = REPO / "tests" / "golden" / "1.0"
REGENERATE = "run `bakery-io schemas schemas_json` and commit the result"


def _load_corpus() -> ModuleType:
    """The JavaScript example's corpus builder: its mutations are the ones checked here."""
    path = REPO / "examples" / "javascript" / "corpus.py"
    spec = importlib.util.spec_from_file_location("bakery_io_example_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CORPUS = _load_corpus()


def bundled(version: str, name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (PUBLISHED / version / "bundled" / name).read_text(encoding="utf-8")
    )
    return document


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def offline(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` alone: a registry that fails any retrieval."""

    def refuse(uri: str) -> Resource[Any]:
        raise AssertionError(f"tried to retrieve {uri}")

    return Draft202012Validator(schema, registry=Registry(retrieve=refuse))  # type: ignore[call-arg]


def multi_file(version: str, name: str) -> Draft202012Validator:
    documents = generate(version)
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    return Draft202012Validator(documents[name], registry=registry)


def verdict(validator: Draft202012Validator, content: Any) -> list[tuple[str, str]]:
    """Where and by which keyword ``content`` is invalid (leaf errors, sorted)."""
    found = []
    for error in validator.iter_errors(content):
        found.append(("/".join(map(str, error.absolute_path)), str(error.validator)))
    return sorted(found)


# ---------------------------------------------------------------------------
# Committed, current, self-contained.


@pytest.mark.parametrize("version", GENERATED)
def test_bundles_are_committed_and_current(version: str) -> None:
    folder = PUBLISHED / version / "bundled"
    assert sorted(path.name for path in folder.iterdir()) == sorted(BUNDLED)
    stale = [
        name
        for name, schema in generate_bundled(version).items()
        if (folder / name).read_bytes() != render(schema).encode("utf-8")
    ]
    assert not stale, f"schemas_json/{version}/bundled is out of date ({stale}); {REGENERATE}"


@pytest.mark.parametrize("version", GENERATED)
@pytest.mark.parametrize("name", BUNDLED)
def test_a_bundle_refers_only_inside_itself(version: str, name: str) -> None:
    schema = bundled(version, name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://bakery-io.dev/schemas/{version}/bundled/{name}"
    found = list(refs(schema))
    assert all(ref.startswith("#/") for ref in found), [r for r in found if r[:2] != "#/"]
    resolver = Registry().resolver_with_root(Resource.from_contents(schema))
    for ref in set(found):
        resolver.lookup(ref)  # raises when the pointer leads nowhere


def test_the_entity_file_bundle_holds_every_entity_type() -> None:
    schema = bundled("1.1", ENTITY_FILE_SCHEMA)
    assert set(schema["$defs"]) == {
        name.removesuffix(".schema.json")
        for name in generate("1.1")
        if name not in (MANIFEST_SCHEMA, DOCUMENT_SCHEMA, ENTITY_FILE_SCHEMA)
    }
    assert schema["allOf"][0]["then"] == {"$ref": "#/$defs/suppliers"}


def test_a_ref_outside_the_set_cannot_be_bundled() -> None:
    with pytest.raises(BundleError, match="not in the set"):
        bundle({"a.schema.json": {"$ref": "b.schema.json"}}, "a.schema.json")
    with pytest.raises(BundleError, match="cannot bundle"):
        bundle({"a.schema.json": {"$ref": "https://example.com/x.json"}}, "a.schema.json")


def test_schemas_referring_to_each_other_are_embedded_once() -> None:
    schemas: dict[str, dict[str, Any]] = {
        "a.schema.json": {"$id": "https://x/a.schema.json", "$ref": "b.schema.json"},
        "b.schema.json": {"$id": "https://x/b.schema.json", "items": {"$ref": "a.schema.json"}},
    }
    result = bundle(schemas, "a.schema.json")
    assert result == {
        "$id": "https://x/bundled/a.schema.json",
        "$ref": "#/$defs/b",
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"items": {"$ref": "#/$defs/a"}}},
    }


# ---------------------------------------------------------------------------
# The same verdicts as the multi-file set.


def golden_cases() -> list[tuple[str, Path]]:
    cases = []
    for version in GENERATED:
        for path in sorted(CORPUS.golden_files(REPO, version)):
            cases.append((version, path))
    return cases


@pytest.mark.parametrize(("version", "path"), golden_cases(), ids=str)
def test_bundles_agree_with_the_multi_file_set_on_golden_files_and_their_mutations(
    version: str, path: Path
) -> None:
    content = json.loads(path.read_text(encoding="utf-8"))
    name = CORPUS.schema_for(path.name, content)
    single, several = offline(bundled(version, name)), multi_file(version, name)
    assert verdict(single, content) == verdict(several, content)
    for label, mutated in CORPUS.mutations(content):
        assert verdict(single, mutated) == verdict(several, mutated), label


def test_the_mutations_are_refused() -> None:
    content = json.loads((GOLDEN / "full-backup" / "input" / "suppliers.json").read_text())
    validator = offline(bundled("1.0", ENTITY_FILE_SCHEMA))
    mutated = dict(CORPUS.mutations(content))
    assert len(mutated) >= 5
    for label, variant in mutated.items():
        assert verdict(validator, variant), label


def test_an_offline_validator_refuses_to_fetch() -> None:
    validator = offline({"$ref": "https://bakery-io.dev/schemas/1.1/suppliers.schema.json"})
    with pytest.raises((AssertionError, Unresolvable)):
        validator.is_valid({})


# ---------------------------------------------------------------------------
# Formats are annotations that never contradict their pattern.

#: Values each pattern-carrying format must accept when the pattern does.
SAMPLES = {
    "date-time": [
        "2026-11-22T09:30:00",
        "2026-11-22T09:30:00Z",
        "2026-11-22T09:30:00+01:00",
        "2026-11-22T09:30:00.123456Z",
        "2024-02-29T23:59:59-05:30",
    ],
    "date": ["2026-11-22", "2024-02-29"],
    "uuid": ["2433444b-2200-5ac8-b5a5-cb6951820769", "2433444B-2200-5AC8-B5A5-CB6951820769"],
}
#: What RFC 3339 and RFC 4122 say each format is (what ajv-formats asserts).
RFC = {
    "date-time": re.compile(
        r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
    ),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "uuid": re.compile(r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$", re.I),
}


def formats(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "format" in node:
            yield node
        for value in node.values():
            yield from formats(value)
    elif isinstance(node, list):
        for item in node:
            yield from formats(item)


@pytest.mark.parametrize("version", GENERATED)
def test_no_format_refuses_what_its_pattern_admits(version: str) -> None:
    checked = 0
    for schema in [*generate(version).values(), *generate_bundled(version).values()]:
        for node in formats(schema):
            assert node["format"] in RFC, node
            pattern = re.compile(node["pattern"])
            for sample in SAMPLES[node["format"]]:
                if pattern.search(sample):
                    assert RFC[node["format"]].match(sample), (version, node, sample)
                    checked += 1
    assert checked > 0


def test_1_0_datetimes_carry_no_format() -> None:
    naive = "2024-12-21T08:00:00"
    for schema in generate("1.0").values():
        for node in formats(schema):
            assert not re.search(node["pattern"], naive), node


# ---------------------------------------------------------------------------
# What the registry fixes in a manifest entry.


def manifest_entry(**changed: Any) -> dict[str, Any]:
    entry = {
        "filename": "04_recipes.json",
        "entity_type": "recipes",
        "record_count": 1,
        "sha256": "0" * 64,
        "dependencies": ["ingredients"],
        "import_order": 4,
    }
    return {**entry, **changed}


def manifest_of(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "1.1",
        "export_date": "2026-12-03T10:00:00Z",
        "source": "test",
        "files": list(entries),
    }


@pytest.mark.parametrize(
    ("changed", "where"),
    [
        ({"filename": "05_recipes.json"}, "files/0/filename"),
        ({"import_order": 5}, "files/0/import_order"),
        ({"dependencies": []}, "files/0/dependencies"),
        ({"dependencies": ["ingredients", "suppliers"]}, "files/0/dependencies/1"),
    ],
)
def test_the_manifest_schema_fixes_name_order_and_dependencies_per_type(
    changed: dict[str, Any], where: str
) -> None:
    validator = offline(bundled("1.1", MANIFEST_SCHEMA))
    assert verdict(validator, manifest_of(manifest_entry())) == []
    found = verdict(validator, manifest_of(manifest_entry(**changed)))
    assert where in {pointer for pointer, _ in found}, found


def test_the_manifest_schema_refuses_a_file_listed_twice_and_lets_extensions_add_dependencies() -> (
    None
):
    validator = offline(bundled("1.1", MANIFEST_SCHEMA))
    assert verdict(validator, manifest_of(manifest_entry(), manifest_entry())) == [
        ("files", "uniqueItems")
    ]
    extended = manifest_entry(dependencies=["acme:ovens", "ingredients"])
    assert verdict(validator, manifest_of(extended)) == []
    old = manifest_entry(filename="recipes.json")
    assert (
        verdict(offline(bundled("1.0", MANIFEST_SCHEMA)), {**manifest_of(old), "version": "1.0"})
        == []
    )


# ---------------------------------------------------------------------------
# What ajv's strict mode asks, without allowUnionTypes.


def types(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "type" in node and not isinstance(node["type"], dict):
            yield node["type"]
        for value in node.values():
            yield from types(value)
    elif isinstance(node, list):
        for item in node:
            yield from types(item)


@pytest.mark.parametrize("version", GENERATED)
def test_a_union_type_only_pairs_a_type_with_null(version: str) -> None:
    unions = [
        found
        for schema in generate(version).values()
        for found in types(schema)
        if isinstance(found, list)
    ]
    assert unions
    assert all(len(found) == 2 and "null" in found for found in unions), unions


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (True, "expected a number or a string, got true"),
        (None, "expected a number or a string, got null"),
        (-1, "must be >= 0, got -1"),
        ("6.9.5", "'6.9.5' is not a decimal as a string"),
    ],
)
def test_a_1_0_decimal_reads_as_the_union_type_it_was(
    price: Any, message: str, tmp_path: Path
) -> None:
    content = json.loads((GOLDEN / "full-backup" / "input" / "purchases.json").read_text())
    content["records"][0]["unit_price"] = price
    path = tmp_path / "purchases.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    found = validate(path).problems
    assert [problem.pointer for problem in found] == ["/records/0/unit_price"]
    assert found[0].message.startswith(message)
