"""The race's layout: the control panel on the left, the stacked map and the loss
chart on the right with the race's actions above, the player under them. Built
from the registries, so a new optimizer or landscape shows up here by itself."""

from __future__ import annotations

import functools
import json

import dash_mantine_components as dmc
from dash import dcc, html
from plotly.utils import PlotlyJSONEncoder

import landscapes
from visualizer.engine import optimizers, schedules
from visualizer.pages import kit
from visualizer.pages.race import scene
from visualizer.ui import figures, ids

SPEEDS = [("0.5×", "0.5"), ("1×", "1"), ("2×", "2"), ("5×", "5"), ("10×", "10"), ("25×", "25")]
SCHEDULE_CHOICES = [{"value": n, "label": "none" if n == "constant" else n}
                    for n in schedules.SCHEDULES]
# Box labels of the settings panel (gamma serves two schedules, hence its own words).
SCHEDULE_LABELS = {
    "warmup": "warmup (steps)", "step_size": "step: every", "gamma": "γ (step / exp.)",
    "period": "cosine period", "min_factor": "cosine floor",
}


def _section(number: int, title: str, *children, **kwargs) -> dmc.Paper:
    return dmc.Paper(
        [dmc.Text([html.Span(f"{number}", className="step-badge"), title], className="section-title"),
         *children],
        className="panel-section", withBorder=True, radius="md", p="sm", **kwargs,
    )


def landscape_info(ls: landscapes.Landscape) -> list:
    return [
        html.Div(ls.title, className="ls-name"),
        dcc.Markdown(f"$${ls.formula}$$", mathjax=True, className="formula"),
        html.Div(ls.lesson, className="hint"),
    ]


def formula_box() -> html.Div:
    """Your own landscape: a formula in x and y and the square it is drawn on."""
    return html.Div([
        html.Div("…or type your own", className="formula-head"),
        html.Div([
            dmc.TextInput(id=ids.INPUT_FORMULA, label="f(x, y) =", value="", size="xs",
                          placeholder="x**2 + 3*sin(y)", debounce=True, className="formula-input",
                          spellCheck=False, autoComplete="off"),
            dmc.TextInput(id=ids.INPUT_DOMAIN, label="x₀, x₁, y₀, y₁", size="xs",
                          value="-5, 5, -5, 5", debounce=True, className="domain-input"),
            dmc.Button("Draw", id=ids.BUTTON_FORMULA, size="xs", variant="light", n_clicks=0),
        ], className="formula-row"),
        html.Div("Numbers, x, y, pi, e, + − * / ** (or ^) and sin cos tan exp log sqrt abs "
                 "tanh sinh cosh atan sign. The gradient is derived exactly.", className="hint"),
    ], className="formula-box")


def landscape_picker(selected: str) -> html.Div:
    cards = []
    for ls in landscapes.all_landscapes():
        cards.append(html.Button(
            [html.Img(src=figures.thumbnail(ls.name), alt="", className="ls-thumb"),
             html.Span(ls.title, className="ls-title")],
            id={"type": ids.LS_CARD, "name": ls.name}, title=ls.lesson,
            className="ls-card selected" if ls.name == selected else "ls-card",
            n_clicks=0, **{"data-name": ls.name},
        ))
    return html.Div(cards, className="ls-grid", role="group", **{"aria-label": "cost landscape"})


MAX_HYPERS = max(len(info.hypers) for info in optimizers.OPTIMIZERS.values())


def optimizer_row(row: scene.Row) -> html.Div:
    info = optimizers.info(row.name)
    color = figures.COLORS[row.name]
    key = {"opt": row.name}
    return html.Div([
        dmc.Checkbox(id={"type": ids.OPT_CHECK, **key}, checked=row.checked, color=color,
                     size="sm", className="opt-check", **{"aria-label": f"run {info.title}"}),
        html.Span([html.Span(className="swatch", style={"background": color}), info.title],
                  className="opt-name", title=info.torch),
        dmc.TextInput(id={"type": ids.OPT_LR, **key}, value=row.lr, size="xs", debounce=400,
                      className="num-input", **{"aria-label": f"{info.title} learning rate"}),
        dmc.TextInput(id={"type": ids.OPT_DECAY, **key}, value=row.decay, size="xs", debounce=400,
                      className="num-input", **{"aria-label": f"{info.title} learning rate decay"}),
        dmc.ActionIcon("⚙", id={"type": ids.OPT_MORE, **key}, variant="subtle", size="sm",
                       color="gray", n_clicks=0,
                       **{"aria-label": f"{info.title}: other hyperparameters and schedule"}),
    ], className="opt-row", **{"data-opt": row.name})


