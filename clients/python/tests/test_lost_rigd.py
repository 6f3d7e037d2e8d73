"""A test whose rigd dies (kill -9) learns it from the SDK at once, with a message that
says rigd is gone, rather than after the reconnect attempts of a flaky stream."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import grpc
import pytest

import rig
from rig.rigd import _rigd_command, find_or_start_rigd
from rigd_process import stop_rigd


@pytest.mark.usefixtures("need_rigd")
def test_a_killed_rigd_ends_the_environment_saying_rigd_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RIG_SERVER", raising=False)
    monkeypatch.delenv("RIG_TOKEN", raising=False)
    rigd = find_or_start_rigd(rig_dir=str(tmp_path))
    assert rigd.pid > 0, "expected a rigd spawned for this test"
    try:
        env = rig.start({"sleeper": rig.process("sleep", "300").no_ingress()}, observe=False, server=rigd.addr, token=rigd.token)
        os.kill(rigd.pid, signal.SIGKILL)
        assert env._session.down.wait(20), "the environment was not reported down after its rigd was killed"
        error = env.error
        assert error is not None and "rigd is gone" in str(error), f"error = {error!r}, want it to say rigd is gone"
        # Destroying it fails (rigd is gone) but lets go of it: no signal handler stays behind.
        with contextlib.suppress(grpc.RpcError):
            env.destroy()
    finally:
        stop_rigd(rigd.pid)


@pytest.mark.usefixtures("need_rigd")
def test_the_per_client_limit_names_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK names its test process to rigd (rig-client: python pid N), so rigd's limit of
    environments per client stops a runaway test, with an error naming the process."""
    monkeypatch.delenv("RIG_SERVER", raising=False)
    monkeypatch.delenv("RIG_TOKEN", raising=False)
    command, _, _ = _rigd_command(None)
    rigd = find_or_start_rigd(rig_dir=str(tmp_path), command=[*command, "--limit", "environments-per-client=1"])
    try:
        services = {"idle": rig.process("sleep", "30").no_ingress()}
        first = rig.start(services, observe=False, server=rigd.addr, token=rigd.token)
        try:
            with pytest.raises(grpc.RpcError) as info:
                rig.start(services, observe=False, server=rigd.addr, token=rigd.token)
            assert f"this client (python pid {os.getpid()}) already runs 1 environments in this rigd" in str(info.value.details())
        finally:
            first.destroy()
    finally:
        stop_rigd(rigd.pid)
