"""Many runs at once: basin maps, the learning-rate sweep, the (lr, momentum) map,
and the pages that draw them (callbacks called as plain functions)."""

from __future__ import annotations

import numpy as np
import pytest

import landscapes
from visualizer import engine, pages
from visualizer.engine import export, many
from visualizer.pages import basins, common, lrmap, sweep
from visualizer.pages.race import scene
from visualizer.server import cache

HIMMELBLAU = landscapes.get("himmelblau")
CLASSIC = [engine.make_spec(n, lr=1e-3) for n in ("gd", "momentum", "rmsprop", "adam")]
RACE = scene.to_query("himmelblau", (0.0, 0.0), 200, CLASSIC)


@pytest.mark.parametrize("compiled", [True, False])
def test_basin_cells_are_the_single_runs_from_their_starts(compiled):
    bm = many.basins(HIMMELBLAU, CLASSIC, 200, grid=12, compiled=compiled)
    starts = bm.starts()
    assert starts.shape == (144, 2)
    for k in (0, 17, 77, 143):
        single = engine.run(HIMMELBLAU, CLASSIC, starts[k], 200, record_state=False, compiled=False)
        for s in range(len(CLASSIC)):
            np.testing.assert_array_equal(bm.result.final[s, k], single.points[s, 0, -1])  # bit for bit
            assert bm.result.loss[s, k] == single.losses[s, 0, -1]
            pts = single.points[s, 0]
            i = HIMMELBLAU.minimum_near(pts[-1])
            assert bm.result.outcome[s, k] == (-1 if i is None else i)
            if i is not None:
                d = np.hypot(*(pts - np.array(HIMMELBLAU.minima[i].point)).T)
                assert bm.result.epochs[s, k] == int(np.argmax(d <= many.tolerance(HIMMELBLAU)))


def test_outcomes_on_himmelblaus_four_minima():
    starts = np.array([m.point for m in HIMMELBLAU.minima]) * 0.9  # near each of the four
    out = many.outcomes(HIMMELBLAU, [engine.make_spec("gd", lr=0.01)], starts, 500)
    assert list(out.outcome[0]) == [0, 1, 2, 3]
    assert (out.epochs[0] > 0).all() and (out.epochs[0] < 100).all()
    far = many.outcomes(HIMMELBLAU, [engine.make_spec("gd", lr=0.1), engine.make_spec("gd", lr=1e-6)],
                        np.array([[4.5, 4.5]]), 50)
    assert far.outcome[0, 0] == many.DIVERGED and far.diverged_at[0, 0] > 0
    assert far.outcome[1, 0] == many.ELSEWHERE and far.epochs[1, 0] == -1  # barely moved
    assert [many.outcome_name(c) for c in (0, 3, -1, -2)] == ["min0", "min3", "elsewhere", "diverged"]
    no_minima = many.outcomes(landscapes.get("saddle"), [engine.make_spec("gd", lr=0.01)],
                              np.array([[0.5, 0.5]]), 10)
    assert no_minima.outcome[0, 0] == many.ELSEWHERE


def test_share_reaching_a_global_minimum():
    bm = many.basins(HIMMELBLAU, [engine.make_spec("gd", lr=0.01)], 500, grid=10)
    assert bm.share_global() == [1.0]  # all four of Himmelblau's minima are global
    well = landscapes.get("double_well")
    bm = many.basins(well, [engine.make_spec("gd", lr=0.01)], 500, grid=20)
    share = bm.share_global()[0]
    assert 0.3 < share < 0.7  # the deeper well's basin is about its half of the map
    assert share == float((bm.result.outcome[0] == 0).mean())


