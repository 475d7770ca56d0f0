"""Every preset's and landscape lesson's claim, checked by running its own settings.

A caption is a claim about the picture beside it: each test here runs the
scene exactly as the app does (the preset's link through ``scene.runs_of``) and
fails if the text stops being true.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.pages import lr
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


def test_each_preset_caption_is_keyed_by_the_link_its_runs_carry():
    """The caption shows while the runs on screen are the preset's: the browser looks it
    up by the runs' own link, which the race computes from the boxes the preset fills."""
    from tests.test_callbacks import runs_of as runs_answer
    from visualizer.pages.race import callbacks
    captions = scene.preset_captions()
    assert len(captions) == len(PRESETS)
    for p in scene.PRESETS:
        sc, problems = scene.from_query(p.query)
        assert problems == []
        rows = sc.rows
        computed = callbacks.compute_runs(
            {"landscape": sc.landscape, "x": sc.start[0], "y": sc.start[1]}, str(sc.steps),
            [r.checked for r in rows], [r.lr for r in rows], [r.decay for r in rows],
            scene.settings(rows))
        assert captions[runs_answer(computed)["query"]] == {
            "title": p.title, "description": p.description, "note": p.note}
    assert scene.default_link() in captions  # the race opens on the classic figure


def test_preset_classic():
    ls, runs = run_preset("classic")
    assert ends(ls, runs["gd"][0]) == ends(ls, runs["momentum"][0]) == (3.0, 2.0)
    for name in ("rmsprop", "adam"):  # "do not get there in time" at the shown 0.001 ...
        assert ends(ls, runs[name][0]) is None and runs[name][1][-1] > 1.0
    # ... and do at the original page's hidden 0.01
    res = engine.run(ls, [engine.make_spec("rmsprop", lr=0.01), engine.make_spec("adam", lr=0.01)],
                     (0.0, 0.0), 1000, record_state=False)
    assert all(ends(ls, res.path(i)[0]) == (3.0, 2.0) for i in range(2))
    # The caption's reading of that picture. "Himmelblau is not convex: it has four minima"
    assert len(ls.minima) == 4
    # "momentum swings past (3, 2) and comes back, within 0.001 of the minimum's cost at
    # epoch 91, before gradient descent (epoch 199)"
    dist = {k: np.hypot(runs[k][0][:, 0] - 3, runs[k][0][:, 1] - 2) for k in ("gd", "momentum")}
    assert (np.diff(dist["momentum"]) > 0).any() and (np.diff(dist["gd"]) <= 0).all()
    first = {k: int(np.nonzero(runs[k][1] < 1e-3)[0][0]) for k in ("gd", "momentum")}
    assert first == {"momentum": 91, "gd": 199}
    # "at lr 0.01 RMSprop and Adam take nearly the same path (never more than 0.08 apart),
    # and Adam is the slower: within 0.1 of the minimum's cost at epoch 359, RMSprop at 244"
    (rms, rms_loss), (adam, adam_loss) = res.path(0), res.path(1)
    apart = np.hypot(*(rms[:, None, :] - adam[None, :, :]).transpose(2, 0, 1))
    assert max(apart.min(axis=0).max(), apart.min(axis=1).max()) < 0.08
    assert [int(np.nonzero(loss < 0.1)[0][0]) for loss in (adam_loss, rms_loss)] == [359, 244]


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
    # "A start at (-0.5, -0.5) fits its picture too; from there RMSprop also ends in the
    # local minimum" (and so do the other three)
    res = engine.run(ls, specs, (-0.5, -0.5), steps, record_state=False)
    assert [ends(ls, res.path(i)[0]) for i in range(len(specs))] == [(-0.6, -0.4)] * 4


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

    assert first_within("adabelief") < first_within("adam")  # "reaches the minimum sooner"
    across, along = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    steps = {name: np.abs(np.diff(runs[name][0], axis=0) @ np.stack([across, along], axis=1))
             for name in ("adam", "adabelief")}
    ratio = steps["adabelief"].mean(axis=0) / steps["adam"].mean(axis=0)
    assert ratio[0] < 0.8 and 0.95 < ratio[1] < 1.1  # "steps less across, as much along"
    # "the difference is in the numerator here, not the denominator": tested on the page's
    # own scene (tests/test_lessons.py: test_belief_scene_abs_skew), whose settings these are
    from visualizer.pages.belief import BELIEF_PRESETS
    page = BELIEF_PRESETS["abs_skew"]
    assert scene.runs_of(PRESETS["adabelief"].query)[2:4] == (page.start, page.steps)
    assert {s.lr for s in scene.runs_of(PRESETS["adabelief"].query)[1]} == {page.lr}


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


