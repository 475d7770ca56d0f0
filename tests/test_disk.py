"""The SQLite stores across the fork that starts a job (visualizer/server/disk.py).

Each failure is set up as it happened in the app, outside it: a process forked from
one that has the store open, while the parent's threads use the store.
"""

from __future__ import annotations

import gc
import threading
import time

import diskcache
import multiprocess
import pytest

from visualizer.server import cache, classes, disk, jobs


def _in_thread(fn) -> None:
    t = threading.Thread(target=fn)
    t.start()
    t.join()


def _child_stores(folder: str, key: str, conn) -> None:
    """A job: its own store on the folder, a value written once the parent's request
    thread has ended, read back."""
    mine = diskcache.Cache(folder)
    mine.get("x")
    conn.send("open")
    if conn.poll(30):
        conn.recv()
    mine.set(key, b"the view")
    conn.send(key in mine)


def _fresh_has(folder: str, key: str) -> bool:
    fresh = diskcache.Cache(folder)
    try:
        return key in fresh
    finally:
        fresh.close()


def _writes_lost(make, tmp_path, times: int) -> int:
    """How many of ``times`` children's writes the parent never sees, when the store
    (made by ``make``) is used by the parent only from request threads that end."""
    folder = str(tmp_path)
    made = {}
    _in_thread(lambda: made.setdefault("store", make(folder)).get("x"))
    store = made["store"]
    gc.collect()  # the constructing thread's connection is gone
    lost = 0
    for n in range(times):
        here, there = multiprocess.Pipe()
        request = threading.Thread(target=lambda: (store.get("x"), time.sleep(0.1)))
        request.start()  # a request in flight (its connection open) when the job forks
        time.sleep(0.02)
        child = multiprocess.Process(target=_child_stores, args=(folder, f"k{n}", there))
        child.start()
        assert here.poll(30) and here.recv() == "open"
        request.join()
        gc.collect()  # its connection closes: the parent's last, but for a keeper
        here.send("closed")
        assert here.poll(30), "the child did not answer"
        child_saw = here.recv()
        child.join(10)
        seen: dict = {}
        _in_thread(lambda key=f"k{n}", into=seen: into.update(it=_fresh_has(folder, key)))
        gc.collect()
        assert child_saw, "the child could not read back its own write"
        lost += not seen["it"]
    return lost


def test_a_jobs_write_survives_the_worker_closing_its_last_connection(tmp_path):
    """SQLite folds the write-ahead log into the file and deletes it when a process's
    last connection closes and no other process holds the file; a forked child took the
    parent's lock for its own, so its write went to the deleted log (the page's "the
    class's cache did not keep it"). A store from ``disk`` keeps a connection open."""
    assert _writes_lost(disk.Cache, tmp_path / "kept", 4) == 0
    # the same steps on a plain diskcache store lose every write: what this guards against
    assert _writes_lost(diskcache.Cache, tmp_path / "plain", 2) == 2


def _child_writes(folder: str, key: str, conn) -> None:
    store = diskcache.Cache(folder, timeout=5)
    store.set(key, b"x" * 100_000)
    conn.send(key in store)


def test_jobs_forked_in_quiet_beside_busy_threads_never_hang_and_their_writes_land(tmp_path):
    """Two threads read and write the store without pause; each fork waits in
    ``disk.quiet`` for their calls in flight to end. Forked without it, 3 children in 20
    waited for ever on a mutex held by a thread they do not have."""
    folder = str(tmp_path)
    store = disk.Cache(folder, timeout=5)
    stop = threading.Event()

    def busy(i: int) -> None:
        n = 0
        while not stop.is_set():
            store.get(f"r{i}{n % 5}")
            n += 1
            if n % 20 == 0:
                store.set(f"r{i}{n % 5}", b"y" * 70_000)

    threads = [threading.Thread(target=busy, args=(i,), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    try:
        for n in range(10):
            here, there = multiprocess.Pipe()
            child = multiprocess.Process(target=_child_writes, args=(folder, f"k{n}", there))
            with disk.quiet():
                child.start()
            if not here.poll(15):
                child.kill()
                pytest.fail(f"fork {n + 1}: the child hung on its first store call")
            assert here.recv()
            child.join(10)
            assert f"k{n}" in store
    finally:
        stop.set()
        for t in threads:
            t.join()


def test_the_gate_lets_a_fork_wait_for_calls_in_flight_and_holds_new_ones_back():
    gate = disk.Gate()
    order: list[str] = []
    inside = threading.Event()

    def reader() -> None:
        with gate.shared():
            with gate.shared():  # re-entrant, even with a fork waiting
                inside.set()
                time.sleep(0.2)
                order.append("call ends")

    t = threading.Thread(target=reader)
    t.start()
    inside.wait(5)
    with gate.alone():
        order.append("fork")
        late = threading.Thread(target=lambda: (gate.shared().__enter__(), order.append("late call")))
        late.start()
        time.sleep(0.1)
        assert "late call" not in order  # held back while the fork runs
    late.join(5)
    t.join()
    assert order == ["call ends", "fork", "late call"]


def test_every_store_the_app_opens_is_the_fork_safe_one(tmp_path, monkeypatch):
    assert isinstance(cache.store(), disk.Cache)
    monkeypatch.setattr(jobs, "_folder", tmp_path / "jobs")
    (tmp_path / "jobs").mkdir(mode=0o700)
    assert isinstance(jobs.manager().handle, disk.Cache)
    assert isinstance(classes.DiskStore(str(tmp_path / "classes")).cache, disk.Cache)


def test_a_job_is_forked_inside_quiet(tmp_path, monkeypatch):
    """The manager forks each job with the stores held quiet."""
    monkeypatch.setattr(jobs, "_folder", tmp_path / "jobs")
    (tmp_path / "jobs").mkdir(mode=0o700)
    seen = []
    real = disk.quiet

    def watched():
        seen.append("quiet")
        return real()

    monkeypatch.setattr(disk, "quiet", watched)
    manager = jobs.manager()
    pid = manager.call_job_fn("k", lambda *args: None, (), {})
    manager.terminate_job(pid)
    assert seen == ["quiet"]
