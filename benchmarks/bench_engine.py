"""Engine speed against torch.optim, on the same runs. Prints figures; asserts nothing.

    python benchmarks/bench_engine.py [--detail]   # needs torch for the ratios:
    pip install torch==2.13.0 adabelief-pytorch==0.2.1 lion-pytorch==0.2.5

The same runs on both sides: all fourteen optimizers on Himmelblau, lr 1e-3
(Adadelta 1.0). Ours is one engine call for all of them (its design: one
gradient evaluation per step for every run); torch's is one plain loop per
optimizer (loss, backward, step), run after the other. Best of --repeat.

1. One start, 2,000 steps (targets: under 0.3 s in total; 20x torch per
   trajectory step). Ours takes the NumPy loop here.
2. 10,000 starts, 100 steps (target: 4x torch per trajectory step). Ours
   takes the compiled loop (numba); its one-off compile time is printed
   apart and left out of the timings, as torch's warm-up is.
"Paths recorded" still records every point, gradient, loss and learning
rate; "every state recorded" adds each optimizer's state per step (about
350 MB on the batch). torch records nothing.
--detail adds per-optimizer tables: each optimizer alone in its own call,
against torch's loop and against torch's optimizer.step alone (the analytic
gradient handed in), on one start and on the batch.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import landscapes  # noqa: E402
from visualizer import engine, optimizers  # noqa: E402

LANDSCAPE = landscapes.get("himmelblau")
LR = {"adadelta": 1.0}  # everything else: lr 1e-3, a stable run from (0, 0)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def ours(names: list[str], starts: np.ndarray, steps: int, record_state: bool = True) -> None:
    specs = [engine.make_spec(n, lr=LR.get(n, 1e-3)) for n in names]
    engine.run(LANDSCAPE, specs, starts, steps, record_state=record_state)


def torch_loop(name: str, starts: np.ndarray, steps: int, autograd: bool) -> None:
    import torch

    from scripts.make_torch_reference import DEFAULTS, torch_optimizer

    p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(name, [p], LR.get(name, 1e-3), DEFAULTS[name])
    for _ in range(steps):
        if autograd:
            opt.zero_grad()
            x, y = p[:, 0], p[:, 1]
            loss = ((x * x + y - 11) ** 2 + (x + y * y - 7) ** 2).sum()
            loss.backward()
        else:
            with torch.no_grad():
                p.grad = torch.from_numpy(LANDSCAPE.grad(p.detach().numpy()))
        opt.step()


def same_runs(names: list[str], starts: np.ndarray, steps: int, repeat: int, has_torch: bool,
              title: str) -> None:
    traj_steps = len(names) * len(starts) * steps

    def rate(seconds: float) -> str:
        return f"{traj_steps / seconds:,.0f} trajectory steps/s"

    t = time.perf_counter()
    ours(names, starts, steps)
    print(f"\n(first call, compiling included where it compiles: {time.perf_counter() - t:.2f} s)")
    full = best(lambda: ours(names, starts, steps), repeat)
    path = best(lambda: ours(names, starts, steps, record_state=False), repeat)
    print(f"{title}: {len(names)} optimizers x {len(starts):,} start(s) x {steps:,} steps")
    print(f"  ours, one call, every state recorded: {full:.3f} s "
          f"({rate(full)})")
    print(f"  ours, one call, paths recorded:       {path:.3f} s "
          f"({rate(path)})")
    if has_torch:
        torch_loop(names[0], starts, 2, True)  # warm torch up first: its first call is slow
        t = sum(best(lambda n=n: torch_loop(n, starts, steps, True), repeat) for n in names)
        print(f"  torch.optim, one loop per optimizer:  {t:.3f} s "
              f"({rate(t)})")
        print(f"  ratio: {t / full:.1f}x with state, {t / path:.1f}x paths only")


def per_optimizer(names: list[str], starts: np.ndarray, steps: int, repeat: int,
                  has_torch: bool, title: str) -> None:
    header = (f"{'optimizer':<10} {'ours us/step':>12} {'torch loop':>11} {'ratio':>7} "
              f"{'torch step':>11} {'ratio':>7}")
    print(f"\n{title}\n{header}")
    ratios_loop, ratios_step = [], []
    for n in names:
        us = best(lambda n=n: ours([n], starts, steps), repeat) / steps * 1e6
        row = f"{n:<10} {us:>12.1f}"
        if has_torch:
            t_loop = best(lambda n=n: torch_loop(n, starts, steps, True), repeat) / steps * 1e6
            t_step = best(lambda n=n: torch_loop(n, starts, steps, False), repeat) / steps * 1e6
            ratios_loop.append(t_loop / us)
            ratios_step.append(t_step / us)
            row += f" {t_loop:>11.1f} {t_loop / us:>6.1f}x {t_step:>11.1f} {t_step / us:>6.1f}x"
        print(row, flush=True)
    if has_torch:
        print(f"{'geo-mean':<10} {'':>12} {'':>11} {np.exp(np.mean(np.log(ratios_loop))):>6.1f}x "
              f"{'':>11} {np.exp(np.mean(np.log(ratios_step))):>6.1f}x   "
              f"(min {min(ratios_loop):.1f}x / {min(ratios_step):.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--detail", action="store_true", help="add per-optimizer tables")
    args = ap.parse_args()
    names = list(optimizers.OPTIMIZERS)
    one = np.zeros((1, 2))
    batch = np.random.default_rng(0).uniform(-4, 4, size=(args.batch, 2))
    try:
        import torch

        torch.set_default_dtype(torch.float64)
        has_torch = True
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}")
    except ImportError:
        has_torch = False
        print("torch is not installed: printing our figures only")

    same_runs(names, one, 2000, args.repeat, has_torch, "1. one start (targets: < 0.3 s, 20x)")
    same_runs(names, batch, 100, args.repeat, has_torch, "2. a batch (target: 4x)")
    if args.detail:
        per_optimizer(names, one, 2000, args.repeat, has_torch,
                      "each optimizer alone, one start, 2,000 steps (us per step)")
        per_optimizer(names, batch, 100, args.repeat, has_torch,
                      f"each optimizer alone, {args.batch:,} starts, 100 steps (us per step)")


if __name__ == "__main__":
    main()
