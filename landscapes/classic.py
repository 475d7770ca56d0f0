"""The classic optimization test functions, with their standard definitions.

Each ``name_f(x, y)`` and ``name_grad(x, y) -> (df/dx, df/dy)`` is plain
arithmetic and NumPy ufuncs, so it works on floats and on arrays alike (and
compiles with numba). Gradients are written out by hand, and checked against
central differences in the tests. Integer powers are written as products:
``x**3`` rounds differently in NumPy and in compiled code.
"""

from __future__ import annotations

import numpy as np

from landscapes.landscape import Landscape, Minimum

TWO_PI = 2.0 * np.pi


# Himmelblau -------------------------------------------------------------------
def himmelblau_f(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return (4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


# Styblinski-Tang ----------------------------------------------------------------
def styblinski_tang_f(x, y):
    x2, y2 = x * x, y * y
    return 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y)


def styblinski_tang_grad(x, y):
    return (2.0 * (x * x * x) - 16.0 * x + 2.5, 2.0 * (y * y * y) - 16.0 * y + 2.5)


# Rosenbrock ---------------------------------------------------------------------
def rosenbrock_f(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(x, y):
    r = y - x * x
    return (-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r)


# Goldstein-Price ----------------------------------------------------------------
def _gp_parts(x, y):
    u = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    w = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return u, p, w, q


def goldstein_price_f(x, y):
    u, pp, w, q = _gp_parts(x, y)
    return (1.0 + u * u * pp) * (30.0 + w * w * q)


def goldstein_price_grad(x, y):
    u, pp, w, q = _gp_parts(x, y)
    a = 1.0 + u * u * pp
    b = 30.0 + w * w * q
    # d(pp)/dx == d(pp)/dy == -14 + 6x + 6y, so dA/dx == dA/dy.
    da = 2.0 * u * pp + u * u * (-14.0 + 6.0 * x + 6.0 * y)
    db_dx = 4.0 * w * q + w * w * (-32.0 + 24.0 * x - 36.0 * y)
    db_dy = -6.0 * w * q + w * w * (48.0 - 36.0 * x + 54.0 * y)
    return (da * b + a * db_dx, da * b + a * db_dy)


# Beale --------------------------------------------------------------------------
def beale_f(x, y):
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y * y) ** 2
        + (2.625 - x + x * (y * y * y)) ** 2
    )


def beale_grad(x, y):
    a1 = 1.5 - x + x * y
    a2 = 2.25 - x + x * y * y
    y3 = y * y * y
    a3 = 2.625 - x + x * y3
    dx = 2.0 * (a1 * (y - 1.0) + a2 * (y * y - 1.0) + a3 * (y3 - 1.0))
    dy = 2.0 * x * (a1 + 2.0 * y * a2 + 3.0 * y * y * a3)
    return (dx, dy)


# Booth --------------------------------------------------------------------------
def booth_f(x, y):
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def booth_grad(x, y):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return (2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b)


# Rastrigin ----------------------------------------------------------------------
def rastrigin_f(x, y):
    return 20.0 + x * x - 10.0 * np.cos(TWO_PI * x) + y * y - 10.0 * np.cos(TWO_PI * y)


def rastrigin_grad(x, y):
    return (
        2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x),
        2.0 * y + 10.0 * TWO_PI * np.sin(TWO_PI * y),
    )


# Ackley -------------------------------------------------------------------------
def ackley_f(x, y):
    r = np.sqrt(0.5 * (x * x + y * y))
    c = 0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y))
    return -20.0 * np.exp(-0.2 * r) - np.exp(c) + np.e + 20.0


def ackley_grad(x, y):
    r = np.sqrt(0.5 * (x * x + y * y))
    # d/dx of -20 exp(-0.2 r) is 2 x exp(-0.2 r) / r. At the cone's tip (r == 0,
    # so x == y == 0) the floor on r keeps k finite and k * x is the subgradient
    # 0, so the minimum has a zero gradient; elsewhere the floor changes nothing.
    k = 2.0 * np.exp(-0.2 * r) / np.maximum(r, 1e-300)
    e = np.pi * np.exp(0.5 * (np.cos(TWO_PI * x) + np.cos(TWO_PI * y)))
    return (k * x + e * np.sin(TWO_PI * x), k * y + e * np.sin(TWO_PI * y))


# Six-hump camel -----------------------------------------------------------------
def six_hump_camel_f(x, y):
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def six_hump_camel_grad(x, y):
    x3 = x * x * x
    return (8.0 * x - 8.4 * x3 + 2.0 * (x3 * x * x) + y, x - 8.0 * y + 16.0 * (y * y * y))


# Three-hump camel ---------------------------------------------------------------
def three_hump_camel_f(x, y):
    x2 = x * x
    return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y


def three_hump_camel_grad(x, y):
    x3 = x * x * x
    return (4.0 * x - 4.2 * x3 + x3 * x * x + y, x + 2.0 * y)


# Matyas -------------------------------------------------------------------------
def matyas_f(x, y):
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def matyas_grad(x, y):
    return (0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x)


_CAMEL_X, _CAMEL_Y, _CAMEL_F = 0.089842013100318062, 0.71265640302073963, -1.0316284534898774
_ST = -2.9035340277711771
_ST_LOCAL = 2.7468027709908370

