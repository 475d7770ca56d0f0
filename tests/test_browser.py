"""The page in headless Chromium: drag, play, step, scrub, switch, links, bad input.

These need Debian's Chromium headless shell (``chromium-headless-shell``:
``scripts/test.sh`` installs it); without it they fail, they do not skip. Screenshots
go to ``artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import numpy as np
import psutil
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser import (
    ARTIFACTS,
    CALLBACKS_PENDING,
    COLOUR_BAR,
    CROWDED,
    FIRST_POINTS,
    HEADLESS_SHELL,
    PATH_LENGTHS,
    SHAPE,
    TEST_ARGS,
    TO_SCREEN,
    AppServer,
    drag_dot,
)

pytestmark = pytest.mark.browser
CLASSIC_TITLES = ["Gradient Descent", "Momentum", "RMSprop", "Adam"]


@pytest.fixture(scope="module")
def server():
    with AppServer() as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        # one renderer process per site (Chromium's default is one per tab): the
        # ``page`` fixture's pages, in one context, share it (see ``context``)
        b = p.chromium.launch(executable_path=HEADLESS_SHELL,
                              args=[*TEST_ARGS, "--process-per-site"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def context(browser, server):
    """The browser context of the module's ``page`` fixture, at 1440 x 1000.

    Each test gets a new page in it (its own document, JavaScript, sessionStorage,
    routes, init scripts and viewport), and a page left open on the app's origin
    keeps their renderer process alive between tests: a page that opens in the
    process the last one used does not compile the app's scripts again (V8 keeps
    compiled scripts per process): a third less of the machine's CPU per page
    load (6.8 -> 4.5 s, 12 loads each way; a shared context without the shared
    process saved nothing measurable). The app sets no cookie and uses no
    localStorage, so nothing else carries over but the HTTP cache (the app's
    scripts, as in any browser). Tests that need a context of their own (a
    phone's screen, a class's separate machines) make one."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    keeper = ctx.new_page()
    keeper.goto(server.url + "healthz")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    errors: list[str] = []
    watch(pg, errors)
    yield pg
    pg.close()
    errors = [e for e in errors if not any(x in e for x in pg.expected_errors)]  # type: ignore[attr-defined]
    assert not errors, errors


def watch(pg: Page, errors: list[str]) -> None:
    """Keep the page's errors in ``errors``, and its Dash requests for :func:`settle`."""
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.dash_requests, pg.dash_done = [], []  # type: ignore[attr-defined]
    pg.dash_active = time.monotonic()  # type: ignore[attr-defined]  # the last request sent or answered

    def dash(into: list) -> Callable:
        def record(r) -> None:
            if "_dash-update-component" in r.url:
                into.append(r.url)
                pg.dash_active = time.monotonic()  # type: ignore[attr-defined]
        return record

    pg.on("request", dash(pg.dash_requests))
    pg.on("requestfinished", dash(pg.dash_done))
    pg.on("requestfailed", dash(pg.dash_done))
    pg.expected_errors = []  # type: ignore[attr-defined]  # texts a test provokes on purpose


def appeared(locator: Locator, timeout: float) -> Locator:
    """``locator``, once what it finds is on the page and visible (within ``timeout`` ms),
    for ``expect`` to check.

    Waiting with ``wait_for``, not ``expect``: while a locator finds nothing, each of
    ``expect``'s polls also takes an ARIA snapshot of the whole page (Playwright 1.65, for
    its error message). Here that was 165 polls and 24 s of the browser tests' run in
    :func:`open_app` alone; with no snapshot at all, the browser tests (one process) took
    333 busy CPU s, not 352."""
    locator.wait_for(state="visible", timeout=timeout)
    return locator


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    appeared(page.locator(".results-table tbody tr").first, 15000)
    page.wait_for_function("() => { const gd = " + "document.querySelector('#graph-overlay .js-plotly-plot');"
                           " return gd && gd.data && gd.data.some(t => t.mode === 'lines'); }")


def epoch(page: Page) -> int:
    return int(re.match(r"epoch (\d+)", page.locator("#text-epoch").inner_text()).group(1))


def at_epoch(page: Page, n: int) -> None:
    expect(page.locator("#text-epoch")).to_have_text(re.compile(rf"^epoch {n} / "), timeout=5000)


def settle(page: Page, quiet_ms: int = 600) -> None:
    """Wait until no Dash request is in flight or queued in the renderer, and none has
    been sent or answered for ``quiet_ms`` (an answer may set off the next request: it
    counts as activity)."""
    deadline = time.monotonic() + 40 * quiet_ms / 1000
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        try:
            pending = page.evaluate(CALLBACKS_PENDING)
        except PlaywrightError:  # the page is between two documents: not settled
            pending = True
        if pending:
            page.dash_active = time.monotonic()  # type: ignore[attr-defined]
        idle = len(page.dash_done) >= len(page.dash_requests)
        if idle and time.monotonic() - page.dash_active >= quiet_ms / 1000:
            return
    raise AssertionError("the page kept sending requests")


