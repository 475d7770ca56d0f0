"""Lion (Chen et al. 2023, ``lion-pytorch``): the sign of a momentum mix, with
decoupled weight decay."""

from __future__ import annotations

import numpy as np

from visualizer.engine.explain import At, average, line, num
from visualizer.engine.optimizers.base import EXP_AVG, OptimizerInfo, beta, weight_decay


def _lion_rule(g, p, m, c):
    lr, shrink, beta1, c1, beta2, c2 = c[0], c[1], c[2], c[3], c[4], c[5]
    p = p * shrink
    direction = np.sign(m * beta1 + c1 * g)
    m = m * beta2 + c2 * g
    return p - lr * direction, m


def _lion_coefs(t, lr, h, x):  # h = (beta1, beta2, weight_decay)
    beta1, beta2, weight_decay = h[0], h[1], h[2]
    return (lr, 1.0 - lr * weight_decay, beta1, 1.0 - beta1, beta2, 1.0 - beta2), x


def _explain_lion(a: At) -> list[str]:
    b1, b2, wd = a.h["beta1"], a.h["beta2"], a.h["weight_decay"]
    mix = b1 * a.old["exp_avg"] + (1 - b1) * a.g
    return [
        line("c", rf"\beta_1 m_{{{a.t - 1}}} + (1-\beta_1)\,{a.gt}",
              rf"{num(b1)}\cdot{num(a.old['exp_avg'])} + {num(1 - b1)}\cdot{num(a.g)}", mix),
        line(a.th, rf"{a.th0}(1-{a.eta}\lambda) - {a.eta}\,\mathrm{{sign}}(c)",
              rf"{num(a.p0)}\cdot(1 - {num(a.lr)}\cdot{num(wd)}) - {num(a.lr)}\cdot{num(float(np.sign(mix)))}",
              a.p1),
        average(a, "exp_avg", "m", b2, r"\beta_2", False),
    ]


def _torch_lion(params: list, lr: float, h: dict):
    from lion_pytorch import Lion

    return Lion(params, lr=lr, betas=(h["beta1"], h["beta2"]), weight_decay=h["weight_decay"])


LION = OptimizerInfo(
    name="lion", title="Lion", rule=_lion_rule, coefs=_lion_coefs, lr=1e-4,
    hypers={"beta1": beta(0.9, "β₁"), "beta2": beta(0.99, "β₂"), "weight_decay": weight_decay(0.0)},
    state_fields=(EXP_AVG,),
    formula=r"\theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t\,\mathrm{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\;"
            r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
    explain=_explain_lion, color="#ca8a04",
    torch="lion_pytorch.Lion", torch_make=_torch_lion,
    reference_lrs=(0.05, 0.01), reference_variant={"beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1},
)

ENTRIES = (LION,)
