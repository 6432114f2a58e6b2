"""Golden files of the 1.0 -> 1.1 upgrade: hand-written legacy inputs, exact 1.1 results.

Each case is a directory under ``tests/golden/1.0/``:

- ``input/`` (a 1.0 backup directory with ``manifest.json``) or ``input.json`` (a 1.0
  single document or single entity file);
- ``expected/`` or ``expected.json``: the 1.1 container the upgrade must write, in the
  layout bakery_io writes (records in source order, fields in 1.1 schema order);
- ``rewrites.json``: the keys the upgrade must report as rewritten
  (:meth:`bakery_io.versions.backup.Rewrite.to_dict` form);
- or, for a source the upgrade must refuse, ``problems.json``: the problems it must
  raise (file, JSON pointer, record position, and a substring of the message).

What each case covers (the rows of the table of docs/format/versions.md "Format 1.0 (and what
the 1.0 -> 1.1 upgrade does"):

- ``full-backup``: all 21 entity types of a small bakery as a 1.0 directory: every row.
  Row 3 with two events named alike told apart by ``event_id`` (suffix in id order, not
  file order), two recipients whose different names give the same slug, and a recipient
  whose name has no ASCII letter (slug from the entity type's name). Row 7: a recipe
  ``Sablés-Bretons`` referenced eight times (a sub-recipe, a variant, finished units,
  event targets, runs), an upper-case ingredient slug, and a material unit slug with a
  space in two material products (per-product scope; in one of them the rewritten slug
  collides with a valid one and takes ``-2``); a production consumption's
  ``ingredient_slug`` is recorded text, not a reference, and stays as written. Row 8
  with ``0.1``, ``25.0``, ``25``, ``1E+2`` and ``-0``; row 9 with naive datetimes,
  fractional seconds, kept offsets and an ``export_date`` ending in ``+00:00Z``.
- ``history-document``: a production-history document without ``version`` (rows 2, 3,
  4, 8, 9): runs without loss fields, with only ``production_status``, and with all of
  them; events and recipes not in the document, so their keys are derived and reported.
- ``history-with-assembly``: a 1.0 document with finished units, products and assembly
  runs (rows 2, 3, 5, 8, 9): consumption ids mapped through the document's records.
- ``entity-file``: one 1.0 ``event_recipient_packages`` entity file (rows 2, 3, 9): the
  events, recipients and packages it names are not in it, so every slug is derived from
  the name and reported.
- ``unknown-name``, ``ambiguous-name``, ``unknown-id``: sources the upgrade refuses,
  with every problem located.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import bakery_io
from bakery_io import SourceError, validate
from bakery_io.jsonio import loads

GOLDEN = Path(__file__).parent / "golden" / "1.0"

#: Every case of the corpus; a case directory that is added or lost must be noticed.
CASES = (
    "ambiguous-name",
    "entity-file",
    "full-backup",
    "history-document",
    "history-with-assembly",
    "unknown-id",
    "unknown-name",
)
GOOD = ("entity-file", "full-backup", "history-document", "history-with-assembly")
REFUSED = ("ambiguous-name", "unknown-id", "unknown-name")

MANIFEST = "manifest.json"
#: The key of a single-file container in :func:`files_of`.
SINGLE = "<single file>"


@dataclass(frozen=True)
class Case:
    """One golden case: where its input, expected output and expectations are."""

    name: str

    @property
    def folder(self) -> Path:
        return GOLDEN / self.name

    @property
    def source(self) -> Path:
        directory = self.folder / "input"
        return directory if directory.is_dir() else self.folder / "input.json"

    @property
    def expected(self) -> Path:
        directory = self.folder / "expected"
        return directory if directory.is_dir() else self.folder / "expected.json"

    def target(self, tmp_path: Path) -> Path:
        """Where to write the upgrade: the container kind follows the source's."""
        return tmp_path / ("upgraded" if self.source.is_dir() else "upgraded.json")

    def rewrites(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads((self.folder / "rewrites.json").read_text())
        return found

    def problems(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads((self.folder / "problems.json").read_text())
        return found


def files_of(container: Path) -> dict[str, bytes]:
    """The bytes of every file of a directory or ZIP archive, or of a single file."""
    if container.is_dir():
        return {path.name: path.read_bytes() for path in sorted(container.iterdir())}
    if zipfile.is_zipfile(container):
        with zipfile.ZipFile(container) as archive:
            return {name: archive.read(name) for name in sorted(archive.namelist())}
    return {SINGLE: container.read_bytes()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def by_content(rewrites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rewrites in a fixed order: the format does not say in which order they come."""
    return sorted(rewrites, key=lambda rewrite: json.dumps(rewrite, sort_keys=True))


def assert_same_container(output: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """Same files, each with the same JSON; a manifest's checksums are the output's own."""
    assert sorted(output) == sorted(expected)
    for name in sorted(expected):
        got, wanted = loads(output[name]), loads(expected[name])
        if name != MANIFEST:
            assert got == wanted, f"{name} differs from the golden file"
            continue
        entries = got.pop("files")
        wanted_entries = wanted.pop("files")
        assert got == wanted, "manifest.json: version, export_date or source differ"
        assert [entry["filename"] for entry in entries] == [
            entry["filename"] for entry in wanted_entries
        ]
        for entry, wanted_entry in zip(entries, wanted_entries, strict=True):
            digest = entry.pop("sha256")
            wanted_entry.pop("sha256")
            assert entry == wanted_entry, f"manifest.json: the entry of {entry['filename']}"
            assert digest == sha256(output[entry["filename"]]), (
                f"manifest.json: the sha256 of {entry['filename']} is not its bytes'"
            )


def test_corpus_has_every_case() -> None:
    assert sorted(path.name for path in GOLDEN.iterdir() if path.is_dir()) == list(CASES)
    assert sorted((*GOOD, *REFUSED)) == list(CASES)
    for name in GOOD:
        assert (GOLDEN / name / "rewrites.json").is_file()
        assert not (GOLDEN / name / "problems.json").exists()
    for name in REFUSED:
        assert (GOLDEN / name / "problems.json").is_file()
        assert not (GOLDEN / name / "rewrites.json").exists()


@pytest.mark.parametrize("name", [name for name in CASES if Case(name).source.is_dir()])
def test_input_manifest_describes_its_files(name: str) -> None:
    """The hand-made 1.0 manifests carry each file's true checksum and record count."""
    files = files_of(Case(name).source)
    manifest = loads(files.pop(MANIFEST))
    assert manifest["version"] == "1.0"
    assert sorted(entry["filename"] for entry in manifest["files"]) == sorted(files)
    for entry in manifest["files"]:
        content = loads(files[entry["filename"]])
        assert entry["filename"] == f"{entry['entity_type']}.json"
        assert content["entity_type"] == entry["entity_type"]
        assert content["version"] == "1.0"
        assert entry["record_count"] == len(content["records"])
        assert entry["sha256"] == sha256(files[entry["filename"]])


def test_full_backup_holds_every_entity_type() -> None:
    manifest = loads((Case("full-backup").source / MANIFEST).read_bytes())
    assert [entry["entity_type"] for entry in manifest["files"]] == list(bakery_io.REGISTRY.names)
    assert all(entry["record_count"] > 0 for entry in manifest["files"])


@pytest.mark.parametrize("name", CASES)
def test_input_validates_as_1_0(name: str) -> None:
    case = Case(name)
    report = validate(case.source)
    assert report.version == "1.0"
    if name in GOOD:
        assert report.ok, "\n".join(str(problem) for problem in report.problems)


@pytest.mark.parametrize("name", GOOD)
def test_expected_validates_as_1_1(name: str) -> None:
    report = validate(Case(name).expected)
    assert report.version == "1.1"
    assert report.ok, "\n".join(str(problem) for problem in report.problems)


@pytest.mark.parametrize("name", GOOD)
def test_upgrade_gives_the_golden_files(name: str, tmp_path: Path) -> None:
    case = Case(name)
    source_before = files_of(case.source)
    target = case.target(tmp_path)

    report = bakery_io.upgrade(case.source, target, overwrite=False)

    assert report.version == "1.0"
    assert report.upgraded_to == "1.1"
    assert by_content([rewrite.to_dict() for rewrite in report.rewrites]) == by_content(
        case.rewrites()
    )
    assert_same_container(files_of(target), files_of(case.expected))
    assert files_of(case.source) == source_before, "the upgrade changed its source"
    assert sorted(path.name for path in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("name", GOOD)
def test_upgrade_writes_the_golden_bytes(name: str, tmp_path: Path) -> None:
    """bakery_io's layout: records in source order, fields in schema order, two-space indent."""
    case = Case(name)
    target = case.target(tmp_path)
    bakery_io.upgrade(case.source, target, overwrite=False)
    output, expected = files_of(target), files_of(case.expected)
    for name_in_container in sorted(expected):
        assert output.get(name_in_container) == expected[name_in_container], name_in_container


@pytest.mark.parametrize("name", REFUSED)
def test_upgrade_refuses(name: str, tmp_path: Path) -> None:
    case = Case(name)
    target = case.target(tmp_path)

    with pytest.raises(SourceError) as raised:
        bakery_io.upgrade(case.source, target, overwrite=False)

    problems = raised.value.problems
    wanted = case.problems()
    assert sorted((problem.file, problem.pointer, problem.record) for problem in problems) == (
        sorted((item["file"], item["pointer"], item["record"]) for item in wanted)
    )
    for item in wanted:
        (problem,) = [
            problem
            for problem in problems
            if (problem.file, problem.pointer, problem.record)
            == (item["file"], item["pointer"], item["record"])
        ]
        assert item["message"] in problem.message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [], "a refused upgrade left files behind"


@pytest.mark.parametrize("target_name", ["upgraded", "upgraded.zip"])
def test_zip_of_the_full_backup_upgrades_to_the_same_files(
    target_name: str, tmp_path: Path
) -> None:
    case = Case("full-backup")
    archive = tmp_path / "legacy-backup.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as writing:
        for path in sorted(case.source.iterdir()):
            writing.write(path, path.name)
    target = tmp_path / target_name

    report = bakery_io.upgrade(archive, target, overwrite=False)

    assert report.version == "1.0"
    assert report.upgraded_to == "1.1"
    assert by_content([rewrite.to_dict() for rewrite in report.rewrites]) == by_content(
        case.rewrites()
    )
    assert_same_container(files_of(target), files_of(case.expected))
