"""The optimizers as pure ``init``/``update`` pairs over NumPy arrays, one family
per module.

Every update rule is torch.optim's single-tensor implementation (AdaBelief:
``adabelief-pytorch`` with ``rectify=False``; Lion: ``lion-pytorch``), with the
same operations in the same order, so that float64 trajectories equal torch's
to the last digits. All operations are element-wise: parameters of shape
``(K, 2)`` are K independent runs.

An optimizer is one registry entry (:class:`~.base.OptimizerInfo`, in keywords),
kept in its family's module with everything about it: its element-wise rule, the
coefficients each step needs, its hyperparameters with torch's defaults and
ranges, its typeset rule, its step explainer and its torch case. The families:

- :mod:`.sgd`: gradient descent, momentum, Nesterov;
- :mod:`.adaptive`: Adagrad, RMSprop, Adadelta;
- :mod:`.adam`: Adam, AMSGrad, AdamW, Adamax, NAdam, RAdam, AdaBelief;
- :mod:`.lion`: Lion.

A new optimizer is one entry in its family's ``ENTRIES`` (a new family: one module
added to :data:`FAMILIES`), plus the regenerated torch reference
(``scripts/make_torch_reference.py``). ``info(name).build(beta1=0.9)`` makes the
optimizer, used as::

    state = opt.init(params)
    params, state = opt.update(grads, state, params, lr)

Nothing is mutated: ``update`` returns new arrays and a new state. ``lr`` is a
float, or an array that broadcasts against ``params`` (one learning rate per
run). The step count lives in the state, as in optax. The compiled loop
(:mod:`visualizer.engine.compiled`) runs the same rule and coefficients.
"""

from __future__ import annotations

from visualizer.engine.optimizers import adam, adaptive, lion, sgd
from visualizer.engine.optimizers.adam import ADABELIEF_STEPS, ADAM_STEPS
from visualizer.engine.optimizers.base import Hyper, Optimizer, OptimizerInfo, StateField

__all__ = ["ADABELIEF_STEPS", "ADAM_STEPS", "FAMILIES", "OPTIMIZERS", "Hyper", "Optimizer",
           "OptimizerInfo", "StateField", "UnknownOptimizerError", "info"]

FAMILIES = (sgd, adaptive, adam, lion)
"""The family modules, in the order the app lists their entries."""

OPTIMIZERS: dict[str, OptimizerInfo] = {entry.name: entry for family in FAMILIES
                                        for entry in family.ENTRIES}


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
