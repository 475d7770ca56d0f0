"""The README's "a lower layer never imports a higher one", checked on every import
of every module (those inside functions too)."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = [
    ["landscapes"],
    ["visualizer.engine", "visualizer.paths"],
    ["visualizer.server"],
    ["visualizer.ui"],
    ["visualizer.pages"],
    ["visualizer.shell", "visualizer.cli", "visualizer.notebook", "visualizer.video",
     "visualizer.__main__", "visualizer"],
]
"""Lowest first: a module may import its own layer and the ones before it."""


def layer(module: str) -> int | None:
    best = None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                    best is None or len(prefix) > best[1]):
                best = (i, len(prefix))
    return None if best is None else best[0]


def imports(path: pathlib.Path, module: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # from visualizer import pages
    return out


def test_no_import_runs_back_up():
    wrong = []
    for path in sorted([*ROOT.glob("visualizer/**/*.py"), *ROOT.glob("landscapes/**/*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        own = layer(module)
        assert own is not None, module
        for name in imports(path, module):
            other = layer(name)
            if other is not None and other > own and not (name == "visualizer" and own > 0):
                wrong.append(f"{module} imports {name}")
    assert wrong == []
