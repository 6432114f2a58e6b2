"""Hostile mutations of a real backup, in each container form (directory, ZIP, document).

A :class:`Pristine` backup is the small sample as :func:`bakery_io.dump_all` wrote it.
A :class:`Case` builds one mutated copy of it and says what bakery_io must make of it:

- ``"refused"``: ``validate`` reports problems and ``load_all`` refuses it;
- ``"refused-by-load"``: a rule across records (or against the database) that only
  ``load_all`` checks; ``validate`` may pass it, the load must refuse it;
- ``"any"``: either outcome, as long as ``validate`` and the load agree.

Edits of records re-encode the file in the layout bakery_io writes (so the streaming
reader, not only the whole-file one, meets the mutation) and bring the manifest's
checksum and count up to date (so the mutation is not hidden behind a checksum
mismatch). Raw JSON that ``json`` cannot write (NaN, duplicate keys, deep nesting, a
lone surrogate) is put in place of :data:`SENTINEL` after encoding.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import shutil
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Form = Literal["dir", "zip", "json"]
FORMS: tuple[Form, ...] = ("dir", "zip", "json")
Expect = Literal["refused", "refused-by-load", "any"]
Records = dict[str, Any]

MANIFEST = "manifest.json"
SENTINEL = "@@HOSTILE@@"
_QUOTED_SENTINEL = json.dumps(SENTINEL).encode()


def canonical(content: Any) -> bytes:
    """JSON in the layout bakery_io writes (two-space indent, UTF-8, final newline)."""
    return json.dumps(content, indent=2, ensure_ascii=False).encode() + b"\n"


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Pristine:
    """The sample backup as dump_all wrote it, as bytes: what every case starts from."""

    #: The directory form's files (entity files and manifest.json), by name.
    files: Mapping[str, bytes]
    #: The single document's bytes.
    document: bytes
    #: The 1.0 backup directory of the golden tests, as bytes by name.
    legacy: Mapping[str, bytes]
    #: The SQLite database it was dumped from (only read it).
    database: Path

    def filename(self, entity: str) -> str:
        """The entity file of ``entity`` in the directory form."""
        manifest = json.loads(self.files[MANIFEST])
        return str(next(e["filename"] for e in manifest["files"] if e["entity_type"] == entity))


# ---------------------------------------------------------------------------
# Writing a container from file bytes.


def write_dir(files: Mapping[str, bytes], path: Path) -> Path:
    """A backup directory holding ``files``."""
    path.mkdir()
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


def write_zip(members: Iterable[tuple[str, bytes]], path: Path) -> Path:
    """A ZIP archive of ``members`` (names as given, duplicates kept)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name; that is the point
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def write_form(form: Form, files: Mapping[str, bytes], document: bytes, path: Path) -> Path:
    """``files`` as a directory or ZIP archive, or ``document`` as a .json file, at ``path``."""
    if form == "dir":
        return write_dir(files, path)
    if form == "zip":
        return write_zip(files.items(), path.with_suffix(".zip"))
    target = path.with_suffix(".json")
    target.write_bytes(document)
    return target


def resum(files: dict[str, bytes]) -> None:
    """Bring the manifest's checksums and counts up to date with ``files`` (in place)."""
    manifest = json.loads(files[MANIFEST])
    for entry in manifest["files"]:
        data = files.get(entry["filename"])
        if data is None:
            continue
        entry["sha256"] = sha256(data)
        # A file that no longer parses (or nests deeper than json can) keeps its count.
        with contextlib.suppress(ValueError, TypeError, KeyError, RecursionError):
            entry["record_count"] = len(json.loads(data)["records"])
    files[MANIFEST] = canonical(manifest)


def _place(data: bytes, raw: bytes | None) -> bytes:
    if raw is None:
        return data
    assert data.count(_QUOTED_SENTINEL) == 1, "the edit must place the sentinel exactly once"
    return data.replace(_QUOTED_SENTINEL, raw)


