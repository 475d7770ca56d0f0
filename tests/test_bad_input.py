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
    with pytest.raises(ValueError, match="learning rate|lr value"):
        engine.make_spec("adam", lr=lr)


@pytest.mark.parametrize(("name", "key", "value"), [
    ("adam", "beta1", 1.0), ("adam", "beta2", -0.1), ("adabelief", "beta1", 1.5),
    ("lion", "beta2", 1.0), ("rmsprop", "rho", 1.0), ("adam", "eps", -1e-8),
    ("momentum", "momentum", -0.5), ("adamw", "weight_decay", math.nan),
])
def test_hyperparameter_out_of_range(name, key, value):
    with pytest.raises(ValueError, match=f"Invalid {key} value"):
        engine.make_spec(name, **{key: value})


def test_negative_decay_and_unknown_parameter():
    with pytest.raises(ValueError, match="Invalid decay value: -0.1"):
        engine.make_spec("gd", decay=-0.1)
    with pytest.raises(ValueError, match="gd has no parameter 'momentum'; choose from: lr, decay"):
        engine.make_spec("gd", momentum=0.9)


@pytest.mark.parametrize("start", [(math.nan, 0.0), (0.0, math.inf), (1e9, 0.0), "a b", (1, 2, 3),
                                   [[0, 0, 0]], []])
def test_bad_start(start):
    with pytest.raises(ValueError, match="Invalid start"):
        engine.run(HIM, [engine.make_spec("gd")], start, 10)


@pytest.mark.parametrize("steps", [0, -5, engine.MAX_STEPS + 1, 2.5, "100", True])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match="Invalid steps value"):
        engine.run(HIM, [engine.make_spec("gd")], (0, 0), steps)


def test_too_much_to_record_and_no_runs():
    starts = np.zeros((5000, 2))
    with pytest.raises(ValueError, match="too much to record"):
        engine.run(HIM, [engine.make_spec("gd")] * 10, starts, 1000)
    with pytest.raises(ValueError, match="no runs"):
        engine.run(HIM, [], (0, 0), 10)


@pytest.mark.parametrize("noise", [-1.0, math.nan, 1e9])
def test_bad_noise(noise):
    with pytest.raises(ValueError, match="Invalid noise value"):
        engine.run(HIM, [engine.make_spec("gd")], (0, 0), 10, noise=noise)


def test_huge_but_valid_learning_rate_diverges_quietly():
    r = engine.run(HIM, [engine.make_spec("gd", lr=engine.MAX_LR)], (0, 0), 100)
    assert r.diverged_at[0, 0] == 1  # the first step already leaves the bound
