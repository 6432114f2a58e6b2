"""What ``--json`` prints: one JSON document on standard output, whatever happens.

Every command takes ``--json``. Standard output then carries exactly one JSON object and
nothing else; notes, warnings and progress go to standard error, as without ``--json``.
Scripts can rely on this shape:

``ok``
    ``true`` when the command did its job, ``false`` otherwise (the exit code says the
    same: 0, or 1, 2, 130, 143...).
``command``
    The command that ran, for example ``"import"`` (``null`` when the command line was
    too wrong to name one).

On success the command's own report follows at the top level (for ``import``: ``counts``,
``total``, ``conflicts``...; for ``validate``: ``problems`` too, empty when valid; for
``export``: the written ``manifest``; for ``inspect``: ``kind``, ``version``, ``producer``,
``exported_at``, ``partial``, ``missing``, ``records``, ``verified`` and ``files``, each
``{"entity_type", "filename", "records", "listed_records", "checksum", "ok"}`` with
``checksum`` one of ``ok``, ``mismatch``, ``missing``, ``unlisted``, ``unreadable``,
``none``). ``validate`` and ``inspect`` keep their report beside ``error`` when they fail.

On failure:

``error``
    ``{"kind": ..., "message": ..., "exit_code": ...}``. ``kind`` says who must act:
    ``"usage"`` (the command line or a library argument: fix the call; exit 2),
    ``"source"`` (the file or backup has problems: fix the data), ``"database_state"``
    (the database is not in a state the job can work on), ``"storage"`` (the file system
    refused), ``"database"`` (the database server or driver failed), ``"os"`` (another
    operating system error), ``"interrupted"`` (Ctrl-C, exit 130), ``"stopped"``
    (SIGTERM or SIGHUP, exit 128 + the signal), ``"internal"`` (a bug in bakery_io),
    ``"error"`` (any other error bakery_io raises on purpose).
``problems``
    Every problem found, never cut short by ``--limit``: each is
    ``{"file", "pointer", "record", "key", "message"}`` (``record`` is the record's
    position in its file, ``key`` its natural key, ``pointer`` an RFC 6901 JSON pointer
    into the file). Empty when the failure is not about the data.
``hint``
    What would help, when there is something to say (absent otherwise).

A closed pipe (``| head``) ends the command silently with exit 141, JSON or not: there is
no reader left to print to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["failure", "print_json", "success", "verdict"]


def success(command: str, report: Mapping[str, Any]) -> dict[str, Any]:
    """The document of a command that did its job: ``ok``, ``command``, then its report."""
    return {"ok": True, "command": command, **{k: v for k, v in report.items() if k != "ok"}}


def failure(
    command: str | None,
    *,
    kind: str,
    message: str,
    exit_code: int,
    problems: Sequence[Mapping[str, Any]] = (),
    hint: str | None = None,
) -> dict[str, Any]:
    """The document of a command that failed: what kind of failure, and every problem."""
    document: dict[str, Any] = {
        "ok": False,
        "command": command,
        "error": {"kind": kind, "message": message, "exit_code": exit_code},
        "problems": list(problems),
    }
    if hint:
        document["hint"] = hint
    return document


def verdict(
    command: str, source: str, report: Mapping[str, Any], problems: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document of a command that judges a source (``validate``, ``inspect``): a success
    when it found no problem, else a failure of kind ``"source"`` that keeps the report."""
    if not problems:
        return success(command, report)
    count = len(problems)
    document = failure(
        command,
        kind="source",
        message=f"{source}: {count:,} problem{'' if count == 1 else 's'}",
        exit_code=1,
        problems=problems,
    )
    return {**document, **report, "ok": False}


def print_json(document: Mapping[str, Any], out: TextIO) -> None:
    """Print ``document`` as the one JSON value of standard output."""
    print(json.dumps(document, ensure_ascii=False, indent=2), file=out)
