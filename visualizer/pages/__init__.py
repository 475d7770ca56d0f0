"""The page registry: one list drives the page tabs, the page containers, the
stores each page writes its link to, and the routing (``?page=KEY``).

A new page is one module in this package that defines ``PAGE = Page(...)``
(its layout) and, in the same module, its model and its callbacks, as Dash
Pages keeps a page in one module. It is found by itself (every module here is
imported) and takes its place among the tabs by ``Page.order``. A page is built
from the kit (:mod:`.kit`: its element ids, its settings declared once, its frame
and callbacks). The race, the biggest, is a small package (``race/``: layout,
callbacks, scene model, step inspector) whose ids, shared with the browser's
JavaScript, are :mod:`visualizer.ui.ids`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from visualizer.ui import ids


@dataclass(frozen=True)
class Page:
    key: str  # ?page=KEY
    title: str  # the tab's text
    body: Callable[[], Any]  # the page's layout (the first page's in the app's layout; the
    # others' built when each is first shown: :func:`containers`)
    order: int  # place among the tabs
    query_store: str = ""  # the store its link is written to; "" for KEY-query

    @property
    def container(self) -> str:
        """The id of the element that holds the page (shown or hidden by its tab)."""
        return f"page-{self.key}"

    @property
    def store(self) -> str:
        return self.query_store or f"{self.key}-query"

    @property
    def shown(self) -> str:
        """The store that holds the page's key once it has been shown (``ids.page_shown``)."""
        return ids.page_shown(self.key)


@functools.cache
def all_pages() -> tuple[Page, ...]:
    """Every page, in tab order (importing this package's modules registers their callbacks)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "PAGE", None), Page):
            found.append(module.PAGE)
    keys = [p.key for p in found]
    if len(set(keys)) != len(keys):
        raise RuntimeError(f"two pages share a key: {keys}")
    return tuple(sorted(found, key=lambda p: p.order))


def keys() -> list[str]:
    return [p.key for p in all_pages()]


def containers(every_body: bool = False) -> list:
    """Every page's element: the first shown, the others hidden until their tab is
    picked and, unless ``every_body``, empty until then. A page's body is sent when
    it is first shown (``shell.mount``): the browser's first load then lays out and
    wires one page, not nine (the race ready in about a quarter less time:
    benchmarks/bench_page_load.py)."""
    out = []
    for i, page in enumerate(all_pages()):
        if i and not every_body:
            out.append(html.Div(id=page.container, style={"display": "none"}))
            continue
        body = page.body()
        if getattr(body, "id", None) != page.container:
            body = html.Div(body, id=page.container)
        body.style = {**(getattr(body, "style", None) or {}), **({} if i == 0 else {"display": "none"})}
        out.append(body)
    return out


def later() -> tuple[Page, ...]:
    """The pages whose bodies are sent when they are first shown (all but the first)."""
    return all_pages()[1:]


def stores() -> list[dcc.Store]:
    """The store each page writes its link to, the one that says it is shown, the one
    that asks for its body, and the one a link for it arrives in
    (:func:`visualizer.ui.ids.page_link`)."""
    return [dcc.Store(id=s) for page in all_pages()
            for s in (page.store, page.shown, ids.page_mount(page.key), ids.page_link(page.key))]


def tabs() -> list[tuple[str, str]]:
    return [(p.key, p.title) for p in all_pages()]
