"""The worked example: two steps recomputed by hand, parsing, the callback."""

from __future__ import annotations

import math

import pytest
from dash import no_update

from visualizer.pages import worked
from visualizer.pages.race import callbacks

SIX_ROWS = ((1.0, 0.5, 2.0), (-0.5, 1.0, 0.5), (0.8, -0.6, 1.5), (-1.0, -0.4, 1.8),
            (0.2, 0.9, 0.1), (0.6, 0.3, 1.2))


def test_first_two_steps_by_hand():
    steps = worked.solve(SIX_ROWS, (1, -1, -1, 1), lr=0.1, beta=0.9, steps=2)
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
    steps = worked.solve(SIX_ROWS[:3], steps=3)
    assert [s.rows for s in steps] == [(0, 1), (2, 0), (1, 2)]


@pytest.mark.parametrize(("text", "message"), [
    ("1, 2", "line 1: expected three numbers"),
    ("1, 2, 3\n1, x, 3", "Line 2: must be a number \\(got 'x'\\)"),
    ("1, 2, nan\n1, 2, 3", "finite"),
    ("1, 2, 3", "at least 2 rows"),
    ("", "at least 2 rows"),
])
def test_bad_data_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        worked.parse_data(text)


@pytest.mark.parametrize(("lr", "beta", "steps", "message"), [
    ("abc", "0.9", "3", r"Learning rate: must be a number \(got 'abc'\)"),
    ("-1", "0.9", "3", r"Learning rate: must be greater than 0 and at most 1000 \(got -1\)"),
    ("0.1", "1", "3", r"Momentum β: must be at least 0 and less than 1 \(got 1\)"),
    ("0.1", "0.9", "2.5", r"Steps: must be a whole number \(got 2.5\)"),
    ("0.1", "0.9", "1e9", r"Steps: must be a whole number from 1 to 50 \(got 1,000,000,000\)"),
])
def test_bad_settings_are_named(lr, beta, steps, message):
    with pytest.raises(ValueError, match=message):
        worked.parse_settings(lr, beta, steps)


def test_callback_keeps_the_steps_and_says_what_is_wrong():
    data = worked.data_text(worked.DEFAULT_DATA)
    cards, error = worked.update_worked(data, "1, -1, -1, 1", "0.1", "0.9", "3", "torch", False,
                                           None, {})
    assert len(cards) == 3 and error == ""
    cards, error = worked.update_worked(data, "1, -1, -1", "0.1", "0.9", "3", "torch", False,
                                           None, {})
    assert error == "Initial weights: give four numbers: w1, w2, w3, b"
    assert cards is no_update


def test_a_huge_learning_rate_overflows_with_a_message():
    data = "100, 100, 1\n-100, 100, 2"
    cards, error = worked.update_worked(data, "1, 1, 1, 1", "10", "0.9", "50", "torch", False,
                                           None, {})
    assert "far too large" in error and len(cards) == 50


def test_csv_has_every_step_and_parameter_in_full_precision():
    steps = worked.solve(worked.DEFAULT_DATA, steps=2)
    lines = worked.csv_text(steps).splitlines()
    assert lines[0] == worked.CSV_HEADER and len(lines) == 1 + 2 * 4
    step, rows, param, before, grad, velocity, after = lines[5].split(",")
    assert (step, rows, param) == ("2", "3 4", "w1")
    assert float(after) == steps[1].params_after[0]
    assert math.isclose(float(before) - 0.1 * float(velocity), float(after), rel_tol=1e-15)


def test_download_sends_the_csv_and_nothing_for_a_bad_box():
    data = worked.data_text(worked.DEFAULT_DATA)
    sent = worked.download_worked(1, data, "1, -1, -1, 1", "0.1", "0.9", "2", "torch")
    assert sent["filename"] == "momentum_by_hand.csv"
    assert sent["content"] == worked.csv_text(worked.solve(worked.DEFAULT_DATA, steps=2))
    sent = worked.download_worked(1, data, "1, -1, -1, 1", "0.1", "0.9", "2", "ema")
    assert sent["content"] == worked.csv_text(worked.solve(worked.DEFAULT_DATA, steps=2, convention="ema"))
    with pytest.raises(callbacks.PreventUpdate):
        worked.download_worked(1, data, "1, -1, -1, 1", "0", "0.9", "2", "torch")


