"""Text to numbers and back, and links: the boxes' parser, the formatters, and
the query-string reader and writer every page uses."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlencode

from visualizer import engine


def parse_number(text: object, what: str, low: float, high: float, whole: bool = False) -> float:
    """A box's text as a number in [low, high] (whole if asked), or the engine's
    FieldError naming the box (:meth:`visualizer.engine.Range.parse`)."""
    return engine.Range(low, high, whole=whole).parse(what, text if text is None else str(text))


def page_query(page: str, items: dict[str, object]) -> str:
    return "?" + urlencode([("page", page), *((k, str(v)) for k, v in items.items())], safe=":,=")


def parse_lr(text: object, what: str = "learning rate") -> float:
    """A learning rate in the engine's range, or FieldError naming the box."""
    return engine.LR.parse(what, text if text is None else str(text))


def fmt_float(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "—"


def query_params(query: str | None) -> dict[str, str]:
    """A URL query's parameters, the last value of each (every page's links read this)."""
    return {k: v[-1] for k, v in parse_qs((query or "").lstrip("?"), keep_blank_values=True).items()}


def link_is_for(query: str | None, page: str) -> bool:
    """Whether a link opens this page (``?page=KEY``; the race when it names none)."""
    return query_params(query).get("page", "race") == page
