"""The scene: what the control panel shows, as plain data (no Dash here).

A scene is a landscape, a start, a step count, one row per optimizer (ticked
or not, with the text of its boxes) and the gradients' noise (:class:`Noise`:
none, or stochastic gradients with a seed, and how many noisy runs the cost
chart's band spans). It round-trips through the URL query
(``?landscape=rosenbrock&start=-1,1.5&steps=800&opt=adam:lr=0.02,decay=0``,
the command line's optimizer syntax, then ``&grad_noise=0.5&grad_seed=3&grad_runs=10``
when there is noise: other pages' links have a ``noise`` and a ``seed`` of their own)
and through the presets. Parsing a row gives a :class:`engine.RunSpec` or a
message per bad box.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs

import landscapes
from landscapes.number_text import exact
from visualizer import engine
from visualizer.engine import optimizers, schedules
from visualizer.ui.text import write_query

MAX_APP_STEPS = 10_000
"""The most epochs the app runs (the command line allows engine.MAX_STEPS)."""
DEFAULT_STEPS = 1000
CLASSIC = ("gd", "momentum", "rmsprop", "adam")
SCHEDULE_KEYS = tuple(dict.fromkeys(
    ["warmup", *(k for params in schedules.SCHEDULES.values() for k in params)]))
"""Every schedule parameter, once, in registry order (the settings panel's boxes)."""


def default_lr(name: str) -> float:
    """The learning rate a row starts with: the classic figure's 0.001, except
    Adadelta, whose lr is a multiplier that torch sets to 1."""
    return 1.0 if name == "adadelta" else 1e-3


@dataclass
class Row:
    """One optimizer row: ticked, and the text of each of its boxes."""

    name: str
    checked: bool = False
    lr: str = ""
    decay: str = "0"
    hypers: dict[str, str] = field(default_factory=dict)
    schedule: str = "constant"
    schedule_params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def default(cls, name: str) -> Row:
        info = optimizers.info(name)
        return cls(
            name=name, checked=name in CLASSIC, lr=exact(default_lr(name)), decay="0",
            hypers={k: exact(v) for k, v in info.defaults().items()},
            schedule="constant", schedule_params={k: "" for k in SCHEDULE_KEYS},
        )

    @classmethod
    def from_spec(cls, spec: engine.RunSpec) -> Row:
        row = cls.default(spec.optimizer)
        row.checked, row.lr, row.decay = True, exact(spec.lr), exact(spec.decay)
        row.hypers = {k: exact(v) for k, v in spec.hypers.items()}
        row.schedule = spec.schedule
        defaults = schedules.check_schedule(spec.schedule, {})
        for k, v in spec.schedule_params.items():
            if defaults.get(k) != v:
                row.schedule_params[k] = exact(v)
        return row


def settings(rows: list[Row]) -> dict[str, dict]:
    """Every row's other boxes (hyperparameters, schedule), as ``store-settings`` holds them."""
    return {r.name: {"hypers": dict(r.hypers), "schedule": r.schedule,
                     "sched": dict(r.schedule_params)} for r in rows}


def rows_from(checks: list, lrs: list, decays: list, store: dict | None) -> list[Row]:
    """Rows (in registry order) from the table's boxes and ``store-settings``."""
    store = store or {}
    rows = []
    for name, checked, lr, decay in zip(optimizers.OPTIMIZERS, checks, lrs, decays, strict=True):
        row = Row.default(name)
        row.checked, row.lr, row.decay = bool(checked), lr or "", decay or ""
        saved = store.get(name) or {}
        row.hypers.update({k: str(v or "") for k, v in (saved.get("hypers") or {}).items()
                           if k in row.hypers})
        row.schedule = saved.get("schedule") or "constant"
        row.schedule_params.update({k: str(v or "") for k, v in (saved.get("sched") or {}).items()
                                    if k in row.schedule_params})
        rows.append(row)
    return rows


SEED = engine.Range(0, 2**31 - 1, whole=True)
SEEDS = engine.Range(1, 20, whole=True)
"""The noise's seed, and how many noisy runs the cost chart's band spans."""


@dataclass(frozen=True)
class Noise:
    """Stochastic gradients on the race: Gaussian noise of standard deviation
    ``sigma`` added to every gradient (0: none), drawn from ``seed`` (every
    optimizer sees the same draws: :func:`engine.run`); the paths are that run's.
    ``seeds`` > 1 adds a band on the cost chart spanning that many runs: the one
    drawn and ``seeds - 1`` more, each with its own draws (from ``seed + 1``)."""

    sigma: float = 0.0
    seed: int = 0
    seeds: int = 1

    def params(self) -> list[tuple[str, str]]:
        """Its part of the link: nothing without noise, the defaults left out."""
        if not self.sigma:
            return []
        out = [("grad_noise", exact(self.sigma))]
        if self.seed:
            out.append(("grad_seed", str(self.seed)))
        if self.seeds > 1:
            out.append(("grad_runs", str(self.seeds)))
        return out


NO_NOISE = Noise()


def parse_noise(sigma: object, seed: object, seeds: object) -> Noise:
    """The noise boxes (text; a blank σ is none, a blank seed 0 and a blank band 1)
    as a :class:`Noise`, or FieldError naming the box."""
    def text(v: object) -> str:
        return "" if v is None else str(v).strip()

    return Noise(engine.NOISE.parse("gradient noise σ", text(sigma) or "0"),
                 int(SEED.parse("noise seed", text(seed) or "0")),
                 int(SEEDS.parse("runs in the band", text(seeds) or "1")))


@dataclass
class Scene:
    landscape: str = "himmelblau"
    start: tuple[float, float] = (0.0, 0.0)
    steps: int = DEFAULT_STEPS
    rows: list[Row] = field(default_factory=lambda: [Row.default(n) for n in optimizers.OPTIMIZERS])
    noise: Noise = NO_NOISE


def parse_row(row: Row) -> tuple[engine.RunSpec | None, dict[str, str]]:
    """The row's run, or None, and a message per bad box (keys: ``lr``, ``decay``,
    a hyperparameter name, ``schedule``, or a schedule parameter name). The
    engine's ranges judge each box, in the engine's words."""
    errors: dict[str, str] = {}
    values: dict[str, float] = {}

    def check(key: str, text: str, field: str, **extra: object) -> None:
        if not isinstance(text, str):  # a box holds text: anything else is a malformed request
            raise TypeError(f"{field}: a box's value must be text, not {type(text).__name__}")
        try:
            value = engine.Range().parse(field, text)
            engine.make_spec(row.name, **{**extra, key: value})
            values[key] = value
        except engine.FieldError as exc:
            errors[key] = str(exc)

    check("lr", row.lr, "learning rate")
    check("decay", row.decay, "decay")
    for key, text in row.hypers.items():
        check(key, text, key)
    schedule = row.schedule if row.schedule in schedules.SCHEDULES else "constant"
    allowed = {*schedules.SCHEDULES[schedule], "warmup"}
    for key, text in row.schedule_params.items():
        if key in allowed and (text or "").strip():
            check(key, text, key, schedule=schedule)
    if errors:
        return None, errors
    try:
        return engine.make_spec(row.name, schedule=schedule, **values), {}
    except (ValueError, KeyError) as exc:  # a combination no single box shows
        return None, {"lr": str(exc)}


def parse_start(x: str, y: str, landscape: landscapes.Landscape) -> tuple[float, float]:
    """The start boxes as a point inside the landscape's bound, or ValueError."""
    point = (engine.Range().parse("x", x), engine.Range().parse("y", y))
    engine.check_starts(landscape, point)
    return point


EPOCHS = engine.Range(1, MAX_APP_STEPS, whole=True)


def parse_steps(text: object) -> int:
    """The epochs box as a whole number in [1, MAX_APP_STEPS], or FieldError."""
    return int(EPOCHS.parse("epochs", text if text is None or isinstance(text, str) else str(text)))


def runs_of(query: str) -> tuple[landscapes.Landscape, list[engine.RunSpec], tuple[float, float],
                                 int, str]:
    """The runs a scene's link asks for: its landscape, its ticked rows' runs, the
    start, the epochs and the canonical link (:func:`to_query`). ``ValueError``
    naming every bad part: here nothing is quietly replaced by a default."""
    ls, specs, start, steps, canonical, _ = _parsed(query)
    return ls, list(specs), start, steps, canonical


def noise_of(query: str) -> Noise:
    """The gradients' noise a scene's link asks for (:func:`runs_of`'s parse)."""
    return _parsed(query)[5]


def _parsed(query: str) -> tuple:
    parsed = _PARSED.get(query)
    if parsed is None:
        parsed = _parse_runs(query)
        if len(_PARSED) > 1024:
            _PARSED.clear()
        _PARSED[query] = _PARSED[parsed[4]] = parsed  # a request reads its canonical link next
    return parsed


_PARSED: dict[str, tuple] = {}
"""Links read lately, and their canonical forms (:func:`runs_of`)."""


def _parse_runs(query: str) -> tuple:
    sc, problems = from_query(query)
    if problems:
        raise ValueError("; ".join(problems))
    specs = tuple(s for s in (parse_row(r)[0] for r in sc.rows if r.checked) if s)
    return (landscapes.get(sc.landscape), specs, sc.start, sc.steps,
            to_query(sc.landscape, sc.start, sc.steps, list(specs), sc.noise), sc.noise)


def to_query(landscape: str, start: tuple[float, float], steps: int,
             specs: list[engine.RunSpec], noise: Noise = NO_NOISE) -> str:
    """The URL query of a scene (ticked, valid rows only; the noise, if any, last)."""
    return write_query([("landscape", landscape), ("start", f"{exact(start[0])},{exact(start[1])}"),
                        ("steps", str(steps))] + [("opt", engine.spec_text(s)) for s in specs]
                       + noise.params())


def from_query(query: str) -> tuple[Scene, list[str]]:
    """A scene from a URL query, and a message per part that had to be ignored."""
    params = parse_qs((query or "").lstrip("?"), keep_blank_values=True)
    scene, problems = Scene(), []
    if "landscape" in params:
        name = params["landscape"][-1]
        try:
            landscapes.get(name)
            scene.landscape = name
        except (KeyError, ValueError) as exc:  # unknown name; a formula refused
            problems.append(str(exc))
    ls = landscapes.get(scene.landscape)
    scene.start = ls.start
    if "start" in params:
        try:
            x, y = params["start"][-1].split(",")
            scene.start = parse_start(x, y, ls)
        except ValueError as exc:
            problems.append(str(exc))
    if "steps" in params:
        try:
            scene.steps = parse_steps(params["steps"][-1])
        except ValueError as exc:
            problems.append(str(exc))
    if "opt" in params:
        rows = {r.name: replace(r, checked=False) for r in scene.rows}
        for text in params["opt"]:
            try:
                spec = engine.parse_spec(text)
                rows[spec.optimizer] = Row.from_spec(spec)
            except (ValueError, KeyError) as exc:
                problems.append(str(exc))
        scene.rows = list(rows.values())
    if "grad_noise" in params:
        try:
            scene.noise = parse_noise(params["grad_noise"][-1], params.get("grad_seed", [""])[-1],
                                      params.get("grad_runs", [""])[-1])
        except ValueError as exc:
            problems.append(str(exc))
    return scene, problems


@dataclass(frozen=True)
class Preset:
    """A scene to open from the menu. ``description`` is its line in the menu;
    the caption over the map (``description`` and ``note``) shows while the runs
    on screen are the preset's own, and a test checks every sentence of it."""

    key: str
    title: str
    description: str
    query: str
    note: str = ""

    @property
    def caption(self) -> str:
        return f"{self.description} {self.note}".strip()


PRESETS: list[Preset] = [
    Preset("classic", "Classic: Himmelblau",
           "The classic figure: four optimizers at lr 0.001 from (0, 0) for 1,000 epochs. Gradient "
           "descent and momentum reach the minimum (3, 2); RMSprop and Adam do not get there in "
           "time. The original page ran RMSprop and Adam at lr 0.01 while its boxes said 0.001: "
           "set them to 0.01 to see its picture.",
           "?landscape=himmelblau&start=0,0&steps=1000&opt=gd:lr=0.001&opt=momentum:lr=0.001"
           "&opt=rmsprop:lr=0.001&opt=adam:lr=0.001",
           "The original write-up reads its picture as a convex space in which momentum does "
           "not converge, RMSprop matches Adam and Adam is slower. Himmelblau is not convex: it "
           "has four minima. What that picture shows: momentum swings past (3, 2) and comes "
           "back, within 0.001 of the minimum's cost at epoch 91, before gradient descent "
           "(epoch 199); at lr 0.01 RMSprop and Adam take nearly the same path (never more "
           "than 0.08 apart), and Adam is the slower: within 0.1 of the minimum's cost at "
           "epoch 359, RMSprop at 244."),
    Preset("classic_gp", "Classic: Goldstein-Price",
           "The classic figure's second configuration, from (0, 0): gradient descent (lr 3.2e-5), "
           "momentum (lr 2.5e-6, decay 0.01) and Adam (lr 0.2, decay 0.02) settle in the local "
           "minimum (−0.6, −0.4), cost 30; RMSprop (lr 0.5, decay 0.1) reaches the global one "
           "(0, −1), cost 3. RMSprop uses ρ = 0.9 as the original page did: with torch's default "
           "0.99 it flies off the map.",
           "?landscape=goldstein_price&start=0,0&steps=1000&opt=gd:lr=3.2e-05"
           "&opt=momentum:lr=2.5e-06,decay=0.01&opt=rmsprop:lr=0.5,decay=0.1,rho=0.9"
           "&opt=adam:lr=0.2,decay=0.02",
           "The original write-up does not name this landscape: Goldstein-Price is the most "
           "likely one. A start at (−0.5, −0.5) fits its picture too; from there RMSprop "
           "also ends in the local minimum."),
    Preset("overshoot", "Too large a learning rate",
           "On a bowl of curvature 50, gradient descent is stable only below lr = 2/50: at 0.038 "
           "it bounces across the valley; momentum at 0.08 is past its own limit and diverges; "
           "Adam at lr 0.3 overshoots, then settles.",
           "?landscape=ill_conditioned_bowl&start=-2.8,1&steps=300&opt=gd:lr=0.038"
           "&opt=momentum:lr=0.08&opt=adam:lr=0.3"),
    Preset("momentum", "Momentum swings past the minimum",
           "Heavy-ball momentum builds up speed and overshoots the minimum, then spirals in; "
           "plain gradient descent at the same lr creeps straight down.",
           "?landscape=booth&start=-6,-6&steps=300&opt=gd:lr=0.01&opt=momentum:lr=0.01"
           "&opt=nesterov:lr=0.01"),
    Preset("double_well", "Momentum rolls into the deeper well",
           "From (1.8, 0.5), gradient descent settles in the nearer, shallower well; momentum "
           "and Nesterov at the same lr 0.01 gather speed on the way down and roll over the "
           "barrier into the deeper one.",
           "?landscape=double_well&start=1.8,0.5&steps=500&opt=gd:lr=0.01&opt=momentum:lr=0.01"
           "&opt=nesterov:lr=0.01"),
    Preset("adabelief", "Adam vs AdaBelief",
           "On |x + y| + |x − y| / 10, a narrow valley along x = −y, AdaBelief at Adam's "
           "learning rate steps less across the valley, as much along it, and reaches the "
           "minimum sooner. The Adam vs AdaBelief page takes the step apart: the difference "
           "is in the numerator m̂ here, not the denominator.",
           "?landscape=abs_skew&start=-1.2,1.6&steps=300&opt=adam:lr=0.05&opt=adabelief:lr=0.05"),
    Preset("rosenbrock", "Rosenbrock's valley",
           "Finding the curved valley is quick (every run is on its floor within 50 epochs); "
           "following it to (1, 1) is where methods differ: after 2,000 epochs momentum is "
           "there, the others are still on the way.",
           "?landscape=rosenbrock&start=-1.5,1.5&steps=2000&opt=gd:lr=0.001&opt=momentum:lr=0.001"
           "&opt=rmsprop:lr=0.002&opt=adam:lr=0.02&opt=adabelief:lr=0.02"),
    Preset("saddle", "Escaping a saddle",
           "Near the saddle point the gradient along y is tiny. RMSprop rescales it and leaves "
           "first; momentum's speed carries it out next, then Adam; plain gradient descent "
           "leaves last. The saddle is unbounded below: a run that leaves counts as diverged "
           "once it is far off the map.",
           "?landscape=saddle&start=-1.8,0.05&steps=600&opt=gd:lr=0.01&opt=momentum:lr=0.01"
           "&opt=rmsprop:lr=0.01&opt=adam:lr=0.01"),
]


def preset_captions() -> dict[str, dict[str, str]]:
    """Each preset's caption (``title``, ``description``, ``note``) by the scene link its
    runs carry (:func:`to_query` of its own settings), for the browser to show while
    those runs are on screen."""
    return {runs_of(p.query)[4]: {"title": p.title, "description": p.description, "note": p.note}
            for p in PRESETS}


@functools.cache
def default_link() -> str:
    """The canonical link of the scene the race opens on."""
    sc = Scene()
    specs = [spec for spec in (parse_row(r)[0] for r in sc.rows if r.checked) if spec is not None]
    return to_query(sc.landscape, sc.start, sc.steps, specs)
