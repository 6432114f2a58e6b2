"""Hypothesis strategies: valid format-1.1 single documents holding a small random database.

:func:`documents` draws a document ``{"version": "1.1", "exported_at": ..., "<entity_type>":
[records], ...}`` that passes :func:`bakery_io.validate` and that an empty database accepts:
every reference resolves inside the document, and the rules that span records (the ingredient
tree, leaf-only ingredients, acyclic recipe nesting at most three deep, a production run's
finished unit belonging to its recipe, unique names) hold by construction.

Field values come from the wire fields themselves (:func:`value_maker`, one
:func:`functools.singledispatch` hook per field class) and aim at the edges: zero and the
column's largest decimal, any number of places up to the scale, non-ASCII and empty text,
text and slugs at the column length, integer bounds, UTC offsets and microseconds. Record
rules (``Meta.rules``) and rules across records (``Meta.links``: what a reference's target
must be, how deep sub-recipes nest) are read from the schemas and kept generically;
uniqueness comes from the models' unique constraints. Only what no schema says is written
per entity type (:data:`_OVERRIDES`, :data:`_CANDIDATES`, the ingredient forest).

How hypothesis sees a document: it chooses the structure (which entity types, whether to
add one more record or child) and one seed per record; the record's values come from a
:class:`random.Random` with that seed. A document is then about a hundred choices instead of
several hundred, so it is drawn in a few milliseconds and a failing one shrinks in seconds:
the shrinker deletes entity types, records and children. It does not simplify the values of
the records that remain (a seed it lowers gives other random values, not simpler ones).
"""

from __future__ import annotations

import random
import re
import string
import uuid as uuid_module
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, singledispatch
from typing import Any, TypeVar

import sqlalchemy as sa
from hypothesis import strategies as st
from marshmallow import fields, missing, validate

from bakery_io.format import fields as wire
from bakery_io.format.links import MaxNesting, TargetValue
from bakery_io.format.rules import (
    AllOrNone,
    ExactlyOne,
    NotSelfIn,
    NullExactlyWhen,
    RequiredWhen,
    UniqueIn,
)
from bakery_io.format.schemas.base import EntitySchema
from bakery_io.format.schemas.catalog import RecipeComponentSchema, RecipeSchema
from bakery_io.format.schemas.history import ProductionConsumptionSchema, ProductionRunSchema
from bakery_io.registry import REGISTRY
from bakery_io.versions import CURRENT_VERSION

T = TypeVar("T")
Record = dict[str, Any]
Schema = type[EntitySchema]
#: Makes one value from a source of randomness.
Maker = Callable[[random.Random], Any]

#: Fields every top-level record carries, even when ``complete=False`` omits others.
ALWAYS_WRITTEN = ("uuid", "created_at", "updated_at")
#: What hypothesis draws for each record: the seed of its values.
SEEDS = st.integers(0, 2**64 - 1)

#: Text that tends to break things: accents, sharp s, CJK, emoji (outside the BMP), combining
#: marks, zero-width and bidi characters, quotes and backslashes, whitespace at the ends.
SPECIAL_TEXTS = (
    "",
    " ",
    "é",
    "ß",
    "日本",
    "🎂",
    "crème brûlée",
    "Straße",
    "日本のパン",
    "🥐🍰🧁",
    "👩\u200d🍳",
    "e\u0301",
    "\u200b",
    "\u202eRTL",
    "\ufeffBOM",
    "Ω≈ç√∫",
    '"quoted" \\ back\\slash',
    "'; DROP TABLE recipes; --",
    "tab\tand\nnewline\r\n",
    " padded ",
    "NULL",
    "null",
    "0",
    "1e3",
)
#: Single characters that tend to break things (a text draws some among ordinary ones).
TRICKY_CHARACTERS = (
    "éßÆøłıİ日本語한\u0301\u200b\u200d\u202e\ufeff\ufffd\uffff🎂🥐\U0010ffff\t\n\r\x7f\x85\u2028"
)
#: Slugs that are short and common, so that slugs scoped per parent sometimes repeat across
#: parents (a material unit ``each`` of two products).
COMMON_SLUGS = ("a", "0", "each", "ribbon-1m", "box_6")
#: UTC offsets a datetime is written with: ``Z`` most often, then every kind of offset
#: (half and three-quarter hours, the extremes the pattern allows, a negative zero).
ZONES = (
    "Z",
    "Z",
    "Z",
    "+00:00",
    "+05:30",
    "-08:00",
    "+05:45",
    "-03:30",
    "+23:59",
    "-23:59",
    "-00:00",
)
#: Digits of the second's fraction: none most often, then 6 and 3, then any other.
FRACTION_DIGITS = (0, 0, 0, 6, 6, 3, 1, 2, 4, 5)

