"""Builders turn into the API spec the way rigd expects."""

from __future__ import annotations

import json

import pytest
from google.protobuf import duration_pb2

import rig
from rig.v1 import spec_pb2


def noop_hook(ctx: rig.HookContext) -> None:
    pass


def noop_func(ctx: rig.FuncContext) -> None:
    pass


def test_every_builder_translates_to_the_spec() -> None:
    spec, handlers = rig.build_spec(
        {
            "api": rig.process("./api", "--port", "${PORT}")
            .args("--verbose")
            .env(MODE="test")
            .dir("cmd")
            .stop_grace(1)
            .egress("db")
            .egress("cache", name="cache-main")
            .ingress(rig.http(ready_path="/healthz", ready_timeout=5))
            .ingress(rig.grpc("admin", attributes={"URL": "http://${HOSTPORT}"}))
            .prestart(noop_hook)
            .init(noop_hook),
            "db": rig.postgres("pg:local").init_sql("CREATE TABLE t (id int)").init_exec("true"),
            "cache": rig.redis(),
            "web": rig.container("busybox:local").cmd("httpd", "-f").env(A="b").ingress(rig.http(container_port=80)).init_exec("ls"),
            "fn": rig.func(noop_func).no_ingress().egress("api", ingress="admin"),
        },
        name="demo",
        dir="/work",
        ttl=60,
    )
    assert spec.name == "demo" and spec.observe and spec.dir == "/work" and spec.ttl.seconds == 60
    assert spec.host_env, "the test's environment is sent for process services"
    by_name = {s.name: s for s in spec.services}
    assert [s.name for s in spec.services] == ["api", "cache", "db", "fn", "web"]

    want_api = spec_pb2.Service(
        name="api",
        ingresses=[
            spec_pb2.Ingress(
                protocol=spec_pb2.PROTOCOL_HTTP,
                ready=spec_pb2.Readiness(kind=spec_pb2.READINESS_KIND_HTTP, http_path="/healthz", timeout=duration_pb2.Duration(seconds=5)),
            ),
            spec_pb2.Ingress(name="admin", protocol=spec_pb2.PROTOCOL_GRPC, attributes={"URL": "http://${HOSTPORT}"}),
        ],
        egresses=[spec_pb2.Egress(service="db"), spec_pb2.Egress(name="cache-main", service="cache")],
        prestart=[spec_pb2.Hook(client_func=spec_pb2.ClientFuncHook(name="api.prestart.0"))],
        init=[spec_pb2.Hook(client_func=spec_pb2.ClientFuncHook(name="api.init.0"))],
        process=spec_pb2.ProcessConfig(
            command="./api", args=["--port", "${PORT}", "--verbose"], dir="cmd", env={"MODE": "test"}, stop_grace=duration_pb2.Duration(seconds=1)
        ),
    )
    assert by_name["api"] == want_api
    assert by_name["db"] == spec_pb2.Service(
        name="db",
        init=[
            spec_pb2.Hook(sql=spec_pb2.SqlHook(statements=["CREATE TABLE t (id int)"])),
            spec_pb2.Hook(exec=spec_pb2.ExecHook(command=["true"])),
        ],
        postgres=spec_pb2.PostgresConfig(image="pg:local"),
    )
    assert by_name["cache"].WhichOneof("config") == "redis"
    web = by_name["web"]
    assert web.container.image == "busybox:local" and list(web.container.cmd) == ["httpd", "-f"]
    assert web.container.env["A"] == "b" and web.ingresses[0].container_port == 80 and web.init[0].HasField("exec")
    fn = by_name["fn"]
    assert fn.client.start_handler == "fn.start" and fn.no_ingress and fn.egresses[0].ingress == "admin"
    assert handlers.names() == ["api.init.0", "api.prestart.0", "fn.start"]


