"""How the command prints what a job did: manifests, reports, problems."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from bakery_io.repair_names import repairs_left

# For the annotations alone: the command prints a problem with a command line (as
# bakery-io --help answers) without importing the library.
if TYPE_CHECKING:
    from bakery_io.format.manifest import Manifest
    from bakery_io.inspection import BackupSummary
    from bakery_io.load import LoadReport
    from bakery_io.validation import ValidationReport
    from bakery_io.versions.backup import Foreign, Rewrite


def plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_problems(problems: Sequence[object], limit: int, out: TextIO) -> None:
    shown = problems if limit == 0 else problems[:limit]
    for problem in shown:
        print(f"  {problem}", file=out)
    if len(shown) < len(problems):
        print(f"  … and {len(problems) - len(shown):,} more (--limit 0 shows all)", file=out)


def print_rewrites(rewrites: Sequence[Rewrite], limit: int, out: TextIO) -> None:
    if not rewrites:
        return
    print(f"the upgrade rewrote or derived {plural(len(rewrites), 'slug')}:", file=out)
    print_problems(rewrites, limit, out)


def print_foreign(foreign: Foreign, limit: int, out: TextIO) -> None:
    """What was repaired, converted and left behind of another program's files."""
    if foreign.repairs:
        print(f"repaired {plural(len(foreign.repairs), 'value')}:", file=out)
        print_problems(foreign.repairs, limit, out)
    if foreign.conversions:
        print("converted by the mapping's rules:", file=out)
        print_problems(foreign.conversions, limit, out)
    if foreign.left_behind:
        print("left behind (no place in the format):", file=out)
        print_problems(foreign.left_behind, limit, out)


def describe_format(version: str | None, upgraded_to: str | None, foreign: Foreign) -> str:
    said = foreign.source_format or f"format {version or '?'}"
    return f"{said}, upgraded to {upgraded_to}" if upgraded_to else said


def print_validation(
    report: ValidationReport, limit: int, out: TextIO, asked: Sequence[str] = ()
) -> None:
    what = (
        f"{report.kind}, {describe_format(report.version, report.upgraded_to, report.foreign)}, "
        f"{plural(report.files, 'file')}, {plural(report.records, 'record')}"
    )
    print_rewrites(report.rewrites, limit, out)
    print_foreign(report.foreign, limit, out)
    if report.passed_over:
        print(f"extension data {report.passed_over.describe()}", file=out)
    if report.ok:
        print(f"{report.source}: valid ({what})", file=out)
        return
    print(f"{report.source}: {plural(len(report.problems), 'problem')} ({what})", file=out)
    print_problems(report.problems, limit, out)
    left = repairs_left(asked) if report.foreign.source_format else ()
    if left:
        print(
            "bake-tracker's real data often breaks a rule that an opt-in repair mends, "
            f"reported value by value: --repair {' / '.join(left)} (or --repair all)",
            file=out,
        )
    if report.exceptions:
        print(
            f"its export listed {plural(len(report.exceptions), 'exception')}: records the "
            "database held although the format refuses them; bakery-io import "
            "--accept-exceptions restores them as found",
            file=out,
        )


