"""Reading sources safely: what a hostile or damaged backup must not get through (issue 16).

Each kind of bad input is refused with a problem that names its file and, where
there is one, its position (JSON pointer, record, line and column), by
``validate`` and by ``load_all`` alike, never with a traceback and never with
more than bounded memory and linear time: a ``.json`` whose top level is not an
object, duplicate keys, symbolic links out of a backup directory, zip bombs and
members too large, trailing white space by the gigabyte, deep nesting, ``NaN``
and huge integers, encrypted members, lone surrogates (formats 1.0 and 1.1).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
import struct
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bakery_io import SourceError, containers, dump_all, load_all, validate
from bakery_io.binding.models import Supplier
from bakery_io.cli import main
from bakery_io.problems import Problem
from tests.conftest import sqlite_copy
from tests.legacy import downgrade, read_current_directory, write_legacy

SUPPLIERS = "01_suppliers.json"


@dataclass(frozen=True)
class Small:
    """Two suppliers and an ingredient as dump_all writes them, and the same in format 1.0."""

    directory: Path
    document: Path
    legacy: Path


@pytest.fixture(scope="module")
def small(schema_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Small:
    root = tmp_path_factory.mktemp("small")
    source = root / "source.json"
    document = {
        "version": "1.1",
        "exported_at": "2026-11-22T09:30:00Z",
        "suppliers": [
            {"slug": "flour-co", "name": "Flour Co", "supplier_type": "online"},
            {"slug": "mill-street", "name": "Mill Street", "supplier_type": "online"},
        ],
        "ingredients": [
            {"slug": "flours", "display_name": "Flours", "hierarchy_level": 0, "parent_slug": None}
        ],
    }
    source.write_text(json.dumps(document), encoding="utf-8")
    engine = sqlite_copy(schema_template, root / "small.db")
    load_all(engine, source)
    found = Small(root / "backup", root / "backup.json", root / "legacy")
    dump_all(engine, found.directory)
    dump_all(engine, found.document)
    engine.dispose()
    write_legacy(
        downgrade(read_current_directory(found.directory), random.Random(1)),
        found.legacy,
        "directory",
    )
    return found


@pytest.fixture
def db(schema_template: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_copy(schema_template, tmp_path / "target.db")
    yield engine
    engine.dispose()


def tampered(
    source: Path, target: Path, name: str, change: Callable[[bytes], bytes]
) -> tuple[Path, Path]:
    """A copy of backup directory ``source`` at ``target`` with file ``name`` changed (its
    manifest entry's checksum kept right, so the change is the only problem), and the same
    as a ZIP archive beside it."""
    target.mkdir()
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    data = change((target / name).read_bytes())
    manifest = json.loads((target / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        if entry["filename"] == name:
            entry["sha256"] = hashlib.sha256(data).hexdigest()
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (target / name).write_bytes(data)
    archive = target.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as written:
        for path in sorted(target.iterdir()):
            written.write(path, path.name)
    return target, archive


def refused(engine: Engine, source: Path) -> list[Problem]:
    """The problems of a load of ``source`` that must be refused; nothing is written."""
    with pytest.raises(SourceError) as caught:
        load_all(engine, source)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Supplier)).scalar_one() == 0
    return list(caught.value.problems)


def the_problem(problems: list[Problem] | tuple[Problem, ...]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def both(engine: Engine, source: Path) -> Problem:
    """The one problem ``validate`` and ``load_all`` both report for ``source``."""
    problem = the_problem(validate(source).problems)
    assert the_problem(refused(engine, source)) == problem
    return problem


# ---------------------------------------------------------------------------
# A single .json whose top level is not an object.


@pytest.mark.parametrize(
    ("text", "said"),
    [("null", "null"), ("42", "the number 42"), ("[]", "an array"), ('"x"', "the string 'x'")],
)
def test_a_json_file_that_is_not_an_object_is_refused(
    db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    path = tmp_path / "backup.json"
    path.write_text(text + "\n", encoding="utf-8")
    problem = both(db, path)
    expected = f"expected a JSON object (a single document or entity file), got {said}"
    assert (problem.file, problem.pointer, problem.message) == ("backup.json", "", expected)
    assert main(["validate", str(path)]) == 1
    assert expected in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Duplicate keys: another reader would see other data.


def test_a_manifest_with_a_key_twice_is_refused(small: Small, db: Engine, tmp_path: Path) -> None:
    def twice(data: bytes) -> bytes:
        return data.replace(b'"version": "1.1"', b'"version": "9.0", "version": "1.1"', 1)

    for source in tampered(small.directory, tmp_path / "backup", "manifest.json", twice):
        problem = both(db, source)
        assert (problem.file, problem.pointer) == ("manifest.json", "")
        assert problem.message.startswith("key 'version' appears twice (line 2, column ")


def test_a_record_with_a_key_twice_is_refused_on_every_path(
    small: Small, db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The streamed import parses with orjson, which keeps the last: the bytes are checked."""

    def twice(data: bytes) -> bytes:
        return data.replace(
            b'"name": "Mill Street"', b'"name": "Mill Lane",\n      "name": "Mill Street"'
        )

    for source in tampered(small.directory, tmp_path / "backup", SUPPLIERS, twice):
        problem = both(db, source)
        assert (problem.file, problem.pointer, problem.record) == (SUPPLIERS, "/records/1", 1)
        assert problem.message.startswith("key 'name' appears twice (line ")
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        assert main(["import", "--db", url, str(source)]) == 1
        out, err = capsys.readouterr()
        assert f"{SUPPLIERS} /records/1 [record 1]: key 'name' appears twice" in out + err
    document = tmp_path / "document.json"
    document.write_bytes(twice(small.document.read_bytes()))
    problem = both(db, document)
    assert (problem.file, problem.pointer, problem.record) == ("document.json", "/suppliers/1", 1)
    assert "key 'name' appears twice" in problem.message


def test_a_record_laid_out_otherwise_still_loads(small: Small, db: Engine, tmp_path: Path) -> None:
    """What the fast reader does not vouch for byte for byte goes to the exact reader."""

    def escaped(data: bytes) -> bytes:
        return data.replace(b'"Flour Co"', b'"Fl\\u006fur Co"')

    _, archive = tampered(small.directory, tmp_path / "backup", SUPPLIERS, escaped)
    assert validate(archive).ok
    load_all(db, archive)
    with db.connect() as connection:
        names = connection.execute(select(Supplier.name).order_by(Supplier.name)).scalars()
        assert list(names) == ["Flour Co", "Mill Street"]


# ---------------------------------------------------------------------------
# Symbolic links in a backup directory.


def test_a_member_linked_to_a_file_outside_the_directory_is_refused(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    directory, _ = tampered(small.directory, tmp_path / "backup", SUPPLIERS, lambda data: data)
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((directory / SUPPLIERS).read_bytes())  # the same bytes: valid
    (directory / SUPPLIERS).unlink()
    (directory / SUPPLIERS).symlink_to(outside)
    problem = both(db, directory)
    assert (problem.file, problem.pointer) == (SUPPLIERS, "")
    assert "symbolic link to a file outside the backup directory" in problem.message


def test_a_member_linked_to_a_directory_is_refused(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    directory, _ = tampered(small.directory, tmp_path / "backup", SUPPLIERS, lambda data: data)
    (directory / SUPPLIERS).unlink()
    (directory / "inside").mkdir()
    (directory / SUPPLIERS).symlink_to("inside", target_is_directory=True)
    problem = both(db, directory)
    assert (problem.file, problem.pointer) == (SUPPLIERS, "")
    assert "symbolic link to something other than a file" in problem.message


def test_links_inside_the_directory_and_to_it_are_followed(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    directory, _ = tampered(small.directory, tmp_path / "backup", SUPPLIERS, lambda data: data)
    (directory / SUPPLIERS).rename(directory / "suppliers.data")
    (directory / SUPPLIERS).symlink_to("suppliers.data")
    linked = tmp_path / "linked"
    linked.symlink_to(directory, target_is_directory=True)
    assert validate(linked).ok
    load_all(db, linked)


# ---------------------------------------------------------------------------
# Bounded resources: zip bombs, members too large, files that cannot be JSON.


def zip_of(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def members_of(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def lie_about_compressed_size(path: Path, name: str, size: int) -> None:
    """Make the central directory of ZIP ``path`` declare ``size`` compressed bytes for
    member ``name`` (what zipfile trusts), so that only reading can tell its expansion."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")  # the central directory's entries follow each other
    while True:
        length, extra, comment = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46 : at + 46 + length] == name.encode():
            break
        at += 46 + length + extra + comment
    struct.pack_into("<I", data, at + 20, size)
    path.write_bytes(bytes(data))


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits small enough for a test's archives: 16 MiB members, 32 MiB in all, 4 MiB whole."""
    monkeypatch.setattr(containers, "MAX_MEMBER_SIZE", 16 * 2**20)
    monkeypatch.setattr(containers, "MAX_TOTAL_SIZE", 32 * 2**20)
    monkeypatch.setattr(containers, "MAX_WHOLE_SIZE", 4 * 2**20)


def peak_memory(action: Callable[[], Any]) -> int:
    """The most memory Python allocated (bytes) while ``action`` ran."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ZEROS = bytes(64 * 2**20)


def test_a_zip_bomb_is_refused_from_its_declared_sizes(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    members = members_of(small.directory)
    archive = zip_of(tmp_path / "bomb.zip", {**members, "06_purchases.json": ZEROS})
    problems = validate(archive).problems
    assert any(
        problem.file == "bomb.zip"
        and "'06_purchases.json' expands 67,108,864 bytes" in problem.message
        and "more than 100-fold" in problem.message
        for problem in problems
    ), problems
    assert refused(db, archive)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (ZEROS, "not a JSON object: it starts with byte 0x00"),  # seen in its first MiB
        (
            b'{\n  "version": "1.1",' + b" " * (64 * 2**20),
            "expands more than 100-fold in the archive: refused as a zip bomb",
        ),
    ],
)
def test_a_zip_bomb_that_lies_about_its_sizes_is_refused_while_read_in_flat_memory(
    small: Small, db: Engine, tmp_path: Path, content: bytes, message: str
) -> None:
    """Declared sizes within the limits; what follows the member is read as its data."""
    filler = random.Random(1).randbytes(2**20)  # does not compress
    members = {SUPPLIERS: content, "filler.bin": filler}
    members.update(
        (name, data) for name, data in members_of(small.directory).items() if name not in members
    )
    archive = zip_of(tmp_path / "bomb.zip", members)
    lie_about_compressed_size(archive, SUPPLIERS, len(content) // 90)
    report: list[Any] = []
    peak = peak_memory(lambda: report.append(validate(archive)))
    problem = the_problem([p for p in report[0].problems if p.file == SUPPLIERS])
    assert problem.message == message
    assert peak < 24 * 2**20, f"{peak:,} bytes"
    assert SUPPLIERS in {problem.file for problem in refused(db, archive)}


def test_limits_on_members_and_on_the_archive_are_kept(
    small: Small, db: Engine, tmp_path: Path, small_limits: None
) -> None:
    head = b'{\n  "version": "1.1",\n  "entity_type": "purchases",\n  "records": [\n    {'
    large = head + b" " * (17 * 2**20)
    stored = zip_of(
        tmp_path / "large.zip",
        {**members_of(small.directory), "06_purchases.json": large},
        zipfile.ZIP_STORED,
    )
    assert any(
        "member '06_purchases.json' is 17,825,8" in problem.message
        and "more than 16,777,216" in problem.message
        for problem in validate(stored).problems
    )
    assert refused(db, stored)
    total = {f"{n:02}_x.json": large[: 12 * 2**20] for n in range(3)}
    problems = validate(zip_of(tmp_path / "total.zip", total, zipfile.ZIP_STORED)).problems
    assert any("more than 33,554,432 together" in problem.message for problem in problems)


def test_a_file_read_whole_is_bounded_and_refused_early_when_it_cannot_be_json(
    small: Small, db: Engine, tmp_path: Path, small_limits: None
) -> None:
    members = members_of(small.directory)
    spaced = members[SUPPLIERS].replace(b"{", b"{" + b" " * (5 * 2**20), 1)  # another layout
    archive = zip_of(tmp_path / "whole.zip", {**members, SUPPLIERS: spaced}, zipfile.ZIP_STORED)
    problem = the_problem([p for p in validate(archive).problems if p.file == SUPPLIERS])
    assert problem.message.startswith("larger than 4,194,304 bytes, the most bakery_io reads whole")
    assert SUPPLIERS in {problem.file for problem in refused(db, archive)}
    binary = zip_of(
        tmp_path / "binary.zip", {**members, SUPPLIERS: ZEROS[: 2 * 2**20]}, zipfile.ZIP_STORED
    )
    problem = the_problem([p for p in validate(binary).problems if p.file == SUPPLIERS])
    assert problem.message == "not a JSON object: it starts with byte 0x00"


# ---------------------------------------------------------------------------
# Linear time.


def test_a_zip_of_trailing_white_space_is_refused_fast(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    members = members_of(small.directory)
    spaced = members[SUPPLIERS] + b" " * (64 * 2**20)
    archive = zip_of(tmp_path / "spaces.zip", {**members, SUPPLIERS: spaced})
    started = time.perf_counter()
    problems = validate(archive).problems
    assert time.perf_counter() - started < 2
    assert any(
        SUPPLIERS in problem.message and "more than 100-fold" in problem.message
        for problem in problems
    )


# ---------------------------------------------------------------------------
# Parse errors with a position: deep nesting, NaN, huge integers.


@pytest.mark.parametrize(
    ("value", "pointer", "message"),
    [
        (
            b"[" * 1000 + b"]" * 1000,
            "/records/1/name",
            "nested too deeply: 1,003 levels (line 23, column 1014)",
        ),
        (
            b"NaN",
            "/records/1/name",
            "not valid JSON: NaN is not a JSON number (line 23, column 15)",
        ),
        (
            b"-Infinity",
            "/records/1/name",
            "not valid JSON: -Infinity is not a JSON number (line 23, column 15)",
        ),
        (
            b"1" * 5000,
            "/records/1/name",
            "not valid JSON here: an integer of 5,000 digits (at most 4,300) (line 23, column 15)",
        ),
    ],
)
def test_what_json_cannot_take_is_located(
    small: Small, db: Engine, tmp_path: Path, value: bytes, *, pointer: str, message: str
) -> None:
    def put(data: bytes) -> bytes:
        return data.replace(b'"Mill Street"', value)

    for source in tampered(small.directory, tmp_path / "backup", SUPPLIERS, put):
        problem = both(db, source)
        assert (problem.file, problem.pointer, problem.record, problem.message) == (
            SUPPLIERS,
            pointer,
            1,
            message,
        )
    document = tmp_path / "document.json"
    document.write_bytes(put(small.document.read_bytes()))
    problem = both(db, document)
    assert (problem.file, problem.pointer[:12], problem.record) == (
        "document.json",
        "/suppliers/1",
        1,
    )
    assert "(line " in problem.message


def test_no_depth_near_the_recursion_limit_escapes(small: Small, tmp_path: Path) -> None:
    """Near Python's recursion limit json parses what a recursive JSON Schema validator
    may not go through (where each gives up depends on the stack it starts from): every
    depth there is a problem, never a RecursionError."""
    document = json.loads(small.document.read_bytes())
    data = json.dumps(document, indent=2).encode()
    free = sys.getrecursionlimit() - len(inspect.stack())
    path = tmp_path / "deep.json"
    for depth in range(free - 80, free, 4):
        path.write_bytes(data.replace(b'"Mill Street"', b"[" * depth + b"]" * depth))
        problem = the_problem(validate(path).problems)
        assert (problem.pointer, problem.record) == ("/suppliers/1/name", 1)
        assert problem.message.startswith(("nested too deeply", "expected a string, got")), depth


# ---------------------------------------------------------------------------
# Encrypted members.


def test_an_encrypted_member_is_named_without_a_repr(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    archive = zip_of(tmp_path / "locked.zip", members_of(small.directory))
    data = bytearray(archive.read_bytes())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            struct.pack_into(
                "<H", data, at + flags, struct.unpack_from("<H", data, at + flags)[0] | 1
            )
            at = data.find(signature, at + 4)
    archive.write_bytes(bytes(data))
    problems = validate(archive).problems
    message = "member '01_suppliers.json' is encrypted: bakery_io reads unencrypted archives only"
    assert Problem("locked.zip", "", message) in problems
    assert not any("ZipInfo" in str(problem) for problem in problems)
    assert Problem("locked.zip", "", message) in refused(db, archive)


# ---------------------------------------------------------------------------
# Lone surrogates: not Unicode text, refused by every path of 1.0 and 1.1 alike.


SURROGATE = "not valid Unicode text: holds a lone surrogate"


def test_a_lone_surrogate_is_refused_in_1_1(small: Small, db: Engine, tmp_path: Path) -> None:
    def put(data: bytes) -> bytes:
        return data.replace(b'"Mill Street"', b'"ab\\ud800"')

    for source in tampered(small.directory, tmp_path / "backup", SUPPLIERS, put):
        problem = both(db, source)
        assert (problem.file, problem.pointer, problem.record) == (SUPPLIERS, "/records/1/name", 1)
        assert problem.message == f"{SURROGATE} (line 23, column 15)"
    document = tmp_path / "document.json"
    document.write_bytes(put(small.document.read_bytes()))
    problem = both(db, document)
    assert (problem.file, problem.pointer) == ("document.json", "/suppliers/1/name")


def test_a_lone_surrogate_is_refused_in_1_0(small: Small, db: Engine, tmp_path: Path) -> None:
    def put(data: bytes) -> bytes:
        assert b'"Mill Street"' in data
        return data.replace(b'"Mill Street"', b'"ab\\uDC00"')

    for source in tampered(small.legacy, tmp_path / "legacy", "suppliers.json", put):
        problem = both(db, source)
        assert (problem.file, problem.pointer, problem.record) == (
            "suppliers.json",
            "/records/1/name",
            1,
        )
        assert problem.message.startswith(SURROGATE)


def test_surrogate_pairs_and_escaped_backslashes_are_text(
    small: Small, db: Engine, tmp_path: Path
) -> None:
    def put(data: bytes) -> bytes:
        return data.replace(b'"Mill Street"', b'"Mill \\ud83e\\udd50 \\\\ud800"')

    directory, archive = tampered(small.directory, tmp_path / "backup", SUPPLIERS, put)
    assert validate(directory).ok
    load_all(db, archive)
    with db.connect() as connection:
        assert (
            "Mill \U0001f950 \\ud800" in connection.execute(select(Supplier.name)).scalars().all()
        )
