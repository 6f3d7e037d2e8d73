"""Resource locks across test processes and languages, served by rigd's LockService::

    db = rig.resource("user-db", max_parallelism=2, init=migrate)
    with db.lock():           # exclusive
        ...
    with db.rlock():          # shared, up to max_parallelism holders
        ...
    with rig.lock_all([db, cache]):
        ...

A lock is held while its stream to rigd is open: leaving the ``with`` block (or
``release()``) ends it, and so does the process dying. If rigd goes away while a lock is
held, ``lost`` is set and ``assert_held()`` raises :class:`LockLostError`: never
silently. A lock still waiting when rigd goes away asks the next rigd (found or started
as usual, the resource declared again) instead of failing."""

from __future__ import annotations

import inspect
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any

import grpc

from rig.rigd import explicit_rigd, find_or_start_rigd, probe, rigd_channel
from rig.v1 import lock_service_pb2 as pb
from rig.v1 import lock_service_pb2_grpc as pb_grpc


class LockError(RuntimeError):
    """A lock or declaration failed (a failed init, a timeout, rigd refusing)."""


class LockLostError(LockError):
    """A lock was lost while held: rigd went away or ended its stream."""


class _RigdGone(LockError):
    """The rigd a lock call went to is gone (killed, stopping, unreachable)."""

    def __init__(self, message: str, stub: pb_grpc.LockServiceStub) -> None:
        super().__init__(message)
        self.stub = stub


#: How many times a waiting lock goes to the next rigd after the one it waited in went
#: away, and the pause before each try (times the attempt).
_RIGD_RECONNECTS = 5
_RIGD_RECONNECT_PAUSE = 0.2


def _went_away(error: grpc.RpcError, addr: str) -> bool:
    """Whether a failed call means its rigd is gone rather than that it refused: a dropped
    connection surfaces under several codes, so anything else asks rigd's health service."""
    return bool(error.code() == grpc.StatusCode.UNAVAILABLE or not probe(addr))


class _Requests:
    """The request side of a bidi stream: messages pushed from any thread, ended once."""

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue()

    def push(self, message: object) -> None:
        self._queue.put(message)

    def end(self) -> None:
        self._queue.put(self._END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            yield item


_stubs: dict[tuple[str, str], pb_grpc.LockServiceStub] = {}
_stubs_lock = threading.Lock()


def _stub(server: str | None, token: str | None) -> tuple[pb_grpc.LockServiceStub, str]:
    """One LockService stub (one channel) per rigd in this process, and its address."""
    rigd = explicit_rigd(server, token or "") if server else find_or_start_rigd()
    with _stubs_lock:
        key = (rigd.addr, rigd.token)
        if key not in _stubs:
            _stubs[key] = pb_grpc.LockServiceStub(rigd_channel(rigd))
        return _stubs[key], rigd.addr


def _location() -> str:
    """file:line of the first caller outside this module."""
    here = os.path.abspath(__file__)
    for frame in inspect.stack(context=0)[1:]:
        if os.path.abspath(frame.filename) != here:
            return f"{frame.filename}:{frame.lineno}"
    return ""


def _holder(location: str, test_name: str = "") -> pb.Holder:
    if not test_name:
        # pytest names the running test in the environment.
        test_name = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
    return pb.Holder(test_name=test_name, pid=os.getpid(), language="python", location=location)


_held: set[HeldLock] = set()
_held_lock = threading.Lock()


class HeldLock:
    """A held lock on one or more resources; a context manager that releases it."""

    def __init__(self, lock_id: str, resources: list[str], shared: bool, requests: _Requests, call: Any, addr: str) -> None:
        self.id = lock_id
        self._addr = addr
        self.resources = resources
        self.shared = shared
        self._requests = requests
        self._call = call
        self._released = False
        self._lost_error: LockLostError | None = None
        #: Set when the lock is lost while held.
        self.lost = threading.Event()
        self._ended = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name=f"rig-lock-{lock_id}", daemon=True)
        self._watcher.start()

    @property
    def held(self) -> bool:
        """Whether the lock is still held: not released, not lost."""
        return not self._released and self._lost_error is None

    def assert_held(self) -> None:
        """Raises :class:`LockLostError` when the lock was lost while held."""
        if self._lost_error is not None:
            raise self._lost_error

    def _watch(self) -> None:
        try:
            for response in self._call:
                if self._released and response.WhichOneof("kind") == "released":
                    continue
                self._lose(f"rigd sent {response.WhichOneof('kind')}")
            self._lose("rigd ended the stream")
        except grpc.RpcError as error:
            why = f"{error.code().name}: {error.details()}"
            if not self._released and _went_away(error, self._addr):
                why = f"rigd went away (killed or stopped; the lock is gone with it, take it again): {why}"
            self._lose(why)
        finally:
            self._ended.set()

    def _lose(self, why: str) -> None:
        if self._released or self._lost_error is not None:
            return
        self._lost_error = LockLostError(f"rig: lock on {', '.join(self.resources)} lost: {why}")
        self.lost.set()
        with _held_lock:
            _held.discard(self)

    def release(self, timeout: float = 5.0) -> None:
        """Releases the lock (idempotent) and returns once rigd has let it go."""
        if self._released or self._lost_error is not None:
            return
        self._released = True
        with _held_lock:
            _held.discard(self)
        self._requests.push(pb.AcquireRequest(release=pb.ReleaseRequest()))
        self._requests.end()
        # Cancelling the stream releases the lock as well.
        if not self._ended.wait(timeout):
            self._call.cancel()

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


