"""From Python: the app's races, figures and animations in a notebook or a script.

::

    from visualizer import notebook as nb

    race = nb.race("rosenbrock", start=(-1.5, 2), epochs=500,
                   optimizers=["gd:lr=0.001", "adam:lr=0.05"])
    race.figure()            # the map with the paths; ▶ plays it, the slider scrubs
    race.cost_figure()       # the cost per epoch
    race.table()             # where each run ended, as on the page
    race.to_csv("runs.csv")  # every step of every run, as the page's CSV
    race.animate("race.mp4") # or .gif: needs requirements-notebook.txt
    nb.show_app(race)        # the whole app in the notebook, opened on this race

    nb.basins("himmelblau", ["gd:lr=0.001", "adam:lr=0.05"], grid=80).figure()
    nb.sweep("rosenbrock", ["gd", "adam"], lrs="1e-5:10:40", epochs=500).figure()
    nb.lr_momentum_map("ill_conditioned_bowl", "momentum", epochs=300).figure()

Names are the command line's and the links': a landscape is a name from
``python -m visualizer list`` or ``formula:X0,X1,Y0,Y1:F``; an optimizer is
``NAME[:key=value,...]`` (``adam:lr=0.05,beta1=0.8,schedule=cosine,warmup=20``).
A bad name or value raises the engine's :class:`~visualizer.engine.fields.FieldError`
(a ``ValueError``), naming the setting: ``Optimizer: unknown optimizer 'adan'; ...``.

The figures are the app's own (:mod:`visualizer.ui.figures` and the pages' figure
builders): plain ``plotly.graph_objects.Figure`` objects that show in Jupyter,
VS Code and Colab with no extra widget. The numbers are the engine's, equal to
torch.optim's.
"""

from __future__ import annotations

import html
import importlib.util
import pathlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

import landscapes
from landscapes import Landscape
from visualizer import engine
from visualizer.engine import export, many, optimizers
from visualizer.engine.fields import FieldError
from visualizer.ui import figures

__all__ = ["race", "basins", "sweep", "lr_momentum_map", "show_app", "Race", "Basins", "Sweep",
           "MomentumMap", "Table", "FieldError", "landscape_names", "optimizer_names"]

DEFAULT_FRAMES = 100
"""Frames of :meth:`Race.figure`'s animation: epochs evenly spaced from 0 to the last."""
FRAME_PATH_POINTS = 400
"""The most points of one path in one frame of :meth:`Race.figure` (every k-th, and the
last): a figure of 100 frames stays a few MB whatever the epochs."""


# -- Names, as the command line and the links spell them -----------------------------------
def landscape_names() -> list[str]:
    """Every landscape's name (``python -m visualizer list`` gives their domains and minima)."""
    return [ls.name for ls in landscapes.all_landscapes()]


def optimizer_names() -> list[str]:
    """Every optimizer's name, in the app's order."""
    return list(optimizers.OPTIMIZERS)


def _read(field: str, read, text: str):
    """``read(text)``, its errors as the engine's FieldError naming ``field`` (an unknown
    name is the registry's KeyError; a refused formula or setting, a ValueError)."""
    try:
        return read(text)
    except FieldError:
        raise
    except KeyError as exc:
        raise FieldError(field, str(exc.args[0])) from None
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def _landscape(name: str | Landscape) -> Landscape:
    return name if isinstance(name, Landscape) else _read("landscape", landscapes.get, str(name))


def _spec(text: str | engine.RunSpec) -> engine.RunSpec:
    return text if isinstance(text, engine.RunSpec) else _read("optimizer", engine.parse_spec,
                                                                str(text))


def _specs(texts: str | engine.RunSpec | Sequence[str | engine.RunSpec]) -> list[engine.RunSpec]:
    if isinstance(texts, (str, engine.RunSpec)):
        texts = [texts]
    specs = [_spec(t) for t in texts]
    if not specs:
        raise FieldError("optimizers", "give at least one, e.g. ['adam:lr=0.05']")
    return specs


def _start(ls: Landscape, start: Sequence[float] | None) -> tuple[float, float]:
    if start is None:
        return ls.start
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise FieldError("start", f"give two numbers, x and y (got {start!r})") from None
    engine.check_starts(ls, (x, y))
    return x, y


