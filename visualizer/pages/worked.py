"""Momentum by hand: SGD with momentum on the homework document's small
regression, every number shown, and "check my work", which marks a student's own
numbers as a teacher would. One page: model, view and callbacks.

The model is ``y_hat = w1 x1^2 + w2 x2^2 + w3 x1 x2 + b``, trained on batches
of two rows taken in order (rows 1-2, 3-4, ..., wrapping around) with the loss
``L = 1/2 * sum over the batch of (y_hat - y)^2``, so that
``dL/dw1 = sum of (y_hat - y) * x1^2`` (and likewise for w2, w3; ``dL/db`` is
the sum of the residuals). Momentum is torch's, ``v = beta v + g``,
``theta = theta - lr v``, applied with the engine's own rule (the ``momentum``
optimizer's), so the numbers here are the app's numbers; or the moving-average
convention ``v = beta v + (1 - beta) g``. The defaults are the document's
example, and :func:`check` marks a student's own numbers for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import dash_mantine_components as dmc
import numpy as np
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import export, optimizers
from visualizer.engine.fields import FieldError
from visualizer.pages import Page
from visualizer.ui import ids
from visualizer.ui.lesson import fill_from_link
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


# -- The view ----------------------------------------------------------------------------
def _p(value: float) -> str:
    """A number as it appears inside a formula: negatives in parentheses."""
    text = shown(value)
    return f"({text})" if value < 0 else text


class _Card:
    """Writes one quantity: its value shown (teaching), or a box for the
    student's value with the worked value folded away (checking)."""

    def __init__(self, answers: dict[str, str] | None):
        self.answers = answers  # None: not checking

    def box(self, key: str) -> list:
        return [dcc.Input(id={"type": ids.WORKED_ANSWER, "key": key}, type="text",
                          value=self.answers.get(key, ""), debounce=True, autoComplete="off",
                          placeholder="?", className="w-answer", name=key),
                html.Span(id={"type": ids.WORKED_MARK, "key": key}, className="w-mark")]

    def line(self, label: str, formula: str, value: float, key: str) -> html.Div:
        worked_out = [html.Span(f" = {formula} = "), html.B(shown(value))]
        if self.answers is None:
            return html.Div([html.Span(label, className="w-lhs"), *worked_out], className="w-line")
        return html.Div([html.Span(label, className="w-lhs"), html.Span(" = "), *self.box(key),
                         html.Details([html.Summary("show"), *worked_out], className="w-show")],
                        className="w-line checking")

    def cell(self, text: str, value: float, key: str) -> html.Td:
        if self.answers is None:
            return html.Td(f"{text} = {shown(value)}" if text else shown(value))
        answer = f"{text} = {shown(value)}" if text else shown(value)
        return html.Td([*self.box(key), html.Details([html.Summary("show"), answer],
                                                     className="w-show")])


