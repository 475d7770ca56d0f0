"""The optimizers as pure ``init``/``update`` pairs over NumPy arrays.

Every update rule is torch.optim's single-tensor implementation (AdaBelief:
``adabelief-pytorch`` with ``rectify=False``; Lion: ``lion-pytorch``), with the
same operations in the same order, so that float64 trajectories equal torch's
to the last digits. All operations are element-wise: parameters of shape
``(K, 2)`` are K independent runs.

An optimizer is one registry entry (:data:`OPTIMIZERS`): its element-wise
rule, the coefficients each step needs, its hyperparameters with torch's
defaults and ranges, and its typeset rule. ``info(name).build(beta1=0.9)``
makes the optimizer, used as::

    state = opt.init(params)
    params, state = opt.update(grads, state, params, lr)

Nothing is mutated: ``update`` returns new arrays and a new state. ``lr`` is a
float, or an array that broadcasts against ``params`` (one learning rate per
run). The step count lives in the state, as in optax. The compiled loop
(:mod:`visualizer.engine.compiled`) runs the same rule and coefficients.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from visualizer.engine.explain import At, average, divide, line, num
from visualizer.engine.fields import Range

Array = np.ndarray
LR = float | Array


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``, ``update(g, state, params, lr)``.

    ``fields`` names the array state (torch's names). ``rule``, ``coefs`` and
    ``h`` are the same update in the form the compiled loop runs
    (:mod:`visualizer.engine.compiled`): step t's coefficients are ``coefs(t, lr, h,
    extra) -> (c, extra)`` and the element-wise rule is ``rule(g, p, *state, c)
    -> (p, *state)``; ``h`` holds the hyperparameters in the registry's order
    and ``extra`` is the one scalar of state some rules keep (NAdam's running
    product of mu), starting at ``extra0``.
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, LR], tuple[Array, Any]]
    fields: tuple[str, ...]
    rule: Callable
    coefs: Callable
    h: tuple[float, ...]
    extra0: float


@functools.cache
def _state_class(name: str, fields: tuple[str, ...]) -> type:
    """The state NamedTuple of an optimizer: ``(count, *fields, extra)``."""
    return namedtuple(f"{name.title()}State", ["count", *fields, "extra"])  # noqa: PYI024


def _elementwise(name: str, fields: tuple[str, ...], rule: Callable, coefs: Callable,
                 h: tuple[float, ...], extra0: float) -> Optimizer:
    """An optimizer from its element-wise rule and its coefficients.

    ``update`` computes step t's coefficients (Python floats, or arrays when
    ``lr`` is one) and applies the rule to whole arrays; the compiled loop
    applies the same two functions to one element at a time, so both paths
    do the same arithmetic.
    """
    state_cls = _state_class(name, fields)
    n = len(fields)

    def init(params: Array) -> Any:
        zeros = np.zeros_like(params, dtype=float)
        return state_cls(0, *([zeros] * n), extra0)

    def update(g: Array, state: Any, params: Array, lr: LR) -> tuple[Array, Any]:
        t = state.count + 1
        c, extra = coefs(t, lr, h, state.extra)
        params, *arrays = rule(g, params, *state[1 : 1 + n], c)
        return params, state_cls(t, *arrays, extra)

    return Optimizer(init, update, fields, rule, coefs, h, extra0)


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``torch.lerp``: one of two formulas by the size of the weight (for accuracy)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _root(x: float) -> float:
    """``x ** 0.5`` computed by ``pow``, as Python (and torch) compute it.

    The exponent is written so that a compiler cannot see the constant 0.5:
    LLVM turns ``pow(x, 0.5)`` into ``sqrt(x)``, which differs from the C
    library's ``pow`` in the last bit for about one value in a thousand.
    (``0.0 * x`` is 0 for the finite x this is used on.)
    """
    return x ** (0.5 + 0.0 * x)


# The element-wise rules. Each takes the gradient, the parameters, the array
# state and the step's coefficients ``c`` (a tuple), and returns the new
# parameters and state. They use only arithmetic and NumPy ufuncs, so they run
# on arrays here and compile with numba. Every expression is torch's,
# operation for operation: do not "simplify".
#
# The coefficient functions ``(t, lr, h, extra) -> (c, extra)`` compute what a
# step needs from the step count t, the learning rate in force and the
# hyperparameters ``h`` (in the registry's order). Powers take ``float(t)``:
# compiled code raises a float to an integer power by repeated multiplication,
# which rounds differently from ``pow``.


def _sgd_rule(g, p, c):
    lr = c[0]
    return (p - lr * g,)


def _lr_coefs(t, lr, h, x):
    return (lr,), x


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


def _adam_rule(g, p, m, v, c):
    step_size, bc2_sqrt, shrink, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    p = p * shrink  # AdamW's decoupled weight decay; 1.0 (exact: p * 1.0 == p) for Adam
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    denom = np.sqrt(v) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, v


def _amsgrad_rule(g, p, m, v, vmax, c):
    step_size, bc2_sqrt, shrink, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    p = p * shrink
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    vmax = np.maximum(vmax, v)
    denom = np.sqrt(vmax) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, v, vmax


def _adam_coefs(t, lr, h, x):  # h = (beta1, beta2, eps)
    beta1, beta2, eps = h[0], h[1], h[2]
    step = float(t)
    bc2_sqrt = _root(1.0 - beta2**step)
    step_size = lr / (1.0 - beta1**step)
    return (step_size, bc2_sqrt, 1.0, 1.0 - beta1, beta2, 1.0 - beta2, eps), x


def _adamw_coefs(t, lr, h, x):  # h = (beta1, beta2, eps, weight_decay)
    beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3]
    step = float(t)
    bc2_sqrt = _root(1.0 - beta2**step)
    step_size = lr / (1.0 - beta1**step)
    shrink = 1.0 - lr * weight_decay
    return (step_size, bc2_sqrt, shrink, 1.0 - beta1, beta2, 1.0 - beta2, eps), x


def _adamax_rule(g, p, m, u, c):
    clr, w1, beta2, eps = c[0], c[1], c[2], c[3]
    m = _lerp(m, g, w1)
    u = np.maximum(u * beta2, np.abs(g) + eps)
    return p - clr * (m / u), m, u


def _adamax_coefs(t, lr, h, x):
    beta1, beta2, eps = h[0], h[1], h[2]
    clr = lr / (1.0 - beta1 ** float(t))
    return (clr, 1.0 - beta1, beta2, eps), x


def _nadam_rule(g, p, m, v, c):
    g_coef, m_coef, bias_correction2, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    denom = np.sqrt(v / bias_correction2) + eps
    p = p + g_coef * (g / denom)
    return p + m_coef * (m / denom), m, v


def _nadam_coefs(t, lr, h, mu_product):  # h = (beta1, beta2, eps); torch's momentum_decay
    beta1, beta2, eps, momentum_decay = h[0], h[1], h[2], 4e-3
    step = float(t)
    bias_correction2 = 1.0 - beta2**step
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * momentum_decay)))
    mu_product = mu_product * mu
    mu_product_next = mu_product * mu_next
    g_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
    m_coef = (-lr * mu_next) / (1.0 - mu_product_next)
    return (g_coef, m_coef, bias_correction2, 1.0 - beta1, beta2, 1.0 - beta2, eps), mu_product


def _radam_rule(g, p, m, v, c):
    lr, bias_correction1, bc2_sqrt, rect, w1, beta2, c2, eps, adaptive_on = (
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
    )
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    if adaptive_on == 0.0:  # warm-up: SGD with bias-corrected momentum
        return p - m / bias_correction1 * lr, m, v
    m_hat = m / bias_correction1
    adaptive = bc2_sqrt / (np.sqrt(v) + eps)
    return p - m_hat * lr * adaptive * rect, m, v


def _radam_coefs(t, lr, h, x):
    beta1, beta2, eps = h[0], h[1], h[2]
    step = float(t)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    bias_correction1 = 1.0 - beta1**step
    bias_correction2 = 1.0 - beta2**step
    rho_t = rho_inf - 2.0 * step * (beta2**step) / bias_correction2
    if rho_t <= 5.0:
        return (lr, bias_correction1, 1.0, 1.0, 1.0 - beta1, beta2, 1.0 - beta2, eps, 0.0), x
    rect = _root(
        (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
    )
    return (lr, bias_correction1, _root(bias_correction2), rect, 1.0 - beta1, beta2,
            1.0 - beta2, eps, 1.0), x


def _adabelief_rule(g, p, m, s, c):
    step_size, bc2_sqrt, beta1, c1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    m = m * beta1 + c1 * g
    r = g - m
    s = (s * beta2 + c2 * r * r) + eps
    denom = np.sqrt(s) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, s


def _adabelief_coefs(t, lr, h, x):
    beta1, beta2, eps = h[0], h[1], h[2]
    step = float(t)
    bc2_sqrt = math.sqrt(1.0 - beta2**step)
    step_size = lr / (1.0 - beta1**step)
    return (step_size, bc2_sqrt, beta1, 1.0 - beta1, beta2, 1.0 - beta2, eps), x


def _lion_rule(g, p, m, c):
    lr, shrink, beta1, c1, beta2, c2 = c[0], c[1], c[2], c[3], c[4], c[5]
    p = p * shrink
    direction = np.sign(m * beta1 + c1 * g)
    m = m * beta2 + c2 * g
    return p - lr * direction, m


def _lion_coefs(t, lr, h, x):  # h = (beta1, beta2, weight_decay)
    beta1, beta2, weight_decay = h[0], h[1], h[2]
    return (lr, 1.0 - lr * weight_decay, beta1, 1.0 - beta1, beta2, 1.0 - beta2), x


# -- The registry -------------------------------------------------------------------
class StateField(str):
    """A state field an optimizer keeps: its name (torch's, and a plain ``str``
    everywhere a name is used: records, CSV columns) and the letter the step
    inspector writes it with, so a new field brings its own letter."""

    letter: str

    def __new__(cls, name: str, letter: str) -> StateField:
        field_ = super().__new__(cls, name)
        field_.letter = letter
        return field_

    def __getnewargs__(self) -> tuple[str, str]:  # pickled (in the class's cache) with its letter
        return str(self), self.letter


BUFFER = StateField("momentum_buffer", "b")
SUM = StateField("sum", "s")
SQUARE_AVG = StateField("square_avg", "v")
ACC_DELTA = StateField("acc_delta", "u")
EXP_AVG = StateField("exp_avg", "m")
EXP_AVG_SQ = StateField("exp_avg_sq", "v")
MAX_EXP_AVG_SQ = StateField("max_exp_avg_sq", "vᵐᵃˣ")
EXP_INF = StateField("exp_inf", "u")
EXP_AVG_VAR = StateField("exp_avg_var", "s")


@dataclass(frozen=True)
class Hyper:
    """A hyperparameter: default and the closed/open range torch accepts.

    ``low``/``high`` are inclusive unless ``open_high``; ``label`` is for the UI.
    """

    default: float
    low: float
    high: float
    open_high: bool = False
    label: str = ""

    @property
    def range(self) -> Range:
        """The values torch accepts (:meth:`Range.check` raises the engine's FieldError)."""
        return Range(self.low, self.high, high_open=self.open_high)


def _beta(default: float, label: str) -> Hyper:
    return Hyper(default, 0.0, 1.0, open_high=True, label=label)


def _eps(default: float) -> Hyper:
    return Hyper(default, 0.0, 1.0, label="ε")


# -- Step explainers: each update written out with its numbers (the step inspector) ---------
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


def _adam_start(a: At, decoupled: bool = False) -> tuple[list[str], str, float, float, float, str]:
    """What the Adam family shares: AdamW's decoupled weight decay, m_t and m-hat
    (``lines, base symbol, base value, m, m_hat, the m-hat line``)."""
    t, b1 = a.t, a.h["beta1"]
    lines: list[str] = []
    base_sym, base = a.th0, a.p0
    if decoupled:
        base_sym, base = r"\theta'", a.p0 * (1 - a.lr * a.h["weight_decay"])
        lines.append(line(base_sym, rf"{a.th0}(1-{a.eta}\lambda)",
                          rf"{num(a.p0)}\cdot(1 - {num(a.lr)}\cdot{num(a.h['weight_decay'])})", base))
    lines.append(average(a, "exp_avg", "m", b1, r"\beta_1", False))
    m = a.new["exp_avg"]
    bc1 = 1 - b1**t
    m_hat = m / bc1
    m_line = line(rf"\hat m_{{{t}}}", rf"m_{{{t}}}/(1-\beta_1^{{{t}}})", rf"{num(m)}/{num(bc1)}", m_hat)
    return lines, base_sym, base, m, m_hat, m_line


def _v_hat(a: At, amsgrad: bool = False) -> tuple[list[str], float, str]:
    """v_t (and AMSGrad's running max) and v-hat: ``lines, v_hat, the v-hat line``."""
    t, b2 = a.t, a.h["beta2"]
    bc2 = 1 - b2**t
    lines = [average(a, "exp_avg_sq", "v", b2, r"\beta_2", True)]
    v, v_sym = a.new["exp_avg_sq"], "v"
    if amsgrad:
        v, v_sym = a.new["max_exp_avg_sq"], r"v^{\max}"
        lines.append(line(rf"v^{{\max}}_{{{t}}}", rf"\max(v^{{\max}}_{{{t - 1}}}, v_{{{t}}})",
                          rf"\max({num(a.old['max_exp_avg_sq'])}, {num(a.new['exp_avg_sq'])})", v))
    v_hat = v / bc2
    return lines, v_hat, line(rf"\hat v_{{{t}}}", rf"{v_sym}_{{{t}}}/(1-\beta_2^{{{t}}})",
                              rf"{num(v)}/{num(bc2)}", v_hat)


def _explain_adam(a: At, decoupled: bool = False, amsgrad: bool = False) -> list[str]:
    """Adam; AdamW (``decoupled``: weight decay on theta first); AMSGrad (the max of v)."""
    lines, base_sym, base, _, m_hat, m_line = _adam_start(a, decoupled)
    v_lines, v_hat, v_line = _v_hat(a, amsgrad)
    t = a.t
    return lines + v_lines + [m_line, v_line, divide(a, base_sym, base, rf"\hat m_{{{t}}}", m_hat,
                                                     rf"\hat v_{{{t}}}", v_hat)]


def _explain_adamax(a: At) -> list[str]:
    lines, _, _, _, m_hat, m_line = _adam_start(a)
    t, u = a.t, a.new["exp_inf"]
    return lines + [
        line(f"u_{{{t}}}", rf"\max(\beta_2 u_{{{t - 1}}}, |{a.gt}| + \epsilon)",
             rf"\max({num(a.h['beta2'])}\cdot{num(a.old['exp_inf'])}, |{num(a.g)}| + {num(a.h['eps'])})", u),
        m_line,
        line(a.th, rf"{a.th0} - {a.eta}\,\hat m_{{{t}}}/u_{{{t}}}",
             rf"{num(a.p0)} - {num(a.lr)}\cdot{num(m_hat)}/{num(u)}", a.p1),
    ]


def _explain_adabelief(a: At) -> list[str]:
    lines, _, _, m, m_hat, m_line = _adam_start(a)
    t, b2 = a.t, a.h["beta2"]
    bc2 = 1 - b2**t
    s = a.new["exp_avg_var"]
    s_hat = s / bc2
    return lines + [
        line(f"s_{{{t}}}", rf"\beta_2 s_{{{t - 1}}} + (1-\beta_2)({a.gt} - m_{{{t}}})^2 + \epsilon",
             rf"{num(b2)}\cdot{num(a.old['exp_avg_var'])} + {num(1 - b2)}\cdot({num(a.g)} - {num(m)})^2"
             rf" + {num(a.h['eps'])}", s),
        m_line,
        line(rf"\hat s_{{{t}}}", rf"s_{{{t}}}/(1-\beta_2^{{{t}}})", rf"{num(s)}/{num(bc2)}", s_hat),
        divide(a, a.th0, a.p0, rf"\hat m_{{{t}}}", m_hat, rf"\hat s_{{{t}}}", s_hat),
    ]


def _nadam_mu(beta1: float, momentum_decay: float, t: int) -> tuple[float, float, float]:
    """NAdam's mu_t, mu_{t+1} and the product of mu_1..mu_t, as torch computes them."""
    product = 1.0
    for k in range(1, t + 1):
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (k * momentum_decay)))
        product *= mu
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
    return mu, mu_next, product


