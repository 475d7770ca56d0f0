"""Three teaching scenes as plain computations (no Dash): Adam against
AdaBelief, one optimizer at several learning rates and schedules, and
catastrophic forgetting with elastic weight consolidation (EWC).

Each scene runs the app's own engine; the view (:mod:`visualizer.lessons_view`)
only draws what these functions return. Every scene's settings round-trip
through a URL query (``?page=belief&scene=abs_skew&lr=0.05&steps=300``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np

import landscapes
from landscapes import Landscape, Minimum
from visualizer import engine, optimizers
from visualizer.scene import parse_start, query_params

Array = np.ndarray


def _number(text: object, what: str, low: float, high: float, whole: bool = False) -> float:
    """A box's text as a number in [low, high] (whole if asked), or ValueError naming the box."""
    raw = str(text if text is not None else "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{what}: {raw[:20]!r} is not a number") from None
    if not (low <= value <= high) or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{what} must be {kind} from {low:g} to {high:g}")
    return int(value) if whole else value


def _query(page: str, items: dict[str, object]) -> str:
    return "?" + urlencode([("page", page), *((k, str(v)) for k, v in items.items())], safe=":,=")


def parse_lr(text: object, what: str) -> float:
    """A learning rate in (0, MAX_LR], or ValueError naming the box."""
    lr = _number(text, what, 0.0, engine.MAX_LR)
    if lr <= 0:
        raise ValueError(f"{what} must be larger than 0")
    return lr


# -- Adam vs AdaBelief ----------------------------------------------------------------
@dataclass(frozen=True)
class BeliefScene:
    key: str
    landscape: str
    start: tuple[float, float]
    lr: float
    steps: int
    note: str  # true of the scene's own settings (a test checks it)
    valley: tuple[float, float] | None = None  # unit vector along a straight valley


BELIEF_SCENES: dict[str, BeliefScene] = {s.key: s for s in [
    BeliefScene("abs_skew", "abs_skew", (-1.2, 1.6), 0.05, 300,
                "|x + y| + |x − y|/10: a narrow valley along x = −y. Across it the gradient "
                "flips sign every step; along it, it hardly changes. Both optimizers divide "
                "per coordinate, and the valley is diagonal, so per coordinate the two "
                "denominators look alike. Measured along and across the valley, the difference "
                "shows: AdaBelief steps less across the valley, where g keeps missing its "
                "prediction m, and as much as Adam along it.",
                valley=(math.sqrt(0.5), -math.sqrt(0.5))),
    BeliefScene("abs_sum", "abs_sum", (-1.5, 1.0), 0.05, 200,
                "|x| + |y|: the gradient is (±1, ±1) everywhere, so Adam's √v̂ is exactly 1. "
                "Away from the kinks the gradient never changes, AdaBelief's √ŝ stays below "
                "1, and its steps are larger; at the kinks both start to bounce."),
    BeliefScene("ill_conditioned_bowl", "ill_conditioned_bowl", (-2.8, 1.0), 0.1, 200,
                "A narrow bowl (curvature 1 along x, 50 across it along y). Along x the "
                "gradient changes slowly and predictably: AdaBelief's √ŝ there is smaller than "
                "Adam's √v̂, and its first steps along x are larger.",
                valley=(1.0, 0.0)),
    BeliefScene("rosenbrock", "rosenbrock", (-1.5, 1.5), 0.02, 1500,
                "Rosenbrock's curved valley: AdaBelief's √ŝ stays below Adam's √v̂ on both "
                "coordinates, so its first steps are larger and it reaches the valley's floor "
                "sooner; on the floor the two step alike."),
]}
MAX_LESSON_STEPS = 5000


@dataclass
class BeliefRun:
    scene: BeliefScene
    lr: float
    steps: int
    result: engine.Result
    denominators: dict[str, Array]  # "adam": sqrt(v_hat) (steps, 2); "adabelief": sqrt(s_hat)
    step_sizes: dict[str, Array]  # |theta_t - theta_{t-1}| per coordinate (steps, 2)
    directions: list[tuple[str, Array]]  # the two directions the charts use: (label, unit vector)
    projected_steps: dict[str, Array]  # |(theta_t - theta_{t-1}) . e| per direction (steps, 2)
    belief: dict[str, Array]  # AdaBelief's "g", "m" along each direction, and "band" (steps, 2)