def _labels(specs: Sequence[engine.RunSpec]) -> list[str]:
    """Each run's title; with the learning rate when an optimizer runs more than once."""
    names = [s.optimizer for s in specs]
    return [optimizers.info(s.optimizer).title + (f", lr {s.lr:g}" if names.count(s.optimizer) > 1 else "")
            for s in specs]


def line_styles(specs: Sequence[engine.RunSpec]) -> list[str]:
    """Solid for an optimizer's first run, then dashed, dotted...: one colour, told apart."""
    seen: dict[str, int] = {}
    styles = ["solid", "dash", "dot", "dashdot", "longdash"]
    out = []
    for s in specs:
        k = seen.get(s.optimizer, 0)
        seen[s.optimizer] = k + 1
        out.append(styles[k % len(styles)])
    return out


# -- A table that shows itself ---------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """Rows of named columns; shown as an HTML table in a notebook, as text in a
    terminal. ``to_pandas()`` gives a DataFrame (pandas is not required otherwise)."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def column(self, name: str) -> list[Any]:
        return [row[name] for row in self.rows]

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.6g}"
        return str(value)

    def __repr__(self) -> str:
        cells = [list(self.columns)] + [[self._cell(r[c]) for c in self.columns] for r in self.rows]
        widths = [max(len(row[j]) for row in cells) for j in range(len(self.columns))]
        return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                         for row in cells)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(self._cell(r[c]))}</td>"
                                        for c in self.columns) + "</tr>" for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def to_csv(self, path: str | pathlib.Path | None = None) -> str:
        """The table as CSV (the command line's cells); written to ``path`` when given."""
        return _written(export.table_csv(self.columns, list(self.rows)), path)

    def to_pandas(self):
        import pandas as pd  # optional: only this method needs it

        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def _written(text: str, path: str | pathlib.Path | None) -> str:
    if path is not None:
        pathlib.Path(path).write_text(text, encoding="utf-8")
    return text


