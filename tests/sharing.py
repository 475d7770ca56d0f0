"""How the tests are shared out between test processes (``tests/conftest.py`` applies it).

pytest-xdist (``--dist loadgroup``) hands a test process one group at a time: a file's
tests (they share its servers), or one share of the browser tests (each share is one
process's app and Chromium). It hands them out in the order collected when told not to
reorder them (``--no-loadscope-reorder``; its own order, by number of tests, put 152
quick optimizer tests first and a 6 s file last, and the two processes ended 19 s
apart). Here the browser tests are split into shares of about equal time (longest test
first, each to the share with the least so far) and the groups go out heaviest first,
so the small files fill in at the end and the processes end together.

A test weighs its wall time in ``tests/durations.json`` (``--store-durations`` rewrites
it from a run); a test not in it weighs the median of its file's tests there, 1 s for a
new file.
"""

from __future__ import annotations

import json
import pathlib
import re
import statistics

DURATIONS = pathlib.Path(__file__).resolve().parent / "durations.json"
SHARED = "tests/test_browser.py"
"""The file whose tests are split into shares (the others stay whole)."""


def file_of(nodeid: str) -> str:
    return nodeid.split("::")[0]


def plain(nodeid: str) -> str:
    """A test's id without the ``@group`` pytest-xdist adds to it (a parameter's own
    ``@``, inside its brackets, stays)."""
    return re.sub(r"@[^@\]]*$", "", nodeid)


def load(path: pathlib.Path = DURATIONS) -> dict[str, float]:
    """The stored wall times, by test id ({} when there are none)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def weights(nodeids: list[str], known: dict[str, float]) -> list[float]:
    """Each test's weight: its time in ``known``, else its file's median there, else 1 s."""
    per_file: dict[str, list[float]] = {}
    for nodeid, seconds in known.items():
        per_file.setdefault(file_of(nodeid), []).append(seconds)
    medians = {f: statistics.median(v) for f, v in per_file.items()}
    return [known.get(n, medians.get(file_of(n), 1.0)) for n in nodeids]


def groups(nodeids: list[str], weight: list[float], shares: int) -> list[str]:
    """Each test's group: ``browser-K`` for a share of the browser tests, else its file."""
    out = [file_of(n) for n in nodeids]
    load_of = [0.0] * max(1, shares)
    for i in sorted(range(len(nodeids)), key=lambda i: -weight[i]):  # stable on ties
        if out[i] == SHARED:
            k = load_of.index(min(load_of))
            load_of[k] += weight[i]
            out[i] = f"browser-{k}"
    return out


def heaviest_first(group: list[str], weight: list[float]) -> list[int]:
    """The tests' positions, the heaviest group's first; a group's tests keep their order."""
    total: dict[str, float] = {}
    for g, w in zip(group, weight, strict=True):
        total[g] = total.get(g, 0.0) + w
    return sorted(range(len(group)), key=lambda i: (-total[group[i]], group[i]))


def store(walls: dict[str, float], path: pathlib.Path = DURATIONS) -> None:
    """Write each test's wall time (pytest-xdist's ids lose their ``@group``). The
    files that ran replace their entries (a renamed test's old name goes); the other
    files' entries stay, so a run of a few files keeps the rest."""
    seconds = {plain(n): round(w, 2) for n, w in walls.items()}
    ran = {file_of(n) for n in seconds}
    kept = {n: w for n, w in load(path).items() if file_of(n) not in ran}
    path.write_text(json.dumps(dict(sorted({**kept, **seconds}.items())), indent=0) + "\n")