def step_card(step: Step, data, lr: float, beta: float, v_before,
              convention: str = DEFAULT_CONVENTION,
              answers: dict[str, str] | None = None) -> html.Div:
    """Step k: the batch, predictions, loss, each partial derivative, the
    velocity and the new parameters, with the numbers put in (or, when
    ``answers`` is given, boxes for the student's own)."""
    card, k = _Card(answers), step.number
    w = step.params_before
    rows = []
    for j, (i, y_hat, r) in enumerate(zip(step.rows, step.predictions, step.residuals, strict=True)):
        x1, x2, y = data[i]
        phi = features(x1, x2)
        sum_text = " + ".join(f"{_p(wj)}·{_p(fj)}" for wj, fj in zip(w, phi, strict=True))
        rows.append(html.Tr([html.Td(str(i + 1)), html.Td(shown(x1)), html.Td(shown(x2)),
                             html.Td(shown(y)), card.cell(sum_text, y_hat, f"{k}.yhat.{j}"),
                             card.cell(f"{_p(y_hat)} − {_p(y)}" if answers is not None else "", r,
                                       f"{k}.res.{j}")]))
    table = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in
                            ("row", "x₁", "x₂", "y", "ŷ = w₁x₁² + w₂x₂² + w₃x₁x₂ + b", "ŷ − y")])),
        html.Tbody(rows),
    ], className="w-table")
    loss = card.line("L", "½ [" + " + ".join(f"{_p(r)}²" for r in step.residuals) + "]", step.loss,
                     f"{k}.loss")
    grads = []
    for j, name in enumerate(PARAMS):
        feature = ("x₁²", "x₂²", "x₁x₂", "1")[j]
        terms = []
        for i, r in zip(step.rows, step.residuals, strict=True):
            x1, x2, _ = data[i]
            f = features(x1, x2)[j]
            terms.append(_p(r) if j == 3 else f"{_p(r)}·{_p(f)}")
        label = f"∂L/∂{name}" + ("" if j == 3 else f" = Σ (ŷ − y)·{feature}")
        grads.append(card.line(label, " + ".join(terms), step.grad[j], f"{k}.grad.{j}"))
    push = "{g}" if convention == "torch" else f"{shown(1 - beta)}·{{g}}"
    velocity = [card.line(f"v_{name}", f"{shown(beta)}·{_p(v_before[j])} + "
                          + push.format(g=_p(step.grad[j])), step.velocity[j], f"{k}.vel.{j}")
                for j, name in enumerate(PARAMS)]
    update = [card.line(name, f"{_p(w[j])} − {shown(lr)}·{_p(step.velocity[j])}", step.params_after[j],
                        f"{k}.w.{j}")
              for j, name in enumerate(PARAMS)]
    batch = ", ".join(str(i + 1) for i in step.rows)
    return html.Div([
        html.H4(f"Step {step.number}: batch of rows {batch}"),
        table,
        html.Div([html.H5("Loss"), loss], className="w-block"),
        html.Div([html.H5("Gradient"), *grads], className="w-block"),
        html.Div([html.H5(f"Velocity  {CONVENTIONS[convention]}"), *velocity],
                 className="w-block"),
        html.Div([html.H5("New parameters  θ = θ − lr · v"), *update], className="w-block"),
    ], className="w-step", **{"data-step": str(step.number)})


def steps_view(steps: list[Step], data, lr: float, beta: float,
               convention: str = DEFAULT_CONVENTION,
               answers: dict[str, str] | None = None) -> list:
    cards, v = [], (0.0, 0.0, 0.0, 0.0)
    for s in steps:
        cards.append(step_card(s, data, lr, beta, v, convention, answers))
        v = s.velocity
    return cards


def score(marks: dict[str, Mark], total: int) -> str:
    """One line: how many entries are right, wrong, consequences, blank."""
    counts = {status: sum(m.status == status for m in marks.values()) for status in MARK_TEXT}
    blank = total - len(marks)
    parts = [f"{counts['right']} right", f"{counts['wrong']} wrong",
             f"{counts['follows']} follow from an earlier slip"]
    if counts["unreadable"]:
        parts.append(f"{counts['unreadable']} not numbers")
    parts.append(f"{blank} blank")
    return (f"Marked within ±{TOLERANCE:g} (or 0.1 % of larger numbers): "
            + " · ".join(parts) + ".")


MAPPING = ("The document writes V ← βV + η∇L, w ← w − αV with η = 1 and α = 0.1: that is "
           "torch's convention here, with lr = α. The other convention, v = β v + (1 − β) g "
           "(the deeplearning.ai notes), averages the gradients instead of summing them: its "
           "velocity is (1 − β) times torch's for the same gradients, so at the same lr each "
           "step is that much shorter.")


