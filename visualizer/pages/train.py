"""A real model: the race's ticked optimizers, with their settings, train one small
network on a data set, from the same starting weights and on the same minibatches
(:mod:`visualizer.engine.training`). The page shows each run's training and
held-out loss and accuracy per epoch, its decision boundary over the data (or its
fitted curve, for the wave), and the runs seen on the plane of their two principal
directions in weight space (or on Li et al.'s random plane around one run's end),
with the training loss over that plane; it says how much of the runs' spread that
plane holds and how far the loss at a path's projection is from the run's own.
In the two-tasks mode, the first ticked optimizer trains the data, then its
permuted copy plainly, with L2 and with EWC, and the page shows how much of the
first task each way keeps. Computed as a background job, once per setting for the
class."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, html
from dash.exceptions import PreventUpdate
from plotly.subplots import make_subplots
from threadpoolctl import threadpool_limits

from landscapes.number_text import exact, rounded
from visualizer import engine
from visualizer.engine import export, optimizers, training
from visualizer.engine.fields import FieldError, Range
from visualizer.engine.training import datasets, models, plane, tasks
from visualizer.engine.training.loop import BATCH, EPOCHS
from visualizer.pages import Page, common, kit
from visualizer.pages.kit import FONT, Field
from visualizer.pages.race import scene
from visualizer.ui import figures, ids
from visualizer.ui.text import with_params

KEY = "train"
I = common.Ids(KEY, "data", "size", "noise", "seed", "model", "activation", "batch",  # noqa: E741
               "epochs", "plane", "around", "mode", "ewc", "l2", "epoch", "lesson", "player",
               "play", "back", "forward", "reset", "slider", "frame_text", "at", "video",
               "video_panel", "video_format", "video_from", "video_to", "video_seconds",
               "video_fps", "video_width", "video_go", "video_cancel", "video_text")
VIDEO = kit.VideoIds(I.video_panel, I.video_format, I.video_from, I.video_to, I.video_seconds,
                     I.video_fps, I.video_width, I.video_go, I.video_cancel, I.video_text, I.video)
"""The page's video export: its player's frames (assets/video.js)."""
SNAPSHOT_NUMBERS = 2_000_000
"""The most weights kept for the page (runs x snapshots x weights): 16 MB."""
MAX_SNAPSHOTS = 101
BOUNDARY_GRID = 60
CLASS_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#ca8a04", "#db2777",
                "#4b5563", "#dc2626", "#0d9488"]
PALE_CLASS = ["#dbeafe", "#ffedd5", "#dcfce7", "#f3e8ff"]
EPOCH = Range(0, EPOCHS.high, whole=True)
ON_PLANE = 1e-9
"""A gap this small between a run's loss and its projection's is rounding: the
kept points lie on the plane (two runs, or paths that stay in two directions)."""


FULL = "full"
"""The batch box's word (and the link's) for the full batch; a blank box means it too."""

MODES = {"race": "race the ticked optimizers",
         "tasks": "two tasks: forgetting, L2 and EWC"}
"""What the page trains: every ticked optimizer on the data (and the planes), or the
first ticked one on two tasks, the second three ways (:mod:`visualizer.engine.training.tasks`)."""

PLANES = {"pca": "the runs' main directions", "random": "random, around a run's end"}
"""The weight-space planes (:mod:`visualizer.engine.training.plane`): the principal
directions of every run's kept weights, or Li et al.'s filter-normalised random
directions around one run's end point (the run ``around`` names)."""


FORM = kit.Form(
    I,
    Field("data", "moons", lambda v: v if v in datasets.MAKERS else "moons",
          choices=datasets.MAKERS),
    Field("size", "", kit.optional(lambda v: datasets.SIZE.parse("size", v)), kit.write_optional),
    Field("noise", "", kit.optional(lambda v: datasets.NOISE.parse("noise", v)),
          kit.write_optional),
    Field("seed", "0", lambda v: int(datasets.SEED.parse("seed", v)), exact),
    Field("model", "mlp:16,16", lambda v: str(v or "").strip().lower()),
    Field("activation", "tanh", lambda v: v if v in models.ACTIVATIONS else "tanh",
          choices=models.ACTIVATIONS),
    Field("batch", "32", lambda v: None if str(v or "").strip().lower() in ("", FULL)
          else int(BATCH.parse("batch", v)), lambda v: FULL if v is None else exact(v)),
    Field("epochs", "200", lambda v: int(EPOCHS.parse("epochs", v)), exact),
    Field("plane", "pca", lambda v: v if v in PLANES else "pca", choices=PLANES),
    Field("around", "", lambda v: str(v or "").strip().lower()),
    Field("mode", "race", lambda v: v if v in MODES else "race", choices=MODES),
    Field("ewc", "10", lambda v: tasks.STRENGTH.parse("EWC's λ", v), exact),
    Field("l2", "0.1", lambda v: tasks.STRENGTH.parse("L2's λ", v), exact),
    Field("epoch", "", kit.optional(lambda v: EPOCH.parse("at epoch", v)), kit.write_optional),
)


def _specs_text(specs) -> str:
    return " ".join(engine.spec_text(s) for s in specs)


def compute(specs_text: str, name: str, size: int, noise: float, seed: int, model_text: str,
            activation: str, batch: int | None, epochs: int, plane_kind: str = "pca",
            around: int = 0, mode: str = "race", ewc: float | None = None,
            l2: float | None = None, progress=lambda done: None) -> dict:
    """Train, then the plane (``plane_kind``, of :data:`PLANES`; a random one around
    run ``around``'s end, its directions drawn from ``seed``): what the page draws,
    for the class's cache. In ``mode`` ``"tasks"``, the first optimizer of
    ``specs_text`` trains two tasks instead (EWC's λ ``ewc``, L2's ``l2``). On one core
    (NumPy's BLAS would take them all): a job is given one, as every job is."""
    with threadpool_limits(limits=1, user_api="blas"):
        if mode == "tasks":
            data = training.load(name, size=size, noise=noise, seed=seed)
            model = training.parse_model(model_text, data.features, data.outputs, activation)
            spec = engine.parse_spec(specs_text.split(" ")[0])
            return {"tasks": tasks.two_tasks(data, model, spec, epochs, batch=batch, seed=seed,
                                             ewc=ewc, l2=l2, snapshots=2, progress=progress)}
        return _compute(specs_text, name, size, noise, seed, model_text, activation, batch,
                        epochs, plane_kind, around, progress)