# -- A race ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Race:
    """Optimizers from one start on one landscape: the engine's :class:`~visualizer.engine.Result`
    and the app's pictures of it. Build it with :func:`race`; the landscape, the runs, the
    start and the epochs are the result's own."""

    result: engine.Result

    @property
    def landscape(self) -> Landscape:
        return self.result.landscape

    @property
    def specs(self) -> tuple[engine.RunSpec, ...]:
        return tuple(self.result.specs)

    @property
    def start(self) -> tuple[float, float]:
        x, y = self.result.starts[0]
        return float(x), float(y)

    @property
    def epochs(self) -> int:
        return self.result.steps

    @property
    def labels(self) -> list[str]:
        return _labels(self.specs)

    @property
    def link(self) -> str:
        """The app's link to this race (``?landscape=...&opt=...``, and its gradients' noise
        and seed if it has noise): :func:`show_app` opens it. The app runs each optimizer
        once: a race that runs one twice has no link (:class:`FieldError`)."""
        from visualizer.pages.race import scene

        names = [s.optimizer for s in self.specs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise FieldError("optimizers", f"the app runs each optimizer once; this race runs "
                                           f"{', '.join(twice)} more than once")

        noise = scene.Noise(self.result.noise, self.result.seed)
        return scene.to_query(self.landscape.name, self.start, self.epochs, list(self.specs), noise)

    def path(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``i``'s points ``(n, 2)`` and costs ``(n,)``, up to its divergence."""
        return self.result.path(i)

    def frame_epochs(self, frames: int = DEFAULT_FRAMES) -> np.ndarray:
        """The epochs an animation of ``frames`` frames shows: evenly spaced, 0 and the last
        always, none twice."""
        n = max(2, min(int(frames), self.epochs + 1))
        return np.unique(np.round(np.linspace(0, self.epochs, n)).astype(int))

    def _frame_traces(self, epoch: int) -> list[go.Scatter]:
        traces = []
        for i in range(len(self.specs)):
            pts = self.path(i)[0]
            k = min(epoch, len(pts) - 1)
            shown = figures.thin(pts[:k + 1], FRAME_PATH_POINTS)
            traces.append(go.Scatter(x=shown[:, 0], y=shown[:, 1]))
            traces.append(go.Scatter(x=pts[k:k + 1, 0], y=pts[k:k + 1, 1]))
        return traces

    def _colors(self) -> list[str]:
        return [figures.COLORS[s.optimizer] for s in self.specs]

    def figure(self, frames: int = DEFAULT_FRAMES, height: int = 640) -> go.Figure:
        """The landscape's map (the app's colours, levels and colour bar) with every path on
        it, the minima as stars and the start as the red dot; ▶ plays the race over
        ``frames`` frames and the slider scrubs it (plain Plotly frames: no widget needed).
        It opens on the last epoch."""
        ls = self.landscape
        (x0, x1), (y0, y1) = ls.domain
        base = figures.contour_figure(ls.name)
        # The map is a picture under the plot (a contour trace would vanish once the frames
        # play: plotly.js #4491); an invisible 2 x 2 copy of the map's trace (a contour, or
        # a rough landscape's heatmap) keeps its colour bar.
        scale = type(base.data[0])(base.data[0]).update(x=[x0, x1], y=[y0, y1], z=[[0, 0], [0, 0]],
                                                opacity=0, hoverinfo="skip", showlegend=False)
        fig = go.Figure(scale, layout=base.layout)
        fig.add_layout_image(source=figures.contour_picture(ls.name), xref="x", yref="y", x=x0,
                             y=y1, sizex=x1 - x0, sizey=y1 - y0, sizing="stretch", layer="below")
        if ls.minima:
            fig.add_trace(figures.minima_trace(
                ls, name="minima", hoverinfo="text",
                text=[f"{m.kind} minimum, f = {m.value:.6g}" for m in ls.minima]))
        fig.add_trace(go.Scatter(x=[self.start[0]], y=[self.start[1]], mode="markers", name="start",
                                 marker={"color": figures.START_COLOR, "size": 14,
                                         "line": {"color": "white", "width": 2.5}}))
        first = len(fig.data)
        last = self._frame_traces(self.epochs)
        for i, (label, color, dash) in enumerate(zip(self.labels, self._colors(), line_styles(self.specs),
                                                     strict=True)):
            line, head = last[2 * i], last[2 * i + 1]
            line.update(mode="lines", name=label, legendgroup=label,
                        line={"color": color, "width": 2.4, "dash": dash})
            head.update(mode="markers", name=label, legendgroup=label, showlegend=False,
                        marker={"color": color, "size": 10, "line": {"color": "white", "width": 1.5}})
            fig.add_traces([line, head])
        moving = list(range(first, len(fig.data)))
        epochs = self.frame_epochs(frames)
        fig.frames = [go.Frame(name=str(e), data=self._frame_traces(int(e)), traces=moving)
                      for e in epochs]  # the slider's label says the epoch shown
        still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
                 "transition": {"duration": 0}}
        side = height - 190  # the plot's height in pixels; its width follows the domain
        fig.update_layout(
            height=height, width=int(side * (x1 - x0) / (y1 - y0)) + 52 + 96,
            showlegend=True, title={"text": self._title(), "x": 0.02, "y": 0.98,
                                    "yanchor": "top"},
            margin={"l": 52, "r": 96, "t": 84, "b": 106, "autoexpand": False},
            legend={"orientation": "h", "x": 0, "y": 1.01, "yanchor": "bottom"}, meta=None,
            updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": -0.13,
                          "xanchor": "left", "yanchor": "top", "showactive": False,
                          "pad": {"t": 0, "r": 8},
                          "buttons": [{"label": "▶", "method": "animate",
                                       "args": [None, {**still, "frame": {"duration": 60,
                                                                          "redraw": False},
                                                       "fromcurrent": True}]},
                                      {"label": "❚❚", "method": "animate",
                                       "args": [[None], still]}]}],
            sliders=[{"active": len(epochs) - 1, "x": 0.16, "len": 0.84, "y": -0.1,
                      "yanchor": "top", "pad": {"t": 0},
                      "currentvalue": {"prefix": "epoch ", "xanchor": "right"},
                      "steps": [{"label": str(e), "method": "animate", "args": [[str(e)], still]}
                                for e in epochs]}])
        return fig

    def _title(self) -> str:
        return f"{self.landscape.title}: {self.epochs:,} epochs from ({self.start[0]:g}, {self.start[1]:g})"

    def cost_figure(self, log: bool = False, height: int = 380) -> go.Figure:
        """The cost per epoch of every run (the app's chart); ``log``: f − f_min on a log
        scale, as the page's switch. A diverged run's line stops where it diverged."""
        fig = go.Figure(figures.loss_figure())
        ref = self.landscape.f_min or 0.0
        for i, (label, color, dash) in enumerate(zip(self.labels, self._colors(), line_styles(self.specs),
                                                     strict=True)):
            losses = self.path(i)[1]
            y = np.maximum(losses - ref, 1e-16) if log else losses
            fig.add_trace(go.Scatter(x=np.arange(len(y)), y=y, mode="lines", name=label,
                                     line={"color": color, "width": 2, "dash": dash}))
        if log:
            fig.update_yaxes(type="log", title_text="cost f − f_min")
        fig.update_layout(height=height, showlegend=True,
                          legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
                          margin={"l": 60, "r": 16, "t": 40, "b": 44})
        return fig

    def table(self) -> Table:
        """Per run: the optimizer, its settings (the command line's text), the final cost,
        and where it ended (the listed minimum it settled in, "no listed minimum", or
        "diverged at epoch k"), as the page's results table says."""
        rows = []
        for i, (label, spec) in enumerate(zip(self.labels, self.specs, strict=True)):
            pts, losses = self.path(i)
            d = int(self.result.diverged_at[i, 0])
            rows.append({"optimizer": label, "settings": engine.spec_text(spec),
                         "final cost": None if d >= 0 else float(losses[-1]),
                         "ends in": f"diverged at epoch {d}" if d >= 0
                         else self.landscape.outcome_label(pts[-1])})
        return Table(("optimizer", "settings", "final cost", "ends in"), tuple(rows))

    def to_csv(self, path: str | pathlib.Path | None = None) -> str:
        """Every step of every run, as the page's CSV and ``python -m visualizer run
        --format csv``; written to ``path`` when given, returned either way."""
        return _written(export.result_to_csv(self.result), path)

    def to_json(self) -> dict[str, Any]:
        """Every run as ``python -m visualizer run --format json`` prints it."""
        return export.result_to_json(self.result, self.start)

    def animate(self, path: str | pathlib.Path, *, fps: int = 30, seconds: float = 8.0,
                size: tuple[int, int] = (1280, 720), progress: bool = True) -> pathlib.Path:
        """Write the race as a video (``.mp4``, H.264, plays in PowerPoint and Keynote; or
        ``.webm``) or a ``.gif``: the map with the paths, the cost chart, the legend, the
        epoch and a title, at ``fps`` frames a second for about ``seconds`` seconds (one frame
        per epoch when there are fewer epochs), ``size`` pixels. A progress bar goes to
        stderr. Needs ``pip install -r requirements-notebook.txt`` (matplotlib, and
        imageio-ffmpeg for MP4 and WebM). Returns the path written."""
        from visualizer import video

        return video.write(self, path, fps=fps, seconds=seconds, size=size, progress=progress)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def race(landscape: str | Landscape, optimizers: str | Sequence[str | engine.RunSpec],
         start: Sequence[float] | None = None, epochs: int = 1000, noise: float = 0.0,
         seed: int = 0) -> Race:
    """Run ``optimizers`` from ``start`` (default: the landscape's own) for ``epochs``.

    Args:
        landscape: a name (see :func:`landscape_names`) or ``"formula:X0,X1,Y0,Y1:F"``.
        optimizers: ``"NAME[:key=value,...]"`` strings as the command line's ``--optimizer``
            and the app's links spell them (``"adam:lr=0.05,beta2=0.99"``), or one of them.
        start: ``(x, y)`` inside the landscape's domain.
        epochs: updates per run, 1 to the engine's limit.
        noise, seed: the standard deviation of Gaussian noise added to every gradient, and
            its seed (as ``python -m visualizer run --noise``).

    Returns a :class:`Race`: ``figure()``, ``cost_figure()``, ``table()``, ``to_csv()``,
    ``animate()``, and the engine's ``result``.

    Raises :class:`FieldError` (a ``ValueError``) naming the bad setting.
    """
    ls = _landscape(landscape)
    specs = _specs(optimizers)
    point = _start(ls, start)
    epochs = int(engine.STEPS.check("epochs", epochs))
    return Race(engine.run(ls, specs, point, epochs, noise=noise, seed=seed, record_state=False))