def edited(
    pristine: Pristine, form: Form, edit: Callable[[Records], None], raw: bytes | None, path: Path
) -> Path:
    """The backup in ``form`` with its records changed by ``edit``; :data:`SENTINEL`
    (placed by ``edit``) becomes the raw JSON ``raw``."""
    if form == "json":
        document = json.loads(pristine.document)
        edit(document)
        return write_form(form, {}, _place(canonical(document), raw), path)
    files = dict(pristine.files)
    manifest = json.loads(files[MANIFEST])
    contents = {e["entity_type"]: json.loads(files[e["filename"]]) for e in manifest["files"]}
    records = {name: content["records"] for name, content in contents.items()}
    before = copy.deepcopy(records)
    edit(records)
    for entry in manifest["files"]:
        name = entry["entity_type"]
        if records[name] != before[name]:
            contents[name]["records"] = records[name]
            data = canonical(contents[name])
            if raw is not None and _QUOTED_SENTINEL in data:
                data = _place(data, raw)
            files[entry["filename"]] = data
    resum(files)
    return write_form(form, files, b"", path)


def replaced(
    pristine: Pristine,
    form: Form,
    change: Callable[[bytes], bytes],
    path: Path,
    *,
    target: str = "entity",
    keep_sums: bool = False,
) -> Path:
    """The backup with the bytes of one file changed by ``change``: the suppliers file
    (``target="entity"``, its checksum updated unless ``keep_sums``), the manifest
    (``"manifest"``), or the single document (always, for the ``json`` form)."""
    if form == "json":
        return write_form(form, {}, change(pristine.document), path)
    files = dict(pristine.files)
    name = MANIFEST if target == "manifest" else pristine.filename("suppliers")
    files[name] = change(files[name])
    if target == "entity" and not keep_sums:
        resum(files)
    return write_form(form, files, b"", path)


# ---------------------------------------------------------------------------
# Cases.

