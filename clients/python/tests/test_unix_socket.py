"""A rigd on a unix socket, driven through ``unix:PATH`` with its token."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import grpc
import pytest
from rigd_process import stop_rigd
from test_up import get, serve_http

import rig
from rig.rigd import _rigd_command


def test_a_rigd_on_a_unix_socket_needs_and_takes_its_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    argv, _, problem = _rigd_command(None)
    if problem:
        pytest.skip(problem)
    # A short path: unix socket paths are limited to 107 bytes.
    directory = Path(tmp_path_factory.mktemp("sock"))
    socket, addr_file = directory / "rigd.sock", directory / "sock.addr"
    proc = subprocess.Popen(
        [*argv, "--rig-dir", str(directory), "--addr-file", str(addr_file), "--listen", f"unix:{socket}", "--idle", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not addr_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert addr_file.read_text().strip() == f"unix:{socket}"
        token = (directory / "sock.token").read_text().strip()

        with rig.up({"hello": rig.func(serve_http("via the socket"))}, observe=False, server=f"unix:{socket}", token=token) as env:
            assert get(env.endpoint("hello").url) == "via the socket"

        with pytest.raises(grpc.RpcError) as refused:
            rig.start({"hello": rig.func(serve_http("x"))}, server=f"unix:{socket}", token="wrong")
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        stop_rigd(proc.pid)