# -- The homework document's example ------------------------------------------------------
def test_the_document_example_is_the_default_and_its_correct_steps():
    """Recomputed here by hand: rows (x1, x2, y) = (1, -1, 10), (2, 0, 13), (0, 2, 11),
    (-1, 1, 7); w = (1, -1, -1, 1), lr 0.1, beta 0.9, batches of two rows in order."""
    steps = worked.solve(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, worked.DEFAULT_LR,
                       worked.DEFAULT_BETA, worked.DEFAULT_STEPS)
    assert len(steps) == 2
    s1, s2 = steps
    # step 1: features (1, 1, -1, 1) and (4, 0, 0, 1); y_hat = 1 - 1 + 1 + 1 = 2 and 4 + 1 = 5
    assert s1.predictions == (2.0, 5.0) and s1.residuals == (-8.0, -8.0)
    assert s1.grad == (-40.0, -8.0, 8.0, -16.0)  # -8*(1, 1, -1, 1) - 8*(4, 0, 0, 1)
    assert s1.params_after == pytest.approx((5.0, -0.2, -1.8, 2.6), abs=1e-12)
    # step 2: features (0, 4, 0, 1) and (1, 1, -1, 1)
    assert s2.predictions == pytest.approx((1.8, 9.2), abs=1e-12)  # -0.8 + 2.6; 5 - 0.2 + 1.8 + 2.6
    assert s2.loss == pytest.approx(0.5 * (9.2**2 + 2.2**2), abs=1e-12) == pytest.approx(44.74)
    assert s2.grad == pytest.approx((2.2, -34.6, -2.2, -7.0), abs=1e-12)
    assert s2.velocity == pytest.approx((-33.8, -41.8, 5.0, -21.4), abs=1e-12)
    assert s2.params_after == pytest.approx((8.38, 3.98, -2.3, 4.74), abs=1e-12)


def test_the_moving_average_convention():
    """v = beta v + (1 - beta) g: step 1's velocity is 0.1 g, so the first step is ten times shorter."""
    s1, s2 = worked.solve(worked.DEFAULT_DATA, convention="ema")
    assert s1.velocity == pytest.approx((-4.0, -0.8, 0.8, -1.6), abs=1e-12)
    assert s1.params_after == pytest.approx((1.4, -0.92, -1.08, 1.16), abs=1e-12)
    # step 2 from there, by hand: rows (0, 2, 11) and (-1, 1, 7)
    w = (1.4, -0.92, -1.08, 1.16)
    r3 = 4 * w[1] + w[3] - 11
    r4 = w[0] + w[1] - w[2] + w[3] - 7
    g = (r4, 4 * r3 + r4, -r4, r3 + r4)
    v = [0.9 * a + 0.1 * b for a, b in zip(s1.velocity, g, strict=True)]
    assert s2.grad == pytest.approx(g, abs=1e-12)
    assert s2.velocity == pytest.approx(v, abs=1e-12)
    assert s2.params_after == pytest.approx([a - 0.1 * b for a, b in zip(w, v, strict=True)], abs=1e-12)
    with pytest.raises(ValueError, match="unknown convention"):
        worked.solve(worked.DEFAULT_DATA, convention="nesterov")


def test_follow_with_no_answers_is_the_run():
    for convention in worked.CONVENTIONS:
        steps = worked.solve(worked.DEFAULT_DATA, steps=3, convention=convention)
        own, _ = worked.follow(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 3, convention, {})
        assert list(own) == worked.answer_keys(3)
        for s in steps:
            k = s.number
            got = [own[f"{k}.yhat.{j}"] for j in range(2)] + [own[f"{k}.loss"]]
            got += [own[f"{k}.{part}.{i}"] for part in ("grad", "vel", "w") for i in range(4)]
            want = [*s.predictions, s.loss, *s.grad, *s.velocity, *s.params_after]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_the_document_answer_is_marked_as_a_teacher_would():
    """The document's printed numbers: step 1's dL/dw1 and dL/dw2 use x1 and x2 where x1^2
    and x2^2 belong (-8*1 - 8*2 = -24, -8*(-1) - 8*0 = 8); its w1 and w2 follow from those;
    step 2's y_hat for row 3 is a new slip (from its own w: 4*(-1.8) + 2.6 = -4.6, not 7.8),
    row 4's follows (3.4 - 1.8 + 1.8 + 2.6 = 6); its loss is wrong even from its own
    residuals (1/2 (3.2^2 + 1^2) = 5.62, not 2.6); its gradient is wrong; its velocity and
    new weights follow from its own gradients (0.9*(-24) + 2 = -19.6, 3.4 + 0.1*19.6 = 5.36)."""
    texts = {k: f"{v:g}" for k, v in worked.DOCUMENT_ANSWER.items()}
    marks = worked.check(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 2, "torch", texts)
    status = {k: m.status for k, m in marks.items()}
    want = {"1.yhat.0": "right", "1.yhat.1": "right", "1.loss": "right",
            "1.grad.0": "wrong", "1.grad.1": "wrong", "1.grad.2": "right", "1.grad.3": "right",
            "1.vel.0": "follows", "1.vel.1": "follows", "1.vel.2": "right", "1.vel.3": "right",
            "1.w.0": "follows", "1.w.1": "follows", "1.w.2": "right", "1.w.3": "right",
            "2.yhat.0": "wrong", "2.yhat.1": "follows", "2.loss": "wrong",
            **{f"2.grad.{i}": "wrong" for i in range(4)},
            **{f"2.vel.{i}": "follows" for i in range(4)},
            **{f"2.w.{i}": "follows" for i in range(4)}}
    assert status == want and len(worked.DOCUMENT_ANSWER) == 30  # every number it prints
    assert "9 right · 8 wrong · 13 follow from an earlier slip · 0 blank" in worked.score(marks, 30)
    assert marks["1.grad.0"].hint == "this uses x₁ where x₁² belongs"
    assert marks["1.grad.1"].hint == "this uses x₂ where x₂² belongs"
    assert marks["2.yhat.0"].expected == pytest.approx(-4.6)
    assert marks["2.loss"].expected == pytest.approx(5.62)
    assert marks["2.vel.0"].expected == pytest.approx(-19.6)
    assert marks["2.w.0"].expected == pytest.approx(5.36) and marks["2.w.0"].correct == pytest.approx(8.38)


