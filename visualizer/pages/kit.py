"""The page kit: what every page but the race is built from.

- :class:`Ids`: a page's element ids (``lr-warmup``), each a name the page
  declares; a misspelt name raises AttributeError where it is written.
- :class:`Field` and :class:`Form`: a page's settings, declared once (its name in
  the link and as an element, its default, how its box's text is read and how
  its value is written). The boxes' starting values, the link's reader
  (:meth:`Form.from_link`) and writer (:meth:`Form.link`), the outputs a link
  fills and the parse all follow from the declaration, in one order.
- :func:`frame`: the page's head (title, intro, controls, its error line) above its
  body; one frame for the lessons and the many-run pages.
- :func:`fill_from_link` and :func:`show_view`: every lesson page's two callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dash_mantine_components as dmc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from landscapes.number_text import exact
from visualizer.ui import ids
from visualizer.ui.figures import FONT  # noqa: F401  (the pages' charts' type)
from visualizer.ui.text import link_is_for, page_query, query_params

MAX_LESSON_STEPS = 5000

CONFIG = {"displaylogo": False, "scrollZoom": False,
          "toImageButtonOptions": {"format": "png", "scale": 2}}

BOX = {"size": "xs", "debounce": 400, "className": "num-input"}


class Ids:
    """A page's element ids, each its key and a name (``basins-grid``, ...): the
    names every page's frame has (:data:`FRAME`) and the ones the page declares.
    A name not declared raises AttributeError where it is written, instead of
    naming an element no layout has."""

    FRAME = ("error", "note", "query")

    def __init__(self, key: str, *names: str):
        self.key = key
        self.names = frozenset(self.FRAME + names)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_") or name not in self.__dict__.get("names", ()):
            raise AttributeError(f"the {self.__dict__.get('key')!r} page declares no element "
                                 f"{name!r}")
        return f"{self.key}-{name.replace('_', '-')}"


# -- Settings, declared once ----------------------------------------------------------------
def _text(value: Any) -> str:
    return str(value)


@dataclass(frozen=True)
class Field:
    """One setting of a page.

    ``name`` is its element's (``Ids``) and, unless ``link`` says otherwise, its
    name in the link. ``default`` is its box's value at first (text as the box and
    the link write it; a switch's bool), ``parse`` reads a box's value (text, a
    picked option, a switch's bool) into the setting (a
    :class:`~visualizer.engine.fields.FieldError` naming the box), ``write`` writes
    a setting back as the box's text and the link's. A field with ``choices`` takes
    only those from a link (another falls back to the default); a switch
    (``prop="checked"``) is ``1`` in the link when on and absent when off.
    """

    name: str
    default: Any
    parse: Callable[[Any], Any] = _text
    write: Callable[[Any], str] = _text
    link: str = ""
    prop: str = "value"
    choices: Collection[str] | None = None

    @property
    def key(self) -> str:
        """Its name in the link."""
        return self.link or self.name

    def box(self, value: Any) -> Any:
        """A setting as its box holds it."""
        return bool(value) if self.prop == "checked" else self.write(value)

    def from_link(self, params: Mapping[str, str]) -> Any:
        """Its box's value from a link's parameters (the default where absent or not
        one of its choices)."""
        raw = params.get(self.key)
        if raw is None or (self.choices is not None and raw not in self.choices):
            return self.default
        return raw in ("1", "true") if self.prop == "checked" else raw


def optional(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A field's parse for a box that may be left blank: None when it is, else
    ``parse`` of its text."""

    def read(text: Any) -> Any:
        text = "" if text is None else str(text).strip()
        return parse(text) if text else None

    return read


def write_optional(value: Any) -> str:
    """An optional field's setting as its box and link write it: blank for None."""
    return "" if value is None else exact(value)


