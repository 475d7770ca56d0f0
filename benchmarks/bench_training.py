"""Training a real model, against the floor and against torch.optim, in one run.
Prints figures; asserts nothing.

    python benchmarks/bench_training.py [--repeat N] [--epochs E]
    # torch for its column: pip install torch==2.13.0

The issue's case: 14 optimizers (every one in the registry, torch's default
settings) x 1,000 epochs, full batch, an MLP 2-30-30-2 (tanh, 1,082 weights) on
two moons with 1,000 training rows and 334 held out, float64. Each epoch records
what the page shows: the training and held-out loss and accuracy (and, as the
page keeps them, the weights at 101 epochs). Warm (a first call beforehand), best
of --repeat. Target: under 1 s. Then the plane the page draws over those runs: its
directions, the training loss on 60 x 60 points of it and the projections' gaps
(target: the loss surface under 1 s).

- **ours**: :func:`visualizer.engine.training.train`, the 14 runs stacked, each
  layer one NumPy (BLAS) call for all of them.
- **the floor**: a hand-written numba loop doing the same arithmetic (forward,
  backpropagation, an update, the held-out forward each epoch) for 14 runs of Adam
  (the update costs next to nothing beside the gradient), the runs across the
  cores: the yardstick.
- **torch.optim**: ``nn.Linear`` layers, autograd and each registry entry's torch
  optimizer, one run after another, with the same per-epoch evaluation.

Threads: NumPy's BLAS, numba's prange and torch all use every core.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numba
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from visualizer import engine  # noqa: E402
from visualizer.engine import optimizers, training  # noqa: E402
from visualizer.engine.training import plane  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_many import best  # noqa: E402  (best of N, as every benchmark here)


@numba.njit(cache=True, error_model="numpy")
def _forward(w, row, n_in, h, classes, a1, a2, z):
    """One row through the MLP (weights laid out as the engine's): fills the two
    hidden layers' activations and the logits; returns (largest logit, the sum of
    exp(logit - largest))."""
    o1 = n_in * h
    o2 = o1 + h
    o3 = o2 + h * h
    o4 = o3 + h
    o5 = o4 + h * classes
    for j in range(h):
        s = w[o1 + j]
        for k in range(n_in):
            s += w[j * n_in + k] * row[k]
        a1[j] = np.tanh(s)
    for j in range(h):
        s = w[o3 + j]
        for k in range(h):
            s += w[o2 + j * h + k] * a1[k]
        a2[j] = np.tanh(s)
    top = -1e308
    for c in range(classes):
        s = w[o5 + c]
        for k in range(h):
            s += w[o4 + c * h + k] * a2[k]
        z[c] = s
        top = max(top, s)
    se = 0.0
    for c in range(classes):
        se += np.exp(z[c] - top)
    return top, se


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _floor(x, y, xt, yt, w0, hidden, classes, epochs, runs, lr, loss_out, test_out):
    """``runs`` Adam runs of a 2-hidden-layer tanh MLP, full batch, weights laid out
    as the engine's; per epoch the training loss (from the gradient's own forward)
    and the held-out loss."""
    n_in = x.shape[1]
    h = hidden
    o1 = n_in * h
    o2 = o1 + h
    o3 = o2 + h * h
    o4 = o3 + h
    o5 = o4 + h * classes
    n_w = o5 + classes
    for r in numba.prange(runs):
        w = w0.copy()
        m = np.zeros(n_w)
        v = np.zeros(n_w)
        g = np.zeros(n_w)
        a1 = np.empty(h)
        a2 = np.empty(h)
        z = np.empty(classes)
        d2 = np.empty(h)
        d1 = np.empty(h)
        for e in range(epochs + 1):
            total = 0.0  # the held-out loss
            for i in range(xt.shape[0]):
                top, se = _forward(w, xt[i], n_in, h, classes, a1, a2, z)
                total += top + np.log(se) - z[yt[i]]
            test_out[r, e] = total / xt.shape[0]
            g[:] = 0.0  # the gradient over every training row (and the training loss)
            total = 0.0
            for i in range(x.shape[0]):
                top, se = _forward(w, x[i], n_in, h, classes, a1, a2, z)
                total += top + np.log(se) - z[y[i]]
                d2[:] = 0.0
                for c in range(classes):
                    dz = np.exp(z[c] - top) / se - (1.0 if c == y[i] else 0.0)
                    g[o5 + c] += dz
                    for k in range(h):
                        g[o4 + c * h + k] += dz * a2[k]
                        d2[k] += dz * w[o4 + c * h + k]
                d1[:] = 0.0
                for j in range(h):
                    dj = d2[j] * (1.0 - a2[j] * a2[j])
                    g[o3 + j] += dj
                    for k in range(h):
                        g[o2 + j * h + k] += dj * a1[k]
                        d1[k] += dj * w[o2 + j * h + k]
                for j in range(h):
                    dj = d1[j] * (1.0 - a1[j] * a1[j])
                    g[o1 + j] += dj
                    for k in range(n_in):
                        g[j * n_in + k] += dj * x[i, k]
            loss_out[r, e] = total / x.shape[0]
            if e == epochs:
                break
            t = e + 1.0
            c1 = 1.0 - 0.9 ** t
            c2 = (1.0 - 0.999 ** t) ** 0.5
            for k in range(n_w):
                gk = g[k] / x.shape[0]
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk * gk
                w[k] -= lr / c1 * m[k] / (np.sqrt(v[k]) / c2 + 1e-8)


def floor(data, model, epochs: int, runs: int) -> np.ndarray:
    loss = np.empty((runs, epochs + 1))
    test = np.empty((runs, epochs + 1))
    _floor(data.x_train, data.y_train, data.x_test, data.y_test, model.initial(0),
           model.hidden[0], data.classes, epochs, runs, 1e-3, loss, test)
    return loss


def torch_training(data, model, specs, epochs: int) -> float | None:
    """Seconds for torch to train the same model with every optimizer, one after another."""
    try:
        import torch
        import torch.nn.functional as F  # noqa: N812
    except ImportError:
        return None
    torch.set_default_dtype(torch.float64)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    xt, yt = torch.from_numpy(data.x_test), torch.from_numpy(data.y_test)
    w0 = model.initial(0)
    started = time.perf_counter()
    for spec in specs:
        layers = [torch.nn.Linear(a, b) for a, b in zip(model.sizes[:-1], model.sizes[1:], strict=True)]
        with torch.no_grad():
            for layer, (ws, bs, fan_in, fan_out) in zip(layers, model.layers, strict=True):
                layer.weight.copy_(torch.from_numpy(w0[ws].reshape(fan_out, fan_in)))
                layer.bias.copy_(torch.from_numpy(w0[bs]))
        net = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1], torch.nn.Tanh(), layers[2])
        params = list(net.parameters())
        opt = optimizers.info(spec.optimizer).torch_make(params, spec.lr, dict(spec.hypers))
        record = np.empty((epochs + 1, 4))
        weights = np.empty((epochs + 1, model.weights))
        for e in range(epochs + 1):
            out = net(x)
            loss = F.cross_entropy(out, y)
            with torch.no_grad():
                out_t = net(xt)
                record[e] = (loss.item(), (out.argmax(1) == y).double().mean().item(),
                             F.cross_entropy(out_t, yt).item(), (out_t.argmax(1) == yt).double().mean().item())
                weights[e] = torch.cat([p.reshape(-1) for p in params]).numpy()
            if e == epochs:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1000)
    args = parser.parse_args()
    data = training.load("moons", size=1334, noise=0.1, seed=0)
    model = training.parse_model("mlp:30,30", data.features, data.outputs, "tanh")
    specs = [engine.make_spec(name) for name in optimizers.OPTIMIZERS]
    print(f"{len(specs)} optimizers x {args.epochs:,} epochs, full batch, MLP {model.sizes} "
          f"({model.weights:,} weights, tanh) on {len(data.y_train):,} rows + "
          f"{len(data.y_test):,} held out; {os.cpu_count()} cores, best of {args.repeat}")

    training.train(data, model, specs, 5)  # warm
    ours = best(lambda: training.train(data, model, specs, args.epochs, snapshots=101), args.repeat)
    tr = training.train(data, model, specs, args.epochs, snapshots=101)
    pl = plane.pca_plane(tr)
    surface = best(lambda: plane.surface(pl, data, model), args.repeat)
    directions = best(lambda: plane.pca_plane(tr), args.repeat)
    gaps = best(lambda: plane.projection_gap(pl, tr), args.repeat)
    floor(data, model, 2, 1)  # compiled (or loaded) first
    low = best(lambda: floor(data, model, args.epochs, len(specs)), args.repeat)
    check = training.train(data, model, [engine.make_spec("adam")], 3)
    floor_loss = floor(data, model, 3, 1)[0]
    print(f"  (the floor's training loss equals ours to {abs(floor_loss - check.train_loss[0]).max():.1e})")
    theirs = torch_training(data, model, specs, args.epochs)
    print(f"  ours                {ours:7.3f} s   target under 1 s: "
          f"{'met' if ours < 1 else 'NOT met'}")
    print(f"  the floor (numba)   {low:7.3f} s   ours / floor = {ours / low:.2f}")
    print(f"  the plane: directions {directions:.3f} s, loss on {plane.GRID} x {plane.GRID} points "
          f"{surface:.3f} s (target under 1 s: {'met' if surface < 1 else 'NOT met'}), "
          f"the projections' gaps {gaps:.3f} s")
    print(f"  the cost model said {training.estimate_seconds(data, model, len(specs), args.epochs, None):.1f} s "
          "for the training (it must not be below the clock)")
    if theirs is None:
        print("  torch.optim         (torch is not installed)")
    else:
        print(f"  torch.optim         {theirs:7.3f} s   ours / torch = {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
