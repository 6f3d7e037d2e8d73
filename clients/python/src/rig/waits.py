"""Readiness conditions beyond the protocol check, for ``waits=[...]`` of an ingress:
``rig.http(container_port=80, ready=False, waits=[rig.waits.log("started")])``. The
ingress is ready once its check (unless ``ready=False``) and every wait hold."""

from __future__ import annotations

from rig.v1 import spec_pb2


def log(pattern: str, times: int = 1) -> spec_pb2.Wait:
    """The ``times``-th line of the service's output matching ``pattern`` (a JavaScript
    regular expression)."""
    return spec_pb2.Wait(log=spec_pb2.LogWait(pattern=pattern, times=times))


def command(*command: str, on_host: bool = False) -> spec_pb2.Wait:
    """``command`` exits 0: inside a container service (unless ``on_host``), else on the
    host with the service's wiring."""
    return spec_pb2.Wait(command=spec_pb2.CommandWait(command=command, on_host=on_host))


def http(path: str = "/", *, status: int = 0, body: str = "", method: str = "") -> spec_pb2.Wait:
    """``path`` answers ``status`` (default any 2xx) with a body matching ``body``."""
    return spec_pb2.Wait(http=spec_pb2.HttpWait(path=path, status=status, body_pattern=body, method=method))


def healthcheck() -> spec_pb2.Wait:
    """The container image's own HEALTHCHECK reports healthy."""
    return spec_pb2.Wait(healthcheck=spec_pb2.HealthcheckWait())
