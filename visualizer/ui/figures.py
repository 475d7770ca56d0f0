"""Pure figure builders: landscape in, ``go.Figure`` (or a PNG data URI) out.

The map is two stacked graphs with the same plot geometry (:func:`plot_frame`):
the contour underneath, drawn once per landscape, and a transparent overlay on
top with the paths, the minima, the draggable start dot and an invisible
heatmap that reads out the cost and gradient under the mouse.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

import landscapes
from landscapes import Landscape
from visualizer.engine import optimizers

COLORS: dict[str, str] = {name: info.color for name, info in optimizers.OPTIMIZERS.items()}
"""One colour per optimizer (its registry entry's), used everywhere (paths, loss chart, table)."""

COLORBLIND_COLORS: dict[str, str] = {
    "gd": "#CC3311", "momentum": "#44AA99", "nesterov": "#332288", "adagrad": "#117733",
    "rmsprop": "#DDCC77", "adadelta": "#EE3377", "adam": "#000000", "amsgrad": "#009988",
    "adamw": "#D55E00", "adamax": "#009E73", "nadam": "#EE7733", "radam": "#AA4499",
    "adabelief": "#555555", "lion": "#E69F00",
}
"""Each optimizer's colour in the colour-blind palette (the header's switch,
``&palette=cb``; the browser swaps them in: core.js). Chosen among Okabe and Ito's and
Paul Tol's colours that stand 15 or more (CIEDE2000) from every colour of the map, so
that the least difference between two optimizers a preset draws together (and the
default four) is as large as can be, in normal vision and in simulated protanopia,
deuteranopia and tritanopia (Machado et al. 2009): 21.9 at worst, where the standard
colours fall to 11.2 under deuteranopia and 6.6 under tritanopia
(tests/test_claims.py checks it). An optimizer not listed keeps its own colour."""

# Light is low: cream at the minimum to a muted slate blue at the top, so that
# the saturated path colours stand out everywhere.
COLORSCALE = [
    [0.0, "#fffdf2"], [0.2, "#eef5e1"], [0.4, "#cfe3d6"], [0.6, "#a9c8cf"],
    [0.8, "#86a6be"], [1.0, "#62809f"],
]
START_COLOR = "#ff2d2d"
# Fixed (autoexpand off): the contour's colour bar must not widen its margin, or
# the two stacked plot areas would differ and the paths would miss the contours.
MARGIN = {"l": 52, "r": 96, "t": 16, "b": 44, "autoexpand": False}
GRID = 250  # contour resolution, as the classic figure
HOVER_GRID = 90  # cost/gradient read-out resolution


def grid(landscape: Landscape, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs (n,), ys (n,), f (n, n)`` over the landscape's domain (rows are y);
    NaN where f is not finite (a formula of your own may be undefined there)."""
    (x0, x1), (y0, y1) = landscape.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        z = np.array(np.broadcast_to(landscape.f(pts), pts.shape[:-1]), dtype=float)
    z[~np.isfinite(z)] = np.nan
    return xs, ys, z


def log_cost(landscape: Landscape, z: np.ndarray) -> tuple[np.ndarray, float]:
    """``log2(f - f_ref)`` with a floor, and ``f_ref`` (the minimum, or the grid's
    lowest value for a landscape unbounded below)."""
    ref = landscape.f_min if landscape.f_min is not None else float(np.nanmin(z))
    gap = np.maximum(z - ref, 0.0)
    top = float(np.nanmax(gap))
    floor = 2.0 ** (math.floor(math.log2(top)) - 18) if top > 0 else 1e-12
    return np.log2(np.maximum(gap, floor)), ref


def _power_label(k: int) -> str:
    """The colour bar's label for 2**k: written out from 1/8 to 4096 (at most five
    characters), else as the power. The title stands after the widest label, inside
    the fixed right margin (:data:`MARGIN`): a wider label ("0.03125", "16384") pushed
    it past the graph's edge, where it was cut off (on four of the 17 maps, and on
    some formulas of your own, such as x**2 + 3*sin(y))."""
    v = 2.0**k
    return f"{v:g}" if 1 / 8 <= v < 1e4 else f"2<sup>{k}</sup>"


def aspect(landscape: Landscape) -> float:
    """Height over width of the domain: the map's box is sized with it (style.css)."""
    (x0, x1), (y0, y1) = landscape.domain
    return (y1 - y0) / (x1 - x0)