_SLUG_CHARACTERS = string.ascii_lowercase + string.digits
_SEPARATOR_RUN = re.compile(r"([-_])[-_]*")
_MIN_DATE, _MAX_DATE = date(1, 1, 1), date(9999, 12, 31)
# Datetimes are written in years 0002-9998 so that no offset carries them out of 0001-9999.
_MIN_MOMENT, _MAX_MOMENT = datetime(2, 1, 1), datetime(9998, 12, 31, 23, 59, 59, 999999)
# Most datetimes fall in years a bakery lives in; the rest anywhere in the range.
_RECENT = (datetime(1990, 1, 1), datetime(2040, 1, 1))
# The extreme instants, in UTC: written so when the pattern accepts them (1.1 does).
UTC_EXTREMES = tuple(
    text
    for text in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z")
    if re.fullmatch(wire.DATETIME_PATTERN, text)
)
# The years dump_all accepts for exported_at (a ZIP archive dates its members in them).
_EXPORT_FROM, _EXPORT_UNTIL = datetime(1980, 1, 1), datetime(2107, 12, 31, 23, 59, 59)


# ---------------------------------------------------------------------------
# Values, leaning to the edges.


def _code_points(low: int, high: int) -> Maker:
    # Surrogates (U+D800-U+DFFF) are skipped: they are not text.
    gap = 0x800 if low < 0xD800 <= high else 0

    def make(rng: random.Random) -> str:
        code = rng.randint(low, high - gap)
        return chr(code + gap if gap and code >= 0xD800 else code)

    return make


#: Kinds of characters in text, with their weights: printable ASCII mostly, then the tricky
#: ones, Latin letters, the rest of the BMP, emoji, the astral planes, controls (not NUL:
#: PostgreSQL refuses it in text).
_CHARACTER_KINDS: tuple[tuple[int, Maker], ...] = (
    (45, _code_points(0x20, 0x7E)),
    (15, lambda rng: rng.choice(TRICKY_CHARACTERS)),
    (12, _code_points(0xA0, 0x24F)),
    (15, _code_points(0x250, 0xFFFF)),
    (8, _code_points(0x1F300, 0x1FAFF)),
    (3, _code_points(0x10000, 0x10FFFF)),
    (2, _code_points(0x01, 0x1F)),
)
_KIND_MAKERS = [maker for _weight, maker in _CHARACTER_KINDS]
_KIND_WEIGHTS = [weight for weight, _maker in _CHARACTER_KINDS]


def character(rng: random.Random) -> str:
    """One Unicode scalar value that every backend stores: no surrogate, no NUL."""
    maker: Maker = rng.choices(_KIND_MAKERS, _KIND_WEIGHTS)[0]
    return str(maker(rng))


def text_of(rng: random.Random, length: int) -> str:
    """``length`` characters of :func:`character`."""
    return "".join(character(rng) for _ in range(length))


