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

from bakery_io.registry import REGISTRY, EntityType


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
    """The entity type an entity file's name implies (``03_products.json``, ``products.json``)."""
    stem = name.removesuffix(".json")
    entity_type = stem[3:] if stem[:2].isdigit() and stem[2:3] == "_" else stem
    return entity_type if entity_type in REGISTRY else None


def import_order(name: str) -> tuple[int, str]:
    """Entity files sort by the import order their name implies, then by name."""
    entity_type = entity_type_of(name)
    number = REGISTRY[entity_type].number if entity_type else len(REGISTRY) + 1
    return number, name
