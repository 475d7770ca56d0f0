"""How the project writes numbers: the one home of its three ways, by purpose.

- :func:`exact` where a number must read back exactly: a box, a link, a formula's
  name, a CSV (``0.05``, ``1e-05``, ``10``: the shortest exact form, no ``.0``);
- :func:`rounded` where it is only read: captions, tables, worked steps;
- :func:`tex_number` in LaTeX: formulas and the step inspector's explainers.

It sits in the lowest layer (beside the landscapes, whose formulas write numbers
too) so that every layer reads it.
"""

from __future__ import annotations

import math


def exact(v: float) -> str:
    """A number as the project writes it where it must read back exactly (a box,
    a link, a formula's name, a CSV): the shortest exact form, no trailing ``.0``."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def rounded(value: float, digits: int = 4) -> str:
    """A number to read, not to type back (captions, tables, worked steps):
    ``digits`` significant digits, "—" for a value that is not finite."""
    return f"{value:.{digits}g}" if math.isfinite(value) else "—"


def tex_number(v: float, constants: bool = True) -> str:
    """A number in LaTeX, the project's one way (formulas here, the step
    inspector's explainers in visualizer.engine.explain): 6 significant digits,
    a power of ten written out, π and e by name when ``constants``; a value that
    is not finite as text."""
    if not math.isfinite(v):
        return r"\text{" + str(v) + "}"
    if constants and v == math.pi:
        return r"\pi"
    if constants and v == math.e:
        return "e"
    text = f"{v:.6g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        return rf"{mantissa}\cdot 10^{{{int(exp)}}}"
    return text
