"""What the many-run pages (basins, the learning-rate sweep, the (lr, momentum)
map) share: their frame, their job bar, the race's scene they start from, and
the link that sends a clicked setting back to the race."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import dash_mantine_components as dmc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from landscapes.number_text import exact
from visualizer import engine
from visualizer.engine import export, many
from visualizer.pages import kit
from visualizer.pages.race import scene
from visualizer.server import cache, downloads, jobs
from visualizer.ui import ids
from visualizer.ui.text import with_params

log = logging.getLogger("visualizer.pages")


class Ids(kit.Ids):
    """A many-run page's element ids: the kit's, with the names of this frame's job
    bar, CSV button, graph and stores (``basins-grid``, ``basins-progress``, ...)."""

    FRAME = (*kit.Ids.FRAME, "csv", "csv_status", "csv_request", "csv_done", "progress",
             "job_label", "cancel", "job", "legend", "graph", "download", "request", "done",
             "redraw", "seen", "race")


def frame(page: Ids, title: str, intro, controls: list, csv_label: str,
          above_graph: Sequence = ()) -> html.Div:
    """The page (:func:`kit.frame`): title, intro, controls and its CSV button, the
    job's progress bar with Cancel, the error and summary lines, the legend,
    ``above_graph`` (a player) and the graph."""
    csv = [dmc.Button(f"⤓ CSV of every {csv_label}", id=page.csv, variant="default", size="xs",
                      n_clicks=0),
           html.Span(id=page.csv_status, className="job-label", role="status")]
    job = html.Div([
        dmc.Progress(id=page.progress, value=0, size="sm", className="job-bar",
                     **{"aria-label": "Progress of the computation"}),
        html.Span(id=page.job_label, className="job-label", role="status"),
        dmc.Button("Cancel", id=page.cancel, size="compact-xs", variant="light", n_clicks=0),
    ], id=page.job, className="job", style={"display": "none"})
    note = html.Div(id=page.note, className="lesson-note")
    return kit.frame(page, title, intro, [*controls, *csv], [
        html.Div(id=page.legend, className="many-legend"),
        *above_graph,
        dcc.Graph(id=page.graph, config=kit.CONFIG, className="many-graph"),
        dcc.Download(id=page.download),
        dcc.Store(id=page.request),  # a computation for the background job
        dcc.Store(id=page.done),  # the job's end
        dcc.Store(id=page.redraw),  # ... passed on by jobs.redraw: the page draws from the cache
        dcc.Store(id=page.seen),
        dcc.Store(id=page.race),  # the race's link, while this page is shown
        dcc.Store(id=page.csv_request),  # a CSV too large for a request: written by a job
        dcc.Store(id=page.csv_done),  # ... which says where to fetch it
    ], head=[job, note], class_name="lesson many")


def lrs_field(default: str) -> kit.Field:
    """The learning rates of a log grid, ``LO:HI:N`` in the box and the link."""
    return kit.Field("lrs", default, many.parse_lrs_range,
                     lambda r: f"{exact(r[0])}:{exact(r[1])}:{r[2]}")


def running(page: Ids) -> list:
    """The ``running`` argument of a page's background callback: the job bar shows."""
    return [(Output(page.job, "style"), {"display": "flex"}, {"display": "none"})]


def race_scene(query: str | None, need_ticked: bool = True) -> tuple:
    """The race's scene (landscape, its ticked optimizers' specs, start, epochs,
    canonical link) from the race's link; ValueError if there is none or it is
    bad (or, when ``need_ticked``, no optimizer is ticked)."""
    if not query:
        raise ValueError("Set up a scene on the Compare optimizers page first.")
    ls, specs, start, steps, canonical = scene.runs_of(query)
    if need_ticked and not specs:
        raise ValueError("Tick at least one optimizer on the Compare optimizers page.")
    return ls, specs, start, steps, canonical


def race_link(query: str, start: tuple[float, float] | None = None,
              set_opt: engine.RunSpec | None = None) -> str:
    """The race's link with a new start or one optimizer's settings changed, opening the race."""
    ls, specs, old_start, steps, _ = scene.runs_of(query)
    if set_opt is not None:
        specs = [set_opt if s.optimizer == set_opt.optimizer else s for s in specs]
        if set_opt.optimizer not in [s.optimizer for s in specs]:
            specs.append(set_opt)
    point = old_start if start is None else (round(start[0], 6), round(start[1], 6))
    return with_params(scene.to_query(ls.name, point, steps, specs, scene.noise_of(query)),
                       page="race")


