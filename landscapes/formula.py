"""Your own landscape: a cost typed as text, parsed safely, differentiated exactly.

``parse("x**2 + 3*sin(y)")`` reads the text with Python's parser (``ast``), and
never executes it: every node is checked against a whitelist and turned into a
small expression tree of our own (numbers, ``x``, ``y``, ``+ - * /``, powers
with a constant exponent, and a few functions). Anything else (attribute
access, subscripts, strings, calls of other names, keywords) is refused with a
message saying what and where. The text, the tree and every exponent are
bounded, and a candidate is evaluated on the whole contour grid under a time
limit before it is accepted.

The gradient is the tree differentiated symbolically, so optimizers follow the
exact slope of what is drawn. :func:`landscape` builds a
:class:`~landscapes.Landscape` whose name carries the text and the domain
(``formula:-5,5,-5,5:x**2 + 3*sin(y)``), so a link, the app and the command
line all reach it through ``landscapes.get``.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from landscapes.landscape import Landscape
from landscapes.number_text import exact, tex_number

PREFIX = "formula:"
MAX_LENGTH = 200
"""The longest formula, in characters."""
MAX_NODES = 80
"""The most operations, numbers and names in one formula."""
MAX_DEPTH = 40
"""The deepest nesting of operations."""
MAX_EXPONENT = 10
"""Exponents are constants no larger than this in size."""
MAX_GRADIENT_NODES = 4000
"""The largest derivative tree (the product rule can grow a formula)."""
MAX_NUMBER = 1e6
"""The largest number written in a formula."""
MAX_DOMAIN = 1e4
"""The largest coordinate of a domain."""
TIME_LIMIT = 1.0
"""CPU seconds allowed for evaluating the cost and gradient on the whole grid."""
CHECK_GRID = 250
DEFAULT_DOMAIN = ((-5.0, 5.0), (-5.0, 5.0))

Node = tuple  # ("num", v) | ("var", "x") | (op, a, b) | ("neg", a) | ("pow", a, k) | ("call", f, a)

FUNCTIONS: dict[str, Callable] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "sqrt": np.sqrt, "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh,
    "atan": np.arctan, "sign": np.sign,
}
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
_ALLOWED = ("numbers, x, y, pi, e, + − * / ** (or ^), parentheses and "
            + ", ".join(f"{f}()" for f in FUNCTIONS))


class FormulaError(ValueError):
    """A formula that is refused; the message says why, for the person who typed it."""


# -- Parsing: text -> tree ---------------------------------------------------------
_WORDS = {
    ast.Attribute: "attribute access (“.”)", ast.Subscript: "indexing (“[ ]”)",
    ast.Lambda: "a lambda", ast.Compare: "a comparison", ast.BoolOp: "and/or",
    ast.IfExp: "if/else", ast.List: "a list", ast.Tuple: "a tuple (a comma)",
    ast.Dict: "a dictionary", ast.Set: "a set", ast.Starred: "“*” unpacking",
    ast.NamedExpr: "“:=”", ast.JoinedStr: "a string", ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.Await: "await",
}
_OPERATORS = {
    ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.Invert: "~", ast.Not: "not",
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
}


def _describe(node: ast.AST) -> str:
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {_OPERATORS.get(type(node.op), type(node.op).__name__)}"
    return _WORDS.get(type(node), type(node).__name__)


def _number(value: object, where: str) -> Node:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaError(f"{value!r} is not allowed{where}: only numbers")
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v) or abs(v) > MAX_NUMBER:
        raise FormulaError(f"numbers are limited to ±{MAX_NUMBER:g}{where}")
    return ("num", v)


class _Reader:
    """Turns a checked ``ast`` tree into a :data:`Node` tree, counting nodes."""

    def __init__(self) -> None:
        self.count = 0

    def read(self, node: ast.AST, depth: int) -> Node:
        self.count += 1
        where = f" (at column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""
        if self.count > MAX_NODES:
            raise FormulaError(f"the formula is too long: at most {MAX_NODES} numbers, names "
                               "and operations")
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            return _number(node.value, where)
        if isinstance(node, ast.Name):
            if node.id in VARIABLES:
                return ("var", node.id)
            if node.id in CONSTANTS:
                return ("num", CONSTANTS[node.id])
            raise FormulaError(f"unknown name {node.id!r}{where}; use {_ALLOWED}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.read(node.operand, depth + 1)
            return _neg(inner) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            a, b = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
            return _fold((_BINARY[type(node.op)], a, b))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, power = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
            k = _constant(power)
            if k is None:
                raise FormulaError(f"an exponent must be a number{where}, not depend on x or "
                                   "y; write exp(y*log(x)) for x to the power y")
            if not abs(k) <= MAX_EXPONENT:
                raise FormulaError(f"exponents are limited to ±{MAX_EXPONENT}{where}")
            return _pow(base, k)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                self.read(node.func, depth + 1)  # says what is wrong with it
                raise FormulaError(f"only a function's name may be called{where}")
            name = node.func.id
            if name not in FUNCTIONS:
                raise FormulaError(f"unknown function {name!r}{where}; use {_ALLOWED}")
            if node.keywords or len(node.args) != 1:
                raise FormulaError(f"{name}() takes exactly one argument{where}")
            return _call(name, self.read(node.args[0], depth + 1))
        raise FormulaError(f"{_describe(node)} is not allowed{where}; use {_ALLOWED}")


def parse(text: str) -> Node:
    """The tree of a formula in x and y, or :class:`FormulaError` saying what is wrong."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be text")
    text = text.strip()
    if not text:
        raise FormulaError("enter a formula in x and y, for example x**2 + 3*sin(y)")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is too long: at most {MAX_LENGTH} characters")
    bad = sorted({c for c in text if c == "#" or not c.isprintable()})
    if bad:  # a comment, unread by the parser, would be echoed into titles, links and files
        shown = ", ".join(repr(c) for c in bad[:3])
        raise FormulaError(f"the formula may not contain {shown}: use x, y, numbers, "
                           "+ - * / ^ ( ) and functions")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"cannot read the formula{col}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("cannot read the formula") from None
    return _Reader().read(tree.body, 0)


