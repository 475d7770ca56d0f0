"""The runs seen in weight space: a plane through the weights, the runs' paths
projected on it, and the loss over it as a contour.

:func:`pca_plane` is the plane of the principal directions of all the runs'
recorded weights together (centred on their mean), so every optimizer is drawn
on the same map. :func:`random_plane` is Li et al.'s (2018, "Visualizing the Loss
Landscape of Neural Nets"): two random directions around one run's end point,
each filter-normalised (every neuron's incoming weights scaled to the norm of
that neuron's weights there; the biases left out), so the picture shows the
shape of the minimum the run found, in units of its own weights' size.

A plane shows two directions out of thousands: a path's point projected on it
is not the point itself, and the loss at the projection is not the loss the run
had. :func:`projection_gap` measures that, run by run, so the page can say how
far to trust the picture; :func:`in_plane_share` says how much of a run's way
from its start to its end lies in the plane (a random plane was not drawn to hold
it: two random directions among many are far from any given one, though filter
normalisation ties them to the weights' own sizes; the share is measured).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualizer.engine.training import models
from visualizer.engine.training.datasets import Dataset
from visualizer.engine.training.loop import Training
from visualizer.engine.training.models import Model

Array = np.ndarray

GRID = 60
"""Points per side of the loss surface over a plane."""


@dataclass(frozen=True)
class Plane:
    """``centre + a u + b v``: ``u`` and ``v`` span it ``(N,)`` (orthonormal on the PCA
    plane, filter-normalised on a random one); ``explained`` is the share of the
    runs' spread (variance about their mean) each direction holds (the two
    orthonormalised, on a random plane); ``coords`` ``(R, S, 2)`` are the recorded
    weights' projections, in units of ``u`` and ``v`` (NaN after a run diverged).
    ``kind`` is ``"pca"`` or ``"random"``; ``around`` the run a random plane is
    centred on (its end point), or -1."""

    centre: Array
    u: Array
    v: Array
    explained: tuple[float, float]
    coords: Array
    kind: str = "pca"
    around: int = -1

    def points(self, a: Array, b: Array) -> Array:
        """The weights at plane coordinates ``(a, b)`` (arrays of one shape) ``(..., N)``."""
        return self.centre + a[..., None] * self.u + b[..., None] * self.v


def pca_plane(tr: Training) -> Plane:
    """The plane of the two principal directions of every run's recorded weights."""
    if tr.weights is None:
        raise ValueError("the weights were not recorded")
    stack = tr.weights.reshape(-1, tr.model.weights)
    good = np.isfinite(stack).all(axis=1)
    pts = stack[good]
    centre = pts.mean(axis=0)
    _, sv, vt = np.linalg.svd(pts - centre, full_matrices=False)
    total = float((sv ** 2).sum()) or 1.0
    u = vt[0] if len(vt) > 0 else np.eye(tr.model.weights)[0]
    v = vt[1] if len(vt) > 1 else np.eye(tr.model.weights)[1]
    share = [float(sv[i] ** 2 / total) if i < len(sv) else 0.0 for i in (0, 1)]
    # a sign that reads the same way every time: the starting weights on the left
    start = tr.weights[0, 0] - centre
    if start @ u > 0:
        u = -u
    if start @ v > 0:
        v = -v
    rel = tr.weights - centre
    coords = np.stack([rel @ u, rel @ v], axis=-1)
    return Plane(centre, u, v, (share[0], share[1]), coords)


def filter_normalised(model: Model, at: Array, rng: np.random.Generator) -> Array:
    """A random Gaussian direction ``(N,)`` scaled filter by filter to the weights
    ``at``: each neuron's incoming weights (a row of its layer's matrix) get the norm
    that row has in ``at``, and the biases get 0 (Li et al.'s ``filter`` norm with
    ``ignore='biasbn'``)."""
    d = rng.standard_normal(model.weights)
    for ws, bs, fan_in, fan_out in model.layers:
        rows = d[ws].reshape(fan_out, fan_in)
        norm = np.linalg.norm(rows, axis=1, keepdims=True)
        target = np.linalg.norm(at[ws].reshape(fan_out, fan_in), axis=1, keepdims=True)
        d[ws] = (rows * (target / np.where(norm > 0, norm, 1.0))).ravel()
        d[bs] = 0.0
    return d


def random_plane(tr: Training, run: int, seed: int = 0) -> Plane:
    """Li et al.'s plane around run ``run``'s end point (its last weights before any
    divergence): two filter-normalised random directions from ``seed``."""
    if tr.weights is None:
        raise ValueError("the weights were not recorded")
    centre = tr.last_weights[run].copy()
    rng = np.random.default_rng(seed)
    u, v = filter_normalised(tr.model, centre, rng), filter_normalised(tr.model, centre, rng)
    basis = np.stack([u, v], axis=1)
    coords = _coordinates(tr.weights - centre, basis)
    stack = tr.weights.reshape(-1, tr.model.weights)
    pts = stack[np.isfinite(stack).all(axis=1)]
    spread = pts - pts.mean(axis=0)
    q, _ = np.linalg.qr(basis)
    total = float((spread ** 2).sum()) or 1.0
    share = ((spread @ q) ** 2).sum(axis=0) / total
    return Plane(centre, u, v, (float(share[0]), float(share[1])), coords, "random", run)