def test_sweep_points_are_single_runs():
    lrs = many.log_lrs(1e-4, 1.0, 9)
    sw = many.sweep(HIMMELBLAU, CLASSIC[:2], (0.0, 0.0), lrs, 300)
    for o, spec in enumerate(CLASSIC[:2]):
        for j in (0, 4, 8):
            single = engine.run(HIMMELBLAU, [engine.make_spec(spec.optimizer, lr=float(lrs[j]))],
                                (0.0, 0.0), 300, record_state=False)
            i = o * len(lrs) + j
            assert sw.result.diverged_at[i, 0] == single.diverged_at[0, 0]
            np.testing.assert_array_equal(sw.result.final[i, 0], single.points[0, 0, -1])
    gap = sw.gap()
    assert gap.shape == (2, 9)
    band = sw.band(10.0)
    assert band[0] is not None and band[0][0] <= band[0][1]
    best = int(np.nanargmin(gap[0]))
    assert band[0][0] <= lrs[best] <= band[0][1]


def test_sweep_keeps_each_optimizers_other_settings():
    spec = engine.make_spec("momentum", lr=0.5, momentum=0.5, decay=0.01)
    sw = many.sweep(HIMMELBLAU, [spec], (0.0, 0.0), [0.001, 0.002], 50)
    single = engine.run(HIMMELBLAU, [engine.make_spec("momentum", lr=0.002, momentum=0.5, decay=0.01)],
                        (0.0, 0.0), 50, record_state=False)
    np.testing.assert_array_equal(sw.result.final[1, 0], single.points[0, 0, -1])


def test_band_is_the_contiguous_range_around_the_best():
    sw = many.Sweep(HIMMELBLAU, (0, 0), 10, CLASSIC[:1], np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
                    many.Outcomes(np.zeros((5, 1, 2)), np.array([[5.0], [0.5], [0.1], [2.0], [0.2]]),
                                  np.zeros((5, 1), int), np.zeros((5, 1), int), -np.ones((5, 1), int)))
    assert sw.band(10.0) == [(2.0, 3.0)]  # 4.0 is over 10 x 0.1; 5.0 is good but not contiguous
    assert sw.band(100.0) == [(1.0, 5.0)]


def test_momentum_map_agrees_with_the_quadratics_closed_form():
    """Heavy-ball on the bowl of curvatures 1 and 50 (Goh, "Why Momentum Really Works"):
    a cell converges where the closed-form rate is below 1 and diverges above it, and its
    distance to the minimum shrinks at that rate."""
    bowl = landscapes.get("ill_conditioned_bowl")
    lrs = np.array([0.005, 0.02, 0.039, 0.041, 0.06, 0.08])
    betas = np.array([0.0, 0.5, 0.9])
    mm = many.momentum_map(bowl, "momentum", bowl.start, lrs, betas, 400)
    code = mm.grid(mm.result.outcome[:, 0])
    for b, beta in enumerate(betas):
        for j, lr in enumerate(lrs):
            rate = many.heavy_ball_rate(lr, beta, (1.0, 50.0))
            if rate < 0.98:
                assert code[b, j] == 0, (lr, beta, rate)
            elif rate > 1.0:
                assert code[b, j] == many.DIVERGED, (lr, beta, rate)
    # the measured rate of one converging cell, from its path
    lr, beta = 0.02, 0.5
    res = engine.run(bowl, [engine.make_spec("momentum", lr=lr, momentum=beta)], bowl.start, 400,
                     record_state=False)
    d = np.hypot(*res.points[0, 0].T)
    measured = (d[300] / d[200]) ** (1 / 100)
    assert measured == pytest.approx(many.heavy_ball_rate(lr, beta, (1.0, 50.0)), rel=0.02)
    # the stability edge drawn on the page: lr = 2 (1 + beta) / L
    assert many.heavy_ball_rate(2 * 1.5 / 50 * 0.99, 0.5, (1, 50)) < 1 < many.heavy_ball_rate(
        2 * 1.5 / 50 * 1.01, 0.5, (1, 50))


