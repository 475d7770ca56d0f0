"""Write tests/data/torch_training.json: models trained by torch.optim with autograd.

The training counterpart of ``make_torch_reference.py``: every registered
optimizer trains a small network on two moons with minibatches, and a few more
cases cover the other activations, the losses (cross-entropy, squared error),
the digits, a full batch, a schedule with warmup and a run that diverges.

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

import torch
import torch.nn.functional as F  # noqa: N812

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from visualizer import engine  # noqa: E402
from visualizer.engine import optimizers, training  # noqa: E402

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


def run_case(case: dict) -> dict:
    data, model, spec = prepared(case)
    rows = len(data.y_train)
    batch = rows if case["batch"] is None else min(case["batch"], rows)
    per_epoch = -(-rows // batch)
    updates = case["epochs"] * per_epoch
    w0 = model.initial(case["init_seed"])
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

    xs = {k: torch.from_numpy(v) for k, v in (("train", data.x_train), ("test", data.x_test))}
    ys = {k: torch.from_numpy(v) for k, v in (("train", data.y_train), ("test", data.y_test))}
    record = {"train_loss": [], "test_loss": [], "weights": []}

    def measure():
        with torch.no_grad():
            for part in ("train", "test"):
                record[f"{part}_loss"].append(loss_of(outputs(xs[part]), ys[part]).item())
            record["weights"].append(torch.cat([p.detach().reshape(-1) for p in params]).tolist())

    order = training.batch_order(case["seed"], rows, case["epochs"], batch)
    measure()
    for e in range(case["epochs"]):
        for j in range(per_epoch):
            idx = torch.from_numpy(order[e, j * batch:(j + 1) * batch])
            opt.zero_grad()
            loss_of(outputs(xs["train"][idx]), ys["train"][idx]).backward()
            opt.step()
            sched.step()
        measure()
    return record


def main() -> None:
    torch.set_default_dtype(torch.float64)
    data = {
        "torch": torch.__version__,
        "note": "written by scripts/make_torch_training_reference.py; do not edit",
        "cases": [{**case, **run_case(case)} for case in cases()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data) + "\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