def _explain_nadam(a: At) -> list[str]:
    lines, _, _, m, _, _ = _adam_start(a)
    v_lines, v_hat, v_line = _v_hat(a)
    t, eps = a.t, a.h["eps"]
    mu, mu_next, product = _nadam_mu(a.h["beta1"], a.h.get("momentum_decay", 4e-3), t)
    return lines + v_lines + [
        v_line,
        rf"\mu_{{{t}}} = {num(mu)},\quad \mu_{{{t + 1}}} = {num(mu_next)},\quad "
        rf"\textstyle\prod_{{i\le {t}}}\mu_i = {num(product)}",
        line(a.th, rf"{a.th0} - {a.eta}\frac{{1-\mu_{{{t}}}}}{{1-\prod_{{i\le {t}}}\mu_i}}"
                   rf"\frac{{{a.gt}}}{{\sqrt{{\hat v_{{{t}}}}}+\epsilon}} - {a.eta}"
                   rf"\frac{{\mu_{{{t + 1}}}}}{{1-\prod_{{i\le {t + 1}}}\mu_i}}"
                   rf"\frac{{m_{{{t}}}}}{{\sqrt{{\hat v_{{{t}}}}}+\epsilon}}",
             rf"{num(a.p0)} - {num(a.lr)}\cdot\frac{{{num(1 - mu)}}}{{{num(1 - product)}}}"
             rf"\cdot\frac{{{num(a.g)}}}{{\sqrt{{{num(v_hat)}}}+{num(eps)}}} - {num(a.lr)}\cdot"
             rf"\frac{{{num(mu_next)}}}{{{num(1 - product * mu_next)}}}"
             rf"\cdot\frac{{{num(m)}}}{{\sqrt{{{num(v_hat)}}}+{num(eps)}}}", a.p1),
    ]


