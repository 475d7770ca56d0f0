"""Fourteen optimizers as pure ``init``/``update`` pairs over NumPy arrays.

Every update rule is torch.optim's single-tensor implementation (AdaBelief:
``adabelief-pytorch`` with ``rectify=False``; Lion: ``lion-pytorch``), with the
same operations in the same order, so that float64 trajectories equal torch's
to the last digits. All operations are element-wise: parameters of shape
``(K, 2)`` are K independent runs.

An optimizer is built from its hyperparameters by a factory
(``adam(beta1=0.9, beta2=0.999, eps=1e-8)``) and used as::

    state = opt.init(params)
    params, state = opt.update(grads, state, params, lr)

Nothing is mutated: ``update`` returns new arrays and a new state. ``lr`` is a
float, or an array that broadcasts against ``params`` (one learning rate per
run). The step count lives in the state, as in optax.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray
LR = float | Array


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``, ``update(g, state, params, lr)``.

    ``coefficients`` and ``fields`` expose the same update in the form the
    compiled batch path (:mod:`visualizer.compiled`) runs: ``coefficients(t,
    lr, *extra)`` returns ``(rule, coefs, extra)`` for step t, where ``rule(g,
    p, *state, coefs) -> (p, *state)`` is an element-wise function of floats or
    arrays, ``fields`` names the array state and ``extra`` is the scalar state
    (NAdam's running product of mu).
    """

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, LR], tuple[Array, Any]]
    coefficients: Callable[..., tuple[Callable, tuple, tuple]]
    fields: tuple[str, ...]


def _elementwise(state_cls: type, coefficients: Callable, extra: tuple = ()) -> Optimizer:
    """An optimizer from its element-wise rule.

    ``state_cls`` is a NamedTuple ``(count, *arrays, *extra)``; ``extra`` holds
    the initial values of its scalar fields. ``update`` computes step t's
    coefficients (Python floats, or arrays when ``lr`` is one) and applies the
    rule to whole arrays; the compiled path applies the same rule to one
    element at a time, so both paths do the same arithmetic.
    """
    n = len(state_cls._fields) - 1 - len(extra)
    fields = state_cls._fields[1 : 1 + n]

    def init(params: Array) -> Any:
        zeros = np.zeros_like(params, dtype=float)
        return state_cls(0, *([zeros] * n), *extra)

    def update(g: Array, state: Any, params: Array, lr: LR) -> tuple[Array, Any]:
        t = state.count + 1
        rule, coefs, new_extra = coefficients(t, lr, *state[1 + n :])
        params, *arrays = rule(g, params, *state[1 : 1 + n], coefs)
        return params, state_cls(t, *arrays, *new_extra)

    return Optimizer(init, update, coefficients, fields)


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``torch.lerp``: one of two formulas by the size of the weight (for accuracy)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# The element-wise rules. Each takes the gradient, the parameters, the array
# state and the step's coefficients ``c`` (a tuple, or an array of them), and
# returns the new parameters and state. They use only arithmetic and NumPy
# ufuncs, so they run on arrays here and compile with numba for big batches.
# Every expression is torch's, operation for operation: do not "simplify".


def _sgd_rule(g, p, c):
    lr = c[0]
    return (p - lr * g,)


def _heavy_ball_rule(g, p, buf, c):
    lr, mu = c[0], c[1]
    buf = buf * mu + g
    return p - lr * buf, buf


def _nesterov_rule(g, p, buf, c):
    lr, mu = c[0], c[1]
    buf = buf * mu + g
    return p - lr * (g + mu * buf), buf


def _adagrad_rule(g, p, s, c):
    lr, eps = c[0], c[1]
    s = s + g * g
    return p - lr * (g / (np.sqrt(s) + eps)), s


def _rmsprop_rule(g, p, v, c):
    lr, rho, one_minus_rho, eps = c[0], c[1], c[2], c[3]
    v = v * rho + one_minus_rho * g * g
    return p - lr * (g / (np.sqrt(v) + eps)), v


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


def _adamax_rule(g, p, m, u, c):
    clr, w1, beta2, eps = c[0], c[1], c[2], c[3]
    m = _lerp(m, g, w1)
    u = np.maximum(u * beta2, np.abs(g) + eps)
    return p - clr * (m / u), m, u