# -- Building trees, folding constants as we go -------------------------------------
def _constant(node: Node) -> float | None:
    return node[1] if node[0] == "num" else None


def _evaluate_constant(node: Node) -> Node:
    with np.errstate(all="ignore"):
        value = float(evaluate(node, 0.0, 0.0))
    return ("num", value) if math.isfinite(value) else node


def _fold(node: Node) -> Node:
    """Simplify an operation whose operands are known: 0 + a, 1 * a, 2 * 3..."""
    op, a, b = node
    ca, cb = _constant(a), _constant(b)
    if ca is not None and cb is not None:
        return _evaluate_constant(node)
    if op == "add":
        return b if ca == 0 else a if cb == 0 else node
    if op == "sub":
        return a if cb == 0 else _neg(b) if ca == 0 else node
    if op == "mul":
        if ca == 0 or cb == 0:
            return ("num", 0.0)
        if ca == -1 or cb == -1:
            return _neg(b if ca == -1 else a)
        return b if ca == 1 else a if cb == 1 else node
    if op == "div":
        return a if cb == 1 else ("num", 0.0) if ca == 0 else node
    return node


def _neg(a: Node) -> Node:
    c = _constant(a)
    if c is not None:
        return ("num", -c)
    return a[1] if a[0] == "neg" else ("neg", a)


def _pow(a: Node, k: float) -> Node:
    if k == 0:
        return ("num", 1.0)
    if k == 1:
        return a
    if _constant(a) is not None:
        return _evaluate_constant(("pow", a, k))
    return ("pow", a, k)


def _call(name: str, a: Node) -> Node:
    node = ("call", name, a)
    return _evaluate_constant(node) if _constant(a) is not None else node


def add(a: Node, b: Node) -> Node:
    return _fold(("add", a, b))


def sub(a: Node, b: Node) -> Node:
    return _fold(("sub", a, b))