def _explain_radam(a: At) -> list[str]:
    lines, _, _, _, m_hat, m_line = _adam_start(a)
    v_lines, v_hat, v_line = _v_hat(a)
    t, b2 = a.t, a.h["beta2"]
    bc2 = 1 - b2**t
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / bc2
    lines += v_lines + [m_line, rf"\rho_{{{t}}} = \rho_\infty - \frac{{2t\beta_2^t}}{{1-\beta_2^t}}"
                                rf" = \mathbf{{{num(rho_t)}}}"]
    if rho_t <= 5:
        return lines + [line(a.th, rf"{a.th0} - {a.eta}\hat m_{{{t}}}\quad(\rho_{{{t}}} \le 5)",
                             rf"{num(a.p0)} - {num(a.lr)}\cdot{num(m_hat)}", a.p1)]
    r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return lines + [
        rf"r_{{{t}}} = \sqrt{{\frac{{(\rho_t-4)(\rho_t-2)\rho_\infty}}{{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}}}"
        rf" = \mathbf{{{num(r)}}}",
        v_line,
        divide(a, a.th0, a.p0, rf"\hat m_{{{t}}}", m_hat, rf"\hat v_{{{t}}}", v_hat,
               factor=f"r_{{{t}}}", factor_value=r),
    ]


