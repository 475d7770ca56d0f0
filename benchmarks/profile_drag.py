"""Where the server's time goes for one drag of the dot. Prints figures; asserts nothing.

    python benchmarks/profile_drag.py [--repeat 200]

Records what the page sends for one drag in headless Chromium (the Dash
requests of the drop, and one preview of the paths following the dot), then
replays each request ``--repeat`` times in this process (Flask's test client,
a new start each time, the default page: 4 optimizers x 1,000 epochs) under
cProfile, and splits the time of each kind of request into its parts: reading
the link, the engine, building the payload, the class cache, JSON, and what is
left (Dash's dispatch, Flask, the request checks).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pathlib
import pstats
import random
import sys
import time

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, drag_dot  # noqa: E402

DASH = "/_dash-update-component"
# (label, how a profiled function's file and name are matched); the first match wins
PARTS = [
    ("engine.run", lambda f, n: f.endswith("engine/__init__.py") and n == "run"),
    ("reading the link", lambda f, n: n in ("runs_of", "parse_start", "rows_from", "parse_row")),
    ("building the payload", lambda f, n: n == "runs_payload"),
    ("the class cache", lambda f, n: f.endswith("server/cache.py") and n in ("get_or_compute", "lookup",
                                                                             "contains")),
    ("JSON", lambda f, n: n in ("to_json", "dumps") and ("plotly" in f or "json" in f)),
]


def record(url: str) -> tuple[list[bytes], str]:
    """The Dash request bodies of one drag, and the URL of one preview."""
    bodies: list[bytes] = []
    previews: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url)
        page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                               " return gd && gd.data && gd.data.some(t => t.mode === 'lines'); }",
                               timeout=30000)
        page.wait_for_timeout(1500)
        page.on("request", lambda r: bodies.append(r.post_data_buffer) if DASH in r.url else None)
        page.on("request", lambda r: previews.append(r.url[r.url.index("/api/runs"):])
                if "/api/runs" in r.url else None)
        drag_dot(page, [0.0, 0.0], [-1.5, 1.0], moves=5)
        page.wait_for_timeout(2500)
        browser.close()
    return bodies, previews[0] if previews else ""


def moved(body: bytes, point: tuple[float, float]) -> bytes:
    """The recorded body with a new start (every {x, y} dict)."""
    def walk(o):
        if isinstance(o, dict):
            out = {k: walk(v) for k, v in o.items()}
            if isinstance(o.get("x"), (int, float)) and isinstance(o.get("y"), (int, float)):
                out["x"], out["y"] = point
            return out
        return [walk(v) for v in o] if isinstance(o, list) else o
    return json.dumps(walk(json.loads(body))).encode()


def profile(label: str, call, repeat: int) -> None:
    """Run ``call(i)`` ``repeat`` times for the median wall time, then ``repeat``
    more under cProfile for the split (shares of the profiled time, applied to
    the median: the profiler slows the small calls more, so the split is rough)."""
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - t0)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for i in range(repeat):
        call(repeat + i)
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    parts: dict[str, float] = {}
    for (file, _, name), (_, _, _, ct, callers) in stats.items():
        for part, match in PARTS:
            # a function's cumulative time counts once: at its outermost call in this part
            if match(file, name) and not any(match(c[0], c[2]) for c in callers):
                parts[part] = parts.get(part, 0.0) + ct
                break
    # the cache's own share: without the computation it was asked to keep
    for (_, _, name), (_, _, _, _, callers) in stats.items():
        if name == "_scene_runs":
            parts["the class cache"] = parts.get("the class cache", 0.0) - sum(
                c[3] for k, c in callers.items() if k[2] == "scene_runs")
    median = sorted(times)[len(times) // 2] * 1e3
    print(f"{label}median {median:.2f} ms a request ({repeat} requests); split under cProfile:")
    rest = total
    for part, _ in PARTS:
        share = parts.get(part, 0.0) / total
        rest -= parts.get(part, 0.0)
        print(f"    {part:<22} {share * 100:5.1f} %  (about {share * median:.2f} ms)")
    print(f"    {'the rest':<22} {rest / total * 100:5.1f} %  (about {rest / total * median:.2f} ms): "
          "Dash's dispatch, Flask, the request checks")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    import app

    with AppServer() as server:
        bodies, preview = record(server.url)
    client = app.server.test_client()
    rng = random.Random()  # starts nobody asked for before: nothing comes from the class cache

    def points(n: int) -> list[tuple[float, float]]:
        return [(round(rng.uniform(-4.5, 4.5), 9), round(rng.uniform(-4.5, 4.5), 9)) for _ in range(n)]

    print(f"one drag sends {len(bodies)} Dash request(s) on the drop"
          + (" and previews while it moves" if preview else ""))
    for k, body in enumerate(bodies):
        out = json.loads(body)["output"]
        print(f"\nrequest {k + 1}: {out[:90]}")
        fresh = points(2 * args.repeat)
        profile("  ", lambda i, body=body, fresh=fresh: client.post(
            DASH, data=moved(body, fresh[i]), content_type="application/json"), args.repeat)
    if preview:
        base = preview.split("&start=")[0] if "&start=" in preview else preview
        rest = preview.split("&start=")[1].split("&", 1)[1] if "&start=" in preview else ""
        print("\na preview (GET /api/runs, the paths following the dot)")
        fresh = points(2 * args.repeat)
        profile("  ", lambda i: client.get(f"{base}&start={fresh[i][0]},{fresh[i][1]}&{rest}"),
                args.repeat)


if __name__ == "__main__":
    main()
