"""The 1.0 -> 1.1 upgrade, proved on generated backups written back in format 1.0.

Each example is a random 1.1 document (:func:`tests.strategies.documents`)
that :func:`tests.legacy.downgrade` writes in format 1.0 by applying the upgrade table
of docs/format/versions.md backwards: ids everywhere, events, recipients and packages by
name, no loss fields on production runs, consumptions by id, broken slugs,
decimals as JSON numbers, naive datetimes. Upgrading it must give back exactly
the records it was made from (:func:`tests.legacy.expected_upgrade` says
where the upgrade cannot: slugs derived from names, loss fields filled in),
and report exactly the slugs it repaired.

The helper itself is tested too, so that a downgrade that silently does
nothing cannot make the upgrade look right.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

import bakery_io
from bakery_io import SourceError
from bakery_io.format.fields import Children, DateTime, DecimalString, Reference
from bakery_io.format.slugs import is_slug, slugify
from bakery_io.jsonio import loads
from bakery_io.problems import pointer
from bakery_io.registry import REGISTRY
from bakery_io.versions import CURRENT_VERSION, upgrade_backup
from bakery_io.versions.backup import Backup, Part, Record, Rewrite
from bakery_io.versions.v1_0_to_v1_1 import ID_ONLY, NAMED, RUN_DEFAULTS, slug_length
from tests.legacy import (
    LEGACY,
    MANIFEST,
    ExpectedRewrite,
    Schema,
    backup_of,
    damage_slug,
    derived_slugs,
    downgrade,
    encode,
    expected_rewrites,
    expected_upgrade,
    legacy_document,
    natural_key,
    read_current_directory,
    reference_key,
    scope_fields,
    wire_fields,
    write_legacy,
)
from tests.strategies import documents

# A failing example prints its document; Hypothesis warns when that text is long.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)

PROPERTY = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = st.integers(0, 2**32 - 1)

#: Every optional change of the downgrade made everywhere it can be.
ALWAYS = {"damage": 1.0, "number": 1.0, "naive": 1.0, "defaults": 1.0}

#: Names that collide once slugified (Noël / noel / NOËL; gift box / gift-box), that leave
#: nothing of themselves (the entity type's name stands in) or that look like the slugs
#: the collisions make, and one longer than a slug may be.
SHARED_NAMES = (
    "Noël",
    "noel",
    "NOËL",
    "noel-2",
    "Gift box",
    "gift-box",
    "",
    "🎂",
    "events",
    "recipients-2",
    "packages",
    "Ü" * 150,
    "u" * 150,
)


# ---------------------------------------------------------------------------
# Comparing what the upgrade gave with what it must give, saying what differs.


def differences(expected: Any, got: Any, where: str) -> list[str]:
    """Every place where ``got`` is not ``expected`` (values of another type differ too)."""
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        found = []
        for name in [*expected, *(name for name in got if name not in expected)]:
            here = f"{where}.{name}"
            if name not in got:
                found.append(f"{here}: missing, expected {expected[name]!r}")
            elif name not in expected:
                found.append(f"{here}: not expected, got {got[name]!r}")
            else:
                found += differences(expected[name], got[name], here)
        return found
    if isinstance(expected, list) and isinstance(got, list):
        found = []
        if len(expected) != len(got):
            found.append(f"{where}: {len(expected)} items expected, got {len(got)}")
        for position, (left, right) in enumerate(zip(expected, got, strict=False)):
            found += differences(left, right, f"{where}[{position}]")
        return found
    if type(expected) is not type(got) or expected != got:
        return [f"{where}: expected {expected!r}, got {got!r}"]
    return []


def _rewrites(rewrites: Iterable[Rewrite]) -> list[ExpectedRewrite]:
    """``rewrites`` in the terms of :func:`tests.legacy.expected_rewrites`, in its order."""
    return sorted(
        (
            ExpectedRewrite(
                rewrite.entity_type,
                rewrite.old,
                rewrite.new,
                rewrite.file,
                rewrite.pointer,
                rewrite.record,
                rewrite.references,
            )
            for rewrite in rewrites
        ),
        key=repr,
    )


def check_upgrade(backup: Backup, legacy: Backup, upgraded: Backup) -> None:
    """``upgraded`` (from ``legacy``, made from ``backup``) holds what the spec says."""
    assert upgraded.version == CURRENT_VERSION
    assert [(name, part.file, part.pointer) for name, part in upgraded.parts.items()] == [
        (name, part.file, part.pointer) for name, part in backup.parts.items()
    ]
    assert dict(upgraded.header) == dict(backup.header), (
        f"header {dict(legacy.header)} upgraded to {dict(upgraded.header)}"
    )
    expected = expected_upgrade(backup, legacy)
    for name, part in upgraded.parts.items():
        found = differences(expected[name], part.records, name)
        if found:
            first = int(found[0].split("[", 1)[1].split("]", 1)[0]) if "[" in found[0] else 0
            legacy_records = legacy.parts[name].records
            shown = legacy_records[first] if first < len(legacy_records) else None
            raise AssertionError(
                f"the upgrade of {name} differs from the 1.1 records in {len(found)} places:\n  "
                + "\n  ".join(found[:20])
                + f"\n1.0 record {first}: {shown!r}"
            )
    want, got = expected_rewrites(backup, legacy), _rewrites(upgraded.rewrites)
    missing = [rewrite for rewrite in want if rewrite not in got]
    unexpected = [rewrite for rewrite in got if rewrite not in want]
    assert (missing, unexpected) == ([], []), (
        "rewrites differ:\n  missing: "
        + "\n           ".join(map(repr, missing))
        + "\n  not expected: "
        + "\n                ".join(map(repr, unexpected))
    )


def _through_json(legacy: Backup) -> Backup:
    """``legacy`` written as a 1.0 document and read back as bakery_io reads JSON."""
    parsed = loads(encode(legacy_document(legacy)))
    read = backup_of(parsed, legacy.source)
    return Backup(read.source, read.kind, read.version, dict(legacy.header), read.parts)


# ---------------------------------------------------------------------------
# (a) Generated backups come back record for record.


@PROPERTY
@given(document=documents(complete=False, shuffle=True), seed=SEEDS)
def test_upgrading_a_downgraded_backup_gives_its_records_back(
    document: dict[str, Any], seed: int
) -> None:
    backup = backup_of(document)
    legacy = downgrade(backup, random.Random(seed))
    check_upgrade(backup, legacy, upgrade_backup(legacy))
    # The same backup as bytes: decimals are JSON numbers, read back as Decimal or int.
    check_upgrade(backup, legacy, upgrade_backup(_through_json(legacy)))


# ---------------------------------------------------------------------------
# (b) Events, recipients and packages sharing names.

#: Entity types that reference every named type, and what they need.
NAMED_USERS = ("event_recipient_packages", "production_runs", "assembly_runs")


@PROPERTY
@given(
    document=documents(
        entity_types=NAMED_USERS, complete=False, shuffle=True, min_records=2, max_records=5
    ),
    data=st.data(),
    seed=SEEDS,
)
def test_names_shared_by_several_records_are_told_apart_by_their_ids(
    document: dict[str, Any], data: st.DataObject, seed: int
) -> None:
    for name in NAMED:
        records = document.get(name, [])
        pool = data.draw(st.lists(st.sampled_from(SHARED_NAMES), min_size=1, max_size=3))
        drawn = data.draw(
            st.lists(st.sampled_from(pool), min_size=len(records), max_size=len(records))
        )
        for record, chosen in zip(records, drawn, strict=True):
            record["name"] = chosen
    backup = backup_of(document)
    legacy = downgrade(backup, random.Random(seed))
    names = {name: [record["name"] for record in document.get(name, [])] for name in NAMED}
    note(f"names: {names}")
    shared = [name for name, held in names.items() if len(set(held)) < len(held)]
    event(f"named types with a shared name: {len(shared)}")
    derived = derived_slugs(backup, legacy)
    suffixed = [
        record["name"]
        for name in derived
        for record in backup.parts[name].records
        if derived[name][record["slug"]] != (slugify(record["name"], 100) or name)
    ]
    event(f"a derived slug has a suffix: {bool(suffixed)}")
    check_upgrade(backup, legacy, upgrade_backup(legacy))


def _legacy_named_backup() -> Backup:
    """A hand-written 1.0 backup of events, recipients, packages and who gets what (valid
    1.0: timestamps naive, ids everywhere, references by name)."""
    stamp = "2025-12-01T10:00:00"
    times = {"created_at": stamp, "updated_at": stamp}

    def make_event(number: int, name: str) -> Record:
        return {
            "id": number,
            "uuid": f"00000000-0000-4000-8000-{number:012d}",
            "name": name,
            "event_date": "2025-12-24",
            "year": 2025,
            **times,
        }

    events = [make_event(7, "Noël"), make_event(2, "NOËL"), make_event(5, "Noël")]
    events.append(make_event(9, "🎂"))
    recipient = {"id": 1, "uuid": "00000000-0000-4000-8000-000000000101", "name": "Amélie"}
    package = {"id": 3, "uuid": "00000000-0000-4000-8000-000000000103", "name": "Gift box"}
    recipient.update(times)
    package.update(times)
    gifts = [
        {
            "id": number,
            "uuid": f"00000000-0000-4000-8000-{200 + number:012d}",
            "event_name": name,
            "event_id": event_id,
            "recipient_name": "Amélie",
            "recipient_id": 1,
            "package_name": "Gift box",
            "package_id": 3,
            **times,
        }
        for number, (name, event_id) in enumerate(
            [("Noël", 7), ("Noël", 5), ("NOËL", 2), ("🎂", 9)], start=1
        )
    ]
    parts = {
        name: Part("backup.json", f"/{name}", records)
        for name, records in (
            ("recipients", [recipient]),
            ("packages", [package]),
            ("events", events),
            ("event_recipient_packages", gifts),
        )
    }
    return Backup("backup.json", "document", LEGACY, {"exported_at": stamp}, parts)


def test_shared_names_get_suffixes_in_id_order_and_references_follow_their_ids() -> None:
    upgraded = upgrade_backup(_legacy_named_backup())
    # Ids 2 (NOËL), 5 (Noël), 7 (Noël) all slugify to "noel"; 9 leaves nothing of its name.
    assert [record["slug"] for record in upgraded.parts["events"].records] == [
        "noel-3",
        "noel",
        "noel-2",
        "events",
    ]
    assert [gift["event_slug"] for gift in upgraded.parts["event_recipient_packages"].records] == [
        "noel-3",
        "noel-2",
        "noel",
        "events",
    ]
    assert {
        gift["recipient_slug"] for gift in upgraded.parts["event_recipient_packages"].records
    } == {"amelie"}
    assert not any(
        name.endswith(("_id", "_name")) or name == "id"
        for gift in upgraded.parts["event_recipient_packages"].records
        for name in gift
    )


def test_a_name_that_matches_nothing_or_two_records_without_an_id_is_a_problem() -> None:
    legacy = _legacy_named_backup()
    gifts = legacy.parts["event_recipient_packages"].records
    gifts[0]["event_name"] = "Hanukkah"
    del gifts[1]["event_id"]  # "Noël" is the name of two events
    with pytest.raises(SourceError) as raised:
        upgrade_backup(legacy)
    problems = {(p.file, p.pointer, p.record): p.message for p in raised.value.problems}
    assert set(problems) == {
        ("backup.json", "/event_recipient_packages/0/event_name", 0),
        ("backup.json", "/event_recipient_packages/1/event_name", 1),
    }, raised.value.problems
    assert "Hanukkah" in problems[("backup.json", "/event_recipient_packages/0/event_name", 0)]
    assert "Noël" in problems[("backup.json", "/event_recipient_packages/1/event_name", 1)]


# ---------------------------------------------------------------------------
# Edges the generated documents do not reach.


def test_a_uuid_reference_outside_the_backup_is_kept_as_written() -> None:
    """UUIDs are kept as-is (docs/format/entities.md); the slug rule is for slugs only
    (docs/format/versions.md row 7)."""
    stamp = "2025-12-01T10:00:00Z"
    item = {
        "id": 1,
        "uuid": "0f8e2f8c-3b7a-4c1e-9a51-2f0d5d8b9c10",
        "product_slug": "flour",
        "product_id": 4,
        "purchase_uuid": "A1B2C3D4-0000-4000-8000-00000000000A",
        "purchase_id": 9,
        "quantity": Decimal("1.5"),
        "created_at": stamp,
        "updated_at": stamp,
    }
    part = Part("inventory_items.json", "/records", [item])
    legacy = Backup("backup", "directory", LEGACY, {}, {"inventory_items": part})
    upgraded = upgrade_backup(legacy)
    (record,) = upgraded.parts["inventory_items"].records
    assert record["purchase_uuid"] == "A1B2C3D4-0000-4000-8000-00000000000A"
    assert record["quantity"] == "1.5"
    assert not [str(rewrite) for rewrite in upgraded.rewrites if rewrite.entity_type == "purchases"]


# ---------------------------------------------------------------------------
# (c) The helper: a downgrade that writes every difference of format 1.0.


def pairs(backup: Backup, legacy: Backup) -> Iterator[tuple[str, str, Schema, Record, Record]]:
    """(entity type, children key or "", schema, 1.1 record, 1.0 record) of every record and
    child, side by side."""

    def visit(
        name: str, children: str, schema: Schema, new: Record, old: Record
    ) -> Iterator[tuple[str, str, Schema, Record, Record]]:
        yield name, children, schema, new, old
        for wire_name, field in wire_fields(schema).items():
            if isinstance(field, Children) and new.get(wire_name):
                assert len(old[wire_name]) == len(new[wire_name]), (name, wire_name)
                for left, right in zip(new[wire_name], old[wire_name], strict=True):
                    yield from visit(name, wire_name, field.schema_class, left, right)

    assert list(legacy.parts) == list(backup.parts)
    for name, part in backup.parts.items():
        olds = legacy.parts[name].records
        assert len(olds) == len(part.records), name
        for new, old in zip(part.records, olds, strict=True):
            yield from visit(name, "", REGISTRY[name].schema, new, old)


class Targets:
    """The 1.0 form of every top-level record, by entity type and 1.1 natural key."""

    def __init__(self, backup: Backup, legacy: Backup) -> None:
        self.by_key = {
            name: {
                natural_key(name, new): old
                for new, old in zip(part.records, legacy.parts[name].records, strict=True)
            }
            for name, part in backup.parts.items()
        }

    def __call__(self, target: str, key: tuple[Any, ...]) -> Record:
        return self.by_key[target][key]


def check_reference(
    place: tuple[str, str, str], field: Reference, new: Record, old: Record, targets: Targets
) -> None:
    """One reference in its 1.0 form: key (as the target writes it), name or id only, and
    the target's id beside it."""
    wire_name = place[2]
    value = new[wire_name]
    target = None if value is None else targets(field.target, reference_key(field, new, value))
    relation = wire_name.rsplit("_", 1)[0]
    assert old[f"{relation}_id"] == (None if target is None else target["id"]), place
    if place in ID_ONLY:
        assert wire_name not in old, place
    elif field.target in NAMED:
        assert wire_name not in old, place
        assert old[f"{relation}_name"] == (None if target is None else target["name"]), place
    elif target is None:
        assert old[wire_name] is None, place
    else:
        key = REGISTRY[field.target].natural_key
        written = (*(old[part] for part in field.scope), old[wire_name])
        assert written == tuple(target[part] for part in key), (place, written)


