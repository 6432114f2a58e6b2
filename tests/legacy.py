"""Format 1.0 made from format 1.1: the upgrade table of docs/format/versions.md applied backwards.

The 1.0 -> 1.1 upgrade step is tested by running it on backups this module
writes in format 1.0 and comparing what it gives back with the 1.1 records
they were made from. Each row of the table ("Version 1.0 (legacy) and what the
1.0 -> 1.1 upgrade does") is undone here, independently of the step's code:

2. every record and child gets an integer ``id`` (unique per entity type and per
   kind of child, in a shuffled order so that id order is not file order), and
   every reference a sibling ``<relation>_id``;
3. events, recipients and packages lose their slug, and references to them
   name the target (``event_name``) beside its id;
4. production runs lose ``production_status``, ``loss_quantity`` and ``losses``
   where they hold the defaults (sometimes);
5. and 6. assembly-run consumptions and inventory depletions keep only the id of
   what they consume;
7. some slugs break the slug rule in ways the rule undoes exactly, and every
   reference to them breaks the same way;
8. some decimal strings become JSON numbers (:class:`~decimal.Decimal`, same text);
9. some datetimes lose their ``Z``, and the export time may end in ``+00:00Z``.

Row 1 (file names and versions) is :func:`write_legacy`'s business.

What the upgrade cannot give back, :func:`expected_upgrade` says: the slugs of
events, recipients and packages are derived from their names, and production
runs carry the loss fields the 1.1 record may have left to their defaults.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bakery_io.format.fields import Children, DateTime, DecimalString, Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import is_slug, slugify, unique_slug
from bakery_io.jsonio import loads
from bakery_io.problems import pointer
from bakery_io.registry import REGISTRY
from bakery_io.versions.backup import Backup, Part, Record
from bakery_io.versions.v1_0_to_v1_1 import (
    ID_ONLY,
    NAMED,
    RUN_DEFAULTS,
    id_field,
    name_field,
    slug_length,
)

LEGACY = "1.0"
#: How 1.0 names an entity file (no number).
LEGACY_FILENAME = "{name}.json"
MANIFEST = "manifest.json"
#: What :func:`write_legacy` writes as the producer when the backup names none.
PRODUCER = "tests.legacy (format 1.0 made from 1.1)"

#: A natural key as a tuple of its parts: ``("flour",)``, ``("ribbon", "each")``.
Key = tuple[Any, ...]
Schema = type[EntitySchema]


# ---------------------------------------------------------------------------
# Reading a 1.1 document as a backup, and the facts of the schemas.


def backup_of(document: Mapping[str, Any], source: str = "generated.json") -> Backup:
    """A single document (``{"version", "exported_at", "<type>": [...]}``) as a Backup.

    The records are copied, so the Backup and the document can be changed apart.
    """
    parts = {
        entity.name: Part(source, pointer(entity.name), copy.deepcopy(document[entity.name]))
        for entity in REGISTRY
        if entity.name in document
    }
    header = {
        name: value
        for name, value in document.items()
        if name != "version" and name not in REGISTRY
    }
    return Backup(source, "document", str(document["version"]), header, parts)


def wire_fields(schema: Schema) -> dict[str, Any]:
    """The fields of ``schema`` by wire name, in wire order."""
    return {field.data_key or name: field for name, field in declared_fields(schema).items()}


def scope_fields(schema: Schema) -> dict[str, str]:
    """Fields of ``schema`` that are not references but hold the leading part of a composite
    one, by the entity type whose key they hold (a finished-good component's
    ``material_product_slug`` -> ``material_products``)."""
    found = {}
    for wire_name, field in wire_fields(schema).items():
        if not isinstance(field, Reference):
            continue
        target = REGISTRY[field.target]
        target_fields = wire_fields(target.schema)
        for name, part in zip(field.scope, target.natural_key, strict=False):
            if not isinstance(wire_fields(schema).get(name), Reference):
                leading = target_fields[part]
                assert isinstance(leading, Reference), (wire_name, part)
                found[name] = leading.target
    return found


def natural_key(entity_type: str, record: Mapping[str, Any]) -> Key:
    """The natural key of a 1.1 record of ``entity_type``, as a tuple."""
    return tuple(record.get(part) for part in REGISTRY[entity_type].natural_key)


def reference_key(field: Reference, record: Mapping[str, Any], value: Any) -> Key:
    """The natural key a 1.1 reference holds (with the scope fields of a composite one)."""
    return (*(record.get(name) for name in field.scope), value)


@dataclass(frozen=True)
class Site:
    """One reference (or scope field) in a record: who holds it, where and what it points at.

    ``children`` is the children key (``""`` for a top-level field), ``record`` the
    position of the top-level record, ``holder`` the dict holding the value.
    """

    entity_type: str
    children: str
    record: int
    holder: Record
    wire_name: str
    target: str
    key: Key
    scope_part: bool


def sites(backup: Backup) -> Iterator[Site]:
    """Every non-null reference and scope field of a 1.1 ``backup``, children included."""

    def visit(
        entity_type: str, children: str, position: int, schema: Schema, record: Record
    ) -> Iterator[Site]:
        scoped = scope_fields(schema)
        for wire_name, field in wire_fields(schema).items():
            if wire_name not in record or record[wire_name] is None:
                continue
            value = record[wire_name]
            if isinstance(field, Reference):
                key = reference_key(field, record, value)
                yield Site(
                    entity_type, children, position, record, wire_name, field.target, key, False
                )
            elif wire_name in scoped:
                yield Site(
                    entity_type,
                    children,
                    position,
                    record,
                    wire_name,
                    scoped[wire_name],
                    (value,),
                    True,
                )
            elif isinstance(field, Children):
                for child in value:
                    yield from visit(entity_type, wire_name, position, field.schema_class, child)

    for name, part in backup.parts.items():
        for position, record in enumerate(part.records):
            yield from visit(name, "", position, REGISTRY[name].schema, record)


# ---------------------------------------------------------------------------
# Slugs broken the ways format 1.0 allowed, which the slug rule repairs exactly.


def _upper(character: str) -> str | None:
    return character.upper() if "a" <= character <= "z" else None


def _accent(character: str) -> str | None:
    return "é" if character == "e" else None


def _space(character: str) -> str | None:
    return " " if character == "-" else None


#: The damages: an upper-case letter, ``e`` -> ``é``, ``-`` -> a space.
DAMAGES: tuple[Callable[[str], str | None], ...] = (_upper, _accent, _space)


def damage_slug(slug: str, length: int | None, rng: random.Random) -> str | None:
    """``slug`` broken in one to three places so that the slug rule gives ``slug`` back.

    None when ``slug`` has nothing to break (``"0"``) or the result would not be
    repaired exactly (it is then not used).
    """
    options = [
        (position, damage)
        for position, character in enumerate(slug)
        for damage in DAMAGES
        if damage(character) is not None
    ]
    if not options:
        return None
    characters = list(slug)
    for position, damage in rng.sample(options, min(len(options), rng.randint(1, 3))):
        changed = damage(slug[position])
        assert changed is not None
        characters[position] = changed
    damaged = "".join(characters)
    if is_slug(damaged) or slugify(damaged, length) != slug:
        return None
    return damaged


# ---------------------------------------------------------------------------
# Downgrading.


def _fresh_ids(rng: random.Random, count: int) -> list[int]:
    """``count`` distinct positive ids with gaps, in random order."""
    return rng.sample(range(1, 3 * count + 2), count)


class _Downgrade:
    def __init__(self, backup: Backup, rng: random.Random, odds: Mapping[str, float]) -> None:
        self.backup = backup
        self.rng = rng
        self.odds = odds
        #: Entity type -> natural key (1.1) -> id.
        self.ids: dict[str, dict[Key, int]] = {}
        #: Entity type -> natural key (1.1) -> the record (for the names of NAMED types).
        self.records: dict[str, dict[Key, Record]] = {}
        #: Entity type -> natural key (1.1) -> the damaged slug 1.0 writes instead.
        self.damaged: dict[str, dict[Key, str]] = {}
        #: Unused ids of each kind of child, by (entity type, children key).
        self.child_ids: dict[tuple[str, str], list[int]] = {}
        self._assign()

    def chance(self, what: str) -> bool:
        return self.rng.random() < self.odds[what]

    def _assign(self) -> None:
        rng = self.rng
        children: Counter[tuple[str, str]] = Counter()
        for name, part in self.backup.parts.items():
            entity = REGISTRY[name]
            numbers = _fresh_ids(rng, len(part.records))
            self.ids[name] = {}
            self.records[name] = {}
            for number, record in zip(numbers, part.records, strict=True):
                key = natural_key(name, record)
                assert key not in self.ids[name], f"{name}: the key {key} is not unique"
                self.ids[name][key] = number
                self.records[name][key] = record
                for child in entity.children:
                    children[(name, child.name)] += len(record.get(child.name, []))
            if name in NAMED or entity.natural_key[-1] != "slug":
                continue
            length = slug_length(entity)
            plans = {}
            for record in part.records:
                if self.chance("damage"):
                    damaged = damage_slug(record["slug"], length, rng)
                    if damaged is not None:
                        plans[natural_key(name, record)] = damaged
            self.damaged[name] = plans
        self.child_ids = {kind: _fresh_ids(rng, count) for kind, count in children.items()}

    def slug_as_written(self, target: str, key: Key) -> Any:
        """The last part of ``key`` as 1.0 writes it (damaged or not)."""
        return self.damaged.get(target, {}).get(key, key[-1])

    def record(self, name: str, children: str, schema: Schema, record: Record) -> Record:
        """One 1.1 record or child in 1.0 form (``children``: its key in the parent, or "")."""
        if children:
            number = self.child_ids[(name, children)].pop()
        else:
            number = self.ids[name][natural_key(name, record)]
        legacy: Record = {"id": number}
        scoped = scope_fields(schema)
        for wire_name, field in wire_fields(schema).items():
            if wire_name not in record:
                continue
            value = record[wire_name]
            if isinstance(field, Reference):
                legacy.update(self.reference((name, children), field, wire_name, record))
            elif wire_name in scoped:
                legacy[wire_name] = (
                    None if value is None else self.slug_as_written(scoped[wire_name], (value,))
                )
            elif wire_name == "slug" and not children:
                if name not in NAMED:
                    legacy["slug"] = self.slug_as_written(name, natural_key(name, record))
            elif isinstance(field, Children):
                legacy[wire_name] = [
                    self.record(name, wire_name, field.schema_class, child) for child in value
                ]
            else:
                legacy[wire_name] = self.plain(field, value)
        if name == "production_runs" and not children:
            self.drop_defaults(legacy)
        return legacy

    def drop_defaults(self, run: Record) -> None:
        """Leave out loss fields that hold their defaults, as 1.0 had none (row 4)."""
        for field_name, default in RUN_DEFAULTS.items():
            if run.get(field_name, object()) == default and self.chance("defaults"):
                del run[field_name]

    def plain(self, field: Any, value: Any) -> Any:
        """A value that is neither key nor reference as 1.0 may write it (rows 8 and 9)."""
        if isinstance(field, DecimalString) and isinstance(value, str) and self.chance("number"):
            return Decimal(value)
        if (
            isinstance(field, DateTime)
            and isinstance(value, str)
            and value.endswith("Z")
            and self.chance("naive")
        ):
            return value[:-1]
        return copy.deepcopy(value)

    def reference(
        self, owner: tuple[str, str], field: Reference, wire_name: str, record: Record
    ) -> Record:
        """The 1.0 fields of one reference of ``record`` (``owner``: entity type and children
        key): the key or name, and the target's id beside it (rows 2, 3, 5 and 6)."""
        value = record[wire_name]
        target = field.target
        key = reference_key(field, record, value)
        number = None if value is None else self.ids.get(target, {}).get(key)
        if (*owner, wire_name) in ID_ONLY:
            return {id_field(wire_name): number}
        if target in NAMED:
            found = None if value is None else self.records.get(target, {}).get(key)
            if value is not None and found is None:
                raise ValueError(f"{owner[0]}: {wire_name} {value!r} is not in the backup")
            return {
                name_field(wire_name): None if found is None else found["name"],
                id_field(wire_name): number,
            }
        return {
            wire_name: None if value is None else self.slug_as_written(target, key),
            id_field(wire_name): number,
        }

    def header(self) -> dict[str, Any]:
        header = dict(self.backup.header)
        for name in ("exported_at", "export_date"):
            value = header.get(name)
            if isinstance(value, str) and value.endswith("Z"):
                header[name] = self.rng.choice([value, value[:-1], value[:-1] + "+00:00Z"])
        return header


