"""Optimizer visualizer: ``python app.py`` serves it on http://127.0.0.1:8050.

For a class: ``python scripts/serve.py --host 0.0.0.0`` (nginx in front of gunicorn
workers on 127.0.0.1: see the README).
"""

from __future__ import annotations

import os
import time

from dash import Dash

from visualizer import server as http
from visualizer import shell  # the app's frame; it loads every page and its callbacks
from visualizer.engine import compiled, optimizers
from visualizer.pages.race import api as race_api
from visualizer.pages.race import classroom, scene
from visualizer.server import classes, compress, downloads, jobs, renderer

DEBUG = bool(os.environ.get("DASH_DEBUG"))  # Dash's dev tools, for development
app = Dash(
    __name__,
    title="Optimizer visualizer",
    update_title=None,
    serve_locally=True,  # no CDN: works offline in a classroom
    # The browser checks every callback's ids against every page's body only with the
    # dev tools: the check needs that whole layout in the page (600 KB more in every
    # load, for a check no student sees). tests/test_server.py makes it on the server.
    suppress_callback_exceptions=not DEBUG,
    background_callback_manager=jobs.manager(),  # heavy scenes run as background jobs
)
app.layout = shell.build
if DEBUG:
    app.validation_layout = shell.build(every_body=True)  # every page's body, for the check
app.index_string = shell.index_string()  # the ids and page keys for the browser half
server = app.server
# With REDIS_URL set, heavy scenes run on Celery workers: celery -A app.celery_app worker
celery_app = jobs.celery_app() if jobs.redis_url() else None
http.harden(app)  # request size and shape checks; a bad request gets a 400 and one log line
race_api.runs_api(app)  # GET /api/runs?<a scene's link>
downloads.api(app)  # GET /download/KIND.csv?key=...: a CSV a background job wrote
http.health(app)  # GET /healthz: the app, its results store and its job backend
classes.routes(server, classroom)  # /class/...: class mode (a scene students follow)
renderer.install(app)  # Dash's renderer with its callback-queue walk made linear
compress.install(server)  # answers compressed; the same answer compressed once per worker


def _first_kernels() -> tuple[list[str], list[str]]:
    """The default landscape, and its kernels, the default page's optimizers first."""
    first = [r.name for r in scene.Scene().rows if r.checked]
    return [scene.Scene().landscape], [*first, "losses_and_divergence",
                                       *(n for n in optimizers.OPTIMIZERS if n not in first)]


def warm_up() -> None:
    """Load (or, on a new machine, compile) the default landscape's kernels in the
    background; the NumPy loop answers until they are ready, and every other
    landscape's are queued on its first use."""
    compiled.warm_up(*_first_kernels())


def load_now(seconds: float) -> None:
    """Load (or compile) the first kernels in this thread, one after another, for
    at most about ``seconds`` (loading from numba's cache takes about 0.1 s a
    kernel, compiling about two seconds an optimizer and under one a landscape)."""
    import landscapes

    deadline = time.monotonic() + seconds
    names, kinds = _first_kernels()
    for kind in kinds:
        if time.monotonic() > deadline:
            return
        compiled.kernel(landscapes.get(names[0]), kind, wait=True)


PRELOAD_SECONDS = 5.0
if os.environ.get("VISUALIZER_WARM_UP_AFTER_FORK"):
    # gunicorn's master, which forks its workers from this app
    # (scripts/deploy/gunicorn.conf.py): what it loads in this thread within a few
    # seconds, every worker starts with (a worker's start is then a fork, not a
    # second of loading); no compile thread may run while it forks (the child would
    # inherit its locks held). Each worker warms up the rest after its fork.
    load_now(PRELOAD_SECONDS)
else:
    warm_up()

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")),
            debug=DEBUG)
