"""The race's runs over plain HTTP: ``GET /api/runs?<a scene's link query>``,
for scripts and for the paths that follow the start dot while it is dragged."""

from __future__ import annotations

import json

from dash import Dash
from flask import Response, jsonify, request

from visualizer import engine
from visualizer.pages.race import callbacks, scene
from visualizer.server import refuse


def runs_api(app: Dash) -> None:
    """``GET /api/runs?<a scene's link query>``: the scene's runs, as the player
    takes them (JSON, paths as base64 float32), for scripts and for the paths
    that follow the dot while it is dragged. The answer is a pure function of
    the canonical link: cached for the class, and for an hour by browsers.
    ``&preview=1`` (a drag in progress) answers 409 instead of computing a
    scene that would take over ``callbacks.LIGHT_SECONDS``, and does not store
    what it computes in the class cache. A bad part of the
    link gets 400, a scene over the budget 422, each with its message."""
    @app.server.get("/api/runs")
    def _runs():
        query = "?" + request.query_string.decode("utf-8", "replace")
        try:
            ls, specs, _, steps, canonical = scene.runs_of(query)
        except ValueError as exc:
            return refuse(str(exc))
        if not specs:
            return refuse("no runs: add opt=NAME[:key=value,...] to the query")
        try:
            engine.check_budget(ls, specs, 1, steps, engine.REQUEST_BUDGET)
            heavy = engine.expected_seconds(ls, specs, 1, steps) > callbacks.LIGHT_SECONDS
            preview = bool(request.args.get("preview"))
            if preview and heavy and not callbacks.cached_runs(canonical):
                return jsonify(error="too heavy to follow a drag: the runs come on the drop"), 409
            payload = (callbacks.passing_runs if preview else callbacks.scene_runs)(canonical)
        except engine.BudgetError as exc:
            return refuse(str(exc), 422)
        body = json.dumps(payload, separators=(",", ":"))
        return Response(body, mimetype="application/json",
                        headers={"Cache-Control": "public, max-age=3600"})
