"""Tests that need a real rigd get one of their own, in a temp RIG_DIR, unless
RIG_SERVER already names one (scripts/test-clients.sh); it is stopped after the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.rigd import _find_repo, find_or_start_rigd
from rigd_process import stop_rigd

pytest_plugins = ["rig.pytest_plugin", "pytester"]


@pytest.fixture(scope="session", autouse=True)
def rigd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of the rigd the tests use ("" when none can run here)."""
    if os.environ.get("RIG_SERVER") or not _find_repo():
        yield os.environ.get("RIG_SERVER", "")
        return
    rig_dir: Path = tmp_path_factory.mktemp("rigd")
    rigd = find_or_start_rigd(rig_dir=str(rig_dir))
    os.environ["RIG_SERVER"] = rigd.addr
    os.environ["RIG_TOKEN"] = rigd.token
    try:
        yield rigd.addr
    finally:
        del os.environ["RIG_SERVER"]
        del os.environ["RIG_TOKEN"]
        stop_rigd(rigd.pid)


@pytest.fixture
def need_rigd(rigd_server: str) -> str:
    """Skips the test when no rigd can run here."""
    if not rigd_server:
        pytest.skip("no rigd: build the server (make build) or set RIG_SERVER")
    return rigd_server
