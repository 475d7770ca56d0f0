"""A class on one server: simulated students against the documented setup on
loopback. Prints figures; asserts nothing.

    python benchmarks/bench_class.py [--students 10,30,100] [--seconds 20] [--workers N]
                                     [--mixes ordinary,heavy,malformed,follow]
                                     [--follow-students 100] [--change-seconds 3]
                                     [--setup stack|gunicorn]

It starts the README's class server (``scripts/serve.py``: nginx in front of
``gunicorn -w N``, all on 127.0.0.1; ``--setup gunicorn`` for gunicorn alone),
records what the page really sends for each action by doing it once in headless
Chromium, then lets simulated students replay those requests, each from an
address of its own on loopback (127.0.0.2, 127.0.0.3, ...: the server admits
jobs per client), each acting about once a second, with a new start point or
learning rate each time (so no two drags, and no two jobs, ask the same thing).
Actions and their shares: drag the dot 50 %, edit a learning rate 15 %, switch
landscape 10 %, switch page 10 %, open the 3-D view 5 %, open the step
inspector 5 %, and open each many-run page (basins 2 %, the learning-rate
sweep 2 %, the (lr, momentum) map 1 %), whose background job is followed as the
page follows it (its polls every 500 ms until the answer). An action's time is
from its first request to its last answer (its requests one after the other).
A drag first moves the dot for half a second, with the paths following it as
the page does (``GET /api/runs?...&preview=1`` for the newest position, one in
flight at a time and at most one every 50 ms, as assets/map.js asks; timed as
"preview"), then drops it (the page's Dash requests, timed as "drag").

Mixes:
- ``ordinary``: the students above, at each count in --students.
- ``heavy``: 30 ordinary students plus 5 who keep asking for the heaviest legal
  scene (14 optimizers x 10,000 epochs, with its 3-D view and inspector).
- ``malformed``: 30 ordinary students plus a stream of malformed requests
  (wrong types, NaN, missing fields, 10 MB bodies, huge numbers).
- ``follow``: a class: --follow-students students following a teacher who
  changes the scene every --change-seconds (class mode: each page polls the class
  every 700 ms and, on a change, sends what the page sends to follow it, recorded in
  Chromium), each also dragging the dot every 3-7 s; prints the follow delay.

Printed per mix: p50/p95/p99 per action, errors (any answer but 200, or none;
for malformed requests anything but a 4xx), worker CPU per action (from
/proc) and each worker's peak RSS. Bounded: every phase stops after --seconds,
every request times out after 30 s.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts import serve  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, drag_dot  # noqa: E402
from visualizer.server import classes  # noqa: E402

HOST = "127.0.0.1"
DASH = "/_dash-update-component"
_source = threading.local()
"""The loopback address the current student's requests come from."""
HEAVY_QUERY = ("?landscape=himmelblau&start=0,0&steps=10000&"
               + "&".join(f"opt={n}:lr={'1.0' if n == 'adadelta' else '0.001'}"
                          for n in ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                                    "adam", "amsgrad", "adamw", "adamax", "nadam", "radam",
                                    "adabelief", "lion"]))
SHARES = {"drag": 50, "lr": 15, "landscape": 10, "page": 10, "3d": 5, "inspect": 5,
          "basins": 2, "sweep": 2, "lrmap": 1}
MANY_PAGES = {"basins": "Basins", "sweep": "LR sweep", "lrmap": "(lr, momentum) map"}


# -- The server ---------------------------------------------------------------------------

def fresh_cache() -> pathlib.Path:
    """A cache folder of the benchmark's own, with no results in it (every job is
    computed) and the machine's compiled kernels (none is compiled again)."""
    import shutil

    from visualizer import paths

    kernels = paths.cache_root() / "kernels"
    folder = ROOT / "artifacts" / "bench-cache"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    kernels.mkdir(exist_ok=True)
    (folder / "kernels").symlink_to(kernels)
    return folder


