"""How long a student waits for a page: a link opened in a fresh headless Chromium
(nothing cached) until the page stops changing. Prints figures; asserts nothing.

    python benchmarks/bench_page_load.py [--loads 5] [--links "" "?page=lr" ...]

"Ready" is the last change to the page (the last DOM mutation) before it stays
still for 800 ms, every Dash request answered; it is measured in the page, from
the navigation's start (``performance.now()``). Only the first page's body is in
the layout the browser loads, the others are sent when first shown, so a link to
another page costs the race's frame plus that page.

The floor is a Dash app with nothing but one small plotly graph, served the same
way (the same Dash, renderer and plotly.js, on the same thread server): no Dash
page loads faster here. The figure that matters is the ratio to it.
"""

from __future__ import annotations

import argparse
import logging
import pathlib
import statistics
import sys
import threading

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, CHROMIUM_ARGS, AppServer  # noqa: E402

LINKS = ["", "?page=lr", "?page=worked", "?page=train&epochs=60"]

# In the page before any script: the time of the last DOM change and of the last
# Dash answer, and how many Dash requests are in flight.
WATCH = """
window.__load = {mutated: 0, pending: 0, answered: 0};
new MutationObserver(() => { window.__load.mutated = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
const fetch0 = window.fetch;
window.fetch = function (url) {
  const dash = String(url).indexOf('_dash-update-component') >= 0;
  if (dash) window.__load.pending++;
  return fetch0.apply(this, arguments).finally(() => {
    if (dash) { window.__load.pending--; window.__load.answered = performance.now(); }
  });
};
"""
STILL = """(quiet) => { const l = window.__load, now = performance.now();
  return l && l.pending === 0 && l.mutated > 0 && now - Math.max(l.mutated, l.answered) > quiet; }"""


def floor_server():
    """A Dash app with one small graph: the least a Dash page costs to load."""
    import dash
    from dash import dcc, html

    bare = dash.Dash(__name__, serve_locally=True)
    bare.layout = html.Div([dcc.Graph(figure={"data": [{"x": [0, 1, 2], "y": [1, 3, 2]}]})])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = make_server("127.0.0.1", 0, bare.server, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}/"


def load_ms(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.add_init_script(WATCH)
    page.goto(url)
    page.wait_for_function(STILL, arg=800, timeout=60_000, polling=100)
    ready = page.evaluate("() => window.__load.mutated")
    context.close()
    return ready


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5, help="fresh loads of each link")
    ap.add_argument("--links", nargs="*", default=LINKS, help="queries to open (\"\": the race)")
    args = ap.parse_args()
    srv, floor_url = floor_server()
    with AppServer() as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        load_ms(browser, app.url)  # the server's first answers (and the OS's file cache) warm
        floors = [load_ms(browser, floor_url) for _ in range(args.loads)]
        floor = statistics.median(floors)
        print(f"{'floor (a bare Dash page)':34s} median {floor:7.0f} ms  "
              f"({', '.join(f'{t:.0f}' for t in floors)})")
        for link in args.links:
            times = [load_ms(browser, app.url + link) for _ in range(args.loads)]
            median = statistics.median(times)
            print(f"{(link or '(the race)'):34s} median {median:7.0f} ms  {median / floor:5.1f}x "
                  f"the floor  ({', '.join(f'{t:.0f}' for t in times)})", flush=True)
        browser.close()
    srv.shutdown()


if __name__ == "__main__":
    main()
