"""Every test session gets a results cache of its own (the compiled kernels stay shared:
they are keyed by a hash of their sources)."""

from __future__ import annotations

import pytest

from visualizer.server import cache


@pytest.fixture(scope="session", autouse=True)
def _own_results_cache(tmp_path_factory):
    cache.use_folder(tmp_path_factory.mktemp("results"))
    yield
    cache.store().close()
    cache.use_folder(None)
