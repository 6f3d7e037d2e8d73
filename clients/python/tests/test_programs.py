"""rig.go, rig.node, rig.s3, rig.sqs and rig.temporal turn into the config messages rigd expects."""

from __future__ import annotations

import rig
from rig.v1 import spec_pb2


def test_go_and_node_translate_every_field() -> None:
    spec, _ = rig.build_spec(
        {
            "api": rig.go("./cmd/api", "--port", "${PORT}").build_flags("-tags=it").args("-v").env(MODE="test").dir("svc").stop_grace(1).egress("web"),
            "web": rig.node("./src/server.ts").build("npm", "run", "build").node_binary("/opt/node").node_options("--enable-source-maps").args("x"),
        },
        name="programs",
    )
    by_name = {s.name: s for s in spec.services}
    api = by_name["api"]
    assert api.WhichOneof("config") == "go"
    assert api.go.package == "./cmd/api"
    assert list(api.go.args) == ["--port", "${PORT}", "-v"]
    assert list(api.go.build_flags) == ["-tags=it"]
    assert dict(api.go.env) == {"MODE": "test"}
    assert api.go.dir == "svc"
    assert api.go.stop_grace.seconds == 1
    assert [e.service for e in api.egresses] == ["web"]
    web = by_name["web"]
    assert web.node == spec_pb2.NodeConfig(
        script="./src/server.ts", args=["x"], build=["npm", "run", "build"], node="/opt/node", node_options=["--enable-source-maps"]
    )


def test_s3_sqs_and_temporal_translate() -> None:
    spec, _ = rig.build_spec(
        {"files": rig.s3().region("eu-west-2"), "jobs": rig.sqs().fifo().egress("files"), "wf": rig.temporal().version("v1.5.1")}, name="aws"
    )
    files, jobs, wf = spec.services
    assert wf.temporal == spec_pb2.TemporalConfig(version="v1.5.1")
    assert files.s3 == spec_pb2.S3Config(region="eu-west-2")
    assert jobs.sqs == spec_pb2.SqsConfig(fifo=True)
    assert [e.service for e in jobs.egresses] == ["files"]