def mul(a: Node, b: Node) -> Node:
    return _fold(("mul", a, b))


def div(a: Node, b: Node) -> Node:
    return _fold(("div", a, b))


# -- Differentiation and evaluation ------------------------------------------------
def derivative(node: Node, var: str) -> Node:
    """The exact derivative of ``node`` by ``var`` ("x" or "y"), as a tree.

    ``abs`` and ``sign`` use the sign (a subgradient, 0 at the kink), as the
    built-in non-smooth landscapes do.
    """
    kind = node[0]
    if kind == "num":
        return ("num", 0.0)
    if kind == "var":
        return ("num", 1.0 if node[1] == var else 0.0)
    if kind == "neg":
        return _neg(derivative(node[1], var))
    if kind in ("add", "sub"):
        return _fold((kind, derivative(node[1], var), derivative(node[2], var)))
    if kind == "mul":
        a, b = node[1], node[2]
        return add(mul(derivative(a, var), b), mul(a, derivative(b, var)))
    if kind == "div":
        a, b = node[1], node[2]
        da, db = derivative(a, var), derivative(b, var)
        if _constant(db) == 0:
            return div(da, b)
        return div(sub(mul(da, b), mul(a, db)), _pow(b, 2.0))
    if kind == "pow":
        a, k = node[1], node[2]
        return mul(mul(("num", k), _pow(a, k - 1.0)), derivative(a, var))
    name, a = node[1], node[2]
    da = derivative(a, var)
    outer = {
        "sin": lambda: _call("cos", a),
        "cos": lambda: _neg(_call("sin", a)),
        "tan": lambda: div(("num", 1.0), _pow(_call("cos", a), 2.0)),
        "exp": lambda: node,
        "log": lambda: div(("num", 1.0), a),
        "sqrt": lambda: div(("num", 0.5), node),
        "abs": lambda: _call("sign", a),
        "sign": lambda: ("num", 0.0),
        "tanh": lambda: sub(("num", 1.0), _pow(node, 2.0)),
        "sinh": lambda: _call("cosh", a),
        "cosh": lambda: _call("sinh", a),
        "atan": lambda: div(("num", 1.0), add(("num", 1.0), _pow(a, 2.0))),
    }[name]()
    return mul(outer, da)


def size(node: Node) -> int:
    """How many nodes the tree has."""
    if node[0] in ("num", "var"):
        return 1
    if node[0] == "pow":
        return 1 + size(node[1])
    if node[0] == "call":
        return 1 + size(node[2])
    return 1 + sum(size(child) for child in node[1:])


def evaluate(node: Node, x, y, deadline: float = math.inf):
    """The tree's value at ``x``, ``y`` (floats or arrays), element-wise;
    :class:`FormulaError` once this thread's CPU time (``time.thread_time()``)
    passes ``deadline``: the formula's own cost, whatever the load on the machine."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        return x if node[1] == "x" else y
    if time.thread_time() > deadline:
        raise FormulaError(f"the formula takes too long to evaluate (over {TIME_LIMIT:g} s)")
    if kind == "neg":
        return -evaluate(node[1], x, y, deadline)
    if kind == "pow":
        return np.power(evaluate(node[1], x, y, deadline), node[2])
    if kind == "call":
        return FUNCTIONS[node[1]](evaluate(node[2], x, y, deadline))
    a, b = evaluate(node[1], x, y, deadline), evaluate(node[2], x, y, deadline)
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    if kind == "mul":
        return a * b
    return a / b


def compile_tree(node: Node) -> Callable:
    """The tree as nested closures ``fn(x, y)``: the same arithmetic as
    :func:`evaluate`, without looking up each node's kind on every call."""
    kind = node[0]
    if kind == "num":
        value = node[1]
        return lambda x, y: value
    if kind == "var":
        return (lambda x, y: x) if node[1] == "x" else (lambda x, y: y)
    if kind == "neg":
        inner = compile_tree(node[1])
        return lambda x, y: -inner(x, y)
    if kind == "pow":
        base, k = compile_tree(node[1]), node[2]
        if k == 2:
            return lambda x, y: np.square(base(x, y))
        return lambda x, y: np.power(base(x, y), k)
    if kind == "call":
        fn, inner = FUNCTIONS[node[1]], compile_tree(node[2])
        return lambda x, y: fn(inner(x, y))
    a, b = compile_tree(node[1]), compile_tree(node[2])
    return {
        "add": lambda x, y: a(x, y) + b(x, y),
        "sub": lambda x, y: a(x, y) - b(x, y),
        "mul": lambda x, y: a(x, y) * b(x, y),
        "div": lambda x, y: a(x, y) / b(x, y),
    }[kind]


