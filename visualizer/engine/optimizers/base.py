"""What every optimizer is made of: the pure :class:`Optimizer` its rule makes, the
registry's :class:`OptimizerInfo` (an entry, with keywords), its :class:`Hyper`
parameters and :class:`StateField` names, and the helpers the family modules'
rules share (torch's ``lerp``, a ``pow``-exact square root, torch's own optimizer
for the reference)."""

from __future__ import annotations

import dataclasses
import functools
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from visualizer.engine.explain import At
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


def elementwise(name: str, fields: tuple[str, ...], rule: Callable, coefs: Callable,
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


# -- What the rules share --------------------------------------------------------------
# A rule takes the gradient, the parameters, the array state and the step's
# coefficients ``c`` (a tuple), and returns the new parameters and state. Rules use
# only arithmetic and NumPy ufuncs, so they run on arrays and compile with numba.
# Every expression is torch's, operation for operation: do not "simplify".
#
# A coefficient function ``(t, lr, h, extra) -> (c, extra)`` computes what a step
# needs from the step count t, the learning rate in force and the hyperparameters
# ``h`` (in the entry's order). Powers take ``float(t)``: compiled code raises a
# float to an integer power by repeated multiplication, which rounds differently
# from ``pow``.
def lerp(start: Array, end: Array, weight: float) -> Array:
    """``torch.lerp``: one of two formulas by the size of the weight (for accuracy)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def root(x: float) -> float:
    """``x ** 0.5`` computed by ``pow``, as Python (and torch) compute it.

    The exponent is written so that a compiler cannot see the constant 0.5:
    LLVM turns ``pow(x, 0.5)`` into ``sqrt(x)``, which differs from the C
    library's ``pow`` in the last bit for about one value in a thousand.
    (``0.0 * x`` is 0 for the finite x this is used on.)
    """
    return x ** (0.5 + 0.0 * x)


def lr_coefs(t, lr, h, x):
    """The coefficients of a rule that needs only the learning rate."""
    return (lr,), x


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


EXP_AVG = StateField("exp_avg", "m")  # a running average of the gradients (Adam's family, Lion)


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


def beta(default: float, label: str) -> Hyper:
    """A decay rate in [0, 1)."""
    return Hyper(default, 0.0, 1.0, open_high=True, label=label)


def eps(default: float) -> Hyper:
    """A denominator's epsilon in [0, 1]."""
    return Hyper(default, 0.0, 1.0, label="ε")


def weight_decay(default: float) -> Hyper:
    return Hyper(default, 0.0, 1.0, label="weight decay λ")


@dataclass(frozen=True, kw_only=True)
class OptimizerInfo:
    """One registry entry: an optimizer's rule, how to show it, torch's name for it.

    ``rule`` and ``coefs`` are the update (see :class:`Optimizer`); ``hypers``
    are its hyperparameters, in the order ``coefs`` reads them from ``h``;
    ``explain`` writes one coordinate of one step out with its numbers, for the
    step inspector (:class:`visualizer.engine.explain.At` holds them). An entry
    that is another plus one change is made by :meth:`variant`, which records
    its parent in ``variant_of``.
    """

    name: str
    title: str
    rule: Callable
    coefs: Callable
    lr: float  # torch's default learning rate
    hypers: dict[str, Hyper]
    state_fields: tuple[StateField, ...]  # recorded per step: torch's state names, with letters
    extra0: float = 0.0  # the starting value of the rule's scalar state, if it keeps one
    formula: str  # LaTeX of the update rule
    explain: Callable[[At], list[str]]  # one step written out (LaTeX)
    color: str  # its colour everywhere: paths, loss chart, table
    torch: str  # what torch (or the reference package) calls it
    torch_make: Callable[[list, float, dict], Any]  # torch's own, for the reference
    reference_lrs: tuple[float, float]  # stable lrs on Himmelblau, Rosenbrock
    reference_variant: dict[str, float] = field(default_factory=dict)  # non-defaults to test
    variant_of: str = ""  # the entry this one is a variant of

    def defaults(self) -> dict[str, float]:
        return {k: h.default for k, h in self.hypers.items()}

    def build(self, **hypers: float) -> Optimizer:
        """The optimizer with these hyperparameters (defaults for the rest)."""
        values = {**self.defaults(), **hypers}
        h = tuple(float(values[k]) for k in self.hypers)
        return elementwise(self.name, self.state_fields, self.rule, self.coefs, h, self.extra0)

    def variant(self, **changes: Any) -> OptimizerInfo:
        """This entry with ``changes`` (a new ``name`` and ``title`` at least)."""
        return dataclasses.replace(self, variant_of=self.name, **changes)


# -- torch's own optimizer (scripts/make_torch_reference.py) -----------------------------
def torch_optim(name: str, **fixed: Any) -> Callable[[list, float, dict], Any]:
    """``torch.optim.<name>`` over ``params`` with the entry's hyperparameters ``h``:
    a ``fixed`` value that names a hyperparameter (or a tuple of names) takes its
    value. torch is imported only when the reference script calls it."""

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
