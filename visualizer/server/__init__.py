"""The HTTP side of the app: what a request may be, how a bad one is answered
(:func:`refuse`), and ``GET /healthz`` (:func:`health`). The race's own route,
``GET /api/runs``, lives beside the race (:mod:`visualizer.pages.race.api`).

A class's server sees whatever its students' browsers (or scripts) send. Here a
callback request is checked before Dash reads it: its body is at most
``MAX_BODY`` bytes of JSON (no NaN or Infinity), an object naming a callback
this app has, with lists where Dash expects them. Anything else, and any
error a callback raises on input the page could not have sent (a learning
rate as a number instead of text, a start point of NaN), gets a 400 answer
with a one-line reason, and one line in the log instead of a traceback. (A
callback's own fault is answered and logged the same way; its traceback is
logged at DEBUG level, for whoever is looking for it.)
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from dash import Dash
from dash.exceptions import DependencyException
from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

MAX_BODY = 1024 * 1024
"""The largest request body accepted (the page's own are a few kilobytes)."""
CALLBACK_PATH = "/_dash-update-component"

log = logging.getLogger("visualizer.requests")


class BadRequest(ValueError):
    """A callback request that is not one the page could send."""


def _no_constants(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def check_callback_body(data: bytes, callbacks: dict[str, Any]) -> dict:
    """The parsed body of a callback request, or ``BadRequest`` saying what is wrong."""
    try:
        body = json.loads(data, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, BadRequest):
            raise
        raise BadRequest(f"the body is not JSON ({str(exc)[:80]})") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        raise BadRequest(f"no callback has the output {str(output)[:80]!r}")
    for key, kind in [("outputs", (dict, list)), ("inputs", list), ("changedPropIds", list),
                      ("state", list)]:
        if key == "state" and key not in body:
            continue
        if not isinstance(body.get(key), kind):
            raise BadRequest(f"{key!r} is missing or of the wrong type")
    for item in body["inputs"] + body.get("state", []):
        items = item if isinstance(item, list) else [item]
        if not all(isinstance(i, dict) and "id" in i and "property" in i for i in items):
            raise BadRequest("every input needs an id and a property")
    return body


def refuse(reason: str, status: int = 400):
    """The one-line answer (and the one log line) for a request refused."""
    output = g.get("callback_output", "")  # read once, by the check: never parsed again
    log.warning("%s %s %s: %s", status, request.path[:80], str(output)[:80], reason[:200])
    return jsonify(error=reason[:300]), status


def harden(app: Dash) -> None:
    """Install the request checks and the one-line answers on ``app.server``."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    @server.before_request
    def _check_callback_request():
        if request.method != "POST" or not request.path.endswith(CALLBACK_PATH):
            return None
        try:
            body = check_callback_body(request.get_data(cache=True), app.callback_map)
        except BadRequest as exc:
            return refuse(str(exc))
        g.callback_output = body["output"]
        return None

    @server.errorhandler(Exception)
    def _one_line(exc: Exception):
        if isinstance(exc, HTTPException):
            if exc.code == 413:
                return refuse(f"the body is larger than {MAX_BODY // 1024} KB", 413)
            return exc
        if isinstance(exc, DependencyException) or (  # a script path Dash does not serve,
                isinstance(exc, FileNotFoundError)  # or one it lists but lacks (a .map)
                and request.path.startswith(app.config.requests_pathname_prefix
                                            + "_dash-component-suites/")):
            return refuse("no such file", 404)
        if isinstance(exc, RecursionError):  # nested too deep to read
            return refuse("the request is nested too deeply")
        if not request.path.endswith(CALLBACK_PATH):  # not a callback: a real fault
            server.log_exception(sys.exc_info())
            return InternalServerError()
        log.debug("callback failed", exc_info=exc)
        return refuse(f"{type(exc).__name__}: {exc}")


def health(app: Dash) -> None:
    """``GET /healthz``: 200 with ``{"app": "ok", "store": ..., "jobs": ...}`` when
    the results store and the job backend answer, else 503 saying which does not
    (for a load balancer or a service manager; it computes nothing)."""
    from visualizer.server import cache, jobs

    @app.server.get("/healthz")
    def _healthz():
        store_ok, store = cache.healthy()
        jobs_ok, backend = jobs.healthy()
        body = {"app": "ok", "store": store, "jobs": backend}
        return jsonify(body), 200 if store_ok and jobs_ok else 503
