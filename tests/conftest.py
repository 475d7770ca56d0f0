"""Every test session gets a results cache of its own (the compiled kernels stay shared:
they are keyed by a hash of their sources)."""

from __future__ import annotations

import os

import pytest

# Two job slots in the test session (the default is half the cores: one here): all the
# browser tests are one client on 127.0.0.1, and a job an earlier test left running
# must not hold the only slot while the next test's job waits. The admission tests
# set their own slots.
os.environ.setdefault("VISUALIZER_JOB_SLOTS", "2")

from visualizer.server import cache


@pytest.fixture(scope="session", autouse=True)
def _own_results_cache(tmp_path_factory):
    cache.use_folder(tmp_path_factory.mktemp("results"))
    yield
    cache.store().close()
    cache.use_folder(None)
