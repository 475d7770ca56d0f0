"""Background jobs: work that can take more than a few tens of milliseconds runs
outside the request, so the students' ordinary drags never queue behind it.

Dash background callbacks (``background=True``). Embedded by default: Dash's
``DiskcacheManager``, each job in a process of its own, its progress and result
passing through a ``diskcache`` folder (``jobs`` in the project's cache
folder, see :func:`visualizer.server.cache.root`), created on first use; nothing to
start. With ``REDIS_URL`` set: Dash's ``CeleryManager`` on Redis, the jobs run
by Celery workers (``celery -A app.celery_app worker``), so several app
servers share one queue (and, see :mod:`visualizer.server.cache`, one results cache).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from visualizer.server import cache

EXPIRE_SECONDS = 600
"""How long a finished job's result is kept for the page to fetch."""
TIME_LIMIT_SECONDS = 120
"""A Celery job still running after this long is stopped."""


def redis_url() -> str | None:
    """``REDIS_URL`` if set: then jobs and results go through Redis."""
    return os.environ.get("REDIS_URL") or None


@functools.cache
def celery_app() -> Any:
    """The Celery app of the jobs (``REDIS_URL`` as broker and result backend)."""
    from celery import Celery

    url = redis_url()
    if not url:
        raise RuntimeError("Celery needs REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0")
    app = Celery("optimizer-visualizer", broker=url, backend=url)
    app.conf.update(result_expires=EXPIRE_SECONDS, task_time_limit=TIME_LIMIT_SECONDS,
                    broker_connection_retry_on_startup=True)
    return app


@functools.cache
def manager() -> Any:
    """The app's background-callback manager (one per process)."""
    if redis_url():
        from dash import CeleryManager

        return CeleryManager(celery_app(), expire=EXPIRE_SECONDS)
    import diskcache
    from dash import DiskcacheManager

    return DiskcacheManager(diskcache.Cache(str(cache.root() / "jobs")), expire=EXPIRE_SECONDS)