Build = Callable[[Pristine, Path], Path]


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it and what bakery_io must make of it."""

    id: str
    category: str
    build: Build
    expect: Expect
    #: (entity type, record position) when the fault is inside that record: some
    #: problem must name that position.
    record: tuple[str, int] | None = None
    forms: tuple[Form, ...] = field(default=FORMS)

    @property
    def core(self) -> bool:
        """One of the faults issue 16 found: always in the default run."""
        return self.category == "cross" or any(word in self.id for word in _CORE)


#: What issue 16 found, by words of case ids.
_CORE = (
    "nan",
    "infinity",
    "5000-digit",
    "nested",
    "duplicate-key",
    "duplicate-version-9.0",
    "lone-surrogate",
    "document-is-null",
    "encrypted",
    "symlink",
    "bomb",
    "dotdot",
    "absolute",
)


_rotation = itertools.count()


def _next_form() -> Form:
    """The forms in turn: each record-level case runs in one form (the reading code is
    shared across forms; all three are covered by each category)."""
    return FORMS[next(_rotation) % len(FORMS)]


def _record_case(
    category: str,
    name: str,
    entity: str,
    index: int,
    change: Callable[[dict[str, Any]], None],
    *,
    raw: bytes | None = None,
) -> list[Case]:
    def edit(records: Records) -> None:
        change(records[entity][index])

    form = _next_form()
    return [
        Case(
            f"{category}-{name}-{form}",
            category,
            _bind_edited(form, edit, raw),
            "refused",
            (entity, index),
            (form,),
        )
    ]


def _bind_edited(form: Form, edit: Callable[[Records], None], raw: bytes | None) -> Build:
    def build(pristine: Pristine, path: Path) -> Path:
        return edited(pristine, form, edit, raw, path)

    return build


def _setter(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        record[name] = value

    return change


def _deleter(name: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        del record[name]

    return change


#: The record most edits target: a supplier in the middle of its (small) file.
SUP = 3
#: An ingredient (its hierarchy level has a range).
ING = 7


def json_edge_cases() -> list[Case]:
    """Values JSON allows, or that Python's json reads, and the format does not."""
    cases: list[Case] = []
    inside = [
        ("nan", b"NaN"),
        ("infinity", b"Infinity"),
        ("minus-infinity", b"-Infinity"),
        ("5000-digit-integer", b"9" * 5000),
        ("nested-1500-arrays", b"[" * 1500 + b"]" * 1500),
        ("nested-1500-objects", b'{"a": ' * 1500 + b"1" + b"}" * 1500),
        ("nested-100000-arrays", b"[" * 100_000 + b"]" * 100_000),
        ("duplicate-key", b'"First",\n      "name": "Second"'),
        ("lone-surrogate", b'"ab\\ud800"'),
        ("lone-low-surrogate", b'"\\udc00cd"'),
    ]
    for name, raw in inside:
        if name == "5000-digit-integer":
            entity, index, field_name = "events", 2, "year"
        else:
            entity, index = "suppliers", SUP
            field_name = "name" if name == "duplicate-key" else "notes"
        cases += _record_case("json", name, entity, index, _setter(field_name, SENTINEL), raw=raw)
    cases += _record_case(
        "json", "duplicate-key-in-child", "events", 2, _child_duplicate, raw=_child_duplicate_raw()
    )
    for name, document in [
        ("null", b"null"),
        ("null-newline", b"null\n"),
        ("array", b"[]"),
        ("number", b"5"),
        ("string", b'"backup"'),
        ("empty-object", b"{}"),
        ("empty-file", b""),
    ]:
        for target in ("entity", "manifest"):
            if target == "entity":
                forms: tuple[Form, ...] = FORMS
            else:
                forms = ("dir", "zip")
            for form in forms:
                where = "document" if form == "json" else target
                cases.append(
                    Case(
                        f"json-{where}-is-{name}-{form}",
                        "json",
                        _bind_replaced(form, _constant(document), target),
                        "refused",
                        forms=(form,),
                    )
                )
    # Duplicate keys in the manifest and the document: another reader sees other data.
    for first, second in [("9.0", "1.1"), ("1.1", "9.0"), ("1.1", "1.1")]:
        raw_version = f'"version": "{first}",\n  "version": "{second}",'.encode()
        placements: list[tuple[Form, str]] = [
            ("dir", "manifest"),
            ("zip", "manifest"),
            ("json", "entity"),
        ]
        for form, target in placements:
            cases.append(
                Case(
                    f"json-duplicate-version-{first}-{second}-{form}",
                    "json",
                    _bind_replaced(form, _sub(b'"version": "1.1",', raw_version), target),
                    "refused",
                    forms=(form,),
                )
            )
    files_twice = b'"files": [],\n  "files": ['
    for form in ("dir", "zip"):
        cases.append(
            Case(
                f"json-duplicate-files-in-manifest-{form}",
                "json",
                _bind_replaced(form, _sub(b'"files": [', files_twice), "manifest"),
                "refused",
                forms=(form,),
            )
        )
    return cases


def _child_duplicate(record: dict[str, Any]) -> None:
    record["production_targets"][0]["notes"] = SENTINEL


def _child_duplicate_raw() -> bytes:
    """The child's ``notes`` twice: the raw text in place of the sentinel repeats the key."""
    return b'"First",\n          "notes": "Second"'


def _constant(data: bytes) -> Callable[[bytes], bytes]:
    return lambda _: data