def page() -> html.Div:
    """The controls with the document's example, and the steps they give."""
    data = DEFAULT_DATA
    steps = solve(data)
    box = {"size": "xs", "debounce": 400, "className": "num-input"}
    return html.Div([
        html.Div([
            html.H2("Momentum by hand: a small regression"),
            html.P(["Model ŷ = w₁x₁² + w₂x₂² + w₃x₁x₂ + b; batches of two rows in order; "
                    "loss L = ½ Σ (ŷ − y)² over the batch, so ∂L/∂w₁ = Σ (ŷ − y)·x₁². "
                    "The defaults are the homework document's example (start (1, −1, −1, 1), "
                    "lr 0.1, β 0.9, and four rows: it prints no data table, so the rows are "
                    "read from its arithmetic). Every number below is the app's own "
                    "momentum update; change the data or the settings and check a step by "
                    "hand."], className="hint"),
            html.P(MAPPING, className="hint w-mapping"),
            dmc.Textarea(id=ids.WORKED_DATA, label="data: one row per line, x₁, x₂, y",
                         value=data_text(data), autosize=True, minRows=4, maxRows=12,
                         debounce=400, className="w-data"),
            html.Div([
                dmc.TextInput(id=ids.WORKED_WEIGHTS, label="initial w₁, w₂, w₃, b",
                              value=", ".join(exact(v) for v in DEFAULT_WEIGHTS), **box),
                dmc.TextInput(id=ids.WORKED_LR, label="learning rate",
                              value=exact(DEFAULT_LR), **box),
                dmc.TextInput(id=ids.WORKED_BETA, label="momentum β",
                              value=exact(DEFAULT_BETA), **box),
                dmc.TextInput(id=ids.WORKED_STEPS, label=f"steps (1–{MAX_STEPS})",
                              value=str(DEFAULT_STEPS), **box),
                html.Div([
                    html.Div("velocity", className="w-label"),
                    dmc.SegmentedControl(id=ids.WORKED_CONVENTION, value=DEFAULT_CONVENTION,
                                         size="xs", data=[{"value": k, "label": v} for k, v in
                                                          CONVENTIONS.items()]),
                ]),
                dmc.Button("⤓ CSV of every step", id=ids.WORKED_CSV, variant="default",
                           size="xs", n_clicks=0),
            ], className="w-controls"),
            html.Div([
                dmc.Switch(id=ids.WORKED_CHECK, label="Check my work", checked=False, size="sm"),
                dmc.Button("Fill in the document's answer", id=ids.WORKED_DOCUMENT,
                           variant="light", size="xs", n_clicks=0),
                dmc.Button("Clear my answers", id=ids.WORKED_CLEAR, variant="default", size="xs",
                           n_clicks=0),
                html.Span(id=ids.WORKED_SCORE, className="hint w-score"),
            ], className="w-controls w-check"),
            html.Div(id=ids.WORKED_ERROR, className="notice", role="alert"),
            dcc.Download(id=ids.WORKED_DOWNLOAD),
            dcc.Store(id=ids.WORKED_ANSWERS, data={}),
            dcc.Store(id=ids.WORKED_FILL),
        ], className="w-head"),
        html.Div(steps_view(steps, data, DEFAULT_LR, DEFAULT_BETA),
                 id=ids.WORKED_OUT, className="w-steps"),
    ], className="worked")


# -- The callbacks -----------------------------------------------------------------------
WORKED_BOXES = [ids.WORKED_DATA, ids.WORKED_WEIGHTS, ids.WORKED_LR, ids.WORKED_BETA,
                ids.WORKED_STEPS]


def _worked(data_text, weights_text, lr_text, beta_text, steps_text, convention="torch"):
    """Every step for these boxes, and the parsed data, weights, lr, beta and
    steps; ValueError with one message naming the bad box."""
    data = parse_data(data_text)
    weights = parse_weights(weights_text)
    lr, beta, steps = parse_settings(lr_text, beta_text, steps_text)
    with np.errstate(all="ignore"):
        return solve(data, weights, lr, beta, steps, convention), data, weights, lr, beta, steps


@callback(
    Output(ids.WORKED_OUT, "children"),
    Output(ids.WORKED_ERROR, "children"),
    *[Input(box, "value") for box in WORKED_BOXES],
    Input(ids.WORKED_CONVENTION, "value"),
    Input(ids.WORKED_CHECK, "checked"),
    Input(ids.WORKED_FILL, "data"),
    State(ids.WORKED_ANSWERS, "data"),
    prevent_initial_call=True,
)
def update_worked(*args):
    """Every step of the worked example (with boxes for the student's own values
    when checking); a bad box keeps the last good steps on screen and says what
    is wrong. The student's entries survive a change of settings."""
    *texts, convention, checking, fill, entered = args
    try:
        result, data, _, lr, beta, _ = _worked(*texts, convention=convention)
    except ValueError as exc:
        return no_update, str(exc)
    note = ""
    if not all(np.isfinite(s.params_after).all() for s in result):
        note = "The parameters overflowed: this learning rate is far too large for the data."
    answers = None
    if checking:
        filled = fill is not None and f"{ids.WORKED_FILL}.data" in ctx.triggered_prop_ids
        answers = dict(fill["answers"] if filled else entered or {})
    return steps_view(result, data, lr, beta, convention, answers), note


