"""Build the corpus the JavaScript validators are checked on, with bakery_io's verdicts.

Run with the project's Python (bakery_io installed)::

    python corpus.py OUT_DIR

It writes ``OUT_DIR/cases.json``, a list of cases, each a JSON file under
``OUT_DIR`` with the format version, the bundled schema it is checked against
(``manifest``, ``entity-file`` or ``document``) and bakery_io's verdict on it:
whether bakery_io's own JSON Schema check (the check ``bakery-io validate``
starts with) finds a problem, and the first it finds; ``valid`` is what ajv and
@hyperjump/json-schema must say too. The cases are:

- a fresh dump of the sample database, as a backup directory (manifest and
  entity files) and as a single document;
- the golden files of formats 1.0 and 1.1 (``tests/golden``);
- mutations of each: wrong types, missing required fields, bad decimals,
  unknown properties, impossible dates, wrong manifest entries.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bakery_io import create_schema, dump_all, engine_from_url, generate_sample
from bakery_io.conformance import conforms, schema_problems

REPO = Path(__file__).resolve().parents[2]
#: Files of the golden corpus that are not in the format (expected problems, reports).
NOT_FORMAT = {"problems.json", "rewrites.json", "report.json"}
DECIMAL = re.compile(r"^-?[0-9]+\.[0-9]+$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T")

Mutation = tuple[str, Any]


def version_of(content: Any) -> str:
    """The format version a file states; a 1.0 production-history document states none."""
    if isinstance(content, dict) and isinstance(content.get("version"), str):
        return str(content["version"])
    return "1.0"


def schema_for(filename: str, content: Any) -> str:
    """The schema (file name) a file is checked against: by its name and its shape."""
    if filename == "manifest.json":
        return "manifest.schema.json"
    if isinstance(content, dict) and "entity_type" in content:
        return "entity-file.schema.json"
    return "document.schema.json"


def golden_files(repo: Path, version: str) -> list[Path]:
    """The files of format ``version`` in the golden corpus."""
    found = []
    for path in sorted((repo / "tests" / "golden").rglob("*.json")):
        if path.name in NOT_FORMAT:
            continue
        if version_of(json.loads(path.read_text(encoding="utf-8"))) == version:
            found.append(path)
    return found


def _records(content: Any) -> list[Any] | None:
    """The list a mutation changes: an entity file's records, a document's first non-empty
    list of records, or a manifest's files."""
    if not isinstance(content, dict):
        return None
    for key in ("records", "files"):
        if isinstance(content.get(key), list):
            return content[key] or None
    lists = [value for value in content.values() if isinstance(value, list) and value]
    return lists[0] if lists else None


def _first(record: dict[str, Any], matches: re.Pattern[str]) -> str | None:
    return next(
        (key for key, value in record.items() if isinstance(value, str) and matches.match(value)),
        None,
    )


def _changed(content: Any, label: str, change: Any) -> Mutation | None:
    """``content`` with ``change(first record)`` applied, or None when it does not apply."""
    mutated = copy.deepcopy(content)
    records = _records(mutated)
    if records is None or not isinstance(records[0], dict):
        return None
    if change(records[0]) is False:
        return None
    return label, mutated


def _record_mutations(content: Any) -> Iterator[Mutation | None]:
    def wrong_type(record: dict[str, Any]) -> bool:
        key = next((k for k, v in record.items() if isinstance(v, str)), None)
        if key is None:
            return False
        record[key] = 12345
        return True

    def missing(record: dict[str, Any]) -> bool:
        key = next(
            (k for k in ("filename", "name", "recipe_slug", "slug", "uuid") if k in record), None
        )
        if key is None:
            return False
        del record[key]
        return True

    def bad_decimal(record: dict[str, Any]) -> bool:
        key = _first(record, DECIMAL)
        if key is None:
            key = next((k for k, v in record.items() if isinstance(v, float)), None)
        if key is None:
            return False
        record[key] = "1.2.3"
        return True

    def impossible(kinds: re.Pattern[str], value: str) -> Callable[[dict[str, Any]], bool]:
        """Set the first field whose value ``kinds`` matches to ``value``, which is no valid one."""

        def change(record: dict[str, Any]) -> bool:
            key = _first(record, kinds)
            if key is None:
                return False
            record[key] = value
            return True

        return change

    def extra(record: dict[str, Any]) -> None:
        record["unexpected_field"] = 1

    def null_required(record: dict[str, Any]) -> bool:
        key = next((k for k in ("uuid", "entity_type") if k in record), None)
        if key is None:
            return False
        record[key] = None
        return True

    yield _changed(content, "wrong type", wrong_type)
    yield _changed(content, "missing required field", missing)
    yield _changed(content, "bad decimal", bad_decimal)
    yield _changed(content, "impossible date", impossible(DATE, "2026-02-30"))
    yield _changed(content, "impossible datetime", impossible(DATETIME, "2026-13-01T09:30:00Z"))
    yield _changed(content, "extra property", extra)
    yield _changed(content, "null where not nullable", null_required)


