"""The step inspector: what each optimizer did at one step, with the numbers put in.

:func:`step` reads one step of one run out of an engine :class:`~engine.Result`
recorded with ``record_state=True``: the gradient, the learning rate in force,
the state before and after, the step taken and the parameters. Every number
is the engine's own (nothing is recomputed), so a hand calculation can be
checked against it. :func:`rule_lines` writes the update rule as LaTeX with
those numbers put in, one coordinate at a time; the intermediate quantities it
shows (bias corrections, m-hat) are computed here for display only.
:func:`csv_text` is every step of every run, at full precision.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from visualizer import engine
from visualizer.engine import optimizers

SYMBOLS: dict[str, str] = {
    "momentum_buffer": "b", "sum": "s", "square_avg": "v", "acc_delta": "u", "exp_avg": "m",
    "exp_avg_sq": "v", "max_exp_avg_sq": r"v^{\max}", "exp_inf": "u", "exp_avg_var": "s",
}
"""How the formulas write each state field (torch's names)."""
LETTERS: dict[str, str] = {f: "vᵐᵃˣ" if f == "max_exp_avg_sq" else sym for f, sym in SYMBOLS.items()}
"""The same, as plain text."""


@dataclass(frozen=True)
class Step:
    """Step ``t`` of one run (t = 1 is the first update), every array ``(2,)`` (x, y)."""

    optimizer: str
    hypers: dict[str, float]
    t: int
    lr: float
    grad: np.ndarray
    point_before: np.ndarray
    point_after: np.ndarray
    state_before: dict[str, np.ndarray]
    state_after: dict[str, np.ndarray]
    loss_before: float
    loss_after: float

    @property
    def delta(self) -> np.ndarray:
        """The step taken, ``point_after - point_before``."""
        return self.point_after - self.point_before


def last_step(result: engine.Result, run: int) -> int:
    """The last step of a run that has numbers (the diverging step itself included)."""
    d = int(result.diverged_at[run, 0])
    return result.steps if d < 0 else max(d, 1)


def step(result: engine.Result, run: int, t: int) -> Step:
    """Step ``t`` (1..steps) of run ``run`` from its first start.

    Raises ValueError when the state was not recorded or t is out of range.
    """
    if not 1 <= t <= result.steps:
        raise ValueError(f"step must be from 1 to {result.steps}, not {t}")
    spec = result.specs[run]
    fields = optimizers.get(spec.optimizer).state_fields
    states = result.states[run]
    if fields and not states:
        raise ValueError("the run was made without record_state=True")
    before = {f: (states[f][0, t - 2] if t > 1 else np.zeros(2)) for f in fields}
    return Step(
        optimizer=spec.optimizer, hypers=dict(spec.hypers), t=t,
        lr=float(result.lrs[run, t - 1]), grad=result.grads[run, 0, t - 1],
        point_before=result.points[run, 0, t - 1], point_after=result.points[run, 0, t],
        state_before=before, state_after={f: states[f][0, t - 1] for f in fields},
        loss_before=float(result.losses[run, 0, t - 1]), loss_after=float(result.losses[run, 0, t]),
    )


# -- The rule with the numbers put in -------------------------------------------------
def num(value: float) -> str:
    """A number inside a formula: 6 significant digits, negatives in parentheses."""
    if not math.isfinite(value):
        return r"\text{" + str(value) + "}"
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa}\cdot 10^{{{int(exponent)}}}"
    return f"({text})" if value < 0 else text


def _line(lhs: str, symbolic: str, numbers: str, value: float) -> str:
    return rf"{lhs} = {symbolic} = {numbers} = \mathbf{{{num(value)}}}"


@dataclass(frozen=True)
class _At:
    """One coordinate of one step, as the rule writers need it."""

    h: dict[str, float]
    t: int
    lr: float
    g: float
    p0: float
    p1: float
    old: dict[str, float]
    new: dict[str, float]
    axis: str

    def sym(self, name: str, when: int) -> str:
        return f"{name}_{{{when}}}"

    @property
    def th(self) -> str:
        return rf"\theta^{{{self.axis}}}_{{{self.t}}}"

    @property
    def th0(self) -> str:
        return rf"\theta^{{{self.axis}}}_{{{self.t - 1}}}"

    @property
    def gt(self) -> str:
        return f"g_{{{self.t}}}"

    @property
    def eta(self) -> str:
        return rf"\eta_{{{self.t}}}"


def _average(a: _At, field: str, sym: str, coef: float, label: str, squared: bool) -> str:
    """``sym_t = c sym_{t-1} + (1 - c) g_t`` (or ``g_t^2``)."""
    power = "^2" if squared else ""
    return _line(a.sym(sym, a.t), rf"{label}\, {a.sym(sym, a.t - 1)} + (1-{label})\,{a.gt}{power}",
                 rf"{num(coef)}\cdot{num(a.old[field])} + {num(1 - coef)}\cdot{num(a.g)}{power}",
                 a.new[field])