def check_plain(
    place: tuple[str, str, str], field: Any, value: Any, old: Record, *, always: bool
) -> None:
    """A value that is neither key nor reference: the same, or as 1.0 may write it."""
    written = old[place[2]]
    if isinstance(field, DecimalString) and isinstance(value, str):
        if always or written != value:
            assert type(written) is Decimal, (place, written)
            assert format(written, "f") == value, (place, written)
    elif isinstance(field, DateTime) and isinstance(value, str) and value.endswith("Z"):
        assert written in ({value[:-1]} if always else {value, value[:-1]}), (place, written)
    else:
        assert type(written) is type(value), (place, written)
        assert written == value, (place, written)


def check_slug(name: str, value: str, written: str, *, always: bool) -> None:
    """A slug left as it was, or damaged so that the slug rule repairs it exactly."""
    length = slug_length(REGISTRY[name])
    if written == value:
        if always:
            assert damage_slug(value, length, random.Random(0)) is None, (
                f"{name}: the slug {value!r} could have been damaged and was not"
            )
        return
    assert not is_slug(written), (name, written)
    assert slugify(written, length) == value, (name, written, value)


def legacy_reference_fields(place: tuple[str, str, str], field: Reference) -> set[str]:
    """The fields 1.0 writes for the 1.1 reference at ``place`` (spelled out, not derived
    from the upgrade's own helpers)."""
    wire_name = place[2]
    relation = wire_name.rsplit("_", 1)[0]
    if place in ID_ONLY:
        return {f"{relation}_id"}
    if field.target in NAMED:
        return {f"{relation}_name", f"{relation}_id"}
    return {wire_name, f"{relation}_id"}


