"""Training real models with the race's optimizers: data sets
(:mod:`~visualizer.engine.training.datasets`), models with their loss and gradient
(:mod:`~visualizer.engine.training.models`) and the training loop
(:mod:`~visualizer.engine.training.train`). No Dash here.

    from visualizer import engine
    from visualizer.engine import training

    data = training.load("moons", size=400, noise=0.1, seed=0)
    model = training.parse_model("mlp:16,16", data.features, data.outputs)
    result = training.train(data, model, [engine.make_spec("adam", lr=0.01)],
                            epochs=200, batch=32)
    result.test_accuracy[0, -1]
"""

from visualizer.engine.training.datasets import MAKERS, Dataset, UnknownDatasetError, load
from visualizer.engine.training.loop import (
    WEIGHT_BOUND,
    Training,
    batch_order,
    check_budget,
    estimate_seconds,
    train,
)
from visualizer.engine.training.models import Model, parse_model

__all__ = ["MAKERS", "WEIGHT_BOUND", "Dataset", "Model", "Training", "UnknownDatasetError",
           "batch_order", "check_budget", "estimate_seconds", "load", "parse_model", "train"]
