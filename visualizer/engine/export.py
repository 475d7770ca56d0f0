"""Every CSV and JSON the project writes, for the app's downloads and the command
line alike, with one run numbering: run 0 is the first optimizer (the first
``--optimizer`` flag, the first ticked row), and numbers are written in full
precision (``repr``), empty where there is none.

- :func:`result_to_json`, :func:`result_to_csv`: the paths of a run (``run``'s
  documented formats);
- :func:`steps_csv`: every step of every run with the optimizer's state (the
  step inspector's table); :func:`step` reads one step out of a result;
- :func:`basins_rows`, :func:`sweep_rows`, :func:`map_rows` and
  :func:`table_csv`: the many-run views' tables.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from landscapes.formula import exact
from visualizer import engine
from visualizer.engine import many, optimizers


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
    fields = optimizers.info(spec.optimizer).state_fields
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


def _clean(x: float) -> float | None:
    return x if math.isfinite(x) else None


def result_to_json(result: engine.Result, start: Sequence[float]) -> dict[str, Any]:
    """The documented JSON document: runs in flag order, points trimmed at divergence."""
    runs = []
    for i, spec in enumerate(result.specs):
        points, losses = result.path(i)
        d = int(result.diverged_at[i, 0])
        runs.append({
            "optimizer": spec.optimizer,
            "params": spec.params(),
            "points": points.tolist(),
            "losses": [_clean(v) for v in losses.tolist()],
            "diverged_at": None if d < 0 else d,
        })
    return {
        "landscape": result.landscape.name,
        "start": [float(v) for v in start],
        "steps": result.steps,
        "runs": runs,
    }


CSV_COLUMNS = ("run", "optimizer", "step", "x", "y", "loss", "lr")


def result_to_csv(result: engine.Result) -> str:
    """One row per run and step: run, optimizer, step, x, y, loss, lr (blank at step 0)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i, spec in enumerate(result.specs):
        points, losses = result.path(i)
        lrs = [""] + [repr(v) for v in result.lrs[i].tolist()]
        for t, ((x, y), loss) in enumerate(zip(points.tolist(), losses.tolist(), strict=True)):
            writer.writerow((i, spec.optimizer, t, repr(x), repr(y), repr(loss), lrs[t]))
    return out.getvalue()


BASINS_COLUMNS = ("optimizer", "x0", "y0", "x", "y", "loss", "outcome", "epochs")
SWEEP_COLUMNS = ("optimizer", "lr", "loss", "epochs", "diverged_at")
MAP_COLUMNS = ("optimizer", "lr", "momentum", "loss", "outcome", "epochs", "diverged_at")


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def basins_rows(bm: many.BasinMap) -> list[dict]:
    """One row per optimizer and start (the grid row by row, x fastest)."""
    r, starts, rows = bm.result, bm.starts(), []
    for s, spec in enumerate(bm.specs):
        for k, (x0, y0) in enumerate(starts):
            e = int(r.epochs[s, k])
            rows.append({"optimizer": spec.optimizer, "x0": float(x0), "y0": float(y0),
                         "x": _num(r.final[s, k, 0]), "y": _num(r.final[s, k, 1]),
                         "loss": _num(r.loss[s, k]), "outcome": many.outcome_name(r.outcome[s, k]),
                         "epochs": e if e >= 0 else None})
    return rows


def sweep_rows(sw: many.Sweep) -> list[dict]:
    """One row per optimizer and learning rate."""
    r, rows, n = sw.result, [], len(sw.lrs)
    for o, spec in enumerate(sw.specs):
        for j, lr in enumerate(sw.lrs):
            i = o * n + j
            e, d = int(r.epochs[i, 0]), int(r.diverged_at[i, 0])
            rows.append({"optimizer": spec.optimizer, "lr": float(lr), "loss": _num(r.loss[i, 0]),
                         "epochs": e if e >= 0 else None, "diverged_at": d if d >= 0 else None})
    return rows


def map_rows(mm: many.MomentumMap) -> list[dict]:
    """One row per (momentum, lr) cell."""
    r, rows, n = mm.result, [], len(mm.lrs)
    for b, beta in enumerate(mm.betas):
        for j, lr in enumerate(mm.lrs):
            i = b * n + j
            e, d = int(r.epochs[i, 0]), int(r.diverged_at[i, 0])
            rows.append({"optimizer": mm.optimizer, "lr": float(lr), "momentum": float(beta),
                         "loss": _num(r.loss[i, 0]), "outcome": many.outcome_name(r.outcome[i, 0]),
                         "epochs": e if e >= 0 else None, "diverged_at": d if d >= 0 else None})
    return rows


def table_csv(columns: Sequence[str], rows: list[dict]) -> str:
    """Rows as CSV: numbers in full precision (``repr``), empty where there is none."""
    def cell(v: object) -> str:
        return "" if v is None else repr(v) if isinstance(v, float) else str(v)
    lines = [",".join(columns)] + [",".join(cell(row[c]) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def steps_csv(result: engine.Result) -> str:
    """Every step of every run (first start): the gradient, lr, state after,
    step and new point, at full precision (``repr``), one row per run and step.

    Columns common to all runs come first; each run fills the state columns of
    its own optimizer (``exp_avg_x`` ...) and leaves the others empty.
    """
    fields = list(dict.fromkeys(f for spec in result.specs
                                for f in optimizers.info(spec.optimizer).state_fields))
    head = ["run", "optimizer", "step", "lr", "x_before", "y_before", "grad_x", "grad_y",
            *(f"{f}_{c}" for f in fields for c in "xy"), "step_x", "step_y", "x", "y", "loss"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    for run, spec in enumerate(result.specs):
        for t in range(1, last_step(result, run) + 1):
            s = step(result, run, t)
            state = [exact(s.state_after[f][k]) if f in s.state_after else ""
                     for f in fields for k in (0, 1)]
            writer.writerow([run, spec.optimizer, t, exact(s.lr), *map(exact, s.point_before),
                             *map(exact, s.grad), *state, *map(exact, s.delta), *map(exact, s.point_after),
                             exact(s.loss_after)])
    return out.getvalue()
