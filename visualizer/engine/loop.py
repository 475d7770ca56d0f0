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
import functools
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from landscapes import Landscape
from visualizer.engine import (
    MAX_POINTS,
    NOISE,
    Result,
    RunSpec,
    _groups,
    _over_budget,
    check_budget,
    check_starts,
    check_steps,
    estimate_seconds,
    optimizers,
)
from visualizer.engine import compiled as compiled_path

Array = np.ndarray


@functools.cache
def keep_freed_memory() -> None:
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

    keep_freed_memory()  # once per process (cached): before the first run's temporaries
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
        noise=noise,
        seed=seed,
    )
