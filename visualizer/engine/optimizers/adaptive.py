"""Per-coordinate step sizes from the squared gradients: Adagrad (their sum),
RMSprop (their running average) and Adadelta (that, with the steps' own average)."""

from __future__ import annotations

import math

import numpy as np

from visualizer.engine.explain import At, average, divide, line, num
from visualizer.engine.optimizers.base import OptimizerInfo, StateField, beta, eps, torch_optim

SUM = StateField("sum", "s")
SQUARE_AVG = StateField("square_avg", "v")
ACC_DELTA = StateField("acc_delta", "u")


def _adagrad_rule(g, p, s, c):
    lr, eps = c[0], c[1]
    s = s + g * g
    return p - lr * (g / (np.sqrt(s) + eps)), s


def _adagrad_coefs(t, lr, h, x):
    return (lr, h[0]), x


def _rmsprop_rule(g, p, v, c):
    lr, rho, one_minus_rho, eps = c[0], c[1], c[2], c[3]
    v = v * rho + one_minus_rho * g * g
    return p - lr * (g / (np.sqrt(v) + eps)), v


def _rho_coefs(t, lr, h, x):  # RMSprop and Adadelta: h = (rho, eps)
    return (lr, h[0], 1.0 - h[0], h[1]), x


def _adadelta_rule(g, p, v, u, c):
    lr, rho, one_minus_rho, eps = c[0], c[1], c[2], c[3]
    v = v * rho + one_minus_rho * g * g
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = u * rho + one_minus_rho * delta * delta
    return p - lr * delta, v, u


def _explain_adagrad(a: At) -> list[str]:
    s = a.new["sum"]
    return [line(a.sym("s", a.t), rf"{a.sym('s', a.t - 1)} + {a.gt}^2",
                  rf"{num(a.old['sum'])} + {num(a.g)}^2", s),
            divide(a, a.th0, a.p0, a.gt, a.g, f"s_{{{a.t}}}", s)]


def _explain_rmsprop(a: At) -> list[str]:
    v = a.new["square_avg"]
    return [average(a, "square_avg", "v", a.h["rho"], r"\rho", True),
            divide(a, a.th0, a.p0, a.gt, a.g, f"v_{{{a.t}}}", v)]


def _explain_adadelta(a: At) -> list[str]:
    eps, rho, t = a.h["eps"], a.h["rho"], a.t
    delta = math.sqrt(a.old["acc_delta"] + eps) / math.sqrt(a.new["square_avg"] + eps) * a.g
    return [
        average(a, "square_avg", "v", rho, r"\rho", True),
        line(rf"\Delta_{{{t}}}", rf"\frac{{\sqrt{{u_{{{t - 1}}} + \epsilon}}}}{{\sqrt{{v_{{{t}}} + \epsilon}}}}\,{a.gt}",
              rf"\frac{{\sqrt{{{num(a.old['acc_delta'])} + {num(eps)}}}}}"
              rf"{{\sqrt{{{num(a.new['square_avg'])} + {num(eps)}}}}}\cdot{num(a.g)}", delta),
        line(a.sym("u", t), rf"\rho\, u_{{{t - 1}}} + (1-\rho)\Delta_{{{t}}}^2",
              rf"{num(rho)}\cdot{num(a.old['acc_delta'])} + {num(1 - rho)}\cdot{num(delta)}^2",
              a.new["acc_delta"]),
        line(a.th, rf"{a.th0} - {a.eta}\Delta_{{{t}}}", rf"{num(a.p0)} - {num(a.lr)}\cdot{num(delta)}", a.p1),
    ]


ADAGRAD = OptimizerInfo(
    name="adagrad", title="Adagrad", rule=_adagrad_rule, coefs=_adagrad_coefs, lr=1e-2,
    hypers={"eps": eps(1e-10)}, state_fields=(SUM,),
    formula=r"s_t = s_{t-1} + g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{s_t} + \epsilon}",
    explain=_explain_adagrad, color="#9333ea",
    torch="torch.optim.Adagrad", torch_make=torch_optim("Adagrad", eps="eps"),
    reference_lrs=(0.5, 0.1), reference_variant={"eps": 1e-3},
)
RMSPROP = OptimizerInfo(
    name="rmsprop", title="RMSprop", rule=_rmsprop_rule, coefs=_rho_coefs, lr=1e-2,
    hypers={"rho": beta(0.99, "ρ (torch's alpha)"), "eps": eps(1e-8)}, state_fields=(SQUARE_AVG,),
    formula=r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{v_t} + \epsilon}",
    explain=_explain_rmsprop, color="#ea580c",
    torch="torch.optim.RMSprop", torch_make=torch_optim("RMSprop", alpha="rho", eps="eps"),
    reference_lrs=(0.05, 0.005), reference_variant={"rho": 0.9, "eps": 1e-6},
)
ADADELTA = OptimizerInfo(
    name="adadelta", title="Adadelta", rule=_adadelta_rule, coefs=_rho_coefs, lr=1.0,
    hypers={"rho": beta(0.9, "ρ"), "eps": eps(1e-6)}, state_fields=(SQUARE_AVG, ACC_DELTA),
    formula=r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t,\;"
            r"u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\; \theta_t = \theta_{t-1} - \eta_t \Delta_t",
    explain=_explain_adadelta, color="#a16207",
    torch="torch.optim.Adadelta", torch_make=torch_optim("Adadelta", rho="rho", eps="eps"),
    reference_lrs=(5.0, 1.0), reference_variant={"rho": 0.95, "eps": 1e-4},
)

ENTRIES = (ADAGRAD, RMSPROP, ADADELTA)