def check_field(
    place: tuple[str, str, str],
    field: Any,
    new: Record,
    old: Record,
    targets: Targets,
    *,
    always: bool,
) -> set[str]:
    """One field of a 1.1 record against its 1.0 form; returns the 1.0 fields it accounts for."""
    name, children, wire_name = place
    value = new[wire_name]
    if isinstance(field, Reference):
        check_reference(place, field, new, old, targets)
        return legacy_reference_fields(place, field)
    if name == "production_runs" and not children and wire_name in RUN_DEFAULTS:
        # Left out only where it held the default ("complete", 0, []), always so if ``always``.
        default = RUN_DEFAULTS[wire_name]
        if wire_name not in old:
            assert value == default, (place, value)
            return set()
        assert not (always and value == default), place
    scoped = scope_fields(REGISTRY[name].schema if not children else _child_schema(place))
    if wire_name in scoped:
        if value is not None:
            assert old[wire_name] == targets(scoped[wire_name], (value,))["slug"], place
        return {wire_name}
    if wire_name == "slug" and not children:
        assert (name in NAMED) is ("slug" not in old), (name, old)
        if name not in NAMED:
            check_slug(name, value, old["slug"], always=always)
        return set() if name in NAMED else {"slug"}
    if not isinstance(field, Children):
        check_plain(place, field, value, old, always=always)
    return {wire_name}


