"""The race's callbacks: parse the boxes, run the engine, build figures.

Each is a plain function registered with Dash's global ``@callback`` (no module
imports ``app``), so tests call them directly. The player (play, pause, step,
scrub) runs in the browser: see ``assets/player.js``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
from dash import (
    ALL,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash import ClientsideFunction as Fn
from dash.exceptions import PreventUpdate

import landscapes
from landscapes import formula
from landscapes.number_text import exact
from visualizer import engine, pages
from visualizer.engine import export, optimizers
from visualizer.pages import kit
from visualizer.pages.race import inspector_view, layout, scene
from visualizer.server import cache, downloads, jobs
from visualizer.ui import figures, ids
from visualizer.ui.text import query_params

NAMES = list(optimizers.OPTIMIZERS)


def every_row(kind: str) -> dict[str, Any]:
    """The pattern-matching id of one kind of box in every optimizer row."""
    return {"type": kind, "opt": ALL}


# -- 1. A scene from the URL (on load) or from a preset ----------------------------------
@callback(
    Output(ids.STORE_LANDSCAPE, "data", allow_duplicate=True),
    Output(ids.STORE_REQUESTED_START, "data"),
    Output(ids.INPUT_STEPS, "value"),
    Output(ids.INPUT_NOISE, "value"),
    Output(ids.INPUT_NOISE_SEED, "value"),
    Output(ids.INPUT_NOISE_RUNS, "value"),
    Output(every_row(ids.OPT_CHECK), "checked"),
    Output(every_row(ids.OPT_LR), "value"),
    Output(every_row(ids.OPT_DECAY), "value"),
    Output(ids.STORE_SETTINGS, "data", allow_duplicate=True),
    Output(ids.STORE_EDITING, "data", allow_duplicate=True),
    Output(ids.TEXT_NOTICE, "children"),
    Input(ids.STORE_URL, "data"),
    Input({"type": ids.PRESET, "key": ALL}, "n_clicks"),
    prevent_initial_call="initial_duplicate",
)
def apply_scene(search: str | None, _presets: list[int]) -> tuple:
    """Set every control from the URL query (page load) or a preset (menu click)."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):  # a preset
        query = next(p.query for p in scene.PRESETS if p.key == trigger["key"])
    elif search:
        query = search
    else:
        raise PreventUpdate  # no query: the layout's defaults stand
    sc, problems = scene.from_query(query)
    page = query_params(query).get("page")
    if page is not None and page not in pages.keys():  # the browser shows the first page
        problems.append(f"unknown page {page!r}; choose from: " + ", ".join(pages.keys()))
    rows = {r.name: r for r in sc.rows}
    notice = (f"Part of the link was ignored: {'; '.join(problems)}" if problems else "")
    return (
        sc.landscape,
        # the query makes the data new even when the point is not, so it always fires
        {"x": sc.start[0], "y": sc.start[1], "landscape": sc.landscape, "nonce": query},
        str(sc.steps),
        exact(sc.noise.sigma) if sc.noise.sigma else "", str(sc.noise.seed), str(sc.noise.seeds),
        [rows[n].checked for n in NAMES],
        [rows[n].lr for n in NAMES],
        [rows[n].decay for n in NAMES],
        scene.settings(sc.rows),
        None,  # close the settings panel: its boxes would show the old scene
        notice,
    )


