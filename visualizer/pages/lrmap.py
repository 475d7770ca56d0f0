"""The (lr, momentum) map: heavy-ball momentum, Nesterov, or the Adam family's
β1, at every (learning rate, momentum) pair of a grid, from the race's start on
its landscape for its epochs; coloured by the final cost (or the epochs to the
minimum), divergence in its own colour, the race's current setting marked.
On the ill-conditioned bowl the stability edge that the quadratic's closed form
gives, lr < 2(1 + β)/L, is drawn over it. Click a cell: the race takes it."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from dash import State, html

import landscapes
from landscapes import teaching
from landscapes.number_text import rounded
from visualizer import engine
from visualizer.engine import export, many, optimizers
from visualizer.engine.fields import FieldError
from visualizer.pages import Page, common, kit
from visualizer.pages.kit import FONT, Field

KEY = "lrmap"
I = common.Ids(KEY, "opt", "lrs", "betas", "metric")  # noqa: E741
METRICS = {"cost": "final cost", "epochs": "epochs to the minimum"}
MAX_BETAS = 200
DIVERGED_COLOR, NEVER_COLOR = "#7f1d1d", "#9ca3af"
CURVATURES = {"ill_conditioned_bowl": teaching.BOWL_CURVATURE}
"""Quadratic landscapes whose curvatures give the map's closed form."""


def parse_betas(text: object) -> int:
    """How many momentum values, a whole number from 2 to MAX_BETAS, or FieldError."""
    return int(engine.Range(2, MAX_BETAS, whole=True).parse("momentum values",
                                                              text if text is None else str(text)))


def compute(race_query: str, optimizer: str, lo: float, hi: float, n: int, n_betas: int,
            progress=lambda done: None) -> dict:
    ls, _, start, steps, _ = common.race_scene(race_query, need_ticked=False)
    mm = many.momentum_map(ls, optimizer, start, many.log_lrs(lo, hi, n), many.betas_grid(n_betas),
                           steps, progress=progress)
    return {"landscape": ls.name, "optimizer": optimizer, "hyper": mm.hyper, "start": start,
            "steps": steps, "lrs": mm.lrs, "betas": mm.betas, "result": mm.result}


def as_map(data: dict) -> many.MomentumMap:
    return many.MomentumMap(landscapes.get(data["landscape"]), data["optimizer"], data["hyper"],
                            data["start"], data["steps"], data["lrs"], data["betas"], data["result"])


def parse_optimizer(name: object) -> str:
    """An optimizer with a momentum (``many.MOMENTUM_HYPER``), or FieldError."""
    if name not in many.MOMENTUM_HYPER:
        raise FieldError("optimizer", f"choose from {', '.join(many.MOMENTUM_HYPER)}")
    return str(name)


FORM = kit.Form(
    I,
    Field("opt", "momentum", parse_optimizer, choices=many.MOMENTUM_HYPER),
    common.lrs_field("1e-4:1:60"),
    Field("betas", str(many.DEFAULT_BETAS), parse_betas),
    Field("metric", "cost", lambda v: v if v in METRICS else "cost", choices=METRICS),
)


def parse(race_query, *boxes) -> tuple[tuple, dict, dict]:
    """The boxes (:data:`FORM`) and the race's scene as the map's arguments, its view
    and its link's parameters; FieldError (or the job's budget) for a bad box."""
    s = FORM.parse(*boxes)
    optimizer, (lo, hi, n), n_betas = s["opt"], s["lrs"], s["betas"]
    ls, specs, _, steps, canonical = common.race_scene(race_query, need_ticked=False)
    many.check_job(ls, n_betas, n * n_betas, 1, steps, "cells")
    current = next((s for s in specs if s.optimizer == optimizer), None)
    mark = None
    if current is not None:
        mark = (current.lr, current.hypers.get(many.MOMENTUM_HYPER[optimizer]))
    return ((canonical, optimizer, lo, hi, n, n_betas), {"metric": s["metric"], "mark": mark},
            FORM.link(s, page=False))


def figure(mm: many.MomentumMap, metric: str, mark) -> go.Figure:
    r = mm.result
    code, epochs = mm.grid(r.outcome[:, 0]), mm.grid(r.epochs[:, 0])
    diverged = code == many.DIVERGED
    x = np.log10(mm.lrs)
    if metric == "epochs":
        z = np.where(epochs >= 0, epochs, np.nan).astype(float)
        title = "epochs to the minimum"
    else:
        with np.errstate(all="ignore"):
            z = np.log10(np.maximum(mm.grid(r.loss[:, 0]) - (mm.landscape.f_min or 0.0), 1e-16))
        title = "log₁₀ final cost" + (" − f_min" if mm.landscape.minima else "")
    z = np.where(diverged, np.nan, z)
    hyper = "β₁" if mm.hyper == "beta1" else "momentum μ"
    fig = go.Figure(go.Heatmap(x=x, y=mm.betas, z=z, colorscale="Viridis",
                               colorbar={"title": {"text": title}},
                               hovertemplate=f"lr 10^%{{x:.2f}}, {hyper} %{{y:.4f}}: %{{z:.3g}}<extra></extra>"))
    fig.add_trace(go.Heatmap(x=x, y=mm.betas, z=np.where(diverged, 1.0, np.nan), showscale=False,
                             colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]],
                             hovertemplate=f"lr 10^%{{x:.2f}}, {hyper} %{{y:.4f}}: diverged<extra></extra>"))
    curv = CURVATURES.get(mm.landscape.name)
    if curv is not None and mm.optimizer == "momentum":
        beta = np.linspace(0, many.MAX_BETA, 200)
        edge = 2 * (1 + beta) / max(curv)
        fig.add_trace(go.Scatter(x=np.log10(edge), y=beta, mode="lines", name="lr = 2(1 + μ)/L",
                                 line={"color": "white", "width": 2, "dash": "dash"},
                                 hovertemplate="closed form: diverges past lr = 2(1 + μ)/L<extra></extra>"))
    if mark is not None and mark[1] is not None:
        fig.add_trace(go.Scatter(x=[np.log10(mark[0])], y=[mark[1]], mode="markers",
                                 name="the race's setting",
                                 marker={"symbol": "star", "size": 16, "color": "#ef4444",
                                         "line": {"color": "white", "width": 1.5}}))
    ticks = [t for t in range(int(np.floor(x.min())), int(np.ceil(x.max())) + 1)]
    fig.update_xaxes(title_text="learning rate", tickvals=ticks, ticktext=[f"1e{t}" for t in ticks],
                     range=[x.min(), x.max()], showgrid=False)
    fig.update_yaxes(title_text=hyper, range=[0, 1], showgrid=False)
    fig.update_layout(height=520, margin={"l": 60, "r": 12, "t": 30, "b": 50}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor=NEVER_COLOR,
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      clickmode="event")
    return fig