#: How often each optional change of :func:`downgrade` is made.
ODDS = {"damage": 0.4, "number": 0.5, "naive": 0.5, "defaults": 0.6}


def downgrade(
    backup: Backup, rng: random.Random, *, odds: Mapping[str, float] | None = None
) -> Backup:
    """``backup`` (format 1.1) written as format 1.0: the upgrade table applied backwards.

    Same entity types, files, pointers and record positions; see the module's
    docstring for what changes. ``odds`` overrides :data:`ODDS` (``"damage"``:
    a slug is damaged; ``"number"``: a decimal becomes a number; ``"naive"``: a
    datetime loses its ``Z``; ``"defaults"``: a production run's default loss
    field is left out).
    """
    if backup.version != "1.1":
        raise ValueError(f"downgrade takes format 1.1, not {backup.version}")
    run = _Downgrade(backup, rng, {**ODDS, **(odds or {})})
    parts = {
        name: Part(
            part.file,
            part.pointer,
            [run.record(name, "", REGISTRY[name].schema, record) for record in part.records],
        )
        for name, part in backup.parts.items()
    }
    for kind, left in run.child_ids.items():
        assert not left, f"ids of {kind} left over: {left}"
    return Backup(backup.source, backup.kind, LEGACY, run.header(), parts)


