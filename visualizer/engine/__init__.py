"""The run loop: every chosen optimizer, from one or many starts, in one loop.

``run`` evaluates the landscape's gradient once per step for all runs at once,
then lets each optimizer update its own rows. Runs that share an optimizer
and its hyperparameters are batched into one update call (their learning
rates and schedules may differ), so ten learning rates of Adam cost about as
much as one. Where numba can compile the landscape, each group's whole
trajectory runs in one compiled call (:mod:`visualizer.engine.compiled`), with the
same numbers as the NumPy loop to the last bit; while its kernels are still
compiling in the background (the first use in a fresh process on a new
machine), the NumPy loop answers.

It records, per step, the points, the gradient each optimizer saw, the
learning rate in force and each optimizer's state (momentum buffer, moments,
AdaBelief's s). Losses and divergence are computed afterwards, over all
the records at once (NumPy: in cache-sized blocks of steps): a run whose
point or loss stops being finite, or that leaves ``Landscape.bound``, is marked diverged at that step and its later values are
NaN. Divergence is data: nothing is raised, nothing is printed.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from landscapes import Landscape
from landscapes.number_text import exact
from visualizer.engine import compiled as compiled_path
from visualizer.engine import optimizers, schedules
from visualizer.engine.fields import FieldError, Range  # noqa: F401  (FieldError: the engine's errors)

Array = np.ndarray


def _keep_freed_memory() -> None:
    """Stop glibc from handing freed heap memory back to the kernel after every step.

    A step on 10,000 starts frees several 80 KB temporaries; with glibc's default
    128 KB trim threshold the heap top shrinks and regrows each step, and every
    regrowth page-faults: the gradient alone ran 4x slower (measured). Keeping
    up to 128 MB of free heap is cheap for this app. Fixing the trim threshold
    also freezes glibc's adaptive mmap threshold at 128 KB, so raise that too:
    temporaries below 16 MB come from the (kept) heap. No-op off glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 128 * 1024 * 1024)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 16 * 1024 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


_keep_freed_memory()

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
    ready = _kernels(None, landscape, names) is not None
    return estimate_seconds(landscape, len(names), len(specs) * n_starts, steps, ready, n_starts)


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


def _groups(specs: Sequence[RunSpec]) -> list[tuple[str, tuple, list[int]]]:
    """Runs that share an optimizer and its hyperparameters, in first-seen order."""
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        key = (spec.optimizer, tuple(sorted(spec.hypers.items())))
        groups.setdefault(key, []).append(i)
    return [(name, hypers, idx) for (name, hypers), idx in groups.items()]