# -- Many runs: basins, a sweep, the (lr, momentum) map -------------------------------------
@dataclass(frozen=True)
class Basins:
    """Where every start of a grid ends up, per optimizer (the Basins page). Build it with
    :func:`basins`."""

    map: many.BasinMap

    def figure(self, colour: str = "outcome") -> go.Figure:
        """One small map per optimizer, coloured by the listed minimum each start ends in
        (paler: more epochs to get there; grey: no listed minimum; black: diverged), or by
        the final cost (``colour="cost"``)."""
        from visualizer.pages import basins as page

        if colour not in page.COLOURINGS:
            raise FieldError("colour", f"choose from {', '.join(page.COLOURINGS)}")
        fig = page.figure(page.data_of(self.map), colour)
        fig.update_layout(title={"text": self.summary(), "font": {"size": 13}, "x": 0.01},
                          margin={"t": 70})
        return fig

    def summary(self) -> str:
        """The share of starts that end in a global minimum, per optimizer (the page's line)."""
        from visualizer.pages import basins as page

        return page.summary(page.data_of(self.map))

    def table(self) -> Table:
        """Every cell: optimizer, start, final point and cost, outcome, epochs (the command
        line's ``basins`` columns)."""
        return Table(tuple(export.BASINS_COLUMNS), tuple(export.basins_rows(self.map)))

    def to_csv(self, path: str | pathlib.Path | None = None) -> str:
        return self.table().to_csv(path)


