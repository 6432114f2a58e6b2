"""Format versions of bakery_io files.

:data:`CURRENT_VERSION` is what ``dump_all`` writes. Files of older versions
are upgraded to it by the ordered chain of steps in this package before they
are loaded.
"""

from __future__ import annotations

#: The format version this library writes.
CURRENT_VERSION = "1.1"