def _compute(specs_text: str, name: str, size: int, noise: float, seed: int, model_text: str,
             activation: str, batch: int | None, epochs: int, plane_kind: str, around: int,
             progress) -> dict:
    data = training.load(name, size=size, noise=noise, seed=seed)
    model = training.parse_model(model_text, data.features, data.outputs, activation)
    specs = [engine.parse_spec(t) for t in specs_text.split(" ")]
    snapshots = int(np.clip(SNAPSHOT_NUMBERS // (len(specs) * model.weights), 11, MAX_SNAPSHOTS))
    tr = training.train(data, model, specs, epochs, batch=batch, seed=seed, snapshots=snapshots,
                        progress=lambda done: progress(0.8 * done))
    progress(0.8)
    pl = plane.random_plane(tr, around, seed) if plane_kind == "random" else plane.pca_plane(tr)
    surface = plane.surface(pl, data, model, grid=surface_grid(data, model))
    on_plane = plane.projected_losses(pl, tr)
    gaps = plane.projection_gap(pl, tr, on_plane)
    ways = np.array([plane.in_plane_share(pl, tr, r) for r in range(len(specs))])
    frames = player_frames(tr)
    progress(1.0)
    return {"training": tr, "plane": pl, "surface": surface, "gaps": gaps, "ways": ways,
            "frames": frames, "on_plane": on_plane}


FRAME_SECONDS = 1.0
FRAME_BYTES = 1_500_000
FIT_POINTS = 100
"""The player's frames (:func:`player_frames`): the boundaries (or fitted curves) at
each kept epoch cost at most ``FRAME_SECONDS`` to compute and ``FRAME_BYTES`` to
send; past either, the player steps through fewer of the kept epochs."""


def frame_count(kept: int, per_frame_seconds: float, per_frame_bytes: int) -> int:
    """How many of the ``kept`` snapshots the player steps through (at least the first
    and the last) when each frame costs this much (:func:`frame_cost`)."""
    by_time = int(FRAME_SECONDS / per_frame_seconds) if per_frame_seconds > 0 else kept
    by_bytes = FRAME_BYTES // max(1, per_frame_bytes)
    return int(max(2, min(kept, by_time, by_bytes)))


def frame_cost(data: training.Dataset, model: training.Model, n_runs: int) -> tuple[float, int]:
    """One frame's cost: seconds to compute, bytes to send (boundaries or fitted curves)."""
    if data.regression:
        return training.forward_seconds(model, n_runs, FIT_POINTS), n_runs * FIT_POINTS * 4
    if data.features == 2:
        cells = BOUNDARY_GRID ** 2
        return (training.forward_seconds(model, n_runs, cells),
                n_runs * cells * cell_bits(data.classes) // 8)
    return 0.0, 16 * n_runs


def player_frames(tr: training.Training) -> dict:
    """What the player steps through, computed in the job: the kept snapshots it
    shows (all of them, or evenly spread fewer, first and last in, when their
    boundaries would pass :data:`FRAME_SECONDS` or :data:`FRAME_BYTES`), and at
    each, every run's class per boundary cell ``(R, F, G, G)`` uint8 (two inputs)
    or fitted curve ``(R, F, FIT_POINTS)`` float32 (regression), and the same as
    the browser reads them (``encoded``: one base64 text per run, the cells packed
    by :func:`pack_cells`), encoded once here rather than at every drawing."""
    seconds, size = frame_cost(tr.data, tr.model, len(tr.specs))
    kept = len(tr.weight_epochs)
    count = frame_count(kept, seconds, size)
    snaps = np.unique(np.linspace(0, kept - 1, count).round().astype(int))
    out: dict = {"snaps": snaps, "classes": None, "fits": None, "encoded": None}
    data = tr.data
    with np.errstate(all="ignore"):
        if data.regression:
            xs = fit_points(data)
            out["fits"] = np.stack([models.forward(tr.model, tr.weights[r, snaps], xs)[0][..., 0]
                                    for r in range(len(tr.specs))]).astype(np.float32)
            out["encoded"] = [figures.encode_floats(f) for f in out["fits"]]
        elif data.features == 2:
            gx, gy, cells = grid_over(np.concatenate([data.x_train, data.x_test]))
            classes = np.empty((len(tr.specs), len(snaps), BOUNDARY_GRID, BOUNDARY_GRID), np.uint8)
            for r in range(len(tr.specs)):
                out_r = models.forward(tr.model, tr.weights[r, snaps], cells)[0]
                classes[r] = out_r.argmax(axis=2).reshape(len(snaps), BOUNDARY_GRID, BOUNDARY_GRID)
            out["classes"] = classes
            bits = cell_bits(data.classes)
            out["encoded"] = [figures.encode_bytes(pack_cells(c, bits)) for c in classes]
    return out


def cell_bits(classes: int) -> int:
    """Bits per boundary cell sent to the browser: 2 for up to four classes (four
    cells a byte), else 8."""
    return 2 if classes <= 4 else 8


def pack_cells(classes: np.ndarray, bits: int) -> bytes:
    """Boundary cells ``(F, G, G)`` as the browser reads them: ``bits`` (2 or 8, see
    :func:`cell_bits`) a cell, the first cell in a byte's lowest bits."""
    flat = classes.ravel().astype(np.uint8)
    if bits == 8:
        return flat.tobytes()
    flat = np.concatenate([flat, np.zeros(-len(flat) % 4, np.uint8)]).reshape(-1, 4)
    return (flat[:, 0] | flat[:, 1] << 2 | flat[:, 2] << 4 | flat[:, 3] << 6).astype(np.uint8).tobytes()


def fit_points(data: training.Dataset) -> np.ndarray:
    """Where a regression's fitted curve is drawn ``(FIT_POINTS, 1)``."""
    return np.linspace(data.x_train.min(), data.x_train.max(), FIT_POINTS)[:, None]


def grid_over(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A :data:`BOUNDARY_GRID`-square grid over the points ``x`` (two inputs) and a
    margin: its two axes and its cells ``(G * G, 2)``, row by row."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.08
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], BOUNDARY_GRID)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], BOUNDARY_GRID)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.stack([xx.ravel(), yy.ravel()], 1)