class Resource:
    """A named resource shared by test processes, declared (and initialized) once."""

    def __init__(
        self,
        name: str,
        max_parallelism: int = 0,
        init: Callable[[], object] | None = None,
        init_key: str = "",
        server: str | None = None,
        token: str | None = None,
    ) -> None:
        self.name = name
        self.max_parallelism = max_parallelism
        self.init = init
        self.init_key = init_key
        self._server = server
        self._token = token
        self._declared = False
        self._declare_lock = threading.Lock()
        self._stub_: tuple[pb_grpc.LockServiceStub, str] | None = None

    def _stub(self) -> tuple[pb_grpc.LockServiceStub, str]:
        if self._stub_ is None:
            self._stub_ = _stub(self._server, self._token)
        return self._stub_

    def _forget(self, stub: pb_grpc.LockServiceStub) -> None:
        """Drops the declaration made through ``stub`` (its rigd went away)."""
        with self._declare_lock:
            if self._stub_ is not None and self._stub_[0] is stub:
                self._stub_ = None
                self._declared = False

    def declare(self, _location: str = "") -> pb_grpc.LockServiceStub:
        """Declares the resource in rigd and runs or waits for its init; lock() does it
        first. A failed declare (the init failed here) is tried again by the next call."""
        return self._declared_stub(_location)[0]

    def _declared_stub(self, location: str = "") -> tuple[pb_grpc.LockServiceStub, str]:
        with self._declare_lock:
            stub = self._stub()
            if not self._declared:
                _declare(stub[0], self, location or _location_outside())
                self._declared = True
            return stub

    def lock(self, timeout: float | None = None, test_name: str = "") -> HeldLock:
        """An exclusive lock: nobody else holds the resource until it is released.
        Waits (FIFO) at most ``timeout`` seconds (default: as long as it takes)."""
        return _acquire([self], pb.LOCK_MODE_EXCLUSIVE, timeout, test_name, _location())

    def rlock(self, timeout: float | None = None, test_name: str = "") -> HeldLock:
        """A shared lock, together with up to max_parallelism - 1 other holders."""
        return _acquire([self], pb.LOCK_MODE_SHARED, timeout, test_name, _location())

    def unlock(self) -> None:
        """Releases every lock this process holds on the resource."""
        with _held_lock:
            mine = [lock for lock in _held if self.name in lock.resources]
        for lock in mine:
            lock.release()


def _location_outside() -> str:
    return _location()


def resource(
    name: str,
    max_parallelism: int = 0,
    init: Callable[[], object] | None = None,
    init_key: str = "",
    server: str | None = None,
    token: str | None = None,
) -> Resource:
    """A resource shared by test processes: ``max_parallelism`` shared holders at once
    (0: rigd's default, 5; the first declaration wins), ``init`` run once across every
    process (the others wait; a failed init is handed to the next), remembered across
    rigd restarts under ``init_key`` when given. Nothing is sent until the first lock."""
    return Resource(name, max_parallelism, init, init_key, server, token)


