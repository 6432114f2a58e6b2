"""The hostile suite's fixtures: a small real backup to mutate and a database holding data."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bakery_io import dump_all, engine_from_url, generate_sample, load_all
from tests.hostile.mutations import MANIFEST, Pristine, canonical

GOLDEN_1_0 = Path(__file__).parent.parent / "golden" / "1.0" / "full-backup" / "input"


@pytest.fixture(scope="session")
def pristine(schema_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    """A small real backup as dump_all writes it, as bytes: the catalog sample (scale 0)
    with most products and the ingredients nothing uses left out, so each of the
    hundreds of loads below is quick."""
    directory = tmp_path_factory.mktemp("pristine")
    engine = engine_from_url(f"sqlite:///{directory / 'sample.db'}")
    generate_sample(engine, scale=0, seed=3)
    dump_all(engine, directory / "sample.json")
    engine.dispose()
    small = directory / "small.json"
    small.write_bytes(canonical(_trimmed(json.loads((directory / "sample.json").read_bytes()))))
    shutil.copyfile(schema_template, directory / "small.db")
    engine = engine_from_url(f"sqlite:///{directory / 'small.db'}")
    load_all(engine, small)
    dump_all(engine, directory / "dump")
    dump_all(engine, directory / "dump.json")
    engine.dispose()
    files = {path.name: path.read_bytes() for path in sorted((directory / "dump").iterdir())}
    # The cases re-encode files in this layout; it must be dump_all's, or they would
    # test the whole-file reader only.
    for name, data in files.items():
        assert canonical(json.loads(data)) == data, name
    document = (directory / "dump.json").read_bytes()
    assert canonical(json.loads(document)) == document
    legacy = {path.name: path.read_bytes() for path in sorted(GOLDEN_1_0.iterdir())}
    assert MANIFEST in legacy
    return Pristine(files, document, legacy, directory / "small.db")


def _trimmed(sample: dict[str, Any]) -> dict[str, Any]:
    """``sample`` with four products and only the ingredients recipes and those use."""
    sample["products"] = sample["products"][:4]
    used = {product["ingredient_slug"] for product in sample["products"]}
    used |= {line["ingredient_slug"] for r in sample["recipes"] for line in r["ingredients"]}
    parents = {i["slug"]: i["parent_slug"] for i in sample["ingredients"]}
    for leaf in list(used):
        parent = parents[leaf]
        while parent is not None:
            used.add(parent)
            parent = parents[parent]
    sample["ingredients"] = [i for i in sample["ingredients"] if i["slug"] in used]
    return sample


#: Entity types the occupied database holds rows of (none references another).
HELD = ("suppliers", "recipients", "material_categories")
#: The document of those rows, beside the occupied database.
HELD_NAME = "held.json"


@pytest.fixture(scope="session")
def occupied_template(
    pristine: Pristine, schema_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A SQLite file whose bakery_io tables hold rows no mutated backup has a key of
    (the sample's suppliers, recipients and material categories renamed), so a load
    into it must give what a load into an empty database gives: copy it."""
    directory = tmp_path_factory.mktemp("occupied")
    sample = json.loads(pristine.document)
    held: dict[str, Any] = {"version": sample["version"]}
    for name in HELD:
        held[name] = [_renamed(record) for record in sample[name]]
    source = directory / HELD_NAME
    source.write_bytes(canonical(held))
    path = directory / "occupied.db"
    shutil.copyfile(schema_template, path)
    engine = engine_from_url(f"sqlite:///{path}")
    report = load_all(engine, source)
    engine.dispose()
    assert report.total.created == sum(len(held[name]) for name in HELD)
    return path


def _renamed(record: dict[str, Any]) -> dict[str, Any]:
    renamed = dict(record)
    renamed["slug"] = f"held-{record['slug']}"
    renamed["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, renamed["slug"]))
    renamed["name"] = f"Held {record['name']}"
    return renamed


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A directory for the databases a case writes: in memory (/dev/shm) where there is
    one, since SQLite's fsyncs would otherwise dominate the suite's time."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="bakery-io-hostile-") as name:
        yield Path(name)


@pytest.fixture(scope="session")
def pristine_url(pristine: Pristine) -> str:
    """The URL of the SQLite database the pristine backup was dumped from: only read it."""
    return f"sqlite:///{pristine.database}"


@dataclass(frozen=True)
class Targets:
    """The databases a case loads into, as SQLite files to copy."""

    #: Empty bakery_io tables.
    empty: Path
    #: Tables holding rows of keys no case uses (see :func:`occupied_template`).
    occupied: Path


@pytest.fixture(scope="session")
def targets(schema_template: Path, occupied_template: Path) -> Targets:
    """The SQLite files each case's loads start from."""
    return Targets(schema_template, occupied_template)


@pytest.fixture(scope="session")
def held(occupied_template: Path) -> Path:
    """The document the occupied database was loaded from (to fill a server database)."""
    return occupied_template.parent / HELD_NAME
