"""Optimizers against torch.optim, batching, formulations that must agree, state."""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.engine import optimizers

REFERENCE = json.loads((pathlib.Path(__file__).parent / "data" / "torch_reference.json").read_text())
CASES = REFERENCE["cases"]
NAMES = list(optimizers.OPTIMIZERS)


def _id(case: dict) -> str:
    return f"{case['optimizer']}-{case['landscape']}-{case['start']}-decay{case['decay']}"


def test_reference_covers_every_optimizer_with_and_without_decay():
    for name in NAMES:
        decays = {c["decay"] for c in CASES if c["optimizer"] == name}
        assert 0.0 in decays and any(d > 0 for d in decays), name


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_matches_torch_reference(case, compiled):
    ls = landscapes.get(case["landscape"])
    spec = engine.make_spec(case["optimizer"], lr=case["lr"], decay=case["decay"], **case["hypers"])
    result = engine.run(ls, [spec], case["start"], case["steps"], compiled=compiled)
    ref = np.array(case["points"])
    d = int(result.diverged_at[0, 0])
    if d < 0:
        np.testing.assert_allclose(result.points[0, 0], ref, rtol=1e-10, atol=1e-12)
    else:
        # torch carries on with huge numbers; we stop at the first point out of bound.
        np.testing.assert_allclose(result.points[0, 0, :d], ref[:d], rtol=1e-10, atol=1e-12)
        (x0, x1), (y0, y1) = ls.bound
        outside = ~((ref[:, 0] >= x0) & (ref[:, 0] <= x1) & (ref[:, 1] >= y0) & (ref[:, 1] <= y1))
        assert d == int(np.argmax(outside)) and outside.any()
        assert np.isnan(result.points[0, 0, d:]).all()


def test_reference_includes_a_diverging_run():
    assert any(
        engine.run(landscapes.get(c["landscape"]),
                   [engine.make_spec(c["optimizer"], lr=c["lr"], decay=c["decay"], **c["hypers"])],
                   c["start"], c["steps"]).diverged_at[0, 0] >= 0
        for c in CASES
    )


@pytest.mark.parametrize("name", NAMES)
def test_batch_of_starts_equals_single_runs(name):
    ls = landscapes.get("himmelblau")
    rng = np.random.default_rng(1)
    starts = rng.uniform(-4, 4, size=(5, 2))
    spec = engine.make_spec(name, lr=0.01, decay=0.01)
    batch = engine.run(ls, [spec], starts, 60)
    for k, start in enumerate(starts):
        single = engine.run(ls, [spec], start, 60)
        np.testing.assert_array_equal(batch.points[0, k], single.points[0, 0])
        for field, values in single.states[0].items():
            np.testing.assert_array_equal(batch.states[0][field][k], values[0])


@pytest.mark.parametrize("name", NAMES)
def test_runs_sharing_an_optimizer_equal_separate_runs(name):
    """Several learning rates of one optimizer are batched into one update call."""
    ls = landscapes.get("rosenbrock")
    specs = [engine.make_spec(name, lr=lr, decay=d)
             for lr, d in [(1e-3, 0.0), (3e-3, 0.1), (2e-4, 0.0)]]
    other = engine.make_spec("adam" if name != "adam" else "gd", lr=1e-3)
    together = engine.run(ls, [specs[0], other, specs[1], specs[2]], (-1.0, 1.5), 50)
    for i, spec in zip([0, 2, 3], specs, strict=True):
        alone = engine.run(ls, [spec], (-1.0, 1.5), 50)
        np.testing.assert_array_equal(together.points[i], alone.points[0])
        np.testing.assert_array_equal(together.lrs[i], alone.lrs[0])
    assert [s.optimizer for s in together.specs] == [name, other.optimizer, name, name]


def _path(name: str, steps: int = 80, **params) -> np.ndarray:
    spec = engine.make_spec(name, lr=0.01, **params)
    return engine.run(landscapes.get("himmelblau"), [spec], (-1.0, 0.5), steps).points[0, 0]


