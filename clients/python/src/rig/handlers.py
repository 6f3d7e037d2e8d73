"""The closures a test registers with builders, what they are given when rigd calls
them, and the per-environment registry that maps the names put in the spec
(ClientFuncHook.name, ClientConfig.start_handler) back to them (SPEC §8)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from io import TextIOBase

from rig.wiring import Wiring


@dataclass(frozen=True)
class HookContext:
    """What a prestart or init hook gets."""

    #: The service the hook belongs to.
    service: str
    #: "prestart" (egresses ready, ports allocated, not started) or "init" (healthy,
    #: not yet ready).
    phase: str
    wiring: Wiring
    #: Set when the environment goes down while the hook runs.
    stopped: threading.Event


@dataclass(frozen=True)
class FuncContext:
    """What a func service gets."""

    service: str
    #: Endpoints to listen on (``wiring.ingress().port``) and to call.
    wiring: Wiring
    #: Set when rigd stops the service (teardown) or the environment goes down.
    stopped: threading.Event
    #: The service's output, line-buffered and shipped to rigd as its log; writing
    #: never blocks (lines are dropped, and counted, when rigd cannot keep up).
    stdout: TextIOBase
    stderr: TextIOBase

    def log(self, message: str) -> None:
        """Writes one line to stdout."""
        self.stdout.write(message + "\n")


#: A hook. Raising fails the service with the exception's message.
HookFn = Callable[[HookContext], None]

#: A func service. It starts whatever the service is (e.g. an HTTP server on
#: ``ctx.wiring.ingress().port``) and either blocks until ``ctx.stopped`` is set, or
#: returns, optionally a cleanup function called when the service stops. Raising before
#: the service is stopped fails the environment with the exception's message.
FuncFn = Callable[[FuncContext], "Callable[[], None] | None"]


class HandlerRegistry:
    """Closures of one environment, by the name the spec refers to them with."""

    def __init__(self) -> None:
        self.hooks: dict[str, HookFn] = {}
        self.starts: dict[str, FuncFn] = {}

    def add_hook(self, name: str, fn: HookFn) -> None:
        """Registers a hook under a name unique in the environment."""
        self._check_free(name)
        self.hooks[name] = fn

    def add_start(self, name: str, fn: FuncFn) -> None:
        """Registers the function of a func service."""
        self._check_free(name)
        self.starts[name] = fn

    def names(self) -> list[str]:
        """Every registered name, for error messages."""
        return sorted([*self.hooks, *self.starts])

    def _check_free(self, name: str) -> None:
        if name in self.hooks or name in self.starts:
            raise ValueError(f"rig: handler {name!r} registered twice")