def _divide(a: _At, base: str, base_value: float, top: str, top_value: float, under: str,
            under_value: float, factor: str = "", factor_value: float | None = None) -> str:
    """``theta_t = base - eta_t [factor] top / (sqrt(under) + eps)``."""
    eps = a.h.get("eps", 0.0)
    f_sym = f"{factor}" if factor else ""
    f_num = rf"{num(factor_value)}\cdot" if factor_value is not None else ""
    return _line(a.th, rf"{base} - {a.eta}{f_sym}\frac{{{top}}}{{\sqrt{{{under}}} + \epsilon}}",
                 rf"{num(base_value)} - {num(a.lr)}\cdot{f_num}\frac{{{num(top_value)}}}"
                 rf"{{\sqrt{{{num(under_value)}}} + {num(eps)}}}", a.p1)


def _sgd(a: _At) -> list[str]:
    if not a.new:  # plain gradient descent
        return [_line(a.th, rf"{a.th0} - {a.eta} {a.gt}", rf"{num(a.p0)} - {num(a.lr)}\cdot{num(a.g)}", a.p1)]
    mu, b = a.h["momentum"], a.new["momentum_buffer"]
    lines = [_line(a.sym("b", a.t), rf"\mu\, {a.sym('b', a.t - 1)} + {a.gt}",
                   rf"{num(mu)}\cdot{num(a.old['momentum_buffer'])} + {num(a.g)}", b)]
    if "nesterov" in a.h:
        lines.append(_line(a.th, rf"{a.th0} - {a.eta} ({a.gt} + \mu\, b_{{{a.t}}})",
                           rf"{num(a.p0)} - {num(a.lr)}\cdot({num(a.g)} + {num(mu)}\cdot{num(b)})", a.p1))
    else:
        lines.append(_line(a.th, rf"{a.th0} - {a.eta} b_{{{a.t}}}",
                           rf"{num(a.p0)} - {num(a.lr)}\cdot{num(b)}", a.p1))
    return lines


def _adagrad(a: _At) -> list[str]:
    s = a.new["sum"]
    return [_line(a.sym("s", a.t), rf"{a.sym('s', a.t - 1)} + {a.gt}^2",
                  rf"{num(a.old['sum'])} + {num(a.g)}^2", s),
            _divide(a, a.th0, a.p0, a.gt, a.g, f"s_{{{a.t}}}", s)]


def _rmsprop(a: _At) -> list[str]:
    v = a.new["square_avg"]
    return [_average(a, "square_avg", "v", a.h["rho"], r"\rho", True),
            _divide(a, a.th0, a.p0, a.gt, a.g, f"v_{{{a.t}}}", v)]


def _adadelta(a: _At) -> list[str]:
    eps, rho, t = a.h["eps"], a.h["rho"], a.t
    delta = math.sqrt(a.old["acc_delta"] + eps) / math.sqrt(a.new["square_avg"] + eps) * a.g
    return [
        _average(a, "square_avg", "v", rho, r"\rho", True),
        _line(rf"\Delta_{{{t}}}", rf"\frac{{\sqrt{{u_{{{t - 1}}} + \epsilon}}}}{{\sqrt{{v_{{{t}}} + \epsilon}}}}\,{a.gt}",
              rf"\frac{{\sqrt{{{num(a.old['acc_delta'])} + {num(eps)}}}}}"
              rf"{{\sqrt{{{num(a.new['square_avg'])} + {num(eps)}}}}}\cdot{num(a.g)}", delta),
        _line(a.sym("u", t), rf"\rho\, u_{{{t - 1}}} + (1-\rho)\Delta_{{{t}}}^2",
              rf"{num(rho)}\cdot{num(a.old['acc_delta'])} + {num(1 - rho)}\cdot{num(delta)}^2",
              a.new["acc_delta"]),
        _line(a.th, rf"{a.th0} - {a.eta}\Delta_{{{t}}}", rf"{num(a.p0)} - {num(a.lr)}\cdot{num(delta)}", a.p1),
    ]


def _lion(a: _At) -> list[str]:
    b1, b2, wd = a.h["beta1"], a.h["beta2"], a.h["weight_decay"]
    mix = b1 * a.old["exp_avg"] + (1 - b1) * a.g
    return [
        _line("c", rf"\beta_1 m_{{{a.t - 1}}} + (1-\beta_1)\,{a.gt}",
              rf"{num(b1)}\cdot{num(a.old['exp_avg'])} + {num(1 - b1)}\cdot{num(a.g)}", mix),
        _line(a.th, rf"{a.th0}(1-{a.eta}\lambda) - {a.eta}\,\mathrm{{sign}}(c)",
              rf"{num(a.p0)}\cdot(1 - {num(a.lr)}\cdot{num(wd)}) - {num(a.lr)}\cdot{num(float(np.sign(mix)))}",
              a.p1),
        _average(a, "exp_avg", "m", b2, r"\beta_2", False),
    ]


