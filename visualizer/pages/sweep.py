"""The learning-rate sweep: from the race's start, each ticked optimizer (its
other settings as set) at every learning rate of a log grid, for the race's
epochs; the final cost (or the epochs to reach the minimum) against the
learning rate, one curve per optimizer, each ending where it diverges. The band
of learning rates within a chosen factor of each optimizer's best is drawn and
printed. Click a point: that optimizer's learning rate is set in the race."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from dash import html
from plotly.subplots import make_subplots

from landscapes.number_text import exact
from visualizer import engine
from visualizer.engine import export, many, optimizers
from visualizer.pages import Page, common, kit
from visualizer.pages.kit import FONT, Field
from visualizer.ui import figures

KEY = "sweep"
I = common.Ids(KEY, "lrs", "within", "metric")  # noqa: E741
METRICS = {"cost": "final cost", "epochs": "epochs to the minimum"}
MAX_FACTOR = 1e6


def compute(race_query: str, lo: float, hi: float, n: int, progress=lambda done: None) -> dict:
    """The sweep of the race's scene (its canonical link) over this log range."""
    ls, specs, start, steps, _ = common.race_scene(race_query)
    sw = many.sweep(ls, specs, start, many.log_lrs(lo, hi, n), steps, progress=progress)
    return {"landscape": ls.name, "specs": specs, "start": start, "steps": steps, "lrs": sw.lrs,
            "result": sw.result}


def as_sweep(data: dict) -> many.Sweep:
    import landscapes

    return many.Sweep(landscapes.get(data["landscape"]), data["start"], data["steps"],
                      data["specs"], data["lrs"], data["result"])


def parse_factor(text: object) -> float:
    """The band's factor, from 1 to MAX_FACTOR, or FieldError."""
    return engine.Range(1.0, MAX_FACTOR).parse("within", text if text is None else str(text))


FORM = kit.Form(
    I,
    common.lrs_field("1e-05:10:60"),
    Field("within", "10", parse_factor, exact),
    Field("metric", "cost", lambda v: v if v in METRICS else "cost", choices=METRICS),
)


def parse(race_query, *boxes) -> tuple[tuple, dict, dict]:
    """The boxes (:data:`FORM`) and the race's scene as the sweep's arguments, its view
    and its link's parameters; FieldError (or the job's budget) for a bad box."""
    s = FORM.parse(*boxes)
    lo, hi, n = s["lrs"]
    ls, specs, _, steps, canonical = common.race_scene(race_query)
    groups = {(s.optimizer, tuple(sorted(s.hypers.items()))) for s in specs}
    many.check_job(ls, len(groups), n * len(specs), 1, steps, "learning rates")
    return ((canonical, lo, hi, n), {"factor": s["within"], "metric": s["metric"]},
            FORM.link(s, page=False))


def band_text(sw: many.Sweep, factor: float) -> str:
    parts = []
    for spec, band in zip(sw.specs, sw.band(factor), strict=True):
        title = optimizers.info(spec.optimizer).title
        parts.append(f"{title}: every run diverged" if band is None
                     else f"{title} works from {band[0]:.2g} to {band[1]:.2g}")
    return (f"Within {exact(factor)}× of each optimizer's best final cost (after {sw.steps:,} epochs): "
            + "; ".join(parts) + ".")


