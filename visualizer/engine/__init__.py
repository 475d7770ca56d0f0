"""The engine: what a run is and what it may cost. Runs are specified
(:class:`RunSpec`, :func:`make_spec`, :func:`parse_spec`, with the engine's
ranges, the only authority on limits), estimated and refused over budget
(:func:`estimate_seconds`, :func:`check_budget`), and run by :func:`run` (the
run loop, :mod:`visualizer.engine.loop`) into a :class:`Result`. No Dash here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landscapes import Landscape
from landscapes.number_text import exact
from visualizer.engine import compiled as compiled_path
from visualizer.engine import optimizers, schedules
from visualizer.engine.fields import FieldError, Range  # noqa: F401  (FieldError: the engine's errors)

Array = np.ndarray


MAX_STEPS = 100_000
"""The most steps one run may take."""
MAX_POINTS = 20_000_000
"""The most recorded points (steps x runs x starts) in one call: bounds memory."""
NUMPY_STEP_SECONDS = 14e-6
"""What one optimizer group's update costs per step on the NumPy loop (measured
with ``benchmarks/bench_budget.py``: 11 to 14 us on every registered landscape)."""
NUMPY_NODE_SECONDS = (0.27e-6, 0.015e-6)
"""What one landscape operation costs per step on the NumPy loop: a fixed part and
a part per point (runs x starts); measured on the worst legal formulas, rounded up."""
COMPILED_STEP_SECONDS = 0.1e-6
"""What one run's step costs in the compiled loop from one start (measured: 65 to 105 ns)."""
COMPILED_BATCH_SECONDS = 0.065e-6
"""... and per run, start and step from many starts at once, on a landscape not
measured below (the registered ones take 6 to 48 ns)."""
COMPILED_BATCH_BY_LANDSCAPE = {
    "himmelblau": 18e-9, "styblinski_tang": 19e-9, "rosenbrock": 22e-9,
    "goldstein_price": 43e-9, "beale": 29e-9, "booth": 19e-9, "rastrigin": 63e-9,
    "six_hump_camel": 20e-9, "three_hump_camel": 15e-9, "matyas": 14e-9, "saddle": 20e-9,
    "double_well": 18e-9, "ill_conditioned_bowl": 14e-9, "abs_sum": 18e-9, "abs_skew": 18e-9,
}
"""Per run, start and step on the compiled loop from many starts: the worst of 14
and of 4 optimizers x 1,000 starts x 200 steps, measured with
``benchmarks/bench_budget.py``, times 1.3 (the many-run views' budget)."""
REQUEST_BUDGET = 1.0
"""The most seconds the app lets one request compute (``run(..., budget=)``)."""
JOB_BUDGET = 5.0
"""The most seconds one background job may compute: a scene too heavy for a
request (the race sends those to a job), with room for many more optimizers than
the registry holds (every optimizer x 10,000 epochs on the NumPy loop's
landscapes takes about 1 s)."""
MAX_LR = 1e3
MAX_DECAY = 1e3
MAX_NOISE = 1e3
LR = Range(0.0, MAX_LR, low_open=True)
DECAY = Range(0.0, MAX_DECAY)
NOISE = Range(0.0, MAX_NOISE)
STEPS = Range(1, MAX_STEPS, whole=True)
"""The engine's ranges: the only authority on limits (every box and flag reads them)."""


@dataclass(frozen=True)
class RunSpec:
    """One optimizer run, fully specified (build it with :func:`make_spec`)."""

    optimizer: str
    lr: float
    decay: float = 0.0
    hypers: Mapping[str, float] = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: Mapping[str, float] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        """Everything that defines the run, flat (as the CLI's JSON prints it)."""
        out: dict[str, Any] = {"lr": self.lr, "decay": self.decay, **self.hypers}
        if self.schedule != "constant" or self.schedule_params.get("warmup"):
            out["schedule"] = self.schedule
            out.update(self.schedule_params)
        return out

    def schedule_fn(self, steps: int) -> schedules.Schedule:
        """The learning-rate factor of step index k: decay times the named schedule."""
        decay = schedules.inverse_time(self.decay)
        if self.schedule == "constant" and not self.schedule_params.get("warmup"):
            return decay
        named = schedules.build(self.schedule, dict(self.schedule_params), steps)
        return schedules.product(decay, named)

    def learning_rates(self, steps: int) -> Array:
        """The learning rate of steps 1..steps, as torch's LambdaLR computes it."""
        return self.lr * self.schedule_fn(steps)(np.arange(steps))


def _number(name: str, value: Any) -> float:
    """Any finite number (FieldError otherwise)."""
    return Range().check(name, value)


