"""protoc plugin that produces grpcio's ``*_pb2_grpc.py`` service stubs for ``buf generate``.

grpcio-tools ships the grpc_python generator only inside its embedded protoc
(``--grpc_python_out``), never as a ``protoc-gen-*`` executable, and buf can call a
protoc built-in only for protoc's own languages. This bridge speaks the plugin protocol:
it writes the request's descriptors to a descriptor set, runs grpcio-tools' protoc on
it with ``--grpc_python_out``, and returns the files protoc wrote. The output is exactly
what ``python -m grpc_tools.protoc --grpc_python_out`` would write; the pinned
grpcio-tools version (clients/python/requirements-dev.txt) decides it.
"""

from __future__ import annotations

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc  # type: ignore[import-untyped]


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    """Runs grpc_python over the request's files and collects what it wrote."""
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL,
    )
    with tempfile.TemporaryDirectory(prefix="rig-grpc-python-") as work:
        descriptor_set = os.path.join(work, "input.binpb")
        with open(descriptor_set, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(work, "out")
        os.mkdir(out)
        target = f"{request.parameter}:{out}" if request.parameter else out
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"--descriptor_set_in={descriptor_set}",
                f"--grpc_python_out={target}",
                *request.file_to_generate,
            ]
        )
        if status != 0:
            response.error = f"grpc_tools.protoc exited with status {status}"
            return response
        for directory, _, names in sorted(os.walk(out)):
            for name in sorted(names):
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as f:
                    response.file.add(name=os.path.relpath(path, out), content=f.read())
    return response


def main() -> None:
    """Reads a CodeGeneratorRequest from stdin and writes the response to stdout."""
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
