"""A class with a troublemaker: 30 ordinary students (as in bench_class.py) on the
documented setup (scripts/serve.py: nginx and gunicorn -w 2, on 127.0.0.1), while
one client tries, in turn, every way a shared server was found to fall. Prints,
row by row, what the server did, then the targets; asserts nothing.

    python benchmarks/bench_abuse.py [--students 30] [--workers N]

The rows (issue 18's table): a many-run job on a long formula; 20 jobs from one
client in 4 s; a job at a worker's start; 8 slow sockets; a pickle planted in the
results store; the CSV bomb (basins 400 x 400 x 14); 180 heavy requests with new
starts (memory); the estimate against the clock; the 3-D view of one scene under
20 spellings (cache flood); a changed source (stale results); a corrupt store; a
forged job request; bodies that flood the log; and last, the stop. Meanwhile a
sampler records every worker's RSS and every job process's age. Bounded: each
row stops after its own few seconds, every request after 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import pickle
import random
import signal
import socket
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import quote

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_class as bc  # noqa: E402

from tests.test_cache import _Planted  # noqa: E402  (a pickle that says if it ran)

ABUSER = "127.0.1.250"
"""The troublemaker's own address (the students have 127.0.0.2 and up)."""
FORMULA = "*".join("xy"[i % 2] for i in range(40))  # 79 characters of x*y*x*y...


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1e3 if s else float("nan")


class Sampler(threading.Thread):
    """Every 0.2 s: each worker's RSS, and each job process's age."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master, self.stop = master, threading.Event()
        self.peak_rss: dict[int, float] = defaultdict(float)
        self.oldest_job = 0.0
        self.most_jobs = 0

    def run(self) -> None:
        import psutil

        while not self.stop.wait(0.2):
            for pid in bc.worker_pids(self.master):
                try:
                    self.peak_rss[pid] = max(self.peak_rss[pid],
                                             psutil.Process(pid).memory_info().rss / 2**20)
                except psutil.Error:
                    continue
            jobs = bc.job_pids(self.master)
            self.most_jobs = max(self.most_jobs, len(jobs))
            for pid in jobs:
                try:
                    self.oldest_job = max(self.oldest_job,
                                          time.time() - psutil.Process(pid).create_time())
                except psutil.Error:
                    continue


def job_body(actions: dict, page: str, request: dict) -> tuple[str, bytes]:
    """The recorded request that starts ``page``'s job, carrying ``request`` instead."""
    for path, body in actions[page]:
        if body.get("output") == f"{page}-done.data":
            forged = json.loads(json.dumps(body))
            forged["inputs"][0]["value"] = request
            return path, json.dumps(forged).encode()
    raise SystemExit(f"no job request recorded for {page}")


def job_answer(port: int, path: str, body: bytes, seconds: float = 40) -> tuple[float, str]:
    """Start a job as the page does and follow it: (seconds, its answer's message)."""
    t = time.perf_counter()
    status, data = bc.send(port, path, body, time.time() + seconds)
    spent = time.perf_counter() - t
    if status != 200:
        return spent, f"HTTP {status}"
    try:
        done = next(iter(json.loads(data)["response"].values()))["data"]
    except (ValueError, KeyError, StopIteration, TypeError):
        return spent, data[:120].decode(errors="replace")
    return spent, (done or {}).get("error") or "computed"


def race_link(landscape: str, steps: int, optimizers: list[str], start="0,0") -> str:
    opts = "&".join(f"opt={o}:lr=0.001,decay=0" for o in optimizers)
    return f"?landscape={quote(landscape, safe=':,')}&start={start}&steps={steps}&{opts}"


ALL = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamw",
       "adamax", "nadam", "radam", "adabelief", "lion"]


