"""The data a model trains on: the classic two-dimensional sets, drawn from a seed
(two moons, circles, XOR, spirals, Gaussian blobs), a one-dimensional wave for
regression, and a small real set kept in the repository (the 8 x 8 handwritten
digits, see ``DIGITS.md`` beside this file for its source and licence).

Every set is split once into a training part and a held-out part (``test``, a
share of the rows, drawn from the same seed). The same name, size, noise and
seed give the same numbers on every machine: NumPy's ``default_rng`` (PCG64).
"""

from __future__ import annotations

import functools
import gzip
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from visualizer.engine.fields import FieldError, Range

Array = np.ndarray

SIZE = Range(10, 2000, whole=True)
NOISE = Range(0.0, 2.0)
SEED = Range(0, 2**31 - 1, whole=True)
TEST = Range(0.05, 0.9)
"""The ranges of a data set's settings (rows drawn, noise, seed, held-out share)."""


@dataclass(frozen=True)
class Dataset:
    """A data set split in two: ``x`` are ``(rows, features)`` floats; ``y`` are class
    numbers (ints from 0) for a classification set, ``(rows, 1)`` floats for
    regression (``classes == 0``)."""

    name: str
    title: str
    x_train: Array
    y_train: Array
    x_test: Array
    y_test: Array
    classes: int  # 0: regression
    settings: tuple[tuple[str, float], ...]  # what made it: size, noise, seed, test

    @property
    def features(self) -> int:
        return self.x_train.shape[1]

    @property
    def outputs(self) -> int:
        """What a model of this set outputs: one logit per class, or one number."""
        return self.classes or 1

    @property
    def regression(self) -> bool:
        return self.classes == 0


@dataclass(frozen=True)
class Maker:
    """One data set's recipe: ``draw(rng, size, noise) -> (x, y)``; ``classes`` (0 for
    regression); its default size and noise; ``fixed`` when it is real data
    (the size then picks that many rows, and noise is not used)."""

    name: str
    title: str
    draw: Callable[[np.random.Generator, int, float], tuple[Array, Array]]
    classes: int
    size: int = 400
    noise: float = 0.1
    fixed: bool = False


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    outer = n // 2
    t_out = np.linspace(0.0, np.pi, outer)
    t_in = np.linspace(0.0, np.pi, n - outer)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.repeat([0, 1], [outer, n - outer])
    return x + noise * rng.standard_normal(x.shape), y


def _circles(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    outer = n // 2
    t_out = np.linspace(0.0, 2 * np.pi, outer, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n - outer, endpoint=False)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        0.5 * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.repeat([0, 1], [outer, n - outer])
    return x + noise * rng.standard_normal(x.shape), y


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(int)
    return x + noise * rng.standard_normal(x.shape), y


def _spirals(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    arm = n // 2
    parts = []
    for k, m in enumerate((arm, n - arm)):
        t = np.linspace(0.0, 1.0, m)
        angle = 3.0 * np.pi * t + k * np.pi
        parts.append(np.stack([t * np.cos(angle), t * np.sin(angle)], 1))
    x = np.concatenate(parts)
    y = np.repeat([0, 1], [arm, n - arm])
    return x + noise * rng.standard_normal(x.shape), y


BLOB_CENTRES = np.array([[0.0, 1.0], [-0.866, -0.5], [0.866, -0.5]])


def _blobs(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    y = np.arange(n) % len(BLOB_CENTRES)
    spread = 0.2 + noise  # never points on points: the blobs keep a width
    return BLOB_CENTRES[y] + spread * rng.standard_normal((n, 2)), y


def _wave(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-3.0, 3.0, (n, 1))
    return x, (np.sin(x) + noise * rng.standard_normal(x.shape))


DIGITS_FILE = pathlib.Path(__file__).with_name("digits.csv.gz")


@functools.cache
def _digit_rows() -> tuple[Array, Array]:
    with gzip.open(DIGITS_FILE, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1] / 16.0, table[:, -1].astype(int)  # pixels 0..16 to 0..1


def _digits(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x, y = _digit_rows()
    rows = np.sort(rng.permutation(len(y))[:n])
    return x[rows], y[rows]


MAKERS: dict[str, Maker] = {m.name: m for m in (
    Maker("moons", "Two moons", _moons, 2),
    Maker("circles", "Circles", _circles, 2, noise=0.08),
    Maker("xor", "XOR", _xor, 2, noise=0.05),
    Maker("spirals", "Two spirals", _spirals, 2, noise=0.05),
    Maker("blobs", "Three blobs", _blobs, 3, noise=0.1),
    Maker("wave", "A wave (regression)", _wave, 0),
    Maker("digits", "Handwritten digits (8 x 8)", _digits, 10, size=1797, noise=0.0, fixed=True),
)}
"""Every data set, by the name the link, the command line and the API use."""


class UnknownDatasetError(KeyError):
    """A data set name that is not in :data:`MAKERS` (the message lists them)."""

    def __str__(self) -> str:
        return str(self.args[0])


def maker(name: str) -> Maker:
    try:
        return MAKERS[name]
    except KeyError:
        raise UnknownDatasetError(
            f"unknown data set {name!r}; choose from: {', '.join(MAKERS)}") from None


def load(name: str, size: int | None = None, noise: float | None = None, seed: int = 0,
         test: float = 0.25) -> Dataset:
    """The data set ``name``: ``size`` rows (its default if None; for the digits, that
    many of the 1,797, drawn from the seed), ``noise`` (its default if None), split
    with ``test`` of the rows held out. Raises :class:`UnknownDatasetError` or
    :class:`FieldError`."""
    m = maker(name)
    size = m.size if size is None else int(SIZE.check("size", size))
    if m.fixed and size > m.size:
        raise FieldError("size", f"must be at most {m.size:,} for {m.title} (got {size:,})")
    noise = m.noise if noise is None else NOISE.check("noise", noise)
    seed = int(SEED.check("seed", seed))
    test = TEST.check("held-out share", test)
    rng = np.random.default_rng(seed)
    x, y = m.draw(rng, size, noise)
    order = rng.permutation(size)
    n_test = max(1, int(round(test * size)))
    held, kept = order[:n_test], order[n_test:]
    if m.classes:
        y = y.astype(np.int64)
    else:
        y = np.asarray(y, dtype=float).reshape(-1, 1)
    x = np.ascontiguousarray(x, dtype=float)
    return Dataset(name, m.title, x[kept], y[kept], x[held], y[held], m.classes,
                   (("size", size), ("noise", noise), ("seed", seed), ("test", test)))


def permuted(data: Dataset, seed: int = 0) -> Dataset:
    """A second task from ``data``: the same rows and labels with the inputs' order
    shuffled by one permutation drawn from ``seed`` (never the identity): the
    "permuted digits" of the forgetting papers (Kirkpatrick et al. 2017 used
    permuted MNIST), and for a two-feature set its mirror, x and y swapped. A set
    with one feature has no second task."""
    if data.features < 2:
        raise FieldError("data", f"{data.title} has one input: it has no permuted second task; "
                                 "choose a set with two or more")
    order = np.random.default_rng(seed).permutation(data.features)
    if (order == np.arange(data.features)).all():
        order = np.roll(order, 1)
    return Dataset(f"{data.name}-permuted", f"{data.title}, inputs permuted",
                   np.ascontiguousarray(data.x_train[:, order]), data.y_train,
                   np.ascontiguousarray(data.x_test[:, order]), data.y_test, data.classes,
                   (*data.settings, ("permutation", seed)))
