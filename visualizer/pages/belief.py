"""Adam vs AdaBelief: both from the same start with the same lr and betas, on
one map, with the belief itself (AdaBelief's gradient against its prediction)
and the step each takes across and along the valley. One page: model, view and
callbacks; the preset's settings round-trip through its link
(``?page=belief&scene=abs_skew&lr=0.05&steps=300``: ``scene=`` names the
preset, as links already shared spell it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from dash import Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots

import landscapes
from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.pages import Page, kit
from visualizer.pages.kit import CONFIG, MAX_LESSON_STEPS, Field
from visualizer.server import cache
from visualizer.ui import figures
from visualizer.ui.figures import line_layout, path_map
from visualizer.ui.text import parse_lr, parse_number, query_params

Array = np.ndarray


# -- The model ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BeliefPreset:
    key: str
    landscape: str
    start: tuple[float, float]
    lr: float
    steps: int
    note: str  # true of the preset's own settings (a test checks it)
    valley: tuple[float, float] | None = None  # unit vector along a straight valley


BELIEF_PRESETS: dict[str, BeliefPreset] = {s.key: s for s in [
    BeliefPreset("abs_skew", "abs_skew", (-1.2, 1.6), 0.05, 300,
                "|x + y| + |x − y|/10: a narrow valley along x = −y. Per coordinate, AdaBelief's "
                "√ŝ stays just below Adam's √v̂ at every epoch (about 0.93 of it): it never "
                "divides by more. Its smaller steps across the valley come from the numerator: "
                "the across-valley part of its gradient flips sign on about 40 % of its steps "
                "(Adam's on about 20 %), so its m̂ across the valley averages out (mean |m̂| "
                "0.15 against Adam's 0.22). Along the valley the two step alike. "
                "The paper's mechanism, dividing by less where the gradient is predictable, "
                "shows on |x| + |y|.",
                valley=(math.sqrt(0.5), -math.sqrt(0.5))),
    BeliefPreset("abs_sum", "abs_sum", (-1.5, 1.0), 0.05, 200,
                "|x| + |y|: the gradient is (±1, ±1) everywhere, so Adam's √v̂ is exactly 1. "
                "Away from the kinks the gradient never changes and matches its prediction: "
                "AdaBelief's √ŝ stays between 0.47 and 0.93, below Adam's 1, and its steps are "
                "larger. This is the paper's mechanism. At the kinks both start to bounce."),
    BeliefPreset("ill_conditioned_bowl", "ill_conditioned_bowl", (-2.8, 1.0), 0.1, 200,
                "A narrow bowl (curvature 1 along x, 50 across it along y). Along x the "
                "gradient changes slowly and predictably: AdaBelief's √ŝ there is smaller than "
                "Adam's √v̂, and its first steps along x are larger.",
                valley=(1.0, 0.0)),
    BeliefPreset("rosenbrock", "rosenbrock", (-1.5, 1.5), 0.02, 1500,
                "Rosenbrock's curved valley: AdaBelief's √ŝ stays below Adam's √v̂ on both "
                "coordinates, so its first steps are larger and it reaches the valley's floor "
                "sooner; on the floor the two step alike."),
]}


@dataclass
class BeliefRun:
    preset: BeliefPreset
    lr: float
    steps: int
    result: engine.Result
    denominators: dict[str, Array]  # "adam": sqrt(v_hat) (steps, 2); "adabelief": sqrt(s_hat)
    step_sizes: dict[str, Array]  # |theta_t - theta_{t-1}| per coordinate (steps, 2)
    directions: list[tuple[str, Array]]  # the two directions the charts use: (label, unit vector)
    projected_steps: dict[str, Array]  # |(theta_t - theta_{t-1}) . e| per direction (steps, 2)
    numerators: dict[str, Array]  # |m_hat_t . e| per direction (steps, 2): what each divides
    belief: dict[str, Array]  # AdaBelief's "g" and "m" per coordinate, and "band" = sqrt(s_hat)


def belief_directions(preset: BeliefPreset) -> list[tuple[str, Array]]:
    """Across and along the preset's valley, or the x and y axes when it has none."""
    if preset.valley is None:
        return [("along x", np.array([1.0, 0.0])), ("along y", np.array([0.0, 1.0]))]
    along = np.array(preset.valley, dtype=float)
    across = np.array([-along[1], along[0]])
    return [("across the valley", across), ("along the valley", along)]


