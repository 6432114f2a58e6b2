"""Format 1.0 to 1.1: the nine differences of the table in docs/format/versions.md, one by one.

1. 1.0 named entity files ``<entity_type>.json``; 1.1 numbers them
   (``03_products.json``). The step sets version 1.1; file names, record
   counts and checksums follow from it when the backup is written.
2. Every 1.0 record and child carried ``id`` (the exporting app's key) and every
   reference a sibling ``<relation>_id``. They are dropped, after rows 3, 5 and
   6 have used them.
3. Events, recipients and packages had no slug and were referenced by name
   (``event_name``). Each gets a slug derived from its name by the slug rule
   (``-2``, ``-3``… on collision, in id order), and each reference becomes
   ``<relation>_slug``. A name shared by several records is told apart by the
   sibling ``<relation>_id``; a name that matches none is a problem. When the
   backup does not hold that entity type at all, the slug is derived from the
   name and reported: the load looks it up in the database.
4. Production runs had no ``production_status``, ``loss_quantity`` or
   ``losses``: ``"complete"``, ``0`` and ``[]`` where absent, never replacing a
   value that is present.
5. Assembly-run consumptions referenced finished units and products by id
   only (``finished_unit_id``, ``product_id``): each id becomes the slug of the
   record with that id in the same backup.
6. Inventory depletions referenced lots by ``inventory_item_id`` only: it
   becomes the lot's ``inventory_item_uuid`` the same way.
7. Slugs could break the 1.1 rule (upper case, spaces, ``sablés``). Each is
   rewritten by the rule (ASCII-folded, lower case, separators kept), with a
   suffix on collision, every reference to it follows, and each rewrite is
   reported.
8. Decimals could be JSON numbers (``0.1``, ``25.0``). They become strings
   made from the number's own digits (bakery_io parses JSON numbers as
   :class:`~decimal.Decimal`, never as a binary float).
9. Datetimes could lack a UTC offset, and an export date could end in
   ``+00:00Z``. Naive ones are read as UTC; both are written with ``Z``.

The step is a pure function: the whole backup in, the whole backup out, no
database. Records come out in their 1.1 field order.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any

from marshmallow import fields, validate

from bakery_io.errors import SourceError
from bakery_io.format.fields import Children, DateTime, DecimalString, Reference
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.format.slugs import is_slug, slugify, unique_slug
from bakery_io.problems import Problem, pointer
from bakery_io.registry import REGISTRY, EntityType
from bakery_io.versions.backup import Backup, Part, Record, Rewrite

SOURCE = "1.0"
TARGET = "1.1"

#: How format 1.0 names the entity file of an entity type.
SOURCE_FILENAME = "{name}.json"

#: Entity types 1.0 keys by name: they have no slug, references say ``<relation>_name``.
NAMED = ("events", "recipients", "packages")

#: References 1.0 writes as an id only: (entity type, children key or "", 1.1 wire name).
ID_ONLY = frozenset(
    {
        ("assembly_runs", "finished_unit_consumptions", "finished_unit_slug"),
        ("assembly_runs", "packaging_consumptions", "product_slug"),
        ("inventory_depletions", "", "inventory_item_uuid"),
    }
)

#: What a 1.0 production run without loss tracking means in 1.1.
RUN_DEFAULTS: Mapping[str, Any] = {
    "production_status": "complete",
    "loss_quantity": 0,
    "losses": [],
}

#: A 1.0 production-history document holds only these, and may lack ``version``.
HISTORY_TYPES = ("production_runs", "assembly_runs")

#: The container fields that hold the export time.
EXPORT_TIMES = ("export_date", "exported_at")

#: What a reference the 1.0 record leaves out becomes: nothing.
_ABSENT = object()

_OFFSET = re.compile(r"(?:Z|[+-][0-9]{2}:[0-9]{2})$")


def id_field(wire_name: str) -> str:
    """The 1.0 sibling that holds the id of a reference: ``supplier_slug`` -> ``supplier_id``."""
    return wire_name.rsplit("_", 1)[0] + "_id"


def name_field(wire_name: str) -> str:
    """The 1.0 field that references by name: ``event_slug`` -> ``event_name``."""
    return wire_name.rsplit("_", 1)[0] + "_name"


def utc_text(text: str) -> str:
    """A 1.0 datetime as 1.1 writes it: naive ones read as UTC, ``+00:00Z`` as ``Z``."""
    if text.endswith("+00:00Z"):
        return text[: -len("+00:00Z")] + "Z"
    return text if _OFFSET.search(text) else text + "Z"


def slug_length(entity: EntityType) -> int | None:
    """The longest slug ``entity`` takes (its slug field's length)."""
    return max_length(declared_fields(entity.schema)["slug"])


def fold(text: str, entity_type: str) -> str:
    """``text`` by the slug rule at the length of ``entity_type``'s slugs; when nothing of
    it survives (``王芳``), the entity type's name (``recipients``)."""
    length = slug_length(REGISTRY[entity_type])
    return slugify(text, length) or slugify(entity_type, length)


def source_field(entity_type: str, children: str, wire_name: str) -> str:
    """The 1.0 name of the 1.1 field ``wire_name`` (``event_slug`` -> ``event_name``)."""
    if (entity_type, children, wire_name) in ID_ONLY:
        return id_field(wire_name)
    schema = REGISTRY[entity_type].schema
    if children:
        field = declared_fields(schema).get(children)
        if not isinstance(field, Children):
            return wire_name
        schema = field.schema_class
    field = declared_fields(schema).get(wire_name)
    if isinstance(field, Reference) and field.target in NAMED:
        return name_field(wire_name)
    return wire_name


def max_length(field: fields.Field[Any]) -> int | None:
    """The ``Length`` maximum of a field, if it has one."""
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            return validator.max
    return None


@cache
def scope_targets(schema: type[EntitySchema]) -> dict[str, str]:
    """Fields of ``schema`` that hold a leading part of a composite reference, by the
    entity type that part names (``material_product_slug`` -> ``material_products``)."""
    found = {}
    for field in declared_fields(schema).values():
        if isinstance(field, Reference):
            key = REGISTRY[field.target].natural_key
            target_fields = declared_fields(REGISTRY[field.target].schema)
            for name, part in zip(field.scope, key, strict=False):
                leading = target_fields[part]
                assert isinstance(leading, Reference)
                found[name] = leading.target
    return found


@dataclass(frozen=True)
class _Where:
    """Where a value was read: file, JSON pointer, record position and natural key."""

    file: str
    pointer: str
    record: int
    key: str | None

    def at(self, *parts: str | int) -> _Where:
        return _Where(self.file, self.pointer + pointer(*parts), self.record, self.key)

    def problem(self, message: str) -> Problem:
        return Problem(self.file, self.pointer, message, self.record, self.key)


def _source_key(entity: EntityType, record: Record) -> str | None:
    names = ("name",) if entity.name in NAMED else entity.natural_key
    parts = [record.get(name) for name in names]
    texts = [part for part in parts if isinstance(part, str)]
    return " / ".join(texts) if len(texts) == len(parts) else None


def _id_order(records: list[Record]) -> list[int]:
    """Positions of ``records`` in id order (records without an id last, as they come)."""

    def rank(position: int) -> tuple[bool, int, int]:
        found = records[position].get("id")
        if isinstance(found, int) and not isinstance(found, bool):
            return (False, found, position)
        return (True, 0, position)

    return sorted(range(len(records)), key=rank)


class _Upgrade:
    """The state of one run of the step: new keys, problems and rewrites found."""

    def __init__(self, backup: Backup) -> None:
        self.backup = backup
        self.problems: list[Problem] = []
        #: The 1.1 slug of each record of a slug-keyed type, by position.
        self.slugs: dict[str, list[str]] = {}
        #: Old natural key (scope parts and slug) -> new slug, by entity type.
        self.renamed: dict[str, dict[tuple[Any, ...], str]] = {}
        #: id -> the 1.1 key (slug or uuid) and the 1.0 key of the records with that id.
        self.ids: dict[str, dict[int, list[tuple[str, tuple[Any, ...]]]]] = {}
        #: name -> (id, slug) of each record with that name, by named entity type.
        self.names: dict[str, dict[str, list[tuple[Any, str]]]] = {}
        self.rewritten: dict[tuple[str, tuple[Any, ...]], Rewrite] = {}
        self.derived: dict[tuple[str, str], Rewrite] = {}
        self.uses: Counter[tuple[str, tuple[Any, ...]]] = Counter()

    # -- keys: every record's 1.1 key, before any reference is rewritten -----------------

    def keys(self, entity: EntityType, part: Part) -> None:
        records = part.records
        if entity.name in NAMED:
            self._named_keys(entity, records)
        elif entity.natural_key[-1] == "slug":
            self._slug_keys(entity, part)
        last = entity.natural_key[-1]
        ids: dict[int, list[tuple[str, tuple[Any, ...]]]] = {}
        for position, record in enumerate(records):
            found = record.get("id")
            if isinstance(found, int) and not isinstance(found, bool):
                key = self.slugs[entity.name][position] if last == "slug" else record.get(last)
                old = tuple(record.get(name) for name in entity.natural_key)
                ids.setdefault(found, []).append((str(key), old))
        self.ids[entity.name] = ids

    def _named_keys(self, entity: EntityType, records: list[Record]) -> None:
        length = slug_length(entity)
        taken: set[str] = set()
        slugs = [""] * len(records)
        names: dict[str, list[tuple[Any, str]]] = {}
        for position in _id_order(records):
            record = records[position]
            base = fold(record["name"], entity.name)
            slugs[position] = unique_slug(base, taken, length)
            names.setdefault(record["name"], []).append((record.get("id"), slugs[position]))
        self.slugs[entity.name] = slugs
        self.names[entity.name] = names

    def _slug_keys(self, entity: EntityType, part: Part) -> None:
        records = part.records
        length = slug_length(entity)
        scope = entity.natural_key[:-1]
        taken: dict[tuple[str, ...], set[str]] = {}
        for record in records:
            if is_slug(record["slug"]):
                taken.setdefault(tuple(record[name] for name in scope), set()).add(record["slug"])
        renamed: dict[tuple[Any, ...], str] = {}
        slugs = [""] * len(records)
        for position in _id_order(records):
            record = records[position]
            old = record["slug"]
            leading = tuple(record[name] for name in scope)
            if is_slug(old):
                slugs[position] = old
                continue
            if (*leading, old) not in renamed:
                base = fold(old, entity.name)
                new = unique_slug(base, taken.setdefault(leading, set()), length)
                renamed[(*leading, old)] = new
                self.rewritten[(entity.name, (*leading, old))] = Rewrite(
                    entity.name,
                    old,
                    new,
                    "breaks the 1.1 slug rule",
                    part.file,
                    part.pointer + pointer(position, "slug"),
                    position,
                )
            slugs[position] = renamed[(*leading, old)]
        self.slugs[entity.name] = slugs
        self.renamed[entity.name] = renamed

    # -- records ---------------------------------------------------------------------------

    def part(self, entity: EntityType, part: Part) -> Part:
        records = []
        for position, record in enumerate(part.records):
            where = _Where(
                part.file, part.pointer + pointer(position), position, _source_key(entity, record)
            )
            upgraded = self.record(entity, "", entity.schema, record, where)
            if entity.natural_key[-1] == "slug":
                upgraded["slug"] = self.slugs[entity.name][position]
            if entity.name == "production_runs":
                for name, value in RUN_DEFAULTS.items():
                    if name not in upgraded:
                        upgraded[name] = copy.deepcopy(value)
            records.append(_in_order(entity.schema, upgraded))
        return Part(part.file, part.pointer, records)

    def record(
        self,
        entity: EntityType,
        children: str,
        schema: type[EntitySchema],
        record: Record,
        where: _Where,
    ) -> Record:
        """One record or child in 1.1 form: built from the 1.1 fields, so 1.0's ids fall away."""
        upgraded: Record = {}
        scoped = scope_targets(schema)
        for name, field in declared_fields(schema).items():
            wire_name = field.data_key or name
            here = where.at(wire_name)
            if isinstance(field, Reference):
                value = self._reference((entity.name, children, wire_name), field, record, where)
                if value is not _ABSENT:
                    upgraded[wire_name] = value
            elif wire_name not in record:
                continue
            elif wire_name in scoped and isinstance(record[wire_name], str):
                upgraded[wire_name] = self._slug(scoped[wire_name], (), record[wire_name], here)
            elif isinstance(field, Children):
                upgraded[wire_name] = [
                    self.record(entity, wire_name, field.schema_class, child, here.at(position))
                    for position, child in enumerate(record[wire_name])
                ]
            elif isinstance(field, DecimalString):
                upgraded[wire_name] = self._decimal(record[wire_name], here)
            elif isinstance(field, DateTime) and isinstance(record[wire_name], str):
                upgraded[wire_name] = utc_text(record[wire_name])
            else:
                upgraded[wire_name] = record[wire_name]
        return upgraded

    def _reference(
        self, place: tuple[str, str, str], field: Reference, record: Record, where: _Where
    ) -> Any:
        """The 1.1 value of a reference, from however 1.0 wrote it (or ``_ABSENT``).

        ``place`` is (entity type, children key or "", wire name), as in :data:`ID_ONLY`.
        """
        wire_name = place[2]
        sibling = id_field(wire_name)
        # bakery_io's reader of another program's files may have resolved the id already.
        if place in ID_ONLY and (sibling in record or wire_name not in record):
            return self._by_id(field.target, record.get(sibling), where.at(sibling))
        if field.target in NAMED:
            source_name = name_field(wire_name)
            if source_name not in record:
                return _ABSENT
            return self._by_name(
                field.target,
                record[source_name],
                (sibling, record.get(sibling)),
                where.at(source_name),
            )
        if wire_name not in record:
            return _ABSENT
        value = record[wire_name]
        # By the target's key: the schema class's own fields are unbound, without key_kind.
        if REGISTRY[field.target].natural_key[-1] == "slug" and isinstance(value, str):
            leading = tuple(record.get(part) for part in field.scope)
            return self._slug(field.target, leading, value, where.at(wire_name))
        return value

    def _decimal(self, value: Any, where: _Where) -> Any:
        if isinstance(value, float):
            self.problems.append(
                where.problem(
                    "a binary float has lost the decimal's digits: parse the JSON with "
                    "Decimal (bakery_io's readers do)"
                )
            )
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return value
        number = Decimal(value)
        return format(number.copy_abs() if number.is_zero() else number, "f")

    def _slug(self, target: str, leading: tuple[Any, ...], old: str, where: _Where) -> str:
        """The 1.1 slug of a reference to ``target`` that 1.0 wrote as ``old``."""
        key = (*leading, old)
        new = self.renamed.get(target, {}).get(key)
        if new is not None:
            self.uses[(target, key)] += 1
            return new
        if is_slug(old) or target in self.backup.parts:
            # A key the backup does not hold: the load looks for it in the database as it is.
            return old
        derived = fold(old, target)
        self._derive(
            target,
            old,
            derived,
            "not in this backup: rewritten by the slug rule, as the database's copy was",
            where,
        )
        return derived

    def _by_name(self, target: str, name: Any, sibling: tuple[str, Any], where: _Where) -> Any:
        """The slug of the ``target`` record that 1.0 referenced by ``name``.

        ``sibling`` is the reference's id field and value, which tells apart
        records that share the name.
        """
        if not isinstance(name, str):
            return name
        if target not in self.backup.parts:
            derived = fold(name, target)
            self._derive(
                target,
                name,
                derived,
                "not in this backup: slug derived from the name, as the database's was",
                where,
            )
            return derived
        found = self.names[target].get(name, [])
        if len(found) == 1:
            return found[0][1]
        file = self.backup.parts[target].file
        if not found:
            self.problems.append(
                where.problem(f"no record of {target} in {file} is named {name!r}")
            )
            return None
        field, number = sibling
        picked = [slug for known, slug in found if number is not None and known == number]
        if len(picked) == 1:
            return picked[0]
        ids = ", ".join(str(known) for known, _slug in found)
        said = "is missing" if number is None else f"{number} is none of them"
        told = f" (ids {ids}) and {field} {said}" if any(k is not None for k, _s in found) else ""
        self.problems.append(
            where.problem(
                f"{len(found)} records of {target} in {file} are named {name!r}{told}, "
                "so the name cannot be resolved"
            )
        )
        return None

    def _by_id(self, target: str, number: Any, where: _Where) -> Any:
        """The key of the ``target`` record that 1.0 referenced by id only."""
        if target not in self.backup.parts:
            self.problems.append(
                where.problem(
                    f"format 1.0 references {target} here by id only, and this backup holds "
                    f"no {target}: the id {number} cannot be turned into a key"
                )
            )
            return None
        found = self.ids[target].get(number, [])
        if len(found) == 1:
            key, old = found[0]
            if (target, old) in self.rewritten:
                self.uses[(target, old)] += 1
            return key
        file = self.backup.parts[target].file
        self.problems.append(
            where.problem(
                f"no record of {target} in {file} has the id {number}"
                if not found
                else f"{len(found)} records of {target} in {file} have the id {number}"
            )
        )
        return None

    def _derive(self, target: str, old: str, new: str, why: str, where: _Where) -> None:
        known = self.derived.get((target, old))
        self.derived[(target, old)] = (
            Rewrite(target, old, new, why, where.file, where.pointer, where.record, 1)
            if known is None
            else replace(known, references=known.references + 1)
        )

    def rewrites(self) -> tuple[Rewrite, ...]:
        counted = [
            replace(rewrite, references=self.uses[key]) for key, rewrite in self.rewritten.items()
        ]
        return (*counted, *self.derived.values())


def _in_order(schema: type[EntitySchema], record: Record) -> Record:
    order = [field.data_key or name for name, field in declared_fields(schema).items()]
    return {name: record[name] for name in order if name in record}


def upgrade(backup: Backup, problems: list[Problem] | None = None) -> Backup:
    """A format 1.0 backup as format 1.1 (see the module's docstring for what changes).

    Raises :class:`~bakery_io.SourceError` with every problem found: a name
    or id that matches no record of the backup, or a name that several records
    share with no id to tell them apart. Given a list of ``problems``, it
    appends them there instead and upgrades the rest, each such reference
    null, so that a check can go on and name every problem at once.
    """
    if backup.version != SOURCE:
        raise ValueError(f"this step upgrades format {SOURCE}, not {backup.version}")
    run = _Upgrade(backup)
    entities = [REGISTRY[name] for name in backup.parts]
    for entity in entities:
        run.keys(entity, backup.parts[entity.name])
    parts = {entity.name: run.part(entity, backup.parts[entity.name]) for entity in entities}
    if run.problems and problems is None:
        raise SourceError(backup.source, run.problems)
    if problems is not None:
        problems.extend(run.problems)
    header = {
        name: utc_text(value) if name in EXPORT_TIMES and isinstance(value, str) else value
        for name, value in backup.header.items()
    }
    return replace(
        backup,
        version=TARGET,
        header=header,
        parts=parts,
        rewrites=(*backup.rewrites, *run.rewrites()),
    )
