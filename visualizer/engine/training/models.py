"""The models a data set trains: logistic regression (softmax over the classes),
linear regression, and small multilayer perceptrons, with their loss and its
gradient written by hand (backpropagation), for many weight vectors at once.

A model's weights are one flat float64 vector, layer by layer, each layer its
weight matrix ``(out, in)`` row by row and then its bias, as ``torch.nn.Linear``
keeps them, so one optimizer rule (:mod:`visualizer.engine.optimizers`) updates them
all, and a reference run in torch reads the same numbers. Every function takes a
stack of ``R`` weight vectors ``(R, N)``: the runs of several optimizers are
one NumPy call per layer.

Losses are torch's, as ``torch.nn.functional`` computes them: cross-entropy over
the logits (``logsumexp`` minus the label's logit, averaged over the rows) for
classification, the mean of squared errors for regression.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from visualizer.engine.fields import FieldError, Range

Array = np.ndarray

WIDTH = Range(1, 128, whole=True)
MAX_LAYERS = 3
MAX_WEIGHTS = 5000
"""A hidden layer's width, the most hidden layers and the most weights of a model."""

ACTIVATIONS = ("tanh", "relu", "sigmoid")


@dataclass(frozen=True)
class Model:
    """A model: its ``inputs`` and ``outputs`` (one logit per class, or one number),
    its ``hidden`` layers' widths (none: logistic or linear regression), and the
    hidden layers' activation."""

    inputs: int
    outputs: int
    hidden: tuple[int, ...] = ()
    activation: str = "tanh"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.inputs, *self.hidden, self.outputs)

    @property
    def layers(self) -> list[tuple[slice, slice, int, int]]:
        """Each layer's weights and bias in the flat vector, and its sizes (in, out)."""
        out, at = [], 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = slice(at, at + fan_in * fan_out)
            b = slice(w.stop, w.stop + fan_out)
            out.append((w, b, fan_in, fan_out))
            at = b.stop
        return out

    @property
    def weights(self) -> int:
        """How many numbers the model learns."""
        return self.layers[-1][1].stop

    def text(self) -> str:
        """The model as the command line and the link write it (``mlp:16,16``)."""
        if not self.hidden:
            return "linear"
        return "mlp:" + ",".join(str(h) for h in self.hidden)

    def initial(self, seed: int) -> Array:
        """Starting weights from ``seed``: each layer's weights and bias uniform in
        ``±1/√in``, the range ``torch.nn.Linear`` draws from (its own draws differ:
        the reference runs start from these)."""
        rng = np.random.default_rng(seed)
        w = np.empty(self.weights)
        for ws, bs, fan_in, _ in self.layers:
            bound = 1.0 / math.sqrt(fan_in)
            w[ws] = rng.uniform(-bound, bound, ws.stop - ws.start)
            w[bs] = rng.uniform(-bound, bound, bs.stop - bs.start)
        return w


def parse_model(text: str, inputs: int, outputs: int, activation: str = "tanh") -> Model:
    """``linear`` (or ``logistic``: the same model, no hidden layer) or ``mlp:16,16``
    for a data set with ``inputs`` features and ``outputs`` outputs. Raises
    :class:`FieldError` naming what is wrong."""
    text = str(text).strip().lower()
    if activation not in ACTIVATIONS:
        raise FieldError("activation", f"must be one of {', '.join(ACTIVATIONS)} (got {activation!r:.20})")
    if text in ("linear", "logistic"):
        hidden: tuple[int, ...] = ()
    else:
        found = re.fullmatch(r"mlp:([^:]*)", text)
        if not found:
            raise FieldError("model", f"must be linear, logistic or mlp:WIDTH,WIDTH,... (got {text!r:.30})")
        parts = [p.strip() for p in found.group(1).split(",") if p.strip()]
        if not parts:
            raise FieldError("model", "an mlp needs at least one hidden width, as in mlp:16")
        if len(parts) > MAX_LAYERS:
            raise FieldError("model", f"must have at most {MAX_LAYERS} hidden layers (got {len(parts)})")
        hidden = tuple(int(WIDTH.parse("hidden width", p)) for p in parts)
    model = Model(inputs, outputs, hidden, activation)
    if model.weights > MAX_WEIGHTS:
        raise FieldError("model", f"must have at most {MAX_WEIGHTS:,} weights "
                                  f"(got {model.weights:,}: lower the hidden widths)")
    return model


# -- Forward and backward, for R weight vectors at once ------------------------------------
def _act(name: str, z: Array) -> Array:
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return 1.0 / (1.0 + np.exp(-z))


def _act_back(name: str, grad: Array, z: Array, a: Array) -> Array:
    """The gradient through the activation, as torch's backward writes it."""
    if name == "tanh":
        return grad * (1.0 - a * a)
    if name == "relu":
        return np.where(z > 0.0, grad, 0.0)
    return grad * (1.0 - a) * a


def forward(model: Model, w: Array, x: Array) -> tuple[Array, list[tuple[Array, Array]]]:
    """The outputs ``(R, rows, outputs)`` of the ``R`` weight vectors ``w`` on the
    rows ``x``, and each hidden layer's (pre-activation, activation) for
    :func:`loss_and_grad`."""
    a: Array = x
    kept = []
    last = len(model.layers) - 1
    for i, (ws, bs, fan_in, fan_out) in enumerate(model.layers):
        weight = w[:, ws].reshape(len(w), fan_out, fan_in)
        z = np.matmul(a, weight.transpose(0, 2, 1)) + w[:, None, bs]
        if i == last:
            return z, kept
        a = _act(model.activation, z)
        kept.append((z, a))
    raise AssertionError("a model has at least one layer")


