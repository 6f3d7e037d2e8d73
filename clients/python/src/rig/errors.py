"""Errors of the SDK: why an environment went down on its own (the failed service, how,
and the last lines of its stderr, SPEC §4), and why rigd rejected a spec."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

from rig.v1 import environment_service_pb2 as api
from rig.v1 import event_pb2

_REASONS = {
    event_pb2.DOWN_REASON_DESTROYED: "destroyed",
    event_pb2.DOWN_REASON_FAILED: "failed",
    event_pb2.DOWN_REASON_TTL_EXPIRED: "ttl_expired",
    event_pb2.DOWN_REASON_ORPHANED: "orphaned",
    event_pb2.DOWN_REASON_SHUTDOWN: "shutdown",
}


class DownError(Exception):
    """The environment went down (a service failed, the TTL passed, rigd stopped)."""

    def __init__(
        self,
        environment_id: str,
        *,
        reason: str = "",
        service: str = "",
        error: str = "",
        stderr_tail: list[str] | None = None,
        summary: str = "",
        log_path: str = "",
        diagnosis: str = "",
    ) -> None:
        self.environment_id = environment_id
        #: "failed", "destroyed", "ttl_expired", "orphaned", "shutdown"; "" when the SDK
        #: lost the event stream.
        self.reason = reason
        #: The failed service, when reason is "failed".
        self.service = service
        self.error = error
        self.stderr_tail = stderr_tail or []
        #: rigd's account, naming the service, the error and the stderr tail.
        self.summary = summary
        #: The readable log of the run, when the SDK could get it.
        self.log_path = log_path
        #: What ``rig explain`` says of the run, when the SDK could get it.
        self.diagnosis = diagnosis
        super().__init__()

    def __str__(self) -> str:
        text = f"rig: environment {self.environment_id} went down"
        if self.summary:
            text += f": {self.summary}"
        elif self.service:
            text += f": service {self.service} failed: {self.error}"
            if self.stderr_tail:
                text += "\nstderr:\n  " + "\n  ".join(self.stderr_tail)
        elif self.error:
            text += f": {self.error}"
        if self.log_path:
            text += f"\nlog: {self.log_path}"
        return text + explained(self.diagnosis)

    @staticmethod
    def from_proto(environment_id: str, down: event_pb2.EnvironmentDown) -> DownError:
        """Converts an environment.down payload."""
        return DownError(
            environment_id,
            reason=_REASONS.get(down.reason, ""),
            service=down.failed_service,
            error=down.error,
            stderr_tail=list(down.stderr_tail),
            summary=down.summary,
        )


def explained(diagnosis: str) -> str:
    """A failure message's last part: rigd's diagnosis, as ``rig explain`` prints it."""
    return "\nrig explain:\n  " + diagnosis.replace("\n", "\n  ") if diagnosis else ""


@dataclass(frozen=True)
class SpecProblem:
    """One problem of a spec rigd rejected, with where it is
    (``services[1](api).egresses[0].service``)."""

    path: str
    message: str


class SpecError(ValueError):
    """rigd rejected the spec (INVALID_ARGUMENT): ``problems`` lists every problem,
    and so does the message, as in the TypeScript and Go SDKs."""

    def __init__(self, problems: list[SpecProblem], detail: str = "") -> None:
        self.problems = problems
        #: rigd's own message.
        self.detail = detail
        super().__init__(self._text())

    def _text(self) -> str:
        if not self.problems:
            return f"rig: invalid environment spec: {self.detail or 'rejected by rigd'}"
        count = len(self.problems)
        lines = [f"rig: invalid environment spec ({count} problem{'' if count == 1 else 's'}):"]
        lines += [f"  - {p.path + ': ' if p.path else ''}{p.message}" for p in self.problems]
        return "\n".join(lines)

    @staticmethod
    def from_rpc_error(error: grpc.RpcError) -> SpecError | None:
        """The spec error an INVALID_ARGUMENT from CreateEnvironment carries, decoded
        from the rig.v1.SpecProblems detail in ``grpc-status-details-bin``; None for
        any other failure."""
        if not isinstance(error, grpc.Call) or error.code() != grpc.StatusCode.INVALID_ARGUMENT:
            return None
        detail = str(error.details() or "")
        problems: list[SpecProblem] = []
        for key, value in error.trailing_metadata() or ():
            if key == "grpc-status-details-bin" and isinstance(value, bytes):
                for any_detail in _status_details(value):
                    if any_detail.type_url.endswith("/rig.v1.SpecProblems"):
                        decoded = api.SpecProblems.FromString(any_detail.value)
                        problems += [SpecProblem(p.path, p.message) for p in decoded.problems]
        return SpecError(problems, detail)


def _status_details(status: bytes) -> list[any_pb2.Any]:
    """The ``details`` (field 3, repeated Any) of a serialized google.rpc.Status, read
    off the wire so the SDK needs no googleapis-common-protos."""
    details: list[any_pb2.Any] = []
    pos = 0
    try:
        while pos < len(status):
            tag, pos = _varint(status, pos)
            field_number, wire_type = tag >> 3, tag & 7
            if wire_type == 0:
                _, pos = _varint(status, pos)
            elif wire_type == 2:
                length, pos = _varint(status, pos)
                if field_number == 3:
                    details.append(any_pb2.Any.FromString(status[pos : pos + length]))
                pos += length
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            else:
                break
    except (IndexError, DecodeError):
        pass
    return details


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