def _nadam_rule(g, p, m, v, c):
    g_coef, m_coef, bias_correction2, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    denom = np.sqrt(v / bias_correction2) + eps
    p = p + g_coef * (g / denom)
    return p + m_coef * (m / denom), m, v


def _radam_rule(g, p, m, v, c):
    lr, bias_correction1, bc2_sqrt, rect, w1, beta2, c2, eps = (
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
    )
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    m_hat = m / bias_correction1
    adaptive = bc2_sqrt / (np.sqrt(v) + eps)
    return p - m_hat * lr * adaptive * rect, m, v


def _radam_warmup_rule(g, p, m, v, c):
    lr, bias_correction1, w1, beta2, c2 = c[0], c[1], c[2], c[3], c[4]
    m = _lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    return p - m / bias_correction1 * lr, m, v


def _adabelief_rule(g, p, m, s, c):
    step_size, bc2_sqrt, beta1, c1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    m = m * beta1 + c1 * g
    r = g - m
    s = (s * beta2 + c2 * r * r) + eps
    denom = np.sqrt(s) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, s


def _lion_rule(g, p, m, c):
    lr, shrink, beta1, c1, beta2, c2 = c[0], c[1], c[2], c[3], c[4], c[5]
    p = p * shrink
    direction = np.sign(m * beta1 + c1 * g)
    m = m * beta2 + c2 * g
    return p - lr * direction, m


# -- SGD family -------------------------------------------------------------------
class EmptyState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    momentum_buffer: Array


def gd() -> Optimizer:
    r"""Plain gradient descent (torch ``SGD``): :math:`\theta \leftarrow \theta - \eta g`."""
    return _elementwise(EmptyState, lambda t, lr: (_sgd_rule, (lr,), ()))


def momentum(momentum: float = 0.9) -> Optimizer:
    r"""Heavy-ball momentum as torch ``SGD(momentum, dampening=0)``.

    .. math:: b_t = \mu b_{t-1} + g_t,\quad \theta_t = \theta_{t-1} - \eta b_t

    torch starts the buffer as a copy of the first gradient; starting it at
    zero gives the same numbers, since :math:`\mu \cdot 0 + g = g` exactly.

    Note: the classic figure's ``v = 0.9 v - lr g`` equals this for a constant
    learning rate, but scales old velocity by the old rate when lr decays.
    """
    return _elementwise(MomentumState, lambda t, lr: (_heavy_ball_rule, (lr, momentum), ()))


def nesterov(momentum: float = 0.9) -> Optimizer:
    r"""Nesterov momentum, torch ``SGD(momentum, nesterov=True)``: steps along
    :math:`g_t + \mu b_t` instead of :math:`b_t`."""
    return _elementwise(MomentumState, lambda t, lr: (_nesterov_rule, (lr, momentum), ()))


# -- Adaptive per-coordinate scaling ------------------------------------------------
class AdagradState(NamedTuple):
    count: int
    sum: Array


def adagrad(eps: float = 1e-10) -> Optimizer:
    r"""torch ``Adagrad`` (accumulator starts at 0).

    .. math:: s_t = s_{t-1} + g_t^2,\quad \theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{s_t} + \epsilon)
    """
    return _elementwise(AdagradState, lambda t, lr: (_adagrad_rule, (lr, eps), ()))


class RMSpropState(NamedTuple):
    count: int
    square_avg: Array


def rmsprop(rho: float = 0.99, eps: float = 1e-8) -> Optimizer:
    r"""torch ``RMSprop`` (``rho`` is torch's ``alpha``; eps outside the square root).

    .. math:: v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad \theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)
    """
    return _elementwise(RMSpropState, lambda t, lr: (_rmsprop_rule, (lr, rho, 1.0 - rho, eps), ()))


class AdadeltaState(NamedTuple):
    count: int
    square_avg: Array
    acc_delta: Array


def adadelta(rho: float = 0.9, eps: float = 1e-6) -> Optimizer:
    r"""torch ``Adadelta``.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2,\quad
        \theta_t = \theta_{t-1} - \eta \Delta_t
    """
    return _elementwise(
        AdadeltaState, lambda t, lr: (_adadelta_rule, (lr, rho, 1.0 - rho, eps), ())
    )


