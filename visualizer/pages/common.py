"""What the many-run pages (basins, the learning-rate sweep, the (lr, momentum)
map) share: their frame, their job bar, the race's scene they start from, and
the link that sends a clicked setting back to the race."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash_mantine_components as dmc
from dash import Output, dcc, html

from visualizer import engine, scene

BOX = {"size": "xs", "debounce": 400, "className": "num-input"}
CONFIG = {"displaylogo": False, "scrollZoom": False,
          "toImageButtonOptions": {"format": "png", "scale": 2}}
FONT = {"family": "Inter, system-ui, sans-serif", "size": 12}


class Ids:
    """A page's element ids, all prefixed with its key (``basins-grid``, ...)."""

    def __init__(self, key: str):
        self.key = key

    def __getattr__(self, name: str) -> str:
        return f"{self.key}-{name.replace('_', '-')}"


def frame(ids: Ids, title: str, intro, controls: list, body: list) -> html.Div:
    """The page: title, intro, controls, the job's progress bar with Cancel, the
    error and summary lines, then the body."""
    return html.Div([
        html.Div([
            html.H2(title),
            html.Div(intro, className="hint"),
            html.Div(controls, className="lesson-controls"),
            html.Div([
                dmc.Progress(id=ids.progress, value=0, size="sm", className="job-bar",
                             **{"aria-label": "Progress of the computation"}),
                dmc.Button("Cancel", id=ids.cancel, size="compact-xs", variant="light", n_clicks=0),
            ], id=ids.job, className="job", style={"display": "none"}),
            html.Div(id=ids.error, className="notice", role="alert"),
            html.Div(id=ids.note, className="lesson-note"),
        ], className="lesson-head"),
        *body,
        dcc.Download(id=ids.download),
        dcc.Store(id=ids.request),  # a computation for the background job
        dcc.Store(id=ids.done),  # the job's end: the page draws from the cache
    ], className="lesson many")


def running(ids: Ids) -> list:
    """The ``running`` argument of a page's background callback: the job bar shows."""
    return [(Output(ids.job, "style"), {"display": "flex"}, {"display": "none"})]


def race_scene(query: str | None) -> tuple:
    """The race's scene (landscape, its ticked optimizers' specs, start, epochs,
    canonical link) from the race's link; ValueError if there is none or it is bad."""
    if not query:
        raise ValueError("Set up a scene on the Compare optimizers page first.")
    ls, specs, start, steps, canonical = scene.runs_of(query)
    if not specs:
        raise ValueError("Tick at least one optimizer on the Compare optimizers page.")
    return ls, specs, start, steps, canonical


def with_params(query: str, **params: str) -> str:
    """``query`` with these parameters set (replacing any of the same name)."""
    items = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=True)
             if k not in params]
    return "?" + urlencode(items + list(params.items()), safe=":,=")


def race_link(query: str, start: tuple[float, float] | None = None,
              set_opt: engine.RunSpec | None = None) -> str:
    """The race's link with a new start or one optimizer's settings changed, opening the race."""
    ls, specs, old_start, steps, _ = scene.runs_of(query)
    if set_opt is not None:
        specs = [set_opt if s.optimizer == set_opt.optimizer else s for s in specs]
        if set_opt.optimizer not in [s.optimizer for s in specs]:
            specs.append(set_opt)
    point = old_start if start is None else (round(start[0], 6), round(start[1], 6))
    return with_params(scene.to_query(ls.name, point, steps, specs), page="race")


def page_link(key: str, race_query: str, **params: str) -> str:
    """A many-run page's link: its own settings and the race's scene it draws."""
    return with_params(race_query, page=key, **params)
