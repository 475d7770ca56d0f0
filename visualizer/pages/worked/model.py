"""Momentum by hand, the model: the regression's steps worked out with the engine's
own momentum rule, "check my work"'s marking (right, wrong, or following from an
earlier slip), the boxes' parsing and the page's link. No Dash here."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import export, optimizers
from visualizer.engine.fields import FieldError
from visualizer.ui.text import parse_lr, query_params, write_query

Array = np.ndarray


PARAMS = ("w1", "w2", "w3", "b")


# The homework document's four rows. It prints no data table: the rows are read from its
# arithmetic (step 1's predictions and gradients use rows 1-2, step 2's rows 3-4).
DEFAULT_DATA: tuple[tuple[float, float, float], ...] = (
    (1.0, -1.0, 10.0),
    (2.0, 0.0, 13.0),
    (0.0, 2.0, 11.0),
    (-1.0, 1.0, 7.0),
)


DEFAULT_WEIGHTS = (1.0, -1.0, -1.0, 1.0)


DEFAULT_LR = 0.1


DEFAULT_BETA = 0.9


DEFAULT_STEPS = 2


MAX_STEPS = 50


MAX_ROWS = 40


BATCH = 2


CONVENTIONS = {
    "torch": "v = β v + g",
    "ema": "v = β v + (1 − β) g",
}
"""The two common ways to write momentum's velocity; both then take θ = θ − lr · v.
``torch`` is torch.optim.SGD's (and the document's V ← βV + η∇L, w ← w − αV with
η = 1 and α = lr); ``ema`` is the moving average of the deeplearning.ai notes,
whose velocity is (1 − β) times smaller, so the same lr takes smaller steps."""


DEFAULT_CONVENTION = "torch"


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


def batch_rows(step_index: int, n_rows: int) -> tuple[int, ...]:
    """The data rows of step ``step_index`` (0-based): two in order, wrapping around."""
    return tuple((BATCH * step_index + j) % n_rows for j in range(BATCH))


def solve(data, weights=DEFAULT_WEIGHTS, lr: float = DEFAULT_LR, beta: float = DEFAULT_BETA,
          steps: int = DEFAULT_STEPS, convention: str = DEFAULT_CONVENTION) -> list[Step]:
    """Every step of momentum SGD on ``data`` (rows of x1, x2, y). The torch
    convention steps with the engine's own momentum rule, so these are the app's
    numbers; ``ema`` scales the gradient by (1 − β) first (the same rule then)."""
    if convention not in CONVENTIONS:
        raise FieldError("velocity", f"unknown convention {convention!r}; choose from: "
                                     f"{', '.join(CONVENTIONS)}")
    rule = optimizers.info("momentum").rule
    data = [tuple(map(float, row)) for row in data]
    params = np.array(weights, dtype=float)
    velocity = np.zeros(4)
    out = []
    for k in range(steps):
        rows = batch_rows(k, len(data))
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
        pushed = grad if convention == "torch" else (1.0 - beta) * grad
        new_params, velocity = rule(pushed, params, velocity, (lr, beta))
        out.append(Step(k + 1, rows, tuple(params.tolist()), tuple(preds), tuple(residuals),
                        loss, tuple(grad.tolist()), tuple(velocity.tolist()),
                        tuple(new_params.tolist())))
        params = new_params
    return out


# -- Check my work ----------------------------------------------------------------------
def answer_keys(steps: int) -> list[str]:
    """Every quantity a student can enter, in the order the page shows them:
    ``"1.yhat.0"`` (step 1, the batch's first row), ``"1.res.0"``,
    ``"1.yhat.1"``, ``"1.res.1"``, ``"1.loss"``, ``"1.grad.0"`` (∂L/∂w1), ...,
    ``"1.vel.0"``, ..., ``"1.w.0"`` (w1 after the step), ..."""
    keys = []
    for k in range(1, steps + 1):
        for j in range(BATCH):
            keys += [f"{k}.yhat.{j}", f"{k}.res.{j}"]
        keys.append(f"{k}.loss")
        for part in ("grad", "vel", "w"):
            keys += [f"{k}.{part}.{i}" for i in range(4)]
    return keys


# The homework document's own printed answer for its example, all 30 of its numbers (with
# its slips: step 1's dL/dw1 and dL/dw2 use x1 and x2 where x1^2 and x2^2 belong, and its
# step 2 goes on from there). It prints no residuals: their boxes stay blank.
DOCUMENT_ANSWER: dict[str, float] = {
    "1.yhat.0": 2.0, "1.yhat.1": 5.0, "1.loss": 64.0,
    **{f"1.grad.{i}": v for i, v in enumerate((-24.0, 8.0, 8.0, -16.0))},
    **{f"1.vel.{i}": v for i, v in enumerate((-24.0, 8.0, 8.0, -16.0))},
    **{f"1.w.{i}": v for i, v in enumerate((3.4, -1.8, -1.8, 2.6))},
    "2.yhat.0": 7.8, "2.yhat.1": 6.0, "2.loss": 2.6,
    **{f"2.grad.{i}": v for i, v in enumerate((2.0, -2.8, -2.0, 0.8))},
    **{f"2.vel.{i}": v for i, v in enumerate((-19.6, 4.4, 5.2, -13.6))},
    **{f"2.w.{i}": v for i, v in enumerate((5.36, -2.24, -2.32, 3.96))},
}


def close(value: float, want: float) -> bool:
    """Right at the stated tolerance: within 0.01, or 0.1 % of larger numbers."""
    return abs(value - want) <= max(TOLERANCE, 1e-3 * abs(want))


TOLERANCE = 0.01


@dataclass(frozen=True)
class Mark:
    """How one entered value compares: ``right`` (the correct value, at the
    tolerance), ``follows`` (wrong, but what the student's own earlier entries give:
    a consequence of an earlier slip, not a new one), ``wrong`` or ``unreadable``."""

    status: str
    correct: float  # the correct value
    expected: float  # what follows from the student's own earlier entries
    hint: str = ""  # the likely slip, when a known one matches


def follow(data, weights, lr: float, beta: float, steps: int, convention: str,
           answers: dict[str, float]) -> tuple[dict[str, float], dict[str, list[tuple[float, str]]]]:
    """Each quantity as it follows from the student's own entries before it (an
    entered value stands in for the computed one from then on), and the values
    a few common slips would give. With no answers these are the correct values."""
    data = [tuple(map(float, row)) for row in data]
    own: dict[str, float] = {}
    slips: dict[str, list[tuple[float, str]]] = {}

    def take(key: str, value: float) -> float:
        own[key] = value
        return answers.get(key, value)

    params, velocity = [float(w) for w in weights], [0.0] * 4
    for k in range(1, steps + 1):
        rows = batch_rows(k - 1, len(data))
        res = []
        for j, i in enumerate(rows):
            x1, x2, y = data[i]
            y_hat = take(f"{k}.yhat.{j}", sum(w * f for w, f in zip(params, features(x1, x2), strict=True)))
            res.append(take(f"{k}.res.{j}", y_hat - y))
            slips[f"{k}.res.{j}"] = [(y - y_hat, "the residual is ŷ − y, not y − ŷ")]
        take(f"{k}.loss", 0.5 * sum(r * r for r in res))
        slips[f"{k}.loss"] = [(sum(r * r for r in res), "the loss has a ½ in front")]
        grad = []
        for i in range(4):
            phis = [features(*data[row][:2])[i] for row in rows]
            key = f"{k}.grad.{i}"
            grad.append(take(key, sum(r * f for r, f in zip(res, phis, strict=True))))
            slips[key] = []
            if i < 2:
                unsquared = sum(r * data[row][i] for r, row in zip(res, rows, strict=True))
                xi = ("x₁", "x₂")[i]
                slips[key].append((unsquared, f"this uses {xi} where {xi}² belongs"))
            slips[key].append((-own[key], "the sign is flipped: the residual is ŷ − y"))
        for i in range(4):
            torch_v = beta * velocity[i] + grad[i]
            ema_v = beta * velocity[i] + (1.0 - beta) * grad[i]
            mine, other = (torch_v, ema_v) if convention == "torch" else (ema_v, torch_v)
            velocity[i] = take(f"{k}.vel.{i}", mine)
            slips[f"{k}.vel.{i}"] = [(other, "this is the other convention's velocity")]
        for i in range(4):
            key = f"{k}.w.{i}"
            slips[key] = [(params[i] + lr * velocity[i], "the step is subtracted: θ − lr · v")]
            params[i] = take(key, params[i] - lr * velocity[i])
    return own, slips


def check(data, weights, lr: float, beta: float, steps: int, convention: str,
          texts: dict[str, str]) -> dict[str, Mark]:
    """Mark every entered value (blank ones are left out), as a teacher marks:
    a value that is wrong only because of an earlier slip is marked ``follows``."""
    answers: dict[str, float] = {}
    unreadable = set()
    for key, text in texts.items():
        raw = str(text if text is not None else "").strip().replace("−", "-")
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            unreadable.add(key)
            continue
        if math.isfinite(value):
            answers[key] = value
        else:
            unreadable.add(key)
    correct, _ = follow(data, weights, lr, beta, steps, convention, {})
    own, slips = follow(data, weights, lr, beta, steps, convention, answers)
    marks = {}
    for key in unreadable & correct.keys():
        marks[key] = Mark("unreadable", correct[key], own[key], "not a number")
    for key, value in answers.items():
        if key not in correct:
            continue
        if close(value, correct[key]):
            status, hint = "right", ""
        elif close(value, own[key]):
            status, hint = "follows", "follows from your earlier entries"
        else:
            status = "wrong"
            hint = next((why for slip, why in slips.get(key, []) if close(value, slip)), "")
        marks[key] = Mark(status, correct[key], own[key], hint)
    return marks


def finite_number(text: str, what: str) -> float:
    """Any finite number, or the engine's FieldError naming ``what``."""
    return engine.Range().parse(what, text)


