"""Stopping the rigd processes the tests spawn."""

from __future__ import annotations

import os
import signal
import time


def stop_rigd(pid: int) -> None:
    """Stops a rigd this test process spawned and waits until it is gone."""
    if pid <= 0:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def rigd_pids_in(rig_dir: str) -> list[int]:
    """Pids of the rigd processes serving ``rig_dir`` (found by their --rig-dir argument),
    including ones an SDK started on its own."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(argv[i] == b"--rig-dir" and argv[i + 1] == rig_dir.encode() for i in range(len(argv) - 1)):
            pids.append(int(entry))
    return pids
