"""The rigd start lock: a directory, created and removed atomically, refreshed while
held and taken over when stale. It is the protocol of proper-lockfile, which the
TypeScript SDK uses on the same path, so SDKs of every language exclude each other."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

#: A lock not refreshed for this long belongs to a dead process (seconds).
STALE = 10.0
#: How often the holder refreshes it (seconds).
UPDATE = 2.0
_POLL = 0.05


class LockTimeout(TimeoutError):
    """The lock was not free before the deadline."""


class StartLock:
    """``with StartLock(path, deadline):`` holds the lock for the block."""

    def __init__(self, path: Path, deadline: float) -> None:
        self._path = path
        self._deadline = deadline
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def __enter__(self) -> StartLock:
        while True:
            try:
                os.mkdir(self._path)
                break
            except FileExistsError:
                pass
            try:
                if time.time() - os.stat(self._path).st_mtime > STALE:
                    os.rmdir(self._path)  # its holder died; the next mkdir decides who gets it
                    continue
            except OSError:
                continue  # released (or taken over) meanwhile: try again at once
            if time.monotonic() > self._deadline:
                raise LockTimeout(f"rig: timed out waiting for the rigd start lock {self._path}")
            time.sleep(_POLL)
        self._refresher = threading.Thread(target=self._refresh, name="rig-start-lock", daemon=True)
        self._refresher.start()
        return self

    def _refresh(self) -> None:
        while not self._stop.wait(UPDATE):
            try:
                os.utime(self._path)
            except OSError:
                return

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
        try:
            os.rmdir(self._path)
        except OSError:
            pass