def _exps(out: Array) -> tuple[Array, Array, Array]:
    """The logits' largest ``(R, rows, 1)``, ``exp(logit - largest)`` and their sum
    ``(R, rows, 1)``: the softmax's parts, as ``logsumexp`` computes them."""
    top = out.max(axis=2, keepdims=True)
    e = np.exp(out - top)
    return top, e, e.sum(axis=2, keepdims=True)


def _cross_entropy(out: Array, y: Array, top: Array, total: Array) -> Array:
    lse = top[..., 0] + np.log(total[..., 0])
    picked = np.take_along_axis(out, y[None, :, None], axis=2)[..., 0]
    return (lse - picked).mean(axis=1)


def losses(model: Model, out: Array, y: Array, classes: int) -> Array:
    """Each run's mean loss ``(R,)``: cross-entropy over the logits, or squared error."""
    if classes:
        top, _, total = _exps(out)
        return _cross_entropy(out, y, top, total)
    return ((out - y[None]) ** 2).mean(axis=(1, 2))


def loss_and_grad(model: Model, w: Array, x: Array, y: Array, classes: int
                  ) -> tuple[Array, Array, Array]:
    """Each run's mean loss over the rows ``(R,)``, its gradient ``(R, N)``, and the
    outputs it came from ``(R, rows, outputs)``."""
    out, kept = forward(model, w, x)
    rows = len(x)
    if classes:  # the softmax's parts once, for the loss and its gradient
        top, e, total = _exps(out)
        loss = _cross_entropy(out, y, top, total)
        delta = e / total
        delta[:, np.arange(rows), y] -= 1.0
        delta /= rows
    else:
        loss = losses(model, out, y, classes)
        delta = 2.0 * (out - y[None]) / (rows * out.shape[2])
    grad = np.empty_like(w)
    for i in range(len(model.layers) - 1, -1, -1):
        ws, bs, fan_in, fan_out = model.layers[i]
        below = x if i == 0 else kept[i - 1][1]
        g_w = np.matmul(delta.transpose(0, 2, 1), below if below.ndim == 3 else below[None])
        grad[:, ws] = g_w.reshape(len(w), -1)
        grad[:, bs] = delta.sum(axis=1)
        if i:
            weight = w[:, ws].reshape(len(w), fan_out, fan_in)
            z, a = kept[i - 1]
            delta = _act_back(model.activation, np.matmul(delta, weight), z, a)
    return loss, grad, out


def accuracy(out: Array, y: Array) -> Array:
    """Each run's share of rows whose largest logit is the label's ``(R,)``."""
    return (out.argmax(axis=2) == y[None]).mean(axis=1)


def fisher_diagonal(model: Model, w: Array, x: Array, classes: int) -> Array:
    """The diagonal of the Fisher information of the weights ``w`` ``(N,)`` on the rows
    ``x`` ``(rows, features)``: the mean over the rows of the squared per-row gradient
    of the log-likelihood, in expectation over the model's own predicted labels
    (``Σ_c p(c|x) (∂ log p(c|x)/∂w)²``, every class weighed exactly, none sampled),
    the importance EWC weighs each weight by. For regression (a unit-variance
    Gaussian around the output) that is the squared per-row gradient of the output.

    Per-row gradients are not summed over the rows: a layer's weight ``(j, i)`` has
    per-row gradient ``δ_j a_i``, so its squares summed over the rows are
    ``(δ²)ᵀ (a²)``, one product per layer and class."""
    w = np.asarray(w, dtype=float)[None]
    out, kept = forward(model, w, x)
    rows = len(x)
    if classes:
        top, e, total = _exps(out)
        p = (e / total)[0]
        # the output's δ for label c is p - e_c; its squares are weighed by p_c:
        # scaling δ by √p_c (backpropagation is linear in δ) weighs every square by p_c
        deltas = []
        for c in range(out.shape[2]):
            delta = p.copy()
            delta[:, c] -= 1.0
            deltas.append(delta * np.sqrt(p[:, c:c + 1]))
        delta = np.concatenate(deltas)  # (classes x rows, outputs)
        reps = out.shape[2]
    else:
        delta = np.ones((rows, out.shape[2]))
        reps = 1
    fisher = np.empty(model.weights)
    for i in range(len(model.layers) - 1, -1, -1):
        ws, bs, fan_in, fan_out = model.layers[i]
        below = x if i == 0 else kept[i - 1][1][0]
        below = np.tile(below, (reps, 1))
        fisher[ws] = ((delta ** 2).T @ (below ** 2)).ravel() / rows
        fisher[bs] = (delta ** 2).sum(axis=0) / rows
        if i:
            weight = w[0, ws].reshape(fan_out, fan_in)
            z, a = kept[i - 1]
            delta = _act_back(model.activation, delta @ weight, np.tile(z[0], (reps, 1)),
                              np.tile(a[0], (reps, 1)))
    return fisher