def plot_frame(landscape: Landscape) -> dict:
    """Layout shared by the stacked graphs: same margins, ranges, no zoom."""
    (x0, x1), (y0, y1) = landscape.domain
    axis = {"fixedrange": True, "zeroline": False, "showgrid": False, "ticks": "outside"}
    return {
        "margin": MARGIN,
        "xaxis": {**axis, "range": [x0, x1], "title": {"text": "x"}, "constrain": "domain"},
        # True aspect ratio; both stacked graphs compute the same plot area from
        # the same size, margins and ranges, so they stay aligned.
        "yaxis": {**axis, "range": [y0, y1], "title": {"text": "y", "standoff": 4},
                  "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        "font": {"family": "Inter, system-ui, sans-serif", "size": 13},
    }


MAX_PEAKS = 500
"""The most peaks and pits (grid points above or below all eight neighbours) a map may
have and still be drawn as contour lines. plotly.js traces the lines in the browser in
a time that grows about as the square of their closed loops: on 2 cores in headless
Chromium, a map with 46 (Rosenbrock) took 0.2 s, 436 0.9 s, 960 2 s, 3,968 15 s and a
formula nested ten deep (6,836) 25 s, all that time the page frozen. Past this, or
past :data:`MAX_UNDEFINED`, the map is the same bands as a heatmap, without lines
(:func:`contour_figure`)."""

MAX_UNDEFINED = 0.25
"""The largest share of the map where f may be undefined (NaN) and its lines still be
traced: plotly.js fills the holes before tracing, which took 0.3 s for 3 % of the grid,
0.7 s for 20-28 % and 3-4 s for half of it (log(x) + y², √(xy))."""


def peaks(z: np.ndarray) -> int:
    """How many interior points of ``z`` lie strictly above, or strictly below, all
    eight neighbours (a NaN, or a point beside one, is neither)."""
    inner = z[1:-1, 1:-1]
    above, below = np.ones(inner.shape, dtype=bool), np.ones(inner.shape, dtype=bool)
    rows, cols = z.shape
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx or dy:
                near = z[1 + dy:rows - 1 + dy, 1 + dx:cols - 1 + dx]
                above &= inner > near
                below &= inner < near
    return int(above.sum() + below.sum())


@lru_cache(maxsize=64)
def contour_figure(name: str) -> go.Figure:
    """The landscape's contour map: log-spaced levels (powers of two of f - f_min),
    light for low cost, with a colour bar. z is float32 (sent as binary). A map whose
    lines the browser could not trace in about a second (over :data:`MAX_PEAKS` peaks
    and pits, or over :data:`MAX_UNDEFINED` of it undefined: a formula of your own can
    be either) gets the same bands as a heatmap, without lines."""
    landscape = landscapes.get(name)
    xs, ys, z = grid(landscape, GRID)
    lz, _ = log_cost(landscape, z)
    lo, hi = math.floor(float(np.nanmin(lz))), math.ceil(float(np.nanmax(lz)))
    lo = max(lo, hi - 24)  # at most 24 levels: deeper ones crowd the minimum
    ticks = list(range(lo, hi + 1, max(1, (hi - lo) // 6)))
    common = dict(
        x=xs.astype(np.float32), y=ys.astype(np.float32), colorscale=COLORSCALE,
        hoverinfo="skip", zmin=lo, zmax=hi,
        colorbar={
            "title": {"text": "f − f<sub>min</sub>", "side": "right"},
            "tickvals": ticks, "ticktext": [_power_label(k) for k in ticks],
            "thickness": 14, "len": 1.0, "x": 1.02, "xpad": 4, "outlinewidth": 0,
        },
    )
    if peaks(lz) <= MAX_PEAKS and np.isnan(lz).mean() <= MAX_UNDEFINED:
        trace = go.Contour(
            z=lz.astype(np.float32), contours={"start": lo, "end": hi, "size": 1, "coloring": "fill"},
            line={"width": 0.6, "color": "rgba(40,60,80,0.35)"}, **common)
    else:  # each band at its middle's colour, as a filled contour colours it
        with np.errstate(invalid="ignore"):
            band = np.clip(np.floor(lz), lo, hi - 1) + 0.5
        trace = go.Heatmap(z=band.astype(np.float32), **common)
    fig = go.Figure(trace)
    # the domain, for the player to hold both graphs to it (player.js: fitDomain)
    fig.update_layout(plot_frame(landscape), meta=[x for pair in landscape.domain for x in pair])
    return fig


@lru_cache(maxsize=64)
def contour_json(name: str) -> dict:
    """:func:`contour_figure` as the dict Dash sends (built once per landscape)."""
    return contour_figure(name).to_plotly_json()


@lru_cache(maxsize=64)
def _overlay_json(name: str) -> dict:
    landscape = landscapes.get(name)
    return overlay_figure(landscape, landscape.start).to_plotly_json()


def overlay_json(name: str, start: tuple[float, float]) -> dict:
    """:func:`overlay_figure` as the dict Dash sends: built once per landscape,
    then the start dot moved (a new layout and shape list; the traces are shared)."""
    base = _overlay_json(name)
    layout = {**base["layout"], "shapes": [start_shape(start)]}
    return {**base, "layout": layout}


def overlay_figure(landscape: Landscape, start: tuple[float, float]) -> go.Figure:
    """The transparent top graph: read-out heatmap, minima, and the start dot.

    Paths are added in the browser (the player); traces here carry
    ``meta="fixed"`` so the player keeps them.
    """
    xs, ys, z = grid(landscape, HOVER_GRID)
    pts = np.stack(np.meshgrid(xs, ys), axis=-1)
    g = landscape.grad(pts)
    readout = go.Heatmap(
        x=xs.astype(np.float32), y=ys.astype(np.float32), z=z.astype(np.float32),
        customdata=g.astype(np.float32), opacity=0, showscale=False, meta="fixed",
        hovertemplate="x = %{x:.3f}, y = %{y:.3f}<br>f = %{z:.4g}<br>"
        "∇f = (%{customdata[0]:.3g}, %{customdata[1]:.3g})<extra></extra>",
    )
    minima = minima_trace(landscape, meta="fixed",
                          text=[f"{m.kind} minimum<br>f = {m.value:.6g}" for m in landscape.minima],
                          hovertemplate="%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>")
    fig = go.Figure([readout, minima])
    layout = plot_frame(landscape)
    for ax in ("xaxis", "yaxis"):
        layout[ax] = {**layout[ax], "visible": False}
    fig.update_layout(layout, hovermode="closest", dragmode=False, shapes=[start_shape(start)],
                      meta=landscape.name,  # the player draws paths only on their own landscape
                      hoverlabel={"bgcolor": "white", "font": {"size": 13}})
    return fig


MINIMUM_SIZE = {"global": 15, "local": 11}
MINIMUM_COLOR = {"global": "#facc15", "local": "#fde68a"}
MINIMUM_EDGE = "#1f2937"
"""The minima's stars, by kind (the map, the notebook's figure, the animations)."""


def minima_trace(landscape: Landscape, **extra) -> go.Scatter:
    """The landscape's listed minima as stars (gold: global, pale: local)."""
    ms = landscape.minima
    return go.Scatter(x=[m.point[0] for m in ms], y=[m.point[1] for m in ms], mode="markers",
                      marker={"symbol": "star", "size": [MINIMUM_SIZE[m.kind] for m in ms],
                              "color": [MINIMUM_COLOR[m.kind] for m in ms],
                              "line": {"width": 1.2, "color": MINIMUM_EDGE}}, **extra)


def start_shape(start: tuple[float, float]) -> dict:
    """The red start dot: a 16-pixel circle anchored at the start, draggable."""
    return {
        "type": "circle", "xref": "x", "yref": "y", "xsizemode": "pixel", "ysizemode": "pixel",
        "xanchor": float(start[0]), "yanchor": float(start[1]),
        "x0": -9, "x1": 9, "y0": -9, "y1": 9,
        "fillcolor": START_COLOR, "line": {"color": "white", "width": 2.5}, "layer": "above",
    }


def loss_figure() -> go.Figure:
    """The empty cost-per-epoch chart; the player fills it."""
    fig = go.Figure()
    fig.update_layout(
        margin={"l": 60, "r": 16, "t": 16, "b": 44},
        xaxis={"title": {"text": "epoch"}, "zeroline": False, "gridcolor": "#e5e7eb"},
        yaxis={"title": {"text": "cost f(x, y)"}, "zeroline": False, "gridcolor": "#e5e7eb",
               "exponentformat": "power"},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="white", showlegend=False,
        hovermode="x unified", font={"family": "Inter, system-ui, sans-serif", "size": 13},
    )
    return fig


SURFACE_PATH_POINTS = 2000
"""The most points of a path the 3-D view draws (every k-th, and the last)."""


def thin(pts: np.ndarray, most: int = SURFACE_PATH_POINTS) -> np.ndarray:
    """Every k-th point of a path and its last, at most about ``most`` of them."""
    if len(pts) <= most:
        return pts
    keep = np.unique(np.r_[np.arange(0, len(pts), -(-len(pts) // most)), len(pts) - 1])
    return pts[keep]


@lru_cache(maxsize=32)
def _surface_grid(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The 3-D view's grid of a landscape and its clip height (once per landscape)."""
    xs, ys, z = grid(landscapes.get(name), 80)
    return xs, ys, z, float(np.nanpercentile(z, 97))


def surface_figure(landscape: Landscape, paths: list[tuple[str, np.ndarray]]) -> go.Figure:
    """A 3-D view: the surface (clipped at its 97th percentile, so that one steep
    wall does not flatten the rest) and each path lifted onto it (float32, at most
    ``SURFACE_PATH_POINTS`` points each: a longer line looks the same)."""
    xs, ys, z, cap = _surface_grid(landscape.name)
    fig = go.Figure(go.Surface(
        x=xs.astype(np.float32), y=ys.astype(np.float32),
        z=np.minimum(z, cap).astype(np.float32), colorscale=COLORSCALE, opacity=0.92,
        showscale=False, hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<br>f=%{z:.4g}<extra></extra>",
        contours={"z": {"show": True, "usecolormap": True, "project": {"z": True}, "width": 1}},
    ))
    for name, pts in paths:
        if len(pts) == 0:
            continue
        pts = thin(pts)
        zs = np.minimum(landscape.f(pts), cap) + 0.005 * (cap - float(np.nanmin(z)))
        fig.add_trace(go.Scatter3d(
            x=pts[:, 0].astype(np.float32), y=pts[:, 1].astype(np.float32),
            z=zs.astype(np.float32), mode="lines", name=optimizers.info(name).title,
            line={"color": COLORS[name], "width": 6},
        ))
    (x0, x1), (y0, y1) = landscape.domain
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor="rgba(0,0,0,0)",
        scene={"xaxis": {"range": [x0, x1], "title": {"text": "x"}},
               "yaxis": {"range": [y0, y1], "title": {"text": "y"}},
               "zaxis": {"title": {"text": "f"}}, "aspectmode": "manual",
               "aspectratio": {"x": 1, "y": 1, "z": 0.6}},
        legend={"x": 0, "y": 1}, uirevision=landscape.name,
    )
    return fig


def _png(rgb: np.ndarray) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 image as PNG (no imaging library needed)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[i].tobytes() for i in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


@lru_cache(maxsize=16)
def banded(name: str, size: int, lines: bool) -> np.ndarray:
    """The landscape as an ``(size, size, 3)`` uint8 picture, row 0 at the top: banded
    log cost (light is low), as the contour map colours it; with ``lines``, the bands'
    edges darkened as the map's contour lines."""
    landscape = landscapes.get(name)
    _, _, z = grid(landscape, size)
    lz, _ = log_cost(landscape, z)
    lz = np.where(np.isfinite(lz), lz, np.nanmax(lz))
    lo = max(float(lz.min()), float(lz.max()) - 24)
    band = np.floor(np.maximum(lz, lo))
    t = np.clip((band - lo) / max(float(lz.max()) - lo, 1e-9), 0, 1)
    stops = np.array([s for s, _ in COLORSCALE])
    rgb = np.stack([np.interp(t, stops, [_hex(c)[i] for _, c in COLORSCALE]) for i in range(3)], -1)
    if lines:
        edge = np.zeros(band.shape, dtype=bool)
        edge[1:] |= band[1:] != band[:-1]
        edge[:, 1:] |= band[:, 1:] != band[:, :-1]
        rgb[edge] = 0.65 * rgb[edge] + 0.35 * np.array([40, 60, 80])
    return rgb[::-1].astype(np.uint8)


def _banded(name: str, size: int, lines: bool) -> str:
    """:func:`banded` as a PNG data URI."""
    return "data:image/png;base64," + base64.b64encode(_png(banded(name, size, lines))).decode()


@lru_cache(maxsize=64)
def thumbnail(name: str, size: int = 64) -> str:
    """A small picture of the landscape (banded log cost, light is low) as a data URI."""
    return _banded(name, size, lines=False)


PICTURE = 600
"""The side, in pixels, of the map drawn as one picture (notebook figures, animations)."""


@lru_cache(maxsize=16)
def contour_picture(name: str, size: int = PICTURE) -> str:
    """The contour map's fill and lines as one picture (a PNG data URI), for figures
    whose traces animate: plotly.js drops a contour trace from the plot once frames
    play (plotly.js #4491), a layout image stays."""
    return _banded(name, size, lines=True)


FONT = {"family": "Inter, system-ui, sans-serif", "size": 12}
"""The lessons' and many-run pages' charts' type."""


# -- The lessons' maps and charts ----------------------------------------------------
def path_map(landscape: Landscape, paths: list[tuple]) -> go.Figure:
    """The landscape's contour with whole paths on it: ``(label, colour, points)``,
    or ``(label, colour, points, dashed)``."""
    fig = go.Figure(contour_figure(landscape.name))
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
                             marker={"color": START_COLOR, "size": 12,
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


# -- Arrays for the browser ---------------------------------------------------------------
def encode_floats(values: np.ndarray) -> str:
    """Numbers for the browser: float32 little-endian, base64 (a third of the size of
    JSON numbers; assets/player.js and train_player.js read them back)."""
    return encode_bytes(np.ascontiguousarray(values, dtype="<f4").tobytes())


def decode_floats(text: str) -> np.ndarray:
    """The inverse of :func:`encode_floats` (as float64)."""
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(float)


def encode_bytes(raw: bytes) -> str:
    """Bytes for the browser, as base64 text."""
    return base64.b64encode(raw).decode("ascii")
