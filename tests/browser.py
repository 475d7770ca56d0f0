"""Helpers for the browser tests (the app in a thread, Debian's Chromium via Playwright)
and for the kernels every test's app and servers share."""

from __future__ import annotations

import logging
import pathlib
import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, the browser a student opens: what the benchmarks measure."""
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
"""The same Chromium's headless shell (Debian's ``chromium-headless-shell``): the tests'
browser. The same Blink and V8 without the browser's own UI: here 5 to 33 % less CPU
per page load, and the browser tests are most of the test run's CPU."""
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TEST_ARGS = [*CHROMIUM_ARGS, "--js-flags=--single-threaded"]
"""The tests' Chromium: V8 without its background threads (concurrent compiling and
garbage collecting), the same JavaScript run the same way, for a tenth less of the
machine's CPU: seven browser tests in one process, two runs each way, 78 and 82 busy CPU
seconds against 89 and 91 (the same wall time); all of them in two processes as
``scripts/test.sh`` runs them, 378 against 422 busy CPU seconds and 226 against 239 s.
The benchmarks keep ``CHROMIUM_ARGS``: a student's browser has those threads."""
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts"
CALLBACKS_PENDING = """() => { const s = window.store && window.store.getState().callbacks;
    return s ? ['requested', 'prioritized', 'blocked', 'executing', 'watched']
        .reduce((n, k) => n + (s[k] || []).length, 0) : 0; }"""
"""How many callbacks Dash's renderer has queued, waiting or running (as dash.testing
counts them), for ``page.evaluate``: one queued behind another's answer is not sent yet,
and on a busy machine the renderer may take longer than a settle's quiet time to send it."""


def warm_kernels() -> None:
    """Compile (or load) every kernel now, before the app serves.

    Otherwise they compile in a background thread while the tests run, and a
    background job's process forked in the middle of a compile may inherit the
    compile's locks and hang (once seen in a cold run: a step-inspector job that
    never answered). On a new machine this takes about half a minute, which the
    compiled-loop tests would spend anyway.
    """
    import landscapes
    from visualizer.engine import compiled

    for ls in landscapes.all_landscapes():
        if compiled.compilable(ls):
            for kind in kernel_kinds():  # an optimizer's loops are built at its first kernel
                compiled.kernel(ls, kind, wait=True)
    compiled.wait_until_ready()


def cache_folder_sharing_kernels(folder: pathlib.Path) -> str:
    """``folder`` (created) as a ``VISUALIZER_CACHE_DIR`` of its own for a server the
    test starts (its own results, classes, secret and job board) whose ``kernels`` is
    this machine's, compiled already (a class server's kernels are compiled once, not
    by each of its workers): a link to :func:`visualizer.engine.compiled.cache_dir`."""
    from visualizer.engine import compiled

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not (folder / "kernels").is_symlink():
        (folder / "kernels").symlink_to(compiled.cache_dir(), target_is_directory=True)
    return str(folder)


def kernel_kinds() -> list[str]:
    """Every kernel a landscape has: one per optimizer, and the two helpers."""
    from visualizer.engine import optimizers

    return [*optimizers.OPTIMIZERS, "losses_and_divergence", "gradient"]


def compile_units(units: list[str]) -> None:
    """Compile (or load), in this process, these units of the kernels: an optimizer's
    loops (shared by every landscape: by its name) or a landscape's functions (by its
    name). Separate units, so that processes side by side never compile the same."""
    import landscapes
    from visualizer.engine import compiled, optimizers

    for unit in units:
        if unit in optimizers.OPTIMIZERS:
            compiled.optimizer_loops(unit)
        elif compiled.compilable(ls := landscapes.get(unit)):
            compiled.landscape_functions(ls)


