"""Server callbacks called as plain functions, and the scene model behind them."""

from __future__ import annotations

import base64
import json
import pathlib
import re

import numpy as np
import pytest
from dash import no_update

import landscapes
from tests.dash_context import in_context
from visualizer import engine, shell
from visualizer.engine import compiled, optimizers, schedules
from visualizer.pages import kit
from visualizer.pages.race import callbacks, layout, scene
from visualizer.ui import figures

NAMES = list(optimizers.OPTIMIZERS)
DEFAULT = scene.Scene()


def decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


def default_inputs(**over):
    rows = DEFAULT.rows
    values = {
        "start": {"landscape": "himmelblau", "x": 0.0, "y": 0.0},
        "steps": "1000",
        "checks": [r.checked for r in rows],
        "lrs": [r.lr for r in rows],
        "decays": [r.decay for r in rows],
        "settings": scene.settings(rows),
    }
    values.update(over)
    return list(values.values())


def runs_of(computed: tuple) -> dict:
    """The runs of a compute_runs answer, from the background job if it sent one there."""
    runs, query, *_, job = computed
    if runs is no_update and job is not no_update:
        done = callbacks.run_job(lambda percent: None, job)
        assert done["query"] == query == job["query"] and done["status"] == ""
        runs = done["runs"]
    return runs


def test_a_heavy_scene_goes_to_the_background_job_with_progress(monkeypatch):
    monkeypatch.setattr(compiled, "available", lambda: False)  # the NumPy loop: slow
    checks = [True] * len(NAMES)
    lrs = ["1.0" if n == "adadelta" else "0.001" for n in NAMES]
    computed = callbacks.compute_runs(*default_inputs(checks=checks, lrs=lrs, steps="3000"))
    runs, query, _, _, status, job = computed
    assert runs is no_update and job == {"query": query}
    assert status == "Computing this scene in the background…"
    seen: list[int] = []
    done = callbacks.run_job(seen.append, job)
    assert done["query"] == query and done["status"] == "" and len(done["runs"]["runs"]) == len(NAMES)
    assert seen[0] == (0, "computing")  # admitted at once: no other job is waiting
    shares = [percent for percent, label in seen[1:]]
    assert seen[1:] == [(p, f"{p} %") for p in shares]  # the bar and its label
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] >= 90 and len(shares) > 10
    # computed once: the same scene now answers at once, from the shared cache
    again = callbacks.compute_runs(*default_inputs(checks=checks, lrs=lrs, steps="3000"))
    assert again[0] == done["runs"] and again[-1] is no_update
    with pytest.raises(callbacks.PreventUpdate):
        callbacks.run_job(seen.append, {"query": 3})


