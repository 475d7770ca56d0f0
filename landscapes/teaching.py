"""Shapes that teach one thing each: a saddle, two wells, a narrow bowl, a
plateau, and the non-smooth toys used to compare Adam with AdaBelief."""

from __future__ import annotations

import numpy as np

from landscapes.landscape import Landscape, Minimum


def saddle_f(x, y):
    return x * x - y * y


def saddle_grad(x, y):
    return (2.0 * x, -2.0 * y)


# A quartic double well tilted by 0.3 x, so one minimum is deeper than the other.
DOUBLE_WELL_TILT = 0.3


def double_well_f(x, y):
    return (x * x - 1.0) ** 2 + y * y + DOUBLE_WELL_TILT * x


def double_well_grad(x, y):
    return (4.0 * x * (x * x - 1.0) + DOUBLE_WELL_TILT, 2.0 * y)


# Curvature 1 along x and 50 along y: condition number 50.
BOWL_CURVATURE = (1.0, 50.0)


def ill_conditioned_bowl_f(x, y):
    a, b = BOWL_CURVATURE
    return 0.5 * (a * x * x + b * y * y)


def ill_conditioned_bowl_grad(x, y):
    a, b = BOWL_CURVATURE
    return (a * x, b * y)


def plateau_f(x, y):
    return 1.0 - np.exp(-0.5 * (x * x + y * y))


def plateau_grad(x, y):
    e = np.exp(-0.5 * (x * x + y * y))
    return (x * e, y * e)


def abs_sum_f(x, y):
    return np.abs(x) + np.abs(y)


def abs_sum_grad(x, y):
    return (np.sign(x), np.sign(y))


def abs_skew_f(x, y):
    return np.abs(x + y) + np.abs(x - y) / 10.0


def abs_skew_grad(x, y):
    s, d = np.sign(x + y), np.sign(x - y) / 10.0
    return (s + d, s - d)


LANDSCAPES: list[Landscape] = [
    Landscape(
        name="saddle",
        title="Saddle",
        fxy=saddle_f,
        gradxy=saddle_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        start=(-1.8, 0.05),
        formula=r"f(x,y) = x^2 - y^2",
        lesson="Unbounded below: runs slide in along x, stall near the saddle point "
        "and then leave along y, faster for methods that rescale small gradients.",
        bounded_below=False,
    ),
    Landscape(
        name="double_well",
        title="Double well",
        fxy=double_well_f,
        gradxy=double_well_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(
            Minimum((-1.0355787140888537, 0.0), -0.30542848374391597),
            Minimum((0.96014955551910552, 0.0), 0.29414648102826285, "local"),
        ),
        start=(1.8, 0.5),
        formula=r"f(x,y) = (x^2 - 1)^2 + y^2 + 0.3\,x",
        lesson="Two minima and a barrier between them. From the start on the right, "
        "gradient descent settles in the nearer, shallower well at learning rates up to "
        "0.1; heavy-ball momentum from lr 0.005 to 0.03 (Nesterov from 0.01 to 0.05) "
        "gathers enough speed on the way down to roll over into the deeper one. The "
        "table says where each run ends.",
    ),
    Landscape(
        name="ill_conditioned_bowl",
        title="Ill-conditioned bowl",
        fxy=ill_conditioned_bowl_f,
        gradxy=ill_conditioned_bowl_grad,
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-2.8, 1.0),
        formula=r"f(x,y) = \tfrac12\left(x^2 + 50\,y^2\right)",
        lesson="A narrow, elongated bowl: steps large enough to move along the "
        "valley make plain momentum zig-zag across it.",
    ),
    Landscape(
        name="plateau",
        title="Plateau",
        fxy=plateau_f,
        gradxy=plateau_grad,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-3.5, 2.5),
        formula=r"f(x,y) = 1 - e^{-(x^2 + y^2)/2}",
        lesson="A wide flat plain before a well: gradient descent crawls where the "
        "gradient is tiny, while Adam's normalized steps keep their size.",
        compilable=False,  # exp: see Landscape.compilable
    ),
    Landscape(
        name="abs_sum",
        title="|x| + |y|",
        fxy=abs_sum_f,
        gradxy=abs_sum_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-1.5, 1.0),
        formula=r"f(x,y) = |x| + |y|",
        lesson="The gradient's size never shrinks, only its sign flips: adaptive "
        "methods must notice the flip to take smaller steps near the minimum.",
    ),
    Landscape(
        name="abs_skew",
        title="|x + y| + |x - y| / 10",
        fxy=abs_skew_f,
        gradxy=abs_skew_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-1.2, 1.6),
        formula=r"f(x,y) = |x + y| + \tfrac{1}{10}|x - y|",
        lesson="A skewed V-shaped valley: AdaBelief tells the steady slope along the "
        "valley from the flipping slope across it, Adam does not.",
    ),
]
