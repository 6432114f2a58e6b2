"""Restoring a backup's exceptions: which problems an import accepts, and records as found.

A backup lists the records it holds as the database held them although the
format or its rules refuse them (:mod:`bakery_io.audit`). An import refuses
them like any other problem, unless it is told to accept them
(``load_all(..., accept_exceptions=True)``, ``bakery-io import
--accept-exceptions``). Then a problem is accepted only where the backup lists
one, at the same entity file and JSON pointer: anything else still refuses
the load. A record whose values fail their fields there is loaded *as found*:
each such value goes to the database as it is in the file, converted only
where that loses nothing (a date's text to a date, a decimal's digits to a
:class:`~decimal.Decimal`, a key to its row's id), never rounded or
guessed. The database may still refuse it; then the load fails as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields

from bakery_io.binding.sqltypes import AsFoundDecimal
from bakery_io.containers import Archive, FileSource, Source, Unreadable, parse
from bakery_io.format.fields import Children, Date, DateTime, DecimalString, Reference
from bakery_io.format.manifest import MANIFEST_NAME
from bakery_io.format.schemas.base import EntitySchema, declared_fields
from bakery_io.problems import Problem, pointer
from bakery_io.registry import REGISTRY

#: Tells whether a problem at this JSON pointer (relative to the record) is accepted.
Accepts = Callable[[str], bool]


def _entity_form(problem: Problem) -> tuple[str, str]:
    """(entity file, pointer) of a problem, as an export lists it whatever the container:
    ``/ingredients/3/slug`` of a single document is ``/records/3/slug`` of ``02_ingredients.json``.
    """
    parts = problem.pointer.split("/", 2)
    if len(parts) > 1 and parts[1] in REGISTRY:
        rest = "/" + parts[2] if len(parts) > 2 else ""
        return REGISTRY[parts[1]].filename, "/records" + rest
    return problem.file, problem.pointer


class Accepted:
    """The exceptions a backup lists, and which of a load's problems they cover."""

    def __init__(self, listed: Iterable[Problem]) -> None:
        self._listed = {_entity_form(problem) for problem in listed}

    def __bool__(self) -> bool:
        return bool(self._listed)

    def covers(self, problem: Problem) -> bool:
        """Whether the backup lists an exception where ``problem`` is."""
        return _entity_form(problem) in self._listed

    def within(self, file: str, where: str) -> Accepts:
        """What is accepted inside the record (or child) at ``where`` of ``file``."""
        return lambda inner: self.covers(Problem(file, where + inner, ""))


def listed_exceptions(source: Source) -> tuple[Problem, ...]:
    """The exceptions a backup's export listed (in its manifest, or its single document)."""
    content: Any = source.content if isinstance(source, FileSource) else None
    if isinstance(source, Archive) and source.readable and source.has(MANIFEST_NAME):
        try:
            content = parse(MANIFEST_NAME, source.read(MANIFEST_NAME))
        except Unreadable:
            return ()  # the check reports it
    listed = content.get("exceptions") if isinstance(content, Mapping) else None
    if not isinstance(listed, list):
        return ()
    # Read before the manifest is checked: anything malformed is left out (and reported
    # by the check), never trusted.
    return tuple(
        Problem(item["file"], item["pointer"], item["message"], record, key)
        for item in listed
        if isinstance(item, Mapping)
        and all(isinstance(item.get(name), str) for name in ("file", "pointer", "message"))
        and isinstance(record := item.get("record"), int | None)
        and not isinstance(record, bool)
        and isinstance(key := item.get("key"), str | None)
    )


def load_or_accept(
    load: Callable[[Any], dict[str, Any]],
    schema: type[EntitySchema],
    record: Any,
    accepts: Accepts | None,
) -> tuple[dict[str, Any], bool]:
    """``(load(record), False)``; where it fails and ``accepts`` covers every failure,
    ``(the record as found, True)`` (:func:`load_as_found`). Raises
    ``ValidationError`` otherwise."""
    try:
        return load(record), False
    except ValidationError as exc:
        if accepts is None:
            raise
        return load_as_found(schema, record, accepts, exc), True


def _found(field: fields.Field[Any], value: Any, data: Mapping[str, Any]) -> Any:
    """``value`` of ``field`` as the database held it, converted only where nothing is lost."""
    if isinstance(field, Reference):
        if not isinstance(value, str):
            raise ValidationError(f"a reference to {field.target} must be a key")
        return field.load_valid(value, None, data)  # its row's id, or the key to look up
    kinds = (kind for kind in _CONVERSIONS if isinstance(field, kind))
    convert = _CONVERSIONS[kind] if isinstance(value, str) and (kind := next(kinds, None)) else None
    if convert is None:
        return value
    try:
        return convert(value)
    except (ValueError, InvalidOperation):
        return value  # text where the database kept text (SQLite)


def _decimal(text: str) -> Decimal | str:
    number = AsFoundDecimal(text)  # exact: a constructor does not round
    return number if number.is_finite() else text


#: Text that becomes what the column holds, exactly: anything else goes as it is.
_CONVERSIONS: dict[type, Callable[[str], Any]] = {
    DecimalString: _decimal,
    Date: date.fromisoformat,
    DateTime: lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")),
}


def _names(schema: type[EntitySchema]) -> dict[str, tuple[str, fields.Field[Any]]]:
    return {
        field.data_key or name: (field.attribute or name, field)
        for name, field in declared_fields(schema).items()
    }


def _failures(messages: Any, parts: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of each message in marshmallow's nested error dict."""
    if isinstance(messages, Mapping):
        found = []
        for name, inner in messages.items():
            found += _failures(inner, parts if name == "_schema" else (*parts, name))
        return found
    return [parts]


def load_as_found(
    schema: type[EntitySchema], record: Any, accepts: Accepts, error: ValidationError
) -> dict[str, Any]:
    """``record``, which failed to load with ``error``, loaded with its failing values as
    found. Raises ``error`` again when any failure is where ``accepts`` says no, or is
    not a value the record holds (a missing field, a record that is not an object)."""
    paths = _failures(error.messages)
    if not isinstance(record, Mapping) or not all(accepts(pointer(*path)) for path in paths):
        raise error
    loaded: dict[str, Any] = {}
    try:
        loaded.update(schema().load(record))  # marshmallow's own, with every message
    except ValidationError as again:
        if isinstance(again.valid_data, dict):
            loaded.update(again.valid_data)
    for path in paths:
        if path:
            _place(schema, record, loaded, path, error)
    return loaded


def _place(
    schema: type[EntitySchema],
    record: Mapping[str, Any],
    loaded: dict[str, Any],
    path: tuple[str | int, ...],
    error: ValidationError,
) -> None:
    """Put the record's value at ``path`` into ``loaded``, as found."""
    wire, *rest = path
    named = _names(schema).get(str(wire))
    if named is None or str(wire) not in record:
        raise error
    attribute, field = named
    value = record[str(wire)]
    if not rest:
        loaded[attribute] = _found(field, value, record)
        return
    position, *inner = rest
    items = loaded.get(attribute)
    if not (
        isinstance(field, Children)
        and isinstance(position, int)
        and isinstance(value, list)
        and isinstance(items, list)
        and position < len(items) == len(value)
        and isinstance(value[position], Mapping)
    ):
        raise error
    if not inner:
        raise error  # a child that is not an object: nothing to load it as
    _place(field.schema_class, value[position], items[position], tuple(inner), error)
