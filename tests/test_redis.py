"""Distributed: the results cache on Redis, heavy scenes run by a Celery worker, and a class.

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

from tests.browser import (
    ARTIFACTS,
    HEADLESS_SHELL,
    TEST_ARGS,
    cache_folder_sharing_kernels,
)
from tests.test_cache import _Planted
from tests.test_classes import SCENE, many_at_once, teach

ROOT = pathlib.Path(__file__).resolve().parents[1]
PASSWORD = "class-redis-password"
SECRET = "the-class-secret"  # every app server and job worker of one class shares it
QUERY = "?landscape=booth&start=1,1&steps=200&opt=adam:lr=0.05,decay=0"
BASINS_SCENE = ("?landscape=himmelblau&start=0,0&steps=200&opt=gd:lr=0.01,decay=0"
                "&opt=adam:lr=0.01,decay=0")


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
                             "--maxmemory-policy", "volatile-lru", "--requirepass", PASSWORD],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://:{PASSWORD}@127.0.0.1:{port}/0"
    try:
        _wait(lambda: redis.Redis.from_url(url).ping(), 15, "redis-server")
        with pytest.raises(redis.AuthenticationError):  # protected, as the recipe sets it up
            redis.Redis.from_url(f"redis://127.0.0.1:{port}/0").ping()
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _env(redis_url: str, tmp: pathlib.Path) -> dict:
    return {**os.environ, "REDIS_URL": redis_url,
            "VISUALIZER_CACHE_DIR": cache_folder_sharing_kernels(tmp),
            "VISUALIZER_SECRET": SECRET}


def _values(monkeypatch, store, pattern: str) -> list:
    """The values stored under keys matching ``pattern``, opened with the class's secret."""
    from visualizer.server import cache

    monkeypatch.setenv("VISUALIZER_SECRET", SECRET)
    cache._secret.cache_clear()
    values = []
    try:
        for k in store.client.scan_iter(store.PREFIX + pattern):
            try:
                values.append(cache.unseal(k.decode().removeprefix(store.PREFIX),
                                           store.client.get(k)))
            except cache.Forged:  # sealed by another test's server, with another secret
                continue
        return values
    finally:
        monkeypatch.undo()
        cache._secret.cache_clear()


def test_a_value_planted_in_redis_never_runs(redis_url, tmp_path):
    """Anyone who can write to the class's Redis can plant a pickle at the key a
    preset is stored under (the key follows from the public source); the app
    server reads it as a miss, says so in one line, and computes the answer."""
    import pickle

    import redis

    from visualizer.server import cache

    marker = tmp_path / "ran"
    key = cache.RedisStore.PREFIX + cache.key("runs", QUERY)
    client = redis.Redis.from_url(redis_url)
    client.set(key, pickle.dumps(_Planted(str(marker))))
    client.set(key.replace(":runs:", ":surface:"), b"\0" * 40 + pickle.dumps(_Planted(str(marker))))
    script = ("import json\nfrom visualizer.pages.race import callbacks\n"
              f"print(json.dumps(callbacks.scene_runs({QUERY!r})['runs'][0]['name']))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, text=True, capture_output=True,
                         env=_env(redis_url, tmp_path / "app"), check=True)
    assert json.loads(out.stdout) == "adam" and not marker.exists()
    assert "is not this server's" in out.stderr and "Traceback" not in out.stderr
    # the answer computed replaced the planted value, sealed with the class's secret
    assert client.get(key) != pickle.dumps(_Planted(str(marker)))