def page_link(key: str, race_query: str, **params: str) -> str:
    """A many-run page's link: its own settings and the race's scene it draws."""
    return with_params(race_query, page=key, **params)


def register_view(I: Ids, key: str, namespace: str, inputs: list,  # noqa: E741, N803
                  parse: Callable, compute: Callable, render: Callable,
                  csv: Callable, whole_scene: bool = True) -> tuple[Callable, Callable]:
    """The two callbacks every many-run page has.

    ``update`` runs on each change (the page shown, the page's own ``inputs``, a
    job's end passed on by ``jobs.redraw`` in the browser), reading the race's
    scene: ``parse(race_query, *values) -> (args, view, link_params)``
    checks the boxes (ValueError: a message under them); if the class has computed
    ``args`` already (the shared cache, ``namespace``), ``render(data, view) ->
    (figure, legend, note)`` draws it at once; else the background ``job`` computes
    ``compute(*args, progress=...)`` into the cache, with a progress bar and Cancel,
    and its end runs ``update`` again (admitted and bounded as every job is:
    :mod:`visualizer.server.jobs`). The CSV button sends ``csv(data) -> (columns,
    table, filename)`` once the data is computed, if it can be written within a
    request's budget.
    ``args[0]`` is the race's canonical link (the page's own link is built on it),
    unless ``whole_scene`` is False: then the computation takes only part of the
    scene (its optimizers: a change of start does not compute again) and the
    link is built on the race's canonical link read afresh.
    Returns ``update`` and ``job`` (plain functions, for the tests).
    """

    @callback(
        Output(I.graph, "figure"),
        Output(I.legend, "children"),
        Output(I.note, "children"),
        Output(I.error, "children"),
        Output(I.query, "data"),
        Output(I.request, "data"),
        Input(ids.page_shown(key), "data"),
        *inputs,
        Input(I.redraw, "data"),
        # the race's link, passed on in the browser only while this page is shown
        # (links.whileShown): a drag on the race must not send a request per page
        Input(I.race, "data"),
        prevent_initial_call=True,
    )
    def update(page, *values):
        *values, done, race_query = values
        if page != key:
            raise PreventUpdate
        try:
            args, view, params = parse(race_query, *values)
        except ValueError as exc:
            return no_update, no_update, no_update, str(exc), no_update, no_update
        finished = isinstance(done, dict) and done.get("key") == args_key(args)
        if finished and done.get("error"):
            return no_update, no_update, "", done["error"], no_update, no_update
        data = stored(namespace, args)
        if data is None:
            if finished:  # computed, but the class's cache no longer has it
                log.warning("%s: the job for %s said its view was stored, but the store "
                            "does not have it", key, args_key(args)[:120])
                return (no_update, no_update, "", KEPT_NOT, no_update, no_update)
            return (no_update, no_update, "Computing in the background…", "", no_update,
                    {"key": args_key(args), "race": race_query, "values": values})
        figure, legend, note = render(data, view)
        race = args[0] if whole_scene else race_scene(race_query, need_ticked=False)[4]
        return figure, legend, note, "", page_link(key, race, **params), no_update

    def stopped(message: str, request: Any) -> dict:
        return {"key": request.get("key") if isinstance(request, dict) else None,
                "error": message}

    def check(request: Any) -> tuple:
        """A job's request, checked as the page checks its boxes (``parse``: a forged
        request gets no further than a bad box would), before it waits for a slot."""
        try:
            return parse(request["race"], *request["values"])[0]
        except (TypeError, KeyError) as exc:
            raise ValueError(f"not a request this page sends ({exc!r:.60})") from None

    @callback(
        Output(I.done, "data"),
        Input(I.request, "data"),
        background=True,
        progress=jobs.progress_outputs(I.progress, I.job_label),
        running=running(I),
        cancel=[Input(I.cancel, "n_clicks")],
        interval=jobs.POLL_MS,
        prevent_initial_call=True,
    )
    @jobs.guarded(stopped, check=check)
    def job(set_progress, args):
        """The view's computation, into the class's cache."""
        try:
            kept = cache.kept(namespace, (args_key(args),),
                              lambda: compute(*args, progress=set_progress))
        except ValueError as exc:
            return {"key": args_key(args), "error": str(exc)}
        if not kept:  # say why, here where it is known
            return {"key": args_key(args), "error": KEPT_NOT}
        return {"key": args_key(args)}

    @callback(
        Output(I.download, "data"),
        Output(I.error, "children", allow_duplicate=True),
        Output(I.csv_request, "data"),
        Output(I.csv_status, "children"),
        Input(I.csv, "n_clicks"),
        State(ids.STORE_QUERY, "data"),
        *[State(i.component_id, i.component_property) for i in inputs],
        prevent_initial_call=True,
    )
    def download(_clicks, race_query, *values):
        """The view's table as CSV, once the view is computed (never computed
        here): written in the request when that fits its budget, else asked of a
        background job (:func:`csv_job`), within a job's budget (else a message
        says what to lower)."""
        try:
            args = parse(race_query, *values)[0]
        except ValueError:
            raise PreventUpdate from None
        data = stored(namespace, args)
        if data is None:
            raise PreventUpdate
        columns, table, filename = csv(data)
        rows = len(table[columns[0]])
        if export.download_fits(rows, export.TABLE_ROW_SECONDS, engine.REQUEST_BUDGET):
            return (dcc.send_string("".join(export.table_chunks(columns, table)), filename), "",
                    no_update, "")
        try:
            export.check_download(rows, export.TABLE_ROW_SECONDS, engine.JOB_BUDGET, CSV_LOWER,
                                  unit="one background job")
        except engine.BudgetError as exc:
            return no_update, str(exc), no_update, ""
        return (no_update, "", {"key": args_key(args), "race": race_query, "values": values},
                f"Writing {rows:,} rows in the background…")

    @callback(
        Output(I.csv_done, "data"),
        Input(I.csv_request, "data"),
        background=True,
        interval=jobs.POLL_MS,
        prevent_initial_call=True,
    )
    @jobs.guarded(stopped, progress=False, check=check)
    def csv_job(args):
        """A view's CSV too long to write in a request: written here into the
        class's cache (:mod:`visualizer.server.downloads`), within a job's limits
        like any job."""
        key = args_key(args)
        data = stored(namespace, args)
        if data is None:
            return {"key": key, "error": "The view is no longer in the class's cache: show it "
                                         "again, then ask for its CSV."}
        columns, table, filename = csv(data)
        try:
            export.check_download(len(table[columns[0]]), export.TABLE_ROW_SECONDS,
                                  engine.JOB_BUDGET, CSV_LOWER, unit="one background job")
        except engine.BudgetError as exc:
            return {"key": key, "error": str(exc)}
        return {"key": key, **downloads.keep(namespace, key, filename,
                                              export.table_chunks(columns, table))}

    clientside_callback(
        ClientsideFunction("jobs", "csvReady"),
        Output(I.csv_status, "children", allow_duplicate=True),
        Output(I.error, "children", allow_duplicate=True),
        Input(I.csv_done, "data"),
        prevent_initial_call=True,
    )

    clientside_callback(
        ClientsideFunction("links", "whileShown"),
        Output(I.race, "data"),
        Input(ids.STORE_QUERY, "data"),
        Input(ids.TABS_PAGE, "value"),
    )
    clientside_callback(
        ClientsideFunction("jobs", "redraw"),
        Output(I.seen, "data"),
        Input(I.done, "data"),
        prevent_initial_call=True,
    )
    update.download, update.csv_job = download, csv_job  # for the tests
    return update, job


