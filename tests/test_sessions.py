"""How bakery_io treats a caller's Session: flushes, dry runs, stale objects, public types."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

import bakery_io
from bakery_io import UsageError, dump_all, dump_records, load_all
from bakery_io.binding.models import Supplier
from tests.conftest import sqlite_copy
from tests.test_load import tiny_sections, write_document


@pytest.fixture
def db(schema_template: Path, tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_copy(schema_template, tmp_path / "bakery.db")
    yield engine
    engine.dispose()


@pytest.fixture
def tiny(db: Engine, tmp_path: Path) -> Path:
    """The tiny document, loaded into ``db``; returns its path."""
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    load_all(db, source)
    return source


def _suppliers(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Supplier)).scalar_one())


def test_an_export_sees_the_sessions_pending_changes(
    tiny: Path, db: Engine, tmp_path: Path
) -> None:
    with Session(db) as session:
        session.add(Supplier(slug="callers-own", name="Caller's Own", city="Troy"))
        dump_all(session, tmp_path / "out.json", entities=["suppliers"])
        records = dump_records(session, {"suppliers": ["callers-own"]})["suppliers"]
        assert not session.new  # flushed, as a load flushes
        session.rollback()
    exported = json.loads((tmp_path / "out.json").read_text())["suppliers"]
    assert "callers-own" in {record["slug"] for record in exported}
    assert [record["name"] for record in records] == ["Caller's Own"]
    assert _suppliers(db) == 2  # the caller rolled back: nothing of the export stayed


def test_a_dry_run_refuses_a_session_with_unflushed_changes(tiny: Path, db: Engine) -> None:
    with Session(db) as session:
        pending = Supplier(slug="callers-own", name="Caller's Own", city="Troy")
        session.add(pending)
        with pytest.raises(UsageError, match=r"1 change not yet flushed.*flush\(\) the Session"):
            load_all(session, tiny, dry_run=True)
        assert pending in session.new  # nothing flushed behind the caller's back
        session.flush()
        report = load_all(session, tiny, dry_run=True)
        assert report.dry_run
        assert report.total.unchanged == report.total.total
        session.rollback()


def test_a_dry_run_in_a_clean_session_changes_nothing(db: Engine, tmp_path: Path) -> None:
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    with Session(db) as session:
        report = load_all(session, source, dry_run=True)
        assert report.total.created == report.total.total > 0
        assert not report.committed
        assert session.execute(select(func.count()).select_from(Supplier)).scalar_one() == 0
        session.commit()
    assert _suppliers(db) == 0


def test_objects_the_caller_holds_show_what_an_update_wrote(
    tiny: Path, db: Engine, tmp_path: Path
) -> None:
    sections = tiny_sections()
    sections["suppliers"][0]["name"] = "Flour Company"
    changed = write_document(tmp_path / "changed.json", sections)
    with Session(db) as session:
        held = session.execute(select(Supplier).where(Supplier.slug == "flour-co")).scalar_one()
        assert held.name == "Flour Co"
        report = load_all(session, changed, on_conflict="update")
        assert report.counts["suppliers"].updated == 1
        assert held.name == "Flour Company"  # expired by the load, read again on use
        session.commit()


def test_a_dry_run_leaves_the_callers_objects_loaded(
    tiny: Path, db: Engine, tmp_path: Path
) -> None:
    sections = tiny_sections()
    sections["suppliers"][0]["name"] = "Flour Company"
    changed = write_document(tmp_path / "changed.json", sections)
    with Session(db) as session:
        held = session.execute(select(Supplier).where(Supplier.slug == "flour-co")).scalar_one()
        load_all(session, changed, on_conflict="update", dry_run=True)
        assert "name" in held.__dict__  # not expired: nothing changed
        assert held.name == "Flour Co"


def test_the_types_of_the_public_signatures_are_exported(db: Engine, tmp_path: Path) -> None:
    assert typing.get_args(bakery_io.ConflictMode) == ("skip", "update", "error")
    assert set(typing.get_args(bakery_io.Bind)) == {Engine, Connection, Session}
    loaded: list[bakery_io.Progress] = []
    dumped: list[bakery_io.Progress] = []
    load_progress: bakery_io.ProgressCallback = loaded.append
    dump_progress: bakery_io.ProgressCallback = dumped.append
    mode: bakery_io.ConflictMode = "update"
    source = write_document(tmp_path / "tiny.json", tiny_sections())
    load_all(db, source, on_conflict=mode, progress=load_progress)
    dump_all(db, tmp_path / "out", entities=["suppliers"], progress=dump_progress)
    assert ("writing", "suppliers") in [(event.step, event.entity_type) for event in loaded]
    assert dumped[-1] == bakery_io.Progress("export", "writing", "suppliers", 2, 2, finished=True)
