"""The step inspector: what each optimizer did at one step, with the numbers put in.

:func:`step` reads one step of one run out of an engine :class:`~engine.Result`
recorded with ``record_state=True``: the gradient, the learning rate in force,
the state before and after, the step taken and the parameters. Every number
is the engine's own (nothing is recomputed), so a hand calculation can be
checked against it. :func:`rule_lines` writes the update rule as LaTeX with
those numbers put in, one coordinate at a time; the intermediate quantities it
shows (bias corrections, m-hat) are computed here for display only.
:func:`csv_text` is every step of every run, at full precision.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from visualizer import engine
from visualizer.engine import explain, optimizers
from visualizer.engine.explain import num

SYMBOLS: dict[str, str] = {
    "momentum_buffer": "b", "sum": "s", "square_avg": "v", "acc_delta": "u", "exp_avg": "m",
    "exp_avg_sq": "v", "max_exp_avg_sq": r"v^{\max}", "exp_inf": "u", "exp_avg_var": "s",
}
"""How the formulas write each state field (torch's names)."""
LETTERS: dict[str, str] = {f: "vᵐᵃˣ" if f == "max_exp_avg_sq" else sym for f, sym in SYMBOLS.items()}
"""The same, as plain text."""


@dataclass(frozen=True)
class Step:
    """Step ``t`` of one run (t = 1 is the first update), every array ``(2,)`` (x, y)."""

    optimizer: str
    hypers: dict[str, float]
    t: int
    lr: float
    grad: np.ndarray
    point_before: np.ndarray
    point_after: np.ndarray
    state_before: dict[str, np.ndarray]
    state_after: dict[str, np.ndarray]
    loss_before: float
    loss_after: float

    @property
    def delta(self) -> np.ndarray:
        """The step taken, ``point_after - point_before``."""
        return self.point_after - self.point_before


def last_step(result: engine.Result, run: int) -> int:
    """The last step of a run that has numbers (the diverging step itself included)."""
    d = int(result.diverged_at[run, 0])
    return result.steps if d < 0 else max(d, 1)


def step(result: engine.Result, run: int, t: int) -> Step:
    """Step ``t`` (1..steps) of run ``run`` from its first start.

    Raises ValueError when the state was not recorded or t is out of range.
    """
    if not 1 <= t <= result.steps:
        raise ValueError(f"step must be from 1 to {result.steps}, not {t}")
    spec = result.specs[run]
    fields = optimizers.get(spec.optimizer).state_fields
    states = result.states[run]
    if fields and not states:
        raise ValueError("the run was made without record_state=True")
    before = {f: (states[f][0, t - 2] if t > 1 else np.zeros(2)) for f in fields}
    return Step(
        optimizer=spec.optimizer, hypers=dict(spec.hypers), t=t,
        lr=float(result.lrs[run, t - 1]), grad=result.grads[run, 0, t - 1],
        point_before=result.points[run, 0, t - 1], point_after=result.points[run, 0, t],
        state_before=before, state_after={f: states[f][0, t - 1] for f in fields},
        loss_before=float(result.losses[run, 0, t - 1]), loss_after=float(result.losses[run, 0, t]),
    )


def rule_lines(s: Step, i: int) -> list[str]:
    """The update of coordinate ``i`` (0 = x, 1 = y) as LaTeX lines, numbers put in:
    first the gradient and learning rate, then each quantity in the order the
    optimizer computes it, ending with the new parameter (in bold: the engine's)."""
    a = explain.At(h=dict(s.hypers), t=s.t, lr=s.lr, g=float(s.grad[i]), p0=float(s.point_before[i]),
            p1=float(s.point_after[i]), old={f: float(v[i]) for f, v in s.state_before.items()},
            new={f: float(v[i]) for f, v in s.state_after.items()}, axis="xy"[i])
    head = (rf"g_{{{a.t}}} = \partial f/\partial {a.axis} = \mathbf{{{num(a.g)}}},\quad"
            rf" \eta_{{{a.t}}} = \mathbf{{{num(a.lr)}}}")
    return [head, *optimizers.get(s.optimizer).explain(a)]


# -- Every step as a table -------------------------------------------------------------
def csv_text(result: engine.Result) -> str:
    """Every step of every run (first start): the gradient, lr, state after,
    step and new point, at full precision (``repr``), one row per run and step.

    Columns common to all runs come first; each run fills the state columns of
    its own optimizer (``exp_avg_x`` ...) and leaves the others empty.
    """
    fields = list(dict.fromkeys(f for spec in result.specs
                                for f in optimizers.get(spec.optimizer).state_fields))
    head = ["run", "optimizer", "step", "lr", "x_before", "y_before", "grad_x", "grad_y",
            *(f"{f}_{c}" for f in fields for c in "xy"), "step_x", "step_y", "x", "y", "loss"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    for run, spec in enumerate(result.specs):
        for t in range(1, last_step(result, run) + 1):
            s = step(result, run, t)
            state = [repr(float(s.state_after[f][k])) if f in s.state_after else ""
                     for f in fields for k in (0, 1)]
            writer.writerow([run + 1, spec.optimizer, t, repr(s.lr), *map(_r, s.point_before),
                             *map(_r, s.grad), *state, *map(_r, s.delta), *map(_r, s.point_after),
                             _r(s.loss_after)])
    return out.getvalue()


def _r(value: float) -> str:
    return repr(float(value))