# ---------------------------------------------------------------------------
# What the upgrade must give back.


def derived_slugs(backup: Backup, legacy: Backup) -> dict[str, dict[str, str]]:
    """The 1.1 slug the upgrade derives for each event, recipient and package, by the slug
    it had in ``backup``: its name by the slug rule (the entity type's name when nothing of
    it is left), ``-2``, ``-3``… on collision in the order of the 1.0 ids."""
    found: dict[str, dict[str, str]] = {}
    for name in NAMED:
        if name not in backup.parts:
            continue
        records = backup.parts[name].records
        ids = [record["id"] for record in legacy.parts[name].records]
        assert all(type(number) is int for number in ids), f"{name}: ids {ids}"
        length = slug_length(REGISTRY[name])
        taken: set[str] = set()
        slugs: dict[str, str] = {}
        for position in sorted(range(len(records)), key=ids.__getitem__):
            record = records[position]
            base = slugify(record["name"], length) or slugify(name, length)
            slugs[record["slug"]] = unique_slug(base, taken, length)
        found[name] = slugs
    return found


def expected_upgrade(backup: Backup, legacy: Backup) -> dict[str, list[Record]]:
    """The records upgrading ``legacy`` (made from ``backup`` by :func:`downgrade`) must give.

    The 1.1 records of ``backup`` as they were written, except that events,
    recipients and packages get the slugs derived from their names
    (:func:`derived_slugs`), every reference to them follows, and production
    runs carry ``production_status``, ``loss_quantity`` and ``losses`` (their
    defaults where the 1.1 record left them out).
    """
    slugs = derived_slugs(backup, legacy)
    expected = {name: copy.deepcopy(part.records) for name, part in backup.parts.items()}
    parts = {
        name: Part(part.file, part.pointer, expected[name]) for name, part in backup.parts.items()
    }
    copied = Backup(backup.source, backup.kind, backup.version, backup.header, parts)
    for site in list(sites(copied)):
        if site.target in slugs:
            site.holder[site.wire_name] = slugs[site.target][site.key[-1]]
    for name, records in expected.items():
        if name in slugs:
            for record in records:
                record["slug"] = slugs[name][record["slug"]]
        if name == "production_runs":
            for record in records:
                for field_name, default in RUN_DEFAULTS.items():
                    record.setdefault(field_name, copy.deepcopy(default))
    return expected


