"""``python -m visualizer``: see :mod:`visualizer.cli`."""

import sys

from visualizer.cli import main

sys.exit(main())