LANDSCAPES: list[Landscape] = [
    Landscape(
        name="himmelblau",
        title="Himmelblau",
        fxy=himmelblau_f,
        gradxy=himmelblau_grad,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            Minimum((3.0, 2.0), 0.0),
            Minimum((-2.8051180869527449, 3.1313125182505730), 0.0),
            Minimum((-3.7793102533777469, -3.2831859912861694), 0.0),
            Minimum((3.5844283403304917, -1.8481265269644036), 0.0),
        ),
        start=(0.0, 0.0),
        formula=r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        lesson="Four equal minima: which one a run finds depends on where it starts "
        "and on how the optimizer carries momentum.",
    ),
    Landscape(
        name="styblinski_tang",
        title="Styblinski-Tang",
        fxy=styblinski_tang_f,
        gradxy=styblinski_tang_grad,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            Minimum((_ST, _ST), -78.332331407542831),
            Minimum((_ST, _ST_LOCAL), -64.195612359055355, "local"),
            Minimum((_ST_LOCAL, _ST), -64.195612359055355, "local"),
            Minimum((_ST_LOCAL, _ST_LOCAL), -50.058893310567879, "local"),
        ),
        start=(0.0, 0.0),
        formula=r"f(x,y) = \tfrac12 \left(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y\right)",
        lesson="Four basins of different depth: a local method settles in the nearest "
        "one, so the start decides whether it finds the global minimum.",
    ),
    Landscape(
        name="rosenbrock",
        title="Rosenbrock",
        fxy=rosenbrock_f,
        gradxy=rosenbrock_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(Minimum((1.0, 1.0), 0.0),),
        start=(0.0, 0.0),
        formula=r"f(x,y) = (1 - x)^2 + 100\,(y - x^2)^2",
        lesson="A long curved valley: finding the valley is easy, following its flat "
        "floor to the minimum is slow, and adaptive methods help.",
    ),
    Landscape(
        name="goldstein_price",
        title="Goldstein-Price",
        fxy=goldstein_price_f,
        gradxy=goldstein_price_grad,
        domain=((-1.5, 0.5), (-1.5, 0.5)),
        minima=(Minimum((0.0, -1.0), 3.0), Minimum((-0.6, -0.4), 30.0, "local")),
        start=(0.0, 0.0),
        formula=r"f(x,y) = \left[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
        lesson="Gradients that span orders of magnitude: a learning rate that is safe "
        "in one place overshoots wildly in another.",
    ),
    Landscape(
        name="beale",
        title="Beale",
        fxy=beale_f,
        gradxy=beale_grad,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        minima=(Minimum((3.0, 0.5), 0.0),),
        start=(1.0, 1.5),
        formula=r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        lesson="Sharp ridges beside flat valleys: fixed steps either crawl or "
        "explode, so per-coordinate scaling pays off.",
    ),
    Landscape(
        name="booth",
        title="Booth",
        fxy=booth_f,
        gradxy=booth_grad,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=(Minimum((1.0, 3.0), 0.0),),
        start=(-6.0, -6.0),
        formula=r"f(x,y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
        lesson="A plain tilted bowl: every method gets there, which makes it the "
        "place to compare their speed and their step sizes.",
    ),
    Landscape(
        name="rastrigin",
        title="Rastrigin",
        fxy=rastrigin_f,
        gradxy=rastrigin_grad,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(3.3, -2.4),
        formula=r"f(x,y) = 20 + \sum_{i} \left(x_i^2 - 10\cos 2\pi x_i\right)",
        lesson="A bowl covered in regular bumps: local methods get stuck in the "
        "first dip unless momentum or a large step carries them over.",
    ),
    Landscape(
        name="ackley",
        title="Ackley",
        fxy=ackley_f,
        gradxy=ackley_grad,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(3.2, 2.6),
        formula=r"f(x,y) = -20\,e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        lesson="A nearly flat, bumpy plain around one deep hole: small gradients far "
        "away and many traps on the way in.",
        compilable=False,  # exp: see Landscape.compilable
    ),
    Landscape(
        name="six_hump_camel",
        title="Six-hump camel",
        fxy=six_hump_camel_f,
        gradxy=six_hump_camel_grad,
        domain=((-2.0, 2.0), (-1.2, 1.2)),
        minima=(
            Minimum((_CAMEL_X, -_CAMEL_Y), _CAMEL_F),
            Minimum((-_CAMEL_X, _CAMEL_Y), _CAMEL_F),
        ),
        start=(-1.5, -0.9),
        formula=r"f(x,y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2",
        lesson="Six valleys, two of them global: small changes of the start or the "
        "step size send a run to a different valley.",
    ),
    Landscape(
        name="three_hump_camel",
        title="Three-hump camel",
        fxy=three_hump_camel_f,
        gradxy=three_hump_camel_grad,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-1.8, 1.2),
        formula=r"f(x,y) = 2x^2 - 1.05x^4 + \tfrac{x^6}{6} + xy + y^2",
        lesson="One global minimum between two local ones: momentum decides whether "
        "a run crosses the hump or stays in the side valley.",
    ),
    Landscape(
        name="matyas",
        title="Matyas",
        fxy=matyas_f,
        gradxy=matyas_grad,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        minima=(Minimum((0.0, 0.0), 0.0),),
        start=(-7.0, -3.0),
        formula=r"f(x,y) = 0.26\,(x^2 + y^2) - 0.48\,xy",
        lesson="A flat valley along the diagonal: gradient descent slows to a crawl "
        "once it reaches the valley floor.",
    ),
]
