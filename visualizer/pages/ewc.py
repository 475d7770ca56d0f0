"""Catastrophic forgetting and elastic weight consolidation (EWC): two quadratic
tasks over the same two weights; training on task A, then on task B alone, with
EWC, and with a plain L2 penalty (Kirkpatrick et al.'s three paths). One page:
model, view and callbacks."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from landscapes import Landscape, Minimum
from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.pages import Page, kit
from visualizer.pages.kit import CONFIG, FONT, MAX_LESSON_STEPS, Field
from visualizer.server import cache
from visualizer.ui import figures
from visualizer.ui.figures import line_layout
from visualizer.ui.text import parse_lr, parse_number

Array = np.ndarray


# -- The model ---------------------------------------------------------------------------
def _quadratic(name: str, title: str, centre: tuple[float, float], h: tuple[float, float, float],
               domain) -> Landscape:
    """``1/2 (p - c)^T H (p - c)`` with ``H = [[a, b], [b, d]]``."""
    cx, cy = centre
    a, b, d = h

    def fxy(x, y):
        u, v = x - cx, y - cy
        return 0.5 * (a * u * u + 2.0 * b * u * v + d * v * v)

    def gradxy(x, y):
        u, v = x - cx, y - cy
        return a * u + b * v, b * u + d * v

    return Landscape(name=name, title=title, fxy=fxy, gradxy=gradxy, domain=domain,
                     minima=(Minimum(centre, 0.0),), start=(0.0, 0.0),
                     formula=r"\tfrac12\,(\theta - c)^\top H (\theta - c)", lesson="",
                     compilable=False)


EWC_DOMAIN = ((-4.0, 4.0), (-4.0, 4.0))


# Task A depends on theta_1 (curvature 6) and hardly on theta_2 (0.05); task B mostly on
# theta_2 (curvature 5): EWC can hold theta_1 and free theta_2, where an L2 penalty,
# holding both alike, cannot.
TASK_A = _quadratic("task_a", "Task A", (-2.0, 1.5), (6.0, 0.2, 0.05), EWC_DOMAIN)


TASK_B = _quadratic("task_b", "Task B", (2.0, -1.5), (0.6, -0.4, 5.0), EWC_DOMAIN)


EWC_START = (0.5, 3.2)


DEFAULT_LAMBDA = 10.0


MAX_LAMBDA = 1e4


def hessian_diagonal(task: Landscape, point, h: float = 1e-4) -> Array:
    """The diagonal of the task's Hessian at ``point``: central differences of its
    exact gradient (exact for a quadratic, up to rounding)."""
    p = np.asarray(point, dtype=float)
    out = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (task.grad(p + e)[i] - task.grad(p - e)[i]) / (2 * h)
    return out


def ewc_loss(task_b: Landscape, anchor, fisher, lam: float) -> Landscape:
    """Task B's loss plus the EWC penalty ``lam/2 sum_i F_i (theta_i - anchor_i)^2``
    (with every ``F_i = 1``, the plain L2 penalty)."""
    ax, ay = (float(v) for v in anchor)
    fx, fy = (float(v) for v in fisher)
    half = 0.5 * lam

    def fxy(x, y):
        return task_b.fxy(x, y) + half * (fx * (x - ax) ** 2 + fy * (y - ay) ** 2)

    def gradxy(x, y):
        gx, gy = task_b.gradxy(x, y)
        return gx + lam * fx * (x - ax), gy + lam * fy * (y - ay)

    return Landscape(name="task_b_ewc", title="Task B + EWC", fxy=fxy, gradxy=gradxy,
                     domain=task_b.domain, minima=(), start=(ax, ay), formula="", lesson="",
                     compilable=False)


@dataclass
class EwcRun:
    lam: float
    spec: engine.RunSpec
    steps: int
    phase_a: Array  # (steps + 1, 2): training on A from the start
    anchor: Array  # theta*_A: where training on A ended
    fisher: Array  # F: the Hessian diagonal of task A at theta*_A
    plain: Array  # (steps + 1, 2): then training on B alone
    ewc: Array  # (steps + 1, 2): then training on B with the EWC penalty
    l2: Array  # (steps + 1, 2): then training on B with an L2 penalty (every F_i = 1)
    diverged: bool

    def losses(self, task: Landscape, path: Array) -> Array:
        with np.errstate(all="ignore"):
            return task.f(path)


def ewc(optimizer: str = "adam", lr: float = 0.05, lam: float = DEFAULT_LAMBDA,
        steps: int = 300) -> EwcRun:
    """Train on task A, then on task B three ways: alone, with EWC, and with a
    plain L2 penalty of the same λ that holds every weight alike (Kirkpatrick et
    al.'s third path). Each task starts a fresh optimizer state, as when a new
    task starts."""
    spec = engine.make_spec(optimizer, lr=lr)
    a = engine.run(TASK_A, [spec], EWC_START, steps, record_state=False)
    phase_a = a.points[0, 0]
    anchor = phase_a[-1]
    diverged = bool(a.diverged_at[0, 0] >= 0)
    if diverged:
        nan = np.full((steps + 1, 2), np.nan)
        return EwcRun(lam, spec, steps, phase_a, anchor, np.full(2, np.nan), nan, nan, nan, True)
    fisher = hessian_diagonal(TASK_A, anchor)
    paths = []
    for task in (TASK_B, ewc_loss(TASK_B, anchor, fisher, lam), ewc_loss(TASK_B, anchor, (1.0, 1.0), lam)):
        res = engine.run(task, [spec], anchor, steps, record_state=False)
        diverged = diverged or bool(res.diverged_at[0, 0] >= 0)
        paths.append(res.points[0, 0])
    return EwcRun(lam, spec, steps, phase_a, anchor, fisher, *paths, diverged)


_D = {k: p.default for k, p in inspect.signature(ewc).parameters.items()}  # the model's defaults
I = kit.Ids("ewc", "optimizer", "lr", "lambda", "steps", "map", "charts")  # noqa: E741
FORM = kit.Form(
    I,
    Field("optimizer", _D["optimizer"], lambda v: optimizers.info(v).name, link="opt"),
    Field("lr", exact(_D["lr"]), lambda v: parse_lr(v, "learning rate"), exact),
    Field("lambda", exact(_D["lam"]), lambda v: parse_number(v, "λ", 0.0, MAX_LAMBDA), exact),
    Field("steps", str(_D["steps"]),
          lambda v: parse_number(v, "epochs per task", 1, MAX_LESSON_STEPS, whole=True)),
)
"""The page's boxes, declared once: the layout, the link, its reader and the parse follow."""


def ewc_settings(*boxes: str) -> tuple[str, float, float, int]:
    """The boxes (optimizer, lr, λ, epochs) as settings, or FieldError naming the bad box."""
    return tuple(FORM.parse(*boxes).values())


def ewc_query(optimizer: str, lr: float, lam: float, steps: int) -> str:
    return FORM.link(dict(zip(FORM.by_name, (optimizer, lr, lam, steps), strict=True)))


def ewc_from_query(query: str) -> tuple[str, str, str, str]:
    return FORM.from_link(query)


# -- The view ----------------------------------------------------------------------------
def ewc_paths(run: EwcRun) -> list[tuple[str, str, np.ndarray]]:
    """The three ways of training on task B: ``(label, colour, path)``."""
    return [("then B alone", "#dc2626", run.plain), ("then B with EWC", "#16a34a", run.ewc),
            ("then B with L2", "#9333ea", run.l2)]


def ewc_map(run: EwcRun) -> go.Figure:
    """Both tasks' contours together, and the three paths."""
    (x0, x1), (y0, y1) = EWC_DOMAIN
    xs, ys = np.linspace(x0, x1, 160), np.linspace(y0, y1, 160)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    fig = go.Figure()
    for task, color in ((TASK_A, "#2563eb"), (TASK_B, "#ea580c")):
        z = np.log2(task.f(grid) + 1e-3)
        fig.add_trace(go.Contour(x=xs, y=ys, z=z, name=task.title, showscale=False,
                                 contours={"coloring": "lines", "start": -4, "end": 7, "size": 1},
                                 line={"width": 1.1}, colorscale=[[0, color], [1, color]],
                                 hoverinfo="skip", showlegend=True, opacity=0.75))
        m = task.minima[0].point
        fig.add_trace(go.Scatter(x=[m[0]], y=[m[1]], mode="markers+text", text=[task.title],
                                 textposition="top center", showlegend=False,
                                 marker={"symbol": "star", "size": 14, "color": color,
                                         "line": {"color": "#1f2937", "width": 1}}))
    paths = [("training on A", "#6b7280", run.phase_a), *ewc_paths(run)]
    for label, color, pts in paths:
        ok = np.isfinite(pts).all(axis=1)
        fig.add_trace(go.Scatter(x=pts[ok, 0], y=pts[ok, 1], mode="lines", name=label,
                                 line={"color": color, "width": 2.4}))
    fig.add_trace(go.Scatter(x=[EWC_START[0]], y=[EWC_START[1]], mode="markers",
                             name="start", marker={"color": figures.START_COLOR, "size": 11}))
    axis = {"zeroline": False, "showgrid": False, "constrain": "domain"}
    fig.update_layout(xaxis={**axis, "range": [x0, x1], "title": {"text": "θ₁"}},
                      yaxis={**axis, "range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x"},
                      margin={"l": 44, "r": 8, "t": 8, "b": 40}, font=FONT, height=470,
                      legend={"orientation": "h", "y": -0.12, "x": 0},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="#fcfcfd")
    return fig


def ewc_losses(run: EwcRun) -> go.Figure:
    """Task A's and task B's loss over both phases, without and with EWC."""
    n = run.steps
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=["task A's loss (what is forgotten)", "task B's loss"])
    for col, task in ((1, TASK_A), (2, TASK_B)):
        fig.add_trace(go.Scatter(x=np.arange(n + 1), y=run.losses(task, run.phase_a),
                                 name="training on A", legendgroup="a", showlegend=col == 1,
                                 line={"color": "#6b7280"}), row=1, col=col)
        for label, color, path in ewc_paths(run):
            fig.add_trace(go.Scatter(x=np.arange(n, 2 * n + 1), y=run.losses(task, path),
                                     name=label, legendgroup=label, showlegend=col == 1,
                                     line={"color": color}), row=1, col=col)
        fig.add_vline(x=n, line={"dash": "dot", "color": "#9ca3af"}, row=1, col=col)
    fig.update_yaxes(type="log")
    fig.update_xaxes(title_text="epoch (task A, then task B)")
    return line_layout(fig, 470)


