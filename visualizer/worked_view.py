"""The worked example's page: the controls, and each step written out by hand."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc, html

from visualizer import ids, worked
from visualizer.worked import PARAMS, fmt


def _p(value: float) -> str:
    """A number as it appears inside a formula: negatives in parentheses."""
    text = fmt(value)
    return f"({text})" if value < 0 else text


def _line(label: str, formula: str, value: float) -> html.Div:
    return html.Div([html.Span(label, className="w-lhs"), html.Span(f" = {formula} = "),
                     html.B(fmt(value))], className="w-line")


def step_card(step: worked.Step, data, lr: float, beta: float, v_before) -> html.Div:
    """Step k: the batch, predictions, loss, each partial derivative, the
    velocity and the new parameters, with the numbers put in."""
    w = step.params_before
    rows = []
    for i, y_hat, r in zip(step.rows, step.predictions, step.residuals, strict=True):
        x1, x2, y = data[i]
        phi = worked.features(x1, x2)
        sum_text = " + ".join(f"{_p(wj)}·{_p(fj)}" for wj, fj in zip(w, phi, strict=True))
        rows.append(html.Tr([html.Td(str(i + 1)), html.Td(fmt(x1)), html.Td(fmt(x2)),
                             html.Td(fmt(y)), html.Td(f"{sum_text} = {fmt(y_hat)}"),
                             html.Td(fmt(r))]))
    table = html.Table([
        html.Thead(html.Tr([html.Th(h) for h in
                            ("row", "x₁", "x₂", "y", "ŷ = w₁x₁² + w₂x₂² + w₃x₁x₂ + b", "ŷ − y")])),
        html.Tbody(rows),
    ], className="w-table")
    loss = _line("L", "½ [" + " + ".join(f"{_p(r)}²" for r in step.residuals) + "]", step.loss)
    grads = []
    for j, name in enumerate(PARAMS):
        feature = ("x₁²", "x₂²", "x₁x₂", "1")[j]
        terms = []
        for i, r in zip(step.rows, step.residuals, strict=True):
            x1, x2, _ = data[i]
            f = worked.features(x1, x2)[j]
            terms.append(_p(r) if j == 3 else f"{_p(r)}·{_p(f)}")
        label = f"∂L/∂{name}" + ("" if j == 3 else f" = Σ (ŷ − y)·{feature}")
        grads.append(_line(label, " + ".join(terms), step.grad[j]))
    velocity = [_line(f"v_{name}", f"{fmt(beta)}·{_p(v_before[j])} + {_p(step.grad[j])}",
                      step.velocity[j]) for j, name in enumerate(PARAMS)]
    update = [_line(name, f"{_p(w[j])} − {fmt(lr)}·{_p(step.velocity[j])}", step.params_after[j])
              for j, name in enumerate(PARAMS)]
    batch = ", ".join(str(i + 1) for i in step.rows)
    return html.Div([
        html.H4(f"Step {step.number}: batch of rows {batch}"),
        table,
        html.Div([html.H5("Loss"), loss], className="w-block"),
        html.Div([html.H5("Gradient"), *grads], className="w-block"),
        html.Div([html.H5("Velocity  v = β v + g"), *velocity], className="w-block"),
        html.Div([html.H5("New parameters  θ = θ − lr · v"), *update], className="w-block"),
    ], className="w-step", **{"data-step": str(step.number)})


def steps_view(steps: list[worked.Step], data, lr: float, beta: float) -> list:
    cards, v = [], (0.0, 0.0, 0.0, 0.0)
    for s in steps:
        cards.append(step_card(s, data, lr, beta, v))
        v = s.velocity
    return cards


def page() -> html.Div:
    """The controls with the issue's defaults, and the steps they give."""
    data = worked.DEFAULT_DATA
    steps = worked.run(data)
    box = {"size": "xs", "debounce": 400, "className": "num-input"}
    return html.Div([
        html.Div([
            html.H2("Momentum by hand: a small regression"),
            html.P(["Model ŷ = w₁x₁² + w₂x₂² + w₃x₁x₂ + b; batches of two rows in order; "
                    "loss L = ½ Σ (ŷ − y)² over the batch, so ∂L/∂w₁ = Σ (ŷ − y)·x₁². "
                    "SGD with momentum as torch.optim.SGD does it: v = β v + g, "
                    "θ = θ − lr · v (v starts at 0). Every number below is the app's "
                    "own momentum update; change the data or the settings and check "
                    "a step by hand."], className="hint"),
            dmc.Textarea(id=ids.WORKED_DATA, label="data: one row per line, x₁, x₂, y",
                         value=worked.data_text(data), autosize=True, minRows=4, maxRows=12,
                         debounce=400, className="w-data"),
            html.Div([
                dmc.TextInput(id=ids.WORKED_WEIGHTS, label="initial w₁, w₂, w₃, b",
                              value=", ".join(f"{v:g}" for v in worked.DEFAULT_WEIGHTS), **box),
                dmc.TextInput(id=ids.WORKED_LR, label="learning rate",
                              value=f"{worked.DEFAULT_LR:g}", **box),
                dmc.TextInput(id=ids.WORKED_BETA, label="momentum β",
                              value=f"{worked.DEFAULT_BETA:g}", **box),
                dmc.TextInput(id=ids.WORKED_STEPS, label=f"steps (1–{worked.MAX_STEPS})",
                              value=str(worked.DEFAULT_STEPS), **box),
                dmc.Button("⤓ CSV of every step", id=ids.WORKED_CSV, variant="default",
                           size="xs", n_clicks=0),
            ], className="w-controls"),
            html.Div(id=ids.WORKED_ERROR, className="notice", role="alert"),
            dcc.Download(id=ids.WORKED_DOWNLOAD),
        ], className="w-head"),
        html.Div(steps_view(steps, data, worked.DEFAULT_LR, worked.DEFAULT_BETA),
                 id=ids.WORKED_OUT, className="w-steps"),
    ], className="worked")
