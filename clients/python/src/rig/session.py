"""The client side of one environment (SPEC §8): keeps the event stream open for the
environment's whole life (rigd destroys environments nobody watches), runs the closure
named by each callback.request in a thread, answers it with PostEvent, and runs func
services until rigd stops them."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

import grpc

from rig.handlers import FuncContext, FuncFn, HandlerRegistry, HookContext, HookFn
from rig.log_shipper import LogShipper
from rig.progress import UpProgress
from rig.v1 import environment_service_pb2 as api
from rig.v1 import environment_service_pb2_grpc as api_grpc
from rig.v1 import event_pb2
from rig.wiring import Wiring

_POST_TIMEOUT = 10.0
_MAX_RECONNECTS = 5


class Session:
    """Follows one environment's events and answers its callbacks."""

    def __init__(
        self,
        stub: api_grpc.EnvironmentServiceStub,
        environment_id: str,
        handlers: HandlerRegistry,
        progress: UpProgress | None = None,
    ) -> None:
        self._stub = stub
        self._progress = progress
        self.id = environment_id
        self._handlers = handlers
        self.logs = LogShipper(self._post_logs)

        #: Set on environment.up / environment.down (or a stream that cannot be resumed).
        self.up = threading.Event()
        self.down = threading.Event()
        #: Set when hooks and func services must stop (environment down or closed).
        self._live_stopped = threading.Event()

        self._lock = threading.Lock()
        self._last_seq = 0
        self._handled: set[str] = set()
        self._funcs: dict[str, _RunningFunc] = {}
        self._workers: list[threading.Thread] = []
        self.up_message: event_pb2.EnvironmentUp | None = None
        self.down_message: event_pb2.EnvironmentDown | None = None
        self.stall: event_pb2.ProgressStall | None = None

        self._closing = False
        self._call: grpc.Call | None = None
        self._watcher = threading.Thread(target=self._watch, name=f"rig-watch-{environment_id}", daemon=True)
        self._watcher.start()

    # --- the event stream ------------------------------------------------------------

    def _watch(self) -> None:
        failures = 0
        refusals = 0
        while not self._closing:
            try:
                if self._follow():
                    return
                error: Exception = RuntimeError("event stream ended before environment.down")
            except grpc.RpcError as err:
                if self._closing:
                    return
                error = err
                if _code(err) == grpc.StatusCode.NOT_FOUND:
                    failures = _MAX_RECONNECTS
            # A loopback rigd that refuses connections (or whose socket file is gone) has
            # died, and its watchdog stops this environment's services: say so at once
            # instead of retrying. Twice in a row, to skip a blip.
            refusals = refusals + 1 if _rigd_is_gone(error) else 0
            if refusals >= 2:
                self._lose(RuntimeError(f"rigd is gone ({_details(error)})"))
                return
            failures += 1
            if failures > _MAX_RECONNECTS:
                self._lose(error)
                return
            time.sleep(0.05 if refusals else 0.2 * failures)

    def _follow(self) -> bool:
        """Reads one stream; True once environment.down was seen."""
        with self._lock:
            # No traffic: the session needs lifecycle and callbacks, and a test under load
            # would otherwise pay (in rigd and here) for every proxied request.
            request = api.WatchEventsRequest(environment_id=self.id, after_seq=self._last_seq, exclude_traffic=True)
            call = self._stub.WatchEvents(request)
            self._call = call
        if self._closing:
            call.cancel()
        for response in call:
            if self._handle(response.event):
                return True
        return False

    def _handle(self, event: event_pb2.Event) -> bool:
        with self._lock:
            if event.seq <= self._last_seq:
                return False  # replayed after a reconnect
            self._last_seq = event.seq
        if self._progress is not None:
            self._progress.observe(event)
        payload = event.WhichOneof("payload")
        if payload == "callback_request":
            self._dispatch(event.callback_request)
        elif payload == "service_stopping":
            self._stop_func(event.service)
        elif payload == "progress_stall":
            self.stall = event.progress_stall
        elif payload == "environment_up":
            self.up_message = event.environment_up
            self.up.set()
        elif payload == "environment_down":
            self._mark_down(event.environment_down)
            return True
        return False

    def _lose(self, error: Exception) -> None:
        message = _details(error)
        # Said at once, not at teardown: a test still running against this environment is
        # talking to services that stop with their rigd.
        if self.up.is_set() and not os.environ.get("RIG_QUIET"):
            print(
                f"rig: lost rigd while environment {self.id} was up: {message}; "
                "its services are stopped with rigd, so this test's environment is gone",
                file=sys.stderr,
                flush=True,
            )
        self._mark_down(
            event_pb2.EnvironmentDown(
                summary=f"lost the event stream of environment {self.id}: {message}",
                error=str(message),
            )
        )

    def _mark_down(self, down: event_pb2.EnvironmentDown) -> None:
        self.down_message = down
        self._live_stopped.set()
        with self._lock:
            funcs = list(self._funcs.values())
        for f in funcs:
            self._spawn("rig-func-stop", f.stop)
        self.down.set()

    # --- callbacks ------------------------------------------------------------------

    def _dispatch(self, request: event_pb2.CallbackRequest) -> None:
        with self._lock:
            if request.request_id in self._handled:
                return
            self._handled.add(request.request_id)
        if request.kind == event_pb2.CALLBACK_KIND_HOOK:
            hook = self._handlers.hooks.get(request.name)
            if hook is None:
                self._answer(request, self._unknown(request))
                return
            self._spawn(f"rig-hook-{request.name}", lambda: self._run_hook(request, hook))
        elif request.kind == event_pb2.CALLBACK_KIND_START:
            fn = self._handlers.starts.get(request.name)
            if fn is None:
                self._answer(request, self._unknown(request))
                return
            self._start(request, fn)
        else:
            self._answer(request, f"unknown callback kind {request.kind}")

    def _unknown(self, request: event_pb2.CallbackRequest) -> str:
        return f"no handler {request.name!r} in this client (it has {self._handlers.names()})"

    def _run_hook(self, request: event_pb2.CallbackRequest, hook: HookFn) -> None:
        context = HookContext(
            service=request.service,
            phase=request.phase,
            wiring=Wiring.from_proto(request.wiring),
            stopped=self._live_stopped,
        )
        try:
            hook(context)
        except BaseException as err:  # noqa: BLE001 - any failure of the closure fails the service
            self._answer(request, _describe(err))
            return
        self._answer(request, "")

    def _start(self, request: event_pb2.CallbackRequest, fn: FuncFn) -> None:
        """Answers a start callback at once, then runs the func service until rigd
        stops it; a failure before that is reported as service_error."""
        service = request.service
        running = _RunningFunc()
        with self._lock:
            previous = self._funcs.get(service)
            self._funcs[service] = running
        if previous:
            previous.stop()
        self._answer(request, "")
        context = FuncContext(
            service=service,
            wiring=Wiring.from_proto(request.wiring),
            stopped=running.stopped,
            stdout=self.logs.writer(service, event_pb2.LOG_STREAM_STDOUT),
            stderr=self.logs.writer(service, event_pb2.LOG_STREAM_STDERR),
        )
        if self._live_stopped.is_set():
            running.stop()

        def run() -> None:
            try:
                cleanup = fn(context)
            except BaseException as err:  # noqa: BLE001 - any failure of the closure fails the service
                if not running.stopped.is_set():
                    self._post(service, api.PostEventRequest(service_error=event_pb2.ServiceError(error=_describe(err))))
                return
            if cleanup is not None:
                running.on_stop(cleanup)

        self._spawn(f"rig-func-{service}", run)

    def _stop_func(self, service: str) -> None:
        with self._lock:
            running = self._funcs.get(service)
        if running:
            # Cleanups may take a while (a server draining); the stream must go on.
            self._spawn(f"rig-func-stop-{service}", running.stop)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._workers.append(thread)
        thread.start()

    def _answer(self, request: event_pb2.CallbackRequest, error: str) -> None:
        self._post(
            request.service,
            api.PostEventRequest(callback_response=event_pb2.CallbackResponse(request_id=request.request_id, error=error)),
        )

    def _post(self, service: str, request: api.PostEventRequest) -> None:
        """Sends a client event; a failure means rigd or the environment is gone,
        which the event stream reports on its own."""
        request.environment_id = self.id
        request.service = service
        try:
            self._stub.PostEvent(request, timeout=_POST_TIMEOUT)
        except grpc.RpcError:
            pass

    def _post_logs(self, service: str, lines: list[event_pb2.ServiceLog]) -> None:
        self._post(service, api.PostEventRequest(service_logs=api.ServiceLogBatch(lines=lines)))

    # --- shutdown -------------------------------------------------------------------

    def close(self, timeout: float = 15.0) -> None:
        """Stops hooks and func services, ships their remaining output and ends the
        stream. Closures that ignore ``stopped`` are waited for at most ``timeout``."""
        deadline = time.monotonic() + timeout
        self._live_stopped.set()
        with self._lock:
            funcs = list(self._funcs.values())
            workers = list(self._workers)
        for f in funcs:
            f.stop()
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
        self.logs.close(max(0.1, deadline - time.monotonic()))
        self._closing = True
        with self._lock:
            call = self._call
        if call is not None:
            call.cancel()
        self._watcher.join(max(0.1, deadline - time.monotonic()))


