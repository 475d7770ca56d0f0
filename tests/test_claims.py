"""Every preset's and landscape lesson's claim, checked by running its own settings.

A caption is a claim about the picture beside it: each test here runs the
scene exactly as the app does (the preset's link through ``scene.runs_of``) and
fails if the text stops being true.
"""

from __future__ import annotations

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.pages.race import scene

PRESETS = {p.key: p for p in scene.PRESETS}


def run_preset(key: str) -> tuple[landscapes.Landscape, dict[str, tuple[np.ndarray, np.ndarray, int]]]:
    """The preset's runs: ``{optimizer: (points, losses, diverged_at)}``."""
    ls, specs, start, steps, _ = scene.runs_of(PRESETS[key].query)
    res = engine.run(ls, specs, start, steps, record_state=False)
    return ls, {s.optimizer: (*res.path(i), int(res.diverged_at[i, 0])) for i, s in enumerate(specs)}


def ends(ls: landscapes.Landscape, pts: np.ndarray) -> tuple[float, float] | None:
    """The listed minimum the run ended in (its point), or None."""
    i = ls.minimum_near(pts[-1])
    return None if i is None else ls.minima[i].point


def test_every_preset_is_checked_here():
    checked = {name[len("test_preset_"):] for name in globals() if name.startswith("test_preset_")}
    assert checked == set(PRESETS)


def test_preset_classic():
    ls, runs = run_preset("classic")
    assert ends(ls, runs["gd"][0]) == ends(ls, runs["momentum"][0]) == (3.0, 2.0)
    for name in ("rmsprop", "adam"):  # "do not get there in time" at the shown 0.001 ...
        assert ends(ls, runs[name][0]) is None and runs[name][1][-1] > 1.0
    # ... and do at the original page's hidden 0.01
    res = engine.run(ls, [engine.make_spec("rmsprop", lr=0.01), engine.make_spec("adam", lr=0.01)],
                     (0.0, 0.0), 1000, record_state=False)
    assert all(ends(ls, res.path(i)[0]) == (3.0, 2.0) for i in range(2))


def test_preset_classic_gp():
    ls, runs = run_preset("classic_gp")
    for name in ("gd", "momentum", "adam"):
        assert ends(ls, runs[name][0]) == (-0.6, -0.4)
        assert runs[name][1][-1] == pytest.approx(30.0, abs=0.05)
    assert ends(ls, runs["rmsprop"][0]) == (0.0, -1.0)
    assert runs["rmsprop"][1][-1] == pytest.approx(3.0, abs=0.01)
    # with torch's default rho = 0.99 it flies off the map
    _, specs, start, steps, _ = scene.runs_of(PRESETS["classic_gp"].query)
    rms = next(s for s in specs if s.optimizer == "rmsprop")
    res = engine.run(ls, [engine.make_spec("rmsprop", lr=rms.lr, decay=rms.decay)], start, steps,
                     record_state=False)
    (x0, x1), (y0, y1) = ls.domain
    x, y = res.path(0)[0][-1]
    assert not (x0 <= x <= x1 and y0 <= y <= y1) and res.path(0)[1][-1] > 1e4


def test_preset_overshoot():
    ls, runs = run_preset("overshoot")
    gd, momentum, adam = runs["gd"], runs["momentum"], runs["adam"]
    assert 0.038 < 2 / 50 and gd[2] < 0
    assert (np.diff(np.sign(gd[0][:, 1])) != 0).all()  # across the valley, every step
    assert momentum[2] >= 0
    assert adam[0][:, 0].max() > 0.5 and ends(ls, adam[0]) == (0.0, 0.0)  # past x = 0, then back


def test_preset_momentum():
    ls, runs = run_preset("momentum")
    (mx, my), = (m.point for m in ls.minima)
    dist = {k: np.hypot(p[:, 0] - mx, p[:, 1] - my) for k, (p, _, _) in runs.items()}
    assert (np.diff(dist["gd"]) <= 0).all() and (np.diff(runs["gd"][1]) <= 0).all()  # straight down
    for name in ("momentum", "nesterov"):
        pts = runs[name][0]
        assert pts[:, 0].max() > mx + 1 and pts[:, 1].max() > my + 1  # swings past the minimum
        assert (np.diff(dist[name]) > 0).any() and dist[name][-1] < 1e-3  # then comes back in


def test_preset_double_well():
    ls, runs = run_preset("double_well")
    shallow, deep = (m.point for m in sorted(ls.minima, key=lambda m: -m.value))
    assert ends(ls, runs["gd"][0]) == shallow
    assert ends(ls, runs["momentum"][0]) == ends(ls, runs["nesterov"][0]) == deep


def test_preset_adabelief():
    ls, runs = run_preset("adabelief")

    def first_within(name: str) -> int:
        return int(np.nonzero(runs[name][1] < 0.1)[0][0])

    assert first_within("adabelief") < first_within("adam")


def test_preset_rosenbrock():
    ls, runs = run_preset("rosenbrock")
    for pts, _, _ in runs.values():
        assert (np.abs(pts[:50, 1] - pts[:50, 0] ** 2) < 0.1).any()  # on the valley floor
    assert ends(ls, runs["momentum"][0]) == (1.0, 1.0)
    others = [name for name in runs if name != "momentum"]
    assert all(ends(ls, runs[name][0]) is None for name in others)


def test_preset_saddle():
    _, runs = run_preset("saddle")
    leaves = {name: int(np.argmax(np.abs(pts[:, 1]) > 1)) for name, (pts, _, _) in runs.items()}
    assert sorted(leaves, key=leaves.get) == ["rmsprop", "momentum", "adam", "gd"]


def test_double_well_lesson_learning_rates():
    """"gradient descent settles in the shallower well at learning rates up to 0.1;
    momentum from lr 0.005 to 0.03 (Nesterov from 0.01 to 0.05) rolls into the deeper one"."""
    ls = landscapes.get("double_well")
    shallow, deep = (i for i, _ in sorted(enumerate(ls.minima), key=lambda im: -im[1].value))
    cases = {"gd": ([0.001, 0.003, 0.01, 0.03, 0.1], shallow),
             "momentum": ([0.005, 0.01, 0.02, 0.03], deep),
             "nesterov": ([0.01, 0.02, 0.03, 0.05], deep)}
    for name, (lrs, want) in cases.items():
        res = engine.run(ls, [engine.make_spec(name, lr=lr) for lr in lrs], ls.start, 1000,
                         record_state=False)
        assert [ls.minimum_near(res.path(i)[0][-1]) for i in range(len(lrs))] == [want] * len(lrs)