def _losses_and_divergence(landscape: Landscape, pts: Array) -> tuple[Array, Array]:
    """``f`` over all recorded points ``(steps + 1, S, K, 2)``, and per run and
    start the first step whose point leaves the bound (NaN does too) or whose
    loss is not finite, -1 where there is none (``(S, K)``). Works in blocks of
    steps that fit in cache."""
    (x0, x1), (y0, y1) = landscape.bound
    n_steps = len(pts)
    losses = np.empty(pts.shape[:-1])
    first = np.full(pts.shape[1:-1], -1)
    block = max(1, 16384 // max(1, pts[0].size // 2))
    for i in range(0, n_steps, block):
        p = pts[i : i + block]
        loss = losses[i : i + block] = landscape.f(p)
        px, py = p[..., 0], p[..., 1]
        bad = ~((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1) & np.isfinite(loss))
        hit = bad.any(axis=0) & (first < 0)
        if hit.any():
            first[hit] = i + bad.argmax(axis=0)[hit]
    return losses, first


def _after_divergence(values: Array, first: Array) -> Array:
    """``values`` ``(K, steps, 2)`` (a state, a view of its record) set to NaN
    from step index ``first`` on, in place."""
    for k in np.nonzero(first >= 0)[0]:
        values[k, first[k] :] = np.nan
    return values


class _Group(NamedTuple):
    """Runs that share an optimizer: their rows of the loop, the optimizer (and
    its name), their learning rate per step (floats for one run, else
    ``(steps, R, 1, 1)``) and the record of their state, ``(F, steps, R, K, 2)``
    (F = 0 when not recording)."""

    rows: slice
    name: str
    opt: optimizers.Optimizer
    lr_steps: Any
    record: Array


def _numpy_loop(landscape: Landscape, loop: list[_Group], pts: Array, grads: Array,
                noisy: Callable[[Array], Array], progress: Callable[[float], None]) -> None:
    """Fill ``pts[1:]``, ``grads`` and the records, one NumPy step at a time."""
    grad = landscape.grad
    states = [group.opt.init(pts[0, group.rows]) for group in loop]
    x = pts[0]
    every = max(1, len(grads) // 50)
    for t in range(len(grads)):
        if t % every == 0:
            progress(t / len(grads))
        g = grads[t] = noisy(grad(x))
        nxt = pts[t + 1]
        for i, (rows, _, opt, lr_steps, record) in enumerate(loop):
            nxt[rows], states[i] = opt.update(g[rows], states[i], x[rows], lr_steps[t])
            for j in range(len(record)):
                record[j, t] = states[i][1 + j]
        x = nxt


def _compiled_loop(loop: list[_Group], pts: Array, grads: Array, lrs: Array, noise: Array,
                   scale: float, kernels: dict[str, Callable],
                   progress: Callable[[float], None]) -> None:
    """As :func:`_numpy_loop`, each group's whole trajectory in one compiled call
    (:mod:`visualizer.engine.compiled`); ``lrs`` is every run's learning rate per step,
    ``(steps, S)``, and ``noise`` every step's draws at once."""
    for i, (rows, name, opt, _, record) in enumerate(loop):
        progress(i / len(loop))
        compiled_path.trajectory(kernels[name], opt, rows, pts, grads, lrs, noise, scale,
                                 record if len(record) else None)


_compile_cpu: dict[int | None, float] = {}
_compiling: dict[int | None, float] = {}


def compile_seconds(thread: int | None, now: float) -> float:
    """The CPU seconds thread ``thread`` (an ident) has spent on compiles it asked
    for (``compiled=True``), the one in progress included (``now``: that thread's
    CPU clock): a job's limit does not count them."""
    started = _compiling.get(thread)
    return _compile_cpu.get(thread, 0.0) + (now - started if started is not None else 0.0)


def _kernels(choice: bool | None, landscape: Landscape,
             names: Sequence[str]) -> dict[str, Callable] | None:
    """The compiled kernels for these optimizers on this landscape, or None for the
    NumPy loop: when asked for (``choice=False``), when the landscape cannot be
    compiled, or (``choice=None``) while a kernel is still compiling in the
    background. ``choice=True`` waits for the compile."""
    if choice is False:
        return None
    if not compiled_path.available():
        if choice:
            raise ValueError("compiled=True needs numba: pip install -r requirements.txt")
        return None
    if not compiled_path.compilable(landscape):
        return None
    ident = threading.get_ident()
    if choice:
        _compiling[ident] = time.thread_time()
    try:
        kernels = {kind: compiled_path.kernel(landscape, kind, wait=bool(choice))
                   for kind in [*names, "losses_and_divergence"]}
    finally:
        started = _compiling.pop(ident, None)
        if started is not None:
            _compile_cpu[ident] = _compile_cpu.get(ident, 0.0) + time.thread_time() - started
    return None if any(k is None for k in kernels.values()) else kernels


def run(
    landscape: Landscape,
    specs: Sequence[RunSpec],
    starts: Any,
    steps: int,
    *,
    noise: float = 0.0,
    seed: int = 0,
    record_state: bool = True,
    compiled: bool | None = None,
    budget: float | None = None,
    progress: Callable[[float], None] = lambda done: None,
) -> Result:
    """Run every spec from every start for ``steps`` steps.

    Args:
        landscape: the cost function.
        specs: runs from :func:`make_spec` (S of them).
        starts: ``(2,)`` or ``(K, 2)`` starting points; each run starts from each.
        steps: number of updates, 1..MAX_STEPS.
        noise: standard deviation of Gaussian noise added to every gradient
            (stochastic gradients); 0 for none.
        seed: seed of the noise; the same seed gives the same noise, and every
            optimizer sees the same noise sequence from a given start.
        record_state: also record every optimizer's state per step.
        compiled: ``None`` (the default): the compiled loop when its kernels
            are ready (else they are queued to compile in the background and
            the NumPy loop answers now); ``True``: the compiled loop, compiling
            first if need be; ``False``: the NumPy loop. Either way the numbers
            are the same. A landscape numba cannot compile to NumPy's numbers
            (``Landscape.compilable``; your own formula) always takes the NumPy
            loop.
        budget: the most seconds the call may take (a server's bound per
            request), estimated before running (:func:`estimate_seconds`); over
            it, the compiled loop is waited for where it would fit, else
            :class:`BudgetError` says what to lower. ``None``: no bound.
        progress: called now and then with the share of the work done, from 0
            (a background job's progress bar).

    Returns:
        A :class:`Result`.

    Raises:
        FieldError: (a ``ValueError``) bad starts, steps or noise, naming the field.
        ValueError: too much to record, or ``compiled=True`` without numba.
        BudgetError: (a ``ValueError``) more work than ``budget`` allows.
    """
    specs = list(specs)
    if not specs:
        raise ValueError("no runs: choose at least one optimizer")
    starts = check_starts(landscape, starts)
    steps = check_steps(steps)
    noise = NOISE.check("noise", noise)
    n_runs, n_starts = len(specs), len(starts)
    if (steps + 1) * n_runs * n_starts > MAX_POINTS:
        raise ValueError(
            f"too much to record: {steps} steps x {n_runs} runs x {n_starts} starts "
            f"exceeds {MAX_POINTS:,} points; use fewer steps or starts"
        )

    groups = _groups(specs)
    names = [name for name, _, _ in groups]
    kernels = _kernels(compiled, landscape, names)
    if budget is not None:
        check_budget(landscape, specs, n_starts, steps, budget)
        seconds = estimate_seconds(landscape, len(groups), n_runs * n_starts, steps,
                                   compiled=kernels is not None, n_starts=n_starts)
        if seconds > budget and kernels is None:
            if compiled is False:  # the NumPy loop was asked for, and it does not fit
                raise _over_budget(landscape, n_runs, n_starts, steps, seconds, budget)
            kernels = _kernels(True, landscape, names)  # fits compiled: worth the wait
    order = [i for _, _, idx in groups for i in idx]  # row r of the loop is spec order[r]
    lr_table = np.stack([specs[i].learning_rates(steps) for i in order], axis=1)  # (steps, S)

    pts = np.empty((steps + 1, n_runs, n_starts, 2))
    pts[0] = starts
    grads = np.empty((steps, n_runs, n_starts, 2))
    loop = []
    row = 0
    for name, hypers, idx in groups:
        rows = slice(row, row + len(idx))
        row += len(idx)
        lrs = lr_table[:, rows]
        # A lone run gets Python floats: the scalar arithmetic is torch's and fast.
        lr_steps = lrs[:, 0].tolist() if len(idx) == 1 else lrs[:, :, None, None]
        opt = optimizers.info(name).build(**dict(hypers))
        n_fields = len(opt.fields) if record_state else 0
        record = np.empty((n_fields, steps, len(idx), n_starts, 2))
        loop.append(_Group(rows, name, opt, lr_steps, record))

    rng = np.random.default_rng(seed) if noise else None

    with np.errstate(all="ignore"):  # divergence is detected below, not warned about
        if kernels is not None:
            # every step's draws at once: the same stream as one draw per step
            draws = rng.standard_normal((steps, n_starts, 2)) if rng else np.empty((0, 0, 2))
            _compiled_loop(loop, pts, grads, lr_table, draws, noise, kernels, progress)
            losses, first = compiled_path.losses_and_divergence(
                landscape, pts, kernels["losses_and_divergence"])
        else:
            def noisy(g: Array) -> Array:
                return g + noise * rng.standard_normal((n_starts, 2)) if rng is not None else g

            _numpy_loop(landscape, loop, pts, grads, noisy, progress)
            losses, first = _losses_and_divergence(landscape, pts)

    for run_row, start_index in zip(*np.nonzero(first >= 0), strict=True):
        # From the first bad point on, nothing is worth showing. The gradient
        # and state that produced that point stay: they explain the blow-up.
        f = first[run_row, start_index]
        pts[f:, run_row, start_index] = np.nan
        losses[f:, run_row, start_index] = np.nan
        grads[f:, run_row, start_index] = np.nan

    states: list[dict[str, Array]] = [{} for _ in specs]
    for group in loop:
        rows = group.rows
        for j, spec_index in enumerate(order[rows]):
            states[spec_index] = {
                f: _after_divergence(arr[:, j].transpose(1, 0, 2), first[rows.start + j])
                for f, arr in zip(group.opt.fields[: len(group.record)], group.record, strict=True)
            }
    # Back from loop order to spec order (a view when they agree, the usual case).
    back = slice(None) if order == sorted(order) else np.argsort(order)
    return Result(
        landscape=landscape,
        specs=specs,
        starts=starts,
        steps=steps,
        points=pts.transpose(1, 2, 0, 3)[back],
        losses=losses.transpose(1, 2, 0)[back],
        grads=grads.transpose(1, 2, 0, 3)[back],
        lrs=lr_table.T[back],
        states=states,
        diverged_at=first[back],
    )
