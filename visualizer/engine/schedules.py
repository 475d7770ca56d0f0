"""Learning-rate schedules as plain functions of the step index.

A schedule maps the 0-based step index ``k`` (step ``t = k + 1``) to a factor
that multiplies the base learning rate; it accepts an int or an array, so the
learning-rate curve of a run is ``lr * schedule(np.arange(steps))``. ``warmup``
joins a linear ramp to another schedule, optax-style.

The "Learning Rate Decay" of every run is :func:`inverse_time`, which is
torch's ``LambdaLR(lambda k: 1 / (1 + decay * k))`` stepped once per update:
step 1 runs at the full learning rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from visualizer.engine.fields import Range

Array = np.ndarray
Schedule = Callable[[int | Array], Array]


def _elementwise(fn: Callable[[Array], Array]) -> Schedule:
    """Evaluate ``fn`` on a 1-D float array whatever ``k`` is, then give ``k``'s shape
    back: NumPy's scalar and array ``pow`` can differ in the last bit, and a
    schedule must give the same number for ``k`` alone and inside ``arange``."""

    def schedule(k: int | Array) -> Array:
        return fn(np.atleast_1d(np.asarray(k, dtype=float))).reshape(np.shape(k))

    return schedule


def constant() -> Schedule:
    """Factor 1 at every step."""
    return _elementwise(np.ones_like)


def inverse_time(decay: float) -> Schedule:
    r"""Inverse-time decay :math:`1 / (1 + d\,k)`, as torch's ``LambdaLR`` computes it."""
    return _elementwise(lambda k: 1.0 / (1.0 + decay * k))


def step_decay(step_size: int, gamma: float) -> Schedule:
    r"""Multiply by ``gamma`` every ``step_size`` steps: :math:`\gamma^{\lfloor k / s \rfloor}`
    (torch ``StepLR``)."""
    return _elementwise(lambda k: gamma ** np.floor(k / step_size))


def exponential(gamma: float) -> Schedule:
    r""":math:`\gamma^k` (torch ``ExponentialLR``)."""
    return _elementwise(lambda k: gamma**k)


def cosine(period: int, min_factor: float = 0.0) -> Schedule:
    r"""Cosine annealing from 1 to ``min_factor`` over ``period`` steps, then flat:
    :math:`f_{min} + (1 - f_{min}) \tfrac12 (1 + \cos(\pi \min(k, T) / T))`."""

    def factor(k: Array) -> Array:
        progress = np.minimum(k, period) / period
        return min_factor + (1.0 - min_factor) * 0.5 * (1.0 + np.cos(np.pi * progress))

    return _elementwise(factor)


def warmup(steps: int, after: Schedule) -> Schedule:
    r"""Linear warmup over ``steps`` steps (factor :math:`(k+1)/w`), then ``after``
    counted from the end of the warmup."""
    if steps <= 0:
        return after

    def factor(k: Array) -> Array:
        return np.where(k < steps, (k + 1.0) / steps, after(np.maximum(k - steps, 0.0)))

    return _elementwise(factor)


def product(a: Schedule, b: Schedule) -> Schedule:
    """The step-wise product of two schedules."""
    return lambda k: a(k) * b(k)


# -- Named schedules for the command line and the app -----------------------------
@dataclass(frozen=True)
class ScheduleParam:
    default: float | None  # None: filled in from the run (cosine's period)
    low: float
    high: float
    integer: bool = False
    label: str = ""


SCHEDULES: dict[str, dict[str, ScheduleParam]] = {
    "constant": {},
    "step": {
        "step_size": ScheduleParam(100, 1, 1_000_000, integer=True, label="every (steps)"),
        "gamma": ScheduleParam(0.5, 0.0, 1.0, label="γ"),
    },
    "exponential": {"gamma": ScheduleParam(0.99, 0.0, 1.0, label="γ")},
    "cosine": {
        "period": ScheduleParam(None, 1, 1_000_000, integer=True, label="period (steps)"),
        "min_factor": ScheduleParam(0.0, 0.0, 1.0, label="final factor"),
    },
}
WARMUP = ScheduleParam(0, 0, 1_000_000, integer=True, label="warmup (steps)")


def check_schedule(name: str, params: dict[str, float]) -> dict[str, float]:
    """Validate a named schedule's parameters; return them with defaults filled in.

    ``warmup`` is accepted with every schedule. Raises ``ValueError`` with a
    message naming the valid choices.
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose from: {', '.join(SCHEDULES)}")
    allowed = {**SCHEDULES[name], "warmup": WARMUP}
    out: dict[str, float] = {}
    for key, value in params.items():
        if key not in allowed:
            choices = ", ".join(allowed)
            raise ValueError(f"schedule {name!r} has no parameter {key!r}; choose from: {choices}")
        spec = allowed[key]
        if value is None:
            continue
        out[key] = Range(spec.low, spec.high, whole=spec.integer).check(key, value)
    for key, spec in allowed.items():
        if key not in out and spec.default is not None:
            out[key] = spec.default
    return out


def build(name: str, params: dict[str, float], steps: int) -> Schedule:
    """The named schedule (parameters as :func:`check_schedule` returns them) for a
    run of ``steps`` steps; cosine's period defaults to the steps after warmup."""
    w = int(params.get("warmup", 0))
    if name == "constant":
        after = constant()
    elif name == "step":
        after = step_decay(int(params["step_size"]), params["gamma"])
    elif name == "exponential":
        after = exponential(params["gamma"])
    else:
        period = params.get("period") or max(steps - w, 1)
        after = cosine(int(period), params["min_factor"])
    return warmup(w, after)
