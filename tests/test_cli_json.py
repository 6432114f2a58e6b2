"""``--json``: standard output is one JSON document, on success and failure alike, for every
command; notes stay on standard error. Parsed here as a script would parse it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bakery_io.cli.commands
from bakery_io.cli import main
from bakery_io.registry import REGISTRY

GOLDEN_10 = Path(__file__).parent / "golden" / "1.0"


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the command with ``--json``; its exit code, its parsed stdout, its stderr."""
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err  # json.loads fails on anything but one document


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A scale-0 sample database and its ZIP backup, made through the CLI."""
    directory = tmp_path_factory.mktemp("json")
    url = f"sqlite:///{directory / 'bakery.db'}"
    assert main(["sample-db", "--db", url, "--scale", "0"]) == 0
    assert main(["export", "--db", url, str(directory / "backup.zip")]) == 0
    return url, directory / "backup.zip"


def _broken(tmp_path: Path) -> Path:
    """A single document with two bad records, an unknown reference among them."""
    document = {
        "version": "1.1",
        "suppliers": [
            {"slug": "a", "name": 1, "supplier_type": "online"},
            {"slug": "b", "name": "B", "supplier_type": "nowhere"},
        ],
    }
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_import_into_a_new_database_prints_only_json(
    catalog: tuple[str, Path], tmp_path: Path
) -> None:
    """As a process: the note that the tables were created goes to stderr, not before the
    JSON."""
    _, backup = catalog
    url = f"sqlite:///{tmp_path / 'new.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bakery_io", "import", "--db", url, str(backup), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True
    assert document["command"] == "import"
    assert document["total"]["created"] > 0
    assert "created the bakery_io tables" in done.stderr


def test_a_failed_import_prints_every_problem_as_json(
    capsys: pytest.CaptureFixture[str], catalog: tuple[str, Path], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'bakery.db'}"
    source = _broken(tmp_path)
    # --limit cuts the text on stderr, never the JSON.
    code, document, err = _json(capsys, "import", "--db", url, str(source), "--limit", "1")
    assert code == 1
    assert document["ok"] is False
    assert document["error"]["kind"] == "source"
    assert document["error"]["exit_code"] == 1
    assert {(p["file"], p["pointer"], p["record"]) for p in document["problems"]} >= {
        ("broken.json", "/suppliers/0/name", 0),
        ("broken.json", "/suppliers/1/supplier_type", 1),
    }
    assert all(
        set(p) == {"file", "pointer", "record", "key", "message"} for p in document["problems"]
    )
    assert "nothing was written" in err
    assert not (tmp_path / "bakery.db").exists()


def test_a_failed_upgrade_prints_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = GOLDEN_10 / "unknown-name" / "input"
    code, document, _ = _json(capsys, "upgrade", str(source), str(tmp_path / "new.json"))
    assert code == 1
    assert (document["ok"], document["command"]) == (False, "upgrade")
    expected = json.loads((GOLDEN_10 / "unknown-name" / "problems.json").read_text("utf-8"))
    assert len(document["problems"]) == len(expected)
    assert not (tmp_path / "new.json").exists()


def test_an_upgrade_prints_its_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = GOLDEN_10 / "full-backup" / "input"
    code, document, _ = _json(capsys, "upgrade", str(source), str(tmp_path / "new.zip"))
    assert (code, document["ok"], document["upgraded_to"]) == (0, True, "1.1")
    assert (tmp_path / "new.zip").exists()


def test_validate_says_ok_false_with_the_problems_and_the_report(
    capsys: pytest.CaptureFixture[str], catalog: tuple[str, Path], tmp_path: Path
) -> None:
    code, document, _ = _json(capsys, "validate", str(_broken(tmp_path)))
    assert code == 1
    assert (document["ok"], document["error"]["kind"]) == (False, "source")
    assert document["records"] == 2
    assert len(document["problems"]) >= 2
    code, document, _ = _json(capsys, "validate", str(catalog[1]))
    assert (code, document["ok"], document["problems"]) == (0, True, [])


def test_export_init_db_sample_db_and_schemas_print_json(
    capsys: pytest.CaptureFixture[str], catalog: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = catalog
    code, document, _ = _json(capsys, "export", "--db", url, str(tmp_path / "b"))
    assert (code, document["ok"]) == (0, True)
    assert document["manifest"]["version"] == "1.1"
    assert len(document["manifest"]["files"]) == 21
    code, document, _ = _json(capsys, "export-history", "--db", url, str(tmp_path / "h.json"))
    assert (code, document["command"]) == (0, "export-history")
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, document, _ = _json(capsys, "init-db", "--db", fresh)
    assert (code, document["created"], document["existing"]) == (0, len(REGISTRY.tables), 0)
    code, document, _ = _json(capsys, "sample-db", "--db", fresh, "--scale", "0")
    assert (code, document["scale"]) == (0, 0)
    assert document["total"] == sum(document["rows"].values()) > 0
    code, document, _ = _json(capsys, "schemas", str(tmp_path / "schemas"))
    assert code == 0
    assert all(Path(name).exists() for name in document["files"])


def test_a_database_in_the_way_is_json_too(
    capsys: pytest.CaptureFixture[str], catalog: tuple[str, Path]
) -> None:
    url, _ = catalog
    code, document, err = _json(capsys, "sample-db", "--db", url)
    assert code == 1
    assert document["error"]["kind"] == "database_state"
    assert "--replace" in document["hint"]
    assert "--replace" in err


@pytest.mark.parametrize(
    ("args", "command", "said"),
    [
        (["exprot", "x"], None, "did you mean export?"),
        (["import", "--on-conflict", "skp", "x"], "import", "did you mean skip?"),
        (["export", "--entities", "ingredents", "x"], "export", "did you mean ingredients?"),
        (["validate"], "validate", "required"),
    ],
)
def test_usage_errors_are_json_with_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], command: str | None, said: str
) -> None:
    code, document, err = _json(capsys, *args)
    assert code == 2
    assert document["ok"] is False
    assert document["command"] == command
    assert document["error"]["kind"] == "usage"
    assert said in document["error"]["message"]
    assert said in err  # argparse's usage and message stay on stderr


def test_ctrl_c_is_json_with_exit_130(
    capsys: pytest.CaptureFixture[str],
    catalog: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bakery_io.cli.commands, "validate", interrupted)
    code, document, err = _json(capsys, "validate", str(catalog[1]))
    assert code == 130
    assert document["error"] == {
        "kind": "interrupted",
        "message": "interrupted; nothing was changed",
        "exit_code": 130,
    }
    assert err == "bakery-io validate: interrupted; nothing was changed\n"
