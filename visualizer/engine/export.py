"""Every CSV and JSON the project writes, for the app's downloads and the command
line alike, with one run numbering: run 0 is the first optimizer (the first
``--optimizer`` flag, the first ticked row), and numbers are written in full
precision (``repr``), empty where there is none.

- :func:`result_to_json`, :func:`result_to_csv`: the paths of a run (``run``'s
  documented formats);
- :func:`steps_csv`: every step of every run with the optimizer's state (the
  step inspector's table); :func:`step` reads one step out of a result;
- :func:`basins_rows`, :func:`sweep_rows`, :func:`map_rows` and
  :func:`table_csv`: the many-run views' tables;
- :func:`training_to_json`, :func:`training_rows`: a training's epochs (``train``'s
  documented formats); :func:`tasks_table`: two tasks' epochs (the real-model
  page's forgetting mode).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from landscapes.number_text import exact
from visualizer import engine
from visualizer.engine import many, optimizers, training


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
CHUNK_ROWS = 20_000
"""Rows per piece of a CSV written in pieces."""
TABLE_ROW_SECONDS = 6e-6
"""What writing one row of a many-run view's table costs (measured: 4.2 us)."""
STEP_ROW_SECONDS = 25e-6
"""What writing one row of the step inspector's table costs (measured: 18 us)."""
PATH_ROW_SECONDS = 4e-6
"""What writing one row of a run's path (``result_to_csv``, JSON alike) costs."""


def download_fits(rows: int, row_seconds: float, budget: float) -> bool:
    """Whether writing ``rows`` rows (``row_seconds`` each) takes at most ``budget`` seconds."""
    return rows * row_seconds <= budget


def check_download(rows: int, row_seconds: float, budget: float, lower: str,
                   unit: str = "a request") -> None:
    """``BudgetError`` (saying what to lower) if writing ``rows`` rows would take
    over ``budget`` seconds, the time ``unit`` ("a request", "one background job")
    that writes the download may take."""
    seconds = rows * row_seconds
    if not download_fits(rows, row_seconds, budget):
        raise engine.BudgetError(
            f"Too large to download from the page: {rows:,} rows would take about "
            f"{seconds:.1f} s to write, over the {budget:g} s {unit} may take; {lower}, "
            "or write it with the command line (python -m visualizer --help).")

Table = dict[str, np.ndarray]
"""A view's table by column: text, floats (NaN: none) or whole numbers (-1: none)."""


def _outcome_names(codes: np.ndarray) -> np.ndarray:
    flat = codes.ravel()
    names = {int(c): many.outcome_name(int(c)) for c in np.unique(flat)}
    return np.array([names[int(c)] for c in flat.tolist()], dtype=object)


def basins_table(bm: many.BasinMap) -> Table:
    """One row per optimizer and start (the grid row by row, x fastest)."""
    r, starts = bm.result, bm.starts()
    n_starts = len(starts)
    return {"optimizer": np.repeat(np.array([s.optimizer for s in bm.specs], dtype=object), n_starts),
            "x0": np.tile(starts[:, 0], len(bm.specs)), "y0": np.tile(starts[:, 1], len(bm.specs)),
            "x": r.final[..., 0].ravel(), "y": r.final[..., 1].ravel(), "loss": r.loss.ravel(),
            "outcome": _outcome_names(r.outcome), "epochs": r.epochs.ravel()}


def sweep_table(sw: many.Sweep) -> Table:
    """One row per optimizer and learning rate."""
    r, n = sw.result, len(sw.lrs)
    return {"optimizer": np.repeat(np.array([s.optimizer for s in sw.specs], dtype=object), n),
            "lr": np.tile(np.asarray(sw.lrs, dtype=float), len(sw.specs)),
            "loss": r.loss[:, 0], "epochs": r.epochs[:, 0], "diverged_at": r.diverged_at[:, 0]}