def summary(mm: many.MomentumMap) -> str:
    r = mm.result
    diverged = float((r.outcome[:, 0] == many.DIVERGED).mean())
    reached = r.outcome[:, 0] >= 0
    title = optimizers.info(mm.optimizer).title
    text = (f"{title} on {mm.landscape.title} from ({rounded(mm.start[0])}, {rounded(mm.start[1])}), "
            f"{mm.steps:,} epochs: {100 * diverged:.0f} % of the cells diverge, "
            f"{100 * float(reached.mean()):.0f} % end at a listed minimum.")
    if reached.any():
        e = np.where(reached, r.epochs[:, 0], np.iinfo(np.int64).max)
        best = int(np.argmin(e))
        b, j = divmod(best, len(mm.lrs))
        text += (f" Fastest there: lr {mm.lrs[j]:.3g}, {mm.hyper} {mm.betas[b]:.3f} "
                 f"({int(r.epochs[best, 0])} epochs).")
    return text


def legend(mm: many.MomentumMap) -> list:
    items = [html.Span([html.Span(className="swatch", style={"background": DIVERGED_COLOR}),
                        "diverged"], className="legend-item"),
             html.Span([html.Span(className="swatch", style={"background": NEVER_COLOR}),
                        "never within reach of a listed minimum"], className="legend-item")]
    if mm.landscape.name in CURVATURES and mm.optimizer == "momentum":
        items.append(html.Span("Dashed: the closed form's edge, lr = 2(1 + μ)/L (L = the largest "
                               "curvature); heavy-ball diverges to its right.", className="hint"))
    return items


def render(data: dict, view: dict) -> tuple:
    mm = as_map(data)
    return (figure(mm, view["metric"], view["mark"]), legend(mm),
            summary(mm) + " Click a cell to set the race's optimizer to it.")


def layout() -> html.Div:
    controls = [
        kit.select(I.opt, "optimizer", [(n, f"{optimizers.info(n).title} ({h})")
                                        for n, h in many.MOMENTUM_HYPER.items()],
                   FORM.default("opt")),
        kit.text_box(FORM, "lrs", "learning rates LO:HI:N (log)"),
        kit.text_box(FORM, "betas", f"momentum values (2–{MAX_BETAS})"),
        kit.segmented(I.metric, METRICS, FORM.default("metric")),
    ]
    intro = ("Where in (learning rate, momentum) does the optimizer converge, oscillate or "
             "diverge? Every cell is one run from the start on the Compare optimizers page, on its "
             "landscape, for its epochs. Momentum values run from 0 to 0.999, denser near 1. Try "
             "the ill-conditioned bowl: the region where heavy-ball converges is the one "
             "\"Why Momentum Really Works\" derives for a quadratic.")
    return common.frame(I, "The (lr, momentum) map", intro, controls, "cell")


def csv(data: dict) -> tuple[tuple[str, ...], export.Table, str]:
    """Every cell: optimizer, lr, momentum, final cost, outcome, epochs, the epoch it diverged."""
    return export.MAP_COLUMNS, export.map_table(as_map(data)), f"lr_momentum_{data['landscape']}_{data['optimizer']}.csv"


PAGE = Page(KEY, "(lr, momentum) map", layout, 80)
update, job = common.register_view(I, KEY, "lrmap", FORM.inputs(), parse, compute, render, csv)


def _race_link(point: dict, race_query: str, optimizer: str) -> str:
    """A clicked cell sets the race's optimizer to that lr and momentum (ticking it)."""
    lr, beta = 10 ** float(point["x"]), float(point["y"])
    hyper = many.MOMENTUM_HYPER[optimizer]
    _, specs, _, _, _ = common.race_scene(race_query, need_ticked=False)
    old = next((s for s in specs if s.optimizer == optimizer), None)
    hypers = {**(old.hypers if old else {}), hyper: float(f"{beta:.4g}")}
    new = engine.make_spec(optimizer, lr=float(f"{lr:.3g}"), **hypers)
    return common.race_link(race_query, set_opt=new)


boxes = kit.fill_from_link(KEY, FORM.outputs(), FORM.from_link)  # the race takes the scene from the same link
pick = common.register_pick(I, [State(I.opt, "value")], _race_link)