def optimizer_table(rows: list[scene.Row]) -> html.Div:
    head = html.Div([html.Span(""), html.Span("Optimizer"), html.Span("Learning Rate"),
                     html.Span("LR Decay"), html.Span("")], className="opt-row opt-head")
    return html.Div([head, *(optimizer_row(r) for r in rows)], className="opt-table")


def settings_panel() -> dmc.Paper:
    """One panel for the optimizer whose ⚙ was clicked (one set of boxes for all
    fourteen keeps the page light: Dash's cost grows with every wired box)."""
    slots = [
        dmc.TextInput(id={"type": ids.HYPER_SLOT, "index": i}, label="", value="", size="xs",
                      debounce=400, className="hyper-input", style={"display": "none"})
        for i in range(MAX_HYPERS)
    ]
    sched = [dmc.TextInput(id={"type": ids.SCHED_PARAM, "key": k}, value="", size="xs",
                           label=SCHEDULE_LABELS[k], debounce=400, className="hyper-input",
                           placeholder="all epochs" if k == "period" else "default")
             for k in scene.SCHEDULE_KEYS]
    return dmc.Paper([
        html.Div([html.Span("", id=ids.TEXT_SETTINGS_TITLE, className="settings-title"),
                  dmc.Button("Done", id=ids.BUTTON_SETTINGS_DONE, size="xs", variant="light",
                             n_clicks=0)], className="settings-head"),
        dcc.Markdown("", id=ids.TEXT_SETTINGS_FORMULA, mathjax=True, className="formula small"),
        html.Div(slots, className="hyper-grid"),
        html.Div([dmc.Select(id=ids.SELECT_SCHEDULE, data=SCHEDULE_CHOICES, value="constant",
                             label="schedule (on top of decay)", size="xs", allowDeselect=False,
                             className="hyper-input"), *sched], className="hyper-grid"),
        html.Div("Blank boxes take their defaults. Every run equals torch.optim's numbers.",
                 className="hint"),
    ], id=ids.PANEL_SETTINGS, className="settings-panel", withBorder=True, radius="md", p="sm",
        style={"display": "none"})


def meta() -> dict:
    """What the browser needs to fill the settings panel, from the registry."""
    return {n: {"title": i.title, "formula": f"$${i.formula}$$", "torch": i.torch,
                "hypers": [[k, h.label or k] for k, h in i.hypers.items()]}
            for n, i in optimizers.OPTIMIZERS.items()}


def player_bar() -> html.Div:
    return html.Div([
        html.Div([
            html.Button("⟲", id=ids.BUTTON_RESET, n_clicks=0, className="pbtn",
                        title="Reset to epoch 0", **{"aria-label": "reset"}),
            html.Button("◀", id=ids.BUTTON_STEP_BACK, n_clicks=0, className="pbtn",
                        title="Step back (←)", **{"aria-label": "step back"}),
            html.Button("▶ Play", id=ids.BUTTON_PLAY, n_clicks=0, className="pbtn play-button",
                        title="Play / pause (space)"),
            html.Button("▶", id=ids.BUTTON_STEP_FORWARD, n_clicks=0, className="pbtn",
                        title="Step forward (→)", **{"aria-label": "step forward"}),
            dmc.SegmentedControl(id=ids.CONTROL_SPEED, value="5", size="xs",
                                 data=[{"label": a, "value": b} for a, b in SPEEDS]),
            html.Span("epoch 0", id=ids.TEXT_EPOCH, className="epoch-text"),
        ], className="player-buttons"),
        dmc.Slider(id=ids.SLIDER_EPOCH, min=0, max=scene.DEFAULT_STEPS, value=0, step=1,
                   updatemode="drag", size="sm", label=None, className="epoch-slider",
                   thumbLabel="Epoch shown"),
    ], className="player")


def preset_caption(caption: dict[str, str]) -> list:
    """A preset's caption over the map: its title and description, and its note folded."""
    out: list = [html.B(caption["title"]), " — " + caption["description"]]
    if caption["note"]:
        out += [" ", html.Details([html.Summary("More about this picture"), caption["note"]])]
    return out


@functools.cache
def preset_captions() -> dict[str, list]:
    """Every preset's caption, built once (not per page load), by the link its runs carry:
    the browser shows the one for the runs on screen (links.js: presetNote)."""
    return {link: json.loads(json.dumps(preset_caption(c), cls=PlotlyJSONEncoder))
            for link, c in scene.preset_captions().items()}


