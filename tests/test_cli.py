"""The bakery-io command line, used as a person would."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bakery_io import engine_from_url
from bakery_io.cli import Progress, main
from bakery_io.database import count_rows
from bakery_io.models import metadata


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
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
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


def test_unreachable_database_exits_1_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'bakery.db'}"
    code, _, err = run(capsys, "init-db", "--db", url)
    assert code == 1
    assert "database error" in err
    assert "Traceback" not in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only() -> None:
    terminal, pipe = FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("sample-db", stream)
        progress(1, 3, 750)
        progress(3, 3, 9_000)
        progress.finish()
    assert terminal.getvalue() == (
        "\rsample-db: step 1/3, 750 rows\rsample-db: step 3/3, 9,000 rows\n"
    )
    assert pipe.getvalue() == ""