def test_limits_and_bad_input_get_messages():
    with pytest.raises(many.TooMuchWork, match="lower the grid cells, the optimizers or the epochs"):
        many.basins(HIMMELBLAU, CLASSIC * 3 + CLASSIC[:2], 10_000, grid=400)
    with pytest.raises(ValueError, match="Grid: must be a whole number from 2 to 400"):
        many.check_grid("401")
    with pytest.raises(ValueError, match="Grid: must be a number \\(got 'abc'\\)"):
        many.check_grid("abc")
    with pytest.raises(ValueError, match="finite number"):
        many.check_grid("nan")
    assert many.parse_lrs_range("1e-5:10:60") == (1e-5, 10.0, 60)
    for bad, message in [("1:2", "LO:HI:N"), ("a:b:c", "LO: must be a number"),
                         ("1:0.1:5", "LO must be less than HI"), ("1e-5:1e9:5", "HI: must be greater than 0"),
                         ("1e-5:1:1", "N: must be a whole number from 2 to 200"),
                         ("1e-5:1:2.5", "N: must be a whole number")]:
        with pytest.raises(ValueError, match=message):
            many.parse_lrs_range(bad)
    with pytest.raises(ValueError, match="the \\(lr, momentum\\) map takes"):
        many.momentum_map(HIMMELBLAU, "gd", (0, 0), [0.1], [0.5], 10)
    with pytest.raises(ValueError, match="Momentum values: must be a whole number from 2 to 200"):
        lrmap.parse_betas("1")
    with pytest.raises(ValueError, match="Within: must be from 1 to 1,000,000 \\(got 0.5\\)"):
        sweep.parse_factor("0.5")


# -- The pages ------------------------------------------------------------------------------
def test_the_many_run_pages_are_in_the_registry_each_one_module():
    keys = pages.keys()
    assert keys.index("basins") < keys.index("sweep") < keys.index("lrmap")
    for module in (basins, sweep, lrmap):
        page = module.PAGE
        assert page.container == f"page-{page.key}" and page.store == f"{page.key}-query"


def test_a_page_computes_in_the_background_then_draws_from_the_cache():
    cache.clear()
    figure, legend, note, error, link, request = basins.update("basins", "8", "outcome", None, RACE)
    assert error == "" and note == "Computing in the background…" and request["key"]
    assert common.stored("basins", (RACE, 8)) is None
    seen = []
    done = basins.job(seen.append, request)  # the background job, as its worker runs it
    assert done == {"key": request["key"]} and seen[0] == (0, "computing")
    assert seen[-1] == (100, "100 %")
    figure, legend, note, error, link, request = basins.update("basins", "8", "outcome", done, RACE)
    assert error == "" and request is common.no_update
    assert "Share of the 64 starts that end in a global minimum after 200 epochs" in note
    assert len([t for t in figure.data if t.type == "heatmap"]) == 4
    assert link.startswith("?landscape=himmelblau") and "page=basins" in link and "grid=8" in link
    # the job's data is the model's basin map, and its CSV has every cell
    data = common.stored("basins", (RACE, 8))
    columns, table, filename = basins.csv(data)
    text = "".join(export.table_chunks(columns, table))
    assert filename == "basins_himmelblau_8.csv" and len(text.splitlines()) == 1 + 4 * 64
    bm = basins.basin_map(data)
    np.testing.assert_array_equal(bm.result.final, many.basins(HIMMELBLAU, CLASSIC, 200, 8).result.final)
    with pytest.raises(common.PreventUpdate):
        basins.update("race", "8", "outcome", None, RACE)  # computes only on its page
    # a bad box is named, nothing computed
    assert basins.update("basins", "1000", "outcome", None, RACE)[3] == "Grid: must be a whole number from 2 to 400 (got 1000)"
    heavy = scene.to_query("himmelblau", (0.0, 0.0), 10_000, CLASSIC)
    error = basins.update("basins", "400", "outcome", None, heavy)[3]
    assert "Too much work for one background job" in error and "lower the grid cells" in error
    assert "Set up a scene" in basins.update("basins", "8", "outcome", None, None)[3]


