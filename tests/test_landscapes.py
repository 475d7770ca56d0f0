"""Every landscape: gradient against central differences, minima, metadata."""

from __future__ import annotations

import numpy as np
import pytest

import landscapes

ALL = landscapes.all_landscapes()
IDS = [ls.name for ls in ALL]
REQUIRED = {
    "rosenbrock", "himmelblau", "beale", "booth", "rastrigin", "ackley", "goldstein_price",
    "six_hump_camel", "three_hump_camel", "matyas", "styblinski_tang", "saddle", "double_well",
    "ill_conditioned_bowl", "plateau", "abs_sum", "abs_skew",
}


def test_registry_has_every_required_landscape_classic_four_first():
    assert REQUIRED <= set(landscapes.names())
    assert landscapes.names()[:4] == ["himmelblau", "styblinski_tang", "rosenbrock", "goldstein_price"]
    assert landscapes.get("goldstein_price").domain == ((-1.5, 0.5), (-1.5, 0.5))


def test_unknown_name_lists_choices():
    with pytest.raises(KeyError) as err:
        landscapes.get("himelblau")
    assert "himelblau" in str(err.value) and "himmelblau" in str(err.value)


def _random_points(ls: landscapes.Landscape, n: int, seed: int = 0) -> np.ndarray:
    (x0, x1), (y0, y1) = ls.domain
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def _away_from_kinks(ls: landscapes.Landscape, p: np.ndarray) -> np.ndarray:
    """Central differences are meaningless across a kink of |.|: drop points near one."""
    x, y = p[:, 0], p[:, 1]
    if ls.name == "abs_sum":
        keep = (np.abs(x) > 1e-3) & (np.abs(y) > 1e-3)
    elif ls.name == "abs_skew":
        keep = (np.abs(x + y) > 1e-3) & (np.abs(x - y) > 1e-3)
    elif ls.name == "ackley":
        keep = np.hypot(x, y) > 1e-3
    else:
        keep = np.ones(len(p), bool)
    return p[keep]


@pytest.mark.parametrize("ls", ALL, ids=IDS)
def test_gradient_matches_central_differences(ls):
    p = _away_from_kinks(ls, _random_points(ls, 500))
    h = 1e-6
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    numeric = np.column_stack([
        (ls.f(p + ex) - ls.f(p - ex)) / (2 * h),
        (ls.f(p + ey) - ls.f(p - ey)) / (2 * h),
    ])
    analytic = ls.grad(p)
    scale = np.maximum(1.0, np.abs(ls.f(p)))[:, None]  # differences lose digits on big f
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale.max())


@pytest.mark.parametrize("ls", ALL, ids=IDS)
def test_vectorized_over_leading_axes(ls):
    p = _random_points(ls, 24).reshape(2, 3, 4, 2)
    assert ls.f(p).shape == (2, 3, 4)
    assert ls.grad(p).shape == (2, 3, 4, 2)
    np.testing.assert_array_equal(ls.f(p)[1, 2], ls.f(p[1, 2]))
    np.testing.assert_array_equal(ls.grad(p)[0, 1, 3], ls.grad(p[0, 1, 3]))


@pytest.mark.parametrize("ls", [ls for ls in ALL if ls.minima], ids=lambda ls: ls.name)
def test_minima_have_listed_value_zero_gradient_and_are_minima(ls):
    for m in ls.minima:
        p = np.array(m.point)
        assert ls.f(p) == pytest.approx(m.value, abs=1e-9)
        assert np.abs(ls.grad(p)).max() < 1e-6
        ring = p + 1e-3 * np.column_stack([np.cos(np.linspace(0, 6.28, 16)),
                                           np.sin(np.linspace(0, 6.28, 16))])
        assert (ls.f(ring) >= m.value).all(), f"{m} is not a minimum"
    assert ls.f_min == min(m.value for m in ls.minima)
    assert sum(m.kind == "global" for m in ls.minima) >= 1


@pytest.mark.parametrize("ls", ALL, ids=IDS)
def test_global_minimum_is_lowest_on_a_fine_grid(ls):
    (x0, x1), (y0, y1) = ls.domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, 301), np.linspace(y0, y1, 301))
    lowest = ls.f(np.stack([xs, ys], -1)).min()
    if ls.bounded_below:
        assert lowest >= ls.f_min - 1e-9
    else:
        assert not ls.minima


@pytest.mark.parametrize("ls", ALL, ids=IDS)
def test_metadata(ls):
    (x0, x1), (y0, y1) = ls.domain
    assert x0 < x1 and y0 < y1
    assert x0 <= ls.start[0] <= x1 and y0 <= ls.start[1] <= y1
    assert ls.formula.startswith("f(x,y)") and ls.title
    assert ls.lesson.endswith(".") and len(ls.lesson.split()) > 6
    (bx0, bx1), (by0, by1) = ls.bound
    assert bx0 < x0 and bx1 > x1 and by0 < y0 and by1 > y1


def test_where_a_run_ends_is_named_by_the_listed_minimum_it_settled_in():
    ls = landscapes.get("himmelblau")  # domain 10 wide: within 0.2 counts as there
    assert [ls.outcome(m.point) for m in ls.minima] == ["min0", "min1", "min2", "min3"]
    assert ls.minimum_near((3.19, 2.0)) == 0 and ls.minimum_near((3.21, 2.0)) is None
    assert ls.outcome((0.0, 0.0)) == "elsewhere" and ls.outcome((float("nan"), 0.0)) == "elsewhere"
    assert ls.outcome_label((3.0, 2.0)) == "global minimum (3, 2)"
    well = landscapes.get("double_well")
    assert well.outcome_label((0.96, 0.0)) == "local minimum (0.96, 0)"
    assert well.outcome_label((0.0, 0.0)) == "no listed minimum"
    assert landscapes.get("saddle").outcome((0.0, 0.0)) == "elsewhere"  # no minima at all