def make_spec(
    optimizer: str,
    lr: float | None = None,
    decay: float = 0.0,
    schedule: str = "constant",
    **params: float,
) -> RunSpec:
    """Validate one run's settings and fill in torch's defaults.

    Args:
        optimizer: a name from ``optimizers.OPTIMIZERS``.
        lr: base learning rate, in (0, MAX_LR]; ``None`` for torch's default.
        decay: inverse-time decay, in [0, MAX_DECAY].
        schedule: ``constant``, ``step``, ``exponential`` or ``cosine``.
        **params: the optimizer's hyperparameters and the schedule's parameters
            (``warmup`` with any schedule).

    Raises:
        KeyError: unknown optimizer (the message lists the choices).
        FieldError: (a ``ValueError``) a value outside its range, naming the field.
        ValueError: an unknown parameter, naming the valid ones.
    """
    info = optimizers.info(optimizer)
    lr = info.lr if lr is None else LR.check("learning rate", lr)
    decay = DECAY.check("decay", decay)
    hypers = info.defaults()
    sched_params: dict[str, float] = {}
    sched_keys = set(schedules.SCHEDULES.get(schedule, {})) | {"warmup"}
    for key, value in params.items():
        if key in info.hypers:
            hypers[key] = info.hypers[key].range.check(key, value)
        elif key in sched_keys:
            sched_params[key] = _number(key, value)
        else:
            valid = ", ".join(["lr", "decay", *info.hypers, "schedule", *sorted(sched_keys)])
            raise ValueError(f"{optimizer} has no parameter {key!r}; choose from: {valid}")
    sched_params = schedules.check_schedule(schedule, sched_params)
    return RunSpec(optimizer, lr, decay, hypers, schedule, sched_params)


def parse_spec(text: str) -> RunSpec:
    """``adam:lr=0.02,beta1=0.9,decay=0.01`` -> a validated :class:`RunSpec`.

    The syntax of the command line's ``--optimizer`` and of the app's URL.
    Raises ``KeyError`` (unknown optimizer) or ``ValueError``, quoting the bad part.
    """
    name, _, rest = str(text).partition(":")
    name = name.strip()
    optimizers.info(name)  # unknown name: KeyError listing the choices
    values: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise ValueError(f"bad optimizer setting {item!r} in {text!r}; expected key=value")
        if key in values:
            raise ValueError(f"{key} is given twice in {text!r}")
        if key == "schedule":
            values[key] = raw
            continue
        values[key] = Range().parse("learning rate" if key == "lr" else key, raw)
    return make_spec(name, **values)


def spec_text(spec: RunSpec) -> str:
    """The inverse of :func:`parse_spec`: lr and decay always, the rest when not default."""
    info = optimizers.info(spec.optimizer)
    parts = [f"lr={exact(spec.lr)}", f"decay={exact(spec.decay)}"]  # reads back exactly
    parts += [f"{k}={exact(v)}" for k, v in spec.hypers.items() if v != info.hypers[k].default]
    if spec.schedule != "constant":
        parts.append(f"schedule={spec.schedule}")
    defaults = schedules.check_schedule(spec.schedule, {})
    parts += [f"{k}={exact(v)}" for k, v in spec.schedule_params.items() if defaults.get(k) != v]
    return f"{spec.optimizer}:" + ",".join(parts)


class BudgetError(ValueError):
    """A call that would take longer than its budget; the message says what to lower."""


def _groups(specs: Sequence[RunSpec]) -> list[tuple[str, tuple, list[int]]]:
    """Runs that share an optimizer and its hyperparameters, in first-seen order."""
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        key = (spec.optimizer, tuple(sorted(spec.hypers.items())))
        groups.setdefault(key, []).append(i)
    return [(name, hypers, idx) for (name, hypers), idx in groups.items()]


def estimate_seconds(landscape: Landscape, n_groups: int, n_points: int, steps: int,
                     compiled: bool, n_starts: int = 1) -> float:
    """About how long :func:`run` takes: ``n_groups`` optimizers (with their own
    hyperparameters), ``n_points`` runs x starts (``n_starts`` of them), on the
    compiled or the NumPy loop. Calibrated to be at least the time measured
    (``benchmarks/bench_budget.py`` prints both, landscape by landscape)."""
    if compiled:
        rate = (COMPILED_STEP_SECONDS if n_starts == 1 else
                COMPILED_BATCH_BY_LANDSCAPE.get(landscape.name, COMPILED_BATCH_SECONDS))
        return steps * n_points * rate
    fixed, per_point = NUMPY_NODE_SECONDS
    per_step = n_groups * NUMPY_STEP_SECONDS + landscape.cost * (fixed + per_point * n_points)
    return steps * per_step


def expected_seconds(landscape: Landscape, specs: Sequence[RunSpec], n_starts: int,
                     steps: int) -> float:
    """:func:`estimate_seconds` for these runs on the loop :func:`run` would take now
    (the compiled one only if its kernels are ready; asking queues them)."""
    names = [name for name, _, _ in _groups(specs)]
    return estimate_seconds(landscape, len(names), len(specs) * n_starts, steps,
                            kernels_ready(landscape, specs), n_starts)