FORWARD_SHARE = 0.5
"""What a forward pass costs beside the training's forward and backward (0.4 measured
on ``benchmarks/bench_training.py``'s plane in float64; rounded up)."""
FLOAT32_SHARE = 0.7
"""What the surface's float32 forward passes cost beside the float64 cost model's
(plane.SURFACE_DTYPE: on one core, from 0.35 of it at best to 0.51 in a first call,
on the benchmark's plane at 60 x 60 and on the digits; rounded up)."""


SURFACE_SECONDS = 1.0
MIN_GRID = 20
"""The plane's loss surface gets at most this long: its grid is the finest (up to
``plane.GRID`` per side, at least ``MIN_GRID``) that fits."""


def surface_seconds(data: training.Dataset, model: training.Model, grid: int = plane.GRID
                    ) -> float:
    """What the plane's loss surface costs: a forward pass over the training rows for
    each of its ``grid`` x ``grid`` points (the training's cost model, forward only,
    in float32)."""
    rows = len(data.y_train)
    per_pass = training.estimate_seconds(data, model, grid ** 2, 1, None)
    return FLOAT32_SHARE * FORWARD_SHARE * per_pass * rows / (rows + len(data.y_test))


def surface_grid(data: training.Dataset, model: training.Model) -> int:
    """The points per side of the plane's loss surface (see :data:`SURFACE_SECONDS`)."""
    grid = plane.GRID
    while grid > MIN_GRID and surface_seconds(data, model, grid) > SURFACE_SECONDS:
        grid -= 2
    return grid


def check_work(data: training.Dataset, model: training.Model, n_runs: int, epochs: int,
               batch: int | None) -> None:
    """BudgetError (saying what to lower) when the training and the plane together
    would pass a background job's budget."""
    grid = surface_grid(data, model)
    surface = surface_seconds(data, model, grid)
    if surface >= engine.JOB_BUDGET / 2:
        raise engine.BudgetError(
            f"Too much work for one background job: the loss over the plane ({grid} x "
            f"{grid} points, each a pass over {len(data.y_train):,} rows with "
            f"{model.weights:,} weights) would take about {surface:.1f} s alone; use fewer rows "
            "or a smaller model.")
    frames = min(FRAME_SECONDS, frame_cost(data, model, n_runs)[0] * MAX_SNAPSHOTS)
    training.check_budget(data, model, n_runs, epochs, batch,
                          engine.JOB_BUDGET - surface - frames, "one background job")


def check_tasks(data: training.Dataset, model: training.Model, epochs: int,
                batch: int | None) -> None:
    """BudgetError (saying what to lower) when two tasks would pass a background
    job's budget."""
    seconds = tasks.estimate(data, model, epochs, batch)
    if seconds > engine.JOB_BUDGET:
        fit = int(engine.JOB_BUDGET / (seconds / epochs))
        raise engine.BudgetError(
            f"Too much work for one background job: two tasks of {epochs:,} epochs each (one "
            f"run, then three) on {len(data.y_train):,} rows with a model of "
            f"{model.weights:,} weights would take about {seconds:.1f} s, over the "
            f"{engine.JOB_BUDGET:g} s allowed; lower the epochs to at most {max(1, fit):,}, or "
            "use a larger batch, fewer rows or a smaller model.")


def parse(race_query, *boxes, with_lesson: bool = True) -> tuple[tuple, dict, dict]:
    """The boxes (:data:`FORM`) and the race's ticked optimizers as the training's
    arguments, the view (the epoch shown, and the lesson these settings are, if
    any) and the link's parameters; FieldError or BudgetError for what cannot be
    trained within a job's budget."""
    s = FORM.parse(*boxes)
    _, specs, _, _, _ = common.race_scene(race_query)
    maker = datasets.maker(s["data"])
    size = maker.size if s["size"] is None else s["size"]
    noise = maker.noise if s["noise"] is None else s["noise"]
    data = training.load(s["data"], size=size, noise=noise, seed=s["seed"])
    model = training.parse_model(s["model"], data.features, data.outputs, s["activation"])
    batch = s["batch"] if s["batch"] is not None and s["batch"] < len(data.y_train) else None
    if s["mode"] == "tasks":
        datasets.permuted(data)  # a FieldError for a set with no second task
        check_tasks(data, model, s["epochs"], batch)
        args = (_specs_text(specs[:1]), s["data"], size, noise, s["seed"], model.text(),
                s["activation"], batch, s["epochs"], "pca", 0, "tasks", s["ewc"], s["l2"])
    else:
        check_work(data, model, len(specs), s["epochs"], batch)
        around = around_run(specs, s["around"]) if s["plane"] == "random" else 0
        args = (_specs_text(specs), s["data"], size, noise, s["seed"], model.text(),
                s["activation"], batch, s["epochs"], s["plane"], around, "race", None, None)
    lesson = lesson_args().get(args) if with_lesson else None
    return args, {"epoch": s["epoch"], "lesson": lesson}, FORM.link(s, page=False)


def around_run(specs, name: str) -> int:
    """The run a random plane is centred on: the first ticked optimizer called
    ``name`` (its key or its title), or the first run when ``name`` is blank."""
    if not name:
        return 0
    for r, spec in enumerate(specs):
        if name in (spec.optimizer, optimizers.info(spec.optimizer).title.lower()):
            return r
    ticked = ", ".join(dict.fromkeys(s.optimizer for s in specs))
    raise FieldError("around", f"must be one of the ticked optimizers ({ticked}; got {name!r:.30})")


# -- Lessons: settings with a claim, checked by a test from those settings ---------------------
@dataclass(frozen=True)
class Lesson:
    """A scene for this page: the race's optimizers (``opts``, the command line's
    syntax), the page's settings (by field name; the rest default) and a caption
    that tells what the runs show, shown while the page trains exactly this."""

    key: str
    title: str
    opts: tuple[str, ...]
    settings: dict = field(default_factory=dict)
    caption: str = ""

    def link(self) -> str:
        """The link that opens it: the race's default scene with these optimizers, and
        this page with these settings."""
        sc = scene.Scene()
        race = scene.to_query(sc.landscape, sc.start, sc.steps,
                              [engine.parse_spec(o) for o in self.opts])
        values = FORM.parse(*FORM.boxes(self.settings))
        return with_params(race, page=KEY, **FORM.link(values, page=False))


