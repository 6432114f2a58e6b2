"""Rules about one record that involve more than one field, as data.

A schema lists its rules in ``Meta.rules``. Each rule checks a loaded record
(:meth:`Rule.check`, run by every schema's single ``validates_schema`` hook)
and, where JSON Schema can say the same thing, describes itself as a JSON
Schema fragment (:meth:`Rule.json_schema`) for the published schemas. Rules
name fields by their wire names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: A record's value by wire name; ``None`` when absent or null.
Getter = Callable[[str], Any]
#: The default a field takes when it is absent (``None`` when it has none).
Defaults = Mapping[str, Any]


def _is_set(value: Any) -> bool:
    return value is not None


def _set(names: tuple[str, ...], why: str) -> dict[str, Any]:
    """JSON Schema: every one of ``names`` is present and not null, because of ``why``."""
    return {
        "description": why,
        "required": list(names),
        "properties": {name: {"not": {"type": "null"}, "description": why} for name in names},
    }


def _unset(names: tuple[str, ...], why: str) -> dict[str, Any]:
    """JSON Schema: each of ``names`` is absent or null, because of ``why``."""
    return {
        "description": why,
        "properties": {name: {"type": "null", "description": why} for name in names},
    }


def _children(value: Any) -> list[Mapping[str, Any]]:
    """The well-formed items of a children list (others fail their own schema)."""
    items = value if isinstance(value, list) else []
    return [item if isinstance(item, Mapping) else {} for item in items]


def _equals(name: str, value: Any, defaults: Defaults) -> dict[str, Any]:
    """JSON Schema: ``name`` equals ``value``, counting an absent field as its default."""
    condition: dict[str, Any] = {"properties": {name: {"const": value}}}
    if defaults.get(name) != value:
        condition["required"] = [name]
    return condition


class Rule(ABC):
    """A rule over several fields of one record."""

    #: Wire names of the fields the rule reads; it is skipped when one of them is invalid.
    fields: tuple[str, ...]

    @abstractmethod
    def check(self, get: Getter) -> dict[str, str]:
        """Problems as {wire field name: message}; empty when the record follows the rule."""

    @abstractmethod
    def describe(self) -> str:
        """The rule in words."""

    def json_schema(self, defaults: Defaults) -> dict[str, Any] | None:
        """The rule as a JSON Schema fragment, or ``None`` where JSON Schema cannot say it."""
        return None


@dataclass(frozen=True)
class _Conditional(Rule):
    """A rule on ``field`` that depends on whether ``other`` equals ``value``."""

    field: str
    other: str
    value: Any

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.field, self.other)

    def _condition(self, defaults: Defaults) -> dict[str, Any]:
        return {"description": self.describe(), "if": _equals(self.other, self.value, defaults)}


@dataclass(frozen=True)
class RequiredWhen(_Conditional):
    """``field`` must be set when ``other`` equals ``value`` (``other``'s default counts)."""

    def check(self, get: Getter) -> dict[str, str]:
        if get(self.other) == self.value and not _is_set(get(self.field)):
            return {self.field: f"required when {self.other} is {self.value!r}"}
        return {}

    def describe(self) -> str:
        return f"{self.field} is required when {self.other} is {self.value!r}"

    def json_schema(self, defaults: Defaults) -> dict[str, Any]:
        return {**self._condition(defaults), "then": _set((self.field,), self.describe())}


@dataclass(frozen=True)
class NullExactlyWhen(_Conditional):
    """``field`` is null exactly when ``other`` equals ``value`` (the root of a tree)."""

    def check(self, get: Getter) -> dict[str, str]:
        expected_null = get(self.other) == self.value
        if expected_null and _is_set(get(self.field)):
            return {self.field: f"must be null when {self.other} is {self.value!r}"}
        if not expected_null and not _is_set(get(self.field)):
            return {self.field: f"required when {self.other} is not {self.value!r}"}
        return {}

    def describe(self) -> str:
        return f"{self.field} is null exactly when {self.other} is {self.value!r}"

    def json_schema(self, defaults: Defaults) -> dict[str, Any]:
        return {
            **self._condition(defaults),
            "then": _unset((self.field,), self.describe()),
            "else": _set((self.field,), self.describe()),
        }


@dataclass(frozen=True)
class AllOrNone(Rule):
    """Either every one of ``fields`` is set or none is."""

    fields: tuple[str, ...]

    def check(self, get: Getter) -> dict[str, str]:
        present = [name for name in self.fields if _is_set(get(name))]
        if present and len(present) != len(self.fields):
            missing = [name for name in self.fields if name not in present]
            message = f"{', '.join(self.fields)} go together: all set or none"
            return dict.fromkeys(missing, message)
        return {}

    def describe(self) -> str:
        return f"{', '.join(self.fields)}: all set or none"

    def json_schema(self, defaults: Defaults) -> dict[str, Any]:
        why = self.describe()
        return {"description": why, "anyOf": [_set(self.fields, why), _unset(self.fields, why)]}


@dataclass(frozen=True)
class ExactlyOne(Rule):
    """Exactly one group of fields is set; a group of several fields is all or nothing."""

    groups: tuple[tuple[str, ...], ...]

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(name for group in self.groups for name in group)

    def _choices(self) -> str:
        return " | ".join(" + ".join(group) for group in self.groups)

    def check(self, get: Getter) -> dict[str, str]:
        problems: dict[str, str] = {}
        chosen = []
        for group in self.groups:
            present = [name for name in group if _is_set(get(name))]
            if present:
                chosen.append(group)
            if present and len(present) != len(group):
                for name in group:
                    if name not in present:
                        problems[name] = f"{' + '.join(group)} go together"
        if len(chosen) != 1:
            problems[self.groups[0][0]] = (
                f"exactly one of {self._choices()} must be set, found {len(chosen)}"
            )
        return problems

    def describe(self) -> str:
        return f"exactly one of {self._choices()}"

    def json_schema(self, defaults: Defaults) -> dict[str, Any]:
        why = self.describe()
        one_of = {"description": why, "oneOf": [_set(group, why) for group in self.groups]}
        pairs = [AllOrNone(group).json_schema(defaults) for group in self.groups if len(group) > 1]
        return {"description": why, "allOf": [one_of, *pairs]} if pairs else one_of


@dataclass(frozen=True)
class Differs(Rule):
    """``field`` may not equal ``other`` (a record may not reference itself)."""

    field: str
    other: str

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.field, self.other)

    def check(self, get: Getter) -> dict[str, str]:
        value = get(self.field)
        if _is_set(value) and value == get(self.other):
            return {self.field: f"may not be the record's own {self.other} ({value!r})"}
        return {}

    def describe(self) -> str:
        return f"{self.field} differs from {self.other}"


