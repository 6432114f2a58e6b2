"""The slug rule, and folding any text to it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bakery_io.format.slugs import is_slug, slugify, unique_slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Confectioners' Sugar", "confectioners-sugar"),
        ("Crème Fraîche", "creme-fraiche"),
        ("Jürgen Weiß", "jurgen-weiss"),
        ("sablés", "sables"),
        ("Nana Rosa 🌹", "nana-rosa"),
        ("Søren Ødegård", "soren-odegard"),
        ("a_-b", "a_b"),
        ("  --Pie__Crust--  ", "pie_crust"),
        ("Fête de la Saint-Nicolas 2025", "fete-de-la-saint-nicolas-2025"),
        ("🎄🎁", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize("slug", ["a", "a1", "all-purpose-flour", "type_00", "x-1_b"])
def test_valid_slugs(slug: str) -> None:
    assert is_slug(slug)


@pytest.mark.parametrize("slug", ["", "A", "a b", "-a", "a-", "a--b", "a_-b", "é", "a\n"])
def test_invalid_slugs(slug: str) -> None:
    assert not is_slug(slug)


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_slugify_always_gives_a_slug_or_nothing(text: str, max_length: int) -> None:
    slug = slugify(text, max_length)
    assert slug == "" or is_slug(slug)
    assert len(slug) <= max_length
    assert slugify(slug, max_length) == slug


def test_unique_slug_suffixes_on_collision_within_the_length() -> None:
    taken = {"cake", "cake-2"}
    assert unique_slug("cake", taken) == "cake-3"
    assert unique_slug("pie", taken) == "pie"
    assert {"cake-3", "pie"} <= taken
    assert unique_slug("abcdef", {"abcdef"}, max_length=6) == "abcd-2"
