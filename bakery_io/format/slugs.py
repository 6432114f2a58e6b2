"""The slug rule of format 1.1 and the one way to turn text into a slug."""

from __future__ import annotations

import re
import unicodedata

#: ASCII letters and digits in runs joined by one separator; the database CHECKs spell it too.
SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)

# Letters that Unicode does not decompose into an ASCII base letter.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "\u0131": "i",  # dotless i
    }
)
_NOT_SLUG = re.compile(r"[^a-z0-9_-]+")
_SEPARATOR_RUN = re.compile(r"([-_])[-_]*")


def is_slug(text: str) -> bool:
    """Whether ``text`` follows the slug rule."""
    return SLUG_RE.fullmatch(text) is not None


def slugify(text: str, max_length: int | None = None) -> str:
    """Fold ``text`` to the slug rule: ASCII, lower case, separators kept.

    Every run of other characters becomes one ``-``; a run of separators keeps
    its first kind (``a_-b`` gives ``a_b``). Returns ``""`` when nothing of
    ``text`` survives, so callers decide what an empty slug means.
    """
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _SEPARATOR_RUN.sub(r"\1", _NOT_SLUG.sub("-", ascii_text)).strip("-_")
    if max_length is not None:
        slug = slug[:max_length].rstrip("-_")
    return slug


def unique_slug(slug: str, taken: set[str], max_length: int | None = None) -> str:
    """``slug``, or ``slug-2``, ``slug-3``… whichever is not in ``taken``; adds it there."""
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        stem = slug if max_length is None else slug[: max_length - len(suffix)].rstrip("-_")
        candidate = stem + suffix
    taken.add(candidate)
    return candidate
