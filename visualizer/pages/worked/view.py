"""Momentum by hand, the view: each step as a card of numbers (or of boxes for the
student's own numbers, marked), the score line, and the page's layout."""

from __future__ import annotations

import dash_mantine_components as dmc
import numpy as np
from dash import dcc, html

from landscapes.number_text import exact
from visualizer.pages import kit
from visualizer.pages.worked.model import (
    CONVENTIONS,
    DEFAULT_BETA,
    DEFAULT_CONVENTION,
    DEFAULT_DATA,
    DEFAULT_LR,
    DEFAULT_STEPS,
    DEFAULT_WEIGHTS,
    MARK_TEXT,
    MAX_STEPS,
    PARAMS,
    TOLERANCE,
    Mark,
    Step,
    data_text,
    features,
    shown,
    solve,
)

Array = np.ndarray
# -- The view ----------------------------------------------------------------------------
def _p(value: float) -> str:
    """A number as it appears inside a formula: negatives in parentheses."""
    text = shown(value)
    return f"({text})" if value < 0 else text

I = kit.Ids("worked", "data", "weights", "lr", "beta", "steps", "out", "csv", "download",  # noqa: E741
            "convention", "check", "document", "clear", "score", "answer", "mark", "answers", "fill")


class _Card:
    """Writes one quantity: its value shown (teaching), or a box for the
    student's value with the worked value folded away (checking)."""

    def __init__(self, answers: dict[str, str] | None):
        self.answers = answers  # None: not checking

    def box(self, key: str) -> list:
        return [dcc.Input(id={"type": I.answer, "key": key}, type="text",
                          value=self.answers.get(key, ""), debounce=True, autoComplete="off",
                          placeholder="?", className="w-answer", name=key),
                html.Span(id={"type": I.mark, "key": key}, className="w-mark")]

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
    return (f"Marked within ±{exact(TOLERANCE)} (or 0.1 % of larger numbers): "
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
            dmc.Textarea(id=I.data, label="data: one row per line, x₁, x₂, y",
                         value=data_text(data), autosize=True, minRows=4, maxRows=12,
                         debounce=400, className="w-data"),
            html.Div([
                dmc.TextInput(id=I.weights, label="initial w₁, w₂, w₃, b",
                              value=", ".join(exact(v) for v in DEFAULT_WEIGHTS), **box),
                dmc.TextInput(id=I.lr, label="learning rate",
                              value=exact(DEFAULT_LR), **box),
                dmc.TextInput(id=I.beta, label="momentum β",
                              value=exact(DEFAULT_BETA), **box),
                dmc.TextInput(id=I.steps, label=f"steps (1–{MAX_STEPS})",
                              value=str(DEFAULT_STEPS), **box),
                html.Div([
                    html.Div("velocity", className="w-label"),
                    dmc.SegmentedControl(id=I.convention, value=DEFAULT_CONVENTION,
                                         size="xs", data=[{"value": k, "label": v} for k, v in
                                                          CONVENTIONS.items()]),
                ]),
                dmc.Button("⤓ CSV of every step", id=I.csv, variant="default",
                           size="xs", n_clicks=0),
            ], className="w-controls"),
            html.Div([
                dmc.Switch(id=I.check, label="Check my work", checked=False, size="sm"),
                dmc.Button("Fill in the document's answer", id=I.document,
                           variant="light", size="xs", n_clicks=0),
                dmc.Button("Clear my answers", id=I.clear, variant="default", size="xs",
                           n_clicks=0),
                html.Span(id=I.score, className="hint w-score"),
            ], className="w-controls w-check"),
            html.Div(id=I.error, className="notice", role="alert"),
            dcc.Download(id=I.download),
            dcc.Store(id=I.answers, data={}),
            dcc.Store(id=I.fill),
        ], className="w-head"),
        html.Div(steps_view(steps, data, DEFAULT_LR, DEFAULT_BETA),
                 id=I.out, className="w-steps"),
    ], className="worked")


