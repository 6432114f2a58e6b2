"""``upgrade``: write a backup of an older format version as the current version.

No database is involved: the source is checked as its own version, upgraded
in memory by the chain of :mod:`bakery_io.versions`, checked again as the
current version, and only then written, built aside and moved into place as
:func:`bakery_io.dump_all` does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from bakery_io.containers import Sources, open_sources
from bakery_io.errors import SourceError, UsageError
from bakery_io.format.fields import format_datetime
from bakery_io.format.manifest import producer
from bakery_io.problems import Problem
from bakery_io.progress import ProgressCallback, Tracker
from bakery_io.registry import REGISTRY, Registry
from bakery_io.repair_names import repairs_hint, repairs_left
from bakery_io.targets import building
from bakery_io.upgrading import backup_of
from bakery_io.validation import check, keeping, passed_over
from bakery_io.versions import CURRENT_VERSION
from bakery_io.versions.backup import Backup, Foreign, Part, Rewrite
from bakery_io.writers import DirectoryContainer, ZipContainer, container_for, write_backup

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpgradeReport:
    """The result of :func:`upgrade`.

    ``version`` is the source's format version (for bake-tracker's files, the
    version its file states; None for several files together) and
    ``upgraded_to`` the one written (the same when the source was current
    already); ``rewrites`` lists the slugs the upgrade rewrote or derived.
    """

    source: str
    target: str
    kind: str
    version: str | None
    upgraded_to: str
    files: int
    records: int
    rewrites: tuple[Rewrite, ...]
    #: For another program's files: what they are, repaired, converted and left behind.
    foreign: Foreign = field(default=Foreign())

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "version": self.version,
            "upgraded_to": self.upgraded_to,
            "files": self.files,
            "records": self.records,
            "rewrites": [rewrite.to_dict() for rewrite in self.rewrites],
            **self.foreign.to_dict(),
        }


def upgrade(
    source: Sources,
    target: str | PathLike[str],
    *,
    overwrite: bool = False,
    repairs: Iterable[str] = (),
    progress: ProgressCallback | None = None,
    registry: Registry = REGISTRY,
) -> UpgradeReport:
    """Write ``source`` (a backup directory, ZIP, single document or entity file of any
    known format version) to ``target`` in the current format.

    ``source`` may also be bake-tracker's own files, one or several of one
    export, read with the opt-in ``repairs`` named, as :func:`~bakery_io.load_all`
    reads them; the report's ``foreign`` lists the repairs, conversions and
    what had no place in the format.

    The source is checked as its version, upgraded, and the result checked as
    the current version before anything is written; on any problem
    :class:`~bakery_io.SourceError` lists them all and nothing is written.
    ``target``'s name picks the container as for :func:`bakery_io.dump_all`
    (``.zip``, ``.json``, else a directory); a ``.json`` target of a single
    entity file is a single entity file again. ``target`` must not exist
    unless ``overwrite``, and may not be the source itself.

    ``registry`` says which entity types and extensions the source may hold;
    a source with extension data it lacks is refused rather than rewritten
    without it.

    ``progress`` is called with :class:`~bakery_io.Progress` events of job
    ``"upgrade"``: step ``"checking"`` (the source's records, as
    :func:`~bakery_io.validate` counts them), then ``"writing"`` (the upgraded
    records), a chunk at a time.
    """
    path = Path(target)
    for given in [source] if isinstance(source, (str, PathLike)) else source:
        if path.resolve() == Path(given).resolve():
            raise UsageError(f"write the upgrade of {given} beside it, not over it")
    opened = open_sources(source)
    parts: dict[str, Part] = {}
    tracker = Tracker(progress, "upgrade")
    try:
        checker = check(opened, keeping(parts), repairs=repairs, registry=registry, tracker=tracker)
        skipped = passed_over(checker)
        if skipped and not checker.problems:
            raise SourceError(
                opened.label,
                [Problem(opened.name, "", f"extension data {skipped.describe()}")],
                hint="upgrade with the registry that holds those extensions (registry=)",
            )
        if checker.problems:
            left = repairs_left(repairs) if checker.source_format else ()
            raise SourceError(
                opened.label,
                checker.problems,
                hint=repairs_hint(repairs) if left else None,
                repairs=left,
            )
        assert checker.version is not None  # a source without problems has one
        backup = checker.upgraded or backup_of(opened, checker.version, parts, registry)
    finally:
        close = getattr(opened, "close", None)
        if close is not None:
            close()
    kind = container_for(path, single=backup.kind == "entity file")
    moment = _export_time(backup, needs_one=kind in (DirectoryContainer, ZipContainer))
    with building(kind, path, backup.version, moment, overwrite=overwrite) as container:
        producer_name = str(backup.header.get("source") or producer())
        manifest = write_backup(backup, container, producer_name, registry, tracker)
    logger.info(
        "upgraded %s from format %s to %s: %d records written to %s",
        opened.path,
        checker.version,
        backup.version,
        manifest.record_count,
        path,
    )
    return UpgradeReport(
        source=opened.label,
        target=str(path),
        kind=opened.kind,
        version=checker.stated if checker.source_format else checker.version,
        upgraded_to=CURRENT_VERSION,
        files=len(manifest.files),
        records=manifest.record_count,
        rewrites=backup.rewrites,
        foreign=Foreign.of(backup),
    )


def _export_time(backup: Backup, *, needs_one: bool) -> str | None:
    """The export time the upgraded backup states: the source's, else now if a manifest
    needs one."""
    stated = backup.header.get("export_date") or backup.header.get("exported_at")
    if stated is None and needs_one:
        return format_datetime(datetime.now(UTC).replace(microsecond=0))
    return None if stated is None else str(stated)
