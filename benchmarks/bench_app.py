"""The app in headless Chromium: drop-to-paint latency, frames per second while
playing, and bytes on the wire per drag. Prints figures; asserts nothing.

    python benchmarks/bench_app.py [--drags 15]

Scene: Himmelblau, the four classic optimizers, 1,000 epochs (the default page).
Targets: from the drop to the first real paint of all of the new paths, the loss
chart and the results table (the last of them, then the next animation frame),
median under 100 ms; while dragging, at least 15 path updates a second; 30
frames/s or more with the loss chart updating; under 60 KB per drag.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, TO_SCREEN, AppServer  # noqa: E402

HOOKS = """() => {
  const host = document.getElementById('graph-overlay');
  const gd = host.querySelector('.js-plotly-plot');
  window.__bench = {drop: null, paint: null, loss: null, table: null, target: null, frames: 0};
  host.addEventListener('pointerup', () => { window.__bench.drop = performance.now(); }, true);
  gd.on('plotly_afterplot', () => {
    const b = window.__bench, t = b.target;
    if (!t || b.paint !== null) return;
    const tr = gd.data.find(d => d.meta === 'adam' && d.mode === 'lines');
    if (tr && Math.abs(tr.x[0] - t[0]) < 1e-3 && Math.abs(tr.y[0] - t[1]) < 1e-3) b.paint = performance.now();
  });
  const loss = document.querySelector('#graph-loss .js-plotly-plot');
  loss.on('plotly_afterplot', () => {
    const b = window.__bench;
    b.frames += 1;
    if (b.paint !== null && b.loss === null) b.loss = performance.now();  // with the new paths
  });
  new MutationObserver(() => {  // the results table, filled for the new runs
    const b = window.__bench;
    if (b.paint !== null && b.table === null) b.table = performance.now();
  }).observe(document.getElementById('table-results'), {subtree: true, childList: true,
                                                        characterData: true});
}"""
# the first real paint of all three: after the last of them, the next frame
PAINTED = """() => new Promise(done => {
  const b = window.__bench;
  const wait = () => (b.paint !== null && b.loss !== null && b.table !== null)
      ? requestAnimationFrame(() => done(performance.now() - b.drop)) : setTimeout(wait, 5);
  wait();
})"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drags", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=4.0, help="how long to play for frames/s")
    args = ap.parse_args()
    with AppServer() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        sizes: list[tuple[int, int]] = []

        def on_done(request):
            if "_dash-update-component" in request.url:
                s = request.sizes()
                sizes.append((s["requestBodySize"] + s["requestHeadersSize"],
                              s["responseBodySize"] + s["responseHeadersSize"]))

        page.on("requestfinished", on_done)
        page.goto(server.url)
        page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                               " return gd && gd.data && gd.data.some(t => t.meta === 'adam'); }",
                               timeout=30000)
        page.wait_for_timeout(1500)
        page.evaluate(HOOKS)

        latencies, per_drag = [], []
        spots = [(-1.0, 1.0), (1.5, -1.0), (0.5, 2.5), (-2.5, -0.5), (2.0, 1.0)]
        here = (0.0, 0.0)
        for i in range(args.drags):
            target = spots[i % len(spots)]
            target = (target[0] + 0.01 * i, target[1])
            x0, y0 = page.evaluate(TO_SCREEN, list(here))
            x1, y1 = page.evaluate(TO_SCREEN, list(target))
            page.evaluate("(t) => { Object.assign(window.__bench, {target: t, paint: null, loss: null,"
                          " table: null}); }", list(target))
            start = len(sizes)
            page.mouse.move(x0, y0)
            page.mouse.down()
            for k in range(1, 6):
                page.mouse.move(x0 + (x1 - x0) * k / 5, y0 + (y1 - y0) * k / 5)
            page.mouse.up()
            # the dot lands on a pixel: read back where it was dropped
            dropped = page.evaluate("() => { const s = document.querySelector('#graph-overlay "
                                    ".js-plotly-plot').layout.shapes[0]; return [s.xanchor, s.yanchor]; }")
            page.evaluate("(t) => { window.__bench.target = t; }", dropped)
            page.wait_for_function("() => window.__bench.paint !== null", timeout=15000)
            latencies.append(page.evaluate(PAINTED))
            page.wait_for_timeout(300)  # let every request of this drag finish
            sent = sizes[start:]
            per_drag.append((sum(a for a, _ in sent), sum(b for _, b in sent), len(sent)))
            here = tuple(dropped)

        # a slow drag across the map: how often the paths follow the dot
        x0, y0 = page.evaluate(TO_SCREEN, list(here))
        x1, y1 = page.evaluate(TO_SCREEN, [-3.0, -3.0])
        page.mouse.move(x0, y0)
        page.mouse.down()
        t0 = page.evaluate("() => performance.now()")
        for k in range(1, 31):  # pointer events as fast as the page takes them
            page.mouse.move(x0 + (x1 - x0) * k / 30, y0 + (y1 - y0) * k / 30, steps=4)
        live_seconds = (page.evaluate("() => performance.now()") - t0) / 1000
        live_updates = page.evaluate("() => window.__live.drawn.length")
        page.mouse.up()
        page.wait_for_timeout(1000)

        page.click("#button-reset")
        page.wait_for_timeout(300)
        page.evaluate("() => { window.__bench.frames = 0; }")
        page.click("#button-play")
        page.wait_for_timeout(args.seconds * 1000)
        frames = page.evaluate("() => window.__bench.frames")
        epoch = page.locator("#text-epoch").inner_text()
        page.click("#button-play")
        browser.close()

    print(f"drop to the first paint of the new paths, loss chart and table, {args.drags} drags: "
          f"median {statistics.median(latencies):.0f} ms, "
          f"p90 {sorted(latencies)[int(0.9 * (len(latencies) - 1))]:.0f} ms, "
          f"max {max(latencies):.0f} ms (target: median < 100 ms)")
    print(f"while dragging: {live_updates} path updates in {live_seconds:.1f} s = "
          f"{live_updates / live_seconds:.1f} per second (target: >= 15)")
    up = statistics.median(a for a, _, _ in per_drag)
    down = statistics.median(b for _, b, _ in per_drag)
    n = statistics.median(c for _, _, c in per_drag)
    print(f"bytes per drag (median): {down / 1024:.1f} KB received + {up / 1024:.1f} KB sent "
          f"in {n:.0f} requests (target: < 60 KB)")
    print(f"frames per second while playing (loss chart redraws): {frames / args.seconds:.1f} "
          f"(target: >= 30); reached {epoch} in {args.seconds:g} s at 5 epochs a frame")


if __name__ == "__main__":
    main()
