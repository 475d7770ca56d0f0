"""The budgets: work is bounded by what it costs, checked before running; a
request computes at most ``engine.REQUEST_BUDGET``, a background job at most
``engine.JOB_BUDGET`` (the race sends a scene too heavy for a request there)."""

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

    monkeypatch.setattr(engine.loop, "_numpy_loop", never)
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
    """Every optimizer at the most epochs the race allows, on the compiled loop
    (Himmelblau) and the NumPy loop's landscapes: the race takes it (at once or
    as a background job, never refused) and the job's budget runs it."""
    ls = landscapes.get(name)
    rows = scene.Scene().rows
    out = callbacks.compute_runs({"landscape": name, "x": ls.start[0], "y": ls.start[1]},
                                 str(scene.MAX_APP_STEPS), [True] * len(rows),
                                 [r.lr for r in rows], [r.decay for r in rows], {})
    runs, query, _errors, _steps_error, status, job = out
    assert "Too much work" not in status
    assert runs is not callbacks.no_update or job == {"query": query}
    r = engine.run(ls, EVERY, ls.start, scene.MAX_APP_STEPS, record_state=False,
                   budget=engine.JOB_BUDGET)
    assert r.points.shape == (len(NAMES), 1, scene.MAX_APP_STEPS + 1, 2)


def test_the_registry_can_grow_without_the_race_refusing_its_largest_scene():
    """Room to spare: twice today's optimizers at the most epochs still fit a
    background job's budget on the slowest registered landscape, so adding an
    optimizer to the registry is all it takes."""
    slowest = max(engine.estimate_seconds(landscapes.get(n), 2 * len(NAMES), 2 * len(NAMES),
                                          scene.MAX_APP_STEPS, compiled=False)
                  for n in landscapes.names())
    assert slowest < engine.JOB_BUDGET


def test_the_estimate_grows_with_the_work():
    ls, deep = landscapes.get("himmelblau"), landscapes.get(DEEP)
    base = engine.estimate_seconds(ls, 4, 4, 1000, compiled=False)
    assert engine.estimate_seconds(ls, 4, 4, 2000, compiled=False) == pytest.approx(2 * base)
    assert engine.estimate_seconds(ls, 14, 14, 1000, compiled=False) > base
    assert engine.estimate_seconds(deep, 4, 4, 1000, compiled=False) > 5 * base
    assert engine.estimate_seconds(ls, 4, 4, 1000, compiled=True) < base / 10
    assert deep.cost > 500 and ls.cost == landscapes.Landscape.cost


DEEPEST = f"formula:-5,5,-5,5:{_nest(20)}"  # as deep as a formula may go: 8 s for every optimizer


def test_the_race_shows_the_budget_message_and_keeps_its_runs():
    rows = scene.Scene().rows
    start = {"landscape": DEEPEST, "x": 0.1, "y": 0.2}
    out = callbacks.compute_runs(start, "10000", [True] * len(rows),
                                 [r.lr for r in rows], [r.decay for r in rows], {})
    runs, query, _errors, steps_error, status, job = out
    assert runs is callbacks.no_update and query is callbacks.no_update and steps_error == ""
    assert status.startswith("Too much work for one background job") and "shorten the formula" in status
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