def _child_schema(place: tuple[str, str, str]) -> Schema:
    field = wire_fields(REGISTRY[place[0]].schema)[place[1]]
    assert isinstance(field, Children)
    schema: Schema = field.schema_class
    return schema


def check_downgrade(backup: Backup, legacy: Backup, *, always: bool) -> None:
    """``legacy`` is ``backup`` in format 1.0 (``always``: every optional change was made)."""
    assert legacy.version == LEGACY
    assert [(name, part.file, part.pointer) for name, part in legacy.parts.items()] == [
        (name, part.file, part.pointer) for name, part in backup.parts.items()
    ]
    for name, value in backup.header.items():
        forms = {value, value[:-1], value[:-1] + "+00:00Z"} if value.endswith("Z") else {value}
        assert legacy.header[name] in forms, (name, legacy.header[name])
    targets = Targets(backup, legacy)
    ids: dict[tuple[str, str], list[Any]] = {}
    for name, children, schema, new, old in pairs(backup, legacy):
        ids.setdefault((name, children), []).append(old["id"])
        expected_keys = {"id"}
        for wire_name, field in wire_fields(schema).items():
            if wire_name in new:
                expected_keys |= check_field(
                    (name, children, wire_name), field, new, old, targets, always=always
                )
        assert set(old) == expected_keys, (name, children, sorted(set(old) ^ expected_keys))
    for kind, numbers in ids.items():
        assert all(type(number) is int for number in numbers), (kind, numbers)
        assert len(set(numbers)) == len(numbers), (kind, numbers)


