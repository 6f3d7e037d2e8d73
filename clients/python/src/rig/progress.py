"""Progress of ``rig.start`` on stderr: once startup has taken longer than ``delay``
(2 s), one line saying what it still waits for (rigd, artifacts being pulled or built,
services in prestart hooks, started but not yet healthy, healthy but not yet ready, in
init hooks), and another each time that changes (changes within ``throttle`` make one
line). rig's own services (named ``~...``) are left out. Nothing with RIG_QUIET set.
The same lines as the TypeScript and Go SDKs'."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

from rig.v1 import event_pb2

_PHASES = {
    "service_prestart": "prestart hooks",
    "service_starting": "starting, not yet ready",
    "service_healthy": "healthy, not yet ready",
    "service_init": "init hooks",
}
_ARTIFACT_DONE = ("artifact_completed", "artifact_cached", "artifact_failed")


def _stderr(line: str) -> None:
    sys.stderr.write(line)
    sys.stderr.flush()


class UpProgress:
    """Feed it the environment's events; stop it when startup is over."""

    def __init__(
        self,
        name: str,
        *,
        delay: float = 2.0,
        throttle: float = 0.1,
        write: Callable[[str], None] | None = None,
        quiet: bool | None = None,
    ) -> None:
        self._name = name
        self._throttle = throttle
        self._write = write or _stderr
        self._began = time.monotonic()
        self._lock = threading.Lock()
        self._artifacts: dict[str, str] = {}
        # The latest artifact.progress line of each artifact (pull bytes, build step).
        self._artifact_lines: dict[str, str] = {}
        self._services: dict[str, str] = {}
        self._created = False
        self._speaking = False
        self._last = ""
        self._pending: threading.Timer | None = None
        self._stopped = bool(os.environ.get("RIG_QUIET")) if quiet is None else quiet
        self._timer: threading.Timer | None = None
        if not self._stopped:
            self._timer = threading.Timer(delay, self._begin)
            self._timer.daemon = True
            self._timer.start()

    def observe(self, event: event_pb2.Event) -> None:
        """Takes one event of the environment into account."""
        with self._lock:
            if self._stopped:
                return
            self._created = True
            service = event.service
            if service.startswith("~"):
                return
            payload = event.WhichOneof("payload")
            if payload == "artifact_started":
                started = event.artifact_started
                self._artifacts[started.key] = started.description or started.key
            elif payload == "artifact_progress":
                if event.artifact_progress.key not in self._artifacts:
                    return
                self._artifact_lines[event.artifact_progress.key] = event.artifact_progress.line
            elif payload in _ARTIFACT_DONE:
                self._artifacts.pop(getattr(event, payload).key, None)
                self._artifact_lines.pop(getattr(event, payload).key, None)
            elif payload is not None and payload in _PHASES:
                self._services[service] = _PHASES[payload]
            elif payload in ("service_ready", "service_failed", "service_stopped"):
                self._services.pop(service, None)
            else:
                return
            self._changed()

    def stop(self) -> None:
        """Startup is over (up, down, timed out): no more lines."""
        with self._lock:
            self._stopped = True
            for timer in (self._timer, self._pending):
                if timer is not None:
                    timer.cancel()

    def waiting_for(self) -> str:
        """The current line without the elapsed time (what a change compares)."""
        if not self._created:
            return "rigd"
        parts = [f"artifact {d}{_line(self._artifact_lines.get(k, ''))}" for k, d in self._artifacts.items()]
        parts += [f"{s} ({phase})" for s, phase in sorted(self._services.items())]
        return ", ".join(parts) if parts else "services to start"

    def _begin(self) -> None:
        with self._lock:
            self._speaking = True
            self._say()

    def _changed(self) -> None:
        if not self._speaking or self._pending is not None:
            return
        if self._throttle <= 0:
            self._say()
            return
        self._pending = threading.Timer(self._throttle, self._flush)
        self._pending.daemon = True
        self._pending.start()

    def _flush(self) -> None:
        with self._lock:
            self._pending = None
            self._say()

    def _say(self) -> None:
        if not self._speaking or self._stopped:
            return
        what = self.waiting_for()
        if what == self._last:
            return
        self._last = what
        self._write(f"rig: {self._name} [{time.monotonic() - self._began:.1f}s] waiting for {what}\n")


def _line(line: str) -> str:
    """A progress line as it fits in the waiting line: `` (one line, at most 100 characters)``."""
    one = " ".join(line.split())
    if not one:
        return ""
    return f" ({one if len(one) <= 100 else one[:99] + '…'})"