# -- Adam family ------------------------------------------------------------------
class AdamState(NamedTuple):
    count: int
    exp_avg: Array
    exp_avg_sq: Array


class AMSGradState(NamedTuple):
    count: int
    exp_avg: Array
    exp_avg_sq: Array
    max_exp_avg_sq: Array


def adam(
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    amsgrad: bool = False,
    weight_decay: float = 0.0,
) -> Optimizer:
    r"""torch ``Adam`` (``amsgrad=True``: AMSGrad; ``weight_decay``: AdamW's decoupled decay).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    AMSGrad divides by the running maximum of :math:`v_t` instead. With
    ``weight_decay`` the parameters are first scaled by :math:`1 - \eta\lambda`
    (torch ``AdamW``).
    """
    w1, c2 = 1.0 - beta1, 1.0 - beta2
    rule = _amsgrad_rule if amsgrad else _adam_rule

    def coefficients(t: int, lr: LR):
        bc2_sqrt = (1.0 - beta2 ** float(t)) ** 0.5
        step_size = lr / (1.0 - beta1 ** float(t))
        shrink = 1.0 - lr * weight_decay
        return rule, (step_size, bc2_sqrt, shrink, w1, beta2, c2, eps), ()

    return _elementwise(AMSGradState if amsgrad else AdamState, coefficients)


def amsgrad(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """AMSGrad, torch ``Adam(amsgrad=True)``."""
    return adam(beta1, beta2, eps, amsgrad=True)


def adamw(
    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 1e-2
) -> Optimizer:
    r"""torch ``AdamW``: Adam after scaling the parameters by :math:`1 - \eta\lambda`."""
    return adam(beta1, beta2, eps, weight_decay=weight_decay)


class AdamaxState(NamedTuple):
    count: int
    exp_avg: Array
    exp_inf: Array


def adamax(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    r"""torch ``Adamax``: Adam with an infinity norm in place of :math:`\sqrt{v_t}`.

    .. math:: u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t} \frac{m_t}{u_t}
    """
    w1 = 1.0 - beta1

    def coefficients(t: int, lr: LR):
        clr = lr / (1.0 - beta1 ** float(t))
        return _adamax_rule, (clr, w1, beta2, eps), ()

    return _elementwise(AdamaxState, coefficients)


class NAdamState(NamedTuple):
    count: int
    exp_avg: Array
    exp_avg_sq: Array
    mu_product: float


def nadam(
    beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, momentum_decay: float = 4e-3
) -> Optimizer:
    r"""torch ``NAdam``, with its momentum-decay schedule
    :math:`\mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t \psi})`.

    .. math::
        \theta_t = \theta_{t-1}
            - \eta \frac{1-\mu_t}{1-\prod_{i\le t}\mu_i} \frac{g_t}{\sqrt{\hat v_t}+\epsilon}
            - \eta \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} \frac{m_t}{\sqrt{\hat v_t}+\epsilon}
    """
    w1, c2 = 1.0 - beta1, 1.0 - beta2

    def coefficients(t: int, lr: LR, mu_product: float):
        step = float(t)
        bias_correction2 = 1.0 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * momentum_decay)))
        mu_product = mu_product * mu
        mu_product_next = mu_product * mu_next
        g_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
        m_coef = (-lr * mu_next) / (1.0 - mu_product_next)
        coefs = (g_coef, m_coef, bias_correction2, w1, beta2, c2, eps)
        return _nadam_rule, coefs, (mu_product,)

    return _elementwise(NAdamState, coefficients, extra=(1.0,))


