"""Learning rates: one optimizer at several learning rates at once, with a
schedule, each run drawn again without its warmup when asked; presets that show
too small, too large, stuck in a local minimum, and what warmup is for. One page:
model, view and callbacks; every box round-trips through its link."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import dash_mantine_components as dmc
import numpy as np
import plotly.graph_objects as go
from dash import Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots

import landscapes
from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.engine.fields import FieldError
from visualizer.pages import Page, kit
from visualizer.pages.kit import CONFIG, MAX_LESSON_STEPS, Field
from visualizer.pages.race.scene import parse_start
from visualizer.server import cache
from visualizer.ui.figures import line_layout, path_map
from visualizer.ui.text import parse_lr, parse_number, query_params

Array = np.ndarray


# -- The model ---------------------------------------------------------------------------
LR_SCHEDULES = {
    "constant": "constant",
    "warmup": "linear warmup, then constant",
    "step": "step decay",
    "exponential": "exponential decay",
    "cosine": "cosine decay",
    "inverse_time": "inverse-time decay",
}


MAX_LRS = 8


@dataclass(frozen=True)
class LrSettings:
    landscape: str = "ill_conditioned_bowl"
    optimizer: str = "gd"
    lrs: tuple[float, ...] = (0.005, 0.02, 0.039, 0.041)
    schedule: str = "constant"
    warmup: int = 0
    gamma: float | None = None  # None: 0.5 for step decay, 0.98 for exponential
    step_size: int = 50
    decay: float = 0.05
    steps: int = 200
    start: tuple[float, float] | None = None  # None: the landscape's own start
    compare: bool = False  # each lr also without its warmup, side by side

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else landscapes.get(self.landscape).start

    @property
    def warmup_steps(self) -> int:
        """The warmup the runs use: the box's, or a tenth of the epochs for the
        "linear warmup" schedule when the box says 0."""
        if self.schedule == "warmup":
            return self.warmup or max(1, self.steps // 10)
        return self.warmup

    def spec(self, lr: float, warmup: bool = True) -> engine.RunSpec:
        """The run at one learning rate with this schedule (and its warmup, unless
        ``warmup`` is False: the same run without it)."""
        extra: dict[str, float] = {}
        schedule, decay = self.schedule, 0.0
        if schedule in ("warmup", "inverse_time"):
            schedule, decay = "constant", self.decay if schedule == "inverse_time" else 0.0
        elif schedule == "step":
            extra.update(step_size=self.step_size, gamma=0.5 if self.gamma is None else self.gamma)
        elif schedule == "exponential":
            extra["gamma"] = 0.98 if self.gamma is None else self.gamma
        if warmup and self.warmup_steps:
            extra["warmup"] = self.warmup_steps
        return engine.make_spec(self.optimizer, lr=lr, decay=decay, schedule=schedule, **extra)

    def runs(self) -> list[tuple[str, engine.RunSpec, bool]]:
        """Every run drawn: ``(label, spec, dashed)``; with ``compare``, each lr
        with its warmup (solid) and without (dashed)."""
        if not self.compare:
            return [(f"lr {exact(lr)}", self.spec(lr), False) for lr in self.lrs]
        out = []
        for lr in self.lrs:
            out.append((f"lr {exact(lr)}, warmup {self.warmup_steps}", self.spec(lr), False))
            out.append((f"lr {exact(lr)}, no warmup", self.spec(lr, warmup=False), True))
        return out


@dataclass(frozen=True)
class LrPreset:
    key: str
    title: str
    settings: LrSettings
    note: str


LR_PRESETS: dict[str, LrPreset] = {s.key: s for s in [
    LrPreset("bowl", "Too small, too large (narrow bowl)", LrSettings(),
            "Curvature 50 across the bowl: gradient descent is stable only for lr below "
            "2/50 = 0.04. At 0.005 it crawls, at 0.039 it bounces across the valley but "
            "gets there, at 0.041 it diverges."),
    LrPreset("stuck", "A small lr stays in the local minimum (double well)",
            LrSettings(landscape="double_well", lrs=(0.01, 0.05, 0.12, 0.3), steps=300,
                       start=(1.8, 0.5)),
            "Gradient descent from (1.8, 0.5): at lr 0.01 and 0.05 it settles in the nearer, "
            "shallower well and stays there; at 0.12 its first steps overshoot the barrier "
            "and it ends in the deeper well; at 0.3 it diverges."),
    LrPreset("warmup_well", "Warmup keeps the deeper well (double well)",
            LrSettings(landscape="double_well", lrs=(0.15,), warmup=20, steps=300,
                       start=(-1.8, 0.5), compare=True),
            "Gradient descent at lr 0.15 from (−1.8, 0.5), on the outer wall of the deeper "
            "well, where the slope is steep: without warmup the first step jumps over the "
            "barrier to x = 0.574 and the run ends in the shallow well (cost 0.2941); with 20 "
            "warmup epochs the first steps are small and it stays in the deep one (cost "
            "−0.3054)."),
    LrPreset("warmup_peak", "Warmup tames Adam's first steps (Rosenbrock)",
            LrSettings(landscape="rosenbrock", optimizer="adam", lrs=(0.5,), warmup=100,
                       steps=500, compare=True),
            "Adam at lr 0.5 on Rosenbrock, from (0, 0). Without warmup its first step moves x by "
            "the full learning rate, whatever the gradient's size: v̂ rests on one gradient, so "
            "m̂/√v̂ = ±1. Over the first 100 "
            "epochs the cost peaks at 13.12 without warmup and at 0.99 with 100 warmup "
            "epochs. After the warmup both go on at the full rate and both show late spikes "
            "(up to 4.28): warmup is for the early phase; decay is for the late one (next "
            "preset)."),
    LrPreset("warmup_cosine", "Warmup, then cosine decay (Rosenbrock)",
            LrSettings(landscape="rosenbrock", optimizer="adam", lrs=(0.5,), schedule="cosine",
                       warmup=100, steps=500, compare=True),
            "The same Adam at lr 0.5 with 100 warmup epochs and then cosine decay to 0: warmup "
            "for the early phase, decay for the late one. The early peak stays at 0.99, the "
            "highest cost after the warmup falls from 4.28 (at a constant rate) to 1.47, and "
            "the run ends near 1e-5. The dashed run, cosine decay without warmup, has the "
            "early peak of 13.12 but a calmer late phase, as its decay starts at once: after "
            "epoch 100 its cost stays below 0.011."),
]}


def parse_lrs(text: str) -> tuple[float, ...]:
    """``"0.001, 0.01, 0.1"`` as learning rates (1 to MAX_LRS, each in (0, MAX_LR])."""
    parts = [p for p in str(text or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise FieldError("learning rates", "enter one or more, separated by commas")
    if len(parts) > MAX_LRS:
        raise FieldError("learning rates", f"at most {MAX_LRS}")
    return tuple(dict.fromkeys(parse_lr(p, "learning rates") for p in parts))


def split_start(text: str) -> tuple[str, str] | None:
    """``"x, y"`` as its two texts (checked against the landscape by :func:`lr_settings`);
    blank: None (its own start)."""
    raw = str(text or "").strip()
    if not raw:
        return None
    parts = raw.replace(";", ",").split(",")
    if len(parts) != 2:
        raise FieldError("start", "give two numbers, x, y")
    return parts[0], parts[1]


def _landscape(name: object) -> str:
    return landscapes.get(str(name)).name  # KeyError naming the choices


def _optimizer(name: object) -> str:
    return optimizers.info(str(name)).name


def _schedule(name: object) -> str:
    if name not in LR_SCHEDULES:
        raise FieldError("schedule", f"unknown schedule {name!r}; choose from: "
                                     f"{', '.join(LR_SCHEDULES)}")
    return str(name)


def _pair(value) -> str:
    return "" if value is None else f"{exact(value[0])}, {exact(value[1])}"


D = LrSettings()
I = kit.Ids("lr", "preset", "landscape", "optimizer", "lrs", "schedule", "warmup", "gamma",  # noqa: E741
            "step_size", "decay", "steps", "start", "compare", "map", "charts")
FORM = kit.Form(
    I,
    Field("landscape", D.landscape, _landscape),
    Field("optimizer", D.optimizer, _optimizer, link="opt"),
    Field("lrs", ", ".join(map(exact, D.lrs)), parse_lrs, lambda v: ", ".join(map(exact, v))),
    Field("schedule", D.schedule, _schedule),
    Field("warmup", str(D.warmup), lambda v: v or 0),  # checked against the epochs (lr_settings)
    Field("gamma", "", kit.optional(lambda v: parse_number(v, "γ", 1e-6, 1.0)),
          kit.write_optional),
    Field("step_size", str(D.step_size),
          lambda v: parse_number(v, "step every", 1, MAX_LESSON_STEPS, whole=True)),
    Field("decay", exact(D.decay), lambda v: engine.DECAY.parse("decay", str(v)), exact),
    Field("steps", str(D.steps), lambda v: parse_number(v, "epochs", 1, MAX_LESSON_STEPS, whole=True)),
    Field("start", _pair(D.start), split_start, _pair),
    Field("compare", D.compare, bool, prop="checked"),
)
"""The page's boxes, declared once: the layout, the link, its reader and the parse follow."""