class Form:
    """A page's fields, in one order: the order of the callbacks' inputs and
    outputs, of :meth:`parse`'s arguments and of the link."""

    def __init__(self, page: Ids, *fields: Field):
        self.page = page
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        for f in fields:
            getattr(page, f.name)  # declared: a field's element is one the page has

    def id(self, name: str) -> str:
        return getattr(self.page, self.by_name[name].name)

    def default(self, name: str) -> Any:
        """A field's box's value at first."""
        return self.by_name[name].default

    def defaults(self) -> dict[str, Any]:
        """Every field's setting at first (its default, parsed)."""
        return self.parse(*(f.default for f in self.fields))

    def outputs(self) -> list[Output]:
        return [Output(self.id(f.name), f.prop) for f in self.fields]

    def inputs(self) -> list[Input]:
        return [Input(self.id(f.name), f.prop) for f in self.fields]

    def boxes(self, values: Mapping[str, Any]) -> tuple:
        """Settings (by name; defaults for the rest) as the boxes hold them."""
        return tuple(f.box(values[f.name]) if f.name in values else f.default
                     for f in self.fields)

    def from_link(self, search: str | None, base: Mapping[str, Any] | None = None) -> tuple:
        """The boxes' values from a link: each field's default where it is absent, or
        its setting in ``base`` (by name: a preset's own) when that has it."""
        params = query_params(search)
        written = self.boxes(base or {})
        return tuple(f.from_link(params) if f.key in params else box
                     for f, box in zip(self.fields, written, strict=True))

    def parse(self, *boxes: Any, partial: bool = False) -> dict[str, Any]:
        """The boxes' values (in the fields' order) as settings, by name; the first bad
        box raises its FieldError. One value per field (a forged request with fewer or
        more is a TypeError), unless ``partial``: then the last ones may be left out
        for their defaults."""
        if len(boxes) > len(self.fields) or (len(boxes) < len(self.fields) and not partial):
            raise TypeError(f"{len(boxes)} values for {len(self.fields)} fields")
        boxes = (*boxes, *(f.default for f in self.fields[len(boxes):]))
        return {f.name: f.parse(v) for f, v in zip(self.fields, boxes, strict=True)}

    def link(self, values: Mapping[str, Any], *, page: bool = True, **extra: Any) -> Any:
        """The link of these settings: the page's (``?page=KEY&...``) with ``extra``
        parameters first, or (``page=False``) the parameters alone, by name. A
        switch that is off and a blank box are left out; a list is written without
        the boxes' spaces (``lrs=0.1,0.01``)."""
        items: dict[str, Any] = dict(extra)
        for f in self.fields:
            value = values[f.name]
            if f.prop == "checked":
                if value:
                    items[f.key] = "1"
            elif text := f.write(value).replace(", ", ","):
                items[f.key] = text
        return page_query(self.page.key, items) if page else items


# -- Controls and the frame -----------------------------------------------------------------
def select(id_: str, label: str, options: Sequence[tuple[str, str]], value: str,
           wide: bool = False) -> dmc.Select:
    return dmc.Select(id=id_, label=label, data=[{"value": v, "label": t} for v, t in options],
                      value=value, size="xs", allowDeselect=False,
                      className="lesson-select wide" if wide else "lesson-select")


def segmented(id_: str, options: Mapping[str, str], value: str) -> dmc.SegmentedControl:
    return dmc.SegmentedControl(id=id_, value=value, size="xs",
                                data=[{"value": k, "label": v} for k, v in options.items()])


def text_box(form: Form, name: str, label: str, **props: Any) -> dmc.TextInput:
    """A field's text box, starting at its default (``props`` replace :data:`BOX`'s)."""
    return dmc.TextInput(id=form.id(name), label=label, value=form.default(name),
                         **{**BOX, **props})


def frame(page: Ids, title: str, intro: Any, controls: list, body: list,
          head: Sequence = (), class_name: str = "lesson") -> html.Div:
    """A page: its title, intro and controls, ``head``'s parts (a job's bar) and the
    error line (``page.error``), then its body (the note, ``page.note``, where the
    page wants it)."""
    return html.Div([
        html.Div([
            html.H2(title),
            html.Div(intro, className="hint"),
            html.Div(controls, className="lesson-controls"),
            *head,
            html.Div(id=page.error, className="notice", role="alert"),
        ], className="lesson-head"),
        *body,
    ], className=class_name)


# -- The lesson pages' two callbacks, written once ------------------------------------------
def fill_from_link(key: str, outputs: list, read: Callable[[str], Sequence],
                   preset: tuple[str, Callable[[Any], Sequence]] | None = None) -> Callable:
    """Register "a link to this page sets its boxes": ``read(search)`` gives the
    boxes' values (a :class:`Form`'s ``from_link``). With ``preset = (select id,
    values_of)``, picking a preset in that select sets the boxes to
    ``values_of(preset key)`` too (the select is then the first output). Returns
    the callback (a plain function)."""
    link = ids.page_link(key)  # a link opened, when it is for this page (links.routeLink)
    inputs = [Input(link, "data")] + ([Input(preset[0], "value")] if preset else [])

    # also when the page's body arrives (its first showing: shell.mount), from the link
    # already opened ("initial_duplicate": an output may be shared, allow_duplicate)
    @callback(*outputs, *inputs, prevent_initial_call="initial_duplicate")
    def fill(search, *picked):
        if preset is None or ctx.triggered_id in (link, None):
            if not link_is_for(search, key):
                raise PreventUpdate
            return read(search)
        return preset[1](picked[0])

    return fill


