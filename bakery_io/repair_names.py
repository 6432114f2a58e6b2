"""The opt-in repairs of bake-tracker's files by name: what each does, and which were asked.

The repairs themselves are in :mod:`bakery_io.versions.bake_tracker.repairs`, which
imports the schemas (SQLAlchemy, marshmallow). Their names live here, apart, so that the
command line can list them in its help, and a load or an upgrade can name the ones left
in its hint, without importing that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bakery_io.errors import UsageError

# Names of the opt-in repairs, as the library and the CLI take them.
REPARENT = "reparent-deep-ingredients"
SUFFIX = "suffix-repeated-keys"
ROUND = "round-float-noise"
LOT = "match-depletion-lot"
FIRST = "first-of-shared-name"
TREE = "ingredient-tree-by-category"
UNITS = "finished-units-from-runs"


#: Every opt-in repair, with what it does (the CLI's help and the docs say the same).
REPAIRS: Mapping[str, str] = {
    REPARENT: (
        "an ingredient under a parent of its own hierarchy level (a fourth level) is moved "
        "under that parent's parent"
    ),
    SUFFIX: (
        "products that share the app's key ingredient:brand:quantity:unit get slugs suffixed "
        "-2, -3 in file order, and a reference by that key goes to the first of them, as the "
        "app's own importer resolves it"
    ),
    ROUND: (
        "a decimal the app wrote as a binary float with more places than its field takes is "
        "rounded, half to even, to the field's places"
    ),
    LOT: (
        "an inventory depletion that names a product with several lots goes to the one lot "
        "whose unit cost times the quantity depleted gives the depletion's cost, to its places"
    ),
    FIRST: (
        "a reference by a name that several events, recipients or packages share (or an "
        "assembly's packaging product by a name several products show) goes to the first of "
        "them in file order, as the app's own importer resolves it"
    ),
    TREE: (
        "the app's older backup writes no ingredient tree: its ingredients become leaves, "
        "each under a sub-category made for its category, under one root made for them"
    ),
    UNITS: (
        "the app's older backup writes no finished units: one that its production runs "
        "name is made from them (slug, recipe, items per batch) and the recipe's yield unit"
    ),
}


def repairs_named(names: Iterable[str]) -> frozenset[str]:
    """The repairs ``names`` asks for (``"all"`` is every one); refuses unknown names."""
    asked = set(names)
    if "all" in asked:
        return frozenset(REPAIRS)
    unknown = sorted(asked - set(REPAIRS))
    if unknown:
        known = ", ".join(REPAIRS)
        raise UsageError(
            f"unknown repair {', '.join(map(repr, unknown))}: the repairs are {known} (or all)"
        )
    return frozenset(asked)


def repairs_left(asked: Iterable[str]) -> tuple[str, ...]:
    """The repairs not among those ``asked``."""
    named = repairs_named(asked)
    return tuple(name for name in REPAIRS if name not in named)


def repairs_hint(asked: Iterable[str]) -> str | None:
    """What to say when the app's files have problems: the repairs not asked for."""
    left = repairs_left(asked)
    if not left:
        return None
    return (
        "bake-tracker's real data often breaks a rule that an opt-in repair mends, reported "
        f"value by value: {', '.join(left)} (repairs=[...], or bakery-io --repair NAME)"
    )