def _nadam_mu(beta1: float, momentum_decay: float, t: int) -> tuple[float, float, float]:
    """NAdam's mu_t, mu_{t+1} and the product of mu_1..mu_t, as torch computes them."""
    product = 1.0
    for k in range(1, t + 1):
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (k * momentum_decay)))
        product *= mu
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
    return mu, mu_next, product


def _adam_family(a: _At, name: str) -> list[str]:
    h, t = a.h, a.t
    b1, b2 = h["beta1"], h["beta2"]
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    lines: list[str] = []
    base_sym, base = a.th0, a.p0
    if name == "adamw":
        base_sym, base = r"\theta'", a.p0 * (1 - a.lr * h["weight_decay"])
        lines.append(_line(base_sym, rf"{a.th0}(1-{a.eta}\lambda)",
                           rf"{num(a.p0)}\cdot(1 - {num(a.lr)}\cdot{num(h['weight_decay'])})", base))
    lines.append(_average(a, "exp_avg", "m", b1, r"\beta_1", False))
    m = a.new["exp_avg"]
    m_hat = m / bc1
    m_line = _line(rf"\hat m_{{{t}}}", rf"m_{{{t}}}/(1-\beta_1^{{{t}}})", rf"{num(m)}/{num(bc1)}", m_hat)
    if name == "adamax":
        u = a.new["exp_inf"]
        return lines + [
            _line(f"u_{{{t}}}", rf"\max(\beta_2 u_{{{t - 1}}}, |{a.gt}| + \epsilon)",
                  rf"\max({num(b2)}\cdot{num(a.old['exp_inf'])}, |{num(a.g)}| + {num(h['eps'])})", u),
            m_line,
            _line(a.th, rf"{a.th0} - {a.eta}\,\hat m_{{{t}}}/u_{{{t}}}",
                  rf"{num(a.p0)} - {num(a.lr)}\cdot{num(m_hat)}/{num(u)}", a.p1),
        ]
    if name == "adabelief":
        s = a.new["exp_avg_var"]
        s_hat = s / bc2
        return lines + [
            _line(f"s_{{{t}}}", rf"\beta_2 s_{{{t - 1}}} + (1-\beta_2)({a.gt} - m_{{{t}}})^2 + \epsilon",
                  rf"{num(b2)}\cdot{num(a.old['exp_avg_var'])} + {num(1 - b2)}\cdot({num(a.g)} - {num(m)})^2"
                  rf" + {num(h['eps'])}", s),
            m_line,
            _line(rf"\hat s_{{{t}}}", rf"s_{{{t}}}/(1-\beta_2^{{{t}}})", rf"{num(s)}/{num(bc2)}", s_hat),
            _divide(a, a.th0, a.p0, rf"\hat m_{{{t}}}", m_hat, rf"\hat s_{{{t}}}", s_hat),
        ]
    lines.append(_average(a, "exp_avg_sq", "v", b2, r"\beta_2", True))
    v = a.new["exp_avg_sq"]
    if name == "amsgrad":
        v = a.new["max_exp_avg_sq"]
        lines.append(_line(rf"v^{{\max}}_{{{t}}}", rf"\max(v^{{\max}}_{{{t - 1}}}, v_{{{t}}})",
                           rf"\max({num(a.old['max_exp_avg_sq'])}, {num(a.new['exp_avg_sq'])})", v))
    v_hat = v / bc2
    v_sym = r"v^{\max}" if name == "amsgrad" else "v"
    v_line = _line(rf"\hat v_{{{t}}}", rf"{v_sym}_{{{t}}}/(1-\beta_2^{{{t}}})", rf"{num(v)}/{num(bc2)}", v_hat)
    if name == "nadam":
        mu, mu_next, product = _nadam_mu(b1, h.get("momentum_decay", 4e-3), t)
        eps = h["eps"]
        return lines + [
            v_line,
            rf"\mu_{{{t}}} = {num(mu)},\quad \mu_{{{t + 1}}} = {num(mu_next)},\quad "
            rf"\textstyle\prod_{{i\le {t}}}\mu_i = {num(product)}",
            _line(a.th, rf"{a.th0} - {a.eta}\frac{{1-\mu_{{{t}}}}}{{1-\prod_{{i\le {t}}}\mu_i}}"
                        rf"\frac{{{a.gt}}}{{\sqrt{{\hat v_{{{t}}}}}+\epsilon}} - {a.eta}"
                        rf"\frac{{\mu_{{{t + 1}}}}}{{1-\prod_{{i\le {t + 1}}}\mu_i}}"
                        rf"\frac{{m_{{{t}}}}}{{\sqrt{{\hat v_{{{t}}}}}+\epsilon}}",
                  rf"{num(a.p0)} - {num(a.lr)}\cdot\frac{{{num(1 - mu)}}}{{{num(1 - product)}}}"
                  rf"\cdot\frac{{{num(a.g)}}}{{\sqrt{{{num(v_hat)}}}+{num(eps)}}} - {num(a.lr)}\cdot"
                  rf"\frac{{{num(mu_next)}}}{{{num(1 - product * mu_next)}}}"
                  rf"\cdot\frac{{{num(m)}}}{{\sqrt{{{num(v_hat)}}}+{num(eps)}}}", a.p1),
        ]
    if name == "radam":
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2**t / bc2
        lines += [m_line, rf"\rho_{{{t}}} = \rho_\infty - \frac{{2t\beta_2^t}}{{1-\beta_2^t}} = \mathbf{{{num(rho_t)}}}"]
        if rho_t <= 5:
            return lines + [_line(a.th, rf"{a.th0} - {a.eta}\hat m_{{{t}}}\quad(\rho_{{{t}}} \le 5)",
                                  rf"{num(a.p0)} - {num(a.lr)}\cdot{num(m_hat)}", a.p1)]
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return lines + [
            rf"r_{{{t}}} = \sqrt{{\frac{{(\rho_t-4)(\rho_t-2)\rho_\infty}}{{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}}}"
            rf" = \mathbf{{{num(r)}}}",
            v_line,
            _divide(a, a.th0, a.p0, rf"\hat m_{{{t}}}", m_hat, rf"\hat v_{{{t}}}", v_hat,
                    factor=f"r_{{{t}}}", factor_value=r),
        ]
    return lines + [m_line, v_line,
                    _divide(a, base_sym, base, rf"\hat m_{{{t}}}", m_hat, rf"\hat v_{{{t}}}", v_hat)]


