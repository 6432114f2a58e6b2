"""What starting a job imports: each job loads what it uses, --help loads no library.

Each case runs in a fresh interpreter (``python -X importtime``, whose report names
every module imported), since the test session has imported everything long before.
How long the imports take is measured by hand (docs/performance.md, "Start-up"), not
asserted here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bakery_io.cli import facts
from bakery_io.format.json_schemas import GENERATED
from bakery_io.resolution import CONFLICT_MODES
from bakery_io.versions import CURRENT_VERSION, VERSIONS

#: Loaded only where they are used: checking a file (the validators; python-jsonschema
#: only to explain a file that is not valid), reading bake-tracker's files, generating a
#: sample, drawing progress bars, talking to a server (PostgreSQL's SQLAlchemy dialect
#: comes with its engine; MySQL's with the models, whose tables carry its options).
HEAVY = (
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.postgresql",
    "marshmallow_sqlalchemy",
    "jsonschema",
    "jsonschema_rs",
    "referencing",
    "bakery_io.versions.bake_tracker",
    "bakery_io.sample",
    "bakery_io.cli",
    "tqdm",
    "pymysql",
    "psycopg",
)
#: What the command line's --help and --version do without.
LIBRARY = ("sqlalchemy", "marshmallow", "orjson", "bakery_io.registry")


def _imported(*args: str) -> set[str]:
    """The modules ``python -X importtime ARGS`` imports (besides the interpreter's own)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


def _among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``modules`` that are one of ``names`` or inside one."""
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


@pytest.mark.parametrize("name", ["dump_all", "load_all", "validate", "upgrade"])
def test_importing_a_job_imports_nothing_heavy_it_does_not_use_yet(name: str) -> None:
    modules = _imported("-c", f"from bakery_io import {name}")
    assert "bakery_io.registry" in modules  # every job's, and the report is read right
    assert _among(modules, HEAVY) == []


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["import", "--help"], ["export", "--help"]]
)
def test_the_command_line_answers_help_and_version_without_the_library(args: list[str]) -> None:
    modules = _imported("-m", "bakery_io", *args)
    assert "bakery_io.cli.parser" in modules
    assert _among(modules, (*LIBRARY, "bakery_io.versions", "jsonschema", "jsonschema_rs")) == []


def test_loading_a_sound_backup_decides_with_jsonschema_rs_alone(
    sample_dump: Path, tmp_path: Path
) -> None:
    # python-jsonschema only explains what is not valid; a sound backup needs none of it.
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code = (
        "from bakery_io import create_schema, engine_from_url, load_all\n"
        f"engine = engine_from_url({url!r})\n"
        "create_schema(engine)\n"
        f"load_all(engine, {str(sample_dump)!r})\n"
        "engine.dispose()\n"
    )
    modules = _imported("-c", code)
    assert "jsonschema_rs" in modules
    assert _among(modules, ("jsonschema", "referencing", "bakery_io.sample", "tqdm")) == []


def test_the_command_lines_facts_are_the_librarys() -> None:
    assert facts.VERSIONS == VERSIONS
    assert facts.CURRENT_VERSION == CURRENT_VERSION
    assert facts.GENERATED == GENERATED
    assert facts.CONFLICT_MODES == CONFLICT_MODES