@dataclass(frozen=True)
class UniqueIn(Rule):
    """Within the children under ``children``, ``key`` (a tuple of wire names) is unique."""

    children: str
    key: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.children,)

    def check(self, get: Getter) -> dict[str, str]:
        seen: set[tuple[Any, ...]] = set()
        for position, child in enumerate(_children(get(self.children))):
            value = tuple(child.get(name) for name in self.key)
            # Malformed items are their fields' problem, reported by the child schema.
            if not all(isinstance(part, str) for part in value):
                continue
            if value in seen:
                shown = " / ".join(str(part) for part in value)
                return {self.children: f"item {position} repeats {'+'.join(self.key)} {shown!r}"}
            seen.add(value)
        return {}

    def describe(self) -> str:
        return f"each {' + '.join(self.key)} appears at most once in {self.children}"


@dataclass(frozen=True)
class NotSelfIn(Rule):
    """No child under ``children`` has ``key`` equal to the record's own ``own``."""

    children: str
    key: str
    own: str = "slug"

    @property
    def fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.children, self.own)

    def check(self, get: Getter) -> dict[str, str]:
        own = get(self.own)
        for position, child in enumerate(_children(get(self.children))):
            if own is not None and child.get(self.key) == own:
                return {
                    self.children: f"item {position}: {self.key} is the record itself ({own!r})"
                }
        return {}

    def describe(self) -> str:
        return f"no item of {self.children} has {self.key} equal to the record's {self.own}"
