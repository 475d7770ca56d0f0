"""Serve the app to a class, in one command: nginx in front, gunicorn's workers
behind it on 127.0.0.1, and with ``--redis`` a password-protected Redis and a
Celery worker for the background jobs.

    python scripts/serve.py --host 0.0.0.0 --port 8050            # a class on this machine
    python scripts/serve.py --host 0.0.0.0 --port 8050 --redis    # jobs and cache on Redis
    REDIS_URL=redis://:PASSWORD@HOST:6379/0 VISUALIZER_SECRET=... \
        python scripts/serve.py --host 0.0.0.0                    # one of several machines

With ``REDIS_URL`` already set (several machines sharing one Redis), no Redis is
started: the app and a Celery worker use that one. Students open
``http://<this machine>:8050``. Ctrl+C (or SIGTERM) stops
everything within a few seconds and leaves no process behind. Debian's
``nginx`` (and ``redis-server`` with ``--redis``) are installed with apt-get
when missing and the script runs as root; otherwise it says what to install.
The files it writes (configurations, logs, nginx's buffers) go to
``--run-dir`` (default: ``serve`` in the project's cache folder).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "scripts" / "deploy"
STOP_SECONDS = 4.0
"""How long the processes get to stop on their own before they are killed."""


MAX_DEFAULT_WORKERS = 8
"""The most workers started by default (each holds a few hundred MB)."""
PREVIEWS_PER_WORKER = 40
"""How many previews (the paths following a dragged dot) a second each gunicorn
worker (at most one per core) is given, the class together (nginx answers the
rest 429): at about 3 ms each, about a seventh of a core, so drops and clicks
never queue behind a class's drags. A few students dragging still get the page's
full 20 a second each; 100 dragging at once on 2 cores get about 4 each (at 60,
about 6, and the class's drag p95 was 116 ms instead of 73 ms:
``benchmarks/bench_class.py`` prints both figures)."""


def default_workers() -> int:
    """gunicorn's sync workers by default: two per core, at most
    ``MAX_DEFAULT_WORKERS``. The work is CPU-bound, but a sync worker also waits
    (writing an answer to nginx, the results store, starting a job's process), and
    a second worker per core keeps the core busy meanwhile: on 2 cores, 100
    students' drag p95 went from 114 ms with 2 workers to 90 ms with 4
    (``benchmarks/bench_class.py``, 20 s each, 60 previews a second per worker)."""
    return min(2 * (os.cpu_count() or 1), MAX_DEFAULT_WORKERS)


def preview_rate(workers: int) -> int:
    """The previews a second nginx lets the whole class have (the rest get 429):
    ``PREVIEWS_PER_WORKER`` for each worker, counting at most one per core."""
    return PREVIEWS_PER_WORKER * max(1, min(workers, os.cpu_count() or 1))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _find(binary: str) -> str | None:
    for where in (shutil.which(binary), f"/usr/sbin/{binary}", f"/usr/bin/{binary}"):
        if where and os.access(where, os.X_OK):
            return where
    return None


def ensure(binary: str, package: str) -> str:
    """The path of ``binary``, installing Debian's ``package`` first if it is
    missing and we are root; SystemExit with what to do otherwise."""
    found = _find(binary)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"{binary} is missing: sudo apt-get install {package}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    found = _find(binary)
    if not found:
        raise SystemExit(f"{package} was installed but {binary} is not on the PATH")
    return found


def wait_for(check, seconds: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise SystemExit(f"{what}: a process stopped at start (exit {p.returncode}); "
                                 "see the logs in the run folder")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001  (not up yet)
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {seconds:g} s")


def nginx_config(run: pathlib.Path, host: str, port: int, app_port: int,
                 workers: int) -> pathlib.Path:
    """Write nginx's configuration for this run (its buffers in ``run``)."""
    user = ""
    if os.geteuid() == 0:  # nginx's workers drop root: give them the buffer folders
        user = "user www-data;\n" if _has_user("www-data") else "user nobody nogroup;\n"
    for sub in ("client-body", "proxy", "fastcgi", "uwsgi", "scgi"):
        folder = run / sub
        folder.mkdir(mode=0o700, exist_ok=True)
        if user:
            name = "www-data" if "www-data" in user else "nobody"
            shutil.chown(folder, user=name)
    text = (DEPLOY / "nginx.conf").read_text()
    previews = preview_rate(workers)
    for key, value in {"user": user, "run": str(run), "host": host, "port": str(port),
                       "app_port": str(app_port), "previews": str(previews),
                       "preview_burst": str(previews // 4)}.items():
        text = text.replace("{" + key + "}", value)
    path = run / "nginx.conf"
    path.write_text(text)
    return path


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def redis_config(run: pathlib.Path, port: int, password: str) -> pathlib.Path:
    """Redis on 127.0.0.1 with a password (the file is this user's only), no
    persistence, bounded memory."""
    path = run / "redis.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"bind 127.0.0.1\nport {port}\nrequirepass {password}\nprotected-mode yes\n"
                f"save \"\"\nappendonly no\nmaxmemory 256mb\nmaxmemory-policy volatile-lru\n"
                f"dir {run}\nlogfile {run}/redis.log\n")
    return path


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every process (nginx and gunicorn first), then SIGKILL to any
    still there after ``STOP_SECONDS``."""
    for p in reversed(procs):
        if p.poll() is None:
            with _quiet():
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for p in procs:
        try:
            p.wait(max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in procs:  # whatever is left, and their children (jobs)
        with _quiet():
            os.killpg(p.pid, signal.SIGKILL)
        with _quiet():
            p.wait(1)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:  # noqa: ANN001
        return kind is not None and issubclass(kind, (ProcessLookupError, PermissionError,
                                                      subprocess.TimeoutExpired))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address students reach (0.0.0.0: every interface); "
                             "default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8050, help="default 8050")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help=f"gunicorn's sync workers (default two per core: {default_workers()})")
    parser.add_argument("--redis", action="store_true",
                        help="results cache and background jobs on a local Redis (with a "
                             "password) and a Celery worker")
    parser.add_argument("--run-dir", type=pathlib.Path, default=None,
                        help="where the configurations and logs go")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from visualizer import paths

    run = args.run_dir or paths.cache_root() / "serve"
    run.mkdir(mode=0o700, parents=True, exist_ok=True)
    nginx = ensure("nginx", "nginx")
    env = {**os.environ, "VISUALIZER_WORKERS": str(args.workers),
           "VISUALIZER_APP_PORT": str(free_port())}
    procs: list[subprocess.Popen] = []

    def start(cmd: list[str], log: str) -> subprocess.Popen:
        out = open(run / log, "ab")  # noqa: SIM115  (kept open for the process's life)
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)  # its own group: stopped whole
        procs.append(p)
        return p

    stopping = []

    def on_signal(signum, frame):  # noqa: ANN001
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if args.redis:
            redis_bin = ensure("redis-server", "redis-server")
            password, port = secrets.token_hex(24), free_port()
            start([redis_bin, str(redis_config(run, port, password))], "redis-start.log")
            env["REDIS_URL"] = f"redis://:{password}@127.0.0.1:{port}/0"
            import redis

            wait_for(lambda: redis.Redis.from_url(env["REDIS_URL"]).ping(), 20, "redis-server",
                     procs)
        elif env.get("REDIS_URL") and not env.get("VISUALIZER_SECRET"):
            raise SystemExit("several machines share REDIS_URL: set the same VISUALIZER_SECRET "
                             "on each (a long random text)")
        start([sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
               "app:server"], "gunicorn.log")
        app_url = f"http://127.0.0.1:{env['VISUALIZER_APP_PORT']}/healthz"
        wait_for(lambda: urllib.request.urlopen(app_url, timeout=2).status == 200, 60,
                 "gunicorn", procs)
        if env.get("REDIS_URL"):
            start([sys.executable, "-m", "celery", "-A", "app.celery_app", "worker",
                   "--concurrency", str(max(1, (os.cpu_count() or 2) // 2)), "--loglevel",
                   "warning", "--without-gossip", "--without-mingle"], "celery.log")
        conf = nginx_config(run, args.host, args.port, int(env["VISUALIZER_APP_PORT"]),
                            args.workers)
        start([nginx, "-p", str(run), "-c", str(conf), "-g", "daemon off;"], "nginx.log")
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        front = f"http://{host}:{args.port}/healthz"
        wait_for(lambda: urllib.request.urlopen(front, timeout=2).status == 200, 20, "nginx",
                 procs)
        print(f"Serving on http://{args.host}:{args.port} (logs in {run}); Ctrl+C stops it.",
              flush=True)
        while not stopping:
            if any(p.poll() is not None for p in procs):
                print("a process of the stack stopped: stopping the rest", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        stop(procs)


if __name__ == "__main__":
    sys.exit(main())