def test_check_marks_the_correct_values_right_and_names_common_slips():
    correct, _ = worked.follow(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 2, "torch", {})
    texts = {k: f"{v:.2f}" for k, v in correct.items()}  # rounded to two places, as by hand
    marks = worked.check(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 2, "torch", texts)
    assert {m.status for m in marks.values()} == {"right"} and len(marks) == len(correct)
    slips = {"1.res.0": ("8", "ŷ − y, not y − ŷ"), "1.loss": ("128", "½"),
             "1.vel.0": ("-4", "other convention"), "1.w.0": ("-3", "subtracted"),
             "1.grad.3": ("16", "sign is flipped")}
    for key, (text, hint) in slips.items():
        m = worked.check(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 2, "torch",
                         {key: text})[key]
        assert m.status == "wrong" and hint in m.hint, key
    marks = worked.check(worked.DEFAULT_DATA, worked.DEFAULT_WEIGHTS, 0.1, 0.9, 2, "torch",
                         {"1.loss": "abc", "1.grad.0": "", "9.loss": "3", "1.w.0": "−5.0"})
    assert marks["1.loss"].status == "unreadable" and set(marks) == {"1.loss", "1.w.0"}
    assert marks["1.w.0"].status == "wrong"  # a typeset minus reads as one: -5 is not 5
    assert worked.close(5.0 + 0.009, 5.0) and not worked.close(5.0 + 0.011, 5.0)
    assert worked.close(1000.9, 1000.0) and not worked.close(1001.1, 1000.0)


def test_check_work_callback_marks_in_the_page_order():
    data = worked.data_text(worked.DEFAULT_DATA)
    keys = ["1.grad.0", "1.grad.2", "1.w.0", "2.loss"]
    entries = [{"id": {"type": "worked-answer", "key": k}, "property": "value", "value": v}
               for k, v in zip(keys, ["-24", "8", "3.4", ""], strict=True)]
    mark_ids = [{"type": "worked-mark", "key": k} for k in reversed(keys)]
    children, classes, score, answers = worked.mark_answers(
        entries, mark_ids, [data, "1, -1, -1, 1", "0.1", "0.9", "2"], "torch")
    assert classes == ["w-mark", "w-mark follows", "w-mark right", "w-mark wrong"]
    assert children[3] == "✗ wrong: this uses x₁ where x₁² belongs"
    assert score.endswith("1 right · 1 wrong · 1 follow from an earlier slip · 1 blank.")
    assert answers == {"1.grad.0": "-24", "1.grad.2": "8", "1.w.0": "3.4", "2.loss": ""}
    children, *_ = worked.mark_answers(entries, mark_ids, [data, "1", "0.1", "0.9", "2"], "torch")
    assert children == [no_update] * 4  # a bad box: the marks wait


def test_checking_cards_have_a_box_for_every_quantity_and_keep_entries():
    data = worked.data_text(worked.DEFAULT_DATA)
    cards, _ = worked.update_worked(data, "1, -1, -1, 1", "0.1", "0.9", "2", "torch", True,
                                       None, {"1.loss": "64"})
    found = []

    def walk(node):
        if node is None or isinstance(node, (str, int, float)):
            return
        if isinstance(node, (list, tuple)):
            for n in node:
                walk(n)
            return
        props = getattr(node, "id", None)
        if isinstance(props, dict) and props.get("type") == "worked-answer":
            found.append((props["key"], node.value))
        walk(getattr(node, "children", None))

    walk(cards)
    assert [k for k, _ in found] == worked.answer_keys(2)
    assert dict(found)["1.loss"] == "64" and dict(found)["1.w.0"] == ""


def test_checking_link_round_trips():
    texts = (worked.data_text(worked.DEFAULT_DATA), "1, -1, -1, 1", "0.1", "0.9", "2")
    query = worked.to_query(*texts, "ema", True, {"1.grad.0": "-24", "2.w.3": "3.96", "1.loss": " "})
    assert "conv=ema" in query and "check=1" in query
    assert worked.checking_from_query(query) == ("ema", True, {"1.grad.0": "-24", "2.w.3": "3.96"})
    assert worked.checking_from_query("?page=worked&conv=nope&ans=bad:1;1.loss:2") == (
        "torch", False, {"1.loss": "2"})
