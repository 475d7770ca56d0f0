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
    """A pure optimizer: ``init(params) -> state``, ``update(g, state, params, lr)``."""

    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array, LR], tuple[Array, Any]]


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``torch.lerp``: one of two formulas by the size of the weight (for accuracy)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


# -- SGD family -------------------------------------------------------------------
class EmptyState(NamedTuple):
    count: int


class MomentumState(NamedTuple):
    count: int
    momentum_buffer: Array


def gd() -> Optimizer:
    r"""Plain gradient descent (torch ``SGD``): :math:`\theta \leftarrow \theta - \eta g`."""

    def init(params: Array) -> EmptyState:
        return EmptyState(0)

    def update(g: Array, state: EmptyState, params: Array, lr: LR) -> tuple[Array, EmptyState]:
        return params - lr * g, EmptyState(state.count + 1)

    return Optimizer(init, update)


def _heavy_ball(mu: float, nesterov: bool) -> Optimizer:
    def init(params: Array) -> MomentumState:
        return MomentumState(0, np.zeros_like(params, dtype=float))

    def update(g: Array, state: MomentumState, params: Array, lr: LR):
        buf = state.momentum_buffer * mu + g
        step = g + mu * buf if nesterov else buf
        return params - lr * step, MomentumState(state.count + 1, buf)

    return Optimizer(init, update)


def momentum(momentum: float = 0.9) -> Optimizer:
    r"""Heavy-ball momentum as torch ``SGD(momentum, dampening=0)``.

    .. math:: b_t = \mu b_{t-1} + g_t,\quad \theta_t = \theta_{t-1} - \eta b_t

    torch starts the buffer as a copy of the first gradient; starting it at
    zero gives the same numbers, since :math:`\mu \cdot 0 + g = g` exactly.

    Note: the classic figure's ``v = 0.9 v - lr g`` equals this for a constant
    learning rate, but scales old velocity by the old rate when lr decays.
    """
    return _heavy_ball(momentum, nesterov=False)


def nesterov(momentum: float = 0.9) -> Optimizer:
    r"""Nesterov momentum, torch ``SGD(momentum, nesterov=True)``: steps along
    :math:`g_t + \mu b_t` instead of :math:`b_t`."""
    return _heavy_ball(momentum, nesterov=True)


# -- Adaptive per-coordinate scaling ------------------------------------------------
class AdagradState(NamedTuple):
    count: int
    sum: Array


def adagrad(eps: float = 1e-10) -> Optimizer:
    r"""torch ``Adagrad`` (accumulator starts at 0).

    .. math:: s_t = s_{t-1} + g_t^2,\quad \theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{s_t} + \epsilon)
    """

    def init(params: Array) -> AdagradState:
        return AdagradState(0, np.zeros_like(params, dtype=float))

    def update(g: Array, state: AdagradState, params: Array, lr: LR):
        s = state.sum + g * g
        return params - lr * (g / (np.sqrt(s) + eps)), AdagradState(state.count + 1, s)

    return Optimizer(init, update)


class RMSpropState(NamedTuple):
    count: int
    square_avg: Array