def basins(landscape: str | Landscape, optimizers: str | Sequence[str | engine.RunSpec],
           epochs: int = 1000, grid: int = many.DEFAULT_GRID) -> Basins:
    """Run each optimizer from every start of a ``grid`` × ``grid`` grid over the landscape's
    domain (``python -m visualizer basins``). Raises :class:`FieldError`, or
    :class:`~visualizer.engine.many.TooMuchWork` (a ``ValueError``) over the engine's limit."""
    ls = _landscape(landscape)
    return Basins(many.basins(ls, _specs(optimizers), int(engine.STEPS.check("epochs", epochs)),
                              grid))


@dataclass(frozen=True)
class Sweep:
    """Each optimizer's final cost at every learning rate of a log range (the LR sweep
    page). Build it with :func:`sweep`."""

    sweep: many.Sweep

    def figure(self, within: float = 10.0, metric: str = "cost") -> go.Figure:
        """The final cost (or, ``metric="epochs"``, the epochs to the minimum) against the
        learning rate, an ✕ where each optimizer first diverges; under it, the band of
        learning rates within ``within`` × of each one's best."""
        from visualizer.pages import sweep as page

        if metric not in page.METRICS:
            raise FieldError("metric", f"choose from {', '.join(page.METRICS)}")
        within = page.parse_factor(str(within))
        fig = page.figure(self.sweep, within, metric)
        fig.update_layout(title={"text": self.summary(within), "font": {"size": 13}, "x": 0.01},
                          margin={"t": 80})
        return fig

    def summary(self, within: float = 10.0) -> str:
        """Where each optimizer works: its learning rates within ``within`` × of its best."""
        from visualizer.pages import sweep as page

        return page.band_text(self.sweep, within)

    def table(self) -> Table:
        """One row per optimizer and learning rate (the command line's ``sweep`` columns)."""
        return Table(tuple(export.SWEEP_COLUMNS), tuple(export.sweep_rows(self.sweep)))

    def to_csv(self, path: str | pathlib.Path | None = None) -> str:
        return self.table().to_csv(path)


def sweep(landscape: str | Landscape, optimizers: str | Sequence[str | engine.RunSpec],
          start: Sequence[float] | None = None, lrs: str = "1e-5:10:60",
          epochs: int = 1000) -> Sweep:
    """Run each optimizer (its other settings as given, its lr replaced) at every learning
    rate of ``lrs`` ("LO:HI:N", log-spaced, as the command line's ``--lrs``) from ``start``."""
    ls = _landscape(landscape)
    lo, hi, n = many.parse_lrs_range(lrs)
    return Sweep(many.sweep(ls, _specs(optimizers), _start(ls, start), many.log_lrs(lo, hi, n),
                            int(engine.STEPS.check("epochs", epochs))))


