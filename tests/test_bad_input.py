"""Bad input: a clear error naming the problem, never a traceback from NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.engine import optimizers

HIM = landscapes.get("himmelblau")


def test_unknown_optimizer_lists_choices():
    with pytest.raises(KeyError) as err:
        engine.make_spec("adma")
    assert "unknown optimizer 'adma'" in str(err.value)
    assert all(name in str(err.value) for name in optimizers.OPTIMIZERS)


@pytest.mark.parametrize("lr", [0.0, -1.0, math.nan, math.inf, 1e300, "0.1", [0.1]])
def test_bad_learning_rate(lr):
    with pytest.raises(engine.FieldError, match="^Learning rate: must be ") as err:
        engine.make_spec("adam", lr=lr)
    assert err.value.field == "learning rate"  # structured: the field and what is wrong


def test_a_learning_rate_of_0_reads_the_same_everywhere():
    """The engine's range is the one authority, and every box reads it in the same words."""
    from visualizer.engine import many
    from visualizer.pages import belief, ewc, lr, worked
    from visualizer.pages.race import scene

    want = "Learning rate: must be greater than 0 and at most 1000 (got 0)"
    with pytest.raises(engine.FieldError) as err:
        engine.make_spec("adam", lr=0.0)
    assert str(err.value) == want
    row = scene.Row.default("adam")
    assert scene.parse_row(scene.Row(**{**row.__dict__, "lr": "0"}))[1] == {"lr": want}
    for call in (lambda: belief.belief_settings("0", "300"),
                 lambda: ewc.ewc_settings("adam", "0", "1", "300"),
                 lambda: worked.parse_settings("0", "0.9", "2"),
                 lambda: engine.parse_spec("adam:lr=0")):
        with pytest.raises(engine.FieldError) as err:
            call()
        assert str(err.value) == want
    with pytest.raises(engine.FieldError, match="^Learning rates: must be greater than 0 and at most 1000 \\(got 0\\)$"):
        lr.parse_lrs("0.1, 0")
    with pytest.raises(engine.FieldError, match="^Learning rates: LO: must be greater than 0"):
        many.parse_lrs_range("0:1:5")


@pytest.mark.parametrize(("name", "key", "value"), [
    ("adam", "beta1", 1.0), ("adam", "beta2", -0.1), ("adabelief", "beta1", 1.5),
    ("lion", "beta2", 1.0), ("rmsprop", "rho", 1.0), ("adam", "eps", -1e-8),
    ("momentum", "momentum", -0.5), ("adamw", "weight_decay", math.nan),
])
def test_hyperparameter_out_of_range(name, key, value):
    with pytest.raises(engine.FieldError, match=f"^{key.capitalize()}: must be ") as err:
        engine.make_spec(name, **{key: value})
    assert err.value.field == key


def test_negative_decay_and_unknown_parameter():
    with pytest.raises(ValueError, match="^Decay: must be from 0 to 1000 \\(got -0.1\\)$"):
        engine.make_spec("gd", decay=-0.1)
    with pytest.raises(ValueError, match="gd has no parameter 'momentum'; choose from: lr, decay"):
        engine.make_spec("gd", momentum=0.9)


@pytest.mark.parametrize("start", [(math.nan, 0.0), (0.0, math.inf), (1e9, 0.0), "a b", (1, 2, 3),
                                   [[0, 0, 0]], []])
def test_bad_start(start):
    with pytest.raises(ValueError, match="Start: must"):
        engine.run(HIM, [engine.make_spec("gd")], start, 10)


@pytest.mark.parametrize("steps", [0, -5, engine.MAX_STEPS + 1, 2.5, "100", True])
def test_bad_steps(steps):
    with pytest.raises(engine.FieldError, match="^Steps: must be a "):
        engine.run(HIM, [engine.make_spec("gd")], (0, 0), steps)


def test_too_much_to_record_and_no_runs():
    starts = np.zeros((5000, 2))
    with pytest.raises(ValueError, match="too much to record"):
        engine.run(HIM, [engine.make_spec("gd")] * 10, starts, 1000)
    with pytest.raises(ValueError, match="no runs"):
        engine.run(HIM, [], (0, 0), 10)


@pytest.mark.parametrize("noise", [-1.0, math.nan, 1e9])
def test_bad_noise(noise):
    with pytest.raises(engine.FieldError, match="^Noise: must be "):
        engine.run(HIM, [engine.make_spec("gd")], (0, 0), 10, noise=noise)


def test_huge_but_valid_learning_rate_diverges_quietly():
    r = engine.run(HIM, [engine.make_spec("gd", lr=engine.MAX_LR)], (0, 0), 100)
    assert r.diverged_at[0, 0] == 1  # the first step already leaves the bound
