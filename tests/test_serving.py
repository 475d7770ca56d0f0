"""The documented class setup, started with its one command (``scripts/serve.py``):
nginx in front of gunicorn on 127.0.0.1, with ``--redis`` a password-protected
Redis and a Celery worker. Slow clients cannot hold the workers, bad input gets a
4xx, ``/healthz`` says what answers, and a stop is quick and leaves nothing behind.

These need Debian's nginx and redis-server (``scripts/test.sh`` installs them);
without them they fail, they do not skip. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import psutil
import pytest

from scripts.serve import free_port
from tests.browser import cache_folder_sharing_kernels

ROOT = pathlib.Path(__file__).resolve().parents[1]
STACK_WORKERS = 2  # whatever the machine's cores: the tests' stack stays small


class Stack:
    """``python scripts/serve.py`` on a free port, until stopped."""

    def __init__(self, tmp: pathlib.Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run = tmp / "run"
        self.log = open(tmp / "serve.log", "w")  # noqa: SIM115
        env = {**os.environ, "VISUALIZER_CACHE_DIR": cache_folder_sharing_kernels(tmp / "cache")}
        self.proc = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "--host", "127.0.0.1", "--port", str(self.port),
             "--run-dir", str(self.run), "--workers", str(STACK_WORKERS), *extra],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("serve.py stopped: " + (tmp / "serve.log").read_text())
            if "Serving on" in (tmp / "serve.log").read_text():
                return
            time.sleep(0.2)
        raise AssertionError("serve.py did not come up in 120 s")

    def stop(self) -> tuple[float, list[int]]:
        """SIGTERM to serve.py: the seconds until it and every process of the stack are
        gone, and the processes still there after 30 s (none, or the test fails)."""
        tree = [self.proc.pid, *(c.pid for c in psutil.Process(self.proc.pid).children(
            recursive=True))]
        t = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                  for pid in tree):
            if time.perf_counter() - t > 30:
                break
            time.sleep(0.05)
        self.log.close()
        return time.perf_counter() - t, [pid for pid in tree if psutil.pid_exists(pid)
                                         and psutil.Process(pid).status() != "zombie"]


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack"))
    yield s
    s.stop()


def test_the_stack_answers_through_nginx_and_says_what_answers(stack):
    status, body = get(stack.url + "/healthz")
    assert status == 200 and json.loads(body) == {"app": "ok", "store": "disk", "jobs": "processes"}
    status, page = get(stack.url + "/")
    assert status == 200 and b"Optimizer visualizer" in page
    status, body = get(stack.url + "/api/runs?landscape=booth&start=1,1&steps=50&opt=adam")
    assert status == 200 and json.loads(body)["runs"][0]["name"] == "adam"


def _post_status(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (ConnectionError, urllib.error.URLError):
        return 413  # nginx may close the connection while the body is still being sent


def test_bad_requests_get_a_4xx_through_the_proxy(stack):
    assert _post_status(stack.url + "/_dash-update-component", b"[" * 100_000) == 400
    assert _post_status(stack.url + "/_dash-update-component", b"x" * 3_000_000) == 413
    assert get(stack.url + "/_dash-component-suites/nope/x.v1m1.js")[0] == 404


def _slow_client(port: int, stop: threading.Event, opened: list) -> None:
    """A client that sends its request one header byte every second."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    opened.append(s)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    while not stop.is_set():
        try:
            s.sendall(b"X")
        except OSError:
            return
        stop.wait(1.0)


def test_slow_clients_cannot_hold_the_workers(stack):
    """Sixteen sockets trickling a header (eight per sync worker) while a student
    asks for pages: every probe is answered, promptly."""
    stop, opened = threading.Event(), []
    threads = [threading.Thread(target=_slow_client, args=(stack.port, stop, opened), daemon=True)
               for _ in range(16)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        times = []
        for i in range(15):
            t = time.perf_counter()
            status, _ = get(stack.url + f"/api/runs?landscape=booth&start=1,{i / 10}&steps=50"
                                        "&opt=adam", timeout=10)
            times.append(time.perf_counter() - t)
            assert status == 200
            time.sleep(0.2)
        assert max(times) < 2.0, times
    finally:
        stop.set()
        for s in opened:
            s.close()


def _previews(port: int, source: str, seconds: float, statuses: list[int]) -> None:
    """Previews (the paths following a dragged dot) back to back from ``source``, as
    fast as they are answered, for ``seconds``."""
    import http.client

    end, k = time.time() + seconds, 0
    while time.time() < end:
        k += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                          source_address=(source, 0))
        conn.request("GET", f"/api/runs?landscape=booth&start=1,{k % 97 / 50}&steps=50"
                            "&opt=adam&preview=1")
        statuses.append(conn.getresponse().status)
        conn.close()


def test_the_proxy_sheds_a_class_s_surplus_previews_not_its_other_requests(stack):
    """Twenty students dragging at once, each from an address of its own: nginx
    answers what is over the class's preview rate 429 at once (the page then
    waits, assets/map.js), and the same runs asked for without ``preview`` (as a
    script or a drop asks) are all answered."""
    from scripts.serve import preview_rate

    seconds, statuses, plain = 3.0, [], []
    threads = [threading.Thread(target=_previews, args=(stack.port, f"127.0.1.{i + 2}", seconds,
                                                        statuses)) for i in range(20)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        plain.append(get(stack.url + f"/api/runs?landscape=booth&start=1,{len(plain) / 50}"
                                     "&steps=50&opt=adam")[0])
        time.sleep(0.02)  # within the proxy's 60 requests a second for one address
    answered, shed = statuses.count(200), statuses.count(429)
    assert set(statuses) <= {200, 429} and shed > 0, (answered, shed)
    rate = preview_rate(STACK_WORKERS)
    assert answered <= rate * (seconds + 0.5) + rate // 4, (answered, shed)
    assert plain and set(plain) == {200}, plain
    one: list[int] = []  # one student alone, faster than the page's own pace
    _previews(stack.port, "127.0.1.200", 1.0, one)
    assert 429 in one and one.count(200) <= 20 + 5 + 2, one


def test_the_stack_stops_in_under_5_s_and_leaves_nothing(tmp_path):
    stack = Stack(tmp_path)
    assert get(stack.url + "/healthz")[0] == 200
    seconds, left = stack.stop()
    assert seconds < 5.0 and left == []


def test_with_redis_the_store_is_protected_and_jobs_go_to_celery(tmp_path):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    stack = Stack(tmp_path, "--redis")
    try:
        status, body = get(stack.url + "/healthz")
        assert status == 200 and json.loads(body) == {"app": "ok", "store": "redis",
                                                     "jobs": "celery"}
        conf = (stack.run / "redis.conf").read_text()
        assert "bind 127.0.0.1" in conf and "requirepass " in conf
        assert oct((stack.run / "redis.conf").stat().st_mode & 0o777) == "0o600"
        port = int(next(line.split()[1] for line in conf.splitlines() if line.startswith("port")))
        with pytest.raises(redis.AuthenticationError):  # asked once: redis-py's default
            # retries (with back-off) a refused password: seconds of sleeping, same answer
            redis.Redis(host="127.0.0.1", port=port, retry=Retry(NoBackoff(), 0)).ping()
    finally:
        seconds, left = stack.stop()
    assert seconds < 5.0 and left == []
