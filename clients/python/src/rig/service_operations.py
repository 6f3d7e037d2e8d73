"""Runtime operations on one service of a running environment: exec, copying files in
and out of a container, logs, stop and restart. Host paths are made absolute here:
rigd runs on the same machine and reads or writes them itself."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from rig.v1 import environment_service_pb2 as api
from rig.v1 import environment_service_pb2_grpc as api_grpc
from rig.v1 import event_pb2

_TIMEOUT = 120


@dataclass(frozen=True)
class ExecResult:
    """What a command run with ``exec`` printed and how it ended."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class LogLine:
    """One line of a service's output; ``stream`` is "stdout" or "stderr"."""

    stream: str
    line: str


class ServiceOperations:
    """The operations, for an environment with an API stub ``client`` and an ``id``."""

    client: api_grpc.EnvironmentServiceStub
    id: str

    def exec(self, service: str, *command: str, stdin: bytes | str | None = None, env: Mapping[str, str] | None = None, user: str = "") -> ExecResult:
        """Runs ``command`` in a container service; a non-zero exit is a result, not an error."""
        request = api.ExecServiceRequest(environment_id=self.id, service=service, command=command, env=dict(env or {}), user=user)
        if stdin is not None:
            request.stdin = stdin.encode() if isinstance(stdin, str) else stdin
        response = self.client.ExecService(request, timeout=_TIMEOUT)
        return ExecResult(response.exit_code, response.stdout.decode(errors="replace"), response.stderr.decode(errors="replace"))

    def copy_to(self, service: str, host_path: str, container_path: str) -> None:
        """Copies a host file or directory to ``container_path`` in a container service."""
        request = api.CopyToServiceRequest(environment_id=self.id, service=service, container_path=container_path, host_path=os.path.abspath(host_path))
        self.client.CopyToService(request, timeout=_TIMEOUT)

    def copy_content_to(self, service: str, content: bytes | str, container_path: str, mode: int = 0o644) -> None:
        """Writes ``content`` as the file ``container_path`` in a container service."""
        data = content.encode() if isinstance(content, str) else content
        request = api.CopyToServiceRequest(environment_id=self.id, service=service, container_path=container_path, content=data, mode=mode)
        self.client.CopyToService(request, timeout=_TIMEOUT)

    def copy_from(self, service: str, container_path: str, host_path: str) -> None:
        """Copies a file or directory out of a container service to ``host_path``."""
        request = api.CopyFromServiceRequest(environment_id=self.id, service=service, container_path=container_path, host_path=os.path.abspath(host_path))
        self.client.CopyFromService(request, timeout=_TIMEOUT)

    def logs(self, service: str, tail: int = 0) -> list[LogLine]:
        """A service's output so far, across restarts (the last ``tail`` lines; 0: all)."""
        response = self.client.GetServiceLogs(api.GetServiceLogsRequest(environment_id=self.id, service=service, tail=tail), timeout=_TIMEOUT)
        return [LogLine("stderr" if line.stream == event_pb2.LOG_STREAM_STDERR else "stdout", line.line) for line in response.lines]

    def stop(self, service: str) -> int:
        """Stops one service (its dependents keep running); returns its exit code."""
        return self.client.StopService(api.StopServiceRequest(environment_id=self.id, service=service), timeout=_TIMEOUT).exit_code

    def restart(self, service: str) -> None:
        """Starts a service again (stopping it first if it runs) and waits until it is ready."""
        self.client.RestartService(api.RestartServiceRequest(environment_id=self.id, service=service), timeout=_TIMEOUT)
