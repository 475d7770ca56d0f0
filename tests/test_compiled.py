"""The compiled loop gives the NumPy loop's numbers, to the last bit, and nobody
waits for it to compile."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.engine import compiled, optimizers

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


def _spy(monkeypatch) -> list[int]:
    """Counts the calls of the compiled loop."""
    calls: list[int] = []
    monkeypatch.setattr(engine.loop, "_compiled_loop",
                        lambda *a, _real=engine.loop._compiled_loop: calls.append(1) or _real(*a))
    return calls


@pytest.mark.parametrize("starts", [1, 9], ids=["one start", "nine starts"])
@pytest.mark.parametrize("name", COMPILABLE)
def test_compiled_loop_equals_numpy_loop_bit_for_bit(name, starts, monkeypatch):
    ls = landscapes.get(name)
    starts = np.random.default_rng(0).uniform(-2, 2, (starts, 2))
    specs = _specs()
    calls = _spy(monkeypatch)
    for kwargs in ({}, {"noise": 0.5, "seed": 2}, {"record_state": False}):
        numpy_result = engine.run(ls, specs, starts, 120, compiled=False, **kwargs)
        compiled_result = engine.run(ls, specs, starts, 120, compiled=True, **kwargs)
        _assert_same(numpy_result, compiled_result)
    assert len(calls) == 3


@pytest.mark.parametrize("name", sorted(set(landscapes.names()) - set(COMPILABLE)))
def test_a_landscape_that_does_not_compile_takes_the_numpy_loop(name, monkeypatch):
    calls = _spy(monkeypatch)
    ls = landscapes.get(name)
    r = engine.run(ls, _specs()[:3], ls.start, 50, compiled=True)
    assert calls == [] and np.isfinite(r.points[:, 0, 0]).all()
    own = landscapes.get("formula:-3,3,-3,3:x**2 + 3*sin(y)")
    assert not compiled.compilable(own)
    engine.run(own, _specs()[:3], (1.0, 1.0), 50, compiled=True)
    assert calls == []


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


def test_one_start_takes_the_compiled_loop_once_ready_and_batches_equal_single_runs(
        monkeypatch):
    ls = landscapes.get("rosenbrock")
    spec = engine.make_spec("adabelief", lr=0.02, decay=0.01)
    compiled.kernel(ls, "adabelief", wait=True)
    compiled.kernel(ls, "losses_and_divergence", wait=True)
    calls = _spy(monkeypatch)
    starts = np.random.default_rng(3).uniform(-2, 2, (300, 2))
    batch = engine.run(ls, [spec], starts, 80)
    for k in (0, 77, len(starts) - 1):
        single = engine.run(ls, [spec], starts[k], 80)
        np.testing.assert_array_equal(batch.points[0, k], single.points[0, 0])
        np.testing.assert_array_equal(batch.states[0]["exp_avg_var"][k],
                                      single.states[0]["exp_avg_var"][0])
    assert len(calls) == 4  # the batch and every single run


def test_while_a_kernel_compiles_the_numpy_loop_answers(monkeypatch, tmp_path):
    """A fresh process with an empty cache: the first run is not made to wait."""
    monkeypatch.setattr(compiled, "_ready", {})
    monkeypatch.setattr(compiled, "_queued", set())
    submitted = []
    monkeypatch.setattr(compiled, "_submit", submitted.append)
    calls = _spy(monkeypatch)
    ls = landscapes.get("booth")
    specs = [engine.make_spec("adam", lr=0.1), engine.make_spec("momentum", lr=0.01)]
    r = engine.run(ls, specs, (0.0, 0.0), 30)
    assert calls == [] and np.isfinite(r.points).all()
    assert set(submitted) == {("booth", "adam"), ("booth", "momentum"),
                              ("booth", "losses_and_divergence")}


def test_a_run_does_not_wait_for_a_compile_in_progress(monkeypatch):
    """While the background thread holds the compiler, the NumPy loop still answers."""
    import threading

    monkeypatch.setattr(compiled, "_ready", {})
    monkeypatch.setattr(compiled, "_queued", set())
    done = threading.Event()
    ls = landscapes.get("matyas")
    with compiled._build_lock:  # a compile in progress
        worker = threading.Thread(target=lambda: (
            engine.run(ls, [engine.make_spec("adamax", lr=0.1)], (1.0, 1.0), 30), done.set()))
        worker.start()
        assert done.wait(60), "the run waited for the compiler"
    compiled.wait_until_ready(120)


def test_a_fresh_process_loads_the_kernels_from_disk_instead_of_compiling(tmp_path):
    """numba's cache: the second process finds what the first compiled."""
    script = (
        "import landscapes\n"
        "from visualizer.engine import compiled\n"
        "k = compiled.kernel(landscapes.get('booth'), 'nesterov', wait=True)\n"
        "loops, c = (k.few, k.many), compiled._module('booth').gradxy_c\n"  # c: a cfunc
        "print(sum(sum(f.stats.cache_hits.values()) for f in loops),\n"
        "      sum(sum(f.stats.cache_misses.values()) for f in loops), c.cache_hits)\n"
    )
    env = {**__import__("os").environ, "VISUALIZER_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs == [["0", "2", "0"], ["2", "0", "1"]]  # the two loops, the gradient
    assert len(list((tmp_path / "kernels").glob("booth_*.py"))) == 1
    assert len(list((tmp_path / "kernels").glob("optimizers_*.py"))) == 1


def test_the_kernel_files_change_with_any_source_they_are_built_from(monkeypatch):
    ls = landscapes.get("booth")
    landscape_source, landscape_modules = compiled._sources(ls)
    loops_source, loops_modules = compiled._sources(None)
    assert "def gradxy_c(" in landscape_source and "def losses_and_divergence(" in landscape_source
    assert "def few_adabelief(" in loops_source and "def many_adabelief(" in loops_source
    assert "def few_" not in landscape_source and "gradxy" not in loops_source.replace(
        "call_gradxy", "").replace("gradxy_c", "")  # each file alone: no landscape in the loops
    keys = [compiled._key(landscape_source, landscape_modules),
            compiled._key(loops_source, loops_modules)]
    assert compiled._key(landscape_source, landscape_modules) == keys[0] != keys[1]
    monkeypatch.setattr(compiled, "_VERSION", compiled._VERSION + "x")
    assert compiled._key(landscape_source, landscape_modules) != keys[0]
    assert compiled._key(loops_source, loops_modules) != keys[1]


def test_one_optimizers_loops_serve_every_landscape():
    """An optimizer is compiled once, not once per landscape: its kernels on two
    landscapes share the loops and differ only in the gradient's address."""
    a = compiled.kernel(landscapes.get("booth"), "adam", wait=True)
    b = compiled.kernel(landscapes.get("rosenbrock"), "adam", wait=True)
    assert (a.few, a.many) == (b.few, b.many) == compiled.optimizer_loops("adam")
    assert a.gradxy_c != b.gradxy_c and a.gradient_c != b.gradient_c
    assert len(a.few.signatures) == len(a.many.signatures) == 1


def test_asking_for_the_compiled_loop_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(compiled, "available", lambda: False)
    ls = landscapes.get("booth")
    with pytest.raises(ValueError, match="needs numba"):
        engine.run(ls, [engine.make_spec("adam")], (0.0, 0.0), 5, compiled=True)
    # Left to choose, the engine takes the NumPy loop.
    r = engine.run(ls, [engine.make_spec("adam")], np.zeros((300, 2)), 5)
    assert np.isfinite(r.points).all()
