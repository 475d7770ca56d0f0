"""The shared results cache: one computation per scene for the whole class, bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types

import pytest

from visualizer.pages.race import callbacks, scene
from visualizer.server import cache

QUERY = "?landscape=rosenbrock&start=-1,1.5&steps=300&opt=adam:lr=0.01,decay=0"
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


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    """The first use writes the secret: twelve processes at once (a class server's
    workers and jobs starting) all read one whole secret, none a part of another's."""
    script = ("import sys, time\n"
              "from visualizer import paths\n"
              "while time.time() < float(sys.argv[1]): pass\n"
              "print(paths.secret().hex())\n")
    env = {k: v for k, v in os.environ.items() if k != "VISUALIZER_SECRET"}
    env["VISUALIZER_CACHE_DIR"] = str(tmp_path)
    import time

    go = f"{time.time() + 1.5:.3f}"  # every process imported, then all at once
    procs = [subprocess.Popen([sys.executable, "-c", script, go], env=env, text=True,
                              stdout=subprocess.PIPE) for _ in range(12)]
    secrets = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(secrets) == 1 and len(bytes.fromhex(secrets.pop())) == 32
    assert [f.name for f in tmp_path.iterdir()] == ["secret"]  # no part left behind
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600


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


class _Planted:
    """A pickle that leaves a file behind if anyone unpickles it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_value_planted_in_the_store_never_runs(tmp_path, caplog):
    import pickle

    marker = tmp_path / "ran"
    k = cache.key("runs", QUERY)
    cache.clear()
    cache.store().set(k, pickle.dumps(_Planted(str(marker))))  # raw pickle bytes
    cache.store().set(cache.key("runs", "?other"), b"x" * 32 + pickle.dumps(_Planted(str(marker))))
    assert cache.lookup("runs", QUERY) is None and cache.lookup("runs", "?other") is None
    assert not marker.exists() and "is not this server's" in caplog.text
    # the page computes the answer instead, and stores it sealed
    assert _compute()[1] == QUERY and cache.lookup("runs", QUERY)["runs"][0]["name"] == "adam"
    assert not marker.exists()


def test_a_value_sealed_for_another_key_is_refused():
    blob = cache.seal(cache.key("runs", "?a"), {"x": 1})
    assert cache.unseal(cache.key("runs", "?a"), blob) == {"x": 1}
    with pytest.raises(cache.Forged):
        cache.unseal(cache.key("runs", "?b"), blob)  # moved to another key
    with pytest.raises(cache.Forged):
        cache.unseal(cache.key("runs", "?a"), blob[:-1] + b"!")  # changed


def test_memory_is_bounded_in_bytes_and_a_huge_entry_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("VISUALIZER_MEMORY_MB", "1")
    monkeypatch.setenv("VISUALIZER_CACHE_MB", "4")
    before = cache.use_folder(tmp_path / "bytes")
    try:
        @cache.shared("test-bytes")
        def make(i: int, size: int) -> bytes:
            return bytes([i % 256]) * size

        for i in range(40):  # 40 x 100 KB through 1 MB of memory
            make(i, 100_000)
        assert cache._memory.nbytes <= 1024 * 1024 and len(cache._memory.items) < 12
        big = make(99, 1_500_000)  # over a quarter of the 4 MB store: neither kept nor stored
        assert len(big) == 1_500_000 and not cache.contains("test-bytes", 99, 1_500_000)
        assert cache.contains("test-bytes", 39, 100_000)  # it flushed nothing
    finally:
        cache.use_folder(before)


def test_a_store_that_fails_is_a_miss_said_once(monkeypatch, caplog):
    class Broken:
        def get(self, *a, **k):
            raise OSError("attempt to write a readonly database")

        set = get

        def __contains__(self, k):
            raise OSError("attempt to write a readonly database")

    monkeypatch.setattr(cache, "store", lambda: Broken())
    monkeypatch.setattr(cache, "_said", {})
    cache._memory.clear()
    for _ in range(3):
        runs = _compute({**START, "x": -0.25})[0]
        cache._memory.clear()
    assert runs["runs"][0]["name"] == "adam"
    faults = [r for r in caplog.records if "results store" in r.getMessage()]
    assert len(faults) == 2  # one line for reading, one for writing: not one per request
    assert "answering without it" in faults[0].getMessage()


def test_a_busy_store_is_written_and_read_again_before_it_is_a_miss(monkeypatch, caplog):
    """diskcache's lock timeout (another worker or a job writing a large view) is a moment,
    not a fault: the write, and the read of a view a job has just stored, are tried
    again, half a second apart."""
    import diskcache

    class Busy(dict):
        tries = 0

        def knock(self):
            Busy.tries += 1
            if Busy.tries < cache.TRIES:
                raise diskcache.Timeout("database is locked")

        def set(self, k, value):
            self.knock()
            self[k] = value

        def get(self, k, default=None):
            self.knock()
            return dict.get(self, k, default)

        def __contains__(self, k):
            self.knock()
            return dict.__contains__(self, k)

    busy = Busy()
    monkeypatch.setattr(cache, "store", lambda: busy)
    monkeypatch.setattr(cache, "_said", {})
    pauses: list[float] = []  # the pauses between tries, recorded instead of slept
    monkeypatch.setattr(cache, "time", types.SimpleNamespace(
        sleep=pauses.append, monotonic=time.monotonic, time=time.time))
    cache._store_set("k", b"value")
    assert busy == {"k": b"value"} and Busy.tries == cache.TRIES
    assert pauses == [0.5] * (cache.TRIES - 1)
    Busy.tries = 0
    assert cache._store_get("k") == b"value" and Busy.tries == cache.TRIES
    Busy.tries = 0
    assert cache._store_has("k") and Busy.tries == cache.TRIES
    assert not [r for r in caplog.records if "results store" in r.getMessage()]
    Busy.tries = -10  # busy for longer than the tries: a miss, said once
    cache._store_set("k2", b"value")
    assert not dict.__contains__(busy, "k2") and Busy.tries == -10 + cache.TRIES
    assert "writing failed (Timeout" in caplog.records[-1].getMessage()
    Busy.tries = -10
    assert cache._store_get("k") is None and Busy.tries == -10 + cache.TRIES
    assert "reading failed (Timeout" in caplog.records[-1].getMessage()
    assert pauses == [0.5] * 5 * (cache.TRIES - 1)  # five calls, each tried again


def test_a_corrupt_store_is_set_aside_and_made_anew(tmp_path, caplog):
    folder = tmp_path / "corrupt"
    folder.mkdir(mode=0o700)
    (folder / "cache.db").write_bytes(b"this is not a database" * 100)
    before = cache.use_folder(folder)
    try:
        assert _compute({**START, "x": -0.75})[0]["runs"][0]["name"] == "adam"
        assert cache.contains("runs", _compute({**START, "x": -0.75})[1])
        assert any(p.name.startswith("corrupt.corrupt-") for p in tmp_path.iterdir())
        assert "starting anew" in caplog.text
    finally:
        cache.use_folder(before)


def test_a_cache_folder_others_may_write_is_refused(tmp_path, monkeypatch):
    from visualizer import paths

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("VISUALIZER_CACHE_DIR", str(shared))
    with pytest.raises(paths.UnsafeFolder, match="may be written by other users"):
        paths.cache_root()
    shared.chmod(0o700)
    assert paths.cache_root() == shared
    (tmp_path / "link").symlink_to(shared)
    monkeypatch.setenv("VISUALIZER_CACHE_DIR", str(tmp_path / "link"))
    with pytest.raises(paths.UnsafeFolder, match="not a plain folder"):
        paths.cache_root()


def test_the_version_covers_every_source_that_shapes_a_result(tmp_path):
    import pathlib
    import shutil

    top = pathlib.Path(cache.__file__).resolve().parents[2]
    for folder in cache.SOURCES:
        shutil.copytree(top / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "visualizer" / "server").mkdir(exist_ok=True)
    script = ("import sys; sys.path.insert(0, sys.argv[1])\n"
              "from visualizer.server import cache; print(cache._VERSION)\n")

    def version() -> str:
        return subprocess.run([sys.executable, "-c", script, str(tmp_path)], text=True,
                              capture_output=True, check=True, cwd=tmp_path).stdout.strip()

    first = version()
    rule = tmp_path / "visualizer" / "engine" / "optimizers" / "adam.py"
    rule.write_text(rule.read_text() + "\n# a changed rule\n")
    second = version()
    formula_file = tmp_path / "landscapes" / "formula.py"
    formula_file.write_text(formula_file.read_text() + "\n# a changed parser\n")
    assert len({first, second, version()}) == 3


def test_the_3d_view_keys_on_the_canonical_link():
    """Every spelling of one scene (an extra parameter, 1e-2 for 0.01) reads one entry:
    a student cannot fill the class's cache with copies of one view."""
    cache.clear()
    figures = [callbacks.draw_surface(QUERY + f"&zzz={i}") for i in range(5)]
    figures.append(callbacks.draw_surface(QUERY.replace("lr=0.01", "lr=1e-2")))
    assert all(f == figures[0] for f in figures)
    assert len([k for k in cache._memory.items if ":surface:" in k]) == 1