_WARMUP = {"data": "spirals", "model": "mlp:32,32", "batch": None, "epochs": 150}
_MINIBATCH = ("gd:lr=0.1", "adam:lr=0.01")
LESSONS: dict[str, Lesson] = {x.key: x for x in [
    Lesson("belief_digits", "Adam vs AdaBelief on the digits",
           ("adam:lr=0.001", "adabelief:lr=0.001"),
           {"data": "digits", "model": "mlp:32", "batch": 32, "epochs": 30},
           "Both at lr 0.001, on minibatches of 32 digits for 30 epochs, from the same weights "
           "on the same batches. AdaBelief ends with the lower training loss (0.093 against "
           "Adam's 0.122) and holds out one digit more of the 449 (98 % against 97.8 %); at "
           "epoch 10 it is ahead held out too (95.3 % against 94.4 %). One data set, one seed, "
           "one learning rate: try another seed before reading a verdict into one digit."),
    Lesson("warmup_off", "Adam's first steps without warmup (spirals)",
           ("adam:lr=0.2",), _WARMUP,
           "Adam at lr 0.2 on the full batch of two spirals. Its first step moves every weight "
           "by about the full learning rate, whatever its gradient (v̂ rests on one gradient, so "
           "m̂/√v̂ = ±1), and within 20 epochs the training loss jumps from 0.698 to 4.8. "
           "After 150 epochs it is at 0.642 and holds out only 57 %. The next lesson is the "
           "same run with 20 epochs of warmup."),
    Lesson("warmup_on", "The same Adam with 20 epochs of warmup",
           ("adam:lr=0.2,warmup=20",), _WARMUP,
           "The same Adam, its learning rate ramped up over the first 20 epochs: in those "
           "epochs the training loss peaks at 0.703, barely above its start (0.698), against "
           "4.8 without warmup, and after 150 epochs it is at 0.0248 with 96 % held "
           "out (57 % without). Warmup is for Adam's first steps, while v̂ rests on a few "
           "gradients."),
    Lesson("minibatch", "Minibatches of 8 rows (moons)", _MINIBATCH,
           {"batch": 8, "epochs": 100},
           "Gradient descent at lr 0.1 and Adam at lr 0.01 on minibatches of 8 rows: 38 "
           "updates an epoch, each on another sample of the data, so the training loss goes "
           "up from one epoch to the next in 37 (gradient descent) and 48 (Adam) of the 100 "
           "epochs. After 100 epochs the training loss is 0.00604 and 0.00881, and 100 % and "
           "99 % are held out right."),
    Lesson("full_batch", "The same runs on the full batch", _MINIBATCH,
           {"batch": None, "epochs": 100},
           "The same two on the full batch: one update an epoch, on every row, so gradient "
           "descent's training loss never goes up (in 0 of the 100 epochs; Adam's in 4). But "
           "100 epochs are then 100 updates, not 3,800: gradient descent ends at 0.276 and "
           "90 % held out, Adam at 0.0298 and 100 %. The minibatches' noise came with 38 "
           "times the updates."),
    Lesson("ewc_digits", "Forgetting the digits, with L2 and EWC", ("adam:lr=0.001",),
           {"data": "digits", "model": "mlp:64", "batch": 32, "epochs": 20, "mode": "tasks",
            "ewc": 10, "l2": 0.01},
           "Adam learns the digits (98 % held out right), then the same digits with their 64 "
           "pixels shuffled by one fixed permutation, for 20 epochs each. Trained plainly on the "
           "shuffled task, the network keeps 69.3 % of the first; pulled back towards the first "
           "task's weights with L2 (λ 0.01), 75.7 %; with EWC (λ 10), 82.2 %, and with both "
           "the new task reaches the same 92.9 % (95.1 % plainly). At the same cost to the new "
           "task, EWC keeps 6.5 points more of the old one than L2, because it pulls on the "
           "weights the first task's answers depend on. One seed and one λ each: try others."),
]}
"""The page's lessons, in the menu's order; ``tests/test_real_model.py`` trains each
one's settings and checks every number of its caption."""


@functools.cache
def lesson_args() -> dict[tuple, str]:
    """Each lesson's training arguments (as :func:`parse` gives them), to its key."""
    out = {}
    for lesson in LESSONS.values():
        link = lesson.link()
        out[parse(link, *FORM.from_link(link), with_lesson=False)[0]] = lesson.key
    return out


# -- The view ---------------------------------------------------------------------------------
def shown_epoch(tr: training.Training, asked: int | None) -> tuple[int, int]:
    """The epoch asked (the last if none, at most the last) and the index of the
    last kept snapshot at or before it."""
    epoch = tr.epochs if asked is None else min(int(asked), tr.epochs)
    return epoch, int(np.searchsorted(tr.weight_epochs, epoch, side="right") - 1)


