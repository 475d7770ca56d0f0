"""Basins: where each start ends up. For the race's landscape, ticked optimizers
and epochs, every start of a grid over the map is run, and each optimizer gets a
small map coloured by the listed minimum its run ends in (pale where it took
many epochs to get there), or by the final cost. Click a pixel: that start
becomes the race's."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from dash import html
from plotly.subplots import make_subplots

from visualizer.engine import export, many, optimizers
from visualizer.pages import Page, common, kit
from visualizer.pages.kit import FONT, Field

KEY = "basins"
I = common.Ids(KEY, "grid", "colour")  # noqa: E741
COLOURINGS = {"outcome": "where it ends", "cost": "final cost (log)"}
MINIMUM_COLORS = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777",
                  "#4b5563"]
ELSEWHERE_COLOR, DIVERGED_COLOR = "#d1d5db", "#111827"
HOVER_CELLS = 160 * 160
"""Above this many cells per map the hover shows the start and the value only (no text)."""


# -- The model: computed once per scene for the class ---------------------------------------
def compute(race_query: str, grid: int, progress=lambda done: None) -> dict:
    """The basin map of the race's scene (its canonical link) at this grid."""
    ls, specs, _, steps, _ = common.race_scene(race_query)
    return data_of(many.basins(ls, specs, steps, grid, progress=progress))


def data_of(bm: many.BasinMap) -> dict:
    """A basin map as the page keeps it (and the notebook draws it): plain data."""
    return {"landscape": bm.landscape.name, "specs": bm.specs, "steps": bm.steps, "xs": bm.xs,
            "ys": bm.ys, "result": bm.result, "share": bm.share_global()}


def basin_map(data: dict) -> many.BasinMap:
    """The cached result as the model's :class:`visualizer.engine.many.BasinMap`."""
    import landscapes

    return many.BasinMap(landscapes.get(data["landscape"]), data["specs"], data["steps"],
                         data["xs"], data["ys"], data["result"])


FORM = kit.Form(
    I,
    Field("grid", str(many.DEFAULT_GRID), many.check_grid),
    Field("colour", "outcome", lambda v: v if v in COLOURINGS else "outcome", link="color",
          choices=COLOURINGS),
)


def parse(race_query, *boxes) -> tuple[tuple, str, dict]:
    """The page's boxes (:data:`FORM`): the computation's arguments, the colouring, the
    link's parameters."""
    s = FORM.parse(*boxes)
    grid = s["grid"]
    ls, specs, _, steps, canonical = common.race_scene(race_query)
    groups = {(s.optimizer, tuple(sorted(s.hypers.items()))) for s in specs}
    many.check_job(ls, len(groups), len(specs), grid * grid, steps, "grid cells")
    return (canonical, grid), s["colour"], FORM.link(s, page=False)


CLICK = " Click a pixel to make it the race's start."


def render(data: dict, colouring: str) -> tuple:
    return figure(data, colouring), legend(data, colouring), summary(data) + CLICK


