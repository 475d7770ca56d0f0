"""Dash's renderer (its JavaScript bundle), served with one quadratic loop made linear.

Whenever its queue of callbacks changes, Dash's renderer asks which waiting callbacks
are ready to send (``getReadyCallbacks``): for each callback in the queue it walks the
callback graph downstream of that callback's outputs and gathers every output the
walk reaches into an object. The bundle adds each output with ramda's ``assoc``,
which copies the whole object first, so a walk that reaches n outputs copies about
n²/2 keys, again at every change of the queue. This app's graph is wide (the page's
link reaches 238 outputs, the race's runs 69, with every page shown), and on the
real-model page that one loop was a sixth of the renderer's busy time in the browser
tests; see the README ("Dash's renderer") for the figures.

Here the walk adds each output to the same object. Nothing else holds that object
(the walk makes it empty at its start and returns it), so the answer is the same.
:func:`install` makes the app serve the changed bundle at the renderer's own address
(Dash's handler never sees that request). When the installed Dash's bundle does not
hold the exact text (another Dash version), the bundle is served as Dash ships it
and one warning is logged; ``tests/test_renderer.py`` fails then, so an upgrade
decides again whether the change is still needed.
"""

from __future__ import annotations

import functools
import logging
import pathlib

import dash
from dash.fingerprint import check_fingerprint
from flask import Response, request

log = logging.getLogger("visualizer.renderer")

BUILD = pathlib.Path(dash.__file__).parent / "dash-renderer" / "build"
"""Where the installed Dash keeps its renderer's bundles."""
SUITE = "/_dash-component-suites/dash/dash-renderer/build/"
"""The address of those bundles, under the app's root (before the file's name)."""

LINEAR_WALK = {
    # the bundle a page loads (minified: ``$e`` is ramda's reduce, ``Zt`` its assoc)
    "dash_renderer.min.js": ("o=$e(function(t,e){return Zt(Oo(e),!0,t)},o,i)",
                             "o=$e(function(t,e){return t[Oo(e)]=!0,t},o,i)"),
    # the one Dash's dev tools load (DASH_DEBUG)
    "dash_renderer.dev.js": (
        'return (0,ramda__WEBPACK_IMPORTED_MODULE_1__["default"])(combineIdAndProp(o), true, touched);',
        "touched[combineIdAndProp(o)] = true;\n      return touched;"),
}
"""Per bundle: the walk's quadratic step as Dash 4.4.1 ships it, and its replacement."""


@functools.cache
def bundle(name: str) -> tuple[bytes, bool]:
    """The bundle ``name`` as served, and whether it holds the linear walk."""
    text = (BUILD / name).read_text(encoding="utf-8")
    old, new = LINEAR_WALK[name]
    if text.count(old) != 1:
        log.warning("Dash's %s does not hold the walk this app changes (Dash %s): served "
                    "as Dash ships it", name, dash.__version__)
        return text.encode("utf-8"), False
    return text.replace(old, new).encode("utf-8"), True


def install(app: dash.Dash) -> None:
    """Serve the renderer's bundles from :func:`bundle` on ``app.server``."""
    prefix = app.config.requests_pathname_prefix.rstrip("/") + SUITE

    @app.server.before_request
    def _renderer():
        if request.method not in ("GET", "HEAD") or not request.path.startswith(prefix):
            return None
        name, fingerprinted = check_fingerprint(request.path[len(prefix):])
        if name not in LINEAR_WALK:
            return None  # Dash's handler serves it
        answer = Response(bundle(name)[0], mimetype="application/javascript")
        if fingerprinted:  # as Dash's handler: the name changes with Dash's version
            answer.cache_control.max_age = 31536000
        else:
            answer.add_etag()
        return answer.make_conditional(request)