def lock_all(resources: Sequence[Resource], shared: bool = False, timeout: float | None = None, test_name: str = "") -> HeldLock:
    """Locks several resources at once, atomically: {a, b} and {b, a} from two
    processes never deadlock."""
    if not resources:
        raise LockError("rig.lock_all: no resources")
    mode = pb.LOCK_MODE_SHARED if shared else pb.LOCK_MODE_EXCLUSIVE
    return _acquire(list(resources), mode, timeout, test_name, _location())


def _acquire(resources: list[Resource], mode: pb.LockMode.ValueType, timeout: float | None, test_name: str, location: str) -> HeldLock:
    deadline = None if timeout is None else time.monotonic() + timeout
    for attempt in range(1, _RIGD_RECONNECTS + 2):
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            return _acquire_once(resources, mode, left, test_name, location)
        except _RigdGone as gone:
            if attempt > _RIGD_RECONNECTS or (deadline is not None and time.monotonic() >= deadline):
                raise
            for r in resources:
                r._forget(gone.stub)
            time.sleep(_RIGD_RECONNECT_PAUSE * attempt)
    raise AssertionError("unreachable")


def _acquire_once(resources: list[Resource], mode: pb.LockMode.ValueType, timeout: float | None, test_name: str, location: str) -> HeldLock:
    """Asks one rigd for the lock; raises _RigdGone when that rigd went away meanwhile."""
    declared = [r._declared_stub(location) for r in resources]
    stub, addr = declared[0]
    names = [r.name for r in resources]
    requests = _Requests()
    requests.push(pb.AcquireRequest(lock=pb.LockRequest(resources=names, mode=mode, holder=_holder(location, test_name))))
    # No deadline on the call: it lives as long as the lock. The timeout only bounds the wait.
    call: Any = stub.Acquire(iter(requests))
    timed_out = threading.Event()

    def give_up() -> None:
        timed_out.set()
        call.cancel()

    timer = threading.Timer(timeout, give_up) if timeout is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        for response in call:
            if response.WhichOneof("kind") != "acquired":
                continue
            if timer is not None:
                timer.cancel()
                if timed_out.is_set():
                    break
            lock = HeldLock(response.acquired.lock_id, names, mode == pb.LOCK_MODE_SHARED, requests, call, addr)
            with _held_lock:
                _held.add(lock)
            return lock
    except grpc.RpcError as error:
        requests.end()
        if timed_out.is_set():
            raise TimeoutError(f"rig: no lock on {', '.join(names)} within {timeout} s") from None
        message = f"rig: locking {', '.join(names)}: {error.code().name}: {error.details()}"
        if _went_away(error, addr):
            raise _RigdGone(f"{message} (rigd went away)", stub) from error
        raise LockError(message) from error
    finally:
        if timer is not None:
            timer.cancel()
    requests.end()
    call.cancel()
    if timed_out.is_set():
        raise TimeoutError(f"rig: no lock on {', '.join(names)} within {timeout} s")
    raise _RigdGone(f"rig: rigd ended the lock request on {', '.join(names)}", stub)


def _declare(stub: pb_grpc.LockServiceStub, r: Resource, location: str) -> None:
    requests = _Requests()
    requests.push(
        pb.DeclareRequest(
            declare=pb.DeclareResource(
                resource=r.name,
                max_parallelism=r.max_parallelism,
                has_init=r.init is not None,
                init_key=r.init_key,
                holder=_holder(location),
            )
        )
    )
    call: Any = stub.Declare(iter(requests))
    try:
        for response in call:
            kind = response.WhichOneof("kind")
            if kind == "run_init":
                error = ""
                try:
                    if r.init is None:
                        raise LockError("rigd asked for an init this declarer does not have")
                    r.init()
                except Exception as err:  # noqa: BLE001 - any failure is handed to the next declarer
                    error = str(err) or type(err).__name__
                requests.push(pb.DeclareRequest(init_done=pb.InitDone(error=error)))
            elif kind == "ready":
                return
        raise LockError(f"rig: declaring {r.name}: rigd ended the stream before ready")
    except grpc.RpcError as error:
        message = f"rig: declaring {r.name}: {error.details()}"
        if r._stub_ is not None and _went_away(error, r._stub_[1]):
            raise _RigdGone(f"{message} (rigd went away)", stub) from error
        raise LockError(message) from error
    finally:
        requests.end()
        call.cancel()
