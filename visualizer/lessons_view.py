"""The teaching scenes' pages and figures: Adam vs AdaBelief, learning rates
and schedules, forgetting and EWC. Figures are static (a whole run at once)."""

from __future__ import annotations

import dash_mantine_components as dmc
import numpy as np
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

import landscapes
from landscapes import Landscape
from visualizer import figures, ids, lessons, optimizers

FONT = {"family": "Inter, system-ui, sans-serif", "size": 12}
CONFIG = {"displaylogo": False, "scrollZoom": False,
          "toImageButtonOptions": {"format": "png", "scale": 2}}
LR_COLORS = ["#1d4ed8", "#0891b2", "#16a34a", "#ca8a04", "#ea580c", "#dc2626", "#9333ea", "#1e293b"]
BOX = {"size": "xs", "debounce": 400, "className": "num-input"}


# -- Figures --------------------------------------------------------------------------
def path_map(landscape: Landscape, paths: list[tuple]) -> go.Figure:
    """The landscape's contour with whole paths on it: ``(label, colour, points)``,
    or ``(label, colour, points, dashed)``."""
    fig = go.Figure(figures.contour_figure(landscape.name))
    fig.update_traces(showscale=False)
    for label, color, pts, *dashed in paths:
        ok = np.isfinite(pts).all(axis=1)
        pts = pts[ok]
        if not len(pts):
            continue
        dash = "dash" if dashed and dashed[0] else "solid"
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", name=label,
                                 line={"color": color, "width": 2.2, "dash": dash}, hoverinfo="name"))
        fig.add_trace(go.Scatter(x=pts[-1:, 0], y=pts[-1:, 1], mode="markers", showlegend=False,
                                 marker={"color": color, "size": 9, "line": {"color": "white", "width": 1.5}},
                                 hoverinfo="skip"))
    start = paths[0][2][0]
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                             marker={"color": figures.START_COLOR, "size": 12,
                                     "line": {"color": "white", "width": 2}}))
    fig.update_layout(showlegend=True, margin={"l": 44, "r": 8, "t": 8, "b": 40, "autoexpand": True},
                      legend={"orientation": "h", "y": -0.14, "x": 0}, font=FONT, meta=None)
    return fig


def _line_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 56, "r": 10, "t": 64, "b": 36}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white", hovermode="x unified",
                      legend={"orientation": "h", "y": 0.995, "yanchor": "top", "x": 0,
                              "yref": "container"})
    fig.update_xaxes(gridcolor="#e5e7eb", zeroline=False)
    fig.update_yaxes(gridcolor="#e5e7eb", zeroline=False, exponentformat="power")
    return fig