@PROPERTY
@given(document=documents(shuffle=True), seed=SEEDS)
def test_downgrade_writes_every_difference_of_format_1_0(
    document: dict[str, Any], seed: int
) -> None:
    backup = backup_of(document)
    check_downgrade(backup, downgrade(backup, random.Random(seed), odds=ALWAYS), always=True)
    check_downgrade(backup, downgrade(backup, random.Random(seed)), always=False)


def test_downgrade_refuses_what_is_not_format_1_1() -> None:
    legacy = _legacy_named_backup()
    with pytest.raises(ValueError, match=r"1\.0"):
        downgrade(legacy, random.Random(0))


@pytest.mark.parametrize(
    "slug", ["sables", "pate-brisee", "box_6", "a", "e", "ribbon-1m", "x" * 100, "e-e-e-e"]
)
def test_a_damaged_slug_breaks_the_rule_and_the_rule_repairs_it(slug: str) -> None:
    for seed in range(50):
        damaged = damage_slug(slug, 100, random.Random(seed))
        assert damaged is not None, (slug, seed)
        assert not is_slug(damaged), damaged
        assert damaged != slug
        assert slugify(damaged, 100) == slug, damaged


def test_a_slug_with_nothing_to_damage_is_left_alone() -> None:
    assert damage_slug("0", 100, random.Random(0)) is None
    assert damage_slug("2024_12", 100, random.Random(0)) is None


