"""The app's frame: the header (what is app-wide), the page tabs, every page's
container and link store from the page registry, and the routing between
them (``?page=KEY`` opens a page; each page's link is written to the URL)."""

from __future__ import annotations

import json

import dash_mantine_components as dmc
from dash import ClientsideFunction, Input, Output, callback, clientside_callback, dcc, html

from visualizer import pages
from visualizer.server import classes
from visualizer.ui import figures, ids
from visualizer.ui.text import query_params


def header() -> html.Header:
    """What is app-wide: the title and the link to what is on screen (each page
    has its own actions)."""
    return html.Header([
        html.Div([
            html.H1("Optimizer visualizer"),
            html.Span("Watch gradient descent, momentum, RMSprop, Adam, AdaBelief and more "
                      "race across a cost landscape.", className="subtitle"),
        ]),
        html.Div([
            dmc.Switch(id=ids.SWITCH_PALETTE, label="Colour-blind palette", size="sm",
                       checked=False, className="palette-switch"),
            dmc.Switch(id=ids.SWITCH_PROJECTOR, label="Projector", size="sm", checked=False,
                       className="projector-switch"),
            dmc.Button("Class", id=ids.BUTTON_CLASS, variant="default", size="sm",
                       **{"aria-expanded": "false", "aria-controls": "class-panel"}),
            dmc.Button("Copy link", id=ids.BUTTON_COPY_LINK, variant="default", size="sm", n_clicks=0),
        ], className="header-actions"),
    ], className="header")


def build(every_body: bool = False) -> dmc.MantineProvider:
    """The whole page, in its default scene (the URL is applied on load): the first
    page's body, the others' empty until each is first shown (:func:`mount`), or,
    with ``every_body``, every body (for Dash's check of the callbacks' ids: app.py
    with DASH_DEBUG, and tests/test_server.py)."""
    stores = [
        # The URL is read and written in the browser (history.replaceState), not
        # with dcc.Location, which pushes history entries and resets the query.
        dcc.Store(id=ids.STORE_BOOT, data=1),
        dcc.Store(id=ids.STORE_URL),
        dcc.Store(id=ids.STORE_URL_WRITTEN),
        *pages.stores(),  # each page's link, the race's among them
    ]
    return dmc.MantineProvider(
        html.Div([
            *stores, header(),
            dmc.Tabs(dmc.TabsList([dmc.TabsTab(title, value=key, **{"aria-controls": f"page-{key}"})
                                   for key, title in pages.tabs()]),
                     id=ids.TABS_PAGE, value="race", className="page-tabs"),
            *pages.containers(every_body),
            # what a screen reader is told (viz.announce): the start moved, the epoch
            html.Div(id=ids.TEXT_ANNOUNCE, className="sr-only", role="status",
                     **{"aria-live": "polite"}),
        ], className="app"),
        theme={"primaryColor": "indigo", "fontFamily": "Inter, system-ui, -apple-system, sans-serif"},
    )


# -- Routing: the page tabs and the URL ----------------------------------------------------
PAGE_KEYS = pages.keys()


PAGE_IDS = {p.key: p.container for p in pages.all_pages()}


QUERY_STORES = {p.key: p.store for p in pages.all_pages()}


def page_of(query: str | None) -> str:
    """The page a link opens (``?page=KEY``; the race when there is none or it is unknown)."""
    page = query_params(query).get("page", "race")
    return page if page in PAGE_KEYS else "race"


clientside_callback(
    ClientsideFunction("links", "showPage"),
    *[Output(PAGE_IDS[k], "style") for k in PAGE_KEYS],
    Input(ids.TABS_PAGE, "value"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("links", "shownPages"),
    *[Output(ids.page_shown(k), "data") for k in PAGE_KEYS],
    *[Output(ids.page_mount(k), "data") for k in PAGE_KEYS],
    Input(ids.TABS_PAGE, "value"),
)


def mount(page: pages.Page) -> None:
    """Register "the first time this page is shown, its body is sent and it is shown"
    (``links.shownPages`` asks while the container is empty). The body's callbacks
    then run as a first load's would: those that fill it from the link already
    opened and those that draw it. The body is a few kilobytes built in a few
    milliseconds, whatever the request carries."""

    @callback(Output(page.container, "children"),
              Output(page.shown, "data", allow_duplicate=True),
              Input(ids.page_mount(page.key), "data"), prevent_initial_call=True)
    def send(_asked):
        return page.body(), page.key


for _page in pages.later():
    mount(_page)


clientside_callback(  # each page's boxes hear of a link only when it is for that page
    ClientsideFunction("links", "routeLink"),
    *[Output(ids.page_link(k), "data") for k in PAGE_KEYS],
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("links", "pageFromUrl"),
    Output(ids.TABS_PAGE, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("links", "writeLink"),
    Output(ids.STORE_URL_WRITTEN, "data"),
    Input(ids.TABS_PAGE, "value"),
    Input(ids.TABS_VIEW, "value"),
    Input(ids.SWITCH_PROJECTOR, "checked"),
    Input(ids.SWITCH_PALETTE, "checked"),
    Input(ids.STORE_VIDEO, "data"),
    *[Input(QUERY_STORES[k], "data") for k in PAGE_KEYS],
    prevent_initial_call=True,
)
# The header's two switches, projector mode and the colour-blind palette: each is set by
# a link that carries it (links.NAMEFromUrl) and, on or off, sets the page (links.NAME).
for _switch, _name in [(ids.SWITCH_PROJECTOR, "projector"), (ids.SWITCH_PALETTE, "palette")]:
    clientside_callback(ClientsideFunction("links", f"{_name}FromUrl"), Output(_switch, "checked"),
                        Input(ids.STORE_URL, "data"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("links", _name), Output(_switch, "className"),
                        Input(_switch, "checked"))
clientside_callback(
    ClientsideFunction("links", "viewFromUrl"),
    Output(ids.TABS_VIEW, "value"),
    Input(ids.STORE_URL, "data"),
    prevent_initial_call=True,
)


INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            <script>window.VIZ_IDS = @IDS@;</script>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""
"""Dash's page (its documented ``index_string`` placeholders) with the element ids
and the page keys handed to the browser half first."""


def index_string() -> str:
    """The page, with ``window.VIZ_IDS`` (assets/core.js): no id is typed twice."""
    return INDEX.replace("@IDS@", json.dumps({
        **ids.as_dict(), "PAGE_KEYS": PAGE_KEYS, "PAGE_IDS": PAGE_IDS, "CLASS_POLL_MS": classes.POLL_MS,
        # the optimizers' colours, and the colour-blind palette's (core.js swaps them)
        "PALETTE": {c: figures.COLORBLIND_COLORS.get(n, c) for n, c in figures.COLORS.items()}}))