# -- 2. The start point: drag, click, boxes, landscape change, URL ----------------------
# A start placed on the map (the dot dropped, or a click) is the browser's own
# (map.pick): it goes straight to store-start, so a drop costs one request, the
# runs. The boxes reach update_start only when their text is not the start's
# (map.typed), and the map is drawn again only for a start it does not show yet
# (map.mapStart).
clientside_callback(
    Fn("map", "pick"),
    Output(ids.STORE_START, "data", allow_duplicate=True),
    Output(ids.INPUT_START_X, "value", allow_duplicate=True),
    Output(ids.INPUT_START_Y, "value", allow_duplicate=True),
    Output(ids.INPUT_START_X, "error", allow_duplicate=True),
    Input(ids.STORE_PICK, "data"),
    State(ids.STORE_START, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("map", "typed"),
    Output(ids.STORE_TYPED_START, "data"),
    Input(ids.INPUT_START_X, "value"),
    Input(ids.INPUT_START_Y, "value"),
    State(ids.STORE_START, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("map", "mapStart"),
    Output(ids.STORE_MAP_START, "data"),
    Input(ids.STORE_START, "data"),
    State(ids.STORE_DRAWN, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.STORE_START, "data"),
    Output(ids.INPUT_START_X, "value"),
    Output(ids.INPUT_START_Y, "value"),
    Output(ids.INPUT_START_X, "error"),
    Input(ids.STORE_LANDSCAPE, "data"),
    Input(ids.STORE_REQUESTED_START, "data"),
    Input(ids.STORE_TYPED_START, "data"),
    State(ids.STORE_START, "data"),
)
def update_start(name, requested, typed, current) -> tuple:
    """One start point, whoever moved it: a preset or link, the x/y boxes, or a
    new landscape (its default start). The map's own starts (the dot dropped, a
    click) are set in the browser (``map.pick``)."""
    ls = landscapes.get(name)
    triggers = ctx.triggered_prop_ids.values() if ctx.triggered_id else []
    point: tuple[float, float] | None = None
    source = "box"
    if ids.STORE_REQUESTED_START in triggers and requested and requested.get("landscape") == name:
        point = (requested["x"], requested["y"])
    elif ids.STORE_TYPED_START in triggers and typed:
        try:
            point = scene.parse_start(typed.get("x"), typed.get("y"), ls)
        except ValueError as exc:
            return no_update, no_update, no_update, str(exc)
    elif current and current.get("landscape") == name:
        point = (current["x"], current["y"])
    if point is None:
        point = ls.start
    try:
        engine.check_starts(ls, point)
    except ValueError as exc:
        return no_update, no_update, no_update, str(exc)
    point = (round(float(point[0]), 6), round(float(point[1]), 6))
    store = {"landscape": name, "x": point[0], "y": point[1], "source": source}
    return store, exact(point[0]), exact(point[1]), ""


# -- 2b. Your own landscape: a formula, parsed safely --------------------------------
@callback(
    Output(ids.STORE_LANDSCAPE, "data", allow_duplicate=True),
    Output(ids.INPUT_FORMULA, "error"),
    Input(ids.BUTTON_FORMULA, "n_clicks"),
    Input(ids.INPUT_FORMULA, "value"),
    Input(ids.INPUT_DOMAIN, "value"),
    State(ids.STORE_LANDSCAPE, "data"),
    prevent_initial_call=True,
)
def use_formula(_clicks, text, domain_text, current) -> tuple:
    """Draw the formula in the box (Enter, leaving the box, or Draw); a formula
    that is refused gets its reason under the box and the map stays."""
    if not (text or "").strip():
        raise PreventUpdate
    try:
        name = _formula_name(text, domain_text)
        landscapes.get(name)  # parses and checks the formula
    except ValueError as exc:
        return no_update, str(exc)
    return (no_update if name == current else name), ""


def _formula_name(text: str | None, domain_text: str | None) -> str:
    """The landscape name the formula boxes spell (FormulaError for a bad domain)."""
    return formula.name_of(text or "", formula.parse_domain(domain_text or ""))


# -- 3. The map: redrawn for a new landscape (contour sent once), else the dot moves --
@callback(
    Output(ids.GRAPH_CONTOUR, "figure"),
    Output(ids.GRAPH_OVERLAY, "figure"),
    Output(ids.TEXT_LANDSCAPE_INFO, "children"),
    Output({"type": ids.LS_CARD, "name": ALL}, "className"),
    Output(ids.STORE_DRAWN, "data"),
    Output(ids.MAP_COL, "style"),
    Output(ids.INPUT_FORMULA, "value"),
    Output(ids.INPUT_DOMAIN, "value"),
    Input(ids.STORE_MAP_START, "data"),
    State(ids.STORE_DRAWN, "data"),
    State(ids.INPUT_FORMULA, "value"),
    State(ids.INPUT_DOMAIN, "value"),
    prevent_initial_call=True,
)
def draw_map(start: dict, drawn: str | None, text: str = "", domain_text: str = "") -> tuple:
    ls = landscapes.get(start["landscape"])
    point = (start["x"], start["y"])
    if ls.name == drawn:
        dot: Any = no_update  # a start placed on the map is already drawn there
        if start.get("source") != "map":
            dot = Patch()
            dot["layout"]["shapes"][0]["xanchor"] = point[0]
            dot["layout"]["shapes"][0]["yanchor"] = point[1]
        cards = [no_update] * len(landscapes.names())
        return no_update, dot, no_update, cards, no_update, no_update, no_update, no_update
    classes = ["ls-card selected" if n == ls.name else "ls-card" for n in landscapes.names()]
    boxes = (no_update, no_update)
    if ls.name.startswith(formula.PREFIX):
        drawn_text, ((x0, x1), (y0, y1)) = formula.split_name(ls.name)
        if (text or "").strip() != drawn_text:
            # from a link: fill the boxes. A formula the box already holds came
            # from the boxes, and its domain box may be in the middle of an edit.
            boxes = (drawn_text, ", ".join(exact(v) for v in (x0, x1, y0, y1)))
    return (figures.contour_json(ls.name), figures.overlay_json(ls.name, point),
            layout.landscape_info(ls), classes, ls.name, {"--aspect": figures.aspect(ls)}, *boxes)


# -- 4. The runs: every ticked, valid row, computed once per change --------------------
LIGHT_SECONDS = 0.1
"""A scene expected to take longer (and not yet computed) runs as a background job
(a job costs a process and its polls: the NumPy loop's 0.1 s, estimated high, is
cheaper, and it answers only until the compiled kernels are loaded)."""


def _ends(ls: landscapes.Landscape, point) -> str:
    """Where a run ended, for the results table: ``global (3, 2)``, ``local (0.96, 0)``
    or ``elsewhere``."""
    i = ls.minimum_near(point) if np.isfinite(point).all() else None
    if i is None:
        return "elsewhere"
    m = ls.minima[i]
    return f"{m.kind} ({m.point[0]:.3g}, {m.point[1]:.3g})"


def runs_payload(ls: landscapes.Landscape, steps: int, result: engine.Result | None,
                 query: str | None = None,
                 band: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """What the browser's player needs (paths as base64 float32), and the scene's
    link; no runs for None. With noise, ``band`` is each run's lowest and highest
    cost per epoch over several noisy runs (:func:`noisy_band`): ``band_lo`` and
    ``band_hi``, and ``band_runs`` says how many."""
    runs = []
    for i, spec in enumerate(result.specs if result else []):
        pts, losses = result.path(i)
        d = int(result.diverged_at[i, 0])
        extra = {} if band is None else {"band_lo": figures.encode_floats(band[0][:, i]),
                                          "band_hi": figures.encode_floats(band[1][:, i])}
        runs.append({**extra,
            "name": spec.optimizer, "title": optimizers.info(spec.optimizer).title,
            "color": figures.COLORS[spec.optimizer], "n": len(pts),
            "x": figures.encode_floats(pts[:, 0]), "y": figures.encode_floats(pts[:, 1]),
            "loss": figures.encode_floats(losses),
            "diverged_at": None if d < 0 else d,
            "ends": _ends(ls, pts[-1]) if d < 0 and ls.minima else "—",
        })
    noise = scene.noise_of(query) if query else scene.NO_NOISE
    return {"landscape": ls.name, "title": ls.title, "steps": steps, "fmin": ls.f_min,
            "runs": runs, "query": query,
            "noise": noise.sigma, "band_runs": noise.seeds if band is not None else 0}


@callback(
    Output(ids.STORE_RUNS, "data"),
    Output(ids.STORE_QUERY, "data"),
    Output(ids.STORE_ERRORS, "data"),
    Output(ids.INPUT_STEPS, "error"),
    Output(ids.TEXT_STATUS, "children"),
    Output(ids.STORE_JOB, "data"),
    Input(ids.STORE_START, "data"),
    Input(ids.INPUT_STEPS, "value"),
    Input(every_row(ids.OPT_CHECK), "checked"),
    Input(every_row(ids.OPT_LR), "value"),
    Input(every_row(ids.OPT_DECAY), "value"),
    Input(ids.STORE_SETTINGS, "data"),
    State(ids.STORE_ERRORS, "data"),
    Input(ids.INPUT_NOISE, "value"),
    Input(ids.INPUT_NOISE_SEED, "value"),
    Input(ids.INPUT_NOISE_RUNS, "value"),
)
def compute_runs(start, steps_text, checks, lrs, decays, settings, shown=None,
                 noise_text="", seed_text="0", band_text="1") -> tuple:
    """Validate every box (a message next to each bad one), run the good rows.

    Box messages go out as one dict, ``{optimizer: {box: message}}``, and only
    when they change: the browser shows them (``settings.errors``). A scene
    expected to take over ``LIGHT_SECONDS`` that nobody has computed yet goes to
    the background job (``store-job``): this request answers at once.
    """
    rows = scene.rows_from(checks, lrs, decays, settings)
    specs: list[engine.RunSpec] = []
    errors: dict[str, dict[str, str]] = {}
    for row in rows:
        spec, errs = scene.parse_row(row)
        if errs:
            errors[row.name] = errs
        if row.checked and spec is not None:
            specs.append(spec)
    box_errors = (no_update if errors == (shown or {}) else errors,)
    try:
        steps = scene.parse_steps(steps_text)
        steps_err = ""
    except ValueError as exc:
        return (no_update, no_update, *box_errors, str(exc), "Fix the number of epochs to run.",
                no_update)
    try:
        noise = scene.parse_noise(noise_text, seed_text, band_text)
    except ValueError as exc:
        return (no_update, no_update, *box_errors, steps_err, f"Not run until fixed: {exc}",
                no_update)
    if not start:
        return (no_update, no_update, *box_errors, steps_err, "", no_update)
    ls = landscapes.get(start["landscape"])
    point = (start["x"], start["y"])
    engine.check_starts(ls, point)  # starts come checked (update_start) or from the map (map.pick)
    bad = [optimizers.info(r.name).title for r in rows if r.checked and r.name in errors]
    status = f"Not run until fixed: {', '.join(bad)}." if bad else ""
    if not specs:
        status = status or "Tick an optimizer to see its path."
    query = scene.to_query(ls.name, point, steps, specs, noise)
    try:
        if specs:
            # a scene over a request's budget goes to the background: the job's is the limit
            engine.check_budget(ls, specs, noise.seeds, steps, engine.JOB_BUDGET,
                                "one background job")
        if (specs and not cached_runs(query)
                and engine.expected_seconds(ls, specs, noise.seeds, steps) > LIGHT_SECONDS):
            return (no_update, query, *box_errors, steps_err,
                    status or "Computing this scene in the background…", {"query": query})
        payload = scene_runs(query) if specs else runs_payload(ls, steps, None)
    except engine.BudgetError as exc:
        return (no_update, no_update, *box_errors, steps_err, str(exc), no_update)
    if specs and noise.sigma and not status:
        status = noise_caption(noise)
    return (payload, query, *box_errors, steps_err, status, no_update)


def noise_caption(noise: scene.Noise) -> str:
    """What the race shows when its gradients have noise (the status line's words)."""
    text = (f"Stochastic gradients: noise of σ = {exact(noise.sigma)} added to every gradient "
            f"(seed {noise.seed}), the same draws for every optimizer.")
    if noise.seeds > 1:
        text += (f" The shaded band around each cost curve spans {noise.seeds} noisy runs (this "
                 f"one and {noise.seeds - 1} more draws), lowest to highest cost at each epoch.")
    return text


def _scene_runs(query: str, progress=lambda done: None, budget: float = engine.REQUEST_BUDGET) -> dict:
    noise = scene.noise_of(query)
    share = 1 / noise.seeds  # the band's runs take the rest of the progress and the budget
    result = _rerun(query, progress=lambda done: progress(share * done), budget=budget)
    band = None
    if noise.seeds > 1 and result.specs:
        band = noisy_band(query, noise, result, budget=budget,
                          progress=lambda done: progress(share + (1 - share) * done))
    return runs_payload(result.landscape, result.steps, result, query, band)


def noisy_band(query: str, noise: scene.Noise, drawn: engine.Result,
               budget: float = engine.REQUEST_BUDGET,
               progress=lambda done: None) -> tuple[np.ndarray, np.ndarray]:
    """The cost chart's band: the lowest and highest cost ``(steps + 1, R)`` at each
    epoch over the run ``drawn`` (seed ``noise.seed``) and ``noise.seeds - 1`` more,
    each with its own draws (the start taken that many times, from
    ``noise.seed + 1``: every start gets draws of its own). A run that diverged
    leaves the band from there (NaN where every run has)."""
    ls, specs, start, steps, _ = scene.runs_of(query)
    more = engine.run(ls, specs, np.tile(start, (noise.seeds - 1, 1)), steps, noise=noise.sigma,
                      seed=noise.seed + 1, record_state=False, budget=budget, progress=progress)
    costs = np.concatenate([drawn.losses, more.losses], axis=1)  # (R, seeds, steps + 1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an epoch every run diverged by
        return np.nanmin(costs, axis=1).T, np.nanmax(costs, axis=1).T


@cache.shared("runs")
def scene_runs(query: str) -> dict:
    """The player's runs for a scene's canonical link, computed once for the class."""
    return _scene_runs(query)


def passing_runs(query: str) -> dict:
    """:func:`scene_runs` for a start the dragged dot passes by: from the class
    cache when there, else computed and not stored (a drag passes hundreds of
    starts nobody asks for again)."""
    found = cache.lookup(scene_runs.namespace, query)
    return found if found is not None else _scene_runs(query)


def cached_runs(query: str) -> bool:
    """Whether a scene's runs are in the shared cache already (nothing is computed)."""
    return cache.contains(scene_runs.namespace, query)


def _job_query(job: Any) -> str:
    """The canonical link of a job's scene (a job's request is checked as the page
    checks its boxes: a forged one gets no further than a bad link would)."""
    if not isinstance(job, dict) or not isinstance(job.get("query"), str):
        raise PreventUpdate
    return scene.runs_of(job["query"])[4]


def _check_run_job(job: Any) -> str:
    """A heavy scene's job request, checked before it waits for a slot: its link
    (canonical) and the job's budget."""
    query = _job_query(job)
    ls, specs, _, steps, _ = scene.runs_of(query)
    engine.check_budget(ls, specs, scene.noise_of(query).seeds, steps, engine.JOB_BUDGET,
                        "one background job")
    return query


@callback(
    Output(ids.STORE_JOB_DONE, "data"),
    Input(ids.STORE_JOB, "data"),
    background=True,
    progress=jobs.progress_outputs(ids.PROGRESS_JOB, ids.TEXT_JOB),
    running=[(Output(ids.WRAP_JOB, "style"), {"display": "flex"}, {"display": "none"})],
    cancel=[Input(ids.BUTTON_CANCEL_JOB, "n_clicks")],
    interval=jobs.POLL_MS,
    prevent_initial_call=True,
)
@jobs.guarded(lambda message, job: {
    "query": job.get("query") if isinstance(job, dict) else None, "runs": None, "status": message},
    check=_check_run_job)
def run_job(set_progress, query: str) -> dict:
    """A heavy scene's runs, off the request path (a background job, admitted and
    bounded by :mod:`visualizer.server.jobs`: the client's newer job replaces it,
    and so does Cancel). The page takes them only if it still shows that scene
    (``jobs.accept``)."""
    try:
        runs = cache.get_or_compute(scene_runs.namespace, (query,), lambda: _scene_runs(
            query, progress=set_progress, budget=engine.JOB_BUDGET))
    except ValueError as exc:  # over the budget; a part of the link that is bad
        return {"query": query, "runs": None, "status": str(exc)}
    noise = scene.noise_of(query)
    return {"query": query, "runs": runs, "status": noise_caption(noise) if noise.sigma else ""}


clientside_callback(
    Fn("jobs", "accept"),
    Output(ids.STORE_RUNS, "data", allow_duplicate=True),
    Output(ids.TEXT_STATUS, "children", allow_duplicate=True),
    Input(ids.STORE_JOB_DONE, "data"),
    State(ids.STORE_QUERY, "data"),
    prevent_initial_call=True,
)


# -- 5. Downloads, the 3-D view and the step inspector ------------------------------------
def _rerun(query: str, record_state: bool = False, progress=lambda done: None,
           budget: float = engine.REQUEST_BUDGET) -> engine.Result:
    """The runs of a scene's link (ValueError if any part of it is bad), within
    ``budget`` (a request's, unless a background job runs them)."""
    ls, specs, start, steps, _ = scene.runs_of(query)
    noise = scene.noise_of(query)
    return engine.run(ls, specs, start, steps, noise=noise.sigma, seed=noise.seed,
                      record_state=record_state, budget=budget, progress=progress)


def _stem(ls: landscapes.Landscape) -> str:
    """A file name's part for a landscape (your own formula has characters files cannot)."""
    return "formula" if ls.name.startswith(formula.PREFIX) else ls.name


def _pack(result: engine.Result) -> dict:
    """A recorded result as plain data for the shared cache (your own formula's
    functions cannot be pickled: the landscape goes by name)."""
    fields = dict(vars(result))
    fields["landscape"] = result.landscape.name
    return fields


def _unpack(packed: dict) -> engine.Result:
    return engine.Result(**{**packed, "landscape": landscapes.get(packed["landscape"])})


def _record(query: str, budget: float = engine.REQUEST_BUDGET) -> dict:
    return _pack(_rerun(query, record_state=True, budget=budget))


def _recorded(query: str) -> engine.Result | None:
    """The scene's runs with every state recorded: computed once for the class (in
    the request, or by the background job for a heavy scene) and kept, since
    scrubbing asks again and again."""
    if "opt=" not in query:
        return None
    return _unpack(cache.get_or_compute("recorded", (query,), lambda: _record(query)))


def _record_is_heavy(query: str) -> bool:
    """Whether recording this scene (not recorded yet) is work for the background."""
    if "opt=" not in query or cache.contains("recorded", query):
        return False
    ls, specs, _, steps, _ = scene.runs_of(query)
    return engine.expected_seconds(ls, specs, 1, steps) > LIGHT_SECONDS


@callback(
    Output(ids.INSPECT_OUT, "children"),
    Output(ids.STORE_RECORD_JOB, "data"),
    Input(ids.STORE_INSPECT, "data"),
    State(ids.STORE_RECORD_JOB, "data"),
    prevent_initial_call=True,
)
def inspect_step(wanted: dict | None, asked: dict | None = None):
    """Every run's card at the step the player (or the cost chart's hover) is on.

    A heavy scene's first recording is the background job's (``record_job``),
    asked for once (scrubbing meanwhile must not start it again: a new job
    cancels the one before); until it is stored a line says so, and the page
    asks again when it is (``jobs.recorded``)."""
    if not wanted or not wanted.get("query"):
        raise PreventUpdate
    try:
        epoch = int(wanted.get("epoch") or 0)
    except (TypeError, ValueError):
        epoch = 0
    try:
        if wanted.get("error"):  # the background recording failed
            raise ValueError(str(wanted["error"]))
        query = str(wanted["query"])
        if "opt=" in query:  # the class's cache keys on the canonical link
            query = scene.runs_of(query)[4]
        if _record_is_heavy(query):
            job = no_update if asked == {"query": query} else {"query": query}
            return (html.P("Recording every step of this scene in the background…",
                           className="status"), job)
        recorded = _recorded(query)
    except ValueError as exc:  # over the request budget; a bad part of the link
        return html.P(str(exc), className="notice"), no_update
    return inspector_view.view(recorded, epoch), no_update


@callback(
    Output(ids.STORE_RECORD_DONE, "data"),
    Input(ids.STORE_RECORD_JOB, "data"),
    background=True,
    interval=jobs.POLL_MS,
    prevent_initial_call=True,
)
@jobs.guarded(lambda message, job: {
    "query": job.get("query") if isinstance(job, dict) else None, "error": message},
    progress=False, check=_job_query)
def record_job(query: str) -> dict:
    """A heavy scene's every step, recorded off the request path into the shared
    cache; the inspector then shows it (admitted and bounded as every job is)."""
    try:
        cache.get_or_compute("recorded", (query,), lambda: _record(query, engine.JOB_BUDGET))
    except ValueError as exc:
        return {"query": query, "error": str(exc)}
    return {"query": query, "error": None}


clientside_callback(
    Fn("jobs", "recorded"),
    Output(ids.STORE_RECORD_SEEN, "data"),
    Input(ids.STORE_RECORD_DONE, "data"),
    State(ids.STORE_INSPECT, "data"),
    prevent_initial_call=True,
)


def _to_download(query: str, row_seconds: float, budget: float = engine.REQUEST_BUDGET,
                 unit: str = "a request") -> str:
    """A scene's canonical link, if writing its rows (``row_seconds`` each) fits
    ``budget`` (else ``BudgetError`` says what to lower)."""
    _, specs, _, steps, canonical = scene.runs_of(query)
    export.check_download(len(specs) * steps, row_seconds, budget,
                          "lower the epochs or tick fewer optimizers", unit)
    return canonical


@callback(
    Output(ids.DOWNLOAD_INSPECT, "data"),
    Output(ids.TEXT_NOTICE, "children", allow_duplicate=True),
    Output(ids.STORE_STEPS_CSV_JOB, "data"),
    Output(ids.TEXT_INSPECT_CSV, "children"),
    Input(ids.BUTTON_INSPECT_CSV, "n_clicks"),
    State(ids.STORE_QUERY, "data"),
    prevent_initial_call=True,
)
def download_steps(_clicks, query: str | None):
    """Every step of every run, with its state, as CSV: written in the request when
    that fits its budget, else asked of a background job (:func:`steps_csv_job`),
    within a job's budget (else a message says what to lower)."""
    if not query or "opt=" not in query:
        raise PreventUpdate
    try:
        result = _recorded(_to_download(query, export.STEP_ROW_SECONDS))
    except engine.BudgetError:
        try:
            canonical = _to_download(query, export.STEP_ROW_SECONDS, engine.JOB_BUDGET,
                                     "one background job")
        except ValueError as exc:
            return no_update, f"Not downloaded: {exc}", no_update, ""
        return no_update, "", {"query": canonical}, "Writing it in the background…"
    except ValueError as exc:
        return no_update, f"Not downloaded: {exc}", no_update, ""
    if result is None:
        raise PreventUpdate
    return (dcc.send_string(export.steps_csv(result), f"steps-{_stem(result.landscape)}.csv"), "",
            no_update, "")


def _check_steps_job(job: Any) -> str:
    """A CSV job's request, checked before it waits for a slot: its link (canonical)
    and the rows a job may write."""
    return _to_download(_job_query(job), export.STEP_ROW_SECONDS, engine.JOB_BUDGET,
                        "one background job")


@callback(
    Output(ids.STORE_STEPS_CSV_DONE, "data"),
    Input(ids.STORE_STEPS_CSV_JOB, "data"),
    background=True,
    interval=jobs.POLL_MS,
    prevent_initial_call=True,
)
@jobs.guarded(lambda message, job: {"error": message}, progress=False, check=_check_steps_job)
def steps_csv_job(query: str) -> dict:
    """A CSV of every step too long to write in a request: the recording (made
    here if the class has none yet) written into the class's cache
    (:mod:`visualizer.server.downloads`), within a job's limits like any job."""
    try:
        result = _unpack(cache.get_or_compute("recorded", (query,),
                                              lambda: _record(query, engine.JOB_BUDGET)))
    except ValueError as exc:
        return {"error": f"Not downloaded: {exc}"}
    return downloads.keep("steps", query, f"steps-{_stem(result.landscape)}.csv",
                          export.steps_chunks(result))


clientside_callback(
    Fn("jobs", "csvReady"),
    Output(ids.TEXT_INSPECT_CSV, "children", allow_duplicate=True),
    Output(ids.TEXT_NOTICE, "children", allow_duplicate=True),
    Input(ids.STORE_STEPS_CSV_DONE, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.DOWNLOAD, "data"),
    Output(ids.TEXT_NOTICE, "children", allow_duplicate=True),
    Input(ids.BUTTON_CSV, "n_clicks"),
    Input(ids.BUTTON_JSON, "n_clicks"),
    State(ids.STORE_QUERY, "data"),
    prevent_initial_call=True,
)
def download(_csv: int, _json: int, query: str | None):
    """Every run at full precision, computed again in the request (within its
    budget: a scene only a background job may run says what to lower)."""
    if not query or "opt=" not in query:
        return no_update, no_update
    try:
        result = _rerun(_to_download(query, export.PATH_ROW_SECONDS))
    except ValueError as exc:
        return no_update, f"Not downloaded: {exc}"
    stem = f"optimizers-{_stem(result.landscape)}"
    if ctx.triggered_id == ids.BUTTON_CSV:
        return dcc.send_string(export.result_to_csv(result), f"{stem}.csv"), ""
    doc = export.result_to_json(result, result.starts[0].tolist())
    return dcc.send_string(json.dumps(doc), f"{stem}.json"), ""


@callback(
    Output(ids.GRAPH_SURFACE, "figure"),
    Input(ids.STORE_SURFACE_QUERY, "data"),  # the scene, not the runs: nothing big goes up
    prevent_initial_call=True,
)
def draw_surface(query: str | None):
    """The 3-D view, computed once for the class per canonical link (any other
    spelling of the same scene reads the same entry)."""
    if not query:
        return no_update
    return scene_surface(scene.runs_of(query)[4])


@cache.shared("surface")
def scene_surface(query: str) -> dict:
    """The 3-D view of a scene's canonical link, computed once for the class, from
    the scene's runs (computed once too: the view never runs them again)."""
    runs = scene_runs(query)
    paths = [(r["name"], np.column_stack([figures.decode_floats(r["x"]), figures.decode_floats(r["y"])]))
             for r in runs["runs"]]
    return figures.surface_figure(landscapes.get(runs["landscape"]), paths).to_plotly_json()


# -- Browser-side: the video export (assets/video.js), all of it in the browser -------------
kit.register_video(layout.RACE_VIDEO, "race")


# -- Browser-side: the player, the URL, the landscape cards, copy link ---------------------
clientside_callback(
    Fn("player", "pickLandscape"),
    Output(ids.STORE_LANDSCAPE, "data"),
    Input({"type": ids.LS_CARD, "name": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("settings", "open"),
    Output(ids.STORE_EDITING, "data"),
    Input({"type": ids.OPT_MORE, "opt": ALL}, "n_clicks"),
    Input(ids.BUTTON_SETTINGS_DONE, "n_clicks"),
    State(ids.STORE_EDITING, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("settings", "fill"),
    Output(ids.PANEL_SETTINGS, "style"),
    Output(ids.TEXT_SETTINGS_TITLE, "children"),
    Output(ids.TEXT_SETTINGS_FORMULA, "children"),
    Output({"type": ids.HYPER_SLOT, "index": ALL}, "label"),
    Output({"type": ids.HYPER_SLOT, "index": ALL}, "value"),
    Output({"type": ids.HYPER_SLOT, "index": ALL}, "style"),
    Output(ids.SELECT_SCHEDULE, "value"),
    Output({"type": ids.SCHED_PARAM, "key": ALL}, "value"),
    Input(ids.STORE_EDITING, "data"),
    State(ids.STORE_SETTINGS, "data"),
    State(ids.STORE_META, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("settings", "edit"),
    Output(ids.STORE_SETTINGS, "data"),
    Input({"type": ids.HYPER_SLOT, "index": ALL}, "value"),
    Input(ids.SELECT_SCHEDULE, "value"),
    Input({"type": ids.SCHED_PARAM, "key": ALL}, "value"),
    State(ids.STORE_EDITING, "data"),
    State(ids.STORE_SETTINGS, "data"),
    State(ids.STORE_META, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("settings", "errors"),
    Output({"type": ids.HYPER_SLOT, "index": ALL}, "error"),
    Output({"type": ids.SCHED_PARAM, "key": ALL}, "error"),
    Output({"type": ids.OPT_MORE, "opt": ALL}, "color"),
    Output(every_row(ids.OPT_LR), "error"),
    Output(every_row(ids.OPT_DECAY), "error"),
    Input(ids.STORE_ERRORS, "data"),
    Input(ids.STORE_EDITING, "data"),
    State(ids.STORE_META, "data"),
)
clientside_callback(
    Fn("player", "showView"),
    Output(ids.MAP_STACK, "style"),
    Output(ids.SURFACE_WRAP, "style"),
    Output(ids.INSPECT_WRAP, "style"),
    Output(ids.STORE_SURFACE_QUERY, "data"),  # no request for the 3-D view while it is hidden
    Input(ids.TABS_VIEW, "value"),
    Input(ids.STORE_QUERY, "data"),
)
clientside_callback(
    Fn("player", "inspectStep"),
    Output(ids.STORE_INSPECT, "data"),
    Input(ids.TABS_VIEW, "value"),
    Input(ids.SLIDER_EPOCH, "value"),
    Input(ids.GRAPH_LOSS, "hoverData"),
    Input(ids.STORE_QUERY, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("links", "presetNote"),
    Output(ids.TEXT_PRESET_NOTE, "children"),
    Input(ids.STORE_RUNS, "data"),
    State(ids.STORE_PRESET_NOTES, "data"),
)
clientside_callback(
    Fn("links", "readUrl"),
    Output(ids.STORE_URL, "data"),
    Input(ids.STORE_BOOT, "data"),
)
clientside_callback(
    Fn("links", "savePng"),
    Output(ids.BUTTON_PNG, "children"),
    Input(ids.BUTTON_PNG, "n_clicks"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("links", "copyLink"),
    Output(ids.BUTTON_COPY_LINK, "children"),
    Input(ids.BUTTON_COPY_LINK, "n_clicks"),
    prevent_initial_call=True,
)
clientside_callback(
    Fn("player", "frame"),
    Output(ids.SLIDER_EPOCH, "value"),
    Output(ids.SLIDER_EPOCH, "max"),
    Output(ids.TEXT_EPOCH, "children"),
    Output(ids.TABLE_RESULTS, "children"),
    Output(ids.BUTTON_PLAY, "children"),
    Input(ids.BUTTON_PLAY, "n_clicks"),
    Input(ids.BUTTON_STEP_BACK, "n_clicks"),
    Input(ids.BUTTON_STEP_FORWARD, "n_clicks"),
    Input(ids.BUTTON_RESET, "n_clicks"),
    Input(ids.SLIDER_EPOCH, "value"),
    Input(ids.STORE_RUNS, "data"),
    Input(ids.SWITCH_LOG, "checked"),
    Input(ids.STORE_DRAWN, "data"),  # a new landscape on the map: draw the paths again
    Input(ids.CONTROL_SPEED, "value"),
    prevent_initial_call=True,
)