def _sub(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        assert old in data, f"{old!r} is not in the file"
        return data.replace(old, new, 1)

    return change


def _bind_replaced(
    form: Form, change: Callable[[bytes], bytes], target: str, *, keep_sums: bool = False
) -> Build:
    def build(pristine: Pristine, path: Path) -> Path:
        return replaced(pristine, form, change, path, target=target, keep_sums=keep_sums)

    return build


#: Encoding cases that change a string of the ingredients file (not in the manifest).
_IN_STRING = ("invalid-utf8-in-string", "overlong-utf8", "encoded-surrogate-utf8")


def encoding_cases() -> list[Case]:
    """Bytes that are not the UTF-8 text the format is."""
    cases: list[Case] = []
    changes: list[tuple[str, Callable[[bytes], bytes], Expect]] = [
        (
            "invalid-utf8-in-string",
            _sub(b"Millbrook Farm Store", b"Millbrook \xff\xfe Store"),
            "refused",
        ),
        ("invalid-utf8-at-start", lambda data: b"\xc3" + data, "refused"),
        ("overlong-utf8", _sub(b"Millbrook Farm Store", b"Millbrook \xc0\xaf Store"), "refused"),
        (
            "encoded-surrogate-utf8",
            _sub(b"Millbrook Farm Store", b"Millbrook \xed\xa0\x80"),
            "refused",
        ),
        ("utf16", lambda data: data.decode().encode("utf-16"), "refused"),
        ("utf16-le-no-bom", lambda data: data.decode().encode("utf-16-le"), "refused"),
        ("utf32", lambda data: data.decode().encode("utf-32"), "refused"),
        # A BOM is not allowed by RFC 8259, which lets readers ignore it: either way,
        # validate and the load must agree.
        ("utf8-bom", lambda data: b"\xef\xbb\xbf" + data, "any"),
    ]
    for name, change, expect in changes:
        for target in ("entity", "manifest"):
            for form in FORMS if target == "entity" else ("dir", "zip"):
                if target == "manifest" and name in _IN_STRING:
                    continue
                where = "document" if form == "json" else target
                cases.append(
                    Case(
                        f"encoding-{where}-{name}-{form}",
                        "encoding",
                        _bind_replaced(form, change, target),
                        expect,
                        forms=(form,),
                    )
                )
    cases.append(
        Case(
            "encoding-lone-surrogate-in-1.0-backup-dir",
            "encoding",
            _legacy_surrogate,
            "refused",
            ("suppliers", 0),
            ("dir",),
        )
    )
    return cases


def _legacy_surrogate(pristine: Pristine, path: Path) -> Path:
    files = dict(pristine.legacy)
    content = json.loads(files["suppliers.json"])
    records = content["records"] if isinstance(content, dict) else content
    records[0]["notes"] = SENTINEL
    files["suppliers.json"] = _place(canonical(content), b'"ab\\ud800"')
    manifest = json.loads(files[MANIFEST])
    for entry in manifest["files"]:
        if entry["filename"] == "suppliers.json":
            entry["sha256"] = sha256(files["suppliers.json"])
    files[MANIFEST] = canonical(manifest)
    return write_dir(files, path)


def syntax_cases() -> list[Case]:
    """Broken JSON text: deterministic edits (random ones are a hypothesis test)."""
    cases: list[Case] = []
    changes: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("bad-escape", _sub(b"Millbrook Farm Store", b"Millbrook \\x41 Store")),
        ("bad-unicode-escape", _sub(b"Millbrook Farm Store", b"Millbrook \\u12G4 Store")),
        ("raw-newline-in-string", _sub(b"Millbrook Farm Store", b"Millbrook\nFarm Store")),
        ("raw-control-in-string", _sub(b"Millbrook Farm Store", b"Millbrook\x01Farm Store")),
        ("trailing-comma", _sub(b'"Millbrook Farm Store",', b'"Millbrook Farm Store",,')),
        ("single-quotes", _sub(b'"Millbrook Farm Store"', b"'Millbrook Farm Store'")),
        ("unquoted-key", _sub(b'"is_active"', b"is_active")),
        ("comment", _sub(b'"is_active"', b'/* x */ "is_active"')),
        ("missing-close", lambda data: data.rstrip()[:-1]),
        ("second-document", lambda data: data + b"{}\n"),
        (
            "record-separator-in-string",
            _sub(b"Millbrook Farm Store", b"Millbrook\\n    },\\n    {"),
        ),
        ("nul-byte", _sub(b"Millbrook Farm Store", b"Millbrook\x00Farm Store")),
    ]
    for name, change in changes:
        for form in FORMS:
            where = "document" if form == "json" else "entity"
            expect: Expect = "any" if name == "record-separator-in-string" else "refused"
            cases.append(
                Case(
                    f"syntax-{where}-{name}-{form}",
                    "syntax",
                    _bind_replaced(form, change, "entity"),
                    expect,
                    forms=(form,),
                )
            )
    # Truncation of the ingredients file at deterministic offsets (checksums updated,
    # so the reader must find what is wrong) and of the manifest.
    for fraction in (0.0, 0.3, 0.7, 0.999):
        for form in FORMS:
            for target in ("entity", "manifest") if form != "json" else ("entity",):
                where = "document" if form == "json" else target
                cases.append(
                    Case(
                        f"syntax-{where}-truncated-at-{fraction}-{form}",
                        "syntax",
                        _bind_replaced(form, _truncate(fraction), target),
                        "refused",
                        forms=(form,),
                    )
                )
    return cases


