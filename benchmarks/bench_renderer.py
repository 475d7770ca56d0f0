"""What Dash's renderer costs the browser, as Dash ships it and as the app serves it
(visualizer/server/renderer.py: one walk over the callback graph made linear). Prints
figures; asserts nothing.

    python benchmarks/bench_renderer.py [--rounds 3]

One session is what a student does in a minute: open the race, look at every page
(each is mounted on its first visit, so the page, and the callback graph the renderer
walks, grows), come back to the race and pick three landscapes, then map the basins
of a grid of starts new to the server (a background job: the page asks for its
progress until it ends, each answer another change of Dash's callback queue). Each session runs in
a fresh headless Chromium context; the two bundles take turns (the stock one through a
Playwright route, the app otherwise unchanged). The figures are the renderer's main
thread, from the Chrome DevTools Protocol (``Performance.getMetrics``): its busy time
(``TaskDuration``) and the part of it running scripts (``ScriptDuration``). The peer is
Dash's own bundle; the ratio that matters is the app's to it.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import statistics
import sys
import time

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.browser import CALLBACKS_PENDING, CHROMIUM, CHROMIUM_ARGS, AppServer  # noqa: E402
from visualizer import pages  # noqa: E402
from visualizer.server import renderer  # noqa: E402


def settle(page, quiet_s: float = 0.6) -> None:
    """Until Dash has no callback waiting or running for ``quiet_s``."""
    still = time.monotonic()
    deadline = still + 60
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if page.evaluate(CALLBACKS_PENDING):
            still = time.monotonic()
        elif time.monotonic() - still >= quiet_s:
            return
    raise TimeoutError("the page kept calling back")


def session(browser, url: str, stock: bytes | None, grid: int) -> tuple[float, float]:
    """One student's minute; the renderer's main thread (busy, scripts) in seconds."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    if stock is not None:
        context.route(re.compile(r".*/dash_renderer\.[^/]*min\.js$"), lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=stock))
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(url)
    page.locator(".results-table tbody tr").first.wait_for(timeout=60_000)
    settle(page)
    for _key, title in pages.tabs()[1:]:
        page.get_by_role("tab", name=title, exact=True).click()
        settle(page)
    page.get_by_role("tab", name=pages.tabs()[0][1], exact=True).click()
    settle(page)
    for name in ("rosenbrock", "booth", "himmelblau"):
        page.click(f"[data-name={name}]")
        settle(page)
    page.get_by_role("tab", name="Basins", exact=True).click()
    page.fill("#basins-grid", str(grid))  # starts the server has not mapped yet
    page.locator("#basins-note", has_text=f"Share of the {grid * grid:,} starts").wait_for(
        timeout=120_000)
    settle(page)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    context.close()
    return metrics["TaskDuration"], metrics["ScriptDuration"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="sessions with each bundle")
    args = ap.parse_args()
    stock = (renderer.BUILD / "dash_renderer.min.js").read_bytes()
    served, changed = renderer.bundle("dash_renderer.min.js")
    print(f"Dash {renderer.dash.__version__}: the app's bundle "
          f"{'changes the walk' if changed else 'is Dash’s own (the walk was not found)'}")
    arms: dict[str, list[tuple[float, float]]] = {"Dash's bundle (the peer)": [], "the app's": []}
    with AppServer() as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        grids = iter(range(150, 250))
        session(browser, app.url, None, next(grids))  # the server's first answers, warm
        for r in range(args.rounds):
            order = list(zip(arms, (stock, None), strict=True))
            for name, body in order if r % 2 == 0 else order[::-1]:
                arms[name].append(session(browser, app.url, body, next(grids)))
        browser.close()
    medians = {k: (statistics.median(b for b, _ in v), statistics.median(s for _, s in v))
               for k, v in arms.items()}
    peer = medians["Dash's bundle (the peer)"]
    for name, runs in arms.items():
        busy, script = medians[name]
        print(f"{name:26s} renderer main thread: busy {busy:6.2f} s, scripts {script:6.2f} s "
              f"(medians of {len(runs)}: {', '.join(f'{b:.2f}' for b, _ in runs)} s busy)  "
              f"{busy / peer[0]:5.2f}x the peer's busy, {script / peer[1]:5.2f}x its scripts")


if __name__ == "__main__":
    main()
