"""The step inspector's view: one card per run at the inspected step."""

from __future__ import annotations

from dash import dcc, html

from landscapes.number_text import rounded
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.pages.race import inspector
from visualizer.ui import figures


def _eight(value: float) -> str:
    """A number in the card's table: 8 significant digits (the CSV has them all)."""
    return rounded(value, 8)


def _row(label: str, pair=None, single: str | None = None) -> html.Tr:
    if single is not None:
        return html.Tr([html.Th(label), html.Td(single, colSpan=2)])
    return html.Tr([html.Th(label), html.Td(_eight(float(pair[0]))), html.Td(_eight(float(pair[1])))])


def card(result: engine.Result, run: int, t: int) -> html.Div:
    """What run ``run`` did at step ``t`` (capped at its last step): the numbers
    as a table, then the rule with them put in, for x and for y."""
    spec = result.specs[run]
    info = optimizers.info(spec.optimizer)
    last = inspector.last_step(result, run)
    shown = min(t, last)
    s = inspector.step(result, run, shown)
    note = ""
    if result.diverged_at[run, 0] >= 0:
        note = f" · diverged at step {int(result.diverged_at[run, 0])}"
        if t > last:
            note += f"; showing step {shown}"
    rows = [_row("θ before", s.point_before), _row("gradient g", s.grad),
            _row("learning rate η", single=_eight(s.lr))]
    for f in info.state_fields:
        label = f"{f.letter} ({f})"  # each state field carries its letter (optimizers.StateField)
        rows += [_row(f"{label} before", s.state_before[f]), _row(f"{label} after", s.state_after[f])]
    rows += [_row("step Δθ", s.delta), _row("θ after", s.point_after),
             _row("cost f", single=f"{_eight(s.loss_before)} → {_eight(s.loss_after)}")]
    table = html.Table([html.Thead(html.Tr([html.Th(""), html.Th("x"), html.Th("y")])),
                        html.Tbody(rows)], className="i-table")
    rules = [dcc.Markdown("\n".join(f"$${line}$$" for line in inspector.rule_lines(s, i)),
                          mathjax=True, className="i-rule") for i in (0, 1)]
    return html.Div([
        html.Div([html.Span(className="swatch", style={"background": figures.COLORS[spec.optimizer]}),
                  html.B(info.title), html.Span(f" step {shown}{note}", className="hint")],
                 className="i-title"),
        html.Div([table, html.Div(rules, className="i-rules")], className="i-body"),
    ], className="i-card", **{"data-opt": spec.optimizer})


def view(result: engine.Result | None, epoch: int) -> list:
    """Every run's card at the step that led to ``epoch`` (step 1 at epoch 0)."""
    if result is None:
        return [html.Div("Tick an optimizer to inspect its steps.", className="hint")]
    t = max(1, min(int(epoch), result.steps))
    head = html.Div([
        html.Span(f"Step {t}: from epoch {t - 1} to epoch {t}", className="i-step"),
        html.Span(" · pause, step (← →), scrub, or hover the cost chart to pick a step; "
                  "bold numbers are the engine's own", className="hint"),
    ], className="i-head")
    return [head, *(card(result, i, t) for i in range(len(result.specs)))]
