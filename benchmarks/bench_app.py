"""The app in headless Chromium: drop-to-paint latency, path updates while
dragging, frames per second while playing, and bytes on the wire per drag.
Prints figures; asserts nothing.

    python benchmarks/bench_app.py [--drags 15] [--seconds 4]

Scenes: Himmelblau, the four classic optimizers, 1,000 epochs (the default
page); and every optimizer, 10,000 epochs, for playback.
Targets: from the drop to the first real paint of all of the new paths, the loss
chart and the results table (the last of them, then the next animation frame),
median under 100 ms; while dragging, at least 15 path updates a second; while
playing with the loss chart live, at least 55 painted frames a second in both
scenes; under 60 KB per drag.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, TO_SCREEN, AppServer  # noqa: E402
from visualizer import engine  # noqa: E402
from visualizer.engine import optimizers  # noqa: E402
from visualizer.pages.race import scene  # noqa: E402

EVERY_OPTIMIZER = scene.to_query(
    "himmelblau", (0.0, 0.0), 10_000,
    [engine.make_spec(n, lr=scene.default_lr(n)) for n in optimizers.OPTIMIZERS])

HOOKS = """() => {
  const host = document.getElementById('graph-overlay');
  const gd = host.querySelector('.js-plotly-plot');
  const view = window.viz.state.view;
  window.__bench = {drop: null, plotly: null, target: null, seen: []};
  host.addEventListener('pointerup', () => { window.__bench.drop = performance.now(); }, true);
  // every frame the player painted (paths, loss chart and table, on its
  // canvases or in plotly): when the frame that shows it began, and where its
  // Adam path starts
  let last = null;
  const watch = () => {
    const d = view.d;
    if (view.painted !== last && d && d.runs) {
      last = view.painted;
      const adam = d.runs.find(r => r.meta.name === 'adam');
      if (adam) window.__bench.seen.push([performance.now(), adam.x[0], adam.y[0]]);
    }
    requestAnimationFrame(watch);
  };
  watch();
  // plotly has the new paths again (hover on a path, the PNG)
  gd.on('plotly_afterplot', () => {
    const b = window.__bench, t = b.target;
    if (!t || b.drop === null || b.plotly !== null) return;
    const tr = gd.data.find(d => d.meta === 'adam' && d.mode === 'lines');
    if (tr && Math.abs(tr.x[0] - t[0]) < 1e-6 && Math.abs(tr.y[0] - t[1]) < 1e-6) b.plotly = performance.now();
  });
}"""
FLING = """([x, y]) => {
  const host = document.getElementById('graph-overlay');
  const at = {clientX: x, clientY: y, pointerId: 1, pointerType: 'mouse', bubbles: true, button: 0};
  host.dispatchEvent(new PointerEvent('pointermove', at));
  host.dispatchEvent(new PointerEvent('pointerup', at));
}"""
# From the drop to the frame that shows the dropped start's runs: 0 when the
# last frame painted before the drop already showed them (the paths followed
# the dot there); null while no frame has.
PAINTED = """() => {
  const b = window.__bench, t = b.target;
  const at = s => Math.abs(s[1] - t[0]) < 1e-6 && Math.abs(s[2] - t[1]) < 1e-6;
  const before = b.seen.filter(s => s[0] <= b.drop), after = b.seen.filter(s => s[0] > b.drop);
  if (before.length && at(before[before.length - 1])) return 0;
  const first = after.find(at);
  return first ? first[0] - b.drop : null;
}"""


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

        latencies, handbacks, per_drag = [], [], []
        spots = [(-1.0, 1.0), (1.5, -1.0), (0.5, 2.5), (-2.5, -0.5), (2.0, 1.0)]
        here = (0.0, 0.0)
        for i in range(args.drags):
            target = spots[i % len(spots)]
            target = (target[0] + 0.01 * i, target[1])
            x0, y0 = page.evaluate(TO_SCREEN, list(here))
            x1, y1 = page.evaluate(TO_SCREEN, list(target))
            page.evaluate("(t) => { Object.assign(window.__bench, {target: t, drop: null, plotly: null,"
                          " seen: []}); }", list(target))
            start = len(sizes)
            page.mouse.move(x0, y0)
            page.mouse.down()
            flung = i % 2 == 1
            if flung:  # moved and let go in the same task: no answer can come in between
                page.evaluate(FLING, [x1, y1])
            else:
                for k in range(1, 6):
                    page.mouse.move(x0 + (x1 - x0) * k / 5, y0 + (y1 - y0) * k / 5)
            page.mouse.up()
            # the dot lands on a pixel: read back where it was dropped
            dropped = page.evaluate("() => { const s = document.querySelector('#graph-overlay "
                                    ".js-plotly-plot').layout.shapes[0]; return [s.xanchor, s.yanchor]; }")
            page.evaluate("(t) => { window.__bench.target = t; }", dropped)
            page.wait_for_function(f"() => ({PAINTED})() !== null", timeout=15000)
            latencies.append((flung, page.evaluate(PAINTED)))
            page.wait_for_function("() => window.__bench.plotly !== null", timeout=15000)
            handbacks.append(page.evaluate("() => window.__bench.plotly - window.__bench.drop"))
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

        played = [play(page, "4 optimizers × 1,000 epochs", args.seconds)]
        page.goto(server.url + EVERY_OPTIMIZER)
        page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                               " return gd && gd.data && gd.data.filter(t => t.mode === 'lines').length"
                               f" === {len(optimizers.OPTIMIZERS)}; }}", timeout=60000)
        page.wait_for_timeout(1500)
        played.append(play(page, f"{len(optimizers.OPTIMIZERS)} optimizers × 10,000 epochs", args.seconds))
        browser.close()

    for flung, how in ((False, "dragged in 5 moves"), (True, "flung: moved and let go at once")):
        lat = sorted(v for f, v in latencies if f == flung)
        print(f"drop to the first frame showing the dropped start's paths, loss chart and table, "
              f"{len(lat)} drops {how}: median {statistics.median(lat):.0f} ms, "
              f"max {max(lat):.0f} ms (target: median < 100 ms)")
    print(f"drop to plotly holding the new paths again (hover on a path, PNG): "
          f"median {statistics.median(handbacks):.0f} ms, max {max(handbacks):.0f} ms")
    print(f"while dragging: {live_updates} path updates in {live_seconds:.1f} s = "
          f"{live_updates / live_seconds:.1f} per second (target: >= 15)")
    up = statistics.median(a for a, _, _ in per_drag)
    down = statistics.median(b for _, b, _ in per_drag)
    n = statistics.median(c for _, _, c in per_drag)
    print(f"bytes per drag (median): {down / 1024:.1f} KB received + {up / 1024:.1f} KB sent "
          f"in {n:.0f} requests (target: < 60 KB)")
    for label, fps, epoch in played:
        print(f"frames painted per second while playing, {label}, loss chart live: {fps:.1f} "
              f"(target: >= 55); reached {epoch} in the time")


def play(page, label: str, seconds: float) -> tuple[str, float, str]:
    """Play from epoch 0 for ``seconds`` at the default speed: frames painted per second."""
    page.click("#button-reset")
    page.wait_for_timeout(300)
    page.click("#button-play")
    page.wait_for_timeout(200)  # the first frame: the graphs give their paths to the canvases
    f0, t0 = page.evaluate("() => [window.viz.state.view.frames, performance.now()]")
    page.wait_for_timeout(seconds * 1000)
    f1, t1 = page.evaluate("() => [window.viz.state.view.frames, performance.now()]")
    epoch = page.locator("#text-epoch").inner_text()
    page.click("#button-play")
    return label, (f1 - f0) / ((t1 - t0) / 1000), epoch

if __name__ == "__main__":
    main()