# -- LaTeX ------------------------------------------------------------------------
_PRECEDENCE = {"add": 1, "sub": 1, "neg": 2, "mul": 3, "div": 3, "pow": 4}
_TEX_FUNCTIONS = {"atan": r"\arctan", "sign": r"\mathrm{sign}", "abs": None, "sqrt": None}


def to_latex(node: Node) -> str:
    """The tree as LaTeX, with only the parentheses it needs."""
    kind = node[0]

    def wrap(child: Node, level: int) -> str:
        text = to_latex(child)
        child_level = _PRECEDENCE.get(child[0], 5)
        if child[0] == "num" and child[1] < 0:
            child_level = 2
        return rf"\left({text}\right)" if child_level < level else text

    if kind == "num":
        return tex_number(node[1])
    if kind == "var":
        return node[1]
    if kind == "neg":
        return "-" + wrap(node[1], 3)
    if kind == "add":
        right = to_latex(node[2])
        return f"{to_latex(node[1])} {'' if right.startswith('-') else '+ '}{right}"
    if kind == "sub":
        return f"{to_latex(node[1])} - {wrap(node[2], 2)}"
    if kind == "mul":
        return rf"{wrap(node[1], 3)} \cdot {wrap(node[2], 4)}"
    if kind == "div":
        return rf"\frac{{{to_latex(node[1])}}}{{{to_latex(node[2])}}}"
    if kind == "pow":
        k = node[2]
        exponent = f"{int(k)}" if k == int(k) else f"{k:g}"
        return f"{wrap(node[1], 5)}^{{{exponent}}}"
    name, arg = node[1], to_latex(node[2])
    if name == "abs":
        return rf"\left|{arg}\right|"
    if name == "sqrt":
        return rf"\sqrt{{{arg}}}"
    command = _TEX_FUNCTIONS.get(name) or "\\" + name
    return rf"{command}\left({arg}\right)"