def belief_charts(run: lessons.BeliefRun) -> go.Figure:
    """Three rows: AdaBelief's gradient g_t against its prediction m_t with the band
    m_t ± √ŝ_t (the belief), along each of the scene's two directions; the two
    denominators per coordinate; and the step each optimizer takes along each direction."""
    (d0, _), (d1, _) = run.directions
    fig = make_subplots(rows=3, cols=2, shared_xaxes=True, vertical_spacing=0.09,
                        horizontal_spacing=0.1,
                        subplot_titles=[f"g and its prediction m, {d0}",
                                        f"g and its prediction m, {d1}",
                                        "denominator, coordinate x", "denominator, coordinate y",
                                        f"|step| {d0}", f"|step| {d1}"])
    epochs = np.arange(1, run.steps + 1)
    belief_color = figures.COLORS["adabelief"]
    g, m, band = run.belief["g"], run.belief["m"], run.belief["band"]
    for col in (0, 1):
        first = col == 0
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col] + band[:, col], mode="lines",
                                 line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup="band"), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col] - band[:, col], mode="lines",
                                 line={"width": 0}, fill="tonexty", fillcolor="rgba(124,58,237,0.16)",
                                 name="m ± √ŝ: how far g strays", legendgroup="band",
                                 showlegend=first, hoverinfo="skip"), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=g[:, col], mode="markers", name="g (gradient)",
                                 legendgroup="g", showlegend=first,
                                 marker={"color": "#94a3b8", "size": 3}), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col], mode="lines", name="m (its prediction)",
                                 legendgroup="m", showlegend=first,
                                 line={"color": belief_color, "width": 1.6}), row=1, col=col + 1)
    names = {"adam": ("Adam: √v̂", figures.COLORS["adam"]),
             "adabelief": ("AdaBelief: √ŝ", belief_color)}
    for name, (label, color) in names.items():
        for col in (0, 1):
            fig.add_trace(go.Scatter(x=epochs, y=run.denominators[name][:, col], name=label,
                                     legendgroup=name, showlegend=col == 0,
                                     line={"color": color, "width": 1.6}), row=2, col=col + 1)
            fig.add_trace(go.Scatter(x=epochs, y=run.projected_steps[name][:, col],
                                     name=label.split(":")[0] + " step", legendgroup=name,
                                     showlegend=False, line={"color": color, "width": 1.2}),
                          row=3, col=col + 1)
    fig.update_yaxes(type="log", row=2)
    for col in (0, 1):  # a first step of 1e-16 along one direction would squash the rest
        sizes = np.concatenate([run.projected_steps[n][:, col] for n in names])
        sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
        if len(sizes):
            lo, hi = np.log10(np.percentile(sizes, 2)), np.log10(sizes.max())
            fig.update_yaxes(type="log", range=[lo - 0.3, hi + 0.3], row=3, col=col + 1)
    fig.update_xaxes(title_text="epoch", row=3)
    fig.update_annotations(font_size=12)
    return _line_layout(fig, 680)


def loss_and_lr(result, labels: list[str], colors: list[str],
                dashed: list[bool] | None = None) -> go.Figure:
    """The cost of each run over the epochs, and the learning rate it used underneath."""
    dashed = dashed or [False] * len(labels)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38],
                        vertical_spacing=0.08, subplot_titles=["cost f − f_min (log)",
                                                               "learning rate η_t"])
    ref = result.landscape.f_min or 0.0
    for i, (label, color, dash) in enumerate(zip(labels, colors, dashed, strict=True)):
        pts, losses = result.path(i)
        gap = np.maximum(losses - ref, 1e-16)
        style = "dash" if dash else "solid"
        fig.add_trace(go.Scatter(x=np.arange(len(gap)), y=gap, name=label, legendgroup=label,
                                 line={"color": color, "width": 1.8, "dash": style}), row=1, col=1)
        fig.add_trace(go.Scatter(x=np.arange(1, result.steps + 1), y=result.lrs[i], name=label,
                                 legendgroup=label, showlegend=False,
                                 line={"color": color, "width": 1.5, "dash": style}), row=2, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    return _line_layout(fig, 470)


def ewc_paths(run: lessons.EwcRun) -> list[tuple[str, str, np.ndarray]]:
    """The three ways of training on task B: ``(label, colour, path)``."""
    return [("then B alone", "#dc2626", run.plain), ("then B with EWC", "#16a34a", run.ewc),
            ("then B with L2", "#9333ea", run.l2)]


def ewc_map(run: lessons.EwcRun) -> go.Figure:
    """Both tasks' contours together, and the three paths."""
    (x0, x1), (y0, y1) = lessons.EWC_DOMAIN
    xs, ys = np.linspace(x0, x1, 160), np.linspace(y0, y1, 160)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    fig = go.Figure()
    for task, color in ((lessons.TASK_A, "#2563eb"), (lessons.TASK_B, "#ea580c")):
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
    fig.add_trace(go.Scatter(x=[lessons.EWC_START[0]], y=[lessons.EWC_START[1]], mode="markers",
                             name="start", marker={"color": figures.START_COLOR, "size": 11}))
    axis = {"zeroline": False, "showgrid": False, "constrain": "domain"}
    fig.update_layout(xaxis={**axis, "range": [x0, x1], "title": {"text": "θ₁"}},
                      yaxis={**axis, "range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x"},
                      margin={"l": 44, "r": 8, "t": 8, "b": 40}, font=FONT, height=470,
                      legend={"orientation": "h", "y": -0.12, "x": 0},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="#fcfcfd")
    return fig


def ewc_losses(run: lessons.EwcRun) -> go.Figure:
    """Task A's and task B's loss over both phases, without and with EWC."""
    n = run.steps
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=["task A's loss (what is forgotten)", "task B's loss"])
    for col, task in ((1, lessons.TASK_A), (2, lessons.TASK_B)):
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
    return _line_layout(fig, 470)


