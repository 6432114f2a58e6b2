"""``python -m bakery_io``: the same as the ``bakery-io`` command."""

import sys

from bakery_io.cli import main

sys.exit(main())
