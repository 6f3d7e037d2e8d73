"""Why an environment went down on its own: the failed service, how, and the last
lines of its stderr (SPEC §4)."""

from __future__ import annotations

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
        return text

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