# -- Pages ------------------------------------------------------------------------------
def _select(id_: str, label: str, options: list[tuple[str, str]], value: str,
            wide: bool = False) -> dmc.Select:
    return dmc.Select(id=id_, label=label, data=[{"value": v, "label": t} for v, t in options],
                      value=value, size="xs", allowDeselect=False,
                      className="lesson-select wide" if wide else "lesson-select")


def _page(title: str, intro, controls: list, body: list, error_id: str) -> html.Div:
    return html.Div([
        html.Div([
            html.H2(title),
            html.Div(intro, className="hint"),
            html.Div(controls, className="lesson-controls"),
            html.Div(id=error_id, className="notice", role="alert"),
        ], className="lesson-head"),
        *body,
    ], className="lesson")


ADAM_LINES = [
    (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", False),
    (r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", True),
    (r"\hat m_t = m_t/(1-\beta_1^t),\quad \hat v_t = v_t/(1-\beta_2^t)", False),
    (r"\theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)", True),
]
BELIEF_LINES = [
    (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", False),
    (r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \epsilon", True),
    (r"\hat m_t = m_t/(1-\beta_1^t),\quad \hat s_t = s_t/(1-\beta_2^t)", False),
    (r"\theta_t = \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat s_t} + \epsilon)", True),
]


def algorithm(title: str, lines: list[tuple[str, bool]]) -> html.Div:
    """An algorithm typeset line by line; the lines that differ are highlighted."""
    return html.Div([html.H4(title), *(
        dcc.Markdown(f"$${tex}$$", mathjax=True, className="algo-line diff" if differs else "algo-line")
        for tex, differs in lines)], className="algo")


def belief_page() -> html.Div:
    scene = lessons.BELIEF_SCENES["abs_skew"]
    controls = [
        _select(ids.BELIEF_SCENE, "scene",
                [(k, landscapes.get(s.landscape).title) for k, s in lessons.BELIEF_SCENES.items()],
                scene.key),
        dmc.TextInput(id=ids.BELIEF_LR, label="learning rate (both)", value=repr(scene.lr), **BOX),
        dmc.TextInput(id=ids.BELIEF_STEPS, label=f"epochs (1–{lessons.MAX_LESSON_STEPS:,})",
                      value=str(scene.steps), **BOX),
    ]
    formulas = html.Div([
        algorithm("Adam", ADAM_LINES),
        algorithm("AdaBelief", BELIEF_LINES),
        html.Div("The one difference, highlighted: Adam divides by the root of the moving average "
                 "of g², the gradient's size; AdaBelief divides by the root of the moving average "
                 "of (g − m)², how far the gradient strays from its prediction m (plus ε). Where "
                 "the gradient matches its prediction, ŝ is small and AdaBelief's step is large; "
                 "where it keeps surprising, ŝ is large and the step small.", className="hint algo-note"),
    ], className="algos")
    body = [formulas, html.Div(id=ids.BELIEF_NOTE, className="lesson-note"), html.Div([
        dcc.Graph(id=ids.BELIEF_MAP, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=ids.BELIEF_CHARTS, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    intro = ("Adam and AdaBelief with the same learning rate and betas (torch's defaults), "
             "from the same start.")
    return _page("Adam vs AdaBelief", intro, controls, body, ids.BELIEF_ERROR)


def lr_page() -> html.Div:
    d = lessons.LrSettings()
    controls = [
        _select(ids.LR_SCENE, "scene", [(k, sc.title) for k, sc in lessons.LR_SCENES.items()], "bowl",
                wide=True),
        _select(ids.LR_LANDSCAPE, "landscape", [(ls.name, ls.title) for ls in landscapes.all_landscapes()],
                d.landscape),
        _select(ids.LR_OPTIMIZER, "optimizer", [(n, i.title) for n, i in optimizers.OPTIMIZERS.items()],
                d.optimizer),
        dmc.TextInput(id=ids.LR_LRS, label=f"learning rates (up to {lessons.MAX_LRS})",
                      value=", ".join(map(repr, d.lrs)), size="xs", debounce=400, className="lrs-input"),
        _select(ids.LR_SCHEDULE, "schedule", list(lessons.LR_SCHEDULES.items()), d.schedule),
        dmc.TextInput(id=ids.LR_WARMUP, label="warmup steps", value=str(d.warmup), **BOX),
        dmc.TextInput(id=ids.LR_GAMMA, label="γ (step / exp.)", value="", placeholder="0.5 / 0.98", **BOX),
        dmc.TextInput(id=ids.LR_STEP_SIZE, label="step: every", value=str(d.step_size), **BOX),
        dmc.TextInput(id=ids.LR_DECAY, label="inverse-time decay", value=repr(d.decay), **BOX),
        dmc.TextInput(id=ids.LR_STEPS, label="epochs", value=str(d.steps), **BOX),
        dmc.TextInput(id=ids.LR_START, label="start x, y", value="", placeholder="its own",
                      size="xs", debounce=400, className="start-input"),
        dmc.Switch(id=ids.LR_COMPARE, label="with and without warmup", checked=d.compare,
                   size="sm", className="lesson-switch"),
    ]
    intro = ("One optimizer at several learning rates at once, from one start (the landscape's "
             "own unless you set one). "
             "Too small crawls; too large overshoots, bounces or diverges. The chart under the "
             "cost shows the learning rate each run used at every epoch: pick a schedule "
             "(warmup, step, exponential, cosine, inverse-time) to see what it does to the same "
             "runs. Warmup steps apply on top of any schedule; \"with and without warmup\" "
             "draws each run again without it (dashed), on the same map and chart.")
    body = [html.Div(id=ids.LR_NOTE, className="lesson-note"), html.Div([
        dcc.Graph(id=ids.LR_MAP, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=ids.LR_CHARTS, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    return _page("Learning rate: too small, too large, warmup and decay", intro, controls, body,
                 ids.LR_ERROR)


def ewc_page() -> html.Div:
    controls = [
        _select(ids.EWC_OPTIMIZER, "optimizer", [(n, i.title) for n, i in optimizers.OPTIMIZERS.items()],
                "adam"),
        dmc.TextInput(id=ids.EWC_LR, label="learning rate", value="0.05", **BOX),
        dmc.TextInput(id=ids.EWC_LAMBDA, label=f"λ (0–{lessons.MAX_LAMBDA:g})",
                      value=f"{lessons.DEFAULT_LAMBDA:g}", **BOX),
        dmc.TextInput(id=ids.EWC_STEPS, label="epochs per task", value="300", **BOX),
    ]
    intro = [
        "Two tasks, each a loss over the same two weights θ = (θ₁, θ₂), with its own minimum. "
        "Train on task A to its minimum θ*_A, then on task B. Plain training walks to B's "
        "minimum and forgets A: task A's loss climbs back. Elastic weight consolidation trains "
        "on ",
        dcc.Markdown(r"$L_B(\theta) + \frac{\lambda}{2}\sum_i F_i\,(\theta_i - \theta^*_{A,i})^2$",
                     mathjax=True, className="inline-math"),
        ", which holds the weights task A depends on most near where they were, and lets the "
        "others move. F is the diagonal of task A's curvature at θ*_A (its Hessian diagonal, "
        "which the diagonal Fisher information approximates when there is plenty of data). "
        "The average squared gradient cannot serve here: at A's minimum the gradient is zero, "
        "so its square is zero and would protect nothing. The third path is a plain L2 "
        "penalty of the same λ, every F_i = 1: it holds every weight alike, the one task B "
        "needs as firmly as the one task A needs.",
    ]
    body = [html.Div(id=ids.EWC_NOTE, className="lesson-note"), html.Div([
        dcc.Graph(id=ids.EWC_MAP, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=ids.EWC_CHARTS, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    return _page("Catastrophic forgetting and EWC", intro, controls, body, ids.EWC_ERROR)
