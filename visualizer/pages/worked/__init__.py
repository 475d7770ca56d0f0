"""Momentum by hand: SGD with momentum on the homework document's small
regression, every number shown, and "check my work", which marks a student's own
numbers as a teacher would. A small package like the race: ``model`` (the
arithmetic, the marking, the boxes and the link; no Dash), ``view`` (the step
cards and the layout) and ``callbacks`` (their wiring).

The model is ``y_hat = w1 x1^2 + w2 x2^2 + w3 x1 x2 + b``, trained on batches
of two rows taken in order (rows 1-2, 3-4, ..., wrapping around) with the loss
``L = 1/2 * sum over the batch of (y_hat - y)^2``, so that
``dL/dw1 = sum of (y_hat - y) * x1^2`` (and likewise for w2, w3; ``dL/db`` is
the sum of the residuals). Momentum is torch's, ``v = beta v + g``,
``theta = theta - lr v``, applied with the engine's own rule (the ``momentum``
optimizer's), so the numbers here are the app's numbers; or the moving-average
convention ``v = beta v + (1 - beta) g``. The defaults are the document's
example, and :func:`check` marks a student's own numbers for it.
"""

from __future__ import annotations

from visualizer.pages import Page
from visualizer.pages.worked.callbacks import (  # the page's callbacks, registered here
    download_worked,
    mark_answers,
    update_worked,
    worked_boxes,
)
from visualizer.pages.worked.model import (
    CONVENTIONS,
    CSV_HEADER,
    DEFAULT_BETA,
    DEFAULT_DATA,
    DEFAULT_LR,
    DEFAULT_STEPS,
    DEFAULT_WEIGHTS,
    DOCUMENT_ANSWER,
    answer_keys,
    check,
    checking_from_query,
    close,
    csv_text,
    data_text,
    follow,
    from_query,
    parse_data,
    parse_settings,
    solve,
    to_query,
)
from visualizer.pages.worked.view import I, page, score

__all__ = ["CONVENTIONS", "CSV_HEADER", "DEFAULT_BETA", "DEFAULT_DATA", "DEFAULT_LR",
           "DEFAULT_STEPS", "DEFAULT_WEIGHTS", "DOCUMENT_ANSWER", "PAGE", "answer_keys", "check",
           "checking_from_query", "close", "csv_text", "data_text", "download_worked", "follow",
           "from_query", "mark_answers", "parse_data", "parse_settings", "score", "solve",
           "to_query", "update_worked", "worked_boxes"]

PAGE = Page("worked", "Momentum by hand", page, 50, I.query)
