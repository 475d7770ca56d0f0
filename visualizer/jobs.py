"""Background jobs: work that can take more than a few tens of milliseconds runs
outside the request, so the students' ordinary drags never queue behind it.

Dash background callbacks (``background=True``) with its ``DiskcacheManager``:
each job runs in a process of its own, its progress and result pass through a
``diskcache`` folder (``jobs`` in the project's cache folder, see
:func:`visualizer.cache.root`), created on first use. Nothing to start.
"""

from __future__ import annotations

import functools
from typing import Any

from visualizer import cache

EXPIRE_SECONDS = 600
"""How long a finished job's result is kept for the page to fetch."""


@functools.cache
def manager() -> Any:
    """The app's background-callback manager (one per process)."""
    import diskcache
    from dash import DiskcacheManager

    return DiskcacheManager(diskcache.Cache(str(cache.root() / "jobs")), expire=EXPIRE_SECONDS)
