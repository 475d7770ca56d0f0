"""Plain gradient descent and the heavy ball: torch's ``SGD`` without and with
momentum (and Nesterov's variant)."""

from __future__ import annotations

import functools

from visualizer.engine.explain import At, line, num
from visualizer.engine.optimizers.base import (
    Hyper,
    OptimizerInfo,
    StateField,
    lr_coefs,
    torch_optim,
)

BUFFER = StateField("momentum_buffer", "b")


def _sgd_rule(g, p, c):
    lr = c[0]
    return (p - lr * g,)


def _heavy_ball_rule(g, p, buf, c):
    r"""torch ``SGD(momentum, dampening=0)``:
    :math:`b_t = \mu b_{t-1} + g_t,\ \theta_t = \theta_{t-1} - \eta b_t`.

    torch starts the buffer as a copy of the first gradient; starting it at
    zero gives the same numbers, since :math:`\mu \cdot 0 + g = g` exactly.
    The classic figure's ``v = 0.9 v - lr g`` equals this for a constant
    learning rate, but scales old velocity by the old rate when lr decays.
    """
    lr, mu = c[0], c[1]
    buf = buf * mu + g
    return p - lr * buf, buf


def _nesterov_rule(g, p, buf, c):
    """torch ``SGD(momentum, nesterov=True)``: steps along g + mu b instead of b."""
    lr, mu = c[0], c[1]
    buf = buf * mu + g
    return p - lr * (g + mu * buf), buf


def _momentum_coefs(t, lr, h, x):
    return (lr, h[0]), x


def _explain_gd(a: At) -> list[str]:
    return [line(a.th, rf"{a.th0} - {a.eta} {a.gt}", rf"{num(a.p0)} - {num(a.lr)}\cdot{num(a.g)}", a.p1)]


def _explain_momentum(a: At, nesterov: bool = False) -> list[str]:
    mu, b = a.h["momentum"], a.new["momentum_buffer"]
    lines = [line(a.sym("b", a.t), rf"\mu\, {a.sym('b', a.t - 1)} + {a.gt}",
                  rf"{num(mu)}\cdot{num(a.old['momentum_buffer'])} + {num(a.g)}", b)]
    if nesterov:
        lines.append(line(a.th, rf"{a.th0} - {a.eta} ({a.gt} + \mu\, b_{{{a.t}}})",
                          rf"{num(a.p0)} - {num(a.lr)}\cdot({num(a.g)} + {num(mu)}\cdot{num(b)})", a.p1))
    else:
        lines.append(line(a.th, rf"{a.th0} - {a.eta} b_{{{a.t}}}",
                          rf"{num(a.p0)} - {num(a.lr)}\cdot{num(b)}", a.p1))
    return lines


GD = OptimizerInfo(
    name="gd", title="Gradient Descent", rule=_sgd_rule, coefs=lr_coefs, lr=1e-3, hypers={},
    state_fields=(), formula=r"\theta_t = \theta_{t-1} - \eta_t g_t", explain=_explain_gd,
    color="#2563eb", torch="torch.optim.SGD", torch_make=torch_optim("SGD"),
    reference_lrs=(0.01, 0.001),
)
MOMENTUM = OptimizerInfo(
    name="momentum", title="Momentum", rule=_heavy_ball_rule, coefs=_momentum_coefs, lr=1e-3,
    hypers={"momentum": Hyper(0.9, 0.0, 1.0, label="momentum μ")}, state_fields=(BUFFER,),
    formula=r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t b_t",
    explain=_explain_momentum, color="#16a34a",
    torch="torch.optim.SGD(momentum=0.9)", torch_make=torch_optim("SGD", momentum="momentum"),
    reference_lrs=(0.005, 0.0005), reference_variant={"momentum": 0.8},
)
NESTEROV = MOMENTUM.variant(  # the step along g + mu b instead of b
    name="nesterov", title="Nesterov", rule=_nesterov_rule,
    formula=r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t (g_t + \mu b_t)",
    explain=functools.partial(_explain_momentum, nesterov=True), color="#721d56",
    torch="torch.optim.SGD(momentum=0.9, nesterov=True)",
    torch_make=torch_optim("SGD", momentum="momentum", nesterov=True),
    reference_variant={"momentum": 0.7},
)

ENTRIES = (GD, MOMENTUM, NESTEROV)
