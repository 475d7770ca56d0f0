"""The step inspector: its numbers are the engine's, its formulas compute them."""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import pytest

import landscapes
from visualizer import engine
from visualizer.engine import export, optimizers
from visualizer.pages.race import callbacks, inspector

NAMES = list(optimizers.OPTIMIZERS)


@pytest.fixture(scope="module")
def result():
    specs = [engine.make_spec(n, lr=0.001 if n != "adadelta" else 1.0, decay=0.01) for n in NAMES]
    specs.append(engine.make_spec("adamw", lr=0.001, decay=0.01, weight_decay=0.1))
    return engine.run(landscapes.get("rosenbrock"), specs, (-1.2, 1.0), 40)


@pytest.mark.parametrize("run", range(len(NAMES) + 1))
@pytest.mark.parametrize("t", [1, 2, 17, 40])
def test_the_step_is_the_engines_record(result, run, t):
    s = inspector.step(result, run, t)
    base = 1.0 if s.optimizer == "adadelta" else 0.001
    assert s.t == t and s.lr == result.lrs[run, t - 1]
    assert s.lr == pytest.approx(base / (1 + 0.01 * (t - 1)), rel=1e-15)
    assert not result.diverged_at[run, 0] >= 0
    np.testing.assert_array_equal(s.grad, result.grads[run, 0, t - 1])
    np.testing.assert_array_equal(s.point_before, result.points[run, 0, t - 1])
    np.testing.assert_array_equal(s.point_after, result.points[run, 0, t])
    np.testing.assert_array_equal(s.delta, result.points[run, 0, t] - result.points[run, 0, t - 1])
    for field, arr in result.states[run].items():
        np.testing.assert_array_equal(s.state_after[field], arr[0, t - 1])
        expected_before = arr[0, t - 2] if t > 1 else np.zeros(2)
        np.testing.assert_array_equal(s.state_before[field], expected_before)
    assert set(s.state_after) == set(optimizers.info(s.optimizer).state_fields)


def _evaluate(latex: str) -> float:
    """The number a line's middle part (the numbers put in) works out to.

    Test-only: turns our own LaTeX into Python arithmetic and evaluates it with
    no names available but sqrt, max and abs.
    """
    text = latex.replace(r"\cdot", "*").replace(r"\max", "max").replace(r"\text{nan}", "nan")
    text = re.sub(r"(\d)\*\s*10\^\{(-?\d+)\}", r"\1e\2", text)  # 1\cdot 10^{-8}
    for _ in range(20):  # innermost first; a line it cannot reduce fails, never hangs
        if r"\frac" not in text:
            break
        text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", text)
        text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
    else:
        raise AssertionError(f"cannot work out {latex}")
    text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
    text = text.replace("^2", "**2").replace("|", " abs_bar ")
    text = re.sub(r"abs_bar ([^|]*?) abs_bar", r"abs(\1)", text)
    return eval(text, {"__builtins__": {}}, {"sqrt": math.sqrt, "max": max, "abs": abs})  # noqa: S307


@pytest.mark.parametrize("run", range(len(NAMES) + 1))
def test_each_line_with_its_numbers_gives_its_result(result, run):
    """Work every typeset line out from the numbers it shows: it must give the
    bold result (to the 6 digits shown), so the rule and the numbers agree."""
    for t in (1, 5, 40):
        s = inspector.step(result, run, t)
        for i in (0, 1):
            lines = inspector.rule_lines(s, i)
            assert lines[0].startswith(f"g_{{{t}}} = ")
            last_value = float(s.point_after[i])
            assert lines[-1].startswith(r"\theta") or s.optimizer == "lion"
            for line in lines[1:]:
                parts = line.split(" = ")
                if len(parts) != 4 or r"\mathbf" not in line:
                    continue  # a line of facts (RAdam's rho, NAdam's mu), not a computation
                assert parts[3].startswith(r"\mathbf{") and parts[3].endswith("}")
                shown = _evaluate(parts[3][len(r"\mathbf{"):-1])
                worked = _evaluate(parts[2])
                assert worked == pytest.approx(shown, rel=2e-4, abs=1e-9), (s.optimizer, line)
            theta = [ln for ln in lines if ln.startswith(rf"\theta^{{{'xy'[i]}}}_{{{t}}}")]
            assert theta and inspector.num(last_value) in theta[0]


def test_radam_before_and_after_its_switch(result):
    run = NAMES.index("radam")
    early, late = inspector.rule_lines(inspector.step(result, run, 3), 0), inspector.rule_lines(
        inspector.step(result, run, 40), 0)
    assert any(r"\le 5" in ln for ln in early) and not any("r_{3}" in ln for ln in early)
    assert any(ln.startswith("r_{40}") for ln in late)