def figure(sw: many.Sweep, factor: float, metric: str) -> go.Figure:
    """The metric against the lr, one curve per optimizer (an ✕ where it first
    diverges); under it, each optimizer's band."""
    n_opt = len(sw.specs)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.72, 0.28])
    gap = sw.gap()
    r = sw.result
    for o, spec in enumerate(sw.specs):
        name = spec.optimizer
        title, color = optimizers.info(name).title, figures.COLORS[name]
        rows = slice(o * len(sw.lrs), (o + 1) * len(sw.lrs))
        div = r.diverged_at[rows, 0] >= 0
        if metric == "epochs":
            y = np.where(r.epochs[rows, 0] >= 0, r.epochs[rows, 0], np.nan).astype(float)
        else:
            y = np.maximum(gap[o], 1e-16)
        y = np.where(div, np.nan, y)
        fig.add_trace(go.Scatter(x=sw.lrs, y=y, mode="lines+markers", name=title,
                                 line={"color": color, "width": 2}, marker={"size": 4},
                                 customdata=[name] * len(sw.lrs),
                                 hovertemplate="lr %{x:.3g}: %{y:.4g}<extra>" + title + "</extra>"),
                      row=1, col=1)
        if div.any():
            j = int(np.argmax(div))
            last = y[:j][np.isfinite(y[:j])]
            fig.add_trace(go.Scatter(
                x=[sw.lrs[j]], y=[last[-1] if len(last) else 1.0], mode="markers",
                marker={"symbol": "x", "size": 11, "color": color, "line": {"width": 1}},
                name=f"{title} diverges", showlegend=False, customdata=[name],
                hovertemplate=f"{title} diverges from lr %{{x:.3g}}<extra></extra>"), row=1, col=1)
        band = sw.band(factor)[o]
        if band is not None:
            fig.add_trace(go.Scatter(x=list(band), y=[title, title], mode="lines+markers",
                                     line={"color": color, "width": 7}, marker={"size": 9},
                                     showlegend=False, customdata=[name, name],
                                     hovertemplate=f"{title}: %{{x:.3g}}<extra>works</extra>"),
                          row=2, col=1)
    fig.update_xaxes(type="log", exponentformat="power", gridcolor="#e5e7eb")
    fig.update_xaxes(title_text="learning rate", row=2, col=1)
    fig.update_yaxes(gridcolor="#e5e7eb", row=1, col=1,
                     title_text="epochs to the minimum" if metric == "epochs" else "final cost − f_min",
                     type="linear" if metric == "epochs" else "log", exponentformat="power")
    fig.update_yaxes(row=2, col=1, autorange="reversed", showgrid=False)
    fig.update_layout(height=380 + 22 * n_opt, margin={"l": 70, "r": 12, "t": 30, "b": 40},
                      font=FONT, paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      hovermode="closest", clickmode="event")
    return fig


def render(data: dict, view: dict) -> tuple:
    sw = as_sweep(data)
    return (figure(sw, view["factor"], view["metric"]), [],
            band_text(sw, view["factor"]) + " Click a point to set that learning rate in the race.")


def layout() -> html.Div:
    controls = [
        kit.text_box(FORM, "lrs", "learning rates LO:HI:N (log)"),
        kit.text_box(FORM, "within", "works: within × of its best"),
        kit.segmented(I.metric, METRICS, FORM.default("metric")),
    ]
    intro = ("From the start on the Compare optimizers page, each ticked optimizer (with its other "
             "settings) at every learning rate of a log grid, for the same epochs: the fair "
             "comparison, with more than one learning rate tried for each and the same step budget. "
             "A curve ends with an ✕ where its optimizer starts to diverge; under the chart, the band "
             "of learning rates that work.")
    return common.frame(I, "Which learning rates work", intro, controls, "run")


def csv(data: dict) -> tuple[tuple[str, ...], export.Table, str]:
    """Every run: optimizer, lr, final cost, epochs, the epoch it diverged."""
    return export.SWEEP_COLUMNS, export.sweep_table(as_sweep(data)), f"sweep_{data['landscape']}.csv"


PAGE = Page(KEY, "LR sweep", layout, 70)
update, job = common.register_view(I, KEY, "sweep", FORM.inputs(), parse, compute, render, csv)


def _race_link(point: dict, race_query: str) -> str:
    """A clicked point sets that optimizer's learning rate in the race, and shows the race."""
    name, lr = point["customdata"], float(point["x"])
    _, specs, _, _, _ = common.race_scene(race_query)
    spec = next(s for s in specs if s.optimizer == name)
    new = engine.make_spec(name, lr=float(f"{lr:.3g}"), decay=spec.decay, schedule=spec.schedule,
                           **spec.hypers, **spec.schedule_params)
    return common.race_link(race_query, set_opt=new)


boxes = kit.fill_from_link(KEY, FORM.outputs(), FORM.from_link)  # the race takes the scene from the same link
pick = common.register_pick(I, [], _race_link)