def kernels_ready(landscape: Landscape, specs: Sequence[RunSpec]) -> bool:
    """Whether :func:`run` would take the compiled loop for these runs now (their
    kernels loaded; asking queues them)."""
    from visualizer.engine.loop import _kernels  # the loop imports this module

    return _kernels(None, landscape, [name for name, _, _ in _groups(specs)]) is not None


def check_budget(landscape: Landscape, specs: Sequence[RunSpec], n_starts: int, steps: int,
                 budget: float, unit: str = "one request") -> None:
    """``BudgetError`` (saying what to lower) if these runs would take over ``budget``
    seconds even on the fastest loop this landscape can take; ``unit`` names what
    the budget is for in the message ("one request", "one background job")."""
    n_groups, n_runs = len(_groups(specs)), len(specs)
    fastest = compiled_path.available() and compiled_path.compilable(landscape)
    seconds = estimate_seconds(landscape, n_groups, n_runs * n_starts, steps, fastest, n_starts)
    if seconds > budget:
        raise _over_budget(landscape, n_runs, n_starts, steps, seconds, budget, unit)


def _over_budget(landscape: Landscape, n_runs: int, n_starts: int, steps: int,
                 seconds: float, budget: float, unit: str = "one request") -> BudgetError:
    per_epoch = seconds / steps
    fit = int(budget / per_epoch)
    what = (f"{n_runs} runs x {n_starts:,} starts" if n_starts > 1 else
            f"{n_runs} optimizer{'s' if n_runs > 1 else ''}")
    lower = (f"lower the epochs to at most {fit:,}" if fit >= 1 else "lower the epochs")
    lower += f" or use fewer than {n_runs} optimizers" if n_runs > 1 else ""
    if landscape.cost > Landscape.cost:
        lower += ", or shorten the formula"
    return BudgetError(
        f"Too much work for {unit}: {steps:,} epochs x {what} on this landscape would take "
        f"about {seconds:.1f} s, over the {budget:g} s allowed; {lower}."
    )


@dataclass
class Result:
    """All runs of one call. Arrays are indexed ``[run, start, step, ...]``.

    Attributes:
        points: ``(S, K, steps + 1, 2)``; ``points[:, :, 0]`` are the starts.
        losses: ``(S, K, steps + 1)``.
        grads: ``(S, K, steps, 2)``: the gradient (with noise) used by step t at [t - 1].
        lrs: ``(S, steps)``: the learning rate in force at step t at [t - 1].
        states: per run, ``{field: (K, steps, 2)}``, the state after each step
            (empty dicts when ``record_state=False``).
        diverged_at: ``(S, K)``: the first step whose point or loss was not finite
            or left the bound, or -1; from there on values are NaN.
        noise, seed: the gradients' noise (its standard deviation; 0 for none) and
            its seed, as :func:`run` was given them.
    """

    landscape: Landscape
    specs: list[RunSpec]
    starts: Array
    steps: int
    points: Array
    losses: Array
    grads: Array | None
    lrs: Array
    states: list[dict[str, Array]]
    diverged_at: Array
    noise: float = 0.0
    seed: int = 0

    def path(self, run: int, start: int = 0) -> tuple[Array, Array]:
        """Points and losses of one run up to (not including) its divergence."""
        end = self.diverged_at[run, start]
        end = self.steps + 1 if end < 0 else end
        return self.points[run, start, :end], self.losses[run, start, :end]


def check_starts(landscape: Landscape, starts: Any) -> Array:
    """Starts as a finite ``(K, 2)`` float array inside the landscape's bound."""
    try:
        arr = np.array(starts, dtype=float)
    except (TypeError, ValueError):
        raise FieldError("start", f"must be numbers x, y (got {starts!r})") from None
    if arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise FieldError("start", f"must be one point (2,) or several (K, 2) (got shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise FieldError("start", "must be finite numbers")
    (x0, x1), (y0, y1) = landscape.bound
    inside = (arr[:, 0] >= x0) & (arr[:, 0] <= x1) & (arr[:, 1] >= y0) & (arr[:, 1] <= y1)
    if not inside.all():
        raise FieldError(
            "start", f"must lie within x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]"
        )
    return arr


def check_steps(steps: Any) -> int:
    """Steps as a whole number in [1, MAX_STEPS], or FieldError."""
    return int(STEPS.check("steps", steps))


# The run loop lives in its own module; ``engine.run`` stays the public name.
from visualizer.engine import loop as _loop  # noqa: E402  (it reads the names above)

run = _loop.run
compile_seconds = _loop.compile_seconds