def belief(preset_key: str, lr: float | None = None, steps: int | None = None) -> BeliefRun:
    """Adam and AdaBelief from the preset's start with the same lr and betas."""
    preset = BELIEF_PRESETS[preset_key]
    lr = preset.lr if lr is None else lr
    steps = preset.steps if steps is None else steps
    specs = [engine.make_spec("adam", lr=lr), engine.make_spec("adabelief", lr=lr)]
    result = engine.run(landscapes.get(preset.landscape), specs, preset.start, steps,
                        budget=engine.REQUEST_BUDGET)
    t = np.arange(1, steps + 1, dtype=float)[:, None]
    dens, sizes, projected, numerators = {}, {}, {}, {}
    dirs = belief_directions(preset)
    basis = np.stack([e for _, e in dirs], axis=1)  # (2, 2): columns are the directions
    for i, (name, field) in enumerate((("adam", "exp_avg_sq"), ("adabelief", "exp_avg_var"))):
        hypers = result.specs[i].hypers
        dens[name] = np.sqrt(result.states[i][field][0] / (1.0 - hypers["beta2"] ** t))
        m_hat = result.states[i]["exp_avg"][0] / (1.0 - hypers["beta1"] ** t)
        numerators[name] = np.abs(m_hat @ basis)
        moves = np.diff(result.points[i, 0], axis=0)
        sizes[name] = np.abs(moves)
        projected[name] = np.abs(moves @ basis)
    # The belief itself, per coordinate as AdaBelief keeps it: its gradient g_t, its
    # prediction m_t, and the band m_t +- sqrt(s_hat_t), its own denominator.
    belief_parts = {"g": result.grads[1, 0], "m": result.states[1]["exp_avg"][0],
                    "band": dens["adabelief"]}
    return BeliefRun(preset, lr, steps, result, dens, sizes, dirs, projected, numerators,
                     belief_parts)


def belief_summary(run: BeliefRun) -> str:
    """The measured contrast of the run on screen: AdaBelief's mean step and mean
    |m̂| against Adam's along each chart's direction, and their denominators' mean
    ratio per coordinate."""
    if (run.result.diverged_at[:, 0] >= 0).any():
        return "A run diverged: lower the learning rate to compare the steps."

    def contrast(per_direction: dict[str, Array]) -> str:
        parts = []
        for j, (label, _) in enumerate(run.directions):
            a = float(per_direction["adam"][:, j].mean())
            b = float(per_direction["adabelief"][:, j].mean())
            ratio = f" ({b / a:.2f}×)" if a > 0 else ""
            parts.append(f"{label}, AdaBelief {rounded(b)} against Adam's {rounded(a)}{ratio}")
        return "; ".join(parts)

    with np.errstate(all="ignore"):
        dens = np.nanmean(run.denominators["adabelief"] / run.denominators["adam"], axis=0)
    return (f"Mean step {contrast(run.projected_steps)}. Mean |m̂| (the numerator) "
            f"{contrast(run.numerators)}. Mean √ŝ/√v̂ (the denominators) per coordinate: "
            f"{rounded(float(dens[0]))} (x), {rounded(float(dens[1]))} (y).")


I = kit.Ids("belief", "preset", "lr", "steps", "map", "charts")  # noqa: E741
FORM = kit.Form(
    I,
    Field("lr", exact(BELIEF_PRESETS["abs_skew"].lr), parse_lr, exact),
    Field("steps", str(BELIEF_PRESETS["abs_skew"].steps),
          lambda v: parse_number(v, "epochs", 1, MAX_LESSON_STEPS, whole=True)),
)
"""The page's boxes (besides the preset, whose own settings they start from)."""


def _preset_values(key: str) -> dict[str, float]:
    preset = BELIEF_PRESETS[key]
    return {"lr": preset.lr, "steps": preset.steps}


def belief_query(preset_key: str, lr: float, steps: int) -> str:
    return FORM.link({"lr": lr, "steps": steps}, scene=preset_key)


def belief_from_query(query: str) -> tuple[str, str, str]:
    """The preset key, lr text and steps text a link asks for (the preset's own where
    absent; the first preset for one that is not)."""
    key = query_params(query).get("scene")
    key = key if key in BELIEF_PRESETS else "abs_skew"
    return key, *FORM.from_link(query, base=_preset_values(key))