def test_csv_has_every_step_of_every_run_at_full_precision(result):
    rows = list(csv.DictReader(io.StringIO(export.steps_csv(result))))
    assert len(rows) == 40 * len(result.specs)
    adam = [r for r in rows if r["optimizer"] == "adam"]
    run = NAMES.index("adam")
    for r in (adam[0], adam[-1]):
        t = int(r["step"])
        assert float(r["exp_avg_sq_y"]) == result.states[run]["exp_avg_sq"][0, t - 1, 1]
        assert float(r["x"]) == result.points[run, 0, t, 0]
        assert float(r["grad_x"]) == result.grads[run, 0, t - 1, 0]
        assert float(r["lr"]) == result.lrs[run, t - 1]
        assert r["momentum_buffer_x"] == ""  # another optimizer's column


def test_a_diverged_run_is_inspected_up_to_its_divergence():
    r = engine.run(landscapes.get("ill_conditioned_bowl"), [engine.make_spec("gd", lr=0.5)],
                   (1.0, 1.0), 200)
    d = int(r.diverged_at[0, 0])
    assert d > 0 and inspector.last_step(r, 0) == d
    rows = list(csv.DictReader(io.StringIO(export.steps_csv(r))))
    assert len(rows) == d
    with pytest.raises(ValueError, match="step must be from 1 to 200"):
        inspector.step(r, 0, 201)
    text = str(callbacks.inspector_view.card(r, 0, 150))
    assert f"diverged at step {d}; showing step {d}" in text


def test_the_callback_shows_the_step_the_player_is_on():
    query = "?landscape=booth&start=0,0&steps=30&opt=momentum:lr=0.01,decay=0&opt=adam:lr=0.1,decay=0"
    cards, job = callbacks.inspect_step({"query": query, "epoch": 12})
    assert job is callbacks.no_update  # a light scene: recorded in the request
    text = str(cards)
    assert "Step 12: from epoch 11 to epoch 12" in text
    assert text.count("i-card") == 2
    result = callbacks._recorded(query)
    b = result.states[0]["momentum_buffer"][0, 11]
    assert f"{b[0]:.8g}" in text and f"{b[1]:.8g}" in text  # the table shows the record
    assert "Step 1: from epoch 0" in str(callbacks.inspect_step({"query": query, "epoch": 0})[0])
    assert "Step 1: from" in str(callbacks.inspect_step({"query": query, "epoch": "junk"})[0])
    empty, _ = callbacks.inspect_step({"query": "?landscape=booth&steps=30", "epoch": 3})
    assert "Tick an optimizer" in str(empty)
    download, notice, job, _ = callbacks.download_steps(1, query)
    assert download["filename"] == "steps-booth.csv" and notice == "" and job is callbacks.no_update
    assert download["content"].count("\n") == 1 + 2 * 30


def test_every_optimizers_card_renders_with_its_fields_letters(result):
    """Each registry entry's card, as the step inspector shows it: every state field is
    labelled with the letter it carries (optimizers.StateField), so a new optimizer with a
    new state name needs no table elsewhere."""
    import json

    from visualizer.pages.race import inspector_view

    for run, spec in enumerate(result.specs):
        card = json.dumps(inspector_view.card(result, run, 3).to_plotly_json(),
                          default=lambda o: o.to_plotly_json(), ensure_ascii=False)
        for field in optimizers.info(spec.optimizer).state_fields:
            assert isinstance(field, optimizers.StateField) and field.letter
            assert f"{field.letter} ({field}) before" in card and f"{field.letter} ({field}) after" in card
    renamed = optimizers.StateField("velocity_in_a_new_name", "w")
    assert renamed == "velocity_in_a_new_name" and renamed.letter == "w"
    import pickle

    assert pickle.loads(pickle.dumps(renamed)).letter == "w"  # kept in the class's cache


def test_a_csv_of_every_step_too_long_for_a_request_is_written_by_a_job(monkeypatch):
    """Over a request's budget, the CSV of every step is asked of a background job,
    which writes it into the class's cache; GET /download/steps.csv sends it, the
    same text the request would have written. Over a job's budget, a message."""
    import gzip

    import app
    from visualizer import engine
    from visualizer.engine import export

    query = "?landscape=booth&start=0,0&steps=30&opt=momentum:lr=0.01,decay=0&opt=adam:lr=0.1,decay=0"
    rows = 2 * 30
    monkeypatch.setattr(export, "STEP_ROW_SECONDS", engine.REQUEST_BUDGET / (rows - 1))
    download, notice, job, status = callbacks.download_steps(1, query)
    assert download is callbacks.no_update and notice == "" and job == {"query": query}
    assert status == "Writing it in the background…"
    done = callbacks.steps_csv_job(job)
    assert done["filename"] == "steps-booth.csv" and done["url"].startswith("download/steps.csv?key=")
    answer = app.server.test_client().get("/" + done["url"])
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.data).decode() == export.steps_csv(callbacks._recorded(query))
    monkeypatch.setattr(export, "STEP_ROW_SECONDS", engine.JOB_BUDGET / (rows - 1))
    download, notice, job, status = callbacks.download_steps(1, query)
    assert "over the 5 s one background job may take" in notice and job is callbacks.no_update
    forged = {"query": query.replace("steps=30", "steps=3000")}  # asked of the job directly
    assert "one background job may take" in callbacks.steps_csv_job(forged)["error"]