def _truncate(fraction: float) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        # Never only the final newline, which leaves valid JSON.
        return data[: min(int(len(data) * fraction), len(data) - 3)]

    return change


def schema_cases() -> list[Case]:
    """Records that are JSON but not what the format allows."""
    cases: list[Case] = []
    edits: list[tuple[str, str, int, Callable[[dict[str, Any]], None]]] = [
        ("wrong-type-integer", "events", 2, _setter("year", "2026")),
        ("wrong-type-string", "suppliers", SUP, _setter("name", 5)),
        ("wrong-type-boolean", "suppliers", SUP, _setter("is_active", "yes")),
        ("float-for-decimal", "ingredients", ING, _setter("density_weight_value", 4.8)),
        ("null-for-required", "suppliers", SUP, _setter("slug", None)),
        ("missing-slug", "suppliers", SUP, _deleter("slug")),
        ("missing-name", "suppliers", SUP, _deleter("name")),
        ("extra-field", "suppliers", SUP, _setter("bogus", 1)),
        ("out-of-range-level", "ingredients", ING, _setter("hierarchy_level", 7)),
        ("negative-minutes", "recipes", 3, _setter("estimated_time_minutes", -5)),
        ("huge-integer", "events", 2, _setter("year", 2**70)),
        ("bad-slug", "suppliers", SUP, _setter("slug", "Not A Slug!")),
        ("empty-slug", "suppliers", SUP, _setter("slug", "")),
        ("bad-uuid", "suppliers", SUP, _setter("uuid", "not-a-uuid")),
        ("bad-date", "events", 2, _setter("event_date", "2025-02-30")),
        ("bad-datetime", "suppliers", SUP, _setter("created_at", "yesterday")),
        ("bad-enum", "suppliers", SUP, _setter("supplier_type", "telepathic")),
        ("bad-decimal", "ingredients", ING, _setter("density_weight_value", "4,8")),
        ("too-many-places", "ingredients", ING, _setter("density_weight_value", "4.123456")),
        ("children-not-array", "events", 2, _setter("production_targets", {"a": 1})),
        ("child-missing-field", "events", 2, _child_edit("production_targets", "recipe_slug")),
    ]
    for name, entity, index, change in edits:
        cases += _record_case("schema", name, entity, index, change)
    whole: list[tuple[str, Callable[[Records], None], tuple[str, int] | None]] = [
        ("record-is-null", _record_replaced(None), ("suppliers", SUP)),
        ("record-is-array", _record_replaced([]), ("suppliers", SUP)),
        ("record-is-string", _record_replaced("supplier"), ("suppliers", SUP)),
        ("records-not-array", _records_replaced({"a": 1}), None),
        ("records-null", _records_replaced(None), None),
    ]
    for name, edit, record in whole:
        form = _next_form()
        cases.append(
            Case(
                f"schema-{name}-{form}",
                "schema",
                _bind_edited(form, edit, None),
                "refused",
                record,
                (form,),
            )
        )
    return cases


def _record_replaced(value: Any) -> Callable[[Records], None]:
    def edit(records: Records) -> None:
        records["suppliers"][SUP] = value

    return edit


def _child_edit(children: str, name: str) -> Callable[[dict[str, Any]], None]:
    def change(record: dict[str, Any]) -> None:
        del record[children][0][name]

    return change


def _records_replaced(value: Any) -> Callable[[Records], None]:
    def edit(records: Records) -> None:
        records["suppliers"] = value

    return edit


