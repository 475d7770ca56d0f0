"""Training real models with the race's optimizers: data sets
(:mod:`~visualizer.engine.training.datasets`), models with their loss and gradient
(:mod:`~visualizer.engine.training.models`), the training loop
(:mod:`~visualizer.engine.training.loop`), the weight-space planes
(:mod:`~visualizer.engine.training.plane`) and forgetting between two tasks, with L2
and EWC (:mod:`~visualizer.engine.training.tasks`). No Dash here.

    from visualizer import engine
    from visualizer.engine import training

    data = training.load("moons", size=400, noise=0.1, seed=0)
    model = training.parse_model("mlp:16,16", data.features, data.outputs)
    result = training.train(data, model, [engine.make_spec("adam", lr=0.01)],
                            epochs=200, batch=32)
    result.test_accuracy[0, -1]
    forgetting = training.two_tasks(data, model, engine.make_spec("adam", lr=0.01), 100,
                                    batch=32, ewc=100, l2=1)
    forgetting.curve("a")  # task A's held-out accuracy: plainly, L2, EWC
"""

from visualizer.engine.training.datasets import MAKERS, Dataset, UnknownDatasetError, load
from visualizer.engine.training.loop import (
    WEIGHT_BOUND,
    Training,
    batch_order,
    check_budget,
    estimate_seconds,
    forward_seconds,
    train,
)
from visualizer.engine.training.models import Model, parse_model
from visualizer.engine.training.tasks import TwoTasks, two_tasks

__all__ = ["MAKERS", "WEIGHT_BOUND", "Dataset", "Model", "Training", "TwoTasks",
           "UnknownDatasetError", "batch_order", "check_budget", "estimate_seconds",
           "forward_seconds", "load", "parse_model", "train", "two_tasks"]
