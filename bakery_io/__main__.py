"""``python -m bakery_io``: the same as the ``bakery-io`` command."""

import sys

from bakery_io.console import main

sys.exit(main())