def cross_record_cases() -> list[Case]:
    """Records each sound on its own that break rules across records."""
    edits: list[tuple[str, Callable[[Records], None], tuple[str, int] | None]] = [
        ("dangling-ingredient", _dangling, ("recipes", 0)),
        ("dangling-parent", _dangling_parent, ("ingredients", ING)),
        ("duplicate-ingredient-key", _duplicate_ingredient, None),
        ("ingredient-parent-cycle", _ingredient_cycle, None),
        ("ingredient-own-parent", _ingredient_own_parent, None),
        ("recipe-variant-cycle", _variant_cycle, None),
        ("recipe-component-cycle", _component_cycle, None),
        ("recipe-own-component", _own_component, None),
        ("finished-good-cycle", _finished_good_cycle, None),
        ("non-leaf-ingredient-in-recipe", _non_leaf_in_recipe, ("recipes", 0)),
        ("recipes-nested-5-deep", _deep_recipes, None),
    ]
    cases = []
    for name, edit, record in edits:
        form = _next_form()
        cases.append(
            Case(
                f"cross-{name}-{form}",
                "cross",
                _bind_edited(form, edit, None),
                "refused-by-load",
                record,
                (form,),
            )
        )
    return cases


def _slugs(records: Records, entity: str) -> list[str]:
    return [record["slug"] for record in records[entity]]


def _dangling(records: Records) -> None:
    records["recipes"][0]["ingredients"][0]["ingredient_slug"] = "no-such-ingredient"


def _dangling_parent(records: Records) -> None:
    records["ingredients"][ING]["parent_slug"] = "no-such-parent"


def _duplicate_ingredient(records: Records) -> None:
    records["ingredients"].append(copy.deepcopy(records["ingredients"][ING]))


def _ingredient_by_slug(records: Records, slug: str) -> dict[str, Any]:
    return next(r for r in records["ingredients"] if r["slug"] == slug)


def _ingredient_cycle(records: Records) -> None:
    # An ingredient under its own child.
    child = next(r for r in records["ingredients"] if r["parent_slug"])
    parent = _ingredient_by_slug(records, child["parent_slug"])
    parent["parent_slug"] = child["slug"]


def _ingredient_own_parent(records: Records) -> None:
    child = records["ingredients"][ING]
    child["parent_slug"] = child["slug"]


def _recipe_pair(records: Records) -> tuple[dict[str, Any], dict[str, Any]]:
    plain = [r for r in records["recipes"] if not r["base_recipe_slug"] and not r["components"]]
    return plain[0], plain[1]


def _variant_cycle(records: Records) -> None:
    first, second = _recipe_pair(records)
    first["base_recipe_slug"], first["variant_name"] = second["slug"], "Loop A"
    second["base_recipe_slug"], second["variant_name"] = first["slug"], "Loop B"


def _component(slug: str) -> dict[str, Any]:
    return {"component_recipe_slug": slug, "quantity": "1.0000", "notes": None, "sort_order": 0}


def _component_cycle(records: Records) -> None:
    first, second = _recipe_pair(records)
    first["components"] = [_component(second["slug"])]
    second["components"] = [_component(first["slug"])]


def _own_component(records: Records) -> None:
    first, _ = _recipe_pair(records)
    first["components"] = [_component(first["slug"])]


def _finished_good_cycle(records: Records) -> None:
    first, second = records["finished_goods"][0], records["finished_goods"][1]
    for one, other in ((first, second), (second, first)):
        one["components"].append(
            {
                "finished_unit_slug": None,
                "finished_good_slug": other["slug"],
                "material_product_slug": None,
                "material_unit_slug": None,
                "quantity": "1.0000",
                "notes": None,
                "sort_order": 99,
            }
        )


def _non_leaf_in_recipe(records: Records) -> None:
    parents = {r["parent_slug"] for r in records["ingredients"] if r["parent_slug"]}
    records["recipes"][0]["ingredients"][0]["ingredient_slug"] = sorted(parents)[0]


def _deep_recipes(records: Records) -> None:
    chain = [r for r in records["recipes"] if not r["base_recipe_slug"] and not r["components"]]
    for upper, lower in itertools.pairwise(chain[:6]):
        upper["components"] = [_component(lower["slug"])]


