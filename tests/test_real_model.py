"""The real-model page (callbacks called as plain functions): it trains the race's
ticked optimizers in a background job, draws from the class's cache, and its note's
numbers are the training's own; the plane's measures, the budget and the link."""

from __future__ import annotations

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


def test_the_page_trains_in_the_background_then_draws_and_says_what_it_shows():
    cache.clear()
    figure, legend, note, error, link, request = _update(*DEFAULTS)
    assert error == "" and note == "Computing in the background…" and request["key"]
    seen = []
    done = page.job(seen.append, request)
    assert done == {"key": request["key"]} and seen[-1] == (100, "100 %")
    figure, legend, note, error, link, request = _update(*DEFAULTS, done=done)
    assert error == "" and request is common.no_update
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
    note50 = _update(*boxes, done=done)[2]
    assert "At epoch 50," in note50 and f"Adam {tr.test_accuracy[2, 50] * 100:.3g} %" in note50
    columns, table, filename = page.csv(result)
    assert filename == "training_moons.csv" and len(table["epoch"]) == 3 * 201
    assert columns == export.TRAINING_COLUMNS


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
    assert "lower the epochs to at most" in heavy
    assert "Set up a scene on the Compare optimizers page first" in _update(*DEFAULTS, race=None)[3]


def test_the_link_restores_the_boxes():
    link = "?page=train&data=digits&size=500&seed=3&model=linear&activation=relu&batch=&epochs=50&epoch=10"
    assert page.boxes(link) == ("digits", "500", "", "3", "linear", "relu", "", "50", "10")
    assert page.boxes("?page=train&data=mnist")[0] == "moons"  # not one of its choices
    args, view, params = page.parse(RACE, *page.boxes(link))
    assert args[1:] == ("digits", 500, 0.0, 3, "linear", "relu", None, 50) and view == {"epoch": 10}
    assert params == {"data": "digits", "size": "500", "seed": "3", "model": "linear",
                      "activation": "relu", "epochs": "50", "epoch": "10"}  # blank: the full batch


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
