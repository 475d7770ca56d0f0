"""gunicorn's settings for a class (``scripts/serve.py`` passes this file).

Sync workers (one request at a time each, the work is CPU-bound) on 127.0.0.1,
behind nginx, which buffers whole requests and answers so a slow client never
holds a worker. A stop is quick: a worker has ``graceful_timeout`` seconds to
finish its request, and its background jobs end with it.
"""

import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the project
from scripts.serve import default_workers  # noqa: E402

bind = f"127.0.0.1:{os.environ.get('VISUALIZER_APP_PORT', '8051')}"
# The master loads the app once and forks each worker from it: a worker's start
# (gunicorn renews them now and then, and all of them on a HUP) is a fork, not
# seconds of importing on a core the class needs (with 4 workers on 2 cores, a
# HUP held the class's drags up to 5 s). Code changes then need a restart, not a HUP.
preload_app = True
os.environ["VISUALIZER_WARM_UP_AFTER_FORK"] = "1"  # app.py: no compile thread in the master


def post_fork(server, worker):  # noqa: ANN001, ARG001
    """Each worker loads its kernels in its own background thread."""
    import app

    app.warm_up()


workers = int(os.environ.get("VISUALIZER_WORKERS", default_workers()))  # serve.py's --workers
worker_class = "sync"
timeout = 30  # a worker stuck this long in one request is replaced
graceful_timeout = 3  # a stop: requests in flight get this long
keepalive = 5
# A worker is renewed now and then, so memory cannot creep for ever (it is bounded
# in bytes anyway). Not often: a renewal costs a second of CPU and its kernels and
# caches, and a class of 100 makes about 200 requests a second (a drag's previews).
max_requests = 50000
max_requests_jitter = 5000
forwarded_allow_ips = "127.0.0.1"
limit_request_line = 8190
limit_request_fields = 100
accesslog = None
errorlog = "-"
loglevel = "warning"
