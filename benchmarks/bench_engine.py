"""Engine speed against torch.optim, on the same runs. Prints figures; asserts nothing.

    python benchmarks/bench_engine.py            # needs torch for the ratios:
    pip install torch==2.13.0 adabelief-pytorch==0.2.1 lion-pytorch==0.2.5

Three measurements, each the best of --repeat:
1. all fourteen optimizers from one start for 2,000 steps in one engine call
   (target: under 0.3 s);
2. per optimizer, one start, 2,000 steps: microseconds per trajectory step,
   ours against a plain torch loop (loss, backward, step) and against
   torch's optimizer.step alone with the analytic gradient handed in
   (target: 20x torch.optim);
3. per optimizer, a batch of 10,000 starts, 200 steps (target: 4x).
Our side records everything the app shows (points, gradients, learning
rates, optimizer state) and computes losses and divergence.
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


def ours(names: list[str], starts: np.ndarray, steps: int) -> None:
    specs = [engine.make_spec(n, lr=LR.get(n, 1e-3)) for n in names]
    engine.run(LANDSCAPE, specs, starts, steps)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=10_000)
    args = ap.parse_args()
    names = list(optimizers.OPTIMIZERS)
    one = np.zeros((1, 2))
    rng = np.random.default_rng(0)
    batch = rng.uniform(-4, 4, size=(args.batch, 2))
    try:
        import torch

        torch.set_default_dtype(torch.float64)
        has_torch = True
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; numpy {np.__version__}")
    except ImportError:
        has_torch = False
        print("torch is not installed: printing our figures only")

    total = best(lambda: ours(names, one, 2000), args.repeat)
    print(f"\n1. all {len(names)} optimizers, one start, 2,000 steps, one call: "
          f"{total:.3f} s (target < 0.3 s) "
          f"= {total / (len(names) * 2000) * 1e6:.1f} us per trajectory step")

    header = f"{'optimizer':<10} {'ours us/step':>12} {'torch loop':>11} {'ratio':>7} {'torch step':>11} {'ratio':>7}"
    for title, starts, steps in [("2. one start, 2,000 steps (target 20x)", one, 2000),
                                 (f"3. {args.batch:,} starts, 200 steps (target 4x)", batch, 200)]:
        print(f"\n{title}\n{header}")
        ratios_loop, ratios_step = [], []
        for n in names:
            us = best(lambda n=n, s=starts, k=steps: ours([n], s, k), args.repeat) / steps * 1e6
            row = f"{n:<10} {us:>12.1f}"
            if has_torch:
                t_loop = best(lambda n=n, s=starts, k=steps: torch_loop(n, s, k, True), args.repeat) / steps * 1e6
                t_step = best(lambda n=n, s=starts, k=steps: torch_loop(n, s, k, False), args.repeat) / steps * 1e6
                ratios_loop.append(t_loop / us)
                ratios_step.append(t_step / us)
                row += f" {t_loop:>11.1f} {t_loop / us:>6.1f}x {t_step:>11.1f} {t_step / us:>6.1f}x"
            print(row, flush=True)
        if has_torch:
            print(f"{'geo-mean':<10} {'':>12} {'':>11} {np.exp(np.mean(np.log(ratios_loop))):>6.1f}x "
                  f"{'':>11} {np.exp(np.mean(np.log(ratios_step))):>6.1f}x   "
                  f"(min {min(ratios_loop):.1f}x / {min(ratios_step):.1f}x)")


if __name__ == "__main__":
    main()
