"""bakery_io: schema-first JSON backup, exchange and restore of bakery planning data.

The public API is what this module exports; everything else may change.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str

    from bakery_io.binding.database import Bind, create_schema, drop_schema, engine_from_url
    from bakery_io.binding.placement import Placement
    from bakery_io.dump import dump_all, dump_history
    from bakery_io.errors import (
        BakeryIOError,
        DatabaseStateError,
        NotFoundError,
        SourceError,
        StorageError,
        UsageError,
    )
    from bakery_io.format.extensions import Extension, PassedOver
    from bakery_io.format.manifest import FileEntry, Manifest
    from bakery_io.inspection import BackupSummary, FileSummary, inspect_backup
    from bakery_io.load import EntityCounts, LoadReport, load_all
    from bakery_io.problems import Problem
    from bakery_io.progress import Progress, ProgressCallback
    from bakery_io.records import RecordData, Selection, dump_records, dumps_records, load_records
    from bakery_io.registry import REGISTRY, Registry
    from bakery_io.repair_names import REPAIRS
    from bakery_io.resolution import ConflictMode
    from bakery_io.sample import SampleReport, generate_sample
    from bakery_io.upgrades import UpgradeReport, upgrade
    from bakery_io.validation import ValidationReport, validate
    from bakery_io.versions.backup import Conversion, Foreign, LeftBehind, Repair, Rewrite

#: Where each public name lives. They are imported when first used, so that importing
#: the package (as the command does before it can handle a Ctrl-C) costs almost nothing.
_PUBLIC = {
    "Bind": "binding.database",
    "create_schema": "binding.database",
    "drop_schema": "binding.database",
    "engine_from_url": "binding.database",
    "Placement": "binding.placement",
    "dump_all": "dump",
    "dump_history": "dump",
    "BakeryIOError": "errors",
    "DatabaseStateError": "errors",
    "NotFoundError": "errors",
    "SourceError": "errors",
    "StorageError": "errors",
    "UsageError": "errors",
    "EntityCounts": "load",
    "LoadReport": "load",
    "load_all": "load",
    "RecordData": "records",
    "Selection": "records",
    "dump_records": "records",
    "dumps_records": "records",
    "load_records": "records",
    "ConflictMode": "resolution",
    "FileEntry": "format.manifest",
    "Manifest": "format.manifest",
    "BackupSummary": "inspection",
    "FileSummary": "inspection",
    "inspect_backup": "inspection",
    "Problem": "problems",
    "Progress": "progress",
    "ProgressCallback": "progress",
    "REGISTRY": "registry",
    "Registry": "registry",
    "Extension": "format.extensions",
    "PassedOver": "format.extensions",
    "SampleReport": "sample",
    "generate_sample": "sample",
    "UpgradeReport": "upgrades",
    "upgrade": "upgrades",
    "ValidationReport": "validation",
    "validate": "validation",
    "Rewrite": "versions.backup",
    "Repair": "versions.backup",
    "Conversion": "versions.backup",
    "LeftBehind": "versions.backup",
    "Foreign": "versions.backup",
    "REPAIRS": "repair_names",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 (seldom needed)

    try:
        return version("bakery-io")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = found = _version()
        return found
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'bakery_io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bakery_io.{module}"), name)
    globals()[name] = value
    return value


# A library logs, the application decides where it goes.
logging.getLogger("bakery_io").addHandler(logging.NullHandler())

__all__ = [
    "REGISTRY",
    "REPAIRS",
    "BackupSummary",
    "BakeryIOError",
    "Bind",
    "ConflictMode",
    "Conversion",
    "DatabaseStateError",
    "EntityCounts",
    "Extension",
    "FileEntry",
    "FileSummary",
    "Foreign",
    "LeftBehind",
    "LoadReport",
    "Manifest",
    "NotFoundError",
    "PassedOver",
    "Placement",
    "Problem",
    "Progress",
    "ProgressCallback",
    "RecordData",
    "Registry",
    "Repair",
    "Rewrite",
    "SampleReport",
    "Selection",
    "SourceError",
    "StorageError",
    "UpgradeReport",
    "UsageError",
    "ValidationReport",
    "__version__",
    "create_schema",
    "drop_schema",
    "dump_all",
    "dump_history",
    "dump_records",
    "dumps_records",
    "engine_from_url",
    "generate_sample",
    "inspect_backup",
    "load_all",
    "load_records",
    "upgrade",
    "validate",
]
