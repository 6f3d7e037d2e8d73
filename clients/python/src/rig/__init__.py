"""rig for Python: bring up test environments through rigd, the rig daemon.

A test declares the services it needs and how they depend on each other; rigd builds,
starts, wires, health-checks and tears them down::

    import rig

    with rig.up({
        "db": rig.postgres(),
        "api": rig.process("./api").egress("db"),
    }) as env:
        requests.get(env.endpoint("api").url + "/health")

Hooks and func services are Python callables, run in threads of the test process
when rigd asks for them through the callback protocol (SPEC §8). The generated
protobuf messages and grpcio stubs live in ``rig.v1``. With pytest, the ``rig_up``
fixture (``rig.pytest_plugin``) destroys environments after the test and records
whether it failed.
"""

from __future__ import annotations

import pkgutil

# The generated package rig.v1 lives in its own directory (clients/python/gen, which
# `buf generate` owns and cleans); in a checkout both directories are on sys.path and
# this joins them into one package. An installed wheel has them merged already.
__path__ = pkgutil.extend_path(__path__, __name__)

from rig.leased import S3Service, SqsService, TemporalService, s3, sqs, temporal  # noqa: E402
from rig.builders import (  # noqa: E402
    ContainerService,
    FuncService,
    KafkaService,
    PostgresService,
    ProcessService,
    RedisService,
    Service,
    container,
    func,
    kafka,
    postgres,
    process,
    redis,
)
from rig.environment import (  # noqa: E402
    DEFAULT_STARTUP_TIMEOUT,
    DestroyResult,
    Environment,
    StartOptions,
    build_spec,
    start,
    up,
)
from rig.errors import DownError, SpecError, SpecProblem  # noqa: E402
from rig import waits  # noqa: E402
from rig.image_build import ImageBuild, build  # noqa: E402
from rig.service_operations import ExecResult, LogLine  # noqa: E402
from rig.handlers import FuncContext, FuncFn, HookContext, HookFn  # noqa: E402
from rig.ingress import Ingress, grpc, http, tcp  # noqa: E402
from rig.locks import HeldLock, LockError, LockLostError, Resource, lock_all, resource  # noqa: E402
from rig.programs import GoService, NodeService, go, node  # noqa: E402
from rig.rigd import RIGD_VERSION, Rigd, RigdError, find_or_start_rigd, rigd_channel  # noqa: E402
from rig.wiring import DEFAULT_INGRESS, Endpoint, Wiring  # noqa: E402

__all__ = [
    "HeldLock",
    "LockError",
    "LockLostError",
    "Resource",
    "lock_all",
    "resource",
    "DEFAULT_INGRESS",
    "DEFAULT_STARTUP_TIMEOUT",
    "RIGD_VERSION",
    "ContainerService",
    "DestroyResult",
    "DownError",
    "SpecError",
    "SpecProblem",
    "Endpoint",
    "Environment",
    "FuncContext",
    "FuncFn",
    "FuncService",
    "S3Service",
    "SqsService",
    "TemporalService",
    "temporal",
    "s3",
    "sqs",
    "GoService",
    "NodeService",
    "go",
    "node",
    "HookContext",
    "HookFn",
    "Ingress",
    "KafkaService",
    "PostgresService",
    "ProcessService",
    "RedisService",
    "Rigd",
    "RigdError",
    "Service",
    "StartOptions",
    "Wiring",
    "ExecResult",
    "ImageBuild",
    "LogLine",
    "build",
    "build_spec",
    "waits",
    "container",
    "find_or_start_rigd",
    "rigd_channel",
    "func",
    "grpc",
    "http",
    "kafka",
    "postgres",
    "process",
    "redis",
    "start",
    "tcp",
    "up",
]