# -- The landscape -----------------------------------------------------------------
def parse_domain(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """``"-5,5,-5,5"`` (x from, x to, y from, y to) as a domain, or FormulaError."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise FormulaError("the domain is four numbers: x from, x to, y from, y to")
    try:
        x0, x1, y0, y1 = (float(p) for p in parts)
    except ValueError:
        raise FormulaError("the domain is four numbers: x from, x to, y from, y to") from None
    for lo, hi, axis in ((x0, x1, "x"), (y0, y1, "y")):
        if not (math.isfinite(lo) and math.isfinite(hi)) or max(abs(lo), abs(hi)) > MAX_DOMAIN:
            raise FormulaError(f"the {axis} range must lie within ±{MAX_DOMAIN:g}")
        if not hi - lo > 1e-6 * max(1.0, abs(lo), abs(hi)):
            raise FormulaError(f"the {axis} range must go from a smaller to a larger number")
    return (x0, x1), (y0, y1)


def name_of(text: str, domain=DEFAULT_DOMAIN) -> str:
    """The registry name of a formula on a domain: ``formula:x0,x1,y0,y1:text``."""
    (x0, x1), (y0, y1) = domain
    return f"{PREFIX}{exact(x0)},{exact(x1)},{exact(y0)},{exact(y1)}:{text.strip()}"


def split_name(name: str) -> tuple[str, tuple[tuple[float, float], tuple[float, float]]]:
    """The formula text and domain in a registry name (FormulaError if malformed)."""
    if not name.startswith(PREFIX):
        raise FormulaError(f"not a formula landscape: {name!r}")
    domain_text, sep, text = name[len(PREFIX):].partition(":")
    if not sep:
        raise FormulaError("a formula landscape is formula:x0,x1,y0,y1:f(x, y)")
    return text, parse_domain(domain_text)


def _check_on_grid(trees: tuple[Node, Node, Node], domain) -> None:
    """Evaluate cost and gradient on the contour grid, stopping at the time
    limit; refuse a formula that is defined almost nowhere or is flat."""
    (x0, x1), (y0, y1) = domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, CHECK_GRID), np.linspace(y0, y1, CHECK_GRID))
    deadline = time.thread_time() + TIME_LIMIT
    with np.errstate(all="ignore"):
        z, gx, gy = (np.broadcast_to(evaluate(t, xs, ys, deadline), xs.shape) for t in trees)
    finite = np.isfinite(z) & np.isfinite(gx) & np.isfinite(gy)
    if finite.mean() < 0.5:
        raise FormulaError("the formula is not defined (or overflows) on most of the domain")
    if np.ptp(z[finite]) == 0:
        raise FormulaError("the formula is flat on this domain: nothing to descend")


@lru_cache(maxsize=32)
def landscape(name: str) -> Landscape:
    """The landscape of a ``formula:x0,x1,y0,y1:text`` name, checked on its grid.

    Raises:
        FormulaError: (a ``ValueError``) saying what is wrong with the formula
            or the domain.
    """
    text, domain = split_name(name)
    tree = parse(text)
    if not any(v in _variables(tree) for v in VARIABLES):
        raise FormulaError("the formula must depend on x or y")
    dx, dy = derivative(tree, "x"), derivative(tree, "y")
    if size(dx) + size(dy) > MAX_GRADIENT_NODES:
        raise FormulaError("the formula's gradient is too large to compute; shorten it")
    f_fn, dx_fn, dy_fn = compile_tree(tree), compile_tree(dx), compile_tree(dy)

    def gradxy(x, y):
        return dx_fn(x, y), dy_fn(x, y)

    _check_on_grid((tree, dx, dy), domain)
    (x0, x1), (y0, y1) = domain
    start = (round(x0 + 0.3 * (x1 - x0), 6), round(y0 + 0.7 * (y1 - y0), 6))
    return Landscape(
        name=name_of(text, domain), title=f"Your own: {text.strip()}",
        fxy=f_fn, gradxy=gradxy, domain=domain, minima=(), start=start,
        formula=f"f(x, y) = {to_latex(tree)}",
        lesson=(f"Its exact gradient: ∂f/∂x = {to_text(dx)}, ∂f/∂y = {to_text(dy)}."),
        bounded_below=False, compilable=False, cost=size(tree) + size(dx) + size(dy),
    )


def _variables(node: Node) -> set[str]:
    if node[0] == "var":
        return {node[1]}
    if node[0] == "num":
        return set()
    children = [node[2]] if node[0] == "call" else [node[1]] if node[0] == "pow" else node[1:]
    return set().union(*(_variables(c) for c in children))


def to_text(node: Node) -> str:
    """The tree as plain text a person can type back (``**`` for powers)."""
    kind = node[0]
    if kind == "num":
        v = node[1]
        return "pi" if v == math.pi else exact(v) if v >= 0 else f"({exact(v)})"
    if kind == "var":
        return node[1]
    if kind == "neg":
        return f"-{_paren(node[1], 3)}"
    if kind == "pow":
        return f"{_paren(node[1], 5)}**{exact(node[2]) if node[2] >= 0 else f'({exact(node[2])})'}"
    if kind == "call":
        return f"{node[1]}({to_text(node[2])})"
    symbol = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[kind]
    level = _PRECEDENCE[kind]
    right_level = level + (kind in ("sub", "div"))
    return f"{_paren(node[1], level)}{symbol}{_paren(node[2], right_level)}"


def _paren(node: Node, level: int) -> str:
    text = to_text(node)
    return f"({text})" if _PRECEDENCE.get(node[0], 5) < level else text
