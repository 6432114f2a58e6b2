"""Sections: what the check of a source hands on to be resolved and written.

A section is the records of one entity type in one file of a source. The
check (:mod:`bakery_io.validation`) finds them; the resolver
(:mod:`bakery_io.resolution`) checks their records against each other and the
database; persistence (:mod:`bakery_io.persistence`) writes them. Each stage
takes sections from the one before it, so this module belongs to none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bakery_io.format.extensions import is_namespaced
from bakery_io.registry import REGISTRY, EntityType, Registry


@dataclass(frozen=True)
class Section:
    """The records of one entity type in one file of a source, as a check found them.

    ``pointer`` is the JSON pointer of the records array (``/records`` in an
    entity file, ``/<entity_type>`` in a document); ``sha256`` the digest of
    the file's bytes when it came from an archive; ``flawed`` the positions of
    records with problems.
    """

    entity: EntityType
    file: str
    pointer: str
    sha256: str | None
    flawed: frozenset[int]
    count: int
    #: Whether the file is laid out as bakery_io writes it, and so read a record at a time.
    streamed: bool = False


#: Receives each section whose envelope is sound, with its records, as it is checked.
#: The records of a streamed file are read again as they are iterated.
Visitor = Callable[[Section, Iterable[Any]], None]


def entity_type_of(name: str) -> str | None:
    """The entity type an entity file's name implies, or None for no entity type's name.

    ``03_products.json`` and ``products.json`` name a core type;
    ``acme.01_ovens.json`` names the extension type ``acme:ovens``, whether or
    not a registry knows it.
    """
    stem = name.removesuffix(".json")
    namespace, dot, rest = stem.partition(".")
    if dot:
        local = rest[3:] if rest[:2].isdigit() and rest[2:3] == "_" else ""
        found = f"{namespace}:{local}"
        return found if is_namespaced(found) else None
    entity_type = stem[3:] if stem[:2].isdigit() and stem[2:3] == "_" else stem
    return entity_type if entity_type in REGISTRY else None


def import_order(registry: Registry) -> Callable[[str], tuple[int, str]]:
    """Sorts entity files by the import order of ``registry``, then by name; files of
    types it does not hold come last."""
    position = {name: index for index, name in enumerate(registry.names)}

    def order(name: str) -> tuple[int, str]:
        return position.get(entity_type_of(name) or "", len(position)), name

    return order
