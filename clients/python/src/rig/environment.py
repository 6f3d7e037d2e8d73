"""Environments: ``rig.start(...)`` creates one and returns once every service is
ready; ``rig.up(...)`` does the same as a context manager that destroys it on exit."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypedDict, TypeVar, Unpack

import grpc

from rig.builders import Service
from rig.errors import DownError, SpecError, explained
from rig.signal_teardown import tear_down_on_signal, untrack
from rig.handlers import HandlerRegistry
from rig.ingress import duration
from rig.progress import UpProgress
from rig.rigd import Rigd, explicit_rigd, find_or_start_rigd, rigd_channel
from rig.service_operations import ServiceOperations
from rig.session import Session
from rig.suite_labels import suite_labels
from rig.v1 import environment_service_pb2 as api
from rig.v1 import environment_service_pb2_grpc as api_grpc
from rig.v1 import event_pb2, spec_pb2
from rig.wiring import DEFAULT_INGRESS, Endpoint, endpoints_from_proto

T = TypeVar("T")

#: How long start and up wait for environment.up by default, in seconds.
DEFAULT_STARTUP_TIMEOUT = 120.0
#: How long destroy waits for environment.down and for func services, in seconds.
_DESTROY_WAIT = 15.0


@dataclass(frozen=True)
class DestroyResult:
    """Where a run left its traces."""

    env_dir: str
    #: Service name to its temp dir.
    temp_dirs: Mapping[str, str]
    #: JSON-lines file of every event; ``log_path`` is the readable log.
    event_log_path: str
    log_path: str
    preserved: bool
    down: event_pb2.EnvironmentDown = field(default_factory=event_pb2.EnvironmentDown)
    #: When the test or the environment failed: what ``rig explain`` says of the run.
    diagnosis: str = ""


class Environment(ServiceOperations):
    """A running environment: every service is ready. Destroy it when done (``up``
    and the ``rig_up`` pytest fixture do that)."""

    def __init__(
        self, rigd: Rigd, channel: grpc.Channel, stub: api_grpc.EnvironmentServiceStub, created: api.CreateEnvironmentResponse, session: Session
    ) -> None:
        self._rigd = rigd
        self._channel = channel
        self.client = stub
        """The generated API stub, for calls the SDK does not wrap (GetEnvironment, GetLog);
        its channel is closed by destroy."""
        self.id = created.environment_id
        """The environment's instance id."""
        self.env_dir = created.env_dir
        """The scratch directory shared by the environment's services."""
        self._session = session
        self._endpoints: dict[str, dict[str, Endpoint]] = {}
        self._destroy_lock = threading.Lock()
        self._destroying = False
        self._destroyed: DestroyResult | None = None

    def endpoint(self, service: str, ingress: str | None = None) -> Endpoint:
        """An ingress of a service: the named one, else its only or default one."""
        ingresses = self._endpoints.get(service)
        if ingresses is None:
            raise LookupError(f"rig: environment {self.id} has no service {service!r} (has {sorted(self._endpoints)})")
        if ingress is None:
            if len(ingresses) == 1:
                return next(iter(ingresses.values()))
            ingress = DEFAULT_INGRESS
        try:
            return ingresses[ingress]
        except KeyError:
            raise LookupError(f"rig: service {service!r} has no ingress {ingress!r} (has {sorted(ingresses)})") from None

    @property
    def services(self) -> list[str]:
        """Services with endpoints, sorted."""
        return sorted(self._endpoints)

    def events(self) -> list[event_pb2.Event]:
        """Every event of the environment so far, read from rigd, in order, service output
        excluded: lifecycle, the traffic its proxies recorded, notes. Read on demand (the
        SDK's own stream leaves traffic out, so a test under load costs nothing until it
        asks); works after destroy too, while rigd remembers the run (rigd --retention)."""
        def read(stub: api_grpc.EnvironmentServiceStub) -> list[event_pb2.Event]:
            log = stub.GetLog(api.GetLogRequest(environment_id=self.id), timeout=60)
            return [r.event for r in log if r.HasField("event") and r.event.WhichOneof("payload") != "service_log"]

        return self._call(read)

    def _call(self, call: Callable[[api_grpc.EnvironmentServiceStub], T]) -> T:
        """Runs ``call`` with the environment's stub, or, once destroy closed its channel,
        with one of its own (grpcio crashes the process on a call over a closed channel)."""
        if self._destroyed is None:
            return call(self.client)
        channel = rigd_channel(self._rigd)
        try:
            return call(api_grpc.EnvironmentServiceStub(channel))
        finally:
            channel.close()

    @property
    def error(self) -> DownError | None:
        """Why the environment went down on its own (a service crashed, the TTL
        passed, rigd stopped), or None while it is up or once destroyed by us."""
        down = self._session.down_message
        if down is None or self._destroying:
            return None
        return DownError.from_proto(self.id, down)

    def note(self, message: str, level: str = "info") -> None:
        """Records a note from the test in the environment's log (test.note)."""
        self.client.PostEvent(api.PostEventRequest(environment_id=self.id, test_note=event_pb2.TestNote(message=message, level=level)), timeout=10)

    def destroy(self, *, test_failed: bool = False, preserve: bool = False, reason: str = "") -> DestroyResult:
        """Tears the environment down in reverse dependency order and waits until its
        func services stopped. Runs once; later calls return the first result."""
        with self._destroy_lock:
            return self._destroy_locked(test_failed=test_failed, preserve=preserve, reason=reason)

    def _destroy_on_signal(self, reason: str) -> None:
        """Destroys the environment from a signal handler, unless a destroy is under
        way (possibly on the very thread the handler interrupted)."""
        if not self._destroy_lock.acquire(blocking=False):
            return
        try:
            self._destroy_locked(test_failed=False, preserve=False, reason=reason)
        finally:
            self._destroy_lock.release()

    def explain(self) -> str:
        """What ``rig explain`` says of this environment, as plain text: its outcome, the
        failing service with its output tail, the test's notes, traffic errors, stall
        reports and the time each service spent in each phase."""
        request = api.ExplainEnvironmentRequest(environment_id=self.id)
        return self._call(lambda stub: str(stub.ExplainEnvironment(request, timeout=5).text))

    def _explain(self) -> str:
        try:
            return self.explain()
        except grpc.RpcError:
            return ""

    def _destroy_locked(self, *, test_failed: bool, preserve: bool, reason: str) -> DestroyResult:
        if self._destroyed is not None:
            return self._destroyed
        self._destroying = True
        # Output of func services reaches the log only while the environment lives.
        self._session.logs.flush()
        try:
            response = self.client.DestroyEnvironment(
                api.DestroyEnvironmentRequest(environment_id=self.id, test_failed=test_failed, preserve=preserve, reason=reason),
                timeout=120,
            )
            # Func services stop on service.stopping; environment.down ends the stream.
            self._session.down.wait(_DESTROY_WAIT)
            failed = test_failed or response.down.reason == event_pb2.DOWN_REASON_FAILED
            diagnosis = self._explain() if failed else ""
        finally:
            untrack(self)
            self._session.close(_DESTROY_WAIT)
            self._channel.close()
        self._destroyed = DestroyResult(
            env_dir=response.env_dir,
            temp_dirs=dict(response.temp_dirs),
            event_log_path=response.event_log_path,
            log_path=response.log_path,
            preserved=response.preserved,
            down=response.down,
            diagnosis=diagnosis,
        )
        return self._destroyed

    def __enter__(self) -> Environment:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.destroy(test_failed=exc is not None)


