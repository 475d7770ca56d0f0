"""Training: every chosen optimizer trains the same model, from the same starting
weights, on the same minibatches, and each epoch's losses, accuracies and
weights are recorded.

The optimizers are the race's: each :class:`~visualizer.engine.RunSpec` (learning
rate, decay, schedule, hyperparameters) builds its registry entry's rule, which
updates the whole weight vector element by element. The learning rate in force
at update t is ``spec.learning_rates(updates)[t - 1]``: the decay and the
schedule step once per update, as on the race (where an epoch is one update).

Minibatches are real sampling: at the start of every epoch the training rows are
shuffled by ``numpy.random.default_rng(seed)`` (one permutation per epoch, the
same for every optimizer) and cut into batches of ``batch`` rows, the last one
shorter if the rows do not divide (torch's ``DataLoader`` with ``shuffle`` and
``drop_last=False``). A full batch takes the rows in order, unshuffled.

A run may start from given weights (``start``: a second task starts where the first
ended) and may be pulled towards fixed weights by a quadratic ``penalty``
(:class:`Anchor`: L2 towards them, or EWC's Fisher-weighted pull); the
recorded losses are the data's alone, without the penalty. A second data set
may be ``watch``-ed: its held-out loss and accuracy are recorded every epoch
too (how well a first task is remembered while a second one trains).

Divergence is data, as on the race: a run whose training loss stops being finite,
or one of whose weights passes :data:`WEIGHT_BOUND` (the race's runs leave a
generous bound around the map), is marked at that epoch and its later values are
NaN.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from visualizer.engine import BudgetError, RunSpec, optimizers
from visualizer.engine.fields import Range
from visualizer.engine.loop import keep_freed_memory
from visualizer.engine.training import models
from visualizer.engine.training.datasets import Dataset
from visualizer.engine.training.models import Model

Array = np.ndarray

EPOCHS = Range(1, 10_000, whole=True)
BATCH = Range(1, 100_000, whole=True)
MAX_RECORD = 20_000_000
"""The most numbers of recorded weights (runs x (epochs + 1) x weights): bounds memory."""
WEIGHT_BOUND = 1e6
"""A run with a weight larger than this in size has diverged (a tanh network's loss
stays finite however far its weights run, so not being finite is not enough)."""


@dataclass
class Training:
    """Every run of one call. Arrays are indexed ``[run, epoch]``, epoch 0 being the
    starting weights.

    Attributes:
        train_loss, test_loss: ``(R, epochs + 1)``, the mean loss over all the
            training (held-out) rows with the weights at the end of each epoch.
        train_accuracy, test_accuracy: the same for the share classified right
            (None for regression).
        weights: ``(R, len(weight_epochs), N)``, the weights at the epochs
            ``weight_epochs`` (every epoch unless fewer snapshots were asked for;
            None when not recorded).
        last_weights: ``(R, N)``, each run's weights at its last epoch before any
            divergence (recorded or not).
        lrs: ``(R, updates)``, the learning rate of every update.
        watch_loss, watch_accuracy: the held-out loss and accuracy on the watched
            data set (None when none was watched, or for regression).
        diverged_at: ``(R,)``, the first epoch whose training loss was not finite
            or whose weights passed :data:`WEIGHT_BOUND`, or -1; from there on
            values are NaN.
    """

    data: Dataset
    model: Model
    specs: list[RunSpec]
    epochs: int
    batch: int
    seed: int
    init_seed: int
    train_loss: Array
    test_loss: Array
    train_accuracy: Array | None
    test_accuracy: Array | None
    weights: Array | None
    weight_epochs: Array
    last_weights: Array
    lrs: Array
    diverged_at: Array
    watch_loss: Array | None = None
    watch_accuracy: Array | None = None

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.batch)


@dataclass(frozen=True)
class Anchor:
    """A quadratic pull towards ``centre`` ``(N,)``: each run's loss gets
    ``½ Σ importance[r] (w − centre)²`` and its gradient ``importance[r] (w − centre)``,
    ``importance`` ``(R, N)``: zeros for no pull, ``λ`` everywhere for L2 towards the
    centre, ``λ F`` for EWC (``F`` the Fisher's diagonal at the centre)."""

    centre: Array
    importance: Array

    def gradient(self, w: Array) -> Array:
        return self.importance * (w - self.centre)


def epoch_orders(seed: int, rows: int, batch: int) -> Iterator[Array]:
    """The training rows in the order the minibatches take them, one epoch after
    another: a fresh permutation each epoch from ``seed``; in order when one batch
    holds them all. (:func:`train` draws them as it goes.)"""
    if batch >= rows:
        in_order = np.arange(rows)
        while True:
            yield in_order
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(rows)


def batch_order(seed: int, rows: int, epochs: int, batch: int) -> Array:
    """:func:`epoch_orders`' first ``epochs`` orders, ``(epochs, rows)`` (the torch
    reference takes its minibatches from these)."""
    return np.stack(list(itertools.islice(epoch_orders(seed, rows, batch), epochs)))


ROW_WEIGHT_SECONDS = 0.45e-9
ROW_UNIT_SECONDS = 8e-9
UPDATE_SECONDS = (60e-6, 25e-6)
EPOCH_SECONDS = 300e-6
"""The cost model of :func:`train` (``benchmarks/bench_training.py`` prints it beside
the clock): per row (training and held-out), run and epoch, a part per weight and a
part per unit (hidden and output: the activations); per update, a fixed part and a
part per run; per epoch, the measuring. Measured on 2 cores, rounded up."""


def estimate_seconds(data: Dataset, model: Model, n_runs: int, epochs: int,
                     batch: int | None, watch_rows: int = 0) -> float:
    """About how long :func:`train` takes (at least the time measured), with
    ``watch_rows`` held-out rows of a watched data set measured each epoch too."""
    rows = len(data.y_train)
    updates = math.ceil(rows / (rows if batch is None else min(max(1, batch), rows)))
    units = sum(model.sizes[1:])
    per_row = model.weights * ROW_WEIGHT_SECONDS + units * ROW_UNIT_SECONDS
    all_rows = rows + len(data.y_test) + watch_rows
    fixed, per_run = UPDATE_SECONDS
    return epochs * (all_rows * n_runs * per_row + updates * (fixed + n_runs * per_run)
                     + EPOCH_SECONDS)


def forward_seconds(model: Model, vectors: int, rows: int, share: float = 0.5) -> float:
    """About how long a forward pass of ``vectors`` weight vectors over ``rows`` rows
    takes: ``share`` of the training's per-row cost (forward and backward; a forward
    pass measured 0.4 of it)."""
    units = sum(model.sizes[1:])
    return share * vectors * rows * (model.weights * ROW_WEIGHT_SECONDS + units * ROW_UNIT_SECONDS)


def check_budget(data: Dataset, model: Model, n_runs: int, epochs: int, batch: int | None,
                 budget: float, unit: str = "one request") -> None:
    """``BudgetError`` saying what to lower when :func:`estimate_seconds` passes ``budget``."""
    seconds = estimate_seconds(data, model, n_runs, epochs, batch)
    if seconds <= budget:
        return
    fit = int(budget / (seconds / epochs))
    lower = f"lower the epochs to at most {fit:,}" if fit >= 1 else "lower the epochs"
    raise BudgetError(
        f"Too much work for {unit}: {epochs:,} epochs x {n_runs} optimizer"
        f"{'s' if n_runs > 1 else ''} on {len(data.y_train):,} rows with a model of "
        f"{model.weights:,} weights would take about {seconds:.1f} s, over the {budget:g} s "
        f"allowed; {lower}, or use a larger batch, fewer optimizers, fewer rows or a smaller "
        "model.")


def snapshot_epochs(epochs: int, snapshots: int) -> Array:
    """``snapshots`` epochs (at least 2) spread evenly over 0 .. ``epochs``, both ends in."""
    return np.unique(np.linspace(0, epochs, max(2, min(snapshots, epochs + 1))).round().astype(int))


def check_record(n_runs: int, epochs: int, model: Model) -> None:
    """ValueError when recording every epoch's weights would pass :data:`MAX_RECORD`."""
    numbers = n_runs * (epochs + 1) * model.weights
    if numbers > MAX_RECORD:
        raise ValueError(
            f"Too much to record: {n_runs} runs x {epochs + 1:,} epochs x {model.weights:,} "
            f"weights is {numbers:,} numbers, over {MAX_RECORD:,}; lower the epochs, the "
            "optimizers or the model's size.")


def train(data: Dataset, model: Model, specs: Sequence[RunSpec], epochs: int,
          batch: int | None = None, seed: int = 0, init_seed: int = 0,
          record_weights: bool = True, snapshots: int | None = None,
          progress: Callable[[float], None] = lambda done: None, start: Array | None = None,
          penalty: Anchor | None = None, watch: Dataset | None = None) -> Training:
    """Train ``model`` on ``data`` with every run of ``specs`` for ``epochs`` epochs
    of minibatches of ``batch`` rows (None: the full batch), shuffled from ``seed``,
    all runs from the weights ``model.initial(init_seed)`` (or ``start``, ``(N,)``
    or one row per run). The weights are recorded at every epoch, or at
    ``snapshots`` epochs spread evenly from the first to the last (a page keeps
    those), or not at all. ``penalty`` adds its pull to every gradient; ``watch``'s
    held-out rows are measured each epoch too (see the module's note).
    ``progress`` is told the share done now and then."""
    specs = list(specs)
    if not specs:
        raise ValueError("choose at least one optimizer")
    epochs = int(EPOCHS.check("epochs", epochs))
    rows = len(data.y_train)
    batch = rows if batch is None else min(int(BATCH.check("batch", batch)), rows)
    kept = np.arange(epochs + 1) if snapshots is None else snapshot_epochs(epochs, snapshots)
    if record_weights:
        check_record(len(specs), len(kept) - 1, model)
    per_epoch = math.ceil(rows / batch)
    updates = epochs * per_epoch
    first = model.initial(init_seed) if start is None else np.asarray(start, dtype=float)
    w = np.array(np.broadcast_to(first, (len(specs), model.weights)))
    opts = [optimizers.info(s.optimizer).build(**s.hypers) for s in specs]
    states = [opt.init(w[r]) for r, opt in enumerate(opts)]
    lrs = np.stack([s.learning_rates(updates) for s in specs])
    orders = epoch_orders(seed, rows, batch)
    n_runs = len(specs)
    shape = (n_runs, epochs + 1)
    train_loss, test_loss = np.empty(shape), np.empty(shape)
    train_acc = None if data.regression else np.empty(shape)
    test_acc = None if data.regression else np.empty(shape)
    watch_loss = None if watch is None else np.empty(shape)
    watch_acc = None if watch is None or watch.regression else np.empty(shape)
    weights = np.empty((n_runs, len(kept), model.weights)) if record_weights else None
    slot = np.full(epochs + 1, -1)
    slot[kept] = np.arange(len(kept))
    diverged_at = np.full(n_runs, -1)
    last = w.copy()
    x, y = data.x_train, data.y_train

    def measure(e: int, out: Array | None = None) -> None:
        """Epoch ``e``'s numbers from the weights now (``out``: their outputs on the
        training rows in order, when the full batch's update has them already)."""
        if out is None:
            out = models.forward(model, w, x)[0]
        measured = [(out, x, y, train_loss, train_acc),
                    (None, data.x_test, data.y_test, test_loss, test_acc)]
        if watch is not None:
            measured.append((None, watch.x_test, watch.y_test, watch_loss, watch_acc))
        for outs, xs, ys, loss, acc in measured:
            if outs is None:
                outs = models.forward(model, w, xs)[0]
            loss[:, e] = models.losses(model, outs, ys, data.classes)
            if acc is not None:
                acc[:, e] = models.accuracy(outs, ys)
        fine = np.isfinite(train_loss[:, e]) & (np.abs(w) <= WEIGHT_BOUND).all(axis=1)
        bad = ~fine & (diverged_at < 0)
        diverged_at[bad] = e
        last[diverged_at < 0] = w[diverged_at < 0]
        for r in np.nonzero(diverged_at >= 0)[0]:
            w[r] = np.nan
            for a in (train_loss, test_loss, train_acc, test_acc, watch_loss, watch_acc):
                if a is not None:
                    a[r, e] = np.nan
        if weights is not None and slot[e] >= 0:
            weights[:, slot[e]] = w

    full = batch == rows  # one update per epoch, on every row in order: its outputs are epoch e's
    keep_freed_memory()
    t = 0
    with np.errstate(all="ignore"):
        if not full:
            measure(0)
        for e in range(epochs):
            progress(e / epochs)
            order = next(orders)
            for j in range(per_epoch):
                rows_j = order[j * batch:(j + 1) * batch]
                xb, yb = (x, y) if full else (x[rows_j], y[rows_j])
                _, g, out = models.loss_and_grad(model, w, xb, yb, data.classes)
                if penalty is not None:
                    g += penalty.gradient(w)
                if full:
                    measure(e, out)
                for r, opt in enumerate(opts):
                    if diverged_at[r] < 0:
                        w[r], states[r] = opt.update(g[r], states[r], w[r], lrs[r, t])
                t += 1
            if not full:
                measure(e + 1)
        if full:
            measure(epochs)
    return Training(data, model, specs, epochs, batch, seed, init_seed, train_loss, test_loss,
                    train_acc, test_acc, weights, kept, last, lrs, diverged_at, watch_loss,
                    watch_acc)