def rule_lines(s: Step, i: int) -> list[str]:
    """The update of coordinate ``i`` (0 = x, 1 = y) as LaTeX lines, numbers put in:
    first the gradient and learning rate, then each quantity in the order the
    optimizer computes it, ending with the new parameter (in bold: the engine's)."""
    hypers = dict(s.hypers)
    if s.optimizer == "nesterov":
        hypers["nesterov"] = 1.0
    a = _At(h=hypers, t=s.t, lr=s.lr, g=float(s.grad[i]), p0=float(s.point_before[i]),
            p1=float(s.point_after[i]), old={f: float(v[i]) for f, v in s.state_before.items()},
            new={f: float(v[i]) for f, v in s.state_after.items()}, axis="xy"[i])
    head = rf"g_{{{a.t}}} = \partial f/\partial {a.axis} = \mathbf{{{num(a.g)}}},\quad \eta_{{{a.t}}} = \mathbf{{{num(a.lr)}}}"
    writers = {"gd": _sgd, "momentum": _sgd, "nesterov": _sgd, "adagrad": _adagrad,
               "rmsprop": _rmsprop, "adadelta": _adadelta, "lion": _lion}
    body = writers[s.optimizer](a) if s.optimizer in writers else _adam_family(a, s.optimizer)
    return [head, *body]


# -- Every step as a table -------------------------------------------------------------
def csv_text(result: engine.Result) -> str:
    """Every step of every run (first start): the gradient, lr, state after,
    step and new point, at full precision (``repr``), one row per run and step.

    Columns common to all runs come first; each run fills the state columns of
    its own optimizer (``exp_avg_x`` ...) and leaves the others empty.
    """
    fields = list(dict.fromkeys(f for spec in result.specs
                                for f in optimizers.get(spec.optimizer).state_fields))
    head = ["run", "optimizer", "step", "lr", "x_before", "y_before", "grad_x", "grad_y",
            *(f"{f}_{c}" for f in fields for c in "xy"), "step_x", "step_y", "x", "y", "loss"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    for run, spec in enumerate(result.specs):
        for t in range(1, last_step(result, run) + 1):
            s = step(result, run, t)
            state = [repr(float(s.state_after[f][k])) if f in s.state_after else ""
                     for f in fields for k in (0, 1)]
            writer.writerow([run + 1, spec.optimizer, t, repr(s.lr), *map(_r, s.point_before),
                             *map(_r, s.grad), *state, *map(_r, s.delta), *map(_r, s.point_after),
                             _r(s.loss_after)])
    return out.getvalue()


def _r(value: float) -> str:
    return repr(float(value))