def test_decimals_are_written_as_bare_numbers_of_exactly_their_text() -> None:
    trap = '"decimal-not-a-placeholder-0"'
    data = encode(
        {"a": Decimal("0.10"), "b": [Decimal("25.0"), Decimal("0"), Decimal("-3.1400")], "t": trap}
    )
    text = data.decode("utf-8")
    assert '"a": 0.10' in text
    assert "25.0," in text
    assert "-3.1400" in text
    parsed = loads(data)
    assert parsed == {
        "a": Decimal("0.10"),
        "b": [Decimal("25.0"), 0, Decimal("-3.1400")],
        "t": trap,
    }
    assert str(parsed["a"]) == "0.10"
    assert str(parsed["b"][0]) == "25.0"


@pytest.fixture(scope="module")
def sample_backup(sample_dump: Path) -> Backup:
    """The shared sample database, dumped in format 1.1 and read as a Backup."""
    return read_current_directory(sample_dump)


def test_the_sample_database_comes_back_from_format_1_0(sample_backup: Backup) -> None:
    backup = sample_backup
    legacy = downgrade(backup, random.Random(20251224))
    check_downgrade(backup, legacy, always=False)
    # The downgrade really made each kind of change somewhere.
    values = [value for _n, _c, _s, _new, old in pairs(backup, legacy) for value in old.values()]
    assert any(type(value) is Decimal for value in values)
    stamps = [
        old[wire_name]
        for _n, _c, schema, _new, old in pairs(backup, legacy)
        for wire_name, field in wire_fields(schema).items()
        if isinstance(field, DateTime) and isinstance(old.get(wire_name), str)
    ]
    assert any(not stamp.endswith("Z") for stamp in stamps)
    assert any(stamp.endswith("Z") for stamp in stamps)
    shuffled = [
        name
        for name, part in legacy.parts.items()
        if [record["id"] for record in part.records]
        != sorted(record["id"] for record in part.records)
    ]
    assert len(shuffled) > 10, shuffled
    runs = legacy.parts["production_runs"].records
    assert any(name not in run for run in runs for name in RUN_DEFAULTS)
    rewrites = expected_rewrites(backup, legacy)
    assert {rewrite.entity_type for rewrite in rewrites} >= {
        "suppliers",
        "ingredients",
        "recipes",
        "material_units",
    }, rewrites
    assert any(rewrite.references > 0 for rewrite in rewrites)
    upgraded = upgrade_backup(legacy)
    check_upgrade(backup, legacy, upgraded)