CSV_LOWER = "lower the grid, the points or the optimizers"


KEPT_NOT = ("This view was computed, but the class's cache did not keep it (too large for "
            "VISUALIZER_CACHE_MB, or the store was busy): reload the page to try again, or "
            "lower the grid, the points or the optimizers.")


def register_pick(I: Ids, states: list, to_link: Callable) -> Callable:  # noqa: E741, N803
    """Register "a click on the page's graph sends a setting back to the race":
    ``to_link(point, race_query, *states) -> the race's link`` (which opens the
    race); a click it cannot read changes nothing. Returns the callback."""

    @callback(
        Output(ids.STORE_URL, "data", allow_duplicate=True),
        Input(I.graph, "clickData"),
        State(ids.STORE_QUERY, "data"),
        *states,
        prevent_initial_call=True,
    )
    def pick(click, race_query, *values):
        try:
            return to_link(click["points"][0], race_query, *values)
        except (TypeError, KeyError, IndexError, ValueError, StopIteration):
            raise PreventUpdate from None

    return pick


def args_key(args: tuple) -> str:
    """A computation's arguments as the text that keys it in the shared cache (and
    goes to the job and back unchanged: JSON in the browser would turn 10.0 into 10)."""
    return json.dumps(list(args))


def stored(namespace: str, args: tuple) -> Any:
    """A view's data if the class has computed it, else None (nothing is computed)."""
    return cache.lookup(namespace, args_key(args))