@pytest.mark.parametrize(("a", "b"), [
    (("momentum", {"momentum": 0.0}), ("gd", {})),
    (("nesterov", {"momentum": 0.0}), ("gd", {})),
    (("adamw", {"weight_decay": 0.0}), ("adam", {})),
    (("lion", {"weight_decay": 0.0}), ("lion", {})),
])
def test_formulations_that_must_agree(a, b):
    np.testing.assert_array_equal(_path(a[0], **a[1]), _path(b[0], **b[1]))


def test_amsgrad_equals_adam_while_second_moment_grows():
    """AMSGrad divides by max(v); while v only grows, that is v itself."""
    ls = landscapes.get("abs_sum")  # |g| is constant, so v_t grows every step

    def run(name: str) -> np.ndarray:
        return engine.run(ls, [engine.make_spec(name, lr=0.01)], (-1.5, 1.0), 100).points

    np.testing.assert_array_equal(run("amsgrad"), run("adam"))


def test_nesterov_differs_from_heavy_ball():
    assert not np.allclose(_path("nesterov"), _path("momentum"))


def test_adam_first_step_has_size_lr_per_coordinate():
    spec = engine.make_spec("adam", lr=0.05)
    pts = engine.run(landscapes.get("rosenbrock"), [spec], (-1.2, 1.0), 1).points[0, 0]
    np.testing.assert_allclose(np.abs(pts[1] - pts[0]), [0.05, 0.05], rtol=1e-7)


def test_lion_steps_are_exactly_lr_in_each_coordinate():
    spec = engine.make_spec("lion", lr=0.01)
    pts = engine.run(landscapes.get("himmelblau"), [spec], (0.0, 0.0), 30).points[0, 0]
    np.testing.assert_allclose(np.abs(np.diff(pts, axis=0)), 0.01, rtol=1e-12)