# -- The view --------------------------------------------------------------------------------
def _pale(color: str, amount: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def outcome_colorscale(n_minima: int) -> list:
    """Minimum i from its colour (few epochs) to pale (many), then elsewhere, then diverged."""
    n = n_minima + 2
    stops = []
    for i in range(n_minima):
        base = MINIMUM_COLORS[i % len(MINIMUM_COLORS)]
        stops += [[i / n, base], [(i + 1) / n - 1e-6, _pale(base, 0.8)]]
    stops += [[n_minima / n, ELSEWHERE_COLOR], [(n_minima + 1) / n - 1e-6, ELSEWHERE_COLOR],
              [(n_minima + 1) / n, DIVERGED_COLOR], [1.0, DIVERGED_COLOR]]
    return stops


def figure(data: dict, colouring: str) -> go.Figure:
    """One small map per optimizer, side by side (four to a row)."""
    import landscapes

    ls = landscapes.get(data["landscape"])
    names = [spec.optimizer for spec in data["specs"]]
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.04, vertical_spacing=0.1,
                        subplot_titles=[optimizers.info(n).title for n in names])
    xs, ys, steps = data["xs"], data["ys"], data["steps"]
    n_min = len(ls.minima)
    hover = len(xs) * len(ys) <= HOVER_CELLS
    for s, _ in enumerate(names):
        result = data["result"]
        code = result.outcome[s].reshape(len(ys), len(xs))
        epochs = result.epochs[s].reshape(len(ys), len(xs))
        loss = result.loss[s].reshape(len(ys), len(xs))
        if colouring == "cost":
            with np.errstate(all="ignore"):
                z = np.log10(np.maximum(loss - (ls.f_min or 0.0), 1e-16))
            z = np.where(code == many.DIVERGED, np.nan, z)
            trace = dict(z=z, colorscale="Viridis", zmin=-16 if ls.minima else None,
                         colorbar={"title": {"text": "log₁₀ cost" + (" − f_min" if ls.minima else "")},
                                   "len": 0.9} if s == 0 else None, showscale=s == 0)
        else:
            z = np.where(code >= 0, code + 0.98 * np.clip(epochs, 0, steps) / steps,
                         np.where(code == many.ELSEWHERE, n_min + 0.5, n_min + 1.5))
            trace = dict(z=z, colorscale=outcome_colorscale(n_min), zmin=0, zmax=n_min + 2,
                         showscale=False)
        text = None
        if hover:
            text = np.where(code == many.DIVERGED, "diverged",
                            np.where(code == many.ELSEWHERE, "no listed minimum",
                                     np.char.add(np.char.add("min", code.astype(str)), ", ")))
            text = np.where(code >= 0, np.char.add(np.char.add(text, epochs.astype(str)), " epochs"), text)
            text = np.char.add(np.char.add(text, "; cost "), np.char.mod("%.4g", loss))
        fig.add_trace(go.Heatmap(x=xs, y=ys, text=text, name=optimizers.info(names[s]).title,
                                 hovertemplate="start (%{x:.3f}, %{y:.3f})<br>"
                                 + ("%{text}" if hover else "%{z:.3g}") + "<extra>%{fullData.name}</extra>",
                                 **trace),
                      row=s // cols + 1, col=s % cols + 1)
    (x0, x1), (y0, y1) = ls.domain
    for i in range(1, len(names) + 1):
        suffix = "" if i == 1 else str(i)
        fig.layout[f"xaxis{suffix}"].update(range=[x0, x1], showgrid=False, zeroline=False,
                                            constrain="domain")
        fig.layout[f"yaxis{suffix}"].update(range=[y0, y1], showgrid=False, zeroline=False,
                                            scaleanchor=f"x{suffix}", constrain="domain")
    for m in ls.minima:
        for i in range(len(names)):
            fig.add_trace(go.Scatter(x=[m.point[0]], y=[m.point[1]], mode="markers",
                                     marker={"symbol": "x", "size": 7, "color": "white",
                                             "line": {"color": "#111827", "width": 1}},
                                     hoverinfo="skip", showlegend=False),
                          row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=300 * rows + 40, margin={"l": 36, "r": 12, "t": 36, "b": 24}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor=DIVERGED_COLOR, showlegend=False,
                      clickmode="event")
    return fig


def legend(data: dict, colouring: str) -> list:
    import landscapes

    if colouring == "cost":
        return [html.Span("Colour: the final cost on a log scale; black: diverged.", className="hint")]
    ls = landscapes.get(data["landscape"])
    items = []
    for i, m in enumerate(ls.minima):
        items.append(html.Span([html.Span(className="swatch", style={
            "background": MINIMUM_COLORS[i % len(MINIMUM_COLORS)]}),
            f"min{i}: {m.kind} ({m.point[0]:.3g}, {m.point[1]:.3g})"], className="legend-item"))
    items += [html.Span([html.Span(className="swatch", style={"background": c}), label],
                        className="legend-item")
              for c, label in ((ELSEWHERE_COLOR, "no listed minimum"), (DIVERGED_COLOR, "diverged"))]
    items.append(html.Span("Paler: more epochs to get within "
                           f"{many.tolerance(ls):.3g} of it.", className="hint"))
    return items


def summary(data: dict) -> str:
    import landscapes

    ls = landscapes.get(data["landscape"])
    if not any(m.kind == "global" for m in ls.minima):
        return "This landscape lists no minimum: colour by the final cost."
    shares = ", ".join(f"{optimizers.info(spec.optimizer).title} {100 * share:.1f} %"
                       for spec, share in zip(data["specs"], data["share"], strict=True))
    n = len(data["xs"])
    return (f"Share of the {n * n:,} starts that end in a global minimum after {data['steps']:,} "
            f"epochs: {shares}.")


def layout() -> html.Div:
    controls = [
        kit.text_box(FORM, "grid", f"grid (2–{many.MAX_GRID} per side)"),
        kit.segmented(I.colour, COLOURINGS, FORM.default("colour")),
    ]
    intro = ("Every start on a grid over the map, for the landscape, the ticked optimizers (with "
             "their settings) and the epochs of the Compare optimizers page: one small map per "
             "optimizer, coloured by the listed minimum its run ends in. Which starts lead where "
             "is the basin of each minimum, and it differs from one optimizer to the next.")
    return common.frame(I, "Where each start ends up", intro, controls, "cell")


def csv(data: dict) -> tuple[tuple[str, ...], export.Table, str]:
    """Every cell: optimizer, start, final point and cost, outcome, epochs."""
    return export.BASINS_COLUMNS, export.basins_table(basin_map(data)), f"basins_{data['landscape']}_{len(data['xs'])}.csv"


PAGE = Page(KEY, "Basins", layout, 60)


# -- The callbacks ---------------------------------------------------------------------------
update, job = common.register_view(I, KEY, "basins", FORM.inputs(), parse, compute, render, csv)


def _race_link(point: dict, race_query: str) -> str:
    """A clicked pixel becomes the race's start, and the race is shown."""
    return common.race_link(race_query, start=(float(point["x"]), float(point["y"])))


boxes = kit.fill_from_link(KEY, FORM.outputs(), FORM.from_link)  # the race takes the scene from the same link
pick = common.register_pick(I, [], _race_link)