def lr_settings(*boxes) -> LrSettings:
    """The page's boxes (in :data:`FORM`'s order; the start and the switch may be left
    out) as settings, or FieldError naming the bad box."""
    v = FORM.parse(*boxes, partial=True)
    v["warmup"] = parse_number(v["warmup"], "warmup steps", 0, v["steps"], whole=True)
    if v["start"] is not None:
        v["start"] = parse_start(*v["start"], landscapes.get(v["landscape"]))
    settings = LrSettings(**v)
    if settings.compare and not settings.warmup_steps:
        raise FieldError("with and without warmup", "set the warmup steps above 0 "
                         "(or pick the linear warmup schedule)")
    settings.runs()  # builds every run: the engine's own checks (an lr too large for it, ...)
    return settings


def lr_run(s: LrSettings) -> engine.Result:
    """Every run of :meth:`LrSettings.runs`, from the settings' start."""
    ls = landscapes.get(s.landscape)
    return engine.run(ls, [spec for _, spec, _ in s.runs()], s.start_point, s.steps,
                      record_state=False, budget=engine.REQUEST_BUDGET)


def lr_outcomes(s: LrSettings, res: engine.Result) -> list[str]:
    """What each run did, measured: where it ended (or when it diverged), its
    highest cost after the start (with a warmup: over the warmup's epochs and after
    them, apart), its final cost."""
    window = min(s.warmup_steps, s.steps)
    out = []
    for i, (label, _, _) in enumerate(s.runs()):
        d = int(res.diverged_at[i, 0])
        if d >= 0:
            out.append(f"{label}: diverged at epoch {d}")
            continue
        pts, losses = res.path(i)
        x, y = (rounded(float(v)) for v in pts[-1])
        where = f"ends at ({x}, {y})"
        if res.landscape.minima:
            at = res.landscape.outcome_label(pts[-1])
            where = f"{where}, no listed minimum" if at == "no listed minimum" else f"ends in the {at}"
        if 0 < window < s.steps:
            highest = (f"highest cost {rounded(float(losses[1:window + 1].max()))} in epochs "
                       f"1–{window}, {rounded(float(losses[window + 1:].max()))} after")
        else:
            highest = f"highest cost {rounded(float(losses[1:].max()))}"
        out.append(f"{label}: {where}; {highest}, final {rounded(float(losses[-1]))}")
    return out


