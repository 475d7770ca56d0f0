"""Run a Dash callback as a plain function, inside the context Dash gives it."""

from __future__ import annotations

from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict


def in_context(fn, triggered: list[str], *args):
    """Run a callback as Dash would after ``triggered`` (prop ids) changed."""
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": p, "value": None} for p in triggered]))
        return fn(*args)
    return copy_context().run(run)