def shot(page: Page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def assert_map_layers_aligned(page: Page, within_s: float = 3.0) -> None:
    """The stacked graphs must share one plot area, or paths miss their contours:
    within ``within_s`` (when the map's box changes, each graph resizes on its own,
    and on a busy machine one may lag the other by a few frames)."""
    deadline = time.monotonic() + within_s
    while True:
        under, over = page.evaluate("""() => ['#graph-contour', '#graph-overlay'].map(id => {
            const fl = document.querySelector(id + ' .js-plotly-plot')._fullLayout;
            return [fl._size.l, fl._size.t, fl._size.w, fl._size.h,
                    ...fl.xaxis.range, ...fl.yaxis.range];
        })""")
        if under == pytest.approx(over, abs=1e-6) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert under == pytest.approx(over, abs=1e-6)


PAINTED_FIRST_POINT = """() => { const it = window.viz.state.view.d.runs.find(r => r.meta.name === 'adam');
    return [it.x[0], it.y[0]]; }"""
# the player's path canvas is shown and has paint on it
CANVAS_PATHS_SHOWN = """() => { const c = document.querySelector('#map-stack canvas.paint-paths');
    if (!c || c.style.display === 'none') return false;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < px.length; i += 4) if (px[i]) return true;
    return false; }"""


def test_page_opens_with_the_classic_scene(page, server):
    open_app(page, server.url)
    settle(page)
    rows = page.locator(".results-table tbody tr td:first-child").all_inner_texts()
    assert rows == CLASSIC_TITLES
    assert epoch(page) == 1000 and page.locator("#text-epoch").inner_text() == "epoch 1000 / 1000"
    assert page.locator("#input-start-x input, input#input-start-x").first.input_value() == "0"
    lengths = page.evaluate(PATH_LENGTHS)
    assert set(lengths) == {"gd", "momentum", "rmsprop", "adam"}
    assert all(n == 1001 for n in lengths.values())
    assert "landscape=himmelblau" in page.url and "opt=adam:lr=0.001" in page.url
    assert_map_layers_aligned(page)
    shot(page, "01-classic")


def test_the_page_draws_with_its_own_plotly_js_and_never_fetches_the_full_bundle(page, server):
    """assets/vendor/plotly.js (scripts/build_plotly.sh): plotly.py's own plotly.js version,
    with every trace type the app's figures use, and the full bundle never asked for; and
    Dash's renderer as the app serves it (visualizer/server/renderer.py)."""
    import plotly.graph_objects as go
    import plotly.offline
    from plotly.basedatatypes import BaseTraceType

    import visualizer

    # every trace class the package's figures make (go.Scatter3d(...), ...), on any page
    source = "".join(f.read_text() for f in pathlib.Path(visualizer.__file__).parent.rglob("*.py"))
    classes = {getattr(go, n, None) for n in re.findall(r"\bgo\.([A-Z]\w*)\(", source)}
    used = {c().type for c in classes if isinstance(c, type) and issubclass(c, BaseTraceType)}
    assert {"contour", "heatmap", "scatter", "surface", "scatter3d"} <= used  # the reading works
    open_app(page, server.url)
    page.get_by_role("tab", name="3-D surface").click()  # the surface and its 3-D paths
    page.wait_for_function("() => { const gd = document.querySelector('#graph-surface "
                           ".js-plotly-plot'); return gd && (gd._fullData || []).some("
                           "t => t.type === 'scatter3d'); }", timeout=15000)
    assert page.evaluate("() => Plotly.version") == plotly.offline.get_plotlyjs_version()
    drawn = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                          ".flatMap(gd => (gd._fullData || []).map(t => t.type))")
    assert {"contour", "heatmap", "scatter", "surface", "scatter3d"} <= set(drawn)
    registered = set(page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"))
    assert used <= registered, used - registered
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert not [u for u in fetched if "plotly.min.js" in u], fetched
    from visualizer.server import renderer

    loaded = next(u for u in fetched if "/dash_renderer." in u)
    assert page.evaluate("u => fetch(u).then(r => r.text())", loaded).encode() == \
        renderer.bundle("dash_renderer.min.js")[0]


def test_play_advances_with_no_server_requests(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("#button-reset")
    at_epoch(page, 0)
    page.wait_for_timeout(100)
    assert all(n == 1 for n in page.evaluate(PATH_LENGTHS).values())
    before = len(page.dash_requests)
    page.click("#button-play")
    page.wait_for_timeout(1500)
    during = epoch(page)
    # frames go to the canvases: plotly keeps the minima, the dot and the axes
    assert page.evaluate(CANVAS_PATHS_SHOWN) and page.evaluate(PATH_LENGTHS) == {}
    thumb = float(page.locator("#slider-epoch .mantine-Slider-thumb").get_attribute("aria-valuenow"))
    assert 0 < thumb <= epoch(page)  # the slider moves with the frames
    shot(page, "02-playing")
    page.keyboard.press("Space")  # pause
    expect(page.locator("#button-play")).to_contain_text("Play")
    paused = epoch(page)
    page.wait_for_timeout(400)
    assert epoch(page) == paused > during > 0
    assert len(page.dash_requests) == before, page.dash_requests[before:]
    lengths = page.evaluate(PATH_LENGTHS)
    assert lengths["adam"] == paused + 1  # paused: plotly holds the paths again
    assert not page.evaluate(CANVAS_PATHS_SHOWN)
    page.keyboard.press("Space")  # resume, not restart
    page.wait_for_timeout(300)
    assert epoch(page) > paused


def test_step_back_forward_keyboard_and_scrub(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("#button-reset")
    at_epoch(page, 0)
    for i in range(1, 4):
        page.click("#button-step-forward")
        at_epoch(page, i)
    page.click("#button-step-back")
    at_epoch(page, 2)
    page.keyboard.press("ArrowRight")
    at_epoch(page, 3)
    page.keyboard.press("Home")
    at_epoch(page, 0)
    page.keyboard.press("ArrowRight")
    at_epoch(page, 1)
    page.wait_for_timeout(100)
    assert page.evaluate(PATH_LENGTHS)["gd"] == 2
    box = page.locator("#slider-epoch").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    assert 440 <= epoch(page) <= 560
    assert page.evaluate(PATH_LENGTHS)["momentum"] == epoch(page) + 1
    shot(page, "03-scrubbed")


def test_dragging_the_red_dot_moves_the_start_and_the_paths(page, server):
    open_app(page, server.url)
    settle(page)
    before = page.evaluate(FIRST_POINTS)
    sent = len(page.dash_requests)
    drag_dot(page, [0.0, 0.0], [-2.0, 1.0])
    page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                           " const t = gd.data.find(t => t.meta === 'adam' && t.mode === 'lines');"
                           " return t && Math.abs(t.x[0]) > 0.5; }", timeout=10000)
    settle(page)
    after = page.evaluate(FIRST_POINTS)
    sx, sy = page.evaluate(SHAPE)
    assert abs(sx + 2.0) < 0.1 and abs(sy - 1.0) < 0.1
    for name in before:
        assert after[name] == pytest.approx([sx, sy], abs=1e-4)
        assert after[name] != before[name]
    assert float(page.locator("#input-start-x").input_value()) == pytest.approx(sx, abs=1e-5)
    query = parse_qs(urlparse(page.url).query)
    assert [float(v) for v in query["start"][0].split(",")] == pytest.approx([sx, sy], abs=1e-5)
    assert len(page.dash_requests) - sent == 1, page.dash_requests[sent:]  # the drop's runs, only
    shot(page, "04-dragged")
    # the boxes move the start too, and the dot with it
    box = page.locator("#input-start-x")
    box.fill("2.5")
    box.press("Tab")
    page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                           " const t = gd.data.find(t => t.meta === 'adam' && t.mode === 'lines');"
                           " return t && Math.abs(t.x[0] - 2.5) < 1e-6; }", timeout=10000)
    settle(page)
    assert page.evaluate(SHAPE)[0] == pytest.approx(2.5)
    box.fill("abc")
    box.press("Tab")
    expect(page.locator("#input-start-x").locator("xpath=..").locator("..")).to_contain_text(
        "must be a number", timeout=10000)


def test_paths_follow_the_dot_while_it_is_dragged(page, server):
    """A slow drag redraws the paths several times on the way (on the player's
    canvases); the drop's paths are a fresh run from the drop point; nothing from
    the drag is drawn after the drop but the dropped start's own runs."""
    import numpy as np

    import landscapes
    from visualizer import engine

    open_app(page, server.url)
    settle(page)
    x0, y0 = page.evaluate(TO_SCREEN, [0.0, 0.0])
    x1, y1 = page.evaluate(TO_SCREEN, [2.0, -2.5])
    page.mouse.move(x0, y0)
    page.mouse.down()
    starts_seen = set()
    for i in range(1, 26):
        page.mouse.move(x0 + (x1 - x0) * i / 25, y0 + (y1 - y0) * i / 25)
        page.wait_for_timeout(80)
        starts_seen.add(tuple(page.evaluate(PAINTED_FIRST_POINT)))
        assert page.evaluate(CANVAS_PATHS_SHOWN)  # the paths are on the canvas, not in plotly
        if i == 20:
            shot(page, "04a-dragging")
    drawn = page.evaluate("() => window.__live.drawn.slice()")
    page.mouse.up()
    assert len(drawn) >= 4 and drawn == sorted(drawn)  # several updates, in order
    assert len(starts_seen) >= 4  # the paths really moved with the dot
    page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                           " const t = gd.data.find(t => t.meta === 'adam' && t.mode === 'lines');"
                           " return t && t.x[0] > 1.5; }", timeout=10000)
    settle(page)
    after = page.evaluate("() => window.__live.drawn.slice()")
    assert after[: len(drawn)] == drawn and len(after) <= len(drawn) + 1  # at most the drop's own
    assert after == sorted(after)
    assert not page.evaluate(CANVAS_PATHS_SHOWN)  # plotly holds the paths again (hover, PNG)
    sx, sy = page.evaluate(SHAPE)
    shot(page, "04b-dragged-live")
    paths = page.evaluate("""() => document.querySelector('#graph-overlay .js-plotly-plot').data
        .filter(t => t.mode === 'lines' && t.meta).map(t => [t.meta, Array.from(t.x), Array.from(t.y)])""")
    start = (round(sx, 6), round(sy, 6))
    specs = [engine.make_spec(n, lr=1e-3) for n in ("gd", "momentum", "rmsprop", "adam")]
    fresh = engine.run(landscapes.get("himmelblau"), specs, start, 1000)
    for i, (name, xs, ys) in enumerate(sorted(paths, key=lambda p: ["gd", "momentum", "rmsprop",
                                                                   "adam"].index(p[0]))):
        assert name == specs[i].optimizer
        np.testing.assert_allclose(xs, fresh.points[i, 0, : len(xs), 0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(ys, fresh.points[i, 0, : len(ys), 1], rtol=1e-6, atol=1e-6)


def test_a_busy_server_slows_the_previews_and_the_drop_still_lands(page, server):
    """When the class's proxy sheds previews (429, scripts/deploy/nginx.conf), the
    page waits longer before the next one, and the drop's runs come through Dash."""
    asked: list[float] = []

    def busy(route):
        if "preview=1" in route.request.url:
            asked.append(page.evaluate("() => performance.now()"))
            route.fulfill(status=429, body="busy")
        else:
            route.continue_()

    page.expected_errors.append("status of 429")  # the browser logs each answer shed
    open_app(page, server.url)
    settle(page)
    page.route("**/api/runs?*", busy)
    x0, y0 = page.evaluate(TO_SCREEN, [0.0, 0.0])
    x1, y1 = page.evaluate(TO_SCREEN, [2.0, -2.5])
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20)
        page.wait_for_timeout(60)
    page.mouse.up()
    gaps = [b - a for a, b in zip(asked, asked[1:], strict=False)]
    assert len(asked) >= 2 and min(gaps[:-1] or [300]) >= 290, gaps  # 50 + 250 ms after a 429
    assert page.evaluate("() => window.__live.drawn.length") == 0  # nothing came from a preview
    page.wait_for_function("() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
                           " const t = gd.data.find(t => t.meta === 'adam' && t.mode === 'lines');"
                           " return t && t.x[0] > 1.5; }", timeout=10000)  # the drop, via Dash
    page.unroute("**/api/runs?*")


def test_a_page_switch_asks_only_for_the_page_shown(page, server):
    """The pages' callbacks listen to their own "shown" store (links.shownPages),
    not to the tabs: switching to a lesson and back sends requests for that lesson
    alone, and nothing at all for the race or the pages not shown. The lesson's body
    is not in the page the browser loads: it is asked for once, when first shown."""
    open_app(page, server.url)
    settle(page)
    assert page.locator("#belief-map").count() == 0
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "")
            if "_dash-update-component" in r.url else None)
    page.click("text=Adam vs AdaBelief")
    page.wait_for_function("() => { const gd = document.querySelector('#belief-map .js-plotly-plot');"
                           " return gd && gd.data && gd.data.length > 1; }", timeout=15000)
    settle(page)
    first = list(sent)
    page.click("text=Compare optimizers")
    settle(page)
    page.click("text=Adam vs AdaBelief")
    settle(page)
    outputs = [__import__("json").loads(b)["output"] for b in sent]
    assert first and all("belief-" in o for o in outputs), outputs
    assert sum("page-belief.children" in o for o in outputs) == 1, outputs  # its body, once
    assert len(outputs) <= len(first) + 1, outputs  # coming back costs at most one request


def test_projector_mode_at_1280_by_720(page, server):
    """&projector=1 (or the header's switch): larger type, paths twice as thick,
    the controls folded away; the link keeps it, and the switch turns it off."""
    page.set_viewport_size({"width": 1280, "height": 720})
    open_app(page, server.url + "?projector=1")
    settle(page)
    assert page.evaluate("() => document.documentElement.classList.contains('projector')")
    expect(page.locator(".panel")).to_be_hidden()
    lines = ("() => document.querySelector('#graph-overlay .js-plotly-plot').data"
             ".filter(t => t.mode === 'lines' && t.meta).map(t => t.line.width)")
    fonts = ("() => ['#graph-loss', '#graph-contour'].map(s => "
             "document.querySelector(s + ' .js-plotly-plot')._fullLayout.font.size)")
    assert set(page.evaluate(lines)) == {5.2}
    assert page.evaluate(fonts) == [20, 20]
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "20px"
    assert page.locator("#graph-contour").bounding_box()["width"] > 560  # the controls' room
    expect(page).to_have_url(re.compile(r"projector=1"))
    page.wait_for_timeout(500)  # the graphs follow their box's new size
    for element in ["#graph-contour", "#button-play", "#button-step-forward", "#text-epoch"]:
        box = page.locator(element).bounding_box()
        assert box["y"] + box["height"] <= 720, element  # on screen at 1280 x 720, no scrolling
    assert_map_layers_aligned(page)
    bar = page.evaluate(COLOUR_BAR)  # the larger labels and title fit the wider margin
    assert bar["labels"] == 7 and bar["past"] <= 0 and bar["overlaps"] == 0, bar
    # the map is kept to scale, so its x axis takes only part of the plot area: a
    # click still lands where it is made
    page.mouse.click(*page.evaluate(TO_SCREEN, [2.5, -1.5]))
    page.wait_for_function("() => location.search.includes('start=2.5')", timeout=5000)
    assert page.evaluate(SHAPE) == pytest.approx([2.5, -1.5], abs=0.05)
    settle(page)
    shot(page, "30-projector")
    page.locator(".projector-switch input").click(force=True)
    page.wait_for_function("() => !document.documentElement.classList.contains('projector')")
    expect(page.locator(".panel")).to_be_visible()
    assert set(page.evaluate(lines)) == {2.6}
    assert page.evaluate(fonts) == [13, 13]
    margins = ("() => ['#graph-contour', '#graph-overlay'].map(s => "
               "document.querySelector(s + ' .js-plotly-plot')._fullLayout.margin.r)")
    assert page.evaluate(margins) == [96, 96]  # the figures' own again
    assert_map_layers_aligned(page)
    expect(page).not_to_have_url(re.compile(r"projector=1"))


def test_click_places_the_start(page, server):
    open_app(page, server.url)
    settle(page)
    x, y = page.evaluate(TO_SCREEN, [2.5, -3.0])
    page.mouse.click(x, y)
    page.wait_for_function("() => { const s = document.querySelector('#graph-overlay .js-plotly-plot')"
                           ".layout.shapes[0]; return Math.abs(s.xanchor - 2.5) < 0.1; }", timeout=10000)
    settle(page)
    first = page.evaluate(FIRST_POINTS)["gd"]
    assert first == pytest.approx([2.5, -3.0], abs=0.08)