def map_table(mm: many.MomentumMap) -> Table:
    """One row per (momentum, lr) cell."""
    r, n_lrs, n_betas = mm.result, len(mm.lrs), len(mm.betas)
    return {"optimizer": np.full(n_lrs * n_betas, mm.optimizer, dtype=object),
            "lr": np.tile(np.asarray(mm.lrs, dtype=float), n_betas),
            "momentum": np.repeat(np.asarray(mm.betas, dtype=float), n_lrs),
            "loss": r.loss[:, 0], "outcome": _outcome_names(r.outcome[:, 0]),
            "epochs": r.epochs[:, 0], "diverged_at": r.diverged_at[:, 0]}


def _cells(values: np.ndarray) -> list:
    """A column's values as Python values, None where there is none."""
    if values.dtype.kind == "f":
        return [v if math.isfinite(v) else None for v in values.tolist()]
    if values.dtype.kind in "iu":
        return [v if v >= 0 else None for v in values.tolist()]
    return values.tolist()


def table_rows(table: Table) -> list[dict]:
    """A table as one dict per row (the command line's JSON); None where there is none."""
    columns = {name: _cells(values) for name, values in table.items()}
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def basins_rows(bm: many.BasinMap) -> list[dict]:
    return table_rows(basins_table(bm))


def sweep_rows(sw: many.Sweep) -> list[dict]:
    return table_rows(sweep_table(sw))


def map_rows(mm: many.MomentumMap) -> list[dict]:
    return table_rows(map_table(mm))


TRAINING_COLUMNS = ("run", "optimizer", "epoch", "train_loss", "test_loss", "train_accuracy",
                    "test_accuracy")


def _epochs(tr: training.Training, run: int) -> int:
    """How many epochs of a run have numbers: 0 .. its divergence (not included)."""
    d = int(tr.diverged_at[run])
    return tr.epochs + 1 if d < 0 else d


def training_table(tr: training.Training) -> Table:
    """One row per run and epoch (epoch 0: the starting weights), up to divergence;
    the accuracies empty for regression."""
    keep = [np.arange(_epochs(tr, i)) for i in range(len(tr.specs))]
    runs = np.concatenate([np.full(len(k), i) for i, k in enumerate(keep)])
    epochs = np.concatenate(keep)
    none = np.full(len(runs), np.nan)
    return {
        "run": runs, "optimizer": np.array([tr.specs[i].optimizer for i in runs], dtype=object),
        "epoch": epochs, "train_loss": tr.train_loss[runs, epochs],
        "test_loss": tr.test_loss[runs, epochs],
        "train_accuracy": none if tr.train_accuracy is None else tr.train_accuracy[runs, epochs],
        "test_accuracy": none if tr.test_accuracy is None else tr.test_accuracy[runs, epochs],
    }


TASKS_COLUMNS = ("way", "epoch", "phase", "task_a_loss", "task_a_accuracy", "task_b_loss",
                 "task_b_accuracy")


def tasks_table(result: training.TwoTasks) -> Table:
    """One row per way (plain, l2, ewc) and epoch of both phases (0 .. 2 E; task A's
    phase is every way's until the switch): both tasks' held-out loss and accuracy."""
    curves = {f"task_{t}_{part}": result.curve(t, part)
              for t in ("a", "b") for part in ("loss", "accuracy")}
    steps = curves["task_a_loss"].shape[1]
    names = training.tasks.WAYS
    ways = np.repeat(np.arange(len(names)), steps)
    epochs = np.tile(np.arange(steps), len(names))
    return {"way": np.array([names[w] for w in ways], dtype=object), "epoch": epochs,
            "phase": np.where(epochs <= result.first.epochs, "a", "b").astype(object),
            **{k: v[ways, epochs] for k, v in curves.items()}}


def training_rows(tr: training.Training) -> list[dict]:
    return table_rows(training_table(tr))