def show_view(page: Ids, outputs: list[tuple[str, str]], inputs: list,
              settle: Callable[..., tuple[Sequence, str]]) -> Callable:
    """Register "while this page is shown, each change of its boxes parses them,
    runs, and shows the view (``settle(*values) -> (outputs' values, link)``), or
    shows the error under the boxes and keeps the last view". ``inputs`` are the
    boxes (Inputs, then States). Returns the callback (a plain function)."""

    @callback(*[Output(i, p) for i, p in outputs], Output(page.error, "children"),
              Output(page.query, "data"), Input(ids.page_shown(page.key), "data"), *inputs,
              prevent_initial_call=True)
    def update(shown, *values):
        if shown != page.key:
            raise PreventUpdate
        try:
            view, link = settle(*values)
        except (ValueError, KeyError) as exc:
            return (*[no_update] * len(outputs), str(exc).strip("'\""), no_update)
        return (*view, "", link)

    return update




# -- The video export's panel (assets/video.js makes the file, in the browser) -------------------
VIDEO_FORMATS = {"mp4": "MP4 (H.264)", "webm": "WebM (VP9)", "gif": "GIF"}
VIDEO_DEFAULTS = {"format": "mp4", "from": "0", "to": "", "seconds": "10", "fps": "30",
                  "width": "1280"}
"""The export's settings at first (``to`` blank: the last epoch); assets/video.js
writes the others into the link as ``video_format``, ``video_from``, ..."""


@dataclass(frozen=True)
class VideoIds:
    """A page's video export: its panel, its six boxes (in :data:`VIDEO_DEFAULTS`'
    order), Export, Cancel, the progress line and the button that opens the panel."""

    panel: str
    format: str
    start: str
    end: str
    seconds: str
    fps: str
    width: str
    go: str
    cancel: str
    text: str
    button: str

    @property
    def boxes(self) -> list[str]:
        return [self.format, self.start, self.end, self.seconds, self.fps, self.width]


def video_button(v: VideoIds, size: str = "sm") -> dmc.Button:
    return dmc.Button("⤓ Video", id=v.button, variant="default", size=size, n_clicks=0,
                      **{"aria-label": "Export the animation as a video or a GIF",
                         "aria-controls": v.panel})


def video_panel(v: VideoIds) -> html.Div:
    """The video export's settings, its button, its progress and Cancel; everything
    happens in the browser (assets/video.js), and :func:`register_video` wires it."""
    def box(id_: str, label: str, value: str) -> dmc.TextInput:
        return dmc.TextInput(id=id_, label=label, value=value, size="xs", className="num-input")

    d = VIDEO_DEFAULTS
    return html.Div([
        dmc.Select(id=v.format, label="format", value=d["format"], size="xs",
                   allowDeselect=False, className="video-format",
                   data=[{"value": k, "label": t} for k, t in VIDEO_FORMATS.items()]),
        box(v.start, "from epoch", d["from"]),
        box(v.end, "to epoch (blank: last)", d["to"]),
        box(v.seconds, "seconds", d["seconds"]),
        box(v.fps, "frames a second", d["fps"]),
        box(v.width, "width (px)", d["width"]),
        dmc.Button("Export", id=v.go, size="xs", n_clicks=0),
        dmc.Button("Cancel", id=v.cancel, size="xs", variant="light", n_clicks=0),
        html.Span(id=v.text, className="job-label", role="status"),
    ], id=v.panel, className="video-panel", style={"display": "none"})


def register_video(v: VideoIds, source: str) -> None:
    """The export's browser-side callbacks: the button opens the panel; Export makes
    the file from ``source``'s frames (``"race"`` or ``"train"``: video.js), Cancel
    stops it; the boxes write their part of the link (ids.STORE_VIDEO) and a link
    sets them."""
    clientside_callback(ClientsideFunction("video", "toggle"), Output(v.panel, "style"),
                        Input(v.button, "n_clicks"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("video", "go_" + source), Output(v.text, "title"),
                        Input(v.go, "n_clicks"), State(v.text, "id"),
                        *[State(b, "value") for b in v.boxes], prevent_initial_call=True)
    clientside_callback(ClientsideFunction("video", "cancel"), Output(v.cancel, "title"),
                        Input(v.cancel, "n_clicks"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("video", "link"),
                        Output(ids.STORE_VIDEO, "data", allow_duplicate=True),
                        *[Input(b, "value") for b in v.boxes], prevent_initial_call=True)
    clientside_callback(ClientsideFunction("video", "fromUrl"), *[Output(b, "value") for b in v.boxes],
                        Input(ids.STORE_URL, "data"))  # and when the page's body arrives
