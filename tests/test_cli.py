"""The bakery-io command line, used as a person would."""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import inspect

from bakery_io import engine_from_url
from bakery_io.binding.database import count_rows
from bakery_io.binding.models import metadata
from bakery_io.cli import main
from bakery_io.registry import REGISTRY


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "init-db" in out
    assert "sample-db" in out


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bakery_io", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bakery-io ")
    assert "format 1.1" in result.stdout


def test_the_command_leaves_what_it_imported_out_of_later_collections(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bakery-io command owns its process: it imports a command's library with the
    garbage collector off, then freezes those objects out of its walks and turns it on
    again. Run inside a caller's process (the tests', a host's), the command line
    leaves the collector as it was."""
    import bakery_io.console
    from bakery_io.cli import running

    if gc.get_freeze_count() or not gc.isenabled():
        pytest.skip("the collector is not in its usual state here")
    importing = running._command
    collecting: list[bool] = []

    def observed(args: Any) -> Any:
        collecting.append(gc.isenabled())
        return importing(args)

    monkeypatch.setattr(running, "_command", observed)
    # The command's process also keeps SQLAlchemy's log records off standard error, and
    # ignores stops once it has ended.
    library = logging.getLogger("sqlalchemy")
    handlers = list(library.handlers)
    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    handling = {number: signal.getsignal(number) for number in stops}
    try:
        url = f"sqlite:///{tmp_path / 'inside.db'}"
        assert main(["init-db", "--db", url]) == 0
        assert (gc.get_freeze_count(), gc.isenabled(), collecting) == (0, True, [True])
        url = f"sqlite:///{tmp_path / 'whole.db'}"
        monkeypatch.setattr(sys, "argv", ["bakery-io", "init-db", "--db", url])
        assert bakery_io.console.main() == 0
        assert gc.get_freeze_count() > 0
        assert (gc.isenabled(), collecting) == (True, [True, False])
        assert all(signal.getsignal(number) == signal.SIG_IGN for number in stops)
    finally:
        gc.unfreeze()
        gc.enable()
        library.handlers[:] = handlers
        for number, handler in handling.items():
            signal.signal(number, handler)
    capsys.readouterr()


def test_init_db_creates_the_tables_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out, _ = run(capsys, "init-db", "--db", url)
    assert code == 0
    assert f"created {len(metadata.tables)} tables, 0 were there" in out
    code, out, _ = run(capsys, "init-db", "--db", url)
    assert code == 0
    assert f"created 0 tables, {len(metadata.tables)} were there" in out
    engine = engine_from_url(url)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sample_db_fills_an_empty_database_and_is_quiet_off_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    code, out, err = run(capsys, "sample-db", "--db", url, "--scale", "1", "--seed", "3")
    assert code == 0
    assert err == ""
    assert "suppliers" in out
    assert "inventory_depletions" in out
    assert "(scale 1, seed 3)" in out
    engine = engine_from_url(url)
    with engine.connect() as connection:
        total = sum(count_rows(connection).values())
    engine.dispose()
    assert f"wrote {total:,} sample rows" in out


def test_sample_db_refuses_a_filled_database_with_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    assert run(capsys, "sample-db", "--db", url, "--scale", "0")[0] == 0
    code, out, err = run(capsys, "sample-db", "--db", url)
    assert code == 1
    assert out == ""
    assert "already holds bakery data" in err
    assert "--replace" in err
    code, _, _ = run(capsys, "sample-db", "--db", url, "--replace")
    assert code == 0


def test_db_defaults_to_the_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from-env.db"
    monkeypatch.setenv("BAKERY_IO_DB", f"sqlite:///{path}")
    code, out, _ = run(capsys, "init-db")
    assert code == 0
    assert str(path) in out
    assert path.exists()


def test_db_defaults_to_bakery_db_in_the_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAKERY_IO_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "init-db")
    assert code == 0
    assert "sqlite:///bakery.db" in out
    assert (tmp_path / "bakery.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample-db", "--scale", "-1"], "expected a number >= 0"),
        (["sample-db", "--scale", "many"], "expected a whole number"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("nosuchdb://x/y", "unknown database kind"),
    ],
)
def test_unusable_database_urls_exit_2(
    capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    code, _, err = run(capsys, "init-db", "--db", url)
    assert code == 2
    assert message in err


def test_unusable_database_exits_1_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bakery.db"
    path.write_bytes(b"not a database, but a file of that name" * 100)
    code, _, err = run(capsys, "init-db", "--db", f"sqlite:///{path}")
    assert code == 1
    assert "database error: file is not a database" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the scale-0 sample (the catalog), made through the CLI."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'bakery.db'}"
    assert main(["sample-db", "--db", url, "--scale", "0"]) == 0
    return url


def test_export_writes_a_backup_that_validates(
    capsys: pytest.CaptureFixture[str], sample_url: str, tmp_path: Path
) -> None:
    capsys.readouterr()
    target = tmp_path / "backup"
    code, out, err = run(capsys, "export", "--db", sample_url, str(target))
    assert (code, err) == (0, "")
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    total = sum(entry["record_count"] for entry in manifest["files"])
    assert f"wrote {total:,} records of 21 entity types (format 1.1)" in out
    assert "01_suppliers.json" in out
    code, out, _ = run(capsys, "validate", str(target))
    assert code == 0
    assert f"valid (directory, format 1.1, 21 files, {total:,} records)" in out


def test_export_refuses_an_existing_target_unless_overwrite(
    capsys: pytest.CaptureFixture[str], sample_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "backup.zip"
    target.write_bytes(b"precious")
    code, out, err = run(capsys, "export", "--db", sample_url, str(target))
    assert (code, out) == (2, "")
    assert "already exists" in err
    assert target.read_bytes() == b"precious"
    # --overwrite replaces a bakery_io backup only: this is not one.
    code, out, err = run(capsys, "export", "--db", sample_url, "--overwrite", str(target))
    assert (code, out) == (2, "")
    assert "is not a bakery_io backup (not a ZIP archive bakery_io can read)" in err
    assert target.read_bytes() == b"precious"
    target.unlink()
    for _ in range(2):  # the second export replaces the first
        code, _, err = run(capsys, "export", "--db", sample_url, "--overwrite", str(target))
        assert (code, err) == (0, "")
        assert zipfile.is_zipfile(target)


def test_export_of_some_entity_types(
    capsys: pytest.CaptureFixture[str], sample_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "part.json"
    args = ["export", "--db", sample_url, "--entities", "recipes,suppliers", str(target)]
    code, out, _ = run(capsys, *args)
    assert code == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert list(document) == ["version", "exported_at", "suppliers", "recipes"]
    assert "of 2 entity types" in out


def test_export_names_an_unknown_entity_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--entities", "recipes,cakes", "x"]) == 2
    assert "unknown entity type cakes" in capsys.readouterr().err


def test_export_from_a_database_without_tables_exits_1_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"
    code, _, err = run(capsys, "export", "--db", f"sqlite:///{missing}", str(tmp_path / "b"))
    assert code == 1
    assert "no such database file" in err
    assert not missing.exists()
    assert run(capsys, "init-db", "--db", f"sqlite:///{missing}")[0] == 0
    code, _, err = run(capsys, "export", "--db", f"sqlite:///{missing}", str(tmp_path / "b"))
    assert code == 0, err


def test_export_history_writes_runs_of_a_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    assert run(capsys, "sample-db", "--db", url, "--scale", "1")[0] == 0
    target = tmp_path / "history.json"
    args = ["export-history", "--db", url, "--since", "2024-01-01", "--until", "2024-06-30"]
    code, out, _ = run(capsys, *args, str(target))
    assert code == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert set(document) == {"version", "exported_at", "production_runs", "assembly_runs"}
    for run_ in document["production_runs"]:
        assert "2024-01-01" <= run_["produced_at"][:10] <= "2024-06-30"
    assert f"wrote {len(document['production_runs']) + len(document['assembly_runs']):,}" in out
    assert main(["export-history", "--since", "yesterday", str(target)]) == 2
    assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_validate_reports_problems_with_exit_1_and_as_json(
    capsys: pytest.CaptureFixture[str], sample_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    assert run(capsys, "export", "--db", sample_url, str(target))[0] == 0
    suppliers = target / "01_suppliers.json"
    content = json.loads(suppliers.read_text(encoding="utf-8"))
    content["records"][0]["name"] = 42
    suppliers.write_text(json.dumps(content), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(target))
    assert code == 1
    assert "01_suppliers.json /records/0/name" in out
    assert "expected a string, got the number 42" in out
    assert "checksum does not match" in out
    code, out, _ = run(capsys, "validate", "--json", str(target))
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    pointers = {(problem["file"], problem["pointer"]) for problem in report["problems"]}
    assert ("01_suppliers.json", "/records/0/name") in pointers
    assert ("manifest.json", "/files/0/sha256") in pointers


def test_validate_limits_what_it_prints(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = [
        {"slug": f"s{index}", "name": index, "supplier_type": "online"} for index in range(5)
    ]
    path = tmp_path / "suppliers.json"
    document = {"version": "1.1", "entity_type": "suppliers", "records": records}
    path.write_text(json.dumps(document), encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--limit", "2", str(path))
    assert code == 1
    assert "5 problems" in out
    assert out.count("expected a string") == 2
    assert "… and 3 more (--limit 0 shows all)" in out
    code, out, _ = run(capsys, "validate", "--limit", "0", str(path))
    assert out.count("expected a string") == 5


def test_validate_of_a_missing_path_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path / "nothing"))
    assert code == 2
    assert "does not exist" in err


def test_validate_prints_text_it_cannot_encode_as_escapes(tmp_path: Path) -> None:
    path = tmp_path / os.fsdecode(b"odd\xff.json")  # not UTF-8: held as the surrogate \udcff
    path.write_text("null", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bakery_io", "validate", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "odd\\udcff.json" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_export_the_file_system_refuses_exits_1_without_a_traceback(
    capsys: pytest.CaptureFixture[str], sample_url: str
) -> None:
    proc = Path("/proc")
    if not (proc / "self").is_dir():
        pytest.skip("needs Linux's /proc, where no file can be created")
    code, out, err = run(capsys, "export", "--db", sample_url, str(proc / "bakery-io-backup"))
    assert (code, out) == (1, "")
    assert "No such file or directory" in err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def catalog_backup(sample_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the scale-0 sample, made through the CLI."""
    target = tmp_path_factory.mktemp("cli-backup") / "backup.zip"
    assert main(["export", "--db", sample_url, str(target)]) == 0
    return target


def _rows(url: str) -> dict[str, int]:
    engine = engine_from_url(url)
    with engine.connect() as connection:
        counted = count_rows(connection)
    engine.dispose()
    return counted


def test_import_into_a_new_sqlite_file_creates_tables_and_loads_everything(
    capsys: pytest.CaptureFixture[str], sample_url: str, catalog_backup: Path, tmp_path: Path
) -> None:
    capsys.readouterr()
    url = f"sqlite:///{tmp_path / 'restored.db'}"
    code, out, err = run(capsys, "import", "--db", url, str(catalog_backup))
    assert (code, err) == (0, "")
    assert "created the bakery_io tables" in out
    assert _rows(url) == _rows(sample_url)
    total = sum(_rows(url)[entity.name] for entity in REGISTRY)
    assert f"loaded {total:,} records: {total:,} created, 0 updated, 0 unchanged, 0 skipped" in out
    # The same backup again changes nothing, and says so.
    code, out, _ = run(capsys, "import", "--db", url, str(catalog_backup), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["total"] == {"created": 0, "unchanged": total, "skipped": 0, "updated": 0}
    assert report["conflicts"] == []


def test_a_failed_import_exits_1_lists_the_problems_and_leaves_no_database(
    capsys: pytest.CaptureFixture[str], catalog_backup: Path, tmp_path: Path
) -> None:
    source = tmp_path / "suppliers.json"
    records = [{"slug": "flour-co", "name": 42, "city": "Lyon", "uuid": str(uuid4())}]
    source.write_text(
        json.dumps({"version": "1.1", "entity_type": "suppliers", "records": records}),
        encoding="utf-8",
    )
    database = tmp_path / "new.db"
    code, out, err = run(capsys, "import", "--db", f"sqlite:///{database}", str(source))
    assert code == 1
    assert out == ""
    assert "1 problem; nothing was written" in err
    assert "suppliers.json /records/0/name [record 0 (flour-co)]: expected a string" in err
    assert not database.exists()


def test_a_failed_import_into_an_existing_database_leaves_it_as_it_was(
    capsys: pytest.CaptureFixture[str], sample_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["init-db", "--db", url]) == 0
    source = tmp_path / "products.json"
    dumped = tmp_path / "products"
    assert main(["export", "--db", sample_url, "--entities", "products", str(dumped)]) == 0
    (dumped / "03_products.json").replace(source)
    capsys.readouterr()
    code, _out, err = run(capsys, "import", "--db", url, str(source))
    assert code == 1
    assert "no record of ingredients has the slug" in err
    assert sum(_rows(url).values()) == 0
    assert set(metadata.tables) <= set(inspect(engine_from_url(url)).get_table_names())


def test_import_dry_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], catalog_backup: Path, tmp_path: Path
) -> None:
    database = tmp_path / "dry.db"
    code, out, _ = run(
        capsys, "import", "--db", f"sqlite:///{database}", "--dry-run", str(catalog_backup)
    )
    assert code == 0
    assert "(dry run: nothing was written)" in out
    assert not database.exists()
    url = f"sqlite:///{tmp_path / 'tables.db'}"
    assert main(["init-db", "--db", url]) == 0
    code, out, _ = run(capsys, "import", "--db", url, "--dry-run", str(catalog_backup))
    assert code == 0
    assert sum(_rows(url).values()) == 0