def container_cases() -> list[Case]:
    """What is wrong with the container rather than a file in it."""
    cases: list[Case] = []
    for form in ("dir", "zip"):
        cases += [
            Case(
                f"container-no-manifest-{form}",
                "container",
                _bind_files(form, _without(MANIFEST)),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-listed-file-missing-{form}",
                "container",
                _bind_files(form, _without("03_products.json")),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-unlisted-file-{form}",
                "container",
                _bind_files(form, _extra("99_extra.json")),
                "any",
                forms=(form,),
            ),
            Case(
                f"container-checksum-mismatch-{form}",
                "container",
                _bind_files(form, _manifest_entry("sha256", "0" * 64)),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-count-mismatch-{form}",
                "container",
                _bind_files(form, _manifest_entry("record_count", 163)),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-negative-count-{form}",
                "container",
                _bind_files(form, _manifest_entry("record_count", -1)),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-entity-changed-sum-kept-{form}",
                "container",
                _bind_replaced(
                    form,
                    _sub(b"Millbrook Farm Store", b"Millbrook Farm Stork"),
                    "entity",
                    keep_sums=True,
                ),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-manifest-version-unknown-{form}",
                "container",
                _bind_replaced(form, _sub(b'"version": "1.1"', b'"version": "9.0"'), "manifest"),
                "refused",
                forms=(form,),
            ),
            Case(
                f"container-manifest-path-filename-{form}",
                "container",
                _bind_replaced(
                    form, _sub(b'"01_suppliers.json"', b'"../01_suppliers.json"'), "manifest"
                ),
                "refused",
                forms=(form,),
            ),
        ]
    zip_members: list[tuple[str, Callable[[dict[str, bytes]], list[tuple[str, bytes]]]]] = [
        ("directory-entry", lambda f: [("sub/", b""), *f.items()]),
        (
            "member-in-directory",
            lambda f: [*_rename(f, "01_suppliers.json", "sub/01_suppliers.json")],
        ),
        ("absolute-member", lambda f: [*_rename(f, "01_suppliers.json", "/01_suppliers.json")]),
        ("dotdot-member", lambda f: [*_rename(f, "01_suppliers.json", "../01_suppliers.json")]),
        ("backslash-member", lambda f: [*_rename(f, "01_suppliers.json", "..\\01_suppliers.json")]),
        ("duplicate-member", lambda f: [*f.items(), ("01_suppliers.json", b"[]")]),
        (
            "duplicate-manifest",
            lambda f: [(MANIFEST, b'{"version": "1.1", "files": []}'), *f.items()],
        ),
    ]
    for name, members in zip_members:
        cases.append(
            Case(
                f"container-zip-{name}", "container", _bind_zip(members), "refused", forms=("zip",)
            )
        )
    cases += [
        Case("container-zip-encrypted-member", "container", _encrypted, "refused", forms=("zip",)),
        Case("container-zip-zero-bomb-member", "container", _small_bomb, "refused", forms=("zip",)),
        Case(
            "container-zip-truncated-archive",
            "container",
            _truncated_zip,
            "refused",
            forms=("zip",),
        ),
        Case("container-zip-not-a-zip", "container", _not_a_zip, "refused", forms=("zip",)),
        Case("container-zip-stored-crc-wrong", "container", _bad_crc, "refused", forms=("zip",)),
        Case(
            "container-dir-entity-symlink-outside",
            "container",
            _symlinked("entity"),
            "refused",
            forms=("dir",),
        ),
        Case(
            "container-dir-manifest-symlink-outside",
            "container",
            _symlinked("manifest"),
            "refused",
            forms=("dir",),
        ),
    ]
    return cases


def _rename(files: Mapping[str, bytes], old: str, new: str) -> list[tuple[str, bytes]]:
    return [(new if name == old else name, data) for name, data in files.items()]


def _without(name: str) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        del files[name]

    return change


def _extra(name: str) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        files[name] = canonical({"version": "1.1", "entity_type": "suppliers", "records": []})

    return change


