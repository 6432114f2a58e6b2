"""Bounded memory and time for hostile ZIP archives, measured in a child process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.mutations import Pristine, write_bomb

#: Peak resident memory a check of a hostile archive may reach (a child's baseline with
#: bakery_io imported is about 100 MB).
MEMORY_BOUND = 300 * 2**20
#: Seconds a check of a hostile archive may take (linear reading takes one or two).
TIME_BOUND = 20

#: A child that validates and loads an archive, then reports its peak memory in bytes.
_CHILD = """
import json, resource, sys
import bakery_io
source, database = sys.argv[1], sys.argv[2]
outcome = {}
report = bakery_io.validate(source)
outcome["valid"] = report.ok
engine = bakery_io.engine_from_url(f"sqlite:///{database}")
try:
    bakery_io.load_all(engine, source)
    outcome["loaded"] = True
except bakery_io.BakeryIOError as exc:
    outcome["loaded"] = False
engine.dispose()
try:  # Linux: this process's own high-water mark, reset by exec
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    outcome["peak"] = int(line.split()[1]) * 1024
except OSError:  # elsewhere ru_maxrss, which Linux carries over from the forking parent
    outcome["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(outcome))
"""


def _run(source: Path, schema_template: Path, tmp_path: Path) -> dict[str, object]:
    database = tmp_path / "target.db"
    shutil.copyfile(schema_template, database)
    try:
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(source), str(database)],
            capture_output=True,
            text=True,
            check=False,
            timeout=TIME_BOUND,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"checking {source.name} took more than {TIME_BOUND} s")
    assert child.returncode == 0, child.stderr[-3000:]
    outcome: dict[str, object] = json.loads(child.stdout.splitlines()[-1])
    return outcome


#: The bomb's size: read whole, it alone is above the memory bound.
BOMB = 320 * 2**20
#: The spaces' size: read with a cost quadratic in it, far beyond the time bound.
SPACES = 192 * 2**20


def test_a_zip_bomb_member_is_refused_in_bounded_memory(
    pristine: Pristine, schema_template: Path, tmp_path: Path
) -> None:
    """320 MiB of zeros (under half a MB compressed) as an entity file."""
    source = write_bomb(tmp_path / "bomb.zip", pristine.files, BOMB, b"\0", b"")
    assert source.stat().st_size < 2**20
    outcome = _run(source, schema_template, tmp_path)
    assert outcome["valid"] is False
    assert outcome["loaded"] is False
    peak = outcome["peak"]
    assert isinstance(peak, int)
    assert peak < MEMORY_BOUND, f"peak memory {peak / 2**20:.0f} MB"


#: The start of an entity file as dump_all writes it, and of its first record.
_HEAD = b'{\n  "version": "1.1",\n  "entity_type": "ingredients",\n  "records": [\n    {\n'


def test_huge_whitespace_in_a_zip_is_read_in_linear_time_and_bounded_memory(
    pristine: Pristine, schema_template: Path, tmp_path: Path
) -> None:
    """192 MiB of spaces after a valid head (the streaming reader's worst case)."""
    source = write_bomb(tmp_path / "spaces.zip", pristine.files, SPACES, b" ", _HEAD)
    assert source.stat().st_size < 2**20
    outcome = _run(source, schema_template, tmp_path)
    assert outcome["valid"] is False
    assert outcome["loaded"] is False
    peak = outcome["peak"]
    assert isinstance(peak, int)
    assert peak < MEMORY_BOUND, f"peak memory {peak / 2**20:.0f} MB"