def test_compute_runs_defaults_are_the_classic_four_at_0_001():
    runs, query, errors, steps_err, status, job = callbacks.compute_runs(*default_inputs())
    assert [r["name"] for r in runs["runs"]] == ["gd", "momentum", "rmsprop", "adam"]
    assert query == ("?landscape=himmelblau&start=0,0&steps=1000&opt=gd:lr=0.001,decay=0"
                     "&opt=momentum:lr=0.001,decay=0&opt=rmsprop:lr=0.001,decay=0"
                     "&opt=adam:lr=0.001,decay=0")
    assert errors is no_update  # no messages, none shown: nothing to send
    assert steps_err == "" and status == "" and job is no_update
    # the payload is the engine's result, in float32
    specs = [engine.make_spec(n, lr=1e-3) for n in ("gd", "momentum", "rmsprop", "adam")]
    result = engine.run(landscapes.get("himmelblau"), specs, (0, 0), 1000)
    for i, run in enumerate(runs["runs"]):
        assert run["n"] == 1001 and run["diverged_at"] is None
        np.testing.assert_allclose(decode(run["x"]), result.points[i, 0, :, 0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(decode(run["loss"]), result.losses[i, 0], rtol=1e-6, atol=1e-6)
    assert runs["runs"][3]["color"] == figures.COLORS["adam"]
    # where each run ended: GD and momentum at (3, 2); RMSprop and Adam not yet at any minimum
    assert [r["ends"] for r in runs["runs"]] == ["global (3, 2)"] * 2 + ["elsewhere"] * 2


@pytest.mark.parametrize(("text", "needle"), [
    ("abc", "Learning rate: must be a number (got 'abc')"),
    ("-1", "Learning rate: must be greater than 0 and at most 1000 (got -1)"),
    ("1e300", "Learning rate: must be greater than 0 and at most 1000 (got 1e+300)"),
    ("NaN", "Learning rate: must be a finite number (got nan)"),
    ("", "Learning rate: must be a number (got nothing)"),
    ("inf", "Learning rate: must be a finite number (got inf)"),
])
def test_a_bad_learning_rate_gets_a_message_and_the_rest_still_run(text, needle):
    lrs = [r.lr for r in DEFAULT.rows]
    lrs[NAMES.index("adam")] = text
    runs, _, errors, _, status, _ = callbacks.compute_runs(*default_inputs(lrs=lrs))
    assert list(errors) == ["adam"] and errors["adam"]["lr"].startswith(needle)
    assert [r["name"] for r in runs["runs"]] == ["gd", "momentum", "rmsprop"]
    assert status == "Not run until fixed: Adam."


def test_bad_hidden_settings_are_reported_per_optimizer():
    settings = scene.settings(DEFAULT.rows)
    settings["momentum"]["hypers"]["momentum"] = "1.5"
    settings["adam"]["schedule"] = "step"
    settings["adam"]["sched"]["gamma"] = "2"
    _, _, errors, _, status, _ = callbacks.compute_runs(*default_inputs(settings=settings))
    assert errors["momentum"]["momentum"] == "Momentum: must be from 0 to 1 (got 1.5)"
    assert errors["adam"]["gamma"].startswith("Gamma: must be ") and "(got 2)" in errors["adam"]["gamma"]
    # the same messages again are not sent again
    again = callbacks.compute_runs(*default_inputs(settings=settings), errors)
    assert again[2] is no_update
    assert status == "Not run until fixed: Momentum, Adam."


def test_schedule_and_hyperparameters_reach_the_engine():
    settings = scene.settings(DEFAULT.rows)
    settings["adam"]["hypers"]["beta1"] = "0.5"
    settings["adam"]["schedule"] = "cosine"
    settings["adam"]["sched"]["warmup"] = "10"
    runs, query, *_ = callbacks.compute_runs(*default_inputs(settings=settings, steps="50"))
    assert "opt=adam:lr=0.001,decay=0,beta1=0.5,schedule=cosine,warmup=10" in query
    spec = engine.make_spec("adam", lr=1e-3, beta1=0.5, schedule="cosine", warmup=10)
    expected = engine.run(landscapes.get("himmelblau"), [spec], (0, 0), 50).points[0, 0, :, 0]
    np.testing.assert_allclose(decode(runs["runs"][3]["x"]), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("steps", ["0", "10001", "2.5", "many", "", "1e999", "-inf", "nan"])
def test_bad_epoch_count(steps):
    out = callbacks.compute_runs(*default_inputs(steps=steps))
    assert out[0] is no_update and out[3]


def test_nothing_ticked_is_an_empty_scene_not_an_error():
    runs, query, _, _, status, _ = callbacks.compute_runs(*default_inputs(checks=[False] * len(NAMES)))
    assert runs["runs"] == [] and "opt=" not in query and "Tick an optimizer" in status


def test_a_diverging_run_is_data():
    lrs = [r.lr for r in DEFAULT.rows]
    lrs[0] = "0.1"  # gradient descent at 0.1 leaves Himmelblau
    runs, *_ = callbacks.compute_runs(*default_inputs(lrs=lrs))
    gd = runs["runs"][0]
    assert gd["diverged_at"] is not None and gd["n"] == gd["diverged_at"]
    assert gd["ends"] == "—"
    assert np.isfinite(decode(gd["x"])).all()


def test_apply_scene_from_a_link():
    query = "?landscape=booth&start=-6,-6&steps=300&opt=momentum:lr=0.01,decay=0,momentum=0.8"
    out = in_context(callbacks.apply_scene, ["store-url.data"], query, [0] * len(scene.PRESETS))
    landscape, requested, steps, noise, seed, band, checks, lrs, decays, settings, editing, notice = out
    assert landscape == "booth" and steps == "300" and notice == "" and editing is None
    assert (noise, seed, band) == ("", "0", "1")  # no noise in the link: none in the boxes
    assert requested["x"] == -6.0 and requested["landscape"] == "booth"
    assert checks == [n == "momentum" for n in NAMES]
    assert lrs[NAMES.index("momentum")] == "0.01"
    assert lrs[NAMES.index("adam")] == "0.001"  # unticked rows go back to their defaults
    assert settings["momentum"]["hypers"]["momentum"] == "0.8"


def test_stochastic_gradients_ride_in_the_link_and_draw_a_band_of_noisy_runs():
    """σ, seed and the band's runs: from the link into the boxes, from the boxes to the
    engine (the paths are the seeded noisy run's) and to the band, each run's lowest
    and highest cost per epoch over that run and more draws of the noise."""
    query = ("?landscape=himmelblau&start=0,0&steps=200&opt=gd:lr=0.01&opt=adam:lr=0.1"
             "&grad_noise=3&grad_seed=4&grad_runs=6")
    out = in_context(callbacks.apply_scene, ["store-url.data"], query, [0] * len(scene.PRESETS))
    assert out[3:6] == ("3", "4", "6") and out[-1] == ""
    start = {"landscape": out[0], "x": out[1]["x"], "y": out[1]["y"]}
    runs, link, errors, _, status, _ = callbacks.compute_runs(
        start, out[2], out[6], out[7], out[8], out[9], None, *out[3:6])
    assert link == query.replace("gd:lr=0.01", "gd:lr=0.01,decay=0").replace(
        "adam:lr=0.1", "adam:lr=0.1,decay=0")
    assert status.startswith("Stochastic gradients: noise of σ = 3 added to every gradient (seed 4)")
    assert "spans 6 noisy runs (this one and 5 more draws)" in status
    specs = [engine.make_spec("gd", lr=0.01), engine.make_spec("adam", lr=0.1)]
    ls = landscapes.get("himmelblau")
    drawn = engine.run(ls, specs, (0, 0), 200, noise=3, seed=4)
    more = [engine.run(ls, specs, np.tile([0.0, 0.0], (5, 1)), 200, noise=3, seed=5)]
    every = np.concatenate([drawn.losses, more[0].losses], axis=1)  # (runs, 6, epochs)
    assert runs["band_runs"] == 6 and runs["noise"] == 3
    for i, run in enumerate(runs["runs"]):
        np.testing.assert_allclose(decode(run["x"]), drawn.points[i, 0, :, 0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(decode(run["band_lo"]), every[i].min(axis=0), rtol=1e-6)
        np.testing.assert_allclose(decode(run["band_hi"]), every[i].max(axis=0), rtol=1e-6)
        # the draws differ (Adam's first step is ±lr whatever the gradient: from the second)
        assert (decode(run["band_hi"]) - decode(run["band_lo"]))[2:].min() > 0
    quiet = engine.run(ls, specs, (0, 0), 200)
    assert not np.allclose(drawn.points, quiet.points)  # the noise reached the paths
    # one noisy run: no band; no noise: nothing in the link
    one = callbacks.compute_runs(start, out[2], out[6], out[7], out[8], out[9], None, "3", "4", "1")
    assert "band_lo" not in one[0]["runs"][0] and one[1].endswith("&grad_noise=3&grad_seed=4")
    plain = callbacks.compute_runs(start, out[2], out[6], out[7], out[8], out[9], None, "", "4", "6")
    assert "grad_" not in plain[1] and plain[4] == ""


@pytest.mark.parametrize(("boxes", "message"), [
    (("abc", "0", "1"), "Gradient noise σ: must be a number (got 'abc')"),
    (("-1", "0", "1"), "Gradient noise σ: must be from 0 to 1000 (got -1)"),
    (("1", "1.5", "1"), "Noise seed: must be a whole number (got 1.5)"),
    (("1", "0", "21"), "Runs in the band: must be a whole number from 1 to 20 (got 21)"),
])
def test_bad_noise_boxes_get_a_message_and_nothing_runs(boxes, message):
    runs, link, _, _, status, job = callbacks.compute_runs(*default_inputs(), None, *boxes)
    assert runs is no_update and link is no_update and job is no_update
    assert status == f"Not run until fixed: {message}"


def test_a_band_counts_in_the_scenes_budget(monkeypatch):
    """A band of K noisy runs is budgeted as K starts, in the request and in the job
    (the runs are vectorised over starts: twenty cost about 1.4 times one on the
    NumPy loop, so no scene the app allows passes a job's budget by its band alone)."""
    asked = []
    real = engine.check_budget
    monkeypatch.setattr(engine, "check_budget",
                        lambda ls, specs, n, steps, *a, **k: asked.append(n) or real(ls, specs, n, steps, *a, **k))
    runs, query, *_ = callbacks.compute_runs(*default_inputs(steps="300"), None, "1", "0", "7")
    assert asked == [7] and "grad_runs=7" in query
    callbacks._check_run_job({"query": query})
    assert asked == [7, 7]


def test_apply_scene_reports_what_it_ignored():
    out = in_context(callbacks.apply_scene, ["store-url.data"],
                     "?landscape=nowhere&opt=adam:lr=-3&opt=gd:lr=0.1", [0] * len(scene.PRESETS))
    assert out[0] == "himmelblau" and out[6] == [n == "gd" for n in NAMES]
    assert "unknown landscape 'nowhere'" in out[-1] and "Learning rate: must be greater than 0 and at most 1000 (got -3)" in out[-1]


def test_an_unknown_page_in_a_link_is_named_in_the_notice():
    out = in_context(callbacks.apply_scene, ["store-url.data"], "?page=nope&landscape=booth",
                     [0] * len(scene.PRESETS))
    assert out[0] == "booth"
    assert "unknown page 'nope'; choose from: race, belief" in out[-1]
    known = in_context(callbacks.apply_scene, ["store-url.data"], "?page=lr&landscape=booth",
                       [0] * len(scene.PRESETS))
    assert known[-1] == ""


def test_every_preset_loads_and_runs():
    for preset in scene.PRESETS:
        pid = json.dumps({"key": preset.key, "type": "preset"}, separators=(",", ":")) + ".n_clicks"
        out = in_context(callbacks.apply_scene, [pid], None, [1] * len(scene.PRESETS))
        assert out[-1] == "", preset.key
        start = {"landscape": out[0], "x": out[1]["x"], "y": out[1]["y"]}
        computed = callbacks.compute_runs(
            start, out[2], out[6], out[7], out[8], out[9], {"adam": {"lr": "stale"}}, *out[3:6])
        runs, query, errors = runs_of(computed), computed[1], computed[2]
        assert errors == {}  # a valid preset clears whatever was shown
        assert len(runs["runs"]) == sum(out[6]) >= 2
        assert scene.from_query(query)[1] == []
    overshoot = next(p for p in scene.PRESETS if p.key == "overshoot")
    sc, _ = scene.from_query(overshoot.query)
    specs = [scene.parse_row(r)[0] for r in sc.rows if r.checked]
    result = engine.run(landscapes.get(sc.landscape), specs, sc.start, sc.steps)
    assert (result.diverged_at[:, 0] >= 0).any()  # the preset shows a divergence


def test_update_start_from_each_source():
    current = {"landscape": "himmelblau", "x": 0.0, "y": 0.0}
    typed = in_context(callbacks.update_start, ["store-typed-start.data"], "himmelblau", None,
                       {"x": "1.23456789", "y": "-2"}, current)
    assert typed == ({"landscape": "himmelblau", "x": 1.234568, "y": -2.0, "source": "box"},
                     "1.234568", "-2", "")
    out = in_context(callbacks.update_start, ["store-typed-start.data"], "himmelblau", None,
                     {"x": "abc", "y": "0"}, current)
    assert out[0] is no_update and out[3] == "X: must be a number (got 'abc')"
    out = in_context(callbacks.update_start, ["store-typed-start.data"], "himmelblau", None,
                     {"x": "1e9", "y": "0"}, current)
    assert "Start: must" in out[3]
    out = in_context(callbacks.update_start, ["store-landscape.data"], "beale", None, None, current)
    assert out[0] == {"landscape": "beale", "x": 1.0, "y": 1.5, "source": "box"}  # its own start
    linked = in_context(callbacks.update_start, ["store-requested-start.data"], "beale",
                        {"landscape": "beale", "x": 2.0, "y": -1.0}, None, current)
    assert linked[0] == {"landscape": "beale", "x": 2.0, "y": -1.0, "source": "box"}


def test_draw_map_sends_the_contour_only_for_a_new_landscape():
    start = {"landscape": "himmelblau", "x": 1.0, "y": 2.0}
    moved_on_map = callbacks.draw_map({**start, "source": "map"}, "himmelblau")
    assert all(v is no_update for v in moved_on_map if not isinstance(v, list))
    contour, overlay, info, classes, drawn, box, *_ = callbacks.draw_map(start, "himmelblau")
    assert contour is no_update and drawn is no_update
    ops = overlay.to_plotly_json()["operations"]
    assert {tuple(o["location"]): o["params"]["value"] for o in ops} == {
        ("layout", "shapes", 0, "xanchor"): 1.0, ("layout", "shapes", 0, "yanchor"): 2.0}
    contour, overlay, info, classes, drawn, box, *formula_boxes = callbacks.draw_map(
        {"landscape": "six_hump_camel", "x": -1.0, "y": 1.0}, "himmelblau")
    assert formula_boxes == [no_update] * 2  # a registered landscape: boxes untouched
    assert box == {"--aspect": 0.6}  # the map's box takes the domain's shape
    assert drawn == "six_hump_camel" and overlay["layout"]["meta"] == "six_hump_camel"
    assert overlay["layout"]["shapes"][0]["xanchor"] == -1.0
    assert classes[landscapes.names().index("six_hump_camel")] == "ls-card selected"
    z = contour["data"][0]["z"]
    assert z["dtype"] == "f4"  # sent as binary float32
    # built once per landscape: another start shares the traces, not the dot
    again = callbacks.draw_map({"landscape": "six_hump_camel", "x": 0.5, "y": 0.5}, "himmelblau")[1]
    assert again["data"] is overlay["data"]
    assert again["layout"]["shapes"][0]["xanchor"] == 0.5
    assert overlay["layout"]["shapes"][0]["xanchor"] == -1.0


def test_downloads():
    query = "?landscape=booth&start=0,0&steps=5&opt=gd:lr=0.01,decay=0"
    csv, notice = in_context(callbacks.download, ["button-csv.n_clicks"], 1, 0, query)
    assert csv["filename"] == "optimizers-booth.csv" and notice == ""
    assert csv["content"].splitlines()[0] == "run,optimizer,step,x,y,loss,lr"
    assert len(csv["content"].splitlines()) == 7
    doc = json.loads(in_context(callbacks.download, ["button-json.n_clicks"], 0, 1, query)[0]["content"])
    assert doc["landscape"] == "booth" and len(doc["runs"][0]["points"]) == 6
    assert in_context(callbacks.download, ["button-csv.n_clicks"], 1, 0, None) == (
        no_update, no_update)


def test_a_download_over_a_requests_budget_says_what_to_lower():
    """A scene only a background job may run (over a request's 1 s) is not
    computed again in the request for a download: the page says why."""
    deep = "formula:-5,5,-5,5:" + "sin(x*" * 10 + "y" + ")" * 10
    query = f"?landscape={deep}&start=0,0&steps=10000&opt=gd:lr=0.01&opt=adam:lr=0.01&opt=lion:lr=0.01"
    ls, specs, _, steps, _ = scene.runs_of(query)
    seconds = engine.estimate_seconds(ls, 3, 3, steps, compiled=False)
    assert engine.REQUEST_BUDGET < seconds < engine.JOB_BUDGET  # the race runs it as a job
    sent, notice = in_context(callbacks.download, ["button-csv.n_clicks"], 1, 0, query)
    assert sent is no_update
    assert notice.startswith("Not downloaded: Too much work for one request") and "lower the epochs" in notice


def test_surface_of_the_scene():
    query = "?landscape=booth&start=0,0&steps=5&opt=gd:lr=0.01,decay=0"
    assert callbacks.draw_surface(None) is no_update
    fig = callbacks.draw_surface(query)
    assert [t["type"] for t in fig["data"]] == ["surface", "scatter3d"]


def test_query_round_trip_and_layout_order():
    specs = [engine.make_spec("adam", lr=0.0123, beta1=0.8), engine.make_spec("lion", lr=3e-5)]
    q = scene.to_query("rosenbrock", (-1.25, 0.5), 321, specs)
    sc, problems = scene.from_query(q)
    assert problems == [] and sc.landscape == "rosenbrock" and sc.start == (-1.25, 0.5)
    assert [scene.parse_row(r)[0] for r in sc.rows if r.checked] == specs
    # pattern-matching outputs follow layout order: the rows must be in registry order
    page = json.dumps(shell.build().to_plotly_json(), default=lambda o: o.to_plotly_json())
    found = [n for n in NAMES if f'"opt": "{n}", "type": "opt-lr"' in page or
             f'"type": "opt-lr", "opt": "{n}"' in page]
    assert found == NAMES
    positions = [page.index(f'"aria-label": "{optimizers.info(n).title} learning rate"') for n in NAMES]
    assert positions == sorted(positions)


def test_thumbnails_are_pngs_of_their_size():
    for name in landscapes.names():
        uri = figures.thumbnail(name)
        png = base64.b64decode(uri.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png[16:20], "big") == int.from_bytes(png[20:24], "big") == 64


def test_schedule_boxes_come_from_the_registry():
    assert scene.SCHEDULE_KEYS == ("warmup", "step_size", "gamma", "period", "min_factor")
    assert set(layout.SCHEDULE_LABELS) == set(scene.SCHEDULE_KEYS)
    assert [c["value"] for c in layout.SCHEDULE_CHOICES] == list(schedules.SCHEDULES)


def test_the_3d_view_of_a_long_scene_is_thinned_but_keeps_both_ends():
    query = "?landscape=himmelblau&start=0,0&steps=10000&opt=adam:lr=0.001,decay=0"
    fig = callbacks.draw_surface(query)
    path = fig["data"][1]
    xs = decode(path["x"]["bdata"]) if isinstance(path["x"], dict) else np.asarray(path["x"])
    assert len(xs) <= figures.SURFACE_PATH_POINTS + 1
    result = engine.run(landscapes.get("himmelblau"), [engine.make_spec("adam", lr=1e-3)],
                        (0, 0), 10_000)
    np.testing.assert_allclose([xs[0], xs[-1]], result.points[0, 0, [0, -1], 0], rtol=1e-6)
    pts = np.arange(10).reshape(5, 2)
    assert figures.thin(pts, 2).tolist() == [[0, 1], [6, 7], [8, 9]]
    assert figures.thin(pts, 5) is pts


def test_a_heavy_scenes_first_recording_goes_to_the_background_then_the_cards_come(monkeypatch):
    monkeypatch.setattr(compiled, "available", lambda: False)  # the NumPy loop: slow
    query = "?landscape=rosenbrock&start=-1,1&steps=6000&" + "&".join(
        f"opt={n}:lr=0.0001,decay=0" for n in ["gd", "momentum", "nesterov", "adam", "nadam"])
    wanted = {"query": query, "epoch": 4000}
    placeholder, job = callbacks.inspect_step(wanted, None)
    assert "Recording every step of this scene in the background" in str(placeholder)
    assert job == {"query": query}
    again, no_job = callbacks.inspect_step({**wanted, "epoch": 10}, job)  # scrubbing meanwhile
    assert "Recording" in str(again) and no_job is no_update  # not asked again
    done = callbacks.record_job(job)
    assert done == {"query": query, "error": None}
    cards, no_job = callbacks.inspect_step(wanted, job)  # the page asks again (jobs.recorded)
    assert "Adam" in str(cards) and "4000" in str(cards) and no_job is no_update
    # the recording is the engine's, shared by every worker (here: the memory layer dropped)
    callbacks.cache._memory.clear()
    recorded = callbacks._recorded(query)
    spec = engine.make_spec("adam", lr=1e-4)
    alone = engine.run(landscapes.get("rosenbrock"), [spec], (-1, 1), 6000)
    np.testing.assert_array_equal(recorded.points[3, 0], alone.points[0, 0])
    np.testing.assert_array_equal(recorded.states[3]["exp_avg_sq"], alone.states[0]["exp_avg_sq"])


def test_a_failed_recording_is_shown_where_the_cards_would_be():
    query = "?landscape=booth&start=0,0&steps=10&opt=adam:lr=0.1"
    message, job = callbacks.inspect_step({"query": query, "epoch": 1, "error": "Too much work"})
    assert "Too much work" in str(message) and job is no_update


def test_the_video_exports_defaults_are_the_same_in_the_page_and_its_script():
    """The export panel's first values (kit.VIDEO_DEFAULTS) are what assets/video.js
    leaves out of the link: one set of defaults, written in two languages."""
    script = (pathlib.Path(__file__).resolve().parents[1] / "assets" / "video.js").read_text()
    found = re.search(r"const DEFAULTS = \{([^}]*)\}", script).group(1)
    pairs = dict(re.findall(r'(\w+): "([^"]*)"', found))
    assert pairs == kit.VIDEO_DEFAULTS