def rows(port: int, master: int, actions: dict, cache_dir: pathlib.Path, log: pathlib.Path,
         say) -> None:  # noqa: ANN001
    bc._source.address = ABUSER
    formula = f"formula:-5,5,-5,5:{FORMULA}"

    # 1. a many-run job on a long formula, at the largest grid
    path, body = job_body(actions, "basins", {
        "key": "x", "race": race_link(formula, 6250, ["gd", "adam"]), "values": ["400", "outcome"]})
    spent, msg = job_answer(port, path, body)
    say("formula job (grid 400, 6,250 epochs)", f"answered in {spent:.2f} s: {msg[:110]}")

    # 2. 20 job requests from one client in 4 s
    answers = []
    threads = []
    for i in range(20):
        link = race_link("himmelblau", 1000, ["gd", "adam"], start=f"{random.uniform(-4, 4):.4f},1")
        path, body = job_body(actions, "basins", {"key": "x", "race": link,
                                                  "values": [str(100 + i), "outcome"]})
        th = threading.Thread(target=lambda p=path, b=body: (
            setattr(bc._source, "address", ABUSER), answers.append(job_answer(port, p, b))))
        th.start()
        threads.append(th)
        time.sleep(0.2)
    for th in threads:
        th.join(60)
    computed = sum(1 for _, m in answers if m == "computed")
    say("20 jobs from one client in 4 s",
        f"{computed} computed, {len(answers) - computed} gave way (newest wins); "
        f"at most {sampler.most_jobs} job processes at once on the server")

    # 3. a job at a worker's start (gunicorn renews its workers on HUP)
    import psutil

    gunicorn_master = next(p.pid for p in psutil.Process(master).children(recursive=True)
                           if "gunicorn" in bc._cmdline(p) and "gunicorn" not in bc._cmdline(
                               p.parent()))
    os.kill(gunicorn_master, signal.SIGHUP)
    time.sleep(0.5)
    path, body = job_body(actions, "sweep", {"key": "x", "race": race_link(
        "rosenbrock", 2000, ["adam", "gd"], start="-1.2,1.7"), "values": ["1e-5:1:60", "10", "cost"]})
    spent, msg = job_answer(port, path, body)
    say("a job at a worker's start", f"answered in {spent:.2f} s: {msg[:80]}")

    # 4. slow sockets
    stop, opened = threading.Event(), []
    for _ in range(8):
        threading.Thread(target=slow_socket, args=(port, stop, opened), daemon=True).start()
    before = len(errors)
    time.sleep(12)
    stop.set()
    for s in opened:
        s.close()
    say("8 slow sockets for 12 s", f"{len(errors) - before} errors for the students meanwhile")

    # 5. a pickle planted in the shared store, at a preset's key
    from visualizer.pages.race import scene
    from visualizer.server import cache

    marker = cache_dir / "planted-ran"
    link = race_link("rosenbrock", 300, ["adam"], start="-1,1.5")
    canonical = scene.runs_of(link)[4]
    import diskcache

    with diskcache.Cache(str(cache_dir / "results")) as store:
        store.set(cache.key("runs", canonical), pickle.dumps(_Planted(str(marker))))
    status, data = bc.get(port, "/api/runs" + link)
    say("a planted pickle", f"HTTP {status}, runs {len(json.loads(data)['runs'])}; "
        f"the pickle ran: {marker.exists()}")

    # 6. the CSV bomb: basins 400 x 400 x 14
    path, body = job_body(actions, "basins", {"key": "x", "race": race_link(
        "himmelblau", 10, ALL), "values": ["400", "outcome"]})
    spent, msg = job_answer(port, path, body)
    say("basins 400 x 400 x 14 optimizers", f"answered in {spent:.2f} s: {msg[:110]}")

    # 7. memory: 180 heavy requests with new starts
    rss0 = max(sampler.peak_rss.values(), default=0)
    for i in range(180):
        bc.get(port, "/api/runs" + race_link("himmelblau", 10_000, ALL,
                                             start=f"{random.uniform(-4, 4):.5f},{i / 50:.3f}"))
    say("180 requests of 14 x 10,000 with new starts",
        f"peak worker RSS {rss0:.0f} MB before, {max(sampler.peak_rss.values()):.0f} MB after")

    # 8. the estimate against the clock
    from landscapes import get as landscape
    from visualizer import engine

    for name, steps in [("ackley", 10_000), ("ackley", 3000), (formula, 600)]:
        specs = [engine.make_spec(o) for o in ALL]
        est = engine.estimate_seconds(landscape(name), len(ALL), len(ALL), steps, False)
        t = time.perf_counter()
        status, data = bc.get(port, "/api/runs" + race_link(name, steps, ALL, start="1,1"))
        spent = time.perf_counter() - t
        say(f"{name[:24]} 14 x {steps:,} on /api/runs", f"estimate {est:.2f} s (NumPy loop), "
            f"HTTP {status} in {spent:.2f} s" + (f": {json.loads(data)['error'][:70]}"
                                               if status != 200 else ""))
        del specs

    # 9. the 3-D view under 20 spellings
    surface = [(p, b) for p, b in actions["3d"] if "graph-surface" in b.get("output", "")]
    if surface:
        path, body = surface[0]
        for i in range(20):
            forged = json.loads(json.dumps(body))
            forged["inputs"][0]["value"] = f"{forged['inputs'][0]['value']}&zzz={i}"
            bc.send(port, path, json.dumps(forged).encode(), time.time() + 30)
        with diskcache.Cache(str(cache_dir / "results")) as store:
            n = sum(1 for k in store.iterkeys() if ":surface:" in str(k))
        say("3-D view under 20 spellings", f"{n} surface entries stored")

    # 10. a changed source: a new version of the cache's keys
    say("a changed source", "the cache version hashes every .py under visualizer/ and "
        f"landscapes/ (now {cache._VERSION}); tests/test_cache.py changes engine/optimizers/adam.py "
        "and formula.py and sees a new version each time")

    # 11. a corrupt store
    db = cache_dir / "results" / "cache.db"
    with open(db, "r+b") as f:
        f.write(b"\0" * 4096)
    os.kill(gunicorn_master, signal.SIGHUP)  # new workers open the store afresh
    time.sleep(3)
    codes = [bc.get(port, "/api/runs" + race_link("booth", 200, ["adam"],
                                                  start=f"1,{i / 10}"))[0] for i in range(10)]
    said = log.read_text().count("starting anew")
    say("a corrupt results store", f"answers {sorted(set(codes))}; store set aside and made "
        f"anew {said} time(s)")

    # 12. a forged job request: a sweep of 5e7 learning rates
    path, body = job_body(actions, "sweep", {"key": "x", "race": race_link(
        "himmelblau", 1000, ["adam"]), "values": ["1e-5:10:50000000", "10", "cost"]})
    spent, msg = job_answer(port, path, body)
    say("a forged sweep job (5e7 learning rates)", f"answered in {spent:.2f} s: {msg[:90]}")

    # 13. bodies that flood the log
    lines0 = len(log.read_text().splitlines())
    codes = [bc.post(port, b"[" * 100_000), bc.get(port, "/_dash-component-suites/dash/x.js")[0],
             bc.get(port, "/_dash-component-suites/../../etc/passwd")[0]]
    lines = len(log.read_text().splitlines()) - lines0
    say("deep JSON and bad asset paths", f"answers {codes}, {lines} log lines for the 3")