@dataclass(frozen=True)
class OptimizerInfo:
    """One row of the optimizer table: its rule, how to show it, torch's name for it.

    ``rule`` and ``coefs`` are the update (see :class:`Optimizer`); ``hypers``
    are its hyperparameters, in the order ``coefs`` reads them from ``h``;
    ``explain`` writes one coordinate of one step out with its numbers, for the
    step inspector (:class:`visualizer.engine.explain.At` holds them).
    """

    name: str
    title: str
    rule: Callable
    coefs: Callable
    lr: float  # torch's default learning rate
    hypers: dict[str, Hyper]
    torch: str
    formula: str  # LaTeX of the update rule
    state_fields: tuple[StateField, ...]  # recorded per step: torch's state names, with letters
    extra0: float = 0.0  # the starting value of the rule's scalar state, if it keeps one
    color: str = field(kw_only=True)  # its colour everywhere: paths, loss chart, table
    explain: Callable[[At], list[str]] = field(kw_only=True)  # one step written out (LaTeX)
    torch_make: Callable[[list, float, dict], Any] = field(kw_only=True)  # torch's own, for the reference
    reference_lrs: tuple[float, float] = field(kw_only=True)  # stable lrs on Himmelblau, Rosenbrock
    reference_variant: dict[str, float] = field(kw_only=True, default_factory=dict)  # non-defaults to test

    def defaults(self) -> dict[str, float]:
        return {k: h.default for k, h in self.hypers.items()}

    def build(self, **hypers: float) -> Optimizer:
        """The optimizer with these hyperparameters (defaults for the rest)."""
        values = {**self.defaults(), **hypers}
        h = tuple(float(values[k]) for k in self.hypers)
        return _elementwise(self.name, self.state_fields, self.rule, self.coefs, h, self.extra0)


