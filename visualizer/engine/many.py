"""Many runs at once: where each start ends up (basins), which learning rates
work (a sweep), and where heavy-ball momentum converges, oscillates or diverges
in (lr, momentum) (a map).

No Dash here. Every view runs the engine's batched loop (compiled where the
landscape allows) in chunks of runs, keeping only what the views need: each
run's final point and cost, the listed minimum it ended in, the epochs it took
to get there, and the epoch it diverged at. A cell is exactly the single run
from its start (the engine gives one start the same numbers as many).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from landscapes import Landscape
from visualizer import engine
from visualizer.engine.fields import FieldError, Range

Array = np.ndarray

DEFAULT_GRID = 120
MAX_GRID = 400
MAX_WORK = 1_000_000_000
"""The most optimizer steps (cells × runs per cell × epochs) one view may ask for:
about 10 s of a core on the compiled loop. Over it, :class:`TooMuchWork` says
what to lower."""
CHUNK_RUNS = 2000
"""Runs per engine call: the recorded paths of a chunk stay within tens of MB."""
ELSEWHERE, DIVERGED = -1, -2
"""Outcome codes besides a listed minimum's index."""
DEFAULT_LRS = (1e-5, 10.0, 60)
MAX_LR_POINTS = 200
DEFAULT_BETAS = 50
MAX_BETA = 0.999


class TooMuchWork(ValueError):
    """A view asks for more than :data:`MAX_WORK` optimizer steps; the message says what to lower."""


RESULT_BYTES_PER_RUN = 48
"""What one run x start of :class:`Outcomes` keeps (final point, cost, outcome,
epochs, divergence): a view's stored size."""
MAX_RESULT_BYTES = 48 * 2**20
"""The largest view the app computes as a job (it is kept in the class's cache,
whose entries are bounded; see :mod:`visualizer.server.cache`)."""
MAX_CHUNK_POINTS = 2_000_000
"""Recorded points per engine call (steps x runs x starts): a chunk's paths,
gradients and costs stay under about 100 MB."""


def check_job(landscape: Landscape, n_groups: int, n_runs: int, n_starts: int, steps: int,
              cells_name: str, budget: float = engine.JOB_BUDGET) -> None:
    """Refuse a view a background job cannot compute within ``budget`` seconds (the
    engine's cost model: the landscape's cost, the loop it takes, the groups of
    runs, the starts and the epochs) or whose result would exceed
    :data:`MAX_RESULT_BYTES`; the message says what to lower. ``n_groups``: how
    many distinct optimizer settings (each a group of the loop), ``n_runs``: runs
    per start."""
    fastest = engine.compiled_path.available() and engine.compiled_path.compilable(landscape)
    seconds = engine.estimate_seconds(landscape, n_groups, n_runs * n_starts, steps, fastest,
                                      n_starts)
    lower = f"lower the {cells_name}, the optimizers or the epochs"
    if landscape.cost > Landscape.cost:
        lower += ", or shorten the formula"
    if seconds > budget:
        raise TooMuchWork(
            f"Too much work for one background job: {n_starts * n_runs:,} runs x {steps:,} epochs "
            f"on this landscape would take about {seconds:.1f} s, over the {budget:g} s allowed; "
            f"{lower}.")
    nbytes = n_runs * n_starts * RESULT_BYTES_PER_RUN
    if nbytes > MAX_RESULT_BYTES:
        raise TooMuchWork(
            f"Too large to keep: {n_starts * n_runs:,} runs make a result of "
            f"{nbytes / 2**20:.0f} MB, over the {MAX_RESULT_BYTES >> 20} MB a view may take; "
            f"lower the {cells_name} or the optimizers.")


def check_work(cells: int, runs_per_cell: int, steps: int, cells_name: str) -> None:
    """Refuse more than :data:`MAX_WORK` optimizer steps, saying what to lower."""
    work = cells * runs_per_cell * steps
    if work > MAX_WORK:
        raise TooMuchWork(
            f"too much work: {cells:,} {cells_name} × {runs_per_cell} optimizer"
            f"{'s' if runs_per_cell != 1 else ''} × {steps:,} epochs is {work:,} steps, over "
            f"the limit of {MAX_WORK:,}: lower the {cells_name}, the optimizers or the epochs")