def test_import_on_conflict_choices(
    capsys: pytest.CaptureFixture[str], catalog_backup: Path
) -> None:
    assert main(["import", "--on-conflict", "merge", str(catalog_backup)]) == 2
    assert "skip, update, error" in capsys.readouterr().err.replace("'", "")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--overwrit", "backup"],
        ["export", "--ent", "suppliers", "backup"],
        ["import", "--dry", "backup"],
        ["--verb", "validate", "backup"],
        ["sample-db", "--rep"],
    ],
)
def test_abbreviated_options_are_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    monkeypatch.setenv("BAKERY_IO_DB", f"sqlite:///{tmp_path / 'bakery.db'}")
    assert (
        main([*args[:-1], *([str(tmp_path / args[-1])] if args[-1] == "backup" else args[-1:])])
        == 2
    )
    assert "unrecognized arguments" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_export_overwrite_of_the_working_directory_or_a_folder_is_refused(
    capsys: pytest.CaptureFixture[str],
    sample_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thesis = tmp_path / "thesis"
    (thesis / "photos").mkdir(parents=True)
    (thesis / "thesis.txt").write_text("four years of work")
    monkeypatch.chdir(thesis)
    code, out, err = run(capsys, "export", "--db", sample_url, "--overwrite", ".")
    assert (code, out) == (2, "")
    assert "it is the working directory" in err
    assert "Traceback" not in err
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "export", "--db", sample_url, "--overwrite", "thesis")
    assert (code, out) == (2, "")
    assert err.startswith(
        "bakery-io export: thesis holds files that are not part of a bakery_io backup: "
        "photos/, thesis.txt;"
    )
    assert sorted(path.name for path in thesis.iterdir()) == ["photos", "thesis.txt"]
