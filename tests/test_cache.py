"""The shared results cache: one computation per scene for the whole class, bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from visualizer.pages.race import callbacks, scene
from visualizer.server import cache

QUERY = "?landscape=rosenbrock&start=-1,1.5&steps=300&opt=adam:lr=0.01,decay=0.0"
START = {"landscape": "rosenbrock", "x": -1.0, "y": 1.5}


def _compute(start=START):
    rows = scene.Scene().rows
    return callbacks.compute_runs(start, "300", [r.name == "adam" for r in rows],
                                  ["0.01" if r.name == "adam" else r.lr for r in rows],
                                  [r.decay for r in rows], {})


def test_a_class_opening_one_scene_costs_one_computation(monkeypatch):
    calls = []
    monkeypatch.setattr(callbacks, "_rerun",
                        lambda *a, _real=callbacks._rerun, **k: calls.append(a) or _real(*a, **k))
    answers = []
    for student in range(30):
        if student % 2:
            cache._memory.clear()  # another worker process: only the shared store in common
        answers.append(json.dumps(_compute()[0]))
    assert len(calls) == 1 and _compute()[1] == QUERY
    assert len(set(answers)) == 1  # the same bytes for the same link
    other = _compute({**START, "x": -0.5})
    assert len(calls) == 2 and json.dumps(other[0]) != answers[0]


def test_another_process_reads_what_the_first_stored(tmp_path):
    script = (
        "import json, sys\n"
        "from visualizer.pages.race import callbacks\n"
        "if sys.argv[1] == 'second':\n"
        "    def refuse(*a): raise AssertionError('computed again')\n"
        "    callbacks._rerun = refuse\n"
        f"print(json.dumps(callbacks.scene_runs({QUERY!r}), sort_keys=True))\n"
    )
    env = {**os.environ, "VISUALIZER_CACHE_DIR": str(tmp_path)}
    first, second = (subprocess.run([sys.executable, "-c", script, which], env=env, text=True,
                                    capture_output=True, check=True).stdout
                     for which in ("first", "second"))
    assert first == second and json.loads(first)["runs"][0]["name"] == "adam"


def test_the_store_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUALIZER_CACHE_MB", "1")
    before = cache.use_folder(tmp_path / "small")
    try:
        blob = "x" * 100_000

        @cache.shared("test-blob")
        def make(i: int) -> str:
            return blob + str(i)

        for i in range(60):  # 6 MB through a 1 MB store
            make(i)
        assert cache.store().volume() < 1.5 * 1024 * 1024
        assert make(59) == blob + "59"
    finally:
        cache.use_folder(before)


def test_errors_are_not_cached():
    calls = []

    @cache.shared("test-error")
    def fails(x: float) -> float:
        calls.append(x)
        raise ValueError("bad")

    for _ in range(2):
        with pytest.raises(ValueError):
            fails(1.0)
    assert calls == [1.0, 1.0]


def test_keys_carry_the_code_version_and_every_argument():
    assert cache.key("runs", "?a") != cache.key("runs", "?b") != cache.key("surface", "?a")
    assert cache.key("runs", "?a").startswith(cache._VERSION + ":")