def test_write_legacy_writes_each_container_of_format_1_0(
    sample_backup: Backup, tmp_path: Path
) -> None:
    legacy = downgrade(sample_backup, random.Random(7))
    directory = write_legacy(legacy, tmp_path / "backup", "directory")
    manifest = json.loads((directory / MANIFEST).read_bytes())
    assert manifest["version"] == "1.0"
    assert manifest["export_date"] == legacy.header["export_date"]
    names = [entry["filename"] for entry in manifest["files"]]
    assert names == [f"{entity.name}.json" for entity in REGISTRY]
    assert sorted(path.name for path in directory.iterdir()) == sorted([*names, MANIFEST])
    for entry, entity in zip(manifest["files"], REGISTRY, strict=True):
        data = (directory / entry["filename"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["import_order"] == entity.number
        assert entry["dependencies"] == list(entity.dependencies)
        content = loads(data)
        assert content["version"] == "1.0"
        assert content["entity_type"] == entity.name
        assert entry["record_count"] == len(content["records"])
        assert len(content["records"]) == len(legacy.parts[entity.name].records)
    report = bakery_io.validate(directory)
    assert report.problems == (), "\n".join(map(str, report.problems[:20]))
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")
    want = expected_rewrites(rehomed(sample_backup, "directory"), rehomed(legacy, "directory"))
    assert _rewrites(report.rewrites) == want
    archive = write_legacy(legacy, tmp_path / "backup.zip", "zip")
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == sorted([*names, MANIFEST])
        for name in names:
            assert opened.read(name) == (directory / name).read_bytes()
    document = loads(write_legacy(legacy, tmp_path / "backup.json", "document").read_bytes())
    assert document["version"] == "1.0"
    assert set(document) == {"version", "exported_at", *REGISTRY.names}
    # The sample's header is a manifest's: the document's export time stands for its date.
    header = {"export_date": document["exported_at"], "source": legacy.header["source"]}
    parts = {
        name: Part(part.file, part.pointer, document[name]) for name, part in legacy.parts.items()
    }
    read = Backup("backup.json", "document", LEGACY, header, parts)
    check_upgrade(sample_backup, legacy, upgrade_backup(read))


# ---------------------------------------------------------------------------
# The public API on 1.0 containers written to disk.

#: The name each kind of container is written under.
CONTAINERS = {"directory": "backup", "zip": "backup.zip", "document": "backup.json"}


def rehomed(backup: Backup, kind: str) -> Backup:
    """``backup`` with its parts where a 1.0 container of ``kind`` holds them: files
    ``<entity_type>.json`` at ``/records``, or the document at ``/<entity_type>``."""
    parts = {
        name: (
            Part(CONTAINERS[kind], pointer(name), part.records)
            if kind == "document"
            else Part(f"{name}.json", "/records", part.records)
        )
        for name, part in backup.parts.items()
    }
    return Backup(CONTAINERS[kind], kind, backup.version, backup.header, parts)


def read_records(path: Path) -> dict[str, list[Record]]:
    """The records of each entity type in a 1.1 directory, ZIP archive or single document."""
    if path.is_dir():
        files = {entry.name: entry.read_bytes() for entry in path.iterdir()}
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    else:
        document = loads(path.read_bytes())
        return {name: document[name] for name in REGISTRY.names if name in document}
    contents = [loads(data) for name, data in files.items() if name != MANIFEST]
    found = {content["entity_type"]: content["records"] for content in contents}
    return {name: found[name] for name in REGISTRY.names if name in found}


def _canonical(records: list[Record]) -> list[str]:
    return sorted(json.dumps(record, sort_keys=True, ensure_ascii=False) for record in records)


# Each example writes, validates and upgrades files: shrinking a failure took minutes, and
# the reports already name the file, record and pointer, so a failure is shown unshrunk.
@settings(PROPERTY, max_examples=20, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(
    document=documents(complete=False, shuffle=True),
    seed=SEEDS,
    kind=st.sampled_from(sorted(CONTAINERS)),
)
def test_a_1_0_container_validates_and_upgrades_to_the_records_it_was_made_from(
    document: dict[str, Any], seed: int, kind: str
) -> None:
    backup = backup_of(document)
    legacy = downgrade(backup, random.Random(seed))
    with tempfile.TemporaryDirectory() as directory:
        source = write_legacy(legacy, Path(directory) / CONTAINERS[kind], kind)
        report = bakery_io.validate(source)
        assert report.problems == (), "\n".join(map(str, report.problems))
        assert (report.ok, report.kind, report.version, report.upgraded_to) == (
            True,
            kind,
            "1.0",
            "1.1",
        )
        want = expected_rewrites(rehomed(backup, kind), rehomed(legacy, kind))
        assert _rewrites(report.rewrites) == want

        target = Path(directory) / f"upgraded-{CONTAINERS[kind]}"
        result = bakery_io.upgrade(source, target)
        assert (result.version, result.upgraded_to) == ("1.0", "1.1")
        assert result.records == backup.record_count
        assert _rewrites(result.rewrites) == want
        again = bakery_io.validate(target)
        assert again.problems == (), "\n".join(map(str, again.problems))
        assert (again.version, again.upgraded_to) == ("1.1", None)
        written = read_records(target)
        expected = expected_upgrade(backup, legacy)
        assert list(written) == list(expected)
        for name, records in expected.items():
            found = differences(_canonical(records), _canonical(written[name]), name)
            assert not found, "\n".join(found[:10])


def test_an_event_named_with_empty_text_can_be_referenced_by_that_name(tmp_path: Path) -> None:
    """Format 1.0 names an event ``""`` as it may in 1.1 (events' ``name`` has no minimum
    length in either), so a reference by that name is valid 1.0 too; the upgrade derives
    the slug ``events`` (docs/format/versions.md row 3, with the slug rule's fallback)."""
    legacy = _legacy_named_backup()
    legacy.parts["events"].records[0]["name"] = ""
    legacy.parts["event_recipient_packages"].records[0]["event_name"] = ""
    source = write_legacy(legacy, tmp_path / "legacy.json", "document")
    report = bakery_io.validate(source)
    assert report.problems == (), "\n".join(map(str, report.problems))
    assert (report.version, report.upgraded_to) == ("1.0", "1.1")