@cache
def texts(max_length: int | None) -> Maker:
    """Text of at most ``max_length`` characters (unbounded when None), often at the edges.

    Mostly short; often one of :data:`SPECIAL_TEXTS`; sometimes exactly ``max_length``
    characters (1000 when unbounded).
    """
    limit = max_length if max_length is not None else 1000
    specials = [text for text in SPECIAL_TEXTS if len(text) <= limit]

    def make(rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.65:
            return text_of(rng, rng.randint(0, min(limit, 12)))
        if roll < 0.95:
            return rng.choice(specials)
        return (text_of(rng, rng.randint(1, 3)) * limit)[:limit]

    return make


def as_slug(text: str) -> str:
    """``text`` (letters, digits, ``-`` and ``_``) made a slug: each separator run cut to its
    first character, none at the ends; ``"0"`` when nothing is left."""
    return _SEPARATOR_RUN.sub(r"\1", text).strip("-_") or "0"


@cache
def slugs(max_length: int) -> Maker:
    """Slugs of the 1.1 rule, at most ``max_length`` long, sometimes exactly that long."""
    common = [slug for slug in COMMON_SLUGS if len(slug) <= max_length]

    def raw(rng: random.Random, length: int) -> str:
        return "".join(
            rng.choice("-_") if rng.random() < 0.15 else rng.choice(_SLUG_CHARACTERS)
            for _ in range(length)
        )

    def make(rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.2:
            return rng.choice(common)
        unit = as_slug(raw(rng, rng.randint(1, min(16, max_length))))
        if roll < 0.92:
            return unit
        slug = "-".join([unit] * (max_length // (len(unit) + 1) + 1))[:max_length]
        return slug[:-1] + "z" if slug.endswith(("-", "_")) else slug

    return make


@cache
def decimal_strings(
    precision: int,
    places: int,
    *,
    minimum: int | None = None,
    exclusive_minimum: bool = False,
    maximum: int | None = None,
) -> Maker:
    """Decimal strings of a ``Numeric(precision, places)`` column within its bounds.

    Written with any number of places from 0 to ``places`` (``"5"``, ``"5.10"``); the
    bounds come up often: ``"0"`` where the minimum allows it, the smallest positive value,
    the largest (``"999999.9999"`` for dec(10,4), ``"100.00"`` under a maximum of 100).
    """
    digits = precision - places

    def make(rng: random.Random) -> str:
        shown = rng.randint(0, places)
        scale = 10**shown
        top = maximum * scale if maximum is not None else 10 ** (digits + shown) - 1
        bottom = -top if minimum is None else minimum * scale + (1 if exclusive_minimum else 0)
        roll = rng.random()
        if roll < 0.25:
            units = rng.choice([bottom, top, max(bottom, min(top, scale))])
        elif roll < 0.8:
            units = rng.randint(max(bottom, -1000 * scale), min(top, 1000 * scale))
        else:
            units = rng.randint(bottom, top)
        return format(Decimal(units).scaleb(-shown), "f")

    return make


def integers(low: int, high: int) -> Maker:
    """Whole numbers in [low, high]: the bounds, 0 and 1 often, small values mostly."""
    edges = sorted({low, high, *(value for value in (0, 1) if low <= value <= high)})
    near = (max(low, min(0, high)), min(high, max(low, 0) + 1000))

    def make(rng: random.Random) -> int:
        roll = rng.random()
        if roll < 0.25:
            return rng.choice(edges)
        if roll < 0.85:
            return rng.randint(*near)
        return rng.randint(low, high)

    return make


def dates(rng: random.Random) -> str:
    """``YYYY-MM-DD`` in years 0001-9999, with the first and last day and leap days."""
    if rng.random() < 0.2:
        return rng.choice([_MIN_DATE, _MAX_DATE, date(2000, 2, 29), date(1900, 2, 28)]).isoformat()
    return date.fromordinal(rng.randint(_MIN_DATE.toordinal(), _MAX_DATE.toordinal())).isoformat()


def _micros(moment: datetime) -> int:
    return (moment - _MIN_MOMENT) // timedelta(microseconds=1)


@cache
def datetimes(
    *,
    zones: tuple[str, ...] = ZONES,
    fractions: tuple[int, ...] = FRACTION_DIGITS,
    earliest: datetime = _MIN_MOMENT,
    latest: datetime = _MAX_MOMENT,
    extremes: tuple[str, ...] = (),
) -> Maker:
    """ISO 8601 datetimes with an offset from ``zones`` and 0-6 fraction digits.

    ``earliest`` and ``latest`` bound the written (local) time, given as naive datetimes;
    ``extremes`` are texts written now and then as they are (:data:`UTC_EXTREMES`).
    """
    low, high = _micros(earliest), _micros(latest)
    recent = (max(low, _micros(_RECENT[0])), min(high, _micros(_RECENT[1])))
    if recent[0] > recent[1]:
        recent = (low, high)

    def make(rng: random.Random) -> str:
        roll = rng.random()
        if extremes and roll < 0.03:
            return rng.choice(extremes)
        if roll < 0.1:
            after = rng.choice([low, high])
        elif roll < 0.6:
            after = rng.randint(*recent)
        else:
            after = rng.randint(low, high)
        moment = _MIN_MOMENT + timedelta(microseconds=after)
        text = moment.replace(microsecond=0).isoformat()
        digits = rng.choice(fractions)
        if digits:
            text += "." + f"{moment.microsecond:06d}"[:digits]
        return text + rng.choice(zones)

    return make


def _bounds(field_: fields.Field[Any]) -> tuple[int, int]:
    low, high = -wire.MAX_INTEGER, wire.MAX_INTEGER
    for validator in field_.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                low = int(validator.min) + (0 if validator.min_inclusive else 1)
            if validator.max is not None:
                high = int(validator.max) - (0 if validator.max_inclusive else 1)
    return low, high


def max_length(field_: fields.Field[Any]) -> int | None:
    """The field's ``validate.Length`` maximum (None for unbounded text)."""
    for validator in field_.validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            return int(validator.max)
    return None


#: Makers of text that must match a pattern, by pattern (a new pattern fails loudly).
PATTERNS: dict[str, Maker] = {
    r"^[A-Z]{2}$": lambda rng: "".join(rng.choices(string.ascii_uppercase, k=2)),
}


# ---------------------------------------------------------------------------
# The values of each wire field class (never null: nullability is the record's business).


@singledispatch
def value_maker(field_: fields.Field[Any]) -> Maker:
    """How to make the non-null JSON values a wire field accepts, leaning to the edges."""
    raise TypeError(f"no value maker for {type(field_).__name__}")


@value_maker.register
def _(field_: wire.DecimalString) -> Maker:
    return decimal_strings(
        field_.precision,
        field_.places,
        minimum=field_.minimum,
        exclusive_minimum=field_.exclusive_minimum,
        maximum=field_.maximum,
    )


@value_maker.register
def _(field_: wire.String) -> Maker:
    if field_.pattern:
        try:
            return PATTERNS[field_.pattern]
        except KeyError:
            raise TypeError(f"no maker for text matching {field_.pattern}") from None
    return texts(max_length(field_))


@value_maker.register
def _(field_: wire.Slug) -> Maker:
    return slugs(max_length(field_) or 200)


@value_maker.register
def _(field_: wire.UUID) -> Maker:
    def make(rng: random.Random) -> str:
        number = rng.choice([0, 1, 2**128 - 1]) if rng.random() < 0.05 else rng.getrandbits(128)
        return str(uuid_module.UUID(int=number))

    return make


@value_maker.register
def _(field_: wire.Integer) -> Maker:
    return integers(*_bounds(field_))


@value_maker.register
def _(field_: wire.Enum) -> Maker:
    values = field_.values
    return lambda rng: rng.choice(values)


@value_maker.register
def _(field_: wire.Boolean) -> Maker:
    return lambda rng: rng.random() < 0.5


@value_maker.register
def _(field_: wire.Date) -> Maker:
    return dates


@value_maker.register
def _(field_: wire.DateTime) -> Maker:
    return datetimes(extremes=UTC_EXTREMES)


_MAKERS: dict[int, Maker] = {}


def _maker_of(field_: fields.Field[Any]) -> Maker:
    """:func:`value_maker` of a bound field, made once (bound fields live as long as we do)."""
    found = _MAKERS.get(id(field_))
    if found is None:
        found = _MAKERS[id(field_)] = value_maker(field_)
    return found


def field_values(field_: fields.Field[Any]) -> st.SearchStrategy[Any]:
    """Hypothesis strategy of a wire field's non-null values (seeded :func:`value_maker`)."""
    maker = value_maker(field_)
    return SEEDS.map(lambda seed: maker(random.Random(seed)))


# ---------------------------------------------------------------------------
# Facts about schemas, read once.


@cache
def bound_fields(schema: Schema) -> dict[str, fields.Field[Any]]:
    """The schema's fields by wire name, in wire order, bound (references know their key)."""
    return {field_.data_key or name: field_ for name, field_ in schema().fields.items()}


@cache
def _unique_groups(schema: Schema) -> tuple[tuple[str, ...], ...]:
    """Wire names of each unique constraint of the schema's table that the record spells out.

    Constraints on a column the record does not carry (the parent of a child row) are the
    children rules' business (:class:`~bakery_io.format.rules.UniqueIn`).
    """
    by_column = {
        field_.attribute or field_.name or wire_name: wire_name
        for wire_name, field_ in bound_fields(schema).items()
    }
    groups = []
    for constraint in schema.opts.model.__table__.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            columns = [column.name for column in constraint.columns]
            if all(column in by_column for column in columns):
                groups.append(tuple(by_column[column] for column in columns))
    return tuple(groups)


@cache
def _scoped(schema: Schema) -> frozenset[str]:
    """Fields that hold the leading part of a composite reference (set with the reference)."""
    return frozenset(
        name
        for field_ in bound_fields(schema).values()
        if isinstance(field_, wire.Reference)
        for name in field_.scope
    )


def _same(field_: fields.Field[Any], left: Any, right: Any) -> bool:
    if isinstance(field_, wire.DecimalString) and left is not None and right is not None:
        return Decimal(left) == Decimal(right)
    return bool(left == right)


def _normal(text: str) -> str:
    # MySQL/MariaDB compare VARCHARs with PAD SPACE even under utf8mb4_bin: "a" = "a ".
    return text.rstrip(" ")


def dependency_closure(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` and every entity type they reference, directly or not, in import order."""
    wanted: set[str] = set()
    pending = [REGISTRY[name].name for name in names]
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(REGISTRY[name].dependencies)
    return tuple(entity.name for entity in REGISTRY if entity.name in wanted)


def entity_type_sets() -> st.SearchStrategy[tuple[str, ...]]:
    """Dependency-closed sets of entity types: the closure of a few, or all of them.

    The few come first, which is what the shrinker tries first.
    """
    some = st.sets(st.sampled_from(REGISTRY.names), min_size=1, max_size=4)
    return st.one_of(some.map(dependency_closure), st.just(REGISTRY.names))


# ---------------------------------------------------------------------------
# The document builder.


class _Infeasible(Exception):  # noqa: N818 (a signal inside this module)
    """A required reference has nothing to point at: the record cannot be made."""


@dataclass
class _Place:
    """Where a record is being built: its entity type or children, its randomness, presets."""

    entity: str
    rng: random.Random
    preset: Mapping[str, Any] = field(default_factory=dict)
    exclude: Mapping[str, set[Any]] = field(default_factory=dict)
    child: bool = False
    previous_sort_order: int | None = None


@dataclass
class _Builder:
    draw: st.DrawFn
    max_children: int
    uuids: set[str] = field(default_factory=set)
    records: dict[str, list[Record]] = field(default_factory=dict)
    keys: dict[str, list[Any]] = field(default_factory=dict)
    by_key: dict[str, dict[Any, Record]] = field(default_factory=dict)
    taken: dict[tuple[Any, ...], set[str]] = field(default_factory=dict)
    recipe_levels: dict[str, int] = field(default_factory=dict)

    # -- records ---------------------------------------------------------------

    def more(self, index: int, low: int, high: int, *, odds: int = 3) -> bool:
        """Whether to add item ``index`` (from 0) to a collection of ``low`` to ``high`` items.

        One choice per item, right before it (as ``st.lists`` does), so that shrinking can
        delete an item with its choices; an item is added with probability odds/(odds+1).
        The choice is an integer from 1 (which ends the collection): the shrinker's first pass
        re-runs the test for every small integer choice from 0 (``reduce_each_alternative``).
        """
        if index < low:
            return True
        return index < high and self.draw(st.integers(1, odds + 1)) != 1

    def seeded(self) -> random.Random:
        """The randomness of one record's values."""
        return random.Random(self.draw(SEEDS))

    def entity_records(
        self, name: str, low: int, high: int, preset: Mapping[str, Any] | None = None
    ) -> int:
        """Add ``low`` to ``high`` records of ``name``; returns how many (fewer when the next
        one is infeasible)."""
        entity = REGISTRY[name]
        made = self.records.setdefault(name, [])
        keys = self.keys.setdefault(name, [])
        count = 0
        # The first of a tree level comes with odds 7: the levels below need it.
        while self.more(count, low, high, odds=7 if preset and count == 0 else 3):
            try:
                record = self.record(entity.schema, _Place(name, self.seeded(), preset or {}))
            except _Infeasible:
                break
            count += 1
            made.append(record)
            parts = tuple(record[part] for part in entity.natural_key)
            key = parts[0] if len(parts) == 1 else parts
            keys.append(key)
            self.by_key.setdefault(name, {})[key] = record
            after = _AFTER.get(name)
            if after is not None:
                after(self, record)
        return count

    def record(self, schema: Schema, place: _Place) -> Record:
        presence = self._presence(schema, place)
        record: Record = {}
        for name in bound_fields(schema):
            if name not in _scoped(schema):
                record[name] = self.value(schema, name, record, place, present=presence.get(name))
        for rule in schema.opts.rules:
            _enforce(rule, self, schema, record, place)
        problems = {
            name: message
            for rule in schema.opts.rules
            for name, message in rule.check(record.get).items()
        }
        assert not problems, f"generated a {place.entity} record that breaks {problems}"
        return {name: record[name] for name in bound_fields(schema) if name in record}

    def _presence(self, schema: Schema, place: _Place) -> dict[str, bool]:
        """Fields that rules decide up front must be set (True) or null (False)."""
        presence: dict[str, bool] = {}
        for rule in schema.opts.rules:
            if isinstance(rule, AllOrNone):
                presence.update(dict.fromkeys(rule.fields, place.rng.random() < 0.5))
            elif isinstance(rule, ExactlyOne):
                feasible = [group for group in rule.groups if self._feasible(schema, group, place)]
                if not feasible:
                    raise _Infeasible
                chosen = place.rng.choice(feasible)
                for group in rule.groups:
                    presence.update(dict.fromkeys(group, group == chosen))
        return presence

    def _feasible(self, schema: Schema, names: tuple[str, ...], place: _Place) -> bool:
        found = bound_fields(schema)
        return all(
            self.candidates(schema, name, {}, place)
            for name in names
            if isinstance(found[name], wire.Reference)
        )

    def value(
        self, schema: Schema, name: str, record: Record, place: _Place, *, present: bool | None
    ) -> Any:
        """A value for one field; ``present`` True forces non-null, False forces null."""
        field_ = bound_fields(schema)[name]
        override = self._override(schema, name, place)
        if override is not None:
            return override(self, schema, record, place)
        if isinstance(field_, wire.Reference):
            return self.reference(schema, name, record, place, present=present)
        if isinstance(field_, wire.Children):
            return self.children(schema, name, record)
        return self._plain(schema, name, record, place, present=present)

    @staticmethod
    def _override(schema: Schema, name: str, place: _Place) -> Override | None:
        if name in place.preset:
            return lambda *_args: place.preset[name]
        found = _OVERRIDES.get((schema, name))
        if found is None and place.child:
            found = _OVERRIDES.get((None, name))
        return found

    def _plain(
        self, schema: Schema, name: str, record: Record, place: _Place, *, present: bool | None
    ) -> Any:
        field_ = bound_fields(schema)[name]
        if present is False or (
            present is None and field_.allow_none and place.rng.random() < 0.25
        ):
            return None
        value = _maker_of(field_)(place.rng)
        if isinstance(field_, wire.UUID):
            return self._unique_uuid(value)
        return self._unique(schema, name, record, value)

    def _unique_uuid(self, value: str) -> str:
        number = uuid_module.UUID(value).int
        while value in self.uuids:
            number = (number + 1) % 2**128
            value = str(uuid_module.UUID(int=number))
        self.uuids.add(value)
        return value

    def _unique(self, schema: Schema, name: str, record: Record, value: Any) -> Any:
        """``value``, changed where a unique constraint of its table already holds it."""
        field_ = bound_fields(schema)[name]
        for group in _unique_groups(schema):
            if name != group[-1] or not isinstance(value, str):
                continue
            scope = (schema, group, *(record[part] for part in group[:-1]))
            taken = self.taken.setdefault(scope, set())
            value = _dedupe(value, taken, max_length(field_), slug=isinstance(field_, wire.Slug))
        return value

    # -- references ------------------------------------------------------------

    def candidates(self, schema: Schema, name: str, record: Record, place: _Place) -> list[Any]:
        """Keys the reference may point at, from records made earlier in this document."""
        field_ = bound_fields(schema)[name]
        assert isinstance(field_, wire.Reference)
        select = _CANDIDATES.get((schema, name))
        found = select(self, record) if select else list(self.keys.get(field_.target, []))
        excluded = place.exclude.get(name, set())
        found = [key for key in found if key not in excluded]
        links = [link for link in _links(schema, TargetValue) if link.reference == name]
        if not links:
            return found
        defaults = schema.wire_defaults()

        def get(own: str) -> Any:
            return record[own] if own in record else place.preset.get(own, defaults.get(own))

        targets = self.by_key.get(field_.target, {})
        return [
            key
            for key in found
            if all(targets[key].get(link.field) == link.expected(get) for link in links)
        ]

    def reference(
        self, schema: Schema, name: str, record: Record, place: _Place, *, present: bool | None
    ) -> Any:
        """A key of a record made earlier (setting the scope fields of a composite key)."""
        field_ = bound_fields(schema)[name]
        assert isinstance(field_, wire.Reference)
        found = self.candidates(schema, name, record, place)
        optional = field_.allow_none and not field_.required
        rng = place.rng
        if present is False or (optional and present is None and not found):
            key = None
        elif not found:
            raise _Infeasible
        elif optional and present is None and rng.random() < 0.25:
            key = None
        else:
            preferred = _PREFERRED.get((schema, name))
            use = preferred is not None and rng.random() < 1 / 3
            key = preferred(self, found) if preferred and use else rng.choice(found)
        if key is None:
            record.update(dict.fromkeys(field_.scope))
            return None
        parts = key if isinstance(key, tuple) else (key,)
        record.update(zip(field_.scope, parts[:-1], strict=True))
        return parts[-1]

    # -- children --------------------------------------------------------------

    def children(self, schema: Schema, name: str, parent: Record) -> list[Record]:
        """The children under ``name``: none to ``max_children``, unique where rules say."""
        field_ = bound_fields(schema)[name]
        assert isinstance(field_, wire.Children)
        child_schema: Schema = field_.schema_class
        # Keys a child may not take: the parent's own (NotSelfIn), and keys that must be
        # unique among the children (UniqueIn) once a sibling has them.
        exclude: dict[str, set[Any]] = {}
        unique: list[str] = []
        for rule in schema.opts.rules:
            if isinstance(rule, UniqueIn) and rule.children == name:
                assert len(rule.key) == 1, "only single-field keys are supported"
                unique.append(rule.key[0])
                exclude.setdefault(rule.key[0], set())
            elif isinstance(rule, NotSelfIn) and rule.children == name:
                exclude.setdefault(rule.key, set()).add(parent.get(rule.own))
        items: list[Record] = []
        previous = None
        while self.more(len(items), 0, self.max_children):
            place = _Place(
                name, self.seeded(), exclude=exclude, child=True, previous_sort_order=previous
            )
            try:
                item = self.record(child_schema, place)
            except _Infeasible:
                break
            for key_name in unique:
                exclude[key_name].add(item[key_name])
            previous = item.get("sort_order", previous)
            items.append(item)
        return items


def _dedupe(value: str, taken: set[str], limit: int | None, *, slug: bool) -> str:
    """``value``, or ``value-2``, ``value-3``… (cut to ``limit``) whichever is not taken."""
    candidate, number = value, 1
    while _normal(candidate) in taken:
        number += 1
        suffix = f"-{number}"
        stem = value if limit is None else value[: limit - len(suffix)]
        candidate = (stem.rstrip("-_") if slug else stem) + suffix
    taken.add(_normal(candidate))
    return candidate


# ---------------------------------------------------------------------------
# Record rules, enforced generically after a record's fields are made.


@singledispatch
def _enforce(rule: Any, builder: _Builder, schema: Schema, record: Record, place: _Place) -> None:
    """Most rules hold by construction (see :meth:`_Builder._presence` and the references)."""


@_enforce.register
def _(rule: RequiredWhen, builder: _Builder, schema: Schema, record: Record, place: _Place) -> None:
    if record.get(rule.other) == rule.value and record.get(rule.field) is None:
        record[rule.field] = builder.value(schema, rule.field, record, place, present=True)


@_enforce.register
def _(
    rule: NullExactlyWhen, builder: _Builder, schema: Schema, record: Record, place: _Place
) -> None:
    if record.get(rule.other) == rule.value:
        record[rule.field] = None
    elif record.get(rule.field) is None:
        record[rule.field] = builder.value(schema, rule.field, record, place, present=True)


# ---------------------------------------------------------------------------
# What no schema says: the rules across records the importer enforces.


def _links(schema: Schema, kind: type[T]) -> list[T]:
    """The schema's rules across records (``Meta.links``) of class ``kind``."""
    return [link for link in getattr(schema.opts, "links", ()) if isinstance(link, kind)]


def _levels_allowed(schema: Schema, reference: str) -> int | None:
    found = [link.levels for link in _links(schema, MaxNesting) if link.reference == reference]
    return min(found, default=None)


#: The most recipes a chain of sub-recipes may hold: the importer's ``MaxNesting`` on
#: recipes (three: "sub-recipes at most three recipes deep", README).
MAX_RECIPE_LEVELS = _levels_allowed(RecipeSchema, "component_recipe_slug") or 3


def _component_recipes(builder: _Builder, record: Record) -> list[Any]:
    # Only earlier recipes (acyclic), and none whose chains would grow too long through this.
    return [
        slug
        for slug in builder.keys.get("recipes", [])
        if builder.recipe_levels[slug] < MAX_RECIPE_LEVELS
    ]


def _deepest_recipe(builder: _Builder, found: Sequence[Any]) -> Any:
    return max(found, key=lambda slug: builder.recipe_levels[slug])


def _recipes_with_units(builder: _Builder, record: Record) -> list[Any]:
    having = {unit["recipe_slug"] for unit in builder.records.get("finished_units", [])}
    return [slug for slug in builder.keys.get("recipes", []) if slug in having]


def _sort_order(builder: _Builder, schema: Schema, record: Record, place: _Place) -> int:
    # Children are written in their stable order: strictly increasing sort_order values.
    rng, previous = place.rng, place.previous_sort_order
    if previous is None:
        return 0 if rng.random() < 0.75 else rng.randint(0, 1000)
    gap = 1 if rng.random() < 0.75 else rng.randint(1, 10**6)
    return min(previous + gap, wire.MAX_INTEGER - 1000)


def _consumed_ingredient(builder: _Builder, schema: Schema, record: Record, place: _Place) -> str:
    # Recorded text: a slug that may or may not be an ingredient of the document.
    known = [str(record["slug"]) for record in builder.records.get("ingredients", [])]
    if known and place.rng.random() < 0.5:
        return place.rng.choice(known)
    return str(slugs(200)(place.rng))


def _record_levels(builder: _Builder, record: Record) -> None:
    # The recipes in the longest chain of sub-recipes from this one, itself included.
    below = [builder.recipe_levels[item["component_recipe_slug"]] for item in record["components"]]
    builder.recipe_levels[record["slug"]] = 1 + max(below, default=0)


Override = Callable[[_Builder, Schema, Record, _Place], Any]
#: Values no field class can choose alone, by (schema, wire name); schema None: any child.
_OVERRIDES: dict[tuple[Schema | None, str], Override] = {
    (None, "sort_order"): _sort_order,
    (ProductionConsumptionSchema, "ingredient_slug"): _consumed_ingredient,
}
#: Which records a reference may point at, where not any record of its target. The
#: schemas' ``TargetValue`` links narrow these further (leaf ingredients, a parent one level
#: up, a run's finished unit of its recipe): see :meth:`_Builder.candidates`.
_CANDIDATES: dict[tuple[Schema, str], Callable[[_Builder, Record], list[Any]]] = {
    (RecipeComponentSchema, "component_recipe_slug"): _component_recipes,
    # Recipes with a finished unit: the run's finished unit must be a yield of its recipe.
    (ProductionRunSchema, "recipe_slug"): _recipes_with_units,
}
#: A key a reference picks often (a third of the time), so that deep structures come up.
_PREFERRED: dict[tuple[Schema, str], Callable[[_Builder, Sequence[Any]], Any]] = {
    (RecipeComponentSchema, "component_recipe_slug"): _deepest_recipe,
}
#: Bookkeeping after a top-level record is made.
_AFTER: dict[str, Callable[[_Builder, Record], None]] = {"recipes": _record_levels}


def _ingredient_forest(builder: _Builder, low: int, high: int) -> None:
    """Up to two roots, up to two sub-categories under them, ``low`` to ``high`` leaves.

    The levels above the leaves are there most of the time (leaves are what products and
    recipes use); with ``low`` > 0 they always are.
    """
    cap, need = min(2, high), min(1, low)
    roots = builder.entity_records("ingredients", need, cap, {"hierarchy_level": 0})
    middles = builder.entity_records(
        "ingredients", need, cap if roots else 0, {"hierarchy_level": 1}
    )
    builder.entity_records("ingredients", low, high if middles else 0, {"hierarchy_level": 2})


# ---------------------------------------------------------------------------
# Writing records out.


def _written(
    rng: random.Random, schema: Schema, record: Record, *, complete: bool, top: bool
) -> Record:
    """``record`` as the document holds it: every field, or some left to their defaults.

    A field is left out only where leaving it out means the same value (its default, or
    null where it has none), so a ``complete=False`` document loads like its complete twin.
    """
    defaults = schema.wire_defaults()
    found = bound_fields(schema)
    written: Record = {}
    for name, drawn in record.items():
        field_ = found[name]
        value = drawn
        if isinstance(field_, wire.Children):
            value = [
                _written(rng, field_.schema_class, item, complete=complete, top=False)
                for item in drawn
            ]
        if (
            not complete
            and _omissible(field_, name, value, defaults, top=top)
            and rng.random() < 0.5
        ):
            continue
        written[name] = value
    return written


def _omissible(
    field_: fields.Field[Any], name: str, value: Any, defaults: Mapping[str, Any], *, top: bool
) -> bool:
    if field_.required or name == "uuid" or (top and name in ALWAYS_WRITTEN):
        return False
    if isinstance(field_, wire.Children):
        return not value
    if name in defaults:
        return _same(field_, value, defaults[name])
    return value is None and bool(field_.allow_none) and field_.load_default is missing


def documents(
    *,
    entity_types: Iterable[str] | None = None,
    complete: bool = True,
    min_records: int = 0,
    max_records: int = 4,
    max_children: int = 3,
    shuffle: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid single documents of format 1.1 holding a small, self-contained database.

    - ``entity_types``: the entity types to hold, closed under dependencies (what they
      reference is added); None draws a dependency-closed set (a few types and what they
      need, or all 21).
    - ``complete``: write every field of every record (nulls included); with False, fields
      whose value is their default (or null without one) and empty children lists are
      sometimes left out. ``uuid``, ``created_at`` and ``updated_at`` are always written.
    - ``min_records``/``max_records``: records per entity type (fewer where a required
      reference has nothing to point at). Ingredients hold up to ``max_records`` leaves
      plus the roots and sub-categories above them (at most two of each).
    - ``max_children``: items per children list.
    - ``shuffle``: records of each type in random order rather than referenced ones first.
    """
    if not 0 <= min_records <= max_records:
        raise ValueError("need 0 <= min_records <= max_records")
    chosen = None if entity_types is None else dependency_closure(entity_types)
    exported = datetimes(zones=("Z",), fractions=(0,), earliest=_EXPORT_FROM, latest=_EXPORT_UNTIL)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        names = chosen if chosen is not None else draw(entity_type_sets())
        builder = _Builder(draw, max_children)
        for name in names:
            if name == "ingredients":
                _ingredient_forest(builder, min_records, max_records)
            else:
                builder.entity_records(name, min_records, max_records)
        rng = builder.seeded()
        document: dict[str, Any] = {"version": CURRENT_VERSION, "exported_at": exported(rng)}
        for name in names:
            schema = REGISTRY[name].schema
            records = [
                _written(rng, schema, record, complete=complete, top=True)
                for record in builder.records[name]
            ]
            if shuffle:
                rng.shuffle(records)
            document[name] = records
        return document

    return build()


def walk(document: Mapping[str, Any]) -> Iterator[tuple[str, str, fields.Field[Any], Any]]:
    """(entity type or children name, wire name, field, value) of every value in ``document``.

    Children are walked too (under their children name: ``components``); absent fields are
    not reported.
    """

    def visit(
        owner: str, schema: Schema, record: Mapping[str, Any]
    ) -> Iterator[tuple[str, str, fields.Field[Any], Any]]:
        for name, field_ in bound_fields(schema).items():
            if name not in record:
                continue
            yield owner, name, field_, record[name]
            if isinstance(field_, wire.Children):
                for item in record[name]:
                    yield from visit(name, field_.schema_class, item)

    for entity in REGISTRY:
        for record in document.get(entity.name, []):
            yield from visit(entity.name, entity.schema, record)
