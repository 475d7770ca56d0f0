"""The Adam family: one running average of the gradients (m) over a measure of
their size, each bias-corrected. Adam; AMSGrad (Adam with the running max of v),
AdamW (Adam after a decoupled shrink), Adamax (the infinity norm for v), NAdam
(Nesterov's look-ahead through a schedule of mu), RAdam (rectified, with plain
momentum steps until v is reliable) and AdaBelief (the spread of g around m for v,
``adabelief-pytorch`` with ``rectify=False``)."""

from __future__ import annotations

import functools
import math

import numpy as np

from visualizer.engine.explain import At, average, divide, line, num
from visualizer.engine.optimizers.base import (
    EXP_AVG,
    OptimizerInfo,
    StateField,
    beta,
    eps,
    lerp,
    root,
    torch_optim,
    weight_decay,
)

EXP_AVG_SQ = StateField("exp_avg_sq", "v")
MAX_EXP_AVG_SQ = StateField("max_exp_avg_sq", "vᵐᵃˣ")
EXP_INF = StateField("exp_inf", "u")
EXP_AVG_VAR = StateField("exp_avg_var", "s")


# -- The rules and their coefficients ------------------------------------------------
def _adam_rule(g, p, m, v, c):
    step_size, bc2_sqrt, shrink, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    p = p * shrink  # AdamW's decoupled weight decay; 1.0 (exact: p * 1.0 == p) for Adam
    m = lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    denom = np.sqrt(v) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, v


def _amsgrad_rule(g, p, m, v, vmax, c):
    step_size, bc2_sqrt, shrink, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    p = p * shrink
    m = lerp(m, g, w1)
    v = v * beta2 + c2 * g * g
    vmax = np.maximum(vmax, v)
    denom = np.sqrt(vmax) / bc2_sqrt + eps
    return p - step_size * (m / denom), m, v, vmax


def _adam_coefs(t, lr, h, x):  # h = (beta1, beta2, eps)
    beta1, beta2, eps = h[0], h[1], h[2]
    step = float(t)
    bc2_sqrt = root(1.0 - beta2**step)
    step_size = lr / (1.0 - beta1**step)
    return (step_size, bc2_sqrt, 1.0, 1.0 - beta1, beta2, 1.0 - beta2, eps), x


def _adamw_coefs(t, lr, h, x):  # h = (beta1, beta2, eps, weight_decay)
    beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3]
    step = float(t)
    bc2_sqrt = root(1.0 - beta2**step)
    step_size = lr / (1.0 - beta1**step)
    shrink = 1.0 - lr * weight_decay
    return (step_size, bc2_sqrt, shrink, 1.0 - beta1, beta2, 1.0 - beta2, eps), x


def _adamax_rule(g, p, m, u, c):
    clr, w1, beta2, eps = c[0], c[1], c[2], c[3]
    m = lerp(m, g, w1)
    u = np.maximum(u * beta2, np.abs(g) + eps)
    return p - clr * (m / u), m, u


def _adamax_coefs(t, lr, h, x):
    beta1, beta2, eps = h[0], h[1], h[2]
    clr = lr / (1.0 - beta1 ** float(t))
    return (clr, 1.0 - beta1, beta2, eps), x


