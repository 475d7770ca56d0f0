"""The many-run views against the floor and against torch.optim, in one run.
Prints figures; asserts nothing.

    python benchmarks/bench_many.py [--repeat N]
    # torch for its column: pip install torch==2.13.0

Himmelblau, float64, warm (the compiled kernels loaded beforehand; a fresh
process is section 4). Best of --repeat.

- **ours**: :mod:`visualizer.engine.many` as the pages and the command line call it
  (every run recorded in chunks, then the final point, outcome and epochs kept).
- **the floor**: a hand-written numba loop doing the same optimizer steps
  (gradient, update) and keeping only each run's final point: the yardstick.
- **torch.optim**: the same steps with the starts batched into one (K, 2)
  parameter per optimizer (every rule here is element-wise, so each start runs
  on its own, as ours does).

1. Basins, 120 x 120 starts x GD, Momentum, RMSprop, Adam x 1,000 epochs
   (target: under 1 s warm).
2. The learning-rate sweep, 60 lrs x 14 optimizers x 1,000 epochs from (0, 0)
   (target: under 0.3 s warm); torch: Adam and GD, 60 param groups each.
3. The limit: 400 x 400 x 14 x 1,000 epochs is refused with a message; 400 x
   400 x 4 x 1,000 epochs (640 million steps) runs, with its progress.
4. A fresh process's first basin map (imports, kernels from disk, the map):
   target under 2 s.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import time

import numba
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import landscapes  # noqa: E402
from visualizer import engine  # noqa: E402
from visualizer.engine import compiled, many, optimizers  # noqa: E402

LANDSCAPE = landscapes.get("himmelblau")
CLASSIC = ["gd", "momentum", "rmsprop", "adam"]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


@numba.njit(error_model="numpy", cache=True)
def _grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


@numba.njit(error_model="numpy", cache=True)
def floor_classic(starts, steps, lr, out):
    """GD, momentum (0.9), RMSprop (0.99, 1e-8) and Adam (0.9, 0.999, 1e-8) from every
    start, one optimizer at a time, every start per step (a loop the compiler
    vectorizes), final points only: out (4, K, 2)."""
    n = starts.shape[0]
    for opt in range(4):
        x, y = starts[:, 0].copy(), starts[:, 1].copy()
        m0, m1, v0, v1 = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
        for t in range(1, steps + 1):
            c1, c2 = 1.0 - 0.9 ** t, (1.0 - 0.999 ** t) ** 0.5
            for k in range(n):
                a = x[k] * x[k] + y[k] - 11.0
                b = x[k] + y[k] * y[k] - 7.0
                gx, gy = 4.0 * x[k] * a + 2.0 * b, 2.0 * a + 4.0 * y[k] * b
                if opt == 0:
                    x[k] -= lr * gx
                    y[k] -= lr * gy
                elif opt == 1:
                    m0[k] = 0.9 * m0[k] + gx
                    m1[k] = 0.9 * m1[k] + gy
                    x[k] -= lr * m0[k]
                    y[k] -= lr * m1[k]
                elif opt == 2:
                    v0[k] = 0.99 * v0[k] + 0.01 * gx * gx
                    v1[k] = 0.99 * v1[k] + 0.01 * gy * gy
                    x[k] -= lr * gx / (v0[k] ** 0.5 + 1e-8)
                    y[k] -= lr * gy / (v1[k] ** 0.5 + 1e-8)
                else:
                    m0[k] = 0.9 * m0[k] + 0.1 * gx
                    m1[k] = 0.9 * m1[k] + 0.1 * gy
                    v0[k] = 0.999 * v0[k] + 0.001 * gx * gx
                    v1[k] = 0.999 * v1[k] + 0.001 * gy * gy
                    x[k] -= lr / c1 * m0[k] / (v0[k] ** 0.5 / c2 + 1e-8)
                    y[k] -= lr / c1 * m1[k] / (v1[k] ** 0.5 / c2 + 1e-8)
        out[opt, :, 0], out[opt, :, 1] = x, y


def torch_batched(starts: np.ndarray, names: list[str], lrs: list[float], steps: int) -> float | None:
    """Seconds for torch.optim to run these optimizers from every start (one (K, 2) parameter)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    make = {"gd": lambda p, lr: torch.optim.SGD(p, lr=lr),
            "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
            "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
            "adam": lambda p, lr: torch.optim.Adam(p, lr=lr)}
    t0 = time.perf_counter()
    for name, lr in zip(names, lrs, strict=True):
        p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
        opt = make[name]([p], lr)
        for _ in range(steps):
            opt.zero_grad()
            x, y = p[:, 0], p[:, 1]
            ((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2).sum().backward()
            opt.step()
    return time.perf_counter() - t0


def torch_groups(names: list[str], lrs: np.ndarray, steps: int) -> float | None:
    """Seconds for torch.optim to run each optimizer at every lr (one param group per lr)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    for name in names:
        ps = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in lrs]
        groups = [{"params": [p], "lr": float(lr)} for p, lr in zip(ps, lrs, strict=True)]
        opt = torch.optim.Adam(groups) if name == "adam" else torch.optim.SGD(groups)
        for _ in range(steps):
            opt.zero_grad()
            total = 0
            for p in ps:
                total = total + (p[0] * p[0] + p[1] - 11) ** 2 + (p[0] + p[1] * p[1] - 7) ** 2
            total.backward()
            opt.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for kind in [*optimizers.OPTIMIZERS, "losses_and_divergence"]:
        compiled.kernel(LANDSCAPE, kind, wait=True)
    specs = [engine.make_spec(n, lr=1e-3) for n in CLASSIC]
    many.basins(LANDSCAPE, specs, 10, grid=4)  # the epochs helper, compiled or loaded

    print("1. Basins: 120 x 120 starts x 4 optimizers x 1,000 epochs (57.6 million steps)")
    ours = best(lambda: many.basins(LANDSCAPE, specs, 1000, grid=120), args.repeat)
    starts = many.basins(LANDSCAPE, specs, 1, grid=120).starts()
    out = np.empty((4, len(starts), 2))
    floor_classic(starts[:2], 2, 1e-3, out[:, :2])
    floor = best(lambda: floor_classic(starts, 1000, 1e-3, out), args.repeat)
    torch_s = torch_batched(starts, CLASSIC, [1e-3] * 4, 1000)
    print(f"   ours {ours:.3f} s (target < 1 s) | floor {floor:.3f} s | ours/floor {ours / floor:.1f}x")
    if torch_s is not None:
        print(f"   torch.optim batched over starts {torch_s:.2f} s | torch/ours {torch_s / ours:.1f}x")
    check = many.basins(LANDSCAPE, specs, 1000, grid=120).result.final
    diff = np.abs(out - check).max(axis=-1)
    print(f"   the floor's final points: {100 * np.mean(diff < 1e-9):.1f} % within 1e-9 of ours, "
          f"median difference {np.median(diff):.1e} (its arithmetic order differs in the last bit)")

    print("2. Sweep: 60 lrs (1e-5 to 10) x 14 optimizers x 1,000 epochs from (0, 0)")
    all_specs = [engine.make_spec(n, lr=1.0 if n == "adadelta" else 1e-3) for n in optimizers.OPTIMIZERS]
    lrs = many.log_lrs(1e-5, 10.0, 60)
    ours = best(lambda: many.sweep(LANDSCAPE, all_specs, (0.0, 0.0), lrs, 1000), args.repeat)
    print(f"   ours {ours:.3f} s (target < 0.3 s)")
    sub = best(lambda: many.sweep(LANDSCAPE, [all_specs[0], all_specs[6]], (0.0, 0.0), lrs, 1000),
               args.repeat)
    torch_s = torch_groups(["gd", "adam"], lrs, 1000)
    if torch_s is not None:
        print(f"   GD and Adam only: ours {sub:.3f} s | torch.optim (60 param groups each) "
              f"{torch_s:.2f} s | torch/ours {torch_s / sub:.0f}x")

    print("3. The limit")
    try:
        many.basins(LANDSCAPE, all_specs, 1000, grid=400)
    except many.TooMuchWork as exc:
        print(f"   400 x 400 x 14 x 1,000: refused: {exc}")
    seen = []
    t = time.perf_counter()
    many.basins(LANDSCAPE, specs, 1000, grid=400, progress=seen.append)
    print(f"   400 x 400 x 4 x 1,000 (640 million steps): {time.perf_counter() - t:.2f} s, progress "
          f"reported {len(seen)} times ({seen[0]:.3f} ... {seen[-1]:.3f})")

    print("4. A fresh process's first basin map (120 x 120 x 4 x 1,000), kernels on disk")
    script = ("import time; t = time.perf_counter()\n"
              "import landscapes\nfrom visualizer import engine\nfrom visualizer.engine import many\n"
              "specs = [engine.make_spec(n, lr=1e-3) for n in ('gd', 'momentum', 'rmsprop', 'adam')]\n"
              "many.basins(landscapes.get('himmelblau'), specs, 1000, grid=120, compiled=True)\n"
              "print(time.perf_counter() - t)\n")
    runs = [float(subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout) for _ in range(args.repeat)]
    print(f"   {min(runs):.2f} s best, {max(runs):.2f} s worst of {args.repeat} (target < 2 s)")


if __name__ == "__main__":
    main()
