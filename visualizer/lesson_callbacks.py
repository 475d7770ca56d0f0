"""Callbacks of the teaching scenes (Adam vs AdaBelief, learning rates, EWC)
and of the page tabs and their links.

Each scene computes only while its page is shown, writes its link to its own
store, and is set from a link on load (``?page=belief&scene=...``).
"""

from __future__ import annotations

import numpy as np
from dash import Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from visualizer import cache, figures, ids, lessons, lessons_view, optimizers, pages, worked
from visualizer.scene import query_params

PAGE_KEYS = pages.keys()
PAGE_IDS = {p.key: p.container for p in pages.all_pages()}
QUERY_STORES = {p.key: p.store for p in pages.all_pages()}


def page_of(query: str | None) -> str:
    """The page a link opens (``?page=KEY``; the race when there is none or it is unknown)."""
    page = query_params(query).get("page", "race")
    return page if page in PAGE_KEYS else "race"


def _mine(query: str | None, page: str) -> bool:
    return page_of(query) == page


# -- The page tabs and the URL ----------------------------------------------------------
clientside_callback(
    f"""function (page) {{
        const pages = {PAGE_KEYS!r};
        return pages.map(function (p) {{ return p === (page || "race") ? {{}} : {{display: "none"}}; }});
    }}""",
    *[Output(PAGE_IDS[k], "style") for k in PAGE_KEYS],
    Input(ids.TABS_PAGE, "value"),
    prevent_initial_call=True,
)
clientside_callback(
    f"""function (search) {{
        // an unknown page opens the first one (the race names it in its notice)
        const m = /[?&]page=([^&]*)/.exec(search || "");
        if (!m) return window.dash_clientside.no_update;
        return {PAGE_KEYS!r}.indexOf(m[1]) >= 0 ? m[1] : {PAGE_KEYS[0]!r};
    }}""",
    Output(ids.TABS_PAGE, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    f"""function (page, view) {{
        const keys = {PAGE_KEYS!r}, queries = Array.prototype.slice.call(arguments, 2);
        let query = queries[keys.indexOf(page || "race")];
        if (query && (page || "race") === "race" && view && view !== "map") {{
            query += "&view=" + view;  // the 3-D view or the step inspector
        }}
        return window.dash_clientside.player.writeUrl(query);
    }}""",
    Output(ids.STORE_URL_WRITTEN, "data"),
    Input(ids.TABS_PAGE, "value"),
    Input(ids.TABS_VIEW, "value"),
    *[Input(QUERY_STORES[k], "data") for k in PAGE_KEYS],
    prevent_initial_call=True,
)
clientside_callback(
    """function (search) {
        const m = /[?&]view=(map|3d|inspect)(&|$)/.exec(search || "");
        return m ? m[1] : window.dash_clientside.no_update;
    }""",
    Output(ids.TABS_VIEW, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)


# -- Adam vs AdaBelief --------------------------------------------------------------------
@callback(
    Output(ids.BELIEF_SCENE, "value"),
    Output(ids.BELIEF_LR, "value"),
    Output(ids.BELIEF_STEPS, "value"),
    Input(ids.BELIEF_SCENE, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
def belief_boxes(scene_key, search):
    """A link sets every box; a new scene sets its own lr and epochs."""
    if ctx.triggered_id == ids.STORE_URL:
        if not _mine(search, "belief"):
            raise PreventUpdate
        return lessons.belief_from_query(search)
    scene = lessons.BELIEF_SCENES.get(scene_key)
    if scene is None:
        raise PreventUpdate
    return no_update, repr(scene.lr), str(scene.steps)


@callback(
    Output(ids.BELIEF_MAP, "figure"),
    Output(ids.BELIEF_CHARTS, "figure"),
    Output(ids.BELIEF_NOTE, "children"),
    Output(ids.BELIEF_ERROR, "children"),
    Output(ids.BELIEF_QUERY, "data"),
    Input(ids.TABS_PAGE, "value"),
    Input(ids.BELIEF_LR, "value"),
    Input(ids.BELIEF_STEPS, "value"),
    State(ids.BELIEF_SCENE, "value"),
)
def update_belief(page, lr_text, steps_text, scene_key):
    if page != "belief":
        raise PreventUpdate
    try:
        lr, steps = lessons.belief_settings(lr_text, steps_text)
        key = scene_key if scene_key in lessons.BELIEF_SCENES else "abs_skew"
        view = belief_view(key, lr, steps)
    except ValueError as exc:
        return no_update, no_update, no_update, str(exc), no_update
    return (*view, "", lessons.belief_query(key, lr, steps))


@cache.shared("belief")
def belief_view(key: str, lr: float, steps: int) -> tuple[dict, dict, list]:
    """The page's map, charts and note for these settings, computed once for the class."""
    run = lessons.belief(key, lr, steps)
    res = run.result
    paths = [(optimizers.get(s.optimizer).title, figures.COLORS[s.optimizer], res.path(i)[0])
             for i, s in enumerate(res.specs)]
    measured = f"Measured: {_race_note(res, ['Adam', 'AdaBelief'])} {lessons.belief_summary(run)}"
    scene = run.scene
    own = (lr, steps) == (scene.lr, scene.steps)  # the scene's sentence holds on its own settings
    note = [scene.note, " ", measured] if own else [measured]
    return (lessons_view.path_map(res.landscape, paths).to_plotly_json(),
            lessons_view.belief_charts(run).to_plotly_json(), note)


def _race_note(res, labels: list[str]) -> str:
    """Where each run ended, and when it first came within 0.1 of the minimum."""
    ref = res.landscape.f_min or 0.0
    parts = []
    for i, label in enumerate(labels):
        d = int(res.diverged_at[i, 0])
        if d >= 0:
            parts.append(f"{label} diverged at epoch {d}")
            continue
        gap = res.losses[i, 0] - ref
        near = np.nonzero(gap < 0.1)[0]
        when = f"within 0.1 of the minimum at epoch {near[0]}" if len(near) else "never within 0.1"
        parts.append(f"{label}: {when}, final cost {lessons.fmt_float(float(res.losses[i, 0, -1]))}")
    return "; ".join(parts) + "."


# -- Learning rates and schedules ----------------------------------------------------------
LR_BOXES = [ids.LR_LANDSCAPE, ids.LR_OPTIMIZER, ids.LR_LRS, ids.LR_SCHEDULE, ids.LR_WARMUP,
            ids.LR_GAMMA, ids.LR_STEP_SIZE, ids.LR_DECAY, ids.LR_STEPS, ids.LR_START]
LR_KEYS = ["landscape", "opt", "lrs", "schedule", "warmup", "gamma", "step_size", "decay", "steps",
           "start"]


@callback(
    Output(ids.LR_SCENE, "value"),
    *[Output(box, "value") for box in LR_BOXES],
    Output(ids.LR_COMPARE, "checked"),
    Input(ids.LR_SCENE, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
def lr_boxes(scene_key, search):
    """A link sets every box; a scene sets the boxes to its own settings."""
    if ctx.triggered_id == ids.STORE_URL:
        if not _mine(search, "lr"):
            raise PreventUpdate
        values = lessons.lr_from_query(search)
        key = query_params(search).get("scene")
        key = key if key in lessons.LR_SCENES else None
    else:
        scene = lessons.LR_SCENES.get(scene_key)
        if scene is None:
            raise PreventUpdate
        key, values = no_update, lessons.lr_boxes_of(scene.settings)
    return key or no_update, *[values[k] for k in LR_KEYS], values["compare"] in ("1", "true", True)


@callback(
    Output(ids.LR_MAP, "figure"),
    Output(ids.LR_CHARTS, "figure"),
    Output(ids.LR_NOTE, "children"),
    Output(ids.LR_ERROR, "children"),
    Output(ids.LR_QUERY, "data"),
    Input(ids.TABS_PAGE, "value"),
    *[Input(box, "value") for box in LR_BOXES],
    Input(ids.LR_COMPARE, "checked"),
    State(ids.LR_SCENE, "value"),
)
def update_lr(page, *boxes):
    if page != "lr":
        raise PreventUpdate
    *boxes, compare, scene_key = boxes
    try:
        settings = lessons.lr_settings(*boxes, compare=bool(compare))
        view = lr_view(settings)
    except (ValueError, KeyError) as exc:
        return no_update, no_update, no_update, str(exc).strip("'\""), no_update
    return (*view, "", lessons.lr_query(settings, scene_key))


@cache.shared("lr")
def lr_view(settings: lessons.LrSettings) -> tuple[dict, dict, str]:
    """The page's map, charts and note for these settings, computed once for the class.
    The note is what the runs on screen did, measured; a scene's own sentence is
    added only while the boxes hold that scene's settings."""
    res = lessons.lr_run(settings)
    runs = settings.runs()
    labels = [label for label, _, _ in runs]
    dashed = [dash for _, _, dash in runs]
    colors = [lessons_view.LR_COLORS[settings.lrs.index(spec.lr)] for _, spec, _ in runs]
    paths = [(label, color, res.path(i)[0], dash)
             for i, (label, color, dash) in enumerate(zip(labels, colors, dashed, strict=True))]
    note = "Measured: " + "; ".join(lessons.lr_outcomes(settings, res)) + "."
    scene = next((sc for sc in lessons.LR_SCENES.values() if sc.settings == settings), None)
    if scene is not None:
        note = f"{scene.note} {note}"
    return (lessons_view.path_map(res.landscape, paths).to_plotly_json(),
            lessons_view.loss_and_lr(res, labels, colors, dashed).to_plotly_json(), note)


# -- Catastrophic forgetting and EWC --------------------------------------------------------
EWC_BOXES = [ids.EWC_OPTIMIZER, ids.EWC_LR, ids.EWC_LAMBDA, ids.EWC_STEPS]


@callback(
    *[Output(box, "value") for box in EWC_BOXES],
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
def ewc_boxes(search):
    if not _mine(search, "ewc"):
        raise PreventUpdate
    return lessons.ewc_from_query(search)


@callback(
    Output(ids.EWC_MAP, "figure"),
    Output(ids.EWC_CHARTS, "figure"),
    Output(ids.EWC_NOTE, "children"),
    Output(ids.EWC_ERROR, "children"),
    Output(ids.EWC_QUERY, "data"),
    Input(ids.TABS_PAGE, "value"),
    *[Input(box, "value") for box in EWC_BOXES],
)
def update_ewc(page, optimizer, lr_text, lam_text, steps_text):
    if page != "ewc":
        raise PreventUpdate
    try:
        name, lr, lam, steps = lessons.ewc_settings(optimizer, lr_text, lam_text, steps_text)
        view = ewc_view(name, lr, lam, steps)
    except (ValueError, KeyError) as exc:
        return no_update, no_update, no_update, str(exc).strip("'\""), no_update
    return (*view, "", lessons.ewc_query(name, lr, lam, steps))


@cache.shared("ewc")
def ewc_view(name: str, lr: float, lam: float, steps: int) -> tuple[dict, dict, str]:
    """The page's map, charts and note for these settings, computed once for the class."""
    run = lessons.ewc(name, lr, lam, steps)
    a, b = lessons.TASK_A, lessons.TASK_B
    if run.diverged:
        note = "This learning rate makes the run diverge: lower it to see the tasks."
    else:
        f = lessons.fmt_float

        def losses(path) -> str:
            return f"task A's loss {f(float(a.f(path[-1])))}, task B's {f(float(b.f(path[-1])))}"

        note = (f"θ*_A = ({f(run.anchor[0])}, {f(run.anchor[1])}); F = Hessian diagonal of task A "
                f"there = ({f(run.fisher[0])}, {f(run.fisher[1])}). Task B's loss at θ*_A: "
                f"{f(float(b.f(run.anchor)))}. After task B alone: {losses(run.plain)}. "
                f"With EWC (λ = {lam:g}): {losses(run.ewc)}. With L2 (λ = {lam:g}, every "
                f"weight alike): {losses(run.l2)}.")
    return (lessons_view.ewc_map(run).to_plotly_json(), lessons_view.ewc_losses(run).to_plotly_json(),
            note)


# -- The worked example's link ------------------------------------------------------------
@callback(
    Output(ids.WORKED_QUERY, "data"),
    Input(ids.WORKED_OUT, "children"),
    Input(ids.WORKED_ANSWERS, "data"),
    State(ids.WORKED_DATA, "value"),
    State(ids.WORKED_WEIGHTS, "value"),
    State(ids.WORKED_LR, "value"),
    State(ids.WORKED_BETA, "value"),
    State(ids.WORKED_STEPS, "value"),
    State(ids.WORKED_CONVENTION, "value"),
    State(ids.WORKED_CHECK, "checked"),
)
def worked_query(_steps_shown, answers, data, weights, lr, beta, steps, convention, checking):
    """The link of the worked example as shown (written after each good update
    and each entry the student makes)."""
    return worked.to_query(data, weights, lr, beta, steps, convention, bool(checking), answers)


@callback(
    Output(ids.WORKED_DATA, "value"),
    Output(ids.WORKED_WEIGHTS, "value"),
    Output(ids.WORKED_LR, "value"),
    Output(ids.WORKED_BETA, "value"),
    Output(ids.WORKED_STEPS, "value"),
    Output(ids.WORKED_CONVENTION, "value"),
    Output(ids.WORKED_CHECK, "checked", allow_duplicate=True),
    Output(ids.WORKED_FILL, "data", allow_duplicate=True),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
def worked_boxes(search):
    if not _mine(search, "worked"):
        raise PreventUpdate
    convention, checking, answers = worked.checking_from_query(search)
    return (*worked.from_query(search), convention, checking, {"answers": answers})
