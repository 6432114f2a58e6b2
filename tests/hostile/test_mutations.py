"""Every kind of hostile input against validate, load_all and the CLI (SQLite).

The deterministic cases come from :mod:`tests.hostile.mutations`; random byte-level
damage (truncation, insertion, removal, at any offset of any file) from hypothesis.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import Targets
from tests.hostile.invariants import check_input
from tests.hostile.mutations import (
    FORMS,
    MANIFEST,
    Case,
    Form,
    Pristine,
    all_cases,
    default_cases,
    resum,
    write_form,
)

ALL_CASES = all_cases()
#: ``BAKERY_IO_HOSTILE=full`` runs every case (CI); by default a subset that keeps every
#: fault issue 16 found and every category in every form, within the suite's time budget.
CASES = ALL_CASES if os.environ.get("BAKERY_IO_HOSTILE") == "full" else default_cases(ALL_CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(
    case: Case,
    pristine: Pristine,
    targets: Targets,
    tmp_path: Path,
    scratch: Path,
) -> None:
    """Only bakery_io errors, nothing written when refused, validate and load agree,
    every problem placed; the input is refused where it must be."""
    path = case.build(pristine, tmp_path / "backup")
    work = scratch
    check_input(
        path,
        expect=case.expect,
        record=case.record,
        work=work,
        empty_template=targets.empty,
        occupied_template=targets.occupied,
    )


def test_every_kind_the_issue_lists_is_covered() -> None:
    """The categories of issue 16's hostile corpus each have cases, in each form they fit."""
    seen = {(case.category, form) for case in CASES for form in case.forms}
    assert {(case.category, form) for case in ALL_CASES for form in case.forms} == seen
    for category in ("syntax", "encoding", "json", "schema", "cross"):
        for form in FORMS:
            assert (category, form) in seen, (category, form)
    assert ("container", "dir") in seen
    assert ("container", "zip") in seen


#: Random damage: (form, which file, what, where, which byte).
DAMAGE = st.tuples(
    st.sampled_from(FORMS),
    st.sampled_from(["entity", "manifest"]),
    st.sampled_from(["truncate", "insert", "remove", "replace"]),
    st.floats(min_value=0.0, max_value=1.0),
    st.sampled_from([b"\x00", b"\xff", b'"', b"\\", b"{", b"]", b",", b"\n", b"9", b"\xc3"]),
)


def _damaged(data: bytes, operation: str, where: float, byte: bytes) -> bytes:
    offset = min(int(len(data) * where), len(data) - 1)
    if operation == "truncate":
        return data[:offset]
    if operation == "insert":
        return data[:offset] + byte + data[offset:]
    if operation == "remove":
        return data[:offset] + data[offset + 1 :]
    return data[:offset] + byte + data[offset + 1 :]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(damage=DAMAGE, up_to_date=st.booleans())
def test_random_damage(
    damage: tuple[Form, str, str, float, bytes],
    up_to_date: bool,
    pristine: Pristine,
    targets: Targets,
) -> None:
    """Bytes damaged anywhere: the invariants hold whatever the damage makes of the file.
    With ``up_to_date`` the manifest's checksums are brought up to date, so the reader meets
    the damage rather than a checksum mismatch."""
    form, target, operation, where, byte = damage
    files = dict(pristine.files)
    document = pristine.document
    if form == "json":
        document = _damaged(document, operation, where, byte)
    else:
        name = MANIFEST if target == "manifest" else pristine.filename("ingredients")
        files[name] = _damaged(files[name], operation, where, byte)
        if up_to_date and target == "entity":
            resum(files)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as scratch:
        root = Path(scratch)
        path = write_form(form, files, document, root / "backup")
        work = root / "work"
        work.mkdir()
        check_input(
            path,
            expect="any",
            record=None,
            work=work,
            empty_template=targets.empty,
            occupied_template=targets.occupied,
            # A damaged single document has no checksum: a changed slug is a dangling
            # reference, which validate leaves to the load.
            strict_agreement=form != "json",
        )