def belief_directions(scene: BeliefScene) -> list[tuple[str, Array]]:
    """Across and along the scene's valley, or the x and y axes when it has none."""
    if scene.valley is None:
        return [("along x", np.array([1.0, 0.0])), ("along y", np.array([0.0, 1.0]))]
    along = np.array(scene.valley, dtype=float)
    across = np.array([-along[1], along[0]])
    return [("across the valley", across), ("along the valley", along)]


def belief(scene_key: str, lr: float | None = None, steps: int | None = None) -> BeliefRun:
    """Adam and AdaBelief from the scene's start with the same lr and betas."""
    scene = BELIEF_SCENES[scene_key]
    lr = scene.lr if lr is None else lr
    steps = scene.steps if steps is None else steps
    specs = [engine.make_spec("adam", lr=lr), engine.make_spec("adabelief", lr=lr)]
    result = engine.run(landscapes.get(scene.landscape), specs, scene.start, steps,
                        budget=engine.REQUEST_BUDGET)
    t = np.arange(1, steps + 1, dtype=float)[:, None]
    dens, sizes, projected = {}, {}, {}
    dirs = belief_directions(scene)
    basis = np.stack([e for _, e in dirs], axis=1)  # (2, 2): columns are the directions
    for i, (name, field) in enumerate((("adam", "exp_avg_sq"), ("adabelief", "exp_avg_var"))):
        beta2 = result.specs[i].hypers["beta2"]
        dens[name] = np.sqrt(result.states[i][field][0] / (1.0 - beta2**t))
        moves = np.diff(result.points[i, 0], axis=0)
        sizes[name] = np.abs(moves)
        projected[name] = np.abs(moves @ basis)
    # The belief itself: AdaBelief's gradient g_t against its prediction m_t, and the
    # band m_t +- sqrt(s_hat_t) along each direction, s being the same moving average
    # AdaBelief keeps, of (g - m)^2 along that direction.
    g = result.grads[1, 0] @ basis
    m = result.states[1]["exp_avg"][0] @ basis
    beta2 = result.specs[1].hypers["beta2"]
    s = np.zeros(2)
    spread = np.empty_like(g)
    for k in range(steps):
        s = beta2 * s + (1.0 - beta2) * (g[k] - m[k]) ** 2
        spread[k] = np.sqrt(s / (1.0 - beta2 ** (k + 1)))
    return BeliefRun(scene, lr, steps, result, dens, sizes, dirs, projected,
                     {"g": g, "m": m, "band": spread})


def belief_summary(run: BeliefRun) -> str:
    """The measured contrast of the run on screen: mean step of AdaBelief against
    Adam along each chart's direction, and of their denominators per coordinate."""
    if (run.result.diverged_at[:, 0] >= 0).any():
        return "A run diverged: lower the learning rate to compare the steps."
    parts = []
    for j, (label, _) in enumerate(run.directions):
        a = float(run.projected_steps["adam"][:, j].mean())
        b = float(run.projected_steps["adabelief"][:, j].mean())
        ratio = f" ({b / a:.2f}×)" if a > 0 else ""
        parts.append(f"{label}, AdaBelief {fmt_float(b)} against Adam's {fmt_float(a)}{ratio}")
    with np.errstate(all="ignore"):
        dens = np.nanmean(run.denominators["adabelief"] / run.denominators["adam"], axis=0)
    return ("Mean step " + "; ".join(parts) + ". Mean √ŝ/√v̂ per coordinate: "
            f"{fmt_float(float(dens[0]))} (x), {fmt_float(float(dens[1]))} (y).")


def belief_query(scene_key: str, lr: float, steps: int) -> str:
    return _query("belief", {"scene": scene_key, "lr": repr(lr), "steps": steps})


def belief_from_query(query: str) -> tuple[str, str, str]:
    """The scene key, lr text and steps text a link asks for (defaults where absent or wrong)."""
    p = query_params(query)
    key = p.get("scene") if p.get("scene") in BELIEF_SCENES else "abs_skew"
    scene = BELIEF_SCENES[key]
    return key, p.get("lr", repr(scene.lr)), p.get("steps", str(scene.steps))


def belief_settings(lr: str, steps: str) -> tuple[float, int]:
    """The scene's learning rate and epochs boxes, or ValueError naming the bad box."""
    return (_number(lr, "learning rate", 1e-12, engine.MAX_LR),
            _number(steps, "epochs", 1, MAX_LESSON_STEPS, whole=True))