def test_mistakes_are_caught_before_calling_rigd() -> None:
    with pytest.raises(ValueError, match="at least one service"):
        rig.build_spec({})
    with pytest.raises(TypeError, match="not a rig service"):
        rig.build_spec({"a": "node server.js"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="needs a callable"):
        rig.func(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not callable"):
        rig.build_spec({"a": rig.process("x").prestart("nope")})  # type: ignore[arg-type]


def test_a_built_spec_does_not_change_with_its_builder() -> None:
    p = rig.process("x").env(A="1")
    spec, _ = rig.build_spec({"p": p})
    p.env(A="2")
    assert spec.services[0].process.env["A"] == "1"


@pytest.mark.parametrize(
    ("test_name", "want"),
    [
        ("test_up", "test_up"),
        ("test_up[with spaces & stuff]", "test_up-with-spaces-stuff"),
        ("[..]", "env"),
        ("a" * 80, "a" * 63),
    ],
)
def test_environment_names_fit_rigds_rule(test_name: str, want: str) -> None:
    spec, _ = rig.build_spec({"p": rig.process("x")}, name=test_name)
    assert spec.name == want


def test_endpoints_and_wiring() -> None:
    ep = rig.Endpoint("127.0.0.1", 5432, "tcp", {"PGUSER": "rig"})
    assert ep.host_port == "127.0.0.1:5432" and ep.url == "tcp://127.0.0.1:5432"
    assert rig.Endpoint("::1", 80, "grpc").url == "http://[::1]:80"
    wiring = rig.Wiring({"default": ep}, {}, "/tmp/a", "/tmp/env")
    assert wiring.ingress() is ep
    with pytest.raises(LookupError, match="no egress 'db'"):
        wiring.egress("db")


def test_container_from_a_build_sends_the_build() -> None:
    spec, _ = rig.build_spec(
        {"api": rig.container(rig.build("./images/api", dockerfile="Dockerfile.test", args={"V": "1"}, target="runtime"))}
    )
    config = spec.services[0].container
    assert config.image == "" and config.build.context == "./images/api" and config.build.dockerfile == "Dockerfile.test"
    assert dict(config.build.args) == {"V": "1"} and config.build.target == "runtime"


def test_ingress_waits_reach_the_spec() -> None:
    spec, _ = rig.build_spec(
        {
            "box": rig.container("img").ingress(
                rig.http(container_port=80, ready=False, waits=[rig.waits.log("started", times=2), rig.waits.healthcheck()])
            ),
            "api": rig.process("./api").ingress(rig.tcp(waits=[rig.waits.command("true", on_host=True), rig.waits.http("/h", status=204)])),
        }
    )
    api, box = sorted(spec.services, key=lambda s: s.name)
    ready = box.ingresses[0].ready
    assert ready.kind == spec_pb2.READINESS_KIND_NONE
    assert [w.WhichOneof("condition") for w in ready.waits] == ["log", "healthcheck"] and ready.waits[0].log.times == 2
    api_waits = api.ingresses[0].ready.waits
    assert api_waits[0].command.on_host and api_waits[1].http.status == 204


def test_a_shared_container_reaches_the_spec() -> None:
    cache = rig.container("redis:7").ingress(rig.tcp(container_port=6379)).shared("suite", reset=[["redis-cli", "FLUSHALL"]], idle_timeout=120, reuse=True)
    spec, _ = rig.build_spec({"cache": cache})
    shared = spec.services[0].container.shared
    assert shared.key == "suite" and shared.reuse and list(shared.reset_commands[0].command) == ["redis-cli", "FLUSHALL"] and shared.idle_timeout.seconds == 120


def test_requires_is_exclusive_unless_shared() -> None:
    spec, _ = rig.build_spec(
        {
            "api": rig.process("api").requires("db-fixture", shared=True).requires("port-8080").requires("db-fixture"),
            "db": rig.postgres().requires("db-fixture", shared=True),
        },
        name="locks",
    )
    required = {s.name: [(r.resource, r.shared) for r in s.requires] for s in spec.services}
    assert required == {"api": [("db-fixture", False), ("port-8080", False)], "db": [("db-fixture", True)]}
def test_kafka_translates_topics_schemas_and_a_dedicated_cluster() -> None:
    schema = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "int"}]}
    spec, _ = rig.build_spec(
        {
            "bus": rig.kafka().topic("orders", partitions=3).avro_schema("orders-value", schema),
            "own": rig.kafka().dedicated_cluster(),
        }
    )
    by_name = {s.name: s for s in spec.services}
    assert by_name["bus"].kafka == spec_pb2.KafkaConfig(
        topics=[spec_pb2.KafkaTopic(name="orders", partitions=3)],
        avro_schemas=[spec_pb2.KafkaAvroSchema(subject="orders-value", schema=json.dumps(schema))],
    )
    assert by_name["own"].kafka.dedicated_cluster