def ewc_page() -> html.Div:
    controls = [
        kit.select(I.optimizer, "optimizer", [(n, i.title) for n, i in optimizers.OPTIMIZERS.items()],
                   FORM.default("optimizer")),
        kit.text_box(FORM, "lr", "learning rate"),
        kit.text_box(FORM, "lambda", f"λ (0–{exact(MAX_LAMBDA)})"),
        kit.text_box(FORM, "steps", "epochs per task"),
    ]
    intro = [
        "Two tasks, each a loss over the same two weights θ = (θ₁, θ₂), with its own minimum. "
        "Train on task A to its minimum θ*_A, then on task B. Plain training walks to B's "
        "minimum and forgets A: task A's loss climbs back. Elastic weight consolidation trains "
        "on ",
        dcc.Markdown(r"$L_B(\theta) + \frac{\lambda}{2}\sum_i F_i\,(\theta_i - \theta^*_{A,i})^2$",
                     mathjax=True, className="inline-math"),
        ", which holds the weights task A depends on most near where they were, and lets the "
        "others move. In EWC, F is the diagonal of the Fisher information: the average, over "
        "task A's samples, of the squared gradient of each sample's log-likelihood. Those "
        "per-sample gradients do not vanish at A's minimum (only their average does), so F "
        "does not either. This toy has no samples, only a loss over two weights, so it uses "
        "the diagonal of task A's Hessian at θ*_A: for a Gaussian model whose mean is linear "
        "in the weights, a least-squares loss like these two, the Fisher equals that Hessian. "
        "(The square of the full-batch gradient would not do: it is zero at A's minimum.) "
        "The third path is a plain L2 "
        "penalty of the same λ, every F_i = 1: it holds every weight alike, the one task B "
        "needs as firmly as the one task A needs.",
    ]
    body = [html.Div(id=I.note, className="lesson-note"), html.Div([
        dcc.Graph(id=I.map, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=I.charts, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    return kit.frame(I, "Catastrophic forgetting and EWC", intro, controls, body)


# -- The callbacks -----------------------------------------------------------------------
def _settle(optimizer, lr_text, lam_text, steps_text) -> tuple[tuple, str]:
    name, lr, lam, steps = ewc_settings(optimizer, lr_text, lam_text, steps_text)
    return ewc_view(name, lr, lam, steps), ewc_query(name, lr, lam, steps)


ewc_boxes = kit.fill_from_link("ewc", FORM.outputs(), ewc_from_query)
update_ewc = kit.show_view(I, [(I.map, "figure"), (I.charts, "figure"), (I.note, "children")],
                           FORM.inputs(), _settle)


@cache.shared("ewc")
def ewc_view(name: str, lr: float, lam: float, steps: int) -> tuple[dict, dict, str]:
    """The page's map, charts and note for these settings, computed once for the class."""
    run = ewc(name, lr, lam, steps)
    a, b = TASK_A, TASK_B
    if run.diverged:
        note = "This learning rate makes the run diverge: lower it to see the tasks."
    else:
        f = rounded

        def losses(path) -> str:
            return f"task A's loss {f(float(a.f(path[-1])))}, task B's {f(float(b.f(path[-1])))}"

        note = (f"θ*_A = ({f(run.anchor[0])}, {f(run.anchor[1])}); F = Hessian diagonal of task A "
                f"there = ({f(run.fisher[0])}, {f(run.fisher[1])}). Task B's loss at θ*_A: "
                f"{f(float(b.f(run.anchor)))}. After task B alone: {losses(run.plain)}. "
                f"With EWC (λ = {exact(lam)}): {losses(run.ewc)}. With L2 (λ = {exact(lam)}, every "
                f"weight alike): {losses(run.l2)}.")
    return (ewc_map(run).to_plotly_json(), ewc_losses(run).to_plotly_json(),
            note)


PAGE = Page("ewc", "Forgetting & EWC", ewc_page, 40, I.query)