# -- Learning rates and schedules -------------------------------------------------------
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
            return [(f"lr {lr:g}", self.spec(lr), False) for lr in self.lrs]
        out = []
        for lr in self.lrs:
            out.append((f"lr {lr:g}, warmup {self.warmup_steps}", self.spec(lr), False))
            out.append((f"lr {lr:g}, no warmup", self.spec(lr, warmup=False), True))
        return out


@dataclass(frozen=True)
class LrScene:
    key: str
    title: str
    settings: LrSettings
    note: str


LR_SCENES: dict[str, LrScene] = {s.key: s for s in [
    LrScene("bowl", "Too small, too large (narrow bowl)", LrSettings(),
            "Curvature 50 across the bowl: gradient descent is stable only for lr below "
            "2/50 = 0.04. At 0.005 it crawls, at 0.039 it bounces across the valley but "
            "gets there, at 0.041 it diverges."),
    LrScene("stuck", "A small lr stays in the local minimum (double well)",
            LrSettings(landscape="double_well", lrs=(0.01, 0.05, 0.12, 0.3), steps=300,
                       start=(1.8, 0.5)),
            "Gradient descent from (1.8, 0.5): at lr 0.01 and 0.05 it settles in the nearer, "
            "shallower well and stays there; at 0.12 its first steps overshoot the barrier "
            "and it ends in the deeper well; at 0.3 it diverges."),
    LrScene("warmup_basin", "Warmup keeps the nearest minimum (Himmelblau)",
            LrSettings(landscape="himmelblau", lrs=(0.02,), warmup=50, steps=300,
                       start=(-4.5, 4.5), compare=True),
            "Gradient descent at lr 0.02 from (−4.5, 4.5), where the slope is steep: without "
            "warmup the first step flies across the map and the run ends in a far minimum; "
            "with 50 warmup epochs the first steps are small and it settles in the nearest."),
    LrScene("warmup_peak", "Warmup tames Adam's first steps (Rosenbrock)",
            LrSettings(landscape="rosenbrock", optimizer="adam", lrs=(0.5,), warmup=100,
                       steps=500, compare=True),
            "Adam at lr 0.5 on Rosenbrock: without warmup its first steps climb the valley's "
            "wall and the cost peaks high; with 100 warmup epochs the peak is far lower."),
]}