def actions() -> html.Div:
    """The race's own actions: presets, the map as PNG, every run as CSV or JSON."""
    presets = dmc.Menu([
        # the target's own wrapper is the button (it carries the menu's aria-expanded)
        dmc.MenuTarget(html.Span("Presets ▾", className="presets-label"),
                       boxWrapperProps={"role": "button", "tabIndex": 0,
                                        "className": "presets-button"}),
        dmc.MenuDropdown([
            dmc.MenuItem(html.Div([html.B(p.title), html.Div(p.description, className="hint")]),
                         id={"type": ids.PRESET, "key": p.key}, n_clicks=0)
            for p in scene.PRESETS
        ], className="preset-menu"),
    ], width=380, position="bottom-end")
    return html.Div([
        presets,
        dmc.Button("⤓ PNG", id=ids.BUTTON_PNG, variant="default", size="sm", n_clicks=0,
                   **{"aria-label": "Save the map as PNG"}),
        dmc.Button("⤓ CSV", id=ids.BUTTON_CSV, variant="default", size="sm", n_clicks=0,
                   **{"aria-label": "Download every run as CSV"}),
        dmc.Button("⤓ JSON", id=ids.BUTTON_JSON, variant="default", size="sm", n_clicks=0,
                   **{"aria-label": "Download every run as JSON"}),
        kit.video_button(RACE_VIDEO),
    ], className="race-actions")


RACE_VIDEO = kit.VideoIds(ids.VIDEO_PANEL, ids.INPUT_VIDEO_FORMAT, ids.INPUT_VIDEO_FROM,
                          ids.INPUT_VIDEO_TO, ids.INPUT_VIDEO_SECONDS, ids.INPUT_VIDEO_FPS,
                          ids.INPUT_VIDEO_WIDTH, ids.BUTTON_VIDEO_GO, ids.BUTTON_VIDEO_CANCEL,
                          ids.TEXT_VIDEO, ids.BUTTON_VIDEO)
"""The race's video export (its panel: :func:`kit.video_panel`)."""


