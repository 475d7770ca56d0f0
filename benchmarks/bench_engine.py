"""Engine speed against the floor and against torch.optim, in one run. Prints figures;
asserts nothing.

    python benchmarks/bench_engine.py [--repeat N] [--batch K]
    # torch for its column: pip install torch==2.13.0 adabelief-pytorch==0.2.1 lion-pytorch==0.2.5

Himmelblau, float64, warm (kernels compiled or loaded beforehand; their
one-off cost is in section 4). Best of --repeat.

- **the floor**: a hand-written numba loop doing the same work for Adam (the
  gradient, torch's update with ``pow`` bias corrections, every point, gradient
  and loss recorded), the whole trajectory in one call: the yardstick.
- **torch.optim**: one plain loop per optimizer (loss, backward, step), as in
  ``scripts/make_torch_reference.py``.
- **ours**: ``engine.run`` as the app calls it (paths recorded, no state).

1. One start: the default page (GD, Momentum, RMSprop, Adam x 1,000 epochs;
   target under 0.5 ms) and all 14 optimizers x 10,000 epochs (under 15 ms).
2. Adam alone, one start, 10,000 steps: per step, ours / floor / torch.
3. A batch: 14 optimizers x --batch starts x 100 steps (0.085 s before the
   whole-trajectory kernels, measured on this machine at 0858a20).
4. The heaviest requests the app's budget admits: estimate and CPU time.
5. A fresh process (``import app``, then the default page's runs callback),
   with the kernels on disk and with an empty cache: under 1 s.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import landscapes  # noqa: E402
from visualizer import engine  # noqa: E402
from visualizer.engine import compiled, optimizers  # noqa: E402

LANDSCAPE = landscapes.get("himmelblau")
NAMES = list(optimizers.OPTIMIZERS)
DEFAULT = ["gd", "momentum", "rmsprop", "adam"]
LR = {"adadelta": 1.0}  # everything else: lr 1e-3, a stable run from (0, 0)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


@numba.njit(error_model="numpy", cache=True)
def floor_adam(x, y, steps, lr, b1, b2, eps, pts, grads, losses):  # pragma: no cover
    """Adam on Himmelblau, hand-written: the least work a faithful trajectory takes."""
    mx = my = vx = vy = 0.0
    pts[0, 0], pts[0, 1] = x, y
    for t in range(1, steps + 1):
        a = x * x + y - 11.0
        b = x + y * y - 7.0
        losses[t - 1] = a * a + b * b
        gx = 4.0 * x * a + 2.0 * b
        gy = 2.0 * a + 4.0 * y * b
        grads[t - 1, 0], grads[t - 1, 1] = gx, gy
        step = float(t)
        bc2_sqrt = (1.0 - b2**step) ** (0.5 + 0.0 * step)  # pow, as torch
        step_size = lr / (1.0 - b1**step)
        mx += (1.0 - b1) * (gx - mx)
        my += (1.0 - b1) * (gy - my)
        vx = vx * b2 + (1.0 - b2) * gx * gx
        vy = vy * b2 + (1.0 - b2) * gy * gy
        x = x - step_size * (mx / (np.sqrt(vx) / bc2_sqrt + eps))
        y = y - step_size * (my / (np.sqrt(vy) / bc2_sqrt + eps))
        pts[t, 0], pts[t, 1] = x, y
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    losses[steps] = a * a + b * b


def floor(steps: int) -> None:
    pts, grads, losses = np.empty((steps + 1, 2)), np.empty((steps, 2)), np.empty(steps + 1)
    floor_adam(0.0, 0.0, steps, 1e-3, 0.9, 0.999, 1e-8, pts, grads, losses)


def ours(names: list[str], starts: np.ndarray, steps: int) -> None:
    specs = [engine.make_spec(n, lr=LR.get(n, 1e-3)) for n in names]
    engine.run(LANDSCAPE, specs, starts, steps, record_state=False)


def torch_loop(name: str, starts: np.ndarray, steps: int) -> None:
    import torch

    info = optimizers.info(name)
    p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = info.torch_make([p], LR.get(name, 1e-3), info.defaults())
    for _ in range(steps):
        opt.zero_grad()
        x, y = p[:, 0], p[:, 1]
        loss = ((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2).sum()
        loss.backward()
        opt.step()


def fresh_process(cache: str | None) -> str:
    """Seconds from a new interpreter to the default page's first runs answer."""
    script = (
        "import time; t0 = time.perf_counter()\n"
        "import app\n"
        "from visualizer.pages.race import callbacks, scene\n"
        "t1 = time.perf_counter()\n"
        "sc = scene.Scene()\n"
        "rows = sc.rows\n"
        "out = callbacks.compute_runs({'landscape': sc.landscape, 'x': 0.0, 'y': 0.0}, '1000',\n"
        "    [r.checked for r in rows], [r.lr for r in rows], [r.decay for r in rows], {})\n"
        "t2 = time.perf_counter()\n"
        "assert len(out[0]['runs']) == 4\n"
        "print(f'{t1 - t0:.2f} s to import the app, {t2 - t1 :.3f} s for the first runs "
        "(total {t2 - t0:.2f} s)')\n"
    )
    env = dict(os.environ)
    if cache:
        env["VISUALIZER_CACHE_DIR"] = cache
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def worst_legal() -> None:
    from visualizer.pages.race import callbacks, scene

    text = "x"
    for i in range(18):
        text = f"sin({'x' if i % 2 else 'y'}*{text})"
    deep = f"formula:-5,5,-5,5:{text}"
    specs = [engine.make_spec(n, lr=LR.get(n, 1e-3)) for n in NAMES]
    fit = engine.estimate_seconds(landscapes.get(deep), 14, 14, 1, compiled=False)
    cases = [("himmelblau", scene.MAX_APP_STEPS), ("ackley", scene.MAX_APP_STEPS),
             ("plateau", scene.MAX_APP_STEPS), (deep, int(engine.REQUEST_BUDGET / fit))]
    for name, steps in cases:
        ls = landscapes.get(name)
        # as many epochs as a request admits (Ackley and the plateau take the NumPy
        # loop, which cannot run all 10,000 of 14 optimizers within it: a job does)
        per_step = engine.estimate_seconds(ls, 14, 14, 1000, compiled.compilable(ls)) / 1000
        steps = min(steps, int(0.99 * engine.REQUEST_BUDGET / per_step))
        query = scene.to_query(name, ls.start, steps, specs)
        est = engine.expected_seconds(ls, specs, 1, steps)
        t = time.process_time()
        callbacks._scene_runs(query)
        cpu = time.process_time() - t
        label = "your own formula, sin nested 18 deep" if name == deep else name
        print(f"  {label:<38} 14 optimizers x {steps:>6,} epochs: estimate {est:5.2f} s, "
              f"CPU {cpu:5.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()
    try:
        import torch

        torch.set_default_dtype(torch.float64)
        has_torch = True
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy "
              f"{np.__version__}; numba {numba.__version__}")
    except ImportError:
        has_torch = False
        print("torch is not installed: no torch column")

    t = time.perf_counter()
    for kind in [*NAMES, "losses_and_divergence"]:
        compiled.kernel(LANDSCAPE, kind, wait=True)
    floor(2)
    print(f"(kernels for 14 optimizers loaded or compiled in {time.perf_counter() - t:.2f} s; "
          f"cache: {compiled.cache_dir()})")
    one = np.zeros((1, 2))

    print("\n1. One start")
    for title, names, steps, target in [("default page, 4 x 1,000", DEFAULT, 1000, 0.5e-3),
                                        ("all 14 x 10,000", NAMES, 10_000, 15e-3)]:
        ms = best(lambda n=names, s=steps: ours(n, one, s), args.repeat)
        fl = best(lambda s=steps: floor(s), args.repeat) * len(names)
        row = (f"  {title:<26} ours {ms * 1e3:7.2f} ms (target {target * 1e3:g} ms: "
               f"{'met' if ms < target else 'NOT met'}); floor (Adam's loop x {len(names)}) "
               f"{fl * 1e3:.2f} ms: ours/floor {ms / fl:.1f}x")
        if has_torch:
            tt = sum(best(lambda n=n, s=steps: torch_loop(n, one, s), 1) for n in names)
            row += f"; torch {tt * 1e3:.0f} ms: torch/ours {tt / ms:.0f}x"
        print(row)

    print("\n2. Adam alone, one start, 10,000 steps (per step)")
    a = best(lambda: ours(["adam"], one, 10_000), args.repeat) / 10_000
    f = best(lambda: floor(10_000), args.repeat) / 10_000
    row = f"  ours {a * 1e9:.0f} ns, floor {f * 1e9:.0f} ns: ours/floor {a / f:.1f}x"
    if has_torch:
        tt = best(lambda: torch_loop("adam", one, 10_000), 1) / 10_000
        row += f"; torch {tt * 1e6:.1f} us: torch/ours {tt / a:.0f}x"
    print(row)

    print(f"\n3. A batch: 14 optimizers x {args.batch:,} starts x 100 steps")
    batch = np.random.default_rng(0).uniform(-4, 4, size=(args.batch, 2))
    b = best(lambda: ours(NAMES, batch, 100), max(2, args.repeat // 2))
    row = (f"  ours {b:.3f} s ({len(NAMES) * args.batch * 100 / b / 1e6:.0f} M trajectory "
           "steps/s; no floor: the one-start loop above is not the yardstick for a batch, "
           "which vectorizes across starts)")
    if has_torch:
        tt = sum(best(lambda n=n: torch_loop(n, batch, 100), 1) for n in NAMES)
        row += f"; torch {tt:.2f} s: torch/ours {tt / b:.1f}x"
    print(row)

    print(f"\n4. The heaviest legal requests (the app's budget: {engine.REQUEST_BUDGET:g} s "
          "estimated; CPU measured, the runs and their payload, no cache)")
    worst_legal()

    print("\n5. A fresh process: import the app, answer the default page (target under 1 s)")
    print(f"  kernels on disk:  {fresh_process(None)}")
    with tempfile.TemporaryDirectory() as empty:
        print(f"  empty cache:      {fresh_process(empty)}  (the NumPy loop answers while "
              "the kernels compile in the background)")


if __name__ == "__main__":
    main()
