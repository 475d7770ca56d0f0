"""Write tests/data/torch_training.json: models trained by torch.optim with autograd.

The training counterpart of ``make_torch_reference.py``: every registered
optimizer trains a small network on two moons with minibatches, and a few more
cases cover the other activations, the losses (cross-entropy, squared error),
the digits, a full batch, a schedule with warmup and a run that diverges.

The two-task cases (``tasks.two_tasks``: forgetting, L2 and EWC) train task A,
compute the Fisher's diagonal row by row and class by class with autograd (one
backward pass per row and class: nothing shared with the engine's closed form),
then train task B three ways with the penalties added to torch's loss.

torch computes the loss and its gradient itself (autograd) and steps its own
optimizer (``torch_make`` of each registry entry) under ``LambdaLR`` with the
run's learning-rate factor, stepped once per update. What torch shares with the
engine is the input, as the comparison requires: the data set, the starting
weights (``Model.initial``) and the minibatch order (``batch_order``).

Needs torch (``pip install torch==2.13.0 adabelief-pytorch==0.2.1
lion-pytorch==0.2.5``); the tests read the JSON and do not need torch.

    python scripts/make_torch_training_reference.py
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from visualizer import engine  # noqa: E402
from visualizer.engine import optimizers, training  # noqa: E402
from visualizer.engine.training import datasets  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "torch_training.json"
MOONS = dict(data="moons", size=120, noise=0.2, seed=3, test=0.25)


def cases() -> list[dict]:
    """One minibatch case per registered optimizer (its torch default learning rate
    times ten, decay 0.01, its non-default hyperparameters), then the others."""
    out = []
    for name, info in optimizers.OPTIMIZERS.items():
        out.append(dict(**MOONS, model="mlp:6,5", activation="tanh", epochs=4, batch=16,
                        init_seed=1, optimizer=f"{name}:lr={info.lr * 10!r},decay=0.01"
                        + "".join(f",{k}={v!r}" for k, v in info.reference_variant.items())))
    out += [
        dict(data="wave", size=80, noise=0.1, seed=0, test=0.25, model="mlp:8", activation="relu",
             epochs=5, batch=10, init_seed=2, optimizer="adam:lr=0.01"),
        dict(data="blobs", size=90, noise=0.1, seed=4, test=0.2, model="mlp:5", activation="sigmoid",
             epochs=5, batch=None, init_seed=3, optimizer="momentum:lr=0.5,momentum=0.9"),
        dict(data="digits", size=300, noise=None, seed=5, test=0.25, model="linear",
             activation="tanh", epochs=6, batch=64, init_seed=4,
             optimizer="adabelief:lr=0.01,schedule=cosine,warmup=5"),
        dict(data="spirals", size=100, noise=0.05, seed=6, test=0.25, model="mlp:10,10,10",
             activation="tanh", epochs=3, batch=25, init_seed=5, optimizer="nadam:lr=0.02"),
        # Diverges (a weight past the bound, then no longer finite): the epochs before
        # must match, and the engine marks the first bad one.
        dict(data="wave", size=60, noise=0.1, seed=1, test=0.25, model="mlp:8", activation="relu",
             epochs=6, batch=None, init_seed=6, optimizer="gd:lr=100"),
    ]
    return out


def prepared(case: dict):
    data = training.load(case["data"], size=case["size"], noise=case["noise"], seed=case["seed"],
                         test=case["test"])
    model = training.parse_model(case["model"], data.features, data.outputs, case["activation"])
    spec = engine.parse_spec(case["optimizer"])
    return data, model, spec


TWO_TASKS = [
    dict(data="digits", size=300, noise=None, seed=5, test=0.25, model="mlp:8",
         activation="tanh", epochs=3, batch=64, init_seed=4, optimizer="adam:lr=0.01",
         ewc=50.0, l2=0.5),
    dict(data="moons", size=80, noise=0.2, seed=2, test=0.25, model="mlp:6",
         activation="relu", epochs=4, batch=None, init_seed=1,
         optimizer="momentum:lr=0.3,momentum=0.9", ewc=20.0, l2=0.2),
]


def run_case(case: dict) -> dict:
    data, model, spec = prepared(case)
    return torch_train(data, model, spec, case["epochs"], case["batch"], case["seed"],
                       model.initial(case["init_seed"]))


def torch_train(data, model, spec, epochs, batch, seed, w0, penalty=None, watch=None) -> dict:
    """torch trains from ``w0``; ``penalty`` is ``(centre, importance)`` added to the
    loss as ``½ Σ importance (θ − centre)²``; ``watch``'s held-out loss is recorded."""
    rows = len(data.y_train)
    batch = rows if batch is None else min(batch, rows)
    per_epoch = -(-rows // batch)
    updates = epochs * per_epoch
    params = []
    for ws, bs, fan_in, fan_out in model.layers:
        params.append(torch.tensor(w0[ws].reshape(fan_out, fan_in), requires_grad=True))
        params.append(torch.tensor(w0[bs], requires_grad=True))
    info = optimizers.info(spec.optimizer)
    opt = info.torch_make(params, spec.lr, dict(spec.hypers))
    factor = spec.schedule_fn(updates)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: float(factor(k)))
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[model.activation]

    def outputs(x):
        a = x
        for i in range(0, len(params), 2):
            a = F.linear(a, params[i], params[i + 1])
            if i + 2 < len(params):
                a = act(a)
        return a

    def loss_of(out, y):
        return F.cross_entropy(out, y) if data.classes else F.mse_loss(out, y)

    def flat():
        return torch.cat([p.reshape(-1) for p in params])

    sets = [("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)]
    if watch is not None:
        sets.append(("watch", watch.x_test, watch.y_test))
    xs = {k: torch.from_numpy(x) for k, x, _ in sets}
    ys = {k: torch.from_numpy(y) for k, _, y in sets}
    record = {f"{k}_loss": [] for k in xs} | {"weights": []}
    if penalty is not None:
        centre, importance = (torch.from_numpy(a) for a in penalty)

    def measure():
        with torch.no_grad():
            for part in xs:
                record[f"{part}_loss"].append(loss_of(outputs(xs[part]), ys[part]).item())
            record["weights"].append(flat().detach().tolist())

    order = training.batch_order(seed, rows, epochs, batch)
    measure()
    for e in range(epochs):
        for j in range(per_epoch):
            idx = torch.from_numpy(order[e, j * batch:(j + 1) * batch])
            opt.zero_grad()
            loss = loss_of(outputs(xs["train"][idx]), ys["train"][idx])
            if penalty is not None:
                loss = loss + 0.5 * (importance * (flat() - centre) ** 2).sum()
            loss.backward()
            opt.step()
            sched.step()
        measure()
    record["outputs"] = outputs
    record["params"] = params
    return record


def torch_fisher(record: dict, data) -> list[float]:
    """The Fisher's diagonal at the record's last weights, one backward pass per row
    and class: ``mean_n Σ_c p(c|x_n) (∂ log p(c|x_n)/∂θ)²``."""
    params, outputs = record["params"], record["outputs"]
    total = torch.zeros(sum(p.numel() for p in params))
    x = torch.from_numpy(data.x_train)
    for n in range(len(x)):
        logp = F.log_softmax(outputs(x[n:n + 1])[0], dim=0)
        for c in range(len(logp)):
            grads = torch.autograd.grad(logp[c], params, retain_graph=True)
            total += logp[c].exp().item() * torch.cat([g.reshape(-1) for g in grads]) ** 2
    return (total / len(x)).tolist()


def run_two_tasks(case: dict) -> dict:
    """Task A, the Fisher at its end, then task B plainly, with L2 and with EWC."""
    data, model, spec = prepared(case)
    task_b = datasets.permuted(data, case["seed"])
    first = torch_train(data, model, spec, case["epochs"], case["batch"], case["seed"],
                        model.initial(case["init_seed"]), watch=task_b)
    end_a = np.array(first["weights"][-1])
    fisher = np.array(torch_fisher(first, data))
    out = {"first": {k: first[k] for k in ("test_loss", "watch_loss", "weights")},
           "fisher": fisher.tolist(), "second": []}
    for importance in (np.zeros_like(fisher), np.full_like(fisher, case["l2"]),
                       case["ewc"] * fisher):
        second = torch_train(task_b, model, spec, case["epochs"], case["batch"],
                             case["seed"] + 1, end_a, (end_a, importance), watch=data)
        out["second"].append({k: second[k] for k in ("test_loss", "watch_loss", "weights")})
    return out


def without_functions(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("outputs", "params")}


def main() -> None:
    torch.set_default_dtype(torch.float64)
    data = {
        "torch": torch.__version__,
        "note": "written by scripts/make_torch_training_reference.py; do not edit",
        "cases": [{**case, **without_functions(run_case(case))} for case in cases()],
        "two_tasks": [{**case, **run_two_tasks(case)} for case in TWO_TASKS],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data) + "\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