def belief_settings(lr: str, steps: str) -> tuple[float, int]:
    """The page's learning rate and epochs boxes, or FieldError naming the bad box."""
    v = FORM.parse(lr, steps)
    return v["lr"], v["steps"]


# -- The view ----------------------------------------------------------------------------
def belief_charts(run: BeliefRun) -> go.Figure:
    """Four rows: AdaBelief's gradient g_t against its prediction m_t with the band
    m_t ± √ŝ_t (the belief, and its own denominator), per coordinate; the two
    denominators per coordinate; the two numerators |m̂_t| along each of the preset's
    two directions; and the step each optimizer takes along each direction."""
    (d0, _), (d1, _) = run.directions
    fig = make_subplots(rows=4, cols=2, shared_xaxes=True, vertical_spacing=0.07,
                        horizontal_spacing=0.1,
                        subplot_titles=["AdaBelief: g, its prediction m, m ± √ŝ (x)",
                                        "AdaBelief: g, its prediction m, m ± √ŝ (y)",
                                        "denominator, coordinate x", "denominator, coordinate y",
                                        f"numerator |m̂| {d0}", f"numerator |m̂| {d1}",
                                        f"|step| {d0}", f"|step| {d1}"])
    epochs = np.arange(1, run.steps + 1)
    belief_color = figures.COLORS["adabelief"]
    g, m, band = run.belief["g"], run.belief["m"], run.belief["band"]
    for col in (0, 1):
        first = col == 0
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col] + band[:, col], mode="lines",
                                 line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup="band"), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col] - band[:, col], mode="lines",
                                 line={"width": 0}, fill="tonexty", fillcolor="rgba(30,41,59,0.14)",
                                 name="m ± √ŝ: how far g strays", legendgroup="band",
                                 showlegend=first, hoverinfo="skip"), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=g[:, col], mode="markers", name="g (gradient)",
                                 legendgroup="g", showlegend=first,
                                 marker={"color": "#94a3b8", "size": 3}), row=1, col=col + 1)
        fig.add_trace(go.Scatter(x=epochs, y=m[:, col], mode="lines", name="m (its prediction)",
                                 legendgroup="m", showlegend=first,
                                 line={"color": belief_color, "width": 1.6}), row=1, col=col + 1)
    names = {"adam": ("Adam: √v̂", figures.COLORS["adam"]),
             "adabelief": ("AdaBelief: √ŝ", belief_color)}
    for name, (label, color) in names.items():
        for col in (0, 1):
            fig.add_trace(go.Scatter(x=epochs, y=run.denominators[name][:, col], name=label,
                                     legendgroup=name, showlegend=col == 0,
                                     line={"color": color, "width": 1.6}), row=2, col=col + 1)
            for row, values in ((3, run.numerators), (4, run.projected_steps)):
                fig.add_trace(go.Scatter(x=epochs, y=values[name][:, col], name=label,
                                         legendgroup=name, showlegend=False,
                                         line={"color": color, "width": 1.2}), row=row, col=col + 1)
    fig.update_yaxes(type="log", row=2)
    for row, values in ((3, run.numerators), (4, run.projected_steps)):
        for col in (0, 1):  # a first step of 1e-16 along one direction would squash the rest
            sizes = np.concatenate([values[n][:, col] for n in names])
            sizes = sizes[np.isfinite(sizes) & (sizes > 0)]
            if len(sizes):
                lo, hi = np.log10(np.percentile(sizes, 2)), np.log10(sizes.max())
                fig.update_yaxes(type="log", range=[lo - 0.3, hi + 0.3], row=row, col=col + 1)
    fig.update_xaxes(title_text="epoch", row=4)
    fig.update_annotations(font_size=12)
    return line_layout(fig, 860)


# The two algorithms as the registry states them; a line is highlighted where they differ.
ADAM_LINES = [(line, line != other) for line, other in zip(optimizers.ADAM_STEPS,
                                                          optimizers.ADABELIEF_STEPS, strict=True)]
BELIEF_LINES = [(line, line != other) for line, other in zip(optimizers.ADABELIEF_STEPS,
                                                             optimizers.ADAM_STEPS, strict=True)]