def start(
    services: Mapping[str, Service],
    *,
    name: str = "",
    observe: bool = True,
    dir: str | None = None,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    ttl: float | None = None,
    orphan_grace: float | None = None,
    callback_timeout: float | None = None,
    stall_timeout: float | None = None,
    server: str | None = None,
    token: str | None = None,
) -> Environment:
    """Creates an environment and returns once every service is ready.

    Raises :class:`rig.SpecError` listing every problem when rigd rejects the spec,
    :class:`rig.DownError` naming the failed service when the environment goes
    down instead, ``TimeoutError`` with rigd's last progress report when it is not up
    within ``startup_timeout`` seconds; either way nothing is left running. ``observe``
    (default on) records the traffic between services as events; ``server`` is a rigd
    address (default: RIG_SERVER, else found or started, see :func:`rig.find_or_start_rigd`);
    ``token`` its token (default RIG_TOKEN, else RIG_DIR's token file when it names ``server``).
    Durations are in seconds."""
    spec, handlers = build_spec(
        services,
        name=name,
        observe=observe,
        dir=dir,
        ttl=ttl,
        orphan_grace=orphan_grace,
        callback_timeout=callback_timeout,
        stall_timeout=stall_timeout,
    )
    # Past 2 s, stderr says what startup waits for (quiet with RIG_QUIET).
    progress = UpProgress(spec.name)
    try:
        return _start(spec, handlers, progress, startup_timeout=startup_timeout, server=server, token=token)
    finally:
        progress.stop()