# -- Colours: every pair of runs a preset shows together is told apart at a glance ----------
def lab(color: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB ``#rrggbb``."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def ciede2000(lab1, lab2) -> float:
    """The CIEDE2000 colour difference (Sharma, Wu and Dalal's formulation)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = (math.degrees(math.atan2(b, a)) % 360 if c else 0.0
              for a, b, c in ((a1, b1, c1), (a2, b2, c2)))
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    if c1 * c2 == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + (360 if h1 + h2 < 360 else -360)) / 2
    dl, dc = l2 - l1, c2 - c1
    dhh = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_bar, c_bar = (l1 + l2) / 2, (c1 + c2) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    sc, sh = 1 + 0.045 * c_bar, 1 + 0.015 * c_bar * t
    rt = (-2 * math.sqrt(c_bar**7 / (c_bar**7 + 25**7))
          * math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2)))))
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2 + rt * (dc / sc) * (dhh / sh))


GLANCE = 25.0  # CIEDE2000: 2 is a just-noticeable difference; two paths this far apart read as two colours


def test_ciede2000_matches_sharmas_published_pairs():
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, -1.3802, -84.2814), (50, 0, -82.7485), 1.0000),
             ((50, 2.5, 0), (73, 25, -18), 27.1492),
             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
             ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373)]
    for one, two, want in pairs:
        assert ciede2000(one, two) == pytest.approx(want, abs=1e-4)


def test_every_preset_tells_its_runs_apart():
    """Every pair of optimizers a race preset draws together, Adam and AdaBelief on
    their page, and the learning rates of every learning-rate preset."""
    groups = {p.key: [optimizers.info(s.optimizer).color for s in scene.runs_of(p.query)[1]]
              for p in scene.PRESETS}
    groups["belief"] = [optimizers.info(n).color for n in ("adam", "adabelief")]
    groups |= {f"lr {k}": lr.LR_COLORS[:len(p.settings.lrs)] for k, p in lr.LR_PRESETS.items()}
    for key, colors in groups.items():
        for one, two in itertools.combinations(colors, 2):
            assert ciede2000(lab(one), lab(two)) >= GLANCE, (key, one, two)


# Colour vision deficiencies, simulated (Machado, Oliveira and Fernandes 2009, severity 1),
# on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def seen_with(color: str, matrix) -> str:
    """A colour as a viewer with this deficiency sees it."""
    rgb = np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    out = np.clip(np.array(matrix) @ linear, 0.0, 1.0)
    back = np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(float(v) * 255):02x}" for v in back)


def _worst_pair(palette: dict[str, str], vision) -> float:
    groups = [[s.optimizer for s in scene.runs_of(p.query)[1]] for p in scene.PRESETS]
    groups += [["adam", "adabelief"], ["gd", "momentum", "rmsprop", "adam"]]
    see = (lambda c: c) if vision is None else (lambda c: seen_with(c, vision))
    return min(ciede2000(lab(see(palette[a])), lab(see(palette[b])))
               for g in groups for a, b in itertools.combinations(g, 2))


def test_the_colour_blind_palette_tells_the_runs_apart_in_every_vision():
    """figures.COLORBLIND_COLORS, as its docstring says: every pair of optimizers a preset
    draws together (and the default four, and Adam with AdaBelief) differ by 21.9 or more
    in normal vision and in simulated protanopia, deuteranopia and tritanopia, where the
    standard colours fall to 11.2 and 6.6; and every colour stands 15 or more from each
    of the map's colours."""
    from visualizer.ui import figures

    cb = figures.COLORBLIND_COLORS
    assert min(_worst_pair(cb, m) for m in [None, *CVD.values()]) == pytest.approx(21.9, abs=0.05)
    assert _worst_pair(figures.COLORS, CVD["deuteranopia"]) == pytest.approx(11.2, abs=0.05)
    assert _worst_pair(figures.COLORS, CVD["tritanopia"]) == pytest.approx(6.6, abs=0.05)
    for color in cb.values():
        assert min(ciede2000(lab(color), lab(c)) for _, c in figures.COLORSCALE) >= 15