class _RunningFunc:
    """A started func service: its stop signal and the cleanups to run at stop."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._cleanups: list[Callable[[], None]] = []

    def on_stop(self, cleanup: Callable[[], None]) -> None:
        with self._lock:
            if not self.stopped.is_set():
                self._cleanups.append(cleanup)
                return
        _run_cleanup(cleanup)

    def stop(self) -> None:
        with self._lock:
            if self.stopped.is_set():
                return
            self.stopped.set()
            cleanups, self._cleanups = self._cleanups, []
        for cleanup in cleanups:
            _run_cleanup(cleanup)


def _run_cleanup(cleanup: Callable[[], None]) -> None:
    try:
        cleanup()
    except Exception:  # noqa: BLE001 - the service is stopping anyway; keep the traceback visible
        traceback.print_exc()


def _describe(err: BaseException) -> str:
    """The exception's message (its type when it has none): what fails the service."""
    return str(err) or type(err).__name__


def _code(err: grpc.RpcError) -> grpc.StatusCode | None:
    code = getattr(err, "code", None)
    return code() if callable(code) else None


def _details(error: Exception) -> str:
    details = getattr(error, "details", None)
    return str(details()) if isinstance(error, grpc.RpcError) and callable(details) else str(error)


def _rigd_is_gone(error: Exception) -> bool:
    """Nothing listens where rigd was: connection refused, or no socket file."""
    if not isinstance(error, grpc.RpcError) or _code(error) != grpc.StatusCode.UNAVAILABLE:
        return False
    text = _details(error).lower()
    return "connection refused" in text or "no such file" in text
