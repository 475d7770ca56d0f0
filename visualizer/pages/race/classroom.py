"""What class mode asks of the race (:class:`visualizer.server.classes.Race`; the
routes and the store are there): which run a question or everyone's start is about
(the first ticked run of the teacher's scene, as the page lists them), and where a
student's start takes it."""

from __future__ import annotations

import math

import numpy as np

from visualizer import engine
from visualizer.engine import many, optimizers
from visualizer.pages.basins import DIVERGED_COLOR, ELSEWHERE_COLOR, MINIMUM_COLORS
from visualizer.pages.race import scene
from visualizer.server.classes import Refused

ROUND_SECONDS = 0.1
"""The most one student's start may take to run (the race's light scenes): a round
runs one per student, each in a request."""


def _first(query: str) -> tuple:
    try:
        ls, specs, _, steps, _ = scene.runs_of(query)
    except ValueError as exc:
        raise Refused(f"the scene: {exc}") from None
    if not specs:
        raise Refused("tick an optimizer first: the question is about its run")
    fastest = engine.compiled_path.available() and engine.compiled_path.compilable(ls)
    if engine.estimate_seconds(ls, 1, 1, steps, fastest) > ROUND_SECONDS:
        raise Refused("this scene is too heavy to run once per student: lower the epochs")
    return ls, specs[:1], steps


def subject(query: str) -> str:
    """The title of the scene's first ticked run (the one the page lists first)."""
    return optimizers.OPTIMIZERS[_first(query)[1][0].optimizer].title


def where(ls, outcome: int) -> str:  # noqa: ANN001
    """Where a run ended, in words: ``at the global minimum (3, 2)``, ``at a local
    minimum (0.96, 0)``, ``elsewhere`` or ``by diverging``."""
    if outcome == many.DIVERGED:
        return "by diverging"
    if outcome == many.ELSEWHERE:
        return "elsewhere"
    m = ls.minima[outcome]
    article = "the" if m.kind == "global" else "a"
    return f"at {article} {m.kind} minimum ({m.point[0]:.3g}, {m.point[1]:.3g})"


def colour(outcome: int) -> str:
    """The basin map's colour for an ending: one per minimum, grey elsewhere, black diverged."""
    if outcome == many.DIVERGED:
        return DIVERGED_COLOR
    if outcome == many.ELSEWHERE:
        return ELSEWHERE_COLOR
    return MINIMUM_COLORS[outcome % len(MINIMUM_COLORS)]


def run_start(query: str, point: tuple[float, float]) -> dict:
    """The scene's first ticked run from ``point``: its ending's name (``min0``...,
    ``elsewhere``, ``diverged``), in words, its end point and its colour."""
    ls, first, steps = _first(query)
    ready = engine.kernels_ready(ls, first)
    if engine.estimate_seconds(ls, 1, 1, steps, ready) > ROUND_SECONDS:  # kernels not loaded yet
        raise Refused("the server is still preparing this landscape: send it again in a moment",
                      503)
    try:
        res = many.outcomes(ls, first, np.array([point]), steps, compiled=ready)
    except ValueError as exc:  # outside the landscape's bound
        raise Refused(str(exc)) from None
    outcome = int(res.outcome[0, 0])
    end = [None if not math.isfinite(v) else round(float(v), 6) for v in res.final[0, 0]]
    return {"outcome": many.outcome_name(outcome), "where": where(ls, outcome), "end": end,
            "color": colour(outcome)}
