"""Schedules against NumPy restatements of their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from visualizer import engine
from visualizer.engine import schedules

K = np.arange(300)


def test_inverse_time_is_torchs_lambdalr():
    spec = engine.make_spec("adam", lr=0.02, decay=0.05)
    expected = [0.02 * (1 / (1 + 0.05 * k)) for k in range(300)]  # LambdaLR: base_lr * lambda(k)
    assert spec.learning_rates(300).tolist() == expected
    assert spec.learning_rates(1)[0] == 0.02  # step 1 is not decayed


def test_step_exponential_cosine_closed_forms():
    np.testing.assert_allclose(schedules.step_decay(50, 0.5)(K), 0.5 ** (K // 50), rtol=1e-15)
    np.testing.assert_allclose(schedules.exponential(0.99)(K), 0.99**K, rtol=1e-13)
    cos = schedules.cosine(200, 0.1)(K)
    expected = [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(k, 200) / 200)) for k in K]
    np.testing.assert_allclose(cos, expected, rtol=1e-13)
    assert cos[0] == 1.0 and cos[200] == pytest.approx(0.1) and (cos[200:] == cos[200]).all()
    np.testing.assert_array_equal(schedules.constant()(K), np.ones(300))


def test_warmup_ramps_linearly_then_hands_over():
    s = schedules.warmup(10, schedules.exponential(0.9))(K)
    np.testing.assert_allclose(s[:10], (np.arange(10) + 1) / 10)
    np.testing.assert_allclose(s[10:], 0.9 ** np.arange(290), rtol=1e-13)
    assert schedules.warmup(0, schedules.constant()) is not None


@pytest.mark.parametrize("make", [
    lambda: schedules.step_decay(7, 0.3), lambda: schedules.cosine(40),
    lambda: schedules.warmup(5, schedules.cosine(20, 0.2)), lambda: schedules.inverse_time(0.1),
])
def test_scalar_call_equals_array_element(make):
    s = make()
    values = s(K)
    assert [float(s(int(k))) for k in range(60)] == values[:60].tolist()


def test_named_schedule_on_top_of_decay():
    spec = engine.make_spec("gd", lr=0.1, decay=0.01, schedule="cosine", warmup=10)
    lr = spec.learning_rates(110)
    decay = 1 / (1 + 0.01 * np.arange(110))
    named = schedules.warmup(10, schedules.cosine(100))(np.arange(110))
    np.testing.assert_allclose(lr, 0.1 * decay * named, rtol=1e-15)
    assert spec.params()["schedule"] == "cosine" and spec.params()["warmup"] == 10


@pytest.mark.parametrize(("schedule", "params", "message"), [
    ("linear", {}, "unknown schedule 'linear'; choose from: constant, step"),
    ("step", {"gamma": 1.5}, "Gamma: must be "),
    ("step", {"step_size": 2.5}, "must be a whole number"),
    ("cosine", {"warmup": -1}, "Warmup: must be a whole number from 0 to "),
    ("exponential", {"period": 3}, "has no parameter 'period'"),
])
def test_bad_schedule_settings(schedule, params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        engine.make_spec("adam", schedule=schedule, **params)
