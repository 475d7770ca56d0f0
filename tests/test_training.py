"""Training real models: the data sets, the models' gradients, and every optimizer's
training equal to torch.optim with autograd (tests/data/torch_training.json, written
by scripts/make_torch_training_reference.py) to 1e-10 in float64."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from visualizer import engine
from visualizer.engine import optimizers, training
from visualizer.engine.fields import FieldError
from visualizer.engine.training import datasets, models, tasks

REFERENCE = json.loads((pathlib.Path(__file__).parent / "data" / "torch_training.json").read_text())
CASES = REFERENCE["cases"]


def _run(case: dict) -> training.Training:
    data = training.load(case["data"], size=case["size"], noise=case["noise"], seed=case["seed"],
                         test=case["test"])
    model = training.parse_model(case["model"], data.features, data.outputs, case["activation"])
    return training.train(data, model, [engine.parse_spec(case["optimizer"])], case["epochs"],
                          batch=case["batch"], seed=case["seed"], init_seed=case["init_seed"])


def test_the_reference_covers_every_optimizer_and_every_kind_of_model():
    names = {c["optimizer"].partition(":")[0] for c in CASES}
    assert names == set(optimizers.OPTIMIZERS)
    assert {c["activation"] for c in CASES} == set(models.ACTIVATIONS)
    assert {c["data"] for c in CASES} >= {"moons", "wave", "digits", "blobs", "spirals"}
    assert any(c["batch"] is None for c in CASES) and any(c["batch"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['data']}-{c['optimizer']}" for c in CASES])
def test_training_equals_torch_with_autograd(case):
    result = _run(case)
    want_w = np.array(case["weights"])
    want_train, want_test = np.array(case["train_loss"]), np.array(case["test_loss"])
    fine = np.isfinite(want_train) & (np.abs(want_w) <= training.WEIGHT_BOUND).all(axis=1)
    good = int(fine.argmin()) if not fine.all() else len(fine)  # torch's first bad epoch
    assert good >= 2, "a case must train a while before it diverges"
    np.testing.assert_allclose(result.weights[0, :good], want_w[:good], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(result.train_loss[0, :good], want_train[:good], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.test_loss[0, :good], want_test[:good], rtol=1e-10, atol=1e-12)
    if good < len(fine):  # the engine stops where torch's numbers leave the bound
        assert result.diverged_at[0] == good
        assert np.isnan(result.weights[0, good:]).all() and np.isnan(result.train_loss[0, good:]).all()
    else:
        assert result.diverged_at[0] == -1


TWO_TASKS = REFERENCE["two_tasks"]


@pytest.mark.parametrize("case", TWO_TASKS, ids=[c["data"] for c in TWO_TASKS])
def test_two_tasks_equal_torch_with_per_row_fisher(case):
    """Task A, the Fisher at its end (torch: a backward pass per row and class), then
    task B plainly, with L2 and with EWC (torch: the penalty in the loss), and both
    tasks' held-out losses throughout: equal to 1e-10."""
    data = training.load(case["data"], size=case["size"], noise=case["noise"], seed=case["seed"],
                         test=case["test"])
    model = training.parse_model(case["model"], data.features, data.outputs, case["activation"])
    result = tasks.two_tasks(data, model, engine.parse_spec(case["optimizer"]), case["epochs"],
                             batch=case["batch"], seed=case["seed"], init_seed=case["init_seed"],
                             ewc=case["ewc"], l2=case["l2"])
    np.testing.assert_allclose(result.fisher, case["fisher"], rtol=1e-10, atol=1e-14)
    assert np.count_nonzero(result.fisher) > len(result.fisher) // 2
    first = case["first"]
    np.testing.assert_allclose(result.first.weights[0], first["weights"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(result.first.test_loss[0], first["test_loss"], rtol=1e-10)
    np.testing.assert_allclose(result.first.watch_loss[0], first["watch_loss"], rtol=1e-10)
    assert [s.optimizer for s in result.second.specs] == [case["optimizer"].partition(":")[0]] * 3
    for r, way in enumerate(case["second"]):
        np.testing.assert_allclose(result.second.weights[r], way["weights"], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(result.second.test_loss[r], way["test_loss"], rtol=1e-10)
        np.testing.assert_allclose(result.second.watch_loss[r], way["watch_loss"], rtol=1e-10)
    # the three ways part after the switch: the penalties did something
    ends = result.second.weights[:, -1]
    assert not np.allclose(ends[0], ends[1]) and not np.allclose(ends[1], ends[2])
    # both tasks over both phases, joined at the switch
    a = result.curve("a", "loss")
    assert a.shape == (3, 2 * case["epochs"] + 1)
    np.testing.assert_array_equal(a[:, :case["epochs"] + 1], np.tile(result.first.test_loss, (3, 1)))
    np.testing.assert_array_equal(a[:, case["epochs"] + 1:], result.second.watch_loss[:, 1:])


def test_task_b_is_task_a_with_its_inputs_permuted():
    data = training.load("digits", size=200, seed=1)
    b = datasets.permuted(data, 3)
    assert b.x_train.shape == data.x_train.shape and (b.y_train == data.y_train).all()
    assert not np.array_equal(b.x_train, data.x_train)
    np.testing.assert_array_equal(np.sort(b.x_train, axis=1), np.sort(data.x_train, axis=1))
    assert b.name == "digits-permuted"
    moons = training.load("moons", size=50, seed=0)
    for seed in range(4):  # two inputs: never the identity, so always the mirror
        np.testing.assert_array_equal(datasets.permuted(moons, seed).x_test, moons.x_test[:, ::-1])
    with pytest.raises(FieldError, match="has one input"):
        datasets.permuted(training.load("wave", size=50), 0)


def test_the_gradient_is_the_derivative_of_the_loss():
    """Central differences on every activation and both losses."""
    for name, activation, hidden in (("moons", "tanh", "mlp:5,4"), ("wave", "relu", "mlp:6"),
                                     ("blobs", "sigmoid", "mlp:4"), ("digits", "tanh", "linear")):
        data = training.load(name, size=100, seed=1)
        model = training.parse_model(hidden, data.features, data.outputs, activation)
        w = np.stack([model.initial(0), model.initial(1)])
        x, y = data.x_train[:20], data.y_train[:20]
        _, g, _ = models.loss_and_grad(model, w, x, y, data.classes)
        for i in np.random.default_rng(0).choice(model.weights, min(25, model.weights), replace=False):
            step = np.zeros_like(w)
            step[:, i] = 1e-6
            up = models.loss_and_grad(model, w + step, x, y, data.classes)[0]
            down = models.loss_and_grad(model, w - step, x, y, data.classes)[0]
            np.testing.assert_allclose((up - down) / 2e-6, g[:, i], rtol=1e-5, atol=1e-8)


def test_every_optimizer_trains_from_the_same_weights_on_the_same_batches():
    data = training.load("moons", size=200, seed=0)
    model = training.parse_model("mlp:8", data.features, data.outputs)
    specs = [engine.make_spec(n) for n in optimizers.OPTIMIZERS]
    result = training.train(data, model, specs, epochs=3, batch=32, seed=7)
    assert result.weights.shape == (len(specs), 4, model.weights)
    assert (result.weights[:, 0] == model.initial(0)).all()
    assert result.updates_per_epoch == 5 and result.lrs.shape == (len(specs), 15)
    # each run alone is the same run: the optimizers share nothing but their inputs
    alone = training.train(data, model, specs[6:7], epochs=3, batch=32, seed=7)
    np.testing.assert_array_equal(alone.weights[0], result.weights[6])
    assert (result.train_accuracy >= 0).all() and (result.train_accuracy <= 1).all()


def test_minibatches_are_a_fresh_shuffle_each_epoch_from_the_seed():
    order = training.batch_order(3, 50, 4, 10)
    assert order.shape == (4, 50) and all(sorted(o) == list(range(50)) for o in order)
    assert len({tuple(o) for o in order}) == 4  # each epoch its own order
    np.testing.assert_array_equal(order, training.batch_order(3, 50, 4, 10))
    assert not np.array_equal(order, training.batch_order(4, 50, 4, 10))
    assert (training.batch_order(3, 50, 2, 50) == np.arange(50)).all()  # one batch: in order


def test_data_sets_are_drawn_from_their_seed_and_split():
    a, b = training.load("spirals", size=100, seed=2), training.load("spirals", size=100, seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, training.load("spirals", size=100, seed=3).x_train)
    assert len(a.y_train) == 75 and len(a.y_test) == 25 and a.classes == 2
    digits = training.load("digits")
    assert digits.features == 64 and digits.classes == 10
    assert len(digits.y_train) + len(digits.y_test) == 1797 and digits.x_train.max() == 1.0
    wave = training.load("wave")
    assert wave.regression and wave.y_train.shape == (300, 1) and wave.outputs == 1


@pytest.mark.parametrize(("call", "message"), [
    (lambda: training.load("mnist"), "unknown data set 'mnist'; choose from: moons"),
    (lambda: training.load("moons", size=5), "Size: must be a whole number from 10 to 2000"),
    (lambda: training.load("digits", size=1900), "Size: must be at most 1,797"),
    (lambda: training.load("moons", noise=float("nan")), "Noise: must be a finite number"),
    (lambda: training.parse_model("mlp:", 2, 2), "an mlp needs at least one hidden width"),
    (lambda: training.parse_model("mlp:10,x", 2, 2), "Hidden width: must be a number (got 'x')"),
    (lambda: training.parse_model("mlp:128,128", 64, 10), "at most 5,000 weights (got 26,122"),
    (lambda: training.parse_model("cnn", 2, 2), "Model: must be linear, logistic or mlp:"),
    (lambda: training.parse_model("mlp:4", 2, 2, "gelu"), "Activation: must be one of tanh, relu"),
])
def test_bad_settings_say_what_is_wrong(call, message):
    with pytest.raises((FieldError, KeyError)) as err:
        call()
    assert message in str(err.value)
