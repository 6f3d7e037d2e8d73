"""Endpoints and wiring as a test sees them: resolved ingresses with ready-made
``host_port`` and ``url``, and what a service is told about itself (SPEC §7).

A service started by rig reads its own wiring with :func:`from_env`::

    from rig import wiring

    w = wiring.from_env()               # RIG_WIRING, set by rigd
    serve(w.ingress().host, w.ingress().port)
    db_url = w.egress("db").postgres_url()
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rig.endpoint_urls import postgres_url, redis_url
from rig.v1 import event_pb2, spec_pb2

DEFAULT_INGRESS = "default"

_PROTOCOL_NAMES = {
    spec_pb2.PROTOCOL_TCP: "tcp",
    spec_pb2.PROTOCOL_HTTP: "http",
    spec_pb2.PROTOCOL_GRPC: "grpc",
    spec_pb2.PROTOCOL_KAFKA: "kafka",
}


@dataclass(frozen=True)
class Endpoint:
    """A resolved ingress. Attribute values have ``${HOST}``, ``${PORT}`` and
    ``${HOSTPORT}`` already resolved (e.g. PGUSER, REDIS_URL)."""

    host: str
    port: int
    #: "tcp", "http", "grpc" or "kafka".
    protocol: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def host_port(self) -> str:
        """``host:port`` (IPv6 hosts in brackets), for sockets and gRPC targets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """``http://host:port`` for http and grpc ingresses, ``tcp://`` for tcp,
        ``kafka://`` for kafka."""
        scheme = "http" if self.protocol in ("http", "grpc", "") else self.protocol
        return f"{scheme}://{self.host_port}"

    def postgres_url(self) -> str:
        """A ``postgres://`` connection string for an endpoint of a postgres service (for
        psycopg, asyncpg, SQLAlchemy): this endpoint's host and port with the rest of the
        published DATABASE_URL (``?sslmode=disable``), or of PGUSER, PGPASSWORD and
        PGDATABASE. Raises ``LookupError`` when neither is published."""
        return postgres_url(self.host_port, self.attributes)

    def redis_url(self) -> str:
        """A ``redis://`` URL for an endpoint of a redis service: this endpoint's host and
        port with the database number (and credentials) of the published REDIS_URL, or
        ``redis://host:port`` without one."""
        return redis_url(self.host_port, self.attributes)

    @staticmethod
    def from_proto(message: event_pb2.Endpoint) -> Endpoint:
        """Converts an API endpoint message."""
        return Endpoint(
            host=message.host,
            port=message.port,
            protocol=_PROTOCOL_NAMES.get(message.protocol, "tcp"),
            attributes=dict(message.attributes),
        )


def endpoints_from_proto(messages: Mapping[str, event_pb2.Endpoint]) -> dict[str, Endpoint]:
    """Converts a map of endpoint messages (ingresses or egresses)."""
    return {name: Endpoint.from_proto(m) for name, m in messages.items()}


@dataclass(frozen=True)
class Wiring:
    """What a service is told about itself and its egresses: its endpoints, the
    endpoints it depends on (by egress name) and its scratch directories."""

    ingresses: Mapping[str, Endpoint]
    egresses: Mapping[str, Endpoint]
    #: The service's own temp dir.
    temp_dir: str
    #: The directory shared by the whole environment.
    env_dir: str

    def ingress(self, name: str = DEFAULT_INGRESS) -> Endpoint:
        """The ingress called ``name`` (the default ingress unless named)."""
        try:
            return self.ingresses[name]
        except KeyError:
            raise LookupError(f"rig: no ingress {name!r} in the wiring (have {sorted(self.ingresses)})") from None

    def egress(self, name: str) -> Endpoint:
        """The egress called ``name`` (the target service's name unless renamed)."""
        try:
            return self.egresses[name]
        except KeyError:
            raise LookupError(f"rig: no egress {name!r} in the wiring (have {sorted(self.egresses)})") from None

    @staticmethod
    def from_proto(message: event_pb2.Wiring) -> Wiring:
        """Converts an API wiring message."""
        return Wiring(
            ingresses=endpoints_from_proto(message.ingresses),
            egresses=endpoints_from_proto(message.egresses),
            temp_dir=message.temp_dir,
            env_dir=message.env_dir,
        )


#: The environment variable rigd passes a service its wiring in (JSON, SPEC §7).
WIRING_VAR = "RIG_WIRING"


def from_env(environ: Mapping[str, str] | None = None) -> Wiring:
    """The wiring of the service this process is: parsed from ``$RIG_WIRING`` (the JSON
    rigd sets for every service it starts, beside HOST, PORT, ``<EGRESS>_HOST`` ...).
    ``environ`` defaults to ``os.environ``. Raises ``LookupError`` when the variable is
    not set (the process was not started by rig) and ``ValueError`` when it is not
    wiring JSON."""
    env = os.environ if environ is None else environ
    raw = env.get(WIRING_VAR)
    if raw is None:
        raise LookupError(f"rig: ${WIRING_VAR} is not set; is this process a service started by rig?")
    return parse(raw)


def parse(raw: str) -> Wiring:
    """Parses wiring JSON (the value of ``$RIG_WIRING``)."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return Wiring(
            ingresses=_endpoints_from_json(data.get("ingresses", {})),
            egresses=_endpoints_from_json(data.get("egresses", {})),
            temp_dir=str(data.get("temp_dir", "")),
            env_dir=str(data.get("env_dir", "")),
        )
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ValueError(f"rig: ${WIRING_VAR} is not wiring JSON: {e}") from None


def service_name(environ: Mapping[str, str] | None = None) -> str:
    """The name of the service this process is (``$RIG_SERVICE``), or ``""`` outside rig."""
    return (os.environ if environ is None else environ).get("RIG_SERVICE", "")


def _endpoints_from_json(data: Any) -> dict[str, Endpoint]:
    if not isinstance(data, dict):
        raise ValueError("endpoints are not an object")
    out: dict[str, Endpoint] = {}
    for name, e in data.items():
        protocol = str(e.get("protocol", "tcp"))
        out[str(name)] = Endpoint(
            host=str(e["host"]),
            port=int(e["port"]),
            protocol="tcp" if protocol == "unspecified" else protocol,
            attributes={str(k): str(v) for k, v in dict(e.get("attributes", {})).items()},
        )
    return out