_ADAM_HYPERS = {"beta1": _beta(0.9, "β₁"), "beta2": _beta(0.999, "β₂"), "eps": _eps(1e-8)}
ADAM_STEPS = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
    r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
    r"\hat m_t = m_t/(1-\beta_1^t),\quad \hat v_t = v_t/(1-\beta_2^t)",
    r"\theta_t = \theta_{t-1} - \eta_t\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)",
)
"""Adam's update, stated once, line by line: its entry's formula, the Adam vs
AdaBelief page and AdamW's formula are built from it."""
ADABELIEF_STEPS = (
    ADAM_STEPS[0],
    r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \epsilon",
    r"\hat m_t = m_t/(1-\beta_1^t),\quad \hat s_t = s_t/(1-\beta_2^t)",
    r"\theta_t = \theta_{t-1} - \eta_t\, \hat m_t / (\sqrt{\hat s_t} + \epsilon)",
)
"""AdaBelief's, the same four lines with s (the spread of g around m) for v."""
_ADAM_RULE = r",\; ".join(ADAM_STEPS)


# -- The torch case of each optimizer (scripts/make_torch_reference.py) ------------------
# Each builds torch's own optimizer over ``params`` with the registry's hyperparameters
# ``h``; torch (and the two packages) are imported only when the script calls them.
def _torch(name: str, **fixed: Any) -> Callable:
    def make(params: list, lr: float, h: dict) -> Any:
        import torch

        kwargs = dict(fixed)
        for key, value in fixed.items():
            if isinstance(value, str) and value in h:
                kwargs[key] = h[value]
            elif isinstance(value, tuple):
                kwargs[key] = tuple(h[v] for v in value)
        return getattr(torch.optim, name)(params, lr=lr, **kwargs)
    return make


