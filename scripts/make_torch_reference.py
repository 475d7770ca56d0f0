"""Write tests/data/torch_reference.json: trajectories computed by torch.optim.

Every case comes from the optimizer registry: each entry names its torch
optimizer (``torch_make``), its reference learning rates and its non-default
hyperparameters, so a new optimizer needs no edit here.

Needs torch (``pip install torch==2.13.0 adabelief-pytorch==0.2.1
lion-pytorch==0.2.5``); the test suite reads the JSON and does not need torch.

Each case runs one optimizer from one start in float64. The gradient is our
analytic one (checked against finite differences by the tests), handed to
torch as ``p.grad`` each step, so the comparison isolates the update rules.
The decay column is torch's ``LambdaLR(lambda k: 1 / (1 + decay * k))``,
stepped once per update.

    python scripts/make_torch_reference.py
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import landscapes  # noqa: E402
from visualizer.engine import optimizers  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "torch_reference.json"


def torch_optimizer(name: str, params: list, lr: float, h: dict):
    """torch's own optimizer for a registry entry (its ``torch_make``)."""
    return optimizers.info(name).torch_make(params, lr, h)


def cases() -> list[dict]:
    """Three runs per registered optimizer (its reference lrs and non-default
    hyperparameters from its registry entry), four on a kinked landscape, and
    one that diverges."""
    out = []
    for name, info in optimizers.OPTIMIZERS.items():
        lr_h, lr_r = info.reference_lrs
        defaults = info.defaults()
        out.append(dict(optimizer=name, landscape="himmelblau", start=[0.0, 0.0], steps=150,
                        lr=lr_h, decay=0.0, hypers=defaults))
        out.append(dict(optimizer=name, landscape="himmelblau", start=[-1.0, 1.5], steps=150,
                        lr=lr_h, decay=0.02, hypers={**defaults, **info.reference_variant}))
        out.append(dict(optimizer=name, landscape="rosenbrock", start=[-1.2, 1.0], steps=200,
                        lr=lr_r, decay=0.01, hypers=defaults))
    for name in ("adam", "adabelief", "momentum", "lion"):
        lr = {"adam": 0.05, "adabelief": 0.05, "momentum": 0.01, "lion": 0.02}[name]
        out.append(dict(optimizer=name, landscape="abs_skew", start=[-1.2, 1.6], steps=150,
                        lr=lr, decay=0.0, hypers=optimizers.info(name).defaults()))
    # Diverges: the points before divergence must still match, and the engine
    # must stop at the first step that leaves the bound.
    out.append(dict(optimizer="gd", landscape="himmelblau", start=[0.0, 0.0], steps=40,
                    lr=0.1, decay=0.0, hypers={}))
    return out


def run_case(case: dict) -> list[list[float]]:
    landscape = landscapes.get(case["landscape"])
    p = torch.tensor(case["start"], dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(case["optimizer"], [p], case["lr"], case["hypers"])
    decay = case["decay"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + decay * k))
    points = [p.detach().numpy().copy().tolist()]
    for _ in range(case["steps"]):
        g = landscape.grad(p.detach().numpy())
        p.grad = torch.from_numpy(np.ascontiguousarray(g))
        opt.step()
        sched.step()
        points.append(p.detach().numpy().copy().tolist())
    return points


def main() -> None:
    torch.set_default_dtype(torch.float64)  # step counters and NAdam's mu_product too
    data = {
        "torch": torch.__version__,
        "note": "written by scripts/make_torch_reference.py; do not edit",
        "cases": [{**case, "points": run_case(case)} for case in cases()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