@dataclass(frozen=True)
class MomentumMap:
    """Where heavy-ball momentum (or Adam's β₁) converges, crawls or diverges over
    (learning rate, momentum) (the (lr, momentum) map page). Build it with
    :func:`lr_momentum_map`."""

    map: many.MomentumMap

    def figure(self, metric: str = "cost") -> go.Figure:
        """The final cost (or the epochs to the minimum) over (lr, momentum); black where
        the run diverged; the closed-form edge on the ill-conditioned bowl."""
        from visualizer.pages import lrmap as page

        if metric not in page.METRICS:
            raise FieldError("metric", f"choose from {', '.join(page.METRICS)}")
        fig = page.figure(self.map, metric, None)
        fig.update_layout(title={"text": self.summary(), "font": {"size": 13}, "x": 0.01},
                          margin={"t": 80})
        return fig

    def summary(self) -> str:
        from visualizer.pages import lrmap as page

        return page.summary(self.map)

    def table(self) -> Table:
        return Table(tuple(export.MAP_COLUMNS), tuple(export.map_rows(self.map)))

    def to_csv(self, path: str | pathlib.Path | None = None) -> str:
        return self.table().to_csv(path)


def lr_momentum_map(landscape: str | Landscape, optimizer: str = "momentum",
                    start: Sequence[float] | None = None, lrs: str = "1e-4:1:40",
                    momenta: int = many.DEFAULT_BETAS, epochs: int = 300) -> MomentumMap:
    """Run ``optimizer`` (``momentum``, ``nesterov`` or ``adam``: its momentum or β₁ varies)
    at every (learning rate, momentum) of a grid: ``lrs`` log-spaced ("LO:HI:N"), ``momenta``
    values from 0 to 0.999."""
    ls = _landscape(landscape)
    if optimizer not in many.MOMENTUM_HYPER:
        raise FieldError("optimizer", f"choose from {', '.join(many.MOMENTUM_HYPER)}")
    lo, hi, n = many.parse_lrs_range(lrs)
    from visualizer.pages import lrmap as page

    n_betas = page.parse_betas(str(momenta))
    return MomentumMap(many.momentum_map(ls, optimizer, _start(ls, start), many.log_lrs(lo, hi, n),
                                         many.betas_grid(n_betas),
                                         int(engine.STEPS.check("epochs", epochs))))


# -- The whole app in a notebook -------------------------------------------------------------
def _app():
    """The app of ``app.py`` (imported once, from beside this package)."""
    if "app" in sys.modules and hasattr(sys.modules["app"], "app"):
        return sys.modules["app"].app
    path = pathlib.Path(__file__).resolve().parents[1] / "app.py"
    spec = importlib.util.spec_from_file_location("app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module.app


def show_app(scene: Race | str | None = None, mode: str = "inline", port: int = 8050,
             height: int = 900, host: str = "127.0.0.1") -> str:
    """Serve the whole app from this kernel (Dash's own Jupyter support) and show it,
    opened on ``scene``: a :class:`Race`, or a link's query (``"?page=lr&scene=warmup_peak"``,
    as the app's "Copy link" gives it). ``mode``: ``"inline"`` (in the output cell) or
    ``"external"`` (a link to open in the browser). Returns the URL.

    Needs a Jupyter kernel (IPython); from a script, run ``python app.py`` instead."""
    if mode not in ("inline", "external"):
        raise FieldError("mode", "choose from inline, external")
    from dash._jupyter import jupyter_dash

    if not jupyter_dash.active:
        raise RuntimeError("show_app needs a Jupyter kernel; from a script, run `python app.py`")
    query = scene.link if isinstance(scene, Race) else (scene or "")
    if query and not query.startswith("?"):
        query = "?" + query
    _app().run(jupyter_mode="_none", host=host, port=port)  # a server thread in this kernel
    url = f"http://{host}:{port}/{query}"
    from IPython.display import IFrame, display

    if jupyter_dash.in_colab:  # Colab serves the kernel's port through its own proxy
        from google.colab import output  # type: ignore[import-not-found]

        if mode == "inline":
            output.serve_kernel_port_as_iframe(port, path="/" + query, height=height)
        else:
            output.serve_kernel_port_as_window(port, path="/" + query)
    elif mode == "inline":
        display(IFrame(url, "100%", height))
    else:
        print(f"The app: {url}")
    return url
