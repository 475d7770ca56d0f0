"""The teaching scenes: Adam vs AdaBelief, learning rates and schedules, EWC, page links."""

from __future__ import annotations

import numpy as np
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

import landscapes
from landscapes.number_text import rounded
from tests.dash_context import in_context
from visualizer import engine, shell
from visualizer.pages import belief, ewc, lr, worked


@pytest.mark.parametrize("key", list(belief.BELIEF_PRESETS))
def test_belief_denominators_follow_their_recurrences(key):
    run = belief.belief(key, steps=60)
    res = run.result
    g_adam, g_belief = res.grads[0, 0], res.grads[1, 0]
    b1, b2, eps = 0.9, 0.999, 1e-16
    v = m = s = 0.0
    for t in range(1, 61):  # written out here, independently of the optimizers
        v = b2 * v + (1 - b2) * g_adam[t - 1] ** 2
        m = b1 * m + (1 - b1) * g_belief[t - 1]
        s = b2 * s + (1 - b2) * (g_belief[t - 1] - m) ** 2 + eps
        np.testing.assert_allclose(run.denominators["adam"][t - 1], np.sqrt(v / (1 - b2**t)), rtol=1e-12)
        np.testing.assert_allclose(run.denominators["adabelief"][t - 1], np.sqrt(s / (1 - b2**t)),
                                   rtol=1e-12)
    np.testing.assert_allclose(run.step_sizes["adam"], np.abs(np.diff(res.points[0, 0], axis=0)))


def test_adabelief_divides_by_less_where_the_gradient_is_predictable():
    run = belief.belief("abs_sum", steps=30)  # gradient (1, -1) until a kink is crossed
    assert np.allclose(run.denominators["adam"][:10], 1.0)
    believed = run.denominators["adabelief"][:10]
    assert believed[0] == pytest.approx([0.9, 0.9])  # sqrt((g - 0.1 g)^2) at step 1
    assert (np.diff(believed, axis=0) < 0).all()  # and smaller every step the gradient is the same


def test_too_large_a_learning_rate_diverges_on_the_bowl():
    # gradient descent on curvature 50 is stable only for lr < 2/50
    res = lr.lr_run(lr.LrSettings(lrs=(0.005, 0.039, 0.041), steps=300))
    assert list(res.diverged_at[:, 0] >= 0) == [False, False, True]
    assert res.losses[1, 0, -1] < res.losses[0, 0, -1]  # 0.039 is quicker than 0.005