def units_not_compiled() -> list[str]:
    """The optimizers whose loops, and the compilable landscapes whose functions,
    numba has not cached yet (by the index files numba writes beside a generated
    source, one per compiled function)."""
    import landscapes
    from visualizer.engine import compiled, optimizers

    def cached(path: pathlib.Path, functions: list[str]) -> bool:
        indexes = {p.name for p in (path.parent / "__pycache__").glob(f"{path.stem}.*.nbi")}
        return path.exists() and all(any(f".{f}-" in i for i in indexes) for f in functions)

    loops = compiled.file_path(None)
    missing = [kind for kind in optimizers.OPTIMIZERS
               if not cached(loops, [f"{loop}_{kind}" for loop in compiled.LOOPS])]
    for ls in landscapes.all_landscapes():
        if compiled.compilable(ls) and not cached(compiled.file_path(ls),
                                                  list(compiled.LANDSCAPE_FUNCTIONS)):
            missing.append(ls.name)
    return missing


class AppServer:
    """``app.server`` on 127.0.0.1 and a free port, in a daemon thread; every
    kernel compiled first (:func:`warm_kernels`)."""

    def __init__(self) -> None:
        import app

        warm_kernels()

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request is noise
        self.server = make_server("127.0.0.1", 0, app.server, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AppServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


# JavaScript run in the page.
OVERLAY = "document.querySelector('#graph-overlay .js-plotly-plot')"
PATH_LENGTHS = f"""() => {{
    const gd = {OVERLAY};
    const out = {{}};
    (gd.data || []).forEach(t => {{ if (t.mode === 'lines' && t.meta) out[t.meta] = t.x.length; }});
    return out;
}}"""
FIRST_POINTS = f"""() => {{
    const gd = {OVERLAY};
    const out = {{}};
    (gd.data || []).forEach(t => {{ if (t.mode === 'lines' && t.meta) out[t.meta] = [t.x[0], t.y[0]]; }});
    return out;
}}"""
# Screen position of a data point on the overlay.
TO_SCREEN = f"""([x, y]) => {{
    const gd = {OVERLAY};
    const fl = gd._fullLayout, box = gd.getBoundingClientRect();
    return [box.left + fl.xaxis._offset + fl.xaxis.d2p(x), box.top + fl.yaxis._offset + fl.yaxis.d2p(y)];
}}"""
SHAPE = f"() => {{ const s = {OVERLAY}.layout.shapes[0]; return [s.xanchor, s.yanchor]; }}"
# Whether two boxes (getBoundingClientRect) overlap, across by more than ``inset`` px.
_OVERLAP = """(a, b, inset) => a.right > b.left + inset && a.left < b.right - inset &&
                      a.bottom > b.top && a.top < b.bottom"""
COLOUR_BAR = f"""() => {{
    const overlap = {_OVERLAP};
    const gd = document.querySelector('#graph-contour .js-plotly-plot');
    const edge = gd.querySelector('.main-svg').getBoundingClientRect().right;
    const title = gd.querySelector('.cbtitle text').getBoundingClientRect();
    const labels = [...gd.querySelectorAll('.colorbar .cbaxis text')].map(e => e.getBoundingClientRect());
    return {{labels: labels.length, past: Math.max(title.right, ...labels.map(r => r.right)) - edge,
             overlaps: labels.filter(r => overlap(r, title, 0)).length}};
}}"""
"""The map's colour bar: how many labels it has, how far its title or a label reaches
past the graph's right edge (cut off there when positive), and how many labels its
title overlaps."""
CROWDED = f"""gd => {{
    const overlap = {_OVERLAP};
    const plots = [...gd.querySelectorAll('.nsewdrag')].map(e => e.getBoundingClientRect());
    return [...gd.querySelectorAll('.ytick text, [class^=g-y][class$=title] text')]
        .filter(e => plots.some(b => overlap(e.getBoundingClientRect(), b, 1)))
        .map(e => e.textContent);
}}"""
"""A plotly chart's y-axis labels and titles that lie inside one of its plots (another
subplot's, when the gap between them is too narrow), for ``locator.evaluate``."""


def drag_dot(page, start: list[float], end: list[float], moves: int = 10) -> None:
    """Drag the red dot from ``start`` to ``end`` (map coordinates) in ``moves`` moves."""
    x0, y0 = page.evaluate(TO_SCREEN, start)
    x1, y1 = page.evaluate(TO_SCREEN, end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x0 + (x1 - x0) * k / moves, y0 + (y1 - y0) * k / moves)
    page.mouse.up()
