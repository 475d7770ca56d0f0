"""Worked example: SGD with momentum on a small regression, every number shown.

The model is ``y_hat = w1 x1^2 + w2 x2^2 + w3 x1 x2 + b``, trained on batches
of two rows taken in order (rows 1-2, 3-4, ..., wrapping around) with the loss
``L = 1/2 * sum over the batch of (y_hat - y)^2``, so that
``dL/dw1 = sum of (y_hat - y) * x1^2`` (and likewise for w2, w3; ``dL/db`` is
the sum of the residuals). Momentum is torch's: ``v = beta v + g``,
``theta = theta - lr v``, applied with the engine's own rule
(:func:`visualizer.optimizers._heavy_ball_rule`), so the numbers here are the
app's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np

from visualizer.optimizers import _heavy_ball_rule
from visualizer.scene import query_params

PARAMS = ("w1", "w2", "w3", "b")
DEFAULT_DATA: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.5, 2.0),
    (-0.5, 1.0, 0.5),
    (0.8, -0.6, 1.5),
    (-1.0, -0.4, 1.8),
    (0.2, 0.9, 0.1),
    (0.6, 0.3, 1.2),
)
DEFAULT_WEIGHTS = (1.0, -1.0, -1.0, 1.0)
DEFAULT_LR = 0.1
DEFAULT_BETA = 0.9
DEFAULT_STEPS = 4
MAX_STEPS = 50
MAX_ROWS = 40
BATCH = 2


def features(x1: float, x2: float) -> tuple[float, float, float, float]:
    """What each parameter multiplies: (x1^2, x2^2, x1 x2, 1)."""
    return (x1 * x1, x2 * x2, x1 * x2, 1.0)


@dataclass(frozen=True)
class Step:
    """One step, as a student writes it down."""

    number: int  # 1, 2, ...
    rows: tuple[int, ...]  # 0-based indices of the batch's data rows
    params_before: tuple[float, ...]
    predictions: tuple[float, ...]  # y_hat per batch row
    residuals: tuple[float, ...]  # y_hat - y per batch row
    loss: float
    grad: tuple[float, ...]  # dL/dw1, dL/dw2, dL/dw3, dL/db
    velocity: tuple[float, ...]  # v after this step
    params_after: tuple[float, ...]


def run(data, weights=DEFAULT_WEIGHTS, lr: float = DEFAULT_LR, beta: float = DEFAULT_BETA,
        steps: int = DEFAULT_STEPS) -> list[Step]:
    """Every step of momentum SGD on ``data`` (rows of x1, x2, y)."""
    data = [tuple(map(float, row)) for row in data]
    params = np.array(weights, dtype=float)
    velocity = np.zeros(4)
    out = []
    for k in range(steps):
        rows = tuple((BATCH * k + j) % len(data) for j in range(BATCH))
        preds, residuals = [], []
        grad = np.zeros(4)
        for i in rows:
            x1, x2, y = data[i]
            phi = np.array(features(x1, x2))
            y_hat = float(np.dot(params, phi))
            preds.append(y_hat)
            residuals.append(y_hat - y)
            grad = grad + (y_hat - y) * phi
        loss = 0.5 * sum(r * r for r in residuals)
        new_params, velocity = _heavy_ball_rule(grad, params, velocity, (lr, beta))
        out.append(Step(k + 1, rows, tuple(params.tolist()), tuple(preds), tuple(residuals),
                        loss, tuple(grad.tolist()), tuple(velocity.tolist()),
                        tuple(new_params.tolist())))
        params = new_params
    return out


def _number(text: str, what: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise ValueError(f"{what}: {str(text).strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what}: must be a finite number")
    return value


def parse_data(text: str) -> list[tuple[float, float, float]]:
    """Rows ``x1, x2, y``, one per line; blank lines are skipped."""
    rows = []
    for n, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace(";", ",").split(",")
        if len(parts) != 3:
            raise ValueError(f"line {n}: expected three numbers x1, x2, y")
        rows.append(tuple(_number(p, f"line {n}") for p in parts))
    if len(rows) < BATCH:
        raise ValueError(f"give at least {BATCH} rows (a batch is {BATCH} rows)")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS} rows")
    return rows


def parse_weights(text: str) -> tuple[float, ...]:
    parts = str(text or "").split(",")
    if len(parts) != 4:
        raise ValueError("give four numbers: w1, w2, w3, b")
    return tuple(_number(p, "initial parameters") for p in parts)


def parse_settings(lr: str, beta: str, steps: str) -> tuple[float, float, int]:
    """lr in (0, 10], beta in [0, 1), 1..MAX_STEPS steps; ValueError otherwise."""
    lr_value = _number(lr, "learning rate")
    if not 0.0 < lr_value <= 10.0:
        raise ValueError("learning rate: must be in (0, 10]")
    beta_value = _number(beta, "momentum β")
    if not 0.0 <= beta_value < 1.0:
        raise ValueError("momentum β: must be in [0, 1)")
    n = _number(steps, "steps")
    if n != int(n) or not 1 <= n <= MAX_STEPS:
        raise ValueError(f"steps: a whole number from 1 to {MAX_STEPS}")
    return lr_value, beta_value, int(n)


def data_text(data) -> str:
    return "\n".join(", ".join(f"{v:g}" for v in row) for row in data)


def fmt(value: float) -> str:
    """Enough digits to check by hand; the CSV has them all."""
    return f"{value:.6g}"


CSV_HEADER = "step,rows,param,before,grad,velocity,after"


def csv_text(steps: list[Step]) -> str:
    """One line per step and parameter, full precision (repr)."""
    lines = [CSV_HEADER]
    for s in steps:
        rows = " ".join(str(i + 1) for i in s.rows)
        for j, name in enumerate(PARAMS):
            lines.append(f"{s.number},{rows},{name},{s.params_before[j]!r},{s.grad[j]!r},"
                         f"{s.velocity[j]!r},{s.params_after[j]!r}")
    return "\n".join(lines) + "\n"


def to_query(data_text_: str, weights: str, lr: str, beta: str, steps: str) -> str:
    """The link of the worked example's boxes (rows of data joined by ``;``)."""
    rows = ";".join(line.strip() for line in str(data_text_ or "").splitlines() if line.strip())
    return "?" + urlencode([("page", "worked"), ("data", rows), ("w", weights or ""),
                            ("lr", lr or ""), ("beta", beta or ""), ("steps", steps or "")],
                           safe=":,;")


def from_query(query: str) -> tuple[str, str, str, str, str]:
    """The boxes' text from a link (the defaults where a part is absent); the
    boxes check it as if typed."""
    p = query_params(query)
    return (p["data"].replace(";", "\n") if "data" in p else data_text(DEFAULT_DATA),
            p.get("w", ", ".join(f"{v:g}" for v in DEFAULT_WEIGHTS)),
            p.get("lr", f"{DEFAULT_LR:g}"), p.get("beta", f"{DEFAULT_BETA:g}"),
            p.get("steps", str(DEFAULT_STEPS)))