def lr_query(s: LrSettings, preset: str | None = None) -> str:
    """The page's link: the preset picked (when there is one; ``scene=`` in the
    link, as links already shared spell it) and every box."""
    return FORM.link(lr_values(s), **({"scene": preset} if preset in LR_PRESETS else {}))


def lr_values(s: LrSettings) -> dict[str, object]:
    """The settings by field name."""
    return {f.name: getattr(s, f.name) for f in FORM.fields}


def lr_from_query(query: str) -> tuple:
    """The boxes' values from a link (defaults where absent), in :data:`FORM`'s order."""
    return FORM.from_link(query)


def lr_boxes_of(s: LrSettings) -> tuple:
    """The boxes' values for these settings (in :data:`FORM`'s order)."""
    return FORM.boxes(lr_values(s))


# -- The view ----------------------------------------------------------------------------
LR_COLORS = ["#1d4ed8", "#0891b2", "#16a34a", "#ca8a04", "#ea580c", "#dc2626", "#9333ea", "#1e293b"]


def loss_and_lr(result, labels: list[str], colors: list[str],
                dashed: list[bool] | None = None, warmup: int = 0) -> go.Figure:
    """The cost of each run over the epochs, and the learning rate it used underneath;
    the warmup's epochs shaded when there is one."""
    dashed = dashed or [False] * len(labels)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38],
                        vertical_spacing=0.08, subplot_titles=["cost f − f_min (log)",
                                                               "learning rate η_t"])
    ref = result.landscape.f_min or 0.0
    for i, (label, color, dash) in enumerate(zip(labels, colors, dashed, strict=True)):
        pts, losses = result.path(i)
        gap = np.maximum(losses - ref, 1e-16)
        style = "dash" if dash else "solid"
        fig.add_trace(go.Scatter(x=np.arange(len(gap)), y=gap, name=label, legendgroup=label,
                                 line={"color": color, "width": 1.8, "dash": style}), row=1, col=1)
        fig.add_trace(go.Scatter(x=np.arange(1, result.steps + 1), y=result.lrs[i], name=label,
                                 legendgroup=label, showlegend=False,
                                 line={"color": color, "width": 1.5, "dash": style}), row=2, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    if warmup:
        for row in (1, 2):
            fig.add_vrect(x0=0, x1=warmup, fillcolor="rgba(202,138,4,0.10)", line_width=0,
                          layer="below", row=row, col=1)
        fig.add_annotation(x=warmup / 2, y=1, xref="x", yref="y domain", yanchor="bottom",
                           text="warmup", showarrow=False, font={"size": 11, "color": "#854d0e"})
    return line_layout(fig, 470)


def lr_page() -> html.Div:
    box = functools.partial(kit.text_box, FORM)
    controls = [
        kit.select(I.preset, "preset", [(k, sc.title) for k, sc in LR_PRESETS.items()], "bowl",
                   wide=True),
        kit.select(I.landscape, "landscape", [(ls.name, ls.title) for ls in landscapes.all_landscapes()],
                   FORM.default("landscape")),
        kit.select(I.optimizer, "optimizer", [(n, i.title) for n, i in optimizers.OPTIMIZERS.items()],
                   FORM.default("optimizer")),
        box("lrs", f"learning rates (up to {MAX_LRS})", className="lrs-input"),
        kit.select(I.schedule, "schedule", list(LR_SCHEDULES.items()), FORM.default("schedule")),
        box("warmup", "warmup steps"),
        box("gamma", "γ (step / exp.)", placeholder="0.5 / 0.98"),
        box("step_size", "step: every"),
        box("decay", "inverse-time decay"),
        box("steps", "epochs"),
        box("start", "start x, y", placeholder="its own", className="start-input"),
        dmc.Switch(id=I.compare, label="with and without warmup", checked=FORM.default("compare"),
                   size="sm", className="lesson-switch"),
    ]
    intro = ("One optimizer at several learning rates at once, from one start (the landscape's "
             "own unless you set one). "
             "Too small crawls; too large overshoots, bounces or diverges. The chart under the "
             "cost shows the learning rate each run used at every epoch: pick a schedule "
             "(warmup, step, exponential, cosine, inverse-time) to see what it does to the same "
             "runs. Warmup steps apply on top of any schedule; \"with and without warmup\" "
             "draws each run again without it (dashed), on the same map and chart.")
    warmup_is_for = html.P(
        "What warmup is for: large early steps. Far from a minimum the gradients are large, "
        "and an adaptive method's first estimates of v rest on a few gradients (Adam's first "
        "step is ± the learning rate in every coordinate whose gradient is not zero, however "
        "small it is); RAdam exists "
        "for the second reason: it takes plain momentum steps until its estimate of v is "
        "reliable. Warmup does not prevent vanishing gradients, as is sometimes said: those "
        "come from a deep network's layers (their activations, initialization and "
        "normalization), not from the first steps' size.", className="hint")
    body = [warmup_is_for, html.Div(id=I.note, className="lesson-note"), html.Div([
        dcc.Graph(id=I.map, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=I.charts, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    return kit.frame(I, "Learning rate: too small, too large, warmup and decay", intro, controls,
                     body)


# -- The callbacks -----------------------------------------------------------------------
def _link_boxes(search: str) -> tuple:
    """A link sets every box (and the preset it names)."""
    key = query_params(search).get("scene")
    return key if key in LR_PRESETS else no_update, *FORM.from_link(search)


def _preset_boxes(preset_key: str) -> tuple:
    """A preset sets the boxes to its own settings."""
    preset = LR_PRESETS.get(preset_key)
    if preset is None:
        raise PreventUpdate
    return no_update, *lr_boxes_of(preset.settings)


def _settle(*boxes) -> tuple[tuple, str]:
    *boxes, preset_key = boxes
    settings = lr_settings(*boxes)
    return lr_view(settings), lr_query(settings, preset_key)


lr_boxes = kit.fill_from_link("lr", [Output(I.preset, "value"), *FORM.outputs()], _link_boxes,
                              preset=(I.preset, _preset_boxes))
update_lr = kit.show_view(I, [(I.map, "figure"), (I.charts, "figure"), (I.note, "children")],
                          [*FORM.inputs(), State(I.preset, "value")], _settle)


@cache.shared("lr")
def lr_view(settings: LrSettings) -> tuple[dict, dict, str]:
    """The page's map, charts and note for these settings, computed once for the class.
    The note is what the runs on screen did, measured; a preset's own sentence is
    added only while the boxes hold that preset's settings."""
    res = lr_run(settings)
    runs = settings.runs()
    labels = [label for label, _, _ in runs]
    dashed = [dash for _, _, dash in runs]
    colors = [LR_COLORS[settings.lrs.index(spec.lr)] for _, spec, _ in runs]
    paths = [(label, color, res.path(i)[0], dash)
             for i, (label, color, dash) in enumerate(zip(labels, colors, dashed, strict=True))]
    note = "Measured: " + "; ".join(lr_outcomes(settings, res)) + "."
    preset = next((sc for sc in LR_PRESETS.values() if sc.settings == settings), None)
    if preset is not None:
        note = f"{preset.note} {note}"
    return (path_map(res.landscape, paths).to_plotly_json(),
            loss_and_lr(res, labels, colors, dashed, settings.warmup_steps).to_plotly_json(), note)


PAGE = Page("lr", "Learning rates", lr_page, 30, I.query)