def _boundary(result: dict, run: int, snap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``run``'s boundary at kept snapshot ``snap``: the job's frame when the player
    has that snapshot (no forward pass at each drawing), else computed here."""
    tr: training.Training = result["training"]
    x = np.concatenate([tr.data.x_train, tr.data.x_test])
    frames = result.get("frames")
    at = np.flatnonzero(frames["snaps"] == snap) if frames and frames["classes"] is not None else []
    if len(at):
        gx, gy, _ = grid_over(x)
        return gx, gy, frames["classes"][run, at[0]].astype(float)
    return class_grid(tr.model, tr.weights[run, snap], x)


def class_grid(model: training.Model, w: np.ndarray, x: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The class the weights ``w`` ``(N,)`` give each cell of :func:`grid_over` ``x``:
    the grid's two axes and the classes ``[y, x]``."""
    gx, gy, cells = grid_over(x)
    with np.errstate(all="ignore"):
        out, _ = models.forward(model, w[None], cells)
    return gx, gy, out[0].argmax(axis=1).reshape(len(gy), len(gx)).astype(float)


def figure(result: dict, asked: int | None) -> go.Figure:
    tr: training.Training = result["training"]
    pl: plane.Plane = result["plane"]
    a, b, z = result["surface"]
    epoch, snap = shown_epoch(tr, asked)
    data = tr.data
    boundaries = data.features == 2 and not data.regression
    n = len(tr.specs)
    per_row = 4
    extra_rows = -(-n // per_row) if boundaries else 0
    specs = [[{"colspan": 4}, None, None, None, {"colspan": 4}, None, None, None,
              {"colspan": 4}, None, None, None]]
    for _ in range(extra_rows):
        specs.append(sum(([{"colspan": 3}, None, None] for _ in range(per_row)), []))
    drawn = int(tr.weight_epochs[snap])  # the kept weights the curves and boundaries use
    random = pl.kind == "random"
    titles = ["loss per epoch (— training, ┄ held out)", f"fitted curve at epoch {drawn:,}"
              if data.regression else "accuracy per epoch (— training, ┄ held out)",
              f"random plane around {optimizers.info(tr.specs[pl.around].optimizer).title}'s "
              "end (darker: higher loss)" if random
              else "weight-space plane (darker: higher loss)"]
    titles += [boundary_title(tr, r, drawn) for r in range(n if boundaries else 0)]
    fig = make_subplots(rows=1 + extra_rows, cols=12, specs=specs, subplot_titles=titles,
                        vertical_spacing=0.12 / max(1, extra_rows), horizontal_spacing=0.05,
                        row_heights=[1.4] + [1.0] * extra_rows)
    epochs = np.arange(tr.epochs + 1)
    for r, spec in enumerate(tr.specs):
        info = optimizers.info(spec.optimizer)
        color = figures.COLORS.get(spec.optimizer, "#333")
        for values, dash, col, part in ((tr.train_loss, "solid", 1, "training"),
                                        (tr.test_loss, "dot", 1, "held out"),
                                        (tr.train_accuracy, "solid", 5, "training"),
                                        (tr.test_accuracy, "dot", 5, "held out")):
            if values is None:
                continue
            fig.add_trace(go.Scatter(
                x=epochs, y=values[r], mode="lines", name=info.title, legendgroup=spec.optimizer,
                showlegend=part == "training" and col == 1, meta=spec.optimizer,
                line={"color": color, "width": 2, "dash": dash},
                hovertemplate=f"{info.title}, {part}: %{{y:.4g}} at epoch %{{x}}<extra></extra>"),
                row=1, col=col)
        path = pl.coords[r]
        ok = np.isfinite(path).all(axis=1)
        way = ok & (np.arange(len(path)) <= snap)  # the path so far (the player moves it)
        # beside each kept point, the loss the run had there and the contour's at its projection
        beside = np.stack([tr.weight_epochs, tr.train_loss[r, tr.weight_epochs],
                           result["on_plane"][r]], axis=1)
        fig.add_trace(go.Scatter(x=path[way, 0], y=path[way, 1], mode="lines+markers",
                                 showlegend=False, marker={"size": 3, "color": color},
                                 line={"color": color, "width": 2.5}, meta=spec.optimizer,
                                 uid=f"path-{r}", customdata=beside[way],
                                 hovertemplate=f"{info.title}, epoch %{{customdata[0]}}: the run's "
                                 "loss %{customdata[1]:.4g}, the plane's %{customdata[2]:.4g}"
                                 "<extra></extra>"),
                      row=1, col=9)
        here = [path[snap]] if ok[snap] else []  # the player moves it (uid dot-r)
        fig.add_trace(go.Scatter(x=[p[0] for p in here], y=[p[1] for p in here], mode="markers",
                                 showlegend=False, uid=f"dot-{r}", meta=spec.optimizer,
                                 marker={"color": color, "size": 9,
                                         "line": {"color": "white", "width": 1}},
                                 hovertemplate=f"{info.title}<extra></extra>"), row=1, col=9)
    fig.add_trace(go.Contour(x=a, y=b, z=np.log10(np.maximum(z, 1e-12)), showscale=False,
                             colorscale=[[0, "#ffffff"], [1, "#64748b"]], ncontours=18,
                             contours={"coloring": "heatmap"}, line={"width": 0.5},
                             hovertemplate="training loss 10^%{z:.2f}<extra></extra>"), row=1, col=9)
    start = pl.coords[0, 0]
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", showlegend=False,
                             marker={"color": "#dc2626", "size": 11, "symbol": "circle"},
                             hovertemplate="the starting weights<extra></extra>"), row=1, col=9)
    for col in (1,) if data.regression else (1, 5):
        fig.add_vline(x=epoch, line={"color": "#9ca3af", "width": 1, "dash": "dash"}, row=1, col=col)
    if data.regression:  # the fitted curves over the data, in place of the accuracy
        xs = fit_points(data)
        fig.add_trace(go.Scatter(x=data.x_train[:, 0], y=data.y_train[:, 0], mode="markers",
                                 marker={"color": "#9ca3af", "size": 4}, showlegend=False,
                                 hoverinfo="skip"), row=1, col=5)
        with np.errstate(all="ignore"):
            out, _ = models.forward(tr.model, tr.weights[:, snap], xs)
        for r, spec in enumerate(tr.specs):
            fig.add_trace(go.Scatter(x=xs[:, 0], y=out[r, :, 0], mode="lines", showlegend=False,
                                     line={"color": figures.COLORS.get(spec.optimizer, "#333"),
                                           "width": 2}, meta=spec.optimizer, uid=f"fit-{r}",
                                     hoverinfo="skip"), row=1, col=5)
    for r in range(n if boundaries else 0):
        row, col = 2 + r // per_row, 1 + 3 * (r % per_row)
        gx, gy, cls = _boundary(result, r, snap)
        k = data.classes
        scale = [[i / max(1, k - 1), PALE_CLASS[i % len(PALE_CLASS)]] for i in range(k)]
        fig.add_trace(go.Heatmap(x=gx, y=gy, z=cls, colorscale=scale, zmin=0, zmax=k - 1,
                                 showscale=False, hoverinfo="skip", uid=f"heat-{r}"),
                      row=row, col=col)
        for xs_, ys_, symbol in ((data.x_train, data.y_train, "circle"),
                                 (data.x_test, data.y_test, "x")):
            fig.add_trace(go.Scatter(
                x=xs_[:, 0], y=xs_[:, 1], mode="markers", showlegend=False, hoverinfo="skip",
                marker={"color": [CLASS_COLORS[c % len(CLASS_COLORS)] for c in ys_],
                        "size": 4 if symbol == "circle" else 5, "symbol": symbol}), row=row, col=col)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=1)
    if not data.regression:
        fig.update_xaxes(title_text="epoch", row=1, col=5)
        fig.update_yaxes(range=[0, 1.02], row=1, col=5)
    share = pl.explained
    if random:
        fig.update_xaxes(title_text="α: 1st random direction (filter norms)", row=1, col=9,
                         showgrid=False)
        fig.update_yaxes(title_text="β: 2nd", row=1, col=9, showgrid=False)
    else:
        fig.update_xaxes(title_text=f"1st direction ({rounded(100 * share[0], 2)} % of the "
                                    "spread)", row=1, col=9, showgrid=False)
        fig.update_yaxes(title_text=f"2nd ({rounded(100 * share[1], 2)} %)", row=1, col=9,
                         showgrid=False)
    fig.update_layout(height=420 + 260 * extra_rows, font=FONT, plot_bgcolor="white",
                      paper_bgcolor="rgba(0,0,0,0)", margin={"l": 60, "r": 12, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
                      hovermode="closest")
    if "frames" in result:
        fig.update_layout(meta={"player": player_meta(result, asked, fig)})
    return fig


def player_meta(result: dict, asked: int | None, fig: go.Figure) -> dict:
    """What ``assets/train_player.js`` needs to step the figure through the frames
    (:func:`player_frames`) in the browser, with no request per frame: each frame's
    epoch and note sentence; each run's boundary (its packed cells) or fitted curve
    (float32), as the job encoded them, and its boundary's title; which shapes are
    the epoch lines; ``paths``, every run's kept points on the plane (x, y, and the
    epoch, the run's loss and the plane's there, for the hover), drawn up to the
    frame's snapshot (``snaps``), its last point the run's dot; ``titles``,
    ``[annotation index, its text at each frame]`` pairs. Its ``start`` is the frame
    shown now (the last at or before the epoch asked)."""
    tr: training.Training = result["training"]
    frames, pl = result["frames"], result["plane"]
    snaps = frames["snaps"]
    epochs = tr.weight_epochs[snaps]
    shown, _ = shown_epoch(tr, asked)
    runs = range(len(tr.specs))
    on_plane, kept = result["on_plane"], tr.weight_epochs
    paths = [[None if not np.isfinite(c).all() else
              [float(c[0]), float(c[1]), int(kept[s]), float(tr.train_loss[r, kept[s]]),
               float(on_plane[r, s])] for s, c in enumerate(pl.coords[r])] for r in runs]
    meta: dict = {
        "epochs": [int(e) for e in epochs], "last": tr.epochs, "shown": shown,
        "start": int(np.searchsorted(epochs, shown, side="right") - 1),
        "sentences": [at_epoch(tr, int(e), int(s)) for e, s in zip(epochs, snaps, strict=True)],
        "paths": paths, "snaps": [int(s) for s in snaps],
        "lines": [i for i, sh in enumerate(fig.layout.shapes) if sh.line.dash == "dash"],
        "heat": None, "fits": None, "titles": [],
    }
    if frames["classes"] is not None:
        meta["heat"] = {"side": frames["classes"].shape[-1], "bits": cell_bits(tr.data.classes),
                        "z": frames["encoded"]}
        # the boundaries' titles follow the first row's three
        meta["titles"] = [[3 + r, [boundary_title(tr, r, int(e)) for e in epochs]] for r in runs]
    if frames["fits"] is not None:
        meta["fits"] = {"points": FIT_POINTS, "y": frames["encoded"]}
        meta["titles"] = [[1, [f"fitted curve at epoch {int(e):,}" for e in epochs]]]
    return meta


def boundary_title(tr: training.Training, run: int, epoch: int) -> str:
    """A boundary's title: its optimizer and held-out accuracy at ``epoch``."""
    acc = tr.test_accuracy[run, epoch]
    return (f"{optimizers.info(tr.specs[run].optimizer).title}: held out "
            + ("diverged" if not np.isfinite(acc) else f"{rounded(100 * acc, 3)} %"))


def summary(result: dict, asked: int | None) -> str:
    """What the picture shows, in numbers read from the same arrays."""
    return "".join(summary_parts(result, asked))


def at_epoch(tr: training.Training, epoch: int, snap: int) -> str:
    """The note's sentence about one epoch (the player rewrites it as it moves):
    each run's held-out accuracy (or loss) then, and the epoch the boundaries and
    the plane's dots are drawn at, when that is another (``snap``'s)."""
    parts = []
    for r, spec in enumerate(tr.specs):
        title = optimizers.info(spec.optimizer).title
        d = int(tr.diverged_at[r])
        if 0 <= d <= epoch:
            parts.append(f"{title} diverged at epoch {d:,}")
        elif tr.test_accuracy is not None:
            parts.append(f"{title} {rounded(100 * tr.test_accuracy[r, epoch], 3)} %")
        else:
            parts.append(f"{title} {rounded(tr.test_loss[r, epoch], 3)}")
    what = "held-out accuracy" if tr.test_accuracy is not None else "held-out loss (squared error)"
    kept = int(tr.weight_epochs[snap])
    at = (f" (the boundaries and the plane's dots at epoch {kept:,}, the last one kept before "
          "it)" if kept != epoch else "")
    return f"At epoch {epoch:,}, {what}: " + "; ".join(parts) + "." + at


def summary_parts(result: dict, asked: int | None) -> tuple[str, str, str]:
    """The note in three parts: the data and the training; :func:`at_epoch`; the plane."""
    tr: training.Training = result["training"]
    epoch, snap = shown_epoch(tr, asked)
    how = ("the full batch" if tr.batch >= len(tr.data.y_train)
           else f"minibatches of {tr.batch:,} rows, shuffled each epoch")
    pl, gaps = result["plane"], result["gaps"]
    worst = int(np.nanargmax(gaps)) if np.isfinite(gaps).any() else None
    share = rounded(100 * (pl.explained[0] + pl.explained[1]), 3)
    plane_text = f" The plane holds {share} % of the spread of the runs' kept weights; "
    if pl.kind == "random":
        title = optimizers.info(tr.specs[pl.around].optimizer).title
        way = rounded(100 * result["ways"][pl.around], 3)
        plane_text = (f" The plane is Li et al.'s: two random directions through {title}'s end "
                      "point, scaled neuron by neuron to its weights there (α = 1 moves each "
                      "neuron's incoming weights by their own length; the biases stay). It "
                      f"shows the shape of the minimum around that point, not the way there: {way} % of {title}'s way from its start "
                      f"to its end lies in the plane, and it holds {share} % of the spread of "
                      "the runs' kept weights; ")
    if worst is None:
        plane_text += "no run kept a finite point to measure it by."
    elif gaps[worst] <= ON_PLANE:
        plane_text += ("every kept point lies on it, so its contour is the loss the runs had "
                       "there.")
    else:
        plane_text += ("at the kept epochs the loss at a path's projection differs from the "
                       f"run's own loss by up to {rounded(gaps[worst], 3)} "
                       f"({optimizers.info(tr.specs[worst].optimizer).title}), so the contour "
                       "is a sketch of the surface, not the surface the runs saw.")
    return (f"{tr.data.title}, {len(tr.data.y_train):,} training rows and {len(tr.data.y_test):,} "
            f"held out; a model of {tr.model.weights:,} weights trained on {how}. ",
            at_epoch(tr, epoch, snap), plane_text)


# -- Two tasks ----------------------------------------------------------------------------------
WAY_COLORS = {"plain": "#6b7280", "l2": "#ea580c", "ewc": "#2563eb"}


def tasks_figure(tw: tasks.TwoTasks) -> go.Figure:
    """Both tasks' held-out accuracy over both phases, the pull on each weight (EWC's
    against L2's), and (two inputs) the boundaries after A and after B each way."""
    epochs = tw.first.epochs
    boundaries = tw.task_a.features == 2
    rows = 2 if boundaries else 1
    specs = [[{"colspan": 4}, None, None, None, {"colspan": 4}, None, None, None,
              {"colspan": 4}, None, None, None]]
    titles = ["task A (the data) held out, accuracy", "task B (inputs permuted) held out",
              "the pull on each weight, largest first"]
    if boundaries:
        specs.append(sum(([{"colspan": 3}, None, None] for _ in range(4)), []))
        titles += ["after task A (● A, × B held out)", *(f"after B: {tasks.TITLES[w]}" for w in tasks.WAYS)]
    fig = make_subplots(rows=rows, cols=12, specs=specs, subplot_titles=titles,
                        vertical_spacing=0.14, horizontal_spacing=0.05,
                        row_heights=[1.3, 1.0][:rows])
    steps = np.arange(2 * epochs + 1)
    for col, task in ((1, "a"), (5, "b")):
        curve = tw.curve(task)
        for r, way in enumerate(tasks.WAYS):
            fig.add_trace(go.Scatter(
                x=steps, y=curve[r], mode="lines", name=tasks.TITLES[way], legendgroup=way,
                showlegend=col == 1, meta=way, line={"color": WAY_COLORS[way], "width": 2},
                hovertemplate=f"{tasks.TITLES[way]}: %{{y:.3f}} at epoch %{{x}}<extra></extra>"),
                row=1, col=col)
        fig.add_vline(x=epochs, line={"color": "#9ca3af", "width": 1, "dash": "dash"}, row=1,
                      col=col)
        fig.update_yaxes(range=[0, 1.02], row=1, col=col)
        fig.update_xaxes(title_text=f"epoch (task B from {epochs:,})", row=1, col=col)
    pull = np.sort(tw.ewc * tw.fisher)[::-1]
    rank = np.arange(1, len(pull) + 1)
    fig.add_trace(go.Scatter(x=rank, y=np.maximum(pull, 1e-12), mode="lines", showlegend=False,
                             line={"color": WAY_COLORS["ewc"], "width": 2}, meta="ewc",
                             hovertemplate="EWC: λF = %{y:.3g} (weight %{x})<extra></extra>"),
                  row=1, col=9)
    fig.add_trace(go.Scatter(x=[1, len(pull)], y=[max(tw.l2, 1e-12)] * 2, mode="lines",
                             showlegend=False, meta="l2",
                             line={"color": WAY_COLORS["l2"], "width": 2, "dash": "dash"},
                             hovertemplate=f"L2: λ = {tw.l2:g} on every weight<extra></extra>"),
                  row=1, col=9)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, row=1, col=9)
    fig.update_xaxes(title_text="weights, by EWC's pull (— EWC's λF, ┄ L2's λ)", row=1, col=9)
    if boundaries:
        ends = [tw.first.last_weights[0], *tw.second.last_weights]
        k = tw.task_a.classes
        scale = [[i / max(1, k - 1), PALE_CLASS[i % len(PALE_CLASS)]] for i in range(k)]
        for i, w in enumerate(ends):
            gx, gy, cls = class_grid(tw.first.model, w, np.concatenate([tw.task_a.x_test,
                                                                        tw.task_b.x_test]))
            fig.add_trace(go.Heatmap(x=gx, y=gy, z=cls, colorscale=scale, zmin=0, zmax=k - 1,
                                     showscale=False, hoverinfo="skip"), row=2, col=1 + 3 * i)
            for d, symbol in ((tw.task_a, "circle"), (tw.task_b, "x")):
                fig.add_trace(go.Scatter(
                    x=d.x_test[:, 0], y=d.x_test[:, 1], mode="markers", showlegend=False,
                    hoverinfo="skip", marker={"color": [CLASS_COLORS[c % len(CLASS_COLORS)]
                                                        for c in d.y_test],
                                              "size": 4 if symbol == "circle" else 5,
                                              "symbol": symbol}), row=2, col=1 + 3 * i)
    fig.update_layout(height=420 + 260 * (rows - 1), font=FONT, plot_bgcolor="white",
                      paper_bgcolor="rgba(0,0,0,0)", margin={"l": 60, "r": 12, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
                      hovermode="closest")
    return fig


def tasks_summary(tw: tasks.TwoTasks) -> str:
    """What the two-task picture shows, in numbers read from the same arrays."""
    epochs = tw.first.epochs
    a, b = tw.curve("a"), tw.curve("b")
    title = optimizers.info(tw.first.specs[0].optimizer).title
    how = ("the full batch" if tw.first.batch >= len(tw.task_a.y_train)
           else f"minibatches of {tw.first.batch:,}")

    def pct(v: float) -> str:
        return "diverged" if not np.isfinite(v) else f"{rounded(100 * v, 3)} %"

    ways = []
    for r, way in enumerate(tasks.WAYS):
        strength = {"plain": "", "l2": f" (λ {exact(tw.l2)})", "ewc": f" (λ {exact(tw.ewc)})"}
        ways.append(f"{tasks.TITLES[way].lower() if way == 'plain' else tasks.TITLES[way]}"
                    f"{strength[way]}, task A {pct(a[r, -1])} and task B {pct(b[r, -1])}")
    pull = tw.ewc * tw.fisher
    above, below = int((pull > tw.l2).sum()), int((pull < tw.l2).sum())
    alike = len(pull) - above - below
    pulls = (f"EWC pulls {above:,} of the {len(pull):,} weights harder than L2 does and "
             f"{below:,} more lightly" + (f" ({alike:,} alike)" if alike else "") + ": it holds "
             "the weights task A's answers depend on (by the Fisher's diagonal, from each row's "
             "gradient at task A's end) and leaves the others freer for task B.")
    return (f"{title} trains task A ({tw.task_a.title}, {len(tw.task_a.y_train):,} rows) for "
            f"{epochs:,} epochs on {how}: {pct(a[0, epochs])} of task A held out right "
            f"(task B, the same rows with the inputs permuted: {pct(b[0, epochs])}). Then task "
            f"B for {epochs:,} epochs from those weights, held out at the end: "
            + "; ".join(ways) + ". " + pulls)


def render(result: dict, view: dict) -> tuple:
    """The figure and the note; the note's sentence about the epoch is a span the
    player rewrites (``I.at``)."""
    if "tasks" in result:
        fig, note = tasks_figure(result["tasks"]), [tasks_summary(result["tasks"])]
    else:
        head, sentence, tail = summary_parts(result, view["epoch"])
        fig, note = figure(result, view["epoch"]), [head, html.Span(sentence, id=I.at), tail]
    lesson = LESSONS.get(view.get("lesson") or "")
    if lesson is not None:
        note = [html.B(lesson.title + ". "), lesson.caption, html.Br(), *note]
    return fig, [], note


def layout() -> html.Div:
    controls = [
        kit.select(I.lesson, "lesson", [("", "—"), *((k, x.title) for k, x in LESSONS.items())],
                   "", wide=True),
        kit.select(I.mode, "what to train", list(MODES.items()), FORM.default("mode"), wide=True),
        kit.select(I.data, "data", [(k, m.title) for k, m in datasets.MAKERS.items()],
                   FORM.default("data"), wide=True),
        kit.text_box(FORM, "size", "rows (blank: the set's)"),
        kit.text_box(FORM, "noise", "noise (blank: the set's)"),
        kit.text_box(FORM, "seed", "seed"),
        kit.text_box(FORM, "model", "model: linear or mlp:W,W"),
        kit.select(I.activation, "activation", [(a, a) for a in models.ACTIVATIONS],
                   FORM.default("activation")),
        kit.text_box(FORM, "batch", "batch (rows, or full)"),
        kit.text_box(FORM, "epochs", "epochs"),
        kit.select(I.plane, "weight-space plane", list(PLANES.items()), FORM.default("plane"),
                   wide=True),
        kit.text_box(FORM, "around", "random plane around (blank: 1st run)"),
        kit.text_box(FORM, "epoch", "show epoch (blank: last)"),
        kit.text_box(FORM, "ewc", "EWC's λ (two tasks)"),
        kit.text_box(FORM, "l2", "L2's λ (two tasks)"),
    ]
    intro = ("The optimizers ticked on the Compare optimizers page, with their settings, train one "
             "small neural network on real data: the same starting weights, the same minibatches, "
             "each update through the same rule as on the race (equal to torch.optim's to 1e-10). "
             "Does what Adam does on Rosenbrock hold when a network trains? The third chart puts "
             "every run's path on the plane of the runs' two main directions in weight space, over "
             "the training loss on that plane, or (Li et al. 2018) on a random plane around one "
             "run's end; a plane shows two directions out of thousands, and the note says how far "
             "off it is. In the two-tasks mode the first ticked optimizer learns the data, then "
             "the same data with its inputs permuted, plainly, with L2 and with EWC: how much "
             "of the first task does each keep?")
    return common.frame(I, "The same optimizers on a real model", intro, controls, "epoch",
                        above_graph=[player_bar(), kit.video_panel(VIDEO)])


def player_bar() -> html.Div:
    """Play, pause, step and scrub through the kept epochs, in the browser
    (``assets/train_player.js``, from the figure's ``meta.player``), with the race's
    buttons and keys; hidden until a figure with frames is drawn (the two-tasks mode
    has none)."""
    def button(id_: str, text: str, title: str, label: str | None, play: bool = False
               ) -> html.Button:
        aria = {"aria-label": label} if label else {}
        return html.Button(text, id=id_, n_clicks=0, title=title, **aria,
                           className="pbtn play-button" if play else "pbtn")

    return html.Div([
        button(I.reset, "⟲", "The first epoch (Home)", "first epoch"),
        button(I.back, "◀", "One kept epoch back (←)", "step back"),
        button(I.play, "▶ Play", "Play / pause (space)", None, play=True),
        button(I.forward, "▶", "One kept epoch on (→)", "step forward"),
        html.Div(id=I.slider, className="train-player-slider"),  # a range input, made there
        html.Span(id=I.frame_text, className="epoch-text", role="status"),
        kit.video_button(VIDEO, size="xs"),
    ], id=I.player, className="player-buttons train-player", style={"display": "none"})


def csv(result: dict) -> tuple[tuple[str, ...], export.Table, str]:
    """Every run's every epoch: the losses and accuracies (two tasks: both tasks' held
    out, every way, both phases)."""
    if "tasks" in result:
        tw = result["tasks"]
        return export.TASKS_COLUMNS, export.tasks_table(tw), f"two_tasks_{tw.task_a.name}.csv"
    tr = result["training"]
    return export.TRAINING_COLUMNS, export.training_table(tr), f"training_{tr.data.name}.csv"


PAGE = Page(KEY, "Real model", layout, 90)
update, job = common.register_view(I, KEY, "train", FORM.inputs(), parse, compute, render, csv,
                                   whole_scene=False)
boxes = kit.fill_from_link(KEY, FORM.outputs(), FORM.from_link)
kit.register_video(VIDEO, "train")
clientside_callback(ClientsideFunction("trainPlayer", "sync"), Output(I.player, "style"),
                    Output(I.frame_text, "children"), Input(I.graph, "figure"),
                    prevent_initial_call=True)


@callback(Output(ids.STORE_URL, "data", allow_duplicate=True), Input(I.lesson, "value"),
          prevent_initial_call=True)
def open_lesson(key: str | None) -> str:
    """A lesson picked: its link sets the race's optimizers and this page's boxes."""
    lesson = LESSONS.get(key or "")
    if lesson is None:
        raise PreventUpdate
    return lesson.link()