def algorithm(title: str, lines: list[tuple[str, bool]]) -> html.Div:
    """An algorithm typeset line by line; the lines that differ are highlighted."""
    return html.Div([html.H4(title), *(
        dcc.Markdown(f"$${tex}$$", mathjax=True, className="algo-line diff" if differs else "algo-line")
        for tex, differs in lines)], className="algo")


def belief_page() -> html.Div:
    controls = [
        kit.select(I.preset, "preset",
                   [(k, landscapes.get(s.landscape).title) for k, s in BELIEF_PRESETS.items()],
                   "abs_skew"),
        kit.text_box(FORM, "lr", "learning rate (both)"),
        kit.text_box(FORM, "steps", f"epochs (1–{MAX_LESSON_STEPS:,})"),
    ]
    formulas = html.Div([
        algorithm("Adam", ADAM_LINES),
        algorithm("AdaBelief", BELIEF_LINES),
        html.Div("The one difference, highlighted: Adam divides by the root of the moving average "
                 "of g², the gradient's size; AdaBelief divides by the root of the moving average "
                 "of (g − m)², how far the gradient strays from its prediction m (plus ε). Where "
                 "the gradient matches its prediction, ŝ is small and AdaBelief's step is large; "
                 "where it keeps surprising, ŝ is large and the step small. The step is the ratio: "
                 "the charts show both its parts, the numerator m̂ and the denominator.",
                 className="hint algo-note"),
    ], className="algos")
    beyond = html.P(
        "What two weights cannot show: the AdaBelief paper's results on image classification "
        "and GANs come from networks with millions of weights trained on noisy minibatch "
        "gradients. These scenes have two weights and exact gradients, so they show how each "
        "rule steps, not which trains a network better.", className="hint")
    body = [formulas, beyond, html.Div(id=I.note, className="lesson-note"), html.Div([
        dcc.Graph(id=I.map, config=CONFIG, className="lesson-map"),
        dcc.Graph(id=I.charts, config=CONFIG, className="lesson-chart"),
    ], className="lesson-row")]
    intro = ("Adam and AdaBelief with the same learning rate and betas (torch's defaults), "
             "from the same start.")
    return kit.frame(I, "Adam vs AdaBelief", intro, controls, body)


# -- The callbacks -----------------------------------------------------------------------
def _preset_boxes(preset_key: str) -> tuple:
    preset = BELIEF_PRESETS.get(preset_key)
    if preset is None:
        raise PreventUpdate
    return no_update, *FORM.boxes(_preset_values(preset_key))


def _settle(lr_text: str, steps_text: str, preset_key: str) -> tuple[tuple, str]:
    lr, steps = belief_settings(lr_text, steps_text)
    key = preset_key if preset_key in BELIEF_PRESETS else "abs_skew"
    return belief_view(key, lr, steps), belief_query(key, lr, steps)


belief_boxes = kit.fill_from_link("belief", [Output(I.preset, "value"), *FORM.outputs()],
                                  belief_from_query, preset=(I.preset, _preset_boxes))
update_belief = kit.show_view(I, [(I.map, "figure"), (I.charts, "figure"), (I.note, "children")],
                              [*FORM.inputs(), State(I.preset, "value")], _settle)


@cache.shared("belief")
def belief_view(key: str, lr: float, steps: int) -> tuple[dict, dict, list]:
    """The page's map, charts and note for these settings, computed once for the class."""
    run = belief(key, lr, steps)
    res = run.result
    paths = [(optimizers.info(s.optimizer).title, figures.COLORS[s.optimizer], res.path(i)[0])
             for i, s in enumerate(res.specs)]
    measured = f"Measured: {_race_note(res, ['Adam', 'AdaBelief'])} {belief_summary(run)}"
    preset = run.preset
    own = (lr, steps) == (preset.lr, preset.steps)  # the preset's sentence holds on its own settings
    note = [preset.note, " ", measured] if own else [measured]
    return (path_map(res.landscape, paths).to_plotly_json(),
            belief_charts(run).to_plotly_json(), note)


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
        parts.append(f"{label}: {when}, final cost {rounded(float(res.losses[i, 0, -1]))}")
    return "; ".join(parts) + "."


PAGE = Page("belief", "Adam vs AdaBelief", belief_page, 20, I.query)
