"""Every test session gets a results cache, a classes store and a job board of its own
(the compiled kernels stay shared: they are keyed by a hash of their sources)."""

from __future__ import annotations

import atexit
import contextlib
import os
import pathlib
import shutil
import tempfile
import time

import pytest

# Two job slots in the test session (the default is half the cores: one here): all the
# browser tests are one client on 127.0.0.1, and a job an earlier test left running
# must not hold the only slot while the next test's job waits. The admission tests
# set their own slots.
os.environ.setdefault("VISUALIZER_JOB_SLOTS", "2")

from visualizer.server import cache, classes, jobs

ROOT = pathlib.Path(__file__).resolve().parents[1]

# A job board of the session's own, set before any test module imports the app (whose
# background-callback manager keeps the folder it is made with): with two test
# processes, the other one's jobs come from 127.0.0.1 too, and on a shared board they
# would take this one's slots and replace its jobs (one job per client).
_JOBS = pathlib.Path(tempfile.mkdtemp(prefix="visualizer-test-jobs-"))
jobs.use_folder(_JOBS)
_SESSION_PID = os.getpid()  # a forked job that exits must not remove it
atexit.register(lambda: os.getpid() == _SESSION_PID and shutil.rmtree(_JOBS, True))


@pytest.fixture(scope="session", autouse=True)
def _own_results_cache(tmp_path_factory):
    cache.use_folder(tmp_path_factory.mktemp("results"))
    classes.use_folder(tmp_path_factory.mktemp("classes"))
    yield
    cache.store().close()
    cache.use_folder(None)


