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
