"""The command line's manners: suggestions for typos, -v anywhere, database URLs answered
with the form to use (never a password), and messages in the command's own words."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bakery_io.binding import urls
from bakery_io.cli import build_parser, main
from bakery_io.cli.suggestions import did_you_mean


def _err(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["exprot", "x"], "did you mean export?"),
        (["imprt", "x"], "did you mean import?"),
        (["export", "--overwrit", "x"], "--overwrit: did you mean --overwrite?"),
        (["import", "--dryrun", "x"], "--dryrun: did you mean --dry-run?"),
        (["import", "--on-conflict", "updte", "x"], "did you mean update?"),
        (
            ["export", "--entities", "recipies", "x"],
            "unknown entity type recipies; did you mean recipes?",
        ),
        (["validate", "--repair", "tiny", "x"], "invalid choice"),
    ],
)
def test_typos_get_the_closest_name(
    capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    code, err = _err(capsys, *args)
    assert code == 2
    assert said in err
    assert err.startswith("usage: bakery-io")


def test_nothing_close_suggests_nothing() -> None:
    assert did_you_mean("zzzzzz", ["export", "import"]) is None
    assert did_you_mean("exort", ["export", "import"]) == "did you mean export?"


def test_verbose_goes_anywhere(
    capsys: pytest.CaptureFixture[str], sample_dump: Path, tmp_path: Path
) -> None:
    database = sample_dump.parent / "sample.db"
    code, err = _err(capsys, "export", "--db", f"sqlite:///{database}", str(tmp_path / "b"), "-v")
    assert code == 0
    assert "INFO bakery_io.dump: exporting 21 entity types" in err
    both = build_parser().parse_args(["-v", "validate", "x", "-vv"])
    assert (both.verbose, both.verbose_after) == (1, 2)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgres://baker:s3cret@db.example/bakery", "use postgresql+psycopg://baker:***@"),
        ("mysql://baker:s3cret@db.example/bakery", "pip install 'bakery-io[mysql]'"),
        ("mysql://baker:s3cret@db.example/bakery", "mysql+pymysql://baker:***@db.example"),
        ("cockroach://baker:s3cret@h/db", "use one of sqlite:///"),
        ("not a url at all", "not a database URL"),
    ],
)
def test_database_urls_are_answered_with_the_form_to_use(
    capsys: pytest.CaptureFixture[str], url: str, said: str
) -> None:
    code, err = _err(capsys, "init-db", "--db", url)
    assert code == 2
    assert said in err
    assert "s3cret" not in err


def test_the_password_is_hidden_even_in_an_unparsable_url() -> None:
    assert urls.shown("weird://user:pa:ss@host/x") == "weird://user:***@host/x"


def test_a_sqlite_file_that_cannot_be_opened_says_why(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "bakery.db"
    code, err = _err(capsys, "init-db", "--db", f"sqlite:///{missing}")
    assert code == 2
    assert f"the directory {missing.parent} does not exist" in err
    code, err = _err(capsys, "init-db", "--db", f"sqlite:///{tmp_path}")
    assert f"cannot open SQLite database {tmp_path}: it is a directory" in err
    assert list(tmp_path.iterdir()) == []


def test_a_dry_run_says_what_it_would_do(
    capsys: pytest.CaptureFixture[str], sample_dump: Path, tmp_path: Path
) -> None:
    database = tmp_path / "bakery.db"
    database.write_bytes((sample_dump.parent / "sample.db").read_bytes())
    with sqlite3.connect(database) as connection:
        (slug,) = connection.execute("SELECT slug FROM suppliers ORDER BY slug LIMIT 1").fetchone()
        connection.execute("UPDATE suppliers SET notes = 'changed' WHERE slug = ?", (slug,))
    url = f"sqlite:///{database}"
    args = ["import", "--db", url, str(sample_dump), "--on-conflict", "update"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "differs in notes: would overwrite the database's values" in out
    assert "overwrote" not in out
    assert main(args) == 0
    assert "differs in notes: overwrote the database's values" in capsys.readouterr().out
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE suppliers SET notes = 'again' WHERE slug = ?", (slug,))
    code, err = _err(capsys, *args[:-2], "--on-conflict", "error")
    assert code == 1
    assert "the conflict mode skip keeps the database's, update overwrites them" in err
    assert "on_conflict" not in err


def test_suggestions_come_from_the_command_given(capsys: pytest.CaptureFixture[str]) -> None:
    """export has --overwrite; validate does not, so it never suggests it."""
    code, err = _err(capsys, "validate", "--overwrite", "x")
    assert code == 2
    assert "unrecognized arguments: --overwrite" in err
    assert "did you mean" not in err
    assert err.startswith("usage: bakery-io validate")


def test_json_goes_before_the_command_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["--json", "schemas", str(tmp_path / "schemas")])
    document = json.loads(capsys.readouterr().out)
    assert (code, document["ok"], document["command"]) == (0, True, "schemas")
    (tmp_path / "file").write_text("", encoding="utf-8")
    code = main(["schemas", str(tmp_path / "file"), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert (code, document["error"]["kind"]) == (2, "usage")
    assert "is a file" in document["error"]["message"]