@dataclass(frozen=True)
class ExpectedRewrite:
    """A rewrite the upgrade must report, in the terms of :class:`Rewrite`."""

    entity_type: str
    old: str
    new: str
    file: str
    pointer: str
    record: int | None
    references: int


def expected_rewrites(backup: Backup, legacy: Backup) -> list[ExpectedRewrite]:
    """Every slug :func:`downgrade` damaged, repaired, with the references rewritten with it.

    Counted in ``backup`` (1.1): every reference or scope field that holds the
    key there, including those 1.0 writes by id only (rows 5 and 6: they come
    out holding the repaired slug too).
    """
    uses: Counter[tuple[str, Key]] = Counter(
        (site.target, site.key) for site in sites(backup) if site.target not in NAMED
    )
    found = []
    for name, part in backup.parts.items():
        if name in NAMED or REGISTRY[name].natural_key[-1] != "slug":
            continue
        for position, (record, old) in enumerate(
            zip(part.records, legacy.parts[name].records, strict=True)
        ):
            if old["slug"] != record["slug"]:
                found.append(
                    ExpectedRewrite(
                        name,
                        old["slug"],
                        record["slug"],
                        part.file,
                        part.pointer + pointer(position, "slug"),
                        position,
                        uses[(name, natural_key(name, record))],
                    )
                )
    return sorted(found, key=repr)


# ---------------------------------------------------------------------------
# Writing 1.0 containers.