def _manifest_mutations(content: Any) -> Iterator[Mutation | None]:
    def swap(field: str, value: Any) -> Any:
        def change(entry: dict[str, Any]) -> None:
            entry[field] = value

        return change

    yield _changed(content, "bad sha256", swap("sha256", "not-a-digest"))
    yield _changed(content, "negative record count", swap("record_count", -1))
    yield _changed(content, "wrong import order", swap("import_order", 99))
    yield _changed(content, "wrong file name", swap("filename", "99_wrong.json"))
    yield _changed(content, "wrong dependencies", swap("dependencies", ["events"]))
    if isinstance(content.get("files"), list) and content["files"]:
        doubled = copy.deepcopy(content)
        doubled["files"].append(copy.deepcopy(doubled["files"][0]))
        yield "file listed twice", doubled


def mutations(content: Any) -> list[Mutation]:
    """Invalid variants of ``content`` (a manifest, entity file or document), labelled."""
    found: list[Mutation | None] = []
    if isinstance(content, dict):
        found.append(("unknown version", {**content, "version": "9.9"}))
        found.append(("extra top-level property", {**content, "unexpected": True}))
        if "files" in content:
            found.extend(_manifest_mutations(content))
        else:
            found.extend(_record_mutations(content))
    found.append(("not an object", [content]))
    return [mutation for mutation in found if mutation is not None]


def bakery_io_verdict(filename: str, content: Any, schema: str, version: str) -> str | None:
    """The first problem bakery_io's JSON Schema check of format ``version`` finds in
    ``content`` (``pointer: message``), or None when it finds none: its verdict."""
    if conforms(content, schema, version):  # the fast check bakery_io starts with
        return None
    problem = next(iter(schema_problems(filename, content, schema, version)), None)
    return None if problem is None else f"{problem.pointer or '/'}: {problem.message}"


def fresh_dumps(work: Path) -> list[Path]:
    """A backup directory and a single document of a new sample database (scale 1: the
    catalog and about 5,000 rows of history, so every entity type has records),
    made through bakery_io's API as ``bakery-io sample-db`` and ``export`` would."""
    engine = engine_from_url(f"sqlite:///{work / 'sample.db'}")
    try:
        create_schema(engine)
        generate_sample(engine, scale=1)
        dump_all(engine, work / "backup")
        dump_all(engine, work / "document.json")
    finally:
        engine.dispose()
    return [*sorted((work / "backup").glob("*.json")), work / "document.json"]


def build(out: Path) -> list[dict[str, Any]]:
    """Write the corpus under ``out`` and return its cases."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        sources = [("dump", path) for path in fresh_dumps(Path(scratch))]
        sources += [
            ("golden", path) for version in ("1.0", "1.1") for path in golden_files(REPO, version)
        ]
        cases = []
        for origin, path in sources:
            content = json.loads(path.read_text(encoding="utf-8"))
            schema, version = schema_for(path.name, content), version_of(content)
            variants = [("as written", content), *mutations(content)]
            for label, variant in variants:
                where = out / f"{len(cases):04d}-{path.name}"
                where.write_text(json.dumps(variant, ensure_ascii=False), encoding="utf-8")
                problem = bakery_io_verdict(path.name, variant, schema, version)
                cases.append(
                    {
                        "file": where.name,
                        "source": f"{origin}: {path.relative_to(path.parents[2])}",
                        "mutation": label,
                        "version": version,
                        "schema": schema,
                        "valid": problem is None,
                        "problem": problem,
                    }
                )
    (out / "cases.json").write_text(json.dumps(cases, indent=1), encoding="utf-8")
    return cases


def main(argv: list[str]) -> int:
    """``python corpus.py OUT_DIR``: build the corpus, print a one-line summary."""
    if len(argv) != 1:
        print("usage: python corpus.py OUT_DIR", file=sys.stderr)
        return 2
    cases = build(Path(argv[0]))
    invalid = sum(not case["valid"] for case in cases)
    print(f"{len(cases)} cases ({invalid} invalid by bakery_io) in {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
