"""Ingress declarations: the ports a service listens on, with their protocol,
readiness check and static attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from google.protobuf import duration_pb2

from rig.v1 import spec_pb2


@dataclass(frozen=True)
class Ingress:
    """A port a service listens on. Made by :func:`http`, :func:`tcp` or :func:`grpc`."""

    protocol: spec_pb2.Protocol.ValueType
    name: str = ""
    ready_path: str | None = None
    ready_timeout: float | None = None
    ready: bool = True
    attributes: Mapping[str, str] = field(default_factory=dict)
    container_port: int = 0
    waits: tuple[spec_pb2.Wait, ...] = ()

    def to_proto(self) -> spec_pb2.Ingress:
        """The API message."""
        message = spec_pb2.Ingress(
            name=self.name,
            protocol=self.protocol,
            attributes=dict(self.attributes),
            container_port=self.container_port,
        )
        if self.ready_path is not None or self.ready_timeout is not None or not self.ready or self.waits:
            readiness = message.ready
            if not self.ready:
                readiness.kind = spec_pb2.READINESS_KIND_NONE
            elif self.ready_path is not None:
                readiness.kind = spec_pb2.READINESS_KIND_HTTP
                readiness.http_path = self.ready_path
            if self.ready_timeout is not None:
                readiness.timeout.CopyFrom(duration(self.ready_timeout))
            readiness.waits.extend(self.waits)
        return message


def duration(seconds: float) -> duration_pb2.Duration:
    """A protobuf Duration of ``seconds``."""
    d = duration_pb2.Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


def http(
    name: str = "",
    *,
    ready_path: str | None = None,
    ready_timeout: float | None = None,
    ready: bool = True,
    attributes: Mapping[str, str] | None = None,
    container_port: int = 0,
    waits: Sequence[spec_pb2.Wait] = (),
) -> Ingress:
    """An HTTP ingress; ready once ``GET ready_path`` (default ``/``) answers below 500.

    ``name`` defaults to "default" (wired as HOST and PORT); ``ready=False`` skips the
    readiness check; attribute values may use ``${HOST}``, ``${PORT}``, ``${HOSTPORT}``;
    ``container_port`` is the port inside a container; ``waits`` (:mod:`rig.waits`) are
    conditions that must hold too (only them with ``ready=False``)."""
    return Ingress(spec_pb2.PROTOCOL_HTTP, name, ready_path, ready_timeout, ready, dict(attributes or {}), container_port, tuple(waits))


def tcp(
    name: str = "",
    *,
    ready_timeout: float | None = None,
    ready: bool = True,
    attributes: Mapping[str, str] | None = None,
    container_port: int = 0,
    waits: Sequence[spec_pb2.Wait] = (),
) -> Ingress:
    """A TCP ingress; ready once it accepts a connection."""
    return Ingress(spec_pb2.PROTOCOL_TCP, name, None, ready_timeout, ready, dict(attributes or {}), container_port, tuple(waits))


def grpc(
    name: str = "",
    *,
    ready_timeout: float | None = None,
    ready: bool = True,
    attributes: Mapping[str, str] | None = None,
    container_port: int = 0,
    waits: Sequence[spec_pb2.Wait] = (),
) -> Ingress:
    """A gRPC ingress; ready once ``grpc.health.v1.Health/Check`` says SERVING."""
    return Ingress(spec_pb2.PROTOCOL_GRPC, name, None, ready_timeout, ready, dict(attributes or {}), container_port, tuple(waits))
