"""The per-request budget: work is bounded by what it costs, checked before running."""

from __future__ import annotations

import pytest

import landscapes
from visualizer import engine
from visualizer.engine import optimizers
from visualizer.pages.race import callbacks, scene

NAMES = list(optimizers.OPTIMIZERS)
EVERY = [engine.make_spec(n, lr=1.0 if n == "adadelta" else 1e-3) for n in NAMES]


def _nest(depth: int) -> str:
    text = "x"
    for i in range(depth):
        text = f"sin({'x' if i % 2 else 'y'}*{text})"
    return text


DEEP = f"formula:-5,5,-5,5:{_nest(12)}"  # checked on its grid in about 0.13 s


def test_an_over_budget_scene_is_refused_before_running(monkeypatch):
    def never(*a):
        raise AssertionError("ran")

    monkeypatch.setattr(engine, "_numpy_loop", never)
    with pytest.raises(engine.BudgetError) as err:
        engine.run(landscapes.get(DEEP), EVERY, (0.1, 0.2), 10_000, budget=1.0)
    message = str(err.value)
    assert message.startswith(f"Too much work for one request: 10,000 epochs x {len(NAMES)} optimizers")
    assert "over the 1 s allowed; lower the epochs to at most" in message
    assert f"or use fewer than {len(NAMES)} optimizers, or shorten the formula." in message
    fit = int(message.split("at most ")[1].split(" ")[0].replace(",", ""))
    monkeypatch.undo()
    engine.run(landscapes.get(DEEP), EVERY, (0.1, 0.2), fit, budget=1.0)  # what it says fits


@pytest.mark.parametrize("name", ["himmelblau", "ackley", "plateau"])
def test_the_largest_legal_scene_on_a_registered_landscape_is_admitted(name):
    ls = landscapes.get(name)
    r = engine.run(ls, EVERY, ls.start, scene.MAX_APP_STEPS, record_state=False,
                   budget=engine.REQUEST_BUDGET)
    assert r.points.shape == (len(NAMES), 1, scene.MAX_APP_STEPS + 1, 2)


def test_the_estimate_grows_with_the_work():
    ls, deep = landscapes.get("himmelblau"), landscapes.get(DEEP)
    base = engine.estimate_seconds(ls, 4, 4, 1000, compiled=False)
    assert engine.estimate_seconds(ls, 4, 4, 2000, compiled=False) == pytest.approx(2 * base)
    assert engine.estimate_seconds(ls, 14, 14, 1000, compiled=False) > base
    assert engine.estimate_seconds(deep, 4, 4, 1000, compiled=False) > 5 * base
    assert engine.estimate_seconds(ls, 4, 4, 1000, compiled=True) < base / 10
    assert deep.cost > 500 and ls.cost == landscapes.Landscape.cost


def test_the_race_shows_the_budget_message_and_keeps_its_runs():
    rows = scene.Scene().rows
    start = {"landscape": DEEP, "x": 0.1, "y": 0.2}
    out = callbacks.compute_runs(start, "10000", [True] * len(rows),
                                 [r.lr for r in rows], [r.decay for r in rows], {})
    runs, query, _errors, steps_error, status, job = out
    assert runs is callbacks.no_update and query is callbacks.no_update and steps_error == ""
    assert status.startswith("Too much work for one request") and "shorten the formula" in status
    assert job is callbacks.no_update  # refused at once, not sent to the background
    ok = callbacks.compute_runs(start, "10", [True] * len(rows), [r.lr for r in rows],
                                [r.decay for r in rows], {})
    assert len(ok[0]["runs"]) == len(NAMES) and ok[1].startswith("?landscape=formula")


def test_the_numpy_loop_asked_for_is_held_to_the_budget_too():
    ls = landscapes.get("himmelblau")
    with pytest.raises(engine.BudgetError, match="lower the epochs to at most"):
        engine.run(ls, EVERY, ls.start, 10_000, compiled=False, budget=0.5)
    r = engine.run(ls, EVERY, ls.start, 10_000, budget=0.5)  # compiled, it fits
    assert r.points.shape[2] == 10_001
