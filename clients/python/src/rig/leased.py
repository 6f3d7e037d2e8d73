"""Builders of leases on rigd's pooled servers: ``rig.s3()`` and ``rig.sqs()``, a bucket
or a queue of its own per environment on the S3/SQS-compatible server (moto's), and
``rig.temporal()``, a namespace of its own on a Temporal dev server; all removed at
teardown. S3 and SQS publish AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and S3_BUCKET, or SQS_QUEUE_URL and SQS_QUEUE_NAME."""

from __future__ import annotations

from typing import Self

from rig.builders import Service
from rig.handlers import HandlerRegistry
from rig.v1 import spec_pb2


class S3Service(Service):
    """A bucket of its own; address it path-style (boto3: ``Config(s3={"addressing_style": "path"})``)."""

    def __init__(self) -> None:
        super().__init__()
        self._config = spec_pb2.S3Config()

    def region(self, region: str) -> Self:
        """The bucket's region (default us-east-1)."""
        self._config.region = region
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.s3.CopyFrom(self._config)


class SqsService(Service):
    """A queue of its own."""

    def __init__(self) -> None:
        super().__init__()
        self._config = spec_pb2.SqsConfig()

    def region(self, region: str) -> Self:
        """The queue's region (default us-east-1)."""
        self._config.region = region
        return self

    def fifo(self, fifo: bool = True) -> Self:
        """A FIFO queue (its name ends in .fifo)."""
        self._config.fifo = fifo
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.sqs.CopyFrom(self._config)


class TemporalService(Service):
    """A namespace of its own on rigd's pooled Temporal dev server; its gRPC ingress
    publishes TEMPORAL_ADDRESS (host:port) and TEMPORAL_NAMESPACE."""

    def __init__(self) -> None:
        super().__init__()
        self._config = spec_pb2.TemporalConfig()

    def version(self, version: str) -> Self:
        """The Temporal CLI version whose dev server runs ("v1.5.1"); default: rigd's pinned one."""
        self._config.version = version
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.temporal.CopyFrom(self._config)


def temporal() -> TemporalService:
    """A namespace of its own on rigd's pooled Temporal dev server."""
    return TemporalService()


def s3() -> S3Service:
    """A bucket of its own on rigd's pooled S3-compatible server."""
    return S3Service()


def sqs() -> SqsService:
    """A queue of its own on rigd's pooled SQS-compatible server."""
    return SqsService()