def rmsprop(rho: float = 0.99, eps: float = 1e-8) -> Optimizer:
    r"""torch ``RMSprop`` (``rho`` is torch's ``alpha``; eps outside the square root).

    .. math:: v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad \theta_t = \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)
    """
    c = 1.0 - rho

    def init(params: Array) -> RMSpropState:
        return RMSpropState(0, np.zeros_like(params, dtype=float))

    def update(g: Array, state: RMSpropState, params: Array, lr: LR):
        v = state.square_avg * rho + c * g * g
        return params - lr * (g / (np.sqrt(v) + eps)), RMSpropState(state.count + 1, v)

    return Optimizer(init, update)


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
    c = 1.0 - rho

    def init(params: Array) -> AdadeltaState:
        z = np.zeros_like(params, dtype=float)
        return AdadeltaState(0, z, z)

    def update(g: Array, state: AdadeltaState, params: Array, lr: LR):
        v = state.square_avg * rho + c * g * g
        delta = np.sqrt(state.acc_delta + eps) / np.sqrt(v + eps) * g
        u = state.acc_delta * rho + c * delta * delta
        return params - lr * delta, AdadeltaState(state.count + 1, v, u)

    return Optimizer(init, update)


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

    def init(params: Array) -> AdamState | AMSGradState:
        z = np.zeros_like(params, dtype=float)
        return AMSGradState(0, z, z, z) if amsgrad else AdamState(0, z, z)

    def update(g: Array, state: Any, params: Array, lr: LR):
        t = state.count + 1
        if weight_decay != 0.0:
            params = params * (1.0 - lr * weight_decay)
        m = _lerp(state.exp_avg, g, w1)
        v = state.exp_avg_sq * beta2 + c2 * g * g
        bc2_sqrt = (1.0 - beta2 ** float(t)) ** 0.5
        step_size = lr / (1.0 - beta1 ** float(t))
        if amsgrad:
            vmax = np.maximum(state.max_exp_avg_sq, v)
            new_state: Any = AMSGradState(t, m, v, vmax)
        else:
            vmax = v
            new_state = AdamState(t, m, v)
        denom = np.sqrt(vmax) / bc2_sqrt + eps
        return params - step_size * (m / denom), new_state

    return Optimizer(init, update)


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

    def init(params: Array) -> AdamaxState:
        z = np.zeros_like(params, dtype=float)
        return AdamaxState(0, z, z)

    def update(g: Array, state: AdamaxState, params: Array, lr: LR):
        t = state.count + 1
        m = _lerp(state.exp_avg, g, w1)
        u = np.maximum(state.exp_inf * beta2, np.abs(g) + eps)
        clr = lr / (1.0 - beta1 ** float(t))
        return params - clr * (m / u), AdamaxState(t, m, u)

    return Optimizer(init, update)


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

    def init(params: Array) -> NAdamState:
        z = np.zeros_like(params, dtype=float)
        return NAdamState(0, z, z, 1.0)

    def update(g: Array, state: NAdamState, params: Array, lr: LR):
        t = state.count + 1
        step = float(t)
        bias_correction2 = 1.0 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * momentum_decay)))
        mu_product = state.mu_product * mu
        m = _lerp(state.exp_avg, g, w1)
        v = state.exp_avg_sq * beta2 + c2 * g * g
        denom = np.sqrt(v / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        params = params + (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        params = params + ((-lr * mu_next) / (1.0 - mu_product_next)) * (m / denom)
        return params, NAdamState(t, m, v, mu_product)

    return Optimizer(init, update)


def radam(beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    r"""torch ``RAdam``: Adam whose adaptive step is switched on, and rectified,
    once the variance estimate is trustworthy (:math:`\rho_t > 5`); before that
    it is SGD with bias-corrected momentum."""
    w1, c2 = 1.0 - beta1, 1.0 - beta2
    rho_inf = 2.0 / (1.0 - beta2) - 1.0

    def init(params: Array) -> AdamState:
        z = np.zeros_like(params, dtype=float)
        return AdamState(0, z, z)

    def update(g: Array, state: AdamState, params: Array, lr: LR):
        t = state.count + 1
        step = float(t)
        m = _lerp(state.exp_avg, g, w1)
        v = state.exp_avg_sq * beta2 + c2 * g * g
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        m_hat = m / bias_correction1
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            adaptive = (bias_correction2**0.5) / (np.sqrt(v) + eps)
            rect = (
                (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
            ) ** 0.5
            params = params - m_hat * lr * adaptive * rect
        else:
            params = params - m_hat * lr
        return params, AdamState(t, m, v)

    return Optimizer(init, update)


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

    def init(params: Array) -> AdaBeliefState:
        z = np.zeros_like(params, dtype=float)
        return AdaBeliefState(0, z, z)

    def update(g: Array, state: AdaBeliefState, params: Array, lr: LR):
        t = state.count + 1
        m = state.exp_avg * beta1 + c1 * g
        r = g - m
        s = (state.exp_avg_var * beta2 + c2 * r * r) + eps
        denom = np.sqrt(s) / math.sqrt(1.0 - beta2**t) + eps
        step_size = lr / (1.0 - beta1**t)
        return params - step_size * (m / denom), AdaBeliefState(t, m, s)

    return Optimizer(init, update)


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

    def init(params: Array) -> LionState:
        return LionState(0, np.zeros_like(params, dtype=float))

    def update(g: Array, state: LionState, params: Array, lr: LR):
        if weight_decay != 0.0:
            params = params * (1.0 - lr * weight_decay)
        direction = np.sign(state.exp_avg * beta1 + c1 * g)
        m = state.exp_avg * beta2 + c2 * g
        return params - lr * direction, LionState(state.count + 1, m)

    return Optimizer(init, update)


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