@dataclass
class Outcomes:
    """Per run and start (``(S, K)``): where it ended and how."""

    final: Array  # (S, K, 2): the final point (NaN for a diverged run)
    loss: Array  # (S, K): the final cost (NaN for a diverged run)
    outcome: Array  # (S, K): the listed minimum's index, ELSEWHERE or DIVERGED
    epochs: Array  # (S, K): the first epoch within the tolerance of that minimum, or -1
    diverged_at: Array  # (S, K): as engine.Result.diverged_at


def tolerance(landscape: Landscape) -> float:
    """The distance within which a run counts as at a minimum (the landscape's
    own, see :meth:`landscapes.Landscape.minimum_near`)."""
    (x0, x1), (y0, y1) = landscape.domain
    return 0.02 * max(x1 - x0, y1 - y0)


def outcomes(landscape: Landscape, specs: Sequence[engine.RunSpec], starts: Array, steps: int,
             progress: Callable[[float], None] = lambda done: None,
             compiled: bool | None = None) -> Outcomes:
    """Run every spec from every start and keep how each run ended."""
    specs = list(specs)
    starts = engine.check_starts(landscape, starts)
    n_runs, n_starts = len(specs), len(starts)
    minima = np.array([m.point for m in landscape.minima], dtype=float).reshape(-1, 2)
    tol = tolerance(landscape)
    out = Outcomes(np.full((n_runs, n_starts, 2), np.nan), np.full((n_runs, n_starts), np.nan),
                   np.full((n_runs, n_starts), ELSEWHERE), np.full((n_runs, n_starts), -1),
                   np.full((n_runs, n_starts), -1))
    chunk = max(1, min(CHUNK_RUNS, MAX_CHUNK_POINTS // (steps + 1)) // n_runs)
    if compiled is None and engine.compiled_path.compilable(landscape):
        compiled = True  # a job waits for the kernels (seconds, once) rather than crawl
    for lo in range(0, n_starts, chunk):
        hi = min(n_starts, lo + chunk)
        res = engine.run(landscape, specs, starts[lo:hi], steps, record_state=False,
                         compiled=compiled)
        out.final[:, lo:hi] = res.points[:, :, -1]
        out.loss[:, lo:hi] = res.losses[:, :, -1]
        out.diverged_at[:, lo:hi] = res.diverged_at
        if len(minima):
            end = res.points[:, :, -1]  # (S, k, 2)
            dist = np.hypot(end[..., None, 0] - minima[:, 0], end[..., None, 1] - minima[:, 1])
            nearest = np.argmin(dist, axis=-1)
            inside = np.take_along_axis(dist, nearest[..., None], axis=-1)[..., 0] <= tol
            code = np.where(inside, nearest, ELSEWHERE)
            # the epochs: the first point within the tolerance of the minimum it ended in
            target = np.where(inside[..., None], minima[nearest], np.nan)
            epochs = np.full(inside.shape, -1)
            _first_within()(res.points, target, tol * tol, epochs)
            out.epochs[:, lo:hi] = epochs
            out.outcome[:, lo:hi] = code
        out.outcome[:, lo:hi][res.diverged_at >= 0] = DIVERGED
        progress(hi / n_starts)
    return out


def _first_within_py(points, targets, tol2, out):
    # points: (S, K, T + 1, 2); targets: (S, K, 2), NaN where there is none; out: (S, K),
    # set to the first t with |points[s, k, t] - target| <= sqrt(tol2).
    for s in range(points.shape[0]):
        for k in range(points.shape[1]):
            tx, ty = targets[s, k, 0], targets[s, k, 1]
            if tx != tx:
                continue
            for t in range(points.shape[2]):
                dx, dy = points[s, k, t, 0] - tx, points[s, k, t, 1] - ty
                if dx * dx + dy * dy <= tol2:
                    out[s, k] = t
                    break


@functools.cache
def _first_within() -> Callable:
    """:func:`_first_within_py` compiled (cached on disk), or NumPy's version without numba."""
    try:
        import numba
    except ImportError:
        def vectorized(points, targets, tol2, out):
            d2 = ((points - targets[:, :, None, :]) ** 2).sum(axis=-1)
            hit = d2 <= tol2
            out[...] = np.where(hit.any(axis=-1), np.argmax(hit, axis=-1), -1)
        return vectorized
    return numba.njit(cache=True, nogil=True)(_first_within_py)


def outcome_name(code: int) -> str:
    """``min0``, ``min1``, ... (the listed minima, in ``list``'s order), ``elsewhere``, ``diverged``."""
    return {ELSEWHERE: "elsewhere", DIVERGED: "diverged"}.get(int(code), f"min{int(code)}")


# -- Basins: where each start ends up -------------------------------------------------------
@dataclass
class BasinMap:
    landscape: Landscape
    specs: list[engine.RunSpec]
    steps: int
    xs: Array  # (n,): the grid's x values
    ys: Array  # (n,)
    result: Outcomes  # arrays (S, n * n), row-major over (y, x)

    def grid(self, values: Array) -> Array:
        """A per-start array as ``(S, ny, nx)``."""
        return values.reshape(len(self.specs), len(self.ys), len(self.xs), *values.shape[2:])

    def starts(self) -> Array:
        return np.stack(np.meshgrid(self.xs, self.ys), axis=-1).reshape(-1, 2)

    def share_global(self) -> list[float]:
        """Per optimizer, the share of starts that end in a global minimum."""
        glob = [i for i, m in enumerate(self.landscape.minima) if m.kind == "global"]
        return [float(np.isin(row, glob).mean()) for row in self.result.outcome]


def grid_axes(landscape: Landscape, n: int) -> tuple[Array, Array]:
    """``n`` points across the domain on each axis, cell centres (never on its edge)."""
    (x0, x1), (y0, y1) = landscape.domain
    return (x0 + (np.arange(n) + 0.5) * (x1 - x0) / n, y0 + (np.arange(n) + 0.5) * (y1 - y0) / n)


GRID = Range(2, MAX_GRID, whole=True)


def check_grid(n: object) -> int:
    """Starts per side, a whole number from 2 to MAX_GRID, or FieldError."""
    return int(GRID.parse("grid", n if n is None or isinstance(n, str) else str(n)))


def basins(landscape: Landscape, specs: Sequence[engine.RunSpec], steps: int,
           grid: int = DEFAULT_GRID, progress: Callable[[float], None] = lambda done: None,
           compiled: bool | None = None) -> BasinMap:
    """Every spec from every start of a ``grid`` × ``grid`` grid over the domain."""
    specs = list(specs)
    if not specs:
        raise ValueError("no runs: choose at least one optimizer")
    grid = check_grid(grid)
    steps = engine.check_steps(steps)
    check_work(grid * grid, len(specs), steps, "grid cells")
    xs, ys = grid_axes(landscape, grid)
    bm = BasinMap(landscape, specs, steps, xs, ys, None)  # type: ignore[arg-type]
    bm.result = outcomes(landscape, specs, bm.starts(), steps, progress, compiled)
    return bm


# -- The learning-rate sweep ----------------------------------------------------------------
def log_lrs(lo: float, hi: float, n: int) -> Array:
    """``n`` learning rates evenly spaced on a log scale from ``lo`` to ``hi``."""
    return np.geomspace(lo, hi, n)


def parse_lrs_range(text: str) -> tuple[float, float, int]:
    """``LO:HI:N`` (``1e-5:10:60``) as a checked log range, or FieldError naming the part."""
    parts = str(text or "").strip().split(":")
    if len(parts) != 3:
        raise FieldError("learning rates", "give LO:HI:N, for example 1e-5:10:60")
    lo = engine.LR.parse("learning rates: LO", parts[0])
    hi = engine.LR.parse("learning rates: HI", parts[1])
    if not lo < hi:
        raise FieldError("learning rates", f"LO must be less than HI (got {lo:g}:{hi:g})")
    n = Range(2, MAX_LR_POINTS, whole=True).parse("learning rates: N", parts[2])
    return lo, hi, int(n)


@dataclass
class Sweep:
    landscape: Landscape
    start: tuple[float, float]
    steps: int
    specs: list[engine.RunSpec]  # the optimizers as set (their own lr unused)
    lrs: Array  # (L,)
    result: Outcomes  # arrays (O * L, 1): optimizer o at lr j is row o * L + j

    def per_optimizer(self, values: Array) -> Array:
        return values.reshape(len(self.specs), len(self.lrs))

    def gap(self) -> Array:
        """Final cost above the lowest known one, ``(O, L)`` (the cost where none is known)."""
        return self.per_optimizer(self.result.loss[:, 0]) - (self.landscape.f_min or 0.0)

    def band(self, factor: float) -> list[tuple[float, float] | None]:
        """Per optimizer, the learning rates around its best whose final cost is within
        ``factor`` of the best (above the lowest known cost; at least 1e-8 above it):
        the contiguous range ``(lo, hi)`` that holds the best, or None if every run diverged."""
        out = []
        for row in self.gap():
            ok = np.isfinite(row)
            if not ok.any():
                out.append(None)
                continue
            best = int(np.nanargmin(np.where(ok, row, np.inf)))
            good = ok & (row <= max(factor * max(row[best], 0.0), 1e-8))
            lo = hi = best
            while lo > 0 and good[lo - 1]:
                lo -= 1
            while hi < len(row) - 1 and good[hi + 1]:
                hi += 1
            out.append((float(self.lrs[lo]), float(self.lrs[hi])))
        return out


def sweep(landscape: Landscape, specs: Sequence[engine.RunSpec], start, lrs: Array, steps: int,
          progress: Callable[[float], None] = lambda done: None,
          compiled: bool | None = None) -> Sweep:
    """Every optimizer (its other settings as given) at every learning rate, from one start."""
    specs = list(specs)
    if not specs:
        raise ValueError("no runs: choose at least one optimizer")
    steps = engine.check_steps(steps)
    lrs = np.asarray(lrs, dtype=float)
    check_work(len(lrs), len(specs), steps, "learning rates")
    runs = [engine.make_spec(s.optimizer, lr=float(lr), decay=s.decay, schedule=s.schedule,
                             **s.hypers, **s.schedule_params) for s in specs for lr in lrs]
    start = tuple(float(v) for v in engine.check_starts(landscape, start)[0])
    res = outcomes(landscape, runs, np.array([start]), steps, progress, compiled)
    return Sweep(landscape, start, steps, specs, lrs, res)


# -- The (lr, momentum) map ------------------------------------------------------------------
MOMENTUM_HYPER = {"momentum": "momentum", "nesterov": "momentum", "adam": "beta1",
                  "adamw": "beta1", "amsgrad": "beta1", "adamax": "beta1", "nadam": "beta1",
                  "radam": "beta1", "adabelief": "beta1"}
"""The optimizers the map takes, and the name of their momentum-like hyperparameter."""


@dataclass
class MomentumMap:
    landscape: Landscape
    optimizer: str
    hyper: str  # "momentum" or "beta1"
    start: tuple[float, float]
    steps: int
    lrs: Array  # (L,)
    betas: Array  # (B,)
    result: Outcomes  # arrays (B * L, 1): beta i at lr j is row i * L + j

    def grid(self, values: Array) -> Array:
        return values.reshape(len(self.betas), len(self.lrs))


def betas_grid(n: int) -> Array:
    """``n`` momentum values from 0 to :data:`MAX_BETA`, denser near 1 (evenly
    spaced in log(1 - β))."""
    return 1.0 - np.geomspace(1.0, 1.0 - MAX_BETA, n)


def momentum_map(landscape: Landscape, optimizer: str, start, lrs: Array, betas: Array,
                 steps: int, progress: Callable[[float], None] = lambda done: None,
                 compiled: bool | None = None) -> MomentumMap:
    """The optimizer at every (lr, momentum) pair of the grid, from one start."""
    if optimizer not in MOMENTUM_HYPER:
        raise ValueError(f"the (lr, momentum) map takes: {', '.join(MOMENTUM_HYPER)} "
                         f"(got {optimizer!r})")
    hyper = MOMENTUM_HYPER[optimizer]
    steps = engine.check_steps(steps)
    lrs, betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
    check_work(len(lrs) * len(betas), 1, steps, "cells")
    runs = [engine.make_spec(optimizer, lr=float(lr), **{hyper: float(b)}) for b in betas for lr in lrs]
    start = tuple(float(v) for v in engine.check_starts(landscape, start)[0])
    res = outcomes(landscape, runs, np.array([start]), steps, progress, compiled)
    return MomentumMap(landscape, optimizer, hyper, start, steps, lrs, betas, res)


def heavy_ball_rate(lr: float, beta: float, curvatures: Sequence[float]) -> float:
    """The closed-form convergence rate of heavy-ball momentum on a quadratic with
    these curvatures: the largest modulus of the roots of z² − (1 + β − lr·h) z + β
    over the curvatures h (Goh, "Why Momentum Really Works"); below 1 it converges,
    above 1 it diverges."""
    worst = 0.0
    for h in curvatures:
        roots = np.roots([1.0, -(1.0 + beta - lr * h), beta])
        worst = max(worst, float(np.abs(roots).max()))
    return worst


__all__ = ["DIVERGED", "ELSEWHERE", "BasinMap", "MomentumMap", "Outcomes", "Sweep", "TooMuchWork",
           "basins", "betas_grid", "check_job", "check_work", "heavy_ball_rate", "log_lrs", "momentum_map",
           "outcome_name", "outcomes", "sweep"]
