"""What the teaching pages share: their frame, their boxes, and a map of whole paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dash_mantine_components as dmc
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from landscapes import Landscape
from visualizer.ui import figures, ids
from visualizer.ui.text import link_is_for

MAX_LESSON_STEPS = 5000


FONT = {"family": "Inter, system-ui, sans-serif", "size": 12}


CONFIG = {"displaylogo": False, "scrollZoom": False,
          "toImageButtonOptions": {"format": "png", "scale": 2}}


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


def line_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 56, "r": 10, "t": 64, "b": 36}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white", hovermode="x unified",
                      legend={"orientation": "h", "y": 0.995, "yanchor": "top", "x": 0,
                              "yref": "container"})
    fig.update_xaxes(gridcolor="#e5e7eb", zeroline=False)
    fig.update_yaxes(gridcolor="#e5e7eb", zeroline=False, exponentformat="power")
    return fig


# -- Pages ------------------------------------------------------------------------------
def select(id_: str, label: str, options: list[tuple[str, str]], value: str,
            wide: bool = False) -> dmc.Select:
    return dmc.Select(id=id_, label=label, data=[{"value": v, "label": t} for v, t in options],
                      value=value, size="xs", allowDeselect=False,
                      className="lesson-select wide" if wide else "lesson-select")


def frame(title: str, intro, controls: list, body: list, error_id: str) -> html.Div:
    return html.Div([
        html.Div([
            html.H2(title),
            html.Div(intro, className="hint"),
            html.Div(controls, className="lesson-controls"),
            html.Div(id=error_id, className="notice", role="alert"),
        ], className="lesson-head"),
        *body,
    ], className="lesson")


# -- The page protocol: every teaching page's two callbacks, written once -------------------
def fill_from_link(key: str, outputs: list, read: Callable[[str], Sequence],
                   preset: tuple[str, Callable[[Any], Sequence]] | None = None) -> Callable:
    """Register "a link to this page sets its boxes": ``read(search)`` gives the
    boxes' values. With ``preset = (select id, values_of)``, picking a preset in
    that select sets the boxes to ``values_of(preset key)`` too (the select is
    then the first output). Returns the callback (a plain function)."""
    inputs = [Input(ids.STORE_URL, "data")] + ([Input(preset[0], "value")] if preset else [])

    @callback(*outputs, *inputs, prevent_initial_call=True)
    def fill(search, *picked):
        if preset is None or ctx.triggered_id == ids.STORE_URL:
            if not link_is_for(search, key):
                raise PreventUpdate
            return read(search)
        return preset[1](picked[0])

    return fill


def show_view(key: str, outputs: list[tuple[str, str]], error: str, query: str, inputs: list,
              settle: Callable[..., tuple[Sequence, str]]) -> Callable:
    """Register "while this page is shown, each change of its boxes parses them,
    runs, and shows the view (``settle(*values) -> (outputs' values, link)``), or
    shows the error under the boxes and keeps the last view". ``inputs`` are the
    boxes (Inputs, then States). Returns the callback (a plain function)."""

    @callback(*[Output(i, p) for i, p in outputs], Output(error, "children"), Output(query, "data"),
              Input(ids.page_shown(key), "data"), *inputs, prevent_initial_call=True)
    def update(page, *values):
        if page != key:
            raise PreventUpdate
        try:
            view, link = settle(*values)
        except (ValueError, KeyError) as exc:
            return (*[no_update] * len(outputs), str(exc).strip("'\""), no_update)
        return (*view, "", link)

    return update