def _nadam_rule(g, p, m, v, c):
    g_coef, m_coef, bias_correction2, w1, beta2, c2, eps = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    m = lerp(m, g, w1)
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
    m = lerp(m, g, w1)
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
    rect = root(
        (rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
    )
    return (lr, bias_correction1, root(bias_correction2), rect, 1.0 - beta1, beta2,
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



# -- Each step written out with its numbers (the step inspector) -------------------------
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



# -- Adam's update, line by line ---------------------------------------------------------
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
ADAM_RULE = r",\; ".join(ADAM_STEPS)



def _torch_adabelief(params: list, lr: float, h: dict):
    from adabelief_pytorch import AdaBelief

    return AdaBelief(params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["eps"], rectify=False,
                     print_change_log=False)



# -- The entries ------------------------------------------------------------------------
ADAM = OptimizerInfo(
    name="adam", title="Adam", rule=_adam_rule, coefs=_adam_coefs, lr=1e-3,
    hypers={"beta1": beta(0.9, "β₁"), "beta2": beta(0.999, "β₂"), "eps": eps(1e-8)},
    state_fields=(EXP_AVG, EXP_AVG_SQ), formula=ADAM_RULE, explain=_explain_adam, color="#db2777",
    torch="torch.optim.Adam", torch_make=torch_optim("Adam", betas=("beta1", "beta2"), eps="eps"),
    reference_lrs=(0.1, 0.02), reference_variant={"beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
)
AMSGRAD = ADAM.variant(  # Adam with the running max of v
    name="amsgrad", title="AMSGrad", rule=_amsgrad_rule,
    state_fields=(EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ),
    formula=r"\hat v_t = \max(\hat v_{t-1}, v_t),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}"
            r"\frac{m_t}{\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}",
    explain=functools.partial(_explain_adam, amsgrad=True), color="#be123c",
    torch="torch.optim.Adam(amsgrad=True)",
    torch_make=torch_optim("Adam", amsgrad=True, betas=("beta1", "beta2"), eps="eps"),
)
ADAMW = ADAM.variant(  # Adam after shrinking theta by (1 - lr lambda)
    name="adamw", title="AdamW", coefs=_adamw_coefs,
    hypers={**ADAM.hypers, "weight_decay": weight_decay(1e-2)},
    formula=r"\theta \leftarrow \theta (1 - \eta_t\lambda),\; \text{then Adam: }" + ADAM_RULE,
    explain=functools.partial(_explain_adam, decoupled=True), color="#3004a9",
    torch="torch.optim.AdamW",
    torch_make=torch_optim("AdamW", weight_decay="weight_decay", betas=("beta1", "beta2"), eps="eps"),
    reference_variant={**ADAM.reference_variant, "weight_decay": 0.1},
)
ADAMAX = ADAM.variant(  # the infinity norm for v
    name="adamax", title="Adamax", rule=_adamax_rule, coefs=_adamax_coefs, lr=2e-3,
    state_fields=(EXP_AVG, EXP_INF),
    formula=r"u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\; \theta_t = \theta_{t-1} - \frac{\eta_t}{1-\beta_1^t}\frac{m_t}{u_t}",
    explain=_explain_adamax, color="#0891b2",
    torch="torch.optim.Adamax", torch_make=torch_optim("Adamax", betas=("beta1", "beta2"), eps="eps"),
)
NADAM = ADAM.variant(  # Nesterov's look-ahead, through torch's schedule of mu
    name="nadam", title="NAdam", rule=_nadam_rule, coefs=_nadam_coefs, lr=2e-3, extra0=1.0,
    formula=r"\theta_t = \theta_{t-1} - \eta_t\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{\sqrt{\hat v_t}+\epsilon}"
            r" - \eta_t\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{\sqrt{\hat v_t}+\epsilon}",
    explain=_explain_nadam, color="#65a30d",
    torch="torch.optim.NAdam", torch_make=torch_optim("NAdam", betas=("beta1", "beta2"), eps="eps"),
)
RADAM = ADAM.variant(  # rectified: plain momentum steps until v is reliable
    name="radam", title="RAdam", rule=_radam_rule, coefs=_radam_coefs,
    formula=r"\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t};\; \rho_t > 5:\; \theta_t = \theta_{t-1}"
            r" - \eta_t\, r_t \hat m_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon},\;"
            r"\text{else } \theta_t = \theta_{t-1} - \eta_t \hat m_t",
    explain=_explain_radam, color="#c2410c",
    torch="torch.optim.RAdam", torch_make=torch_optim("RAdam", betas=("beta1", "beta2"), eps="eps"),
    reference_lrs=(0.01, 0.001),
)
ADABELIEF = ADAM.variant(  # the spread of g around m for v
    name="adabelief", title="AdaBelief", rule=_adabelief_rule, coefs=_adabelief_coefs,
    hypers={**ADAM.hypers, "eps": eps(1e-16)}, state_fields=(EXP_AVG, EXP_AVG_VAR),
    formula=r",\; ".join(ADABELIEF_STEPS), explain=_explain_adabelief, color="#1e293b",
    torch="adabelief_pytorch.AdaBelief(rectify=False)", torch_make=_torch_adabelief,
)

ENTRIES = (ADAM, AMSGRAD, ADAMW, ADAMAX, NADAM, RADAM, ADABELIEF)
