"""``rig.build(...)``: an image rigd builds from a Dockerfile, for ``rig.container(...)``."""

from __future__ import annotations

from collections.abc import Mapping

from rig.v1 import spec_pb2


class ImageBuild:
    """An image built from ``context`` once per content hash (files minus
    .dockerignore, Dockerfile, args, target), shared by concurrent environments and
    kept between runs as ``rig-build/<name>:<hash>``."""

    def __init__(
        self,
        context: str,
        *,
        dockerfile: str = "",
        args: Mapping[str, str] | None = None,
        target: str = "",
        name: str = "",
    ) -> None:
        if not context:
            raise ValueError("rig.build: the context directory must not be empty")
        self._message = spec_pb2.ImageBuild(
            context=context, dockerfile=dockerfile, args=dict(args or {}), target=target, name=name
        )

    def to_proto(self) -> spec_pb2.ImageBuild:
        """The API message (a relative context resolves against the test's cwd)."""
        copy = spec_pb2.ImageBuild()
        copy.CopyFrom(self._message)
        return copy


def build(
    context: str,
    *,
    dockerfile: str = "",
    args: Mapping[str, str] | None = None,
    target: str = "",
    name: str = "",
) -> ImageBuild:
    """An image built from a Dockerfile: ``rig.container(rig.build("./images/api"))``."""
    return ImageBuild(context, dockerfile=dockerfile, args=args, target=target, name=name)
