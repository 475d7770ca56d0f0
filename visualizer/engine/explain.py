"""Writing an update out with the numbers put in: the LaTeX helpers each
optimizer's step explainer (``OptimizerInfo.explain`` in
:mod:`visualizer.engine.optimizers`) is written with. The step inspector shows
what an explainer returns, one coordinate at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass

from landscapes.number_text import tex_number


def num(value: float) -> str:
    """A number put into a formula (:func:`landscapes.number_text.tex_number`), a
    negative one in parentheses."""
    text = tex_number(value, constants=False)
    return f"({text})" if value < 0 and math.isfinite(value) else text


def line(lhs: str, symbolic: str, numbers: str, value: float) -> str:
    return rf"{lhs} = {symbolic} = {numbers} = \mathbf{{{num(value)}}}"


@dataclass(frozen=True)
class At:
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


def average(a: At, field: str, sym: str, coef: float, label: str, squared: bool) -> str:
    """``sym_t = c sym_{t-1} + (1 - c) g_t`` (or ``g_t^2``)."""
    power = "^2" if squared else ""
    return line(a.sym(sym, a.t), rf"{label}\, {a.sym(sym, a.t - 1)} + (1-{label})\,{a.gt}{power}",
                 rf"{num(coef)}\cdot{num(a.old[field])} + {num(1 - coef)}\cdot{num(a.g)}{power}",
                 a.new[field])


def divide(a: At, base: str, base_value: float, top: str, top_value: float, under: str,
            under_value: float, factor: str = "", factor_value: float | None = None) -> str:
    """``theta_t = base - eta_t [factor] top / (sqrt(under) + eps)``."""
    eps = a.h.get("eps", 0.0)
    f_sym = f"{factor}" if factor else ""
    f_num = rf"{num(factor_value)}\cdot" if factor_value is not None else ""
    return line(a.th, rf"{base} - {a.eta}{f_sym}\frac{{{top}}}{{\sqrt{{{under}}} + \epsilon}}",
                 rf"{num(base_value)} - {num(a.lr)}\cdot{f_num}\frac{{{num(top_value)}}}"
                 rf"{{\sqrt{{{num(under_value)}}} + {num(eps)}}}", a.p1)
