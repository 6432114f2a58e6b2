"""What the command line's help says of the library, known without importing it.

``bakery-io --help`` and ``--version`` answer before SQLAlchemy and marshmallow are
imported, which takes most of a second: these facts are derived in modules that import
both, so the parser holds copies of them, each held equal to its source by
``tests/test_import_cost.py``. The repairs' names have a light home of their own
(:mod:`bakery_io.repair_names`); the entity types are looked up when ``--entities`` is
given, as the command then needs the library anyway.
"""

from __future__ import annotations

#: :data:`bakery_io.versions.VERSIONS`: every format version read, oldest first.
VERSIONS = ("1.0", "1.1")
#: :data:`bakery_io.versions.CURRENT_VERSION`: the format version written.
CURRENT_VERSION = VERSIONS[-1]
#: :data:`bakery_io.format.json_schemas.GENERATED`: the versions ``schemas`` writes.
GENERATED = ("1.0", "1.1")
#: :data:`bakery_io.resolution.CONFLICT_MODES`: the choices of ``--on-conflict``.
CONFLICT_MODES = ("skip", "update", "error")