def _coordinates(rel: Array, basis: Array) -> Array:
    """The least-squares coordinates ``(..., 2)`` of the vectors ``rel`` ``(..., N)`` in
    the plane's two directions ``basis`` ``(N, 2)`` (for orthonormal ones, the dot
    products)."""
    return (rel @ basis) @ np.linalg.inv(basis.T @ basis)


def in_plane_share(plane: Plane, tr: Training, run: int) -> float:
    """The share of run ``run``'s way from its starting weights to its last ones
    (the length of that vector) that lies in the plane: 1 when the plane holds it
    whole, near 0 when the way is nearly orthogonal to it."""
    way = tr.last_weights[run] - tr.weights[run, 0]
    length = float(np.linalg.norm(way))
    if length == 0.0:
        return 1.0
    basis = np.stack([plane.u, plane.v], axis=1)
    return float(np.linalg.norm(basis @ _coordinates(way, basis))) / length


RANDOM_SPAN = 1.0
"""A random plane's surface covers at least ``±RANDOM_SPAN`` in each direction (Li et
al.'s range: one filter norm either way)."""


SURFACE_DTYPE = np.float32
"""The loss surface is a picture: its forward passes run in float32, about twice as
fast as float64 (0.62 s against 1.12 s for 60 x 60 points of a 1,082-weight MLP
on 1,000 rows), and the loss is taken from their outputs in float64
(:func:`training_losses`): within 1e-4 of float64's, relatively (1.4e-5 at worst
on the moons, down to a loss of 2e-5: ``tests/test_real_model.py``), far below what
its contour shows (its hover gives log10 of the loss to two decimals). What the page measures (:func:`projected_losses`, the
gaps) and the runs themselves are float64 throughout."""


def surface(plane: Plane, data: Dataset, model: Model, grid: int = GRID, margin: float = 0.25,
            dtype: type = SURFACE_DTYPE) -> tuple[Array, Array, Array]:
    """The training loss over the plane, on ``grid`` x ``grid`` points covering every
    projected path (and, on a random plane, ``±RANDOM_SPAN``) with ``margin`` of its
    span around, computed in ``dtype`` (:data:`SURFACE_DTYPE`): ``(a, b, loss)``,
    ``loss`` ``(grid, grid)`` indexed ``[b, a]``."""
    c = plane.coords[np.isfinite(plane.coords).all(axis=-1)]
    if plane.kind == "random":
        c = np.concatenate([c, [[-RANDOM_SPAN, -RANDOM_SPAN], [RANDOM_SPAN, RANDOM_SPAN]]])
    lo, hi = c.min(axis=0), c.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 1e-3)
    a = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid)
    b = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid)
    aa, bb = np.meshgrid(a, b)
    loss = training_losses(model, plane.points(aa.ravel(), bb.ravel()), data, dtype)
    return a, b, loss.reshape(grid, grid)


CHUNK_NUMBERS = 1_500_000
"""The most numbers in one layer's activations while many weight vectors are
evaluated at once (12 MB: below glibc's mmap threshold, so no page faults)."""


def training_losses(model: Model, w: Array, data: Dataset, dtype: type = np.float64) -> Array:
    """The training loss of each weight vector of ``w`` ``(P, N) -> (P,)``, a few
    vectors at a time, the forward pass in ``dtype`` and the loss from its outputs in
    float64 (a loss near 0 keeps its relative precision: in float32, 1 + a tiny sum
    of exponentials would round to 1), NaN or inf where a vector's loss is not
    finite."""
    loss = np.empty(len(w))
    step = max(1, CHUNK_NUMBERS // (len(data.y_train) * max(model.sizes[1:])))
    x = data.x_train.astype(dtype, copy=False)
    with np.errstate(all="ignore"):
        for i in range(0, len(w), step):
            out, _ = models.forward(model, w[i:i + step].astype(dtype, copy=False), x)
            loss[i:i + step] = models.losses(model, out.astype(np.float64, copy=False),
                                             data.y_train, data.classes)
    return loss


def projected_losses(plane: Plane, tr: Training) -> Array:
    """The training loss at each recorded point's projection on the plane ``(R, S)``
    (NaN where the run had diverged): what the contour says there, to set beside
    the loss the run had (``tr.train_loss[:, tr.weight_epochs]``)."""
    out = np.full(plane.coords.shape[:2], np.nan)
    ok = np.isfinite(plane.coords).all(axis=-1)
    if ok.any():
        a, b = plane.coords[ok][:, 0], plane.coords[ok][:, 1]
        out[ok] = training_losses(tr.model, plane.points(a, b), tr.data)
    return out


def projection_gap(plane: Plane, tr: Training, on_plane: Array | None = None) -> Array:
    """Per run, the largest gap between the training loss the run had at a recorded
    epoch and the loss at that point's projection on the plane ``(R,)`` (NaN for
    a run with nothing recorded); ``on_plane`` is :func:`projected_losses`, if known."""
    if on_plane is None:
        on_plane = projected_losses(plane, tr)
    true = tr.train_loss[:, tr.weight_epochs]
    gaps = np.full(len(tr.specs), np.nan)
    for r in range(len(tr.specs)):
        ok = np.isfinite(plane.coords[r]).all(axis=-1)
        if ok.any():
            gaps[r] = float(np.max(np.abs(on_plane[r, ok] - true[r, ok])))
    return gaps
