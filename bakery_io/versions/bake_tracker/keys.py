"""How the app names records in references, and how bakery_io finds the record it means.

The app references most records by slug, but some by a name, a database id or
a composite text key. A reference that matches exactly one record becomes
that record's key; one that matches none or several is a problem (or, for the
cases a named repair covers, a reported repair), never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from bakery_io.format.slugs import slugify
from bakery_io.versions.bake_tracker.records import Rec


def quantity_text(value: Any) -> str:
    """A package quantity as the app's composite key prints it.

    The app keeps it as a binary float and formats the key with ``str()``, so
    ``25.0`` stays ``25.0`` and a missing one is ``None``.
    """
    if value is None:
        return "None"
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


def product_key(record: Mapping[str, Any]) -> str:
    """The app's composite key of a product: ``ingredient:brand:quantity:unit``.

    It is how the app's backups reference a product (its products have no
    slug); a missing brand prints as ``None``, as the app's f-string does.
    """
    return ":".join(
        (
            str(record.get("ingredient_slug")),
            str(record.get("brand")),
            quantity_text(record.get("package_unit_quantity")),
            str(record.get("package_unit")),
        )
    )


def key_slug(key: str, max_length: int) -> str:
    """A product slug derived from the app's composite key, by the slug rule.

    ``flour_all_purpose:King Arthur:25.0:lb`` -> ``flour_all_purpose-king-arthur-25-lb``:
    a missing brand is left out and a whole quantity loses its ``.0``.
    """
    parts = key.split(":")
    if len(parts) >= 4:
        ingredient, *brand, quantity, unit = parts
        brand_text = ":".join(brand)
        if quantity.endswith(".0"):
            quantity = quantity[:-2]
        parts = [ingredient, *([] if brand_text in ("None", "") else [brand_text]), quantity, unit]
    return slugify(" ".join(parts), max_length) or "product"


def index(records: Iterable[Rec], key: Callable[[Rec], Any]) -> dict[Any, list[Rec]]:
    """``records`` by the value ``key`` gives each (None values left out), in file order."""
    found: dict[Any, list[Rec]] = {}
    for record in records:
        value = key(record)
        if value is not None and not isinstance(value, (list, dict)):
            found.setdefault(value, []).append(record)
    return found


def field_of(name: str) -> Callable[[Rec], Any]:
    """A ``key`` for :func:`index` that reads the field ``name``."""

    def get(record: Rec) -> Any:
        value = record.get(name)
        return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None

    return get


def recipe_slug(name: str) -> str:
    """The slug the app gives a recipe of this name (``Mom's Café Cake`` -> ``moms-cafe-cake``).

    The app's own rule (its ``_generate_recipe_slug``): ASCII-folded, lower case,
    spaces and underscores to hyphens, anything else but letters, digits and
    hyphens removed, at most 200 characters; ``unknown-recipe`` when nothing is left.
    """
    slug = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "", re.sub(r"[\s_]+", "-", slug)))
    slug = slug.strip("-")[:200].rstrip("-")
    return slug or "unknown-recipe"


def finished_unit_slug(name: str) -> str:
    """The slug the app gives a finished unit of this display name.

    The app's own rule (its ``FinishedUnitService._generate_slug``): accents
    dropped, punctuation removed, lower case, runs of spaces, underscores and
    hyphens to one hyphen, at most 90 characters; ``unknown-item`` when nothing
    is left.
    """
    slug = re.sub(r"[^\w\s-]", "", unicodedata.normalize("NFKD", name)).strip().lower()
    slug = re.sub(r"[\s_-]+", "-", slug).strip("-")[:90].rstrip("-")
    return slug or "unknown-item"


def product_display_name(record: Mapping[str, Any], ingredient_name: Any) -> str | None:
    """The name the app shows for a product: brand, product name, package size and type,
    those that are set, joined by spaces; ``<ingredient> (generic)`` when none is.

    The app's assembly history names a consumed packaging product by it.
    """
    parts = [
        str(record[name])
        for name in ("brand", "product_name", "package_size", "package_type")
        if record.get(name)
    ]
    if parts:
        return " ".join(parts)
    return f"{ingredient_name} (generic)" if isinstance(ingredient_name, str) else None
