"""What a landscape is: a frozen :class:`Landscape` (a vectorized cost, its
analytic gradient, its domain, its known :class:`Minimum` s) and the small array
helpers its methods share. The catalogues (:mod:`landscapes.classic`,
:mod:`landscapes.teaching`) and your own formulas (:mod:`landscapes.formula`)
build on it; :mod:`landscapes` lists them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


def _xy(p: Array) -> tuple[Array, Array]:
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _stack(dx: Array, dy: Array) -> Array:
    """``(...), (...) -> (..., 2)``; this is in every step's hot path, and filling
    an empty array is several times faster than ``np.stack`` on small inputs."""
    sx, sy = np.shape(dx), np.shape(dy)
    out = np.empty((sx if sx == sy else np.broadcast_shapes(sx, sy)) + (2,))
    out[..., 0] = dx
    out[..., 1] = dy
    return out


@dataclass(frozen=True)
class Minimum:
    """A known minimum: its point, its cost, and whether it is the global one."""

    point: tuple[float, float]
    value: float
    kind: str = "global"  # "global" or "local"


@dataclass(frozen=True)
class Landscape:
    """A 2-D cost function with everything the app and the tests need to know.

    Attributes:
        name: registry key (``"himmelblau"``).
        title: display name (``"Himmelblau"``).
        fxy: cost, element-wise: ``fxy(x, y)`` on floats or arrays.
        gradxy: analytic gradient, element-wise: ``(df/dx, df/dy)``; for
            non-smooth terms the sign is used (a subgradient, 0 at the kink).
        domain: plotting window ``((xmin, xmax), (ymin, ymax))``.
        minima: known minima; empty for a landscape unbounded below.
        start: a sensible default starting point.
        formula: LaTeX of ``f(x, y)``.
        lesson: one sentence on what it teaches.
        bounded_below: False when the cost has no minimum (the saddle).
        compilable: numba compiles ``fxy`` and ``gradxy`` for the batch path
            (:mod:`visualizer.engine.compiled`) and the compiled code gives NumPy's
            results to the last bit. False where the formula calls ``exp``:
            NumPy's vectorized exp and the compiled one can differ in the
            last bit, and a chaotic path (Ackley's) magnifies that; then the
            engine runs it on the NumPy loop.
        cost: about how many NumPy operations one gradient and cost evaluation
            takes (the engine's estimate of a run's time, for its budget); 20
            covers the registered ones (Ackley's, the dearest, is about 15);
            your own formula counts its terms.
    """

    name: str
    title: str
    fxy: Callable[[Array, Array], Array]
    gradxy: Callable[[Array, Array], tuple[Array, Array]]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[Minimum, ...]
    start: tuple[float, float]
    formula: str
    lesson: str
    bounded_below: bool = field(default=True)
    compilable: bool = field(default=True)
    cost: int = field(default=20)

    def f(self, p: Array) -> Array:
        """The cost at points ``(..., 2)``: ``(...)``."""
        x, y = _xy(p)
        return self.fxy(x, y)

    def grad(self, p: Array) -> Array:
        """The gradient at points ``(..., 2)``: ``(..., 2)``."""
        x, y = _xy(p)
        return _stack(*self.gradxy(x, y))

    @property
    def f_min(self) -> float | None:
        """The lowest known cost, or ``None`` when there is none (unbounded below)."""
        return min(m.value for m in self.minima) if self.minima else None

    def minimum_near(self, point, tol: float | None = None) -> int | None:
        """The index (in :attr:`minima`'s order) of the listed minimum within
        ``tol`` of ``point``, or None. ``tol`` defaults to 2 % of the domain's
        wider side: a run that ends there has settled in that minimum."""
        if tol is None:
            (x0, x1), (y0, y1) = self.domain
            tol = 0.02 * max(x1 - x0, y1 - y0)
        px, py = (float(v) for v in point)
        best, best_d = None, tol
        for i, m in enumerate(self.minima):
            d = math.hypot(px - m.point[0], py - m.point[1])
            if d <= best_d:
                best, best_d = i, d
        return best

    def outcome(self, point) -> str:
        """Where a run that ended at ``point`` settled: ``min0``, ``min1``, ...
        (the listed minimum within :meth:`minimum_near`'s tolerance, in
        :attr:`minima`'s order) or ``elsewhere`` (also for a non-finite point)."""
        if not all(math.isfinite(float(v)) for v in point):
            return "elsewhere"
        i = self.minimum_near(point)
        return "elsewhere" if i is None else f"min{i}"

    def outcome_label(self, point) -> str:
        """:meth:`outcome` in words: ``global minimum (3, 2)``, ``local minimum
        (0.96, 0)`` or ``no listed minimum``."""
        i = self.minimum_near(point) if all(math.isfinite(float(v)) for v in point) else None
        if i is None:
            return "no listed minimum"
        m = self.minima[i]
        return f"{m.kind} minimum ({m.point[0]:.3g}, {m.point[1]:.3g})"

    @property
    def bound(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The generous box beyond which a run counts as diverged.

        Ten times the domain's width on every side: far enough that no path
        worth drawing is cut, near enough that runaway values stop early.
        """
        (x0, x1), (y0, y1) = self.domain
        w, h = x1 - x0, y1 - y0
        return (x0 - 10 * w, x1 + 10 * w), (y0 - 10 * h, y1 + 10 * h)