def page() -> html.Main:
    """The race: the control panel, the stacked map and the loss chart, the player."""
    default = scene.Scene()
    ls = landscapes.get(default.landscape)
    graph_config = {"displaylogo": False, "scrollZoom": False,
                    "toImageButtonOptions": {"format": "png", "scale": 2}}
    panel = html.Aside([
        _section(1, "Choose a cost landscape", landscape_picker(ls.name), formula_box(),
                 html.Div(landscape_info(ls), id=ids.TEXT_LANDSCAPE_INFO, className="ls-info")),
        _section(2, "Choose the starting point", html.Div([
            dmc.TextInput(id=ids.INPUT_START_X, label="x", value="0", size="xs", debounce=400,
                          className="num-input"),
            dmc.TextInput(id=ids.INPUT_START_Y, label="y", value="0", size="xs", debounce=400,
                          className="num-input"),
            html.Span("or drag the red dot, or click the map", className="hint"),
        ], className="start-row")),
        _section(3, "Choose optimizers", optimizer_table(default.rows), settings_panel(), html.Div([
            dmc.TextInput(id=ids.INPUT_STEPS, label=f"epochs (1–{scene.MAX_APP_STEPS:,})",
                          value=str(default.steps), size="xs", debounce=400, className="num-input"),
            dmc.TextInput(id=ids.INPUT_NOISE, label="gradient noise σ (blank: none)", value="",
                          size="xs", debounce=400, className="num-input"),
            dmc.TextInput(id=ids.INPUT_NOISE_SEED, label="noise seed", value="0", size="xs",
                          debounce=400, className="num-input"),
            dmc.TextInput(id=ids.INPUT_NOISE_RUNS,
                          label=f"noisy runs in the band (1–{scene.SEEDS.high:g})", value="1",
                          size="xs", debounce=400, className="num-input"),
        ], className="steps-row")),
    ], className="panel")
    stage = html.Div([
        html.Div([
            dmc.Tabs([
                dmc.TabsList([  # each tab names the view it shows (its aria-controls)
                    dmc.TabsTab(title, value=view, **{"aria-controls": shows})
                    for title, view, shows in [("Contour map", ids.VIEW_MAP, ids.MAP_STACK),
                                               ("3-D surface", ids.VIEW_3D, ids.SURFACE_WRAP),
                                               ("Step inspector", ids.VIEW_INSPECT, ids.INSPECT_WRAP)]]),
            ], id=ids.TABS_VIEW, value=ids.VIEW_MAP, className="view-tabs"),
            actions(),
        ], className="stage-head"),
        html.Div(preset_captions().get(scene.default_link(), []),  # as the runs will bring it
                 id=ids.TEXT_PRESET_NOTE, className="preset-note"),
        html.Div([
            html.Div([
                html.Div([
                    dcc.Graph(id=ids.GRAPH_CONTOUR, figure=figures.contour_json(ls.name),
                              config={**graph_config, "staticPlot": False, "displayModeBar": False},
                              className="graph-contour"),
                    dcc.Graph(id=ids.GRAPH_OVERLAY, figure=figures.overlay_json(ls.name, ls.start),
                              # no modebar: its camera would miss the contour underneath
                              # (the race's PNG button saves both); the dot is dragged
                              # by assets/player.js
                              config={**graph_config, "displayModeBar": False},
                              className="graph-overlay", clear_on_unhover=True),
                ], className="map-stack", id=ids.MAP_STACK),
                html.Div([
                    dcc.Graph(id=ids.GRAPH_SURFACE, config=graph_config, className="graph-surface"),
                ], className="surface-wrap", id=ids.SURFACE_WRAP, style={"display": "none"}),
                html.Div([
                    html.Div([
                        dmc.Button("⤓ CSV of every step", id=ids.BUTTON_INSPECT_CSV, size="xs",
                                   variant="default", n_clicks=0),
                        html.Span(id=ids.TEXT_INSPECT_CSV, className="job-label", role="status"),
                        html.Span("gradient, learning rate, state, step and point of every "
                                  "run at every step, full precision", className="hint"),
                    ], className="i-actions"),
                    html.Div(id=ids.INSPECT_OUT, className="i-cards"),
                    dcc.Download(id=ids.DOWNLOAD_INSPECT),
                    dcc.Store(id=ids.STORE_STEPS_CSV_JOB),
                    dcc.Store(id=ids.STORE_STEPS_CSV_DONE),
                ], className="inspect-wrap", id=ids.INSPECT_WRAP, style={"display": "none"}),
            ], className="map-col", id=ids.MAP_COL, style={"--aspect": figures.aspect(ls)}),
            html.Div([
                html.Div([html.Span("Cost per epoch", className="chart-title"),
                          dmc.Switch(id=ids.SWITCH_LOG, label="log scale (f − f_min)", size="xs",
                                     checked=False)], className="chart-head"),
                dcc.Graph(id=ids.GRAPH_LOSS, figure=figures.loss_figure(), config=graph_config,
                          className="graph-loss"),
                html.Div(id=ids.TABLE_RESULTS, className="results"),
            ], className="loss-col", role="region", tabIndex="0",  # it scrolls in projector mode
               **{"aria-label": "Cost per epoch and the results table"}),
        ], className="stage-row"),
        player_bar(),
        kit.video_panel(RACE_VIDEO),
        html.Div(id=ids.TEXT_STATUS, className="status", role="status"),
        html.Div([
            dmc.Progress(id=ids.PROGRESS_JOB, value=0, size="sm", className="job-bar",
                         **{"aria-label": "Progress of the background computation"}),
            html.Span(id=ids.TEXT_JOB, className="job-label", role="status"),
            dmc.Button("Cancel", id=ids.BUTTON_CANCEL_JOB, size="compact-xs", variant="light"),
        ], id=ids.WRAP_JOB, className="job", style={"display": "none"}),
        html.Div(id=ids.TEXT_NOTICE, className="notice", role="alert"),
    ], className="stage")
    stores = [
        dcc.Store(id=ids.STORE_LANDSCAPE, data=default.landscape),
        dcc.Store(id=ids.STORE_START),
        dcc.Store(id=ids.STORE_DRAWN, data=default.landscape),
        dcc.Store(id=ids.STORE_REQUESTED_START),
        dcc.Store(id=ids.STORE_PICK),
        dcc.Store(id=ids.STORE_TYPED_START),
        dcc.Store(id=ids.STORE_MAP_START),
        dcc.Store(id=ids.STORE_RUNS),
        dcc.Store(id=ids.STORE_VIDEO, data=""),
        dcc.Store(id=ids.STORE_JOB),
        dcc.Store(id=ids.STORE_JOB_DONE),
        dcc.Store(id=ids.STORE_SURFACE_QUERY),
        dcc.Store(id=ids.STORE_INSPECT),
        dcc.Store(id=ids.STORE_RECORD_JOB),
        dcc.Store(id=ids.STORE_RECORD_DONE),
        dcc.Store(id=ids.STORE_RECORD_SEEN),
        dcc.Store(id=ids.STORE_SETTINGS, data=scene.settings(default.rows)),
        dcc.Store(id=ids.STORE_EDITING),
        dcc.Store(id=ids.STORE_ERRORS),
        dcc.Store(id=ids.STORE_META, data=meta()),
        dcc.Store(id=ids.STORE_PRESET_NOTES, data=preset_captions()),
        dcc.Download(id=ids.DOWNLOAD),
    ]
    return html.Main([*stores, panel, stage], className="main", id=ids.PAGE_RACE)


