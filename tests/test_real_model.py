"""The real-model page (callbacks called as plain functions): it trains the race's
ticked optimizers in a background job, draws from the class's cache, and its note's
numbers are the training's own; the plane's measures, the budget and the link."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from visualizer import engine
from visualizer.engine import export, training
from visualizer.engine.training import models, plane
from visualizer.pages import common
from visualizer.pages import train as page
from visualizer.pages.race import scene
from visualizer.server import cache

SPECS = [engine.make_spec("gd", lr=0.1), engine.make_spec("momentum", lr=0.05),
         engine.make_spec("adam", lr=0.01)]
RACE = scene.to_query("himmelblau", (0.0, 0.0), 500, SPECS)
DEFAULTS = page.FORM.boxes({})


def _update(*boxes, done=None, race=RACE):
    return page.update("train", *boxes, done, race)


def _text(note) -> str:
    """A note's words, whether a string or Dash components (the player's span)."""
    if isinstance(note, str):
        return note
    if isinstance(note, list):
        return "".join(_text(part) for part in note)
    children = getattr(note, "children", None)
    return "" if children is None else _text(children)


def test_the_page_trains_in_the_background_then_draws_and_says_what_it_shows():
    cache.clear()
    figure, legend, note, error, link, request = _update(*DEFAULTS)
    assert error == "" and note == "Computing in the background…" and request["key"]
    seen = []
    done = page.job(seen.append, request)
    assert done == {"key": request["key"]} and seen[-1] == (100, "100 %")
    figure, legend, note, error, link, request = _update(*DEFAULTS, done=done)
    assert error == "" and request is common.no_update
    (span,) = [part for part in note if getattr(part, "id", None) == page.I.at]
    assert span.children.startswith("At epoch 200, held-out accuracy:")  # the player's sentence
    note = _text(note)
    assert link.startswith("?landscape=himmelblau&start=0,0") and "page=train" in link
    assert "data=moons" in link and "model=mlp:16,16" in link and "batch=32" in link
    # the note's numbers are the stored training's, which is the engine's training
    args = page.parse(RACE, *DEFAULTS)[0]
    result = common.stored("train", args)
    tr = result["training"]
    data = training.load("moons", size=400, noise=0.1, seed=0)
    alone = training.train(data, training.parse_model("mlp:16,16", 2, 2), SPECS, 200, batch=32,
                           seed=0, record_weights=False)
    np.testing.assert_array_equal(tr.test_accuracy, alone.test_accuracy)
    for r, title in enumerate(["Gradient Descent", "Momentum", "Adam"]):
        assert f"{title} {tr.test_accuracy[r, -1] * 100:.3g} %" in note
    assert "300 training rows and 100 held out; a model of 354 weights" in note
    assert "minibatches of 32 rows, shuffled each epoch. At epoch 200" in note
    share = 100 * sum(result["plane"].explained)
    assert f"The plane holds {share:.3g} % of the spread of the runs' kept weights" in note
    worst = int(np.argmax(result["gaps"]))
    assert f"differs from the run's own loss by up to {result['gaps'][worst]:.3g}" in note
    # a curve per optimizer and part, the plane's paths, a boundary per optimizer
    names = {t.meta for t in figure.data if t.type == "scatter" and t.meta}
    assert names == {"gd", "momentum", "adam"}
    assert len([t for t in figure.data if t.type == "heatmap"]) == 3
    (contour,) = [t for t in figure.data if t.type == "contour"]
    assert "(darker: higher loss)" in [a.text for a in figure.layout.annotations][2]

    def lightness(color):
        return sum(int(color[i:i + 2], 16) for i in (1, 3, 5))

    low, high = contour.colorscale[0][1], contour.colorscale[-1][1]
    assert lightness(low) > lightness(high) and not contour.reversescale  # low loss pale
    assert np.nanmax(contour.z) == pytest.approx(np.log10(result["surface"][2].max()))
    # another epoch shown: drawn again from the cache, not trained again
    boxes = page.FORM.boxes({**page.FORM.defaults(), "epoch": 50})
    note50 = _text(_update(*boxes, done=done)[2])
    assert "At epoch 50," in note50 and f"Adam {tr.test_accuracy[2, 50] * 100:.3g} %" in note50
    # an epoch between two kept ones: the boundaries are drawn at the kept one, and say so
    kept = tr.weight_epochs
    assert 51 not in kept and 50 in kept
    boxes = page.FORM.boxes({**page.FORM.defaults(), "epoch": 51})
    figure51, _, note51 = _update(*boxes, done=done)[:3]
    note51 = _text(note51)
    assert "At epoch 51," in note51
    assert "(the boundaries and the plane's dots at epoch 50, the last one kept before it)" in note51
    titles = [a.text for a in figure51.layout.annotations]
    assert f"Adam: held out {tr.test_accuracy[2, 50] * 100:.3g} %" in titles
    columns, table, filename = page.csv(result)
    assert filename == "training_moons.csv" and len(table["epoch"]) == 3 * 201
    assert columns == export.TRAINING_COLUMNS
    # the player starts at the frame drawn: the last at or before epoch 51
    meta = figure51.layout.meta["player"]
    assert meta["shown"] == 51 and meta["epochs"][meta["start"]] == 50


def _unpack(b64: str, bits: int, side: int) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(b64), np.uint8)
    if bits == 2:
        raw = np.stack([(raw >> (2 * k)) & 3 for k in range(4)], axis=1).ravel()
    return raw[:len(raw) // side ** 2 * side ** 2].reshape(-1, side, side)


def test_the_players_frames_are_the_runs_own_at_each_kept_epoch():
    """What the browser's player draws at each frame, decoded here as it decodes it:
    every boundary cell is the class the run's kept weights give it, the dots and
    paths are the plane's, the titles and sentences are the page's own at that epoch."""
    boxes = page.FORM.boxes({**page.FORM.defaults(), "data": "blobs", "epochs": 40})
    args = page.parse(RACE, *boxes)[0]
    result = page.compute(*args)
    tr, pl = result["training"], result["plane"]
    meta = page.figure(result, None).layout.meta["player"]
    snaps = np.array(meta["snaps"])
    assert len(snaps) == len(tr.weight_epochs) == 41  # all kept: well under the bounds
    assert meta["epochs"] == list(tr.weight_epochs[snaps]) and meta["start"] == 40
    heat = meta["heat"]
    assert heat["bits"] == 2 and tr.data.classes == 3
    x = np.concatenate([tr.data.x_train, tr.data.x_test])
    for r in range(3):
        cells = _unpack(heat["z"][r], heat["bits"], heat["side"])
        assert cells.shape == (41, page.BOUNDARY_GRID, page.BOUNDARY_GRID)
        for f in (0, 7, 40):
            np.testing.assert_array_equal(cells[f], page.class_grid(tr.model, tr.weights[r, snaps[f]], x)[2])
        assert len({c.tobytes() for c in cells}) > 1  # the boundary moves
        np.testing.assert_allclose(meta["paths"][r][snaps[7]][:2], pl.coords[r, snaps[7]])  # its dot
        assert [p[:2] for p in meta["paths"][r]] == pl.coords[r].tolist()
        # beside each kept point: its epoch, the run's loss there and the plane's at its projection
        epoch_7, true_7, plane_7 = meta["paths"][r][7][2:]
        assert epoch_7 == tr.weight_epochs[7] and true_7 == tr.train_loss[r, epoch_7]
        w = pl.points(np.array([pl.coords[r, 7, 0]]), np.array([pl.coords[r, 7, 1]]))
        assert plane_7 == pytest.approx(plane.training_losses(tr.model, w, tr.data)[0], rel=1e-12)
        index, titles = meta["titles"][r]
        assert index == 3 + r and titles[7] == page.boundary_title(tr, r, meta["epochs"][7])
    assert meta["sentences"][7] == page.at_epoch(tr, meta["epochs"][7], snaps[7])
    assert meta["sentences"][7].startswith(f"At epoch {meta['epochs'][7]}, held-out accuracy:")
    figure = page.figure(result, None)
    assert [figure.layout.shapes[i].x0 for i in meta["lines"]] == [40, 40]  # the epoch lines
    # the figure's own boundaries (from the job's frames) are the kept weights' classes
    heat = [t for t in figure.data if t.type == "heatmap"]
    for r in range(3):
        want = page.class_grid(tr.model, tr.weights[r, -1], x)
        np.testing.assert_array_equal(np.asarray(heat[r].z, dtype=float), want[2])
        np.testing.assert_array_equal(np.asarray(heat[r].x), want[0])
    # a snapshot the player does not have (fewer frames): drawn from the weights
    fewer = {**result["frames"], "snaps": result["frames"]["snaps"][:1],
             "classes": result["frames"]["classes"][:, :1], "encoded": None}
    heat = [t for t in page.figure({**result, "frames": fewer}, None).data if t.type == "heatmap"]
    np.testing.assert_array_equal(np.asarray(heat[2].z, dtype=float),
                                  page.class_grid(tr.model, tr.weights[2, -1], x)[2])


def test_the_players_frames_are_bounded_in_time_and_bytes():
    """Fourteen optimizers on a model near the largest: the player gets fewer frames
    (first and last kept) so that computing them stays within FRAME_SECONDS by the
    cost model and sending them within FRAME_BYTES; the wave gets fitted curves."""
    data = training.load("spirals", size=2000, seed=0)
    model = training.parse_model("mlp:64,64", 2, 2)
    seconds, size = page.frame_cost(data, model, 14)
    frames = page.frame_count(101, seconds, size)
    assert 2 <= frames < 101
    assert frames * seconds <= page.FRAME_SECONDS and frames * size <= page.FRAME_BYTES
    wave = training.load("wave", size=100, seed=0)
    tr = training.train(wave, training.parse_model("mlp:8", 1, 1), SPECS[:2], 12, snapshots=13)
    frames = page.player_frames(tr)
    assert frames["classes"] is None and frames["fits"].shape == (2, 13, page.FIT_POINTS)
    xs = page.fit_points(wave)
    out = models.forward(tr.model, tr.weights[1, 5][None], xs)[0][0, :, 0]
    np.testing.assert_allclose(frames["fits"][1, 5], out.astype(np.float32))


def test_the_plane_and_its_gap_are_what_they_say():
    data = training.load("blobs", size=150, seed=2)
    model = training.parse_model("mlp:6", 2, 3)
    tr = training.train(data, model, SPECS, 40, batch=25, seed=2, snapshots=11)
    pl = plane.pca_plane(tr)
    assert abs(pl.u @ pl.v) < 1e-12 and abs(pl.u @ pl.u - 1) < 1e-12 and abs(pl.v @ pl.v - 1) < 1e-12
    assert 0 < pl.explained[1] <= pl.explained[0] and sum(pl.explained) <= 1 + 1e-12
    # the coordinates are the projections; the gap is measured at them, independently here
    rel = tr.weights[1, 4] - pl.centre
    assert np.allclose(pl.coords[1, 4], [rel @ pl.u, rel @ pl.v])
    gaps = plane.projection_gap(pl, tr)
    w = pl.centre + pl.coords[1, :, :1] * pl.u + pl.coords[1, :, 1:] * pl.v
    out = models.forward(model, w, data.x_train)[0]
    on_plane = models.losses(model, out, data.y_train, data.classes)
    assert gaps[1] == pytest.approx(np.max(np.abs(on_plane - tr.train_loss[1, tr.weight_epochs])))
    a, b, z = plane.surface(pl, data, model, grid=12)
    assert z.shape == (12, 12) and np.isfinite(z).all()
    assert a.min() < pl.coords[..., 0].min() and a.max() > pl.coords[..., 0].max()


def test_the_surface_in_float32_is_float64s_to_1e_4_even_where_the_loss_is_tiny():
    """The surface's forward passes run in float32 (twice as fast), its losses in float64
    from their outputs: a loss near 0 keeps its relative precision."""
    data = training.load("moons", size=400, noise=0.1, seed=0)
    model = training.parse_model("mlp:16,16", 2, 2)
    tr = training.train(data, model, [engine.make_spec("adam", lr=0.05)], 300, batch=32)
    assert tr.train_loss[0, -1] < 1e-4  # a run well into its minimum
    pl = plane.pca_plane(tr)
    a, b, fast = plane.surface(pl, data, model, grid=24)
    a64, b64, exact64 = plane.surface(pl, data, model, grid=24, dtype=np.float64)
    np.testing.assert_array_equal(a, a64)
    assert exact64.min() < 1e-4
    np.testing.assert_allclose(fast, exact64, rtol=1e-4)
    # the loss itself in float32 would not do: 1 + a tiny sum of exponentials rounds to 1
    logits = np.array([[[20.0, 0.0]]], dtype=np.float32)
    assert models.losses(model, logits, np.array([0]), 2)[0] == 0.0
    assert models.losses(model, logits.astype(np.float64), np.array([0]), 2)[0] == \
        pytest.approx(np.log1p(np.exp(-20.0)), rel=1e-6)


def test_the_random_plane_is_filter_normalised_around_the_runs_end():
    """Li et al.'s plane: each neuron's random incoming weights scaled to that neuron's
    weights at the run's end, the biases left at 0; its centre is the end point, where
    the surface's loss is the run's own; and the share of the way that lies in the
    plane is measured, not assumed."""
    data = training.load("blobs", size=150, seed=2)
    model = training.parse_model("mlp:6", 2, 3)
    tr = training.train(data, model, SPECS, 40, batch=25, seed=2, snapshots=11)
    pl = plane.random_plane(tr, 2, seed=5)
    assert pl.kind == "random" and pl.around == 2
    np.testing.assert_array_equal(pl.centre, tr.weights[2, -1])
    for d in (pl.u, pl.v):
        for ws, bs, fan_in, fan_out in model.layers:
            rows, end = d[ws].reshape(fan_out, fan_in), tr.weights[2, -1][ws].reshape(fan_out, fan_in)
            np.testing.assert_allclose(np.linalg.norm(rows, axis=1), np.linalg.norm(end, axis=1),
                                       rtol=1e-12)
            assert (d[bs] == 0).all()
    assert abs(pl.u @ pl.v) < 0.9 * np.linalg.norm(pl.u) * np.linalg.norm(pl.v)  # two directions
    assert not np.allclose(pl.u, plane.random_plane(tr, 2, seed=6).u)  # the seed draws them
    # coordinates: the end is the origin; a point on the plane is found again exactly
    np.testing.assert_allclose(pl.coords[2, -1], [0, 0], atol=1e-12)
    rel = tr.weights[0, 3] - pl.centre
    basis = np.stack([pl.u, pl.v], 1)
    best, *_ = np.linalg.lstsq(basis, rel, rcond=None)
    np.testing.assert_allclose(pl.coords[0, 3], best, rtol=1e-9)
    assert plane.training_losses(model, pl.points(np.zeros(1), np.zeros(1)), data)[0] == \
        pytest.approx(tr.train_loss[2, -1], rel=1e-12)
    way = tr.weights[2, -1] - tr.weights[2, 0]
    share = np.linalg.norm(basis @ np.linalg.lstsq(basis, way, rcond=None)[0])
    assert plane.in_plane_share(pl, tr, 2) == pytest.approx(share / np.linalg.norm(way))
    assert plane.in_plane_share(plane.pca_plane(tr), tr, 2) > plane.in_plane_share(pl, tr, 2)
    a, b, z = plane.surface(pl, data, model, grid=11)
    assert a.min() <= -1 and a.max() >= 1 and b.min() <= -1 and b.max() >= 1


def test_the_page_says_what_the_random_plane_shows_and_cannot():
    boxes = page.FORM.boxes({**page.FORM.defaults(), "epochs": 30, "plane": "random",
                             "around": "momentum"})
    args, view, _ = page.parse(RACE, *boxes)
    result = page.compute(*args)
    pl, tr = result["plane"], result["training"]
    assert pl.kind == "random" and pl.around == 1
    note = page.summary(result, None)
    way = result["ways"][1]
    assert way == pytest.approx(plane.in_plane_share(pl, tr, 1)) and 0 < way < 1
    assert (f"It shows the shape of the minimum around that point, not the way there: "
            f"{100 * way:.3g} % of Momentum's way from its start to its end lies in the plane") in note
    assert "two random directions through Momentum's end point" in note
    worst = int(np.argmax(result["gaps"]))
    assert f"by up to {result['gaps'][worst]:.3g}" in note
    figure = page.figure(result, None)
    assert "random plane around Momentum's end" in [a.text for a in figure.layout.annotations][2]
    assert figure.layout.xaxis3.title.text.startswith("α: 1st random direction")


def test_bad_boxes_and_too_much_work_get_messages_and_nothing_is_trained(monkeypatch):
    monkeypatch.setattr(page, "compute", lambda *a, **k: pytest.fail("trained"))

    def error(**changes):
        return _update(*page.FORM.boxes({**page.FORM.defaults(), **changes}))[3]

    assert error(size=5) == "Size: must be a whole number from 10 to 2000 (got 5)"
    assert _update(*[("abc" if i == 1 else v) for i, v in enumerate(DEFAULTS)])[3] == \
        "Size: must be a number (got 'abc')"
    assert error(model="mlp:200,200") == "Hidden width: must be a whole number from 1 to 128 (got 200)"
    assert error(model="mlp:100,50").startswith("Model: must have at most 5,000 weights")
    assert error(data="digits", size=1900) == "Size: must be at most 1,797 for Handwritten digits (8 x 8) (got 1,900)"
    heavy = error(epochs=10_000, batch=1)
    assert heavy.startswith("Too much work for one background job: 10,000 epochs x 3 optimizers")
    assert error(plane="random", around="lion") == \
        "Around: must be one of the ticked optimizers (gd, momentum, adam; got 'lion')"
    assert "lower the epochs to at most" in heavy
    assert "Set up a scene on the Compare optimizers page first" in _update(*DEFAULTS, race=None)[3]


def test_the_link_restores_the_boxes():
    link = ("?page=train&data=digits&size=500&seed=3&model=linear&activation=relu&batch=full"
            "&epochs=50&plane=random&around=adam&epoch=10")
    assert page.boxes(link) == ("digits", "500", "", "3", "linear", "relu", "full", "50",
                                "random", "adam", "race", "10", "0.1", "10")
    assert page.boxes("?page=train&data=mnist&plane=pcb")[0::8] == ("moons", "pca")  # not choices
    args, view, params = page.parse(RACE, *page.boxes(link))
    assert args[1:] == ("digits", 500, 0.0, 3, "linear", "relu", None, 50, "random", 2, "race",
                        None, None)
    assert view == {"epoch": 10, "lesson": None}
    assert params == {"data": "digits", "size": "500", "seed": "3", "model": "linear",
                      "activation": "relu", "batch": "full", "epochs": "50", "plane": "random",
                      "around": "adam", "mode": "race", "ewc": "10", "l2": "0.1", "epoch": "10"}
    # the run is named by key or title; a plane of the main directions ignores it
    assert page.parse(RACE, *page.boxes(link.replace("around=adam", "around=Momentum")))[0][10] == 1
    assert page.parse(RACE, *page.boxes(link.replace("random", "pca")))[0][9:11] == ("pca", 0)
    # a blank batch box is the full batch too, and its link says so (absent would be 32)
    values = page.FORM.parse(*page.FORM.boxes({**page.FORM.defaults(), "batch": None}))
    assert page.FORM.link(values, page=False)["batch"] == "full"


def test_the_note_says_when_the_paths_lie_on_their_plane():
    """Two kept points (one run, one epoch) span a line: the plane holds them, and the
    note says its contour is then the loss the run had, not a sketch."""
    race = scene.to_query("himmelblau", (0.0, 0.0), 500, [engine.make_spec("adam", lr=0.01)])
    boxes = page.FORM.boxes({**page.FORM.defaults(), "epochs": 1, "batch": None})
    args, view, _ = page.parse(race, *boxes)
    result = page.compute(*args)
    assert result["gaps"][0] <= page.ON_PLANE
    note = page.summary(result, None)
    assert "every kept point lies on it, so its contour is the loss the runs had there" in note
    assert "sketch" not in note


def _lesson(key: str):
    lesson = page.LESSONS[key]
    link = lesson.link()
    args, view, _ = page.parse(link, *page.FORM.from_link(link))
    assert view["lesson"] == key  # its own settings show its caption
    result = page.compute(*args)
    return lesson.caption, result.get("training", result.get("tasks"))


def _pct(v: float) -> str:
    return f"{100 * v:.3g} %"


def test_lesson_adabelief_against_adam_on_the_digits():
    caption, tr = _lesson("belief_digits")
    assert [s.optimizer for s in tr.specs] == ["adam", "adabelief"] and tr.batch == 32
    adam, belief = 0, 1
    assert f"lower training loss ({tr.train_loss[belief, -1]:.3g} against Adam's " \
           f"{tr.train_loss[adam, -1]:.3g})" in caption
    assert tr.train_loss[belief, -1] < tr.train_loss[adam, -1]
    n = len(tr.data.y_test)
    right = np.round(tr.test_accuracy[:, -1] * n).astype(int)
    assert right[belief] - right[adam] == 1 and f"one digit more of the {n}" in caption
    assert f"({_pct(tr.test_accuracy[belief, -1])} against {_pct(tr.test_accuracy[adam, -1])})" in caption
    assert f"({_pct(tr.test_accuracy[belief, 10])} against {_pct(tr.test_accuracy[adam, 10])})" in caption
    assert tr.test_accuracy[belief, 10] > tr.test_accuracy[adam, 10]


def test_lessons_adams_first_steps_with_and_without_warmup():
    off_caption, off = _lesson("warmup_off")
    on_caption, on = _lesson("warmup_on")
    assert off.batch == len(off.data.y_train) == on.batch  # the full batch
    assert on.specs[0].schedule_params["warmup"] == 20 and off.specs[0].schedule_params.get("warmup", 0) == 0
    start = off.train_loss[0, 0]
    assert start == on.train_loss[0, 0]
    peak = off.train_loss[0, :21].max()
    assert f"from {start:.3g} to {peak:.3g}" in off_caption
    assert f"at {off.train_loss[0, -1]:.3g} and holds out only {_pct(off.test_accuracy[0, -1])}" in off_caption
    on_peak = on.train_loss[0, :21].max()
    assert on_peak - start < 0.01 * start  # barely above its start
    assert f"peaks at {on_peak:.3g}, barely above its start ({start:.3g}), against {peak:.3g} " \
           "without warmup" in on_caption
    assert f"at {on.train_loss[0, -1]:.3g} with {_pct(on.test_accuracy[0, -1])} held out " \
           f"({_pct(off.test_accuracy[0, -1])} without)" in on_caption
    # the first step moves every weight by the full learning rate (the caption's reason)
    one = training.train(off.data, off.model, off.specs, 1)
    first = np.abs(one.weights[0, 1] - one.weights[0, 0])
    assert np.allclose(first, 0.2, rtol=0.005) and "by about the full learning rate" in off_caption


def test_lessons_minibatches_against_the_full_batch():
    mini_caption, mini = _lesson("minibatch")
    full_caption, full = _lesson("full_batch")
    assert mini.batch == 8 and mini.updates_per_epoch == 38 and full.updates_per_epoch == 1
    rises = (np.diff(mini.train_loss, axis=1) > 0).sum(axis=1)
    assert f"in {rises[0]} (gradient descent) and {rises[1]} (Adam) of the 100" in mini_caption
    assert f"training loss is {mini.train_loss[0, -1]:.3g} and {mini.train_loss[1, -1]:.3g}" in mini_caption
    assert f"{_pct(mini.test_accuracy[0, -1])} and {_pct(mini.test_accuracy[1, -1])} are held out" \
        in mini_caption
    rises = (np.diff(full.train_loss, axis=1) > 0).sum(axis=1)
    assert rises[0] == 0 and f"(in 0 of the 100 epochs; Adam's in {rises[1]})" in full_caption
    assert "100 updates, not 3,800" in full_caption and 100 * mini.updates_per_epoch == 3800
    assert f"gradient descent ends at {full.train_loss[0, -1]:.3g} and " \
           f"{_pct(full.test_accuracy[0, -1])} held out, Adam at {full.train_loss[1, -1]:.3g} " \
           f"and {_pct(full.test_accuracy[1, -1])}" in full_caption


def test_lesson_forgetting_the_digits_with_l2_and_ewc():
    caption, tw = _lesson("ewc_digits")
    assert tw.first.specs[0].optimizer == "adam" and tw.first.model.text() == "mlp:64"
    assert tw.task_a.features == 64 and tw.first.batch == 32 and tw.first.epochs == 20
    a, b = tw.curve("a"), tw.curve("b")
    plain, l2, ewc = 0, 1, 2
    assert f"Adam learns the digits ({_pct(a[0, 20])} held out right)" in caption
    assert f"keeps {_pct(a[plain, -1])} of the first" in caption
    assert f"with L2 (λ {tw.l2:g}), {_pct(a[l2, -1])}; with EWC (λ {tw.ewc:g}), {_pct(a[ewc, -1])}" in caption
    assert a[plain, -1] < a[l2, -1] < a[ewc, -1]
    # "the same 92.9 %": the same count of held-out digits right
    n = len(tw.task_b.y_test)
    assert round(b[l2, -1] * n) == round(b[ewc, -1] * n)
    assert f"the new task reaches the same {_pct(b[ewc, -1])} ({_pct(b[plain, -1])} plainly)" in caption
    gap = 100 * (a[ewc, -1] - a[l2, -1])
    assert f"EWC keeps {gap:.2g} points more of the old one than L2" in caption
    assert "64 pixels shuffled by one fixed permutation, for 20 epochs each" in caption


def test_two_tasks_on_the_page_draw_both_tasks_and_say_what_each_way_kept():
    cache.clear()
    race = scene.to_query("himmelblau", (0.0, 0.0), 500,
                          [engine.make_spec("lion", lr=0.001), engine.make_spec("adam", lr=0.01)])
    boxes = page.FORM.boxes({**page.FORM.defaults(), "mode": "tasks", "epochs": 40})
    args, view, params = page.parse(race, *boxes)  # the first in the race's table trains
    assert args[0] == "adam:lr=0.01,decay=0" and args[-3:] == ("tasks", 10.0, 0.1)
    assert params["mode"] == "tasks" and params["ewc"] == "10" and params["l2"] == "0.1"
    _, _, _, error, _, request = _update(*boxes, race=race)
    done = page.job(lambda *_: None, request)
    figure, _, note, error, link, _ = _update(*boxes, done=done, race=race)
    assert error == "" and "mode=tasks" in link
    note = _text(note)
    tw = common.stored("train", args)["tasks"]
    alone = training.two_tasks(training.load("moons", size=400, noise=0.1, seed=0),
                               training.parse_model("mlp:16,16", 2, 2), engine.parse_spec(args[0]),
                               40, batch=32, ewc=10, l2=0.1)
    np.testing.assert_array_equal(tw.curve("a"), alone.curve("a"))
    a, b = tw.curve("a"), tw.curve("b")
    assert f"for 40 epochs on minibatches of 32: {a[0, 40] * 100:.3g} % of task A" in note
    assert f"plainly, task A {a[0, -1] * 100:.3g} % and task B {b[0, -1] * 100:.3g} %" in note
    assert f"EWC (λ 10), task A {a[2, -1] * 100:.3g} % and task B {b[2, -1] * 100:.3g} %" in note
    above = int((tw.ewc * tw.fisher > tw.l2).sum())
    below = int((tw.ewc * tw.fisher < tw.l2).sum())
    assert f"EWC pulls {above:,} of the {tw.first.model.weights:,} weights harder than L2 does " \
           f"and {below:,} more lightly" in note
    assert above + below == tw.first.model.weights and "alike" not in note
    # both tasks' curves for each way, the pull per weight, and four boundaries
    assert {t.meta for t in figure.data if t.type == "scatter" and t.meta} == {"plain", "l2", "ewc"}
    assert len([t for t in figure.data if t.type == "heatmap"]) == 4
    pull = [t for t in figure.data if t.meta == "ewc" and t.hovertemplate.startswith("EWC: λF")][0]
    np.testing.assert_allclose(pull.y, np.maximum(np.sort(10 * tw.fisher)[::-1], 1e-12))
    columns, table, filename = page.csv(common.stored("train", args))
    assert filename == "two_tasks_moons.csv" and columns == export.TASKS_COLUMNS
    assert len(table["epoch"]) == 3 * 81 and set(table["phase"]) == {"a", "b"}
    np.testing.assert_array_equal(table["task_b_accuracy"][:81], b[0])


def test_two_tasks_refuse_what_they_cannot_do():
    def error(**changes):
        return _update(*page.FORM.boxes({**page.FORM.defaults(), "mode": "tasks", **changes}))[3]

    assert error(data="wave", model="mlp:8") == ("Data: A wave (regression) has one input: it has "
                                                 "no permuted second task; choose a set with two or more")
    assert error(ewc=-1) == "EWC's λ: must be from 0 to 1,000,000 (got -1)"
    heavy = error(data="digits", model="mlp:64", epochs=2000)
    assert heavy.startswith("Too much work for one background job: two tasks of 2,000 epochs")
    assert "lower the epochs to at most" in heavy


def test_a_lesson_picked_opens_its_link_and_only_its_settings_show_its_caption():
    assert page.open_lesson("minibatch") == page.LESSONS["minibatch"].link()
    with pytest.raises(common.PreventUpdate):
        page.open_lesson("")
    link = page.LESSONS["minibatch"].link()
    boxes = list(page.FORM.from_link(link))
    boxes[page.FORM.fields.index(page.FORM.by_name["epochs"])] = "99"
    assert page.parse(link, *boxes)[1]["lesson"] is None  # changed: no longer the lesson


def test_a_training_job_keeps_to_one_core(monkeypatch):
    """NumPy's BLAS would use every core; a job is given one."""
    from threadpoolctl import threadpool_info

    seen = []
    real = training.train

    def spy(*args, **kwargs):
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train", spy)
    args = page.parse(RACE, *page.FORM.boxes({**page.FORM.defaults(), "epochs": 2}))[0]
    page.compute(*args)
    assert seen and set(seen) == {1}