def radam(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    r"""torch ``RAdam``: Adam whose adaptive step is switched on, and rectified,
    once the variance estimate is trustworthy (:math:`\rho_t > 5`); before that
    it is SGD with bias-corrected momentum."""
    w1, c2 = 1.0 - beta1, 1.0 - beta2
    rho_inf = 2.0 / (1.0 - beta2) - 1.0

    def coefficients(t: int, lr: LR):
        step = float(t)
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bias_correction2
        if rho_t <= 5.0:
            return _radam_warmup_rule, (lr, bias_correction1, w1, beta2, c2), ()
        rect = (
            (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
        ) ** 0.5
        coefs = (lr, bias_correction1, bias_correction2**0.5, rect, w1, beta2, c2, eps)
        return _radam_rule, coefs, ()

    return _elementwise(AdamState, coefficients)


class AdaBeliefState(NamedTuple):
    count: int
    exp_avg: Array
    exp_avg_var: Array


def adabelief(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-16) -> Optimizer:
    r"""AdaBelief, Algorithm 2 of the paper (``adabelief-pytorch``, ``rectify=False``).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon,\\
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{s_t}/\sqrt{1-\beta_2^t} + \epsilon}

    Unlike Adam's :math:`v_t`, :math:`s_t` keeps the :math:`\epsilon` it adds
    every step, as the reference package does.
    """
    c1, c2 = 1.0 - beta1, 1.0 - beta2

    def coefficients(t: int, lr: LR):
        bc2_sqrt = math.sqrt(1.0 - beta2**t)
        step_size = lr / (1.0 - beta1**t)
        return _adabelief_rule, (step_size, bc2_sqrt, beta1, c1, beta2, c2, eps), ()

    return _elementwise(AdaBeliefState, coefficients)


class LionState(NamedTuple):
    count: int
    exp_avg: Array


def lion(beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0) -> Optimizer:
    r"""Lion (``lion-pytorch``): the sign of an interpolated momentum.

    .. math::
        \theta_t = \theta_{t-1}(1 - \eta\lambda) - \eta\,\mathrm{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\quad
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t
    """
    c1, c2 = 1.0 - beta1, 1.0 - beta2

    def coefficients(t: int, lr: LR):
        return _lion_rule, (lr, 1.0 - lr * weight_decay, beta1, c1, beta2, c2), ()

    return _elementwise(LionState, coefficients)


# -- The registry -------------------------------------------------------------------
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

    def check(self, name: str, value: float) -> None:
        if not math.isfinite(value):
            raise ValueError(f"Invalid {name} value: {value} (must be a finite number)")
        too_high = value >= self.high if self.open_high else value > self.high
        if value < self.low or too_high:
            bracket = ")" if self.open_high else "]"
            raise ValueError(
                f"Invalid {name} value: {value} (must be in [{self.low:g}, {self.high:g}{bracket})"
            )


def _beta(default: float, label: str) -> Hyper:
    return Hyper(default, 0.0, 1.0, open_high=True, label=label)


def _eps(default: float) -> Hyper:
    return Hyper(default, 0.0, 1.0, label="ε")


@dataclass(frozen=True)
class OptimizerInfo:
    """One row of the optimizer table: how to build it and how to show it."""

    name: str
    title: str
    factory: Callable[..., Optimizer]
    lr: float  # torch's default learning rate
    hypers: dict[str, Hyper]
    torch: str
    formula: str  # LaTeX of the update rule
    state_fields: tuple[str, ...]  # recorded per step, in torch's state names

    def defaults(self) -> dict[str, float]:
        return {k: h.default for k, h in self.hypers.items()}

    def build(self, **hypers: float) -> Optimizer:
        """The optimizer with these hyperparameters (defaults for the rest)."""
        return self.factory(**{**self.defaults(), **hypers})


_ADAM_HYPERS = {"beta1": _beta(0.9, "β₁"), "beta2": _beta(0.999, "β₂"), "eps": _eps(1e-8)}
_ADAM_RULE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\; v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\;"
    r"\theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}"
)

OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.name: info
    for info in [
        OptimizerInfo(
            "gd", "Gradient Descent", gd, 1e-3, {}, "torch.optim.SGD",
            r"\theta_t = \theta_{t-1} - \eta_t g_t", (),
        ),
        OptimizerInfo(
            "momentum", "Momentum", momentum, 1e-3,
            {"momentum": Hyper(0.9, 0.0, 1.0, label="momentum μ")},
            "torch.optim.SGD(momentum=0.9)",
            r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t b_t",
            ("momentum_buffer",),
        ),
        OptimizerInfo(
            "nesterov", "Nesterov", nesterov, 1e-3,
            {"momentum": Hyper(0.9, 0.0, 1.0, label="momentum μ")},
            "torch.optim.SGD(momentum=0.9, nesterov=True)",
            r"b_t = \mu b_{t-1} + g_t,\; \theta_t = \theta_{t-1} - \eta_t (g_t + \mu b_t)",
            ("momentum_buffer",),
        ),
        OptimizerInfo(
            "adagrad", "Adagrad", adagrad, 1e-2, {"eps": _eps(1e-10)}, "torch.optim.Adagrad",
            r"s_t = s_{t-1} + g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{s_t} + \epsilon}",
            ("sum",),
        ),
        OptimizerInfo(
            "rmsprop", "RMSprop", rmsprop, 1e-2,
            {"rho": _beta(0.99, "ρ (torch's alpha)"), "eps": _eps(1e-8)},
            "torch.optim.RMSprop",
            r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \theta_t = \theta_{t-1} - \eta_t \frac{g_t}{\sqrt{v_t} + \epsilon}",
            ("square_avg",),
        ),
        OptimizerInfo(
            "adadelta", "Adadelta", adadelta, 1.0, {"rho": _beta(0.9, "ρ"), "eps": _eps(1e-6)},
            "torch.optim.Adadelta",
            r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t,\;"
            r"u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\; \theta_t = \theta_{t-1} - \eta_t \Delta_t",
            ("square_avg", "acc_delta"),
        ),
        OptimizerInfo(
            "adam", "Adam", adam, 1e-3, dict(_ADAM_HYPERS), "torch.optim.Adam", _ADAM_RULE,
            ("exp_avg", "exp_avg_sq"),
        ),
        OptimizerInfo(
            "amsgrad", "AMSGrad", amsgrad, 1e-3, dict(_ADAM_HYPERS),
            "torch.optim.Adam(amsgrad=True)",
            r"\hat v_t = \max(\hat v_{t-1}, v_t),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}"
            r"\frac{m_t}{\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}",
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
        ),
        OptimizerInfo(
            "adamw", "AdamW", adamw, 1e-3,
            {**_ADAM_HYPERS, "weight_decay": Hyper(1e-2, 0.0, 1.0, label="weight decay λ")},
            "torch.optim.AdamW",
            r"\theta \leftarrow \theta (1 - \eta_t\lambda),\; \text{then Adam: }" + _ADAM_RULE,
            ("exp_avg", "exp_avg_sq"),
        ),
        OptimizerInfo(
            "adamax", "Adamax", adamax, 2e-3, dict(_ADAM_HYPERS), "torch.optim.Adamax",
            r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{u_t}",
            ("exp_avg", "exp_inf"),
        ),
        OptimizerInfo(
            "nadam", "NAdam", nadam, 2e-3, dict(_ADAM_HYPERS), "torch.optim.NAdam",
            r"\theta_t = \theta_{t-1} - \eta_t\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{\sqrt{\hat v_t}+\epsilon}"
            r" - \eta_t\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{\sqrt{\hat v_t}+\epsilon}",
            ("exp_avg", "exp_avg_sq"),
        ),
        OptimizerInfo(
            "radam", "RAdam", radam, 1e-3, dict(_ADAM_HYPERS), "torch.optim.RAdam",
            r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t};\; \rho_t > 5:\; \theta_t = \theta_{t-1}"
            r" - \eta_t\, r_t \hat m_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon},\;"
            r"\text{else } \theta_t = \theta_{t-1} - \eta_t \hat m_t",
            ("exp_avg", "exp_avg_sq"),
        ),
        OptimizerInfo(
            "adabelief", "AdaBelief", adabelief, 1e-3, {**_ADAM_HYPERS, "eps": _eps(1e-16)},
            "adabelief_pytorch.AdaBelief(rectify=False)",
            r"s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \epsilon,\;"
            r"\theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{\sqrt{s_t/(1-\beta_2^t)} + \epsilon}",
            ("exp_avg", "exp_avg_var"),
        ),
        OptimizerInfo(
            "lion", "Lion", lion, 1e-4,
            {"beta1": _beta(0.9, "β₁"), "beta2": _beta(0.99, "β₂"),
             "weight_decay": Hyper(0.0, 0.0, 1.0, label="weight decay λ")},
            "lion_pytorch.Lion",
            r"\theta_t = \theta_{t-1}(1-\eta_t\lambda) - \eta_t\,\mathrm{sign}(\beta_1 m_{t-1} + (1-\beta_1) g_t),\;"
            r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
            ("exp_avg",),
        ),
    ]
}


def get(name: str) -> OptimizerInfo:
    """The registry entry called ``name``; ``KeyError`` names the valid choices."""
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
