"""Builders of programs rigd builds before it runs them: ``rig.go("./cmd/api")`` (a Go
program compiled in rigd's artifact phase, cached by a hash of its sources) and
``rig.node("./src/server.ts")`` (a Node.js script, TypeScript run with Node's type
stripping, after an optional cached build command)."""

from __future__ import annotations

from typing import Self

from rig.builders import HostProgram
from rig.handlers import HandlerRegistry
from rig.v1 import spec_pb2


class GoService(HostProgram[spec_pb2.GoConfig]):
    """A Go program built from source and run on the host; default ingress "default",
    http. The build is cached in RIG_DIR/cache/go and shared by concurrent
    environments; a failed build fails the environment with the compiler's output."""

    def __init__(self, package: str, args: tuple[str, ...]) -> None:
        super().__init__()
        self._config = spec_pb2.GoConfig(package=package, args=args)

    def build_flags(self, *flags: str) -> Self:
        """Adds ``go build`` flags (``-tags=integration``, ``-race``)."""
        self._config.build_flags.extend(flags)
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.go.CopyFrom(self._config)


class NodeService(HostProgram[spec_pb2.NodeConfig]):
    """A Node.js script run on the host (TypeScript through Node's type stripping);
    default ingress "default", http."""

    def __init__(self, script: str, args: tuple[str, ...]) -> None:
        super().__init__()
        self._config = spec_pb2.NodeConfig(script=script, args=args)

    def build(self, *command: str) -> Self:
        """A command run before the script starts (``"npm", "run", "build"``), skipped
        while the package's files are as its last successful build left them."""
        del self._config.build[:]
        self._config.build.extend(command)
        return self

    def node_binary(self, path: str) -> Self:
        """The node executable (default: the node that runs rigd)."""
        self._config.node = path
        return self

    def node_options(self, *options: str) -> Self:
        """Options of node before the script (``--enable-source-maps``)."""
        self._config.node_options.extend(options)
        return self

    def _configure(self, message: spec_pb2.Service, name: str, handlers: HandlerRegistry) -> None:
        message.node.CopyFrom(self._config)


def go(package: str, *args: str) -> GoService:
    """A Go program: a local package (``"./cmd/api"``) or a remote one at a pinned
    version (``"example.com/x/cmd/y@v1.2.3"``)."""
    return GoService(package, args)


def node(script: str, *args: str) -> NodeService:
    """A Node.js script (``.js`` or ``.ts``), relative to the working directory."""
    return NodeService(script, args)