def parse_data(text: str) -> list[tuple[float, float, float]]:
    """Rows ``x1, x2, y``, one per line; blank lines are skipped."""
    rows = []
    for n, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace(";", ",").split(",")
        if len(parts) != 3:
            raise FieldError("data", f"line {n}: expected three numbers x1, x2, y")
        rows.append(tuple(finite_number(p, f"line {n}") for p in parts))
    if len(rows) < BATCH:
        raise FieldError("data", f"give at least {BATCH} rows (a batch is {BATCH} rows)")
    if len(rows) > MAX_ROWS:
        raise FieldError("data", f"at most {MAX_ROWS} rows")
    return rows


def parse_weights(text: str) -> tuple[float, ...]:
    parts = str(text or "").split(",")
    if len(parts) != 4:
        raise FieldError("initial weights", "give four numbers: w1, w2, w3, b")
    return tuple(finite_number(p, "initial parameters") for p in parts)


BETA = engine.Range(0.0, 1.0, high_open=True)
STEPS = engine.Range(1, MAX_STEPS, whole=True)


def parse_settings(lr: str, beta: str, steps: str) -> tuple[float, float, int]:
    """lr in the engine's range, β in [0, 1), 1..MAX_STEPS steps; FieldError otherwise."""
    return parse_lr(lr), BETA.parse("momentum β", beta), int(STEPS.parse("steps", steps))


