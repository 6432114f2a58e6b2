"""The format specification under docs/format/: current, linked, and its example valid."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from bakery_io import REGISTRY, create_schema, engine_from_url, load_all, validate
from bakery_io.format import reference

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "docs" / "format"
ENTITIES = SPEC / "entities.md"
PAGES = sorted(SPEC.glob("*.md"))

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_EXAMPLE = re.compile(r"<!-- example-backup -->\s*```json\n(.*?)\n```", re.DOTALL)


def _prose(text: str) -> list[str]:
    """The lines of a Markdown page outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's table of contents gives a heading (mkdocs' default)."""
    text = re.sub(r"[`*]", "", heading)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``, with the suffixes repeated headings get."""
    found: set[str] = set()
    for line in _prose(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match is None:
            continue
        anchor, number = _slug(match.group(2)), 0
        while (anchor if number == 0 else f"{anchor}_{number}") in found:
            number += 1
        found.add(anchor if number == 0 else f"{anchor}_{number}")
    return found


def links(page: Path) -> list[str]:
    """The targets of the Markdown links of ``page`` (outside code blocks and code spans)."""
    found = []
    for line in _prose(page.read_text(encoding="utf-8")):
        found.extend(_LINK.findall(re.sub(r"`[^`]*`", "", line)))
    return found


def test_the_specification_has_its_pages() -> None:
    names = {page.name for page in PAGES}
    expected = {"index", "containers", "manifest", "values", "entities", "versions", "import"}
    assert {f"{name}.md" for name in expected} <= names


def test_entities_page_is_what_the_generator_writes() -> None:
    assert ENTITIES.read_text(encoding="utf-8") == reference.generate(), (
        "docs/format/entities.md is stale: run "
        "python -m bakery_io.format.reference docs/format/entities.md"
    )


def test_check_mode_tells_a_stale_page_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "entities.md"
    assert reference.main([str(page), "--check"]) == 1
    assert not page.exists()
    assert reference.main([str(page)]) == 0
    assert reference.main([str(page), "--check"]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert reference.main([str(page), "--check"]) == 1
    assert "stale" in capsys.readouterr().out


def test_entities_page_has_every_type_field_and_anchor() -> None:
    text = ENTITIES.read_text(encoding="utf-8")
    found = anchors(ENTITIES)
    for entity in REGISTRY:
        assert entity.name in found
        assert f"| file | `{entity.filename}` |" in text
        for child in entity.children:
            assert child.schema.opts.entity_type in found
    suppliers = text.split("## suppliers", 1)[1].split("\n## ", 1)[0]
    assert "| `city` | string | no | yes |  | at most 100 characters |" in suppliers
    assert "city is required when supplier_type is 'physical' *(schema)*" in suppliers


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.is_file():
            broken.append(f"{target}: no file {linked}")
        elif anchor and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_the_anchor_rule_is_mkdocs() -> None:
    assert _slug("What bakery_io writes") == "what-bakery_io-writes"
    assert _slug("Format 1.0") == "format-10"
    assert _slug("finished_units") == "finished_units"


def test_the_example_backup_validates_and_loads(tmp_path: Path) -> None:
    found = _EXAMPLE.search((SPEC / "index.md").read_text(encoding="utf-8"))
    assert found is not None, "index.md has no fenced json block after <!-- example-backup -->"
    example = tmp_path / "example.json"
    example.write_text(found.group(1) + "\n", encoding="utf-8")
    assert json.loads(found.group(1))["version"] == "1.1"
    report = validate(example)
    assert report.ok, [str(problem) for problem in report.problems]
    engine = engine_from_url(f"sqlite:///{tmp_path / 'restored.db'}")
    try:
        create_schema(engine)
        loaded = load_all(engine, example)
    finally:
        engine.dispose()
    assert loaded.counts["ingredients"].created == 3
    assert loaded.total.created == 6
