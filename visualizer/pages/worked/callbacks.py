"""Momentum by hand, the callbacks: the boxes to the worked steps, the marks, the
document's answer, the CSV, and the link."""

from __future__ import annotations

import numpy as np
from dash import ALL, Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import PreventUpdate

from landscapes.number_text import exact
from visualizer.pages import kit
from visualizer.pages.worked.model import (
    DOCUMENT_ANSWER,
    MARK_TEXT,
    check,
    checking_from_query,
    csv_text,
    from_query,
    parse_data,
    parse_settings,
    parse_weights,
    solve,
    to_query,
)
from visualizer.pages.worked.view import I, score, steps_view

Array = np.ndarray
# -- The callbacks -----------------------------------------------------------------------
WORKED_BOXES = [I.data, I.weights, I.lr, I.beta,
                I.steps]


def _worked(data_text, weights_text, lr_text, beta_text, steps_text, convention="torch"):
    """Every step for these boxes, and the parsed data, weights, lr, beta and
    steps; ValueError with one message naming the bad box."""
    data = parse_data(data_text)
    weights = parse_weights(weights_text)
    lr, beta, steps = parse_settings(lr_text, beta_text, steps_text)
    with np.errstate(all="ignore"):
        return solve(data, weights, lr, beta, steps, convention), data, weights, lr, beta, steps


@callback(
    Output(I.out, "children"),
    Output(I.error, "children"),
    *[Input(box, "value") for box in WORKED_BOXES],
    Input(I.convention, "value"),
    Input(I.check, "checked"),
    Input(I.fill, "data"),
    State(I.answers, "data"),
    prevent_initial_call=True,
)
def update_worked(*args):
    """Every step of the worked example (with boxes for the student's own values
    when checking); a bad box keeps the last good steps on screen and says what
    is wrong. The student's entries survive a change of settings."""
    *texts, convention, checking, fill, entered = args
    try:
        result, data, _, lr, beta, _ = _worked(*texts, convention=convention)
    except ValueError as exc:
        return no_update, str(exc)
    note = ""
    if not all(np.isfinite(s.params_after).all() for s in result):
        note = "The parameters overflowed: this learning rate is far too large for the data."
    answers = None
    if checking:
        filled = fill is not None and f"{I.fill}.data" in ctx.triggered_prop_ids
        answers = dict(fill["answers"] if filled else entered or {})
    return steps_view(result, data, lr, beta, convention, answers), note


def mark_answers(entries: list[dict], mark_ids: list[dict], texts: list, convention: str):
    """The marks of the student's entries (``entries``: Dash's inputs list of the
    answer boxes), in the order of ``mark_ids``; the score line; every entry by key."""
    answers = {e["id"]["key"]: e.get("value") or "" for e in entries}
    try:
        _, data, weights, lr, beta, steps = _worked(*texts, convention=convention)
    except ValueError:
        return [no_update] * len(mark_ids), [no_update] * len(mark_ids), no_update, answers
    marks = check(data, weights, lr, beta, steps, convention, answers)
    children, classes = [], []
    for mid in mark_ids:
        m = marks.get(mid["key"])
        if m is None:
            children.append("")
            classes.append("w-mark")
            continue
        text = MARK_TEXT[m.status]
        if m.hint and m.status != "follows":
            text += f": {m.hint}"
        children.append(text)
        classes.append(f"w-mark {m.status}")
    return children, classes, score(marks, len(entries)), answers


@callback(
    Output({"type": I.mark, "key": ALL}, "children"),
    Output({"type": I.mark, "key": ALL}, "className"),
    Output(I.score, "children"),
    Output(I.answers, "data"),
    Input({"type": I.answer, "key": ALL}, "value"),
    *[State(box, "value") for box in WORKED_BOXES],
    State(I.convention, "value"),
)
def check_work(_values, *args):
    """Mark every entry as the student types (and when the boxes appear)."""
    *texts, convention = args
    mark_ids = [o["id"] for o in ctx.outputs_list[0]]
    if not mark_ids:
        return [], [], "", no_update
    return mark_answers(ctx.inputs_list[0], mark_ids, texts, convention)


@callback(
    Output(I.fill, "data"),
    Output(I.check, "checked"),
    Input(I.document, "n_clicks"),
    Input(I.clear, "n_clicks"),
    prevent_initial_call=True,
)
def fill_answers(_document, _clear):
    """The document's printed answer in the boxes (checking turns on), or none."""
    if ctx.triggered_id == I.document:
        return {"answers": {k: exact(v) for k, v in DOCUMENT_ANSWER.items()}}, True
    return {"answers": {}}, no_update


@callback(
    Output(I.download, "data"),
    Input(I.csv, "n_clicks"),
    *[State(box, "value") for box in WORKED_BOXES],
    State(I.convention, "value"),
    prevent_initial_call=True,
)
def download_worked(_clicks, *texts):
    """The CSV of every step, full precision; nothing while a box is bad."""
    *texts, convention = texts
    try:
        result = _worked(*texts, convention=convention)[0]
    except ValueError:
        raise PreventUpdate from None
    return dcc.send_string(csv_text(result), "momentum_by_hand.csv")



# -- The link --------------------------------------------------------------------------
@callback(
    Output(I.query, "data"),
    Input(I.out, "children"),
    Input(I.answers, "data"),
    State(I.data, "value"),
    State(I.weights, "value"),
    State(I.lr, "value"),
    State(I.beta, "value"),
    State(I.steps, "value"),
    State(I.convention, "value"),
    State(I.check, "checked"),
)
def worked_query(_steps_shown, answers, data, weights, lr, beta, steps, convention, checking):
    """The link of the worked example as shown (written after each good update
    and each entry the student makes)."""
    return to_query(data, weights, lr, beta, steps, convention, bool(checking), answers)


def _link_boxes(search: str) -> tuple:
    """Every box, the convention, "check my work" and the student's entries from a link."""
    convention, checking, answers = checking_from_query(search)
    return (*from_query(search), convention, checking, {"answers": answers})


worked_boxes = kit.fill_from_link(
    "worked", [*[Output(box, "value") for box in WORKED_BOXES], Output(I.convention, "value"),
               Output(I.check, "checked", allow_duplicate=True),
               Output(I.fill, "data", allow_duplicate=True)], _link_boxes)

