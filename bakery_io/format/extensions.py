"""Extensions: a host's own entity types and fields, beside the format, under a namespace.

The core of the format belongs to bakery_io; a host that stores more adds it
as an :class:`Extension` with a namespace of its own (``acme``), and names
everything it adds in it:

- an extension entity type ``acme:ovens``, in the file ``acme.01_ovens.json``
  (numbered within its extension: the bare numbers ``01`` to ``21`` are the
  core's, so a stock reader never takes an extension file for a core one);
- an extension field ``acme:allergen_notes`` in a core record; it is always
  optional, so a stock backup loads into the host;
- the manifest's ``extensions`` list (``[{"namespace": "acme", "version": "1"}]``),
  which a stock backup never has.

A stock reader (a registry without ``acme``, or the published JSON Schemas)
checks the core of such a backup as usual and passes over what is namespaced;
bakery_io reports what it did not load. An extension's version is its own;
a backup of another version of a known extension is refused, named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bakery_io.errors import UsageError

if TYPE_CHECKING:
    from bakery_io.format.schemas.base import EntitySchema

#: A namespace: lower-case letters, digits and underscores, starting with a letter.
NAMESPACE_PATTERN = "[a-z][a-z0-9_]*"
#: A namespaced wire name: ``acme:ovens``, ``acme:allergen_notes``.
NAMESPACED_PATTERN = f"{NAMESPACE_PATTERN}:[a-z][a-z0-9_]*"
_NAMESPACED = re.compile(NAMESPACED_PATTERN)
_NAMESPACE = re.compile(NAMESPACE_PATTERN)
#: Namespaces no extension may take.
RESERVED = frozenset({"bakery_io", "core", "x"})


def namespace_of(name: str) -> str | None:
    """The namespace of a wire name (``acme`` of ``acme:ovens``), None for the core's names."""
    namespace, separator, _local = name.partition(":")
    return namespace if separator else None


def split_name(name: str) -> tuple[str | None, str]:
    """(namespace or None, local name) of an entity type's wire name."""
    namespace, separator, local = name.partition(":")
    return (namespace, local) if separator else (None, name)


def is_namespaced(name: str) -> bool:
    """Whether ``name`` is an extension's wire name (``namespace:name``)."""
    return _NAMESPACED.fullmatch(name) is not None


@dataclass(frozen=True)
class Extension:
    """A host's additions to the format: its namespace, version and entity types.

    ``types`` are entity schemas whose ``Meta.entity_type`` is
    ``"<namespace>:<name>"``, in the order of their file numbers. Fields a host
    adds to core types are declared in its binding schemas (data_key
    ``"<namespace>:<name>"``), see :meth:`bakery_io.Registry.derive`.
    """

    namespace: str
    version: str
    types: tuple[type[EntitySchema], ...] = ()

    def __init__(
        self, namespace: str, version: str, types: Sequence[type[EntitySchema]] = ()
    ) -> None:
        if _NAMESPACE.fullmatch(namespace) is None or namespace in RESERVED:
            raise UsageError(
                f"extension namespace {namespace!r}: use lower-case letters, digits and _, "
                f"starting with a letter, and none of {sorted(RESERVED)}"
            )
        if not version or not isinstance(version, str):
            raise UsageError(f"extension {namespace}: its version is a non-empty string")
        object.__setattr__(self, "namespace", namespace)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "types", tuple(types))
        for schema in self.types:
            name = schema.opts.entity_type or ""
            if not is_namespaced(name) or namespace_of(name) != namespace:
                raise UsageError(
                    f"{schema.__name__}: an entity type of extension {namespace} is named "
                    f'"{namespace}:<name>" (Meta.entity_type), not {name!r}'
                )

    def with_types(self, types: Sequence[type[EntitySchema]]) -> Extension:
        """The same extension with other (rebound or fewer) types."""
        return Extension(self.namespace, self.version, types)

    def to_dict(self) -> dict[str, str]:
        """As the manifest lists it."""
        return {"namespace": self.namespace, "version": self.version}


@dataclass(frozen=True)
class PassedOver:
    """What a check or load passed over because its registry lacks the extension.

    ``extensions`` are those the source declares (``{"namespace", "version"}``)
    and the registry does not have; ``types`` the records of extension entity
    types it does not hold, by type. Fields of such extensions on core records
    are passed over too. Nothing of it is loaded.
    """

    extensions: tuple[dict[str, str], ...] = ()
    types: tuple[tuple[str, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.extensions or self.types)

    def to_dict(self) -> dict[str, Any]:
        """As reports give it: only when something was passed over."""
        if not self:
            return {}
        return {
            "passed_over": {
                "extensions": list(self.extensions),
                "types": dict(self.types),
            }
        }

    def describe(self) -> str:
        """One line for people: ``extension acme 1 not loaded (acme:ovens: 3 records)``."""
        names = ", ".join(f"{e['namespace']} {e['version']}" for e in self.extensions)
        counts = ", ".join(f"{name}: {count}" for name, count in self.types)
        said = f"extension{'s' if len(self.extensions) != 1 else ''} {names}" if names else ""
        records = f"records of {counts}" if counts else ""
        return f"not loaded, this registry lacks them: {'; '.join(filter(None, (said, records)))}"
