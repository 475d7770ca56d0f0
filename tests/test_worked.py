"""The worked example: two steps recomputed by hand, parsing, the callback."""

from __future__ import annotations

import math

import pytest

from visualizer import callbacks, worked


def test_first_two_steps_by_hand():
    steps = worked.run(worked.DEFAULT_DATA, (1, -1, -1, 1), lr=0.1, beta=0.9, steps=2)
    s1, s2 = steps
    # Step 1, rows 1 and 2: (x1, x2, y) = (1, 0.5, 2) and (-0.5, 1, 0.5).
    # Features (x1^2, x2^2, x1 x2, 1): (1, 0.25, 0.5, 1) and (0.25, 1, -0.5, 1).
    # y_hat1 = 1*1 - 1*0.25 - 1*0.5 + 1 = 1.25, y_hat2 = 0.25 - 1 + 0.5 + 1 = 0.75.
    assert s1.rows == (0, 1)
    assert s1.predictions == (1.25, 0.75)
    assert s1.residuals == (-0.75, 0.25)
    assert s1.loss == 0.5 * (0.75**2 + 0.25**2) == 0.3125
    # dL/dw1 = -0.75*1 + 0.25*0.25, dL/dw2 = -0.75*0.25 + 0.25*1,
    # dL/dw3 = -0.75*0.5 + 0.25*(-0.5), dL/db = -0.75 + 0.25.
    assert s1.grad == (-0.6875, 0.0625, -0.5, -0.5)
    assert s1.velocity == s1.grad  # v = 0.9*0 + g
    assert s1.params_after == pytest.approx((1.06875, -1.00625, -0.95, 1.05), rel=1e-15)

    # Step 2, rows 3 and 4: (0.8, -0.6, 1.5) and (-1, -0.4, 1.8).
    w1, w2, w3, b = 1.06875, -1.00625, -0.95, 1.05
    f3 = (0.64, 0.36, -0.48, 1.0)
    f4 = (1.0, 0.16, 0.4, 1.0)
    y3 = w1 * 0.64 + w2 * 0.36 + w3 * -0.48 + b
    y4 = w1 * 1.0 + w2 * 0.16 + w3 * 0.4 + b
    r3, r4 = y3 - 1.5, y4 - 1.8
    g = [r3 * f3[j] + r4 * f4[j] for j in range(4)]
    v = [0.9 * s1.grad[j] + g[j] for j in range(4)]
    after = [(w1, w2, w3, b)[j] - 0.1 * v[j] for j in range(4)]
    assert s2.rows == (2, 3)
    assert s2.predictions == pytest.approx((y3, y4), rel=1e-14)
    assert s2.loss == pytest.approx(0.5 * (r3 * r3 + r4 * r4), rel=1e-14)
    assert s2.grad == pytest.approx(g, rel=1e-13)
    assert s2.velocity == pytest.approx(v, rel=1e-13)
    assert s2.params_after == pytest.approx(after, rel=1e-13)
    assert s2.params_before == s1.params_after


def test_batches_wrap_around_the_data():
    steps = worked.run(worked.DEFAULT_DATA[:3], steps=3)
    assert [s.rows for s in steps] == [(0, 1), (2, 0), (1, 2)]


@pytest.mark.parametrize(("text", "message"), [
    ("1, 2", "line 1: expected three numbers"),
    ("1, 2, 3\n1, x, 3", "line 2: 'x' is not a number"),
    ("1, 2, nan\n1, 2, 3", "finite"),
    ("1, 2, 3", "at least 2 rows"),
    ("", "at least 2 rows"),
])
def test_bad_data_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        worked.parse_data(text)


@pytest.mark.parametrize(("lr", "beta", "steps", "message"), [
    ("abc", "0.9", "3", "learning rate: 'abc' is not a number"),
    ("-1", "0.9", "3", r"learning rate: must be in \(0, 10\]"),
    ("0.1", "1", "3", r"momentum β: must be in \[0, 1\)"),
    ("0.1", "0.9", "2.5", "steps: a whole number"),
    ("0.1", "0.9", "1e9", "steps: a whole number"),
])
def test_bad_settings_are_named(lr, beta, steps, message):
    with pytest.raises(ValueError, match=message):
        worked.parse_settings(lr, beta, steps)


def test_callback_keeps_the_steps_and_says_what_is_wrong():
    data = worked.data_text(worked.DEFAULT_DATA)
    cards, error = callbacks.update_worked(data, "1, -1, -1, 1", "0.1", "0.9", "3")
    assert len(cards) == 3 and error == ""
    cards, error = callbacks.update_worked(data, "1, -1, -1", "0.1", "0.9", "3")
    assert error == "give four numbers: w1, w2, w3, b"
    assert cards is callbacks.no_update


def test_a_huge_learning_rate_overflows_with_a_message():
    data = "100, 100, 1\n-100, 100, 2"
    cards, error = callbacks.update_worked(data, "1, 1, 1, 1", "10", "0.9", "50")
    assert "far too large" in error and len(cards) == 50


def test_csv_has_every_step_and_parameter_in_full_precision():
    steps = worked.run(worked.DEFAULT_DATA, steps=2)
    lines = worked.csv_text(steps).splitlines()
    assert lines[0] == worked.CSV_HEADER and len(lines) == 1 + 2 * 4
    step, rows, param, before, grad, velocity, after = lines[5].split(",")
    assert (step, rows, param) == ("2", "3 4", "w1")
    assert float(after) == steps[1].params_after[0]
    assert math.isclose(float(before) - 0.1 * float(velocity), float(after), rel_tol=1e-15)


def test_download_sends_the_csv_and_nothing_for_a_bad_box():
    data = worked.data_text(worked.DEFAULT_DATA)
    sent = callbacks.download_worked(1, data, "1, -1, -1, 1", "0.1", "0.9", "2")
    assert sent["filename"] == "momentum_by_hand.csv"
    assert sent["content"] == worked.csv_text(worked.run(worked.DEFAULT_DATA, steps=2))
    with pytest.raises(callbacks.PreventUpdate):
        callbacks.download_worked(1, data, "1, -1, -1, 1", "0", "0.9", "2")
