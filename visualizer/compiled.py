"""The batch path: the engine's loop with its element-wise work compiled by numba.

On a big batch (thousands of starts) NumPy spends its time in memory passes:
every ``a * b + c`` writes a temporary the size of the batch. Here each
optimizer's rule and each landscape's ``gradxy``/``fxy`` (the very functions
the NumPy path calls, see :func:`visualizer.optimizers._elementwise` and
:class:`landscapes.Landscape`) are compiled and applied one element at a time
in one loop, which LLVM vectorizes. The arithmetic is the same, operation for
operation, so the two paths give the same numbers (the tests compare them).

numba compiles with ``error_model="numpy"`` (a division by zero gives inf or
NaN, as in NumPy, instead of raising) and without ``fastmath`` (no
reassociation, no fused multiply-add). A function is compiled on its first
use, about half a second for each optimizer and landscape, then kept for
the life of the process; :func:`available` says whether numba is installed at all.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray


@functools.cache
def available() -> bool:
    """Whether numba can be imported (the engine falls back to NumPy if not)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def jit(fn: Callable) -> Callable:
    """``fn`` compiled by numba, with the plain Python functions it calls
    (``_lerp``, ``_gp_parts``) compiled too, so it can call them."""
    import numba

    namespace = dict(fn.__globals__)
    for name in fn.__code__.co_names:
        if isinstance(namespace.get(name), types.FunctionType):
            namespace[name] = jit(namespace[name])
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                               fn.__closure__)
    return numba.njit(error_model="numpy")(clone)


@functools.cache
def _driver(rule: Callable, n_state: int) -> Callable:
    """The loop that applies ``rule`` (with ``n_state`` state arrays) to every element.

    ``drive(g, p, *state, p_out, *state_out, coefs)``: arrays are ``(R, M)``
    (R runs of M numbers each), ``coefs`` is ``(R, C)``, one row of
    coefficients per run. Outputs must not overlap inputs (then LLVM
    vectorizes the loop). The rule is built in, not an argument: typing a
    function argument costs microseconds on every call.
    """
    import numba

    ins = [f"s{j}" for j in range(n_state)]
    outs = [f"s{j}_out" for j in range(n_state)]
    targets = "".join(f"{a}[r, i], " for a in ["p_out", *outs])
    args = ", ".join(["g", "p", *ins, "p_out", *outs, "coefs"])
    source = (
        f"def drive({args}):\n"
        "    for r in range(g.shape[0]):\n"
        "        c = coefs[r]\n"
        "        for i in range(g.shape[1]):\n"
        f"            {targets}= rule(g[r, i], p[r, i], "
        + "".join(f"{a}[r, i], " for a in ins) + "c)\n"
    )
    namespace: dict[str, Any] = {"rule": jit(rule)}
    exec(compile(source, f"<{rule.__name__} driver>", "exec"), namespace)  # our own template
    return numba.njit(error_model="numpy")(namespace["drive"])


@functools.cache
def _gradient_kernel(gradxy: Callable) -> Callable:
    import numba

    compiled = jit(gradxy)

    @numba.njit(error_model="numpy")
    def gradient(p, out):  # p, out: (N, 2)
        for i in range(p.shape[0]):
            out[i, 0], out[i, 1] = compiled(p[i, 0], p[i, 1])

    return gradient


@functools.cache
def _loss_kernel(fxy: Callable) -> Callable:
    import numba

    compiled = jit(fxy)

    @numba.njit(error_model="numpy")
    def losses_and_divergence(pts, losses, first, x0, x1, y0, y1):
        # pts: (T, N, 2), losses: (T, N), first: (N,) filled with -1. The
        # first loop has no branch, so it vectorizes; the second runs only on
        # the rare step where some point left the bound.
        for t in range(pts.shape[0]):
            n_bad = 0
            for i in range(pts.shape[1]):
                x, y = pts[t, i, 0], pts[t, i, 1]
                loss = compiled(x, y)
                losses[t, i] = loss
                n_bad += not ((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & np.isfinite(loss))
            if n_bad:
                for i in range(pts.shape[1]):
                    x, y, loss = pts[t, i, 0], pts[t, i, 1], losses[t, i]
                    inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & np.isfinite(loss)
                    if not inside and first[i] < 0:
                        first[i] = t

    return losses_and_divergence


def gradient(landscape: Any, p: Array, out: Array) -> None:
    """``out[...] = landscape.grad(p)`` for C-contiguous ``(..., 2)`` arrays."""
    _gradient_kernel(landscape.gradxy)(p.reshape(-1, 2), out.reshape(-1, 2))


def losses_and_divergence(landscape: Any, pts: Array) -> tuple[Array, Array]:
    """As ``engine._losses_and_divergence``, in one compiled pass."""
    (x0, x1), (y0, y1) = landscape.bound
    losses = np.empty(pts.shape[:-1])
    first = np.full(pts.shape[1:-1], -1)
    n = len(pts)
    _loss_kernel(landscape.fxy)(pts.reshape(n, -1, 2), losses.reshape(n, -1), first.reshape(-1),
                                x0, x1, y0, y1)
    return losses, first


def update(rule: Callable, coefs: tuple, g: Array, p: Array, state: list[Array],
           p_out: Array, state_out: list[Array]) -> None:
    """One step of one group of R runs: ``(p_out, *state_out) = rule(g, p, *state, coefs)``.

    Arrays are ``(R, ...)``; ``coefs`` is the tuple ``coefficients`` returned,
    floats or ``(R,)`` arrays (a learning rate per run).
    """
    n_runs = len(p)
    table = np.empty((n_runs, len(coefs)))
    for j, value in enumerate(coefs):
        table[:, j] = value
    flat = [a.reshape(n_runs, -1) for a in (g, p, *state, p_out, *state_out)]
    _driver(rule, len(state))(*flat, table)
