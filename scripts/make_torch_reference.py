"""Write tests/data/torch_reference.json: trajectories computed by torch.optim.

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

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "torch_reference.json"


def torch_optimizer(name: str, params: list, lr: float, h: dict):
    o = torch.optim
    betas = (h.get("beta1", 0.9), h.get("beta2", 0.999))
    if name == "gd":
        return o.SGD(params, lr=lr)
    if name == "momentum":
        return o.SGD(params, lr=lr, momentum=h["momentum"])
    if name == "nesterov":
        return o.SGD(params, lr=lr, momentum=h["momentum"], nesterov=True)
    if name == "adagrad":
        return o.Adagrad(params, lr=lr, eps=h["eps"])
    if name == "rmsprop":
        return o.RMSprop(params, lr=lr, alpha=h["rho"], eps=h["eps"])
    if name == "adadelta":
        return o.Adadelta(params, lr=lr, rho=h["rho"], eps=h["eps"])
    if name == "adam":
        return o.Adam(params, lr=lr, betas=betas, eps=h["eps"])
    if name == "amsgrad":
        return o.Adam(params, lr=lr, betas=betas, eps=h["eps"], amsgrad=True)
    if name == "adamw":
        return o.AdamW(params, lr=lr, betas=betas, eps=h["eps"], weight_decay=h["weight_decay"])
    if name == "adamax":
        return o.Adamax(params, lr=lr, betas=betas, eps=h["eps"])
    if name == "nadam":
        return o.NAdam(params, lr=lr, betas=betas, eps=h["eps"])
    if name == "radam":
        return o.RAdam(params, lr=lr, betas=betas, eps=h["eps"])
    if name == "adabelief":
        from adabelief_pytorch import AdaBelief

        return AdaBelief(params, lr=lr, betas=betas, eps=h["eps"], rectify=False,
                         print_change_log=False)
    if name == "lion":
        from lion_pytorch import Lion

        return Lion(params, lr=lr, betas=(h["beta1"], h["beta2"]), weight_decay=h["weight_decay"])
    raise KeyError(name)


# name: (lr on himmelblau, lr on rosenbrock); a stable, non-trivial run on each.
LRS = {
    "gd": (0.01, 1e-3), "momentum": (0.005, 5e-4), "nesterov": (0.005, 5e-4),
    "adagrad": (0.5, 0.1), "rmsprop": (0.05, 0.005), "adadelta": (5.0, 1.0),
    "adam": (0.1, 0.02), "amsgrad": (0.1, 0.02), "adamw": (0.1, 0.02), "adamax": (0.1, 0.02),
    "nadam": (0.1, 0.02), "radam": (0.01, 1e-3), "adabelief": (0.1, 0.02), "lion": (0.05, 0.01),
}
DEFAULTS = {
    "gd": {}, "momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-10}, "rmsprop": {"rho": 0.99, "eps": 1e-8},
    "adadelta": {"rho": 0.9, "eps": 1e-6},
    **{n: {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
       for n in ("adam", "amsgrad", "adamax", "nadam", "radam")},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 1e-2},
    "adabelief": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-16},
    "lion": {"beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
}
# Non-default hyperparameters, so that every one of them is exercised.
VARIANTS = {
    "momentum": {"momentum": 0.8}, "nesterov": {"momentum": 0.7}, "adagrad": {"eps": 1e-3},
    "rmsprop": {"rho": 0.9, "eps": 1e-6}, "adadelta": {"rho": 0.95, "eps": 1e-4},
    **{n: {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}
       for n in ("adam", "amsgrad", "adamax", "nadam", "radam", "adabelief")},
    "adamw": {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
    "lion": {"beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1},
}


def cases() -> list[dict]:
    out = []
    for name, (lr_h, lr_r) in LRS.items():
        out.append(dict(optimizer=name, landscape="himmelblau", start=[0.0, 0.0], steps=150,
                        lr=lr_h, decay=0.0, hypers=DEFAULTS[name]))
        out.append(dict(optimizer=name, landscape="himmelblau", start=[-1.0, 1.5], steps=150,
                        lr=lr_h, decay=0.02, hypers={**DEFAULTS[name], **VARIANTS.get(name, {})}))
        out.append(dict(optimizer=name, landscape="rosenbrock", start=[-1.2, 1.0], steps=200,
                        lr=lr_r, decay=0.01, hypers=DEFAULTS[name]))
    for name in ("adam", "adabelief", "momentum", "lion"):
        lr = {"adam": 0.05, "adabelief": 0.05, "momentum": 0.01, "lion": 0.02}[name]
        out.append(dict(optimizer=name, landscape="abs_skew", start=[-1.2, 1.6], steps=150,
                        lr=lr, decay=0.0, hypers=DEFAULTS[name]))
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
