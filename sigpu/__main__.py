"""``python -m sigpu``: the same as the ``sigpu`` command."""

import sys

from .cli import main

sys.exit(main())