def training_to_json(tr: training.Training) -> dict[str, Any]:
    """The documented JSON of ``train``: the data set and model as set, then each run
    in flag order with its per-epoch curves (trimmed at divergence) and its last
    weights (in the model's order: each layer's weights row by row, then its bias)."""
    data = tr.data
    curves = {"train_loss": tr.train_loss, "test_loss": tr.test_loss,
              "train_accuracy": tr.train_accuracy, "test_accuracy": tr.test_accuracy}
    runs = []
    for i, spec in enumerate(tr.specs):
        n = _epochs(tr, i)
        d = int(tr.diverged_at[i])
        run: dict[str, Any] = {"optimizer": spec.optimizer, "params": spec.params()}
        run.update({k: None if v is None else v[i, :n].tolist() for k, v in curves.items()})
        run["weights"] = tr.last_weights[i].tolist()
        run["diverged_at"] = None if d < 0 else d
        runs.append(run)
    return {
        "data": {"name": data.name, **dict(data.settings), "train_rows": len(data.y_train),
                 "test_rows": len(data.y_test), "features": data.features, "classes": data.classes},
        "model": {"model": tr.model.text(), "activation": tr.model.activation,
                  "weights": tr.model.weights},
        "epochs": tr.epochs, "batch": tr.batch, "seed": tr.seed, "init_seed": tr.init_seed,
        "runs": runs,
    }


def _cell(v: object) -> str:
    return "" if v is None else repr(v) if isinstance(v, float) else str(v)


def table_csv(columns: Sequence[str], rows: list[dict]) -> str:
    """Rows as CSV: numbers in full precision (``repr``), empty where there is none."""
    lines = [",".join(columns)] + [",".join(_cell(row[c]) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def table_chunks(columns: Sequence[str], table: Table) -> Iterator[str]:
    """:func:`table_csv` of a table, in pieces of :data:`CHUNK_ROWS` rows: the same
    text, never the whole of it (nor a dict per row) in memory at once."""
    yield ",".join(columns) + "\n"
    n = len(table[columns[0]])
    for lo in range(0, n, CHUNK_ROWS):
        cols = [[_cell(v) for v in _cells(table[c][lo:lo + CHUNK_ROWS])] for c in columns]
        yield "".join(",".join(row) + "\n" for row in zip(*cols, strict=True))


def steps_chunks(result: engine.Result) -> Iterator[str]:
    """Every step of every run (first start): the gradient, lr, state after,
    step and new point, at full precision (the shortest exact form), one row per
    run and step, in pieces of :data:`CHUNK_ROWS` rows.

    Columns common to all runs come first; each run fills the state columns of
    its own optimizer (``exp_avg_x`` ...) and leaves the others empty.
    """
    fields = list(dict.fromkeys(f for spec in result.specs
                                for f in optimizers.info(spec.optimizer).state_fields))
    head = ["run", "optimizer", "step", "lr", "x_before", "y_before", "grad_x", "grad_y",
            *(f"{f}_{c}" for f in fields for c in "xy"), "step_x", "step_y", "x", "y", "loss"]
    yield ",".join(head) + "\n"
    for run, spec in enumerate(result.specs):
        own = optimizers.info(spec.optimizer).state_fields
        states = result.states[run]
        if own and not states:
            raise ValueError("the run was made without record_state=True")
        last = last_step(result, run)
        # where each column comes from in a row of numbers (None: another optimizer's state)
        slots: list[int | None] = list(range(5))  # lr, x, y before, the gradient
        k = 5
        for f in fields:
            slots += [k, k + 1] if f in own else [None, None]
            k += 2 if f in own else 0
        slots += list(range(k, k + 5))  # the step, the point after, the loss
        for lo in range(1, last + 1, CHUNK_ROWS):
            t = np.arange(lo, min(last, lo + CHUNK_ROWS - 1) + 1)
            before, after = result.points[run, 0, t - 1], result.points[run, 0, t]
            numbers = [result.lrs[run, t - 1][:, None], before, result.grads[run, 0, t - 1]]
            numbers += [states[f][0, t - 1] for f in fields if f in own]
            numbers += [after - before, after, result.losses[run, 0, t][:, None]]
            table = np.concatenate(numbers, axis=1).tolist()
            yield "".join(f"{run},{spec.optimizer},{step}," + ",".join(
                "" if k is None else exact(row[k]) for k in slots) + "\n"
                for step, row in zip(t.tolist(), table, strict=True))


def steps_csv(result: engine.Result) -> str:
    """:func:`steps_chunks` as one text."""
    return "".join(steps_chunks(result))