def _manifest_entry(key: str, value: Any) -> Callable[[dict[str, bytes]], None]:
    def change(files: dict[str, bytes]) -> None:
        manifest = json.loads(files[MANIFEST])
        entry = next(e for e in manifest["files"] if e["entity_type"] == "ingredients")
        entry[key] = value
        files[MANIFEST] = canonical(manifest)

    return change


def _bind_files(form: Form, change: Callable[[dict[str, bytes]], None]) -> Build:
    def build(pristine: Pristine, path: Path) -> Path:
        files = dict(pristine.files)
        change(files)
        return write_form(form, files, b"", path)

    return build


def _bind_zip(members: Callable[[dict[str, bytes]], list[tuple[str, bytes]]]) -> Build:
    def build(pristine: Pristine, path: Path) -> Path:
        return write_zip(members(dict(pristine.files)), path.with_suffix(".zip"))

    return build


def _encrypted(pristine: Pristine, path: Path) -> Path:
    """A ZIP whose suppliers member says it is encrypted (flag bit 0, in both headers)."""
    target = write_zip(pristine.files.items(), path.with_suffix(".zip"))
    data = bytearray(target.read_bytes())
    name = b"01_suppliers.json"
    local = data.find(b"PK\x03\x04")
    while local != -1:
        length = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + length]) == name:
            data[local + 6] |= 1
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + length]) == name:
            data[central + 8] |= 1
        central = data.find(b"PK\x01\x02", central + 4)
    target.write_bytes(bytes(data))
    return target


#: The uncompressed size of the in-process bomb (a few MB; the memory test uses more).
SMALL_BOMB = 8 * 2**20


def write_bomb(path: Path, files: Mapping[str, bytes], size: int, fill: bytes, head: bytes) -> Path:
    """A ZIP of ``files`` whose ingredients member is ``head`` then ``size`` bytes of ``fill``,
    streamed (the member is never in memory)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            if name != "02_ingredients.json":
                archive.writestr(name, data)
        info = zipfile.ZipInfo("02_ingredients.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            member.write(head)
            block = fill * (2**20 // len(fill))
            for _ in range(size // len(block)):
                member.write(block)
    return path


def _small_bomb(pristine: Pristine, path: Path) -> Path:
    return write_bomb(path.with_suffix(".zip"), pristine.files, SMALL_BOMB, b"\0", b"")


def _truncated_zip(pristine: Pristine, path: Path) -> Path:
    target = write_zip(pristine.files.items(), path.with_suffix(".zip"))
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def _not_a_zip(pristine: Pristine, path: Path) -> Path:
    target = path.with_suffix(".zip")
    target.write_bytes(b"PK\x03\x04 this is not an archive" * 10)
    return target


def _bad_crc(pristine: Pristine, path: Path) -> Path:
    """A stored (uncompressed) member whose content was changed after its CRC was taken."""
    target = path.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in pristine.files.items():
            archive.writestr(name, data)
    data = target.read_bytes()
    target.write_bytes(data.replace(b"Millbrook Farm Store", b"Millbrook Farm Stork", 1))
    return target


def _symlinked(which: str) -> Build:
    def build(pristine: Pristine, path: Path) -> Path:
        target = write_dir(pristine.files, path)
        name = MANIFEST if which == "manifest" else pristine.filename("ingredients")
        outside = path.parent / f"outside-{name}"
        shutil.move(target / name, outside)
        (target / name).symlink_to(outside)
        return target

    return build


def default_cases(cases: list[Case], every: int = 5) -> list[Case]:
    """What the default run checks: the core cases and every ``every``-th other one (all
    of them with ``BAKERY_IO_HOSTILE=full`` in the environment)."""
    chosen = [case for number, case in enumerate(cases) if case.core or number % every == 0]
    covered = {(case.category, case.forms[0]) for case in chosen}
    for case in cases:
        if (case.category, case.forms[0]) not in covered:
            covered.add((case.category, case.forms[0]))
            chosen.append(case)
    return chosen


def all_cases() -> list[Case]:
    """Every deterministic case, each in the forms it applies to."""
    cases = [
        *syntax_cases(),
        *encoding_cases(),
        *json_edge_cases(),
        *schema_cases(),
        *cross_record_cases(),
        *container_cases(),
    ]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
