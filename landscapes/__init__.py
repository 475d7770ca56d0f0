"""Two-dimensional cost landscapes: pure NumPy, no plotting.

Every landscape is a frozen :class:`Landscape` with a vectorized cost ``f`` and
its analytic gradient ``grad``, both taking points of shape ``(..., 2)``, built
on element-wise ``fxy(x, y)`` and ``gradxy(x, y)``.
``get(name)`` returns one, ``names()`` lists them in display order (the classic
figure's four first). ``get("formula:-5,5,-5,5:x**2 + 3*sin(y)")`` builds your
own from a formula, parsed safely (:mod:`landscapes.formula`).
"""

from __future__ import annotations

from landscapes import classic, formula, teaching
from landscapes.landscape import Array, Landscape, Minimum

__all__ = ["Array", "Landscape", "Minimum", "UnknownLandscapeError", "all_landscapes", "get",
           "names"]


class UnknownLandscapeError(KeyError):
    """A landscape name that is not registered; the message names the choices."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _registry() -> dict[str, Landscape]:
    ordered = classic.LANDSCAPES + teaching.LANDSCAPES
    return {ls.name: ls for ls in ordered}


_REGISTRY: dict[str, Landscape] = _registry()


def names() -> list[str]:
    """All landscape names, in display order."""
    return list(_REGISTRY)


def get(name: str) -> Landscape:
    """Return the landscape called ``name``: a registered one, or your own,
    ``formula:x0,x1,y0,y1:f(x, y)`` (see :mod:`landscapes.formula`).

    Raises:
        UnknownLandscapeError: (a ``KeyError``) naming the valid choices.
        landscapes.formula.FormulaError: (a ``ValueError``) a formula that is refused.
    """
    if isinstance(name, str) and name.startswith("formula:"):
        return formula.landscape(name)
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownLandscapeError(
            f"unknown landscape {name!r}; choose from: {', '.join(_REGISTRY)}, "
            "or formula:x0,x1,y0,y1:f(x, y)"
        ) from None


def all_landscapes() -> list[Landscape]:
    """Every registered landscape, in display order."""
    return list(_REGISTRY.values())


__all__ = ["Landscape", "Minimum", "UnknownLandscapeError", "all_landscapes", "get", "names"]
