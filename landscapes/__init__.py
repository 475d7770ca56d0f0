"""Two-dimensional cost landscapes: pure NumPy, no plotting.

Every landscape is a frozen :class:`Landscape` with a vectorized cost ``f`` and
its analytic gradient ``grad``, both taking points of shape ``(..., 2)``.
``get(name)`` returns one, ``names()`` lists them in display order (the classic
figure's four first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Minimum:
    """A known minimum: its point, its cost, and whether it is the global one."""

    point: tuple[float, float]
    value: float
    kind: str = "global"  # "global" or "local"


@dataclass(frozen=True)
class Landscape:
    """A 2-D cost function with everything the app and the tests need to know.

    Attributes:
        name: registry key (``"himmelblau"``).
        title: display name (``"Himmelblau"``).
        f: cost, ``(..., 2) -> (...)``.
        grad: analytic gradient, ``(..., 2) -> (..., 2)``; for non-smooth terms
            the sign is used (a subgradient, 0 at the kink).
        domain: plotting window ``((xmin, xmax), (ymin, ymax))``.
        minima: known minima; empty for a landscape unbounded below.
        start: a sensible default starting point.
        formula: LaTeX of ``f(x, y)``.
        lesson: one sentence on what it teaches.
    """

    name: str
    title: str
    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[Minimum, ...]
    start: tuple[float, float]
    formula: str
    lesson: str
    bounded_below: bool = field(default=True)

    @property
    def f_min(self) -> float | None:
        """The lowest known cost, or ``None`` when there is none (unbounded below)."""
        return min(m.value for m in self.minima) if self.minima else None

    @property
    def bound(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The generous box beyond which a run counts as diverged.

        Ten times the domain's width on every side: far enough that no path
        worth drawing is cut, near enough that runaway values stop early.
        """
        (x0, x1), (y0, y1) = self.domain
        w, h = x1 - x0, y1 - y0
        return (x0 - 10 * w, x1 + 10 * w), (y0 - 10 * h, y1 + 10 * h)


class UnknownLandscapeError(KeyError):
    """A landscape name that is not registered; the message names the choices."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _registry() -> dict[str, Landscape]:
    from landscapes import classic, teaching

    ordered = classic.LANDSCAPES + teaching.LANDSCAPES
    return {ls.name: ls for ls in ordered}


_REGISTRY: dict[str, Landscape] = _registry()


def names() -> list[str]:
    """All landscape names, in display order."""
    return list(_REGISTRY)


def get(name: str) -> Landscape:
    """Return the landscape called ``name``.

    Raises:
        UnknownLandscapeError: (a ``KeyError``) naming the valid choices.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownLandscapeError(
            f"unknown landscape {name!r}; choose from: {', '.join(_REGISTRY)}"
        ) from None


def all_landscapes() -> list[Landscape]:
    """Every registered landscape, in display order."""
    return list(_REGISTRY.values())


__all__ = ["Landscape", "Minimum", "UnknownLandscapeError", "all_landscapes", "get", "names"]