def test_a_server_with_another_secret_does_not_trust_the_stored_values(redis_url, tmp_path):
    script = (
        "import json, sys\n"
        "from visualizer.pages.race import callbacks\n"
        "calls = []\nreal = callbacks._rerun\n"
        "callbacks._rerun = lambda *a, **k: calls.append(1) or real(*a, **k)\n"
        f"callbacks.scene_runs({QUERY!r}.replace('1,1', '1,0.5'))\n"
        "print(len(calls))\n")
    counts = []
    for secret in ("one", "one", "another"):
        env = {**_env(redis_url, tmp_path / secret), "VISUALIZER_SECRET": secret}
        counts.append(int(subprocess.run([sys.executable, "-c", script], cwd=ROOT, text=True,
                                         capture_output=True, env=env, check=True).stdout))
    assert counts == [1, 0, 1]  # computed, read back by a server of the class, not trusted by another


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
        redis_url, tmp_path, monkeypatch):
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
                 + "&start=-1,1&steps=3000&opt=adam:lr=0.01,decay=0&opt=gd:lr=0.01,decay=0")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=HEADLESS_SHELL, args=TEST_ARGS)
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
        values = _values(monkeypatch, store, "*:runs:*")
        job = next(v for v in values if v["landscape"].startswith("formula:") and v["steps"] == 3000)
        embedded = callbacks._scene_runs(job["query"])
        assert json.dumps(embedded, sort_keys=True) == json.dumps(job, sort_keys=True)
        # the basin map the worker stored equals the one computed here, cell for cell
        import numpy as np

        from visualizer.pages import basins

        stored = _values(monkeypatch, store, "*:basins:*")
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


@pytest.mark.parametrize("name", ["test_a_clients_newer_job_replaces_its_older_one",
                                  "test_jobs_beyond_the_slots_wait_in_arrival_order_one_per_client",
                                  "test_a_dead_jobs_place_is_freed"])
def test_the_job_queue_on_redis_admits_as_on_disk(redis_url, monkeypatch, name):
    """With Redis (Celery's jobs, several machines), the queue is the same board
    kept in Redis: one job per client (the newest wins), the others in arrival
    order behind the slots, a dead job's place freed; test_jobs's own checks,
    run against it."""
    import inspect

    import redis

    from tests import test_jobs
    from visualizer.server import jobs

    store = redis.Redis.from_url(redis_url)
    store.delete(jobs.Board.KEY)
    board = jobs.Board(store)
    monkeypatch.setattr(jobs, "board", lambda: board)
    check = getattr(test_jobs, name)
    check(*([monkeypatch] if inspect.signature(check).parameters else []))
    assert store.get(jobs.Board.KEY) is not None  # it was Redis that held the queue


def test_a_class_on_redis_works_across_app_servers(redis_url, monkeypatch):
    """Two app servers (two stores, as two machines would have) on one Redis: a class
    made on one is driven and followed on the other, and nothing is lost."""
    import app
    from visualizer.server import classes

    monkeypatch.setenv("REDIS_URL", redis_url)
    classes.use_folder(None)
    monkeypatch.setattr(classes, "_writes", classes._Rate(10_000))
    client = app.server.test_client()
    code, secret = teach(client)
    assert isinstance(classes.store(), classes.RedisStore)
    other = classes.RedisStore(redis_url)  # the other machine's handle
    assert other.read(code)["code"] == code
    tag = client.get(f"/class/{code}").headers["ETag"]
    client.post(f"/class/{code}/scene", headers=secret, json={"query": SCENE, "play": None})
    assert other.read(code)["scene"] == SCENE
    assert client.get(f"/class/{code}", headers={"If-None-Match": tag}).status_code == 200
    many_at_once(lambda: classes.RedisStore(redis_url))
    assert [other.count(f"{code}:runs:9", 2, 60) for _ in range(3)] == [True, True, False]
    import redis

    raw = redis.Redis.from_url(redis_url)
    # stored as JSON, never pickles; no key expires in Redis (the app ends classes)
    for k in raw.scan_iter(match=classes.RedisStore.PREFIX + "*"):
        kind = raw.type(k).decode()
        value = raw.get(k) if kind == "string" else next(iter(raw.hgetall(k).values()))
        json.loads(value)  # JSON (a number, a list or an object), never a pickle
        assert raw.ttl(k) == -1
    client.delete(f"/class/{code}", headers=secret)
    assert other.read(code) is None