def _torch_adabelief(params: list, lr: float, h: dict) -> Any:
    from adabelief_pytorch import AdaBelief

    return AdaBelief(params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["eps"], rectify=False,
                     print_change_log=False)


def _torch_lion(params: list, lr: float, h: dict) -> Any:
    from lion_pytorch import Lion

    return Lion(params, lr=lr, betas=(h["beta1"], h["beta2"]), weight_decay=h["weight_decay"])


_ADAM_TORCH = {"betas": ("beta1", "beta2"), "eps": "eps"}
_ADAM_VARIANT = {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}


OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.name: info
    for info in [
        OptimizerInfo(
            "gd", "Gradient Descent", _sgd_rule, _lr_coefs, 1e-3, {}, "torch.optim.SGD",
            r"\theta_t = \theta_{t-1} - \eta_t g_t", (),
            color="#2563eb", explain=_explain_gd,
            torch_make=_torch("SGD"), reference_lrs=(0.01, 0.001), reference_variant={},
        ),
        OptimizerInfo(
            "momentum", "Momentum", _heavy_ball_rule, _momentum_coefs, 1e-3,
            {"momentum": Hyper(0.9, 0.0, 1.0, label="momentum μ")},
            "torch.optim.SGD(momentum=0.9)",
            r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t b_t",
            (BUFFER,),
            color="#16a34a", explain=_explain_momentum,
            torch_make=_torch("SGD", momentum="momentum"), reference_lrs=(0.005, 0.0005), reference_variant={"momentum": 0.8},
        ),
        OptimizerInfo(
            "nesterov", "Nesterov", _nesterov_rule, _momentum_coefs, 1e-3,
            {"momentum": Hyper(0.9, 0.0, 1.0, label="momentum μ")},
            "torch.optim.SGD(momentum=0.9, nesterov=True)",
            r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t (g_t + \mu b_t)",
            (BUFFER,),
            color="#721d56", explain=functools.partial(_explain_momentum, nesterov=True),
            torch_make=_torch("SGD", momentum="momentum", nesterov=True), reference_lrs=(0.005, 0.0005), reference_variant={"momentum": 0.7},
        ),
        OptimizerInfo(
            "adagrad", "Adagrad", _adagrad_rule, _adagrad_coefs, 1e-2, {"eps": _eps(1e-10)}, "torch.optim.Adagrad",
            r"s_t = s_{t-1} + g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{s_t} + \epsilon}",
            (SUM,),
            color="#9333ea", explain=_explain_adagrad,
            torch_make=_torch("Adagrad", eps="eps"), reference_lrs=(0.5, 0.1), reference_variant={"eps": 1e-3},
        ),
        OptimizerInfo(
            "rmsprop", "RMSprop", _rmsprop_rule, _rho_coefs, 1e-2,
            {"rho": _beta(0.99, "ρ (torch's alpha)"), "eps": _eps(1e-8)},
            "torch.optim.RMSprop",
            r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{v_t} + \epsilon}",
            (SQUARE_AVG,),
            color="#ea580c", explain=_explain_rmsprop,
            torch_make=_torch("RMSprop", alpha="rho", eps="eps"), reference_lrs=(0.05, 0.005), reference_variant={"rho": 0.9, "eps": 1e-6},
        ),
        OptimizerInfo(
            "adadelta", "Adadelta", _adadelta_rule, _rho_coefs, 1.0, {"rho": _beta(0.9, "ρ"), "eps": _eps(1e-6)},
            "torch.optim.Adadelta",
            r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t,\;"
            r"u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\; \theta_t = \theta_{t-1} - \eta_t \Delta_t",
            (SQUARE_AVG, ACC_DELTA),
            color="#a16207", explain=_explain_adadelta,
            torch_make=_torch("Adadelta", rho="rho", eps="eps"), reference_lrs=(5.0, 1.0), reference_variant={"rho": 0.95, "eps": 1e-4},
        ),
        OptimizerInfo(
            "adam", "Adam", _adam_rule, _adam_coefs, 1e-3, dict(_ADAM_HYPERS), "torch.optim.Adam", _ADAM_RULE,
            (EXP_AVG, EXP_AVG_SQ),
            color="#db2777", explain=_explain_adam,
            torch_make=_torch("Adam", **_ADAM_TORCH), reference_lrs=(0.1, 0.02), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "amsgrad", "AMSGrad", _amsgrad_rule, _adam_coefs, 1e-3, dict(_ADAM_HYPERS),
            "torch.optim.Adam(amsgrad=True)",
            r"\hat v_t = \max(\hat v_{t-1}, v_t),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}"
            r"\frac{m_t}{\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}",
            (EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ),
            color="#be123c", explain=functools.partial(_explain_adam, amsgrad=True),
            torch_make=_torch("Adam", amsgrad=True, **_ADAM_TORCH), reference_lrs=(0.1, 0.02), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "adamw", "AdamW", _adam_rule, _adamw_coefs, 1e-3,
            {**_ADAM_HYPERS, "weight_decay": Hyper(1e-2, 0.0, 1.0, label="weight decay λ")},
            "torch.optim.AdamW",
            r"\theta \leftarrow \theta (1 - \eta_t\lambda),\; \text{then Adam: }" + _ADAM_RULE,
            (EXP_AVG, EXP_AVG_SQ),
            color="#3004a9", explain=functools.partial(_explain_adam, decoupled=True),
            torch_make=_torch("AdamW", weight_decay="weight_decay", **_ADAM_TORCH), reference_lrs=(0.1, 0.02), reference_variant={**_ADAM_VARIANT, "weight_decay": 0.1},
        ),
        OptimizerInfo(
            "adamax", "Adamax", _adamax_rule, _adamax_coefs, 2e-3, dict(_ADAM_HYPERS), "torch.optim.Adamax",
            r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{u_t}",
            (EXP_AVG, EXP_INF),
            color="#0891b2", explain=_explain_adamax,
            torch_make=_torch("Adamax", **_ADAM_TORCH), reference_lrs=(0.1, 0.02), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "nadam", "NAdam", _nadam_rule, _nadam_coefs, 2e-3, dict(_ADAM_HYPERS), "torch.optim.NAdam",
            r"\theta_t = \theta_{t-1} - \eta_t\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{\sqrt{\hat v_t}+\epsilon}"
            r" - \eta_t\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{\sqrt{\hat v_t}+\epsilon}",
            (EXP_AVG, EXP_AVG_SQ), extra0=1.0,
            color="#65a30d", explain=_explain_nadam,
            torch_make=_torch("NAdam", **_ADAM_TORCH), reference_lrs=(0.1, 0.02), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "radam", "RAdam", _radam_rule, _radam_coefs, 1e-3, dict(_ADAM_HYPERS), "torch.optim.RAdam",
            r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t};\; \rho_t > 5:\; \theta_t = \theta_{t-1}"
            r" - \eta_t\, r_t \hat m_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon},\;"
            r"\text{else } \theta_t = \theta_{t-1} - \eta_t \hat m_t",
            (EXP_AVG, EXP_AVG_SQ),
            color="#c2410c", explain=_explain_radam,
            torch_make=_torch("RAdam", **_ADAM_TORCH), reference_lrs=(0.01, 0.001), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "adabelief", "AdaBelief", _adabelief_rule, _adabelief_coefs, 1e-3, {**_ADAM_HYPERS, "eps": _eps(1e-16)},
            "adabelief_pytorch.AdaBelief(rectify=False)",
            r",\; ".join(ADABELIEF_STEPS),
            (EXP_AVG, EXP_AVG_VAR),
            color="#1e293b", explain=_explain_adabelief,
            torch_make=_torch_adabelief, reference_lrs=(0.1, 0.02), reference_variant=_ADAM_VARIANT,
        ),
        OptimizerInfo(
            "lion", "Lion", _lion_rule, _lion_coefs, 1e-4,
            {"beta1": _beta(0.9, "β₁"), "beta2": _beta(0.99, "β₂"),
             "weight_decay": Hyper(0.0, 0.0, 1.0, label="weight decay λ")},
            "lion_pytorch.Lion",
            r"\theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t\,\mathrm{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\;"
            r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
            (EXP_AVG,),
            color="#ca8a04", explain=_explain_lion,
            torch_make=_torch_lion, reference_lrs=(0.05, 0.01), reference_variant={"beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1},
        ),
    ]
}


def info(name: str) -> OptimizerInfo:
    """The registry entry called ``name``; ``KeyError`` names the valid choices.
    (``info``, not ``get``: ``landscapes.get`` is the public API's, and one name
    should not mean two lookups.)"""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise UnknownOptimizerError(
            f"unknown optimizer {name!r}; choose from: {', '.join(OPTIMIZERS)}"
        ) from None


class UnknownOptimizerError(KeyError):
    """An optimizer name that is not registered; the message names the choices."""

    def __str__(self) -> str:
        return str(self.args[0])
