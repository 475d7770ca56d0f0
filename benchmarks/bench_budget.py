"""The cost model against the clock: for every registered landscape and the worst
legal formulas, on both loops, the engine's estimate beside the measured time.
Prints figures; asserts nothing.

    python benchmarks/bench_budget.py [--load] [--quick]

``--load`` keeps the other core busy meanwhile (a class's server is never idle).
Each case is the shape of a real request or job: the race (14 optimizers, one
start, many epochs), a many-run view (4 optimizers x many starts), and for the
NumPy loop the same at fewer epochs. The target: measured / estimate at most 1.5
everywhere (an estimate may be high: that only refuses a scene sooner).
"""

from __future__ import annotations

import argparse
import multiprocessing
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import landscapes  # noqa: E402
from landscapes import formula  # noqa: E402
from visualizer import engine  # noqa: E402
from visualizer.engine import compiled, many, optimizers  # noqa: E402

NAMES = list(optimizers.OPTIMIZERS)


def _nest(depth: int) -> str:
    text = "x"
    for i in range(depth):
        text = f"sin({'x' if i % 2 else 'y'}*{text})"
    return text


WORST_FORMULAS = {
    "nested sin (20)": _nest(20),
    "product x*y*... (79 chars)": "*".join("xy"[i % 2] for i in range(40)),
    "exp and powers": "exp(sin(x*y)) * (x^2 + y^2)^3 + cosh(x - y) * tanh(x*y) + log(1 + x^2)",
    "long sum of trig": " + ".join(f"sin({i}*x)*cos({i}*y)" for i in range(1, 9)),
}


def spin(stop) -> None:  # noqa: ANN001
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def measure(ls, specs, starts, steps, loop: bool | None) -> tuple[float, float]:
    """(estimate, measured seconds: best of two) of ``engine.run`` on that loop."""
    import numpy as np

    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    groups = len({(s.optimizer, tuple(sorted(s.hypers.items()))) for s in specs})
    est = engine.estimate_seconds(ls, groups, len(specs) * len(starts), steps, bool(loop),
                                  len(starts))
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        engine.run(ls, specs, starts, steps, record_state=False, compiled=loop)
        best = min(best, time.perf_counter() - t)
    return est, best


def cases(ls, quick: bool):
    """The shapes measured on one landscape: (label, specs, starts, steps, loop)."""
    import numpy as np

    (x0, x1), (y0, y1) = ls.domain
    rng = np.random.default_rng(0)
    many_starts = np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)])
    race = [engine.make_spec(n) for n in NAMES]
    four = [engine.make_spec(n) for n in ("gd", "momentum", "rmsprop", "adam")]
    start = ls.start
    out = []
    if compiled.compilable(ls):
        out += [("compiled: 14 x 10,000, one start", race, start, 10_000, True),
                ("compiled: 4 x 4,000 starts x 300", four, many_starts, 300, True),
                ("compiled: 14 x 1,000 starts x 200", race, many_starts[:1000], 200, True)]
    steps = 500 if quick else 2000
    out += [(f"NumPy: 14 x {steps:,}, one start", race, start, steps, False),
            ("NumPy: 4 x 4,000 starts x 50", four, many_starts, 50, False)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", action="store_true", help="keep the other core busy")
    parser.add_argument("--quick", action="store_true", help="fewer NumPy epochs")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    spinner = None
    if args.load:
        spinner = multiprocessing.Process(target=spin, args=(stop,), daemon=True)
        spinner.start()
    for ls in landscapes.all_landscapes():  # kernels compiled beforehand: their cost is once
        if compiled.compilable(ls):
            for kind in [*NAMES, "losses_and_divergence"]:
                compiled.kernel(ls, kind, wait=True)
    rows = []
    subjects = [(ls.name, ls) for ls in landscapes.all_landscapes()]
    subjects += [(f"formula: {label}", landscapes.get(formula.name_of(text, ((-5, 5), (-5, 5)))))
                 for label, text in WORST_FORMULAS.items()]
    print(f"{'landscape':34} {'case':36} {'estimate':>9} {'measured':>9} {'ratio':>6}")
    for label, ls in subjects:
        for case, specs, starts, steps, loop in cases(ls, args.quick):
            est, got = measure(ls, specs, starts, steps, loop)
            rows.append((label, case, est, got))
            print(f"{label[:34]:34} {case:36} {est:8.3f}s {got:8.3f}s {got / est:6.2f}", flush=True)
    worst = max(rows, key=lambda r: r[3] / r[2])
    print(f"\nworst measured / estimate: {worst[3] / worst[2]:.2f} ({worst[0]}, {worst[1]}); "
          f"target at most 1.5{' (other core busy)' if args.load else ''}")
    under = min(rows, key=lambda r: r[3] / r[2])
    print(f"most cautious: {under[3] / under[2]:.2f} ({under[0]}, {under[1]})")
    # the many-run views' limit: what the largest admitted basins job takes
    ls = landscapes.get("himmelblau")
    specs = [engine.make_spec(n) for n in ("gd", "momentum", "rmsprop", "adam")]
    t = time.perf_counter()
    many.basins(ls, specs, 100, 120, compiled=True)
    print(f"basins 120 x 120 x 4 x 100 epochs: {time.perf_counter() - t:.2f} s")
    if spinner is not None:
        stop.set()
        spinner.join(2)


if __name__ == "__main__":
    main()
