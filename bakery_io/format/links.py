"""Rules that span records, as data: what a reference's target must be.

A schema lists them in ``Meta.links``. They cannot be checked on one record
alone, so :func:`bakery_io.load_all` checks them once every reference is
resolved, against the records being loaded and the rows already in the
database (whichever will be there after the load). Fields are named by their
wire names. Cycles need no declaration: every reference of an entity type to
itself is checked for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bakery_io.format.rules import Getter


@dataclass(frozen=True)
class TargetValue:
    """The record that ``reference`` points at has ``field`` equal to an expected value.

    The value is ``equals``, or this record's own ``same_as`` field plus
    ``offset``. ``why`` says the rule in words.
    """

    reference: str
    field: str
    why: str
    equals: Any = None
    same_as: str | None = None
    offset: int = 0

    def expected(self, get: Getter) -> Any:
        """The value the target's field must have, for the record read by ``get``."""
        if self.same_as is None:
            return self.equals
        own = get(self.same_as)
        return own + self.offset if self.offset and isinstance(own, int) else own


@dataclass(frozen=True)
class MaxNesting:
    """Chains of self-references through ``reference`` hold at most ``levels`` records.

    A recipe with sub-recipes that have sub-recipes of their own is three
    levels; ``reference`` may be inside children (``components``).
    """

    reference: str
    levels: int


#: Any rule across records.
Link = TargetValue | MaxNesting
