"""Every setting's range, and the one way a value is checked against it.

The engine is the only authority on limits: each setting's :class:`Range` lives
here or beside the setting (an optimizer's hyperparameters, a schedule's
parameters), and every page's box and the command line read a value through
:meth:`Range.parse` or :meth:`Range.check`. A bad value raises
:class:`FieldError`, which names the field and says what is wrong in one
style everywhere: ``Learning rate: must be greater than 0 (got 0)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class FieldError(ValueError):
    """A bad value for one named setting: ``field`` (its name, as its box is labelled)
    and ``message`` (what is wrong); ``str()`` reads ``"Field: message"``."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        first = field[:1].upper() if field[:1].isascii() else field[:1]  # "λ", not "Λ"
        super().__init__(f"{first}{field[1:]}: {message}")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value[:20]) if value.strip() else "nothing"
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else f"{value:g}"
    return f"{value:g}" if isinstance(value, (int, float)) else repr(value)


def _g(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 10_000 else f"{value:g}"


@dataclass(frozen=True)
class Range:
    """The values a setting accepts: from ``low`` to ``high``, either end open or
    infinite, whole numbers only if ``whole``."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    whole: bool = False

    def describe(self) -> str:
        """``"greater than 0 and at most 1000"``-style words for the range."""
        parts = []
        if math.isfinite(self.low):
            parts.append(f"{'greater than' if self.low_open else 'at least'} {_g(self.low)}")
        if math.isfinite(self.high):
            parts.append(f"{'less than' if self.high_open else 'at most'} {_g(self.high)}")
        if len(parts) == 2 and not self.low_open and not self.high_open:
            return f"from {_g(self.low)} to {_g(self.high)}"
        return " and ".join(parts) or "any number"

    def check(self, field: str, value: Any) -> float:
        """``value`` as a float (an int if ``whole``) inside the range, or FieldError."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
            raise FieldError(field, f"must be a number (got {_shown(value)})")
        value = float(value)
        if not math.isfinite(value):
            raise FieldError(field, f"must be a finite number (got {value})")
        if self.whole and value != int(value):
            raise FieldError(field, f"must be a whole number (got {value:g})")
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if below or above:
            kind = "a whole number " if self.whole else ""
            words = self.describe()
            if not (math.isfinite(self.low) and math.isfinite(self.high)) or kind:
                words = f"{kind}{words}".strip()
            raise FieldError(field, f"must be {words} (got {_shown(value)})")
        return int(value) if self.whole else value

    def parse(self, field: str, text: Any) -> float:
        """A box's text (or a number) read as a value of this range, or FieldError."""
        if isinstance(text, str) or text is None:
            raw = (text or "").strip().replace("−", "-")
            try:
                number = float(raw)
            except ValueError:
                raise FieldError(field, f"must be a number (got {_shown(raw)})") from None
            return self.check(field, number)
        return self.check(field, text)
