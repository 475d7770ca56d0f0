"""The compiled batch path gives the NumPy path's numbers, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest

import landscapes
from visualizer import compiled, engine, optimizers

NAMES = list(optimizers.OPTIMIZERS)
COMPILABLE = [ls.name for ls in landscapes.all_landscapes() if ls.compilable]


def _specs() -> list[engine.RunSpec]:
    """Every optimizer, plus shared optimizers with per-run learning rates,
    decay, a schedule, weight decay, and runs that diverge."""
    return [engine.make_spec(n, lr=0.01) for n in NAMES] + [
        engine.make_spec("adam", lr=0.05, decay=0.1),
        engine.make_spec("adam", lr=0.3, schedule="cosine", warmup=5),
        engine.make_spec("adamw", lr=0.05, weight_decay=0.1),
        engine.make_spec("lion", lr=0.01, weight_decay=0.2),
        engine.make_spec("nadam", lr=2.0),
        engine.make_spec("gd", lr=0.5),
    ]


def _assert_same(a: engine.Result, b: engine.Result) -> None:
    for key in ("points", "losses", "grads", "lrs", "diverged_at"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    for sa, sb in zip(a.states, b.states, strict=True):
        assert sa.keys() == sb.keys()
        for field in sa:
            np.testing.assert_array_equal(sa[field], sb[field], err_msg=field)


@pytest.mark.parametrize("name", landscapes.names())
def test_compiled_loop_equals_numpy_loop_bit_for_bit(name):
    ls = landscapes.get(name)
    starts = np.random.default_rng(0).uniform(-2, 2, (9, 2))
    specs = _specs()
    for kwargs in ({}, {"noise": 0.5, "seed": 2}, {"record_state": False}):
        numpy_result = engine.run(ls, specs, starts, 120, compiled=False, **kwargs)
        compiled_result = engine.run(ls, specs, starts, 120, compiled=True, **kwargs)
        _assert_same(numpy_result, compiled_result)


def test_the_comparison_covers_divergence():
    ls = landscapes.get("himmelblau")
    r = engine.run(ls, _specs(), np.zeros((3, 2)), 120, compiled=True)
    assert (r.diverged_at[-1] >= 0).all()  # gd at lr 0.5 leaves the bound
    assert (r.diverged_at[:len(NAMES)] < 0).all()


@pytest.mark.parametrize("name", COMPILABLE)
def test_compiled_landscape_equals_numpy_where_it_claims_to(name):
    ls = landscapes.get(name)
    (x0, x1), (y0, y1) = ls.domain
    rng = np.random.default_rng(5)
    pts = np.concatenate([
        np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)]),
        [[0.0, 0.0], [-0.0, 1.0], [1e150, -1e150], [np.inf, 0.0], [np.nan, 1.0]],
    ])
    grads = np.empty_like(pts)
    with np.errstate(all="ignore"):
        compiled.gradient(ls, pts, grads)
        np.testing.assert_array_equal(grads, ls.grad(pts))
        losses, _ = compiled.losses_and_divergence(ls, pts[None])
        np.testing.assert_array_equal(losses[0], ls.f(pts))


def test_a_big_batch_takes_the_compiled_loop_and_equals_single_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "_compiled_loop",
                        lambda *a, _real=engine._compiled_loop: calls.append(1) or _real(*a))
    ls = landscapes.get("rosenbrock")
    starts = np.random.default_rng(3).uniform(-2, 2, (engine.COMPILED_MIN_RUNS, 2))
    spec = engine.make_spec("adabelief", lr=0.02, decay=0.01)
    batch = engine.run(ls, [spec], starts, 80)
    assert calls == [1]
    for k in (0, 77, len(starts) - 1):
        single = engine.run(ls, [spec], starts[k], 80)
        np.testing.assert_array_equal(batch.points[0, k], single.points[0, 0])
        np.testing.assert_array_equal(batch.states[0]["exp_avg_var"][k],
                                      single.states[0]["exp_avg_var"][0])
    assert len(calls) == 1  # the single runs took the NumPy loop


def test_asking_for_the_compiled_loop_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(compiled, "available", lambda: False)
    ls = landscapes.get("booth")
    with pytest.raises(ValueError, match="needs numba"):
        engine.run(ls, [engine.make_spec("adam")], (0.0, 0.0), 5, compiled=True)
    # Left to choose, the engine falls back to NumPy.
    r = engine.run(ls, [engine.make_spec("adam")], np.zeros((300, 2)), 5)
    assert np.isfinite(r.points).all()