@pytest.mark.parametrize("schedule,check", [
    ("constant", lambda lr, k: np.full_like(k, lr, dtype=float)),
    ("warmup", lambda lr, k: lr * np.minimum((k + 1) / 20, 1.0)),
    ("step", lambda lr, k: lr * 0.5 ** (k // 50)),
    ("exponential", lambda lr, k: lr * 0.98**k),
    ("inverse_time", lambda lr, k: lr / (1 + 0.05 * k)),
    ("cosine", lambda lr, k: lr * 0.5 * (1 + np.cos(np.pi * k / 200))),
])
def test_each_schedule_gives_the_learning_rates_it_names(schedule, check):
    settings = lr.LrSettings(schedule=schedule, lrs=(0.01,), steps=200,
                                  warmup=20 if schedule == "warmup" else 0)
    res = lr.lr_run(settings)
    k = np.arange(200)
    np.testing.assert_allclose(res.lrs[0], check(0.01, k), rtol=1e-12, atol=1e-15)


def test_lr_boxes_are_checked():
    good = ("booth", "adam", "0.1, 0.01", "cosine", "10", "", "50", "0.05", "100")
    assert lr.lr_settings(*good).lrs == (0.1, 0.01)
    for i, bad, message in [(2, "abc", "Learning rates: must be a number \\(got 'abc'\\)"),
                            (2, "-1", "Learning rates: must be greater than 0 and at most 1000 \\(got -1\\)"),
                            (2, "0", "Learning rates: must be greater than 0"),
                            (2, ",".join(["0.1"] * 9), "at most 8"),
                            (8, "0", "Epochs: must be a whole number from 1 to 5000 \\(got 0\\)"),
                            (5, "2", "γ: must be from 1e-06 to 1 \\(got 2\\)"),
                            (3, "sometimes", "unknown schedule"),
                            (2, "1e9", "Learning rates: must be greater than 0 and at most 1000")]:
        boxes = list(good)
        boxes[i] = bad
        with pytest.raises(ValueError, match=message):
            lr.lr_settings(*boxes)


def test_ewc_keeps_what_task_a_needs_and_plain_training_forgets_it():
    run = ewc.ewc("adam", 0.05, 1.0, 600)
    a, b = ewc.TASK_A, ewc.TASK_B
    np.testing.assert_allclose(run.anchor, a.minima[0].point, atol=1e-2)  # A was learnt
    np.testing.assert_allclose(run.fisher, [6.0, 0.05], rtol=1e-6)  # H_A's diagonal
    np.testing.assert_allclose(run.plain[-1], b.minima[0].point, atol=1e-2)
    assert a.f(run.plain[-1]) > 10 * a.f(run.ewc[-1])  # forgotten without EWC
    # With EWC the path ends at the minimum of L_B + lambda/2 sum F (theta - anchor)^2:
    # solve (H_B + lambda diag F) theta = H_B c_B + lambda diag(F) anchor.
    hb = np.array([[0.6, -0.4], [-0.4, 5.0]])
    lhs = hb + np.diag(run.fisher)
    rhs = hb @ np.array(b.minima[0].point) + run.fisher * run.anchor
    np.testing.assert_allclose(run.ewc[-1], np.linalg.solve(lhs, rhs), atol=2e-2)


def test_ewc_page_on_the_fisher_holds_for_a_gaussian_model_of_task_a():
    """The page: "F averages the squared per-sample log-likelihood gradients, which do not
    vanish at A's minimum (only their average does) ... for a Gaussian model whose mean is
    linear in the weights the Fisher equals the Hessian" (the F this page uses)."""
    rng = np.random.default_rng(7)
    h = np.array([[6.0, 0.2], [0.2, 0.05]])  # task A's Hessian (ewc.TASK_A)
    n = 400  # samples x_i with (1/n) sum x_i x_i^T = H exactly: X = sqrt(n) Q L^T
    q, _ = np.linalg.qr(rng.normal(size=(n, 2)))
    x = np.sqrt(n) * q @ np.linalg.cholesky(h).T
    np.testing.assert_allclose(x.T @ x / n, h, atol=1e-12)
    theta_true = np.array(ewc.TASK_A.minima[0].point)
    y = x @ theta_true + rng.normal(size=n)  # y_i ~ N(x_i . theta, 1)
    theta_hat = np.linalg.lstsq(x, y, rcond=None)[0]  # the model's minimum (A's, for this data)
    per_sample = x * (x @ theta_hat - y)[:, None]  # gradient of each -log p(y_i | x_i, theta)
    np.testing.assert_allclose(per_sample.mean(axis=0), 0.0, atol=1e-10)  # the average vanishes
    empirical = (per_sample**2).mean(axis=0)
    assert np.all(empirical > 0.01)  # the squares do not
    # The Fisher, y drawn from the model itself: E[g g^T] = (1/n) sum x_i x_i^T = H.
    draws = x @ theta_hat + rng.normal(size=(4000, n))
    fisher = np.mean([((x * (x @ theta_hat - d)[:, None]) ** 2).mean(axis=0) for d in draws], axis=0)
    np.testing.assert_allclose(fisher, np.diag(h), rtol=0.05)
    np.testing.assert_allclose(ewc.ewc().fisher, np.diag(h), rtol=1e-6)  # what the page uses
    assert "per-sample gradients do not vanish" in str(ewc.ewc_page())


def test_ewc_with_lambda_zero_is_plain_training():
    run = ewc.ewc("gd", 0.1, 0.0, 200)
    np.testing.assert_array_equal(run.ewc, run.plain)
    np.testing.assert_array_equal(run.l2, run.plain)


def test_ewc_scene_defaults_show_kirkpatricks_three_paths():
    """The page's defaults: plain training forgets A; EWC keeps A and learns B; a plain
    L2 penalty of the same lambda keeps A as well but is too stiff to learn B."""
    run = ewc.ewc()
    a, b = ewc.TASK_A, ewc.TASK_B
    assert run.lam == ewc.DEFAULT_LAMBDA and not run.diverged
    at_anchor = b.f(run.anchor)
    loss = {name: (a.f(path[-1]), b.f(path[-1]))
            for name, path in (("plain", run.plain), ("ewc", run.ewc), ("l2", run.l2))}
    assert loss["plain"][0] > 100 * loss["ewc"][0]  # forgotten
    assert loss["ewc"][0] < 0.5 and loss["ewc"][1] < 0.2 * at_anchor  # A kept, B learnt
    assert loss["l2"][0] < 0.5  # L2 keeps A too ...
    assert loss["l2"][1] > 3 * loss["ewc"][1] and loss["l2"][1] > 0.4 * at_anchor  # ... but B is not learnt
    # the L2 path ends at the minimum of L_B + lambda/2 |theta - anchor|^2
    hb = np.array([[0.6, -0.4], [-0.4, 5.0]])
    want = np.linalg.solve(hb + run.lam * np.eye(2), hb @ np.array(b.minima[0].point) + run.lam * run.anchor)
    np.testing.assert_allclose(run.l2[-1], want, atol=2e-2)


def test_links_round_trip():
    assert belief.belief_from_query(belief.belief_query("rosenbrock", 0.03, 900)) == (
        "rosenbrock", "0.03", "900")
    assert belief.belief_from_query("?page=belief&scene=nowhere")[0] == "abs_skew"
    s = lr.lr_settings("booth", "adam", "0.1, 0.01", "step", "5", "0.3", "20", "0.05", "100")
    boxes = lr.lr_from_query(lr.lr_query(s))
    assert lr.lr_settings(*boxes) == s
    assert ewc.ewc_from_query(ewc.ewc_query("lion", 0.001, 5.0, 50)) == (
        "lion", "0.001", "5", "50")
    texts = (worked.data_text(worked.DEFAULT_DATA), "1, 2, 3, 4", "0.05", "0.8", "3")
    back = worked.from_query(worked.to_query(*texts))
    assert worked.parse_data(back[0]) == worked.parse_data(texts[0]) and back[1:] == texts[1:]
    assert shell.page_of("?page=ewc&x=1") == "ewc"
    assert shell.page_of("?page=../../etc") == "race"
    assert shell.page_of(None) == "race"


def test_scene_callbacks_compute_only_on_their_page_and_report_bad_boxes():
    with pytest.raises(PreventUpdate):
        belief.update_belief("race", "0.05", "300", "abs_skew")
    fig_map, charts, note, error, query = belief.update_belief("belief", "0.05", "300", "abs_skew")
    assert error == "" and query == "?page=belief&scene=abs_skew&lr=0.05&steps=300"
    assert "AdaBelief: within 0.1 of the minimum at epoch" in note[-1]
    assert len(charts["data"]) == 20  # 4 + 4 belief, and per optimizer 2 denominators, 2 numerators, 2 steps
    assert note[0] == belief.BELIEF_PRESETS["abs_skew"].note and "across the valley" in note[-1]
    _, _, other, *_ = belief.update_belief("belief", "0.04", "300", "abs_skew")
    assert len(other) == 1 and other[0].startswith("Measured:")  # not the scene's settings
    assert {t.get("name") for t in fig_map["data"]} >= {"Adam", "AdaBelief"}
    *_, error, query = belief.update_belief("belief", "fast", "300", "abs_skew")
    assert error == "Learning rate: must be a number (got 'fast')" and query is no_update
    out = lr.update_lr("lr", "ill_conditioned_bowl", "gd", "0.005, 0.041", "constant",
                                     "0", "", "50", "0.05", "200", "", False, "bowl")
    assert "lr 0.041: diverged at epoch" in out[2] and out[3] == ""
    assert not out[2].startswith("Curvature 50")  # not the scene's settings: no scene sentence
    out = lr.update_lr("lr", "nowhere", "gd", "0.1", "constant", "0", "", "50", "0", "20",
                                     "", False, "bowl")
    assert "unknown landscape 'nowhere'" in out[3]
    out = ewc.update_ewc("ewc", "adam", "0.05", "1", "300")
    assert "With EWC (λ = 1)" in out[2] and out[4] == "?page=ewc&opt=adam&lr=0.05&lambda=1&steps=300"
    assert "With L2 (λ = 1, every weight alike)" in out[2]
    out = ewc.update_ewc("ewc", "adam", "0.05", "-3", "300")
    assert out[3] == "λ: must be from 0 to 10,000 (got -3)"
    out = ewc.update_ewc("ewc", "gd", "5", "1", "100")  # far too large for A
    assert "diverge" in out[2]
    with pytest.raises(PreventUpdate):
        ewc.ewc_boxes("?page=lr")
    assert ewc.ewc_boxes("?page=ewc&lambda=20") == ("adam", "0.05", "20", "300")
    assert ewc.ewc_boxes("?page=ewc") == ("adam", "0.05", "10", "300")


# -- The learning-rate page's scenes: each caption checked on its own settings -----------
def _lr_scene(key: str):
    settings = lr.LR_PRESETS[key].settings
    res = lr.lr_run(settings)
    ls = res.landscape
    out = {}
    for i, (label, _, _) in enumerate(settings.runs()):
        pts, losses = res.path(i)
        out[label] = (ls.minimum_near(pts[-1]), int(res.diverged_at[i, 0]), losses)
    return ls, out


def test_lr_scene_bowl():
    _, runs = _lr_scene("bowl")
    assert [runs[f"lr {lr:g}"][1] >= 0 for lr in (0.005, 0.02, 0.039, 0.041)] == [False] * 3 + [True]
    assert 0.039 < 2 / 50 < 0.041
    assert runs["lr 0.005"][2][-1] > runs["lr 0.039"][2][-1]  # crawls


def test_lr_scene_stuck():
    ls, runs = _lr_scene("stuck")
    shallow = max(range(2), key=lambda i: ls.minima[i].value)
    deep = 1 - shallow
    assert runs["lr 0.01"][0] == runs["lr 0.05"][0] == shallow
    assert runs["lr 0.12"][0] == deep
    assert runs["lr 0.3"][1] >= 0


def test_lr_scene_warmup_well():
    ls, runs = _lr_scene("warmup_well")
    shallow = max(range(2), key=lambda i: ls.minima[i].value)
    deep = 1 - shallow
    res = lr.lr_run(lr.LR_PRESETS["warmup_well"].settings)
    cold = res.path(1)[0]
    assert rounded(float(cold[1, 0]), 3) == "0.574" and cold[1, 0] > 0 > cold[0, 0]  # over the barrier
    assert runs["lr 0.15, no warmup"][0] == shallow and rounded(runs["lr 0.15, no warmup"][2][-1]) == "0.2941"
    assert runs["lr 0.15, warmup 20"][0] == deep and rounded(runs["lr 0.15, warmup 20"][2][-1]) == "-0.3054"
    warm = res.path(0)[0]
    assert (warm[:, 0] < 0).all()  # never leaves the deep well's side


def test_lr_scene_warmup_peak():
    _, runs = _lr_scene("warmup_peak")
    warm, cold = runs["lr 0.5, warmup 100"][2], runs["lr 0.5, no warmup"][2]
    assert rounded(cold[1:101].max()) == "13.12" and rounded(warm[1:101].max(), 2) == "0.99"
    late = [cold[101:].max(), warm[101:].max()]  # "both show late spikes (up to 4.28)"
    assert [rounded(v, 3) for v in late] == ["4.28", "4.28"] and min(late) > 4 * warm[1:101].max()
    res = lr.lr_run(lr.LR_PRESETS["warmup_peak"].settings)
    start, first = res.path(1)[0][:2]  # "from (0, 0) ... its first step moves x by the full lr,
    assert tuple(start) == (0.0, 0.0)  # whatever the gradient's size"
    assert abs(res.grads[1, 0, 0, 0]) == 2.0 and first[0] - start[0] == pytest.approx(0.5, rel=1e-8)
    for scale in (1e-3, 1e3):  # the page's hint: "± the lr in every coordinate whose gradient
        ls = landscapes.Landscape(  # is not zero, however small it is"
            name="scaled", title="", fxy=lambda x, y, k=scale: k * (x * x + 3 * y), domain=((-2, 2),) * 2,
            gradxy=lambda x, y, k=scale: (2 * k * x + 0 * y, 3 * k + 0 * x), minima=(), start=(1.0, 0.0),
            formula="", lesson="", compilable=False)
        one = engine.run(ls, [engine.make_spec("adam", lr=0.5)], (1.0, 0.0), 1, record_state=False)
        np.testing.assert_allclose(np.diff(one.path(0)[0], axis=0), [[-0.5, -0.5]], rtol=1e-4)


def test_radam_takes_plain_momentum_steps_while_its_v_is_unreliable():
    """The lr page's "RAdam ... takes plain momentum steps until its estimate of v is
    reliable": its first steps are lr * m_hat (torch's rule: while rho_t <= 5)."""
    ls = landscapes.get("rosenbrock")
    res = engine.run(ls, [engine.make_spec("radam", lr=1e-4)], (-1.5, 1.5), 8)
    pts, g = res.path(0)[0], res.grads[0, 0]
    m = np.zeros(2)
    rho_inf = 2 / (1 - 0.999) - 1
    for t in range(1, 9):
        m = 0.9 * m + 0.1 * g[t - 1]
        rho = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
        plain = -1e-4 * m / (1 - 0.9**t)
        assert np.allclose(pts[t] - pts[t - 1], plain, rtol=1e-9, atol=0) == (rho <= 5), t


def test_lr_scene_warmup_cosine():
    _, runs = _lr_scene("warmup_cosine")
    warm, cold = runs["lr 0.5, warmup 100"][2], runs["lr 0.5, no warmup"][2]
    assert rounded(warm[1:101].max(), 2) == "0.99" and rounded(cold[1:101].max()) == "13.12"
    assert rounded(warm[101:].max(), 3) == "1.47"  # after the warmup, from 4.28 at a constant rate
    _, constant = _lr_scene("warmup_peak")
    assert rounded(constant["lr 0.5, warmup 100"][2][101:].max(), 3) == "4.28"
    assert 0.5e-5 < warm[-1] < 2e-5  # "ends near 1e-5"
    assert cold[101:].max() < 0.011  # "after epoch 100 its cost stays below 0.011"
    s = lr.LR_PRESETS["warmup_cosine"].settings
    rates = lr.lr_run(s).lrs[0]  # warmup, then cosine decay to 0
    np.testing.assert_allclose(rates[:100], 0.5 * np.arange(1, 101) / 100)
    assert (np.diff(rates[100:]) <= 0).all() and rates[-1] < 1e-4


def test_every_lr_scene_is_checked_and_its_sentence_shows_only_on_its_settings():
    checked = {n[len("test_lr_scene_"):] for n in globals() if n.startswith("test_lr_scene_")}
    assert checked == set(lr.LR_PRESETS)
    for key, sc in lr.LR_PRESETS.items():
        boxes = lr.lr_boxes_of(sc.settings)  # in the page's FORM's order, the switch last
        out = lr.update_lr("lr", *boxes, key)
        assert out[3] == "" and out[2].startswith(sc.note), key
        assert f"scene={key}" in out[4]
        back = lr.lr_from_query(out[4])
        assert lr.lr_settings(*back) == sc.settings
        from_link = in_context(lr.lr_boxes, ["lr-link.data"], out[4], None)
        assert from_link[0] == key  # the link picks the scene
        picked = in_context(lr.lr_boxes, ["lr-preset.value"], None, key)
        assert list(picked[1:]) == list(boxes)


def test_with_and_without_warmup_side_by_side():
    s = lr.LR_PRESETS["warmup_peak"].settings
    res = lr.lr_run(s)
    assert res.lrs.shape[0] == 2
    np.testing.assert_allclose(res.lrs[0][:100], 0.5 * np.arange(1, 101) / 100)  # warming up
    np.testing.assert_array_equal(res.lrs[1], np.full(500, 0.5))  # the same run without
    note = lr.lr_view(s)[2]
    assert "lr 0.5, warmup 100: ends" in note and "lr 0.5, no warmup: ends" in note
    with pytest.raises(ValueError, match="set the warmup steps above 0"):
        lr.lr_settings("booth", "gd", "0.01", "constant", "0", "", "50", "0", "100", "", True)
    with pytest.raises(ValueError, match="Start: give two numbers"):
        lr.lr_settings("booth", "gd", "0.01", "constant", "0", "", "50", "0", "100", "1")


# -- Adam vs AdaBelief: each scene's sentence, on its own settings ---------------------------
def _steps_and_dens(key: str):
    run = belief.belief(key)
    return run, run.projected_steps, run.denominators


def test_belief_scene_abs_skew():
    run, steps, dens = _steps_and_dens("abs_skew")
    assert [label for label, _ in run.directions] == ["across the valley", "along the valley"]
    ratio = dens["adabelief"] / dens["adam"]
    assert np.all(ratio < 1.0)  # "AdaBelief's sqrt(s_hat) stays just below Adam's ... every epoch"
    assert np.all((ratio.mean(axis=0) > 0.92) & (ratio.mean(axis=0) < 0.94))  # "about 0.93 of it"
    across, along = steps["adabelief"].mean(axis=0) / steps["adam"].mean(axis=0)
    assert across < 0.8  # "its smaller steps across the valley"
    assert 0.95 < along < 1.1  # "along the valley the two step alike"
    flips = {}
    for i, name in enumerate(("adam", "adabelief")):
        g_across = run.result.grads[i, 0] @ run.directions[0][1]
        flips[name] = float((np.sign(g_across[1:]) != np.sign(g_across[:-1])).mean())
    assert 0.35 < flips["adabelief"] < 0.45 and 0.15 < flips["adam"] < 0.25  # "about 40 % (20 %)"
    mean = {name: float(run.numerators[name][:, 0].mean()) for name in ("adam", "adabelief")}
    assert rounded(mean["adabelief"], 2) == "0.15" and rounded(mean["adam"], 2) == "0.22"
    late = {name: float(run.numerators[name][30:, 0].mean()) for name in ("adam", "adabelief")}
    assert late["adabelief"] < 0.65 * late["adam"]  # not only the first epochs: 0.11 against 0.19
    abs_sum = belief.BELIEF_PRESETS["abs_sum"].note
    assert "paper's mechanism" in abs_sum and "|x| + |y|" in belief.BELIEF_PRESETS["abs_skew"].note


def test_belief_scene_abs_sum():
    run, _, dens = _steps_and_dens("abs_sum")
    np.testing.assert_allclose(dens["adam"], 1.0, rtol=1e-13)  # "Adam's sqrt(v_hat) is exactly 1" (to rounding)
    assert f"{dens['adabelief'].min():.2f}" == "0.47" and f"{dens['adabelief'].max():.2f}" == "0.93"
    assert np.all(run.step_sizes["adabelief"][:10] > run.step_sizes["adam"][:10])  # larger steps
    for i in range(2):  # "at the kinks both start to bounce"
        x = run.result.points[i, 0, :, 0]
        assert (np.diff(np.sign(x)) != 0).sum() >= 2


def test_belief_scene_ill_conditioned_bowl():
    run, steps, dens = _steps_and_dens("ill_conditioned_bowl")
    along = 1  # the second chart direction: along the valley, x
    np.testing.assert_array_equal(run.directions[along][1], [1.0, 0.0])
    assert np.all(dens["adabelief"][:20, 0] < dens["adam"][:20, 0])
    assert steps["adabelief"][:20, along].mean() > steps["adam"][:20, along].mean()


def test_belief_scene_rosenbrock():
    run, _, dens = _steps_and_dens("rosenbrock")
    assert np.all(dens["adabelief"] < dens["adam"])  # "stays below on both coordinates"
    sizes = run.step_sizes
    assert np.all(sizes["adabelief"][:20].mean(axis=0) > sizes["adam"][:20].mean(axis=0))
    pts = run.result.points[:, 0]
    floor = [int(np.argmax(np.abs(p[:, 1] - p[:, 0] ** 2) < 0.1)) for p in pts]
    assert floor[1] < floor[0]  # AdaBelief reaches the valley's floor sooner
    half = run.steps // 2
    late = sizes["adabelief"][half:].mean(axis=0) / sizes["adam"][half:].mean(axis=0)
    assert np.all((late > 0.9) & (late < 1.1))  # "on the floor the two step alike"


def test_every_belief_scene_is_checked():
    checked = {n[len("test_belief_scene_"):] for n in globals() if n.startswith("test_belief_scene_")}
    assert checked == set(belief.BELIEF_PRESETS)


def test_the_belief_band_is_adabeliefs_own_denominator_per_coordinate():
    """The band drawn around m is the sqrt(s_hat) AdaBelief divides by, on every scene."""
    for key in belief.BELIEF_PRESETS:
        run = belief.belief(key, steps=60)
        res = run.result
        np.testing.assert_array_equal(run.belief["g"], res.grads[1, 0])
        np.testing.assert_array_equal(run.belief["m"], res.states[1]["exp_avg"][0])
        t = np.arange(1, 61)[:, None]
        s_hat = res.states[1]["exp_avg_var"][0] / (1 - 0.999**t)
        np.testing.assert_allclose(run.belief["band"], np.sqrt(s_hat), rtol=1e-12)
        m_hat = res.states[0]["exp_avg"][0] / (1 - 0.9**t)  # Adam's numerator, along each direction
        for j, (_, e) in enumerate(run.directions):
            np.testing.assert_allclose(run.numerators["adam"][:, j], np.abs(m_hat @ e), rtol=1e-12)
        charts = belief.belief_charts(run)
        assert len(charts.data) == 4 * 2 + 2 * 2 * 3 and charts.layout.height == 860


def test_every_teaching_page_reads_its_link_and_only_its_own():
    """The page protocol, written once (pages/kit.py), for each teaching page."""
    assert in_context(belief.belief_boxes, ["belief-link.data"],
                      "?page=belief&scene=rosenbrock&lr=0.03&steps=900", None) == (
        "rosenbrock", "0.03", "900")
    assert in_context(belief.belief_boxes, ["belief-preset.value"], None, "abs_sum")[1:] == ("0.05", "200")
    for fill, key in ((belief.belief_boxes, "belief"), (lr.lr_boxes, "lr"), (ewc.ewc_boxes, "ewc"),
                      (worked.worked_boxes, "worked")):
        # a link for another page (the browser sends it none: links.routeLink)
        with pytest.raises(PreventUpdate):
            in_context(fill, [f"{key}-link.data"], "?page=sweep",
                       *([None] if fill in (belief.belief_boxes, lr.lr_boxes) else []))
    for update, args in ((belief.update_belief, ("0.05", "300", "abs_skew")),
                         (ewc.update_ewc, ("adam", "0.05", "1", "300"))):
        with pytest.raises(PreventUpdate):
            update("race", *args)  # computes only while its page is shown


def test_every_pages_fields_are_declared_once_and_their_link_round_trips():
    """Each page's Form (pages/kit.py): its defaults parse, written to a link and read
    back they give the same settings, a field's element is one the page declares, a
    misspelt element raises where it is written, and every element a page's layout
    has is unique across the app."""
    from visualizer.pages import basins, kit, lrmap, sweep, train

    for module in (lr, belief, ewc, basins, sweep, lrmap, train):
        form = module.FORM
        settings = form.defaults()
        link = form.link(settings)
        assert link.startswith(f"?page={form.page.key}")
        assert form.parse(*form.from_link(link)) == settings, module.__name__
        assert form.from_link(f"?page={form.page.key}") == tuple(f.default for f in form.fields)
        for field in form.fields:
            assert form.id(field.name) == f"{form.page.key}-{field.name.replace('_', '-')}"
    with pytest.raises(AttributeError, match="'lr' page declares no element 'warmpu'"):
        lr.I.warmpu  # noqa: B018
    with pytest.raises(AttributeError, match="declares no element 'nowhere'"):
        kit.Form(kit.Ids("scratch", "a"), kit.Field("nowhere", ""))
    choice = kit.Field("metric", "cost", choices={"cost", "epochs"})
    assert choice.from_link({"metric": "bogus"}) == "cost" and choice.from_link({}) == "cost"
    switch = kit.Field("compare", False, bool, prop="checked")
    assert switch.from_link({"compare": "1"}) is True and switch.box(0) is False