class _Numbers:
    """JSON text with :class:`Decimal` values written as bare numbers of exactly their text.

    :func:`json.dumps` cannot write a Decimal; each becomes a placeholder string
    first, replaced by the number's text afterwards (never through a float).
    """

    def __init__(self) -> None:
        self.mark = f"decimal-{uuid.uuid4().hex}-"
        self.texts: list[str] = []
        self.pattern = re.compile(f'"{self.mark}([0-9]+)"')

    def swap(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            self.texts.append(format(value, "f"))
            return f"{self.mark}{len(self.texts) - 1}"
        if isinstance(value, dict):
            return {name: self.swap(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self.swap(item) for item in value]
        return value

    def dumps(self, document: Any) -> bytes:
        text = json.dumps(self.swap(document), ensure_ascii=False, indent=2)
        return (self.pattern.sub(lambda match: self.texts[int(match[1])], text) + "\n").encode()


def encode(document: Any) -> bytes:
    """``document`` as UTF-8 JSON, Decimals as bare numbers with exactly their text."""
    return _Numbers().dumps(document)


def legacy_files(backup: Backup) -> dict[str, bytes]:
    """The files of a 1.0 backup directory: ``<entity_type>.json`` and ``manifest.json``."""
    if backup.version != LEGACY:
        raise ValueError(f"not a format {LEGACY} backup: {backup.version}")
    files: dict[str, bytes] = {}
    entries = []
    for entity in REGISTRY:
        if entity.name not in backup.parts:
            continue
        records = backup.parts[entity.name].records
        filename = LEGACY_FILENAME.format(name=entity.name)
        data = encode({"version": LEGACY, "entity_type": entity.name, "records": records})
        files[filename] = data
        entries.append(
            {
                "filename": filename,
                "entity_type": entity.name,
                "record_count": len(records),
                "sha256": hashlib.sha256(data).hexdigest(),
                "dependencies": list(entity.dependencies),
                "import_order": entity.number,
            }
        )
    header = backup.header
    manifest = {
        "version": LEGACY,
        "export_date": header.get("export_date", header.get("exported_at")),
        "source": header.get("source", PRODUCER),
        "files": entries,
    }
    files[MANIFEST] = encode(manifest)
    return files


def legacy_document(backup: Backup) -> dict[str, Any]:
    """The 1.0 ``backup`` as a single document: ``{"version": "1.0", "exported_at", ...}``."""
    if backup.version != LEGACY:
        raise ValueError(f"not a format {LEGACY} backup: {backup.version}")
    header = backup.header
    document: dict[str, Any] = {
        "version": LEGACY,
        "exported_at": header.get("exported_at", header.get("export_date")),
    }
    for entity in REGISTRY:
        if entity.name in backup.parts:
            document[entity.name] = backup.parts[entity.name].records
    return document


def write_legacy(backup: Backup, target: Path, kind: str) -> Path:
    """Write the 1.0 ``backup`` at ``target`` as a container of ``kind``; returns ``target``.

    ``"directory"``: ``<entity_type>.json`` files and ``manifest.json`` (record
    counts, sha256 of each file's bytes, the registry's dependencies and import
    order); ``"zip"``: the same files flat in a ZIP archive; ``"document"``:
    ``{"version": "1.0", "exported_at", "<entity_type>": [records], ...}``.
    Decimals held as :class:`Decimal` are written as JSON numbers (:func:`encode`).
    """
    if kind == "document":
        target.write_bytes(encode(legacy_document(backup)))
    elif kind == "directory":
        target.mkdir(parents=True, exist_ok=False)
        for filename, data in legacy_files(backup).items():
            (target / filename).write_bytes(data)
    elif kind == "zip":
        with zipfile.ZipFile(target, "x", zipfile.ZIP_DEFLATED) as archive:
            for filename, data in legacy_files(backup).items():
                archive.writestr(filename, data)
    else:
        raise ValueError(f"unknown container kind {kind!r}")
    return target


def read_current_directory(path: Path) -> Backup:
    """A backup directory of the current format (what ``dump_all`` writes) as a Backup.

    Read here with :func:`bakery_io.jsonio.loads` rather than through the
    library's containers, so that the upgrade tests do not rely on them.
    """
    manifest = loads((path / MANIFEST).read_bytes())
    parts = {}
    for entry in sorted(manifest["files"], key=lambda entry: entry["import_order"]):
        content = loads((path / entry["filename"]).read_bytes())
        parts[entry["entity_type"]] = Part(entry["filename"], "/records", content["records"])
    header = {"export_date": manifest["export_date"], "source": manifest["source"]}
    return Backup(str(path), "directory", str(manifest["version"]), header, parts)
