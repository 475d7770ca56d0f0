"""The race ("Compare optimizers"): pick a landscape, drag the start, tick
optimizers and watch their paths; the 3-D view and the step inspector. A small
package: ``layout`` (the page), ``callbacks`` (its wiring), ``scene`` (the
controls as a model, its link and presets), ``inspector`` and ``inspector_view``
(the step inspector)."""

from __future__ import annotations

from visualizer.pages import Page
from visualizer.pages.race import (
    callbacks,  # noqa: F401  (registers the race's callbacks)
    layout,
)
from visualizer.ui import ids

PAGE = Page("race", "Compare optimizers", layout.page, 10, ids.STORE_QUERY)
