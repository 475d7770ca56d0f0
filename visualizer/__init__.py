"""Optimizer visualizer: the engine (optimizers, schedules, run loop), the
figures, the Dash layout and callbacks, and the command line."""
