"""Optimizer visualizer: the engine (optimizers, schedules, run loop), the
figures, the Dash layout and callbacks, and the command line."""

import os

# numba marks up its own (caught) typing errors with colorama when colorama is
# installed, and colorama's init() replaces sys.stdout from whatever thread is
# compiling: a kernel compiled in the background would swallow what the main
# thread prints meanwhile (the command line's output, a test's captured output).
os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