def parse_lrs(text: str) -> tuple[float, ...]:
    """``"0.001, 0.01, 0.1"`` as learning rates (1 to MAX_LRS, each in (0, MAX_LR])."""
    parts = [p for p in str(text or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("learning rates: enter one or more, separated by commas")
    if len(parts) > MAX_LRS:
        raise ValueError(f"learning rates: at most {MAX_LRS}")
    return tuple(dict.fromkeys(parse_lr(p, "learning rates") for p in parts))


def parse_start_text(text: str, landscape: Landscape) -> tuple[float, float] | None:
    """``"x, y"`` as a start inside the landscape's domain; blank: None (its own start)."""
    raw = str(text or "").strip()
    if not raw:
        return None
    parts = raw.replace(";", ",").split(",")
    if len(parts) != 2:
        raise ValueError("start: give two numbers, x, y")
    try:
        return parse_start(parts[0], parts[1], landscape)
    except ValueError as exc:
        raise ValueError(f"start: {exc}") from None


def lr_settings(landscape: str, optimizer: str, lrs_text: str, schedule: str, warmup: str,
                gamma: str, step_size: str, decay: str, steps: str, start: str = "",
                compare: bool = False) -> LrSettings:
    """The scene's boxes as settings, or ValueError naming the bad box."""
    ls = landscapes.get(landscape)
    optimizers.get(optimizer)
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from: {', '.join(LR_SCHEDULES)}")
    n = _number(steps, "epochs", 1, MAX_LESSON_STEPS, whole=True)
    settings = LrSettings(
        landscape=landscape, optimizer=optimizer, lrs=parse_lrs(lrs_text), schedule=schedule,
        warmup=_number(warmup or 0, "warmup steps", 0, n, whole=True),
        gamma=_number(gamma, "γ", 1e-6, 1.0) if str(gamma or "").strip() else None, step_size=_number(step_size, "step every", 1, MAX_LESSON_STEPS, whole=True),
        decay=_number(decay, "decay", 0.0, engine.MAX_DECAY), steps=n,
        start=parse_start_text(start, ls), compare=bool(compare),
    )
    if settings.compare and not settings.warmup_steps:
        raise ValueError("with and without warmup: set the warmup steps above 0 "
                         "(or pick the linear warmup schedule)")
    settings.runs()  # builds every run: the engine's own checks (an lr too large for it, ...)
    return settings


def lr_run(s: LrSettings) -> engine.Result:
    """Every run of :meth:`LrSettings.runs`, from the scene's start."""
    ls = landscapes.get(s.landscape)
    return engine.run(ls, [spec for _, spec, _ in s.runs()], s.start_point, s.steps,
                      record_state=False, budget=engine.REQUEST_BUDGET)


def lr_outcomes(s: LrSettings, res: engine.Result) -> list[str]:
    """What each run did, measured: where it ended (or when it diverged), its
    highest cost after the start, its final cost."""
    out = []
    for i, (label, _, _) in enumerate(s.runs()):
        d = int(res.diverged_at[i, 0])
        if d >= 0:
            out.append(f"{label}: diverged at epoch {d}")
            continue
        pts, losses = res.path(i)
        x, y = (fmt_float(float(v)) for v in pts[-1])
        where = f"ends at ({x}, {y})"
        if res.landscape.minima:
            at = res.landscape.outcome_label(pts[-1])
            where = f"{where}, no listed minimum" if at == "no listed minimum" else f"ends in the {at}"
        out.append(f"{label}: {where}; highest cost {fmt_float(float(losses[1:].max()))}, "
                   f"final {fmt_float(float(losses[-1]))}")
    return out


def lr_query(s: LrSettings, scene: str | None = None) -> str:
    """The page's link: the scene picked (when there is one) and every box."""
    items: dict[str, object] = {"scene": scene} if scene in LR_SCENES else {}
    items |= {"landscape": s.landscape, "opt": s.optimizer,
             "lrs": ",".join(repr(v) for v in s.lrs), "schedule": s.schedule,
             "warmup": s.warmup, "gamma": "" if s.gamma is None else repr(s.gamma),
             "step_size": s.step_size, "decay": repr(s.decay), "steps": s.steps}
    if s.start is not None:
        items["start"] = f"{s.start[0]!r},{s.start[1]!r}"
    if s.compare:
        items["compare"] = "1"
    return _query("lr", items)


def lr_boxes_of(s: LrSettings) -> dict[str, str]:
    """The boxes' text for these settings (the page's keys, as in its link)."""
    return {"landscape": s.landscape, "opt": s.optimizer, "lrs": ", ".join(map(repr, s.lrs)),
            "schedule": s.schedule, "warmup": str(s.warmup),
            "gamma": "" if s.gamma is None else repr(s.gamma), "step_size": str(s.step_size),
            "decay": repr(s.decay), "steps": str(s.steps),
            "start": "" if s.start is None else f"{s.start[0]:g}, {s.start[1]:g}",
            "compare": "1" if s.compare else ""}


def lr_from_query(query: str) -> dict[str, str]:
    """The boxes' text from a link (defaults where absent)."""
    p = query_params(query)
    return {k: p.get(k, v) for k, v in lr_boxes_of(LrSettings()).items()}


# -- Catastrophic forgetting and EWC ----------------------------------------------------
def _quadratic(name: str, title: str, centre: tuple[float, float], h: tuple[float, float, float],
               domain) -> Landscape:
    """``1/2 (p - c)^T H (p - c)`` with ``H = [[a, b], [b, d]]``."""
    cx, cy = centre
    a, b, d = h

    def fxy(x, y):
        u, v = x - cx, y - cy
        return 0.5 * (a * u * u + 2.0 * b * u * v + d * v * v)

    def gradxy(x, y):
        u, v = x - cx, y - cy
        return a * u + b * v, b * u + d * v

    return Landscape(name=name, title=title, fxy=fxy, gradxy=gradxy, domain=domain,
                     minima=(Minimum(centre, 0.0),), start=(0.0, 0.0),
                     formula=r"\tfrac12\,(\theta - c)^\top H (\theta - c)", lesson="",
                     compilable=False)


EWC_DOMAIN = ((-4.0, 4.0), (-4.0, 4.0))
# Task A depends on theta_1 (curvature 6) and hardly on theta_2 (0.05); task B mostly on
# theta_2 (curvature 5): EWC can hold theta_1 and free theta_2, where an L2 penalty,
# holding both alike, cannot.
TASK_A = _quadratic("task_a", "Task A", (-2.0, 1.5), (6.0, 0.2, 0.05), EWC_DOMAIN)
TASK_B = _quadratic("task_b", "Task B", (2.0, -1.5), (0.6, -0.4, 5.0), EWC_DOMAIN)
EWC_START = (0.5, 3.2)
DEFAULT_LAMBDA = 10.0
MAX_LAMBDA = 1e4


def hessian_diagonal(task: Landscape, point, h: float = 1e-4) -> Array:
    """The diagonal of the task's Hessian at ``point``: central differences of its
    exact gradient (exact for a quadratic, up to rounding)."""
    p = np.asarray(point, dtype=float)
    out = np.empty(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        out[i] = (task.grad(p + e)[i] - task.grad(p - e)[i]) / (2 * h)
    return out


def ewc_loss(task_b: Landscape, anchor, fisher, lam: float) -> Landscape:
    """Task B's loss plus the EWC penalty ``lam/2 sum_i F_i (theta_i - anchor_i)^2``
    (with every ``F_i = 1``, the plain L2 penalty)."""
    ax, ay = (float(v) for v in anchor)
    fx, fy = (float(v) for v in fisher)
    half = 0.5 * lam

    def fxy(x, y):
        return task_b.fxy(x, y) + half * (fx * (x - ax) ** 2 + fy * (y - ay) ** 2)

    def gradxy(x, y):
        gx, gy = task_b.gradxy(x, y)
        return gx + lam * fx * (x - ax), gy + lam * fy * (y - ay)

    return Landscape(name="task_b_ewc", title="Task B + EWC", fxy=fxy, gradxy=gradxy,
                     domain=task_b.domain, minima=(), start=(ax, ay), formula="", lesson="",
                     compilable=False)


@dataclass
class EwcRun:
    lam: float
    spec: engine.RunSpec
    steps: int
    phase_a: Array  # (steps + 1, 2): training on A from the start
    anchor: Array  # theta*_A: where training on A ended
    fisher: Array  # F: the Hessian diagonal of task A at theta*_A
    plain: Array  # (steps + 1, 2): then training on B alone
    ewc: Array  # (steps + 1, 2): then training on B with the EWC penalty
    l2: Array  # (steps + 1, 2): then training on B with an L2 penalty (every F_i = 1)
    diverged: bool

    def losses(self, task: Landscape, path: Array) -> Array:
        with np.errstate(all="ignore"):
            return task.f(path)


def ewc(optimizer: str = "adam", lr: float = 0.05, lam: float = DEFAULT_LAMBDA,
        steps: int = 300) -> EwcRun:
    """Train on task A, then on task B three ways: alone, with EWC, and with a
    plain L2 penalty of the same λ that holds every weight alike (Kirkpatrick et
    al.'s third path). Each task starts a fresh optimizer state, as when a new
    task starts."""
    spec = engine.make_spec(optimizer, lr=lr)
    a = engine.run(TASK_A, [spec], EWC_START, steps, record_state=False)
    phase_a = a.points[0, 0]
    anchor = phase_a[-1]
    diverged = bool(a.diverged_at[0, 0] >= 0)
    if diverged:
        nan = np.full((steps + 1, 2), np.nan)
        return EwcRun(lam, spec, steps, phase_a, anchor, np.full(2, np.nan), nan, nan, nan, True)
    fisher = hessian_diagonal(TASK_A, anchor)
    paths = []
    for task in (TASK_B, ewc_loss(TASK_B, anchor, fisher, lam), ewc_loss(TASK_B, anchor, (1.0, 1.0), lam)):
        res = engine.run(task, [spec], anchor, steps, record_state=False)
        diverged = diverged or bool(res.diverged_at[0, 0] >= 0)
        paths.append(res.points[0, 0])
    return EwcRun(lam, spec, steps, phase_a, anchor, fisher, *paths, diverged)


def ewc_settings(optimizer: str, lr: str, lam: str, steps: str) -> tuple[str, float, float, int]:
    optimizers.get(optimizer)
    return (optimizer, parse_lr(lr, "learning rate"), _number(lam, "λ", 0.0, MAX_LAMBDA),
            _number(steps, "epochs per task", 1, MAX_LESSON_STEPS, whole=True))


def ewc_query(optimizer: str, lr: float, lam: float, steps: int) -> str:
    return _query("ewc", {"opt": optimizer, "lr": repr(lr), "lambda": repr(lam), "steps": steps})


def ewc_from_query(query: str) -> tuple[str, str, str, str]:
    p = query_params(query)
    return (p.get("opt", "adam"), p.get("lr", "0.05"), p.get("lambda", f"{DEFAULT_LAMBDA:g}"),
            p.get("steps", "300"))


def fmt_float(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "—"
