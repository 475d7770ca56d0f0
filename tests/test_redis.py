"""Distributed: the results cache on Redis, and heavy scenes run by a Celery worker.

A real ``redis-server`` (Debian's package; ``scripts/test.sh`` installs it) on
loopback and a real Celery worker, started and stopped here. Without
redis-server these tests fail; they do not skip.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ROOT = pathlib.Path(__file__).resolve().parents[1]
QUERY = "?landscape=booth&start=1,1&steps=200&opt=adam:lr=0.05,decay=0.0"
BASINS_SCENE = ("?landscape=himmelblau&start=0,0&steps=200&opt=gd:lr=0.01,decay=0.0"
                "&opt=adam:lr=0.01,decay=0.0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001  (not up yet)
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {seconds:g} s")


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: bash scripts/test.sh installs Debian's redis-server")
    import redis

    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--maxmemory", "64mb",
                             "--maxmemory-policy", "allkeys-lru"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(lambda: redis.Redis.from_url(url).ping(), 15, "redis-server")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _env(redis_url: str, tmp: pathlib.Path) -> dict:
    return {**os.environ, "REDIS_URL": redis_url, "VISUALIZER_CACHE_DIR": str(tmp)}


def test_the_results_cache_on_redis_is_shared_between_processes(redis_url, tmp_path):
    script = (
        "import json, sys\n"
        "from visualizer.server import cache\nfrom visualizer.pages.race import callbacks\n"
        "assert type(cache.store()).__name__ == 'RedisStore'\n"
        "if sys.argv[1] == 'second':\n"
        "    def refuse(*a, **k): raise AssertionError('computed again')\n"
        "    callbacks._rerun = refuse\n"
        f"print(json.dumps(callbacks.scene_runs({QUERY!r}), sort_keys=True))\n"
    )
    # different cache folders: only Redis is in common
    first, second = (subprocess.run([sys.executable, "-c", script, which], cwd=ROOT, text=True,
                                    env=_env(redis_url, tmp_path / which), capture_output=True,
                                    check=True).stdout for which in ("first", "second"))
    assert first == second and json.loads(first)["runs"][0]["name"] == "adam"


@pytest.mark.browser
def test_a_heavy_scene_and_a_basin_map_run_on_a_celery_worker_and_equal_the_embedded_result(
        redis_url, tmp_path):
    env = _env(redis_url, tmp_path)
    log = open(tmp_path / "celery.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "app.celery_app", "worker",
                               "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT,
                              env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait(lambda: urllib.request.urlopen(url, timeout=5).status == 200, 60, "the app")
        _wait(lambda: "ready" in (tmp_path / "celery.log").read_text(), 60, "the Celery worker")
        text = "x"
        for i in range(8):  # checked on its grid in about 0.06 s: well inside the 1 s limit
            text = f"sin({'x' if i % 2 else 'y'}*{text})"
        query = ("?landscape=" + quote(f"formula:-5,5,-5,5:{text}", safe=":,")
                 + "&start=-1,1&steps=3000&opt=adam:lr=0.01,decay=0.0&opt=gd:lr=0.01,decay=0.0")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url + query)
            page.wait_for_function(
                "() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                " return gd && gd.data && gd.data.filter(t => t.mode === 'lines').length === 2; }",
                timeout=60000)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "20-celery-job.png"))
            jobs_before = (tmp_path / "celery.log").read_text().count("succeeded")
            # a basin map, computed by the worker
            page.goto(url + "?page=basins&grid=40&" + BASINS_SCENE.lstrip("?"))
            page.wait_for_function(
                "() => (document.getElementById('basins-note') || {}).innerText"
                " && document.getElementById('basins-note').innerText.startsWith('Share of the 1,600')",
                timeout=60000)
            page.screenshot(path=str(ARTIFACTS / "20b-celery-basins.png"))
            browser.close()
        assert "succeeded" in (tmp_path / "celery.log").read_text()  # the worker ran the job
        assert (tmp_path / "celery.log").read_text().count("succeeded") > jobs_before  # and the map
        # what the worker stored for the class equals the embedded computation
        from visualizer.pages.race import callbacks
        from visualizer.server import cache

        store = cache.RedisStore(redis_url)
        values = [store.get(k.decode().removeprefix(store.PREFIX))
                  for k in store.client.scan_iter(store.PREFIX + "*:runs:*")]
        job = next(v for v in values if v["landscape"].startswith("formula:") and v["steps"] == 3000)
        embedded = callbacks._scene_runs(job["query"])
        assert json.dumps(embedded, sort_keys=True) == json.dumps(job, sort_keys=True)
        # the basin map the worker stored equals the one computed here, cell for cell
        import numpy as np

        from visualizer.pages import basins

        stored = [store.get(k.decode().removeprefix(store.PREFIX))
                  for k in store.client.scan_iter(store.PREFIX + "*:basins:*")]
        assert len(stored) == 1
        here = basins.compute(BASINS_SCENE, 40)
        for field in ("final", "loss", "outcome", "epochs", "diverged_at"):
            np.testing.assert_array_equal(getattr(stored[0]["result"], field),
                                          getattr(here["result"], field))
    finally:
        server.terminate()
        worker.terminate()
        server.wait(20)
        worker.wait(20)
        log.close()