def start_server(workers: int, setup: str = "stack",
                 env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """The class server on a free port: ``stack`` (scripts/serve.py: nginx and
    gunicorn) or ``gunicorn`` alone, with a fresh results cache; its process and port."""
    port = serve.free_port(HOST)
    env = {**os.environ, "VISUALIZER_CACHE_DIR": str(fresh_cache()), **(env or {})}
    if setup == "stack":
        cmd = [sys.executable, "scripts/serve.py", "--host", HOST, "--port", str(port),
               "--workers", str(workers), "--run-dir", str(ROOT / "artifacts" / "serve")]
    else:
        cmd = [sys.executable, "-m", "gunicorn", "-c", "scripts/deploy/gunicorn.conf.py",
               "-w", str(workers), "-b", f"{HOST}:{port}", "app:server"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(ROOT / "artifacts" / "gunicorn.log", "w"),
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not answer within 120 s")


def _cmdline(p) -> str:  # noqa: ANN001
    import psutil

    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers under ``master`` (serve.py, or gunicorn's own master)."""
    import psutil

    top = psutil.Process(master)
    masters = [p for p in [top, *top.children(recursive=True)]
               if "gunicorn" in _cmdline(p) and (p.pid == master or "gunicorn" not in _cmdline(
                   p.parent()))]
    return [c.pid for m in masters for c in m.children() if "gunicorn" in _cmdline(c)]


def job_pids(master: int) -> list[int]:
    """The background jobs' processes running now (the workers' children, zombies aside)."""
    import psutil

    found = []
    for pid in worker_pids(master):
        try:
            found += [c.pid for c in psutil.Process(pid).children()
                      if c.status() != psutil.STATUS_ZOMBIE]
        except psutil.Error:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """A process's CPU seconds (0 for one that is gone: gunicorn renews its workers)."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds every core of this machine has spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    try:
        text = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def connect(port: int) -> http.client.HTTPConnection:
    source = getattr(_source, "address", None)
    return http.client.HTTPConnection(HOST, port, timeout=30,
                                      source_address=(source, 0) if source else None)


ACCEPT_ENCODING = {"value": "gzip, deflate, br, zstd"}
"""What the recording browser sent as Accept-Encoding (record() reads it): the
server compresses as it would for that browser, and the students decode it."""


def _read(r: http.client.HTTPResponse) -> bytes:
    data = r.read()
    encoding = r.getheader("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    return data


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = connect(port)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING["value"]})
        r = conn.getresponse()
        return r.status, _read(r)
    finally:
        conn.close()


def post(port: int, body: bytes, path: str = DASH) -> int:
    return post_read(port, body, path)[0]


def post_read(port: int, body: bytes, path: str = DASH,
              headers: dict | None = None) -> tuple[int, bytes]:
    conn = connect(port)
    try:
        try:
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "Accept-Encoding": ACCEPT_ENCODING["value"],
                **(headers or {})})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) without reading all of a huge body: read it
        r = conn.getresponse()
        return r.status, _read(r)
    finally:
        conn.close()


JOBS: list[str] = []
"""Every background job the simulated students started."""
JOB_POLL_SECONDS = 0.5
"""How often the page asks after a background job (``jobs.POLL_MS``)."""


def send(port: int, path: str, body: bytes, deadline: float) -> tuple[int, bytes]:
    """One of the page's requests; a background job's start is followed by its
    polls until its answer (as the renderer does), all part of the action."""
    status, data = post_read(port, body, path)
    if status != 200 or not data.startswith(b'{"cacheKey"'):
        return status, data
    JOBS.append(path)
    handles = json.loads(data)
    sep = "&" if "?" in path else "?"
    poll = (f"{path}{sep}cacheKey={urllib.parse.quote(handles['cacheKey'])}"
            f"&job={urllib.parse.quote(handles['job'])}")
    while time.time() < deadline:
        time.sleep(JOB_POLL_SECONDS)
        status, data = post_read(port, body, poll)
        if status != 200:
            return status, data
        answer = json.loads(data) if data else {}
        if "response" in answer or answer.get("multi") and "response" in answer:
            return status, data
        if not answer or answer == {"multi": True}:
            continue
        if "progress" not in answer:
            return status, data
    return 0, b"job not answered in time"


# -- What the page sends, recorded once --------------------------------------------------

def record(port: int) -> dict[str, list[Any]]:
    """Each action done once in Chromium: the JSON bodies it posted, in order."""
    from playwright.sync_api import sync_playwright

    url = f"http://{HOST}:{port}/"
    actions: dict[str, list[Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        sent: list[Any] = []
        page.on("request", lambda r: sent.append(
            (r.url[r.url.index(DASH):], json.loads(r.post_data)))
            if DASH in r.url and r.post_data and "cacheKey=" not in r.url else None)
        page.on("request", lambda r: previews.append(r.url[r.url.index("/api/runs"):])
                if "/api/runs" in r.url else None)
        previews: list[str] = []

        def ready() -> None:
            page.wait_for_function(
                "() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                " return gd && gd.data && gd.data.some(t => t.mode === 'lines'); }", timeout=30000)
            page.wait_for_timeout(1500)

        def act(name: str, fn) -> None:
            ready()
            sent.clear()
            fn()
            page.wait_for_timeout(2500)
            actions[name] = list(sent)

        sent_headers = page.goto(url).request.all_headers()
        ACCEPT_ENCODING["value"] = sent_headers.get("accept-encoding", "")

        def lr() -> None:
            box = page.locator('[id*="opt-lr"][id*="adam"]').first
            box.fill("0.002")
            box.press("Enter")

        act("drag", lambda: drag_dot(page, [0.0, 0.0], [-1.5, 1.0], moves=5))
        if not previews:
            raise SystemExit("the drag asked for no preview: is the page following the dot?")
        actions["preview"] = [previews[0]]
        act("lr", lr)
        act("landscape", lambda: page.locator(".ls-card", has_text="Booth").click())
        act("page", lambda: (page.click("text=Adam vs AdaBelief"), page.wait_for_timeout(1500),
                             page.click("text=Compare optimizers")))
        act("3d", lambda: (page.click("text=3-D surface"), page.wait_for_timeout(1500),
                           page.click("text=Contour map")))
        act("inspect", lambda: (page.click("text=Step inspector"), page.wait_for_timeout(1500),
                                page.click("text=Contour map")))
        for key, tab in MANY_PAGES.items():  # each many-run page with its job, then back
            act(key, lambda tab=tab, key=key: (
                page.click(f"text={tab}"),
                page.wait_for_function(  # drawn, or a message said why not
                    f"() => {{ const note = document.getElementById('{key}-note'),"
                    f" error = document.getElementById('{key}-error');"
                    " return (note && note.innerText && !note.innerText.startsWith('Computing'))"
                    " || (error && error.innerText); }", timeout=60000),
                page.click("text=Compare optimizers")))
        act("heavy", lambda: (page.goto(url + HEAVY_QUERY), ready(),
                              page.click("text=3-D surface"), page.wait_for_timeout(3000),
                              page.click("text=Step inspector"), page.wait_for_timeout(3000),
                              page.click("text=Contour map")))
        record_follow(port, browser, actions)
        browser.close()
    return actions


def class_scene(point: tuple[float, float], lr: str) -> str:
    """The teacher's scene: the default race with this start and Adam's learning rate."""
    return (f"?landscape=himmelblau&start={point[0]},{point[1]}&steps=1000"
            "&opt=gd:lr=0.001,decay=0&opt=momentum:lr=0.001,decay=0"
            f"&opt=rmsprop:lr=0.001,decay=0&opt=adam:lr={lr},decay=0")


def teach(port: int, code: str, secret: str, query: str) -> tuple[int, dict]:
    """The teacher's page sending its scene (and its player, paused at the end)."""
    body = json.dumps({"query": query, "play": {"playing": False, "epoch": 1000, "speed": 5}})
    status, data = post_read(port, body.encode(), f"/class/{code}/scene",
                             {"X-Class-Secret": secret})
    return status, json.loads(data) if status == 200 else {}


def record_follow(port: int, browser: Any, actions: dict[str, list[Any]]) -> None:
    """What a student's page sends when it follows its teacher: the teacher moves the
    start ("follow start": as a drop) or changes a setting ("follow scene": the link
    applied in full). Recorded in a page that joined a class."""
    status, data = post_read(port, b"{}", "/class")
    made = json.loads(data)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(
        (r.url[r.url.index(DASH):], json.loads(r.post_data)))
        if DASH in r.url and r.post_data and "cacheKey=" not in r.url else None)
    teach(port, made["code"], made["secret"], class_scene((0.5, 0.5), "0.001"))
    page.goto(f"http://{HOST}:{port}/?class={made['code']}")
    page.wait_for_function("() => location.search.includes('start=0.5,0.5')", timeout=30000)
    page.wait_for_timeout(2000)
    for name, point, lr in [("follow start", (-1.5, 1.0), "0.001"),
                            ("follow scene", (-1.5, 1.0), "0.004")]:
        sent.clear()
        teach(port, made["code"], made["secret"], class_scene(point, lr))
        page.wait_for_function(f"() => location.search.includes('adam:lr={lr}') && "
                               "location.search.includes('start=-1.5,1')", timeout=30000)
        page.wait_for_timeout(2500)
        actions[name] = list(sent)
    page.close()


START_IN_LINK = re.compile(r"start=-?[0-9.e+-]+,-?[0-9.e+-]+")
ADAM_LR_IN_LINK = re.compile(r"adam:lr=[0-9.e+-]+")


def vary(obj: Any, point: tuple[float, float] | None, lr: str | None) -> Any:
    """The recorded body with a new start point (every {x, y} dict, and the start
    in every link it carries) and Adam's lr."""
    if isinstance(obj, str) and ((point and "start=" in obj) or (lr and "adam:lr=" in obj)):
        if point:
            obj = START_IN_LINK.sub(f"start={point[0]},{point[1]}", obj)
        return ADAM_LR_IN_LINK.sub(f"adam:lr={lr}", obj) if lr else obj
    if isinstance(obj, dict):
        out = {k: vary(v, point, lr) for k, v in obj.items()}
        if point and isinstance(obj.get("x"), (int, float)) and isinstance(obj.get("y"), (int, float)):
            out["x"], out["y"] = point
        if lr and obj.get("id") == {"opt": "adam", "type": "opt-lr"} and "value" in obj:
            out["value"] = lr
        return out
    if isinstance(obj, list):
        return [vary(v, point, lr) for v in obj]
    return obj


MALFORMED: list[bytes] = [
    b"{", b"[]", b"null", b'{"output": 1}', b'{"output": "x", "outputs": {}, "inputs": 3}',
    b'{"output": "store-runs.data", "inputs": [{"id": "store-start", "property": "data", '
    b'"value": {"landscape": "himmelblau", "x": NaN, "y": Infinity}}]}',
    b'{"output": "store-start.data", "outputs": {"id": "store-start", "property": "data"}, '
    b'"inputs": [{"id": "store-landscape", "property": "data", "value": 1e308}]}',
    b'{"output": "store-start.data", "outputs": {"id": "store-start", "property": "data"}}',
    b'{"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, "inputs": []}',
    b'{"inputs": "' + b"a" * (10 * 1024 * 1024) + b'"}',
]


# -- The class ------------------------------------------------------------------------------

def student(port: int, actions: dict[str, list[Any]], kinds: list[str], stop: float,
            times: dict[str, list[float]], errors: list[str], rng: random.Random,
            address: str | None = None) -> None:
    _source.address = address
    while time.time() < stop:
        kind = rng.choice(kinds)
        point = (round(rng.uniform(-4.5, 4.5), 6), round(rng.uniform(-4.5, 4.5), 6))
        lr = f"{rng.uniform(1e-4, 1e-2):.5f}"
        began = time.perf_counter()
        if kind == "drag":
            drag_previews(port, actions["preview"][0], point, time.time() + DRAG_SECONDS,
                          times, errors, rng)
        t0 = time.perf_counter()
        for path, body in actions[kind]:
            if time.time() > stop + 30:
                break
            data = json.dumps(vary(body, point if kind in ("drag", *MANY_PAGES) else None,
                                   lr if kind == "lr" else None)).encode()
            try:
                status, _ = send(port, path, data, time.time() + 60)
                if status != 200 and status != 204:
                    errors.append(f"{kind}: HTTP {status}")
            except OSError as exc:
                errors.append(f"{kind}: {exc!r}")
        spent = time.perf_counter() - t0
        times[kind].append(spent)
        time.sleep(max(0.0, rng.uniform(0.7, 1.3) - (time.perf_counter() - began)))


DRAG_SECONDS = 0.5
"""How long a simulated student moves the dot before dropping it."""
PREVIEW_SECONDS = 0.05
"""The page asks for a preview at most this often (PREVIEW_MS in assets/map.js)."""
PREVIEW_BUSY_SECONDS = 0.25
"""... and waits this much longer after one the proxy shed (PREVIEW_BUSY_MS)."""


def drag_previews(port: int, url: str, to: tuple[float, float], until: float,
                  times: dict[str, list[float]], errors: list[str], rng: random.Random) -> None:
    """The paths following the dot: previews one after the other until ``until``,
    each for a new position on the way to ``to`` (the page's one request in flight)."""
    base, query = url.split("?", 1)
    params = [kv for kv in query.split("&") if not kv.startswith("start=")]
    here = (rng.uniform(-4.5, 4.5), rng.uniform(-4.5, 4.5))
    k = 0
    while time.time() < until:
        k += 1
        f = min(1.0, k / 10)
        point = (round(here[0] + (to[0] - here[0]) * f, 6), round(here[1] + (to[1] - here[1]) * f, 6))
        t0 = time.perf_counter()
        status = 0
        try:
            status, _ = get(port, f"{base}?{'&'.join(params)}&start={point[0]},{point[1]}")
            # 409: too heavy to follow, the page waits for the drop; 429: shed by the
            # proxy (the class drags more than the workers follow), the page waits more
            if status not in (200, 409, 429):
                errors.append(f"preview: HTTP {status}")
        except OSError as exc:
            errors.append(f"preview: {exc!r}")
        spent = time.perf_counter() - t0
        times["preview shed" if status == 429 else "preview"].append(spent)
        time.sleep(max(0.0, PREVIEW_SECONDS + (PREVIEW_BUSY_SECONDS if status == 429 else 0)
                       - spent))


def troublemaker(port: int, stop: float, answers: dict[int, int], errors: list[str]) -> None:
    i = 0
    while time.time() < stop:
        try:
            status = post(port, MALFORMED[i % len(MALFORMED)])
            answers[status] = answers.get(status, 0) + 1
            if not 400 <= status < 500:
                errors.append(f"malformed body {i % len(MALFORMED)}: HTTP {status}")
        except OSError as exc:
            errors.append(f"malformed: {exc!r}")
        i += 1
        time.sleep(0.1)


def address(i: int) -> str:
    """Student i's own loopback address (127.0.0.2 and up; 127.0.0.1 is the proxy's)."""
    return f"127.0.{(i + 2) // 250}.{(i + 2) % 250 + 1}"


def phase(port: int, master: int, actions: dict[str, list[Any]], ordinary: int, heavy: int,
          malformed: bool, seconds: float, title: str) -> None:
    kinds = [k for k, n in SHARES.items() for _ in range(n)]
    times: dict[str, list[float]] = defaultdict(list)
    heavy_times: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    answers: dict[int, int] = {}
    pids = worker_pids(master)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    machine0, mine0 = machine_cpu(), time.process_time()
    jobs0 = len(JOBS)
    stop = time.time() + seconds
    threads = [threading.Thread(target=student, args=(port, actions, kinds, stop, times, errors,
                                                      random.Random(i), address(i)))
               for i in range(ordinary)]
    threads += [threading.Thread(target=student, args=(port, actions, ["heavy"], stop, heavy_times,
                                                       errors, random.Random(1000 + i),
                                                       address(ordinary + i)))
                for i in range(heavy)]
    if malformed:
        threads.append(threading.Thread(target=troublemaker, args=(port, stop, answers, errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    busy, mine = machine_cpu() - machine0, time.process_time() - mine0
    renewed = [p for p in worker_pids(master) if p not in pids]  # workers gunicorn renewed
    cpu = sum(cpu_seconds(p) for p in pids + renewed) - cpu0
    pids = [p for p in pids if os.path.exists(f"/proc/{p}")] + renewed
    n_actions = (sum(len(v) for k, v in times.items() if not k.startswith("preview"))
                 + sum(len(v) for v in heavy_times.values()))

    def pct(values: list[float], q: float) -> float:
        s = sorted(values)
        return s[min(len(s) - 1, int(q * len(s)))] * 1e3

    print(f"\n{title}: {n_actions} actions in {seconds:g} s, {len(errors)} errors")
    for kind, values in [*sorted(times.items()), *[(f"heavy {k}", v) for k, v in heavy_times.items()]]:
        print(f"  {kind:<12} n={len(values):>5}  p50 {pct(values, 0.5):7.0f} ms  "
              f"p95 {pct(values, 0.95):7.0f} ms  p99 {pct(values, 0.99):7.0f} ms")
    if answers:
        print(f"  malformed requests: {sum(answers.values())}, answers {dict(sorted(answers.items()))}")
    drags = len(times.get("drag", ()))
    if drags:
        shed, followed = len(times.get("preview shed", ())), len(times.get("preview", ()))
        print(f"  previews: {followed} answered, {shed} shed by the proxy (429); a drag's paths "
              f"followed the dot {followed / (drags * DRAG_SECONDS):.1f} times a second")
    print(f"  background jobs started: {len(JOBS) - jobs0}")
    print(f"  worker CPU per action (a drag's previews included): "
          f"{cpu / max(1, n_actions) * 1e3:.1f} ms; peak RSS per worker: "
          + ", ".join(f"{peak_rss_mb(p):.0f} MB" for p in pids))
    elapsed = time.time() - (stop - seconds)
    print(f"  the machine's {os.cpu_count()} cores were busy {busy / elapsed:.2f} cores on average "
          f"(these simulated students: {mine / elapsed:.2f} of them)")
    for e in sorted(set(errors))[:5]:
        print(f"  error: {e}")


# -- A class following its teacher ------------------------------------------------------------
POLL_SECONDS = classes.POLL_MS / 1000
"""How often a student's page asks for the class (assets/room.js)."""


def follow_phase(port: int, master: int, actions: dict[str, list[Any]], n: int, seconds: float,
                 change_seconds: float) -> None:
    """n students following a teacher who changes the scene every ``change_seconds``
    (the start moved, then a learning rate changed, in turn). Each student's page asks
    for the class every POLL_SECONDS (If-None-Match: 304 until a change) and, on a
    change, sends what its page sends to follow it (recorded); apart from that each
    student drags the dot every 3 to 7 seconds (exploring), as its own thread, as the
    page's poll runs beside a drag. The follow delay: from the teacher sending the
    change to the student's page having the runs of the new scene."""
    status, data = post_read(port, b"{}", "/class")
    made = json.loads(data)
    code, secret = made["code"], made["secret"]
    changes: dict[int, tuple[float, str, tuple[float, float], str]] = {}
    times: dict[str, list[float]] = defaultdict(list)
    delays: list[float] = []
    errors: list[str] = []
    polls = {"200": 0, "304": 0}
    pids = worker_pids(master)
    cpu0, machine0, mine0 = sum(cpu_seconds(p) for p in pids), machine_cpu(), time.process_time()
    stop = time.time() + seconds

    def teacher() -> None:
        rng, k = random.Random(7), 0
        lr = "0.001"
        while time.time() < stop:
            k += 1
            point = (round(rng.uniform(-4.5, 4.5), 6), round(rng.uniform(-4.5, 4.5), 6))
            kind = "follow start" if k % 2 else "follow scene"
            if kind == "follow scene":
                lr = f"{rng.uniform(1e-4, 1e-2):.5f}"
            sent = time.time()
            status, doc = teach(port, code, secret, class_scene(point, lr))
            if status != 200:
                errors.append(f"teacher: HTTP {status}")
            else:
                changes[doc["version"]] = (sent, kind, point, lr)
            time.sleep(max(0.0, change_seconds - (time.time() - sent)))

    def follower(i: int) -> None:
        _source.address = address(i)
        rng = random.Random(i)
        tag, applied = None, None
        due = time.time() + rng.uniform(0, POLL_SECONDS)
        while time.time() < stop:
            time.sleep(max(0.0, due - time.time()))
            due += POLL_SECONDS
            conn = connect(port)
            try:
                conn.request("GET", f"/class/{code}", headers={"If-None-Match": tag or ""})
                r = conn.getresponse()
                body = r.read()
                status = r.status
            except OSError as exc:
                errors.append(f"poll: {exc!r}")
                continue
            finally:
                conn.close()
            if status == 304:
                polls["304"] += 1
                continue
            if status != 200:
                errors.append(f"poll: HTTP {status}")
                continue
            polls["200"] += 1
            tag = r.getheader("ETag")
            version = json.loads(body)["version"]
            if version not in changes or version == applied:
                continue
            sent, kind, point, lr = changes[version]
            t0 = time.perf_counter()
            for path, recorded in actions[kind]:
                data = json.dumps(vary(recorded, point, lr)).encode()
                try:
                    status, _ = send(port, path, data, time.time() + 60)
                    if status not in (200, 204):
                        errors.append(f"{kind}: HTTP {status}")
                except OSError as exc:
                    errors.append(f"{kind}: {exc!r}")
            times[kind].append(time.perf_counter() - t0)
            delays.append(time.time() - sent)
            applied = version

    def explorer(i: int) -> None:
        _source.address = address(i)
        rng = random.Random(10_000 + i)
        time.sleep(rng.uniform(0, 5))
        while time.time() < stop:
            point = (round(rng.uniform(-4.5, 4.5), 6), round(rng.uniform(-4.5, 4.5), 6))
            drag_previews(port, actions["preview"][0], point, time.time() + DRAG_SECONDS,
                          times, errors, rng)
            t0 = time.perf_counter()
            for path, recorded in actions["drag"]:
                try:
                    status, _ = send(port, path, json.dumps(vary(recorded, point, None)).encode(),
                                     time.time() + 60)
                    if status not in (200, 204):
                        errors.append(f"drag: HTTP {status}")
                except OSError as exc:
                    errors.append(f"drag: {exc!r}")
            times["drag"].append(time.perf_counter() - t0)
            time.sleep(rng.uniform(3, 7))

    threads = [threading.Thread(target=teacher)]
    threads += [threading.Thread(target=follower, args=(i,)) for i in range(n)]
    threads += [threading.Thread(target=explorer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.time() - (stop - seconds)
    renewed = [p for p in worker_pids(master) if p not in pids]
    cpu = sum(cpu_seconds(p) for p in pids + renewed) - cpu0
    busy, mine = machine_cpu() - machine0, time.process_time() - mine0

    def pct(values: list[float], q: float) -> float:
        s = sorted(values)
        return s[min(len(s) - 1, int(q * len(s)))] * 1e3 if s else float("nan")

    print(f"\n{n} students following a teacher who changes the scene every {change_seconds:g} s "
          f"({len(changes)} changes in {seconds:g} s), each also dragging every 3-7 s: "
          f"{len(errors)} errors")
    print(f"  follow delay (teacher's change sent -> the student's page has the new runs): "
          f"n={len(delays)}  p50 {pct(delays, 0.5):6.0f} ms  p95 {pct(delays, 0.95):6.0f} ms  "
          f"p99 {pct(delays, 0.99):6.0f} ms  (of {len(changes) * n} student-changes)")
    for kind, values in sorted(times.items()):
        print(f"  {kind:<13} n={len(values):>5}  p50 {pct(values, 0.5):7.0f} ms  "
              f"p95 {pct(values, 0.95):7.0f} ms  p99 {pct(values, 0.99):7.0f} ms")
    print(f"  polls: {polls['200']} answered 200, {polls['304']} answered 304 (not modified)")
    print(f"  worker CPU: {cpu / elapsed:.2f} cores on average; the machine's {os.cpu_count()} "
          f"cores were busy {busy / elapsed:.2f} (these simulated students: {mine / elapsed:.2f})")
    for e in sorted(set(errors))[:5]:
        print(f"  error: {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", default="10,30,100")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--workers", type=int, default=serve.default_workers())
    ap.add_argument("--mixes", default="ordinary,heavy,malformed,follow")
    ap.add_argument("--follow-students", type=int, default=100)
    ap.add_argument("--change-seconds", type=float, default=3.0,
                    help="how often the teacher changes the scene (the follow mix)")
    ap.add_argument("--setup", default="stack", choices=["stack", "gunicorn"])
    args = ap.parse_args()
    (ROOT / "artifacts").mkdir(exist_ok=True)
    proc, port = start_server(args.workers, args.setup)
    try:
        actions = record(port)
        print(f"gunicorn -w {args.workers} on {HOST}:{port}; recorded requests per action: "
              + ", ".join(f"{k} {len(v)}" for k, v in actions.items())
              + f"; Accept-Encoding as the browser sent it: {ACCEPT_ENCODING['value']!r}")
        for kind in actions:  # warm every worker's caches a little, as a class would
            for item in actions[kind]:
                if kind == "preview":
                    get(port, item)
                else:
                    send(port, item[0], json.dumps(item[1]).encode(), time.time() + 60)
        mixes = args.mixes.split(",")
        if "ordinary" in mixes:
            for n in (int(s) for s in args.students.split(",")):
                phase(port, proc.pid, actions, n, 0, False, args.seconds, f"{n} students")
        if "heavy" in mixes:
            phase(port, proc.pid, actions, 30, 5, False, args.seconds,
                  "30 students + 5 asking for 14 optimizers x 10,000 epochs")
        if "malformed" in mixes:
            phase(port, proc.pid, actions, 30, 0, True, args.seconds,
                  "30 students + a stream of malformed requests")
        if "follow" in mixes:
            follow_phase(port, proc.pid, actions, args.follow_students, args.seconds,
                         args.change_seconds)
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)


if __name__ == "__main__":
    main()
