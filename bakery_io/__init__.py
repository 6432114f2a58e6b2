"""bakery_io: schema-first JSON backup, exchange and restore of bakery planning data.

The public API is what this module exports; everything else may change.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from bakery_io.database import create_schema, drop_schema, engine_from_url
from bakery_io.dump import dump_all, dump_history
from bakery_io.errors import (
    BakeryIOError,
    DatabaseStateError,
    SourceError,
    StorageError,
    UsageError,
)
from bakery_io.load import EntityCounts, LoadReport, load_all
from bakery_io.manifest import FileEntry, Manifest
from bakery_io.problems import Problem
from bakery_io.registry import REGISTRY
from bakery_io.sample import SampleReport, generate_sample
from bakery_io.upgrades import UpgradeReport, upgrade
from bakery_io.validation import ValidationReport, validate
from bakery_io.versions.backup import Rewrite

try:
    __version__ = version("bakery-io")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# A library logs, the application decides where it goes.
logging.getLogger("bakery_io").addHandler(logging.NullHandler())

__all__ = [
    "REGISTRY",
    "BakeryIOError",
    "DatabaseStateError",
    "EntityCounts",
    "FileEntry",
    "LoadReport",
    "Manifest",
    "Problem",
    "Rewrite",
    "SampleReport",
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
    "engine_from_url",
    "generate_sample",
    "load_all",
    "upgrade",
    "validate",
]