def mark_answers(entries: list[dict], mark_ids: list[dict], texts: list, convention: str):
    """The marks of the student's entries (``entries``: Dash's inputs list of the
    answer boxes), in the order of ``mark_ids``; the score line; every entry by key."""
    answers = {e["id"]["key"]: e.get("value") or "" for e in entries}
    try:
        _, data, weights, lr, beta, steps = _worked(*texts, convention=convention)
    except ValueError:
        return [no_update] * len(mark_ids), [no_update] * len(mark_ids), no_update, answers
    marks = check(data, weights, lr, beta, steps, convention, answers)
    children, classes = [], []
    for mid in mark_ids:
        m = marks.get(mid["key"])
        if m is None:
            children.append("")
            classes.append("w-mark")
            continue
        text = MARK_TEXT[m.status]
        if m.hint and m.status != "follows":
            text += f": {m.hint}"
        children.append(text)
        classes.append(f"w-mark {m.status}")
    return children, classes, score(marks, len(entries)), answers


@callback(
    Output({"type": ids.WORKED_MARK, "key": ALL}, "children"),
    Output({"type": ids.WORKED_MARK, "key": ALL}, "className"),
    Output(ids.WORKED_SCORE, "children"),
    Output(ids.WORKED_ANSWERS, "data"),
    Input({"type": ids.WORKED_ANSWER, "key": ALL}, "value"),
    *[State(box, "value") for box in WORKED_BOXES],
    State(ids.WORKED_CONVENTION, "value"),
)
def check_work(_values, *args):
    """Mark every entry as the student types (and when the boxes appear)."""
    *texts, convention = args
    mark_ids = [o["id"] for o in ctx.outputs_list[0]]
    if not mark_ids:
        return [], [], "", no_update
    return mark_answers(ctx.inputs_list[0], mark_ids, texts, convention)


@callback(
    Output(ids.WORKED_FILL, "data"),
    Output(ids.WORKED_CHECK, "checked"),
    Input(ids.WORKED_DOCUMENT, "n_clicks"),
    Input(ids.WORKED_CLEAR, "n_clicks"),
    prevent_initial_call=True,
)
def fill_answers(_document, _clear):
    """The document's printed answer in the boxes (checking turns on), or none."""
    if ctx.triggered_id == ids.WORKED_DOCUMENT:
        return {"answers": {k: exact(v) for k, v in DOCUMENT_ANSWER.items()}}, True
    return {"answers": {}}, no_update


@callback(
    Output(ids.WORKED_DOWNLOAD, "data"),
    Input(ids.WORKED_CSV, "n_clicks"),
    *[State(box, "value") for box in WORKED_BOXES],
    State(ids.WORKED_CONVENTION, "value"),
    prevent_initial_call=True,
)
def download_worked(_clicks, *texts):
    """The CSV of every step, full precision; nothing while a box is bad."""
    *texts, convention = texts
    try:
        result = _worked(*texts, convention=convention)[0]
    except ValueError:
        raise PreventUpdate from None
    return dcc.send_string(csv_text(result), "momentum_by_hand.csv")



# -- The link --------------------------------------------------------------------------
@callback(
    Output(ids.WORKED_QUERY, "data"),
    Input(ids.WORKED_OUT, "children"),
    Input(ids.WORKED_ANSWERS, "data"),
    State(ids.WORKED_DATA, "value"),
    State(ids.WORKED_WEIGHTS, "value"),
    State(ids.WORKED_LR, "value"),
    State(ids.WORKED_BETA, "value"),
    State(ids.WORKED_STEPS, "value"),
    State(ids.WORKED_CONVENTION, "value"),
    State(ids.WORKED_CHECK, "checked"),
)
def worked_query(_steps_shown, answers, data, weights, lr, beta, steps, convention, checking):
    """The link of the worked example as shown (written after each good update
    and each entry the student makes)."""
    return to_query(data, weights, lr, beta, steps, convention, bool(checking), answers)


def _link_boxes(search: str) -> tuple:
    """Every box, the convention, "check my work" and the student's entries from a link."""
    convention, checking, answers = checking_from_query(search)
    return (*from_query(search), convention, checking, {"answers": answers})


worked_boxes = fill_from_link(
    "worked", [*[Output(box, "value") for box in WORKED_BOXES], Output(ids.WORKED_CONVENTION, "value"),
               Output(ids.WORKED_CHECK, "checked", allow_duplicate=True),
               Output(ids.WORKED_FILL, "data", allow_duplicate=True)], _link_boxes)


PAGE = Page('worked', 'Momentum by hand', page, 50, ids.WORKED_QUERY)
