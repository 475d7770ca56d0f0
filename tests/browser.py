"""Helpers for the browser tests: the app in a thread, Debian's Chromium via Playwright."""

from __future__ import annotations

import logging
import pathlib
import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = pathlib.Path(__file__).resolve().parents[1] / "artifacts"


def warm_kernels() -> None:
    """Compile (or load) every landscape's kernels now, before the app serves.

    Otherwise they compile in a background thread while the tests run, and a
    background job's process forked in the middle of a compile may inherit the
    compile's locks and hang (once seen in a cold run: a step-inspector job that
    never answered). On a new machine this takes minutes, which the compiled-loop
    tests would spend anyway.
    """
    import landscapes
    from visualizer.engine import compiled

    compile_landscapes([ls.name for ls in landscapes.all_landscapes()])
    compiled.wait_until_ready()


def kernel_kinds() -> list[str]:
    """Every kernel a landscape has: one per optimizer, and the two helpers."""
    from visualizer.engine import optimizers

    return [*optimizers.OPTIMIZERS, "losses_and_divergence", "gradient"]


def compile_landscapes(names: list[str]) -> None:
    """Compile (or load) every kernel of these landscapes, in this process."""
    import landscapes
    from visualizer.engine import compiled

    for name in names:
        ls = landscapes.get(name)
        if compiled.compilable(ls):
            for kind in kernel_kinds():
                compiled.kernel(ls, kind, wait=True)


def landscapes_not_compiled() -> list[str]:
    """The compilable landscapes whose kernels numba has not cached yet (by the index
    files numba writes beside the generated source, one per compiled function)."""
    import landscapes
    from visualizer.engine import compiled, optimizers

    missing = []
    for ls in landscapes.all_landscapes():
        if not compiled.compilable(ls):
            continue
        source = compiled._source(ls)
        path = compiled.cache_dir() / f"{ls.name}_{compiled._key(ls, source)}.py"
        indexes = {p.name for p in (path.parent / "__pycache__").glob(f"{path.stem}.*.nbi")}
        wanted = [f"trajectory_{k}" if k in optimizers.OPTIMIZERS else k for k in kernel_kinds()]
        if not path.exists() or not all(any(f".{w}-" in i for i in indexes) for w in wanted):
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


def drag_dot(page, start: list[float], end: list[float], moves: int = 10) -> None:
    """Drag the red dot from ``start`` to ``end`` (map coordinates) in ``moves`` moves."""
    x0, y0 = page.evaluate(TO_SCREEN, start)
    x1, y1 = page.evaluate(TO_SCREEN, end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x0 + (x1 - x0) * k / moves, y0 + (y1 - y0) * k / moves)
    page.mouse.up()