def test_a_csv_too_large_for_a_request_is_written_by_a_job_and_fetched(monkeypatch):
    """A view's CSV over a request's budget is written by a background job into the
    class's cache, gzipped as it is written, and sent by GET /download/...; over a
    job's budget too, a message says what to lower. Nothing is computed by the route."""
    import gzip

    import app

    cache.clear()
    request = basins.update("basins", "8", "outcome", None, RACE)[5]
    basins.job(lambda p: None, request)  # the view, computed
    rows = 4 * 64
    monkeypatch.setattr(export, "TABLE_ROW_SECONDS", engine.REQUEST_BUDGET / (rows - 1))
    file, error, csv_request, status = basins.update.download(1, RACE, "8", "outcome")
    assert file is common.no_update and error == "" and csv_request["key"] == request["key"]
    assert status == f"Writing {rows:,} rows in the background…"
    done = basins.update.csv_job(csv_request)
    assert done["url"].startswith("download/basins.csv?key=") and done["filename"] == \
        "basins_himmelblau_8.csv"
    client = app.server.test_client()
    answer = client.get("/" + done["url"])
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert 'filename="basins_himmelblau_8.csv"' in answer.headers["Content-Disposition"]
    columns, table, _ = basins.csv(common.stored("basins", (RACE, 8)))
    assert gzip.decompress(answer.data).decode() == "".join(export.table_chunks(columns, table))
    monkeypatch.setattr(export, "TABLE_ROW_SECONDS", engine.JOB_BUDGET / (rows - 1))
    file, error, csv_request, status = basins.update.download(1, RACE, "8", "outcome")
    assert "over the 5 s one background job may take" in error and "lower the grid" in error
    assert file is common.no_update and csv_request is common.no_update
    assert client.get("/download/basins.csv?key=nope").status_code == 404
    assert client.get("/download/sweep.csv?key=" + request["key"]).status_code == 404
    forged = {"key": request["key"], "race": RACE, "values": ["1000", "outcome"]}
    assert "Grid: must be a whole number" in basins.update.csv_job(forged)["error"]


def test_a_many_run_pages_ids_are_declared_so_a_misspelt_one_fails_where_written():
    assert basins.I.grid == "basins-grid" and basins.I.job_label == "basins-job-label"
    assert sweep.I.lrs == "sweep-lrs" and lrmap.I.betas == "lrmap-betas"
    with pytest.raises(AttributeError, match="'basins' page declares no element 'gird'"):
        basins.I.gird  # noqa: B018
    with pytest.raises(AttributeError):
        basins.I.lrs  # noqa: B018  (the sweep's box, not the basins page's)


def test_a_failed_job_says_why():
    request = {"key": common.args_key(("?landscape=nowhere", 8)), "race": "?landscape=nowhere",
               "values": ["8", "outcome"]}
    done = basins.job(lambda p: None, request)
    assert "unknown landscape" in done["error"]


def test_a_forged_job_request_gets_the_pages_checks(monkeypatch):
    """A job request the page did not send (a key for a huge grid, with boxes that
    pass nothing) is refused by the page's own parse: nothing is computed."""
    monkeypatch.setattr(basins, "compute", lambda *a, **k: pytest.fail("computed"))
    heavy = scene.to_query("himmelblau", (0.0, 0.0), 10_000, CLASSIC)
    forged = {"key": common.args_key((heavy, 400)), "race": heavy, "values": ["400", "outcome"]}
    assert "Too much work for one background job" in basins.job(lambda p: None, forged)["error"]
    for bad in [{"key": common.args_key((heavy, 400))}, {"race": RACE, "values": "8"}, "x", None]:
        assert basins.job(lambda p: None, bad)["error"]


