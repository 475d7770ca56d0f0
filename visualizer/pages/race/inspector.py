"""The step inspector: what each optimizer did at one step, with the numbers put in.

:func:`step` reads one step of one run out of an engine :class:`~engine.Result`
recorded with ``record_state=True``: the gradient, the learning rate in force,
the state before and after, the step taken and the parameters. Every number
is the engine's own (nothing is recomputed), so a hand calculation can be
checked against it. :func:`rule_lines` writes the update rule as LaTeX with
those numbers put in, one coordinate at a time; the intermediate quantities it
shows (bias corrections, m-hat) are computed here for display only.
:func:`visualizer.engine.export.steps_csv` is every step of every run, at full precision.
"""

from __future__ import annotations

from visualizer.engine import explain, optimizers
from visualizer.engine.explain import num
from visualizer.engine.export import Step, last_step, step  # noqa: F401  (the inspector's own words)


def rule_lines(s: Step, i: int) -> list[str]:
    """The update of coordinate ``i`` (0 = x, 1 = y) as LaTeX lines, numbers put in:
    first the gradient and learning rate, then each quantity in the order the
    optimizer computes it, ending with the new parameter (in bold: the engine's)."""
    a = explain.At(h=dict(s.hypers), t=s.t, lr=s.lr, g=float(s.grad[i]), p0=float(s.point_before[i]),
            p1=float(s.point_after[i]), old={f: float(v[i]) for f, v in s.state_before.items()},
            new={f: float(v[i]) for f, v in s.state_after.items()}, axis="xy"[i])
    head = (rf"g_{{{a.t}}} = \partial f/\partial {a.axis} = \mathbf{{{num(a.g)}}},\quad"
            rf" \eta_{{{a.t}}} = \mathbf{{{num(a.lr)}}}")
    return [head, *optimizers.info(s.optimizer).explain(a)]


