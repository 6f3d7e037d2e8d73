"""The conformance scenario of test/conformance/README.md, in Python, against a real
rigd (RIG_SERVER, or one the SDK finds or starts)."""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest

import rig
from rig.v1 import environment_service_pb2 as api
from rig.v1 import environment_service_pb2_grpc as api_grpc
from rig.v1 import event_pb2

LANGUAGE = "python"
GREETING = "hello from greeter"
WEB = str(Path(__file__).resolve().parent.parent / "service" / "web.mjs")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def greeter(stopped: threading.Event) -> Callable[[rig.FuncContext], Callable[[], None]]:
    """The func service: GET /greeting answers GREETING; it records its stop."""

    def serve(ctx: rig.FuncContext) -> Callable[[], None]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = GREETING if self.path == "/greeting" else "ok"
                self.send_response(200)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        ingress = ctx.wiring.ingress()
        server = ThreadingHTTPServer((ingress.host, ingress.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ctx.log(f"greeter: serving on {ingress.host_port}")

        def stop() -> None:
            stopped.set()
            server.shutdown()
            server.server_close()

        return stop

    return serve


def test_conformance_scenario() -> None:
    prefix = f"conformance-{LANGUAGE}"
    init_ran = threading.Event()
    greeter_stopped = threading.Event()

    def check_greeter(h: rig.HookContext) -> None:
        # Init runs once the service is healthy: it answers already.
        body = get(h.wiring.ingress().url + "/greeting")
        assert body == GREETING, f"greeter answered {body!r}"
        init_ran.set()

    def prepare_web(h: rig.HookContext) -> None:
        assert (h.service, h.phase) == ("web", "prestart"), f"hook called for {h.service}/{h.phase}"
        own = h.wiring.ingress()
        assert own.port > 0 and own.protocol == "http", f"bad own ingress {own}"
        # Egress targets are ready before prestart: the greeter answers through it.
        assert get(h.wiring.egress("greeter").url + "/greeting") == GREETING
        assert os.path.isdir(h.wiring.temp_dir), f"temp dir {h.wiring.temp_dir!r}"
        Path(h.wiring.temp_dir, "prefix.txt").write_text(prefix + "\n")

    with rig.up(
        {
            "greeter": rig.func(greeter(greeter_stopped)).init(check_greeter),
            "web": rig.process("node", WEB).egress("greeter").prestart(prepare_web),
        },
        name=f"conformance-{LANGUAGE}",
    ) as env:
        # The process read the file its prestart hook wrote and calls greeter over its egress.
        assert get(env.endpoint("web").url + "/") == f"{prefix} {GREETING}"
        assert init_ran.is_set(), "the init hook of greeter did not run"

    result = env.destroy()  # already destroyed by the block: the same result again
    assert greeter_stopped.is_set(), "greeter was not stopped at teardown"
    check_event_order(env.events())
    check_clean_destroy(env, result)


def test_conformance_failing_hook() -> None:
    def refuse(h: rig.HookContext) -> None:
        raise RuntimeError("conformance: prestart refused")

    with pytest.raises(rig.DownError) as info:
        rig.start({"web": rig.process("node", WEB).prestart(refuse)}, name=f"conformance-failing-{LANGUAGE}")
    down = info.value
    assert (down.reason, down.service) == ("failed", "web")
    for want in ("web", "prestart", "conformance: prestart refused"):
        assert want in str(down), f"error does not mention {want!r}: {down}"


def check_event_order(events: list[event_pb2.Event]) -> None:
    """The documented order (README, "Events"): seq rising from 1 (service.log events
    are not watched, so there are gaps), and each chain in order."""
    seqs = [e.seq for e in events]
    assert seqs[0] == 1 and all(a < b for a, b in zip(seqs, seqs[1:])), f"seq must rise from 1: {seqs}"

    def at(typ: str, service: str = "", kind: int = 0) -> int:
        for i, e in enumerate(events):
            if e.type == typ and e.service == service and (not kind or e.callback_request.kind == kind):
                return i
        raise AssertionError(f"no {typ} event for {service!r}")

    chains = [
        [("environment.created", ""), ("ingress.published", "greeter"), ("wiring.resolved", "greeter"), ("service.starting", "greeter"),
         ("service.healthy", "greeter"), ("service.init", "greeter"), ("service.ready", "greeter")],
        [("service.ready", "greeter"), ("wiring.resolved", "web"), ("service.prestart", "web"), ("service.starting", "web"),
         ("service.healthy", "web"), ("service.ready", "web"), ("environment.up", "")],
        [("environment.up", ""), ("environment.destroying", ""), ("service.stopping", "web"), ("service.stopped", "web"),
         ("service.stopping", "greeter"), ("service.stopped", "greeter"), ("environment.down", "")],
    ]  # fmt: skip
    for chain in chains:
        indexes = [at(typ, service) for typ, service in chain]
        assert indexes == sorted(indexes), f"out of order: {chain} at {indexes}"
    hook, start = event_pb2.CALLBACK_KIND_HOOK, event_pb2.CALLBACK_KIND_START
    assert at("wiring.resolved", "web") < at("callback.request", "web", hook) < at("service.prestart", "web")
    assert at("wiring.resolved", "greeter") < at("callback.request", "greeter", start) < at("service.healthy", "greeter")
    assert at("service.healthy", "greeter") < at("callback.request", "greeter", hook) < at("service.init", "greeter")
    last = events[-1]
    assert last.type == "environment.down" and last.environment_down.reason == event_pb2.DOWN_REASON_DESTROYED


def check_clean_destroy(env: rig.Environment, result: rig.DestroyResult) -> None:
    """Nothing is left: the process is gone, the dirs are removed, the logs are written
    and rigd no longer lists the environment."""
    starting = [e for e in env.events() if e.type == "service.starting" and e.service == "web"]
    pid = starting[0].service_starting.pid
    assert pid > 0, "service.starting of web carries no pid"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not result.preserved
    for name, directory in result.temp_dirs.items():
        assert not os.path.exists(directory), f"temp dir of {name} ({directory}) still exists"
    for path in (result.log_path, result.event_log_path):
        assert os.path.getsize(path) > 0, f"log {path} is empty"
    # The environment's own channel closed with it; ask rigd afresh.
    with rig.rigd_channel(rig.find_or_start_rigd()) as channel:
        listed = api_grpc.EnvironmentServiceStub(channel).ListEnvironments(api.ListEnvironmentsRequest(), timeout=10)
    assert env.id not in [e.id for e in listed.environments], f"rigd still lists {env.id} after destroy"
