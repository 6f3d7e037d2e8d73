"""Ctrl-C or SIGTERM of a test process destroys its open environments at once, instead
of leaving their services running for rigd's orphan grace, then the signal does what it
did before: the previous handler is put back and called (for SIGINT Python's default
raises KeyboardInterrupt), or, when it was the default action, the signal is raised
again so the process dies of it. An ignored signal stays ignored.

Handlers are installed while at least one environment is open and only from the main
thread (Python allows no other); with none open the process's handling is untouched."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol

_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class _Open(Protocol):
    def _destroy_on_signal(self, reason: str) -> None: ...


_lock = threading.Lock()
_open: list[_Open] = []
_previous: dict[int, _Handler] = {}


def tear_down_on_signal(env: _Open) -> None:
    """Registers an open environment; :func:`untrack` removes it once destroyed."""
    with _lock:
        _open.append(env)
        if not _previous and threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                _previous[sig] = signal.getsignal(sig)
                signal.signal(sig, _on_signal)


def untrack(env: _Open) -> None:
    """Forgets an environment; the last one puts the previous handlers back."""
    with _lock:
        if env in _open:
            _open.remove(env)
        if not _open:
            _restore()


def _restore() -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # restored by the next change on the main thread, or at the signal
    for sig, handler in _previous.items():
        if signal.getsignal(sig) is _on_signal:
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    _previous.clear()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    with _lock:
        envs = list(_open)
        _open.clear()
        previous = _previous.get(signum, signal.SIG_DFL)
        # A second signal while tearing down takes its usual course at once.
        _restore()
    name = signal.Signals(signum).name
    for env in envs:
        try:
            env._destroy_on_signal(f"test process got {name}")
        except Exception:  # noqa: BLE001 - the signal must take its course regardless
            pass
    if callable(previous):
        previous(signum, frame)
    elif previous in (signal.SIG_DFL, None):
        os.kill(os.getpid(), signum)