def _start(
    spec: spec_pb2.EnvironmentSpec,
    handlers: HandlerRegistry,
    progress: UpProgress,
    *,
    startup_timeout: float,
    server: str | None,
    token: str | None,
) -> Environment:
    rigd = explicit_rigd(server, token or "") if server else find_or_start_rigd()
    channel = rigd_channel(rigd)
    stub = api_grpc.EnvironmentServiceStub(channel)
    try:
        created = stub.CreateEnvironment(api.CreateEnvironmentRequest(spec=spec), timeout=60)
    except grpc.RpcError as error:
        channel.close()
        spec_error = SpecError.from_rpc_error(error)
        if spec_error is not None:
            raise spec_error from None
        raise
    env = Environment(rigd, channel, stub, created, Session(stub, created.environment_id, handlers, progress))
    # From creation on (an interrupted startup too), Ctrl-C or SIGTERM destroys it.
    tear_down_on_signal(env)
    session = env._session

    deadline = time.monotonic() + startup_timeout
    while not (session.up.is_set() or session.down.is_set()) and time.monotonic() < deadline:
        session.down.wait(min(0.05, max(0.0, deadline - time.monotonic())))
    if session.up.is_set() and session.up_message is not None:
        env._endpoints = {name: endpoints_from_proto(s.ingresses) for name, s in session.up_message.services.items()}
        return env
    if session.down.is_set() and session.down_message is not None:
        failure = DownError.from_proto(env.id, session.down_message)
        try:
            result = env.destroy(reason="environment went down while starting")
            failure.log_path, failure.diagnosis = result.log_path, result.diagnosis
        except grpc.RpcError:
            pass
        raise failure
    message = f"rig: environment {env.id} not up after {startup_timeout:g}s{_stall_report(session.stall)}"
    result = env.destroy(test_failed=True, reason=message)
    raise TimeoutError(message + explained(result.diagnosis))


class StartOptions(TypedDict, total=False):
    """The keyword options of :func:`start`, for functions that pass them on."""

    name: str
    observe: bool
    dir: str | None
    startup_timeout: float
    ttl: float | None
    orphan_grace: float | None
    callback_timeout: float | None
    stall_timeout: float | None
    server: str | None
    token: str | None


@contextmanager
def up(services: Mapping[str, Service], **options: Unpack[StartOptions]) -> Iterator[Environment]:
    """``with rig.up({...}) as env:`` brings an environment up for the block and
    destroys it afterwards, recording whether the block raised. Takes the options of
    :func:`start`."""
    env = start(services, **options)
    failed = True
    try:
        yield env
        failed = False
    finally:
        env.destroy(test_failed=failed)


def build_spec(
    services: Mapping[str, Service],
    *,
    name: str = "",
    observe: bool = True,
    dir: str | None = None,
    ttl: float | None = None,
    orphan_grace: float | None = None,
    callback_timeout: float | None = None,
    stall_timeout: float | None = None,
) -> tuple[spec_pb2.EnvironmentSpec, HandlerRegistry]:
    """The API spec of an environment and the closures it names."""
    if not services:
        raise ValueError("rig: an environment needs at least one service")
    handlers = HandlerRegistry()
    spec = spec_pb2.EnvironmentSpec(
        name=environment_name(name) if name else "",
        observe=observe,
        dir=dir or os.getcwd(),
        host_env={k: v for k, v in os.environ.items() if k != "RIG_TOKEN"},
        labels=suite_labels(),
    )
    # Sorted so the spec (and handler names) do not depend on insertion order.
    for service_name in sorted(services):
        definition = services[service_name]
        if not isinstance(definition, Service):
            raise TypeError(f"rig: service {service_name!r} is {definition!r}, not a rig service (rig.process(...), ...)")
        spec.services.append(definition.to_proto(service_name, handlers))
    for field_name, seconds in (("ttl", ttl), ("orphan_grace", orphan_grace), ("callback_timeout", callback_timeout), ("stall_timeout", stall_timeout)):
        if seconds is not None:
            getattr(spec, field_name).CopyFrom(duration(seconds))
    return spec, handlers


_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def environment_name(text: str) -> str:
    """Makes a test name fit rigd's rule: 1-63 letters, digits, '.', '-' or '_',
    starting with a letter or digit."""
    name = _NAME_UNSAFE.sub("-", text).strip("-._")
    if len(name) > 63:
        name = name[:63].rstrip("-._")
    return name or "env"


def _stall_report(stall: event_pb2.ProgressStall | None) -> str:
    if stall is None:
        return ""
    lines = [f": {stall.message}"]
    for s in stall.services:
        line = f"  {s.service}: {s.phase}"
        if s.waiting_for:
            line += f", waiting for {s.waiting_for}"
        lines.append(line)
        lines.extend(f"    | {log}" for log in s.last_log_lines)
    return "\n".join(lines)