def test_switching_landscape_redraws(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("[data-name=rosenbrock]")
    page.wait_for_function("() => document.querySelector('#graph-overlay .js-plotly-plot')"
                           ".layout.meta === 'rosenbrock'", timeout=10000)
    settle(page)
    assert "landscape=rosenbrock" in page.url
    assert page.locator(".ls-name").inner_text() == "Rosenbrock"
    assert page.evaluate(FIRST_POINTS)["adam"] == [0.0, 0.0]
    x_range = page.evaluate("() => document.querySelector('#graph-contour .js-plotly-plot')"
                            "._fullLayout.xaxis.range")
    assert x_range == pytest.approx([-2.0, 2.0])  # Rosenbrock's window, to scale
    assert_map_layers_aligned(page)
    stars = page.evaluate("() => document.querySelector('#graph-overlay .js-plotly-plot').data"
                          ".filter(t => t.mode === 'markers' && t.meta === 'fixed')[0].x")
    assert list(stars) == [1.0]
    shot(page, "05-rosenbrock")


def test_a_link_restores_the_scene(page, server):
    url = (server.url + "?landscape=booth&start=-6,-6&steps=300"
           "&opt=momentum:lr=0.01,decay=0,momentum=0.8&opt=adabelief:lr=0.05,decay=0.01")
    open_app(page, url)
    settle(page)
    assert page.locator(".results-table tbody tr td:first-child").all_inner_texts() == ["Momentum", "AdaBelief"]
    assert page.locator("#text-epoch").inner_text() == "epoch 300 / 300"
    assert page.locator("#input-start-x").input_value() == "-6"
    assert page.evaluate(FIRST_POINTS)["momentum"] == [-6.0, -6.0]
    assert page.locator("[data-opt=adabelief] .opt-check input").is_checked()
    assert not page.locator("[data-opt=adam] .opt-check input").is_checked()
    assert page.locator("input[aria-label='AdaBelief learning rate decay']").input_value() == "0.01"
    q = parse_qs(urlparse(page.url).query)
    assert q["opt"] == ["momentum:lr=0.01,decay=0,momentum=0.8", "adabelief:lr=0.05,decay=0.01"]
    shot(page, "06-from-link")


def test_garbage_in_a_learning_rate_box_shows_a_message(page, server):
    """Each bad learning rate in turn, in one page (each ends as it began: the box
    mended, four runs): a message under the box, the other runs still shown, the
    player still working."""
    open_app(page, server.url)
    settle(page)
    box = page.locator("input[aria-label='Adam learning rate']")
    error = page.locator("[data-opt=adam] .mantine-TextInput-error")
    for garbage in ["abc", "-1", "1e300", "NaN", ""]:
        box.fill(garbage)
        box.press("Tab")
        appeared(error, 10000)
        assert error.inner_text().strip(), garbage
        settle(page)
        rows = page.locator(".results-table tbody tr td:first-child").all_inner_texts()
        assert rows == CLASSIC_TITLES[:3], garbage
        assert "Adam" in page.locator("#text-status").inner_text(), garbage
        if garbage == "abc":
            shot(page, "07-bad-input")
        page.click("#button-reset")
        at_epoch(page, 0)
        page.click("#button-play")  # the rest of the page keeps working: it plays
        expect(page.locator("#text-epoch")).not_to_have_text(re.compile(r"^epoch 0 / "), timeout=5000)
        page.click("#button-play")  # paused again, for the next value
        box.fill("0.01")
        box.press("Tab")
        expect(error).to_have_count(0, timeout=10000)
        settle(page)
        assert page.locator(".results-table tbody tr").count() == 4, garbage


def test_a_diverging_run_is_reported_in_plain_words(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("text=Presets ▾")
    page.click("text=Too large a learning rate")
    expect(page.locator(".results-table")).to_contain_text("diverged at epoch", timeout=10000)
    settle(page)
    assert "landscape=ill_conditioned_bowl" in page.url
    shot(page, "08-diverged")


def test_phone_sized_screen(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    open_app(page, server.url)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 392  # no sideways scrolling
    page.evaluate("() => window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "09-phone.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / "09-phone-full.png"), full_page=True)
    context.close()


def test_settings_panel_edits_hyperparameters_and_schedule(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("button[aria-label='Momentum: other hyperparameters and schedule']")
    panel = page.locator("#panel-settings")
    expect(panel).to_be_visible()
    expect(page.locator("#text-settings-title")).to_have_text("Momentum settings")
    box = panel.locator("input").first
    assert box.input_value() == "0.9"
    box.fill("2")
    box.press("Tab")
    expect(panel.locator(".mantine-TextInput-error")).to_have_text("Momentum: must be from 0 to 1 (got 2)", timeout=10000)
    settle(page)
    assert "Momentum" in page.locator("#text-status").inner_text()
    box.fill("0.5")
    box.press("Tab")
    expect(panel.locator(".mantine-TextInput-error")).to_have_count(0, timeout=10000)
    settle(page)
    assert "opt=momentum:lr=0.001,decay=0,momentum=0.5" in page.url
    page.click("#button-settings-done")
    expect(panel).to_be_hidden()
    shot(page, "10-settings")


def test_log_scale_and_3d_view(page, server):
    open_app(page, server.url)
    settle(page)
    page.locator("#switch-log").check(force=True)
    page.wait_for_function("() => document.querySelector('#graph-loss .js-plotly-plot')"
                           "._fullLayout.yaxis.type === 'log'", timeout=5000)
    page.click("text=3-D surface")
    page.wait_for_function("() => { const gd = document.querySelector('#graph-surface .js-plotly-plot');"
                           " return gd && gd.data && gd.data.length === 5; }", timeout=15000)
    shot(page, "11-surface")
    page.click("text=Contour map")
    expect(page.locator("#map-stack")).to_be_visible()


def test_png_of_the_map_and_hover_readout(page, server):
    open_app(page, server.url)
    settle(page)
    x, y = page.evaluate(TO_SCREEN, [-4.0, 0.5])  # away from every path
    page.mouse.move(x + 30, y + 30)
    page.mouse.move(x, y)
    readout = page.locator("#graph-overlay .hoverlayer")
    expect(readout).to_contain_text("f =", timeout=5000)
    expect(readout).to_contain_text("∇f")
    with page.expect_download() as info:
        page.click("#button-png")
    ARTIFACTS.mkdir(exist_ok=True)
    info.value.save_as(ARTIFACTS / "12-map-export.png")
    data = (ARTIFACTS / "12-map-export.png").read_bytes()
    assert info.value.suggested_filename == "optimizer-map.png" and data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    box = page.locator("#map-stack").bounding_box()
    assert abs(width - 2 * box["width"]) <= 4  # both layers, at twice the size


def test_momentum_by_hand_page(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("text=Momentum by hand")
    expect(page.locator("#page-race")).to_be_hidden()
    steps = page.locator(".w-step")
    expect(steps).to_have_count(2)
    first = steps.first.inner_text()
    # Step 1 of the document's example, by hand (tests/test_worked.py): y_hat 2 and 5,
    # L = 64, dL/dw1 = -40, new w1 = 1 - 0.1 * (-40) = 5.
    assert "Step 1: batch of rows 1, 2" in first
    for text in ("= 64", "= -40", "1 − 0.1·(-40) = 5"):
        assert text in first, text
    cells = [row.split("\t") for row in steps.first.locator("tbody tr").all_inner_texts()]
    assert [c[4].rsplit("= ", 1)[1] for c in cells] == ["2", "5"]
    page.keyboard.press("Space")  # the hidden player must not start
    shot(page, "13-momentum-by-hand")

    box = page.locator("#worked-lr")
    box.fill("abc")
    box.press("Enter")
    expect(page.locator("#worked-error")).to_have_text("Learning rate: must be a number (got 'abc')")
    expect(steps).to_have_count(2)  # the last good steps stay
    box.fill("0.05")
    box.press("Enter")
    expect(page.locator("#worked-error")).to_have_text("")
    steps_box = page.locator("#worked-steps")
    steps_box.fill("3")
    steps_box.press("Enter")
    expect(steps).to_have_count(3)
    assert "0.05·" in steps.first.inner_text()

    # the other convention: v = beta v + (1 - beta) g
    page.locator("#worked-convention").get_by_text("v = β v + (1 − β) g").click()
    expect(steps.first).to_contain_text("0.9·0 + 0.1·(-40) = -4")
    expect(page).to_have_url(re.compile(r"conv=ema"))

    page.click("text=Compare optimizers")
    expect(page.locator("#map-stack")).to_be_visible()
    assert "epoch 1000 / 1000" == page.locator("#text-epoch").inner_text()


def test_check_my_work_marks_the_document_answer_as_a_teacher_would(page, server):
    page.goto(server.url + "?page=worked")
    expect(page.locator(".w-step")).to_have_count(2, timeout=15000)
    page.click("text=Fill in the document's answer")
    mark = lambda key: page.locator(f'[id=\'{{"key":"{key}","type":"worked-mark"}}\']')  # noqa: E731
    answer = lambda key: page.locator(f'input[name="{key}"]')  # noqa: E731
    expect(mark("1.grad.0")).to_have_text("✗ wrong: this uses x₁ where x₁² belongs", timeout=10000)
    expect(mark("1.grad.1")).to_have_text("✗ wrong: this uses x₂ where x₂² belongs")
    expect(mark("1.grad.2")).to_have_text("✓ right")
    expect(mark("1.w.0")).to_have_text("↳ follows from an earlier slip")
    expect(mark("2.yhat.0")).to_have_text("✗ wrong")
    expect(mark("2.vel.3")).to_have_text("↳ follows from an earlier slip")
    expect(page.locator("#worked-score")).to_have_text(re.compile(
        r"9 right · 8 wrong · 13 follow from an earlier slip · 4 blank"))  # the 4 residuals
    assert answer("1.grad.0").input_value() == "-24" and answer("1.loss").input_value() == "64"
    expect(mark("1.vel.0")).to_have_text("↳ follows from an earlier slip")
    shot(page, "23-check-my-work", full_page=True)

    # the student corrects dL/dw1: it is right, and their velocity -24 no longer follows from
    # it; corrected too, their w1 = 3.4 no longer follows from that
    answer("1.grad.0").fill("-40")
    answer("1.grad.0").press("Tab")
    expect(mark("1.grad.0")).to_have_text("✓ right", timeout=10000)
    expect(mark("1.vel.0")).to_have_text("✗ wrong")
    expect(mark("1.w.0")).to_have_text("↳ follows from an earlier slip")
    answer("1.vel.0").fill("-40")
    answer("1.vel.0").press("Tab")
    expect(mark("1.vel.0")).to_have_text("✓ right", timeout=10000)
    expect(mark("1.w.0")).to_have_text("✗ wrong")
    answer("1.w.0").fill("5")
    answer("1.w.0").press("Tab")
    expect(mark("1.w.0")).to_have_text("✓ right", timeout=10000)
    # "show" reveals the correct value with its arithmetic
    details = page.locator(".w-step").first.locator(".w-line", has_text="∂L/∂w1").locator("summary")
    details.click()
    expect(page.locator(".w-step").first.locator(".w-line", has_text="∂L/∂w1")).to_contain_text(
        "(-8)·1 + (-8)·4 = -40")

    # the link keeps the entries and the marks come back
    expect(page).to_have_url(re.compile(r"check=1.*ans=.*1\.grad\.0:-40"))
    page.goto(page.url)
    expect(mark("1.grad.0")).to_have_text("✓ right", timeout=15000)
    expect(mark("1.grad.1")).to_have_text(re.compile("x₂ where x₂² belongs"))
    assert answer("2.w.0").input_value() == "5.36"
    page.click("text=Clear my answers")
    expect(answer("1.grad.1")).to_have_value("", timeout=10000)
    expect(page.locator("#worked-score")).to_contain_text("0 right · 0 wrong")


def test_lesson_scenes_show_their_claims(page, server):
    page.goto(server.url + "?page=lr")
    expect(page.locator("#lr-note")).to_contain_text("lr 0.041: diverged", timeout=15000)
    page.locator("#lr-preset").click()
    page.get_by_role("option", name="Warmup tames Adam's first steps (Rosenbrock)").click()
    note = page.locator("#lr-note")
    expect(note).to_contain_text("the cost peaks at 13.12 without warmup and at 0.99", timeout=10000)
    expect(note).to_contain_text("lr 0.5, no warmup: ends")
    expect(note).to_contain_text("highest cost 13.12 in epochs 1–100, 4.278 after")
    charts = page.locator("#lr-charts .js-plotly-plot")
    dashes = charts.evaluate("gd => gd.data.filter(t => t.yaxis === 'y').map(t => t.line.dash)")
    assert dashes == ["solid", "dash"]  # with and without warmup, on one chart
    assert charts.evaluate("gd => gd.layout.shapes.map(s => s.x1)") == [100, 100]  # the window, shaded
    expect(page).to_have_url(re.compile(r"page=lr&scene=warmup_peak.*compare=1"))
    page.locator("#lr-preset").click()
    page.get_by_role("option", name="Warmup, then cosine decay (Rosenbrock)").click()
    expect(note).to_contain_text("highest cost 0.99 in epochs 1–100, 1.469 after", timeout=10000)
    expect(page).to_have_url(re.compile(r"page=lr&scene=warmup_cosine.*schedule=cosine"))
    shot(page, "24-warmup-side-by-side")
    page.locator("#lr-preset").click()
    page.get_by_role("option", name="A small lr stays in the local minimum (double well)").click()
    expect(note).to_contain_text("lr 0.12: ends in the global minimum", timeout=10000)
    expect(note).to_contain_text("lr 0.01: ends in the local minimum")
    shot(page, "25-small-lr-stuck")
    steps_box = page.locator("#lr-steps")  # an edit: the scene's sentence goes, the measures stay
    steps_box.fill("20")
    steps_box.press("Enter")
    expect(note).not_to_contain_text("settles in the nearer", timeout=10000)
    expect(note).to_contain_text("Measured:")

    open_app(page, server.url)
    settle(page)
    page.click("text=Presets ▾")
    page.click("text=Momentum rolls into the deeper well")
    table = page.locator(".results-table")
    expect(table.locator("tr[data-opt=gd] td.ends")).to_have_text("local (0.96, 0)", timeout=15000)
    expect(table.locator("tr[data-opt=momentum] td.ends")).to_have_text("global (-1.04, 0)")
    expect(table.locator("tr[data-opt=nesterov] td.ends")).to_have_text("global (-1.04, 0)")
    shot(page, "26-double-well")
    page.click("text=Presets ▾")
    page.click("text=Classic: Goldstein-Price")
    expect(table.locator("tr[data-opt=rmsprop] td.ends")).to_have_text("global (0, -1)", timeout=15000)
    expect(table.locator("tr[data-opt=adam] td.ends")).to_have_text("local (-0.6, -0.4)")
    caption = page.locator("#text-preset-note")  # the preset's caption, while its runs are shown
    expect(caption).to_contain_text("Classic: Goldstein-Price — The classic figure's second")
    expect(caption).to_contain_text("Goldstein-Price is the most likely one")
    page.click("text=Presets ▾")
    page.click("text=Classic: Himmelblau")
    expect(caption).to_contain_text("Himmelblau is not convex", timeout=15000)
    caption.locator("summary").click()  # the note, folded under the description
    expect(caption.locator("details")).to_have_attribute("open", "")
    shot(page, "26a-classic-caption")
    steps_box = page.locator("#input-steps")  # an edit: the runs are no longer the preset's
    steps_box.fill("900")
    steps_box.press("Enter")
    expect(caption).to_have_text("", timeout=15000)
    expect(caption).to_be_hidden()


def test_your_own_landscape(page, server):
    open_app(page, server.url)
    settle(page)
    box = page.locator("#input-formula")
    box.fill("__import__('os').system('ls')")
    box.press("Enter")
    expect(page.locator(".formula-box")).to_contain_text("attribute access")
    assert page.locator(".ls-name").inner_text() == "Himmelblau"  # the map stays

    box.fill("x**2 + 3*sin(y)")
    page.locator("#input-domain").fill("-4, 4, -3, 3")
    page.click("#button-formula")
    page.wait_for_function("() => (document.querySelector('#graph-overlay .js-plotly-plot')"
                           ".layout.meta || '').startsWith('formula:')", timeout=10000)
    settle(page)
    expect(page.locator(".formula-box")).not_to_contain_text("not allowed")
    assert page.locator(".ls-name").inner_text() == "Your own: x**2 + 3*sin(y)"
    assert "∂f/∂y = 3*cos(y)" in page.locator(".ls-info").inner_text()
    q = parse_qs(urlparse(page.url).query)
    assert q["landscape"] == ["formula:-4,4,-3,3:x**2 + 3*sin(y)"]
    x_range = page.evaluate("() => document.querySelector('#graph-contour .js-plotly-plot')"
                            "._fullLayout.xaxis.range")
    y_range = page.evaluate("() => document.querySelector('#graph-contour .js-plotly-plot')"
                            "._fullLayout.yaxis.range")
    assert x_range == pytest.approx([-4, 4]) and y_range == pytest.approx([-3, 3])
    assert_map_layers_aligned(page)
    lengths = page.evaluate(PATH_LENGTHS)
    assert set(lengths) == {"gd", "momentum", "rmsprop", "adam"} and min(lengths.values()) > 1
    bar = page.evaluate(COLOUR_BAR)  # its title stands after its widest label, uncut
    assert bar["labels"] == 7 and bar["past"] <= 0 and bar["overlaps"] == 0, bar
    shot(page, "14-your-own-landscape")

    # the link alone brings it back, formula in its box
    page.goto(page.url)
    expect(page.locator(".ls-name")).to_have_text("Your own: x**2 + 3*sin(y)", timeout=15000)
    expect(page.locator("#input-formula")).to_have_value("x**2 + 3*sin(y)")
    expect(page.locator("#input-domain")).to_have_value("-4, 4, -3, 3")


def test_step_inspector(page, server):
    open_app(page, server.url + "?landscape=rosenbrock&start=-1.5,1.5&steps=300"
             "&opt=momentum:lr=0.001,decay=0&opt=adam:lr=0.02,decay=0")
    settle(page)
    before = len(page.dash_requests)
    page.click("text=Step inspector")
    expect(page.locator(".i-step")).to_have_text("Step 300: from epoch 299 to epoch 300")
    expect(page.locator(".i-card")).to_have_count(2)
    page.click("#button-step-back")
    expect(page.locator(".i-step")).to_have_text("Step 299: from epoch 298 to epoch 299")
    adam = page.locator(".i-card[data-opt=adam]")
    expect(adam.locator("mjx-container").first).to_be_visible()  # the rule is typeset
    table = adam.locator(".i-table").inner_text()
    assert "m (exp_avg) after" in table and "v (exp_avg_sq) after" in table
    # hovering the cost chart picks the step under the pointer
    box = page.locator("#graph-loss .nsewdrag").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    expect(page.locator(".i-step")).not_to_have_text(re.compile("Step 299"), timeout=5000)
    hovered = int(re.match(r"Step (\d+)", page.locator(".i-step").inner_text()).group(1))
    assert 15 <= hovered <= 45
    shot(page, "15-step-inspector")
    assert "view=inspect" in page.url
    with page.expect_download() as download:
        page.click("#button-inspect-csv")
    lines = open(download.value.path()).read().splitlines()
    assert len(lines) == 1 + 2 * 300 and lines[0].startswith("run,optimizer,step,lr")

    # playing sends no inspector requests; the last frame is inspected once stopped
    page.mouse.move(5, 5)
    settle(page)
    n = len(page.dash_requests)
    page.click("#button-reset")
    page.click("#button-play")
    page.wait_for_timeout(1500)
    during = len(page.dash_requests) - n
    assert during <= 1, page.dash_requests[n:]  # the reset's step at most
    assert before < n
    page.goto(page.url)  # the link opens the inspector
    expect(appeared(page.locator(".i-step"), 15000)).to_have_text("Step 300: from epoch 299 to epoch 300", timeout=15000)


def test_teaching_scenes_and_their_links(page, server):
    open_app(page, server.url)
    settle(page)
    page.click("text=Adam vs AdaBelief")
    expect(appeared(page.locator("#belief-note"), 10000)).to_contain_text("AdaBelief: within 0.1", timeout=10000)
    expect(page.locator(".algo-line.diff")).to_have_count(6)  # v or s: three lines each
    expect(page).to_have_url(re.compile(r"page=belief.*scene=abs_skew"))  # written just after
    assert page.locator("#belief-charts .js-plotly-plot").evaluate("gd => gd.data.length") == 20
    expect(page.locator("#belief-note")).to_contain_text("Mean step across the valley, AdaBelief")
    titles = page.locator("#belief-charts .js-plotly-plot").evaluate(
        "gd => gd.layout.annotations.map(a => a.text)")
    assert "|step| across the valley" in titles and "numerator |m̂| across the valley" in titles
    assert "AdaBelief: g, its prediction m, m ± √ŝ (x)" in titles
    shot(page, "16-adam-vs-adabelief")
    box = page.locator("#belief-lr")
    box.fill("fast")
    box.press("Enter")
    expect(page.locator("#belief-error")).to_have_text("Learning rate: must be a number (got 'fast')")

    page.click("text=Learning rates")
    expect(page.locator("#lr-note")).to_contain_text("lr 0.041: diverged at epoch", timeout=10000)
    expect(page).to_have_url(re.compile(r"page=lr"))
    lrs = page.locator("#lr-charts .js-plotly-plot").evaluate(
        "gd => gd.data.filter(t => t.yaxis === 'y2').length")
    assert lrs == 4  # one learning-rate curve per run, under the cost
    shot(page, "17-learning-rates")

    page.click("text=Forgetting & EWC")
    expect(page.locator("#ewc-note")).to_contain_text("With EWC", timeout=10000)
    expect(page.locator("#ewc-note")).to_contain_text("With L2 (λ = 10, every weight alike)")
    names = page.locator("#ewc-map .js-plotly-plot").evaluate("gd => gd.data.map(t => t.name)")
    assert {"then B alone", "then B with EWC", "then B with L2"} <= set(names)
    shot(page, "18-forgetting-and-ewc")
    lam = page.locator("#ewc-lambda")
    lam.fill("20")
    lam.press("Enter")
    expect(page.locator("#ewc-note")).to_contain_text("λ = 20", timeout=10000)
    expect(page).to_have_url(re.compile(r"page=ewc.*lambda=20"))

    # a link opens its page with its settings
    page.goto(server.url + "?page=lr&landscape=booth&opt=adam&lrs=0.5,0.05&schedule=cosine&steps=120")
    expect(page.locator("#page-lr")).to_be_visible(timeout=15000)
    expect(page.locator("#lr-lrs")).to_have_value("0.5,0.05")
    expect(page.locator("#lr-note")).to_contain_text("lr 0.05", timeout=10000)
    assert page.locator("#page-race").is_hidden()
    page.goto(server.url + "?page=worked&lr=0.05&steps=3")
    expect(page.locator(".w-step")).to_have_count(3, timeout=15000)
    expect(page.locator(".w-step").first).to_contain_text("0.05·")


def test_an_unknown_page_in_a_link_opens_the_first_page_with_a_notice(page, server):
    open_app(page, server.url + "?page=nope&landscape=booth")
    expect(page.locator("#page-race")).to_be_visible()
    expect(page.locator("#text-notice")).to_contain_text("unknown page 'nope'")
    assert page.locator("#page-belief").is_hidden()


def test_a_heavy_scene_runs_in_the_background_with_its_progress_on_the_page(page, server):
    """Your own formula, nested ten deep (checked on its grid in about 0.1 s), at
    3,000 epochs for nine optimizers (about 0.7 s): a background job, its progress
    bar moving, then the paths."""
    from urllib.parse import quote

    text = "x"
    for i in range(10):
        text = f"sin({'x' if i % 2 else 'y'}*{text})"
    opts = "&".join(f"opt={n}:lr=0.001" for n in ["gd", "momentum", "nesterov", "rmsprop", "adam",
                                                   "amsgrad", "adamax", "nadam", "adabelief"])
    # what the page showed on the way, however briefly
    page.add_init_script("""
        window.__seen = {status: false, shown: false, progress: 0};
        new MutationObserver(() => {
            const s = document.getElementById('text-status');
            const w = document.getElementById('wrap-job');
            const bar = document.querySelector('#progress-job [role=progressbar]');
            if (s && s.textContent.includes('Computing this scene in the background')) window.__seen.status = true;
            if (w && w.style.display !== 'none') window.__seen.shown = true;
            if (bar) window.__seen.progress = Math.max(window.__seen.progress,
                                                       Number(bar.getAttribute('aria-valuenow')) || 0);
        }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
    """)
    page.goto(server.url + "?landscape=" + quote(f"formula:-5,5,-5,5:{text}", safe=":,")
              + f"&start=-1,1&steps=3000&{opts}")
    page.wait_for_function("() => window.__seen && window.__seen.progress > 0", timeout=30000)
    shot(page, "19-background-job")
    page.wait_for_function(
        "() => { const gd = document.querySelector('#graph-overlay .js-plotly-plot');"
        " return gd && gd.data && gd.data.filter(t => t.mode === 'lines').length === 9; }",
        timeout=30000)
    seen = page.evaluate("() => window.__seen")
    assert seen["status"] and seen["shown"] and 0 < seen["progress"] <= 100
    expect(page.locator("#wrap-job")).to_be_hidden()
    expect(page.locator("#text-status")).to_have_text("")
    # its step inspector: the first recording is a background job too, then the cards
    page.click("text=Step inspector")
    expect(page.locator("#inspect-out .i-card")).to_have_count(9, timeout=60000)


def test_a_csv_of_every_step_too_long_for_a_request_comes_from_a_job(page, server):
    """14 optimizers x 3,000 epochs: 42,000 rows with their states, over what a
    request may write, so a background job writes the CSV and the page fetches it."""
    names = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "amsgrad",
             "adamw", "adamax", "nadam", "radam", "adabelief", "lion"]
    opts = "&".join(f"opt={n}:lr=0.001" for n in names)
    page.goto(server.url + f"?landscape=himmelblau&start=0,0&steps=3000&{opts}&view=inspect")
    expect(page.locator("#inspect-out .i-card")).to_have_count(14, timeout=60000)
    try:
        with page.expect_download(timeout=60000) as download:
            page.click("#button-inspect-csv")
    except PlaywrightTimeoutError:  # say what the page said instead (once seen, not explained)
        said = {s: page.locator(s).inner_text() for s in ("#text-inspect-csv", "#text-notice")}
        pytest.fail(f"no CSV downloaded within 60 s; the page says {said}")
    expect(page.locator("#text-inspect-csv")).to_have_text("✓ steps-himmelblau.csv", timeout=10000)
    lines = open(download.value.path()).read().splitlines()
    assert len(lines) == 1 + 14 * 3000 and lines[0].startswith("run,optimizer,step,lr")
    assert lines[-1].split(",")[1] == "lion"


def _click_data_point(page: Page, graph: str, x: float, y: float, axis: str = "") -> None:
    """A real mouse click at data point (x, y) of a graph's subplot (axis "" or "2", ...)."""
    pos = page.evaluate(f"""([x, y]) => {{
        const gd = document.querySelector('#{graph} .js-plotly-plot');
        const fl = gd._fullLayout, xa = fl['xaxis{axis}'], ya = fl['yaxis{axis}'];
        const box = gd.getBoundingClientRect();
        return [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)];
    }}""", [x, y])
    page.mouse.click(*pos)


def test_many_run_views_compute_in_the_background_and_send_clicks_to_the_race(page, server):
    scene_q = ("landscape=himmelblau&start=0,0&steps=1000&opt=gd:lr=0.001,decay=0"
               "&opt=momentum:lr=0.001,decay=0&opt=rmsprop:lr=0.001,decay=0"
               "&opt=adam:lr=0.001,decay=0")
    page.goto(server.url + "?page=basins&grid=250&" + scene_q)
    expect(page.locator("#page-basins")).to_be_visible(timeout=15000)
    seen = set()
    for _ in range(200):  # the progress bar while the job runs (62,500 starts x 4 x 1,000 epochs)
        note = page.locator("#basins-note").inner_text()
        if note.startswith("Share of"):
            break
        value = page.evaluate("() => { const b = document.querySelector('#basins-progress "
                              "[role=progressbar]'); return b ? b.getAttribute('aria-valuenow') : null; }")
        if value is not None:
            seen.add(float(value))
        page.wait_for_timeout(100)
    expect(page.locator("#basins-note")).to_contain_text(
        "Share of the 62,500 starts that end in a global minimum after 1,000 epochs: Gradient Descent 100.0 %",
        timeout=60000)
    assert len({v for v in seen if 0 < v < 100}) >= 1, seen  # it moved
    heatmaps = page.locator("#basins-graph .js-plotly-plot").evaluate(
        "gd => gd.data.filter(t => t.type === 'heatmap').length")
    assert heatmaps == 4
    expect(page).to_have_url(re.compile(r"page=basins.*grid=250"))
    shot(page, "27-basins")
    # its CSV, 250,000 rows: over a request's budget, so written by a job, then fetched
    with page.expect_download(timeout=60000) as download:
        page.click("#basins-csv")
    expect(page.locator("#basins-csv-status")).to_have_text("✓ basins_himmelblau_250.csv")
    assert download.value.suggested_filename == "basins_himmelblau_250.csv"
    lines = open(download.value.path()).read().splitlines()
    assert len(lines) == 1 + 62_500 * 4 and lines[1].split(",")[0] == "gd", lines[:2]
    page.goto(page.url)  # the link restores the view, from the class's cache at once
    expect(page.locator("#basins-grid")).to_have_value("250", timeout=15000)
    expect(page.locator("#basins-note")).to_contain_text("Share of the 62,500 starts", timeout=15000)
    _click_data_point(page, "basins-graph", -2.0, 3.5)  # a pixel of gradient descent's map
    expect(page.locator("#page-race")).to_be_visible(timeout=15000)
    expect(page).to_have_url(re.compile(r"start=-[12]\.\d+,3\.\d+"), timeout=15000)
    x = float(page.locator("#input-start-x").input_value())
    y = float(page.locator("#input-start-y").input_value())
    assert abs(x + 2.0) < 0.1 and abs(y - 3.5) < 0.1  # the pixel clicked, to its cell

    page.goto(server.url + "?page=sweep&lrs=1e-4:1:30&" + scene_q)
    expect(page.locator("#sweep-note")).to_contain_text("Adam works from", timeout=60000)
    shot(page, "28-sweep")
    lrs = np.geomspace(1e-4, 1.0, 30)
    ys = page.locator("#sweep-graph .js-plotly-plot").evaluate(
        "gd => Array.from(gd._fullData.find(t => t.name === 'Adam').y)")
    j = 20
    _click_data_point(page, "sweep-graph", float(lrs[j]), float(ys[j]))
    expect(page.locator("#page-race")).to_be_visible(timeout=15000)
    adam_lr = page.locator('[data-opt=adam] input').nth(1)
    expect(adam_lr).to_have_value(f"{float(f'{lrs[j]:.3g}')!r}", timeout=10000)

    bowl = "landscape=ill_conditioned_bowl&start=-2.8,1&steps=300&opt=momentum:lr=0.01,decay=0"
    page.goto(server.url + "?page=lrmap&betas=20&lrs=1e-3:0.1:20&" + bowl)
    expect(page.locator("#lrmap-note")).to_contain_text("of the cells diverge", timeout=60000)
    names = page.locator("#lrmap-graph .js-plotly-plot").evaluate("gd => gd.data.map(t => t.name)")
    assert "lr = 2(1 + μ)/L" in names and "the race's setting" in names
    shot(page, "29-lr-momentum-map")
    _click_data_point(page, "lrmap-graph", float(np.log10(0.02)), 0.5)
    expect(page.locator("#page-race")).to_be_visible(timeout=15000)
    expect(page).to_have_url(re.compile(r"opt=momentum:lr=0\.0\d+,decay=0,momentum=0\.\d+"))


def test_cancel_stops_a_many_run_job(page, server):
    """250 x 250 starts x 4 optimizers x 1,000 epochs takes seconds (the most a job may
    take on Booth, about 5 s estimated): Cancel stops the job, and nothing is stored for it."""
    from visualizer.pages import common
    from visualizer.server import cache

    scene_q = ("landscape=booth&start=0,0&steps=1000&opt=gd:lr=0.001,decay=0"
               "&opt=momentum:lr=0.001,decay=0&opt=rmsprop:lr=0.001,decay=0"
               "&opt=adam:lr=0.001,decay=0")
    page.goto(server.url + "?page=basins&grid=250&" + scene_q)
    expect(page.locator("#basins-job")).to_be_visible(timeout=15000)  # the bar and Cancel
    page.wait_for_timeout(500)
    assert _running_jobs(), "the job should be running when Cancel is pressed"
    page.click("#basins-cancel")
    expect(page.locator("#basins-job")).to_be_hidden(timeout=5000)
    deadline = time.monotonic() + 15  # a job left running would end (and store) in ~5 s
    while _running_jobs() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert not _running_jobs(), "the cancelled job's process is still running"
    settle(page)
    assert not page.locator("#basins-note").inner_text().startswith("Share of")
    key = common.args_key(("?" + scene_q, 250))
    assert not cache.contains("basins", key)  # the job was stopped before it stored anything


def _running_jobs() -> list[psutil.Process]:
    """The app's background jobs still running: the test's app serves from this
    process and each job is a fork of it (the same command line; Playwright's driver
    and Chromium, also its children, are not)."""
    me = psutil.Process()
    jobs = []
    for child in me.children():
        with contextlib.suppress(psutil.Error):
            if child.cmdline() == me.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                jobs.append(child)
    return jobs


AXE = pathlib.Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0
AXE_RUN = """() => axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations']}).then(r => r.violations.map(v =>
    ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))})))"""


def test_the_real_model_page_trains_the_races_optimizers_and_shows_any_epoch(page, server):
    """The race's ticked optimizers train a network in a background job; the page draws
    the curves, the plane and a boundary per optimizer, shows another epoch without
    training again, and its link and CSV carry the settings."""
    scene_q = ("landscape=himmelblau&start=0,0&steps=500&opt=gd:lr=0.1,decay=0"
               "&opt=momentum:lr=0.05,decay=0&opt=adam:lr=0.01,decay=0")
    page.goto(server.url + "?page=train&data=moons&epochs=150&batch=32&" + scene_q)
    note = page.locator("#train-note")
    expect(appeared(note, 60000)).to_contain_text("Two moons, 300 training rows and 100 held out", timeout=60000)
    expect(note).to_contain_text("At epoch 150, held-out accuracy: Gradient Descent")
    graph = page.locator("#train-graph .js-plotly-plot")
    kinds = graph.evaluate("gd => gd.data.map(t => t.type)")
    assert kinds.count("heatmap") == 3 and kinds.count("contour") == 1
    assert graph.evaluate(CROWDED) == []  # each axis's labels beside its own chart
    expect(page).to_have_url(re.compile(r"page=train.*epochs=150"))
    shot(page, "33-real-model", full_page=True)
    # the player: to the first epoch, play, pause, a step by key, all in the browser
    settle(page)
    requests = len(page.dash_requests)
    text, at = page.locator("#train-frame-text"), page.locator("#train-at")
    expect(text).to_have_text("epoch 150 / 150")
    expect(page.locator("#train-play")).to_have_text("↻ Replay")
    epochs = graph.evaluate("gd => gd.layout.meta.player.epochs")
    heat = "gd => JSON.stringify(gd.data.find(t => t.uid === 'heat-2').z)"
    page.click("#train-reset")
    expect(at).to_contain_text("At epoch 0, held-out accuracy: Gradient Descent")
    expect(text).to_have_text("epoch 0 / 150")
    first = graph.evaluate(heat)
    assert graph.evaluate("gd => gd.data.find(t => t.uid === 'path-0').x.length") == 1
    page.click("#train-play")
    expect(page.locator("#train-play")).to_have_text("❚❚ Pause")
    page.wait_for_timeout(1200)
    page.click("#train-play")
    expect(page.locator("#train-play")).to_have_text("▶ Play")
    shown = int(text.inner_text().split()[1])
    assert 0 < shown < 150 and shown in epochs
    page.keyboard.press("ArrowRight")
    after = epochs[epochs.index(shown) + 1]
    expect(text).to_have_text(f"epoch {after} / 150")
    expect(at).to_contain_text(f"At epoch {after}, held-out accuracy")
    assert graph.evaluate(heat) != first  # Adam's boundary moved
    titles = graph.evaluate("gd => gd.layout.annotations.map(a => a.text)")
    assert titles[5] == graph.evaluate(f"gd => gd.layout.meta.player.titles[2][1][{epochs.index(after)}]")
    shot(page, "35-real-model-player", full_page=True)
    assert len(page.dash_requests) == requests  # no request per frame
    # its video: the player's frames from epoch 30 to 150, each the figure plotly renders
    page.click("#train-video")
    for box, value in (("from", "30"), ("seconds", "1"), ("fps", "8"), ("width", "640")):
        page.fill(f"#train-video-{box}", value)
    with page.expect_download(timeout=120000) as download:
        page.click("#train-video-go")
    saved = str(ARTIFACTS / "39-real-model.mp4")
    download.value.save_as(saved)
    expect(page.locator("#train-video-text")).to_contain_text("Saved real-model.mp4: 8 frames, 1 s")
    frames, size, seconds = _decoded(saved, "mp4")
    assert len(frames) == 8 and size == (640, 360) and seconds == pytest.approx(1.0, abs=0.01)
    assert np.abs(frames[0] - frames[-1]).mean() > 1  # the boundaries and curves moved
    expect(text).to_have_text(f"epoch {after} / 150")  # the player is back where it was
    # a frame is the player's figure at that frame's epoch (closer to it than to another)
    box = {"format": "mp4", "from": "30", "to": "", "seconds": "1", "fps": "8", "width": "640"}
    x, y, w, h = (round(v) for v in page.evaluate("s => viz.video.trainRegion(s)", box))
    kept = [i for i, e in enumerate(epochs) if e >= 30]
    firsts = {0: kept[0], 7: kept[-1]}  # frames 0 and 7: the first and last kept epochs shown

    def figure_at(f):
        page.evaluate(f"() => viz.trainPlayer.show({f})")
        page.wait_for_timeout(400)
        path = ARTIFACTS / f"39-real-model-frame-{f}.png"
        graph.screenshot(path=str(path))
        return np.asarray(Image.open(path).convert("RGB").resize((w, h)), dtype=float)

    page.mouse.move(0, 0)  # no hover, no mode bar
    seen = {k: figure_at(f) for k, f in firsts.items()}
    moved = np.abs(seen[0] - seen[7]).sum(axis=2) > 90  # where epoch 30's and 150's differ
    assert moved.mean() > 0.002
    for k, other in ((0, 7), (7, 0)):
        crop = frames[k][y:y + h, x:x + w]
        assert np.abs(crop - seen[k]).mean() < 12  # the same picture, up to scaling and H.264
        own, wrong = (np.abs(crop - seen[j])[moved].mean() for j in (k, other))
        assert own < wrong, (k, own, wrong)
    expect(page).to_have_url(re.compile(r"page=train.*video_from=30.*video_seconds=1"))
    assert len(page.dash_requests) - requests <= 8  # the boxes' link echoes: no computing
    page.fill("#train-epoch", "40")
    expect(note).to_contain_text("At epoch 40, held-out accuracy", timeout=15000)
    settle(page)
    assert not page.locator("#train-job").is_visible()  # drawn from the cache: no job
    assert len(page.dash_requests) - requests <= 4
    expect(page).to_have_url(re.compile(r"epoch=40"))
    with page.expect_download(timeout=30000) as download:
        page.click("#train-csv")
    lines = open(download.value.path()).read().splitlines()
    assert lines[0] == "run,optimizer,epoch,train_loss,test_loss,train_accuracy,test_accuracy"
    assert len(lines) == 1 + 3 * 151 and lines[1].startswith("0,gd,0,")
    page.fill("#train-size", "abc")
    expect(page.locator("#train-error")).to_have_text("Size: must be a number (got 'abc')")
    # a lesson sets the race's optimizers and the page's boxes, and its caption shows
    page.locator("#train-lesson").click()
    page.get_by_role("option", name="Minibatches of 8 rows (moons)").click()
    expect(note).to_contain_text("Minibatches of 8 rows (moons). Gradient descent at lr 0.1 and Adam",
                                 timeout=60000)
    expect(page.locator("#train-batch")).to_have_value("8")
    expect(page.locator("#train-size")).to_have_value("")
    expect(page).to_have_url(re.compile(r"opt=gd:lr=0\.1,decay=0&opt=adam:lr=0\.01,decay=0.*page=train"))
    shot(page, "34-real-model-lesson", full_page=True)
    page.fill("#train-epochs", "90")  # another setting: no longer the lesson
    expect(note).not_to_contain_text("Minibatches of 8 rows (moons).", timeout=60000)
    # Li et al.'s random plane around Adam's end, then the two-tasks mode (no player)
    page.goto(server.url + "?page=train&epochs=60&plane=random&around=adam&" + scene_q)
    expect(note).to_contain_text("The plane is Li et al.'s: two random directions through Adam's",
                                 timeout=60000)
    expect(page.locator("#train-player")).to_be_visible()
    page.goto(server.url + "?page=train&mode=tasks&epochs=60&" + scene_q)
    expect(note).to_contain_text("Gradient Descent trains task A (Two moons, 300 rows) for 60",
                                 timeout=60000)
    expect(page.locator("#train-player")).to_be_hidden()
    assert graph.evaluate("gd => gd.data.filter(t => t.type === 'heatmap').length") == 4
    assert graph.evaluate(CROWDED) == []
    shot(page, "36-real-model-two-tasks", full_page=True)


def test_stochastic_gradients_on_the_race_draw_a_band_on_the_cost_chart(page, server):
    """σ, seed and the band's runs from the link fill their boxes; the cost chart gets a
    shaded band per run (plotly at rest, a canvas while playing); the status line says
    what it is; changing σ in its box changes the link and the paths."""
    link = ("?landscape=rosenbrock&start=-1.5,1.5&steps=400&opt=gd:lr=0.001&opt=adam:lr=0.05"
            "&grad_noise=5&grad_seed=2&grad_runs=12")
    open_app(page, server.url + link)
    expect(page.locator("#input-noise")).to_have_value("5")
    expect(page.locator("#input-noise-seed")).to_have_value("2")
    expect(page.locator("#input-noise-runs")).to_have_value("12")
    expect(page.locator("#text-status")).to_contain_text(
        "The shaded band around each cost curve spans 12 noisy runs")
    fills = "() => document.querySelector('#graph-loss .js-plotly-plot').data.map(t => t.fill || '')"
    page.wait_for_function(f"() => ({fills})().filter(f => f === 'tonexty').length === 2")
    path = "() => Array.from(document.querySelector('#graph-overlay .js-plotly-plot').data[" \
           "document.querySelector('#graph-overlay .js-plotly-plot').data.findIndex(t => t.meta === 'adam')].x)"
    noisy = page.evaluate(path)
    page.click("#button-reset")
    page.click("#button-play")
    page.wait_for_timeout(600)
    assert page.evaluate("() => { const c = document.querySelector('.paint-band'); "
                         "return !!c && c.style.display !== 'none'; }")  # the band while playing
    page.click("#button-play")
    shot(page, "37-noisy-band")
    page.fill("#input-noise", "0")
    expect(page).not_to_have_url(re.compile(r"grad_noise"), timeout=10000)
    expect(page.locator("#text-status")).to_have_text("")
    page.wait_for_function("() => !document.querySelector('#graph-loss .js-plotly-plot').data"
                           ".some(t => t.fill === 'tonexty')", timeout=15000)  # new runs: whole
    assert page.evaluate(path) != noisy  # the quiet path


def _decoded(path: str, fmt: str) -> tuple[list, tuple[int, int], float]:
    """A video's frames (RGB arrays), size and duration, read by ffmpeg (imageio-ffmpeg)
    or, for a GIF, by Pillow."""
    if fmt == "gif":
        im = Image.open(path)
        frames, total = [], 0
        for i in range(im.n_frames):
            im.seek(i)
            total += im.info["duration"]
            frames.append(np.asarray(im.convert("RGB"), dtype=float))
        return frames, im.size, total / 1000
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(path)
    meta = reader.__next__()
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3).astype(float) for f in reader]
    return frames, (w, h), meta["duration"]


def test_the_race_exports_its_animation_as_mp4_webm_and_gif_in_the_browser(page, server):
    """The export's settings from the link; every frame written (count, size and duration
    read back by a decoder); the map in a frame is the player's own at that frame's
    epoch (closer to it than to the player at another epoch); Cancel stops an export;
    a bad box gets a message; nothing is asked of the server."""
    link = ("?landscape=himmelblau&start=0,0&steps=200&opt=gd:lr=0.01&opt=adam:lr=0.1"
            "&video_seconds=2&video_fps=10&video_width=640")
    open_app(page, server.url + link)
    settle(page)
    page.click("#button-video")
    expect(page.locator("#input-video-seconds")).to_have_value("2")
    expect(page.locator("#input-video-width")).to_have_value("640")
    settings = {"format": "mp4", "from": "0", "to": "", "seconds": "2", "fps": "10", "width": "640"}
    epochs = page.evaluate("s => viz.video.epochs(viz.video.check(s, 200))", settings)
    assert len(epochs) == 20 and epochs[0] == 0 and epochs[-1] == 200
    too_big = {**settings, "format": "gif", "seconds": "20", "fps": "25", "width": "1280"}
    assert page.evaluate("s => { try { viz.video.check(s, 200); } catch (e) { return e.message; } }",
                         too_big) == ("Too large a GIF: 500 frames of 1280 x 720 is over 120 million "
                                      "pixels; use fewer frames, a smaller width, or MP4")
    requests = len(page.dash_requests)
    files = {}
    for fmt in ("mp4", "webm", "gif"):
        if fmt != "mp4":
            page.locator("#input-video-format").click()
            page.get_by_role("option", name={"webm": "WebM (VP9)", "gif": "GIF"}[fmt]).click()
        with page.expect_download(timeout=120000) as download:
            page.click("#button-video-go")
        assert download.value.suggested_filename == f"optimizers-himmelblau.{fmt}"
        files[fmt] = str(ARTIFACTS / f"38-video.{fmt}")
        ARTIFACTS.mkdir(exist_ok=True)
        download.value.save_as(files[fmt])
        expect(page.locator("#text-video")).to_contain_text(f"Saved optimizers-himmelblau.{fmt}: 20 "
                                                            "frames, 2 s")
        frames, size, seconds = _decoded(files[fmt], fmt)
        assert len(frames) == 20 and size == (640, 360)
        # 20 frames of 0.1 s (WebM's header gives the last frame's start, 1.9 s)
        assert seconds == pytest.approx(1.9 if fmt == "webm" else 2.0, abs=0.01)
    expect(page).to_have_url(re.compile(r"video_format=gif"))  # the settings ride in the link
    assert len(page.dash_requests) - requests <= 6  # the format boxes' echoes: no computing
    # a frame's map is the player's own at that epoch
    frames = _decoded(files["mp4"], "mp4")[0]
    x, y, w, h = (round(v) for v in page.evaluate("s => viz.video.regions(s).map", settings))

    def player_at(e):
        page.evaluate(f"() => window.dash_clientside.set_props('slider-epoch', {{value: {e}}})")
        at_epoch(page, e)
        page.wait_for_timeout(300)
        shot_path = ARTIFACTS / f"38-player-{e}.png"
        page.locator("#graph-contour").screenshot(path=str(shot_path))
        return np.asarray(Image.open(shot_path).convert("RGB").resize((w, h)), dtype=float)

    near, far = epochs[4], epochs[15]
    seen = {e: player_at(e) for e in (near, far)}
    for k, e, other in ((4, near, far), (15, far, near)):
        crop = frames[k][y:y + h, x:x + w]
        own, wrong = np.abs(crop - seen[e]).mean(), np.abs(crop - seen[other]).mean()
        assert own < 12 and own < wrong, (k, own, wrong)
    Image.fromarray(frames[15].astype(np.uint8)).save(ARTIFACTS / "38-video-frame.png")
    # a bad box: a message, no file; Cancel stops a long export
    page.fill("#input-video-fps", "500")
    page.click("#button-video-go")
    expect(page.locator("#text-video")).to_have_text("Frames a second: must be a whole number from 1 to 50")
    page.fill("#input-video-fps", "50")
    page.fill("#input-video-seconds", "8")  # 400 frames: long enough to be cancelled
    page.click("#button-video-go")
    expect(page.locator("#text-video")).to_contain_text("Frame", timeout=20000)
    page.click("#button-video-cancel")
    expect(page.locator("#text-video")).to_have_text("Cancelled", timeout=20000)
    # a browser without WebCodecs: a message, and the export is free for the next try
    page.evaluate("() => { window.VideoEncoder = undefined; }")
    page.locator("#input-video-format").click()
    page.get_by_role("option", name="MP4 (H.264)").click()
    for _ in range(2):
        page.evaluate("() => { document.getElementById('text-video').textContent = ''; }")
        page.click("#button-video-go")
        expect(page.locator("#text-video")).to_contain_text("This browser cannot encode video "
                                                            "(no WebCodecs)", timeout=10000)


def test_no_page_has_a_serious_or_critical_accessibility_violation(page, server):
    """axe-core (vendored for the tests) on every page, and on the race in projector
    mode: no serious or critical violation of WCAG 2.1 A and AA or of axe's best
    practices."""
    from visualizer import pages

    found = {}
    open_app(page, server.url)  # once: each page is then one click on its tab away
    page.add_script_tag(path=str(AXE))
    for key, title in [*pages.tabs(), ("race&projector=1", "")]:
        if title:
            page.get_by_role("tab", name=title, exact=True).click()
        else:
            page.locator(".projector-switch input").click(force=True)
            page.click("[role=tab][aria-controls=page-race]")
        expect(page.locator(f"#page-{key.split('&')[0]}")).to_be_visible(timeout=15000)
        settle(page)
        bad = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
        if bad:
            found[key] = bad
    assert "projector=1" in page.url  # the last page seen was the race in projector mode
    assert not found, json.dumps(found, indent=1)


def test_the_start_moves_with_the_arrow_keys_and_a_screen_reader_hears_it(page, server):
    """Tab to the map: the arrow keys move the start by a hundredth of the map, Shift by
    a tenth, the runs follow, and the live region says where it is; the player's own
    keys and its announcements of the epoch still work once the map is left."""
    open_app(page, server.url)
    settle(page)
    ranges = page.evaluate("() => { const fl = document.querySelector('#graph-overlay "
                           ".js-plotly-plot')._fullLayout; return [fl.xaxis.range, fl.yaxis.range]; }")
    width, height = (abs(r[1] - r[0]) for r in ranges)
    start = page.evaluate("() => { const s = document.querySelector('#graph-overlay .js-plotly-plot')"
                          ".layout.shapes[0]; return [s.xanchor, s.yanchor]; }")
    epoch_before = epoch(page)
    page.focus("#graph-overlay")
    for key in ["ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowUp"]:
        page.keyboard.press(key)
    expect(page.locator("#text-announce")).to_contain_text("Start moved to", timeout=10000)
    settle(page)
    want = [round(start[0] + 0.03 * width, 6), round(start[1] + 0.1 * height, 6)]
    assert page.evaluate(FIRST_POINTS)["gd"] == pytest.approx(want, abs=1e-6)
    q = parse_qs(urlparse(page.url).query)
    assert [float(v) for v in q["start"][0].split(",")] == pytest.approx(want, abs=1e-6)
    assert epoch(page) == epoch_before  # the arrows moved the start, not the epoch
    assert page.locator("#text-announce").get_attribute("role") == "status"
    page.click("#button-step-back")  # the player's buttons: it says the epoch and the costs
    expect(page.locator("#text-announce")).to_contain_text(
        re.compile(r"^Epoch \d+ of \d+\. Gradient Descent: cost "), timeout=5000)
    page.focus("#button-step-forward")  # Space presses the focused button, and nothing else
    before = epoch(page)
    page.keyboard.press(" ")
    at_epoch(page, before + 1)
    assert "Pause" not in page.locator("#button-play").inner_text()  # the player did not start too
    page.focus(".presets-button")  # the presets menu opens from the keyboard
    page.keyboard.press("Enter")
    expect(page.locator(".preset-menu")).to_be_visible(timeout=5000)
    page.keyboard.press("Escape")
    shot(page, "31-keyboard-start")


def test_the_colour_blind_palette_recolours_paths_charts_and_swatches(page, server):
    """The header's colour-blind switch swaps every optimizer's colour for its own in the
    palette (figures.COLORBLIND_COLORS) on the race's paths, cost chart and table, keeps
    &palette=cb in the link, and the lessons' charts follow; off, the colours come back."""
    from visualizer.ui import figures

    colours = """sel => { const gd = document.querySelector(sel + ' .js-plotly-plot');
        const out = {}; gd.data.forEach(t => { if (t.name && t.line && t.line.color)
            out[t.name] = t.line.color.toLowerCase(); }); return out; }"""
    swatches = """() => Array.from(document.querySelectorAll('.results-table .swatch'))
        .map(s => getComputedStyle(s).backgroundColor)"""
    open_app(page, server.url)
    settle(page)
    before = page.evaluate(swatches)
    page.locator(".palette-switch input").click(force=True)
    expect(page).to_have_url(re.compile(r"palette=cb"))
    cb = {c.lower() for c in figures.COLORBLIND_COLORS.values()}
    page.wait_for_function("() => document.documentElement.classList.contains('colorblind')")
    page.wait_for_timeout(300)
    assert set(page.evaluate(colours, "#graph-loss").values()) <= cb
    assert page.evaluate(swatches) != before
    page.click("#button-reset")
    page.click("#button-play")  # the player's own frames (canvases) take the palette too
    page.wait_for_timeout(800)
    shot(page, "32-colour-blind")
    page.goto(server.url + "?page=belief&palette=cb")
    expect(appeared(page.locator("#belief-note"), 20000)).to_contain_text("Measured", timeout=20000)
    page.wait_for_timeout(500)
    lines = page.evaluate(colours, "#belief-map")
    assert lines["Adam"] == figures.COLORBLIND_COLORS["adam"].lower()
    assert lines["AdaBelief"] == figures.COLORBLIND_COLORS["adabelief"].lower()
    page.evaluate("""() => { const div = document.createElement('div'); div.id = 'black-line';
        document.body.appendChild(div);
        return window.Plotly.newPlot(div, [{y: [1, 2], name: 'black', line: {color: '#000000'}}]); }""")
    page.locator(".palette-switch input").click(force=True)
    page.wait_for_function("() => !document.documentElement.classList.contains('colorblind')")
    page.wait_for_timeout(300)
    assert page.evaluate(colours, "#belief-map")["Adam"] == figures.COLORS["adam"].lower()
    assert "palette=cb" not in page.url
    # a colour that only equals one of the palette's (Adam's there is black) is left alone
    black = "() => document.getElementById('black-line').data[0].line.color"
    assert page.evaluate(black) == "#000000"


# -- Class mode (assets/room.js, visualizer/server/classes.py) ------------------------------
def _from_29_students(server, path: str, body: dict, rng, half: float) -> None:
    """Simulated students 1 to 29 each POST ``body`` and a point in [-half, half]²."""
    for i in range(1, 30):
        x, y = rng.uniform(-half, half, 2)
        status, _ = _from_student(server, i, "POST", path, {"sid": f"{i:016x}", **body, "x": x, "y": y})
        assert status == 200, (path, i)


def _from_student(server, i: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """A request of simulated student ``i``, from a loopback address of its own (the
    server bounds each address's writes, as it would each laptop's)."""
    import http.client

    url = urlparse(server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20,
                                      source_address=(f"127.0.3.{10 + i}", 0))
    try:
        conn.request(method, path, None if body is None else json.dumps(body),
                     {"Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        conn.close()


def _class_page(browser, url: str, errors: list, width: int = 1440, height: int = 1000) -> Page:
    pg = browser.new_context(viewport={"width": width, "height": height}).new_page()
    watch(pg, errors)
    open_app(pg, url)
    return pg


def _waited(page: Page, condition: str, seconds: float) -> float:
    """How long ``condition`` (JavaScript) took to become true in ``page``."""
    started = time.monotonic()
    page.wait_for_function(condition, timeout=seconds * 1000, polling=50)
    return time.monotonic() - started


def test_a_class_follows_its_teacher_guesses_where_a_run_ends_and_drops_starts(browser, server):
    """A teacher starts a class; a student's page follows the scene and the player,
    leaves to explore and comes back; the class guesses where a run ends and drops
    its starts, and the teacher's map shows 30 of each; the class ends."""
    errors: list[str] = []
    teacher = _class_page(browser, server.url, errors)
    teacher.click("#button-class")
    teacher.click("#class-start")
    expect(teacher.locator("#class-bar.class-teacher")).to_be_visible()
    code = teacher.evaluate("viz.state.cls.code")
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code)
    assert f"class={code}" in teacher.evaluate("location.search")
    assert teacher.evaluate("location.hash").startswith("#teacher=")
    assert "teacher=" not in teacher.evaluate("location.search")  # the secret is never sent
    expect(teacher.locator("#class-bar")).to_contain_text(f"?class={code}")

    student = _class_page(browser, server.url + "?class=" + code.lower(), errors)
    expect(student.locator("#class-bar.class-student")).to_contain_text("following the teacher")
    expect(teacher.locator("#class-bar")).to_contain_text("1 student joined", timeout=5000)

    # Follow: a new landscape, then a start dragged, then play and pause.
    teacher.click("[data-name=rosenbrock]")
    teacher.wait_for_function("() => location.search.includes('landscape=rosenbrock')")
    delay = _waited(student, "() => location.search.includes('landscape=rosenbrock') && "
                    "document.querySelector('#graph-overlay .js-plotly-plot').layout.meta === 'rosenbrock'", 15)
    print(f"\nclass: the student's map showed the teacher's new landscape {delay:.2f} s after the teacher's link did")
    settle(teacher)
    drag_dot(teacher, teacher.evaluate(SHAPE), [-1.2, 1.5])
    teacher.wait_for_function("() => location.search.includes('start=-1.2')")
    delay = _waited(student, "() => location.search.includes('start=-1.2')", 10)
    print(f"class: the student's start followed the teacher's drag {delay:.2f} s after the teacher's link did")
    assert student.evaluate(SHAPE) == pytest.approx(teacher.evaluate(SHAPE), abs=0.02)
    settle(student)
    assert student.evaluate(FIRST_POINTS) == teacher.evaluate(FIRST_POINTS)
    teacher.click("#button-reset")
    teacher.click("#button-play")
    _waited(student, "() => viz.state.loop.playing", 5)
    teacher.wait_for_timeout(400)
    teacher.click("#button-play")  # pause
    _waited(teacher, "() => !viz.state.loop.playing", 5)
    paused_at = teacher.evaluate("() => viz.state.view.epoch")  # what the teacher's page sends
    _waited(student, f"() => !viz.state.loop.playing && viz.state.view.epoch === {paused_at}", 10)
    at_epoch(student, paused_at)

    # Explore: a control the student touches leaves the teacher; one click comes back.
    student.click("[data-name=beale]")
    expect(student.locator("#class-bar")).to_contain_text("exploring on your own")
    teacher.click("[data-name=booth]")
    teacher.wait_for_function("() => location.search.includes('landscape=booth')")
    _waited(student, "() => (viz.state.cls.doc.scene || '').includes('landscape=booth')", 10)
    settle(student)  # the student's page has the teacher's new scene, and kept its own
    assert "landscape=booth" not in student.evaluate("location.search")
    student.click("#class-back")
    _waited(student, "() => location.search.includes('landscape=booth')", 15)
    settle(teacher)
    settle(student)

    # Where will it end? The runs go back to their start, a click is a guess.
    teacher.click("#class-ask")
    at_epoch(teacher, 0)
    expect(student.locator("#class-bar")).to_contain_text("Click your guess on the map", timeout=5000)
    _waited(student, "() => viz.state.view.epoch === 0 && !viz.state.loop.playing", 5)
    shape_before = student.evaluate(SHAPE)
    student.mouse.click(*student.evaluate(TO_SCREEN, [1.0, 3.0]))
    expect(student.locator("#class-bar")).to_contain_text("Your guess is in")
    assert student.evaluate(SHAPE) == shape_before  # a guess, not a new start
    question = teacher.evaluate("viz.state.cls.doc.question.id")
    rng = np.random.default_rng(3)
    _from_29_students(server, f"/class/{code}/guess", {"question": question}, rng, 8)
    expect(teacher.locator("#class-bar")).to_contain_text("30 guesses so far", timeout=5000)
    guesses = teacher.evaluate("viz.state.cls.board.guesses")
    assert [1.0, 3.0] in [[round(v, 1) for v in g] for g in guesses] and len(guesses) == 30

    # Everyone's start: the student's start and 29 more, each coloured by its minimum.
    # The answer plays at 25x, and the student's player takes the teacher's speed.
    teacher.locator("#control-speed").get_by_text("25×", exact=True).click()
    teacher.click("#class-play-answer")
    _waited(student, "() => viz.state.loop.playing && viz.state.loop.speed === 25", 5)
    teacher.wait_for_function("() => !viz.state.loop.playing", timeout=15000)
    teacher.click("#class-starts")
    expect(student.locator("#class-bar")).to_contain_text("then send it", timeout=5000)
    drag_dot(student, student.evaluate(SHAPE), [2.0, 2.0])
    student.click("#class-send-start")
    expect(student.locator("#class-bar")).to_contain_text("Sent: your run ends")
    round_id = teacher.evaluate("viz.state.cls.doc.starts.id")
    _from_29_students(server, f"/class/{code}/start", {"round": round_id}, rng, 9)
    expect(teacher.locator("#class-bar")).to_contain_text("Everyone's start: 30 starts", timeout=5000)
    board = teacher.evaluate("viz.state.cls.board")
    assert len(board["starts"]) == 30 and len(board["guesses"]) == 30
    assert sum(board["outcomes"].values()) == 30
    assert len({s["color"] for s in board["starts"]}) >= 2  # Booth has one minimum: and elsewhere
    pins = teacher.locator("canvas.paint-pins")
    expect(pins).to_be_visible()
    # the pins' canvas lies on the map, and has something drawn where a start is
    start = board["starts"][0]
    pin_at = """([x, y]) => {
        const c = document.querySelector('canvas.paint-pins'), box = c.getBoundingClientRect();
        const gd = document.querySelector('#graph-overlay .js-plotly-plot'), g = gd.getBoundingClientRect();
        const fl = gd._fullLayout, dpr = window.devicePixelRatio || 1;
        const cx = (g.left - box.left + fl.xaxis._offset + fl.xaxis.d2p(x)) * dpr;
        const cy = (g.top - box.top + fl.yaxis._offset + fl.yaxis.d2p(y)) * dpr;
        return Array.from(c.getContext('2d').getImageData(Math.round(cx), Math.round(cy), 1, 1).data);
    }"""
    assert teacher.evaluate(pin_at, [start["x"], start["y"]])[3] > 200
    settle(teacher)
    shot(teacher, "40-class-teacher-30-guesses-30-starts")
    student.click("#button-class")  # the panel that starts or joins a class, open
    expect(student.locator("#class-panel")).to_be_visible()
    shot(student, "40-class-student")
    for who in (teacher, student):  # the class bar and the panel, to axe-core
        who.add_script_tag(path=str(AXE))
        bad = [v for v in who.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
        assert not bad, json.dumps(bad, indent=1)
    student.click("#button-class")
    expect(student.locator("#class-panel")).to_be_hidden()
    teacher.set_viewport_size({"width": 1280, "height": 720})
    teacher.locator(".projector-switch input").click(force=True)
    teacher.wait_for_timeout(800)
    for element in ["#class-bar", "#graph-contour", "#button-play", "#text-epoch"]:
        box = teacher.locator(element).bounding_box()
        assert box["y"] + box["height"] <= 720, element  # projected: all of it on screen
    assert "projector" not in teacher.evaluate("viz.state.cls.sent || ''")  # the teacher's own
    teacher.wait_for_timeout(400)  # the pins are laid again on the map's new axes
    assert teacher.evaluate(pin_at, [start["x"], start["y"]])[3] > 200
    shot(teacher, "41-class-teacher-projector")

    # The teacher's link opens the class as its teacher elsewhere; the class ends.
    link = teacher.evaluate("location.origin + location.pathname + '?class=' + viz.state.cls.code "
                            "+ '#teacher=' + viz.state.cls.secret")
    again = _class_page(browser, link, errors)
    expect(again.locator("#class-bar.class-teacher")).to_be_visible()
    again.context.close()
    assert not errors, errors
    teacher.click("#class-end")
    expect(student.locator("#class-bar")).to_contain_text(f"Class {code} has ended", timeout=5000)
    assert _from_student(server, 1, "GET", f"/class/{code}")[0] == 404
    teacher.context.close()
    student.context.close()
    # the student's page asked once more and was told the class is gone: the one error
    assert all("404" in e for e in errors), errors
