"""Forgetting on a real network: train on task A, then on task B, three ways.

The document's forgetting story (the ``ewc`` page shows it on a formula of two
numbers) on a model that learns: one optimizer trains task A; from the weights it
ends with (``θ_A``), three copies train task B on the same minibatches:

- **plainly**, with nothing to remember A by;
- **L2**: the loss gets ``½ λ_L2 Σ (θ − θ_A)²``, every weight pulled back alike;
- **EWC** (Kirkpatrick et al. 2017): the loss gets ``½ λ Σ F (θ − θ_A)²``, each
  weight pulled back by ``F``, the diagonal of the Fisher information at
  ``θ_A`` on A's training rows (:func:`~visualizer.engine.training.models.fisher_diagonal`:
  per-row gradients, the real thing, not the toy's Hessian).

Both tasks' held-out loss and accuracy are recorded every epoch of both phases.
Task B is task A's data with its inputs permuted (:func:`~visualizer.engine.training.datasets.permuted`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from visualizer.engine import RunSpec
from visualizer.engine.fields import Range
from visualizer.engine.training import models
from visualizer.engine.training.datasets import Dataset, permuted
from visualizer.engine.training.loop import Anchor, Training, estimate_seconds, train
from visualizer.engine.training.models import Model

Array = np.ndarray

WAYS = ("plain", "l2", "ewc")
"""The ways task B trains, in the order of the second phase's runs."""
TITLES = {"plain": "Plainly", "l2": "L2 to task A's weights", "ewc": "EWC"}
STRENGTH = Range(0.0, 1e6)
"""The range of EWC's λ and L2's λ."""


@dataclass
class TwoTasks:
    """What :func:`two_tasks` did. ``first`` is task A's training (one run; its
    ``watch_*`` are task B's held-out numbers); ``second`` is task B's, one run per
    way of :data:`WAYS` (its ``watch_*`` are task A's). ``fisher`` is the Fisher's
    diagonal at A's end; ``ewc`` and ``l2`` the strengths used."""

    task_a: Dataset
    task_b: Dataset
    first: Training
    second: Training
    fisher: Array
    ewc: float
    l2: float

    def curve(self, task: str, part: str = "accuracy") -> Array:
        """Task ``task`` (``"a"`` or ``"b"``)'s held-out ``part`` (``"accuracy"`` or
        ``"loss"``) over both phases ``(3, 2 E + 1)``, one row per way: the first
        phase's run is every way's until the switch."""
        own_a, own_b = (f"test_{part}", f"watch_{part}") if task == "a" else \
            (f"watch_{part}", f"test_{part}")
        before = getattr(self.first, own_a)[0]
        after = getattr(self.second, own_b)
        return np.concatenate([np.tile(before, (len(WAYS), 1)), after[:, 1:]], axis=1)


MARGIN = 1.25
""":func:`estimate` over the training's cost model: the penalty's pull on every
update and the Fisher are not in it (without this, the model came to 0.95 to 1.48
times the clock on five settings, one core; with it, at least 1.19)."""


def estimate(data: Dataset, model: Model, epochs: int, batch: int | None) -> float:
    """About how long :func:`two_tasks` takes (at least the time measured): one run on
    A, then three on B, each measuring the other task's held-out rows too."""
    watched = len(data.y_test)
    return MARGIN * (estimate_seconds(data, model, 1, epochs, batch, watched)
                     + estimate_seconds(data, model, len(WAYS), epochs, batch, watched))


def two_tasks(data: Dataset, model: Model, spec: RunSpec, epochs: int, batch: int | None = None,
              seed: int = 0, init_seed: int = 0, ewc: float = 100.0, l2: float = 1.0,
              snapshots: int | None = None,
              progress: Callable[[float], None] = lambda done: None) -> TwoTasks:
    """Task A is ``data``; task B its permuted copy (from ``seed``). ``spec``'s
    optimizer trains A for ``epochs`` epochs from ``model.initial(init_seed)``,
    then B for ``epochs`` more three ways (:data:`WAYS`) from where A ended, each
    phase on minibatches of ``batch`` rows shuffled from ``seed`` (the second phase
    from ``seed + 1``), a fresh optimizer state in each."""
    ewc, l2 = STRENGTH.check("EWC's λ", ewc), STRENGTH.check("L2's λ", l2)
    task_b = permuted(data, seed)
    first = train(data, model, [spec], epochs, batch=batch, seed=seed, init_seed=init_seed,
                  snapshots=snapshots, watch=task_b, progress=lambda done: progress(0.3 * done))
    end_a = first.last_weights[0]
    fisher = models.fisher_diagonal(model, end_a, data.x_train, data.classes)
    importance = np.stack([np.zeros(model.weights), np.full(model.weights, l2), ewc * fisher])
    second = train(task_b, model, [spec] * len(WAYS), epochs, batch=batch, seed=seed + 1,
                   snapshots=snapshots, start=end_a, penalty=Anchor(end_a, importance),
                   watch=data, progress=lambda done: progress(0.3 + 0.7 * done))
    return TwoTasks(data, task_b, first, second, fisher, ewc, l2)