def print_load(report: LoadReport, limit: int, out: TextIO) -> None:
    width = max((len(name) for name in report.counts), default=0)
    columns = ("created", "unchanged", "skipped", "updated")
    print(f"  {'':<{width}}  " + "  ".join(f"{name:>9}" for name in columns), file=out)
    for name, counts in [*report.counts.items(), ("total", report.total)]:
        numbers = counts.to_dict()
        print(f"  {name:<{width}}  " + "  ".join(f"{numbers[c]:>9,}" for c in columns), file=out)
    if report.conflicts:
        print(f"{plural(len(report.conflicts), 'record')} differed from the database:", file=out)
        print_problems(report.conflicts, limit, out)
    print_rewrites(report.rewrites, limit, out)
    print_foreign(report.foreign, limit, out)
    if report.passed_over:
        print(f"extension data {report.passed_over.describe()}", file=out)
    if report.exceptions:
        listed = plural(len(report.exceptions), "exception")
        print(f"restored as found, as the backup lists them ({listed}):", file=out)
        print_problems(report.exceptions, limit, out)
    total = report.total
    verb = "would load" if report.dry_run else "loaded"
    upgraded = (
        f" ({describe_format(report.version, report.upgraded_to, report.foreign)})"
        if report.upgraded_to
        else ""
    )
    print(
        f"{report.source}{upgraded}: {verb} {total.total:,} records: {total.created:,} created, "
        f"{total.updated:,} updated, {total.unchanged:,} unchanged, {total.skipped:,} skipped"
        f"{' (dry run: nothing was written)' if report.dry_run else ''}",
        file=out,
    )


def print_manifest(manifest: Manifest, target: str, out: TextIO, limit: int = 50) -> None:
    width = max((len(entry.entity_type) for entry in manifest.files), default=0)
    for entry in manifest.files:
        print(f"  {entry.filename:<{width + 8}}  {entry.record_count:>9,}", file=out)
    print(
        f"{target}: wrote {plural(manifest.record_count, 'record')} of "
        f"{plural(len(manifest.files), 'entity type')} (format {manifest.version})",
        file=out,
    )
    warn_exceptions(manifest, limit)


def warn_exceptions(manifest: Manifest, limit: int) -> None:
    """Warn, on standard error, of the records an export wrote that the import refuses."""
    if manifest.exceptions:
        count = len(manifest.exceptions)
        print(
            f"warning: {plural(count, 'problem')} in records the import refuses: written as "
            "the database holds them and listed in the backup; restore them with "
            "bakery-io import --accept-exceptions",
            file=sys.stderr,
        )
        print_problems(manifest.exceptions, limit, sys.stderr)


def print_summary(summary: BackupSummary, limit: int, out: TextIO) -> None:
    """What a backup holds: what it is, then one line per entity type, then the verdict."""
    facts = [summary.kind, f"format {summary.version or '?'}"]
    if summary.producer:
        facts.append(f"written by {summary.producer}")
    if summary.exported_at:
        facts.append(f"exported at {summary.exported_at}")
    print(f"{summary.source}: {', '.join(facts)}", file=out)
    width = max((len(entry.filename) for entry in summary.files), default=0)
    types = max((len(entry.entity_type or "?") for entry in summary.files), default=0)
    for entry in summary.files:
        records = "?" if entry.records is None else f"{entry.records:,}"
        line = f"  {entry.filename:<{width}}  {entry.entity_type or '?':<{types}}  {records:>9}"
        print(f"{line}  {_CHECKSUMS[entry.checksum]}".rstrip(), file=out)
    scope = (
        f"partial backup, {plural(len(summary.missing), 'entity type')} not held"
        if summary.partial
        else "full backup"
        if summary.files and summary.kind != "entity file"
        else summary.kind
    )
    held = len({entry.entity_type for entry in summary.files})
    print(
        f"{plural(summary.records, 'record')} of {plural(held, 'entity type')} ({scope})",
        file=out,
    )
    if summary.exceptions:
        print(f"its export listed {plural(summary.exceptions, 'exception')}", file=out)
    verified = sum(entry.checksum == "ok" for entry in summary.files)
    if summary.ok:
        said = f"{plural(verified, 'checksum')} verified" if verified else "no checksums to verify"
        print(f"{summary.source}: {said}", file=out)
        return
    print(f"{summary.source}: {plural(len(summary.problems), 'problem')}", file=out)
    print_problems(summary.problems, limit, out)


#: How a file's checksum reads in the listing.
_CHECKSUMS = {
    "ok": "checksum ok",
    "mismatch": "CHECKSUM MISMATCH",
    "missing": "MISSING",
    "unlisted": "not in the manifest",
    "unreadable": "UNREADABLE",
    "none": "",
}