def test_sweep_and_map_pages_draw_their_views():
    cache.clear()
    out = sweep.update("sweep", "1e-4:1:12", "10", "cost", None, RACE)
    done = sweep.job(lambda p: None, out[5])
    figure, _, note, error, link, _ = sweep.update("sweep", "1e-4:1:12", "10", "cost", done, RACE)
    assert error == "" and "Within 10× of each optimizer's best final cost" in note
    assert "Gradient Descent works from" in note and "lrs=0.0001:1:12" in link
    bowl = scene.to_query("ill_conditioned_bowl", (-2.8, 1.0), 300,
                          [engine.make_spec("momentum", lr=0.01, momentum=0.9)])
    out = lrmap.update("lrmap", "momentum", "1e-3:0.1:8", "6", "cost", None, bowl)
    done = lrmap.job(lambda p: None, out[5])
    figure, legend, note, error, link, _ = lrmap.update("lrmap", "momentum", "1e-3:0.1:8", "6", "cost", done, bowl)
    assert error == "" and "of the cells diverge" in note
    names = [t.name for t in figure.data]
    assert "lr = 2(1 + μ)/L" in names and "the race's setting" in names


def test_clicks_send_the_setting_back_to_the_race():
    link = basins.pick({"points": [{"x": 1.25, "y": -2.5, "curveNumber": 0}]}, RACE)
    assert link.endswith("page=race") and "start=1.25,-2.5" in link
    link = sweep.pick({"points": [{"x": 0.0123456, "y": 1.0, "customdata": "adam"}]}, RACE)
    assert "opt=adam:lr=0.0123," in link and "opt=gd:lr=0.001," in link
    link = lrmap.pick({"points": [{"x": np.log10(0.02), "y": 0.75}]}, RACE, "momentum")
    assert "opt=momentum:lr=0.02,decay=0,momentum=0.75" in link
    link = lrmap.pick({"points": [{"x": -2.0, "y": 0.5}]}, RACE, "nesterov")  # not ticked: ticked now
    assert "opt=nesterov:lr=0.01,decay=0,momentum=0.5" in link
    with pytest.raises(common.PreventUpdate):
        basins.pick(None, RACE)


def test_links_restore_each_pages_boxes():
    assert basins.boxes("?page=basins&grid=50&color=cost") == ("50", "cost")
    assert basins.boxes("?page=basins&color=nope") == ("120", "outcome")
    assert sweep.boxes("?page=sweep&lrs=1e-3:1:20&within=3&metric=epochs") == ("1e-3:1:20", "3", "epochs")
    assert lrmap.boxes("?page=lrmap&opt=adam&betas=20") == ("adam", "1e-4:1:60", "20", "cost")
    with pytest.raises(common.PreventUpdate):
        basins.boxes("?page=sweep")


def test_csv_of_every_cell():
    bm = many.basins(HIMMELBLAU, CLASSIC[:2], 100, grid=3)
    lines = export.table_csv(export.BASINS_COLUMNS, export.basins_rows(bm)).splitlines()
    assert lines[0] == "optimizer,x0,y0,x,y,loss,outcome,epochs" and len(lines) == 1 + 2 * 9
    name, x0, y0, x, y, loss, outcome, epochs = lines[1].split(",")
    assert name == "gd" and float(x0) == bm.xs[0] and float(y0) == bm.ys[0]
    assert float(x) == bm.result.final[0, 0, 0] and outcome in {"min0", "min1", "min2", "min3", "elsewhere"}
    sw = many.sweep(HIMMELBLAU, CLASSIC[:1], (0, 0), [1e-3, 10.0], 50)
    lines = export.table_csv(export.SWEEP_COLUMNS, export.sweep_rows(sw)).splitlines()
    assert lines[0] == "optimizer,lr,loss,epochs,diverged_at"
    assert lines[2].startswith("gd,10.0,,,") and int(lines[2].split(",")[-1]) > 0  # diverged