# -- Where the time goes ------------------------------------------------------------------
# Each test's wall time and the machine's busy CPU time over it (every process: the
# app's job processes, gunicorn, Celery, Chromium), summed per file at the end. With
# several test processes the CPU figures overlap; the wall times still add up.
def _machine_busy_seconds() -> float:
    try:
        fields = pathlib.Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    jiffies = [int(v) for v in fields]
    idle = jiffies[3] + (jiffies[4] if len(jiffies) > 4 else 0)  # idle + iowait
    return (sum(jiffies[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_STARTED] = (time.perf_counter(), _machine_busy_seconds())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "teardown" and _STARTED in item.stash:
        wall, busy = item.stash[_STARTED]
        report.user_properties.append(("where_time_goes", (time.perf_counter() - wall,
                                                            _machine_busy_seconds() - busy)))
    return report


_STARTED = pytest.StashKey[tuple]()
_spent: dict[str, list[float]] = {}
_tests: list[tuple[float, float, str]] = []
_SESSION_STARTED: list[float] = []  # when the first test started (as its report says)


def pytest_runtest_logreport(report):
    if not _SESSION_STARTED:
        _SESSION_STARTED.append(time.perf_counter() - report.duration)
    for name, value in report.user_properties:
        if name == "where_time_goes" and report.when == "teardown":
            wall, cpu = value
            entry = _spent.setdefault(report.nodeid.split("::")[0], [0.0, 0.0, 0])
            entry[0] += wall
            entry[1] += cpu
            entry[2] += 1
            _tests.append((cpu, wall, report.nodeid))


def pytest_terminal_summary(terminalreporter):
    if not _spent:
        return
    tr = terminalreporter
    tr.section("where the time goes (per file: wall seconds, the machine's busy CPU seconds)")
    kernels = tr.config.stash.get(_KERNELS, None)
    if kernels is not None:
        n, procs, seconds = kernels
        tr.write_line(f"{seconds:8.1f} s before the tests: " + (
            f"{n} parts of the kernels (an optimizer's loops, a landscape's functions) "
            f"compiled in {procs} processes" if n
            else "every kernel was on disk (the time is the check)"))
    if _SESSION_STARTED:
        n = tr.config.getoption("numprocesses", 0) or 1
        tr.write_line(f"{time.perf_counter() - _SESSION_STARTED[0]:8.1f} s from the first test's "
                      f"start to the last one's end, in {n} test process" +
                      ("es side by side (the figures below, summed over tests, overlap)"
                       if n > 1 else ""))
    for path, (wall, cpu, n) in sorted(_spent.items(), key=lambda kv: -kv[1][0]):
        tr.write_line(f"{wall:8.1f} s wall {cpu:8.1f} s CPU  {n:4d} tests  {path}")
    total_wall = sum(v[0] for v in _spent.values())
    total_cpu = sum(v[1] for v in _spent.values())
    tr.write_line(f"{total_wall:8.1f} s wall {total_cpu:8.1f} s CPU  (summed over tests; "
                  f"{os.cpu_count()} cores)")
    tr.write_line("the tests that kept the machine busiest:")
    for cpu, wall, nodeid in sorted(_tests, reverse=True)[:12]:
        tr.write_line(f"{wall:8.1f} s wall {cpu:8.1f} s CPU  {nodeid}")


# -- Kernels first, compiled in parallel; two test processes ------------------------------
# Before the tests, the process that runs them (or, with pytest-xdist, the one that hands
# them out) compiles the kernels the browser tests load, their parts (an optimizer's
# loops, a landscape's functions) shared out across the cores (nothing to do when they
# are on disk). scripts/test.sh then runs two test processes (``-n 2 --dist loadgroup
# --browser-groups 2``): the browser tests in two groups, each with its own app and
# Chromium, one per process, and every other file's tests together in one process or
# the other (they share a module's servers). Each process has a job board of its own
# (above): on one shared board the two apps' jobs, all from 127.0.0.1, took each
# other's slots and replaced each other (one job per client), and a two-process run
# failed so (a CSV's job that never came).
def pytest_addoption(parser):
    parser.addoption("--browser-groups", type=int, default=1, metavar="N",
                     help="share the browser tests out into N groups, each kept in one "
                          "test process (with pytest-xdist's -n and --dist loadgroup)")
    parser.addoption("--store-durations", action="store_true",
                     help="write each test's wall time to tests/durations.json, which "
                          "shares the tests out between test processes")


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        # A test process, and all it starts (its app, Chromium), at the niceness of the
        # app's background jobs: a job of one process's app must not wait behind the
        # other test process's work, which a one-process run never has beside it.
        with contextlib.suppress(OSError):
            os.nice(max(0, jobs.NICE - os.nice(0)))
    elif getattr(config.option, "numprocesses", None):
        _compile_kernels(config)


def pytest_collection_finish(session):
    config = session.config
    if not hasattr(config, "workerinput") and not getattr(config.option, "numprocesses", None):
        if any(item.nodeid.startswith("tests/test_browser.py") for item in session.items):
            _compile_kernels(config)


def _compile_kernels(config) -> None:
    import subprocess
    import sys

    started = time.perf_counter()
    probe = subprocess.run([sys.executable, "-c", "from tests.browser import units_not_compiled"
                            " as m; print(' '.join(m()))"], cwd=ROOT, text=True,
                           capture_output=True, check=True)
    missing = probe.stdout.split()
    cores = os.cpu_count() or 1
    shares = [missing[i::cores] for i in range(cores) if missing[i::cores]]
    procs = [subprocess.Popen([sys.executable, "-c", "import sys; from tests.browser import "
                               "compile_units as c; c(sys.argv[1:])", *names], cwd=ROOT)
             for names in shares]
    if any(p.wait() for p in procs):
        raise pytest.UsageError("compiling the kernels failed (see above)")
    config.stash[_KERNELS] = (len(missing), len(shares), time.perf_counter() - started)


_KERNELS = pytest.StashKey[tuple]()


# -- Sharing the tests out: heaviest first, by what each test took last time ---------------
# (tests/sharing.py says how and why)
@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the groups
def pytest_collection_modifyitems(config, items):
    from tests import sharing

    nodeids = [item.nodeid for item in items]
    weight = sharing.weights(nodeids, sharing.load())
    group = sharing.groups(nodeids, weight, config.getoption("--browser-groups"))
    for item, g in zip(items, group, strict=True):
        item.add_marker(pytest.mark.xdist_group(g))
    if hasattr(config, "workerinput"):  # a test process of several: heaviest group first
        items[:] = [items[i] for i in sharing.heaviest_first(group, weight)]


def pytest_sessionfinish(session):
    config = session.config
    if config.getoption("--store-durations") and not hasattr(config, "workerinput"):
        from tests import sharing

        sharing.store({nodeid: wall for _, wall, nodeid in _tests})
