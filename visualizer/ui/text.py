"""Text to numbers and links: the boxes' parser and the query-string reader and
writer every page uses. Numbers are written by :mod:`landscapes.number_text`
(``exact`` where they read back, ``rounded`` where they are only read)."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlencode

from visualizer import engine


def parse_number(text: object, what: str, low: float, high: float, whole: bool = False) -> float:
    """A box's text as a number in [low, high] (whole if asked), or the engine's
    FieldError naming the box (:meth:`visualizer.engine.Range.parse`)."""
    return engine.Range(low, high, whole=whole).parse(what, text if text is None else str(text))


def write_query(items: list[tuple[str, str]]) -> str:
    """A URL query from its parameters, in order: the one writer of every link
    (``:``, ``,``, ``;`` and ``=`` are left readable, as in ``opt=adam:lr=0.01,decay=0``)."""
    return "?" + urlencode(items, safe=":,;=")


def page_query(page: str, items: dict[str, object]) -> str:
    """The link of a page (``?page=KEY&...``)."""
    return write_query([("page", page), *((k, str(v)) for k, v in items.items())])


def with_params(link: str, **params: str) -> str:
    """``link`` with these parameters set (replacing any of the same name)."""
    items = [(k, v) for k, v in parse_qsl(link.lstrip("?"), keep_blank_values=True)
             if k not in params]
    return write_query(items + list(params.items()))


def parse_lr(text: object, what: str = "learning rate") -> float:
    """A learning rate in the engine's range, or FieldError naming the box."""
    return engine.LR.parse(what, text if text is None else str(text))


def query_params(query: str | None) -> dict[str, str]:
    """A URL query's parameters, the last value of each (every page's links read this)."""
    return {k: v[-1] for k, v in parse_qs((query or "").lstrip("?"), keep_blank_values=True).items()}


def link_is_for(query: str | None, page: str) -> bool:
    """Whether a link opens this page (``?page=KEY``; the race when it names none)."""
    return query_params(query).get("page", "race") == page