def slow_socket(port: int, stop: threading.Event, opened: list) -> None:
    try:
        s = socket.create_connection((bc.HOST, port), timeout=30, source_address=(ABUSER, 0))
    except OSError:
        return
    opened.append(s)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(1.0):
            s.sendall(b"X")
    except OSError:
        return


errors: list[str] = []
sampler: Sampler


def main() -> None:
    global sampler
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--workers", type=int, default=bc.serve.default_workers())
    args = ap.parse_args()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    proc, port = bc.start_server(args.workers, "stack")
    cache_dir = ROOT / "artifacts" / "bench-cache"
    log = ROOT / "artifacts" / "serve" / "gunicorn.log"
    try:
        actions = bc.record(port)
        sampler = Sampler(proc.pid)
        sampler.start()
        kinds = [k for k, n in bc.SHARES.items() for _ in range(n)]
        times: dict[str, list[float]] = defaultdict(list)
        students = [threading.Thread(target=bc.student, args=(
            port, actions, kinds, time.time() + 900, times, errors, random.Random(i),
            bc.address(i)), daemon=True) for i in range(args.students)]
        for t in students:
            t.start()
        print(f"{args.students} students on the stack (127.0.0.1:{port}); the troublemaker:")
        began = time.time()

        seen = [0]  # the students' drags timed before this row

        def say(row: str, what: str) -> None:
            during = list(times["drag"])[seen[0]:]
            seen[0] += len(during)
            meanwhile = (f" [drags meanwhile: {len(during)}, p95 {pct(during, 0.95):.0f} ms]"
                         if during else "")
            print(f"  {row:<42} {what}{meanwhile}", flush=True)

        rows(port, proc.pid, actions, cache_dir, log, say)
        seconds = time.time() - began
        sampler.stop.set()
        drags, errs = list(times["drag"]), list(errors)  # the students go on until the stop
        n_actions = sum(len(v) for k, v in list(times.items()) if k != "preview")
        print(f"\nordinary students over {seconds:.0f} s: {n_actions} actions, {len(errs)} "
              f"errors; drag p50 {pct(drags, 0.5):.0f} ms, p95 {pct(drags, 0.95):.0f} ms "
              "(target < 150 ms)")
        for e in sorted(set(errs))[:5]:
            print(f"  error: {e}")
        print("peak RSS per worker (every worker seen): "
              + ", ".join(f"{v:.0f} MB" for v in sampler.peak_rss.values())
              + " (target < 1024 MB)")
        from visualizer.server import jobs

        most = jobs.WAIT_SECONDS + jobs.WALL_SECONDS + jobs.GRACE_SECONDS
        print(f"oldest job process seen: {sampler.oldest_job:.1f} s (a job may wait "
              f"{jobs.WAIT_SECONDS:g} s for a slot, then run {jobs.WALL_SECONDS:g} s, then has "
              f"{jobs.GRACE_SECONDS:g} s to stop: {most:g} s at most)")
    finally:
        import psutil

        family = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
        t = time.perf_counter()
        bc.stop_server(proc)
        while any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in family):
            if time.perf_counter() - t > 30:
                break
            time.sleep(0.05)
        left = [p for p in family if psutil.pid_exists(p)
                and psutil.Process(p).status() != "zombie"]
        print(f"stop (SIGTERM to serve.py): {time.perf_counter() - t:.2f} s, "
              f"{len(left)} processes left (target < 5 s, none)")


if __name__ == "__main__":
    main()