def test_recorded_state_follows_its_definition():
    ls = landscapes.get("himmelblau")
    b1, b2, eps = 0.9, 0.999, 1e-16
    r = engine.run(ls, [engine.make_spec("adabelief", lr=0.05)], (0.5, -0.5), 20)
    g = r.grads[0, 0]
    m, s = r.states[0]["exp_avg"][0], r.states[0]["exp_avg_var"][0]
    m_ref, s_ref = np.zeros(2), np.zeros(2)
    for t in range(20):
        m_ref = b1 * m_ref + (1 - b1) * g[t]
        s_ref = b2 * s_ref + (1 - b2) * (g[t] - m_ref) ** 2 + eps
        np.testing.assert_allclose(m[t], m_ref, rtol=1e-13)
        np.testing.assert_allclose(s[t], s_ref, rtol=1e-13)
    # and the gradient recorded at step t is the landscape's gradient at point t - 1
    np.testing.assert_allclose(g, ls.grad(r.points[0, 0, :-1]), rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_records_its_declared_state(name):
    r = engine.run(landscapes.get("booth"), [engine.make_spec(name)], (0.0, 0.0), 7)
    info = optimizers.info(name)
    assert set(r.states[0]) == set(info.state_fields)
    for values in r.states[0].values():
        assert values.shape == (1, 7, 2) and np.isfinite(values).all()
    plain = engine.run(landscapes.get("booth"), [engine.make_spec(name)], (0.0, 0.0), 7,
                       record_state=False)
    assert plain.states == [{}]
    np.testing.assert_array_equal(plain.points, r.points)


def test_divergence_is_data_and_other_runs_go_on():
    ls = landscapes.get("himmelblau")
    specs = [engine.make_spec("gd", lr=1.0), engine.make_spec("adam", lr=0.1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from overflow
        r = engine.run(ls, specs, (0.0, 0.0), 200)
    d = r.diverged_at[0, 0]
    assert 0 < d < 200 and r.diverged_at[1, 0] == -1
    assert np.isfinite(r.points[0, 0, :d]).all() and np.isnan(r.points[0, 0, d:]).all()
    assert np.isnan(r.losses[0, 0, d:]).all()
    alone = engine.run(ls, specs[1:], (0.0, 0.0), 200)
    np.testing.assert_array_equal(r.points[1], alone.points[0])
    pts, losses = r.path(0)
    assert len(pts) == len(losses) == d


def test_unbounded_saddle_runs_leave_the_bound():
    ls = landscapes.get("saddle")
    r = engine.run(ls, [engine.make_spec("adam", lr=0.1)], ls.start, 2000)
    d = r.diverged_at[0, 0]
    assert d > 0
    (_, _), (y0, y1) = ls.bound
    last = r.points[0, 0, d - 1]
    assert y0 <= last[1] <= y1 and abs(last[1]) > 2.0


def test_noise_is_reproducible_and_shared_by_all_optimizers():
    ls = landscapes.get("booth")
    specs = [engine.make_spec("gd", lr=0.01), engine.make_spec("adam", lr=0.1)]
    a = engine.run(ls, specs, (0.0, 0.0), 30, noise=0.5, seed=3)
    b = engine.run(ls, specs, (0.0, 0.0), 30, noise=0.5, seed=3)
    c = engine.run(ls, specs, (0.0, 0.0), 30, noise=0.5, seed=4)
    clean = engine.run(ls, specs, (0.0, 0.0), 30)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    assert not np.allclose(a.points, clean.points)
    noise = a.grads - ls.grad(a.points[:, :, :-1])
    np.testing.assert_allclose(noise[0], noise[1], atol=1e-12)
    assert 0.3 < noise.std() < 0.7


def test_every_optimizer_entry_has_its_colour_and_its_step_explainer():
    """An optimizer is one registry entry: a missing colour, explainer or torch case cannot
    even be built (they are required fields); the reference above must cover every entry."""
    import re

    from visualizer.engine.explain import At

    colors = [info.color for info in optimizers.OPTIMIZERS.values()]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors) and len(set(colors)) == len(colors)
    for name, info in optimizers.OPTIMIZERS.items():
        state = {f: 0.5 for f in info.state_fields}
        a = At(h={**info.defaults(), "momentum_decay": 4e-3}, t=3, lr=0.01, g=0.25, p0=1.0, p1=0.99,
               old=state, new={f: 0.6 for f in info.state_fields}, axis="x")
        assert callable(info.torch_make) and len(info.reference_lrs) == 2
        assert set(info.reference_variant) <= set(info.hypers)
        lines = info.explain(a)
        new = [t for t in lines if t.startswith(r"\theta^{x}_{3}")]  # the new parameter's line
        assert len(new) == 1 and new[0].endswith(r"\mathbf{0.99}"), name


def test_each_family_module_holds_its_entries_and_a_variant_names_its_parent():
    """One algorithm, one place: every entry's rule, coefficients and explainer live in
    the family module that lists it, and a variant (AMSGrad, AdamW, NAdam, ...) is its
    parent with the changes it declares, the rest inherited."""
    import dataclasses

    listed = [entry.name for family in optimizers.FAMILIES for entry in family.ENTRIES]
    assert listed == list(optimizers.OPTIMIZERS)
    for family in optimizers.FAMILIES:
        for entry in family.ENTRIES:
            assert entry.rule.__module__ == family.__name__, entry.name
            explain = getattr(entry.explain, "func", entry.explain)
            assert explain.__module__ == family.__name__, entry.name
    variants = {n: i for n, i in optimizers.OPTIMIZERS.items() if i.variant_of}
    assert {"amsgrad", "adamw", "nadam", "nesterov"} <= set(variants)
    for name, entry in variants.items():
        parent = optimizers.info(entry.variant_of)
        assert not parent.variant_of  # one level: a variant of a variant would hide its root
        same = [f.name for f in dataclasses.fields(entry)
                if getattr(entry, f.name) == getattr(parent, f.name)]
        assert "reference_lrs" in same or name == "radam", name  # inherited unless declared
    amsgrad, adam = optimizers.info("amsgrad"), optimizers.info("adam")
    assert amsgrad.hypers == adam.hypers and amsgrad.coefs is adam.coefs
    assert amsgrad.state_fields[:2] == adam.state_fields and amsgrad.rule is not adam.rule