def data_text(data) -> str:
    return "\n".join(", ".join(exact(v) for v in row) for row in data)


def shown(value: float) -> str:
    """A worked value as the page shows it: enough digits to check by hand (the CSV has them all)."""
    return rounded(value, 6)


CSV_HEADER = "step,rows,param,before,grad,velocity,after"


def csv_text(steps: list[Step]) -> str:
    """One line per step and parameter, full precision (the project's one table writer)."""
    rows = [{"step": st.number, "rows": " ".join(str(i + 1) for i in st.rows), "param": name,
             "before": st.params_before[j], "grad": st.grad[j], "velocity": st.velocity[j],
             "after": st.params_after[j]}
            for st in steps for j, name in enumerate(PARAMS)]
    return export.table_csv(CSV_HEADER.split(","), rows)


def to_query(data_text_: str, weights: str, lr: str, beta: str, steps: str,
             convention: str = DEFAULT_CONVENTION, checking: bool = False,
             answers: dict[str, str] | None = None) -> str:
    """The link of the worked example's boxes (rows of data joined by ``;``), its
    convention, and, when checking, the student's entries (``ans=1.grad.0:-24;...``)."""
    rows = ";".join(line.strip() for line in str(data_text_ or "").splitlines() if line.strip())
    items = [("page", "worked"), ("data", rows), ("w", weights or ""), ("lr", lr or ""),
             ("beta", beta or ""), ("steps", steps or "")]
    if convention != DEFAULT_CONVENTION:
        items.append(("conv", convention))
    if checking:
        items.append(("check", "1"))
        entered = [(k, str(v).strip()) for k, v in (answers or {}).items() if str(v or "").strip()]
        if entered:
            items.append(("ans", ";".join(f"{k}:{v}" for k, v in entered)))
    return write_query(items)


def from_query(query: str) -> tuple[str, str, str, str, str]:
    """The boxes' text from a link (the defaults where a part is absent); the
    boxes check it as if typed."""
    p = query_params(query)
    return (p["data"].replace(";", "\n") if "data" in p else data_text(DEFAULT_DATA),
            p.get("w", ", ".join(exact(v) for v in DEFAULT_WEIGHTS)),
            p.get("lr", exact(DEFAULT_LR)), p.get("beta", exact(DEFAULT_BETA)),
            p.get("steps", str(DEFAULT_STEPS)))


def checking_from_query(query: str) -> tuple[str, bool, dict[str, str]]:
    """The convention, whether "check my work" is on, and the entries a link carries
    (an unknown convention reads as the default; entries for unknown quantities
    are dropped)."""
    p = query_params(query)
    convention = p.get("conv", DEFAULT_CONVENTION)
    if convention not in CONVENTIONS:
        convention = DEFAULT_CONVENTION
    known = set(answer_keys(MAX_STEPS))
    answers = {}
    for item in p.get("ans", "").split(";"):
        key, _, value = item.partition(":")
        if key in known and value.strip():
            answers[key] = value.strip()[:40]
    return convention, p.get("check") == "1", answers


MARK_TEXT = {"right": "✓ right", "follows": "↳ follows from an earlier slip", "wrong": "✗ wrong",
             "unreadable": "? not a number"}


