"""Your own landscape: the safe formula parser, its exact gradient, and the app's use of it."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import landscapes
from landscapes import formula
from visualizer import cli, engine
from visualizer.pages.race import callbacks, scene
from visualizer.ui import figures

RNG = np.random.default_rng(7)
POINTS = RNG.uniform(-3, 3, (200, 2))


def numeric_gradient(fn, p, h=1e-6):
    x, y = p[:, 0], p[:, 1]
    return np.stack([(fn(x + h, y) - fn(x - h, y)) / (2 * h),
                     (fn(x, y + h) - fn(x, y - h)) / (2 * h)], axis=-1)


# Each formula with the same function written by hand in NumPy.
CASES = {
    "x**2 + 3*sin(y)": lambda x, y: x**2 + 3 * np.sin(y),
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "exp(-x*y/4) * cos(x) - tanh(y)": lambda x, y: np.exp(-x * y / 4) * np.cos(x) - np.tanh(y),
    "sqrt(1 + x**2 + y**2) / (2 + sin(x))": lambda x, y: np.sqrt(1 + x**2 + y**2) / (2 + np.sin(x)),
    "log(1 + x**2) + atan(y) * sinh(x/3) + cosh(y/3)":
        lambda x, y: np.log(1 + x**2) + np.arctan(y) * np.sinh(x / 3) + np.cosh(y / 3),
    "tan(x/4) - y**-2 + pi*e": lambda x, y: np.tan(x / 4) - y**-2.0 + math.pi * math.e,
    "-(x - 1)**3 + 2**0.5 * y": lambda x, y: -((x - 1) ** 3) + 2**0.5 * y,
}


@pytest.mark.parametrize("text", CASES)
def test_the_formula_is_the_function_and_its_gradient_the_derivative(text):
    ls = landscapes.get(formula.name_of(text))
    x, y = POINTS[:, 0], POINTS[:, 1]
    expected = CASES[text](x, y)
    np.testing.assert_allclose(ls.f(POINTS), expected, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(ls.grad(POINTS), numeric_gradient(CASES[text], POINTS),
                               rtol=1e-6, atol=1e-6)


def test_himmelblau_typed_in_equals_the_registered_one():
    mine = landscapes.get(formula.name_of("(x**2 + y - 11)**2 + (x + y**2 - 7)**2"))
    ours = landscapes.get("himmelblau")
    np.testing.assert_allclose(mine.f(POINTS), ours.f(POINTS), rtol=1e-15)
    np.testing.assert_allclose(mine.grad(POINTS), ours.grad(POINTS), rtol=1e-14, atol=1e-12)
    a = engine.run(mine, [engine.make_spec("adam", lr=0.05)], (0, 0), 200, record_state=False)
    b = engine.run(ours, [engine.make_spec("adam", lr=0.05)], (0, 0), 200, record_state=False)
    np.testing.assert_allclose(a.points, b.points, rtol=1e-12, atol=1e-12)


def test_abs_uses_the_sign_as_its_slope():
    ls = landscapes.get(formula.name_of("abs(x) + 2*abs(y)"))
    np.testing.assert_array_equal(ls.grad(np.array([[0.5, -1.0], [-2.0, 0.0]])),
                                  [[1.0, -2.0], [-1.0, 0.0]])


INJECTIONS = {
    "__import__('os')": "unknown function '__import__'",
    "__import__('os').system('ls')": "attribute access",
    "().__class__": "attribute access",
    "().__class__.__bases__[0].__subclasses__()": "attribute access",
    "x.real": "attribute access",
    "open('/etc/passwd')": "unknown function 'open'",
    "eval('1')": "unknown function 'eval'",
    "exec": "unknown name 'exec'",
    "globals()": "unknown function 'globals'",
    "sin.__globals__": "attribute access",
    "[c for c in ()]": "a comprehension",
    "lambda: 0": "a lambda",
    "x if y else 0": "if/else",
    "'a' * 10**9": "'a' is not allowed",
    "x[0]": "indexing",
    "9**9**9": "exponents are limited to ±10",
    "2**1000": "exponents are limited to ±10",
    "x**1e9": "numbers are limited",
    "x**(1e5*1e5)": "exponents are limited to ±10",
    "x**y": "an exponent must be a number",
    "(x**10)**(10**10)": "exponents are limited to ±10",
    "1e999 * x": "numbers are limited",
    "10**400 + x": "exponents are limited to ±10",
    "123456789123 * x": "numbers are limited",
    "-" * 60 + "x": "nested too deeply",
    "-(" * 45 + "x" + ")" * 45: "nested too deeply",
    "sin(" * 45 + "x" + ")" * 45: "at most 200 characters",
    "x + " * 50 + "y": "too long",
    "x" * 201: "at most 200 characters",
    "x; import os": "cannot read the formula",
    "x\x00": "the formula may not contain '\\x00'",
    "x**2  # <script>alert(1)</script>": "the formula may not contain '#'",
    "x +\ny": "the formula may not contain '\\n'",
    "sin(x, y)": "takes exactly one argument",
    "sin(x=y)": "takes exactly one argument",
    "x % 3": "the operator %",
    "x // 3": "the operator //",
    "x == y": "a comparison",
    "(x := 3)": "“:=”",
    "True + x": "True is not allowed",
    "1j * x": "1j is not allowed",
    "f'{x}'": "a string",
    "z": "unknown name 'z'",
    "": "enter a formula",
    "3 + 4": "must depend on x or y",
}


@pytest.mark.parametrize("text", INJECTIONS)
def test_what_is_not_a_formula_is_refused_with_a_reason(text):
    with pytest.raises(formula.FormulaError, match=re.escape(INJECTIONS[text])):
        landscapes.get(formula.name_of(text))


def test_parenthesised_deeply_but_simply_is_fine():
    ls = landscapes.get(formula.name_of("(" * 80 + "x**2 + y**2" + ")" * 80))
    assert ls.f(np.array([3.0, 4.0])) == 25.0


def test_evaluation_stops_at_the_deadline():
    tree = formula.parse("sin(x) * cos(y)")
    big = np.zeros(10)
    with pytest.raises(formula.FormulaError, match="takes too long"):
        formula.evaluate(tree, big, big, deadline=0.0)  # a deadline already past


def test_a_formula_undefined_on_most_of_the_domain_or_flat_is_refused():
    with pytest.raises(formula.FormulaError, match="not defined"):
        landscapes.get(formula.name_of("sqrt(-1 - x**2) + y"))
    with pytest.raises(formula.FormulaError, match="not defined"):
        landscapes.get(formula.name_of("exp(exp(x)) + y", ((100, 200), (0, 1))))
    with pytest.raises(formula.FormulaError, match="flat"):
        landscapes.get(formula.name_of("x - x + y - y"))


@pytest.mark.parametrize("text,message", [
    ("-5, 5, -5", "four numbers"), ("a, b, c, d", "four numbers"),
    ("5, -5, -5, 5", "smaller to a larger"), ("-1e9, 1, 0, 1", "within"),
    ("nan, 1, 0, 1", "within"), ("0, 0, 0, 1", "smaller to a larger"),
])
def test_bad_domains(text, message):
    with pytest.raises(formula.FormulaError, match=message):
        formula.parse_domain(text)


def test_latex_and_text_read_back_as_the_same_function():
    for text in CASES:
        tree = formula.parse(text)
        again = formula.parse(formula.to_text(tree))
        x, y = POINTS[:, 0], POINTS[:, 1]
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(formula.evaluate(again, x, y), formula.evaluate(tree, x, y),
                                       rtol=1e-14)
    assert formula.to_latex(formula.parse("abs(x)/sqrt(y) + x^2")) == (
        r"\frac{\left|x\right|}{\sqrt{y}} + x^{2}")


def test_a_formula_landscape_draws_even_where_it_is_undefined():
    ls = landscapes.get(formula.name_of("log(x) + y**2"))  # undefined for x <= 0
    fig = figures.contour_figure(ls.name)
    z = np.frombuffer(__import__("base64").b64decode(fig.to_plotly_json()["data"][0]["z"]["bdata"]),
                      dtype="<f4")
    assert np.isnan(z).any() and np.isfinite(z).sum() > len(z) // 3
    assert ls.minima == () and ls.f_min is None and not ls.compilable


def test_a_map_too_rough_or_too_undefined_to_trace_is_drawn_as_bands_without_lines():
    """plotly.js traces contour lines in the browser, the page frozen meanwhile: seconds
    for a formula with thousands of peaks and pits or half of it undefined. Such a map is
    the same bands as a heatmap; every built-in landscape keeps its lines."""
    for name in landscapes.names():
        assert figures.contour_figure(name).data[0].type == "contour", name
    nested = "x"
    for i in range(10):
        nested = f"sin({'x' if i % 2 else 'y'}*{nested})"
    smooth = figures.contour_figure(formula.name_of("sin(x*sin(8*y))", ((-5, 5), (-5, 5))))
    assert smooth.data[0].type == "contour"
    for text in (nested, "sin(20*x)*cos(20*y)", "log(x) + y**2"):
        name = formula.name_of(text, ((-5, 5), (-5, 5)))
        fig = figures.contour_figure(name)
        trace = fig.data[0]
        assert trace.type == "heatmap", text
        # the bands a filled contour would show: each cell at its band's middle, the
        # same colours, range and colour bar; undefined cells left blank
        ls = landscapes.get(name)
        lz, _ = figures.log_cost(ls, figures.grid(ls, figures.GRID)[2])
        z = np.asarray(trace.z, dtype=float)
        assert np.array_equal(np.isnan(z), np.isnan(lz))
        ok = ~np.isnan(lz)
        hi = trace.zmax
        assert np.all(z[ok] == np.clip(np.floor(lz[ok]), trace.zmin, hi - 1) + 0.5)
        assert trace.colorscale == smooth.data[0].colorscale
        assert trace.colorbar.ticktext == tuple(
            figures._power_label(k) for k in trace.colorbar.tickvals)
    # the count that decides: strict peaks and pits, NaN neither
    z = np.zeros((5, 5))
    z[1, 1], z[3, 3], z[1, 3] = 1.0, -1.0, np.nan
    assert figures.peaks(z) == 2
    z[1, 2] = 1.0  # a tie is not a peak
    assert figures.peaks(z) == 1


def test_the_command_line_takes_a_formula(capsys):
    assert cli.main(["run", "formula:-3,3,-3,3:x**2 + y**2", "--start", "1", "2", "--steps", "3",
                     "--optimizer", "gd:lr=0.25"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["runs"][0]["points"][1] == [0.5, 1.0]  # p - 0.25 * 2p
    assert cli.main(["run", "formula:-3,3,-3,3:().__class__", "--optimizer", "gd"]) == 2
    assert "attribute access" in capsys.readouterr().err


def test_a_link_to_your_own_landscape_round_trips():
    name = formula.name_of("x**2 + 3*sin(y)", ((-4, 4), (-3, 3)))
    query = scene.to_query(name, (1.0, 2.0), 50, [engine.make_spec("adam", lr=0.1)])
    sc, problems = scene.from_query(query)
    assert problems == [] and sc.landscape == name and sc.start == (1.0, 2.0)
    sc, problems = scene.from_query("?landscape=formula:-5,5,-5,5:__import__('os')")
    assert sc.landscape == "himmelblau" and "unknown function '__import__'" in problems[0]


def test_the_formula_box_sets_the_landscape_or_says_why_not():
    name, error = callbacks.use_formula(1, "x**2 + 3*sin(y)", "-4, 4, -3, 3", "himmelblau")
    assert name == "formula:-4,4,-3,3:x**2 + 3*sin(y)" and error == ""
    assert callbacks.use_formula(1, "x**2 + 3*sin(y)", "-4,4,-3,3", name)[0] is callbacks.no_update
    kept, error = callbacks.use_formula(1, "__import__('os')", "-5, 5, -5, 5", name)
    assert kept is callbacks.no_update and "unknown function '__import__'" in error
    kept, error = callbacks.use_formula(1, "x", "-5, 5", name)
    assert kept is callbacks.no_update and "four numbers" in error
    # drawn from a link: the boxes show the formula and its domain
    out = callbacks.draw_map({"landscape": name, "x": 1.0, "y": 1.0}, "himmelblau")
    assert out[-2:] == ("x**2 + 3*sin(y)", "-4, 4, -3, 3")
    # drawn from the boxes while its domain box is being edited: the boxes stay as typed
    default = formula.name_of("x**2 + 3*sin(y)")
    out = callbacks.draw_map({"landscape": default, "x": 1.0, "y": 1.0}, "himmelblau",
                             "x**2 + 3*sin(y)", "-4, 4, -3, 3")
    assert out[-2:] == (callbacks.no_update, callbacks.no_update)
    assert "Your own" in str(out[2]) and "∂f/∂y = 3*cos(y)" in str(out[2])
