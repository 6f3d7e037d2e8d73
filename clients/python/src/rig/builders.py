"""Service builders: ``rig.process(...)``, ``rig.container(...)``, ``rig.postgres()``,
``rig.redis()``, ``rig.kafka()`` and ``rig.func(fn)``, each with the methods that make
sense for its type, chained: ``rig.process("./api").egress("db").env(MODE="test")``."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Generic, Self, TypeVar

from rig.handlers import FuncFn, HandlerRegistry, HookFn
from rig.image_build import ImageBuild
from rig.ingress import Ingress, duration
from rig.v1 import spec_pb2

_Hook = HookFn | spec_pb2.Hook


class Service(ABC):
    """What every service type shares: ingresses, egresses and hooks."""

    def __init__(self) -> None:
        self._ingresses: list[Ingress] = []
        self._no_ingress = False
        self._egresses: list[spec_pb2.Egress] = []
        self._prestart: list[_Hook] = []
        self._init: list[_Hook] = []
        self._requires: dict[str, bool] = {}

    def egress(self, service: str, *, ingress: str = "", name: str = "") -> Self:
        """Depends on an ingress of another service (its only or default one unless
        named): this service starts once that one is ready and is wired with its
        endpoint under ``name`` (default: the service's name; "db" gives DB_HOST)."""
        self._egresses.append(spec_pb2.Egress(name=name, service=service, ingress=ingress))
        return self

    def ingress(self, ingress: Ingress) -> Self:
        """Declares a port the service listens on (see :func:`rig.http`); without any,
        the service gets its type's default ingress."""
        self._ingresses.append(ingress)
        return self

    def no_ingress(self) -> Self:
        """Declares that the service listens on nothing (a worker)."""
        self._no_ingress = True
        return self

    def requires(self, resource: str, *, shared: bool = False) -> Self:
        """Holds ``resource`` (a :func:`rig.resource` / LockService name) while the
        service runs, alone unless ``shared``: it starts once it holds every resource it
        requires, queueing behind test processes and other environments, and lets them
        go when it stops."""
        self._requires[resource] = shared
        return self

    def prestart(self, fn: HookFn) -> Self:
        """Runs ``fn`` once the service's egresses are ready and its ports allocated,
        before it starts: the place to write config files or seed dependencies."""
        self._prestart.append(fn)
        return self

    def init(self, fn: HookFn) -> Self:
        """Runs ``fn`` once the service is healthy, before it is marked ready."""
        self._init.append(fn)
        return self

    def to_proto(self, name: str, handlers: HandlerRegistry) -> spec_pb2.Service:
        """The API message; closures are registered under names unique in the
        environment (``<service>.<phase>.<index>``, ``<service>.start``)."""
        message = spec_pb2.Service(
            name=name,
            no_ingress=self._no_ingress,
            ingresses=[i.to_proto() for i in self._ingresses],
            egresses=self._egresses,
            prestart=_hooks(name, "prestart", self._prestart, handlers),
            init=_hooks(name, "init", self._init, handlers),
            requires=[spec_pb2.ResourceRequirement(resource=r, shared=s) for r, s in self._requires.items()],
        )
        self._configure(message, name, handlers)
        return message

    @abstractmethod
    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        """Sets the type's config on the message."""


def _hooks(service: str, phase: str, hooks: list[_Hook], handlers: HandlerRegistry) -> list[spec_pb2.Hook]:
    out: list[spec_pb2.Hook] = []
    for index, hook in enumerate(hooks):
        if isinstance(hook, spec_pb2.Hook):
            out.append(hook)
            continue
        if not callable(hook):
            raise TypeError(f"rig: {phase} hook {index} of {service!r} is not callable")
        name = f"{service}.{phase}.{index}"
        handlers.add_hook(name, hook)
        out.append(spec_pb2.Hook(client_func=spec_pb2.ClientFuncHook(name=name)))
    return out


_Program = TypeVar("_Program", spec_pb2.ProcessConfig, spec_pb2.GoConfig, spec_pb2.NodeConfig)


class HostProgram(Service, Generic[_Program]):
    """What every program run on the host shares (process, Go, Node): arguments,
    environment, working directory and stop grace, on a config message with those
    fields (``self._config``)."""

    _config: _Program

    def args(self, *args: str) -> Self:
        """Appends arguments; ``${VAR}`` references the wiring, e.g. ``${PORT}``."""
        self._config.args.extend(args)
        return self

    def env(self, **variables: str) -> Self:
        """Sets environment variables (under the wiring variables, which win)."""
        self._config.env.update(variables)
        return self

    def dir(self, directory: str) -> Self:
        """Working directory; relative paths resolve against the test's, the default."""
        self._config.dir = directory
        return self

    def stop_grace(self, seconds: float) -> Self:
        """Time between SIGTERM and SIGKILL at teardown (default 5 s)."""
        self._config.stop_grace.CopyFrom(duration(seconds))
        return self


class ProcessService(HostProgram[spec_pb2.ProcessConfig]):
    """Runs any executable on the host; default ingress "default", http. The process
    gets its wiring as environment variables (HOST, PORT, DB_HOST, ..., RIG_WIRING)
    over the test process's own environment."""

    def __init__(self, command: str, args: tuple[str, ...]) -> None:
        super().__init__()
        self._config = spec_pb2.ProcessConfig(command=command, args=args)

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.process.CopyFrom(self._config)


class ContainerService(Service):
    """Runs a Docker container with its ports mapped to host ports; default ingress
    "default", http (set the port inside with ``rig.http(container_port=80)``)."""

    def __init__(self, image: str | ImageBuild) -> None:
        super().__init__()
        if isinstance(image, ImageBuild):
            self._config = spec_pb2.ContainerConfig(build=image.to_proto())
        else:
            self._config = spec_pb2.ContainerConfig(image=image)

    def cmd(self, *cmd: str) -> Self:
        """Replaces the image's command."""
        del self._config.cmd[:]
        self._config.cmd.extend(cmd)
        return self

    def entrypoint(self, *entrypoint: str) -> Self:
        """Replaces the image's entrypoint."""
        del self._config.entrypoint[:]
        self._config.entrypoint.extend(entrypoint)
        return self

    def env(self, **variables: str) -> Self:
        """Sets environment variables of the container (under the wiring variables)."""
        self._config.env.update(variables)
        return self

    def stop_timeout(self, seconds: float) -> Self:
        """Time between the stop signal and kill (default 5 s)."""
        self._config.stop_timeout.CopyFrom(duration(seconds))
        return self

    def shared(self, key: str, *, reset: Sequence[Sequence[str]] = (), idle_timeout: float | None = None, reuse: bool = False) -> Self:
        """Shares one container among the environments that name ``key`` with an
        identical definition, one at a time: ``reset`` commands run between leases, the
        container goes after ``idle_timeout`` seconds without a lease (default 60), and
        with ``reuse`` it outlives rigd and a later rigd adopts it. Every ingress needs
        its ``container_port``; a shared container has no egresses."""
        shared = spec_pb2.SharedContainer(key=key, reuse=reuse, reset_commands=[spec_pb2.ExecHook(command=list(c)) for c in reset])
        if idle_timeout is not None:
            shared.idle_timeout.CopyFrom(duration(idle_timeout))
        self._config.shared.CopyFrom(shared)
        return self

    def init_exec(self, *command: str) -> Self:
        """Runs a command inside the container once it is healthy."""
        self._init.append(spec_pb2.Hook(exec=spec_pb2.ExecHook(command=command)))
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.container.CopyFrom(self._config)


_RUNTIMES = {
    "auto": spec_pb2.RUNTIME_UNSPECIFIED,
    "docker": spec_pb2.RUNTIME_DOCKER,
    "host": spec_pb2.RUNTIME_HOST,
}


def _runtime(runtime: str) -> spec_pb2.Runtime.ValueType:
    if runtime not in _RUNTIMES:
        raise ValueError(f'runtime must be "auto", "docker" or "host", not {runtime!r}')
    return _RUNTIMES[runtime]


class PostgresService(Service):
    """A database of its own on a Postgres server shared by the environments of one
    rigd; its endpoint carries PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE."""

    def __init__(self, image: str) -> None:
        super().__init__()
        self._image = image
        self._runtime: spec_pb2.Runtime.ValueType = spec_pb2.RUNTIME_UNSPECIFIED

    def runtime(self, runtime: str) -> Self:
        """How the pooled server runs: ``"docker"`` (a container from the image),
        ``"host"`` (the host's binaries as children of rigd, no Docker needed) or
        ``"auto"`` (the default: Docker when an engine answers, else the host)."""
        self._runtime = _runtime(runtime)
        return self

    def init_sql(self, *statements: str) -> Self:
        """Runs SQL statements against the service's database once it is ready."""
        self._init.append(spec_pb2.Hook(sql=spec_pb2.SqlHook(statements=statements)))
        return self

    def init_exec(self, *command: str) -> Self:
        """Runs a command inside the Postgres container once it is ready."""
        self._init.append(spec_pb2.Hook(exec=spec_pb2.ExecHook(command=command)))
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.postgres.CopyFrom(spec_pb2.PostgresConfig(image=self._image or os.environ.get("RIG_POSTGRES_IMAGE", ""), runtime=self._runtime))


class RedisService(Service):
    """A database number of its own on a Redis server shared by the environments of
    one rigd, flushed when released; its endpoint carries REDIS_URL."""

    def __init__(self, image: str) -> None:
        super().__init__()
        self._image = image
        self._runtime: spec_pb2.Runtime.ValueType = spec_pb2.RUNTIME_UNSPECIFIED

    def runtime(self, runtime: str) -> Self:
        """How the pooled server runs: ``"docker"`` (a container from the image),
        ``"host"`` (the host's binaries as children of rigd, no Docker needed) or
        ``"auto"`` (the default: Docker when an engine answers, else the host)."""
        self._runtime = _runtime(runtime)
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.redis.CopyFrom(spec_pb2.RedisConfig(image=self._image or os.environ.get("RIG_REDIS_IMAGE", ""), runtime=self._runtime))


class KafkaService(Service):
    """A topic prefix of its own on the Apache Kafka broker shared by the environments
    of one rigd (or a broker of its own with :meth:`dedicated_cluster`), with a
    Confluent-compatible schema registry. Its endpoint carries KAFKA_BROKERS (bootstrap
    servers), KAFKA_TOPIC_PREFIX and SCHEMA_REGISTRY_URL; every topic and consumer group
    under the prefix is deleted when the environment goes down."""

    def __init__(self) -> None:
        super().__init__()
        self._config = spec_pb2.KafkaConfig()

    def topic(self, name: str, partitions: int = 1) -> Self:
        """Creates KAFKA_TOPIC_PREFIX + ``name`` before the service is ready."""
        self._config.topics.append(spec_pb2.KafkaTopic(name=name, partitions=partitions))
        return self

    def avro_schema(self, subject: str, schema: str | Mapping[str, object]) -> Self:
        """Registers an Avro schema (JSON text or a dict) under KAFKA_TOPIC_PREFIX +
        ``subject`` (e.g. ``orders-value``) before the service is ready."""
        text = schema if isinstance(schema, str) else json.dumps(schema)
        self._config.avro_schemas.append(spec_pb2.KafkaAvroSchema(subject=subject, schema=text))
        return self

    def dedicated_cluster(self) -> Self:
        """A broker of its own (no prefix) instead of a prefix on the shared broker;
        slower to start."""
        self._config.dedicated_cluster = True
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.kafka.CopyFrom(self._config)


class FuncService(Service):
    """A service run inside the test process: rigd allocates its ports, checks its
    readiness and wires it like any other, and asks the test to start it."""

    def __init__(self, fn: FuncFn) -> None:
        super().__init__()
        if not callable(fn):
            raise TypeError("rig.func needs a callable")
        self._fn = fn

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        handler = f"{name}.start"
        handlers.add_start(handler, self._fn)
        message.client.CopyFrom(spec_pb2.ClientConfig(start_handler=handler))


def process(command: str, *args: str) -> ProcessService:
    """A process service: ``rig.process("./server", "--port", "${PORT}")``."""
    return ProcessService(command, args)


def container(image: str | ImageBuild) -> ContainerService:
    """A container service running ``image``, or the image ``rig.build(...)`` builds."""
    return ContainerService(image)


def postgres(image: str = "") -> PostgresService:
    """A postgres service (one pooled server per image). Without ``image``: the test
    process's RIG_POSTGRES_IMAGE when set, else rigd's default."""
    return PostgresService(image)


def redis(image: str = "") -> RedisService:
    """A redis service (one pooled server per image). Without ``image``: the test
    process's RIG_REDIS_IMAGE when set, else rigd's default."""
    return RedisService(image)


def kafka() -> KafkaService:
    """A kafka service: a topic prefix on rigd's pooled Kafka broker, with a schema
    registry."""
    return KafkaService()


def func(fn: FuncFn) -> FuncService:
    """A func service run by ``fn`` in the test process (see :data:`rig.FuncFn`)."""
    return FuncService(fn)
